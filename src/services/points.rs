//! Duty points (履职积分) and the year-end evaluation (评优).
//!
//! Every score is computed when read, from the records (`storage::points`
//! reads them set-based for a whole committee tree) and the committee's
//! rules of the year (`domain::points`; the documented default
//! `PointsRules::standard` when the committee saved none). Nothing is
//! cached, so a rule changed or a record added shows at once: the ranking
//! of a province's year is computed in well under the 2 s the issue allows
//! (BENCHMARKS.md, "Duty points").
//!
//! Staff read the ranking of their committee, or of a district across its
//! tree, and edit their committee's rules (audited). A member reads how
//! their own score was made; anyone else's breakdown is "not found".

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::cases::{bad_request, committee};
use super::steps::{check_version, parse_version, today};
use super::{non_blank, Actor};
use crate::app::i18n::{self, Locale};
use crate::domain::activities::parse_year;
use crate::domain::paging::{PageRequest, SortDir};
use crate::domain::points::{
    self as rules, format_points, parse_points, Cap, Deduction, Earned, Grade, GradeBand,
    JointMode, JointSplit, LineSource, PointItem, PointsKind, PointsRules, Price, Score, Share,
    Tenths,
};
use crate::domain::roles::Role;
use crate::domain::validation::{FieldError, FieldErrors};
use crate::services::error::AppError;
use crate::storage::orgs::Org;
use crate::storage::points::{self as store, Fact, RulesRow, ScoredMember, Whose};
use crate::storage::{audit, is_unique_violation, members, orgs, Db};

/// The ranking's filters as they arrive in a query string.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PointsQuery {
    pub org: Option<String>,
    pub year: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    /// Set by an export (never from the query string): every matching row.
    #[serde(skip)]
    pub all_rows: bool,
}

/// A member's place in the year's ranking.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RankedMember {
    pub member_id: i64,
    /// The member's name.
    pub member: String,
    pub committee_id: i64,
    /// The member's committee.
    pub committee: String,
    /// The year's score, e.g. `63.5`.
    pub score: String,
    /// The score in tenths of a point: `635`.
    pub points: Tenths,
    pub grade: Grade,
    /// 优秀 | 良好 | 称职 | 不称职
    pub grade_label: String,
    /// Place across the whole tree asked for (equal scores share it).
    pub rank: u32,
    /// Place within the member's committee.
    pub committee_rank: u32,
}

/// The year's ranking of a committee (and the committees under it).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ranking {
    pub org_id: i64,
    pub org_name: String,
    pub year: i32,
    /// One page of members, in the order asked for.
    pub items: Vec<RankedMember>,
    /// Members across all pages.
    pub total: i64,
    /// How many of the members have each grade, from 优秀 down.
    pub grades: Vec<GradeCount>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GradeCount {
    pub grade: Grade,
    pub label: String,
    pub count: usize,
}

/// One line of a member's points: the record that earned it and the rule
/// that priced it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BreakdownLine {
    /// The record's date.
    pub on: NaiveDate,
    /// What earned it (the rule's item), e.g. `info_adopted_city`.
    pub item: PointItem,
    /// The item in words, e.g. 信息被市级采用.
    pub item_label: String,
    /// The kind of record, for caps: plenary | activity | proposal | info | research | reception | award.
    pub kind: PointsKind,
    /// activity | proposal | info_report | reception_day | award
    pub record_type: String,
    pub record_id: i64,
    /// The kind of record in words, e.g. 提案.
    pub record_label: String,
    /// The record's page.
    pub href: String,
    /// sole | lead | cosigner
    pub share: Share,
    pub share_label: String,
    /// The rule's price of the item.
    pub price: String,
    /// The member's percent of the price (joint work).
    pub pct: i64,
    /// Price × percent.
    pub earned: String,
    /// What the kind's cap took off.
    pub capped: String,
    /// What counts.
    pub counted: String,
    /// What counts, in tenths of a point.
    pub points: Tenths,
}

/// What a kind of record counted in the year, against its cap.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KindTotal {
    pub kind: PointsKind,
    pub label: String,
    pub counted: String,
    pub capped: String,
    /// The kind's cap, if it has one.
    pub cap: Option<String>,
}

