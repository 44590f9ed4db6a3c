//! Key projects (重点项目): the demo's 2011 figures reproduce the seed's,
//! through the API and the pages; an update changes the figures; refusals
//! name the field in Chinese and change nothing; who may read and write.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use lvzhi::domain::roles::Role;
use lvzhi::services::orgs::OrgInput;
use lvzhi::services::users::{Creator, UserInput};

use crate::dual_test;
use crate::helpers::{cipher, TestApp};

const WANDA: &str = "二七万达广场";
const GAOZHAI: &str = "高砦城中村改造";

async fn project_id(app: &TestApp, name: &str) -> i64 {
    lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM projects WHERE name = $1")
        .bind(name).fetch_one(pool).await)
    .unwrap()
}

/// Row counts of every table a refused request must leave alone.
async fn counts(app: &TestApp) -> Vec<i64> {
    let mut all = Vec::new();
    for table in ["projects", "project_updates", "audit_log"] {
        all.push(app.count(table).await);
    }
    all
}

fn item<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .and_then(|items| items.iter().find(|p| p["project_name"] == name))
        .unwrap_or_else(|| panic!("{name} not in {list}"))
}

/// The message of the first error on `field`.
fn message(answer: &Value, field: &str) -> String {
    answer["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|e| e["field"] == field))
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .unwrap_or_else(|| panic!("no error on {field}: {answer}"))
}

fn code(answer: &Value, field: &str) -> String {
    answer["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|e| e["field"] == field))
        .map(|e| e["code"].as_str().unwrap_or_default().to_string())
        .unwrap_or_else(|| panic!("no error on {field}: {answer}"))
}

const WANDA_WORDS: &str = "二七万达广场：年度目标13亿元，已完成投资16亿元，超额完成23%";
const GAOZHAI_WORDS: &str =
    "高砦城中村改造：应补偿438户，已补偿394户（约90%），已拆除347户（约79%）";

async fn the_demo_figures_reproduce_the_seed(mut app: TestApp) {
    let staff = app.token("staff").await;
    // Without a year: the latest year that has projects, 2011.
    let (status, f) = app.api_get(&staff, "/api/v1/projects/figures").await;
    assert_eq!(status, StatusCode::OK, "{f}");
    assert_eq!(f["year"], 2011);
    assert_eq!(f["org_name"], "长江路街道政协工委");
    assert_eq!(
        (
            f["total"].as_i64(),
            f["key"].as_i64(),
            f["self_set"].as_i64()
        ),
        (Some(11), Some(7), Some(4))
    );
    let by_status = |s: &str| {
        f["by_status"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["status"] == s)
            .map(|c| c["count"].as_i64().unwrap())
            .unwrap()
    };
    assert_eq!(by_status("under_construction"), 3);
    assert_eq!(by_status("continuing"), 3);
    assert_eq!(by_status("preparing") + by_status("completed"), 5);
    let summary = f["summary"].as_str().unwrap();
    assert!(summary.contains("重点项目7个，自定项目4个"), "{summary}");
    assert!(summary.contains("动工在建3个，续建3个"), "{summary}");

    let wanda = item(&f["projects"], WANDA);
    assert_eq!(wanda["total_investment"], 4_000_000_000i64);
    assert_eq!(wanda["annual_target"], 1_300_000_000i64);
    assert_eq!(wanda["figures"]["invested"], 1_600_000_000i64);
    assert_eq!(
        wanda["figures"]["progress"],
        json!({"kind": "exceeded", "pct": 23})
    );
    assert_eq!(wanda["figures"]["progress_text"], "超额完成23%");
    assert_eq!(wanda["figures"]["sentences"][0], WANDA_WORDS);
    let gaozhai = item(&f["projects"], GAOZHAI);
    assert_eq!(gaozhai["households"], 438);
    assert_eq!(gaozhai["figures"]["compensated"], 394);
    assert_eq!(gaozhai["figures"]["demolished"], 347);
    assert_eq!(
        gaozhai["figures"]["compensated_share"],
        json!({"pct": 90, "exact": false})
    );
    assert_eq!(
        gaozhai["figures"]["demolished_share"],
        json!({"pct": 79, "exact": false})
    );
    assert_eq!(gaozhai["figures"]["sentences"][0], GAOZHAI_WORDS);
    let fuhua = item(&f["projects"], "富华花苑二期");
    assert_eq!(fuhua["annual_target"], 20_000_000i64);

    // The list filters; the project reads with its updates, oldest first.
    let (status, list) = app
        .api_get(
            &staff,
            "/api/v1/projects?year=2011&kind=key&status=under_construction",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 3);
    let id = project_id(&app, WANDA).await;
    let (status, d) = app.api_get(&staff, &format!("/api/v1/projects/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let invested: Vec<i64> = d["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["invested"].as_i64().unwrap())
        .collect();
    assert_eq!(invested, [700_000_000, 1_600_000_000]);

    // The pages say the same in words.
    app.login("staff").await;
    let (status, html) = app.get_html("/projects?year=2011").await;
    assert_eq!(status, StatusCode::OK);
    for words in [
        WANDA_WORDS,
        GAOZHAI_WORDS,
        "重点项目7个，自定项目4个",
        "动工在建",
    ] {
        assert!(html.contains(words), "{words} on /projects");
    }
    assert!(
        html.contains("href=\"/projects\""),
        "the staff nav links the projects"
    );
    let (status, html) = app.get_html(&format!("/projects/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(WANDA_WORDS));
    assert!(html.contains("完成投资7亿元") && html.contains("完成投资16亿元"));
    assert!(html.contains("40亿元"));

    // Loading the demo again changes nothing.
    let before = counts(&app).await;
    lvzhi::demo::load(&app.db, &cipher()).await.unwrap();
    assert_eq!(counts(&app).await, before);
}

dual_test!(
    the_demo_figures_reproduce_the_seed_t,
    the_demo_figures_reproduce_the_seed
);

async fn an_update_changes_the_figures(mut app: TestApp) {
    let staff = app.token("staff").await;
    let id = project_id(&app, GAOZHAI).await;
    let path = format!("/api/v1/projects/{id}");
    let (_, d) = app.api_get(&staff, &path).await;
    let version = d["version"].as_i64().unwrap();
    let audits = app.audit_count("project_update").await;

    let (status, d) = app
        .api_post(
            &staff,
            &format!("{path}/updates"),
            &json!({"on": "2011-12-31", "compensated": 420, "demolished": 400, "version": version}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(d["version"], version + 1);
    assert_eq!(d["updates"].as_array().unwrap().len(), 3);
    assert_eq!(
        d["figures"]["sentences"][0],
        "高砦城中村改造：应补偿438户，已补偿420户（约96%），已拆除400户（约91%）"
    );
    assert_eq!(app.audit_count("project_update").await, audits + 1);
    let (_, f) = app
        .api_get(&staff, "/api/v1/projects/figures?year=2011")
        .await;
    assert_eq!(item(&f["projects"], GAOZHAI)["figures"]["compensated"], 420);

    // A new project, entered and edited with the version read.
    let (status, p) = app
        .api_post(
            &staff,
            "/api/v1/projects",
            &json!({"year": 2011, "project_name": "航海路立交桥", "kind": "key",
                    "status": "preparing", "total_investment": "3.5亿", "annual_target": "1亿"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["total_investment"], 350_000_000i64);
    let new_id = p["id"].as_i64().unwrap();
    let (status, p) = app
        .api_send(
            Method::PUT,
            &staff,
            &format!("/api/v1/projects/{new_id}"),
            &json!({"year": 2011, "project_name": "航海路立交桥", "kind": "key",
                    "status": "under_construction", "total_investment": "3.5亿",
                    "annual_target": "1亿", "version": p["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["status"], "under_construction");
    let (_, f) = app
        .api_get(&staff, "/api/v1/projects/figures?year=2011")
        .await;
    assert_eq!(
        (f["total"].as_i64(), f["key"].as_i64()),
        (Some(12), Some(8))
    );
    let short = item(&f["projects"], "航海路立交桥");
    assert!(short["figures"]["invested"].is_null());

    // Through the page: the update form records, then shows it on the timeline.
    app.login("staff").await;
    let (_, d) = app
        .api_get(&staff, &format!("/api/v1/projects/{new_id}"))
        .await;
    let version = d["version"].as_i64().unwrap().to_string();
    let r = app
        .post_form(
            &format!("/projects/{new_id}/updates"),
            &[
                ("on", "2011-12-31"),
                ("invested", "8500万"),
                ("note", ""),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html(&format!("/projects/{new_id}")).await;
    assert!(
        html.contains("完成投资8500万元"),
        "the timeline shows the update"
    );
    assert!(html.contains("航海路立交桥：年度目标1亿元，已完成投资8500万元，完成年度目标的85%"));

    // The edit form saves and says so.
    let r = app
        .post_form(
            &format!("/projects/{new_id}"),
            &[
                ("org_id", ""),
                ("year", "2011"),
                ("project_name", "航海路立交桥"),
                ("kind", "key"),
                ("status", "continuing"),
                ("total_investment", "350000000"),
                ("annual_target", "1亿"),
                ("households", ""),
                ("notes", "跨线桥"),
                (
                    "version",
                    &(version.parse::<i64>().unwrap() + 1).to_string(),
                ),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, d) = app
        .api_get(&staff, &format!("/api/v1/projects/{new_id}"))
        .await;
    assert_eq!(
        (d["status"].as_str(), d["notes"].as_str()),
        (Some("continuing"), Some("跨线桥"))
    );
}

dual_test!(
    an_update_changes_the_figures_t,
    an_update_changes_the_figures
);

async fn refusals_change_nothing_and_name_the_field(mut app: TestApp) {
    let staff = app.token("staff").await;
    let id = project_id(&app, GAOZHAI).await;
    let wanda = project_id(&app, WANDA).await;
    let (_, d) = app.api_get(&staff, &format!("/api/v1/projects/{id}")).await;
    let version = d["version"].as_i64().unwrap();
    let (_, w) = app
        .api_get(&staff, &format!("/api/v1/projects/{wanda}"))
        .await;
    let wanda_version = w["version"].as_i64().unwrap();
    let before = counts(&app).await;
    let updates = |p: i64| format!("/api/v1/projects/{p}/updates");

    // Bad money.
    let (status, e) = app
        .api_post(
            &staff,
            &updates(wanda),
            &json!({"on": "2011-12-31", "invested": "十六亿", "version": wanda_version}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(code(&e, "invested"), "money_format");
    assert!(message(&e, "invested").starts_with("完成投资"), "{e}");
    // Investment going down without a correction note.
    let (status, e) = app
        .api_post(
            &staff,
            &updates(wanda),
            &json!({"on": "2011-12-31", "invested": "15亿", "version": wanda_version}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(code(&e, "invested"), "project_invested_down");
    assert!(message(&e, "invested").contains("16亿元"), "{e}");
    // Demolished beyond compensated.
    let (status, e) = app
        .api_post(
            &staff,
            &updates(id),
            &json!({"on": "2011-12-31", "compensated": 400, "demolished": 401, "version": version}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(
        code(&e, "demolished"),
        "project_demolished_over_compensated"
    );
    assert!(message(&e, "demolished").contains("已拆除户数"), "{e}");
    assert!(message(&e, "demolished").contains("400"), "{e}");
    // Beyond the total.
    let (status, e) = app
        .api_post(
            &staff,
            &updates(id),
            &json!({"on": "2011-12-31", "compensated": 439, "version": version}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(code(&e, "compensated"), "project_households_over_total");
    // Dated before the last update, or outside the project's year, or in the future.
    for (on, expected) in [
        ("2011-12-30", "project_update_before_last"),
        ("2012-01-05", "project_update_year"),
        ("2999-01-01", "date_in_future"),
        ("2011-13-01", "date_format"),
    ] {
        let (status, e) = app
            .api_post(
                &staff,
                &updates(id),
                &json!({"on": on, "compensated": 400, "version": version}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{on}: {e}");
        assert_eq!(code(&e, "on"), expected, "{on}");
        assert!(message(&e, "on").starts_with("日期"), "{e}");
    }
    // No figure at all.
    let (status, e) = app
        .api_post(
            &staff,
            &updates(id),
            &json!({"on": "2011-12-31", "note": "无", "version": version}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(code(&e, "invested"), "project_update_empty");
    // A stale version: 409, for an update and an edit.
    let (status, e) = app
        .api_post(
            &staff,
            &updates(id),
            &json!({"on": "2011-12-31", "compensated": 400, "version": version - 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"], "stale_version");
    let edit = json!({"year": 2011, "project_name": GAOZHAI, "kind": "key", "status": "completed",
                      "households": 438, "version": version - 1});
    let (status, e) = app
        .api_send(
            Method::PUT,
            &staff,
            &format!("/api/v1/projects/{id}"),
            &edit,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    // An edit may not leave reported households beyond the total, nor move
    // a project with updates to another year.
    let edit = json!({"year": 2012, "project_name": GAOZHAI, "kind": "key", "status": "under_construction",
                      "households": 390, "version": version});
    let (status, e) = app
        .api_send(
            Method::PUT,
            &staff,
            &format!("/api/v1/projects/{id}"),
            &edit,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(code(&e, "households"), "project_households_below_reported");
    assert!(message(&e, "households").contains("394"), "{e}");
    assert_eq!(code(&e, "year"), "project_year_has_updates");
    // Bad project fields, and a name the committee already has that year.
    let (status, e) = app
        .api_post(
            &staff,
            "/api/v1/projects",
            &json!({"year": 1999, "project_name": " ", "kind": "big", "status": "", "total_investment": "-5",
                    "households": "1.5"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    for (field, expected) in [
        ("year", "year_range"),
        ("project_name", "required"),
        ("kind", "invalid_choice"),
        ("status", "required"),
        ("total_investment", "money_format"),
        ("households", "households_range"),
    ] {
        assert_eq!(code(&e, field), expected, "{field}: {e}");
    }
    assert!(message(&e, "project_name").starts_with("项目名称"), "{e}");
    assert!(message(&e, "total_investment").starts_with("总投资"), "{e}");
    let (status, e) = app
        .api_post(
            &staff,
            "/api/v1/projects",
            &json!({"year": 2011, "project_name": WANDA, "kind": "key", "status": "continuing"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(code(&e, "project_name"), "project_name_taken");
    assert_eq!(counts(&app).await, before, "nothing was written");

    // The page refuses with the message beside the field and keeps what was typed.
    app.login("staff").await;
    let before = counts(&app).await;
    let r = app
        .post_form(
            &format!("/projects/{id}/updates"),
            &[
                ("on", "2011-12-31"),
                ("compensated", "400"),
                ("demolished", "401"),
                ("version", &version.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("超过已兑付的 400 户"), "the message is shown");
    assert!(html.contains("value=\"401\""), "the input is kept");
    let r = app
        .post_form(
            &format!("/projects/{id}/updates"),
            &[
                ("on", "2011-12-31"),
                ("compensated", "400"),
                ("version", &(version - 1).to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("value=\"400\""),
        "the input is kept on a conflict"
    );
    assert!(
        html.contains(&format!("name=\"version\" value=\"{version}\"")),
        "with the current version"
    );
    let r = app
        .post_form(
            "/projects",
            &[
                ("year", "2011"),
                ("project_name", "新项目"),
                ("kind", "key"),
                ("status", "preparing"),
                ("annual_target", "13亿亿"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("应为金额"), "the money message");
    assert!(html.contains("value=\"新项目\""));
    assert_eq!(
        counts(&app).await,
        before,
        "nothing was written by the pages"
    );
}

dual_test!(
    refusals_change_nothing_and_name_the_field_t,
    refusals_change_nothing_and_name_the_field
);

async fn another_committee(app: &TestApp) -> i64 {
    let admin_id = lvzhi::storage::users::find_by_username(&app.db, "admin")
        .await
        .unwrap()
        .unwrap()
        .id;
    let admin = lvzhi::services::auth::actor_for_user(&app.db, admin_id, None)
        .await
        .unwrap()
        .unwrap();
    let district = app.group_id("二七区政协").await;
    let org = lvzhi::services::orgs::create(
        &app.db,
        &admin,
        &OrgInput {
            name: "建设路街道政协工委".into(),
            kind: "subdistrict".into(),
            parent_id: Some(district.to_string()),
            community_id: None,
        },
    )
    .await
    .unwrap();
    let input = UserInput {
        username: "jianshe".into(),
        display_name: "建设路 工作人员".into(),
        org_id: Some(org.id.to_string()),
        password: Some("Other-Committee-2026".into()),
        ..Default::default()
    };
    lvzhi::services::users::create(&app.db, Creator::Cli, &input, Some(Role::Staff))
        .await
        .unwrap();
    org.id
}

async fn who_may_read_and_write(mut app: TestApp) {
    let id = project_id(&app, WANDA).await;
    let path = format!("/api/v1/projects/{id}");
    let before = counts(&app).await;

    // A member of the committee reads its projects and figures, and writes nothing.
    let member = app.token("member").await;
    let (status, list) = app.api_get(&member, "/api/v1/projects?year=2011").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 11);
    let (status, f) = app
        .api_get(&member, "/api/v1/projects/figures?year=2011")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        item(&f["projects"], WANDA)["figures"]["sentences"][0],
        WANDA_WORDS
    );
    let (status, _) = app.api_get(&member, &path).await;
    assert_eq!(status, StatusCode::OK);
    let body = json!({"year": 2011, "project_name": "x", "kind": "key", "status": "preparing", "version": 1});
    let (status, _) = app.api_post(&member, "/api/v1/projects", &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.api_send(Method::PUT, &member, &path, &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .api_post(
            &member,
            &format!("{path}/updates"),
            &json!({"invested": "20亿", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Roles without projects: 403.
    for who in ["department", "admin", "auditor"] {
        let token = app.token(who).await;
        let (status, _) = app.api_get(&token, "/api/v1/projects").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }

    // Staff of another committee: not found, and their list is their own.
    let other = another_committee(&app).await;
    let jianshe = app.token("jianshe").await;
    let (status, _) = app.api_get(&jianshe, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .api_post(
            &jianshe,
            &format!("{path}/updates"),
            &json!({"invested": "20亿", "version": 9}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, list) = app.api_get(&jianshe, "/api/v1/projects?year=2011").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 0);
    let changjiang = project_org(&app, id).await;
    let (status, e) = app
        .api_get(&jianshe, &format!("/api/v1/projects?org={changjiang}"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    let (status, e) = app
        .api_post(&jianshe, "/api/v1/projects", &json!({"org_id": changjiang, "year": 2011, "project_name": "y", "kind": "key", "status": "preparing"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(code(&e, "org_id"), "unknown_org");
    // A member may not ask for another committee.
    let (status, _) = app
        .api_get(&member, &format!("/api/v1/projects?org={other}"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(counts(&app).await[..2], before[..2], "nothing was written");

    // The pages: a member reads, without the forms; the forms are staff's.
    app.login("member").await;
    let (status, html) = app.get_html("/projects?year=2011").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(GAOZHAI_WORDS));
    assert!(!html.contains("/projects/new"));
    let (status, html) = app.get_html(&format!("/projects/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("update-form"));
    let (status, _) = app.get_html("/projects/new").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn project_org(app: &TestApp, id: i64) -> i64 {
    lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT org_id FROM projects WHERE id = $1")
        .bind(id).fetch_one(pool).await)
    .unwrap()
}

dual_test!(who_may_read_and_write_t, who_may_read_and_write);
