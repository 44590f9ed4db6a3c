//! Proposal pages: the list (staff: the committee's; members: their own and
//! the accepted ones; departments: those assigned to them), drafting with
//! the similar proposals beside it, one proposal with the steps the user may
//! take, the printable form, the session's figures, and the search box.

use crate::http::files::{xlsx_href, xlsx_list_on_page};
use crate::services::exports::{FormatParam, ListFormat, ListQuery};
use askama::Template;
use axum::extract::RawQuery;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::Response;

use crate::app::i18n::t_with;
use crate::domain::cases::Satisfaction;
use crate::domain::paging::{SortDir, SortKey};
use crate::domain::proposals::{
    can_move, AnswerClass, Category, HandlerRole, ProposalAction, ProposalStatus, SubmitterKind,
};
use crate::domain::roles::Role::{self, Department, Member, Staff};
use crate::domain::validation::FieldErrors;
use crate::http::auth::{Access, ApiQuery, PageActor, PageForm, PathId};
use crate::http::flash::{self, Flash};
use crate::http::forms::{check_confirmed, step_choices, Choice, SortHeader, StepChoice};
#[allow(unused_imports)] // called by the templates
use crate::http::render::Toned;
use crate::http::render::{
    error_page, pager, render, render_status, Ctx, ForPage, PageResult, Pager,
};
use crate::http::timeline::{self, EventRow, Labels};
use crate::http::{route, AppState, RouteSpec};
use crate::services::error::AppError;
use crate::services::proposals::{
    self as service, Figures, FiguresQuery, ProposalDetail, ProposalInput, ProposalQuery,
    SettingsInput, StepInput,
};
use crate::services::search::{self, SearchQuery, SearchResults, SimilarInput, SimilarProposal};
use crate::storage::orgs::Department as Dept;
use crate::storage::proposals::{Proposal, ProposalSort};

pub fn routes() -> Vec<RouteSpec> {
    const STAFF: Access = Access::Roles(&[Staff]);
    const WRITERS: Access = Access::Roles(&[Staff, Member]);
    const READERS: Access = Access::Roles(&[Staff, Member, Department]);
    vec![
        route(Method::GET, "/proposals", READERS, list),
        route(Method::GET, "/proposals/new", WRITERS, new_form),
        route(Method::POST, "/proposals", WRITERS, create),
        route(Method::GET, "/proposals/figures", STAFF, figures),
        route(Method::GET, "/proposals/compilation", STAFF, compilation),
        route(Method::POST, "/proposals/settings", STAFF, save_settings),
        route(Method::GET, "/proposals/{id}", READERS, show),
        route(Method::GET, "/proposals/{id}/edit", WRITERS, edit_form),
        route(Method::POST, "/proposals/{id}", WRITERS, update),
        route(Method::POST, "/proposals/{id}/steps", READERS, take_step),
        route(
            Method::POST,
            "/proposals/{id}/cosign",
            Access::Roles(&[Member]),
            cosign,
        ),
        route(Method::GET, "/proposals/{id}/print", READERS, print),
        crate::http::files::upload_route(route(
            Method::POST,
            "/proposals/{id}/attachments",
            READERS,
            upload,
        )),
        route(Method::GET, "/search", READERS, search_page),
    ]
}

/// What a step set down, in words: the number given, where it was merged,
/// the answer's class, the rating, a key mark (stored language-neutral).
fn detail_in_words(ctx: &Ctx, action: &str, detail: &str) -> String {
    let with = |key: &str, value: &str| t_with(ctx.locale, key, &[("value", value.to_string())]);
    match action {
        "accept" => detail.strip_prefix('#').map_or_else(
            || detail.to_string(),
            |n| with("proposal.detail.numbered", n),
        ),
        "merge" => detail.strip_prefix("→ #").map_or_else(
            || detail.to_string(),
            |id| with("proposal.detail.merged_into", id),
        ),
        "to_info" => detail.strip_prefix("→ info #").map_or_else(
            || detail.to_string(),
            |id| with("proposal.detail.became_info", id),
        ),
        "answer" => match detail.split_once(": ") {
            Some((class, text)) => {
                match AnswerClass::parse("answer_class", &class.to_lowercase()) {
                    Ok(c) => format!("{}：{text}", ctx.t(c.label_key())),
                    Err(_) => detail.to_string(),
                }
            }
            None => detail.to_string(),
        },
        "rate" => Satisfaction::parse("rating", detail)
            .map_or_else(|_| detail.to_string(), |s| ctx.t(s.label_key())),
        "mark_key" => match detail {
            "key" => ctx.t("proposal.key_mark"),
            "not_key" => ctx.t("proposal.key_unmark"),
            other => other.to_string(),
        },
        _ => detail.to_string(),
    }
}

