//! Members through the JSON API: create, read, update, list, and every refusal.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::dual_test;
use crate::helpers::{member_body, TestApp};

async fn staff_create_read_update_a_member(app: TestApp) {
    let token = app.token("staff").await;
    let group = app.group_id("第二委员小组").await;
    let mut body = member_body("林小雨", "19850304", "026");
    body["group_id"] = json!(group);
    let (status, created) = app.api_post(&token, "/api/v1/members", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["name"], "林小雨");
    assert_eq!(created["group_id"], group);
    assert_eq!(created["phone_masked"], "138****5678");
    assert_eq!(created["birth_date"], "1985-03-04");
    assert!(
        created.get("id_number_enc").is_none(),
        "ciphertext never leaves the server"
    );
    let id = created["id"].as_i64().unwrap();

    // Stored encrypted: the plain ID number is nowhere in the table.
    let stored: String = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, String>(
        "SELECT id_number_enc FROM members WHERE id = $1").bind(id).fetch_one(pool).await)
    .unwrap();
    assert!(!stored.contains("19850304"));

    let (status, got) = app.api_get(&token, &format!("/api/v1/members/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["id_number_masked"].as_str().unwrap().len(), 18);

    let mut update = body.clone();
    update["position"] = json!("总经理");
    update["version"] = got["version"].clone();
    let (status, updated) = app
        .api_send(
            Method::PUT,
            &token,
            &format!("/api/v1/members/{id}"),
            &update,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["position"], "总经理");
    assert_eq!(updated["version"], 2);

    // The same version again: someone else's save came first.
    let (status, conflict) = app
        .api_send(
            Method::PUT,
            &token,
            &format!("/api/v1/members/{id}"),
            &update,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(conflict["error"], "stale_version");

    let (status, timeline) = app
        .api_get(&token, &format!("/api/v1/members/{id}/timeline"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(timeline["items"][0]["kind"], "registered");

    assert!(app.audit_count("create").await >= 15);
    let detail: String = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, String>(
        "SELECT detail FROM audit_log WHERE action = 'update' AND object_type = 'member'").fetch_one(pool).await).unwrap();
    assert!(
        !detail.contains("13812345678"),
        "audit rows hold masked phone numbers only"
    );
    assert!(
        !detail.contains("19850304"),
        "audit rows hold masked ID numbers only"
    );
}
dual_test!(
    staff_create_read_update_a_member_t,
    staff_create_read_update_a_member
);

async fn invalid_members_are_refused_with_field_messages(app: TestApp) {
    let token = app.token("staff").await;
    let before = app.count("members").await;
    let cases: Vec<(&str, serde_json::Value, &str)> = vec![
        ("name", json!(""), "姓名：不能为空"),
        ("name", json!("名".repeat(51)), "姓名：不能超过 50 个字"),
        (
            "id_number",
            json!("410103198503040261"),
            "身份证号：校验位不正确",
        ),
        (
            "id_number",
            json!("410103198513400265"),
            "身份证号：第 7 至 14 位不是有效的出生日期",
        ),
        ("phone", json!("12345678901"), "手机号"),
        ("group_id", json!(999999), "委员小组：没有这个委员小组"),
        ("party", json!("whig"), "党派：不是有效的选项"),
        ("joined_on", json!("2011/01/10"), "任职日期"),
        ("joined_on", json!("2099-01-01"), "任职日期：不能晚于今天"),
        (
            "joined_on",
            json!("1980-01-01"),
            "任职日期：不能早于出生日期",
        ),
    ];
    for (field, value, message) in cases {
        let mut body = member_body("测试委员", "19850304", "026");
        body[field] = value;
        let (status, answer) = app.api_post(&token, "/api/v1/members", &body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {answer}"
        );
        assert_eq!(answer["error"], "validation");
        let fields = answer["fields"].as_array().unwrap();
        assert!(
            fields.iter().any(|f| f["field"] == field),
            "{field} named: {answer}"
        );
        assert!(
            answer["message"].as_str().unwrap().contains(message),
            "{field}: {answer}"
        );
    }
    // Wrong JSON types are a 400 in the same format.
    let mut body = member_body("测试委员", "19850304", "026");
    body["group_id"] = json!({"nested": true});
    let (status, answer) = app
        .api_post(&token, "/api/v1/members", &json!("not an object"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"], "bad_request");
    assert_eq!(app.count("members").await, before, "nothing was written");

    // A duplicate ID number names the field.
    let first = member_body("甲委员", "19850304", "026");
    let (status, _) = app.api_post(&token, "/api/v1/members", &first).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, answer) = app
        .api_post(
            &token,
            "/api/v1/members",
            &member_body("乙委员", "19850304", "026"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("该身份证号已登记"),
        "{answer}"
    );
    assert_eq!(app.count("members").await, before + 1);
}
dual_test!(
    invalid_members_are_refused_with_field_messages_t,
    invalid_members_are_refused_with_field_messages
);

async fn lists_page_sort_and_filter_on_the_server(app: TestApp) {
    let token = app.token("staff").await;
    let (status, page) = app
        .api_get(&token, "/api/v1/members?per_page=5&page=3&sort=name")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 14);
    assert_eq!(page["items"].as_array().unwrap().len(), 4);
    // The count comes with the page's rows; past the last page it is
    // counted on its own, and a filter that selects nobody counts none.
    let (_, past) = app
        .api_get(&token, "/api/v1/members?per_page=5&page=9")
        .await;
    assert_eq!(past["total"], 14, "{past}");
    assert!(past["items"].as_array().unwrap().is_empty());
    let (_, nobody) = app
        .api_get(&token, "/api/v1/members?q=%E6%97%A0%E6%AD%A4%E4%BA%BA")
        .await; // 无此人
    assert_eq!(nobody["total"], 0, "{nobody}");

    let group = app.group_id("第一委员小组").await;
    let (_, filtered) = app
        .api_get(&token, &format!("/api/v1/members?group={group}"))
        .await;
    assert_eq!(filtered["total"], 3);
    let (_, by_name) = app.api_get(&token, "/api/v1/members?q=%E5%AD%9F").await; // 孟
    assert_eq!(by_name["total"], 1);
    assert_eq!(by_name["items"][0]["name"], "孟爱云");
    let (_, by_party) = app
        .api_get(&token, "/api/v1/members?party=ccp&sort=term&dir=desc")
        .await;
    assert_eq!(by_party["total"], 3);

    for (query, field) in [
        ("sort=password_hash", "sort"),
        ("sort=name;DROP", "sort"),
        ("page=abc", "page"),
        ("per_page=0", "per_page"),
        ("dir=sideways", "dir"),
        ("party=x", "party"),
    ] {
        let (status, answer) = app
            .api_get(&token, &format!("/api/v1/members?{query}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {answer}");
        assert_eq!(answer["fields"][0]["field"], field, "{query}: {answer}");
    }
}
dual_test!(
    lists_page_sort_and_filter_on_the_server_t,
    lists_page_sort_and_filter_on_the_server
);

async fn roles_see_only_what_they_may(app: TestApp) {
    let member_token = app.token("member").await;
    let staff_token = app.token("staff").await;
    let (_, list) = app
        .api_get(
            &staff_token,
            "/api/v1/members?q=%E5%AD%9F%E7%88%B1%E4%BA%91",
        )
        .await;
    let own_id = list["items"][0]["id"].as_i64().unwrap();
    let (_, list) = app
        .api_get(
            &staff_token,
            "/api/v1/members?q=%E5%AD%99%E9%83%91%E5%8D%8E",
        )
        .await;
    let other_id = list["items"][0]["id"].as_i64().unwrap();

    let (status, _) = app
        .api_get(&member_token, &format!("/api/v1/members/{own_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "a member sees their own duty file");
    let (status, _) = app
        .api_get(&member_token, &format!("/api/v1/members/{other_id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "but not another member's");
    let (status, _) = app.api_get(&member_token, "/api/v1/members").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    for admin in ["admin", "security", "auditor", "department"] {
        let token = app.token(admin).await;
        let (status, _) = app
            .api_get(&token, &format!("/api/v1/members/{own_id}"))
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{admin} reads no member records"
        );
        let (status, _) = app
            .api_post(
                &token,
                "/api/v1/members",
                &member_body("越权", "19850304", "026"),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{admin} writes no member records"
        );
    }

    // A department handler sees only their own department.
    let dept_token = app.token("department").await;
    let (status, depts) = app.api_get(&dept_token, "/api/v1/departments").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(depts["total"], 1);
}
dual_test!(roles_see_only_what_they_may_t, roles_see_only_what_they_may);

async fn a_member_reads_their_own_duty_file(mut app: TestApp) {
    app.login("member").await;
    // Her first page links her duty file.
    let (_, home) = app.get_html("/").await;
    let start = home
        .find("href=\"/members/")
        .expect("a link to the duty file")
        + 6;
    let own = home[start..start + home[start..].find('"').unwrap()].to_string();
    assert!(
        own.starts_with("/members/"),
        "a member's first page links their duty file: {own}"
    );
    // One year at a time: the year she registered.
    let (status, html) = app.get_html(&format!("{own}?year=2011")).await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "孟爱云",
        "第一委员小组",
        "孙八砦社区",
        "长江路街道政协工委",
        "2011-01-10",
        "登记为委员",
        "139****0001",
    ] {
        assert!(html.contains(expected), "duty file shows {expected}");
    }
    assert!(!html.contains("13903710001"), "the phone number is masked");
    assert!(!html.contains("/edit"), "a member cannot edit their record");
}
dual_test!(
    a_member_reads_their_own_duty_file_t,
    a_member_reads_their_own_duty_file
);
