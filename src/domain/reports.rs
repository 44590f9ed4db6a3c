//! The work summary (工作总结): the figures a committee's half-year or annual
//! summary states, and its text drafted from them in the shape such reports
//! take (the seed is one): a short opening, then one numbered section per
//! part of the work that has something to say, then how the plan was kept and
//! the plan for the next period.
//!
//! The wording follows the numbers: a section with nothing to say is left out
//! (and the sections after it renumbered), a clause whose figure is zero is
//! left out ("接待群众10人" without "、来访事件0起"), a missed quota is said
//! plainly. Every figure comes from [`SummaryFigures`], which storage counts
//! from the records; nothing here does I/O, and every word comes from the
//! message catalogue (`locales/reports.yml`) through [`Translate`].

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::plans::Translate;
use super::projects::{
    against_target, approx_percent, format_money, percent_of, TargetProgress, Yuan,
};
use super::validation::FieldError;

/// The days a summary covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReportPeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// What a period is called: a half-year, a year, or a range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodShape {
    FirstHalf(i32),
    SecondHalf(i32),
    Year(i32),
    Range,
}

impl ReportPeriod {
    /// `None` when `to` is before `from`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Option<Self> {
        (from <= to).then_some(Self { from, to })
    }

    pub fn year(year: i32) -> Option<Self> {
        Self::new(
            NaiveDate::from_ymd_opt(year, 1, 1)?,
            NaiveDate::from_ymd_opt(year, 12, 31)?,
        )
    }

    pub fn half(year: i32, first: bool) -> Option<Self> {
        if first {
            Self::new(
                NaiveDate::from_ymd_opt(year, 1, 1)?,
                NaiveDate::from_ymd_opt(year, 6, 30)?,
            )
        } else {
            Self::new(
                NaiveDate::from_ymd_opt(year, 7, 1)?,
                NaiveDate::from_ymd_opt(year, 12, 31)?,
            )
        }
    }

    pub fn shape(&self) -> PeriodShape {
        let (y, f, t) = (self.from.year(), self.from, self.to);
        let is = |m1: u32, d1: u32, m2: u32, d2: u32| {
            t.year() == y && (f.month(), f.day()) == (m1, d1) && (t.month(), t.day()) == (m2, d2)
        };
        if is(1, 1, 12, 31) {
            PeriodShape::Year(y)
        } else if is(1, 1, 6, 30) {
            PeriodShape::FirstHalf(y)
        } else if is(7, 1, 12, 31) {
            PeriodShape::SecondHalf(y)
        } else {
            PeriodShape::Range
        }
    }

    /// The period as the plans write it (`2011`, `2011-H1`, `2011-H2`);
    /// `None` for a range of days.
    pub fn code(&self) -> Option<String> {
        match self.shape() {
            PeriodShape::Year(y) => Some(y.to_string()),
            PeriodShape::FirstHalf(y) => Some(format!("{y}-H1")),
            PeriodShape::SecondHalf(y) => Some(format!("{y}-H2")),
            PeriodShape::Range => None,
        }
    }

    /// "2011年上半年", "2011年", "2011年3月1日至2011年5月31日".
    pub fn label(&self, tr: Translate<'_>) -> String {
        match self.shape() {
            PeriodShape::Year(y) => tr("report.period.year", &[("year", y.to_string())]),
            PeriodShape::FirstHalf(y) => tr("report.period.first_half", &[("year", y.to_string())]),
            PeriodShape::SecondHalf(y) => {
                tr("report.period.second_half", &[("year", y.to_string())])
            }
            PeriodShape::Range => tr(
                "report.period.range",
                &[
                    ("from", date_words(self.from, tr)),
                    ("to", date_words(self.to, tr)),
                ],
            ),
        }
    }

    /// The period after this one, of the same shape: the next half-year or
    /// year; for a range, the year after the one it ends in.
    pub fn next(&self) -> Option<Self> {
        match self.shape() {
            PeriodShape::Year(y) => Self::year(y + 1),
            PeriodShape::FirstHalf(y) => Self::half(y, false),
            PeriodShape::SecondHalf(y) => Self::half(y + 1, true),
            PeriodShape::Range => Self::year(self.to.year() + 1),
        }
    }
}

/// "2011年6月30日".
pub fn date_words(d: NaiveDate, tr: Translate<'_>) -> String {
    tr(
        "report.date",
        &[
            ("year", d.year().to_string()),
            ("month", d.month().to_string()),
            ("day", d.day().to_string()),
        ],
    )
}

// ---------------------------------------------------------------------------
// The figures

/// A project the summary names with its figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectLine {
    pub name: String,
    pub total_investment: Option<Yuan>,
    /// Invested this year to the end of the period, and the year's target.
    pub invested: Option<Yuan>,
    pub target: Option<Yuan>,
    pub households_total: Option<i64>,
    pub compensated: Option<i64>,
    pub demolished: Option<i64>,
    /// The date of the latest update the figures come from ("截至…").
    pub as_of: Option<NaiveDate>,
}

impl ProjectLine {
    /// A project with a figure worth a sentence of its own.
    pub fn has_figures(&self) -> bool {
        self.invested.is_some() || self.compensated.is_some() || self.demolished.is_some()
    }
}

/// Projects by kind and status, and the named ones.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ProjectFigures {
    pub key: i64,
    pub self_set: i64,
    /// (status label key, count) in the statuses' order; zero counts allowed.
    pub by_status: Vec<(String, i64)>,
    /// Projects with figures, in the committee's order.
    pub lines: Vec<ProjectLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ReceptionFigures {
    pub days: i64,
    /// Citizens received (来访群众).
    pub visitors: i64,
    /// Cases raised (来访事件).
    pub cases: i64,
    pub forwarded: i64,
    pub resolved: i64,
    /// The monthly reception day (每月15日), when the committee set one.
    pub day_of_month: Option<u32>,
}

/// Activities of one kind held in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityLine {
    /// The kind's label key (`label.activity_kind.…`).
    pub kind_key: String,
    pub held: i64,
    /// Members present, counted once per activity (人次).
    pub attendances: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ActivityFigures {
    pub lines: Vec<ActivityLine>,
    /// Titles of the period's activities, in date order (at most a few).
    pub notable: Vec<(NaiveDate, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ProposalFigures {
    pub submitted: i64,
    pub accepted: i64,
    pub merged: i64,
    pub not_accepted: i64,
    pub answered: i64,
    pub key: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct InfoFigures {
    pub submitted: i64,
    pub forwarded: i64,
    /// (level label key, count) for the levels with adoptions.
    pub adopted: Vec<(String, i64)>,
    pub instructed: i64,
}

impl InfoFigures {
    pub fn adopted_total(&self) -> i64 {
        self.adopted.iter().map(|(_, n)| n).sum()
    }
}

/// How one plan rule was kept in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanLine {
    /// The rule in plain words (`plans::describe`).
    pub text: String,
    /// Whether it is measured for each member (else the group or committee).
    pub per_member: bool,
    /// Scope × period checks that were due, and of them met and missed.
    pub due: i64,
    pub met: i64,
    pub missed: i64,
}

/// Everything a summary states, counted from the records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryFigures {
    pub committee: String,
    /// The committee that leads it ("区政协"), for the opening.
    pub parent: Option<String>,
    pub period: ReportPeriod,
    pub members: i64,
    pub groups: i64,
    pub communities: i64,
    pub projects: ProjectFigures,
    pub reception: ReceptionFigures,
    pub activities: ActivityFigures,
    pub proposals: ProposalFigures,
    pub info: InfoFigures,
    pub research_reports: i64,
    pub plan: Vec<PlanLine>,
    /// The next period's plan items, in words.
    pub next_plan: Vec<String>,
}

// ---------------------------------------------------------------------------
// The document

/// A part of the drafted document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// A numbered heading; level 1 is "一、", level 2 "（一）".
    Heading {
        level: u8,
        text: String,
    },
    Paragraph {
        text: String,
    },
    Table {
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// Figures drawn as bars (a native chart in Word, SVG on the page).
    Chart(Chart),
}

/// A bar chart of figures: a row per category (a project), a column per
/// series (the year's target, invested). Values are hundredths of the unit
/// the caption names ("（亿元）"), so they stay exact integers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chart {
    pub caption: String,
    /// The categories' column heading ("项目").
    pub category: String,
    pub series: Vec<String>,
    pub rows: Vec<ChartRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChartRow {
    pub label: String,
    /// One value per series, in hundredths.
    pub values: Vec<i64>,
}

impl Chart {
    /// The chart as a table: its heading row, then a row per category with
    /// the values written as [`chart_value`] writes them.
    pub fn table(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let mut headers = vec![self.category.clone()];
        headers.extend(self.series.iter().cloned());
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let mut cells = vec![r.label.clone()];
                cells.extend(r.values.iter().map(|v| chart_value(*v)));
                cells
            })
            .collect();
        (headers, rows)
    }

    /// The largest value drawn (at least 1), the bars' full length.
    pub fn largest(&self) -> i64 {
        self.rows
            .iter()
            .flat_map(|r| r.values.iter().copied())
            .max()
            .unwrap_or(0)
            .max(1)
    }
}

