//! Citizens' cases as JSON: list, register, read with the timeline, the
//! lifecycle steps, and the figures.

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
use crate::domain::roles::Role::{Department, Staff};
use crate::http::auth::{Access, ApiActor, ApiQuery, PathId};
use crate::http::error::{ApiResult, ErrorBody, ForApi};
use crate::http::{route, AppState, RouteSpec};
use crate::services::cases::{
    self as service, CaseDetail, CaseInput, CaseQuery, Figures, StepInput,
};
use crate::storage::cases::Case;

pub fn routes() -> Vec<RouteSpec> {
    const STAFF: Access = Access::Roles(&[Staff]);
    const HANDLERS: Access = Access::Roles(&[Staff, Department]);
    vec![
        route(
            Method::GET,
            "/api/v1/cases",
            Access::Roles(service::READERS),
            list,
        ),
        route(Method::POST, "/api/v1/cases", STAFF, create),
        route(Method::GET, "/api/v1/cases/figures", STAFF, figures),
        route(
            Method::GET,
            "/api/v1/cases/{id}",
            Access::Roles(service::READERS),
            get,
        ),
        route(Method::POST, "/api/v1/cases/{id}/steps", HANDLERS, step),
    ]
}

/// Filters of the case list. A department handler sees their department's
/// cases only; a member the cases they took up (`org` does not apply to either).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CaseListParams {
    /// Received on or after (YYYY-MM-DD).
    from: Option<String>,
    /// Received on or before (YYYY-MM-DD).
    to: Option<String>,
    /// Committee id (defaults to your own; its subtree is included).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    org: Option<String>,
    /// registered | forwarded | in_progress | resolved | followed_up | closed
    status: Option<String>,
    /// From 1.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    page: Option<String>,
    /// 1–200, default 20.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    per_page: Option<String>,
}

/// A case in a list, with whether it is past its due date now.
#[derive(Serialize, ToSchema)]
pub struct CaseListItem {
    #[serde(flatten)]
    pub case: Case,
    pub overdue: bool,
}

#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseListParams, FormatParam),
    responses((status = 200, description = "The list as JSON; with `format=xlsx` every matching row as an Excel workbook (audited)", content((Page<CaseListItem> = "application/json"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")), headers(("x-row-count" = i64, description = "rows in the workbook (xlsx only)"))), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<CaseQuery>,
    ApiQuery(wanted): ApiQuery<FormatParam>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    if wanted.format().for_api(actor.locale)? == ListFormat::Xlsx {
        let list = ListQuery::Cases(q);
        return xlsx_list(&state.db, &actor, AuditVia::Api, list, raw.as_deref())
            .await
            .for_api(actor.locale);
    }
    let (cases, total) = service::list_page(&state.db, &actor, &q)
        .await
        .for_api(actor.locale)?;
    let items: Vec<CaseListItem> = cases
        .into_iter()
        .map(|case| CaseListItem {
            overdue: service::overdue(&case),
            case,
        })
        .collect();
    Ok(Page { items, total }.into_response())
}

#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = CaseInput,
    responses((status = 201, body = Case), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    JsonForm(input): JsonForm<CaseInput>,
) -> ApiResult {
    let case = service::create(&state.db, &actor, &state.cipher, &input)
        .await
        .for_api(actor.locale)?;
    Ok((StatusCode::CREATED, Json(case)).into_response())
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = i64, Path),
        ("reveal" = Option<String>, Query, description = "`phone`: the contact's phone in full, for staff (audited); masked otherwise")),
    responses((status = 200, body = CaseDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<service::RevealQuery>,
) -> ApiResult {
    let reveal = q.reveal.as_deref() == Some("phone");
    let detail = service::detail(&state.db, &actor, &state.cipher, id, reveal)
        .await
        .for_api(actor.locale)?;
    Ok(Json(detail).into_response())
}

/// One lifecycle step. `action` says which; `version` is the case's version as read.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct StepBody {
    /// forward | accept | note | resolve | return | follow_up | reopen | close | escalate
    action: String,
    version: i64,
    /// The date of the step (YYYY-MM-DD); today by default.
    on: Option<String>,
    /// forward: the department.
    department_id: Option<i64>,
    /// forward: due date; the committee's working days (15 by default) after forwarding when absent.
    due_on: Option<String>,
    /// resolve: the department's reply.
    reply: Option<String>,
    /// follow_up: satisfied | basically_satisfied | unsatisfied (unsatisfied reopens the case).
    satisfaction: Option<String>,
    /// A note; for return, the reason.
    note: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/steps", tag = "cases", params(("id" = i64, Path)), request_body = StepBody,
    responses((status = 200, body = Case), (status = 409, body = ErrorBody, description = "changed by someone else since it was read"),
        (status = 422, body = ErrorBody, description = "the step is not possible now, or a field is invalid"), (status = 404, body = ErrorBody)))]
pub async fn step(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<StepInput>,
) -> ApiResult {
    let case = service::step(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(case).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct FigureParams {
    from: Option<String>,
    to: Option<String>,
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    org: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/cases/figures", tag = "cases", params(FigureParams),
    responses((status = 200, body = Figures), (status = 400, body = ErrorBody)))]
pub async fn figures(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> ApiResult {
    let f = service::figures(&state.db, &state.case_figures, &actor, &q)
        .await
        .for_api(actor.locale)?;
    Ok(Json(f).into_response())
}
