//! Work plans (工作计划) as data: a committee's plan for a year is a list of
//! items, each with its text and, when it has a number, a rule the system
//! checks: what is counted ([`Measure`]), for whom ([`Scope`]), per which
//! [`Period`], and the target; conditions combine with AND/OR ([`Condition`]),
//! as the seed's "3 social-condition reports OR 1 work report a quarter" needs.
//!
//! Evaluation ([`evaluate`]) takes the counts of one scope and period (with
//! the ids of the records that count, so pages can link them) and `today`,
//! and says [`PlanStatus`]: met, on track, at risk, missed or not yet due.
//!
//! * **At risk** is "short in the period's closing stretch": the last third of
//!   the calendar period's days, rounded up ([`closing_from`]): from the 21st of
//!   a 30- or 31-day month (the 19th of a 28-day February), the last 30 or 31
//!   days of a quarter, the last 61 or 62 of a half-year, and from 1 September in a year.
//! * **A member who joined mid-year** is measured from the day they joined
//!   ([`window`]): periods that ended before they joined are not due; the
//!   period they joined in is measured from the joining day with the full
//!   target if they joined in its first half (on or before its middle day),
//!   and is not due if they joined later (less than half of it left). A
//!   period that ends after the member left is not due either.
//!
//! Nothing here does I/O: storage counts the records (or hands them over as
//! [`Fact`]s for [`Tally::from_facts`]), pages turn [`describe`] into words
//! through the message catalogue (`locales/plans.yml`).

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::activities::{month_end, ActivityKind};
use super::choice::choice_enum;
use super::info::{AdoptionLevel, InfoKind};
use super::text::required_text;
use super::validation::{FieldError, FieldErrors};

/// The largest target a condition may have.
pub const MAX_TARGET: i64 = 1000;
/// At most this many counted conditions in one rule.
pub const MAX_CONDITIONS: usize = 12;
/// At most this many levels of AND/OR groups (a group inside a group).
pub const MAX_DEPTH: usize = 3;
/// The longest item text, in characters.
pub const ITEM_MAX_CHARS: usize = 500;

choice_enum! {
    /// How often a rule is checked.
    pub enum Period: "plan_period" {
        /// 每月
        Month => "month",
        /// 每季度
        Quarter => "quarter",
        /// 每半年
        HalfYear => "half_year",
        /// 全年
        Year => "year",
    }
}

impl Period {
    /// How many such periods a year has.
    pub fn per_year(self) -> u32 {
        match self {
            Self::Month => 12,
            Self::Quarter => 4,
            Self::HalfYear => 2,
            Self::Year => 1,
        }
    }

    /// Months in one such period.
    fn months(self) -> u32 {
        12 / self.per_year()
    }
}

choice_enum! {
    /// For whom a rule counts.
    pub enum Scope: "plan_scope" {
        /// 每位委员
        EachMember => "each_member",
        /// 每个委员小组
        EachGroup => "each_group",
        /// 委员会 (the committee as a whole)
        Committee => "committee",
    }
}

choice_enum! {
    /// What a rule counts: a kind of record with an outcome. Filters (the
    /// kind of information, the adopting level, the kind of activity) are in
    /// [`Measure`].
    pub enum MeasureKind: "plan_measure" {
        /// 提交提案 (as lead author or co-signer; a group's or the committee's own)
        ProposalsSubmitted => "proposals_submitted",
        /// 提案立案
        ProposalsAccepted => "proposals_accepted",
        /// 报送信息
        InfoSubmitted => "info_submitted",
        /// 信息上报 (forwarded to the district committee)
        InfoForwarded => "info_forwarded",
        /// 信息被采用 (optionally by one level)
        InfoAdopted => "info_adopted",
        /// 组织活动 (held, of one kind)
        ActivitiesHeld => "activities_held",
        /// 参加活动 (attended, present, of one kind)
        ActivitiesAttended => "activities_attended",
        /// 提交调研报告
        ResearchReports => "research_reports",
        /// 举办委员接待日
        ReceptionDaysHeld => "reception_days_held",
        /// 接待日值班
        ReceptionDuty => "reception_duty",
        /// 回访来访事件
        CasesFollowedUp => "cases_followed_up",
        /// 报送工作总结
        WorkSummaries => "work_summaries",
    }
}

impl MeasureKind {
    /// Whether counting this for `scope` makes sense: a member attends
    /// activities, the committee holds reception days and files summaries.
    pub fn fits(self, scope: Scope) -> bool {
        use MeasureKind as M;
        match self {
            M::ActivitiesAttended => scope == Scope::EachMember,
            M::ActivitiesHeld => scope != Scope::EachMember,
            M::ReceptionDaysHeld | M::WorkSummaries => scope == Scope::Committee,
            M::ReceptionDuty => scope != Scope::Committee,
            M::ProposalsSubmitted
            | M::ProposalsAccepted
            | M::InfoSubmitted
            | M::InfoForwarded
            | M::InfoAdopted
            | M::ResearchReports
            | M::CasesFollowedUp => true,
        }
    }

    fn is_info(self) -> bool {
        matches!(
            self,
            Self::InfoSubmitted | Self::InfoForwarded | Self::InfoAdopted
        )
    }

    fn is_activity(self) -> bool {
        matches!(self, Self::ActivitiesHeld | Self::ActivitiesAttended)
    }

    /// Catalogue key of the verb in a rule's sentence ("报送").
    pub fn verb_key(self) -> &'static str {
        match self {
            Self::ProposalsSubmitted => "plan.verb.proposals_submitted",
            Self::ProposalsAccepted => "plan.verb.proposals_accepted",
            Self::InfoSubmitted => "plan.verb.info_submitted",
            Self::InfoForwarded => "plan.verb.info_forwarded",
            Self::InfoAdopted => "plan.verb.info_adopted",
            Self::ActivitiesHeld => "plan.verb.activities_held",
            Self::ActivitiesAttended => "plan.verb.activities_attended",
            Self::ResearchReports => "plan.verb.research_reports",
            Self::ReceptionDaysHeld => "plan.verb.reception_days_held",
            Self::ReceptionDuty => "plan.verb.reception_duty",
            Self::CasesFollowedUp => "plan.verb.cases_followed_up",
            Self::WorkSummaries => "plan.verb.work_summaries",
        }
    }

    /// Catalogue key of the thing counted, when no filter names it ("提案").
    pub fn object_key(self) -> &'static str {
        match self {
            Self::ProposalsSubmitted | Self::ProposalsAccepted => "plan.object.proposal",
            Self::InfoSubmitted | Self::InfoForwarded | Self::InfoAdopted => "plan.object.info",
            Self::ActivitiesHeld | Self::ActivitiesAttended => "plan.object.activity",
            Self::ResearchReports => "plan.object.research_report",
            Self::ReceptionDaysHeld => "plan.object.reception_day",
            Self::ReceptionDuty => "plan.object.reception_duty",
            Self::CasesFollowedUp => "plan.object.case",
            Self::WorkSummaries => "plan.object.work_summary",
        }
    }

    /// Catalogue key of the counting word ("件", "条", "次").
    pub fn unit_key(self) -> &'static str {
        match self {
            Self::ProposalsSubmitted | Self::ProposalsAccepted => "plan.unit.piece",
            Self::InfoSubmitted | Self::InfoForwarded | Self::InfoAdopted => "plan.unit.report",
            Self::ActivitiesHeld
            | Self::ActivitiesAttended
            | Self::ReceptionDaysHeld
            | Self::ReceptionDuty => "plan.unit.time",
            Self::ResearchReports => "plan.unit.paper",
            Self::CasesFollowedUp => "plan.unit.piece",
            Self::WorkSummaries => "plan.unit.copy",
        }
    }
}

/// Catalogue key of a level in a rule's sentence ("区级").
fn level_key(level: AdoptionLevel) -> &'static str {
    match level {
        AdoptionLevel::District => "plan.level.district",
        AdoptionLevel::City => "plan.level.city",
        AdoptionLevel::Province => "plan.level.province",
        AdoptionLevel::National => "plan.level.national",
    }
}

/// What is counted: a kind of record with an outcome, and its filters.
/// `None` in a filter counts every value; a filter a kind does not have is
/// refused by [`validate_rule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Measure {
    pub kind: MeasureKind,
    /// Only information reports of this kind (info measures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info_kind: Option<InfoKind>,
    /// Only adoptions by this level (`info_adopted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<AdoptionLevel>,
    /// Only activities of this kind (required for activity measures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_kind: Option<ActivityKind>,
}

impl Measure {
    /// A measure without filters.
    pub const fn of(kind: MeasureKind) -> Self {
        Self {
            kind,
            info_kind: None,
            level: None,
            activity_kind: None,
        }
    }

