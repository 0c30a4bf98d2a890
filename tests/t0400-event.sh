#!/bin/sh
# st-event: events, shifts, RSVPs with capacity and a waitlist, attendance,
# levels, the check-in desk; and the event filters of st-query.
. "$(dirname "$0")/lib.sh"
export ST_DB=$TRASH/st.db

test_expect_success 'set up contacts' '
	cat >people.csv <<-\EOT &&
	first_name,last_name,phone,email
	Ana,Reyes,919-555-0101,ana@example.org
	Bo,Li,919-555-0102,bo@example.org
	Cy,Ott,919-555-0103,cy@example.org
	Di,Pe,919-555-0104,di@example.org
	Ed,Uh,919-555-0105,ed@example.org
	EOT
	st-import people.csv >/dev/null
'

test_expect_success 'create an event and shifts in local time' '
	st-event create --title "Saturday canvass" --tz America/New_York --kind canvass \
		--location "12 Main St" --area Durham --lat 35.99 --lon -78.90 --organizer 1 >id &&
	[ "$(cat id)" = 1 ] &&
	st-event add-shift 1 --start "2026-11-07 09:00" --end "2026-11-07 12:00" --capacity 2 >s1 &&
	st-event add-shift 1 --start "2026-11-07T12:00-05:00" --end "2026-11-07 15:00" >s2 &&
	[ "$(cat s1) $(cat s2)" = "1 2" ] &&
	[ "$(sqlite3 "$ST_DB" "SELECT starts_at || \" \" || ends_at FROM shifts WHERE id = 1")" = "2026-11-07T14:00:00Z 2026-11-07T17:00:00Z" ]
'

test_expect_success 'times round-trip across daylight saving' '
	st-event add-shift 1 --start "2026-07-04 10:00" --end "2026-07-04 11:00" >s3 &&
	st-event list --event 1 --json >out &&
	test_grep "\"starts\":\"2026-07-04T10:00:00-04:00\"" out &&
	test_grep "\"starts_utc\":\"2026-07-04T14:00:00Z\"" out &&
	test_grep "\"starts\":\"2026-11-07T09:00:00-05:00\"" out
'

test_expect_success 'bad times and shifts are refused with one line, exit 3' '
	test_exit 3 st-event add-shift 1 --start "2026-03-08 02:30" --end "2026-03-08 04:00" 2>err &&
	test_one_line err && test_grep "does not exist in America/New_York" err &&
	test_exit 3 st-event add-shift 1 --start "2026-11-01 01:30" --end "2026-11-01 03:00" 2>err &&
	test_grep "happens twice" err &&
	st-event add-shift 1 --start "2026-11-01 01:30-05:00" --end "2026-11-01 03:00" >/dev/null &&
	test_exit 3 st-event add-shift 1 --start "2026-11-07 11:00" --end "2026-11-07 10:00" 2>err &&
	test_grep "ends .* before it starts" err &&
	test_exit 3 st-event add-shift 1 --start "2026-11-07 11:00" --end "2026-11-07 13:00" 2>err &&
	test_grep "overlaps shift 1" err &&
	test_exit 3 st-event create --title X --tz Mars/Olympus 2>err &&
	test_grep "unknown time zone" err &&
	test_exit 3 st-event add-shift 1 --start "2026-11-07" --end "2026-11-07 13:00" 2>err &&
	test_grep "invalid time" err &&
	test_exit 3 st-event add-shift 99 --start "2026-11-07 10:00" --end "2026-11-07 13:00" 2>err &&
	test_grep "no event 99" err
'

test_expect_success 'a time with no zone is refused when the event has none' '
	test_exit 2 st-event create --title "No zone" 2>err &&
	test_grep "needs a title and a time zone" err
'

test_expect_success 'RSVPs fill a shift, then waitlist in order' '
	st-event rsvp 1 1 >out && test_grep "^1,1,yes$" out &&
	st-event rsvp 1 bo@example.org >out && test_grep "^1,2,yes$" out &&
	st-event rsvp 1 "(919) 555-0103" >out && test_grep "^1,3,waitlisted$" out &&
	st-event rsvp 1 4 >out && test_grep "^1,4,waitlisted$" out &&
	test_exit 3 st-event rsvp 1 5 --no-waitlist 2>err && test_grep "is full (2 of 2" err
'

test_expect_success 'a second RSVP by the same person is not a second place' '
	st-event rsvp 1 1 >out && test_grep "^1,1,yes$" out &&
	[ "$(sqlite3 "$ST_DB" "SELECT count(*) FROM rsvps WHERE shift_id = 1 AND contact_id = 1")" = 1 ]
