//! Duty points (履职积分) and the year-end evaluation (评优).
//!
//! A committee sets its [`PointsRules`] per year: a base score, a price per
//! kind of record and outcome ([`PointItem`]), caps per kind ([`PointsKind`]),
//! how joint work splits between the lead and co-signers ([`JointSplit`]),
//! and the grade bands (优秀/良好/称职/不称职). [`score`] prices a member's
//! records: every [`PointLine`] names the record that earned it and the price
//! that priced it, caps are applied in date order with the capped-off part
//! kept visible, and deductions are lines too. [`rank`] orders members.
//!
//! All points are in **tenths** ([`Tenths`], `i64`): 2.5 points is `25`.
//! There is no floating point anywhere; a percentage of a price is rounded
//! half away from zero to the tenth.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::awards::{self, AwardLevel, AwardStatus};
use super::choice::choice_enum;
use super::info::AdoptionLevel;
use super::validation::{FieldError, FieldErrors};

/// Points in tenths of a point: `25` is 2.5 points.
pub type Tenths = i64;

/// The largest price, base or cap, in either direction: 1000 points.
pub const MAX_POINTS: Tenths = 10_000;

choice_enum! {
    /// What a record earns points for: a kind of record with its outcome.
    pub enum PointItem: "points_item" {
        /// 出席区政协全体会议
        PlenaryAttended => "plenary_attended",
        /// 请假
        PlenaryExcused => "plenary_excused",
        /// 无故缺席
        PlenaryAbsent => "plenary_absent",
        /// 参加工委组织的活动（学习、调研、视察、接待日以外的活动）
        ActivityAttended => "activity_attended",
        /// 无故缺席活动
        ActivityAbsent => "activity_absent",
        /// 提交提案
        ProposalSubmitted => "proposal_submitted",
        /// 提案立案
        ProposalAccepted => "proposal_accepted",
        /// 提案被并案
        ProposalMerged => "proposal_merged",
        /// 重点提案
        ProposalKey => "proposal_key",
        /// 对办理答复作出评价
        ProposalRated => "proposal_rated",
        /// 报送信息
        InfoSubmitted => "info_submitted",
        /// 信息被区级采用
        InfoAdoptedDistrict => "info_adopted_district",
        /// 信息被市级采用
        InfoAdoptedCity => "info_adopted_city",
        /// 信息被省级采用
        InfoAdoptedProvince => "info_adopted_province",
        /// 信息被全国政协采用
        InfoAdoptedNational => "info_adopted_national",
        /// 信息获领导批示
        InfoInstructed => "info_instructed",
        /// 调研报告
        ResearchReport => "research_report",
        /// 接待日值班
        ReceptionDuty => "reception_duty",
        /// 获本级表彰
        AwardCommittee => "award_committee",
        /// 获区级表彰
        AwardDistrict => "award_district",
        /// 获市级表彰
        AwardCity => "award_city",
        /// 获省级表彰
        AwardProvince => "award_province",
        /// 获全国表彰
        AwardNational => "award_national",
    }
}

choice_enum! {
    /// Kinds of record: caps apply per kind.
    pub enum PointsKind: "points_kind" {
        /// 会议
        Plenary => "plenary",
        /// 活动
        Activity => "activity",
        /// 提案
        Proposal => "proposal",
        /// 信息
        Info => "info",
        /// 调研
        Research => "research",
        /// 接待
        Reception => "reception",
        /// 表彰
        Award => "award",
    }
}

impl PointItem {
    /// The kind of record, for caps.
    pub fn kind(self) -> PointsKind {
        use PointItem as I;
        match self {
            I::PlenaryAttended | I::PlenaryExcused | I::PlenaryAbsent => PointsKind::Plenary,
            I::ActivityAttended | I::ActivityAbsent => PointsKind::Activity,
            I::ProposalSubmitted
            | I::ProposalAccepted
            | I::ProposalMerged
            | I::ProposalKey
            | I::ProposalRated => PointsKind::Proposal,
            I::InfoSubmitted
            | I::InfoAdoptedDistrict
            | I::InfoAdoptedCity
            | I::InfoAdoptedProvince
            | I::InfoAdoptedNational
            | I::InfoInstructed => PointsKind::Info,
            I::ResearchReport => PointsKind::Research,
            I::ReceptionDuty => PointsKind::Reception,
            I::AwardCommittee
            | I::AwardDistrict
            | I::AwardCity
            | I::AwardProvince
            | I::AwardNational => PointsKind::Award,
        }
    }

    /// Work that can be joint (a proposal's, report's or research report's
    /// co-signers): the price splits by [`JointSplit`]. Rating an answer is
    /// each author's own act and is not split.
    pub fn may_be_joint(self) -> bool {
        matches!(
            self.kind(),
            PointsKind::Proposal | PointsKind::Info | PointsKind::Research
        ) && self != Self::ProposalRated
    }

    /// An information report adopted by `level`.
    pub fn info_adopted(level: AdoptionLevel) -> Self {
        match level {
            AdoptionLevel::District => Self::InfoAdoptedDistrict,
            AdoptionLevel::City => Self::InfoAdoptedCity,
            AdoptionLevel::Province => Self::InfoAdoptedProvince,
            AdoptionLevel::National => Self::InfoAdoptedNational,
        }
    }

    /// An award given by `level`.
    pub fn award(level: AwardLevel) -> Self {
        match level {
            AwardLevel::Committee => Self::AwardCommittee,
            AwardLevel::District => Self::AwardDistrict,
            AwardLevel::City => Self::AwardCity,
            AwardLevel::Province => Self::AwardProvince,
            AwardLevel::National => Self::AwardNational,
        }
    }
}

