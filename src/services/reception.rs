//! Reception days: the schedule and roster, holding a day with its members
//! on duty, registering visitors (answered on the spot or opened as cases),
//! the committee's settings and the official calendar.

use crate::domain::paging::PageRequest;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::cases::{
    committee, insert_case, parse_range, settings_for, today, validate_case_fields, CaseValues,
    Registrar, Settings,
};
use super::{non_blank, Actor};
use crate::domain::calendar::parse_year;
use crate::domain::cases::{parse_working_days, CaseSource};
use crate::domain::dates::{parse_date, parse_optional_id, year_to_open};
use crate::domain::orgs::OrgKind;
use crate::domain::phone::MobilePhone;
use crate::domain::reception::{
    duty_group_for, parse_day_of_month, parse_people, scheduled_day, VisitOutcome,
};
use crate::domain::roles::Role;
use crate::domain::text::{optional_line, optional_text, required_line, required_text, PersonName};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::security::crypto::FieldCipher;
use crate::services::error::AppError;
use crate::storage::calendar::Holiday;
use crate::storage::orgs::Org;
use crate::storage::reception::{DutyMember, NewDay, NewVisit, ReceptionDay, Visit};
use crate::storage::timeline::NewTimelineEntry;
use crate::storage::{
    audit, calendar, is_unique_violation, members, orgs, reception, timeline, Db,
};

const STAFF: &[Role] = &[Role::Staff];

/// The groups of a committee, in their fixed roster order.
async fn groups_of(db: &Db, org: &Org) -> Result<Vec<Org>, AppError> {
    let mut groups: Vec<Org> = orgs::list_orgs(db, &org.path, Some(OrgKind::Group.as_str()))
        .await?
        .into_iter()
        .filter(|o| o.parent_id == Some(org.id))
        .collect();
    groups.sort_by_key(|g| g.id);
    Ok(groups)
}

/// One month of the schedule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScheduleEntry {
    pub month: u32,
    pub nominal_on: NaiveDate,
    pub held_on: NaiveDate,
    /// The nominal day is a weekend or holiday: moved to the next working day.
    pub shifted: bool,
    pub duty_group_id: Option<i64>,
    pub duty_group: Option<String>,
    /// The reception day recorded for this date, if any.
    pub reception_day_id: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ScheduleQuery {
    pub org: Option<String>,
    pub year: Option<String>,
}

pub async fn schedule(
    db: &Db,
    actor: &Actor,
    q: &ScheduleQuery,
) -> Result<Vec<ScheduleEntry>, AppError> {
    actor.require(STAFF)?;
    let org = committee(db, actor, "org", non_blank(&q.org))
        .await
        .map_err(as_bad_request)?;
    let year = year_or_this(q.year.as_deref())?;
    let settings = settings_for(db, org.id).await?;
    schedule_of(db, &org, &settings, year).await
}

/// `year=`: a year from 2000 to 2100, this year when blank.
fn year_or_this(year: Option<&str>) -> Result<i32, AppError> {
    match year.map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| {
                AppError::BadRequest(
                    FieldError::new("year", "year_range")
                        .with("min", 2000)
                        .with("max", 2100)
                        .into(),
                )
            }),
        None => Ok(today().year()),
    }
}

/// The year's scheduled days of a committee, with the duty group of each
/// and the day recorded, if any.
async fn schedule_of(
    db: &Db,
    org: &Org,
    settings: &Settings,
    year: i32,
) -> Result<Vec<ScheduleEntry>, AppError> {
    let cal = calendar::calendar(db).await?;
    let groups = groups_of(db, org).await?;
    let held = reception::days_between(
        db,
        org.id,
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
    )
    .await?;
    let mut out = Vec::new();
    for month in 1..=12 {
        let Some(day) = scheduled_day(year, month, settings.day_of_month, &cal) else {
            continue;
        };
        let group = duty_group_for(day.held_on, groups.len()).and_then(|i| groups.get(i));
        let recorded = held.iter().find(|d| d.held_on == day.held_on);
        out.push(ScheduleEntry {
            month,
            nominal_on: day.nominal,
            held_on: day.held_on,
            shifted: day.shifted(),
            duty_group_id: group.map(|g| g.id),
            duty_group: group.map(|g| g.name.clone()),
            reception_day_id: recorded.map(|d| d.id),
        });
    }
    Ok(out)
}

