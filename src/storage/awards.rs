//! Awards: the 'three-new' awards and others, with their evidence.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{Arg, Args, Db, Tx};
use crate::{bind_args, on_db, on_tx};

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Award {
    pub id: i64,
    pub member_id: i64,
    /// The member's name.
    pub member_name: String,
    pub year: i64,
    /// new_suggestion | new_investment | new_contribution | other
    pub category: String,
    pub title: String,
    pub evidence: String,
    /// candidate | awarded | withdrawn
    pub status: String,
    /// Who gave it: committee | district | city | province | national.
    pub level: String,
    /// The day it was awarded or withdrawn (within its year).
    pub decided_on: Option<NaiveDate>,
    /// Why it was withdrawn.
    pub withdrawn_reason: Option<String>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

const COLUMNS: &str =
    "w.id, w.member_id, m.name AS member_name, w.year, w.category, w.title, w.evidence, \
    w.status, w.level, w.decided_on, w.withdrawn_reason, w.created_by, w.created_at, w.updated_at, w.version";
const FROM: &str =
    " FROM awards w JOIN members m ON m.id = w.member_id JOIN orgs o ON o.id = m.org_id";

pub struct AwardValues {
    pub member_id: i64,
    pub year: i64,
    pub category: String,
    pub title: String,
    pub evidence: String,
    pub status: String,
    pub level: String,
    pub decided_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default)]
pub struct AwardFilter {
    pub scope_path: Option<String>,
    pub member_id: Option<i64>,
    pub year: Option<i64>,
    pub category: Option<String>,
}

pub async fn list(db: &Db, f: &AwardFilter) -> Result<Vec<Award>, sqlx::Error> {
    let mut args = Args::default();
    let mut sql = format!("SELECT {COLUMNS}{FROM} WHERE 1 = 1");
    if let Some(scope) = &f.scope_path {
        let p = args.push(Arg::Text(scope.clone()));
        sql.push_str(&format!(" AND m.org_id IN {}", super::scope_ids(db, &p)));
    }
    for (column, value) in [("w.member_id", f.member_id), ("w.year", f.year)] {
        if let Some(v) = value {
            let p = args.push(Arg::Int(v));
            sql.push_str(&format!(" AND {column} = {p}"));
        }
    }
    if let Some(c) = &f.category {
        let p = args.push(Arg::Text(c.clone()));
        sql.push_str(&format!(" AND w.category = {p}"));
    }
    sql.push_str(" ORDER BY w.year DESC, m.name_key, w.id");
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, Award>(&sql), args).fetch_all(pool).await)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Award>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS}{FROM} WHERE w.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, Award>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn insert(tx: &mut Tx, v: &AwardValues, created_by: i64) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO awards (member_id, year, category, title, evidence, status, level, decided_on, \
         created_by, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 1) RETURNING id")
        .bind(v.member_id).bind(v.year).bind(&v.category).bind(&v.title).bind(&v.evidence)
        .bind(&v.status).bind(&v.level).bind(v.decided_on).bind(created_by).bind(Utc::now())
        .fetch_one(conn).await)
}

/// Take a step on an award read at `expected_version`: its new status, the
/// day, and the reason of a withdrawal. False when someone changed it first.
pub async fn set_status(
    tx: &mut Tx,
    id: i64,
    expected_version: i64,
    status: &str,
    decided_on: NaiveDate,
    reason: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let rows = on_tx!(tx, conn => sqlx::query(
        "UPDATE awards SET status = $1, decided_on = $2, \
         withdrawn_reason = COALESCE($3, withdrawn_reason), updated_at = $4, version = version + 1 \
         WHERE id = $5 AND version = $6")
        .bind(status).bind(decided_on).bind(reason).bind(Utc::now()).bind(id).bind(expected_version)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}
