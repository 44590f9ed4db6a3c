//! Work plan pages: the year's plan with every rule in plain words, the
//! form of an item and its rule (selects and numbers, with up to three
//! nested AND/OR groups), copying a plan to the next year, and the status
//! page: per rule and period, a table of scopes with a badge, the counts
//! against the targets and a link to every record that counts.

use crate::http::files::{xlsx_href, xlsx_list_on_page};
use crate::services::exports::{FormatParam, ListFormat, ListQuery};
use askama::Template;
use axum::extract::RawQuery;
use axum::extract::State;
use axum::http::{Method, StatusCode};

use crate::domain::activities::ActivityKind;
use crate::domain::info::{AdoptionLevel, InfoKind};
use crate::domain::plans::{
    rule_input, ConditionInput, MeasureKind, Period, PlanStatus, Rule, RuleInput, Scope,
};
use crate::domain::roles::Role;
use crate::domain::validation::FieldErrors;
use crate::http::auth::{Access, ApiQuery, PageActor, PageForm, PathId};
use crate::http::flash::{self, Flash};
use crate::http::forms::{choices, Choice};
#[allow(unused_imports)] // called by the templates
use crate::http::render::Toned;
use crate::http::render::{
    link_with, render, render_status, Ctx, ForEdit, ForPage, PageResult, Refused,
};
use crate::http::{route, AppState, RouteSpec};
use crate::services::plans::{
    self as service, CopyInput, ItemInput, ItemView, PlanDetail, PlanInput, PlanQuery,
    PlanStatusReport, StatusQuery,
};

pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::{Member, Staff};
    use Access::Roles;
    const STAFF: Access = Roles(&[Staff]);
    const BOTH: Access = Roles(&[Staff, Member]);
    vec![
        route(Method::GET, "/plans", BOTH, show),
        route(Method::POST, "/plans", STAFF, create),
        route(Method::GET, "/plans/status", BOTH, status),
        route(Method::POST, "/plans/{id}/copy", STAFF, copy),
        route(Method::GET, "/plans/{id}/items/new", STAFF, new_item),
        route(Method::POST, "/plans/{id}/items", STAFF, add_item),
        route(Method::GET, "/plans/items/{id}/edit", STAFF, edit_item),
        route(Method::POST, "/plans/items/{id}", STAFF, update_item),
        route(Method::POST, "/plans/items/{id}/delete", STAFF, delete_item),
    ]
}

/// Rows of counted conditions the form offers.
pub const FORM_ROWS: usize = 8;
/// Nested groups the form offers (g1 in the rule, g2 in the rule or g1, …).
pub const FORM_GROUPS: usize = 3;

// ---------------------------------------------------------------------------
// The year's plan

#[derive(Template)]
#[template(path = "plans/show.html")]
struct ShowTemplate {
    ctx: Ctx,
    org_name: String,
    year: i32,
    plan: Option<PlanDetail>,
    /// Other years with a plan.
    years: Vec<i64>,
    prev: String,
    next: String,
    status_link: String,
    is_staff: bool,
}

pub async fn show(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<PlanQuery>,
) -> PageResult {
    let all = PlanQuery {
        year: None,
        ..q.clone()
    };
    let (org, plans) = service::list(&state.db, &page.actor, &all)
        .await
        .for_page(&page)?;
    let asked = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => Some(
            crate::domain::activities::parse_year("year", y)
                .map_err(|e| crate::services::error::AppError::BadRequest(e.into()))
                .for_page(&page)?,
        ),
        None => None,
    };
    // Without a year: this year's plan, or else the latest.
    let this_year = service::this_year();
    let year = asked.unwrap_or_else(|| {
        if plans.iter().any(|p| p.year == i64::from(this_year)) {
            this_year
        } else {
            plans
                .first()
                .and_then(|p| i32::try_from(p.year).ok())
                .unwrap_or(this_year)
        }
    });
    let plan = match plans.iter().find(|p| p.year == i64::from(year)) {
        Some(p) => Some(
            service::detail(&state.db, &page.actor, p.id)
                .await
                .for_page(&page)?,
        ),
        None => None,
    };
    let org_param = q.org.clone().unwrap_or_default();
    let keep = [("org", org_param.clone())];
    let ctx = Ctx::for_page(&page, "plans");
    let template = ShowTemplate {
        years: plans.iter().map(|p| p.year).collect(),
        prev: link_with("/plans", &keep, &[("year", (year - 1).to_string())]),
        next: link_with("/plans", &keep, &[("year", (year + 1).to_string())]),
        status_link: link_with("/plans/status", &keep, &[("period", year.to_string())]),
        org_name: org.name,
        year,
        plan,
        is_staff: page.actor.role == Role::Staff,
        ctx,
    };
    Ok(render(&template))
}

