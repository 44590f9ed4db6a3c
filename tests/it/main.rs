//! All integration tests, in one binary so the suite links once. Each test
//! drives a real server on a random port over HTTP, on a fresh database: a
//! SQLite file, and (through `dual_test!`) a fresh PostgreSQL database too.

mod helpers;

mod accounts;
mod activities;
mod architecture;
mod archive;
mod assessment;
mod attachments;
mod attacks;
mod audit;
mod audit_head;
mod auth;
mod authz;
mod backup;
mod backup_schedule;
mod browser;
mod cases;
mod cli;
mod crash;
mod exports;
mod home;
mod i18n;
mod imports;
mod info;
mod member_pages;
mod members_api;
mod notifications;
mod openapi;
mod orgs_api;
mod pages;
mod plans;
mod points;
mod projects;
mod proposals;
mod reception;
mod reports;
mod scale;
mod schema;
mod security;
mod step_notes;
mod totp;
