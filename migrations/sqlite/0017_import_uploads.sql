-- Imports (SQLite): a file uploaded on the page waits here, encrypted with the
-- data key, between its preview and the confirmation that imports it; a
-- confirmation reads it back by its random token and deletes it. Keep in
-- step with ../postgres/0017_import_uploads.sql: `schema_parity` compares them.

CREATE TABLE import_uploads (
    token TEXT NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    -- members | departments
    kind TEXT NOT NULL,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    file_name TEXT NOT NULL,
    -- The file's bytes, sealed with the data key, in base64.
    content TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX import_uploads_created ON import_uploads(created_at);
