-- Proposals (提案) and the search index's change log (SQLite). Keep in step
-- with ../postgres/0004_proposals.sql: the test `schema_parity` compares the two.

-- Per committee: the session cut-off and the answer deadlines.
CREATE TABLE proposal_settings (
    org_id INTEGER PRIMARY KEY REFERENCES orgs(id),
    -- Submissions after this month/day belong to the next session.
    cutoff_month INTEGER NOT NULL,
    cutoff_day INTEGER NOT NULL,
    answer_months INTEGER NOT NULL,
    second_answer_months INTEGER NOT NULL,
    return_working_days INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);

CREATE TABLE proposals (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    -- The session (year) it belongs to; set on submission.
    session INTEGER,
    -- 第N号, assigned on acceptance, unique within a committee's session.
    number INTEGER,
    -- member | group | committee
    submitter_kind TEXT NOT NULL,
    lead_member_id INTEGER REFERENCES members(id),
    group_id INTEGER REFERENCES orgs(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    submitted_on TEXT,
    reviewed_on TEXT,
    not_accepted_reason TEXT,
    merged_into_id INTEGER REFERENCES proposals(id),
    assigned_on TEXT,
    due_on TEXT,
    -- 1 for the first answer, 2 after an unsatisfied rating.
    round INTEGER NOT NULL,
    answered_on TEXT,
    answer TEXT,
    -- a | b | c
    answer_class TEXT,
    answer_attachment_id INTEGER REFERENCES attachments(id),
    closed_on TEXT,
    is_key INTEGER NOT NULL,
    supervisions INTEGER NOT NULL,
    last_supervised_on TEXT,
    created_by INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    UNIQUE (org_id, session, number)
);
CREATE INDEX proposals_org ON proposals(org_id, session, status);
CREATE INDEX proposals_lead ON proposals(lead_member_id);
CREATE INDEX proposals_merged ON proposals(merged_into_id);

-- 附议: members the lead invites to sign the proposal with them.
CREATE TABLE proposal_cosigners (
    id INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    member_id INTEGER NOT NULL REFERENCES members(id),
    -- invited | accepted | declined
    status TEXT NOT NULL,
    invited_at TEXT NOT NULL,
    responded_at TEXT,
    UNIQUE (proposal_id, member_id)
);
CREATE INDEX proposal_cosigners_member ON proposal_cosigners(member_id);

-- 交办: the lead department (主办) and the co-handling ones (会办).
CREATE TABLE proposal_handlers (
    id INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    department_id INTEGER NOT NULL REFERENCES departments(id),
    -- lead | co
    role TEXT NOT NULL,
    -- A co-handler's view, sent to the lead department before the answer.
    view TEXT,
    view_on TEXT,
    UNIQUE (proposal_id, department_id)
);
CREATE INDEX proposal_handlers_department ON proposal_handlers(department_id);

-- 委员评价: each author's rating of each round's answer.
CREATE TABLE proposal_ratings (
    id INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    member_id INTEGER NOT NULL REFERENCES members(id),
    round INTEGER NOT NULL,
    rating TEXT NOT NULL,
    comment TEXT,
    rated_on TEXT NOT NULL,
    created_by INTEGER,
    UNIQUE (proposal_id, member_id, round)
);

-- The proposal timeline: every step, never rewritten.
CREATE TABLE proposal_events (
    id INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
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
CREATE INDEX proposal_events_proposal ON proposal_events(proposal_id, id);
CREATE TRIGGER proposal_events_no_update BEFORE UPDATE ON proposal_events
BEGIN SELECT RAISE(ABORT, 'proposal_events is append-only'); END;
CREATE TRIGGER proposal_events_no_delete BEFORE DELETE ON proposal_events
BEGIN SELECT RAISE(ABORT, 'proposal_events is append-only'); END;

-- Every change to a searchable record, in commit order: each server's index
-- reads what it has not seen yet, so servers sharing a database agree.
CREATE TABLE search_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- proposal | info | case | activity
    kind TEXT NOT NULL,
    object_id INTEGER NOT NULL,
    at TEXT NOT NULL
);
