//! "Export all": every list of a committee and a year in one workbook.

use axum::extract::State;
use axum::http::Method;

use crate::domain::audit::AuditVia;
use crate::http::auth::{Access, ApiActor, ApiQuery};
use crate::http::error::{ApiResult, ErrorBody, ForApi};
use crate::http::files::xlsx_response;
use crate::http::AppState;
use crate::http::{route, RouteSpec};
use crate::services::exports::{self as service, AllQuery};

/// The routes of this part of the API, with who may call each.
pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::Staff;
    vec![route(
        Method::GET,
        "/api/v1/exports",
        Access::Roles(&[Staff]),
        all,
    )]
}

#[utoipa::path(get, path = "/api/v1/exports", tag = "exports", params(AllQuery),
    description = "One Excel workbook with a sheet per kind for a committee and a year: members, activities and attendance, reception days and visits, cases, the year's proposals, information reports, duty points and the plan's status. Audited as an export.",
    responses(
        (status = 200, description = "The workbook (attachment)",
            content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
            headers(("x-row-count" = i64, description = "rows in the workbook, headers aside"))),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn all(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<AllQuery>,
) -> ApiResult {
    let book = service::all(&state.db, &actor, AuditVia::Api, &q, &mut |_, _| {})
        .await
        .for_api(actor.locale)?;
    Ok(xlsx_response(book))
}
