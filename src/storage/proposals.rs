//! Proposals with their co-signers, handling departments, ratings, the
//! append-only timeline (`proposal_events`) and the committee's settings.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::reception::date_param;
use super::{Arg, Args, Db, Tx};
use crate::domain::paging::{SortDir, SortKey};
use crate::domain::proposals::HandlerRole;
use crate::{bind_args, on_db, on_tx};

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Proposal {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    /// The session (year); set on submission.
    pub session: Option<i64>,
    /// 第N号 within the committee's session, from acceptance on.
    pub number: Option<i64>,
    /// member | group | committee
    pub submitter_kind: String,
    pub lead_member_id: Option<i64>,
    pub lead_member_name: Option<String>,
    pub group_id: Option<i64>,
    pub group_name: Option<String>,
    pub title: String,
    pub body: String,
    pub category: String,
    /// draft | submitted | accepted | not_accepted | merged | assigned | answered | closed | withdrawn
    pub status: crate::domain::proposals::ProposalStatus,
    pub submitted_on: Option<NaiveDate>,
    pub reviewed_on: Option<NaiveDate>,
    pub not_accepted_reason: Option<String>,
    pub merged_into_id: Option<i64>,
    pub lead_department_id: Option<i64>,
    pub lead_department_name: Option<String>,
    pub assigned_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    /// 1 for the first answer, 2 for the second one after an unsatisfied rating.
    pub round: i64,
    pub answered_on: Option<NaiveDate>,
    pub answer: Option<String>,
    /// a | b | c
    pub answer_class: Option<String>,
    pub answer_attachment_id: Option<i64>,
    pub closed_on: Option<NaiveDate>,
    /// 重点提案
    pub is_key: bool,
    /// Times supervised (督办).
    pub supervisions: i64,
    pub last_supervised_on: Option<NaiveDate>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: send it back with every change.
    pub version: i64,
}

const COLUMNS: &str = "p.id, p.org_id, o.name AS org_name, p.session, p.number, p.submitter_kind, p.lead_member_id, \
    m.name AS lead_member_name, p.group_id, g.name AS group_name, p.title, p.body, p.category, p.status, \
    p.submitted_on, p.reviewed_on, p.not_accepted_reason, p.merged_into_id, \
    h.department_id AS lead_department_id, dp.name AS lead_department_name, p.assigned_on, p.due_on, p.round, \
    p.answered_on, p.answer, p.answer_class, p.answer_attachment_id, p.closed_on, p.is_key, p.supervisions, \
    p.last_supervised_on, p.created_by, p.created_at, p.updated_at, p.version";

const FROM: &str = " FROM proposals p JOIN orgs o ON o.id = p.org_id \
    LEFT JOIN members m ON m.id = p.lead_member_id LEFT JOIN orgs g ON g.id = p.group_id \
    LEFT JOIN proposal_handlers h ON h.proposal_id = p.id AND h.role = 'lead' \
    LEFT JOIN departments dp ON dp.id = h.department_id";

pub struct NewProposal<'a> {
    pub org_id: i64,
    pub submitter_kind: &'a str,
    pub lead_member_id: Option<i64>,
    pub group_id: Option<i64>,
    pub title: &'a str,
    pub body: &'a str,
    pub category: &'a str,
    pub status: &'a str,
    pub session: Option<i64>,
    pub submitted_on: Option<NaiveDate>,
    pub created_by: Option<i64>,
}

pub async fn insert(tx: &mut Tx, p: &NewProposal<'_>) -> Result<i64, sqlx::Error> {
    let now = Utc::now();
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO proposals (org_id, session, submitter_kind, lead_member_id, group_id, title, body, category, \
         status, submitted_on, round, is_key, supervisions, created_by, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, 0, $12, $13, $13, 1) RETURNING id")
        .bind(p.org_id).bind(p.session).bind(p.submitter_kind).bind(p.lead_member_id).bind(p.group_id)
        .bind(p.title).bind(p.body).bind(p.category).bind(p.status).bind(p.submitted_on).bind(false)
        .bind(p.created_by).bind(now).fetch_one(conn).await)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Proposal>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS}{FROM} WHERE p.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, Proposal>(&sql).bind(id).fetch_optional(pool).await)
}

