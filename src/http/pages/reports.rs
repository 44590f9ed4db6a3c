//! The work summary pages: choose the committee's period, read the summary
//! drafted from the records as it will be handed in, edit it and save it as
//! a dated version filed in the archive, and download it as Word, Markdown
//! or HTML; a saved summary with its versions (the archive lists it:
//! `pages::archive`).

use askama::Template;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use chrono::Datelike;
use serde::Deserialize;

use crate::domain::audit::AuditVia;
use crate::domain::reports::{parse_markdown, to_markdown, Block, ReportPeriod};
use crate::domain::validation::FieldErrors;
use crate::http::auth::{Access, ApiQuery, PageActor, PageForm, PathId};
use crate::http::files::file_response;
use crate::http::flash::{self, Flash};
use crate::http::forms::{check_confirmed, choices, Choice};
use crate::http::render::{
    link_with, render, render_status, Ctx, ForEdit, ForPage, PageError, PageResult, Refused,
};
use crate::http::{route, AppState, RouteSpec};
use crate::services::reports::{
    self as service, FileQuery, SaveInput, SummaryQuery, VersionFileQuery, WithdrawInput,
};
use crate::storage::reports::SavedSummary;

pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::Staff;
    const STAFF: Access = Access::Roles(&[Staff]);
    vec![
        route(Method::GET, "/reports/summary", STAFF, summary),
        route(Method::GET, "/reports/summary/file", STAFF, summary_file),
        route(Method::POST, "/reports/summary/save", STAFF, save),
        route(Method::GET, "/reports/summaries/{id}", STAFF, saved_page),
        route(
            Method::GET,
            "/reports/summaries/{id}/file",
            STAFF,
            saved_file,
        ),
        route(
            Method::POST,
            "/reports/summaries/{id}/withdraw",
            STAFF,
            withdraw,
        ),
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
    /// The saved summary of this period, when one was filed.
    saved: Option<SavedLine>,
    /// The edit form: what is in the text box, and why it was refused.
    form: SaveInput,
    errors: FieldErrors,
    conflict: bool,
}

