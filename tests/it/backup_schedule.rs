//! Scheduled backups, through a real server with a short interval: backups
//! appear in `backup_dir` on their own, each checked by a test restore into a
//! scratch database (removed afterwards), only the last `backup_keep` stay,
//! every run is audited, and the system admin's page shows the last good one —
//! or the failure since.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::dual_test;
use crate::helpers::{cipher, spawn_app_configured, TestApp};
use lvzhi::storage::Backend;

fn scheduled(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    let name = p.file_name().unwrap().to_string_lossy();
                    name.starts_with("lvzhi-") && name.ends_with(".lvzbak")
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

async fn runs(app: &TestApp, outcome: &str) -> i64 {
    lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM backup_runs WHERE outcome = $1").bind(outcome).fetch_one(pool).await)
    .unwrap()
}

/// The scratch databases of test restores on the PostgreSQL server (every
/// test's: the server is shared).
async fn scratch_databases(app: &TestApp) -> Vec<String> {
    match &app.db {
        lvzhi::storage::Db::Postgres(pool) => sqlx::query_scalar::<_, String>(
            "SELECT datname FROM pg_database WHERE datname LIKE 'lvzhi_restore_check_%'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        lvzhi::storage::Db::Sqlite(_) => Vec::new(),
    }
}

async fn backups_happen_on_their_own(backend: Backend) {
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path().join("backups");
    let backup_dir = dir.clone();
    let mut app = spawn_app_configured(backend, true, move |s| {
        s.backup_dir = Some(backup_dir);
        s.backup_interval_seconds = 2;
        s.backup_keep = 2;
    })
    .await;
    // Left by an earlier run that was interrupted: not this server's.
    let earlier = scratch_databases(&app).await;

    // Three good runs, each written and test-restored, without anyone asking.
    let start = Instant::now();
    while runs(&app, "ok").await < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no scheduled backups: {} failed",
            runs(&app, "failed").await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(runs(&app, "failed").await, 0);
    // Only the last two are kept.
    let start = Instant::now();
    loop {
        let files = scheduled(&dir);
        if files.len() == 2 {
            break;
        }
        assert!(
            files.len() <= 3 && start.elapsed() < Duration::from_secs(30),
            "{files:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Each kept file is a backup of this database with the audit head in it.
    for file in scheduled(&dir) {
        let head = lvzhi::ops::backup::recorded_head(&cipher(), &file)
            .await
            .unwrap()
            .unwrap();
        assert!(head.rows > 0, "{file:?}");
    }
    // Audited as the schedule's work; the scratch databases are gone.
    let audited: i64 = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'backup' AND username = '(schedule)' AND outcome = 'ok'")
        .fetch_one(pool).await)
    .unwrap();
    assert!(audited >= 3, "{audited}");
    // (A run may be under way; wait for the scratch of PostgreSQL to go.)
    let start = Instant::now();
    let ours = |all: Vec<String>| all.into_iter().filter(|n| !earlier.contains(n)).count();
    while ours(scratch_databases(&app).await) > 1 {
        assert!(start.elapsed() < Duration::from_secs(120));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The system admin's page says when the last good backup was made.
    app.login("admin").await;
    let (status, html) = app.get_html("/admin/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("定期备份"), "{html}");
    assert!(
        html.contains("每 2 秒自动备份一次，保留最近 2 份"),
        "{html}"
    );
    assert!(html.contains("上次成功备份"), "{html}");
    let newest: String = lvzhi::on_db!(&app.db, pool => sqlx::query_scalar::<_, String>(
        "SELECT file_name FROM backup_runs WHERE outcome = 'ok' ORDER BY id DESC LIMIT 1")
        .fetch_one(pool).await)
    .unwrap();
    assert!(newest.starts_with("lvzhi-"), "{newest}");
    // Staff see no such section.
    app.login("staff").await;
    let (_, html) = app.get_html("/").await;
    assert!(!html.contains("上次成功备份"));
}

mod backups_happen_on_their_own_t {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::backups_happen_on_their_own(lvzhi::storage::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if crate::helpers::postgres_skipped() {
            eprintln!("PostgreSQL side skipped (LVZHI_TEST_POSTGRES=skip)");
            return;
        }
        super::backups_happen_on_their_own(lvzhi::storage::Backend::Postgres).await;
    }
}

/// A backup that cannot be written is recorded, audited as failed and shown
/// to the system admin; without `backup_dir` the page says nothing runs.
async fn a_failed_backup_is_shown(mut app: TestApp) {
    let folder = tempfile::tempdir().unwrap();
    // A file where the folder should be.
    let blocked = folder.path().join("not-a-folder");
    std::fs::write(&blocked, b"x").unwrap();
    let settings = lvzhi::app::config::Settings {
        database_url: app.database_url.clone(),
        ..Default::default()
    };
    lvzhi::ops::schedule::run_once(&app.db, &cipher(), &settings, &blocked.join("sub")).await;
    assert_eq!(runs(&app, "failed").await, 1);
    assert_eq!(runs(&app, "ok").await, 0);
    assert_eq!(app.audit_count("backup").await, 1);

    app.login("admin").await;
    let (status, html) = app.get_html("/admin/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("未设置备份目录"), "{html}");
    assert!(html.contains("还没有成功的定期备份"), "{html}");
    assert!(
        html.contains("最近一次备份失败") && html.contains("not-a-folder"),
        "{html}"
    );
}
dual_test!(a_failed_backup_is_shown_t, a_failed_backup_is_shown);