/// Several proposals by id (any order).
pub async fn get_many(db: &Db, ids: &[i64]) -> Result<Vec<Proposal>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = Args::default();
    let placeholders: Vec<String> = ids.iter().map(|id| args.push(Arg::Int(*id))).collect();
    let sql = format!(
        "SELECT {COLUMNS}{FROM} WHERE p.id IN ({})",
        placeholders.join(", ")
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, Proposal>(&sql), args).fetch_all(pool).await)
}

/// Every proposal past the draft stage, or those of `ids`: what the search index holds.
pub async fn for_index(db: &Db, ids: Option<&[i64]>) -> Result<Vec<Proposal>, sqlx::Error> {
    match ids {
        Some(ids) => get_many(db, ids).await,
        None => {
            let sql = format!("SELECT {COLUMNS}{FROM} ORDER BY p.id");
            on_db!(db, pool => sqlx::query_as::<_, Proposal>(&sql).fetch_all(pool).await)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalSort {
    Submitted,
    Number,
    Due,
    Title,
}

impl SortKey for ProposalSort {
    const ALL: &'static [Self] = &[Self::Submitted, Self::Number, Self::Due, Self::Title];
    fn as_str(&self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Number => "number",
            Self::Due => "due",
            Self::Title => "title",
        }
    }
    fn column(&self) -> &'static str {
        match self {
            Self::Submitted => "p.submitted_on",
            Self::Number => "p.number",
            Self::Due => "p.due_on",
            Self::Title => "p.title",
        }
    }
}

/// Which proposals a list shows.
#[derive(Debug, Clone, Default)]
pub struct ProposalFilter {
    /// Proposals of committees within this path (staff), …
    pub scope_path: Option<String>,
    /// … or those this member wrote or was invited to sign, plus (with
    /// `public_path`) the accepted ones of their committee, …
    pub member_id: Option<i64>,
    pub public_path: Option<String>,
    /// … or those assigned to this department (lead or co-handling).
    pub department_id: Option<i64>,
    pub session: Option<i64>,
    pub status: Option<String>,
    pub category: Option<String>,
    pub key_only: bool,
    /// Assigned and past due on this day.
    pub overdue_on: Option<NaiveDate>,
    /// Words in the title.
    pub title: Option<String>,
}

fn filter_sql(db: &Db, f: &ProposalFilter, args: &mut Args) -> String {
    let mut sql = String::from(" WHERE 1 = 1");
    if let Some(scope) = &f.scope_path {
        let p = args.push(Arg::Text(scope.clone()));
        sql.push_str(&format!(" AND p.org_id IN {}", super::scope_ids(db, &p)));
    }
    if let Some(member) = f.member_id {
        let m = args.push(Arg::Int(member));
        let own = format!(
            "p.lead_member_id = {m} OR EXISTS (SELECT 1 FROM proposal_cosigners c \
             WHERE c.proposal_id = p.id AND c.member_id = {m} AND c.status <> 'declined')"
        );
        match &f.public_path {
            Some(path) => {
                let p = args.push(Arg::Text(path.clone()));
                sql.push_str(&format!(
                    " AND ({own} OR (p.status IN ('accepted', 'assigned', 'answered', 'closed') \
                     AND p.org_id IN {}))",
                    super::scope_ids(db, &p)
                ));
            }
            None => sql.push_str(&format!(" AND ({own})")),
        }
    }
    if let Some(department) = f.department_id {
        let d = args.push(Arg::Int(department));
        sql.push_str(&format!(
            " AND p.status IN ('assigned', 'answered', 'closed') AND EXISTS (SELECT 1 FROM proposal_handlers x \
             WHERE x.proposal_id = p.id AND x.department_id = {d})"
        ));
    }
    if let Some(session) = f.session {
        let s = args.push(Arg::Int(session));
        sql.push_str(&format!(" AND p.session = {s}"));
    }
    if let Some(status) = &f.status {
        let s = args.push(Arg::Text(status.clone()));
        sql.push_str(&format!(" AND p.status = {s}"));
    } else if f.member_id.is_none() {
        // Drafts are their author's alone.
        sql.push_str(" AND p.status <> 'draft'");
    }
    if let Some(category) = &f.category {
        let c = args.push(Arg::Text(category.clone()));
        sql.push_str(&format!(" AND p.category = {c}"));
    }
    if f.key_only {
        sql.push_str(" AND p.is_key = $KEY");
    }
    if let Some(today) = f.overdue_on {
        let t = args.push(Arg::Text(today.to_string()));
        sql.push_str(&format!(
            " AND p.status = 'assigned' AND p.due_on < {}",
            date_param(db, &t)
        ));
    }
    if let Some(title) = &f.title {
        let t = args.push(Arg::Text(format!("%{}%", escape_like(title))));
        sql.push_str(&format!(" AND p.title LIKE {t} ESCAPE '\\'"));
    }
    // Booleans are spelled per engine (SQLite has no TRUE before 3.23 in every build).
    sql.replace(
        "$KEY",
        match db {
            Db::Sqlite(_) => "1",
            Db::Postgres(_) => "TRUE",
        },
    )
}

fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One page of the proposals a filter selects.
pub async fn list_page(
    db: &Db,
    f: &ProposalFilter,
    sort: ProposalSort,
    dir: SortDir,
    limit: i64,
    offset: i64,
) -> Result<Vec<Proposal>, sqlx::Error> {
    let (sql, args) = page_sql(db, f, sort, dir, limit, offset);
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, Proposal>(&sql), args).fetch_all(pool).await)
}