choice_enum! {
    /// A member's part in a record.
    pub enum Share: "points_share" {
        /// 独立完成
        Sole => "sole",
        /// 领衔 / 第一作者
        Lead => "lead",
        /// 附议 / 联名
        Cosigner => "cosigner",
    }
}

choice_enum! {
    /// How joint work's price is divided.
    pub enum JointMode: "points_joint_mode" {
        /// Each co-signer earns `cosigner_pct` of the price, the lead `lead_pct`.
        Each => "each",
        /// The lead earns `lead_pct`; the co-signers share the rest equally.
        Shared => "shared",
    }
}

/// How joint work's price splits between the lead and co-signers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JointSplit {
    pub mode: JointMode,
    /// Percent of the price the lead earns (0–100).
    pub lead_pct: i64,
    /// `Each`: percent of the price every co-signer earns (0–100); unused by `Shared`.
    pub cosigner_pct: i64,
}

choice_enum! {
    /// The year-end grade.
    pub enum Grade: "points_grade" {
        /// 优秀
        Excellent => "excellent",
        /// 良好
        Good => "good",
        /// 称职
        Competent => "competent",
        /// 不称职
        Unfit => "unfit",
    }
}

/// One grade's band of totals, both ends included; `None`: open (the top
/// grade has no upper end, the bottom one no lower end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradeBand {
    pub grade: Grade,
    pub from: Option<Tenths>,
    pub to: Option<Tenths>,
}

impl GradeBand {
    fn contains(&self, total: Tenths) -> bool {
        self.from.is_none_or(|f| total >= f) && self.to.is_none_or(|t| total <= t)
    }
}

/// A price: what one record of an item earns (negative: a deduction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub item: PointItem,
    pub points: Tenths,
}

/// A cap: a kind of record earns at most `max` in a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cap {
    pub kind: PointsKind,
    pub max: Tenths,
}

/// A committee's points rules for one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsRules {
    pub year: i32,
    /// Every member starts the year with this.
    pub base: Tenths,
    /// An item without a price earns nothing.
    pub prices: Vec<Price>,
    /// Kinds without a cap are not capped.
    pub caps: Vec<Cap>,
    pub joint: JointSplit,
    /// From the top grade down.
    pub grades: Vec<GradeBand>,
}

impl PointsRules {
    /// The default rules, for committees that have not set their own.
    ///
    /// The scale: a member starts at 40 and reaches 称职 (60) by doing what
    /// the seed's plan asks of every member in a year: attend the plenary
    /// (+5), one proposal (+5), the four quarterly study sessions (4 × 2), a
    /// reception duty (+3) and a few information reports (2 each). 良好 (75)
    /// takes a proposal accepted or reports adopted as well; 优秀 (90) work
    /// adopted above the district, or an award. Absences without leave cost
    /// more than attendance earns, so a member who stays away falls below 60.
    pub fn standard(year: i32) -> Self {
        use PointItem as I;
        let price = |item, points| Price { item, points };
        let cap = |kind, max| Cap { kind, max };
        let band = |grade, from, to| GradeBand { grade, from, to };
        Self {
            year,
            // 40 points: the floor a member starts from, below 称职.
            base: 400,
            prices: vec![
                // The plenary is the year's main duty: 5 for attending,
                // nothing for an excused absence, −10 for an unexcused one.
                price(I::PlenaryAttended, 50),
                price(I::PlenaryExcused, 0),
                price(I::PlenaryAbsent, -100),
                // Study, research trips, hearings: 2 each, −2 for staying away unexcused.
                price(I::ActivityAttended, 20),
                price(I::ActivityAbsent, -20),
                // A proposal: 5 for writing it, 5 more when accepted (立案);
                // merged into another it still earned its 5, plus 2.
                price(I::ProposalSubmitted, 50),
                price(I::ProposalAccepted, 50),
                price(I::ProposalMerged, 20),
                // A key proposal (重点提案): 5 more.
                price(I::ProposalKey, 50),
                // Rating the department's answer: 1, a duty done.
                price(I::ProposalRated, 10),
                // Information: 2 a report; adoption by a higher level is worth
                // more (3 / 5 / 8 / 10); a leader's instruction 5.
                price(I::InfoSubmitted, 20),
                price(I::InfoAdoptedDistrict, 30),
                price(I::InfoAdoptedCity, 50),
                price(I::InfoAdoptedProvince, 80),
                price(I::InfoAdoptedNational, 100),
                price(I::InfoInstructed, 50),
                // A research report handed to the district: 8.
                price(I::ResearchReport, 80),
                // A reception day on duty: 3.
                price(I::ReceptionDuty, 30),
                // Awards by level: 3 / 5 / 8 / 10 / 15.
                price(I::AwardCommittee, 30),
                price(I::AwardDistrict, 50),
                price(I::AwardCity, 80),
                price(I::AwardProvince, 100),
                price(I::AwardNational, 150),
            ],
            caps: vec![
                // Quantity must not outweigh quality: at most 20 from
                // activities, 30 from proposals, 30 from information, 16 from
                // research and 15 from reception duty a year. Meetings and
                // awards are not capped.
                cap(PointsKind::Activity, 200),
                cap(PointsKind::Proposal, 300),
                cap(PointsKind::Info, 300),
                cap(PointsKind::Research, 160),
                cap(PointsKind::Reception, 150),
            ],
            // Joint work: the lead earns the full price, every co-signer half.
            joint: JointSplit {
                mode: JointMode::Each,
                lead_pct: 100,
                cosigner_pct: 50,
            },
            // 优秀 ≥ 90, 良好 75–89.9, 称职 60–74.9, 不称职 < 60.
            grades: vec![
                band(Grade::Excellent, Some(900), None),
                band(Grade::Good, Some(750), Some(899)),
                band(Grade::Competent, Some(600), Some(749)),
                band(Grade::Unfit, None, Some(599)),
            ],
        }
    }

