//! The audit log's export (itself audited), its retention, and account
//! management: disable, enable and reset, by the system admin within the
//! separation of duties, and by the operator at the command line.

use std::path::Path;
use std::process::{Command, Output};

use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::dual_test;
use crate::helpers::{new_client, spawn_client_for, TestApp, DEMO_PASSWORD};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// RFC 4180: fields separated by commas, quoted when they hold commas,
/// quotes or line breaks, records ended by CRLF.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted, "the CSV ends inside a quoted field");
    assert!(
        field.is_empty() && record.is_empty(),
        "the last record ends with CRLF"
    );
    records
}

async fn user(app: &TestApp, username: &str) -> lvzhi::storage::users::User {
    lvzhi::storage::users::find_by_username(&app.db, username)
        .await
        .unwrap()
        .unwrap()
}

/// The newest audit row with this action: (username, object_id, detail).
async fn last_audit(app: &TestApp, action: &str) -> (String, Option<String>, String) {
    lvzhi::on_db!(&app.db, pool => sqlx::query_as::<_, (String, Option<String>, Option<String>)>(
        "SELECT username, object_id, detail FROM audit_log WHERE action = $1 ORDER BY id DESC LIMIT 1")
        .bind(action).fetch_one(pool).await)
    .map(|(u, o, d)| (u, o, d.unwrap_or_default()))
    .unwrap()
}

/// Today as the pages show it: the committee's date.
fn today() -> String {
    lvzhi::app::clock::today().to_string()
}

