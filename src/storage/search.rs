//! The search index's change log: every write to a searchable record appends
//! a row here in the same transaction, and each server's index replays the
//! rows it has not seen, so several servers on one database stay current.

use chrono::Utc;

use super::{Db, Tx};
use crate::{on_db, on_tx};

/// Note that the record `kind`/`object_id` changed (created, edited or moved on).
pub async fn record_change(tx: &mut Tx, kind: &str, object_id: i64) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("INSERT INTO search_changes (kind, object_id, at) VALUES ($1, $2, $3)")
        .bind(kind).bind(object_id).bind(Utc::now()).execute(conn).await.map(|_| ()))
}

/// Changes after `after`, oldest first: (change id, kind, object id).
pub async fn changes_since(
    db: &Db,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String, i64)>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, (i64, String, i64)>(
        "SELECT id, kind, object_id FROM search_changes WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after).bind(limit).fetch_all(pool).await)
}

/// The newest change id (0 when none): where a freshly built index starts.
pub async fn latest_change(db: &Db) -> Result<i64, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM search_changes")
        .fetch_one(pool).await.map(|v| v.unwrap_or(0)))
}
