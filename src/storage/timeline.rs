//! Duty-file timeline entries: everything a member did, in date order. Every
//! capability writes here; entries are appended, never rewritten.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{Db, Tx};
use crate::{on_db, on_tx};

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub id: i64,
    pub member_id: i64,
    pub occurred_on: NaiveDate,
    /// What kind of record, e.g. `registered`, `attendance`, `proposal`.
    pub kind: String,
    pub title: String,
    pub object_type: Option<String>,
    pub object_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<i64>,
}

pub struct NewTimelineEntry<'a> {
    pub member_id: i64,
    pub occurred_on: NaiveDate,
    pub kind: &'a str,
    pub title: &'a str,
    pub object_type: Option<&'a str>,
    pub object_id: Option<i64>,
    pub created_by: Option<i64>,
}

pub async fn insert(tx: &mut Tx, e: &NewTimelineEntry<'_>) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO timeline_entries (member_id, occurred_on, kind, title, object_type, object_id, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(e.member_id).bind(e.occurred_on).bind(e.kind).bind(e.title).bind(e.object_type)
        .bind(e.object_id).bind(Utc::now()).bind(e.created_by)
        .fetch_one(conn).await)
}

/// Insert many entries, as many to a statement as the engine takes.
pub async fn insert_many(tx: &mut Tx, all: &[NewTimelineEntry<'_>]) -> Result<(), sqlx::Error> {
    const WIDTH: usize = 8;
    let now = Utc::now();
    for chunk in all.chunks(tx.rows_per_insert(WIDTH)) {
        let sql = format!(
            "INSERT INTO timeline_entries (member_id, occurred_on, kind, title, object_type, object_id, created_at, created_by) \
             VALUES {}",
            tx.insert_values(chunk.len(), WIDTH, "")
        );
        on_tx!(tx, conn => {
            let mut query = sqlx::query(&sql);
            for e in chunk {
                query = query
                    .bind(e.member_id).bind(e.occurred_on).bind(e.kind).bind(e.title).bind(e.object_type)
                    .bind(e.object_id).bind(now).bind(e.created_by);
            }
            query.execute(conn).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// A member's timeline, newest first.
pub async fn for_member(db: &Db, member_id: i64) -> Result<Vec<TimelineEntry>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, TimelineEntry>(
        "SELECT id, member_id, occurred_on, kind, title, object_type, object_id, created_at, created_by \
         FROM timeline_entries WHERE member_id = $1 ORDER BY occurred_on DESC, id DESC")
        .bind(member_id).fetch_all(pool).await)
}

pub async fn count_for_member(db: &Db, member_id: i64) -> Result<i64, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM timeline_entries WHERE member_id = $1")
        .bind(member_id).fetch_one(pool).await)
}