/// Hundredths as written in a chart's table: "13", "13.5", "13.25".
pub fn chart_value(hundredths: i64) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let a = hundredths.unsigned_abs();
    let (whole, rest) = (a / 100, a % 100);
    match rest {
        0 => format!("{sign}{whole}"),
        r if r % 10 == 0 => format!("{sign}{whole}.{}", r / 10),
        r => format!("{sign}{whole}.{r:02}"),
    }
}

/// The largest value a chart's cell may hold (hundredths): far beyond any
/// amount, and far from overflowing.
const CHART_VALUE_MAX: i64 = 1_000_000_000_000_000;

/// A chart cell as typed: 0 or more, with at most two decimals ("16",
/// "13.5", "0.25"); `None` for anything else.
fn parse_chart_value(text: &str) -> Option<i64> {
    let text = text.trim();
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || (text.contains('.') && !digits(fraction)) || fraction.len() > 2 {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    let value = whole.checked_mul(100)?.checked_add(fraction)?;
    (value <= CHART_VALUE_MAX).then_some(value)
}

/// The drafted summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub title: String,
    pub blocks: Vec<Block>,
}

impl Summary {
    /// The whole text, one block per line, tables as tab-separated rows: what
    /// a test or a search index reads.
    pub fn plain_text(&self) -> String {
        let mut out = vec![self.title.clone()];
        for b in &self.blocks {
            match b {
                Block::Heading { text, .. } | Block::Paragraph { text } => out.push(text.clone()),
                Block::Table { headers, rows } => {
                    out.push(headers.join("\t"));
                    out.extend(rows.iter().map(|r| r.join("\t")));
                }
                Block::Chart(chart) => {
                    let (headers, rows) = chart.table();
                    out.push(chart.caption.clone());
                    out.push(headers.join("\t"));
                    out.extend(rows.iter().map(|r| r.join("\t")));
                }
            }
        }
        out.join("\n")
    }
}

/// A section being written: its heading and its blocks; empty sections are
/// dropped by [`draft`].
struct Section {
    heading: String,
    blocks: Vec<Block>,
}

impl Section {
    fn new(heading: String) -> Self {
        Self {
            heading,
            blocks: Vec::new(),
        }
    }

    /// A paragraph, without the space an English sentence joiner leaves at
    /// its end (a saved text is read back trimmed).
    fn paragraph(&mut self, text: String) {
        let text = text.trim_end();
        if !text.is_empty() {
            self.blocks.push(Block::Paragraph {
                text: text.to_string(),
            });
        }
    }

    fn sub(&mut self, tr: Translate<'_>, index: u32, text: String) {
        self.blocks.push(Block::Heading {
            level: 2,
            text: tr(
                "report.heading2",
                &[("n", ordinal(tr, index)), ("text", text)],
            ),
        });
    }
}

/// `key` with `n`, or nothing when `n` is zero: the clauses a sentence
/// joins with "、" leave out what did not happen.
fn clause(tr: Translate<'_>, key: &str, n: i64) -> Option<String> {
    (n > 0).then(|| tr(key, &[("n", n.to_string())]))
}

fn join_clauses(tr: Translate<'_>, parts: Vec<Option<String>>) -> String {
    let parts: Vec<String> = parts.into_iter().flatten().collect();
    parts.join(&tr("report.list_joiner", &[]))
}

/// The `n`th ordinal word from the catalogue's list ("一" in Chinese, "1" in
/// English), the figure itself past the list's end.
fn ordinal(tr: Translate<'_>, n: u32) -> String {
    let list = tr("report.ordinals", &[]);
    list.split(',')
        .nth(n.saturating_sub(1) as usize)
        .map(|w| w.trim().to_string())
        .filter(|w| !w.is_empty())
        .unwrap_or_else(|| n.to_string())
}

/// "一是……。二是……。": the seed's way of listing points in one paragraph.
fn ordinal_points(tr: Translate<'_>, points: &[String]) -> String {
    points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            tr(
                "report.point",
                &[("n", ordinal(tr, i as u32 + 1)), ("text", p.clone())],
            )
        })
        .collect::<String>()
}

/// Draft the summary from its figures.
pub fn draft(f: &SummaryFigures, tr: Translate<'_>) -> Summary {
    let period = f.period.label(tr);
    let title = tr(
        "report.title",
        &[
            ("committee", f.committee.clone()),
            ("period", period.clone()),
        ],
    );
    let mut blocks = vec![Block::Paragraph {
        text: opening(f, &period, tr),
    }];
    let sections = [
        projects_section(f, tr),
        reception_section(f, tr),
        activities_section(f, tr),
        proposals_info_section(f, tr),
        plan_section(f, tr),
        next_plan_section(f, tr),
    ];
    push_sections(&mut blocks, sections, tr);
    Summary { title, blocks }
}

/// The sections that have something to say, numbered in order (一、二、…).
fn push_sections(
    blocks: &mut Vec<Block>,
    sections: impl IntoIterator<Item = Option<Section>>,
    tr: Translate<'_>,
) {
    let mut number = 0;
    for section in sections.into_iter().flatten() {
        if section.blocks.is_empty() {
            continue;
        }
        number += 1;
        blocks.push(Block::Heading {
            level: 1,
            text: tr(
                "report.heading1",
                &[("n", ordinal(tr, number)), ("text", section.heading)],
            ),
        });
        blocks.extend(section.blocks);
    }
}

/// What a committee's plan document states: its items, and how each rule
/// stood on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanDocument {
    pub committee: String,
    pub year: i32,
    /// The plan's items, in order.
    pub items: Vec<String>,
    /// Each measurable rule's checks as of `as_of`.
    pub lines: Vec<PlanLine>,
    pub as_of: NaiveDate,
}

/// The year's work plan (工作计划) as a document: the items numbered, then
/// how its rules stood on the day it was written (left out when none was
/// due yet).
pub fn plan_document(p: &PlanDocument, tr: Translate<'_>) -> Summary {
    let title = tr(
        "report.plan_doc.title",
        &[
            ("committee", p.committee.clone()),
            ("year", p.year.to_string()),
        ],
    );
    let mut tasks = Section::new(tr("report.plan_doc.tasks", &[]));
    for (i, item) in p.items.iter().enumerate() {
        tasks.paragraph(tr(
            "report.next_plan.item",
            &[("n", (i + 1).to_string()), ("text", item.clone())],
        ));
    }
    let standing = plan_table(&p.lines, tr).map(|(summary, table)| {
        let mut s = Section::new(tr(
            "report.plan_doc.standing",
            &[("date", date_words(p.as_of, tr))],
        ));
        s.paragraph(summary);
        s.blocks.push(table);
        s
    });
    let mut blocks = Vec::new();
    push_sections(&mut blocks, [Some(tasks), standing], tr);
    Summary { title, blocks }
}

fn opening(f: &SummaryFigures, period: &str, tr: Translate<'_>) -> String {
    let mut text = match &f.parent {
        Some(parent) => tr(
            "report.opening_led",
            &[
                ("period", period.to_string()),
                ("committee", f.committee.clone()),
                ("parent", parent.clone()),
            ],
        ),
        None => tr(
            "report.opening",
            &[
                ("period", period.to_string()),
                ("committee", f.committee.clone()),
            ],
        ),
    };
    if f.members > 0 {
        let key = match (f.groups > 0, f.communities > 0) {
            (true, true) => "report.members_groups_communities",
            (true, false) => "report.members_groups",
            _ => "report.members",
        };
        text.push_str(&tr(
            key,
            &[
                ("members", f.members.to_string()),
                ("groups", f.groups.to_string()),
                ("communities", f.communities.to_string()),
            ],
        ));
    }
    text.push_str(&tr(
        "report.opening_close",
        &[("period", period.to_string())],
    ));
    text
}

