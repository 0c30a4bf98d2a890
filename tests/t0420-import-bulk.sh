#!/bin/sh
# st-import --kind rsvps|attendance writes staged rows together (the bulk
# path); ST_IMPORT_BULK=0 writes each row at once, as st-event does. The same
# random export, imported both ways (and in chunks of 7 rows), must leave the
# same database: contacts found and added, RSVPs with capacity and waitlist,
# marks and walk-ins, the undo log, counts, levels and rejects.
. "$(dirname "$0")/lib.sh"

# A database with 150 people, 40 shifts of assorted capacity, and RSVPs and
# marks from before (all dated 2020, so that what an import writes shows).
st-query --db base.db "SELECT 1" >/dev/null
sqlite3 base.db <<\EOT
BEGIN;
WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM i WHERE x < 150)
INSERT INTO contacts(id, first_name, last_name, email, phone, role, created_at, updated_at)
SELECT x, 'F' || x, 'L' || x, CASE WHEN x % 4 <> 0 THEN 'p' || x || '@example.org' END,
  CASE WHEN x % 3 = 0 THEN '+1919555' || (1000 + x) END, CASE WHEN x % 37 = 0 THEN 'host' END,
  '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z' FROM i;
INSERT INTO contact_extra(contact_id) SELECT id FROM contacts;
INSERT INTO events(id, title, tz, external_id, created_at, updated_at)
VALUES (1, 'Canvass', 'America/New_York', 'E1', '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z');
WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM i WHERE x < 40)
INSERT INTO shifts(id, event_id, starts_at, ends_at, capacity, external_id, created_at, updated_at)
SELECT x, 1, strftime('%Y-%m-%dT%H:00:00Z', '2026-12-01', '+' || (x * 4) || ' hours'),
  strftime('%Y-%m-%dT%H:00:00Z', '2026-12-01', '+' || (x * 4 + 3) || ' hours'),
  CASE x % 6 WHEN 0 THEN NULL WHEN 1 THEN 0 ELSE x % 6 END, 'T' || x,
  '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z' FROM i;
WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM i WHERE x < 120)
INSERT INTO rsvps(contact_id, shift_id, status, confirmed, source, created_at, updated_at)
SELECT 1 + (x * 37) % 150, 1 + (x * 7) % 40,
  CASE x % 5 WHEN 0 THEN 'yes' WHEN 1 THEN 'waitlisted' WHEN 2 THEN 'maybe' WHEN 3 THEN 'no'
  ELSE 'cancelled' END, x % 2, 'old', '2020-01-0' || (1 + x % 9) || 'T00:00:00Z',
  '2020-01-0' || (1 + x % 9) || 'T00:00:00Z' FROM i WHERE true
ON CONFLICT DO NOTHING;
WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM i WHERE x < 90)
INSERT OR IGNORE INTO attendance(contact_id, shift_id, status, checked_in_at, walk_in, created_at)
SELECT 1 + (x * 53) % 150, 1 + (x * 11) % 40, CASE WHEN x % 3 THEN 'attended' ELSE 'no_show' END,
  NULL, x % 2, '2020-01-01T00:00:00Z' FROM i;
UPDATE contacts SET attended = (SELECT count(*) FROM attendance a WHERE a.contact_id = contacts.id
  AND a.status = 'attended');
UPDATE contacts SET level = CASE WHEN role = 'host' THEN 3 ELSE min(2, attended) END;
COMMIT;
EOT

