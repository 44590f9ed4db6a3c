//! Proposals (提案): drafting with co-signers, submission into a session,
//! review (accept with a number, not accept, merge), assignment to
//! departments, returns, co-handlers' views, answers, the authors' ratings
//! with a second answer on 不满意, key proposals and supervision, and the
//! figures of a session.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::cases::committee;
use super::steps::{parse_version, today};
use super::{non_blank, steps, Actor};
use crate::domain::calendar::Calendar;
use crate::domain::cases::Satisfaction;
use crate::domain::dates::{parse_optional_date, parse_optional_id};
use crate::domain::orgs::is_within;
use crate::domain::paging::{parse_sort, PageRequest, SortDir};
use crate::domain::proposals::{
    add_months, after_ratings, answered_on_time, check_due, check_merge_target, check_move,
    is_numbered, is_overdue, is_public, is_received, parse_cutoff, parse_months, session_for,
    AnswerClass, Category, CosignStatus, HandlerRole, ProposalAction, ProposalStatus,
    RatingOutcome, SubmitterKind, BODY_MAX_CHARS, DEFAULT_ANSWER_MONTHS, DEFAULT_CUTOFF,
    DEFAULT_RETURN_WORKING_DAYS, DEFAULT_SECOND_ANSWER_MONTHS, TITLE_MAX_CHARS,
};
use crate::domain::roles::Role;
use crate::domain::text::{optional_text, required_line, required_text};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::services::error::AppError;
use crate::storage::events::{self, NewEvent, Subject};
use crate::storage::orgs::Org;
use crate::storage::proposals::{
    self as store, Cosigner, Handler, NewProposal, Proposal, ProposalEvent, ProposalFilter,
    ProposalSort, ProposalUpdate, Rating, StoredSettings,
};
use crate::storage::timeline::NewTimelineEntry;
use crate::storage::{audit, calendar, members, orgs, search, timeline, Db, Tx};

/// A committee's proposal settings, with the defaults where none were saved.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[schema(as = ProposalSettings)]
pub struct Settings {
    /// Submissions after this day (month, day) belong to the next session.
    pub cutoff_month: u32,
    pub cutoff_day: u32,
    pub answer_months: u32,
    pub second_answer_months: u32,
    pub return_working_days: u32,
    /// 0 when never saved.
    pub version: i64,
}

impl Settings {
    pub fn cutoff(&self) -> (u32, u32) {
        (self.cutoff_month, self.cutoff_day)
    }
}

pub async fn settings_for(db: &Db, org_id: i64) -> Result<Settings, AppError> {
    let to_u32 = |v: i64, d: u32| u32::try_from(v).unwrap_or(d);
    Ok(match store::get_settings(db, org_id).await? {
        Some(s) => Settings {
            cutoff_month: to_u32(s.cutoff_month, DEFAULT_CUTOFF.0),
            cutoff_day: to_u32(s.cutoff_day, DEFAULT_CUTOFF.1),
            answer_months: to_u32(s.answer_months, DEFAULT_ANSWER_MONTHS),
            second_answer_months: to_u32(s.second_answer_months, DEFAULT_SECOND_ANSWER_MONTHS),
            return_working_days: to_u32(s.return_working_days, DEFAULT_RETURN_WORKING_DAYS),
            version: s.version,
        },
        None => Settings {
            cutoff_month: DEFAULT_CUTOFF.0,
            cutoff_day: DEFAULT_CUTOFF.1,
            answer_months: DEFAULT_ANSWER_MONTHS,
            second_answer_months: DEFAULT_SECOND_ANSWER_MONTHS,
            return_working_days: DEFAULT_RETURN_WORKING_DAYS,
            version: 0,
        },
    })
}

/// Settings as a form or the API sends them.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[schema(as = ProposalSettingsInput)]
pub struct SettingsInput {
    /// The committee (defaults to your own).
    #[schema(value_type = Option<i64>)]
    pub org_id: Option<String>,
    /// MM-DD: submissions after it belong to the next session.
    #[serde(default)]
    pub cutoff: String,
    /// 1–6.
    #[schema(value_type = i64)]
    #[serde(default)]
    pub answer_months: String,
    /// 1–6.
    #[schema(value_type = i64)]
    #[serde(default)]
    pub second_answer_months: String,
    /// 1–120.
    #[schema(value_type = i64)]
    #[serde(default)]
    pub return_working_days: String,
    /// The version read (0 or empty when never saved).
    #[schema(value_type = Option<i64>)]
    pub version: Option<String>,
}

pub async fn get_settings(db: &Db, actor: &Actor, org: Option<&str>) -> Result<Settings, AppError> {
    actor.require(&[Role::Staff])?;
    let org = committee(db, actor, "org_id", org).await?;
    settings_for(db, org.id).await
}

pub async fn put_settings(
    db: &Db,
    actor: &Actor,
    input: &SettingsInput,
) -> Result<Settings, AppError> {
    actor.require(&[Role::Staff])?;
    let org = committee(db, actor, "org_id", non_blank(&input.org_id)).await?;
    let mut errors = FieldErrors::new();
    let cutoff = errors.check(parse_cutoff("cutoff", &input.cutoff));
    let answer = errors.check(parse_months("answer_months", &input.answer_months));
    let second = errors.check(parse_months(
        "second_answer_months",
        &input.second_answer_months,
    ));
    let days = errors.check(crate::domain::cases::parse_working_days(
        "return_working_days",
        &input.return_working_days,
    ));
    let version = match non_blank(&input.version) {
        None => Some(0),
        Some(v) => errors.check(
            v.parse::<i64>()
                .ok()
                .filter(|v| *v >= 0)
                .ok_or_else(|| FieldError::new("version", "version_required")),
        ),
    };
    errors.into_result()?;
    let (Some(cutoff), Some(answer), Some(second), Some(days), Some(version)) =
        (cutoff, answer, second, days, version)
    else {
        return Err(internal("settings"));
    };
    let stored = StoredSettings {
        org_id: org.id,
        cutoff_month: i64::from(cutoff.0),
        cutoff_day: i64::from(cutoff.1),
        answer_months: i64::from(answer),
        second_answer_months: i64::from(second),
        return_working_days: i64::from(days),
        version,
    };
    let mut tx = db.begin().await?;
    if !store::put_settings(&mut tx, &stored, version).await? {
        return Err(AppError::Conflict("stale_version"));
    }
    let detail = serde_json::json!({
        "cutoff": input.cutoff.trim(), "answer_months": answer, "second_answer_months": second,
        "return_working_days": days,
    });
    audit::insert(
        &mut tx,
        &actor.audit(
            "update",
            "proposal_settings",
            org.id,
            Some(detail.to_string()),
        ),
    )
    .await?;
    tx.commit().await?;
    settings_for(db, org.id).await
}

fn internal(what: &str) -> AppError {
    AppError::internal(format!("validated value missing: {what}"))
}

/// A proposal as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ProposalInput {
    /// Staff: the committee (defaults to your own).
    #[schema(value_type = Option<i64>)]
    pub org_id: Option<String>,
    /// Staff: member | group | committee (a member's own proposal is always `member`).
    pub submitter_kind: Option<String>,
    /// Staff: the lead member of a member's proposal.
    #[schema(value_type = Option<i64>)]
    pub lead_member_id: Option<String>,
    /// The group of a group proposal.
    #[schema(value_type = Option<i64>)]
    pub group_id: Option<String>,
    /// The title (标题).
    pub headline: String,
    /// The body (正文).
    pub text: String,
    pub category: String,
    /// Members invited to co-sign (附议).
    #[schema(value_type = Vec<i64>)]
    pub cosigner_ids: Vec<String>,
    /// "yes" to submit at once rather than keep a draft.
    pub submit: Option<String>,
    /// Staff entering a paper proposal: the date it was handed in (ISO).
    pub submitted_on: Option<String>,
    /// For an edit: the version read.
    #[schema(value_type = Option<i64>)]
    pub version: Option<String>,
}

fn yes(input: &Option<String>) -> bool {
    matches!(non_blank(input), Some("yes" | "true" | "1" | "on"))
}

/// Validated fields of a proposal.
struct Values {
    org: Org,
    kind: SubmitterKind,
    lead_member_id: Option<i64>,
    group_id: Option<i64>,
    title: String,
    body: String,
    category: Category,
    cosigners: Vec<i64>,
    submitted_on: Option<NaiveDate>,
}

