-- The year's proposals by their days (postgres). Keep in step with ../sqlite/0020_proposal_days.sql.
--
-- Duty points and the plan read a year's proposals by the day they were
-- submitted (received) or reviewed (accepted, merged, made key): eight parts
-- of the points query. Without these, each part read the whole table (55,623
-- proposals with their texts at province scale, 99 MB on PostgreSQL): the
-- province's ranking took 5.9–7.6 s on PostgreSQL, 3.3–3.9 s with them
-- (BENCHMARKS.md, issue 14).
CREATE INDEX proposals_submitted_on ON proposals(submitted_on);
CREATE INDEX proposals_reviewed_on ON proposals(reviewed_on);
