//! What every page shares: the layout's context, rendering a template,
//! the error page, and links of paged lists.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::app::i18n::{self, Locale};
use crate::domain::roles::Role;
use crate::domain::validation::FieldErrors;
use crate::services::error::AppError;
use crate::services::Actor;

/// A signed-in user on a page (found by the gate in `http::auth`).
pub struct PageActor {
    pub actor: Actor,
    pub csrf: String,
    pub session_token: String,
    /// What the last form did, said once on this page.
    pub flash: Option<crate::http::flash::Flash>,
    /// The user's unread notifications (counted for pages read with GET).
    pub unread: i64,
}

/// What every page's layout needs: language, the signed-in user, the form token.
pub struct Ctx {
    pub locale: Locale,
    pub user: Option<NavUser>,
    pub csrf: String,
    /// The navigation entry to highlight.
    pub current: &'static str,
    /// The words of the one-time message after a save.
    pub flash: Option<String>,
    /// Unread notifications, shown in the header.
    pub unread: i64,
}

pub struct NavUser {
    pub display_name: String,
    pub role: Role,
    pub member_id: Option<i64>,
}

impl Ctx {
    pub fn visitor(locale: Locale) -> Self {
        Ctx {
            locale,
            user: None,
            csrf: String::new(),
            current: "",
            flash: None,
            unread: 0,
        }
    }

    pub fn for_page(page: &PageActor, current: &'static str) -> Self {
        Ctx {
            locale: page.actor.locale,
            user: Some(NavUser {
                display_name: page.actor.display_name.clone(),
                role: page.actor.role,
                member_id: page.actor.member_id,
            }),
            csrf: page.csrf.clone(),
            current,
            flash: page
                .flash
                .map(|f| i18n::t(page.actor.locale, f.label_key())),
            unread: page.unread,
        }
    }

    pub fn t(&self, key: &str) -> String {
        i18n::t(self.locale, key)
    }

    pub fn lang(&self) -> &'static str {
        self.locale.as_str()
    }

    pub fn is_staff(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role == Role::Staff)
    }

    pub fn role_label(&self) -> String {
        self.user
            .as_ref()
            .map(|u| self.t(u.role.label_key()))
            .unwrap_or_default()
    }

    /// Navigation entries for the user's role: (key, href, label).
    pub fn nav(&self) -> Vec<(&'static str, String, String)> {
        let Some(user) = &self.user else {
            return Vec::new();
        };
        let mut items: Vec<(&'static str, String)> = Vec::new();
        if matches!(user.role, Role::Staff | Role::Member | Role::Department) {
            items.push(("home", "/".into()));
        }
        match user.role {
            Role::Staff => {
                items.push(("members", "/members".into()));
                items.push(("orgs", "/orgs".into()));
                items.push(("reception", "/reception".into()));
                items.push(("cases", "/cases".into()));
                items.push(("activities", "/activities".into()));
                items.push(("info", "/info".into()));
                items.push(("projects", "/projects".into()));
                items.push(("plans", "/plans".into()));
                items.push(("awards", "/awards".into()));
                items.push(("points", "/points".into()));
                items.push(("proposals", "/proposals".into()));
                items.push(("search", "/search".into()));
                items.push(("reports", "/reports/summary".into()));
            }
            Role::Member => {
                if let Some(id) = user.member_id {
                    items.push(("duty_file", format!("/members/{id}")));
                    items.push(("five_ones", format!("/members/{id}/five-ones")));
                    items.push(("my_points", format!("/points/members/{id}")));
                }
                items.push(("my_activities", "/activities".into()));
                items.push(("my_info", "/info".into()));
                items.push(("my_quotas", "/plans/status".into()));
                items.push(("my_cases", "/cases".into()));
                items.push(("awards", "/awards".into()));
                items.push(("proposals", "/proposals".into()));
                items.push(("search", "/search".into()));
            }
            Role::Admin => {
                items.push(("users", "/admin/users".into()));
                items.push(("orgs", "/orgs".into()));
                items.push(("outbox", "/admin/outbox".into()));
            }
            Role::Security => items.push(("users", "/admin/users".into())),
            Role::Auditor => items.push(("audit", "/audit".into())),
            Role::Department => {
                items.push(("inbox", "/inbox".into()));
                items.push(("proposal_inbox", "/proposals".into()));
                items.push(("search", "/search".into()));
            }
        }
        items
            .into_iter()
            .map(|(key, href)| (key, href, self.t(&format!("nav.{key}"))))
            .collect()
    }

    /// Every invalid field's message.
    pub fn messages(&self, errors: &FieldErrors) -> Vec<String> {
        i18n::field_messages(self.locale, errors)
    }

    /// Messages for one field of a form, if it is invalid.
    pub fn field_error(&self, errors: &FieldErrors, field: &str) -> String {
        errors
            .for_field(field)
            .map(|e| i18n::field_message(self.locale, e))
            .unwrap_or_default()
    }
}