/// How the department classed its answer (A/B/C), in words; empty before.
fn answer_class_label(ctx: &Ctx, p: &Proposal) -> String {
    p.answer_class
        .as_deref()
        .and_then(|c| AnswerClass::parse("answer_class", c).ok())
        .map(|c| ctx.t(c.label_key()))
        .unwrap_or_default()
}

fn status_label(ctx: &Ctx, status: &str) -> String {
    ProposalStatus::parse("status", status)
        .map(|s| ctx.t(s.label_key()))
        .unwrap_or_else(|_| status.to_string())
}

fn handler_role(ctx: &Ctx, role: &HandlerRole) -> String {
    ctx.t(role.label_key())
}

fn category_label(ctx: &Ctx, category: &str) -> String {
    Category::parse("category", category)
        .map(|c| ctx.t(c.label_key()))
        .unwrap_or_else(|_| category.to_string())
}

/// 第N号 (session), or nothing before acceptance.
fn number_label(ctx: &Ctx, p: &Proposal) -> String {
    match (p.session, p.number) {
        (Some(s), Some(n)) => crate::app::i18n::t_with(
            ctx.locale,
            "proposal.number_format",
            &[("session", s.to_string()), ("number", n.to_string())],
        ),
        _ => String::new(),
    }
}

/// A proposal in a list.
pub struct Row {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub author: String,
    pub category: String,
    pub status: String,
    pub submitted_on: String,
    pub department: String,
    pub due_on: String,
    pub overdue: bool,
    pub is_key: bool,
}

fn row(ctx: &Ctx, p: &Proposal) -> Row {
    Row {
        id: p.id,
        number: number_label(ctx, p),
        title: p.title.clone(),
        author: author_label(p),
        category: category_label(ctx, &p.category),
        status: ctx.t(p.status.label_key()),
        submitted_on: p.submitted_on.map(|d| d.to_string()).unwrap_or_default(),
        department: p.lead_department_name.clone().unwrap_or_default(),
        due_on: p.due_on.map(|d| d.to_string()).unwrap_or_default(),
        overdue: service::overdue(p),
        is_key: p.is_key,
    }
}

fn author_label(p: &Proposal) -> String {
    match SubmitterKind::parse("kind", &p.submitter_kind) {
        Ok(SubmitterKind::Member) => p.lead_member_name.clone().unwrap_or_default(),
        Ok(SubmitterKind::Group) => p.group_name.clone().unwrap_or_default(),
        _ => p.org_name.clone(),
    }
}

/// Choices from a closed set of values.
fn enum_choices<T: Copy>(
    all: &[T],
    value: impl Fn(&T) -> &'static str,
    label: impl Fn(&T) -> String,
    current: Option<&str>,
) -> Vec<Choice> {
    all.iter()
        .map(|x| Choice {
            value: value(x).to_string(),
            label: label(x),
            selected: current == Some(value(x)),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "proposals/list.html")]
struct ListTemplate {
    ctx: Ctx,
    rows: Vec<Row>,
    total: i64,
    page: u32,
    pager: Pager,
    q: ProposalQuery,
    statuses: Vec<Choice>,
    categories: Vec<Choice>,
    headers: Vec<SortHeader>,
    may_write: bool,
    is_member: bool,
    invitations: Vec<Row>,
    /// The list as an Excel workbook, with the filters set.
    export_href: String,
}

fn params(q: &ProposalQuery) -> Vec<(&'static str, String)> {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    vec![
        ("session", v(&q.session)),
        ("status", v(&q.status)),
        ("category", v(&q.category)),
        ("key", v(&q.key)),
        ("overdue", v(&q.overdue)),
        ("mine", v(&q.mine)),
        ("q", v(&q.q)),
        ("sort", v(&q.sort)),
        ("dir", v(&q.dir)),
        ("per_page", v(&q.per_page)),
    ]
}

