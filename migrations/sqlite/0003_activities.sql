-- Activities and what hangs off them (SQLite). Keep in step with
-- ../postgres/0003_activities.sql: the test `schema_parity` compares the two.

-- An activity of a committee: a meeting, study session, research trip, … .
-- Staff create them approved; a member's own log waits for approval.
CREATE TABLE activities (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    group_id INTEGER REFERENCES orgs(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    held_on TEXT NOT NULL,
    place TEXT NOT NULL,
    organiser TEXT NOT NULL,
    description TEXT,
    -- Money given or spent, in whole 元.
    amount_yuan INTEGER,
    -- The 'five-ones' item the activity counts toward, if any.
    five_ones TEXT,
    -- pending | approved | rejected
    approval TEXT NOT NULL,
    -- The member who logged it themself (NULL when staff created it).
    logged_by INTEGER REFERENCES members(id),
    decision_reason TEXT,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX activities_org_held ON activities(org_id, held_on);

-- A member invited to an activity: their reply and the attendance staff confirm.
CREATE TABLE activity_invitations (
    id INTEGER PRIMARY KEY,
    activity_id INTEGER NOT NULL REFERENCES activities(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id),
    -- pending | confirmed | excused
    reply TEXT NOT NULL,
    reply_reason TEXT,
    -- present | excused | absent; NULL until staff confirm it.
    attendance TEXT,
    attendance_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    UNIQUE (activity_id, member_id)
);
CREATE INDEX activity_invitations_member ON activity_invitations(member_id);

-- 调研报告: the report of a research or inspection trip.
CREATE TABLE research_reports (
    id INTEGER PRIMARY KEY,
    activity_id INTEGER NOT NULL UNIQUE REFERENCES activities(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    submitted_to TEXT NOT NULL,
    submitted_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);

-- Awards ('three-new' awards and others) with their evidence.
CREATE TABLE awards (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id),
    year INTEGER NOT NULL,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    evidence TEXT NOT NULL,
    -- candidate | awarded
    status TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX awards_member_year ON awards(member_id, year);

-- Files of activities and awards, stored outside any served folder under
-- random names; the original name is kept for download.
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    -- activity | award
    owner_type TEXT NOT NULL,
    owner_id INTEGER NOT NULL,
    -- photo | minutes | document | report | evidence
    category TEXT NOT NULL,
    original_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    stored_name TEXT NOT NULL UNIQUE,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX attachments_owner ON attachments(owner_type, owner_id);