async fn validate(db: &Db, actor: &Actor, input: &ProposalInput) -> Result<Values, AppError> {
    let mut errors = FieldErrors::new();
    let title = errors.check(required_line("headline", &input.headline, TITLE_MAX_CHARS));
    let body = errors.check(required_text("text", &input.text, BODY_MAX_CHARS));
    let category = errors.check(Category::parse("category", &input.category));
    let (org, kind, lead) = submitter(db, actor, input, &mut errors).await?;
    let group_id = errors
        .check(parse_optional_id(
            "group_id",
            input.group_id.as_deref().unwrap_or(""),
        ))
        .flatten();
    if kind == Some(SubmitterKind::Group)
        && group_id.is_none()
        && errors.for_field("group_id").is_none()
    {
        errors.push(FieldError::new("group_id", "required"));
    }
    let cosigners = cosigner_ids(&input.cosigner_ids, kind, lead, &mut errors);
    let submitted_on = if actor.role == Role::Staff {
        let d = errors
            .check(parse_optional_date(
                "submitted_on",
                input.submitted_on.as_deref().unwrap_or(""),
            ))
            .flatten();
        if d.is_some_and(|d| d > today()) {
            errors.push(FieldError::new("submitted_on", "date_in_future"));
        }
        d
    } else {
        None
    };
    if let Some(org) = &org {
        let lead = lead.filter(|_| actor.role == Role::Staff);
        check_within(db, &mut errors, org, lead, &cosigners, group_id).await?;
    }
    errors.into_result()?;
    let (Some(org), Some(kind), Some(title), Some(body), Some(category)) =
        (org, kind, title, body, category)
    else {
        return Err(internal("proposal"));
    };
    Ok(Values {
        org,
        kind,
        lead_member_id: lead,
        group_id: if kind == SubmitterKind::Group {
            group_id
        } else {
            None
        },
        title,
        body,
        category,
        cosigners,
        submitted_on,
    })
}

/// Who writes it, and for which committee: a member their own; staff name
/// the committee, the kind, and a member's proposal's lead member.
async fn submitter(
    db: &Db,
    actor: &Actor,
    input: &ProposalInput,
    errors: &mut FieldErrors,
) -> Result<(Option<Org>, Option<SubmitterKind>, Option<i64>), AppError> {
    Ok(match actor.role {
        Role::Member => {
            let me = actor.member_id.ok_or(AppError::Forbidden)?;
            let member = members::get(db, me).await?.ok_or(AppError::Forbidden)?;
            let org = orgs::get_org(db, member.org_id)
                .await?
                .ok_or(AppError::Forbidden)?;
            (Some(org), Some(SubmitterKind::Member), Some(me))
        }
        _ => {
            let org = match committee(db, actor, "org_id", non_blank(&input.org_id)).await {
                Ok(o) => Some(o),
                Err(AppError::Validation(e)) => {
                    errors.0.extend(e.0);
                    None
                }
                Err(e) => return Err(e),
            };
            let kind = match non_blank(&input.submitter_kind) {
                Some(k) => errors.check(SubmitterKind::parse("submitter_kind", k)),
                None => Some(SubmitterKind::Committee),
            };
            let lead = errors
                .check(parse_optional_id(
                    "lead_member_id",
                    input.lead_member_id.as_deref().unwrap_or(""),
                ))
                .flatten();
            if kind == Some(SubmitterKind::Member)
                && lead.is_none()
                && errors.for_field("lead_member_id").is_none()
            {
                errors.push(FieldError::new("lead_member_id", "required"));
            }
            let lead = if kind == Some(SubmitterKind::Member) {
                lead
            } else {
                None
            };
            (org, kind, lead)
        }
    })
}

/// The members invited to co-sign: each once, not the lead, only on a member's proposal.
fn cosigner_ids(
    raw: &[String],
    kind: Option<SubmitterKind>,
    lead: Option<i64>,
    errors: &mut FieldErrors,
) -> Vec<i64> {
    let mut cosigners = Vec::new();
    for raw in raw.iter().filter(|s| !s.trim().is_empty()) {
        match errors
            .check(parse_optional_id("cosigner_ids", raw))
            .flatten()
        {
            Some(id) if Some(id) == lead => {
                errors.push(FieldError::new("cosigner_ids", "proposal_cosigner_is_lead"))
            }
            Some(id) if !cosigners.contains(&id) => cosigners.push(id),
            _ => {}
        }
    }
    if kind.is_some_and(|k| k != SubmitterKind::Member) && !cosigners.is_empty() {
        errors.push(FieldError::new(
            "cosigner_ids",
            "proposal_cosigners_members_only",
        ));
    }
    cosigners
}

/// The lead member, the co-signers and the group belong to the committee.
async fn check_within(
    db: &Db,
    errors: &mut FieldErrors,
    org: &Org,
    lead: Option<i64>,
    cosigners: &[i64],
    group_id: Option<i64>,
) -> Result<(), AppError> {
    check_member_in(db, errors, "lead_member_id", lead, org).await?;
    for id in cosigners {
        if !member_in(db, *id, org).await? {
            errors
                .push(FieldError::new("cosigner_ids", "proposal_cosigner_unknown").with("id", id));
        }
    }
    if let Some(group) = group_id {
        let ok = orgs::get_org(db, group).await?.is_some_and(|g| {
            g.kind == crate::domain::orgs::OrgKind::Group.as_str() && is_within(&g.path, &org.path)
        });
        if !ok {
            errors.push(FieldError::new("group_id", "unknown_group"));
        }
    }
    Ok(())
}

async fn member_in(db: &Db, member_id: i64, org: &Org) -> Result<bool, AppError> {
    Ok(match members::get(db, member_id).await? {
        Some(m) if m.status == "active" => orgs::get_org(db, m.org_id)
            .await?
            .is_some_and(|o| is_within(&o.path, &org.path)),
        _ => false,
    })
}

