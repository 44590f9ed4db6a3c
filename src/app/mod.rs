//! The application as a whole: its settings, its message catalogues, and the
//! one context built at start that every request and command works with.

pub mod clock;
pub mod config;
mod context;
pub mod i18n;

pub use context::App;
