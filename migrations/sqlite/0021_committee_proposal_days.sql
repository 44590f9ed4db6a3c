-- A committee's proposals by their days (sqlite). Keep in step with ../postgres/0021_committee_proposal_days.sql.
--
-- A committee's plan status, its first page and its months read its own
-- proposals of a year, by the day they were submitted or reviewed. With only
-- the days indexed (0020), SQLite read the whole province's proposals of the
-- year by day and kept the committee's: 37–51 ms for a sub-district of 14
-- members at province scale, 1 ms with its committee first (BENCHMARKS.md,
-- issue 14). The province's points still read by day alone.
CREATE INDEX proposals_org_submitted_on ON proposals(org_id, submitted_on);
CREATE INDEX proposals_org_reviewed_on ON proposals(org_id, reviewed_on);
