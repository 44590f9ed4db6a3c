//! Activities, their invitations (with replies and attendance) and the
//! reports of research trips.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{Arg, Args, Db, Tx};
use crate::{bind_args, on_db, on_tx};

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Activity {
    pub id: i64,
    /// The committee that holds it.
    pub org_id: i64,
    /// The member group it is for, if one.
    pub group_id: Option<i64>,
    /// district_meeting | study | research | inspection | reception | liaison | charity | campaign | party_hearing
    pub kind: String,
    pub title: String,
    pub held_on: NaiveDate,
    pub place: String,
    pub organiser: String,
    pub description: Option<String>,
    /// Money given or spent, in whole 元.
    pub amount_yuan: Option<i64>,
    /// The 'five-ones' item it counts toward: suggestion | deed | technical | information | poverty_aid
    pub five_ones: Option<String>,
    /// pending | approved | rejected
    pub approval: crate::domain::activities::Approval,
    /// The member who logged it themself.
    pub logged_by: Option<i64>,
    pub decision_reason: Option<String>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: send it back with an update.
    pub version: i64,
}

const COLUMNS: &str = "a.id, a.org_id, a.group_id, a.kind, a.title, a.held_on, a.place, a.organiser, \
    a.description, a.amount_yuan, a.five_ones, a.approval, a.logged_by, a.decision_reason, a.created_by, \
    a.created_at, a.updated_at, a.version";

/// The values a create or update writes (already validated).
#[derive(Debug, Clone)]
pub struct ActivityValues {
    pub org_id: i64,
    pub group_id: Option<i64>,
    pub kind: String,
    pub title: String,
    pub held_on: NaiveDate,
    pub place: String,
    pub organiser: String,
    pub description: Option<String>,
    pub amount_yuan: Option<i64>,
    pub five_ones: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    /// Only activities of organisations within this path (staff).
    pub scope_path: Option<String>,
    /// Only activities this member is invited to or logged (members).
    pub member_id: Option<i64>,
    pub org_id: Option<i64>,
    pub group_id: Option<i64>,
    pub kind: Option<String>,
    pub approval: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

const FROM: &str = " FROM activities a JOIN orgs o ON o.id = a.org_id";

fn where_clause(db: &Db, f: &ActivityFilter, args: &mut Args) -> String {
    let pg = matches!(db, Db::Postgres(_));
    let mut sql = String::from(" WHERE 1 = 1");
    if let Some(scope) = &f.scope_path {
        let p = args.push(Arg::Text(scope.clone()));
        sql.push_str(&format!(" AND a.org_id IN {}", super::scope_ids(db, &p)));
    }
    if let Some(member) = f.member_id {
        let p = args.push(Arg::Int(member));
        sql.push_str(&format!(
            " AND (a.logged_by = {p} OR EXISTS (SELECT 1 FROM activity_invitations i \
             WHERE i.activity_id = a.id AND i.member_id = {p}))"
        ));
    }
    for (column, value) in [("a.org_id", f.org_id), ("a.group_id", f.group_id)] {
        if let Some(v) = value {
            let p = args.push(Arg::Int(v));
            sql.push_str(&format!(" AND {column} = {p}"));
        }
    }
    for (column, value) in [("a.kind", &f.kind), ("a.approval", &f.approval)] {
        if let Some(v) = value {
            let p = args.push(Arg::Text(v.clone()));
            sql.push_str(&format!(" AND {column} = {p}"));
        }
    }
    // Dates are ISO text on SQLite (compared as text) and DATE on
    // PostgreSQL, which needs the text parameter cast.
    for (op, value) in [(">=", f.from), ("<=", f.to)] {
        if let Some(d) = value {
            let p = args.push(Arg::Text(d.format("%Y-%m-%d").to_string()));
            if pg {
                sql.push_str(&format!(" AND a.held_on {op} CAST({p} AS DATE)"));
            } else {
                sql.push_str(&format!(" AND a.held_on {op} {p}"));
            }
        }
    }
    sql
}

pub async fn list(
    db: &Db,
    filter: &ActivityFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Activity>, i64), sqlx::Error> {
    let mut args = Args::default();
    let where_sql = where_clause(db, filter, &mut args);
    // The filter names activities' columns only: counting needs no join.
    let count_sql = format!("SELECT COUNT(*) FROM activities a{where_sql}");
    let total: i64 =
        on_db!(db, pool => bind_args!(sqlx::query_scalar(&count_sql), args).fetch_one(pool).await)?;
    let l = args.push(Arg::Int(limit));
    let o = args.push(Arg::Int(offset));
    let sql = format!(
        "SELECT {COLUMNS}{FROM}{where_sql} ORDER BY a.held_on DESC, a.id DESC LIMIT {l} OFFSET {o}"
    );
    let rows = on_db!(db, pool => bind_args!(sqlx::query_as::<_, Activity>(&sql), args).fetch_all(pool).await)?;
    Ok((rows, total))
}

/// The date of the latest activity the filter selects, if any.
pub async fn latest_held_on(
    db: &Db,
    filter: &ActivityFilter,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    let mut args = Args::default();
    let where_sql = where_clause(db, filter, &mut args);
    let sql = format!("SELECT MAX(a.held_on) FROM activities a{where_sql}");
    on_db!(db, pool => bind_args!(sqlx::query_scalar::<_, Option<NaiveDate>>(&sql), args).fetch_one(pool).await)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Activity>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM activities a WHERE a.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, Activity>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn find_by_title(
    db: &Db,
    org_id: i64,
    title: &str,
    held_on: NaiveDate,
) -> Result<Option<i64>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar(
        "SELECT id FROM activities WHERE org_id = $1 AND title = $2 AND held_on = $3")
        .bind(org_id).bind(title).bind(held_on).fetch_optional(pool).await)
}

