//! User accounts. The system administrator creates accounts; only the security
//! administrator grants or revokes roles (三权分立: no account holds two admin
//! roles, and none grants itself anything).

use serde::Deserialize;
use utoipa::ToSchema;

use super::{non_blank, Actor};
use crate::domain::dates::parse_optional_id;
use crate::domain::paging::PageRequest;
use crate::domain::passwords::PasswordPolicy;
use crate::domain::roles::Role;
use crate::domain::text::required_line;
use crate::domain::validation::{FieldError, FieldErrors};
use crate::security::{hash_password, random_password};
use crate::services::error::AppError;
use crate::storage::audit::{self, NewAuditEntry};
use crate::storage::orgs::Org;
use crate::storage::users::{NewUser, User};
use crate::storage::{is_unique_violation, members, orgs, sessions, users, Db, Tx};

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct UserInput {
    /// 3–32 characters: letters, digits, `.`, `_`, `-`.
    pub username: String,
    pub display_name: String,
    /// Organisation id (the account's scope).
    pub org_id: Option<String>,
    /// For a member's account: the member it belongs to.
    pub member_id: Option<String>,
    /// For a department handler's account: the department.
    pub department_id: Option<String>,
    /// Leave empty to generate one; the account must change it at first login.
    pub password: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct RoleInput {
    /// admin | security | auditor | staff | member | department; empty revokes.
    pub role: String,
    pub version: Option<String>,
}

/// Who creates an account: a person (admin) or the operator at the command line.
pub enum Creator<'a> {
    Admin(&'a Actor),
    Cli,
}

pub fn validate_username(input: &str) -> Result<String, FieldError> {
    let name = input.trim();
    if name.is_empty() {
        return Err(FieldError::new("username", "required"));
    }
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    let len = name.chars().count();
    if !ok_chars || !(3..=32).contains(&len) {
        return Err(FieldError::new("username", "username_format"));
    }
    Ok(name.to_string())
}

pub async fn list(
    db: &Db,
    actor: &Actor,
    page: &PageRequest,
) -> Result<(Vec<User>, i64), AppError> {
    actor.require(&[Role::Admin, Role::Security])?;
    Ok(users::list(db, &actor.org_path, page.limit(), page.offset()).await?)
}

/// At most this many members are offered to link a new account to; past
/// it the form says so (the API takes any id).
pub const LINKABLE_MAX: i64 = 2000;

/// Whom a new account may be linked to: members without an account, and
/// departments, of the admin's scope (the account form's choices).
pub async fn link_choices(
    db: &Db,
    actor: &Actor,
) -> Result<(Vec<users::Linkable>, Vec<orgs::Department>), AppError> {
    actor.require(&[Role::Admin])?;
    let members = users::linkable_members(db, &actor.org_path, LINKABLE_MAX).await?;
    let departments = orgs::list_departments(db, &actor.org_path).await?;
    Ok((members, departments))
}

/// Create an account under the default password policy.
pub async fn create(
    db: &Db,
    creator: Creator<'_>,
    input: &UserInput,
    role: Option<Role>,
) -> Result<(User, Option<String>), AppError> {
    create_with_policy(db, &PasswordPolicy::default(), creator, input, role).await
}

/// Create an account. The returned password is shown once when generated.
pub async fn create_with_policy(
    db: &Db,
    policy: &PasswordPolicy,
    creator: Creator<'_>,
    input: &UserInput,
    role: Option<Role>,
) -> Result<(User, Option<String>), AppError> {
    if let Creator::Admin(actor) = &creator {
        actor.require(&[Role::Admin])?;
        if role.is_some() {
            return Err(AppError::Forbidden);
        }
    }
    let mut errors = FieldErrors::new();
    let username = errors.check(validate_username(&input.username));
    let display_name = errors.check(required_line("display_name", &input.display_name, 50));
    let org_id = errors
        .check(parse_optional_id(
            "org_id",
            input.org_id.as_deref().unwrap_or(""),
        ))
        .flatten();
    let member_id = errors
        .check(parse_optional_id(
            "member_id",
            input.member_id.as_deref().unwrap_or(""),
        ))
        .flatten();
    let department_id = errors
        .check(parse_optional_id(
            "department_id",
            input.department_id.as_deref().unwrap_or(""),
        ))
        .flatten();
    let scope = match &creator {
        Creator::Admin(actor) => Some(actor.org_path.as_str()),
        Creator::Cli => None,
    };
    let org = check_links(db, scope, org_id, member_id, department_id, &mut errors).await?;
    if let Some(role) = role {
        check_role_links(role, member_id, department_id, &mut errors);
    }
    let generated = non_blank(&input.password).is_none();
    let password = match non_blank(&input.password) {
        Some(p) => {
            errors.check(policy.check("password", p, username.as_deref().unwrap_or("")));
            p.to_string()
        }
        None => random_password(),
    };
    errors.into_result()?;
    let (Some(username), Some(display_name), Some(org)) = (username, display_name, org) else {
        return Err(AppError::internal("validated fields missing"));
    };
    let mut tx = db.begin().await?;
    let new = NewUser {
        username: &username,
        display_name: &display_name,
        password_hash: &hash_password(&password)?,
        role: role.map(|r| r.as_str()),
        org_id: org.id,
        member_id,
        department_id,
        locale: "zh-CN",
        // A password someone else chose is known to them: its owner sets their own.
        must_change_password: generated || matches!(creator, Creator::Admin(_)),
    };
    let id = match users::insert(&mut tx, &new).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            let field =
                if member_id.is_some() && users::find_by_username(db, &username).await?.is_none() {
                    FieldError::new("member_id", "member_has_account")
                } else {
                    FieldError::new("username", "username_taken")
                };
            return Err(AppError::Validation(field.into()));
        }
        Err(e) => return Err(e.into()),
    };
    users::insert_password_history(&mut tx, id, new.password_hash).await?;
    // What was set, as JSON; links the account does not have are left out.
    let mut detail = serde_json::json!({ "username": username, "org_id": org.id });
    if let Some(role) = role {
        detail["role"] = role.as_str().into();
    }
    if let Some(member_id) = member_id {
        detail["member_id"] = member_id.into();
    }
    if let Some(department_id) = department_id {
        detail["department_id"] = department_id.into();
    }
    let detail = detail.to_string();
    let entry = match &creator {
        Creator::Admin(actor) => actor.audit("create", "user", id, Some(detail)),
        Creator::Cli => cli_audit("create", "user", id, detail),
    };
    audit::insert(&mut tx, &entry).await?;
    tx.commit().await?;
    let user = users::get(db, id).await?.ok_or(AppError::NotFound)?;
    Ok((user, generated.then_some(password)))
}

