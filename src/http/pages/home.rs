//! The first page after signing in: what waits on the user, each item counted
//! from the records and linked to where it is done, and the year at a glance
//! (`services::overview`): for staff the plan's status this period, what is
//! overdue, the next reception day, the key projects and the records per
//! month, with the committees under theirs rolled up; for a member their
//! quotas; for a department what it holds by due date. Charts are inline
//! SVG (`documents::charts`). The administrator trio land on their one page.

use askama::Template;
use axum::extract::State;
use axum::http::Method;
use axum::response::{IntoResponse, Redirect};
use chrono::NaiveDate;

use crate::app::clock;
use crate::app::i18n::{t_with, Locale};
use crate::documents::charts::{self, Bar, Caption, Column};
use crate::domain::roles::Role;
use crate::http::auth::{Access, PageActor};
use crate::http::render::{render, Ctx, ForPage, PageResult, Toned};
use crate::http::{route, AppState, RouteSpec};
use crate::services::overview::{
    self, DepartmentOverview, DueRecord, MemberOverview, StaffOverview, INFO_WAIT_DAYS, QUOTA_BARS,
};
use crate::services::todos::{self as service, Todo};

pub fn routes() -> Vec<RouteSpec> {
    vec![route(Method::GET, "/", Access::SignedIn, home)]
}

/// A to-do as shown: its words, how many, where.
pub struct TodoRow {
    pub label: String,
    pub count: i64,
    pub href: String,
    /// Something waits (a standing duty shows its count even at 0).
    pub waiting: bool,
}

/// A line of a short list: words, a link, and a note (a date, a figure).
pub struct LinkRow {
    pub text: String,
    pub href: String,
    pub note: String,
    /// Marked (at risk, overdue).
    pub marked: bool,
}

/// A count that links to its list.
pub struct CountRow {
    pub count: i64,
    pub label: String,
    pub href: String,
}

/// A committee under the user's, rolled up.
pub struct ChildRow {
    pub name: String,
    pub href: String,
    pub open_cases: i64,
    pub cases_href: String,
    pub overdue_cases: i64,
    pub overdue_proposals: i64,
    pub proposals_href: String,
    pub info_waiting: i64,
    pub info_href: String,
}

/// A member's quota as shown.
pub struct QuotaRow {
    pub rule_text: String,
    pub period: String,
    pub status: String,
    pub tone: &'static str,
    pub figures: String,
    pub year: String,
}

/// Staff's year at a glance.
pub struct StaffView {
    pub org_name: String,
    pub plan_heading: String,
    pub has_plan: bool,
    pub rules: Vec<LinkRow>,
    pub status_href: String,
    pub quota_chart: String,
    pub quota_more: String,
    pub overdue: Vec<CountRow>,
    pub overdue_cases: Vec<LinkRow>,
    pub next_day: Option<LinkRow>,
    pub duty: String,
    pub projects_heading: String,
    pub project_chart: String,
    pub projects: Vec<LinkRow>,
    pub months_heading: String,
    pub months_chart: String,
    pub recent: Vec<LinkRow>,
    pub children: Vec<ChildRow>,
}

/// A member's quotas.
pub struct MemberView {
    pub heading: String,
    pub as_of: String,
    pub quotas: Vec<QuotaRow>,
    pub chart: String,
}