/// How a member's score of a year was made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PointsBreakdown {
    pub member_id: i64,
    pub member: String,
    pub committee_id: i64,
    pub committee: String,
    pub year: i32,
    /// standard (the documented default) | committee (the committee's own).
    pub rules_source: String,
    /// The committee's rules' version, when it saved its own.
    pub rules_version: Option<i64>,
    pub base: String,
    /// What the lines earned before caps.
    pub earned: String,
    /// What the caps took off.
    pub capped: String,
    /// What the deductions took off (positive; taken-back ones not counted).
    pub deducted: String,
    /// base + earned − capped − deducted.
    pub score: String,
    pub points: Tenths,
    pub grade: Grade,
    pub grade_label: String,
    pub by_kind: Vec<KindTotal>,
    /// Every record that earned points, in date order.
    pub lines: Vec<BreakdownLine>,
    /// The year's deductions, in date order, taken-back ones too (they do not count).
    pub deductions: Vec<DeductionView>,
}

/// A deduction from a member's points (扣分), as the page and the API show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeductionView {
    pub id: i64,
    pub member_id: i64,
    #[schema(value_type = String, format = Date)]
    pub on: NaiveDate,
    /// Points taken off, e.g. `5` or `2.5`.
    pub points: String,
    pub reason: String,
    /// Taken back: kept, but no longer counts.
    pub withdrawn: bool,
    pub withdrawn_reason: Option<String>,
    /// Send it back to take the deduction back.
    pub version: i64,
}

impl DeductionView {
    fn of(row: &store::DeductionRow) -> Self {
        Self {
            id: row.id,
            member_id: row.member_id,
            on: row.on_date,
            points: format_points(row.points),
            reason: row.reason.clone(),
            withdrawn: row.withdrawn_at.is_some(),
            withdrawn_reason: row.withdrawn_reason.clone(),
            version: row.version,
        }
    }
}

/// A deduction as staff enter it; every value is text.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct DeductionInput {
    /// The day, `YYYY-MM-DD`, not after today; it counts in its year.
    pub on: Option<String>,
    /// Points taken off: above 0, at most 100, one decimal (`5`, `2.5`).
    pub points: Option<String>,
    /// Why (required, up to 200 characters), e.g. 无故缺席全体会议.
    pub reason: Option<String>,
}

/// Taking a deduction back: why, and the version read.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct DeductionWithdrawInput {
    /// Why (required, up to 200 characters).
    pub reason: Option<String>,
    /// The deduction's version as read.
    pub version: Option<String>,
}

