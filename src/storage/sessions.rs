//! Login sessions, kept in the database so several servers share them.
//! The cookie holds a random token; only its SHA-256 is stored.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::users::{Principal, PRINCIPAL_COLUMNS};
use super::{Db, Tx};
use crate::{on_db, on_tx};

pub async fn insert(
    tx: &mut Tx,
    id_hash: &str,
    user_id: i64,
    csrf_token: &str,
    ip: Option<&str>,
) -> Result<(), sqlx::Error> {
    let now = Utc::now();
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, ip) \
         VALUES ($1, $2, $3, $4, $4, $5)")
        .bind(id_hash).bind(user_id).bind(csrf_token).bind(now).bind(ip).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A session with its account, in one query: every request asks this.
#[derive(Debug, Clone, FromRow)]
pub struct SessionPrincipal {
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    #[sqlx(flatten)]
    pub principal: Principal,
}

pub async fn get_with_principal(
    db: &Db,
    id_hash: &str,
) -> Result<Option<SessionPrincipal>, sqlx::Error> {
    let sql = format!(
        "SELECT s.csrf_token, s.created_at, s.last_seen_at, {PRINCIPAL_COLUMNS} \
         FROM sessions s JOIN users u ON u.id = s.user_id JOIN orgs o ON o.id = u.org_id \
         WHERE s.id_hash = $1"
    );
    on_db!(db, pool => sqlx::query_as::<_, SessionPrincipal>(&sql).bind(id_hash).fetch_optional(pool).await)
}

pub async fn touch(db: &Db, id_hash: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
        .bind(now).bind(id_hash).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, id_hash: &str) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete_expired(
    db: &Db,
    idle_before: DateTime<Utc>,
    created_before: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let r = on_db!(db, pool => sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
        .bind(idle_before).bind(created_before).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(r)
}

/// End every session of a user (password change, account disabled).
pub async fn delete_for_user(tx: &mut Tx, user_id: i64) -> Result<u64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id).execute(conn).await.map(|r| r.rows_affected()))
}
