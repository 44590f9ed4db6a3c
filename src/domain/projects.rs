//! Key projects (重点项目): the district's projects a committee follows, as
//! the seed reports them: key or self-set, their status, money, and for an
//! urban-village redevelopment the households compensated and demolished.
//!
//! **Money is whole 元 in `i64`** ([`Yuan`]): exact, and wide enough for any
//! project (the limit, [`MAX_YUAN`], is 10 trillion 元). Reports show it in
//! 万元 or 亿元 ([`format_money`]: "5亿元", "300万元"), computed, never typed.
//! Percentages are integer arithmetic with the seed's rounding:
//! [`against_target`] ("超额完成20%": 6亿 against 5亿) and [`approx_percent`]
//! ("约75%": 75 of 100 households). No floating point anywhere.
//!
//! Progress is entered as dated updates ([`ProjectUpdate`]), never by
//! overwriting: [`check_update`] refuses an update dated before the last one,
//! an invested amount that goes down (within a year) or households that go
//! down without a correction note, and households demolished beyond those
//! compensated or the total.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::choice::choice_enum;
use super::validation::{FieldError, FieldErrors};

/// Money in whole 元.
pub type Yuan = i64;
/// 1万元.
pub const WAN: Yuan = 10_000;
/// 1亿元.
pub const YI: Yuan = 100_000_000;
/// The largest amount accepted: 10万亿元.
pub const MAX_YUAN: Yuan = 100_000 * YI;
/// The most households a project may count.
pub const MAX_HOUSEHOLDS: i64 = 1_000_000;

choice_enum! {
    /// Whose project it is.
    pub enum ProjectKind: "project_kind" {
        /// 重点项目 (the district's)
        Key => "key",
        /// 自定项目 (set by the sub-district itself)
        SelfSet => "self_set",
    }
}

choice_enum! {
    /// Where a project stands.
    pub enum ProjectStatus: "project_status" {
        /// 动工在建
        UnderConstruction => "under_construction",
        /// 续建
        Continuing => "continuing",
        /// 前期 / 筹备
        Preparing => "preparing",
        /// 竣工
        Completed => "completed",
    }
}

// ---------------------------------------------------------------------------
// Money

/// `n / d` rounded half up, for `n >= 0`, `d > 0` (wide, so nothing overflows).
fn div_half_up(n: i128, d: i128) -> i128 {
    (2 * n + d) / (2 * d)
}

