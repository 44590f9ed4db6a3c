//! User accounts and API tokens.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{Db, Tx};
use crate::{on_db, on_tx};

#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    /// admin | security | auditor | staff | member | department; none until granted.
    pub role: Option<String>,
    /// The organisation whose subtree the account works in.
    pub org_id: i64,
    pub member_id: Option<i64>,
    pub department_id: Option<i64>,
    /// zh-CN | en
    pub locale: String,
    #[serde(skip)]
    pub totp_secret_enc: Option<String>,
    #[serde(skip)]
    pub totp_last_step: Option<i64>,
    pub must_change_password: bool,
    pub disabled: bool,
    pub password_changed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

const COLUMNS: &str =
    "id, username, display_name, password_hash, role, org_id, member_id, department_id, \
    locale, totp_secret_enc, totp_last_step, must_change_password, disabled, password_changed_at, created_at, updated_at, version";

/// An account as a request needs it, read in one query with its
/// organisation's path: who is asking, where, and what they must do first.
#[derive(Debug, Clone, FromRow)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Option<String>,
    pub org_id: i64,
    pub org_path: String,
    pub member_id: Option<i64>,
    pub department_id: Option<i64>,
    pub locale: String,
    pub must_change_password: bool,
    pub disabled: bool,
    pub password_changed_at: DateTime<Utc>,
    pub has_totp: bool,
}

/// The columns of [`Principal`] over `users u JOIN orgs o`.
pub const PRINCIPAL_COLUMNS: &str =
    "u.id AS user_id, u.username, u.display_name, u.role, u.org_id, o.path AS org_path, \
     u.member_id, u.department_id, u.locale, u.must_change_password, u.disabled, \
     u.password_changed_at, (u.totp_secret_enc IS NOT NULL) AS has_totp";

pub async fn principal(db: &Db, user_id: i64) -> Result<Option<Principal>, sqlx::Error> {
    let sql = format!(
        "SELECT {PRINCIPAL_COLUMNS} FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = $1"
    );
    on_db!(db, pool => sqlx::query_as::<_, Principal>(&sql).bind(user_id).fetch_optional(pool).await)
}

/// The account behind a live API token.
pub async fn principal_by_token(
    db: &Db,
    token_hash: &str,
) -> Result<Option<Principal>, sqlx::Error> {
    let sql = format!(
        "SELECT {PRINCIPAL_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
         JOIN orgs o ON o.id = u.org_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
    );
    on_db!(db, pool => sqlx::query_as::<_, Principal>(&sql).bind(token_hash).fetch_optional(pool).await)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<User>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    on_db!(db, pool => sqlx::query_as::<_, User>(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn find_by_username(db: &Db, username: &str) -> Result<Option<User>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username = $1");
    on_db!(db, pool => sqlx::query_as::<_, User>(&sql).bind(username).fetch_optional(pool).await)
}

pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await)
}

/// Accounts whose organisation lies within `scope_path`, newest first.
pub async fn list(
    db: &Db,
    scope_path: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<User>, i64), sqlx::Error> {
    let total: i64 = on_db!(db, pool => sqlx::query_scalar(
        &format!("SELECT COUNT(*) FROM users u WHERE u.org_id IN {scope}", scope = super::scope_ids(db, "$1")))
        .bind(scope_path).fetch_one(pool).await)?;
    let sql = format!(
        "SELECT {} FROM users u \
         WHERE u.org_id IN {scope} \
         ORDER BY u.username LIMIT $2 OFFSET $3",
        COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", "),
        scope = super::scope_ids(db, "$1"),
    );
    let rows = on_db!(db, pool => sqlx::query_as::<_, User>(&sql)
        .bind(scope_path).bind(limit).bind(offset).fetch_all(pool).await)?;
    Ok((rows, total))
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: Option<&'a str>,
    pub org_id: i64,
    pub member_id: Option<i64>,
    pub department_id: Option<i64>,
    pub locale: &'a str,
    pub must_change_password: bool,
}

pub async fn insert(tx: &mut Tx, new: &NewUser<'_>) -> Result<i64, sqlx::Error> {
    let now = Utc::now();
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash, role, org_id, member_id, department_id, \
         locale, must_change_password, disabled, password_changed_at, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11, 1) RETURNING id")
        .bind(new.username).bind(new.display_name).bind(new.password_hash).bind(new.role)
        .bind(new.org_id).bind(new.member_id).bind(new.department_id).bind(new.locale)
        .bind(new.must_change_password).bind(false).bind(now)
        .fetch_one(conn).await)
}

pub async fn set_password(tx: &mut Tx, id: i64, password_hash: &str) -> Result<(), sqlx::Error> {
    let now = Utc::now();
    on_tx!(tx, conn => sqlx::query(
        "UPDATE users SET password_hash = $1, must_change_password = $2, password_changed_at = $3, \
         updated_at = $3, version = version + 1 WHERE id = $4")
        .bind(password_hash).bind(false).bind(now).bind(id).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_locale(tx: &mut Tx, id: i64, locale: &str) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("UPDATE users SET locale = $1, updated_at = $2 WHERE id = $3")
        .bind(locale).bind(Utc::now()).bind(id).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Enabled accounts holding `role`.
pub async fn count_enabled_with_role(tx: &mut Tx, role: &str) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE role = $1 AND disabled = $2")
        .bind(role).bind(false).fetch_one(conn).await)
}