async fn check_member_in(
    db: &Db,
    errors: &mut FieldErrors,
    field: &'static str,
    member: Option<i64>,
    org: &Org,
) -> Result<(), AppError> {
    if let Some(id) = member {
        if !member_in(db, id, org).await? {
            errors.push(FieldError::new(field, "unknown_member"));
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn event<'a>(
    actor: &'a Actor,
    id: i64,
    on: NaiveDate,
    action: &'a str,
    from: Option<ProposalStatus>,
    to: ProposalStatus,
    department_id: Option<i64>,
    note: Option<&'a str>,
) -> NewEvent<'a> {
    NewEvent {
        subject: Subject::Proposal,
        subject_id: id,
        occurred_on: on,
        action,
        from_status: from.map(|s| s.as_str()),
        to_status: to.as_str(),
        department_id,
        note,
        detail: None,
        user_id: Some(actor.user_id),
        username: Some(&actor.username),
    }
}

async fn note_in_timeline(
    tx: &mut Tx,
    actor: &Actor,
    member_id: i64,
    on: NaiveDate,
    kind: &str,
    title: &str,
    id: i64,
) -> Result<(), sqlx::Error> {
    timeline::insert(
        tx,
        &NewTimelineEntry {
            member_id,
            occurred_on: on,
            kind,
            title,
            object_type: Some("proposal"),
            object_id: Some(id),
            created_by: Some(actor.user_id),
        },
    )
    .await
    .map(|_| ())
}
/// Whom a proposal form offers, by name: the active members of the author's
/// committee (to invite as co-signers; for staff, also the lead) and its
/// groups. A member's committee is the one they belong to.
pub struct FormChoices {
    pub members: Vec<(i64, String)>,
    pub groups: Vec<(i64, String)>,
}

pub async fn form_choices(db: &Db, actor: &Actor) -> Result<FormChoices, AppError> {
    let committee_path = match actor.role {
        Role::Member => {
            let me = actor.member_id.ok_or(AppError::Forbidden)?;
            let m = members::get(db, me).await?.ok_or(AppError::Forbidden)?;
            orgs::get_org(db, m.org_id)
                .await?
                .map(|o| o.path)
                .unwrap_or_default()
        }
        Role::Staff => actor.org_path.clone(),
        _ => return Err(AppError::Forbidden),
    };
    let filter = members::MemberFilter {
        scope_path: committee_path.clone(),
        status: Some(
            crate::domain::members::MemberStatus::Active
                .as_str()
                .to_string(),
        ),
        ..Default::default()
    };
    let (people, _) = members::list(db, &filter, "m.name_key", "ASC", 500, 0).await?;
    let groups = orgs::list_orgs(db, &committee_path, Some("group")).await?;
    Ok(FormChoices {
        members: people.into_iter().map(|m| (m.id, m.name)).collect(),
        groups: groups.into_iter().map(|g| (g.id, g.name)).collect(),
    })
}

/// Draft (or submit at once) a proposal.
pub async fn create(db: &Db, actor: &Actor, input: &ProposalInput) -> Result<Proposal, AppError> {
    actor.require(&[Role::Staff, Role::Member])?;
    let v = validate(db, actor, input).await?;
    let submit = yes(&input.submit);
    let on = v.submitted_on.unwrap_or_else(today);
    let settings = settings_for(db, v.org.id).await?;
    let (status, session, submitted_on) = if submit {
        (
            ProposalStatus::Submitted,
            Some(i64::from(session_for(on, settings.cutoff()))),
            Some(on),
        )
    } else {
        (ProposalStatus::Draft, None, None)
    };
    let mut tx = db.begin().await?;
    let id = store::insert(
        &mut tx,
        &NewProposal {
            org_id: v.org.id,
            submitter_kind: v.kind.as_str(),
            lead_member_id: v.lead_member_id,
            group_id: v.group_id,
            title: &v.title,
            body: &v.body,
            category: v.category.as_str(),
            status: status.as_str(),
            session,
            submitted_on,
            created_by: Some(actor.user_id),
        },
    )
    .await?;
    store::invite(&mut tx, id, &v.cosigners).await?;
    events::insert_event(
        &mut tx,
        &event(
            actor,
            id,
            on,
            "create",
            None,
            ProposalStatus::Draft,
            None,
            None,
        ),
    )
    .await?;
    if submit {
        events::insert_event(
            &mut tx,
            &event(
                actor,
                id,
                on,
                ProposalAction::Submit.as_str(),
                Some(ProposalStatus::Draft),
                status,
                None,
                None,
            ),
        )
        .await?;
        if let Some(lead) = v.lead_member_id {
            note_in_timeline(&mut tx, actor, lead, on, "proposal_submitted", &v.title, id).await?;
        }
    }
    search::record_change(&mut tx, "proposal", id).await?;
    let detail = serde_json::json!({
        "title": v.title, "category": v.category.as_str(), "status": status.as_str(),
        "submitter_kind": v.kind.as_str(), "lead_member_id": v.lead_member_id, "cosigners": v.cosigners,
        "session": session,
    });
    audit::insert(
        &mut tx,
        &actor.audit("create", "proposal", id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    store::get(db, id).await?.ok_or(AppError::NotFound)
}

/// The members who wrote a proposal: the lead and the co-signers who
/// accepted, with those of proposals merged into it.
pub async fn authors(db: &Db, p: &Proposal) -> Result<Vec<i64>, AppError> {
    let cosigners = store::cosigners(db, p.id).await?;
    let merged = store::merged_into(db, p.id).await?;
    authors_from(db, p, &cosigners, &merged).await
}

/// [`authors`] from the co-signers and merged proposals already read.
async fn authors_from(
    db: &Db,
    p: &Proposal,
    cosigners: &[Cosigner],
    merged: &[Proposal],
) -> Result<Vec<i64>, AppError> {
    let signed = |list: &[Cosigner]| -> Vec<i64> {
        list.iter()
            .filter(|c| c.status == CosignStatus::Accepted.as_str())
            .map(|c| c.member_id)
            .collect()
    };
    let mut all: Vec<i64> = p.lead_member_id.into_iter().collect();
    all.extend(signed(cosigners));
    for source in merged {
        all.extend(source.lead_member_id);
        all.extend(signed(&store::cosigners(db, source.id).await?));
    }
    all.sort_unstable();
    all.dedup();
    Ok(all)
}

/// Whether the actor may read the proposal: staff of its committee; the
/// authors and invited co-signers; members of the committee once it is
/// accepted; the departments handling it.
async fn visible(db: &Db, actor: &Actor, p: &Proposal) -> Result<bool, AppError> {
    let org = orgs::get_org(db, p.org_id).await?;
    let status = p.status;
    Ok(match actor.role {
        Role::Staff => org.is_some_and(|o| actor.sees(&o.path)),
        Role::Member => {
            let Some(me) = actor.member_id else {
                return Ok(false);
            };
            if p.lead_member_id == Some(me) {
                return Ok(true);
            }
            let invited = store::cosigners(db, p.id)
                .await?
                .iter()
                .any(|c| c.member_id == me && c.status != CosignStatus::Declined.as_str());
            // An invited co-signer reads the draft they are asked to sign.
            if invited {
                return Ok(true);
            }
            if is_public(status) || authors(db, p).await?.contains(&me) {
                let mine = members::get(db, me).await?;
                let my_org = match mine {
                    Some(m) => orgs::get_org(db, m.org_id).await?,
                    None => None,
                };
                match (org, my_org) {
                    (Some(o), Some(mine)) => is_within(&o.path, &mine.path),
                    _ => false,
                }
            } else {
                false
            }
        }
        Role::Department => match actor.department_id {
            Some(d) => {
                matches!(
                    status,
                    ProposalStatus::Assigned | ProposalStatus::Answered | ProposalStatus::Closed
                ) && store::handlers(db, p.id)
                    .await?
                    .iter()
                    .any(|h| h.department_id == d)
            }
            None => false,
        },
        _ => false,
    })
}

pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Proposal, AppError> {
    actor.require(&[Role::Staff, Role::Member, Role::Department])?;
    let p = store::get(db, id).await?.ok_or(AppError::NotFound)?;
    if visible(db, actor, &p).await? {
        Ok(p)
    } else {
        Err(AppError::NotFound)
    }
}

/// Who may add a file: the lead member while the proposal is a draft or
/// waits for review; the lead department while it answers. (Staff: always.)
pub async fn may_attach(db: &Db, actor: &Actor, id: i64) -> Result<bool, AppError> {
    let p = get(db, actor, id).await?;
    let handlers = store::handlers(db, id).await?;
    Ok(attach_allowed(actor, &p, &handlers))
}

/// [`may_attach`] from a proposal and its handlers already read.
pub fn attach_allowed(actor: &Actor, p: &Proposal, handlers: &[Handler]) -> bool {
    match actor.role {
        Role::Staff => true,
        Role::Member => {
            p.lead_member_id == actor.member_id
                && matches!(p.status, ProposalStatus::Draft | ProposalStatus::Submitted)
        }
        Role::Department => {
            p.status == ProposalStatus::Assigned
                && handlers.iter().any(|h| {
                    h.role == HandlerRole::Lead && Some(h.department_id) == actor.department_id
                })
        }
        _ => false,
    }
}

/// A proposal with everything its page shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalDetail {
    #[serde(flatten)]
    pub proposal: Proposal,
    pub overdue: bool,
    pub cosigners: Vec<Cosigner>,
    pub handlers: Vec<Handler>,
    pub ratings: Vec<Rating>,
    /// Proposals merged into this one: they share its answer.
    pub merged: Vec<Proposal>,
    /// For a merged proposal: the one that answers it.
    pub merged_into: Option<Proposal>,
    pub authors: Vec<i64>,
    /// Supporting files and answer letters.
    pub attachments: Vec<crate::storage::attachments::Attachment>,
    pub events: Vec<ProposalEvent>,
}

pub async fn detail(db: &Db, actor: &Actor, id: i64) -> Result<ProposalDetail, AppError> {
    let proposal = get(db, actor, id).await?;
    let merged_into = match proposal.merged_into_id {
        Some(t) => store::get(db, t).await?,
        None => None,
    };
    let cosigners = store::cosigners(db, id).await?;
    let merged = store::merged_into(db, id).await?;
    // A merged proposal's authors read the answer of the one it was merged into.
    let (ratings, authors) = match &merged_into {
        Some(target) => (
            store::ratings(db, target.id).await?,
            authors(db, target).await?,
        ),
        None => (
            store::ratings(db, id).await?,
            authors_from(db, &proposal, &cosigners, &merged).await?,
        ),
    };
    Ok(ProposalDetail {
        overdue: overdue(&proposal),
        handlers: store::handlers(db, id).await?,
        events: events::events(db, Subject::Proposal, id).await?,
        attachments: crate::storage::attachments::for_owner(db, "proposal", id).await?,
        cosigners,
        merged,
        ratings,
        authors,
        merged_into,
        proposal,
    })
}

pub fn overdue(p: &Proposal) -> bool {
    is_overdue(p.status, p.due_on, today())
}

/// Change a draft (its author or the staff who entered it), or a submitted
/// proposal before review (staff, to correct it).
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &ProposalInput,
) -> Result<Proposal, AppError> {
    actor.require(&[Role::Staff, Role::Member])?;
    let p = get(db, actor, id).await?;
    let status = p.status;
    let may = match actor.role {
        Role::Member => status == ProposalStatus::Draft && p.lead_member_id == actor.member_id,
        _ => matches!(status, ProposalStatus::Draft | ProposalStatus::Submitted),
    };
    if !may {
        return Err(
            if actor.role == Role::Member && p.lead_member_id != actor.member_id {
                FieldError::new("lead_member_id", "proposal_not_lead_member").into()
            } else {
                FieldError::new("status", "proposal_not_editable").into()
            },
        );
    }
    let version = parse_version(&input.version)?;
    let v = validate(db, actor, input).await?;
    if v.org.id != p.org_id {
        return Err(FieldError::new("org_id", "proposal_org_fixed").into());
    }
    let mut u = ProposalUpdate::of(&p);
    u.title = v.title.clone();
    u.body = v.body.clone();
    u.category = v.category.as_str().to_string();
    let mut tx = db.begin().await?;
    if !store::update(&mut tx, id, version, &u).await? {
        return Err(AppError::Conflict("stale_version"));
    }
    if status == ProposalStatus::Draft {
        store::uninvite_others(&mut tx, id, &v.cosigners).await?;
        store::invite(&mut tx, id, &v.cosigners).await?;
    }
    events::insert_event(
        &mut tx,
        &event(actor, id, today(), "edit", Some(status), status, None, None),
    )
    .await?;
    search::record_change(&mut tx, "proposal", id).await?;
    let detail = serde_json::json!({"title": v.title, "category": v.category.as_str(), "cosigners": v.cosigners});
    audit::insert(
        &mut tx,
        &actor.audit("update", "proposal", id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    store::get(db, id).await?.ok_or(AppError::NotFound)
}

/// An invited member's reply: co-sign or decline.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct CosignInput {
    /// accepted | declined
    pub response: String,
    /// The day the member signed (YYYY-MM-DD, not in the future); today
    /// when empty. Entered on paper first, it is dated as signed.
    pub on: Option<String>,
}

pub async fn cosign(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &CosignInput,
) -> Result<Proposal, AppError> {
    actor.require(&[Role::Member])?;
    let me = actor.member_id.ok_or(AppError::Forbidden)?;
    let p = store::get(db, id).await?.ok_or(AppError::NotFound)?;
    let invitation = store::cosigners(db, id)
        .await?
        .into_iter()
        .find(|c| c.member_id == me);
    let Some(invitation) = invitation else {
        return Err(AppError::NotFound);
    };
    let response = CosignStatus::parse("response", &input.response)?;
    let on =
        match crate::domain::dates::parse_optional_date("on", input.on.as_deref().unwrap_or(""))? {
            Some(day) if day > today() => {
                return Err(FieldError::new("on", "date_in_future").into())
            }
            Some(day) => day,
            None => today(),
        };
    if response == CosignStatus::Invited {
        return Err(FieldError::new("response", "invalid_choice").into());
    }
    if invitation.status != CosignStatus::Invited.as_str() {
        return Err(FieldError::new("response", "proposal_cosign_answered").into());
    }
    let status = p.status;
    if !matches!(status, ProposalStatus::Draft | ProposalStatus::Submitted) {
        return Err(FieldError::new("response", "proposal_cosign_closed").into());
    }
    let mut tx = db.begin().await?;
    if !store::respond(&mut tx, id, me, response.as_str()).await? {
        return Err(AppError::Conflict("stale_version"));
    }
    if response == CosignStatus::Accepted {
        note_in_timeline(&mut tx, actor, me, on, "proposal_cosigned", &p.title, id).await?;
    }
    audit::insert(
        &mut tx,
        &actor.audit(
            "cosign",
            "proposal",
            id,
            Some(serde_json::json!({"response": response.as_str(), "on": on}).to_string()),
        ),
    )
    .await?;
    tx.commit().await?;
    store::get(db, id).await?.ok_or(AppError::NotFound)
}

/// Proposals where the member is invited and has not answered yet.
pub async fn invitations(db: &Db, actor: &Actor) -> Result<Vec<Proposal>, AppError> {
    actor.require(&[Role::Member])?;
    let me = actor.member_id.ok_or(AppError::Forbidden)?;
    let mine = store::list_page(
        db,
        &ProposalFilter {
            member_id: Some(me),
            ..Default::default()
        },
        ProposalSort::Submitted,
        SortDir::Desc,
        200,
        0,
    )
    .await?;
    let mut open = Vec::new();
    for p in mine {
        let pending = store::cosigners(db, p.id)
            .await?
            .iter()
            .any(|c| c.member_id == me && c.status == CosignStatus::Invited.as_str());
        if pending && matches!(p.status, ProposalStatus::Draft | ProposalStatus::Submitted) {
            open.push(p);
        }
    }
    Ok(open)
}

/// List filters as they arrive in a query string.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProposalQuery {
    pub org: Option<String>,
    pub session: Option<String>,
    pub status: Option<String>,
    pub category: Option<String>,
    /// "yes": key proposals only.
    pub key: Option<String>,
    /// "yes": overdue only.
    pub overdue: Option<String>,
    /// "yes" (members): only my own and those I co-sign.
    pub mine: Option<String>,
    /// Words in the title.
    pub q: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    /// Set by an export (never from the query string): every matching row.
    #[serde(skip)]
    pub all_rows: bool,
}

/// The most proposals one answer may hold (a whole session, for exports).
pub const MAX_PER_PAGE: u32 = 5000;

/// One page of the proposals the actor may see, and how many there are in all.
pub async fn list_page(
    db: &Db,
    actor: &Actor,
    q: &ProposalQuery,
) -> Result<(Vec<Proposal>, i64, PageRequest), AppError> {
    actor.require(&[Role::Staff, Role::Member, Role::Department])?;
    let mut errors = FieldErrors::new();
    let page = match PageRequest::parse(q.page.as_deref(), None) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.0.extend(e.0);
            None
        }
    };
    let per_page = match non_blank(&q.per_page) {
        None => Some(PageRequest::DEFAULT_PER_PAGE),
        Some(v) => errors.check(
            v.parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_PER_PAGE).contains(n))
                .ok_or_else(|| {
                    FieldError::new("per_page", "per_page_range")
                        .with("min", 1)
                        .with("max", MAX_PER_PAGE)
                }),
        ),
    };
    let session = match non_blank(&q.session) {
        Some(s) => errors.check(
            s.parse::<i64>()
                .ok()
                .filter(|y| (1949..=2200).contains(y))
                .ok_or_else(|| FieldError::new("session", "proposal_session_invalid")),
        ),
        None => None,
    };
    let status = match non_blank(&q.status) {
        Some(s) => errors
            .check(ProposalStatus::parse("status", s))
            .map(|s| s.as_str().to_string()),
        None => None,
    };
    let category = match non_blank(&q.category) {
        Some(c) => errors
            .check(Category::parse("category", c))
            .map(|c| c.as_str().to_string()),
        None => None,
    };
    let sort = errors.check(parse_sort(q.sort.as_deref(), ProposalSort::Submitted));
    let dir = errors.check(SortDir::parse_or(q.dir.as_deref(), SortDir::Desc));
    let title = match non_blank(&q.q) {
        Some(t) => errors
            .check(crate::domain::text::optional_line("q", t, 100))
            .flatten(),
        None => None,
    };
    if !errors.is_empty() {
        return Err(AppError::BadRequest(errors));
    }
    let (Some(page), Some(per_page), Some(sort), Some(dir)) = (page, per_page, sort, dir) else {
        return Err(internal("query"));
    };
    let page = if q.all_rows {
        PageRequest::ALL
    } else {
        PageRequest {
            page: page.page,
            per_page,
        }
    };
    let mut filter = ProposalFilter {
        session,
        status,
        category,
        key_only: yes(&q.key),
        overdue_on: yes(&q.overdue).then(today),
        title,
        ..Default::default()
    };
    if actor.role != Role::Staff {
        // Only staff choose a committee; one named by others is still checked.
        crate::domain::dates::parse_optional_id("org", non_blank(&q.org).unwrap_or(""))
            .map_err(|e| super::cases::bad_request(e.into()))?;
    }
    match actor.role {
        Role::Staff => {
            let org = committee(db, actor, "org", non_blank(&q.org))
                .await
                .map_err(super::cases::bad_request)?;
            filter.scope_path = Some(org.path);
        }
        Role::Member => {
            let me = actor.member_id.ok_or(AppError::Forbidden)?;
            filter.member_id = Some(me);
            if !yes(&q.mine) {
                let member = members::get(db, me).await?.ok_or(AppError::Forbidden)?;
                let org = orgs::get_org(db, member.org_id)
                    .await?
                    .ok_or(AppError::Forbidden)?;
                filter.public_path = Some(org.path);
            }
        }
        _ => filter.department_id = Some(actor.department_id.ok_or(AppError::Forbidden)?),
    }
    let (total, items) =
        store::count_and_page(db, &filter, sort, dir, page.limit(), page.offset()).await?;
    Ok((items, total, page))
}