/// A department's lists.
pub struct DepartmentView {
    pub cases: Vec<LinkRow>,
    pub cases_more: String,
    pub proposals: Vec<LinkRow>,
    pub proposals_more: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTemplate {
    ctx: Ctx,
    greeting: String,
    todos: Vec<TodoRow>,
    /// Nothing waits: the page says so instead of a list of zeros.
    all_done: bool,
    next_duty: String,
    /// The member's own duty file, for the shortcut.
    duty_file: String,
    /// A member's duty points so far this year, linked to how they were made.
    points: Option<crate::services::points::SoFar>,
    staff: Option<StaffView>,
    member: Option<MemberView>,
    department: Option<DepartmentView>,
}

fn row(ctx: &Ctx, todo: &Todo) -> TodoRow {
    TodoRow {
        label: ctx.t(todo.kind.label_key()),
        count: todo.count,
        href: todo.href.clone(),
        waiting: todo.count > 0 && !todo.kind.is_standing(),
    }
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// How a due date stands today: days left, overdue by, or none.
fn due_note(locale: Locale, due: Option<NaiveDate>, today: NaiveDate) -> (String, bool) {
    match due {
        None => (t_with(locale, "home.no_due", &[]), false),
        Some(d) if d < today => (
            t_with(
                locale,
                "home.overdue_by",
                &[("on", date(d)), ("n", (today - d).num_days().to_string())],
            ),
            true,
        ),
        Some(d) => (
            t_with(
                locale,
                "home.days_left",
                &[("on", date(d)), ("n", (d - today).num_days().to_string())],
            ),
            false,
        ),
    }
}

fn due_rows(locale: Locale, records: &[DueRecord], today: NaiveDate) -> Vec<LinkRow> {
    records
        .iter()
        .map(|r| {
            let (note, marked) = due_note(locale, r.due_on, today);
            LinkRow {
                text: r.title.clone(),
                href: r.href.clone(),
                note,
                marked,
            }
        })
        .collect()
}

/// The share in whole percent, for a figure.
fn percent(value: i64, of: i64) -> i64 {
    if of <= 0 {
        return 0;
    }
    i64::try_from(i128::from(value) * 100 / i128::from(of)).unwrap_or(i64::MAX)
}

fn staff_view(ctx: &Ctx, o: StaffOverview, today: NaiveDate) -> StaffView {
    let l = ctx.locale;
    let sep = ctx.t("home.sep");
    let (plan_heading, rules, status_href, quota_chart, quota_more) = match &o.plan {
        Some(p) => {
            let rules = p
                .rules
                .iter()
                .map(|r| LinkRow {
                    text: r.rule_text.clone(),
                    href: r.href.clone(),
                    note: t_with(
                        l,
                        "home.rule_counts",
                        &[
                            ("period", r.period.clone()),
                            ("met", r.met.to_string()),
                            ("on_track", r.on_track.to_string()),
                            ("at_risk", r.at_risk.to_string()),
                            ("missed", r.missed.to_string()),
                            ("not_due", r.not_due.to_string()),
                        ],
                    ),
                    marked: r.needs_attention(),
                })
                .collect();
            let shown: Vec<_> = p.members.iter().take(QUOTA_BARS).collect();
            let bars: Vec<Bar> = shown
                .iter()
                .map(|m| Bar {
                    label: m.name.clone(),
                    value: m.met,
                    of: m.due,
                    figure: format!("{}/{}", m.met, m.due),
                })
                .collect();
            let desc: Vec<String> = shown
                .iter()
                .map(|m| {
                    t_with(
                        l,
                        "home.quota_line",
                        &[
                            ("name", m.name.clone()),
                            ("met", m.met.to_string()),
                            ("due", m.due.to_string()),
                        ],
                    )
                })
                .collect();
            let title = t_with(l, "home.quota_chart", &[("period", p.period.clone())]);
            let chart = charts::bars(
                &Caption {
                    id: "quota-chart",
                    title: &title,
                    desc: &desc.join(&sep),
                },
                &bars,
            );
            let more = p.members.len().saturating_sub(QUOTA_BARS);
            (
                t_with(
                    l,
                    "home.plan_heading",
                    &[("period", p.period.clone()), ("as_of", date(p.as_of))],
                ),
                rules,
                format!("/plans/status?org={}&period={}", p.org_id, p.period),
                chart,
                if more > 0 {
                    t_with(l, "home.quota_more", &[("n", more.to_string())])
                } else {
                    String::new()
                },
            )
        }
        None => (
            ctx.t("home.plan_none"),
            Vec::new(),
            String::new(),
            String::new(),
            String::new(),
        ),
    };
    let info_to = o.overdue.info_to.map(date).unwrap_or_default();
    let overdue = vec![
        CountRow {
            count: o.overdue.cases,
            label: ctx.t("home.overdue_cases"),
            href: "/cases".into(),
        },
        CountRow {
            count: o.overdue.proposals,
            label: ctx.t("home.overdue_proposals"),
            href: "/proposals?overdue=yes".into(),
        },
        CountRow {
            count: o.overdue.info_waiting,
            label: t_with(
                l,
                "home.info_waiting",
                &[("days", INFO_WAIT_DAYS.to_string())],
            ),
            href: format!("/info?status=submitted&to={info_to}"),
        },
    ];
    let (next_day, duty) = match &o.next_day {
        Some(d) => (
            Some(LinkRow {
                text: date(d.on),
                href: d
                    .day_id
                    .map(|id| format!("/reception/{id}"))
                    .unwrap_or_else(|| "/reception".into()),
                note: d
                    .group
                    .as_ref()
                    .map(|g| t_with(l, "home.duty_group", &[("group", g.clone())]))
                    .unwrap_or_default(),
                marked: false,
            }),
            if d.members.is_empty() {
                String::new()
            } else {
                t_with(
                    l,
                    "home.duty_members",
                    &[("names", d.members.join(&ctx.t("home.name_sep")))],
                )
            },
        ),
        None => (None, String::new()),
    };
    let project_bars: Vec<Bar> = o
        .projects
        .iter()
        .map(|p| Bar {
            label: p.name.clone(),
            value: p.invested,
            of: p.target,
            figure: t_with(
                l,
                "home.percent",
                &[("pct", percent(p.invested, p.target).to_string())],
            ),
        })
        .collect();
    let project_desc: Vec<String> = o
        .projects
        .iter()
        .map(|p| {
            t_with(
                l,
                "home.project_line",
                &[
                    ("name", p.name.clone()),
                    ("pct", percent(p.invested, p.target).to_string()),
                ],
            )
        })
        .collect();
    let projects_heading = t_with(
        l,
        "home.projects_heading",
        &[("year", o.projects_year.to_string())],
    );
    let project_chart = charts::bars(
        &Caption {
            id: "project-chart",
            title: &projects_heading,
            desc: &project_desc.join(&sep),
        },
        &project_bars,
    );
    let projects = o
        .projects
        .iter()
        .map(|p| LinkRow {
            text: p.name.clone(),
            href: format!("/projects/{}", p.id),
            note: p.progress_text.clone().unwrap_or_default(),
            marked: false,
        })
        .collect();
    let months_heading = t_with(
        l,
        "home.months_heading",
        &[("year", o.months_year.to_string())],
    );
    let columns: Vec<Column> = o
        .months
        .iter()
        .enumerate()
        .map(|(i, n)| Column {
            label: t_with(l, "home.month", &[("n", (i + 1).to_string())]),
            value: *n,
        })
        .collect();
    let months_desc: Vec<String> = o
        .months
        .iter()
        .enumerate()
        .map(|(i, n)| {
            t_with(
                l,
                "home.month_line",
                &[("n", (i + 1).to_string()), ("count", n.to_string())],
            )
        })
        .collect();
    let months_chart = if o.months.iter().any(|n| *n > 0) {
        charts::columns(
            &Caption {
                id: "months-chart",
                title: &months_heading,
                desc: &months_desc.join(&sep),
            },
            &columns,
        )
    } else {
        String::new()
    };
    let _ = today;
    StaffView {
        org_name: o.org_name,
        plan_heading,
        has_plan: o.plan.is_some(),
        rules,
        status_href,
        quota_chart,
        quota_more,
        overdue,
        overdue_cases: due_rows(l, &o.overdue.first_cases, today),
        next_day,
        duty,
        projects_heading,
        project_chart,
        projects,
        months_heading,
        months_chart,
        recent: o
            .recent
            .into_iter()
            .map(|a| LinkRow {
                text: a.title,
                href: format!("/activities/{}", a.id),
                note: date(a.on),
                marked: false,
            })
            .collect(),
        children: o
            .children
            .into_iter()
            .map(|c| ChildRow {
                href: format!("/plans/status?org={}", c.id),
                cases_href: format!("/cases?org={}", c.id),
                proposals_href: format!("/proposals?org={}&overdue=yes", c.id),
                info_href: format!("/info?org={}&status=submitted&to={info_to}", c.id),
                name: c.name,
                open_cases: c.open_cases,
                overdue_cases: c.overdue_cases,
                overdue_proposals: c.overdue_proposals,
                info_waiting: c.info_waiting,
            })
            .collect(),
    }
}

fn member_view(ctx: &Ctx, o: MemberOverview) -> MemberView {
    let l = ctx.locale;
    let quotas: Vec<QuotaRow> = o
        .quotas
        .iter()
        .map(|q| QuotaRow {
            rule_text: q.rule_text.clone(),
            period: q.period.clone(),
            status: ctx.t(q.status.label_key()),
            tone: q.status.tone(),
            figures: q.figures.clone(),
            year: t_with(
                l,
                "home.quota_year_figure",
                &[
                    ("met", q.year_met.to_string()),
                    ("due", q.year_due.to_string()),
                ],
            ),
        })
        .collect();
    let bars: Vec<Bar> = o
        .quotas
        .iter()
        .enumerate()
        .map(|(i, q)| Bar {
            label: t_with(l, "home.quota_item", &[("n", (i + 1).to_string())]),
            value: q.count,
            of: q.target,
            figure: format!("{}/{}", q.count, q.target),
        })
        .collect();
    let desc: Vec<String> = o
        .quotas
        .iter()
        .enumerate()
        .map(|(i, q)| {
            t_with(
                l,
                "home.quota_item_line",
                &[
                    ("n", (i + 1).to_string()),
                    ("count", q.count.to_string()),
                    ("target", q.target.to_string()),
                ],
            )
        })
        .collect();
    let title = ctx.t("home.my_quota_chart");
    MemberView {
        heading: t_with(l, "home.my_quotas", &[("year", o.year.to_string())]),
        as_of: t_with(l, "home.as_of", &[("on", date(o.as_of))]),
        chart: charts::bars(
            &Caption {
                id: "my-quota-chart",
                title: &title,
                desc: &desc.join(&ctx.t("home.sep")),
            },
            &bars,
        ),
        quotas,
    }
}

fn more(locale: Locale, shown: usize, total: i64) -> String {
    if i64::try_from(shown).unwrap_or(i64::MAX) < total {
        t_with(locale, "home.see_all", &[("n", total.to_string())])
    } else {
        String::new()
    }
}

fn department_view(ctx: &Ctx, o: DepartmentOverview, today: NaiveDate) -> DepartmentView {
    let l = ctx.locale;
    DepartmentView {
        cases_more: more(l, o.cases.len(), o.cases_total),
        proposals_more: more(l, o.proposals.len(), o.proposals_total),
        cases: due_rows(l, &o.cases, today),
        proposals: due_rows(l, &o.proposals, today),
    }
}

/// What the first page shows of the user's role.
enum Overview {
    Staff(Box<overview::StaffOverview>),
    Member(overview::MemberOverview),
    Department(overview::DepartmentOverview),
    None,
}

pub async fn home(State(state): State<AppState>, page: PageActor) -> PageResult {
    let target = match page.actor.role {
        Role::Admin | Role::Security => Some("/admin/users"),
        Role::Auditor => Some("/audit"),
        Role::Member if page.actor.member_id.is_none() => Some("/account/password"),
        _ => None,
    };
    if let Some(target) = target {
        return Ok(Redirect::to(target).into_response());
    }
    let today = clock::today();
    let db = &state.db;
    let actor = &page.actor;
    // The role's overview, read beside the to-dos and the points: the page
    // waits for the longest of the three, not their sum.
    let role_overview = async {
        Ok(match actor.role {
            Role::Staff => Overview::Staff(Box::new(overview::staff(db, actor, today).await?)),
            Role::Member => Overview::Member(overview::member(db, actor, today).await?),
            Role::Department => Overview::Department(overview::department(db, actor).await?),
            _ => Overview::None,
        })
    };
    let (home, points, role_overview) = tokio::try_join!(
        service::home(db, actor, today),
        crate::services::points::so_far(db, actor),
        role_overview,
    )
    .for_page(&page)?;
    let ctx = Ctx::for_page(&page, "home");
    let (mut staff, mut member, mut department) = (None, None, None);
    match role_overview {
        Overview::Staff(o) => staff = Some(staff_view(&ctx, *o, today)),
        Overview::Member(o) => member = Some(member_view(&ctx, o)),
        Overview::Department(o) => department = Some(department_view(&ctx, o, today)),
        Overview::None => {}
    }
    let todos: Vec<TodoRow> = home
        .todos
        .iter()
        .filter(|t| t.count > 0 || t.kind.is_standing())
        .map(|t| row(&ctx, t))
        .collect();
    let template = HomeTemplate {
        greeting: t_with(
            ctx.locale,
            "home.greeting",
            &[("name", page.actor.display_name.clone())],
        ),
        all_done: !todos.iter().any(|t| t.waiting),
        todos,
        next_duty: home.next_duty.map(date).unwrap_or_default(),
        duty_file: page
            .actor
            .member_id
            .map(|id| format!("/members/{id}"))
            .unwrap_or_default(),
        points,
        staff,
        member,
        department,
        ctx,
    };
    Ok(render(&template))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_due_date_reads_as_days_left_or_overdue() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let today = d(2024, 3, 1);
        let (soon, late) = (
            due_note(Locale::ZhCn, Some(d(2024, 3, 4)), today),
            due_note(Locale::ZhCn, Some(d(2024, 2, 28)), today),
        );
        assert!(!soon.1 && soon.0.contains('3'), "{soon:?}");
        // 2024 is a leap year: 29 February lies between.
        assert!(late.1 && late.0.contains('2'), "{late:?}");
        assert!(!due_note(Locale::ZhCn, None, today).1);
    }

    #[test]
    fn percents_are_whole_and_never_divide_by_zero() {
        assert_eq!(percent(16, 13), 123);
        assert_eq!(percent(0, 13), 0);
        assert_eq!(percent(5, 0), 0);
    }
}
