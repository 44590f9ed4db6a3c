//! Information report pages: the list (filtered by kind, status and dates,
//! paged), the form to submit or edit, one report with its adoptions,
//! instructions, timeline and the steps the user may take, and the quarterly
//! figures against the plan.

use crate::http::files::{xlsx_href, xlsx_list_on_page};
use crate::services::exports::{FormatParam, ListFormat, ListQuery};
use askama::Template;
use axum::extract::RawQuery;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::Response;

use crate::domain::info::{AdoptionLevel, InfoAction, InfoKind, InfoStatus};
use crate::domain::roles::Role;
use crate::domain::validation::FieldErrors;
use crate::http::auth::{Access, ApiQuery, PageActor, PageForm, PathId};
use crate::http::flash::{self, Flash};
use crate::http::forms::{check_confirmed, choices, step_choices, Choice, Confirmed, StepChoice};
#[allow(unused_imports)] // called by the templates
use crate::http::render::Toned;
use crate::http::render::{
    error_page, link_with, render, render_status, Ctx, ForEdit, ForForm, ForPage, PageError,
    PageResult, Refused,
};
use crate::http::timeline::{self, EventRow, Labels};
use crate::http::{route, AppState, RouteSpec};
use crate::services::error::AppError;
use crate::services::info::{
    self as service, FigureQuery, InfoDetail, InfoFigures, InfoInput, InfoQuery, InfoStepInput,
    QuarterFigures,
};
use crate::services::members as member_service;
use crate::storage::info::InfoReport;

pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::{Member, Staff};
    use Access::Roles;
    const STAFF: Access = Roles(&[Staff]);
    const BOTH: Access = Roles(&[Staff, Member]);
    vec![
        route(Method::GET, "/info", BOTH, list),
        route(Method::POST, "/info", BOTH, create),
        route(Method::GET, "/info/new", BOTH, new_form),
        route(Method::GET, "/info/figures", STAFF, figures),
        route(Method::GET, "/info/{id}", BOTH, show),
        route(Method::POST, "/info/{id}", BOTH, update),
        route(Method::GET, "/info/{id}/edit", BOTH, edit_form),
        route(Method::POST, "/info/{id}/steps", BOTH, take_step),
    ]
}

fn current_key(page: &PageActor) -> &'static str {
    if page.actor.role == Role::Member {
        "my_info"
    } else {
        "info"
    }
}

fn kind_label(ctx: &Ctx, kind: &str) -> String {
    InfoKind::parse("kind", kind)
        .map(|k| ctx.t(k.label_key()))
        .unwrap_or_else(|_| kind.to_string())
}

fn status_label(ctx: &Ctx, status: &str) -> String {
    InfoStatus::parse("status", status)
        .map(|s| ctx.t(s.label_key()))
        .unwrap_or_else(|_| status.to_string())
}

fn level_label(ctx: &Ctx, level: &str) -> String {
    AdoptionLevel::parse("level", level)
        .map(|l| ctx.t(l.label_key()))
        .unwrap_or_else(|_| level.to_string())
}

fn kind_choices(ctx: &Ctx, selected: &str) -> Vec<Choice> {
    choices(
        InfoKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), ctx.t(k.label_key()))),
        selected,
    )
}

/// A report as a row of the list.
pub struct InfoRow {
    pub id: i64,
    pub submitted_on: String,
    pub kind: String,
    pub title: String,
    pub author: String,
    pub status: String,
}

fn row(ctx: &Ctx, r: &InfoReport) -> InfoRow {
    InfoRow {
        id: r.id,
        submitted_on: r.submitted_on.to_string(),
        kind: kind_label(ctx, &r.kind),
        title: r.title.clone(),
        author: r
            .author_name
            .clone()
            .unwrap_or_else(|| ctx.t("info.committee_own")),
        status: ctx.t(r.status.label_key()),
    }
}

#[derive(Template)]
#[template(path = "info/list.html")]
struct ListTemplate {
    ctx: Ctx,
    rows: Vec<InfoRow>,
    total: i64,
    page: u32,
    pages: u32,
    prev: String,
    next: String,
    kinds: Vec<Choice>,
    statuses: Vec<Choice>,
    from: String,
    to: String,
    is_staff: bool,
    /// The list as an Excel workbook, with the filters set.
    export_href: String,
}