/// The organisation, member and department an account is linked to must
/// exist and lie within the creator's scope (`None`: the operator's, everywhere).
/// Returns the organisation when it is valid.
async fn check_links(
    db: &Db,
    scope: Option<&str>,
    org_id: Option<i64>,
    member_id: Option<i64>,
    department_id: Option<i64>,
    errors: &mut FieldErrors,
) -> Result<Option<Org>, AppError> {
    let visible = |path: &str| scope.is_none_or(|s| crate::domain::orgs::is_within(path, s));
    let org = match org_id {
        Some(id) => match orgs::get_org(db, id).await? {
            Some(org) if visible(&org.path) => Some(org),
            _ => {
                errors.push(FieldError::new("org_id", "unknown_org"));
                None
            }
        },
        None => {
            errors.push(FieldError::new("org_id", "required"));
            None
        }
    };
    if let Some(id) = member_id {
        let member_org = match members::get(db, id).await? {
            Some(m) => orgs::get_org(db, m.org_id).await?,
            None => None,
        };
        match member_org {
            Some(o) if visible(&o.path) => {
                // A member's account belongs to the member's own committee.
                if org.as_ref().is_some_and(|account| account.id != o.id) {
                    errors.push(FieldError::new("member_id", "member_other_committee"));
                }
            }
            _ => errors.push(FieldError::new("member_id", "unknown_member")),
        }
    }
    if let Some(id) = department_id {
        if orgs::get_department(db, id).await?.is_none() {
            errors.push(FieldError::new("department_id", "unknown_department"));
        }
    }
    Ok(org)
}

fn check_role_links(
    role: Role,
    member_id: Option<i64>,
    department_id: Option<i64>,
    errors: &mut FieldErrors,
) {
    if role.needs_member() && member_id.is_none() {
        errors.push(FieldError::new("member_id", "role_needs_member"));
    }
    if role.needs_department() && department_id.is_none() {
        errors.push(FieldError::new("department_id", "role_needs_department"));
    }
}

/// An audit row for an action taken at the command line by the operator.
pub fn cli_audit(
    action: &'static str,
    object_type: &'static str,
    object_id: i64,
    detail: String,
) -> NewAuditEntry {
    NewAuditEntry {
        username: Some("(cli)".into()),
        action,
        object_type: Some(object_type),
        object_id: Some(object_id.to_string()),
        outcome: "ok",
        detail: Some(detail),
        ..Default::default()
    }
}

