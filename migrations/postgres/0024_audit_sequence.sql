-- Audit rows are chained after their transaction commits (issue 16). A
-- writer inserts its row unchained (no `seq`, `prev_hash`, `hash`) and
-- commits without waiting for anyone; a sequencer then links committed rows
-- in the order it finds them, one sequencer at a time under an advisory
-- lock, in a short transaction of its own. Before, every writer held that
-- lock from its audit row through its commit's flush, so writers queued.
-- `seq` is a row's place in the chain; until now the chain ran in id order.
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
UPDATE audit_log SET seq = id;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;
ALTER TABLE audit_log ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL;
-- A row is chained whole or not at all.
ALTER TABLE audit_log ADD CONSTRAINT audit_log_chained_whole
    CHECK ((seq IS NULL) = (prev_hash IS NULL) AND (seq IS NULL) = (hash IS NULL));
CREATE UNIQUE INDEX audit_log_seq ON audit_log(seq);
-- The sequencer's work list, empty at rest.
CREATE INDEX audit_log_unchained ON audit_log(id) WHERE seq IS NULL;

-- Still append-only: the one change allowed is the sequencer's, linking an
-- unchained row without touching what it records. A chained row can be
-- neither changed nor removed.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.seq IS NULL AND NEW.seq IS NOT NULL
           AND (NEW.id, NEW.at, NEW.user_id, NEW.username, NEW.role, NEW.ip, NEW.action,
                NEW.object_type, NEW.object_id, NEW.outcome, NEW.detail)
               IS NOT DISTINCT FROM
               (OLD.id, OLD.at, OLD.user_id, OLD.username, OLD.role, OLD.ip, OLD.action,
                OLD.object_type, OLD.object_id, OLD.outcome, OLD.detail) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
