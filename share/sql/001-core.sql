-- The data core: contacts, tags, import batches (with undo data), saved segments.
-- Times are UTC ISO 8601 text.

CREATE TABLE imports (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	kind TEXT NOT NULL DEFAULT 'contacts',
	file TEXT,
	source TEXT,
	options TEXT,                    -- JSON: key, policy, tags, map
	started_at TEXT NOT NULL,
	finished_at TEXT,
	rows_read INTEGER NOT NULL DEFAULT 0,
	inserted INTEGER NOT NULL DEFAULT 0,
	updated INTEGER NOT NULL DEFAULT 0,
	unchanged INTEGER NOT NULL DEFAULT 0,
	rejected INTEGER NOT NULL DEFAULT 0,
	undone_at TEXT
);

CREATE TABLE contacts (
	id INTEGER PRIMARY KEY,
	first_name TEXT,
	middle_name TEXT,
	last_name TEXT,
	suffix TEXT,
	phone TEXT,                      -- E.164, NULL when missing or not a valid number
	email TEXT,                      -- normalized (trimmed, lowercase)
	address TEXT,
	city TEXT,
	state TEXT,
	zip TEXT,                        -- 5-digit ZIP (a ZIP+4 source value is kept in extra)
	lang TEXT,                       -- preferred language, ISO 639-1 where known
	voter_id TEXT,                   -- external ids
	van_id TEXT,
	sms_status TEXT,                 -- 'opted_in', 'opted_out' or NULL (unknown)
	email_status TEXT,               -- 'opted_in', 'opted_out' or NULL (unknown)
	source TEXT,                     -- where the contact first came from
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	import_id INTEGER REFERENCES imports(id),   -- batch that created the contact
	last_import INTEGER REFERENCES imports(id), -- batch that last changed it
	src_hash INTEGER                 -- hash of the source row last applied (skip unchanged rows)
);

-- Every other imported column, as a JSON object per contact. Kept apart from contacts
-- so the hot table stays narrow: segments scan it and bulk loads index it quickly.
CREATE TABLE contact_extra (
	contact_id INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
	extra TEXT NOT NULL DEFAULT '{}'
);

-- Contacts with their extra fields, for SQL: json_extract(extra, '$.party_cd').
CREATE VIEW contacts_full AS
	SELECT c.*, e.extra AS extra FROM contacts c LEFT JOIN contact_extra e ON e.contact_id = c.id;

CREATE TABLE tags (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);

CREATE TABLE contact_tags (
	contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
	import_id INTEGER REFERENCES imports(id),
	created_at TEXT NOT NULL,
	PRIMARY KEY (contact_id, tag_id)
) WITHOUT ROWID;

-- Before-images of contacts an import changed, so `st-import --undo` restores them exactly.
CREATE TABLE import_changes (
	import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
	contact_id INTEGER NOT NULL,
	old TEXT NOT NULL,
	PRIMARY KEY (import_id, contact_id)
) WITHOUT ROWID;

CREATE TABLE segments (
	name TEXT PRIMARY KEY,
	definition TEXT NOT NULL,        -- JSON: {"any":bool,"filters":[[name,value],...]}
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

-- The indexes on contacts; st-import drops and rebuilds them around a bulk load into an empty table.
CREATE UNIQUE INDEX contacts_voter_id ON contacts(voter_id) WHERE voter_id IS NOT NULL;
CREATE UNIQUE INDEX contacts_van_id ON contacts(van_id) WHERE van_id IS NOT NULL;
CREATE INDEX contacts_phone ON contacts(phone) WHERE phone IS NOT NULL;
CREATE INDEX contacts_email ON contacts(email) WHERE email IS NOT NULL;
CREATE INDEX contacts_zip ON contacts(zip);
CREATE INDEX contacts_lang ON contacts(lang);
CREATE INDEX contact_tags_tag ON contact_tags(tag_id, contact_id);
CREATE INDEX contact_tags_import ON contact_tags(import_id);

-- Any change but an import's (a user's SQL, a later command) invalidates the shortcut that
-- skips a row identical to the one last imported for the contact. An import writes
-- contact_extra first and then contacts, setting a new src_hash and last_import.
CREATE TRIGGER contacts_src_hash_reset AFTER UPDATE ON contacts
WHEN NEW.src_hash IS NOT NULL AND NEW.src_hash IS OLD.src_hash AND NEW.last_import IS OLD.last_import
BEGIN
	UPDATE contacts SET src_hash = NULL WHERE id = NEW.id;
END;

CREATE TRIGGER contact_extra_src_hash_reset AFTER UPDATE ON contact_extra
BEGIN
	UPDATE contacts SET src_hash = NULL WHERE id = NEW.contact_id AND src_hash IS NOT NULL;
END;
