-- The archive (归档), SQLite. Keep in step with ../postgres/0019_archive.sql:
-- the test `schema_parity` compares the two.
-- The archive is one place over three kinds of filed item: saved work
-- summaries (0016), the Word documents generated from the records (filed
-- here when generated, with their bytes and the text they were written
-- from), and the files uploaded to records (listed where they are, in
-- `attachments`). Nothing filed is deleted: an item leaves the archive only
-- with a reason, kept with who gave it and when.

CREATE TABLE archive_documents (
    id INTEGER PRIMARY KEY,
    -- summary_file | duty_file | compilation | plan
    kind TEXT NOT NULL,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    -- The year it is filed under: the document's year or session.
    year INTEGER NOT NULL,
    -- The record it belongs to: member | org; its name and page when filed.
    record_type TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    record_title TEXT NOT NULL,
    record_url TEXT NOT NULL,
    title TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    -- SHA-256 of the bytes, hex: the same document generated again is filed once.
    sha256 TEXT NOT NULL,
    -- The text the document was written from (Markdown), for search.
    body TEXT NOT NULL,
    -- Who generated it; none when the operator did, at the command line.
    filed_by INTEGER REFERENCES users(id),
    filed_on TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    withdrawn_on TEXT,
    withdrawn_by INTEGER REFERENCES users(id),
    withdrawn_reason TEXT
);
CREATE UNIQUE INDEX archive_documents_content
    ON archive_documents(kind, record_type, record_id, year, sha256);
CREATE INDEX archive_documents_org_year ON archive_documents(org_id, year);
CREATE TRIGGER archive_documents_no_delete BEFORE DELETE ON archive_documents
BEGIN SELECT RAISE(ABORT, 'archive_documents are never deleted'); END;

-- A filed document's bytes, apart from the rows the archive lists.
CREATE TABLE archive_contents (
    document_id INTEGER PRIMARY KEY REFERENCES archive_documents(id),
    content BLOB NOT NULL
);
CREATE TRIGGER archive_contents_no_update BEFORE UPDATE ON archive_contents
BEGIN SELECT RAISE(ABORT, 'archive_contents is append-only'); END;
CREATE TRIGGER archive_contents_no_delete BEFORE DELETE ON archive_contents
BEGIN SELECT RAISE(ABORT, 'archive_contents is append-only'); END;

-- An attachment taken out of the archive: it stays on its record.
CREATE TABLE attachment_withdrawals (
    attachment_id INTEGER PRIMARY KEY REFERENCES attachments(id),
    withdrawn_on TEXT NOT NULL,
    withdrawn_by INTEGER NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
