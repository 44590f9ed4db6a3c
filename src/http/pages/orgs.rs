//! The organisation page: the committee tree, groups with their communities,
//! communities and departments, each with a form to add one.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::orgs::OrgKind;
use crate::domain::roles::Role;
use crate::domain::validation::FieldErrors;
use crate::http::auth::Access;
use crate::http::auth::{PageActor, PageForm};
use crate::http::flash::{self, Flash};
use crate::http::forms::Choice;
use crate::http::render::{error_page, render_status, Ctx, ForPage, PageResult};
use crate::http::AppState;
use crate::http::{route, RouteSpec};
use crate::services::error::AppError;
use crate::services::orgs::{self as service, OrgInput, UnitInput};
use crate::storage::orgs::{Community, Department, Org};
use axum::http::Method;

/// The routes of these pages, with who may call each.
pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::{Admin, Staff};
    use Access::Roles;
    const MANAGERS: Access = Roles(&[Admin, Staff]);
    vec![
        route(Method::GET, "/orgs", MANAGERS, overview),
        route(Method::POST, "/orgs/new", MANAGERS, create_org),
        route(Method::POST, "/communities", MANAGERS, create_community),
        route(Method::POST, "/departments", MANAGERS, create_department),
    ]
}

pub struct OrgRow {
    pub name: String,
    pub kind: String,
    pub depth: usize,
    pub community: String,
}

#[derive(Template)]
#[template(path = "orgs.html")]
struct OverviewTemplate {
    ctx: Ctx,
    orgs: Vec<OrgRow>,
    communities: Vec<Community>,
    departments: Vec<Department>,
    parents: Vec<Choice>,
    owners: Vec<Choice>,
    kinds: Vec<Choice>,
    community_choices: Vec<Choice>,
    errors: FieldErrors,
    /// Which form the errors belong to: org, community or department.
    failed_form: &'static str,
}

async fn overview_page(
    state: &AppState,
    page: &PageActor,
    errors: FieldErrors,
    failed_form: &'static str,
) -> Result<OverviewTemplate, AppError> {
    let ctx = Ctx::for_page(page, "orgs");
    let orgs: Vec<Org> = service::list(&state.db, &page.actor, None).await?;
    let communities = service::list_communities(&state.db, &page.actor).await?;
    let departments = service::list_departments(&state.db, &page.actor).await?;
    let base_depth = page.actor.org_path.matches('/').count();
    let rows = orgs
        .iter()
        .map(|o| OrgRow {
            name: o.name.clone(),
            kind: OrgKind::parse("kind", &o.kind)
                .map(|k| ctx.t(k.label_key()))
                .unwrap_or_else(|_| o.kind.clone()),
            depth: o.path.matches('/').count().saturating_sub(base_depth),
            community: o
                .community_id
                .and_then(|c| communities.iter().find(|x| x.id == c))
                .map(|c| c.name.clone())
                .unwrap_or_default(),
        })
        .collect();
    let containers: Vec<&Org> = orgs
        .iter()
        .filter(|o| o.kind != OrgKind::Group.as_str())
        .collect();
    let to_choice = |o: &&Org| Choice {
        value: o.id.to_string(),
        label: o.name.clone(),
        selected: false,
    };
    let kinds: Vec<OrgKind> = if page.actor.role == Role::Admin {
        OrgKind::ALL.to_vec()
    } else {
        vec![OrgKind::Group]
    };
    let mut community_choices = vec![Choice {
        value: String::new(),
        label: "—".into(),
        selected: false,
    }];
    community_choices.extend(communities.iter().map(|c| Choice {
        value: c.id.to_string(),
        label: c.name.clone(),
        selected: false,
    }));
    Ok(OverviewTemplate {
        orgs: rows,
        parents: containers.iter().map(to_choice).collect(),
        owners: containers.iter().map(to_choice).collect(),
        kinds: kinds
            .iter()
            .map(|k| Choice {
                value: k.as_str().into(),
                label: ctx.t(k.label_key()),
                selected: *k == OrgKind::Group,
            })
            .collect(),
        community_choices,
        communities,
        departments,
        errors,
        failed_form,
        ctx,
    })
}

pub async fn overview(State(state): State<AppState>, page: PageActor) -> PageResult {
    let t = overview_page(&state, &page, FieldErrors::new(), "")
        .await
        .for_page(&page)?;
    Ok(render_status(StatusCode::OK, &t))
}

async fn after(
    state: &AppState,
    page: &PageActor,
    result: Result<(), AppError>,
    form: &'static str,
) -> Response {
    match result {
        Ok(()) => flash::redirect("/orgs", Flash::Saved),
        Err(AppError::Validation(errors)) => match overview_page(state, page, errors, form).await {
            Ok(t) => render_status(StatusCode::UNPROCESSABLE_ENTITY, &t),
            Err(e) => error_page(page.actor.locale, Some(page), e),
        },
        Err(e) => error_page(page.actor.locale, Some(page), e),
    }
}

pub async fn create_org(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<OrgInput>,
) -> Response {
    let result = service::create(&state.db, &page.actor, &form)
        .await
        .map(|_| ());
    after(&state, &page, result, "org").await
}

pub async fn create_community(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<UnitInput>,
) -> Response {
    let result = service::create_community(&state.db, &page.actor, &form)
        .await
        .map(|_| ());
    after(&state, &page, result, "community").await
}

pub async fn create_department(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<UnitInput>,
) -> Response {
    let result = service::create_department(&state.db, &page.actor, &form)
        .await
        .map(|_| ());
    after(&state, &page, result, "department").await
}