/// Render a template, or an error page if rendering fails.
pub fn render(template: &impl Template) -> Response {
    render_status(StatusCode::OK, template)
}

pub fn render_status(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    ctx: Ctx,
    status: u16,
    title: String,
    message: String,
}

/// An error as a page in the user's language, with the right status.
pub fn error_page(locale: Locale, page: Option<&PageActor>, error: AppError) -> Response {
    super::error::log_internal(&error);
    let ctx = match page {
        Some(page) => Ctx::for_page(page, ""),
        None => Ctx::visitor(locale),
    };
    let status = super::error::status(&error);
    let template = ErrorTemplate {
        title: ctx.t(&format!("error.title.{}", status.as_u16())),
        message: error.message(locale),
        status: status.as_u16(),
        ctx,
    };
    render_status(status, &template)
}

/// What a page handler returns when it fails: the error page, already in
/// the user's language. Handlers return `PageResult` and use `?`.
pub struct PageError(Box<Response>);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// A page's answer: the page, or the error page.
pub type PageResult = Result<Response, PageError>;

/// Turns a service's result into a page handler's: an error becomes the
/// error page for the signed-in user.
pub trait ForPage<T> {
    fn for_page(self, page: &PageActor) -> Result<T, PageError>;
}

impl<T, E: Into<AppError>> ForPage<T> for Result<T, E> {
    fn for_page(self, page: &PageActor) -> Result<T, PageError> {
        self.map_err(|e| {
            PageError(Box::new(error_page(
                page.actor.locale,
                Some(page),
                e.into(),
            )))
        })
    }
}

/// Turns a service's result into a form handler's: invalid input comes back
/// as the field errors, to show the form again with them; any other error
/// becomes the error page.
pub trait ForForm<T> {
    fn for_form(self, page: &PageActor) -> Result<Result<T, FieldErrors>, PageError>;
}

impl<T> ForForm<T> for Result<T, AppError> {
    fn for_form(self, page: &PageActor) -> Result<Result<T, FieldErrors>, PageError> {
        match self {
            Ok(value) => Ok(Ok(value)),
            Err(AppError::Validation(errors)) => Ok(Err(errors)),
            Err(e) => Err(e).for_page(page),
        }
    }
}

