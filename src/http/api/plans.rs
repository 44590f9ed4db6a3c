//! Work plans as JSON: a committee's plans, a plan with its items and
//! rules, items added, edited and removed, a plan copied to another year,
//! and where every rule stands in a period (`/api/v1/plan-status`).

use crate::domain::audit::AuditVia;
use crate::http::files::xlsx_list;
use crate::services::exports::{FormatParam, ListFormat, ListQuery};
use axum::extract::RawQuery;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::roles::Role::{Member, Staff};
use crate::http::api::JsonForm;
use crate::http::auth::{Access, ApiActor, ApiQuery, PathId};
use crate::http::error::{ApiResult, ErrorBody, ForApi};
use crate::http::{route, AppState, RouteSpec};
use crate::services::error::AppError;
use crate::services::plans::{
    self as service, CopyInput, ItemInput, PlanDetail, PlanInput, PlanQuery, PlanStatusReport,
    StatusQuery,
};
use crate::storage::plans::PlanRow;

pub fn routes() -> Vec<RouteSpec> {
    const STAFF: Access = Access::Roles(&[Staff]);
    const BOTH: Access = Access::Roles(&[Staff, Member]);
    vec![
        route(Method::GET, "/api/v1/plans", BOTH, list),
        route(Method::POST, "/api/v1/plans", STAFF, create),
        route(Method::GET, "/api/v1/plans/{id}", BOTH, get),
        route(Method::PUT, "/api/v1/plans/{id}", STAFF, update),
        route(Method::DELETE, "/api/v1/plans/{id}", STAFF, delete),
        route(Method::POST, "/api/v1/plans/{id}/copy", STAFF, copy),
        route(Method::POST, "/api/v1/plans/{id}/items", STAFF, add_item),
        route(
            Method::PUT,
            "/api/v1/plans/{id}/items/{item_id}",
            STAFF,
            update_item,
        ),
        route(
            Method::DELETE,
            "/api/v1/plans/{id}/items/{item_id}",
            STAFF,
            delete_item,
        ),
        route(Method::GET, "/api/v1/plan-status", BOTH, status),
    ]
}

/// A plan's id and one of its items' ids in the path; anything else is a 404.
pub struct PlanItemPath(pub i64, pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PlanItemPath {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let raw = axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .ok();
        match raw.and_then(|axum::extract::Path((a, b))| Some((a.parse().ok()?, b.parse().ok()?))) {
            Some((plan, item)) => Ok(PlanItemPath(plan, item)),
            None => Err(AppError::NotFound.into_response()),
        }
    }
}

/// A committee's plans.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PlanListParams {
    /// Committee id (staff: within their subtree, default their own; a member: their own).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    org: Option<String>,
    /// Only this year's plan.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    year: Option<String>,
}

/// The plans of a committee, the latest year first.
#[derive(Serialize, ToSchema)]
pub struct PlanList {
    pub org_id: i64,
    pub org_name: String,
    pub items: Vec<PlanRow>,
    pub total: i64,
}

/// A plan started, or renamed (`title`, `version`), or removed (`version`).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct PlanBody {
    /// POST: the committee (default: your own).
    org_id: Option<i64>,
    /// POST: the year; a plan keeps its year (copy it to another).
    year: Option<i32>,
    /// Default on POST: 「2012年工作计划」 for 2012.
    title: Option<String>,
    /// POST: `2012` starts from the built-in template (the seed's 2012 plan).
    template: Option<String>,
    /// PUT and DELETE: the version read.
    version: Option<i64>,
}

/// A counted condition (`measure`, filters, `target`), or a group of
/// conditions (`join`, `conditions`).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct PlanConditionBody {
    /// proposals_submitted | proposals_accepted | info_submitted | info_forwarded |
    /// info_adopted | activities_held | activities_attended | research_reports |
    /// reception_days_held | reception_duty | cases_followed_up | work_summaries
    measure: Option<String>,
    /// Information measures: social_condition | work (default: either).
    info_kind: Option<String>,
    /// info_adopted: district | city | province | national (default: any).
    level: Option<String>,
    /// Activity measures (required): study | research | party_hearing | …
    activity_kind: Option<String>,
    /// 1–1000.
    target: Option<i64>,
    /// A group: all (default) | any.
    join: Option<String>,
    /// A group's conditions (at most 3 levels deep, 12 counted conditions in a rule).
    #[schema(no_recursion)]
    conditions: Option<Vec<PlanConditionBody>>,
}

/// A rule: for whom, how often, and its conditions.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct PlanRuleBody {
    /// each_member | each_group | committee
    scope: String,
    /// month | quarter | half_year | year
    period: String,
    /// all (default) | any
    join: Option<String>,
    conditions: Vec<PlanConditionBody>,
}

/// A plan item with its rule (none for a text-only item).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct PlanItemBody {
    /// At most 500 characters.
    text: String,
    /// Its place, from 1 (default: last, or where it is).
    position: Option<i64>,
    rule: Option<PlanRuleBody>,
    /// The plan's version as read.
    version: i64,
}

/// The plan's version as read.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct PlanVersionBody {
    version: i64,
}

/// Copy a plan to a year.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct PlanCopyBody {
    /// Default: the year after the plan's.
    year: Option<i32>,
    /// The plan's version as read.
    version: i64,
}

