-- Foundation schema (SQLite). Keep in step with ../postgres/0001_foundation.sql:
-- the test `schema_parity` compares the two.
-- Timestamps and dates are TEXT (RFC 3339 / ISO 8601), booleans INTEGER 0/1.

CREATE TABLE orgs (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES orgs(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE UNIQUE INDEX orgs_parent_name ON orgs(COALESCE(parent_id, 0), name);
CREATE INDEX orgs_path ON orgs(path);

CREATE TABLE communities (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

ALTER TABLE orgs ADD COLUMN community_id INTEGER REFERENCES communities(id);

CREATE TABLE departments (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    contact TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    group_id INTEGER REFERENCES orgs(id),
    name TEXT NOT NULL,
    gender TEXT NOT NULL,
    ethnicity TEXT NOT NULL,
    party TEXT NOT NULL,
    sector TEXT NOT NULL,
    workplace TEXT,
    title TEXT,
    phone_enc TEXT NOT NULL,
    phone_masked TEXT NOT NULL,
    id_number_enc TEXT NOT NULL,
    id_number_hash TEXT NOT NULL UNIQUE,
    id_number_masked TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    joined_on TEXT NOT NULL,
    term INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX members_org ON members(org_id);
CREATE INDEX members_group ON members(group_id);
CREATE INDEX members_name ON members(name);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    member_id INTEGER UNIQUE REFERENCES members(id),
    department_id INTEGER REFERENCES departments(id),
    locale TEXT NOT NULL,
    -- Second factor: the TOTP secret (encrypted) and the last time step used (no replay).
    totp_secret_enc TEXT,
    totp_last_step INTEGER,
    must_change_password INTEGER NOT NULL,
    disabled INTEGER NOT NULL,
    password_changed_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);

CREATE TABLE sessions (
    id_hash TEXT NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ip TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER,
    username TEXT,
    role TEXT,
    ip TEXT,
    action TEXT NOT NULL,
    object_type TEXT,
    object_id TEXT,
    outcome TEXT NOT NULL,
    detail TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);

-- The audit log is append-only: no change or removal, by anyone using the application's connection.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE timeline_entries (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    occurred_on TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    object_type TEXT,
    object_id INTEGER,
    created_at TEXT NOT NULL,
    created_by INTEGER
);
CREATE INDEX timeline_member ON timeline_entries(member_id, occurred_on);

-- Every sign-in attempt, for lock-out and per-address limits shared by all servers.
CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    ip TEXT,
    at TEXT NOT NULL,
    -- pending (being checked) | failed | ok | refused (locked or limited; not counted)
    outcome TEXT NOT NULL
);
CREATE INDEX login_attempts_username ON login_attempts(username, at);
CREATE INDEX login_attempts_ip ON login_attempts(ip, at);

-- Earlier password hashes, so the last few cannot be used again.
CREATE TABLE password_history (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX password_history_user ON password_history(user_id, id);
