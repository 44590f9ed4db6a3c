//! Awards: staff record them (with evidence); a member sees their own.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use super::steps::{check_version, parse_version};
use super::{non_blank, Actor};
use crate::domain::activities::{parse_year, AwardCategory, AwardStatus, FiveOnesItem};
use crate::domain::awards::{self, AwardAction, AwardLevel};
use crate::domain::dates::{parse_id, parse_optional_id};
use crate::domain::roles::Role;
use crate::domain::text::{required_line, required_text};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::services::error::AppError;
use crate::storage::awards::{self as store, Award, AwardFilter, AwardValues};
use crate::storage::timeline::{self, NewTimelineEntry};
use crate::storage::{audit, members, orgs, Db};

/// An award as submitted.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AwardInput {
    pub member_id: String,
    /// e.g. `2011`
    pub year: String,
    /// new_suggestion (建言献策新成果奖) | new_investment (招商引资新项目奖) | new_contribution (建功立业新贡献奖) | other
    pub category: String,
    pub title: String,
    /// What it was given for, e.g. the project and its figures.
    pub evidence: String,
    /// candidate | awarded; `candidate` when empty.
    pub status: String,
    /// Who gave it: committee | district | city | province | national;
    /// `committee` when empty.
    pub level: String,
}

/// A step on an award: 授予 (a candidate is awarded) or 撤销 (with a reason).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AwardStepInput {
    /// award | withdraw
    pub action: String,
    /// Why it is withdrawn (required to withdraw).
    pub reason: Option<String>,
    /// The award's version as read.
    pub version: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AwardQuery {
    pub member: Option<String>,
    pub year: Option<String>,
    pub category: Option<String>,
}

pub async fn list(db: &Db, actor: &Actor, query: &AwardQuery) -> Result<Vec<Award>, AppError> {
    let mut errors = FieldErrors::new();
    let mut filter = match actor.role {
        Role::Staff => AwardFilter {
            scope_path: Some(actor.org_path.clone()),
            ..Default::default()
        },
        Role::Member => AwardFilter {
            member_id: Some(actor.member_id.ok_or(AppError::Forbidden)?),
            ..Default::default()
        },
        _ => return Err(AppError::Forbidden),
    };
    if let Some(m) = errors
        .check(parse_optional_id(
            "member",
            query.member.as_deref().unwrap_or(""),
        ))
        .flatten()
    {
        if filter.member_id.is_some_and(|own| own != m) {
            return Ok(Vec::new());
        }
        filter.member_id = Some(m);
    }
    if let Some(y) = non_blank(&query.year) {
        filter.year = errors.check(parse_year("year", y)).map(i64::from);
    }
    if let Some(c) = non_blank(&query.category) {
        filter.category = errors
            .check(AwardCategory::parse("category", c))
            .map(|c| c.as_str().to_string());
    }
    if !errors.is_empty() {
        return Err(AppError::BadRequest(errors));
    }
    Ok(store::list(db, &filter).await?)
}

/// An award the actor may see; anything else is "not found".
pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Award, AppError> {
    let award = store::get(db, id).await?.ok_or(AppError::NotFound)?;
    let visible = match actor.role {
        Role::Staff => match members::get(db, award.member_id).await? {
            Some(m) => orgs::get_org(db, m.org_id)
                .await?
                .is_some_and(|o| actor.sees(&o.path)),
            None => false,
        },
        Role::Member => actor.member_id == Some(award.member_id),
        _ => false,
    };
    if visible {
        Ok(award)
    } else {
        Err(AppError::NotFound)
    }
}