pub async fn list(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<InfoQuery>,
    ApiQuery(wanted): ApiQuery<FormatParam>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    if wanted.format().for_page(&page)? == ListFormat::Xlsx {
        let list = ListQuery::Info(q.clone());
        return xlsx_list_on_page(&state, &page.actor, list, raw.as_deref())
            .await
            .for_page(&page);
    }
    let (items, total, request) = service::list_page(&state.db, &page.actor, &q)
        .await
        .for_page(&page)?;
    let ctx = Ctx::for_page(&page, current_key(&page));
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let params = [
        ("kind", v(&q.kind)),
        ("status", v(&q.status)),
        ("from", v(&q.from)),
        ("to", v(&q.to)),
        ("org", v(&q.org)),
        ("per_page", v(&q.per_page)),
    ];
    let pager = crate::http::render::pager("/info", &params, &request, total);
    let template = ListTemplate {
        export_href: xlsx_href("/info", raw.as_deref()),
        rows: items.iter().map(|r| row(&ctx, r)).collect(),
        total,
        page: request.page,
        pages: pager.pages,
        prev: pager.prev,
        next: pager.next,
        kinds: kind_choices(&ctx, &v(&q.kind)),
        statuses: choices(
            InfoStatus::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), ctx.t(s.label_key()))),
            &v(&q.status),
        ),
        from: v(&q.from),
        to: v(&q.to),
        is_staff: page.actor.role == Role::Staff,
        ctx,
    };
    Ok(render(&template))
}

#[derive(Template)]
#[template(path = "info/form.html")]
struct FormTemplate {
    ctx: Ctx,
    /// Where the form posts: `/info` or `/info/{id}`.
    action: String,
    editing: bool,
    conflict: bool,
    input: InfoInput,
    errors: FieldErrors,
    kinds: Vec<Choice>,
    authors: Vec<Choice>,
    is_staff: bool,
    max_chars: u32,
}

async fn form_page(
    state: &AppState,
    page: &PageActor,
    action: String,
    input: InfoInput,
    errors: FieldErrors,
) -> Result<FormTemplate, PageError> {
    let ctx = Ctx::for_page(page, current_key(page));
    let is_staff = page.actor.role == Role::Staff;
    let editing = action != "/info";
    let mut authors = Vec::new();
    if is_staff && !editing {
        authors.push(Choice {
            value: String::new(),
            label: ctx.t("info.committee_own"),
            selected: false,
        });
        let names = member_service::names(&state.db, &page.actor, true)
            .await
            .for_page(page)?;
        authors.extend(choices(
            names.into_iter().map(|(id, name)| (id.to_string(), name)),
            input.author_member_id.as_deref().unwrap_or(""),
        ));
    }
    Ok(FormTemplate {
        kinds: kind_choices(&ctx, &input.kind),
        editing,
        conflict: false,
        action,
        input,
        errors,
        authors,
        is_staff,
        max_chars: state.settings.info_max_chars,
        ctx,
    })
}

pub async fn new_form(State(state): State<AppState>, page: PageActor) -> PageResult {
    let input = InfoInput {
        kind: InfoKind::SocialCondition.as_str().into(),
        submitted_on: Some(crate::app::clock::today().to_string()),
        ..Default::default()
    };
    let form = form_page(&state, &page, "/info".into(), input, FieldErrors::new()).await?;
    Ok(render(&form))
}

pub async fn create(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<InfoInput>,
) -> PageResult {
    let created = service::create(&state.db, &page.actor, state.settings.info_max_chars, &form)
        .await
        .for_form(&page)?;
    match created {
        Ok(r) => Ok(flash::redirect(&format!("/info/{}", r.id), Flash::Created)),
        Err(errors) => {
            let again = form_page(&state, &page, "/info".into(), form, errors).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &again))
        }
    }
}

