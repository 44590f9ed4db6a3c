//! Reminders: the records falling due with whom to tell, the notifications
//! (created once per user, kind, record and due date), the e-mail addresses
//! users gave, and the outbox of messages sent out of the app, each claimed
//! by one server at a time.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::{Db, Tx};
use crate::domain::notifications::{Channel, OutboxStatus, ReminderKind};
use crate::{on_db, on_tx};

/// A record falling due and one user to tell about it.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct Candidate {
    pub record_id: i64,
    pub title: String,
    pub due_on: NaiveDate,
    pub recipient_id: i64,
    /// The department holding it (staff's reminders name it).
    pub department: Option<String>,
}

/// The department users holding a case that is open with them (forwarded or
/// in progress, as `domain::cases::is_overdue` has it) and due on or before
/// `until`: the window's soon and the overdue alike.
pub async fn cases_due(db: &Db, until: NaiveDate) -> Result<Vec<Candidate>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, Candidate>(
        "SELECT c.id AS record_id, c.title, c.due_on, u.id AS recipient_id, d.name AS department \
         FROM cases c JOIN users u ON u.department_id = c.department_id \
         JOIN departments d ON d.id = c.department_id \
         WHERE c.status IN ('forwarded', 'in_progress') AND c.due_on IS NOT NULL AND c.due_on <= $1 \
           AND u.role = 'department' AND u.disabled = $2 \
         ORDER BY c.due_on, c.id, u.id")
        .bind(until).bind(false).fetch_all(pool).await)
}

/// The users of every department handling (lead or co-handling) an assigned
/// proposal whose answer is due on or before `until`.
pub async fn proposals_due(db: &Db, until: NaiveDate) -> Result<Vec<Candidate>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, Candidate>(
        "SELECT p.id AS record_id, p.title, p.due_on, u.id AS recipient_id, d.name AS department \
         FROM proposals p JOIN proposal_handlers h ON h.proposal_id = p.id \
         JOIN departments d ON d.id = h.department_id \
         JOIN users u ON u.department_id = h.department_id \
         WHERE p.status = 'assigned' AND p.due_on IS NOT NULL AND p.due_on <= $1 \
           AND u.role = 'department' AND u.disabled = $2 \
         ORDER BY p.due_on, p.id, u.id")
        .bind(until).bind(false).fetch_all(pool).await)
}

/// Staff whose scope holds an open case past its due date on `today`.
pub async fn cases_overdue_for_staff(
    db: &Db,
    today: NaiveDate,
) -> Result<Vec<Candidate>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, Candidate>(
        "SELECT c.id AS record_id, c.title, c.due_on, u.id AS recipient_id, d.name AS department \
         FROM cases c JOIN orgs o ON o.id = c.org_id \
         LEFT JOIN departments d ON d.id = c.department_id \
         JOIN users u ON u.role = 'staff' AND u.disabled = $2 \
         JOIN orgs uo ON uo.id = u.org_id \
         WHERE c.status IN ('forwarded', 'in_progress') AND c.due_on IS NOT NULL AND c.due_on < $1 \
           AND substr(o.path, 1, length(uo.path)) = uo.path \
         ORDER BY c.due_on, c.id, u.id")
        .bind(today).bind(false).fetch_all(pool).await)
}

/// Staff whose scope holds an assigned proposal whose answer is past due.
pub async fn proposals_overdue_for_staff(
    db: &Db,
    today: NaiveDate,
) -> Result<Vec<Candidate>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, Candidate>(
        "SELECT p.id AS record_id, p.title, p.due_on, u.id AS recipient_id, \
           (SELECT d.name FROM proposal_handlers h JOIN departments d ON d.id = h.department_id \
             WHERE h.proposal_id = p.id AND h.role = 'lead') AS department \
         FROM proposals p JOIN orgs o ON o.id = p.org_id \
         JOIN users u ON u.role = 'staff' AND u.disabled = $2 \
         JOIN orgs uo ON uo.id = u.org_id \
         WHERE p.status = 'assigned' AND p.due_on IS NOT NULL AND p.due_on < $1 \
           AND substr(o.path, 1, length(uo.path)) = uo.path \
         ORDER BY p.due_on, p.id, u.id")
        .bind(today).bind(false).fetch_all(pool).await)
}

