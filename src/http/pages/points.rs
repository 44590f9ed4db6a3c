//! Duty points pages: the year's ranking (staff: their committee, a
//! district across its tree), how a member's score was made (a member sees
//! their own, each line a link to its record), and the rules form.

use crate::http::files::{xlsx_href, xlsx_list_on_page};
use crate::services::exports::{FormatParam, ListFormat, ListQuery};
use axum::extract::RawQuery;
use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use serde::Deserialize;

use crate::domain::orgs::OrgKind;
use crate::domain::paging::PageRequest;
use crate::domain::points::{JointMode, PointItem, PointsKind};
use crate::domain::roles::Role;
use crate::domain::validation::FieldErrors;
use crate::http::auth::{Access, ApiQuery, PageActor, PageForm, PathId};
use crate::http::flash::{self, Flash};
use crate::http::forms::{choices, Choice};
use crate::http::render::{
    link_with, pager, render, render_status, Ctx, ForEdit, ForPage, PageResult, Pager, Refused,
};
use crate::http::{route, AppState, RouteSpec};
use crate::services::non_blank;
use crate::services::orgs as org_service;
use crate::services::points::{
    self as service, DeductionInput, DeductionWithdrawInput, PointsBreakdown, PointsQuery, Ranking,
    RulesInput, RulesView,
};

pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::{Member, Staff};
    use Access::Roles;
    const STAFF: Access = Roles(&[Staff]);
    const BOTH: Access = Roles(&[Staff, Member]);
    vec![
        route(Method::GET, "/points", STAFF, ranking),
        route(Method::GET, "/points/rules", STAFF, rules_form),
        route(Method::POST, "/points/rules", STAFF, save_rules),
        route(Method::GET, "/points/members/{id}", BOTH, member),
        route(
            Method::POST,
            "/points/members/{id}/deductions",
            STAFF,
            add_deduction,
        ),
        route(
            Method::POST,
            "/points/deductions/{id}/withdraw",
            STAFF,
            withdraw_deduction,
        ),
    ]
}

#[derive(Template)]
#[template(path = "points/ranking.html")]
struct RankingTemplate {
    ctx: Ctx,
    r: Ranking,
    committees: Vec<Choice>,
    page: u32,
    pager: Pager,
    /// Sort links: rank, name, committee.
    sort_links: Vec<(String, String)>,
    rules_href: String,
    /// The list as an Excel workbook, with the filters set.
    export_href: String,
}