/// Why an edit form is shown again instead of saving.
pub enum Refused {
    /// Some fields are invalid.
    Invalid(FieldErrors),
    /// Someone else saved first (or the record is still referenced).
    Conflict(&'static str),
}

/// Turns a service's result into an edit form handler's: invalid input and
/// conflicts come back to show the form again; any other error becomes the
/// error page.
pub trait ForEdit<T> {
    fn for_edit(self, page: &PageActor) -> Result<Result<T, Refused>, PageError>;
}

impl<T> ForEdit<T> for Result<T, AppError> {
    fn for_edit(self, page: &PageActor) -> Result<Result<T, Refused>, PageError> {
        match self {
            Ok(value) => Ok(Ok(value)),
            Err(AppError::Validation(errors)) => Ok(Err(Refused::Invalid(errors))),
            Err(AppError::Conflict(code)) => Ok(Err(Refused::Conflict(code))),
            Err(e) => Err(e).for_page(page),
        }
    }
}

/// The links of a paged list: previous and next page (empty at either end),
/// keeping the other query parameters.
pub struct Pager {
    pub pages: u32,
    pub prev: String,
    pub next: String,
}

pub fn pager(
    base: &str,
    params: &[(&str, String)],
    page: &crate::domain::paging::PageRequest,
    total: i64,
) -> Pager {
    let pages = page.total_pages(total);
    let link = |n: u32| link_with(base, params, &[("page", n.to_string())]);
    Pager {
        pages,
        prev: if page.page > 1 {
            link(page.page - 1)
        } else {
            String::new()
        },
        next: if page.page < pages {
            link(page.page + 1)
        } else {
            String::new()
        },
    }
}

/// A page link that keeps the query parameters and changes some.
pub fn link_with(base: &str, params: &[(&str, String)], changes: &[(&str, String)]) -> String {
    let mut merged: Vec<(&str, String)> = params
        .iter()
        .filter(|(k, v)| !v.is_empty() && !changes.iter().any(|(ck, _)| ck == k))
        .cloned()
        .collect();
    merged.extend(changes.iter().filter(|(_, v)| !v.is_empty()).cloned());
    if merged.is_empty() {
        base.to_string()
    } else {
        format!(
            "{base}?{}",
            serde_urlencoded::to_string(&merged).unwrap_or_default()
        )
    }
}

/// The colour family of a status, the same across lifecycles: waiting for
/// someone (`wait`), being worked on (`work`), done (`done`), stopped
/// (`stop`). A badge shows its words too, so colour is never the only signal.
pub trait Toned {
    fn tone(&self) -> &'static str;
}

impl Toned for crate::domain::cases::CaseStatus {
    fn tone(&self) -> &'static str {
        use crate::domain::cases::CaseStatus::*;
        match self {
            Registered => "wait",
            Forwarded | InProgress => "work",
            Resolved | FollowedUp | Closed => "done",
        }
    }
}

impl Toned for crate::domain::proposals::ProposalStatus {
    fn tone(&self) -> &'static str {
        use crate::domain::proposals::ProposalStatus::*;
        match self {
            Draft | Submitted => "wait",
            Accepted | Assigned => "work",
            Answered | Closed => "done",
            NotAccepted | Merged | Withdrawn => "stop",
        }
    }
}

impl Toned for crate::domain::info::InfoStatus {
    fn tone(&self) -> &'static str {
        use crate::domain::info::InfoStatus::*;
        match self {
            Submitted => "wait",
            Edited => "work",
            Forwarded | Adopted => "done",
            Withdrawn => "stop",
        }
    }
}

impl Toned for crate::domain::projects::ProjectStatus {
    fn tone(&self) -> &'static str {
        use crate::domain::projects::ProjectStatus::*;
        match self {
            Preparing => "wait",
            UnderConstruction | Continuing => "work",
            Completed => "done",
        }
    }
}

impl Toned for crate::domain::plans::PlanStatus {
    fn tone(&self) -> &'static str {
        use crate::domain::plans::PlanStatus::*;
        match self {
            Met => "done",
            OnTrack => "work",
            NotDue => "wait",
            AtRisk | Missed => "stop",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_filters_and_replace_changed_params() {
        let params = [
            ("q", "孙".to_string()),
            ("page", "2".to_string()),
            ("sort", String::new()),
        ];
        assert_eq!(
            link_with("/members", &params, &[("page", "3".into())]),
            "/members?q=%E5%AD%99&page=3"
        );
        assert_eq!(link_with("/members", &[], &[]), "/members");
    }
}