/// Members with an invitation still waiting for their reply, to an activity
/// not yet held: the same invitations the member's first page counts
/// (`storage::todos::for_member`); the due date is the day it is held.
pub async fn invitations_to_answer(
    db: &Db,
    today: NaiveDate,
) -> Result<Vec<Candidate>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, Candidate>(
        "SELECT a.id AS record_id, a.title, a.held_on AS due_on, u.id AS recipient_id, CAST(NULL AS TEXT) AS department \
         FROM activity_invitations i JOIN activities a ON a.id = i.activity_id \
         JOIN users u ON u.member_id = i.member_id \
         WHERE i.reply = 'pending' AND a.held_on >= $1 AND u.disabled = $2 \
         ORDER BY a.held_on, a.id, u.id")
        .bind(today).bind(false).fetch_all(pool).await)
}

/// A member who signs in, with their committee and group.
#[derive(Debug, Clone, FromRow)]
pub struct GroupedMember {
    pub user_id: i64,
    pub org_id: i64,
    pub group_id: i64,
}

/// Members with an account and a group: those a duty roster can name.
pub async fn grouped_members(db: &Db) -> Result<Vec<GroupedMember>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, GroupedMember>(
        "SELECT u.id AS user_id, m.org_id, m.group_id FROM users u JOIN members m ON m.id = u.member_id \
         WHERE u.disabled = $1 AND m.group_id IS NOT NULL ORDER BY m.org_id, u.id")
        .bind(false).fetch_all(pool).await)
}

/// A notification to create.
#[derive(Debug, Clone)]
pub struct NewNotification<'a> {
    pub recipient_id: i64,
    pub kind: ReminderKind,
    pub record_id: i64,
    pub due_on: NaiveDate,
    pub params: &'a serde_json::Value,
}

/// Create the notification unless the same one (user, kind, record, due
/// date) exists: its id when it is new.
pub async fn insert(
    tx: &mut Tx,
    n: &NewNotification<'_>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let params = n.params.to_string();
    on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(
        "INSERT INTO notifications (recipient_id, kind, record_kind, record_id, due_on, text_key, params, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (recipient_id, kind, record_id, due_on) DO NOTHING RETURNING id")
        .bind(n.recipient_id).bind(n.kind.as_str()).bind(n.kind.record_kind().as_str())
        .bind(n.record_id).bind(n.due_on).bind(n.kind.text_key()).bind(&params).bind(now)
        .fetch_optional(&mut *conn).await)
}

/// The reminders already notified whose due date is on or after `since`:
/// (recipient, kind, record, due date). The sweep skips them without a
/// transaction each.
pub async fn existing_since(
    db: &Db,
    since: NaiveDate,
) -> Result<Vec<(i64, String, i64, NaiveDate)>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, (i64, String, i64, NaiveDate)>(
        "SELECT recipient_id, kind, record_id, due_on FROM notifications WHERE due_on >= $1")
        .bind(since).fetch_all(pool).await)
}

/// One notification as its recipient reads it.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    /// case_due_soon | case_overdue | proposal_due_soon | proposal_overdue |
    /// invitation_to_answer | reception_duty | staff_case_overdue | staff_proposal_overdue
    pub kind: String,
    /// case | proposal | activity | reception
    pub record_kind: String,
    pub record_id: i64,
    pub due_on: NaiveDate,
    pub text_key: String,
    /// The sentence's parameters (a JSON object as text).
    #[serde(skip)]
    pub params: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "id, kind, record_kind, record_id, due_on, text_key, params, created_at, read_at";

