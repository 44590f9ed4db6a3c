-- Names sort by pinyin: the key is computed by the application (at every
-- write, and for rows written before, at start-up) and kept beside the name.
ALTER TABLE members ADD COLUMN name_key TEXT;
CREATE INDEX members_org_name_key ON members (org_id, name_key);
