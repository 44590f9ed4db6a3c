//! The import page under members: download a template, upload the filled
//! file, read the preview row by row, confirm. The upload is kept on the
//! server (sealed) under a random token until it is confirmed; the
//! confirmation makes the preview again and imports only if it is the one
//! that was shown.

use askama::Template;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::audit::AuditVia;
use crate::http::auth::{Access, ApiQuery, PageActor, PageForm};
use crate::http::files::{file_response, read_upload, upload_route};
use crate::http::forms::{choices, Choice};
use crate::http::render::{error_page, render_status, Ctx};
use crate::http::{route, AppState, RouteSpec};
use crate::services::error::AppError;
use crate::services::imports::{
    self as service, ImportFile, ImportKind, ImportReport, Importer, Mode, TemplateFormat,
};

pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::Staff;
    const STAFF: Access = Access::Roles(&[Staff]);
    vec![
        route(Method::GET, "/members/import", STAFF, form),
        upload_route(route(Method::POST, "/members/import", STAFF, upload)),
        route(Method::POST, "/members/import/confirm", STAFF, confirm),
        route(Method::GET, "/members/import/progress", STAFF, progress),
        route(Method::GET, "/members/import/template", STAFF, template),
    ]
}

/// Rows the preview lists at most (problems are all listed).
const ROWS_SHOWN: usize = 500;

/// A row of the preview as shown.
struct RowView {
    row: u32,
    action: String,
    tone: &'static str,
    name: String,
    id_number: String,
    changes: Vec<String>,
}

/// A problem as shown.
struct ProblemView {
    row: String,
    column: String,
    message: String,
}

#[derive(Template)]
#[template(path = "imports/import.html")]
struct ImportTemplate {
    ctx: Ctx,
    kinds: Vec<Choice>,
    committees: Vec<Choice>,
    templates: Vec<(String, String)>,
    /// Words above the preview: the outcome, or why it was shown again.
    notice: String,
    /// The preview, when a file was read.
    preview: Option<PreviewView>,
    /// Problems with the file as a whole (nothing to preview).
    file_problems: Vec<String>,
    /// An import running in the background.
    progress: Option<ProgressView>,
}

/// How far a background import has got, and where the page asks again.
struct ProgressView {
    text: String,
    done: usize,
    total: usize,
    refresh: u32,
    href: String,
}

struct PreviewView {
    title: String,
    summary: String,
    problems_line: String,
    problems: Vec<ProblemView>,
    rows: Vec<RowView>,
    rows_note: String,
    /// Set when it may be confirmed.
    token: String,
    fingerprint: String,
    kind: String,
}

async fn page_template(
    state: &AppState,
    page: &PageActor,
    kind: ImportKind,
    org: i64,
) -> Result<ImportTemplate, AppError> {
    let ctx = Ctx::for_page(page, "members");
    let committees = service::committees(&state.db, &page.actor).await?;
    let kinds = choices(
        ImportKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), ctx.t(k.label_key()))),
        kind.as_str(),
    );
    let committees = choices(
        committees.into_iter().map(|o| (o.id.to_string(), o.name)),
        &org.to_string(),
    );
    let mut templates = Vec::new();
    for k in ImportKind::ALL {
        for (format, key) in [
            ("xlsx", "import.template_xlsx"),
            ("csv", "import.template_csv"),
        ] {
            templates.push((
                format!(
                    "/members/import/template?kind={}&format={format}",
                    k.as_str()
                ),
                format!("{} · {}", ctx.t(k.label_key()), ctx.t(key)),
            ));
        }
    }
    Ok(ImportTemplate {
        ctx,
        kinds,
        committees,
        templates,
        notice: String::new(),
        preview: None,
        file_problems: Vec::new(),
        progress: None,
    })
}

/// The words of a row's action.
fn action_key(action: &str) -> &'static str {
    match action {
        "create" => "import.action.create",
        "update" => "import.action.update",
        "unchanged" => "import.action.unchanged",
        "example" => "import.action.example",
        _ => "import.action.invalid",
    }
}

