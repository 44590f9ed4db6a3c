//! The archive (归档) as one place: saved work summaries, the Word documents
//! generated from the records (filed here when generated, once per content),
//! and the files uploaded to records, each with its committee, year, kind,
//! the record it belongs to, who filed it and when. Staff browse their
//! subtree's by year and kind, find them by words, download what they may,
//! and take an item out only with a reason, which the audit log keeps.
//! Excel exports are not filed: they are copies of lists, may carry
//! personal data, and are audited as exports already.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::cases::{bad_request, committee};
use super::{non_blank, Actor};
use crate::domain::archive::{self as rules, ArchiveKind, DocumentRecord};
use crate::domain::audit::AuditVia;
use crate::domain::paging::PageRequest;
use crate::domain::roles::Role;
use crate::domain::validation::{FieldError, FieldErrors};
use crate::services::error::AppError;
use crate::storage::archive::{self as store, ArchiveFilter, ArchiveRow};
use crate::storage::{audit, search, Db};

/// Who a document is filed by: someone signed in, or the operator at the
/// server (`lvzhi report …`).
pub enum Filer<'a> {
    Actor(&'a Actor),
    Cli,
}

/// A Word document just generated, to file.
pub struct Generated<'a> {
    pub kind: ArchiveKind,
    /// The committee it is filed with.
    pub org_id: i64,
    pub record: DocumentRecord,
    /// The record's name as the archive shows it (a member's, a committee's).
    pub record_title: &'a str,
    pub title: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
    /// The text it was written from (Markdown), found by the search.
    pub text: &'a str,
}

/// The year a document's record files it under.
fn year_of(record: &DocumentRecord) -> i64 {
    i64::from(match record {
        DocumentRecord::Member { year, .. } | DocumentRecord::Plan { year, .. } => *year,
        DocumentRecord::Session { session, .. } => *session,
        DocumentRecord::Period { to, .. } => to.year(),
    })
}

/// File a generated document, unless the same bytes are filed already for
/// its kind, record and year (a download of an unchanged document files
/// nothing new). Returns the new entry's id. The filing is audited and
/// the search learns of it in the same transaction.
pub async fn file_document(
    db: &Db,
    filer: Filer<'_>,
    doc: &Generated<'_>,
) -> Result<Option<i64>, AppError> {
    debug_assert!(doc.kind.is_generated());
    let sha256 = hex::encode(Sha256::digest(doc.bytes));
    let year = year_of(&doc.record);
    let (record_type, record_id) = doc.record.key();
    let record_url = doc.record.url();
    let mut tx = db.begin().await?;
    let filed = store::insert_document(
        &mut tx,
        &store::NewDocument {
            kind: doc.kind.as_str(),
            org_id: doc.org_id,
            year,
            record_type,
            record_id,
            record_title: doc.record_title,
            record_url: &record_url,
            title: doc.title,
            file_name: doc.file_name,
            content_type: doc.content_type,
            bytes: doc.bytes,
            sha256: &sha256,
            body: doc.text,
            filed_by: match &filer {
                Filer::Actor(actor) => Some(actor.user_id),
                Filer::Cli => None,
            },
            filed_on: crate::app::clock::today(),
        },
    )
    .await?;
    let Some(id) = filed else {
        // Filed before: nothing changes.
        return Ok(None);
    };
    search::record_change(&mut tx, "archive_document", id).await?;
    let mut detail = serde_json::json!({
        "kind": doc.kind.as_str(), "org_id": doc.org_id, "year": year, "title": doc.title,
        "bytes": doc.bytes.len(), "sha256": sha256,
    });
    if let DocumentRecord::Member { member_id, .. } = doc.record {
        detail["member_id"] = member_id.into();
    }
    let entry = match filer {
        Filer::Actor(actor) => {
            actor.audit("create", "archive_document", id, Some(detail.to_string()))
        }
        Filer::Cli => super::users::cli_audit("create", "archive_document", id, detail.to_string()),
    };
    audit::insert(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// What the archive lists (query string).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ArchiveQuery {
    /// The committee (default: the user's own); its subtree is listed.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub org: Option<String>,
    /// The year filed under; every year when empty.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub year: Option<String>,
    /// summary | summary_file | duty_file | compilation | plan | attachment;
    /// every kind when empty.
    pub kind: Option<String>,
    /// Words in the title, the file's name or the text.
    pub q: Option<String>,
    /// `true`: the items taken out of the archive instead.
    pub withdrawn: Option<String>,
    /// From 1.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub page: Option<String>,
    /// 1–200, default 20.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub per_page: Option<String>,
}

/// The record a filed item belongs to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArchiveRecord {
    /// org | member | activity | award | proposal
    #[serde(rename = "type")]
    pub record_type: String,
    pub id: i64,
    /// Its name (a committee's, a member's, an activity's title…).
    pub title: String,
    /// Its page.
    pub url: String,
}

