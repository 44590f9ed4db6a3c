//! The counts a work summary states, for a committee's subtree and a range of
//! days, each counted by the database in one round trip.

use chrono::NaiveDate;
use sqlx::FromRow;

use super::reception::date_param;
use super::{Arg, Args, Db, Tx};
use crate::{bind_args, on_db, on_tx};

/// Counts of one committee's subtree over a range of days.
#[derive(Debug, Clone, Default, FromRow)]
pub struct RangeCounts {
    /// Members serving on the last day.
    pub members: i64,
    pub groups: i64,
    /// Communities linked to a group.
    pub communities: i64,
    /// Cases received in the range, and of them forwarded and resolved.
    pub cases: i64,
    pub cases_forwarded: i64,
    pub cases_resolved: i64,
    pub research_reports: i64,
    pub proposals_submitted: i64,
    pub proposals_accepted: i64,
    pub proposals_merged: i64,
    pub proposals_not_accepted: i64,
    pub proposals_answered: i64,
    pub proposals_key: i64,
    pub info_submitted: i64,
    pub info_forwarded: i64,
    pub info_instructed: i64,
}

/// Activities of one kind held in the range.
#[derive(Debug, Clone, FromRow)]
pub struct ActivityCount {
    pub kind: String,
    pub held: i64,
    pub attendances: i64,
}

/// Information adoptions of one level dated in the range.
#[derive(Debug, Clone, FromRow)]
pub struct LevelCount {
    pub level: String,
    pub adopted: i64,
}

struct Range {
    args: Args,
    scope: String,
    from: String,
    to: String,
}

impl Range {
    fn new(db: &Db, scope_path: &str, from: NaiveDate, to: NaiveDate) -> Self {
        let mut args = Args::default();
        let s = args.push(Arg::Text(scope_path.to_string()));
        let f = args.push(Arg::Text(from.to_string()));
        let t = args.push(Arg::Text(to.to_string()));
        Self {
            args,
            scope: super::scope_ids(db, &s),
            from: date_param(db, &f),
            to: date_param(db, &t),
        }
    }

    /// `column` lies within the range.
    fn within(&self, column: &str) -> String {
        format!("{column} >= {} AND {column} <= {}", self.from, self.to)
    }
}

pub async fn range_counts(
    db: &Db,
    scope_path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<RangeCounts, sqlx::Error> {
    let r = Range::new(db, scope_path, from, to);
    let scope = &r.scope;
    let to_p = &r.to;
    let proposals = |cond: &str| {
        format!(
            "(SELECT COUNT(*) FROM proposals p WHERE p.org_id IN {scope} AND {} AND {cond})",
            r.within("p.submitted_on")
        )
    };
    let accepted = "p.status IN ('accepted','assigned','answered','closed')";
    let sql = format!(
        "SELECT \
         (SELECT COUNT(*) FROM members m WHERE m.org_id IN {scope} AND m.joined_on <= {to_p} \
            AND (m.status = 'active' OR m.left_on > {to_p})) AS members, \
         (SELECT COUNT(*) FROM orgs g WHERE g.id IN {scope} AND g.kind = 'group') AS groups, \
         (SELECT COUNT(DISTINCT g.community_id) FROM orgs g WHERE g.id IN {scope} \
            AND g.kind = 'group' AND g.community_id IS NOT NULL) AS communities, \
         (SELECT COUNT(*) FROM cases c WHERE c.org_id IN {scope} AND {rc}) AS cases, \
         (SELECT COUNT(*) FROM cases c WHERE c.org_id IN {scope} AND {rc} \
            AND c.forwarded_on IS NOT NULL) AS cases_forwarded, \
         (SELECT COUNT(*) FROM cases c WHERE c.org_id IN {scope} AND {rc} \
            AND c.resolved_on IS NOT NULL AND c.resolved_on <= {to_p}) AS cases_resolved, \
         (SELECT COUNT(*) FROM research_reports rr JOIN activities a ON a.id = rr.activity_id \
            WHERE a.org_id IN {scope} AND {rr}) AS research_reports, \
         {submitted} AS proposals_submitted, \
         {accepted_n} AS proposals_accepted, \
         {merged} AS proposals_merged, \
         {not_accepted} AS proposals_not_accepted, \
         {answered} AS proposals_answered, \
         {key} AS proposals_key, \
         (SELECT COUNT(*) FROM info_reports i WHERE i.org_id IN {scope} AND {ri}) AS info_submitted, \
         (SELECT COUNT(*) FROM info_reports i WHERE i.org_id IN {scope} AND {ri} \
            AND i.forwarded_on IS NOT NULL) AS info_forwarded, \
         (SELECT COUNT(DISTINCT n.report_id) FROM info_instructions n \
            JOIN info_reports i ON i.id = n.report_id \
            WHERE i.org_id IN {scope} AND {rn}) AS info_instructed",
        rc = r.within("c.received_on"),
        rr = r.within("rr.submitted_on"),
        ri = r.within("i.submitted_on"),
        rn = r.within("n.instructed_on"),
        submitted = proposals("p.status <> 'withdrawn'"),
        accepted_n = proposals(accepted),
        merged = proposals("p.status = 'merged'"),
        not_accepted = proposals("p.status = 'not_accepted'"),
        answered = proposals("p.status IN ('answered','closed')"),
        key = proposals(&format!("p.is_key = TRUE AND {accepted}")),
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, RangeCounts>(&sql), r.args).fetch_one(pool).await)
}

