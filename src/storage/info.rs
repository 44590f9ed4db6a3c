//! Information reports, their adoptions and leaders' instructions, and their
//! append-only timeline (`info_events`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::reception::date_param;
use super::{Arg, Args, Db, Tx};
use crate::{bind_args, on_db, on_tx};

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct InfoReport {
    pub id: i64,
    /// The committee.
    pub org_id: i64,
    /// The member who wrote it; none for the committee's own report.
    pub author_member_id: Option<i64>,
    pub author_name: Option<String>,
    /// social_condition | work
    pub kind: String,
    /// The title (标题); `headline` in the API, as in its input.
    #[serde(rename = "headline")]
    pub title: String,
    /// The text (正文); `text` in the API, as in its input.
    #[serde(rename = "text")]
    pub body: String,
    /// submitted | edited | forwarded | adopted | withdrawn
    pub status: crate::domain::info::InfoStatus,
    pub submitted_on: NaiveDate,
    pub edited_on: Option<NaiveDate>,
    pub forwarded_on: Option<NaiveDate>,
    /// Whom it was forwarded to (上报), e.g. 二七区政协.
    pub forwarded_to: Option<String>,
    /// The proposal (not accepted) it was made from.
    pub origin_proposal_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: send it back with every edit and step.
    pub version: i64,
}

const COLUMNS: &str =
    "r.id, r.org_id, r.author_member_id, m.name AS author_name, r.kind, r.title, r.body, \
    r.status, r.submitted_on, r.edited_on, r.forwarded_on, r.forwarded_to, r.origin_proposal_id, \
    r.created_by, r.created_at, r.updated_at, r.version";

const FROM: &str = " FROM info_reports r JOIN orgs o ON o.id = r.org_id \
    LEFT JOIN members m ON m.id = r.author_member_id";

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Adoption {
    pub id: i64,
    pub report_id: i64,
    /// district | city | province | national
    pub level: String,
    pub adopted_on: NaiveDate,
    /// Where it was published, e.g. 《二七政协信息》2011年第5期.
    pub publication: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Instruction {
    pub id: i64,
    pub report_id: i64,
    /// Who gave it, e.g. 区委副书记.
    pub leader: String,
    pub content: String,
    pub instructed_on: NaiveDate,
}

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct InfoEvent {
    pub id: i64,
    pub report_id: i64,
    pub at: DateTime<Utc>,
    /// The date the step happened (may be earlier than `at` for records entered later).
    pub occurred_on: NaiveDate,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    /// What the user typed as the step's note, as typed.
    pub note: Option<String>,
    /// What the step set down besides the note: the committee forwarded to,
    /// an adoption's level and publication, a leader's instruction.
    pub detail: Option<String>,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    /// Who took the step, by name.
    pub user_name: Option<String>,
}

pub struct NewReport<'a> {
    pub org_id: i64,
    pub author_member_id: Option<i64>,
    pub kind: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub submitted_on: NaiveDate,
    pub origin_proposal_id: Option<i64>,
    pub created_by: Option<i64>,
}

pub async fn insert(tx: &mut Tx, r: &NewReport<'_>) -> Result<i64, sqlx::Error> {
    let now = Utc::now();
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO info_reports (org_id, author_member_id, kind, title, body, status, submitted_on, \
         origin_proposal_id, created_by, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, 'submitted', $6, $7, $8, $9, $9, 1) RETURNING id")
        .bind(r.org_id).bind(r.author_member_id).bind(r.kind).bind(r.title).bind(r.body)
        .bind(r.submitted_on).bind(r.origin_proposal_id).bind(r.created_by).bind(now)
        .fetch_one(conn).await)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<InfoReport>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS}{FROM} WHERE r.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, InfoReport>(&sql).bind(id).fetch_optional(pool).await)
}

/// A committee's report with this exact title (the demo loads each once).
pub async fn find_by_title(
    db: &Db,
    org_id: i64,
    title: &str,
) -> Result<Option<InfoReport>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS}{FROM} WHERE r.org_id = $1 AND r.title = $2 ORDER BY r.id LIMIT 1"
    );
    on_db!(db, pool => sqlx::query_as::<_, InfoReport>(&sql).bind(org_id).bind(title).fetch_optional(pool).await)
}