pub async fn create(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<PlanInput>,
) -> PageResult {
    let created = service::create(&state.db, &page.actor, &form).await;
    back_to_year(&page, created, &form.year)
}

/// After a plan was created or copied: its year's page; a refusal as the
/// error page, naming the field.
fn back_to_year(
    page: &PageActor,
    done: Result<PlanDetail, crate::services::error::AppError>,
    year: &Option<String>,
) -> PageResult {
    let d = done.for_page(page)?;
    let _ = year;
    Ok(flash::redirect(
        &format!("/plans?org={}&year={}", d.plan.org_id, d.plan.year),
        Flash::Created,
    ))
}

pub async fn copy(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<CopyInput>,
) -> PageResult {
    let copied = service::copy(&state.db, &page.actor, id, &form).await;
    back_to_year(&page, copied, &form.year)
}

// ---------------------------------------------------------------------------
// The item form

/// A counted condition's row in the form.
pub struct FormRow {
    pub n: usize,
    pub within: Vec<Choice>,
    pub measures: Vec<Choice>,
    pub info_kinds: Vec<Choice>,
    pub levels: Vec<Choice>,
    pub activity_kinds: Vec<Choice>,
    pub target: String,
}

/// A nested group in the form.
pub struct FormGroup {
    pub n: usize,
    pub joins: Vec<Choice>,
    pub within: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "plans/item_form.html")]
struct ItemFormTemplate {
    ctx: Ctx,
    action: String,
    editing: bool,
    conflict: bool,
    plan_title: String,
    back: String,
    text: String,
    position: String,
    version: String,
    scopes: Vec<Choice>,
    periods: Vec<Choice>,
    joins: Vec<Choice>,
    groups: Vec<FormGroup>,
    rows: Vec<FormRow>,
    errors: FieldErrors,
}

/// One row or group as the form holds it: which group it is in, and its fields.
#[derive(Default, Clone)]
struct RowValues {
    within: String,
    measure: String,
    info_kind: String,
    level: String,
    activity_kind: String,
    target: String,
}

/// The form's values: the item and the rule laid out flat.
#[derive(Default, Clone)]
struct FormValues {
    text: String,
    position: String,
    version: String,
    scope: String,
    period: String,
    join: String,
    /// (join, within) of g1…g3.
    groups: Vec<(String, String)>,
    rows: Vec<RowValues>,
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

impl FormValues {
    fn from_fields(fields: &[(String, String)]) -> Self {
        let f = |name: &str| field(fields, name).to_string();
        FormValues {
            text: f("text"),
            position: f("position"),
            version: f("version"),
            scope: f("scope"),
            period: f("period"),
            join: f("join"),
            groups: (1..=FORM_GROUPS)
                .map(|g| (f(&format!("g{g}_join")), f(&format!("g{g}_in"))))
                .collect(),
            rows: (1..=FORM_ROWS)
                .map(|i| RowValues {
                    within: f(&format!("c{i}_in")),
                    measure: f(&format!("c{i}_measure")),
                    info_kind: f(&format!("c{i}_info_kind")),
                    level: f(&format!("c{i}_level")),
                    activity_kind: f(&format!("c{i}_activity_kind")),
                    target: f(&format!("c{i}_target")),
                })
                .collect(),
        }
    }

