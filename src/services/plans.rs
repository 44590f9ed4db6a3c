//! Work plans (工作计划): a committee's plan for a year, its items and their
//! rules, and where every rule stands. Staff of the committee (or above it)
//! write plans; staff read any committee within their subtree, a member
//! their own committee's plan and their own quotas. Every change is audited
//! and moves the plan's version on. The status of a rule is computed from
//! the records (`storage::plans::facts`) by `domain::plans::evaluate`,
//! never stored.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::cases::committee;
use super::projects::reading_scope;
use super::steps::{check_version, parse_version, today};
use super::{non_blank, Actor};
use crate::app::i18n::{self, Locale};
use crate::domain::activities::parse_year;
use crate::domain::plans::{
    self as rules, copy_to_year, describe, evaluate, parse_rule, template_2012, validate_item,
    window, Condition, Measure, MeasureKind, Plan, PlanItem, PlanPeriod, PlanStatus, Rule,
    RuleInput, Scope, Serving, Tally, ITEM_MAX_CHARS,
};
use crate::domain::roles::Role;
use crate::domain::text::{optional_text, required_text};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::services::error::AppError;
use crate::storage::orgs::Org;
use crate::storage::plans::{self as store, PlanRow, ScopedFact, StoredItem};
use crate::storage::{audit, is_unique_violation, orgs, Db};

/// The longest plan title, in characters.
pub const TITLE_MAX_CHARS: usize = 100;

const STAFF: &[Role] = &[Role::Staff];

/// A plan as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PlanInput {
    /// The committee (default: the user's own).
    pub org_id: Option<String>,
    /// The year, e.g. `2012`.
    pub year: Option<String>,
    /// Default: 「2012年工作计划」 for 2012.
    pub title: Option<String>,
    /// `2012`: start from the built-in template (the seed's 2012 plan).
    pub template: Option<String>,
    /// Edits, deletions and copies: the version read.
    pub version: Option<String>,
}

/// A plan item as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ItemInput {
    /// The item's text (at most 500 characters).
    pub text: String,
    /// Its place in the plan, from 1 (default: last).
    pub position: Option<String>,
    /// Its rule; none (or one with nothing chosen) for a text-only item.
    pub rule: Option<RuleInput>,
    /// The plan's version as read.
    pub version: Option<String>,
}

/// Copy a plan to a year.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CopyInput {
    /// The year to copy to (default: the next year).
    pub year: Option<String>,
    /// The plan's version as read.
    pub version: Option<String>,
}

/// The plans of a committee.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PlanQuery {
    pub org: Option<String>,
    pub year: Option<String>,
}

/// The status of a committee's rules in a period.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StatusQuery {
    pub org: Option<String>,
    /// `2011`, `2011-H1`, `2011-Q3` or `2011-05` (default: this quarter, or
    /// the latest plan's year when this year has none).
    pub period: Option<String>,
}

/// An item of a plan, its rule in words.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemView {
    pub id: i64,
    /// From 1.
    pub position: i64,
    pub text: String,
    /// The rule: `{"scope": "each_member", "period": "quarter", "condition":
    /// {"any": [{"at_least": {"measure": {"kind": "info_forwarded",
    /// "info_kind": "social_condition"}, "target": 3}}, …]}}`.
    #[schema(value_type = Option<Object>)]
    pub rule: Option<Rule>,
    /// The rule in plain words, e.g. 每位委员每季度报送社情民意信息不少于3条，或政协工作信息不少于1条.
    pub rule_text: Option<String>,
}

/// A plan with its items in order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanDetail {
    #[serde(flatten)]
    pub plan: PlanRow,
    pub items: Vec<ItemView>,
}

/// Who a line of the status is about.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScopeStatus {
    /// `member`, `group` or `committee`.
    pub kind: &'static str,
    /// The member's, the group's or the committee's id.
    pub id: i64,
    pub name: String,
    /// met | on_track | at_risk | missed | not_due
    pub status: PlanStatus,
    /// The days measured (none: not due for this member).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Each counted condition: count against target, and the records that count.
    pub conditions: Vec<ConditionStatus>,
    /// The counts against the targets, e.g. `2/3，或 1/1`.
    pub figures: String,
}

/// A record that counts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountedRecord {
    pub id: i64,
    pub on: NaiveDate,
    /// The record's page.
    pub url: String,
}

/// One counted condition for one scope and period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConditionStatus {
    /// What is counted, in words (e.g. 上报社情民意信息).
    pub measure: String,
    pub count: i64,
    pub target: i64,
    pub met: bool,
    pub records: Vec<CountedRecord>,
}

