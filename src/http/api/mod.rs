//! The JSON API under `/api/v1`, with its OpenAPI document.

pub(crate) mod activities;
pub(crate) mod audit;
mod cases;
mod info;
mod members;
mod orgs;
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
use super::{route, RouteSpec};
use crate::services::error::AppError;

/// Every list answers with its items of one page and the total across pages.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// The API's routes, under `/api/v1`, with who may call each.
pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::{Admin, Auditor, Department, Member, Security, Staff};
    use Access::{Public, Roles};
    const STAFF: Access = Roles(&[Staff]);
    const STAFF_OR_OWN: Access = Roles(&[Staff, Member]);
    const MANAGERS: Access = Roles(&[Admin, Staff]);
    const TREE_READERS: Access = Roles(&[Admin, Security, Staff]);
    let mut all = vec![
        route(Method::GET, "/api/v1/openapi.json", Public, openapi_json),
        route(Method::GET, "/api/v1/members", STAFF, members::list),
        route(Method::POST, "/api/v1/members", STAFF, members::create),
        route(
            Method::GET,
            "/api/v1/members/{id}",
            STAFF_OR_OWN,
            members::get,
        ),
        route(Method::PUT, "/api/v1/members/{id}", STAFF, members::update),
        route(
            Method::DELETE,
            "/api/v1/members/{id}",
            STAFF,
            members::delete,
        ),
        route(
            Method::GET,
            "/api/v1/members/{id}/timeline",
            STAFF_OR_OWN,
            members::timeline,
        ),
        route(Method::GET, "/api/v1/orgs", TREE_READERS, orgs::list_orgs),
        route(Method::POST, "/api/v1/orgs", MANAGERS, orgs::create_org),
        route(
            Method::GET,
            "/api/v1/groups",
            TREE_READERS,
            orgs::list_groups,
        ),
        route(Method::POST, "/api/v1/groups", MANAGERS, orgs::create_group),
        route(
            Method::GET,
            "/api/v1/communities",
            MANAGERS,
            orgs::list_communities,
        ),
        route(
            Method::POST,
            "/api/v1/communities",
            MANAGERS,
            orgs::create_community,
        ),
        route(
            Method::GET,
            "/api/v1/departments",
            Roles(&[Admin, Staff, Department]),
            orgs::list_departments,
        ),
        route(
            Method::POST,
            "/api/v1/departments",
            MANAGERS,
            orgs::create_department,
        ),
        route(
            Method::GET,
            "/api/v1/users",
            Roles(&[Admin, Security]),
            users::list,
        ),
        route(
            Method::POST,
            "/api/v1/users",
            Roles(&[Admin]),
            users::create,
        ),
        route(
            Method::PUT,
            "/api/v1/users/{id}/role",
            Roles(&[Security]),
            users::set_role,
        ),
        route(
            Method::POST,
            "/api/v1/users/{id}/disable",
            Roles(&[Admin]),
            users::disable,
        ),
        route(
            Method::POST,
            "/api/v1/users/{id}/enable",
            Roles(&[Admin]),
            users::enable,
        ),
        route(
            Method::POST,
            "/api/v1/users/{id}/reset-password",
            Roles(&[Admin]),
            users::reset_password,
        ),
        route(Method::GET, "/api/v1/audit", Roles(&[Auditor]), audit::list),
        route(
            Method::GET,
            "/api/v1/audit/export",
            Roles(&[Auditor]),
            audit::export,
        ),
    ];
    all.extend(reception::routes());
    all.extend(cases::routes());
    all.extend(activities::routes());
    all.extend(proposals::routes());
    all.extend(info::routes());
    all
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
    ),
    components(schemas(crate::services::error::ErrorBody, crate::services::error::FieldErrorBody)),
    modifiers(&Security),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

async fn openapi_json() -> Response {
    Json(ApiDoc::openapi()).into_response()
}
