//! The audit log for the audit admin: a filtered, paged list and the CSV export.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::auth::{ApiActor, ApiQuery};
use crate::http::AppState;
use crate::services::audit::{self as service, AuditQuery, Export, Retention};
use crate::services::error::{AppError, ErrorBody};
use crate::storage::audit::AuditEntry;

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
) -> Response {
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
    match result {
        Ok(page) => Json(page).into_response(),
        Err(e) => e.into_json(actor.locale),
    }
}

#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "CSV (UTF-8 with BOM), oldest row first; the export is audited", content_type = "text/csv"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Response {
    match service::export(&state.db, &actor, &query, "api").await {
        Ok(export) => csv_response(export),
        Err(e) => e.into_json(actor.locale),
    }
}

/// An export as a download.
pub fn csv_response(export: Export) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", export.filename);
    let mut response = export.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(v) = HeaderValue::from_str(&export.rows.to_string()) {
        headers.insert("x-row-count", v);
    }
    response
}