/// One page of a user's notifications, newest first, and how many in all.
pub async fn list(
    db: &Db,
    recipient_id: i64,
    unread_only: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Notification>, i64), sqlx::Error> {
    let filter = if unread_only {
        "recipient_id = $1 AND read_at IS NULL"
    } else {
        "recipient_id = $1"
    };
    let items_sql = format!(
        "SELECT {COLUMNS} FROM notifications WHERE {filter} ORDER BY id DESC LIMIT $2 OFFSET $3"
    );
    let count_sql = format!("SELECT COUNT(*) FROM notifications WHERE {filter}");
    let items = on_db!(db, pool => sqlx::query_as::<_, Notification>(&items_sql)
        .bind(recipient_id).bind(limit).bind(offset).fetch_all(pool).await)?;
    let total = on_db!(db, pool => sqlx::query_scalar::<_, i64>(&count_sql)
        .bind(recipient_id).fetch_one(pool).await)?;
    Ok((items, total))
}

/// How many of a user's notifications are unread: one count on the index
/// `notifications_recipient`, for every page's header.
pub async fn unread_count(db: &Db, recipient_id: i64) -> Result<i64, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM notifications WHERE recipient_id = $1 AND read_at IS NULL")
        .bind(recipient_id).fetch_one(pool).await)
}

/// A user's own notification (`None` for anyone else's).
pub async fn get_for(
    db: &Db,
    recipient_id: i64,
    id: i64,
) -> Result<Option<Notification>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM notifications WHERE id = $1 AND recipient_id = $2");
    on_db!(db, pool => sqlx::query_as::<_, Notification>(&sql)
        .bind(id).bind(recipient_id).fetch_optional(pool).await)
}

/// Mark one notification read (no change when it already is).
pub async fn mark_read(
    tx: &mut Tx,
    recipient_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE id = $2 AND recipient_id = $3 AND read_at IS NULL")
        .bind(now).bind(id).bind(recipient_id).execute(&mut *conn).await.map(|r| r.rows_affected()))
}

/// Mark all of a user's notifications read: how many were unread.
pub async fn mark_all_read(
    tx: &mut Tx,
    recipient_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE recipient_id = $2 AND read_at IS NULL")
        .bind(now).bind(recipient_id).execute(&mut *conn).await.map(|r| r.rows_affected()))
}

/// The e-mail address a user gave for their reminders.
pub async fn email_of(db: &Db, user_id: i64) -> Result<Option<String>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT email FROM notification_addresses WHERE user_id = $1")
        .bind(user_id).fetch_optional(pool).await)
}

/// The same, inside the sweep's transaction.
pub async fn email_of_tx(tx: &mut Tx, user_id: i64) -> Result<Option<String>, sqlx::Error> {
    on_tx!(tx, conn => sqlx::query_scalar::<_, String>(
        "SELECT email FROM notification_addresses WHERE user_id = $1")
        .bind(user_id).fetch_optional(&mut *conn).await)
}

/// Set (or, with `None`, remove) a user's address.
pub async fn set_email(
    tx: &mut Tx,
    user_id: i64,
    email: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM notification_addresses WHERE user_id = $1")
        .bind(user_id).execute(&mut *conn).await.map(|_| ()))?;
    if let Some(email) = email {
        on_tx!(tx, conn => sqlx::query(
            "INSERT INTO notification_addresses (user_id, email, updated_at) VALUES ($1, $2, $3)")
            .bind(user_id).bind(email).bind(now).execute(&mut *conn).await.map(|_| ()))?;
    }
    Ok(())
}

/// A message to send out of the app.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub notification_id: Option<i64>,
    pub channel: Channel,
    pub address: &'a str,
    pub dedup_key: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