    /// The rule as a tree: the rows in the rule itself, then its groups,
    /// each with its rows and the groups within it. A group without
    /// conditions is left out; a group can only sit in one before it, so
    /// the tree has no loops.
    fn rule(&self) -> Option<RuleInput> {
        let filled: Vec<&RowValues> = self
            .rows
            .iter()
            .filter(|r| !r.measure.trim().is_empty() || !r.target.trim().is_empty())
            .collect();
        if self.scope.trim().is_empty() && self.period.trim().is_empty() && filled.is_empty() {
            return None;
        }
        fn members(v: &FormValues, filled: &[&RowValues], name: &str) -> Vec<ConditionInput> {
            let in_group = |within: &str| {
                let w = within.trim();
                w == name || (name == "top" && w.is_empty())
            };
            let mut out: Vec<ConditionInput> = filled
                .iter()
                .filter(|r| in_group(&r.within))
                .map(|r| ConditionInput {
                    measure: r.measure.clone(),
                    info_kind: r.info_kind.clone(),
                    level: r.level.clone(),
                    activity_kind: r.activity_kind.clone(),
                    target: r.target.clone(),
                    ..ConditionInput::default()
                })
                .collect();
            for (i, (join, within)) in v.groups.iter().enumerate() {
                let me = format!("g{}", i + 1);
                let w = if within.trim().is_empty() {
                    "top"
                } else {
                    within.trim()
                };
                // Only groups before this one may hold it.
                let parent_ok = w == "top"
                    || w.strip_prefix('g')
                        .and_then(|n| n.parse::<usize>().ok())
                        .is_some_and(|n| n <= i);
                let placed = if parent_ok { w } else { "top" };
                if placed == name {
                    let inner = members(v, filled, &me);
                    if !inner.is_empty() {
                        out.push(ConditionInput {
                            join: join.clone(),
                            conditions: inner,
                            ..ConditionInput::default()
                        });
                    }
                }
            }
            out
        }
        Some(RuleInput {
            scope: self.scope.clone(),
            period: self.period.clone(),
            join: self.join.clone(),
            conditions: members(self, &filled, "top"),
        })
    }

    fn input(&self) -> ItemInput {
        ItemInput {
            text: self.text.clone(),
            position: Some(self.position.clone()),
            rule: self.rule(),
            version: Some(self.version.clone()),
        }
    }

    /// An item's values as the form shows them.
    fn of_item(item: &ItemView, version: i64) -> Self {
        let mut v = FormValues {
            text: item.text.clone(),
            position: item.position.to_string(),
            version: version.to_string(),
            groups: vec![(String::from("all"), String::from("top")); FORM_GROUPS],
            rows: vec![RowValues::default(); FORM_ROWS],
            ..FormValues::default()
        };
        if let Some(rule) = &item.rule {
            v.fill(rule);
        }
        v
    }

