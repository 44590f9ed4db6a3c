//! Citizens' cases: registration (at a reception day, by staff, or by a
//! citizen on the public page), every lifecycle step with its timeline entry,
//! the department inbox, the board and the figures.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

// `today` is also read from here by reception.
pub(crate) use super::steps::today;
use super::steps::{self, parse_version};
use super::{non_blank, Actor};
use crate::domain::calendar::Calendar;
use crate::domain::cases::{
    awaits_work, check_due, check_move, is_overdue, CaseAction, CaseSource, CaseStatus,
    Satisfaction, DEFAULT_DUE_WORKING_DAYS, DEFAULT_RETURN_WORKING_DAYS,
};
use crate::domain::dates::{parse_optional_date, parse_optional_id};
use crate::domain::orgs::OrgKind;
use crate::domain::paging::PageRequest;
use crate::domain::phone::MobilePhone;
use crate::domain::reception::DEFAULT_DAY_OF_MONTH;
use crate::domain::roles::Role;
use crate::domain::steps::step_date;
use crate::domain::text::{optional_text, required_line, required_text, PersonName};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::security::crypto::FieldCipher;
use crate::services::error::AppError;
use crate::storage::audit::NewAuditEntry;
use crate::storage::cases::{Case, CaseEvent, CaseFilter, CaseUpdate, NewCase};
use crate::storage::events::{self, NewEvent, Subject};
use crate::storage::orgs::Org;
use crate::storage::timeline::NewTimelineEntry;
use crate::storage::{audit, calendar, cases, orgs, timeline, Db, Tx};

/// A committee's settings, with the defaults where none were saved.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[schema(as = ReceptionSettings)]
pub struct Settings {
    pub day_of_month: u32,
    pub due_working_days: u32,
    pub return_working_days: u32,
    /// 0 when never saved.
    pub version: i64,
}

pub async fn settings_for(db: &Db, org_id: i64) -> Result<Settings, AppError> {
    let to_u32 = |v: i64, d: u32| u32::try_from(v).unwrap_or(d);
    Ok(match calendar::get_settings(db, org_id).await? {
        Some(s) => Settings {
            day_of_month: to_u32(s.day_of_month, DEFAULT_DAY_OF_MONTH),
            due_working_days: to_u32(s.due_working_days, DEFAULT_DUE_WORKING_DAYS),
            return_working_days: to_u32(s.return_working_days, DEFAULT_RETURN_WORKING_DAYS),
            version: s.version,
        },
        None => Settings {
            day_of_month: DEFAULT_DAY_OF_MONTH,
            due_working_days: DEFAULT_DUE_WORKING_DAYS,
            return_working_days: DEFAULT_RETURN_WORKING_DAYS,
            version: 0,
        },
    })
}

/// The committee an operation is about: `org` when given (a committee in the
/// actor's subtree), else the actor's own organisation.
pub async fn committee(
    db: &Db,
    actor: &Actor,
    field: &'static str,
    org: Option<&str>,
) -> Result<Org, AppError> {
    let id = parse_optional_id(field, org.unwrap_or(""))?.unwrap_or(actor.org_id);
    match orgs::get_org(db, id).await? {
        Some(o) if o.kind != OrgKind::Group.as_str() && actor.sees(&o.path) => Ok(o),
        _ => Err(FieldError::new(field, "unknown_org").into()),
    }
}

fn internal(what: &str) -> AppError {
    AppError::internal(format!("validated value missing: {what}"))
}

/// A case as input by staff (or taken up at a visit).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct CaseInput {
    /// The committee (defaults to the user's own).
    #[schema(value_type = Option<i64>)]
    pub org_id: Option<String>,
    pub community: String,
    pub subject: String,
    pub description: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// ISO date; today when empty.
    pub received_on: Option<String>,
    /// The member who took the case up.
    #[schema(value_type = Option<i64>)]
    pub raised_by: Option<String>,
}

/// The validated fields of a new case.
pub(crate) struct CaseValues {
    pub community: String,
    pub subject: String,
    pub description: String,
    pub contact_name: Option<String>,
    pub phone: Option<MobilePhone>,
}

pub(crate) fn validate_case_fields(
    errors: &mut FieldErrors,
    community: &str,
    subject: &str,
    description: &str,
    contact_name: Option<&str>,
    contact_phone: Option<&str>,
) -> Option<CaseValues> {
    let community = errors.check(required_line("community", community, 50));
    let title = errors.check(required_line("subject", subject, 100));
    let description = errors.check(required_text("description", description, 2000));
    let contact_name = match contact_name.map(str::trim).filter(|s| !s.is_empty()) {
        Some(n) => errors
            .check(PersonName::parse("contact_name", n))
            .map(|n| Some(n.into_string())),
        None => Some(None),
    };
    let phone = match contact_phone.map(str::trim).filter(|s| !s.is_empty()) {
        Some(p) => errors
            .check(MobilePhone::parse("contact_phone", p))
            .map(Some),
        None => Some(None),
    };
    Some(CaseValues {
        community: community?,
        subject: title?,
        description: description?,
        contact_name: contact_name?,
        phone: phone?,
    })
}

