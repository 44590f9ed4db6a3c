//! Work plans (工作计划): a committee's plan per year, its items in order,
//! each measurable item with its rule (scope, period and the condition tree
//! as JSON, checked by `domain::plans::validate_rule` on the way in and on
//! the way out), and the records that count toward the rules: gathered per
//! kind of record for a whole committee and a span of days in one query
//! each, never one per member.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{Db, Tx};
use crate::domain::activities::ActivityKind;
use crate::domain::info::{AdoptionLevel, InfoKind};
use crate::domain::plans::{validate_rule, Condition, Fact, MeasureKind, Period, Rule, Scope};
use crate::{on_db, on_tx};

/// A plan as stored (its items apart).
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct PlanRow {
    pub id: i64,
    /// The committee whose plan it is.
    pub org_id: i64,
    pub org_name: String,
    pub year: i64,
    pub title: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: send it back with every change to
    /// the plan or its items.
    pub version: i64,
}

const COLUMNS: &str = "p.id, p.org_id, o.name AS org_name, p.year, p.title, p.created_by, \
    p.created_at, p.updated_at, p.version";
const FROM: &str = " FROM plans p JOIN orgs o ON o.id = p.org_id";

/// An item as stored: the rule's three columns are all set or all empty.
#[derive(Debug, Clone, FromRow)]
struct ItemRow {
    id: i64,
    plan_id: i64,
    position: i64,
    text: String,
    scope: Option<String>,
    period: Option<String>,
    rule_condition: Option<String>,
}

/// An item of a plan, its rule read back into the domain's terms.
#[derive(Debug, Clone)]
pub struct StoredItem {
    pub id: i64,
    pub plan_id: i64,
    pub position: i64,
    pub text: String,
    pub rule: Option<Rule>,
}

/// A stored rule that does not read back as a valid rule.
#[derive(Debug, thiserror::Error)]
#[error("plan item {0}: the stored rule is not valid")]
pub struct BadRule(pub i64);

impl ItemRow {
    fn read(self) -> Result<StoredItem, BadRule> {
        let rule = match (&self.scope, &self.period, &self.rule_condition) {
            (None, None, None) => None,
            (Some(scope), Some(period), Some(condition)) => {
                let scope = Scope::parse("scope", scope).map_err(|_| BadRule(self.id))?;
                let period = Period::parse("period", period).map_err(|_| BadRule(self.id))?;
                let condition: Condition =
                    serde_json::from_str(condition).map_err(|_| BadRule(self.id))?;
                let rule = Rule {
                    scope,
                    period,
                    condition,
                };
                validate_rule(&rule).map_err(|_| BadRule(self.id))?;
                Some(rule)
            }
            _ => return Err(BadRule(self.id)),
        };
        Ok(StoredItem {
            id: self.id,
            plan_id: self.plan_id,
            position: self.position,
            text: self.text,
            rule,
        })
    }
}

fn storage_error(e: BadRule) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

/// An item's rule as stored: scope, period and the condition tree as JSON.
type RuleColumns = (Option<&'static str>, Option<&'static str>, Option<String>);

/// The three rule columns of an item (checked: an invalid rule is not written).
fn rule_columns(rule: Option<&Rule>) -> Result<RuleColumns, sqlx::Error> {
    match rule {
        None => Ok((None, None, None)),
        Some(rule) => {
            validate_rule(rule).map_err(|_| storage_error(BadRule(0)))?;
            let condition = serde_json::to_string(&rule.condition)
                .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            Ok((
                Some(rule.scope.as_str()),
                Some(rule.period.as_str()),
                Some(condition),
            ))
        }
    }
}

pub async fn get(db: &Db, id: i64) -> Result<Option<PlanRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS}{FROM} WHERE p.id = $1");
    on_db!(db, pool => sqlx::query_as::<_, PlanRow>(&sql).bind(id).fetch_optional(pool).await)
}

