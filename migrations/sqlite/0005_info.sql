-- Information reports (社情民意信息 / 政协工作信息) (SQLite). Keep in step with
-- ../postgres/0005_info.sql: the test `schema_parity` compares the two.

CREATE TABLE info_reports (
    id INTEGER PRIMARY KEY,
    -- The committee it belongs to (the author's, or the staff's choice).
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    -- NULL: the committee's own report, written by its staff.
    author_member_id INTEGER REFERENCES members(id),
    -- social_condition | work
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    -- submitted | edited | forwarded | adopted | withdrawn
    status TEXT NOT NULL,
    submitted_on TEXT NOT NULL,
    edited_on TEXT,
    forwarded_on TEXT,
    -- To whom it was forwarded (上报), e.g. 二七区政协.
    forwarded_to TEXT,
    -- A proposal not accepted, turned into this report.
    origin_proposal_id INTEGER REFERENCES proposals(id),
    created_by INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX info_reports_org ON info_reports(org_id, submitted_on);
CREATE INDEX info_reports_author ON info_reports(author_member_id);

-- 采用: each level that used a report, and where it was published.
CREATE TABLE info_adoptions (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES info_reports(id),
    -- district | city | province | national
    level TEXT NOT NULL,
    adopted_on TEXT NOT NULL,
    publication TEXT,
    note TEXT,
    created_by INTEGER,
    created_at TEXT NOT NULL
);
CREATE INDEX info_adoptions_report ON info_adoptions(report_id);

-- 批示: a leader's written instruction on a report.
CREATE TABLE info_instructions (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES info_reports(id),
    leader TEXT NOT NULL,
    content TEXT NOT NULL,
    instructed_on TEXT NOT NULL,
    created_by INTEGER,
    created_at TEXT NOT NULL
);
CREATE INDEX info_instructions_report ON info_instructions(report_id);

-- The report timeline: every step, never rewritten.
CREATE TABLE info_events (
    id INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL REFERENCES info_reports(id),
    at TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    note TEXT,
    user_id INTEGER,
    username TEXT
);
CREATE INDEX info_events_report ON info_events(report_id, id);
CREATE TRIGGER info_events_no_update BEFORE UPDATE ON info_events
BEGIN SELECT RAISE(ABORT, 'info_events is append-only'); END;
CREATE TRIGGER info_events_no_delete BEFORE DELETE ON info_events
BEGIN SELECT RAISE(ABORT, 'info_events is append-only'); END;