/// A role change as it would be made: whose account, and its role before and
/// after (`None`: no role). The pages show it to be confirmed.
#[derive(Debug, Clone)]
pub struct RoleChange {
    pub user: User,
    pub from: Option<Role>,
    pub to: Option<Role>,
    version: i64,
}

/// Grant (or with an empty role, revoke) a user's role. Security admin only,
/// never on their own account.
pub async fn set_role(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    input: &RoleInput,
) -> Result<User, AppError> {
    let change = role_change(db, actor, user_id, input).await?;
    let user = change.user;
    let role = change.to;
    let mut tx = db.begin().await?;
    let role_str = role.map(|r| r.as_str());
    if !users::set_role(&mut tx, user.id, change.version, role_str).await? {
        return Err(AppError::Conflict("stale_version"));
    }
    // Checked again here, in the change's transaction, so that two revocations
    // at once cannot both pass it.
    if let Some(from) = change.from.filter(|r| r.is_admin_trio()) {
        if users::count_enabled_with_role(&mut tx, from.as_str()).await? == 0 {
            return Err(AppError::Validation(
                FieldError::new("role", last_holder_code(from)).into(),
            ));
        }
    }
    // A changed role takes effect at once: end the user's sessions.
    sessions::delete_for_user(&mut tx, user.id).await?;
    let detail = format!(
        "from={}; to={}",
        user.role.as_deref().unwrap_or("-"),
        role_str.unwrap_or("-")
    );
    let action = if role.is_some() {
        "role_grant"
    } else {
        "role_revoke"
    };
    audit::insert(&mut tx, &actor.audit(action, "user", user.id, Some(detail))).await?;
    tx.commit().await?;
    users::get(db, user.id).await?.ok_or(AppError::NotFound)
}

/// The refusal of taking an administrator role from its last enabled holder.
fn last_holder_code(role: Role) -> &'static str {
    match role {
        Role::Security => "role_last_security",
        Role::Auditor => "role_last_auditor",
        _ => "role_last_admin",
    }
}

/// The role change `input` asks for, checked as `set_role` checks it, without
/// making it.
pub async fn role_change(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    input: &RoleInput,
) -> Result<RoleChange, AppError> {
    actor.require(&[Role::Security])?;
    let user = users::get(db, user_id).await?.ok_or(AppError::NotFound)?;
    let org = orgs::get_org(db, user.org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !actor.sees(&org.path) {
        return Err(AppError::NotFound);
    }
    if user.id == actor.user_id {
        return Err(AppError::Validation(
            FieldError::new("role", "role_self_grant").into(),
        ));
    }
    let mut errors = FieldErrors::new();
    let role = if input.role.trim().is_empty() {
        None
    } else {
        errors.check(Role::parse("role", &input.role))
    };
    let version = non_blank(&input.version).and_then(|v| v.parse::<i64>().ok());
    if version.is_none() {
        errors.push(FieldError::new("version", "version_required"));
    }
    if let Some(role) = role {
        check_role_links(role, user.member_id, user.department_id, &mut errors);
        // A department handler's account is not an administrator's.
        if role.is_admin_trio() && user.department_id.is_some() {
            errors.push(FieldError::new("role", "role_admin_linked"));
        }
    }
    let from = user
        .role
        .as_deref()
        .and_then(|r| Role::parse("role", r).ok());
    // Administration must stay possible: the last enabled holder of each
    // administrator role keeps it.
    if let Some(held) = from.filter(|r| r.is_admin_trio() && role != Some(*r)) {
        if !user.disabled {
            let mut tx = db.begin().await?;
            let holders = users::count_enabled_with_role(&mut tx, held.as_str()).await?;
            drop(tx);
            if holders <= 1 {
                errors.push(FieldError::new("role", last_holder_code(held)));
            }
        }
    }
    // Asking for the role the account already has changes nothing: say so
    // rather than ask to confirm it and audit a change that is none.
    if errors.is_empty() && role == from {
        errors.push(FieldError::new("role", "role_unchanged"));
    }
    errors.into_result()?;
    Ok(RoleChange {
        from,
        to: role,
        version: version.unwrap_or_default(),
        user,
    })
}

/// Create the first administrator of an empty installation, with a random
/// password that must be changed at first login. Returns the password.
pub async fn bootstrap_admin(db: &Db) -> Result<Option<(String, String)>, AppError> {
    if users::count(db).await? > 0 {
        return Ok(None);
    }
    let mut tx: Tx = db.begin().await?;
    let root = match orgs::list_orgs(db, "/", None)
        .await?
        .into_iter()
        .find(|o| o.parent_id.is_none())
    {
        Some(root) => root,
        None => {
            let new = orgs::NewOrg {
                parent: None,
                kind: "district",
                name: "区政协",
                community_id: None,
            };
            orgs::insert_org(&mut tx, &new).await?
        }
    };
    let password = random_password();
    let new = NewUser {
        username: "admin",
        display_name: "系统管理员",
        password_hash: &hash_password(&password)?,
        role: Some(Role::Admin.as_str()),
        org_id: root.id,
        member_id: None,
        department_id: None,
        locale: "zh-CN",
        must_change_password: true,
    };
    let id = users::insert(&mut tx, &new).await?;
    audit::insert(
        &mut tx,
        &cli_audit(
            "create",
            "user",
            id,
            "username=admin; role=admin; bootstrap".into(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(("admin".into(), password)))
}

/// What an account action sends: the version read, so that a second,
/// concurrent change is refused (409).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AccountActionInput {
    pub version: Option<String>,
}

/// What the system administrator (or the operator) does to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    Disable,
    Enable,
    ResetPassword,
}

impl AccountAction {
    /// The audit log's action.
    pub fn audit_action(self) -> &'static str {
        match self {
            AccountAction::Disable => "disable",
            AccountAction::Enable => "enable",
            AccountAction::ResetPassword => "password_reset",
        }
    }
}

