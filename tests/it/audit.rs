//! The audit page in words: every action, object type and outcome the code
//! writes has its label, every detail key and value reads in words, people
//! by name; the filters are choices in words; the export keeps the stored
//! columns and adds the same row in words.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use lvzhi::app::i18n::Locale;
use lvzhi::domain::audit::{AuditAction, AuditObject, AuditOutcome};
use reqwest::StatusCode;
use serde_json::json;

use crate::dual_test;
use crate::helpers::{departments, ok_step, spawn_client_for, Record, TestApp, DEMO_PASSWORD};

// ---------------------------------------------------------------------------
// The closed lists cover what the code writes
// ---------------------------------------------------------------------------

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every source file, without its trailing test module, by its path from the root.
fn sources() -> Vec<(String, String)> {
    let mut paths = Vec::new();
    rust_files(&root().join("src"), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let text = match text.find("#[cfg(test)]") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            let name = p
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (name, text)
        })
        .collect()
}

/// The string literal at the start of `s` (after whitespace), if any.
fn leading_literal(s: &str) -> Option<&str> {
    let s = s.trim_start().strip_prefix('"')?;
    s.find('"').map(|end| &s[..end])
}

/// The text after `name(` for every call of `name` (not its definition, not
/// a longer name that ends with it).
fn calls<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!("{name}(");
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(&needle) {
        let at = from + at;
        let before = text[..at].chars().last().unwrap_or(' ');
        let definition = text[..at].trim_end().ends_with("fn");
        if !(before.is_ascii_alphanumeric() || before == '_' || definition) {
            found.push(&text[at + needle.len()..]);
        }
        from = at + needle.len();
    }
    found
}

/// The second argument of a call, given the text after its parenthesis.
fn second_argument(args: &str) -> &str {
    let mut depth = 0;
    for (i, c) in args.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => return &args[i + 1..],
            _ => {}
        }
    }
    ""
}

/// The body of every struct literal `name {` (not its definition).
fn struct_literals<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!("{name} {{");
    let mut found = Vec::new();
    for (at, _) in text.match_indices(&needle) {
        if text[..at].trim_end().ends_with("struct") {
            continue;
        }
        let body = &text[at + needle.len()..];
        let mut depth = 1;
        let end = body
            .char_indices()
            .find_map(|(i, c)| {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                (depth == 0).then_some(i)
            })
            .unwrap();
        found.push(&body[..end]);
    }
    found
}

/// The literal after `field:` in a struct literal's body: `Some(lit)` when
/// it is one, `None` when the field is set otherwise, absent when unset.
fn field_value<'a>(body: &'a str, field: &str) -> Option<Option<&'a str>> {
    let needle = format!("{field}:");
    let at = body.match_indices(&needle).find(|(i, _)| {
        let before = body[..*i].chars().last().unwrap_or(' ');
        !(before.is_ascii_alphanumeric() || before == '_')
    })?;
    let rest = body[at.0 + needle.len()..].trim_start();
    let rest = rest.strip_prefix("Some(").unwrap_or(rest);
    Some(leading_literal(rest))
}

/// What the code writes into the audit log, read from the sources.
#[derive(Default, Debug)]
struct Written {
    actions: BTreeSet<(String, String)>,
    objects: BTreeSet<(String, String)>,
    outcomes: BTreeSet<(String, String)>,
    /// Files that choose an action, object type or outcome at run time.
    dynamic: BTreeSet<String>,
}

