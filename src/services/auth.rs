//! Sign-in, sessions, API tokens and password changes.

use chrono::{Duration, Utc};

use super::Actor;
use crate::domain::passwords::PasswordPolicy;
use crate::domain::roles::Role;
use crate::domain::validation::{FieldError, FieldErrors};
use crate::error::AppError;
use crate::i18n::Locale;
use crate::security::{hash_password, random_token, token_hash, verify_password};
use crate::storage::audit::{self, NewAuditEntry};
use crate::storage::users::User;
use crate::storage::{attempts, orgs, sessions, users, Db};

/// A freshly created session: the cookie value and the form token.
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
}

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle: Duration,
    pub absolute: Duration,
}

/// When sign-ins are refused.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    pub failures: i64,
    pub window: Duration,
    pub address_failures: i64,
}

/// The security rules, from the settings.
#[derive(Debug, Clone)]
pub struct Policies {
    pub password: PasswordPolicy,
    pub login: LoginPolicy,
    pub sessions: SessionLimits,
    pub admin_password_max_age: Duration,
    pub password_history: i64,
}

impl Default for Policies {
    fn default() -> Self {
        crate::config::Settings::default().policies()
    }
}

/// Check a user name and password; on success start a new session (a new id
/// at every login). Every attempt, failed or not, is audited. Too many
/// failures lock the account for the policy's window, and too many from one
/// address stop that address, whatever the password.
pub async fn login(
    db: &Db,
    policies: &Policies,
    username: &str,
    password: &str,
    ip: Option<&str>,
) -> Result<(NewSession, User), AppError> {
    let username: String = username.trim().chars().take(64).collect();
    let user = users::find_by_username(db, &username).await?;
    let mut entry = NewAuditEntry {
        user_id: user.as_ref().map(|u| u.id),
        username: Some(username.clone()),
        role: user.as_ref().and_then(|u| u.role.clone()),
        ip: ip.map(str::to_string),
        action: "login",
        object_type: Some("user"),
        object_id: user.as_ref().map(|u| u.id.to_string()),
        outcome: "ok",
        detail: None,
    };

    // Count this attempt in before checking it, so that parallel guesses
    // are counted one after another.
    let mut tx = db.begin().await?;
    let (attempt, by_user, by_address) =
        attempts::begin_attempt(&mut tx, &username, ip, Utc::now() - policies.login.window).await?;
    tx.commit().await?;
    let refusal = if by_user > policies.login.failures {
        Some(("locked", "account_locked"))
    } else if by_address > policies.login.address_failures {
        Some(("limited", "too_many_attempts"))
    } else {
        None
    };
    if let Some((outcome, code)) = refusal {
        attempts::finish_attempt(db, attempt, "refused").await?;
        entry.outcome = outcome;
        audit::insert_alone(db, &entry).await?;
        let minutes = policies.login.window.num_minutes();
        return Err(AppError::Validation(
            FieldError::new("password", code)
                .with("minutes", minutes)
                .into(),
        ));
    }

    // Verify even for unknown names so that timing does not reveal which exist.
    let password_ok = verify_password(password, user.as_ref().map(|u| u.password_hash.as_str()));
    let usable = user
        .as_ref()
        .is_some_and(|u| !u.disabled && u.role.is_some());
    match user {
        Some(user) if password_ok && usable => {
            let session = NewSession {
                token: random_token(),
                csrf_token: random_token(),
            };
            let mut tx = db.begin().await?;
            sessions::insert(
                &mut tx,
                &token_hash(&session.token),
                user.id,
                &session.csrf_token,
                ip,
            )
            .await?;
            audit::insert(&mut tx, &entry).await?;
            tx.commit().await?;
            attempts::finish_attempt(db, attempt, "ok").await?;
            Ok((session, user))
        }
        _ => {
            attempts::finish_attempt(db, attempt, "failed").await?;
            entry.outcome = "failed";
            audit::insert_alone(db, &entry).await?;
            Err(AppError::Validation(FieldErrors::single(FieldError::new(
                "password",
                "login_failed",
            ))))
        }
    }
}

/// End a session on the server.
pub async fn logout(db: &Db, actor: &Actor, session_token: &str) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    sessions::delete(&mut tx, &token_hash(session_token)).await?;
    audit::insert(&mut tx, &actor.audit("logout", "user", actor.user_id, None)).await?;
    tx.commit().await?;
    Ok(())
}

/// The actor behind a session cookie, and the session's form token; `None`
/// when the session is unknown or expired (an expired one is removed).
pub async fn actor_from_session(
    db: &Db,
    policies: &Policies,
    session_token: &str,
    ip: Option<String>,
) -> Result<Option<(Actor, String)>, AppError> {
    let limits = policies.sessions;
    let id_hash = token_hash(session_token);
    let Some(session) = sessions::get(db, &id_hash).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    if now - session.last_seen_at > limits.idle || now - session.created_at > limits.absolute {
        let mut tx = db.begin().await?;
        sessions::delete(&mut tx, &id_hash).await?;
        tx.commit().await?;
        return Ok(None);
    }
    let Some(actor) = actor_for_user(db, session.user_id, ip).await? else {
        return Ok(None);
    };
    let actor = apply_password_age(db, policies, actor).await?;
    // Writing on every request would serialise readers on SQLite; a minute's
    // precision is plenty for an idle timeout of many minutes.
    if now - session.last_seen_at > Duration::seconds(60) {
        sessions::touch(db, &id_hash, now).await?;
    }
    Ok(Some((actor, session.csrf_token)))
}

