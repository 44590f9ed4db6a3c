//! The archive's pages: every filed item of the committee's subtree by
//! year and kind, a filed document's or an attachment's entry with its
//! record, its file and the form that takes it out of the archive.

use askama::Template;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::Deserialize;

use crate::domain::archive::ArchiveKind;
use crate::domain::audit::AuditVia;
use crate::domain::paging::PageRequest;
use crate::domain::reports::{parse_markdown, Block, ReportPeriod};
use crate::domain::validation::FieldErrors;
use crate::http::auth::{Access, ApiQuery, PageActor, PageForm, PathId};
use crate::http::files::file_response;
use crate::http::flash::{self, Flash};
use crate::http::forms::{check_confirmed, choices, Choice};
use crate::http::render::{
    pager, render, render_status, Ctx, ForEdit, ForPage, PageError, PageResult, Pager, Refused,
};
use crate::http::{route, AppState, RouteSpec};
use crate::services::archive::{self as service, ArchiveItem, ArchiveQuery, WithdrawReason};

pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::Staff;
    const STAFF: Access = Access::Roles(&[Staff]);
    vec![
        route(Method::GET, "/reports/archive", STAFF, list),
        route(
            Method::GET,
            "/reports/archive/documents/{id}",
            STAFF,
            document,
        ),
        route(
            Method::GET,
            "/reports/archive/documents/{id}/file",
            STAFF,
            document_file,
        ),
        route(
            Method::POST,
            "/reports/archive/documents/{id}/withdraw",
            STAFF,
            withdraw_document,
        ),
        route(
            Method::GET,
            "/reports/archive/attachments/{id}",
            STAFF,
            attachment,
        ),
        route(
            Method::POST,
            "/reports/archive/attachments/{id}/withdraw",
            STAFF,
            withdraw_attachment,
        ),
    ]
}

/// A filed item as the list shows it.
pub struct Row {
    pub href: String,
    pub title: String,
    pub kind: String,
    pub record: String,
    pub record_href: String,
    pub org_name: String,
    pub year: i64,
    pub filed_at: String,
    pub filed_by: String,
    pub withdrawn: Option<String>,
}

#[derive(Template)]
#[template(path = "archive/list.html")]
struct ListTemplate {
    ctx: Ctx,
    org_name: String,
    rows: Vec<Row>,
    total: i64,
    years: Vec<Choice>,
    kinds: Vec<Choice>,
    q: String,
    withdrawn: bool,
    pager: Pager,
    page: u32,
}

/// Who filed an item, in words (the operator at the server when no one
/// signed in did).
fn filer(ctx: &Ctx, item: &ArchiveItem) -> String {
    item.filed_by
        .clone()
        .unwrap_or_else(|| ctx.t("archive.filed_by_cli"))
}

/// An item's record in words: a saved summary's is its committee's period.
fn record_words(ctx: &Ctx, item: &ArchiveItem) -> String {
    let tr =
        |key: &str, params: &[(&str, String)]| crate::app::i18n::t_with(ctx.locale, key, params);
    match item
        .period
        .and_then(|(from, to)| ReportPeriod::new(from, to))
    {
        Some(p) => format!("{}{}", item.record.title, p.label(&tr)),
        None => item.record.title.clone(),
    }
}

/// The archive: every filed item of the committee's subtree, by year and
/// kind, found by words, a page at a time.
pub async fn list(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<ArchiveQuery>,
) -> PageResult {
    let (items, total) = service::list(&state.db, &page.actor, &q)
        .await
        .for_page(&page)?;
    let org = crate::services::cases::committee(
        &state.db,
        &page.actor,
        "org",
        crate::services::non_blank(&q.org),
    )
    .await
    .for_page(&page)?;
    let ctx = Ctx::for_page(&page, "reports");
    let rows = items
        .iter()
        .map(|i| Row {
            href: i.url.clone(),
            title: i.title.clone(),
            kind: ctx.t(i.kind.label_key()),
            record: record_words(&ctx, i),
            record_href: i.record.url.clone(),
            org_name: i.org_name.clone(),
            year: i.year,
            filed_at: crate::app::clock::shown(i.filed_at),
            filed_by: filer(&ctx, i),
            withdrawn: i
                .withdrawn_on
                .map(|d| format!("{d} {}", i.withdrawn_reason.clone().unwrap_or_default())),
        })
        .collect();
    let v = |o: &Option<String>| o.as_deref().unwrap_or("").trim().to_string();
    let this_year = crate::app::clock::this_year();
    let mut years = vec![(String::new(), ctx.t("reports.all_years"))];
    years.extend(
        (this_year - 15..=this_year)
            .rev()
            .map(|y| (y.to_string(), y.to_string())),
    );
    let mut kinds = vec![(String::new(), ctx.t("archive.all_kinds"))];
    kinds.extend(
        ArchiveKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), ctx.t(k.label_key()))),
    );
    let request = PageRequest::parse(q.page.as_deref(), q.per_page.as_deref()).unwrap_or_default();
    let keep = vec![
        ("org", v(&q.org)),
        ("year", v(&q.year)),
        ("kind", v(&q.kind)),
        ("q", v(&q.q)),
        ("withdrawn", v(&q.withdrawn)),
    ];
    let template = ListTemplate {
        org_name: org.name,
        rows,
        total,
        years: choices(years, &v(&q.year)),
        kinds: choices(kinds, &v(&q.kind)),
        q: v(&q.q),
        withdrawn: v(&q.withdrawn) == "true",
        pager: pager("/reports/archive", &keep, &request, total),
        page: request.page,
        ctx,
    };
    Ok(render(&template))
}

