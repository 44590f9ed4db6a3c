//! The year at a glance on each role's first page: for staff the plan's
//! status this period (what is at risk first), what is overdue, the next
//! reception day and who is on duty, the key projects' progress, the records
//! per month and the latest activities, and above a street committee each
//! committee under it rolled up; for a member their quotas this period and
//! this year; for a department its open cases and proposals by due date.
//! Everything is read from the records and the plan, nothing stored.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate};

use super::plans::{self, StatusQuery};
use super::projects::{self as project_service, ProjectQuery};
use super::Actor;
use crate::domain::orgs::{is_within, OrgKind};
use crate::domain::paging::SortDir;
use crate::domain::plans::{PlanPeriod, PlanStatus, Scope};
use crate::domain::roles::Role;
use crate::services::error::AppError;
use crate::storage::activities::{self, ActivityFilter};
use crate::storage::cases::{self, CaseFilter};
use crate::storage::info::{self, InfoFilter};
use crate::storage::members::{self, MemberFilter};
use crate::storage::orgs::{self, Org};
use crate::storage::overview as store;
use crate::storage::proposals::{self, ProposalFilter, ProposalSort};
use crate::storage::Db;

/// An information report waits too long for staff once it has been
/// submitted this many days without being edited.
pub const INFO_WAIT_DAYS: i64 = 7;
/// How many records a first page lists in each of its short lists.
pub const SHORT_LIST: i64 = 5;
/// How many records a department's lists show before "all".
pub const DEPARTMENT_LIST: i64 = 20;
/// How many members the quota chart shows (those furthest behind first).
pub const QUOTA_BARS: usize = 15;

/// A rule of the plan in the period looked at, its scopes counted by status.
#[derive(Debug, Clone)]
pub struct RuleGlance {
    pub rule_text: String,
    /// The rule's period looked at, e.g. `2011-Q3`.
    pub period: String,
    pub met: usize,
    pub on_track: usize,
    pub at_risk: usize,
    pub missed: usize,
    pub not_due: usize,
    /// The status page of the committee in that period.
    pub href: String,
}

impl RuleGlance {
    /// Something is at risk or missed: listed first, marked.
    pub fn needs_attention(&self) -> bool {
        self.at_risk + self.missed > 0
    }
}

/// A member's quotas met against those due, for the chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberQuota {
    pub member_id: i64,
    pub name: String,
    pub met: i64,
    pub due: i64,
}

/// The committee's plan in a period.
#[derive(Debug, Clone)]
pub struct PlanGlance {
    pub org_id: i64,
    /// The period asked (this quarter, or the latest plan's year).
    pub period: String,
    pub as_of: NaiveDate,
    /// At risk or missed first, then the others in the plan's order.
    pub rules: Vec<RuleGlance>,
    /// Every member's quotas of the member rules, furthest behind first.
    pub members: Vec<MemberQuota>,
}

/// A record past due, for the short list.
#[derive(Debug, Clone)]
pub struct DueRecord {
    pub id: i64,
    pub title: String,
    pub due_on: Option<NaiveDate>,
    pub href: String,
}

/// What is overdue in the scope.
#[derive(Debug, Clone, Default)]
pub struct Overdue {
    pub cases: i64,
    /// The most overdue cases first.
    pub first_cases: Vec<DueRecord>,
    pub proposals: i64,
    /// Information reports submitted on or before `info_to` and still not
    /// edited.
    pub info_waiting: i64,
    pub info_to: Option<NaiveDate>,
}

/// The next reception day and who is on duty.
#[derive(Debug, Clone)]
pub struct NextDay {
    pub on: NaiveDate,
    pub group: Option<String>,
    pub members: Vec<String>,
    /// The day as recorded, when it already is.
    pub day_id: Option<i64>,
}

/// A project's investment against this year's target.
#[derive(Debug, Clone)]
pub struct ProjectBar {
    pub id: i64,
    pub name: String,
    pub invested: i64,
    pub target: i64,
    /// e.g. 超额完成23%.
    pub progress_text: Option<String>,
}

/// A latest activity.
#[derive(Debug, Clone)]
pub struct Recent {
    pub id: i64,
    pub title: String,
    pub on: NaiveDate,
}