    /// What one record of `item` earns before any split (0 without a price).
    pub fn price(&self, item: PointItem) -> Tenths {
        self.prices
            .iter()
            .find(|p| p.item == item)
            .map_or(0, |p| p.points)
    }

    /// The cap of a kind, if it has one.
    pub fn cap(&self, kind: PointsKind) -> Option<Tenths> {
        self.caps.iter().find(|c| c.kind == kind).map(|c| c.max)
    }

    /// The grade of a total.
    pub fn grade(&self, total: Tenths) -> Grade {
        self.grades
            .iter()
            .find(|b| b.contains(total))
            .map_or(Grade::Unfit, |b| b.grade)
    }

    /// The same rules for another year (copying a committee's rules forward).
    pub fn for_year(&self, year: i32) -> Self {
        Self {
            year,
            ..self.clone()
        }
    }
}

// ---------------------------------------------------------------------------
// Validation

/// Check rules: base, prices and caps within ±[`MAX_POINTS`] (caps above
/// zero), each item and kind priced or capped once, percentages 0–100, and
/// the four grades once each, from the top down, with no gap and no overlap.
pub fn validate_rules(rules: &PointsRules) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let range = |field: &'static str| {
        FieldError::new(field, "points_range")
            .with("min", format_points(-MAX_POINTS))
            .with("max", format_points(MAX_POINTS))
    };
    if !(0..=MAX_POINTS).contains(&rules.base) {
        errors.push(range("base"));
    }
    for (i, p) in rules.prices.iter().enumerate() {
        if p.points.abs() > MAX_POINTS {
            errors.push(range("price").with("item", p.item.as_str()));
        }
        if rules.prices[..i].iter().any(|q| q.item == p.item) {
            errors.push(FieldError::new("price", "points_twice").with("item", p.item.as_str()));
        }
    }
    for (i, c) in rules.caps.iter().enumerate() {
        if !(1..=MAX_POINTS).contains(&c.max) {
            errors.push(
                FieldError::new("cap", "points_cap_range")
                    .with("max", format_points(MAX_POINTS))
                    .with("item", c.kind.as_str()),
            );
        }
        if rules.caps[..i].iter().any(|d| d.kind == c.kind) {
            errors.push(FieldError::new("cap", "points_twice").with("item", c.kind.as_str()));
        }
    }
    if !(0..=100).contains(&rules.joint.lead_pct) {
        errors.push(FieldError::new("lead_pct", "points_percent"));
    }
    if !(0..=100).contains(&rules.joint.cosigner_pct) {
        errors.push(FieldError::new("cosigner_pct", "points_percent"));
    }
    if let Err(e) = validate_grades(&rules.grades) {
        errors.0.extend(e.0);
    }
    errors.into_result()
}

/// The field of a band's lower end, as the form names it.
fn from_field(grade: Grade) -> &'static str {
    match grade {
        Grade::Excellent => "excellent_from",
        Grade::Good => "good_from",
        Grade::Competent => "competent_from",
        Grade::Unfit => "unfit_from",
    }
}

/// The field of a band's upper end.
fn to_field(grade: Grade) -> &'static str {
    match grade {
        Grade::Excellent => "excellent_to",
        Grade::Good => "good_to",
        Grade::Competent => "competent_to",
        Grade::Unfit => "unfit_to",
    }
}

/// Grade bands: 优秀, 良好, 称职, 不称职 in that order; the top open above,
/// the bottom open below, the others closed; each band's lower end one tenth
/// above the next band's upper end (a gap or an overlap names the totals).
pub fn validate_grades(bands: &[GradeBand]) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let grades: Vec<Grade> = bands.iter().map(|b| b.grade).collect();
    if grades != Grade::ALL {
        errors.push(FieldError::new("grades", "points_grades_all"));
        return errors.into_result();
    }
    for (i, b) in bands.iter().enumerate() {
        let top = i == 0;
        let bottom = i + 1 == bands.len();
        let (from, to) = (from_field(b.grade), to_field(b.grade));
        match (b.from, top || !bottom) {
            (None, true) => errors.push(FieldError::new(from, "required")),
            (Some(_), false) => errors.push(FieldError::new(from, "points_grade_open")),
            _ => {}
        }
        match (b.to, bottom || !top) {
            (None, true) => errors.push(FieldError::new(to, "required")),
            (Some(_), false) => errors.push(FieldError::new(to, "points_grade_open")),
            _ => {}
        }
        if let (Some(f), Some(t)) = (b.from, b.to) {
            if f > t {
                errors.push(FieldError::new(to, "points_grade_reversed"));
            }
        }
    }
    if !errors.is_empty() {
        return errors.into_result();
    }
    for pair in bands.windows(2) {
        let (upper, lower) = (pair[0], pair[1]);
        let (Some(upper_from), Some(lower_to)) = (upper.from, lower.to) else {
            continue;
        };
        let field = to_field(lower.grade);
        if lower_to + 1 < upper_from {
            errors.push(
                FieldError::new(field, "points_grade_gap")
                    .with("from", format_points(lower_to + 1))
                    .with("to", format_points(upper_from - 1)),
            );
        } else if lower_to + 1 > upper_from {
            errors.push(
                FieldError::new(field, "points_grade_overlap")
                    .with("from", format_points(upper_from))
                    .with("to", format_points(lower_to)),
            );
        }
    }
    errors.into_result()
}