/// A report's current values as form input.
fn input_of(r: &InfoReport) -> InfoInput {
    InfoInput {
        kind: r.kind.clone(),
        headline: r.title.clone(),
        text: r.body.clone(),
        author_member_id: r.author_member_id.map(|id| id.to_string()),
        org_id: Some(r.org_id.to_string()),
        submitted_on: Some(r.submitted_on.to_string()),
        version: Some(r.version.to_string()),
        on: None,
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
) -> PageResult {
    let r = service::get(&state.db, &page.actor, id)
        .await
        .for_page(&page)?;
    Ok(render(
        &form_page(
            &state,
            &page,
            format!("/info/{id}"),
            input_of(&r),
            FieldErrors::new(),
        )
        .await?,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<InfoInput>,
) -> PageResult {
    let action = format!("/info/{id}");
    let max_chars = state.settings.info_max_chars;
    let saved = service::update(&state.db, &page.actor, max_chars, id, &form)
        .await
        .for_edit(&page)?;
    match saved {
        Ok(_) => Ok(flash::redirect(&action, Flash::Saved)),
        Err(Refused::Invalid(errors)) => {
            let again = form_page(&state, &page, action, form, errors).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &again))
        }
        // Someone saved first: the form again with what was typed and the new
        // version, so that saving again is a conscious choice.
        Err(Refused::Conflict(_)) => {
            let mut form = form;
            let current = service::get(&state.db, &page.actor, id)
                .await
                .for_page(&page)?;
            form.version = Some(current.version.to_string());
            let mut again = form_page(&state, &page, action, form, FieldErrors::new()).await?;
            again.conflict = true;
            Ok(render_status(StatusCode::CONFLICT, &again))
        }
    }
}

/// An adoption as shown.
pub struct AdoptionRow {
    pub on: String,
    pub level: String,
    pub publication: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "info/show.html")]
struct ShowTemplate {
    ctx: Ctx,
    d: InfoDetail,
    kind: String,
    status: String,
    author: String,
    chars: usize,
    adoptions: Vec<AdoptionRow>,
    events: Vec<EventRow>,
    /// The steps this user may take now (besides editing).
    actions: Vec<StepChoice>,
    may_edit: bool,
    is_staff: bool,
    levels: Vec<Choice>,
    input: InfoStepInput,
    errors: FieldErrors,
    conflict: bool,
}

/// The steps (other than editing) the user may take on a report in `status`.
fn actions_for(role: Role, status: InfoStatus) -> Vec<InfoAction> {
    InfoAction::ALL
        .into_iter()
        .filter(|a| *a != InfoAction::Edit)
        .filter(|a| match role {
            Role::Staff => {
                *a != InfoAction::Withdraw && crate::domain::info::can_move(status, *a).is_ok()
            }
            Role::Member => {
                matches!(crate::domain::info::author_may(status, *a), Some(Ok(_)))
            }
            _ => false,
        })
        .collect()
}

fn may_edit(role: Role, status: InfoStatus) -> bool {
    match role {
        Role::Staff => crate::domain::info::can_move(status, InfoAction::Edit).is_ok(),
        Role::Member => matches!(
            crate::domain::info::author_may(status, InfoAction::Edit),
            Some(Ok(_))
        ),
        _ => false,
    }
}

async fn show_page(
    state: &AppState,
    page: &PageActor,
    id: i64,
    input: InfoStepInput,
    errors: FieldErrors,
    conflict: bool,
) -> Result<ShowTemplate, AppError> {
    let d = service::detail(&state.db, &page.actor, id).await?;
    let ctx = Ctx::for_page(page, current_key(page));
    let role = page.actor.role;
    let events = timeline::rows(
        &d.events,
        Labels {
            action: |a: &str| {
                InfoAction::parse("action", a)
                    .map(|a| ctx.t(a.label_key()))
                    .unwrap_or_else(|_| ctx.t("info.event.submit"))
            },
            status: |s: &str| status_label(&ctx, s),
            // An adoption sets down its level (stored as its code) and where.
            detail: |a: &str, d: &str| match (a, d.split_once(" · ").unwrap_or((d, ""))) {
                ("adopt", (level, rest)) => {
                    let level = AdoptionLevel::parse("level", level)
                        .map_or_else(|_| level.to_string(), |l| ctx.t(l.label_key()));
                    if rest.is_empty() {
                        level
                    } else {
                        format!("{level} · {rest}")
                    }
                }
                _ => d.to_string(),
            },
            nobody: String::new(),
        },
    );
    let adoptions = d
        .adoptions
        .iter()
        .map(|a| AdoptionRow {
            on: a.adopted_on.to_string(),
            level: level_label(&ctx, &a.level),
            publication: a.publication.clone().unwrap_or_default(),
            note: a.note.clone().unwrap_or_default(),
        })
        .collect();
    let selected = input.action.clone();
    Ok(ShowTemplate {
        kind: kind_label(&ctx, &d.report.kind),
        status: ctx.t(d.report.status.label_key()),
        author: d
            .report
            .author_name
            .clone()
            .unwrap_or_else(|| ctx.t("info.committee_own")),
        chars: d.report.body.chars().count(),
        adoptions,
        events,
        actions: step_choices(
            &actions_for(role, d.report.status),
            |a| a.as_str(),
            |a| ctx.t(a.label_key()),
            InfoAction::asks_first,
            &selected,
        ),
        may_edit: may_edit(role, d.report.status),
        is_staff: role == Role::Staff,
        levels: choices(
            AdoptionLevel::ALL
                .iter()
                .map(|l| (l.as_str().to_string(), ctx.t(l.label_key()))),
            input.level.as_deref().unwrap_or(""),
        ),
        input,
        errors,
        conflict,
        d,
        ctx,
    })
}

