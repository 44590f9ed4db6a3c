//! The generated data of `lvzhi demo --scale`, at the hidden `tiny` scale:
//! what the report says is in the database, the rules the application keeps
//! hold for every generated row, and the SQL figures equal a plain count.

use chrono::{NaiveDate, Utc};
use lvzhi::demo::scale::{self, Scale, ScaleError};
use lvzhi::domain::id_number::ResidentId;
use lvzhi::domain::phone::MobilePhone;
use lvzhi::on_db;
use lvzhi::storage::cases::CaseFilter;
use reqwest::StatusCode;
use serde_json::Value;

use crate::dual_test;
use crate::helpers::{cipher, TestApp};

async fn rows<T>(app: &TestApp, sql: &str) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    on_db!(&app.db, pool => sqlx::query_as::<_, T>(sql).fetch_all(pool).await).expect(sql)
}

/// id, ID number (encrypted, hash, masked), phone (encrypted, masked), gender, birth date.
type MemberRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    NaiveDate,
);

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await).expect(sql)
}

async fn generated_data_keeps_the_rules(mut app: TestApp) {
    let report = scale::load(&app.db, &cipher(), Scale::Tiny, 11)
        .await
        .expect("tiny load");

    // The report is what the database holds, and the load is one audit row.
    for (table, _) in &report.tables {
        assert_eq!(
            app.count(table).await as u64,
            report.rows(table),
            "rows of {table}"
        );
    }
    assert!(report.rows("members") >= 12 && report.rows("case_events") > 0);
    assert!(report.rows("proposal_events") > 0 && report.rows("activity_invitations") > 0);
    assert_eq!(app.audit_count("demo_scale").await, 1);
    assert_eq!(app.count("audit_log").await, 1);

    // Loading again is refused, and changes nothing.
    match scale::load(&app.db, &cipher(), Scale::Tiny, 11).await {
        Err(ScaleError::NotEmpty(_)) => {}
        other => panic!("second load: {other:?}"),
    }
    assert_eq!(app.count("members").await as u64, report.rows("members"));

    // Proposal numbers: unique per committee and session, only from acceptance on.
    let duplicates = scalar(
        &app,
        "SELECT COUNT(*) FROM (SELECT org_id, session, number FROM proposals \
         WHERE number IS NOT NULL GROUP BY org_id, session, number HAVING COUNT(*) > 1) d",
    )
    .await;
    assert_eq!(duplicates, 0);
    let misnumbered = scalar(
        &app,
        "SELECT COUNT(*) FROM proposals WHERE (number IS NULL) <> \
         (status IN ('draft', 'submitted', 'not_accepted', 'merged'))",
    )
    .await;
    assert_eq!(misnumbered, 0);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM proposals WHERE status = 'draft' AND session IS NOT NULL"
        )
        .await,
        0
    );
    // Every step of every case and proposal is on its timeline.
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.action = 'register')").await,
        0
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM cases c WHERE c.status = 'closed' AND NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.action = 'close')").await,
        0
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM proposals p WHERE p.status IN ('assigned', 'answered', 'closed') AND NOT EXISTS (SELECT 1 FROM proposal_handlers h WHERE h.proposal_id = p.id AND h.role = 'lead')").await,
        0
    );

    // Every member's ID and phone number decrypt, validate and match their
    // keyed hash, masked copy, gender and birth date.
    let cipher = cipher();
    let members: Vec<MemberRow> = rows(
        &app,
        "SELECT id, id_number_enc, id_number_hash, id_number_masked, phone_enc, phone_masked, gender, birth_date FROM members",
    )
    .await;
    assert_eq!(members.len() as u64, report.rows("members"));
    for (id, enc, hash, masked, phone_enc, phone_masked, gender, birth) in &members {
        let plain = cipher.decrypt(enc).expect("ID number decrypts");
        let resident = ResidentId::parse("id_number", &plain)
            .unwrap_or_else(|e| panic!("member {id}: {plain} invalid: {e:?}"));
        assert_eq!(&cipher.lookup_hash(resident.as_str()), hash);
        assert_eq!(&resident.masked(), masked);
        assert_eq!(resident.gender().as_str(), gender);
        assert_eq!(&resident.birth_date(), birth);
        let phone = MobilePhone::parse("phone", &cipher.decrypt(phone_enc).expect("phone"))
            .expect("valid phone");
        assert_eq!(&phone.masked(), phone_masked);
    }

    // A committee's staff sign in with the generated password and see their
    // committee's members only.
    let r = app.login_as("staff-c01-d01-s01", scale::PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (committee, path): (i64, String) = rows(
        &app,
        "SELECT o.id, o.path FROM orgs o JOIN users u ON u.org_id = o.id WHERE u.username = 'staff-c01-d01-s01'",
    )
    .await
    .remove(0);
    let own = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM members WHERE org_id = {committee}"),
    )
    .await;
    assert!(own > 0 && (own as u64) < report.rows("members"));
    let (status, html) = app.get_html("/members?per_page=100").await;
    assert_eq!(status, StatusCode::OK);
    let token = app.token("staff-c01-d01-s01").await;
    let (status, page) = app.api_get(&token, "/api/v1/members?per_page=200").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"].as_i64(), Some(own));
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len() as i64, own);
    assert!(items
        .iter()
        .all(|m| m["org_id"].as_i64() == Some(committee)));
    for m in items {
        let name = m["name"].as_str().unwrap_or_default();
        assert!(html.contains(name), "{name} on the list page");
    }
    // Another committee's member is not found for them.
    let other: i64 = scalar(
        &app,
        &format!("SELECT MIN(id) FROM members WHERE org_id <> {committee}"),
    )
    .await;
    assert_eq!(
        app.api_get(&token, &format!("/api/v1/members/{other}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let _ = path;

    // The district's figures, counted in SQL, equal a plain count over every case.
    let district = app.token("staff-c01-d01").await;
    for query in ["", "?from=2025-03-01&to=2025-09-30"] {
        let (status, figures) = app
            .api_get(&district, &format!("/api/v1/cases/figures{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{figures}");
        let (from, to) = if query.is_empty() {
            (None, None)
        } else {
            (
                NaiveDate::from_ymd_opt(2025, 3, 1),
                NaiveDate::from_ymd_opt(2025, 9, 30),
            )
        };
        let expected = plain_count(&app, from, to).await;
        for (key, value) in &expected {
            assert_eq!(&figures[key], value, "{key} for {query:?}: {figures}");
        }
    }

    // The year at a glance: every committee and district has the template's
    // plan, every other committee its own points rules, each district its
    // projects, whose updates never go back.
    for table in [
        "plans",
        "plan_items",
        "points_rules",
        "projects",
        "project_updates",
    ] {
        assert!(report.rows(table) > 0, "{table}");
    }
    let without_plan = scalar(
        &app,
        "SELECT COUNT(*) FROM orgs o WHERE o.kind IN ('district', 'subdistrict') \
         AND NOT EXISTS (SELECT 1 FROM plans p WHERE p.org_id = o.id AND p.year = 2025)",
    )
    .await;
    assert_eq!(without_plan, 0);
    let backwards = scalar(
        &app,
        "SELECT COUNT(*) FROM project_updates a JOIN project_updates b \
         ON b.project_id = a.project_id AND b.id > a.id \
         WHERE b.invested < a.invested OR b.compensated < a.compensated \
         OR b.demolished < a.demolished OR b.demolished > b.compensated",
    )
    .await;
    assert_eq!(backwards, 0);
    // The plan status of the district, every rule and scope, reads them.
    let (status, report_json) = app
        .api_get(&district, "/api/v1/plan-status?period=2025")
        .await;
    assert_eq!(status, StatusCode::OK, "{report_json}");
    assert!(
        report_json["total"].as_i64().unwrap_or(0) > 0,
        "{report_json}"
    );
    // The staff's and the member's first pages open on the generated data.
    app.login_as("staff-c01-d01", scale::PASSWORD).await;
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("下辖委员会") && html.contains("<svg "),
        "{html}"
    );
}

/// The figures, counted case by case in Rust from every case loaded.
async fn plain_count(
    app: &TestApp,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Vec<(&'static str, Value)> {
    let all = lvzhi::storage::cases::list(
        &app.db,
        &CaseFilter {
            scope_path: Some("/".into()),
            ..Default::default()
        },
        1_000_000,
    )
    .await
    .expect("cases");
    let within = |d: Option<NaiveDate>| {
        d.is_some_and(|d| from.is_none_or(|f| d >= f) && to.is_none_or(|t| d <= t))
    };
    let today = Utc::now().date_naive();
    let received: Vec<_> = all.iter().filter(|c| within(Some(c.received_on))).collect();
    let resolved: Vec<_> = all.iter().filter(|c| within(c.resolved_on)).collect();
    let count = |f: &dyn Fn(&&lvzhi::storage::cases::Case) -> bool| {
        Value::from(received.iter().filter(|c| f(c)).count() as i64)
    };
    let mut out = vec![
        ("received", Value::from(received.len() as i64)),
        ("online", count(&|c| c.source == "online")),
        ("from_visits", count(&|c| c.source != "online")),
        (
            "forwarded",
            Value::from(all.iter().filter(|c| within(c.forwarded_on)).count() as i64),
        ),
        ("resolved", Value::from(resolved.len() as i64)),
        (
            "resolved_on_time",
            Value::from(
                resolved
                    .iter()
                    .filter(|c| matches!((c.resolved_on, c.due_on), (Some(r), Some(d)) if r <= d))
                    .count() as i64,
            ),
        ),
        (
            "satisfied",
            count(&|c| c.satisfaction.as_deref() == Some("satisfied")),
        ),
        (
            "basically_satisfied",
            count(&|c| c.satisfaction.as_deref() == Some("basically_satisfied")),
        ),
        (
            "unsatisfied",
            count(&|c| c.satisfaction.as_deref() == Some("unsatisfied")),
        ),
        (
            "overdue",
            count(&|c| {
                matches!(c.status.as_str(), "forwarded" | "in_progress")
                    && c.due_on.is_some_and(|d| today > d)
            }),
        ),
    ];
    if !resolved.is_empty() {
        let days: i64 = resolved
            .iter()
            .filter_map(|c| c.resolved_on.map(|r| (r - c.received_on).num_days()))
            .sum();
        let average = ((days as f64 / resolved.len() as f64) * 10.0).round() / 10.0;
        out.push(("average_days_to_resolve", Value::from(average)));
    }
    let by_status: Vec<Value> = [
        "registered",
        "forwarded",
        "in_progress",
        "resolved",
        "followed_up",
        "closed",
    ]
    .iter()
    .map(|s| {
        serde_json::json!([
            s,
            received.iter().filter(|c| c.status.as_str() == *s).count() as i64
        ])
    })
    .collect();
    out.push(("by_status", Value::from(by_status)));
    out
}

dual_test!(
    generated_data_keeps_the_rules_t,
    generated_data_keeps_the_rules,
    empty
);