/// Record an award (or a candidacy) for a member of the actor's subtree.
pub async fn create(db: &Db, actor: &Actor, input: &AwardInput) -> Result<Award, AppError> {
    actor.require(&[Role::Staff])?;
    let mut errors = FieldErrors::new();
    let member_id = errors.check(parse_id("member_id", &input.member_id));
    let year = errors.check(parse_year("year", &input.year));
    let category = errors.check(AwardCategory::parse("category", &input.category));
    let title = errors.check(required_line("title", &input.title, 100));
    let evidence = errors.check(required_text("evidence", &input.evidence, 5000));
    let status = if input.status.trim().is_empty() {
        Some(AwardStatus::Candidate)
    } else {
        errors
            .check(AwardStatus::parse("status", &input.status))
            .and_then(|s| {
                errors
                    .check(awards::check_entered_as("status", s))
                    .map(|()| s)
            })
    };
    let level = if input.level.trim().is_empty() {
        Some(AwardLevel::Committee)
    } else {
        errors.check(AwardLevel::parse("level", &input.level))
    };
    if let Some(m) = member_id {
        let visible = match members::get(db, m).await? {
            Some(member) => orgs::get_org(db, member.org_id)
                .await?
                .is_some_and(|o| actor.sees(&o.path)),
            None => false,
        };
        if !visible {
            errors.push(FieldError::new("member_id", "unknown_member").with("id", m));
        }
    }
    errors.into_result()?;
    let (
        Some(member_id),
        Some(year),
        Some(category),
        Some(title),
        Some(evidence),
        Some(status),
        Some(level),
    ) = (member_id, year, category, title, evidence, status, level)
    else {
        return Err(AppError::internal("validated fields missing"));
    };
    let values = AwardValues {
        member_id,
        year: i64::from(year),
        category: category.as_str().into(),
        title,
        evidence,
        status: status.as_str().into(),
        level: level.as_str().into(),
        decided_on: awards::counts(status).then(|| day_in_year(year)),
    };
    // On the duty file at the end of its year, or today for the current year.
    let occurred_on = day_in_year(year);
    let mut tx = db.begin().await?;
    let id = store::insert(&mut tx, &values, actor.user_id).await?;
    timeline::insert(
        &mut tx,
        &NewTimelineEntry {
            member_id,
            occurred_on,
            kind: "award",
            title: &values.title,
            object_type: Some("award"),
            object_id: Some(id),
            created_by: Some(actor.user_id),
        },
    )
    .await?;
    if FiveOnesItem::ALL
        .iter()
        .any(|item| item.ticked_by_award(category, status))
    {
        timeline::insert(
            &mut tx,
            &NewTimelineEntry {
                member_id,
                occurred_on,
                kind: "five_ones",
                title: &values.title,
                object_type: Some("award"),
                object_id: Some(id),
                created_by: Some(actor.user_id),
            },
        )
        .await?;
    }
    let detail = serde_json::json!({
        "member_id": values.member_id, "year": values.year, "category": values.category,
        "title": values.title, "status": values.status, "award_level": values.level,
    });
    audit::insert(
        &mut tx,
        &actor.audit("create", "award", id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    store::get(db, id).await?.ok_or(AppError::NotFound)
}

/// The day a step on an award of `year` is dated: today within the year,
/// else the year's last (or first) day, so its points belong to its year.
fn day_in_year(year: i32) -> NaiveDate {
    let today = crate::app::clock::today();
    match (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) {
        (Some(first), Some(last)) => today.clamp(first, last),
        _ => today,
    }
}

/// The longest reason for withdrawing an award, in characters.
const REASON_MAX_CHARS: usize = 500;

/// Take a step on an award: award a candidate, or withdraw a candidacy or an
/// award with its reason (`domain::awards::check_move`). Only an awarded
/// award earns duty points, so a withdrawal takes its points away.
pub async fn step(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &AwardStepInput,
) -> Result<Award, AppError> {
    actor.require(&[Role::Staff])?;
    let award = get(db, actor, id).await?;
    let version = parse_version(&input.version)?;
    let action = AwardAction::parse("action", &input.action)?;
    let from = AwardStatus::parse("status", &award.status)
        .map_err(|_| AppError::internal("stored award status"))?;
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let to = match awards::check_move("action", from, action, reason) {
        Ok(to) => to,
        Err(e) if e.field == "action" => return Err(AppError::Conflict(e.code)),
        Err(e) => return Err(e.into()),
    };
    // A reason is kept whole: one too long is refused, naming the field.
    let reason = match (action, reason) {
        (AwardAction::Withdraw, Some(r)) => Some(crate::domain::text::required_text(
            "reason",
            r,
            REASON_MAX_CHARS,
        )?),
        _ => None,
    };
    let year = i32::try_from(award.year).unwrap_or(2000);
    let on = day_in_year(year);
    let mut tx = db.begin().await?;
    check_version(
        store::set_status(&mut tx, id, version, to.as_str(), on, reason.as_deref()).await?,
    )?;
    if to == AwardStatus::Awarded {
        let category = AwardCategory::parse("category", &award.category)
            .map_err(|_| AppError::internal("stored award category"))?;
        if FiveOnesItem::ALL
            .iter()
            .any(|item| item.ticked_by_award(category, to))
        {
            timeline::insert(
                &mut tx,
                &NewTimelineEntry {
                    member_id: award.member_id,
                    occurred_on: on,
                    kind: "five_ones",
                    title: &award.title,
                    object_type: Some("award"),
                    object_id: Some(id),
                    created_by: Some(actor.user_id),
                },
            )
            .await?;
        }
    }
    let detail = serde_json::json!({
        "action": action.as_str(), "from": from.as_str(), "to": to.as_str(),
        "member_id": award.member_id, "year": award.year, "reason": reason,
    });
    audit::insert(
        &mut tx,
        &actor.audit("award_step", "award", id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    store::get(db, id).await?.ok_or(AppError::NotFound)
}