/// Who registers a case, for its first timeline entry.
pub(crate) struct Registrar<'a> {
    pub user_id: Option<i64>,
    pub username: Option<&'a str>,
}

/// Insert a case with its first event, and the raising member's duty-file entry.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_case(
    tx: &mut Tx,
    cipher: &FieldCipher,
    org_id: i64,
    source: CaseSource,
    visit_id: Option<i64>,
    raised_by: Option<i64>,
    received_on: NaiveDate,
    v: &CaseValues,
    tracking_hash: Option<String>,
    who: &Registrar<'_>,
) -> Result<i64, AppError> {
    let id = cases::insert(
        tx,
        &NewCase {
            org_id,
            source: source.as_str(),
            visit_id,
            raised_by,
            community: &v.community,
            title: &v.subject,
            description: &v.description,
            contact_name: v.contact_name.as_deref(),
            contact_phone_enc: v
                .phone
                .as_ref()
                .map(|p| cipher.encrypt(p.as_str()))
                .transpose()?,
            contact_phone_masked: v.phone.as_ref().map(MobilePhone::masked),
            received_on,
            tracking_hash,
        },
    )
    .await?;
    events::insert_event(
        tx,
        &NewEvent {
            subject: Subject::Case,
            subject_id: id,
            occurred_on: received_on,
            action: "register",
            from_status: None,
            to_status: CaseStatus::Registered.as_str(),
            department_id: None,
            note: None,
            detail: None,
            user_id: who.user_id,
            username: who.username,
        },
    )
    .await?;
    crate::storage::search::record_change(tx, "case", id).await?;
    if let Some(member_id) = raised_by {
        timeline::insert(
            tx,
            &NewTimelineEntry {
                member_id,
                occurred_on: received_on,
                kind: "case_raised",
                title: &v.subject,
                object_type: Some("case"),
                object_id: Some(id),
                created_by: who.user_id,
            },
        )
        .await?;
    }
    Ok(id)
}

/// A member of the committee `org` (for `raised_by`).
pub(crate) async fn check_member_of(
    db: &Db,
    errors: &mut FieldErrors,
    field: &'static str,
    member_id: Option<i64>,
    org: &Org,
) -> Result<(), AppError> {
    if let Some(id) = member_id {
        let ok = match crate::storage::members::get(db, id).await? {
            Some(m) => match orgs::get_org(db, m.org_id).await? {
                Some(o) => crate::domain::orgs::is_within(&o.path, &org.path),
                None => false,
            },
            None => false,
        };
        if !ok {
            errors.push(FieldError::new(field, "unknown_member"));
        }
    }
    Ok(())
}

/// Staff register a case directly.
pub async fn create(
    db: &Db,
    actor: &Actor,
    cipher: &FieldCipher,
    input: &CaseInput,
) -> Result<Case, AppError> {
    actor.require(&[Role::Staff])?;
    let mut errors = FieldErrors::new();
    let org = match committee(db, actor, "org_id", input.org_id.as_deref()).await {
        Ok(o) => Some(o),
        Err(AppError::Validation(e)) => {
            errors.0.extend(e.0);
            None
        }
        Err(e) => return Err(e),
    };
    let values = validate_case_fields(
        &mut errors,
        &input.community,
        &input.subject,
        &input.description,
        input.contact_name.as_deref(),
        input.contact_phone.as_deref(),
    );
    let received = step_date(
        &mut errors,
        "received_on",
        input.received_on.as_deref().unwrap_or(""),
        today(),
    );
    let raised_by = errors
        .check(parse_optional_id(
            "raised_by",
            input.raised_by.as_deref().unwrap_or(""),
        ))
        .flatten();
    if let Some(org) = &org {
        check_member_of(db, &mut errors, "raised_by", raised_by, org).await?;
    }
    errors.into_result()?;
    let (Some(org), Some(values), Some(received)) = (org, values, received) else {
        return Err(internal("case"));
    };
    let mut tx = db.begin().await?;
    let id = insert_case(
        &mut tx,
        cipher,
        org.id,
        CaseSource::Visit,
        None,
        raised_by,
        received,
        &values,
        None,
        &Registrar {
            user_id: Some(actor.user_id),
            username: Some(&actor.username),
        },
    )
    .await?;
    audit::insert(
        &mut tx,
        &actor.audit("create", "case", id, Some(audit_detail(&values))),
    )
    .await?;
    tx.commit().await?;
    cases::get(db, id).await?.ok_or(AppError::NotFound)
}

pub(crate) fn audit_detail(v: &CaseValues) -> String {
    serde_json::json!({
        "community": v.community, "title": v.subject,
        "contact_name": v.contact_name, "contact_phone": v.phone.as_ref().map(MobilePhone::masked),
    })
    .to_string()
}

