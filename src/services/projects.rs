//! Key projects (重点项目): the district's projects a committee follows. Staff
//! enter them for a year (key or self-set, status, total investment, the
//! year's target, households to compensate) and report progress as dated
//! updates, never by overwriting; every member of the committee may read
//! them. The percentages and the sentences of a report are computed by
//! `domain::projects` from the latest update, never typed.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::cases::{bad_request, committee};
use super::steps::{check_version, parse_version, today};
use super::{non_blank, Actor};
use crate::app::i18n::{self, Locale};
use crate::domain::activities::parse_year;
use crate::domain::dates::parse_optional_id;
use crate::domain::orgs::{is_within, OrgKind};
use crate::domain::projects::{
    self as rules, check_update, format_money, parse_households, parse_money, Approx, ProjectKind,
    ProjectStatus, ProjectUpdate, TargetProgress,
};
use crate::domain::roles::Role;
use crate::domain::steps::step_date;
use crate::domain::text::{optional_text, required_line};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::services::error::AppError;
use crate::storage::orgs::Org;
use crate::storage::projects::{
    self as store, NewUpdate, Project, ProjectFilter, ProjectValues, UpdateRow,
};
use crate::storage::{audit, is_unique_violation, orgs, Db};

/// The longest project name, in characters.
pub const NAME_MAX_CHARS: usize = 100;
/// The longest notes of a project, in characters.
pub const NOTES_MAX_CHARS: usize = 2000;
/// The longest note of an update, in characters.
pub const NOTE_MAX_CHARS: usize = 500;

/// A project as a form or the API sends it; every field is text.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ProjectInput {
    /// The committee that follows it (default: the user's own).
    pub org_id: Option<String>,
    /// The year it is reported for, e.g. `2011`.
    pub year: String,
    /// The project's name, e.g. 二七万达广场 (at most 100 characters).
    pub project_name: String,
    /// key (重点项目) | self_set (自定项目)
    pub kind: String,
    /// under_construction | continuing | preparing | completed
    pub status: String,
    /// 总投资: whole 元 or with a unit: `500000000`, `5亿`, `300万`.
    pub total_investment: Option<String>,
    /// 年度目标: the year's planned investment, as `total_investment`.
    pub annual_target: Option<String>,
    /// Households to compensate (urban-village redevelopment), 0–1000000.
    pub households: Option<String>,
    /// Notes (at most 2,000 characters).
    pub notes: Option<String>,
    /// Edits: the version read.
    pub version: Option<String>,
}

/// A progress update as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct UpdateInput {
    /// The date the figures are as of (YYYY-MM-DD, in the project's year,
    /// not before the last update, not in the future); today when empty.
    pub on: Option<String>,
    /// Invested this year to date: whole 元 or `5亿`, `300万`.
    pub invested: Option<String>,
    /// Households compensated (已兑付) to date.
    pub compensated: Option<String>,
    /// Households demolished (已拆除) to date.
    pub demolished: Option<String>,
    /// What the update says; required when a figure goes down (a correction).
    pub note: Option<String>,
    /// The project's version as read.
    pub version: Option<String>,
}

/// List and figure filters as they arrive in a query string.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProjectQuery {
    pub org: Option<String>,
    pub year: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
}

/// A project's figures for its year, computed from its latest update.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectFigure {
    /// Invested this year to date (the latest update), whole 元.
    pub invested: Option<i64>,
    /// The investment against the year's target: `{"kind": "exceeded", "pct": 23}`,
    /// `{"kind": "reached"}` or `{"kind": "short", "pct": 85}`.
    #[schema(value_type = Option<Object>)]
    pub progress: Option<TargetProgress>,
    /// e.g. 超额完成20%.
    pub progress_text: Option<String>,
    /// Households compensated to date.
    pub compensated: Option<i64>,
    /// Their share of the households: `{"pct": 90, "exact": false}`.
    #[schema(value_type = Option<Object>)]
    pub compensated_share: Option<Approx>,
    /// Households demolished to date.
    pub demolished: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub demolished_share: Option<Approx>,
    /// The figures in words, as a report states them, e.g.
    /// 某广场：年度目标5亿元，已完成投资6亿元，超额完成20%.
    pub sentences: Vec<String>,
}

/// A project with its figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectItem {
    #[serde(flatten)]
    pub project: Project,
    pub figures: ProjectFigure,
}