/// How many proposals a filter selects and one page of them, read from one
/// snapshot (so the page and its total agree while others write).
pub async fn count_and_page(
    db: &Db,
    f: &ProposalFilter,
    sort: ProposalSort,
    dir: SortDir,
    limit: i64,
    offset: i64,
) -> Result<(i64, Vec<Proposal>), sqlx::Error> {
    let mut args = Args::default();
    let count = format!("SELECT COUNT(*){FROM}{}", filter_sql(db, f, &mut args));
    let (page, page_args) = page_sql(db, f, sort, dir, limit, offset);
    let mut tx = db.snapshot().await?;
    let total = on_tx!(&mut tx, conn => bind_args!(sqlx::query_scalar::<_, i64>(&count), args).fetch_one(conn).await)?;
    let items = on_tx!(&mut tx, conn => bind_args!(sqlx::query_as::<_, Proposal>(&page), page_args).fetch_all(conn).await)?;
    tx.commit().await?;
    Ok((total, items))
}

fn page_sql(
    db: &Db,
    f: &ProposalFilter,
    sort: ProposalSort,
    dir: SortDir,
    limit: i64,
    offset: i64,
) -> (String, Args) {
    let mut args = Args::default();
    let mut sql = format!("SELECT {COLUMNS}{FROM}{}", filter_sql(db, f, &mut args));
    let l = args.push(Arg::Int(limit));
    let o = args.push(Arg::Int(offset));
    // Empty values last in either direction, then newest id first.
    sql.push_str(&format!(
        " ORDER BY {col} IS NULL, {col} {dir}, p.id DESC LIMIT {l} OFFSET {o}",
        col = sort.column(),
        dir = dir.sql()
    ));
    (sql, args)
}

