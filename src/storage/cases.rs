//! Cases, their append-only timeline (`case_events`), figures, and the
//! per-address record of public submissions.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::reception::date_param;
use super::{Arg, Args, Db, Tx};
use crate::{bind_args, on_db, on_tx};

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Case {
    pub id: i64,
    pub org_id: i64,
    /// visit | online
    pub source: String,
    pub visit_id: Option<i64>,
    /// The member on duty who took the case up.
    pub raised_by: Option<i64>,
    pub community: String,
    pub title: String,
    pub description: String,
    pub contact_name: Option<String>,
    #[serde(skip)]
    pub contact_phone_enc: Option<String>,
    /// Masked, e.g. `138****5678`.
    pub contact_phone_masked: Option<String>,
    pub received_on: NaiveDate,
    /// registered | forwarded | in_progress | resolved | followed_up | closed
    pub status: crate::domain::cases::CaseStatus,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub forwarded_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub resolved_on: Option<NaiveDate>,
    /// The department's reply.
    pub reply: Option<String>,
    /// satisfied | basically_satisfied | unsatisfied
    pub satisfaction: Option<String>,
    /// Times the case was escalated (督办).
    pub escalations: i64,
    pub last_escalated_on: Option<NaiveDate>,
    #[serde(skip)]
    pub tracking_hash: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: send it back with every step.
    pub version: i64,
    /// The committee's path, for the scope check without another query.
    #[serde(skip)]
    pub org_path: String,
}

const COLUMNS: &str = "c.id, c.org_id, c.source, c.visit_id, c.raised_by, c.community, c.title, c.description, \
    c.contact_name, c.contact_phone_enc, c.contact_phone_masked, c.received_on, c.status, c.department_id, \
    dp.name AS department_name, c.forwarded_on, c.due_on, c.resolved_on, c.reply, c.satisfaction, c.escalations, \
    c.last_escalated_on, c.tracking_hash, c.created_at, c.updated_at, c.version, o.path AS org_path";

const FROM: &str = " FROM cases c JOIN orgs o ON o.id = c.org_id LEFT JOIN departments dp ON dp.id = c.department_id";

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct CaseEvent {
    pub id: i64,
    pub case_id: i64,
    pub at: DateTime<Utc>,
    /// The date the step happened (may be earlier than `at` for records entered later).
    pub occurred_on: NaiveDate,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub department_id: Option<i64>,
    /// What the user typed as the step's note, as typed.
    pub note: Option<String>,
    /// What the step set down besides the note: a department's reply, a
    /// follow-up's satisfaction.
    pub detail: Option<String>,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    /// Who took the step, by name.
    pub user_name: Option<String>,
}

pub struct NewCase<'a> {
    pub org_id: i64,
    pub source: &'a str,
    pub visit_id: Option<i64>,
    pub raised_by: Option<i64>,
    pub community: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub contact_name: Option<&'a str>,
    pub contact_phone_enc: Option<String>,
    pub contact_phone_masked: Option<String>,
    pub received_on: NaiveDate,
    pub tracking_hash: Option<String>,
}

pub async fn insert(tx: &mut Tx, c: &NewCase<'_>) -> Result<i64, sqlx::Error> {
    let now = Utc::now();
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO cases (org_id, source, visit_id, raised_by, community, title, description, contact_name, \
         contact_phone_enc, contact_phone_masked, received_on, status, escalations, tracking_hash, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'registered', 0, $12, $13, $13, 1) RETURNING id")
        .bind(c.org_id).bind(c.source).bind(c.visit_id).bind(c.raised_by).bind(c.community).bind(c.title)
        .bind(c.description).bind(c.contact_name).bind(&c.contact_phone_enc).bind(&c.contact_phone_masked)
        .bind(c.received_on).bind(&c.tracking_hash).bind(now).fetch_one(conn).await)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Case>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS}{FROM} WHERE c.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, Case>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn find_by_tracking_hash(db: &Db, hash: &str) -> Result<Option<Case>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS}{FROM} WHERE c.tracking_hash = $1");
    on_db!(db, pool => sqlx::query_as::<_, Case>(&sql).bind(hash).fetch_optional(pool).await)
}

/// Which cases a list shows.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Cases of committees within this path (staff), …
    pub scope_path: Option<String>,
    /// … or of this department only (department handlers), …
    pub department_id: Option<i64>,
    /// … or those this member took up (a member follows their own).
    pub raised_by: Option<i64>,
    pub status: Option<String>,
    /// Received on or after / before.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Only cases still with a department (forwarded or in progress).
    pub open_only: bool,
    /// Soonest due first (then the longest waiting), instead of newest first.
    pub urgent_first: bool,
    /// Still with a department and past due on this day.
    pub overdue_on: Option<NaiveDate>,
}