fn projects_section(f: &SummaryFigures, tr: Translate<'_>) -> Option<Section> {
    let p = &f.projects;
    if p.key + p.self_set == 0 {
        return None;
    }
    let mut s = Section::new(tr("report.section.projects", &[]));
    let year = f.period.to.year().to_string();
    let kinds = join_clauses(
        tr,
        vec![
            clause(tr, "report.projects.key", p.key),
            clause(tr, "report.projects.self_set", p.self_set),
        ],
    );
    let mut counts = tr(
        "report.projects.counts",
        &[("year", year.clone()), ("kinds", kinds)],
    );
    let statuses: Vec<Option<String>> = p
        .by_status
        .iter()
        .map(|(key, n)| {
            (*n > 0).then(|| {
                tr(
                    "report.projects.status",
                    &[("status", tr(key, &[])), ("n", n.to_string())],
                )
            })
        })
        .collect();
    let statuses = join_clauses(tr, statuses);
    if !statuses.is_empty() {
        counts.push_str(&tr("report.projects.of_which", &[("statuses", statuses)]));
    }
    s.paragraph(counts);

    let (with_figures, others): (Vec<&ProjectLine>, Vec<&ProjectLine>) =
        p.lines.iter().partition(|l| l.has_figures());
    let mut sub = 0;
    if !with_figures.is_empty() {
        sub += 1;
        s.sub(tr, sub, tr("report.projects.major", &[]));
        let points: Vec<String> = with_figures
            .iter()
            .map(|l| project_sentence(l, tr))
            .collect();
        s.paragraph(ordinal_points(tr, &points));
        if let Some(chart) = investment_chart(&with_figures, tr) {
            s.blocks.push(Block::Chart(chart));
        }
    }
    if !others.is_empty() {
        sub += 1;
        s.sub(tr, sub, tr("report.projects.others_heading", &[]));
        let names: Vec<String> = others.iter().map(|l| l.name.clone()).collect();
        s.paragraph(tr(
            "report.projects.others",
            &[("names", names.join(&tr("report.list_joiner", &[])))],
        ));
    }
    Some(s)
}

/// How much of the year's investment target each project has reached, in
/// whole percent (as the sentences above state it), for the projects with
/// both figures and a target above zero: one scale for projects of any
/// size, where amounts side by side would hide the small ones.
fn investment_chart(lines: &[&ProjectLine], tr: Translate<'_>) -> Option<Chart> {
    let rows: Vec<ChartRow> = lines
        .iter()
        .filter_map(|l| {
            let pct = percent_of(l.invested?, l.target?)?;
            Some(ChartRow {
                label: l.name.clone(),
                values: vec![pct.checked_mul(100)?],
            })
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    Some(Chart {
        caption: tr("report.projects.chart_caption", &[]),
        category: tr("report.projects.chart_category", &[]),
        series: vec![tr("report.projects.chart_reached", &[])],
        rows,
    })
}

/// "某广场项目，该项目总投资30亿元，截至2020年12月31日，已完成投资6亿元，
/// 超额完成全年目标5亿元的20%": the figures as of the latest update, dated.
fn project_sentence(l: &ProjectLine, tr: Translate<'_>) -> String {
    let mut parts = vec![tr("report.projects.name", &[("name", l.name.clone())])];
    if let Some(total) = l.total_investment {
        parts.push(tr(
            "report.projects.total",
            &[("amount", format_money(total))],
        ));
    }
    if let Some(on) = l.as_of {
        parts.push(tr("report.projects.as_of", &[("date", date_words(on, tr))]));
    }
    if let Some(invested) = l.invested {
        parts.push(tr(
            "report.projects.invested",
            &[("amount", format_money(invested))],
        ));
        if let Some(target) = l.target {
            let target_words = format_money(target);
            match against_target(invested, target) {
                Some(TargetProgress::Exceeded { pct }) => parts.push(tr(
                    "report.projects.exceeded",
                    &[("target", target_words), ("pct", pct.to_string())],
                )),
                Some(TargetProgress::Reached) => {
                    parts.push(tr("report.projects.reached", &[("target", target_words)]))
                }
                Some(TargetProgress::Short { pct }) => parts.push(tr(
                    "report.projects.short",
                    &[("target", target_words), ("pct", pct.to_string())],
                )),
                None => {}
            }
        }
    }
    let share = |n: i64| {
        l.households_total
            .and_then(|t| approx_percent(n, t))
            .map(|a| {
                let (key, params) = a.message();
                tr(key, &params)
            })
    };
    if let Some(c) = l.compensated {
        let key = if share(c).is_some() {
            "report.projects.compensated_share"
        } else {
            "report.projects.compensated"
        };
        parts.push(tr(
            key,
            &[
                ("n", c.to_string()),
                ("share", share(c).unwrap_or_default()),
            ],
        ));
    }
    if let Some(d) = l.demolished {
        let key = if share(d).is_some() {
            "report.projects.demolished_share"
        } else {
            "report.projects.demolished"
        };
        parts.push(tr(
            key,
            &[
                ("n", d.to_string()),
                ("share", share(d).unwrap_or_default()),
            ],
        ));
    }
    parts.join(&tr("report.comma", &[])) + &tr("report.full_stop", &[])
}

fn reception_section(f: &SummaryFigures, tr: Translate<'_>) -> Option<Section> {
    let r = &f.reception;
    if r.days == 0 && r.visitors == 0 && r.cases == 0 {
        return None;
    }
    let mut s = Section::new(tr("report.section.reception", &[]));
    let mut points = Vec::new();
    if let Some(day) = r.day_of_month {
        points.push(tr("report.reception.schedule", &[("day", day.to_string())]));
    }
    let received = join_clauses(
        tr,
        vec![
            clause(tr, "report.reception.visitors", r.visitors),
            clause(tr, "report.reception.cases", r.cases),
        ],
    );
    let mut held = tr(
        "report.reception.held",
        &[("period", f.period.label(tr)), ("days", r.days.to_string())],
    );
    if !received.is_empty() {
        held.push_str(&tr("report.reception.received", &[("what", received)]));
    }
    let handled = join_clauses(
        tr,
        vec![
            clause(tr, "report.reception.forwarded", r.forwarded),
            clause(tr, "report.reception.resolved", r.resolved),
        ],
    );
    if !handled.is_empty() {
        held.push_str(&tr("report.reception.handled", &[("what", handled)]));
    }
    points.push(held + &tr("report.full_stop", &[]));
    if f.members > 0 && f.groups > 0 {
        let key = if f.communities > 0 {
            "report.reception.groups_communities"
        } else {
            "report.reception.groups"
        };
        points.push(tr(
            key,
            &[
                ("members", f.members.to_string()),
                ("groups", f.groups.to_string()),
                ("communities", f.communities.to_string()),
            ],
        ));
    }
    s.paragraph(ordinal_points(tr, &points));
    Some(s)
}

fn activities_section(f: &SummaryFigures, tr: Translate<'_>) -> Option<Section> {
    let a = &f.activities;
    let held: i64 = a.lines.iter().map(|l| l.held).sum();
    if held == 0 && f.research_reports == 0 {
        return None;
    }
    let mut s = Section::new(tr("report.section.activities", &[]));
    if held > 0 {
        let attendances: i64 = a.lines.iter().map(|l| l.attendances).sum();
        let kinds: Vec<Option<String>> = a
            .lines
            .iter()
            .map(|l| {
                (l.held > 0).then(|| {
                    tr(
                        "report.activities.kind",
                        &[("kind", tr(&l.kind_key, &[])), ("n", l.held.to_string())],
                    )
                })
            })
            .collect();
        let mut text = tr("report.activities.held", &[("n", held.to_string())]);
        let kinds = join_clauses(tr, kinds);
        if !kinds.is_empty() {
            text.push_str(&tr("report.activities.of_which", &[("kinds", kinds)]));
        }
        if attendances > 0 {
            text.push_str(&tr(
                "report.activities.attendances",
                &[("n", attendances.to_string())],
            ));
        }
        s.paragraph(text + &tr("report.full_stop", &[]));
        if !a.notable.is_empty() {
            let names: Vec<String> = a
                .notable
                .iter()
                .map(|(on, title)| {
                    tr(
                        "report.activities.notable_item",
                        &[("date", date_words(*on, tr)), ("title", title.clone())],
                    )
                })
                .collect();
            s.paragraph(tr(
                "report.activities.notable",
                &[("items", names.join(&tr("report.semicolon", &[])))],
            ));
        }
    }
    if f.research_reports > 0 {
        s.paragraph(tr(
            "report.activities.research_reports",
            &[("n", f.research_reports.to_string())],
        ));
    }
    Some(s)
}

fn proposals_info_section(f: &SummaryFigures, tr: Translate<'_>) -> Option<Section> {
    let (p, i) = (&f.proposals, &f.info);
    if p.submitted == 0 && i.submitted == 0 {
        return None;
    }
    let mut s = Section::new(tr("report.section.proposals_info", &[]));
    if p.submitted > 0 {
        let outcomes = join_clauses(
            tr,
            vec![
                clause(tr, "report.proposals.accepted", p.accepted),
                clause(tr, "report.proposals.merged", p.merged),
                clause(tr, "report.proposals.not_accepted", p.not_accepted),
                clause(tr, "report.proposals.answered", p.answered),
                clause(tr, "report.proposals.key", p.key),
            ],
        );
        let mut text = tr(
            "report.proposals.submitted",
            &[("n", p.submitted.to_string())],
        );
        if !outcomes.is_empty() {
            text.push_str(&tr("report.proposals.of_which", &[("what", outcomes)]));
        }
        s.paragraph(text + &tr("report.full_stop", &[]));
    }
    if i.submitted > 0 {
        let adopted: Vec<Option<String>> = i
            .adopted
            .iter()
            .map(|(level, n)| {
                (*n > 0).then(|| {
                    tr(
                        "report.info.adopted_level",
                        &[("level", tr(level, &[])), ("n", n.to_string())],
                    )
                })
            })
            .collect();
        let adopted = join_clauses(tr, adopted);
        let mut outcomes = vec![clause(tr, "report.info.forwarded", i.forwarded)];
        if i.adopted_total() > 0 {
            outcomes.push(Some(tr(
                "report.info.adopted",
                &[("n", i.adopted_total().to_string()), ("levels", adopted)],
            )));
        }
        outcomes.push(clause(tr, "report.info.instructed", i.instructed));
        let outcomes = join_clauses(tr, outcomes);
        let mut text = tr("report.info.submitted", &[("n", i.submitted.to_string())]);
        if !outcomes.is_empty() {
            text.push_str(&tr("report.info.of_which", &[("what", outcomes)]));
        }
        s.paragraph(text + &tr("report.full_stop", &[]));
    }
    Some(s)
}

fn plan_section(f: &SummaryFigures, tr: Translate<'_>) -> Option<Section> {
    let (summary, table) = plan_table(&f.plan, tr)?;
    let mut s = Section::new(tr("report.section.plan", &[]));
    s.paragraph(summary);
    s.blocks.push(table);
    Some(s)
}

/// How the rules that were due were kept: a sentence with the counts, and a
/// table with a line per rule. None when no rule was due.
fn plan_table(lines: &[PlanLine], tr: Translate<'_>) -> Option<(String, Block)> {
    let due: Vec<&PlanLine> = lines.iter().filter(|l| l.due > 0).collect();
    if due.is_empty() {
        return None;
    }
    let kept = due.iter().filter(|l| l.met == l.due).count();
    let missed = due.iter().filter(|l| l.missed > 0).count();
    let mut summary = tr(
        "report.plan.kept",
        &[("rules", due.len().to_string()), ("kept", kept.to_string())],
    );
    if missed > 0 {
        summary.push_str(&tr("report.plan.missed", &[("n", missed.to_string())]));
    }
    summary.push_str(&tr("report.full_stop", &[]));
    let mut rows = Vec::new();
    for l in &due {
        let result = if l.met == l.due {
            tr("report.plan.result_met", &[])
        } else if l.per_member {
            let mut text = tr(
                "report.plan.result_members",
                &[("due", l.due.to_string()), ("met", l.met.to_string())],
            );
            let open = l.due - l.met - l.missed;
            for (key, n) in [
                ("report.plan.result_members_missed", l.missed),
                ("report.plan.result_members_open", open),
            ] {
                if n > 0 {
                    text.push_str(&tr(key, &[("n", n.to_string())]));
                }
            }
            text
        } else if l.missed > 0 {
            tr("report.plan.result_missed", &[])
        } else {
            tr("report.plan.result_open", &[])
        };
        rows.push(vec![l.text.clone(), result]);
    }
    let table = Block::Table {
        headers: vec![
            tr("report.plan.col_rule", &[]),
            tr("report.plan.col_result", &[]),
        ],
        rows,
    };
    Some((summary, table))
}

fn next_plan_section(f: &SummaryFigures, tr: Translate<'_>) -> Option<Section> {
    if f.next_plan.is_empty() {
        return None;
    }
    let next = f.period.next()?;
    let mut s = Section::new(tr(
        "report.section.next_plan",
        &[("period", next.label(tr))],
    ));
    for (i, item) in f.next_plan.iter().enumerate() {
        s.paragraph(tr(
            "report.next_plan.item",
            &[("n", (i + 1).to_string()), ("text", item.clone())],
        ));
    }
    Some(s)
}

// ---------------------------------------------------------------------------
// Markdown

/// The summary as Markdown: the title as `#`, level-1 headings `##`,
/// level-2 `###`, tables as pipe tables (cells' `|` escaped).
pub fn to_markdown(s: &Summary) -> String {
    let mut out = format!("# {}\n", s.title);
    for b in &s.blocks {
        out.push('\n');
        match b {
            Block::Heading { level, text } => {
                out.push_str(&"#".repeat(usize::from(*level) + 1));
                out.push(' ');
                out.push_str(text);
                out.push('\n');
            }
            Block::Paragraph { text } => {
                out.push_str(text);
                out.push('\n');
            }
            Block::Table { headers, rows } => pipe_table(&mut out, headers, rows),
            Block::Chart(chart) => {
                // A fenced block: the caption on its opening line, the
                // figures as a pipe table, so an editor can change them.
                out.push_str(&format!(
                    "{CHART_FENCE} {}\n",
                    chart.caption.replace('\n', " ")
                ));
                let (headers, rows) = chart.table();
                pipe_table(&mut out, &headers, &rows);
                out.push_str("```\n");
            }
        }
    }
    out
}

/// The line that opens a chart in Markdown (its caption follows).
const CHART_FENCE: &str = "```chart";

fn pipe_table(out: &mut String, headers: &[String], rows: &[Vec<String>]) {
    let cell = |t: &str| t.replace('|', "\\|").replace('\n', " ");
    let line = |cells: &[String]| {
        format!(
            "| {} |\n",
            cells
                .iter()
                .map(|c| cell(c))
                .collect::<Vec<_>>()
                .join(" | ")
        )
    };
    out.push_str(&line(headers));
    out.push_str(&format!("|{}\n", " --- |".repeat(headers.len())));
    for r in rows {
        out.push_str(&line(r));
    }
}

/// A member's year of duty, as their registration form (履职情况登记表)
/// states it: who they are, every record of the year, and their points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DutyRecord {
    pub name: String,
    pub year: i32,
    /// Who they are: label and value, in the form's order.
    pub facts: Vec<(String, String)>,
    /// The year's records: day, kind in words, what.
    pub entries: Vec<(NaiveDate, String, String)>,
    /// The year's score, when the committee scores its members.
    pub points: Option<DutyPoints>,
}

/// A member's points of a year, as the form states them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DutyPoints {
    pub committee: String,
    pub score: String,
    pub grade: String,
    /// Kind in words, points counted, points the cap took off.
    pub by_kind: Vec<(String, String, String)>,
    /// The deductions that count: day, points taken off, reason.
    pub deductions: Vec<(NaiveDate, String, String)>,
}

