#!/bin/sh
# st-import --kind events|shifts|rsvps|attendance: a Mobilize-style export,
# events and shifts files, sign-in sheets; rejects, batches and undo.
. "$(dirname "$0")/lib.sh"
export ST_DB=$TRASH/st.db

count() {
	sqlite3 "$ST_DB" "SELECT count(*) FROM $1"
}

last() {
	sqlite3 "$ST_DB" "SELECT max(id) FROM imports"
}

test_expect_success 'a Mobilize-style attendance export imports' '
	cat >mobilize.csv <<-\EOT &&
	event_id,event_title,event_type,timezone,timeslot_id,timeslot_start,timeslot_end,first_name,last_name,email,phone,zip,status,attended
	501,Saturday canvass,CANVASS,America/New_York,9001,2026-11-07 10:00,2026-11-07 13:00,Ana,Reyes,ana@example.com,919-555-0101,27701,REGISTERED,true
	501,Saturday canvass,CANVASS,America/New_York,9001,2026-11-07 10:00,2026-11-07 13:00,Bo,Chen,bo@example.com,919-555-0102,27701,CONFIRMED,false
	501,Saturday canvass,CANVASS,America/New_York,9002,2026-11-07 14:00,2026-11-07 17:00,Ana,Reyes,ana@example.com,919-555-0101,27701,REGISTERED,
	502,Phone bank,PHONE_BANK,America/Chicago,9003,1794600000,1794607200,Cy,Diaz,,(919) 555-0103,27703,CANCELLED,
	503,Bad zone,MEETING,Mars/Olympus,9004,2026-11-08 10:00,2026-11-08 11:00,Di,Eng,di@example.com,,,REGISTERED,true
	501,Saturday canvass,CANVASS,America/New_York,9001,2026-11-07 10:00,2026-11-07 13:00,Ed,Fox,,,,REGISTERED,true
	501,Saturday canvass,CANVASS,America/New_York,9001,2026-11-07 10:00,2026-11-07 13:00,Fay,Gil,fay@example.com,,,MAYBE-ISH,true
	EOT
	st-import --kind attendance -r rejects.csv mobilize.csv >out &&
	echo "mobilize.csv: import 1: read 7, inserted 4, updated 0, unchanged 0, rejected 3, contacts added 3" >expect &&
	test_cmp expect out &&
	[ "$(count events) $(count shifts) $(count rsvps) $(count attendance) $(count contacts)" = "2 3 4 2 3" ]
'

test_expect_success 'each rejected row says why' '
	cut -d, -f1-2 rejects.csv >out &&
	cat >expect <<-\EOT &&
	line,reason
	6,unknown time zone '"'"'Mars/Olympus'"'"'
	7,"no valid phone
	8,invalid RSVP status '"'"'MAYBE-ISH'"'"'
	EOT
	test_cmp expect out
'

test_expect_success 'the export maps to st: ids, kinds, zones, statuses, marks, levels' '
	sqlite3 "$ST_DB" "SELECT external_id, kind, title, tz FROM events ORDER BY id" >out &&
	cat >expect <<-\EOT &&
	501|canvass|Saturday canvass|America/New_York
	502|phone_bank|Phone bank|America/Chicago
	EOT
	test_cmp expect out &&
	sqlite3 "$ST_DB" "SELECT external_id, starts_at, ends_at FROM shifts ORDER BY id" >out &&
	cat >expect <<-\EOT &&
	9001|2026-11-07T15:00:00Z|2026-11-07T18:00:00Z
	9002|2026-11-07T19:00:00Z|2026-11-07T22:00:00Z
	9003|2026-11-13T20:00:00Z|2026-11-13T22:00:00Z
	EOT
	test_cmp expect out &&
	sqlite3 "$ST_DB" "SELECT c.first_name, s.external_id, r.status, r.confirmed, r.source FROM rsvps r JOIN contacts c ON c.id = r.contact_id JOIN shifts s ON s.id = r.shift_id ORDER BY r.id" >out &&
	cat >expect <<-\EOT &&
	Ana|9001|yes|0|import
	Bo|9001|yes|1|import
	Ana|9002|yes|0|import
	Cy|9003|cancelled|0|import
	EOT
	test_cmp expect out &&
	sqlite3 "$ST_DB" "SELECT c.first_name, a.status, a.walk_in FROM attendance a JOIN contacts c ON c.id = a.contact_id ORDER BY c.id" >out &&
	printf "Ana|attended|0\nBo|no_show|0\n" >expect &&
	test_cmp expect out &&
	st-query --attended-min 1 -c first_name,level,attended -H >out &&
	echo "Ana,1,1" >expect &&
	test_cmp expect out &&
	st-query --no-show-min 1 -c first_name -H >out &&
	printf "Ana\nBo\n" >expect &&
	test_cmp expect out
