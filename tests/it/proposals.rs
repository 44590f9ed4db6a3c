//! Proposals through the JSON API and the pages: the whole lifecycle with a
//! co-signer, a co-handling department and a second answer; every refusal
//! the issue names (which changes nothing); who sees what; the session
//! cut-off; similar proposals and the search box, also across two servers
//! sharing one database.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::dual_test;
use crate::helpers::{add_account, departments, ok_step, step, Record::Proposal, TestApp};

/// The id of the demo member account's member (孟爱云) and another member of the committee.
async fn members(app: &TestApp) -> (i64, i64) {
    let me = lvzhi::storage::users::find_by_username(&app.db, "member")
        .await
        .unwrap()
        .unwrap()
        .member_id
        .unwrap();
    let staff = app.token("staff").await;
    let (_, list) = app.api_get(&staff, "/api/v1/members?per_page=50").await;
    let other = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["status"] == "active")
        .map(|m| m["id"].as_i64().unwrap())
        .find(|id| *id != me)
        .unwrap();
    (me, other)
}

/// A sign-in for a member (or a department handler), returning its API token.
async fn account(
    app: &TestApp,
    username: &str,
    member: Option<i64>,
    department: Option<i64>,
) -> String {
    add_account(app, username, member, department).await;
    app.token(username).await
}

async fn propose(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, p) = app.api_post(token, "/api/v1/proposals", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}: {p}");
    p
}