pub async fn list(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<ProposalQuery>,
    ApiQuery(wanted): ApiQuery<FormatParam>,
    RawQuery(raw): RawQuery,
) -> Response {
    match wanted.format() {
        Ok(ListFormat::Json) => {}
        Ok(ListFormat::Xlsx) => {
            let list = ListQuery::Proposals(q.clone());
            return match xlsx_list_on_page(&state, &page.actor, list, raw.as_deref()).await {
                Ok(r) => r,
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            };
        }
        Err(e) => return error_page(page.actor.locale, Some(&page), e),
    }
    let current = if page.actor.role == Role::Department {
        "proposal_inbox"
    } else {
        "proposals"
    };
    let ctx = Ctx::for_page(&page, current);
    let (items, total, request) = match service::list_page(&state.db, &page.actor, &q).await {
        Ok(x) => x,
        Err(e) => return error_page(page.actor.locale, Some(&page), e),
    };
    let invitations = if page.actor.role == Role::Member {
        match service::invitations(&state.db, &page.actor).await {
            Ok(list) => list.iter().map(|p| row(&ctx, p)).collect(),
            Err(e) => return error_page(page.actor.locale, Some(&page), e),
        }
    } else {
        Vec::new()
    };
    let all = params(&q);
    let sort = q.sort.clone().unwrap_or_default();
    let dir = SortDir::parse_or(q.dir.as_deref(), SortDir::Desc).unwrap_or(SortDir::Desc);
    let headers = ProposalSort::ALL
        .iter()
        .map(|s| {
            let active = sort == s.as_str() || (sort.is_empty() && *s == ProposalSort::Submitted);
            SortHeader {
                href: crate::http::render::link_with(
                    "/proposals",
                    &all,
                    &[
                        ("sort", s.as_str().to_string()),
                        (
                            "dir",
                            if active {
                                dir.reversed()
                            } else {
                                SortDir::Desc
                            }
                            .as_str()
                            .to_string(),
                        ),
                    ],
                ),
                label: ctx.t(&format!("proposal.sort.{}", s.as_str())),
                mark: match (active, dir) {
                    (true, SortDir::Asc) => "↑",
                    (true, SortDir::Desc) => "↓",
                    _ => "",
                },
            }
        })
        .collect();
    render(&ListTemplate {
        export_href: xlsx_href("/proposals", raw.as_deref()),
        rows: items.iter().map(|p| row(&ctx, p)).collect(),
        total,
        page: request.page,
        pager: pager("/proposals", &all, &request, total),
        statuses: enum_choices(
            &ProposalStatus::ALL,
            |s| s.as_str(),
            |s| ctx.t(s.label_key()),
            q.status.as_deref(),
        ),
        categories: enum_choices(
            &Category::ALL,
            |c| c.as_str(),
            |c| ctx.t(c.label_key()),
            q.category.as_deref(),
        ),
        headers,
        may_write: matches!(page.actor.role, Role::Staff | Role::Member),
        is_member: page.actor.role == Role::Member,
        invitations,
        q,
        ctx,
    })
}

#[derive(Template)]
#[template(path = "proposals/form.html")]
struct FormTemplate {
    ctx: Ctx,
    /// None for a new proposal.
    id: Option<i64>,
    version: i64,
    input: ProposalInput,
    errors: FieldErrors,
    categories: Vec<Choice>,
    kinds: Vec<Choice>,
    members: Vec<Choice>,
    groups: Vec<Choice>,
    similar: Vec<SimilarRow>,
    /// The similar list was asked for.
    looked: bool,
    conflict: bool,
    is_member: bool,
}

pub struct SimilarRow {
    pub id: i64,
    pub percent: String,
    pub title: String,
    pub number: String,
    pub status: String,
    pub author: String,
}

fn similar_rows(ctx: &Ctx, list: &[SimilarProposal]) -> Vec<SimilarRow> {
    list.iter()
        .map(|s| SimilarRow {
            id: s.id,
            percent: format!("{:.0}%", s.score * 100.0),
            title: s.title.clone(),
            number: match (s.session, s.number) {
                (Some(session), Some(n)) => crate::app::i18n::t_with(
                    ctx.locale,
                    "proposal.number_format",
                    &[("session", session.to_string()), ("number", n.to_string())],
                ),
                (Some(session), None) => session.to_string(),
                _ => String::new(),
            },
            status: status_label(ctx, &s.status),
            author: s.lead_member_name.clone().unwrap_or_default(),
        })
        .collect()
}

/// The form's fields, read from pairs (co-signers repeat).
fn input_from(pairs: &[(String, String)]) -> (ProposalInput, String) {
    let mut input = ProposalInput::default();
    let mut intent = String::new();
    for (k, v) in pairs {
        let v = v.clone();
        match k.as_str() {
            "org_id" => input.org_id = Some(v),
            "submitter_kind" => input.submitter_kind = Some(v),
            "lead_member_id" => input.lead_member_id = Some(v),
            "group_id" => input.group_id = Some(v),
            "headline" => input.headline = v,
            "text" => input.text = v,
            "category" => input.category = v,
            "cosigner_ids" => input.cosigner_ids.push(v),
            "submitted_on" => input.submitted_on = Some(v),
            "version" => input.version = Some(v),
            "intent" => intent = v,
            _ => {}
        }
    }
    if intent == "submit" {
        input.submit = Some("yes".into());
    }
    (input, intent)
}

