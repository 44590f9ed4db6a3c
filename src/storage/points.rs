//! Duty points: each committee's rules per year, and the facts the points
//! are computed from, read set-based from the records themselves (one query
//! for a whole committee tree, never one per member). No score is stored.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::FromRow;

use super::{Arg, Args, Db, Tx};
use crate::{bind_args, on_db, on_tx};

/// A committee's saved rules for a year.
#[derive(Debug, Clone, FromRow)]
pub struct RulesRow {
    pub id: i64,
    pub org_id: i64,
    pub year: i64,
    /// `domain::points::PointsRules` as JSON.
    pub rules: String,
    pub updated_by: Option<i64>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

const RULES_COLUMNS: &str = "id, org_id, year, rules, updated_by, updated_at, version";

/// The rules a committee saved for a year, if any.
pub async fn rules(db: &Db, org_id: i64, year: i64) -> Result<Option<RulesRow>, sqlx::Error> {
    let sql = format!("SELECT {RULES_COLUMNS} FROM points_rules WHERE org_id = $1 AND year = $2");
    on_db!(db, pool => sqlx::query_as::<_, RulesRow>(&sql).bind(org_id).bind(year)
        .fetch_optional(pool).await)
}

/// The rules of a year saved by the committees within a scope path.
pub async fn rules_within(
    db: &Db,
    scope_path: &str,
    year: i64,
) -> Result<Vec<RulesRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {RULES_COLUMNS} FROM points_rules WHERE year = $2 AND org_id IN {}",
        super::scope_ids(db, "$1")
    );
    on_db!(db, pool => sqlx::query_as::<_, RulesRow>(&sql).bind(scope_path).bind(year)
        .fetch_all(pool).await)
}

/// Save a committee's first rules for a year.
pub async fn insert_rules(
    tx: &mut Tx,
    org_id: i64,
    year: i64,
    rules: &str,
    user_id: i64,
) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO points_rules (org_id, year, rules, updated_by, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $5, 1) RETURNING id")
        .bind(org_id).bind(year).bind(rules).bind(user_id).bind(Utc::now())
        .fetch_one(conn).await)
}