/// One filed item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArchiveItem {
    pub kind: ArchiveKind,
    /// The id within its kind: a saved summary's, a document's, an attachment's.
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    /// The committee's path, for scope checks; not shown.
    #[serde(skip)]
    pub org_path: String,
    /// The year it is filed under.
    pub year: i64,
    pub title: String,
    /// The file's name (none for a saved summary, whose versions download
    /// as Word or Markdown).
    pub file_name: Option<String>,
    pub size_bytes: Option<i64>,
    pub record: ArchiveRecord,
    /// Its page in the archive.
    pub url: String,
    /// Where its file downloads (an attachment through its own route).
    pub download_url: String,
    /// Who filed it (none: the operator at the server).
    pub filed_by: Option<String>,
    pub filed_at: DateTime<Utc>,
    /// Set when it was taken out of the archive, with who did and why.
    pub withdrawn_on: Option<NaiveDate>,
    pub withdrawn_by: Option<String>,
    pub withdrawn_reason: Option<String>,
    /// A saved summary's days (its record is its committee's period).
    #[serde(skip)]
    pub period: Option<(NaiveDate, NaiveDate)>,
}

impl ArchiveItem {
    fn of(row: ArchiveRow) -> Option<Self> {
        let kind = ArchiveKind::parse("kind", &row.kind).ok()?;
        let record_url = match kind {
            ArchiveKind::Summary => match (row.period_from, row.period_to) {
                (Some(from), Some(to)) => DocumentRecord::Period {
                    org_id: row.org_id,
                    code: None,
                    from,
                    to,
                }
                .url(),
                _ => String::new(),
            },
            ArchiveKind::Attachment => rules::attachment_record_url(
                &row.record_type,
                row.record_id,
                row.record_member,
                row.year,
            ),
            _ => row.record_url.clone().unwrap_or_default(),
        };
        Some(ArchiveItem {
            kind,
            id: row.id,
            org_id: row.org_id,
            org_name: row.org_name,
            org_path: row.org_path,
            year: row.year,
            title: row.title,
            file_name: row.file_name,
            size_bytes: row.size_bytes,
            record: ArchiveRecord {
                record_type: row.record_type,
                id: row.record_id,
                title: row.record_title,
                url: record_url,
            },
            url: rules::entry_url(kind, row.id),
            download_url: rules::download_url(kind, row.id),
            filed_by: row.filed_by_name,
            filed_at: row.filed_at,
            withdrawn_on: row.withdrawn_on,
            withdrawn_by: row.withdrawn_by_name,
            withdrawn_reason: row.withdrawn_reason,
            period: row.period_from.zip(row.period_to),
        })
    }
}

/// The filter a query asks for, checked: the committee in the actor's
/// subtree, a year, a kind, words, filed or taken out, and the page.
async fn filter_of(
    db: &Db,
    actor: &Actor,
    q: &ArchiveQuery,
) -> Result<(ArchiveFilter, PageRequest), AppError> {
    let mut errors = FieldErrors::new();
    let year = non_blank(&q.year).and_then(|y| {
        errors.check(crate::domain::activities::parse_year("year", y).map(i64::from))
    });
    let kind = non_blank(&q.kind).and_then(|k| errors.check(ArchiveKind::parse("kind", k)));
    let withdrawn = match non_blank(&q.withdrawn) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            errors.push(FieldError::new("withdrawn", "true_or_false"));
            false
        }
    };
    let text = match non_blank(&q.q) {
        Some(t) => errors.check(crate::domain::text::required_line("q", t, 100)),
        None => None,
    };
    let page = match PageRequest::parse(q.page.as_deref(), q.per_page.as_deref()) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.0.extend(e.0);
            None
        }
    };
    if !errors.is_empty() {
        return Err(AppError::BadRequest(errors));
    }
    let org = committee(db, actor, "org", non_blank(&q.org))
        .await
        .map_err(bad_request)?;
    let filter = ArchiveFilter {
        scope_path: Some(org.path),
        year,
        kind,
        withdrawn: Some(withdrawn),
        text,
        id: None,
    };
    Ok((filter, page.unwrap_or_default()))
}

/// One page of the archive of the actor's committee (or one in their
/// subtree), and how many items the filter keeps.
pub async fn list(
    db: &Db,
    actor: &Actor,
    q: &ArchiveQuery,
) -> Result<(Vec<ArchiveItem>, i64), AppError> {
    actor.require(&[Role::Staff])?;
    let (filter, page) = filter_of(db, actor, q).await?;
    let total = store::count(db, &filter).await?;
    let rows = store::list(db, &filter, page.offset(), page.limit()).await?;
    Ok((
        rows.into_iter().filter_map(ArchiveItem::of).collect(),
        total,
    ))
}

/// An item the actor may see (staff within their subtree); anything else is
/// "not found".
async fn item(db: &Db, actor: &Actor, kind: ArchiveKind, id: i64) -> Result<ArchiveItem, AppError> {
    actor.require(&[Role::Staff])?;
    match store::entry(db, kind, id).await?.and_then(ArchiveItem::of) {
        Some(i) if actor.sees(&i.org_path) => Ok(i),
        _ => Err(AppError::NotFound),
    }
}

