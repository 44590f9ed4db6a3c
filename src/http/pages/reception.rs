//! Reception-day pages: the schedule with its roster, the days held, one
//! day with its members on duty and visitors, the settings and the calendar.

use crate::http::files::xlsx_list_on_page;
use crate::services::exports::{FormatParam, ListFormat, ListQuery};
use crate::services::reception::DayQuery;
use askama::Template;
use axum::extract::RawQuery;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use crate::domain::reception::VisitOutcome;
use crate::domain::roles::Role::{Member, Staff};
use crate::domain::validation::FieldErrors;
use crate::http::auth::{Access, ApiQuery, PageActor, PageForm, PathId};
use crate::http::flash::{self, Flash};
use crate::http::render::Toned;
use crate::http::render::{
    error_page, pager, render, render_status, Ctx, ForPage, PageResult, Pager,
};
use crate::http::{route, AppState, RouteSpec};
use crate::services::error::AppError;
use crate::services::reception::{
    self as service, DayDetail, DayInput, HolidaysInput, ScheduleEntry, SettingsInput,
    VisitCaseInput, VisitInput,
};
use crate::storage::calendar::Holiday;
use crate::storage::reception::ReceptionDay;

pub fn routes() -> Vec<RouteSpec> {
    const STAFF: Access = Access::Roles(&[Staff]);
    const ON_DUTY: Access = Access::Roles(&[Staff, Member]);
    vec![
        route(Method::GET, "/reception", STAFF, overview),
        route(Method::POST, "/reception", STAFF, create_day),
        route(Method::POST, "/reception/settings", STAFF, save_settings),
        route(Method::GET, "/reception/{id}", ON_DUTY, show_day),
        route(Method::POST, "/reception/{id}/visits", ON_DUTY, add_visit),
        route(Method::GET, "/holidays", STAFF, holidays),
        route(Method::POST, "/holidays", STAFF, load_holidays),
    ]
}

