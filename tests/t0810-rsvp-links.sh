#!/bin/sh
# Confirm and cancel links: per-RSVP signed, expiring tokens applied by
# st-event confirm --token and cancel --token.
. "$(dirname "$0")/lib.sh"
export ST_DB=$TRASH/st.db
TOKEN=$TOP/$ST_BUILD/tools/rsvptoken
FUTURE=4102444800   # 2100-01-01

test_expect_success 'set up people, a shift of two places, RSVPs and a secret' '
	mkdir -p .config/st &&
	(umask 077 && head -c 32 /dev/urandom >.config/st/secret) &&
	printf "first_name,email\nAna,ana@example.org\nBo,bo@example.org\nCy,cy@example.org\nDee,dee@example.org\n" >p.csv &&
	st-import p.csv >/dev/null &&
	st-event create --title Canvass --tz America/New_York >/dev/null &&
	st-event add-shift 1 --start "2099-11-07 09:00" --end "2099-11-07 12:00" --capacity 3 &&
	st-event rsvp 1 1 --status maybe && st-event rsvp 1 2 && st-event rsvp 1 3 &&
	[ "$(sqlite3 "$ST_DB" "SELECT group_concat(id || status, \" \") FROM rsvps")" = "1maybe 2yes 3yes" ]
'

test_expect_success 'a confirm token confirms its RSVP (a maybe becomes a yes)' '
	t=$("$TOKEN" "$ST_DB" confirm 1 $FUTURE) &&
	st-event confirm --token "$t" >out &&
	echo "1,confirmed" >want && test_cmp want out &&
	[ "$(sqlite3 "$ST_DB" "SELECT status || confirmed FROM rsvps WHERE id = 1")" = yes1 ] &&
	st-event rsvp 1 4 && [ "$(sqlite3 "$ST_DB" "SELECT status FROM rsvps WHERE id = 4")" = waitlisted ]
'

test_expect_success 'a confirm token does not cancel, and is for its RSVP only' '
	t=$("$TOKEN" "$ST_DB" confirm 2 $FUTURE) &&
	test_exit 3 st-event cancel --token "$t" 2>err && test_grep "token refused" err &&
	test_one_line err &&
	[ "$(sqlite3 "$ST_DB" "SELECT status || confirmed FROM rsvps WHERE id = 2")" = yes0 ]
'

test_expect_success 'a cancel token cancels, and the waitlist moves up' '
	t=$("$TOKEN" "$ST_DB" cancel 2 $FUTURE) &&
	st-event cancel --token "$t" >out && echo "2,cancelled" >want && test_cmp want out &&
	[ "$(sqlite3 "$ST_DB" "SELECT group_concat(id || status, \" \") FROM rsvps")" = "1yes 2cancelled 3yes 4yes" ] &&
	st-event cancel --token "$t" >out && echo "2,already cancelled" >want && test_cmp want out
'

test_expect_success 'a cancelled RSVP cannot be confirmed' '
	t=$("$TOKEN" "$ST_DB" confirm 2 $FUTURE) &&
	test_exit 3 st-event confirm --token "$t" 2>err && test_grep "is cancelled" err
'

test_expect_success 'expired, altered, foreign-secret and revoked tokens are refused' '
	t=$("$TOKEN" "$ST_DB" confirm 3 1000000000) &&
	test_exit 3 st-event confirm --token "$t" 2>err && test_grep "expired" err &&
	t=$("$TOKEN" "$ST_DB" confirm 3 $FUTURE) &&
	bad=$(printf %s "$t" | sed "s/.\$/A/; t; s/.\$/B/") && [ "$bad" != "$t" ] || bad=${t%?}B &&
	test_exit 3 st-event confirm --token "$bad" 2>err && test_grep "token refused" err &&
	test_exit 3 st-event confirm --token "x.y" 2>err && test_grep "token refused" err &&
	other=$(ST_SECRET_FILE=/dev/null; mkdir -p o && (umask 077 && head -c 32 /dev/urandom >o/s) &&
	    ST_SECRET_FILE=$PWD/o/s "$TOKEN" "$ST_DB" confirm 3 $FUTURE) &&
	test_exit 3 st-event confirm --token "$other" 2>err && test_grep "token refused" err &&
	st-refmap revoke 3 >/dev/null &&
	test_exit 3 st-event confirm --token "$t" 2>err && test_grep "revoked" err &&
	[ "$(sqlite3 "$ST_DB" "SELECT confirmed FROM rsvps WHERE id = 3")" = 0 ]
'

test_expect_success 'usage: confirm needs --token; cancel takes operands or --token' '
	test_exit 2 st-event confirm 2>err &&
	test_exit 2 st-event cancel 2>err && test_grep "SHIFT and CONTACT" err &&
	test_exit 2 st-event cancel 1 --token x 2>err
'

test_done
