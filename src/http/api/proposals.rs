//! Proposals as JSON: list, draft or submit, read with the timeline, edit,
//! the lifecycle steps, co-signing, similar proposals, figures and settings;
//! and the search box over every searchable record.

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
use crate::domain::roles::Role::{Department, Member, Staff};
use crate::domain::validation::FieldError;
use crate::http::auth::{Access, ApiActor, ApiQuery, PathId};
use crate::http::error::{ApiResult, ErrorBody, ForApi};
use crate::http::{route, AppState, RouteSpec};
use crate::services::error::AppError;
use crate::services::proposals::{
    self as service, CosignInput, Figures, FiguresQuery, ProposalDetail, ProposalInput,
    ProposalQuery, Settings, SettingsInput, StepInput,
};
use crate::services::search::{self, SearchQuery, SearchResults, SimilarInput, SimilarProposal};
use crate::storage::proposals::Proposal;

pub fn routes() -> Vec<RouteSpec> {
    const STAFF: Access = Access::Roles(&[Staff]);
    const WRITERS: Access = Access::Roles(&[Staff, Member]);
    const READERS: Access = Access::Roles(&[Staff, Member, Department]);
    vec![
        route(Method::GET, "/api/v1/proposals", READERS, list),
        route(Method::POST, "/api/v1/proposals", WRITERS, create),
        route(Method::POST, "/api/v1/proposals/similar", WRITERS, similar),
        route(Method::GET, "/api/v1/proposals/figures", STAFF, figures),
        route(
            Method::GET,
            "/api/v1/proposals/compilation",
            STAFF,
            compilation,
        ),
        route(
            Method::GET,
            "/api/v1/proposals/settings",
            STAFF,
            get_settings,
        ),
        route(
            Method::PUT,
            "/api/v1/proposals/settings",
            STAFF,
            put_settings,
        ),
        route(Method::GET, "/api/v1/proposals/{id}", READERS, get),
        route(Method::PUT, "/api/v1/proposals/{id}", WRITERS, update),
        route(Method::POST, "/api/v1/proposals/{id}/steps", READERS, step),
        route(
            Method::POST,
            "/api/v1/proposals/{id}/cosign",
            Access::Roles(&[Member]),
            cosign,
        ),
        crate::http::files::upload_route(route(
            Method::POST,
            "/api/v1/proposals/{id}/attachments",
            READERS,
            upload_to_proposal,
        )),
        route(Method::GET, "/api/v1/search", READERS, search_api),
    ]
}

/// Filters of the proposal list. Staff see their committee's; members their
/// own, those they co-sign and the accepted ones of their committee;
/// departments those assigned to them.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ProposalListParams {
    /// Committee id (staff; defaults to your own, its subtree included).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    org: Option<String>,
    /// The session (year).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    session: Option<String>,
    /// draft | submitted | accepted | not_accepted | merged | assigned | answered | closed | withdrawn
    status: Option<String>,
    /// economy | urban | education | health | welfare | culture | environment | traffic | governance | other
    category: Option<String>,
    /// `yes`: key proposals only.
    key: Option<String>,
    /// `yes`: assigned and past due only.
    overdue: Option<String>,
    /// `yes` (members): only your own and those you co-sign.
    mine: Option<String>,
    /// Words in the title.
    q: Option<String>,
    /// submitted | number | due | title
    sort: Option<String>,
    /// asc | desc (default desc)
    dir: Option<String>,
    /// From 1.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    page: Option<String>,
    /// 1–5000, default 20.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    per_page: Option<String>,
}

/// A proposal in a list, with whether its answer is overdue now.
#[derive(Serialize, ToSchema)]
pub struct ProposalListItem {
    #[serde(flatten)]
    pub proposal: Proposal,
    pub overdue: bool,
}

#[utoipa::path(get, path = "/api/v1/proposals", tag = "proposals", params(ProposalListParams, FormatParam),
    responses((status = 200, description = "The list as JSON; with `format=xlsx` every matching row as an Excel workbook (audited)", content((Page<ProposalListItem> = "application/json"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")), headers(("x-row-count" = i64, description = "rows in the workbook (xlsx only)"))), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ProposalQuery>,
    ApiQuery(wanted): ApiQuery<FormatParam>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    if wanted.format().for_api(actor.locale)? == ListFormat::Xlsx {
        let list = ListQuery::Proposals(q);
        return xlsx_list(&state.db, &actor, AuditVia::Api, list, raw.as_deref())
            .await
            .for_api(actor.locale);
    }
    let (items, total, _) = service::list_page(&state.db, &actor, &q)
        .await
        .for_api(actor.locale)?;
    Ok(Page {
        items: items
            .into_iter()
            .map(|proposal| ProposalListItem {
                overdue: service::overdue(&proposal),
                proposal,
            })
            .collect(),
        total,
    }
    .into_response())
}

#[utoipa::path(post, path = "/api/v1/proposals", tag = "proposals", request_body = ProposalInput,
    responses((status = 201, body = Proposal), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    JsonForm(input): JsonForm<ProposalInput>,
) -> ApiResult {
    let p = service::create(&state.db, &actor, &input)
        .await
        .for_api(actor.locale)?;
    Ok((StatusCode::CREATED, Json(p)).into_response())
}

#[utoipa::path(get, path = "/api/v1/proposals/{id}", tag = "proposals", params(("id" = i64, Path)),
    responses((status = 200, body = ProposalDetail), (status = 404, body = ErrorBody)))]
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

#[utoipa::path(put, path = "/api/v1/proposals/{id}", tag = "proposals", params(("id" = i64, Path)), request_body = ProposalInput,
    responses((status = 200, body = Proposal), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<ProposalInput>,
) -> ApiResult {
    let p = service::update(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(p).into_response())
}

#[utoipa::path(post, path = "/api/v1/proposals/{id}/steps", tag = "proposals", params(("id" = i64, Path)), request_body = StepInput,
    responses((status = 200, body = Proposal), (status = 409, body = ErrorBody, description = "changed by someone else since it was read"),
        (status = 422, body = ErrorBody, description = "the step is not possible now, or a field is invalid"), (status = 404, body = ErrorBody)))]
