//! Activities end to end, on both databases: create, list, filter and the
//! calendar; invitations, replies and attendance; members' own logs and their
//! approval; research reports; awards and the 'five-ones'; attachments; and
//! what all of it writes to the duty file.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::dual_test;
use crate::helpers::{spawn_app_configured, TestApp};

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

fn activity(kind: &str, title: &str, held_on: &str) -> Value {
    json!({
        "kind": kind, "title": title, "held_on": held_on, "place": "长江路街道办事处会议室",
        "organiser": "长江路街道政协工委", "description": "测试活动"
    })
}

async fn create(app: &TestApp, token: &str, body: &Value) -> Value {
    let (status, created) = app.api_post(token, "/api/v1/activities", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

fn codes(answer: &Value) -> Vec<(String, String)> {
    answer["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|f| {
                    (
                        f["field"].as_str().unwrap_or("").to_string(),
                        f["code"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------

async fn activities_are_created_listed_filtered_and_shown_by_month(mut app: TestApp) {
    let staff = app.token("staff").await;
    // The demo's 2011 and 2012.
    let (status, all) = app.api_get(&staff, "/api/v1/activities?per_page=200").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["total"], 17);
    let (_, studies) = app
        .api_get(
            &staff,
            "/api/v1/activities?kind=study&from=2011-01-01&to=2011-12-31",
        )
        .await;
    assert_eq!(studies["total"], 4, "quarterly study sessions in 2011");
    let (_, lantern) = app
        .api_get(&staff, "/api/v1/activities?from=2011-02-17&to=2011-02-17")
        .await;
    assert_eq!(lantern["total"], 1);
    assert_eq!(lantern["items"][0]["amount_yuan"], 2000);
    assert!(lantern["items"][0]["title"]
        .as_str()
        .unwrap()
        .contains("爱馨老年公寓"));
    let committee = lantern["items"][0]["org_id"].as_i64().unwrap();
    let (_, by_org) = app
        .api_get(
            &staff,
            &format!("/api/v1/activities?org={committee}&kind=party_hearing"),
        )
        .await;
    assert_eq!(by_org["total"], 2);

    // A new one for a group, then filtered by that group.
    let group = app.group_id("第二委员小组").await;
    let mut body = activity("liaison", "第二小组委员座谈", "2013-03-05");
    body["group_id"] = json!(group);
    body["amount_yuan"] = json!("300");
    let created = create(&app, &staff, &body).await;
    assert_eq!(created["approval"], "approved");
    assert_eq!(created["amount_yuan"], 300);
    assert_eq!(created["version"], 1);
    let (_, by_group) = app
        .api_get(&staff, &format!("/api/v1/activities?group={group}"))
        .await;
    assert_eq!(by_group["total"], 1);
    assert_eq!(by_group["items"][0]["id"], created["id"]);

    // Update with the version read; a stale version is refused.
    let id = created["id"].as_i64().unwrap();
    let mut update = body.clone();
    update["title"] = json!("第二小组委员座谈会");
    update["version"] = json!(1);
    let (status, updated) = app
        .api_send(
            Method::PUT,
            &staff,
            &format!("/api/v1/activities/{id}"),
            &update,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["version"], 2);
    let (status, stale) = app
        .api_send(
            Method::PUT,
            &staff,
            &format!("/api/v1/activities/{id}"),
            &update,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");

    // Bad input: every field at once, nothing written.
    let before = app.count("activities").await;
    let (status, answer) = app
        .api_post(
            &staff,
            "/api/v1/activities",
            &json!({ "kind": "banquet", "title": "", "held_on": "2011-02-30", "place": "x",
                     "organiser": "x", "amount_yuan": "-5", "five_ones": "deed" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let found = codes(&answer);
    for expected in [
        ("kind", "invalid_choice"),
        ("title", "required"),
        ("held_on", "date_format"),
        ("amount_yuan", "yuan_format"),
    ] {
        assert!(
            found.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {answer}"
        );
    }
    let mut wrong_tag = activity("study", "学习", "2013-01-01");
    wrong_tag["five_ones"] = json!("poverty_aid");
    let (status, answer) = app.api_post(&staff, "/api/v1/activities", &wrong_tag).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&answer),
        [("five_ones".into(), "five_ones_kind".into())]
    );
    assert_eq!(app.count("activities").await, before);

    // Bad filters are a 400 with the field named.
    for (query, field, code) in [
        ("from=2012-02-01&to=2012-01-01", "to", "date_range"),
        ("from=2012-13-01", "from", "date_format"),
        ("kind=party", "kind", "invalid_choice"),
        ("org=abc", "org", "id_format"),
    ] {
        let (status, answer) = app
            .api_get(&staff, &format!("/api/v1/activities?{query}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(
            codes(&answer).contains(&(field.into(), code.into())),
            "{query}: {answer}"
        );
    }

    // The month calendar and the list page.
    app.login("staff").await;
    let (status, html) = app.get_html("/activities/calendar?month=2011-02").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("元宵节走访慰问爱馨老年公寓"),
        "calendar shows it"
    );
    assert!(!html.contains("六一走访大学路小学"), "June is not February");
    let (status, html) = app
        .get_html("/activities/calendar?month=2011-06&kind=charity")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("六一走访大学路小学"));
    let (status, _) = app.get_html("/activities/calendar?month=2011-13").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, html) = app.get_html("/activities?kind=research").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("竹林镇"));
    assert!(!html.contains("集中学习</a>"));
    let (status, html) = app.get_html(&format!("/activities/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("第二小组委员座谈会"));
    let (status, _) = app.get_html("/activities/new").await;
    assert_eq!(status, StatusCode::OK);

    // A member's list holds only what they are invited to.
    let member = app.token("member").await;
    let (_, mine) = app
        .api_get(&member, "/api/v1/activities?per_page=200")
        .await;
    let mine_total = mine["total"].as_i64().unwrap();
    assert!(mine_total > 0 && mine_total < 17, "{mine_total}");
    let (status, _) = app
        .api_get(&member, &format!("/api/v1/activities/{id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not invited: not found");
}
dual_test!(
    activities_are_created_listed_filtered_and_shown_by_month_t,
    activities_are_created_listed_filtered_and_shown_by_month
);

async fn invited_members_reply_and_staff_confirm_attendance(app: TestApp) {
    let staff = app.token("staff").await;
    let member = app.token("member").await;
    let meng = member_id(&app, "孟爱云").await;
    let sun = member_id(&app, "孙郑华").await;
    let dou = member_id(&app, "豆雨霞").await;
    let created = create(
        &app,
        &staff,
        &activity("study", "2013年第一季度集中学习", "2013-03-14"),
    )
    .await;
    let id = created["id"].as_i64().unwrap();

    let (status, invited) = app
        .api_post(
            &staff,
            &format!("/api/v1/activities/{id}/invitations"),
            &json!({ "member_ids": [meng, sun.to_string()] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{invited}");
    assert_eq!(invited.as_array().unwrap().len(), 2);
    assert_eq!(invited[0]["reply"], "pending");
    // An unknown member is named; nobody is invited.
    let (status, answer) = app
        .api_post(
            &staff,
            &format!("/api/v1/activities/{id}/invitations"),
            &json!({ "member_ids": [dou, 999_999] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&answer),
        [("member_ids".into(), "unknown_member".into())]
    );

    // The member sees it, and replies: an excuse needs its reason.
    let (status, detail) = app
        .api_get(&member, &format!("/api/v1/activities/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        detail["invitations"].as_array().unwrap().len(),
        1,
        "a member sees only their own invitation"
    );
    let reply_url = format!("/api/v1/activities/{id}/reply");
    let (status, answer) = app
        .api_post(&member, &reply_url, &json!({ "reply": "excused" }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&answer),
        [("reason".into(), "reason_required".into())]
    );
    let (status, replied) = app
        .api_post(
            &member,
            &reply_url,
            &json!({ "reply": "excused", "reason": "参加区人大会议" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{replied}");
    assert_eq!(replied["reply"], "excused");
    let (status, replied) = app
        .api_post(&member, &reply_url, &json!({ "reply": "confirmed" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(replied["reply"], "confirmed");

    // Staff confirm attendance; present writes the duty file once.
    let before = timeline_count(&app, meng, "attendance").await;
    let attendance_url = format!("/api/v1/activities/{id}/attendance");
    let (status, answer) = app
        .api_post(
            &staff,
            &attendance_url,
            &json!({ "member_id": meng, "attendance": "present" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["attendance"], "present");
    app.api_post(
        &staff,
        &attendance_url,
        &json!({ "member_id": meng, "attendance": "present" }),
    )
    .await;
    assert_eq!(timeline_count(&app, meng, "attendance").await, before + 1);
    let (status, answer) = app
        .api_post(
            &staff,
            &attendance_url,
            &json!({ "member_id": sun, "attendance": "excused" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&answer),
        [("reason".into(), "reason_required".into())]
    );
    let (status, _) = app
        .api_post(
            &staff,
            &attendance_url,
            &json!({ "member_id": sun, "attendance": "excused", "reason": "住院" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Once recorded, the member's reply no longer changes.
    let (status, answer) = app
        .api_post(&member, &reply_url, &json!({ "reply": "confirmed" }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["error"], "attendance_recorded");

    // Attendance for a member who was not invited: a clear message, nothing changed.
    let invitations = app.count("activity_invitations").await;
    let dou_entries = timeline_count(&app, dou, "attendance").await;
    let (status, answer) = app
        .api_post(
            &staff,
            &attendance_url,
            &json!({ "member_id": dou, "attendance": "present" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(codes(&answer), [("member_id".into(), "not_invited".into())]);
    assert!(answer["message"].as_str().unwrap().contains("未受邀"));
    assert_eq!(app.count("activity_invitations").await, invitations);
    assert_eq!(timeline_count(&app, dou, "attendance").await, dou_entries);

    // The duty file shows it.
    let (_, timeline) = app
        .api_get(&member, &format!("/api/v1/members/{meng}/timeline"))
        .await;
    assert!(timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "attendance" && e["title"] == "2013年第一季度集中学习"));
    // The member may not record attendance, nor reply for someone else's activity.
    let (status, _) = app
        .api_post(
            &member,
            &attendance_url,
            &json!({ "member_id": meng, "attendance": "present" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
dual_test!(
    invited_members_reply_and_staff_confirm_attendance_t,
    invited_members_reply_and_staff_confirm_attendance
);

async fn a_members_own_activity_counts_once_approved(app: TestApp) {
    let staff = app.token("staff").await;
    let member = app.token("member").await;
    let meng = member_id(&app, "孟爱云").await;
    let mut body = activity("charity", "走访困难家庭", "2013-01-20");
    body["five_ones"] = json!("poverty_aid");
    body["amount_yuan"] = json!(500);
    let logged = create(&app, &member, &body).await;
    assert_eq!(logged["approval"], "pending");
    assert_eq!(logged["logged_by"], meng);
    let id = logged["id"].as_i64().unwrap();
    let before = timeline_count(&app, meng, "attendance").await;
    let five_before = timeline_count(&app, meng, "five_ones").await;
    let (_, checklist) = app
        .api_get(
            &member,
            &format!("/api/v1/members/{meng}/five-ones?year=2013"),
        )
        .await;
    assert_eq!(
        checklist["done"], 0,
        "pending logs do not count: {checklist}"
    );

    // Members cannot log the committee's own kinds.
    let (status, answer) = app
        .api_post(
            &member,
            "/api/v1/activities",
            &activity("party_hearing", "听取汇报", "2013-01-21"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&answer),
        [("kind".into(), "kind_not_for_members".into())]
    );

    // Staff decide: a rejection needs a reason; a stale version is refused.
    let decision_url = format!("/api/v1/activities/{id}/decision");
    let (status, answer) = app
        .api_post(
            &staff,
            &decision_url,
            &json!({ "decision": "reject", "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&answer),
        [("reason".into(), "reason_required".into())]
    );
    let (status, _) = app
        .api_post(
            &staff,
            &decision_url,
            &json!({ "decision": "approve", "version": 7 }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, approved) = app
        .api_post(
            &staff,
            &decision_url,
            &json!({ "decision": "approve", "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["approval"], "approved");
    assert_eq!(timeline_count(&app, meng, "attendance").await, before + 1);
    assert_eq!(
        timeline_count(&app, meng, "five_ones").await,
        five_before + 1
    );
    let (status, answer) = app
        .api_post(
            &staff,
            &decision_url,
            &json!({ "decision": "reject", "reason": "重复", "version": 2 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&answer),
        [("decision".into(), "already_decided".into())]
    );

    let (_, checklist) = app
        .api_get(
            &member,
            &format!("/api/v1/members/{meng}/five-ones?year=2013"),
        )
        .await;
    assert_eq!(checklist["done"], 1);
    let aid = checklist["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == "poverty_aid")
        .unwrap();
    assert_eq!(aid["ticked"], true);
    assert_eq!(aid["records"][0]["object_id"], id);

    // A rejected log never counts.
    let other = create(
        &app,
        &member,
        &activity("reception", "接待群众", "2013-02-15"),
    )
    .await;
    let (status, rejected) = app
        .api_post(
            &staff,
            &format!("/api/v1/activities/{}/decision", other["id"]),
            &json!({ "decision": "reject", "reason": "当天未排班", "version": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rejected["approval"], "rejected");
    assert_eq!(timeline_count(&app, meng, "attendance").await, before + 1);
    let (_, pending) = app
        .api_get(&staff, "/api/v1/activities?approval=pending")
        .await;
    assert_eq!(pending["total"], 0);
}
dual_test!(
    a_members_own_activity_counts_once_approved_t,
    a_members_own_activity_counts_once_approved
);

async fn research_trips_carry_their_report(app: TestApp) {
    let staff = app.token("staff").await;
    let meng = member_id(&app, "孟爱云").await;
    // The demo's 2012 trip has its report, on the duty file of those present.
    let (_, trips) = app
        .api_get(
            &staff,
            "/api/v1/activities?kind=research&from=2012-01-01&to=2012-12-31",
        )
        .await;
    assert_eq!(trips["total"], 1);
    let trip = trips["items"][0]["id"].as_i64().unwrap();
    let (_, detail) = app
        .api_get(&staff, &format!("/api/v1/activities/{trip}"))
        .await;
    assert_eq!(detail["report"]["submitted_to"], "二七区政协");
    assert_eq!(detail["report"]["submitted_on"], "2012-06-05");
    assert!(timeline_count(&app, meng, "research_report").await >= 1);

    // A study session has no report.
    let study = create(&app, &staff, &activity("study", "学习", "2013-03-01")).await;
    let report = json!({ "title": "报告", "body": "正文", "submitted_to": "二七区政协", "submitted_on": "2013-03-02" });
    let (status, answer) = app
        .api_send(
            Method::PUT,
            &staff,
            &format!("/api/v1/activities/{}/report", study["id"]),
            &report,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&answer), [("kind".into(), "report_kind".into())]);

    // A new trip: report before the trip refused; then written and replaced.
    let created = create(
        &app,
        &staff,
        &activity("inspection", "考察二七万达广场", "2013-04-10"),
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    app.api_post(
        &staff,
        &format!("/api/v1/activities/{id}/invitations"),
        &json!({ "member_ids": [meng] }),
    )
    .await;
    app.api_post(
        &staff,
        &format!("/api/v1/activities/{id}/attendance"),
        &json!({ "member_id": meng, "attendance": "present" }),
    )
    .await;
    let url = format!("/api/v1/activities/{id}/report");
    let mut body = json!({ "title": "关于万达广场周边交通的调研报告", "body": "一、现状\n二、建议",
        "submitted_to": "二七区政协", "submitted_on": "2013-04-01" });
    let (status, answer) = app.api_send(Method::PUT, &staff, &url, &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&answer),
        [("submitted_on".into(), "report_before_trip".into())]
    );
    let before = timeline_count(&app, meng, "research_report").await;
    body["submitted_on"] = json!("2013-04-20");
    let (status, saved) = app.api_send(Method::PUT, &staff, &url, &body).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 1);
    assert_eq!(
        timeline_count(&app, meng, "research_report").await,
        before + 1
    );
    body["body"] = json!("一、现状\n二、问题\n三、建议");
    let (status, _) = app.api_send(Method::PUT, &staff, &url, &body).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a replacement names its version"
    );
    body["version"] = json!(1);
    let (status, saved) = app.api_send(Method::PUT, &staff, &url, &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(saved["version"], 2);
    assert_eq!(
        timeline_count(&app, meng, "research_report").await,
        before + 1,
        "replacing the report does not add to the duty file"
    );
}
dual_test!(
    research_trips_carry_their_report_t,
    research_trips_carry_their_report
);

async fn awards_and_the_five_ones_come_from_records(app: TestApp) {
    let staff = app.token("staff").await;
    let member = app.token("member").await;
    let meng = member_id(&app, "孟爱云").await;
    let sun = member_id(&app, "孙郑华").await;

    // The demo's candidacy for 富华花苑二期.
    let (status, awards) = app.api_get(&member, "/api/v1/awards").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(awards["total"], 1);
    assert_eq!(awards["items"][0]["category"], "new_investment");
    assert!(awards["items"][0]["evidence"]
        .as_str()
        .unwrap()
        .contains("2000万元"));

    // 2011: the 元宵节 visit, 六一 and her own 创文 work tick the practical deed.
    let (status, y2011) = app
        .api_get(
            &staff,
            &format!("/api/v1/members/{meng}/five-ones?year=2011"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{y2011}");
    assert_eq!(y2011["done"], 1);
    let deed = &y2011["items"][1];
    assert_eq!(deed["item"], "deed");
    assert_eq!(deed["records"].as_array().unwrap().len(), 3);
    // 2012: the research trip ticks the suggestion.
    let (_, y2012) = app
        .api_get(
            &staff,
            &format!("/api/v1/members/{meng}/five-ones?year=2012"),
        )
        .await;
    assert_eq!(y2012["items"][0]["item"], "suggestion");
    assert_eq!(y2012["items"][0]["ticked"], true);

    // An award for a new suggestion, once given, ticks the suggestion too.
    let before_award = timeline_count(&app, sun, "award").await;
    let (status, answer) = app
        .api_post(
            &staff,
            "/api/v1/awards",
            &json!({ "member_id": sun, "year": "1999", "category": "best", "title": "", "evidence": "" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let found = codes(&answer);
    for expected in [
        ("year", "year_range"),
        ("category", "invalid_choice"),
        ("title", "required"),
        ("evidence", "required"),
    ] {
        assert!(
            found.contains(&(expected.0.into(), expected.1.into())),
            "{answer}"
        );
    }
    let (status, award) = app
        .api_post(
            &staff,
            "/api/v1/awards",
            &json!({ "member_id": sun, "year": 2011, "category": "new_suggestion",
                     "title": "关于孙八砦城中村改造的建议", "evidence": "建议被区政府采纳", "status": "awarded" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{award}");
    assert_eq!(timeline_count(&app, sun, "award").await, before_award + 1);
    let (_, sun2011) = app
        .api_get(
            &staff,
            &format!("/api/v1/members/{sun}/five-ones?year=2011"),
        )
        .await;
    assert_eq!(sun2011["items"][0]["ticked"], true);
    assert_eq!(sun2011["items"][0]["records"][0]["object_type"], "award");

    // A member sees their own checklist and awards, no one else's.
    let (status, _) = app
        .api_get(&member, &format!("/api/v1/members/{sun}/five-ones"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, mine) = app
        .api_get(&member, &format!("/api/v1/awards?member={sun}"))
        .await;
    assert_eq!(mine["total"], 0);
    let (status, _) = app
        .api_get(
            &staff,
            &format!("/api/v1/members/{meng}/five-ones?year=20x1"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app
        .api_post(
            &member,
            "/api/v1/awards",
            &json!({ "member_id": meng, "year": 2011, "category": "other", "title": "x", "evidence": "x" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
dual_test!(
    awards_and_the_five_ones_come_from_records_t,
    awards_and_the_five_ones_come_from_records
);

async fn demo_activities_load_once(app: TestApp) {
    let counts = [
        app.count("activities").await,
        app.count("activity_invitations").await,
        app.count("research_reports").await,
        app.count("awards").await,
        app.count("timeline_entries").await,
    ];
    lvzhi::demo::load(&app.db, &crate::helpers::cipher())
        .await
        .unwrap();
    lvzhi::demo::activities::load_activities(&app.db, &crate::helpers::cipher())
        .await
        .unwrap();
    let again = [
        app.count("activities").await,
        app.count("activity_invitations").await,
        app.count("research_reports").await,
        app.count("awards").await,
        app.count("timeline_entries").await,
    ];
    assert_eq!(counts, again);
    assert_eq!(counts[0], 17);
    assert_eq!(counts[2], 1);
}
dual_test!(demo_activities_load_once_t, demo_activities_load_once);

// ---------------------------------------------------------------------------
// Attachments
// ---------------------------------------------------------------------------

const BOUNDARY: &str = "lvzhi-test-boundary-7MA4YWxkTrZu0gW";

fn multipart_body(name: &str, bytes: &[u8], category: &str, csrf: Option<&str>) -> Vec<u8> {
    let mut body = Vec::new();
    if let Some(csrf) = csrf {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\n{category}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    path: &str,
    name: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart_body(name, bytes, "photo", None))
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub(crate) fn jpeg() -> Vec<u8> {
    crate::attachments::jpeg()
}

fn stored_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn attachments_are_checked_kept_apart_and_shown_only_to_those_allowed(
    mut app: TestApp,
    dir: std::path::PathBuf,
) {
    let staff = app.token("staff").await;
    let member = app.token("member").await;
    let meng = member_id(&app, "孟爱云").await;
    let created = create(&app, &staff, &activity("study", "2013年学习", "2013-03-21")).await;
    let id = created["id"].as_i64().unwrap();
    let path = format!("/api/v1/activities/{id}/attachments");

    // A photo with a Chinese name: kept under a random name, outside anything served.
    let photo = jpeg();
    let (status, saved) = upload(&app, &staff, &path, "集中学习合影.jpg", &photo).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["original_name"], "集中学习合影.jpg");
    assert_eq!(saved["content_type"], "image/jpeg");
    assert_eq!(saved["size_bytes"], photo.len());
    assert_eq!(saved["sha256"].as_str().unwrap().len(), 64);
    assert!(
        saved.get("stored_name").is_none(),
        "the stored name stays inside"
    );
    let files = stored_files(&dir);
    assert_eq!(files.len(), 1);
    assert!(files[0].len() >= 32 && files[0].bytes().all(|b| b.is_ascii_hexdigit()));
    let attachment = saved["id"].as_i64().unwrap();

    // Downloaded by staff with its original name; not sniffable.
    let r = app
        .client
        .get(app.url(&format!("/api/v1/attachments/{attachment}")))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains(
            "filename*=UTF-8''%E9%9B%86%E4%B8%AD%E5%AD%A6%E4%B9%A0%E5%90%88%E5%BD%B1.jpg"
        ),
        "{disposition}"
    );
    assert_eq!(r.bytes().await.unwrap().to_vec(), photo);

    // A member who is not invited: 404, as if there were no such file.
    let (status, answer) = app
        .api_get(&member, &format!("/api/v1/attachments/{attachment}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    let (status, _) = app.api_get(&member, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Once invited, they may.
    app.api_post(
        &staff,
        &format!("/api/v1/activities/{id}/invitations"),
        &json!({ "member_ids": [meng] }),
    )
    .await;
    let r = app
        .client
        .get(app.url(&format!("/api/v1/attachments/{attachment}")))
        .bearer_auth(&member)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // …but cannot add files to the committee's activity.
    let (status, answer) = upload(&app, &member, &path, "mine.jpg", &photo).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");

    // Refused: too large, empty, an executable renamed .jpg, a type we do not
    // take, a name that lies about the content. Each says why; nothing is kept.
    let rows = app.count("attachments").await;
    let mut large = jpeg();
    // Over 1 MiB: the upload routes take larger bodies than the rest, and
    // the configured limit (4 KiB here) decides.
    large.extend(std::iter::repeat_n(0u8, 2 * 1024 * 1024));
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec();
    exe.extend(std::iter::repeat_n(0u8, 200));
    for (name, bytes, code) in [
        ("big.jpg", large, "file_too_large"),
        ("empty.jpg", Vec::new(), "file_empty"),
        ("photo.jpg", exe.clone(), "file_executable"),
        ("run.exe", exe, "file_executable"),
        (
            "script.jpg",
            b"#!/bin/sh\necho hi\n".to_vec(),
            "file_executable",
        ),
        (
            "page.html",
            b"<html><script>alert(1)</script>".to_vec(),
            "file_type",
        ),
        ("photo.pdf", jpeg(), "file_type_mismatch"),
    ] {
        let (status, answer) = upload(&app, &staff, &path, name, &bytes).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {answer}");
        assert_eq!(codes(&answer), [("file".into(), code.into())], "{name}");
        assert!(!answer["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(app.count("attachments").await, rows);
    assert_eq!(stored_files(&dir).len(), 1, "no file left behind");

    // Not a multipart body: 400.
    let (status, answer) = app.api_post(&staff, &path, &json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"], "bad_request");

    // The page: upload with the form token, then download while signed in.
    app.login("staff").await;
    let r = app
        .client
        .post(app.url(&format!("/activities/{id}/attachments")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart_body(
            "会议纪要.pdf",
            &crate::attachments::pdf(),
            "minutes",
            Some(&app.csrf),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .client
        .post(app.url(&format!("/activities/{id}/attachments")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart_body(
            "x.pdf",
            &crate::attachments::pdf(),
            "minutes",
            Some("wrong-token"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "the form token is checked"
    );
    let (status, html) = app.get_html(&format!("/activities/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("会议纪要.pdf"));
    let (_, listed) = app.api_get(&staff, &path).await;
    let pdf = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["original_name"] == "会议纪要.pdf")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = app.get(&format!("/attachments/{pdf}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(stored_files(&dir).len(), 2);

    // A member attaches to their own log while it waits for approval, not after.
    let logged = create(
        &app,
        &member,
        &activity("charity", "走访孤寡老人", "2013-02-02"),
    )
    .await;
    let own = format!("/api/v1/activities/{}/attachments", logged["id"]);
    let (status, saved) = upload(
        &app,
        &member,
        &own,
        "走访照片.png",
        &crate::attachments::png(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["content_type"], "image/png");
    app.api_post(
        &staff,
        &format!("/api/v1/activities/{}/decision", logged["id"]),
        &json!({ "decision": "approve", "version": 1 }),
    )
    .await;
    let (status, _) = upload(&app, &member, &own, "补充.png", &crate::attachments::png()).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Award evidence: staff only.
    let (_, awards) = app.api_get(&staff, "/api/v1/awards").await;
    let award = awards["items"][0]["id"].as_i64().unwrap();
    let (status, saved) = upload(
        &app,
        &staff,
        &format!("/api/v1/awards/{award}/attachments"),
        "富华花苑二期立项批复.pdf",
        &crate::attachments::pdf(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["category"], "photo");
}

async fn files_app(backend: lvzhi::storage::Backend) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("attachments");
    let app = spawn_app_configured(backend, true, |s| {
        s.attachments_dir = files;
        s.attachment_max_bytes = 4096;
    })
    .await;
    (app, dir)
}

mod attachments_are_checked_kept_apart_and_shown_only_to_those_allowed_t {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let (app, dir) = super::files_app(lvzhi::storage::Backend::Sqlite).await;
        super::attachments_are_checked_kept_apart_and_shown_only_to_those_allowed(
            app,
            dir.path().join("attachments"),
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if crate::helpers::postgres_skipped() {
            eprintln!("PostgreSQL side skipped (LVZHI_TEST_POSTGRES=skip)");
            return;
        }
        let (app, dir) = super::files_app(lvzhi::storage::Backend::Postgres).await;
        super::attachments_are_checked_kept_apart_and_shown_only_to_those_allowed(
            app,
            dir.path().join("attachments"),
        )
        .await;
    }
}

// ---------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------

async fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

async fn staff_and_members_work_through_the_pages(mut app: TestApp) {
    let meng = member_id(&app, "孟爱云").await.to_string();
    let sun = member_id(&app, "孙郑华").await.to_string();
    let dou = member_id(&app, "豆雨霞").await.to_string();
    app.login("staff").await;
    let (status, html) = app.get_html("/activities").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("href=\"/activities\""), "navigation entry");

    // Create: an invalid form comes back with its messages, then a valid one.
    let r = app
        .post_form(
            "/activities",
            &[("kind", "study"), ("title", ""), ("held_on", "2013-13-01")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("不能为空"), "messages shown");
    let r = app
        .post_form(
            "/activities",
            &[
                ("kind", "study"),
                ("title", "页面创建的集中学习"),
                ("held_on", "2013-06-13"),
                ("place", "委员之家"),
                ("organiser", "长江路街道政协工委"),
                ("description", "学习<script>alert(1)</script>"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let show = location(&r).await;
    assert!(show.starts_with("/activities/"));

    // Invite two members (checkboxes), then the page lists them.
    let r = app
        .post_form(
            &format!("{show}/invitations"),
            &[("member_ids", meng.as_str()), ("member_ids", sun.as_str())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html(&show).await;
    assert!(html.contains("孙郑华") && html.contains("孟爱云"));

    // Edit with the version read; a stale version shows the form again.
    let (status, html) = app.get_html(&format!("{show}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"页面创建的集中学习\""));
    let edit = [
        ("kind", "study"),
        ("title", "页面修改的集中学习"),
        ("held_on", "2013-06-13"),
        ("place", "委员之家"),
        ("organiser", "长江路街道政协工委"),
        ("version", "1"),
    ];
    let r = app.post_form(&show, &edit).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app.post_form(&show, &edit).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("其他人已修改"));
    assert!(!html.contains("<script>alert(1)</script>"), "escaped");

    // Attendance for someone not invited: the page says why.
    let r = app
        .post_form(
            &format!("{show}/attendance"),
            &[("member_id", dou.as_str()), ("attendance", "present")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("未受邀"));

    // Awards and the five-ones pages.
    let (status, html) = app.get_html("/awards").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("富华花苑二期"));
    let r = app
        .post_form(
            "/awards",
            &[
                ("member_id", sun.as_str()),
                ("year", "2011"),
                ("category", "other"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(
            "/awards",
            &[
                ("member_id", sun.as_str()),
                ("year", "2011"),
                ("category", "new_contribution"),
                ("status", "awarded"),
                ("title", "创文工作先进个人"),
                ("evidence", "带队整治孙八砦社区环境卫生"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html) = app
        .get_html(&format!("/members/{meng}/five-ones?year=2011"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("办一件实事") && html.contains("1/5"),
        "{html}"
    );

    // The member: their activities, a reply (an excuse needs its reason).
    app.login("member").await;
    let (status, html) = app.get_html("/activities").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("页面修改的集中学习"));
    let r = app
        .post_form(&format!("{show}/reply"), &[("reply", "excused")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(
            &format!("{show}/reply"),
            &[("reply", "excused"), ("reason", "外出开会")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html(&show).await;
    assert!(html.contains("外出开会"));
    // Logging their own activity.
    let (status, html) = app.get_html("/activities/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("value=\"party_hearing\""),
        "kinds members may log"
    );
    let r = app
        .post_form(
            "/activities",
            &[
                ("kind", "reception"),
                ("title", "接待日值班"),
                ("held_on", "2013-01-15"),
                ("place", "委员之家"),
                ("organiser", "孟爱云"),
                ("five_ones", "information"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mine = location(&r).await;
    let (_, html) = app.get_html(&mine).await;
    assert!(html.contains("待审核"));
    // Not their duty file's neighbour: another member's five-ones is not found.
    let (status, _) = app.get_html(&format!("/members/{sun}/five-ones")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Staff approve it from the page.
    app.login("staff").await;
    let r = app
        .post_form(
            &format!("{mine}/decision"),
            &[("decision", "approve"), ("version", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html(&mine).await;
    assert!(html.contains("已确认"));
    let r = app
        .post_form(
            &format!("{show}/attendance"),
            &[("member_id", sun.as_str()), ("attendance", "present")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
dual_test!(
    staff_and_members_work_through_the_pages_t,
    staff_and_members_work_through_the_pages
);

// ---------------------------------------------------------------------------
// Another committee
// ---------------------------------------------------------------------------

async fn another_committee_sees_none_of_these_records(app: TestApp) {
    use lvzhi::domain::roles::Role;
    use lvzhi::services::orgs::OrgInput;
    use lvzhi::services::users::{Creator, UserInput};
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
    let other = app.token("jianshe").await;
    let staff = app.token("staff").await;
    let meng = member_id(&app, "孟爱云").await;
    let (_, demo) = app.api_get(&staff, "/api/v1/activities?per_page=1").await;
    let demo_id = demo["items"][0]["id"].as_i64().unwrap();
    let demo_org = demo["items"][0]["org_id"].as_i64().unwrap();

    let (_, list) = app.api_get(&other, "/api/v1/activities").await;
    assert_eq!(list["total"], 0);
    let (_, awards) = app.api_get(&other, "/api/v1/awards").await;
    assert_eq!(awards["total"], 0);
    let before = (
        app.count("activity_invitations").await,
        app.count("timeline_entries").await,
    );
    for (method, path, body) in [
        (
            Method::GET,
            format!("/api/v1/activities/{demo_id}"),
            json!({}),
        ),
        (
            Method::GET,
            format!("/api/v1/activities/{demo_id}/attachments"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/activities/{demo_id}/attendance"),
            json!({ "member_id": meng, "attendance": "absent" }),
        ),
        (
            Method::POST,
            format!("/api/v1/activities/{demo_id}/invitations"),
            json!({ "member_ids": [meng] }),
        ),
        (
            Method::GET,
            format!("/api/v1/members/{meng}/five-ones?year=2011"),
            json!({}),
        ),
    ] {
        let (status, answer) = app.api_send(method.clone(), &other, &path, &body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
    }
    // Nor can it file records into the demo committee, or invite its members.
    let mut body = activity("study", "越权活动", "2013-01-01");
    body["org_id"] = json!(demo_org);
    let (status, answer) = app.api_post(&other, "/api/v1/activities", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&answer), [("org_id".into(), "unknown_org".into())]);
    let own = create(&app, &other, &activity("study", "本工委学习", "2013-01-01")).await;
    let (status, answer) = app
        .api_post(
            &other,
            &format!("/api/v1/activities/{}/invitations", own["id"]),
            &json!({ "member_ids": [meng] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        codes(&answer),
        [("member_ids".into(), "unknown_member".into())]
    );
    let (status, _) = app
        .api_post(
            &other,
            "/api/v1/awards",
            &json!({ "member_id": meng, "year": 2011, "category": "other", "title": "x", "evidence": "x" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (
            app.count("activity_invitations").await,
            app.count("timeline_entries").await,
        ),
        before
    );
    // The demo staff do not see the other committee's activity either.
    let (status, _) = app
        .api_get(&staff, &format!("/api/v1/activities/{}", own["id"]))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
dual_test!(
    another_committee_sees_none_of_these_records_t,
    another_committee_sees_none_of_these_records
);
