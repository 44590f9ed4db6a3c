//! Activities: staff create them and invite members; members reply and log
//! their own (which staff approve); staff confirm attendance; research trips
//! carry their report; 'five-ones' checklists are computed from the records.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{non_blank, Actor};
use crate::domain::activities::{
    check_five_ones, check_range, month_end, parse_month, parse_yuan, ActivityKind, Approval,
    Attendance, AwardCategory, AwardStatus, Decision, FiveOnesItem, Reply,
};
use crate::domain::dates::{
    month_to_open, parse_date, parse_optional_date, parse_optional_id, year_to_open,
};
use crate::domain::orgs::OrgKind;
use crate::domain::paging::PageRequest;
use crate::domain::roles::Role;
use crate::domain::text::{optional_text, required_line, required_text};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::services::error::AppError;
use crate::storage::activities::{
    self as store, Activity, ActivityFilter, ActivityValues, Invitation, ReportValues,
    ResearchReport,
};
use crate::storage::attachments::Attachment;
use crate::storage::timeline::{self, NewTimelineEntry};
use crate::storage::{attachments, audit, awards, members, orgs, Db, Tx};

const STAFF_ONLY: &[Role] = &[Role::Staff];
const STAFF_OR_MEMBER: &[Role] = &[Role::Staff, Role::Member];

/// An activity as submitted, before validation; every field is text.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ActivityInput {
    /// district_meeting | study | research | inspection | reception | liaison | charity | campaign | party_hearing
    pub kind: String,
    pub title: String,
    /// YYYY-MM-DD
    pub held_on: String,
    pub place: String,
    /// Who organised it, e.g. 长江路街道政协工委.
    pub organiser: String,
    pub description: Option<String>,
    /// Money given or spent, whole 元.
    pub amount_yuan: Option<String>,
    /// The 'five-ones' item it counts toward.
    pub five_ones: Option<String>,
    /// The committee; the user's own when empty.
    pub org_id: Option<String>,
    /// A member group of that committee.
    pub group_id: Option<String>,
    /// For updates: the version that was read.
    pub version: Option<String>,
}

/// List parameters as they arrive in the query string.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ActivityQuery {
    pub kind: Option<String>,
    pub group: Option<String>,
    pub org: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub approval: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    /// Set by an export (never from the query string): every matching row.
    #[serde(skip)]
    pub all_rows: bool,
}

pub struct ActivityPage {
    pub items: Vec<Activity>,
    pub total: i64,
    pub page: PageRequest,
}

/// An activity with everything hanging off it that the actor may see.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityDetail {
    pub activity: Activity,
    /// Staff see every invitation; a member only their own.
    pub invitations: Vec<Invitation>,
    pub report: Option<ResearchReport>,
    pub attachments: Vec<Attachment>,
}

fn filter_for(actor: &Actor) -> Result<ActivityFilter, AppError> {
    match actor.role {
        Role::Staff => Ok(ActivityFilter {
            scope_path: Some(actor.org_path.clone()),
            ..Default::default()
        }),
        Role::Member => Ok(ActivityFilter {
            member_id: Some(actor.member_id.ok_or(AppError::Forbidden)?),
            ..Default::default()
        }),
        _ => Err(AppError::Forbidden),
    }
}

/// Filters shared by the list and the calendar.
fn parse_filters(
    query: &ActivityQuery,
    filter: &mut ActivityFilter,
    errors: &mut FieldErrors,
) -> Option<()> {
    filter.kind = match non_blank(&query.kind) {
        Some(k) => Some(
            errors
                .check(ActivityKind::parse("kind", k))?
                .as_str()
                .into(),
        ),
        None => None,
    };
    filter.approval = match non_blank(&query.approval) {
        Some(a) => Some(
            errors
                .check(Approval::parse("approval", a))?
                .as_str()
                .into(),
        ),
        None => None,
    };
    filter.group_id = errors
        .check(parse_optional_id(
            "group",
            query.group.as_deref().unwrap_or(""),
        ))
        .flatten();
    filter.org_id = errors
        .check(parse_optional_id("org", query.org.as_deref().unwrap_or("")))
        .flatten();
    Some(())
}