/// Whether the actor may see the case: staff within their subtree, a
/// department handler only their department's cases, a member the cases
/// they took up. Others: not found.
fn visible(actor: &Actor, case: &Case) -> bool {
    match actor.role {
        Role::Staff => actor.sees(&case.org_path),
        Role::Department => {
            actor.department_id.is_some() && case.department_id == actor.department_id
        }
        Role::Member => actor.member_id.is_some() && case.raised_by == actor.member_id,
        _ => false,
    }
}

/// Who reads cases: staff, department handlers, and members (their own).
pub const READERS: &[Role] = &[Role::Staff, Role::Department, Role::Member];

pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Case, AppError> {
    actor.require(READERS)?;
    let case = cases::get(db, id).await?.ok_or(AppError::NotFound)?;
    if visible(actor, &case) {
        Ok(case)
    } else {
        Err(AppError::NotFound)
    }
}

/// A case with its timeline; the contact's phone in full for the staff handling it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    pub overdue: bool,
    /// Only for staff of the committee who asked for it (`reveal=phone`):
    /// the citizen's phone in full.
    pub contact_phone: Option<String>,
    pub events: Vec<CaseEvent>,
}

/// `reveal=phone`: staff see the contact's phone in full (audited).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RevealQuery {
    pub reveal: Option<String>,
}

/// A case with its timeline. The contact's phone stays masked unless staff
/// ask to see it in full (`reveal_phone`), which is audited: a case is read
/// far more often than its phone is needed.
pub async fn detail(
    db: &Db,
    actor: &Actor,
    cipher: &FieldCipher,
    id: i64,
    reveal_phone: bool,
) -> Result<CaseDetail, AppError> {
    let case = get(db, actor, id).await?;
    let events = events::events(db, Subject::Case, id).await?;
    let contact_phone = match (&actor.role, &case.contact_phone_enc) {
        (Role::Staff, Some(enc)) if reveal_phone => {
            let phone = cipher.decrypt(enc).map_err(AppError::internal_from)?;
            let mut tx = db.begin().await?;
            audit::insert(
                &mut tx,
                &actor.audit("reveal_personal_data", "case", id, None),
            )
            .await?;
            tx.commit().await?;
            Some(phone)
        }
        _ => None,
    };
    Ok(CaseDetail {
        overdue: overdue(&case),
        case,
        contact_phone,
        events,
    })
}

pub fn overdue(case: &Case) -> bool {
    is_overdue(case.status, case.due_on, today())
}

/// List filters as they arrive in a query string.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CaseQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub org: Option<String>,
    pub status: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    /// Set by an export (never from the query string): every matching row.
    #[serde(skip)]
    pub all_rows: bool,
}

