//! Attachment records. The files themselves live in the attachments folder
//! under their random `stored_name`; see `services::attachments`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{Db, Tx};
use crate::{on_db, on_tx};

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Attachment {
    pub id: i64,
    /// activity | award
    pub owner_type: String,
    pub owner_id: i64,
    /// photo | minutes | document | report | evidence
    pub category: String,
    /// The name it was uploaded under, used for download.
    pub original_name: String,
    /// Judged from the content, e.g. `image/jpeg`.
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    #[serde(skip)]
    pub stored_name: String,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, owner_type, owner_id, category, original_name, content_type, size_bytes, \
    sha256, stored_name, created_by, created_at";

pub struct NewAttachment<'a> {
    pub owner_type: &'a str,
    pub owner_id: i64,
    pub category: &'a str,
    pub original_name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub stored_name: &'a str,
    pub created_by: i64,
}

pub async fn insert(tx: &mut Tx, a: &NewAttachment<'_>) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO attachments (owner_type, owner_id, category, original_name, content_type, size_bytes, \
         sha256, stored_name, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
        .bind(a.owner_type).bind(a.owner_id).bind(a.category).bind(a.original_name).bind(a.content_type)
        .bind(a.size_bytes).bind(a.sha256).bind(a.stored_name).bind(a.created_by).bind(Utc::now())
        .fetch_one(conn).await)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Attachment>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM attachments WHERE id = $1");
    on_db!(db, pool => sqlx::query_as::<_, Attachment>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn for_owner(
    db: &Db,
    owner_type: &str,
    owner_id: i64,
) -> Result<Vec<Attachment>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM attachments WHERE owner_type = $1 AND owner_id = $2 ORDER BY id"
    );
    on_db!(db, pool => sqlx::query_as::<_, Attachment>(&sql).bind(owner_type).bind(owner_id).fetch_all(pool).await)
}
