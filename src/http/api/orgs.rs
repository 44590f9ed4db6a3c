use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Page, PageParams};
use crate::domain::orgs::OrgKind;
use crate::domain::paging::PageRequest;
use crate::http::auth::Access;
use crate::http::auth::{ApiActor, ApiJson, ApiQuery};
use crate::http::error::{ApiResult, ErrorBody, ForApi};
use crate::http::AppState;
use crate::http::{route, RouteSpec};
use crate::services::error::AppError;
use crate::services::orgs::{self as service, OrgInput, UnitInput};
use crate::services::Actor;
use crate::storage::orgs::{Community, Department, Org};
use axum::http::Method;

/// The routes of this part of the API, with who may call each.
pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::{Admin, Department, Security, Staff};
    use Access::Roles;
    const MANAGERS: Access = Roles(&[Admin, Staff]);
    const TREE_READERS: Access = Roles(&[Admin, Security, Staff]);
    vec![
        route(Method::GET, "/api/v1/orgs", TREE_READERS, list_orgs),
        route(Method::POST, "/api/v1/orgs", MANAGERS, create_org),
        route(Method::GET, "/api/v1/groups", TREE_READERS, list_groups),
        route(Method::POST, "/api/v1/groups", MANAGERS, create_group),
        route(
            Method::GET,
            "/api/v1/communities",
            MANAGERS,
            list_communities,
        ),
        route(
            Method::POST,
            "/api/v1/communities",
            MANAGERS,
            create_community,
        ),
        route(
            Method::GET,
            "/api/v1/departments",
            Roles(&[Admin, Staff, Department]),
            list_departments,
        ),
        route(
            Method::POST,
            "/api/v1/departments",
            MANAGERS,
            create_department,
        ),
    ]
}

/// One page of an already-scoped list.
fn paged<T: Serialize + Send + 'static>(
    actor: &Actor,
    params: &PageParams,
    all: Result<Vec<T>, AppError>,
) -> ApiResult {
    let result = PageRequest::parse(params.page.as_deref(), params.per_page.as_deref())
        .map_err(AppError::BadRequest)
        .and_then(|page| all.map(|all| (page, all)));
    let (page, all) = result.for_api(actor.locale)?;
    let total = all.len() as i64;
    let items: Vec<T> = all
        .into_iter()
        .skip(page.offset() as usize)
        .take(page.limit() as usize)
        .collect();
    Ok(Page { items, total }.into_response())
}

fn created<T: Serialize>(actor: &Actor, result: Result<T, AppError>) -> ApiResult {
    let value = result.for_api(actor.locale)?;
    Ok((StatusCode::CREATED, Json(value)).into_response())
}

/// An organisation as JSON input.
#[derive(Deserialize, ToSchema)]
pub struct OrgBody {
    pub name: String,
    /// province | city | district | subdistrict | group
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub parent_id: Option<i64>,
    #[serde(default)]
    pub community_id: Option<i64>,
}

impl OrgBody {
    fn into_input(self, default_kind: &str) -> OrgInput {
        OrgInput {
            name: self.name,
            kind: self.kind.unwrap_or_else(|| default_kind.to_string()),
            parent_id: self.parent_id.map(|v| v.to_string()),
            community_id: self.community_id.map(|v| v.to_string()),
        }
    }
}

/// A community or department as JSON input.
#[derive(Deserialize, ToSchema)]
pub struct UnitBody {
    pub name: String,
    #[serde(default)]
    pub org_id: Option<i64>,
    /// Departments only.
    #[serde(default)]
    pub contact: Option<String>,
}

impl From<UnitBody> for UnitInput {
    fn from(b: UnitBody) -> Self {
        UnitInput {
            name: b.name,
            org_id: b.org_id.map(|v| v.to_string()),
            contact: b.contact,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/orgs", tag = "orgs", params(PageParams),
    responses((status = 200, body = Page<Org>), (status = 403, body = ErrorBody)))]
pub async fn list_orgs(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult {
    let all = service::list(&state.db, &actor, None).await;
    paged(&actor, &p, all)
}

#[utoipa::path(post, path = "/api/v1/orgs", tag = "orgs", request_body = OrgBody,
    responses((status = 201, body = Org), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_org(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<OrgBody>,
) -> ApiResult {
    let result = service::create(&state.db, &actor, &body.into_input("")).await;
    created(&actor, result)
}

#[utoipa::path(get, path = "/api/v1/groups", tag = "orgs", params(PageParams),
    responses((status = 200, body = Page<Org>), (status = 403, body = ErrorBody)))]
pub async fn list_groups(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult {
    let all = service::list(&state.db, &actor, Some(OrgKind::Group)).await;
    paged(&actor, &p, all)
}

#[utoipa::path(post, path = "/api/v1/groups", tag = "orgs", request_body = OrgBody,
    responses((status = 201, body = Org), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_group(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<OrgBody>,
) -> ApiResult {
    let mut input = body.into_input(OrgKind::Group.as_str());
    input.kind = OrgKind::Group.as_str().to_string();
    let result = service::create(&state.db, &actor, &input).await;
    created(&actor, result)
}

#[utoipa::path(get, path = "/api/v1/communities", tag = "orgs", params(PageParams),
    responses((status = 200, body = Page<Community>), (status = 403, body = ErrorBody)))]
pub async fn list_communities(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult {
    let all = service::list_communities(&state.db, &actor).await;
    paged(&actor, &p, all)
}

#[utoipa::path(post, path = "/api/v1/communities", tag = "orgs", request_body = UnitBody,
    responses((status = 201, body = Community), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_community(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<UnitBody>,
) -> ApiResult {
    let result = service::create_community(&state.db, &actor, &body.into()).await;
    created(&actor, result)
}

#[utoipa::path(get, path = "/api/v1/departments", tag = "orgs", params(PageParams),
    responses((status = 200, body = Page<Department>), (status = 403, body = ErrorBody)))]
pub async fn list_departments(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult {
    let all = service::list_departments(&state.db, &actor).await;
    paged(&actor, &p, all)
}

#[utoipa::path(post, path = "/api/v1/departments", tag = "orgs", request_body = UnitBody,
    responses((status = 201, body = Department), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_department(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<UnitBody>,
) -> ApiResult {
    let result = service::create_department(&state.db, &actor, &body.into()).await;
    created(&actor, result)
}
