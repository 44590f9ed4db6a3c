//! Online backup and restore: a backup taken while members keep being created,
//! restored into a fresh database of the same engine and compared row by row
//! with the source; the refusals (another key, another engine, a damaged
//! file, a target with data); and the same round trip through the real binary.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use lvzhi::app::i18n::Locale;
use lvzhi::ops::backup::{self, BackupError, BackupReport};
use lvzhi::security::crypto::FieldCipher;
use lvzhi::storage::audit::{self, ChainCheck};
use lvzhi::storage::{Backend, Db};
use reqwest::{Client, StatusCode};

use crate::dual_test;
use crate::helpers::{cipher, drop_database, fresh_database, member_body, TestApp};

/// Table → every row, each rendered exactly as one text.
type Snapshot = BTreeMap<String, BTreeSet<String>>;

/// The master key of `helpers::cipher()`, as `LVZHI_DATA_KEY` carries it.
fn data_key() -> String {
    base64::engine::general_purpose::STANDARD.encode([42u8; 32])
}

/// A member body whose ID number no other call of this file repeats.
fn nth_member(n: u32) -> serde_json::Value {
    let birth = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + chrono::Days::new(n.into());
    member_body("备份测试", &birth.format("%Y%m%d").to_string(), "555")
}

/// Every user table, listed by the engine itself.
async fn tables(db: &Db) -> Vec<String> {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    }
}

/// The audit log's columns that say where a row sits in the hash chain. A
/// row still unlinked when the backup's snapshot is taken (PostgreSQL links
/// rows after their commit) is linked by the restore in the restored
/// database, not necessarily at the place the source gave it meanwhile; the
/// rows are compared by what they record, the chains by the head the backup
/// recorded (`the_restored_chain_holds_the_recorded_head`).
const CHAIN_COLUMNS: [&str; 3] = ["seq", "prev_hash", "hash"];

/// Every row of every table. SQLite: each column through `quote()`, which
/// writes every value (text, number, blob, NULL) as an exact literal;
/// PostgreSQL: `row_to_json`. `skip` leaves out rows (`WHERE NOT (…)`) of a
/// table. The audit log's rows leave out [`CHAIN_COLUMNS`].
async fn snapshot(db: &Db, skip: &[(&str, &str)]) -> Snapshot {
    let mut all = Snapshot::new();
    for table in tables(db).await {
        let filter = skip
            .iter()
            .find(|(t, _)| *t == table)
            .map(|(_, condition)| format!(" WHERE NOT ({condition})"))
            .unwrap_or_default();
        let rows: Vec<String> = match db {
            Db::Sqlite(pool) => {
                let columns: Vec<String> =
                    sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                        .bind(&table)
                        .fetch_all(pool)
                        .await
                        .unwrap();
                assert!(!columns.is_empty(), "{table} has columns");
                let rendered: Vec<String> = columns
                    .iter()
                    .filter(|c| table != "audit_log" || !CHAIN_COLUMNS.contains(&c.as_str()))
                    .map(|c| format!("quote(\"{c}\")"))
                    .collect();
                let sql = format!(
                    "SELECT {} FROM \"{table}\"{filter}",
                    rendered.join(" || ',' || ")
                );
                sqlx::query_scalar(&sql).fetch_all(pool).await.unwrap()
            }
            Db::Postgres(pool) => {
                let record = if table == "audit_log" {
                    format!("to_jsonb(t) - '{{{}}}'::text[]", CHAIN_COLUMNS.join(","))
                } else {
                    "row_to_json(t)".to_string()
                };
                let sql = format!("SELECT ({record})::text FROM \"{table}\" t{filter}");
                sqlx::query_scalar(&sql).fetch_all(pool).await.unwrap()
            }
        };
        let count = rows.len();
        let set: BTreeSet<String> = rows.into_iter().collect();
        assert_eq!(set.len(), count, "{table}: rows are distinct");
        all.insert(table, set);
    }
    all
}

fn total_rows(s: &Snapshot) -> usize {
    s.values().map(BTreeSet::len).sum()
}

