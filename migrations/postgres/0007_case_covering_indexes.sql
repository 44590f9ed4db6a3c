-- A page of a committee's cases is taken from these indexes alone (index-only
-- scans, with `id` in the index): newest first from cases_org, by status and
-- soonest due from cases_org_status. The figures per status read the columns
-- they count from cases_org_status too, instead of thousands of table rows.
DROP INDEX cases_org;
CREATE INDEX cases_org ON cases(org_id, received_on, id);
DROP INDEX cases_org_status;
CREATE INDEX cases_org_status ON cases(org_id, status, due_on, received_on, id)
    INCLUDE (source, forwarded_on, resolved_on, satisfaction);
ANALYZE cases;
