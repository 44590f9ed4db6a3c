//! The living style page (`/style`, staff only): every component of the
//! pages' small design system at once, drawn by the same CSS and the same
//! markup the pages use, so a change to either shows here first.

use askama::Template;
use axum::http::Method;

use crate::domain::cases::CaseStatus;
use crate::domain::roles::Role;
use crate::http::auth::{Access, PageActor};
use crate::http::render::{render, Ctx, PageResult, Toned};
use crate::http::{route, RouteSpec};

pub fn routes() -> Vec<RouteSpec> {
    vec![route(
        Method::GET,
        "/style",
        Access::Roles(&[Role::Staff]),
        style,
    )]
}

/// A badge as the style page shows it: words and tone.
pub struct Badge {
    pub label: String,
    pub tone: &'static str,
}

#[derive(Template)]
#[template(path = "style.html")]
struct StyleTemplate {
    ctx: Ctx,
    badges: Vec<Badge>,
    errors: crate::domain::validation::FieldErrors,
}

pub async fn style(page: PageActor) -> PageResult {
    let mut ctx = Ctx::for_page(&page, "");
    // The message a save leaves, shown as every page shows it.
    ctx.flash = Some(ctx.t("flash.saved"));
    let badges = CaseStatus::ALL
        .iter()
        .map(|s| Badge {
            label: ctx.t(s.label_key()),
            tone: s.tone(),
        })
        .chain(std::iter::once(Badge {
            label: ctx.t("label.proposal_status.withdrawn"),
            tone: "stop",
        }))
        .collect();
    Ok(render(&StyleTemplate {
        ctx,
        badges,
        errors: crate::domain::validation::FieldErrors::new(),
    }))
}
