-- The search index as a server last wrote it: the next server to start
-- reads it and replays the change log after `seen`, instead of reading and
-- segmenting every text. One row; a cache, rebuilt when it does not match.
CREATE TABLE search_snapshots (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    -- How the bytes are laid out and how texts were cut into terms: a
    -- snapshot of another format or analyser is not read.
    format BIGINT NOT NULL,
    analyser TEXT NOT NULL,
    -- The last change of `search_changes` it holds, and that change's time
    -- (checked against the log: a snapshot whose change is gone or differs
    -- is not read).
    seen BIGINT NOT NULL,
    seen_at TIMESTAMPTZ,
    documents BIGINT NOT NULL,
    -- SHA-256 of `bytes`, hex.
    digest TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    made_at TIMESTAMPTZ NOT NULL
);
