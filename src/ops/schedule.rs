//! What a server does on its own clock: on PostgreSQL, linking committed
//! audit rows into the hash chain twice a second (the sequencer,
//! `storage::audit::chain_pending`), and a warning in the log whenever rows
//! have waited more than a minute; a log line with the audit chain's head
//! every `audit_head_log_seconds` (an hour by default), so that the head is
//! kept outside the database in the logs; and, when `backup_dir` is set, a
//! backup every `backup_interval_seconds` (a day by default), each one checked
//! by a test restore into a scratch database, the last `backup_keep` kept.
//! Every run is a `backup_runs` row (the admin's page shows the last good one
//! and any failure since) and an audit row.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use rand::RngCore;

use super::backup::{self, BackupError};
use crate::app::config::Settings;
use crate::app::i18n::Locale;
use crate::app::App;
use crate::domain::audit_head::ChainHead;
use crate::security::crypto::FieldCipher;
use crate::services::audit as audit_service;
use crate::storage::audit::{self, ChainCheck, NewAuditEntry};
use crate::storage::backups::{self as runs, NewBackupRun};
use crate::storage::{Backend, Db};

/// The user name the schedule's audit rows carry.
pub const SCHEDULE_USER: &str = "(schedule)";

/// The names of scheduled backup files: `lvzhi-<UTC time>.lvzbak`.
const PREFIX: &str = "lvzhi-";
const SUFFIX: &str = ".lvzbak";

/// How often a server links the audit rows committed since it last looked.
/// Readers of the chain link first, so this bounds only how long a row
/// stays unlinked when nobody reads.
pub const SEQUENCER_INTERVAL: Duration = Duration::from_millis(500);

/// How often a server looks for audit rows left unlinked past
/// [`audit_service::Waiting::STALLED_AFTER`].
const STALL_CHECK_INTERVAL: Duration = Duration::from_secs(30);

/// Start the clocks of a server.
pub fn start(app: &App) {
    if app.db.backend() == Backend::Postgres {
        let db = app.db.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SEQUENCER_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = audit::chain_pending(&db).await {
                    tracing::warn!(error = %e, "audit rows not linked yet");
                }
            }
        });
        // The sequencer above waits for the chain's lock as long as another
        // session holds it, so a stall is seen apart from it, in the log as
        // on the audit page.
        let db = app.db.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(STALL_CHECK_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match audit_service::waiting(&db).await {
                    Ok(waiting) => {
                        if waiting.stalled(Utc::now()) {
                            tracing::warn!(
                                rows = waiting.rows,
                                oldest = ?waiting.oldest,
                                "audit rows have waited more than a minute to be linked into the \
                                 hash chain: is a session holding the chain's lock?"
                            );
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "audit rows waiting unreadable"),
                }
            }
        });
    }
    let db = app.db.clone();
    let every = Duration::from_secs(app.settings.audit_head_log_seconds.max(1));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match audit::head(&db).await {
                Ok(head) => tracing::info!(
                    audit_rows = head.rows,
                    audit_head = %head,
                    "audit chain head"
                ),
                Err(e) => tracing::warn!(error = %e, "audit chain head unreadable"),
            }
        }
    });
    if let Some(dir) = app.settings.backup_dir.clone() {
        let db = app.db.clone();
        let cipher = Arc::clone(&app.cipher);
        let settings = Arc::clone(&app.settings);
        tokio::spawn(async move { backups(db, cipher, settings, dir).await });
    }
}

/// Back up whenever the last run (of any server on this database) is an
/// interval old; look again at most every minute.
async fn backups(db: Db, cipher: Arc<FieldCipher>, settings: Arc<Settings>, dir: PathBuf) {
    let interval = Duration::from_secs(settings.backup_interval_seconds.max(1));
    let interval_chrono = chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::days(1));
    loop {
        let due = match runs::latest(&db, None).await {
            Ok(Some(last)) => last.started_at + interval_chrono,
            Ok(None) => Utc::now(),
            Err(e) => {
                tracing::warn!(error = %e, "backup schedule cannot read its runs");
                Utc::now() + chrono::Duration::seconds(60)
            }
        };
        let wait = (due - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        if !wait.is_zero() {
            tokio::time::sleep(wait.min(Duration::from_secs(60)).min(interval)).await;
            continue;
        }
        run_once(&db, &cipher, &settings, &dir).await;
    }
}

/// One scheduled backup: write, test-restore, prune, record. Never fails:
/// a failure is recorded, logged and audited.
pub async fn run_once(db: &Db, cipher: &FieldCipher, settings: &Settings, dir: &Path) {
    let started_at = Utc::now();
    let file = dir.join(format!(
        "{PREFIX}{}{SUFFIX}",
        started_at.format("%Y%m%dT%H%M%S%.3fZ")
    ));
    let result = write_and_check(db, cipher, settings, dir, &file).await;
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (outcome, bytes, head, error) = match &result {
        Ok((report, removed)) => {
            tracing::info!(
                file = %file.display(),
                bytes = report.bytes,
                audit_head = %report.head,
                removed,
                "scheduled backup written and checked by a test restore"
            );
            ("ok", report.bytes as i64, report.head.clone(), None)
        }
        Err(e) => {
            tracing::error!(error = %e, dir = %dir.display(), "scheduled backup failed");
            (
                "failed",
                0,
                ChainHead::empty(),
                Some(e.message(Locale::ZhCn)),
            )
        }
    };
    let detail = match &error {
        None => format!(
            "file={}; engine={}; bytes={bytes}; audit_head={head}; test_restore=ok",
            file.display(),
            backup::engine_name(db.backend())
        ),
        Some(e) => format!("dir={}; error={e}", dir.display()),
    };
    let run = NewBackupRun {
        started_at,
        outcome,
        file_name: if outcome == "ok" { &file_name } else { "" },
        bytes,
        audit_rows: head.rows,
        audit_hash: &head.hash,
        error: error.as_deref(),
    };
    if let Err(e) = record(db, &run, detail).await {
        tracing::error!(error = %e, "scheduled backup run not recorded");
    }
}