#[utoipa::path(get, path = "/api/v1/plans", tag = "plans", params(PlanListParams),
    responses((status = 200, body = PlanList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<PlanQuery>,
) -> ApiResult {
    let (org, items) = service::list(&state.db, &actor, &q)
        .await
        .for_api(actor.locale)?;
    let total = items.len() as i64;
    Ok(Json(PlanList {
        org_id: org.id,
        org_name: org.name,
        items,
        total,
    })
    .into_response())
}

#[utoipa::path(post, path = "/api/v1/plans", tag = "plans", request_body = PlanBody,
    responses((status = 201, body = PlanDetail), (status = 422, body = ErrorBody, description = "a field is invalid, or the committee has a plan that year"),
        (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    JsonForm(input): JsonForm<PlanInput>,
) -> ApiResult {
    let p = service::create(&state.db, &actor, &input)
        .await
        .for_api(actor.locale)?;
    Ok((StatusCode::CREATED, Json(p)).into_response())
}

#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "plans", params(("id" = i64, Path)),
    responses((status = 200, body = PlanDetail), (status = 404, body = ErrorBody)))]
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

#[utoipa::path(put, path = "/api/v1/plans/{id}", tag = "plans", params(("id" = i64, Path)), request_body = PlanBody,
    responses((status = 200, body = PlanDetail), (status = 409, body = ErrorBody, description = "changed by someone else since it was read"),
        (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<PlanInput>,
) -> ApiResult {
    let p = service::update(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(p).into_response())
}

#[utoipa::path(delete, path = "/api/v1/plans/{id}", tag = "plans", params(("id" = i64, Path)), request_body = PlanVersionBody,
    responses((status = 204, description = "removed with its items"), (status = 409, body = ErrorBody, description = "changed by someone else since it was read"),
        (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<PlanInput>,
) -> ApiResult {
    service::delete(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(post, path = "/api/v1/plans/{id}/copy", tag = "plans", params(("id" = i64, Path)), request_body = PlanCopyBody,
    responses((status = 201, body = PlanDetail, description = "the new plan"), (status = 409, body = ErrorBody, description = "changed by someone else since it was read"),
        (status = 422, body = ErrorBody, description = "the year is invalid or already has a plan"), (status = 404, body = ErrorBody)))]
pub async fn copy(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<CopyInput>,
) -> ApiResult {
    let d = service::copy(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

#[utoipa::path(post, path = "/api/v1/plans/{id}/items", tag = "plans", params(("id" = i64, Path)), request_body = PlanItemBody,
    responses((status = 201, body = PlanDetail), (status = 409, body = ErrorBody, description = "changed by someone else since it was read"),
        (status = 422, body = ErrorBody, description = "the text or a part of the rule is invalid"), (status = 404, body = ErrorBody)))]
pub async fn add_item(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<ItemInput>,
) -> ApiResult {
    let d = service::add_item(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

#[utoipa::path(put, path = "/api/v1/plans/{id}/items/{item_id}", tag = "plans",
    params(("id" = i64, Path), ("item_id" = i64, Path)), request_body = PlanItemBody,
    responses((status = 200, body = PlanDetail), (status = 409, body = ErrorBody, description = "changed by someone else since it was read"),
        (status = 422, body = ErrorBody, description = "the text or a part of the rule is invalid"), (status = 404, body = ErrorBody)))]
pub async fn update_item(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PlanItemPath(id, item_id): PlanItemPath,
    JsonForm(input): JsonForm<ItemInput>,
) -> ApiResult {
    let d = service::update_item(&state.db, &actor, id, item_id, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(d).into_response())
}

#[utoipa::path(delete, path = "/api/v1/plans/{id}/items/{item_id}", tag = "plans",
    params(("id" = i64, Path), ("item_id" = i64, Path)), request_body = PlanVersionBody,
    responses((status = 200, body = PlanDetail), (status = 409, body = ErrorBody, description = "changed by someone else since it was read"),
        (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_item(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PlanItemPath(id, item_id): PlanItemPath,
    JsonForm(input): JsonForm<PlanInput>,
) -> ApiResult {
    let d = service::delete_item(&state.db, &actor, id, item_id, &input.version)
        .await
        .for_api(actor.locale)?;
    Ok(Json(d).into_response())
}

/// The period whose statuses to compute.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PlanStatusParams {
    /// Committee id (staff: within their subtree, default their own; a member: their own).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    org: Option<String>,
    /// `2011`, `2011-H1`, `2011-Q3` or `2011-05` (default: this quarter, or the latest plan's year when this year has none).
    period: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/plan-status", tag = "plans", params(PlanStatusParams, FormatParam),
    responses((status = 200, description = "The list as JSON; with `format=xlsx` every matching row as an Excel workbook (audited)", content((PlanStatusReport = "application/json"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")), headers(("x-row-count" = i64, description = "rows in the workbook (xlsx only)")), description = "each rule of the period's plan, each of its periods overlapping the one asked, each scope: `met`, `on_track`, `at_risk`, `missed` or `not_due`, with the counts and the records that count (a member sees their own, their group's and the committee's)"),
        (status = 400, body = ErrorBody, description = "a period that does not exist"), (status = 403, body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<StatusQuery>,
    ApiQuery(wanted): ApiQuery<FormatParam>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    if wanted.format().for_api(actor.locale)? == ListFormat::Xlsx {
        let list = ListQuery::PlanStatus(q);
        return xlsx_list(&state.db, &actor, AuditVia::Api, list, raw.as_deref())
            .await
            .for_api(actor.locale);
    }
    let r = service::status(&state.db, &actor, &q)
        .await
        .for_api(actor.locale)?;
    Ok(Json(r).into_response())
}
