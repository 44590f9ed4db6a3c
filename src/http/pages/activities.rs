//! Activity pages: the list and the month calendar, the form, one activity
//! (invitations, replies, attendance, approval, report, attachments), awards
//! and a member's 'five-ones'.

use crate::http::files::{xlsx_href, xlsx_list_on_page};
use crate::services::exports::{FormatParam, ListFormat, ListQuery};
use askama::Template;
use axum::extract::RawQuery;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::domain::activities::{
    month_grid, neighbour_months, ActivityKind, Approval, Attendance, AwardCategory, AwardStatus,
    FiveOnesItem, Reply,
};
use crate::domain::attachments::AttachmentCategory;
use crate::domain::awards;
use crate::domain::orgs::OrgKind;
use crate::domain::roles::Role;
use crate::domain::validation::FieldErrors;
use crate::http::auth::{Access, ApiQuery, PageActor, PageForm, PathId};
use crate::http::files::{download_response, read_upload, upload_route};
use crate::http::flash::{self, Flash};
use crate::http::forms::{choices, Choice};
use crate::http::render::{
    error_page, link_with, render, render_status, Ctx, ForForm, ForPage, PageResult,
};
use crate::http::{route, AppState, RouteSpec};
use crate::security::constant_time_eq;
use crate::services::activities::{
    self as service, ActivityDetail, ActivityInput, ActivityQuery, FiveOnesChecklist, ReportInput,
};
use crate::services::attachments::{self as files, Owner};
use crate::services::awards::{self as award_service, AwardInput, AwardQuery, AwardStepInput};
use crate::services::error::AppError;
use crate::services::members as member_service;
use crate::services::orgs as org_service;
use crate::storage::activities::Activity;

pub fn routes() -> Vec<RouteSpec> {
    use crate::domain::roles::Role::{Member, Staff};
    use Access::Roles;
    const STAFF: Access = Roles(&[Staff]);
    const BOTH: Access = Roles(&[Staff, Member]);
    vec![
        route(Method::GET, "/activities", BOTH, list),
        route(Method::POST, "/activities", BOTH, create),
        route(Method::GET, "/activities/calendar", BOTH, calendar),
        route(Method::GET, "/activities/new", BOTH, new_form),
        route(Method::GET, "/activities/{id}", BOTH, show),
        route(Method::POST, "/activities/{id}", STAFF, update),
        route(Method::GET, "/activities/{id}/edit", STAFF, edit_form),
        route(Method::POST, "/activities/{id}/invitations", STAFF, invite),
        route(
            Method::POST,
            "/activities/{id}/reply",
            Roles(&[Member]),
            reply,
        ),
        route(
            Method::POST,
            "/activities/{id}/attendance",
            STAFF,
            attendance,
        ),
        route(Method::POST, "/activities/{id}/decision", STAFF, decide),
        route(Method::POST, "/activities/{id}/report", STAFF, report),
        upload_route(route(
            Method::POST,
            "/activities/{id}/attachments",
            BOTH,
            upload,
        )),
        route(
            Method::GET,
            "/attachments/{id}",
            Access::Roles(&[Staff, Member, Role::Department]),
            download,
        ),
        route(Method::GET, "/awards", BOTH, awards),
        route(Method::POST, "/awards", STAFF, create_award),
        route(Method::POST, "/awards/{id}/steps", STAFF, award_step),
        route(Method::GET, "/members/{id}/five-ones", BOTH, five_ones),
    ]
}

fn kind_choices(ctx: &Ctx, selected: &str) -> Vec<Choice> {
    choices(
        ActivityKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), ctx.t(k.label_key()))),
        selected,
    )
}

fn label_of<T>(
    ctx: &Ctx,
    parsed: Result<T, crate::domain::validation::FieldError>,
    key: impl Fn(&T) -> &'static str,
    raw: &str,
) -> String {
    parsed
        .map(|v| ctx.t(key(&v)))
        .unwrap_or_else(|_| raw.to_string())
}