/// One step on a proposal, as a form or the API sends it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
#[schema(as = ProposalStepInput)]
pub struct StepInput {
    /// submit | withdraw | accept | not_accept | merge | assign | return | view | answer | rate | close | mark_key | supervise
    pub action: String,
    /// The version that was read.
    #[schema(value_type = Option<i64>)]
    pub version: Option<String>,
    /// The date of the step (ISO); today when empty.
    pub on: Option<String>,
    /// A note, kept as typed with any step (the timeline's `note`, the audit
    /// row). Required as the reason for not_accept, return and an unsatisfied rating.
    pub note: Option<String>,
    /// merge: the proposal it goes into.
    #[schema(value_type = Option<i64>)]
    pub target_id: Option<String>,
    /// assign: the lead department.
    #[schema(value_type = Option<i64>)]
    pub lead_department_id: Option<String>,
    /// assign: co-handling departments.
    #[schema(value_type = Vec<i64>)]
    pub co_department_ids: Vec<String>,
    /// assign: the answer's due date; by default the committee's months from the assignment.
    pub due_on: Option<String>,
    /// view: a co-handler's view; answer: the answer's text.
    pub reply: Option<String>,
    /// answer: a | b | c
    pub answer_class: Option<String>,
    /// answer: one of the proposal's attachments.
    #[schema(value_type = Option<i64>)]
    pub attachment_id: Option<String>,
    /// rate: satisfied | basically_satisfied | unsatisfied
    pub rating: Option<String>,
    /// mark_key: "yes" to mark, "no" to unmark.
    pub key: Option<String>,
}