/// Every report, or those with the given ids, for the search index.
pub async fn for_index(db: &Db, ids: Option<&[i64]>) -> Result<Vec<InfoReport>, sqlx::Error> {
    let mut args = Args::default();
    let mut sql = format!("SELECT {COLUMNS}{FROM}");
    if let Some(ids) = ids {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = ids.iter().map(|id| args.push(Arg::Int(*id))).collect();
        sql.push_str(&format!(" WHERE r.id IN ({})", placeholders.join(", ")));
    }
    sql.push_str(" ORDER BY r.id");
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, InfoReport>(&sql), args).fetch_all(pool).await)
}

/// Which reports a list shows.
#[derive(Debug, Clone, Default)]
pub struct InfoFilter {
    /// Reports of committees within this path (staff), …
    pub scope_path: Option<String>,
    /// … or of this author only (a member).
    pub author_member_id: Option<i64>,
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Submitted on or after / before.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

fn filter_sql(db: &Db, f: &InfoFilter, args: &mut Args) -> String {
    let mut sql = String::from(" WHERE 1 = 1");
    if let Some(scope) = &f.scope_path {
        let p = args.push(Arg::Text(scope.clone()));
        sql.push_str(&format!(" AND r.org_id IN {}", super::scope_ids(db, &p)));
    }
    if let Some(author) = f.author_member_id {
        let p = args.push(Arg::Int(author));
        sql.push_str(&format!(" AND r.author_member_id = {p}"));
    }
    if let Some(kind) = &f.kind {
        let p = args.push(Arg::Text(kind.clone()));
        sql.push_str(&format!(" AND r.kind = {p}"));
    }
    if let Some(status) = &f.status {
        let p = args.push(Arg::Text(status.clone()));
        sql.push_str(&format!(" AND r.status = {p}"));
    }
    if let Some(from) = f.from {
        let p = args.push(Arg::Text(from.to_string()));
        sql.push_str(&format!(" AND r.submitted_on >= {}", date_param(db, &p)));
    }
    if let Some(to) = f.to {
        let p = args.push(Arg::Text(to.to_string()));
        sql.push_str(&format!(" AND r.submitted_on <= {}", date_param(db, &p)));
    }
    sql
}

/// One page of the reports a filter selects, newest first.
pub async fn list_page(
    db: &Db,
    f: &InfoFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<InfoReport>, sqlx::Error> {
    let mut args = Args::default();
    let mut sql = format!("SELECT {COLUMNS}{FROM}{}", filter_sql(db, f, &mut args));
    let l = args.push(Arg::Int(limit));
    let o = args.push(Arg::Int(offset));
    sql.push_str(&format!(
        " ORDER BY r.submitted_on DESC, r.id DESC LIMIT {l} OFFSET {o}"
    ));
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, InfoReport>(&sql), args).fetch_all(pool).await)
}

/// How many reports a filter selects.
/// How many match, per committee holding them (see `cases::count_by_org`).
pub async fn count_by_org(db: &Db, f: &InfoFilter) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let mut args = Args::default();
    let sql = format!(
        "SELECT r.org_id, COUNT(*){FROM}{} GROUP BY r.org_id",
        filter_sql(db, f, &mut args)
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, (i64, i64)>(&sql), args).fetch_all(pool).await)
}

pub async fn count(db: &Db, f: &InfoFilter) -> Result<i64, sqlx::Error> {
    let mut args = Args::default();
    let sql = format!("SELECT COUNT(*){FROM}{}", filter_sql(db, f, &mut args));
    on_db!(db, pool => bind_args!(sqlx::query_scalar::<_, i64>(&sql), args).fetch_one(pool).await)
}

/// The values an edit or a step writes.
#[derive(Debug, Clone)]
pub struct ReportUpdate {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub status: crate::domain::info::InfoStatus,
    pub edited_on: Option<NaiveDate>,
    pub forwarded_on: Option<NaiveDate>,
    pub forwarded_to: Option<String>,
}

impl ReportUpdate {
    pub fn of(r: &InfoReport) -> Self {
        ReportUpdate {
            kind: r.kind.clone(),
            title: r.title.clone(),
            body: r.body.clone(),
            status: r.status,
            edited_on: r.edited_on,
            forwarded_on: r.forwarded_on,
            forwarded_to: r.forwarded_to.clone(),
        }
    }
}