async fn form_page(
    state: &AppState,
    page: &PageActor,
    id: Option<i64>,
    version: i64,
    input: ProposalInput,
    errors: FieldErrors,
    looked: bool,
) -> Result<FormTemplate, AppError> {
    let ctx = Ctx::for_page(page, "proposals");
    let actor = &page.actor;
    // Members of the committee to invite as co-signers (and, for staff, the lead).
    let offered = service::form_choices(&state.db, actor).await?;
    let members = offered
        .members
        .into_iter()
        .filter(|(id, _)| Some(*id) != actor.member_id)
        .map(|(id, name)| Choice {
            selected: input.cosigner_ids.contains(&id.to_string())
                || input.lead_member_id.as_deref() == Some(id.to_string().as_str()),
            value: id.to_string(),
            label: name,
        })
        .collect();
    let groups = offered
        .groups
        .into_iter()
        .map(|(id, name)| Choice {
            selected: input.group_id.as_deref() == Some(id.to_string().as_str()),
            value: id.to_string(),
            label: name,
        })
        .collect();
    let similar = if looked || !input.headline.trim().is_empty() {
        let found = search::similar(
            &state.search,
            &state.db,
            actor,
            &SimilarInput {
                headline: input.headline.clone(),
                text: input.text.clone(),
                exclude_id: id.map(|i| i.to_string()),
                limit: None,
            },
        )
        .await
        .unwrap_or_default();
        similar_rows(&ctx, &found)
    } else {
        Vec::new()
    };
    Ok(FormTemplate {
        categories: enum_choices(
            &Category::ALL,
            |c| c.as_str(),
            |c| ctx.t(c.label_key()),
            Some(input.category.as_str()),
        ),
        kinds: enum_choices(
            &SubmitterKind::ALL,
            |k| k.as_str(),
            |k| ctx.t(k.label_key()),
            input.submitter_kind.as_deref(),
        ),
        members,
        groups,
        similar,
        looked,
        id,
        version,
        input,
        errors,
        conflict: false,
        is_member: actor.role == Role::Member,
        ctx,
    })
}

pub async fn new_form(State(state): State<AppState>, page: PageActor) -> PageResult {
    let t = form_page(
        &state,
        &page,
        None,
        0,
        ProposalInput::default(),
        FieldErrors::new(),
        false,
    )
    .await
    .for_page(&page)?;
    Ok(render(&t))
}

pub async fn create(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<Vec<(String, String)>>,
) -> Response {
    let (input, intent) = input_from(&form);
    if intent == "similar" {
        return match form_page(&state, &page, None, 0, input, FieldErrors::new(), true).await {
            Ok(t) => render(&t),
            Err(e) => error_page(page.actor.locale, Some(&page), e),
        };
    }
    match service::create(&state.db, &page.actor, &input).await {
        Ok(p) => flash::redirect(&format!("/proposals/{}", p.id), Flash::Created),
        Err(AppError::Validation(errors)) => {
            match form_page(&state, &page, None, 0, input, errors, false).await {
                Ok(t) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &t),
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            }
        }
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
) -> PageResult {
    let result = async {
        let detail = service::detail(&state.db, &page.actor, id).await?;
        let p = &detail.proposal;
        let input = ProposalInput {
            headline: p.title.clone(),
            text: p.body.clone(),
            category: p.category.clone(),
            submitter_kind: Some(p.submitter_kind.clone()),
            lead_member_id: p.lead_member_id.map(|m| m.to_string()),
            group_id: p.group_id.map(|g| g.to_string()),
            cosigner_ids: detail
                .cosigners
                .iter()
                .map(|c| c.member_id.to_string())
                .collect(),
            version: Some(p.version.to_string()),
            ..Default::default()
        };
        form_page(
            &state,
            &page,
            Some(id),
            p.version,
            input,
            FieldErrors::new(),
            true,
        )
        .await
    }
    .await;
    let t = result.for_page(&page)?;
    Ok(render(&t))
}

