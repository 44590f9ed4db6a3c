//! Sign-in attempts: the record lock-out and per-address limits count from.

use chrono::{DateTime, Utc};

use super::{Db, Tx};
use crate::{on_db, on_tx};

/// Record an attempt as pending and count, within the window, the failed or
/// still-pending attempts for the user name (since its last success) and for
/// the address. Runs in the caller's write transaction, so parallel attempts
/// are counted one after another and none slips past the limit.
pub async fn begin_attempt(
    tx: &mut Tx,
    username: &str,
    ip: Option<&str>,
    window_start: DateTime<Utc>,
) -> Result<(i64, i64, i64), sqlx::Error> {
    // SQLite's `BEGIN IMMEDIATE` already runs these one at a time; PostgreSQL
    // needs a lock, as two READ COMMITTED transactions would not see each
    // other's pending attempt.
    if let Tx::Postgres(pg) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('lvzhi-login'))")
            .execute(&mut **pg)
            .await?;
    }
    let now = Utc::now();
    let id: i64 = on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO login_attempts (username, ip, at, outcome) VALUES ($1, $2, $3, 'pending') RETURNING id")
        .bind(username).bind(ip).bind(now).fetch_one(conn).await)?;
    let by_user: i64 = on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_attempts WHERE username = $1 AND at > $2 AND outcome IN ('pending', 'failed') \
         AND id > COALESCE((SELECT MAX(id) FROM login_attempts WHERE username = $1 AND outcome = 'ok'), 0)")
        .bind(username).bind(window_start).fetch_one(conn).await)?;
    let by_ip: i64 = match ip {
        Some(ip) => on_tx!(tx, conn => sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_attempts WHERE ip = $1 AND at > $2 AND outcome IN ('pending', 'failed')")
            .bind(ip).bind(window_start).fetch_one(conn).await)?,
        None => 0,
    };
    Ok((id, by_user, by_ip))
}

/// Settle an attempt: `ok`, `failed` or `refused`.
pub async fn finish_attempt(db: &Db, id: i64, outcome: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query("UPDATE login_attempts SET outcome = $1 WHERE id = $2")
        .bind(outcome).bind(id).execute(pool).await.map(|_| ()))
}

/// Forget attempts older than `before` (they no longer count for anything).
pub async fn prune(db: &Db, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    on_db!(db, pool => sqlx::query("DELETE FROM login_attempts WHERE at < $1")
        .bind(before).execute(pool).await.map(|r| r.rows_affected()))
}