fn scan() -> Written {
    let mut w = Written::default();
    for (file, text) in sources() {
        let mut note = |set: &str, value: Option<&str>| match value {
            Some(v) => {
                let entry = (v.to_string(), file.clone());
                match set {
                    "action" => w.actions.insert(entry),
                    "object" => w.objects.insert(entry),
                    _ => w.outcomes.insert(entry),
                };
            }
            None => {
                w.dynamic.insert(file.clone());
            }
        };
        // actor.audit("create", "member", …) and cli_audit("backup", "database", …)
        for name in ["audit", "cli_audit"] {
            for args in calls(&text, name) {
                note("action", leading_literal(args));
                note("object", leading_literal(second_argument(args)));
            }
        }
        // NewAuditEntry { action: "login", object_type: Some("user"), outcome: "ok", … }
        for body in struct_literals(&text, "NewAuditEntry") {
            for (field, set) in [
                ("action", "action"),
                ("object_type", "object"),
                ("outcome", "outcome"),
            ] {
                if let Some(value) = field_value(body, field) {
                    note(set, value);
                }
            }
        }
        // A step's record: steps::Record { audit_action: "case_step", object_type: "case", … }
        for body in struct_literals(&text, "Record") {
            if let Some(value) = field_value(body, "audit_action") {
                note("action", value);
                note("object", field_value(body, "object_type").flatten());
            }
        }
        // entry.outcome = "failed";
        for (at, _) in text.match_indices(".outcome = ") {
            note(
                "outcome",
                leading_literal(&text[at + ".outcome = ".len()..]),
            );
        }
    }
    w
}

/// Where the code chooses at run time, and the literals it chooses from
/// (each must still be in that file).
const DYNAMIC: &[(&str, &[&str], &[&str])] = &[
    // file, actions, outcomes
    (
        "src/services/users.rs",
        &[
            "role_grant",
            "role_revoke",
            "disable",
            "enable",
            "password_reset",
        ],
        &[],
    ),
    // Every step's record names its action and object type (read above).
    ("src/services/steps.rs", &[], &[]),
    // Actor::audit passes on what its callers name (read above).
    ("src/services/mod.rs", &[], &[]),
    // An export's object type is its list's (`ExportKind::object_type`,
    // listed in DYNAMIC_OBJECTS).
    ("src/services/exports.rs", &[], &[]),
    // A summary's first saved version is its creation, the next ones updates.
    ("src/services/reports.rs", &["create", "update"], &[]),
    // An import writes the form's own rows through one helper, then its own.
    (
        "src/services/imports.rs",
        &["create", "update", "import"],
        &[],
    ),
    (
        "src/services/auth.rs",
        &[],
        &["locked", "limited", "failed"],
    ),
];

/// Where an object type is chosen at run time, and the values it is chosen
/// from (each must still be in that file).
const DYNAMIC_OBJECTS: &[(&str, &[&str])] = &[(
    "src/services/exports.rs",
    &[
        "member",
        "activity",
        "reception_day",
        "case",
        "proposal",
        "info_report",
        "points",
        "plan",
        "org",
    ],
)];

#[test]
fn every_action_object_type_and_outcome_the_code_writes_has_words() {
    let mut w = scan();
    for (file, objects) in DYNAMIC_OBJECTS {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        for object in *objects {
            assert!(
                text.contains(&format!("\"{object}\"")),
                "{file} still writes {object}"
            );
            w.objects.insert((object.to_string(), file.to_string()));
        }
    }
    // The scan finds what it should.
    for (expected, set) in [
        ("login", &w.actions),
        ("case_step", &w.actions),
        ("export", &w.actions),
        ("demo_scale", &w.actions),
    ] {
        assert!(
            set.iter().any(|(a, _)| a == expected),
            "{expected} found: {set:?}"
        );
    }
    assert!(w.objects.iter().any(|(o, _)| o == "info_report"));
    assert!(w.outcomes.iter().any(|(o, _)| o == "failed"));

    let listed: BTreeSet<String> = DYNAMIC.iter().map(|(f, _, _)| f.to_string()).collect();
    assert_eq!(
        w.dynamic, listed,
        "audit rows whose action, object type or outcome is chosen at run time: list the file and its values in DYNAMIC"
    );
    let mut actions: Vec<(String, String)> = w.actions.into_iter().collect();
    let mut outcomes: Vec<(String, String)> = w.outcomes.into_iter().collect();
    for (file, dynamic_actions, dynamic_outcomes) in DYNAMIC {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        for value in dynamic_actions.iter().chain(dynamic_outcomes.iter()) {
            assert!(
                text.contains(&format!("\"{value}\"")),
                "{file} still writes {value}"
            );
        }
        actions.extend(
            dynamic_actions
                .iter()
                .map(|a| (a.to_string(), file.to_string())),
        );
        outcomes.extend(
            dynamic_outcomes
                .iter()
                .map(|o| (o.to_string(), file.to_string())),
        );
    }
    for (action, file) in &actions {
        assert!(
            AuditAction::parse("action", action).is_ok(),
            "{file} writes the audit action {action}: add it to AuditAction with its label"
        );
    }
    for (object, file) in &w.objects {
        assert!(
            AuditObject::parse("object_type", object).is_ok(),
            "{file} writes the audit object type {object}: add it to AuditObject with its label"
        );
    }
    for (outcome, file) in &outcomes {
        assert!(
            AuditOutcome::parse("outcome", outcome).is_ok(),
            "{file} writes the audit outcome {outcome}: add it to AuditOutcome with its label"
        );
    }
    // And nothing in the lists that no code writes any more.
    for a in AuditAction::ALL {
        assert!(
            actions.iter().any(|(w, _)| w == a.as_str()),
            "AuditAction::{a:?} is written nowhere"
        );
    }
    for o in AuditObject::ALL {
        assert!(
            w.objects.iter().any(|(w, _)| w == o.as_str()),
            "AuditObject::{o:?} is written nowhere"
        );
    }
}

