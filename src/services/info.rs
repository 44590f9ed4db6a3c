//! Information reports (社情民意信息 / 政协工作信息): members submit their own,
//! staff submit for a member of their subtree or for the committee, edit,
//! forward to the district, record adoptions (by level, with where published)
//! and leaders' instructions (批示). Every step is dated, is a row of the
//! report's timeline, is audited and notes a search-index change; the author's
//! duty file gets the submission, each adoption and each instruction. The
//! quarterly figures (the plan: 3 social-condition infos or 1 work info) are
//! computed from the records.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::cases::{check_member_of, committee, parse_range};
use super::steps::{parse_version, today};
use super::{non_blank, steps, Actor};
use crate::domain::dates::{parse_optional_id, year_to_open};
use crate::domain::info::{
    check_author_move, check_move, plan_met, quarter_of, validate_body, AdoptionLevel, InfoAction,
    InfoKind, InfoStatus,
};
use crate::domain::orgs::OrgKind;
use crate::domain::paging::PageRequest;
use crate::domain::roles::Role;
use crate::domain::steps as steps_rule;
use crate::domain::text::{optional_line, optional_text, required_line, required_text};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::services::error::AppError;
use crate::storage::events::{self, NewEvent, Subject};
use crate::storage::info::{
    self as store, Adoption, InfoEvent, InfoFilter, InfoReport, Instruction, NewAdoption,
    NewInstruction, NewReport, ReportUpdate,
};
use crate::storage::timeline::{self, NewTimelineEntry};
use crate::storage::{audit, members, orgs, search, Db, Tx};

const STAFF_OR_MEMBER: &[Role] = &[Role::Staff, Role::Member];
/// The longest headline, in characters.
pub const HEADLINE_MAX_CHARS: usize = 100;
/// The search index's name for these records.
pub const SEARCH_KIND: &str = "info";

/// A report as submitted or edited, before validation; every field is text.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct InfoInput {
    /// social_condition (社情民意信息) | work (政协工作信息)
    pub kind: String,
    /// The title (标题).
    pub headline: String,
    /// The text (正文): at most 1,500 characters unless configured otherwise.
    pub text: String,
    /// Staff: the member who wrote it (empty: the committee's own). Ignored for members.
    pub author_member_id: Option<String>,
    /// Staff, for the committee's own report: the committee (default: the user's own).
    pub org_id: Option<String>,
    /// The date submitted (YYYY-MM-DD); today when empty.
    pub submitted_on: Option<String>,
    /// Edits: the version read.
    pub version: Option<String>,
    /// Staff edits: the date of the edit; today when empty.
    pub on: Option<String>,
}

/// One step on a report, as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct InfoStepInput {
    /// forward | adopt | instruct | withdraw
    pub action: String,
    /// The version read.
    pub version: Option<String>,
    /// The date of the step (YYYY-MM-DD); today when empty.
    pub on: Option<String>,
    /// forward: to whom (default: the district committee above).
    pub forwarded_to: Option<String>,
    /// adopt: district | city | province | national.
    pub level: Option<String>,
    /// adopt: where it was published.
    pub publication: Option<String>,
    /// instruct: the leader who wrote it, e.g. 区委副书记.
    pub leader: Option<String>,
    /// instruct: what the leader wrote.
    pub content: Option<String>,
    /// A note, kept as typed with any step (the timeline's `note`, the audit row).
    pub note: Option<String>,
}

/// List filters as they arrive in a query string.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InfoQuery {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub org: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    /// Set by an export (never from the query string): every matching row.
    #[serde(skip)]
    pub all_rows: bool,
}

/// A report with its adoptions, instructions and timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InfoDetail {
    #[serde(flatten)]
    pub report: InfoReport,
    pub adoptions: Vec<Adoption>,
    pub instructions: Vec<Instruction>,
    pub events: Vec<InfoEvent>,
}

fn internal(what: &str) -> AppError {
    AppError::internal(format!("validated value missing: {what}"))
}

fn bad_request(e: AppError) -> AppError {
    match e {
        AppError::Validation(errors) => AppError::BadRequest(errors),
        other => other,
    }
}

/// A date not after today; today when empty.
fn step_date(
    errors: &mut FieldErrors,
    field: &'static str,
    input: &Option<String>,
) -> Option<NaiveDate> {
    steps_rule::step_date(errors, field, input.as_deref().unwrap_or(""), today())
}

