//! The `lvzhi` command itself: help, migrate, demo, user add, token create,
//! run as the real binary on a SQLite file in a temporary folder (and, for
//! what differs there, on PostgreSQL).

use std::path::Path;
use std::process::{Command, Output};

use lvzhi::app::config::Settings;
use lvzhi::app::App;
use lvzhi::security::crypto::FieldCipher;
use lvzhi::storage::Db;
use reqwest::StatusCode;

use crate::helpers::new_client;

/// The binary, run in `dir` (so no stray `lvzhi.toml` is read) with its key
/// file there and none of the caller's `LVZHI_*` settings.
fn lvzhi(dir: &Path, args: &[&str]) -> Output {
    lvzhi_on(dir, &database_url(dir), args)
}

/// The binary as [`lvzhi`] runs it, on the database at `url`.
fn lvzhi_on(dir: &Path, url: &str, args: &[&str]) -> Output {
    lvzhi_command(dir, url).args(args).output().unwrap()
}

/// The binary on `url`, as [`lvzhi_on`] runs it, for the caller to add its
/// arguments and start (warnings and errors logged).
fn lvzhi_command(dir: &Path, url: &str) -> Command {
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
        .arg("--database")
        .arg(url);
    command
}

fn database_url(dir: &Path) -> String {
    format!("sqlite://{}/x.db", dir.display())
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn succeeds(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what}: {:?}\nstdout: {}\nstderr: {}",
        o.status,
        stdout(o),
        stderr(o)
    );
}

/// Exits non-zero and says `message` on stderr.
fn fails_saying(o: &Output, message: &str, what: &str) {
    assert!(!o.status.success(), "{what} should fail: {}", stdout(o));
    assert!(
        stderr(o).contains(message),
        "{what}: stderr should say {message}: {}",
        stderr(o)
    );
}

async fn open(dir: &Path) -> Db {
    Db::connect(&database_url(dir)).await.unwrap()
}

#[test]
fn demo_scale_rejects_unknown_scales_and_databases_holding_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = lvzhi(dir.path(), &["demo", "--scale", "country"]);
    fails_saying(
        &out,
        "unknown scale 'country': use district, city or province",
        "demo --scale country",
    );
    assert!(!dir.path().join("x.db").exists(), "nothing was opened");
    let out = lvzhi(dir.path(), &["demo", "--seed", "7"]);
    assert!(!out.status.success(), "--seed needs --scale");

    // A database holding the demo committee is refused, and left as it was.
    succeeds(&lvzhi(dir.path(), &["demo"]), "demo");
    let out = lvzhi(dir.path(), &["demo", "--scale", "district"]);
    fails_saying(
        &out,
        "already holds data",
        "demo --scale on a full database",
    );
    let out = lvzhi(dir.path(), &["demo", "--scale", "tiny", "--seed", "3"]);
    fails_saying(&out, "already holds data", "hidden tiny scale");
}

