//! Sign-in, sessions, API tokens and password changes.

use chrono::{DateTime, Duration, Utc};

use super::Actor;
pub use crate::app::config::{LoginPolicy, Policies, SessionLimits};
use crate::app::i18n::Locale;
use crate::domain::roles::Role;
use crate::domain::totp;
use crate::domain::validation::{FieldError, FieldErrors};
use crate::security::crypto::FieldCipher;
use crate::security::{hash_password, random_token, token_hash, verify_password};
use crate::services::error::AppError;
use crate::storage::audit::{self, NewAuditEntry};
use crate::storage::users::{Principal, User};
use crate::storage::{attempts, sessions, users, Db};

/// A freshly created session: the cookie value and the form token.
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
}

/// Check a user name and password; on success start a new session (a new id
/// at every login). Every attempt, failed or not, is audited. Too many
/// failures lock the account for the policy's window, and too many from one
/// address stop that address, whatever the password.
pub async fn login(
    db: &Db,
    policies: &Policies,
    cipher: &FieldCipher,
    credentials: &Credentials<'_>,
    ip: Option<&str>,
) -> Result<(NewSession, User), AppError> {
    let password = credentials.password;
    let username: String = credentials.username.trim().chars().take(64).collect();
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
    // With a second factor set up, the one-time code must be right too.
    let second_factor = match &user {
        Some(user) if password_ok && usable => {
            second_factor(db, cipher, user, credentials.code).await?
        }
        _ => Ok(()),
    };
    if let Err(code) = second_factor {
        attempts::finish_attempt(db, attempt, "failed").await?;
        entry.outcome = "failed";
        entry.detail = Some(format!("second factor: {code}"));
        audit::insert_alone(db, &entry).await?;
        return Err(AppError::Validation(FieldError::new("code", code).into()));
    }
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
            // For the auditor only: the answer stays the same for every failure.
            if password_ok && user.as_ref().is_some_and(|u| u.disabled) {
                entry.detail = Some("account disabled".into());
            }
            audit::insert_alone(db, &entry).await?;
            Err(AppError::Validation(FieldErrors::single(FieldError::new(
                "password",
                "login_failed",
            ))))
        }
    }
}

/// What the login form sends.
pub struct Credentials<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// The one-time code, for accounts with a second factor.
    pub code: Option<&'a str>,
}

/// Check the one-time code of an account that has a second factor. The inner
/// `Err` names what is wrong (a message code).
async fn second_factor(
    db: &Db,
    cipher: &FieldCipher,
    user: &User,
    code: Option<&str>,
) -> Result<Result<(), &'static str>, AppError> {
    let Some(secret_enc) = &user.totp_secret_enc else {
        return Ok(Ok(()));
    };
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(Err("totp_required"));
    };
    let secret = totp_secret(cipher, secret_enc)?;
    let now = Utc::now().timestamp().max(0) as u64;
    match totp::matching_step(&secret, code, now) {
        Some(step) if users::use_totp_step(db, user.id, step as i64).await? => Ok(Ok(())),
        Some(_) => Ok(Err("totp_reused")),
        None => Ok(Err("totp_wrong")),
    }
}

fn totp_secret(cipher: &FieldCipher, secret_enc: &str) -> Result<Vec<u8>, AppError> {
    let encoded = cipher
        .decrypt(secret_enc)
        .map_err(AppError::internal_from)?;
    totp_rs::Secret::Encoded(encoded)
        .to_bytes()
        .map_err(|e| AppError::internal(format!("stored TOTP secret: {e:?}")))
}

/// A new secret for setting up an authenticator: (base32 text, otpauth URL).
pub fn totp_new_secret(actor: &Actor) -> Result<(String, String), AppError> {
    let secret = totp_rs::Secret::generate_secret();
    let encoded = secret.to_encoded().to_string();
    let bytes = secret
        .to_bytes()
        .map_err(|e| AppError::internal(format!("new TOTP secret: {e:?}")))?;
    let url = totp::otpauth_url(&bytes, "lvzhi", &actor.username)
        .ok_or_else(|| AppError::internal("otpauth URL refused for a new secret"))?;
    Ok((encoded, url))
}