/// An amount as typed: whole 元 ("600000000"), or with a unit: "6亿",
/// "6亿元", "300万", "1.25亿", "3500元". Decimals only as far as they stay
/// whole 元 (at most 4 after 万, 8 after 亿, none in 元). Thousands commas are
/// allowed in whole 元 ("1,600,000,000").
pub fn parse_money(field: &'static str, input: &str) -> Result<Yuan, FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    let bad = || FieldError::new(field, "money_format");
    let value = value.strip_suffix('元').unwrap_or(value).trim_end();
    let (number, scale_digits) = if let Some(n) = value.strip_suffix('亿') {
        (n.trim_end(), 8u32)
    } else if let Some(n) = value.strip_suffix('万') {
        (n.trim_end(), 4u32)
    } else {
        (value, 0u32)
    };
    let (whole, fraction) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    let whole: String = if scale_digits == 0 && fraction.is_empty() {
        // Thousands separators in groups of three.
        let groups: Vec<&str> = whole.split(',').collect();
        let grouped = groups.len() > 1;
        if grouped
            && (groups[0].is_empty()
                || groups[0].len() > 3
                || groups[1..].iter().any(|g| g.len() != 3))
        {
            return Err(bad());
        }
        groups.concat()
    } else {
        whole.to_string()
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits(&whole)
        || !digits(fraction)
        || (number.contains('.') && fraction.is_empty())
        || fraction.len() > scale_digits as usize
        || whole.len() > 15
    {
        return Err(bad());
    }
    let scale = 10i128.pow(scale_digits);
    let whole: i128 = whole.parse().map_err(|_| bad())?;
    let fraction_value: i128 = if fraction.is_empty() {
        0
    } else {
        let f: i128 = fraction.parse().map_err(|_| bad())?;
        f * 10i128.pow(scale_digits - fraction.len() as u32)
    };
    let yuan = whole * scale + fraction_value;
    if yuan > i128::from(MAX_YUAN) {
        return Err(FieldError::new(field, "money_too_large"));
    }
    Ok(yuan as Yuan)
}

/// Hundredths as a decimal with trailing zeros dropped: 1600 → "16", 125 → "1.25", 150 → "1.5".
fn hundredths(h: i128) -> String {
    let (whole, rest) = (h / 100, h % 100);
    match rest {
        0 => whole.to_string(),
        r if r % 10 == 0 => format!("{whole}.{}", r / 10),
        r => format!("{whole}.{r:02}"),
    }
}

/// An amount for a report: in 亿元 from 1亿 (to 0.01亿), in 万元 from 1万
/// (to 0.01万), else in 元, rounded half up: "5亿元", "6亿元", "1.25亿元",
/// "300万元", "3500元". A negative amount (a correction) keeps its sign.
pub fn format_money(yuan: Yuan) -> String {
    let (number, unit) = money_parts(yuan);
    format!("{number}{unit}")
}

/// The number and its unit (元, 万元 or 亿元), as [`format_money`] writes them.
pub fn money_parts(yuan: Yuan) -> (String, &'static str) {
    let sign = if yuan < 0 { "-" } else { "" };
    let a = i128::from(yuan).abs();
    if a >= i128::from(WAN) {
        let yi = div_half_up(a, i128::from(YI) / 100);
        if yi >= 100 {
            return (format!("{sign}{}", hundredths(yi)), "亿元");
        }
        let wan = div_half_up(a, i128::from(WAN) / 100);
        return (format!("{sign}{}", hundredths(wan)), "万元");
    }
    (format!("{sign}{a}"), "元")
}

// ---------------------------------------------------------------------------
// Percentages

/// `part` as a whole percent of `whole`, rounded half up (75 of 100 → 75);
/// `None` when `whole` is not above zero or `part` is negative.
pub fn percent_of(part: i64, whole: i64) -> Option<i64> {
    (whole > 0 && part >= 0).then(|| div_half_up(i128::from(part) * 100, i128::from(whole)) as i64)
}

/// A rounded percentage and whether it is exact: "约90%" or "50%".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Approx {
    pub pct: i64,
    pub exact: bool,
}

impl Approx {
    /// The catalogue key and its parameters ("约%{pct}%" or "%{pct}%").
    pub fn message(&self) -> (&'static str, Vec<(&'static str, String)>) {
        let key = if self.exact {
            "project.percent_exact"
        } else {
            "project.percent_about"
        };
        (key, vec![("pct", self.pct.to_string())])
    }
}

/// `part` of `whole` as the seed writes it: "约75%" (75 of 100), "约60%"
/// (60 of 100); exact percentages without "约".
pub fn approx_percent(part: i64, whole: i64) -> Option<Approx> {
    let pct = percent_of(part, whole)?;
    let exact = (i128::from(part) * 100) % i128::from(whole) == 0;
    Some(Approx { pct, exact })
}

/// The year's investment against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetProgress {
    /// Over the target by `pct` percent of it, rounded half up ("超额完成20%").
    Exceeded { pct: i64 },
    /// On the target, or over it by less than half a percent ("完成年度目标").
    Reached,
    /// Short: `pct` percent of the target done, rounded down, so that a
    /// shortfall never reads as 100% ("完成年度目标的85%").
    Short { pct: i64 },
}

impl TargetProgress {
    /// The catalogue key and its parameters.
    pub fn message(&self) -> (&'static str, Vec<(&'static str, String)>) {
        match self {
            Self::Exceeded { pct } => ("project.target_exceeded", vec![("pct", pct.to_string())]),
            Self::Reached => ("project.target_reached", vec![]),
            Self::Short { pct } => ("project.target_short", vec![("pct", pct.to_string())]),
        }
    }
}

