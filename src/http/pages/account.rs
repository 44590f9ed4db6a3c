//! Sign in and out, one's own password and language, and the landing page.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use axum_extra::extract::cookie::{Cookie, CookieJar};
use serde::Deserialize;

use crate::domain::validation::FieldErrors;
use crate::http::auth::Access;
use crate::http::auth::{client_ip, cookie, visitor_locale, PageActor, PageForm};
use crate::http::render::{error_page, render, render_status, Ctx, ForPage, PageResult};
use crate::http::AppState;
use crate::http::{route, RouteSpec};
use crate::security::{constant_time_eq, random_token};
use crate::services::auth;
use crate::services::error::AppError;
use axum::http::Method;

/// The routes of these pages, with who may call each.
pub fn routes() -> Vec<RouteSpec> {
    use Access::{Public, SignedIn};
    vec![
        route(Method::GET, "/login", Public, login_form),
        route(Method::POST, "/login", Public, login),
        route(Method::POST, "/logout", SignedIn, logout),
        route(Method::GET, "/account/password", SignedIn, password_form),
        route(Method::POST, "/account/password", SignedIn, change_password),
        route(Method::POST, "/account/locale", SignedIn, set_locale),
        route(Method::GET, "/account/totp", SignedIn, totp_form),
        route(Method::POST, "/account/totp/enable", SignedIn, totp_enable),
        route(
            Method::POST,
            "/account/totp/disable",
            SignedIn,
            totp_disable,
        ),
    ]
}

