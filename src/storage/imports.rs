//! Files uploaded for an import, kept (sealed) between the preview and the
//! confirmation.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::Db;
use crate::on_db;

#[derive(Debug, Clone, FromRow)]
pub struct PendingUpload {
    pub token: String,
    pub user_id: i64,
    pub kind: String,
    pub org_id: i64,
    pub file_name: String,
    /// Sealed bytes, base64.
    pub content: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(db: &Db, u: &PendingUpload) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query(
        "INSERT INTO import_uploads (token, user_id, kind, org_id, file_name, content, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&u.token).bind(u.user_id).bind(&u.kind).bind(u.org_id).bind(&u.file_name)
        .bind(&u.content).bind(u.created_at)
        .execute(pool).await.map(|_| ()))
}

/// The upload `token` of `user_id`, if it is still kept.
pub async fn get(db: &Db, token: &str, user_id: i64) -> Result<Option<PendingUpload>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, PendingUpload>(
        "SELECT token, user_id, kind, org_id, file_name, content, created_at FROM import_uploads \
         WHERE token = $1 AND user_id = $2")
        .bind(token).bind(user_id).fetch_optional(pool).await)
}

pub async fn delete(db: &Db, token: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query("DELETE FROM import_uploads WHERE token = $1")
        .bind(token).execute(pool).await.map(|_| ()))
}

/// Forget uploads older than `before` (never confirmed).
pub async fn delete_older(db: &Db, before: DateTime<Utc>) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query("DELETE FROM import_uploads WHERE created_at < $1")
        .bind(before).execute(pool).await.map(|_| ()))
}