'

test_expect_success 'a cancellation promotes the first on the waitlist' '
	st-event cancel 1 2 >out && test_grep "promoted 3 from the waitlist" out &&
	[ "$(sqlite3 "$ST_DB" "SELECT group_concat(contact_id || status) FROM (SELECT * FROM rsvps WHERE shift_id = 1 ORDER BY contact_id)")" = "1yes,2cancelled,3yes,4waitlisted" ]
'

test_expect_success 'moving from yes to maybe frees a place too, and more capacity promotes' '
	st-event rsvp 1 3 --status maybe >out && test_grep "^1,3,maybe$" out &&
	[ "$(sqlite3 "$ST_DB" "SELECT status FROM rsvps WHERE shift_id = 1 AND contact_id = 4")" = yes ] &&
	st-event rsvp 1 5 >out && test_grep "waitlisted" out &&
	st-event edit-shift 1 --capacity 3 &&
	[ "$(sqlite3 "$ST_DB" "SELECT status FROM rsvps WHERE shift_id = 1 AND contact_id = 5")" = yes ]
'

test_expect_success 'maybe to yes on a full shift waitlists' '
	st-event rsvp 1 3 >out && test_grep "^1,3,waitlisted$" out
'

test_expect_success 'RSVPs to a cancelled shift or event, or unknown people, are refused' '
	st-event add-shift 1 --start "2026-11-08 09:00" --end "2026-11-08 10:00" >s &&
	st-event cancel-shift "$(cat s)" &&
	test_exit 3 st-event rsvp "$(cat s)" 1 2>err && test_grep "is cancelled" err &&
	test_exit 3 st-event rsvp 1 nobody@example.org 2>err && test_grep "no contact with e-mail" err &&
	test_exit 3 st-event rsvp 1 999 2>err && test_grep "no contact 999" err &&
	test_exit 3 st-event rsvp 1 hello 2>err && test_grep "not a contact id" err
'

test_expect_success 'attendance, walk-ins and levels' '
	st-event attend 1 1 --by Sam &&
	st-event attend 2 1 &&
	st-event attend 1 ed@example.org &&
	st-event attend 1 2 --no-show &&
	sqlite3 -csv "$ST_DB" "SELECT contact_id, status, walk_in, checked_in_by FROM attendance ORDER BY shift_id, contact_id" >got &&
	cat >expect <<-\EOT &&
	1,attended,0,Sam
	2,no_show,0,
	5,attended,0,
	1,attended,1,
	EOT
	test_cmp expect got &&
	[ "$(st-query -H -c id,level --level 1,2 | tr "\n" " ")" = "1,2 5,1 " ]
'

test_expect_success 'roles make a level 3; levels recompute from scratch' '
	st-event role 3 host &&
	[ "$(st-query -H -c level --id 3)" = 3 ] &&
	st-event role 3 none &&
	[ "$(st-query -H -c level --id 3)" = 0 ] &&
	sqlite3 "$ST_DB" "UPDATE contacts SET level = 0" &&
	st-event levels >out && test_grep "^2 levels changed" out &&
	test_exit 2 st-event role 3 boss 2>err
'

test_expect_success 'organizers are set, shown in rosters and queryable' '
	st-event organizer 2 1 &&
	st-query -H --organizer 1 -c id >out && test_grep "^2$" out &&
	st-event roster 1 --json >out &&
	test_grep "\"id\":2,.*\"organizer\":1,\"organizer_name\":\"Ana Reyes\"" out &&
	test_exit 3 st-event organizer 2 2 2>err && test_grep "own organizer" err &&
	st-event organizer 2 none && [ -z "$(st-query -H --organizer 1 -c id)" ]
'

test_expect_success 'the roster lists RSVPs and attendance' '
	st-event roster 1 | cut -d, -f1,2,6,8,9 >got &&
	cat >expect <<-\EOT &&
	id,first_name,rsvp,attendance,walk_in
	2,Bo,,no_show,0
	3,Cy,waitlisted,,
	4,Di,yes,,
	1,Ana,yes,attended,0
	5,Ed,yes,attended,0
	EOT
	test_cmp expect got
'