fn may_take(actor: &Actor, action: ProposalAction) -> bool {
    use ProposalAction as A;
    match actor.role {
        Role::Staff => !matches!(action, A::Return | A::View | A::Answer | A::Rate),
        Role::Member => matches!(action, A::Submit | A::Withdraw | A::Rate),
        Role::Department => matches!(action, A::Return | A::View | A::Answer),
        _ => false,
    }
}

/// A proposal step, parsed and validated: each variant carries what it writes.
enum Step {
    Submit,
    Withdraw,
    Accept,
    NotAccept {
        reason: String,
    },
    Merge {
        target: i64,
    },
    Assign {
        lead: i64,
        co: Vec<i64>,
        due: NaiveDate,
    },
    Return {
        department: i64,
    },
    View {
        department: i64,
        text: String,
    },
    Answer {
        department: i64,
        text: String,
        class: AnswerClass,
        attachment: Option<i64>,
    },
    Rate {
        member: i64,
        value: Satisfaction,
    },
    Close,
    MarkKey {
        key: bool,
    },
    Supervise,
    ToInfo,
}

/// What a step on one proposal is read against.
struct Scene<'a> {
    db: &'a Db,
    actor: &'a Actor,
    p: &'a Proposal,
    input: &'a StepInput,
    from: ProposalStatus,
    /// `None` when the date was refused (the reason is already recorded).
    on: Option<NaiveDate>,
    note: Option<String>,
    settings: Settings,
    handlers: Vec<Handler>,
    /// Read for the steps that need them: rate, accept, answer.
    authors: Vec<i64>,
}

impl Scene<'_> {
    /// The actor's department's part in handling this proposal, if it is `role`.
    fn my_handler(&self, role: HandlerRole) -> Option<&Handler> {
        let department = self.actor.department_id?;
        self.handlers
            .iter()
            .find(|h| h.department_id == department)
            .filter(|h| h.role == role)
    }

    fn raw(value: &Option<String>) -> &str {
        value.as_deref().unwrap_or("")
    }

    /// The note, required for this step with `code`.
    fn required_note(&self, errors: &mut FieldErrors, code: &'static str) -> Option<String> {
        if self.note.is_none() && errors.for_field("note").is_none() {
            errors.push(FieldError::new("note", code));
        }
        self.note.clone()
    }
}

/// Read one step's input into a typed step. A refusal that concerns who
/// asks ends here as an error; field problems go to `errors`, and then the
/// step is `None` or is not taken.
async fn parse_step(
    s: &Scene<'_>,
    action: ProposalAction,
    errors: &mut FieldErrors,
) -> Result<Option<Step>, AppError> {
    use ProposalAction as A;
    unused_fields(s.input, action, errors);
    Ok(match action {
        A::Submit | A::Withdraw => {
            if s.actor.role == Role::Member && s.p.lead_member_id != s.actor.member_id {
                return Err(FieldError::new("lead_member_id", "proposal_not_lead_member").into());
            }
            Some(if action == A::Submit {
                Step::Submit
            } else {
                Step::Withdraw
            })
        }
        A::Accept => Some(Step::Accept),
        A::NotAccept => s
            .required_note(errors, "proposal_reason_required")
            .map(|reason| Step::NotAccept { reason }),
        A::Merge => parse_merge(s, errors).await?,
        A::Assign => parse_assign(s, errors).await?,
        A::Return => parse_return(s, errors).await?,
        A::View => parse_view(s, errors)?,
        A::Answer => parse_answer(s, errors).await?,
        A::Rate => parse_rate(s, errors)?,
        A::Close => Some(Step::Close),
        A::MarkKey => Some(Step::MarkKey {
            key: !matches!(non_blank(&s.input.key), Some("no" | "false" | "0")),
        }),
        A::Supervise => {
            let overdue_now = s.on.is_some_and(|on| is_overdue(s.from, s.p.due_on, on));
            if !s.p.is_key && !overdue_now {
                errors.push(FieldError::new("action", "proposal_supervise_not_key"));
            }
            Some(Step::Supervise)
        }
        A::ToInfo => {
            if let Some(info) = store::info_made_from(s.db, s.p.id).await? {
                errors.push(FieldError::new("action", "proposal_already_info").with("id", info));
            }
            Some(Step::ToInfo)
        }
    })
}

/// Fields of other steps, given with this one: refused, never dropped.
/// (`key` is not among them: the staff form always sends one.)
fn unused_fields(input: &StepInput, action: ProposalAction, errors: &mut FieldErrors) {
    use ProposalAction as A;
    if action != A::Merge {
        steps::unused(errors, "target_id", &input.target_id);
    }
    if action != A::Assign {
        steps::unused(errors, "lead_department_id", &input.lead_department_id);
        steps::unused_all(errors, "co_department_ids", &input.co_department_ids);
        steps::unused(errors, "due_on", &input.due_on);
    }
    if !matches!(action, A::View | A::Answer) {
        steps::unused(errors, "reply", &input.reply);
    }
    if action != A::Answer {
        steps::unused(errors, "answer_class", &input.answer_class);
        steps::unused(errors, "attachment_id", &input.attachment_id);
    }
    if action != A::Rate {
        steps::unused(errors, "rating", &input.rating);
    }
}

async fn parse_merge(s: &Scene<'_>, errors: &mut FieldErrors) -> Result<Option<Step>, AppError> {
    let id = s.p.id;
    let target = errors
        .check(parse_optional_id(
            "target_id",
            Scene::raw(&s.input.target_id),
        ))
        .flatten();
    let Some(t) = target else {
        if errors.for_field("target_id").is_none() {
            errors.push(FieldError::new("target_id", "required"));
        }
        return Ok(None);
    };
    match store::get(s.db, t).await? {
        Some(target) if visible(s.db, s.actor, &target).await? => {
            let status = target.status;
            let same = target.org_id == s.p.org_id && target.session == s.p.session;
            let merge = check_merge_target("target_id", id, t, status, same);
            Ok(errors.check(merge).map(|_| Step::Merge { target: t }))
        }
        _ if t == id => {
            errors.push(FieldError::new("target_id", "proposal_merge_self"));
            Ok(None)
        }
        _ => {
            errors.push(FieldError::new("target_id", "proposal_unknown"));
            Ok(None)
        }
    }
}