/// Whether the actor may see the report: staff within their subtree, a
/// member their own. Anything else is "not found".
async fn visible(db: &Db, actor: &Actor, r: &InfoReport) -> Result<bool, AppError> {
    Ok(match actor.role {
        Role::Staff => orgs::get_org(db, r.org_id)
            .await?
            .is_some_and(|o| actor.sees(&o.path)),
        Role::Member => actor.member_id.is_some() && r.author_member_id == actor.member_id,
        _ => false,
    })
}

pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<InfoReport, AppError> {
    actor.require(STAFF_OR_MEMBER)?;
    let r = store::get(db, id).await?.ok_or(AppError::NotFound)?;
    if visible(db, actor, &r).await? {
        Ok(r)
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn detail(db: &Db, actor: &Actor, id: i64) -> Result<InfoDetail, AppError> {
    let report = get(db, actor, id).await?;
    Ok(InfoDetail {
        adoptions: store::adoptions(db, id).await?,
        instructions: store::instructions(db, id).await?,
        events: events::events(db, Subject::Info, id).await?,
        report,
    })
}

/// The validated text of a report.
struct Content {
    kind: InfoKind,
    headline: String,
    text: String,
}

fn validate_content(
    errors: &mut FieldErrors,
    input: &InfoInput,
    max_chars: u32,
) -> Option<Content> {
    let kind = errors.check(InfoKind::parse("kind", &input.kind));
    let headline = errors.check(required_line(
        "headline",
        &input.headline,
        HEADLINE_MAX_CHARS,
    ));
    let text = errors.check(validate_body("text", &input.text, max_chars));
    Some(Content {
        kind: kind?,
        headline: headline?,
        text: text?,
    })
}

/// Who is recorded as doing something.
struct Who<'a> {
    user_id: Option<i64>,
    username: Option<&'a str>,
}

/// Insert a report with its first event, the author's duty-file entry and
/// the search-index change.
async fn insert_report(tx: &mut Tx, r: &NewReport<'_>, who: &Who<'_>) -> Result<i64, sqlx::Error> {
    let id = store::insert(tx, r).await?;
    events::insert_event(
        tx,
        &NewEvent {
            subject: Subject::Info,
            subject_id: id,
            department_id: None,
            occurred_on: r.submitted_on,
            action: "submit",
            from_status: None,
            to_status: InfoStatus::Submitted.as_str(),
            note: None,
            detail: None,
            user_id: who.user_id,
            username: who.username,
        },
    )
    .await?;
    if let Some(member_id) = r.author_member_id {
        timeline::insert(
            tx,
            &NewTimelineEntry {
                member_id,
                occurred_on: r.submitted_on,
                kind: "info_submitted",
                title: r.title,
                object_type: Some("info_report"),
                object_id: Some(id),
                created_by: who.user_id,
            },
        )
        .await?;
    }
    search::record_change(tx, SEARCH_KIND, id).await?;
    Ok(id)
}

fn audit_detail(r: &NewReport<'_>) -> String {
    serde_json::json!({
        "org_id": r.org_id, "author_member_id": r.author_member_id, "kind": r.kind,
        "title": r.title, "chars": r.body.chars().count(), "submitted_on": r.submitted_on,
        "origin_proposal_id": r.origin_proposal_id,
    })
    .to_string()
}

/// A member submits their own report; staff submit one for a member of their
/// subtree, or the committee's own.
pub async fn create(
    db: &Db,
    actor: &Actor,
    max_chars: u32,
    input: &InfoInput,
) -> Result<InfoReport, AppError> {
    actor.require(STAFF_OR_MEMBER)?;
    let mut errors = FieldErrors::new();
    let content = validate_content(&mut errors, input, max_chars);
    let submitted_on = step_date(&mut errors, "submitted_on", &input.submitted_on);
    let (org_id, author) = match actor.role {
        Role::Member => {
            let me = actor.member_id.ok_or(AppError::Forbidden)?;
            let member = members::get(db, me).await?.ok_or(AppError::Forbidden)?;
            (Some(member.org_id), Some(me))
        }
        _ => {
            let author = errors
                .check(parse_optional_id(
                    "author_member_id",
                    input.author_member_id.as_deref().unwrap_or(""),
                ))
                .flatten();
            match author {
                Some(member_id) => {
                    let scope = orgs::get_org(db, actor.org_id)
                        .await?
                        .ok_or(AppError::Forbidden)?;
                    check_member_of(db, &mut errors, "author_member_id", Some(member_id), &scope)
                        .await?;
                    let org = members::get(db, member_id).await?.map(|m| m.org_id);
                    (org, Some(member_id))
                }
                None => match committee(db, actor, "org_id", non_blank(&input.org_id)).await {
                    Ok(o) => (Some(o.id), None),
                    Err(AppError::Validation(e)) => {
                        errors.0.extend(e.0);
                        (None, None)
                    }
                    Err(e) => return Err(e),
                },
            }
        }
    };
    errors.into_result()?;
    let (Some(content), Some(submitted_on), Some(org_id)) = (content, submitted_on, org_id) else {
        return Err(internal("info report"));
    };
    let new = NewReport {
        org_id,
        author_member_id: author,
        kind: content.kind.as_str(),
        title: &content.headline,
        body: &content.text,
        submitted_on,
        origin_proposal_id: None,
        created_by: Some(actor.user_id),
    };
    let mut tx = db.begin().await?;
    let id = insert_report(
        &mut tx,
        &new,
        &Who {
            user_id: Some(actor.user_id),
            username: Some(&actor.username),
        },
    )
    .await?;
    audit::insert(
        &mut tx,
        &actor.audit("create", "info_report", id, Some(audit_detail(&new))),
    )
    .await?;
    tx.commit().await?;
    store::get(db, id).await?.ok_or(AppError::NotFound)
}

/// A proposal that was not accepted (不予立案), kept as an information report.
pub struct FromProposal<'a> {
    pub proposal_id: i64,
    pub org_id: i64,
    /// The proposal's lead member, who becomes the author.
    pub author_member_id: Option<i64>,
    pub kind: InfoKind,
    pub title: &'a str,
    pub body: &'a str,
    pub submitted_on: NaiveDate,
    pub user_id: Option<i64>,
    pub username: Option<&'a str>,
}

