//! Notifications as JSON: the caller's reminders (newest first, paged, the
//! unread ones alone on request) and marking one read.

use axum::extract::State;
use axum::http::Method;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::http::auth::{Access, ApiActor, ApiQuery, PathId};
use crate::http::error::{ApiResult, ErrorBody, ForApi};
use crate::http::{route, AppState, RouteSpec};
use crate::services::notifications::{self as service, NotificationItem, NotificationQuery};

pub fn routes() -> Vec<RouteSpec> {
    vec![
        route(Method::GET, "/api/v1/notifications", Access::SignedIn, list),
        route(
            Method::POST,
            "/api/v1/notifications/{id}/read",
            Access::SignedIn,
            read,
        ),
    ]
}

/// Filters and page of the list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct NotificationParams {
    /// `true`: the unread ones only.
    #[param(value_type = Option<String>, pattern = "^\\s*(true|false|1|0|yes|no)?\\s*$")]
    unread: Option<String>,
    /// From 1.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    page: Option<String>,
    /// 1–200, default 20.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    per_page: Option<String>,
}

/// One page of the caller's notifications.
#[derive(serde::Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationItem>,
    pub total: i64,
    /// Unread notifications in all (whatever the filter).
    pub unread: i64,
}

#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationParams),
    responses((status = 200, body = NotificationList), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> ApiResult {
    let (items, total, _, _) = service::list(&state.db, &actor, &q)
        .await
        .for_api(actor.locale)?;
    let unread = service::unread_count(&state.db, actor.user_id)
        .await
        .for_api(actor.locale)?;
    Ok(Json(NotificationList {
        items,
        total,
        unread,
    })
    .into_response())
}

#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 200, body = NotificationItem), (status = 404, body = ErrorBody, description = "no such notification of yours")))]
pub async fn read(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
) -> ApiResult {
    let n = service::mark_read(&state.db, &actor, id)
        .await
        .for_api(actor.locale)?;
    Ok(Json(n).into_response())
}