/// A project with its figures and its updates, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectDetail {
    #[serde(flatten)]
    pub project: Project,
    pub figures: ProjectFigure,
    pub updates: Vec<UpdateRow>,
}

/// How many projects have a status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusCount {
    pub status: ProjectStatus,
    pub count: usize,
}

/// A committee's projects of a year, counted and each with its figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectFigures {
    pub org_id: i64,
    pub org_name: String,
    pub year: i32,
    pub total: usize,
    /// 重点项目.
    pub key: usize,
    /// 自定项目.
    pub self_set: usize,
    /// Every status, in order, with its count.
    pub by_status: Vec<StatusCount>,
    /// The counts in words, e.g. 共11个项目：重点项目7个，自定项目4个；动工在建3个，续建3个….
    pub summary: String,
    pub projects: Vec<ProjectItem>,
}

const STAFF: &[Role] = &[Role::Staff];

/// The committee whose projects the actor reads: staff any committee within
/// their subtree (their own by default), a member their own committee.
pub(crate) async fn reading_scope(
    db: &Db,
    actor: &Actor,
    org: Option<&str>,
) -> Result<Org, AppError> {
    match actor.role {
        Role::Staff => committee(db, actor, "org", org).await.map_err(bad_request),
        Role::Member => {
            let own = own_committee(db, actor).await?;
            let asked = parse_optional_id("org", org.unwrap_or(""))
                .map_err(|e| AppError::BadRequest(e.into()))?;
            match asked {
                Some(id) if id != own.id => Err(AppError::BadRequest(
                    FieldError::new("org", "unknown_org").into(),
                )),
                _ => Ok(own),
            }
        }
        _ => Err(AppError::Forbidden),
    }
}

/// A member's committee: their organisation, or the committee of their group.
pub(crate) async fn own_committee(db: &Db, actor: &Actor) -> Result<Org, AppError> {
    let org = orgs::get_org(db, actor.org_id)
        .await?
        .ok_or(AppError::Forbidden)?;
    if org.kind != OrgKind::Group.as_str() {
        return Ok(org);
    }
    let parent = org.parent_id.ok_or(AppError::Forbidden)?;
    orgs::get_org(db, parent).await?.ok_or(AppError::Forbidden)
}

/// Whether the actor may read the project: staff within their subtree, a
/// member of its committee.
async fn visible(db: &Db, actor: &Actor, p: &Project) -> Result<bool, AppError> {
    let Some(org) = orgs::get_org(db, p.org_id).await? else {
        return Ok(false);
    };
    Ok(match actor.role {
        Role::Staff => actor.sees(&org.path),
        Role::Member => {
            let own = own_committee(db, actor).await?;
            is_within(&org.path, &own.path)
        }
        _ => false,
    })
}

/// A project the actor may read; anything else is "not found".
pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Project, AppError> {
    actor.require(&[Role::Staff, Role::Member])?;
    let p = store::get(db, id).await?.ok_or(AppError::NotFound)?;
    if visible(db, actor, &p).await? {
        Ok(p)
    } else {
        Err(AppError::NotFound)
    }
}

/// A project with its figures and updates.
pub async fn detail(db: &Db, actor: &Actor, id: i64) -> Result<ProjectDetail, AppError> {
    let project = get(db, actor, id).await?;
    let updates = store::updates(db, id).await?;
    let figures = figure_of(actor.locale, &project, &updates);
    Ok(ProjectDetail {
        project,
        figures,
        updates,
    })
}

/// The year asked for, or the latest year with projects in the scope.
async fn year_of(db: &Db, org: &Org, asked: Option<&str>) -> Result<i32, AppError> {
    match asked {
        Some(y) => parse_year("year", y).map_err(|e| AppError::BadRequest(e.into())),
        None => {
            let latest = store::latest_year(db, &org.path).await?;
            let this_year = today().year();
            Ok(latest
                .and_then(|y| i32::try_from(y).ok())
                .map_or(this_year, |y| y.min(this_year)))
        }
    }
}

