//! Case pages: the board by status with the figures, one case with its
//! timeline and the steps the user may take, the department's inbox, and
//! the public page where citizens write in and track their case.

use crate::http::files::xlsx_list_on_page;
use crate::services::exports::{FormatParam, ListFormat, ListQuery};
use axum::extract::RawQuery;
use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::app::i18n::Locale;
use crate::domain::cases::{CaseAction, CaseSource, CaseStatus, Satisfaction};
use crate::domain::paging::PageRequest;
use crate::domain::roles::Role::{self, Department, Member, Staff};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::http::auth::{visitor_locale, Access, ApiQuery, PageActor, PageForm, PathId};
use crate::http::flash::{self, Flash};
use crate::http::forms::{check_confirmed, step_choices, Confirmed, StepChoice};
#[allow(unused_imports)] // called by the templates
use crate::http::render::Toned;
use crate::http::render::{
    error_page, link_with, pager, render, render_status, Ctx, ForPage, PageResult, Pager,
};
use crate::http::timeline::{self, EventRow, Labels};
use crate::http::{route, AppState, RouteSpec};
use crate::services::cases::{
    self as service, CaseDetail, CaseInput, CaseQuery, Figures, PublicCaseInput, PublicStatus,
    StepInput,
};
use crate::services::error::AppError;
use crate::storage::cases::Case;
use crate::storage::orgs::Department as Dept;

pub fn routes() -> Vec<RouteSpec> {
    const STAFF: Access = Access::Roles(&[Staff]);
    const HANDLERS: Access = Access::Roles(&[Staff, Department]);
    vec![
        // Staff get the board; a member the list of the cases they took up.
        route(
            Method::GET,
            "/cases",
            Access::Roles(&[Staff, Member]),
            board,
        ),
        route(Method::POST, "/cases", STAFF, create),
        route(
            Method::GET,
            "/cases/{id}",
            Access::Roles(service::READERS),
            show,
        ),
        route(Method::POST, "/cases/{id}/steps", HANDLERS, take_step),
        route(Method::GET, "/inbox", Access::Roles(&[Department]), inbox),
        route(Method::GET, "/public/{id}", Access::Public, public_form),
        route(Method::POST, "/public/{id}", Access::Public, public_submit),
        route(Method::GET, "/track", Access::Public, track_form),
        route(Method::POST, "/track", Access::Public, track),
    ]
}

/// A case on the board or in the inbox.
pub struct CaseCard {
    pub id: i64,
    pub title: String,
    pub community: String,
    pub received_on: String,
    pub department: String,
    pub due_on: String,
    pub status: String,
    pub tone: &'static str,
    pub overdue: bool,
    pub escalations: i64,
}

fn card(ctx: &Ctx, c: &Case) -> CaseCard {
    CaseCard {
        id: c.id,
        title: c.title.clone(),
        community: c.community.clone(),
        received_on: c.received_on.to_string(),
        department: c.department_name.clone().unwrap_or_default(),
        due_on: c.due_on.map(|d| d.to_string()).unwrap_or_default(),
        status: ctx.t(c.status.label_key()),
        tone: c.status.tone(),
        overdue: service::overdue(c),
        escalations: c.escalations,
    }
}

fn status_label(ctx: &Ctx, status: &str) -> String {
    CaseStatus::parse("status", status)
        .map(|s| ctx.t(s.label_key()))
        .unwrap_or_else(|_| status.to_string())
}

/// One column of the board: the first cards of a status, how many cases
/// are in it, and the link to all of them.
pub struct Column {
    pub label: String,
    pub total: i64,
    pub all_href: String,
    pub cards: Vec<CaseCard>,
}

#[derive(Template)]
#[template(path = "cases/board.html")]
struct BoardTemplate {
    ctx: Ctx,
    from: String,
    to: String,
    columns: Vec<Column>,
    figures: Figures,
    average: String,
    input: CaseInput,
    errors: FieldErrors,
    /// Every case of the dates chosen as an Excel workbook.
    export_href: String,
}

/// The date filters a board or list link carries on.
fn range_params(q: &CaseQuery) -> Vec<(&'static str, String)> {
    vec![
        ("from", q.from.clone().unwrap_or_default()),
        ("to", q.to.clone().unwrap_or_default()),
        ("org", q.org.clone().unwrap_or_default()),
    ]
}

