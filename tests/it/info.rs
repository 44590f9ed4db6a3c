//! Information reports (社情民意信息 / 政协工作信息): the lifecycle through the
//! API and the pages, who sees what, every refusal with its message, the body
//! limit (default and configured), audit rows, duty-file entries, and the
//! quarterly figures computed from the demo records.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use lvzhi::domain::roles::Role;
use lvzhi::services::orgs::OrgInput;
use lvzhi::services::users::{Creator, UserInput};

use crate::dual_test;
use crate::helpers::{ok_step, spawn_app_configured, step, Record::InfoReport, TestApp};

async fn member_id(app: &TestApp, name: &str) -> i64 {
    lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM members WHERE name = $1")
        .bind(name).fetch_one(pool).await)
    .unwrap()
}

async fn timeline_count(app: &TestApp, member: i64, kind: &str) -> i64 {
    lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM timeline_entries WHERE member_id = $1 AND kind = $2")
        .bind(member).bind(kind).fetch_one(pool).await)
    .unwrap()
}

async fn search_changes(app: &TestApp, id: i64) -> i64 {
    lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM search_changes WHERE kind = 'info' AND object_id = $1")
        .bind(id).fetch_one(pool).await)
    .unwrap()
}

async fn report_by_title(app: &TestApp, title: &str) -> i64 {
    lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM info_reports WHERE title = $1")
        .bind(title).fetch_one(pool).await)
    .unwrap()
}

/// Row counts of every table a refused request must leave alone.
async fn counts(app: &TestApp) -> Vec<i64> {
    let mut all = Vec::new();
    for table in [
        "info_reports",
        "info_events",
        "info_adoptions",
        "info_instructions",
        "timeline_entries",
        "audit_log",
        "search_changes",
    ] {
        all.push(app.count(table).await);
    }
    all
}

fn report(kind: &str, headline: &str, text: &str) -> Value {
    json!({ "kind": kind, "headline": headline, "text": text })
}