/// A committee under the user's, rolled up.
#[derive(Debug, Clone)]
pub struct Child {
    pub id: i64,
    pub name: String,
    pub open_cases: i64,
    pub overdue_cases: i64,
    pub overdue_proposals: i64,
    pub info_waiting: i64,
}

/// Staff's first page.
#[derive(Debug, Clone)]
pub struct StaffOverview {
    pub org_id: i64,
    pub org_name: String,
    pub plan: Option<PlanGlance>,
    pub overdue: Overdue,
    pub next_day: Option<NextDay>,
    pub projects_year: i32,
    pub projects: Vec<ProjectBar>,
    /// The year the months count (the plan's, or this year).
    pub months_year: i32,
    /// Records per month, January to December.
    pub months: Vec<i64>,
    pub recent: Vec<Recent>,
    pub children: Vec<Child>,
}

/// A member's quota of a rule.
#[derive(Debug, Clone)]
pub struct Quota {
    pub rule_text: String,
    /// The rule's period looked at (the one running, or the year's last).
    pub period: String,
    pub status: PlanStatus,
    /// e.g. `2/3，或 1/1`.
    pub figures: String,
    /// The first condition's count and target, for the bar.
    pub count: i64,
    pub target: i64,
    /// The rule's periods of the year met, and those due so far.
    pub year_met: usize,
    pub year_due: usize,
}

/// A member's first page: their quotas.
#[derive(Debug, Clone)]
pub struct MemberOverview {
    pub year: i32,
    pub as_of: NaiveDate,
    pub quotas: Vec<Quota>,
}

/// A department's first page: what it holds, soonest due first.
#[derive(Debug, Clone, Default)]
pub struct DepartmentOverview {
    pub cases: Vec<DueRecord>,
    pub cases_total: i64,
    pub proposals: Vec<DueRecord>,
    pub proposals_total: i64,
}

/// The kind of the committees directly under `kind`, if any.
fn child_kind(kind: &str) -> Option<OrgKind> {
    match OrgKind::parse("kind", kind).ok()? {
        OrgKind::Province => Some(OrgKind::City),
        OrgKind::City => Some(OrgKind::District),
        OrgKind::District => Some(OrgKind::Subdistrict),
        OrgKind::Subdistrict | OrgKind::Group => None,
    }
}

/// The period of a rule's periods that `as_of` falls in, or the last.
fn current(periods: &[plans::PeriodStatus], as_of: NaiveDate) -> Option<&plans::PeriodStatus> {
    periods
        .iter()
        .find(|p| p.first_day <= as_of && as_of <= p.last_day)
        .or_else(|| periods.last())
}

/// The day a period is looked at: today, or its last day once it is over.
fn as_of(period: PlanPeriod, today: NaiveDate) -> NaiveDate {
    today.min(period.last_day())
}