// ---------------------------------------------------------------------------
// The page and the export, after a few flows
// ---------------------------------------------------------------------------

/// The cells of every body row of the page's table, tags stripped.
fn table_rows(html: &str) -> Vec<Vec<String>> {
    let Some(start) = html.find("<tbody>") else {
        return Vec::new();
    };
    let body = &html[start..html[start..].find("</tbody>").unwrap() + start];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let cell = &cell[cell.find('>').unwrap() + 1..];
                    let cell = &cell[..cell.find("</td>").unwrap()];
                    let mut text = String::new();
                    let mut in_tag = false;
                    for c in cell.chars() {
                        match c {
                            '<' => {
                                in_tag = true;
                                text.push(' ');
                            }
                            '>' => in_tag = false,
                            c if !in_tag => text.push(c),
                            _ => {}
                        }
                    }
                    text.split_whitespace().collect::<Vec<_>>().join(" ")
                })
                .collect()
        })
        .collect()
}

fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => cell.push(c),
        }
    }
    if !cell.is_empty() || !record.is_empty() {
        record.push(cell);
        records.push(record);
    }
    records
}

/// A few flows that write the kinds of rows the demo does not: sign-ins
/// (one refused), a case's steps, an account disabled and a role changed.
async fn flows(app: &mut TestApp) {
    let mut visitor = spawn_client_for(app).await;
    let r = visitor.login_as("staff", "not-the-password").await;
    assert_ne!(r.status(), StatusCode::SEE_OTHER);
    let r = visitor.login_as("staff", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let staff = app.token("staff").await;
    let dept = app.token("department").await;
    let (own, _) = departments(app).await;
    let (status, case) = app
        .api_post(
            &staff,
            "/api/v1/cases",
            &json!({"community": "孙八砦社区", "subject": "路灯不亮", "description": "路灯坏了三个月",
                    "contact_name": "李大爷", "contact_phone": "13812345678", "received_on": "2012-01-02"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let case = ok_step(
        app,
        &staff,
        Record::Case(&case),
        json!({"action": "forward", "department_id": own, "on": "2012-01-04"}),
    )
    .await;
    let case = ok_step(app, &dept, Record::Case(&case), json!({"action": "accept"})).await;
    ok_step(
        app,
        &dept,
        Record::Case(&case),
        json!({"action": "resolve", "reply": "已更换路灯9盏，线路已检修。"}),
    )
    .await;

    // The system admin disables and re-enables the member's account; the
    // security admin revokes and grants its role back.
    let admin = app.token("admin").await;
    let member = lvzhi::storage::users::find_by_username(&app.db, "member")
        .await
        .unwrap()
        .unwrap();
    let (status, answer) = app
        .api_post(
            &admin,
            &format!("/api/v1/users/{}/disable", member.id),
            &json!({ "version": member.version }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, answer) = app
        .api_post(
            &admin,
            &format!("/api/v1/users/{}/enable", member.id),
            &json!({ "version": answer["user"]["version"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    lvzhi::services::users::create(
        &app.db,
        lvzhi::services::users::Creator::Cli,
        &lvzhi::services::users::UserInput {
            username: "clerk".into(),
            display_name: "街道文员 李明".into(),
            org_id: Some(member.org_id.to_string()),
            member_id: None,
            department_id: None,
            password: Some("Another-Account-2012".into()),
        },
        None,
    )
    .await
    .unwrap();
    app.login("auditor").await;
    let r = app.get("/audit/export?action=login").await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// Every row of the log, on every page of `/audit` that `query` selects.
async fn all_rows(app: &TestApp, query: &str) -> (Vec<Vec<String>>, String) {
    let mut rows = Vec::new();
    let mut html_all = String::new();
    for page in 1.. {
        let (status, html) = app
            .get_html(&format!("/audit?per_page=200&page={page}&{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{query} page {page}");
        let found = table_rows(&html);
        html_all.push_str(&html);
        if found.is_empty() {
            break;
        }
        rows.extend(found);
        if !html.contains("rel=\"next\"") {
            break;
        }
    }
    (rows, html_all)
}

async fn the_audit_page_says_each_row_in_words(mut app: TestApp) {
    flows(&mut app).await;

    // Every row of the log, the demo's and the flows', reads in words.
    let entries = lvzhi::on_db!(&app.db, pool => sqlx::query_as::<_, lvzhi::storage::audit::AuditEntry>(
        "SELECT id, at, user_id, username, role, ip, action, object_type, object_id, outcome, detail, seq, prev_hash, hash FROM audit_log ORDER BY id")
        .fetch_all(pool).await)
    .unwrap();
    assert!(entries.len() > 300, "{} rows", entries.len());
    for locale in Locale::ALL {
        let rows = lvzhi::services::audit_words::in_words(&app.db, locale, entries.clone())
            .await
            .unwrap();
        for row in &rows {
            assert!(
                row.unread.is_empty(),
                "row {} ({} {:?}: {:?}) holds codes without words: {:?}",
                row.entry.id,
                row.entry.action,
                row.entry.object_type,
                row.entry.detail,
                row.unread
            );
        }
    }

    // The page, every row of it.
    let (rows, html) = all_rows(&app, "").await;
    assert_eq!(rows.len() as i64, app.count("audit_log").await);
    for word in [
        "登录",
        "个案办理",
        "失败",
        "成功",
        "停用账号",
        "导出审计日志",
        "新建",
        "联络办公室 王静",
        "住建局 经办人",
        "服务器操作员（命令行）",
        // A case's step: the step, its statuses and the department by name.
        "步骤：办结答复",
        "新状态：已办结",
        "回复：已更换路灯9盏，线路已检修。",
        // A reception day's members on duty, by name; the organisation by name.
        "值班委员：",
        "所属组织：长江路街道政协工委",
        // The account created at the command line: its fields, no "None".
        "用户名：clerk",
    ] {
        assert!(html.contains(word), "the page says {word}");
    }
    for raw in [
        "info_step",
        "case_step",
        "proposal_step",
        ">login<",
        "{\"",
        "{&quot;",
        "None",
        "ok</td>",
        "user 4",
        "member_id",
        "department_id",
        "org_id",
        "forwarded",
        "resolved",
    ] {
        // In the table's rows (the filter's options carry the codes as values).
        for body in html.split("<tbody>").skip(1) {
            let body = &body[..body.find("</tbody>").unwrap()];
            assert!(!body.contains(raw), "a code on the audit page: {raw}");
        }
    }
    // Each row: a user, an action and an outcome in words.
    for row in &rows {
        assert_eq!(row.len(), 8, "{row:?}");
        assert!(!row[1].is_empty(), "who: {row:?}");
        assert!(!row[4].is_empty() && !row[4].is_ascii(), "action: {row:?}");
        assert!(!row[6].is_ascii(), "outcome: {row:?}");
        assert!(!row[7].contains('{') && !row[7].contains("None"), "{row:?}");
    }
    // The staff's case step: who by name (user name beside), the case by number.
    let step = rows
        .iter()
        .find(|r| r[4] == "个案办理" && r[7].contains("已更换路灯9盏"))
        .expect("the resolve step");
    assert!(step[1].starts_with("住建局 经办人"), "{step:?}");
    assert!(
        step[1].contains("department"),
        "the user name beside: {step:?}"
    );
    assert_eq!(step[2], "承办单位经办人");
    assert!(step[5].starts_with("个案"), "{step:?}");
    assert!(step[7].contains("原状态：办理中"), "{step:?}");

    // The filter: actions in words, and it narrows the rows.
    assert!(html.contains("<select name=\"action\">"));
    assert!(html.contains("<option value=\"case_step\">个案办理</option>"));
    assert!(html.contains("<option value=\"info_report\">社情民意信息</option>"));
    let (steps, page) = all_rows(&app, "action=case_step").await;
    assert!(page.contains("<option value=\"case_step\" selected>个案办理</option>"));
    let expected = app.audit_count("case_step").await;
    assert!(expected > 3);
    assert_eq!(steps.len() as i64, expected);
    assert!(steps.iter().all(|r| r[4] == "个案办理"), "{steps:?}");
    let (members, _) = all_rows(&app, "object_type=member").await;
    assert!(!members.is_empty());
    assert!(
        members.iter().all(|r| r[5].starts_with("委员")),
        "{members:?}"
    );
    // The user filter takes a user name or a display name.
    let (by_name, _) = all_rows(&app, "username=住建局 经办人").await;
    let (by_username, _) = all_rows(&app, "username=department").await;
    assert!(!by_name.is_empty());
    assert_eq!(by_name, by_username);
    // A value not in the list: the field error, in Chinese, not a failure.
    for bad in ["action=bogus", "object_type=bogus"] {
        let (status, html) = app.get_html(&format!("/audit?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        let label = if bad.starts_with("action") {
            "操作"
        } else {
            "对象"
        };
        assert!(
            html.contains(&format!("{label}：不是有效的选项")),
            "{bad}: {html}"
        );
    }
    let token = app.token("auditor").await;
    let (status, answer) = app.api_get(&token, "/api/v1/audit?action=bogus").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["fields"][0]["field"], "action");

    // In English too.
    let r = app.post_form("/account/locale", &[("locale", "en")]).await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let (_, html) = app.get_html("/audit?action=case_step").await;
    assert!(html.contains("Case step"), "English labels");
    assert!(html.contains("Step: Resolve with reply"), "{html}");
    let r = app
        .post_form("/account/locale", &[("locale", "zh-CN")])
        .await;
    assert!(r.status().is_redirection());

    // The export: the stored columns, then the same row in words.
    let r = app.get("/audit/export?action=case_step").await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    let records = parse_csv(text.trim_start_matches('\u{feff}'));
    assert_eq!(
        records[0][11..],
        [
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
    assert_eq!(records.len() as i64 - 1, expected);
    for record in &records[1..] {
        assert_eq!(record.len(), 19, "{record:?}");
        assert_eq!(record[6], "case_step", "the stored action");
        assert_eq!(record[7], "case", "the stored object type");
        assert_eq!(record[9], "ok", "the stored outcome");
        assert!(record[10].starts_with('{'), "the stored detail: {record:?}");
        assert_eq!(record[15], "个案办理");
        assert!(record[16].starts_with("个案"), "{record:?}");
        assert_eq!(record[17], "成功");
        assert!(record[18].contains("步骤："), "{record:?}");
        assert!(!record[18].contains('{'), "{record:?}");
    }
    let resolve = records
        .iter()
        .find(|r| r[18].contains("已更换路灯9盏"))
        .expect("the resolve step exported");
    assert_eq!(resolve[14], "住建局 经办人");
    assert!(resolve[18].contains("新状态：已办结"), "{resolve:?}");
    // The stored columns still chain: each row's previous hash is the one before's.
    let chained = lvzhi::storage::audit::verify(&app.db).await.unwrap();
    assert!(matches!(
        chained,
        lvzhi::storage::audit::ChainCheck::Intact { .. }
    ));
}
dual_test!(
    the_audit_page_says_each_row_in_words_t,
    the_audit_page_says_each_row_in_words
);
