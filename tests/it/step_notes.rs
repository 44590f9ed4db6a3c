//! Nothing typed with a step is lost. The note (说明) typed with any step on
//! a proposal, an information report or a case reads back as typed: in the
//! record's API timeline (`events[].note`), on the record's page as the one
//! who took the step sees it, and in the step's audit row. What the step
//! sets down itself (the number given, the committee forwarded to, the
//! reply, the rating) is kept beside it in `events[].detail`, and the page's
//! timeline shows both on the step's row.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::dual_test;
use crate::helpers::{
    add_account, departments, ok_step, spawn_client_for, Browser, Record, TestApp, ADDED_PASSWORD,
    DEMO_PASSWORD,
};

/// Someone who takes steps: an API token, and a browser signed in as them.
struct Person {
    token: String,
    browser: Browser,
}

async fn person(app: &TestApp, username: &str, password: &str) -> Person {
    let mut browser = spawn_client_for(app).await;
    let r = browser.login_as(username, password).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign in as {username}");
    Person {
        token: app.token(username).await,
        browser,
    }
}

async fn demo_person(app: &TestApp, username: &str) -> Person {
    person(app, username, DEMO_PASSWORD).await
}

/// A handler account for a department of the demo committee.
async fn handler(app: &TestApp, username: &str, department: i64) -> Person {
    add_account(app, username, None, Some(department)).await;
    person(app, username, ADDED_PASSWORD).await
}

/// Where a record's timeline, page and audit rows are found.
struct Place {
    id: i64,
    api: String,
    page: String,
    audit_action: &'static str,
}

fn place(record: Record<'_>) -> Place {
    let (id, api, page, audit_action) = match record {
        Record::Case(case) => {
            let id = case["id"].as_i64().unwrap();
            (id, "/api/v1/cases", "/cases", "case_step")
        }
        Record::InfoReport(report) => {
            let id = report["id"].as_i64().unwrap();
            (id, "/api/v1/info-reports", "/info", "info_step")
        }
        Record::Proposal(id) => (id, "/api/v1/proposals", "/proposals", "proposal_step"),
    };
    Place {
        id,
        api: format!("{api}/{id}"),
        page: format!("{page}/{id}"),
        audit_action,
    }
}

/// The timeline row of a page that holds `text`: from its `<li>` to its `</li>`.
fn timeline_row<'a>(html: &'a str, text: &str) -> &'a str {
    let timeline = html
        .find("<ol class=\"timeline\">")
        .unwrap_or_else(|| panic!("no timeline on the page:\n{html}"));
    let at = html[timeline..]
        .find(text)
        .map(|i| timeline + i)
        .unwrap_or_else(|| panic!("{text:?} is not on the page's timeline:\n{html}"));
    let start = html[..at].rfind("<li>").unwrap();
    let end = at + html[at..].find("</li>").unwrap();
    &html[start..end]
}

/// What one step left: the record as the API answered it, and the step's
/// row of the timeline as the API reads it.
struct Taken {
    record: Value,
    event: Value,
    /// The step's row of the page's timeline.
    row: String,
    /// The step's audit detail.
    audit: Value,
}

/// Take a step with `note` typed; then the note reads back as typed in the
/// API timeline (on this step's row), on the page as `reader` sees it (on
/// the same row), and in the step's audit row.
async fn noted_step(
    app: &TestApp,
    who: &Person,
    reader: &Person,
    record: Record<'_>,
    mut body: Value,
    note: &str,
) -> Taken {
    body["note"] = json!(note);
    let action = body["action"].as_str().unwrap().to_string();
    let answer = ok_step(app, &who.token, record, body).await;
    let place = place(record);

    let staff = app.token("staff").await;
    let (status, detail) = app.api_get(&staff, &place.api).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let event = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == action.as_str() && e["note"] == note)
        .unwrap_or_else(|| panic!("no {action} event with the note {note:?}: {detail}"))
        .clone();

    let html = reader.browser.page_text(&place.page).await;
    let row = timeline_row(&html, note).to_string();

    let auditor = app.token("auditor").await;
    let path = format!("/api/v1/audit?action={}&per_page=200", place.audit_action);
    let (status, log) = app.api_get(&auditor, &path).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let audit = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["object_id"] == place.id.to_string().as_str())
        .filter_map(|e| serde_json::from_str::<Value>(e["detail"].as_str()?).ok())
        .find(|d| d["action"] == action.as_str() && d["note"] == note)
        .unwrap_or_else(|| panic!("no {action} audit row with the note {note:?}: {log}"));
    Taken {
        record: answer,
        event,
        row,
        audit,
    }
}