/// Approved activities held in the range, by kind, with the members marked present.
pub async fn activity_counts(
    db: &Db,
    scope_path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ActivityCount>, sqlx::Error> {
    let r = Range::new(db, scope_path, from, to);
    let sql = format!(
        "SELECT a.kind, COUNT(DISTINCT a.id) AS held, \
           COUNT(i.id) AS attendances \
         FROM activities a \
         LEFT JOIN activity_invitations i ON i.activity_id = a.id AND i.attendance = 'present' \
         WHERE a.org_id IN {scope} AND {held} AND a.approval = 'approved' \
         GROUP BY a.kind ORDER BY a.kind",
        scope = r.scope,
        held = r.within("a.held_on"),
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, ActivityCount>(&sql), r.args).fetch_all(pool).await)
}

/// The titles of the range's approved activities of the given kinds, by date.
pub async fn activity_titles(
    db: &Db,
    scope_path: &str,
    from: NaiveDate,
    to: NaiveDate,
    kinds: &[&str],
    limit: i64,
) -> Result<Vec<(NaiveDate, String)>, sqlx::Error> {
    let mut r = Range::new(db, scope_path, from, to);
    let kinds: Vec<String> = kinds
        .iter()
        .map(|k| r.args.push(Arg::Text((*k).to_string())))
        .collect();
    let limit = r.args.push(Arg::Int(limit));
    let sql = format!(
        "SELECT a.held_on, a.title FROM activities a \
         WHERE a.org_id IN {scope} AND {held} AND a.approval = 'approved' AND a.kind IN ({kinds}) \
         ORDER BY a.held_on, a.id LIMIT {limit}",
        scope = r.scope,
        held = r.within("a.held_on"),
        kinds = if kinds.is_empty() {
            "NULL".to_string()
        } else {
            kinds.join(", ")
        },
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, (NaiveDate, String)>(&sql), r.args).fetch_all(pool).await)
}

/// Adoptions of information reports dated in the range, by level.
pub async fn adoption_counts(
    db: &Db,
    scope_path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<LevelCount>, sqlx::Error> {
    let r = Range::new(db, scope_path, from, to);
    let sql = format!(
        "SELECT d.level, COUNT(*) AS adopted FROM info_adoptions d \
         JOIN info_reports i ON i.id = d.report_id \
         WHERE i.org_id IN {scope} AND {on} GROUP BY d.level",
        scope = r.scope,
        on = r.within("d.adopted_on"),
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, LevelCount>(&sql), r.args).fetch_all(pool).await)
}

/// The latest day the subtree has a record of its work on (a reception day,
/// an activity, a proposal or an information report).
pub async fn latest_record_day(
    db: &Db,
    scope_path: &str,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    let mut args = Args::default();
    let s = args.push(Arg::Text(scope_path.to_string()));
    let scope = super::scope_ids(db, &s);
    let sql = format!(
        "SELECT MAX(d) FROM ( \
           SELECT MAX(held_on) AS d FROM reception_days WHERE org_id IN {scope} \
           UNION ALL SELECT MAX(held_on) FROM activities WHERE org_id IN {scope} \
           UNION ALL SELECT MAX(submitted_on) FROM proposals WHERE org_id IN {scope} \
           UNION ALL SELECT MAX(submitted_on) FROM info_reports WHERE org_id IN {scope}) latest"
    );
    on_db!(db, pool => bind_args!(sqlx::query_scalar::<_, Option<NaiveDate>>(&sql), args).fetch_one(pool).await)
}

