//! Administration pages: accounts (system admin creates, security admin grants
//! roles) and the audit log (audit admin).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::app::i18n::t_with;
use crate::domain::audit::{AuditAction, AuditObject};
use crate::domain::paging::PageRequest;
use crate::domain::roles::Role;
use crate::domain::validation::FieldErrors;
use crate::http::auth::Access;
use crate::http::auth::{ApiQuery, PageActor, PageForm, PathId};
use crate::http::forms::{Choice, Confirmed};
use crate::http::render::{error_page, render, render_status, Ctx, ForForm, ForPage, PageResult};
use crate::http::AppState;
use crate::http::{route, RouteSpec};
use crate::services::audit::{self as audit_service, AuditQuery};
use crate::services::audit_words::AuditRow;
use crate::services::error::AppError;
use crate::services::users::{
    self as service, AccountAction, AccountActionInput, Creator, RoleInput, UserInput,
};
use crate::storage::users::User;
use axum::http::Method;

/// The routes of these pages, with who may call each.
pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::{Admin, Auditor, Security};
    use Access::Roles;
    vec![
        route(
            Method::GET,
            "/admin/users",
            Roles(&[Admin, Security]),
            users,
        ),
        route(Method::POST, "/admin/users", Roles(&[Admin]), create_user),
        route(
            Method::POST,
            "/admin/users/{id}/role",
            Roles(&[Security]),
            set_role,
        ),
        route(
            Method::POST,
            "/admin/users/{id}/disable",
            Roles(&[Admin]),
            disable_user,
        ),
        route(
            Method::POST,
            "/admin/users/{id}/enable",
            Roles(&[Admin]),
            enable_user,
        ),
        route(
            Method::POST,
            "/admin/users/{id}/reset-password",
            Roles(&[Admin]),
            reset_password,
        ),
        route(Method::GET, "/audit", Roles(&[Auditor]), audit),
        route(
            Method::GET,
            "/audit/export",
            Roles(&[Auditor]),
            audit_export,
        ),
    ]
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    page: Option<String>,
    per_page: Option<String>,
}

pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub role_value: String,
    pub org: String,
    pub version: i64,
    pub must_change_password: bool,
    pub disabled: bool,
    /// The system admin may disable or reset it: not their own, not the trio's.
    pub manageable: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersTemplate {
    ctx: Ctx,
    rows: Vec<UserRow>,
    total: i64,
    prev: String,
    next: String,
    can_create: bool,
    can_grant: bool,
    roles: Vec<Choice>,
    orgs: Vec<Choice>,
    /// Members without an account, grouped by committee: (committee, choices).
    members: Vec<(String, Vec<Choice>)>,
    /// The list stopped at its limit: the form says so.
    members_capped: bool,
    departments: Vec<Choice>,
    input: UserInput,
    errors: FieldErrors,
    created: String,
    /// The system admin's view of the scheduled backups (lines to show, and
    /// whether the newest run failed).
    backups: Vec<String>,
    backup_failed: bool,
}

/// The backup schedule in words: on or off, the last good backup, a failure since.
async fn backup_lines(
    state: &AppState,
    page: &PageActor,
    ctx: &Ctx,
) -> Result<(Vec<String>, bool), AppError> {
    let status = crate::services::backups::status(&state.db, &page.actor, &state.settings).await?;
    let locale = ctx.locale;
    let mut lines = Vec::new();
    if status.scheduled {
        lines.push(if status.interval_seconds % 3600 == 0 {
            t_with(
                locale,
                "backup.status_schedule_hours",
                &[
                    ("hours", (status.interval_seconds / 3600).to_string()),
                    ("keep", status.keep.to_string()),
                ],
            )
        } else {
            t_with(
                locale,
                "backup.status_schedule_seconds",
                &[
                    ("seconds", status.interval_seconds.to_string()),
                    ("keep", status.keep.to_string()),
                ],
            )
        });
    } else {
        lines.push(ctx.t("backup.status_off"));
    }
    lines.push(match &status.last_ok {
        Some(run) => t_with(
            locale,
            "backup.status_last_ok",
            &[
                ("at", crate::app::clock::shown_to_second(run.started_at)),
                ("file", run.file_name.clone()),
                ("bytes", run.bytes.to_string()),
                ("rows", run.audit_rows.to_string()),
            ],
        ),
        None => ctx.t("backup.status_none_yet"),
    });
    if let Some(run) = &status.failure {
        lines.push(t_with(
            locale,
            "backup.status_failed",
            &[
                ("at", crate::app::clock::shown_to_second(run.started_at)),
                ("error", run.error.clone().unwrap_or_default()),
            ],
        ));
    }
    Ok((lines, status.failure.is_some()))
}