#[test]
fn report_summary_writes_the_file_and_names_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    succeeds(&lvzhi(dir.path(), &["demo"]), "demo");
    let md = dir.path().join("h1.md");
    let out = lvzhi(
        dir.path(),
        &[
            "report",
            "summary",
            "--org",
            "长江路街道政协工委",
            "--period",
            "2011-H1",
            "--format",
            "md",
            "--output",
            md.to_str().unwrap(),
        ],
    );
    succeeds(&out, "report summary md");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.starts_with("# 长江路街道政协工委2011年上半年工作总结"),
        "{text}"
    );
    assert!(text.contains("接待群众12人、来访事件5起"), "{text}");
    let docx = dir.path().join("h1.docx");
    let out = lvzhi(
        dir.path(),
        &[
            "report",
            "summary",
            "--org",
            "长江路街道政协工委",
            "--from",
            "2011-01-01",
            "--to",
            "2011-06-30",
            "--output",
            docx.to_str().unwrap(),
        ],
    );
    succeeds(&out, "report summary docx");
    assert_eq!(&std::fs::read(&docx).unwrap()[..2], b"PK");
    // The Word file is filed in the archive, by the operator (the Markdown is not).
    let filed = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = open(dir.path()).await;
        lvzhi::on_db!(&db, pool => sqlx::query_as::<_, (String, Option<i64>)>(
            "SELECT kind, filed_by FROM archive_documents").fetch_all(pool).await)
        .unwrap()
    });
    assert_eq!(filed, [("summary_file".to_string(), None)]);
    let out = lvzhi(
        dir.path(),
        &["report", "summary", "--org", "无此工委", "--output", "x.md"],
    );
    fails_saying(&out, "组织", "unknown committee");
    let out = lvzhi(
        dir.path(),
        &[
            "report", "summary", "--org", "2", "--period", "2011-H3", "--output", "x.md",
        ],
    );
    fails_saying(&out, "周期", "bad period");
    let out = lvzhi(
        dir.path(),
        &[
            "report", "summary", "--org", "2", "--format", "pdf", "--output", "x.pdf",
        ],
    );
    fails_saying(&out, "docx", "bad format");
    assert!(!dir.path().join("x.md").exists() && !dir.path().join("x.pdf").exists());

    // The year's plan, with its rules as the year ended.
    let plan = dir.path().join("plan.md");
    let out = lvzhi(
        dir.path(),
        &[
            "report",
            "plan",
            "--org",
            "长江路街道政协工委",
            "--year",
            "2011",
            "--format",
            "md",
            "--output",
            plan.to_str().unwrap(),
        ],
    );
    succeeds(&out, "report plan md");
    let text = std::fs::read_to_string(&plan).unwrap();
    assert!(
        text.starts_with("# 长江路街道政协工委2011年工作计划"),
        "{text}"
    );
    assert!(
        text.contains("## 一、工作任务") && text.contains("执行情况（截至2011年12月31日）"),
        "{text}"
    );
    assert!(text.contains("| 计划指标 |"), "{text}");
    let out = lvzhi(
        dir.path(),
        &[
            "report",
            "plan",
            "--org",
            "长江路街道政协工委",
            "--year",
            "2009",
            "--output",
            "y.docx",
        ],
    );
    fails_saying(&out, "2009年还没有工作计划", "no plan that year");
    assert!(!dir.path().join("y.docx").exists());
}