/// The restored database is the source as it was at one moment during the
/// backup: the same tables; every restored row is a row the source held
/// (before or after the backup); every row the source held both before and
/// after the backup was restored.
fn assert_snapshot_of(restored: &Snapshot, before: &Snapshot, after: &Snapshot) {
    let names = |s: &Snapshot| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(restored), names(after), "the same tables");
    assert_eq!(names(before), names(after));
    for (table, rows) in restored {
        for row in rows {
            assert!(
                after[table].contains(row) || before[table].contains(row),
                "{table}: a restored row the source never held: {row}"
            );
        }
        for row in before[table].intersection(&after[table]) {
            assert!(
                rows.contains(row),
                "{table}: a row the source held throughout is missing: {row}"
            );
        }
    }
}

/// The restored chain is the source's up to the head the backup recorded:
/// the same rows at the same places, the same hash at the head.
async fn the_restored_chain_holds_the_recorded_head(
    source: &Db,
    restored: &Db,
    report: &BackupReport,
) {
    let head = &report.head;
    assert!(head.rows > 0, "the backup recorded a head");
    assert_eq!(
        audit::hash_at(restored, head.rows)
            .await
            .unwrap()
            .as_deref(),
        Some(head.hash.as_str()),
        "the restored chain holds the recorded head"
    );
    assert_eq!(
        audit::hash_at(source, head.rows).await.unwrap().as_deref(),
        Some(head.hash.as_str()),
        "the source's chain still holds it"
    );
}

/// A fresh database of `backend` to restore into, dropped at the end.
struct Target {
    url: String,
    pg_database: Option<String>,
    _dir: tempfile::TempDir,
}

