//! Scheduled backups as the system admin sees them: whether the schedule is
//! on, the last good backup (written and test-restored) and any failure
//! since. The schedule itself runs in the server (`ops::schedule`).

use super::Actor;
use crate::app::config::Settings;
use crate::domain::roles::Role;
use crate::services::error::AppError;
use crate::storage::backups::{self as store, BackupRun};
use crate::storage::Db;

#[derive(Debug, Clone)]
pub struct BackupStatus {
    /// `backup_dir` is set: the server backs up on its own.
    pub scheduled: bool,
    pub interval_seconds: u64,
    pub keep: u32,
    pub last_ok: Option<BackupRun>,
    /// The newest failed run, when it is newer than the last good one.
    pub failure: Option<BackupRun>,
}

/// The schedule's state, for the system admin.
pub async fn status(db: &Db, actor: &Actor, settings: &Settings) -> Result<BackupStatus, AppError> {
    if actor.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let last_ok = store::latest(db, Some("ok")).await?;
    let failure = store::latest(db, Some("failed"))
        .await?
        .filter(|f| last_ok.as_ref().is_none_or(|ok| f.id > ok.id));
    Ok(BackupStatus {
        scheduled: settings.backup_dir.is_some(),
        interval_seconds: settings.backup_interval_seconds,
        keep: settings.backup_keep,
        last_ok,
        failure,
    })
}
