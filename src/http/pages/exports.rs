//! "Export all" for staff: a committee and a year, downloaded as one Excel
//! workbook with a sheet per kind of record.

use askama::Template;
use axum::extract::State;
use axum::http::Method;

use crate::domain::audit::AuditVia;
use crate::domain::orgs::OrgKind;
use crate::http::auth::{Access, ApiQuery, PageActor};
use crate::http::files::{export_on_page, xlsx_response};
use crate::http::forms::{choices, Choice};
use crate::http::render::{render, Ctx, ForPage, PageResult};
use crate::http::{route, AppState, RouteSpec};
use crate::services::error::AppError;
use crate::services::exports::{self as service, AllQuery, FormatParam, ListFormat};
use crate::services::jobs::Stage;
use crate::services::orgs as org_service;

pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::Staff;
    // Any list a role may export from its page is followed here when it
    // takes long: the job's owner alone sees it.
    const SIGNED_IN: Access = Access::SignedIn;
    vec![
        route(Method::GET, "/exports", Access::Roles(&[Staff]), index),
        route(Method::GET, "/exports/progress", SIGNED_IN, progress),
        route(Method::GET, "/exports/download", SIGNED_IN, download),
    ]
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
        let (db, owner, asked) = (state.db.clone(), page.actor.clone(), q.clone());
        return export_on_page(&state, &page.actor, move |job| async move {
            let mut progress = |done, total| job.report(Stage::Write, done, total);
            service::all(&db, &owner, AuditVia::Page, &asked, &mut progress).await
        })
        .await
        .for_page(&page);
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

#[derive(Template)]
#[template(path = "exports/progress.html")]
struct ProgressTemplate {
    ctx: Ctx,
    text: String,
    done: usize,
    total: usize,
    /// Where the page goes next: itself while writing, the file once written.
    next: String,
    refresh: u32,
    ready: bool,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct TokenQuery {
    token: String,
}

/// How often the progress page asks again, in seconds.
const PROGRESS_REFRESH_SECONDS: u32 = 2;

/// How far a long export has got (asking again by itself, without script);
/// once written, the file downloads from here.
pub async fn progress(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<TokenQuery>,
) -> PageResult {
    let job = state
        .exports
        .get(&q.token, page.actor.user_id)
        .ok_or(AppError::NotFound)
        .for_page(&page)?;
    let ctx = Ctx::for_page(&page, "members");
    let p = job.progress();
    let ready = job.has_ended();
    let text = if ready {
        ctx.t("exports.progress.ready")
    } else if p.total == 0 {
        // The rows are still being read: nothing counted to write yet.
        ctx.t("exports.progress.reading")
    } else {
        crate::app::i18n::t_with(
            page.actor.locale,
            "exports.progress.write",
            &[("done", p.done.to_string()), ("total", p.total.to_string())],
        )
    };
    let next = if ready {
        format!("/exports/download?token={}", q.token)
    } else {
        format!("/exports/progress?token={}", q.token)
    };
    Ok(render(&ProgressTemplate {
        ctx,
        text,
        done: if ready { p.total.max(1) } else { p.done },
        total: p.total.max(1),
        next,
        refresh: if ready { 0 } else { PROGRESS_REFRESH_SECONDS },
        ready,
    }))
}

/// The written workbook of a long export, once (or why it failed).
pub async fn download(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<TokenQuery>,
) -> PageResult {
    let outcome = state
        .exports
        .take_outcome(&q.token, page.actor.user_id)
        .ok_or(AppError::NotFound)
        .for_page(&page)?;
    Ok(xlsx_response(outcome.for_page(&page)?))
}
