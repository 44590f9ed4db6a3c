//! Reception days through the JSON API: the schedule and roster, holding a
//! day with its members on duty, registering visitors, the settings and the
//! official calendar.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::dual_test;
use crate::helpers::TestApp;

async fn the_schedule_moves_off_weekends_and_holidays_and_rotates_groups(app: TestApp) {
    let staff = app.token("staff").await;
    let (status, s) = app
        .api_get(&staff, "/api/v1/reception-days/schedule?year=2012")
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    let months = s["items"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    // 2012-01-15 is a Sunday: held on Monday the 16th, and shown as moved.
    assert_eq!(months[0]["nominal_on"], "2012-01-15");
    assert_eq!(months[0]["held_on"], "2012-01-16");
    assert_eq!(months[0]["shifted"], true);
    assert_eq!(months[1]["held_on"], "2012-02-15");
    assert_eq!(months[1]["shifted"], false);
    // The groups take turns.
    let groups: Vec<String> = months
        .iter()
        .take(5)
        .map(|m| m["duty_group"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(groups[0], groups[4]);
    assert_ne!(groups[0], groups[1]);
    assert_ne!(groups[1], groups[2]);
    // The demo's 2012 days are recorded.
    assert!(months[0]["reception_day_id"].is_i64(), "{}", months[0]);

    // 2012-07-15 is a Sunday; a holiday list can move a weekday too.
    let (status, loaded) = app
        .api_send(
            Method::PUT,
            &staff,
            "/api/v1/holidays",
            &json!({"year": 2030, "lines": "2030-05-15 holiday 测试假日\n2030-05-18 workday 调休"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{loaded}");
    assert_eq!(loaded["total"], 2);
    let (_, s) = app
        .api_get(&staff, "/api/v1/reception-days/schedule?year=2030")
        .await;
    assert_eq!(s["items"][4]["held_on"], "2030-05-16", "{}", s["items"][4]);
    let (status, bad) = app
        .api_send(
            Method::PUT,
            &staff,
            "/api/v1/holidays",
            &json!({"year": 2030, "lines": "2030-05-15 holiday 测试\n2030-02-30 holiday x\n2029-01-01 holiday y"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let codes: Vec<&str> = bad["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["holiday_line", "holiday_year"]);
    assert!(bad["message"].as_str().unwrap().contains("第 2 行"));
    let (_, still) = app.api_get(&staff, "/api/v1/holidays?year=2030").await;
    assert_eq!(still["total"], 2, "a refused list changes nothing");
    let (_, demo) = app.api_get(&staff, "/api/v1/holidays?year=2012").await;
    assert!(demo["total"].as_i64().unwrap() >= 30, "{demo}");
}
dual_test!(
    the_schedule_moves_off_weekends_and_holidays_and_rotates_groups_t,
    the_schedule_moves_off_weekends_and_holidays_and_rotates_groups
);

async fn settings_change_the_day_and_deadlines_with_a_version(app: TestApp) {
    let staff = app.token("staff").await;
    let (status, s) = app.api_get(&staff, "/api/v1/reception-days/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s["day_of_month"], 15);
    assert_eq!(s["due_working_days"], 15);
    let version = s["version"].clone();
    let body = json!({"day_of_month": 20, "due_working_days": 10, "return_working_days": 5, "version": version});
    let (status, saved) = app
        .api_send(
            Method::PUT,
            &staff,
            "/api/v1/reception-days/settings",
            &body,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["day_of_month"], 20);
    let (status, conflict) = app
        .api_send(
            Method::PUT,
            &staff,
            "/api/v1/reception-days/settings",
            &body,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    let (_, s) = app
        .api_get(&staff, "/api/v1/reception-days/schedule?year=2013")
        .await;
    assert_eq!(s["items"][1]["nominal_on"], "2013-02-20");
    let (status, bad) = app
        .api_send(
            Method::PUT,
            &staff,
            "/api/v1/reception-days/settings",
            &json!({"day_of_month": 40, "due_working_days": 0, "return_working_days": "x", "version": saved["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad["fields"].as_array().unwrap().len(), 3);
}
dual_test!(
    settings_change_the_day_and_deadlines_with_a_version_t,
    settings_change_the_day_and_deadlines_with_a_version
);

async fn a_reception_day_records_duty_visits_and_cases(mut app: TestApp) {
    let staff = app.token("staff").await;
    let (status, day) = app
        .api_post(
            &staff,
            "/api/v1/reception-days",
            &json!({"held_on": "2024-05-15"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{day}");
    let day_id = day["id"].as_i64().unwrap();
    let (_, detail) = app
        .api_get(&staff, &format!("/api/v1/reception-days/{day_id}"))
        .await;
    let duty = detail["duty"].as_array().unwrap().clone();
    assert!(!duty.is_empty(), "the rostered group is on duty: {detail}");
    let on_duty = duty[0]["member_id"].as_i64().unwrap();
    // The duty shows on the member's duty file.
    let (_, timeline) = app
        .api_get(&staff, &format!("/api/v1/members/{on_duty}/timeline"))
        .await;
    assert!(timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "reception_duty" && e["occurred_on"] == "2024-05-15"));

    // The same day twice is refused.
    let (status, again) = app
        .api_post(
            &staff,
            "/api/v1/reception-days",
            &json!({"held_on": "2024-05-15"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again["fields"][0]["code"], "reception_day_taken");

    // Answered on the spot.
    let (status, v) = app
        .api_post(
            &staff,
            &format!("/api/v1/reception-days/{day_id}/visits"),
            &json!({"people": 2, "community": "高砦社区", "summary": "咨询医保", "outcome": "answered",
                    "answer": "已告知办理流程", "phone": "13912345678"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["visit"]["phone_masked"], "139****5678");
    assert!(!v.to_string().contains("13912345678"));
    assert_eq!(v["case_ids"].as_array().unwrap().len(), 0);
    // One visit opens two cases, raised by the member on duty.
    let (status, v) = app
        .api_post(
            &staff,
            &format!("/api/v1/reception-days/{day_id}/visits"),
            &json!({"people": 3, "community": "高砦社区", "summary": "道路和排水", "outcome": "case",
                    "received_by": on_duty,
                    "cases": [{"subject": "道路破损", "description": "大学路南段坑洼"},
                              {"subject": "排水不畅", "description": "雨后积水"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let case_ids = v["case_ids"].as_array().unwrap();
    assert_eq!(case_ids.len(), 2);
    let (_, case) = app
        .api_get(&staff, &format!("/api/v1/cases/{}", case_ids[0]))
        .await;
    assert_eq!(case["source"], "visit");
    assert_eq!(case["received_on"], "2024-05-15");
    assert_eq!(case["raised_by"], on_duty);
    let (_, timeline) = app
        .api_get(&staff, &format!("/api/v1/members/{on_duty}/timeline"))
        .await;
    let raised = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "case_raised" && e["occurred_on"] == "2024-05-15")
        .count();
    assert_eq!(raised, 2);

    // Refusals change nothing.
    let visits_before = app.count("visits").await;
    let cases_before = app.count("cases").await;
    for (body, field, code) in [
        (
            json!({"people": 0, "community": "高砦社区", "summary": "x", "outcome": "answered"}),
            "people",
            "people_range",
        ),
        (
            json!({"people": 1, "community": "", "summary": "x", "outcome": "answered"}),
            "community",
            "required",
        ),
        (
            json!({"people": 1, "community": "高砦社区", "summary": "x", "outcome": "case"}),
            "cases",
            "visit_case_required",
        ),
        (
            json!({"people": 1, "community": "高砦社区", "summary": "x", "outcome": "maybe"}),
            "outcome",
            "invalid_choice",
        ),
        (
            json!({"people": 1, "community": "高砦社区", "summary": "x", "outcome": "answered", "phone": "123"}),
            "phone",
            "phone_format",
        ),
        (
            json!({"people": 1, "community": "高砦社区", "summary": "x", "outcome": "answered", "received_by": 999999}),
            "received_by",
            "not_on_duty",
        ),
    ] {
        let (status, answer) = app
            .api_post(
                &staff,
                &format!("/api/v1/reception-days/{day_id}/visits"),
                &body,
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["fields"][0]["field"], field, "{answer}");
        assert_eq!(answer["fields"][0]["code"], code, "{answer}");
    }
    assert_eq!(app.count("visits").await, visits_before);
    assert_eq!(app.count("cases").await, cases_before);

    // The list filters by date.
    let (_, list) = app
        .api_get(
            &staff,
            "/api/v1/reception-days?from=2024-05-01&to=2024-05-31",
        )
        .await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["people"], 5);
    let (_, list) = app
        .api_get(
            &staff,
            "/api/v1/reception-days?from=2011-01-01&to=2011-06-30",
        )
        .await;
    assert_eq!(list["total"], 6);

    // A member on duty registers visitors herself; the case is hers on her duty file.
    let meng: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM members WHERE name = '孟爱云'").fetch_one(pool).await)
    .unwrap();
    let (status, her_day) = app
        .api_post(
            &staff,
            "/api/v1/reception-days",
            &json!({"held_on": "2024-06-14", "duty_member_ids": [meng]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{her_day}");
    let member = app.token("member").await;
    let (status, v) = app
        .api_post(
            &member,
            &format!("/api/v1/reception-days/{}/visits", her_day["id"]),
            &json!({"people": 1, "community": "孙八砦社区", "summary": "噪音", "outcome": "case",
                    "cases": [{"subject": "广场舞噪音", "description": "晚上十点后仍有音乐"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["visit"]["received_by"], meng);
    let (_, timeline) = app
        .api_get(&member, &format!("/api/v1/members/{meng}/timeline"))
        .await;
    assert!(timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "case_raised" && e["title"] == "广场舞噪音"));

    // A member not on duty that day sees nothing of it.
    app.login("member").await;
    let member_token = app.token("member").await;
    let (status, _) = app
        .api_get(&member_token, &format!("/api/v1/reception-days/{day_id}"))
        .await;
    let member_is_on_duty = duty.iter().any(|d| d["name"] == "孟爱云");
    assert_eq!(
        status,
        if member_is_on_duty {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        }
    );
}
dual_test!(
    a_reception_day_records_duty_visits_and_cases_t,
    a_reception_day_records_duty_visits_and_cases
);

async fn loading_the_demo_again_changes_nothing(app: TestApp) {
    let tables = [
        "reception_days",
        "visits",
        "cases",
        "case_events",
        "holidays",
        "timeline_entries",
    ];
    let mut before = Vec::new();
    for t in tables {
        before.push(app.count(t).await);
    }
    assert!(before[0] >= 18 && before[2] >= 13, "{before:?}");
    lvzhi::demo::load(&app.db, &crate::helpers::cipher())
        .await
        .unwrap();
    let mut after = Vec::new();
    for t in tables {
        after.push(app.count(t).await);
    }
    assert_eq!(before, after);
}
dual_test!(
    loading_the_demo_again_changes_nothing_t,
    loading_the_demo_again_changes_nothing
);