/// Turn a proposal into an information report inside the caller's
/// transaction (which writes its own audit row). The title and body are
/// checked like a member's (the body's limit is `max_chars`) and refused,
/// never cut, when they do not fit. Returns the new report's id.
pub async fn create_from_proposal(
    tx: &mut Tx,
    max_chars: u32,
    p: &FromProposal<'_>,
) -> Result<i64, AppError> {
    let mut errors = FieldErrors::new();
    let headline = errors.check(required_line("headline", p.title, HEADLINE_MAX_CHARS));
    let text = errors.check(validate_body("text", p.body, max_chars));
    errors.into_result()?;
    let (Some(headline), Some(text)) = (headline, text) else {
        return Err(internal("info report from proposal"));
    };
    let id = insert_report(
        tx,
        &NewReport {
            org_id: p.org_id,
            author_member_id: p.author_member_id,
            kind: p.kind.as_str(),
            title: &headline,
            body: &text,
            submitted_on: p.submitted_on,
            origin_proposal_id: Some(p.proposal_id),
            created_by: p.user_id,
        },
        &Who {
            user_id: p.user_id,
            username: p.username,
        },
    )
    .await?;
    Ok(id)
}

/// The step's date, as entered: not in the future, not before the report's
/// last step (or its submission).
async fn dated(
    db: &Db,
    errors: &mut FieldErrors,
    report: &InfoReport,
    input: &Option<String>,
) -> Result<Option<NaiveDate>, AppError> {
    let start = Some(report.submitted_on);
    steps::dated(
        db,
        errors,
        Subject::Info,
        report.id,
        input,
        BEFORE_LAST,
        start,
    )
    .await
}

const BEFORE_LAST: &str = "info_date_before_last_step";