impl Target {
    async fn new(backend: Backend) -> Target {
        let dir = tempfile::tempdir().unwrap();
        let (url, pg_database) = fresh_database(backend, dir.path()).await;
        Target {
            url,
            pg_database,
            _dir: dir,
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_database {
            drop_database(name);
        }
    }
}

/// Creates members through the API one after another until told to stop,
/// keeping each id once its 201 has arrived.
struct Writer {
    ids: Arc<Mutex<Vec<i64>>>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Writer {
    fn start(client: Client, address: String, token: String, first: u32) -> Writer {
        let ids = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let task = {
            let ids = ids.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                // Bounded: a stuck test ends instead of writing for ever.
                for n in first..first + 2000 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let r = client
                        .post(format!("{address}/api/v1/members"))
                        .bearer_auth(&token)
                        .json(&nth_member(n))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), StatusCode::CREATED);
                    let body: serde_json::Value = r.json().await.unwrap();
                    ids.lock().unwrap().push(body["id"].as_i64().unwrap());
                }
            })
        };
        Writer { ids, stop, task }
    }

    fn count(&self) -> usize {
        self.ids.lock().unwrap().len()
    }

    /// Wait until at least `n` members are written (at most 30 s).
    async fn wait_for(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.count() < n {
            assert!(!self.task.is_finished(), "the writer stopped early");
            assert!(Instant::now() < deadline, "the writer is too slow");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn finish(self) -> Vec<i64> {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.unwrap();
        Arc::try_unwrap(self.ids).unwrap().into_inner().unwrap()
    }
}

/// Close a pool and let it go. sqlx may hand a connection back to the pool
/// just after `close` returns; dropping the pool closes that one too, so the
/// file is free for a restore (which refuses a SQLite file open elsewhere).
async fn close(db: Db) {
    db.close().await;
    drop(db);
}

async fn member_ids(db: &Db) -> BTreeSet<i64> {
    lvzhi::on_db!(db, pool => sqlx::query_scalar::<_, i64>("SELECT id FROM members").fetch_all(pool).await)
        .unwrap()
        .into_iter()
        .collect()
}

async fn backup_during_writes_restores_every_row(app: TestApp) {
    let token = app.token("staff").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nightly").join("lvzhi.backup");

    let writer = Writer::start(app.client.clone(), app.address.clone(), token, 0);
    writer.wait_for(3).await;
    let before = snapshot(&app.db, &[]).await;
    // Every member acknowledged before the backup starts is in it.
    let acknowledged_before = writer.count();
    let report = backup::backup(&app.db, &app.database_url, &cipher(), &file)
        .await
        .unwrap();
    let acknowledged_after = writer.count();
    // Written after the backup returned: none of these can be in it.
    writer.wait_for(acknowledged_after + 3).await;
    let ids = writer.finish().await;
    let after = snapshot(&app.db, &[]).await;

    assert_eq!(report.engine, app.backend);
    let on_disk = std::fs::metadata(&file).unwrap().len();
    assert_eq!(report.bytes, on_disk);
    let raw = std::fs::read(&file).unwrap();
    assert!(raw.starts_with(b"LVZHIBK2"), "the header names the format");
    // Encrypted: neither SQLite's nor pg_dump's signature, nor any name, shows.
    for plain in [
        &b"SQLite format 3"[..],
        b"PGDMP",
        "备份测试".as_bytes(),
        "孟爱云".as_bytes(),
    ] {
        assert!(!raw.windows(plain.len()).any(|w| w == plain));
    }
    // No temporary file is left beside it.
    let left: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("lvzhi.backup")]);

    let target = Target::new(app.backend).await;
    let restored_report = backup::restore(&target.url, &cipher(), &file, false)
        .await
        .unwrap();
    assert_eq!(restored_report.engine, app.backend);
    let restored_db = Db::connect(&target.url).await.unwrap();
    let restored = snapshot(&restored_db, &[]).await;
    assert_eq!(restored_report.tables, restored.len());
    assert!(restored.len() >= 12, "every table: {:?}", restored.keys());
    assert!(restored.contains_key("members") && restored.contains_key("audit_log"));
    assert_snapshot_of(&restored, &before, &after);

    // One moment: members acknowledged before the backup are all there, those
    // started after it returned are not, and each member's audit row came with it.
    let restored_members = member_ids(&restored_db).await;
    for id in &ids[..acknowledged_before] {
        assert!(
            restored_members.contains(id),
            "member {id} written before the backup"
        );
    }
    for id in &ids[acknowledged_after + 1..] {
        assert!(
            !restored_members.contains(id),
            "member {id} written after the backup"
        );
    }
    assert!(ids.len() >= acknowledged_after + 3);
    let member_audits: i64 = lvzhi::on_db!(&restored_db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'create' AND object_type = 'member'").fetch_one(pool).await)
    .unwrap();
    assert_eq!(member_audits as usize, restored_members.len());
    assert!(total_rows(&restored) < total_rows(&after));
    assert!(total_rows(&restored) >= total_rows(&before));

    let chain = audit::verify(&restored_db).await.unwrap();
    assert_eq!(chain, restored_report.audit);
    let ChainCheck::Intact { rows } = chain else {
        panic!("restored audit chain: {chain:?}")
    };
    assert_eq!(rows as usize, restored["audit_log"].len());
    the_restored_chain_holds_the_recorded_head(&app.db, &restored_db, &report).await;
    close(restored_db).await;

    // Restoring again over the data is refused, and forced it gives the same.
    let again = backup::restore(&target.url, &cipher(), &file, false).await;
    assert!(
        matches!(again, Err(BackupError::TargetNotEmpty)),
        "{again:?}"
    );
    let message = again.unwrap_err().message(Locale::ZhCn);
    assert!(
        message.contains("已有数据") && message.contains("--force"),
        "{message}"
    );
    backup::restore(&target.url, &cipher(), &file, true)
        .await
        .unwrap();
    let restored_db = Db::connect(&target.url).await.unwrap();
    assert_eq!(snapshot(&restored_db, &[]).await, restored);
    close(restored_db).await;
}
dual_test!(
    backup_during_writes,
    backup_during_writes_restores_every_row
);