// ---------------------------------------------------------------------------
// Saved summaries and their versions (the archive's 工作总结)

/// A saved summary: one committee's text for one period.
#[derive(Debug, Clone, FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct SavedSummary {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    /// The committee's path, for scope checks; not shown.
    #[serde(skip)]
    pub org_path: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    /// `2011`, `2011-H1`; empty for a range of days.
    pub period_code: String,
    /// The year the archive files it under.
    pub year: i64,
    /// The latest version's title.
    pub title: String,
    /// The committee's day it was filed (its first version saved).
    pub filed_on: NaiveDate,
    /// How many versions: send it back with the next save or a withdrawal.
    pub versions: i64,
    /// Set when it was taken out of the archive, with the reason and by whom.
    pub withdrawn_on: Option<NaiveDate>,
    pub withdrawn_by_name: Option<String>,
    pub withdrawn_reason: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

const SUMMARY_COLUMNS: &str = "s.id, s.org_id, o.name AS org_name, o.path AS org_path, \
    s.period_from, s.period_to, s.period_code, s.year, s.title, s.filed_on, s.versions, \
    s.withdrawn_on, w.display_name AS withdrawn_by_name, s.withdrawn_reason, s.created_at, \
    s.updated_at";
const SUMMARY_FROM: &str = " FROM summaries s JOIN orgs o ON o.id = s.org_id \
    LEFT JOIN users w ON w.id = s.withdrawn_by";

/// One saved version of a summary.
#[derive(Debug, Clone, FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct SummaryVersion {
    pub number: i64,
    pub title: String,
    /// The text as saved (Markdown: `#` title, `##`/`###` headings, pipe tables).
    pub text: String,
    pub note: String,
    /// Who saved it (display name).
    pub saved_by: Option<String>,
    pub saved_at: chrono::DateTime<chrono::Utc>,
}

const VERSION_COLUMNS: &str = "v.number, v.title, v.body AS text, v.note, \
    u.display_name AS saved_by, v.at AS saved_at";
const VERSION_FROM: &str = " FROM summary_versions v LEFT JOIN users u ON u.id = v.user_id";

/// What the archive lists: the committees within a path, a year, withdrawn
/// ones or not, words in the title or the latest text.
#[derive(Debug, Clone, Default)]
pub struct SummaryFilter {
    pub scope_path: String,
    pub year: Option<i64>,
    pub withdrawn: bool,
    pub text: Option<String>,
}

pub async fn saved_summary(db: &Db, id: i64) -> Result<Option<SavedSummary>, sqlx::Error> {
    let sql = format!("SELECT {SUMMARY_COLUMNS}{SUMMARY_FROM} WHERE s.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, SavedSummary>(&sql).bind(id).fetch_optional(pool).await)
}

/// The saved summary of a committee's period, if any.
pub async fn saved_summary_of(
    db: &Db,
    org_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Option<SavedSummary>, sqlx::Error> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}{SUMMARY_FROM} \
         WHERE s.org_id = $1 AND s.period_from = $2 AND s.period_to = $3"
    );
    on_db!(db, pool => sqlx::query_as::<_, SavedSummary>(&sql).bind(org_id).bind(from).bind(to)
        .fetch_optional(pool).await)
}

/// The saved summaries of the filter, newest period first.
pub async fn saved_summaries(db: &Db, f: &SummaryFilter) -> Result<Vec<SavedSummary>, sqlx::Error> {
    let mut args = Args::default();
    let p = args.push(Arg::Text(f.scope_path.clone()));
    let mut sql = format!(
        "SELECT {SUMMARY_COLUMNS}{SUMMARY_FROM} WHERE s.org_id IN {}",
        super::scope_ids(db, &p)
    );
    sql.push_str(if f.withdrawn {
        " AND s.withdrawn_on IS NOT NULL"
    } else {
        " AND s.withdrawn_on IS NULL"
    });
    if let Some(y) = f.year {
        let p = args.push(Arg::Int(y));
        sql.push_str(&format!(" AND s.year = {p}"));
    }
    if let Some(text) = &f.text {
        let p = args.push(Arg::Text(super::like_pattern(text)));
        sql.push_str(&format!(
            " AND (s.title LIKE {p} ESCAPE '\\' OR EXISTS (SELECT 1 FROM summary_versions v \
             WHERE v.summary_id = s.id AND v.number = s.versions AND v.body LIKE {p} ESCAPE '\\'))"
        ));
    }
    sql.push_str(" ORDER BY s.period_to DESC, s.period_from, o.name, s.id");
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, SavedSummary>(&sql), args).fetch_all(pool).await)
}

