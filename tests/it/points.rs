//! Duty points (履职积分): every point traceable to its record and the rule
//! that priced it, through the API and the pages; a rule changed changes
//! the score; only awarded awards count; joint proposals split; caps; grade
//! bands refused with the field named in Chinese and nothing saved; who may
//! read whose points.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::dual_test;
use crate::helpers::{staff_at, TestApp};

async fn member_id(app: &TestApp, name: &str) -> i64 {
    lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM members WHERE name = $1")
        .bind(name).fetch_one(pool).await)
    .unwrap()
}

async fn award_id(app: &TestApp, title_part: &str) -> i64 {
    lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM awards WHERE title LIKE $1")
        .bind(format!("%{title_part}%")).fetch_one(pool).await)
    .unwrap()
}

async fn breakdown(app: &TestApp, token: &str, member: i64, year: i32) -> Value {
    let (status, b) = app
        .api_get(
            token,
            &format!("/api/v1/points/members/{member}?year={year}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    b
}

/// The lines of a breakdown with this item.
fn lines<'a>(b: &'a Value, item: &str) -> Vec<&'a Value> {
    b["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["item"] == item)
        .collect()
}

fn score(b: &Value) -> f64 {
    b["score"].as_str().unwrap().parse().unwrap()
}

fn code(answer: &Value, field: &str) -> String {
    answer["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|e| e["field"] == field))
        .map(|e| e["code"].as_str().unwrap_or_default().to_string())
        .unwrap_or_else(|| panic!("no error on {field}: {answer}"))
}

fn message(answer: &Value, field: &str) -> String {
    answer["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|e| e["field"] == field))
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .unwrap_or_else(|| panic!("no error on {field}: {answer}"))
}

/// The rules as read, as a PUT body (points as numbers).
fn body_of(view: &Value) -> Value {
    let num = |v: &Value| -> Value {
        v.as_str()
            .map(|s| json!(s.parse::<f64>().unwrap()))
            .unwrap_or(Value::Null)
    };
    let mut prices = serde_json::Map::new();
    for p in view["prices"].as_array().unwrap() {
        prices.insert(p["item"].as_str().unwrap().into(), num(&p["points"]));
    }
    let mut caps = serde_json::Map::new();
    for c in view["caps"].as_array().unwrap() {
        if c["max"].is_string() {
            caps.insert(c["kind"].as_str().unwrap().into(), num(&c["max"]));
        }
    }
    let band = |g: &str, end: &str| {
        view["grades"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["grade"] == g)
            .map(|b| num(&b[end]))
            .unwrap()
    };
    json!({
        "base": num(&view["base"]),
        "prices": prices,
        "caps": caps,
        "joint_mode": view["joint_mode"],
        "lead_pct": view["lead_pct"],
        "cosigner_pct": view["cosigner_pct"],
        "excellent_from": band("excellent", "from"),
        "good_from": band("good", "from"),
        "good_to": band("good", "to"),
        "competent_from": band("competent", "from"),
        "competent_to": band("competent", "to"),
        "unfit_to": band("unfit", "to"),
        "version": view["version"],
    })
}

async fn points_trace_to_records_and_rules(mut app: TestApp) {
    let staff = app.token("staff").await;
    let meng = member_id(&app, "孟爱云").await;
    let sun = member_id(&app, "孙郑华").await;

    // The default rules: nothing saved yet.
    let (status, rules) = app.api_get(&staff, "/api/v1/points/rules?year=2011").await;
    assert_eq!(status, StatusCode::OK, "{rules}");
    assert_eq!(rules["source"], "standard");
    assert_eq!(rules["base"], "40");

    // A joint proposal: 孙郑华 leads, 孟爱云 co-signs; accepted and made key.
    let lead = breakdown(&app, &staff, sun, 2011).await;
    let co = breakdown(&app, &staff, meng, 2011).await;
    assert_eq!(co["rules_source"], "standard");
    for item in ["proposal_submitted", "proposal_accepted", "proposal_key"] {
        let l = lines(&lead, item);
        let c = lines(&co, item);
        let proposal = c
            .iter()
            .find(|c| l.iter().any(|l| l["record_id"] == c["record_id"]))
            .unwrap_or_else(|| panic!("{item}: a shared proposal in {co}"));
        let led = l
            .iter()
            .find(|l| l["record_id"] == proposal["record_id"])
            .unwrap();
        assert_eq!(
            (
                led["share"].as_str(),
                led["pct"].as_i64(),
                led["earned"].as_str()
            ),
            (Some("lead"), Some(100), Some("5")),
            "{led}"
        );
        assert_eq!(
            (
                proposal["share"].as_str(),
                proposal["pct"].as_i64(),
                proposal["earned"].as_str()
            ),
            (Some("cosigner"), Some(50), Some("2.5")),
            "{proposal}"
        );
        assert_eq!(proposal["record_type"], "proposal");
        let href = proposal["href"].as_str().unwrap();
        assert_eq!(href, format!("/proposals/{}", proposal["record_id"]));
        // The record is there, and names the member among its authors.
        let (status, p) = app
            .api_get(
                &staff,
                &format!("/api/v1/proposals/{}", proposal["record_id"]),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{p}");
    }
    // Every line's price is the rule's price of its item.
    for l in co["lines"].as_array().unwrap() {
        let price = rules["prices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["item"] == l["item"])
            .unwrap();
        assert_eq!(l["price"], price["points"], "{l}");
    }
    // The total is the base and the lines.
    let counted: f64 = co["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["counted"].as_str().unwrap().parse::<f64>().unwrap())
        .sum();
    assert!((score(&co) - (40.0 + counted)).abs() < 1e-9, "{co}");

    // The ranking gives every member of the committee the breakdown's score.
    let (status, r) = app
        .api_get(&staff, "/api/v1/points?year=2011&per_page=200")
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let items = r["items"].as_array().unwrap();
    assert_eq!(r["total"].as_i64().unwrap() as usize, items.len());
    assert!(items.len() > 10, "{r}");
    let mut last = f64::INFINITY;
    for m in items {
        let b = breakdown(&app, &staff, m["member_id"].as_i64().unwrap(), 2011).await;
        assert_eq!(m["score"], b["score"], "{m}");
        assert_eq!(m["grade"], b["grade"]);
        let s = m["score"].as_str().unwrap().parse::<f64>().unwrap();
        assert!(s <= last, "ranked highest first");
        last = s;
    }
    assert_eq!(items[0]["rank"], 1);
    // Paging and sorting.
    let (status, p2) = app
        .api_get(
            &staff,
            "/api/v1/points?year=2011&per_page=5&page=2&sort=name",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p2["items"].as_array().unwrap().len(), 5);
    assert_eq!(p2["total"], r["total"]);
    let (status, e) = app.api_get(&staff, "/api/v1/points?sort=height").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&e, "sort"), "sort_column");

    // The pages: the ranking, and the breakdown with a link to each record.
    app.login("staff").await;
    let (status, html) = app.get_html("/points?year=2011").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("孟爱云"), "{html}");
    assert!(html.contains(&format!("/points/members/{meng}?year=2011")));
    let (status, html) = app
        .get_html(&format!("/points/members/{meng}?year=2011"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("积分明细"));
    let first = &lines(&co, "proposal_submitted")[0];
    assert!(html.contains(&format!("href=\"/proposals/{}\"", first["record_id"])));
}

dual_test!(
    points_trace_to_records_and_rules_t,
    points_trace_to_records_and_rules
);

async fn rules_change_scores_and_awards_count_once_awarded(mut app: TestApp) {
    let staff = app.token("staff").await;
    let meng = member_id(&app, "孟爱云").await;
    let award = award_id(&app, "富华花苑二期").await;
    let before = breakdown(&app, &staff, meng, 2011).await;
    assert!(
        lines(&before, "award_committee").is_empty(),
        "a candidate earns nothing"
    );

    // Awarding the candidate adds its line, named by the award.
    let (status, a) = app.api_get(&staff, "/api/v1/awards?year=2011").await;
    assert_eq!(status, StatusCode::OK);
    let version = a["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == award)
        .map(|w| w["version"].clone())
        .unwrap();
    assert_eq!(
        a["items"].as_array().unwrap()[0]["level"],
        "committee",
        "rows from before have the committee's level"
    );
    let steps = format!("/api/v1/awards/{award}/steps");
    let (status, w) = app
        .api_post(
            &staff,
            &steps,
            &json!({"action": "award", "version": version}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{w}");
    assert_eq!(w["status"], "awarded");
    let awarded = breakdown(&app, &staff, meng, 2011).await;
    let line = lines(&awarded, "award_committee");
    assert_eq!(line.len(), 1, "{awarded}");
    assert_eq!(line[0]["record_id"], award);
    assert_eq!(line[0]["record_type"], "award");
    assert_eq!(line[0]["price"], "3");
    assert!((score(&awarded) - score(&before) - 3.0).abs() < 1e-9);
    assert_eq!(app.audit_count("award_step").await, 1);

    // Awarding twice: not possible now (409).
    let (status, _) = app
        .api_post(
            &staff,
            &steps,
            &json!({"action": "award", "version": w["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A rule changed changes the score at once; audited.
    let (_, view) = app.api_get(&staff, "/api/v1/points/rules?year=2011").await;
    let mut body = body_of(&view);
    body["prices"]["award_committee"] = json!(7.5);
    let audits = app.audit_count("create").await;
    let (status, saved) = app
        .api_send(Method::PUT, &staff, "/api/v1/points/rules?year=2011", &body)
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["source"], "committee");
    assert_eq!(saved["version"], 1);
    assert_eq!(app.audit_count("create").await, audits + 1);
    let dearer = breakdown(&app, &staff, meng, 2011).await;
    assert_eq!(dearer["rules_source"], "committee");
    assert_eq!(lines(&dearer, "award_committee")[0]["price"], "7.5");
    assert!((score(&dearer) - score(&awarded) - 4.5).abs() < 1e-9);

    // A cap takes off what is over it, and shows it.
    let updates = app.audit_count("update").await;
    body["caps"]["award"] = json!(5);
    body["version"] = json!(1);
    let (status, saved) = app
        .api_send(Method::PUT, &staff, "/api/v1/points/rules?year=2011", &body)
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 2);
    let capped = breakdown(&app, &staff, meng, 2011).await;
    let l = &lines(&capped, "award_committee")[0];
    assert_eq!(
        (
            l["earned"].as_str(),
            l["capped"].as_str(),
            l["counted"].as_str()
        ),
        (Some("7.5"), Some("2.5"), Some("5"))
    );
    let award_kind = capped["by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "award")
        .unwrap();
    assert_eq!(award_kind["cap"], "5");
    assert_eq!(award_kind["capped"], "2.5");
    // A stale version: 409, nothing saved.
    let (status, _) = app
        .api_send(Method::PUT, &staff, "/api/v1/points/rules?year=2011", &body)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(app.audit_count("update").await, updates + 1);

    // Withdrawn: needs its reason, then stops counting.
    let (status, e) = app
        .api_post(
            &staff,
            &steps,
            &json!({"action": "withdraw", "version": w["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(code(&e, "reason"), "reason_required");
    // A reason too long is refused whole, not cut.
    let (status, e) = app
        .api_post(
            &staff,
            &steps,
            &json!({"action": "withdraw", "reason": "因".repeat(501), "version": w["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(code(&e, "reason"), "too_long");
    let (status, w) = app
        .api_post(
            &staff,
            &steps,
            &json!({"action": "withdraw", "reason": "材料不实", "version": w["version"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{w}");
    assert_eq!(w["status"], "withdrawn");
    assert_eq!(w["withdrawn_reason"], "材料不实");
    let withdrawn = breakdown(&app, &staff, meng, 2011).await;
    assert!(lines(&withdrawn, "award_committee").is_empty());
    assert_eq!(withdrawn["score"], before["score"]);
    assert_eq!(app.audit_count("award_step").await, 2);

    // The pages: the rules form has number fields, one per item; the awards
    // page shows the reason; a new award with a level through the form.
    app.login("staff").await;
    let (status, html) = app.get_html("/points/rules?year=2011").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"price_info_adopted_city\""), "{html}");
    assert!(html.contains("name=\"cap_award\""));
    let (status, html) = app.get_html("/awards").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("材料不实"));
    let r = app
        .post_form(
            "/awards",
            &[
                ("member_id", &meng.to_string()),
                ("year", "2011"),
                ("category", "other"),
                ("title", "市级优秀政协委员"),
                ("evidence", "履职突出"),
                ("status", "awarded"),
                ("level", "city"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let city = breakdown(&app, &staff, meng, 2011).await;
    assert_eq!(lines(&city, "award_city")[0]["price"], "8");
    // Withdrawn through the page, with its reason.
    let id = award_id(&app, "市级优秀政协委员").await;
    let r = app
        .post_form(
            &format!("/awards/{id}/steps"),
            &[
                ("action", "withdraw"),
                ("reason", "重复录入"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(lines(&breakdown(&app, &staff, meng, 2011).await, "award_city").is_empty());
}

dual_test!(
    rules_change_scores_and_awards_count_once_awarded_t,
    rules_change_scores_and_awards_count_once_awarded
);

async fn bad_rules_name_the_field_and_save_nothing(mut app: TestApp) {
    let staff = app.token("staff").await;
    let (_, view) = app.api_get(&staff, "/api/v1/points/rules?year=2012").await;
    let good = body_of(&view);
    let rows = app.count("points_rules").await;
    let audits = app.count("audit_log").await;
    let put = |body: Value| {
        let app = &app;
        let staff = staff.clone();
        async move {
            app.api_send(Method::PUT, &staff, "/api/v1/points/rules?year=2012", &body)
                .await
        }
    };

    // A gap between 良好 and 称职.
    let mut b = good.clone();
    b["good_from"] = json!(80);
    let (status, e) = put(b).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(code(&e, "competent_to"), "points_grade_gap");
    let m = message(&e, "competent_to");
    assert!(
        m.contains("称职上限") && m.contains("75 分到 79.9 分"),
        "{m}"
    );
    // An overlap.
    let mut b = good.clone();
    b["good_from"] = json!(70);
    let (status, e) = put(b).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&e, "competent_to"), "points_grade_overlap");
    // A negative base, a percent above 100, a price with two decimals, an unknown item.
    let mut b = good.clone();
    b["base"] = json!(-5);
    b["lead_pct"] = json!(120);
    b["prices"]["info_submitted"] = json!(2.25);
    b["prices"]["party_dues"] = json!(1);
    let (status, e) = put(b).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&e, "base"), "points_range");
    assert!(message(&e, "base").contains("基础分"), "{e}");
    assert_eq!(code(&e, "lead_pct"), "points_percent");
    assert!(message(&e, "lead_pct").contains("领衔人比例"));
    let price_codes: Vec<&str> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["field"] == "price")
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(price_codes.contains(&"points_format"), "{e}");
    assert!(price_codes.contains(&"points_unknown_item"), "{e}");
    // Text where a number is documented: refused, naming the field.
    let mut b = good.clone();
    b["base"] = json!("forty");
    let (status, _) = put(b).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("points_rules").await, rows, "nothing saved");
    assert_eq!(app.count("audit_log").await, audits);

    // The form says the same next to the field, and saves nothing.
    app.login("staff").await;
    let mut fields: Vec<(String, String)> = vec![
        ("year".into(), "2012".into()),
        ("base".into(), "40".into()),
        ("joint_mode".into(), "each".into()),
        ("lead_pct".into(), "100".into()),
        ("cosigner_pct".into(), "50".into()),
        ("excellent_from".into(), "90".into()),
        ("good_from".into(), "80".into()),
        ("good_to".into(), "89.9".into()),
        ("competent_from".into(), "60".into()),
        ("competent_to".into(), "74.9".into()),
        ("unfit_to".into(), "59.9".into()),
    ];
    fields.push(("price_info_submitted".into(), "-2".into()));
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = app.post_form("/points/rules", &form).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("75 分到 79.9 分不属于任何等次"), "{html}");
    assert_eq!(app.count("points_rules").await, rows);
}

dual_test!(
    bad_rules_name_the_field_and_save_nothing_t,
    bad_rules_name_the_field_and_save_nothing
);

async fn who_may_read_whose_points(mut app: TestApp) {
    let meng = member_id(&app, "孟爱云").await;
    let sun = member_id(&app, "孙郑华").await;
    let member = app.token("member").await;
    // Their own: yes; another member's: not found; the ranking and rules: staff's.
    let own = breakdown(&app, &member, meng, 2011).await;
    assert_eq!(own["member"], "孟爱云");
    let (status, _) = app
        .api_get(&member, &format!("/api/v1/points/members/{sun}?year=2011"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for path in ["/api/v1/points", "/api/v1/points/rules"] {
        let (status, _) = app.api_get(&member, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let (status, _) = app
        .api_send(Method::PUT, &member, "/api/v1/points/rules", &json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for who in ["department", "admin", "auditor"] {
        let token = app.token(who).await;
        let (status, _) = app.api_get(&token, "/api/v1/points").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
    // The district's staff rank the district's tree: the committee's members in it.
    let staff = app.token("staff").await;
    let (_, committee) = app.api_get(&staff, "/api/v1/points?year=2011").await;
    let district = app.group_id("二七区政协").await;
    let (status, tree) = app
        .api_get(&staff, &format!("/api/v1/points?year=2011&org={district}"))
        .await;
    // Staff of a committee do not see the district above them.
    assert_eq!(status, StatusCode::BAD_REQUEST, "{tree}");
    assert!(committee["total"].as_i64().unwrap() > 0);
    let changjiang = committee["org_id"].as_i64().unwrap();
    let other = staff_at(&app, "jianshe", Some("建设路街道政协工委")).await;
    let district_staff = staff_at(&app, "erqi", None).await;
    // Another committee's staff: the member is not found, the committee unknown.
    let (status, _) = app
        .api_get(&other, &format!("/api/v1/points/members/{meng}?year=2011"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .api_get(&other, &format!("/api/v1/points?org={changjiang}"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The district ranks across its tree, each member with their place in
    // the tree and in their committee.
    let (status, tree) = app
        .api_get(
            &district_staff,
            &format!("/api/v1/points?year=2011&org={district}&per_page=200"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tree}");
    assert_eq!(
        tree["total"], committee["total"],
        "the new committee has no members"
    );
    let m = tree["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["member_id"] == meng)
        .unwrap();
    assert_eq!(m["committee"], "长江路街道政协工委");
    assert!(m["committee_rank"].as_i64().unwrap() >= 1);
    let (status, b) = app
        .api_get(
            &district_staff,
            &format!("/api/v1/points/members/{meng}?year=2011"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");

    // The pages: a member's own breakdown, nobody else's.
    app.login("member").await;
    let (status, html) = app
        .get_html(&format!("/points/members/{meng}?year=2011"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("孟爱云"));
    assert!(
        html.contains(&format!("/points/members/{meng}")),
        "nav entry"
    );
    let (status, _) = app
        .get_html(&format!("/points/members/{sun}?year=2011"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get_html("/points").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

dual_test!(who_may_read_whose_points_t, who_may_read_whose_points);

async fn deductions_are_dated_reasoned_traceable_and_taken_back(mut app: TestApp) {
    let staff = app.token("staff").await;
    let meng = member_id(&app, "孟爱云").await;
    let before = breakdown(&app, &staff, meng, 2011).await;
    assert_eq!(before["deducted"], "0");
    let rank_of = |list: &Value| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["member_id"] == meng)
            .map(|m| (m["score"].clone(), m["rank"].as_i64().unwrap()))
            .unwrap()
    };
    let (_, ranking) = app
        .api_get(&staff, "/api/v1/points?year=2011&per_page=200")
        .await;
    let (score_before, _) = rank_of(&ranking);
    assert_eq!(score_before, before["score"]);

    // Bad input: every wrong field named in Chinese, nothing saved.
    let path = format!("/api/v1/points/members/{meng}/deductions");
    let rows = app.count("point_deductions").await;
    for (body, field, expected) in [
        (
            json!({"on": "2011-03-01", "points": 0, "reason": "缺席"}),
            "points",
            "points_cap_range",
        ),
        (
            json!({"on": "2011-03-01", "points": -5, "reason": "缺席"}),
            "points",
            "points_cap_range",
        ),
        (
            json!({"on": "2011-03-01", "points": 2.55, "reason": "缺席"}),
            "points",
            "points_format",
        ),
        (
            json!({"on": "2011-03-01", "points": 5, "reason": "  "}),
            "reason",
            "required",
        ),
        (
            json!({"on": "2011-02-29", "points": 5, "reason": "缺席"}),
            "on",
            "date_format",
        ),
        (
            json!({"on": "2999-01-01", "points": 5, "reason": "缺席"}),
            "on",
            "date_in_future",
        ),
    ] {
        let (status, answer) = app.api_post(&staff, &path, &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(code(&answer, field), expected, "{body}: {answer}");
        let words = message(&answer, field);
        assert!(
            words
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{words}"
        );
    }
    assert_eq!(app.count("point_deductions").await, rows, "nothing saved");
    let (status, answer) = app
        .api_post(
            &staff,
            &path,
            &json!({"on": "2011-13-01", "points": 100.5, "reason": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["on", "points", "reason"] {
        code(&answer, field);
    }

    // A deduction: the score drops by it, the line names its reason and day,
    // the ranking follows, the audit has it.
    let audits = app.audit_count("create").await;
    let (status, d) = app
        .api_post(
            &staff,
            &path,
            &json!({"on": "2011-03-01", "points": 2.5, "reason": "无故缺席全体会议"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(d["points"], "2.5");
    assert_eq!(app.audit_count("create").await, audits + 1);
    let after = breakdown(&app, &staff, meng, 2011).await;
    assert_eq!(after["deducted"], "2.5");
    assert!(
        (score(&before) - score(&after) - 2.5).abs() < 1e-9,
        "{after}"
    );
    assert_eq!(after["earned"], before["earned"], "earned is the records'");
    let listed = &after["deductions"][0];
    assert_eq!(listed["reason"], "无故缺席全体会议");
    assert_eq!(listed["on"], "2011-03-01");
    assert_eq!(listed["withdrawn"], false);
    let (_, ranking) = app
        .api_get(&staff, "/api/v1/points?year=2011&per_page=200")
        .await;
    assert_eq!(rank_of(&ranking).0, after["score"]);
    // It counts in its own year only.
    let next_year = breakdown(&app, &staff, meng, 2012).await;
    assert_eq!(next_year["deducted"], "0");
    // The member sees it on their own breakdown; they may not make one.
    let member = app.token("member").await;
    let own = breakdown(&app, &member, meng, 2011).await;
    assert_eq!(own["deductions"][0]["reason"], "无故缺席全体会议");
    let (status, _) = app
        .api_post(
            &member,
            &path,
            &json!({"on": "2011-03-01", "points": 1, "reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Another committee's staff: not found.
    let other = staff_at(&app, "jianshe2", Some("建设路街道政协工委二")).await;
    let (status, _) = app
        .api_post(
            &other,
            &path,
            &json!({"on": "2011-03-01", "points": 1, "reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Taken back: a reason and the version read; kept, shown, no longer counted.
    let id = d["id"].as_i64().unwrap();
    let back = format!("/api/v1/points/deductions/{id}/withdraw");
    let (status, answer) = app
        .api_post(&staff, &back, &json!({"reason": "", "version": 1}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&answer, "reason"), "required");
    let (status, answer) = app
        .api_post(&other, &back, &json!({"reason": "误登", "version": 1}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    let withdrawals = app.audit_count("withdraw").await;
    let (status, taken) = app
        .api_post(
            &staff,
            &back,
            &json!({"reason": "已请假，误登", "version": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{taken}");
    assert_eq!(taken["withdrawn"], true);
    assert_eq!(app.audit_count("withdraw").await, withdrawals + 1);
    let (status, _) = app
        .api_post(&staff, &back, &json!({"reason": "再次", "version": 1}))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a second take-back on a stale read"
    );
    let restored = breakdown(&app, &staff, meng, 2011).await;
    assert_eq!(restored["score"], before["score"]);
    assert_eq!(restored["deducted"], "0");
    assert_eq!(
        restored["deductions"][0]["withdrawn_reason"],
        "已请假，误登"
    );

    // The page: the form refuses in words and keeps the typing; a good one
    // lands on the member's year with the line shown.
    app.login("staff").await;
    let page = format!("/points/members/{meng}/deductions");
    let response = app
        .post_form(
            &page,
            &[
                ("on", "2011-05-04"),
                ("points", "abc"),
                ("reason", "未按时报送信息"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("未按时报送信息"), "the typing is kept");
    assert!(html.contains("扣分分值"), "the field is named");
    let response = app
        .post_form(
            &page,
            &[
                ("on", "2011-05-04"),
                ("points", "1"),
                ("reason", "未按时报送信息"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, html) = app
        .get_html(&format!("/points/members/{meng}?year=2011"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("未按时报送信息") && html.contains("已请假，误登"));
    assert!(html.contains("撤销扣分"));
}

dual_test!(
    deductions_are_dated_reasoned_traceable_and_taken_back_t,
    deductions_are_dated_reasoned_traceable_and_taken_back
);
