//! The audit log for the audit admin: a filtered, paged list and the CSV export.

use crate::http::error::{ApiResult, ForApi};
use crate::http::files::csv_response;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::auth::Access;
use crate::http::auth::{ApiActor, ApiQuery};
use crate::http::error::ErrorBody;
use crate::http::AppState;
use crate::http::{route, RouteSpec};
use crate::services::audit::{self as service, AuditQuery, Retention};
use crate::services::error::AppError;
use crate::storage::audit::AuditEntry;
use axum::http::Method;

/// The routes of this part of the API, with who may call each.
pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::Auditor;
    use Access::Roles;
    vec![
        route(Method::GET, "/api/v1/audit", Roles(&[Auditor]), list),
        route(
            Method::GET,
            "/api/v1/audit/export",
            Roles(&[Auditor]),
            export,
        ),
    ]
}

/// One page of the audit log, newest first, and how far back the log reaches.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    /// Rows the filters select, across pages.
    pub total: i64,
    pub retention: Retention,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult {
    let result = async {
        let (items, total, _) = service::list(&state.db, &actor, &query).await?;
        let retention = service::retention(&state.db, state.settings.audit_retention_days).await?;
        Ok::<_, AppError>(AuditPage {
            items,
            total,
            retention,
        })
    }
    .await;
    let page = result.for_api(actor.locale)?;
    Ok(Json(page).into_response())
}

/// The filters of an export: the list's, without paging (every row is exported).
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ExportParams {
    /// First day, `YYYY-MM-DD` (UTC), inclusive.
    from: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC), inclusive.
    to: Option<String>,
    /// Exactly this action, e.g. `login`, `export`, `disable`.
    action: Option<String>,
    /// Exactly this user name.
    username: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", params(ExportParams),
    responses((status = 200, description = "CSV (UTF-8 with BOM), oldest row first; the export is audited", content_type = "text/csv"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult {
    let export = service::export(&state.db, &actor, &query, "api")
        .await
        .for_api(actor.locale)?;
    Ok(csv_response(export))
}