/// A committee's scheduled reception days from `from` to `to` (both
/// included), each with its duty group: the reminders of the coming week.
pub async fn duty_days_between(
    db: &Db,
    org_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(NaiveDate, Option<i64>)>, AppError> {
    let Some(org) = orgs::get_org(db, org_id).await? else {
        return Ok(Vec::new());
    };
    let settings = settings_for(db, org.id).await?;
    let mut out = Vec::new();
    for year in from.year()..=to.year() {
        for entry in schedule_of(db, &org, &settings, year).await? {
            if entry.held_on >= from && entry.held_on <= to {
                out.push((entry.held_on, entry.duty_group_id));
            }
        }
    }
    Ok(out)
}

/// A member's next reception day on duty, today or later: the schedule's
/// next day whose duty group is theirs (this year's or next year's).
pub async fn next_duty_of(
    db: &Db,
    member_id: i64,
    today: NaiveDate,
) -> Result<Option<NaiveDate>, AppError> {
    let Some(member) = members::get(db, member_id).await? else {
        return Ok(None);
    };
    let Some(group) = member.group_id else {
        return Ok(None);
    };
    let Some(org) = orgs::get_org(db, member.org_id).await? else {
        return Ok(None);
    };
    let settings = settings_for(db, org.id).await?;
    for year in [today.year(), today.year() + 1] {
        let found = schedule_of(db, &org, &settings, year)
            .await?
            .into_iter()
            .find(|e| e.held_on >= today && e.duty_group_id == Some(group));
        if let Some(entry) = found {
            return Ok(Some(entry.held_on));
        }
    }
    Ok(None)
}

/// A committee's next scheduled reception day, today or later (this year's
/// or next year's schedule), with its duty group.
pub async fn next_day(
    db: &Db,
    org: &Org,
    today: NaiveDate,
) -> Result<Option<ScheduleEntry>, AppError> {
    let settings = settings_for(db, org.id).await?;
    for year in [today.year(), today.year() + 1] {
        let found = schedule_of(db, org, &settings, year)
            .await?
            .into_iter()
            .find(|e| e.held_on >= today);
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// The reception overview of the actor's committee: a year's schedule,
/// one page of the days held within the scope that year, and the
/// committee's settings, read with one lookup of the committee.
pub struct Overview {
    pub year: i32,
    pub schedule: Vec<ScheduleEntry>,
    pub days: Vec<ReceptionDay>,
    pub days_total: i64,
    pub page: PageRequest,
    pub settings: Settings,
}

pub async fn overview(
    db: &Db,
    actor: &Actor,
    year: &Option<String>,
    page: Option<&str>,
) -> Result<Overview, AppError> {
    actor.require(STAFF)?;
    let page = PageRequest::parse(page, None).map_err(AppError::BadRequest)?;
    let org = committee(db, actor, "org", None)
        .await
        .map_err(as_bad_request)?;
    // Without a year asked: the latest year that has reception days.
    let year = match year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        Some(_) => year_or_this(year.as_deref())?,
        None => year_to_open(reception::latest_day_on(db, org.id).await?, today()),
    };
    let settings = settings_for(db, org.id).await?;
    let schedule = schedule_of(db, &org, &settings, year).await?;
    let (from, to) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    );
    let days_total = reception::count_days(db, &org.path, from, to).await?;
    let days = reception::list_days(db, &org.path, from, to, page.limit(), page.offset()).await?;
    Ok(Overview {
        year,
        schedule,
        days,
        days_total,
        page,
        settings,
    })
}

fn as_bad_request(e: AppError) -> AppError {
    match e {
        AppError::Validation(errors) => AppError::BadRequest(errors),
        other => other,
    }
}

/// A reception day as submitted.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct DayInput {
    #[schema(value_type = Option<i64>)]
    pub org_id: Option<String>,
    /// ISO date (the schedule shows the month's day).
    pub held_on: Option<String>,
    /// Members on duty (ids); the rostered group's members when empty.
    #[schema(value_type = Option<Vec<i64>>)]
    pub duty_member_ids: Option<Vec<String>>,
    pub note: Option<String>,
}