/// The WHERE clause of a filter, with its arguments.
fn filter_sql(db: &Db, f: &CaseFilter, args: &mut Args) -> String {
    let mut sql = String::from(" WHERE 1 = 1");
    if let Some(scope) = &f.scope_path {
        let p = args.push(Arg::Text(scope.clone()));
        sql.push_str(&format!(" AND c.org_id IN {}", super::scope_ids(db, &p)));
    }
    sql.push_str(&conditions_sql(db, f, args));
    sql
}

/// The filter's conditions but its scope, each starting with ` AND`.
fn conditions_sql(db: &Db, f: &CaseFilter, args: &mut Args) -> String {
    let mut sql = String::new();
    if let Some(department) = f.department_id {
        let p = args.push(Arg::Int(department));
        sql.push_str(&format!(" AND c.department_id = {p}"));
    }
    if let Some(member) = f.raised_by {
        let p = args.push(Arg::Int(member));
        sql.push_str(&format!(" AND c.raised_by = {p}"));
    }
    if let Some(status) = &f.status {
        let p = args.push(Arg::Text(status.clone()));
        sql.push_str(&format!(" AND c.status = {p}"));
    }
    if f.open_only {
        sql.push_str(" AND c.status IN ('forwarded', 'in_progress')");
    }
    if let Some(today) = f.overdue_on {
        let p = args.push(Arg::Text(today.to_string()));
        sql.push_str(&format!(
            " AND c.status IN ('forwarded', 'in_progress') AND c.due_on < {}",
            date_param(db, &p)
        ));
    }
    if let Some(from) = f.from {
        let p = args.push(Arg::Text(from.to_string()));
        sql.push_str(&format!(" AND c.received_on >= {}", date_param(db, &p)));
    }
    if let Some(to) = f.to {
        let p = args.push(Arg::Text(to.to_string()));
        sql.push_str(&format!(" AND c.received_on <= {}", date_param(db, &p)));
    }
    sql
}

/// One page of the cases a filter selects: soonest due first for a
/// department or an urgent-first filter, otherwise newest first.
pub async fn list_page(
    db: &Db,
    f: &CaseFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<Case>, sqlx::Error> {
    let urgent = f.department_id.is_some() || f.urgent_first;
    // Soonest due first, undated last: PostgreSQL's ascending order puts
    // NULLs last already (and so reads its index in order); SQLite's puts
    // them first.
    let order = |t: &str| match (urgent, db) {
        (true, Db::Sqlite(_)) => format!("{t}.due_on IS NULL, {t}.due_on, {t}.received_on, {t}.id"),
        (true, Db::Postgres(_)) => format!("{t}.due_on, {t}.received_on, {t}.id"),
        (false, _) => format!("{t}.received_on DESC, {t}.id DESC"),
    };
    let mut args = Args::default();
    let ids = match (&f.scope_path, db) {
        // PostgreSQL takes the first `offset + limit` cases of each
        // organisation of the scope from its index, then the page from
        // those: a page costs the same whatever the district holds.
        // SQLite (no LATERAL) sorts the scope's entries of the index, which
        // it does fast enough in-process.
        (Some(scope), Db::Postgres(_)) => {
            let s = args.push(Arg::Text(scope.clone()));
            let conditions = conditions_sql(db, f, &mut args);
            let l = args.push(Arg::Int(limit));
            let o = args.push(Arg::Int(offset));
            format!(
                "SELECT x.id FROM {scope} so CROSS JOIN LATERAL \
                 (SELECT c.id, c.due_on, c.received_on FROM cases c \
                 WHERE c.org_id = so.id{conditions} ORDER BY {inner} LIMIT {l} + {o}) x \
                 ORDER BY {outer} LIMIT {l} OFFSET {o}",
                scope = super::scope_ids(db, &s),
                inner = order("c"),
                outer = order("x"),
            )
        }
        _ => {
            let filter = filter_sql(db, f, &mut args);
            let l = args.push(Arg::Int(limit));
            let o = args.push(Arg::Int(offset));
            format!(
                "SELECT c.id FROM cases c{filter} ORDER BY {order} LIMIT {l} OFFSET {o}",
                order = order("c")
            )
        }
    };
    // The page's ids are chosen from the indexes alone; only those rows are
    // read whole (a district holds thousands of cases with long texts).
    let sql = format!(
        "SELECT {COLUMNS}{FROM} WHERE c.id IN ({ids}) ORDER BY {order}",
        order = order("c")
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, Case>(&sql), args).fetch_all(pool).await)
}

/// The first `limit` cases a filter selects.
pub async fn list(db: &Db, f: &CaseFilter, limit: i64) -> Result<Vec<Case>, sqlx::Error> {
    list_page(db, f, limit, 0).await
}

