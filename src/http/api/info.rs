//! Information reports as JSON: list, submit, read with adoptions,
//! instructions and the timeline, edit, the lifecycle steps, and the
//! quarterly figures.

use crate::domain::audit::AuditVia;
use crate::http::files::xlsx_list;
use crate::services::exports::{FormatParam, ListFormat, ListQuery};
use axum::extract::RawQuery;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{JsonForm, Page};
use crate::domain::roles::Role::{Member, Staff};
use crate::http::auth::{Access, ApiActor, ApiQuery, PathId};
use crate::http::error::{ApiResult, ErrorBody, ForApi};
use crate::http::{route, AppState, RouteSpec};
use crate::services::info::{
    self as service, FigureQuery, InfoDetail, InfoFigures, InfoInput, InfoQuery, InfoStepInput,
};
use crate::storage::info::InfoReport;

pub fn routes() -> Vec<RouteSpec> {
    const STAFF: Access = Access::Roles(&[Staff]);
    const BOTH: Access = Access::Roles(&[Staff, Member]);
    vec![
        route(Method::GET, "/api/v1/info-reports", BOTH, list),
        route(Method::POST, "/api/v1/info-reports", BOTH, create),
        route(Method::GET, "/api/v1/info-reports/figures", STAFF, figures),
        route(Method::GET, "/api/v1/info-reports/{id}", BOTH, get),
        route(Method::PUT, "/api/v1/info-reports/{id}", BOTH, update),
        route(Method::POST, "/api/v1/info-reports/{id}/steps", BOTH, step),
    ]
}

/// Filters of the list. A member sees their own reports only.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct InfoListParams {
    /// social_condition | work
    kind: Option<String>,
    /// submitted | edited | forwarded | adopted | withdrawn
    status: Option<String>,
    /// Submitted on or after (YYYY-MM-DD).
    from: Option<String>,
    /// Submitted on or before (YYYY-MM-DD).
    to: Option<String>,
    /// Staff: committee id (defaults to your own; its subtree is included).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    org: Option<String>,
    /// From 1.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    page: Option<String>,
    /// 1–200, default 20.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    per_page: Option<String>,
}

/// A report as submitted or edited.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct InfoBody {
    /// social_condition (社情民意信息) | work (政协工作信息)
    kind: String,
    /// The title (标题), at most 100 characters.
    headline: String,
    /// The text (正文): at most 1,500 characters by default (setting `info_max_chars`); longer is refused.
    text: String,
    /// Staff: the member who wrote it (omit for the committee's own report). Ignored for members.
    author_member_id: Option<i64>,
    /// Staff, for the committee's own report: the committee.
    org_id: Option<i64>,
    /// YYYY-MM-DD; today when absent.
    submitted_on: Option<String>,
    /// PUT: the version read.
    version: Option<i64>,
    /// PUT by staff: the date of the edit; today when absent.
    on: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/info-reports", tag = "info", params(InfoListParams, FormatParam),
    responses((status = 200, description = "The list as JSON; with `format=xlsx` every matching row as an Excel workbook (audited)", content((Page<InfoReport> = "application/json"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")), headers(("x-row-count" = i64, description = "rows in the workbook (xlsx only)"))), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<InfoQuery>,
    ApiQuery(wanted): ApiQuery<FormatParam>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    if wanted.format().for_api(actor.locale)? == ListFormat::Xlsx {
        let list = ListQuery::Info(q);
        return xlsx_list(&state.db, &actor, AuditVia::Api, list, raw.as_deref())
            .await
            .for_api(actor.locale);
    }
    let (items, total, _) = service::list_page(&state.db, &actor, &q)
        .await
        .for_api(actor.locale)?;
    Ok(Page { items, total }.into_response())
}

#[utoipa::path(post, path = "/api/v1/info-reports", tag = "info", request_body = InfoBody,
    responses((status = 201, body = InfoReport), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    JsonForm(input): JsonForm<InfoInput>,
) -> ApiResult {
    let r = service::create(&state.db, &actor, state.settings.info_max_chars, &input)
        .await
        .for_api(actor.locale)?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

#[utoipa::path(get, path = "/api/v1/info-reports/{id}", tag = "info", params(("id" = i64, Path)),
    responses((status = 200, body = InfoDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
) -> ApiResult {
    let d = service::detail(&state.db, &actor, id)
        .await
        .for_api(actor.locale)?;
    Ok(Json(d).into_response())
}

#[utoipa::path(put, path = "/api/v1/info-reports/{id}", tag = "info", params(("id" = i64, Path)), request_body = InfoBody,
    responses((status = 200, body = InfoReport), (status = 409, body = ErrorBody, description = "changed by someone else since it was read"),
        (status = 422, body = ErrorBody, description = "not editable now, or a field is invalid"), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<InfoInput>,
) -> ApiResult {
    let r = service::update(&state.db, &actor, state.settings.info_max_chars, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(r).into_response())
}

/// One lifecycle step. `action` says which; `version` is the report's version as read.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct InfoStepBody {
    /// forward | adopt | instruct (staff) | withdraw (the author, while submitted)
    action: String,
    version: i64,
    /// The date of the step (YYYY-MM-DD); today by default; not before the last step.
    on: Option<String>,
    /// forward: to whom; the district committee above by default.
    forwarded_to: Option<String>,
    /// adopt: district (区) | city (市) | province (省) | national (全国). May be recorded again by another level.
    level: Option<String>,
    /// adopt: where it was published.
    publication: Option<String>,
    /// instruct: the leader, e.g. 区委副书记.
    leader: Option<String>,
    /// instruct: the instruction's text.
    content: Option<String>,
    /// A note.
    note: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/info-reports/{id}/steps", tag = "info", params(("id" = i64, Path)), request_body = InfoStepBody,
    responses((status = 200, body = InfoReport), (status = 409, body = ErrorBody, description = "changed by someone else since it was read"),
        (status = 422, body = ErrorBody, description = "the step is not possible now, or a field is invalid"),
        (status = 403, body = ErrorBody, description = "not a step this role takes"), (status = 404, body = ErrorBody)))]
pub async fn step(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<InfoStepInput>,
) -> ApiResult {
    let r = service::step(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(r).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct InfoFigureParams {
    /// The year (default: this year).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    year: Option<String>,
    /// Committee id (defaults to your own; its subtree is included).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    org: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/info-reports/figures", tag = "info", params(InfoFigureParams),
    responses((status = 200, body = InfoFigures), (status = 400, body = ErrorBody)))]
pub async fn figures(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<FigureQuery>,
) -> ApiResult {
    let f = service::figures(&state.db, &actor, &q)
        .await
        .for_api(actor.locale)?;
    Ok(Json(f).into_response())
}