/// The member's registration form for the year: their facts in a table, the
/// records of the year counted by kind and listed by day (left out when
/// there are none), and how their points were made.
pub fn duty_record(d: &DutyRecord, tr: Translate<'_>) -> Summary {
    let title = tr(
        "report.duty.title",
        &[("name", d.name.clone()), ("year", d.year.to_string())],
    );
    let mut basic = Section::new(tr("report.duty.basic", &[]));
    basic.blocks.push(Block::Table {
        headers: vec![
            tr("report.duty.col_item", &[]),
            tr("report.duty.col_value", &[]),
        ],
        rows: d
            .facts
            .iter()
            .map(|(label, value)| vec![label.clone(), value.clone()])
            .collect(),
    });
    let records = (!d.entries.is_empty()).then(|| {
        let mut kinds: Vec<(&str, i64)> = Vec::new();
        for (_, kind, _) in &d.entries {
            match kinds.iter_mut().find(|(k, _)| *k == kind.as_str()) {
                Some((_, n)) => *n += 1,
                None => kinds.push((kind, 1)),
            }
        }
        let counted: Vec<String> = kinds
            .iter()
            .map(|(kind, n)| {
                tr(
                    "report.duty.kind_count",
                    &[("kind", (*kind).to_string()), ("n", n.to_string())],
                )
            })
            .collect();
        let mut s = Section::new(tr("report.duty.records", &[]));
        s.paragraph(
            tr(
                "report.duty.records_summary",
                &[
                    ("year", d.year.to_string()),
                    ("n", d.entries.len().to_string()),
                    ("kinds", counted.join(&tr("report.list_joiner", &[]))),
                ],
            ) + &tr("report.full_stop", &[]),
        );
        s.blocks.push(Block::Table {
            headers: vec![
                tr("report.duty.col_date", &[]),
                tr("report.duty.col_kind", &[]),
                tr("report.duty.col_what", &[]),
            ],
            rows: d
                .entries
                .iter()
                .map(|(on, kind, what)| vec![on.to_string(), kind.clone(), what.clone()])
                .collect(),
        });
        s
    });
    let points = d.points.as_ref().map(|p| {
        let mut s = Section::new(tr("report.duty.points", &[]));
        s.paragraph(
            tr(
                "report.duty.points_line",
                &[
                    ("committee", p.committee.clone()),
                    ("year", d.year.to_string()),
                    ("score", p.score.clone()),
                    ("grade", p.grade.clone()),
                ],
            ) + &tr("report.full_stop", &[]),
        );
        if !p.by_kind.is_empty() {
            s.blocks.push(Block::Table {
                headers: vec![
                    tr("report.duty.col_kind", &[]),
                    tr("report.duty.col_counted", &[]),
                    tr("report.duty.col_capped", &[]),
                ],
                rows: p
                    .by_kind
                    .iter()
                    .map(|(k, c, x)| vec![k.clone(), c.clone(), x.clone()])
                    .collect(),
            });
        }
        if !p.deductions.is_empty() {
            s.paragraph(tr("report.duty.deductions", &[]) + &tr("report.full_stop", &[]));
            s.blocks.push(Block::Table {
                headers: vec![
                    tr("report.duty.col_date", &[]),
                    tr("report.duty.col_deducted", &[]),
                    tr("report.duty.col_reason", &[]),
                ],
                rows: p
                    .deductions
                    .iter()
                    .map(|(on, points, reason)| {
                        vec![
                            on.format("%Y-%m-%d").to_string(),
                            points.clone(),
                            reason.clone(),
                        ]
                    })
                    .collect(),
            });
        }
        s
    });
    let mut blocks = Vec::new();
    push_sections(&mut blocks, [Some(basic), records, points], tr);
    Summary { title, blocks }
}