async fn users_page(
    state: &AppState,
    page: &PageActor,
    query: &PageQuery,
    input: UserInput,
    errors: FieldErrors,
    created: String,
) -> Result<UsersTemplate, AppError> {
    let request = PageRequest::parse(query.page.as_deref(), query.per_page.as_deref())
        .map_err(AppError::BadRequest)?;
    let (users, total) = service::list(&state.db, &page.actor, &request).await?;
    let ctx = Ctx::for_page(page, "users");
    let orgs = crate::services::orgs::list(&state.db, &page.actor, None).await?;
    let org_name = |id: i64| {
        orgs.iter()
            .find(|o| o.id == id)
            .map(|o| o.name.clone())
            .unwrap_or_default()
    };
    let rows = users
        .iter()
        .map(|u: &User| UserRow {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u
                .role
                .as_deref()
                .and_then(|r| Role::parse("role", r).ok())
                .map(|r| ctx.t(r.label_key()))
                .unwrap_or_else(|| ctx.t("user.no_role")),
            role_value: u.role.clone().unwrap_or_default(),
            org: org_name(u.org_id),
            version: u.version,
            must_change_password: u.must_change_password,
            disabled: u.disabled,
            manageable: page.actor.role == Role::Admin
                && u.id != page.actor.user_id
                && !u
                    .role
                    .as_deref()
                    .and_then(|r| Role::parse("role", r).ok())
                    .is_some_and(|r| r.is_admin_trio()),
        })
        .collect();
    let params = [("per_page", query.per_page.clone().unwrap_or_default())];
    let pager = crate::http::render::pager("/admin/users", &params, &request, total);
    let (linkable, departments) = if page.actor.role == Role::Admin {
        service::link_choices(&state.db, &page.actor).await?
    } else {
        (Vec::new(), Vec::new())
    };
    let members_capped = linkable.len() as i64 >= service::LINKABLE_MAX;
    let (backups, backup_failed) = if page.actor.role == Role::Admin {
        backup_lines(state, page, &ctx).await?
    } else {
        (Vec::new(), false)
    };
    let mut members: Vec<(String, Vec<Choice>)> = Vec::new();
    for m in linkable {
        let choice = Choice {
            selected: input.member_id.as_deref() == Some(&m.id.to_string()),
            value: m.id.to_string(),
            label: m.name,
        };
        match members.last_mut() {
            Some((org, list)) if *org == m.org_name => list.push(choice),
            _ => members.push((m.org_name, vec![choice])),
        }
    }
    let departments = departments
        .into_iter()
        .map(|d| Choice {
            selected: input.department_id.as_deref() == Some(&d.id.to_string()),
            value: d.id.to_string(),
            label: d.name,
        })
        .collect();
    Ok(UsersTemplate {
        rows,
        total,
        prev: pager.prev,
        next: pager.next,
        can_create: page.actor.role == Role::Admin,
        can_grant: page.actor.role == Role::Security,
        roles: Role::ALL
            .iter()
            .map(|r| Choice {
                value: r.as_str().into(),
                label: ctx.t(r.label_key()),
                selected: false,
            })
            .collect(),
        orgs: orgs
            .iter()
            .map(|o| Choice {
                selected: input.org_id.as_deref() == Some(&o.id.to_string()),
                value: o.id.to_string(),
                label: o.name.clone(),
            })
            .collect(),
        members,
        members_capped,
        departments,
        input,
        errors,
        created,
        backups,
        backup_failed,
        ctx,
    })
}

