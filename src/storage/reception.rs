//! Reception days, the members on duty, and the visits registered on them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{Arg, Args, Db, Tx};
use crate::{bind_args, on_db, on_tx};

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct ReceptionDay {
    pub id: i64,
    pub org_id: i64,
    /// The scheduled day of the month.
    pub nominal_on: NaiveDate,
    /// The day it is held: the nominal day or the next working day.
    pub held_on: NaiveDate,
    pub duty_group_id: Option<i64>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    /// Visitors received (sum over visits).
    pub people: i64,
    /// Visits registered (the day's detail lists them under `visits`).
    #[serde(rename = "visit_count")]
    pub visits: i64,
}

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Visit {
    pub id: i64,
    pub reception_day_id: i64,
    pub people: i64,
    pub community: String,
    pub summary: String,
    pub visitor_name: Option<String>,
    #[serde(skip)]
    pub phone_enc: Option<String>,
    /// Masked, e.g. `138****5678`.
    pub phone_masked: Option<String>,
    /// answered | case
    pub outcome: String,
    pub answer: Option<String>,
    /// The member on duty who received the visitors.
    pub received_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct DutyMember {
    pub member_id: i64,
    pub name: String,
}

const DAY_COLUMNS: &str = "d.id, d.org_id, d.nominal_on, d.held_on, d.duty_group_id, d.note, d.created_at, d.updated_at, d.version, \
    CAST(COALESCE((SELECT SUM(v.people) FROM visits v WHERE v.reception_day_id = d.id), 0) AS BIGINT) AS people, \
    (SELECT COUNT(*) FROM visits v WHERE v.reception_day_id = d.id) AS visits";

pub struct NewDay<'a> {
    pub org_id: i64,
    pub nominal_on: NaiveDate,
    pub held_on: NaiveDate,
    pub duty_group_id: Option<i64>,
    pub note: Option<&'a str>,
    pub created_by: Option<i64>,
}

pub async fn insert_day(tx: &mut Tx, d: &NewDay<'_>) -> Result<i64, sqlx::Error> {
    let now = Utc::now();
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO reception_days (org_id, nominal_on, held_on, duty_group_id, note, created_at, created_by, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $6, 1) RETURNING id")
        .bind(d.org_id).bind(d.nominal_on).bind(d.held_on).bind(d.duty_group_id).bind(d.note)
        .bind(now).bind(d.created_by).fetch_one(conn).await)
}

pub async fn insert_duty(tx: &mut Tx, day_id: i64, member_id: i64) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO reception_duty (reception_day_id, member_id) VALUES ($1, $2)")
        .bind(day_id).bind(member_id).execute(conn).await.map(|_| ()))
}

pub async fn get_day(db: &Db, id: i64) -> Result<Option<ReceptionDay>, sqlx::Error> {
    let sql = format!("SELECT {DAY_COLUMNS} FROM reception_days d WHERE d.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, ReceptionDay>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn find_day(
    db: &Db,
    org_id: i64,
    held_on: NaiveDate,
) -> Result<Option<ReceptionDay>, sqlx::Error> {
    let sql = format!(
        "SELECT {DAY_COLUMNS} FROM reception_days d WHERE d.org_id = $1 AND d.held_on = $2"
    );
    on_db!(db, pool => sqlx::query_as::<_, ReceptionDay>(&sql).bind(org_id).bind(held_on).fetch_optional(pool).await)
}

/// The WHERE clause selecting the days of committees within `scope_path`
/// held in a date range.
fn days_filter(
    db: &Db,
    args: &mut Args,
    scope_path: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> String {
    let scope = args.push(Arg::Text(scope_path.to_string()));
    let mut sql = format!(" WHERE d.org_id IN {}", super::scope_ids(db, &scope));
    if let Some(from) = from {
        let p = args.push(Arg::Text(from.to_string()));
        sql.push_str(&format!(" AND d.held_on >= {}", date_param(db, &p)));
    }
    if let Some(to) = to {
        let p = args.push(Arg::Text(to.to_string()));
        sql.push_str(&format!(" AND d.held_on <= {}", date_param(db, &p)));
    }
    sql
}

/// One page of the days of committees within `scope_path`, newest first.
pub async fn list_days(
    db: &Db,
    scope_path: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    limit: i64,
    offset: i64,
) -> Result<Vec<ReceptionDay>, sqlx::Error> {
    let mut args = Args::default();
    let filter = days_filter(db, &mut args, scope_path, from, to);
    let l = args.push(Arg::Int(limit));
    let o = args.push(Arg::Int(offset));
    let sql = format!(
        "SELECT {DAY_COLUMNS} FROM reception_days d{filter} \
         ORDER BY d.held_on DESC, d.id DESC LIMIT {l} OFFSET {o}"
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, ReceptionDay>(&sql), args).fetch_all(pool).await)
}

/// How many days [`list_days`] selects in all.
pub async fn count_days(
    db: &Db,
    scope_path: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<i64, sqlx::Error> {
    let mut args = Args::default();
    let filter = days_filter(db, &mut args, scope_path, from, to);
    let sql = format!("SELECT COUNT(*) FROM reception_days d{filter}");
    on_db!(db, pool => bind_args!(sqlx::query_scalar::<_, i64>(&sql), args).fetch_one(pool).await)
}

/// The date of a committee's latest reception day, if it has held one.
pub async fn latest_day_on(db: &Db, org_id: i64) -> Result<Option<NaiveDate>, sqlx::Error> {
    let sql = "SELECT MAX(held_on) FROM reception_days WHERE org_id = $1";
    on_db!(db, pool => sqlx::query_scalar::<_, Option<NaiveDate>>(sql).bind(org_id).fetch_one(pool).await)
}

/// The days a committee holds in a date range, by date.
pub async fn days_between(
    db: &Db,
    org_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ReceptionDay>, sqlx::Error> {
    let sql = format!(
        "SELECT {DAY_COLUMNS} FROM reception_days d \
         WHERE d.org_id = $1 AND d.held_on >= {} AND d.held_on <= {} ORDER BY d.held_on, d.id",
        date_param(db, "$2"),
        date_param(db, "$3")
    );
    on_db!(db, pool => sqlx::query_as::<_, ReceptionDay>(&sql).bind(org_id).bind(from.to_string()).bind(to.to_string()).fetch_all(pool).await)
}

/// A text parameter used as a date: PostgreSQL needs the cast.
pub(crate) fn date_param(db: &Db, placeholder: &str) -> String {
    match db {
        Db::Sqlite(_) => placeholder.to_string(),
        Db::Postgres(_) => format!("CAST({placeholder} AS DATE)"),
    }
}

pub async fn duty_members(db: &Db, day_id: i64) -> Result<Vec<DutyMember>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, DutyMember>(
        "SELECT r.member_id, m.name FROM reception_duty r JOIN members m ON m.id = r.member_id \
         WHERE r.reception_day_id = $1 ORDER BY m.name_key")
        .bind(day_id).fetch_all(pool).await)
}

pub async fn is_on_duty(db: &Db, day_id: i64, member_id: i64) -> Result<bool, sqlx::Error> {
    let n: i64 = on_db!(db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM reception_duty WHERE reception_day_id = $1 AND member_id = $2")
        .bind(day_id).bind(member_id).fetch_one(pool).await)?;
    Ok(n > 0)
}

pub struct NewVisit<'a> {
    pub reception_day_id: i64,
    pub people: i64,
    pub community: &'a str,
    pub summary: &'a str,
    pub visitor_name: Option<&'a str>,
    pub phone_enc: Option<String>,
    pub phone_masked: Option<String>,
    pub outcome: &'a str,
    pub answer: Option<&'a str>,
    pub received_by: Option<i64>,
    pub created_by: Option<i64>,
}

