//! The audit log: one row per login, logout, change and export, written in the
//! same transaction as the change it records.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{Db, Tx};
use crate::{on_db, on_tx};

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub role: Option<String>,
    pub ip: Option<String>,
    pub action: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// ok | failed | denied
    pub outcome: String,
    /// What changed, with personal data masked.
    pub detail: Option<String>,
}

/// An audit row before it is written.
#[derive(Debug, Clone, Default)]
pub struct NewAuditEntry {
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub role: Option<String>,
    pub ip: Option<String>,
    pub action: &'static str,
    pub object_type: Option<&'static str>,
    pub object_id: Option<String>,
    pub outcome: &'static str,
    pub detail: Option<String>,
}

pub async fn insert(tx: &mut Tx, e: &NewAuditEntry) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO audit_log (at, user_id, username, role, ip, action, object_type, object_id, outcome, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(Utc::now()).bind(e.user_id).bind(&e.username).bind(&e.role).bind(&e.ip)
        .bind(e.action).bind(e.object_type).bind(&e.object_id).bind(e.outcome).bind(&e.detail)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn list(db: &Db, limit: i64, offset: i64) -> Result<(Vec<AuditEntry>, i64), sqlx::Error> {
    let total: i64 = on_db!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(pool).await)?;
    let rows = on_db!(db, pool => sqlx::query_as::<_, AuditEntry>(
        "SELECT id, at, user_id, username, role, ip, action, object_type, object_id, outcome, detail \
         FROM audit_log ORDER BY id DESC LIMIT $1 OFFSET $2")
        .bind(limit).bind(offset).fetch_all(pool).await)?;
    Ok((rows, total))
}