/// One proposal as a session's compilation (提案汇编) prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompiledProposal {
    pub number: i64,
    pub title: String,
    /// The lead member, or the group or committee that submitted it.
    pub author: String,
    /// Co-signers who accepted (附议).
    pub cosigners: Vec<String>,
    /// The category in words.
    pub category: String,
    pub is_key: bool,
    pub body: String,
    /// Lead department first, then the co-handlers.
    pub lead_handler: Option<String>,
    pub co_handlers: Vec<String>,
    /// The answer: its day, class in words, and text.
    pub answer: Option<(NaiveDate, String, String)>,
}

/// A committee's session of proposals, compiled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compilation {
    pub committee: String,
    pub session: i64,
    pub proposals: Vec<CompiledProposal>,
}

/// Paragraphs of a text typed with line breaks (blank lines dropped).
fn text_paragraphs(text: &str) -> impl Iterator<Item = Block> + '_ {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| Block::Paragraph {
            text: l.to_string(),
        })
}

/// The session's accepted proposals in number order, each with its authors,
/// text, handlers and answer; an opening says how many, how many are key and
/// how many answered (a zero left out).
pub fn compilation(c: &Compilation, tr: Translate<'_>) -> Summary {
    let title = tr(
        "report.compilation.title",
        &[
            ("committee", c.committee.clone()),
            ("session", c.session.to_string()),
        ],
    );
    let key = c.proposals.iter().filter(|p| p.is_key).count();
    let answered = c.proposals.iter().filter(|p| p.answer.is_some()).count();
    let mut opening = tr(
        "report.compilation.opening",
        &[
            ("committee", c.committee.clone()),
            ("session", c.session.to_string()),
            ("n", c.proposals.len().to_string()),
        ],
    );
    for (k, n) in [
        ("report.compilation.key", key),
        ("report.compilation.answered", answered),
    ] {
        if n > 0 && !c.proposals.is_empty() {
            opening.push_str(&tr(k, &[("n", n.to_string())]));
        }
    }
    opening.push_str(&tr("report.full_stop", &[]));
    let mut blocks = vec![Block::Paragraph { text: opening }];
    for p in &c.proposals {
        let mut heading = tr(
            "report.compilation.heading",
            &[("number", p.number.to_string()), ("title", p.title.clone())],
        );
        if p.is_key {
            heading.push_str(&tr("report.compilation.key_mark", &[]));
        }
        blocks.push(Block::Heading {
            level: 1,
            text: heading,
        });
        let mut by = tr("report.compilation.author", &[("name", p.author.clone())]);
        if !p.cosigners.is_empty() {
            by.push_str(&tr(
                "report.compilation.cosigners",
                &[("names", p.cosigners.join(&tr("report.list_joiner", &[])))],
            ));
        }
        blocks.push(Block::Paragraph { text: by });
        blocks.push(Block::Paragraph {
            text: tr(
                "report.compilation.category",
                &[("category", p.category.clone())],
            ),
        });
        blocks.extend(text_paragraphs(&p.body));
        if let Some(lead) = &p.lead_handler {
            let mut handled = tr("report.compilation.lead", &[("name", lead.clone())]);
            if !p.co_handlers.is_empty() {
                handled.push_str(&tr(
                    "report.compilation.co",
                    &[("names", p.co_handlers.join(&tr("report.list_joiner", &[])))],
                ));
            }
            blocks.push(Block::Paragraph { text: handled });
        }
        match &p.answer {
            Some((on, class, text)) => {
                blocks.push(Block::Heading {
                    level: 2,
                    text: tr(
                        "report.compilation.answer",
                        &[("class", class.clone()), ("date", date_words(*on, tr))],
                    ),
                });
                blocks.extend(text_paragraphs(text));
            }
            None => blocks.push(Block::Paragraph {
                text: tr("report.compilation.no_answer", &[]),
            }),
        }
    }
    Summary { title, blocks }
}

/// The longest summary text a person may save, in characters (the seed's
/// half-year summary is about 3,000; a year's with tables stays far below).
pub const SUMMARY_MAX_CHARS: usize = 100_000;

/// Whether a line break between `a` and `b` joins Chinese text (no space)
/// or words (a space), when a paragraph was typed over several lines.
fn joins_without_space(a: char, b: char) -> bool {
    !(a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric())
}

/// The cells of a pipe-table row: `| a | b\|c |` is `["a", "b|c"]`.
fn table_cells(line: &str) -> Vec<String> {
    let inner = line.trim();
    let inner = inner.strip_prefix('|').unwrap_or(inner);
    let inner = match inner.strip_suffix('|') {
        Some(rest) if !rest.ends_with('\\') => rest,
        _ => inner,
    };
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell).trim().to_string()),
            _ => cell.push(c),
        }
    }
    cells.push(cell.trim().to_string());
    cells
}

/// A table's separator row: `| --- | :---: |`.
fn is_separator_row(line: &str) -> bool {
    let cells = table_cells(line);
    !cells.is_empty()
        && cells.iter().all(|c| {
            let c = c.trim_matches(':');
            !c.is_empty() && c.chars().all(|ch| ch == '-')
        })
}

/// A chart fenced at line index `open` (its caption given): a pipe table of
/// a category column and one column per series, then the closing fence.
/// Returns the chart and the index of the line after the fence.
fn parse_chart(
    field: &'static str,
    lines: &[&str],
    open: usize,
    caption: &str,
) -> Result<(Chart, usize), FieldError> {
    let at = |e: FieldError, index: usize| e.with("line", index + 1);
    if caption.is_empty() {
        return Err(at(FieldError::new(field, "summary_chart_caption"), open));
    }
    let header_at = open + 1;
    let headers = match (lines.get(header_at), lines.get(header_at + 1)) {
        (Some(h), Some(sep)) if h.trim().starts_with('|') && is_separator_row(sep) => {
            table_cells(h)
        }
        _ => return Err(at(FieldError::new(field, "summary_chart_table"), header_at)),
    };
    if headers.len() < 2 {
        return Err(at(FieldError::new(field, "summary_chart_table"), header_at));
    }
    let mut rows = Vec::new();
    let mut i = header_at + 2;
    loop {
        let Some(line) = lines.get(i).map(|l| l.trim()) else {
            return Err(at(FieldError::new(field, "summary_chart_unclosed"), open));
        };
        if line == "```" {
            break;
        }
        let cells = table_cells(line);
        if !line.starts_with('|') || cells.len() != headers.len() {
            return Err(
                at(FieldError::new(field, "summary_chart_row"), i).with("count", headers.len())
            );
        }
        let mut values = Vec::with_capacity(cells.len() - 1);
        for (cell, header) in cells.iter().zip(&headers).skip(1) {
            match parse_chart_value(cell) {
                Some(v) => values.push(v),
                None => {
                    return Err(at(FieldError::new(field, "summary_chart_value"), i)
                        .with("column", header.clone())
                        .with("value", cell.clone()))
                }
            }
        }
        rows.push(ChartRow {
            label: cells[0].clone(),
            values,
        });
        i += 1;
    }
    if rows.is_empty() {
        return Err(at(FieldError::new(field, "summary_chart_empty"), open));
    }
    let chart = Chart {
        caption: caption.to_string(),
        category: headers[0].clone(),
        series: headers[1..].to_vec(),
        rows,
    };
    Ok((chart, i + 1))
}