/// A filed summary as the drafting page mentions it.
pub struct SavedLine {
    pub href: String,
    /// "已归档第3版，2026-12-03 10:15 张三保存" (or taken out of the archive).
    pub line: String,
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

/// The query that names a committee's period: its code, or its days.
fn period_params(org_id: i64, period: ReportPeriod) -> Vec<(&'static str, String)> {
    match period.code() {
        Some(code) => vec![("org", org_id.to_string()), ("period", code)],
        None => vec![
            ("org", org_id.to_string()),
            ("from", period.from.to_string()),
            ("to", period.to.to_string()),
        ],
    }
}

/// What a refused save brings back to the drafting page.
struct Refusal {
    form: SaveInput,
    errors: FieldErrors,
    conflict: bool,
}

/// The drafting page: the draft from the records now, and the edit form
/// holding the latest saved version (or the draft when none was saved).
async fn summary_page(
    state: &AppState,
    page: &PageActor,
    q: &SummaryQuery,
    refusal: Option<Refusal>,
) -> Result<SummaryTemplate, PageError> {
    let (org, period) = service::resolve(&state.db, &page.actor, q)
        .await
        .for_page(page)?;
    let (_, drafted) = service::draft(&state.db, &org, period, page.actor.locale)
        .await
        .for_page(page)?;
    let saved = service::saved_for(&state.db, &org, period)
        .await
        .for_page(page)?;
    let ctx = Ctx::for_page(page, "reports");
    let keep = period_params(org.id, period);
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
    let mut form = SaveInput {
        org: Some(org.id.to_string()),
        period: period.code(),
        from: period.code().is_none().then(|| period.from.to_string()),
        to: period.code().is_none().then(|| period.to.to_string()),
        text: Some(match &saved {
            Some((_, latest)) => latest.text.clone(),
            None => to_markdown(&drafted),
        }),
        note: None,
        versions: Some(saved.as_ref().map_or(0, |(s, _)| s.versions).to_string()),
    };
    let (errors, conflict) = match refusal {
        Some(r) => {
            // What was typed stays; only the count read moves on after a
            // conflict, so that saving again is a conscious choice.
            let versions = form.versions.take();
            form = r.form;
            if r.conflict {
                form.versions = versions;
            }
            (r.errors, r.conflict)
        }
        None => (FieldErrors::new(), false),
    };
    let saved = saved.map(|(s, latest)| {
        let key = if s.withdrawn_on.is_some() {
            "reports.saved_withdrawn"
        } else {
            "reports.saved_line"
        };
        SavedLine {
            href: format!("/reports/summaries/{}", s.id),
            line: crate::app::i18n::t_with(
                ctx.locale,
                key,
                &[
                    ("n", s.versions.to_string()),
                    ("at", crate::app::clock::shown(latest.saved_at)),
                    ("who", latest.saved_by.unwrap_or_default()),
                ],
            ),
        }
    });
    Ok(SummaryTemplate {
        periods: period_choices(&ctx, period, &period.code().unwrap_or_default()),
        from: period.from.to_string(),
        to: period.to.to_string(),
        org_name: org.name,
        title: drafted.title,
        blocks: drafted.blocks,
        downloads,
        saved,
        form,
        errors,
        conflict,
        ctx,
    })
}

pub async fn summary(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> PageResult {
    let template = summary_page(&state, &page, &q, None).await?;
    Ok(render(&template))
}

/// Save the edited text as the next version; a refusal shows the page again
/// with what was typed.
pub async fn save(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<SaveInput>,
) -> PageResult {
    let saved = service::save(&state.db, &page.actor, &form)
        .await
        .for_edit(&page)?;
    let (errors, conflict) = match saved {
        Ok(d) => {
            return Ok(flash::redirect(
                &format!("/reports/summaries/{}", d.summary.id),
                Flash::Saved,
            ))
        }
        Err(Refused::Invalid(errors)) => (errors, false),
        Err(Refused::Conflict(_)) => (FieldErrors::new(), true),
    };
    let q = SummaryQuery {
        org: form.org.clone(),
        period: form.period.clone(),
        from: form.from.clone(),
        to: form.to.clone(),
    };
    let status = if conflict {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let refusal = Refusal {
        form,
        errors,
        conflict,
    };
    let template = summary_page(&state, &page, &q, Some(refusal)).await?;
    Ok(render_status(status, &template))
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

fn period_words(ctx: &Ctx, s: &SavedSummary) -> String {
    let tr =
        |key: &str, params: &[(&str, String)]| crate::app::i18n::t_with(ctx.locale, key, params);
    ReportPeriod::new(s.period_from, s.period_to)
        .map(|p| p.label(&tr))
        .unwrap_or_default()
}

/// A version as the saved summary's page lists it.
pub struct VersionRow {
    pub number: i64,
    pub saved_at: String,
    pub saved_by: String,
    pub note: String,
    pub downloads: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "reports/saved.html")]
struct SavedTemplate {
    ctx: Ctx,
    summary: SavedSummary,
    period: String,
    edit_href: String,
    title: String,
    blocks: Vec<Block>,
    versions: Vec<VersionRow>,
    reason: String,
    errors: FieldErrors,
    conflict: bool,
}

async fn saved_template(
    state: &AppState,
    page: &PageActor,
    id: i64,
    reason: String,
    errors: FieldErrors,
    conflict: bool,
) -> Result<SavedTemplate, PageError> {
    let d = service::saved_detail(&state.db, &page.actor, id)
        .await
        .for_page(page)?;
    let ctx = Ctx::for_page(page, "reports");
    let latest = d.versions.first();
    let shown = latest
        .and_then(|v| parse_markdown("text", &v.text).ok())
        .unwrap_or_else(|| crate::domain::reports::Summary {
            title: d.summary.title.clone(),
            blocks: Vec::new(),
        });
    let versions = d
        .versions
        .iter()
        .map(|v| VersionRow {
            number: v.number,
            saved_at: crate::app::clock::shown(v.saved_at),
            saved_by: v.saved_by.clone().unwrap_or_default(),
            note: v.note.clone(),
            downloads: [
                ("docx", "reports.download_docx"),
                ("md", "reports.download_md"),
            ]
            .iter()
            .map(|(format, label)| {
                (
                    format!(
                        "/reports/summaries/{id}/file?version={}&format={format}",
                        v.number
                    ),
                    ctx.t(label),
                )
            })
            .collect(),
        })
        .collect();
    let edit_href = ReportPeriod::new(d.summary.period_from, d.summary.period_to)
        .map(|p| link_with("/reports/summary", &period_params(d.summary.org_id, p), &[]))
        .unwrap_or_default();
    Ok(SavedTemplate {
        period: period_words(&ctx, &d.summary),
        edit_href,
        title: shown.title,
        blocks: shown.blocks,
        versions,
        summary: d.summary,
        reason,
        errors,
        conflict,
        ctx,
    })
}

pub async fn saved_page(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
) -> PageResult {
    let template =
        saved_template(&state, &page, id, String::new(), FieldErrors::new(), false).await?;
    Ok(render(&template))
}

pub async fn saved_file(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<VersionFileQuery>,
) -> PageResult {
    let file = service::version_file(&state.db, &page.actor, AuditVia::Page, id, &q)
        .await
        .for_page(&page)?;
    Ok(file_response(
        file.bytes,
        file.format.content_type(),
        &file.file_name,
    ))
}

/// The withdrawal form: the reason, the count read, and the box that says
/// the person means it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WithdrawForm {
    reason: Option<String>,
    versions: Option<String>,
    confirm: Option<String>,
}

pub async fn withdraw(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<WithdrawForm>,
) -> PageResult {
    let input = WithdrawInput {
        reason: form.reason.clone(),
        versions: form.versions.clone(),
    };
    let taken = match check_confirmed(true, form.confirm.as_deref() == Some("yes")) {
        Ok(()) => service::withdraw(&state.db, &page.actor, id, &input).await,
        Err(refused) => Err(refused),
    };
    let (errors, conflict) = match taken.for_edit(&page)? {
        Ok(_) => {
            return Ok(flash::redirect(
                &format!("/reports/summaries/{id}"),
                Flash::Saved,
            ))
        }
        Err(Refused::Invalid(errors)) => (errors, false),
        Err(Refused::Conflict(_)) => (FieldErrors::new(), true),
    };
    let status = if conflict {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let reason = form.reason.unwrap_or_default();
    let template = saved_template(&state, &page, id, reason, errors, conflict).await?;
    Ok(render_status(status, &template))
}
