//! The JSON API under `/api/v1`, with its OpenAPI document.

mod members;
mod orgs;
mod users;

use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::AppState;
use crate::error::AppError;

/// Every list answers with its items of one page and the total across pages.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/members", get(members::list).post(members::create))
        .route(
            "/members/{id}",
            get(members::get)
                .put(members::update)
                .delete(members::delete),
        )
        .route("/members/{id}/timeline", get(members::timeline))
        .route("/orgs", get(orgs::list_orgs).post(orgs::create_org))
        .route("/groups", get(orgs::list_groups).post(orgs::create_group))
        .route(
            "/communities",
            get(orgs::list_communities).post(orgs::create_community),
        )
        .route(
            "/departments",
            get(orgs::list_departments).post(orgs::create_department),
        )
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}/role", axum::routing::put(users::set_role))
        .fallback(not_found)
}

async fn not_found() -> Response {
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
        users::list, users::create, users::set_role,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::FieldErrorBody)),
    modifiers(&Security),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

async fn openapi_json() -> Response {
    Json(ApiDoc::openapi()).into_response()
}
