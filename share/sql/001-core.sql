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
	extra TEXT NOT NULL DEFAULT '{}',-- every other imported column, as a JSON object
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	import_id INTEGER REFERENCES imports(id),   -- batch that created the contact
	last_import INTEGER REFERENCES imports(id), -- batch that last changed it
	src_hash INTEGER                 -- hash of the source row last applied (skip unchanged rows)
);

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
CREATE INDEX contacts_import ON contacts(import_id);
CREATE INDEX contacts_last_import ON contacts(last_import);
CREATE INDEX contact_tags_tag ON contact_tags(tag_id, contact_id);
CREATE INDEX contact_tags_import ON contact_tags(import_id);

-- An import that changes a contact logs its before-image once per batch.
CREATE TRIGGER contacts_import_log AFTER UPDATE ON contacts
WHEN NEW.last_import IS NOT NULL AND (OLD.last_import IS NULL OR NEW.last_import > OLD.last_import)
BEGIN
	INSERT OR IGNORE INTO import_changes(import_id, contact_id, old) VALUES (NEW.last_import, OLD.id,
		json_object('first_name', OLD.first_name, 'middle_name', OLD.middle_name,
			'last_name', OLD.last_name, 'suffix', OLD.suffix, 'phone', OLD.phone,
			'email', OLD.email, 'address', OLD.address, 'city', OLD.city, 'state', OLD.state,
			'zip', OLD.zip, 'lang', OLD.lang, 'voter_id', OLD.voter_id, 'van_id', OLD.van_id,
			'sms_status', OLD.sms_status, 'email_status', OLD.email_status,
			'source', OLD.source, 'extra', OLD.extra, 'updated_at', OLD.updated_at,
			'last_import', OLD.last_import, 'src_hash', OLD.src_hash));
END;

-- Any other change (a user's SQL, a later command) invalidates the unchanged-row shortcut.
CREATE TRIGGER contacts_src_hash_reset AFTER UPDATE ON contacts
WHEN NEW.src_hash IS NOT NULL AND NEW.src_hash IS OLD.src_hash AND NEW.last_import IS OLD.last_import
BEGIN
	UPDATE contacts SET src_hash = NULL WHERE id = NEW.id;
END;