/// `invested` against the year's `target` (6亿 against 5亿: exceeded by
/// 20%); `None` without a target above zero.
pub fn against_target(invested: Yuan, target: Yuan) -> Option<TargetProgress> {
    if target <= 0 || invested < 0 {
        return None;
    }
    let (i, t) = (i128::from(invested), i128::from(target));
    Some(if invested >= target {
        match div_half_up((i - t) * 100, t) as i64 {
            0 => TargetProgress::Reached,
            pct => TargetProgress::Exceeded { pct },
        }
    } else {
        TargetProgress::Short {
            pct: (i * 100 / t) as i64,
        }
    })
}

// ---------------------------------------------------------------------------
// Updates

/// One dated progress report on a project. Every field but the date is
/// optional: an update may give the investment, the households, or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectUpdate {
    pub on: NaiveDate,
    /// Invested this year to date (年度完成投资), in 元.
    pub invested: Option<Yuan>,
    /// Households compensated to date (已兑付).
    pub compensated: Option<i64>,
    /// Households demolished to date (已拆除).
    pub demolished: Option<i64>,
    /// Required when a figure goes down: why (更正说明).
    pub note: String,
}

/// The project's figures as of its latest updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Latest {
    /// Invested in the year asked for (the latest update of that year).
    pub invested: Option<Yuan>,
    pub compensated: Option<i64>,
    pub demolished: Option<i64>,
}

/// The latest figures for `year` from updates in the order they were entered:
/// the investment from that year's updates, households from any update up to
/// the end of that year.
pub fn latest(updates: &[ProjectUpdate], year: i32) -> Latest {
    let mut out = Latest::default();
    for u in updates.iter().filter(|u| u.on.year() <= year) {
        if u.on.year() == year {
            out.invested = u.invested.or(out.invested);
        }
        out.compensated = u.compensated.or(out.compensated);
        out.demolished = u.demolished.or(out.demolished);
    }
    out
}

/// Check a new update against the project's earlier ones (in the order
/// entered) and its total of households: not dated before the last update;
/// amounts and households not negative; an invested amount lower than the
/// last of the same year, or households lower than the last, only with a
/// correction note; households within the total, and demolished within
/// compensated.
pub fn check_update(
    earlier: &[ProjectUpdate],
    next: &ProjectUpdate,
    households_total: Option<i64>,
) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let corrected = !next.note.trim().is_empty();
    if earlier.last().is_some_and(|last| next.on < last.on) {
        errors.push(FieldError::new("on", "project_update_before_last"));
    }
    let last = latest(earlier, next.on.year());
    if let Some(invested) = next.invested {
        if invested < 0 {
            errors.push(FieldError::new("invested", "money_negative"));
        } else if invested > MAX_YUAN {
            errors.push(FieldError::new("invested", "money_too_large"));
        } else if last.invested.is_some_and(|l| invested < l) && !corrected {
            errors.push(
                FieldError::new("invested", "project_invested_down")
                    .with("last", format_money(last.invested.unwrap_or(0))),
            );
        }
    }
    if next.compensated.is_some_and(|n| n < 0) {
        errors.push(FieldError::new("compensated", "households_range").with("max", MAX_HOUSEHOLDS));
    }
    if next.demolished.is_some_and(|n| n < 0) {
        errors.push(FieldError::new("demolished", "households_range").with("max", MAX_HOUSEHOLDS));
    }
    if let (Some(n), Some(l)) = (next.compensated, last.compensated) {
        if n < l && !corrected {
            errors.push(FieldError::new("compensated", "project_households_down").with("last", l));
        }
    }
    if let (Some(n), Some(l)) = (next.demolished, last.demolished) {
        if n < l && !corrected {
            errors.push(FieldError::new("demolished", "project_households_down").with("last", l));
        }
    }
    let compensated = next.compensated.or(last.compensated);
    let demolished = next.demolished.or(last.demolished);
    if let Some(total) = households_total {
        if compensated.is_some_and(|c| c > total) {
            errors.push(
                FieldError::new("compensated", "project_households_over_total")
                    .with("total", total),
            );
        }
        if demolished.is_some_and(|d| d > total) {
            errors.push(
                FieldError::new("demolished", "project_households_over_total").with("total", total),
            );
        }
    }
    if let (Some(c), Some(d)) = (compensated, demolished) {
        if d > c && households_total.is_none_or(|t| d <= t) {
            errors.push(
                FieldError::new("demolished", "project_demolished_over_compensated")
                    .with("compensated", c),
            );
        }
    }
    errors.into_result()
}

