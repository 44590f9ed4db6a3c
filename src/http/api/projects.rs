//! Key projects as JSON: the list of a committee's year with each project's
//! figures, enter and edit a project, read it with its updates, report
//! progress, and the year's figures.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::roles::Role::{Member, Staff};
use crate::http::api::JsonForm;
use crate::http::auth::{Access, ApiActor, ApiQuery, PathId};
use crate::http::error::{ApiResult, ErrorBody, ForApi};
use crate::http::{route, AppState, RouteSpec};
use crate::services::projects::{
    self as service, ProjectDetail, ProjectFigures, ProjectInput, ProjectItem, ProjectQuery,
    UpdateInput,
};
use crate::storage::projects::Project;

pub fn routes() -> Vec<RouteSpec> {
    const STAFF: Access = Access::Roles(&[Staff]);
    const BOTH: Access = Access::Roles(&[Staff, Member]);
    vec![
        route(Method::GET, "/api/v1/projects", BOTH, list),
        route(Method::POST, "/api/v1/projects", STAFF, create),
        route(Method::GET, "/api/v1/projects/figures", BOTH, figures),
        route(Method::GET, "/api/v1/projects/{id}", BOTH, get),
        route(Method::PUT, "/api/v1/projects/{id}", STAFF, update),
        route(
            Method::POST,
            "/api/v1/projects/{id}/updates",
            STAFF,
            add_update,
        ),
    ]
}

/// Filters of the list. Members read their own committee's projects.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ProjectListParams {
    /// Committee id (staff: within their subtree, default their own).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    org: Option<String>,
    /// The year (default: the latest year that has projects).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    year: Option<String>,
    /// key | self_set
    kind: Option<String>,
    /// under_construction | continuing | preparing | completed
    status: Option<String>,
}

/// The projects of a committee's year.
#[derive(Serialize, ToSchema)]
pub struct ProjectList {
    pub org_id: i64,
    pub org_name: String,
    pub year: i32,
    pub items: Vec<ProjectItem>,
    pub total: i64,
}

/// A project as entered or edited. Money is whole 元 or with a unit (`5亿`, `300万`).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct ProjectBody {
    /// The committee (default: your own).
    org_id: Option<i64>,
    /// The year it is reported for.
    year: i32,
    /// The name, at most 100 characters.
    project_name: String,
    /// key (重点项目) | self_set (自定项目)
    kind: String,
    /// under_construction (动工在建) | continuing (续建) | preparing (前期) | completed (竣工)
    status: String,
    /// 总投资, e.g. `5亿` or `500000000`.
    total_investment: Option<String>,
    /// 年度目标, the year's planned investment, e.g. `5亿`.
    annual_target: Option<String>,
    /// Households to compensate (urban-village redevelopment).
    households: Option<i64>,
    notes: Option<String>,
    /// PUT: the version read.
    version: Option<i64>,
}

/// A dated progress update: at least one figure. A figure lower than the
/// last one needs a correction `note`.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct UpdateBody {
    /// YYYY-MM-DD in the project's year, not before the last update, not in the future; today by default.
    on: Option<String>,
    /// Invested this year to date, e.g. `5亿`.
    invested: Option<String>,
    /// Households compensated (已兑付) to date.
    compensated: Option<i64>,
    /// Households demolished (已拆除) to date: not more than those compensated.
    demolished: Option<i64>,
    note: Option<String>,
    /// The project's version as read.
    version: i64,
}

#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", params(ProjectListParams),
    responses((status = 200, body = ProjectList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ProjectQuery>,
) -> ApiResult {
    let (org, year, items) = service::list(&state.db, &actor, &q)
        .await
        .for_api(actor.locale)?;
    let total = items.len() as i64;
    Ok(Json(ProjectList {
        org_id: org.id,
        org_name: org.name,
        year,
        items,
        total,
    })
    .into_response())
}

#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = ProjectBody,
    responses((status = 201, body = Project), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    JsonForm(input): JsonForm<ProjectInput>,
) -> ApiResult {
    let p = service::create(&state.db, &actor, &input)
        .await
        .for_api(actor.locale)?;
    Ok((StatusCode::CREATED, Json(p)).into_response())
}

#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = i64, Path)),
    responses((status = 200, body = ProjectDetail), (status = 404, body = ErrorBody)))]
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

#[utoipa::path(put, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = i64, Path)), request_body = ProjectBody,
    responses((status = 200, body = Project), (status = 409, body = ErrorBody, description = "changed by someone else since it was read"),
        (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<ProjectInput>,
) -> ApiResult {
    let p = service::update(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(p).into_response())
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/updates", tag = "projects", params(("id" = i64, Path)), request_body = UpdateBody,
    responses((status = 201, body = ProjectDetail), (status = 409, body = ErrorBody, description = "changed by someone else since it was read"),
        (status = 422, body = ErrorBody, description = "a figure is invalid, goes down without a note, or demolished exceeds compensated"),
        (status = 404, body = ErrorBody)))]
pub async fn add_update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<UpdateInput>,
) -> ApiResult {
    let d = service::add_update(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ProjectFigureParams {
    /// Committee id (staff: within their subtree, default their own).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    org: Option<String>,
    /// The year (default: the latest year that has projects).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    year: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/projects/figures", tag = "projects", params(ProjectFigureParams),
    responses((status = 200, body = ProjectFigures), (status = 400, body = ErrorBody)))]
pub async fn figures(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ProjectQuery>,
) -> ApiResult {
    let f = service::figures(&state.db, &actor, &q)
        .await
        .for_api(actor.locale)?;
    Ok(Json(f).into_response())
}
