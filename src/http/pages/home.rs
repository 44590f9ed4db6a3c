//! The first page after signing in: what waits on the user, each item counted
//! from the records and linked to where it is done. The administrator trio
//! land on their one page instead.

use askama::Template;
use axum::extract::State;
use axum::http::Method;
use axum::response::{IntoResponse, Redirect};

use crate::app::clock;
use crate::domain::roles::Role;
use crate::http::auth::{Access, PageActor};
use crate::http::render::{render, Ctx, ForPage, PageResult};
use crate::http::{route, AppState, RouteSpec};
use crate::services::todos::{self as service, Todo};

pub fn routes() -> Vec<RouteSpec> {
    vec![route(Method::GET, "/", Access::SignedIn, home)]
}

/// A to-do as shown: its words, how many, where.
pub struct TodoRow {
    pub label: String,
    pub count: i64,
    pub href: String,
    /// Something waits (a standing duty shows its count even at 0).
    pub waiting: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTemplate {
    ctx: Ctx,
    greeting: String,
    todos: Vec<TodoRow>,
    /// Nothing waits: the page says so instead of a list of zeros.
    all_done: bool,
    next_duty: String,
    /// The member's own duty file, for the shortcut.
    duty_file: String,
    /// A member's duty points so far this year, linked to how they were made.
    points: Option<crate::services::points::SoFar>,
}

fn row(ctx: &Ctx, todo: &Todo) -> TodoRow {
    TodoRow {
        label: ctx.t(todo.kind.label_key()),
        count: todo.count,
        href: todo.href.clone(),
        waiting: todo.count > 0 && !todo.kind.is_standing(),
    }
}

pub async fn home(State(state): State<AppState>, page: PageActor) -> PageResult {
    let target = match page.actor.role {
        Role::Admin | Role::Security => Some("/admin/users"),
        Role::Auditor => Some("/audit"),
        Role::Member if page.actor.member_id.is_none() => Some("/account/password"),
        _ => None,
    };
    if let Some(target) = target {
        return Ok(Redirect::to(target).into_response());
    }
    let today = clock::today();
    let home = service::home(&state.db, &page.actor, today)
        .await
        .for_page(&page)?;
    let points = crate::services::points::so_far(&state.db, &page.actor)
        .await
        .for_page(&page)?;
    let ctx = Ctx::for_page(&page, "home");
    let todos: Vec<TodoRow> = home
        .todos
        .iter()
        .filter(|t| t.count > 0 || t.kind.is_standing())
        .map(|t| row(&ctx, t))
        .collect();
    let template = HomeTemplate {
        greeting: crate::app::i18n::t_with(
            ctx.locale,
            "home.greeting",
            &[("name", page.actor.display_name.clone())],
        ),
        all_done: !todos.iter().any(|t| t.waiting),
        todos,
        next_duty: home
            .next_duty
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        duty_file: page
            .actor
            .member_id
            .map(|id| format!("/members/{id}"))
            .unwrap_or_default(),
        points,
        ctx,
    };
    Ok(render(&template))
}