/// Points as typed: a number with at most one decimal ("12", "2.5", "-10").
pub fn parse_points(field: &'static str, input: &str) -> Result<Tenths, FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    let bad = || FieldError::new(field, "points_format");
    let (negative, digits) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let (whole, tenth) = match digits.split_once('.') {
        Some((w, t)) if t.len() == 1 => (w, t),
        Some(_) => return Err(bad()),
        None => (digits, "0"),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || !all_digits(tenth) || whole.len() > 5 {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let tenth: i64 = tenth.parse().map_err(|_| bad())?;
    let value = whole * 10 + tenth;
    if value > MAX_POINTS {
        return Err(FieldError::new(field, "points_range")
            .with("min", format_points(-MAX_POINTS))
            .with("max", format_points(MAX_POINTS)));
    }
    Ok(if negative { -value } else { value })
}

/// Points for reading: "12.5", "60", "-2.5".
pub fn format_points(t: Tenths) -> String {
    let sign = if t < 0 { "-" } else { "" };
    let a = t.unsigned_abs();
    match a % 10 {
        0 => format!("{sign}{}", a / 10),
        tenth => format!("{sign}{}.{tenth}", a / 10),
    }
}

// ---------------------------------------------------------------------------
// Scoring

/// One record a member earns points for, as storage reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Earned {
    pub item: PointItem,
    /// The record (proposal, report, attendance, award…) that earned it.
    pub record_id: i64,
    pub on: NaiveDate,
    pub share: Share,
    /// Co-signers of the record, for a [`JointMode::Shared`] split.
    pub cosigners: u32,
}

impl Earned {
    /// A record of the member's own.
    pub fn sole(item: PointItem, record_id: i64, on: NaiveDate) -> Self {
        Self {
            item,
            record_id,
            on,
            share: Share::Sole,
            cosigners: 0,
        }
    }

    /// An award's line: only an award given (not a candidacy, not withdrawn) earns.
    pub fn award(
        award_id: i64,
        level: AwardLevel,
        status: AwardStatus,
        on: NaiveDate,
    ) -> Option<Self> {
        awards::counts(status).then(|| Self::sole(PointItem::award(level), award_id, on))
    }
}

/// A deduction staff make, with its reason (e.g. 违反廉政规定).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deduction {
    /// Points taken off (a positive number).
    pub points: Tenths,
    pub reason: String,
    pub on: NaiveDate,
    pub record_id: Option<i64>,
}

/// Where a line comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineSource {
    /// A record, priced by the rules' price of `item`.
    Record {
        item: PointItem,
        record_id: i64,
        share: Share,
    },
    /// A deduction by staff.
    Deduction {
        reason: String,
        record_id: Option<i64>,
    },
}

/// One line of a member's points: what earned it, the price, the member's
/// percent of it, what it earned, what a cap took off and what counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointLine {
    pub source: LineSource,
    pub on: NaiveDate,
    /// The rules' price of the item (the deduction, negative, for a deduction).
    pub price: Tenths,
    /// The member's percent of the price (100 unless joint work splits it).
    pub pct: i64,
    /// The price times the percent, rounded to the tenth.
    pub earned: Tenths,
    /// The part the kind's cap took off (0 or more).
    pub capped: Tenths,
    /// What counts: `earned - capped`.
    pub counted: Tenths,
}

/// A member's year: the base, every line, the totals and the grade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    pub year: i32,
    pub base: Tenths,
    pub lines: Vec<PointLine>,
    /// Sum of what the lines earned before caps.
    pub earned: Tenths,
    /// Sum of what the caps took off.
    pub capped: Tenths,
    /// `base + earned - capped`.
    pub total: Tenths,
    pub grade: Grade,
}

impl Score {
    /// What a kind of record counted, and what its cap took off.
    pub fn by_kind(&self, kind: PointsKind) -> (Tenths, Tenths) {
        self.lines
            .iter()
            .filter(|l| matches!(&l.source, LineSource::Record { item, .. } if item.kind() == kind))
            .fold((0, 0), |(c, k), l| (c + l.counted, k + l.capped))
    }
}

/// Rounded half away from zero: `n / d` for `d > 0`.
fn div_round(n: i64, d: i64) -> i64 {
    if n >= 0 {
        (n + d / 2) / d
    } else {
        -((-n + d / 2) / d)
    }
}

/// The member's percent of a record's price, and the points it earns.
fn split(rules: &PointsRules, e: &Earned, price: Tenths) -> (i64, Tenths) {
    if !e.item.may_be_joint() {
        return (100, price);
    }
    let j = rules.joint;
    match (e.share, j.mode) {
        (Share::Sole, _) => (100, price),
        (Share::Lead, JointMode::Each) => (j.lead_pct, div_round(price * j.lead_pct, 100)),
        (Share::Cosigner, JointMode::Each) => {
            (j.cosigner_pct, div_round(price * j.cosigner_pct, 100))
        }
        // A lead without co-signers keeps the whole price.
        (Share::Lead, JointMode::Shared) if e.cosigners == 0 => (100, price),
        (Share::Lead, JointMode::Shared) => (j.lead_pct, div_round(price * j.lead_pct, 100)),
        (Share::Cosigner, JointMode::Shared) => {
            let n = i64::from(e.cosigners.max(1));
            let rest_pct = 100 - j.lead_pct;
            // Each co-signer's percent, in the line as a whole number.
            (div_round(rest_pct, n), div_round(price * rest_pct, 100 * n))
        }
    }
}

