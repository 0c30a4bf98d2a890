-- A live RSVP is one whose status is not 'no' or 'cancelled'. SQLite tests a
-- list of two values with comparisons, but builds a temporary table for a list
-- of three or more each time a statement runs; the partial index and the
-- queries that use it say it with two.
DROP INDEX rsvps_live;
CREATE UNIQUE INDEX rsvps_live ON rsvps(shift_id, contact_id) WHERE status NOT IN ('no', 'cancelled');