/// Hold a reception day: the date (the schedule's by default), the group on
/// duty by the roster, and its members' duty-file entries.
pub async fn create_day(
    db: &Db,
    actor: &Actor,
    input: &DayInput,
) -> Result<ReceptionDay, AppError> {
    actor.require(STAFF)?;
    let mut errors = FieldErrors::new();
    let org = match committee(db, actor, "org_id", input.org_id.as_deref()).await {
        Ok(o) => Some(o),
        Err(AppError::Validation(e)) => {
            errors.0.extend(e.0);
            None
        }
        Err(e) => return Err(e),
    };
    let given = errors.check(parse_date(
        "held_on",
        input.held_on.as_deref().unwrap_or(""),
    ));
    let note = errors
        .check(optional_text(
            "note",
            input.note.as_deref().unwrap_or(""),
            500,
        ))
        .flatten();
    let mut member_ids = Vec::new();
    for raw in input.duty_member_ids.iter().flatten() {
        if let Some(Some(id)) = errors.check(parse_optional_id("duty_member_ids", raw)) {
            member_ids.push(id);
        }
    }
    errors.into_result()?;
    let org = org.ok_or_else(|| AppError::internal("committee missing"))?;
    let settings = settings_for(db, org.id).await?;
    let cal = calendar::calendar(db).await?;
    let held_on = given.ok_or_else(|| AppError::internal("date missing"))?;
    let scheduled = scheduled_day(held_on.year(), held_on.month(), settings.day_of_month, &cal)
        .ok_or_else(|| AppError::internal("no schedule"))?;
    if held_on > today() {
        return Err(FieldError::new("held_on", "date_in_future").into());
    }
    let groups = groups_of(db, &org).await?;
    let group = duty_group_for(held_on, groups.len())
        .and_then(|i| groups.get(i))
        .cloned();
    let member_ids = duty_members(db, &org, group.as_ref(), member_ids).await?;
    let mut tx = db.begin().await?;
    let new_day = NewDay {
        org_id: org.id,
        nominal_on: if held_on == scheduled.held_on {
            scheduled.nominal
        } else {
            held_on
        },
        held_on,
        duty_group_id: group.as_ref().map(|g| g.id),
        note: note.as_deref(),
        created_by: Some(actor.user_id),
    };
    let id = match reception::insert_day(&mut tx, &new_day).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(FieldError::new("held_on", "reception_day_taken").into())
        }
        Err(e) => return Err(e.into()),
    };
    let title = format!("{} {}", held_on, org.name);
    for member_id in &member_ids {
        reception::insert_duty(&mut tx, id, *member_id).await?;
        timeline::insert(
            &mut tx,
            &NewTimelineEntry {
                member_id: *member_id,
                occurred_on: held_on,
                kind: "reception_duty",
                title: &title,
                object_type: Some("reception_day"),
                object_id: Some(id),
                created_by: Some(actor.user_id),
            },
        )
        .await?;
    }
    let detail = serde_json::json!({"org_id": org.id, "held_on": held_on, "duty": member_ids});
    audit::insert(
        &mut tx,
        &actor.audit("create", "reception_day", id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    reception::get_day(db, id).await?.ok_or(AppError::NotFound)
}

/// Who is on duty: the members named (each checked to belong to the
/// committee), or else the active members of the rostered group.
async fn duty_members(
    db: &Db,
    org: &Org,
    group: Option<&Org>,
    mut member_ids: Vec<i64>,
) -> Result<Vec<i64>, AppError> {
    if member_ids.is_empty() {
        let Some(g) = group else {
            return Ok(member_ids);
        };
        let filter = crate::storage::members::MemberFilter {
            scope_path: org.path.clone(),
            group_id: Some(g.id),
            status: Some("active".into()),
            ..Default::default()
        };
        let (found, _) = members::list(db, &filter, "m.name_key", "ASC", 200, 0).await?;
        return Ok(found.into_iter().map(|m| m.id).collect());
    }
    let mut errors = FieldErrors::new();
    for id in &member_ids {
        super::cases::check_member_of(db, &mut errors, "duty_member_ids", Some(*id), org).await?;
    }
    errors.into_result()?;
    member_ids.sort_unstable();
    member_ids.dedup();
    Ok(member_ids)
}

/// A reception day with who was on duty and the visits.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayDetail {
    #[serde(flatten)]
    pub day: ReceptionDay,
    pub duty: Vec<DutyMember>,
    pub visits: Vec<Visit>,
    /// The cases the visits opened, each naming its visit.
    pub cases: Vec<reception::VisitCase>,
}

/// Staff within their subtree, or a member on duty that day.
async fn visible_day(db: &Db, actor: &Actor, day: &ReceptionDay) -> Result<bool, AppError> {
    Ok(match actor.role {
        Role::Staff => match orgs::get_org(db, day.org_id).await? {
            Some(o) => actor.sees(&o.path),
            None => false,
        },
        Role::Member => match actor.member_id {
            Some(m) => reception::is_on_duty(db, day.id, m).await?,
            None => false,
        },
        _ => false,
    })
}

