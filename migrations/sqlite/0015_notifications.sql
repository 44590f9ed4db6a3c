-- Reminders (提醒): notifications in the app and the outbox of what is sent
-- out of it (SQLite). Keep in step with ../postgres/0015_notifications.sql:
-- the test `schema_parity` compares the two.

-- One reminder to one user about one record: what is due (or overdue) and
-- when. Created by the sweep (services::notifications), never edited but to
-- mark it read. The words are the catalogue's, in the reader's language:
-- a text key and its parameters (a JSON object).
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    recipient_id INTEGER NOT NULL REFERENCES users(id),
    -- domain::notifications::ReminderKind
    kind TEXT NOT NULL,
    -- case | proposal | activity | reception
    record_kind TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    -- The due date the reminder is about: a new due date is a new reminder.
    due_on TEXT NOT NULL,
    text_key TEXT NOT NULL,
    params TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT
);
-- A reminder for the same user, kind, record and due date is created once,
-- however many sweeps (and servers) run.
CREATE UNIQUE INDEX notifications_once ON notifications(recipient_id, kind, record_id, due_on);
-- The unread count in every page's header and the list, newest first.
CREATE INDEX notifications_recipient ON notifications(recipient_id, read_at, id);

-- Where a user wants their reminders by e-mail (set on /notifications).
CREATE TABLE notification_addresses (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    email TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Each message to send out of the app: claimed by one server at a time (a
-- lease), retried with a growing delay up to a limit, its last error kept
-- for the administrator.
CREATE TABLE notification_outbox (
    id INTEGER PRIMARY KEY,
    notification_id INTEGER REFERENCES notifications(id),
    -- email | webhook
    channel TEXT NOT NULL,
    -- The e-mail address, or the webhook's URL.
    address TEXT NOT NULL,
    -- One message per channel, address and reminder (kind, record, due date).
    dedup_key TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    -- pending | sent | failed (gave up after the last attempt)
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    claimed_by TEXT,
    claimed_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE UNIQUE INDEX notification_outbox_once ON notification_outbox(channel, address, dedup_key);
CREATE INDEX notification_outbox_due ON notification_outbox(status, next_attempt_at);