async fn board_page(
    state: &AppState,
    page: &PageActor,
    q: &CaseQuery,
    input: CaseInput,
    errors: FieldErrors,
) -> Result<BoardTemplate, AppError> {
    let ctx = Ctx::for_page(page, "cases");
    let (board, figures) = tokio::try_join!(
        service::board(&state.db, &page.actor, q),
        service::figures(&state.db, &state.case_figures, &page.actor, q)
    )?;
    let params = range_params(q);
    let columns = board
        .iter()
        .map(|(status, cases)| Column {
            label: ctx.t(status.label_key()),
            total: figures
                .by_status
                .iter()
                .find(|(s, _)| s == status.as_str())
                .map_or(0, |(_, n)| *n),
            all_href: link_with(
                "/cases",
                &params,
                &[("status", status.as_str().to_string())],
            ),
            cards: cases.iter().map(|c| card(&ctx, c)).collect(),
        })
        .collect();
    Ok(BoardTemplate {
        export_href: link_with("/cases", &params, &[("format", "xlsx".to_string())]),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        average: figures
            .average_days_to_resolve
            .map(|a| format!("{a:.1}"))
            .unwrap_or_else(|| "—".into()),
        columns,
        figures,
        input,
        errors,
        ctx,
    })
}

#[derive(Template)]
#[template(path = "cases/list.html")]
struct StatusListTemplate {
    ctx: Ctx,
    heading: String,
    /// Empty for a member, who has no board.
    board_href: String,
    /// A member's list holds every status: each card says its own.
    show_status: bool,
    cards: Vec<CaseCard>,
    total: i64,
    page: u32,
    pager: Pager,
    /// The list as an Excel workbook.
    export_href: String,
}

/// All the cases of one status, a page at a time (the board shows the first few).
async fn status_list_page(
    state: &AppState,
    page: &PageActor,
    q: &CaseQuery,
    status: &str,
) -> Result<StatusListTemplate, AppError> {
    let ctx = Ctx::for_page(page, "cases");
    let request = PageRequest::parse(q.page.as_deref(), q.per_page.as_deref())
        .map_err(AppError::BadRequest)?;
    let (items, total) = service::list_page(&state.db, &page.actor, q).await?;
    let mut params = range_params(q);
    params.push(("status", status.to_string()));
    params.push(("per_page", q.per_page.clone().unwrap_or_default()));
    Ok(StatusListTemplate {
        export_href: link_with(
            "/cases",
            &range_params(q),
            &[
                ("status", status.to_string()),
                ("format", "xlsx".to_string()),
            ],
        ),
        heading: status_label(&ctx, status),
        board_href: link_with("/cases", &range_params(q), &[]),
        show_status: false,
        cards: items.iter().map(|c| card(&ctx, c)).collect(),
        total,
        page: request.page,
        pager: pager("/cases", &params, &request, total),
        ctx,
    })
}

/// A member's own cases, newest first, whatever their status.
async fn member_list_page(
    state: &AppState,
    page: &PageActor,
    q: &CaseQuery,
) -> Result<StatusListTemplate, AppError> {
    let ctx = Ctx::for_page(page, "my_cases");
    let request = PageRequest::parse(q.page.as_deref(), q.per_page.as_deref())
        .map_err(AppError::BadRequest)?;
    let (items, total) = service::list_page(&state.db, &page.actor, q).await?;
    Ok(StatusListTemplate {
        export_href: "/cases?format=xlsx".into(),
        heading: ctx.t("nav.my_cases"),
        board_href: String::new(),
        show_status: true,
        cards: items.iter().map(|c| card(&ctx, c)).collect(),
        total,
        page: request.page,
        pager: pager("/cases", &[], &request, total),
        ctx,
    })
}

