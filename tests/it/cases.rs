//! Citizens' cases through the JSON API: every lifecycle step, every
//! refusal (which changes nothing), the department's view, the version
//! conflict, and the figures reproduced from the demo records.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::dual_test;
use crate::helpers::{departments, ok_step, step, Record::Case, TestApp};

/// A handler account for another department, and its token.
async fn other_handler(app: &TestApp, department_id: i64) -> String {
    let org_id = lvzhi::storage::users::find_by_username(&app.db, "department")
        .await
        .unwrap()
        .unwrap()
        .org_id;
    let input = lvzhi::services::users::UserInput {
        username: "handler2".into(),
        display_name: "城管局 经办人".into(),
        org_id: Some(org_id.to_string()),
        member_id: None,
        department_id: Some(department_id.to_string()),
        password: Some("Another-Handler-2012".into()),
    };
    lvzhi::services::users::create(
        &app.db,
        lvzhi::services::users::Creator::Cli,
        &input,
        Some(lvzhi::domain::roles::Role::Department),
    )
    .await
    .unwrap();
    app.token("handler2").await
}

async fn new_case(app: &TestApp, token: &str, subject: &str) -> Value {
    let (status, case) = app
        .api_post(
            token,
            "/api/v1/cases",
            &json!({"community": "孙八砦社区", "subject": subject, "description": "路灯坏了三个月",
                    "contact_name": "李大爷", "contact_phone": "13812345678", "received_on": "2024-01-02"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case
}

async fn events(app: &TestApp, token: &str, case: &Value) -> Vec<Value> {
    let (status, detail) = app
        .api_get(token, &format!("/api/v1/cases/{}", case["id"]))
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    detail["events"].as_array().unwrap().clone()
}

async fn every_lifecycle_step_is_recorded(app: TestApp) {
    let staff = app.token("staff").await;
    let dept = app.token("department").await;
    let (own, _) = departments(&app).await;
    let case = new_case(&app, &staff, "路灯不亮").await;
    assert_eq!(case["status"], "registered");
    assert_eq!(case["contact_phone_masked"], "138****5678");
    assert!(case.get("contact_phone_enc").is_none());

    // Forwarded on a Monday without a due date: 15 working days later.
    let case = ok_step(
        &app,
        &staff,
        Case(&case),
        json!({"action": "forward", "department_id": own, "on": "2024-03-04"}),
    )
    .await;
    assert_eq!(case["status"], "forwarded");
    assert_eq!(case["due_on"], "2024-03-25");
    let case = ok_step(&app, &dept, Case(&case), json!({"action": "accept"})).await;
    assert_eq!(case["status"], "in_progress");
    let case = ok_step(
        &app,
        &dept,
        Case(&case),
        json!({"action": "note", "note": "已联系供电公司"}),
    )
    .await;
    assert_eq!(case["status"], "in_progress");
    let case = ok_step(
        &app,
        &dept,
        Case(&case),
        json!({"action": "resolve", "reply": "路灯已全部修复"}),
    )
    .await;
    assert_eq!(case["status"], "resolved");
    assert_eq!(case["reply"], "路灯已全部修复");
    let case = ok_step(
        &app,
        &staff,
        Case(&case),
        json!({"action": "follow_up", "satisfaction": "satisfied"}),
    )
    .await;
    assert_eq!(case["status"], "followed_up");
    assert_eq!(case["satisfaction"], "satisfied");
    let case = ok_step(&app, &staff, Case(&case), json!({"action": "close"})).await;
    assert_eq!(case["status"], "closed");
    let (status, refused) = step(
        &app,
        &staff,
        Case(&case),
        json!({"action": "note", "note": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["fields"][0]["code"], "case_closed");

    let actions: Vec<String> = events(&app, &staff, &case)
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "register",
            "forward",
            "accept",
            "note",
            "resolve",
            "follow_up",
            "close"
        ]
    );
    let by: Vec<Value> = events(&app, &staff, &case)
        .await
        .iter()
        .map(|e| e["username"].clone())
        .collect();
    assert_eq!(by[2], "department");
    assert_eq!(by[5], "staff");

    // The timeline cannot be rewritten, even by SQL.
    let changed = lvzhi::on_db!(&app.db, pool => sqlx::query("UPDATE case_events SET note = 'x'").execute(pool).await.map(|_| ()));
    assert!(changed.is_err(), "case_events is append-only");
    let removed = lvzhi::on_db!(&app.db, pool => sqlx::query("DELETE FROM case_events").execute(pool).await.map(|_| ()));
    assert!(removed.is_err(), "case_events is append-only");
}
dual_test!(
    every_lifecycle_step_is_recorded_t,
    every_lifecycle_step_is_recorded
);

async fn refusals_say_why_and_change_nothing(app: TestApp) {
    let staff = app.token("staff").await;
    let dept = app.token("department").await;
    let (own, other) = departments(&app).await;
    let handler2 = other_handler(&app, other).await;
    let case = new_case(&app, &staff, "小区门口积水").await;
    let events_before = app.count("case_events").await;

    let refusals: Vec<(&str, Value, &str, &str)> = vec![
        (
            "staff",
            json!({"action": "forward"}),
            "case_department_required",
            "承办单位：请选择承办单位",
        ),
        (
            "staff",
            json!({"action": "forward", "department_id": own, "on": "2024-03-04", "due_on": "2024-03-01"}),
            "case_due_before_forward",
            "办理期限不能早于转办日期",
        ),
        (
            "staff",
            json!({"action": "follow_up", "satisfaction": "satisfied"}),
            "case_not_resolved",
            "事件尚未办结，不能回访",
        ),
        (
            "staff",
            json!({"action": "forward", "department_id": 999999}),
            "unknown_department",
            "",
        ),
        ("staff", json!({"action": "fly"}), "invalid_choice", ""),
        (
            "staff",
            json!({"action": "note", "note": "补记", "on": "2023-12-01"}),
            "case_date_before_received",
            "不能早于受理日期",
        ),
        (
            "staff",
            json!({"action": "close"}),
            "case_not_followed_up",
            "",
        ),
        (
            "staff",
            json!({"action": "escalate"}),
            "case_cannot_escalate",
            "",
        ),
    ];
    for (who, body, code, message) in refusals {
        let token = if who == "staff" { &staff } else { &dept };
        let (status, answer) = step(&app, token, Case(&case), body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["fields"][0]["code"], code, "{body}: {answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(message),
            "{body}: {answer}"
        );
    }

    // Forwarded to 住建局: a reply from 城管局 is refused, clearly.
    let case = ok_step(
        &app,
        &staff,
        Case(&case),
        json!({"action": "forward", "department_id": own}),
    )
    .await;
    let (status, answer) = step(
        &app,
        &handler2,
        Case(&case),
        json!({"action": "resolve", "reply": "已处理"}),
    )
    .await;
    // What another department handles does not exist for this one: the same
    // answer as an unknown id, so that ids cannot be probed.
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert_eq!(answer["error"], "not_found");
    let (unknown_status, unknown) = step(
        &app,
        &handler2,
        Case(&json!({"id": 999_999, "version": 1})),
        json!({"action": "resolve", "reply": "已处理"}),
    )
    .await;
    assert_eq!((unknown_status, &unknown), (status, &answer));
    // A resolve without a reply, and a department trying a staff step.
    let (status, answer) = step(&app, &dept, Case(&case), json!({"action": "resolve"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["fields"][0]["field"], "reply");
    let (status, _) = step(&app, &dept, Case(&case), json!({"action": "close"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A step without the version read.
    let (status, answer) = app
        .api_post(
            &dept,
            &format!("/api/v1/cases/{}/steps", case["id"]),
            &json!({"action": "accept"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["fields"][0]["code"], "version_required");

    // Nothing changed but the one forward.
    let (_, now) = app
        .api_get(&staff, &format!("/api/v1/cases/{}", case["id"]))
        .await;
    assert_eq!(now["version"], case["version"]);
    assert_eq!(now["status"], "forwarded");
    assert_eq!(app.count("case_events").await, events_before + 1);
}
dual_test!(
    refusals_say_why_and_change_nothing_t,
    refusals_say_why_and_change_nothing
);

async fn a_department_sees_only_its_own_cases(app: TestApp) {
    let staff = app.token("staff").await;
    let dept = app.token("department").await;
    let (own, other) = departments(&app).await;
    let handler2 = other_handler(&app, other).await;
    let mine = new_case(&app, &staff, "住建局的事").await;
    let theirs = new_case(&app, &staff, "城管局的事").await;
    let unassigned = new_case(&app, &staff, "尚未转办").await;
    ok_step(
        &app,
        &staff,
        Case(&mine),
        json!({"action": "forward", "department_id": own, "due_on": "2099-01-01"}),
    )
    .await;
    ok_step(
        &app,
        &staff,
        Case(&theirs),
        json!({"action": "forward", "department_id": other}),
    )
    .await;

    let (status, list) = app.api_get(&dept, "/api/v1/cases").await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&mine["id"].as_i64().unwrap()));
    assert!(!ids.contains(&theirs["id"].as_i64().unwrap()));
    assert!(!ids.contains(&unassigned["id"].as_i64().unwrap()));
    for c in list["items"].as_array().unwrap() {
        assert_eq!(c["department_id"], own);
        assert!(c["overdue"].is_boolean());
    }
    for case in [&theirs, &unassigned] {
        let (status, _) = app
            .api_get(&dept, &format!("/api/v1/cases/{}", case["id"]))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    // The contact's phone: masked for the department, in full for staff.
    let (_, seen) = app
        .api_get(&dept, &format!("/api/v1/cases/{}", mine["id"]))
        .await;
    assert_eq!(seen["contact_phone_masked"], "138****5678");
    assert!(seen["contact_phone"].is_null());
    assert!(!seen.to_string().contains("13812345678"));
    let reveals = app.audit_count("reveal_personal_data").await;
    let (_, seen) = app
        .api_get(&staff, &format!("/api/v1/cases/{}", mine["id"]))
        .await;
    assert!(seen["contact_phone"].is_null(), "masked unless asked for");
    assert_eq!(seen["contact_phone_masked"], "138****5678");
    assert_eq!(app.audit_count("reveal_personal_data").await, reveals);
    let (_, seen) = app
        .api_get(
            &staff,
            &format!("/api/v1/cases/{}?reveal=phone", mine["id"]),
        )
        .await;
    assert_eq!(seen["contact_phone"], "13812345678");
    assert_eq!(
        app.audit_count("reveal_personal_data").await,
        reveals + 1,
        "seeing it in full is audited"
    );
    let (_, seen) = app
        .api_get(&dept, &format!("/api/v1/cases/{}?reveal=phone", mine["id"]))
        .await;
    assert!(seen["contact_phone"].is_null(), "never for a department");

    let (_, list) = app.api_get(&handler2, "/api/v1/cases").await;
    let items = list["items"].as_array().unwrap();
    assert!(items.iter().any(|c| c["id"] == theirs["id"]));
    assert!(items.iter().all(|c| c["department_id"] == other), "{list}");
    // Figures and registration are staff's.
    let (status, _) = app.api_get(&dept, "/api/v1/cases/figures").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
dual_test!(
    a_department_sees_only_its_own_cases_t,
    a_department_sees_only_its_own_cases
);

async fn the_second_of_two_changes_gets_a_conflict_and_loses_nothing(app: TestApp) {
    let staff = app.token("staff").await;
    let colleague = app.token("staff").await;
    let case = new_case(&app, &staff, "同时修改").await;
    // Both read version 1; the first note is saved.
    let first = ok_step(
        &app,
        &staff,
        Case(&case),
        json!({"action": "note", "note": "第一条"}),
    )
    .await;
    assert_eq!(first["version"], 2);
    let (status, answer) = step(
        &app,
        &colleague,
        Case(&case),
        json!({"action": "note", "note": "第二条"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["error"], "stale_version");
    assert!(!answer["message"].as_str().unwrap().is_empty());
    // Nothing of the first was lost, and the second, sent again on the new version, is kept too.
    ok_step(
        &app,
        &colleague,
        Case(&first),
        json!({"action": "note", "note": "第二条"}),
    )
    .await;
    let notes: Vec<String> = events(&app, &staff, &case)
        .await
        .iter()
        .filter_map(|e| e["note"].as_str().map(str::to_string))
        .collect();
    assert_eq!(notes, ["第一条", "第二条"]);
}
dual_test!(
    the_second_of_two_changes_gets_a_conflict_and_loses_nothing_t,
    the_second_of_two_changes_gets_a_conflict_and_loses_nothing
);

async fn a_department_sends_a_case_back_and_staff_forward_it_again(app: TestApp) {
    let staff = app.token("staff").await;
    let dept = app.token("department").await;
    let (own, other) = departments(&app).await;
    let case = new_case(&app, &staff, "不属于住建局").await;
    let case = ok_step(
        &app,
        &staff,
        Case(&case),
        json!({"action": "forward", "department_id": own}),
    )
    .await;
    let (status, answer) = step(&app, &dept, Case(&case), json!({"action": "return"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["fields"][0]["code"], "case_return_reason");
    let case = ok_step(
        &app,
        &dept,
        Case(&case),
        json!({"action": "return", "note": "属城管局职责"}),
    )
    .await;
    assert_eq!(case["status"], "registered");
    assert!(case["department_id"].is_null());
    let case = ok_step(
        &app,
        &staff,
        Case(&case),
        json!({"action": "forward", "department_id": other}),
    )
    .await;
    assert_eq!(case["department_id"], other);
    let trail: Vec<(String, Value)> = events(&app, &staff, &case)
        .await
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["department_id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        trail,
        [
            ("register".to_string(), Value::Null),
            ("forward".to_string(), json!(own)),
            ("return".to_string(), json!(own)),
            ("forward".to_string(), json!(other)),
        ]
    );
    // The old department can no longer answer it.
    let (status, answer) = step(&app, &dept, Case(&case), json!({"action": "accept"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answer["error"], "not_found");

    // Sending back is possible for a few working days only (3 by default).
    let late = new_case(&app, &staff, "迟退").await;
    let late = ok_step(
        &app,
        &staff,
        Case(&late),
        json!({"action": "forward", "department_id": own, "on": "2024-03-04"}),
    )
    .await;
    let (status, answer) = step(
        &app,
        &dept,
        Case(&late),
        json!({"action": "return", "note": "不是我们的", "on": "2024-03-11"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["fields"][0]["code"], "case_return_too_late");
}
dual_test!(
    a_department_sends_a_case_back_and_staff_forward_it_again_t,
    a_department_sends_a_case_back_and_staff_forward_it_again
);

async fn overdue_cases_are_escalated_and_unsatisfied_ones_reopen(app: TestApp) {
    let staff = app.token("staff").await;
    let dept = app.token("department").await;
    let (own, _) = departments(&app).await;
    let case = new_case(&app, &staff, "超期事件").await;
    let case = ok_step(
        &app,
        &staff,
        Case(&case),
        json!({"action": "forward", "department_id": own, "on": "2024-01-02", "due_on": "2024-01-10"}),
    )
    .await;
    let (_, detail) = app
        .api_get(&staff, &format!("/api/v1/cases/{}", case["id"]))
        .await;
    assert_eq!(detail["overdue"], true);
    let case = ok_step(
        &app,
        &staff,
        Case(&case),
        json!({"action": "escalate", "note": "请尽快办理"}),
    )
    .await;
    assert_eq!(case["escalations"], 1);
    assert!(case["last_escalated_on"].is_string());
    let (_, figures) = app
        .api_get(
            &staff,
            "/api/v1/cases/figures?from=2024-01-01&to=2024-12-31",
        )
        .await;
    assert_eq!(figures["overdue"], 1, "{figures}");

    // Not overdue: nothing to escalate.
    let fresh = new_case(&app, &staff, "未超期").await;
    let fresh = ok_step(
        &app,
        &staff,
        Case(&fresh),
        json!({"action": "forward", "department_id": own, "due_on": "2099-01-01"}),
    )
    .await;
    let (status, answer) = step(&app, &staff, Case(&fresh), json!({"action": "escalate"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["fields"][0]["code"], "case_not_overdue");

    // Resolved late, then an unsatisfied follow-up reopens it.
    let case = ok_step(
        &app,
        &dept,
        Case(&case),
        json!({"action": "resolve", "reply": "已协调"}),
    )
    .await;
    let case = ok_step(
        &app,
        &staff,
        Case(&case),
        json!({"action": "follow_up", "satisfaction": "unsatisfied", "note": "问题仍在"}),
    )
    .await;
    assert_eq!(case["status"], "in_progress");
    assert_eq!(case["satisfaction"], "unsatisfied");
    assert!(case["resolved_on"].is_null());
    let actions: Vec<String> = events(&app, &staff, &case)
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        &actions[actions.len() - 3..],
        ["resolve", "follow_up", "reopen"]
    );
    let case = ok_step(
        &app,
        &dept,
        Case(&case),
        json!({"action": "resolve", "reply": "已彻底解决"}),
    )
    .await;
    let case = ok_step(
        &app,
        &staff,
        Case(&case),
        json!({"action": "follow_up", "satisfaction": "basically_satisfied"}),
    )
    .await;
    assert_eq!(case["status"], "followed_up");
}
dual_test!(
    overdue_cases_are_escalated_and_unsatisfied_ones_reopen_t,
    overdue_cases_are_escalated_and_unsatisfied_ones_reopen
);

async fn lists_filter_by_dates_and_committee(app: TestApp) {
    let staff = app.token("staff").await;
    let (status, list) = app
        .api_get(&staff, "/api/v1/cases?from=2011-01-01&to=2011-06-30")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 5, "{list}");
    for c in list["items"].as_array().unwrap() {
        let d = c["received_on"].as_str().unwrap();
        assert!(("2011-01-01"..="2011-06-30").contains(&d));
    }
    for bad in [
        "/api/v1/cases?from=2011-13-01",
        "/api/v1/cases?from=2011-06-01&to=2011-01-01",
        "/api/v1/cases?org=abc",
        "/api/v1/cases?org=999999",
        "/api/v1/cases?status=lost",
    ] {
        let (status, answer) = app.api_get(&staff, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {answer}");
    }
}
dual_test!(
    lists_filter_by_dates_and_committee_t,
    lists_filter_by_dates_and_committee
);

async fn the_demo_figures_come_from_the_records(app: TestApp) {
    let staff = app.token("staff").await;
    let committee = lvzhi::storage::orgs::find_org_by_name(&app.db, "长江路街道政协工委")
        .await
        .unwrap()[0]
        .id;
    let (status, f) = app
        .api_get(
            &staff,
            &format!("/api/v1/cases/figures?from=2011-01-01&to=2011-06-30&org={committee}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{f}");
    assert_eq!(f["reception_days"], 6, "{f}");
    assert_eq!(f["visitors"], 12, "{f}");
    assert_eq!(f["from_visits"], 5, "{f}");
    assert_eq!(f["received"], 5, "{f}");
    let (_, year) = app
        .api_get(
            &staff,
            "/api/v1/cases/figures?from=2012-01-01&to=2012-12-31",
        )
        .await;
    assert!(year["received"].as_i64().unwrap() >= 6, "{year}");
    assert!(year["unsatisfied"].as_i64().unwrap() >= 1, "{year}");
    let by_status: Vec<i64> = year["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_i64().unwrap())
        .collect();
    assert!(
        by_status.iter().all(|n| *n >= 1),
        "every stage in 2012: {year}"
    );
}
dual_test!(
    the_demo_figures_come_from_the_records_t,
    the_demo_figures_come_from_the_records
);

fn tracking_code_in(html: &str) -> String {
    let marker = "id=\"tracking-code\">";
    let start = html.find(marker).expect("tracking code shown") + marker.len();
    html[start..].split('<').next().unwrap().to_string()
}

async fn citizens_write_in_and_track_their_case_only(app: TestApp) {
    let committee = lvzhi::storage::orgs::find_org_by_name(&app.db, "长江路街道政协工委")
        .await
        .unwrap()[0]
        .id;
    let visitor = crate::helpers::new_client();
    let url = app.url(&format!("/public/{committee}"));
    // Without the form's token (a forged cross-site post): refused.
    let r = visitor
        .post(&url)
        .form(&[("community", "x"), ("subject", "x"), ("description", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = visitor.get(&url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("群众诉求网上反映"));
    let csrf = crate::helpers::csrf_in(&html);
    assert!(!csrf.is_empty());

    // Contact details without the consent line are refused, and nothing is stored.
    let before = app.count("cases").await;
    let form = [
        ("csrf", csrf.as_str()),
        ("community", "京沙社区"),
        ("subject", "路口红绿灯时间太短"),
        ("description", "老人过马路来不及"),
        ("contact_name", "王秀英"),
        ("contact_phone", "13712345678"),
    ];
    let r = visitor.post(&url).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("须同意个人信息使用说明"));
    assert_eq!(app.count("cases").await, before);

    let mut with_consent = form.to_vec();
    with_consent.push(("consent", "yes"));
    let r = visitor.post(&url).form(&with_consent).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let code = tracking_code_in(&r.text().await.unwrap());
    assert_eq!(code.len(), 19, "{code}");
    // Only the hash is stored.
    let stored: Vec<Option<String>> =
        lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, Option<String>>(
        "SELECT tracking_hash FROM cases").fetch_all(pool).await)
        .unwrap();
    assert!(stored
        .iter()
        .flatten()
        .all(|h| !h.contains(&code.replace('-', ""))));

    let track = |code: String| {
        let visitor = visitor.clone();
        let url = app.url("/track");
        async move {
            let r = visitor
                .post(url)
                .form(&[("tracking_code", code)])
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (status, html) = track(code.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("路口红绿灯时间太短"));
    assert!(html.contains("登记"));
    for private in [
        "王秀英",
        "13712345678",
        "137****5678",
        "老人过马路来不及",
        "路灯不亮",
        "李大爷",
    ] {
        assert!(!html.contains(private), "the tracking page shows {private}");
    }

    // Staff forward it, the department answers: the citizen sees the reply.
    let staff = app.token("staff").await;
    let dept = app.token("department").await;
    let (own, _) = departments(&app).await;
    let (_, list) = app.api_get(&staff, "/api/v1/cases?status=registered").await;
    let case = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "路口红绿灯时间太短")
        .unwrap()
        .clone();
    assert_eq!(case["source"], "online");
    assert_eq!(case["contact_phone_masked"], "137****5678");
    let case = ok_step(
        &app,
        &staff,
        Case(&case),
        json!({"action": "forward", "department_id": own}),
    )
    .await;
    let (_, seen) = app
        .api_get(&dept, &format!("/api/v1/cases/{}", case["id"]))
        .await;
    assert!(
        !seen.to_string().contains("13712345678"),
        "masked for the department"
    );
    ok_step(
        &app,
        &dept,
        Case(&case),
        json!({"action": "resolve", "reply": "已延长绿灯时间至30秒"}),
    )
    .await;
    let (_, html) = track(code.to_lowercase()).await;
    assert!(html.contains("已延长绿灯时间至30秒"), "{html}");
    assert!(html.contains("已办结"));

    let (status, html) = track("AAAA-BBBB-CCCC-DDDD".into()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("没有找到这个查询码"));

    // Five a day from one address; the sixth is refused.
    let anonymous = [
        ("csrf", csrf.as_str()),
        ("community", "京沙社区"),
        ("subject", "噪音"),
        ("description", "夜间噪音"),
    ];
    for _ in 0..4 {
        let r = visitor.post(&url).form(&anonymous).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let before = app.count("cases").await;
    let r = visitor.post(&url).form(&anonymous).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("提交次数过多"));
    assert_eq!(app.count("cases").await, before);

    // A group, or no such committee: not found.
    let group = app.group_id("第一委员小组").await;
    let r = visitor
        .get(app.url(&format!("/public/{group}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
dual_test!(
    citizens_write_in_and_track_their_case_only_t,
    citizens_write_in_and_track_their_case_only
);

async fn pages_show_the_board_the_inbox_and_a_conflict_without_losing_input(mut app: TestApp) {
    let staff = app.token("staff").await;
    let (own, _) = departments(&app).await;
    let case = new_case(&app, &staff, "页面冲突").await;
    let id = case["id"].as_i64().unwrap();
    app.login("staff").await;
    let (status, html) = app.get_html("/cases").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("页面冲突") && html.contains("办理中") && html.contains("超期"));
    let (status, html) = app.get_html(&format!("/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"version\" value=\"1\""));
    assert!(
        html.contains("name=\"department_id\"") && html.contains("name=\"due_on\""),
        "a new case may be forwarded: the form asks for a department and a due date"
    );
    assert!(
        !html.contains("name=\"satisfaction\""),
        "no follow-up before the department's reply"
    );
    assert!(
        !html.contains("13812345678") && html.contains("138****5678"),
        "the phone is masked on the page"
    );
    assert!(html.contains(&format!("/cases/{id}?reveal=phone")));
    let (status, html) = app.get_html(&format!("/cases/{id}?reveal=phone")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("13812345678"),
        "staff handling the case see the phone when they ask"
    );

    // Someone else adds a note first; this user's forward comes back with a conflict.
    ok_step(
        &app,
        &staff,
        Case(&case),
        json!({"action": "note", "note": "先到的说明"}),
    )
    .await;
    let own_text = own.to_string();
    let r = app
        .post_form(
            &format!("/cases/{id}/steps"),
            &[
                ("version", "1"),
                ("action", "forward"),
                ("department_id", own_text.as_str()),
                ("note", "我写的转办说明"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("其他人已办理了这件事件"));
    assert!(html.contains("我写的转办说明"), "the typed note is kept");
    assert!(html.contains("先到的说明"), "the other change is shown");
    assert!(html.contains("name=\"version\" value=\"2\""));
    // Sent again on the new version, it goes through.
    let r = app
        .post_form(
            &format!("/cases/{id}/steps"),
            &[
                ("version", "2"),
                ("action", "forward"),
                ("department_id", own_text.as_str()),
                ("due_on", "2099-01-01"),
                ("note", "我写的转办说明"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Staff register a case on the board page; a bad phone is shown on the form.
    let r = app
        .post_form(
            "/cases",
            &[
                ("community", "高砦社区"),
                ("subject", "页面登记"),
                ("description", "x"),
                ("contact_phone", "123"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().await.unwrap().contains("页面登记"),
        "the input is kept"
    );
    let r = app
        .post_form(
            "/cases",
            &[
                ("community", "高砦社区"),
                ("subject", "页面登记"),
                ("description", "x"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // The department's inbox lists it; its first page links there.
    let mut dept = crate::helpers::spawn_client_for(&app).await;
    dept.login_as("department", crate::helpers::DEMO_PASSWORD)
        .await;
    let r = dept.client.get(dept.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("href=\"/inbox\""));
    let html = dept.page_text("/inbox").await;
    assert!(html.contains("页面冲突"));
    assert!(!html.contains("13812345678"));

    // Resolved by the department, the case asks for the visitor's
    // satisfaction and can no longer be forwarded.
    let dept_token = app.token("department").await;
    let (status, body) = app
        .api_post(
            &dept_token,
            &format!("/api/v1/cases/{id}/steps"),
            &json!({"action": "resolve", "version": 3, "reply": "已修复"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, html) = app.get_html(&format!("/cases/{id}")).await;
    assert!(
        html.contains("name=\"satisfaction\""),
        "a follow-up is next"
    );
    assert!(!html.contains("name=\"department_id\"") && !html.contains("name=\"due_on\""));

    // Reception pages.
    let (status, html) = app.get_html("/reception?year=2012").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("2012-01-16") && html.contains("已顺延"));
    let (status, html) = app.get_html("/holidays?year=2012").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("春节"));
}
dual_test!(
    pages_show_the_board_the_inbox_and_a_conflict_without_losing_input_t,
    pages_show_the_board_the_inbox_and_a_conflict_without_losing_input
);

async fn case_lists_page_with_the_whole_total(app: TestApp) {
    let token = app.token("staff").await;
    let all = app.count("cases").await;
    assert!(all > 3, "the demo has cases: {all}");
    let (status, first) = app.api_get(&token, "/api/v1/cases?per_page=2").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["total"], all, "total counts every case, not the page");
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let (_, second) = app.api_get(&token, "/api/v1/cases?per_page=2&page=2").await;
    assert_ne!(
        first["items"][0]["id"], second["items"][0]["id"],
        "page 2 is another page"
    );
    let (status, bad) = app.api_get(&token, "/api/v1/cases?page=zero").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["fields"][0]["field"], "page");
}
dual_test!(
    case_lists_page_with_the_whole_total_t,
    case_lists_page_with_the_whole_total
);

/// The cards of one column of the board page: the `<section>` whose heading
/// links to `status`'s list.
fn board_column<'a>(html: &'a str, status: &str) -> &'a str {
    let start = html
        .find(&format!("status={status}\">"))
        .unwrap_or_else(|| panic!("no column {status}"));
    let end = html[start..].find("</section>").unwrap() + start;
    &html[start..end]
}

async fn board_shows_the_first_cards_of_each_status_and_lists_page_the_rest(mut app: TestApp) {
    let staff = app.token("staff").await;
    let (own, _) = departments(&app).await;
    // 22 new cases, received on 2024-02-01 … 2024-02-22, each forwarded.
    let mut forwarded = Vec::new();
    for day in 1..=22 {
        let (status, case) = app
            .api_post(
                &staff,
                "/api/v1/cases",
                &json!({"community": "孙八砦社区", "subject": format!("看板分页{day:02}"),
                        "description": "路面破损", "received_on": format!("2024-02-{day:02}")}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{case}");
        let case = ok_step(
            &app,
            &staff,
            Case(&case),
            json!({"action": "forward", "department_id": own, "on": format!("2024-02-{day:02}"),
                   "due_on": format!("2024-03-{day:02}")}),
        )
        .await;
        forwarded.push(case);
    }
    let (_, all_forwarded) = app
        .api_get(&staff, "/api/v1/cases?status=forwarded&per_page=1")
        .await;
    let total = all_forwarded["total"].as_i64().unwrap();
    assert!(total >= 22, "{all_forwarded}");

    app.login("staff").await;
    let (status, html) = app.get_html("/cases").await;
    assert_eq!(status, StatusCode::OK);
    let column = board_column(&html, "forwarded");
    assert_eq!(
        column.matches("<p><a href=\"/cases/").count(),
        20,
        "a column shows 20 cards, not all {total}"
    );
    assert!(
        column.contains(&format!("<small>{total}</small>")),
        "the heading counts them all: {column}"
    );
    assert!(
        column.contains(&format!("查看全部 ({total})")),
        "and links to all of them"
    );

    // The whole list of a status, soonest due first, a page at a time.
    let (status, page1) = app.get_html("/cases?status=forwarded&per_page=10").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page1.contains(&format!("共 {total}")), "total shown");
    assert_eq!(page1.matches("<td data-label=\"受理日期\">").count(), 10);
    assert!(page1.contains("rel=\"next\""));
    let (_, rows) = app
        .api_get(&staff, "/api/v1/cases?status=forwarded&per_page=200")
        .await;
    let mut due: Vec<String> = rows["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["due_on"].as_str().unwrap_or("").to_string())
        .collect();
    due.sort();
    let first_title = rows["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["due_on"].as_str() == Some(due[0].as_str()))
        .unwrap()["title"]
        .as_str()
        .unwrap()
        .to_string();
    let first_row = &page1[page1.find("<tbody>").unwrap()..];
    let first_row = &first_row[..first_row.find("</tr>").unwrap()];
    assert!(
        first_row.contains(&first_title),
        "the soonest due ({}) comes first: {first_row}",
        due[0]
    );
    let last_page = (total + 9) / 10;
    let (_, last) = app
        .get_html(&format!(
            "/cases?status=forwarded&per_page=10&page={last_page}"
        ))
        .await;
    assert_eq!(
        last.matches("<td data-label=\"受理日期\">").count() as i64,
        total - (last_page - 1) * 10
    );
    assert!(!last.contains("rel=\"next\"") && last.contains("rel=\"prev\""));
    let (status, bad) = app.get_html("/cases?status=lost").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("状态"), "the field is named");

    // The department's inbox pages too: 20 of its open cases, then the rest.
    let mut dept = crate::helpers::spawn_client_for(&app).await;
    dept.login_as("department", crate::helpers::DEMO_PASSWORD)
        .await;
    let (_, open) = app
        .api_get(&staff, "/api/v1/cases?per_page=1&status=forwarded")
        .await;
    assert!(open["total"].as_i64().unwrap() > 20);
    let inbox = dept.page_text("/inbox").await;
    assert_eq!(inbox.matches("<a href=\"/cases/").count(), 20);
    assert!(inbox.contains("rel=\"next\""), "more on the next page");
    let inbox2 = dept.page_text("/inbox?page=2").await;
    assert!(inbox2.contains("<a href=\"/cases/") && inbox2.contains("rel=\"prev\""));
    assert!(
        forwarded.iter().all(|c| {
            let link = format!("<a href=\"/cases/{}\">", c["id"]);
            inbox.contains(&link) || inbox2.contains(&link)
        }),
        "every case forwarded to the department is on one of the pages"
    );
}
dual_test!(
    board_shows_the_first_cards_of_each_status_and_lists_page_the_rest_t,
    board_shows_the_first_cards_of_each_status_and_lists_page_the_rest
);

async fn reception_overview_lists_the_chosen_years_days_and_the_api_pages_them_all(
    mut app: TestApp,
) {
    let staff = app.token("staff").await;
    let (_, all) = app
        .api_get(&staff, "/api/v1/reception-days?per_page=200")
        .await;
    let days = all["items"].as_array().unwrap();
    assert_eq!(all["total"].as_u64().unwrap() as usize, days.len());
    let held: Vec<&str> = days
        .iter()
        .map(|d| d["held_on"].as_str().unwrap())
        .collect();
    assert!(held.iter().any(|d| d.starts_with("2011")));
    assert!(held.iter().any(|d| d.starts_with("2012")));
    let (_, second) = app
        .api_get(&staff, "/api/v1/reception-days?per_page=1&page=2")
        .await;
    assert_eq!(
        second["items"][0]["id"], days[1]["id"],
        "newest first, paged"
    );
    assert_eq!(second["total"], all["total"]);

    app.login("staff").await;
    let (status, html) = app.get_html("/reception?year=2011").await;
    assert_eq!(status, StatusCode::OK);
    let list = &html[html.find("已举办的接待日").unwrap()..];
    let in_2011 = held.iter().filter(|d| d.starts_with("2011")).count();
    assert_eq!(
        list.matches("<a href=\"/reception/").count(),
        in_2011.min(20)
    );
    assert!(
        !list.contains("\">2012-"),
        "only the chosen year's days are listed"
    );
}
dual_test!(
    reception_overview_lists_the_chosen_years_days_and_the_api_pages_them_all_t,
    reception_overview_lists_the_chosen_years_days_and_the_api_pages_them_all
);

async fn case_figures(app: &TestApp, token: &str) -> Value {
    let (status, f) = app.api_get(token, "/api/v1/cases/figures").await;
    assert_eq!(status, StatusCode::OK, "{f}");
    f
}

async fn figures_follow_every_change_though_they_are_kept_between_reads(app: TestApp) {
    let staff = app.token("staff").await;
    let (own, _) = departments(&app).await;
    let before = case_figures(&app, &staff).await;
    assert_eq!(
        case_figures(&app, &staff).await,
        before,
        "read twice, unchanged"
    );
    let case = new_case(&app, &staff, "统计跟随变化").await;
    let after_new = case_figures(&app, &staff).await;
    assert_eq!(
        after_new["received"].as_i64().unwrap(),
        before["received"].as_i64().unwrap() + 1,
        "a new case is counted at once"
    );
    ok_step(
        &app,
        &staff,
        Case(&case),
        json!({"action": "forward", "department_id": own, "on": "2024-01-03"}),
    )
    .await;
    let after_forward = case_figures(&app, &staff).await;
    assert_eq!(
        after_forward["forwarded"].as_i64().unwrap(),
        after_new["forwarded"].as_i64().unwrap() + 1,
        "a step is counted at once"
    );
    assert_eq!(after_forward["received"], after_new["received"]);
}
dual_test!(
    figures_follow_every_change_though_they_are_kept_between_reads_t,
    figures_follow_every_change_though_they_are_kept_between_reads
);

/// Every page of `path` (which has `per_page`), concatenated.
async fn all_pages(app: &TestApp, token: &str, path: &str) -> (Vec<Value>, i64) {
    let mut items = Vec::new();
    let mut total = 0;
    for page in 1.. {
        let (status, body) = app.api_get(token, &format!("{path}&page={page}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        total = body["total"].as_i64().unwrap();
        let got = body["items"].as_array().unwrap().clone();
        if got.is_empty() {
            break;
        }
        items.extend(got);
    }
    (items, total)
}

/// PostgreSQL picks a page from the first cases of each organisation of the
/// scope (`storage::cases::list_page`); the pages must still be the one
/// order of the whole scope, without gaps or repeats, on both engines.
async fn case_pages_follow_one_order_across_the_committees_of_a_scope(app: TestApp) {
    let staff = app.token("staff").await;
    let (own, _) = departments(&app).await;
    // Cases at the committee itself, some forwarded (each gets a due date),
    // and cases at one of its groups (stored directly: the forms file cases
    // under committees), received on the days between: registered, and one
    // forwarded without a due date, as a record entered before due dates were.
    for day in 1..=7 {
        let body = json!({"community": "孙八砦社区", "subject": format!("分页顺序{day}"),
                          "description": "路灯不亮", "received_on": format!("2024-05-{:02}", 2 * day)});
        let (status, case) = app.api_post(&staff, "/api/v1/cases", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{case}");
        if day <= 4 {
            let step = json!({"action": "forward", "department_id": own, "on": "2024-05-20",
                              "due_on": format!("2024-06-{:02}", 10 - day)});
            ok_step(&app, &staff, Case(&case), step).await;
        }
    }
    let group: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT id FROM orgs WHERE kind = 'group' ORDER BY id LIMIT 1").fetch_one(pool).await)
    .unwrap();
    let mut tx = app.db.begin().await.unwrap();
    for day in 1..=5 {
        let received_on = chrono::NaiveDate::from_ymd_opt(2024, 5, 2 * day + 1).unwrap();
        let id = lvzhi::storage::cases::insert(
            &mut tx,
            &lvzhi::storage::cases::NewCase {
                org_id: group,
                source: "visit",
                visit_id: None,
                raised_by: None,
                community: "孙八砦社区",
                title: "小组的来访事件",
                description: "井盖缺失",
                contact_name: None,
                contact_phone_enc: None,
                contact_phone_masked: None,
                received_on,
                tracking_hash: None,
            },
        )
        .await
        .unwrap();
        if day == 5 {
            let forwarded = lvzhi::storage::cases::CaseUpdate {
                status: lvzhi::domain::cases::CaseStatus::Forwarded,
                department_id: Some(own),
                forwarded_on: Some(received_on),
                due_on: None,
                resolved_on: None,
                reply: None,
                satisfaction: None,
                escalations: 0,
                last_escalated_on: None,
            };
            assert!(lvzhi::storage::cases::update(&mut tx, id, 1, &forwarded)
                .await
                .unwrap());
        }
    }
    tx.commit().await.unwrap();

    let (newest, total) = all_pages(&app, &staff, "/api/v1/cases?per_page=3").await;
    assert_eq!(newest.len() as i64, total, "every case once");
    let key = |c: &Value| {
        (
            c["received_on"].as_str().unwrap().to_string(),
            c["id"].as_i64().unwrap(),
        )
    };
    let mut expected: Vec<(String, i64)> = newest.iter().map(key).collect();
    expected.sort();
    expected.reverse();
    assert_eq!(
        newest.iter().map(key).collect::<Vec<_>>(),
        expected,
        "newest received first, then the higher id"
    );

    let (urgent, total) =
        all_pages(&app, &staff, "/api/v1/cases?status=forwarded&per_page=2").await;
    assert!(total >= 4, "{total}");
    assert_eq!(urgent.len() as i64, total, "every forwarded case once");
    // Soonest due first, undated last, then the longest waiting.
    let urgency = |c: &Value| {
        (
            c["due_on"].is_null(),
            c["due_on"].as_str().unwrap_or("").to_string(),
            c["received_on"].as_str().unwrap().to_string(),
            c["id"].as_i64().unwrap(),
        )
    };
    let mut expected: Vec<_> = urgent.iter().map(urgency).collect();
    expected.sort();
    assert_eq!(urgent.iter().map(urgency).collect::<Vec<_>>(), expected);
    assert!(
        urgent.last().is_some_and(|c| c["due_on"].is_null()),
        "the case without a due date comes last"
    );

    let (registered, total) =
        all_pages(&app, &staff, "/api/v1/cases?status=registered&per_page=2").await;
    assert_eq!(registered.len() as i64, total, "every registered case once");
    assert!(
        registered.iter().any(|c| c["org_id"] == group)
            && registered.iter().any(|c| c["org_id"] != group),
        "the registered cases lie in two organisations of the scope"
    );
    let mut expected: Vec<_> = registered.iter().map(urgency).collect();
    expected.sort();
    assert_eq!(
        registered.iter().map(urgency).collect::<Vec<_>>(),
        expected,
        "the longest waiting first, across the organisations"
    );
}
dual_test!(
    case_pages_follow_one_order_across_the_committees_of_a_scope_t,
    case_pages_follow_one_order_across_the_committees_of_a_scope
);

/// A member follows the cases they took up on a reception day: theirs only,
/// in the API and on their pages, read-only, linked from their duty file.
async fn a_member_follows_the_cases_they_took_up(mut app: TestApp) {
    let staff = app.token("staff").await;
    let meng: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM members WHERE name = '孟爱云'").fetch_one(pool).await)
    .unwrap();
    let (status, day) = app
        .api_post(
            &staff,
            "/api/v1/reception-days",
            &json!({"held_on": "2024-06-14", "duty_member_ids": [meng]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{day}");
    let member = app.token("member").await;
    let (status, v) = app
        .api_post(
            &member,
            &format!("/api/v1/reception-days/{}/visits", day["id"]),
            &json!({"people": 1, "community": "孙八砦社区", "summary": "噪音", "outcome": "case",
                    "cases": [{"subject": "广场舞噪音扰民", "description": "晚上十点后仍有音乐"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let mine = v["case_ids"][0].as_i64().expect("the visit's case");

    // The API lists hers and only hers: as many as the records say.
    let raised_by_her: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM cases WHERE raised_by = $1").bind(meng).fetch_one(pool).await)
    .unwrap();
    let (status, list) = app.api_get(&member, "/api/v1/cases?per_page=200").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], raised_by_her);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len() as i64, raised_by_her);
    assert!(items.iter().all(|c| c["raised_by"] == meng), "{list}");
    assert!(items.iter().any(|c| c["id"] == mine));

    // Her case with its timeline; somebody else's is not found.
    let (status, case) = app.api_get(&member, &format!("/api/v1/cases/{mine}")).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(case["status"], "registered");
    assert_eq!(case["events"].as_array().map(Vec::len), Some(1));
    let other: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM cases WHERE raised_by IS NULL OR raised_by <> $1 ORDER BY id LIMIT 1")
        .bind(meng).fetch_one(pool).await)
    .unwrap();
    let (status, _) = app
        .api_get(&member, &format!("/api/v1/cases/{other}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // She follows it; she does not handle it.
    let (status, _) = app
        .api_post(
            &member,
            &format!("/api/v1/cases/{mine}/steps"),
            &json!({"action": "note", "note": "催一下", "version": case["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Her pages: the list with each case's status, the case without a step form.
    app.login("member").await;
    let (status, html) = app.get_html("/cases").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("我的来访事件"), "{html}");
    assert!(html.contains(&format!("href=\"/cases/{mine}\"")), "{html}");
    assert!(html.contains("广场舞噪音扰民"));
    assert!(
        html.contains("<span class=\"tag tone-wait\">登记</span>"),
        "{html}"
    );
    let (status, html) = app.get_html(&format!("/cases/{mine}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("广场舞噪音扰民"));
    assert!(
        !html.contains("id=\"step-form\""),
        "no step form for a member"
    );
    let (status, _) = app.get_html(&format!("/cases/{other}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Her duty file links the case.
    let (_, html) = app.get_html(&format!("/members/{meng}")).await;
    assert!(
        html.contains(&format!("<a href=\"/cases/{mine}\">广场舞噪音扰民</a>")),
        "{html}"
    );
}
dual_test!(
    a_member_follows_the_cases_they_took_up_t,
    a_member_follows_the_cases_they_took_up
);