    /// An information measure of one kind of report.
    pub const fn info(kind: MeasureKind, info_kind: InfoKind) -> Self {
        Self {
            info_kind: Some(info_kind),
            ..Self::of(kind)
        }
    }

    /// An activity measure (held or attended) of one kind of activity.
    pub const fn activity(kind: MeasureKind, activity_kind: ActivityKind) -> Self {
        Self {
            activity_kind: Some(activity_kind),
            ..Self::of(kind)
        }
    }

    /// The same measure, adoptions by `level` only.
    pub const fn by_level(self, level: AdoptionLevel) -> Self {
        Self {
            level: Some(level),
            ..self
        }
    }

    /// Whether a record (as a [`Fact`]) counts toward this measure.
    pub fn counts(&self, fact: &Fact) -> bool {
        fn fits<T: PartialEq>(filter: Option<T>, value: Option<T>) -> bool {
            filter.is_none() || filter == value
        }
        self.kind == fact.kind
            && fits(self.info_kind, fact.info_kind)
            && fits(self.level, fact.level)
            && fits(self.activity_kind, fact.activity_kind)
    }
}

/// A counted condition, or a group of conditions of which all (AND) or any
/// (OR) must hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// At least `target` records of `measure`.
    AtLeast { measure: Measure, target: i64 },
    /// Every condition holds.
    All(Vec<Condition>),
    /// One condition holds, at least.
    Any(Vec<Condition>),
}

impl Condition {
    pub fn at_least(measure: Measure, target: i64) -> Self {
        Self::AtLeast { measure, target }
    }

    /// The counted conditions, left to right (numbered from 1 in messages).
    pub fn leaves(&self) -> Vec<(Measure, i64)> {
        let mut out = Vec::new();
        self.collect_leaves(&mut out);
        out
    }

    fn collect_leaves(&self, out: &mut Vec<(Measure, i64)>) {
        match self {
            Self::AtLeast { measure, target } => out.push((*measure, *target)),
            Self::All(cs) | Self::Any(cs) => cs.iter().for_each(|c| c.collect_leaves(out)),
        }
    }

    /// How deep the groups go: a counted condition is 0, a group of them 1.
    pub fn depth(&self) -> usize {
        match self {
            Self::AtLeast { .. } => 0,
            Self::All(cs) | Self::Any(cs) => 1 + cs.iter().map(Self::depth).max().unwrap_or(0),
        }
    }

    /// Whether the condition holds with these counts.
    pub fn holds(&self, tally: &Tally) -> bool {
        match self {
            Self::AtLeast { measure, target } => tally.count(measure) >= *target,
            Self::All(cs) => cs.iter().all(|c| c.holds(tally)),
            Self::Any(cs) => cs.iter().any(|c| c.holds(tally)),
        }
    }
}

/// A measurable plan item's rule: for whom, how often, what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub scope: Scope,
    pub period: Period,
    pub condition: Condition,
}

impl Rule {
    /// The distinct measures the rule needs counted, in order of appearance.
    pub fn measures(&self) -> Vec<Measure> {
        let mut out: Vec<Measure> = Vec::new();
        for (m, _) in self.condition.leaves() {
            if !out.contains(&m) {
                out.push(m);
            }
        }
        out
    }
}

/// One item of a plan: its text, and its rule when it is measurable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanItem {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Rule>,
}

/// A committee's work plan for one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub year: i32,
    pub title: String,
    pub items: Vec<PlanItem>,
}

// ---------------------------------------------------------------------------
// Periods

/// One period of a year: `2011`, `2011-H1`, `2011-Q3` or `2011-05`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PlanPeriod {
    pub year: i32,
    pub period: Period,
    /// 1-based: the month (1–12), quarter (1–4), half (1–2), or 1 for the year.
    pub index: u32,
}

impl PlanPeriod {
    /// The period, if `index` exists for this kind of period.
    pub fn new(year: i32, period: Period, index: u32) -> Option<Self> {
        ((1..=period.per_year()).contains(&index) && (1..=9999).contains(&year)).then_some(Self {
            year,
            period,
            index,
        })
    }

    /// The period of this kind that `date` falls in.
    pub fn containing(period: Period, date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            period,
            index: (date.month() - 1) / period.months() + 1,
        }
    }

    /// Every period of this kind in `year`, in order.
    pub fn of_year(year: i32, period: Period) -> Vec<Self> {
        (1..=period.per_year())
            .filter_map(|i| Self::new(year, period, i))
            .collect()
    }

    /// Its first day.
    pub fn first_day(&self) -> NaiveDate {
        let month = (self.index - 1) * self.period.months() + 1;
        NaiveDate::from_ymd_opt(self.year, month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Its last day.
    pub fn last_day(&self) -> NaiveDate {
        let last_month = self.index * self.period.months();
        NaiveDate::from_ymd_opt(self.year, last_month, 1)
            .map(month_end)
            .unwrap_or(NaiveDate::MAX)
    }

    /// How many days it has.
    pub fn days(&self) -> i64 {
        (self.last_day() - self.first_day()).num_days() + 1
    }

    /// Whether `date` falls in it.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first_day() <= date && date <= self.last_day()
    }

    /// Parse `2011`, `2011-H1`, `2011-Q3` or `2011-05` (case of the letter ignored).
    pub fn parse(field: &'static str, input: &str) -> Result<Self, FieldError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        let bad = || FieldError::new(field, "plan_period_format");
        let (year, rest) = match value.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (value, None),
        };
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty();
        let (period, index) = match rest {
            None => (Period::Year, "1"),
            Some(r) if r.len() == 2 && (r.starts_with('H') || r.starts_with('h')) => {
                (Period::HalfYear, &r[1..])
            }
            Some(r) if r.len() == 2 && (r.starts_with('Q') || r.starts_with('q')) => {
                (Period::Quarter, &r[1..])
            }
            Some(r) if r.len() == 2 => (Period::Month, r),
            Some(_) => return Err(bad()),
        };
        if !digits(index) {
            return Err(bad());
        }
        let index: u32 = index.parse().map_err(|_| bad())?;
        Self::new(year, period, index).ok_or_else(bad)
    }
}

/// In time: by first day, a longer period first when two start together.
impl Ord for PlanPeriod {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.first_day(), other.last_day()).cmp(&(other.first_day(), self.last_day()))
    }
}

impl PartialOrd for PlanPeriod {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for PlanPeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.period {
            Period::Year => write!(f, "{:04}", self.year),
            Period::HalfYear => write!(f, "{:04}-H{}", self.year, self.index),
            Period::Quarter => write!(f, "{:04}-Q{}", self.year, self.index),
            Period::Month => write!(f, "{:04}-{:02}", self.year, self.index),
        }
    }
}

/// The first day of a period's closing stretch: its last third, by days,
/// rounded up (a 31-day month: the last 11 days; a year: from 1 September).
pub fn closing_from(period: PlanPeriod) -> NaiveDate {
    let stretch = (period.days() + 2) / 3;
    period.last_day() - chrono::Duration::days(stretch - 1)
}

/// The days a member served: from joining (if known) until leaving (if they left).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Serving {
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
}

impl Serving {
    /// Groups and the committee: always measured.
    pub const ALWAYS: Serving = Serving {
        joined_on: None,
        left_on: None,
    };

    pub fn joined(on: NaiveDate) -> Self {
        Self {
            joined_on: Some(on),
            left_on: None,
        }
    }
}

/// The days of `period` over which a member is measured, or `None` when the
/// period is not due for them: they joined after it ended or after its middle
/// day, or they left before it ended. Records count from the first day returned.
pub fn window(period: PlanPeriod, serving: Serving) -> Option<(NaiveDate, NaiveDate)> {
    let (first, last) = (period.first_day(), period.last_day());
    if serving.left_on.is_some_and(|left| left < last) {
        return None;
    }
    match serving.joined_on {
        Some(joined) if joined > first => {
            // The middle day: day ⌈n/2⌉ of the period.
            let middle = first + chrono::Duration::days((period.days() + 1) / 2 - 1);
            (joined <= middle).then_some((joined, last))
        }
        _ => Some((first, last)),
    }
}

// ---------------------------------------------------------------------------
// Counting and evaluation

/// One record that may count: what happened (a measure's kind), when, which
/// record, and the attributes filters look at. Storage produces these (or
/// counts in SQL and fills a [`Tally`] directly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fact {
    pub kind: MeasureKind,
    pub record_id: i64,
    pub on: NaiveDate,
    pub info_kind: Option<InfoKind>,
    pub level: Option<AdoptionLevel>,
    pub activity_kind: Option<ActivityKind>,
}

