-- Duty points (履职积分) (SQLite). Keep in step with ../postgres/0013_points.sql:
-- the test `schema_parity` compares the two.

-- A committee's points rules for a year (domain::points::PointsRules as
-- JSON: base, prices, caps, joint split, grade bands). A committee without
-- a row for a year is scored by the documented default
-- (PointsRules::standard). No score is stored: every one is computed from
-- the records and these rules when read.
CREATE TABLE points_rules (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    year INTEGER NOT NULL,
    rules TEXT NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    UNIQUE (org_id, year)
);

-- Who gave an award: committee | district | city | province | national.
-- The awards entered before are the committee's own 'three-new' awards.
ALTER TABLE awards ADD COLUMN level TEXT NOT NULL DEFAULT 'committee';
-- The day it was awarded (or withdrawn), within the award's year.
ALTER TABLE awards ADD COLUMN decided_on TEXT;
-- Why it was withdrawn (撤销).
ALTER TABLE awards ADD COLUMN withdrawn_reason TEXT;
UPDATE awards SET decided_on = printf('%04d-12-31', year) WHERE status = 'awarded';
CREATE INDEX awards_year_status ON awards(year, status);

-- A member's points read their records by member: the tables that had no
-- index for it.
CREATE INDEX reception_duty_member ON reception_duty(member_id);
CREATE INDEX proposal_ratings_member ON proposal_ratings(member_id);
CREATE INDEX activities_logged_by ON activities(logged_by);