/// The real binary on the test's database, with none of the caller's settings.
fn lvzhi(app: &TestApp, dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lvzhi"));
    command.current_dir(dir);
    for (name, _) in std::env::vars() {
        if name.starts_with("LVZHI_") {
            command.env_remove(name);
        }
    }
    command
        .env("LVZHI_DATA_KEY_FILE", dir.join("k.key"))
        .env("LVZHI_LOG", "warn")
        .envs(env.iter().copied());
    command.arg("--database").arg(&app.database_url).args(args);
    command.output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

// ---------------------------------------------------------------------------
// Audit log: filters, export, retention
// ---------------------------------------------------------------------------

/// User names a spreadsheet would take for formulas: an attacker types them
/// into the login form, and they land in the log as typed.
const FORMULAS: [&str; 4] = [
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
];

async fn the_auditor_exports_the_log_as_csv_and_the_export_is_audited(mut app: TestApp) {
    // Failed sign-ins under formula-like names, and one with a wrong password.
    let mut visitor = spawn_client_for(&app).await;
    for name in FORMULAS {
        let r = visitor.login_as(name, "wrong-password-1").await;
        assert_ne!(r.status(), StatusCode::SEE_OTHER);
    }
    let r = visitor.login_as("staff", "not-the-password").await;
    assert_ne!(r.status(), StatusCode::SEE_OTHER);
    // A password reset puts a new password on the admin's screen, never in the log.
    let admin_token = app.token("admin").await;
    let member = user(&app, "member").await;
    let (status, reset) = app
        .api_post(
            &admin_token,
            &format!("/api/v1/users/{}/reset-password", member.id),
            &json!({ "version": member.version }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reset}");
    let new_password = reset["new_password"].as_str().unwrap().to_string();

    app.login("auditor").await;
    let auditor_token = app.token("auditor").await;

    // The page: filters, paging, the retention line and the export link.
    let (status, html) = app.get_html("/audit?action=login&per_page=3").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"from\""), "a date filter");
    assert!(html.contains("name=\"username\""), "a user filter");
    assert!(html.contains("rel=\"next\""), "paged: {html}");
    assert!(html.contains("action=login"), "the pager keeps the filter");
    assert!(
        html.contains("/audit/export?action=login"),
        "the export link keeps the filter"
    );
    assert!(html.contains("最早一条审计记录"), "retention shown");
    assert!(html.contains(&today()), "the oldest row is today's");
    let (status, html) = app.get_html("/audit?username=staff&action=login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("失败"),
        "staff's failed sign-in is listed, in words"
    );
    let (status, _) = app.get_html("/audit?from=2012-13-01").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a wrong date is refused");
    let (status, _) = app.get_html("/audit?from=2012-02-01&to=2012-01-01").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "to before from is refused");

    // The export from the page.
    let exports_before = app.audit_count("export").await;
    let rows_before = app.count("audit_log").await;
    let r = app
        .get(&format!("/audit/export?from={}&to={}", today(), today()))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"audit-log_"),
        "{disposition}"
    );
    let count: i64 = r.headers()["x-row-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let bytes = r.bytes().await.unwrap();
    assert!(
        bytes.starts_with(b"\xef\xbb\xbf"),
        "UTF-8 with a byte-order mark"
    );
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let records = parse_csv(text);
    assert_eq!(
        records[0],
        [
            "序号",
            "时间（UTC）",
            "用户ID",
            "用户名",
            "角色",
            "IP 地址",
            "操作",
            "对象类型",
            "对象ID",
            "结果",
            "详情",
            "链中序号",
            "前一条哈希",
            "哈希",
            "用户（姓名）",
            "操作（文字）",
            "对象（文字）",
            "结果（文字）",
            "详情（文字）"
        ]
    );
    assert_eq!(records.len() as i64 - 1, count);
    assert_eq!(count, rows_before, "every row of today, none written after");
    assert!(records[1..].iter().all(|r| r.len() == 19));
    let ids: Vec<i64> = records[1..].iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first");
    // Formula cells are neutralised, and nothing else starts like one.
    for name in FORMULAS {
        let neutralised = format!("'{name}");
        assert!(
            records.iter().any(|r| r[3] == neutralised),
            "{name} is exported as {neutralised}"
        );
    }
    for record in &records {
        for cell in record {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "a cell a spreadsheet would evaluate: {cell}"
            );
        }
    }
    // The chain's columns let it be checked outside: taken in their places
    // in the chain (the order PostgreSQL's sequencer linked them, which
    // need not be the ids'), the rows follow one another and each links to
    // the one before.
    let mut chained: Vec<&Vec<String>> = records[1..].iter().collect();
    chained.sort_by_key(|r| r[11].parse::<i64>().expect("every exported row is linked"));
    for pair in chained.windows(2) {
        let places: Vec<i64> = pair.iter().map(|r| r[11].parse().unwrap()).collect();
        assert_eq!(places[1], places[0] + 1, "consecutive places");
        assert_eq!(
            pair[1][12], pair[0][13],
            "row {} links to row {}",
            pair[1][0], pair[0][0]
        );
    }
    // No secret: passwords, tokens, password hashes, full ID numbers.
    for secret in [
        DEMO_PASSWORD,
        &new_password,
        &auditor_token,
        &admin_token,
        "$argon2",
    ] {
        assert!(
            !text.contains(secret),
            "the export holds a secret: {secret}"
        );
    }
    for record in &records[1..] {
        for cell in &record[..11] {
            let longest_digits = cell
                .split(|c: char| !c.is_ascii_digit())
                .map(str::len)
                .max()
                .unwrap_or(0);
            assert!(longest_digits < 15, "an ID number in the export? {cell}");
        }
    }
    // The export is audited: who, the filters, how many rows.
    assert_eq!(app.audit_count("export").await, exports_before + 1);
    let (who, object, detail) = last_audit(&app, "export").await;
    assert_eq!(who, "auditor");
    assert_eq!(object, None);
    let today = today();
    assert!(
        detail.contains(&format!("from={today}; to={today}")),
        "{detail}"
    );
    assert!(detail.contains(&format!("rows={count}")), "{detail}");
    assert!(detail.contains("via=page"), "{detail}");

    // The API: the same filters, a JSON page, and the export.
    let (status, page) = app
        .api_get(
            &auditor_token,
            "/api/v1/audit?action=login&username=staff&per_page=2",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty() && items.len() <= 2);
    assert!(items
        .iter()
        .all(|e| e["action"] == "login" && e["username"] == "staff"));
    assert!(page["total"].as_i64().unwrap() >= items.len() as i64);
    assert!(page["retention"]["required_days"] == 180, "{page}");
    let (status, bad) = app
        .api_get(&auditor_token, "/api/v1/audit?from=yesterday")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["fields"][0]["field"], "from");
    let r = app
        .client
        .get(app.url("/api/v1/audit/export?action=login"))
        .bearer_auth(&auditor_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    let records = parse_csv(text.trim_start_matches('\u{feff}'));
    assert!(records[1..].iter().all(|r| r[6] == "login"));
    let (_, _, detail) = last_audit(&app, "export").await;
    assert!(detail.contains("action=login"), "{detail}");
    assert!(
        detail.contains(&format!("rows={}", records.len() - 1)),
        "{detail}"
    );
    assert!(detail.contains("via=api"), "{detail}");
    assert_eq!(app.audit_count("export").await, exports_before + 2);

    // Only the auditor: staff and the system admin are refused, a visitor sent to sign in.
    for role in ["staff", "admin"] {
        let mut other = spawn_client_for(&app).await;
        other.login_as(role, DEMO_PASSWORD).await;
        let r = other
            .client
            .get(other.url("/audit/export"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role} on the page");
        let token = app.token(role).await;
        for path in ["/api/v1/audit", "/api/v1/audit/export"] {
            let (status, _) = app.api_get(&token, path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{role} on {path}");
        }
    }
    let r = new_client()
        .get(app.url("/audit/export?from=2012-01-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?"));
    let r = new_client()
        .get(app.url("/api/v1/audit/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.audit_count("export").await,
        exports_before + 2,
        "no export without the auditor"
    );
}
dual_test!(
    the_auditor_exports_the_log_as_csv_and_the_export_is_audited_t,
    the_auditor_exports_the_log_as_csv_and_the_export_is_audited
);

/// Write the log's first row as if it had been written on `at`, chained from
/// the genesis link (the application itself only writes the present).
async fn backdated_first_row(app: &TestApp, at: chrono::DateTime<Utc>) {
    use lvzhi::domain::audit::{chain_hash, ChainedFields, GENESIS};
    let stamped = at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let hash = chain_hash(
        GENESIS,
        &ChainedFields {
            at: &stamped,
            user_id: None,
            username: Some("(cli)"),
            role: None,
            ip: None,
            action: "migrate",
            object_type: None,
            object_id: None,
            outcome: "ok",
            detail: None,
        },
    );
    lvzhi::on_db!(&app.db, pool => sqlx::query(
        "INSERT INTO audit_log (at, username, action, outcome, seq, prev_hash, hash) VALUES ($1, $2, $3, $4, 1, $5, $6)")
        .bind(at).bind("(cli)").bind("migrate").bind("ok").bind(GENESIS).bind(&hash)
        .execute(pool).await.map(|_| ()))
    .unwrap();
}

async fn verify_reports_the_oldest_row_and_the_days_kept(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    // An empty log: nothing to date yet.
    let o = lvzhi(&app, dir.path(), &[], &["audit", "verify"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("尚无记录"), "{}", out(&o));

    // A log started on 2012-01-01 (hash-chained from the genesis link), then today's rows.
    let first = Utc.with_ymd_and_hms(2012, 1, 1, 8, 30, 0).unwrap();
    backdated_first_row(&app, first).await;
    lvzhi::services::users::bootstrap_admin(&app.db)
        .await
        .unwrap();
    let o = lvzhi(&app, dir.path(), &[], &["audit", "verify"]);
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    let days = (Utc::now() - first).num_days();
    assert!(text.contains("共 2 条"), "{text}");
    assert!(text.contains("最早一条审计记录：2012-01-01"), "{text}");
    assert!(text.contains(&format!("已保存 {days} 天")), "{text}");
    assert!(text.contains("满足至少保存 180 天"), "{text}");

    // The retention is a setting of at least 180 days; a stricter one is reported.
    let o = lvzhi(
        &app,
        dir.path(),
        &[("LVZHI_AUDIT_RETENTION_DAYS", "100000")],
        &["audit", "verify"],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("启用不足 100000 天"), "{}", out(&o));
    // A lower one is refused at start-up, before anything is opened, with the reason.
    let o = lvzhi(
        &app,
        dir.path(),
        &[("LVZHI_AUDIT_RETENTION_DAYS", "90")],
        &["audit", "verify"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let message = err(&o);
    assert!(message.contains("audit_retention_days = 90"), "{message}");
    assert!(message.contains("至少保存 180 天"), "{message}");
    let o = lvzhi(
        &app,
        dir.path(),
        &[("LVZHI_AUDIT_RETENTION_DAYS", "179")],
        &["serve", "--listen", "127.0.0.1:0"],
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "serve refuses it too: {}",
        out(&o)
    );
    // Nothing the application does removes a row: the chain still starts at 2012.
    let (oldest,): (chrono::DateTime<Utc>,) = lvzhi::on_db!(&app.db, pool => sqlx::query_as(
        "SELECT at FROM audit_log ORDER BY id LIMIT 1").fetch_one(pool).await)
    .unwrap();
    assert_eq!(oldest, first);
}
dual_test!(
    verify_reports_the_oldest_row_and_the_days_kept_t,
    verify_reports_the_oldest_row_and_the_days_kept,
    empty
);

// ---------------------------------------------------------------------------
// Accounts: disable, enable, reset
// ---------------------------------------------------------------------------

async fn a_disabled_account_is_locked_out_at_once_and_enabled_again(mut app: TestApp) {
    // Staff is signed in, in a browser and with an API token.
    let mut staff = spawn_client_for(&app).await;
    assert_eq!(
        staff.login_as("staff", DEMO_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let staff_token = app.token("staff").await;
    let (status, _) = app.api_get(&staff_token, "/api/v1/members").await;
    assert_eq!(status, StatusCode::OK);
    let r = staff
        .client
        .get(staff.url("/members"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // The admin disables the account from the accounts page.
    app.login("admin").await;
    let target = user(&app, "staff").await;
    let (_, html) = app.get_html("/admin/users").await;
    assert!(html.contains(&format!("/admin/users/{}/disable", target.id)));
    assert!(html.contains("data-confirm="), "the buttons ask first");
    let r = app
        .post_form(
            &format!("/admin/users/{}/disable", target.id),
            &[("version", &target.version.to_string())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("账号 staff 已停用"), "{html}");
    assert!(html.contains(&format!("/admin/users/{}/enable", target.id)));
    let disabled = user(&app, "staff").await;
    assert!(disabled.disabled);

    // Its session and token are dead at once; it cannot sign in.
    let r = staff
        .client
        .get(staff.url("/members"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the session ended");
    let (status, _) = app.api_get(&staff_token, "/api/v1/members").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the token is revoked");
    let mut again = spawn_client_for(&app).await;
    let r = again.login_as("staff", DEMO_PASSWORD).await;
    assert_ne!(
        r.status(),
        StatusCode::SEE_OTHER,
        "a disabled account cannot sign in"
    );
    let (who, object, detail) = last_audit(&app, "disable").await;
    assert_eq!(who, "admin");
    assert_eq!(object, Some(target.id.to_string()));
    assert!(detail.contains("username=staff"), "{detail}");
    assert!(detail.contains("sessions_ended=1"), "{detail}");
    assert!(detail.contains("tokens_revoked=1"), "{detail}");
    let (_, _, detail) = last_audit(&app, "login").await;
    assert_eq!(
        detail, "account disabled",
        "the refused sign-in is audited with why"
    );
    // A stale version is refused.
    let r = app
        .post_form(
            &format!("/admin/users/{}/enable", target.id),
            &[("version", &target.version.to_string())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // Enabled again (through the API this time), the account signs in; the
    // revoked token stays revoked.
    let admin_token = app.token("admin").await;
    let (status, answer) = app
        .api_post(
            &admin_token,
            &format!("/api/v1/users/{}/enable", target.id),
            &json!({ "version": disabled.version }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["user"]["disabled"], false);
    assert!(answer["new_password"].is_null());
    let r = again.login_as("staff", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, _) = app.api_get(&staff_token, "/api/v1/members").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .api_get(&app.token("staff").await, "/api/v1/members")
        .await;
    assert_eq!(status, StatusCode::OK);
    let (who, _, detail) = last_audit(&app, "enable").await;
    assert_eq!(who, "admin");
    assert!(detail.contains("username=staff"), "{detail}");
}
dual_test!(
    a_disabled_account_is_locked_out_at_once_and_enabled_again_t,
    a_disabled_account_is_locked_out_at_once_and_enabled_again
);

async fn a_reset_password_is_shown_once_and_must_be_changed(mut app: TestApp) {
    let department = user(&app, "department").await;
    let department_token = app.token("department").await;
    app.login("admin").await;
    let r = app
        .post_form(
            &format!("/admin/users/{}/reset-password", department.id),
            &[("version", &department.version.to_string())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let marker = "下次登录须修改）：";
    let start = html.find(marker).expect("the new password is shown") + marker.len();
    let password: String = html[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '<')
        .collect();
    assert!(password.len() >= 12, "{password}");
    // Shown once: the page afterwards does not hold it, nor does the log.
    let (_, html) = app.get_html("/admin/users").await;
    assert!(!html.contains(&password));
    assert!(
        html.contains("待改初始密码"),
        "flagged as having to change it"
    );
    let (_, _, detail) = last_audit(&app, "password_reset").await;
    assert!(!detail.contains(&password));
    assert!(detail.contains("must_change_password=true"), "{detail}");
    assert!(detail.contains("tokens_revoked=1"), "{detail}");
    let (status, _) = app.api_get(&department_token, "/api/v1/cases").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "its tokens are revoked");

    // The old password no longer works; the new one leads to the change form only.
    let mut dept = spawn_client_for(&app).await;
    let r = dept.login_as("department", DEMO_PASSWORD).await;
    assert_ne!(r.status(), StatusCode::SEE_OTHER);
    let r = dept.login_as("department", &password).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = dept.client.get(dept.url("/inbox")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/account/password");
    let (status, answer) = app
        .api_get(&app.token("department").await, "/api/v1/cases")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert_eq!(answer["error"], "password_change_required");
    let r = dept
        .client
        .post(dept.url("/account/password"))
        .form(&[
            ("csrf", dept.csrf.as_str()),
            ("current_password", password.as_str()),
            ("new_password", "Dept-Handler-2025!"),
            ("confirm_password", "Dept-Handler-2025!"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the password is changed");
    let r = dept.client.get(dept.url("/inbox")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "changed, the account works");
}
dual_test!(
    a_reset_password_is_shown_once_and_must_be_changed_t,
    a_reset_password_is_shown_once_and_must_be_changed
);

async fn the_admin_cannot_touch_the_trio_or_themselves(mut app: TestApp) {
    app.login("admin").await;
    let admin_token = app.token("admin").await;
    let actions_before = app.count("audit_log").await;
    for name in ["security", "auditor", "admin"] {
        let target = user(&app, name).await;
        let expected = if name == "admin" {
            "不能停用或重置自己的账号"
        } else {
            "三权分立"
        };
        for action in ["disable", "reset-password", "enable"] {
            let r = app
                .post_form(
                    &format!("/admin/users/{}/{action}", target.id),
                    &[("version", &target.version.to_string())],
                )
                .await;
            assert_eq!(
                r.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{action} {name}"
            );
            let html = r.text().await.unwrap();
            assert!(html.contains(expected), "{action} {name}: {html}");
            let (status, answer) = app
                .api_post(
                    &admin_token,
                    &format!("/api/v1/users/{}/{action}", target.id),
                    &json!({ "version": target.version }),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            assert_eq!(answer["fields"][0]["field"], "account");
            assert!(
                answer["message"].as_str().unwrap().contains(expected),
                "{answer}"
            );
        }
        let (_, html) = app.get_html("/admin/users").await;
        assert!(
            !html.contains(&format!("/admin/users/{}/disable", target.id)),
            "no button for {name}"
        );
        assert!(!user(&app, name).await.disabled);
    }
    // Nobody else may: not the security admin, not staff.
    let staff = user(&app, "staff").await;
    for role in ["security", "auditor", "staff"] {
        let (status, _) = app
            .api_post(
                &app.token(role).await,
                &format!("/api/v1/users/{}/disable", staff.id),
                &json!({ "version": staff.version }),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
    }
    assert!(!user(&app, "staff").await.disabled);
    // A refusal changes nothing, so it writes no account row.
    assert_eq!(app.audit_count("disable").await, 0);
    assert_eq!(app.audit_count("password_reset").await, 0);
    assert!(app.count("audit_log").await >= actions_before);
}
dual_test!(
    the_admin_cannot_touch_the_trio_or_themselves_t,
    the_admin_cannot_touch_the_trio_or_themselves
);

async fn the_operator_resets_and_disables_the_trio_at_the_command_line(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let o = lvzhi(
        &app,
        dir.path(),
        &[],
        &["user", "reset-password", "--username", "security"],
    );
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    let password = text.trim().rsplit('：').next().unwrap().to_string();
    assert!(password.len() >= 12, "{text}");
    let (who, _, detail) = last_audit(&app, "password_reset").await;
    assert_eq!(who, "(cli)");
    assert!(!detail.contains(&password));
    let security = user(&app, "security").await;
    assert!(security.must_change_password);

    let mut browser = spawn_client_for(&app).await;
    assert_eq!(
        browser.login_as("security", &password).await.status(),
        StatusCode::SEE_OTHER
    );
    let o = lvzhi(
        &app,
        dir.path(),
        &[],
        &["user", "disable", "--username", "auditor"],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("账号 auditor 已停用"));
    let mut auditor = spawn_client_for(&app).await;
    assert_ne!(
        auditor.login_as("auditor", DEMO_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let (who, _, _) = last_audit(&app, "disable").await;
    assert_eq!(who, "(cli)");
    let o = lvzhi(
        &app,
        dir.path(),
        &[],
        &["user", "enable", "--username", "auditor"],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        auditor.login_as("auditor", DEMO_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let o = lvzhi(
        &app,
        dir.path(),
        &[],
        &["user", "disable", "--username", "nobody"],
    );
    assert!(!o.status.success());
    assert!(
        err(&o).contains("没有用户名为 nobody 的账号"),
        "{}",
        err(&o)
    );
}
dual_test!(
    the_operator_resets_and_disables_the_trio_at_the_command_line_t,
    the_operator_resets_and_disables_the_trio_at_the_command_line
);

/// Retention holds because nothing removes audit rows: the database refuses
/// (tested in `security`), and no code of the application tries — the
/// clean-ups of sessions and sign-in attempts leave the log alone.
#[test]
fn no_code_deletes_or_prunes_the_audit_log() {
    fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs" || e == "sql") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    assert!(files.len() > 20);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap().to_lowercase();
        let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for forbidden in [
            "delete from audit_log",
            "truncate audit_log",
            "truncate table audit_log",
            "drop table audit_log",
        ] {
            assert!(
                !text.contains(forbidden),
                "{} contains \"{forbidden}\"",
                file.display()
            );
        }
        // One update only: the sequencer's, giving unlinked rows their place
        // and hashes (the trigger refuses any other).
        let sequencer = "update audit_log set seq = v.seq, prev_hash = v.prev_hash, hash = v.hash";
        let updates = text.matches("update audit_log").count();
        let allowed = if file.ends_with("src/storage/audit.rs") {
            text.matches(sequencer).count()
        } else {
            0
        };
        assert_eq!(
            updates,
            allowed,
            "{} updates audit_log other than to link rows",
            file.display()
        );
    }
}

async fn a_role_change_names_the_account_and_asks_first(mut app: TestApp) {
    app.login("security").await;
    let target = user(&app, "member").await;
    let version = target.version.to_string();
    let path = format!("/admin/users/{}/role", target.id);
    // Chosen from the list: a question naming the account, before and after.
    let r = app
        .post_form(&path, &[("version", &version), ("role", "admin")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let account = format!("{}（member）", target.display_name);
    assert!(html.contains("确认更改角色"), "{html}");
    assert!(
        html.contains(&format!(
            "将账号 {account} 的角色由“政协委员”改为“系统管理员”？"
        )),
        "{html}"
    );
    assert!(html.contains("name=\"confirm\" value=\"yes\""));
    // Nothing changed yet, and nothing was audited.
    assert_eq!(user(&app, "member").await.role.as_deref(), Some("member"));
    assert_eq!(app.audit_count("role_grant").await, 0);
    // Confirmed: done, said, and in the audit log.
    let r = app
        .post_form(
            &path,
            &[("version", &version), ("role", "admin"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "已将账号 {account} 的角色由“政协委员”改为“系统管理员”。"
        )),
        "{html}"
    );
    assert_eq!(user(&app, "member").await.role.as_deref(), Some("admin"));
    let (by, object, detail) = last_audit(&app, "role_grant").await;
    assert_eq!(by, "security");
    assert_eq!(object.as_deref(), Some(target.id.to_string().as_str()));
    assert_eq!(detail, "from=member; to=admin");
    // The role it already has: nothing to change, nothing asked.
    let now = user(&app, "member").await;
    let r = app
        .post_form(
            &path,
            &[("version", &now.version.to_string()), ("role", "admin")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("该账号已是这一角色"), "{html}");
    assert_eq!(app.audit_count("role_grant").await, 1);
    // A refused change (their own account) asks nothing and says why.
    let me = user(&app, "security").await;
    let r = app
        .post_form(
            &format!("/admin/users/{}/role", me.id),
            &[("version", &me.version.to_string()), ("role", "admin")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!r.text().await.unwrap().contains("确认更改角色"));
}
dual_test!(
    a_role_change_names_the_account_and_asks_first_t,
    a_role_change_names_the_account_and_asks_first
);
