-- Key projects (重点项目) a committee follows (SQLite). Keep in step with
-- ../postgres/0010_projects.sql: the test `schema_parity` compares the two.
-- Money is whole 元; no percentage is stored: every one is computed
-- (domain::projects) from the target, the total and the latest update.

CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    -- The committee that follows it.
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    -- The year it is reported for: its target is that year's.
    year INTEGER NOT NULL,
    name TEXT NOT NULL,
    -- key (重点项目) | self_set (自定项目)
    kind TEXT NOT NULL,
    -- under_construction | continuing | preparing | completed
    status TEXT NOT NULL,
    -- 总投资, 元.
    total_investment INTEGER,
    -- 年度目标 (the year's planned investment), 元.
    annual_target INTEGER,
    -- Households to compensate (urban-village redevelopment).
    households INTEGER,
    notes TEXT NOT NULL,
    created_by INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE UNIQUE INDEX projects_org_year_name ON projects(org_id, year, name);

-- Dated progress reports, never rewritten: the current figures are the latest.
CREATE TABLE project_updates (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    occurred_on TEXT NOT NULL,
    -- Invested this year to date, 元.
    invested INTEGER,
    -- Households compensated (已兑付) and demolished (已拆除) to date.
    compensated INTEGER,
    demolished INTEGER,
    -- What the update says; required when a figure goes down (a correction).
    note TEXT NOT NULL,
    user_id INTEGER,
    username TEXT,
    at TEXT NOT NULL
);
CREATE INDEX project_updates_project ON project_updates(project_id, id);
CREATE TRIGGER project_updates_no_update BEFORE UPDATE ON project_updates
BEGIN SELECT RAISE(ABORT, 'project_updates is append-only'); END;
CREATE TRIGGER project_updates_no_delete BEFORE DELETE ON project_updates
BEGIN SELECT RAISE(ABORT, 'project_updates is append-only'); END;