/// The actor behind an API token (`Authorization: Bearer …`).
pub async fn actor_from_token(
    db: &Db,
    policies: &Policies,
    token: &str,
    ip: Option<String>,
) -> Result<Option<Actor>, AppError> {
    let found = match users::find_token(db, &token_hash(token)).await? {
        Some(found) => actor_for_user(db, found.user_id, ip).await?,
        None => None,
    };
    match found {
        Some(actor) => Ok(Some(apply_password_age(db, policies, actor).await?)),
        None => Ok(None),
    }
}

/// Administrators' passwords expire: past the age limit they must change it.
async fn apply_password_age(
    db: &Db,
    policies: &Policies,
    mut actor: Actor,
) -> Result<Actor, AppError> {
    if actor.role.is_admin_trio() && !actor.must_change_password {
        if let Some(user) = users::get(db, actor.user_id).await? {
            if Utc::now() - user.password_changed_at > policies.admin_password_max_age {
                actor.must_change_password = true;
            }
        }
    }
    Ok(actor)
}

/// Build the actor for an enabled user with a role.
pub async fn actor_for_user(
    db: &Db,
    user_id: i64,
    ip: Option<String>,
) -> Result<Option<Actor>, AppError> {
    let Some(user) = users::get(db, user_id).await? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(None);
    }
    let Some(role) = user
        .role
        .as_deref()
        .and_then(|r| Role::parse("role", r).ok())
    else {
        return Ok(None);
    };
    let org = orgs::get_org(db, user.org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Some(Actor {
        user_id: user.id,
        username: user.username,
        display_name: user.display_name,
        role,
        org_id: org.id,
        org_path: org.path,
        member_id: user.member_id,
        department_id: user.department_id,
        locale: Locale::parse(&user.locale).unwrap_or_default(),
        ip,
        must_change_password: user.must_change_password,
    }))
}

/// Issue an API token for a user; the token is shown once and stored hashed.
pub async fn create_token(db: &Db, username: &str, name: &str) -> Result<String, AppError> {
    let user = users::find_by_username(db, username)
        .await?
        .ok_or_else(|| AppError::Validation(FieldError::new("username", "unknown_user").into()))?;
    let token = random_token();
    let mut tx = db.begin().await?;
    let id = users::insert_token(&mut tx, user.id, name, &token_hash(&token)).await?;
    audit::insert(
        &mut tx,
        &NewAuditEntry {
            user_id: Some(user.id),
            username: Some(user.username.clone()),
            role: user.role.clone(),
            action: "token_create",
            object_type: Some("api_token"),
            object_id: Some(id.to_string()),
            outcome: "ok",
            detail: Some(format!("name={name}; via=cli")),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// Change one's own password: the current one must be right, the new one must
/// follow the policy. Ends the user's other sessions and starts a new one.
pub async fn change_password(
    db: &Db,
    policies: &Policies,
    actor: &Actor,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<NewSession, AppError> {
    let user = users::get(db, actor.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    if !verify_password(current, Some(&user.password_hash)) {
        errors.push(FieldError::new("current_password", "password_wrong"));
    }
    errors.check(policies.password.check("new_password", new, &user.username));
    if new != confirm {
        errors.push(FieldError::new("confirm_password", "password_mismatch"));
    }
    if errors.is_empty() {
        let mut previous =
            users::recent_password_hashes(db, user.id, policies.password_history).await?;
        previous.push(user.password_hash.clone());
        if previous.iter().any(|hash| verify_password(new, Some(hash))) {
            errors.push(
                FieldError::new("new_password", "password_reused")
                    .with("count", policies.password_history.max(1)),
            );
        }
    }
    errors.into_result()?;
    let session = NewSession {
        token: random_token(),
        csrf_token: random_token(),
    };
    let mut tx = db.begin().await?;
    let new_hash = hash_password(new);
    users::set_password(&mut tx, user.id, &new_hash).await?;
    users::insert_password_history(&mut tx, user.id, &new_hash).await?;
    sessions::delete_for_user(&mut tx, user.id).await?;
    sessions::insert(
        &mut tx,
        &token_hash(&session.token),
        user.id,
        &session.csrf_token,
        actor.ip.as_deref(),
    )
    .await?;
    audit::insert(
        &mut tx,
        &actor.audit("password_change", "user", user.id, None),
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}

/// Switch the interface language of one's own account.
pub async fn set_locale(db: &Db, actor: &Actor, locale: &str) -> Result<(), AppError> {
    let locale = Locale::parse(locale)
        .ok_or_else(|| AppError::Validation(FieldError::new("locale", "invalid_choice").into()))?;
    let mut tx = db.begin().await?;
    users::set_locale(&mut tx, actor.user_id, locale.as_str()).await?;
    audit::insert(
        &mut tx,
        &actor.audit(
            "update",
            "user",
            actor.user_id,
            Some(format!("locale={}", locale.as_str())),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
