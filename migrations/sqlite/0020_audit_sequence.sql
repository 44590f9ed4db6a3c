-- The audit chain's order (SQLite). Each row gets its position `seq` in the
-- hash chain (1 for the first, dense, what `audit verify` walks). A row is
-- unchained while `seq` is NULL; its chain fields are written once, the rest
-- of it never changes. SQLite chains a row in the transaction that writes it
-- (`BEGIN IMMEDIATE` already makes writers take turns); PostgreSQL leaves it
-- to a sequencer after the commit. The same sequencer chains any row found
-- unchained here too. Keep in step with ../postgres/0020_audit_sequence.sql:
-- `schema_parity` compares them.
--
-- SQLite cannot drop a NOT NULL, so the table is rebuilt.

CREATE TABLE audit_log_sequenced (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER,
    username TEXT,
    role TEXT,
    ip TEXT,
    action TEXT NOT NULL,
    object_type TEXT,
    object_id TEXT,
    outcome TEXT NOT NULL,
    detail TEXT,
    prev_hash TEXT,
    hash TEXT,
    seq INTEGER,
    CHECK (seq IS NULL OR (prev_hash IS NOT NULL AND hash IS NOT NULL))
);

-- The rows written so far were chained in id order: that is their position.
INSERT INTO audit_log_sequenced
    (id, at, user_id, username, role, ip, action, object_type, object_id, outcome, detail, prev_hash, hash, seq)
SELECT id, at, user_id, username, role, ip, action, object_type, object_id, outcome, detail, prev_hash, hash,
       row_number() OVER (ORDER BY id)
FROM audit_log;

DROP TABLE audit_log;
ALTER TABLE audit_log_sequenced RENAME TO audit_log;
CREATE INDEX audit_log_at ON audit_log(at);
CREATE UNIQUE INDEX audit_log_seq ON audit_log(seq);
-- What the sequencer reads: the few rows not yet chained, in id order.
CREATE INDEX audit_log_unchained ON audit_log(id) WHERE seq IS NULL;

-- Still append-only: no removal, no change, but the one that chains a row
-- (its position and hashes, set once, everything else as written).
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (
    OLD.seq IS NULL AND NEW.seq IS NOT NULL
    AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
    AND NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.user_id IS OLD.user_id
    AND NEW.username IS OLD.username AND NEW.role IS OLD.role AND NEW.ip IS OLD.ip
    AND NEW.action IS OLD.action AND NEW.object_type IS OLD.object_type
    AND NEW.object_id IS OLD.object_id AND NEW.outcome IS OLD.outcome
    AND NEW.detail IS OLD.detail
)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