/// Read back a summary a person edited as Markdown (the shape
/// [`to_markdown`] writes): the first `#` line is the title, `##` a level-1
/// heading, `###` (or deeper) a level-2 heading, a run of `|` lines with a
/// separator row a table, and the other lines paragraphs, a blank line
/// between two. Nothing typed is dropped: a table whose row has more cells
/// than its header, a second title, or text before the title is refused with
/// the line it is on.
pub fn parse_markdown(field: &'static str, input: &str) -> Result<Summary, FieldError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    if text.chars().count() > SUMMARY_MAX_CHARS {
        return Err(FieldError::new(field, "too_long").with("max", SUMMARY_MAX_CHARS));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(FieldError::new(field, "control_chars"));
    }
    let lines: Vec<&str> = input.lines().collect();
    let mut title: Option<String> = None;
    let mut blocks = Vec::new();
    let mut paragraph = String::new();
    let flush = |paragraph: &mut String, blocks: &mut Vec<Block>| {
        if !paragraph.is_empty() {
            blocks.push(Block::Paragraph {
                text: std::mem::take(paragraph),
            });
        }
    };
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        let line_no = i + 1;
        if line.is_empty() {
            flush(&mut paragraph, &mut blocks);
            i += 1;
            continue;
        }
        let hashes = line.chars().take_while(|c| *c == '#').count();
        let rest = &line[hashes..];
        if hashes > 0 && (rest.is_empty() || rest.starts_with(' ')) {
            flush(&mut paragraph, &mut blocks);
            let heading = rest.trim().to_string();
            if heading.is_empty() {
                return Err(FieldError::new(field, "summary_heading_empty").with("line", line_no));
            }
            if hashes == 1 {
                if title.is_some() || !blocks.is_empty() {
                    return Err(
                        FieldError::new(field, "summary_second_title").with("line", line_no)
                    );
                }
                title = Some(heading);
            } else {
                blocks.push(Block::Heading {
                    level: if hashes == 2 { 1 } else { 2 },
                    text: heading,
                });
            }
            i += 1;
            continue;
        }
        if let Some(caption) = line.strip_prefix(CHART_FENCE) {
            flush(&mut paragraph, &mut blocks);
            let (chart, next) = parse_chart(field, &lines, i, caption.trim())?;
            blocks.push(Block::Chart(chart));
            i = next;
            continue;
        }
        if line.starts_with('|') && lines.get(i + 1).is_some_and(|l| is_separator_row(l)) {
            flush(&mut paragraph, &mut blocks);
            let headers = table_cells(line);
            let mut rows = Vec::new();
            i += 2;
            while i < lines.len() && lines[i].trim().starts_with('|') {
                let mut cells = table_cells(lines[i]);
                if cells.len() > headers.len() {
                    return Err(FieldError::new(field, "summary_table_cells")
                        .with("line", i + 1)
                        .with("count", headers.len()));
                }
                cells.resize(headers.len(), String::new());
                rows.push(cells);
                i += 1;
            }
            blocks.push(Block::Table { headers, rows });
            continue;
        }
        if title.is_none() {
            return Err(FieldError::new(field, "summary_title_first").with("line", line_no));
        }
        if let (Some(a), Some(b)) = (paragraph.chars().last(), line.chars().next()) {
            if !joins_without_space(a, b) {
                paragraph.push(' ');
            }
        }
        paragraph.push_str(line);
        i += 1;
    }
    flush(&mut paragraph, &mut blocks);
    match title {
        Some(title) => Ok(Summary { title, blocks }),
        None => Err(FieldError::new(field, "summary_title_first").with("line", 1)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// The catalogue, as pages use it; a missing key or an unfilled
    /// placeholder fails the test.
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

    /// A committee's first half-year, with made-up figures of every kind.
    fn example() -> SummaryFigures {
        const YI: i64 = 100_000_000;
        SummaryFigures {
            committee: "示范街道政协工委".into(),
            parent: Some("区政协".into()),
            period: ReportPeriod::half(2011, true).unwrap(),
            members: 12,
            groups: 3,
            communities: 3,
            projects: ProjectFigures {
                key: 5,
                self_set: 2,
                by_status: vec![
                    ("label.project_status.under_construction".into(), 2),
                    ("label.project_status.continuing".into(), 2),
                    ("label.project_status.preparing".into(), 0),
                ],
                lines: vec![
                    ProjectLine {
                        name: "某广场".into(),
                        total_investment: Some(30 * YI),
                        invested: Some(6 * YI),
                        target: Some(5 * YI),
                        households_total: None,
                        compensated: None,
                        demolished: None,
                        as_of: Some(ymd(2020, 12, 31)),
                    },
                    ProjectLine {
                        name: "某村改造".into(),
                        total_investment: None,
                        invested: None,
                        target: None,
                        households_total: Some(200),
                        compensated: Some(151),
                        demolished: Some(121),
                        as_of: Some(ymd(2020, 12, 31)),
                    },
                    ProjectLine {
                        name: "某安置区".into(),
                        total_investment: None,
                        invested: None,
                        target: None,
                        households_total: None,
                        compensated: None,
                        demolished: None,
                        as_of: None,
                    },
                ],
            },
            reception: ReceptionFigures {
                days: 5,
                visitors: 10,
                cases: 3,
                forwarded: 3,
                resolved: 2,
                day_of_month: Some(15),
            },
            activities: ActivityFigures::default(),
            proposals: ProposalFigures::default(),
            info: InfoFigures::default(),
            research_reports: 0,
            plan: vec![],
            next_plan: vec![],
        }
    }

    #[test]
    fn a_half_year_reads_as_such_reports_do() {
        let zh = words("zh-CN");
        let s = draft(&example(), &zh);
        assert_eq!(s.title, "示范街道政协工委2011年上半年工作总结");
        let text = s.plain_text();
        for expected in [
            "2011年上半年，示范街道政协工委在区政协的正确领导下",
            "工委现有政协委员12名，分为3个小组，联系辖区3个社区。",
            "现将2011年上半年工作情况汇报如下：",
            "一、服务大局，推进辖区重点项目建设",
            "2011年，辖区共有重点项目5个、自定项目2个。其中，动工在建项目2个、续建项目2个。",
            "一是某广场项目，该项目总投资30亿元，截至2020年12月31日，已完成投资6亿元，超额完成全年目标5亿元的20%。",
            "二是某村改造项目，截至2020年12月31日，房屋已兑付151宅，约76%，已拆除121宅，约61%。",
            "某安置区等项目都在顺利推进中。",
            "二、强化服务，“委员之家”建设稳步推进",
            "一是把每月15日作为委员集中活动日",
            "二是2011年上半年共举办委员接待日5次，接待群众10人、来访事件3起，其中转交有关部门办理3起、已办结2起。",
            "三是按照就近和方便工作的原则，把12名委员分成3个小组，分别联系辖区3个社区",
        ] {
            assert!(text.contains(expected), "{expected}\n--- in ---\n{text}");
        }
        // Nothing to say about activities, proposals or the plan: no sections.
        assert!(!text.contains("三、"), "{text}");
        assert!(!text.contains('0') || !text.contains("0起"), "{text}");
    }

    #[test]
    fn a_zero_is_left_out_and_sections_renumber() {
        let zh = words("zh-CN");
        let mut f = example();
        f.reception.cases = 0;
        f.reception.forwarded = 0;
        f.reception.resolved = 0;
        f.projects = ProjectFigures::default();
        let text = draft(&f, &zh).plain_text();
        assert!(text.contains("接待群众10人。"), "{text}");
        assert!(!text.contains("0起"), "{text}");
        assert!(!text.contains("重点项目"), "{text}");
        // The reception section is now the first.
        assert!(text.contains("一、强化服务"), "{text}");
        // No visitors either: the clause goes, the days stay.
        f.reception.visitors = 0;
        let text = draft(&f, &zh).plain_text();
        assert!(text.contains("共举办委员接待日5次。"), "{text}");
    }

    #[test]
    fn activities_proposals_info_plan_and_next_plan() {
        let zh = words("zh-CN");
        let mut f = example();
        f.activities = ActivityFigures {
            lines: vec![
                ActivityLine {
                    kind_key: "label.activity_kind.study".into(),
                    held: 2,
                    attendances: 25,
                },
                ActivityLine {
                    kind_key: "label.activity_kind.research".into(),
                    held: 0,
                    attendances: 0,
                },
            ],
            notable: vec![(ymd(2011, 2, 17), "共庆元宵节、亲情暖耄耋".into())],
        };
        f.research_reports = 1;
        f.proposals = ProposalFigures {
            submitted: 3,
            accepted: 2,
            not_accepted: 1,
            ..Default::default()
        };
        f.info = InfoFigures {
            submitted: 9,
            forwarded: 6,
            adopted: vec![("label.adoption_level.district".into(), 2)],
            instructed: 0,
        };
        f.plan = vec![
            PlanLine {
                text: "每位委员全年提交提案不少于1件".into(),
                per_member: true,
                due: 14,
                met: 3,
                missed: 11,
            },
            PlanLine {
                text: "工委每月举办委员接待日不少于1次".into(),
                per_member: false,
                due: 6,
                met: 6,
                missed: 0,
            },
        ];
        f.next_plan = vec!["每位委员至少提交一件有价值的提案".into()];
        let text = draft(&f, &zh).plain_text();
        for expected in [
            "三、多措并举，各项活动开展形式多样",
            "组织委员活动2次，其中",
            "委员参加25人次。",
            "主要活动有：2011年2月17日共庆元宵节、亲情暖耄耋。",
            "委员撰写调研报告1篇。",
            "委员提交提案3件，其中立案2件、不予立案1件。",
            "报送社情民意信息和政协工作信息9条，其中上报6条、被采用2条（",
            "五、对照工作计划，各项指标完成情况",
            "年度工作计划中可计量的指标2项，本期已全部完成的1项，有1项未完成。",
            "每位委员全年提交提案不少于1件\t应完成14人次，已完成3人次，未完成11人次",
            "工委每月举办委员接待日不少于1次\t已完成",
            "六、2011年下半年工作计划",
            "1、每位委员至少提交一件有价值的提案。",
        ] {
            assert!(text.contains(expected), "{expected}\n--- in ---\n{text}");
        }
        assert!(!text.contains("并案"), "zero merged left out: {text}");
    }

    #[test]
    fn ordinals_come_from_the_catalogue() {
        let zh = words("zh-CN");
        let en = words("en");
        assert_eq!(ordinal(&zh, 1), "一");
        assert_eq!(ordinal(&zh, 11), "十一");
        assert_eq!(ordinal(&zh, 20), "二十");
        assert_eq!(ordinal(&zh, 21), "21");
        assert_eq!(ordinal(&en, 3), "3");
    }

    #[test]
    fn english_has_every_word_too() {
        let en = words("en");
        let mut f = example();
        f.next_plan = vec!["x".into()];
        let s = draft(&f, &en);
        assert!(s.title.contains("work summary, the first half of 2011"));
        assert!(
            s.plain_text().contains("6亿元 invested"),
            "{}",
            s.plain_text()
        );
    }

    #[test]
    fn periods_name_themselves_and_follow_on() {
        let zh = words("zh-CN");
        let h1 = ReportPeriod::half(2011, true).unwrap();
        assert_eq!(h1.label(&zh), "2011年上半年");
        assert_eq!(h1.code().as_deref(), Some("2011-H1"));
        assert_eq!(h1.next().unwrap().label(&zh), "2011年下半年");
        let h2 = ReportPeriod::half(2011, false).unwrap();
        assert_eq!(h2.next().unwrap().label(&zh), "2012年上半年");
        let y = ReportPeriod::year(2011).unwrap();
        assert_eq!(y.label(&zh), "2011年");
        assert_eq!(y.next().unwrap().label(&zh), "2012年");
        let r = ReportPeriod::new(ymd(2011, 3, 1), ymd(2011, 5, 31)).unwrap();
        assert_eq!(r.label(&zh), "2011年3月1日至2011年5月31日");
        assert_eq!(r.code(), None);
        assert_eq!(r.next().unwrap().label(&zh), "2012年");
        assert!(ReportPeriod::new(ymd(2011, 5, 31), ymd(2011, 3, 1)).is_none());
        // A leap day is a day like any other.
        let leap = ReportPeriod::new(ymd(2012, 2, 29), ymd(2012, 2, 29)).unwrap();
        assert_eq!(leap.shape(), PeriodShape::Range);
    }

    #[test]
    fn markdown_keeps_structure_and_escapes_cells() {
        let s = Summary {
            title: "T".into(),
            blocks: vec![
                Block::Heading {
                    level: 1,
                    text: "一、A".into(),
                },
                Block::Paragraph { text: "p".into() },
                Block::Table {
                    headers: vec!["a".into(), "b".into()],
                    rows: vec![vec!["x|y".into(), "z".into()]],
                },
            ],
        };
        assert_eq!(
            to_markdown(&s),
            "# T\n\n## 一、A\n\np\n\n| a | b |\n| --- | --- |\n| x\\|y | z |\n"
        );
    }

    #[test]
    fn markdown_reads_back_what_it_wrote() {
        let zh = words("zh-CN");
        let mut f = example();
        f.next_plan = vec!["做好下半年工作".into()];
        let mut s = draft(&f, &zh);
        s.blocks.push(Block::Table {
            headers: vec!["事项".into(), "完成情况".into()],
            rows: vec![
                vec!["报送信息|工作信息".into(), "3/3".into()],
                vec!["接待日".into(), String::new()],
            ],
        });
        s.blocks.push(Block::Paragraph {
            text: "表后一段。".into(),
        });
        assert_eq!(parse_markdown("text", &to_markdown(&s)).unwrap(), s);
        let en = draft(&f, &words("en"));
        assert_eq!(parse_markdown("text", &to_markdown(&en)).unwrap(), en);
    }

    #[test]
    fn edited_markdown_keeps_every_line_typed() {
        let s = parse_markdown(
            "text",
            "# 标题\n\n## 一、甲\n第一行，\n接着写。\nand\nmore\n\n#### （一）乙\n| a | b |\n|:---|---:|\n| 1 |\n| x\\|y | 2 |\n\n#话题不是标题\n",
        )
        .unwrap();
        assert_eq!(s.title, "标题");
        assert_eq!(
            s.blocks,
            vec![
                Block::Heading {
                    level: 1,
                    text: "一、甲".into()
                },
                Block::Paragraph {
                    text: "第一行，接着写。and more".into()
                },
                Block::Heading {
                    level: 2,
                    text: "（一）乙".into()
                },
                Block::Table {
                    headers: vec!["a".into(), "b".into()],
                    rows: vec![
                        vec!["1".into(), String::new()],
                        vec!["x|y".into(), "2".into()]
                    ],
                },
                Block::Paragraph {
                    text: "#话题不是标题".into()
                },
            ]
        );
    }

    #[test]
    fn the_projects_section_charts_target_against_invested() {
        let zh = words("zh-CN");
        let chart_of = |f: &SummaryFigures| {
            draft(f, &zh).blocks.into_iter().find_map(|b| match b {
                Block::Chart(c) => Some(c),
                _ => None,
            })
        };
        let c = chart_of(&example()).unwrap();
        assert_eq!(c.caption, "重点项目全年投资目标完成情况（%）");
        assert_eq!(c.series, vec!["完成全年目标".to_string()]);
        // 某广场: 6亿 invested of 5亿 targeted is 120%, as the sentence says;
        // the village has no money figures.
        assert_eq!(
            c.rows,
            vec![ChartRow {
                label: "某广场".into(),
                values: vec![12_000]
            }]
        );
        assert_eq!(c.table().1[0], vec!["某广场", "120"]);
        // A small project on the same scale, rounded as the text rounds.
        let mut f = example();
        f.projects.lines[1].target = Some(8_000_000);
        f.projects.lines[1].invested = Some(8_500_000);
        let c = chart_of(&f).unwrap();
        assert_eq!(c.rows[1].values, vec![10_600]);
        // No project with both figures, or a target of 0: no chart.
        for line in &mut f.projects.lines {
            line.target = Some(0);
        }
        assert!(chart_of(&f).is_none());
        f.projects.lines.iter_mut().for_each(|l| l.target = None);
        assert!(chart_of(&f).is_none());
    }

    #[test]
    fn a_chart_reads_back_from_markdown_and_its_figures_can_be_edited() {
        let text = "# 标题\n\n```chart 投资（亿元）\n| 项目 | 目标 | 完成 |\n| --- | --- | --- |\n| 甲\\|乙 | 13 | 16.5 |\n| 丙 | 0 | 0.05 |\n```\n后文。\n";
        let s = parse_markdown("text", text).unwrap();
        let chart = Chart {
            caption: "投资（亿元）".into(),
            category: "项目".into(),
            series: vec!["目标".into(), "完成".into()],
            rows: vec![
                ChartRow {
                    label: "甲|乙".into(),
                    values: vec![1300, 1650],
                },
                ChartRow {
                    label: "丙".into(),
                    values: vec![0, 5],
                },
            ],
        };
        assert_eq!(
            s.blocks,
            vec![
                Block::Chart(chart.clone()),
                Block::Paragraph {
                    text: "后文。".into()
                }
            ]
        );
        assert_eq!(parse_markdown("text", &to_markdown(&s)).unwrap(), s);
        assert!(s
            .plain_text()
            .contains("投资（亿元）\n项目\t目标\t完成\n甲|乙\t13\t16.5"));
        for (v, expected) in [
            (0, "0"),
            (5, "0.05"),
            (150, "1.5"),
            (1625, "16.25"),
            (-250, "-2.5"),
        ] {
            assert_eq!(chart_value(v), expected);
        }
    }

    #[test]
    fn a_chart_refuses_what_it_cannot_draw() {
        let code = |text: &str| {
            let e = parse_markdown("text", text).unwrap_err();
            let params: Vec<String> = e.params.iter().map(|(_, v)| v.clone()).collect();
            (e.code, params)
        };
        let head = "# 标题\n```chart 投资\n| 项目 | 目标 |\n| --- | --- |\n";
        assert_eq!(
            code("# 标题\n```chart\n| a | b |\n| --- | --- |\n| x | 1 |\n```"),
            ("summary_chart_caption", vec!["2".into()])
        );
        assert_eq!(
            code("# 标题\n```chart 投资\n| 项目 | 目标 |\n| x | 1 |\n```"),
            ("summary_chart_table", vec!["3".into()])
        );
        assert_eq!(
            code("# 标题\n```chart 投资\n| 项目 |\n| --- |\n```"),
            ("summary_chart_table", vec!["3".into()])
        );
        assert_eq!(
            code(&format!("{head}| 甲 | 1 |\n")),
            ("summary_chart_unclosed", vec!["2".into()])
        );
        assert_eq!(
            code(&format!("{head}```")),
            ("summary_chart_empty", vec!["2".into()])
        );
        assert_eq!(
            code(&format!("{head}| 甲 | 1 | 2 |\n```")),
            ("summary_chart_row", vec!["5".into(), "2".into()])
        );
        assert_eq!(
            code(&format!("{head}甲 1\n```")),
            ("summary_chart_row", vec!["5".into(), "2".into()])
        );
        for bad in [
            "-1",
            "1.234",
            "一",
            "",
            "1e3",
            ".5",
            "5.",
            "99999999999999999999",
        ] {
            assert_eq!(
                code(&format!("{head}| 甲 | {bad} |\n```")),
                (
                    "summary_chart_value",
                    vec!["5".into(), "目标".into(), bad.to_string()]
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn edited_markdown_refuses_what_it_cannot_keep() {
        let code = |text: &str| {
            let e = parse_markdown("text", text).unwrap_err();
            assert_eq!(e.field, "text");
            (e.code, e.params.first().map(|(_, v)| v.clone()))
        };
        assert_eq!(code("  \n "), ("required", None));
        assert_eq!(
            code("正文\n# 标题"),
            ("summary_title_first", Some("1".into()))
        );
        assert_eq!(
            code("# 标题\n\n# 又一个"),
            ("summary_second_title", Some("3".into()))
        );
        assert_eq!(
            code("# 标题\n## \n"),
            ("summary_heading_empty", Some("2".into()))
        );
        assert_eq!(
            code("# 标题\n| a |\n| --- |\n| 1 | 2 |"),
            ("summary_table_cells", Some("4".into()))
        );
        assert_eq!(code("# 标题\n\u{7}"), ("control_chars", None));
        let long = format!("# 标题\n{}", "字".repeat(SUMMARY_MAX_CHARS));
        assert_eq!(code(&long).0, "too_long");
    }

    #[test]
    fn a_plan_document_numbers_its_items_and_says_how_the_rules_stand() {
        let zh = words("zh-CN");
        let mut p = PlanDocument {
            committee: "示范街道政协工委".into(),
            year: 2012,
            items: vec!["甲项工作".into(), "乙项工作".into()],
            lines: vec![PlanLine {
                text: "每位委员全年提交提案不少于1件".into(),
                per_member: true,
                due: 10,
                met: 7,
                missed: 3,
            }],
            as_of: ymd(2012, 12, 31),
        };
        let s = plan_document(&p, &zh);
        assert_eq!(s.title, "示范街道政协工委2012年工作计划");
        let text = s.plain_text();
        assert!(
            text.contains("一、")
                && text.contains("1、甲项工作。")
                && text.contains("2、乙项工作。"),
            "{text}"
        );
        assert!(
            text.contains("二、") && text.contains("2012年12月31日"),
            "{text}"
        );
        assert!(
            text.contains("应完成10人次，已完成7人次，未完成3人次"),
            "{text}"
        );
        // Nothing due yet: the standing is left out, not stated as zero.
        p.lines[0].due = 0;
        let s = plan_document(&p, &zh);
        assert!(!s.plain_text().contains("二、"), "{}", s.plain_text());
        assert!(plan_document(&p, &words("en")).title.contains("2012"));
    }

    #[test]
    fn a_duty_record_counts_the_year_by_kind_and_leaves_out_what_is_empty() {
        let zh = words("zh-CN");
        let mut d = DutyRecord {
            name: "王某".into(),
            year: 2011,
            facts: vec![
                ("姓名".into(), "王某".into()),
                ("界别".into(), "经济界".into()),
            ],
            entries: vec![
                (ymd(2011, 3, 1), "参加活动".into(), "学习会".into()),
                (ymd(2011, 4, 2), "提案".into(), "关于某事的提案".into()),
                (ymd(2011, 5, 3), "参加活动".into(), "视察".into()),
            ],
            points: Some(DutyPoints {
                committee: "示范街道政协工委".into(),
                score: "72.5".into(),
                grade: "良好".into(),
                by_kind: vec![("活动".into(), "12".into(), "0".into())],
                deductions: vec![(
                    NaiveDate::from_ymd_opt(2011, 3, 1).unwrap(),
                    "5".into(),
                    "无故缺席全体会议".into(),
                )],
            }),
        };
        let s = duty_record(&d, &zh);
        assert_eq!(s.title, "王某2011年度履职情况登记表");
        let text = s.plain_text();
        assert!(
            text.contains("2011年共有履职记录3条，其中参加活动2条、提案1条。"),
            "{text}"
        );
        assert!(text.contains("2011-04-02\t提案\t关于某事的提案"), "{text}");
        assert!(text.contains("72.5分") && text.contains("良好"), "{text}");
        assert!(
            text.contains("2011-03-01\t5\t无故缺席全体会议"),
            "a deduction is listed with its day and reason: {text}"
        );
        assert!(text.contains("三、"), "{text}");
        d.entries.clear();
        d.points = None;
        let s = duty_record(&d, &zh);
        assert!(!s.plain_text().contains("二、"), "{}", s.plain_text());
        assert!(duty_record(&d, &words("en")).title.contains("2011"));
    }

    #[test]
    fn a_compilation_prints_each_proposal_with_its_answer() {
        let zh = words("zh-CN");
        let one = CompiledProposal {
            number: 1,
            title: "关于加装电梯的提案".into(),
            author: "王某".into(),
            cosigners: vec!["李某".into(), "张某".into()],
            category: "城建".into(),
            is_key: true,
            body: "第一段。\n\n第二段。".into(),
            lead_handler: Some("区住建局".into()),
            co_handlers: vec!["区财政局".into()],
            answer: Some((ymd(2011, 8, 1), "A类".into(), "已解决。".into())),
        };
        let mut two = one.clone();
        two.number = 2;
        two.is_key = false;
        two.cosigners.clear();
        two.co_handlers.clear();
        two.answer = None;
        let c = Compilation {
            committee: "示范街道政协工委".into(),
            session: 2011,
            proposals: vec![one, two],
        };
        let s = compilation(&c, &zh);
        assert_eq!(s.title, "示范街道政协工委2011年度提案汇编");
        let text = s.plain_text();
        for words in [
            "年度立案提案2件，其中重点提案1件，已答复1件。",
            "第1号　关于加装电梯的提案（重点提案）",
            "提案人：王某（附议：李某、张某）",
            "第一段。\n第二段。",
            "主办单位：区住建局；协办单位：区财政局",
            "办理答复（A类，2011年8月1日）",
            "第2号　关于加装电梯的提案\n提案人：王某\n",
            "尚未答复",
        ] {
            assert!(text.contains(words), "{words} in {text}");
        }
        let empty = Compilation {
            proposals: Vec::new(),
            ..c
        };
        let text = compilation(&empty, &zh).plain_text();
        assert!(text.contains("年度立案提案0件。"), "{text}");
        assert!(!text.contains("重点"), "{text}");
    }
}