async fn restore_refuses_wrong_key_other_engine_damage_and_data(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lvzhi.backup");
    backup::backup(&app.db, &app.database_url, &cipher(), &file)
        .await
        .unwrap();
    if let Db::Sqlite(_) = &app.db {
        // The backup never replaces the database it copies.
        let live = app.database_url.trim_start_matches("sqlite://");
        let refused = backup::backup(&app.db, &app.database_url, &cipher(), Path::new(live)).await;
        assert!(
            matches!(refused, Err(BackupError::OutputIsDatabase(_))),
            "{refused:?}"
        );
        assert!(app.count("members").await >= 14);
    }
    let target = Target::new(app.backend).await;
    let empty_target = |url: String| async move {
        let db = Db::connect(&url).await.unwrap();
        let tables = tables(&db).await;
        close(db).await;
        tables
    };

    // Another data key.
    let other = FieldCipher::from_master_key(&[7u8; 32]);
    let refused = backup::restore(&target.url, &other, &file, true).await;
    assert!(matches!(refused, Err(BackupError::WrongKey)), "{refused:?}");
    assert!(refused
        .unwrap_err()
        .message(Locale::ZhCn)
        .contains("另一把数据密钥"));

    // The other engine, named in the message; the target is not touched.
    let (other_url, other_engine) = match app.backend {
        Backend::Sqlite => (
            "postgres://postgres@127.0.0.1:5432/lvzhi_never_created".to_string(),
            "PostgreSQL",
        ),
        Backend::Postgres => (
            format!("sqlite://{}/other.db", dir.path().display()),
            "SQLite",
        ),
    };
    let refused = backup::restore(&other_url, &cipher(), &file, true).await;
    let Err(e @ BackupError::EngineMismatch { .. }) = refused else {
        panic!("{refused:?}")
    };
    let message = e.message(Locale::ZhCn);
    assert!(
        message.contains(other_engine) && message.contains("不能恢复"),
        "{message}"
    );
    assert!(!dir.path().join("other.db").exists());

    // A changed byte anywhere in the sealed part.
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() - 100;
    bytes[at] ^= 0x40;
    let damaged = dir.path().join("damaged.backup");
    std::fs::write(&damaged, &bytes).unwrap();
    let refused = backup::restore(&target.url, &cipher(), &damaged, true).await;
    assert!(matches!(refused, Err(BackupError::Damaged)), "{refused:?}");

    // A header that says another engine no longer matches its seal.
    let mut relabelled = std::fs::read(&file).unwrap();
    relabelled[8] = relabelled[8].wrapping_add(1);
    let relabelled_path = dir.path().join("relabelled.backup");
    std::fs::write(&relabelled_path, &relabelled).unwrap();
    let refused = backup::restore(&target.url, &cipher(), &relabelled_path, true).await;
    assert!(
        matches!(refused, Err(BackupError::NotABackup(_))),
        "{refused:?}"
    );

    // Not a backup at all.
    let stranger = dir.path().join("notes.txt");
    std::fs::write(&stranger, "会议纪要").unwrap();
    let refused = backup::restore(&target.url, &cipher(), &stranger, true).await;
    assert!(
        matches!(refused, Err(BackupError::NotABackup(_))),
        "{refused:?}"
    );
    let refused = backup::restore(&target.url, &cipher(), &dir.path().join("absent"), true).await;
    assert!(
        matches!(refused, Err(BackupError::Io { .. })),
        "{refused:?}"
    );

    // Nothing was written into the target by any refusal.
    assert_eq!(empty_target(target.url.clone()).await, Vec::<String>::new());

    // The live source as the target: it holds data. A SQLite file that a
    // server holds open is not replaced even when forced.
    let source_members = app.count("members").await;
    let refused = backup::restore(&app.database_url, &cipher(), &file, false).await;
    match app.backend {
        Backend::Sqlite => {
            assert!(
                matches!(refused, Err(BackupError::TargetInUse)),
                "{refused:?}"
            );
            let refused = backup::restore(&app.database_url, &cipher(), &file, true).await;
            assert!(
                matches!(refused, Err(BackupError::TargetInUse)),
                "{refused:?}"
            );
            assert!(refused
                .unwrap_err()
                .message(Locale::ZhCn)
                .contains("lvzhi serve"));
        }
        Backend::Postgres => {
            assert!(
                matches!(refused, Err(BackupError::TargetNotEmpty)),
                "{refused:?}"
            );
        }
    }
    assert_eq!(app.count("members").await, source_members);

    // A database that was migrated but holds nothing counts as empty.
    let migrated = Db::connect(&target.url).await.unwrap();
    migrated.migrate().await.unwrap();
    close(migrated).await;
    let report = backup::restore(&target.url, &cipher(), &file, false)
        .await
        .unwrap();
    assert!(matches!(report.audit, ChainCheck::Intact { rows } if rows > 0));
}
dual_test!(
    restore_refusals,
    restore_refuses_wrong_key_other_engine_damage_and_data
);

