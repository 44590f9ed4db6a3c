//! The counts a work summary states, for a committee's subtree and a range of
//! days, each counted by the database in one round trip.

use chrono::NaiveDate;
use sqlx::FromRow;

use super::reception::date_param;
use super::{Arg, Args, Db};
use crate::{bind_args, on_db};

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
            AND m.status = 'active') AS members, \
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
