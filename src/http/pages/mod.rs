//! Server-rendered pages (askama templates, checked at compile time).

mod account;
mod activities;
mod admin;
mod archive;
mod cases;
mod exports;
mod home;
mod imports;
mod info;
mod members;
mod notifications;
mod orgs;
mod plans;
mod points;
mod projects;
mod proposals;
mod reception;
mod reports;
mod style;

use super::RouteSpec;

/// The pages' routes, with who may call each.
pub fn routes() -> Vec<RouteSpec> {
    [
        account::routes(),
        home::routes(),
        members::routes(),
        imports::routes(),
        orgs::routes(),
        admin::routes(),
        reception::routes(),
        cases::routes(),
        activities::routes(),
        proposals::routes(),
        info::routes(),
        projects::routes(),
        reports::routes(),
        archive::routes(),
        notifications::routes(),
        plans::routes(),
        points::routes(),
        exports::routes(),
        style::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
