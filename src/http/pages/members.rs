//! Member pages: the list (search, filters, sort, pages), the form, the duty file.

use crate::http::files::{xlsx_href, xlsx_list_on_page};
use crate::services::exports::{FormatParam, ListFormat, ListQuery};
use askama::Template;
use axum::extract::RawQuery;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::app::i18n::Locale;
use crate::domain::members::{Gender, MemberStatus, Party, Term, ETHNICITIES};
use crate::domain::orgs::OrgKind;
use crate::domain::paging::{SortDir, SortKey};
use crate::domain::validation::FieldErrors;
use crate::http::auth::Access;
use crate::http::auth::{ApiQuery, PageActor, PageForm, PathId};
use crate::http::flash::{self, Flash};
use crate::http::forms::{choices, Choice, SortHeader};
use crate::http::render::{error_page, link_with, render, render_status, Ctx, ForPage, PageResult};
use crate::http::AppState;
use crate::http::{route, RouteSpec};
use crate::services::error::AppError;
use crate::services::members::{self as service, MemberInput, MemberQuery};
use crate::services::orgs as org_service;
use crate::storage::members::{Member, MemberSort};
use crate::storage::orgs::Org;
use crate::storage::timeline::TimelineEntry;
use axum::http::Method;

/// The routes of these pages, with who may call each.
pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::{Member, Staff};
    use Access::Roles;
    const STAFF: Access = Roles(&[Staff]);
    vec![
        route(Method::GET, "/members", STAFF, list),
        route(Method::POST, "/members", STAFF, create),
        route(Method::GET, "/members/new", STAFF, new_form),
        route(Method::GET, "/members/{id}", Roles(&[Staff, Member]), show),
        route(
            Method::GET,
            "/members/{id}/duty-file",
            Roles(&[Staff, Member]),
            duty_file,
        ),
        route(Method::POST, "/members/{id}", STAFF, update),
        route(Method::GET, "/members/{id}/edit", STAFF, edit_form),
        route(Method::POST, "/members/{id}/delete", STAFF, delete),
        route(Method::POST, "/members/{id}/reveal", STAFF, reveal),
    ]
}

/// A member as a row of the list.
pub struct MemberRow {
    pub id: i64,
    pub name: String,
    pub gender: String,
    pub party: String,
    pub sector: String,
    pub group: String,
    pub term: String,
    pub status: String,
    pub phone: String,
    pub created: String,
}

fn term_label(locale: Locale, term: i64) -> String {
    match u8::try_from(term).ok().and_then(Term::new) {
        Some(t) if locale == Locale::ZhCn => t.zh_label(),
        Some(t) => t.en_label(),
        None => term.to_string(),
    }
}

fn label<T>(
    ctx: &Ctx,
    parsed: Result<T, crate::domain::validation::FieldError>,
    key: impl Fn(&T) -> &'static str,
    raw: &str,
) -> String {
    parsed
        .map(|v| ctx.t(key(&v)))
        .unwrap_or_else(|_| raw.to_string())
}

fn row(ctx: &Ctx, m: &Member, groups: &[Org]) -> MemberRow {
    MemberRow {
        id: m.id,
        name: m.name.clone(),
        gender: label(
            ctx,
            Gender::parse("gender", &m.gender),
            |g| g.label_key(),
            &m.gender,
        ),
        party: label(
            ctx,
            Party::parse("party", &m.party),
            |p| p.label_key(),
            &m.party,
        ),
        sector: m.sector.clone(),
        group: m
            .group_id
            .and_then(|g| groups.iter().find(|o| o.id == g))
            .map(|o| o.name.clone())
            .unwrap_or_default(),
        term: term_label(ctx.locale, m.term),
        status: label(
            ctx,
            MemberStatus::parse("status", &m.status),
            |s| s.label_key(),
            &m.status,
        ),
        phone: m.phone_masked.clone(),
        created: crate::app::clock::date_of(m.created_at).to_string(),
    }
}

/// A choice in a select: value, label, selected.
#[derive(Template)]
#[template(path = "members/list.html")]
struct ListTemplate {
    ctx: Ctx,
    rows: Vec<MemberRow>,
    total: i64,
    page: u32,
    pages: u32,
    prev: String,
    next: String,
    q: String,
    groups: Vec<Choice>,
    sectors: Vec<Choice>,
    parties: Vec<Choice>,
    statuses: Vec<Choice>,
    headers: Vec<SortHeader>,
    /// The list as an Excel workbook, with the filters set.
    export_href: String,
}