#[derive(Template)]
#[template(path = "reception/overview.html")]
struct OverviewTemplate {
    ctx: Ctx,
    year: i32,
    schedule: Vec<ScheduleEntry>,
    /// The year's days held in the scope, a page at a time.
    days: Vec<ReceptionDay>,
    days_total: i64,
    page: u32,
    pager: Pager,
    settings: SettingsInput,
    errors: FieldErrors,
    conflict: bool,
    /// The year's days and visits as an Excel workbook.
    export_href: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct YearQuery {
    year: Option<String>,
    page: Option<String>,
}

async fn overview_page(
    state: &AppState,
    page: &PageActor,
    q: YearQuery,
    settings_input: Option<SettingsInput>,
    errors: FieldErrors,
    conflict: bool,
) -> Result<OverviewTemplate, AppError> {
    let overview = service::overview(&state.db, &page.actor, &q.year, q.page.as_deref()).await?;
    let settings = overview.settings;
    let settings = settings_input.unwrap_or(SettingsInput {
        org_id: None,
        day_of_month: settings.day_of_month.to_string(),
        due_working_days: settings.due_working_days.to_string(),
        return_working_days: settings.return_working_days.to_string(),
        version: Some(settings.version.to_string()),
    });
    Ok(OverviewTemplate {
        ctx: Ctx::for_page(page, "reception"),
        export_href: format!("/reception?year={}&format=xlsx", overview.year),
        year: overview.year,
        schedule: overview.schedule,
        days: overview.days,
        days_total: overview.days_total,
        page: overview.page.page,
        pager: pager(
            "/reception",
            &[("year", overview.year.to_string())],
            &overview.page,
            overview.days_total,
        ),
        settings,
        errors,
        conflict,
    })
}

pub async fn overview(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<YearQuery>,
    ApiQuery(wanted): ApiQuery<FormatParam>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    if wanted.format().for_page(&page)? == ListFormat::Xlsx {
        // The page shows a year: its days, from the first to the last.
        let year = q.year.as_deref().map(str::trim).filter(|y| !y.is_empty());
        let list = ListQuery::Reception(DayQuery {
            from: year.map(|y| format!("{y}-01-01")),
            to: year.map(|y| format!("{y}-12-31")),
            ..Default::default()
        });
        return xlsx_list_on_page(&state, &page.actor, list, raw.as_deref())
            .await
            .for_page(&page);
    }
    let t = overview_page(&state, &page, q, None, FieldErrors::new(), false)
        .await
        .for_page(&page)?;
    Ok(render(&t))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DayForm {
    held_on: Option<String>,
    note: Option<String>,
}

pub async fn create_day(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<DayForm>,
) -> Response {
    let input = DayInput {
        org_id: None,
        held_on: form.held_on,
        duty_member_ids: None,
        note: form.note,
    };
    match service::create_day(&state.db, &page.actor, &input).await {
        Ok(day) => flash::redirect(&format!("/reception/{}", day.id), Flash::Created),
        Err(AppError::Validation(errors)) => {
            match overview_page(&state, &page, YearQuery::default(), None, errors, false).await {
                Ok(t) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &t),
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            }
        }
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

pub async fn save_settings(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<SettingsInput>,
) -> Response {
    match service::save_settings(&state.db, &page.actor, &form).await {
        Ok(_) => flash::redirect("/reception", Flash::Saved),
        Err(AppError::Validation(errors)) => {
            match overview_page(
                &state,
                &page,
                YearQuery::default(),
                Some(form),
                errors,
                false,
            )
            .await
            {
                Ok(t) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &t),
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            }
        }
        // Someone else saved first: the form again with what this user typed.
        Err(AppError::Conflict(_)) => {
            let mut form = form;
            if let Ok((_, s)) = service::get_settings(&state.db, &page.actor, None).await {
                form.version = Some(s.version.to_string());
            }
            match overview_page(
                &state,
                &page,
                YearQuery::default(),
                Some(form),
                FieldErrors::new(),
                true,
            )
            .await
            {
                Ok(t) => render_status(StatusCode::CONFLICT, &t),
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            }
        }
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

/// A visit as shown: the phone masked.
pub struct VisitRow {
    pub people: i64,
    pub community: String,
    pub summary: String,
    pub visitor: String,
    pub phone: String,
    pub outcome: String,
    pub answer: String,
    /// The cases the visit opened: id, subject, status in words and its tone.
    pub cases: Vec<(i64, String, String, &'static str)>,
}

#[derive(Template)]
#[template(path = "reception/day.html")]
struct DayTemplate {
    ctx: Ctx,
    day: DayDetail,
    visits: Vec<VisitRow>,
    /// The committee's communities a visit names (free text when it keeps none).
    communities: Vec<String>,
    input: VisitForm,
    errors: FieldErrors,
    outcomes: Vec<(String, String)>,
}

/// The visit form: up to three cases from one visit.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct VisitForm {
    pub people: String,
    pub community: String,
    pub summary: String,
    pub visitor_name: String,
    pub phone: String,
    pub outcome: String,
    pub answer: String,
    pub received_by: String,
    pub subject_1: String,
    pub description_1: String,
    pub subject_2: String,
    pub description_2: String,
    pub subject_3: String,
    pub description_3: String,
}

impl VisitForm {
    fn input(&self) -> VisitInput {
        let opt = |s: &str| Some(s.to_string()).filter(|s| !s.trim().is_empty());
        let cases = [
            (&self.subject_1, &self.description_1),
            (&self.subject_2, &self.description_2),
            (&self.subject_3, &self.description_3),
        ]
        .into_iter()
        .filter(|(s, d)| !s.trim().is_empty() || !d.trim().is_empty())
        .map(|(s, d)| VisitCaseInput {
            subject: s.clone(),
            description: d.clone(),
        })
        .collect();
        VisitInput {
            people: self.people.clone(),
            community: self.community.clone(),
            summary: self.summary.clone(),
            visitor_name: opt(&self.visitor_name),
            phone: opt(&self.phone),
            outcome: self.outcome.clone(),
            answer: opt(&self.answer),
            received_by: opt(&self.received_by),
            cases,
        }
    }
}

async fn day_page(
    state: &AppState,
    page: &PageActor,
    id: i64,
    input: VisitForm,
    errors: FieldErrors,
) -> Result<DayTemplate, AppError> {
    let day = service::get_day(&state.db, &page.actor, id).await?;
    let ctx = Ctx::for_page(page, "reception");
    let visits = day
        .visits
        .iter()
        .map(|v| VisitRow {
            people: v.people,
            community: v.community.clone(),
            summary: v.summary.clone(),
            visitor: v.visitor_name.clone().unwrap_or_default(),
            phone: v.phone_masked.clone().unwrap_or_default(),
            outcome: VisitOutcome::parse("outcome", &v.outcome)
                .map(|o| ctx.t(o.label_key()))
                .unwrap_or_else(|_| v.outcome.clone()),
            answer: v.answer.clone().unwrap_or_default(),
            cases: day
                .cases
                .iter()
                .filter(|c| c.visit_id == v.id)
                .map(|c| {
                    (
                        c.id,
                        c.title.clone(),
                        ctx.t(c.status.label_key()),
                        c.status.tone(),
                    )
                })
                .collect(),
        })
        .collect();
    let communities = service::communities_of_day(&state.db, &day.day).await?;
    let outcomes = VisitOutcome::ALL
        .iter()
        .map(|o| (o.as_str().to_string(), ctx.t(o.label_key())))
        .collect();
    Ok(DayTemplate {
        ctx,
        day,
        visits,
        communities,
        input,
        errors,
        outcomes,
    })
}

pub async fn show_day(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
) -> PageResult {
    let input = VisitForm {
        people: "1".into(),
        outcome: "answered".into(),
        received_by: page
            .actor
            .member_id
            .map(|m| m.to_string())
            .unwrap_or_default(),
        ..Default::default()
    };
    let t = day_page(&state, &page, id, input, FieldErrors::new())
        .await
        .for_page(&page)?;
    Ok(render(&t))
}

pub async fn add_visit(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<VisitForm>,
) -> Response {
    match service::add_visit(&state.db, &page.actor, &state.cipher, id, &form.input()).await {
        Ok(_) => flash::redirect(&format!("/reception/{id}"), Flash::Recorded),
        Err(AppError::Validation(errors)) => {
            match day_page(&state, &page, id, form, errors).await {
                Ok(t) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &t),
                Err(e) => error_page(page.actor.locale, Some(&page), e),
            }
        }
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

#[derive(Template)]
#[template(path = "reception/holidays.html")]
struct HolidaysTemplate {
    ctx: Ctx,
    year: String,
    holidays: Vec<(String, String, String)>,
    input: HolidaysInput,
    errors: FieldErrors,
}

fn holiday_rows(ctx: &Ctx, list: &[Holiday]) -> Vec<(String, String, String)> {
    list.iter()
        .map(|h| {
            let kind = crate::domain::calendar::DayKind::parse("kind", &h.kind)
                .map(|k| ctx.t(k.label_key()))
                .unwrap_or_else(|_| h.kind.clone());
            (h.day.to_string(), kind, h.name.clone())
        })
        .collect()
}

pub async fn holidays(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> PageResult {
    let ctx = Ctx::for_page(&page, "holidays");
    let list = service::list_holidays(&state.db, &page.actor, q.year.as_deref())
        .await
        .for_page(&page)?;
    let year = list
        .first()
        .map(|h| h.year.to_string())
        .or(q.year.clone())
        .unwrap_or_default();
    Ok(render(&HolidaysTemplate {
        holidays: holiday_rows(&ctx, &list),
        input: HolidaysInput {
            year: year.clone(),
            lines: String::new(),
        },
        year,
        errors: FieldErrors::new(),
        ctx,
    }))
}

pub async fn load_holidays(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<HolidaysInput>,
) -> Response {
    match service::load_holidays(&state.db, &page.actor, &form).await {
        Ok(_) => flash::redirect(
            &format!("/holidays?year={}", form.year.trim()),
            Flash::Saved,
        ),
        Err(AppError::Validation(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &HolidaysTemplate {
                ctx: Ctx::for_page(&page, "holidays"),
                year: form.year.clone(),
                holidays: Vec::new(),
                input: form,
                errors,
            },
        ),
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}
