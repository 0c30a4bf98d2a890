-- Imports of events, shifts, RSVPs and attendance. A row of those tables carries
-- the batch that last wrote it (import_id); here is what each batch overwrote,
-- so that --undo can put it back.
CREATE TABLE import_undo (
	import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
	tbl TEXT NOT NULL CHECK (tbl IN ('events', 'shifts', 'rsvps', 'attendance')),
	row_key TEXT NOT NULL,        -- the row's id; "contact_id:shift_id" for attendance
	old TEXT NOT NULL,            -- the row before the batch, as a JSON object
	PRIMARY KEY (import_id, tbl, row_key)
) WITHOUT ROWID;
CREATE INDEX events_import ON events(import_id) WHERE import_id IS NOT NULL;
CREATE INDEX shifts_import ON shifts(import_id) WHERE import_id IS NOT NULL;
CREATE INDEX rsvps_import ON rsvps(import_id) WHERE import_id IS NOT NULL;
CREATE INDEX attendance_import ON attendance(import_id) WHERE import_id IS NOT NULL;
ALTER TABLE imports ADD COLUMN contacts_added INTEGER NOT NULL DEFAULT 0;
