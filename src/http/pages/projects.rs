//! Key project pages: a committee's projects of a year as cards (their
//! status as a badge, their figures in words, the year's counts on top), one
//! project with its updates as a timeline and the form to report progress,
//! and the form to enter or edit a project.

use askama::Template;
use axum::extract::State;
use axum::http::{Method, StatusCode};

use crate::domain::projects::{format_money, ProjectKind, ProjectStatus};
use crate::domain::roles::Role;
use crate::domain::validation::FieldErrors;
use crate::http::auth::{Access, ApiQuery, PageActor, PageForm, PathId};
use crate::http::flash::{self, Flash};
use crate::http::forms::{choices, Choice};
#[allow(unused_imports)] // called by the templates
use crate::http::render::Toned;
use crate::http::render::{
    error_page, link_with, render, render_status, Ctx, ForEdit, ForForm, ForPage, PageResult,
    Refused,
};
use crate::http::{route, AppState, RouteSpec};
use crate::services::error::AppError;
use crate::services::projects::{
    self as service, ProjectDetail, ProjectInput, ProjectItem, ProjectQuery, UpdateInput,
};
use crate::storage::projects::Project;

pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::{Member, Staff};
    use Access::Roles;
    const STAFF: Access = Roles(&[Staff]);
    const BOTH: Access = Roles(&[Staff, Member]);
    vec![
        route(Method::GET, "/projects", BOTH, list),
        route(Method::POST, "/projects", STAFF, create),
        route(Method::GET, "/projects/new", STAFF, new_form),
        route(Method::GET, "/projects/{id}", BOTH, show),
        route(Method::POST, "/projects/{id}", STAFF, update),
        route(Method::GET, "/projects/{id}/edit", STAFF, edit_form),
        route(Method::POST, "/projects/{id}/updates", STAFF, add_update),
    ]
}

/// A project as a card of the list.
pub struct Card {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub tone: &'static str,
    pub total_investment: String,
    pub annual_target: String,
    pub sentences: Vec<String>,
}

fn money(v: Option<i64>) -> String {
    v.map(format_money).unwrap_or_default()
}

fn card(ctx: &Ctx, item: &ProjectItem) -> Card {
    let p = &item.project;
    Card {
        id: p.id,
        name: p.name.clone(),
        kind: ctx.t(p.kind.label_key()),
        status: ctx.t(p.status.label_key()),
        tone: p.status.tone(),
        total_investment: money(p.total_investment),
        annual_target: money(p.annual_target),
        sentences: item.figures.sentences.clone(),
    }
}

fn kind_choices(ctx: &Ctx, selected: &str) -> Vec<Choice> {
    choices(
        ProjectKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), ctx.t(k.label_key()))),
        selected,
    )
}

fn status_choices(ctx: &Ctx, selected: &str) -> Vec<Choice> {
    choices(
        ProjectStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), ctx.t(s.label_key()))),
        selected,
    )
}

#[derive(Template)]
#[template(path = "projects/list.html")]
struct ListTemplate {
    ctx: Ctx,
    org_name: String,
    year: i32,
    summary: String,
    cards: Vec<Card>,
    kinds: Vec<Choice>,
    statuses: Vec<Choice>,
    prev: String,
    next: String,
    is_staff: bool,
}

pub async fn list(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<ProjectQuery>,
) -> PageResult {
    let (_, _, items) = service::list(&state.db, &page.actor, &q)
        .await
        .for_page(&page)?;
    // The counts are the whole year's, whatever the filter shows.
    let f = service::figures(&state.db, &page.actor, &q)
        .await
        .for_page(&page)?;
    let ctx = Ctx::for_page(&page, "projects");
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let keep = [
        ("org", v(&q.org)),
        ("kind", v(&q.kind)),
        ("status", v(&q.status)),
    ];
    let template = ListTemplate {
        cards: items.iter().map(|i| card(&ctx, i)).collect(),
        kinds: kind_choices(&ctx, &v(&q.kind)),
        statuses: status_choices(&ctx, &v(&q.status)),
        prev: link_with("/projects", &keep, &[("year", (f.year - 1).to_string())]),
        next: link_with("/projects", &keep, &[("year", (f.year + 1).to_string())]),
        org_name: f.org_name,
        year: f.year,
        summary: f.summary,
        is_staff: page.actor.role == Role::Staff,
        ctx,
    };
    Ok(render(&template))
}

#[derive(Template)]
#[template(path = "projects/form.html")]
struct FormTemplate {
    ctx: Ctx,
    /// Where the form posts: `/projects` or `/projects/{id}`.
    action: String,
    editing: bool,
    conflict: bool,
    input: ProjectInput,
    errors: FieldErrors,
    kinds: Vec<Choice>,
    statuses: Vec<Choice>,
}

fn form_page(
    page: &PageActor,
    action: String,
    input: ProjectInput,
    errors: FieldErrors,
) -> FormTemplate {
    let ctx = Ctx::for_page(page, "projects");
    FormTemplate {
        kinds: kind_choices(&ctx, &input.kind),
        statuses: status_choices(&ctx, &input.status),
        editing: action != "/projects",
        conflict: false,
        action,
        input,
        errors,
        ctx,
    }
}

pub async fn new_form(page: PageActor) -> PageResult {
    let input = ProjectInput {
        year: crate::app::clock::today().format("%Y").to_string(),
        kind: ProjectKind::Key.as_str().into(),
        status: ProjectStatus::UnderConstruction.as_str().into(),
        ..Default::default()
    };
    Ok(render(&form_page(
        &page,
        "/projects".into(),
        input,
        FieldErrors::new(),
    )))
}

