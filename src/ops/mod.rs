//! Operating a deployment: encrypted online backup and restore, and what a
//! server does on its own clock (scheduled backups, the audit head in the log).

pub mod backup;
pub mod schedule;
