//! Operations: each checks who may do it, validates, writes in one transaction
//! with its audit row, and is shared by the pages, the API and the CLI.

pub mod activities;
pub mod archive;
pub mod attachments;
pub mod audit;
pub mod audit_words;
pub mod auth;
pub mod awards;
pub mod backups;
pub mod cases;
pub mod error;
pub mod exports;
pub mod imports;
pub mod info;
pub mod jobs;
pub mod members;
pub mod notifications;
pub mod orgs;
pub mod overview;
pub mod plans;
pub mod points;
pub mod projects;
pub mod proposals;
pub mod reception;
pub mod reports;
pub mod search;
pub(crate) mod steps;
pub mod todos;
pub mod users;

use crate::app::i18n::Locale;
use crate::domain::orgs::is_within;
use crate::domain::roles::Role;
use crate::services::error::AppError;
use crate::storage::audit::NewAuditEntry;

/// The signed-in user an operation runs for.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_id: i64,
    /// Materialized path of the user's organisation: their scope.
    pub org_path: String,
    pub member_id: Option<i64>,
    pub department_id: Option<i64>,
    pub locale: Locale,
    pub ip: Option<String>,
    pub must_change_password: bool,
    /// The role requires a second factor that this account has not set up yet.
    pub needs_totp: bool,
}

impl Actor {
    /// Refuse unless the actor holds one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Whether a record of the organisation at `path` is within the actor's subtree.
    pub fn sees(&self, path: &str) -> bool {
        is_within(path, &self.org_path)
    }

    /// An audit row for an action by this actor.
    pub fn audit(
        &self,
        action: &'static str,
        object_type: &'static str,
        object_id: impl ToString,
        detail: Option<String>,
    ) -> NewAuditEntry {
        NewAuditEntry {
            user_id: Some(self.user_id),
            username: Some(self.username.clone()),
            role: Some(self.role.as_str().to_string()),
            ip: self.ip.clone(),
            action,
            object_type: Some(object_type),
            object_id: Some(object_id.to_string()),
            outcome: "ok",
            detail,
        }
    }
}

/// Trim an optional text input; `None` when absent or blank.
pub(crate) fn non_blank(input: &Option<String>) -> Option<&str> {
    input.as_deref().map(str::trim).filter(|s| !s.is_empty())
}
