//! The application as a whole: its settings and its message catalogues.

pub mod config;
pub mod i18n;