/// Turn on the second factor: the code from the authenticator proves the
/// secret was stored there.
pub async fn totp_enable(
    db: &Db,
    cipher: &FieldCipher,
    actor: &Actor,
    secret: &str,
    code: &str,
) -> Result<(), AppError> {
    let bytes = totp_rs::Secret::Encoded(secret.trim().to_string())
        .to_bytes()
        .map_err(|_| {
            AppError::Validation(FieldError::new("secret", "totp_secret_invalid").into())
        })?;
    if bytes.len() < 16 {
        return Err(AppError::Validation(
            FieldError::new("secret", "totp_secret_invalid").into(),
        ));
    }
    let now = Utc::now().timestamp().max(0) as u64;
    let Some(step) = totp::matching_step(&bytes, code, now) else {
        return Err(AppError::Validation(
            FieldError::new("code", "totp_wrong").into(),
        ));
    };
    let mut tx = db.begin().await?;
    users::set_totp(
        &mut tx,
        actor.user_id,
        Some(&cipher.encrypt(secret.trim())?),
    )
    .await?;
    audit::insert(
        &mut tx,
        &actor.audit("totp_enable", "user", actor.user_id, None),
    )
    .await?;
    tx.commit().await?;
    users::use_totp_step(db, actor.user_id, step as i64).await?;
    Ok(())
}