pub(crate) struct Range {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

pub(crate) fn parse_range(from: &Option<String>, to: &Option<String>) -> Result<Range, AppError> {
    let mut errors = FieldErrors::new();
    let from = errors.check(parse_optional_date("from", from.as_deref().unwrap_or("")));
    let to = errors.check(parse_optional_date("to", to.as_deref().unwrap_or("")));
    if let (Some(Some(f)), Some(Some(t))) = (from, to) {
        if t < f {
            errors.push(FieldError::new("to", "range_reversed"));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::BadRequest(errors));
    }
    Ok(Range {
        from: from.flatten(),
        to: to.flatten(),
    })
}

pub(crate) fn bad_request(e: AppError) -> AppError {
    match e {
        AppError::Validation(errors) => AppError::BadRequest(errors),
        other => other,
    }
}

/// One page of the cases the actor may see, and how many there are in all.
pub async fn list_page(
    db: &Db,
    actor: &Actor,
    q: &CaseQuery,
) -> Result<(Vec<Case>, i64), AppError> {
    let page = PageRequest::parse_or_all(q.all_rows, q.page.as_deref(), q.per_page.as_deref())
        .map_err(AppError::BadRequest)?;
    let filter = list_filter(db, actor, q).await?;
    let total = cases::count(db, &filter).await?;
    let items = cases::list_page(db, &filter, page.limit(), page.offset()).await?;
    Ok((items, total))
}

async fn list_filter(db: &Db, actor: &Actor, q: &CaseQuery) -> Result<CaseFilter, AppError> {
    actor.require(READERS)?;
    let range = parse_range(&q.from, &q.to)?;
    let status = match non_blank(&q.status) {
        Some(s) => {
            Some(CaseStatus::parse("status", s).map_err(|e| AppError::BadRequest(e.into()))?)
        }
        None => None,
    };
    let mut filter = CaseFilter {
        status: status.map(|s| s.as_str().to_string()),
        urgent_first: status.is_some_and(awaits_work),
        from: range.from,
        to: range.to,
        ..Default::default()
    };
    if actor.role == Role::Department {
        filter.department_id = Some(actor.department_id.ok_or(AppError::Forbidden)?);
    } else if actor.role == Role::Member {
        filter.raised_by = Some(actor.member_id.ok_or(AppError::Forbidden)?);
    } else {
        let org = committee(db, actor, "org", non_blank(&q.org))
            .await
            .map_err(bad_request)?;
        filter.scope_path = Some(org.path);
    }
    Ok(filter)
}

/// Cards each column of the board shows; its heading links to the whole list.
pub const BOARD_CARDS: i64 = 20;

/// The board: for each status, the first [`BOARD_CARDS`] cases of the
/// actor's scope in that status, most urgent first where work is awaited,
/// otherwise newest first. The counts come with the figures.
pub async fn board(
    db: &Db,
    actor: &Actor,
    q: &CaseQuery,
) -> Result<Vec<(CaseStatus, Vec<Case>)>, AppError> {
    actor.require(&[Role::Staff])?;
    let base = list_filter(db, actor, q).await?;
    // The columns are read at once, each on its own connection: the board
    // waits for the slowest, not for the sum.
    let columns = CaseStatus::ALL.map(|status| {
        let filter = CaseFilter {
            status: Some(status.as_str().to_string()),
            urgent_first: awaits_work(status),
            ..base.clone()
        };
        async move { Ok::<_, AppError>((status, cases::list(db, &filter, BOARD_CARDS).await?)) }
    });
    futures_util::future::try_join_all(columns).await
}

/// A department handler's inbox: one page of their department's open cases,
/// soonest due first, and how many there are in all.
pub async fn inbox(
    db: &Db,
    actor: &Actor,
    page: Option<&str>,
) -> Result<(Vec<Case>, i64, PageRequest), AppError> {
    actor.require(&[Role::Department])?;
    let department_id = actor.department_id.ok_or(AppError::Forbidden)?;
    let page = PageRequest::parse(page, None).map_err(AppError::BadRequest)?;
    let filter = CaseFilter {
        department_id: Some(department_id),
        open_only: true,
        ..Default::default()
    };
    let total = cases::count(db, &filter).await?;
    let items = cases::list_page(db, &filter, page.limit(), page.offset()).await?;
    Ok((items, total, page))
}

/// One step on a case, as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
#[schema(as = CaseStepInput)]
pub struct StepInput {
    /// forward | accept | note | resolve | return | follow_up | reopen | close | escalate
    pub action: String,
    /// The version that was read.
    pub version: Option<String>,
    /// The date of the step (ISO); today when empty.
    pub on: Option<String>,
    /// forward: the department.
    pub department_id: Option<String>,
    /// forward: the due date; by default the committee's working days from the forwarding date.
    pub due_on: Option<String>,
    /// resolve: the department's reply.
    pub reply: Option<String>,
    /// follow_up: satisfied | basically_satisfied | unsatisfied.
    pub satisfaction: Option<String>,
    /// A note, kept as typed with any step (the timeline's `note`, the audit
    /// row); required for note, and as the reason for return.
    pub note: Option<String>,
}

fn may_take(actor: &Actor, action: CaseAction) -> bool {
    use CaseAction as A;
    match actor.role {
        Role::Staff => !matches!(action, A::Return),
        Role::Department => matches!(action, A::Accept | A::Note | A::Resolve | A::Return),
        _ => false,
    }
}

/// A case step, parsed and validated: each variant carries what it writes.
enum Step {
    Forward {
        department: i64,
        due: NaiveDate,
    },
    Accept,
    Close,
    Note,
    Resolve {
        reply: String,
    },
    Return,
    /// A follow-up, or a reopening; an unsatisfied visitor reopens the case.
    Satisfaction {
        satisfaction: Satisfaction,
        reopened: Option<CaseStatus>,
    },
    Escalate,
}

/// What a step on one case is read against.
struct Scene<'a> {
    db: &'a Db,
    actor: &'a Actor,
    case: &'a Case,
    input: &'a StepInput,
    from: CaseStatus,
    /// `None` when the date was refused (the reason is already recorded).
    on: Option<NaiveDate>,
    note: Option<String>,
    settings: Settings,
    cal: Calendar,
}