const LOGIN_CSRF_COOKIE: &str = "lvzhi_login_csrf";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTemplate {
    ctx: Ctx,
    username: String,
    next: String,
    error: String,
    login_csrf: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextParam {
    next: String,
}

/// Only same-site paths are followed after login: one leading slash, no
/// backslash and no control character (browsers drop tabs and line breaks,
/// so `/\t/evil.example` would become `//evil.example`).
fn safe_next(next: &str) -> String {
    let same_site = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if same_site {
        next.to_string()
    } else {
        "/".into()
    }
}

fn login_page(
    state: &AppState,
    parts_locale: crate::app::i18n::Locale,
    username: String,
    next: String,
    error: String,
    status: StatusCode,
) -> Response {
    let login_csrf = random_token();
    let template = LoginTemplate {
        ctx: Ctx::visitor(parts_locale),
        username,
        next,
        error,
        login_csrf: login_csrf.clone(),
    };
    let jar = CookieJar::new().add(cookie(state, LOGIN_CSRF_COOKIE, login_csrf));
    (jar, render_status(status, &template)).into_response()
}

pub async fn login_form(
    State(state): State<AppState>,
    parts: Parts,
    Query(q): Query<NextParam>,
) -> Response {
    login_page(
        &state,
        visitor_locale(&parts),
        String::new(),
        safe_next(&q.next),
        String::new(),
        StatusCode::OK,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    username: String,
    password: String,
    /// The one-time code, for accounts with a second factor.
    code: String,
    csrf: String,
    next: String,
}

pub async fn login(
    State(state): State<AppState>,
    parts: Parts,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let locale = visitor_locale(&parts);
    let expected = jar
        .get(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(&expected, &form.csrf) {
        return error_page(locale, None, AppError::Forbidden);
    }
    let credentials = auth::Credentials {
        username: &form.username,
        password: &form.password,
        code: Some(form.code.as_str()),
    };
    match auth::login(
        &state.db,
        &state.policies(),
        &state.cipher,
        &credentials,
        client_ip(&parts).as_deref(),
    )
    .await
    {
        Ok((session, _user)) => {
            let jar = jar
                .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/"))
                .add(cookie(&state, state.session_cookie_name(), session.token));
            (jar, Redirect::to(&safe_next(&form.next))).into_response()
        }
        Err(AppError::Validation(errors)) => {
            let message = crate::app::i18n::field_messages(locale, &errors).join("；");
            login_page(
                &state,
                locale,
                form.username,
                safe_next(&form.next),
                message,
                StatusCode::UNAUTHORIZED,
            )
        }
        Err(e) => error_page(locale, None, e),
    }
}

#[derive(Deserialize, Default)]
pub struct Empty {}

pub async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    PageForm { page, .. }: PageForm<Empty>,
) -> Response {
    if let Err(e) = auth::logout(&state.db, &page.actor, &page.session_token).await {
        return error_page(page.actor.locale, Some(&page), e);
    }
    let jar = jar.remove(Cookie::build(state.session_cookie_name()).path("/"));
    (jar, Redirect::to("/login")).into_response()
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordTemplate {
    ctx: Ctx,
    must_change: bool,
    errors: FieldErrors,
    done: bool,
}

pub async fn password_form(page: PageActor) -> Response {
    let must_change = page.actor.must_change_password;
    render(&PasswordTemplate {
        ctx: Ctx::for_page(&page, "password"),
        must_change,
        errors: FieldErrors::new(),
        done: false,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    jar: CookieJar,
    PageForm { page, form }: PageForm<PasswordForm>,
) -> Response {
    match auth::change_password(
        &state.db,
        &state.policies(),
        &page.actor,
        &form.current_password,
        &form.new_password,
        &form.confirm_password,
    )
    .await
    {
        Ok(session) => {
            let jar = jar.add(cookie(&state, state.session_cookie_name(), session.token));
            let mut ctx = Ctx::for_page(&page, "password");
            ctx.csrf = session.csrf_token;
            (
                jar,
                render(&PasswordTemplate {
                    ctx,
                    must_change: false,
                    errors: FieldErrors::new(),
                    done: true,
                }),
            )
                .into_response()
        }
        Err(AppError::Validation(errors)) => {
            let must_change = page.actor.must_change_password;
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &PasswordTemplate {
                    ctx: Ctx::for_page(&page, "password"),
                    must_change,
                    errors,
                    done: false,
                },
            )
        }
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LocaleForm {
    locale: String,
    back: String,
}

pub async fn set_locale(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<LocaleForm>,
) -> Response {
    match auth::set_locale(&state.db, &page.actor, &form.locale).await {
        Ok(()) => Redirect::to(&safe_next(&form.back)).into_response(),
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpTemplate {
    ctx: Ctx,
    enabled: bool,
    required: bool,
    secret: String,
    url: String,
    errors: FieldErrors,
}

async fn totp_page(
    state: &AppState,
    page: &PageActor,
    errors: FieldErrors,
    status: StatusCode,
) -> PageResult {
    let enabled = auth::totp_enabled(&state.db, &page.actor)
        .await
        .for_page(page)?;
    let (secret, url) = if enabled {
        (String::new(), String::new())
    } else {
        auth::totp_new_secret(&page.actor).for_page(page)?
    };
    let required = state.policies().totp_required.contains(&page.actor.role);
    Ok(render_status(
        status,
        &TotpTemplate {
            ctx: Ctx::for_page(page, "totp"),
            enabled,
            required,
            secret,
            url,
            errors,
        },
    ))
}

/// The second factor: set it up with an authenticator app, or turn it off.
pub async fn totp_form(State(state): State<AppState>, page: PageActor) -> Response {
    totp_page(&state, &page, FieldErrors::new(), StatusCode::OK)
        .await
        .into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TotpForm {
    secret: String,
    code: String,
}

pub async fn totp_enable(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<TotpForm>,
) -> Response {
    match auth::totp_enable(
        &state.db,
        &state.cipher,
        &page.actor,
        &form.secret,
        &form.code,
    )
    .await
    {
        Ok(()) => Redirect::to("/account/totp").into_response(),
        Err(AppError::Validation(errors)) => {
            totp_page(&state, &page, errors, StatusCode::UNPROCESSABLE_ENTITY)
                .await
                .into_response()
        }
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

pub async fn totp_disable(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<TotpForm>,
) -> Response {
    match auth::totp_disable(
        &state.db,
        &state.policies(),
        &state.cipher,
        &page.actor,
        &form.code,
    )
    .await
    {
        Ok(()) => Redirect::to("/account/totp").into_response(),
        Err(AppError::Validation(errors)) => {
            totp_page(&state, &page, errors, StatusCode::UNPROCESSABLE_ENTITY)
                .await
                .into_response()
        }
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_same_site_paths_are_followed() {
        assert_eq!(safe_next("/members?page=2"), "/members?page=2");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n",
            "https://evil.example",
            "",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