/// The latest session of the proposals a filter selects, if any.
pub async fn latest_session(db: &Db, f: &ProposalFilter) -> Result<Option<i64>, sqlx::Error> {
    let mut args = Args::default();
    let sql = format!(
        "SELECT MAX(p.session){FROM}{}",
        filter_sql(db, f, &mut args)
    );
    on_db!(db, pool => bind_args!(sqlx::query_scalar::<_, Option<i64>>(&sql), args).fetch_one(pool).await)
}

/// How many match, per committee holding them (see `cases::count_by_org`).
pub async fn count_by_org(db: &Db, f: &ProposalFilter) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let mut args = Args::default();
    let sql = format!(
        "SELECT p.org_id, COUNT(*){FROM}{} GROUP BY p.org_id",
        filter_sql(db, f, &mut args)
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, (i64, i64)>(&sql), args).fetch_all(pool).await)
}

pub async fn count(db: &Db, f: &ProposalFilter) -> Result<i64, sqlx::Error> {
    let mut args = Args::default();
    let sql = format!("SELECT COUNT(*){FROM}{}", filter_sql(db, f, &mut args));
    on_db!(db, pool => bind_args!(sqlx::query_scalar::<_, i64>(&sql), args).fetch_one(pool).await)
}

/// The values a step writes.
#[derive(Debug, Clone)]
pub struct ProposalUpdate {
    pub title: String,
    pub body: String,
    pub category: String,
    pub status: crate::domain::proposals::ProposalStatus,
    pub session: Option<i64>,
    pub number: Option<i64>,
    pub submitted_on: Option<NaiveDate>,
    pub reviewed_on: Option<NaiveDate>,
    pub not_accepted_reason: Option<String>,
    pub merged_into_id: Option<i64>,
    pub assigned_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub round: i64,
    pub answered_on: Option<NaiveDate>,
    pub answer: Option<String>,
    pub answer_class: Option<String>,
    pub answer_attachment_id: Option<i64>,
    pub closed_on: Option<NaiveDate>,
    pub is_key: bool,
    pub supervisions: i64,
    pub last_supervised_on: Option<NaiveDate>,
}

impl ProposalUpdate {
    pub fn of(p: &Proposal) -> Self {
        ProposalUpdate {
            title: p.title.clone(),
            body: p.body.clone(),
            category: p.category.clone(),
            status: p.status,
            session: p.session,
            number: p.number,
            submitted_on: p.submitted_on,
            reviewed_on: p.reviewed_on,
            not_accepted_reason: p.not_accepted_reason.clone(),
            merged_into_id: p.merged_into_id,
            assigned_on: p.assigned_on,
            due_on: p.due_on,
            round: p.round,
            answered_on: p.answered_on,
            answer: p.answer.clone(),
            answer_class: p.answer_class.clone(),
            answer_attachment_id: p.answer_attachment_id,
            closed_on: p.closed_on,
            is_key: p.is_key,
            supervisions: p.supervisions,
            last_supervised_on: p.last_supervised_on,
        }
    }
}

