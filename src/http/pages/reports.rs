//! The work summary page: choose the committee's period, read the summary
//! drafted from the records as it will be handed in, and download it as
//! Word, Markdown or HTML.

use askama::Template;
use axum::extract::State;
use axum::http::Method;
use chrono::Datelike;

use crate::domain::audit::AuditVia;
use crate::domain::reports::{Block, ReportPeriod};
use crate::http::auth::{Access, ApiQuery, PageActor};
use crate::http::files::file_response;
use crate::http::forms::{choices, Choice};
use crate::http::render::{link_with, render, Ctx, ForPage, PageResult};
use crate::http::{route, AppState, RouteSpec};
use crate::services::reports::{self as service, FileQuery, SummaryQuery};

pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::Staff;
    const STAFF: Access = Access::Roles(&[Staff]);
    vec![
        route(Method::GET, "/reports/summary", STAFF, summary),
        route(Method::GET, "/reports/summary/file", STAFF, summary_file),
    ]
}

#[derive(Template)]
#[template(path = "reports/summary.html")]
struct SummaryTemplate {
    ctx: Ctx,
    org_name: String,
    title: String,
    blocks: Vec<Block>,
    periods: Vec<Choice>,
    from: String,
    to: String,
    downloads: Vec<(String, String)>,
}

/// The half-years and years around `period` to choose from, newest first.
fn period_choices(ctx: &Ctx, period: ReportPeriod, chosen: &str) -> Vec<Choice> {
    let year = period.to.year();
    let tr =
        |key: &str, params: &[(&str, String)]| crate::app::i18n::t_with(ctx.locale, key, params);
    let mut options = Vec::new();
    for y in (year - 2..=year + 1).rev() {
        for (code, p) in [
            (format!("{y}-H2"), ReportPeriod::half(y, false)),
            (format!("{y}-H1"), ReportPeriod::half(y, true)),
            (format!("{y}"), ReportPeriod::year(y)),
        ] {
            if let Some(p) = p {
                options.push((code, p.label(&tr)));
            }
        }
    }
    choices(options, chosen)
}

pub async fn summary(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> PageResult {
    let (org, period) = service::resolve(&state.db, &page.actor, &q)
        .await
        .for_page(&page)?;
    let (_, drafted) = service::draft(&state.db, &org, period, page.actor.locale)
        .await
        .for_page(&page)?;
    let ctx = Ctx::for_page(&page, "reports");
    let code = period.code().unwrap_or_default();
    let keep: Vec<(&str, String)> = if code.is_empty() {
        vec![
            ("org", org.id.to_string()),
            ("from", period.from.to_string()),
            ("to", period.to.to_string()),
        ]
    } else {
        vec![("org", org.id.to_string()), ("period", code.clone())]
    };
    let downloads = [
        ("docx", "reports.download_docx"),
        ("md", "reports.download_md"),
        ("html", "reports.download_html"),
    ]
    .iter()
    .map(|(format, label)| {
        (
            link_with(
                "/reports/summary/file",
                &keep,
                &[("format", (*format).to_string())],
            ),
            ctx.t(label),
        )
    })
    .collect();
    let template = SummaryTemplate {
        periods: period_choices(&ctx, period, &code),
        from: period.from.to_string(),
        to: period.to.to_string(),
        org_name: org.name,
        title: drafted.title,
        blocks: drafted.blocks,
        downloads,
        ctx,
    };
    Ok(render(&template))
}

pub async fn summary_file(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<FileQuery>,
) -> PageResult {
    let file = service::file_for(&state.db, &page.actor, AuditVia::Page, &q)
        .await
        .for_page(&page)?;
    Ok(file_response(
        file.bytes,
        file.format.content_type(),
        &file.file_name,
    ))
}