/// Price a member's records for `rules.year` (records dated in other years
/// are left out), apply the caps in date order (then by record id), add the
/// deductions, and grade the total.
pub fn score(rules: &PointsRules, records: &[Earned], deductions: &[Deduction]) -> Score {
    let mut ordered: Vec<&Earned> = records
        .iter()
        .filter(|e| e.on.year() == rules.year)
        .collect();
    ordered.sort_by_key(|e| {
        (
            e.on,
            e.record_id,
            PointItem::ALL.iter().position(|i| *i == e.item),
        )
    });
    let mut used: Vec<(PointsKind, Tenths)> = Vec::new();
    let mut lines = Vec::new();
    for e in ordered {
        let price = rules.price(e.item);
        let (pct, earned) = split(rules, e, price);
        let kind = e.item.kind();
        let capped = match rules.cap(kind) {
            Some(max) if earned > 0 => {
                let slot = match used.iter().position(|(k, _)| *k == kind) {
                    Some(i) => i,
                    None => {
                        used.push((kind, 0));
                        used.len() - 1
                    }
                };
                let room = (max - used[slot].1).max(0);
                let counted = earned.min(room);
                used[slot].1 += counted;
                earned - counted
            }
            _ => 0,
        };
        lines.push(PointLine {
            source: LineSource::Record {
                item: e.item,
                record_id: e.record_id,
                share: e.share,
            },
            on: e.on,
            price,
            pct,
            earned,
            capped,
            counted: earned - capped,
        });
    }
    let mut deductions: Vec<&Deduction> = deductions
        .iter()
        .filter(|d| d.on.year() == rules.year)
        .collect();
    deductions.sort_by_key(|d| (d.on, d.record_id));
    for d in deductions {
        let points = -d.points.abs();
        lines.push(PointLine {
            source: LineSource::Deduction {
                reason: d.reason.clone(),
                record_id: d.record_id,
            },
            on: d.on,
            price: points,
            pct: 100,
            earned: points,
            capped: 0,
            counted: points,
        });
    }
    let earned: Tenths = lines.iter().map(|l| l.earned).sum();
    let capped: Tenths = lines.iter().map(|l| l.capped).sum();
    let total = rules.base + earned - capped;
    Score {
        year: rules.year,
        base: rules.base,
        lines,
        earned,
        capped,
        total,
        grade: rules.grade(total),
    }
}

/// A member's place in the year's ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ranked {
    pub member_id: i64,
    pub total: Tenths,
    /// 1 for the highest total; equal totals share a rank (1, 2, 2, 4).
    pub rank: u32,
}