pub async fn users(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> PageResult {
    let t = users_page(
        &state,
        &page,
        &query,
        UserInput::default(),
        FieldErrors::new(),
        String::new(),
    )
    .await
    .for_page(&page)?;
    Ok(render(&t))
}

pub async fn create_user(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<UserInput>,
) -> Response {
    let query = PageQuery::default();
    let result = service::create_with_policy(
        &state.db,
        &state.policies().password,
        Creator::Admin(&page.actor),
        &form,
        None,
    )
    .await;
    let rendered = match result {
        Ok((user, password)) => {
            let created = match password {
                Some(p) => format!(
                    "{}：{} / {}",
                    crate::app::i18n::t(page.actor.locale, "user.created"),
                    user.username,
                    p
                ),
                None => format!(
                    "{}：{}",
                    crate::app::i18n::t(page.actor.locale, "user.created"),
                    user.username
                ),
            };
            users_page(
                &state,
                &page,
                &query,
                UserInput::default(),
                FieldErrors::new(),
                created,
            )
            .await
            .map(|t| (StatusCode::OK, t))
        }
        Err(AppError::Validation(errors)) => {
            users_page(&state, &page, &query, form, errors, String::new())
                .await
                .map(|t| (StatusCode::UNPROCESSABLE_ENTITY, t))
        }
        Err(e) => Err(e),
    };
    match rendered {
        Ok((status, t)) => render_status(status, &t),
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

#[derive(Template)]
#[template(path = "role_confirm.html")]
struct RoleConfirmTemplate {
    ctx: Ctx,
    user_id: i64,
    question: String,
    role: String,
    version: String,
}

/// An account as named in a question or a message: display name and username.
fn account_name(user: &User) -> String {
    format!("{}（{}）", user.display_name, user.username)
}

fn role_name(ctx: &Ctx, role: Option<Role>) -> String {
    role.map_or_else(|| ctx.t("user.no_role"), |r| ctx.t(r.label_key()))
}

/// Changing a role asks first, naming the account and its role before and
/// after; once confirmed, the list says what was done.
pub async fn set_role(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<Confirmed<RoleInput>>,
) -> PageResult {
    let confirmed = form.is_confirmed();
    let input = form.input;
    let query = PageQuery::default();
    let refused = |errors| async {
        let t = users_page(
            &state,
            &page,
            &query,
            UserInput::default(),
            errors,
            String::new(),
        )
        .await
        .for_page(&page)?;
        Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &t))
    };
    let change = match service::role_change(&state.db, &page.actor, id, &input)
        .await
        .for_form(&page)?
    {
        Ok(change) => change,
        Err(errors) => return refused(errors).await,
    };
    let ctx = Ctx::for_page(&page, "users");
    let words = [
        ("account", account_name(&change.user)),
        ("from", role_name(&ctx, change.from)),
        ("to", role_name(&ctx, change.to)),
    ];
    if !confirmed {
        return Ok(render(&RoleConfirmTemplate {
            question: t_with(ctx.locale, "user.role_confirm_question", &words),
            user_id: id,
            role: input.role.clone(),
            version: input.version.clone().unwrap_or_default(),
            ctx,
        }));
    }
    match service::set_role(&state.db, &page.actor, id, &input)
        .await
        .for_form(&page)?
    {
        Ok(_) => {
            let done = t_with(ctx.locale, "user.role_changed", &words);
            let t = users_page(
                &state,
                &page,
                &query,
                UserInput::default(),
                FieldErrors::new(),
                done,
            )
            .await
            .for_page(&page)?;
            Ok(render(&t))
        }
        Err(errors) => refused(errors).await,
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTemplate {
    ctx: Ctx,
    rows: Vec<AuditRow>,
    total: i64,
    prev: String,
    next: String,
    query: AuditQuery,
    /// The filter's choices: every action and object type, in words.
    actions: Vec<Choice>,
    objects: Vec<Choice>,
    errors: FieldErrors,
    /// A refused action or object filter, named as the page names it.
    action_error: String,
    object_error: String,
    export: String,
    retention: String,
    /// Rows left unlinked past `Waiting::STALLED_AFTER`, in words (else empty).
    waiting: String,
}

/// The audit log in words, filtered (from, to, action, object type, user
/// name or display name) and paged, with how far back it reaches and an
/// export of what the filters select. A filter that is not valid comes back
/// with its field error (400).
pub async fn audit(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> PageResult {
    let locale = page.actor.locale;
    let listed = audit_service::list_in_words(&state.db, &page.actor, &query).await;
    let (rows, total, request, errors) = match listed {
        Ok((rows, total, request)) => (rows, total, Some(request), FieldErrors::new()),
        Err(AppError::BadRequest(errors)) => (Vec::new(), 0, None, errors),
        Err(e) => return Err(e).for_page(&page),
    };
    let retention = audit_service::retention(&state.db, state.settings.audit_retention_days)
        .await
        .for_page(&page)?;
    let waiting = audit_service::waiting(&state.db).await.for_page(&page)?;
    let waiting = if waiting.stalled(chrono::Utc::now()) {
        waiting.describe(locale)
    } else {
        String::new()
    };
    let mut params = query.params();
    params.push(("per_page", query.per_page.clone().unwrap_or_default()));
    let pager = match &request {
        Some(request) => crate::http::render::pager("/audit", &params, request, total),
        None => crate::http::render::Pager {
            pages: 0,
            prev: String::new(),
            next: String::new(),
        },
    };
    let export = crate::http::render::link_with("/audit/export", &query.params(), &[]);
    let selected = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_string();
    let actions = crate::http::forms::choices(
        AuditAction::ALL.iter().map(|a| {
            (
                a.as_str().to_string(),
                crate::app::i18n::t(locale, a.label_key()),
            )
        }),
        &selected(&query.action),
    );
    let objects = crate::http::forms::choices(
        AuditObject::ALL.iter().map(|o| {
            (
                o.as_str().to_string(),
                crate::app::i18n::t(locale, o.label_key()),
            )
        }),
        &selected(&query.object_type),
    );
    let filter_error = |field: &str, label: &str| {
        errors
            .for_field(field)
            .map(|e| {
                let separator = if locale == crate::app::i18n::Locale::ZhCn {
                    "："
                } else {
                    ": "
                };
                let message =
                    crate::app::i18n::t_with(locale, &format!("error.{}", e.code), &e.params);
                format!("{}{separator}{message}", crate::app::i18n::t(locale, label))
            })
            .unwrap_or_default()
    };
    let action_error = filter_error("action", "audit.action");
    let object_error = filter_error("object_type", "audit.object");
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    Ok(render_status(
        status,
        &AuditTemplate {
            ctx: Ctx::for_page(&page, "audit"),
            rows,
            total,
            prev: pager.prev,
            next: pager.next,
            actions,
            objects,
            errors,
            action_error,
            object_error,
            export,
            retention: retention.describe(locale),
            waiting,
            query,
        },
    ))
}

/// The CSV export of what the audit page's filters select (audited).
pub async fn audit_export(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> PageResult {
    let export = audit_service::export(&state.db, &page.actor, &query, "page")
        .await
        .for_page(&page)?;
    Ok(crate::http::files::csv_response(export))
}

/// Disable an account (system admin; POST with the version read).
pub async fn disable_user(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<AccountActionInput>,
) -> Response {
    account_action(&state, &page, id, AccountAction::Disable, &form).await
}

/// Re-enable a disabled account.
pub async fn enable_user(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<AccountActionInput>,
) -> Response {
    account_action(&state, &page, id, AccountAction::Enable, &form).await
}

/// Reset an account's password to a random one, shown once on the answer.
pub async fn reset_password(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<AccountActionInput>,
) -> Response {
    account_action(&state, &page, id, AccountAction::ResetPassword, &form).await
}

async fn account_action(
    state: &AppState,
    page: &PageActor,
    id: i64,
    action: AccountAction,
    form: &AccountActionInput,
) -> Response {
    let query = PageQuery::default();
    let locale = page.actor.locale;
    let result =
        service::account_action(&state.db, Creator::Admin(&page.actor), id, action, form).await;
    let rendered = match result {
        Ok(change) => {
            let username = change.user.username.clone();
            let message = match (action, change.password) {
                (AccountAction::ResetPassword, Some(password)) => crate::app::i18n::t_with(
                    locale,
                    "account.reset_done",
                    &[("username", username), ("password", password)],
                ),
                (AccountAction::Disable, _) => crate::app::i18n::t_with(
                    locale,
                    "account.disabled_done",
                    &[("username", username)],
                ),
                _ => crate::app::i18n::t_with(
                    locale,
                    "account.enabled_done",
                    &[("username", username)],
                ),
            };
            users_page(
                state,
                page,
                &query,
                UserInput::default(),
                FieldErrors::new(),
                message,
            )
            .await
            .map(|t| (StatusCode::OK, t))
        }
        Err(AppError::Validation(errors)) => users_page(
            state,
            page,
            &query,
            UserInput::default(),
            errors,
            String::new(),
        )
        .await
        .map(|t| (StatusCode::UNPROCESSABLE_ENTITY, t)),
        Err(e) => Err(e),
    };
    match rendered {
        Ok((status, t)) => render_status(status, &t),
        Err(e) => error_page(locale, Some(page), e),
    }
}