    fn fill(&mut self, rule: &Rule) {
        let input = rule_input(rule);
        self.scope = input.scope;
        self.period = input.period;
        self.join = input.join;
        let mut rows = Vec::new();
        let mut groups: Vec<(String, String)> = Vec::new();
        fn walk(
            cs: &[ConditionInput],
            within: &str,
            rows: &mut Vec<RowValues>,
            groups: &mut Vec<(String, String)>,
        ) {
            for c in cs {
                if c.conditions.is_empty() {
                    rows.push(RowValues {
                        within: within.to_string(),
                        measure: c.measure.clone(),
                        info_kind: c.info_kind.clone(),
                        level: c.level.clone(),
                        activity_kind: c.activity_kind.clone(),
                        target: c.target.clone(),
                    });
                } else {
                    groups.push((c.join.clone(), within.to_string()));
                    let me = format!("g{}", groups.len());
                    walk(&c.conditions, &me, rows, groups);
                }
            }
        }
        walk(&input.conditions, "top", &mut rows, &mut groups);
        groups.resize(FORM_GROUPS.max(groups.len()), ("all".into(), "top".into()));
        rows.resize(FORM_ROWS.max(rows.len()), RowValues::default());
        self.groups = groups;
        self.rows = rows;
    }
}

fn with_blank(ctx: &Ctx, pairs: Vec<(String, String)>, selected: &str, blank: &str) -> Vec<Choice> {
    let mut all = vec![(String::new(), ctx.t(blank))];
    all.extend(pairs);
    choices(all, selected)
}

fn join_choices(ctx: &Ctx, selected: &str) -> Vec<Choice> {
    let selected = if selected.is_empty() { "all" } else { selected };
    choices(
        [
            ("all".to_string(), ctx.t("plans.join_all")),
            ("any".to_string(), ctx.t("plans.join_any")),
        ],
        selected,
    )
}

/// Where a row or group may sit: the rule, or a group (before `upto`).
fn within_choices(ctx: &Ctx, upto: usize, selected: &str) -> Vec<Choice> {
    let mut all = vec![("top".to_string(), ctx.t("plans.in_rule"))];
    for g in 1..=upto {
        all.push((
            format!("g{g}"),
            crate::app::i18n::t_with(ctx.locale, "plans.in_group", &[("n", g.to_string())]),
        ));
    }
    let selected = if selected.is_empty() { "top" } else { selected };
    choices(all, selected)
}

fn item_form(
    page: &PageActor,
    detail: &PlanDetail,
    action: String,
    values: &FormValues,
    errors: FieldErrors,
) -> ItemFormTemplate {
    let ctx = Ctx::for_page(page, "plans");
    let labelled = |key: &'static str, value: &'static str| (value.to_string(), ctx.t(key));
    let measures: Vec<(String, String)> = MeasureKind::ALL
        .iter()
        .map(|m| labelled(m.label_key(), m.as_str()))
        .collect();
    let info_kinds: Vec<(String, String)> = InfoKind::ALL
        .iter()
        .map(|k| labelled(k.label_key(), k.as_str()))
        .collect();
    let levels: Vec<(String, String)> = AdoptionLevel::ALL
        .iter()
        .map(|k| labelled(k.label_key(), k.as_str()))
        .collect();
    let activity_kinds: Vec<(String, String)> = ActivityKind::ALL
        .iter()
        .map(|k| labelled(k.label_key(), k.as_str()))
        .collect();
    let rows = values
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| FormRow {
            n: i + 1,
            within: within_choices(&ctx, values.groups.len(), &r.within),
            measures: with_blank(&ctx, measures.clone(), &r.measure, "plans.choose"),
            info_kinds: with_blank(&ctx, info_kinds.clone(), &r.info_kind, "plans.any_value"),
            levels: with_blank(&ctx, levels.clone(), &r.level, "plans.any_value"),
            activity_kinds: with_blank(
                &ctx,
                activity_kinds.clone(),
                &r.activity_kind,
                "plans.any_value",
            ),
            target: r.target.clone(),
        })
        .collect();
    let groups = values
        .groups
        .iter()
        .enumerate()
        .map(|(i, (join, within))| FormGroup {
            n: i + 1,
            joins: join_choices(&ctx, join),
            within: within_choices(&ctx, i, within),
        })
        .collect();
    ItemFormTemplate {
        scopes: with_blank(
            &ctx,
            Scope::ALL
                .iter()
                .map(|s| labelled(s.label_key(), s.as_str()))
                .collect(),
            &values.scope,
            "plans.no_rule",
        ),
        periods: with_blank(
            &ctx,
            Period::ALL
                .iter()
                .map(|p| labelled(p.label_key(), p.as_str()))
                .collect(),
            &values.period,
            "plans.no_rule",
        ),
        joins: join_choices(&ctx, &values.join),
        editing: !action.ends_with("/items"),
        conflict: false,
        plan_title: detail.plan.title.clone(),
        back: format!(
            "/plans?org={}&year={}",
            detail.plan.org_id, detail.plan.year
        ),
        text: values.text.clone(),
        position: values.position.clone(),
        version: values.version.clone(),
        groups,
        rows,
        errors,
        action,
        ctx,
    }
}

fn blank_values(version: i64) -> FormValues {
    FormValues {
        version: version.to_string(),
        join: "all".into(),
        groups: vec![("all".into(), "top".into()); FORM_GROUPS],
        rows: vec![RowValues::default(); FORM_ROWS],
        ..FormValues::default()
    }
}

pub async fn new_item(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
) -> PageResult {
    let d = service::detail(&state.db, &page.actor, id)
        .await
        .for_page(&page)?;
    page.actor.require(&[Role::Staff]).for_page(&page)?;
    let values = blank_values(d.plan.version);
    Ok(render(&item_form(
        &page,
        &d,
        format!("/plans/{id}/items"),
        &values,
        FieldErrors::new(),
    )))
}

/// A refused item save: the form again with what was typed (on a conflict,
/// with the version now stored, so that saving again is a conscious choice).
async fn refused(
    state: &AppState,
    page: &PageActor,
    plan_id: i64,
    action: String,
    mut values: FormValues,
    why: Refused,
) -> PageResult {
    let d = service::detail(&state.db, &page.actor, plan_id)
        .await
        .for_page(page)?;
    match why {
        Refused::Invalid(errors) => {
            let again = item_form(page, &d, action, &values, errors);
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &again))
        }
        Refused::Conflict(_) => {
            values.version = d.plan.version.to_string();
            let mut again = item_form(page, &d, action, &values, FieldErrors::new());
            again.conflict = true;
            Ok(render_status(StatusCode::CONFLICT, &again))
        }
    }
}

fn plan_page(d: &PlanDetail) -> String {
    format!("/plans?org={}&year={}", d.plan.org_id, d.plan.year)
}