'

test_expect_success 'importing the same export again changes nothing' '
	st-import --kind attendance mobilize.csv >out &&
	test_grep "inserted 0, updated 0, unchanged 4, rejected 3, contacts added 0" out &&
	[ "$(count import_undo)" = 0 ] &&
	[ "$(count rsvps) $(count attendance)" = "4 2" ]
'

test_expect_success 'a changed export updates, and undo puts it back' '
	sed -e "s/Bo,Chen,bo@example.com,919-555-0102,27701,CONFIRMED,false/Bo,Chen,bo@example.com,919-555-0102,27701,CANCELLED,true/" mobilize.csv >changed.csv &&
	st-import --kind attendance --json changed.csv >out &&
	test_grep "\"updated\":1" out &&
	test_grep "\"contacts_added\":0" out &&
	[ "$(sqlite3 "$ST_DB" "SELECT status FROM rsvps WHERE contact_id = 2")" = cancelled ] &&
	[ "$(sqlite3 "$ST_DB" "SELECT status FROM attendance WHERE contact_id = 2")" = attended ] &&
	[ "$(sqlite3 "$ST_DB" "SELECT level FROM contacts WHERE id = 2")" = 1 ] &&
	test_exit 1 st-import --undo 1 2>err &&
	test_grep "undo 3 first" err &&
	st-import --undo 3 >out &&
	test_grep "undid import 3" out &&
	[ "$(sqlite3 "$ST_DB" "SELECT status || confirmed FROM rsvps WHERE contact_id = 2")" = yes1 ] &&
	[ "$(sqlite3 "$ST_DB" "SELECT status FROM attendance WHERE contact_id = 2")" = no_show ] &&
	[ "$(sqlite3 "$ST_DB" "SELECT level FROM contacts WHERE id = 2")" = 0 ]
'

test_expect_success 'undo removes the events, shifts and people a batch made' '
	st-import --undo 1 >out &&
	test_grep "undid import 1: deleted 14 rows" out &&
	[ "$(count events) $(count shifts) $(count rsvps) $(count attendance) $(count contacts)" = "0 0 0 0 0" ]
'

test_expect_success 'an events file: rows of one title are one event with its shifts' '
	cat >events.csv <<-\EOT &&
	title,kind,location,start,end,capacity
	Tuesday phone bank,phonebank,Union hall,2026-12-01 18:00,2026-12-01 20:00,2
	Tuesday phone bank,phonebank,Union hall,2026-12-08 18:00,2026-12-08 20:00,2
	Town meeting,meeting,Library,2026-12-03 19:00,2026-12-03 20:30,
	EOT
	test_exit 0 st-import --kind events -r rej.csv events.csv >out &&
	test_grep "rejected 3" out &&
	test_grep "has no time zone (a tz column, or --tz ZONE)" rej.csv &&
	st-import --kind events --tz America/New_York events.csv >out &&
	test_grep "inserted 2, updated 1, unchanged 0, rejected 0" out &&
	st-event list >out &&
	[ "$(grep -c "Tuesday phone bank" out)" = 2 ] &&
	[ "$(count events) $(count shifts)" = "2 3" ] &&
	st-import --kind events --tz America/New_York events.csv >out &&
	test_grep "inserted 0, updated 0, unchanged 3" out
'

test_expect_success 'an events file updates the event it names' '
	printf "event,location,area\n1,Union hall room 2,Durham\n" | st-import --kind events >out &&
	test_grep "updated 1" out &&
	[ "$(sqlite3 "$ST_DB" "SELECT location || \"/\" || area FROM events WHERE id = 1")" = "Union hall room 2/Durham" ] &&
	st-import --undo "$(last)" >/dev/null &&
	[ "$(sqlite3 "$ST_DB" "SELECT location || \"/\" || coalesce(area, \"-\") FROM events WHERE id = 1")" = "Union hall/-" ]
'