fn raw(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// Read one step's input into a typed step; field problems go to `errors`.
async fn parse_step(
    s: &Scene<'_>,
    action: CaseAction,
    errors: &mut FieldErrors,
) -> Result<Option<Step>, AppError> {
    unused_fields(s.input, action, errors);
    Ok(match action {
        CaseAction::Forward => parse_forward(s, errors).await?,
        CaseAction::Accept => Some(Step::Accept),
        CaseAction::Close => Some(Step::Close),
        CaseAction::Note => {
            if s.note.is_none() && errors.for_field("note").is_none() {
                errors.push(FieldError::new("note", "required"));
            }
            Some(Step::Note)
        }
        CaseAction::Resolve => errors
            .check(required_text("reply", raw(&s.input.reply), 4000))
            .map(|reply| Step::Resolve { reply }),
        CaseAction::Return => {
            parse_return(s, errors);
            Some(Step::Return)
        }
        CaseAction::FollowUp | CaseAction::Reopen => parse_satisfaction(s, action, errors),
        CaseAction::Escalate => {
            if s.on
                .is_some_and(|on| !is_overdue(s.from, s.case.due_on, on))
            {
                errors.push(FieldError::new("action", "case_not_overdue"));
            }
            Some(Step::Escalate)
        }
    })
}

/// Fields of other steps, given with this one: refused, never dropped.
fn unused_fields(input: &StepInput, action: CaseAction, errors: &mut FieldErrors) {
    use CaseAction as A;
    if action != A::Forward {
        steps::unused(errors, "department", &input.department_id);
        steps::unused(errors, "due_on", &input.due_on);
    }
    if action != A::Resolve {
        steps::unused(errors, "reply", &input.reply);
    }
    if !matches!(action, A::FollowUp | A::Reopen) {
        steps::unused(errors, "satisfaction", &input.satisfaction);
    }
}

async fn parse_forward(s: &Scene<'_>, errors: &mut FieldErrors) -> Result<Option<Step>, AppError> {
    let department = errors
        .check(parse_optional_id("department", raw(&s.input.department_id)))
        .flatten();
    let known = match department {
        None => {
            if errors.for_field("department").is_none() {
                errors.push(FieldError::new("department", "case_department_required"));
            }
            None
        }
        Some(d) => {
            let known = orgs::list_departments(s.db, &s.actor.org_path)
                .await?
                .iter()
                .any(|x| x.id == d);
            if !known {
                errors.push(FieldError::new("department", "unknown_department"));
            }
            known.then_some(d)
        }
    };
    let due = errors.check(parse_optional_date("due_on", raw(&s.input.due_on)));
    let mut checked_due = None;
    if let (Some(on), Some(due)) = (s.on, due) {
        let due = due.unwrap_or_else(|| s.cal.add_working_days(on, s.settings.due_working_days));
        checked_due = errors.check(check_due("due_on", on, due)).map(|_| due);
    }
    Ok(known
        .zip(checked_due)
        .map(|(department, due)| Step::Forward { department, due }))
}

fn parse_return(s: &Scene<'_>, errors: &mut FieldErrors) {
    if s.note.is_none() && errors.for_field("note").is_none() {
        errors.push(FieldError::new("note", "case_return_reason"));
    }
    if let (Some(on), Some(forwarded)) = (s.on, s.case.forwarded_on) {
        let limit = s.settings.return_working_days;
        if s.cal.working_days_between(forwarded, on) > i64::from(limit) {
            errors.push(FieldError::new("action", "case_return_too_late").with("days", limit));
        }
    }
}

fn parse_satisfaction(s: &Scene<'_>, action: CaseAction, errors: &mut FieldErrors) -> Option<Step> {
    let satisfaction = match non_blank(&s.input.satisfaction) {
        Some(v) => errors.check(Satisfaction::parse("satisfaction", v)),
        None if action == CaseAction::Reopen => Some(Satisfaction::Unsatisfied),
        None => {
            errors.push(FieldError::new("satisfaction", "required"));
            None
        }
    }?;
    let reopens = satisfaction == Satisfaction::Unsatisfied || action == CaseAction::Reopen;
    // Unsatisfied: the department works on it again, if the case may reopen.
    let reopened = if reopens {
        Some(errors.check(check_move("action", s.from, CaseAction::Reopen))?)
    } else {
        None
    };
    Some(Step::Satisfaction {
        satisfaction,
        reopened,
    })
}

/// What a validated step changes on the case and says on its timeline
/// (besides the typed note, which the event keeps as typed).
struct Plan {
    update: CaseUpdate,
    to: CaseStatus,
    /// What the step sets down besides the note: the reply, the satisfaction.
    event_detail: Option<String>,
    event_department: Option<i64>,
    /// A follow-up that reopens is two steps on the timeline.
    then_reopen: bool,
}

fn plan(step: Step, s: &Scene<'_>, action: CaseAction, to: CaseStatus, on: NaiveDate) -> Plan {
    let mut plan = Plan {
        update: CaseUpdate::of(s.case),
        to,
        event_detail: None,
        event_department: s.case.department_id,
        then_reopen: false,
    };
    let u = &mut plan.update;
    match step {
        Step::Forward { department, due } => {
            u.department_id = Some(department);
            u.forwarded_on = Some(on);
            u.due_on = Some(due);
            plan.event_department = Some(department);
        }
        Step::Accept | Step::Close | Step::Note => {}
        Step::Resolve { reply } => {
            plan.event_detail = Some(reply.clone());
            u.reply = Some(reply);
            u.resolved_on = Some(on);
        }
        Step::Return => {
            u.department_id = None;
            u.forwarded_on = None;
            u.due_on = None;
        }
        Step::Satisfaction {
            satisfaction,
            reopened,
        } => {
            u.satisfaction = Some(satisfaction.as_str().to_string());
            plan.event_detail = Some(satisfaction.as_str().to_string());
            if let Some(reopened) = reopened {
                plan.to = reopened;
                plan.then_reopen = action == CaseAction::FollowUp;
                u.resolved_on = None;
                u.due_on = Some(s.cal.add_working_days(on, s.settings.due_working_days));
            }
        }
        Step::Escalate => {
            u.escalations += 1;
            u.last_escalated_on = Some(on);
        }
    }
    plan
}

/// Take one step on a case. Every refusal changes nothing.
pub async fn step(db: &Db, actor: &Actor, id: i64, input: &StepInput) -> Result<Case, AppError> {
    actor.require(&[Role::Staff, Role::Department])?;
    let case = cases::get(db, id).await?.ok_or(AppError::NotFound)?;
    if !visible(actor, &case) {
        // Whatever the role, what the actor may not see does not exist for
        // them: a department answering another's case learns nothing of it.
        return Err(AppError::NotFound);
    }
    let action = CaseAction::parse("action", &input.action)?;
    if !may_take(actor, action) {
        return Err(AppError::Forbidden);
    }
    let version = parse_version(&input.version)?;
    let from = case.status;
    let to = check_move("action", from, action)?;
    let mut errors = FieldErrors::new();
    let on = step_on(db, &mut errors, &case, &input.on).await?;
    let note = errors
        .check(optional_text("note", raw(&input.note), 2000))
        .flatten();
    let scene = Scene {
        db,
        actor,
        case: &case,
        input,
        from,
        on,
        note,
        settings: settings_for(db, case.org_id).await?,
        cal: calendar::calendar(db).await?,
    };
    let step = parse_step(&scene, action, &mut errors).await?;
    errors.into_result()?;
    let (Some(step), Some(on)) = (step, on) else {
        return Err(internal("step"));
    };
    let plan = plan(step, &scene, action, to, on);
    take(&scene, action, plan, on, version).await?;
    cases::get(db, id).await?.ok_or(AppError::NotFound)
}

/// The step's date: not in the future, not before the case was received,
/// not before its last step.
async fn step_on(
    db: &Db,
    errors: &mut FieldErrors,
    case: &Case,
    input: &Option<String>,
) -> Result<Option<NaiveDate>, AppError> {
    let on = step_date(errors, "on", raw(input), today());
    match on {
        Some(d) if d < case.received_on => {
            errors.push(FieldError::new("on", "case_date_before_received"))
        }
        Some(d) => {
            let before_last = "case_date_before_last_step";
            steps::not_before_last(db, errors, Subject::Case, case.id, d, before_last, None).await?
        }
        None => {}
    }
    Ok(on)
}

/// Write a validated step: the case, then the shared frame.
async fn take(
    s: &Scene<'_>,
    action: CaseAction,
    mut plan: Plan,
    on: NaiveDate,
    version: i64,
) -> Result<(), AppError> {
    let id = s.case.id;
    let to = plan.to;
    plan.update.status = to;
    let mut tx = s.db.begin().await?;
    steps::check_version(cases::update(&mut tx, id, version, &plan.update).await?)?;
    // A follow-up that reopens: the follow-up ends at FollowedUp, then the reopening.
    let first_to = if plan.then_reopen {
        CaseStatus::FollowedUp
    } else {
        to
    };
    let mut events = vec![steps::Event {
        action: action.as_str(),
        from: s.from.as_str(),
        to: first_to.as_str(),
        department_id: plan.event_department,
        note: s.note.as_deref(),
        detail: plan.event_detail.as_deref(),
    }];
    if plan.then_reopen {
        events.push(steps::Event {
            action: CaseAction::Reopen.as_str(),
            from: first_to.as_str(),
            to: to.as_str(),
            department_id: plan.update.department_id,
            note: None,
            detail: None,
        });
    }
    let u = &plan.update;
    // What the department typed as its reply (resolve), and the visitor's satisfaction.
    let reply = u.reply.as_deref().filter(|_| action == CaseAction::Resolve);
    let followed_up = matches!(action, CaseAction::FollowUp | CaseAction::Reopen);
    let satisfaction = u.satisfaction.as_deref().filter(|_| followed_up);
    let detail = serde_json::json!({
        "action": action.as_str(), "from": s.from.as_str(), "to": to.as_str(),
        "department_id": u.department_id, "due_on": u.due_on, "on": on,
        "reply": reply, "satisfaction": satisfaction,
    });
    let record = steps::Record {
        subject: Subject::Case,
        id,
        on,
        events,
        audit_action: "case_step",
        object_type: "case",
        detail,
        note: s.note.as_deref(),
        search_kind: "case",
    };
    steps::record(tx, s.actor, record).await
}

/// Figures for a period and committee, computed from the records.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[schema(as = CaseFigures)]
pub struct Figures {
    pub org_id: i64,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Reception days held.
    pub reception_days: i64,
    /// Citizens received at reception days.
    pub visitors: i64,
    pub visits: i64,
    /// Cases received (by date received), of which from visits and online.
    pub received: i64,
    pub from_visits: i64,
    pub online: i64,
    /// Cases forwarded in the period (by forwarding date).
    pub forwarded: i64,
    /// Cases resolved in the period (by resolution date).
    pub resolved: i64,
    pub resolved_on_time: i64,
    /// Average calendar days from receipt to resolution, of the resolved.
    pub average_days_to_resolve: Option<f64>,
    /// Satisfaction at the latest follow-up, of the cases received in the period.
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub unsatisfied: i64,
    /// Cases received in the period that are past their due date now.
    pub overdue: i64,
    /// Cases by status now (of those received in the period).
    #[schema(schema_with = status_counts)]
    pub by_status: Vec<(String, i64)>,
}

/// `[status, count]` pairs, described without `prefixItems` (which client
/// generators and schemathesis read as the old tuple form and reject).
fn status_counts() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
    let pair = ArrayBuilder::new()
        .items(
            OneOfBuilder::new()
                .item(ObjectBuilder::new().schema_type(Type::String))
                .item(ObjectBuilder::new().schema_type(Type::Integer)),
        )
        .min_items(Some(2))
        .max_items(Some(2));
    ArrayBuilder::new()
        .items(pair)
        .description(Some(
            "Cases by status now (of those received in the period): [status, count] pairs.",
        ))
        .build()
}