fn preview_view(ctx: &Ctx, file_name: &str, report: &ImportReport, token: &str) -> PreviewView {
    let n = |v: usize| v.to_string();
    let summary = crate::app::i18n::t_with(
        ctx.locale,
        "import.summary",
        &[
            ("rows", n(report.rows_read)),
            ("created", n(report.created)),
            ("updated", n(report.updated)),
            ("unchanged", n(report.unchanged)),
            ("skipped", n(report.skipped)),
            ("invalid", n(report.invalid)),
        ],
    );
    let problems_line = if report.problems.is_empty() {
        ctx.t("import.ready")
    } else {
        crate::app::i18n::t_with(
            ctx.locale,
            "import.problems",
            &[("count", n(report.problems.len()))],
        )
    };
    let rows = report
        .rows
        .iter()
        .take(ROWS_SHOWN)
        .map(|r| RowView {
            row: r.row,
            tone: match r.action.as_str() {
                "create" => "tone-done",
                "update" => "tone-work",
                "invalid" => "tone-stop",
                _ => "tone-wait",
            },
            action: ctx.t(action_key(&r.action)),
            name: r.name.clone(),
            id_number: r.id_number.clone(),
            changes: r
                .changes
                .iter()
                .map(|c| {
                    crate::app::i18n::t_with(
                        ctx.locale,
                        "import.change",
                        &[
                            ("column", c.column.clone()),
                            ("before", c.before.clone()),
                            ("after", c.after.clone()),
                        ],
                    )
                })
                .collect(),
        })
        .collect();
    let rows_note = if report.rows.len() > ROWS_SHOWN {
        crate::app::i18n::t_with(
            ctx.locale,
            "import.rows_shown",
            &[("shown", n(ROWS_SHOWN)), ("total", n(report.rows.len()))],
        )
    } else {
        String::new()
    };
    PreviewView {
        title: crate::app::i18n::t_with(
            ctx.locale,
            "import.preview",
            &[("file", file_name.into())],
        ),
        summary,
        problems_line,
        problems: report
            .problems
            .iter()
            .map(|p| ProblemView {
                row: p.row.map(|r| r.to_string()).unwrap_or_default(),
                column: match (&p.column, &p.header) {
                    (Some(c), Some(h)) => format!("{c}（{h}）"),
                    (Some(c), None) => c.clone(),
                    _ => String::new(),
                },
                message: p.message.clone(),
            })
            .collect(),
        rows,
        rows_note,
        token: if report.problems.is_empty() {
            token.to_string()
        } else {
            String::new()
        },
        fingerprint: report.preview.clone(),
        kind: report.kind.clone(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FormQuery {
    kind: Option<String>,
    format: Option<String>,
}

pub async fn form(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<FormQuery>,
) -> Response {
    let kind = ImportKind::parse(q.kind.as_deref().unwrap_or("")).unwrap_or(ImportKind::Members);
    match page_template(&state, &page, kind, page.actor.org_id).await {
        Ok(t) => render_status(StatusCode::OK, &t),
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

pub async fn template(page: PageActor, ApiQuery(q): ApiQuery<FormQuery>) -> Response {
    let result = (|| {
        let kind = ImportKind::parse(q.kind.as_deref().unwrap_or(""))?;
        let format = TemplateFormat::parse(q.format.as_deref().unwrap_or(""))?;
        let (bytes, name) = service::template(&page.actor, kind, format)?;
        Ok::<_, AppError>(file_response(bytes, format.content_type(), &name))
    })();
    match result {
        Ok(r) => r,
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

/// Show the preview of `bytes` (kept under `token`), with the status it deserves.
async fn show_preview(
    state: &AppState,
    page: &PageActor,
    pending: &service::Pending,
    mode: &Mode,
    notice: String,
) -> Response {
    let who = Importer {
        actor: &page.actor,
        via: AuditVia::Page,
    };
    let file = ImportFile {
        name: &pending.file_name,
        bytes: &pending.bytes,
    };
    let result = service::run(
        &state.db,
        &state.cipher,
        &who,
        pending.kind,
        Some(pending.org_id),
        file,
        mode,
        &service::no_progress,
    )
    .await;
    let mut t = match page_template(state, page, pending.kind, pending.org_id).await {
        Ok(t) => t,
        Err(e) => return error_page(page.actor.locale, Some(page), e),
    };
    t.notice = notice;
    match result {
        Ok(report) => {
            let status = if report.problems.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            t.preview = Some(preview_view(
                &t.ctx,
                &pending.file_name,
                &report,
                &pending.token,
            ));
            render_status(status, &t)
        }
        Err(AppError::Validation(errors)) => {
            t.file_problems = errors
                .0
                .iter()
                .map(|e| crate::app::i18n::field_message(page.actor.locale, e))
                .collect();
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &t)
        }
        Err(e) => error_page(page.actor.locale, Some(page), e),
    }
}

/// The file uploaded (multipart, with the form token): kept, then previewed.
pub async fn upload(
    State(state): State<AppState>,
    page: PageActor,
    request: axum::extract::Request,
) -> Response {
    let locale = page.actor.locale;
    let (upload, csrf) = match read_upload(request, service::MAX_BYTES).await {
        Ok(read) => read,
        Err(e) => return error_page(locale, Some(&page), e),
    };
    if csrf.is_empty() || !crate::security::constant_time_eq(&csrf, &page.csrf) {
        return error_page(locale, Some(&page), AppError::Forbidden);
    }
    let field = |name: &str| {
        upload
            .fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let kind = ImportKind::parse(&field("kind")).unwrap_or(ImportKind::Members);
    let org = field("org")
        .trim()
        .parse::<i64>()
        .unwrap_or(page.actor.org_id);
    let refused = |e: AppError| async {
        match page_template(&state, &page, kind, org).await {
            Ok(mut t) => {
                if let AppError::Validation(errors) = &e {
                    t.file_problems = errors
                        .0
                        .iter()
                        .map(|e| crate::app::i18n::field_message(locale, e))
                        .collect();
                    render_status(StatusCode::UNPROCESSABLE_ENTITY, &t)
                } else {
                    error_page(locale, Some(&page), e)
                }
            }
            Err(e) => error_page(locale, Some(&page), e),
        }
    };
    if upload.missing || upload.bytes.is_empty() && !upload.too_large {
        let e = if upload.missing {
            crate::domain::validation::FieldError::new("file", "required")
        } else {
            crate::domain::validation::FieldError::new("file", "file_empty")
        };
        return refused(e.into()).await;
    }
    if upload.too_large {
        return refused(service::too_large()).await;
    }
    let token = match service::keep(
        &state.db,
        &state.cipher,
        &page.actor,
        kind,
        org,
        &upload.name,
        &upload.bytes,
    )
    .await
    {
        Ok(token) => token,
        Err(e) => return error_page(locale, Some(&page), e),
    };
    let pending = service::Pending {
        token,
        kind,
        org_id: org,
        file_name: upload.name.clone(),
        bytes: upload.bytes,
    };
    let mode = Mode {
        dry_run: true,
        expect: None,
    };
    show_preview(&state, &page, &pending, &mode, String::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    token: String,
    preview: String,
}

/// How long the confirming request waits for its import before it shows the
/// progress page instead: a small file's outcome comes back at once.
const WAIT_FOR_IMPORT: std::time::Duration = std::time::Duration::from_millis(1500);

/// How often the progress page asks again, in seconds.
const PROGRESS_REFRESH_SECONDS: u32 = 2;

/// Import what the preview showed, if it is still what the file would do:
/// in the background, so that a long import goes on whatever the browser
/// does; its outcome is shown at once when it comes within a moment, else the
/// progress page follows it.
pub async fn confirm(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<ConfirmForm>,
) -> Response {
    let locale = page.actor.locale;
    let pending = match service::kept(&state.db, &state.cipher, &page.actor, &form.token).await {
        Ok(p) => p,
        Err(e) => return error_page(locale, Some(&page), e),
    };
    let token = pending.token.clone();
    let (db, cipher, actor) = (
        state.db.clone(),
        std::sync::Arc::clone(&state.cipher),
        page.actor.clone(),
    );
    let expect = form.preview.clone();
    let job = state
        .imports
        .start(&token, page.actor.user_id, move |job| async move {
            let who = Importer {
                actor: &actor,
                via: AuditVia::Page,
            };
            let mode = Mode {
                dry_run: false,
                expect: Some(expect),
            };
            let file = ImportFile {
                name: &pending.file_name,
                bytes: &pending.bytes,
            };
            let progress = move |stage, done, total| job.report(stage, done, total);
            let report = service::run(
                &db,
                &cipher,
                &who,
                pending.kind,
                Some(pending.org_id),
                file,
                &mode,
                &progress,
            )
            .await?;
            service::forget(&db, &pending.token).await?;
            Ok(report)
        });
    if job.wait(WAIT_FOR_IMPORT).await {
        if let Some(outcome) = state.imports.take_outcome(&token, page.actor.user_id) {
            return outcome_page(&state, &page, &token, outcome).await;
        }
    }
    Redirect::to(&progress_href(&token)).into_response()
}

/// The progress page of an upload's import (tokens are URL-safe base64).
fn progress_href(token: &str) -> String {
    format!("/members/import/progress?token={token}")
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProgressQuery {
    token: String,
}

/// How far the background import of an upload has got (asking again every
/// two seconds, without script), then its outcome.
pub async fn progress(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<ProgressQuery>,
) -> Response {
    let locale = page.actor.locale;
    let Some(job) = state.imports.get(&q.token, page.actor.user_id) else {
        return error_page(locale, Some(&page), AppError::NotFound);
    };
    if job.has_ended() {
        if let Some(outcome) = state.imports.take_outcome(&q.token, page.actor.user_id) {
            return outcome_page(&state, &page, &q.token, outcome).await;
        }
    }
    let mut t = match page_template(&state, &page, ImportKind::Members, page.actor.org_id).await {
        Ok(t) => t,
        Err(e) => return error_page(locale, Some(&page), e),
    };
    let p = job.progress();
    let key = match p.stage {
        service::Stage::Check => "import.progress.check",
        service::Stage::Write => "import.progress.write",
    };
    t.progress = Some(ProgressView {
        text: crate::app::i18n::t_with(
            locale,
            key,
            &[("done", p.done.to_string()), ("total", p.total.to_string())],
        ),
        done: p.done,
        total: p.total.max(1),
        refresh: PROGRESS_REFRESH_SECONDS,
        href: progress_href(&q.token),
    });
    render_status(StatusCode::OK, &t)
}

/// The page an ended import leads to: what was imported; or, when the
/// records changed since the preview or a row no longer passes, the
/// preview made again.
async fn outcome_page(
    state: &AppState,
    page: &PageActor,
    token: &str,
    outcome: Result<ImportReport, AppError>,
) -> Response {
    let locale = page.actor.locale;
    let again = |notice: String| async move {
        let pending = match service::kept(&state.db, &state.cipher, &page.actor, token).await {
            Ok(p) => p,
            Err(e) => return error_page(locale, Some(page), e),
        };
        let preview = Mode {
            dry_run: true,
            expect: None,
        };
        show_preview(state, page, &pending, &preview, notice).await
    };
    match outcome {
        Ok(report) => {
            let mut t = match page_template(state, page, report_kind(&report), report.org_id).await
            {
                Ok(t) => t,
                Err(e) => return error_page(locale, Some(page), e),
            };
            t.notice = crate::app::i18n::t_with(
                locale,
                "import.done",
                &[
                    ("org", report.org_name.clone()),
                    ("created", report.created.to_string()),
                    ("updated", report.updated.to_string()),
                    ("unchanged", report.unchanged.to_string()),
                ],
            );
            render_status(StatusCode::OK, &t)
        }
        Err(AppError::Conflict(_)) => {
            // Shown again as it is now, to be confirmed once more.
            let mut response = again(crate::app::i18n::t(locale, "import.stale")).await;
            if response.status() == StatusCode::OK {
                *response.status_mut() = StatusCode::CONFLICT;
            }
            response
        }
        Err(AppError::Validation(_)) => again(String::new()).await,
        Err(e) => error_page(locale, Some(page), e),
    }
}

fn report_kind(report: &ImportReport) -> ImportKind {
    ImportKind::parse(&report.kind).unwrap_or(ImportKind::Members)
}
