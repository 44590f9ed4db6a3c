-- A page of a committee's cases, and the figures per status, are read from
-- these indexes alone: newest first from cases_org, by status and soonest due
-- from cases_org_status, which also holds every column the figures count.
-- (`id` is SQLite's rowid, in every index already; it is named to keep the
-- indexes the same as PostgreSQL's, where INCLUDE keeps the last four out of
-- the order.)
DROP INDEX cases_org;
CREATE INDEX cases_org ON cases(org_id, received_on, id);
DROP INDEX cases_org_status;
CREATE INDEX cases_org_status ON cases(org_id, status, due_on, received_on, id, source, forwarded_on, resolved_on, satisfaction);
ANALYZE cases;
