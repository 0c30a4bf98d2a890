-- Referrals: a short code per contact, who brought whom, and the state that
-- revokes a contact's tokens. The secret that signs tokens is never stored here.
-- Times are UTC ISO 8601 text.

-- One code per contact, issued once and kept: Crockford's base32 (no I, L, O or U).
CREATE TABLE referral_codes (
	contact_id INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
	code TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL
);

-- Who brought whom: one referrer per person, the first recorded; never oneself,
-- never a loop (st_referral_record refuses both).
CREATE TABLE referrals (
	referred_id INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
	referrer_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	code TEXT NOT NULL,                       -- the code it came with
	at TEXT NOT NULL,                         -- when the person came
	via_page TEXT,                            -- the page, form or link they came through
	campaign TEXT,
	import_id INTEGER REFERENCES imports(id), -- the import batch that carried it
	created_at TEXT NOT NULL,
	CHECK (referrer_id <> referred_id)
);
CREATE INDEX referrals_referrer ON referrals(referrer_id);
CREATE INDEX referrals_import ON referrals(import_id) WHERE import_id IS NOT NULL;

-- Each token carries its contact's generation; revoking raises it, so every
-- token issued before fails. No row: generation 0.
CREATE TABLE token_generations (
	contact_id INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
	generation INTEGER NOT NULL DEFAULT 0,
	revoked_at TEXT
);

-- Undoing an import takes back the referrals it recorded (those of contacts it
-- created go with them).
CREATE TRIGGER referrals_import_undone AFTER UPDATE OF undone_at ON imports
WHEN NEW.undone_at IS NOT NULL
BEGIN
	DELETE FROM referrals WHERE import_id = NEW.id;
END;