async fn submit(app: &TestApp, token: &str, body: &Value) -> Value {
    let (status, created) = app.api_post(token, "/api/v1/info-reports", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
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

async fn every_step_is_recorded_through_the_api(app: TestApp) {
    let member = app.token("member").await;
    let staff = app.token("staff").await;
    let meng = member_id(&app, "孟爱云").await;
    let submitted_before = timeline_count(&app, meng, "info_submitted").await;
    let (creates, updates, steps) = (
        app.audit_count("create").await,
        app.audit_count("update").await,
        app.audit_count("info_step").await,
    );

    // The member submits her own: she is the author, whatever the body says.
    let mut body = report(
        "social_condition",
        "高砦安置区公交站点设置建议",
        "安置区回迁后居民出行不便，建议增设公交站点。",
    );
    body["author_member_id"] = json!(member_id(&app, "孙郑华").await);
    let r = submit(&app, &member, &body).await;
    // "Today" is the committee's (its time zone), as the server dates steps.
    let today = lvzhi::app::clock::today().to_string();
    let id = r["id"].as_i64().unwrap();
    assert_eq!(r["status"], "submitted");
    assert_eq!(r["author_member_id"], meng);
    assert_eq!(r["author_name"], "孟爱云");
    assert_eq!(r["submitted_on"], today.as_str());
    assert_eq!(app.audit_count("create").await, creates + 1);
    assert_eq!(
        timeline_count(&app, meng, "info_submitted").await,
        submitted_before + 1
    );

    // The author revises it while submitted; it stays submitted.
    let mut revised = report(
        "social_condition",
        "高砦安置区公交站点设置的建议",
        "安置区回迁后居民出行不便，建议在安置区东门增设公交站点。",
    );
    revised["version"] = r["version"].clone();
    let path = format!("/api/v1/info-reports/{id}");
    let (status, r) = app.api_send(Method::PUT, &member, &path, &revised).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "submitted");
    assert_eq!(r["headline"], "高砦安置区公交站点设置的建议");

    // Staff edit: it becomes edited, dated.
    let mut edit = revised.clone();
    edit["text"] =
        json!("高砦安置区回迁后，居民出行不便。建议在安置区东门增设公交站点，并延长末班车时间。");
    edit["version"] = r["version"].clone();
    // Not before the previous step (the author's revision, today).
    edit["on"] = json!("2012-07-04");
    let (status, answer) = app.api_send(Method::PUT, &staff, &path, &edit).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&answer, "on"), "info_date_before_last_step");
    edit["on"] = json!(today);
    let (status, r) = app.api_send(Method::PUT, &staff, &path, &edit).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "edited");
    assert_eq!(r["edited_on"], today.as_str());
    assert_eq!(app.audit_count("update").await, updates + 2);

    // Now the author can neither change nor withdraw it.
    let mut late = revised.clone();
    late["version"] = r["version"].clone();
    let (status, answer) = app.api_send(Method::PUT, &member, &path, &late).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&answer, "action"), "info_author_edit_submitted");
    let (status, answer) = step(&app, &member, InfoReport(&r), json!({"action": "withdraw"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&answer, "action"), "info_cannot_withdraw");
    // Forwarding is not the author's step.
    let (status, _) = step(&app, &member, InfoReport(&r), json!({"action": "forward"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Forwarded to the district committee above by default.
    let r = ok_step(&app, &staff, InfoReport(&r), json!({"action": "forward"})).await;
    assert_eq!(r["status"], "forwarded");
    assert_eq!(r["forwarded_on"], today.as_str());
    assert_eq!(r["forwarded_to"], "二七区政协");

    // Adopted by 区, then by 市 with where it was published; a 批示.
    let r = ok_step(
        &app,
        &staff,
        InfoReport(&r),
        json!({"action": "adopt", "level": "district", "publication": "《二七政协信息》2012年第15期"}),
    )
    .await;
    assert_eq!(r["status"], "adopted");
    let r = ok_step(
        &app,
        &staff,
        InfoReport(&r),
        json!({"action": "instruct", "leader": "区委副书记", "content": "请区交通部门研究落实。"}),
    )
    .await;
    let r = ok_step(
        &app,
        &staff,
        InfoReport(&r),
        json!({"action": "adopt", "level": "city", "publication": "《郑州政协信息》2012年第20期"}),
    )
    .await;
    assert_eq!(r["status"], "adopted");
    assert_eq!(app.audit_count("info_step").await, steps + 4);
    assert_eq!(timeline_count(&app, meng, "info_adopted").await, 2);
    assert_eq!(timeline_count(&app, meng, "info_instructed").await, 1);
    // Every create, edit and step noted for the search index.
    assert_eq!(search_changes(&app, id).await, 7);

    // The detail: adoptions, instructions and the dated timeline.
    let (status, d) = app.api_get(&member, &path).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let levels: Vec<&str> = d["adoptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["district", "city"]);
    assert_eq!(
        d["adoptions"][1]["publication"],
        "《郑州政协信息》2012年第20期"
    );
    assert_eq!(d["instructions"][0]["leader"], "区委副书记");
    assert_eq!(d["instructions"][0]["instructed_on"], today.as_str());
    let actions: Vec<&str> = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["submit", "edit", "edit", "forward", "adopt", "instruct", "adopt"]
    );
    assert!(d["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["occurred_on"] == today.as_str() && e["username"].is_string()));
    // The timeline is append-only on both engines.
    let tampered = lvzhi::on_db!(&app.db, pool => sqlx::query("UPDATE info_events SET note = 'x' WHERE report_id = $1")
        .bind(id).execute(pool).await.map(|_| ()));
    assert!(tampered.is_err());

    // The duty file shows the entries, in the member's language.
    let (status, timeline) = app
        .api_get(&member, &format!("/api/v1/members/{meng}/timeline"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let kinds: Vec<String> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["object_type"] == "info_report" && e["object_id"] == id)
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    for kind in ["info_submitted", "info_adopted", "info_instructed"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind}: {kinds:?}");
    }
}
dual_test!(
    every_step_is_recorded_through_the_api_t,
    every_step_is_recorded_through_the_api
);

async fn the_pages_take_every_step_and_keep_input_on_refusal(mut app: TestApp) {
    app.login("staff").await;
    let (status, html) = app.get_html("/info/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("王建国") && html.contains("1500"),
        "the author choice and the limit"
    );
    let wang = member_id(&app, "王建国").await.to_string();
    let r = app
        .post_form(
            "/info",
            &[
                ("kind", "work"),
                ("headline", "委员之家接待日工作做法"),
                ("text", "每月15日委员轮流接待群众。"),
                ("author_member_id", &wang),
                ("submitted_on", "2012-07-03"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let id = report_by_title(&app, "委员之家接待日工作做法").await;
    assert_eq!(location, format!("/info/{id}"));
    let (status, html) = app.get_html(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("政协工作信息") && html.contains("已提交") && html.contains("王建国"));

    // Edit on the page.
    let (_, form) = app.get_html(&format!("/info/{id}/edit")).await;
    assert!(form.contains("name=\"version\" value=\"1\""));
    let r = app
        .post_form(
            &location,
            &[
                ("kind", "work"),
                ("headline", "委员之家接待日的工作做法"),
                ("text", "每月15日委员轮流在委员之家接待群众，事事有回音。"),
                ("version", "1"),
                ("on", "2012-07-04"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // A refused step: the page says why, naming the field, and keeps the input.
    let steps = format!("/info/{id}/steps");
    let r = app
        .post_form(
            &steps,
            &[
                ("action", "adopt"),
                ("version", "2"),
                ("publication", "《二七政协信息》"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("该信息尚未上报"), "{html}");
    assert!(html.contains("value=\"《二七政协信息》\""));
    let r = app
        .post_form(
            &steps,
            &[
                ("action", "forward"),
                ("version", "2"),
                ("on", "2012-07-05"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            &steps,
            &[("action", "adopt"), ("version", "3"), ("on", "2012-07-06")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("采用级别：请选择采用级别"));
    // A stale version: 409, the typed values kept.
    let r = app
        .post_form(
            &steps,
            &[
                ("action", "adopt"),
                ("version", "2"),
                ("level", "city"),
                ("publication", "《郑州政协信息》"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("已被他人修改") && html.contains("value=\"《郑州政协信息》\""));
    let r = app
        .post_form(
            &steps,
            &[
                ("action", "adopt"),
                ("version", "3"),
                ("level", "city"),
                ("on", "2012-07-20"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html(&location).await;
    assert!(
        html.contains("已采用")
            && html.contains("采用情况")
            && html.contains("<strong>市</strong>")
    );

    // The list filters on the server and pages.
    let (status, html) = app.get_html("/info?kind=work&status=adopted").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("委员之家接待日的工作做法"));
    assert!(!html.contains("孙八砦城中村改造群众关注安置房建设进度"));
    let (_, html) = app.get_html("/info?from=2011-01-01&to=2011-03-31").await;
    assert!(html.contains("孙八砦城中村改造群众关注安置房建设进度"));
    assert!(!html.contains("委员之家接待日的工作做法"));
    let (_, html) = app.get_html("/info?per_page=5&page=2").await;
    assert!(html.contains("2 / 4"), "18 reports, 5 a page");
    let (status, _) = app.get_html("/info?kind=rumour").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, html) = app.get_html("/info/figures?year=2011").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("第 3 季度") && html.contains("未完成"));

    // The member: her own list, a report submitted and withdrawn on the pages.
    app.login("member").await;
    let (status, html) = app.get_html("/info").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("推动创文志愿服务常态化的建议"));
    assert!(!html.contains("委员之家接待日的工作做法"));
    assert!(html.contains("href=\"/info\""), "the navigation entry");
    let r = app
        .post_form(
            "/info",
            &[
                ("kind", "social_condition"),
                ("headline", "  "),
                ("text", "正文"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("标题：不能为空") && html.contains(">正文</textarea>"));
    let r = app
        .post_form(
            "/info",
            &[
                ("kind", "social_condition"),
                ("headline", "小区停车难"),
                ("text", "建议错时共享停车位。"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mine = report_by_title(&app, "小区停车难").await;
    let (_, html) = app.get_html(&format!("/info/{mine}")).await;
    assert!(html.contains("value=\"withdraw\"") && !html.contains("value=\"forward\""));
    // Withdrawing ends the report: the form asks first, and nothing changes
    // until the box is ticked.
    let r = app
        .post_form(
            &format!("/info/{mine}/steps"),
            &[("action", "withdraw"), ("version", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("请先勾选确认"), "{html}");
    let (_, html) = app.get_html(&format!("/info/{mine}")).await;
    assert!(!html.contains("已撤回"));
    let r = app
        .post_form(
            &format!("/info/{mine}/steps"),
            &[("action", "withdraw"), ("version", "1"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html(&format!("/info/{mine}")).await;
    assert!(html.contains("已撤回"));
    let (status, _) = app.get_html(&format!("/info/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another member's report");
    let (status, _) = app.get_html("/info/figures").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
dual_test!(
    the_pages_take_every_step_and_keep_input_on_refusal_t,
    the_pages_take_every_step_and_keep_input_on_refusal
);

/// A second sub-district committee beside the demo one, with its own staff
/// account `jianshe`.
async fn second_committee(app: &TestApp) {
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
}

async fn each_sees_only_what_is_theirs(app: TestApp) {
    let member = app.token("member").await;
    let meng = member_id(&app, "孟爱云").await;
    let before = counts(&app).await;

    // The member's list: her own reports only, all of them.
    let (status, list) = app
        .api_get(&member, "/api/v1/info-reports?per_page=200")
        .await;
    assert_eq!(status, StatusCode::OK);
    let own: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM info_reports WHERE author_member_id = $1").bind(meng).fetch_one(pool).await)
    .unwrap();
    assert!(own >= 3);
    assert_eq!(list["total"], own);
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["author_member_id"] == meng));

    // Another member's report: not found, whatever the method.
    let other = report_by_title(&app, "孙八砦城中村改造群众关注安置房建设进度").await;
    let path = format!("/api/v1/info-reports/{other}");
    let (status, _) = app.api_get(&member, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let mut edit = report("social_condition", "改", "改");
    edit["version"] = json!(1);
    let (status, _) = app.api_send(Method::PUT, &member, &path, &edit).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .api_post(
            &member,
            &format!("{path}/steps"),
            &json!({"action": "withdraw", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.api_get(&member, "/api/v1/info-reports/figures").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Roles without information reports: 403.
    for role in ["department", "admin", "security", "auditor"] {
        let token = app.token(role).await;
        let (status, _) = app.api_get(&token, "/api/v1/info-reports").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
        let (status, _) = app.api_get(&token, &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
        let (status, _) = app
            .api_post(&token, "/api/v1/info-reports", &report("work", "x", "y"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
    }

    // Another committee's staff: the demo's reports do not exist for them.
    second_committee(&app).await;
    let jianshe = app.token("jianshe").await;
    let (status, _) = app.api_get(&jianshe, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.api_get(&jianshe, "/api/v1/info-reports/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, list) = app.api_get(&jianshe, "/api/v1/info-reports").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 0);
    let (status, _) = app
        .api_post(
            &jianshe,
            &format!("{path}/steps"),
            &json!({"action": "forward", "version": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let mut for_demo_member = report("social_condition", "越权报送", "正文");
    for_demo_member["author_member_id"] = json!(meng);
    let (status, answer) = app
        .api_post(&jianshe, "/api/v1/info-reports", &for_demo_member)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&answer, "author_member_id"), "unknown_member");
    assert_eq!(counts(&app).await[..4], before[..4], "nothing written");

    // The demo staff submit the committee's own report: no duty-file entry.
    let staff = app.token("staff").await;
    let entries = app.count("timeline_entries").await;
    let r = submit(
        &app,
        &staff,
        &report("work", "工委自身信息", "工委报送的工作信息。"),
    )
    .await;
    assert_eq!(r["author_member_id"], Value::Null);
    assert_eq!(app.count("timeline_entries").await, entries);
}
dual_test!(
    each_sees_only_what_is_theirs_t,
    each_sees_only_what_is_theirs
);

async fn bad_input_is_refused_with_clear_messages_and_changes_nothing(app: TestApp) {
    let staff = app.token("staff").await;
    let r = submit(
        &app,
        &staff,
        &report("social_condition", "待办信息", "正文。"),
    )
    .await;
    let before = counts(&app).await;
    let create = |body: Value| {
        let app = &app;
        let staff = staff.clone();
        async move { app.api_post(&staff, "/api/v1/info-reports", &body).await }
    };

    let (status, a) = create(report("social_condition", "", "正文")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(message(&a, "headline"), "标题：不能为空");
    let (status, a) = create(report("social_condition", "标题", "  ")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(message(&a, "text"), "正文：不能为空");
    let (status, a) = create(report("social_condition", "标题", &"字".repeat(1501))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        message(&a, "text"),
        "正文：不能超过 1500 个字（现有 1501 个字），请删减后再提交"
    );
    let (status, a) = create(report("rumour", "标题", "正文")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(message(&a, "kind"), "类别：不是有效的选项");
    let (status, a) = create(json!({"headline": "标题", "text": "正文"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&a, "kind"), "required");
    let mut future = report("work", "标题", "正文");
    future["submitted_on"] = json!("2999-01-01");
    let (status, a) = create(future).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&a, "submitted_on"), "date_in_future");
    // All at once: every problem reported together.
    let (_, a) = create(json!({"kind": "x", "headline": "", "text": ""})).await;
    assert_eq!(a["fields"].as_array().unwrap().len(), 3, "{a}");
    // 1,500 characters of text (emoji included) are fine.
    let (status, fine) = create(report("work", "刚好", &format!("{}😀", "字".repeat(1499)))).await;
    assert_eq!(status, StatusCode::CREATED, "{fine}");
    assert_eq!(
        counts(&app).await[0],
        before[0] + 1,
        "only the valid one was written"
    );
    let before = counts(&app).await;

    // Steps.
    let refusals = [
        (
            json!({"action": "adopt", "level": "district"}),
            "action",
            "info_not_forwarded",
            "办理环节：该信息尚未上报，不能登记采用或批示",
        ),
        (
            json!({"action": "instruct", "leader": "区长", "content": "阅"}),
            "action",
            "info_not_forwarded",
            "",
        ),
        (json!({"action": "fly"}), "action", "invalid_choice", ""),
        (
            json!({"action": "edit"}),
            "action",
            "info_edit_is_not_a_step",
            "",
        ),
        (
            json!({"action": "forward", "on": "2999-01-01"}),
            "on",
            "date_in_future",
            "",
        ),
        (
            json!({"action": "forward", "on": "2000-01-01"}),
            "on",
            "info_date_before_last_step",
            "",
        ),
    ];
    for (body, field, expected, text) in refusals {
        let (status, a) = step(&app, &staff, InfoReport(&r), body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {a}");
        assert_eq!(code(&a, field), expected, "{body}");
        if !text.is_empty() {
            assert_eq!(message(&a, field), text);
        }
    }
    let path = format!("/api/v1/info-reports/{}/steps", r["id"]);
    let (status, a) = app
        .api_post(&staff, &path, &json!({"action": "forward"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&a, "version"), "version_required");
    // Staff do not withdraw a member's report.
    let (status, _) = step(&app, &staff, InfoReport(&r), json!({"action": "withdraw"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(counts(&app).await, before, "refused steps change nothing");

    let r = ok_step(
        &app,
        &staff,
        InfoReport(&r),
        json!({"action": "forward", "forwarded_to": "二七区政协"}),
    )
    .await;
    let before = counts(&app).await;
    for (body, field, expected) in [
        (
            json!({"action": "forward"}),
            "action",
            "info_cannot_forward",
        ),
        (
            json!({"action": "adopt", "level": "county"}),
            "level",
            "invalid_choice",
        ),
        (json!({"action": "adopt"}), "level", "info_level_required"),
        (
            json!({"action": "instruct", "content": "阅"}),
            "leader",
            "required",
        ),
        (
            json!({"action": "instruct", "leader": "区长"}),
            "content",
            "required",
        ),
    ] {
        let (status, a) = step(&app, &staff, InfoReport(&r), body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {a}");
        assert_eq!(code(&a, field), expected, "{body}");
    }
    let (_, a) = step(&app, &staff, InfoReport(&r), json!({"action": "adopt"})).await;
    assert_eq!(
        message(&a, "level"),
        "采用级别：请选择采用级别：区、市、省或全国"
    );
    let (_, a) = step(&app, &staff, InfoReport(&r), json!({"action": "instruct"})).await;
    assert_eq!(message(&a, "leader"), "批示领导：不能为空");
    assert_eq!(message(&a, "content"), "批示内容：不能为空");
    let mut edit = report("social_condition", "改", "改");
    edit["version"] = r["version"].clone();
    let (status, a) = app
        .api_send(
            Method::PUT,
            &staff,
            &format!("/api/v1/info-reports/{}", r["id"]),
            &edit,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&a, "action"), "info_cannot_edit");

    // A stale version: 409, nothing written.
    let mut stale = r.clone();
    stale["version"] = json!(r["version"].as_i64().unwrap() - 1);
    let (status, a) = step(
        &app,
        &staff,
        InfoReport(&stale),
        json!({"action": "adopt", "level": "district"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(a["error"], "stale_version");
    assert!(a["message"].as_str().unwrap().contains("已被他人修改"));
    assert_eq!(counts(&app).await, before, "refused steps change nothing");

    // Malformed ids and filters: 4xx, never 500.
    let (status, _) = app.api_get(&staff, "/api/v1/info-reports/abc").await;
    assert!(status.is_client_error());
    let (status, a) = app
        .api_get(&staff, "/api/v1/info-reports?status=lost")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{a}");
    let (status, _) = app
        .api_get(&staff, "/api/v1/info-reports/figures?year=1066")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
dual_test!(
    bad_input_is_refused_with_clear_messages_and_changes_nothing_t,
    bad_input_is_refused_with_clear_messages_and_changes_nothing
);

async fn a_configured_limit_applies_everywhere(app: TestApp) {
    let staff = app.token("staff").await;
    let member = app.token("member").await;
    let (status, r) = app
        .api_post(
            &member,
            "/api/v1/info-reports",
            &report("work", "短", &"😀".repeat(20)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (status, a) = app
        .api_post(
            &member,
            "/api/v1/info-reports",
            &report("work", "长", &"字".repeat(21)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        message(&a, "text"),
        "正文：不能超过 20 个字（现有 21 个字），请删减后再提交"
    );
    let mut edit = report("work", "短", &"字".repeat(21));
    edit["version"] = r["version"].clone();
    let (status, a) = app
        .api_send(
            Method::PUT,
            &staff,
            &format!("/api/v1/info-reports/{}", r["id"]),
            &edit,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&a, "text"), "info_body_too_long");
    let (_, stored) = app
        .api_get(&staff, &format!("/api/v1/info-reports/{}", r["id"]))
        .await;
    assert_eq!(stored["text"], "😀".repeat(20), "kept whole, never cut");
}

mod a_configured_limit_applies_everywhere_t {
    async fn app(backend: lvzhi::storage::Backend) -> crate::helpers::TestApp {
        super::spawn_app_configured(backend, true, |s| s.info_max_chars = 20).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_configured_limit_applies_everywhere(app(lvzhi::storage::Backend::Sqlite).await)
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if crate::helpers::postgres_skipped() {
            eprintln!("PostgreSQL side skipped (LVZHI_TEST_POSTGRES=skip)");
            return;
        }
        super::a_configured_limit_applies_everywhere(app(lvzhi::storage::Backend::Postgres).await)
            .await;
    }
}

/// What `demo/info.toml` says the figures of a year are, per quarter.
fn expected_from_toml(year: i32) -> Vec<Value> {
    use chrono::{Datelike, NaiveDate};
    let demo: toml::Value = toml::from_str(include_str!("../../demo/info.toml")).unwrap();
    let date =
        |v: &toml::Value| NaiveDate::parse_from_str(v.as_str().unwrap(), "%Y-%m-%d").unwrap();
    let mut q = vec![[0i64; 11]; 4];
    // submitted social, submitted work, withdrawn, forwarded social, forwarded work,
    // adopted district, city, province, national, instructions, (unused)
    for r in demo["reports"].as_array().unwrap() {
        let work = r["kind"].as_str() == Some("work");
        let slot = |d: NaiveDate| ((d.month() - 1) / 3) as usize;
        let submitted = date(&r["submitted_on"]);
        if submitted.year() == year {
            let i = if r.get("withdrawn_on").is_some() {
                2
            } else if work {
                1
            } else {
                0
            };
            q[slot(submitted)][i] += 1;
        }
        if let Some(f) = r.get("forwarded_on").map(date).filter(|d| d.year() == year) {
            q[slot(f)][if work { 4 } else { 3 }] += 1;
        }
        for a in r
            .get("adoptions")
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
        {
            let d = date(&a["on"]);
            if d.year() == year {
                let i = match a["level"].as_str().unwrap() {
                    "district" => 5,
                    "city" => 6,
                    "province" => 7,
                    _ => 8,
                };
                q[slot(d)][i] += 1;
            }
        }
        for i in r
            .get("instructions")
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
        {
            let d = date(&i["on"]);
            if d.year() == year {
                q[slot(d)][9] += 1;
            }
        }
    }
    q.iter()
        .enumerate()
        .map(|(i, c)| {
            json!({
                "quarter": i + 1,
                "submitted_social_condition": c[0], "submitted_work": c[1], "withdrawn": c[2],
                "forwarded_social_condition": c[3], "forwarded_work": c[4],
                "adopted_district": c[5], "adopted_city": c[6], "adopted_province": c[7], "adopted_national": c[8],
                "instructions": c[9], "plan_met": c[3] >= 3 || c[4] >= 1,
            })
        })
        .collect()
}

async fn the_demo_figures_come_from_the_records(app: TestApp) {
    let staff = app.token("staff").await;
    for year in [2011, 2012] {
        let (status, f) = app
            .api_get(&staff, &format!("/api/v1/info-reports/figures?year={year}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{f}");
        assert_eq!(f["year"], year);
        assert_eq!(f["org_name"], "长江路街道政协工委");
        let expected = expected_from_toml(year);
        assert_eq!(f["quarters"].as_array().unwrap(), &expected, "{year}");
    }
    // The seed's plan: 2011 met in every quarter but the third.
    let (_, f) = app
        .api_get(&staff, "/api/v1/info-reports/figures?year=2011")
        .await;
    let met: Vec<bool> = f["quarters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["plan_met"].as_bool().unwrap())
        .collect();
    assert_eq!(met, [true, true, false, true]);
    assert_eq!(f["year_total"]["plan_met"], false);
    assert_eq!(f["year_total"]["adopted_city"], 1);
    assert_eq!(f["year_total"]["instructions"], 1);
    assert_eq!(f["year_total"]["forwarded_social_condition"], 9);
    assert_eq!(f["year_total"]["forwarded_work"], 2);

    // A committee outside the staff's subtree is refused.
    let district: i64 = app.group_id("二七区政协").await;
    let (status, f) = app
        .api_get(
            &staff,
            &format!("/api/v1/info-reports/figures?year=2011&org={district}"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{f}");

    // The search index reads every report, or just those asked for.
    let all = lvzhi::storage::info::for_index(&app.db, None)
        .await
        .unwrap();
    assert_eq!(all.len() as i64, app.count("info_reports").await);
    let one = lvzhi::storage::info::for_index(&app.db, Some(&[all[1].id, 999_999]))
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].title, all[1].title);
    assert!(lvzhi::storage::info::for_index(&app.db, Some(&[]))
        .await
        .unwrap()
        .is_empty());

    // Loading the demo again adds nothing.
    let before = app.count("info_reports").await;
    lvzhi::demo::load(&app.db, &crate::helpers::cipher())
        .await
        .unwrap();
    assert_eq!(app.count("info_reports").await, before);
}
dual_test!(
    the_demo_figures_come_from_the_records_t,
    the_demo_figures_come_from_the_records
);