fn query_params(q: &MemberQuery) -> Vec<(&'static str, String)> {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    vec![
        ("q", v(&q.q)),
        ("group", v(&q.group)),
        ("sector", v(&q.sector)),
        ("party", v(&q.party)),
        ("status", v(&q.status)),
        ("sort", v(&q.sort)),
        ("dir", v(&q.dir)),
        ("per_page", v(&q.per_page)),
    ]
}

pub async fn list(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(query): ApiQuery<MemberQuery>,
    ApiQuery(wanted): ApiQuery<FormatParam>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    if wanted.format().for_page(&page)? == ListFormat::Xlsx {
        let list = ListQuery::Members(query.clone());
        return xlsx_list_on_page(&state, &page.actor, list, raw.as_deref())
            .await
            .for_page(&page);
    }
    let found = service::list(&state.db, &page.actor, &query)
        .await
        .for_page(&page)?;
    let ctx = Ctx::for_page(&page, "members");
    let groups = org_service::list(&state.db, &page.actor, Some(OrgKind::Group))
        .await
        .for_page(&page)?;
    let sectors = service::sectors(&state.db, &page.actor)
        .await
        .for_page(&page)?;
    let params = query_params(&query);
    let pager = crate::http::render::pager("/members", &params, &found.page, found.total);
    let pages = pager.pages;
    let headers = MemberSort::ALL
        .iter()
        .map(|key| {
            let active = *key == found.sort;
            let dir = if active {
                found.dir.reversed()
            } else {
                SortDir::Asc
            };
            SortHeader {
                label: ctx.t(&format!("member.sort.{}", key.as_str())),
                href: link_with(
                    "/members",
                    &params,
                    &[
                        ("sort", key.as_str().into()),
                        ("dir", dir.as_str().into()),
                        ("page", String::new()),
                    ],
                ),
                mark: match (active, found.dir) {
                    (false, _) => "",
                    (true, SortDir::Asc) => "▲",
                    (true, SortDir::Desc) => "▼",
                },
            }
        })
        .collect();
    let sel = |o: &Option<String>| o.clone().unwrap_or_default();
    let template = ListTemplate {
        export_href: xlsx_href("/members", raw.as_deref()),
        rows: found.items.iter().map(|m| row(&ctx, m, &groups)).collect(),
        total: found.total,
        page: found.page.page,
        pages,
        prev: pager.prev,
        next: pager.next,
        q: sel(&query.q),
        groups: choices(
            groups.iter().map(|g| (g.id.to_string(), g.name.clone())),
            &sel(&query.group),
        ),
        sectors: choices(
            sectors.into_iter().map(|s| (s.clone(), s)),
            &sel(&query.sector),
        ),
        parties: choices(
            Party::ALL
                .iter()
                .map(|p| (p.as_str().to_string(), ctx.t(p.label_key()))),
            &sel(&query.party),
        ),
        statuses: choices(
            MemberStatus::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), ctx.t(s.label_key()))),
            &sel(&query.status),
        ),
        headers,
        ctx,
    };
    Ok(render(&template))
}

#[derive(Template)]
#[template(path = "members/form.html")]
struct FormTemplate {
    ctx: Ctx,
    title: String,
    action: String,
    input: MemberInput,
    errors: FieldErrors,
    conflict: bool,
    genders: Vec<Choice>,
    ethnicities: Vec<Choice>,
    parties: Vec<Choice>,
    statuses: Vec<Choice>,
    groups: Vec<Choice>,
}

async fn form_page(
    state: &AppState,
    page: &PageActor,
    title_key: &str,
    action: String,
    input: MemberInput,
    errors: FieldErrors,
    conflict: bool,
) -> FormTemplate {
    let ctx = Ctx::for_page(page, "members");
    let groups = org_service::list(&state.db, &page.actor, Some(OrgKind::Group))
        .await
        .unwrap_or_default();
    let mut group_choices = vec![Choice {
        value: String::new(),
        label: ctx.t("member.no_group"),
        selected: false,
    }];
    group_choices.extend(choices(
        groups.iter().map(|g| (g.id.to_string(), g.name.clone())),
        input.group_id.as_deref().unwrap_or(""),
    ));
    FormTemplate {
        title: ctx.t(title_key),
        action,
        genders: choices(
            Gender::ALL
                .iter()
                .map(|g| (g.as_str().to_string(), ctx.t(g.label_key()))),
            &input.gender,
        ),
        ethnicities: choices(
            ETHNICITIES.iter().map(|e| (e.to_string(), e.to_string())),
            &input.ethnicity,
        ),
        parties: choices(
            Party::ALL
                .iter()
                .map(|p| (p.as_str().to_string(), ctx.t(p.label_key()))),
            &input.party,
        ),
        statuses: choices(
            MemberStatus::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), ctx.t(s.label_key()))),
            &input.status,
        ),
        groups: group_choices,
        input,
        errors,
        conflict,
        ctx,
    }
}