# The export: shifts 1-30 each list different people; 31-40 list anyone,
# often twice. People are known by e-mail, phone or both, by a phone with an
# unknown e-mail, or new (and then often listed again); some rows name a
# contact id (161-163 are people the file adds; 999 is nobody).
awk 'BEGIN {
	srand(42)
	split("REGISTERED CONFIRMED maybe declined cancelled waitlisted going bogus", st, " ")
	split("true false true true false maybe-ish", at, " ")
	print "event_id,timeslot_id,contact,first_name,last_name,email,phone,status,confirmed,attended,checked_in_at,checked_in_by,source"
	for (r = 0; r < 600; r++) {
		s = 1 + int(rand() * 40)
		if (rand() < 0.03) s = 99
		if (s <= 30) c = 1 + (s * 17 + r * 61) % 180; else c = rand() < 0.8 ? 1 + int(rand() * 25) : 151 + int(rand() * 30)
		id = ""; em = ""; ph = ""
		k = rand()
		if (c > 150) {
			# new people, some of them by phone only, some by e-mail only
			n = c - 150
			if (n % 3 != 1) em = "new" n "@example.net"
			if (n % 3 != 2) ph = "(919) 777-" (1000 + n)
			if (n % 7 == 0) ph = "(919) 555-" (1000 + 3 * n)
		} else if (k < 0.45) {
			em = "P" c "@Example.org"; if (c % 4 == 0) ph = "919-555-" (1000 + c)
		} else if (k < 0.65) {
			ph = "919.555." (1000 + c); if (c % 3 != 0) em = "p" c "@example.org"
		} else if (k < 0.75) {
			ph = "919-555-" (1000 + c); em = "other" c "@example.com"
		} else if (k < 0.85) {
			em = "p" c "@example.org"; ph = "919-777-" (1000 + c % 30)
		} else if (k < 0.93) {
			id = rand() < 0.8 ? c : (rand() < 0.7 ? 161 + int(rand() * 3) : 999)
		} else if (k < 0.96) {
			ph = "12"; em = "not-an-address"
		} else {
			em = "p" c "@example.org"
		}
		status = rand() < 0.06 ? "" : st[1 + int(rand() * (rand() < 0.1 ? 8 : 7))]
		conf = rand() < 0.8 ? "" : (rand() < 0.5 ? "yes" : "no")
		att = rand() < 0.2 ? "" : at[1 + int(rand() * (rand() < 0.03 ? 6 : 5))]
		cat = rand() < 0.7 ? "" : (rand() < 0.95 ? "2026-12-01T1" int(rand() * 10) ":05:00Z" : "soon")
		by = rand() < 0.7 ? "" : "host" int(rand() * 3)
		src = rand() < 0.8 ? "" : "mobilize"
		printf "E1,T%d,%s,First%d,Last%d,%s,%s,%s,%s,%s,%s,%s,%s\n", s, id, c, c, em, ph,
		    status, conf, att, cat, by, src
	}
}' >export.csv
cut -d, -f1-7,10-13 export.csv >marks.csv
cut -d, -f1-9,13 export.csv >rsvps.csv

# dump DB: what an import leaves, without row ids and times it wrote (an
# RSVP is named by its shift, contact and place among the shift's RSVPs).
dump() {
	sqlite3 "$1" <<\EOT
CREATE TEMP VIEW r AS SELECT *, shift_id || ':' || contact_id || ':' ||
  row_number() OVER (PARTITION BY shift_id ORDER BY id) AS k FROM rsvps;
SELECT 'contact', id, first_name, last_name, phone, email, source, import_id IS NOT NULL,
  last_import IS NOT NULL, level, attended FROM contacts ORDER BY id;
SELECT 'rsvp', k, status, confirmed, source, import_id IS NOT NULL,
  CASE WHEN created_at LIKE '2020%' THEN created_at ELSE 'now' END,
  CASE WHEN updated_at LIKE '2020%' THEN updated_at ELSE 'now' END FROM r ORDER BY k;
SELECT 'mark', contact_id, shift_id, status, checked_in_at, checked_in_by, walk_in,
  import_id IS NOT NULL, CASE WHEN created_at LIKE '2020%' THEN created_at ELSE 'now' END
  FROM attendance ORDER BY contact_id, shift_id;
SELECT 'undo', u.tbl, coalesce(r.k, u.row_key), json_replace(json_remove(u.old, '$.id'),
  '$.created_at', CASE WHEN u.old ->> 'created_at' LIKE '2020%' THEN u.old ->> 'created_at'
  ELSE 'now' END, '$.updated_at', CASE WHEN u.old ->> 'updated_at' LIKE '2020%' THEN
  u.old ->> 'updated_at' ELSE 'now' END) FROM import_undo u LEFT JOIN r
  ON u.tbl = 'rsvps' AND r.id = CAST(u.row_key AS INTEGER) ORDER BY 2, 3;
SELECT 'pending', r.k FROM remind_pending p JOIN r ON r.id = p.rsvp_id ORDER BY 2;
SELECT 'extra', contact_id, extra FROM contact_extra ORDER BY 2;
SELECT 'batch', kind, rows_read, inserted, updated, unchanged, rejected, contacts_added
  FROM imports ORDER BY id;
EOT
}