/// Change saved rules read at `expected_version`; false when someone changed
/// them first.
pub async fn update_rules(
    tx: &mut Tx,
    id: i64,
    expected_version: i64,
    rules: &str,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    let rows = on_tx!(tx, conn => sqlx::query(
        "UPDATE points_rules SET rules = $1, updated_by = $2, updated_at = $3, version = version + 1 \
         WHERE id = $4 AND version = $5")
        .bind(rules).bind(user_id).bind(Utc::now()).bind(id).bind(expected_version)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// A member a score is computed for, with their committee.
#[derive(Debug, Clone, FromRow)]
pub struct ScoredMember {
    pub id: i64,
    pub name: String,
    pub org_id: i64,
    pub org_name: String,
}

/// Whose facts to read: every member of the committees within a scope
/// path, or one member.
#[derive(Debug, Clone)]
pub enum Whose {
    Scope(String),
    /// A scope of so many members (a city, a province) that the year's
    /// records are read faster by date than member by member.
    Wide(String),
    Member(i64),
}

/// From how many members a scope is [`Whose::Wide`]: SQLite reads a
/// member's invitations of every year through the member's index (about 37
/// each at province scale), and the whole year's through the activities'
/// dates (240,000 at province scale) in about the time of 6,000 members.
pub const WIDE_MEMBERS: usize = 5_000;

impl Whose {
    /// `column IN (…members…)` or `column = $n`, binding what it needs.
    fn condition(&self, db: &Db, args: &mut Args, column: &str) -> String {
        match self {
            Whose::Scope(path) | Whose::Wide(path) => {
                let p = args.push(Arg::Text(path.clone()));
                // SQLite takes the member's index whenever the member is
                // constrained; a unary plus keeps it from doing so for a
                // wide scope, so that it reads the records by their dates
                // (PostgreSQL weighs both ways itself).
                let plus = match (self, db) {
                    (Whose::Wide(_), Db::Sqlite(_)) => "+",
                    _ => "",
                };
                format!(
                    "{plus}{column} IN (SELECT sm.id FROM members sm WHERE sm.org_id IN {})",
                    super::scope_ids(db, &p)
                )
            }
            Whose::Member(id) => {
                let p = args.push(Arg::Int(*id));
                format!("{column} = {p}")
            }
        }
    }
}

/// The members of a scope (or the one member), with their committee's name.
pub async fn members(db: &Db, whose: &Whose) -> Result<Vec<ScoredMember>, sqlx::Error> {
    let mut args = Args::default();
    let condition = whose.condition(db, &mut args, "m.id");
    let sql = format!(
        "SELECT m.id, m.name, m.org_id, o.name AS org_name FROM members m \
         JOIN orgs o ON o.id = m.org_id WHERE {condition} ORDER BY m.org_id, m.name_key, m.id"
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, ScoredMember>(&sql), args).fetch_all(pool).await)
}

/// One record that earns a member points: the item (a
/// `domain::points::PointItem` id), the record, its date, the member's share
/// (sole | lead | cosigner) and the record's co-signers.
#[derive(Debug, Clone, FromRow)]
pub struct Fact {
    pub member_id: i64,
    pub item: String,
    pub record_id: i64,
    pub on_date: NaiveDate,
    pub share: String,
    pub cosigners: i64,
}

/// How many records earn a member points for an item with a share: what a
/// ranking needs (the caps of a year take off the same whatever the order).
#[derive(Debug, Clone, FromRow)]
pub struct FactCount {
    pub member_id: i64,
    pub item: String,
    pub share: String,
    pub cosigners: i64,
    pub n: i64,
}

/// One kind of record that earns points, as a SELECT of the union.
struct Source {
    member: &'static str,
    item: &'static str,
    record: &'static str,
    on: &'static str,
    share: &'static str,
    cosigners: &'static str,
    /// `FROM … WHERE …` without the member condition; `:first`/`:last` are the
    /// year's first and last days, `$3` the year.
    from_where: &'static str,
}

/// The year's proposals by members that the scope's members led or co-signed
/// (`year_proposals`), each with its accepted co-signers counted once: the
/// eight proposal parts of the union read it instead of counting every
/// proposal's co-signers twice per part. `{scope_lead}` and `{scope_cosigner}`
/// are the member conditions on `p.lead_member_id` and `c.member_id`.
const YEAR_PROPOSALS: &str = "WITH year_proposals AS (SELECT p.id, p.lead_member_id, \
    p.status, p.is_key, p.submitted_on, p.reviewed_on, \
    (SELECT COUNT(*) FROM proposal_cosigners pc \
     WHERE pc.proposal_id = p.id AND pc.status = 'accepted') AS cosigners \
    FROM proposals p WHERE p.submitter_kind = 'member' \
    AND ((p.submitted_on >= :first AND p.submitted_on <= :last) \
      OR (p.reviewed_on >= :first AND p.reviewed_on <= :last)) \
    AND ({scope_lead} OR p.id IN (SELECT c.proposal_id FROM proposal_cosigners c \
      WHERE c.status = 'accepted' AND {scope_cosigner}))) ";

/// Every kind of record that earns points, by `domain::points::PointItem`:
/// attendance (plenary: the district meeting; activities: every other kind
/// but reception days, which count as duty), a member's own logged
/// activities, proposals (lead and co-signers; submitted, accepted, merged,
/// key; each author's rating), information reports (submitted, each
/// adoption, each instruction), research reports (each member present on
/// the trip: the member who logged it leads), reception duty, and awards
/// awarded (by level, in the award's year).
fn sources() -> Vec<Source> {
    const SOLE: &str = "'sole'";
    const NONE: &str = "CAST(0 AS BIGINT)";
    let proposal = |item: &'static str, on: &'static str, from_where: &'static str| Source {
        member: "p.lead_member_id",
        item,
        record: "p.id",
        on,
        share: "CASE WHEN p.cosigners > 0 THEN 'lead' ELSE 'sole' END",
        cosigners: "p.cosigners",
        from_where,
    };
    let mut all = vec![
        Source {
            member: "i.member_id",
            item: "CASE WHEN a.kind = 'district_meeting' THEN \
                   CASE i.attendance WHEN 'present' THEN 'plenary_attended' \
                   WHEN 'excused' THEN 'plenary_excused' ELSE 'plenary_absent' END \
                   ELSE CASE i.attendance WHEN 'present' THEN 'activity_attended' \
                   ELSE 'activity_absent' END END",
            record: "a.id",
            on: "a.held_on",
            share: SOLE,
            cosigners: NONE,
            from_where: "FROM activity_invitations i JOIN activities a ON a.id = i.activity_id \
                WHERE a.approval = 'approved' AND a.held_on >= :first AND a.held_on <= :last \
                AND a.kind <> 'reception' AND i.attendance IS NOT NULL \
                AND NOT (a.kind <> 'district_meeting' AND i.attendance = 'excused')",
        },
        Source {
            member: "a.logged_by",
            item: "'activity_attended'",
            record: "a.id",
            on: "a.held_on",
            share: SOLE,
            cosigners: NONE,
            from_where: "FROM activities a WHERE a.logged_by IS NOT NULL \
                AND a.approval = 'approved' AND a.held_on >= :first AND a.held_on <= :last \
                AND a.kind NOT IN ('reception', 'district_meeting') \
                AND NOT EXISTS (SELECT 1 FROM activity_invitations li \
                    WHERE li.activity_id = a.id AND li.member_id = a.logged_by)",
        },
        Source {
            member: "r.member_id",
            item: "'proposal_rated'",
            record: "p.id",
            on: "r.rated_on",
            share: SOLE,
            cosigners: NONE,
            from_where: "FROM proposal_ratings r JOIN proposals p ON p.id = r.proposal_id \
                WHERE r.rated_on >= :first AND r.rated_on <= :last",
        },
        Source {
            member: "ir.author_member_id",
            item: "'info_submitted'",
            record: "ir.id",
            on: "ir.submitted_on",
            share: SOLE,
            cosigners: NONE,
            from_where: "FROM info_reports ir WHERE ir.author_member_id IS NOT NULL \
                AND ir.status <> 'withdrawn' AND ir.submitted_on >= :first AND ir.submitted_on <= :last",
        },
        Source {
            member: "ir.author_member_id",
            item: "'info_adopted_' || ad.level",
            record: "ir.id",
            on: "ad.adopted_on",
            share: SOLE,
            cosigners: NONE,
            from_where: "FROM info_adoptions ad JOIN info_reports ir ON ir.id = ad.report_id \
                WHERE ir.author_member_id IS NOT NULL AND ir.status <> 'withdrawn' \
                AND ad.adopted_on >= :first AND ad.adopted_on <= :last",
        },
        Source {
            member: "ir.author_member_id",
            item: "'info_instructed'",
            record: "ir.id",
            on: "ins.instructed_on",
            share: SOLE,
            cosigners: NONE,
            from_where: "FROM info_instructions ins JOIN info_reports ir ON ir.id = ins.report_id \
                WHERE ir.author_member_id IS NOT NULL AND ir.status <> 'withdrawn' \
                AND ins.instructed_on >= :first AND ins.instructed_on <= :last",
        },
        Source {
            member: "i.member_id",
            item: "'research_report'",
            record: "a.id",
            on: "rr.submitted_on",
            share: "CASE WHEN (SELECT COUNT(*) FROM activity_invitations ri \
                WHERE ri.activity_id = a.id AND ri.attendance = 'present') = 1 THEN 'sole' \
                WHEN a.logged_by = i.member_id THEN 'lead' ELSE 'cosigner' END",
            cosigners: "(SELECT COUNT(*) FROM activity_invitations ri \
                WHERE ri.activity_id = a.id AND ri.attendance = 'present') - 1",
            from_where: "FROM research_reports rr JOIN activities a ON a.id = rr.activity_id \
                JOIN activity_invitations i ON i.activity_id = a.id AND i.attendance = 'present' \
                WHERE a.approval = 'approved' AND rr.submitted_on >= :first AND rr.submitted_on <= :last",
        },
        Source {
            member: "d.member_id",
            item: "'reception_duty'",
            record: "rd.id",
            on: "rd.held_on",
            share: SOLE,
            cosigners: NONE,
            from_where: "FROM reception_duty d JOIN reception_days rd ON rd.id = d.reception_day_id \
                WHERE rd.held_on >= :first AND rd.held_on <= :last",
        },
        Source {
            member: "w.member_id",
            item: "'award_' || w.level",
            record: "w.id",
            on: "w.decided_on",
            share: SOLE,
            cosigners: NONE,
            from_where: "FROM awards w WHERE w.status = 'awarded' AND w.year = $3 \
                AND w.decided_on IS NOT NULL",
        },
    ];
    // Members' proposals only: `year_proposals` keeps no others.
    let received = "FROM year_proposals p WHERE \
        p.status NOT IN ('draft', 'withdrawn') AND p.submitted_on >= :first AND p.submitted_on <= :last";
    let numbered = "FROM year_proposals p WHERE \
        p.status IN ('accepted', 'assigned', 'answered', 'closed') \
        AND p.reviewed_on >= :first AND p.reviewed_on <= :last";
    let merged = "FROM year_proposals p WHERE p.status = 'merged' \
        AND p.reviewed_on >= :first AND p.reviewed_on <= :last";
    let key = "FROM year_proposals p WHERE p.is_key = TRUE \
        AND p.status IN ('accepted', 'assigned', 'answered', 'closed') \
        AND p.reviewed_on >= :first AND p.reviewed_on <= :last";
    for (item, on, lead_where) in [
        ("'proposal_submitted'", "p.submitted_on", received),
        ("'proposal_accepted'", "p.reviewed_on", numbered),
        ("'proposal_merged'", "p.reviewed_on", merged),
        ("'proposal_key'", "p.reviewed_on", key),
    ] {
        all.push(proposal(item, on, lead_where));
    }
    all
}

