//! The frame every lifecycle step runs in, whatever it is a step on (a case,
//! a proposal, an information report). Each capability parses its input
//! into a typed step and decides what to write; the frame dates the step,
//! checks the version, appends the timeline, notes the search change,
//! writes the audit row and commits — the same way for all three.

use chrono::NaiveDate;

use super::{non_blank, Actor};
use crate::domain::steps::{check_not_before_last, step_date};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::services::error::AppError;
use crate::storage::events::{self, NewEvent, Subject};
use crate::storage::{audit, search, Db, Tx};

/// Today, for the committee (its time zone): the default date of a step.
pub(crate) fn today() -> NaiveDate {
    crate::app::clock::today()
}

/// The version the client read: every change names it, so a stale read is refused.
pub(crate) fn parse_version(input: &Option<String>) -> Result<i64, AppError> {
    non_blank(input)
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|v| *v > 0)
        .ok_or_else(|| AppError::Validation(FieldError::new("version", "version_required").into()))
}

/// The step's date as entered (today when empty, not in the future), not
/// before the subject's last step — nor, without one, before `start`.
pub(crate) async fn dated(
    db: &Db,
    errors: &mut FieldErrors,
    subject: Subject,
    id: i64,
    input: &Option<String>,
    before_last: &'static str,
    start: Option<NaiveDate>,
) -> Result<Option<NaiveDate>, AppError> {
    let on = step_date(errors, "on", input.as_deref().unwrap_or(""), today());
    if let Some(d) = on {
        not_before_last(db, errors, subject, id, d, before_last, start).await?;
    }
    Ok(on)
}

/// A step dated `on` may not come before the subject's last step — nor,
/// without one, before `start`.
pub(crate) async fn not_before_last(
    db: &Db,
    errors: &mut FieldErrors,
    subject: Subject,
    id: i64,
    on: NaiveDate,
    before_last: &'static str,
    start: Option<NaiveDate>,
) -> Result<(), AppError> {
    let last = events::last_step_on(db, subject, id).await?.or(start);
    errors.check(check_not_before_last("on", before_last, on, last));
    Ok(())
}

/// A step form shows the fields of every step: a value given for a field the
/// chosen step does not use would be dropped, so it is refused instead.
pub(crate) fn unused(errors: &mut FieldErrors, field: &'static str, value: &Option<String>) {
    if non_blank(value).is_some() && errors.for_field(field).is_none() {
        errors.push(FieldError::new(field, "step_field_unused"));
    }
}

/// [`unused`] for a field that takes several values.
pub(crate) fn unused_all(errors: &mut FieldErrors, field: &'static str, values: &[String]) {
    if values.iter().any(|v| !v.trim().is_empty()) && errors.for_field(field).is_none() {
        errors.push(FieldError::new(field, "step_field_unused"));
    }
}

/// A write made on a stale read changes nothing.
pub(crate) fn check_version(updated: bool) -> Result<(), AppError> {
    if updated {
        Ok(())
    } else {
        Err(AppError::Conflict("stale_version"))
    }
}

/// One row of the subject's timeline.
pub(crate) struct Event<'a> {
    pub action: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub department_id: Option<i64>,
    /// The note the user typed, as typed; `None` on a row the step sets off.
    pub note: Option<&'a str>,
    /// What the step sets down besides (the number given, the reply, …).
    pub detail: Option<&'a str>,
}

/// What every step records besides its own rows.
pub(crate) struct Record<'a> {
    pub subject: Subject,
    pub id: i64,
    pub on: NaiveDate,
    /// Usually one; two when the step sets off another (a rating closes).
    pub events: Vec<Event<'a>>,
    /// The audit row: its action and object type, and the detail (a JSON
    /// object; the typed note is added to it as `note`).
    pub audit_action: &'static str,
    pub object_type: &'static str,
    pub detail: serde_json::Value,
    /// The note the user typed with the step: it goes in the audit row too.
    pub note: Option<&'a str>,
    /// The search index's name for the subject.
    pub search_kind: &'static str,
}

/// Append the timeline, note the search change, audit, and commit.
pub(crate) async fn record(mut tx: Tx, actor: &Actor, r: Record<'_>) -> Result<(), AppError> {
    for e in &r.events {
        events::insert_event(
            &mut tx,
            &NewEvent {
                subject: r.subject,
                subject_id: r.id,
                occurred_on: r.on,
                action: e.action,
                from_status: Some(e.from),
                to_status: e.to,
                department_id: e.department_id,
                note: e.note,
                detail: e.detail,
                user_id: Some(actor.user_id),
                username: Some(&actor.username),
            },
        )
        .await?;
    }
    search::record_change(&mut tx, r.search_kind, r.id).await?;
    let mut detail = r.detail;
    match detail.as_object_mut() {
        Some(fields) => {
            fields.insert("note".into(), r.note.into());
        }
        None => return Err(AppError::internal("a step's audit detail is not an object")),
    }
    let detail = Some(detail.to_string());
    audit::insert(
        &mut tx,
        &actor.audit(r.audit_action, r.object_type, r.id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