/// A rule in one of its periods.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodStatus {
    /// e.g. `2011-Q3`.
    pub period: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// How many of the scopes stand at each status.
    pub met: usize,
    pub on_track: usize,
    pub at_risk: usize,
    pub missed: usize,
    pub not_due: usize,
    pub scopes: Vec<ScopeStatus>,
}

/// A rule of the plan and where it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleStatus {
    pub item_id: i64,
    pub text: String,
    pub rule_text: String,
    /// each_member | each_group | committee
    pub scope: Scope,
    /// month | quarter | half_year | year
    pub period_kind: rules::Period,
    /// The rule's periods that overlap the period asked, in order.
    pub periods: Vec<PeriodStatus>,
}

/// A committee's rules in a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanStatusReport {
    pub org_id: i64,
    pub org_name: String,
    /// The period asked, e.g. `2011-Q3`.
    pub period: String,
    pub year: i32,
    /// The plan of the period's year (none: the committee has no plan that year).
    pub plan_id: Option<i64>,
    pub plan_version: Option<i64>,
    /// The day the statuses are computed for.
    pub today: NaiveDate,
    pub items: Vec<RuleStatus>,
    pub total: i64,
}

// ---------------------------------------------------------------------------
// Reading

fn words(locale: Locale) -> impl Fn(&str, &[(&str, String)]) -> String {
    move |key: &str, params: &[(&str, String)]| i18n::t_with(locale, key, params)
}

/// A rule in plain words in the actor's language.
pub fn rule_text(locale: Locale, rule: &Rule) -> String {
    describe(rule, &words(locale))
}

fn item_view(locale: Locale, item: StoredItem) -> ItemView {
    let rule_text = item.rule.as_ref().map(|r| rule_text(locale, r));
    ItemView {
        id: item.id,
        position: item.position,
        text: item.text,
        rule: item.rule,
        rule_text,
    }
}

/// Whether the actor may read the plan: staff within their subtree, a
/// member of its committee.
async fn visible(db: &Db, actor: &Actor, plan: &PlanRow) -> Result<bool, AppError> {
    let Some(org) = orgs::get_org(db, plan.org_id).await? else {
        return Ok(false);
    };
    Ok(match actor.role {
        Role::Staff => actor.sees(&org.path),
        Role::Member => {
            let own = super::projects::own_committee(db, actor).await?;
            own.id == org.id
        }
        _ => false,
    })
}

/// A plan the actor may read; anything else is "not found".
pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<PlanRow, AppError> {
    actor.require(&[Role::Staff, Role::Member])?;
    let plan = store::get(db, id).await?.ok_or(AppError::NotFound)?;
    if visible(db, actor, &plan).await? {
        Ok(plan)
    } else {
        Err(AppError::NotFound)
    }
}

/// A plan with its items.
pub async fn detail(db: &Db, actor: &Actor, id: i64) -> Result<PlanDetail, AppError> {
    let plan = get(db, actor, id).await?;
    let items = store::items(db, id).await?;
    Ok(PlanDetail {
        plan,
        items: items
            .into_iter()
            .map(|i| item_view(actor.locale, i))
            .collect(),
    })
}

/// A committee's plans (of one year when asked), the latest year first.
pub async fn list(db: &Db, actor: &Actor, q: &PlanQuery) -> Result<(Org, Vec<PlanRow>), AppError> {
    actor.require(&[Role::Staff, Role::Member])?;
    let org = reading_scope(db, actor, non_blank(&q.org)).await?;
    let year = match non_blank(&q.year) {
        Some(y) => Some(parse_year("year", y).map_err(|e| AppError::BadRequest(e.into()))?),
        None => None,
    };
    let mut plans = store::list(db, org.id).await?;
    if let Some(y) = year {
        plans.retain(|p| p.year == i64::from(y));
    }
    Ok((org, plans))
}

/// The committee's plan for a year, if it has one.
pub async fn of_year(db: &Db, org_id: i64, year: i32) -> Result<Option<PlanRow>, AppError> {
    Ok(store::find(db, org_id, i64::from(year)).await?)
}

// ---------------------------------------------------------------------------
// Writing

fn year_taken() -> AppError {
    FieldError::new("year", "plan_year_taken").into()
}

fn default_title(locale: Locale, year: i32) -> String {
    i18n::t_with(locale, "plan.default_title", &[("year", year.to_string())])
}

fn parse_title(errors: &mut FieldErrors, input: &Option<String>) -> Option<String> {
    errors
        .check(optional_text(
            "title",
            input.as_deref().unwrap_or(""),
            TITLE_MAX_CHARS,
        ))
        .flatten()
}

