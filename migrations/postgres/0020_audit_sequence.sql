-- The audit chain's order (PostgreSQL). A row is written with the change it
-- records but without its chain fields, so that writers no longer queue on
-- one lock until they commit; a sequencer then chains the committed rows in
-- its own short transaction, under the chain's advisory lock: it gives each
-- row its position `seq` (1 for the first, dense, what `audit verify` walks),
-- the previous row's hash and its own. A row is unchained while `seq` is
-- NULL; its chain fields are written once, the rest of it never changes.
-- Keep in step with ../sqlite/0020_audit_sequence.sql: `schema_parity`
-- compares them.

ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ALTER COLUMN prev_hash DROP NOT NULL;
ALTER TABLE audit_log ALTER COLUMN hash DROP NOT NULL;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_chained
    CHECK (seq IS NULL OR (prev_hash IS NOT NULL AND hash IS NOT NULL));

-- Still append-only: no removal, no change, but the one that chains a row
-- (its position and hashes, set once, everything else as written).
CREATE FUNCTION audit_log_chain_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
       AND (NEW.id, NEW.at, NEW.user_id, NEW.username, NEW.role, NEW.ip, NEW.action,
            NEW.object_type, NEW.object_id, NEW.outcome, NEW.detail)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.user_id, OLD.username, OLD.role, OLD.ip, OLD.action,
            OLD.object_type, OLD.object_id, OLD.outcome, OLD.detail)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
DROP TRIGGER audit_log_no_update ON audit_log;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain_once();

-- The rows written so far were chained in id order: that is their position.
UPDATE audit_log SET seq = numbered.seq
FROM (SELECT id, row_number() OVER (ORDER BY id) AS seq FROM audit_log) AS numbered
WHERE audit_log.id = numbered.id;

CREATE UNIQUE INDEX audit_log_seq ON audit_log(seq);
-- What the sequencer reads: the few rows not yet chained, in id order.
CREATE INDEX audit_log_unchained ON audit_log(id) WHERE seq IS NULL;