# both KIND FILE: import FILE into fresh copies row by row, in bulk, and in
# chunks of 7; each must leave the same database, summary and rejects.
both() {
	for way in 0 "" 7; do
		rm -f "w$way.db" "w$way.db-wal" "w$way.db-shm"
		cp base.db "w$way.db"
		ST_IMPORT_BULK=$way st-import --db "w$way.db" --kind "$1" -r "rej$way.csv" "$2" \
			>"out$way" || return 1
		dump "w$way.db" >"dump$way"
	done
	test_cmp out0 out && test_cmp out0 out7 &&
	test_cmp rej0.csv rej.csv && test_cmp rej0.csv rej7.csv &&
	test_cmp dump0 dump && test_cmp dump0 dump7
}

test_expect_success 'the export covers what it should' '
	dump base.db >dump.base &&
	[ "$(grep -c "^rsvp|" dump.base)" -ge 100 ] && [ "$(grep -c "^mark|" dump.base)" -ge 80 ] &&
	[ "$(wc -l <export.csv)" = 601 ]
'

test_expect_success 'attendance with RSVP status: bulk and row by row agree' '
	both attendance export.csv &&
	cat out &&
	test_grep "read 600, inserted [1-9][0-9]*, updated [1-9][0-9]*, unchanged [1-9][0-9]*, rejected [1-9][0-9]*, contacts added [1-9]" out &&
	grep -c "^rsvp|.*|now|now$" dump >n && [ "$(cat n)" -ge 100 ] &&
	grep -c "^rsvp|[0-9]*:[0-9]*:[0-9]*|waitlisted|.*now$" dump >n && [ "$(cat n)" -ge 5 ] &&
	grep -c "^mark|.*|1|1|now$" dump >n && [ "$(cat n)" -ge 10 ] &&
	grep -c "^undo|rsvps" dump >n && [ "$(cat n)" -ge 10 ] &&
	grep -c "^undo|attendance" dump >n && [ "$(cat n)" -ge 3 ] &&
	for reason in "invalid RSVP status" "invalid attendance" "invalid time" "no valid phone" \
		"no contact 999" "no shift T99"; do
		test_grep "$reason" rej.csv || return 1
	done
'

test_expect_success 'undo of the bulk import puts the database back' '
	st-import --db w.db --undo 1 >/dev/null &&
	dump w.db | grep -v "^batch|\|^undo|" >after &&
	grep -v "^batch|\|^undo|" dump.base >expect &&
	test_cmp expect after
'

test_expect_success 'attendance marks only (no status column): bulk and row by row agree' '
	both attendance marks.csv &&
	test_grep "inserted [1-9][0-9]*, updated [1-9][0-9]*, unchanged [1-9]" out
'

test_expect_success 'RSVPs: bulk and row by row agree' '
	both rsvps rsvps.csv &&
	test_grep "inserted [1-9][0-9]*, updated [1-9][0-9]*, unchanged [1-9]" out
'

test_expect_success 'importing the export again: bulk and row by row agree' '
	for way in 0 "" 7; do
		ST_IMPORT_BULK=$way st-import --db "w$way.db" --kind attendance export.csv \
			>"again$way" 2>&1 || return 1
		dump "w$way.db" >"dump$way"
	done &&
	test_cmp again0 again && test_cmp again0 again7 &&
	test_cmp dump0 dump && test_cmp dump0 dump7
'

test_expect_success 'a failed bulk import leaves the database as it was' '
	cp base.db fail.db &&
	sqlite3 fail.db "CREATE TRIGGER boom BEFORE INSERT ON attendance WHEN NEW.contact_id = 150
		BEGIN SELECT RAISE(ABORT, '"'"'boom'"'"'); END" &&
	test_must_fail st-import --db fail.db --kind attendance export.csv 2>err &&
	test_one_line err && test_grep boom err &&
	dump fail.db >after &&
	test_cmp dump.base after &&
	test_exit 2 env ST_IMPORT_BULK=lots st-import --db fail.db --kind attendance export.csv 2>err &&
	test_one_line err && test_grep "invalid ST_IMPORT_BULK" err
'

test_done