#[derive(Template)]
#[template(path = "archive/entry.html")]
struct EntryTemplate {
    ctx: Ctx,
    item: ArchiveItem,
    kind: String,
    size: String,
    filed_at: String,
    filed_by: String,
    /// A filed document's text, as it reads (empty for an attachment).
    title: String,
    blocks: Vec<Block>,
    reason: String,
    errors: FieldErrors,
    conflict: bool,
}

/// A size in words: bytes, KiB or MiB.
fn size_words(bytes: Option<i64>) -> String {
    match bytes {
        None => String::new(),
        Some(b) if b < 1024 => format!("{b} B"),
        Some(b) if b < 1024 * 1024 => format!("{} KiB", (b + 1023) / 1024),
        Some(b) => crate::domain::attachments::mib(u64::try_from(b).unwrap_or_default()),
    }
}

/// The two kinds of entry with a page here (a saved summary has its own).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Entry {
    Document,
    Attachment,
}

/// What a refused withdrawal brings back to the entry's page.
struct Refusal {
    reason: String,
    errors: FieldErrors,
    conflict: bool,
}

async fn entry_template(
    state: &AppState,
    page: &PageActor,
    entry: Entry,
    id: i64,
    refusal: Option<Refusal>,
) -> Result<EntryTemplate, PageError> {
    let (item, text) = if entry == Entry::Attachment {
        let item = service::attachment(&state.db, &page.actor, id)
            .await
            .for_page(page)?;
        (item, None)
    } else {
        let d = service::document(&state.db, &page.actor, id)
            .await
            .for_page(page)?;
        (d.item, Some(d.text))
    };
    let ctx = Ctx::for_page(page, "reports");
    let (title, blocks) = match text.as_deref().map(|t| parse_markdown("text", t)) {
        Some(Ok(s)) => (s.title, s.blocks),
        // A text that does not read back as a document shows as one paragraph.
        Some(Err(_)) => (
            item.title.clone(),
            vec![Block::Paragraph {
                text: text.unwrap_or_default(),
            }],
        ),
        None => (String::new(), Vec::new()),
    };
    let refusal = refusal.unwrap_or(Refusal {
        reason: String::new(),
        errors: FieldErrors::new(),
        conflict: false,
    });
    Ok(EntryTemplate {
        kind: ctx.t(item.kind.label_key()),
        size: size_words(item.size_bytes),
        filed_at: crate::app::clock::shown(item.filed_at),
        filed_by: filer(&ctx, &item),
        title,
        blocks,
        item,
        reason: refusal.reason,
        errors: refusal.errors,
        conflict: refusal.conflict,
        ctx,
    })
}

pub async fn document(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
) -> PageResult {
    let template = entry_template(&state, &page, Entry::Document, id, None).await?;
    Ok(render(&template))
}

pub async fn attachment(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
) -> PageResult {
    let template = entry_template(&state, &page, Entry::Attachment, id, None).await?;
    Ok(render(&template))
}

pub async fn document_file(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
) -> PageResult {
    let file = service::document_file(&state.db, &page.actor, AuditVia::Page, id)
        .await
        .for_page(&page)?;
    Ok(file_response(
        file.bytes,
        file.content_type,
        &file.file_name,
    ))
}

/// The withdrawal form: the reason, and the box that says the person means it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WithdrawForm {
    reason: Option<String>,
    confirm: Option<String>,
}

async fn withdraw(
    state: &AppState,
    page: PageActor,
    entry: Entry,
    id: i64,
    form: WithdrawForm,
) -> PageResult {
    let input = WithdrawReason {
        reason: form.reason.clone(),
    };
    let taken = match check_confirmed(true, form.confirm.as_deref() == Some("yes")) {
        Ok(()) if entry == Entry::Attachment => {
            service::withdraw_attachment(&state.db, &page.actor, id, &input).await
        }
        Ok(()) => service::withdraw_document(&state.db, &page.actor, id, &input).await,
        Err(refused) => Err(refused),
    };
    let (errors, conflict) = match taken.for_edit(&page)? {
        Ok(item) => return Ok(flash::redirect(&item.url, Flash::Saved)),
        Err(Refused::Invalid(errors)) => (errors, false),
        Err(Refused::Conflict(_)) => (FieldErrors::new(), true),
    };
    let status = if conflict {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let refusal = Refusal {
        reason: form.reason.unwrap_or_default(),
        errors,
        conflict,
    };
    let template = entry_template(state, &page, entry, id, Some(refusal)).await?;
    Ok(render_status(status, &template))
}

pub async fn withdraw_document(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<WithdrawForm>,
) -> PageResult {
    withdraw(&state, page, Entry::Document, id, form).await
}

pub async fn withdraw_attachment(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<WithdrawForm>,
) -> PageResult {
    withdraw(&state, page, Entry::Attachment, id, form).await
}