pub async fn new_form(State(state): State<AppState>, page: PageActor) -> Response {
    if let Err(e) = page.actor.require(&[crate::domain::roles::Role::Staff]) {
        return error_page(page.actor.locale, Some(&page), e);
    }
    let input = MemberInput {
        ethnicity: "汉族".into(),
        status: "active".into(),
        ..Default::default()
    };
    render(
        &form_page(
            &state,
            &page,
            "member.new",
            "/members".into(),
            input,
            FieldErrors::new(),
            false,
        )
        .await,
    )
}

pub async fn create(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<MemberInput>,
) -> Response {
    match service::create(&state.db, &page.actor, &state.cipher, &form).await {
        Ok(member) => flash::redirect(&format!("/members/{}", member.id), Flash::Created),
        Err(AppError::Validation(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(
                &state,
                &page,
                "member.new",
                "/members".into(),
                form,
                errors,
                false,
            )
            .await,
        ),
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

/// The member's current values as form input. ID and phone numbers are not
/// filled in: they are only shown masked, so the user types them again.
fn input_of(m: &Member) -> MemberInput {
    MemberInput {
        name: m.name.clone(),
        gender: m.gender.clone(),
        ethnicity: m.ethnicity.clone(),
        party: m.party.clone(),
        sector: m.sector.clone(),
        workplace: m.workplace.clone(),
        position: m.title.clone(),
        phone: String::new(),
        id_number: String::new(),
        term: m.term.to_string(),
        status: m.status.clone(),
        joined_on: m.joined_on.format("%Y-%m-%d").to_string(),
        left_on: m
            .left_on
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        org_id: Some(m.org_id.to_string()),
        group_id: m.group_id.map(|g| g.to_string()),
        version: Some(m.version.to_string()),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
) -> Response {
    if let Err(e) = page.actor.require(&[crate::domain::roles::Role::Staff]) {
        return error_page(page.actor.locale, Some(&page), e);
    }
    match service::get(&state.db, &page.actor, id).await {
        Ok(m) => render(
            &form_page(
                &state,
                &page,
                "member.edit",
                format!("/members/{id}"),
                input_of(&m),
                FieldErrors::new(),
                false,
            )
            .await,
        ),
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

pub async fn update(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<MemberInput>,
) -> Response {
    let action = format!("/members/{id}");
    match service::update(&state.db, &page.actor, &state.cipher, id, &form).await {
        Ok(_) => flash::redirect(&action, Flash::Saved),
        Err(AppError::Validation(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(&state, &page, "member.edit", action, form, errors, false).await,
        ),
        // Someone else saved first: show the form again with what this user
        // typed, and the new version so that saving again is a conscious choice.
        Err(AppError::Conflict("stale_version")) => {
            let mut form = form;
            if let Ok(current) = service::get(&state.db, &page.actor, id).await {
                form.version = Some(current.version.to_string());
            }
            render_status(
                StatusCode::CONFLICT,
                &form_page(
                    &state,
                    &page,
                    "member.edit",
                    action,
                    form,
                    FieldErrors::new(),
                    true,
                )
                .await,
            )
        }
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VersionForm {
    version: Option<String>,
}

pub async fn delete(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<VersionForm>,
) -> Response {
    match service::delete(&state.db, &page.actor, id, &form.version).await {
        Ok(()) => flash::redirect("/members", Flash::Deleted),
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

/// A timeline entry as shown, linked to its record where that has a page.
pub struct TimelineRow {
    pub date: String,
    pub kind: String,
    pub title: String,
    pub href: Option<String>,
}

/// The page of the record a duty-file entry is about.
fn record_href(object_type: Option<&str>, object_id: Option<i64>) -> Option<String> {
    let id = object_id?;
    let base = match object_type? {
        "case" => "/cases",
        "info_report" => "/info",
        "reception_day" => "/reception",
        "activity" => "/activities",
        "proposal" => "/proposals",
        "award" => return Some("/awards".into()),
        _ => return None,
    };
    Some(format!("{base}/{id}"))
}

#[derive(Template)]
#[template(path = "members/show.html")]
struct ShowTemplate {
    ctx: Ctx,
    member: Member,
    row: MemberRow,
    ethnicity: String,
    birth_date: String,
    joined_on: String,
    /// Empty while serving (or never recorded).
    left_on: String,
    workplace: String,
    title: String,
    org: String,
    community: String,
    id_number: String,
    phone: String,
    revealed: bool,
    can_edit: bool,
    timeline: Vec<TimelineRow>,
    /// The years with records (and the one shown): year, link, shown.
    year_links: Vec<(i32, String, bool)>,
    shown_year: i32,
}

async fn show_page(
    state: &AppState,
    page: &PageActor,
    id: i64,
    revealed: Option<(String, String)>,
    year: Option<i32>,
) -> PageResult {
    let (member, place, entries) = service::duty_file(&state.db, &page.actor, id)
        .await
        .for_page(page)?;
    let ctx = Ctx::for_page(
        page,
        if page.actor.member_id == Some(id) {
            "duty_file"
        } else {
            "members"
        },
    );
    // One year at a time: the one asked for, else the latest with records.
    use chrono::Datelike;
    let mut years: Vec<i32> = entries.iter().map(|e| e.occurred_on.year()).collect();
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    let shown_year = year
        .or_else(|| years.first().copied())
        .unwrap_or_else(crate::app::clock::this_year);
    if !years.contains(&shown_year) {
        years.push(shown_year);
        years.sort_unstable_by(|a, b| b.cmp(a));
    }
    let year_links: Vec<(i32, String, bool)> = years
        .iter()
        .map(|y| (*y, format!("/members/{id}?year={y}"), *y == shown_year))
        .collect();
    let timeline = entries
        .iter()
        .filter(|e| e.occurred_on.year() == shown_year)
        .map(|e: &TimelineEntry| TimelineRow {
            date: e.occurred_on.format("%Y-%m-%d").to_string(),
            kind: ctx.t(&format!("timeline.kind.{}", e.kind)),
            title: e.title.clone(),
            href: record_href(e.object_type.as_deref(), e.object_id),
        })
        .collect();
    let (id_number, phone) = match &revealed {
        Some((id_number, phone)) => (id_number.clone(), phone.clone()),
        None => (member.id_number_masked.clone(), member.phone_masked.clone()),
    };
    let template = ShowTemplate {
        row: MemberRow {
            group: place.group_name.unwrap_or_default(),
            ..row(&ctx, &member, &[])
        },
        ethnicity: member.ethnicity.clone(),
        birth_date: member.birth_date.format("%Y-%m-%d").to_string(),
        joined_on: member.joined_on.format("%Y-%m-%d").to_string(),
        left_on: member
            .left_on
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        workplace: member.workplace.clone().unwrap_or_default(),
        title: member.title.clone().unwrap_or_default(),
        org: place.org_name,
        community: place.community.unwrap_or_default(),
        id_number,
        phone,
        revealed: revealed.is_some(),
        can_edit: page.actor.role == crate::domain::roles::Role::Staff,
        timeline,
        year_links,
        shown_year,
        member,
        ctx,
    };
    Ok(render(&template))
}

/// Which year of the duty file the member's page shows.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct YearQuery {
    year: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> Response {
    let year = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        None => None,
        Some(y) => match crate::domain::activities::parse_year("year", y) {
            Ok(y) => Some(y),
            Err(e) => {
                return error_page(
                    page.actor.locale,
                    Some(&page),
                    AppError::BadRequest(e.into()),
                )
            }
        },
    };
    show_page(&state, &page, id, None, year)
        .await
        .into_response()
}

#[derive(Deserialize, Default)]
pub struct Empty {}

/// Show the full ID and phone numbers once, on an explicit request; audited.
pub async fn reveal(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, .. }: PageForm<Empty>,
) -> Response {
    match service::reveal(&state.db, &page.actor, &state.cipher, id).await {
        Ok(plain) => show_page(&state, &page, id, Some(plain), None)
            .await
            .into_response(),
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

/// The member's registration form for a year, as a file.
pub async fn duty_file(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<crate::services::reports::DutyFileQuery>,
) -> PageResult {
    let file = crate::services::reports::duty_file(
        &state.db,
        &page.actor,
        crate::domain::audit::AuditVia::Page,
        id,
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
