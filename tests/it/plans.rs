//! Work plans (工作计划): the demo committee's 2011 plan checked against the
//! demo records through the API; a record added moves a count and a
//! status; a member who joined mid-year; the last day of a quarter; bad
//! input named in Chinese with nothing saved; copying to the next year; a
//! stale version; who may read and write; the audit rows; the pages.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use lvzhi::domain::roles::Role;
use lvzhi::services::orgs::OrgInput;
use lvzhi::services::users::{Creator, UserInput};

use crate::dual_test;
use crate::helpers::{member_body, ok_step, Record, TestApp};

/// The message of the first error on `field`.
fn message(answer: &Value, field: &str) -> String {
    answer["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|e| e["field"] == field))
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .unwrap_or_else(|| panic!("no error on {field}: {answer}"))
}

/// Plans, items, and the audit rows about them.
async fn counts(app: &TestApp) -> Vec<i64> {
    let mut all = Vec::new();
    for table in ["plans", "plan_items"] {
        all.push(app.count(table).await);
    }
    let audited = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE object_type IN ('plan', 'plan_item')")
        .fetch_one(pool).await)
    .unwrap();
    all.push(audited);
    all
}

/// The demo committee's plan of `year`.
async fn plan_of(app: &TestApp, token: &str, year: i32) -> Value {
    let (status, list) = app
        .api_get(token, &format!("/api/v1/plans?year={year}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 1, "{list}");
    let id = list["items"][0]["id"].as_i64().unwrap();
    let (status, plan) = app.api_get(token, &format!("/api/v1/plans/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    plan
}

/// The status of the rule whose words start with `words`, in `period`.
async fn rule_status(app: &TestApp, token: &str, period: &str, words: &str) -> Value {
    let (status, report) = app
        .api_get(token, &format!("/api/v1/plan-status?period={period}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_text"].as_str().unwrap_or("").starts_with(words))
        .cloned()
        .unwrap_or_else(|| panic!("no rule {words} in {report}"))
}

const INFO_RULE: &str = "委员会每季度上报社情民意信息不少于3条";
const STUDY_RULE: &str = "每位委员每季度参加集中学习不少于1次";

async fn the_demo_plan_is_checked_against_the_records(app: TestApp) {
    let staff = app.token("staff").await;
    let plan = plan_of(&app, &staff, 2011).await;
    assert_eq!(plan["title"], "2011年工作计划");
    let texts: Vec<&str> = plan["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["rule_text"].as_str())
        .collect();
    assert!(
        texts.contains(&"委员会每季度上报社情民意信息不少于3条，或政协工作信息不少于1条"),
        "{texts:?}"
    );
    // The 2012 plan is the template.
    let plan_2012 = plan_of(&app, &staff, 2012).await;
    assert_eq!(plan_2012["items"].as_array().unwrap().len(), 12);

    // The year: each quarter of the information rule, with the records that count.
    let rule = rule_status(&app, &staff, "2011", INFO_RULE).await;
    let periods = rule["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 4);
    let q1 = &periods[0]["scopes"][0];
    assert_eq!(q1["kind"], "committee");
    assert_eq!(q1["status"], "met", "{q1}");
    assert_eq!(q1["conditions"][0]["count"], 3);
    assert_eq!(q1["figures"], "3/3，或0/1");
    let url = q1["conditions"][0]["records"][0]["url"].as_str().unwrap();
    assert!(url.starts_with("/info/"), "{url}");
    // Every status is one of the five words, and every period of 2011 is over.
    for p in periods {
        let s = p["scopes"][0]["status"].as_str().unwrap();
        assert!(s == "met" || s == "missed", "{p}");
    }
    // Every scope of every rule has a status among the five.
    let (_, report) = app
        .api_get(&staff, "/api/v1/plan-status?period=2011-Q3")
        .await;
    for r in report["items"].as_array().unwrap() {
        for p in r["periods"].as_array().unwrap() {
            for s in p["scopes"].as_array().unwrap() {
                let s = s["status"].as_str().unwrap();
                assert!(
                    ["met", "on_track", "at_risk", "missed", "not_due"].contains(&s),
                    "{s}"
                );
            }
        }
    }
    // A monthly rule asked for a quarter: its three months.
    let monthly = rule_status(&app, &staff, "2011-Q3", "委员会每月举办委员接待日").await;
    let months: Vec<&str> = monthly["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2011-07", "2011-08", "2011-09"]);
    // A yearly rule asked for a month: the year.
    let yearly = rule_status(&app, &staff, "2011-05", "每位委员全年提交提案").await;
    assert_eq!(yearly["periods"][0]["period"], "2011");
    assert_eq!(yearly["periods"][0]["scopes"].as_array().unwrap().len(), 14);
    // A year without a plan: no rules.
    let (status, none) = app.api_get(&staff, "/api/v1/plan-status?period=2009").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(none["total"], 0);
    assert_eq!(none["plan_id"], Value::Null);
}
dual_test!(
    the_demo_plan_is_checked_against_the_records_t,
    the_demo_plan_is_checked_against_the_records
);

/// Submit and forward a social-condition report on the given days.
async fn forwarded_report(app: &TestApp, token: &str, submitted: &str, forwarded: &str) -> i64 {
    let (status, r) = app
        .api_post(
            token,
            "/api/v1/info-reports",
            &json!({"kind": "social_condition", "headline": "关于背街小巷照明的建议",
                "text": "背街小巷夜间照明不足。", "submitted_on": submitted}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let r = ok_step(
        app,
        token,
        Record::InfoReport(&r),
        json!({"action": "forward", "on": forwarded}),
    )
    .await;
    r["id"].as_i64().unwrap()
}

async fn a_record_added_moves_the_count_and_the_status(app: TestApp) {
    let staff = app.token("staff").await;
    let before = rule_status(&app, &staff, "2011-Q3", INFO_RULE).await;
    let line = &before["periods"][0]["scopes"][0];
    let count = line["conditions"][0]["count"].as_i64().unwrap();
    assert!(count < 3, "the demo's third quarter is short: {line}");
    assert_eq!(line["status"], "missed");

    // Forwarded on the last day of the quarter: it counts in Q3, not in Q4.
    let q4_before = rule_status(&app, &staff, "2011-Q4", INFO_RULE).await["periods"][0]["scopes"]
        [0]["conditions"][0]["count"]
        .as_i64()
        .unwrap();
    let mut ids = Vec::new();
    for _ in count..3 {
        ids.push(forwarded_report(&app, &staff, "2011-09-28", "2011-09-30").await);
    }
    let after = rule_status(&app, &staff, "2011-Q3", INFO_RULE).await;
    let line = &after["periods"][0]["scopes"][0];
    assert_eq!(line["conditions"][0]["count"], 3, "{line}");
    assert_eq!(line["status"], "met");
    let counted: Vec<i64> = line["conditions"][0]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    for id in &ids {
        assert!(counted.contains(id), "{id} in {counted:?}");
    }
    let q4 = rule_status(&app, &staff, "2011-Q4", INFO_RULE).await;
    assert_eq!(
        q4["periods"][0]["scopes"][0]["conditions"][0]["count"].as_i64(),
        Some(q4_before)
    );
    // One forwarded on the first day of the next quarter counts there.
    forwarded_report(&app, &staff, "2011-09-29", "2011-10-01").await;
    let q4 = rule_status(&app, &staff, "2011-Q4", INFO_RULE).await;
    assert_eq!(
        q4["periods"][0]["scopes"][0]["conditions"][0]["count"].as_i64(),
        Some(q4_before + 1)
    );

    // The information figures take the quota from the plan's rule.
    let (status, f) = app
        .api_get(&staff, "/api/v1/info-reports/figures?year=2011")
        .await;
    assert_eq!(status, StatusCode::OK, "{f}");
    assert_eq!(f["quarters"][2]["plan_met"], true, "{f}");
}
dual_test!(
    a_record_added_moves_the_count_and_the_status_t,
    a_record_added_moves_the_count_and_the_status
);

async fn a_member_who_joined_mid_year_is_measured_from_that_day(app: TestApp) {
    let staff = app.token("staff").await;
    let mut body = member_body("新委员", "19800101", "021");
    body["joined_on"] = json!("2011-08-01");
    let (status, m) = app.api_post(&staff, "/api/v1/members", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let id = m["id"].as_i64().unwrap();
    let rule = rule_status(&app, &staff, "2011", STUDY_RULE).await;
    let line = |q: usize| {
        rule["periods"][q]["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("new member missing in quarter {q}: {rule}"))
    };
    // Not a member yet in the first half: not due.
    assert_eq!(line(0)["status"], "not_due");
    assert_eq!(line(1)["status"], "not_due");
    assert_eq!(line(1)["from"], Value::Null);
    // Joined on 1 August, before the middle of the third quarter: measured from then.
    assert_eq!(line(2)["from"], "2011-08-01");
    assert_eq!(line(2)["to"], "2011-09-30");
    assert_eq!(line(2)["status"], "missed");
    assert_eq!(line(3)["from"], "2011-10-01");
}
dual_test!(
    a_member_who_joined_mid_year_is_measured_from_that_day_t,
    a_member_who_joined_mid_year_is_measured_from_that_day
);

/// A member who left is measured for the periods that ended while they
/// served, and not after; a leaving day is checked (not while serving, not
/// before joining, not in the future) and, left out when a serving member's
/// status changes, is the day of the change.
async fn a_member_who_left_is_measured_until_then(app: TestApp) {
    let staff = app.token("staff").await;
    let mut body = member_body("离任委员", "19750101", "031");
    body["joined_on"] = json!("2010-01-01");
    let (status, m) = app.api_post(&staff, "/api/v1/members", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let id = m["id"].as_i64().unwrap();
    assert_eq!(m["left_on"], Value::Null);
    let put = |changes: Value, version: &Value| {
        let mut update = body.clone();
        for (k, v) in changes.as_object().unwrap() {
            update[k] = v.clone();
        }
        update["version"] = version.clone();
        update
    };
    let path = format!("/api/v1/members/{id}");
    // Refused, each naming 离任日期, and nothing saved.
    for (changes, words) in [
        (json!({"left_on": "2011-08-15"}), "在任委员不填离任日期"),
        (
            json!({"status": "resigned", "left_on": "2009-12-31"}),
            "不能早于任职日期",
        ),
        (
            json!({"status": "resigned", "left_on": "2099-01-01"}),
            "不能晚于今天",
        ),
        (json!({"status": "resigned", "left_on": "2011-02-30"}), ""),
    ] {
        let (status, answer) = app
            .api_send(
                Method::PUT,
                &staff,
                &path,
                &put(changes.clone(), &m["version"]),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{changes}: {answer}"
        );
        assert!(
            message(&answer, "left_on").contains(words),
            "{changes}: {answer}"
        );
    }
    let (_, unchanged) = app.api_get(&staff, &path).await;
    assert_eq!(unchanged["version"], m["version"], "{unchanged}");

    let before = rule_status(&app, &staff, "2011", STUDY_RULE).await;
    let line = |rule: &Value, q: usize| {
        rule["periods"][q]["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .cloned()
    };
    let (status, left) = app
        .api_send(
            Method::PUT,
            &staff,
            &path,
            &put(
                json!({"status": "resigned", "left_on": "2011-08-15"}),
                &m["version"],
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{left}");
    assert_eq!(left["left_on"], "2011-08-15");
    let after = rule_status(&app, &staff, "2011", STUDY_RULE).await;
    // The first half, served to its end: measured as before.
    for q in 0..2 {
        let was = line(&before, q).expect("measured before");
        let now = line(&after, q).unwrap_or_else(|| panic!("quarter {q} lost: {after}"));
        assert_eq!(now["status"], was["status"], "quarter {q}");
        assert_eq!(now["from"], ["2011-01-01", "2011-04-01"][q], "quarter {q}");
    }
    // Gone in the third quarter: neither it nor the fourth is due.
    assert_eq!(line(&after, 2).unwrap()["status"], "not_due");
    assert_eq!(line(&after, 3).unwrap()["status"], "not_due");
    let (_, page) = app.api_get(&staff, "/api/v1/members?status=resigned").await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == id),
        "{page}"
    );

    // Their duty file says when they left.
    let r = app
        .client
        .get(app.url(&format!(
            "/api/v1/members/{id}/duty-file?year=2011&format=md"
        )))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let file = r.text().await.unwrap();
    assert!(
        file.contains("离任日期") && file.contains("2011-08-15"),
        "{file}"
    );

    // Back in office, then gone again without a day: the day of the change.
    let (status, back) = app
        .api_send(
            Method::PUT,
            &staff,
            &path,
            &put(json!({"left_on": ""}), &left["version"]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!(back["left_on"], Value::Null);
    let (status, gone) = app
        .api_send(
            Method::PUT,
            &staff,
            &path,
            &put(json!({"status": "ended"}), &back["version"]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{gone}");
    assert_eq!(
        gone["left_on"].as_str().unwrap(),
        lvzhi::app::clock::today().to_string(),
        "{gone}"
    );
    // The audit row of the change says the day.
    let detail: String = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT detail FROM audit_log WHERE object_type = 'member' AND object_id = $1 \
         ORDER BY id DESC LIMIT 1").bind(id.to_string()).fetch_one(pool).await)
    .unwrap();
    assert!(
        detail.contains(&lvzhi::app::clock::today().to_string()),
        "{detail}"
    );
}
dual_test!(
    a_member_who_left_is_measured_until_then_t,
    a_member_who_left_is_measured_until_then
);

fn leaf(measure: &str, target: Value) -> Value {
    json!({"measure": measure, "info_kind": "social_condition", "target": target})
}

async fn bad_input_is_named_in_chinese_and_nothing_is_saved(app: TestApp) {
    let staff = app.token("staff").await;
    let plan = plan_of(&app, &staff, 2011).await;
    let id = plan["id"].as_i64().unwrap();
    let version = plan["version"].clone();
    let path = format!("/api/v1/plans/{id}/items");
    let before = counts(&app).await;
    let item =
        |rule: Value| json!({"text": "每位委员每季度报送信息", "rule": rule, "version": version});
    let rule = |scope: &str, period: &str, conditions: Value| json!({"scope": scope, "period": period, "conditions": conditions});
    let cases = [
        (
            item(rule(
                "each_member",
                "quarter",
                json!([leaf("weather_reports", json!(1))]),
            )),
            "measure",
            "统计项目",
        ),
        (
            item(rule(
                "each_member",
                "fortnight",
                json!([leaf("info_submitted", json!(1))]),
            )),
            "period",
            "周期",
        ),
        (
            item(rule(
                "everyone",
                "quarter",
                json!([leaf("info_submitted", json!(1))]),
            )),
            "scope",
            "对象",
        ),
        (
            item(rule(
                "each_member",
                "quarter",
                json!([leaf("info_submitted", json!(-1))]),
            )),
            "target",
            "目标数",
        ),
        (
            item(rule(
                "each_member",
                "quarter",
                json!([leaf("info_submitted", json!(0))]),
            )),
            "target",
            "目标数",
        ),
        (
            item(rule("each_member", "quarter", json!([]))),
            "condition",
            "条件",
        ),
        (
            item(rule(
                "each_member",
                "quarter",
                json!([{"measure": "activities_attended", "target": 1}]),
            )),
            "activity_kind",
            "活动类型",
        ),
        (
            json!({"text": "", "version": version}),
            "item_text",
            "计划内容",
        ),
    ];
    for (body, field, label) in cases {
        let (status, answer) = app.api_post(&staff, &path, &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        let text = message(&answer, field);
        assert!(text.starts_with(label), "{field}: {text}");
    }
    // A period that does not exist.
    for period in ["2011-Q5", "2011-13", "2011-H3", "11", "2011-W1"] {
        let (status, answer) = app
            .api_get(&staff, &format!("/api/v1/plan-status?period={period}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{period}: {answer}");
        assert!(message(&answer, "period").starts_with("周期"), "{answer}");
    }
    // A plan for a year that already has one, or for no year.
    let (status, answer) = app
        .api_post(&staff, "/api/v1/plans", &json!({"year": 2011}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        message(&answer, "year").contains("已有工作计划"),
        "{answer}"
    );
    let (status, answer) = app
        .api_post(&staff, "/api/v1/plans", &json!({"year": 1890}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(counts(&app).await, before, "nothing saved");

    // A rule nested two levels deep is taken and read back in words.
    let nested = item(
        json!({"scope": "committee", "period": "half_year", "join": "all",
        "conditions": [
            {"measure": "proposals_submitted", "target": 2},
            {"join": "any", "conditions": [
                {"measure": "info_forwarded", "info_kind": "social_condition", "target": 3},
                {"measure": "info_adopted", "level": "city", "target": 1}]}]}),
    );
    let (status, plan) = app.api_post(&staff, &path, &nested).await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let last = plan["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["rule_text"],
        "委员会每半年提交提案不少于2件，并且（上报社情民意信息不少于3条，或被市级采用的信息不少于1条）"
    );
}
dual_test!(
    bad_input_is_named_in_chinese_and_nothing_is_saved_t,
    bad_input_is_named_in_chinese_and_nothing_is_saved
);

async fn copy_edit_and_concurrency(app: TestApp) {
    let staff = app.token("staff").await;
    let plan = plan_of(&app, &staff, 2012).await;
    let id = plan["id"].as_i64().unwrap();
    let copies = app.audit_count("plan_copy").await;
    let (status, copy) = app
        .api_post(
            &staff,
            &format!("/api/v1/plans/{id}/copy"),
            &json!({"version": plan["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    assert_eq!(copy["year"], 2013);
    assert_eq!(copy["title"], "2013年工作计划");
    let words = |p: &Value| -> Vec<Value> {
        p["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| json!([i["text"], i["rule_text"]]))
            .collect()
    };
    assert_eq!(words(&copy), words(&plan));
    assert_eq!(app.audit_count("plan_copy").await, copies + 1);
    // Again to the same year: refused.
    let (status, answer) = app
        .api_post(
            &staff,
            &format!("/api/v1/plans/{id}/copy"),
            &json!({"version": plan["version"], "year": 2013}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");

    // Edit an item of the copy: the rule changes, the version moves on.
    let copy_id = copy["id"].as_i64().unwrap();
    let item = &copy["items"][1];
    let item_path = format!("/api/v1/plans/{copy_id}/items/{}", item["id"]);
    let updates = app.audit_count("update").await;
    let (status, edited) = app
        .api_send(
            Method::PUT,
            &staff,
            &item_path,
            &json!({"text": "每位委员至少提交两件提案", "version": copy["version"],
                "rule": {"scope": "each_member", "period": "year",
                    "conditions": [{"measure": "proposals_submitted", "target": 2}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(
        edited["items"][1]["rule_text"],
        "每位委员全年提交提案不少于2件"
    );
    assert_eq!(edited["version"], copy["version"].as_i64().unwrap() + 1);
    assert_eq!(app.audit_count("update").await, updates + 1);
    // The same edit on the old version: 409, nothing changed.
    let (status, _) = app
        .api_send(
            Method::PUT,
            &staff,
            &item_path,
            &json!({"text": "改动", "version": copy["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = app
        .api_send(
            Method::PUT,
            &staff,
            &format!("/api/v1/plans/{copy_id}"),
            &json!({"title": "改名", "version": copy["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, now) = app
        .api_get(&staff, &format!("/api/v1/plans/{copy_id}"))
        .await;
    assert_eq!(now["items"][1]["text"], "每位委员至少提交两件提案");
    assert_eq!(now["title"], "2013年工作计划");
    // Remove an item, then the plan.
    let deletes = app.audit_count("delete").await;
    let (status, fewer) = app
        .api_send(
            Method::DELETE,
            &staff,
            &item_path,
            &json!({"version": now["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fewer}");
    assert_eq!(fewer["items"].as_array().unwrap().len(), 11);
    assert_eq!(fewer["items"][1]["position"], 2);
    let (status, _) = app
        .api_send(
            Method::DELETE,
            &staff,
            &format!("/api/v1/plans/{copy_id}"),
            &json!({"version": fewer["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.audit_count("delete").await, deletes + 2);
    let (status, _) = app
        .api_get(&staff, &format!("/api/v1/plans/{copy_id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A new plan from the built-in template.
    let (status, fresh) = app
        .api_post(
            &staff,
            "/api/v1/plans",
            &json!({"year": 2014, "template": "2012"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{fresh}");
    assert_eq!(fresh["title"], "2014年工作计划");
    assert_eq!(words(&fresh), words(&plan));
}
dual_test!(copy_edit_and_concurrency_t, copy_edit_and_concurrency);

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

async fn who_may_read_and_write(app: TestApp) {
    let staff = app.token("staff").await;
    let plan = plan_of(&app, &staff, 2011).await;
    let id = plan["id"].as_i64().unwrap();
    another_committee(&app).await;
    let before = counts(&app).await;

    // A member reads the plan and their own quotas, and writes nothing.
    let member = app.token("member").await;
    let read = plan_of(&app, &member, 2011).await;
    assert_eq!(read["id"], id);
    let study = rule_status(&app, &member, "2011-Q1", STUDY_RULE).await;
    let names: Vec<&str> = study["periods"][0]["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["孟爱云"], "a member sees their own line");
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/plans".to_string(),
            json!({"year": 2015}),
        ),
        (
            Method::PUT,
            format!("/api/v1/plans/{id}"),
            json!({"title": "x", "version": plan["version"]}),
        ),
        (
            Method::POST,
            format!("/api/v1/plans/{id}/items"),
            json!({"text": "x", "version": plan["version"]}),
        ),
        (
            Method::POST,
            format!("/api/v1/plans/{id}/copy"),
            json!({"version": plan["version"]}),
        ),
    ] {
        let (status, _) = app.api_send(method.clone(), &member, &path, &body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
    }
    // Another committee's staff: the plan does not exist for them.
    let other = app.token("jianshe").await;
    let (status, _) = app.api_get(&other, &format!("/api/v1/plans/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .api_send(
            Method::PUT,
            &other,
            &format!("/api/v1/plans/{id}"),
            &json!({"title": "x", "version": plan["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, theirs) = app.api_get(&other, "/api/v1/plans").await;
    assert_eq!(theirs["total"], 0);
    assert_eq!(counts(&app).await, before, "nothing written");

    // Their own plan, audited.
    let creates = app.audit_count("create").await;
    let (status, own) = app
        .api_post(&other, "/api/v1/plans", &json!({"year": 2011}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    assert_eq!(own["items"].as_array().unwrap().len(), 0);
    assert_eq!(app.audit_count("create").await, creates + 1);
    let object: String = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, String>(
        "SELECT object_type FROM audit_log ORDER BY id DESC LIMIT 1")
        .fetch_one(pool).await)
    .unwrap();
    assert_eq!(object, "plan");
}
dual_test!(who_may_read_and_write_t, who_may_read_and_write);

async fn the_pages_show_rules_in_words_and_statuses_as_badges(mut app: TestApp) {
    app.login("staff").await;
    let (status, html) = app.get_html("/plans?year=2011").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("委员会每季度上报社情民意信息不少于3条，或政协工作信息不少于1条"));
    assert!(html.contains("href=\"/plans\""), "a nav entry");
    // A year without a plan offers the template.
    let (_, empty) = app.get_html("/plans?year=2015").await;
    assert!(empty.contains("name=\"template\""));

    let (status, html) = app.get_html("/plans/status?period=2011-Q1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("tag tone-done"), "a met badge");
    assert!(html.contains("tag tone-stop"), "a missed badge");
    assert!(
        html.contains("href=\"/info/"),
        "records link to their pages"
    );

    // The item form: selects and numbers, nested groups from flat fields.
    let staff = app.token("staff").await;
    let plan = plan_of(&app, &staff, 2011).await;
    let id = plan["id"].as_i64().unwrap();
    let (status, form) = app.get_html(&format!("/plans/{id}/items/new")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("name=\"c1_measure\"") && form.contains("name=\"g1_join\""));
    let version = plan["version"].to_string();
    let path = format!("/plans/{id}/items");
    let before = counts(&app).await;
    let r = app
        .post_form(
            &path,
            &[
                ("text", "每季度报送信息"),
                ("version", &version),
                ("scope", "committee"),
                ("period", "quarter"),
                ("c1_in", "top"),
                ("c1_measure", "info_submitted"),
                ("c1_target", "-3"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("目标数：应为 1 到 1000 之间的整数"), "{html}");
    assert_eq!(counts(&app).await, before, "nothing saved");
    let r = app
        .post_form(
            &path,
            &[
                ("text", "每季度报送信息"),
                ("version", &version),
                ("scope", "committee"),
                ("period", "quarter"),
                ("join", "all"),
                ("g1_join", "any"),
                ("g1_in", "top"),
                ("c1_in", "top"),
                ("c1_measure", "proposals_submitted"),
                ("c1_target", "1"),
                ("c2_in", "g1"),
                ("c2_measure", "info_submitted"),
                ("c2_info_kind", "social_condition"),
                ("c2_target", "3"),
                ("c3_in", "g1"),
                ("c3_measure", "info_submitted"),
                ("c3_info_kind", "work"),
                ("c3_target", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html("/plans?year=2011").await;
    assert!(
        html.contains("委员会每季度提交提案不少于1件，并且（报送社情民意信息不少于3条，或政协工作信息不少于1条）"),
        "{html}"
    );
    // The edit form shows the rule back.
    let plan = plan_of(&app, &staff, 2011).await;
    let item = plan["items"].as_array().unwrap().last().unwrap()["id"].clone();
    let (status, form) = app.get_html(&format!("/plans/items/{item}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("<option value=\"any\" selected>"), "{form}");

    // A member sees their own quotas.
    let mut member = crate::helpers::spawn_client_for(&app).await;
    member
        .login_as("member", crate::helpers::DEMO_PASSWORD)
        .await;
    let html = member.page_text("/plans/status?period=2011-Q1").await;
    assert!(html.contains("孟爱云"));
    assert!(!html.contains("孙郑华"), "not another member's line");
}
dual_test!(
    the_pages_show_rules_in_words_and_statuses_as_badges_t,
    the_pages_show_rules_in_words_and_statuses_as_badges
);