/// Grant or revoke (None) a role; false when the version moved on.
pub async fn set_role(
    tx: &mut Tx,
    id: i64,
    expected_version: i64,
    role: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let result = on_tx!(tx, conn => sqlx::query(
        "UPDATE users SET role = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4")
        .bind(role).bind(Utc::now()).bind(id).bind(expected_version).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(result == 1)
}

/// Disable or re-enable an account; with `expected_version`, only while the
/// stored version is still that one (false when it moved on).
pub async fn set_disabled(
    tx: &mut Tx,
    id: i64,
    expected_version: Option<i64>,
    disabled: bool,
) -> Result<bool, sqlx::Error> {
    let changed = on_tx!(tx, conn => sqlx::query(
        "UPDATE users SET disabled = $1, updated_at = $2, version = version + 1 \
         WHERE id = $3 AND ($4 IS NULL OR version = $4)")
        .bind(disabled).bind(Utc::now()).bind(id).bind(expected_version)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

/// Replace a password by one the account must change at its next sign-in
/// (a reset); the same version rule as [`set_disabled`].
pub async fn reset_password(
    tx: &mut Tx,
    id: i64,
    expected_version: Option<i64>,
    password_hash: &str,
) -> Result<bool, sqlx::Error> {
    let now = Utc::now();
    let changed = on_tx!(tx, conn => sqlx::query(
        "UPDATE users SET password_hash = $1, must_change_password = $2, password_changed_at = $3, \
         updated_at = $3, version = version + 1 WHERE id = $4 AND ($5 IS NULL OR version = $5)")
        .bind(password_hash).bind(true).bind(now).bind(id).bind(expected_version)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

/// Revoke every API token of an account; how many were still valid.
pub async fn revoke_tokens(tx: &mut Tx, user_id: i64) -> Result<u64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(Utc::now()).bind(user_id).execute(conn).await.map(|r| r.rows_affected()))
}

pub async fn member_has_user(db: &Db, member_id: i64) -> Result<bool, sqlx::Error> {
    let n: i64 = on_db!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE member_id = $1")
        .bind(member_id).fetch_one(pool).await)?;
    Ok(n > 0)
}

pub async fn insert_token(
    tx: &mut Tx,
    user_id: i64,
    name: &str,
    token_hash: &str,
) -> Result<i64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(user_id).bind(name).bind(token_hash).bind(Utc::now()).fetch_one(conn).await)
}

/// The latest `count` password hashes a user has had (newest first).
pub async fn recent_password_hashes(
    db: &Db,
    user_id: i64,
    count: i64,
) -> Result<Vec<String>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar(
        "SELECT password_hash FROM password_history WHERE user_id = $1 ORDER BY id DESC LIMIT $2")
        .bind(user_id).bind(count).fetch_all(pool).await)
}

pub async fn insert_password_history(
    tx: &mut Tx,
    user_id: i64,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO password_history (user_id, password_hash, created_at) VALUES ($1, $2, $3)")
        .bind(user_id).bind(password_hash).bind(Utc::now()).execute(conn).await.map(|_| ()))
}

/// Turn the second factor on (an encrypted secret) or off (None).
pub async fn set_totp(tx: &mut Tx, id: i64, secret_enc: Option<&str>) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE users SET totp_secret_enc = $1, totp_last_step = NULL, updated_at = $2, version = version + 1 WHERE id = $3")
        .bind(secret_enc).bind(Utc::now()).bind(id).execute(conn).await.map(|_| ()))
}

/// Spend a one-time code's time step; false when that step (or a later one)
/// was used already, so a code works once.
pub async fn use_totp_step(db: &Db, id: i64, step: i64) -> Result<bool, sqlx::Error> {
    let changed = on_db!(db, pool => sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)")
        .bind(step).bind(id).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(changed == 1)
}

/// An active member without an account yet, with their committee's name:
/// whom a new member account may be linked to.
#[derive(Debug, Clone, FromRow)]
pub struct Linkable {
    pub id: i64,
    pub name: String,
    pub org_name: String,
}

/// Members of the scope's committees that no account is linked to, by
/// committee then name; at most `limit`.
pub async fn linkable_members(
    db: &Db,
    scope_path: &str,
    limit: i64,
) -> Result<Vec<Linkable>, sqlx::Error> {
    let sql = format!(
        "SELECT m.id, m.name, o.name AS org_name FROM members m JOIN orgs o ON o.id = m.org_id \
         WHERE m.org_id IN {} AND m.status = 'active' \
         AND NOT EXISTS (SELECT 1 FROM users u WHERE u.member_id = m.id) \
         ORDER BY o.path, m.name_key LIMIT $2",
        super::scope_ids(db, "$1")
    );
    on_db!(db, pool => sqlx::query_as::<_, Linkable>(&sql)
        .bind(scope_path).bind(limit).fetch_all(pool).await)
}
