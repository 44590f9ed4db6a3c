//! Notification pages: the signed-in user's reminders (newest first, the
//! unread ones marked, each leading to its record and marked read on the
//! way), mark all read, the address for reminders by e-mail; and for the
//! administrator, the outbox's messages that failed.

use askama::Template;
use axum::extract::State;
use axum::http::Method;
use serde::Deserialize;

use crate::app::clock::shown;
use crate::domain::validation::FieldErrors;
use crate::http::auth::{Access, ApiQuery, PageActor, PageForm, PathId};
use crate::http::flash::{self, Flash};
use crate::http::render::{pager, render, Ctx, ForForm, ForPage, PageResult, Pager};
use crate::http::{route, AppState, RouteSpec};
use crate::services::notifications::{self as service, NotificationItem, NotificationQuery};

pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::Admin;
    vec![
        route(Method::GET, "/notifications", Access::SignedIn, list),
        route(
            Method::POST,
            "/notifications/read-all",
            Access::SignedIn,
            read_all,
        ),
        route(
            Method::POST,
            "/notifications/email",
            Access::SignedIn,
            set_email,
        ),
        route(
            Method::POST,
            "/notifications/{id}/read",
            Access::SignedIn,
            read_one,
        ),
        route(
            Method::GET,
            "/admin/outbox",
            Access::Roles(&[Admin]),
            outbox,
        ),
    ]
}

/// A notification as a line of the list.
pub struct Line {
    pub id: i64,
    pub text: String,
    pub href: String,
    pub created: String,
    pub unread: bool,
}

fn line(n: &NotificationItem) -> Line {
    Line {
        id: n.id,
        text: n.text.clone(),
        href: n.href.clone(),
        created: shown(n.created_at),
        unread: n.read_at.is_none(),
    }
}

#[derive(Template)]
#[template(path = "notifications/list.html")]
struct ListTemplate {
    ctx: Ctx,
    lines: Vec<Line>,
    total: i64,
    unread_only: bool,
    page: u32,
    pager: Pager,
    email: String,
    errors: FieldErrors,
}

async fn list_page(
    state: &AppState,
    page: &PageActor,
    q: &NotificationQuery,
    email: Option<String>,
    errors: FieldErrors,
) -> PageResult {
    let (items, total, paging, unread_only) = service::list(&state.db, &page.actor, q)
        .await
        .for_page(page)?;
    let email = match email {
        Some(typed) => typed,
        None => service::email(&state.db, &page.actor)
            .await
            .for_page(page)?
            .unwrap_or_default(),
    };
    let keep = [("unread", if unread_only { "true" } else { "" }.to_string())];
    let template = ListTemplate {
        ctx: Ctx::for_page(page, "notifications"),
        lines: items.iter().map(line).collect(),
        total,
        unread_only,
        page: paging.page,
        pager: pager("/notifications", &keep, &paging, total),
        email,
        errors,
    };
    Ok(render(&template))
}

pub async fn list(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> PageResult {
    list_page(&state, &page, &q, None, FieldErrors::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoFields {}

/// Mark it read and go to its record.
pub async fn read_one(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, .. }: PageForm<NoFields>,
) -> PageResult {
    let n = service::mark_read(&state.db, &page.actor, id)
        .await
        .for_page(&page)?;
    Ok(axum::response::IntoResponse::into_response(
        axum::response::Redirect::to(&n.href),
    ))
}

pub async fn read_all(
    State(state): State<AppState>,
    PageForm { page, .. }: PageForm<NoFields>,
) -> PageResult {
    service::mark_all_read(&state.db, &page.actor)
        .await
        .for_page(&page)?;
    Ok(flash::redirect("/notifications", Flash::Saved))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EmailForm {
    email: String,
}

pub async fn set_email(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<EmailForm>,
) -> PageResult {
    match service::set_email(&state.db, &page.actor, &form.email)
        .await
        .for_form(&page)?
    {
        Ok(_) => Ok(flash::redirect("/notifications", Flash::Saved)),
        Err(errors) => {
            list_page(
                &state,
                &page,
                &NotificationQuery::default(),
                Some(form.email),
                errors,
            )
            .await
        }
    }
}

/// A message of the outbox as a row of the administrator's table.
pub struct OutboxRow {
    pub channel: String,
    pub address: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt: String,
    pub error: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "notifications/outbox.html")]
struct OutboxTemplate {
    ctx: Ctx,
    counts: Vec<(String, i64)>,
    rows: Vec<OutboxRow>,
}

pub async fn outbox(State(state): State<AppState>, page: PageActor) -> PageResult {
    let view = service::outbox(&state.db, &page.actor)
        .await
        .for_page(&page)?;
    let ctx = Ctx::for_page(&page, "outbox");
    let counts = view
        .counts
        .iter()
        .map(|(s, n)| (ctx.t(s.label_key()), *n))
        .collect();
    let rows = view
        .troubled
        .iter()
        .map(|e| OutboxRow {
            channel: ctx.t(e.channel.label_key()),
            address: e.address.clone(),
            status: ctx.t(e.status.label_key()),
            attempts: e.attempts,
            next_attempt: shown(e.next_attempt_at),
            error: e.last_error.clone().unwrap_or_default(),
            created: shown(e.created_at),
        })
        .collect();
    Ok(render(&OutboxTemplate { ctx, counts, rows }))
}
