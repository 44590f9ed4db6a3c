//! Who is asking: session cookies for pages (with a CSRF token on every form),
//! API tokens or the session for the API; and request extractors that turn bad
//! input into our own error answers.

use std::net::SocketAddr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::render::error_page;
pub use super::render::PageActor;
use super::AppState;
use crate::app::i18n::Locale;
use crate::domain::roles::Role;
use crate::domain::validation::FieldError;
use crate::security::constant_time_eq;
use crate::services::error::AppError;
use crate::services::{auth, Actor};

/// The client's address as the socket saw it.
pub fn client_ip(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

/// The language for a visitor who is not signed in.
pub fn visitor_locale(parts: &Parts) -> Locale {
    let jar = CookieJar::from_headers(&parts.headers);
    jar.get("lvzhi_lang")
        .and_then(|c| Locale::parse(c.value()))
        .unwrap_or_else(|| {
            Locale::from_accept_language(
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok()),
            )
        })
}

/// The signed-in user's language when the gate found one, else the visitor's.
pub fn request_locale(parts: &Parts) -> Locale {
    match parts.extensions.get::<Resolved>() {
        Some(resolved) => resolved.actor.locale,
        None => visitor_locale(parts),
    }
}

/// A cookie with the attributes every cookie of ours has.
pub fn cookie(state: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_path("/");
    c.set_secure(state.settings.secure_cookies);
    c
}

fn session_token(state: &AppState, parts: &Parts) -> Option<String> {
    CookieJar::from_headers(&parts.headers)
        .get(state.session_cookie_name())
        .map(|c| c.value().to_string())
}

/// Who may call a route. Checked by the gate in front of every route, before
/// any body is read; the services check scope (which records) again.
#[derive(Debug, Clone, Copy)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// Signed-in users holding one of these roles.
    Roles(&'static [Role]),
}

/// The signed-in user the gate found, kept in the request's extensions.
#[derive(Clone)]
struct Resolved {
    actor: Actor,
    /// For a session: its form token and cookie value.
    session: Option<(String, String)>,
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Find the caller: an API token (`Authorization: Bearer …`) on the API, or
/// the session cookie. A browser session calling the API must send its form
/// token in `X-CSRF-Token` to change anything.
async fn resolve(state: &AppState, parts: &Parts) -> Result<Option<Resolved>, AppError> {
    let ip = client_ip(parts);
    let policies = state.policies();
    if is_api(parts.uri.path()) {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if let Some(token) = bearer {
            let actor = auth::actor_from_token(&state.db, &policies, token, ip).await?;
            return Ok(actor.map(|actor| Resolved {
                actor,
                session: None,
            }));
        }
    }
    let Some(token) = session_token(state, parts) else {
        return Ok(None);
    };
    let found = auth::actor_from_session(&state.db, &policies, &token, ip).await?;
    let Some((actor, csrf)) = found else {
        return Ok(None);
    };
    if is_api(parts.uri.path())
        && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
    {
        let sent = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !constant_time_eq(sent, &csrf) {
            return Err(AppError::Forbidden);
        }
    }
    Ok(Some(Resolved {
        actor,
        session: Some((csrf, token)),
    }))
}

/// The gate in front of every route: resolves the caller once, then lets
/// through, sends to the login page (401 on the API), or refuses (403).
pub async fn gate(state: AppState, access: Access, request: Request, next: Next) -> Response {
    if matches!(access, Access::Public) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let api = is_api(parts.uri.path());
    let locale = visitor_locale(&parts);
    let refuse = |error: AppError, locale: Locale| {
        if api {
            crate::http::error::json(error, locale)
        } else {
            error_page(locale, None, error)
        }
    };
    let resolved = match resolve(&state, &parts).await {
        Ok(resolved) => resolved,
        Err(e) => return refuse(e, locale),
    };
    let Some(resolved) = resolved else {
        if api {
            return AppError::Unauthorized.into_response();
        }
        let next_path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let query = serde_urlencoded::to_string([("next", next_path)]).unwrap_or_default();
        return Redirect::to(&format!("/login?{query}")).into_response();
    };
    let actor = &resolved.actor;
    let path = parts.uri.path();
    if actor.must_change_password && path != "/account/password" && path != "/logout" {
        if api {
            return crate::http::error::json(AppError::PasswordChangeRequired, actor.locale);
        }
        return Redirect::to("/account/password").into_response();
    }
    if actor.needs_totp && !path.starts_with("/account/") && path != "/logout" {
        if api {
            return crate::http::error::json(AppError::TotpEnrollmentRequired, actor.locale);
        }
        return Redirect::to("/account/totp").into_response();
    }
    if let Access::Roles(roles) = access {
        if !roles.contains(&actor.role) {
            return refuse(AppError::Forbidden, actor.locale);
        }
    }
    parts.extensions.insert(resolved);
    let had_flash = crate::http::flash::read(&parts.headers).is_some();
    let mut response = next.run(Request::from_parts(parts, body)).await;
    crate::http::flash::clear_after_shown(had_flash, &mut response);
    response
}

impl FromRequestParts<AppState> for PageActor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match parts.extensions.get::<Resolved>() {
            Some(Resolved {
                actor,
                session: Some((csrf, token)),
            }) => Ok(PageActor {
                // The header's unread count: one indexed count, on pages
                // read (a form's post redirects to one).
                unread: if parts.method == Method::GET {
                    crate::services::notifications::unread_count(&state.db, actor.user_id)
                        .await
                        .unwrap_or(0)
                } else {
                    0
                },
                actor: actor.clone(),
                csrf: csrf.clone(),
                session_token: token.clone(),
                flash: crate::http::flash::read(&parts.headers),
            }),
            // A route without a gate is a programming error: refuse rather than guess.
            _ => Err(error_page(
                visitor_locale(parts),
                None,
                AppError::Unauthorized,
            )),
        }
    }
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A page form from a signed-in user, with its CSRF token checked.
pub struct PageForm<T> {
    pub page: PageActor,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for PageForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let page = PageActor::from_request_parts(&mut parts, state).await?;
        let locale = page.actor.locale;
        let bytes = axum::body::to_bytes(body, super::BODY_LIMIT)
            .await
            .map_err(|_| {
                error_page(
                    locale,
                    Some(&page),
                    AppError::BadRequest(FieldError::new("body", "body_too_large").into()),
                )
            })?;
        if let Some(field) = super::input::form_field_not_utf8(&bytes) {
            let error = FieldError::new("body", "form_not_utf8").with("field", field);
            return Err(error_page(
                locale,
                Some(&page),
                AppError::BadRequest(error.into()),
            ));
        }
        let csrf: CsrfField = serde_urlencoded::from_bytes(&bytes).unwrap_or(CsrfField {
            csrf: String::new(),
        });
        if csrf.csrf.is_empty() || !constant_time_eq(&csrf.csrf, &page.csrf) {
            return Err(error_page(locale, Some(&page), AppError::Forbidden));
        }
        let form = serde_urlencoded::from_bytes::<T>(&bytes).map_err(|_| {
            error_page(
                locale,
                Some(&page),
                AppError::BadRequest(FieldError::new("body", "form_invalid").into()),
            )
        })?;
        Ok(PageForm { page, form })
    }
}