#[test]
fn help_lists_every_command_and_flag() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--help"],
            &[
                "serve",
                "demo",
                "migrate",
                "user",
                "token",
                "audit",
                "--database",
                "--config",
            ],
        ),
        (&["serve", "--help"], &["--listen", "--demo", "--database"]),
        (
            &["demo", "--help"],
            &["长江路街道政协工委", "--scale", "--seed", "province"],
        ),
        (&["migrate", "--help"], &["--database"]),
        (&["user", "--help"], &["add"]),
        (
            &["user", "add", "--help"],
            &[
                "--username",
                "--password",
                "--role",
                "--org",
                "--display-name",
                "--member",
                "--department",
            ],
        ),
        (&["token", "--help"], &["create"]),
        (&["token", "create", "--help"], &["--username", "--name"]),
        (&["audit", "--help"], &["verify"]),
        (&["audit", "verify", "--help"], &["--database"]),
        (&["report", "--help"], &["summary", "plan"]),
        (
            &["report", "plan", "--help"],
            &["--org", "--year", "--format", "--output"],
        ),
        (
            &["report", "summary", "--help"],
            &[
                "--org", "--period", "--from", "--to", "--format", "--output",
            ],
        ),
    ];
    for (args, mentions) in cases {
        let out = lvzhi(dir.path(), args);
        succeeds(&out, &args.join(" "));
        let text = stdout(&out);
        for m in *mentions {
            assert!(
                text.contains(m),
                "`lvzhi {}` mentions {m}:\n{text}",
                args.join(" ")
            );
        }
    }
    assert!(
        !dir.path().join("x.db").exists(),
        "help touches no database"
    );

    let out = lvzhi(dir.path(), &["no-such-command"]);
    assert!(!out.status.success());
    let out = lvzhi(dir.path(), &["user", "add", "--username", "u"]);
    assert!(!out.status.success(), "missing required flags");
    assert!(stderr(&out).contains("--password"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_demo_and_user_add() {
    let dir = tempfile::tempdir().unwrap();

    let out = lvzhi(dir.path(), &["migrate"]);
    succeeds(&out, "migrate");
    assert!(stdout(&out).contains("数据库结构已是最新"));
    let db = open(dir.path()).await;
    let orgs: i64 = lvzhi::on_db!(&db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM orgs").fetch_one(pool).await).unwrap();
    assert_eq!(orgs, 0, "migrated, empty");
    db.close().await;
    succeeds(&lvzhi(dir.path(), &["migrate"]), "migrate again");

    // Without an organisation there is no default scope for an account.
    let out = lvzhi(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "clerk0",
            "--password",
            "Good-Password-2026",
            "--role",
            "staff",
        ],
    );
    fails_saying(&out, "数据库中还没有组织", "user add on an empty database");

    let out = lvzhi(dir.path(), &["demo"]);
    succeeds(&out, "demo");
    let text = stdout(&out);
    assert!(text.contains("演示数据已就绪"), "{text}");
    for (label, username) in [
        ("系统管理员", "admin"),
        ("安全管理员", "security"),
        ("审计管理员", "auditor"),
        ("工委工作人员", "staff"),
        ("政协委员", "member"),
        ("承办单位经办人", "department"),
    ] {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(username))
            .unwrap_or_else(|| panic!("{username} listed:\n{text}"));
        assert!(line.contains(label), "{line}");
        assert!(line.contains("Lvzhi-Demo-2012"), "{line}");
    }
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("Lvzhi-Demo-2012"))
            .count(),
        6,
        "six logins"
    );
    assert!(
        dir.path().join("k.key").exists(),
        "the data key was created where LVZHI_DATA_KEY_FILE says"
    );
    let out = lvzhi(dir.path(), &["demo"]);
    succeeds(&out, "demo again");

    let db = open(dir.path()).await;
    let members: i64 = lvzhi::on_db!(&db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM members").fetch_one(pool).await).unwrap();
    assert_eq!(members, 14, "loaded once");
    let committee = lvzhi::storage::orgs::find_org_by_name(&db, "长江路街道政协工委")
        .await
        .unwrap()[0]
        .clone();
    let district = lvzhi::storage::orgs::find_org_by_name(&db, "二七区政协")
        .await
        .unwrap()[0]
        .clone();
    db.close().await;

    // By the organisation's name…
    let out = lvzhi(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "clerk1",
            "--password",
            "Good-Password-2026",
            "--role",
            "staff",
            "--org",
            "长江路街道政协工委",
        ],
    );
    succeeds(&out, "user add by org name");
    assert!(
        stdout(&out).contains("已创建账号 clerk1"),
        "{}",
        stdout(&out)
    );
    // …and by its id, with a display name.
    let district_id = district.id.to_string();
    let out = lvzhi(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "clerk2",
            "--password",
            "Good-Password-2026",
            "--role",
            "auditor",
            "--org",
            &district_id,
            "--display-name",
            "第二审计员",
        ],
    );
    succeeds(&out, "user add by org id");
    assert!(stdout(&out).contains("二七区政协"), "{}", stdout(&out));

    let db = open(dir.path()).await;
    let u1 = lvzhi::storage::users::find_by_username(&db, "clerk1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u1.role.as_deref(), Some("staff"));
    assert_eq!(u1.org_id, committee.id);
    assert_eq!(
        u1.display_name, "clerk1",
        "the user name when no display name is given"
    );
    assert!(!u1.must_change_password, "the operator chose the password");
    let u2 = lvzhi::storage::users::find_by_username(&db, "clerk2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u2.role.as_deref(), Some("auditor"));
    assert_eq!(u2.org_id, district.id);
    assert_eq!(u2.display_name, "第二审计员");
    let cli_rows: i64 = lvzhi::on_db!(&db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'create' AND object_type = 'user' AND username = '(cli)' AND object_id IN ($1, $2)")
        .bind(u1.id.to_string()).bind(u2.id.to_string()).fetch_one(pool).await)
    .unwrap();
    assert_eq!(
        cli_rows, 2,
        "each account created at the command line is audited"
    );
    let users_before = lvzhi::on_db!(&db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users").fetch_one(pool).await).unwrap();
    db.close().await;

    // Refusals: a non-zero exit and a Chinese message, and no account.
    let refusals: &[(&[&str], &str, &str)] = &[
        (
            &[
                "--username",
                "clerk3",
                "--password",
                "short",
                "--role",
                "staff",
                "--org",
                "长江路街道政协工委",
            ],
            "密码：至少需要 12 个字符",
            "a short password",
        ),
        (
            &[
                "--username",
                "clerk3",
                "--password",
                "alllowercaseletters",
                "--role",
                "staff",
            ],
            "密码：须包含",
            "a password of one kind of character",
        ),
        (
            &[
                "--username",
                "clerk3",
                "--password",
                "Clerk3-Password-2026",
                "--role",
                "staff",
            ],
            "不能包含用户名",
            "a password containing the user name",
        ),
        (
            &[
                "--username",
                "clerk3",
                "--password",
                "Good-Password-2026",
                "--role",
                "king",
            ],
            "角色：不是有效的选项",
            "an unknown role",
        ),
        (
            &[
                "--username",
                "clerk3",
                "--password",
                "Good-Password-2026",
                "--role",
                "staff",
                "--org",
                "不存在的工委",
            ],
            "组织：没有这个组织",
            "an unknown org name",
        ),
        (
            &[
                "--username",
                "clerk3",
                "--password",
                "Good-Password-2026",
                "--role",
                "staff",
                "--org",
                "999999",
            ],
            "没有这个组织",
            "an unknown org id",
        ),
        (
            &[
                "--username",
                "clerk1",
                "--password",
                "Good-Password-2026",
                "--role",
                "staff",
            ],
            "该用户名已被使用",
            "a taken user name",
        ),
        (
            &[
                "--username",
                "x",
                "--password",
                "Good-Password-2026",
                "--role",
                "staff",
            ],
            "用户名：须为 3–32 位",
            "a malformed user name",
        ),
        (
            &[
                "--username",
                "clerk3",
                "--password",
                "Good-Password-2026",
                "--role",
                "member",
            ],
            "政协委员角色须关联一位委员",
            "a member account without a member",
        ),
        (
            &[
                "--username",
                "clerk3",
                "--password",
                "Good-Password-2026",
                "--role",
                "department",
            ],
            "承办单位角色须关联一个承办单位",
            "a department account without a department",
        ),
    ];
    for (args, message, what) in refusals {
        let mut all = vec!["user", "add"];
        all.extend_from_slice(args);
        let out = lvzhi(dir.path(), &all);
        fails_saying(&out, message, what);
    }
    let db = open(dir.path()).await;
    let users_after = lvzhi::on_db!(&db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users").fetch_one(pool).await).unwrap();
    assert_eq!(users_after, users_before, "no refused account was created");
    db.close().await;

    // And the audit chain the commands wrote is intact.
    let out = lvzhi(dir.path(), &["audit", "verify"]);
    succeeds(&out, "audit verify");
    assert!(stdout(&out).contains("审计日志完整"), "{}", stdout(&out));
}

/// A token for the demo's staff user, named as a report script would be.
const TOKEN_FOR_STAFF: &[&str] = &[
    "token",
    "create",
    "--username",
    "staff",
    "--name",
    "报表脚本",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_create_prints_a_working_token() {
    let dir = tempfile::tempdir().unwrap();
    succeeds(&lvzhi(dir.path(), &["demo"]), "demo");

    let out = lvzhi(dir.path(), TOKEN_FOR_STAFF);
    succeeds(&out, "token create");
    let token = stdout(&out).trim().to_string();
    assert_eq!(stdout(&out).lines().count(), 1, "only the token on stdout");
    assert!(
        token.len() >= 32 && !token.contains(char::is_whitespace),
        "{token}"
    );

    let out = lvzhi(dir.path(), &["token", "create", "--username", "nobody"]);
    fails_saying(&out, "没有这个用户", "a token for an unknown user");

    // The same database file, served in-process with the same data key.
    let db = open(dir.path()).await;
    let (name, stored_hash): (String, String) = lvzhi::on_db!(&db, pool => sqlx::query_as(
        "SELECT name, token_hash FROM api_tokens").fetch_one(pool).await)
    .unwrap();
    assert_eq!(name, "报表脚本");
    assert!(!stored_hash.contains(&token), "the token is stored hashed");
    let cipher = FieldCipher::load(None, &dir.path().join("k.key")).unwrap();
    let state = App::new(
        db.clone(),
        cipher,
        Settings {
            database_url: database_url(dir.path()),
            ..Settings::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let _ = lvzhi::http::serve(state, listener).await;
    });

    let client = new_client();
    let r = client
        .get(format!("{address}/api/v1/members"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["total"], 14);
    let r = client
        .get(format!("{address}/api/v1/members"))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Members entered by the demo decrypt with the key file the CLI wrote.
    let member: i64 = lvzhi::on_db!(&db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM members WHERE name = '孟爱云'").fetch_one(pool).await).unwrap();
    let r = client
        .get(format!("{address}/api/v1/members/{member}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let staff = lvzhi::services::auth::actor_for_user(
        &db,
        lvzhi::storage::users::find_by_username(&db, "staff")
            .await
            .unwrap()
            .unwrap()
            .id,
        None,
    )
    .await
    .unwrap()
    .unwrap();
    let (id_number, phone) = lvzhi::services::members::reveal(
        &db,
        &staff,
        &FieldCipher::load(None, &dir.path().join("k.key")).unwrap(),
        member,
    )
    .await
    .unwrap();
    assert_eq!(phone, "13903710001");
    assert!(id_number.starts_with("41010319680312042"), "{id_number}");
    let token_rows: i64 = lvzhi::on_db!(&db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'token_create'").fetch_one(pool).await)
    .unwrap();
    assert_eq!(token_rows, 1, "the token's creation is audited");
    server.abort();
    db.close().await;
}

/// `serve` on an address other machines reach, without `secure_cookies`,
/// warns at start-up that TLS belongs in front; on loopback it does not.
#[test]
fn serving_beyond_loopback_without_secure_cookies_warns() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    for (listen, warns) in [("0.0.0.0:0", true), ("127.0.0.1:0", false)] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = lvzhi_command(dir.path(), &database_url(dir.path()))
            .env("LVZHI_LOG", "error")
            .args(["serve", "--listen", listen])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Serving has begun once the address is printed; the warning comes before.
        let out = BufReader::new(child.stdout.take().unwrap());
        let started = out
            .lines()
            .map_while(Result::ok)
            .any(|l| l.starts_with("lvzhi: http://"));
        child.kill().unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(started, "{listen}: the server started");
        let err = String::from_utf8_lossy(&output.stderr).to_string();
        assert_eq!(
            err.contains("未设置 secure_cookies"),
            warns,
            "{listen}: {err}"
        );
        if warns {
            assert!(err.contains("HTTPS"), "{err}");
        }
    }
}

/// On PostgreSQL a server links audit rows after their commit (see
/// `storage::audit`); a command links the rows it wrote before it exits, so
/// that none waits for a server that may never run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_on_postgres_leave_no_audit_row_unlinked() {
    use lvzhi::storage::audit::{unchained, verify, ChainCheck};
    if crate::helpers::postgres_skipped() {
        eprintln!("PostgreSQL side skipped (LVZHI_TEST_POSTGRES=skip)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (url, name) =
        crate::helpers::fresh_database(lvzhi::storage::Backend::Postgres, dir.path()).await;
    let commands: [&[&str]; 2] = [&["demo"], TOKEN_FOR_STAFF];
    let mut rows = 0;
    for args in commands {
        succeeds(&lvzhi_on(dir.path(), &url, args), &args.join(" "));
        let db = Db::connect(&url).await.unwrap();
        assert_eq!(unchained(&db).await.unwrap(), 0, "after {args:?}");
        let ChainCheck::Intact { rows: now } = verify(&db).await.unwrap() else {
            panic!("the chain is intact after {args:?}")
        };
        assert!(now > rows, "{args:?} wrote audit rows: {now}");
        rows = now;
        db.close().await;
    }
    // A row committed and never linked (what a crash right after the
    // commit leaves when no server runs): `audit verify` says it waited,
    // since when, links it and checks the chain with it.
    let db = Db::connect(&url).await.unwrap();
    lvzhi::on_db!(&db, pool => sqlx::query(
        "INSERT INTO audit_log (at, username, action, outcome) VALUES ($1, 'crashed-writer', 'export', 'ok')")
        .bind(chrono::Utc::now() - chrono::TimeDelta::minutes(5)).execute(pool).await.map(|_| ()))
    .unwrap();
    assert_eq!(unchained(&db).await.unwrap(), 1);
    let out = lvzhi_on(dir.path(), &url, &["audit", "verify"]);
    succeeds(&out, "audit verify");
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        said.contains("核对前有 1 条审计记录尚未链入哈希链"),
        "{said}"
    );
    assert!(said.contains(&format!("共 {} 条", rows + 1)), "{said}");
    assert_eq!(unchained(&db).await.unwrap(), 0);
    db.close().await;
    if let Some(name) = name {
        crate::helpers::drop_database(&name);
    }
}

/// A server whose sequencer cannot link (another session holds the chain's
/// lock) says in its log, within its first look, that rows have waited
/// more than a minute; the audit page says it too (`security` tests).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_logs_audit_rows_left_waiting() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    if crate::helpers::postgres_skipped() {
        eprintln!("PostgreSQL side skipped (LVZHI_TEST_POSTGRES=skip)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (url, name) =
        crate::helpers::fresh_database(lvzhi::storage::Backend::Postgres, dir.path()).await;
    succeeds(&lvzhi_on(dir.path(), &url, &["migrate"]), "migrate");
    let db = Db::connect(&url).await.unwrap();
    let Db::Postgres(pool) = &db else {
        unreachable!("a PostgreSQL database")
    };
    let stuck_at = chrono::Utc::now() - chrono::TimeDelta::minutes(3);
    sqlx::query(
        "INSERT INTO audit_log (at, username, action, outcome) VALUES ($1, 'stuck-writer', 'export', 'ok')",
    )
    .bind(stuck_at)
    .execute(pool)
    .await
    .unwrap();
    let mut holder = pool.begin().await.unwrap();
    lvzhi::storage::audit::lock_chain(&mut holder)
        .await
        .unwrap();

    let mut child = lvzhi_command(dir.path(), &url)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = BufReader::new(child.stderr.take().unwrap());
    let (lines, seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in err.lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut log = Vec::new();
    let warned = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match seen.recv_timeout(left) {
            Ok(line) if line.contains("waited more than a minute") => break Some(line),
            Ok(line) => log.push(line),
            Err(_) => break None,
        }
    };
    child.kill().unwrap();
    child.wait().unwrap();
    holder.rollback().await.unwrap();
    let warned = warned.unwrap_or_else(|| panic!("no warning in the log: {log:?}"));
    // The oldest waiting row's time is named (other rows the commands and
    // the server wrote meanwhile wait behind the lock too).
    let stuck_second = stuck_at.format("%Y-%m-%dT%H:%M:%S").to_string();
    assert!(warned.contains(&stuck_second), "{warned}");
    // Once the lock is free the row is linked and the chain holds it.
    let linked = lvzhi::storage::audit::verify(&db).await.unwrap();
    assert!(
        matches!(linked, lvzhi::storage::audit::ChainCheck::Intact { rows } if rows >= 1),
        "{linked:?}"
    );
    assert_eq!(lvzhi::storage::audit::unchained(&db).await.unwrap(), 0);
    db.close().await;
    if let Some(name) = name {
        crate::helpers::drop_database(&name);
    }
}