/// The committee, the year and the projects of a list or of the figures.
async fn select(
    db: &Db,
    actor: &Actor,
    q: &ProjectQuery,
) -> Result<(Org, i32, Vec<ProjectItem>), AppError> {
    let org = reading_scope(db, actor, non_blank(&q.org)).await?;
    let mut errors = FieldErrors::new();
    let kind = non_blank(&q.kind).and_then(|k| errors.check(ProjectKind::parse("kind", k)));
    let status = non_blank(&q.status).and_then(|s| errors.check(ProjectStatus::parse("status", s)));
    if !errors.is_empty() {
        return Err(AppError::BadRequest(errors));
    }
    let year = year_of(db, &org, non_blank(&q.year)).await?;
    let filter = ProjectFilter {
        scope_path: org.path.clone(),
        year: Some(i64::from(year)),
        kind,
        status,
    };
    let projects = store::list(db, &filter).await?;
    let updates = store::updates_of(db, &filter).await?;
    let items = projects
        .into_iter()
        .map(|project| {
            let own: Vec<UpdateRow> = updates
                .iter()
                .filter(|u| u.project_id == project.id)
                .cloned()
                .collect();
            let figures = figure_of(actor.locale, &project, &own);
            ProjectItem { project, figures }
        })
        .collect();
    Ok((org, year, items))
}

/// The projects of a committee and year (the latest year with projects by
/// default), key projects first, each with its figures.
pub async fn list(
    db: &Db,
    actor: &Actor,
    q: &ProjectQuery,
) -> Result<(Org, i32, Vec<ProjectItem>), AppError> {
    select(db, actor, q).await
}

/// The figures of a committee's year: counts by kind and status, and each
/// project's investment against its target and households, in words.
pub async fn figures(db: &Db, actor: &Actor, q: &ProjectQuery) -> Result<ProjectFigures, AppError> {
    let all = ProjectQuery {
        kind: None,
        status: None,
        ..q.clone()
    };
    let (org, year, projects) = select(db, actor, &all).await?;
    let pairs: Vec<(ProjectKind, ProjectStatus)> = projects
        .iter()
        .map(|p| (p.project.kind, p.project.status))
        .collect();
    let counts = rules::count(&pairs);
    let locale = actor.locale;
    let statuses: Vec<String> = counts
        .by_status
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| {
            i18n::t_with(
                locale,
                "project.count_of",
                &[
                    ("what", i18n::t(locale, s.label_key())),
                    ("n", n.to_string()),
                ],
            )
        })
        .collect();
    let summary = i18n::t_with(
        locale,
        "project.counts",
        &[
            ("total", projects.len().to_string()),
            ("key", counts.key.to_string()),
            ("self_set", counts.self_set.to_string()),
            (
                "statuses",
                statuses.join(&i18n::t(locale, "project.list_sep")),
            ),
        ],
    );
    Ok(ProjectFigures {
        org_id: org.id,
        org_name: org.name,
        year,
        total: projects.len(),
        key: counts.key,
        self_set: counts.self_set,
        by_status: counts
            .by_status
            .into_iter()
            .map(|(status, count)| StatusCount { status, count })
            .collect(),
        summary,
        projects,
    })
}

fn message(locale: Locale, (key, params): (&'static str, Vec<(&'static str, String)>)) -> String {
    i18n::t_with(locale, key, &params)
}

/// A project's figures for its year from its updates (in the order entered).
pub fn figure_of(locale: Locale, p: &Project, updates: &[UpdateRow]) -> ProjectFigure {
    let domain: Vec<ProjectUpdate> = updates.iter().map(UpdateRow::as_domain).collect();
    let year = i32::try_from(p.year).unwrap_or(i32::MAX);
    let latest = rules::latest(&domain, year);
    let f = rules::figures(&domain, year, p.annual_target, p.households);
    let progress_text = f.progress.map(|g| message(locale, g.message()));
    let mut sentences = Vec::new();
    let name = p.name.clone();
    if let Some(target) = p.annual_target {
        let mut params = vec![("name", name.clone()), ("target", format_money(target))];
        let key = match (f.invested, &progress_text) {
            (Some(invested), Some(progress)) => {
                params.push(("invested", format_money(invested)));
                params.push(("progress", progress.clone()));
                "project.sentence_investment"
            }
            _ => "project.sentence_target",
        };
        sentences.push(i18n::t_with(locale, key, &params));
    } else if let Some(invested) = f.invested {
        sentences.push(i18n::t_with(
            locale,
            "project.sentence_invested",
            &[("name", name.clone()), ("invested", format_money(invested))],
        ));
    }
    if let Some(total) = p.households {
        if latest.compensated.is_some() || latest.demolished.is_some() {
            let share = |n: i64| {
                rules::approx_percent(n, total)
                    .map(|a| message(locale, a.message()))
                    .unwrap_or_default()
            };
            let c = latest.compensated.unwrap_or(0);
            let d = latest.demolished.unwrap_or(0);
            sentences.push(i18n::t_with(
                locale,
                "project.sentence_households",
                &[
                    ("name", name.clone()),
                    ("total", total.to_string()),
                    ("compensated", c.to_string()),
                    ("compensated_pct", share(c)),
                    ("demolished", d.to_string()),
                    ("demolished_pct", share(d)),
                ],
            ));
        } else {
            sentences.push(i18n::t_with(
                locale,
                "project.sentence_households_none",
                &[("name", name), ("total", total.to_string())],
            ));
        }
    }
    ProjectFigure {
        invested: f.invested,
        progress: f.progress,
        progress_text,
        compensated: latest.compensated,
        compensated_share: f.compensated,
        demolished: latest.demolished,
        demolished_share: f.demolished,
        sentences,
    }
}

