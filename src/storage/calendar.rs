//! The official calendar (holidays and make-up working days) and each
//! committee's reception and case settings.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{Db, Tx};
use crate::domain::calendar::{Calendar, DayKind, HolidayLine};
use crate::{on_db, on_tx};

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Holiday {
    pub day: NaiveDate,
    pub year: i64,
    /// holiday | workday
    pub kind: String,
    pub name: String,
}

/// Replace one year's list.
pub async fn replace_year(
    tx: &mut Tx,
    year: i32,
    lines: &[HolidayLine],
    user_id: Option<i64>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM holidays WHERE year = $1")
        .bind(i64::from(year)).execute(&mut *conn).await.map(|_| ()))?;
    let now = Utc::now();
    for line in lines {
        on_tx!(tx, conn => sqlx::query(
            "INSERT INTO holidays (day, year, kind, name, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(line.day).bind(i64::from(year)).bind(line.kind.as_str()).bind(&line.name)
            .bind(now).bind(user_id).execute(&mut *conn).await.map(|_| ()))?;
    }
    Ok(())
}

pub async fn list_year(db: &Db, year: i32) -> Result<Vec<Holiday>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, Holiday>(
        "SELECT day, year, kind, name FROM holidays WHERE year = $1 ORDER BY day")
        .bind(i64::from(year)).fetch_all(pool).await)
}

/// The whole calendar (a few dozen rows a year).
pub async fn calendar(db: &Db) -> Result<Calendar, sqlx::Error> {
    let rows: Vec<Holiday> = on_db!(db, pool => sqlx::query_as::<_, Holiday>(
        "SELECT day, year, kind, name FROM holidays ORDER BY day").fetch_all(pool).await)?;
    Ok(Calendar::new(rows.into_iter().filter_map(|h| {
        DayKind::parse("kind", &h.kind).ok().map(|k| (h.day, k))
    })))
}

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct CaseSettings {
    pub org_id: i64,
    /// The reception day's day of the month.
    pub day_of_month: i64,
    /// Working days a department has to answer.
    pub due_working_days: i64,
    /// Working days after forwarding within which a department may send a case back.
    pub return_working_days: i64,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

pub async fn get_settings(db: &Db, org_id: i64) -> Result<Option<CaseSettings>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, CaseSettings>(
        "SELECT org_id, day_of_month, due_working_days, return_working_days, updated_at, version \
         FROM case_settings WHERE org_id = $1").bind(org_id).fetch_optional(pool).await)
}

/// Insert the first settings (version 1) or update when `expected_version`
/// still matches; false when someone else changed them first.
pub async fn save_settings(
    tx: &mut Tx,
    org_id: i64,
    expected_version: Option<i64>,
    day_of_month: i64,
    due_working_days: i64,
    return_working_days: i64,
) -> Result<bool, sqlx::Error> {
    let now = Utc::now();
    let affected = match expected_version {
        None => on_tx!(tx, conn => sqlx::query(
            "INSERT INTO case_settings (org_id, day_of_month, due_working_days, return_working_days, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, 1)")
            .bind(org_id).bind(day_of_month).bind(due_working_days).bind(return_working_days).bind(now)
            .execute(conn).await.map(|r| r.rows_affected()))?,
        Some(version) => on_tx!(tx, conn => sqlx::query(
            "UPDATE case_settings SET day_of_month = $1, due_working_days = $2, return_working_days = $3, \
             updated_at = $4, version = version + 1 WHERE org_id = $5 AND version = $6")
            .bind(day_of_month).bind(due_working_days).bind(return_working_days).bind(now)
            .bind(org_id).bind(version)
            .execute(conn).await.map(|r| r.rows_affected()))?,
    };
    Ok(affected == 1)
}
