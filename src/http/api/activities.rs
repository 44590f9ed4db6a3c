//! The API of activities, attachments, awards and the 'five-ones'.

use crate::domain::audit::AuditVia;
use crate::http::files::xlsx_list;
use crate::services::exports::{FormatParam, ListFormat, ListQuery};
use axum::extract::RawQuery;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{upload, Page};
use crate::http::api::JsonForm;
use crate::http::auth::{Access, ApiActor, ApiJson, ApiQuery, PathId};
use crate::http::error::{ApiResult, ErrorBody, ForApi};
use crate::http::files::{download_response, upload_route, UploadForm};
use crate::http::input::text_of;
use crate::http::{route, AppState, RouteSpec};
use crate::services::activities::{
    self as service, ActivityDetail, ActivityInput, ActivityQuery, FiveOnesChecklist, ReportInput,
};
use crate::services::attachments::{self as files, Owner};
use crate::services::awards::{self as award_service, AwardInput, AwardQuery, AwardStepInput};
use crate::storage::activities::{Activity, Invitation, ResearchReport};
use crate::storage::attachments::Attachment;
use crate::storage::awards::Award;

pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::{Department, Member, Staff};
    use Access::Roles;
    const STAFF: Access = Roles(&[Staff]);
    const BOTH: Access = Roles(&[Staff, Member]);
    vec![
        route(Method::GET, "/api/v1/activities", BOTH, list),
        route(Method::POST, "/api/v1/activities", BOTH, create),
        route(Method::GET, "/api/v1/activities/{id}", BOTH, get),
        route(Method::PUT, "/api/v1/activities/{id}", STAFF, update),
        route(
            Method::POST,
            "/api/v1/activities/{id}/invitations",
            STAFF,
            invite,
        ),
        route(
            Method::POST,
            "/api/v1/activities/{id}/reply",
            Roles(&[Member]),
            reply,
        ),
        route(
            Method::POST,
            "/api/v1/activities/{id}/attendance",
            STAFF,
            attendance,
        ),
        route(
            Method::POST,
            "/api/v1/activities/{id}/decision",
            STAFF,
            decide,
        ),
        route(Method::PUT, "/api/v1/activities/{id}/report", STAFF, report),
        route(
            Method::GET,
            "/api/v1/activities/{id}/attachments",
            BOTH,
            list_attachments,
        ),
        upload_route(route(
            Method::POST,
            "/api/v1/activities/{id}/attachments",
            BOTH,
            upload_to_activity,
        )),
        route(
            Method::GET,
            "/api/v1/attachments/{id}",
            Roles(&[Staff, Member, Department]),
            download,
        ),
        route(Method::GET, "/api/v1/awards", BOTH, list_awards),
        route(Method::POST, "/api/v1/awards", STAFF, create_award),
        route(Method::POST, "/api/v1/awards/{id}/steps", STAFF, award_step),
        upload_route(route(
            Method::POST,
            "/api/v1/awards/{id}/attachments",
            STAFF,
            upload_to_award,
        )),
        route(
            Method::GET,
            "/api/v1/members/{id}/five-ones",
            BOTH,
            five_ones,
        ),
    ]
}

/// Query parameters of the activity list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ActivityListParams {
    /// Activity kind, e.g. `study`.
    kind: Option<String>,
    /// Member group id.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    group: Option<String>,
    /// Committee (organisation) id.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    org: Option<String>,
    /// From this date (YYYY-MM-DD), inclusive.
    from: Option<String>,
    /// To this date (YYYY-MM-DD), inclusive.
    to: Option<String>,
    /// pending | approved | rejected
    approval: Option<String>,
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    page: Option<String>,
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    per_page: Option<String>,
}

/// An activity's fields as JSON. Numbers may be sent as numbers or strings.
#[derive(Deserialize, ToSchema)]
pub struct ActivityBody {
    pub kind: String,
    pub title: String,
    /// YYYY-MM-DD
    #[serde(default)]
    pub held_on: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub organiser: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Whole 元.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub amount_yuan: Option<serde_json::Value>,
    /// suggestion | deed | technical | information | poverty_aid
    #[serde(default)]
    pub five_ones: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub org_id: Option<serde_json::Value>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub group_id: Option<serde_json::Value>,
    /// Required on update.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub version: Option<serde_json::Value>,
}