test_expect_success 'a shifts file: bad times are rejected one by one' '
	cat >shifts.csv <<-\EOT &&
	event,start,end,capacity
	1,2026-12-15 18:00,2026-12-15 20:00,10
	1,2026-12-15 19:00,2026-12-15 21:00,10
	1,2026-03-08 02:30,2026-03-08 04:00,5
	1,2026-12-16 20:00,2026-12-16 18:00,5
	1,2026-12-17 18:00,2026-12-17 20:00,-4
	1,2026-12-18,2026-12-18 20:00,5
	9,2026-12-19 18:00,2026-12-19 20:00,5
	EOT
	st-import --kind shifts -r rej.csv shifts.csv >out &&
	test_grep "inserted 1, updated 0, unchanged 0, rejected 6" out &&
	cut -d, -f1,2 rej.csv | sed "s/shift [0-9]* of/shift N of/" >out &&
	cat >expect <<-\EOT &&
	line,reason
	3,shift overlaps shift N of event 1
	4,time '"'"'2026-03-08 02:30'"'"' does not exist in America/New_York (the clocks skip it)
	5,shift ends (2026-12-16T23:00:00Z) before it starts (2026-12-17T01:00:00Z)
	6,invalid capacity '"'"'-4'"'"'
	7,"invalid time '"'"'2026-12-18'"'"' (want YYYY-MM-DD HH:MM
	8,no event 9
	EOT
	test_cmp expect out
'

test_expect_success 'RSVPs to a shift fill it, then waitlist; a cancellation promotes' '
	cat >rsvps.csv <<-\EOT &&
	first_name,phone,status
	Ana,919-555-0101,yes
	Bo,919-555-0102,going
	Cy,919-555-0103,yes
	Di,919-555-0104,maybe
	EOT
	st-import --kind rsvps --shift 1 rsvps.csv >out &&
	test_grep "inserted 4, updated 0, unchanged 0, rejected 0, contacts added 4" out &&
	sqlite3 "$ST_DB" "SELECT contact_id, status FROM rsvps WHERE shift_id = 1 ORDER BY id" >out &&
	printf "1|yes\n2|yes\n3|waitlisted\n4|maybe\n" >expect &&
	test_cmp expect out &&
	printf "phone,status\n919-555-0102,cancelled\n" | st-import --kind rsvps --shift 1 >out &&
	test_grep "updated 1" out &&
	sqlite3 "$ST_DB" "SELECT contact_id, status FROM rsvps WHERE shift_id = 1 ORDER BY id" >out &&
	printf "1|yes\n2|cancelled\n3|yes\n4|maybe\n" >expect &&
	test_cmp expect out &&
	st-import --undo "$(last)" >/dev/null &&
	sqlite3 "$ST_DB" "SELECT contact_id, status FROM rsvps WHERE shift_id = 1 ORDER BY id" >out &&
	printf "1|yes\n2|yes\n3|waitlisted\n4|maybe\n" >expect &&
	test_cmp expect out
'

test_expect_success 'a sign-in sheet for one shift: walk-ins and new people' '
	cat >sheet.csv <<-\EOT &&
	name,phone,email
	Ana,(919) 555-0101,
	Eve,,eve@example.org
	EOT
	st-import --kind attendance --shift 1 -m name=first_name sheet.csv >out &&
	test_grep "inserted 2, updated 0, unchanged 0, rejected 0, contacts added 1" out &&
	sqlite3 "$ST_DB" "SELECT c.first_name, a.status, a.walk_in FROM attendance a JOIN contacts c ON c.id = a.contact_id WHERE a.shift_id = 1 ORDER BY c.id" >out &&
	printf "Ana|attended|0\nEve|attended|1\n" >expect &&
	test_cmp expect out &&
	st-query --attended-min 1 -c first_name -H >out &&
	printf "Ana\nEve\n" >expect &&
	test_cmp expect out
'

test_expect_success 'a roster round-trips into another shift (JSON Lines, --map), capacity holds' '
	st-event roster 1 --json >roster &&
	n=$(wc -l <roster) && [ "$n" -ge 4 ] &&
	st-import --kind rsvps --shift 2 -m id=contact <roster >out &&
	test_grep "inserted $n, updated 0, unchanged 0, rejected 0, contacts added 0" out &&
	[ "$(sqlite3 "$ST_DB" "SELECT count(*) FROM rsvps WHERE shift_id = 2")" = "$n" ] &&
	[ "$(sqlite3 "$ST_DB" "SELECT count(*) FROM rsvps WHERE shift_id = 2 AND status = \"yes\"")" = 2 ] &&
	[ "$(sqlite3 "$ST_DB" "SELECT count(*) FROM rsvps WHERE shift_id = 2 AND status = \"maybe\"")" = 1 ]
'

test_expect_success 'a dry run writes nothing' '
	before=$(count rsvps) &&
	st-import -n --kind rsvps --shift 3 rsvps.csv >out &&
	test_grep "dry run" out &&
	[ "$(count rsvps)" = "$before" ]