pub async fn step(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<StepInput>,
) -> ApiResult {
    let p = service::step(&state.db, &actor, id, &input, state.settings.info_max_chars)
        .await
        .for_api(actor.locale)?;
    Ok(Json(p).into_response())
}

#[utoipa::path(post, path = "/api/v1/proposals/{id}/cosign", tag = "proposals", params(("id" = i64, Path)), request_body = CosignInput,
    responses((status = 200, body = Proposal), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn cosign(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<CosignInput>,
) -> ApiResult {
    let p = service::cosign(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(p).into_response())
}

#[utoipa::path(post, path = "/api/v1/proposals/similar", tag = "proposals", request_body = SimilarInput,
    responses((status = 200, body = Vec<SimilarProposal>, description = "best first, with cosine scores 0–1"), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "`search_warming_up`: the server has just started and its index is still being built; ask again after `Retry-After` seconds", headers(("retry-after" = i64, description = "seconds")))))]
pub async fn similar(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    JsonForm(input): JsonForm<SimilarInput>,
) -> ApiResult {
    let list = search::similar(&state.search, &state.db, &actor, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(list).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct FigureParams {
    /// Committee id (defaults to your own).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    org: Option<String>,
    /// The session (year); the current one by default.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    session: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/proposals/figures", tag = "proposals", params(FigureParams),
    responses((status = 200, body = Figures), (status = 400, body = ErrorBody)))]
pub async fn figures(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<FiguresQuery>,
) -> ApiResult {
    let f = service::figures(&state.db, &actor, &q)
        .await
        .for_api(actor.locale)?;
    Ok(Json(f).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SettingsParams {
    /// Committee id (defaults to your own).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    org: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OrgParam {
    org: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/proposals/settings", tag = "proposals", params(SettingsParams),
    responses((status = 200, body = Settings)))]
pub async fn get_settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<OrgParam>,
) -> ApiResult {
    let s = service::get_settings(&state.db, &actor, q.org.as_deref())
        .await
        .for_api(actor.locale)?;
    Ok(Json(s).into_response())
}

#[utoipa::path(put, path = "/api/v1/proposals/settings", tag = "proposals", request_body = SettingsInput,
    responses((status = 200, body = Settings), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    JsonForm(input): JsonForm<SettingsInput>,
) -> ApiResult {
    let s = service::put_settings(&state.db, &actor, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(s).into_response())
}

#[utoipa::path(post, path = "/api/v1/proposals/{id}/attachments", tag = "proposals", params(("id" = i64, Path)),
    request_body(content = crate::http::files::UploadForm, content_type = "multipart/form-data"),
    description = "The lead member adds supporting files while the proposal is a draft or awaits review; the lead department its answer letter while it answers (then names it in the answer's `attachment_id`); staff at any time.",
    responses((status = 201, body = crate::storage::attachments::Attachment), (status = 409, body = ErrorBody, description = "not allowed at this stage"), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn upload_to_proposal(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    request: axum::extract::Request,
) -> ApiResult {
    super::upload(
        &state,
        &actor,
        crate::services::attachments::Owner::Proposal(id),
        request,
    )
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SearchParams {
    /// The words to look for (Chinese is segmented).
    q: String,
    /// proposal | info | case | activity | archive (staff: the archive's
    /// filed documents by their text, saved summaries, attachments by name)
    kind: Option<String>,
    /// Dated on or after (YYYY-MM-DD).
    from: Option<String>,
    /// Dated on or before (YYYY-MM-DD).
    to: Option<String>,
    /// A committee in your subtree.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    org: Option<String>,
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    page: Option<String>,
    /// 1–200, default 20.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    per_page: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchResults, description = "ranked (BM25), highlighted, only what you may read"), (status = 400, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "`search_warming_up`: the server has just started and its index is still being built; ask again after `Retry-After` seconds", headers(("retry-after" = i64, description = "seconds")))))]
pub async fn search_api(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult {
    // The page's empty box finds nothing; the API's `q` is required (it may be empty).
    if q.q.is_none() {
        return Err(AppError::BadRequest(
            FieldError::new("q", "required").into(),
        ))
        .for_api(actor.locale);
    }
    let r = search::search(&state.search, &state.db, &actor, &q)
        .await
        .for_api(actor.locale)?;
    Ok(Json(r).into_response())
}

#[utoipa::path(get, path = "/api/v1/proposals/compilation", tag = "proposals",
    params(crate::services::reports::CompilationQuery),
    responses(
        (status = 200, description = "The session's accepted proposals compiled (提案汇编) as a file; the export is audited",
            content(
                ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                ("text/markdown"),
                ("text/html"),
            )),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn compilation(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<crate::services::reports::CompilationQuery>,
) -> ApiResult {
    let file = crate::services::reports::compilation_file(
        &state.db,
        &actor,
        crate::domain::audit::AuditVia::Api,
        &q,
    )
    .await
    .for_api(actor.locale)?;
    Ok(crate::http::files::file_response(
        file.bytes,
        file.format.content_type(),
        &file.file_name,
    ))
}