/// What case figures were counted from: the scope, the period, the day
/// (overdue depends on it) and the cases' data version.
type FiguresKey = (
    String,
    Option<NaiveDate>,
    Option<NaiveDate>,
    NaiveDate,
    String,
);

/// Case figures already counted, for as long as the cases they were counted
/// from are unchanged: a district's board counts thousands of cases, and is
/// opened far more often than a case changes. Never stale: any change to a
/// case moves the data version, and the key with it.
#[derive(Default)]
pub struct FiguresCache(Mutex<HashMap<FiguresKey, Vec<cases::StatusFigures>>>);

impl FiguresCache {
    /// Keys kept before the cache starts afresh (old versions are never asked again).
    const CAPACITY: usize = 256;

    fn get(&self, key: &FiguresKey) -> Option<Vec<cases::StatusFigures>> {
        self.0.lock().ok()?.get(key).cloned()
    }

    fn put(&self, key: FiguresKey, rows: Vec<cases::StatusFigures>) {
        if let Ok(mut entries) = self.0.lock() {
            if entries.len() >= Self::CAPACITY {
                entries.clear();
            }
            entries.insert(key, rows);
        }
    }
}

/// The figures of a committee's subtree, counted by the database: at a
/// province's scale the cases are never loaded.
pub async fn figures(
    db: &Db,
    cache: &FiguresCache,
    actor: &Actor,
    q: &CaseQuery,
) -> Result<Figures, AppError> {
    actor.require(&[Role::Staff])?;
    let range = parse_range(&q.from, &q.to)?;
    let org = committee(db, actor, "org", non_blank(&q.org))
        .await
        .map_err(bad_request)?;
    let (from, to) = (range.from, range.to);
    let (reception_days, visits, visitors) =
        cases::reception_figures(db, &org.path, from, to).await?;
    let key = (
        org.path.clone(),
        from,
        to,
        today(),
        cases::data_version(db).await?,
    );
    let rows = match cache.get(&key) {
        Some(rows) => rows,
        None => {
            let rows = cases::figures_by_status(db, &org.path, from, to, key.3).await?;
            cache.put(key, rows.clone());
            rows
        }
    };
    let mut f = Figures {
        org_id: org.id,
        from,
        to,
        reception_days,
        visitors,
        visits,
        ..Default::default()
    };
    let mut days_total = 0i64;
    for r in &rows {
        f.received += r.received;
        f.online += r.online;
        f.from_visits += r.received - r.online;
        f.forwarded += r.forwarded;
        f.resolved += r.resolved;
        f.resolved_on_time += r.resolved_on_time;
        days_total += r.days_to_resolve;
        f.satisfied += r.satisfied;
        f.basically_satisfied += r.basically_satisfied;
        f.unsatisfied += r.unsatisfied;
        f.overdue += r.overdue;
    }
    if f.resolved > 0 {
        f.average_days_to_resolve =
            Some(((days_total as f64 / f.resolved as f64) * 10.0).round() / 10.0);
    }
    f.by_status = CaseStatus::ALL
        .iter()
        .map(|s| {
            let n = rows
                .iter()
                .filter(|r| r.status == *s)
                .map(|r| r.received)
                .sum();
            (s.as_str().to_string(), n)
        })
        .collect();
    Ok(f)
}

