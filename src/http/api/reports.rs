//! Work summaries as JSON and as files: the draft with the figures it was
//! written from, and the same as Word, Markdown or HTML.

use axum::extract::State;
use axum::http::Method;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::audit::AuditVia;
use crate::domain::reports::{Block, Summary, SummaryFigures};
use crate::domain::roles::Role::Staff;
use crate::http::api::JsonForm;
use crate::http::auth::{Access, ApiActor, ApiQuery, PathId};
use crate::http::error::{ApiResult, ErrorBody, ForApi};
use crate::http::files::file_response;
use crate::http::{route, AppState, RouteSpec};
use crate::services::error::AppError;
use crate::services::reports::{
    self as service, ArchiveQuery, FileQuery, SaveInput, SummaryDetail, SummaryQuery,
    VersionFileQuery, WithdrawInput,
};
use crate::storage::reports::SavedSummary;

pub fn routes() -> Vec<RouteSpec> {
    const STAFF: Access = Access::Roles(&[Staff]);
    vec![
        route(Method::GET, "/api/v1/reports/summary", STAFF, summary),
        route(
            Method::GET,
            "/api/v1/reports/summary/file",
            STAFF,
            summary_file,
        ),
        route(Method::GET, "/api/v1/reports/summaries", STAFF, saved_list),
        route(Method::POST, "/api/v1/reports/summaries", STAFF, save),
        route(
            Method::GET,
            "/api/v1/reports/summaries/{id}",
            STAFF,
            saved_get,
        ),
        route(
            Method::GET,
            "/api/v1/reports/summaries/{id}/file",
            STAFF,
            version_file,
        ),
        route(
            Method::POST,
            "/api/v1/reports/summaries/{id}/withdraw",
            STAFF,
            withdraw,
        ),
    ]
}

/// A drafted summary with the figures it states.
#[derive(Serialize, ToSchema)]
pub struct SummaryDraft {
    pub org_id: i64,
    pub org_name: String,
    pub title: String,
    /// The text in order: `{"kind":"heading","level":1,"text":…}`,
    /// `{"kind":"paragraph","text":…}`, `{"kind":"table","headers":[…],"rows":[[…]]}`,
    /// `{"kind":"chart","caption":…,"category":…,"series":[…],"rows":[{"label":…,"values":[…]}]}`
    /// (a chart's values in hundredths of the unit its caption names).
    #[schema(value_type = Vec<Object>)]
    pub blocks: Vec<Block>,
    /// Every figure the text states, counted from the records now.
    #[schema(value_type = Object)]
    pub figures: SummaryFigures,
    /// The text as Markdown.
    pub markdown: String,
}

/// The file's format besides the summary's committee and days.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct FileParams {
    /// docx (default) | md | html
    format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reports/summary", tag = "reports", params(SummaryQuery),
    responses((status = 200, body = SummaryDraft),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn summary(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> ApiResult {
    let result = async {
        let (org, period) = service::resolve(&state.db, &actor, &q).await?;
        let (figures, summary): (SummaryFigures, Summary) =
            service::draft(&state.db, &org, period, actor.locale).await?;
        Ok::<_, AppError>(SummaryDraft {
            org_id: org.id,
            org_name: org.name,
            title: summary.title.clone(),
            markdown: crate::domain::reports::to_markdown(&summary),
            blocks: summary.blocks,
            figures,
        })
    }
    .await
    .for_api(actor.locale)?;
    Ok(Json(result).into_response())
}

#[utoipa::path(get, path = "/api/v1/reports/summary/file", tag = "reports",
    params(SummaryQuery, FileParams),
    responses(
        (status = 200, description = "The summary as a file (attachment); the export is audited",
            content(
                ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                ("text/markdown"),
                ("text/html"),
            )),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn summary_file(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<FileQuery>,
) -> ApiResult {
    let file = service::file_for(&state.db, &actor, AuditVia::Api, &q)
        .await
        .for_api(actor.locale)?;
    Ok(file_response(
        file.bytes,
        file.format.content_type(),
        &file.file_name,
    ))
}

/// The archive's saved summaries.
#[derive(Serialize, ToSchema)]
pub struct SavedSummaryList {
    pub items: Vec<SavedSummary>,
    pub total: usize,
}

#[utoipa::path(get, path = "/api/v1/reports/summaries", tag = "reports", params(ArchiveQuery),
    responses((status = 200, body = SavedSummaryList),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn saved_list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ArchiveQuery>,
) -> ApiResult {
    let items = service::archive(&state.db, &actor, &q)
        .await
        .for_api(actor.locale)?;
    let total = items.len();
    Ok(Json(SavedSummaryList { items, total }).into_response())
}

#[utoipa::path(post, path = "/api/v1/reports/summaries", tag = "reports", request_body = SaveInput,
    responses((status = 201, body = SummaryDetail, description = "saved as the next version and filed in the archive"),
        (status = 409, body = ErrorBody, description = "someone saved a version since it was read"),
        (status = 422, body = ErrorBody, description = "the period or the text is invalid, naming the line"),
        (status = 403, body = ErrorBody)))]
pub async fn save(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    JsonForm(input): JsonForm<SaveInput>,
) -> ApiResult {
    let d = service::save(&state.db, &actor, &input)
        .await
        .for_api(actor.locale)?;
    Ok((axum::http::StatusCode::CREATED, Json(d)).into_response())
}

#[utoipa::path(get, path = "/api/v1/reports/summaries/{id}", tag = "reports", params(("id" = i64, Path)),
    responses((status = 200, body = SummaryDetail), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn saved_get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
) -> ApiResult {
    let d = service::saved_detail(&state.db, &actor, id)
        .await
        .for_api(actor.locale)?;
    Ok(Json(d).into_response())
}

#[utoipa::path(get, path = "/api/v1/reports/summaries/{id}/file", tag = "reports",
    params(("id" = i64, Path), VersionFileQuery),
    responses(
        (status = 200, description = "A saved version as a file (attachment); the export is audited",
            content(
                ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                ("text/markdown"),
                ("text/html"),
            )),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn version_file(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<VersionFileQuery>,
) -> ApiResult {
    let file = service::version_file(&state.db, &actor, AuditVia::Api, id, &q)
        .await
        .for_api(actor.locale)?;
    Ok(file_response(
        file.bytes,
        file.format.content_type(),
        &file.file_name,
    ))
}

#[utoipa::path(post, path = "/api/v1/reports/summaries/{id}/withdraw", tag = "reports",
    params(("id" = i64, Path)), request_body = WithdrawInput,
    responses((status = 200, body = SummaryDetail, description = "taken out of the archive; the reason is kept and audited"),
        (status = 409, body = ErrorBody, description = "changed since it was read, or already taken out"),
        (status = 422, body = ErrorBody), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<WithdrawInput>,
) -> ApiResult {
    let d = service::withdraw(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(d).into_response())
}