pub async fn ranking(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<PointsQuery>,
    ApiQuery(wanted): ApiQuery<FormatParam>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    if wanted.format().for_page(&page)? == ListFormat::Xlsx {
        let list = ListQuery::Points(q.clone());
        return xlsx_list_on_page(&state, &page.actor, list, raw.as_deref())
            .await
            .for_page(&page);
    }
    let r = service::ranking(&state.db, &page.actor, &q)
        .await
        .for_page(&page)?;
    let ctx = Ctx::for_page(&page, "points");
    let committees: Vec<(i64, String)> = org_service::list(&state.db, &page.actor, None)
        .await
        .for_page(&page)?
        .into_iter()
        .filter(|o| o.kind != OrgKind::Group.as_str())
        .map(|o| (o.id, o.name))
        .collect();
    let paging = PageRequest::parse(q.page.as_deref(), q.per_page.as_deref()).unwrap_or_default();
    let keep = [
        ("org", r.org_id.to_string()),
        ("year", r.year.to_string()),
        ("sort", q.sort.clone().unwrap_or_default()),
        ("dir", q.dir.clone().unwrap_or_default()),
    ];
    let sort_links = [
        ("rank", "points.sort_rank"),
        ("name", "points.sort_name"),
        ("committee", "points.sort_committee"),
    ]
    .iter()
    .map(|(s, key)| {
        (
            link_with("/points", &keep[..2], &[("sort", (*s).to_string())]),
            ctx.t(key),
        )
    })
    .collect();
    let template = RankingTemplate {
        export_href: xlsx_href("/points", raw.as_deref()),
        committees: choices(
            committees
                .into_iter()
                .map(|(id, name)| (id.to_string(), name)),
            &r.org_id.to_string(),
        ),
        page: paging.page,
        pager: pager("/points", &keep, &paging, r.total),
        sort_links,
        rules_href: format!("/points/rules?org={}&year={}", r.org_id, r.year),
        r,
        ctx,
    };
    Ok(render(&template))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct YearQuery {
    pub year: Option<String>,
}

#[derive(Template)]
#[template(path = "points/member.html")]
struct MemberTemplate {
    ctx: Ctx,
    b: PointsBreakdown,
    is_staff: bool,
    prev: String,
    next: String,
    /// The deduction form as typed (the day defaults to today).
    deduction: DeductionInput,
    errors: FieldErrors,
    /// The deduction whose take-back form was refused, its errors and its
    /// reason as typed; or a take-back on a stale read.
    withdraw_id: i64,
    withdraw_errors: FieldErrors,
    withdraw_reason: String,
    conflict: bool,
}

async fn member_page(
    state: &AppState,
    page: &PageActor,
    id: i64,
    year: Option<&str>,
) -> Result<MemberTemplate, crate::http::render::PageError> {
    let b = service::breakdown(&state.db, &page.actor, id, year)
        .await
        .for_page(page)?;
    let own = page.actor.member_id == Some(id);
    let ctx = Ctx::for_page(page, if own { "my_points" } else { "points" });
    let base = format!("/points/members/{id}");
    Ok(MemberTemplate {
        prev: link_with(&base, &[], &[("year", (b.year - 1).to_string())]),
        next: link_with(&base, &[], &[("year", (b.year + 1).to_string())]),
        is_staff: page.actor.role == Role::Staff,
        deduction: DeductionInput {
            on: Some(crate::services::steps::today().to_string()),
            ..DeductionInput::default()
        },
        errors: FieldErrors::new(),
        withdraw_id: 0,
        withdraw_errors: FieldErrors::new(),
        withdraw_reason: String::new(),
        conflict: false,
        b,
        ctx,
    })
}

pub async fn member(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> PageResult {
    let template = member_page(&state, &page, id, non_blank(&q.year)).await?;
    Ok(render(&template))
}

/// The year a deduction's day falls in, for the page to come back to.
fn year_of_day(on: Option<&str>) -> Option<String> {
    let on = on?.trim();
    chrono::NaiveDate::parse_from_str(on, "%Y-%m-%d")
        .ok()
        .map(|d| chrono::Datelike::year(&d).to_string())
}

pub async fn add_deduction(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<DeductionInput>,
) -> PageResult {
    let added = service::add_deduction(&state.db, &page.actor, id, &form)
        .await
        .for_edit(&page)?;
    match added {
        Ok(d) => Ok(flash::redirect(
            &format!(
                "/points/members/{id}?year={}#deductions",
                chrono::Datelike::year(&d.on)
            ),
            Flash::Recorded,
        )),
        Err(refused) => {
            let year = year_of_day(form.on.as_deref());
            let mut again = member_page(&state, &page, id, year.as_deref()).await?;
            let status = match refused {
                Refused::Invalid(errors) => {
                    again.errors = errors;
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                Refused::Conflict(_) => {
                    again.conflict = true;
                    StatusCode::CONFLICT
                }
            };
            again.deduction = form;
            Ok(render_status(status, &again))
        }
    }
}

pub async fn withdraw_deduction(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<DeductionWithdrawInput>,
) -> PageResult {
    let taken = service::withdraw_deduction(&state.db, &page.actor, id, &form)
        .await
        .for_edit(&page)?;
    let back = |member_id: i64, on: chrono::NaiveDate| {
        format!(
            "/points/members/{member_id}?year={}#deductions",
            chrono::Datelike::year(&on)
        )
    };
    match taken {
        Ok(d) => Ok(flash::redirect(&back(d.member_id, d.on), Flash::Saved)),
        Err(refused) => {
            let d = service::deduction(&state.db, &page.actor, id)
                .await
                .for_page(&page)?;
            let year = chrono::Datelike::year(&d.on).to_string();
            let mut again = member_page(&state, &page, d.member_id, Some(&year)).await?;
            again.withdraw_id = id;
            again.withdraw_reason = form.reason.unwrap_or_default();
            let status = match refused {
                Refused::Invalid(errors) => {
                    again.withdraw_errors = errors;
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                Refused::Conflict(_) => {
                    again.conflict = true;
                    StatusCode::CONFLICT
                }
            };
            Ok(render_status(status, &again))
        }
    }
}

/// One input of the rules form.
pub struct RuleField {
    pub name: String,
    pub label: String,
    pub value: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "points/rules.html")]
struct RulesTemplate {
    ctx: Ctx,
    view: RulesView,
    input: RulesInput,
    errors: FieldErrors,
    conflict: bool,
    prices: Vec<RuleField>,
    caps: Vec<RuleField>,
    modes: Vec<Choice>,
}

fn rules_page(
    page: &PageActor,
    view: RulesView,
    input: RulesInput,
    errors: FieldErrors,
) -> RulesTemplate {
    let ctx = Ctx::for_page(page, "points");
    // A price's or cap's error names its item.
    let item_error = |field: &str, item: &str| {
        errors
            .0
            .iter()
            .filter(|e| e.field == field && e.params.iter().any(|(k, v)| *k == "item" && v == item))
            .map(|e| crate::app::i18n::field_message(ctx.locale, e))
            .collect::<Vec<_>>()
            .join("；")
    };
    let prices = PointItem::ALL
        .iter()
        .map(|i| RuleField {
            name: format!("price_{}", i.as_str()),
            label: ctx.t(i.label_key()),
            value: input.prices.get(i.as_str()).cloned().unwrap_or_default(),
            error: item_error("price", i.as_str()),
        })
        .collect();
    let caps = PointsKind::ALL
        .iter()
        .map(|k| RuleField {
            name: format!("cap_{}", k.as_str()),
            label: ctx.t(k.label_key()),
            value: input.caps.get(k.as_str()).cloned().unwrap_or_default(),
            error: item_error("cap", k.as_str()),
        })
        .collect();
    RulesTemplate {
        modes: choices(
            JointMode::ALL
                .iter()
                .map(|m| (m.as_str().to_string(), ctx.t(m.label_key()))),
            &input.joint_mode,
        ),
        prices,
        caps,
        conflict: false,
        view,
        input,
        errors,
        ctx,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RulesQuery {
    pub org: Option<String>,
    pub year: Option<String>,
}

pub async fn rules_form(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<RulesQuery>,
) -> PageResult {
    let view = service::get_rules(
        &state.db,
        &page.actor,
        non_blank(&q.org),
        non_blank(&q.year),
    )
    .await
    .for_page(&page)?;
    let input = RulesInput::of(&view);
    Ok(render(&rules_page(&page, view, input, FieldErrors::new())))
}

pub async fn save_rules(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<BTreeMap<String, String>>,
) -> PageResult {
    let input = RulesInput::from_form(&form);
    let saved = service::save_rules(&state.db, &page.actor, &input)
        .await
        .for_edit(&page)?;
    let current = |input: &RulesInput| {
        let (org, year) = (input.org.clone(), input.year.clone());
        let state = state.clone();
        let actor = page.actor.clone();
        async move { service::get_rules(&state.db, &actor, org.as_deref(), year.as_deref()).await }
    };
    match saved {
        Ok(view) => Ok(flash::redirect(
            &format!("/points/rules?org={}&year={}", view.org_id, view.year),
            Flash::Saved,
        )),
        Err(Refused::Invalid(errors)) => {
            let view = current(&input).await.for_page(&page)?;
            let again = rules_page(&page, view, input, errors);
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &again))
        }
        Err(Refused::Conflict(_)) => {
            let view = current(&input).await.for_page(&page)?;
            let mut input = input;
            input.version = view.version.map(|v| v.to_string());
            let mut again = rules_page(&page, view, input, FieldErrors::new());
            again.conflict = true;
            Ok(render_status(StatusCode::CONFLICT, &again))
        }
    }
}