pub async fn insert(
    tx: &mut Tx,
    v: &ActivityValues,
    approval: &str,
    logged_by: Option<i64>,
    created_by: i64,
) -> Result<i64, sqlx::Error> {
    let now = Utc::now();
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO activities (org_id, group_id, kind, title, held_on, place, organiser, description, \
         amount_yuan, five_ones, approval, logged_by, created_by, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, 1) RETURNING id")
        .bind(v.org_id).bind(v.group_id).bind(&v.kind).bind(&v.title).bind(v.held_on)
        .bind(&v.place).bind(&v.organiser).bind(&v.description).bind(v.amount_yuan)
        .bind(&v.five_ones).bind(approval).bind(logged_by).bind(created_by).bind(now)
        .fetch_one(conn).await)
}

/// Update when the stored version is still `expected_version`.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    expected_version: i64,
    v: &ActivityValues,
) -> Result<bool, sqlx::Error> {
    let now = Utc::now();
    let n = on_tx!(tx, conn => sqlx::query(
        "UPDATE activities SET org_id = $1, group_id = $2, kind = $3, title = $4, held_on = $5, place = $6, \
         organiser = $7, description = $8, amount_yuan = $9, five_ones = $10, updated_at = $11, \
         version = version + 1 WHERE id = $12 AND version = $13")
        .bind(v.org_id).bind(v.group_id).bind(&v.kind).bind(&v.title).bind(v.held_on)
        .bind(&v.place).bind(&v.organiser).bind(&v.description).bind(v.amount_yuan)
        .bind(&v.five_ones).bind(now).bind(id).bind(expected_version)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Record staff's decision on a member's log, if it is still at `expected_version`.
pub async fn decide(
    tx: &mut Tx,
    id: i64,
    expected_version: i64,
    approval: &str,
    reason: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let n = on_tx!(tx, conn => sqlx::query(
        "UPDATE activities SET approval = $1, decision_reason = $2, updated_at = $3, version = version + 1 \
         WHERE id = $4 AND version = $5 AND approval = 'pending'")
        .bind(approval).bind(reason).bind(Utc::now()).bind(id).bind(expected_version)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Invitation {
    pub id: i64,
    pub activity_id: i64,
    pub member_id: i64,
    /// The member's name.
    pub member_name: String,
    /// pending | confirmed | excused
    pub reply: String,
    pub reply_reason: Option<String>,
    /// present | excused | absent, once staff confirm it.
    pub attendance: Option<String>,
    pub attendance_reason: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

const INVITATION_COLUMNS: &str =
    "i.id, i.activity_id, i.member_id, m.name AS member_name, i.reply, \
    i.reply_reason, i.attendance, i.attendance_reason, i.updated_at, i.version";

pub async fn invitations(db: &Db, activity_id: i64) -> Result<Vec<Invitation>, sqlx::Error> {
    let sql = format!(
        "SELECT {INVITATION_COLUMNS} FROM activity_invitations i JOIN members m ON m.id = i.member_id \
         WHERE i.activity_id = $1 ORDER BY m.name_key, i.id"
    );
    on_db!(db, pool => sqlx::query_as::<_, Invitation>(&sql).bind(activity_id).fetch_all(pool).await)
}

/// The invitations of every activity `filter` selects (an export), by the
/// activity's date as the list orders it, then by name; `only_member`: that
/// member's own invitations alone.
pub async fn invitations_of(
    db: &Db,
    filter: &ActivityFilter,
    only_member: Option<i64>,
) -> Result<Vec<Invitation>, sqlx::Error> {
    let mut args = Args::default();
    let where_sql = where_clause(db, filter, &mut args);
    let mine = match only_member {
        Some(id) => format!(" AND i.member_id = {}", args.push(Arg::Int(id))),
        None => String::new(),
    };
    let sql = format!(
        "SELECT {INVITATION_COLUMNS} FROM activity_invitations i JOIN members m ON m.id = i.member_id \
         JOIN activities a ON a.id = i.activity_id{where_sql}{mine} \
         ORDER BY a.held_on DESC, a.id DESC, m.name_key, i.id"
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, Invitation>(&sql), args).fetch_all(pool).await)
}

pub async fn invitation(
    db: &Db,
    activity_id: i64,
    member_id: i64,
) -> Result<Option<Invitation>, sqlx::Error> {
    let sql = format!(
        "SELECT {INVITATION_COLUMNS} FROM activity_invitations i JOIN members m ON m.id = i.member_id \
         WHERE i.activity_id = $1 AND i.member_id = $2"
    );
    on_db!(db, pool => sqlx::query_as::<_, Invitation>(&sql).bind(activity_id).bind(member_id).fetch_optional(pool).await)
}

/// Invite a member; false when they were invited already.
pub async fn invite(
    tx: &mut Tx,
    activity_id: i64,
    member_id: i64,
    reply: &str,
) -> Result<bool, sqlx::Error> {
    let now = Utc::now();
    let n = on_tx!(tx, conn => sqlx::query(
        "INSERT INTO activity_invitations (activity_id, member_id, reply, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $4, 1) ON CONFLICT (activity_id, member_id) DO NOTHING")
        .bind(activity_id).bind(member_id).bind(reply).bind(now)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn set_reply(
    tx: &mut Tx,
    activity_id: i64,
    member_id: i64,
    reply: &str,
    reason: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let n = on_tx!(tx, conn => sqlx::query(
        "UPDATE activity_invitations SET reply = $1, reply_reason = $2, updated_at = $3, version = version + 1 \
         WHERE activity_id = $4 AND member_id = $5")
        .bind(reply).bind(reason).bind(Utc::now()).bind(activity_id).bind(member_id)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn set_attendance(
    tx: &mut Tx,
    activity_id: i64,
    member_id: i64,
    attendance: &str,
    reason: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let n = on_tx!(tx, conn => sqlx::query(
        "UPDATE activity_invitations SET attendance = $1, attendance_reason = $2, updated_at = $3, \
         version = version + 1 WHERE activity_id = $4 AND member_id = $5")
        .bind(attendance).bind(reason).bind(Utc::now()).bind(activity_id).bind(member_id)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// One line of a member's 'five-ones' evidence: an activity tagged with an
/// item, with the member's attendance there.
#[derive(Debug, Clone, FromRow)]
pub struct FiveOnesActivity {
    pub activity_id: i64,
    pub title: String,
    pub held_on: NaiveDate,
    pub kind: String,
    pub five_ones: String,
    pub approval: crate::domain::activities::Approval,
    pub attendance: Option<String>,
}

/// Tagged activities of a member within a date range.
pub async fn five_ones_activities(
    db: &Db,
    member_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<FiveOnesActivity>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, FiveOnesActivity>(
        "SELECT a.id AS activity_id, a.title, a.held_on, a.kind, a.five_ones, a.approval, i.attendance \
         FROM activities a JOIN activity_invitations i ON i.activity_id = a.id \
         WHERE i.member_id = $1 AND a.five_ones IS NOT NULL AND a.held_on >= $2 AND a.held_on <= $3 \
         ORDER BY a.held_on, a.id")
        .bind(member_id).bind(from).bind(to).fetch_all(pool).await)
}

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct ResearchReport {
    pub id: i64,
    pub activity_id: i64,
    pub title: String,
    pub body: String,
    /// Who it was submitted to, e.g. 区政协.
    pub submitted_to: String,
    pub submitted_on: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

pub async fn report(db: &Db, activity_id: i64) -> Result<Option<ResearchReport>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, ResearchReport>(
        "SELECT id, activity_id, title, body, submitted_to, submitted_on, created_at, updated_at, version \
         FROM research_reports WHERE activity_id = $1")
        .bind(activity_id).fetch_optional(pool).await)
}

pub struct ReportValues {
    pub title: String,
    pub body: String,
    pub submitted_to: String,
    pub submitted_on: NaiveDate,
}

pub async fn insert_report(
    tx: &mut Tx,
    activity_id: i64,
    v: &ReportValues,
) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO research_reports (activity_id, title, body, submitted_to, submitted_on, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, 1) RETURNING id")
        .bind(activity_id).bind(&v.title).bind(&v.body).bind(&v.submitted_to).bind(v.submitted_on)
        .bind(Utc::now()).fetch_one(conn).await)
}

pub async fn update_report(
    tx: &mut Tx,
    id: i64,
    expected_version: i64,
    v: &ReportValues,
) -> Result<bool, sqlx::Error> {
    let n = on_tx!(tx, conn => sqlx::query(
        "UPDATE research_reports SET title = $1, body = $2, submitted_to = $3, submitted_on = $4, \
         updated_at = $5, version = version + 1 WHERE id = $6 AND version = $7")
        .bind(&v.title).bind(&v.body).bind(&v.submitted_to).bind(v.submitted_on).bind(Utc::now())
        .bind(id).bind(expected_version)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