/// How many cases a filter selects.
/// How many match, per committee holding them (for a parent's rows of its
/// child committees: one statement, not one per child).
pub async fn count_by_org(db: &Db, f: &CaseFilter) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let mut args = Args::default();
    let sql = format!(
        "SELECT c.org_id, COUNT(*) FROM cases c{} GROUP BY c.org_id",
        filter_sql(db, f, &mut args)
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, (i64, i64)>(&sql), args).fetch_all(pool).await)
}

pub async fn count(db: &Db, f: &CaseFilter) -> Result<i64, sqlx::Error> {
    let mut args = Args::default();
    let sql = format!(
        "SELECT COUNT(*) FROM cases c{}",
        filter_sql(db, f, &mut args)
    );
    on_db!(db, pool => bind_args!(sqlx::query_scalar::<_, i64>(&sql), args).fetch_one(pool).await)
}

/// The values a step writes.
#[derive(Debug, Clone)]
pub struct CaseUpdate {
    pub status: crate::domain::cases::CaseStatus,
    pub department_id: Option<i64>,
    pub forwarded_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub resolved_on: Option<NaiveDate>,
    pub reply: Option<String>,
    pub satisfaction: Option<String>,
    pub escalations: i64,
    pub last_escalated_on: Option<NaiveDate>,
}

impl CaseUpdate {
    pub fn of(c: &Case) -> Self {
        CaseUpdate {
            status: c.status,
            department_id: c.department_id,
            forwarded_on: c.forwarded_on,
            due_on: c.due_on,
            resolved_on: c.resolved_on,
            reply: c.reply.clone(),
            satisfaction: c.satisfaction.clone(),
            escalations: c.escalations,
            last_escalated_on: c.last_escalated_on,
        }
    }
}

/// Write a step when the stored version is still `expected_version`; false
/// when someone else changed the case first.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    expected_version: i64,
    u: &CaseUpdate,
) -> Result<bool, sqlx::Error> {
    let affected = on_tx!(tx, conn => sqlx::query(
        "UPDATE cases SET status = $1, department_id = $2, forwarded_on = $3, due_on = $4, resolved_on = $5, \
         reply = $6, satisfaction = $7, escalations = $8, last_escalated_on = $9, updated_at = $10, \
         version = version + 1 WHERE id = $11 AND version = $12")
        .bind(u.status.as_str()).bind(u.department_id).bind(u.forwarded_on).bind(u.due_on).bind(u.resolved_on)
        .bind(&u.reply).bind(&u.satisfaction).bind(u.escalations).bind(u.last_escalated_on).bind(Utc::now())
        .bind(id).bind(expected_version)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(affected == 1)
}

/// Count this address's submissions since `since` and record one more, in
/// the caller's transaction (serialised, so parallel requests cannot slip past).
/// `ip` is the address for a case submitted on the public page, and
/// `track <address>` for a tracking-code look-up.
pub async fn record_submission(
    tx: &mut Tx,
    ip: &str,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    if let Tx::Postgres(pg) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('lvzhi-public-cases'))")
            .execute(&mut **pg)
            .await?;
    }
    let before: i64 = on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COUNT(*) FROM public_submissions WHERE ip = $1 AND at > $2")
        .bind(ip).bind(since).fetch_one(&mut *conn).await)?;
    on_tx!(tx, conn => sqlx::query("INSERT INTO public_submissions (ip, at) VALUES ($1, $2)")
        .bind(ip).bind(Utc::now()).execute(conn).await.map(|_| ()))?;
    Ok(before)
}

/// Case counts of one status, for the figures (see `services::cases::figures`).
#[derive(Debug, Clone, FromRow)]
pub struct StatusFigures {
    pub status: crate::domain::cases::CaseStatus,
    /// Received in the period, of which online.
    pub received: i64,
    pub online: i64,
    /// Forwarded / resolved in the period (by those dates).
    pub forwarded: i64,
    pub resolved: i64,
    pub resolved_on_time: i64,
    /// Calendar days from receipt to resolution, summed over the resolved.
    pub days_to_resolve: i64,
    /// The latest follow-up of the cases received in the period.
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub unsatisfied: i64,
    /// Received in the period and past their due date on `today`.
    pub overdue: i64,
}

