//! Reminders (提醒): the sweep that finds what falls due for whom and
//! notifies them once, each user's notifications (read, mark read), the
//! address they want e-mail at, and the outbox worker that sends out of the
//! app through a [`Notifier`] (see [`send`]).

pub mod send;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Actor;
use crate::app::config::Settings;
use crate::app::i18n::{self, Locale};
use crate::domain::notifications::{
    coming_week, dedup_key, due_state, error_line, is_email, next_attempt, window_end, Channel,
    Due, RecordKind, ReminderKind,
};
use crate::domain::paging::PageRequest;
use crate::domain::roles::Role;
use crate::domain::validation::FieldError;
use crate::services::error::AppError;
use crate::storage::notifications::{
    self as store, Candidate, NewMessage, NewNotification, Notification, OutboxEntry,
};
use crate::storage::{audit, calendar, Db};

pub use send::{Notifier, Notifiers, Outgoing};

/// One reminder the sweep found: a record, a user, a kind and the words.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminder {
    pub recipient_id: i64,
    pub kind: ReminderKind,
    pub record_id: i64,
    pub due_on: NaiveDate,
    pub params: serde_json::Value,
}

/// What one sweep created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Reminders due (created now or before).
    pub found: usize,
    /// Notifications created by this sweep.
    pub created: usize,
    /// Messages queued for sending out of the app.
    pub queued: usize,
}

fn params(c: &Candidate, extra: &[(&str, serde_json::Value)]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    map.insert("title".into(), c.title.clone().into());
    map.insert("due_on".into(), c.due_on.to_string().into());
    if let Some(d) = &c.department {
        map.insert("department".into(), d.clone().into());
    }
    for (k, v) in extra {
        map.insert((*k).to_string(), v.clone());
    }
    serde_json::Value::Object(map)
}

/// Everything due on `today` for everyone, computed from the records: a
/// department's cases and proposal answers within `days` working days or
/// overdue, staff's overdue ones in their scope, a member's invitations
/// awaiting a reply and their group's reception duty in the coming week.
pub async fn due_reminders(
    db: &Db,
    today: NaiveDate,
    days: u32,
) -> Result<Vec<Reminder>, AppError> {
    let cal = calendar::calendar(db).await?;
    let until = window_end(&cal, today, days);
    let mut out = Vec::new();
    let mut department_kind = |rows: Vec<Candidate>, soon: ReminderKind, overdue: ReminderKind| {
        for c in rows {
            let (kind, extra) = match due_state(&cal, today, c.due_on, days) {
                Some(Due::Soon(left)) => (soon, vec![("days", left.into())]),
                Some(Due::Overdue) => (overdue, Vec::new()),
                None => continue,
            };
            out.push(Reminder {
                recipient_id: c.recipient_id,
                kind,
                record_id: c.record_id,
                due_on: c.due_on,
                params: params(&c, &extra),
            });
        }
    };
    department_kind(
        store::cases_due(db, until).await?,
        ReminderKind::CaseDueSoon,
        ReminderKind::CaseOverdue,
    );
    department_kind(
        store::proposals_due(db, until).await?,
        ReminderKind::ProposalDueSoon,
        ReminderKind::ProposalOverdue,
    );
    let simple = |rows: Vec<Candidate>, kind: ReminderKind| {
        rows.into_iter().map(move |c| Reminder {
            recipient_id: c.recipient_id,
            kind,
            record_id: c.record_id,
            due_on: c.due_on,
            params: params(&c, &[]),
        })
    };
    out.extend(simple(
        store::cases_overdue_for_staff(db, today).await?,
        ReminderKind::StaffCaseOverdue,
    ));
    out.extend(simple(
        store::proposals_overdue_for_staff(db, today).await?,
        ReminderKind::StaffProposalOverdue,
    ));
    out.extend(simple(
        store::invitations_to_answer(db, today).await?,
        ReminderKind::InvitationToAnswer,
    ));
    out.extend(reception_duty(db, today).await?);
    Ok(out)
}

