//! Duty points as JSON: the year's ranking of a committee tree, how one
//! member's score was made, and a committee's rules of a year.

use crate::domain::audit::AuditVia;
use crate::http::files::xlsx_list;
use crate::services::exports::{FormatParam, ListFormat, ListQuery};
use axum::extract::RawQuery;
use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::roles::Role::{Member, Staff};
use crate::http::api::JsonForm;
use crate::http::auth::{Access, ApiActor, ApiQuery, PathId};
use crate::http::error::{ApiResult, ErrorBody, ForApi};
use crate::http::{route, AppState, RouteSpec};
use crate::services::non_blank;
use crate::services::points::{
    self as service, DeductionInput, DeductionView, DeductionWithdrawInput, GradeCount,
    PointsBreakdown, PointsQuery, RankedMember, RulesInput, RulesView,
};

pub fn routes() -> Vec<RouteSpec> {
    const STAFF: Access = Access::Roles(&[Staff]);
    const BOTH: Access = Access::Roles(&[Staff, Member]);
    vec![
        route(Method::GET, "/api/v1/points", STAFF, list),
        route(Method::GET, "/api/v1/points/members/{id}", BOTH, member),
        route(Method::GET, "/api/v1/points/rules", STAFF, get_rules),
        route(Method::PUT, "/api/v1/points/rules", STAFF, put_rules),
        route(
            Method::POST,
            "/api/v1/points/members/{id}/deductions",
            STAFF,
            add_deduction,
        ),
        route(
            Method::POST,
            "/api/v1/points/deductions/{id}/withdraw",
            STAFF,
            withdraw_deduction,
        ),
    ]
}

/// Filters, sorting and paging of the ranking.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PointsListParams {
    /// Committee id: a district ranks its whole tree (default: your own).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    org: Option<String>,
    /// The year (default: this year).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    year: Option<String>,
    /// rank (default) | score | name | committee
    sort: Option<String>,
    /// asc (default) | desc
    dir: Option<String>,
    /// From 1.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    page: Option<String>,
    /// 1–200, default 20.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    per_page: Option<String>,
}

/// One page of the year's ranking.
#[derive(Serialize, ToSchema)]
pub struct PointsList {
    pub org_id: i64,
    pub org_name: String,
    pub year: i32,
    pub items: Vec<RankedMember>,
    pub total: i64,
    /// How many members have each grade.
    pub grades: Vec<GradeCount>,
}