fn optional_money(
    errors: &mut FieldErrors,
    field: &'static str,
    input: &Option<String>,
) -> Option<i64> {
    non_blank(input).and_then(|v| errors.check(parse_money(field, v)))
}

fn optional_households(
    errors: &mut FieldErrors,
    field: &'static str,
    input: &Option<String>,
) -> Option<i64> {
    errors
        .check(parse_households(field, input.as_deref().unwrap_or("")))
        .flatten()
}

/// The validated values of a project, or every invalid field.
async fn validate(db: &Db, actor: &Actor, input: &ProjectInput) -> Result<ProjectValues, AppError> {
    let mut errors = FieldErrors::new();
    let org = match committee(db, actor, "org_id", non_blank(&input.org_id)).await {
        Ok(o) => Some(o),
        Err(AppError::Validation(e)) => {
            errors.0.extend(e.0);
            None
        }
        Err(e) => return Err(e),
    };
    let year = errors.check(parse_year("year", &input.year));
    let name = errors.check(required_line(
        "project_name",
        &input.project_name,
        NAME_MAX_CHARS,
    ));
    let kind = errors.check(ProjectKind::parse("kind", &input.kind));
    let status = errors.check(ProjectStatus::parse("status", &input.status));
    let total_investment = optional_money(&mut errors, "total_investment", &input.total_investment);
    let annual_target = optional_money(&mut errors, "annual_target", &input.annual_target);
    let households = optional_households(&mut errors, "households", &input.households);
    let notes = errors
        .check(optional_text(
            "notes",
            input.notes.as_deref().unwrap_or(""),
            NOTES_MAX_CHARS,
        ))
        .flatten();
    errors.into_result()?;
    let (Some(org), Some(year), Some(name), Some(kind), Some(status)) =
        (org, year, name, kind, status)
    else {
        return Err(AppError::internal("validated project fields missing"));
    };
    Ok(ProjectValues {
        org_id: org.id,
        year: i64::from(year),
        name,
        kind,
        status,
        total_investment,
        annual_target,
        households,
        notes: notes.unwrap_or_default(),
    })
}

fn audit_detail(v: &ProjectValues) -> serde_json::Value {
    serde_json::json!({
        "org_id": v.org_id, "year": v.year, "project_name": v.name, "kind": v.kind.as_str(),
        "status": v.status.as_str(), "total_investment": v.total_investment,
        "annual_target": v.annual_target, "households": v.households, "notes": v.notes,
    })
}

fn name_taken() -> AppError {
    FieldError::new("project_name", "project_name_taken").into()
}

/// Enter a project for a committee within the actor's subtree.
pub async fn create(db: &Db, actor: &Actor, input: &ProjectInput) -> Result<Project, AppError> {
    actor.require(STAFF)?;
    let values = validate(db, actor, input).await?;
    let mut tx = db.begin().await?;
    let id = match store::insert(&mut tx, &values, actor.user_id).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Err(name_taken()),
        Err(e) => return Err(e.into()),
    };
    audit::insert(
        &mut tx,
        &actor.audit(
            "create",
            "project",
            id,
            Some(audit_detail(&values).to_string()),
        ),
    )
    .await?;
    tx.commit().await?;
    store::get(db, id).await?.ok_or(AppError::NotFound)
}