/// Write the backup, restore it into a scratch database, keep the newest.
async fn write_and_check(
    db: &Db,
    cipher: &FieldCipher,
    settings: &Settings,
    dir: &Path,
    file: &Path,
) -> Result<(backup::BackupReport, usize), BackupError> {
    std::fs::create_dir_all(dir).map_err(|e| BackupError::Io {
        path: dir.display().to_string(),
        source: e,
    })?;
    let report = backup::backup(db, &settings.database_url, cipher, file).await?;
    if let Err(e) = test_restore(db, &settings.database_url, cipher, file, dir).await {
        // A backup that does not restore is no backup: it goes.
        let _ = std::fs::remove_file(file);
        return Err(e);
    }
    let removed = prune(dir, settings.backup_keep.max(1) as usize);
    Ok((report, removed))
}

/// The run's row and its audit row, in one transaction.
async fn record(db: &Db, run: &NewBackupRun<'_>, detail: String) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    runs::insert(&mut tx, run).await?;
    let mut entry = NewAuditEntry {
        username: Some(SCHEDULE_USER.into()),
        action: "backup",
        object_type: Some("database"),
        outcome: "ok",
        detail: Some(detail),
        ..Default::default()
    };
    if run.outcome != "ok" {
        entry.outcome = "failed";
    }
    audit::insert(&mut tx, &entry).await?;
    tx.commit().await
}

/// Restore the backup into a scratch database of the same engine and check
/// it: schema, integrity, and an intact audit chain holding at least the head
/// the backup recorded. The scratch database is removed afterwards.
async fn test_restore(
    db: &Db,
    url: &str,
    cipher: &FieldCipher,
    file: &Path,
    dir: &Path,
) -> Result<(), BackupError> {
    let mut suffix = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut suffix);
    let suffix = hex::encode(suffix);
    let report = match db.backend() {
        Backend::Sqlite => {
            let scratch = dir.join(format!(".restore-check-{suffix}.db"));
            let scratch_url = format!("sqlite://{}", scratch.display());
            let report = restore_apart(scratch_url, cipher, file).await;
            for extra in ["", "-wal", "-shm", "-journal"] {
                let mut p = scratch.clone().into_os_string();
                p.push(extra);
                let _ = std::fs::remove_file(PathBuf::from(p));
            }
            report?
        }
        Backend::Postgres => {
            let name = format!("lvzhi_restore_check_{suffix}");
            let scratch_url = with_database(url, &name);
            if let Db::Postgres(pool) = db {
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(pool)
                    .await?;
            }
            let report = restore_apart(scratch_url, cipher, file).await;
            if let Db::Postgres(pool) = db {
                if let Err(e) = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                    .execute(pool)
                    .await
                {
                    tracing::warn!(error = %e, database = %name, "scratch database not dropped");
                }
            }
            report?
        }
    };
    match report.audit {
        ChainCheck::Intact { rows } => {
            let recorded = backup::recorded_head(cipher, file).await?;
            if recorded.is_some_and(|h| h.rows > rows) {
                return Err(BackupError::Integrity(
                    "restored audit chain is shorter than the head the backup recorded".into(),
                ));
            }
            Ok(())
        }
        ChainCheck::Broken { id, .. } => Err(BackupError::Integrity(format!(
            "restored audit chain breaks at row {id}"
        ))),
    }
}

/// `backup::restore` on a blocking thread that drives it on this runtime:
/// its migrations hold borrows that keep its future from being `Send`, as a
/// spawned task must be.
async fn restore_apart(
    url: String,
    cipher: &FieldCipher,
    file: &Path,
) -> Result<backup::RestoreReport, BackupError> {
    let handle = tokio::runtime::Handle::current();
    let cipher = cipher.clone();
    let file = file.to_path_buf();
    let shown = file.display().to_string();
    tokio::task::spawn_blocking(move || {
        handle.block_on(backup::restore(&url, &cipher, &file, false))
    })
    .await
    .map_err(|e| BackupError::Io {
        path: shown,
        source: std::io::Error::other(e.to_string()),
    })?
}

/// The same server and options, another database.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Remove all but the newest `keep` scheduled backups; how many went.
fn prune(dir: &Path, keep: usize) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        .collect();
    // The names hold the UTC time: sorted by name is sorted by age.
    names.sort();
    let excess = names.len().saturating_sub(keep);
    names
        .iter()
        .take(excess)
        .filter(|n| std::fs::remove_file(dir.join(n)).is_ok())
        .count()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scratch_databases_sit_beside_the_real_one() {
        assert_eq!(
            with_database("postgres://u@h:5432/lvzhi?sslmode=disable", "x"),
            "postgres://u@h:5432/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h/lvzhi", "x"),
            "postgres://u@h/x"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    }

    #[test]
    fn only_the_newest_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        for n in [
            "lvzhi-20260101T000000.000Z.lvzbak",
            "lvzhi-20260102T000000.000Z.lvzbak",
            "lvzhi-20260103T000000.000Z.lvzbak",
            "mine.backup",
        ] {
            std::fs::write(dir.path().join(n), b"x").unwrap();
        }
        assert_eq!(prune(dir.path(), 2), 1);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "lvzhi-20260102T000000.000Z.lvzbak",
                "lvzhi-20260103T000000.000Z.lvzbak",
                "mine.backup"
            ]
        );
    }
}