/// Queue a message unless the same one (channel, address, key) is queued:
/// whether it is new.
pub async fn enqueue(
    tx: &mut Tx,
    m: &NewMessage<'_>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let affected = on_tx!(tx, conn => sqlx::query(
        "INSERT INTO notification_outbox (notification_id, channel, address, dedup_key, subject, body, \
           status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8) \
         ON CONFLICT (channel, address, dedup_key) DO NOTHING")
        .bind(m.notification_id).bind(m.channel.as_str()).bind(m.address).bind(m.dedup_key)
        .bind(m.subject).bind(m.body).bind(OutboxStatus::Pending.as_str()).bind(now)
        .execute(&mut *conn).await.map(|r| r.rows_affected()))?;
    Ok(affected == 1)
}

/// A message a worker holds the lease of.
#[derive(Debug, Clone, FromRow)]
pub struct Claimed {
    pub id: i64,
    pub channel: Channel,
    pub address: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
}

/// Claim up to `limit` messages due for an attempt, for `worker` until
/// `until`: one UPDATE, so two servers never hold the same message (on
/// PostgreSQL rows another worker is claiming are skipped, not waited for;
/// a row is taken only while it is pending and its lease, if any, has run out).
pub async fn claim(
    db: &Db,
    worker: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let lock = match db {
        Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        Db::Sqlite(_) => "",
    };
    let sql = format!(
        "UPDATE notification_outbox SET claimed_by = $1, claimed_until = $2 \
         WHERE id IN (SELECT id FROM notification_outbox \
             WHERE status = 'pending' AND next_attempt_at <= $3 \
               AND (claimed_until IS NULL OR claimed_until < $3) \
             ORDER BY next_attempt_at, id LIMIT $4{lock}) \
           AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < $3) \
         RETURNING id, channel, address, subject, body, attempts"
    );
    on_db!(db, pool => sqlx::query_as::<_, Claimed>(&sql)
        .bind(worker).bind(until).bind(now).bind(limit).fetch_all(pool).await)
}

/// The message went out.
pub async fn mark_sent(
    db: &Db,
    id: i64,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_db!(db, pool => sqlx::query(
        "UPDATE notification_outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, \
           claimed_by = NULL, claimed_until = NULL, last_error = NULL \
         WHERE id = $2 AND claimed_by = $3")
        .bind(now).bind(id).bind(worker).execute(pool).await.map(|_| ()))
}

/// The attempt failed: try again at `retry_at`, or give up when `None`.
pub async fn mark_failed(
    db: &Db,
    id: i64,
    worker: &str,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let (status, next) = match retry_at {
        Some(at) => (OutboxStatus::Pending, at),
        None => (OutboxStatus::Failed, now),
    };
    on_db!(db, pool => sqlx::query(
        "UPDATE notification_outbox SET status = $1, next_attempt_at = $2, attempts = attempts + 1, \
           last_error = $3, claimed_by = NULL, claimed_until = NULL \
         WHERE id = $4 AND claimed_by = $5")
        .bind(status.as_str()).bind(next).bind(error).bind(id).bind(worker)
        .execute(pool).await.map(|_| ()))
}

/// A message of the outbox as the administrator sees it.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub struct OutboxEntry {
    pub id: i64,
    pub channel: Channel,
    pub address: String,
    pub subject: String,
    pub status: OutboxStatus,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The messages that failed at least once (given up, or waiting to be
/// retried), latest first.
pub async fn troubled(db: &Db, limit: i64) -> Result<Vec<OutboxEntry>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, OutboxEntry>(
        "SELECT id, channel, address, subject, status, attempts, next_attempt_at, last_error, created_at, sent_at \
         FROM notification_outbox WHERE last_error IS NOT NULL OR status = 'failed' \
         ORDER BY id DESC LIMIT $1")
        .bind(limit).fetch_all(pool).await)
}

/// How many messages are in each state.
pub async fn outbox_counts(db: &Db) -> Result<Vec<(OutboxStatus, i64)>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, (OutboxStatus, i64)>(
        "SELECT status, COUNT(*) FROM notification_outbox GROUP BY status ORDER BY status")
        .fetch_all(pool).await)
}
