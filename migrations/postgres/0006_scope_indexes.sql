-- Lists of a committee's subtree select `org_id IN (the subtree's ids)`;
-- these tables had no index on their organisation.
CREATE INDEX users_org ON users(org_id);
CREATE INDEX departments_org ON departments(org_id);
CREATE INDEX communities_org ON communities(org_id);
-- Organisations within a scope are a range of paths in bytewise order
-- (`storage::within_scope`); this index serves it whatever the collation.
CREATE INDEX orgs_path_pattern ON orgs (path text_pattern_ops);
-- The case board and lists by status pick a page of ids from this index
-- alone: by status, soonest due or newest received first.
CREATE INDEX cases_org_status ON cases(org_id, status, due_on, received_on);
-- The planner chooses between cases_org and cases_org_status by the
-- statistics: gather them now (autovacuum keeps them fresh afterwards).
ANALYZE;