/// The union of every source's rows for `whose`, as `member_id, item,
/// record_id, on_date, share, cosigners`: a `WITH` clause, then the union
/// (which a caller may wrap, after the `WITH`).
fn union(db: &Db, whose: &Whose, year: i32) -> Option<(String, String, Args)> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
    let last = NaiveDate::from_ymd_opt(year, 12, 31)?;
    let mut args = Args::default();
    args.push(Arg::Text(first.format("%Y-%m-%d").to_string()));
    args.push(Arg::Text(last.format("%Y-%m-%d").to_string()));
    args.push(Arg::Int(i64::from(year)));
    let with = YEAR_PROPOSALS
        .replace(
            "{scope_lead}",
            &whose.condition(db, &mut args, "p.lead_member_id"),
        )
        .replace(
            "{scope_cosigner}",
            &whose.condition(db, &mut args, "c.member_id"),
        );
    let mut parts = Vec::new();
    for s in sources() {
        let condition = whose.condition(db, &mut args, s.member);
        parts.push(format!(
            "SELECT {} AS member_id, {} AS item, {} AS record_id, {} AS on_date, {} AS share, \
             {} AS cosigners {} AND {condition}",
            s.member, s.item, s.record, s.on, s.share, s.cosigners, s.from_where
        ));
    }
    // Co-signers of the proposals: the lead's conditions with the co-signer
    // joined in.
    for s in sources().iter().filter(|s| s.member == "p.lead_member_id") {
        let condition = whose.condition(db, &mut args, "c.member_id");
        let fw = s.from_where.replacen(
            "FROM year_proposals p WHERE",
            "FROM year_proposals p JOIN proposal_cosigners c ON c.proposal_id = p.id \
             AND c.status = 'accepted' WHERE",
            1,
        );
        parts.push(format!(
            "SELECT c.member_id AS member_id, {} AS item, p.id AS record_id, {} AS on_date, \
             'cosigner' AS share, p.cosigners AS cosigners {fw} AND {condition}",
            s.item, s.on
        ));
    }
    // The year's days as dates on PostgreSQL; SQLite compares ISO text.
    let (first_day, last_day) = match db {
        Db::Sqlite(_) => ("$1", "$2"),
        Db::Postgres(_) => ("CAST($1 AS DATE)", "CAST($2 AS DATE)"),
    };
    let days = |sql: &str| sql.replace(":first", first_day).replace(":last", last_day);
    Some((days(&with), days(&parts.join(" UNION ALL ")), args))
}