pub async fn add_item(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<Vec<(String, String)>>,
) -> PageResult {
    let values = FormValues::from_fields(&form);
    let action = format!("/plans/{id}/items");
    match service::add_item(&state.db, &page.actor, id, &values.input())
        .await
        .for_edit(&page)?
    {
        Ok(d) => Ok(flash::redirect(&plan_page(&d), Flash::Created)),
        Err(why) => refused(&state, &page, id, action, values, why).await,
    }
}

/// The plan an item belongs to, as the actor may read it.
async fn plan_of_item(
    state: &AppState,
    page: &PageActor,
    item_id: i64,
) -> Result<PlanDetail, crate::http::render::PageError> {
    let plan_id = crate::storage::plans::plan_of_item(&state.db, item_id)
        .await
        .for_page(page)?
        .ok_or(crate::services::error::AppError::NotFound)
        .for_page(page)?;
    service::detail(&state.db, &page.actor, plan_id)
        .await
        .for_page(page)
}

pub async fn edit_item(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
) -> PageResult {
    let d = plan_of_item(&state, &page, id).await?;
    let item = d
        .items
        .iter()
        .find(|i| i.id == id)
        .ok_or(crate::services::error::AppError::NotFound)
        .for_page(&page)?;
    let values = FormValues::of_item(item, d.plan.version);
    Ok(render(&item_form(
        &page,
        &d,
        format!("/plans/items/{id}"),
        &values,
        FieldErrors::new(),
    )))
}

pub async fn update_item(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<Vec<(String, String)>>,
) -> PageResult {
    let d = plan_of_item(&state, &page, id).await?;
    let values = FormValues::from_fields(&form);
    let action = format!("/plans/items/{id}");
    match service::update_item(&state.db, &page.actor, d.plan.id, id, &values.input())
        .await
        .for_edit(&page)?
    {
        Ok(d) => Ok(flash::redirect(&plan_page(&d), Flash::Saved)),
        Err(why) => refused(&state, &page, d.plan.id, action, values, why).await,
    }
}

/// The version read, from the delete button's form.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct VersionForm {
    version: Option<String>,
}

pub async fn delete_item(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<VersionForm>,
) -> PageResult {
    let d = plan_of_item(&state, &page, id).await?;
    let d = service::delete_item(&state.db, &page.actor, d.plan.id, id, &form.version)
        .await
        .for_page(&page)?;
    Ok(flash::redirect(&plan_page(&d), Flash::Deleted))
}

// ---------------------------------------------------------------------------
// The status page

/// A line of a status table.
pub struct StatusLine {
    pub name: String,
    pub status: String,
    pub tone: &'static str,
    pub figures: String,
    pub window: String,
    /// (text, url) of each record that counts.
    pub records: Vec<(String, String)>,
}

/// A period of a rule, as a table.
pub struct StatusTable {
    pub period: String,
    pub summary: String,
    pub lines: Vec<StatusLine>,
}

/// A rule with its tables.
pub struct StatusRule {
    pub rule_text: String,
    pub text: String,
    pub tables: Vec<StatusTable>,
}

#[derive(Template)]
#[template(path = "plans/status.html")]
struct StatusTemplate {
    ctx: Ctx,
    org_name: String,
    period: String,
    today: String,
    has_plan: bool,
    plan_link: String,
    periods: Vec<Choice>,
    rules: Vec<StatusRule>,
    /// The list as an Excel workbook, with the filters set.
    export_href: String,
}

/// The periods a committee's year can be read by.
fn period_choices(ctx: &Ctx, year: i32, selected: &str) -> Vec<Choice> {
    let mut all = Vec::new();
    for kind in [
        Period::Year,
        Period::HalfYear,
        Period::Quarter,
        Period::Month,
    ] {
        for p in crate::domain::plans::PlanPeriod::of_year(year, kind) {
            let label = crate::app::i18n::t_with(
                ctx.locale,
                match kind {
                    Period::Year => "plans.period_year",
                    Period::HalfYear => "plans.period_half",
                    Period::Quarter => "plans.period_quarter",
                    Period::Month => "plans.period_month",
                },
                &[("year", year.to_string()), ("n", p.index.to_string())],
            );
            all.push((p.to_string(), label));
        }
    }
    choices(all, selected)
}

fn tone(status: PlanStatus) -> &'static str {
    status.tone()
}