impl Fact {
    pub fn new(kind: MeasureKind, record_id: i64, on: NaiveDate) -> Self {
        Self {
            kind,
            record_id,
            on,
            info_kind: None,
            level: None,
            activity_kind: None,
        }
    }
}

/// The records that count toward each measure, for one scope and period.
/// A record counts once per measure (a report adopted by 区 and 市 is one
/// report adopted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    ids: HashMap<Measure, Vec<i64>>,
}

impl Tally {
    pub fn new() -> Self {
        Self::default()
    }

    /// Count `record_id` toward `measure` (again: no effect).
    pub fn add(&mut self, measure: Measure, record_id: i64) {
        let ids = self.ids.entry(measure).or_default();
        if let Err(at) = ids.binary_search(&record_id) {
            ids.insert(at, record_id);
        }
    }

    /// How many records count toward `measure`.
    pub fn count(&self, measure: &Measure) -> i64 {
        self.ids.get(measure).map_or(0, |v| v.len() as i64)
    }

    /// The ids of the records that count, ascending.
    pub fn record_ids(&self, measure: &Measure) -> &[i64] {
        self.ids.get(measure).map_or(&[], Vec::as_slice)
    }

    /// Count `facts` dated within `from..=to` toward each of `measures`.
    pub fn from_facts(
        measures: &[Measure],
        facts: &[Fact],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Self {
        let mut tally = Self::new();
        for fact in facts.iter().filter(|f| from <= f.on && f.on <= to) {
            for m in measures.iter().filter(|m| m.counts(fact)) {
                tally.add(*m, fact.record_id);
            }
        }
        tally
    }
}

choice_enum! {
    /// Where a rule stands for one scope and period.
    pub enum PlanStatus: "plan_status" {
        /// 已完成: the condition holds.
        Met => "met",
        /// 进行中: short, with time left before the closing stretch.
        OnTrack => "on_track",
        /// 有风险: short in the period's closing stretch.
        AtRisk => "at_risk",
        /// 未完成: the period is over and it fell short.
        Missed => "missed",
        /// 未到期: the period has not started, or it is not due for this member.
        NotDue => "not_due",
    }
}

/// One counted condition's figures, for a page to show and link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionResult {
    pub measure: Measure,
    pub target: i64,
    pub count: i64,
    pub record_ids: Vec<i64>,
    pub met: bool,
}

/// A rule checked for one scope and period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub period: PlanPeriod,
    pub status: PlanStatus,
    /// The days measured (`None`: not due for this member).
    pub window: Option<(NaiveDate, NaiveDate)>,
    pub conditions: Vec<ConditionResult>,
}

/// Check `rule` for one scope in `period`: `tally` holds the records dated
/// within the [`window`] (up to today), `serving` the member's days
/// ([`Serving::ALWAYS`] for a group or the committee).
pub fn evaluate(
    rule: &Rule,
    period: PlanPeriod,
    serving: Serving,
    tally: &Tally,
    today: NaiveDate,
) -> Evaluation {
    let window = window(period, serving);
    let conditions = rule
        .condition
        .leaves()
        .into_iter()
        .map(|(measure, target)| ConditionResult {
            measure,
            target,
            count: tally.count(&measure),
            record_ids: tally.record_ids(&measure).to_vec(),
            met: tally.count(&measure) >= target,
        })
        .collect();
    let status = match window {
        None => PlanStatus::NotDue,
        Some((from, _)) if today < from => PlanStatus::NotDue,
        Some(_) if rule.condition.holds(tally) => PlanStatus::Met,
        Some((_, to)) if today > to => PlanStatus::Missed,
        Some(_) if today >= closing_from(period) => PlanStatus::AtRisk,
        Some(_) => PlanStatus::OnTrack,
    };
    Evaluation {
        period,
        status,
        window,
        conditions,
    }
}

// ---------------------------------------------------------------------------
// Validation and the form

/// Check a rule: targets from 1 to [`MAX_TARGET`], filters only where the
/// measure has them (an activity measure names its kind of activity),
/// measures that fit the scope, groups that are not empty, not too deep and
/// not too many conditions. Errors name the condition (`condition`, from 1).
pub fn validate_rule(rule: &Rule) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let leaves = rule.condition.leaves();
    if leaves.len() > MAX_CONDITIONS {
        errors
            .push(FieldError::new("condition", "plan_condition_count").with("max", MAX_CONDITIONS));
    }
    if rule.condition.depth() > MAX_DEPTH {
        errors.push(FieldError::new("condition", "plan_condition_depth").with("max", MAX_DEPTH));
    }
    if has_empty_group(&rule.condition) {
        errors.push(FieldError::new("condition", "plan_condition_empty"));
    }
    for (i, (measure, target)) in leaves.iter().enumerate() {
        let n = i + 1;
        if !(1..=MAX_TARGET).contains(target) {
            errors.push(
                FieldError::new("target", "plan_target_range")
                    .with("condition", n)
                    .with("max", MAX_TARGET),
            );
        }
        for e in measure_errors(measure, rule.scope) {
            errors.push(e.with("condition", n));
        }
    }
    errors.into_result()
}

fn has_empty_group(c: &Condition) -> bool {
    match c {
        Condition::AtLeast { .. } => false,
        Condition::All(cs) | Condition::Any(cs) => cs.is_empty() || cs.iter().any(has_empty_group),
    }
}

fn measure_errors(m: &Measure, scope: Scope) -> Vec<FieldError> {
    let mut out = Vec::new();
    if m.info_kind.is_some() && !m.kind.is_info() {
        out.push(FieldError::new("info_kind", "plan_filter_unused"));
    }
    if m.level.is_some() && m.kind != MeasureKind::InfoAdopted {
        out.push(FieldError::new("level", "plan_filter_unused"));
    }
    match (m.kind.is_activity(), m.activity_kind) {
        (true, None) => out.push(FieldError::new("activity_kind", "required")),
        (false, Some(_)) => out.push(FieldError::new("activity_kind", "plan_filter_unused")),
        _ => {}
    }
    if !m.kind.fits(scope) {
        out.push(FieldError::new("measure", "plan_measure_scope"));
    }
    out
}

/// A plan item's text: required, at most [`ITEM_MAX_CHARS`] characters.
pub fn validate_item(item: &PlanItem) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    errors.check(required_text("item_text", &item.text, ITEM_MAX_CHARS));
    if let Some(rule) = &item.rule {
        if let Err(e) = validate_rule(rule) {
            errors.0.extend(e.0);
        }
    }
    errors.into_result()
}

/// One condition as a form sends it: a counted condition (`measure`,
/// filters, `target`), or, when `conditions` is not empty, a group of them
/// joined by `join` (`all` or `any`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ConditionInput {
    #[serde(default)]
    pub measure: String,
    #[serde(default)]
    pub info_kind: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub activity_kind: String,
    #[serde(default)]
    pub target: String,
    /// A group: `all` (the default) or `any`.
    #[serde(default)]
    pub join: String,
    /// A group's conditions (empty for a counted condition).
    #[serde(default)]
    pub conditions: Vec<ConditionInput>,
}

/// A rule as a form sends it: scope, period, `all` or `any`, and its
/// conditions, each counted or itself a group (up to [`MAX_DEPTH`] levels).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RuleInput {
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub join: String,
    #[serde(default)]
    pub conditions: Vec<ConditionInput>,
}

fn parse_optional<T>(
    errors: &mut FieldErrors,
    input: &str,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Option<T> {
    if input.trim().is_empty() {
        None
    } else {
        errors.check(parse(input))
    }
}

/// A target as typed: a whole number from 1 to [`MAX_TARGET`].
pub fn parse_target(field: &'static str, input: &str) -> Result<i64, FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    value
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=MAX_TARGET).contains(n) && value.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| FieldError::new(field, "plan_target_range").with("max", MAX_TARGET))
}

fn parse_join(errors: &mut FieldErrors, join: &str) -> Option<bool> {
    match join.trim() {
        "" | "all" => Some(true),
        "any" => Some(false),
        _ => {
            errors.push(FieldError::new("join", "invalid_choice"));
            None
        }
    }
}

fn parse_leaf(errors: &mut FieldErrors, c: &ConditionInput, n: usize) -> Option<Condition> {
    let mut own = FieldErrors::new();
    let kind = own.check(MeasureKind::parse("measure", &c.measure));
    let info_kind = parse_optional(&mut own, &c.info_kind, |s| InfoKind::parse("info_kind", s));
    let level = parse_optional(&mut own, &c.level, |s| AdoptionLevel::parse("level", s));
    let activity_kind = parse_optional(&mut own, &c.activity_kind, |s| {
        ActivityKind::parse("activity_kind", s)
    });
    let target = own.check(parse_target("target", &c.target));
    for e in own.0 {
        errors.push(e.with("condition", n));
    }
    let (kind, target) = (kind?, target?);
    let measure = Measure {
        kind,
        info_kind,
        level,
        activity_kind,
    };
    Some(Condition::at_least(measure, target))
}

