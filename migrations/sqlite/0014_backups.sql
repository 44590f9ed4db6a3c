-- Scheduled backups (SQLite): one row per run, written by the server after
-- the backup and its test restore. Keep in step with
-- ../postgres/0014_backups.sql: the test `schema_parity` compares the two.

CREATE TABLE backup_runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    -- ok: written and restored into a scratch database; failed: see error.
    outcome TEXT NOT NULL,
    -- The backup file's name in backup_dir (empty when none was written).
    file_name TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    -- The audit chain's head recorded in the backup.
    audit_rows INTEGER NOT NULL,
    audit_hash TEXT NOT NULL,
    error TEXT
);
CREATE INDEX backup_runs_outcome ON backup_runs(outcome, id);