/// A summary's versions, newest first.
pub async fn summary_versions(
    db: &Db,
    summary_id: i64,
) -> Result<Vec<SummaryVersion>, sqlx::Error> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS}{VERSION_FROM} WHERE v.summary_id = $1 ORDER BY v.number DESC"
    );
    on_db!(db, pool => sqlx::query_as::<_, SummaryVersion>(&sql).bind(summary_id).fetch_all(pool).await)
}

pub async fn summary_version(
    db: &Db,
    summary_id: i64,
    number: i64,
) -> Result<Option<SummaryVersion>, sqlx::Error> {
    let sql =
        format!("SELECT {VERSION_COLUMNS}{VERSION_FROM} WHERE v.summary_id = $1 AND v.number = $2");
    on_db!(db, pool => sqlx::query_as::<_, SummaryVersion>(&sql).bind(summary_id).bind(number)
        .fetch_optional(pool).await)
}

/// A summary to file: its committee, days and first title.
pub struct NewSummary<'a> {
    pub org_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub period_code: &'a str,
    pub title: &'a str,
    pub filed_on: NaiveDate,
    pub user_id: i64,
}

/// File a new summary with no version yet counted (`versions` 0): the
/// caller adds version 1 through [`add_summary_version`]. None when the
/// committee's period has one already (someone filed it first).
pub async fn insert_summary(tx: &mut Tx, n: &NewSummary<'_>) -> Result<Option<i64>, sqlx::Error> {
    use chrono::Datelike;
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO summaries (org_id, period_from, period_to, period_code, year, title, \
         filed_on, versions, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $9) \
         ON CONFLICT (org_id, period_from, period_to) DO NOTHING RETURNING id")
        .bind(n.org_id).bind(n.from).bind(n.to).bind(n.period_code)
        .bind(i64::from(n.to.year())).bind(n.title).bind(n.filed_on).bind(n.user_id)
        .bind(chrono::Utc::now())
        .fetch_optional(conn).await)
}

/// A version to add to a summary.
pub struct NewVersion<'a> {
    pub summary_id: i64,
    /// The number of versions the writer read: the new one is this plus one.
    pub read_versions: i64,
    pub title: &'a str,
    pub text: &'a str,
    pub note: &'a str,
    pub user_id: i64,
}

/// Add the next version when the summary still has `read_versions`
/// versions (false when someone saved one first). A withdrawn summary
/// saved again is filed again.
pub async fn add_summary_version(tx: &mut Tx, n: &NewVersion<'_>) -> Result<bool, sqlx::Error> {
    let now = chrono::Utc::now();
    let rows = on_tx!(tx, conn => sqlx::query(
        "UPDATE summaries SET versions = versions + 1, title = $1, updated_at = $2, \
         withdrawn_on = NULL, withdrawn_by = NULL, withdrawn_reason = NULL \
         WHERE id = $3 AND versions = $4")
        .bind(n.title).bind(now).bind(n.summary_id).bind(n.read_versions)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    if rows != 1 {
        return Ok(false);
    }
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO summary_versions (summary_id, number, title, body, note, user_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(n.summary_id).bind(n.read_versions + 1).bind(n.title).bind(n.text).bind(n.note)
        .bind(n.user_id).bind(now)
        .execute(conn).await.map(|_| ()))?;
    Ok(true)
}

/// Take a summary out of the archive when it still has `read_versions`
/// versions and is filed; false otherwise.
pub async fn withdraw_summary(
    tx: &mut Tx,
    id: i64,
    read_versions: i64,
    on: NaiveDate,
    user_id: i64,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let rows = on_tx!(tx, conn => sqlx::query(
        "UPDATE summaries SET withdrawn_on = $1, withdrawn_by = $2, withdrawn_reason = $3, \
         updated_at = $4 WHERE id = $5 AND versions = $6 AND withdrawn_on IS NULL")
        .bind(on).bind(user_id).bind(reason).bind(chrono::Utc::now()).bind(id).bind(read_versions)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}