/// A group's conditions, counted ones numbered from `counter + 1` left to
/// right; `None` (with the errors pushed) when one is not valid.
fn parse_group(
    errors: &mut FieldErrors,
    join: &str,
    conditions: &[ConditionInput],
    counter: &mut usize,
) -> Option<Condition> {
    let all = parse_join(errors, join);
    if conditions.is_empty() {
        errors.push(FieldError::new("condition", "plan_condition_empty"));
        return None;
    }
    let mut parts = Vec::new();
    let mut complete = true;
    for c in conditions {
        let part = if c.conditions.is_empty() {
            *counter += 1;
            parse_leaf(errors, c, *counter)
        } else {
            parse_group(errors, &c.join, &c.conditions, counter)
        };
        match part {
            Some(p) => parts.push(p),
            None => complete = false,
        }
    }
    let all = all?;
    if !complete {
        return None;
    }
    Some(match (parts.len(), all) {
        (1, _) => parts.remove(0),
        (_, true) => Condition::All(parts),
        (_, false) => Condition::Any(parts),
    })
}

/// Parse and check a rule from a form. A single condition needs no `join`.
pub fn parse_rule(input: &RuleInput) -> Result<Rule, FieldErrors> {
    let mut errors = FieldErrors::new();
    let scope = errors.check(Scope::parse("scope", &input.scope));
    let period = errors.check(Period::parse("period", &input.period));
    let mut counter = 0;
    let condition = parse_group(&mut errors, &input.join, &input.conditions, &mut counter);
    let (Some(scope), Some(period), Some(condition)) = (scope, period, condition) else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let rule = Rule {
        scope,
        period,
        condition,
    };
    validate_rule(&rule)?;
    Ok(rule)
}

/// A rule as the form shows it back: the inverse of [`parse_rule`].
pub fn rule_input(rule: &Rule) -> RuleInput {
    fn node(c: &Condition) -> ConditionInput {
        match c {
            Condition::AtLeast { measure, target } => ConditionInput {
                measure: measure.kind.as_str().into(),
                info_kind: measure
                    .info_kind
                    .map(|k| k.as_str().into())
                    .unwrap_or_default(),
                level: measure.level.map(|l| l.as_str().into()).unwrap_or_default(),
                activity_kind: measure
                    .activity_kind
                    .map(|k| k.as_str().into())
                    .unwrap_or_default(),
                target: target.to_string(),
                ..ConditionInput::default()
            },
            Condition::All(cs) | Condition::Any(cs) => ConditionInput {
                join: if matches!(c, Condition::All(_)) {
                    "all"
                } else {
                    "any"
                }
                .into(),
                conditions: cs.iter().map(node).collect(),
                ..ConditionInput::default()
            },
        }
    }
    let top = node(&rule.condition);
    let (join, conditions) = if top.conditions.is_empty() {
        ("all".to_string(), vec![top])
    } else {
        (top.join, top.conditions)
    };
    RuleInput {
        scope: rule.scope.as_str().into(),
        period: rule.period.as_str().into(),
        join,
        conditions,
    }
}

// ---------------------------------------------------------------------------
// Plain words

/// A catalogue lookup with `%{name}` placeholders filled: pages pass
/// `|key, params| i18n::t_with(locale, key, params)`.
pub type Translate<'a> = &'a dyn Fn(&str, &[(&str, String)]) -> String;

/// A rule in plain words, built from catalogue keys: "每位委员每季度报送社情民意
/// 信息不少于3条，或政协工作信息不少于1条". Within a group, a condition with
/// the same verb as the one before it leaves the verb out.
pub fn describe(rule: &Rule, tr: Translate<'_>) -> String {
    let scope = tr(scope_key(rule.scope), &[]);
    let period = tr(period_key(rule.period), &[]);
    let condition = describe_condition(&rule.condition, false, None, tr);
    tr(
        "plan.rule",
        &[
            ("scope", scope),
            ("period", period),
            ("condition", condition),
        ],
    )
}

fn scope_key(scope: Scope) -> &'static str {
    match scope {
        Scope::EachMember => "plan.who.each_member",
        Scope::EachGroup => "plan.who.each_group",
        Scope::Committee => "plan.who.committee",
    }
}

fn period_key(period: Period) -> &'static str {
    match period {
        Period::Month => "plan.when.month",
        Period::Quarter => "plan.when.quarter",
        Period::HalfYear => "plan.when.half_year",
        Period::Year => "plan.when.year",
    }
}

/// What a measure counts, in words: its verb and object ("上报社情民意信息").
pub fn describe_measure(m: &Measure, tr: Translate<'_>) -> String {
    tr(
        "plan.measure",
        &[("verb", verb(m, tr)), ("object", object(m, tr))],
    )
}

/// The verb of a measure, as words (an adoption by a level names the level).
fn verb(m: &Measure, tr: Translate<'_>) -> String {
    match (m.kind, m.level) {
        (MeasureKind::InfoAdopted, Some(level)) => tr(
            "plan.verb.info_adopted_by",
            &[("level", tr(level_key(level), &[]))],
        ),
        _ => tr(m.kind.verb_key(), &[]),
    }
}

fn object(m: &Measure, tr: Translate<'_>) -> String {
    if let Some(k) = m.activity_kind {
        tr(k.label_key(), &[])
    } else if let Some(k) = m.info_kind {
        tr(k.label_key(), &[])
    } else {
        tr(m.kind.object_key(), &[])
    }
}