pub async fn board(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<CaseQuery>,
    ApiQuery(wanted): ApiQuery<FormatParam>,
    RawQuery(raw): RawQuery,
) -> Response {
    match wanted.format() {
        Ok(ListFormat::Json) => {}
        Ok(ListFormat::Xlsx) => {
            let list = ListQuery::Cases(q.clone());
            return match xlsx_list_on_page(&state, &page.actor, list, raw.as_deref()).await {
                Ok(r) => r,
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            };
        }
        Err(e) => return error_page(page.actor.locale, Some(&page), e),
    }
    if page.actor.role == Role::Member {
        return match member_list_page(&state, &page, &q).await {
            Ok(t) => render(&t),
            Err(e) => error_page(page.actor.locale, Some(&page), e),
        };
    }
    if let Some(status) = q.status.clone().filter(|s| !s.trim().is_empty()) {
        return match status_list_page(&state, &page, &q, &status).await {
            Ok(t) => render(&t),
            Err(e) => error_page(page.actor.locale, Some(&page), e),
        };
    }
    match board_page(&state, &page, &q, CaseInput::default(), FieldErrors::new()).await {
        Ok(t) => render(&t),
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

/// Staff register a case brought to them outside a reception day.
pub async fn create(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<CaseInput>,
) -> Response {
    match service::create(&state.db, &page.actor, &state.cipher, &form).await {
        Ok(case) => flash::redirect(&format!("/cases/{}", case.id), Flash::Created),
        Err(AppError::Validation(errors)) => {
            match board_page(&state, &page, &CaseQuery::default(), form, errors).await {
                Ok(t) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &t),
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            }
        }
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

#[derive(Template)]
#[template(path = "cases/show.html")]
struct ShowTemplate {
    ctx: Ctx,
    case: CaseDetail,
    status: String,
    source: String,
    satisfaction: String,
    contact_phone: String,
    /// Staff may ask for the phone in full (`?reveal=phone`, audited).
    may_reveal: bool,
    events: Vec<EventRow>,
    actions: Vec<StepChoice>,
    departments: Vec<Dept>,
    /// The step form asks for a department and a due date (forwarding)…
    may_forward: bool,
    /// …and for the visitor's satisfaction (a follow-up or reopening).
    asks_satisfaction: bool,
    satisfactions: Vec<(String, String)>,
    input: StepInput,
    errors: FieldErrors,
    conflict: bool,
}

fn actions_for(role: Role, status: CaseStatus) -> Vec<CaseAction> {
    CaseAction::ALL
        .into_iter()
        .filter(|a| crate::domain::cases::can_move(status, *a).is_ok())
        .filter(|a| match role {
            Role::Staff => *a != CaseAction::Return,
            Role::Department => matches!(
                a,
                CaseAction::Accept | CaseAction::Note | CaseAction::Resolve | CaseAction::Return
            ),
            _ => false,
        })
        .collect()
}

async fn show_page(
    state: &AppState,
    page: &PageActor,
    id: i64,
    input: StepInput,
    errors: FieldErrors,
    conflict: bool,
    reveal_phone: bool,
) -> Result<ShowTemplate, AppError> {
    let case = service::detail(&state.db, &page.actor, &state.cipher, id, reveal_phone).await?;
    let current = match page.actor.role {
        Role::Staff => "cases",
        Role::Member => "my_cases",
        _ => "inbox",
    };
    let ctx = Ctx::for_page(page, current);
    let events = timeline::rows(
        &case.events,
        Labels {
            action: |a: &str| {
                CaseAction::parse("action", a)
                    .map(|a| ctx.t(a.label_key()))
                    .unwrap_or_else(|_| ctx.t("case.event.register"))
            },
            status: |s: &str| status_label(&ctx, s),
            // A follow-up sets down the visitor's satisfaction; a reply is words.
            detail: |_: &str, d: &str| {
                Satisfaction::parse("satisfaction", d)
                    .map_or_else(|_| d.to_string(), |s| ctx.t(s.label_key()))
            },
            nobody: ctx.t("case.citizen"),
        },
    );
    let actions = actions_for(page.actor.role, case.case.status);
    // Only forwarding names a department: the list is read only when the
    // case may be forwarded.
    let may_forward = actions.contains(&CaseAction::Forward);
    let asks_satisfaction =
        actions.contains(&CaseAction::FollowUp) || actions.contains(&CaseAction::Reopen);
    let departments = if may_forward {
        crate::services::orgs::list_departments(&state.db, &page.actor).await?
    } else {
        Vec::new()
    };
    Ok(ShowTemplate {
        status: ctx.t(case.case.status.label_key()),
        source: CaseSource::parse("source", &case.case.source)
            .map(|s| ctx.t(s.label_key()))
            .unwrap_or_default(),
        satisfaction: case
            .case
            .satisfaction
            .as_deref()
            .and_then(|s| Satisfaction::parse("satisfaction", s).ok())
            .map(|s| ctx.t(s.label_key()))
            .unwrap_or_default(),
        contact_phone: case
            .contact_phone
            .clone()
            .or_else(|| case.case.contact_phone_masked.clone())
            .unwrap_or_default(),
        may_reveal: page.actor.role == Role::Staff
            && case.contact_phone.is_none()
            && case.case.contact_phone_enc.is_some(),
        actions: step_choices(
            &actions,
            |a| a.as_str(),
            |a| ctx.t(a.label_key()),
            CaseAction::asks_first,
            &input.action,
        ),
        satisfactions: Satisfaction::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), ctx.t(s.label_key())))
            .collect(),
        departments,
        may_forward,
        asks_satisfaction,
        events,
        input,
        errors,
        conflict,
        case,
        ctx,
    })
}