async fn plan_glance(
    db: &Db,
    actor: &Actor,
    org: &Org,
    today: NaiveDate,
) -> Result<Option<PlanGlance>, AppError> {
    let period = plans::default_period(db, org.id, today).await?;
    if plans::of_year(db, org.id, period.year).await?.is_none() {
        return Ok(None);
    }
    let report = plans::status_counts(
        db,
        actor,
        &StatusQuery {
            org: Some(org.id.to_string()),
            period: Some(period.to_string()),
        },
    )
    .await?;
    let when = as_of(period, today);
    let mut rules = Vec::new();
    let mut quotas: Vec<MemberQuota> = Vec::new();
    for rule in &report.items {
        let Some(p) = current(&rule.periods, when) else {
            continue;
        };
        rules.push(RuleGlance {
            rule_text: rule.rule_text.clone(),
            period: p.period.clone(),
            met: p.met,
            on_track: p.on_track,
            at_risk: p.at_risk,
            missed: p.missed,
            not_due: p.not_due,
            href: format!("/plans/status?org={}&period={}", org.id, p.period),
        });
        if rule.scope != Scope::EachMember {
            continue;
        }
        for s in &p.scopes {
            let due = i64::from(s.status != PlanStatus::NotDue);
            let met = i64::from(s.status == PlanStatus::Met);
            match quotas.iter_mut().find(|q| q.member_id == s.id) {
                Some(q) => {
                    q.due += due;
                    q.met += met;
                }
                None => quotas.push(MemberQuota {
                    member_id: s.id,
                    name: s.name.clone(),
                    met,
                    due,
                }),
            }
        }
    }
    // Worst first: the most scopes at risk or missed; the plan's order after.
    rules.sort_by_key(|r| std::cmp::Reverse(r.at_risk + r.missed));
    quotas.retain(|q| q.due > 0);
    // Furthest behind first (met/due ascending), then by name.
    quotas.sort_by(|a, b| {
        (i128::from(a.met) * i128::from(b.due))
            .cmp(&(i128::from(b.met) * i128::from(a.due)))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(Some(PlanGlance {
        org_id: org.id,
        period: report.period,
        as_of: when,
        rules,
        members: quotas,
    }))
}

/// The last submission day of a report that has waited too long today.
fn waiting_since(today: NaiveDate) -> NaiveDate {
    today - Duration::days(INFO_WAIT_DAYS + 1)
}

fn case_record(c: cases::Case) -> DueRecord {
    DueRecord {
        href: format!("/cases/{}", c.id),
        id: c.id,
        title: c.title,
        due_on: c.due_on,
    }
}

fn proposal_record(p: proposals::Proposal) -> DueRecord {
    DueRecord {
        href: format!("/proposals/{}", p.id),
        id: p.id,
        title: p.title,
        due_on: p.due_on,
    }
}

/// What is open or late in a committee's scope, counted per committee
/// holding it: one statement a figure, however many committees lie below.
struct ByOrg {
    open_cases: HashMap<i64, i64>,
    overdue_cases: HashMap<i64, i64>,
    overdue_proposals: HashMap<i64, i64>,
    info_waiting: HashMap<i64, i64>,
}

impl ByOrg {
    async fn read(db: &Db, path: &str, today: NaiveDate) -> Result<Self, AppError> {
        let scope = Some(path.to_string());
        let open = CaseFilter {
            scope_path: scope.clone(),
            open_only: true,
            ..Default::default()
        };
        let late_cases = CaseFilter {
            scope_path: scope.clone(),
            overdue_on: Some(today),
            ..Default::default()
        };
        let late_proposals = ProposalFilter {
            scope_path: scope.clone(),
            overdue_on: Some(today),
            ..Default::default()
        };
        let waiting_info = InfoFilter {
            scope_path: scope,
            status: Some("submitted".into()),
            to: Some(waiting_since(today)),
            ..Default::default()
        };
        let (open, late_cases, late_proposals, waiting) = tokio::try_join!(
            cases::count_by_org(db, &open),
            cases::count_by_org(db, &late_cases),
            proposals::count_by_org(db, &late_proposals),
            info::count_by_org(db, &waiting_info),
        )?;
        Ok(ByOrg {
            open_cases: open.into_iter().collect(),
            overdue_cases: late_cases.into_iter().collect(),
            overdue_proposals: late_proposals.into_iter().collect(),
            info_waiting: waiting.into_iter().collect(),
        })
    }
}

/// The sum of `counts` over the committees `within` says are in.
fn sum_of(counts: &HashMap<i64, i64>, within: impl Fn(i64) -> bool) -> i64 {
    counts
        .iter()
        .filter(|(org, _)| within(**org))
        .map(|(_, n)| n)
        .sum()
}

async fn overdue_in(
    db: &Db,
    path: &str,
    today: NaiveDate,
    by_org: &ByOrg,
) -> Result<Overdue, AppError> {
    let late_cases = CaseFilter {
        scope_path: Some(path.to_string()),
        overdue_on: Some(today),
        urgent_first: true,
        ..Default::default()
    };
    let first = cases::list(db, &late_cases, SHORT_LIST).await?;
    let all = |_| true;
    Ok(Overdue {
        cases: sum_of(&by_org.overdue_cases, all),
        first_cases: first.into_iter().map(case_record).collect(),
        proposals: sum_of(&by_org.overdue_proposals, all),
        info_waiting: sum_of(&by_org.info_waiting, all),
        info_to: Some(waiting_since(today)),
    })
}

async fn next_day(db: &Db, org: &Org, today: NaiveDate) -> Result<Option<NextDay>, AppError> {
    let Some(entry) = super::reception::next_day(db, org, today).await? else {
        return Ok(None);
    };
    let names = match entry.duty_group_id {
        Some(group) => {
            let filter = MemberFilter {
                scope_path: org.path.clone(),
                group_id: Some(group),
                ..Default::default()
            };
            members::list(db, &filter, "m.name_key", "ASC", 50, 0)
                .await?
                .0
                .into_iter()
                .map(|m| m.name)
                .collect()
        }
        None => Vec::new(),
    };
    Ok(Some(NextDay {
        on: entry.held_on,
        group: entry.duty_group,
        members: names,
        day_id: entry.reception_day_id,
    }))
}

async fn project_bars(
    db: &Db,
    actor: &Actor,
    org: &Org,
) -> Result<(i32, Vec<ProjectBar>), AppError> {
    let figures = project_service::figures(
        db,
        actor,
        &ProjectQuery {
            org: Some(org.id.to_string()),
            ..Default::default()
        },
    )
    .await?;
    let bars = figures
        .projects
        .into_iter()
        .filter_map(|p| {
            let target = p.project.annual_target.filter(|t| *t > 0)?;
            Some(ProjectBar {
                id: p.project.id,
                name: p.project.name,
                invested: p.figures.invested.unwrap_or(0),
                target,
                progress_text: p.figures.progress_text,
            })
        })
        .collect();
    Ok((figures.year, bars))
}

async fn months(db: &Db, path: &str, year: i32) -> Result<Vec<i64>, AppError> {
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(vec![0; 12]);
    };
    let mut out = vec![0; 12];
    for m in store::records_per_month(db, path, from, to).await? {
        if let Some(slot) = usize::try_from(m.month - 1)
            .ok()
            .and_then(|i| out.get_mut(i))
        {
            *slot = m.n;
        }
    }
    Ok(out)
}

/// The committees right under `org`, each with its figures rolled up from
/// every committee within it.
async fn children(db: &Db, org: &Org, by_org: &ByOrg) -> Result<Vec<Child>, AppError> {
    let Some(kind) = child_kind(&org.kind) else {
        return Ok(Vec::new());
    };
    let within = orgs::list_orgs(db, &org.path, None).await?;
    let mut under: Vec<&Org> = within
        .iter()
        .filter(|o| o.parent_id == Some(org.id) && o.kind == kind.as_str())
        .collect();
    under.sort_by_key(|o| o.id);
    Ok(under
        .into_iter()
        .map(|child| {
            let ids: HashSet<i64> = within
                .iter()
                .filter(|o| is_within(&o.path, &child.path))
                .map(|o| o.id)
                .collect();
            let inside = |id: i64| ids.contains(&id);
            Child {
                id: child.id,
                name: child.name.clone(),
                open_cases: sum_of(&by_org.open_cases, inside),
                overdue_cases: sum_of(&by_org.overdue_cases, inside),
                overdue_proposals: sum_of(&by_org.overdue_proposals, inside),
                info_waiting: sum_of(&by_org.info_waiting, inside),
            }
        })
        .collect())
}

/// Staff's first page: their committee's year at a glance.
pub async fn staff(db: &Db, actor: &Actor, today: NaiveDate) -> Result<StaffOverview, AppError> {
    actor.require(&[Role::Staff])?;
    let org = super::cases::committee(db, actor, "org", None).await?;
    let recent_filter = ActivityFilter {
        scope_path: Some(org.path.clone()),
        ..Default::default()
    };
    let by_org = ByOrg::read(db, &org.path, today);
    let (plan, by_org, next, (projects_year, projects), recent) = tokio::try_join!(
        plan_glance(db, actor, &org, today),
        by_org,
        next_day(db, &org, today),
        project_bars(db, actor, &org),
        async { Ok(activities::list(db, &recent_filter, SHORT_LIST, 0).await?) },
    )?;
    let (overdue, children) = tokio::try_join!(
        overdue_in(db, &org.path, today, &by_org),
        children(db, &org, &by_org),
    )?;
    // The months of the plan's year; when nothing is recorded in it, those
    // of the latest activity's year (or this year).
    let latest = recent.0.first().map(|a| a.held_on.year());
    let mut months_year = plan
        .as_ref()
        .map(|p| p.as_of.year())
        .or(latest)
        .unwrap_or(today.year());
    let mut months = self::months(db, &org.path, months_year).await?;
    if let Some(year) = latest.filter(|y| *y != months_year) {
        if months.iter().all(|n| *n == 0) {
            months_year = year;
            months = self::months(db, &org.path, year).await?;
        }
    }
    Ok(StaffOverview {
        org_id: org.id,
        org_name: org.name,
        plan,
        overdue,
        next_day: next,
        projects_year,
        projects,
        months_year,
        months,
        recent: recent
            .0
            .into_iter()
            .map(|a| Recent {
                id: a.id,
                title: a.title,
                on: a.held_on,
            })
            .collect(),
        children,
    })
}

/// A member's quotas of the member rules of their committee's plan: each
/// rule's period running (or the year's last), and its periods of the year
/// met against those due. No plan: none.
pub async fn member(db: &Db, actor: &Actor, today: NaiveDate) -> Result<MemberOverview, AppError> {
    actor.require(&[Role::Member])?;
    let org = project_service::own_committee(db, actor).await?;
    let year = plans::default_period(db, org.id, today).await?.year;
    let mut out = MemberOverview {
        year,
        as_of: today,
        quotas: Vec::new(),
    };
    let Some(whole) = PlanPeriod::new(year, crate::domain::plans::Period::Year, 1) else {
        return Ok(out);
    };
    out.as_of = as_of(whole, today);
    // No plan that year: a report without rules, hence no quotas.
    let report = plans::own_quotas(
        db,
        actor,
        &StatusQuery {
            org: None,
            period: Some(whole.to_string()),
        },
    )
    .await?;
    let me = actor.member_id;
    for rule in report.items.iter().filter(|r| r.scope == Scope::EachMember) {
        let mine = |p: &plans::PeriodStatus| {
            p.scopes
                .iter()
                .find(|s| s.kind == "member" && Some(s.id) == me)
                .cloned()
        };
        let (mut year_met, mut year_due) = (0, 0);
        for p in &rule.periods {
            if let Some(s) = mine(p) {
                year_met += usize::from(s.status == PlanStatus::Met);
                year_due += usize::from(s.status != PlanStatus::NotDue);
            }
        }
        let Some(p) = current(&rule.periods, out.as_of) else {
            continue;
        };
        let Some(s) = mine(p) else { continue };
        let first = s.conditions.first();
        out.quotas.push(Quota {
            rule_text: rule.rule_text.clone(),
            period: p.period.clone(),
            status: s.status,
            figures: s.figures.clone(),
            count: first.map_or(0, |c| c.count),
            target: first.map_or(0, |c| c.target),
            year_met,
            year_due,
        });
    }
    Ok(out)
}

/// A department's open cases and proposals to answer, soonest due first.
pub async fn department(db: &Db, actor: &Actor) -> Result<DepartmentOverview, AppError> {
    actor.require(&[Role::Department])?;
    let department = actor.department_id.ok_or(AppError::Forbidden)?;
    let open = CaseFilter {
        department_id: Some(department),
        open_only: true,
        urgent_first: true,
        ..Default::default()
    };
    let assigned = ProposalFilter {
        department_id: Some(department),
        status: Some("assigned".into()),
        ..Default::default()
    };
    let (cases_total, open_cases, proposals_total, to_answer) = tokio::try_join!(
        cases::count(db, &open),
        cases::list(db, &open, DEPARTMENT_LIST),
        proposals::count(db, &assigned),
        proposals::list_page(
            db,
            &assigned,
            ProposalSort::Due,
            SortDir::Asc,
            DEPARTMENT_LIST,
            0
        ),
    )?;
    Ok(DepartmentOverview {
        cases: open_cases.into_iter().map(case_record).collect(),
        cases_total,
        proposals: to_answer.into_iter().map(proposal_record).collect(),
        proposals_total,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn each_committee_kind_has_its_kind_under_it() {
        assert_eq!(child_kind("province"), Some(OrgKind::City));
        assert_eq!(child_kind("city"), Some(OrgKind::District));
        assert_eq!(child_kind("district"), Some(OrgKind::Subdistrict));
        assert_eq!(child_kind("subdistrict"), None);
        assert_eq!(child_kind("group"), None);
        assert_eq!(child_kind("x"), None);
    }

    #[test]
    fn a_period_over_is_looked_at_on_its_last_day() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let year = PlanPeriod::new(2011, crate::domain::plans::Period::Year, 1).unwrap();
        assert_eq!(as_of(year, d(2026, 12, 3)), d(2011, 12, 31));
        assert_eq!(as_of(year, d(2011, 5, 3)), d(2011, 5, 3));
    }
}