/// A committee's plan for a year.
pub async fn find(db: &Db, org_id: i64, year: i64) -> Result<Option<PlanRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS}{FROM} WHERE p.org_id = $1 AND p.year = $2");
    on_db!(db, pool => sqlx::query_as::<_, PlanRow>(&sql).bind(org_id).bind(year)
        .fetch_optional(pool).await)
}

/// A committee's plans, the latest year first.
pub async fn list(db: &Db, org_id: i64) -> Result<Vec<PlanRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS}{FROM} WHERE p.org_id = $1 ORDER BY p.year DESC");
    on_db!(db, pool => sqlx::query_as::<_, PlanRow>(&sql).bind(org_id).fetch_all(pool).await)
}

/// A plan's items in order.
pub async fn items(db: &Db, plan_id: i64) -> Result<Vec<StoredItem>, sqlx::Error> {
    let rows = on_db!(db, pool => sqlx::query_as::<_, ItemRow>(
        "SELECT id, plan_id, position, text, scope, period, rule_condition FROM plan_items \
         WHERE plan_id = $1 ORDER BY position, id")
        .bind(plan_id).fetch_all(pool).await)?;
    rows.into_iter()
        .map(|r| r.read().map_err(storage_error))
        .collect()
}

pub async fn insert(
    tx: &mut Tx,
    org_id: i64,
    year: i64,
    title: &str,
    created_by: i64,
) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO plans (org_id, year, title, created_by, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $5, 1) RETURNING id")
        .bind(org_id).bind(year).bind(title).bind(created_by).bind(Utc::now())
        .fetch_one(conn).await)
}

/// Move the plan's version on (and set its title) when the stored version
/// is still `expected_version`; false when someone changed it first.
pub async fn touch(
    tx: &mut Tx,
    id: i64,
    expected_version: i64,
    title: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let rows = on_tx!(tx, conn => sqlx::query(
        "UPDATE plans SET title = COALESCE($1, title), updated_at = $2, version = version + 1 \
         WHERE id = $3 AND version = $4")
        .bind(title).bind(Utc::now()).bind(id).bind(expected_version)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(rows == 1)
}

/// Remove a plan and its items, on the version read.
pub async fn delete(tx: &mut Tx, id: i64, expected_version: i64) -> Result<bool, sqlx::Error> {
    if !touch(tx, id, expected_version, None).await? {
        return Ok(false);
    }
    on_tx!(tx, conn => sqlx::query("DELETE FROM plan_items WHERE plan_id = $1")
        .bind(id).execute(conn).await.map(|_| ()))?;
    on_tx!(tx, conn => sqlx::query("DELETE FROM plans WHERE id = $1")
        .bind(id).execute(conn).await.map(|_| ()))?;
    Ok(true)
}

pub async fn insert_item(
    tx: &mut Tx,
    plan_id: i64,
    position: i64,
    text: &str,
    rule: Option<&Rule>,
) -> Result<i64, sqlx::Error> {
    let (scope, period, condition) = rule_columns(rule)?;
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO plan_items (plan_id, position, text, scope, period, rule_condition, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id")
        .bind(plan_id).bind(position).bind(text).bind(scope).bind(period).bind(condition)
        .bind(Utc::now())
        .fetch_one(conn).await)
}

pub async fn update_item(
    tx: &mut Tx,
    id: i64,
    position: i64,
    text: &str,
    rule: Option<&Rule>,
) -> Result<(), sqlx::Error> {
    let (scope, period, condition) = rule_columns(rule)?;
    on_tx!(tx, conn => sqlx::query(
        "UPDATE plan_items SET position = $1, text = $2, scope = $3, period = $4, \
         rule_condition = $5, updated_at = $6 WHERE id = $7")
        .bind(position).bind(text).bind(scope).bind(period).bind(condition).bind(Utc::now())
        .bind(id)
        .execute(conn).await.map(|_| ()))?;
    Ok(())
}

pub async fn delete_item(tx: &mut Tx, id: i64) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM plan_items WHERE id = $1")
        .bind(id).execute(conn).await.map(|_| ()))?;
    Ok(())
}