/// Case figures of committees within `scope_path`, one row per status,
/// counted by the database (no case is loaded).
pub async fn figures_by_status(
    db: &Db,
    scope_path: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Vec<StatusFigures>, sqlx::Error> {
    let mut args = Args::default();
    let s = args.push(Arg::Text(scope_path.to_string()));
    let from = from.map(|d| date_param(db, &args.push(Arg::Text(d.to_string()))));
    let to = to.map(|d| date_param(db, &args.push(Arg::Text(d.to_string()))));
    let today = date_param(db, &args.push(Arg::Text(today.to_string())));
    // "The date is set and within the period."
    let within = |column: &str| {
        let mut sql = format!("{column} IS NOT NULL");
        if let Some(f) = &from {
            sql.push_str(&format!(" AND {column} >= {f}"));
        }
        if let Some(t) = &to {
            sql.push_str(&format!(" AND {column} <= {t}"));
        }
        sql
    };
    let received = within("c.received_on");
    let forwarded = within("c.forwarded_on");
    let resolved = within("c.resolved_on");
    let days = match db {
        Db::Sqlite(_) => {
            "CAST(julianday(c.resolved_on) - julianday(c.received_on) AS INTEGER)".to_string()
        }
        Db::Postgres(_) => "(c.resolved_on - c.received_on)".to_string(),
    };
    // Counts as aggregate filters rather than sums of CASE expressions: the
    // same figures, in half the time on PostgreSQL (BENCHMARKS.md, "Fifth
    // run"). A sum over no rows is NULL, hence the COALESCE; both engines
    // return BIGINT for it.
    let count = |condition: &str| format!("COUNT(*) FILTER (WHERE {condition})");
    let days_sum = format!("COALESCE(SUM({days}) FILTER (WHERE {resolved}), 0)");
    let sql = format!(
        "SELECT c.status, {received_n} AS received, {online} AS online, {forwarded_n} AS forwarded, \
         {resolved_n} AS resolved, {on_time} AS resolved_on_time, \
         {days_sum} AS days_to_resolve, \
         {satisfied} AS satisfied, {basically} AS basically_satisfied, {unsatisfied} AS unsatisfied, \
         {overdue} AS overdue \
         FROM cases c WHERE c.org_id IN {scope} GROUP BY c.status",
        scope = super::scope_ids(db, &s),
        received_n = count(&received),
        online = count(&format!("{received} AND c.source = 'online'")),
        forwarded_n = count(&forwarded),
        resolved_n = count(&resolved),
        on_time = count(&format!(
            "{resolved} AND c.due_on IS NOT NULL AND c.resolved_on <= c.due_on"
        )),
        satisfied = count(&format!("{received} AND c.satisfaction = 'satisfied'")),
        basically = count(&format!("{received} AND c.satisfaction = 'basically_satisfied'")),
        unsatisfied = count(&format!("{received} AND c.satisfaction = 'unsatisfied'")),
        overdue = count(&format!(
            "{received} AND c.status IN ('forwarded', 'in_progress') AND c.due_on IS NOT NULL AND c.due_on < {today}"
        )),
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, StatusFigures>(&sql), args).fetch_all(pool).await)
}

/// A key that changes whenever a change to a case becomes visible, so that
/// figures counted under one key hold while it stays. On SQLite, whose
/// writers take turns, ids grow in commit order, and every change to a case
/// adds a case or a case event (events are append-only): the newest of each.
/// On PostgreSQL concurrent transactions may commit out of id order, so the
/// key is the snapshot of committed transactions itself.
pub async fn data_version(db: &Db) -> Result<String, sqlx::Error> {
    match db {
        Db::Sqlite(pool) => {
            let (cases, events) = sqlx::query_as::<_, (i64, i64)>(
                "SELECT COALESCE((SELECT MAX(id) FROM cases), 0), \
                 COALESCE((SELECT MAX(id) FROM case_events), 0)",
            )
            .fetch_one(pool)
            .await?;
            Ok(format!("{cases}:{events}"))
        }
        Db::Postgres(pool) => {
            sqlx::query_scalar::<_, String>("SELECT CAST(pg_current_snapshot() AS TEXT)")
                .fetch_one(pool)
                .await
        }
    }
}

/// Reception days held, visits and visitors within a scope and period, counted.
pub async fn reception_figures(
    db: &Db,
    scope_path: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(i64, i64, i64), sqlx::Error> {
    let mut args = Args::default();
    let s = args.push(Arg::Text(scope_path.to_string()));
    let mut range = String::new();
    if let Some(from) = from {
        let p = args.push(Arg::Text(from.to_string()));
        range.push_str(&format!(" AND d.held_on >= {}", date_param(db, &p)));
    }
    if let Some(to) = to {
        let p = args.push(Arg::Text(to.to_string()));
        range.push_str(&format!(" AND d.held_on <= {}", date_param(db, &p)));
    }
    let sql = format!(
        "SELECT (SELECT COUNT(*) FROM reception_days d \
           WHERE d.org_id IN {scope}{range}), \
         (SELECT COUNT(*) FROM visits v JOIN reception_days d ON d.id = v.reception_day_id \
           WHERE d.org_id IN {scope}{range}), \
         (SELECT CAST(COALESCE(SUM(v.people), 0) AS BIGINT) FROM visits v \
           JOIN reception_days d ON d.id = v.reception_day_id \
           WHERE d.org_id IN {scope}{range})",
        scope = super::scope_ids(db, &s),
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, (i64, i64, i64)>(&sql), args).fetch_one(pool).await)
}
