//! Reception days, their visits, the schedule, the committee's settings and
//! the official calendar, as JSON.

use crate::domain::audit::AuditVia;
use crate::http::files::xlsx_list;
use crate::services::exports::{FormatParam, ListFormat, ListQuery};
use axum::extract::RawQuery;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{JsonForm, Page};
use crate::domain::roles::Role::{Member, Staff};
use crate::http::auth::{Access, ApiActor, ApiQuery, PathId};
use crate::http::error::{ApiResult, ErrorBody, ForApi};
use crate::http::{route, AppState, RouteSpec};
use crate::services::cases::Settings;
use crate::services::reception::{
    self as service, DayDetail, DayInput, DayQuery, HolidaysInput, ScheduleEntry, ScheduleQuery,
    SettingsInput, VisitInput,
};
use crate::storage::calendar::Holiday;
use crate::storage::reception::{ReceptionDay, Visit};

pub fn routes() -> Vec<RouteSpec> {
    const STAFF: Access = Access::Roles(&[Staff]);
    const ON_DUTY: Access = Access::Roles(&[Staff, Member]);
    vec![
        route(Method::GET, "/api/v1/reception-days", STAFF, list),
        route(Method::POST, "/api/v1/reception-days", STAFF, create),
        route(
            Method::GET,
            "/api/v1/reception-days/schedule",
            STAFF,
            schedule,
        ),
        route(
            Method::GET,
            "/api/v1/reception-days/settings",
            STAFF,
            get_settings,
        ),
        route(
            Method::PUT,
            "/api/v1/reception-days/settings",
            STAFF,
            put_settings,
        ),
        route(Method::GET, "/api/v1/reception-days/{id}", ON_DUTY, get),
        route(
            Method::POST,
            "/api/v1/reception-days/{id}/visits",
            ON_DUTY,
            add_visit,
        ),
        route(Method::GET, "/api/v1/holidays", STAFF, list_holidays),
        route(Method::PUT, "/api/v1/holidays", STAFF, put_holidays),
    ]
}

/// Filters of the reception-day list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct DayListParams {
    /// Held on or after (YYYY-MM-DD).
    from: Option<String>,
    /// Held on or before (YYYY-MM-DD).
    to: Option<String>,
    /// Committee id (defaults to your own; its subtree is included).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    org: Option<String>,
    /// From 1.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    page: Option<String>,
    /// 1–200, default 20.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    per_page: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reception-days", tag = "reception", params(DayListParams, FormatParam),
    responses((status = 200, description = "The list as JSON; with `format=xlsx` every matching row as an Excel workbook (audited)", content((Page<ReceptionDay> = "application/json"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")), headers(("x-row-count" = i64, description = "rows in the workbook (xlsx only)"))), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<DayQuery>,
    ApiQuery(wanted): ApiQuery<FormatParam>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    if wanted.format().for_api(actor.locale)? == ListFormat::Xlsx {
        let list = ListQuery::Reception(q);
        return xlsx_list(&state.db, &actor, AuditVia::Api, list, raw.as_deref())
            .await
            .for_api(actor.locale);
    }
    let (items, total, _) = service::list_days(&state.db, &actor, &q)
        .await
        .for_api(actor.locale)?;
    Ok(Page { items, total }.into_response())
}

/// A reception day to hold.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct DayBody {
    /// Committee id; your own by default.
    org_id: Option<i64>,
    /// YYYY-MM-DD (see the schedule for the month's day).
    held_on: String,
    /// Members on duty; the rostered group by default.
    duty_member_ids: Option<Vec<i64>>,
    note: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/reception-days", tag = "reception", request_body = DayBody,
    responses((status = 201, body = ReceptionDay), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    JsonForm(input): JsonForm<DayInput>,
) -> ApiResult {
    let day = service::create_day(&state.db, &actor, &input)
        .await
        .for_api(actor.locale)?;
    Ok((StatusCode::CREATED, Json(day)).into_response())
}

/// A JSON value as the text a form would send: numbers and strings alike.
#[utoipa::path(get, path = "/api/v1/reception-days/{id}", tag = "reception", params(("id" = i64, Path)),
    responses((status = 200, body = DayDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
) -> ApiResult {
    let day = service::get_day(&state.db, &actor, id)
        .await
        .for_api(actor.locale)?;
    Ok(Json(day).into_response())
}

/// A visit registered, and the cases it opened.
#[derive(Serialize, ToSchema)]
pub struct VisitCreated {
    pub visit: Visit,
    pub case_ids: Vec<i64>,
}

#[utoipa::path(post, path = "/api/v1/reception-days/{id}/visits", tag = "reception", params(("id" = i64, Path)), request_body = VisitInput,
    responses((status = 201, body = VisitCreated), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_visit(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<VisitInput>,
) -> ApiResult {
    let (visit, case_ids) = service::add_visit(&state.db, &actor, &state.cipher, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok((StatusCode::CREATED, Json(VisitCreated { visit, case_ids })).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ScheduleParams {
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    org: Option<String>,
    /// The year; this year by default.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    year: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reception-days/schedule", tag = "reception", params(ScheduleParams),
    responses((status = 200, body = Page<ScheduleEntry>), (status = 400, body = ErrorBody)))]
pub async fn schedule(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ScheduleQuery>,
) -> ApiResult {
    let items = service::schedule(&state.db, &actor, &q)
        .await
        .for_api(actor.locale)?;
    let total = items.len() as i64;
    Ok(Page { items, total }.into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgParam {
    /// Committee id; your own by default.
    pub org: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reception-days/settings", tag = "reception", params(OrgParam),
    responses((status = 200, body = Settings), (status = 400, body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<OrgParam>,
) -> ApiResult {
    let (_, settings) = service::get_settings(&state.db, &actor, q.org.as_deref())
        .await
        .for_api(actor.locale)?;
    Ok(Json(settings).into_response())
}

#[utoipa::path(put, path = "/api/v1/reception-days/settings", tag = "reception", request_body = SettingsInput,
    responses((status = 200, body = Settings), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    JsonForm(input): JsonForm<SettingsInput>,
) -> ApiResult {
    let settings = service::save_settings(&state.db, &actor, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(settings).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearParam {
    /// The year; this year by default.
    pub year: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/holidays", tag = "reception", params(YearParam),
    responses((status = 200, body = Page<Holiday>), (status = 400, body = ErrorBody)))]
pub async fn list_holidays(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<YearParam>,
) -> ApiResult {
    let items = service::list_holidays(&state.db, &actor, q.year.as_deref())
        .await
        .for_api(actor.locale)?;
    let total = items.len() as i64;
    Ok(Page { items, total }.into_response())
}

#[utoipa::path(put, path = "/api/v1/holidays", tag = "reception", request_body = HolidaysInput,
    responses((status = 200, body = Page<Holiday>), (status = 422, body = ErrorBody)))]
pub async fn put_holidays(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    JsonForm(input): JsonForm<HolidaysInput>,
) -> ApiResult {
    let items = service::load_holidays(&state.db, &actor, &input)
        .await
        .for_api(actor.locale)?;
    let total = items.len() as i64;
    Ok(Page { items, total }.into_response())
}