/// Write a change when the stored version is still `expected_version`;
/// false when someone else changed the proposal first.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    expected_version: i64,
    u: &ProposalUpdate,
) -> Result<bool, sqlx::Error> {
    let affected = on_tx!(tx, conn => sqlx::query(
        "UPDATE proposals SET title = $1, body = $2, category = $3, status = $4, session = $5, number = $6, \
         submitted_on = $7, reviewed_on = $8, not_accepted_reason = $9, merged_into_id = $10, assigned_on = $11, \
         due_on = $12, round = $13, answered_on = $14, answer = $15, answer_class = $16, answer_attachment_id = $17, \
         closed_on = $18, is_key = $19, supervisions = $20, last_supervised_on = $21, updated_at = $22, \
         version = version + 1 WHERE id = $23 AND version = $24")
        .bind(&u.title).bind(&u.body).bind(&u.category).bind(u.status.as_str()).bind(u.session).bind(u.number)
        .bind(u.submitted_on).bind(u.reviewed_on).bind(&u.not_accepted_reason).bind(u.merged_into_id)
        .bind(u.assigned_on).bind(u.due_on).bind(u.round).bind(u.answered_on).bind(&u.answer)
        .bind(&u.answer_class).bind(u.answer_attachment_id).bind(u.closed_on).bind(u.is_key)
        .bind(u.supervisions).bind(u.last_supervised_on).bind(Utc::now()).bind(id).bind(expected_version)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(affected == 1)
}

/// The next free number in a committee's session, under a lock so two
/// acceptances at once cannot take the same one (the UNIQUE key guards too).
pub async fn next_number(tx: &mut Tx, org_id: i64, session: i64) -> Result<i64, sqlx::Error> {
    if let Tx::Postgres(pg) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('lvzhi-proposal-number'), $1::int)")
            .bind(i32::try_from(org_id % i64::from(i32::MAX)).unwrap_or(0))
            .execute(&mut **pg)
            .await?;
    }
    on_tx!(tx, conn => sqlx::query_scalar::<_, Option<i64>>(
        "SELECT MAX(number) FROM proposals WHERE org_id = $1 AND session = $2")
        .bind(org_id).bind(session).fetch_one(conn).await.map(|n| n.unwrap_or(0) + 1))
}

/// Proposals merged into `id`.
pub async fn merged_into(db: &Db, id: i64) -> Result<Vec<Proposal>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS}{FROM} WHERE p.merged_into_id = $1 ORDER BY p.id");
    on_db!(db, pool => sqlx::query_as::<_, Proposal>(&sql).bind(id).fetch_all(pool).await)
}

/// The information report a proposal was turned into, if any.
pub async fn info_made_from(db: &Db, id: i64) -> Result<Option<i64>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM info_reports WHERE origin_proposal_id = $1")
        .bind(id).fetch_optional(pool).await)
}

// ---- co-signers ----

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Cosigner {
    pub id: i64,
    pub proposal_id: i64,
    pub member_id: i64,
    pub member_name: String,
    /// invited | accepted | declined
    pub status: String,
    pub invited_at: DateTime<Utc>,
    pub responded_at: Option<DateTime<Utc>>,
}

pub async fn cosigners(db: &Db, proposal_id: i64) -> Result<Vec<Cosigner>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, Cosigner>(
        "SELECT c.id, c.proposal_id, c.member_id, m.name AS member_name, c.status, c.invited_at, c.responded_at \
         FROM proposal_cosigners c JOIN members m ON m.id = c.member_id WHERE c.proposal_id = $1 ORDER BY c.id")
        .bind(proposal_id).fetch_all(pool).await)
}

/// Invite members not yet invited (invitations already made stay as they are).
pub async fn invite(tx: &mut Tx, proposal_id: i64, member_ids: &[i64]) -> Result<(), sqlx::Error> {
    let now = Utc::now();
    for member in member_ids {
        on_tx!(tx, conn => sqlx::query(
            "INSERT INTO proposal_cosigners (proposal_id, member_id, status, invited_at) VALUES ($1, $2, 'invited', $3) \
             ON CONFLICT (proposal_id, member_id) DO NOTHING")
            .bind(proposal_id).bind(member).bind(now).execute(conn).await.map(|_| ()))?;
    }
    Ok(())
}

/// Withdraw invitations not in `keep` (only while the proposal is a draft).
pub async fn uninvite_others(
    tx: &mut Tx,
    proposal_id: i64,
    keep: &[i64],
) -> Result<(), sqlx::Error> {
    let existing: Vec<i64> = on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT member_id FROM proposal_cosigners WHERE proposal_id = $1")
        .bind(proposal_id).fetch_all(&mut *conn).await)?;
    for member in existing.into_iter().filter(|m| !keep.contains(m)) {
        on_tx!(tx, conn => sqlx::query("DELETE FROM proposal_cosigners WHERE proposal_id = $1 AND member_id = $2")
            .bind(proposal_id).bind(member).execute(conn).await.map(|_| ()))?;
    }
    Ok(())
}

