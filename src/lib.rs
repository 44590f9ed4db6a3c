//! lvzhi (履职): the day-to-day work of a CPPCC committee.
//!
//! Layers: [`domain`] (pure rules) → [`storage`] (SQL on SQLite or PostgreSQL)
//! → [`services`] (who may do what, one transaction with its audit row) →
//! [`http`] (pages and JSON API) and [`cli`].
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// No fallback: a key missing from one language shows up in the catalogue test.
rust_i18n::i18n!("locales");

pub mod app;
pub mod cli;
pub mod demo;
pub mod documents;
pub mod domain;
pub mod http;
pub mod ops;
pub mod search;
pub mod security;
pub mod services;
pub mod storage;
