#!/bin/sh
# Invites and their e-mail, read back by real parsers: Python's email package
# and python3-icalendar (see tests/peers/parsemail.py).
. "$(dirname "$0")/lib.sh"
MKINVITE=$TOP/$ST_BUILD/tools/mkinvite
PARSE="/usr/bin/python3 $TOP/tests/peers/parsemail.py"

if ! /usr/bin/python3 -c 'import icalendar' 2>/dev/null; then
	test_skip 'invites parse' 'python3-icalendar is missing (scripts/deps test)'
	test_done
	exit
fi

long='Canvass, Flatbush; ñandú café — a summary long enough to be folded at seventy-five octets 😀😀😀'
test_expect_success 'an invite e-mail parses, fields intact' '
	"$MKINVITE" REQUEST 3 1793455200 1793466000 "$long" "Café Olé, 1 Main St" \
	    "Line one
Line two; with, punctuation \\ and more" "Ana Pérez" ana@example.net >m.eml &&
	$PARSE m.eml >got.json &&
	jq -e ".parts == [\"text/plain\", \"text/calendar\", \"application/ics\"]" got.json &&
	jq -e ".calendars | length == 2" got.json &&
	jq -e --arg s "$long" "[.calendars[] | .summary == \$s] | all" got.json &&
	jq -e ".calendars[0] | .method == \"REQUEST\" and .content_method == \"REQUEST\" and
	    .start == \"2026-10-31T14:00:00Z\" and .end == \"2026-10-31T17:00:00Z\" and
	    .tzstart == \"UTC\" and .sequence == 3 and .attendee == \"mailto:ana@example.net\" and
	    .attendee_cn == \"Ana Pérez\" and .location == \"Café Olé, 1 Main St\" and
	    .description == \"Line one\nLine two; with, punctuation \\\\ and more\" and
	    .version == \"2.0\" and .uid == \"rsvp-1@example.org\"" got.json &&
	jq -e ".subject == \$s and .to == \"Ana Pérez <ana@example.net>\"" --arg s "$long" got.json
'

test_expect_success 'a cancellation parses as METHOD:CANCEL, STATUS:CANCELLED' '
	"$MKINVITE" CANCEL 4 1793455200 1793466000 "Canvass" "" "" "Bo" bo@example.net >c.eml &&
	$PARSE c.eml >got.json &&
	jq -e ".calendars[0] | .method == \"CANCEL\" and .status == \"CANCELLED\" and
	    .sequence == 4 and .content_method == \"CANCEL\"" got.json
'

test_expect_success 'invalid input is refused' '
	test_must_fail "$MKINVITE" PUBLISH 0 1793455200 1793466000 x "" "" n a@b.c &&
	test_must_fail "$MKINVITE" REQUEST 0 1793455200 1793455200 x "" "" n a@b.c
'

test_done