pub async fn insert_visit(tx: &mut Tx, v: &NewVisit<'_>) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO visits (reception_day_id, people, community, summary, visitor_name, phone_enc, phone_masked, \
         outcome, answer, received_by, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id")
        .bind(v.reception_day_id).bind(v.people).bind(v.community).bind(v.summary).bind(v.visitor_name)
        .bind(&v.phone_enc).bind(&v.phone_masked).bind(v.outcome).bind(v.answer).bind(v.received_by)
        .bind(Utc::now()).bind(v.created_by).fetch_one(conn).await)
}

pub async fn visits_of_day(db: &Db, day_id: i64) -> Result<Vec<Visit>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, Visit>(
        "SELECT id, reception_day_id, people, community, summary, visitor_name, phone_enc, phone_masked, \
         outcome, answer, received_by, created_at FROM visits WHERE reception_day_id = $1 ORDER BY id")
        .bind(day_id).fetch_all(pool).await)
}

/// The visits of every day [`list_days`] selects (an export), each with its
/// day's date, newest day first as the list orders them.
pub async fn visits_in(
    db: &Db,
    scope_path: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<(NaiveDate, Visit)>, sqlx::Error> {
    #[derive(FromRow)]
    struct Row {
        held_on: NaiveDate,
        #[sqlx(flatten)]
        visit: Visit,
    }
    let mut args = Args::default();
    let filter = days_filter(db, &mut args, scope_path, from, to);
    let sql = format!(
        "SELECT d.held_on, v.id, v.reception_day_id, v.people, v.community, v.summary, v.visitor_name, \
         v.phone_enc, v.phone_masked, v.outcome, v.answer, v.received_by, v.created_at \
         FROM visits v JOIN reception_days d ON d.id = v.reception_day_id{filter} \
         ORDER BY d.held_on DESC, d.id DESC, v.id"
    );
    let rows =
        on_db!(db, pool => bind_args!(sqlx::query_as::<_, Row>(&sql), args).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|r| (r.held_on, r.visit)).collect())
}

/// A case a visit of the day opened: its visit, subject and status.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct VisitCase {
    pub id: i64,
    pub visit_id: i64,
    pub title: String,
    pub status: crate::domain::cases::CaseStatus,
}

pub async fn cases_of_day(db: &Db, day_id: i64) -> Result<Vec<VisitCase>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, VisitCase>(
        "SELECT c.id, c.visit_id, c.title, c.status FROM cases c JOIN visits v ON v.id = c.visit_id \
         WHERE v.reception_day_id = $1 ORDER BY c.id")
        .bind(day_id).fetch_all(pool).await)
}

/// Bump a day's version: a visit was added (two people adding at once both succeed;
/// the version tells a form that the day changed).
pub async fn touch_day(tx: &mut Tx, day_id: i64) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE reception_days SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(Utc::now()).bind(day_id).execute(conn).await.map(|_| ()))
}