async fn parse_assign(s: &Scene<'_>, errors: &mut FieldErrors) -> Result<Option<Step>, AppError> {
    let lead = errors
        .check(parse_optional_id(
            "lead_department_id",
            Scene::raw(&s.input.lead_department_id),
        ))
        .flatten();
    let known: Vec<i64> = orgs::list_departments(s.db, &s.actor.org_path)
        .await?
        .iter()
        .map(|d| d.id)
        .collect();
    match lead {
        None if errors.for_field("lead_department_id").is_none() => errors.push(FieldError::new(
            "lead_department_id",
            "proposal_lead_required",
        )),
        Some(d) if !known.contains(&d) => {
            errors.push(FieldError::new("lead_department_id", "unknown_department"))
        }
        _ => {}
    }
    let co = co_departments(&s.input.co_department_ids, lead, &known, errors);
    let due = errors.check(parse_optional_date("due_on", Scene::raw(&s.input.due_on)));
    let mut checked_due = None;
    if let (Some(on), Some(due)) = (s.on, due) {
        let due = due.unwrap_or_else(|| add_months(on, s.settings.answer_months));
        checked_due = errors.check(check_due("due_on", on, due)).map(|_| due);
    }
    Ok(match (lead, checked_due) {
        (Some(lead), Some(due)) => Some(Step::Assign { lead, co, due }),
        _ => None,
    })
}

/// The co-handling departments: known ones, each once, not the lead.
fn co_departments(
    raw: &[String],
    lead: Option<i64>,
    known: &[i64],
    errors: &mut FieldErrors,
) -> Vec<i64> {
    let mut co = Vec::new();
    for raw in raw.iter().filter(|s| !s.trim().is_empty()) {
        match errors
            .check(parse_optional_id("co_department_ids", raw))
            .flatten()
        {
            Some(d) if Some(d) == lead => {
                errors.push(FieldError::new("co_department_ids", "proposal_co_is_lead"))
            }
            Some(d) if !known.contains(&d) => {
                errors.push(FieldError::new("co_department_ids", "unknown_department"))
            }
            Some(d) if !co.contains(&d) => co.push(d),
            _ => {}
        }
    }
    co
}

async fn parse_return(s: &Scene<'_>, errors: &mut FieldErrors) -> Result<Option<Step>, AppError> {
    let Some(h) = s.my_handler(HandlerRole::Lead) else {
        return Err(FieldError::new("department", "proposal_not_lead").into());
    };
    s.required_note(errors, "proposal_return_reason");
    if let (Some(on), Some(assigned)) = (s.on, s.p.assigned_on) {
        let cal: Calendar = calendar::calendar(s.db).await?;
        let limit = s.settings.return_working_days;
        if cal.working_days_between(assigned, on) > i64::from(limit) {
            errors.push(FieldError::new("action", "proposal_return_too_late").with("days", limit));
        }
    }
    Ok(Some(Step::Return {
        department: h.department_id,
    }))
}

fn parse_view(s: &Scene<'_>, errors: &mut FieldErrors) -> Result<Option<Step>, AppError> {
    let Some(h) = s.my_handler(HandlerRole::Co) else {
        return Err(FieldError::new("department", "proposal_not_co_handler").into());
    };
    if h.view.is_some() {
        errors.push(FieldError::new("reply", "proposal_view_sent"));
    }
    let text = errors.check(required_text("reply", Scene::raw(&s.input.reply), 4000));
    Ok(text.map(|text| Step::View {
        department: h.department_id,
        text,
    }))
}

async fn parse_answer(s: &Scene<'_>, errors: &mut FieldErrors) -> Result<Option<Step>, AppError> {
    let Some(h) = s.my_handler(HandlerRole::Lead) else {
        return Err(FieldError::new("department", "proposal_not_lead").into());
    };
    let missing: Vec<&str> = s
        .handlers
        .iter()
        .filter(|h| h.role == HandlerRole::Co && h.view.is_none())
        .map(|h| h.department_name.as_str())
        .collect();
    if !missing.is_empty() {
        errors.push(
            FieldError::new("reply", "proposal_views_missing")
                .with("departments", missing.join("、")),
        );
    }
    let text = errors.check(required_text("reply", Scene::raw(&s.input.reply), 20_000));
    let class = match non_blank(&s.input.answer_class) {
        Some(c) => errors.check(AnswerClass::parse("answer_class", c)),
        None => {
            errors.push(FieldError::new("answer_class", "required"));
            None
        }
    };
    let attachment = errors
        .check(parse_optional_id(
            "attachment_id",
            Scene::raw(&s.input.attachment_id),
        ))
        .flatten();
    if let Some(a) = attachment {
        let ours = crate::storage::attachments::get(s.db, a)
            .await?
            .is_some_and(|a| a.owner_type == "proposal" && a.owner_id == s.p.id);
        if !ours {
            errors.push(FieldError::new(
                "attachment_id",
                "proposal_attachment_unknown",
            ));
        }
    }
    Ok(text.zip(class).map(|(text, class)| Step::Answer {
        department: h.department_id,
        text,
        class,
        attachment,
    }))
}

fn parse_rate(s: &Scene<'_>, errors: &mut FieldErrors) -> Result<Option<Step>, AppError> {
    let member = s.actor.member_id.ok_or(AppError::Forbidden)?;
    if !s.authors.contains(&member) {
        return Err(FieldError::new("rating", "proposal_not_author").into());
    }
    let value = match non_blank(&s.input.rating) {
        Some(r) => errors.check(Satisfaction::parse("rating", r)),
        None => {
            errors.push(FieldError::new("rating", "required"));
            None
        }
    };
    if value == Some(Satisfaction::Unsatisfied) && s.note.is_none() {
        errors.push(FieldError::new("note", "proposal_unsatisfied_reason"));
    }
    Ok(value.map(|value| Step::Rate { member, value }))
}

/// What a validated step changes on the proposal and says on its timeline
/// (besides the typed note, which the event keeps as typed).
struct Plan {
    update: ProposalUpdate,
    /// What the step sets down besides the note: the number given, the
    /// proposal merged into, the view or the answer, the rating.
    event_detail: Option<String>,
    event_department: Option<i64>,
    /// The authors' duty files get an entry of this kind.
    duty: Option<&'static str>,
}

fn plan(step: &Step, s: &Scene<'_>, on: NaiveDate) -> Plan {
    let mut u = ProposalUpdate::of(s.p);
    let mut event_detail = None;
    let mut event_department = None;
    let mut duty = None;
    match step {
        Step::Submit => {
            u.submitted_on = Some(on);
            u.session = Some(i64::from(session_for(on, s.settings.cutoff())));
            duty = Some("proposal_submitted");
        }
        Step::Withdraw | Step::ToInfo => {}
        Step::Accept => {
            u.reviewed_on = Some(on);
            duty = Some("proposal_accepted");
        }
        Step::NotAccept { reason } => {
            u.reviewed_on = Some(on);
            u.not_accepted_reason = Some(reason.clone());
        }
        Step::Merge { target } => {
            u.merged_into_id = Some(*target);
            u.reviewed_on = Some(on);
            event_detail = Some(format!("→ #{target}"));
        }
        Step::Assign { lead, due, .. } => {
            u.assigned_on = Some(on);
            u.due_on = Some(*due);
            event_department = Some(*lead);
        }
        Step::Return { department } => {
            u.assigned_on = None;
            u.due_on = None;
            event_department = Some(*department);
        }
        Step::View { department, text } => {
            event_department = Some(*department);
            event_detail = Some(text.clone());
        }
        Step::Answer {
            department,
            text,
            class,
            attachment,
        } => {
            event_department = Some(*department);
            event_detail = Some(format!("{}: {text}", class.as_str().to_uppercase()));
            u.answer = Some(text.clone());
            u.answer_class = Some(class.as_str().to_string());
            u.answered_on = Some(on);
            u.answer_attachment_id = *attachment;
            duty = Some("proposal_answered");
        }
        Step::Rate { value, .. } => event_detail = Some(value.as_str().to_string()),
        Step::Close => u.closed_on = Some(on),
        Step::MarkKey { key } => {
            u.is_key = *key;
            event_detail = Some(if *key { "key" } else { "not_key" }.to_string());
        }
        Step::Supervise => {
            u.supervisions += 1;
            u.last_supervised_on = Some(on);
        }
    }
    Plan {
        update: u,
        event_detail,
        event_department,
        duty,
    }
}

