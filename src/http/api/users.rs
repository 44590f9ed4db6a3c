use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Page, PageParams};
use crate::domain::paging::PageRequest;
use crate::http::auth::Access;
use crate::http::auth::{ApiActor, ApiJson, ApiQuery, PathId};
use crate::http::error::{ApiResult, ErrorBody, ForApi};
use crate::http::AppState;
use crate::http::{route, RouteSpec};
use crate::services::error::AppError;
use crate::services::users::{
    self as service, AccountAction, AccountActionInput, Creator, RoleInput, UserInput,
};
use crate::storage::users::User;
use axum::http::Method;

/// The routes of this part of the API, with who may call each.
pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::{Admin, Security};
    use Access::Roles;
    vec![
        route(
            Method::GET,
            "/api/v1/users",
            Roles(&[Admin, Security]),
            list,
        ),
        route(Method::POST, "/api/v1/users", Roles(&[Admin]), create),
        route(
            Method::PUT,
            "/api/v1/users/{id}/role",
            Roles(&[Security]),
            set_role,
        ),
        route(
            Method::POST,
            "/api/v1/users/{id}/disable",
            Roles(&[Admin]),
            disable,
        ),
        route(
            Method::POST,
            "/api/v1/users/{id}/enable",
            Roles(&[Admin]),
            enable,
        ),
        route(
            Method::POST,
            "/api/v1/users/{id}/reset-password",
            Roles(&[Admin]),
            reset_password,
        ),
    ]
}

/// A new account. Roles are not part of it: only the security administrator
/// grants them, through `PUT /users/{id}/role`; an unknown field is refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    pub username: String,
    pub display_name: String,
    pub org_id: i64,
    #[serde(default)]
    pub member_id: Option<i64>,
    #[serde(default)]
    pub department_id: Option<i64>,
    /// Empty: a random one is generated, returned once, and must be changed at first login.
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedUser {
    pub user: User,
    /// Only when generated; shown this once.
    pub initial_password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct RoleBody {
    /// admin | security | auditor | staff | member | department; null revokes.
    pub role: Option<String>,
    pub version: i64,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(PageParams),
    responses((status = 200, body = Page<User>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<PageParams>,
) -> ApiResult {
    let result = async {
        let page = PageRequest::parse(p.page.as_deref(), p.per_page.as_deref())
            .map_err(AppError::BadRequest)?;
        service::list(&state.db, &actor, &page).await
    }
    .await;
    let (items, total) = result.for_api(actor.locale)?;
    Ok(Page { items, total }.into_response())
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserBody,
    responses((status = 201, body = CreatedUser), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<UserBody>,
) -> ApiResult {
    let input = UserInput {
        username: body.username,
        display_name: body.display_name,
        org_id: Some(body.org_id.to_string()),
        member_id: body.member_id.map(|v| v.to_string()),
        department_id: body.department_id.map(|v| v.to_string()),
        password: body.password,
    };
    let (user, initial_password) = service::create_with_policy(
        &state.db,
        &state.policies().password,
        Creator::Admin(&actor),
        &input,
        None,
    )
    .await
    .for_api(actor.locale)?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user,
            initial_password,
        }),
    )
        .into_response())
}

#[utoipa::path(put, path = "/api/v1/users/{id}/role", tag = "users", params(("id" = i64, Path)), request_body = RoleBody,
    responses((status = 200, body = User), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set_role(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    ApiJson(body): ApiJson<RoleBody>,
) -> ApiResult {
    let input = RoleInput {
        role: body.role.unwrap_or_default(),
        version: Some(body.version.to_string()),
    };
    let user = service::set_role(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(user).into_response())
}

/// What an account action sends: the account's version, as read.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountActionBody {
    pub version: i64,
}

/// The account after an action; after a reset, its new password, shown this once.
#[derive(Serialize, ToSchema)]
pub struct AccountChanged {
    pub user: User,
    /// Only after a reset: must be changed at the next sign-in.
    pub new_password: Option<String>,
}

async fn account_action(
    state: &AppState,
    actor: &crate::services::Actor,
    id: i64,
    action: AccountAction,
    body: AccountActionBody,
) -> ApiResult {
    let input = AccountActionInput {
        version: Some(body.version.to_string()),
    };
    let change = service::account_action(&state.db, Creator::Admin(actor), id, action, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(AccountChanged {
        user: change.user,
        new_password: change.password,
    })
    .into_response())
}

#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "users", params(("id" = i64, Path)), request_body = AccountActionBody,
    responses((status = 200, body = AccountChanged), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
/// Disable an account: its sessions end and its API tokens are revoked at once.
pub async fn disable(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    ApiJson(body): ApiJson<AccountActionBody>,
) -> ApiResult {
    account_action(&state, &actor, id, AccountAction::Disable, body).await
}

#[utoipa::path(post, path = "/api/v1/users/{id}/enable", tag = "users", params(("id" = i64, Path)), request_body = AccountActionBody,
    responses((status = 200, body = AccountChanged), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
/// Re-enable a disabled account.
pub async fn enable(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    ApiJson(body): ApiJson<AccountActionBody>,
) -> ApiResult {
    account_action(&state, &actor, id, AccountAction::Enable, body).await
}

#[utoipa::path(post, path = "/api/v1/users/{id}/reset-password", tag = "users", params(("id" = i64, Path)), request_body = AccountActionBody,
    responses((status = 200, body = AccountChanged), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
/// Reset an account's password to a random one (answered once); it must be
/// changed at the next sign-in, and the account's sessions and tokens end.
pub async fn reset_password(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    ApiJson(body): ApiJson<AccountActionBody>,
) -> ApiResult {
    account_action(&state, &actor, id, AccountAction::ResetPassword, body).await
}
