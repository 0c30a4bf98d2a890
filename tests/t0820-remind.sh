#!/bin/sh
# st-remind: what is due at --now, queued once; e-mail to a real SMTP server
# on 127.0.0.1 (python3-aiosmtpd), every invite read by python3-icalendar.
. "$(dirname "$0")/lib.sh"
export ST_DB=$TRASH/st.db
PARSE="/usr/bin/python3 $TOP/tests/peers/parsemail.py"
TOKEN=$TOP/$ST_BUILD/tools/rsvptoken
export ST_MAIL_FROM=field@example.org ST_TEXT_FROM=+19195550100 \
	ST_LINK_BASE=https://example.org/rsvp
R="st-remind --tz America/New_York --no-send"

if ! /usr/bin/python3 -c 'import aiosmtpd, icalendar' 2>/dev/null; then
	test_skip 'st-remind with a real SMTP server' 'python3-aiosmtpd or python3-icalendar is missing'
	test_done
	exit
fi

smtp_start() {
	mkdir -p smtp && rm -f smtp/port &&
	{ /usr/bin/python3 "$TOP/tests/peers/smtpd.py" smtp & echo $! >smtp.pid; } &&
	i=0 && while [ ! -s smtp/port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	[ -s smtp/port ] && export ST_SMTP_URL="smtp://127.0.0.1:$(cat smtp/port)"
}
smtp_stop() { kill "$(cat smtp.pid)" 2>/dev/null; wait "$(cat smtp.pid)" 2>/dev/null; true; }
trap 'smtp_stop; cd / && rm -rf "$TRASH"' EXIT
q() { sqlite3 "$ST_DB" "$1"; }
keys() { q "SELECT idem_key FROM messages WHERE idem_key LIKE 'remind:%' ORDER BY idem_key"; }

test_expect_success 'set up people, a secret, an event with shifts, RSVPs and an SMTP server' '
	mkdir -p .config/st && (umask 077 && head -c 32 /dev/urandom >.config/st/secret) &&
	cat >p.csv <<-\EOT &&
	first_name,last_name,email,phone,lang,sms_status,email_status
	Ana,Pérez,ana@example.net,919-555-0101,es,,
	Bo,Li,bo@example.net,919-555-0102,en,,
	Cy,Ott,cy@example.net,919-555-0103,en,opted_out,
	Di,Pe,di@example.net,919-555-0104,en,,opted_out
	EOT
	st-import p.csv >/dev/null &&
	[ "$(q "SELECT group_concat(coalesce(sms_status, \"-\") || coalesce(email_status, \"-\")) FROM contacts")" = "--,--,opted_out-,-opted_out" ] &&
	st-event create --title "Canvass, Flatbush" --tz America/New_York --location "1 Main St" >/dev/null &&
	st-event add-shift 1 --start "2099-06-06 14:00" --end "2099-06-06 17:00" >/dev/null &&
	for c in 1 2 3 4; do st-event rsvp 1 $c >/dev/null || return 1; done
'
# The server runs for the whole script (not in a test's subshell, so the URL stays set).
smtp_start || echo "# could not start the SMTP server"
test_expect_success 'the SMTP server listens' '[ -n "${ST_SMTP_URL:-}" ]'

test_expect_success 'a tick confirms new RSVPs once: e-mail with invite and text, opt-outs skipped' '
	$R --now "2099-06-01 12:00" --explain >ex &&
	keys >k1 &&
	cat >want <<-\EOT &&
	remind:rsvp=1:kind=confirm:seq=0:ch=email
	remind:rsvp=1:kind=confirm:seq=0:ch=sms
	remind:rsvp=2:kind=confirm:seq=0:ch=email
	remind:rsvp=2:kind=confirm:seq=0:ch=sms
	remind:rsvp=3:kind=confirm:seq=0:ch=email
	remind:rsvp=4:kind=confirm:seq=0:ch=sms
	EOT
	test_cmp want k1 &&
	test_grep "rsvp=3:kind=confirm:seq=0:ch=sms,skipped,opted out of texts" ex &&
	test_grep "rsvp=4:kind=confirm:seq=0:ch=email,skipped,opted out of e-mail" ex &&
	$R --now "2099-06-01 12:05" --explain >ex2 && keys >k2 && test_cmp k1 k2 &&
	[ "$(q "SELECT count(*) FROM remind_pending")" = 0 ]
'

test_expect_success 'e-mail goes to the SMTP server; each invite parses with the right fields' '
	st-remind --tz America/New_York --now "2099-06-01 12:06" -v 2>err &&
	test_grep "3 sent" err &&
	[ "$(ls smtp/mail/*.eml | wc -l)" = 3 ] &&
	$PARSE smtp/mail/*.eml >mails.json &&
	jq -e -s "length == 3 and all(.[]; .parts == [\"text/plain\", \"text/calendar\", \"application/ics\"])" mails.json &&
	jq -e -s "all(.[]; .calendars[] | .method == \"REQUEST\" and .sequence == 0 and
	    .start == \"2099-06-06T18:00:00Z\" and .end == \"2099-06-06T21:00:00Z\" and
	    .summary == \"Canvass, Flatbush\" and .organizer == \"mailto:field@example.org\")" mails.json &&
	jq -e -s "[.[] | .calendars[0].attendee] | sort == [\"mailto:ana@example.net\", \"mailto:bo@example.net\", \"mailto:cy@example.net\"]" mails.json &&
	jq -e -s "[.[] | select(.to == \"Ana Pérez <ana@example.net>\")] | .[0].subject | startswith(\"Inscripción confirmada\")" mails.json &&
	jq -e -s "[.[] | .calendars[0].uid] | unique | length == 3" mails.json &&
	[ "$(q "SELECT count(*) FROM messages WHERE channel = \"email\" AND status = \"sent\"")" = 3 ] &&
	st-remind --tz America/New_York --now "2099-06-01 12:07" && [ "$(ls smtp/mail/*.eml | wc -l)" = 3 ]
'

test_expect_success 'the confirm link in the e-mail works with st-event confirm' '
	link=$(jq -r -s "[.[] | select(.to | contains(\"bo@\"))][0].text" mails.json | sed -n "s/^Can.t come: //p; s/^Confirm: //p" | head -1 | tr -d "\r") &&
	case $link in https://example.org/rsvp\?action=confirm\&token=*) ;; *) echo "$link"; false ;; esac &&
	st-event confirm --token "${link#*token=}" >out && echo "2,confirmed" >want && test_cmp want out
'

test_expect_success 'reminders: e-mail a day before, text the evening before at 18:00, text 2 hours before' '
	$R --now "2099-06-05 13:00" --explain >ex && test_must_fail test_grep "queued" ex &&
	$R --now "2099-06-05 14:02" --explain >ex &&
	[ "$(grep -c ",queued," ex)" = 3 ] && test_grep "rsvp=1:kind=email-1d:start=2099-06-06T18:00:00Z:ch=email,queued" ex &&
	$R --now "2099-06-05 17:59" --explain >ex && test_must_fail test_grep ",queued," ex &&
	$R --now "2099-06-05 18:03" --explain >ex && [ "$(grep -c "kind=sms-eve1800.*,queued," ex)" = 3 ] &&
	$R --now "2099-06-06 12:01" --explain >ex && [ "$(grep -c "kind=sms-2h.*,queued," ex)" = 3 ] &&
	$R --now "2099-06-06 12:06" --explain >ex && test_must_fail test_grep ",queued," ex &&
	[ "$(q "SELECT count(*) FROM messages WHERE idem_key LIKE \"%sms-2h%\"")" = 3 ]
'

test_expect_success 'never late: nothing after the start, nothing past the grace' '
	st-event add-shift 1 --start "2099-06-10 10:00" --end "2099-06-10 12:00" >s2 &&
	st-event rsvp "$(cat s2)" 2 >/dev/null &&
	$R --now "2099-06-10 10:01" --explain >ex && test_must_fail test_grep ",queued," ex &&
	test_grep "the shift started" ex &&
	[ "$(q "SELECT count(*) FROM messages WHERE idem_key LIKE \"remind:rsvp=5:%\"")" = 0 ]
'

test_expect_success 'a late sign-up gets the confirmation and what is still ahead' '
	st-event add-shift 1 --start "2099-06-12 15:00" --end "2099-06-12 17:00" >s3 &&
	st-event rsvp "$(cat s3)" 2 >/dev/null &&
	q "UPDATE rsvps SET created_at = \"2099-06-12T16:00:00Z\" WHERE id = 6" &&
	$R --now "2099-06-12 11:55" --explain >ex && test_must_fail test_grep ",queued," ex &&
	$R --now "2099-06-12 12:00" --explain >ex &&
	test_grep "rsvp=6:kind=confirm:seq=0:ch=email,queued" ex &&
	$R --now "2099-06-12 13:01" --explain >ex &&
	test_grep "rsvp=6:kind=sms-2h:.*,queued" ex &&
	[ "$(q "SELECT count(*) FROM messages WHERE idem_key LIKE \"remind:rsvp=6:kind=email-1d%\" OR idem_key LIKE \"remind:rsvp=6:kind=sms-eve%\"")" = 0 ]
'

test_expect_success 'a moved shift re-sends the invite: same UID, SEQUENCE 1' '
	st-event add-shift 1 --start "2099-07-01 10:00" --end "2099-07-01 12:00" >s4 &&
	st-event rsvp "$(cat s4)" 1 >/dev/null &&
	st-remind --tz America/New_York --now "2099-06-20 12:00" &&
	st-event edit-shift "$(cat s4)" --start "2099-07-01 11:00" --end "2099-07-01 13:00" &&
	st-remind --tz America/New_York --now "2099-06-20 12:05" --explain >ex &&
	test_grep "rsvp=7:kind=update:seq=1:ch=email,queued" ex &&
	test_grep "rsvp=7:kind=update:seq=1:ch=sms,queued" ex &&
	ls -t smtp/mail/*.eml | head -2 >last &&
	$PARSE $(cat last) >m.json &&
	jq -e -s "sort_by(.calendars[0].sequence) | .[0].calendars[0].uid == .[1].calendars[0].uid and
	    .[0].calendars[0].sequence == 0 and .[1].calendars[0].sequence == 1 and
	    .[1].calendars[0].start == \"2099-07-01T15:00:00Z\"" m.json
'

test_expect_success 'a cancelled RSVP gets METHOD:CANCEL and a text, then nothing more' '
	st-event cancel "$(cat s4)" 1 &&
	st-remind --tz America/New_York --now "2099-06-21 12:00" --explain >ex &&
	test_grep "rsvp=7:kind=cancel:seq=2:ch=email,queued" ex &&
	test_grep "rsvp=7:kind=cancel:seq=2:ch=sms,queued" ex &&
	$PARSE "$(ls -t smtp/mail/*.eml | head -1)" >m.json &&
	jq -e ".calendars[0] | .method == \"CANCEL\" and .status == \"CANCELLED\" and .sequence == 2" m.json &&
	$R --now "2099-06-30 12:00" --explain >ex && $R --now "2099-07-01 09:00" --explain >>ex &&
	test_must_fail grep "rsvp=7:.*,queued," ex
'

test_expect_success 'a cancelled shift tells everyone on it' '
	st-event add-shift 1 --start "2099-08-01 10:00" --end "2099-08-01 12:00" >s5 &&
	st-event rsvp "$(cat s5)" 1 >/dev/null && st-event rsvp "$(cat s5)" 2 >/dev/null &&
	$R --now "2099-07-20 12:00" && st-event cancel-shift "$(cat s5)" &&
	$R --now "2099-07-20 12:05" --explain >ex &&
	[ "$(grep -c "kind=cancel:seq=1:ch=email,queued" ex)" = 2 ]
'

test_expect_success 'dry run lists what would go and queues nothing' '
	st-event add-shift 1 --start "2099-09-01 10:00" --end "2099-09-01 12:00" >s6 &&
	st-event rsvp "$(cat s6)" 2 >/dev/null &&
	n=$(q "SELECT count(*) FROM messages") &&
	$R --now "2099-08-20 12:00" --dry-run >ex &&
	test_grep "kind=confirm:seq=0:ch=email,would queue" ex &&
	[ "$(q "SELECT count(*) FROM messages")" = "$n" ] &&
	[ "$(q "SELECT count(*) FROM remind_pending")" = 1 ]
'

test_expect_success 'two ticks at once queue each message once, and SMTP gets each once' '
	for c in 1 3; do st-event rsvp "$(cat s6)" $c >/dev/null || return 1; done &&
	st-remind --tz America/New_York --now "2099-08-20 12:00" & p1=$!
	st-remind --tz America/New_York --now "2099-08-20 12:00" & p2=$!
	wait $p1 && wait $p2 &&
	[ "$(q "SELECT count(*) FROM messages WHERE idem_key LIKE \"remind:rsvp=%:kind=confirm:seq=0:ch=email\" AND idem_key IN (SELECT \"remind:rsvp=\" || id || \":kind=confirm:seq=0:ch=email\" FROM rsvps WHERE shift_id = $(cat s6))")" = 3 ] &&
	[ "$(q "SELECT count(*) FROM messages WHERE channel = \"email\" AND status = \"sent\"")" = "$(ls smtp/mail/*.eml | wc -l)" ] &&
	[ "$(q "SELECT count(*) FROM messages WHERE channel = \"email\" AND status <> \"sent\"")" = 0 ]
'

test_expect_success 'SMTP 4xx is retried later, 5xx fails for good' '
	st-event add-shift 1 --start "2099-10-01 10:00" --end "2099-10-01 12:00" >s7 &&
	st-event rsvp "$(cat s7)" 2 >/dev/null &&
	echo "451 4.3.0 try again later" >smtp/reply &&
	st-remind --tz America/New_York --now "2099-09-20 12:00" -v 2>err || true;
	id=$(q "SELECT id FROM messages WHERE idem_key LIKE \"remind:rsvp=%:kind=confirm:seq=0:ch=email\" ORDER BY id DESC LIMIT 1") &&
	[ "$(q "SELECT status || \" \" || attempts FROM messages WHERE id = $id")" = "queued 1" ] &&
	echo "550 5.1.1 no such user" >smtp/reply &&
	q "UPDATE messages SET not_before = \"2000-01-01T00:00:00Z\" WHERE id = $id" &&
	st-remind --tz America/New_York --now "2099-09-20 12:10" -v 2>err || true;
	[ "$(q "SELECT status FROM messages WHERE id = $id")" = failed ] &&
	rm smtp/reply
'

test_expect_success 'the weekly digest: one message per person with two shifts or more, listing them' '
	st-event add-shift 1 --start "2099-11-04 10:00" --end "2099-11-04 12:00" >a &&
	st-event add-shift 1 --start "2099-11-06 10:00" --end "2099-11-06 12:00" >b &&
	st-event add-shift 1 --start "2099-11-04 14:00" --end "2099-11-04 16:00" >c &&
	st-event rsvp "$(cat a)" 2 >/dev/null && st-event rsvp "$(cat b)" 2 >/dev/null &&
	st-event rsvp "$(cat c)" 2 >/dev/null &&
	st-event rsvp "$(cat a)" 4 >/dev/null && st-event rsvp "$(cat b)" 4 >/dev/null &&
	st-event rsvp "$(cat c)" 4 >/dev/null &&
	st-event rsvp "$(cat a)" 1 >/dev/null &&
	$R --rules none --now "2099-11-01 12:00" >/dev/null &&
	$R --rules none --now "2099-11-02 08:59" --explain >ex && test_must_fail grep "digest" ex &&
	$R --rules none --now "2099-11-02 09:03" --explain >ex &&
	[ "$(grep -c "remind:digest:.*,queued," ex)" = 2 ] &&
	test_grep "remind:digest:contact=2:at=2099-11-02T14:00:00Z:ch=email,queued" ex &&
	test_grep "remind:digest:contact=4:at=2099-11-02T14:00:00Z:ch=sms,queued" ex &&
	test_grep "remind:digest:contact=1:at=2099-11-02T14:00:00Z,skipped,one shift" ex &&
	q "SELECT body FROM messages WHERE idem_key LIKE \"remind:digest:contact=4:%\"" >sms &&
	test_grep "2099-11-04 10:00 Canvass, Flatbush; 2099-11-04 14:00 Canvass, Flatbush; 2099-11-06 10:00 Canvass" sms &&
	$R --rules none --now "2099-11-02 09:08" --explain >ex && test_must_fail grep ",queued," ex
'

test_expect_success 'what a digest listed gets one day-before reminder per person and day; 2 hours before stays per shift' '
	$R --now "2099-11-03 10:01" --explain >ex &&
	test_grep "remind:day:contact=2:kind=email-1d:day=2099-11-04:ch=email,queued" ex &&
	test_grep "remind:rsvp=$(q "SELECT id FROM rsvps WHERE contact_id = 1 AND shift_id = $(cat a)"):kind=email-1d:.*,queued" ex &&
	[ "$(grep -c ",queued," ex)" = 2 ] &&
	$R --now "2099-11-03 14:01" --explain >ex && test_must_fail grep ",queued," ex &&
	$R --now "2099-11-03 18:01" --explain >ex &&
	test_grep "remind:day:contact=2:kind=sms-eve1800:day=2099-11-04:ch=sms,skipped,phone cannot" ex &&
	test_grep "remind:day:contact=4:kind=sms-eve1800:day=2099-11-04:ch=sms,queued" ex &&
	[ "$(grep -c ",queued," ex)" = 2 ] &&
	q "SELECT body FROM messages WHERE idem_key = \"remind:day:contact=4:kind=sms-eve1800:day=2099-11-04:ch=sms\"" >sms &&
	test_grep "your shifts on 2099-11-04: 2099-11-04 10:00 Canvass, Flatbush; 2099-11-04 14:00 Canvass, Flatbush. Reply 1" sms &&
	[ "$(q "SELECT count(*) FROM remind_asks a JOIN messages m ON m.id = a.message_id WHERE m.idem_key LIKE \"remind:day:contact=4:%\"")" = 2 ] &&
	$R --now "2099-11-04 08:01" --explain >ex &&
	[ "$(grep -c "kind=sms-2h.*,skipped,quiet hours" ex)" = 2 ] &&
	$R --now "2099-11-04 12:01" --explain >ex &&
	test_grep "remind:rsvp=$(q "SELECT id FROM rsvps WHERE contact_id = 4 AND shift_id = $(cat c)"):kind=sms-2h:.*,queued" ex &&
	[ "$(grep -c ",queued," ex)" = 1 ]
'

test_done
