-- Each audit row's place in the hash chain. On SQLite a row is chained as it
-- is written (writers take turns), so `seq` is set on insert; the column is
-- here so that both engines walk the chain the same way (PostgreSQL chains
-- rows after their transaction commits, see its migration). Until now the
-- chain ran in id order.
ALTER TABLE audit_log ADD COLUMN seq INTEGER;
DROP TRIGGER audit_log_no_update;
UPDATE audit_log SET seq = id;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE UNIQUE INDEX audit_log_seq ON audit_log(seq);
-- PostgreSQL's sequencer's work list; always empty here, kept so that both
-- engines have the same schema.
CREATE INDEX audit_log_unchained ON audit_log(id) WHERE seq IS NULL;