/// Every record that earns points in `year` for `whose`, one row per record
/// and item.
pub async fn facts(db: &Db, whose: &Whose, year: i32) -> Result<Vec<Fact>, sqlx::Error> {
    let Some((with, sql, args)) = union(db, whose, year) else {
        return Ok(Vec::new());
    };
    let sql = format!("{with}{sql} ORDER BY on_date, record_id");
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, Fact>(&sql), args).fetch_all(pool).await)
}

/// The records that earn points in `year` for `whose`, counted by member,
/// item, share and co-signers.
pub async fn fact_counts(db: &Db, whose: &Whose, year: i32) -> Result<Vec<FactCount>, sqlx::Error> {
    let Some((with, sql, args)) = union(db, whose, year) else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "{with}SELECT member_id, item, share, cosigners, COUNT(*) AS n FROM ({sql}) f \
         GROUP BY member_id, item, share, cosigners"
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, FactCount>(&sql), args).fetch_all(pool).await)
}

/// A deduction from a member's points (扣分), taken back or not.
#[derive(Debug, Clone, FromRow)]
pub struct DeductionRow {
    pub id: i64,
    pub member_id: i64,
    pub on_date: NaiveDate,
    /// Tenths taken off (positive).
    pub points: i64,
    pub reason: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_reason: Option<String>,
    pub version: i64,
}