/// Members whose group is on duty at a reception day of the coming week
/// (the committee's schedule, as `reception::next_duty_of` reads it).
async fn reception_duty(db: &Db, today: NaiveDate) -> Result<Vec<Reminder>, AppError> {
    let (from, to) = coming_week(today);
    let mut by_org: BTreeMap<i64, Vec<store::GroupedMember>> = BTreeMap::new();
    for m in store::grouped_members(db).await? {
        by_org.entry(m.org_id).or_default().push(m);
    }
    let mut out = Vec::new();
    for (org_id, members) in by_org {
        for (day, group) in super::reception::duty_days_between(db, org_id, from, to).await? {
            let Some(group) = group else { continue };
            for m in members.iter().filter(|m| m.group_id == group) {
                out.push(Reminder {
                    recipient_id: m.user_id,
                    kind: ReminderKind::ReceptionDuty,
                    record_id: org_id,
                    due_on: day,
                    params: serde_json::json!({ "held_on": day.to_string() }),
                });
            }
        }
    }
    Ok(out)
}

/// The words of a notification in `locale`.
pub fn sentence(locale: Locale, text_key: &str, params: &serde_json::Value) -> String {
    let pairs: Vec<(&str, String)> = params
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.as_str(), text)
                })
                .collect()
        })
        .unwrap_or_default();
    i18n::t_with(locale, text_key, &pairs)
}

/// Where messages out of the app go, from the settings.
#[derive(Debug, Clone, Default)]
pub struct Outlets {
    /// E-mail is configured (an SMTP host).
    pub email: bool,
    /// The group robot's webhook.
    pub webhook_url: Option<String>,
}

impl Outlets {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            email: settings
                .smtp_host
                .as_deref()
                .is_some_and(|h| !h.trim().is_empty()),
            webhook_url: settings
                .webhook_url
                .clone()
                .filter(|u| !u.trim().is_empty()),
        }
    }
}

/// Create the notifications of `today` that do not exist yet, each with its
/// messages out of the app, in one transaction per reminder. Running it
/// again (on this server or another) creates nothing twice: the unique
/// keys of `notifications` and `notification_outbox` see to it.
pub async fn sweep(
    db: &Db,
    today: NaiveDate,
    days: u32,
    outlets: &Outlets,
) -> Result<SweepReport, AppError> {
    let reminders = due_reminders(db, today, days).await?;
    let mut report = SweepReport {
        found: reminders.len(),
        ..Default::default()
    };
    // Most reminders were notified by an earlier sweep: read those once
    // instead of trying each in a transaction (the unique key still decides
    // when two servers sweep at once).
    let existing: HashSet<(i64, String, i64, NaiveDate)> =
        match reminders.iter().map(|r| r.due_on).min() {
            Some(since) => store::existing_since(db, since)
                .await?
                .into_iter()
                .collect(),
            None => HashSet::new(),
        };
    for r in &reminders {
        let key = (
            r.recipient_id,
            r.kind.as_str().to_string(),
            r.record_id,
            r.due_on,
        );
        if existing.contains(&key) {
            continue;
        }
        let now = Utc::now();
        let mut tx = db.begin().await?;
        let new = NewNotification {
            recipient_id: r.recipient_id,
            kind: r.kind,
            record_id: r.record_id,
            due_on: r.due_on,
            params: &r.params,
        };
        // Already notified: dropping the transaction ends it.
        let Some(id) = store::insert(&mut tx, &new, now).await? else {
            continue;
        };
        report.created += 1;
        let text = sentence(Locale::ZhCn, r.kind.text_key(), &r.params);
        let key = dedup_key(r.kind, r.record_id, r.due_on);
        let subject = i18n::t(Locale::ZhCn, "notify.subject");
        if outlets.email {
            if let Some(email) = store::email_of_tx(&mut tx, r.recipient_id).await? {
                let message = NewMessage {
                    notification_id: Some(id),
                    channel: Channel::Email,
                    address: &email,
                    dedup_key: &key,
                    subject: &subject,
                    body: &text,
                };
                report.queued += usize::from(store::enqueue(&mut tx, &message, now).await?);
            }
        }
        if let Some(url) = outlets.webhook_url.as_deref().filter(|_| r.kind.to_group()) {
            let line = match r.params.get("department").and_then(|d| d.as_str()) {
                Some(department) => i18n::t_with(
                    Locale::ZhCn,
                    "notify.robot_line",
                    &[
                        ("department", department.to_string()),
                        ("text", text.clone()),
                    ],
                ),
                None => text.clone(),
            };
            let message = NewMessage {
                notification_id: Some(id),
                channel: Channel::Webhook,
                address: url,
                dedup_key: &key,
                subject: &subject,
                body: &line,
            };
            report.queued += usize::from(store::enqueue(&mut tx, &message, now).await?);
        }
        tx.commit().await?;
    }
    Ok(report)
}

