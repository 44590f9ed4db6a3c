//! Operating a deployment: encrypted online backup and restore.

pub mod backup;
