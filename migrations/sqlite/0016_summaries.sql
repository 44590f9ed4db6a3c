-- Saved work summaries (工作总结) and the archive (SQLite). Keep in step with
-- ../postgres/0016_summaries.sql: the test `schema_parity` compares the two.
-- A summary is one committee's text for one period; staff save it as dated
-- versions, never rewritten. Saving the first version files it in the
-- archive (归档); it leaves the archive only with a reason, and the reason
-- and who gave it are kept.

CREATE TABLE summaries (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    -- 2011, 2011-H1; empty for a range of days.
    period_code TEXT NOT NULL,
    -- The year the archive files it under: the period's last day's.
    year INTEGER NOT NULL,
    -- The latest version's title.
    title TEXT NOT NULL,
    -- The committee's day the first version was saved.
    filed_on TEXT NOT NULL,
    -- How many versions; a save must name the count it read.
    versions INTEGER NOT NULL,
    withdrawn_on TEXT,
    withdrawn_by INTEGER REFERENCES users(id),
    withdrawn_reason TEXT,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX summaries_org_period ON summaries(org_id, period_from, period_to);
CREATE INDEX summaries_year ON summaries(year, org_id);

CREATE TABLE summary_versions (
    id INTEGER PRIMARY KEY,
    summary_id INTEGER NOT NULL REFERENCES summaries(id),
    -- 1, 2, … in the order saved.
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    -- The text as saved, in the Markdown the page edits (domain::reports).
    body TEXT NOT NULL,
    -- What the person saving said about this version.
    note TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    at TEXT NOT NULL,
    UNIQUE (summary_id, number)
);
CREATE TRIGGER summary_versions_no_update BEFORE UPDATE ON summary_versions
BEGIN SELECT RAISE(ABORT, 'summary_versions is append-only'); END;
CREATE TRIGGER summary_versions_no_delete BEFORE DELETE ON summary_versions
BEGIN SELECT RAISE(ABORT, 'summary_versions is append-only'); END;
