//! HTTP: server-rendered pages and the JSON API over the same services.

pub mod api;
pub mod auth;
pub mod error;
pub mod files;
pub mod flash;
pub mod forms;
pub mod input;
pub mod pages;
pub mod render;
pub mod timeline;

use std::net::SocketAddr;

use axum::extract::{DefaultBodyLimit, State};
use axum::handler::Handler;
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, MethodFilter, MethodRouter};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use auth::Access;

/// What every handler can reach: the application context built at start.
pub type AppState = crate::app::App;

impl AppState {
    /// The session cookie's name: `__Host-` prefixed when cookies are Secure.
    pub fn session_cookie_name(&self) -> &'static str {
        if self.settings.secure_cookies {
            "__Host-lvzhi_session"
        } else {
            "lvzhi_session"
        }
    }
}

/// Request bodies above this are refused (attachments get their own limit).
const BODY_LIMIT: usize = 1024 * 1024;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// One route: the method, the path and its handler. The router is built from
/// the list of these, and the authorization-matrix test reads the same list,
/// so a new route cannot escape the test.
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub handler: MethodRouter<AppState>,
}

/// A route entry; the method is named once.
pub fn route<H, T>(method: Method, path: &'static str, access: Access, handler: H) -> RouteSpec
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
    RouteSpec {
        method,
        path,
        access,
        handler: MethodRouter::new().on(filter, handler),
    }
}

/// Every route the server answers.
pub fn routes() -> Vec<RouteSpec> {
    let mut all = vec![
        route(Method::GET, "/healthz", Access::Public, healthz),
        route(Method::GET, "/static/app.css", Access::Public, stylesheet),
        route(Method::GET, "/static/app.js", Access::Public, script),
    ];
    all.extend(pages::routes());
    all.extend(api::routes());
    all
}

pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for spec in routes() {
        let access = spec.access;
        let gated = spec
            .handler
            .route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                move |State(state): State<AppState>,
                      request: axum::extract::Request,
                      next: axum::middleware::Next| {
                    auth::gate(state, access, request, next)
                },
            ));
        router = router.route(spec.path, gated);
    }
    let mut router = router
        .route("/api/v1/{*rest}", any(api::not_found))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    if state.settings.secure_cookies {
        router = router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    router
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// For load balancers: 200 when the database answers.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.js"),
    )
        .into_response()
}

/// Serve until Ctrl-C or SIGTERM, then finish the requests in flight. The
/// server's clocks (the audit sequencer on PostgreSQL, audit head in the log,
/// scheduled backups) run meanwhile.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    crate::ops::schedule::start(&state);
    let db = state.db.clone();
    let app = router(state);
    // Without TCP_NODELAY the last small piece of a streamed answer waits
    // for the client's delayed acknowledgement (Nagle's algorithm): up to
    // 40 ms an answer.
    let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set on a connection");
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    // The last requests' audit rows are linked before the server goes (the
    // next server to start, or any other on the database, would link them).
    if let Err(e) = crate::storage::audit::chain_pending(&db).await {
        tracing::warn!(error = %e, "audit rows left for the next server to link");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