/// A plan the actor may change: staff within their subtree.
async fn writable(db: &Db, actor: &Actor, id: i64) -> Result<PlanRow, AppError> {
    actor.require(STAFF)?;
    get(db, actor, id).await
}

async fn insert_items(
    tx: &mut crate::storage::Tx,
    plan_id: i64,
    items: &[PlanItem],
) -> Result<(), AppError> {
    for (i, item) in items.iter().enumerate() {
        store::insert_item(tx, plan_id, i as i64 + 1, &item.text, item.rule.as_ref()).await?;
    }
    Ok(())
}

/// Start a committee's plan for a year: empty, or the built-in 2012
/// template (`template: "2012"`) moved to that year.
pub async fn create(db: &Db, actor: &Actor, input: &PlanInput) -> Result<PlanDetail, AppError> {
    actor.require(STAFF)?;
    let mut errors = FieldErrors::new();
    let org = match committee(db, actor, "org_id", non_blank(&input.org_id)).await {
        Ok(o) => Some(o),
        Err(AppError::Validation(e)) => {
            errors.0.extend(e.0);
            None
        }
        Err(e) => return Err(e),
    };
    let year = errors.check(parse_year("year", input.year.as_deref().unwrap_or("")));
    let title = parse_title(&mut errors, &input.title);
    let template = match non_blank(&input.template) {
        None => None,
        Some("2012") => Some(template_2012()),
        Some(_) => {
            errors.push(FieldError::new("template", "invalid_choice"));
            None
        }
    };
    errors.into_result()?;
    let (Some(org), Some(year)) = (org, year) else {
        return Err(AppError::internal("validated plan fields missing"));
    };
    let items = template
        .map(|t| copy_to_year(&t, year).items)
        .unwrap_or_default();
    let title = title.unwrap_or_else(|| default_title(actor.locale, year));
    let id = save_new(db, actor, org.id, year, &title, &items, None).await?;
    detail(db, actor, id).await
}

/// Insert a plan with its items, audited, in one transaction.
async fn save_new(
    db: &Db,
    actor: &Actor,
    org_id: i64,
    year: i32,
    title: &str,
    items: &[PlanItem],
    copied_from: Option<(i64, i64)>,
) -> Result<i64, AppError> {
    let mut tx = db.begin().await?;
    let id = match store::insert(&mut tx, org_id, i64::from(year), title, actor.user_id).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Err(year_taken()),
        Err(e) => return Err(e.into()),
    };
    insert_items(&mut tx, id, items).await?;
    let rules = items.iter().filter(|i| i.rule.is_some()).count();
    let mut detail = serde_json::json!({
        "org_id": org_id, "year": year, "title": title, "items": items.len(), "rules": rules,
    });
    let row = match copied_from {
        Some((plan_id, from_year)) => {
            detail["copied_from"] = serde_json::json!(plan_id);
            detail["from_year"] = serde_json::json!(from_year);
            actor.audit("plan_copy", "plan", id, Some(detail.to_string()))
        }
        None => actor.audit("create", "plan", id, Some(detail.to_string())),
    };
    audit::insert(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(id)
}