/// Run the real binary with the test data key, from an empty folder.
async fn lvzhi(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lvzhi"));
    command
        .args(args)
        .env("LVZHI_DATA_KEY", data_key())
        .env("LVZHI_LOG", "warn")
        .current_dir(dir);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn command_line_backup_and_restore_round_trip(app: TestApp) {
    let token = app.token("staff").await;
    for n in 0..3 {
        let (status, body) = app
            .api_post(&token, "/api/v1/members", &nth_member(5000 + n))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lvzhi.backup");
    let file_arg = file.to_str().unwrap();

    let help = lvzhi(dir.path(), &["backup", "--help"]).await;
    assert!(
        text(&help.stdout).contains("--output"),
        "{}",
        text(&help.stdout)
    );
    let help = lvzhi(dir.path(), &["restore", "--help"]).await;
    assert!(text(&help.stdout).contains("--force") && text(&help.stdout).contains("--input"));

    let out = lvzhi(
        dir.path(),
        &[
            "backup",
            "--output",
            file_arg,
            "--database",
            &app.database_url,
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("备份完成"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(app.audit_count("backup").await, 1, "the backup is audited");
    let source = snapshot(&app.db, &[("audit_log", "action = 'backup'")]).await;

    let target = Target::new(app.backend).await;
    let out = lvzhi(
        dir.path(),
        &["restore", "--input", file_arg, "--database", &target.url],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("恢复完成") && said.contains("哈希链完整"),
        "{said}"
    );

    let restored_db = Db::connect(&target.url).await.unwrap();
    // Everything but the two audit rows of the backup and the restore, identical.
    let restored = snapshot(&restored_db, &[("audit_log", "action = 'restore'")]).await;
    assert_eq!(restored, source);
    let restores: i64 = lvzhi::on_db!(&restored_db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'restore' AND username = '(cli)'").fetch_one(pool).await)
    .unwrap();
    assert_eq!(
        restores, 1,
        "the restore is audited in the restored database"
    );
    let ChainCheck::Intact { rows } = audit::verify(&restored_db).await.unwrap() else {
        panic!("restored chain broken")
    };
    assert_eq!(rows as usize, source["audit_log"].len() + 1);
    close(restored_db).await;

    // Again without --force: refused, in Chinese, nothing changed.
    let out = lvzhi(
        dir.path(),
        &["restore", "--input", file_arg, "--database", &target.url],
    )
    .await;
    assert!(!out.status.success());
    let said = text(&out.stderr);
    assert!(
        said.contains("已有数据") && said.contains("--force"),
        "{said}"
    );
    // With another key: refused.
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lvzhi"));
    command
        .args([
            "restore",
            "--force",
            "--input",
            file_arg,
            "--database",
            &target.url,
        ])
        .env(
            "LVZHI_DATA_KEY",
            base64::engine::general_purpose::STANDARD.encode([7u8; 32]),
        )
        .current_dir(dir.path());
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("另一把数据密钥"),
        "{}",
        text(&out.stderr)
    );
    // Forced with the right key: the backup again, plus a second restore row.
    let out = lvzhi(
        dir.path(),
        &[
            "restore",
            "--force",
            "--input",
            file_arg,
            "--database",
            &target.url,
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let restored_db = Db::connect(&target.url).await.unwrap();
    assert_eq!(
        snapshot(&restored_db, &[("audit_log", "action = 'restore'")]).await,
        source
    );
    let ChainCheck::Intact { rows } = audit::verify(&restored_db).await.unwrap() else {
        panic!("restored chain broken")
    };
    assert_eq!(rows as usize, source["audit_log"].len() + 1);
    close(restored_db).await;
}
dual_test!(
    command_line_round_trip,
    command_line_backup_and_restore_round_trip
);