/// What a citizen sends from the public page.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PublicCaseInput {
    pub community: String,
    pub subject: String,
    pub description: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// "yes" when the citizen agreed to the personal-data line.
    pub consent: Option<String>,
}

/// Submissions one address may make per day.
pub const PUBLIC_LIMIT_PER_DAY: i64 = 5;

/// A citizen's case from the public page: returns the tracking code, shown once.
pub async fn submit_public(
    db: &Db,
    cipher: &FieldCipher,
    org_id: i64,
    input: &PublicCaseInput,
    ip: Option<String>,
) -> Result<(Case, String), AppError> {
    let org = match orgs::get_org(db, org_id).await? {
        Some(o)
            if o.kind == OrgKind::Subdistrict.as_str() || o.kind == OrgKind::District.as_str() =>
        {
            o
        }
        _ => return Err(AppError::NotFound),
    };
    let mut errors = FieldErrors::new();
    let values = validate_case_fields(
        &mut errors,
        &input.community,
        &input.subject,
        &input.description,
        input.contact_name.as_deref(),
        input.contact_phone.as_deref(),
    );
    let gives_contact =
        non_blank(&input.contact_name).is_some() || non_blank(&input.contact_phone).is_some();
    if gives_contact && non_blank(&input.consent) != Some("yes") {
        errors.push(FieldError::new("consent", "consent_required"));
    }
    errors.into_result()?;
    let values = values.ok_or_else(|| internal("public case"))?;
    let code = tracking_code();
    let hash = crate::security::token_hash(&code);
    let address = ip.clone().unwrap_or_else(|| "unknown".into());
    let mut tx = db.begin().await?;
    let since: DateTime<Utc> = Utc::now() - Duration::hours(24);
    if cases::record_submission(&mut tx, &address, since).await? >= PUBLIC_LIMIT_PER_DAY {
        drop(tx);
        return Err(FieldError::new("body", "too_many_submissions").into());
    }
    let id = insert_case(
        &mut tx,
        cipher,
        org.id,
        CaseSource::Online,
        None,
        None,
        today(),
        &values,
        Some(hash),
        &Registrar {
            user_id: None,
            username: None,
        },
    )
    .await?;
    audit::insert(
        &mut tx,
        &NewAuditEntry {
            ip,
            action: "create",
            object_type: Some("case"),
            object_id: Some(id.to_string()),
            outcome: "ok",
            detail: Some(audit_detail(&values)),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    let case = cases::get(db, id).await?.ok_or(AppError::NotFound)?;
    Ok((case, crate::domain::cases::format_tracking_code(&code)))
}

/// 16 characters from an alphabet without look-alikes (no 0/O, 1/I).
fn tracking_code() -> String {
    use rand::RngCore;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect()
}

/// What a citizen sees with a tracking code: the case's own status and reply, nothing else.
#[derive(Debug, Clone, Serialize)]
pub struct PublicStatus {
    pub title: String,
    pub received_on: NaiveDate,
    pub status: CaseStatus,
    pub department: Option<String>,
    pub resolved_on: Option<NaiveDate>,
    pub reply: Option<String>,
}

/// Tracking-code look-ups one address may make in an hour: plenty for a
/// citizen following their cases, too few to try codes at random.
pub const TRACK_LIMIT_PER_HOUR: i64 = 20;

/// A citizen's look-up of their case by its tracking code. Each look-up from
/// an address counts, found or not (shared by all servers, in the database).
pub async fn track(db: &Db, code: &str, ip: Option<String>) -> Result<PublicStatus, AppError> {
    let address = format!("track {}", ip.as_deref().unwrap_or("unknown"));
    let mut tx = db.begin().await?;
    let since: DateTime<Utc> = Utc::now() - Duration::hours(1);
    let before = cases::record_submission(&mut tx, &address, since).await?;
    tx.commit().await?;
    if before >= TRACK_LIMIT_PER_HOUR {
        return Err(FieldError::new("body", "too_many_lookups").into());
    }
    let code = crate::domain::cases::normalize_tracking_code(code).ok_or_else(|| {
        AppError::Validation(FieldError::new("tracking_code", "tracking_code_unknown").into())
    })?;
    let case = cases::find_by_tracking_hash(db, &crate::security::token_hash(&code))
        .await?
        .ok_or_else(|| {
            AppError::Validation(FieldError::new("tracking_code", "tracking_code_unknown").into())
        })?;
    let status = case.status;
    let answered = matches!(
        status,
        CaseStatus::Resolved | CaseStatus::FollowedUp | CaseStatus::Closed
    );
    Ok(PublicStatus {
        title: case.title,
        received_on: case.received_on,
        status,
        department: case.department_name,
        resolved_on: case.resolved_on.filter(|_| answered),
        reply: case.reply.filter(|_| answered),
    })
}