/// Write an edit or step when the stored version is still
/// `expected_version`; false when someone else changed the report first.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    expected_version: i64,
    u: &ReportUpdate,
) -> Result<bool, sqlx::Error> {
    let affected = on_tx!(tx, conn => sqlx::query(
        "UPDATE info_reports SET kind = $1, title = $2, body = $3, status = $4, edited_on = $5, \
         forwarded_on = $6, forwarded_to = $7, updated_at = $8, version = version + 1 \
         WHERE id = $9 AND version = $10")
        .bind(&u.kind).bind(&u.title).bind(&u.body).bind(u.status.as_str()).bind(u.edited_on)
        .bind(u.forwarded_on).bind(&u.forwarded_to).bind(Utc::now()).bind(id).bind(expected_version)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(affected == 1)
}

pub struct NewAdoption<'a> {
    pub report_id: i64,
    pub level: &'a str,
    pub adopted_on: NaiveDate,
    pub publication: Option<&'a str>,
    pub note: Option<&'a str>,
    pub created_by: Option<i64>,
}

pub async fn insert_adoption(tx: &mut Tx, a: &NewAdoption<'_>) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO info_adoptions (report_id, level, adopted_on, publication, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(a.report_id).bind(a.level).bind(a.adopted_on).bind(a.publication).bind(a.note)
        .bind(a.created_by).bind(Utc::now()).fetch_one(conn).await)
}

pub async fn adoptions(db: &Db, report_id: i64) -> Result<Vec<Adoption>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, Adoption>(
        "SELECT id, report_id, level, adopted_on, publication, note FROM info_adoptions \
         WHERE report_id = $1 ORDER BY adopted_on, id")
        .bind(report_id).fetch_all(pool).await)
}

pub struct NewInstruction<'a> {
    pub report_id: i64,
    pub leader: &'a str,
    pub content: &'a str,
    pub instructed_on: NaiveDate,
    pub created_by: Option<i64>,
}

pub async fn insert_instruction(tx: &mut Tx, i: &NewInstruction<'_>) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO info_instructions (report_id, leader, content, instructed_on, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(i.report_id).bind(i.leader).bind(i.content).bind(i.instructed_on)
        .bind(i.created_by).bind(Utc::now()).fetch_one(conn).await)
}

pub async fn instructions(db: &Db, report_id: i64) -> Result<Vec<Instruction>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, Instruction>(
        "SELECT id, report_id, leader, content, instructed_on FROM info_instructions \
         WHERE report_id = $1 ORDER BY instructed_on, id")
        .bind(report_id).fetch_all(pool).await)
}

/// One report's row for the figures: (kind, status, submitted_on, forwarded_on).
pub type FigureRow = (String, String, NaiveDate, Option<NaiveDate>);

/// The reports of committees within `scope_path`, for the figures.
pub async fn figure_rows(db: &Db, scope_path: &str) -> Result<Vec<FigureRow>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, FigureRow>(
        &format!("SELECT r.kind, r.status, r.submitted_on, r.forwarded_on FROM info_reports r \
         WHERE r.org_id IN {scope}", scope = super::scope_ids(db, "$1")))
        .bind(scope_path).fetch_all(pool).await)
}

/// The adoptions of reports within `scope_path`: (level, adopted_on, report id).
pub async fn adoption_rows(
    db: &Db,
    scope_path: &str,
) -> Result<Vec<(String, NaiveDate, i64)>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, (String, NaiveDate, i64)>(
        &format!("SELECT a.level, a.adopted_on, a.report_id FROM info_adoptions a \
         JOIN info_reports r ON r.id = a.report_id \
         WHERE r.org_id IN {scope}", scope = super::scope_ids(db, "$1")))
        .bind(scope_path).fetch_all(pool).await)
}

/// The dates of instructions on reports within `scope_path`.
pub async fn instruction_dates(db: &Db, scope_path: &str) -> Result<Vec<NaiveDate>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, NaiveDate>(
        &format!("SELECT i.instructed_on FROM info_instructions i \
         JOIN info_reports r ON r.id = i.report_id \
         WHERE r.org_id IN {scope}", scope = super::scope_ids(db, "$1")))
        .bind(scope_path).fetch_all(pool).await)
}