/// What one run of the outbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    pub sent: usize,
    pub failed: usize,
}

/// How long a worker holds the messages it claimed: longer than any send
/// takes (the notifiers time out well before), short enough that a server
/// that died mid-send does not hold them for long.
pub const LEASE_SECONDS: i64 = 120;
/// Messages claimed at a time.
const BATCH: i64 = 50;

/// Send what is due in the outbox as `worker`: claim a batch (no other
/// server can hold the same messages), send each, record the outcome; a
/// failure is tried again later, up to `max_attempts` times.
pub async fn deliver(
    db: &Db,
    notifiers: &Notifiers,
    worker: &str,
    max_attempts: i64,
) -> Result<DeliveryReport, AppError> {
    let mut report = DeliveryReport::default();
    loop {
        let now = Utc::now();
        let until = now + chrono::Duration::seconds(LEASE_SECONDS);
        let claimed = store::claim(db, worker, now, until, BATCH).await?;
        if claimed.is_empty() {
            return Ok(report);
        }
        for m in claimed {
            let outgoing = Outgoing {
                address: &m.address,
                subject: &m.subject,
                body: &m.body,
            };
            let result = notifiers.send(m.channel, &outgoing).await;
            let now = Utc::now();
            match result {
                Ok(()) => {
                    store::mark_sent(db, m.id, worker, now).await?;
                    report.sent += 1;
                }
                Err(error) => {
                    let attempts = m.attempts + 1;
                    let retry = next_attempt(attempts, max_attempts, now);
                    tracing::warn!(id = m.id, channel = %m.channel, attempts, %error, "notification not sent");
                    store::mark_failed(db, m.id, worker, &error_line(&error), retry, now).await?;
                    report.failed += 1;
                }
            }
        }
    }
}

/// A name for this server's worker: its claims carry it.
pub fn worker_name() -> String {
    use rand::Rng;
    let suffix: u64 = rand::thread_rng().gen();
    format!("{}-{suffix:016x}", std::process::id())
}

/// Run the sweep and the outbox every `notify_interval_seconds` (unless 0),
/// in the background of the server.
pub fn spawn_worker(db: Db, settings: Arc<Settings>) {
    let every = settings.notify_interval_seconds;
    if every == 0 {
        return;
    }
    let notifiers = match Notifiers::from_settings(&settings) {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(error = %e, "notifications: the SMTP or webhook settings are unusable; nothing is sent out of the app");
            Notifiers::default()
        }
    };
    let outlets = Outlets::from_settings(&settings);
    let worker = worker_name();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(std::time::Duration::from_secs(every));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let today = crate::app::clock::today();
            match sweep(&db, today, settings.reminder_working_days, &outlets).await {
                Ok(r) if r.created > 0 => {
                    tracing::info!(created = r.created, queued = r.queued, "reminders created")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "reminder sweep failed"),
            }
            match deliver(&db, &notifiers, &worker, settings.notify_max_attempts).await {
                Ok(r) if r.sent + r.failed > 0 => {
                    tracing::info!(sent = r.sent, failed = r.failed, "notifications sent")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "notification outbox failed"),
            }
        }
    });
}

/// A notification as its reader sees it: the sentence in their language and
/// where it leads.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = NotificationItem)]
pub struct NotificationItem {
    pub id: i64,
    /// case_due_soon | case_overdue | proposal_due_soon | proposal_overdue |
    /// invitation_to_answer | reception_duty | staff_case_overdue | staff_proposal_overdue
    pub kind: String,
    /// case | proposal | activity | reception
    pub record_kind: String,
    pub record_id: i64,
    /// The due date it is about.
    pub due_on: NaiveDate,
    /// The reminder in the reader's language.
    pub text: String,
    /// The record's page.
    pub href: String,
    pub created_at: chrono::DateTime<Utc>,
    pub read_at: Option<chrono::DateTime<Utc>>,
}