/// Edit a project, on the version read.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &ProjectInput,
) -> Result<Project, AppError> {
    actor.require(STAFF)?;
    let before = get(db, actor, id).await?;
    let version = parse_version(&input.version)?;
    let values = validate(db, actor, input).await?;
    check_against_updates(&before, &values, &store::updates(db, id).await?)?;
    let mut tx = db.begin().await?;
    let updated = match store::update(&mut tx, id, version, &values).await {
        Ok(updated) => updated,
        Err(e) if is_unique_violation(&e) => return Err(name_taken()),
        Err(e) => return Err(e.into()),
    };
    check_version(updated)?;
    let detail =
        serde_json::json!({ "before_version": before.version, "after": audit_detail(&values) });
    audit::insert(
        &mut tx,
        &actor.audit("update", "project", id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    store::get(db, id).await?.ok_or(AppError::NotFound)
}

/// An edit may not move a project with updates to another year (they are
/// that year's figures), nor make its households fewer than those reported.
fn check_against_updates(
    before: &Project,
    values: &ProjectValues,
    updates: &[UpdateRow],
) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    if !updates.is_empty() && values.year != before.year {
        errors.push(FieldError::new("year", "project_year_has_updates").with("year", before.year));
    }
    // The latest figures (a correction may have lowered earlier ones).
    let domain: Vec<ProjectUpdate> = updates.iter().map(UpdateRow::as_domain).collect();
    let last = rules::latest(&domain, i32::MAX);
    let reported = last.compensated.max(last.demolished);
    if let (Some(total), Some(reported)) = (values.households, reported) {
        if total < reported {
            errors.push(
                FieldError::new("households", "project_households_below_reported")
                    .with("reported", reported),
            );
        }
    }
    errors.into_result()
}

/// The date of an update: today when empty, not in the future, in the project's year.
fn update_date(errors: &mut FieldErrors, input: &Option<String>, year: i64) -> Option<NaiveDate> {
    let on = step_date(errors, "on", input.as_deref().unwrap_or(""), today())?;
    if i64::from(on.year()) != year {
        errors.push(FieldError::new("on", "project_update_year").with("year", year));
        return None;
    }
    Some(on)
}

/// Report progress on a project: a dated update, checked against the earlier
/// ones (`domain::projects::check_update`), on the version read.
pub async fn add_update(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &UpdateInput,
) -> Result<ProjectDetail, AppError> {
    actor.require(STAFF)?;
    let project = get(db, actor, id).await?;
    let version = parse_version(&input.version)?;
    let mut errors = FieldErrors::new();
    let on = update_date(&mut errors, &input.on, project.year);
    let invested = optional_money(&mut errors, "invested", &input.invested);
    let compensated = optional_households(&mut errors, "compensated", &input.compensated);
    let demolished = optional_households(&mut errors, "demolished", &input.demolished);
    let note = errors
        .check(optional_text(
            "note",
            input.note.as_deref().unwrap_or(""),
            NOTE_MAX_CHARS,
        ))
        .flatten()
        .unwrap_or_default();
    let nothing_given = [&input.invested, &input.compensated, &input.demolished]
        .iter()
        .all(|v| non_blank(v).is_none());
    if nothing_given {
        errors.push(FieldError::new("invested", "project_update_empty"));
    }
    errors.into_result()?;
    let Some(on) = on else {
        return Err(AppError::internal("validated update date missing"));
    };
    let next = ProjectUpdate {
        on,
        invested,
        compensated,
        demolished,
        note,
    };
    let earlier: Vec<ProjectUpdate> = store::updates(db, id)
        .await?
        .iter()
        .map(UpdateRow::as_domain)
        .collect();
    check_update(&earlier, &next, project.households)?;
    let mut tx = db.begin().await?;
    // The version moves on with every update: the checks above were made on
    // the updates of this version.
    check_version(store::touch(&mut tx, id, version).await?)?;
    let update_id = store::insert_update(
        &mut tx,
        &NewUpdate {
            project_id: id,
            update: &next,
            user_id: Some(actor.user_id),
            username: Some(&actor.username),
        },
    )
    .await?;
    let audit_row = serde_json::json!({
        "update_id": update_id, "on": next.on, "invested": next.invested,
        "compensated": next.compensated, "demolished": next.demolished, "note": next.note,
    });
    audit::insert(
        &mut tx,
        &actor.audit("project_update", "project", id, Some(audit_row.to_string())),
    )
    .await?;
    tx.commit().await?;
    detail(db, actor, id).await
}
