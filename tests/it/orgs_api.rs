//! Organisations, groups, communities, departments and accounts through the
//! JSON API: lists, validation, who may create what, role grants, audit rows.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::dual_test;
use crate::helpers::TestApp;

/// Audit rows with this action on this kind of object (and object id, if given).
async fn audit_rows(app: &TestApp, action: &str, object_type: &str, object_id: Option<i64>) -> i64 {
    let object_id = object_id.map(|id| id.to_string()).unwrap_or_default();
    lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action = $1 AND object_type = $2 AND ($3 = '' OR object_id = $3)")
        .bind(action).bind(object_type).bind(object_id).fetch_one(pool).await)
    .unwrap()
}

/// The 422 answer names `field`, and its message says `message`.
fn assert_invalid(status: StatusCode, answer: &Value, field: &str, message: &str) {
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{field}: {answer}"
    );
    assert_eq!(answer["error"], "validation", "{answer}");
    let fields = answer["fields"].as_array().unwrap();
    assert!(
        fields.iter().any(|f| f["field"] == field),
        "{field} named: {answer}"
    );
    assert!(
        answer["message"].as_str().unwrap().contains(message),
        "{field}: {message}: {answer}"
    );
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect()
}

async fn user_id(app: &TestApp, username: &str) -> i64 {
    lvzhi::storage::users::find_by_username(&app.db, username)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn lists_answer_items_and_total_with_pages(app: TestApp) {
    let admin = app.token("admin").await;
    let staff = app.token("staff").await;

    let (status, orgs) = app.api_get(&admin, "/api/v1/orgs").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        orgs["total"], 6,
        "district, committee and four groups: {orgs}"
    );
    assert_eq!(orgs["items"].as_array().unwrap().len(), 6);
    assert_eq!(
        orgs["items"][0]["name"], "二七区政协",
        "tree order, root first"
    );
    assert_eq!(orgs["items"][0]["kind"], "district");
    assert!(orgs["items"][0]["parent_id"].is_null());

    let (_, page) = app.api_get(&admin, "/api/v1/orgs?per_page=4&page=2").await;
    assert_eq!(page["total"], 6, "the total counts every page");
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let (_, beyond) = app.api_get(&admin, "/api/v1/orgs?per_page=4&page=3").await;
    assert_eq!(beyond["total"], 6);
    assert_eq!(beyond["items"].as_array().unwrap().len(), 0);

    // Staff work within their committee's subtree.
    let (_, orgs) = app.api_get(&staff, "/api/v1/orgs").await;
    assert_eq!(orgs["total"], 5);
    assert!(!names(&orgs).contains(&"二七区政协".to_string()));
    let (status, groups) = app.api_get(&staff, "/api/v1/groups").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(groups["total"], 4);
    assert_eq!(
        names(&groups),
        [
            "第一委员小组",
            "第二委员小组",
            "第三委员小组",
            "第四委员小组"
        ]
    );
    assert!(groups["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["kind"] == "group" && g["community_id"].is_i64()));
    let (_, groups) = app.api_get(&staff, "/api/v1/groups?per_page=3").await;
    assert_eq!(groups["items"].as_array().unwrap().len(), 3);
    assert_eq!(groups["total"], 4);

    let (status, communities) = app.api_get(&staff, "/api/v1/communities").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(communities["total"], 4);
    let mut got = names(&communities);
    got.sort();
    let mut expected = vec!["孙八砦社区", "高砦社区", "大学路社区", "京沙社区"];
    expected.sort();
    assert_eq!(got, expected);

    let (_, departments) = app.api_get(&admin, "/api/v1/departments").await;
    assert_eq!(departments["total"], 6);
    // Staff of a sub-district forward to the district's departments too.
    let (_, departments) = app.api_get(&staff, "/api/v1/departments").await;
    assert_eq!(departments["total"], 6);
    let own = departments["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "长江路街道办事处")
        .unwrap();
    assert_eq!(own["contact"], "党政办 0371-68000006");
    let (_, departments) = app
        .api_get(&staff, "/api/v1/departments?per_page=5&page=2")
        .await;
    assert_eq!(departments["items"].as_array().unwrap().len(), 1);
    let handler = app.token("department").await;
    let (_, departments) = app.api_get(&handler, "/api/v1/departments").await;
    assert_eq!(
        departments["total"], 1,
        "a handler sees their own department only"
    );
    assert_eq!(departments["items"][0]["name"], "二七区住房和城乡建设局");

    let (status, users) = app.api_get(&admin, "/api/v1/users?per_page=4").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(users["total"], 6);
    assert_eq!(users["items"].as_array().unwrap().len(), 4);
    assert_eq!(users["items"][0]["username"], "admin", "by user name");
    assert!(
        users["items"][0].get("password_hash").is_none(),
        "password hashes never leave the server"
    );
    let (_, users) = app.api_get(&admin, "/api/v1/users?per_page=4&page=2").await;
    assert_eq!(users["items"].as_array().unwrap().len(), 2);

    for (path, field) in [
        ("/api/v1/orgs?page=abc", "page"),
        ("/api/v1/groups?per_page=0", "per_page"),
        ("/api/v1/users?per_page=201", "per_page"),
        ("/api/v1/communities?page=-1", "page"),
    ] {
        let (status, answer) = app.api_get(&admin, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert_eq!(answer["error"], "bad_request");
        assert_eq!(answer["fields"][0]["field"], field, "{path}: {answer}");
    }

    // Who may list what.
    let auditor = app.token("auditor").await;
    let member = app.token("member").await;
    for path in [
        "/api/v1/orgs",
        "/api/v1/groups",
        "/api/v1/communities",
        "/api/v1/departments",
        "/api/v1/users",
    ] {
        let (status, answer) = app.api_get(&auditor, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "auditor on {path}");
        assert_eq!(answer["error"], "forbidden");
        let (status, _) = app.api_get(&member, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "member on {path}");
    }
    let (status, _) = app.api_get(&staff, "/api/v1/users").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "staff do not manage accounts"
    );
}
dual_test!(
    lists_answer_items_and_total_with_pages_t,
    lists_answer_items_and_total_with_pages
);

async fn org_creation_validates_the_tree(app: TestApp) {
    let admin = app.token("admin").await;
    let staff = app.token("staff").await;
    let district = app.group_id("二七区政协").await;
    let committee = app.group_id("长江路街道政协工委").await;
    let group = app.group_id("第一委员小组").await;
    let community: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM communities WHERE name = '孙八砦社区'").fetch_one(pool).await)
    .unwrap();
    let orgs_before = app.count("orgs").await;

    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "empty name",
            json!({"name": "  ", "kind": "subdistrict", "parent_id": district}),
            "name",
            "不能为空",
        ),
        (
            "long name",
            json!({"name": "名".repeat(51), "kind": "subdistrict", "parent_id": district}),
            "name",
            "不能超过 50 个字",
        ),
        (
            "no kind",
            json!({"name": "某工委", "parent_id": district}),
            "kind",
            "类别：不能为空",
        ),
        (
            "unknown kind",
            json!({"name": "某工委", "kind": "county", "parent_id": district}),
            "kind",
            "类别：不是有效的选项",
        ),
        (
            "same name, same level",
            json!({"name": "长江路街道政协工委", "kind": "subdistrict", "parent_id": district}),
            "name",
            "同级下已有同名记录",
        ),
        (
            "unknown parent",
            json!({"name": "某工委", "kind": "subdistrict", "parent_id": 999_999}),
            "parent_id",
            "上级组织：没有这个组织",
        ),
        (
            "subdistrict under a group",
            json!({"name": "某工委", "kind": "subdistrict", "parent_id": group}),
            "parent_id",
            "该上级组织不能包含此类组织",
        ),
        (
            "group under a group",
            json!({"name": "某小组", "kind": "group", "parent_id": group}),
            "parent_id",
            "该上级组织不能包含此类组织",
        ),
        (
            "district under a subdistrict",
            json!({"name": "某区", "kind": "district", "parent_id": committee}),
            "parent_id",
            "该上级组织不能包含此类组织",
        ),
        (
            "subdistrict without parent",
            json!({"name": "某工委", "kind": "subdistrict"}),
            "parent_id",
            "此类组织必须选择上级组织",
        ),
        (
            "community for a non-group",
            json!({"name": "某工委", "kind": "subdistrict", "parent_id": district, "community_id": community}),
            "community_id",
            "只有委员小组可以联系社区",
        ),
        (
            "community of another parent",
            json!({"name": "某小组", "kind": "group", "parent_id": district, "community_id": community}),
            "community_id",
            "没有这个社区",
        ),
    ];
    for (case, body, field, message) in cases {
        let (status, answer) = app.api_post(&admin, "/api/v1/orgs", &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{case}: {answer}");
        assert_invalid(status, &answer, field, message);
    }
    assert_eq!(app.count("orgs").await, orgs_before, "nothing was written");
    assert_eq!(audit_rows(&app, "create", "org", None).await, 0);

    // A group may hang directly under a district, and the same name may be used at another level.
    let (status, created) = app
        .api_post(
            &admin,
            "/api/v1/orgs",
            &json!({"name": "第一委员小组", "kind": "group", "parent_id": district}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["kind"], "group");
    assert_eq!(created["parent_id"], district);
    assert_eq!(created["path"], format!("/{district}/{}/", created["id"]));
    assert_eq!(
        audit_rows(&app, "create", "org", created["id"].as_i64()).await,
        1
    );

    let (status, sub) = app
        .api_post(
            &admin,
            "/api/v1/orgs",
            &json!({"name": "建设路街道政协工委", "kind": "subdistrict", "parent_id": district}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    assert_eq!(sub["version"], 1);
    assert_eq!(
        audit_rows(&app, "create", "org", sub["id"].as_i64()).await,
        1
    );

    // Staff create groups within their committee, and nothing else.
    let (status, g) = app
        .api_post(
            &staff,
            "/api/v1/groups",
            &json!({"name": "第五委员小组", "parent_id": committee}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    assert_eq!(g["kind"], "group");
    let staff_id = user_id(&app, "staff").await;
    let by: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT user_id FROM audit_log WHERE action = 'create' AND object_type = 'org' AND object_id = $1")
        .bind(g["id"].as_i64().unwrap().to_string()).fetch_one(pool).await)
    .unwrap();
    assert_eq!(by, staff_id, "the audit row names who did it");
    let (status, answer) = app
        .api_post(
            &staff,
            "/api/v1/groups",
            &json!({"name": "第五委员小组", "parent_id": committee}),
        )
        .await;
    assert_invalid(status, &answer, "name", "同级下已有同名记录");
    let (status, answer) = app
        .api_post(
            &staff,
            "/api/v1/groups",
            &json!({"name": "区级小组", "parent_id": district}),
        )
        .await;
    assert_invalid(status, &answer, "parent_id", "没有这个组织");

    let orgs_before = app.count("orgs").await;
    for kind in ["district", "subdistrict", "city", "province"] {
        let (status, answer) = app
            .api_post(
                &staff,
                "/api/v1/orgs",
                &json!({"name": "越权组织", "kind": kind, "parent_id": committee}),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "staff may not create a {kind}: {answer}"
        );
        assert_eq!(answer["error"], "forbidden");
    }
    for who in ["security", "auditor", "member", "department"] {
        let token = app.token(who).await;
        let (status, _) = app
            .api_post(
                &token,
                "/api/v1/groups",
                &json!({"name": "越权小组", "parent_id": committee}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} creating a group");
    }
    assert_eq!(app.count("orgs").await, orgs_before);

    // The JSON itself: wrong types are a 400.
    let (status, answer) = app
        .api_post(
            &admin,
            "/api/v1/orgs",
            &json!({"name": "x", "kind": "group", "parent_id": "abc"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"], "bad_request");
}
dual_test!(
    org_creation_validates_the_tree_t,
    org_creation_validates_the_tree
);

async fn communities_and_departments_are_validated_and_audited(app: TestApp) {
    let admin = app.token("admin").await;
    let staff = app.token("staff").await;
    let committee = app.group_id("长江路街道政协工委").await;
    let group = app.group_id("第一委员小组").await;

    let (status, answer) = app
        .api_post(&staff, "/api/v1/communities", &json!({"name": ""}))
        .await;
    assert_invalid(status, &answer, "name", "不能为空");
    let (status, answer) = app
        .api_post(&staff, "/api/v1/communities", &json!({"name": "高砦社区"}))
        .await;
    assert_invalid(status, &answer, "name", "同级下已有同名记录");
    let (status, answer) = app
        .api_post(
            &staff,
            "/api/v1/communities",
            &json!({"name": "新社区", "org_id": group}),
        )
        .await;
    assert_invalid(status, &answer, "org_id", "没有这个组织");
    let (status, answer) = app
        .api_post(
            &staff,
            "/api/v1/communities",
            &json!({"name": "新社区", "org_id": 999_999}),
        )
        .await;
    assert_invalid(status, &answer, "org_id", "没有这个组织");
    let district = app.group_id("二七区政协").await;
    let (status, answer) = app
        .api_post(
            &staff,
            "/api/v1/communities",
            &json!({"name": "新社区", "org_id": district}),
        )
        .await;
    assert_invalid(status, &answer, "org_id", "没有这个组织");
    assert_eq!(app.count("communities").await, 4);

    let (status, created) = app
        .api_post(
            &staff,
            "/api/v1/communities",
            &json!({"name": "长江路社区"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        created["org_id"], committee,
        "the staff's own committee by default"
    );
    assert_eq!(
        audit_rows(&app, "create", "community", created["id"].as_i64()).await,
        1
    );
    let (_, list) = app.api_get(&staff, "/api/v1/communities").await;
    assert_eq!(list["total"], 5);

    // A group may now be linked to its committee's new community.
    let (status, g) = app
        .api_post(
            &staff,
            "/api/v1/groups",
            &json!({"name": "第五委员小组", "parent_id": committee, "community_id": created["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    assert_eq!(g["community_id"], created["id"]);

    let (status, answer) = app
        .api_post(
            &admin,
            "/api/v1/departments",
            &json!({"name": "二七区民政局"}),
        )
        .await;
    assert_invalid(status, &answer, "name", "同级下已有同名记录");
    let (status, answer) = app
        .api_post(
            &admin,
            "/api/v1/departments",
            &json!({"name": "某局", "contact": "电".repeat(101)}),
        )
        .await;
    assert_invalid(status, &answer, "contact", "联系方式：不能超过 100 个字");
    let (status, answer) = app
        .api_post(&admin, "/api/v1/departments", &json!({"name": ""}))
        .await;
    assert_invalid(status, &answer, "name", "不能为空");
    assert_eq!(app.count("departments").await, 6);

    let (status, d) = app
        .api_post(
            &admin,
            "/api/v1/departments",
            &json!({"name": "二七区卫生健康委员会", "contact": "医政科 0371-68000007"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(d["org_id"], district);
    assert_eq!(d["contact"], "医政科 0371-68000007");
    assert_eq!(
        audit_rows(&app, "create", "department", d["id"].as_i64()).await,
        1
    );
    // The same name under another organisation is a different department.
    let (status, d2) = app
        .api_post(
            &staff,
            "/api/v1/departments",
            &json!({"name": "二七区卫生健康委员会"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d2}");
    assert_eq!(d2["org_id"], committee);
    assert_eq!(audit_rows(&app, "create", "department", None).await, 2);

    for who in ["security", "auditor", "member", "department"] {
        let token = app.token(who).await;
        let (status, _) = app
            .api_post(&token, "/api/v1/communities", &json!({"name": "越权社区"}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} creating a community");
        let (status, _) = app
            .api_post(&token, "/api/v1/departments", &json!({"name": "越权单位"}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} creating a department");
    }
    assert_eq!(app.count("communities").await, 5);
    assert_eq!(app.count("departments").await, 8);
}
dual_test!(
    communities_and_departments_are_validated_and_audited_t,
    communities_and_departments_are_validated_and_audited
);

async fn admin_creates_accounts_without_roles(app: TestApp) {
    let admin = app.token("admin").await;
    let committee = app.group_id("长江路街道政协工委").await;
    let users_before = app.count("users").await;

    let (status, created) = app
        .api_post(
            &admin,
            "/api/v1/users",
            &json!({"username": "clerk1", "display_name": "办事员", "org_id": committee}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["user"]["username"], "clerk1");
    assert!(
        created["user"]["role"].is_null(),
        "created without a role: {created}"
    );
    assert_eq!(created["user"]["must_change_password"], true);
    assert!(created["user"].get("password_hash").is_none());
    let initial = created["initial_password"].as_str().unwrap();
    assert!(
        initial.chars().count() >= 12,
        "a generated password, shown once"
    );
    let id = created["user"]["id"].as_i64().unwrap();
    assert_eq!(audit_rows(&app, "create", "user", Some(id)).await, 1);
    let detail: String = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, String>(
        "SELECT detail FROM audit_log WHERE action = 'create' AND object_type = 'user' AND object_id = $1")
        .bind(id.to_string()).fetch_one(pool).await)
    .unwrap();
    assert!(
        !detail.contains(initial),
        "the password is not in the audit log"
    );

    // A role in the body is not a way to grant one: the admin cannot grant.
    let (status, answer) = app.api_post(&admin, "/api/v1/users", &json!({"username": "clerk2", "display_name": "办事员二", "org_id": committee, "role": "admin"})).await;
    let stored = lvzhi::storage::users::find_by_username(&app.db, "clerk2")
        .await
        .unwrap();
    match stored {
        Some(user) => {
            assert_eq!(status, StatusCode::CREATED, "{answer}");
            assert_eq!(user.role, None, "the role in the body was not granted");
            assert!(answer["user"]["role"].is_null());
        }
        None => assert!(status.is_client_error(), "refused: {answer}"),
    }

    // A chosen password must follow the policy, and its owner must change it
    // at the first sign-in: the admin who chose it knows it.
    let (status, answer) = app.api_post(&admin, "/api/v1/users", &json!({"username": "clerk3", "display_name": "办事员三", "org_id": committee, "password": "short"})).await;
    assert_invalid(status, &answer, "password", "至少需要 12 个字符");
    let (status, ok) = app.api_post(&admin, "/api/v1/users", &json!({"username": "clerk3", "display_name": "办事员三", "org_id": committee, "password": "Clerk-Three-2026"})).await;
    assert_eq!(status, StatusCode::CREATED, "{ok}");
    assert!(ok["initial_password"].is_null());
    assert_eq!(ok["user"]["must_change_password"], true);

    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"username": "a", "display_name": "甲", "org_id": committee}),
            "username",
            "用户名：须为 3–32 位",
        ),
        (
            json!({"username": "有中文", "display_name": "甲", "org_id": committee}),
            "username",
            "用户名：须为 3–32 位",
        ),
        (
            json!({"username": "staff", "display_name": "甲", "org_id": committee}),
            "username",
            "该用户名已被使用",
        ),
        (
            json!({"username": "clerk9", "display_name": "", "org_id": committee}),
            "display_name",
            "显示名称：不能为空",
        ),
        (
            json!({"username": "clerk9", "display_name": "甲", "org_id": 999_999}),
            "org_id",
            "没有这个组织",
        ),
        (
            json!({"username": "clerk9", "display_name": "甲", "org_id": committee, "member_id": 999_999}),
            "member_id",
            "没有这个委员",
        ),
        (
            json!({"username": "clerk9", "display_name": "甲", "org_id": committee, "department_id": 999_999}),
            "department_id",
            "没有这个承办单位",
        ),
    ];
    for (body, field, message) in cases {
        let (status, answer) = app.api_post(&admin, "/api/v1/users", &body).await;
        assert_invalid(status, &answer, field, message);
    }
    // The member who already has an account cannot get a second one.
    let member_id: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM members WHERE name = '孟爱云'").fetch_one(pool).await)
    .unwrap();
    let (status, answer) = app.api_post(&admin, "/api/v1/users", &json!({"username": "meng2", "display_name": "孟爱云", "org_id": committee, "member_id": member_id})).await;
    assert_invalid(status, &answer, "member_id", "该委员已有账号");
    let (status, answer) = app
        .api_post(
            &admin,
            "/api/v1/users",
            &json!({"username": "clerk9", "display_name": "甲"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "org_id is required: {answer}"
    );

    for who in ["security", "auditor", "staff", "member", "department"] {
        let token = app.token(who).await;
        let (status, _) = app
            .api_post(
                &token,
                "/api/v1/users",
                &json!({"username": "sneaky", "display_name": "越权", "org_id": committee}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} creating an account");
    }
    let created_users = app.count("users").await - users_before;
    assert!(
        created_users == 2 || created_users == 3,
        "clerk1, clerk3 (and clerk2 without a role)"
    );
    assert_eq!(
        audit_rows(&app, "create", "user", None).await,
        6 + created_users,
        "the six demo accounts and each new one"
    );
}
dual_test!(
    admin_creates_accounts_without_roles_t,
    admin_creates_accounts_without_roles
);

async fn security_grants_roles_with_the_version(app: TestApp) {
    let admin = app.token("admin").await;
    let security = app.token("security").await;
    let committee = app.group_id("长江路街道政协工委").await;
    let (_, created) = app.api_post(&admin, "/api/v1/users", &json!({"username": "clerk1", "display_name": "办事员", "org_id": committee, "password": "Clerk-One-2026!"})).await;
    let id = created["user"]["id"].as_i64().unwrap();
    assert_eq!(created["user"]["version"], 1);
    let path = format!("/api/v1/users/{id}/role");

    // Only the security administrator grants.
    for who in ["admin", "auditor", "staff", "member", "department"] {
        let token = app.token(who).await;
        let (status, _) = app
            .api_send(
                Method::PUT,
                &token,
                &path,
                &json!({"role": "staff", "version": 1}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who} granting a role");
    }
    assert_eq!(app.audit_count("role_grant").await, 0);

    let (status, answer) = app
        .api_send(
            Method::PUT,
            &security,
            &path,
            &json!({"role": "king", "version": 1}),
        )
        .await;
    assert_invalid(status, &answer, "role", "角色：不是有效的选项");
    let (status, answer) = app
        .api_send(
            Method::PUT,
            &security,
            &path,
            &json!({"role": "member", "version": 1}),
        )
        .await;
    assert_invalid(status, &answer, "member_id", "政协委员角色须关联一位委员");
    let (status, answer) = app
        .api_send(
            Method::PUT,
            &security,
            &path,
            &json!({"role": "department", "version": 1}),
        )
        .await;
    assert_invalid(
        status,
        &answer,
        "department_id",
        "承办单位角色须关联一个承办单位",
    );

    let (status, granted) = app
        .api_send(
            Method::PUT,
            &security,
            &path,
            &json!({"role": "staff", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{granted}");
    assert_eq!(granted["role"], "staff");
    assert_eq!(granted["version"], 2);
    assert_eq!(audit_rows(&app, "role_grant", "user", Some(id)).await, 1);
    let detail: String = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, String>(
        "SELECT detail FROM audit_log WHERE action = 'role_grant'").fetch_one(pool).await)
    .unwrap();
    assert_eq!(detail, "from=-; to=staff");

    // The same version again: someone else's change came first.
    let (status, conflict) = app
        .api_send(
            Method::PUT,
            &security,
            &path,
            &json!({"role": "auditor", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    assert_eq!(conflict["error"], "stale_version");
    assert_eq!(
        lvzhi::storage::users::find_by_username(&app.db, "clerk1")
            .await
            .unwrap()
            .unwrap()
            .role
            .as_deref(),
        Some("staff")
    );

    // The new staff account works once its owner has set their own password.
    let token = app.token("clerk1").await;
    let (status, answer) = app.api_get(&token, "/api/v1/members").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert_eq!(answer["error"], "password_change_required");
    crate::helpers::change_password(&app, "clerk1", "Clerk-One-2026!", "Clerk-Own-Choice-2026")
        .await;
    let (status, members) = app.api_get(&token, "/api/v1/members").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(members["total"], 14);

    // Revoking: a null role, with the current version (the password change moved it on).
    let version = lvzhi::storage::users::get(&app.db, id)
        .await
        .unwrap()
        .unwrap()
        .version;
    let (status, revoked) = app
        .api_send(
            Method::PUT,
            &security,
            &path,
            &json!({"role": null, "version": version}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert!(revoked["role"].is_null());
    assert_eq!(audit_rows(&app, "role_revoke", "user", Some(id)).await, 1);
    let (status, _) = app.api_get(&token, "/api/v1/members").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "an account without a role is no one"
    );

    // Never on one's own account.
    let own = user_id(&app, "security").await;
    let (status, answer) = app
        .api_send(
            Method::PUT,
            &security,
            &format!("/api/v1/users/{own}/role"),
            &json!({"role": "admin", "version": 1}),
        )
        .await;
    assert_invalid(status, &answer, "role", "不能给自己的账号授予或撤销角色");
    let (status, answer) = app
        .api_send(
            Method::PUT,
            &security,
            &format!("/api/v1/users/{own}/role"),
            &json!({"role": null, "version": 1}),
        )
        .await;
    assert_invalid(status, &answer, "role", "不能给自己的账号授予或撤销角色");
    assert_eq!(
        lvzhi::storage::users::find_by_username(&app.db, "security")
            .await
            .unwrap()
            .unwrap()
            .role
            .as_deref(),
        Some("security")
    );

    // Unknown accounts and ids.
    let (status, _) = app
        .api_send(
            Method::PUT,
            &security,
            "/api/v1/users/999999/role",
            &json!({"role": "staff", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, answer) = app
        .api_send(
            Method::PUT,
            &security,
            "/api/v1/users/abc/role",
            &json!({"role": "staff", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answer["error"], "not_found");
    let (status, answer) = app
        .api_send(Method::PUT, &security, &path, &json!({"role": "staff"}))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the version is required: {answer}"
    );

    // The auditor reads no accounts.
    let auditor = app.token("auditor").await;
    let (status, _) = app.api_get(&auditor, "/api/v1/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, users) = app.api_get(&security, "/api/v1/users").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(users["total"], 7);
}
dual_test!(
    security_grants_roles_with_the_version_t,
    security_grants_roles_with_the_version
);