/// Number the items of a plan 1, 2, 3… in their current order.
pub async fn renumber(tx: &mut Tx, plan_id: i64, ordered_ids: &[i64]) -> Result<(), sqlx::Error> {
    for (i, id) in ordered_ids.iter().enumerate() {
        on_tx!(tx, conn => sqlx::query(
            "UPDATE plan_items SET position = $1 WHERE id = $2 AND plan_id = $3")
            .bind(i as i64 + 1).bind(*id).bind(plan_id)
            .execute(conn).await.map(|_| ()))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The records that count

/// A member measured by the plan: their group, the day they joined and,
/// once gone, the day they left.
#[derive(Debug, Clone, FromRow)]
pub struct PlanMember {
    pub id: i64,
    pub name: String,
    pub group_id: Option<i64>,
    pub joined_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
}

/// A member group of the committee.
#[derive(Debug, Clone, FromRow)]
pub struct PlanGroup {
    pub id: i64,
    pub name: String,
}

/// The committee's members the plan measures, by name: those serving (在任)
/// and those who left on a known day (measured for the periods that ended
/// before it; one gone with no day recorded is not measured).
pub async fn members(db: &Db, scope_path: &str) -> Result<Vec<PlanMember>, sqlx::Error> {
    let sql = format!(
        "SELECT m.id, m.name, m.group_id, m.joined_on, m.left_on FROM members m \
         WHERE m.org_id IN {} AND (m.status = 'active' OR m.left_on IS NOT NULL) \
         ORDER BY m.name, m.id",
        super::scope_ids(db, "$1")
    );
    on_db!(db, pool => sqlx::query_as::<_, PlanMember>(&sql).bind(scope_path).fetch_all(pool).await)
}

/// The committee's member groups, by name.
pub async fn groups(db: &Db, scope_path: &str) -> Result<Vec<PlanGroup>, sqlx::Error> {
    let sql = format!(
        "SELECT o.id, o.name FROM orgs o WHERE o.id IN {} AND o.kind = 'group' ORDER BY o.name, o.id",
        super::scope_ids(db, "$1")
    );
    on_db!(db, pool => sqlx::query_as::<_, PlanGroup>(&sql).bind(scope_path).fetch_all(pool).await)
}

/// One record that counts, as the queries below give it: the record (the
/// page it links to is the kind's), its date, the member it counts for (if
/// any), the group it is explicitly of (if any), and the attributes the
/// rules filter on.
#[derive(Debug, Clone, FromRow)]
pub struct FactRow {
    /// The `MeasureKind` the record counts for.
    pub measure: String,
    pub record_id: i64,
    pub on_day: NaiveDate,
    pub member_id: Option<i64>,
    pub group_id: Option<i64>,
    pub info_kind: Option<String>,
    pub level: Option<String>,
    pub activity_kind: Option<String>,
}

/// A counted record with who it counts for.
#[derive(Debug, Clone)]
pub struct ScopedFact {
    pub fact: Fact,
    pub member_id: Option<i64>,
    pub group_id: Option<i64>,
}

/// The statements, one per kind of record, with `$1` the committee's path
/// and `$2`, `$3` the first and last day. Every one answers the columns of
/// [`FactRow`]. `{scope}` is the committee's organisations.
fn fact_sql(kind: MeasureKind) -> &'static str {
    use MeasureKind as M;
    match kind {
        // As lead author or co-signer who accepted; a group's own; the
        // committee counts each proposal once (the record id).
        M::ProposalsSubmitted => {
            "SELECT p.id AS record_id, p.submitted_on AS on_day, p.lead_member_id AS member_id, \
             p.group_id AS group_id, CAST(NULL AS TEXT) AS info_kind, CAST(NULL AS TEXT) AS level, CAST(NULL AS TEXT) AS activity_kind \
             FROM proposals p WHERE p.org_id IN {scope} AND p.submitted_on IS NOT NULL \
             AND p.status NOT IN ('draft', 'withdrawn') AND p.submitted_on BETWEEN $2 AND $3 \
             UNION ALL \
             SELECT p.id, p.submitted_on, c.member_id, NULL, NULL, NULL, NULL \
             FROM proposals p JOIN proposal_cosigners c ON c.proposal_id = p.id \
             WHERE p.org_id IN {scope} AND p.submitted_on IS NOT NULL AND c.status = 'accepted' \
             AND p.status NOT IN ('draft', 'withdrawn') AND p.submitted_on BETWEEN $2 AND $3"
        }
        // 立案: dated by the review.
        M::ProposalsAccepted => {
            "SELECT p.id AS record_id, p.reviewed_on AS on_day, p.lead_member_id AS member_id, \
             p.group_id AS group_id, CAST(NULL AS TEXT) AS info_kind, CAST(NULL AS TEXT) AS level, CAST(NULL AS TEXT) AS activity_kind \
             FROM proposals p WHERE p.org_id IN {scope} AND p.reviewed_on IS NOT NULL \
             AND p.status IN ('accepted', 'assigned', 'answered', 'closed') \
             AND p.reviewed_on BETWEEN $2 AND $3 \
             UNION ALL \
             SELECT p.id, p.reviewed_on, c.member_id, NULL, NULL, NULL, NULL \
             FROM proposals p JOIN proposal_cosigners c ON c.proposal_id = p.id \
             WHERE p.org_id IN {scope} AND p.reviewed_on IS NOT NULL AND c.status = 'accepted' \
             AND p.status IN ('accepted', 'assigned', 'answered', 'closed') \
             AND p.reviewed_on BETWEEN $2 AND $3"
        }
        M::InfoSubmitted => {
            "SELECT r.id AS record_id, r.submitted_on AS on_day, r.author_member_id AS member_id, \
             CAST(NULL AS BIGINT) AS group_id, r.kind AS info_kind, CAST(NULL AS TEXT) AS level, CAST(NULL AS TEXT) AS activity_kind \
             FROM info_reports r WHERE r.org_id IN {scope} AND r.status <> 'withdrawn' \
             AND r.submitted_on BETWEEN $2 AND $3"
        }
        // Dated by the forwarding, as the information figures count them.
        M::InfoForwarded => {
            "SELECT r.id AS record_id, r.forwarded_on AS on_day, r.author_member_id AS member_id, \
             CAST(NULL AS BIGINT) AS group_id, r.kind AS info_kind, CAST(NULL AS TEXT) AS level, CAST(NULL AS TEXT) AS activity_kind \
             FROM info_reports r WHERE r.org_id IN {scope} AND r.forwarded_on IS NOT NULL \
             AND r.forwarded_on BETWEEN $2 AND $3"
        }
        // One row per adoption: a report adopted twice still counts once per
        // measure (the domain's tally keeps record ids).
        M::InfoAdopted => {
            "SELECT r.id AS record_id, a.adopted_on AS on_day, r.author_member_id AS member_id, \
             CAST(NULL AS BIGINT) AS group_id, r.kind AS info_kind, a.level AS level, CAST(NULL AS TEXT) AS activity_kind \
             FROM info_adoptions a JOIN info_reports r ON r.id = a.report_id \
             WHERE r.org_id IN {scope} AND a.adopted_on BETWEEN $2 AND $3"
        }
        // Approved activities; a group's own are its.
        M::ActivitiesHeld => {
            "SELECT a.id AS record_id, a.held_on AS on_day, CAST(NULL AS BIGINT) AS member_id, \
             a.group_id AS group_id, CAST(NULL AS TEXT) AS info_kind, CAST(NULL AS TEXT) AS level, a.kind AS activity_kind \
             FROM activities a WHERE a.org_id IN {scope} AND a.approval = 'approved' \
             AND a.held_on BETWEEN $2 AND $3"
        }
        // Present at an approved activity.
        M::ActivitiesAttended => {
            "SELECT a.id AS record_id, a.held_on AS on_day, i.member_id AS member_id, \
             CAST(NULL AS BIGINT) AS group_id, CAST(NULL AS TEXT) AS info_kind, CAST(NULL AS TEXT) AS level, a.kind AS activity_kind \
             FROM activity_invitations i JOIN activities a ON a.id = i.activity_id \
             WHERE a.org_id IN {scope} AND a.approval = 'approved' AND i.attendance = 'present' \
             AND a.held_on BETWEEN $2 AND $3"
        }
        // A research report is filed on its activity (the record linked):
        // the committee's, the activity's group's, and each member present.
        M::ResearchReports => {
            "SELECT a.id AS record_id, r.submitted_on AS on_day, CAST(NULL AS BIGINT) AS member_id, \
             a.group_id AS group_id, CAST(NULL AS TEXT) AS info_kind, CAST(NULL AS TEXT) AS level, CAST(NULL AS TEXT) AS activity_kind \
             FROM research_reports r JOIN activities a ON a.id = r.activity_id \
             WHERE a.org_id IN {scope} AND r.submitted_on BETWEEN $2 AND $3 \
             UNION ALL \
             SELECT a.id, r.submitted_on, i.member_id, NULL, NULL, NULL, NULL \
             FROM research_reports r JOIN activities a ON a.id = r.activity_id \
             JOIN activity_invitations i ON i.activity_id = a.id \
             WHERE a.org_id IN {scope} AND i.attendance = 'present' \
             AND r.submitted_on BETWEEN $2 AND $3"
        }
        M::ReceptionDaysHeld => {
            "SELECT d.id AS record_id, d.held_on AS on_day, CAST(NULL AS BIGINT) AS member_id, \
             d.duty_group_id AS group_id, CAST(NULL AS TEXT) AS info_kind, CAST(NULL AS TEXT) AS level, CAST(NULL AS TEXT) AS activity_kind \
             FROM reception_days d WHERE d.org_id IN {scope} AND d.held_on BETWEEN $2 AND $3"
        }
        // A day on duty: the member's, and the duty group's.
        M::ReceptionDuty => {
            "SELECT d.id AS record_id, d.held_on AS on_day, r.member_id AS member_id, \
             CAST(NULL AS BIGINT) AS group_id, CAST(NULL AS TEXT) AS info_kind, CAST(NULL AS TEXT) AS level, CAST(NULL AS TEXT) AS activity_kind \
             FROM reception_duty r JOIN reception_days d ON d.id = r.reception_day_id \
             WHERE d.org_id IN {scope} AND d.held_on BETWEEN $2 AND $3 \
             UNION ALL \
             SELECT d.id, d.held_on, NULL, d.duty_group_id, NULL, NULL, NULL \
             FROM reception_days d WHERE d.org_id IN {scope} AND d.duty_group_id IS NOT NULL \
             AND d.held_on BETWEEN $2 AND $3"
        }
        // 回访: the follow-up step, dated as taken; the member who raised the
        // case (or received its visit) is credited.
        M::CasesFollowedUp => {
            "SELECT c.id AS record_id, e.occurred_on AS on_day, \
             COALESCE(c.raised_by, v.received_by) AS member_id, CAST(NULL AS BIGINT) AS group_id, \
             CAST(NULL AS TEXT) AS info_kind, CAST(NULL AS TEXT) AS level, CAST(NULL AS TEXT) AS activity_kind \
             FROM case_events e JOIN cases c ON c.id = e.case_id \
             LEFT JOIN visits v ON v.id = c.visit_id \
             WHERE c.org_id IN {scope} AND e.action = 'follow_up' \
             AND e.occurred_on BETWEEN $2 AND $3"
        }
        // A summary filed in the archive (and not taken out) counts for the
        // period it covers, dated no later than the day it was filed.
        M::WorkSummaries => {
            "SELECT s.id AS record_id, \
             CASE WHEN s.filed_on < s.period_to THEN s.filed_on ELSE s.period_to END AS on_day, \
             CAST(NULL AS BIGINT) AS member_id, CAST(NULL AS BIGINT) AS group_id, \
             CAST(NULL AS TEXT) AS info_kind, CAST(NULL AS TEXT) AS level, CAST(NULL AS TEXT) AS activity_kind \
             FROM summaries s WHERE s.org_id IN {scope} AND s.withdrawn_on IS NULL \
             AND (CASE WHEN s.filed_on < s.period_to THEN s.filed_on ELSE s.period_to END) BETWEEN $2 AND $3"
        }
    }
}

/// Every record of the committee within `scope_path` dated `from..=to` that
/// counts toward `kinds`, one query per kind (the whole committee at once).
pub async fn facts(
    db: &Db,
    scope_path: &str,
    kinds: &[MeasureKind],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ScopedFact>, sqlx::Error> {
    facts_of(db, scope_path, kinds, from, to, None).await
}

/// [`facts`], only those counting for `member` when given (a member's own
/// quotas: their records, not the committee's).
pub async fn facts_of(
    db: &Db,
    scope_path: &str,
    kinds: &[MeasureKind],
    from: NaiveDate,
    to: NaiveDate,
    member: Option<i64>,
) -> Result<Vec<ScopedFact>, sqlx::Error> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    // One statement for every kind (a round trip each was most of a member's
    // first page under load: each waits its turn for a connection).
    let scope = super::scope_ids(db, "$1");
    let whose = if member.is_some() {
        " WHERE f.member_id = $4"
    } else {
        ""
    };
    let sql = kinds
        .iter()
        .map(|kind| {
            format!(
                "SELECT '{}' AS measure, record_id, on_day, member_id, group_id, info_kind, \
                 level, activity_kind FROM ({}) f{whose}",
                kind.as_str(),
                fact_sql(*kind).replace("{scope}", &scope)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let rows = match member {
        Some(m) => on_db!(db, pool => sqlx::query_as::<_, FactRow>(&sql)
            .bind(scope_path).bind(from).bind(to).bind(m).fetch_all(pool).await)?,
        None => on_db!(db, pool => sqlx::query_as::<_, FactRow>(&sql)
            .bind(scope_path).bind(from).bind(to).fetch_all(pool).await)?,
    };
    let mut facts: Vec<ScopedFact> = rows
        .into_iter()
        .filter_map(|r| {
            let kind = MeasureKind::parse("measure", &r.measure).ok()?;
            Some(ScopedFact {
                fact: Fact {
                    kind,
                    record_id: r.record_id,
                    on: r.on_day,
                    info_kind: r
                        .info_kind
                        .as_deref()
                        .and_then(|k| InfoKind::parse("info_kind", k).ok()),
                    level: r
                        .level
                        .as_deref()
                        .and_then(|l| AdoptionLevel::parse("level", l).ok()),
                    activity_kind: r
                        .activity_kind
                        .as_deref()
                        .and_then(|k| ActivityKind::parse("activity_kind", k).ok()),
                },
                member_id: r.member_id,
                group_id: r.group_id,
            })
        })
        .collect();
    // The records in date order, as a rule's list shows them: sorted here,
    // where it costs microseconds (SQLite's sort of a district's year of
    // records, 2,411 rows, took 2.5 of the statement's 6.5 ms).
    facts.sort_by_key(|f| (f.fact.on, f.fact.record_id));
    Ok(facts)
}

/// The plan an item belongs to.
pub async fn plan_of_item(db: &Db, item_id: i64) -> Result<Option<i64>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, i64>("SELECT plan_id FROM plan_items WHERE id = $1")
        .bind(item_id).fetch_optional(pool).await)
}