pub async fn get_day(db: &Db, actor: &Actor, id: i64) -> Result<DayDetail, AppError> {
    actor.require(&[Role::Staff, Role::Member])?;
    let day = reception::get_day(db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !visible_day(db, actor, &day).await? {
        return Err(AppError::NotFound);
    }
    Ok(DayDetail {
        duty: reception::duty_members(db, id).await?,
        visits: reception::visits_of_day(db, id).await?,
        cases: reception::cases_of_day(db, id).await?,
        day,
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DayQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub org: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    /// Set by an export (never from the query string): every matching row.
    #[serde(skip)]
    pub all_rows: bool,
}

/// One page of the days held by committees of the actor's scope, newest
/// first, and how many there are in all.
pub async fn list_days(
    db: &Db,
    actor: &Actor,
    q: &DayQuery,
) -> Result<(Vec<ReceptionDay>, i64, PageRequest), AppError> {
    actor.require(STAFF)?;
    let page = PageRequest::parse_or_all(q.all_rows, q.page.as_deref(), q.per_page.as_deref())
        .map_err(AppError::BadRequest)?;
    let (path, from, to) = export_scope(db, actor, q).await?;
    let total = reception::count_days(db, &path, from, to).await?;
    let items = reception::list_days(db, &path, from, to, page.limit(), page.offset()).await?;
    Ok((items, total, page))
}

/// The subtree and the days the list of days selects: an export reads the
/// visits of the same days.
pub(crate) async fn export_scope(
    db: &Db,
    actor: &Actor,
    q: &DayQuery,
) -> Result<(String, Option<NaiveDate>, Option<NaiveDate>), AppError> {
    actor.require(STAFF)?;
    let range = parse_range(&q.from, &q.to)?;
    let org = committee(db, actor, "org", non_blank(&q.org))
        .await
        .map_err(as_bad_request)?;
    Ok((org.path, range.from, range.to))
}

/// A case opened from a visit.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct VisitCaseInput {
    pub subject: String,
    pub description: String,
}

/// Visitors registered on a reception day.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct VisitInput {
    /// How many people came together.
    #[schema(value_type = i64)]
    #[serde(default)]
    pub people: String,
    #[serde(default)]
    pub community: String,
    /// What they raised.
    #[serde(default)]
    pub summary: String,
    pub visitor_name: Option<String>,
    pub phone: Option<String>,
    /// answered | case
    #[serde(default)]
    pub outcome: String,
    /// For `answered`: what they were told.
    pub answer: Option<String>,
    /// The member on duty who received them.
    #[schema(value_type = Option<i64>)]
    pub received_by: Option<String>,
    /// For `case`: one or more cases opened from the visit.
    #[serde(default)]
    pub cases: Vec<VisitCaseInput>,
}

/// A visit as validated, ready to be written.
struct ValidVisit {
    people: i64,
    community: String,
    summary: String,
    visitor_name: Option<String>,
    phone: Option<MobilePhone>,
    outcome: VisitOutcome,
    answer: Option<String>,
    received_by: Option<i64>,
    cases: Vec<CaseValues>,
}

/// Register visitors; with outcome `case`, open each case in the same transaction.
pub async fn add_visit(
    db: &Db,
    actor: &Actor,
    cipher: &FieldCipher,
    day_id: i64,
    input: &VisitInput,
) -> Result<(Visit, Vec<i64>), AppError> {
    actor.require(&[Role::Staff, Role::Member])?;
    let day = reception::get_day(db, day_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !visible_day(db, actor, &day).await? {
        return Err(AppError::NotFound);
    }
    let v = validate_visit(db, actor, &day, input).await?;
    let mut tx = db.begin().await?;
    let visit_id = reception::insert_visit(
        &mut tx,
        &NewVisit {
            reception_day_id: day.id,
            people: v.people,
            community: &v.community,
            summary: &v.summary,
            visitor_name: v.visitor_name.as_deref(),
            phone_enc: v
                .phone
                .as_ref()
                .map(|p| cipher.encrypt(p.as_str()))
                .transpose()?,
            phone_masked: v.phone.as_ref().map(MobilePhone::masked),
            outcome: v.outcome.as_str(),
            answer: v.answer.as_deref(),
            received_by: v.received_by,
            created_by: Some(actor.user_id),
        },
    )
    .await?;
    let mut case_ids = Vec::new();
    for case in &v.cases {
        let id = insert_case(
            &mut tx,
            cipher,
            day.org_id,
            CaseSource::Visit,
            Some(visit_id),
            v.received_by,
            day.held_on,
            case,
            None,
            &Registrar {
                user_id: Some(actor.user_id),
                username: Some(&actor.username),
            },
        )
        .await?;
        case_ids.push(id);
    }
    reception::touch_day(&mut tx, day.id).await?;
    let detail = serde_json::json!({
        "reception_day_id": day.id, "people": v.people, "community": v.community,
        "outcome": v.outcome.as_str(), "phone": v.phone.as_ref().map(MobilePhone::masked),
        "cases": case_ids,
    });
    audit::insert(
        &mut tx,
        &actor.audit("create", "visit", visit_id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    let visit = reception::visits_of_day(db, day.id)
        .await?
        .into_iter()
        .find(|v| v.id == visit_id)
        .ok_or(AppError::NotFound)?;
    Ok((visit, case_ids))
}

/// Every field of a visit checked at once, so that all errors are told together.
/// The names of the communities of the day's committee, in order.
pub async fn communities_of_day(db: &Db, day: &ReceptionDay) -> Result<Vec<String>, AppError> {
    let Some(org) = orgs::get_org(db, day.org_id).await? else {
        return Ok(Vec::new());
    };
    Ok(orgs::list_communities(db, &org.path)
        .await?
        .into_iter()
        .filter(|c| c.org_id == day.org_id)
        .map(|c| c.name)
        .collect())
}

async fn validate_visit(
    db: &Db,
    actor: &Actor,
    day: &ReceptionDay,
    input: &VisitInput,
) -> Result<ValidVisit, AppError> {
    let mut errors = FieldErrors::new();
    let people = errors.check(parse_people("people", &input.people));
    let community = errors.check(required_line("community", &input.community, 50));
    // A committee that keeps its communities names one of them: the figures
    // per community add up only if the names do.
    let communities = communities_of_day(db, day).await?;
    if let Some(name) = &community {
        if !communities.is_empty() && !communities.contains(name) {
            errors.push(FieldError::new("community", "community_not_listed"));
        }
    }
    let summary = errors.check(required_text("summary", &input.summary, 2000));
    let visitor_name = match non_blank(&input.visitor_name) {
        Some(n) => errors
            .check(PersonName::parse("visitor_name", n))
            .map(|n| Some(n.into_string())),
        None => Some(None),
    };
    let phone = match non_blank(&input.phone) {
        Some(p) => errors.check(MobilePhone::parse("phone", p)).map(Some),
        None => Some(None),
    };
    let outcome = errors.check(VisitOutcome::parse("outcome", &input.outcome));
    let answer = errors
        .check(optional_line(
            "answer",
            input.answer.as_deref().unwrap_or(""),
            500,
        ))
        .flatten();
    let received_by = errors
        .check(parse_optional_id(
            "received_by",
            input.received_by.as_deref().unwrap_or(""),
        ))
        .flatten();
    let received_by = match (received_by, actor.role) {
        (None, Role::Member) => actor.member_id,
        (r, _) => r,
    };
    if let Some(m) = received_by {
        if !reception::is_on_duty(db, day.id, m).await? {
            errors.push(FieldError::new("received_by", "not_on_duty"));
        }
    }
    let cases = validate_visit_cases(&mut errors, outcome, input);
    errors.into_result()?;
    let (
        Some(people),
        Some(community),
        Some(summary),
        Some(visitor_name),
        Some(phone),
        Some(outcome),
    ) = (people, community, summary, visitor_name, phone, outcome)
    else {
        return Err(AppError::internal("validated visit missing"));
    };
    Ok(ValidVisit {
        people,
        community,
        summary,
        visitor_name,
        phone,
        outcome,
        answer,
        received_by,
        cases,
    })
}

/// The cases opened from a visit: required for `case`, refused for `answered`, ten at most.
fn validate_visit_cases(
    errors: &mut FieldErrors,
    outcome: Option<VisitOutcome>,
    input: &VisitInput,
) -> Vec<CaseValues> {
    match outcome {
        Some(VisitOutcome::Case) if input.cases.is_empty() => {
            errors.push(FieldError::new("cases", "visit_case_required"))
        }
        Some(VisitOutcome::Answered) if !input.cases.is_empty() => {
            errors.push(FieldError::new("cases", "visit_answered_no_cases"))
        }
        _ => {}
    }
    if input.cases.len() > 10 {
        errors.push(FieldError::new("cases", "too_many_cases"));
    }
    let mut values = Vec::new();
    for c in input.cases.iter().take(10) {
        values.extend(validate_case_fields(
            errors,
            &input.community,
            &c.subject,
            &c.description,
            non_blank(&input.visitor_name),
            non_blank(&input.phone),
        ));
    }
    values
}

/// A committee's settings as submitted.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[schema(as = ReceptionSettingsInput)]
pub struct SettingsInput {
    #[schema(value_type = Option<i64>)]
    pub org_id: Option<String>,
    #[schema(value_type = i64)]
    #[serde(default)]
    pub day_of_month: String,
    #[schema(value_type = i64)]
    #[serde(default)]
    pub due_working_days: String,
    #[schema(value_type = i64)]
    #[serde(default)]
    pub return_working_days: String,
    /// The version that was read (0 or empty when never saved).
    #[schema(value_type = Option<i64>)]
    pub version: Option<String>,
}

pub async fn get_settings(
    db: &Db,
    actor: &Actor,
    org: Option<&str>,
) -> Result<(Org, Settings), AppError> {
    actor.require(STAFF)?;
    let org = committee(db, actor, "org", org)
        .await
        .map_err(as_bad_request)?;
    let s = settings_for(db, org.id).await?;
    Ok((org, s))
}

pub async fn save_settings(
    db: &Db,
    actor: &Actor,
    input: &SettingsInput,
) -> Result<Settings, AppError> {
    actor.require(STAFF)?;
    let org = committee(db, actor, "org_id", input.org_id.as_deref()).await?;
    let mut errors = FieldErrors::new();
    let day = errors.check(parse_day_of_month("day_of_month", &input.day_of_month));
    let due = errors.check(parse_working_days(
        "due_working_days",
        &input.due_working_days,
    ));
    let back = errors.check(parse_working_days(
        "return_working_days",
        &input.return_working_days,
    ));
    let version = match non_blank(&input.version) {
        None | Some("0") => None,
        Some(v) => match v.parse::<i64>() {
            Ok(v) if v > 0 => Some(v),
            _ => {
                errors.push(FieldError::new("version", "version_required"));
                None
            }
        },
    };
    errors.into_result()?;
    let (Some(day), Some(due), Some(back)) = (day, due, back) else {
        return Err(AppError::internal("validated settings missing"));
    };
    let mut tx = db.begin().await?;
    let saved = match calendar::save_settings(
        &mut tx,
        org.id,
        version,
        i64::from(day),
        i64::from(due),
        i64::from(back),
    )
    .await
    {
        Ok(saved) => saved,
        Err(e) if is_unique_violation(&e) => false,
        Err(e) => return Err(e.into()),
    };
    if !saved {
        return Err(AppError::Conflict("stale_version"));
    }
    let detail = serde_json::json!({"day_of_month": day, "due_working_days": due, "return_working_days": back});
    audit::insert(
        &mut tx,
        &actor.audit("update", "case_settings", org.id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    settings_for(db, org.id).await
}

/// A year of the official calendar, pasted one date a line.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct HolidaysInput {
    #[schema(value_type = i64)]
    #[serde(default)]
    pub year: String,
    /// `2012-01-23 holiday 春节` / `2012-01-21 workday 调休`, one a line.
    #[serde(default)]
    pub lines: String,
}

pub async fn load_holidays(
    db: &Db,
    actor: &Actor,
    input: &HolidaysInput,
) -> Result<Vec<Holiday>, AppError> {
    actor.require(STAFF)?;
    let year = input
        .year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| {
            AppError::Validation(
                FieldError::new("year", "year_range")
                    .with("min", 2000)
                    .with("max", 2100)
                    .into(),
            )
        })?;
    if input.lines.chars().count() > 20_000 {
        return Err(FieldError::new("lines", "too_long")
            .with("max", 20_000)
            .into());
    }
    let lines = parse_year(year, &input.lines)?;
    let mut tx = db.begin().await?;
    calendar::replace_year(&mut tx, year, &lines, Some(actor.user_id)).await?;
    let detail = serde_json::json!({"year": year, "entries": lines.len()});
    audit::insert(
        &mut tx,
        &actor.audit("update", "holidays", year, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    Ok(calendar::list_year(db, year).await?)
}

pub async fn list_holidays(
    db: &Db,
    actor: &Actor,
    year: Option<&str>,
) -> Result<Vec<Holiday>, AppError> {
    actor.require(STAFF)?;
    let year = year_or_this(year)?;
    Ok(calendar::list_year(db, year).await?)
}