fn describe_condition(
    c: &Condition,
    nested: bool,
    previous_verb: Option<&str>,
    tr: Translate<'_>,
) -> String {
    match c {
        Condition::AtLeast { measure, target } => {
            let v = verb(measure, tr);
            let mut params = vec![
                ("object", object(measure, tr)),
                ("n", target.to_string()),
                ("unit", tr(measure.kind.unit_key(), &[])),
            ];
            if previous_verb == Some(v.as_str()) {
                tr("plan.condition_same_verb", &params)
            } else {
                params.push(("verb", v));
                tr("plan.condition", &params)
            }
        }
        Condition::All(cs) | Condition::Any(cs) => {
            let joiner = if matches!(c, Condition::All(_)) {
                tr("plan.joiner.all", &[])
            } else {
                tr("plan.joiner.any", &[])
            };
            let mut parts = Vec::new();
            let mut last_verb: Option<String> = None;
            for child in cs {
                parts.push(describe_condition(child, true, last_verb.as_deref(), tr));
                last_verb = match child {
                    Condition::AtLeast { measure, .. } => Some(verb(measure, tr)),
                    _ => None,
                };
            }
            let text = parts.join(&joiner);
            // A group inside a group is set off in brackets.
            if nested && cs.len() > 1 {
                tr("plan.group", &[("inner", text)])
            } else {
                text
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The seed's plan

/// The seed's 2012 plan (长江路街道政协工委), the built-in template: every item
/// with a number is a rule (DOMAIN.md, "The plan as data"); the others are
/// text only.
pub fn template_2012() -> Plan {
    use ActivityKind as A;
    use MeasureKind as M;
    let rule = |scope, period, condition| {
        Some(Rule {
            scope,
            period,
            condition,
        })
    };
    let item = |text: &str, rule: Option<Rule>| PlanItem {
        text: text.to_string(),
        rule,
    };
    let n = Condition::at_least;
    Plan {
        year: 2012,
        title: "2012年工作计划".to_string(),
        items: vec![
            item(
                "认真参加区政协组织的各项会议和活动，按时出席区政协全体会议",
                None,
            ),
            item(
                "每位委员至少提交一件有价值的提案",
                rule(
                    Scope::EachMember,
                    Period::Year,
                    n(Measure::of(M::ProposalsSubmitted), 1),
                ),
            ),
            item(
                "每季度向区政协提供三条社情民意信息或一条政协工作信息",
                rule(
                    Scope::Committee,
                    Period::Quarter,
                    Condition::Any(vec![
                        n(
                            Measure::info(M::InfoForwarded, InfoKind::SocialCondition),
                            3,
                        ),
                        n(Measure::info(M::InfoForwarded, InfoKind::Work), 1),
                    ]),
                ),
            ),
            item(
                "每个季度组织政协委员集中学习一次",
                rule(
                    Scope::Committee,
                    Period::Quarter,
                    n(Measure::activity(M::ActivitiesHeld, A::Study), 1),
                ),
            ),
            item(
                "每位委员每季度参加集中学习",
                rule(
                    Scope::EachMember,
                    Period::Quarter,
                    n(Measure::activity(M::ActivitiesAttended, A::Study), 1),
                ),
            ),
            item(
                "街道党工委全年听取政协工作汇报、专题研究政协工作两次以上",
                rule(
                    Scope::Committee,
                    Period::Year,
                    n(Measure::activity(M::ActivitiesHeld, A::PartyHearing), 2),
                ),
            ),
            item(
                "组织委员开展一次调研活动，撰写调研报告上报区政协",
                rule(
                    Scope::Committee,
                    Period::Year,
                    Condition::All(vec![
                        n(Measure::activity(M::ActivitiesHeld, A::Research), 1),
                        n(Measure::of(M::ResearchReports), 1),
                    ]),
                ),
            ),
            item(
                "每月15日作为委员集中活动日，在委员之家接待群众来访",
                rule(
                    Scope::Committee,
                    Period::Month,
                    n(Measure::of(M::ReceptionDaysHeld), 1),
                ),
            ),
            item(
                "认真搞好半年、全年工作总结",
                rule(
                    Scope::Committee,
                    Period::HalfYear,
                    n(Measure::of(M::WorkSummaries), 1),
                ),
            ),
            item("组织委员开展联谊活动，增进委员之间的交流", None),
            item(
                "健全完善各项工作制度，做好政协工作资料的收集、整理和归档",
                None,
            ),
            item(
                "围绕街道经济社会发展中的重大问题开展政治协商和民主监督",
                None,
            ),
        ],
    }
}

/// The plan copied to `year`: the same items and rules (rules say "per
/// quarter", not which quarter, so they carry over unchanged).
pub fn copy_to_year(plan: &Plan, year: i32) -> Plan {
    let title = plan
        .title
        .replace(&plan.year.to_string(), &year.to_string());
    Plan {
        year,
        title,
        items: plan.items.clone(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use ActivityKind as A;
    use MeasureKind as M;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn p(s: &str) -> PlanPeriod {
        PlanPeriod::parse("period", s).unwrap()
    }

    /// The catalogue, as pages use it.
    fn words(locale: &'static str) -> impl Fn(&str, &[(&str, String)]) -> String {
        move |key, params| {
            let mut text = rust_i18n::t!(key, locale = locale).into_owned();
            assert_ne!(text, key, "{key} is in the catalogue ({locale})");
            for (name, value) in params {
                text = text.replace(&format!("%{{{name}}}"), value);
            }
            assert!(!text.contains("%{"), "{key}: every placeholder filled");
            text
        }
    }

    fn quota() -> Rule {
        Rule {
            scope: Scope::EachMember,
            period: Period::Quarter,
            condition: Condition::Any(vec![
                Condition::at_least(
                    Measure::info(M::InfoSubmitted, InfoKind::SocialCondition),
                    3,
                ),
                Condition::at_least(Measure::info(M::InfoSubmitted, InfoKind::Work), 1),
            ]),
        }
    }

    #[test]
    fn periods_of_a_year_and_their_days() {
        let months = PlanPeriod::of_year(2012, Period::Month);
        assert_eq!(months.len(), 12);
        assert_eq!(months[1].first_day(), ymd(2012, 2, 1));
        assert_eq!(months[1].last_day(), ymd(2012, 2, 29));
        assert_eq!(months[1].days(), 29);
        assert_eq!(
            PlanPeriod::of_year(2011, Period::Month)[1].last_day(),
            ymd(2011, 2, 28)
        );
        let quarters = PlanPeriod::of_year(2011, Period::Quarter);
        let ranges: Vec<_> = quarters
            .iter()
            .map(|q| (q.first_day(), q.last_day(), q.days()))
            .collect();
        assert_eq!(
            ranges,
            [
                (ymd(2011, 1, 1), ymd(2011, 3, 31), 90),
                (ymd(2011, 4, 1), ymd(2011, 6, 30), 91),
                (ymd(2011, 7, 1), ymd(2011, 9, 30), 92),
                (ymd(2011, 10, 1), ymd(2011, 12, 31), 92),
            ]
        );
        assert_eq!(p("2012-Q1").days(), 91);
        let halves = PlanPeriod::of_year(2012, Period::HalfYear);
        assert_eq!(halves[0].last_day(), ymd(2012, 6, 30));
        assert_eq!(halves[1].first_day(), ymd(2012, 7, 1));
        assert_eq!(halves[1].last_day(), ymd(2012, 12, 31));
        let year = PlanPeriod::of_year(2012, Period::Year);
        assert_eq!(year.len(), 1);
        assert_eq!(year[0].days(), 366);
        assert_eq!(p("2011").days(), 365);
        // Periods sort in time within a kind.
        assert!(quarters.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn the_period_a_date_falls_in() {
        let q = |d| PlanPeriod::containing(Period::Quarter, d).to_string();
        assert_eq!(q(ymd(2011, 3, 31)), "2011-Q1");
        assert_eq!(q(ymd(2011, 4, 1)), "2011-Q2");
        assert_eq!(q(ymd(2011, 12, 31)), "2011-Q4");
        assert_eq!(
            PlanPeriod::containing(Period::Month, ymd(2012, 2, 29)).to_string(),
            "2012-02"
        );
        assert_eq!(
            PlanPeriod::containing(Period::HalfYear, ymd(2012, 6, 30)).to_string(),
            "2012-H1"
        );
        assert_eq!(
            PlanPeriod::containing(Period::HalfYear, ymd(2012, 7, 1)).to_string(),
            "2012-H2"
        );
        assert_eq!(
            PlanPeriod::containing(Period::Year, ymd(2012, 7, 1)).to_string(),
            "2012"
        );
        // Every day of a year is in exactly one period of each kind.
        let mut day = ymd(2012, 1, 1);
        while day.year() == 2012 {
            for period in Period::ALL {
                let hits = PlanPeriod::of_year(2012, period)
                    .iter()
                    .filter(|pp| pp.contains(day))
                    .count();
                assert_eq!(hits, 1, "{day} {period}");
                assert!(PlanPeriod::containing(period, day).contains(day));
            }
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn periods_parse_and_print_as_the_api_writes_them() {
        for s in [
            "2011", "2011-H1", "2011-H2", "2011-Q3", "2011-05", "2012-12",
        ] {
            assert_eq!(p(s).to_string(), s);
        }
        assert_eq!(p(" 2011-q3 ").to_string(), "2011-Q3");
        assert_eq!(
            p("2011-h2"),
            PlanPeriod::new(2011, Period::HalfYear, 2).unwrap()
        );
        assert_eq!(
            PlanPeriod::parse("period", "").unwrap_err().code,
            "required"
        );
        for bad in [
            "2011-Q5",
            "2011-Q0",
            "2011-H3",
            "2011-13",
            "2011-00",
            "2011-5",
            "11",
            "2011-",
            "2011-Q",
            "2011-W01",
            "2011-05-01",
            "２０１１",
            "2011-Q+1",
            "+201-Q1",
            "2011Q1",
        ] {
            let e = PlanPeriod::parse("period", bad).unwrap_err();
            assert_eq!((e.field, e.code), ("period", "plan_period_format"), "{bad}");
        }
        assert!(PlanPeriod::new(2011, Period::Month, 13).is_none());
        assert!(PlanPeriod::new(2011, Period::Year, 2).is_none());
    }

    #[test]
    fn the_closing_stretch_is_the_last_third() {
        assert_eq!(closing_from(p("2011-05")), ymd(2011, 5, 21));
        assert_eq!(closing_from(p("2011-06")), ymd(2011, 6, 21));
        assert_eq!(closing_from(p("2011-02")), ymd(2011, 2, 19));
        assert_eq!(closing_from(p("2012-02")), ymd(2012, 2, 20));
        assert_eq!(closing_from(p("2011-Q1")), ymd(2011, 3, 2));
        assert_eq!(closing_from(p("2011-Q3")), ymd(2011, 8, 31));
        assert_eq!(closing_from(p("2011-H1")), ymd(2011, 5, 1));
        assert_eq!(closing_from(p("2011-H2")), ymd(2011, 10, 31));
        assert_eq!(closing_from(p("2011")), ymd(2011, 9, 1));
        assert_eq!(closing_from(p("2012")), ymd(2012, 9, 1));
    }

    #[test]
    fn a_member_is_measured_from_the_day_they_joined() {
        let q2 = p("2011-Q2"); // 1 April – 30 June, 91 days, middle day 16 May
        assert_eq!(
            window(q2, Serving::ALWAYS),
            Some((ymd(2011, 4, 1), ymd(2011, 6, 30)))
        );
        assert_eq!(
            window(q2, Serving::joined(ymd(2010, 3, 1))),
            Some((ymd(2011, 4, 1), ymd(2011, 6, 30)))
        );
        assert_eq!(
            window(q2, Serving::joined(ymd(2011, 4, 1))),
            Some((ymd(2011, 4, 1), ymd(2011, 6, 30)))
        );
        assert_eq!(
            window(q2, Serving::joined(ymd(2011, 5, 16))),
            Some((ymd(2011, 5, 16), ymd(2011, 6, 30)))
        );
        // Joined after the middle of the period: not due; after it: not due.
        assert_eq!(window(q2, Serving::joined(ymd(2011, 5, 17))), None);
        assert_eq!(window(q2, Serving::joined(ymd(2011, 7, 1))), None);
        // The next period is whole.
        assert_eq!(
            window(p("2011-Q3"), Serving::joined(ymd(2011, 5, 17))),
            Some((ymd(2011, 7, 1), ymd(2011, 9, 30)))
        );
        // A year: joined on 1 July 2012 (day 183 of 366) is due; 2 July is not.
        assert!(window(p("2012"), Serving::joined(ymd(2012, 7, 1))).is_some());
        assert!(window(p("2012"), Serving::joined(ymd(2012, 7, 2))).is_none());
        // Left before the period ended: not due; left after: due.
        let left = |on| Serving {
            joined_on: None,
            left_on: Some(on),
        };
        assert_eq!(window(q2, left(ymd(2011, 6, 29))), None);
        assert!(window(q2, left(ymd(2011, 6, 30))).is_some());
    }

    #[test]
    fn statuses_through_a_quarter() {
        let rule = quota();
        let q1 = p("2011-Q1");
        let social = Measure::info(M::InfoSubmitted, InfoKind::SocialCondition);
        let mut short = Tally::new();
        short.add(social, 11);
        short.add(social, 12);
        let at = |tally: &Tally, today| evaluate(&rule, q1, Serving::ALWAYS, tally, today).status;
        assert_eq!(at(&short, ymd(2010, 12, 31)), PlanStatus::NotDue);
        assert_eq!(at(&short, ymd(2011, 1, 1)), PlanStatus::OnTrack);
        assert_eq!(at(&short, ymd(2011, 3, 1)), PlanStatus::OnTrack);
        assert_eq!(at(&short, ymd(2011, 3, 2)), PlanStatus::AtRisk);
        // The last day of the quarter is still at risk; the day after, missed.
        assert_eq!(at(&short, ymd(2011, 3, 31)), PlanStatus::AtRisk);
        assert_eq!(at(&short, ymd(2011, 4, 1)), PlanStatus::Missed);
        let mut met = short.clone();
        met.add(social, 13);
        for today in [ymd(2011, 1, 5), ymd(2011, 3, 31), ymd(2012, 1, 1)] {
            assert_eq!(at(&met, today), PlanStatus::Met);
        }
        // One work report is enough too.
        let mut work = Tally::new();
        work.add(Measure::info(M::InfoSubmitted, InfoKind::Work), 20);
        assert_eq!(at(&work, ymd(2011, 2, 1)), PlanStatus::Met);
        // The figures of each condition, with the records that count.
        let e = evaluate(&rule, q1, Serving::ALWAYS, &short, ymd(2011, 4, 1));
        assert_eq!(e.window, Some((ymd(2011, 1, 1), ymd(2011, 3, 31))));
        assert_eq!(e.conditions.len(), 2);
        assert_eq!(e.conditions[0].count, 2);
        assert_eq!(e.conditions[0].target, 3);
        assert_eq!(e.conditions[0].record_ids, [11, 12]);
        assert!(!e.conditions[0].met);
        assert_eq!(e.conditions[1].count, 0);
        assert!(e.conditions[1].record_ids.is_empty());
    }

    #[test]
    fn statuses_of_a_member_who_joined_mid_year() {
        let rule = Rule {
            scope: Scope::EachMember,
            period: Period::Quarter,
            condition: Condition::at_least(Measure::activity(M::ActivitiesAttended, A::Study), 1),
        };
        let serving = Serving::joined(ymd(2012, 5, 20));
        let none = Tally::new();
        let status = |period: &str, today| evaluate(&rule, p(period), serving, &none, today).status;
        let today = ymd(2012, 12, 31);
        // Q1 before joining, Q2 joined after its middle (15 May): not due.
        assert_eq!(status("2012-Q1", today), PlanStatus::NotDue);
        assert_eq!(status("2012-Q2", today), PlanStatus::NotDue);
        assert_eq!(status("2012-Q3", today), PlanStatus::Missed);
        // Not yet joined, then a period not started.
        assert_eq!(status("2012-Q3", ymd(2012, 6, 1)), PlanStatus::NotDue);
        // Joined in the first half of a period: measured from that day.
        let serving = Serving::joined(ymd(2012, 8, 10));
        let e = evaluate(&rule, p("2012-Q3"), serving, &none, ymd(2012, 8, 9));
        assert_eq!(e.status, PlanStatus::NotDue);
        assert_eq!(e.window, Some((ymd(2012, 8, 10), ymd(2012, 9, 30))));
        let e = evaluate(&rule, p("2012-Q3"), serving, &none, ymd(2012, 8, 10));
        assert_eq!(e.status, PlanStatus::OnTrack);
        let e = evaluate(&rule, p("2012-Q3"), serving, &none, ymd(2012, 9, 1));
        assert_eq!(e.status, PlanStatus::AtRisk);
        // Records before the joining day do not count: the tally follows the window.
        let facts = [Fact {
            activity_kind: Some(A::Study),
            ..Fact::new(M::ActivitiesAttended, 5, ymd(2012, 8, 1))
        }];
        let (from, to) = e.window.unwrap();
        let tally = Tally::from_facts(&rule.measures(), &facts, from, to);
        let e = evaluate(&rule, p("2012-Q3"), serving, &tally, ymd(2012, 10, 1));
        assert_eq!(e.status, PlanStatus::Missed);
    }

    #[test]
    fn february_29_and_month_ends() {
        let rule = Rule {
            scope: Scope::Committee,
            period: Period::Month,
            condition: Condition::at_least(Measure::of(M::ReceptionDaysHeld), 1),
        };
        let feb = p("2012-02");
        let none = Tally::new();
        let st = |today| evaluate(&rule, feb, Serving::ALWAYS, &none, today).status;
        assert_eq!(st(ymd(2012, 2, 19)), PlanStatus::OnTrack);
        assert_eq!(st(ymd(2012, 2, 20)), PlanStatus::AtRisk);
        assert_eq!(st(ymd(2012, 2, 29)), PlanStatus::AtRisk);
        assert_eq!(st(ymd(2012, 3, 1)), PlanStatus::Missed);
        let facts = [Fact::new(M::ReceptionDaysHeld, 7, ymd(2012, 2, 29))];
        let tally = Tally::from_facts(&rule.measures(), &facts, feb.first_day(), feb.last_day());
        assert_eq!(
            evaluate(&rule, feb, Serving::ALWAYS, &tally, ymd(2012, 3, 1)).status,
            PlanStatus::Met
        );
        // The same record on 1 March does not count for February.
        let facts = [Fact::new(M::ReceptionDaysHeld, 7, ymd(2012, 3, 1))];
        let tally = Tally::from_facts(&rule.measures(), &facts, feb.first_day(), feb.last_day());
        assert_eq!(tally.count(&Measure::of(M::ReceptionDaysHeld)), 0);
    }

    #[test]
    fn facts_count_by_their_filters_once_each() {
        let d = ymd(2011, 5, 1);
        let info = |id, kind, level| Fact {
            info_kind: Some(kind),
            level,
            ..Fact::new(M::InfoAdopted, id, d)
        };
        let facts = [
            info(1, InfoKind::SocialCondition, Some(AdoptionLevel::District)),
            info(1, InfoKind::SocialCondition, Some(AdoptionLevel::City)),
            info(2, InfoKind::Work, Some(AdoptionLevel::District)),
            Fact {
                activity_kind: Some(A::Study),
                ..Fact::new(M::ActivitiesAttended, 3, d)
            },
            Fact {
                activity_kind: Some(A::Research),
                ..Fact::new(M::ActivitiesAttended, 4, d)
            },
        ];
        let any = Measure::of(M::InfoAdopted);
        let social = Measure::info(M::InfoAdopted, InfoKind::SocialCondition);
        let city = any.by_level(AdoptionLevel::City);
        let study = Measure::activity(M::ActivitiesAttended, A::Study);
        let held = Measure::activity(M::ActivitiesHeld, A::Study);
        let tally = Tally::from_facts(&[any, social, city, study, held], &facts, d, d);
        assert_eq!(tally.count(&any), 2, "a report adopted twice counts once");
        assert_eq!(tally.record_ids(&any), [1, 2]);
        assert_eq!(tally.count(&social), 1);
        assert_eq!(tally.record_ids(&city), [1]);
        assert_eq!(tally.record_ids(&study), [3]);
        assert_eq!(tally.count(&held), 0);
        // Outside the dates: nothing.
        let later = Tally::from_facts(&[any], &facts, ymd(2011, 5, 2), ymd(2011, 6, 30));
        assert_eq!(later.count(&any), 0);
        // Adding the same record again changes nothing.
        let mut t = Tally::new();
        t.add(any, 5);
        t.add(any, 3);
        t.add(any, 5);
        assert_eq!(t.record_ids(&any), [3, 5]);
    }

    #[test]
    fn and_or_trees() {
        let r = Measure::activity(M::ActivitiesHeld, A::Research);
        let rep = Measure::of(M::ResearchReports);
        let s = Measure::info(M::InfoForwarded, InfoKind::SocialCondition);
        let both = Condition::All(vec![Condition::at_least(r, 1), Condition::at_least(rep, 1)]);
        let either = Condition::Any(vec![both.clone(), Condition::at_least(s, 3)]);
        let mut t = Tally::new();
        assert!(!both.holds(&t));
        t.add(r, 1);
        assert!(!both.holds(&t));
        assert!(!either.holds(&t));
        t.add(rep, 2);
        assert!(both.holds(&t));
        assert!(either.holds(&t));
        let mut t2 = Tally::new();
        for id in 1..=3 {
            t2.add(s, id);
        }
        assert!(either.holds(&t2));
        assert_eq!(either.depth(), 2);
        assert_eq!(either.leaves().len(), 3);
        assert!(
            Condition::All(vec![]).holds(&t2),
            "checked by validation instead"
        );
    }

    #[test]
    fn validation_names_the_field_and_the_condition() {
        let mut rule = quota();
        assert!(validate_rule(&rule).is_ok());
        rule.condition = Condition::Any(vec![
            Condition::at_least(Measure::of(M::ProposalsSubmitted), -1),
            Condition::at_least(Measure::of(M::ProposalsSubmitted), 0),
            Condition::at_least(Measure::of(M::ProposalsSubmitted), MAX_TARGET + 1),
            Condition::at_least(Measure::of(M::ProposalsSubmitted), MAX_TARGET),
        ]);
        let e = validate_rule(&rule).unwrap_err();
        let got: Vec<_> =
            e.0.iter()
                .map(|e| (e.field, e.code, e.params[0].1.clone()))
                .collect();
        assert_eq!(
            got,
            [
                ("target", "plan_target_range", "1".to_string()),
                ("target", "plan_target_range", "2".to_string()),
                ("target", "plan_target_range", "3".to_string()),
            ]
        );
        // Filters only where the measure has them; an activity names its kind.
        let mut m = Measure::of(M::ActivitiesAttended);
        let one = |m: Measure, scope| Rule {
            scope,
            period: Period::Year,
            condition: Condition::at_least(m, 1),
        };
        let codes = |rule: &Rule| -> Vec<(&'static str, &'static str)> {
            validate_rule(rule)
                .err()
                .map(|e| e.0.iter().map(|e| (e.field, e.code)).collect())
                .unwrap_or_default()
        };
        assert_eq!(
            codes(&one(m, Scope::EachMember)),
            [("activity_kind", "required")]
        );
        m.activity_kind = Some(A::Study);
        assert!(codes(&one(m, Scope::EachMember)).is_empty());
        m.info_kind = Some(InfoKind::Work);
        m.level = Some(AdoptionLevel::City);
        assert_eq!(
            codes(&one(m, Scope::EachMember)),
            [
                ("info_kind", "plan_filter_unused"),
                ("level", "plan_filter_unused")
            ]
        );
        let proposals = Measure {
            activity_kind: Some(A::Study),
            ..Measure::of(M::ProposalsSubmitted)
        };
        assert_eq!(
            codes(&one(proposals, Scope::EachMember)),
            [("activity_kind", "plan_filter_unused")]
        );
        // A level only for adoptions.
        let forwarded = Measure::of(M::InfoForwarded).by_level(AdoptionLevel::City);
        assert_eq!(
            codes(&one(forwarded, Scope::Committee)),
            [("level", "plan_filter_unused")]
        );
        assert!(codes(&one(
            Measure::of(M::InfoAdopted).by_level(AdoptionLevel::City),
            Scope::Committee
        ))
        .is_empty());
        // Sensible scopes.
        let attended = Measure::activity(M::ActivitiesAttended, A::Study);
        assert_eq!(
            codes(&one(attended, Scope::Committee)),
            [("measure", "plan_measure_scope")]
        );
        assert_eq!(
            codes(&one(Measure::of(M::ReceptionDaysHeld), Scope::EachMember)),
            [("measure", "plan_measure_scope")]
        );
        assert_eq!(
            codes(&one(Measure::of(M::WorkSummaries), Scope::EachGroup)),
            [("measure", "plan_measure_scope")]
        );
        assert_eq!(
            codes(&one(Measure::of(M::ReceptionDuty), Scope::Committee)),
            [("measure", "plan_measure_scope")]
        );
        assert_eq!(
            codes(&one(
                Measure::activity(M::ActivitiesHeld, A::Study),
                Scope::EachMember
            )),
            [("measure", "plan_measure_scope")]
        );
        // Groups: not empty, not too deep, not too many conditions.
        let mut r = one(attended, Scope::EachMember);
        r.condition = Condition::Any(vec![Condition::All(vec![])]);
        assert_eq!(codes(&r), [("condition", "plan_condition_empty")]);
        let leaf = Condition::at_least(attended, 1);
        r.condition = Condition::All(vec![Condition::Any(vec![Condition::All(vec![
            Condition::Any(vec![leaf.clone()]),
        ])])]);
        assert_eq!(codes(&r), [("condition", "plan_condition_depth")]);
        r.condition = Condition::All(vec![leaf; MAX_CONDITIONS + 1]);
        assert_eq!(codes(&r), [("condition", "plan_condition_count")]);
        // Every measure fits some scope.
        for k in MeasureKind::ALL {
            assert!(Scope::ALL.iter().any(|s| k.fits(*s)), "{k}");
        }
    }

    #[test]
    fn a_rule_from_the_form() {
        let c =
            |measure: &str, info_kind: &str, activity_kind: &str, target: &str| ConditionInput {
                measure: measure.into(),
                info_kind: info_kind.into(),
                level: String::new(),
                activity_kind: activity_kind.into(),
                target: target.into(),
                ..Default::default()
            };
        let input = RuleInput {
            scope: "each_member".into(),
            period: "quarter".into(),
            join: "any".into(),
            conditions: vec![
                c("info_submitted", "social_condition", "", "3"),
                c("info_submitted", "work", "", " 1 "),
            ],
        };
        assert_eq!(parse_rule(&input).unwrap(), quota());
        // One condition: no group.
        let single = RuleInput {
            scope: "committee".into(),
            period: "month".into(),
            join: String::new(),
            conditions: vec![c("reception_days_held", "", "", "1")],
        };
        assert_eq!(
            parse_rule(&single).unwrap().condition,
            Condition::at_least(Measure::of(M::ReceptionDaysHeld), 1)
        );
        // Every problem at once, each naming its condition.
        let bad = RuleInput {
            scope: "everyone".into(),
            period: "week".into(),
            join: "xor".into(),
            conditions: vec![
                c("gossip", "", "", "3"),
                c("activities_attended", "", "party", "-2"),
                c("proposals_submitted", "", "", "1.5"),
            ],
        };
        let e = parse_rule(&bad).unwrap_err();
        let got: Vec<_> =
            e.0.iter()
                .map(|e| {
                    let n = e
                        .params
                        .iter()
                        .find(|(k, _)| *k == "condition")
                        .map(|(_, v)| v.clone());
                    (e.field, e.code, n)
                })
                .collect();
        let n = |i: &str| Some(i.to_string());
        assert_eq!(
            got,
            [
                ("scope", "invalid_choice", None),
                ("period", "invalid_choice", None),
                ("join", "invalid_choice", None),
                ("measure", "invalid_choice", n("1")),
                ("activity_kind", "invalid_choice", n("2")),
                ("target", "plan_target_range", n("2")),
                ("target", "plan_target_range", n("3")),
            ]
        );
        // No conditions; a measure that does not fit the scope (checked after parsing).
        let empty = RuleInput {
            scope: "committee".into(),
            period: "year".into(),
            ..RuleInput::default()
        };
        assert_eq!(
            parse_rule(&empty).unwrap_err().0[0].code,
            "plan_condition_empty"
        );
        let unfit = RuleInput {
            scope: "committee".into(),
            period: "year".into(),
            join: "all".into(),
            conditions: vec![c("activities_attended", "", "study", "1")],
        };
        let e = parse_rule(&unfit).unwrap_err();
        assert_eq!(
            (e.0[0].field, e.0[0].code),
            ("measure", "plan_measure_scope")
        );
    }

    #[test]
    fn rules_in_plain_chinese_and_english() {
        let zh = words("zh-CN");
        let en = words("en");
        assert_eq!(
            describe(&quota(), &zh),
            "每位委员每季度报送社情民意信息不少于3条，或政协工作信息不少于1条"
        );
        assert_eq!(
            describe(&quota(), &en),
            "Each member, every quarter: Social-condition information submitted: at least 3 report(s), or CPPCC work information: at least 1 report(s)"
        );
        let research = Rule {
            scope: Scope::Committee,
            period: Period::Year,
            condition: Condition::All(vec![
                Condition::at_least(Measure::activity(M::ActivitiesHeld, A::Research), 1),
                Condition::at_least(Measure::of(M::ResearchReports), 1),
            ]),
        };
        assert_eq!(
            describe(&research, &zh),
            "委员会全年组织调研不少于1次，并且提交调研报告不少于1篇"
        );
        let nested = Rule {
            scope: Scope::EachGroup,
            period: Period::HalfYear,
            condition: Condition::Any(vec![
                research.condition.clone(),
                Condition::at_least(
                    Measure::info(M::InfoAdopted, InfoKind::SocialCondition)
                        .by_level(AdoptionLevel::City),
                    2,
                ),
            ]),
        };
        assert_eq!(
            describe(&nested, &zh),
            "每个委员小组每半年（组织调研不少于1次，并且提交调研报告不少于1篇），或被市级采用的社情民意信息不少于2条"
        );
        assert_eq!(
            describe(&nested, &en),
            "Each member group, every half-year: (Research trip held: at least 1 time(s), \
             and Research reports submitted: at least 1 report(s)), or Social-condition \
             information adopted by the city: at least 2 report(s)"
        );
        // Every measure and filter has its words in both languages.
        for kind in MeasureKind::ALL {
            let measure = Measure {
                activity_kind: kind.is_activity().then_some(A::Study),
                ..Measure::of(kind)
            };
            let scope = Scope::ALL.into_iter().find(|s| kind.fits(*s)).unwrap();
            for period in Period::ALL {
                let rule = Rule {
                    scope,
                    period,
                    condition: Condition::at_least(measure, 2),
                };
                assert!(describe(&rule, &zh).contains('2'));
                assert!(describe(&rule, &en).contains("at least 2"));
            }
        }
        for level in AdoptionLevel::ALL {
            let m = Measure::of(M::InfoAdopted).by_level(level);
            let rule = Rule {
                scope: Scope::Committee,
                period: Period::Year,
                condition: Condition::at_least(m, 1),
            };
            describe(&rule, &zh);
            describe(&rule, &en);
        }
        for status in PlanStatus::ALL {
            zh(status.label_key(), &[]);
            en(status.label_key(), &[]);
        }
        for k in MeasureKind::ALL {
            zh(k.label_key(), &[]);
        }
        for k in Scope::ALL {
            en(k.label_key(), &[]);
        }
        for k in Period::ALL {
            en(k.label_key(), &[]);
        }
    }

    #[test]
    fn the_seed_plan_is_the_template() {
        let plan = template_2012();
        assert_eq!(plan.year, 2012);
        assert!(plan.items.iter().all(|i| validate_item(i).is_ok()));
        let rules: Vec<&Rule> = plan.items.iter().filter_map(|i| i.rule.as_ref()).collect();
        assert_eq!(rules.len(), 8, "the eight measurable items of DOMAIN.md");
        assert_eq!(plan.items.len() - rules.len(), 4, "text-only items");
        let shape: Vec<(Scope, Period, usize)> = rules
            .iter()
            .map(|r| (r.scope, r.period, r.condition.leaves().len()))
            .collect();
        use Period as P;
        use Scope as S;
        assert_eq!(
            shape,
            [
                (S::EachMember, P::Year, 1),
                (S::Committee, P::Quarter, 2),
                (S::Committee, P::Quarter, 1),
                (S::EachMember, P::Quarter, 1),
                (S::Committee, P::Year, 1),
                (S::Committee, P::Year, 2),
                (S::Committee, P::Month, 1),
                (S::Committee, P::HalfYear, 1),
            ]
        );
        let zh = words("zh-CN");
        let said: Vec<String> = rules.iter().map(|r| describe(r, &zh)).collect();
        assert_eq!(
            said,
            [
                "每位委员全年提交提案不少于1件",
                "委员会每季度上报社情民意信息不少于3条，或政协工作信息不少于1条",
                "委员会每季度组织集中学习不少于1次",
                "每位委员每季度参加集中学习不少于1次",
                "委员会全年组织党工委听取政协工作汇报不少于2次",
                "委员会全年组织调研不少于1次，并且提交调研报告不少于1篇",
                "委员会每月举办委员接待日不少于1次",
                "委员会每半年报送工作总结不少于1份",
            ]
        );
        // The info quota is the one the information reports' figures use.
        let info = rules[1];
        let leaves = info.condition.leaves();
        assert_eq!(leaves[0].1, crate::domain::info::PLAN_SOCIAL_PER_QUARTER);
        assert_eq!(leaves[1].1, crate::domain::info::PLAN_WORK_PER_QUARTER);
    }

    #[test]
    fn copying_a_plan_to_the_next_year() {
        let plan = template_2012();
        let next = copy_to_year(&plan, 2013);
        assert_eq!(next.year, 2013);
        assert_eq!(next.title, "2013年工作计划");
        assert_eq!(next.items, plan.items);
        assert_eq!(plan.year, 2012, "the original stays");
    }

    #[test]
    fn rules_keep_their_shape_as_json() {
        let rule = quota();
        let json = serde_json::to_string(&rule).unwrap();
        assert_eq!(
            json,
            r#"{"scope":"each_member","period":"quarter","condition":{"any":[{"at_least":{"measure":{"kind":"info_submitted","info_kind":"social_condition"},"target":3}},{"at_least":{"measure":{"kind":"info_submitted","info_kind":"work"},"target":1}}]}}"#
        );
        let back: Rule = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rule);
        let plan = template_2012();
        let back: Plan = serde_json::from_str(&serde_json::to_string(&plan).unwrap()).unwrap();
        assert_eq!(back, plan);
        assert_eq!(
            rule.measures(),
            [
                Measure::info(M::InfoSubmitted, InfoKind::SocialCondition),
                Measure::info(M::InfoSubmitted, InfoKind::Work)
            ]
        );
    }

    #[test]
    fn a_form_can_nest_groups_and_reads_back() {
        let leaf = |measure: &str, info_kind: &str, target: &str| ConditionInput {
            measure: measure.into(),
            info_kind: info_kind.into(),
            target: target.into(),
            ..Default::default()
        };
        let input = RuleInput {
            scope: "committee".into(),
            period: "quarter".into(),
            join: "all".into(),
            conditions: vec![
                leaf("proposals_submitted", "", "2"),
                ConditionInput {
                    join: "any".into(),
                    conditions: vec![
                        leaf("info_forwarded", "social_condition", "3"),
                        leaf("info_forwarded", "work", "1"),
                    ],
                    ..Default::default()
                },
            ],
        };
        let rule = parse_rule(&input).unwrap();
        assert_eq!(rule.condition.depth(), 2);
        assert_eq!(rule_input(&rule), input);
        assert_eq!(parse_rule(&rule_input(&quota())).unwrap(), quota());
        // The third counted condition is numbered 3 inside the group.
        let mut bad = input.clone();
        bad.conditions[1].conditions[1].target = "-1".into();
        let errors = parse_rule(&bad).unwrap_err();
        assert_eq!(errors.0[0].field, "target");
        assert_eq!(errors.0[0].code, "plan_target_range");
        let empty = RuleInput {
            conditions: vec![ConditionInput {
                join: "any".into(),
                ..Default::default()
            }],
            ..input
        };
        // A group without conditions is a counted condition without a measure.
        assert!(parse_rule(&empty).is_err());
    }
}