pub async fn create(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<ProjectInput>,
) -> PageResult {
    let created = service::create(&state.db, &page.actor, &form)
        .await
        .for_form(&page)?;
    match created {
        Ok(p) => Ok(flash::redirect(
            &format!("/projects/{}", p.id),
            Flash::Created,
        )),
        Err(errors) => {
            let again = form_page(&page, "/projects".into(), form, errors);
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &again))
        }
    }
}

/// A project's current values as form input (money in whole 元).
fn input_of(p: &Project) -> ProjectInput {
    let text = |v: Option<i64>| v.map(|n| n.to_string());
    ProjectInput {
        org_id: Some(p.org_id.to_string()),
        year: p.year.to_string(),
        project_name: p.name.clone(),
        kind: p.kind.as_str().into(),
        status: p.status.as_str().into(),
        total_investment: text(p.total_investment),
        annual_target: text(p.annual_target),
        households: text(p.households),
        notes: Some(p.notes.clone()),
        version: Some(p.version.to_string()),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
) -> PageResult {
    let p = service::get(&state.db, &page.actor, id)
        .await
        .for_page(&page)?;
    Ok(render(&form_page(
        &page,
        format!("/projects/{id}"),
        input_of(&p),
        FieldErrors::new(),
    )))
}

pub async fn update(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<ProjectInput>,
) -> PageResult {
    let action = format!("/projects/{id}");
    let saved = service::update(&state.db, &page.actor, id, &form)
        .await
        .for_edit(&page)?;
    match saved {
        Ok(_) => Ok(flash::redirect(&action, Flash::Saved)),
        Err(Refused::Invalid(errors)) => {
            let again = form_page(&page, action, form, errors);
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &again))
        }
        // Someone saved first: the form again with what was typed and the
        // new version, so that saving again is a conscious choice.
        Err(Refused::Conflict(_)) => {
            let mut form = form;
            let current = service::get(&state.db, &page.actor, id)
                .await
                .for_page(&page)?;
            form.version = Some(current.version.to_string());
            let mut again = form_page(&page, action, form, FieldErrors::new());
            again.conflict = true;
            Ok(render_status(StatusCode::CONFLICT, &again))
        }
    }
}

/// An update as the timeline shows it.
pub struct UpdateRow {
    pub on: String,
    pub at: String,
    pub who: String,
    /// The figures it gives, in words.
    pub figures: Vec<String>,
    pub note: String,
}

#[derive(Template)]
#[template(path = "projects/show.html")]
struct ShowTemplate {
    ctx: Ctx,
    d: ProjectDetail,
    kind: String,
    status: String,
    tone: &'static str,
    total_investment: String,
    annual_target: String,
    updates: Vec<UpdateRow>,
    is_staff: bool,
    input: UpdateInput,
    errors: FieldErrors,
    conflict: bool,
}

fn show_template(
    page: &PageActor,
    d: ProjectDetail,
    input: UpdateInput,
    errors: FieldErrors,
    conflict: bool,
) -> ShowTemplate {
    let ctx = Ctx::for_page(page, "projects");
    let t =
        |key: &str, value: String| crate::app::i18n::t_with(ctx.locale, key, &[("value", value)]);
    // Newest first: the current figures on top.
    let updates = d
        .updates
        .iter()
        .rev()
        .map(|u| {
            let mut figures = Vec::new();
            if let Some(i) = u.invested {
                figures.push(t("project.update_invested", format_money(i)));
            }
            if let Some(c) = u.compensated {
                figures.push(t("project.update_compensated", c.to_string()));
            }
            if let Some(n) = u.demolished {
                figures.push(t("project.update_demolished", n.to_string()));
            }
            UpdateRow {
                on: u.occurred_on.to_string(),
                at: crate::app::clock::shown(u.at),
                who: u
                    .user_name
                    .clone()
                    .or_else(|| u.username.clone())
                    .unwrap_or_default(),
                figures,
                note: u.note.clone(),
            }
        })
        .collect();
    let version = d.project.version.to_string();
    ShowTemplate {
        kind: ctx.t(d.project.kind.label_key()),
        status: ctx.t(d.project.status.label_key()),
        tone: d.project.status.tone(),
        total_investment: money(d.project.total_investment),
        annual_target: money(d.project.annual_target),
        updates,
        is_staff: page.actor.role == Role::Staff,
        input: UpdateInput {
            version: Some(version),
            ..input
        },
        errors,
        conflict,
        d,
        ctx,
    }
}

pub async fn show(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
) -> PageResult {
    let d = service::detail(&state.db, &page.actor, id)
        .await
        .for_page(&page)?;
    Ok(render(&show_template(
        &page,
        d,
        UpdateInput::default(),
        FieldErrors::new(),
        false,
    )))
}

pub async fn add_update(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<UpdateInput>,
) -> PageResult {
    let status = match service::add_update(&state.db, &page.actor, id, &form).await {
        Ok(_) => return Ok(flash::redirect(&format!("/projects/{id}"), Flash::Recorded)),
        Err(AppError::Validation(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        // Someone reported first: the project as it is now, with what this
        // user typed kept in the form (and the new version), to send again on purpose.
        Err(AppError::Conflict(_)) => (StatusCode::CONFLICT, FieldErrors::new()),
        Err(e) => return Ok(error_page(page.actor.locale, Some(&page), e)),
    };
    let (status, errors) = status;
    let d = service::detail(&state.db, &page.actor, id)
        .await
        .for_page(&page)?;
    let conflict = status == StatusCode::CONFLICT;
    Ok(render_status(
        status,
        &show_template(&page, d, form, errors, conflict),
    ))
}