#[utoipa::path(get, path = "/api/v1/points", tag = "points", params(PointsListParams, FormatParam),
    description = "Every member's duty points of a year across a committee and the committees under it, computed from the records and each committee's rules, ranked.",
    responses((status = 200, description = "The list as JSON; with `format=xlsx` every matching row as an Excel workbook (audited)", content((PointsList = "application/json"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")), headers(("x-row-count" = i64, description = "rows in the workbook (xlsx only)"))), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<PointsQuery>,
    ApiQuery(wanted): ApiQuery<FormatParam>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    if wanted.format().for_api(actor.locale)? == ListFormat::Xlsx {
        let list = ListQuery::Points(q);
        return xlsx_list(&state.db, &actor, AuditVia::Api, list, raw.as_deref())
            .await
            .for_api(actor.locale);
    }
    let r = service::ranking(&state.db, &actor, &q)
        .await
        .for_api(actor.locale)?;
    Ok(Json(PointsList {
        org_id: r.org_id,
        org_name: r.org_name,
        year: r.year,
        items: r.items,
        total: r.total,
        grades: r.grades,
    })
    .into_response())
}

/// The year of a breakdown.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PointsYearParam {
    /// The year (default: this year).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub year: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/points/members/{id}", tag = "points", params(("id" = i64, Path), PointsYearParam),
    description = "How a member's score was made: each line names the record that earned it (type, id, page) and the rule (item, price, share) that priced it. A member reads only their own.",
    responses((status = 200, body = PointsBreakdown), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn member(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<PointsYearParam>,
) -> ApiResult {
    let b = service::breakdown(&state.db, &actor, id, non_blank(&q.year))
        .await
        .for_api(actor.locale)?;
    Ok(Json(b).into_response())
}

/// The committee and year of the rules.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PointsRulesParams {
    /// Committee id (default: your own).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub org: Option<String>,
    /// The year (default: this year).
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    pub year: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/points/rules", tag = "points", params(PointsRulesParams),
    description = "A committee's points rules of a year: its own, or the documented default (`source`: standard) when it saved none.",
    responses((status = 200, body = RulesView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn get_rules(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<PointsRulesParams>,
) -> ApiResult {
    let v = service::get_rules(&state.db, &actor, non_blank(&q.org), non_blank(&q.year))
        .await
        .for_api(actor.locale)?;
    Ok(Json(v).into_response())
}

/// A committee's points rules of a year. Points have at most one decimal.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct PointsRulesBody {
    /// 基础分, 0–1000.
    base: f64,
    /// Item → points (negative: a deduction), e.g. `{"info_submitted": 2, "plenary_absent": -10}`; an item left out earns nothing.
    prices: BTreeMap<String, f64>,
    /// Kind (plenary, activity, proposal, info, research, reception, award) → the most it earns in a year; left out: not capped.
    caps: BTreeMap<String, f64>,
    /// each (every co-signer earns `cosigner_pct`) | shared (the co-signers share what the lead leaves)
    joint_mode: String,
    /// Percent of a joint record's price the lead earns, 0–100.
    lead_pct: i64,
    /// `each`: percent every co-signer earns, 0–100.
    cosigner_pct: i64,
    /// 优秀 from.
    excellent_from: f64,
    /// 良好 from … to.
    good_from: f64,
    good_to: f64,
    /// 称职 from … to.
    competent_from: f64,
    competent_to: f64,
    /// 不称职 up to (each band starts one tenth above the next one's end).
    unfit_to: f64,
    /// The version read, when the committee has saved rules.
    version: Option<i64>,
}

#[utoipa::path(put, path = "/api/v1/points/rules", tag = "points", params(PointsRulesParams), request_body = PointsRulesBody,
    description = "Save a committee's rules of a year; every score of the year follows at once. Grade bands that overlap or leave a gap, a negative base or a percent above 100 are refused, naming the field, and nothing is saved.",
    responses((status = 200, body = RulesView), (status = 400, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "changed by someone else since it was read"),
        (status = 422, body = ErrorBody)))]
pub async fn put_rules(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<PointsRulesParams>,
    JsonForm(mut input): JsonForm<RulesInput>,
) -> ApiResult {
    if let Some(org) = non_blank(&q.org) {
        input.org = Some(org.to_string());
    }
    if let Some(year) = non_blank(&q.year) {
        input.year = Some(year.to_string());
    }
    let v = service::save_rules(&state.db, &actor, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(v).into_response())
}

/// A deduction from a member's points.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct DeductionBody {
    /// The day, `YYYY-MM-DD`, not after today; it counts in its year.
    #[schema(format = Date)]
    on: String,
    /// Points taken off: above 0, at most 100, one decimal (`5`, `2.5`).
    points: f64,
    /// Why (required, up to 200 characters), e.g. 无故缺席全体会议.
    reason: String,
}

/// Taking a deduction back.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct DeductionWithdrawBody {
    /// Why (required, up to 200 characters).
    reason: String,
    /// The deduction's version as read.
    version: i64,
}

#[utoipa::path(post, path = "/api/v1/points/members/{id}/deductions", tag = "points", params(("id" = i64, Path)),
    request_body = DeductionBody,
    description = "Take points off a member's year (扣分), with the day and the reason; the score and the ranking of that year follow at once. Points above 0 and at most 100 with one decimal, a reason, a day not after today: a wrong field is named and nothing is saved. Staff within their subtree; another committee's member is 404.",
    responses((status = 201, body = DeductionView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_deduction(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<DeductionInput>,
) -> ApiResult {
    let d = service::add_deduction(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

#[utoipa::path(post, path = "/api/v1/points/deductions/{id}/withdraw", tag = "points", params(("id" = i64, Path)),
    request_body = DeductionWithdrawBody,
    description = "Take a deduction back, with the reason and the version read: it is kept, shown as taken back, and no longer counts.",
    responses((status = 200, body = DeductionView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "changed or taken back by someone else since it was read"),
        (status = 422, body = ErrorBody)))]
pub async fn withdraw_deduction(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<DeductionWithdrawInput>,
) -> ApiResult {
    let d = service::withdraw_deduction(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(d).into_response())
}