impl From<ActivityBody> for ActivityInput {
    fn from(b: ActivityBody) -> Self {
        ActivityInput {
            kind: b.kind,
            title: b.title,
            held_on: b.held_on,
            place: b.place,
            organiser: b.organiser,
            description: b.description,
            amount_yuan: b.amount_yuan.as_ref().map(text_of),
            five_ones: b.five_ones,
            org_id: b.org_id.as_ref().map(text_of),
            group_id: b.group_id.as_ref().map(text_of),
            version: b.version.as_ref().map(text_of),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/activities", tag = "activities", params(ActivityListParams, FormatParam),
    responses((status = 200, description = "The list as JSON; with `format=xlsx` every matching row as an Excel workbook (audited)", content((Page<Activity> = "application/json"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")), headers(("x-row-count" = i64, description = "rows in the workbook (xlsx only)"))), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(query): ApiQuery<ActivityQuery>,
    ApiQuery(wanted): ApiQuery<FormatParam>,
    RawQuery(raw): RawQuery,
) -> ApiResult {
    if wanted.format().for_api(actor.locale)? == ListFormat::Xlsx {
        let list = ListQuery::Activities(query);
        return xlsx_list(&state.db, &actor, AuditVia::Api, list, raw.as_deref())
            .await
            .for_api(actor.locale);
    }
    let found = service::list(&state.db, &actor, &query)
        .await
        .for_api(actor.locale)?;
    Ok(Page {
        items: found.items,
        total: found.total,
    }
    .into_response())
}

#[utoipa::path(post, path = "/api/v1/activities", tag = "activities", request_body = ActivityBody,
    description = "Staff create an activity; a member logs their own, which counts once staff approve it.",
    responses((status = 201, body = Activity), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<ActivityBody>,
) -> ApiResult {
    let a = service::create(&state.db, &actor, &body.into())
        .await
        .for_api(actor.locale)?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

#[utoipa::path(get, path = "/api/v1/activities/{id}", tag = "activities", params(("id" = i64, Path)),
    responses((status = 200, body = ActivityDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
) -> ApiResult {
    let d = service::detail(&state.db, &actor, id)
        .await
        .for_api(actor.locale)?;
    Ok(Json(d).into_response())
}

#[utoipa::path(put, path = "/api/v1/activities/{id}", tag = "activities", params(("id" = i64, Path)), request_body = ActivityBody,
    responses((status = 200, body = Activity), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    ApiJson(body): ApiJson<ActivityBody>,
) -> ApiResult {
    let a = service::update(&state.db, &actor, id, &body.into())
        .await
        .for_api(actor.locale)?;
    Ok(Json(a).into_response())
}

/// Members to invite.
#[derive(Deserialize, ToSchema)]
pub struct InviteBody {
    #[schema(value_type = Vec<i64>)]
    pub member_ids: Vec<serde_json::Value>,
}

#[utoipa::path(post, path = "/api/v1/activities/{id}/invitations", tag = "activities", params(("id" = i64, Path)), request_body = InviteBody,
    responses((status = 200, body = Vec<Invitation>), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn invite(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    ApiJson(body): ApiJson<InviteBody>,
) -> ApiResult {
    let ids: Vec<String> = body.member_ids.iter().map(text_of).collect();
    let list = service::invite(&state.db, &actor, id, &ids)
        .await
        .for_api(actor.locale)?;
    Ok(Json(list).into_response())
}

/// An invited member's answer.
#[derive(Deserialize, ToSchema)]
pub struct ReplyBody {
    /// confirmed | excused
    pub reply: String,
    /// Required when excused.
    #[serde(default)]
    pub reason: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/activities/{id}/reply", tag = "activities", params(("id" = i64, Path)), request_body = ReplyBody,
    responses((status = 200, body = Invitation), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reply(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    ApiJson(body): ApiJson<ReplyBody>,
) -> ApiResult {
    let i = service::reply(&state.db, &actor, id, &body.reply, body.reason.as_deref())
        .await
        .for_api(actor.locale)?;
    Ok(Json(i).into_response())
}

/// Attendance as staff confirm it.
#[derive(Deserialize, ToSchema)]
pub struct AttendanceBody {
    #[schema(value_type = i64)]
    pub member_id: serde_json::Value,
    /// present | excused | absent
    pub attendance: String,
    /// Required when excused.
    #[serde(default)]
    pub reason: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/activities/{id}/attendance", tag = "activities", params(("id" = i64, Path)), request_body = AttendanceBody,
    description = "Only an invited member's attendance is recorded; any other member is refused with `not_invited`.",
    responses((status = 200, body = Invitation), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn attendance(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    ApiJson(body): ApiJson<AttendanceBody>,
) -> ApiResult {
    let member = text_of(&body.member_id);
    let i = service::record_attendance(
        &state.db,
        &actor,
        id,
        &member,
        &body.attendance,
        body.reason.as_deref(),
    )
    .await
    .for_api(actor.locale)?;
    Ok(Json(i).into_response())
}

/// Staff's decision on a member's own log.
#[derive(Deserialize, ToSchema)]
pub struct DecisionBody {
    /// approve | reject
    pub decision: String,
    /// Required to reject.
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub version: Option<serde_json::Value>,
}

#[utoipa::path(post, path = "/api/v1/activities/{id}/decision", tag = "activities", params(("id" = i64, Path)), request_body = DecisionBody,
    responses((status = 200, body = Activity), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    ApiJson(body): ApiJson<DecisionBody>,
) -> ApiResult {
    let version = body.version.as_ref().map(text_of);
    let a = service::decide(
        &state.db,
        &actor,
        id,
        &body.decision,
        body.reason.as_deref(),
        &version,
    )
    .await
    .for_api(actor.locale)?;
    Ok(Json(a).into_response())
}

/// A research report.
#[derive(Deserialize, ToSchema)]
pub struct ReportBody {
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub submitted_to: String,
    /// YYYY-MM-DD
    #[serde(default)]
    pub submitted_on: String,
    /// Required when replacing a report.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub version: Option<serde_json::Value>,
}

#[utoipa::path(put, path = "/api/v1/activities/{id}/report", tag = "activities", params(("id" = i64, Path)), request_body = ReportBody,
    description = "The report (调研报告) of a research or inspection trip; its file is an attachment of category `report`.",
    responses((status = 200, body = ResearchReport), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    ApiJson(body): ApiJson<ReportBody>,
) -> ApiResult {
    let input = ReportInput {
        title: body.title,
        body: body.body,
        submitted_to: body.submitted_to,
        submitted_on: body.submitted_on,
        version: body.version.as_ref().map(text_of),
    };
    let r = service::save_report(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(r).into_response())
}

#[utoipa::path(get, path = "/api/v1/activities/{id}/attachments", tag = "activities", params(("id" = i64, Path)),
    responses((status = 200, body = Page<Attachment>), (status = 404, body = ErrorBody)))]
pub async fn list_attachments(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
) -> ApiResult {
    let items = files::list(&state.db, &actor, Owner::Activity(id))
        .await
        .for_api(actor.locale)?;
    let total = items.len() as i64;
    Ok(Page { items, total }.into_response())
}

#[utoipa::path(post, path = "/api/v1/activities/{id}/attachments", tag = "activities", params(("id" = i64, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    description = "Staff attach photos, minutes, documents and report files; a member only to their own log while it waits for approval.",
    responses((status = 201, body = Attachment), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody, description = "empty, too large, an executable, or not an accepted type"), (status = 404, body = ErrorBody)))]
pub async fn upload_to_activity(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    request: Request,
) -> ApiResult {
    upload(&state, &actor, Owner::Activity(id), request).await
}

#[utoipa::path(post, path = "/api/v1/awards/{id}/attachments", tag = "awards", params(("id" = i64, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Attachment), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn upload_to_award(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    request: Request,
) -> ApiResult {
    upload(&state, &actor, Owner::Award(id), request).await
}

#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "activities", params(("id" = i64, Path)),
    description = "The file, for those who may see its record (anyone else gets 404), as `Content-Disposition: attachment` under its original name.",
    responses((status = 200, description = "the file's content"), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
) -> ApiResult {
    let store = files::Store::from_settings(&state.settings);
    let (a, bytes) = files::open(&state.db, &store, &actor, id)
        .await
        .for_api(actor.locale)?;
    Ok(download_response(&a, bytes))
}

/// Query parameters of the award list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AwardListParams {
    /// Member id.
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    member: Option<String>,
    #[param(value_type = Option<String>, pattern = "^\\s*[0-9]*\\s*$")]
    year: Option<String>,
    /// new_suggestion | new_investment | new_contribution | other
    category: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/awards", tag = "awards", params(AwardListParams),
    responses((status = 200, body = Page<Award>), (status = 400, body = ErrorBody)))]
pub async fn list_awards(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(query): ApiQuery<AwardQuery>,
) -> ApiResult {
    let items = award_service::list(&state.db, &actor, &query)
        .await
        .for_api(actor.locale)?;
    let total = items.len() as i64;
    Ok(Page { items, total }.into_response())
}

/// An award as JSON. Numbers may be sent as numbers or strings.
#[derive(Deserialize, ToSchema)]
pub struct AwardBody {
    #[schema(value_type = i64)]
    pub member_id: serde_json::Value,
    #[serde(default)]
    #[schema(value_type = i32)]
    pub year: serde_json::Value,
    #[serde(default)]
    pub category: String,
    pub title: String,
    #[serde(default)]
    pub evidence: String,
    /// candidate | awarded
    #[serde(default)]
    pub status: Option<String>,
    /// Who gave it: committee (default) | district | city | province | national.
    #[serde(default)]
    pub level: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/awards", tag = "awards", request_body = AwardBody,
    responses((status = 201, body = Award), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_award(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<AwardBody>,
) -> ApiResult {
    let input = AwardInput {
        member_id: text_of(&body.member_id),
        year: text_of(&body.year),
        category: body.category,
        title: body.title,
        evidence: body.evidence,
        status: body.status.unwrap_or_default(),
        level: body.level.unwrap_or_default(),
    };
    let a = award_service::create(&state.db, &actor, &input)
        .await
        .for_api(actor.locale)?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

/// A step on an award.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct AwardStepBody {
    /// award (授予: a candidate is awarded) | withdraw (撤销, with a reason)
    action: String,
    /// Why it is withdrawn (required to withdraw).
    reason: Option<String>,
    /// The award's version as read.
    version: i64,
}

#[utoipa::path(post, path = "/api/v1/awards/{id}/steps", tag = "awards", params(("id" = i64, Path)), request_body = AwardStepBody,
    description = "Award a candidate, or withdraw a candidacy or an award with its reason. Only an awarded award earns duty points.",
    responses((status = 200, body = Award), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "changed since read, or not possible in the award's status"),
        (status = 422, body = ErrorBody, description = "an unknown action, or a withdrawal without its reason")))]
pub async fn award_step(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    JsonForm(input): JsonForm<AwardStepInput>,
) -> ApiResult {
    let a = award_service::step(&state.db, &actor, id, &input)
        .await
        .for_api(actor.locale)?;
    Ok(Json(a).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearParam {
    /// The year; the current one when absent.
    pub year: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/members/{id}/five-ones", tag = "activities", params(("id" = i64, Path), YearParam),
    description = "The member's 'five-ones' (五个一) of a year: each item with the records that tick it.",
    responses((status = 200, body = FiveOnesChecklist), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn five_ones(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<YearParam>,
) -> ApiResult {
    let c = service::five_ones(&state.db, &actor, id, q.year.as_deref())
        .await
        .for_api(actor.locale)?;
    Ok(Json(c).into_response())
}