'

test_expect_success 'usage errors exit 2 with one line' '
	test_exit 2 st-import --kind bogus rsvps.csv 2>err &&
	test_grep "unknown kind" err &&
	test_exit 2 st-import --event 1 rsvps.csv 2>err &&
	test_grep "need --kind" err &&
	test_exit 2 st-import --kind rsvps --shift 1 --tag x rsvps.csv 2>err &&
	test_grep "for contacts" err &&
	test_exit 2 st-import --kind rsvps --shift 1 -m status=bogus rsvps.csv 2>err &&
	test_one_line err && test_grep "unknown field" err &&
	printf "a,b\n1,2\n" | test_exit 2 st-import --kind rsvps --shift 1 2>err &&
	test_one_line err && test_grep "no phone, email or contact column" err &&
	printf "phone\n9195550101\n" | test_exit 2 st-import --kind rsvps 2>err &&
	test_grep "nothing in .* names the shift" err &&
	test_exit 2 st-import --kind events --tz Mars/Olympus events.csv 2>err &&
	test_grep "unknown time zone" err &&
	test_exit 3 st-import --kind rsvps --shift 99 rsvps.csv 2>err &&
	test_one_line err && test_grep "no shift 99" err
'

test_expect_success 'st-event create - and add-shift EVENT - read rows, all or nothing' '
	n=$(count events) &&
	printf "title,start,end\nStdin meeting,2027-01-05 18:00,2027-01-05 19:00\n" |
		st-event create --tz America/Chicago - >out &&
	test_grep "inserted 1" out &&
	[ "$(count events)" = $((n + 1)) ] &&
	ev=$(sqlite3 "$ST_DB" "SELECT id FROM events WHERE title = \"Stdin meeting\"") &&
	s=$(count shifts) &&
	printf "start,end\n2027-01-12 18:00,2027-01-12 19:00\n2027-01-12 18:30,2027-01-12 19:30\n" |
		test_exit 3 st-event add-shift "$ev" - 2>err &&
	test_one_line err && test_grep "line 3: shift overlaps" err &&
	[ "$(count shifts)" = "$s" ] &&
	printf "start,end\n2027-01-12 18:00,2027-01-12 19:00\n" | st-event add-shift "$ev" - >out &&
	[ "$(count shifts)" = $((s + 1)) ] &&
	test_exit 2 st-event create --title X - </dev/null 2>err &&
	test_grep "only --tz" err
'

test_expect_success 'st-event edit - cancels events; undo brings them and their shifts back' '
	ev=$(sqlite3 "$ST_DB" "SELECT id FROM events WHERE title = \"Stdin meeting\"") &&
	printf "event,status\n%s,cancelled\n" "$ev" | st-event edit - >out &&
	test_grep "updated 1" out &&
	[ "$(sqlite3 "$ST_DB" "SELECT group_concat(status) FROM shifts WHERE event_id = $ev")" = "cancelled,cancelled" ] &&
	st-import --undo "$(last)" >/dev/null &&
	[ "$(sqlite3 "$ST_DB" "SELECT status FROM events WHERE id = $ev")" = active ] &&
	[ "$(sqlite3 "$ST_DB" "SELECT group_concat(status) FROM shifts WHERE event_id = $ev")" = "active,active" ]
'

test_expect_success 'turfs and volunteers go in with --kind, for st-allocate' '
	shift=$(sqlite3 "$ST_DB" "SELECT max(id) FROM shifts WHERE status = \"active\"") &&
	printf "turf,name,region,priority,shift,capacity\nT1,North,Durham,3,%s,2\n,Nowhere,,1,,\n" "$shift" |
		st-import --kind turfs -r rej.csv >out &&
	test_grep "inserted 1, updated 0, unchanged 0, rejected 1" out &&
	test_grep "turf" rej.csv &&
	[ "$(sqlite3 "$ST_DB" "SELECT key || \"/\" || capacity FROM turfs JOIN turf_shifts ON turf_id = turfs.id")" = T1/2 ] &&
	printf "who,pref,available\n919-555-0101,region:Durham,%s\n" "$shift" |
		st-import --kind volunteers -m who=volunteer >out &&
	test_grep "inserted 1" out &&
	[ "$(sqlite3 "$ST_DB" "SELECT count(*) FROM volunteer_prefs")" = 1 ] &&
	test_exit 1 st-import --undo "$(last)" 2>err &&
	test_one_line err && test_grep "cannot be undone" err &&
	st-allocate --json >out &&
	test_grep "\"status\":\"assigned\"" out
'

test_done