/// Turn off the second factor, with a current code; not for roles that require it.
pub async fn totp_disable(
    db: &Db,
    policies: &Policies,
    cipher: &FieldCipher,
    actor: &Actor,
    code: &str,
) -> Result<(), AppError> {
    if policies.totp_required.contains(&actor.role) {
        return Err(AppError::Validation(
            FieldError::new("code", "totp_mandatory").into(),
        ));
    }
    let user = users::get(db, actor.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(secret_enc) = &user.totp_secret_enc else {
        return Ok(());
    };
    let secret = totp_secret(cipher, secret_enc)?;
    let now = Utc::now().timestamp().max(0) as u64;
    if totp::matching_step(&secret, code, now).is_none() {
        return Err(AppError::Validation(
            FieldError::new("code", "totp_wrong").into(),
        ));
    }
    let mut tx = db.begin().await?;
    users::set_totp(&mut tx, actor.user_id, None).await?;
    audit::insert(
        &mut tx,
        &actor.audit("totp_disable", "user", actor.user_id, None),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the account has a second factor.
pub async fn totp_enabled(db: &Db, actor: &Actor) -> Result<bool, AppError> {
    Ok(users::get(db, actor.user_id)
        .await?
        .is_some_and(|u| u.totp_secret_enc.is_some()))
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
/// One query finds the session, its account and the account's organisation.
pub async fn actor_from_session(
    db: &Db,
    policies: &Policies,
    session_token: &str,
    ip: Option<String>,
) -> Result<Option<(Actor, String)>, AppError> {
    let limits = policies.sessions;
    let id_hash = token_hash(session_token);
    let Some(session) = sessions::get_with_principal(db, &id_hash).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    if now - session.last_seen_at > limits.idle || now - session.created_at > limits.absolute {
        let mut tx = db.begin().await?;
        sessions::delete(&mut tx, &id_hash).await?;
        tx.commit().await?;
        return Ok(None);
    }
    let Some(actor) = actor_with_duties(session.principal, ip, policies, now) else {
        return Ok(None);
    };
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
    Ok(users::principal_by_token(db, &token_hash(token))
        .await?
        .and_then(|principal| actor_with_duties(principal, ip, policies, Utc::now())))
}

/// The actor for an account, with what it must do before anything else:
/// administrators' passwords expire, and roles that require a second factor
/// must set it up.
fn actor_with_duties(
    principal: Principal,
    ip: Option<String>,
    policies: &Policies,
    now: DateTime<Utc>,
) -> Option<Actor> {
    let password_age = now - principal.password_changed_at;
    let has_totp = principal.has_totp;
    let mut actor = actor_from_principal(principal, ip)?;
    if actor.role.is_admin_trio() && password_age > policies.admin_password_max_age {
        actor.must_change_password = true;
    }
    actor.needs_totp = policies.totp_required.contains(&actor.role) && !has_totp;
    Some(actor)
}

/// The actor for an enabled account with a role; `None` otherwise.
fn actor_from_principal(principal: Principal, ip: Option<String>) -> Option<Actor> {
    if principal.disabled {
        return None;
    }
    let role = principal
        .role
        .as_deref()
        .and_then(|r| Role::parse("role", r).ok())?;
    Some(Actor {
        user_id: principal.user_id,
        username: principal.username,
        display_name: principal.display_name,
        role,
        org_id: principal.org_id,
        org_path: principal.org_path,
        member_id: principal.member_id,
        department_id: principal.department_id,
        locale: Locale::parse(&principal.locale).unwrap_or_default(),
        ip,
        must_change_password: principal.must_change_password,
        needs_totp: false,
    })
}

/// Build the actor for an enabled user with a role.
pub async fn actor_for_user(
    db: &Db,
    user_id: i64,
    ip: Option<String>,
) -> Result<Option<Actor>, AppError> {
    Ok(users::principal(db, user_id)
        .await?
        .and_then(|principal| actor_from_principal(principal, ip)))
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
    let new_hash = hash_password(new)?;
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn principal(role: Option<&str>) -> Principal {
        Principal {
            user_id: 7,
            username: "u".into(),
            display_name: "用户".into(),
            role: role.map(str::to_string),
            org_id: 3,
            org_path: "/1/3/".into(),
            member_id: None,
            department_id: None,
            locale: "en".into(),
            must_change_password: false,
            disabled: false,
            password_changed_at: Utc::now(),
            has_totp: false,
        }
    }

    #[test]
    fn an_enabled_account_with_a_role_becomes_an_actor_in_its_scope() {
        let actor =
            actor_from_principal(principal(Some("staff")), Some("10.0.0.1".into())).unwrap();
        assert_eq!(actor.role, Role::Staff);
        assert_eq!(actor.org_path, "/1/3/");
        assert_eq!(actor.locale, Locale::parse("en").unwrap());
        assert_eq!(actor.ip.as_deref(), Some("10.0.0.1"));
    }

    #[test]
    fn disabled_accounts_and_accounts_without_a_known_role_are_nobody() {
        let mut disabled = principal(Some("staff"));
        disabled.disabled = true;
        assert!(actor_from_principal(disabled, None).is_none());
        assert!(actor_from_principal(principal(None), None).is_none());
        assert!(actor_from_principal(principal(Some("root")), None).is_none());
    }

    #[test]
    fn an_administrators_old_password_must_be_changed_a_staff_members_need_not() {
        let policies = Policies::default();
        let now = Utc::now();
        let mut admin = principal(Some("admin"));
        admin.password_changed_at = now - policies.admin_password_max_age - Duration::days(1);
        assert!(
            actor_with_duties(admin.clone(), None, &policies, now)
                .unwrap()
                .must_change_password
        );
        admin.password_changed_at = now - Duration::days(1);
        assert!(
            !actor_with_duties(admin, None, &policies, now)
                .unwrap()
                .must_change_password
        );
        let mut staff = principal(Some("staff"));
        staff.password_changed_at = now - Duration::days(3650);
        assert!(
            !actor_with_duties(staff, None, &policies, now)
                .unwrap()
                .must_change_password
        );
    }

    #[test]
    fn a_role_that_requires_a_second_factor_must_set_one_up_first() {
        let policies = Policies {
            totp_required: vec![Role::Staff],
            ..Policies::default()
        };
        let now = Utc::now();
        let without = actor_with_duties(principal(Some("staff")), None, &policies, now).unwrap();
        assert!(without.needs_totp);
        let mut with = principal(Some("staff"));
        with.has_totp = true;
        assert!(
            !actor_with_duties(with, None, &policies, now)
                .unwrap()
                .needs_totp
        );
        let member = actor_with_duties(principal(Some("member")), None, &policies, now).unwrap();
        assert!(!member.needs_totp, "only the roles the policy names");
    }
}