/// Take one step on a proposal. Every refusal changes nothing.
pub async fn step(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &StepInput,
    info_max_chars: u32,
) -> Result<Proposal, AppError> {
    actor.require(&[Role::Staff, Role::Member, Role::Department])?;
    let p = store::get(db, id).await?.ok_or(AppError::NotFound)?;
    if !visible(db, actor, &p).await? {
        // Whatever the role, what the actor may not see does not exist for
        // them: a department answering another's proposal learns nothing of it.
        return Err(AppError::NotFound);
    }
    let action = ProposalAction::parse("action", &input.action)?;
    if !may_take(actor, action) {
        return Err(AppError::Forbidden);
    }
    let version = parse_version(&input.version)?;
    let from = p.status;
    let to = check_move("action", from, action)?;
    let mut errors = FieldErrors::new();
    let before_last = "proposal_date_before_last_step";
    let on = steps::dated(
        db,
        &mut errors,
        Subject::Proposal,
        id,
        &input.on,
        before_last,
        None,
    )
    .await?;
    let note = errors
        .check(optional_text("note", Scene::raw(&input.note), 2000))
        .flatten();
    let authors = match action {
        ProposalAction::Rate | ProposalAction::Accept | ProposalAction::Answer => {
            authors(db, &p).await?
        }
        _ => Vec::new(),
    };
    let scene = Scene {
        db,
        actor,
        p: &p,
        input,
        from,
        on,
        note,
        settings: settings_for(db, p.org_id).await?,
        handlers: store::handlers(db, id).await?,
        authors,
    };
    let step = parse_step(&scene, action, &mut errors).await?;
    errors.into_result()?;
    let (Some(step), Some(on)) = (step, on) else {
        return Err(internal("step"));
    };
    take(&scene, action, step, to, on, version, info_max_chars).await?;
    store::get(db, id).await?.ok_or(AppError::NotFound)
}

/// What the authors' ratings of this round set off.
#[derive(PartialEq)]
enum AfterRating {
    Nothing,
    Close,
    SecondAnswer,
}

/// Write a validated step: its own rows, then the shared frame.
async fn take(
    s: &Scene<'_>,
    action: ProposalAction,
    step: Step,
    to: ProposalStatus,
    on: NaiveDate,
    version: i64,
    info_max_chars: u32,
) -> Result<(), AppError> {
    let mut plan = plan(&step, s, on);
    let mut tx = s.db.begin().await?;
    let (to, after) = write_before_update(&mut tx, s, &step, to, on, &mut plan).await?;
    plan.update.status = to;
    let updated = store::update(&mut tx, s.p.id, version, &plan.update).await?;
    steps::check_version(updated)?;
    let made_info = write_after_update(&mut tx, s, &step, on, info_max_chars).await?;
    if let Some(info) = made_info {
        plan.event_detail = Some(format!("→ info #{info}"));
    }
    note_in_duty_files(&mut tx, s, &step, plan.duty, on).await?;
    let second_round = after == AfterRating::SecondAnswer;
    // A second answer is asked for after the rating step itself is recorded as answered.
    let answered_to = if second_round {
        ProposalStatus::Answered
    } else {
        to
    };
    let u = &plan.update;
    let new_due = u.due_on.map(|d| d.to_string());
    let mut events = vec![steps::Event {
        action: action.as_str(),
        from: s.from.as_str(),
        to: answered_to.as_str(),
        department_id: plan.event_department,
        note: s.note.as_deref(),
        detail: plan.event_detail.as_deref(),
    }];
    if after != AfterRating::Nothing {
        events.push(steps::Event {
            action: if second_round {
                "second_answer"
            } else {
                "close"
            },
            from: answered_to.as_str(),
            to: to.as_str(),
            department_id: None,
            note: None,
            detail: new_due.as_deref().filter(|_| second_round),
        });
    }
    let record = steps::Record {
        subject: Subject::Proposal,
        id: s.p.id,
        on,
        events,
        audit_action: "proposal_step",
        object_type: "proposal",
        detail: audit_detail(s, action, &step, to, on, u, made_info),
        note: s.note.as_deref(),
        search_kind: "proposal",
    };
    steps::record(tx, s.actor, record).await
}

/// Before the proposal is written: an acceptance takes the next number; a
/// rating may close the proposal or send it back for a second answer.
async fn write_before_update(
    tx: &mut Tx,
    s: &Scene<'_>,
    step: &Step,
    mut to: ProposalStatus,
    on: NaiveDate,
    plan: &mut Plan,
) -> Result<(ProposalStatus, AfterRating), AppError> {
    let (p, u) = (s.p, &mut plan.update);
    let mut after = AfterRating::Nothing;
    match *step {
        Step::Accept => {
            let session = p
                .session
                .unwrap_or_else(|| i64::from(session_for(on, s.settings.cutoff())));
            u.session = Some(session);
            u.number = Some(store::next_number(tx, p.org_id, session).await?);
            plan.event_detail = u.number.map(|n| format!("#{n}"));
        }
        Step::Rate { member, value } => {
            after = rate(tx, s, member, value, on).await?;
            match after {
                AfterRating::Nothing => {}
                AfterRating::Close => {
                    to = ProposalStatus::Closed;
                    u.closed_on = Some(on);
                }
                AfterRating::SecondAnswer => {
                    to = ProposalStatus::Assigned;
                    u.round = p.round + 1;
                    u.due_on = Some(add_months(on, s.settings.second_answer_months));
                }
            }
        }
        _ => {}
    }
    Ok((to, after))
}

/// After the proposal is written: the rows a step adds elsewhere. Returns
/// the information report made from it, if the step made one.
async fn write_after_update(
    tx: &mut Tx,
    s: &Scene<'_>,
    step: &Step,
    on: NaiveDate,
    info_max_chars: u32,
) -> Result<Option<i64>, AppError> {
    let id = s.p.id;
    match step {
        Step::ToInfo => return Ok(Some(to_info(tx, s, on, info_max_chars).await?)),
        Step::Assign { lead, co, .. } => store::set_handlers(tx, id, *lead, co).await?,
        Step::Return { .. } => store::clear_handlers(tx, id).await?,
        Step::View { department, text } => record_view(tx, id, *department, text, on).await?,
        _ => {}
    }
    Ok(None)
}

/// A co-handler's view, once: of two sent at once, the second finds the first.
async fn record_view(
    tx: &mut Tx,
    id: i64,
    department: i64,
    text: &str,
    on: NaiveDate,
) -> Result<(), AppError> {
    if store::record_view(tx, id, department, text, on).await? {
        Ok(())
    } else {
        Err(FieldError::new("reply", "proposal_view_sent").into())
    }
}

/// The duty files: the lead member's on submission, every author's on
/// acceptance and on the answer.
async fn note_in_duty_files(
    tx: &mut Tx,
    s: &Scene<'_>,
    step: &Step,
    duty: Option<&'static str>,
    on: NaiveDate,
) -> Result<(), AppError> {
    let Some(kind) = duty else {
        return Ok(());
    };
    let people: Vec<i64> = if let Step::Submit = step {
        s.p.lead_member_id.into_iter().collect()
    } else {
        s.authors.clone()
    };
    for member in people {
        note_in_timeline(tx, s.actor, member, on, kind, &s.p.title, s.p.id).await?;
    }
    Ok(())
}

fn audit_detail(
    s: &Scene<'_>,
    action: ProposalAction,
    step: &Step,
    to: ProposalStatus,
    on: NaiveDate,
    u: &ProposalUpdate,
    made_info: Option<i64>,
) -> serde_json::Value {
    let handlers = match step {
        Step::Assign { lead, co, .. } => Some((*lead, co.clone())),
        _ => None,
    };
    let rating = match step {
        Step::Rate { value, .. } => Some(value.as_str()),
        _ => None,
    };
    // What the department typed: a co-handler's view, or the answer and its letter.
    let (reply, attachment) = match step {
        Step::View { text, .. } => (Some(text.as_str()), None),
        Step::Answer {
            text, attachment, ..
        } => (Some(text.as_str()), *attachment),
        _ => (None, None),
    };
    serde_json::json!({
        "action": action.as_str(), "from": s.from.as_str(), "to": to.as_str(), "on": on,
        "number": u.number, "merged_into": u.merged_into_id, "due_on": u.due_on,
        "handlers": handlers, "answer_class": u.answer_class, "is_key": u.is_key,
        "rating": rating, "round": u.round, "reply": reply, "attachment_id": attachment,
        "info_id": made_info,
    })
}

/// Record one author's rating; once all have rated, the round's ratings
/// decide what follows.
async fn rate(
    tx: &mut Tx,
    s: &Scene<'_>,
    member: i64,
    value: Satisfaction,
    on: NaiveDate,
) -> Result<AfterRating, AppError> {
    let (id, round) = (s.p.id, s.p.round);
    let note = s.note.as_deref();
    let user = s.actor.user_id;
    if !store::insert_rating(tx, id, member, round, value.as_str(), note, on, user).await? {
        return Err(FieldError::new("rating", "proposal_already_rated").into());
    }
    let rated: Vec<Satisfaction> = store::round_ratings(tx, id, round)
        .await?
        .iter()
        .filter_map(|(_, r)| Satisfaction::parse("rating", r).ok())
        .collect();
    Ok(match after_ratings(&rated, s.authors.len(), round) {
        RatingOutcome::Waiting => AfterRating::Nothing,
        RatingOutcome::Close => AfterRating::Close,
        RatingOutcome::SecondAnswer => AfterRating::SecondAnswer,
    })
}