pub async fn show(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
) -> PageResult {
    let t = show_page(
        &state,
        &page,
        id,
        InfoStepInput::default(),
        FieldErrors::new(),
        false,
    )
    .await
    .for_page(&page)?;
    Ok(render(&t))
}

pub async fn take_step(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<Confirmed<InfoStepInput>>,
) -> Response {
    let confirmed = form.is_confirmed();
    let form = form.input;
    let asks_first = InfoAction::parse("action", &form.action).is_ok_and(|a| a.asks_first());
    let taken = match check_confirmed(asks_first, confirmed) {
        Ok(()) => service::step(&state.db, &page.actor, id, &form).await,
        Err(refused) => Err(refused),
    };
    match taken {
        Ok(_) => flash::redirect(&format!("/info/{id}"), Flash::StepTaken),
        Err(AppError::Validation(errors)) => {
            match show_page(&state, &page, id, form, errors, false).await {
                Ok(t) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &t),
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            }
        }
        // Someone else changed the report first: show it as it is now, with
        // what this user typed kept in the form, to send again on purpose.
        Err(AppError::Conflict(_)) => {
            match show_page(&state, &page, id, form, FieldErrors::new(), true).await {
                Ok(t) => render_status(StatusCode::CONFLICT, &t),
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            }
        }
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

#[derive(Template)]
#[template(path = "info/figures.html")]
struct FiguresTemplate {
    ctx: Ctx,
    f: InfoFigures,
    rows: Vec<QuarterRow>,
    prev: String,
    next: String,
}

/// One row of the figures table.
pub struct QuarterRow {
    pub label: String,
    pub q: QuarterFigures,
    pub plan: String,
    pub met: bool,
}

pub async fn figures(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<FigureQuery>,
) -> PageResult {
    let f = service::figures(&state.db, &page.actor, &q)
        .await
        .for_page(&page)?;
    let ctx = Ctx::for_page(&page, "info");
    let plan = |met: bool| {
        ctx.t(if met {
            "info.plan_met"
        } else {
            "info.plan_missed"
        })
    };
    let mut rows: Vec<QuarterRow> = f
        .quarters
        .iter()
        .map(|q| QuarterRow {
            label: crate::app::i18n::t_with(
                ctx.locale,
                "info.quarter",
                &[("n", q.quarter.to_string())],
            ),
            q: q.clone(),
            plan: plan(q.plan_met),
            met: q.plan_met,
        })
        .collect();
    rows.push(QuarterRow {
        label: ctx.t("info.whole_year"),
        q: f.year_total.clone(),
        plan: plan(f.year_total.plan_met),
        met: f.year_total.plan_met,
    });
    let keep = [("org", q.org.clone().unwrap_or_default())];
    let year = f.year;
    let template = FiguresTemplate {
        prev: link_with("/info/figures", &keep, &[("year", (year - 1).to_string())]),
        next: link_with("/info/figures", &keep, &[("year", (year + 1).to_string())]),
        rows,
        f,
        ctx,
    };
    Ok(render(&template))
}