/// Record a co-signer's reply; false when there was no open invitation.
pub async fn respond(
    tx: &mut Tx,
    proposal_id: i64,
    member_id: i64,
    status: &str,
) -> Result<bool, sqlx::Error> {
    let affected = on_tx!(tx, conn => sqlx::query(
        "UPDATE proposal_cosigners SET status = $1, responded_at = $2 \
         WHERE proposal_id = $3 AND member_id = $4 AND status = 'invited'")
        .bind(status).bind(Utc::now()).bind(proposal_id).bind(member_id)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(affected == 1)
}

// ---- handling departments ----

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Handler {
    pub id: i64,
    pub proposal_id: i64,
    pub department_id: i64,
    pub department_name: String,
    /// lead | co
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub role: HandlerRole,
    /// A co-handler's view for the lead department.
    pub view: Option<String>,
    pub view_on: Option<NaiveDate>,
}

pub async fn handlers(db: &Db, proposal_id: i64) -> Result<Vec<Handler>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, Handler>(
        "SELECT h.id, h.proposal_id, h.department_id, d.name AS department_name, h.role, h.view, h.view_on \
         FROM proposal_handlers h JOIN departments d ON d.id = h.department_id \
         WHERE h.proposal_id = $1 ORDER BY h.role DESC, h.id")
        .bind(proposal_id).fetch_all(pool).await)
}

/// Replace the handling departments (an assignment or a new one after a return).
pub async fn set_handlers(
    tx: &mut Tx,
    proposal_id: i64,
    lead: i64,
    co: &[i64],
) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM proposal_handlers WHERE proposal_id = $1")
        .bind(proposal_id).execute(conn).await.map(|_| ()))?;
    let rows =
        std::iter::once((lead, HandlerRole::Lead)).chain(co.iter().map(|d| (*d, HandlerRole::Co)));
    for (department, role) in rows {
        on_tx!(tx, conn => sqlx::query(
            "INSERT INTO proposal_handlers (proposal_id, department_id, role) VALUES ($1, $2, $3)")
            .bind(proposal_id).bind(department).bind(role.as_str()).execute(conn).await.map(|_| ()))?;
    }
    Ok(())
}

pub async fn clear_handlers(tx: &mut Tx, proposal_id: i64) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM proposal_handlers WHERE proposal_id = $1")
        .bind(proposal_id).execute(conn).await.map(|_| ()))
}

/// A co-handler's view; false when it already sent one.
pub async fn record_view(
    tx: &mut Tx,
    proposal_id: i64,
    department_id: i64,
    view: &str,
    on: NaiveDate,
) -> Result<bool, sqlx::Error> {
    let affected = on_tx!(tx, conn => sqlx::query(
        "UPDATE proposal_handlers SET view = $1, view_on = $2 \
         WHERE proposal_id = $3 AND department_id = $4 AND role = 'co' AND view IS NULL")
        .bind(view).bind(on).bind(proposal_id).bind(department_id)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(affected == 1)
}

// ---- ratings ----

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Rating {
    pub id: i64,
    pub proposal_id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub round: i64,
    /// satisfied | basically_satisfied | unsatisfied
    pub rating: String,
    pub comment: Option<String>,
    pub rated_on: NaiveDate,
}

pub async fn ratings(db: &Db, proposal_id: i64) -> Result<Vec<Rating>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, Rating>(
        "SELECT r.id, r.proposal_id, r.member_id, m.name AS member_name, r.round, r.rating, r.comment, r.rated_on \
         FROM proposal_ratings r JOIN members m ON m.id = r.member_id WHERE r.proposal_id = $1 ORDER BY r.round, r.id")
        .bind(proposal_id).fetch_all(pool).await)
}