pub async fn list(db: &Db, actor: &Actor, query: &ActivityQuery) -> Result<ActivityPage, AppError> {
    actor.require(STAFF_OR_MEMBER)?;
    let mut errors = FieldErrors::new();
    let page = match PageRequest::parse_or_all(
        query.all_rows,
        query.page.as_deref(),
        query.per_page.as_deref(),
    ) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.0.extend(e.0);
            None
        }
    };
    let filter = list_filter(actor, query, &mut errors)?;
    let Some(page) = page else {
        return Err(AppError::BadRequest(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::BadRequest(errors));
    }
    let (items, total) = store::list(db, &filter, page.limit(), page.offset()).await?;
    Ok(ActivityPage { items, total, page })
}

/// What the list selects for `query`: the actor's scope and the filters,
/// problems added to `errors`. An export reads the invitations of the same
/// activities through it.
pub(crate) fn list_filter(
    actor: &Actor,
    query: &ActivityQuery,
    errors: &mut FieldErrors,
) -> Result<ActivityFilter, AppError> {
    let mut filter = filter_for(actor)?;
    parse_filters(query, &mut filter, errors);
    let from = errors
        .check(parse_optional_date(
            "from",
            query.from.as_deref().unwrap_or(""),
        ))
        .flatten();
    let to = errors
        .check(parse_optional_date("to", query.to.as_deref().unwrap_or("")))
        .flatten();
    errors.check(check_range(from, to));
    filter.from = from;
    filter.to = to;
    Ok(filter)
}

/// One month's activities (the calendar), with the same filters as the list.
pub async fn month(
    db: &Db,
    actor: &Actor,
    month: Option<&str>,
    query: &ActivityQuery,
) -> Result<(NaiveDate, Vec<Activity>), AppError> {
    actor.require(STAFF_OR_MEMBER)?;
    let mut filter = filter_for(actor)?;
    let mut errors = FieldErrors::new();
    parse_filters(query, &mut filter, &mut errors);
    let first = match month.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => errors.check(parse_month("month", m)),
        // Without a month asked: the latest month that has activities.
        None => Some(month_to_open(
            store::latest_held_on(db, &filter).await?,
            crate::app::clock::today(),
        )),
    };
    let Some(first) = first else {
        return Err(AppError::BadRequest(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::BadRequest(errors));
    }
    filter.from = Some(first);
    filter.to = Some(month_end(first));
    let (mut items, _) = store::list(db, &filter, 1000, 0).await?;
    items.reverse();
    Ok((first, items))
}

/// Whether the actor may see this activity: staff within their subtree, a
/// member who is invited or logged it.
async fn sees(db: &Db, actor: &Actor, a: &Activity) -> Result<bool, AppError> {
    match actor.role {
        Role::Staff => Ok(orgs::get_org(db, a.org_id)
            .await?
            .is_some_and(|o| actor.sees(&o.path))),
        Role::Member => {
            let Some(me) = actor.member_id else {
                return Ok(false);
            };
            Ok(a.logged_by == Some(me) || store::invitation(db, a.id, me).await?.is_some())
        }
        _ => Ok(false),
    }
}

