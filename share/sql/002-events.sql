-- Events, shifts (time slots), RSVPs and attendance; engagement levels and organizers.
-- Times are UTC ISO 8601 text ("2026-11-07T14:00:00Z"); each event has its IANA time zone.

CREATE TABLE events (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL DEFAULT 'canvass',   -- canvass, phonebank, textbank, meeting, training, ...
	title TEXT NOT NULL,
	description TEXT,
	location TEXT,
	latitude REAL CHECK (latitude IS NULL OR latitude BETWEEN -90 AND 90),
	longitude REAL CHECK (longitude IS NULL OR longitude BETWEEN -180 AND 180),
	area TEXT,                              -- turf, neighbourhood or area
	tz TEXT NOT NULL,                       -- IANA time zone, e.g. America/New_York
	organizer_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
	status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
	external_id TEXT UNIQUE,                -- the event's id elsewhere (Mobilize, ...)
	import_id INTEGER REFERENCES imports(id),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE shifts (
	id INTEGER PRIMARY KEY,
	event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
	starts_at TEXT NOT NULL,
	ends_at TEXT NOT NULL CHECK (ends_at > starts_at),
	capacity INTEGER CHECK (capacity IS NULL OR capacity >= 0),   -- NULL: no limit
	status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
	external_id TEXT UNIQUE,
	import_id INTEGER REFERENCES imports(id),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX shifts_event ON shifts(event_id, starts_at);
CREATE INDEX shifts_starts ON shifts(starts_at);

CREATE TABLE rsvps (
	id INTEGER PRIMARY KEY,
	contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	shift_id INTEGER NOT NULL REFERENCES shifts(id) ON DELETE CASCADE,
	status TEXT NOT NULL CHECK (status IN ('yes', 'maybe', 'no', 'cancelled', 'waitlisted')),
	confirmed INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
	source TEXT,                            -- signup, text, allocator, import, desk, ...
	referred_by INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
	import_id INTEGER REFERENCES imports(id),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
-- One live RSVP per person and shift; 'no' and 'cancelled' ones are history.
CREATE UNIQUE INDEX rsvps_live ON rsvps(shift_id, contact_id) WHERE status IN ('yes', 'maybe', 'waitlisted');
CREATE INDEX rsvps_contact ON rsvps(contact_id, status);
CREATE INDEX rsvps_shift ON rsvps(shift_id, status, created_at);

CREATE TABLE attendance (
	contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	shift_id INTEGER NOT NULL REFERENCES shifts(id) ON DELETE CASCADE,
	status TEXT NOT NULL CHECK (status IN ('attended', 'no_show')),
	checked_in_at TEXT,
	checked_in_by TEXT,
	walk_in INTEGER NOT NULL DEFAULT 0 CHECK (walk_in IN (0, 1)),
	import_id INTEGER REFERENCES imports(id),
	created_at TEXT NOT NULL,
	PRIMARY KEY (contact_id, shift_id)
) WITHOUT ROWID;
CREATE INDEX attendance_shift ON attendance(shift_id, status);

-- Engagement: 0 contact, 1 attended once, 2 attended two or more times, 3 host or lead;
-- recomputed from attendance and roles. An organizer is the contact's dedicated staff person.
ALTER TABLE contacts ADD COLUMN level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN attended INTEGER NOT NULL DEFAULT 0;  -- shifts attended, kept with level
ALTER TABLE contacts ADD COLUMN role TEXT;              -- 'host', 'lead' or NULL
ALTER TABLE contacts ADD COLUMN organizer_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL;
-- The check-in desk's name and phone-digit indexes are made by the desk when it first
-- opens (st_checkin_prepare), so that a voter-file load need not build them.