test_expect_success 'st-query event filters' '
	[ "$(st-query -H -c id --attended-min 1 | tr "\n" " ")" = "1 5 " ] &&
	[ "$(st-query -H -c id --attended-min 2 | tr "\n" " ")" = "1 " ] &&
	[ "$(st-query -H -c id --attended-min 2 --sms-ok | tr "\n" " ")" = "1 " ] &&
	[ "$(st-query -H -c id --rsvp 1 | tr "\n" " ")" = "1 3 4 5 " ] &&
	[ "$(st-query -H -c id --rsvp shift:1 --rsvp-status cancelled | tr "\n" " ")" = "2 " ] &&
	[ "$(st-query -H -c id --rsvp-status waitlisted | tr "\n" " ")" = "3 " ] &&
	[ "$(st-query -H -c id --event-kind canvass | tr "\n" " ")" = "1 3 4 5 " ] &&
	[ "$(st-query -H -c id --event-kind meeting | tr "\n" " ")" = "" ] &&
	[ "$(st-query -H -c id --no-show-min 1 | tr "\n" " ")" = "4 " ] &&
	[ "$(st-query -H -c id --attended-within 100000 | tr "\n" " ")" = "1 5 " ] &&
	test_exit 2 st-query --rsvp x 2>err
'

test_expect_success 'upcoming shifts' '
	st-event add-shift 1 --start "2099-01-01 10:00" --end "2099-01-01 12:00" >s &&
	st-event rsvp "$(cat s)" 2 >/dev/null &&
	[ "$(st-query -H -c id --upcoming-shift | tr "\n" " ")" = "2 " ] &&
	st-event list --upcoming -H | cut -d, -f2 >got && echo "$(cat s)" >expect && test_cmp expect got &&
	st-event list --past -H | wc -l >n && [ "$(cat n)" -ge 3 ]
'

test_expect_success 'the attendance report' '
	st-query --report attendance | cut -d, -f1,3,6-11 >got &&
	cat >expect <<-\EOT &&
	event,kind,shifts,rsvps,confirmed,attended,walk_ins,show_rate
	1,canvass,6,4,0,3,1,66.7
	EOT
	test_cmp expect got
'

test_expect_success 'cancelling an event cancels its shifts' '
	st-event cancel-event 1 &&
	[ "$(sqlite3 "$ST_DB" "SELECT count(*) FROM shifts WHERE status = \"active\"")" = 0 ] &&
	test_exit 3 st-event rsvp 2 1 2>err && test_grep "cancelled" err
'

test_expect_success 'the check-in desk: search, pick, walk-in, undo' '
	st-event create --title "Phone bank" --kind phonebank --tz America/Chicago >/dev/null &&
	st-event add-shift 2 --start "2099-02-01 18:00" --end "2099-02-01 20:00" >s &&
	sh=$(cat s) &&
	st-event rsvp "$sh" 3 >/dev/null &&
	printf "cy\n1\nre\n1\n0103\n+ Zed Zee 919-555-0177\nundo\nquit\n" | st-event checkin "$sh" --by Kim >out 2>&1 &&
	test_grep "checked in Cy Ott (contact 3, RSVP yes)" out &&
	test_grep "checked in Ana Reyes (contact 1, walk-in)" out &&
	test_grep "checked in contact 6 (new contact)" out &&
	test_grep "undone" out &&
	[ "$(sqlite3 "$ST_DB" "SELECT group_concat(contact_id || walk_in || checked_in_by) FROM attendance WHERE shift_id = $sh ORDER BY contact_id")" = "11Kim,30Kim" ] &&
	[ "$(st-query -H -c first_name --where phone=9195550177)" = Zed ]
'

test_expect_success 'the waitlist is served in the order people joined it' '
	st-event create --title Queue --tz UTC >e &&
	st-event add-shift "$(cat e)" --start "2026-12-01 10:00" --end "2026-12-01 11:00" --capacity 1 >q &&
	q=$(cat q) &&
	st-event rsvp $q 1 >/dev/null && st-event rsvp $q 2 --status maybe >/dev/null &&
	st-event rsvp $q 3 >out && test_grep ",waitlisted$" out && sleep 1 &&
	st-event rsvp $q 2 >out && test_grep ",waitlisted$" out &&
	st-event rsvp $q 3 >/dev/null &&
	st-event cancel $q 1 >out && test_grep "promoted 3 from the waitlist" out
'

test_expect_success 'usage errors' '
	test_exit 2 st-event 2>err &&
	test_exit 2 st-event frob 2>err && test_grep "unknown subcommand" err &&
	test_exit 2 st-event rsvp 1 2>err && test_grep "takes 2 arguments" err &&
	test_exit 2 st-event rsvp 1 1 --title x 2>err && test_grep "does not go with" err &&
	test_exit 2 st-event add-shift 1 --start "2099-01-01 10:00" 2>err &&
	test_exit 2 st-event create --title X --tz UTC --lat 1 2>err
'

test_done