/// Edit a report: staff while submitted or edited (it becomes `edited`); the
/// author revises their own while it is still `submitted`.
pub async fn update(
    db: &Db,
    actor: &Actor,
    max_chars: u32,
    id: i64,
    input: &InfoInput,
) -> Result<InfoReport, AppError> {
    let report = get(db, actor, id).await?;
    let version = parse_version(&input.version)?;
    let from = report.status;
    let to = match actor.role {
        Role::Member => check_author_move("action", from, InfoAction::Edit)
            .unwrap_or_else(|| Err(FieldError::new("action", "info_cannot_edit")))?,
        _ => check_move("action", from, InfoAction::Edit)?,
    };
    let mut errors = FieldErrors::new();
    let content = validate_content(&mut errors, input, max_chars);
    let on = if actor.role == Role::Staff {
        step_date(&mut errors, "on", &input.on)
    } else {
        Some(today())
    };
    if let Some(d) = on {
        let start = Some(report.submitted_on);
        steps::not_before_last(db, &mut errors, Subject::Info, id, d, BEFORE_LAST, start).await?;
    }
    errors.into_result()?;
    let (Some(content), Some(on)) = (content, on) else {
        return Err(internal("edit"));
    };
    let mut update = ReportUpdate::of(&report);
    update.kind = content.kind.as_str().to_string();
    update.title = content.headline;
    update.body = content.text;
    update.status = to;
    if actor.role == Role::Staff {
        update.edited_on = Some(on);
    }
    let mut tx = db.begin().await?;
    steps::check_version(store::update(&mut tx, id, version, &update).await?)?;
    let detail = serde_json::json!({
        "before_version": report.version, "from": from.as_str(), "to": to.as_str(), "on": on,
        "kind": update.kind, "title": update.title, "chars": update.body.chars().count(),
        "title_changed": update.title != report.title, "text_changed": update.body != report.body,
    });
    let event = steps::Event {
        action: InfoAction::Edit.as_str(),
        from: from.as_str(),
        to: to.as_str(),
        department_id: None,
        note: None,
        detail: None,
    };
    let record = steps::Record {
        subject: Subject::Info,
        id,
        on,
        events: vec![event],
        audit_action: "update",
        object_type: "info_report",
        detail,
        note: None,
        search_kind: SEARCH_KIND,
    };
    steps::record(tx, actor, record).await?;
    store::get(db, id).await?.ok_or(AppError::NotFound)
}

/// The district committee above a committee: where reports are forwarded by default.
async fn district_above(db: &Db, org_id: i64) -> Result<Option<String>, AppError> {
    let mut current = orgs::get_org(db, org_id).await?;
    let mut parent_name = None;
    for _ in 0..8 {
        let Some(parent_id) = current.as_ref().and_then(|o| o.parent_id) else {
            break;
        };
        let parent = orgs::get_org(db, parent_id).await?;
        if let Some(p) = &parent {
            parent_name.get_or_insert_with(|| p.name.clone());
            if p.kind == OrgKind::District.as_str() {
                return Ok(Some(p.name.clone()));
            }
        }
        current = parent;
    }
    Ok(parent_name)
}

/// A report step, parsed and validated: each variant carries what it writes.
enum Step {
    Forward {
        to_whom: String,
    },
    Adopt {
        level: AdoptionLevel,
        publication: Option<String>,
    },
    Instruct {
        leader: String,
        content: String,
    },
    Withdraw,
}