/// Rank members by total, highest first; equal totals share their rank and
/// are listed by member id, so the order never changes between readings.
pub fn rank(totals: &[(i64, Tenths)]) -> Vec<Ranked> {
    let mut sorted: Vec<(i64, Tenths)> = totals.to_vec();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out: Vec<Ranked> = Vec::with_capacity(sorted.len());
    for (i, (member_id, total)) in sorted.into_iter().enumerate() {
        let rank = match out.last() {
            Some(prev) if prev.total == total => prev.rank,
            _ => u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
        out.push(Ranked {
            member_id,
            total,
            rank,
        });
    }
    out
}

/// The most one deduction takes off: 100 points.
pub const MAX_DEDUCTION: Tenths = 1_000;
/// The longest reason of a deduction, in characters.
pub const DEDUCTION_REASON_MAX_CHARS: usize = 200;

/// A deduction as staff type it: the points (above 0, at most
/// [`MAX_DEDUCTION`], one decimal), the reason (required) and the day (not
/// after `today`). Every wrong field is named at once.
pub fn parse_deduction(
    points: &str,
    reason: &str,
    on: &str,
    today: NaiveDate,
) -> Result<Deduction, FieldErrors> {
    let mut errors = FieldErrors::new();
    let points = match parse_points("points", points) {
        Ok(p) if p > 0 && p <= MAX_DEDUCTION => Some(p),
        Ok(_) => {
            errors.push(
                FieldError::new("points", "points_cap_range")
                    .with("max", format_points(MAX_DEDUCTION)),
            );
            None
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let reason = errors.check(super::text::required_text(
        "reason",
        reason,
        DEDUCTION_REASON_MAX_CHARS,
    ));
    let on = match super::dates::parse_date("on", on) {
        Ok(d) if d > today => {
            errors.push(FieldError::new("on", "date_in_future"));
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    match (points, reason, on) {
        (Some(points), Some(reason), Some(on)) if errors.is_empty() => Ok(Deduction {
            points,
            reason,
            on,
            record_id: None,
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use PointItem as I;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn on(m: u32, d: u32) -> NaiveDate {
        ymd(2012, m, d)
    }

    fn rules() -> PointsRules {
        PointsRules::standard(2012)
    }

    fn joint(item: PointItem, id: i64, share: Share, cosigners: u32) -> Earned {
        Earned {
            share,
            cosigners,
            ..Earned::sole(item, id, on(3, 1))
        }
    }

    #[test]
    fn the_default_is_valid_and_prices_every_item() {
        let r = rules();
        assert_eq!(validate_rules(&r), Ok(()));
        for item in PointItem::ALL {
            assert!(r.prices.iter().any(|p| p.item == item), "{item} priced");
        }
        assert!(r.price(I::PlenaryAbsent) < 0);
        assert!(r.price(I::ActivityAbsent) < 0);
        assert_eq!(r.cap(PointsKind::Info), Some(300));
        assert_eq!(r.cap(PointsKind::Award), None);
        assert_eq!(r.for_year(2013).year, 2013);
        assert_eq!(r.for_year(2013).prices, r.prices);
    }

    #[test]
    fn doing_what_the_plan_asks_is_competent_and_nothing_is_not() {
        let r = rules();
        let mut plan = vec![
            Earned::sole(I::PlenaryAttended, 1, on(1, 10)),
            Earned::sole(I::ProposalSubmitted, 2, on(1, 12)),
            Earned::sole(I::ReceptionDuty, 3, on(2, 15)),
            Earned::sole(I::InfoSubmitted, 4, on(5, 1)),
        ];
        for (i, m) in [3, 6, 9, 12].into_iter().enumerate() {
            plan.push(Earned::sole(I::ActivityAttended, 10 + i as i64, on(m, 5)));
        }
        let s = score(&r, &plan, &[]);
        assert_eq!(s.total, 400 + 50 + 50 + 30 + 20 + 4 * 20);
        assert_eq!(format_points(s.total), "63");
        assert_eq!(s.grade, Grade::Competent);
        assert_eq!(score(&r, &[], &[]).grade, Grade::Unfit);
        // Staying away from the plenary without leave: below 60.
        let absent = [Earned::sole(I::PlenaryAbsent, 1, on(1, 10))];
        let s = score(&r, &absent, &[]);
        assert_eq!(s.total, 300);
        assert_eq!(s.grade, Grade::Unfit);
        // An active member: accepted, adopted by the city, a research report.
        plan.extend([
            Earned::sole(I::ProposalAccepted, 2, on(2, 1)),
            Earned::sole(I::InfoAdoptedCity, 4, on(6, 1)),
            Earned::sole(I::ResearchReport, 20, on(9, 1)),
        ]);
        assert_eq!(score(&r, &plan, &[]).grade, Grade::Good);
        plan.push(
            Earned::award(30, AwardLevel::Province, AwardStatus::Awarded, on(12, 1)).unwrap(),
        );
        assert_eq!(score(&r, &plan, &[]).grade, Grade::Excellent);
    }

    #[test]
    fn every_line_names_its_record_and_price() {
        let r = rules();
        let records = [
            Earned::sole(I::InfoSubmitted, 41, on(4, 2)),
            Earned::sole(I::PlenaryAttended, 7, on(1, 10)),
            Earned::sole(I::InfoAdoptedDistrict, 41, on(4, 20)),
        ];
        let s = score(&r, &records, &[]);
        let lines: Vec<_> = s
            .lines
            .iter()
            .map(|l| match &l.source {
                LineSource::Record {
                    item, record_id, ..
                } => (*item, *record_id, l.price, l.counted),
                LineSource::Deduction { .. } => panic!("no deductions"),
            })
            .collect();
        // In date order.
        assert_eq!(
            lines,
            [
                (I::PlenaryAttended, 7, 50, 50),
                (I::InfoSubmitted, 41, 20, 20),
                (I::InfoAdoptedDistrict, 41, 30, 30),
            ]
        );
        assert_eq!(s.earned, 100);
        assert_eq!(s.capped, 0);
        assert_eq!(s.total, 500);
        // Changing a price recomputes.
        let mut dearer = r.clone();
        dearer.prices.retain(|p| p.item != I::InfoSubmitted);
        dearer.prices.push(Price {
            item: I::InfoSubmitted,
            points: 35,
        });
        assert_eq!(score(&dearer, &records, &[]).total, 515);
        // An item without a price earns a zero line, still shown.
        dearer.prices.retain(|p| p.item != I::PlenaryAttended);
        let s = score(&dearer, &records, &[]);
        assert_eq!(s.lines[0].price, 0);
        assert_eq!(s.lines[0].counted, 0);
    }

    #[test]
    fn joint_work_splits_each_way() {
        let r = rules();
        let lead = joint(I::ProposalSubmitted, 1, Share::Lead, 2);
        let co = joint(I::ProposalSubmitted, 1, Share::Cosigner, 2);
        let l = &score(&r, &[lead], &[]).lines[0];
        assert_eq!((l.pct, l.earned), (100, 50));
        let c = &score(&r, &[co], &[]).lines[0];
        assert_eq!((c.pct, c.earned), (50, 25));
        // Rating an answer and attendance are never split.
        let rated = joint(I::ProposalRated, 1, Share::Cosigner, 2);
        assert_eq!(score(&r, &[rated], &[]).lines[0].earned, 10);
        assert!(!I::ActivityAttended.may_be_joint());
        assert!(I::ResearchReport.may_be_joint());
        // Shared: the lead 60 %, two co-signers 20 % each of 5 points.
        let mut shared = r.clone();
        shared.joint = JointSplit {
            mode: JointMode::Shared,
            lead_pct: 60,
            cosigner_pct: 0,
        };
        let got = |e| {
            let s = score(&shared, &[e], &[]);
            (s.lines[0].pct, s.lines[0].earned)
        };
        assert_eq!(got(lead), (60, 30));
        assert_eq!(got(co), (20, 10));
        // Three co-signers share 40 % of 5 points: 0.67 each, rounded to 0.7.
        let co3 = joint(I::ProposalSubmitted, 1, Share::Cosigner, 3);
        assert_eq!(got(co3), (13, 7));
        // A lead with no co-signers keeps the whole price.
        let alone = joint(I::ProposalSubmitted, 1, Share::Lead, 0);
        assert_eq!(got(alone), (100, 50));
        // Rounding half away from zero, negative prices too.
        assert_eq!(div_round(25, 10), 3);
        assert_eq!(div_round(-25, 10), -3);
        assert_eq!(div_round(24, 10), 2);
        assert_eq!(div_round(-24, 10), -2);
    }

    #[test]
    fn caps_apply_in_date_order_and_show_what_they_took() {
        let r = rules();
        // Fourteen reports at 2 points: 28 of the 30 allowed.
        let mut records: Vec<Earned> = (1..=14)
            .map(|i| Earned::sole(I::InfoSubmitted, i, on(1, i as u32)))
            .collect();
        // A city adoption worth 5: 2 count, 3 capped; then one more report, all capped.
        records.push(Earned::sole(I::InfoAdoptedCity, 3, on(2, 1)));
        records.push(Earned::sole(I::InfoSubmitted, 15, on(2, 2)));
        // A plenary absence is not capped and does not free cap room.
        records.push(Earned::sole(I::PlenaryAbsent, 99, on(3, 1)));
        let s = score(&r, &records, &[]);
        let city = &s.lines[14];
        assert_eq!(
            (city.earned, city.capped, city.counted),
            (50, 30, 20),
            "{city:?}"
        );
        let last_info = &s.lines[15];
        assert_eq!(
            (last_info.earned, last_info.capped, last_info.counted),
            (20, 20, 0)
        );
        assert_eq!(s.by_kind(PointsKind::Info), (300, 50));
        assert_eq!(s.by_kind(PointsKind::Plenary), (-100, 0));
        assert_eq!(s.earned, 14 * 20 + 50 + 20 - 100);
        assert_eq!(s.capped, 50);
        assert_eq!(s.total, 400 + 300 - 100);
        // Input order does not matter.
        let mut reversed = records.clone();
        reversed.reverse();
        assert_eq!(score(&r, &reversed, &[]), s);
    }

    #[test]
    fn deductions_and_other_years() {
        let r = rules();
        let records = [
            Earned::sole(I::PlenaryAttended, 1, ymd(2011, 12, 31)),
            Earned::sole(I::PlenaryAttended, 2, on(1, 1)),
        ];
        let deductions = [
            Deduction {
                points: 50,
                reason: "违反会议纪律".into(),
                on: on(6, 1),
                record_id: Some(8),
            },
            Deduction {
                points: 30,
                reason: "去年的".into(),
                on: ymd(2011, 6, 1),
                record_id: None,
            },
        ];
        let s = score(&r, &records, &deductions);
        assert_eq!(s.lines.len(), 2, "2011's lines are left out");
        assert_eq!(
            s.lines[1].source,
            LineSource::Deduction {
                reason: "违反会议纪律".into(),
                record_id: Some(8)
            }
        );
        assert_eq!(s.lines[1].counted, -50);
        assert_eq!(s.total, 400 + 50 - 50);
    }

    #[test]
    fn only_awards_given_earn() {
        let d = on(11, 1);
        assert!(Earned::award(1, AwardLevel::City, AwardStatus::Candidate, d).is_none());
        assert!(Earned::award(1, AwardLevel::City, AwardStatus::Withdrawn, d).is_none());
        let e = Earned::award(1, AwardLevel::National, AwardStatus::Awarded, d).unwrap();
        assert_eq!(e.item, I::AwardNational);
        assert_eq!(score(&rules(), &[e], &[]).total, 400 + 150);
        for level in AwardLevel::ALL {
            assert_eq!(PointItem::award(level).kind(), PointsKind::Award);
        }
        for level in AdoptionLevel::ALL {
            assert_eq!(PointItem::info_adopted(level).kind(), PointsKind::Info);
        }
    }

    #[test]
    fn grades_at_their_edges() {
        let r = rules();
        for (total, grade) in [
            (10_000, Grade::Excellent),
            (900, Grade::Excellent),
            (899, Grade::Good),
            (750, Grade::Good),
            (749, Grade::Competent),
            (600, Grade::Competent),
            (599, Grade::Unfit),
            (0, Grade::Unfit),
            (-50, Grade::Unfit),
        ] {
            assert_eq!(r.grade(total), grade, "{total}");
        }
    }

    fn band(grade: Grade, from: Option<Tenths>, to: Option<Tenths>) -> GradeBand {
        GradeBand { grade, from, to }
    }

    fn grade_errors(bands: &[GradeBand]) -> Vec<(&'static str, &'static str, Vec<String>)> {
        validate_grades(bands)
            .err()
            .map(|e| {
                e.0.iter()
                    .map(|e| {
                        (
                            e.field,
                            e.code,
                            e.params.iter().map(|p| p.1.clone()).collect(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn grade_bands_without_gap_or_overlap() {
        use Grade as G;
        let mut b = rules().grades;
        assert!(grade_errors(&b).is_empty());
        // A gap between 良好 and 称职: 75.0 to 79.9 belong to no grade.
        b[1].from = Some(800);
        assert_eq!(
            grade_errors(&b),
            [(
                "competent_to",
                "points_grade_gap",
                vec!["75".into(), "79.9".into()]
            )]
        );
        // An overlap: 70 to 74.9 would be both 称职 and 良好.
        b[1].from = Some(700);
        assert_eq!(
            grade_errors(&b),
            [(
                "competent_to",
                "points_grade_overlap",
                vec!["70".into(), "74.9".into()]
            )]
        );
        // Reversed ends, open ends in the middle, a closed top.
        let b = [
            band(G::Excellent, Some(900), Some(1000)),
            band(G::Good, None, Some(899)),
            band(G::Competent, Some(749), Some(600)),
            band(G::Unfit, Some(0), Some(599)),
        ];
        assert_eq!(
            grade_errors(&b),
            [
                ("excellent_to", "points_grade_open", vec![]),
                ("good_from", "required", vec![]),
                ("competent_to", "points_grade_reversed", vec![]),
                ("unfit_from", "points_grade_open", vec![]),
            ]
        );
        // Every grade once, from the top.
        let mut b = rules().grades;
        b.swap(0, 1);
        assert_eq!(grade_errors(&b), [("grades", "points_grades_all", vec![])]);
        assert_eq!(
            grade_errors(&rules().grades[..3]),
            [("grades", "points_grades_all", vec![])]
        );
    }

    #[test]
    fn rules_are_checked() {
        let mut r = rules();
        r.base = -10;
        r.prices.push(Price {
            item: I::InfoSubmitted,
            points: 10,
        });
        r.prices.push(Price {
            item: I::AwardCity,
            points: MAX_POINTS + 1,
        });
        r.caps.push(Cap {
            kind: PointsKind::Award,
            max: 0,
        });
        r.caps.push(Cap {
            kind: PointsKind::Info,
            max: 10,
        });
        r.joint.lead_pct = 101;
        r.joint.cosigner_pct = -1;
        r.grades[3].to = Some(500);
        let e = validate_rules(&r).unwrap_err();
        let got: Vec<_> = e.0.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            got,
            [
                ("base", "points_range"),
                ("price", "points_twice"),
                ("price", "points_range"),
                ("price", "points_twice"),
                ("cap", "points_cap_range"),
                ("cap", "points_twice"),
                ("lead_pct", "points_percent"),
                ("cosigner_pct", "points_percent"),
                ("unfit_to", "points_grade_gap"),
            ]
        );
        assert_eq!(e.0[0].params[0], ("min", "-1000".to_string()));
    }

    #[test]
    fn points_are_typed_and_shown_in_tenths() {
        assert_eq!(parse_points("price", "12").unwrap(), 120);
        assert_eq!(parse_points("price", " 2.5 ").unwrap(), 25);
        assert_eq!(parse_points("price", "-10").unwrap(), -100);
        assert_eq!(parse_points("price", "-0.5").unwrap(), -5);
        assert_eq!(parse_points("price", "1000").unwrap(), MAX_POINTS);
        assert_eq!(parse_points("price", "").unwrap_err().code, "required");
        assert_eq!(
            parse_points("price", "1000.1").unwrap_err().code,
            "points_range"
        );
        for bad in [
            "2.55",
            "1e3",
            "+2",
            "2.",
            ".5",
            "--1",
            "二",
            "1,5",
            "999999999999",
        ] {
            assert_eq!(
                parse_points("price", bad).unwrap_err().code,
                "points_format",
                "{bad}"
            );
        }
        for (t, s) in [
            (0, "0"),
            (5, "0.5"),
            (125, "12.5"),
            (600, "60"),
            (-25, "-2.5"),
            (-5, "-0.5"),
        ] {
            assert_eq!(format_points(t), s);
            assert_eq!(parse_points("price", s).unwrap(), t);
        }
    }

    #[test]
    fn ranking_is_by_total_then_member_id() {
        let ranked = rank(&[(5, 700), (3, 900), (9, 700), (1, 700), (2, 650)]);
        let got: Vec<(i64, Tenths, u32)> = ranked
            .iter()
            .map(|r| (r.member_id, r.total, r.rank))
            .collect();
        assert_eq!(
            got,
            [
                (3, 900, 1),
                (1, 700, 2),
                (5, 700, 2),
                (9, 700, 2),
                (2, 650, 5)
            ]
        );
        assert!(rank(&[]).is_empty());
        // The same ranking from any input order.
        assert_eq!(
            rank(&[(2, 650), (9, 700), (1, 700), (3, 900), (5, 700)]),
            ranked
        );
    }

    #[test]
    fn labels() {
        assert_eq!(Grade::Excellent.label_key(), "label.points_grade.excellent");
        assert_eq!(I::InfoAdoptedCity.as_str(), "info_adopted_city");
        assert_eq!(Share::parse("share", "cosigner").unwrap(), Share::Cosigner);
        let keys = PointItem::ALL
            .iter()
            .map(|v| v.label_key())
            .chain(PointsKind::ALL.iter().map(|v| v.label_key()))
            .chain(Share::ALL.iter().map(|v| v.label_key()))
            .chain(JointMode::ALL.iter().map(|v| v.label_key()))
            .chain(Grade::ALL.iter().map(|v| v.label_key()));
        for key in keys {
            for locale in ["zh-CN", "en"] {
                assert_ne!(rust_i18n::t!(key, locale = locale), key, "{key} {locale}");
            }
        }
        assert_eq!(
            rust_i18n::t!(Grade::Unfit.label_key(), locale = "zh-CN"),
            "不称职"
        );
    }
    #[test]
    fn a_deduction_is_checked_field_by_field() {
        let today = NaiveDate::from_ymd_opt(2012, 6, 30).unwrap();
        let d = parse_deduction(" 2.5 ", " 无故缺席全会 ", "2012-02-29", today).unwrap();
        assert_eq!(d.points, 25);
        assert_eq!(d.reason, "无故缺席全会");
        assert_eq!(d.on, NaiveDate::from_ymd_opt(2012, 2, 29).unwrap());
        assert!(parse_deduction("100", "x", "2012-06-30", today).is_ok());
        let codes = |p: &str, r: &str, o: &str| -> Vec<(&'static str, &'static str)> {
            parse_deduction(p, r, o, today)
                .unwrap_err()
                .0
                .iter()
                .map(|e| (e.field, e.code))
                .collect()
        };
        assert_eq!(
            codes("0", "x", "2012-01-01"),
            [("points", "points_cap_range")]
        );
        assert_eq!(
            codes("-5", "x", "2012-01-01"),
            [("points", "points_cap_range")]
        );
        assert_eq!(
            codes("100.1", "x", "2012-01-01"),
            [("points", "points_cap_range")]
        );
        assert_eq!(
            codes("2.55", "x", "2012-01-01"),
            [("points", "points_format")]
        );
        assert_eq!(codes("5", "  ", "2012-01-01"), [("reason", "required")]);
        assert_eq!(codes("5", "x", "2012-07-01"), [("on", "date_in_future")]);
        assert_eq!(codes("5", "x", "2011-02-29")[0].0, "on");
        assert_eq!(
            codes("", "", ""),
            [
                ("points", "required"),
                ("reason", "required"),
                ("on", "required")
            ]
        );
        let long = "扣".repeat(DEDUCTION_REASON_MAX_CHARS + 1);
        assert_eq!(codes("5", &long, "2012-01-01"), [("reason", "too_long")]);
    }

    #[test]
    fn a_deduction_counts_in_its_year_only() {
        let r = PointsRules::standard(2012);
        let deduction = |on: (i32, u32, u32)| Deduction {
            points: 50,
            reason: "r".into(),
            on: NaiveDate::from_ymd_opt(on.0, on.1, on.2).unwrap(),
            record_id: None,
        };
        let s = score(
            &r,
            &[],
            &[deduction((2012, 12, 31)), deduction((2013, 1, 1))],
        );
        assert_eq!(s.total, r.base - 50);
        assert_eq!(s.lines.len(), 1);
    }
}
