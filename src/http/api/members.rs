use crate::domain::audit::AuditVia;
use crate::http::files::xlsx_list;
use crate::services::exports::{FormatParam, ListFormat, ListQuery};
use axum::extract::RawQuery;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::Page;
use crate::http::auth::Access;
use crate::http::auth::{ApiActor, ApiJson, ApiQuery, PathId};
use crate::http::error::{ApiResult, ErrorBody, ForApi};
use crate::http::input::text_of;
use crate::http::AppState;
use crate::http::{route, RouteSpec};
use crate::services::members::{self as service, MemberInput, MemberQuery};
use crate::storage::members::Member;
use crate::storage::timeline::TimelineEntry;
use axum::http::Method;

/// The routes of this part of the API, with who may call each.
pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::{Member, Staff};
    use Access::Roles;
    const STAFF: Access = Roles(&[Staff]);
    const STAFF_OR_OWN: Access = Roles(&[Staff, Member]);
    vec![
        route(Method::GET, "/api/v1/members", STAFF, list),
        route(Method::POST, "/api/v1/members", STAFF, create),
        route(Method::GET, "/api/v1/members/{id}", STAFF_OR_OWN, get),
        route(Method::PUT, "/api/v1/members/{id}", STAFF, update),
        route(Method::DELETE, "/api/v1/members/{id}", STAFF, delete),
        route(
            Method::GET,
            "/api/v1/members/{id}/timeline",
            STAFF_OR_OWN,
            timeline,
        ),
        route(
            Method::GET,
            "/api/v1/members/{id}/duty-file",
            STAFF_OR_OWN,
            duty_file,
        ),
    ]
}

/// Query parameters of the member list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct MemberListParams {
    /// Part of the name.
    q: Option<String>,
    /// Group id.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    group: Option<String>,
    /// 界别, exact.
    sector: Option<String>,
    /// Party identifier.
    party: Option<String>,
    /// active | ended | resigned | removed
    status: Option<String>,
    /// name | term | group | created
    sort: Option<String>,
    /// asc | desc
    dir: Option<String>,
    /// From 1.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    page: Option<String>,
    /// 1–200, default 20.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    per_page: Option<String>,
}

/// A member's fields as JSON. Numbers may be sent as numbers or strings.
#[derive(Deserialize, ToSchema)]
pub struct MemberBody {
    pub name: String,
    /// male | female
    pub gender: String,
    pub ethnicity: String,
    pub party: String,
    pub sector: String,
    #[serde(default)]
    pub workplace: Option<String>,
    /// 职务
    #[serde(default)]
    pub position: Option<String>,
    pub phone: String,
    pub id_number: String,
    #[schema(value_type = i64)]
    pub term: serde_json::Value,
    #[serde(default)]
    pub status: Option<String>,
    /// 任职日期 (YYYY-MM-DD); today when absent.
    #[serde(default)]
    pub joined_on: Option<String>,
    /// 离任日期 (YYYY-MM-DD) of a member no longer active; absent while
    /// active. When a serving member's status changes without it: today.
    #[serde(default)]
    pub left_on: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub org_id: Option<serde_json::Value>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub group_id: Option<serde_json::Value>,
    /// Required on update: the version that was read.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub version: Option<serde_json::Value>,
}

impl From<MemberBody> for MemberInput {
    fn from(b: MemberBody) -> Self {
        MemberInput {
            name: b.name,
            gender: b.gender,
            ethnicity: b.ethnicity,
            party: b.party,
            sector: b.sector,
            workplace: b.workplace,
            position: b.position,
            phone: b.phone,
            id_number: b.id_number,
            term: text_of(&b.term),
            status: b.status.unwrap_or_default(),
            joined_on: b.joined_on.unwrap_or_default(),
            left_on: b.left_on.unwrap_or_default(),
            org_id: b.org_id.as_ref().map(text_of),
            group_id: b.group_id.as_ref().map(text_of),
            version: b.version.as_ref().map(text_of),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionParam {
    /// The version that was read.
    pub version: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/members", tag = "members", params(MemberListParams, FormatParam),
    responses((status = 200, description = "The list as JSON; with `format=xlsx` every matching row as an Excel workbook (audited)", content((Page<Member> = "application/json"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")), headers(("x-row-count" = i64, description = "rows in the workbook (xlsx only)"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(query): ApiQuery<MemberQuery>,
    ApiQuery(wanted): ApiQuery<FormatParam>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    if wanted.format().for_api(actor.locale)? == ListFormat::Xlsx {
        let list = ListQuery::Members(query);
        return xlsx_list(&state.db, &actor, AuditVia::Api, list, raw.as_deref())
            .await
            .for_api(actor.locale);
    }
    let found = service::list(&state.db, &actor, &query)
        .await
        .for_api(actor.locale)?;
    Ok(Page {
        items: found.items,
        total: found.total,
    }
    .into_response())
}

#[utoipa::path(post, path = "/api/v1/members", tag = "members", request_body = MemberBody,
    responses((status = 201, body = Member), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<MemberBody>,
) -> ApiResult {
    let member = service::create(&state.db, &actor, &state.cipher, &body.into())
        .await
        .for_api(actor.locale)?;
    Ok((StatusCode::CREATED, Json(member)).into_response())
}

#[utoipa::path(get, path = "/api/v1/members/{id}", tag = "members", params(("id" = i64, Path)),
    responses((status = 200, body = Member), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
) -> ApiResult {
    let member = service::get(&state.db, &actor, id)
        .await
        .for_api(actor.locale)?;
    Ok(Json(member).into_response())
}

#[utoipa::path(put, path = "/api/v1/members/{id}", tag = "members", params(("id" = i64, Path)), request_body = MemberBody,
    responses((status = 200, body = Member), (status = 409, body = ErrorBody, description = "changed by someone else since it was read"), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    ApiJson(body): ApiJson<MemberBody>,
) -> ApiResult {
    let member = service::update(&state.db, &actor, &state.cipher, id, &body.into())
        .await
        .for_api(actor.locale)?;
    Ok(Json(member).into_response())
}

#[utoipa::path(delete, path = "/api/v1/members/{id}", tag = "members", params(("id" = i64, Path), VersionParam),
    responses((status = 204), (status = 409, body = ErrorBody, description = "has duty records or an account, or changed since read"), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<VersionParam>,
) -> ApiResult {
    service::delete(&state.db, &actor, id, &q.version)
        .await
        .for_api(actor.locale)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(get, path = "/api/v1/members/{id}/timeline", tag = "members", params(("id" = i64, Path)),
    responses((status = 200, body = Page<TimelineEntry>), (status = 404, body = ErrorBody)))]
pub async fn timeline(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
) -> ApiResult {
    let (_, _, entries) = service::duty_file(&state.db, &actor, id)
        .await
        .for_api(actor.locale)?;
    let total = entries.len() as i64;
    Ok(Page {
        items: entries,
        total,
    }
    .into_response())
}

#[utoipa::path(get, path = "/api/v1/members/{id}/duty-file", tag = "members",
    params(("id" = i64, Path), crate::services::reports::DutyFileQuery),
    responses(
        (status = 200, description = "The member's registration form for the year (履职情况登记表) as a file; the export is audited",
            content(
                ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                ("text/markdown"),
                ("text/html"),
            )),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn duty_file(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<crate::services::reports::DutyFileQuery>,
) -> ApiResult {
    let file = crate::services::reports::duty_file(
        &state.db,
        &actor,
        crate::domain::audit::AuditVia::Api,
        id,
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
