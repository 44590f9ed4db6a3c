//! The audit chain's head kept outside the table: `lvzhi audit verify` prints
//! it, every backup records it, and a chain whose newest rows were deleted
//! (triggers dropped, as an attacker with the owner's rights would) is
//! reported as gone backwards — which the chain alone cannot show.

use std::path::Path;

use base64::Engine;
use reqwest::StatusCode;

use crate::dual_test;
use crate::helpers::TestApp;

fn data_key() -> String {
    base64::engine::general_purpose::STANDARD.encode([42u8; 32])
}

async fn lvzhi(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lvzhi"));
    for (name, _) in std::env::vars() {
        if name.starts_with("LVZHI_") && name != "LVZHI_TEST_POSTGRES" {
            command.env_remove(name);
        }
    }
    command
        .args(args)
        .env("LVZHI_DATA_KEY", data_key())
        .env("LVZHI_LOG", "warn")
        .envs(env.iter().copied())
        .current_dir(dir);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The first `COUNT:HASH` in a text.
fn head_in(said: &str) -> String {
    said.split(|c: char| !(c.is_ascii_alphanumeric() || c == ':'))
        .find(|w| {
            w.split_once(':').is_some_and(|(n, h)| {
                !n.is_empty()
                    && n.bytes().all(|b| b.is_ascii_digit())
                    && h.len() == 64
                    && h.bytes().all(|b| b.is_ascii_hexdigit())
            })
        })
        .unwrap_or_else(|| panic!("no head in: {said}"))
        .to_string()
}

async fn write_some(app: &TestApp, token: &str, from: u32) {
    for n in from..from + 3 {
        let body = crate::helpers::member_body(
            "链头测试",
            &format!("1970{:02}{:02}", 1 + n % 12, 1 + n % 28),
            "777",
        );
        let (status, answer) = app.api_post(token, "/api/v1/members", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
}

async fn audit_rows(app: &TestApp) -> i64 {
    app.count("audit_log").await
}

async fn drop_guard_and_delete_newest(app: &TestApp, newest: i64) {
    match &app.db {
        lvzhi::storage::Db::Sqlite(pool) => {
            sqlx::query("DROP TRIGGER audit_log_no_delete")
                .execute(pool)
                .await
                .unwrap();
        }
        lvzhi::storage::Db::Postgres(pool) => {
            sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
                .execute(pool)
                .await
                .unwrap();
        }
    }
    lvzhi::on_db!(&app.db, pool => sqlx::query(
        "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log ORDER BY id DESC LIMIT $1)")
        .bind(newest).execute(pool).await.map(|_| ()))
    .unwrap();
}

async fn a_removed_tail_is_reported_by_the_recorded_heads(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    let url = app.database_url.clone();
    let staff = app.token("staff").await;
    write_some(&app, &staff, 0).await;

    // A backup records the head it started from.
    let before_backup = audit_rows(&app).await;
    let file = backups.join("manual.lvzbak");
    let out = lvzhi(
        dir.path(),
        &[],
        &[
            "backup",
            "--output",
            file.to_str().unwrap(),
            "--database",
            &url,
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let backup_head = head_in(&text(&out.stdout));
    assert!(
        backup_head.starts_with(&format!("{before_backup}:")),
        "{backup_head}"
    );
    write_some(&app, &staff, 10).await;

    // verify prints the head now, which the operator keeps.
    let out = lvzhi(dir.path(), &[], &["audit", "verify", "--database", &url]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("当前链头"), "{said}");
    let kept = head_in(&said[said.find("当前链头").unwrap()..]);
    let rows_kept = audit_rows(&app).await;
    assert!(
        kept.starts_with(&format!("{rows_kept}:")),
        "{kept} vs {rows_kept}"
    );
    // Against that head and the backup's: consistent.
    let out = lvzhi(
        dir.path(),
        &[],
        &[
            "audit",
            "verify",
            "--expect-head",
            &kept,
            "--backups",
            backups.to_str().unwrap(),
            "--database",
            &url,
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("比对一致"),
        "{}",
        text(&out.stdout)
    );

    // The newest rows go, below even the backup's head.
    let remove = rows_kept - before_backup + 2;
    drop_guard_and_delete_newest(&app, remove).await;
    let rows_now = audit_rows(&app).await;
    assert_eq!(rows_now, before_backup - 2);

    // The chain alone still looks intact…
    let out = lvzhi(dir.path(), &[], &["audit", "verify", "--database", &url]).await;
    assert!(
        out.status.success(),
        "a shortened chain is still a chain: {}",
        text(&out.stderr)
    );
    // …but not against the head kept before: exit 1, in Chinese…
    let out = lvzhi(
        dir.path(),
        &[],
        &[
            "audit",
            "verify",
            "--expect-head",
            &kept,
            "--database",
            &url,
        ],
    )
    .await;
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(
        said.contains("链头倒退")
            && said.contains(&kept)
            && said.contains(&format!("现在只有 {rows_now} 条")),
        "{said}"
    );
    // …or in English.
    let out = lvzhi(
        dir.path(),
        &[("LVZHI_LOCALE", "en")],
        &[
            "audit",
            "verify",
            "--expect-head",
            &kept,
            "--database",
            &url,
        ],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("went backwards"),
        "{}",
        text(&out.stderr)
    );
    // The backups' heads tell the same without any head given.
    let out = lvzhi(
        dir.path(),
        &[],
        &[
            "audit",
            "verify",
            "--backups",
            backups.to_str().unwrap(),
            "--database",
            &url,
        ],
    )
    .await;
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(
        said.contains("链头倒退") && said.contains("manual.lvzbak") && said.contains(&backup_head),
        "{said}"
    );

    // New rows written after the deletion do not hide it: the row at the
    // earlier head's position is another one.
    write_some(&app, &staff, 20).await;
    write_some(&app, &staff, 30).await;
    write_some(&app, &staff, 40).await;
    assert!(audit_rows(&app).await >= before_backup);
    let out = lvzhi(
        dir.path(),
        &[],
        &[
            "audit",
            "verify",
            "--backups",
            backups.to_str().unwrap(),
            "--database",
            &url,
        ],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("与之前的链头不符"),
        "{}",
        text(&out.stderr)
    );

    // A malformed head is refused by the command line itself.
    let out = lvzhi(
        dir.path(),
        &[],
        &[
            "audit",
            "verify",
            "--expect-head",
            "12:xyz",
            "--database",
            &url,
        ],
    )
    .await;
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("COUNT:HASH"));
}
dual_test!(
    a_removed_tail_is_reported,
    a_removed_tail_is_reported_by_the_recorded_heads
);