/// Ratings of one round, read inside the writing transaction.
pub async fn round_ratings(
    tx: &mut Tx,
    proposal_id: i64,
    round: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_as::<_, (i64, String)>(
        "SELECT member_id, rating FROM proposal_ratings WHERE proposal_id = $1 AND round = $2")
        .bind(proposal_id).bind(round).fetch_all(conn).await)
}

/// Record a rating; false when this author already rated this round.
#[allow(clippy::too_many_arguments)]
pub async fn insert_rating(
    tx: &mut Tx,
    proposal_id: i64,
    member_id: i64,
    round: i64,
    rating: &str,
    comment: Option<&str>,
    on: NaiveDate,
    created_by: i64,
) -> Result<bool, sqlx::Error> {
    let affected = on_tx!(tx, conn => sqlx::query(
        "INSERT INTO proposal_ratings (proposal_id, member_id, round, rating, comment, rated_on, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (proposal_id, member_id, round) DO NOTHING")
        .bind(proposal_id).bind(member_id).bind(round).bind(rating).bind(comment).bind(on).bind(created_by)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(affected == 1)
}

// ---- timeline ----

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct ProposalEvent {
    pub id: i64,
    pub proposal_id: i64,
    pub at: DateTime<Utc>,
    pub occurred_on: NaiveDate,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub department_id: Option<i64>,
    /// What the user typed as the step's note, as typed.
    pub note: Option<String>,
    /// What the step set down besides the note: the number given (`#4`),
    /// the proposal merged into, the information report made from it, a
    /// co-handler's view or the answer, a rating, key or not, a new due date.
    pub detail: Option<String>,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    /// Who took the step, by name.
    pub user_name: Option<String>,
}

// ---- settings ----

#[derive(Debug, Clone, FromRow)]
pub struct StoredSettings {
    pub org_id: i64,
    pub cutoff_month: i64,
    pub cutoff_day: i64,
    pub answer_months: i64,
    pub second_answer_months: i64,
    pub return_working_days: i64,
    pub version: i64,
}

pub async fn get_settings(db: &Db, org_id: i64) -> Result<Option<StoredSettings>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, StoredSettings>(
        "SELECT org_id, cutoff_month, cutoff_day, answer_months, second_answer_months, return_working_days, version \
         FROM proposal_settings WHERE org_id = $1")
        .bind(org_id).fetch_optional(pool).await)
}

/// Save settings: insert when `expected_version` is 0, else update that
/// version. False when someone else saved first.
pub async fn put_settings(
    tx: &mut Tx,
    s: &StoredSettings,
    expected_version: i64,
) -> Result<bool, sqlx::Error> {
    let now = Utc::now();
    let affected = if expected_version == 0 {
        on_tx!(tx, conn => sqlx::query(
            "INSERT INTO proposal_settings (org_id, cutoff_month, cutoff_day, answer_months, second_answer_months, \
             return_working_days, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, 1) \
             ON CONFLICT (org_id) DO NOTHING")
            .bind(s.org_id).bind(s.cutoff_month).bind(s.cutoff_day).bind(s.answer_months)
            .bind(s.second_answer_months).bind(s.return_working_days).bind(now)
            .execute(conn).await.map(|r| r.rows_affected()))?
    } else {
        on_tx!(tx, conn => sqlx::query(
            "UPDATE proposal_settings SET cutoff_month = $1, cutoff_day = $2, answer_months = $3, \
             second_answer_months = $4, return_working_days = $5, updated_at = $6, version = version + 1 \
             WHERE org_id = $7 AND version = $8")
            .bind(s.cutoff_month).bind(s.cutoff_day).bind(s.answer_months).bind(s.second_answer_months)
            .bind(s.return_working_days).bind(now).bind(s.org_id).bind(expected_version)
            .execute(conn).await.map(|r| r.rows_affected()))?
    };
    Ok(affected == 1)
}