fn status_rules(ctx: &Ctx, r: &PlanStatusReport) -> Vec<StatusRule> {
    r.items
        .iter()
        .map(|rule| StatusRule {
            rule_text: rule.rule_text.clone(),
            text: rule.text.clone(),
            tables: rule
                .periods
                .iter()
                .map(|p| StatusTable {
                    period: p.period.clone(),
                    summary: crate::app::i18n::t_with(
                        ctx.locale,
                        "plans.period_counts",
                        &[
                            ("met", p.met.to_string()),
                            ("on_track", p.on_track.to_string()),
                            ("at_risk", p.at_risk.to_string()),
                            ("missed", p.missed.to_string()),
                            ("not_due", p.not_due.to_string()),
                        ],
                    ),
                    lines: p
                        .scopes
                        .iter()
                        .map(|s| StatusLine {
                            name: s.name.clone(),
                            status: ctx.t(s.status.label_key()),
                            tone: tone(s.status),
                            figures: s.figures.clone(),
                            window: match (s.from, s.to) {
                                (Some(f), Some(t)) if f != p.first_day || t != p.last_day => {
                                    crate::app::i18n::t_with(
                                        ctx.locale,
                                        "plans.window",
                                        &[("from", f.to_string()), ("to", t.to_string())],
                                    )
                                }
                                _ => String::new(),
                            },
                            records: s
                                .conditions
                                .iter()
                                .flat_map(|c| c.records.iter().map(move |rec| (c, rec)))
                                .filter(|(_, rec)| !rec.url.is_empty())
                                .map(|(c, rec)| {
                                    (
                                        crate::app::i18n::t_with(
                                            ctx.locale,
                                            "plans.record",
                                            &[
                                                ("what", c.measure.clone()),
                                                ("id", rec.id.to_string()),
                                                ("on", rec.on.to_string()),
                                            ],
                                        ),
                                        rec.url.clone(),
                                    )
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

pub async fn status(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<StatusQuery>,
    ApiQuery(wanted): ApiQuery<FormatParam>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    if wanted.format().for_page(&page)? == ListFormat::Xlsx {
        let list = ListQuery::PlanStatus(q.clone());
        return xlsx_list_on_page(&state, &page.actor, list, raw.as_deref())
            .await
            .for_page(&page);
    }
    let r = service::status(&state.db, &page.actor, &q)
        .await
        .for_page(&page)?;
    let ctx = Ctx::for_page(&page, "plans");
    let org = q.org.clone().unwrap_or_default();
    let template = StatusTemplate {
        export_href: xlsx_href("/plans/status", raw.as_deref()),
        periods: period_choices(&ctx, r.year, &r.period),
        rules: status_rules(&ctx, &r),
        plan_link: link_with("/plans", &[("org", org)], &[("year", r.year.to_string())]),
        has_plan: r.plan_id.is_some(),
        org_name: r.org_name.clone(),
        period: r.period.clone(),
        today: r.today.to_string(),
        ctx,
    };
    Ok(render(&template))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::plans::{parse_rule, template_2012, Condition};

    #[test]
    fn every_template_rule_goes_through_the_form_and_back() {
        for item in template_2012().items {
            let Some(rule) = item.rule else { continue };
            let mut values = FormValues::default();
            values.fill(&rule);
            let input = values.rule().unwrap();
            assert_eq!(parse_rule(&input).unwrap(), rule);
        }
    }

    #[test]
    fn nested_groups_come_from_flat_fields() {
        let fields: Vec<(String, String)> = [
            ("scope", "committee"),
            ("period", "quarter"),
            ("join", "all"),
            ("g1_join", "any"),
            ("g1_in", "top"),
            ("c1_in", "top"),
            ("c1_measure", "proposals_submitted"),
            ("c1_target", "2"),
            ("c2_in", "g1"),
            ("c2_measure", "info_forwarded"),
            ("c2_info_kind", "social_condition"),
            ("c2_target", "3"),
            ("c3_in", "g1"),
            ("c3_measure", "info_forwarded"),
            ("c3_info_kind", "work"),
            ("c3_target", "1"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let rule = parse_rule(&FormValues::from_fields(&fields).rule().unwrap()).unwrap();
        assert_eq!(rule.condition.depth(), 2);
        assert!(
            matches!(&rule.condition, Condition::All(cs) if matches!(cs[1], Condition::Any(_)))
        );
        // Nothing of a rule filled in: a text-only item.
        let text_only = vec![("text".to_string(), "联谊活动".to_string())];
        assert!(FormValues::from_fields(&text_only).rule().is_none());
    }
}