fn raw(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// Fields of other steps, given with this one: refused, never dropped.
fn unused_fields(input: &InfoStepInput, action: InfoAction, errors: &mut FieldErrors) {
    if action != InfoAction::Forward {
        steps::unused(errors, "forwarded_to", &input.forwarded_to);
    }
    if action != InfoAction::Adopt {
        steps::unused(errors, "level", &input.level);
        steps::unused(errors, "publication", &input.publication);
    }
    if action != InfoAction::Instruct {
        steps::unused(errors, "leader", &input.leader);
        steps::unused(errors, "content", &input.content);
    }
}

/// Read one step's input into a typed step; field problems go to `errors`.
async fn parse_step(
    db: &Db,
    report: &InfoReport,
    action: InfoAction,
    input: &InfoStepInput,
    errors: &mut FieldErrors,
) -> Result<Option<Step>, AppError> {
    unused_fields(input, action, errors);
    Ok(match action {
        InfoAction::Forward => {
            let named = optional_line("forwarded_to", raw(&input.forwarded_to), 100);
            match errors.check(named) {
                Some(Some(to_whom)) => Some(to_whom),
                None => None,
                // Unnamed: the district committee above.
                Some(None) => {
                    let district = district_above(db, report.org_id).await?;
                    if district.is_none() {
                        errors.push(FieldError::new("forwarded_to", "required"));
                    }
                    district
                }
            }
            .map(|to_whom| Step::Forward { to_whom })
        }
        InfoAction::Adopt => {
            let level = match non_blank(&input.level) {
                Some(l) => errors.check(AdoptionLevel::parse("level", l)),
                None => {
                    errors.push(FieldError::new("level", "info_level_required"));
                    None
                }
            };
            let publication = optional_line("publication", raw(&input.publication), 200);
            let publication = errors.check(publication).flatten();
            level.map(|level| Step::Adopt { level, publication })
        }
        InfoAction::Instruct => {
            let leader = errors.check(required_line("leader", raw(&input.leader), 100));
            let content = errors.check(required_text("content", raw(&input.content), 2000));
            leader
                .zip(content)
                .map(|(leader, content)| Step::Instruct { leader, content })
        }
        InfoAction::Withdraw => Some(Step::Withdraw),
        // Refused before: edits carry the text and go through `update`.
        InfoAction::Edit => None,
    })
}

/// Take one step on a report: staff forward, record an adoption or an
/// instruction; the author withdraws. Every refusal changes nothing.
pub async fn step(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &InfoStepInput,
) -> Result<InfoReport, AppError> {
    let report = get(db, actor, id).await?;
    let action = InfoAction::parse("action", &input.action)?;
    if action == InfoAction::Edit {
        // Edits carry the text: they go through `update`.
        return Err(FieldError::new("action", "info_edit_is_not_a_step").into());
    }
    let from = report.status;
    let to = match actor.role {
        Role::Member => match check_author_move("action", from, action) {
            Some(result) => result?,
            None => return Err(AppError::Forbidden),
        },
        Role::Staff if action != InfoAction::Withdraw => check_move("action", from, action)?,
        _ => return Err(AppError::Forbidden),
    };
    let version = parse_version(&input.version)?;
    let mut errors = FieldErrors::new();
    let on = dated(db, &mut errors, &report, &input.on).await?;
    let note = errors
        .check(optional_text("note", raw(&input.note), 2000))
        .flatten();
    let step = parse_step(db, &report, action, input, &mut errors).await?;
    errors.into_result()?;
    let (Some(step), Some(on)) = (step, on) else {
        return Err(internal("step date"));
    };
    let mut update = ReportUpdate::of(&report);
    update.status = to;
    let mut detail = serde_json::json!({
        "action": action.as_str(), "from": from.as_str(), "to": to.as_str(), "on": on,
    });
    // What the step sets down besides the typed note, which the event keeps as typed.
    let event_detail = match &step {
        Step::Forward { to_whom } => {
            update.forwarded_on = Some(on);
            update.forwarded_to = Some(to_whom.clone());
            detail["forwarded_to"] = to_whom.clone().into();
            Some(to_whom.clone())
        }
        Step::Adopt { level, publication } => {
            detail["level"] = level.as_str().into();
            detail["publication"] = publication.clone().into();
            let parts = [Some(level.as_str()), publication.as_deref()];
            Some(parts.into_iter().flatten().collect::<Vec<_>>().join(" · "))
        }
        Step::Instruct { leader, content } => {
            detail["leader"] = leader.clone().into();
            detail["content"] = content.clone().into();
            Some(format!("{leader}: {content}"))
        }
        Step::Withdraw => None,
    };
    let mut tx = db.begin().await?;
    steps::check_version(store::update(&mut tx, id, version, &update).await?)?;
    insert_step_rows(&mut tx, actor, id, &step, note.as_deref(), on).await?;
    note_in_duty_file(&mut tx, actor, &report, &step, on).await?;
    let event = steps::Event {
        action: action.as_str(),
        from: from.as_str(),
        to: to.as_str(),
        department_id: None,
        note: note.as_deref(),
        detail: event_detail.as_deref(),
    };
    let record = steps::Record {
        subject: Subject::Info,
        id,
        on,
        events: vec![event],
        audit_action: "info_step",
        object_type: "info_report",
        detail,
        note: note.as_deref(),
        search_kind: SEARCH_KIND,
    };
    steps::record(tx, actor, record).await?;
    store::get(db, id).await?.ok_or(AppError::NotFound)
}

/// An adoption or an instruction is a row of its own.
async fn insert_step_rows(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    step: &Step,
    note: Option<&str>,
    on: NaiveDate,
) -> Result<(), sqlx::Error> {
    match step {
        Step::Adopt { level, publication } => {
            let adoption = NewAdoption {
                report_id: id,
                level: level.as_str(),
                adopted_on: on,
                publication: publication.as_deref(),
                note,
                created_by: Some(actor.user_id),
            };
            store::insert_adoption(tx, &adoption).await.map(|_| ())
        }
        Step::Instruct { leader, content } => {
            let instruction = NewInstruction {
                report_id: id,
                leader,
                content,
                instructed_on: on,
                created_by: Some(actor.user_id),
            };
            store::insert_instruction(tx, &instruction)
                .await
                .map(|_| ())
        }
        Step::Forward { .. } | Step::Withdraw => Ok(()),
    }
}

/// The author's duty file: each adoption and each instruction.
async fn note_in_duty_file(
    tx: &mut Tx,
    actor: &Actor,
    report: &InfoReport,
    step: &Step,
    on: NaiveDate,
) -> Result<(), AppError> {
    let kind = match step {
        Step::Adopt { .. } => "info_adopted",
        Step::Instruct { .. } => "info_instructed",
        _ => return Ok(()),
    };
    let Some(member_id) = report.author_member_id else {
        return Ok(());
    };
    let entry = NewTimelineEntry {
        member_id,
        occurred_on: on,
        kind,
        title: &report.title,
        object_type: Some("info_report"),
        object_id: Some(report.id),
        created_by: Some(actor.user_id),
    };
    timeline::insert(tx, &entry).await?;
    Ok(())
}

/// One page of the reports the actor may see, the total, and the page asked for.
pub async fn list_page(
    db: &Db,
    actor: &Actor,
    q: &InfoQuery,
) -> Result<(Vec<InfoReport>, i64, PageRequest), AppError> {
    actor.require(STAFF_OR_MEMBER)?;
    let page = PageRequest::parse_or_all(q.all_rows, q.page.as_deref(), q.per_page.as_deref())
        .map_err(AppError::BadRequest)?;
    let range = parse_range(&q.from, &q.to)?;
    let mut errors = FieldErrors::new();
    let kind = non_blank(&q.kind)
        .and_then(|k| errors.check(InfoKind::parse("kind", k)))
        .map(|k| k.as_str().to_string());
    let status = non_blank(&q.status)
        .and_then(|s| errors.check(InfoStatus::parse("status", s)))
        .map(|s| s.as_str().to_string());
    if !errors.is_empty() {
        return Err(AppError::BadRequest(errors));
    }
    let mut filter = InfoFilter {
        kind,
        status,
        from: range.from,
        to: range.to,
        ..Default::default()
    };
    if actor.role == Role::Member {
        // Members list their own reports; a committee they name is still checked.
        parse_optional_id("org", non_blank(&q.org).unwrap_or(""))
            .map_err(|e| bad_request(e.into()))?;
        filter.author_member_id = Some(actor.member_id.ok_or(AppError::Forbidden)?);
    } else {
        let org = committee(db, actor, "org", non_blank(&q.org))
            .await
            .map_err(bad_request)?;
        filter.scope_path = Some(org.path);
    }
    let total = store::count(db, &filter).await?;
    let items = store::list_page(db, &filter, page.limit(), page.offset()).await?;
    Ok((items, total, page))
}

/// The figures of one quarter (or the whole year).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct QuarterFigures {
    /// 1–4; 0 for the whole year.
    pub quarter: u32,
    /// Reports submitted in the period (by submission date), withdrawn ones aside.
    pub submitted_social_condition: i64,
    pub submitted_work: i64,
    /// Reports withdrawn by their authors, of those submitted in the period.
    pub withdrawn: i64,
    /// Reports forwarded to the district in the period (by forwarding date): what the plan counts.
    pub forwarded_social_condition: i64,
    pub forwarded_work: i64,
    /// Adoptions recorded in the period, by level (a report adopted by 区 and 市 counts at both).
    pub adopted_district: i64,
    pub adopted_city: i64,
    pub adopted_province: i64,
    pub adopted_national: i64,
    /// Leaders' instructions recorded in the period.
    pub instructions: i64,
    /// The plan: 3 social-condition infos or 1 work info forwarded.
    pub plan_met: bool,
}