/// A filed document and the text it was written from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentDetail {
    pub item: ArchiveItem,
    /// The text (Markdown: `#` title, `##`/`###` headings, pipe tables).
    pub text: String,
    /// SHA-256 of the file, hex.
    pub sha256: String,
}

/// A filed document with its text.
pub async fn document(db: &Db, actor: &Actor, id: i64) -> Result<DocumentDetail, AppError> {
    let (item, text) = document_item(db, actor, id).await?;
    Ok(DocumentDetail {
        item,
        text: text.body,
        sha256: text.sha256,
    })
}

async fn document_item(
    db: &Db,
    actor: &Actor,
    id: i64,
) -> Result<(ArchiveItem, store::DocumentText), AppError> {
    let text = store::document_text(db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let kind = ArchiveKind::parse("kind", &text.kind)
        .ok()
        .filter(|k| k.is_generated())
        .ok_or_else(|| AppError::internal("a filed document of an unknown kind"))?;
    let item = item(db, actor, kind, id).await?;
    Ok((item, text))
}

/// A filed document's file, as it was filed.
pub struct FiledFile {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub file_name: String,
}

/// The type a filed file is served as: a Word document's (all filed
/// documents are), or plain bytes.
fn served_type(stored: &str) -> &'static str {
    let word = crate::domain::attachments::FileType::Docx.content_type();
    if stored == word {
        word
    } else {
        "application/octet-stream"
    }
}

/// A filed document's file, audited as an export (taken-out ones too: they
/// stay readable).
pub async fn document_file(
    db: &Db,
    actor: &Actor,
    via: AuditVia,
    id: i64,
) -> Result<FiledFile, AppError> {
    let (item, text) = document_item(db, actor, id).await?;
    let bytes = store::document_content(db, id)
        .await?
        .ok_or_else(|| AppError::internal("a filed document without its bytes"))?;
    let detail = format!(
        "kind={}; format=docx; via={}; bytes={}",
        item.kind.as_str(),
        via.as_str(),
        bytes.len()
    );
    audit::insert_alone(
        db,
        &actor.audit("export", "archive_document", id, Some(detail)),
    )
    .await?;
    Ok(FiledFile {
        bytes,
        content_type: served_type(&text.content_type),
        file_name: text.file_name,
    })
}

/// An attachment as the archive files it.
pub async fn attachment(db: &Db, actor: &Actor, id: i64) -> Result<ArchiveItem, AppError> {
    item(db, actor, ArchiveKind::Attachment, id).await
}

/// Taking an item out of the archive: why.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct WithdrawReason {
    /// Required, at most 500 characters; kept and audited.
    pub reason: Option<String>,
}

/// Take a filed document out of the archive, with the reason (required,
/// audited). It stays in the database, readable, listed among those taken out.
pub async fn withdraw_document(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &WithdrawReason,
) -> Result<ArchiveItem, AppError> {
    let (item, _) = document_item(db, actor, id).await?;
    let reason = rules::reason(input.reason.as_deref().unwrap_or(""))?;
    if item.withdrawn_on.is_some() {
        return Err(AppError::Conflict("archive_withdrawn"));
    }
    let mut tx = db.begin().await?;
    if !store::withdraw_document(
        &mut tx,
        id,
        crate::app::clock::today(),
        actor.user_id,
        &reason,
    )
    .await?
    {
        return Err(AppError::Conflict("archive_withdrawn"));
    }
    search::record_change(&mut tx, "archive_document", id).await?;
    let detail = serde_json::json!({
        "reason": reason, "kind": item.kind.as_str(), "title": item.title,
    });
    audit::insert(
        &mut tx,
        &actor.audit("withdraw", "archive_document", id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    document_item(db, actor, id).await.map(|(i, _)| i)
}

/// Take an attachment out of the archive, with the reason (required,
/// audited). It stays on its record, downloadable as before.
pub async fn withdraw_attachment(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &WithdrawReason,
) -> Result<ArchiveItem, AppError> {
    let item = attachment(db, actor, id).await?;
    let reason = rules::reason(input.reason.as_deref().unwrap_or(""))?;
    if item.withdrawn_on.is_some() {
        return Err(AppError::Conflict("archive_withdrawn"));
    }
    let mut tx = db.begin().await?;
    if !store::withdraw_attachment(
        &mut tx,
        id,
        crate::app::clock::today(),
        actor.user_id,
        &reason,
    )
    .await?
    {
        return Err(AppError::Conflict("archive_withdrawn"));
    }
    search::record_change(&mut tx, "attachment", id).await?;
    let detail = serde_json::json!({ "reason": reason, "name": item.title });
    audit::insert(
        &mut tx,
        &actor.audit("withdraw", "attachment", id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    attachment(db, actor, id).await
}