/// The outcome of an account action: the account as it is now, and for a
/// reset the new password, shown this once.
pub struct AccountChange {
    pub user: User,
    pub password: Option<String>,
}

/// Disable, re-enable or reset the password of an account.
///
/// The system administrator acts on accounts within their organisation's
/// subtree, never on their own and never on the administrator trio's
/// (admin, security, auditor: 三权分立 — those are for the operator, with
/// `lvzhi user …` at the server). Disabling ends the account's sessions and
/// revokes its API tokens at once; a reset does the same, and the random
/// new password must be changed at the next sign-in. Every action is audited.
pub async fn account_action(
    db: &Db,
    by: Creator<'_>,
    user_id: i64,
    action: AccountAction,
    input: &AccountActionInput,
) -> Result<AccountChange, AppError> {
    let user = users::get(db, user_id).await?.ok_or(AppError::NotFound)?;
    let mut version = None;
    if let Creator::Admin(actor) = &by {
        actor.require(&[Role::Admin])?;
        let org = orgs::get_org(db, user.org_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !actor.sees(&org.path) {
            return Err(AppError::NotFound);
        }
        if user.id == actor.user_id {
            return Err(AppError::Validation(
                FieldError::new("account", "account_self").into(),
            ));
        }
        let trio = user
            .role
            .as_deref()
            .and_then(|r| Role::parse("role", r).ok())
            .is_some_and(|r| r.is_admin_trio());
        if trio {
            return Err(AppError::Validation(
                FieldError::new("account", "account_admin_trio").into(),
            ));
        }
        version = non_blank(&input.version).and_then(|v| v.parse::<i64>().ok());
        if version.is_none() {
            return Err(AppError::Validation(
                FieldError::new("version", "version_required").into(),
            ));
        }
    }
    let mut tx = db.begin().await?;
    let mut password = None;
    let changed = match action {
        AccountAction::Disable => users::set_disabled(&mut tx, user.id, version, true).await?,
        AccountAction::Enable => users::set_disabled(&mut tx, user.id, version, false).await?,
        AccountAction::ResetPassword => {
            let new = random_password();
            let hash = hash_password(&new)?;
            password = Some(new);
            let changed = users::reset_password(&mut tx, user.id, version, &hash).await?;
            if changed {
                users::insert_password_history(&mut tx, user.id, &hash).await?;
            }
            changed
        }
    };
    if !changed {
        return Err(AppError::Conflict("stale_version"));
    }
    let mut detail = format!("username={}", user.username);
    if action != AccountAction::Enable {
        // Whoever held the account's sessions or tokens is out at once.
        let sessions_ended = sessions::delete_for_user(&mut tx, user.id).await?;
        let tokens_revoked = users::revoke_tokens(&mut tx, user.id).await?;
        detail.push_str(&format!(
            "; sessions_ended={sessions_ended}; tokens_revoked={tokens_revoked}"
        ));
    }
    if action == AccountAction::ResetPassword {
        detail.push_str("; must_change_password=true");
    }
    let entry = match &by {
        Creator::Admin(actor) => actor.audit(action.audit_action(), "user", user.id, Some(detail)),
        Creator::Cli => cli_audit(action.audit_action(), "user", user.id, detail),
    };
    audit::insert(&mut tx, &entry).await?;
    tx.commit().await?;
    let user = users::get(db, user.id).await?.ok_or(AppError::NotFound)?;
    Ok(AccountChange { user, password })
}
