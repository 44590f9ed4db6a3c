//! Pure domain logic: value types that parse and validate, lifecycle enums and
//! rules. Nothing here does I/O.

pub mod activities;
pub mod archive;
pub mod attachments;
pub mod audit;
pub mod audit_head;
pub mod awards;
pub mod calendar;
pub mod cases;
pub mod choice;
pub mod csv;
pub mod dates;
pub mod file_structure;
pub mod id_number;
pub mod imports;
pub mod info;
pub mod members;
pub mod notifications;
pub mod orgs;
pub mod paging;
pub mod passwords;
pub mod phone;
pub mod plans;
pub mod points;
pub mod projects;
pub mod proposals;
pub mod reception;
pub mod reports;
pub mod roles;
pub mod steps;
pub mod text;
pub mod totp;
pub mod validation;