/// An activity the actor may see; anything else is "not found".
pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Activity, AppError> {
    actor.require(STAFF_OR_MEMBER)?;
    let a = store::get(db, id).await?.ok_or(AppError::NotFound)?;
    if sees(db, actor, &a).await? {
        Ok(a)
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn detail(db: &Db, actor: &Actor, id: i64) -> Result<ActivityDetail, AppError> {
    let activity = get(db, actor, id).await?;
    let mut invitations = store::invitations(db, id).await?;
    if actor.role == Role::Member {
        invitations.retain(|i| Some(i.member_id) == actor.member_id);
    }
    let report = store::report(db, id).await?;
    let attachments = attachments::for_owner(db, "activity", id).await?;
    Ok(ActivityDetail {
        activity,
        invitations,
        report,
        attachments,
    })
}

/// Validate a submission; every problem is reported at once.
async fn validate(
    db: &Db,
    actor: &Actor,
    input: &ActivityInput,
) -> Result<ActivityValues, AppError> {
    let mut errors = FieldErrors::new();
    let kind = errors.check(ActivityKind::parse("kind", &input.kind));
    let title = errors.check(required_line("title", &input.title, 100));
    let held_on = errors.check(parse_date("held_on", &input.held_on));
    let place = errors.check(required_line("place", &input.place, 100));
    let organiser = errors.check(required_line("organiser", &input.organiser, 100));
    let description = errors
        .check(optional_text(
            "description",
            input.description.as_deref().unwrap_or(""),
            5000,
        ))
        .flatten();
    let amount_yuan = errors
        .check(parse_yuan(
            "amount_yuan",
            input.amount_yuan.as_deref().unwrap_or(""),
        ))
        .flatten();
    let five_ones = match non_blank(&input.five_ones) {
        Some(f) => errors.check(FiveOnesItem::parse("five_ones", f)),
        None => None,
    };
    if let (Some(kind), Some(item)) = (kind, five_ones) {
        errors.check(check_five_ones(kind, item));
    }
    if actor.role == Role::Member && kind.is_some_and(|k| !k.member_may_log()) {
        errors.push(FieldError::new("kind", "kind_not_for_members"));
    }
    // A member logs what they did, not what is planned.
    if let Some(d) = held_on {
        if actor.role == Role::Member && d > crate::app::clock::today() {
            errors.push(FieldError::new("held_on", "date_in_future"));
        }
    }
    let org_input = errors
        .check(parse_optional_id(
            "org_id",
            input.org_id.as_deref().unwrap_or(""),
        ))
        .flatten();
    let group_id = errors
        .check(parse_optional_id(
            "group_id",
            input.group_id.as_deref().unwrap_or(""),
        ))
        .flatten();
    // The committee: a member's own; staff's own or one in their subtree.
    let org_id = if actor.role == Role::Member {
        let me = actor.member_id.ok_or(AppError::Forbidden)?;
        let member = members::get(db, me).await?.ok_or(AppError::NotFound)?;
        Some(member.org_id)
    } else {
        match org_input {
            None => Some(actor.org_id),
            Some(id) => match orgs::get_org(db, id).await? {
                Some(o) if o.kind != OrgKind::Group.as_str() && actor.sees(&o.path) => Some(o.id),
                _ => {
                    errors.push(FieldError::new("org_id", "unknown_org"));
                    None
                }
            },
        }
    };
    if let (Some(group_id), Some(org_id)) = (group_id, org_id) {
        match orgs::get_org(db, group_id).await? {
            Some(g) if g.kind == OrgKind::Group.as_str() && g.parent_id == Some(org_id) => {}
            _ => errors.push(FieldError::new("group_id", "unknown_group")),
        }
    }
    errors.into_result()?;
    let (Some(kind), Some(title), Some(held_on), Some(place), Some(organiser), Some(org_id)) =
        (kind, title, held_on, place, organiser, org_id)
    else {
        return Err(AppError::internal("validated fields missing"));
    };
    Ok(ActivityValues {
        org_id,
        group_id,
        kind: kind.as_str().into(),
        title,
        held_on,
        place,
        organiser,
        description,
        amount_yuan,
        five_ones: five_ones.map(|f| f.as_str().to_string()),
    })
}

fn audit_detail(v: &ActivityValues) -> String {
    serde_json::json!({
        "kind": v.kind, "title": v.title, "held_on": v.held_on, "place": v.place,
        "organiser": v.organiser, "amount_yuan": v.amount_yuan, "five_ones": v.five_ones,
        "org_id": v.org_id, "group_id": v.group_id,
    })
    .to_string()
}

fn parse_version(input: &Option<String>) -> Result<i64, AppError> {
    non_blank(input)
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| *v > 0)
        .ok_or_else(|| AppError::Validation(FieldError::new("version", "version_required").into()))
}

/// Staff create an activity (it counts at once); a member logs one of their
/// own, with themself present, which counts once staff approve it.
pub async fn create(db: &Db, actor: &Actor, input: &ActivityInput) -> Result<Activity, AppError> {
    actor.require(STAFF_OR_MEMBER)?;
    let values = validate(db, actor, input).await?;
    let mut tx = db.begin().await?;
    let id = match actor.role {
        Role::Member => {
            let me = actor.member_id.ok_or(AppError::Forbidden)?;
            let id = store::insert(
                &mut tx,
                &values,
                Approval::Pending.as_str(),
                Some(me),
                actor.user_id,
            )
            .await?;
            store::invite(&mut tx, id, me, Reply::Confirmed.as_str()).await?;
            store::set_attendance(&mut tx, id, me, Attendance::Present.as_str(), None).await?;
            id
        }
        _ => {
            store::insert(
                &mut tx,
                &values,
                Approval::Approved.as_str(),
                None,
                actor.user_id,
            )
            .await?
        }
    };
    crate::storage::search::record_change(&mut tx, "activity", id).await?;
    audit::insert(
        &mut tx,
        &actor.audit("create", "activity", id, Some(audit_detail(&values))),
    )
    .await?;
    tx.commit().await?;
    store::get(db, id).await?.ok_or(AppError::NotFound)
}

pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &ActivityInput,
) -> Result<Activity, AppError> {
    actor.require(STAFF_ONLY)?;
    let before = get(db, actor, id).await?;
    let version = parse_version(&input.version)?;
    let values = validate(db, actor, input).await?;
    let mut tx = db.begin().await?;
    if !store::update(&mut tx, id, version, &values).await? {
        return Err(AppError::Conflict("stale_version"));
    }
    let detail =
        serde_json::json!({ "before_version": before.version, "after": audit_detail(&values) });
    crate::storage::search::record_change(&mut tx, "activity", id).await?;
    audit::insert(
        &mut tx,
        &actor.audit("update", "activity", id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    store::get(db, id).await?.ok_or(AppError::NotFound)
}

/// Invite members (by id) to an activity; members already invited are skipped.
pub async fn invite(
    db: &Db,
    actor: &Actor,
    id: i64,
    member_ids: &[String],
) -> Result<Vec<Invitation>, AppError> {
    actor.require(STAFF_ONLY)?;
    let activity = get(db, actor, id).await?;
    let mut errors = FieldErrors::new();
    let mut ids = Vec::new();
    for raw in member_ids {
        if let Some(member_id) = errors.check(parse_optional_id("member_ids", raw)).flatten() {
            ids.push(member_id);
        }
    }
    if ids.is_empty() && errors.is_empty() {
        errors.push(FieldError::new("member_ids", "required"));
    }
    for member_id in &ids {
        let visible = match members::get(db, *member_id).await? {
            Some(m) => orgs::get_org(db, m.org_id)
                .await?
                .is_some_and(|o| actor.sees(&o.path)),
            None => false,
        };
        if !visible {
            errors.push(FieldError::new("member_ids", "unknown_member").with("id", member_id));
        }
    }
    errors.into_result()?;
    ids.sort_unstable();
    ids.dedup();
    let mut tx = db.begin().await?;
    let mut added = Vec::new();
    for member_id in &ids {
        if store::invite(&mut tx, id, *member_id, Reply::Pending.as_str()).await? {
            added.push(*member_id);
        }
    }
    crate::storage::search::record_change(&mut tx, "activity", activity.id).await?;
    audit::insert(
        &mut tx,
        &actor.audit(
            "invite",
            "activity",
            activity.id,
            Some(serde_json::json!({ "members": added }).to_string()),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(store::invitations(db, id).await?)
}

/// An invited member confirms or excuses themself (with a reason).
pub async fn reply(
    db: &Db,
    actor: &Actor,
    id: i64,
    reply: &str,
    reason: Option<&str>,
) -> Result<Invitation, AppError> {
    actor.require(&[Role::Member])?;
    let me = actor.member_id.ok_or(AppError::Forbidden)?;
    get(db, actor, id).await?;
    let invitation = store::invitation(db, id, me)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    let parsed = errors.check(Reply::parse("reply", reply));
    if parsed == Some(Reply::Pending) {
        errors.push(FieldError::new("reply", "invalid_choice"));
    }
    let reason = errors
        .check(optional_text("reason", reason.unwrap_or(""), 500))
        .flatten();
    if parsed == Some(Reply::Excused) && reason.is_none() {
        errors.push(FieldError::new("reason", "reason_required"));
    }
    errors.into_result()?;
    let Some(parsed) = parsed else {
        return Err(AppError::internal("validated fields missing"));
    };
    if invitation.attendance.is_some() {
        return Err(AppError::Conflict("attendance_recorded"));
    }
    let mut tx = db.begin().await?;
    store::set_reply(&mut tx, id, me, parsed.as_str(), reason.as_deref()).await?;
    audit::insert(
        &mut tx,
        &actor.audit(
            "reply",
            "activity",
            id,
            Some(serde_json::json!({ "reply": parsed.as_str() }).to_string()),
        ),
    )
    .await?;
    tx.commit().await?;
    store::invitation(db, id, me)
        .await?
        .ok_or(AppError::NotFound)
}

fn entry<'a>(
    member_id: i64,
    occurred_on: NaiveDate,
    kind: &'a str,
    title: &'a str,
    object_type: &'a str,
    object_id: i64,
    created_by: i64,
) -> NewTimelineEntry<'a> {
    NewTimelineEntry {
        member_id,
        occurred_on,
        kind,
        title,
        object_type: Some(object_type),
        object_id: Some(object_id),
        created_by: Some(created_by),
    }
}

/// The duty-file entries of a member's attendance at a counting activity:
/// the attendance itself and, for a tagged activity, the 'five-ones' item.
async fn record_presence(
    tx: &mut Tx,
    activity: &Activity,
    member_id: i64,
    by: i64,
) -> Result<(), sqlx::Error> {
    timeline::insert(
        tx,
        &entry(
            member_id,
            activity.held_on,
            "attendance",
            &activity.title,
            "activity",
            activity.id,
            by,
        ),
    )
    .await?;
    if activity.five_ones.is_some() {
        timeline::insert(
            tx,
            &entry(
                member_id,
                activity.held_on,
                "five_ones",
                &activity.title,
                "activity",
                activity.id,
                by,
            ),
        )
        .await?;
    }
    Ok(())
}

/// Staff confirm a member's attendance: present, excused (with reason) or
/// absent. Only an invited member's attendance is recorded.
pub async fn record_attendance(
    db: &Db,
    actor: &Actor,
    id: i64,
    member_id: &str,
    attendance: &str,
    reason: Option<&str>,
) -> Result<Invitation, AppError> {
    actor.require(STAFF_ONLY)?;
    let activity = get(db, actor, id).await?;
    let mut errors = FieldErrors::new();
    let member_id = errors.check(crate::domain::dates::parse_id("member_id", member_id));
    let parsed = errors.check(Attendance::parse("attendance", attendance));
    let reason = errors
        .check(optional_text("reason", reason.unwrap_or(""), 500))
        .flatten();
    if parsed.is_some_and(|a| a.needs_reason()) && reason.is_none() {
        errors.push(FieldError::new("reason", "reason_required"));
    }
    let before = match member_id {
        Some(m) => {
            let found = store::invitation(db, id, m).await?;
            if found.is_none() {
                errors.push(FieldError::new("member_id", "not_invited"));
            }
            found
        }
        None => None,
    };
    errors.into_result()?;
    let (Some(member_id), Some(parsed), Some(before)) = (member_id, parsed, before) else {
        return Err(AppError::internal("validated fields missing"));
    };
    let mut tx = db.begin().await?;
    store::set_attendance(&mut tx, id, member_id, parsed.as_str(), reason.as_deref()).await?;
    let was_present = before.attendance.as_deref() == Some(Attendance::Present.as_str());
    let counts = activity.approval.counts();
    if parsed == Attendance::Present && !was_present && counts {
        record_presence(&mut tx, &activity, member_id, actor.user_id).await?;
    }
    audit::insert(
        &mut tx,
        &actor.audit(
            "attendance",
            "activity",
            id,
            Some(
                serde_json::json!({ "member_id": member_id, "attendance": parsed.as_str(), "before": before.attendance })
                    .to_string(),
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    store::invitation(db, id, member_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Staff approve or reject a member's own log. Approval writes its
/// attendance to the duty file.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    id: i64,
    decision: &str,
    reason: Option<&str>,
    version: &Option<String>,
) -> Result<Activity, AppError> {
    actor.require(STAFF_ONLY)?;
    let activity = get(db, actor, id).await?;
    let mut errors = FieldErrors::new();
    let decision = errors.check(Decision::parse("decision", decision));
    let reason = errors
        .check(optional_text("reason", reason.unwrap_or(""), 500))
        .flatten();
    let current = Some(activity.approval);
    let next = match (current, decision) {
        (Some(c), Some(d)) => errors.check(c.decide(d, reason.as_deref())),
        _ => None,
    };
    errors.into_result()?;
    let version = parse_version(version)?;
    let Some(next) = next else {
        return Err(AppError::internal("validated fields missing"));
    };
    let mut tx = db.begin().await?;
    if !store::decide(&mut tx, id, version, next.as_str(), reason.as_deref()).await? {
        return Err(AppError::Conflict("stale_version"));
    }
    if next.counts() {
        for inv in store::invitations(db, id).await? {
            if inv.attendance.as_deref() == Some(Attendance::Present.as_str()) {
                record_presence(&mut tx, &activity, inv.member_id, actor.user_id).await?;
            }
        }
    }
    crate::storage::search::record_change(&mut tx, "activity", id).await?;
    audit::insert(
        &mut tx,
        &actor.audit(
            "decide",
            "activity",
            id,
            Some(serde_json::json!({ "approval": next.as_str(), "reason": reason }).to_string()),
        ),
    )
    .await?;
    tx.commit().await?;
    store::get(db, id).await?.ok_or(AppError::NotFound)
}

/// A research report as submitted.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ReportInput {
    pub title: String,
    pub body: String,
    /// Who it went to, e.g. 二七区政协.
    pub submitted_to: String,
    /// YYYY-MM-DD
    pub submitted_on: String,
    /// When replacing a report: the version that was read.
    pub version: Option<String>,
}

/// Write (or replace) the report of a research or inspection trip. The first
/// report appears on the duty file of every member who was there.
pub async fn save_report(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &ReportInput,
) -> Result<ResearchReport, AppError> {
    actor.require(STAFF_ONLY)?;
    let activity = get(db, actor, id).await?;
    let mut errors = FieldErrors::new();
    if !ActivityKind::parse("kind", &activity.kind).is_ok_and(|k| k.has_report()) {
        errors.push(FieldError::new("kind", "report_kind"));
    }
    let title = errors.check(required_line("title", &input.title, 100));
    let body = errors.check(required_text("body", &input.body, 50_000));
    let submitted_to = errors.check(required_line("submitted_to", &input.submitted_to, 100));
    let submitted_on = errors.check(parse_date("submitted_on", &input.submitted_on));
    if let Some(d) = submitted_on {
        if d < activity.held_on {
            errors.push(FieldError::new("submitted_on", "report_before_trip"));
        }
    }
    errors.into_result()?;
    let (Some(title), Some(body), Some(submitted_to), Some(submitted_on)) =
        (title, body, submitted_to, submitted_on)
    else {
        return Err(AppError::internal("validated fields missing"));
    };
    let values = ReportValues {
        title,
        body,
        submitted_to,
        submitted_on,
    };
    let existing = store::report(db, id).await?;
    let mut tx = db.begin().await?;
    let report_id = match &existing {
        Some(r) => {
            let version = parse_version(&input.version)?;
            if !store::update_report(&mut tx, r.id, version, &values).await? {
                return Err(AppError::Conflict("stale_version"));
            }
            r.id
        }
        None => {
            let report_id = store::insert_report(&mut tx, id, &values).await?;
            for inv in store::invitations(db, id).await? {
                if inv.attendance.as_deref() == Some(Attendance::Present.as_str()) {
                    timeline::insert(
                        &mut tx,
                        &entry(
                            inv.member_id,
                            values.submitted_on,
                            "research_report",
                            &values.title,
                            "activity",
                            id,
                            actor.user_id,
                        ),
                    )
                    .await?;
                }
            }
            report_id
        }
    };
    audit::insert(
        &mut tx,
        &actor.audit(
            "report",
            "activity",
            activity.id,
            Some(
                serde_json::json!({ "report_id": report_id, "title": values.title, "submitted_to": values.submitted_to, "submitted_on": values.submitted_on })
                    .to_string(),
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    store::report(db, id).await?.ok_or(AppError::NotFound)
}

/// One item of a member's 'five-ones' checklist and the records that tick it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FiveOnesLine {
    /// suggestion | deed | technical | information | poverty_aid
    pub item: String,
    pub ticked: bool,
    pub records: Vec<FiveOnesRecord>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FiveOnesRecord {
    /// activity | award
    pub object_type: String,
    pub object_id: i64,
    pub title: String,
    pub date: NaiveDate,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FiveOnesChecklist {
    pub member_id: i64,
    pub member_name: String,
    pub year: i32,
    /// How many of the five are ticked.
    pub done: usize,
    pub items: Vec<FiveOnesLine>,
}

/// A member's 'five-ones' of a year, ticked by the records that count.
pub async fn five_ones(
    db: &Db,
    actor: &Actor,
    member_id: i64,
    year: Option<&str>,
) -> Result<FiveOnesChecklist, AppError> {
    let member = super::members::get(db, actor, member_id).await?;
    let year = match year.map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => crate::domain::activities::parse_year("year", y)
            .map_err(|e| AppError::BadRequest(e.into()))?,
        // Without a year asked: the latest year of the member's activities.
        None => {
            let theirs = ActivityFilter {
                member_id: Some(member.id),
                ..Default::default()
            };
            year_to_open(
                store::latest_held_on(db, &theirs).await?,
                crate::app::clock::today(),
            )
        }
    };
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Err(AppError::internal("year out of range"));
    };
    let tagged = store::five_ones_activities(db, member_id, from, to).await?;
    let given = awards::list(
        db,
        &awards::AwardFilter {
            member_id: Some(member_id),
            year: Some(i64::from(year)),
            ..Default::default()
        },
    )
    .await?;
    let mut items = Vec::new();
    for item in FiveOnesItem::ALL {
        let mut records = Vec::new();
        for a in &tagged {
            let tag = FiveOnesItem::parse("five_ones", &a.five_ones).ok();
            let approval = a.approval;
            let attendance = a
                .attendance
                .as_deref()
                .and_then(|v| Attendance::parse("attendance", v).ok());
            if item.ticked_by_activity(tag, approval, attendance) {
                records.push(FiveOnesRecord {
                    object_type: "activity".into(),
                    object_id: a.activity_id,
                    title: a.title.clone(),
                    date: a.held_on,
                });
            }
        }
        for w in &given {
            let (Ok(category), Ok(status)) = (
                AwardCategory::parse("category", &w.category),
                AwardStatus::parse("status", &w.status),
            ) else {
                continue;
            };
            if item.ticked_by_award(category, status) {
                records.push(FiveOnesRecord {
                    object_type: "award".into(),
                    object_id: w.id,
                    title: w.title.clone(),
                    date: to,
                });
            }
        }
        items.push(FiveOnesLine {
            item: item.as_str().into(),
            ticked: !records.is_empty(),
            records,
        });
    }
    Ok(FiveOnesChecklist {
        member_id,
        member_name: member.name,
        year,
        done: items.iter().filter(|l| l.ticked).count(),
        items,
    })
}