pub async fn update(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<Vec<(String, String)>>,
) -> Response {
    let (input, intent) = input_from(&form);
    let version = input
        .version
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if intent == "similar" {
        return match form_page(
            &state,
            &page,
            Some(id),
            version,
            input,
            FieldErrors::new(),
            true,
        )
        .await
        {
            Ok(t) => render(&t),
            Err(e) => error_page(page.actor.locale, Some(&page), e),
        };
    }
    let submit = intent == "submit";
    let result = service::update(&state.db, &page.actor, id, &input).await;
    let result = match result {
        Ok(p) if submit => {
            service::step(
                &state.db,
                &page.actor,
                id,
                &StepInput {
                    action: "submit".into(),
                    version: Some(p.version.to_string()),
                    ..Default::default()
                },
                state.settings.info_max_chars,
            )
            .await
        }
        other => other,
    };
    match result {
        Ok(_) => flash::redirect(&format!("/proposals/{id}"), Flash::Saved),
        Err(AppError::Validation(errors)) => {
            match form_page(&state, &page, Some(id), version, input, errors, false).await {
                Ok(t) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &t),
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            }
        }
        Err(AppError::Conflict(_)) => {
            match form_page(
                &state,
                &page,
                Some(id),
                version,
                input,
                FieldErrors::new(),
                false,
            )
            .await
            {
                Ok(mut t) => {
                    t.conflict = true;
                    render_status(StatusCode::CONFLICT, &t)
                }
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            }
        }
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

#[derive(Template)]
#[template(path = "proposals/show.html")]
struct ShowTemplate {
    ctx: Ctx,
    d: ProposalDetail,
    number: String,
    author: String,
    status: String,
    category: String,
    answer_class: String,
    events: Vec<EventRow>,
    cosigners: Vec<(String, String)>,
    handlers: Vec<(String, String, String)>,
    ratings: Vec<(String, String, String, String)>,
    actions: Vec<StepChoice>,
    departments: Vec<Dept>,
    ratings_choices: Vec<(String, String)>,
    classes: Vec<(String, String)>,
    similar: Vec<SimilarRow>,
    /// The signed-in member may answer an open co-signing invitation.
    may_cosign: bool,
    may_edit: bool,
    /// Files: (id, name, size).
    files: Vec<(i64, String, String)>,
    can_upload: bool,
    is_member: bool,
    is_department: bool,
    answered_on: String,
    input: StepInput,
    errors: FieldErrors,
    conflict: bool,
}

fn actions_for(page: &PageActor, d: &ProposalDetail) -> Vec<ProposalAction> {
    let status = d.proposal.status;
    let actor = &page.actor;
    let my_handler = actor
        .department_id
        .and_then(|dep| d.handlers.iter().find(|h| h.department_id == dep));
    ProposalAction::ALL
        .into_iter()
        .filter(|a| can_move(status, *a).is_ok())
        .filter(|a| {
            use ProposalAction as A;
            match actor.role {
                Role::Staff => !matches!(a, A::Return | A::View | A::Answer | A::Rate),
                Role::Member => match a {
                    A::Submit | A::Withdraw => d.proposal.lead_member_id == actor.member_id,
                    A::Rate => actor.member_id.is_some_and(|m| {
                        d.authors.contains(&m)
                            && !d
                                .ratings
                                .iter()
                                .any(|r| r.member_id == m && r.round == d.proposal.round)
                    }),
                    _ => false,
                },
                Role::Department => match a {
                    A::Return | A::Answer => {
                        my_handler.is_some_and(|h| h.role == HandlerRole::Lead)
                    }
                    A::View => {
                        my_handler.is_some_and(|h| h.role == HandlerRole::Co && h.view.is_none())
                    }
                    _ => false,
                },
                _ => false,
            }
        })
        .collect()
}

/// The co-signers as shown: name and answer in words.
fn cosigners_rows(ctx: &Ctx, d: &ProposalDetail) -> Vec<(String, String)> {
    d.cosigners
        .iter()
        .map(|c| {
            (
                c.member_name.clone(),
                crate::domain::proposals::CosignStatus::parse("status", &c.status)
                    .map(|s| ctx.t(s.label_key()))
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// The departments handling it: name, role in words, their view.
fn handlers_rows(ctx: &Ctx, d: &ProposalDetail) -> Vec<(String, String, String)> {
    d.handlers
        .iter()
        .map(|h| {
            (
                h.department_name.clone(),
                handler_role(ctx, &h.role),
                h.view.clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// The members' ratings: name, round, rating in words, comment.
fn ratings_rows(ctx: &Ctx, d: &ProposalDetail) -> Vec<(String, String, String, String)> {
    d.ratings
        .iter()
        .map(|r| {
            (
                r.member_name.clone(),
                r.round.to_string(),
                Satisfaction::parse("rating", &r.rating)
                    .map(|s| ctx.t(s.label_key()))
                    .unwrap_or_default(),
                r.comment.clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// For staff, while it can still be merged: the proposals most like it.
async fn similar_to(
    state: &AppState,
    page: &PageActor,
    ctx: &Ctx,
    d: &ProposalDetail,
) -> Result<Vec<SimilarRow>, AppError> {
    let mergeable = matches!(
        d.proposal.status,
        ProposalStatus::Submitted | ProposalStatus::Accepted
    );
    if page.actor.role != Role::Staff || !mergeable {
        return Ok(Vec::new());
    }
    let found = search::similar(
        &state.search,
        &state.db,
        &page.actor,
        &SimilarInput {
            headline: d.proposal.title.clone(),
            text: d.proposal.body.clone(),
            exclude_id: Some(d.proposal.id.to_string()),
            limit: Some("5".into()),
        },
    )
    .await;
    // While the index warms up the page shows no list rather than failing.
    let found = match found {
        Err(AppError::Unavailable(_)) => Vec::new(),
        other => other?,
    };
    Ok(similar_rows(ctx, &found))
}

async fn show_page(
    state: &AppState,
    page: &PageActor,
    id: i64,
    input: StepInput,
    errors: FieldErrors,
    conflict: bool,
) -> Result<ShowTemplate, AppError> {
    let d = service::detail(&state.db, &page.actor, id).await?;
    let current = if page.actor.role == Role::Department {
        "proposal_inbox"
    } else {
        "proposals"
    };
    let ctx = Ctx::for_page(page, current);
    let events = timeline::rows(
        &d.events,
        Labels {
            action: |a: &str| ctx.t(&format!("proposal.event.{a}")),
            status: |s: &str| status_label(&ctx, s),
            detail: |a: &str, d: &str| detail_in_words(&ctx, a, d),
            nobody: String::new(),
        },
    );
    let departments = if page.actor.role == Role::Staff {
        crate::services::orgs::list_departments(&state.db, &page.actor).await?
    } else {
        Vec::new()
    };
    let similar = similar_to(state, page, &ctx, &d).await?;
    let may_cosign = page.actor.member_id.is_some_and(|me| {
        d.cosigners
            .iter()
            .any(|c| c.member_id == me && c.status == "invited")
    }) && matches!(
        d.proposal.status,
        ProposalStatus::Draft | ProposalStatus::Submitted
    );
    let can_upload = service::attach_allowed(&page.actor, &d.proposal, &d.handlers);
    let may_edit = match page.actor.role {
        Role::Member => {
            d.proposal.status == ProposalStatus::Draft
                && d.proposal.lead_member_id == page.actor.member_id
        }
        Role::Staff => matches!(
            d.proposal.status,
            ProposalStatus::Draft | ProposalStatus::Submitted
        ),
        _ => false,
    };
    Ok(ShowTemplate {
        number: number_label(&ctx, &d.proposal),
        author: author_label(&d.proposal),
        status: ctx.t(d.proposal.status.label_key()),
        category: category_label(&ctx, &d.proposal.category),
        answer_class: answer_class_label(&ctx, &d.proposal),
        cosigners: cosigners_rows(&ctx, &d),
        handlers: handlers_rows(&ctx, &d),
        ratings: ratings_rows(&ctx, &d),
        actions: step_choices(
            &actions_for(page, &d),
            |a| a.as_str(),
            |a| ctx.t(a.label_key()),
            ProposalAction::asks_first,
            &input.action,
        ),
        ratings_choices: Satisfaction::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), ctx.t(s.label_key())))
            .collect(),
        classes: AnswerClass::ALL
            .iter()
            .map(|c| (c.as_str().to_string(), ctx.t(c.label_key())))
            .collect(),
        departments,
        similar,
        events,
        may_cosign,
        may_edit,
        files: d
            .attachments
            .iter()
            .map(|f| {
                (
                    f.id,
                    f.original_name.clone(),
                    crate::domain::attachments::mib(u64::try_from(f.size_bytes).unwrap_or(0)),
                )
            })
            .collect(),
        can_upload,
        is_member: page.actor.role == Role::Member,
        is_department: page.actor.role == Role::Department,
        answered_on: d
            .proposal
            .answered_on
            .map(|a| a.to_string())
            .unwrap_or_default(),
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
        StepInput::default(),
        FieldErrors::new(),
        false,
    )
    .await
    .for_page(&page)?;
    Ok(render(&t))
}

fn step_from(pairs: &[(String, String)]) -> StepInput {
    let mut input = StepInput::default();
    for (k, v) in pairs {
        let v = v.clone();
        match k.as_str() {
            "action" => input.action = v,
            "version" => input.version = Some(v),
            "on" => input.on = Some(v),
            "note" => input.note = Some(v),
            "target_id" => input.target_id = Some(v),
            "lead_department_id" => input.lead_department_id = Some(v),
            "co_department_ids" => input.co_department_ids.push(v),
            "due_on" => input.due_on = Some(v),
            "reply" => input.reply = Some(v),
            "answer_class" => input.answer_class = Some(v),
            "attachment_id" => input.attachment_id = Some(v),
            "rating" => input.rating = Some(v),
            "key" => input.key = Some(v),
            _ => {}
        }
    }
    input
}

pub async fn take_step(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<Vec<(String, String)>>,
) -> Response {
    let input = step_from(&form);
    let confirmed = form.iter().any(|(k, v)| k == "confirm" && v == "yes");
    let asks_first = ProposalAction::parse("action", &input.action).is_ok_and(|a| a.asks_first());
    let taken = match check_confirmed(asks_first, confirmed) {
        Ok(()) => {
            let max_chars = state.settings.info_max_chars;
            service::step(&state.db, &page.actor, id, &input, max_chars).await
        }
        Err(refused) => Err(refused),
    };
    match taken {
        Ok(_) => flash::redirect(&format!("/proposals/{id}"), Flash::StepTaken),
        Err(AppError::Validation(errors)) => {
            match show_page(&state, &page, id, input, errors, false).await {
                Ok(t) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &t),
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            }
        }
        Err(AppError::Conflict(_)) => {
            match show_page(&state, &page, id, input, FieldErrors::new(), true).await {
                Ok(t) => render_status(StatusCode::CONFLICT, &t),
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            }
        }
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

/// A file added from the proposal's page (multipart, with the form token).
pub async fn upload(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
    request: axum::extract::Request,
) -> Response {
    let store = crate::services::attachments::Store::from_settings(&state.settings);
    let (upload, csrf) = match crate::http::files::read_upload(request, store.max_bytes).await {
        Ok(read) => read,
        Err(e) => return error_page(page.actor.locale, Some(&page), e),
    };
    if csrf.is_empty() || !crate::security::constant_time_eq(&csrf, &page.csrf) {
        return error_page(page.actor.locale, Some(&page), AppError::Forbidden);
    }
    let owner = crate::services::attachments::Owner::Proposal(id);
    match crate::services::attachments::attach(&state.db, &store, &page.actor, owner, &upload).await
    {
        Ok(_) => flash::redirect(&format!("/proposals/{id}"), Flash::Saved),
        Err(AppError::Validation(errors)) => {
            match show_page(&state, &page, id, StepInput::default(), errors, false).await {
                Ok(t) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &t),
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            }
        }
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

pub async fn cosign(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<service::CosignInput>,
) -> Response {
    match service::cosign(&state.db, &page.actor, id, &form).await {
        Ok(_) => flash::redirect(&format!("/proposals/{id}"), Flash::Saved),
        Err(AppError::Validation(errors)) => {
            match show_page(&state, &page, id, StepInput::default(), errors, false).await {
                Ok(t) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &t),
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            }
        }
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

#[derive(Template)]
#[template(path = "proposals/print.html")]
struct PrintTemplate {
    ctx: Ctx,
    d: ProposalDetail,
    number: String,
    author: String,
    category: String,
    cosigners: String,
    handlers: String,
    answer_class: String,
    submitted_on: String,
    due_on: String,
}

/// The proposal form (提案表) laid out for paper.
pub async fn print(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
) -> PageResult {
    let ctx = Ctx::for_page(&page, "proposals");
    let d = service::detail(&state.db, &page.actor, id)
        .await
        .for_page(&page)?;
    Ok(render(&PrintTemplate {
        submitted_on: d
            .proposal
            .submitted_on
            .map(|x| x.to_string())
            .unwrap_or_default(),
        due_on: d.proposal.due_on.map(|x| x.to_string()).unwrap_or_default(),
        number: number_label(&ctx, &d.proposal),
        author: author_label(&d.proposal),
        category: category_label(&ctx, &d.proposal.category),
        cosigners: d
            .cosigners
            .iter()
            .filter(|c| c.status == "accepted")
            .map(|c| c.member_name.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        handlers: d
            .handlers
            .iter()
            .map(|h| format!("{}（{}）", h.department_name, handler_role(&ctx, &h.role)))
            .collect::<Vec<_>>()
            .join("、"),
        answer_class: answer_class_label(&ctx, &d.proposal),
        d,
        ctx,
    }))
}

#[derive(Template)]
#[template(path = "proposals/figures.html")]
struct FiguresTemplate {
    ctx: Ctx,
    f: Figures,
    categories: Vec<(String, i64, i64, i64, i64)>,
    settings: service::Settings,
    settings_input: SettingsInput,
    errors: FieldErrors,
}

async fn figures_page(
    state: &AppState,
    page: &PageActor,
    q: &FiguresQuery,
    settings_input: Option<SettingsInput>,
    errors: FieldErrors,
) -> Result<FiguresTemplate, AppError> {
    let ctx = Ctx::for_page(page, "proposals");
    let f = service::figures(&state.db, &page.actor, q).await?;
    let settings = service::get_settings(&state.db, &page.actor, None).await?;
    let settings_input = settings_input.unwrap_or_else(|| SettingsInput {
        cutoff: format!("{:02}-{:02}", settings.cutoff_month, settings.cutoff_day),
        answer_months: settings.answer_months.to_string(),
        second_answer_months: settings.second_answer_months.to_string(),
        return_working_days: settings.return_working_days.to_string(),
        version: Some(settings.version.to_string()),
        org_id: None,
    });
    Ok(FiguresTemplate {
        categories: f
            .by_category
            .iter()
            .map(|b| {
                (
                    category_label(&ctx, &b.key),
                    b.received,
                    b.accepted,
                    b.answered,
                    b.answered_on_time,
                )
            })
            .collect(),
        f,
        settings,
        settings_input,
        errors,
        ctx,
    })
}

pub async fn figures(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<FiguresQuery>,
) -> PageResult {
    let t = figures_page(&state, &page, &q, None, FieldErrors::new())
        .await
        .for_page(&page)?;
    Ok(render(&t))
}

pub async fn save_settings(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<SettingsInput>,
) -> Response {
    match service::put_settings(&state.db, &page.actor, &form).await {
        Ok(_) => flash::redirect("/proposals/figures", Flash::Saved),
        Err(AppError::Validation(errors)) => {
            match figures_page(&state, &page, &FiguresQuery::default(), Some(form), errors).await {
                Ok(t) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &t),
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            }
        }
        Err(AppError::Conflict(code)) => {
            error_page(page.actor.locale, Some(&page), AppError::Conflict(code))
        }
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchTemplate {
    ctx: Ctx,
    q: SearchQuery,
    results: Option<SearchResults>,
    kinds: Vec<Choice>,
    errors: FieldErrors,
    pager: Pager,
    page: u32,
}

/// One search box over proposals, information, cases and activities.
pub async fn search_page(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Response {
    let ctx = Ctx::for_page(&page, "search");
    let asked = q.q.as_deref().is_some_and(|t| !t.trim().is_empty());
    let (results, errors) = if asked {
        match search::search(&state.search, &state.db, &page.actor, &q).await {
            Ok(r) => (Some(r), FieldErrors::new()),
            Err(AppError::BadRequest(e)) | Err(AppError::Validation(e)) => (None, e),
            Err(e) => return error_page(page.actor.locale, Some(&page), e),
        }
    } else {
        (None, FieldErrors::new())
    };
    let request =
        crate::domain::paging::PageRequest::parse(q.page.as_deref(), None).unwrap_or_default();
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let all = vec![
        ("q", v(&q.q)),
        ("kind", v(&q.kind)),
        ("from", v(&q.from)),
        ("to", v(&q.to)),
    ];
    let total = results.as_ref().map(|r| r.total).unwrap_or(0);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    render_status(
        status,
        &SearchTemplate {
            kinds: ["proposal", "info", "case", "activity", "archive"]
                .iter()
                .map(|k| Choice {
                    value: k.to_string(),
                    label: ctx.t(&format!("search.kind.{k}")),
                    selected: q.kind.as_deref() == Some(*k),
                })
                .collect(),
            pager: pager("/search", &all, &request, total),
            page: request.page,
            results,
            errors,
            q,
            ctx,
        },
    )
}

/// The session's accepted proposals compiled (提案汇编), as a file.
pub async fn compilation(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<crate::services::reports::CompilationQuery>,
) -> PageResult {
    let file = crate::services::reports::compilation_file(
        &state.db,
        &page.actor,
        crate::domain::audit::AuditVia::Page,
        &q,
    )
    .await
    .for_page(&page)?;
    Ok(crate::http::files::file_response(
        file.bytes,
        file.format.content_type(),
        &file.file_name,
    ))
}