fn kind_label(ctx: &Ctx, kind: &str) -> String {
    label_of(
        ctx,
        ActivityKind::parse("kind", kind),
        |k| k.label_key(),
        kind,
    )
}

/// An activity as a row of the list or an entry of the calendar.
pub struct ActivityRow {
    pub id: i64,
    pub date: String,
    pub kind: String,
    pub title: String,
    pub place: String,
    pub approval: String,
    pub pending: bool,
}

fn row(ctx: &Ctx, a: &Activity) -> ActivityRow {
    ActivityRow {
        id: a.id,
        date: a.held_on.format("%Y-%m-%d").to_string(),
        kind: kind_label(ctx, &a.kind),
        title: a.title.clone(),
        place: a.place.clone(),
        approval: ctx.t(a.approval.label_key()),
        pending: a.approval != Approval::Approved,
    }
}

fn query_params(q: &ActivityQuery) -> Vec<(&'static str, String)> {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    vec![
        ("kind", v(&q.kind)),
        ("group", v(&q.group)),
        ("from", v(&q.from)),
        ("to", v(&q.to)),
        ("approval", v(&q.approval)),
        ("per_page", v(&q.per_page)),
    ]
}

async fn group_choices(state: &AppState, page: &PageActor, selected: &str) -> Vec<Choice> {
    if page.actor.role != Role::Staff {
        return Vec::new();
    }
    let groups = org_service::list(&state.db, &page.actor, Some(OrgKind::Group))
        .await
        .unwrap_or_default();
    choices(
        groups.iter().map(|g| (g.id.to_string(), g.name.clone())),
        selected,
    )
}

#[derive(Template)]
#[template(path = "activities/list.html")]
struct ListTemplate {
    ctx: Ctx,
    rows: Vec<ActivityRow>,
    total: i64,
    page: u32,
    pages: u32,
    prev: String,
    next: String,
    kinds: Vec<Choice>,
    groups: Vec<Choice>,
    from: String,
    to: String,
    is_staff: bool,
    /// The list as an Excel workbook, with the filters set.
    export_href: String,
}

fn current_key(page: &PageActor) -> &'static str {
    if page.actor.role == Role::Member {
        "my_activities"
    } else {
        "activities"
    }
}

pub async fn list(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(query): ApiQuery<ActivityQuery>,
    ApiQuery(wanted): ApiQuery<FormatParam>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    if wanted.format().for_page(&page)? == ListFormat::Xlsx {
        let list = ListQuery::Activities(query.clone());
        return xlsx_list_on_page(&state, &page.actor, list, raw.as_deref())
            .await
            .for_page(&page);
    }
    let found = service::list(&state.db, &page.actor, &query)
        .await
        .for_page(&page)?;
    let ctx = Ctx::for_page(&page, current_key(&page));
    let params = query_params(&query);
    let pager = crate::http::render::pager("/activities", &params, &found.page, found.total);
    let pages = pager.pages;
    let sel = |o: &Option<String>| o.clone().unwrap_or_default();
    let template = ListTemplate {
        export_href: xlsx_href("/activities", raw.as_deref()),
        rows: found.items.iter().map(|a| row(&ctx, a)).collect(),
        total: found.total,
        page: found.page.page,
        pages,
        prev: pager.prev,
        next: pager.next,
        kinds: kind_choices(&ctx, &sel(&query.kind)),
        groups: group_choices(&state, &page, &sel(&query.group)).await,
        from: sel(&query.from),
        to: sel(&query.to),
        is_staff: page.actor.role == Role::Staff,
        ctx,
    };
    Ok(render(&template))
}

/// One day of the calendar.
pub struct Day {
    pub day: u32,
    pub today: bool,
    pub items: Vec<ActivityRow>,
}

const WEEKDAYS: [&str; 7] = [
    "calendar.mon",
    "calendar.tue",
    "calendar.wed",
    "calendar.thu",
    "calendar.fri",
    "calendar.sat",
    "calendar.sun",
];

