//! Scheduled backup runs: what the server's backup schedule did, for the
//! admin's page. The backup files themselves are in `backup_dir`.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{Db, Tx};
use crate::{on_db, on_tx};

#[derive(Debug, Clone, FromRow)]
pub struct BackupRun {
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// ok | failed
    pub outcome: String,
    pub file_name: String,
    pub bytes: i64,
    pub audit_rows: i64,
    pub audit_hash: String,
    pub error: Option<String>,
}

const COLUMNS: &str =
    "id, started_at, finished_at, outcome, file_name, bytes, audit_rows, audit_hash, error";

pub struct NewBackupRun<'a> {
    pub started_at: DateTime<Utc>,
    pub outcome: &'a str,
    pub file_name: &'a str,
    pub bytes: i64,
    pub audit_rows: i64,
    pub audit_hash: &'a str,
    pub error: Option<&'a str>,
}

pub async fn insert(tx: &mut Tx, r: &NewBackupRun<'_>) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO backup_runs (started_at, finished_at, outcome, file_name, bytes, audit_rows, audit_hash, error) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(r.started_at).bind(Utc::now()).bind(r.outcome).bind(r.file_name).bind(r.bytes)
        .bind(r.audit_rows).bind(r.audit_hash).bind(r.error)
        .fetch_one(conn).await)
}

/// The newest run with this outcome (`None` for any outcome).
pub async fn latest(db: &Db, outcome: Option<&str>) -> Result<Option<BackupRun>, sqlx::Error> {
    let sql = match outcome {
        Some(_) => {
            format!("SELECT {COLUMNS} FROM backup_runs WHERE outcome = $1 ORDER BY id DESC LIMIT 1")
        }
        None => format!("SELECT {COLUMNS} FROM backup_runs ORDER BY id DESC LIMIT 1"),
    };
    on_db!(db, pool => {
        let q = sqlx::query_as::<_, BackupRun>(&sql);
        match outcome {
            Some(o) => q.bind(o).fetch_optional(pool).await,
            None => q.fetch_optional(pool).await,
        }
    })
}