/// A committee's rules of a year, as read and as the form shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RulesView {
    pub org_id: i64,
    pub org_name: String,
    pub year: i32,
    /// standard (the documented default, nothing saved yet) | committee.
    pub source: String,
    /// The saved rules' version (send it back with a change); none for the default.
    pub version: Option<i64>,
    pub base: String,
    /// Every item with its price (points, may be negative).
    pub prices: Vec<PriceView>,
    /// Every kind with its cap (none: not capped).
    pub caps: Vec<CapView>,
    /// each | shared
    pub joint_mode: JointMode,
    pub lead_pct: i64,
    pub cosigner_pct: i64,
    /// 优秀, 良好, 称职, 不称职 with their bands (an open end is none).
    pub grades: Vec<BandView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PriceView {
    pub item: PointItem,
    pub label: String,
    pub points: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CapView {
    pub kind: PointsKind,
    pub label: String,
    pub max: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BandView {
    pub grade: Grade,
    pub label: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Rules as a form or the API sends them; every value is text (points with
/// at most one decimal, `2.5`; `-10` a deduction).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct RulesInput {
    /// The committee (staff: within their subtree; default their own).
    pub org: Option<String>,
    /// The year, e.g. `2012`.
    pub year: Option<String>,
    /// 基础分.
    pub base: String,
    /// Item → points, e.g. `{"info_submitted": "2"}`; an item left out earns nothing.
    pub prices: BTreeMap<String, String>,
    /// Kind → the most it earns in a year, e.g. `{"info": "30"}`; left out or empty: no cap.
    pub caps: BTreeMap<String, String>,
    /// each | shared
    pub joint_mode: String,
    /// Percent of a joint record's price the lead earns (0–100).
    pub lead_pct: String,
    /// `each`: the percent every co-signer earns (0–100).
    pub cosigner_pct: String,
    pub excellent_from: String,
    pub good_from: String,
    pub good_to: String,
    pub competent_from: String,
    pub competent_to: String,
    pub unfit_to: String,
    /// The version read (when the committee has saved rules).
    pub version: Option<String>,
}

impl RulesInput {
    /// A form's flat fields (`price_<item>`, `cap_<kind>`) as input.
    pub fn from_form(form: &BTreeMap<String, String>) -> Self {
        let get = |k: &str| form.get(k).cloned().unwrap_or_default();
        let opt = |k: &str| form.get(k).cloned();
        let prices = PointItem::ALL
            .iter()
            .filter_map(|i| {
                form.get(&format!("price_{}", i.as_str()))
                    .map(|v| (i.as_str().to_string(), v.clone()))
            })
            .collect();
        let caps = PointsKind::ALL
            .iter()
            .filter_map(|k| {
                form.get(&format!("cap_{}", k.as_str()))
                    .map(|v| (k.as_str().to_string(), v.clone()))
            })
            .collect();
        Self {
            org: opt("org"),
            year: opt("year"),
            base: get("base"),
            prices,
            caps,
            joint_mode: get("joint_mode"),
            lead_pct: get("lead_pct"),
            cosigner_pct: get("cosigner_pct"),
            excellent_from: get("excellent_from"),
            good_from: get("good_from"),
            good_to: get("good_to"),
            competent_from: get("competent_from"),
            competent_to: get("competent_to"),
            unfit_to: get("unfit_to"),
            version: opt("version"),
        }
    }

    /// The rules' values as the form shows them.
    pub fn of(view: &RulesView) -> Self {
        let band = |g: Grade| view.grades.iter().find(|b| b.grade == g);
        let from = |g| band(g).and_then(|b| b.from.clone()).unwrap_or_default();
        let to = |g| band(g).and_then(|b| b.to.clone()).unwrap_or_default();
        Self {
            org: Some(view.org_id.to_string()),
            year: Some(view.year.to_string()),
            base: view.base.clone(),
            prices: view
                .prices
                .iter()
                .map(|p| (p.item.as_str().to_string(), p.points.clone()))
                .collect(),
            caps: view
                .caps
                .iter()
                .map(|c| {
                    (
                        c.kind.as_str().to_string(),
                        c.max.clone().unwrap_or_default(),
                    )
                })
                .collect(),
            joint_mode: view.joint_mode.as_str().into(),
            lead_pct: view.lead_pct.to_string(),
            cosigner_pct: view.cosigner_pct.to_string(),
            excellent_from: from(Grade::Excellent),
            good_from: from(Grade::Good),
            good_to: to(Grade::Good),
            competent_from: from(Grade::Competent),
            competent_to: to(Grade::Competent),
            unfit_to: to(Grade::Unfit),
            version: view.version.map(|v| v.to_string()),
        }
    }
}

/// A member's points so far this year, for their first page.
#[derive(Debug, Clone, Serialize)]
pub struct SoFar {
    pub member_id: i64,
    pub year: i32,
    pub score: String,
    pub grade_label: String,
}

const STAFF: &[Role] = &[Role::Staff];

/// The year asked for, or this year.
fn year_of(asked: Option<&str>) -> Result<i32, AppError> {
    match asked {
        Some(y) => parse_year("year", y).map_err(|e| AppError::BadRequest(e.into())),
        None => Ok(today().year()),
    }
}

/// The rules saved in a row, read back.
fn parse_row(row: &RulesRow) -> Result<PointsRules, AppError> {
    serde_json::from_str(&row.rules).map_err(|e| AppError::internal(format!("points rules: {e}")))
}

/// A committee's rules of a year: its own, or the documented default.
async fn rules_of(
    db: &Db,
    org_id: i64,
    year: i32,
) -> Result<(PointsRules, Option<RulesRow>), AppError> {
    match store::rules(db, org_id, i64::from(year)).await? {
        Some(row) => Ok((parse_row(&row)?.for_year(year), Some(row))),
        None => Ok((PointsRules::standard(year), None)),
    }
}

/// The committee whose points staff read (their own by default; a group is
/// not a committee).
async fn staff_scope(db: &Db, actor: &Actor, org: Option<&str>) -> Result<Org, AppError> {
    actor.require(STAFF)?;
    committee(db, actor, "org", org).await.map_err(bad_request)
}

fn label(locale: Locale, key: &str) -> String {
    i18n::t(locale, key)
}

/// The records of a count, as the domain prices them: the caps of a year
/// take off the same total whatever the records' order, so a ranking needs
/// only how many records of each item and share a member has.
fn earned_of(counts: &[store::FactCount], year: i32) -> HashMap<i64, Vec<Earned>> {
    let on = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    let mut by_member: HashMap<i64, Vec<Earned>> = HashMap::new();
    for c in counts {
        let (Ok(item), Ok(share)) = (
            PointItem::parse("item", &c.item),
            Share::parse("share", &c.share),
        ) else {
            continue;
        };
        let e = Earned {
            item,
            record_id: 0,
            on,
            share,
            cosigners: u32::try_from(c.cosigners.max(0)).unwrap_or(u32::MAX),
        };
        let list = by_member.entry(c.member_id).or_default();
        list.extend(std::iter::repeat_n(e, usize::try_from(c.n).unwrap_or(0)));
    }
    by_member
}

/// Every member of a tree with their year's total and grade, ranked across
/// the tree and within their committee, highest first.
pub async fn compute_ranking(
    db: &Db,
    locale: Locale,
    org: &Org,
    year: i32,
) -> Result<Vec<RankedMember>, AppError> {
    let members = store::members(db, &Whose::Scope(org.path.clone())).await?;
    let whose = if members.len() >= store::WIDE_MEMBERS {
        Whose::Wide(org.path.clone())
    } else {
        Whose::Scope(org.path.clone())
    };
    let counts = store::fact_counts(db, &whose, year).await?;
    let mut saved: HashMap<i64, PointsRules> = HashMap::new();
    for row in store::rules_within(db, &org.path, i64::from(year)).await? {
        saved.insert(row.org_id, parse_row(&row)?.for_year(year));
    }
    let standard = PointsRules::standard(year);
    let mut earned = earned_of(&counts, year);
    let mut deducted: HashMap<i64, Vec<Deduction>> = HashMap::new();
    for row in store::deductions(db, &whose, year, false).await? {
        deducted
            .entry(row.member_id)
            .or_default()
            .push(deduction_of(&row));
    }
    let mut scored: Vec<(ScoredMember, Tenths, Grade)> = Vec::with_capacity(members.len());
    for m in members {
        let r = saved.get(&m.org_id).unwrap_or(&standard);
        let records = earned.remove(&m.id).unwrap_or_default();
        let deductions = deducted.remove(&m.id).unwrap_or_default();
        let s = rules::score(r, &records, &deductions);
        scored.push((m, s.total, s.grade));
    }
    let totals: Vec<(i64, Tenths)> = scored.iter().map(|(m, t, _)| (m.id, *t)).collect();
    let tree: HashMap<i64, u32> = rules::rank(&totals)
        .into_iter()
        .map(|r| (r.member_id, r.rank))
        .collect();
    let mut by_committee: HashMap<i64, Vec<(i64, Tenths)>> = HashMap::new();
    for (m, t, _) in &scored {
        by_committee.entry(m.org_id).or_default().push((m.id, *t));
    }
    let mut within: HashMap<i64, u32> = HashMap::new();
    for list in by_committee.values() {
        within.extend(rules::rank(list).into_iter().map(|r| (r.member_id, r.rank)));
    }
    let grade_labels: HashMap<Grade, String> = Grade::ALL
        .iter()
        .map(|g| (*g, label(locale, g.label_key())))
        .collect();
    let mut out: Vec<RankedMember> = scored
        .into_iter()
        .map(|(m, total, grade)| RankedMember {
            rank: tree.get(&m.id).copied().unwrap_or(0),
            committee_rank: within.get(&m.id).copied().unwrap_or(0),
            member_id: m.id,
            member: m.name,
            committee_id: m.org_id,
            committee: m.org_name,
            score: format_points(total),
            points: total,
            grade_label: grade_labels.get(&grade).cloned().unwrap_or_default(),
            grade,
        })
        .collect();
    out.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.member_id.cmp(&b.member_id)));
    Ok(out)
}

/// The year's ranking of a committee and the committees under it (staff,
/// within their subtree): one page, sorted by `rank` (default), `name`,
/// `committee` or `score`.
pub async fn ranking(db: &Db, actor: &Actor, q: &PointsQuery) -> Result<Ranking, AppError> {
    let org = staff_scope(db, actor, non_blank(&q.org)).await?;
    let mut errors = FieldErrors::new();
    let year = match year_of(non_blank(&q.year)) {
        Ok(y) => Some(y),
        Err(AppError::BadRequest(e)) => {
            errors.0.extend(e.0);
            None
        }
        Err(e) => return Err(e),
    };
    let paging =
        match PageRequest::parse_or_all(q.all_rows, q.page.as_deref(), q.per_page.as_deref()) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.0.extend(e.0);
                None
            }
        };
    let sort = non_blank(&q.sort).unwrap_or("rank");
    if !["rank", "score", "name", "committee"].contains(&sort) {
        errors.push(
            FieldError::new("sort", "sort_column").with("allowed", "rank, score, name, committee"),
        );
    }
    let dir = errors.check(SortDir::parse(q.dir.as_deref()));
    let (Some(year), Some(paging), Some(dir)) = (year, paging, dir) else {
        return Err(AppError::BadRequest(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::BadRequest(errors));
    }
    let mut all = compute_ranking(db, actor.locale, &org, year).await?;
    let grades = Grade::ALL
        .iter()
        .map(|g| GradeCount {
            grade: *g,
            label: label(actor.locale, g.label_key()),
            count: all.iter().filter(|m| m.grade == *g).count(),
        })
        .collect();
    match sort {
        "name" => all.sort_by(|a, b| a.member.cmp(&b.member).then(a.member_id.cmp(&b.member_id))),
        "committee" => all.sort_by(|a, b| {
            (a.committee_id, a.committee_rank, a.member_id).cmp(&(
                b.committee_id,
                b.committee_rank,
                b.member_id,
            ))
        }),
        // By rank (the same as by score, highest first).
        _ => {}
    }
    if dir == SortDir::Desc {
        all.reverse();
    }
    let total = all.len() as i64;
    let items = all
        .into_iter()
        .skip(usize::try_from(paging.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(paging.limit()).unwrap_or(0))
        .collect();
    Ok(Ranking {
        org_id: org.id,
        org_name: org.name,
        year,
        items,
        total,
        grades,
    })
}

/// Whether the actor may read the member's points: staff within their
/// subtree, a member only their own.
async fn member_visible(db: &Db, actor: &Actor, member_id: i64) -> Result<bool, AppError> {
    match actor.role {
        Role::Member => Ok(actor.member_id == Some(member_id)),
        Role::Staff => match members::get(db, member_id).await? {
            Some(m) => Ok(orgs::get_org(db, m.org_id)
                .await?
                .is_some_and(|o| actor.sees(&o.path))),
            None => Ok(false),
        },
        _ => Err(AppError::Forbidden),
    }
}

fn record_of(item: PointItem, record_id: i64) -> (&'static str, String) {
    match item.kind() {
        PointsKind::Plenary | PointsKind::Activity | PointsKind::Research => {
            ("activity", format!("/activities/{record_id}"))
        }
        PointsKind::Proposal => ("proposal", format!("/proposals/{record_id}")),
        PointsKind::Info => ("info_report", format!("/info/{record_id}")),
        PointsKind::Reception => ("reception_day", format!("/reception/{record_id}")),
        PointsKind::Award => ("award", format!("/awards#award-{record_id}")),
    }
}

fn earned_from_facts(facts: &[Fact]) -> Vec<Earned> {
    facts
        .iter()
        .filter_map(|f| {
            Some(Earned {
                item: PointItem::parse("item", &f.item).ok()?,
                record_id: f.record_id,
                on: f.on_date,
                share: Share::parse("share", &f.share).ok()?,
                cosigners: u32::try_from(f.cosigners.max(0)).unwrap_or(u32::MAX),
            })
        })
        .collect()
}

/// How a member's score of a year was made: every record that earned
/// points, priced by the rules of the member's committee.
pub async fn breakdown(
    db: &Db,
    actor: &Actor,
    member_id: i64,
    year: Option<&str>,
) -> Result<PointsBreakdown, AppError> {
    actor.require(&[Role::Staff, Role::Member])?;
    if !member_visible(db, actor, member_id).await? {
        return Err(AppError::NotFound);
    }
    let year = year_of(year)?;
    let whose = Whose::Member(member_id);
    let member = store::members(db, &whose)
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    let (r, row) = rules_of(db, member.org_id, year).await?;
    let facts = store::facts(db, &whose, year).await?;
    let deductions = store::deductions(db, &whose, year, true).await?;
    let counting: Vec<Deduction> = deductions
        .iter()
        .filter(|d| d.withdrawn_at.is_none())
        .map(deduction_of)
        .collect();
    let s = rules::score(&r, &earned_from_facts(&facts), &counting);
    let mut b = breakdown_of(actor.locale, member, &r, row.as_ref(), &s);
    b.deductions = deductions.iter().map(DeductionView::of).collect();
    Ok(b)
}

fn deduction_of(row: &store::DeductionRow) -> Deduction {
    Deduction {
        points: row.points,
        reason: row.reason.clone(),
        on: row.on_date,
        record_id: Some(row.id),
    }
}

/// Take points off a member's year (扣分), with the day and the reason:
/// staff within their subtree. The year's score and ranking follow at once.
pub async fn add_deduction(
    db: &Db,
    actor: &Actor,
    member_id: i64,
    input: &DeductionInput,
) -> Result<DeductionView, AppError> {
    actor.require(STAFF)?;
    if !member_visible(db, actor, member_id).await? {
        return Err(AppError::NotFound);
    }
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let d = rules::parse_deduction(
        &text(&input.points),
        &text(&input.reason),
        &text(&input.on),
        today(),
    )?;
    let mut tx = db.begin().await?;
    let id = store::insert_deduction(&mut tx, member_id, d.on, d.points, &d.reason, actor.user_id)
        .await?;
    let detail = serde_json::json!({
        "member_id": member_id, "on": d.on, "points": format_points(d.points), "reason": d.reason,
    });
    audit::insert(
        &mut tx,
        &actor.audit("create", "point_deduction", id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    let row = store::deduction(db, id).await?.ok_or(AppError::NotFound)?;
    Ok(DeductionView::of(&row))
}

/// One deduction, for staff who see its member.
pub async fn deduction(db: &Db, actor: &Actor, id: i64) -> Result<DeductionView, AppError> {
    actor.require(STAFF)?;
    let row = store::deduction(db, id).await?.ok_or(AppError::NotFound)?;
    if !member_visible(db, actor, row.member_id).await? {
        return Err(AppError::NotFound);
    }
    Ok(DeductionView::of(&row))
}

/// Take a deduction back, with the reason; it is kept and no longer counts.
pub async fn withdraw_deduction(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &DeductionWithdrawInput,
) -> Result<DeductionView, AppError> {
    actor.require(STAFF)?;
    let row = store::deduction(db, id).await?.ok_or(AppError::NotFound)?;
    if !member_visible(db, actor, row.member_id).await? {
        return Err(AppError::NotFound);
    }
    let mut errors = FieldErrors::new();
    let reason = errors.check(crate::domain::text::required_text(
        "reason",
        input.reason.as_deref().unwrap_or_default(),
        rules::DEDUCTION_REASON_MAX_CHARS,
    ));
    let version = errors.check(
        parse_version(&input.version).map_err(|_| FieldError::new("version", "version_required")),
    );
    let (Some(reason), Some(version)) = (reason, version) else {
        return Err(errors.into());
    };
    if row.withdrawn_at.is_some() {
        return Err(AppError::Conflict("stale_version"));
    }
    let mut tx = db.begin().await?;
    check_version(store::withdraw_deduction(&mut tx, id, version, &reason, actor.user_id).await?)?;
    let detail = serde_json::json!({
        "member_id": row.member_id, "on": row.on_date, "points": format_points(row.points),
        "reason": reason,
    });
    audit::insert(
        &mut tx,
        &actor.audit("withdraw", "point_deduction", id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    let row = store::deduction(db, id).await?.ok_or(AppError::NotFound)?;
    Ok(DeductionView::of(&row))
}

fn breakdown_of(
    locale: Locale,
    m: ScoredMember,
    r: &PointsRules,
    row: Option<&RulesRow>,
    s: &Score,
) -> PointsBreakdown {
    let lines = s
        .lines
        .iter()
        .filter_map(|l| {
            let LineSource::Record {
                item,
                record_id,
                share,
            } = &l.source
            else {
                return None;
            };
            let (record_type, href) = record_of(*item, *record_id);
            Some(BreakdownLine {
                on: l.on,
                item: *item,
                item_label: label(locale, item.label_key()),
                kind: item.kind(),
                record_label: label(locale, &format!("points.record_type.{record_type}")),
                record_type: record_type.into(),
                record_id: *record_id,
                href,
                share: *share,
                share_label: label(locale, share.label_key()),
                price: format_points(l.price),
                pct: l.pct,
                earned: format_points(l.earned),
                capped: format_points(l.capped),
                counted: format_points(l.counted),
                points: l.counted,
            })
        })
        .collect();
    let deducted: Tenths = -s
        .lines
        .iter()
        .filter(|l| matches!(l.source, LineSource::Deduction { .. }))
        .map(|l| l.counted)
        .sum::<Tenths>();
    let by_kind = PointsKind::ALL
        .iter()
        .map(|k| {
            let (counted, capped) = s.by_kind(*k);
            KindTotal {
                kind: *k,
                label: label(locale, k.label_key()),
                counted: format_points(counted),
                capped: format_points(capped),
                cap: r.cap(*k).map(format_points),
            }
        })
        .collect();
    PointsBreakdown {
        member_id: m.id,
        member: m.name,
        committee_id: m.org_id,
        committee: m.org_name,
        year: s.year,
        rules_source: if row.is_some() {
            "committee"
        } else {
            "standard"
        }
        .into(),
        rules_version: row.map(|r| r.version),
        base: format_points(s.base),
        earned: format_points(s.earned + deducted),
        capped: format_points(s.capped),
        deducted: format_points(deducted),
        score: format_points(s.total),
        points: s.total,
        grade: s.grade,
        grade_label: label(locale, s.grade.label_key()),
        by_kind,
        lines,
        deductions: Vec::new(),
    }
}

/// A member's points so far this year (for their first page).
pub async fn so_far(db: &Db, actor: &Actor) -> Result<Option<SoFar>, AppError> {
    let Some(member_id) = actor.member_id else {
        return Ok(None);
    };
    if actor.role != Role::Member {
        return Ok(None);
    }
    let b = breakdown(db, actor, member_id, None).await?;
    Ok(Some(SoFar {
        member_id,
        year: b.year,
        score: b.score,
        grade_label: b.grade_label,
    }))
}

fn view_of(locale: Locale, org: &Org, r: &PointsRules, row: Option<&RulesRow>) -> RulesView {
    let opt = |v: Option<Tenths>| v.map(format_points);
    RulesView {
        org_id: org.id,
        org_name: org.name.clone(),
        year: r.year,
        source: if row.is_some() {
            "committee"
        } else {
            "standard"
        }
        .into(),
        version: row.map(|r| r.version),
        base: format_points(r.base),
        prices: PointItem::ALL
            .iter()
            .map(|i| PriceView {
                item: *i,
                label: label(locale, i.label_key()),
                points: format_points(r.price(*i)),
            })
            .collect(),
        caps: PointsKind::ALL
            .iter()
            .map(|k| CapView {
                kind: *k,
                label: label(locale, k.label_key()),
                max: r.cap(*k).map(format_points),
            })
            .collect(),
        joint_mode: r.joint.mode,
        lead_pct: r.joint.lead_pct,
        cosigner_pct: r.joint.cosigner_pct,
        grades: Grade::ALL
            .iter()
            .map(|g| {
                let band = r.grades.iter().find(|b| b.grade == *g);
                BandView {
                    grade: *g,
                    label: label(locale, g.label_key()),
                    from: opt(band.and_then(|b| b.from)),
                    to: opt(band.and_then(|b| b.to)),
                }
            })
            .collect(),
    }
}

/// A committee's rules of a year (staff): its own, or the default.
pub async fn get_rules(
    db: &Db,
    actor: &Actor,
    org: Option<&str>,
    year: Option<&str>,
) -> Result<RulesView, AppError> {
    let org = staff_scope(db, actor, org).await?;
    let year = year_of(year)?;
    let (r, row) = rules_of(db, org.id, year).await?;
    Ok(view_of(actor.locale, &org, &r, row.as_ref()))
}

fn percent(errors: &mut FieldErrors, field: &'static str, input: &str) -> Option<i64> {
    match input.trim().parse::<i64>() {
        Ok(v) if (0..=100).contains(&v) => Some(v),
        _ if input.trim().is_empty() => {
            errors.push(FieldError::new(field, "required"));
            None
        }
        _ => {
            errors.push(FieldError::new(field, "points_percent"));
            None
        }
    }
}

/// The rules a form or the API sent, checked: every error names its field
/// (a price or a cap names its item too). Values that could not be read are
/// reported once; the rules' own checks run on the others.
fn parse_rules(input: &RulesInput, year: i32) -> Result<PointsRules, FieldErrors> {
    let mut errors = FieldErrors::new();
    let base = errors.check(parse_points("base", &input.base));
    let mut prices = Vec::new();
    for (key, value) in &input.prices {
        let Ok(item) = PointItem::parse("price", key) else {
            errors.push(FieldError::new("price", "points_unknown_item").with("item", key.clone()));
            continue;
        };
        if value.trim().is_empty() {
            continue;
        }
        match parse_points("price", value) {
            Ok(points) => prices.push(Price { item, points }),
            Err(e) => errors.push(e.with("item", item.as_str())),
        }
    }
    let mut caps = Vec::new();
    for (key, value) in &input.caps {
        let Ok(kind) = PointsKind::parse("cap", key) else {
            errors.push(FieldError::new("cap", "points_unknown_item").with("item", key.clone()));
            continue;
        };
        if value.trim().is_empty() {
            continue;
        }
        match parse_points("cap", value) {
            Ok(max) => caps.push(Cap { kind, max }),
            Err(e) => errors.push(e.with("item", kind.as_str())),
        }
    }
    let mode = errors.check(JointMode::parse("joint_mode", &input.joint_mode));
    let lead_pct = percent(&mut errors, "lead_pct", &input.lead_pct);
    let cosigner_pct = percent(&mut errors, "cosigner_pct", &input.cosigner_pct);
    let mut unread_bound = false;
    let mut bound = |field: &'static str, value: &str| -> Option<Tenths> {
        if value.trim().is_empty() {
            return None;
        }
        let parsed = errors.check(parse_points(field, value));
        unread_bound |= parsed.is_none();
        parsed
    };
    let grades = vec![
        GradeBand {
            grade: Grade::Excellent,
            from: bound("excellent_from", &input.excellent_from),
            to: None,
        },
        GradeBand {
            grade: Grade::Good,
            from: bound("good_from", &input.good_from),
            to: bound("good_to", &input.good_to),
        },
        GradeBand {
            grade: Grade::Competent,
            from: bound("competent_from", &input.competent_from),
            to: bound("competent_to", &input.competent_to),
        },
        GradeBand {
            grade: Grade::Unfit,
            from: None,
            to: bound("unfit_to", &input.unfit_to),
        },
    ];
    let r = PointsRules {
        year,
        // What could not be read stands in as 0 for the checks below, whose
        // errors on those fields are then left out (each is reported once).
        base: base.unwrap_or(0),
        prices,
        caps,
        joint: JointSplit {
            mode: mode.unwrap_or(JointMode::Each),
            lead_pct: lead_pct.unwrap_or(0),
            cosigner_pct: cosigner_pct.unwrap_or(0),
        },
        grades,
    };
    let reported: Vec<&'static str> = errors.0.iter().map(|e| e.field).collect();
    if let Err(e) = rules::validate_rules(&r) {
        let grade_field = |f: &str| f == "grades" || f.ends_with("_from") || f.ends_with("_to");
        let reported_already = |f: &'static str| {
            matches!(f, "base" | "lead_pct" | "cosigner_pct") && reported.contains(&f)
        };
        errors.0.extend(e.0.into_iter().filter(|e| {
            let unread_grade = unread_bound && grade_field(e.field);
            !reported_already(e.field) && !unread_grade
        }));
    }
    errors.into_result().map(|()| r)
}

/// Save a committee's rules of a year (staff, within their subtree), on the
/// version read when it had saved rules; every score of the year follows
/// at once. Nothing is saved when a value is refused.
pub async fn save_rules(db: &Db, actor: &Actor, input: &RulesInput) -> Result<RulesView, AppError> {
    actor.require(STAFF)?;
    let org = committee(db, actor, "org", non_blank(&input.org)).await?;
    let year = match non_blank(&input.year) {
        Some(y) => parse_year("year", y)?,
        None => today().year(),
    };
    let r = parse_rules(input, year)?;
    let json = serde_json::to_string(&r).map_err(|e| AppError::internal(e.to_string()))?;
    let before = store::rules(db, org.id, i64::from(year)).await?;
    let mut tx = db.begin().await?;
    let detail = |before_version: Option<i64>| {
        Some(
            serde_json::json!({
                "org_id": org.id, "year": year, "before_version": before_version, "rules": json,
            })
            .to_string(),
        )
    };
    match &before {
        Some(row) => {
            let version = parse_version(&input.version)?;
            check_version(
                store::update_rules(&mut tx, row.id, version, &json, actor.user_id).await?,
            )?;
            let entry = actor.audit("update", "points_rules", row.id, detail(Some(row.version)));
            audit::insert(&mut tx, &entry).await?;
        }
        None => {
            let id =
                match store::insert_rules(&mut tx, org.id, i64::from(year), &json, actor.user_id)
                    .await
                {
                    Ok(id) => id,
                    Err(e) if is_unique_violation(&e) => {
                        return Err(AppError::Conflict("stale_version"))
                    }
                    Err(e) => return Err(e.into()),
                };
            audit::insert(
                &mut tx,
                &actor.audit("create", "points_rules", id, detail(None)),
            )
            .await?;
        }
    }
    tx.commit().await?;
    get_rules(
        db,
        actor,
        Some(&org.id.to_string()),
        Some(&year.to_string()),
    )
    .await
}
