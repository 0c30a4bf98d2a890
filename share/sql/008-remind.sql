-- st-remind: what each RSVP's calendar invite last said (its SEQUENCE and times), and the
-- RSVPs with a change st-remind has not yet looked at. Triggers fill remind_pending, so a
-- tick reads only what changed, never the whole table. Times are UTC ISO 8601 text.
CREATE TABLE remind_invites (
	rsvp_id INTEGER PRIMARY KEY REFERENCES rsvps(id) ON DELETE CASCADE,
	sequence INTEGER NOT NULL DEFAULT 0,
	starts_at TEXT NOT NULL,
	ends_at TEXT NOT NULL,
	state TEXT NOT NULL DEFAULT 'sent' CHECK (state IN ('sent', 'cancelled')),
	updated_at TEXT NOT NULL
);

CREATE TABLE remind_pending (
	rsvp_id INTEGER PRIMARY KEY REFERENCES rsvps(id) ON DELETE CASCADE
);

CREATE TRIGGER remind_rsvp_new AFTER INSERT ON rsvps
BEGIN
	INSERT OR IGNORE INTO remind_pending(rsvp_id) VALUES (NEW.id);
END;

CREATE TRIGGER remind_rsvp_status AFTER UPDATE OF status ON rsvps
WHEN NEW.status <> OLD.status
BEGIN
	INSERT OR IGNORE INTO remind_pending(rsvp_id) VALUES (NEW.id);
END;

CREATE TRIGGER remind_shift_change AFTER UPDATE OF starts_at, ends_at, status ON shifts
WHEN NEW.starts_at <> OLD.starts_at OR NEW.ends_at <> OLD.ends_at OR NEW.status <> OLD.status
BEGIN
	INSERT OR IGNORE INTO remind_pending(rsvp_id) SELECT id FROM rsvps WHERE shift_id = NEW.id;
END;

CREATE TRIGGER remind_event_change AFTER UPDATE OF status ON events
WHEN NEW.status <> OLD.status
BEGIN
	INSERT OR IGNORE INTO remind_pending(rsvp_id)
	SELECT r.id FROM rsvps r JOIN shifts s ON s.id = r.shift_id WHERE s.event_id = NEW.id;
END;