/// A count of households as typed: a whole number from 0 to [`MAX_HOUSEHOLDS`].
pub fn parse_households(field: &'static str, input: &str) -> Result<Option<i64>, FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(None);
    }
    value
        .parse::<i64>()
        .ok()
        .filter(|n| (0..=MAX_HOUSEHOLDS).contains(n) && value.bytes().all(|b| b.is_ascii_digit()))
        .map(Some)
        .ok_or_else(|| FieldError::new(field, "households_range").with("max", MAX_HOUSEHOLDS))
}

// ---------------------------------------------------------------------------
// Figures

/// A project's figures for a year, as a report writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    pub invested: Option<Yuan>,
    pub progress: Option<TargetProgress>,
    pub compensated: Option<Approx>,
    pub demolished: Option<Approx>,
}

/// The year's figures from the updates, the year's target and the total of
/// households.
pub fn figures(
    updates: &[ProjectUpdate],
    year: i32,
    target: Option<Yuan>,
    households_total: Option<i64>,
) -> Figures {
    let l = latest(updates, year);
    let share = |n: Option<i64>| {
        n.zip(households_total)
            .and_then(|(n, t)| approx_percent(n, t))
    };
    Figures {
        invested: l.invested,
        progress: l
            .invested
            .zip(target)
            .and_then(|(i, t)| against_target(i, t)),
        compensated: share(l.compensated),
        demolished: share(l.demolished),
    }
}

/// How many projects of each kind and status ("7 key and 4 self-set; 3 under
/// construction, 3 continuing").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProjectCounts {
    pub key: usize,
    pub self_set: usize,
    /// In the order of [`ProjectStatus::ALL`].
    pub by_status: Vec<(ProjectStatus, usize)>,
}