async fn propose(app: &TestApp, member: &Person, headline: &str, submit: bool) -> i64 {
    let body = json!({"headline": headline, "text": "群众反映强烈，建议有关部门研究解决。",
                      "category": "urban", "submit": if submit { "yes" } else { "no" }});
    let (status, p) = app
        .api_post(&member.token, "/api/v1/proposals", &body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p["id"].as_i64().unwrap()
}

/// The case: the 说明 typed when accepting a proposal was saved as
/// "#4". Now the note is the note, and the number is beside it.
async fn accepting_a_proposal_keeps_the_note_beside_the_number(app: TestApp) {
    let staff = demo_person(&app, "staff").await;
    let member = demo_person(&app, "member").await;
    let id = propose(&app, &member, "关于增设社区老年食堂的建议", true).await;
    let note = "同意立案，请优先交办民政局";
    let taken = noted_step(
        &app,
        &staff,
        &staff,
        Record::Proposal(id),
        json!({"action": "accept"}),
        note,
    )
    .await;
    let number = taken.record["number"].as_i64().unwrap();
    assert!(number >= 1, "{}", taken.record);
    assert_eq!(taken.event["note"], note);
    assert_eq!(taken.event["detail"], format!("#{number}"));
    // The page says it in words beside the note.
    assert!(
        taken.row.contains(&format!("编为第{number}号")),
        "{}",
        taken.row
    );
    assert_eq!(taken.audit["number"], number);
    // The member reads it too, on the page and in the API.
    let html = member.browser.page_text(&format!("/proposals/{id}")).await;
    assert!(timeline_row(&html, note).contains(&format!("编为第{number}号")));
    let (_, p) = app
        .api_get(&member.token, &format!("/api/v1/proposals/{id}"))
        .await;
    assert!(p["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "accept" && e["note"] == note));
}
dual_test!(
    accepting_a_proposal_keeps_the_note_beside_the_number_t,
    accepting_a_proposal_keeps_the_note_beside_the_number
);

async fn every_proposal_step_keeps_its_typed_note(app: TestApp) {
    let staff = demo_person(&app, "staff").await;
    let member = demo_person(&app, "member").await;
    let lead = demo_person(&app, "department").await;
    let (lead_dept, co_dept) = departments(&app).await;
    let co = handler(&app, "co_handler", co_dept).await;
    let p = Record::Proposal;

    // A draft the member submits; accepted, marked key, assigned, supervised,
    // a co-handler's view, the answer, the member's rating (which closes it).
    let a = propose(&app, &member, "关于改善大学路交通秩序的建议", false).await;
    noted_step(
        &app,
        &member,
        &member,
        p(a),
        json!({"action": "submit"}),
        "提交说明：已征求居民意见",
    )
    .await;
    let accepted = noted_step(
        &app,
        &staff,
        &staff,
        p(a),
        json!({"action": "accept"}),
        "立案说明：列入本次会议",
    )
    .await;
    let number = accepted.record["number"].as_i64().unwrap();
    assert_eq!(accepted.event["detail"], format!("#{number}"));
    let key = noted_step(
        &app,
        &staff,
        &staff,
        p(a),
        json!({"action": "mark_key", "key": "yes"}),
        "主席会议确定为重点提案",
    )
    .await;
    assert_eq!(key.event["detail"], "key");
    assert!(key.row.contains("列为重点提案"), "{}", key.row);
    let assigned = noted_step(
        &app,
        &staff,
        &staff,
        p(a),
        json!({"action": "assign", "lead_department_id": lead_dept, "co_department_ids": [co_dept]}),
        "交办说明：请两家单位加强协调",
    )
    .await;
    assert_eq!(assigned.event["department_id"], lead_dept);
    noted_step(
        &app,
        &staff,
        &staff,
        p(a),
        json!({"action": "supervise"}),
        "督办说明：请本月底前答复",
    )
    .await;
    let view = "同意主办单位意见，配合做好信号灯配时调整";
    let viewed = noted_step(
        &app,
        &co,
        &co,
        p(a),
        json!({"action": "view", "reply": view}),
        "会办说明：已与交警大队沟通",
    )
    .await;
    assert_eq!(viewed.event["detail"], view);
    assert!(viewed.row.contains(view), "{}", viewed.row);
    assert_eq!(viewed.audit["reply"], view);
    let answer = "已在大学路增设护学岗两处，高峰时段安排警力疏导";
    let answered = noted_step(
        &app,
        &lead,
        &lead,
        p(a),
        json!({"action": "answer", "reply": answer, "answer_class": "b"}),
        "答复说明：正式答复函另行寄送",
    )
    .await;
    assert_eq!(answered.event["detail"], format!("B: {answer}"));
    assert!(answered.row.contains(answer), "{}", answered.row);
    assert_eq!(answered.audit["reply"], answer);
    let rated = noted_step(
        &app,
        &member,
        &member,
        p(a),
        json!({"action": "rate", "rating": "satisfied"}),
        "办理及时，效果明显",
    )
    .await;
    assert_eq!(rated.event["detail"], "satisfied");
    assert_eq!(rated.audit["rating"], "satisfied");
    assert_eq!(rated.record["status"], "closed");

    // A draft the member withdraws.
    let b = propose(&app, &member, "关于社区停车位规划的建议", false).await;
    noted_step(
        &app,
        &member,
        &member,
        p(b),
        json!({"action": "withdraw"}),
        "撤回说明：与另一件提案内容重复",
    )
    .await;

    // Not accepted, then sent on as social-condition information.
    let c = propose(&app, &member, "关于规范小区物业收费的建议", true).await;
    let reason = "属于一般性工作建议，转有关部门参考";
    let refused = noted_step(
        &app,
        &staff,
        &staff,
        p(c),
        json!({"action": "not_accept"}),
        reason,
    )
    .await;
    assert_eq!(refused.record["not_accepted_reason"], reason);
    let sent = noted_step(
        &app,
        &staff,
        &staff,
        p(c),
        json!({"action": "to_info"}),
        "转社情民意说明：请信息科编发",
    )
    .await;
    let info = sent.audit["info_id"].as_i64().unwrap();
    assert_eq!(sent.event["detail"], format!("→ info #{info}"));

    // Accepted, assigned, returned by the lead department, assigned again,
    // answered; one merged into it; closed by staff.
    let e = propose(&app, &member, "关于加强背街小巷环境整治的建议", true).await;
    ok_step(&app, &staff.token, p(e), json!({"action": "accept"})).await;
    let d = propose(&app, &member, "关于背街小巷路灯维修的建议", true).await;
    let merged = noted_step(
        &app,
        &staff,
        &staff,
        p(d),
        json!({"action": "merge", "target_id": e}),
        "并案说明：内容相近，合并办理",
    )
    .await;
    assert_eq!(merged.event["detail"], format!("→ #{e}"));
    assert_eq!(merged.audit["merged_into"], e);
    ok_step(
        &app,
        &staff.token,
        p(e),
        json!({"action": "assign", "lead_department_id": lead_dept}),
    )
    .await;
    // Once returned, the department no longer reads it: staff do.
    let returned = noted_step(
        &app,
        &lead,
        &staff,
        p(e),
        json!({"action": "return"}),
        "退回说明：不属于本单位职责",
    )
    .await;
    assert_eq!(returned.record["status"], "accepted");
    ok_step(
        &app,
        &staff.token,
        p(e),
        json!({"action": "assign", "lead_department_id": lead_dept}),
    )
    .await;
    ok_step(
        &app,
        &lead.token,
        p(e),
        json!({"action": "answer", "reply": "已完成整治", "answer_class": "a"}),
    )
    .await;
    let closed = noted_step(
        &app,
        &staff,
        &staff,
        p(e),
        json!({"action": "close"}),
        "办结说明：委员已电话确认",
    )
    .await;
    assert_eq!(closed.record["status"], "closed");
}
dual_test!(
    every_proposal_step_keeps_its_typed_note_t,
    every_proposal_step_keeps_its_typed_note
);

async fn submit_info(app: &TestApp, member: &Person, headline: &str) -> Value {
    let body = json!({"kind": "social_condition", "headline": headline,
                      "text": "居民反映较多，建议有关部门研究解决。"});
    let (status, r) = app
        .api_post(&member.token, "/api/v1/info-reports", &body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    r
}

/// The case: the 说明 typed when forwarding an information report
/// was replaced by the receiving committee's name. Now both are kept.
async fn forwarding_information_keeps_the_note_beside_the_committee(app: TestApp) {
    let staff = demo_person(&app, "staff").await;
    let member = demo_person(&app, "member").await;
    let r = submit_info(&app, &member, "高砦安置区公交站点设置建议").await;
    let note = "报送说明：已核实，建议优先编发";
    let taken = noted_step(
        &app,
        &staff,
        &staff,
        Record::InfoReport(&r),
        json!({"action": "forward"}),
        note,
    )
    .await;
    let committee = taken.record["forwarded_to"].as_str().unwrap().to_string();
    assert!(!committee.is_empty(), "{}", taken.record);
    assert_eq!(taken.event["note"], note);
    assert_eq!(taken.event["detail"], committee.as_str());
    assert!(taken.row.contains(&committee), "{}", taken.row);
    assert_eq!(taken.audit["forwarded_to"], committee.as_str());
    // The author reads the note too.
    let html = member
        .browser
        .page_text(&format!("/info/{}", r["id"]))
        .await;
    assert!(timeline_row(&html, note).contains(&committee));
}
dual_test!(
    forwarding_information_keeps_the_note_beside_the_committee_t,
    forwarding_information_keeps_the_note_beside_the_committee
);

async fn every_information_step_keeps_its_typed_note(app: TestApp) {
    let staff = demo_person(&app, "staff").await;
    let member = demo_person(&app, "member").await;
    let r = submit_info(&app, &member, "关于老旧小区加装电梯的信息").await;
    let forwarded_to = "郑州市政协";
    let r = noted_step(
        &app,
        &staff,
        &staff,
        Record::InfoReport(&r),
        json!({"action": "forward", "forwarded_to": forwarded_to}),
        "报送市政协，请跟踪采用情况",
    )
    .await;
    assert_eq!(r.event["detail"], forwarded_to);
    let publication = "《二七政协信息》第15期";
    let adopted = noted_step(
        &app,
        &staff,
        &staff,
        Record::InfoReport(&r.record),
        json!({"action": "adopt", "level": "district", "publication": publication}),
        "采用说明：全文刊发",
    )
    .await;
    assert_eq!(adopted.event["detail"], format!("district · {publication}"));
    assert!(adopted.row.contains(publication), "{}", adopted.row);
    let (leader, content) = ("区委副书记", "请区住建局研究落实");
    let instructed = noted_step(
        &app,
        &staff,
        &staff,
        Record::InfoReport(&adopted.record),
        json!({"action": "instruct", "leader": leader, "content": content}),
        "批示说明：原件存档",
    )
    .await;
    assert_eq!(instructed.event["detail"], format!("{leader}: {content}"));
    assert!(instructed.row.contains(content), "{}", instructed.row);
    assert_eq!(instructed.audit["leader"], leader);
    assert_eq!(instructed.audit["content"], content);

    // The author withdraws another one.
    let other = submit_info(&app, &member, "关于社区菜市场管理的信息").await;
    let withdrawn = noted_step(
        &app,
        &member,
        &member,
        Record::InfoReport(&other),
        json!({"action": "withdraw"}),
        "撤回说明：情况已解决",
    )
    .await;
    assert_eq!(withdrawn.record["status"], "withdrawn");
}
dual_test!(
    every_information_step_keeps_its_typed_note_t,
    every_information_step_keeps_its_typed_note
);

async fn new_case(app: &TestApp, staff: &Person, subject: &str) -> Value {
    let (status, case) = app
        .api_post(
            &staff.token,
            "/api/v1/cases",
            &json!({"community": "孙八砦社区", "subject": subject, "description": "群众来访反映",
                    "contact_name": "李大爷", "contact_phone": "13812345678", "received_on": "2024-01-02"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case
}

async fn every_case_step_keeps_its_typed_note(app: TestApp) {
    let staff = demo_person(&app, "staff").await;
    let dept = demo_person(&app, "department").await;
    let (own, _) = departments(&app).await;
    let c = Record::Case;

    // Forwarded long ago (so it is overdue and may be escalated).
    let case = new_case(&app, &staff, "路灯不亮").await;
    let t = noted_step(
        &app,
        &staff,
        &staff,
        c(&case),
        json!({"action": "forward", "department_id": own, "on": "2024-03-04"}),
        "转办说明：请尽快派人查看",
    )
    .await;
    assert_eq!(t.event["department_id"], own);
    let t = noted_step(
        &app,
        &dept,
        &dept,
        c(&t.record),
        json!({"action": "accept"}),
        "受理说明：已安排专人",
    )
    .await;
    let t = noted_step(
        &app,
        &dept,
        &dept,
        c(&t.record),
        json!({"action": "note"}),
        "已联系供电公司",
    )
    .await;
    let t = noted_step(
        &app,
        &staff,
        &staff,
        c(&t.record),
        json!({"action": "escalate"}),
        "督办说明：已超期，请加快",
    )
    .await;
    let reply = "路灯已全部修复";
    let t = noted_step(
        &app,
        &dept,
        &dept,
        c(&t.record),
        json!({"action": "resolve", "reply": reply}),
        "办结说明：更换了线路",
    )
    .await;
    assert_eq!(t.event["detail"], reply);
    assert!(t.row.contains(reply), "{}", t.row);
    assert_eq!(t.audit["reply"], reply);
    // An unsatisfied visitor reopens it.
    let t = noted_step(
        &app,
        &staff,
        &staff,
        c(&t.record),
        json!({"action": "follow_up", "satisfaction": "unsatisfied"}),
        "回访说明：仍有一处不亮",
    )
    .await;
    assert_eq!(t.event["detail"], "unsatisfied");
    assert_eq!(t.audit["satisfaction"], "unsatisfied");
    assert_eq!(t.record["status"], "in_progress");
    let t = ok_step(
        &app,
        &dept.token,
        c(&t.record),
        json!({"action": "resolve", "reply": "最后一处已修复"}),
    )
    .await;
    let t = ok_step(
        &app,
        &staff.token,
        c(&t),
        json!({"action": "follow_up", "satisfaction": "satisfied"}),
    )
    .await;
    // Staff reopen it themselves, and close it in the end.
    let t = noted_step(
        &app,
        &staff,
        &staff,
        c(&t),
        json!({"action": "reopen"}),
        "重新办理说明：群众再次来电",
    )
    .await;
    assert_eq!(t.record["status"], "in_progress");
    let t = ok_step(
        &app,
        &dept.token,
        c(&t.record),
        json!({"action": "resolve", "reply": "已再次检修"}),
    )
    .await;
    let t = ok_step(
        &app,
        &staff.token,
        c(&t),
        json!({"action": "follow_up", "satisfaction": "satisfied"}),
    )
    .await;
    let t = noted_step(
        &app,
        &staff,
        &staff,
        c(&t),
        json!({"action": "close"}),
        "结案说明：群众满意",
    )
    .await;
    assert_eq!(t.record["status"], "closed");

    // Another case the department sends back: then staff read it.
    let case = new_case(&app, &staff, "下水道堵塞").await;
    let case = ok_step(
        &app,
        &staff.token,
        c(&case),
        json!({"action": "forward", "department_id": own}),
    )
    .await;
    let t = noted_step(
        &app,
        &dept,
        &staff,
        c(&case),
        json!({"action": "return"}),
        "退回说明：属于市政部门职责",
    )
    .await;
    assert_eq!(t.record["status"], "registered");
}
dual_test!(
    every_case_step_keeps_its_typed_note_t,
    every_case_step_keeps_its_typed_note
);

/// The codes of an error answer's fields, as (field, code).
fn refused_fields(answer: &Value) -> Vec<(String, String)> {
    answer["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no field errors: {answer}"))
        .iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            (text("field"), text("code"))
        })
        .collect()
}

/// Refused: the step is not taken, and the record and its timeline are as they were.
async fn assert_refused(
    app: &TestApp,
    who: &Person,
    record: Record<'_>,
    body: Value,
    expected: &[(&str, &str)],
) {
    let place = place(record);
    let staff = app.token("staff").await;
    let (_, before) = app.api_get(&staff, &place.api).await;
    let (status, answer) = crate::helpers::step(app, &who.token, record, body.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect();
    assert_eq!(refused_fields(&answer), expected, "{answer}");
    let message = answer["fields"][0]["message"].as_str().unwrap();
    assert!(message.contains("步骤"), "{message}");
    let (_, after) = app.api_get(&staff, &place.api).await;
    assert_eq!(after["version"], before["version"]);
    assert_eq!(after["events"], before["events"]);
}

/// A field the step form shows for another step, typed in with this one,
/// would be dropped: it is refused instead, naming the field.
async fn a_field_the_step_does_not_use_is_refused_not_dropped(app: TestApp) {
    let staff = demo_person(&app, "staff").await;
    let member = demo_person(&app, "member").await;
    let lead = demo_person(&app, "department").await;
    let (lead_dept, _) = departments(&app).await;
    let unused = "step_field_unused";

    // A case: a reply typed with a note; a satisfaction and a due date with an acceptance.
    let case = new_case(&app, &staff, "路灯不亮").await;
    let case = ok_step(
        &app,
        &staff.token,
        Record::Case(&case),
        json!({"action": "forward", "department_id": lead_dept}),
    )
    .await;
    assert_refused(
        &app,
        &lead,
        Record::Case(&case),
        json!({"action": "note", "note": "已联系", "reply": "已修好"}),
        &[("reply", unused)],
    )
    .await;
    assert_refused(
        &app,
        &lead,
        Record::Case(&case),
        json!({"action": "accept", "satisfaction": "satisfied", "due_on": "2099-01-01"}),
        &[("due_on", unused), ("satisfaction", unused)],
    )
    .await;

    // A proposal: a target typed with an acceptance; a reply with a return.
    let id = propose(&app, &member, "关于增设社区老年食堂的建议", true).await;
    assert_refused(
        &app,
        &staff,
        Record::Proposal(id),
        json!({"action": "accept", "target_id": "3"}),
        &[("target_id", unused)],
    )
    .await;
    ok_step(
        &app,
        &staff.token,
        Record::Proposal(id),
        json!({"action": "accept"}),
    )
    .await;
    ok_step(
        &app,
        &staff.token,
        Record::Proposal(id),
        json!({"action": "assign", "lead_department_id": lead_dept}),
    )
    .await;
    assert_refused(
        &app,
        &lead,
        Record::Proposal(id),
        json!({"action": "return", "note": "不属于本单位职责", "reply": "请转交民政局"}),
        &[("reply", unused)],
    )
    .await;

    // An information report: a publication typed with a forwarding.
    let r = submit_info(&app, &member, "高砦安置区公交站点设置建议").await;
    assert_refused(&app, &staff, Record::InfoReport(&r), json!({"action": "forward", "publication": "《二七政协信息》第15期", "leader": "区委副书记"}), &[("publication", unused), ("leader", unused)]).await;

    // On the page: the form comes back with the message and what was typed.
    let r = staff
        .browser
        .client
        .post(staff.browser.url(&format!("/cases/{}/steps", case["id"])))
        .form(&[
            ("csrf", staff.browser.csrf.as_str()),
            ("version", &case["version"].to_string()),
            ("action", "note"),
            ("note", "请加快办理"),
            ("reply", "这句答复不会被丢掉"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("所选步骤不用这一项"), "{html}");
    assert!(
        html.contains("这句答复不会被丢掉"),
        "the typed reply is kept"
    );
}
dual_test!(
    a_field_the_step_does_not_use_is_refused_not_dropped_t,
    a_field_the_step_does_not_use_is_refused_not_dropped
);