fn item(locale: Locale, n: Notification) -> NotificationItem {
    let params: serde_json::Value =
        serde_json::from_str(&n.params).unwrap_or(serde_json::Value::Null);
    let href = RecordKind::parse("record_kind", &n.record_kind)
        .map(|k| k.href(n.record_id))
        .unwrap_or_else(|_| "/".to_string());
    NotificationItem {
        id: n.id,
        text: sentence(locale, &n.text_key, &params),
        kind: n.kind,
        record_kind: n.record_kind,
        record_id: n.record_id,
        due_on: n.due_on,
        href,
        created_at: n.created_at,
        read_at: n.read_at,
    }
}

/// `?unread=&page=&per_page=`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NotificationQuery {
    pub unread: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

fn parse_flag(field: &'static str, value: Option<&str>) -> Result<bool, AppError> {
    match value.map(str::trim).unwrap_or("") {
        "" | "false" | "0" | "no" => Ok(false),
        "true" | "1" | "yes" => Ok(true),
        _ => Err(AppError::BadRequest(
            FieldError::new(field, "flag_invalid").into(),
        )),
    }
}

/// One page of the signed-in user's notifications, newest first.
pub async fn list(
    db: &Db,
    actor: &Actor,
    q: &NotificationQuery,
) -> Result<(Vec<NotificationItem>, i64, PageRequest, bool), AppError> {
    let page = PageRequest::parse(q.page.as_deref(), q.per_page.as_deref())
        .map_err(AppError::BadRequest)?;
    let unread = parse_flag("unread", q.unread.as_deref())?;
    let (rows, total) = store::list(db, actor.user_id, unread, page.offset(), page.limit()).await?;
    let items = rows.into_iter().map(|n| item(actor.locale, n)).collect();
    Ok((items, total, page, unread))
}

/// How many of the user's notifications are unread.
pub async fn unread_count(db: &Db, user_id: i64) -> Result<i64, AppError> {
    Ok(store::unread_count(db, user_id).await?)
}

/// Mark one of the user's own notifications read (anyone else's: not found).
pub async fn mark_read(db: &Db, actor: &Actor, id: i64) -> Result<NotificationItem, AppError> {
    if store::get_for(db, actor.user_id, id).await?.is_none() {
        return Err(AppError::NotFound);
    }
    let mut tx = db.begin().await?;
    store::mark_read(&mut tx, actor.user_id, id, Utc::now()).await?;
    tx.commit().await?;
    let n = store::get_for(db, actor.user_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(item(actor.locale, n))
}

/// Mark all of the user's notifications read: how many were unread.
pub async fn mark_all_read(db: &Db, actor: &Actor) -> Result<u64, AppError> {
    let mut tx = db.begin().await?;
    let n = store::mark_all_read(&mut tx, actor.user_id, Utc::now()).await?;
    tx.commit().await?;
    Ok(n)
}

/// The address the user gets their reminders at, if any.
pub async fn email(db: &Db, actor: &Actor) -> Result<Option<String>, AppError> {
    Ok(store::email_of(db, actor.user_id).await?)
}

/// `e***@example.org`: enough for the audit log to say which.
fn masked(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// Set (or, blank, remove) the address the user wants reminders at.
pub async fn set_email(db: &Db, actor: &Actor, email: &str) -> Result<Option<String>, AppError> {
    let email = email.trim();
    let value = if email.is_empty() {
        None
    } else if is_email(email) {
        Some(email)
    } else {
        return Err(AppError::Validation(
            FieldError::new("email", "email_invalid").into(),
        ));
    };
    let mut tx = db.begin().await?;
    store::set_email(&mut tx, actor.user_id, value, Utc::now()).await?;
    let detail = serde_json::json!({ "email": value.map(masked).unwrap_or_default() });
    audit::insert(
        &mut tx,
        &actor.audit("update", "user", actor.user_id, Some(detail.to_string())),
    )
    .await?;
    tx.commit().await?;
    Ok(value.map(str::to_string))
}

/// What the administrator sees of the outbox: how many messages in each
/// state, and those that failed (given up, or waiting to be retried) with
/// their last error.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxView {
    pub counts: Vec<(crate::domain::notifications::OutboxStatus, i64)>,
    pub troubled: Vec<OutboxEntry>,
}

pub async fn outbox(db: &Db, actor: &Actor) -> Result<OutboxView, AppError> {
    actor.require(&[Role::Admin])?;
    Ok(OutboxView {
        counts: store::outbox_counts(db).await?,
        troubled: store::troubled(db, 50).await?,
    })
}
