-- Reception days, visits and citizens' cases (SQLite). Keep in step with
-- ../postgres/0002_cases.sql: the test `schema_parity` compares the two.

-- The official calendar: holidays and make-up working days (调休), loaded per year.
CREATE TABLE holidays (
    day TEXT NOT NULL PRIMARY KEY,
    year INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by INTEGER
);
CREATE INDEX holidays_year ON holidays(year);

-- Per committee: the reception day of the month and the case deadlines.
CREATE TABLE case_settings (
    org_id INTEGER PRIMARY KEY REFERENCES orgs(id),
    day_of_month INTEGER NOT NULL,
    due_working_days INTEGER NOT NULL,
    return_working_days INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);

CREATE TABLE reception_days (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    nominal_on TEXT NOT NULL,
    held_on TEXT NOT NULL,
    duty_group_id INTEGER REFERENCES orgs(id),
    note TEXT,
    created_at TEXT NOT NULL,
    created_by INTEGER,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    UNIQUE (org_id, held_on)
);

CREATE TABLE reception_duty (
    id INTEGER PRIMARY KEY,
    reception_day_id INTEGER NOT NULL REFERENCES reception_days(id),
    member_id INTEGER NOT NULL REFERENCES members(id),
    UNIQUE (reception_day_id, member_id)
);

CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    reception_day_id INTEGER NOT NULL REFERENCES reception_days(id),
    people INTEGER NOT NULL,
    community TEXT NOT NULL,
    summary TEXT NOT NULL,
    visitor_name TEXT,
    phone_enc TEXT,
    phone_masked TEXT,
    -- answered | case
    outcome TEXT NOT NULL,
    answer TEXT,
    received_by INTEGER REFERENCES members(id),
    created_at TEXT NOT NULL,
    created_by INTEGER
);
CREATE INDEX visits_day ON visits(reception_day_id);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    -- visit | online
    source TEXT NOT NULL,
    visit_id INTEGER REFERENCES visits(id),
    raised_by INTEGER REFERENCES members(id),
    community TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    contact_name TEXT,
    contact_phone_enc TEXT,
    contact_phone_masked TEXT,
    received_on TEXT NOT NULL,
    status TEXT NOT NULL,
    department_id INTEGER REFERENCES departments(id),
    forwarded_on TEXT,
    due_on TEXT,
    resolved_on TEXT,
    reply TEXT,
    satisfaction TEXT,
    escalations INTEGER NOT NULL,
    last_escalated_on TEXT,
    -- SHA-256 of the citizen's tracking code (online cases).
    tracking_hash TEXT UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX cases_org ON cases(org_id, received_on);
CREATE INDEX cases_department ON cases(department_id, due_on);

-- The case timeline: every step, note and reassignment, never rewritten.
CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases(id),
    at TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    department_id INTEGER REFERENCES departments(id),
    note TEXT,
    user_id INTEGER,
    username TEXT
);
CREATE INDEX case_events_case ON case_events(case_id, id);
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;

-- Submissions on the public page, per address, for limits shared by all servers.
CREATE TABLE public_submissions (
    id INTEGER PRIMARY KEY,
    ip TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX public_submissions_ip ON public_submissions(ip, at);
