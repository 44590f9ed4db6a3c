//! The JSON API under `/api/v1`, with its OpenAPI document.

mod activities;
mod audit;
mod cases;
mod info;
mod members;
mod orgs;
mod projects;
mod proposals;
mod reception;
mod users;

use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::auth::Access;
use super::error::{ApiResult, ForApi};
use super::{route, RouteSpec};
use crate::services::error::AppError;

/// Every list answers with its items of one page and the total across pages.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// The page asked for, of a list that takes no other parameters.
#[derive(serde::Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
pub struct PageParams {
    /// From 1.
    #[param(value_type = Option<u32>)]
    pub page: Option<String>,
    /// 1–200, default 20.
    #[param(value_type = Option<u32>)]
    pub per_page: Option<String>,
}

/// The API's routes, under `/api/v1`, with who may call each.
pub fn routes() -> Vec<RouteSpec> {
    [
        vec![route(
            Method::GET,
            "/api/v1/openapi.json",
            Access::Public,
            openapi_json,
        )],
        members::routes(),
        orgs::routes(),
        users::routes(),
        audit::routes(),
        reception::routes(),
        cases::routes(),
        activities::routes(),
        proposals::routes(),
        info::routes(),
        projects::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Unknown API paths answer in the API's error format.
pub async fn not_found() -> Response {
    AppError::NotFound.into_response()
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("API token from `lvzhi token create`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "With a browser session cookie instead of a token: the session's form token, required on every change",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "lvzhi (履职) API", description = "The duty-performance platform of a CPPCC committee. Errors answer with `ErrorBody`; lists take `page` and `per_page`."),
    paths(
        members::list, members::create, members::get, members::update, members::delete, members::timeline,
        orgs::list_orgs, orgs::create_org, orgs::list_groups, orgs::create_group,
        orgs::list_communities, orgs::create_community, orgs::list_departments, orgs::create_department,
        users::list, users::create, users::set_role, users::disable, users::enable, users::reset_password,
        audit::list, audit::export,
        reception::list, reception::create, reception::schedule, reception::get_settings, reception::put_settings,
        reception::get, reception::add_visit, reception::list_holidays, reception::put_holidays,
        cases::list, cases::create, cases::figures, cases::get, cases::step,
        activities::list, activities::create, activities::get, activities::update, activities::invite,
        activities::reply, activities::attendance, activities::decide, activities::report,
        activities::list_attachments, activities::upload_to_activity, activities::download,
        activities::list_awards, activities::create_award, activities::upload_to_award, activities::five_ones,
        proposals::list, proposals::create, proposals::similar, proposals::figures, proposals::get_settings,
        proposals::put_settings, proposals::get, proposals::update, proposals::step, proposals::cosign,
        proposals::search_api, proposals::upload_to_proposal,
        info::list, info::create, info::figures, info::get, info::update, info::step,
        projects::list, projects::create, projects::figures, projects::get, projects::update, projects::add_update,
    ),
    components(schemas(crate::http::error::ErrorBody, crate::http::error::FieldErrorBody)),
    modifiers(&Security),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

async fn openapi_json() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

/// An upload to `owner`, as the API answers it.
pub(crate) async fn upload(
    state: &super::AppState,
    actor: &crate::services::Actor,
    owner: crate::services::attachments::Owner,
    request: axum::extract::Request,
) -> ApiResult {
    use crate::services::attachments::{attach, Store};
    let store = Store::from_settings(&state.settings);
    let (upload, _) = super::files::read_upload(request, store.max_bytes)
        .await
        .for_api(actor.locale)?;
    let attachment = attach(&state.db, &store, actor, owner, &upload)
        .await
        .for_api(actor.locale)?;
    Ok((axum::http::StatusCode::CREATED, Json(attachment)).into_response())
}
