-- Work plans (工作计划) as data (SQLite). Keep in step with
-- ../postgres/0012_plans.sql: the test `schema_parity` compares the two.
-- A committee has at most one plan a year; its items keep their order, and a
-- measurable item holds its rule: for whom (scope), how often (period) and
-- the condition tree as JSON (domain::plans::Condition), checked by
-- domain::plans::validate_rule when written and when read. No count or
-- status is stored: they are computed from the records.

CREATE TABLE plans (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    year INTEGER NOT NULL,
    title TEXT NOT NULL,
    created_by INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- Moves on with every change to the plan or its items.
    version INTEGER NOT NULL
);
CREATE UNIQUE INDEX plans_org_year ON plans(org_id, year);

CREATE TABLE plan_items (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    -- The item's place in the plan, from 1.
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    -- The rule, all three or none: each_member | each_group | committee;
    -- month | quarter | half_year | year; the condition tree as JSON.
    scope TEXT,
    period TEXT,
    rule_condition TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX plan_items_plan ON plan_items(plan_id, position);