/// A caller of the JSON API (found by the gate).
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Response> {
        match parts.extensions.get::<Resolved>() {
            Some(resolved) => Ok(ApiActor(resolved.actor.clone())),
            None => Err(AppError::Unauthorized.into_response()),
        }
    }
}

/// A JSON body: an object, read into `T`. Malformed JSON, a body that is not
/// an object, or a field of the wrong type answers 400 in our error format
/// (the detail names the field).
pub struct ApiJson<T>(pub T);

fn refuse_body(code: &'static str, detail: String) -> Response {
    let error = FieldError::new("body", code).with("detail", detail);
    AppError::BadRequest(error.into()).into_response()
}

/// The body as a JSON object, each key at most once per object.
pub(crate) async fn json_object<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<serde_json::Value, Response> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, super::BODY_LIMIT)
        .await
        .map_err(|e| refuse_body("body_too_large", e.to_string()))?;
    let req = Request::from_parts(parts, axum::body::Body::from(bytes.clone()));
    let value = match Json::<serde_json::Value>::from_request(req, state).await {
        Ok(Json(value)) => value,
        Err(rejection) => {
            let code = match rejection {
                JsonRejection::MissingJsonContentType(_) => "json_content_type",
                JsonRejection::BytesRejection(_) => "body_too_large",
                _ => "json_invalid",
            };
            return Err(refuse_body(code, rejection.body_text()));
        }
    };
    if !value.is_object() {
        return Err(refuse_body(
            "json_invalid",
            "a JSON object is expected".into(),
        ));
    }
    if let Some(key) = super::input::first_duplicate_key(&bytes) {
        let error = FieldError::new("body", "json_duplicate_key").with("key", key);
        return Err(AppError::BadRequest(error.into()).into_response());
    }
    Ok(value)
}

/// `value` read into `T`; a mismatch is refused, naming the field.
pub(crate) fn read_into<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Box<Response>> {
    serde_path_to_error::deserialize(value)
        .map_err(|e| Box::new(refuse_body("json_invalid", e.to_string())))
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        read_into(json_object(req, state).await?)
            .map(ApiJson)
            .map_err(|r| *r)
    }
}

/// A numeric id in the path; anything else is a 404, as no such record
/// exists: in the API's format under `/api/`, as a page elsewhere.
pub struct PathId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let raw = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .ok();
        match raw.and_then(|axum::extract::Path(raw)| raw.parse::<i64>().ok()) {
            Some(id) => Ok(PathId(id)),
            None if parts.uri.path().starts_with("/api/") => {
                Err(AppError::NotFound.into_response())
            }
            None => Err(error_page(request_locale(parts), None, AppError::NotFound)),
        }
    }
}

/// Query parameters; undecodable ones answer 400 in our error format.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str::<T>(query)
            .map(ApiQuery)
            .map_err(|_| {
                AppError::BadRequest(FieldError::new("query", "query_invalid").into())
                    .into_response()
            })
    }
}
