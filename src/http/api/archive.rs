//! The archive as JSON: every filed item of a committee's subtree by year
//! and kind, a filed document with its text and its file, and taking an
//! item out of the archive with a reason.

use axum::extract::State;
use axum::http::Method;
use axum::response::IntoResponse;
use axum::Json;

use crate::domain::audit::AuditVia;
use crate::domain::roles::Role::Staff;
use crate::http::api::{JsonForm, Page};
use crate::http::auth::{Access, ApiActor, ApiQuery, PathId};
use crate::http::error::{ApiResult, ErrorBody, ForApi};
use crate::http::files::file_response;
use crate::http::{route, AppState, RouteSpec};
use crate::services::archive::{
    self as service, ArchiveItem, ArchiveQuery, DocumentDetail, WithdrawReason,
};

pub fn routes() -> Vec<RouteSpec> {
    const STAFF: Access = Access::Roles(&[Staff]);
    vec![
        route(Method::GET, "/api/v1/archive", STAFF, list),
        route(
            Method::GET,
            "/api/v1/archive/documents/{id}",
            STAFF,
            document,
        ),
        route(
            Method::GET,
            "/api/v1/archive/documents/{id}/file",
            STAFF,
            document_file,
        ),
        route(
            Method::POST,
            "/api/v1/archive/documents/{id}/withdraw",
            STAFF,
            withdraw_document,
        ),
        route(
            Method::GET,
            "/api/v1/archive/attachments/{id}",
            STAFF,
            attachment,
        ),
        route(
            Method::POST,
            "/api/v1/archive/attachments/{id}/withdraw",
            STAFF,
            withdraw_attachment,
        ),
    ]
}

#[utoipa::path(get, path = "/api/v1/archive", tag = "archive", params(ArchiveQuery),
    description = "Every filed item of the committee's subtree: saved work summaries, the Word documents generated from the records (filed when generated, once per content) and the files uploaded to records; the latest year first. Excel exports are not filed. `url` and `download_url` are the pages' paths (a document's file is also at `/api/v1/archive/documents/{id}/file`, an attachment at `/api/v1/attachments/{id}`).",
    responses((status = 200, body = Page<ArchiveItem>),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ArchiveQuery>,
) -> ApiResult {
    let (items, total) = service::list(&state.db, &actor, &q)
        .await
        .for_api(actor.locale)?;
    Ok(Page { items, total }.into_response())
}

#[utoipa::path(get, path = "/api/v1/archive/documents/{id}", tag = "archive", params(("id" = i64, Path)),
    responses((status = 200, body = DocumentDetail), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn document(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
) -> ApiResult {
    let d = service::document(&state.db, &actor, id)
        .await
        .for_api(actor.locale)?;
    Ok(Json(d).into_response())
}

#[utoipa::path(get, path = "/api/v1/archive/documents/{id}/file", tag = "archive", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The document's file as it was filed (attachment); the download is audited",
            content(("application/vnd.openxmlformats-officedocument.wordprocessingml.document"))),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn document_file(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
) -> ApiResult {
    let file = service::document_file(&state.db, &actor, AuditVia::Api, id)
        .await
        .for_api(actor.locale)?;
    Ok(file_response(
        file.bytes,
        file.content_type,
        &file.file_name,
    ))
}

#[utoipa::path(post, path = "/api/v1/archive/documents/{id}/withdraw", tag = "archive",
    params(("id" = i64, Path)), request_body = WithdrawReason,
    responses((status = 200, body = ArchiveItem, description = "taken out of the archive (kept, readable, listed with `withdrawn=true`); the reason is kept and audited"),
        (status = 409, body = ErrorBody, description = "already taken out"),
        (status = 422, body = ErrorBody, description = "no reason given"),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn withdraw_document(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<WithdrawReason>,
) -> ApiResult {
    let item = service::withdraw_document(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(item).into_response())
}

#[utoipa::path(get, path = "/api/v1/archive/attachments/{id}", tag = "archive", params(("id" = i64, Path)),
    responses((status = 200, body = ArchiveItem), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn attachment(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
) -> ApiResult {
    let item = service::attachment(&state.db, &actor, id)
        .await
        .for_api(actor.locale)?;
    Ok(Json(item).into_response())
}

#[utoipa::path(post, path = "/api/v1/archive/attachments/{id}/withdraw", tag = "archive",
    params(("id" = i64, Path)), request_body = WithdrawReason,
    responses((status = 200, body = ArchiveItem, description = "taken out of the archive; it stays on its record, downloadable as before; the reason is kept and audited"),
        (status = 409, body = ErrorBody, description = "already taken out"),
        (status = 422, body = ErrorBody, description = "no reason given"),
        (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn withdraw_attachment(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<WithdrawReason>,
) -> ApiResult {
    let item = service::withdraw_attachment(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(item).into_response())
}