/// Rename a plan, on the version read.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &PlanInput,
) -> Result<PlanDetail, AppError> {
    let before = writable(db, actor, id).await?;
    let version = parse_version(&input.version)?;
    let mut errors = FieldErrors::new();
    let title = errors.check(required_text(
        "title",
        input.title.as_deref().unwrap_or(""),
        TITLE_MAX_CHARS,
    ));
    if let Some(y) = non_blank(&input.year) {
        if errors.check(parse_year("year", y)).map(i64::from) != Some(before.year) {
            errors.push(FieldError::new("year", "plan_year_fixed").with("year", before.year));
        }
    }
    errors.into_result()?;
    let title = title.unwrap_or_default();
    let mut tx = db.begin().await?;
    check_version(store::touch(&mut tx, id, version, Some(&title)).await?)?;
    let detail = serde_json::json!({ "before_version": before.version, "title": title });
    audit::insert(
        &mut tx,
        &actor.audit("update", "plan", id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    self::detail(db, actor, id).await
}

/// Remove a plan and its items, on the version read.
pub async fn delete(db: &Db, actor: &Actor, id: i64, input: &PlanInput) -> Result<(), AppError> {
    let before = writable(db, actor, id).await?;
    let version = parse_version(&input.version)?;
    let items = store::items(db, id).await?;
    let mut tx = db.begin().await?;
    check_version(store::delete(&mut tx, id, version).await?)?;
    let detail = serde_json::json!({
        "org_id": before.org_id, "year": before.year, "title": before.title, "items": items.len(),
    });
    audit::insert(
        &mut tx,
        &actor.audit("delete", "plan", id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Copy a plan's items and rules to another year (the next by default).
pub async fn copy(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &CopyInput,
) -> Result<PlanDetail, AppError> {
    let source = writable(db, actor, id).await?;
    let version = parse_version(&input.version)?;
    check_version(version == source.version)?;
    let from_year = i32::try_from(source.year).unwrap_or(2000);
    let year = match non_blank(&input.year) {
        Some(y) => parse_year("year", y)?,
        None => parse_year("year", &(from_year + 1).to_string())?,
    };
    let items = store::items(db, id).await?;
    let plan = Plan {
        year: from_year,
        title: source.title.clone(),
        items: items
            .into_iter()
            .map(|i| PlanItem {
                text: i.text,
                rule: i.rule,
            })
            .collect(),
    };
    let copied = copy_to_year(&plan, year);
    let new_id = save_new(
        db,
        actor,
        source.org_id,
        year,
        &copied.title,
        &copied.items,
        Some((id, source.year)),
    )
    .await?;
    detail(db, actor, new_id).await
}

/// The rule of an item input: none when nothing of it was filled in.
fn item_rule(input: &ItemInput) -> Result<Option<Rule>, FieldErrors> {
    let Some(rule) = &input.rule else {
        return Ok(None);
    };
    fn blank(c: &rules::ConditionInput) -> bool {
        c.measure.trim().is_empty() && c.target.trim().is_empty() && c.conditions.iter().all(blank)
    }
    if rule.scope.trim().is_empty()
        && rule.period.trim().is_empty()
        && rule.conditions.iter().all(blank)
    {
        return Ok(None);
    }
    parse_rule(rule).map(Some)
}

/// A validated item: text, rule and its wished position.
fn parse_item(input: &ItemInput) -> Result<(PlanItem, Option<usize>), AppError> {
    let mut errors = FieldErrors::new();
    let text = errors.check(required_text("item_text", &input.text, ITEM_MAX_CHARS));
    let position = match non_blank(&input.position) {
        None => None,
        Some(p) => match p.parse::<usize>().ok().filter(|p| (1..=1000).contains(p)) {
            Some(p) => Some(p),
            None => {
                errors.push(FieldError::new("position", "plan_position"));
                None
            }
        },
    };
    let rule = match item_rule(input) {
        Ok(r) => r,
        Err(e) => {
            errors.0.extend(e.0);
            None
        }
    };
    errors.into_result()?;
    let item = PlanItem {
        text: text.unwrap_or_default(),
        rule,
    };
    validate_item(&item)?;
    Ok((item, position))
}

fn item_detail(item: &PlanItem, position: i64) -> serde_json::Value {
    serde_json::json!({
        "item_text": item.text,
        "position": position,
        "rule": item.rule.as_ref().map(|r| serde_json::to_string(r).unwrap_or_default()),
    })
}

/// Place `moved` at `position` (1-based, clamped) among the other items.
fn ordered(items: &[StoredItem], moved: i64, position: Option<usize>) -> Vec<i64> {
    let mut ids: Vec<i64> = items
        .iter()
        .map(|i| i.id)
        .filter(|id| *id != moved)
        .collect();
    let at = position.map_or(ids.len(), |p| (p - 1).min(ids.len()));
    ids.insert(at, moved);
    ids
}

/// Add an item (with its rule) to a plan, on the plan's version read.
pub async fn add_item(
    db: &Db,
    actor: &Actor,
    plan_id: i64,
    input: &ItemInput,
) -> Result<PlanDetail, AppError> {
    writable(db, actor, plan_id).await?;
    let version = parse_version(&input.version)?;
    let (item, position) = parse_item(input)?;
    let existing = store::items(db, plan_id).await?;
    let mut tx = db.begin().await?;
    check_version(store::touch(&mut tx, plan_id, version, None).await?)?;
    let last = existing.len() as i64 + 1;
    let id = store::insert_item(&mut tx, plan_id, last, &item.text, item.rule.as_ref()).await?;
    let order = ordered(&existing, id, position);
    store::renumber(&mut tx, plan_id, &order).await?;
    let at = order.iter().position(|i| *i == id).unwrap_or(0) as i64 + 1;
    let mut detail = item_detail(&item, at);
    detail["item_id"] = serde_json::json!(id);
    audit::insert(
        &mut tx,
        &actor.audit("create", "plan_item", id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    self::detail(db, actor, plan_id).await
}

async fn own_item(db: &Db, plan_id: i64, item_id: i64) -> Result<Vec<StoredItem>, AppError> {
    let items = store::items(db, plan_id).await?;
    if items.iter().any(|i| i.id == item_id) {
        Ok(items)
    } else {
        Err(AppError::NotFound)
    }
}

/// Edit an item (its text, place and rule), on the plan's version read.
pub async fn update_item(
    db: &Db,
    actor: &Actor,
    plan_id: i64,
    item_id: i64,
    input: &ItemInput,
) -> Result<PlanDetail, AppError> {
    writable(db, actor, plan_id).await?;
    let items = own_item(db, plan_id, item_id).await?;
    let version = parse_version(&input.version)?;
    let (item, position) = parse_item(input)?;
    let before = items.iter().find(|i| i.id == item_id).map(|i| i.position);
    let order = match position {
        Some(_) => ordered(&items, item_id, position),
        None => items.iter().map(|i| i.id).collect(),
    };
    let at = order.iter().position(|i| *i == item_id).unwrap_or(0) as i64 + 1;
    let mut tx = db.begin().await?;
    check_version(store::touch(&mut tx, plan_id, version, None).await?)?;
    store::update_item(&mut tx, item_id, at, &item.text, item.rule.as_ref()).await?;
    store::renumber(&mut tx, plan_id, &order).await?;
    let mut detail = item_detail(&item, at);
    detail["item_id"] = serde_json::json!(item_id);
    detail["before_position"] = serde_json::json!(before);
    audit::insert(
        &mut tx,
        &actor.audit("update", "plan_item", item_id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    self::detail(db, actor, plan_id).await
}

/// Remove an item, on the plan's version read.
pub async fn delete_item(
    db: &Db,
    actor: &Actor,
    plan_id: i64,
    item_id: i64,
    version: &Option<String>,
) -> Result<PlanDetail, AppError> {
    writable(db, actor, plan_id).await?;
    let items = own_item(db, plan_id, item_id).await?;
    let version = parse_version(version)?;
    let gone = items.iter().find(|i| i.id == item_id);
    let detail = gone.map(|i| {
        let mut d = item_detail(
            &PlanItem {
                text: i.text.clone(),
                rule: i.rule.clone(),
            },
            i.position,
        );
        d["item_id"] = serde_json::json!(item_id);
        d
    });
    let rest: Vec<i64> = items
        .iter()
        .map(|i| i.id)
        .filter(|i| *i != item_id)
        .collect();
    let mut tx = db.begin().await?;
    check_version(store::touch(&mut tx, plan_id, version, None).await?)?;
    store::delete_item(&mut tx, item_id).await?;
    store::renumber(&mut tx, plan_id, &rest).await?;
    audit::insert(
        &mut tx,
        &actor.audit(
            "delete",
            "plan_item",
            item_id,
            detail.map(|d| d.to_string()),
        ),
    )
    .await?;
    tx.commit().await?;
    self::detail(db, actor, plan_id).await
}

// ---------------------------------------------------------------------------
// Where the rules stand

/// The record page of a counted record of `kind`.
pub fn record_url(kind: MeasureKind, id: i64) -> String {
    use MeasureKind as M;
    match kind {
        M::ProposalsSubmitted | M::ProposalsAccepted => format!("/proposals/{id}"),
        M::InfoSubmitted | M::InfoForwarded | M::InfoAdopted => format!("/info/{id}"),
        M::ActivitiesHeld | M::ActivitiesAttended | M::ResearchReports => {
            format!("/activities/{id}")
        }
        M::ReceptionDaysHeld | M::ReceptionDuty => format!("/reception/{id}"),
        M::CasesFollowedUp => format!("/cases/{id}"),
        M::WorkSummaries => format!("/reports/summaries/{id}"),
    }
}

/// What a measure counts, in words: its verb and object (上报社情民意信息).
fn measure_words(locale: Locale, m: &Measure) -> String {
    rules::describe_measure(m, &words(locale))
}

/// The periods of `kind` that overlap `asked`, in order.
fn periods_within(asked: PlanPeriod, kind: rules::Period) -> Vec<PlanPeriod> {
    PlanPeriod::of_year(asked.year, kind)
        .into_iter()
        .filter(|p| p.first_day() <= asked.last_day() && asked.first_day() <= p.last_day())
        .collect()
}

/// Who the actor may see in the status: staff everyone of the committee; a
/// member themselves, their group and the committee.
struct Seen {
    member: Option<i64>,
    group: Option<i64>,
    everyone: bool,
}

/// Where every rule of the committee's plan stands in the period asked:
/// for each rule, each of its periods overlapping the period asked, and
/// each scope (every member, every group, or the committee), the status with
/// the counts against the targets and the records that count.
pub async fn status(db: &Db, actor: &Actor, q: &StatusQuery) -> Result<PlanStatusReport, AppError> {
    status_with(db, actor, q, true, false).await
}

/// The status as [`status`] computes it, without the records that count
/// (none listed, `records` empty): what a first page shows, cheaper.
pub async fn status_counts(
    db: &Db,
    actor: &Actor,
    q: &StatusQuery,
) -> Result<PlanStatusReport, AppError> {
    status_with(db, actor, q, false, false).await
}

/// A member's own quotas: the rules measuring each member, for them alone,
/// counted from their own records (a member's first page; the committee's
/// and the groups' rules and everyone else's records are not read).
pub async fn own_quotas(
    db: &Db,
    actor: &Actor,
    q: &StatusQuery,
) -> Result<PlanStatusReport, AppError> {
    actor.require(&[Role::Member])?;
    status_with(db, actor, q, false, true).await
}

async fn status_with(
    db: &Db,
    actor: &Actor,
    q: &StatusQuery,
    with_records: bool,
    own: bool,
) -> Result<PlanStatusReport, AppError> {
    actor.require(&[Role::Staff, Role::Member])?;
    let org = reading_scope(db, actor, non_blank(&q.org)).await?;
    let today = today();
    let asked = match non_blank(&q.period) {
        Some(p) => PlanPeriod::parse("period", p).map_err(|e| AppError::BadRequest(e.into()))?,
        None => default_period(db, org.id, today).await?,
    };
    // Independent reads at once: a first page waits for each round trip.
    let (plan, members, groups) = tokio::try_join!(
        of_year(db, org.id, asked.year),
        async { Ok::<_, AppError>(store::members(db, &org.path).await?) },
        async { Ok::<_, AppError>(store::groups(db, &org.path).await?) },
    )?;
    let mut items = match &plan {
        Some(p) => store::items(db, p.id).await?,
        None => Vec::new(),
    };
    let own = if own { actor.member_id } else { None };
    if own.is_some() {
        items.retain(|i| {
            i.rule
                .as_ref()
                .is_some_and(|r| r.scope == Scope::EachMember)
        });
    }
    let seen = match actor.role {
        Role::Staff => Seen {
            member: None,
            group: None,
            everyone: true,
        },
        _ => {
            let me = actor.member_id;
            Seen {
                member: me,
                group: members
                    .iter()
                    .find(|m| Some(m.id) == me)
                    .and_then(|m| m.group_id),
                everyone: false,
            }
        }
    };
    let report = compute(
        actor.locale,
        &org,
        asked,
        today,
        &items,
        &members,
        &groups,
        &seen,
        with_records,
        own,
        db,
    )
    .await?;
    Ok(PlanStatusReport {
        org_id: org.id,
        org_name: org.name,
        period: asked.to_string(),
        year: asked.year,
        plan_id: plan.as_ref().map(|p| p.id),
        plan_version: plan.as_ref().map(|p| p.version),
        today,
        total: report.len() as i64,
        items: report,
    })
}

/// Where every rule of `org`'s plan for `asked`'s year stood on `as_of`, as
/// the committee's staff see it (every scope): what a work summary of the
/// period states (a year's rule in a half-year's summary is still running).
/// No plan that year: no rules.
pub async fn committee_status(
    db: &Db,
    org: &Org,
    asked: PlanPeriod,
    as_of: NaiveDate,
    locale: Locale,
) -> Result<Vec<RuleStatus>, AppError> {
    let Some(plan) = of_year(db, org.id, asked.year).await? else {
        return Ok(Vec::new());
    };
    let items = store::items(db, plan.id).await?;
    let members = store::members(db, &org.path).await?;
    let groups = store::groups(db, &org.path).await?;
    let seen = Seen {
        member: None,
        group: None,
        everyone: true,
    };
    compute(
        locale, org, asked, as_of, &items, &members, &groups, &seen, true, None, db,
    )
    .await
}

/// The texts of `org`'s plan items for `year`, in order (none without a plan).
pub async fn item_texts(db: &Db, org_id: i64, year: i32) -> Result<Vec<String>, AppError> {
    let Some(plan) = of_year(db, org_id, year).await? else {
        return Ok(Vec::new());
    };
    Ok(store::items(db, plan.id)
        .await?
        .into_iter()
        .map(|i| i.text)
        .collect())
}

/// Without a period asked: this quarter when this year has a plan, else the
/// whole year of the latest plan before this year (or this quarter).
pub(crate) async fn default_period(
    db: &Db,
    org_id: i64,
    today: NaiveDate,
) -> Result<PlanPeriod, AppError> {
    let this_quarter = PlanPeriod::containing(rules::Period::Quarter, today);
    let plans = store::list(db, org_id).await?;
    if plans.iter().any(|p| p.year == i64::from(today.year())) {
        return Ok(this_quarter);
    }
    Ok(plans
        .iter()
        .filter_map(|p| i32::try_from(p.year).ok())
        .filter(|y| *y < today.year())
        .max()
        .and_then(|y| PlanPeriod::new(y, rules::Period::Year, 1))
        .unwrap_or(this_quarter))
}

#[allow(clippy::too_many_arguments)]
async fn compute(
    locale: Locale,
    org: &Org,
    asked: PlanPeriod,
    today: NaiveDate,
    items: &[StoredItem],
    members: &[store::PlanMember],
    groups: &[store::PlanGroup],
    seen: &Seen,
    with_records: bool,
    // Only this member's records (their own quotas alone are computed).
    own: Option<i64>,
    db: &Db,
) -> Result<Vec<RuleStatus>, AppError> {
    let ruled: Vec<(&StoredItem, &Rule)> = items
        .iter()
        .filter_map(|i| i.rule.as_ref().map(|r| (i, r)))
        .collect();
    // Every kind counted, over the days of every period concerned, at once.
    let mut kinds: Vec<MeasureKind> = Vec::new();
    let (mut from, mut to) = (asked.first_day(), asked.last_day());
    for (_, rule) in &ruled {
        for m in rule.measures() {
            if !kinds.contains(&m.kind) {
                kinds.push(m.kind);
            }
        }
        for p in periods_within(asked, rule.period) {
            from = from.min(p.first_day());
            to = to.max(p.last_day());
        }
    }
    let facts = if kinds.is_empty() {
        Vec::new()
    } else {
        store::facts_of(db, &org.path, &kinds, from, to.min(today), own).await?
    };
    let group_of: HashMap<i64, Option<i64>> = members.iter().map(|m| (m.id, m.group_id)).collect();
    let mut by_member: HashMap<i64, Vec<rules::Fact>> = HashMap::new();
    let mut by_group: HashMap<i64, Vec<rules::Fact>> = HashMap::new();
    let mut all: Vec<rules::Fact> = Vec::new();
    let mut dates: HashMap<(MeasureKind, i64), NaiveDate> = HashMap::new();
    for ScopedFact {
        fact,
        member_id,
        group_id,
    } in &facts
    {
        all.push(*fact);
        let d = dates.entry((fact.kind, fact.record_id)).or_insert(fact.on);
        *d = (*d).min(fact.on);
        if let Some(m) = member_id {
            by_member.entry(*m).or_default().push(*fact);
        }
        let group =
            group_id.or_else(|| member_id.and_then(|m| group_of.get(&m).copied().flatten()));
        if let Some(g) = group {
            by_group.entry(g).or_default().push(*fact);
        }
    }
    let empty: Vec<rules::Fact> = Vec::new();
    let mut out = Vec::new();
    for (item, rule) in ruled {
        let measures = rule.measures();
        let mut periods = Vec::new();
        for period in periods_within(asked, rule.period) {
            let mut scopes = Vec::new();
            let mut line = |kind: &'static str,
                            id: i64,
                            name: &str,
                            serving: Serving,
                            facts: &[rules::Fact]| {
                let tally = match window(period, serving) {
                    Some((from, to)) => Tally::from_facts(&measures, facts, from, to.min(today)),
                    None => Tally::new(),
                };
                let e = evaluate(rule, period, serving, &tally, today);
                let conditions: Vec<ConditionStatus> = e
                    .conditions
                    .iter()
                    .map(|c| ConditionStatus {
                        measure: measure_words(locale, &c.measure),
                        count: c.count,
                        target: c.target,
                        met: c.met,
                        records: c
                            .record_ids
                            .iter()
                            .take(if with_records { usize::MAX } else { 0 })
                            .map(|id| CountedRecord {
                                id: *id,
                                on: dates
                                    .get(&(c.measure.kind, *id))
                                    .copied()
                                    .unwrap_or(period.first_day()),
                                url: record_url(c.measure.kind, *id),
                            })
                            .collect(),
                    })
                    .collect();
                scopes.push(ScopeStatus {
                    kind,
                    id,
                    name: name.to_string(),
                    status: e.status,
                    from: e.window.map(|w| w.0),
                    to: e.window.map(|w| w.1),
                    figures: figures_text(locale, &rule.condition, &e.conditions),
                    conditions,
                });
            };
            match rule.scope {
                Scope::Committee => line("committee", org.id, &org.name, Serving::ALWAYS, &all),
                Scope::EachGroup => {
                    for g in groups {
                        if seen.everyone || seen.group == Some(g.id) {
                            let f = by_group.get(&g.id).unwrap_or(&empty);
                            line("group", g.id, &g.name, Serving::ALWAYS, f);
                        }
                    }
                }
                Scope::EachMember => {
                    for m in members {
                        if seen.everyone || seen.member == Some(m.id) {
                            let f = by_member.get(&m.id).unwrap_or(&empty);
                            let serving = Serving {
                                joined_on: Some(m.joined_on),
                                left_on: m.left_on,
                            };
                            line("member", m.id, &m.name, serving, f);
                        }
                    }
                }
            }
            let count = |s: PlanStatus| scopes.iter().filter(|l| l.status == s).count();
            periods.push(PeriodStatus {
                period: period.to_string(),
                first_day: period.first_day(),
                last_day: period.last_day(),
                met: count(PlanStatus::Met),
                on_track: count(PlanStatus::OnTrack),
                at_risk: count(PlanStatus::AtRisk),
                missed: count(PlanStatus::Missed),
                not_due: count(PlanStatus::NotDue),
                scopes,
            });
        }
        out.push(RuleStatus {
            item_id: item.id,
            text: item.text.clone(),
            rule_text: rule_text(locale, rule),
            scope: rule.scope,
            period_kind: rule.period,
            periods,
        });
    }
    Ok(out)
}

/// The counts against the targets, joined as the rule joins them: `2/3，或 1/1`.
fn figures_text(
    locale: Locale,
    condition: &Condition,
    results: &[rules::ConditionResult],
) -> String {
    let mut next = results.iter();
    fn walk<'a>(
        c: &Condition,
        next: &mut impl Iterator<Item = &'a rules::ConditionResult>,
        locale: Locale,
        nested: bool,
    ) -> String {
        match c {
            Condition::AtLeast { .. } => next
                .next()
                .map(|r| format!("{}/{}", r.count, r.target))
                .unwrap_or_default(),
            Condition::All(cs) | Condition::Any(cs) => {
                let joiner = if matches!(c, Condition::All(_)) {
                    i18n::t(locale, "plan.joiner.all")
                } else {
                    i18n::t(locale, "plan.joiner.any")
                };
                let inner: Vec<String> = cs.iter().map(|c| walk(c, next, locale, true)).collect();
                let text = inner.join(&joiner);
                if nested && cs.len() > 1 {
                    i18n::t_with(locale, "plan.group", &[("inner", text)])
                } else {
                    text
                }
            }
        }
    }
    walk(condition, &mut next, locale, false)
}

/// The counts of a plan's committee-wide quarterly information rule in each
/// quarter of its year, for the information figures: the rule of the plan
/// that counts forwarded information reports for the committee each
/// quarter, and whether it held in each quarter. `None`: the plan has no
/// such rule (the figures keep the built-in quota).
pub async fn info_quota(
    db: &Db,
    locale: Locale,
    org: &Org,
    year: i32,
) -> Result<Option<(String, [bool; 4])>, AppError> {
    let Some(plan) = of_year(db, org.id, year).await? else {
        return Ok(None);
    };
    let items = store::items(db, plan.id).await?;
    let Some(rule) = items.iter().filter_map(|i| i.rule.as_ref()).find(|r| {
        r.scope == Scope::Committee
            && r.period == rules::Period::Quarter
            && r.measures()
                .iter()
                .all(|m| m.kind == MeasureKind::InfoForwarded)
    }) else {
        return Ok(None);
    };
    let Some(first) = PlanPeriod::new(year, rules::Period::Year, 1) else {
        return Ok(None);
    };
    let facts: Vec<rules::Fact> = store::facts(
        db,
        &org.path,
        &[MeasureKind::InfoForwarded],
        first.first_day(),
        first.last_day(),
    )
    .await?
    .into_iter()
    .map(|f| f.fact)
    .collect();
    let measures = rule.measures();
    let mut met = [false; 4];
    for (i, q) in PlanPeriod::of_year(year, rules::Period::Quarter)
        .into_iter()
        .enumerate()
    {
        let tally = Tally::from_facts(&measures, &facts, q.first_day(), q.last_day());
        if let Some(slot) = met.get_mut(i) {
            *slot = rule.condition.holds(&tally);
        }
    }
    Ok(Some((rule_text(locale, rule), met)))
}

/// This year, for defaults.
pub fn this_year() -> i32 {
    today().year()
}