impl QuarterFigures {
    fn add_adoption(&mut self, level: &str) {
        match AdoptionLevel::parse("level", level) {
            Ok(AdoptionLevel::District) => self.adopted_district += 1,
            Ok(AdoptionLevel::City) => self.adopted_city += 1,
            Ok(AdoptionLevel::Province) => self.adopted_province += 1,
            Ok(AdoptionLevel::National) => self.adopted_national += 1,
            Err(_) => {}
        }
    }
}

/// A committee's information figures for a year, per quarter, computed from the records.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InfoFigures {
    pub org_id: i64,
    pub org_name: String,
    pub year: i32,
    /// Quarters 1 to 4.
    pub quarters: Vec<QuarterFigures>,
    /// The whole year (`plan_met`: every quarter met the plan).
    pub year_total: QuarterFigures,
    /// The quota the quarters are checked against, in words: the committee's
    /// quarterly rule on forwarded reports in its plan of the year, or the
    /// built-in quota (3 social-condition or 1 work report) without one.
    pub plan_rule: String,
}

/// Query of the figures.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FigureQuery {
    pub year: Option<String>,
    pub org: Option<String>,
}

pub async fn figures(db: &Db, actor: &Actor, q: &FigureQuery) -> Result<InfoFigures, AppError> {
    actor.require(&[Role::Staff])?;
    let asked = match non_blank(&q.year) {
        Some(y) => Some(
            crate::domain::activities::parse_year("year", y)
                .map_err(|e| AppError::BadRequest(e.into()))?,
        ),
        None => None,
    };
    let org = committee(db, actor, "org", non_blank(&q.org))
        .await
        .map_err(bad_request)?;
    let rows = store::figure_rows(db, &org.path).await?;
    // Without a year asked: the latest year that has reports.
    let year = asked.unwrap_or_else(|| {
        let latest = rows
            .iter()
            .map(|(_, _, submitted_on, _)| *submitted_on)
            .max();
        year_to_open(latest, today())
    });
    let in_year = |d: NaiveDate| d.year() == year;
    let mut quarters: Vec<QuarterFigures> = (1..=4)
        .map(|quarter| QuarterFigures {
            quarter,
            ..Default::default()
        })
        .collect();
    let slot = |d: NaiveDate| (quarter_of(d) - 1) as usize;
    for (kind, status, submitted_on, forwarded_on) in rows {
        let social = kind == InfoKind::SocialCondition.as_str();
        if in_year(submitted_on) {
            let f = &mut quarters[slot(submitted_on)];
            if status == InfoStatus::Withdrawn.as_str() {
                f.withdrawn += 1;
            } else if social {
                f.submitted_social_condition += 1;
            } else {
                f.submitted_work += 1;
            }
        }
        if let Some(d) = forwarded_on.filter(|d| in_year(*d)) {
            let f = &mut quarters[slot(d)];
            if social {
                f.forwarded_social_condition += 1;
            } else {
                f.forwarded_work += 1;
            }
        }
    }
    for (level, adopted_on, _) in store::adoption_rows(db, &org.path).await? {
        if in_year(adopted_on) {
            quarters[slot(adopted_on)].add_adoption(&level);
        }
    }
    for d in store::instruction_dates(db, &org.path).await? {
        if in_year(d) {
            quarters[slot(d)].instructions += 1;
        }
    }
    // The quota is the plan's rule when the committee's plan has one.
    let quota = super::plans::info_quota(db, actor.locale, &org, year).await?;
    let mut total = QuarterFigures::default();
    for (i, f) in quarters.iter_mut().enumerate() {
        f.plan_met = match &quota {
            Some((_, met)) => met.get(i).copied().unwrap_or(false),
            None => plan_met(f.forwarded_social_condition, f.forwarded_work),
        };
        total.submitted_social_condition += f.submitted_social_condition;
        total.submitted_work += f.submitted_work;
        total.withdrawn += f.withdrawn;
        total.forwarded_social_condition += f.forwarded_social_condition;
        total.forwarded_work += f.forwarded_work;
        total.adopted_district += f.adopted_district;
        total.adopted_city += f.adopted_city;
        total.adopted_province += f.adopted_province;
        total.adopted_national += f.adopted_national;
        total.instructions += f.instructions;
    }
    total.plan_met = quarters.iter().all(|f| f.plan_met);
    let plan_rule = match quota {
        Some((words, _)) => {
            crate::app::i18n::t_with(actor.locale, "info.plan_rule_of_plan", &[("rule", words)])
        }
        None => crate::app::i18n::t(actor.locale, "info.plan_rule"),
    };
    Ok(InfoFigures {
        org_id: org.id,
        org_name: org.name,
        year,
        quarters,
        year_total: total,
        plan_rule,
    })
}