pub fn count(projects: &[(ProjectKind, ProjectStatus)]) -> ProjectCounts {
    ProjectCounts {
        key: projects
            .iter()
            .filter(|(k, _)| *k == ProjectKind::Key)
            .count(),
        self_set: projects
            .iter()
            .filter(|(k, _)| *k == ProjectKind::SelfSet)
            .count(),
        by_status: ProjectStatus::ALL
            .iter()
            .map(|s| (*s, projects.iter().filter(|(_, ps)| ps == s).count()))
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn update(
        on: NaiveDate,
        invested: Option<Yuan>,
        c: Option<i64>,
        d: Option<i64>,
    ) -> ProjectUpdate {
        ProjectUpdate {
            on,
            invested,
            compensated: c,
            demolished: d,
            note: String::new(),
        }
    }

    fn codes(r: Result<(), FieldErrors>) -> Vec<(&'static str, &'static str)> {
        r.err()
            .map(|e| e.0.iter().map(|e| (e.field, e.code)).collect())
            .unwrap_or_default()
    }

    #[test]
    fn percentages_of_target_and_households() {
        // A made-up project: 30亿 in all, 6亿 invested against 5亿 planned.
        let total = 30 * YI;
        let target = 5 * YI;
        let updates = [
            update(ymd(2011, 6, 30), Some(2 * YI), None, None),
            update(ymd(2011, 12, 31), Some(6 * YI), None, None),
        ];
        let f = figures(&updates, 2011, Some(target), None);
        assert_eq!(f.invested, Some(6 * YI));
        assert_eq!(f.progress, Some(TargetProgress::Exceeded { pct: 20 }));
        assert_eq!(format_money(total), "30亿元");
        assert_eq!(format_money(6 * YI), "6亿元");
        assert_eq!(format_money(target), "5亿元");
        // A made-up redevelopment: 151 compensated (约76%) and 121 demolished (约61%) of 200.
        let updates = [
            update(ymd(2011, 9, 1), None, Some(100), Some(80)),
            update(ymd(2011, 12, 20), None, Some(151), Some(121)),
        ];
        let f = figures(&updates, 2011, None, Some(200));
        assert_eq!(
            f.compensated,
            Some(Approx {
                pct: 76,
                exact: false
            })
        );
        assert_eq!(
            f.demolished,
            Some(Approx {
                pct: 61,
                exact: false
            })
        );
        assert_eq!(f.progress, None);
        // A target in 万元.
        assert_eq!(format_money(2000 * WAN), "2000万元");
        // A small amount in 元.
        assert_eq!(format_money(2000), "2000元");
        // 7 key and 4 self-set; 3 under construction, 3 continuing.
        use ProjectKind as K;
        use ProjectStatus as S;
        let projects = [
            (K::Key, S::UnderConstruction),
            (K::Key, S::UnderConstruction),
            (K::Key, S::UnderConstruction),
            (K::Key, S::Continuing),
            (K::Key, S::Continuing),
            (K::Key, S::Continuing),
            (K::Key, S::Preparing),
            (K::SelfSet, S::Preparing),
            (K::SelfSet, S::Preparing),
            (K::SelfSet, S::Completed),
            (K::SelfSet, S::Preparing),
        ];
        let c = count(&projects);
        assert_eq!((c.key, c.self_set), (7, 4));
        assert_eq!(
            c.by_status,
            [
                (S::UnderConstruction, 3),
                (S::Continuing, 3),
                (S::Preparing, 4),
                (S::Completed, 1)
            ]
        );
    }

    #[test]
    fn percentages_round_as_the_seed_writes_them() {
        assert_eq!(percent_of(151, 200), Some(76)); // 75.5
        assert_eq!(percent_of(121, 200), Some(61)); // 60.5
        assert_eq!(percent_of(1, 200), Some(1)); // 0.5 rounds up
        assert_eq!(percent_of(1, 201), Some(0));
        assert_eq!(percent_of(0, 200), Some(0));
        assert_eq!(percent_of(200, 200), Some(100));
        assert_eq!(percent_of(5, 0), None);
        assert_eq!(percent_of(-1, 10), None);
        assert_eq!(
            approx_percent(100, 200),
            Some(Approx {
                pct: 50,
                exact: true
            })
        );
        assert_eq!(
            approx_percent(1, 3),
            Some(Approx {
                pct: 33,
                exact: false
            })
        );
        // Huge amounts do not overflow.
        assert_eq!(percent_of(MAX_YUAN, MAX_YUAN), Some(100));
        assert_eq!(percent_of(i64::MAX, i64::MAX), Some(100));
    }

    #[test]
    fn against_the_years_target() {
        use TargetProgress as P;
        assert_eq!(
            against_target(16 * YI, 13 * YI),
            Some(P::Exceeded { pct: 23 })
        );
        assert_eq!(against_target(13 * YI, 13 * YI), Some(P::Reached));
        // Over by less than half a percent reads as reached; by half, 1%.
        assert_eq!(against_target(1004, 1000), Some(P::Reached));
        assert_eq!(against_target(1005, 1000), Some(P::Exceeded { pct: 1 }));
        // Short: rounded down, never 100%.
        assert_eq!(against_target(999, 1000), Some(P::Short { pct: 99 }));
        assert_eq!(against_target(850, 1000), Some(P::Short { pct: 85 }));
        assert_eq!(against_target(0, 1000), Some(P::Short { pct: 0 }));
        assert_eq!(
            against_target(2 * 1000, 1000),
            Some(P::Exceeded { pct: 100 })
        );
        assert_eq!(against_target(10, 0), None);
        assert_eq!(against_target(-1, 10), None);
        assert_eq!(
            P::Exceeded { pct: 23 }.message(),
            ("project.target_exceeded", vec![("pct", "23".to_string())])
        );
        assert_eq!(P::Reached.message().0, "project.target_reached");
        assert_eq!(P::Short { pct: 85 }.message().0, "project.target_short");
    }

    #[test]
    fn amounts_for_reports() {
        for (yuan, text) in [
            (0, "0元"),
            (3500, "3500元"),
            (9999, "9999元"),
            (10_000, "1万元"),
            (15_000, "1.5万元"),
            (12_345, "1.23万元"),
            (12_355, "1.24万元"),
            (2000 * WAN, "2000万元"),
            (99_499_999, "9950万元"),
            (99_500_000, "1亿元"),
            (YI, "1亿元"),
            (125_000_000, "1.25亿元"),
            (150_000_000, "1.5亿元"),
            (1_234_567_890, "12.35亿元"),
            (40 * YI, "40亿元"),
            (MAX_YUAN, "100000亿元"),
            (-2000 * WAN, "-2000万元"),
        ] {
            assert_eq!(format_money(yuan), text, "{yuan}");
        }
        assert_eq!(money_parts(16 * YI), ("16".to_string(), "亿元"));
    }

    #[test]
    fn amounts_as_typed() {
        for (input, yuan) in [
            ("1700000000", 17 * YI),
            ("1,700,000,000", 17 * YI),
            ("17亿", 17 * YI),
            ("17亿元", 17 * YI),
            (" 17 亿元 ", 17 * YI),
            ("1.25亿", 125_000_000),
            ("0.00000001亿", 1),
            ("2000万", 2000 * WAN),
            ("2000万元", 2000 * WAN),
            ("0.5万", 5000),
            ("3500元", 3500),
            ("0", 0),
            ("100000亿", MAX_YUAN),
        ] {
            assert_eq!(parse_money("invested", input).unwrap(), yuan, "{input}");
        }
        assert_eq!(parse_money("invested", " ").unwrap_err().code, "required");
        assert_eq!(
            parse_money("invested", "100001亿").unwrap_err().code,
            "money_too_large"
        );
        for bad in [
            "-5",
            "1.5",
            "1.5元",
            "0.000000001亿",
            "0.00001万",
            "17亿万",
            "亿",
            "1e9",
            "17.亿",
            ".5亿",
            "1,60,000",
            ",100",
            "1,000万",
            "十六亿",
            "16 000",
            "１６亿",
            "9999999999999999",
        ] {
            let e = parse_money("invested", bad).unwrap_err();
            assert_eq!((e.field, e.code), ("invested", "money_format"), "{bad}");
        }
    }

    #[test]
    fn updates_are_dated_and_go_down_only_with_a_note() {
        let earlier = [
            update(ymd(2011, 6, 30), Some(7 * YI), Some(300), Some(200)),
            update(ymd(2011, 9, 30), Some(12 * YI), None, None),
        ];
        let ok = update(ymd(2011, 12, 31), Some(16 * YI), Some(394), Some(347));
        assert!(check_update(&earlier, &ok, Some(438)).is_ok());
        // The same day as the last update is fine; an earlier day is not.
        let same_day = update(ymd(2011, 9, 30), Some(13 * YI), None, None);
        assert!(check_update(&earlier, &same_day, Some(438)).is_ok());
        let before = update(ymd(2011, 9, 29), Some(13 * YI), None, None);
        assert_eq!(
            codes(check_update(&earlier, &before, Some(438))),
            [("on", "project_update_before_last")]
        );
        // Investment going down within the year: only as a correction.
        let mut down = update(ymd(2011, 12, 31), Some(11 * YI), None, None);
        let e = check_update(&earlier, &down, Some(438)).unwrap_err();
        assert_eq!(
            (e.0[0].field, e.0[0].code, e.0[0].params[0].1.as_str()),
            ("invested", "project_invested_down", "12亿元")
        );
        down.note = "更正：9月数据重复统计".into();
        assert!(check_update(&earlier, &down, Some(438)).is_ok());
        // A new year starts again from nothing.
        let next_year = update(ymd(2012, 3, 31), Some(2 * YI), None, None);
        assert!(check_update(&earlier, &next_year, Some(438)).is_ok());
        // Households going down: only as a correction.
        let mut fewer = update(ymd(2011, 12, 31), None, Some(290), None);
        assert_eq!(
            codes(check_update(&earlier, &fewer, Some(438))),
            [("compensated", "project_households_down")]
        );
        fewer.note = "更正".into();
        assert!(check_update(&earlier, &fewer, Some(438)).is_ok());
        // Demolished beyond compensated, or beyond the total.
        let beyond = update(ymd(2011, 12, 31), None, Some(394), Some(395));
        assert_eq!(
            codes(check_update(&earlier, &beyond, Some(438))),
            [("demolished", "project_demolished_over_compensated")]
        );
        // Beyond compensated as recorded earlier (300) when this update gives demolished only.
        let beyond_earlier = update(ymd(2011, 12, 31), None, None, Some(301));
        assert_eq!(
            codes(check_update(&earlier, &beyond_earlier, Some(438))),
            [("demolished", "project_demolished_over_compensated")]
        );
        let over = update(ymd(2011, 12, 31), None, Some(439), Some(440));
        assert_eq!(
            codes(check_update(&earlier, &over, Some(438))),
            [
                ("compensated", "project_households_over_total"),
                ("demolished", "project_households_over_total")
            ]
        );
        // Negative figures.
        let negative = update(ymd(2011, 12, 31), Some(-1), Some(-1), None);
        assert_eq!(
            codes(check_update(&[], &negative, None)),
            [
                ("invested", "money_negative"),
                ("compensated", "households_range")
            ]
        );
        // The first update has nothing to compare with.
        assert!(check_update(&[], &ok, None).is_ok());
    }

    #[test]
    fn the_latest_figures_of_a_year() {
        let updates = [
            update(ymd(2011, 6, 30), Some(7 * YI), Some(100), None),
            update(ymd(2011, 12, 31), Some(16 * YI), None, Some(50)),
            update(ymd(2012, 3, 31), Some(YI), Some(200), None),
        ];
        assert_eq!(
            latest(&updates, 2011),
            Latest {
                invested: Some(16 * YI),
                compensated: Some(100),
                demolished: Some(50)
            }
        );
        assert_eq!(
            latest(&updates, 2012),
            Latest {
                invested: Some(YI),
                compensated: Some(200),
                demolished: Some(50)
            }
        );
        // A year without updates of its own has no investment yet.
        assert_eq!(latest(&updates, 2013).invested, None);
        assert_eq!(latest(&updates, 2010), Latest::default());
    }

    #[test]
    fn households_as_typed_and_choices() {
        assert_eq!(parse_households("compensated", "394").unwrap(), Some(394));
        assert_eq!(parse_households("compensated", "").unwrap(), None);
        for bad in ["-1", "1.5", "abc", "1000001"] {
            assert_eq!(
                parse_households("compensated", bad).unwrap_err().code,
                "households_range"
            );
        }
        assert_eq!(
            ProjectStatus::parse("status", "continuing").unwrap(),
            ProjectStatus::Continuing
        );
        assert_eq!(
            ProjectKind::SelfSet.label_key(),
            "label.project_kind.self_set"
        );
        for key in ProjectKind::ALL
            .iter()
            .map(|v| v.label_key())
            .chain(ProjectStatus::ALL.iter().map(|v| v.label_key()))
            .chain([
                "project.target_exceeded",
                "project.target_reached",
                "project.target_short",
                "project.percent_about",
                "project.percent_exact",
            ])
        {
            for locale in ["zh-CN", "en"] {
                assert_ne!(rust_i18n::t!(key, locale = locale), key, "{key} {locale}");
            }
        }
        let (key, params) = Approx {
            pct: 90,
            exact: false,
        }
        .message();
        let text = rust_i18n::t!(key, locale = "zh-CN").replace("%{pct}", &params[0].1);
        assert_eq!(text, "约90%");
        let (key, params) = TargetProgress::Exceeded { pct: 23 }.message();
        let text = rust_i18n::t!(key, locale = "zh-CN").replace("%{pct}", &params[0].1);
        assert_eq!(text, "超额完成23%");
    }
}