const DEDUCTION_COLUMNS: &str = "id, member_id, on_date, points, reason, created_by, created_at, \
     withdrawn_at, withdrawn_reason, version";

/// The deductions of `year` for `whose`; taken-back ones only when asked
/// (a member's page shows them, a score leaves them out).
pub async fn deductions(
    db: &Db,
    whose: &Whose,
    year: i32,
    with_withdrawn: bool,
) -> Result<Vec<DeductionRow>, sqlx::Error> {
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(Vec::new());
    };
    let mut args = Args::default();
    let (first_day, last_day) = match db {
        Db::Sqlite(_) => ("$1", "$2"),
        Db::Postgres(_) => ("CAST($1 AS DATE)", "CAST($2 AS DATE)"),
    };
    args.push(Arg::Text(first.format("%Y-%m-%d").to_string()));
    args.push(Arg::Text(last.format("%Y-%m-%d").to_string()));
    let condition = whose.condition(db, &mut args, "member_id");
    let withdrawn = if with_withdrawn {
        ""
    } else {
        " AND withdrawn_at IS NULL"
    };
    let sql = format!(
        "SELECT {DEDUCTION_COLUMNS} FROM point_deductions \
         WHERE on_date BETWEEN {first_day} AND {last_day} AND {condition}{withdrawn} \
         ORDER BY on_date, id"
    );
    on_db!(db, pool => bind_args!(sqlx::query_as::<_, DeductionRow>(&sql), args).fetch_all(pool).await)
}

pub async fn deduction(db: &Db, id: i64) -> Result<Option<DeductionRow>, sqlx::Error> {
    let sql = format!("SELECT {DEDUCTION_COLUMNS} FROM point_deductions WHERE id = $1");
    on_db!(db, pool => sqlx::query_as::<_, DeductionRow>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn insert_deduction(
    tx: &mut Tx,
    member_id: i64,
    on: NaiveDate,
    points: i64,
    reason: &str,
    user_id: i64,
) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO point_deductions (member_id, on_date, points, reason, created_by, created_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, 1) RETURNING id")
        .bind(member_id).bind(on).bind(points).bind(reason).bind(user_id).bind(Utc::now())
        .fetch_one(conn).await)
}

/// Take a deduction back, read at `expected_version`; false when it was
/// changed (or taken back) first.
pub async fn withdraw_deduction(
    tx: &mut Tx,
    id: i64,
    expected_version: i64,
    reason: &str,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    let rows = on_tx!(tx, conn => sqlx::query(
        "UPDATE point_deductions SET withdrawn_at = $1, withdrawn_by = $2, withdrawn_reason = $3, \
         version = version + 1 WHERE id = $4 AND version = $5 AND withdrawn_at IS NULL")
        .bind(Utc::now()).bind(user_id).bind(reason).bind(id).bind(expected_version)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}