/// Kept on record as an opinion, and sent on as social-condition information.
async fn to_info(
    tx: &mut Tx,
    s: &Scene<'_>,
    on: NaiveDate,
    info_max_chars: u32,
) -> Result<i64, AppError> {
    let p = s.p;
    crate::services::info::create_from_proposal(
        tx,
        info_max_chars,
        &crate::services::info::FromProposal {
            proposal_id: p.id,
            org_id: p.org_id,
            author_member_id: p.lead_member_id,
            kind: crate::domain::info::InfoKind::SocialCondition,
            title: &p.title,
            body: &p.body,
            submitted_on: on,
            user_id: Some(s.actor.user_id),
            username: Some(&s.actor.username),
        },
    )
    .await
}

/// A department's open proposals: assigned to it, soonest due first.
pub async fn inbox(db: &Db, actor: &Actor) -> Result<Vec<Proposal>, AppError> {
    actor.require(&[Role::Department])?;
    let department = actor.department_id.ok_or(AppError::Forbidden)?;
    Ok(store::list_page(
        db,
        &ProposalFilter {
            department_id: Some(department),
            status: Some(ProposalStatus::Assigned.as_str().to_string()),
            ..Default::default()
        },
        ProposalSort::Due,
        SortDir::Asc,
        500,
        0,
    )
    .await?)
}

/// Counts by a label.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Breakdown {
    pub key: String,
    pub received: i64,
    pub accepted: i64,
    pub answered: i64,
    pub answered_on_time: i64,
}

/// The figures of a committee's session, computed from the records.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[schema(as = ProposalFigures)]
pub struct Figures {
    pub org_id: i64,
    pub session: i64,
    /// Submitted (drafts and withdrawn ones not counted).
    pub received: i64,
    /// Accepted and numbered (立案).
    pub accepted: i64,
    pub merged: i64,
    pub not_accepted: i64,
    /// Still waiting for review.
    pub pending_review: i64,
    pub assigned: i64,
    pub answered: i64,
    pub answered_on_time: i64,
    /// Assigned and past due now.
    pub overdue: i64,
    pub closed: i64,
    pub key: i64,
    pub class_a: i64,
    pub class_b: i64,
    pub class_c: i64,
    /// Each author's latest rating.
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub unsatisfied: i64,
    /// Proposals that needed a second answer.
    pub second_answers: i64,
    /// Members with at least one proposal (lead or co-signer).
    pub members_with_proposals: i64,
    pub by_category: Vec<Breakdown>,
    /// As lead department.
    pub by_department: Vec<Breakdown>,
}

/// Figures query.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FiguresQuery {
    pub org: Option<String>,
    pub session: Option<String>,
}

pub async fn figures(db: &Db, actor: &Actor, q: &FiguresQuery) -> Result<Figures, AppError> {
    actor.require(&[Role::Staff])?;
    let org = committee(db, actor, "org", non_blank(&q.org))
        .await
        .map_err(super::cases::bad_request)?;
    let session = session_asked(db, &org, q).await?;
    let all = store::for_session(db, &org.path, session).await?;
    let handlers = store::handlers_for_session(db, &org.path, session).await?;
    let ratings = store::ratings_for_session(db, &org.path, session).await?;
    let mut f = Figures {
        org_id: org.id,
        session,
        ..Default::default()
    };
    let today = today();
    let mut categories: Vec<Breakdown> = Category::ALL
        .iter()
        .map(|c| Breakdown {
            key: c.as_str().to_string(),
            ..Default::default()
        })
        .collect();
    let mut departments: Vec<Breakdown> = Vec::new();
    let mut writers: Vec<i64> = Vec::new();
    for p in &all {
        let status = p.status;
        if !is_received(status) {
            continue;
        }
        let counted = count_proposal(&mut f, p, status, today);
        writers.extend(p.lead_member_id);
        if let Some(c) = categories.iter_mut().find(|c| c.key == p.category) {
            c.add(counted.accepted, counted);
        }
        let leads = handlers
            .iter()
            .filter(|(pid, _, role)| *pid == p.id && role == HandlerRole::Lead.as_str());
        for (_, name, _) in leads {
            // As lead department it was accepted: only accepted proposals are assigned.
            breakdown_of(&mut departments, name).add(true, counted);
        }
    }
    writers.extend(store::cosigners_for_session(db, &org.path, session).await?);
    writers.sort_unstable();
    writers.dedup();
    f.members_with_proposals = writers.len() as i64;
    count_latest_ratings(&mut f, ratings);
    departments.sort_by(|a, b| b.received.cmp(&a.received).then(a.key.cmp(&b.key)));
    f.by_category = categories.into_iter().filter(|c| c.received > 0).collect();
    f.by_department = departments;
    Ok(f)
}

/// The session the figures are asked for; by default the latest with proposals.
async fn session_asked(db: &Db, org: &Org, q: &FiguresQuery) -> Result<i64, AppError> {
    Ok(match non_blank(&q.session) {
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|y| (1949..=2200).contains(y))
            .ok_or_else(|| {
                AppError::BadRequest(FieldError::new("session", "proposal_session_invalid").into())
            })?,
        // The latest session that has proposals, never one after the current.
        None => {
            let settings = settings_for(db, org.id).await?;
            let current = i64::from(session_for(today(), settings.cutoff()));
            let filter = store::ProposalFilter {
                scope_path: Some(org.path.clone()),
                ..Default::default()
            };
            store::latest_session(db, &filter)
                .await?
                .map_or(current, |latest| latest.min(current))
        }
    })
}

/// How one received proposal counts in the breakdowns.
#[derive(Clone, Copy)]
struct Counted {
    accepted: bool,
    answered: bool,
    on_time: bool,
}

impl Breakdown {
    fn add(&mut self, accepted: bool, c: Counted) {
        self.received += 1;
        self.accepted += i64::from(accepted);
        self.answered += i64::from(c.answered);
        self.answered_on_time += i64::from(c.answered && c.on_time);
    }
}

/// The breakdown labelled `key`, added when first seen.
fn breakdown_of<'a>(list: &'a mut Vec<Breakdown>, key: &str) -> &'a mut Breakdown {
    let at = match list.iter().position(|d| d.key == key) {
        Some(at) => at,
        None => {
            list.push(Breakdown {
                key: key.to_string(),
                ..Default::default()
            });
            list.len() - 1
        }
    };
    &mut list[at]
}

/// Count one received proposal in the session's totals.
fn count_proposal(
    f: &mut Figures,
    p: &Proposal,
    status: ProposalStatus,
    today: NaiveDate,
) -> Counted {
    f.received += 1;
    let numbered = is_numbered(status) || p.number.is_some();
    let answered = p.answered_on.is_some();
    // The latest answer against the deadline it had (the second one's, after a return).
    let on_time = answered_on_time(p.answered_on, p.due_on);
    match status {
        ProposalStatus::Submitted => f.pending_review += 1,
        ProposalStatus::NotAccepted => f.not_accepted += 1,
        ProposalStatus::Merged => f.merged += 1,
        ProposalStatus::Closed => f.closed += 1,
        _ => {}
    }
    let accepted = numbered && status != ProposalStatus::Merged;
    f.accepted += i64::from(accepted);
    f.assigned += i64::from(p.assigned_on.is_some() || answered);
    if answered {
        f.answered += 1;
        f.answered_on_time += i64::from(on_time);
        match p.answer_class.as_deref() {
            Some("a") => f.class_a += 1,
            Some("b") => f.class_b += 1,
            Some("c") => f.class_c += 1,
            _ => {}
        }
    }
    f.overdue += i64::from(is_overdue(status, p.due_on, today));
    f.key += i64::from(p.is_key);
    f.second_answers += i64::from(p.round > 1);
    Counted {
        accepted,
        answered,
        on_time,
    }
}

/// Each author's latest rating per proposal (the rows come ordered by round).
fn count_latest_ratings(f: &mut Figures, ratings: Vec<(i64, i64, i64, String)>) {
    let mut latest: Vec<((i64, i64), String)> = Vec::new();
    for (pid, member, _, rating) in ratings {
        match latest.iter_mut().find(|(k, _)| *k == (pid, member)) {
            Some(entry) => entry.1 = rating,
            None => latest.push(((pid, member), rating)),
        }
    }
    for (_, rating) in latest {
        match rating.as_str() {
            "satisfied" => f.satisfied += 1,
            "basically_satisfied" => f.basically_satisfied += 1,
            "unsatisfied" => f.unsatisfied += 1,
            _ => {}
        }
    }
}