pub async fn show(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<service::RevealQuery>,
) -> PageResult {
    let t = show_page(
        &state,
        &page,
        id,
        StepInput::default(),
        FieldErrors::new(),
        false,
        q.reveal.as_deref() == Some("phone"),
    )
    .await
    .for_page(&page)?;
    Ok(render(&t))
}

pub async fn take_step(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<Confirmed<StepInput>>,
) -> Response {
    let confirmed = form.is_confirmed();
    let form = form.input;
    let asks_first = CaseAction::parse("action", &form.action).is_ok_and(|a| a.asks_first());
    let taken = match check_confirmed(asks_first, confirmed) {
        Ok(()) => service::step(&state.db, &page.actor, id, &form).await,
        Err(refused) => Err(refused),
    };
    match taken {
        Ok(_) => flash::redirect(&format!("/cases/{id}"), Flash::StepTaken),
        Err(AppError::Validation(errors)) => {
            match show_page(&state, &page, id, form, errors, false, false).await {
                Ok(t) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &t),
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            }
        }
        // Someone else changed the case first: show it as it is now, with
        // what this user typed kept in the form, to send again on purpose.
        Err(AppError::Conflict(_)) => {
            match show_page(&state, &page, id, form, FieldErrors::new(), true, false).await {
                Ok(t) => render_status(StatusCode::CONFLICT, &t),
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            }
        }
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

#[derive(Template)]
#[template(path = "cases/inbox.html")]
struct InboxTemplate {
    ctx: Ctx,
    cards: Vec<CaseCard>,
    total: i64,
    page: u32,
    pager: Pager,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct InboxQuery {
    page: Option<String>,
}

pub async fn inbox(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> PageResult {
    let ctx = Ctx::for_page(&page, "inbox");
    let (list, total, request) = service::inbox(&state.db, &page.actor, q.page.as_deref())
        .await
        .for_page(&page)?;
    Ok(render(&InboxTemplate {
        cards: list.iter().map(|c| card(&ctx, c)).collect(),
        total,
        page: request.page,
        pager: pager("/inbox", &[], &request, total),
        ctx,
    }))
}

#[derive(Template)]
#[template(path = "public/form.html")]
struct PublicFormTemplate {
    ctx: Ctx,
    org_id: i64,
    committee: String,
    input: PublicCaseInput,
    errors: FieldErrors,
    code: String,
    /// The form token, also in a cookie (double submit): no session here.
    public_csrf: String,
}

/// The public form's token cookie.
const PUBLIC_CSRF_COOKIE: &str = "lvzhi_public_csrf";

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CsrfField {
    csrf: String,
}

/// The committee's name, or the error page a visitor sees (not found when
/// there is no such committee).
async fn committee_name(state: &AppState, locale: Locale, id: i64) -> Result<String, Response> {
    match crate::services::orgs::public_committee_name(&state.db, id).await {
        Ok(Some(name)) => Ok(name),
        Ok(None) => Err(error_page(locale, None, AppError::NotFound)),
        Err(e) => Err(error_page(locale, None, e)),
    }
}

pub async fn public_form(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    let locale = visitor_locale(&parts);
    let id = match <PathId as axum::extract::FromRequestParts<AppState>>::from_request_parts(
        &mut parts, &state,
    )
    .await
    {
        Ok(PathId(id)) => id,
        Err(r) => return r,
    };
    let committee = match committee_name(&state, locale, id).await {
        Ok(name) => name,
        Err(page) => return page,
    };
    let token = crate::security::random_token();
    let jar = axum_extra::extract::cookie::CookieJar::new().add(crate::http::auth::cookie(
        &state,
        PUBLIC_CSRF_COOKIE,
        token.clone(),
    ));
    let page = render(&PublicFormTemplate {
        ctx: Ctx::visitor(locale),
        org_id: id,
        committee,
        input: PublicCaseInput::default(),
        errors: FieldErrors::new(),
        code: String::new(),
        public_csrf: token,
    });
    (jar, page).into_response()
}

const FORM_LIMIT: usize = 64 * 1024;

async fn read_form<T: serde::de::DeserializeOwned + Default>(
    body: axum::body::Body,
    locale: Locale,
) -> Result<T, Response> {
    let bytes = axum::body::to_bytes(body, FORM_LIMIT).await.map_err(|_| {
        error_page(
            locale,
            None,
            AppError::BadRequest(FieldError::new("body", "body_too_large").into()),
        )
    })?;
    if let Some(field) = crate::http::input::form_field_not_utf8(&bytes) {
        let error = FieldError::new("body", "form_not_utf8").with("field", field);
        return Err(error_page(locale, None, AppError::BadRequest(error.into())));
    }
    serde_urlencoded::from_bytes::<T>(&bytes).map_err(|_| {
        error_page(
            locale,
            None,
            AppError::BadRequest(FieldError::new("body", "form_invalid").into()),
        )
    })
}

pub async fn public_submit(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let locale = visitor_locale(&parts);
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip().to_string());
    let id = match <PathId as axum::extract::FromRequestParts<AppState>>::from_request_parts(
        &mut parts, &state,
    )
    .await
    {
        Ok(PathId(id)) => id,
        Err(r) => return r,
    };
    let committee = match committee_name(&state, locale, id).await {
        Ok(name) => name,
        Err(page) => return page,
    };
    let bytes = match axum::body::to_bytes(body, FORM_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return error_page(
                locale,
                None,
                AppError::BadRequest(FieldError::new("body", "body_too_large").into()),
            )
        }
    };
    // The token of the form this browser was given (double submit).
    let expected = axum_extra::extract::cookie::CookieJar::from_headers(&parts.headers)
        .get(PUBLIC_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    let sent: CsrfField = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    if expected.is_empty() || !crate::security::constant_time_eq(&expected, &sent.csrf) {
        return error_page(locale, None, AppError::Forbidden);
    }
    if let Some(field) = crate::http::input::form_field_not_utf8(&bytes) {
        let error = FieldError::new("body", "form_not_utf8").with("field", field);
        return error_page(locale, None, AppError::BadRequest(error.into()));
    }
    let input: PublicCaseInput = match serde_urlencoded::from_bytes(&bytes) {
        Ok(i) => i,
        Err(_) => {
            return error_page(
                locale,
                None,
                AppError::BadRequest(FieldError::new("body", "form_invalid").into()),
            )
        }
    };
    match service::submit_public(&state.db, &state.cipher, id, &input, ip).await {
        Ok((_, code)) => render_status(
            StatusCode::CREATED,
            &PublicFormTemplate {
                ctx: Ctx::visitor(locale),
                org_id: id,
                committee,
                input: PublicCaseInput::default(),
                errors: FieldErrors::new(),
                code,
                public_csrf: expected,
            },
        ),
        Err(AppError::Validation(errors)) => {
            let status = if errors.for_field("body").is_some() {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            render_status(
                status,
                &PublicFormTemplate {
                    ctx: Ctx::visitor(locale),
                    org_id: id,
                    committee,
                    input,
                    errors,
                    code: String::new(),
                    public_csrf: expected,
                },
            )
        }
        Err(e) => error_page(locale, None, e),
    }
}

#[derive(Template)]
#[template(path = "public/track.html")]
struct TrackTemplate {
    ctx: Ctx,
    code: String,
    found: Option<PublicStatus>,
    status: String,
    errors: FieldErrors,
}

pub async fn track_form(request: Request) -> Response {
    let (parts, _) = request.into_parts();
    render(&TrackTemplate {
        ctx: Ctx::visitor(visitor_locale(&parts)),
        code: String::new(),
        found: None,
        status: String::new(),
        errors: FieldErrors::new(),
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct TrackForm {
    tracking_code: String,
}

pub async fn track(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let locale = visitor_locale(&parts);
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip().to_string());
    let form: TrackForm = match read_form(body, locale).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let ctx = Ctx::visitor(locale);
    match service::track(&state.db, &form.tracking_code, ip).await {
        Ok(found) => render(&TrackTemplate {
            status: ctx.t(found.status.label_key()),
            code: form.tracking_code,
            found: Some(found),
            errors: FieldErrors::new(),
            ctx,
        }),
        Err(AppError::Validation(errors)) => render_status(
            if errors.for_field("body").is_some() {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::NOT_FOUND
            },
            &TrackTemplate {
                code: form.tracking_code,
                found: None,
                status: String::new(),
                errors,
                ctx,
            },
        ),
        Err(e) => error_page(locale, None, e),
    }
}
