//! "Export all" for staff: a committee and a year, downloaded as one Excel
//! workbook with a sheet per kind of record.

use askama::Template;
use axum::extract::State;
use axum::http::Method;

use crate::domain::audit::AuditVia;
use crate::domain::orgs::OrgKind;
use crate::http::auth::{Access, ApiQuery, PageActor};
use crate::http::files::xlsx_response;
use crate::http::forms::{choices, Choice};
use crate::http::render::{render, Ctx, ForPage, PageResult};
use crate::http::{route, AppState, RouteSpec};
use crate::services::exports::{self as service, AllQuery, FormatParam, ListFormat};
use crate::services::orgs as org_service;

pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::Staff;
    vec![route(
        Method::GET,
        "/exports",
        Access::Roles(&[Staff]),
        index,
    )]
}

#[derive(Template)]
#[template(path = "exports/index.html")]
struct IndexTemplate {
    ctx: Ctx,
    committees: Vec<Choice>,
    year: String,
}

/// The form, or with `format=xlsx` the workbook it asks for.
pub async fn index(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<AllQuery>,
    ApiQuery(wanted): ApiQuery<FormatParam>,
) -> PageResult {
    if wanted.format().for_page(&page)? == ListFormat::Xlsx {
        let book = service::all(&state.db, &page.actor, AuditVia::Page, &q, &mut |_, _| {})
            .await
            .for_page(&page)?;
        return Ok(xlsx_response(book));
    }
    let orgs = org_service::list(&state.db, &page.actor, None)
        .await
        .for_page(&page)?;
    let chosen = q
        .org
        .clone()
        .unwrap_or_else(|| page.actor.org_id.to_string());
    let committees = choices(
        orgs.into_iter()
            .filter(|o| o.kind != OrgKind::Group.as_str())
            .map(|o| (o.id.to_string(), o.name)),
        &chosen,
    );
    let year = q
        .year
        .clone()
        .unwrap_or_else(|| chrono::Datelike::year(&crate::app::clock::today()).to_string());
    Ok(render(&IndexTemplate {
        ctx: Ctx::for_page(&page, "members"),
        committees,
        year,
    }))
}