#[derive(Template)]
#[template(path = "activities/calendar.html")]
struct CalendarTemplate {
    ctx: Ctx,
    month: String,
    prev: String,
    next: String,
    weekdays: Vec<String>,
    weeks: Vec<Vec<Option<Day>>>,
    kinds: Vec<Choice>,
    groups: Vec<Choice>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CalendarQuery {
    month: Option<String>,
    kind: Option<String>,
    group: Option<String>,
}

pub async fn calendar(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> PageResult {
    let query = ActivityQuery {
        kind: q.kind.clone(),
        group: q.group.clone(),
        ..Default::default()
    };
    let (first, items) = service::month(&state.db, &page.actor, q.month.as_deref(), &query)
        .await
        .for_page(&page)?;
    let ctx = Ctx::for_page(&page, current_key(&page));
    let today = crate::app::clock::today();
    let weeks = month_grid(first)
        .iter()
        .map(|week| {
            week.iter()
                .map(|slot| {
                    slot.map(|d: NaiveDate| Day {
                        day: d.day(),
                        today: d == today,
                        items: items
                            .iter()
                            .filter(|a| a.held_on == d)
                            .map(|a| row(&ctx, a))
                            .collect(),
                    })
                })
                .collect()
        })
        .collect();
    let (prev, next) = neighbour_months(first);
    let keep = [
        ("kind", q.kind.clone().unwrap_or_default()),
        ("group", q.group.clone().unwrap_or_default()),
    ];
    let sel = |o: &Option<String>| o.clone().unwrap_or_default();
    let template = CalendarTemplate {
        month: first.format("%Y-%m").to_string(),
        prev: link_with(
            "/activities/calendar",
            &keep,
            &[("month", prev.format("%Y-%m").to_string())],
        ),
        next: link_with(
            "/activities/calendar",
            &keep,
            &[("month", next.format("%Y-%m").to_string())],
        ),
        weekdays: WEEKDAYS.iter().map(|k| ctx.t(k)).collect(),
        weeks,
        kinds: kind_choices(&ctx, &sel(&q.kind)),
        groups: group_choices(&state, &page, &sel(&q.group)).await,
        ctx,
    };
    Ok(render(&template))
}

#[derive(Template)]
#[template(path = "activities/form.html")]
struct FormTemplate {
    ctx: Ctx,
    /// Where the form posts: `/activities` or `/activities/{id}`.
    action: String,
    editing: bool,
    conflict: bool,
    input: ActivityInput,
    errors: FieldErrors,
    kinds: Vec<Choice>,
    five_ones: Vec<Choice>,
    groups: Vec<Choice>,
    is_staff: bool,
}

async fn form_page(
    state: &AppState,
    page: &PageActor,
    action: String,
    input: ActivityInput,
    errors: FieldErrors,
) -> FormTemplate {
    let ctx = Ctx::for_page(page, current_key(page));
    let is_staff = page.actor.role == Role::Staff;
    let kinds = choices(
        ActivityKind::ALL
            .iter()
            .filter(|k| is_staff || k.member_may_log())
            .map(|k| (k.as_str().to_string(), ctx.t(k.label_key()))),
        &input.kind,
    );
    let mut five_ones = vec![Choice {
        value: String::new(),
        label: ctx.t("activity.no_five_ones"),
        selected: false,
    }];
    five_ones.extend(choices(
        FiveOnesItem::ALL
            .iter()
            .map(|f| (f.as_str().to_string(), ctx.t(f.label_key()))),
        input.five_ones.as_deref().unwrap_or(""),
    ));
    let mut groups = vec![Choice {
        value: String::new(),
        label: ctx.t("activity.whole_committee"),
        selected: false,
    }];
    groups.extend(group_choices(state, page, input.group_id.as_deref().unwrap_or("")).await);
    FormTemplate {
        editing: action != "/activities",
        conflict: false,
        action,
        input,
        errors,
        kinds,
        five_ones,
        groups,
        is_staff,
        ctx,
    }
}

pub async fn new_form(State(state): State<AppState>, page: PageActor) -> Response {
    let input = ActivityInput {
        held_on: crate::app::clock::today().format("%Y-%m-%d").to_string(),
        ..Default::default()
    };
    render(
        &form_page(
            &state,
            &page,
            "/activities".into(),
            input,
            FieldErrors::new(),
        )
        .await,
    )
}

pub async fn create(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<ActivityInput>,
) -> Response {
    match service::create(&state.db, &page.actor, &form).await {
        Ok(a) => flash::redirect(&format!("/activities/{}", a.id), Flash::Created),
        Err(AppError::Validation(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(&state, &page, "/activities".into(), form, errors).await,
        ),
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

/// An activity's current values as form input.
fn input_of(a: &Activity) -> ActivityInput {
    ActivityInput {
        kind: a.kind.clone(),
        title: a.title.clone(),
        held_on: a.held_on.format("%Y-%m-%d").to_string(),
        place: a.place.clone(),
        organiser: a.organiser.clone(),
        description: a.description.clone(),
        amount_yuan: a.amount_yuan.map(|v| v.to_string()),
        five_ones: a.five_ones.clone(),
        org_id: Some(a.org_id.to_string()),
        group_id: a.group_id.map(|g| g.to_string()),
        version: Some(a.version.to_string()),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
) -> PageResult {
    let a = service::get(&state.db, &page.actor, id)
        .await
        .for_page(&page)?;
    Ok(render(
        &form_page(
            &state,
            &page,
            format!("/activities/{id}"),
            input_of(&a),
            FieldErrors::new(),
        )
        .await,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<ActivityInput>,
) -> Response {
    let action = format!("/activities/{id}");
    match service::update(&state.db, &page.actor, id, &form).await {
        Ok(_) => flash::redirect(&action, Flash::Saved),
        Err(AppError::Validation(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &form_page(&state, &page, action, form, errors).await,
        ),
        // Someone saved first: the form again, with the new version, so that
        // saving again is a conscious choice.
        Err(AppError::Conflict("stale_version")) => {
            let mut form = form;
            if let Ok(current) = service::get(&state.db, &page.actor, id).await {
                form.version = Some(current.version.to_string());
            }
            let mut template = form_page(&state, &page, action, form, FieldErrors::new()).await;
            template.conflict = true;
            render_status(StatusCode::CONFLICT, &template)
        }
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

/// An invitation as shown.
pub struct InvitationRow {
    pub member_id: i64,
    pub name: String,
    pub reply: String,
    pub reply_reason: String,
    pub attendance: String,
    pub attendance_reason: String,
}

pub struct AttachmentRow {
    pub id: i64,
    pub name: String,
    pub category: String,
    pub size: String,
}

#[derive(Template)]
#[template(path = "activities/show.html")]
struct ShowTemplate {
    ctx: Ctx,
    a: Activity,
    kind: String,
    approval: String,
    date: String,
    description: String,
    amount: String,
    five_ones: String,
    invitations: Vec<InvitationRow>,
    my_invitation: Option<InvitationRow>,
    report_title: String,
    report_body: String,
    report_to: String,
    report_on: String,
    report_version: String,
    has_report_form: bool,
    attachments: Vec<AttachmentRow>,
    candidates: Vec<Candidate>,
    /// How many of them are in the activity's group (the "whole group" button).
    group_candidates: usize,
    attendances: Vec<Choice>,
    categories: Vec<Choice>,
    errors: FieldErrors,
    is_staff: bool,
    can_reply: bool,
    can_decide: bool,
    can_upload: bool,
}

/// The invitations as shown: replies and attendance in words.
fn invitation_rows(
    ctx: &Ctx,
    invitations: &[crate::storage::activities::Invitation],
) -> Vec<InvitationRow> {
    invitations
        .iter()
        .map(|i| InvitationRow {
            member_id: i.member_id,
            name: i.member_name.clone(),
            reply: label_of(
                ctx,
                Reply::parse("reply", &i.reply),
                |r| r.label_key(),
                &i.reply,
            ),
            reply_reason: i.reply_reason.clone().unwrap_or_default(),
            attendance: i
                .attendance
                .as_deref()
                .map(|v| {
                    label_of(
                        ctx,
                        Attendance::parse("attendance", v),
                        |r| r.label_key(),
                        v,
                    )
                })
                .unwrap_or_default(),
            attendance_reason: i.attendance_reason.clone().unwrap_or_default(),
        })
        .collect()
}

/// The attached files as shown: name, category in words, size.
fn attachment_rows(
    ctx: &Ctx,
    attachments: &[crate::storage::attachments::Attachment],
) -> Vec<AttachmentRow> {
    attachments
        .iter()
        .map(|f| AttachmentRow {
            id: f.id,
            name: f.original_name.clone(),
            category: label_of(
                ctx,
                AttachmentCategory::parse("category", &f.category),
                |c| c.label_key(),
                &f.category,
            ),
            size: crate::domain::attachments::mib(u64::try_from(f.size_bytes).unwrap_or(0)),
        })
        .collect()
}

/// A member staff may invite, with their group (to invite a whole group).
pub struct Candidate {
    pub id: i64,
    pub name: String,
    pub group_id: Option<i64>,
}

/// For staff: the active members of their scope not yet invited.
async fn invite_candidates(
    state: &AppState,
    page: &PageActor,
    invited: &[crate::storage::activities::Invitation],
) -> Result<Vec<Candidate>, AppError> {
    if page.actor.role != Role::Staff {
        return Ok(Vec::new());
    }
    Ok(member_service::invitable(&state.db, &page.actor)
        .await?
        .into_iter()
        .filter(|(id, _, _)| !invited.iter().any(|i| i.member_id == *id))
        .map(|(id, name, group_id)| Candidate { id, name, group_id })
        .collect())
}

async fn show_page(
    state: &AppState,
    page: &PageActor,
    id: i64,
    errors: FieldErrors,
    status: StatusCode,
) -> PageResult {
    let detail: ActivityDetail = service::detail(&state.db, &page.actor, id)
        .await
        .for_page(page)?;
    let ctx = Ctx::for_page(page, current_key(page));
    let is_staff = page.actor.role == Role::Staff;
    let a = detail.activity;
    let invitations = invitation_rows(&ctx, &detail.invitations);
    let my_invitation = detail
        .invitations
        .iter()
        .find(|i| Some(i.member_id) == page.actor.member_id)
        .and_then(|i| invitations.iter().find(|r| r.member_id == i.member_id))
        .map(|r| InvitationRow {
            member_id: r.member_id,
            name: r.name.clone(),
            reply: r.reply.clone(),
            reply_reason: r.reply_reason.clone(),
            attendance: r.attendance.clone(),
            attendance_reason: r.attendance_reason.clone(),
        });
    let can_reply = page.actor.role == Role::Member
        && detail
            .invitations
            .iter()
            .any(|i| Some(i.member_id) == page.actor.member_id && i.attendance.is_none());
    let candidates = invite_candidates(state, page, &detail.invitations)
        .await
        .for_page(page)?;
    let group_candidates = candidates
        .iter()
        .filter(|c| c.group_id.is_some() && c.group_id == a.group_id)
        .count();
    let report = detail.report;
    let template = ShowTemplate {
        kind: kind_label(&ctx, &a.kind),
        approval: ctx.t(a.approval.label_key()),
        date: a.held_on.format("%Y-%m-%d").to_string(),
        description: a.description.clone().unwrap_or_default(),
        amount: a.amount_yuan.map(|v| v.to_string()).unwrap_or_default(),
        five_ones: a
            .five_ones
            .as_deref()
            .map(|f| {
                label_of(
                    &ctx,
                    FiveOnesItem::parse("five_ones", f),
                    |v| v.label_key(),
                    f,
                )
            })
            .unwrap_or_default(),
        report_title: report.as_ref().map(|r| r.title.clone()).unwrap_or_default(),
        report_body: report.as_ref().map(|r| r.body.clone()).unwrap_or_default(),
        report_to: report
            .as_ref()
            .map(|r| r.submitted_to.clone())
            .unwrap_or_default(),
        report_on: report
            .as_ref()
            .map(|r| r.submitted_on.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        report_version: report
            .as_ref()
            .map(|r| r.version.to_string())
            .unwrap_or_default(),
        has_report_form: is_staff
            && ActivityKind::parse("kind", &a.kind).is_ok_and(|k| k.has_report()),
        attachments: attachment_rows(&ctx, &detail.attachments),
        candidates,
        group_candidates,
        attendances: choices(
            Attendance::ALL
                .iter()
                .map(|v| (v.as_str().to_string(), ctx.t(v.label_key()))),
            "present",
        ),
        categories: choices(
            AttachmentCategory::ALL
                .iter()
                .map(|v| (v.as_str().to_string(), ctx.t(v.label_key()))),
            "photo",
        ),
        errors,
        is_staff,
        can_reply,
        can_decide: is_staff && a.approval == Approval::Pending,
        can_upload: is_staff
            || (a.logged_by.is_some()
                && a.logged_by == page.actor.member_id
                && a.approval == Approval::Pending),
        invitations,
        my_invitation,
        a,
        ctx,
    };
    Ok(render_status(status, &template))
}

pub async fn show(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
) -> PageResult {
    show_page(&state, &page, id, FieldErrors::new(), StatusCode::OK).await
}

/// After a change: back to the activity, or the activity with the errors.
async fn after(
    state: &AppState,
    page: &PageActor,
    id: i64,
    result: Result<(), AppError>,
) -> PageResult {
    match result.for_form(page)? {
        Ok(()) => Ok(flash::redirect(&format!("/activities/{id}"), Flash::Saved)),
        Err(errors) => show_page(state, page, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

pub async fn invite(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<Vec<(String, String)>>,
) -> PageResult {
    // `whole`: the activity's whole group, or everyone offered; otherwise
    // the members ticked.
    let whole = form
        .iter()
        .find(|(k, _)| k == "whole")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let ids: Vec<String> = match whole {
        "group" | "all" => {
            let activity = service::detail(&state.db, &page.actor, id)
                .await
                .for_page(&page)?;
            let invited = activity.invitations.clone();
            invite_candidates(&state, &page, &invited)
                .await
                .for_page(&page)?
                .into_iter()
                .filter(|c| {
                    whole == "all"
                        || (c.group_id.is_some() && c.group_id == activity.activity.group_id)
                })
                .map(|c| c.id.to_string())
                .collect()
        }
        _ => form
            .into_iter()
            .filter(|(k, _)| k == "member_ids")
            .map(|(_, v)| v)
            .collect(),
    };
    let result = service::invite(&state.db, &page.actor, id, &ids)
        .await
        .map(|_| ());
    after(&state, &page, id, result).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReplyForm {
    reply: String,
    reason: Option<String>,
}

pub async fn reply(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<ReplyForm>,
) -> PageResult {
    let result = service::reply(
        &state.db,
        &page.actor,
        id,
        &form.reply,
        form.reason.as_deref(),
    )
    .await
    .map(|_| ());
    after(&state, &page, id, result).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AttendanceForm {
    member_id: String,
    attendance: String,
    reason: Option<String>,
}

pub async fn attendance(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<AttendanceForm>,
) -> PageResult {
    let result = service::record_attendance(
        &state.db,
        &page.actor,
        id,
        &form.member_id,
        &form.attendance,
        form.reason.as_deref(),
    )
    .await
    .map(|_| ());
    after(&state, &page, id, result).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
    reason: Option<String>,
    version: Option<String>,
}

pub async fn decide(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<DecisionForm>,
) -> PageResult {
    let result = service::decide(
        &state.db,
        &page.actor,
        id,
        &form.decision,
        form.reason.as_deref(),
        &form.version,
    )
    .await
    .map(|_| ());
    after(&state, &page, id, result).await
}

pub async fn report(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<ReportInput>,
) -> PageResult {
    let result = service::save_report(&state.db, &page.actor, id, &form)
        .await
        .map(|_| ());
    after(&state, &page, id, result).await
}

pub async fn upload(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
    request: Request,
) -> PageResult {
    let store = files::Store::from_settings(&state.settings);
    let (upload, csrf) = read_upload(request, store.max_bytes)
        .await
        .for_page(&page)?;
    if csrf.is_empty() || !constant_time_eq(&csrf, &page.csrf) {
        return Err(AppError::Forbidden).for_page(&page);
    }
    let result = files::attach(&state.db, &store, &page.actor, Owner::Activity(id), &upload)
        .await
        .map(|_| ());
    after(&state, &page, id, result).await
}

pub async fn download(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
) -> PageResult {
    let store = files::Store::from_settings(&state.settings);
    let (a, bytes) = files::open(&state.db, &store, &page.actor, id)
        .await
        .for_page(&page)?;
    Ok(download_response(&a, bytes))
}

pub struct AwardRow {
    pub id: i64,
    pub version: i64,
    pub level: String,
    /// Why it was withdrawn.
    pub reason: String,
    /// A candidate may be awarded.
    pub may_award: bool,
    /// A candidacy or an award may be withdrawn.
    pub may_withdraw: bool,
    pub member: String,
    pub member_id: i64,
    pub year: i64,
    pub category: String,
    pub title: String,
    pub evidence: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "activities/awards.html")]
struct AwardsTemplate {
    ctx: Ctx,
    rows: Vec<AwardRow>,
    is_staff: bool,
    input: AwardInput,
    errors: FieldErrors,
    members: Vec<Choice>,
    categories: Vec<Choice>,
    statuses: Vec<Choice>,
    levels: Vec<Choice>,
}

async fn awards_page(
    state: &AppState,
    page: &PageActor,
    query: &AwardQuery,
    input: AwardInput,
    errors: FieldErrors,
    status: StatusCode,
) -> PageResult {
    let found = award_service::list(&state.db, &page.actor, query)
        .await
        .for_page(page)?;
    let ctx = Ctx::for_page(page, "awards");
    let is_staff = page.actor.role == Role::Staff;
    let members = if is_staff {
        let names = member_service::names(&state.db, &page.actor, false)
            .await
            .for_page(page)?;
        choices(
            names.into_iter().map(|(id, name)| (id.to_string(), name)),
            &input.member_id,
        )
    } else {
        Vec::new()
    };
    let template = AwardsTemplate {
        rows: found
            .iter()
            .map(|w| AwardRow {
                id: w.id,
                version: w.version,
                level: label_of(
                    &ctx,
                    awards::AwardLevel::parse("level", &w.level),
                    |c| c.label_key(),
                    &w.level,
                ),
                reason: w.withdrawn_reason.clone().unwrap_or_default(),
                may_award: AwardStatus::parse("status", &w.status)
                    .is_ok_and(|s| awards::can_move(s, awards::AwardAction::Award).is_ok()),
                may_withdraw: AwardStatus::parse("status", &w.status)
                    .is_ok_and(|s| awards::can_move(s, awards::AwardAction::Withdraw).is_ok()),
                member: w.member_name.clone(),
                member_id: w.member_id,
                year: w.year,
                category: label_of(
                    &ctx,
                    AwardCategory::parse("category", &w.category),
                    |c| c.label_key(),
                    &w.category,
                ),
                title: w.title.clone(),
                evidence: w.evidence.clone(),
                status: label_of(
                    &ctx,
                    AwardStatus::parse("status", &w.status),
                    |c| c.label_key(),
                    &w.status,
                ),
            })
            .collect(),
        is_staff,
        members,
        categories: choices(
            AwardCategory::ALL
                .iter()
                .map(|v| (v.as_str().to_string(), ctx.t(v.label_key()))),
            &input.category,
        ),
        statuses: choices(
            awards::ENTERED_AS
                .iter()
                .map(|v| (v.as_str().to_string(), ctx.t(v.label_key()))),
            &input.status,
        ),
        levels: choices(
            awards::AwardLevel::ALL
                .iter()
                .map(|v| (v.as_str().to_string(), ctx.t(v.label_key()))),
            &input.level,
        ),
        input,
        errors,
        ctx,
    };
    Ok(render_status(status, &template))
}

pub async fn awards(
    State(state): State<AppState>,
    page: PageActor,
    ApiQuery(query): ApiQuery<AwardQuery>,
) -> Response {
    let input = AwardInput {
        year: crate::app::clock::this_year().to_string(),
        ..Default::default()
    };
    awards_page(
        &state,
        &page,
        &query,
        input,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
    .into_response()
}

pub async fn create_award(
    State(state): State<AppState>,
    PageForm { page, form }: PageForm<AwardInput>,
) -> Response {
    match award_service::create(&state.db, &page.actor, &form).await {
        Ok(_) => flash::redirect("/awards", Flash::Created),
        Err(AppError::Validation(errors)) => awards_page(
            &state,
            &page,
            &AwardQuery::default(),
            form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await
        .into_response(),
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

/// Award a candidate, or withdraw a candidacy or an award with its reason.
pub async fn award_step(
    State(state): State<AppState>,
    PathId(id): PathId,
    PageForm { page, form }: PageForm<AwardStepInput>,
) -> Response {
    match award_service::step(&state.db, &page.actor, id, &form).await {
        Ok(_) => flash::redirect("/awards", Flash::Saved),
        Err(AppError::Validation(errors)) => awards_page(
            &state,
            &page,
            &AwardQuery::default(),
            AwardInput {
                year: crate::app::clock::this_year().to_string(),
                ..Default::default()
            },
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await
        .into_response(),
        Err(e) => error_page(page.actor.locale, Some(&page), e),
    }
}

pub struct FiveOnesRow {
    pub label: String,
    pub ticked: bool,
    pub records: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "activities/five_ones.html")]
struct FiveOnesTemplate {
    ctx: Ctx,
    c: FiveOnesChecklist,
    rows: Vec<FiveOnesRow>,
    prev: String,
    next: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct YearQuery {
    year: Option<String>,
}

pub async fn five_ones(
    State(state): State<AppState>,
    page: PageActor,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> PageResult {
    let c = service::five_ones(&state.db, &page.actor, id, q.year.as_deref())
        .await
        .for_page(&page)?;
    let ctx = Ctx::for_page(
        &page,
        if page.actor.member_id == Some(id) {
            "duty_file"
        } else {
            "members"
        },
    );
    let rows = c
        .items
        .iter()
        .map(|line| FiveOnesRow {
            label: label_of(
                &ctx,
                FiveOnesItem::parse("five_ones", &line.item),
                |v| v.label_key(),
                &line.item,
            ),
            ticked: line.ticked,
            records: line
                .records
                .iter()
                .map(|r| {
                    let href = if r.object_type == "activity" {
                        format!("/activities/{}", r.object_id)
                    } else {
                        "/awards".to_string()
                    };
                    (r.date.format("%Y-%m-%d").to_string(), r.title.clone(), href)
                })
                .collect(),
        })
        .collect();
    let base = format!("/members/{id}/five-ones");
    let template = FiveOnesTemplate {
        prev: link_with(&base, &[], &[("year", (c.year - 1).to_string())]),
        next: link_with(&base, &[], &[("year", (c.year + 1).to_string())]),
        rows,
        c,
        ctx,
    };
    Ok(render(&template))
}
