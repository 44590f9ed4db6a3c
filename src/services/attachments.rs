//! Attachments of activities and awards: checked from their content, kept in
//! the attachments folder under random names, and given back only to those
//! who may see the record they belong to.

use std::path::{Path, PathBuf};

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{activities, awards, proposals, Actor};
use crate::domain::attachments::{self as rules, AttachmentCategory};
use crate::domain::roles::Role;
use crate::domain::validation::{FieldError, FieldErrors};
use crate::services::error::AppError;
use crate::storage::attachments::{self as store, Attachment, NewAttachment};
use crate::storage::{audit, Db};

/// The largest configurable limit: the upload routes' body limit stays above it.
pub const MAX_LIMIT_BYTES: u64 = 60 * 1024 * 1024;

/// What an upload brings, as read from the request.
#[derive(Debug, Default)]
pub struct Upload {
    /// The file name the client sent.
    pub name: String,
    pub bytes: Vec<u8>,
    pub category: String,
    /// Set when the body held more than the limit allows.
    pub too_large: bool,
    /// No file part at all.
    pub missing: bool,
    /// The form's other short text parts (an import's kind and committee).
    pub fields: Vec<(String, String)>,
}

/// Where attachments live, and how large they may be.
#[derive(Debug, Clone)]
pub struct Store {
    pub dir: PathBuf,
    pub max_bytes: u64,
}

impl Store {
    pub fn from_settings(settings: &crate::app::config::Settings) -> Self {
        Store {
            dir: settings.attachments_dir.clone(),
            max_bytes: settings.attachment_max_bytes.clamp(1, MAX_LIMIT_BYTES),
        }
    }

    fn path_of(&self, stored_name: &str) -> PathBuf {
        self.dir.join(stored_name)
    }
}

/// The record an attachment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Activity(i64),
    Award(i64),
    /// A proposal: its supporting files, and the department's answer letter.
    Proposal(i64),
}

impl Owner {
    fn parts(&self) -> (&'static str, i64) {
        match self {
            Owner::Activity(id) => ("activity", *id),
            Owner::Award(id) => ("award", *id),
            Owner::Proposal(id) => ("proposal", *id),
        }
    }

    fn of(a: &Attachment) -> Option<Owner> {
        match a.owner_type.as_str() {
            "activity" => Some(Owner::Activity(a.owner_id)),
            "award" => Some(Owner::Award(a.owner_id)),
            "proposal" => Some(Owner::Proposal(a.owner_id)),
            _ => None,
        }
    }
}

/// The owner, if the actor may see it (else "not found").
async fn check_visible(db: &Db, actor: &Actor, owner: Owner) -> Result<(), AppError> {
    match owner {
        Owner::Activity(id) => activities::get(db, actor, id).await.map(|_| ()),
        Owner::Award(id) => awards::get(db, actor, id).await.map(|_| ()),
        Owner::Proposal(id) => proposals::get(db, actor, id).await.map(|_| ()),
    }
}

/// Staff attach to what they see; a member only to their own log while it waits.
async fn check_may_attach(db: &Db, actor: &Actor, owner: Owner) -> Result<(), AppError> {
    match (actor.role, owner) {
        (Role::Staff, _) => check_visible(db, actor, owner).await,
        (Role::Member, Owner::Activity(id)) => {
            let a = activities::get(db, actor, id).await?;
            if a.logged_by.is_some()
                && a.logged_by == actor.member_id
                && a.approval == crate::domain::activities::Approval::Pending
            {
                Ok(())
            } else {
                Err(AppError::Conflict("attachment_not_allowed"))
            }
        }
        (Role::Member, Owner::Award(id)) => {
            awards::get(db, actor, id).await?;
            Err(AppError::Conflict("attachment_not_allowed"))
        }
        (Role::Member | Role::Department, Owner::Proposal(id)) => {
            if proposals::may_attach(db, actor, id).await? {
                Ok(())
            } else {
                Err(AppError::Conflict("attachment_not_allowed"))
            }
        }
        _ => Err(AppError::Forbidden),
    }
}

pub async fn list(db: &Db, actor: &Actor, owner: Owner) -> Result<Vec<Attachment>, AppError> {
    check_visible(db, actor, owner).await?;
    let (kind, id) = owner.parts();
    Ok(store::for_owner(db, kind, id).await?)
}

fn random_name() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

async fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .await?;
    file.write_all(bytes).await?;
    file.sync_all().await
}