/// Proposals of a committee's session (figures), drafts and withdrawn ones left out.
pub async fn for_session(
    db: &Db,
    scope_path: &str,
    session: i64,
) -> Result<Vec<Proposal>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS}{FROM} WHERE p.org_id IN {scope} AND p.session = $2 \
         AND p.status NOT IN ('draft', 'withdrawn') ORDER BY p.id",
        scope = super::scope_ids(db, "$1")
    );
    on_db!(db, pool => sqlx::query_as::<_, Proposal>(&sql).bind(scope_path).bind(session).fetch_all(pool).await)
}

/// Handlers of a committee's session, for figures by department: (proposal id, department, role).
pub async fn handlers_for_session(
    db: &Db,
    scope_path: &str,
    session: i64,
) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, (i64, String, String)>(
        &format!("SELECT h.proposal_id, d.name, h.role FROM proposal_handlers h JOIN departments d ON d.id = h.department_id \
         JOIN proposals p ON p.id = h.proposal_id \
         WHERE p.org_id IN {scope} AND p.session = $2", scope = super::scope_ids(db, "$1")))
        .bind(scope_path).bind(session).fetch_all(pool).await)
}

/// Ratings of a committee's session, latest round per author: (proposal id, rating).
pub async fn ratings_for_session(
    db: &Db,
    scope_path: &str,
    session: i64,
) -> Result<Vec<(i64, i64, i64, String)>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, (i64, i64, i64, String)>(
        &format!("SELECT r.proposal_id, r.member_id, r.round, r.rating FROM proposal_ratings r \
         JOIN proposals p ON p.id = r.proposal_id \
         WHERE p.org_id IN {scope} AND p.session = $2 ORDER BY r.round", scope = super::scope_ids(db, "$1")))
        .bind(scope_path).bind(session).fetch_all(pool).await)
}

/// Members who co-signed a received proposal of a committee's session.
pub async fn cosigners_for_session(
    db: &Db,
    scope_path: &str,
    session: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, i64>(
        &format!("SELECT c.member_id FROM proposal_cosigners c JOIN proposals p ON p.id = c.proposal_id \
         WHERE p.org_id IN {scope} AND p.session = $2 \
         AND c.status = 'accepted' AND p.status NOT IN ('draft', 'withdrawn')", scope = super::scope_ids(db, "$1")))
        .bind(scope_path).bind(session).fetch_all(pool).await)
}

/// A committee's numbered (accepted) proposals of a session, in number
/// order, for its compilation (提案汇编).
pub async fn numbered_in_session(
    db: &Db,
    org_id: i64,
    session: i64,
) -> Result<Vec<Proposal>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS}{FROM} WHERE p.org_id = $1 AND p.session = $2 AND p.number IS NOT NULL \
         ORDER BY p.number"
    );
    on_db!(db, pool => sqlx::query_as::<_, Proposal>(&sql).bind(org_id).bind(session).fetch_all(pool).await)
}

/// The co-signers who accepted, per proposal of a committee's session:
/// (proposal id, member name), in the order invited.
pub async fn cosigner_names_in_session(
    db: &Db,
    org_id: i64,
    session: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, (i64, String)>(
        "SELECT c.proposal_id, m.name FROM proposal_cosigners c JOIN proposals p ON p.id = c.proposal_id \
         JOIN members m ON m.id = c.member_id \
         WHERE p.org_id = $1 AND p.session = $2 AND c.status = 'accepted' ORDER BY c.id")
        .bind(org_id).bind(session).fetch_all(pool).await)
}

/// The handling departments per proposal of a committee's session:
/// (proposal id, department, lead | co), the lead first.
pub async fn handler_names_in_session(
    db: &Db,
    org_id: i64,
    session: i64,
) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, (i64, String, String)>(
        "SELECT h.proposal_id, d.name, h.role FROM proposal_handlers h \
         JOIN departments d ON d.id = h.department_id JOIN proposals p ON p.id = h.proposal_id \
         WHERE p.org_id = $1 AND p.session = $2 ORDER BY h.role DESC, h.id")
        .bind(org_id).bind(session).fetch_all(pool).await)
}