fn field_of(error: &Value) -> Vec<String> {
    error["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn codes_of(error: &Value) -> Vec<String> {
    error["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["code"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn the_whole_lifecycle(app: TestApp) {
    let staff = app.token("staff").await;
    let member = app.token("member").await;
    let (me, other) = members(&app).await;
    let cosigner = account(&app, "cosigner", Some(other), None).await;
    let (lead_dept, co_dept) = departments(&app).await;
    let lead = app.token("department").await;
    let co = account(&app, "co_handler", None, Some(co_dept)).await;
    let audit_before = app.audit_count("proposal_step").await;

    // A joint proposal, submitted at once.
    let p = propose(
        &app,
        &member,
        json!({"headline": "关于加快孙八砦城中村改造安置房建设的建议", "text": "安置房建设进度慢，群众长期在外过渡，建议倒排工期、按期交付。",
               "category": "urban", "cosigner_ids": [other], "submit": "yes"}),
    )
    .await;
    let id = p["id"].as_i64().unwrap();
    assert_eq!(p["status"], "submitted");
    assert_eq!(p["lead_member_id"], me);
    assert_eq!(
        p["session"].as_i64().unwrap(),
        i64::from(
            chrono::Utc::now()
                .date_naive()
                .format("%Y")
                .to_string()
                .parse::<i32>()
                .unwrap()
        )
    );
    assert!(p["number"].is_null());
    let (status, signed) = app
        .api_post(
            &cosigner,
            &format!("/api/v1/proposals/{id}/cosign"),
            &json!({"response": "accepted"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    let (status, again) = app
        .api_post(
            &cosigner,
            &format!("/api/v1/proposals/{id}/cosign"),
            &json!({"response": "declined"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{again}");
    assert!(codes_of(&again).contains(&"proposal_cosign_answered".to_string()));

    // Accepted with the next number of the session; a second accept is refused and changes nothing.
    let accepted = ok_step(&app, &staff, Proposal(id), json!({"action": "accept"})).await;
    let number = accepted["number"].as_i64().unwrap();
    assert!(number >= 1);
    let (status, refused) = step(&app, &staff, Proposal(id), json!({"action": "accept"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(codes_of(&refused).contains(&"proposal_already_accepted".to_string()));
    assert!(refused["fields"][0]["message"]
        .as_str()
        .unwrap()
        .contains("立案"));
    let (_, unchanged) = app
        .api_get(&staff, &format!("/api/v1/proposals/{id}"))
        .await;
    assert_eq!(unchanged["version"], accepted["version"]);
    assert_eq!(unchanged["number"].as_i64(), Some(number));
    let second = propose(
        &app,
        &member,
        json!({"headline": "关于大学路小学门前交通疏导的建议", "text": "上下学高峰拥堵，建议设置护学岗和临时停车点。", "category": "traffic", "submit": "yes"}),
    )
    .await;
    let second_id = second["id"].as_i64().unwrap();
    let numbered = ok_step(
        &app,
        &staff,
        Proposal(second_id),
        json!({"action": "accept"}),
    )
    .await;
    assert_eq!(
        numbered["number"].as_i64(),
        Some(number + 1),
        "numbers never repeat within a session"
    );

    // Assigned to a lead and a co-handling department; the answer is due in three months.
    let today = lvzhi::app::clock::today();
    let assigned = ok_step(
        &app,
        &staff,
        Proposal(id),
        json!({"action": "assign", "lead_department_id": lead_dept, "co_department_ids": [co_dept]}),
    )
    .await;
    assert_eq!(assigned["status"], "assigned");
    assert_eq!(
        assigned["due_on"].as_str().unwrap(),
        today
            .checked_add_months(chrono::Months::new(3))
            .unwrap()
            .to_string()
    );
    // Too long a deadline is refused.
    let (status, late) = step(
        &app,
        &staff,
        Proposal(second_id),
        json!({"action": "assign", "lead_department_id": lead_dept, "due_on": today.checked_add_months(chrono::Months::new(7)).unwrap().to_string()}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&late), vec!["due_on".to_string()]);

    // The lead waits for the co-handler's view before answering.
    let (status, early) = step(
        &app,
        &lead,
        Proposal(id),
        json!({"action": "answer", "reply": "已列入计划。", "answer_class": "b"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{early}");
    assert!(codes_of(&early).contains(&"proposal_views_missing".to_string()));
    let (status, not_lead) = step(
        &app,
        &co,
        Proposal(id),
        json!({"action": "answer", "reply": "x", "answer_class": "a"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{not_lead}");
    ok_step(
        &app,
        &co,
        Proposal(id),
        json!({"action": "view", "reply": "同意主办单位意见，配合做好规划调整。"}),
    )
    .await;
    // The lead department uploads its answer letter (a co-handler may not), and names it in the answer.
    let jpeg = crate::activities::jpeg();
    let path = format!("/api/v1/proposals/{id}/attachments");
    let (status, _) = crate::activities::upload(&app, &co, &path, "会办意见.jpg", &jpeg).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "only the lead department adds the answer's file"
    );
    let (status, letter) = crate::activities::upload(&app, &lead, &path, "答复函.jpg", &jpeg).await;
    assert_eq!(status, StatusCode::CREATED, "{letter}");
    let answered = ok_step(
        &app,
        &lead,
        Proposal(id),
        json!({"action": "answer", "reply": "安置房一期已开工，计划明年底交付。", "answer_class": "b", "attachment_id": letter["id"]}),
    )
    .await;
    assert_eq!(answered["status"], "answered");
    assert_eq!(answered["answer_class"], "b");
    assert_eq!(answered["answer_attachment_id"], letter["id"]);
    // Every author downloads it; after the answer the department adds nothing more.
    let (status, _) = app
        .api_get(&cosigner, &format!("/api/v1/attachments/{}", letter["id"]))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = crate::activities::upload(&app, &lead, &path, "补充.jpg", &jpeg).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A department not handling the second proposal cannot answer it.
    ok_step(
        &app,
        &staff,
        Proposal(second_id),
        json!({"action": "assign", "lead_department_id": co_dept}),
    )
    .await;
    let (status, other_dept) = step(
        &app,
        &lead,
        Proposal(second_id),
        json!({"action": "answer", "reply": "x", "answer_class": "a"}),
    )
    .await;
    // Not theirs: as unknown to them as an id that does not exist.
    assert_eq!(status, StatusCode::NOT_FOUND, "{other_dept}");
    assert_eq!(other_dept["error"], "not_found");

    // Ratings: an unsatisfied author needs a reason, and sends it back for a second answer.
    let (status, no_reason) = step(
        &app,
        &member,
        Proposal(id),
        json!({"action": "rate", "rating": "unsatisfied"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&no_reason), vec!["note".to_string()]);
    let waiting = ok_step(
        &app,
        &member,
        Proposal(id),
        json!({"action": "rate", "rating": "unsatisfied", "note": "交付时间太晚"}),
    )
    .await;
    assert_eq!(
        waiting["status"], "answered",
        "the co-signer has not rated yet"
    );
    let (status, twice) = step(
        &app,
        &member,
        Proposal(id),
        json!({"action": "rate", "rating": "satisfied"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{twice}");
    let back = ok_step(
        &app,
        &cosigner,
        Proposal(id),
        json!({"action": "rate", "rating": "satisfied"}),
    )
    .await;
    assert_eq!(back["status"], "assigned");
    assert_eq!(back["round"], 2);
    assert_eq!(
        back["due_on"].as_str().unwrap(),
        today
            .checked_add_months(chrono::Months::new(1))
            .unwrap()
            .to_string()
    );
    ok_step(&app, &lead, Proposal(id), json!({"action": "answer", "reply": "经协调，一期安置房提前至今年底交付。", "answer_class": "a"})).await;
    ok_step(
        &app,
        &member,
        Proposal(id),
        json!({"action": "rate", "rating": "basically_satisfied"}),
    )
    .await;
    let closed = ok_step(
        &app,
        &cosigner,
        Proposal(id),
        json!({"action": "rate", "rating": "satisfied"}),
    )
    .await;
    assert_eq!(closed["status"], "closed");

    // Every step is audited and on the timeline; the authors' duty files show it.
    assert_eq!(app.audit_count("proposal_step").await, audit_before + 11);
    let (_, detail) = app
        .api_get(&member, &format!("/api/v1/proposals/{id}"))
        .await;
    let actions: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "create",
        "submit",
        "accept",
        "assign",
        "view",
        "answer",
        "rate",
        "second_answer",
        "close",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    assert_eq!(detail["ratings"].as_array().unwrap().len(), 4);
    let (_, timeline) = app
        .api_get(&staff, &format!("/api/v1/members/{other}/timeline"))
        .await;
    let kinds: Vec<String> = timeline
        .as_array()
        .or_else(|| timeline["items"].as_array())
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        kinds.contains(&"proposal_cosigned".to_string()),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"proposal_answered".to_string()),
        "{kinds:?}"
    );

    // The session's figures come from these records.
    let session = today.format("%Y").to_string();
    let (status, f) = app
        .api_get(
            &staff,
            &format!("/api/v1/proposals/figures?session={session}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{f}");
    assert_eq!(f["received"], 2);
    assert_eq!(f["accepted"], 2);
    assert_eq!(f["answered"], 1);
    assert_eq!(f["answered_on_time"], 1);
    assert_eq!(f["class_a"], 1);
    assert_eq!(f["closed"], 1);
    assert_eq!(f["second_answers"], 1);
    assert_eq!(f["basically_satisfied"], 1);
    assert_eq!(f["satisfied"], 1);
    assert_eq!(
        f["unsatisfied"], 0,
        "only each author's latest rating counts"
    );
    assert_eq!(f["members_with_proposals"], 2);
}
dual_test!(the_whole_lifecycle_t, the_whole_lifecycle);

async fn refusals_change_nothing(app: TestApp) {
    let staff = app.token("staff").await;
    let member = app.token("member").await;
    let before = app.count("proposals").await;
    // No title, empty body, unknown category: every field named at once.
    let (status, e) = app
        .api_post(
            &member,
            "/api/v1/proposals",
            &json!({"headline": "  ", "text": "", "category": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields = field_of(&e);
    fields.sort();
    assert_eq!(fields, vec!["category", "headline", "text"]);
    assert!(e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| !x["message"].as_str().unwrap().is_empty()));
    // A co-signer who is not a member.
    let (status, e) = app
        .api_post(&member, "/api/v1/proposals", &json!({"headline": "关于老旧小区加装电梯的建议", "text": "建议简化审批。", "category": "urban", "cosigner_ids": [987654]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(codes_of(&e).contains(&"proposal_cosigner_unknown".to_string()));
    // A title over 100 characters is refused, not cut.
    let (status, e) = app
        .api_post(
            &member,
            "/api/v1/proposals",
            &json!({"headline": "长".repeat(101), "text": "正文", "category": "other"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&e), vec!["headline".to_string()]);
    assert_eq!(app.count("proposals").await, before);

    // Merging into itself, and into a merged proposal.
    let a = propose(&app, &member, json!({"headline": "关于增设社区养老服务站的建议", "text": "老人多，站点少。", "category": "welfare", "submit": "yes"})).await;
    let b = propose(&app, &member, json!({"headline": "关于社区养老助餐点建设的建议", "text": "增加助餐点。", "category": "welfare", "submit": "yes"})).await;
    let c = propose(&app, &member, json!({"headline": "关于居家养老上门服务的建议", "text": "上门服务不足。", "category": "welfare", "submit": "yes"})).await;
    let (a, b, c) = (
        a["id"].as_i64().unwrap(),
        b["id"].as_i64().unwrap(),
        c["id"].as_i64().unwrap(),
    );
    let (status, e) = step(
        &app,
        &staff,
        Proposal(a),
        json!({"action": "merge", "target_id": a}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(codes_of(&e).contains(&"proposal_merge_self".to_string()));
    ok_step(&app, &staff, Proposal(a), json!({"action": "accept"})).await;
    ok_step(
        &app,
        &staff,
        Proposal(b),
        json!({"action": "merge", "target_id": a}),
    )
    .await;
    let (status, e) = step(
        &app,
        &staff,
        Proposal(c),
        json!({"action": "merge", "target_id": b}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        codes_of(&e).contains(&"proposal_merge_into_merged".to_string()),
        "{e}"
    );
    // Not accepted needs a reason.
    let (status, e) = step(&app, &staff, Proposal(c), json!({"action": "not_accept"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&e), vec!["note".to_string()]);
    let rejected = ok_step(
        &app,
        &staff,
        Proposal(c),
        json!({"action": "not_accept", "note": "与已立案提案重复，作为意见建议转有关部门参考"}),
    )
    .await;
    assert_eq!(rejected["status"], "not_accepted");
    // Kept as an opinion, it becomes social-condition information once.
    let infos_before = app.count("info_reports").await;
    let kept = ok_step(&app, &staff, Proposal(c), json!({"action": "to_info"})).await;
    assert_eq!(kept["status"], "not_accepted");
    assert_eq!(app.count("info_reports").await, infos_before + 1);
    let origin: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM info_reports WHERE origin_proposal_id = $1").bind(c).fetch_one(pool).await).unwrap();
    assert_eq!(origin, 1);
    let (status, e) = step(&app, &staff, Proposal(c), json!({"action": "to_info"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        codes_of(&e).contains(&"proposal_already_info".to_string()),
        "{e}"
    );
    let (status, _) = step(&app, &staff, Proposal(a), json!({"action": "to_info"})).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only a proposal not accepted"
    );
    // A stale version is a conflict, and nothing changes.
    let (status, e) = step(
        &app,
        &staff,
        Proposal(a),
        json!({"action": "mark_key", "version": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{e}");
    // Members cannot take staff steps; a member cannot rate what they did not write.
    let (status, _) = step(&app, &member, Proposal(a), json!({"action": "accept"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, other) = members(&app).await;
    let outsider = account(&app, "outsider", Some(other), None).await;
    let (lead_dept, _) = departments(&app).await;
    let lead = app.token("department").await;
    ok_step(
        &app,
        &staff,
        Proposal(a),
        json!({"action": "assign", "lead_department_id": lead_dept}),
    )
    .await;
    ok_step(
        &app,
        &lead,
        Proposal(a),
        json!({"action": "answer", "reply": "已增设两处服务站。", "answer_class": "a"}),
    )
    .await;
    let (status, e) = step(
        &app,
        &outsider,
        Proposal(a),
        json!({"action": "rate", "rating": "satisfied"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(codes_of(&e).contains(&"proposal_not_author".to_string()));
    // The merged proposal's author reads the answer of the one it went into.
    let (_, merged) = app
        .api_get(&member, &format!("/api/v1/proposals/{b}"))
        .await;
    assert_eq!(merged["merged_into"]["answer"], "已增设两处服务站。");
}
dual_test!(refusals_change_nothing_t, refusals_change_nothing);

async fn who_sees_what(app: TestApp) {
    let staff = app.token("staff").await;
    let member = app.token("member").await;
    let (_, other) = members(&app).await;
    let outsider = account(&app, "neighbour", Some(other), None).await;
    let lead = app.token("department").await;
    let draft = propose(&app, &member, json!({"headline": "关于规范夜市经营秩序的建议", "text": "夜市占道。", "category": "governance"})).await;
    let id = draft["id"].as_i64().unwrap();
    // A draft is its author's alone: staff and other members do not see it.
    assert_eq!(
        app.api_get(&outsider, &format!("/api/v1/proposals/{id}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api_get(&staff, &format!("/api/v1/proposals/{id}"))
            .await
            .0,
        StatusCode::OK
    );
    let (_, list) = app.api_get(&staff, "/api/v1/proposals?status=draft").await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == id),
        "staff may filter drafts of their committee"
    );
    let (_, list) = app.api_get(&staff, "/api/v1/proposals").await;
    assert!(
        !list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == id),
        "drafts are not in the default list"
    );
    // Submitted: still not public; accepted: every member of the committee reads it.
    ok_step(&app, &member, Proposal(id), json!({"action": "submit"})).await;
    assert_eq!(
        app.api_get(&outsider, &format!("/api/v1/proposals/{id}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    ok_step(&app, &staff, Proposal(id), json!({"action": "accept"})).await;
    assert_eq!(
        app.api_get(&outsider, &format!("/api/v1/proposals/{id}"))
            .await
            .0,
        StatusCode::OK
    );
    // A department sees it only once assigned to it.
    assert_eq!(
        app.api_get(&lead, &format!("/api/v1/proposals/{id}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (lead_dept, _) = departments(&app).await;
    ok_step(
        &app,
        &staff,
        Proposal(id),
        json!({"action": "assign", "lead_department_id": lead_dept}),
    )
    .await;
    assert_eq!(
        app.api_get(&lead, &format!("/api/v1/proposals/{id}"))
            .await
            .0,
        StatusCode::OK
    );
    let (_, inbox) = app.api_get(&lead, "/api/v1/proposals").await;
    assert!(inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["lead_department_id"] == lead_dept || p["status"] != "draft"));
    // Other roles: 403.
    let admin = app.token("admin").await;
    assert_eq!(
        app.api_get(&admin, "/api/v1/proposals").await.0,
        StatusCode::FORBIDDEN
    );
    // Per page up to 5000 in one answer; beyond, a clear 400.
    assert_eq!(
        app.api_get(&staff, "/api/v1/proposals?per_page=5000")
            .await
            .0,
        StatusCode::OK
    );
    let (status, e) = app.api_get(&staff, "/api/v1/proposals?per_page=5001").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(field_of(&e), vec!["per_page".to_string()]);
    let (status, e) = app.api_get(&staff, "/api/v1/proposals?sort=id;drop").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
}
dual_test!(who_sees_what_t, who_sees_what);

async fn the_cut_off_moves_the_session(app: TestApp) {
    let staff = app.token("staff").await;
    let (status, s) = app
        .api_send(reqwest::Method::PUT, &staff, "/api/v1/proposals/settings",
            &json!({"cutoff": "11-30", "answer_months": 3, "second_answer_months": 1, "return_working_days": 5}))
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    let (status, e) = app
        .api_send(reqwest::Method::PUT, &staff, "/api/v1/proposals/settings",
            &json!({"cutoff": "02-30", "answer_months": 7, "second_answer_months": 1, "return_working_days": 5, "version": s["version"]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields = field_of(&e);
    fields.sort();
    assert_eq!(fields, vec!["answer_months", "cutoff"]);
    let (member, _) = members(&app).await;
    let late = propose(&app, &staff, json!({"headline": "关于冬季供暖保障的建议", "text": "老旧小区供暖不足。", "category": "welfare",
        "submitter_kind": "member", "lead_member_id": member, "submitted_on": "2011-12-15", "submit": "yes"})).await;
    assert_eq!(
        late["session"], 2012,
        "after the 11-30 cut-off: the next session"
    );
    let early = propose(
        &app,
        &staff,
        json!({"headline": "关于秋季校园安全的建议", "text": "校门口交通。", "category": "education",
        "submitter_kind": "committee", "submitted_on": "2011-11-30", "submit": "yes"}),
    )
    .await;
    assert_eq!(early["session"], 2011);
    assert!(early["lead_member_id"].is_null());
}
dual_test!(
    the_cut_off_moves_the_session_t,
    the_cut_off_moves_the_session
);

async fn similar_and_search(app: TestApp) {
    let staff = app.token("staff").await;
    let member = app.token("member").await;
    let village = propose(&app, &staff, json!({"headline": "关于高砦城中村改造拆迁补偿公开透明的建议", "text": "城中村改造拆迁补偿标准应公开，安置房分配应公平公正。",
        "category": "urban", "submitter_kind": "committee", "submit": "yes"})).await;
    let village_id = village["id"].as_i64().unwrap();
    ok_step(
        &app,
        &staff,
        Proposal(village_id),
        json!({"action": "accept"}),
    )
    .await;
    let filler = propose(&app, &staff, json!({"headline": "关于进一步加强和改进工作的建议", "text": "建议进一步加强领导，切实提高认识，认真抓好落实。",
        "category": "other", "submitter_kind": "committee", "submit": "yes"})).await;
    ok_step(
        &app,
        &staff,
        Proposal(filler["id"].as_i64().unwrap()),
        json!({"action": "accept"}),
    )
    .await;

    let draft = json!({"headline": "关于进一步加强城中村改造安置工作的建议", "text": "城中村改造后安置房迟迟不能交付，拆迁群众意见大。"});
    let (status, similar) = app
        .api_post(&member, "/api/v1/proposals/similar", &draft)
        .await;
    assert_eq!(status, StatusCode::OK, "{similar}");
    let list = similar.as_array().unwrap();
    assert_eq!(list[0]["id"], village_id, "{similar}");
    assert!(list[0]["score"].as_f64().unwrap() > 0.1);
    assert!(
        !list.iter().any(|s| s["id"] == filler["id"]),
        "filler words alone are no similarity: {similar}"
    );
    // A member does not see a submitted proposal of someone else among the similar ones.
    let hidden = propose(
        &app,
        &staff,
        json!({"headline": "关于城中村改造安置房质量监督的建议", "text": "安置房质量问题多。",
        "category": "urban", "submitter_kind": "committee", "submit": "yes"}),
    )
    .await;
    let (_, for_member) = app
        .api_post(&member, "/api/v1/proposals/similar", &draft)
        .await;
    assert!(!for_member
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["id"] == hidden["id"]));
    let (_, for_staff) = app
        .api_post(&staff, "/api/v1/proposals/similar", &draft)
        .await;
    assert!(
        for_staff
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == hidden["id"]),
        "staff see it at once: {for_staff}"
    );
    let (status, e) = app
        .api_post(
            &member,
            "/api/v1/proposals/similar",
            &json!({"headline": "", "text": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");

    // The search box: ranked, highlighted, filtered by kind, only what the user may read.
    let (status, r) = app.api_get(&staff, "/api/v1/search?q=城中村%20拆迁").await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let items = r["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|h| h["kind"] == "proposal" && h["id"] == village_id),
        "{r}"
    );
    assert!(
        items[0]["title"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["hit"] == true),
        "{r}"
    );
    let (_, only_cases) = app
        .api_get(&staff, "/api/v1/search?q=城中村&kind=case")
        .await;
    assert!(only_cases["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["kind"] == "case"));
    let (_, as_member) = app.api_get(&member, "/api/v1/search?q=城中村").await;
    assert!(
        as_member["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["kind"] != "case"),
        "members do not read cases: {as_member}"
    );
    assert!(!as_member["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["id"] == hidden["id"] && h["kind"] == "proposal"));
    let (status, empty) = app.api_get(&staff, "/api/v1/search?q=").await;
    assert_eq!(status, StatusCode::OK, "nothing asked, nothing found");
    assert_eq!(empty["total"], 0);
    let (status, e) = app
        .api_get(&staff, &format!("/api/v1/search?q={}", "长".repeat(101)))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(field_of(&e), vec!["q".to_string()]);
    let (status, _) = app.api_get(&staff, "/api/v1/search?q=x&kind=secret").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A second server on the same database sees the first one's writes.
    let state = lvzhi::app::App::new(
        app.db.clone(),
        crate::helpers::cipher(),
        lvzhi::app::config::Settings {
            database_url: app.database_url.clone(),
            ..lvzhi::app::config::Settings::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let _ = lvzhi::http::serve(state, listener).await;
    });
    let ask = |q: &'static str| {
        let client = app.client.clone();
        let url = format!("{second}/api/v1/search?q={q}");
        let token = staff.clone();
        async move {
            let r = client.get(url).bearer_auth(token).send().await.unwrap();
            r.json::<Value>().await.unwrap()
        }
    };
    let before = ask("充电桩").await;
    assert_eq!(before["total"], 0);
    let fresh = propose(
        &app,
        &staff,
        json!({"headline": "关于在小区增设电动车充电桩的建议", "text": "小区充电设施不足，飞线充电隐患大。",
        "category": "environment", "submitter_kind": "committee", "submit": "yes"}),
    )
    .await;
    let after = ask("充电桩").await;
    assert!(
        after["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == fresh["id"]),
        "{after}"
    );
    // A change the second server never saw is pruned: it notices, and rebuilds.
    let missed = propose(
        &app,
        &staff,
        json!({"headline": "关于加强社区消防通道管理的建议", "text": "消防通道被占用。",
        "category": "governance", "submitter_kind": "committee", "submit": "yes"}),
    )
    .await;
    let pruned = lvzhi::storage::search::prune_changes(
        &app.db,
        chrono::Utc::now() + chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    assert!(pruned >= 1);
    propose(
        &app,
        &staff,
        json!({"headline": "关于社区消防器材更新的建议", "text": "灭火器过期。",
        "category": "governance", "submitter_kind": "committee", "submit": "yes"}),
    )
    .await;
    let both = ask("消防&kind=proposal").await;
    assert!(
        both["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == missed["id"]),
        "{both}"
    );
    assert_eq!(both["total"], 2, "{both}");
    server.abort();

    // `lvzhi search rebuild` asks every server to rebuild, and is audited.
    let documents = lvzhi::services::search::request_rebuild(&app.db)
        .await
        .unwrap();
    assert!(documents >= 4);
    assert_eq!(app.audit_count("search_rebuild").await, 1);
    // The fresh index is the snapshot the next server starts from.
    let next = std::sync::Arc::new(lvzhi::services::search::SearchIndex::default());
    assert_eq!(
        next.warm_up(&app.db).await.unwrap(),
        lvzhi::services::search::Warmed::FromSnapshot { documents }
    );
    let (_, after_rebuild) = app.api_get(&staff, "/api/v1/search?q=充电桩").await;
    assert_eq!(after_rebuild["total"], 1);
}
dual_test!(similar_and_search_t, similar_and_search);

/// A server answers before its search index is built: while the index warms
/// up in the background, search and similar proposals say so (503, a
/// sentence in Chinese, `Retry-After`), the search page says it too, and a
/// proposal's page still opens without its list of similar ones; once built,
/// search answers.
async fn search_warms_up(mut app: TestApp) {
    let staff = app.token("staff").await;
    app.search.begin_warming();
    assert!(app.search.is_warming());
    let (status, body) = app.api_get(&staff, "/api/v1/search?q=城中村").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"], "search_warming_up");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("搜索索引正在建立"),
        "{body}"
    );
    let r = app
        .client
        .post(format!("{}/api/v1/proposals/similar", app.address))
        .bearer_auth(&staff)
        .json(&json!({"headline": "关于城中村改造的建议", "text": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["retry-after"], "5");
    app.login("staff").await;
    let (status, html) = app.get_html("/search?q=城中村").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(html.contains("搜索索引正在建立"), "{html}");
    // A proposal still to be decided lists similar ones for staff.
    let draft = propose(
        &app,
        &staff,
        json!({"headline": "关于城中村改造安置房建设的建议", "text": "安置房建设进度应公开。",
        "category": "urban", "submitter_kind": "committee", "submit": "yes"}),
    )
    .await;
    let (status, html) = app
        .get_html(&format!("/proposals/{}", draft["id"].as_i64().unwrap()))
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");

    let built = app.search.rebuild(&app.db).await.expect("build");
    assert!(built > 0);
    assert!(!app.search.is_warming());
    let (status, body) = app.api_get(&staff, "/api/v1/search?q=城中村").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["total"].as_i64().unwrap() > 0, "{body}");
}
dual_test!(search_warms_up_t, search_warms_up);

/// A server starts from the index snapshot kept in the database: the index
/// it reads ranks as the one built from the records, and catches up on the
/// changes made since. A snapshot that is stale (its last change pruned
/// from the log), of another analyser or damaged is not read: the index is
/// built afresh, and finds the same.
async fn search_starts_from_its_snapshot(app: TestApp) {
    use lvzhi::services::search::{SearchIndex, Warmed};
    use std::sync::Arc;
    let staff = app.token("staff").await;
    let actor = root_staff(&app).await;
    let built = Arc::new(SearchIndex::default());
    let Warmed::Built { documents } = built.warm_up(&app.db).await.unwrap() else {
        panic!("no snapshot yet: built");
    };
    assert!(documents > 0);
    assert_eq!(built.save_snapshot(&app.db).await.unwrap(), Some(documents));
    // Nothing new: nothing written again.
    assert_eq!(built.save_snapshot(&app.db).await.unwrap(), None);
    assert_eq!(app.count("search_snapshots").await, 1);

    let draft = (
        "关于城中村改造安置房建设的建议",
        "安置房建设进度应公开，回迁要按期。",
    );
    let ranked = |index: Arc<SearchIndex>| {
        let db = app.db.clone();
        let actor = actor.clone();
        async move {
            lvzhi::services::search::similar(
                &index,
                &db,
                &actor,
                &lvzhi::services::search::SimilarInput {
                    headline: draft.0.into(),
                    text: draft.1.into(),
                    ..Default::default()
                },
            )
            .await
            .map(|found| found.iter().map(|p| (p.id, p.score)).collect::<Vec<_>>())
        }
    };
    let read = Arc::new(SearchIndex::default());
    assert_eq!(
        read.warm_up(&app.db).await.unwrap(),
        Warmed::FromSnapshot { documents }
    );
    let expected = ranked(Arc::clone(&built)).await.unwrap();
    assert!(!expected.is_empty());
    assert_eq!(ranked(Arc::clone(&read)).await.unwrap(), expected);

    // A proposal made after the snapshot: a server starting from it finds
    // it all the same (replayed from the log).
    let fresh = propose(
        &app,
        &staff,
        json!({"headline": "关于在老旧小区增设电动车充电桩的建议", "text": "充电设施不足，飞线充电隐患大。",
        "category": "environment", "submitter_kind": "committee", "submit": "yes"}),
    )
    .await;
    let later = Arc::new(SearchIndex::default());
    assert!(matches!(
        later.warm_up(&app.db).await.unwrap(),
        Warmed::FromSnapshot { .. }
    ));
    let found = search_charging(&later, &app, &actor).await;
    assert!(found
        .items
        .iter()
        .any(|h| h.id == fresh["id"].as_i64().unwrap()));
    // It writes the next snapshot, past the one kept.
    assert!(later.save_snapshot(&app.db).await.unwrap().is_some());

    let warmed = || async {
        Arc::new(SearchIndex::default())
            .warm_up(&app.db)
            .await
            .unwrap()
    };
    // Damaged: the digest no longer matches the bytes.
    exec(
        &app,
        "UPDATE search_snapshots SET digest = 'zz' || substr(digest, 3)",
    )
    .await;
    assert!(matches!(warmed().await, Warmed::Built { .. }));
    // Cut by another analyser.
    fresh_snapshot(&app).await;
    exec(&app, "UPDATE search_snapshots SET analyser = 'another'").await;
    assert!(matches!(warmed().await, Warmed::Built { .. }));
    // Stale: the change it ends with was pruned from the log.
    fresh_snapshot(&app).await;
    assert!(matches!(warmed().await, Warmed::FromSnapshot { .. }));
    exec(
        &app,
        "DELETE FROM search_changes WHERE id = (SELECT seen FROM search_snapshots)",
    )
    .await;
    let rebuilt = Arc::new(SearchIndex::default());
    assert!(matches!(
        rebuilt.warm_up(&app.db).await.unwrap(),
        Warmed::Built { .. }
    ));
    let again = search_charging(&rebuilt, &app, &actor).await;
    assert_eq!(again.total, found.total);
}
dual_test!(
    search_starts_from_its_snapshot_t,
    search_starts_from_its_snapshot
);

/// Staff of the whole tree, to ask an index other than the server's.
async fn root_staff(app: &TestApp) -> lvzhi::services::Actor {
    let (org_id, org_path): (i64, String) = lvzhi::on_db!(&app.db, pool => sqlx::query_as(
        "SELECT id, path FROM orgs WHERE parent_id IS NULL ORDER BY id LIMIT 1")
        .fetch_one(pool).await)
    .unwrap();
    lvzhi::services::Actor {
        user_id: 0,
        username: "snapshot-test".into(),
        display_name: "snapshot-test".into(),
        role: lvzhi::domain::roles::Role::Staff,
        org_id,
        org_path,
        member_id: None,
        department_id: None,
        locale: lvzhi::app::i18n::Locale::ZhCn,
        ip: None,
        must_change_password: false,
        needs_totp: false,
    }
}

/// 充电桩 searched in `index`, as `actor`.
async fn search_charging(
    index: &lvzhi::services::search::SearchIndex,
    app: &TestApp,
    actor: &lvzhi::services::Actor,
) -> lvzhi::services::search::SearchResults {
    lvzhi::services::search::search(
        index,
        &app.db,
        actor,
        &lvzhi::services::search::SearchQuery {
            q: Some("充电桩".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

async fn exec(app: &TestApp, sql: &str) {
    lvzhi::on_db!(&app.db, pool => sqlx::query(sql).execute(pool).await.map(|_| ())).unwrap();
}

/// The kept snapshot replaced by one of an index built now.
async fn fresh_snapshot(app: &TestApp) {
    use lvzhi::services::search::{SearchIndex, Warmed};
    exec(app, "DELETE FROM search_snapshots").await;
    let index = std::sync::Arc::new(SearchIndex::default());
    assert!(matches!(
        index.warm_up(&app.db).await.unwrap(),
        Warmed::Built { .. }
    ));
    assert!(index.save_snapshot(&app.db).await.unwrap().is_some());
    assert_eq!(app.count("search_snapshots").await, 1);
}

async fn pages_draft_review_and_print(mut app: TestApp) {
    app.login("member").await;
    let (status, html) = app.get_html("/proposals/new").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("name=\"cosigner_ids\""));
    // Asking for similar proposals saves nothing.
    let before = app.count("proposals").await;
    let r = app
        .post_form(
            "/proposals",
            &[
                ("headline", "关于城中村改造的建议"),
                ("text", "安置"),
                ("category", "urban"),
                ("intent", "similar"),
            ],
        )
        .await;
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.count("proposals").await, before);
    // Missing fields: the form again, with each field's message and what was typed.
    let r = app
        .post_form(
            "/proposals",
            &[
                ("headline", "关于<script>alert(1)</script>的建议"),
                ("text", ""),
                ("category", "urban"),
                ("intent", "submit"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("alert(1)"), "typed title kept");
    assert!(!html.contains("<script>alert(1)"));
    assert_eq!(app.count("proposals").await, before);
    let r = app
        .post_form(
            "/proposals",
            &[
                ("headline", "关于完善社区文体设施的建议"),
                ("text", "社区缺少健身场地。"),
                ("category", "culture"),
                ("intent", "submit"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (status, html) = app.get_html(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("完善社区文体设施"));
    let (status, html) = app.get_html(&format!("{location}/print")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("提案表"));
    // Staff accept it from the page.
    app.login("staff").await;
    let id: i64 = location.rsplit('/').next().unwrap().parse().unwrap();
    let (_, html) = app.get_html(&location).await;
    let version = {
        let at =
            html.find("name=\"version\" value=\"").unwrap() + "name=\"version\" value=\"".len();
        html[at..].split('"').next().unwrap().to_string()
    };
    let r = app
        .post_form(
            &format!("/proposals/{id}/steps"),
            &[("version", &version), ("action", "accept")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html(&location).await;
    assert!(
        html.contains("第"),
        "numbered: {}",
        &html[..200.min(html.len())]
    );
    let (status, html) = app.get_html("/proposals/figures").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("fig-received"));
    let (status, html) = app.get_html("/search?q=文体设施").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<mark>"), "highlighted");
}
dual_test!(pages_draft_review_and_print_t, pages_draft_review_and_print);

/// The demo's proposals reproduce their figures from the records.
async fn demo_figures(app: TestApp) {
    let staff = app.token("staff").await;
    let (status, f) = app
        .api_get(&staff, "/api/v1/proposals/figures?session=2011")
        .await;
    assert_eq!(status, StatusCode::OK, "{f}");
    for (key, value) in [
        ("received", 8),
        ("accepted", 6),
        ("merged", 1),
        ("not_accepted", 1),
        ("answered", 6),
        ("answered_on_time", 6),
        ("class_a", 4),
        ("class_b", 2),
        ("class_c", 0),
        ("closed", 6),
        ("second_answers", 1),
        ("key", 1),
        ("overdue", 0),
        ("pending_review", 0),
    ] {
        assert_eq!(f[key], value, "2011 {key}: {f}");
    }
    let (_, f) = app
        .api_get(&staff, "/api/v1/proposals/figures?session=2012")
        .await;
    for (key, value) in [
        ("received", 4),
        ("accepted", 3),
        ("pending_review", 1),
        ("overdue", 1),
        ("answered", 1),
        ("key", 1),
    ] {
        assert_eq!(f[key], value, "2012 {key}: {f}");
    }
    // The merged pair answers together; the not-accepted one keeps its reason.
    let (_, list) = app
        .api_get(&staff, "/api/v1/proposals?session=2011&status=merged")
        .await;
    let merged = &list["items"][0];
    let (_, detail) = app
        .api_get(&staff, &format!("/api/v1/proposals/{}", merged["id"]))
        .await;
    assert!(detail["merged_into"]["answer"]
        .as_str()
        .unwrap()
        .contains("公示"));
    let (_, list) = app
        .api_get(&staff, "/api/v1/proposals?session=2011&status=not_accepted")
        .await;
    assert!(list["items"][0]["not_accepted_reason"]
        .as_str()
        .unwrap()
        .contains("不予立案"));
    // Overdue and key proposals are flagged in the list.
    let (_, overdue) = app.api_get(&staff, "/api/v1/proposals?overdue=yes").await;
    assert_eq!(overdue["total"], 1);
    assert_eq!(overdue["items"][0]["overdue"], true);
    assert_eq!(overdue["items"][0]["is_key"], true);
    // The department sees the key proposal it co-handles, overdue, in its list.
    let lead = app.token("department").await;
    let (_, mine) = app.api_get(&lead, "/api/v1/proposals?overdue=yes").await;
    assert_eq!(mine["total"], 1, "{mine}");
}
dual_test!(demo_figures_t, demo_figures);

/// The demo's first proposal read as staff: its timeline says what each step
/// set down in words (the number, the key mark, the ratings), with people by
/// name and times in the committee's zone, and no stored codes.
async fn the_timeline_reads_in_words(mut app: TestApp) {
    app.login("staff").await;
    let (status, html) = app.get_html("/proposals/1").await;
    assert_eq!(status, StatusCode::OK);
    let timeline = &html[html.find("<ol class=\"timeline\">").unwrap()..];
    let timeline = &timeline[..timeline.find("</ol>").unwrap()];
    for words in ["编为第1号", "列为重点提案", "满意", "B类", "王静"] {
        assert!(timeline.contains(words), "{words}: {timeline}");
    }
    for code in [
        ">key<",
        "satisfied",
        "basically_satisfied",
        "#1<",
        "· staff ",
    ] {
        assert!(!timeline.contains(code), "{code}: {timeline}");
    }
}
dual_test!(the_timeline_reads_in_words_t, the_timeline_reads_in_words);
