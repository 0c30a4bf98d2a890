-- st-remind: which RSVPs a text asked its recipient to answer about ("Reply 1 to confirm,
-- 2 to cancel"), so an answer that comes back in (st-text sync or webhook) reaches the RSVPs
-- of the latest such text. A text may ask about several RSVPs (a combined reminder).
CREATE TABLE remind_asks (
	message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	rsvp_id INTEGER NOT NULL REFERENCES rsvps(id) ON DELETE CASCADE,
	contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
	PRIMARY KEY (message_id, rsvp_id)
);
CREATE INDEX remind_asks_contact ON remind_asks(contact_id, message_id);

-- The RSVPs a weekly digest listed: their day-before reminders become one message per
-- person, rule and local day (remind:day:...), instead of one per shift.
CREATE TABLE remind_digested (
	rsvp_id INTEGER PRIMARY KEY REFERENCES rsvps(id) ON DELETE CASCADE,
	digest_key TEXT NOT NULL
);