/// Check and keep an upload. A refused file leaves nothing behind.
pub async fn attach(
    db: &Db,
    files: &Store,
    actor: &Actor,
    owner: Owner,
    upload: &Upload,
) -> Result<Attachment, AppError> {
    check_may_attach(db, actor, owner).await?;
    let mut errors = FieldErrors::new();
    let category = if upload.category.trim().is_empty() {
        Some(match owner {
            Owner::Activity(_) | Owner::Proposal(_) => AttachmentCategory::Document,
            Owner::Award(_) => AttachmentCategory::Evidence,
        })
    } else {
        errors.check(AttachmentCategory::parse("category", &upload.category))
    };
    let name = if upload.missing {
        errors.push(FieldError::new("file", "required"));
        None
    } else {
        errors.check(rules::clean_name(&upload.name))
    };
    let accepted = if upload.missing {
        None
    } else if upload.too_large {
        errors.push(
            FieldError::new("file", "file_too_large").with("max", rules::mib(files.max_bytes)),
        );
        None
    } else {
        errors.check(rules::check(
            name.as_deref().unwrap_or(""),
            &upload.bytes,
            files.max_bytes,
        ))
    };
    errors.into_result()?;
    let (Some(category), Some(name), Some(accepted)) = (category, name, accepted) else {
        return Err(AppError::internal("validated fields missing"));
    };
    let kind = accepted.kind;
    // A photo is kept without its metadata (EXIF with GPS, XMP, comments).
    let bytes = accepted.cleaned.as_deref().unwrap_or(&upload.bytes);
    let sha256 = hex::encode(Sha256::digest(bytes));
    let stored_name = random_name();
    tokio::fs::create_dir_all(&files.dir)
        .await
        .map_err(|e| AppError::internal_while("attachments folder", e))?;
    let path = files.path_of(&stored_name);
    write_new(&path, bytes)
        .await
        .map_err(|e| AppError::internal_while("writing attachment", e))?;
    let (owner_type, owner_id) = owner.parts();
    let saved = async {
        let mut tx = db.begin().await?;
        let id = store::insert(
            &mut tx,
            &NewAttachment {
                owner_type,
                owner_id,
                category: category.as_str(),
                original_name: &name,
                content_type: kind.content_type(),
                size_bytes: bytes.len() as i64,
                sha256: &sha256,
                stored_name: &stored_name,
                created_by: actor.user_id,
            },
        )
        .await?;
        let detail = serde_json::json!({
            "owner_type": owner_type, "owner_id": owner_id, "name": name,
            "content_type": kind.content_type(), "size": bytes.len(), "sha256": sha256,
        });
        audit::insert(
            &mut tx,
            &actor.audit("upload", "attachment", id, Some(detail.to_string())),
        )
        .await?;
        // The archive lists it, and the search finds it by its name.
        crate::storage::search::record_change(&mut tx, "attachment", id).await?;
        tx.commit().await?;
        Ok::<i64, sqlx::Error>(id)
    }
    .await;
    match saved {
        Ok(id) => store::get(db, id).await?.ok_or(AppError::NotFound),
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            Err(e.into())
        }
    }
}

/// An attachment and its content, for someone who may see its record.
pub async fn open(
    db: &Db,
    files: &Store,
    actor: &Actor,
    id: i64,
) -> Result<(Attachment, Vec<u8>), AppError> {
    let attachment = store::get(db, id).await?.ok_or(AppError::NotFound)?;
    let owner = Owner::of(&attachment).ok_or(AppError::NotFound)?;
    check_visible(db, actor, owner).await?;
    // Stored names are ours (hex); anything else is not served.
    if !attachment
        .stored_name
        .bytes()
        .all(|b| b.is_ascii_hexdigit())
    {
        return Err(AppError::NotFound);
    }
    let bytes = tokio::fs::read(files.path_of(&attachment.stored_name))
        .await
        .map_err(|e| {
            // A file removed from the folder behind the database's back: the
            // record stays, the download is gone; say so, and log it.
            if e.kind() == std::io::ErrorKind::NotFound {
                tracing::error!(
                    attachment = id,
                    "attachment file is missing from the attachments folder"
                );
                AppError::Conflict("attachment_file_missing")
            } else {
                AppError::internal_while(format!("reading attachment {id}"), e)
            }
        })?;
    Ok((attachment, bytes))
}
