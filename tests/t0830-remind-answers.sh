#!/bin/sh
# Text answers to st-remind's texts, through st-text sync and the webhook against
# the project's fake Twilio on 127.0.0.1: 1/YES confirms, 2/NO cancels (the
# waitlist moves up), each acknowledged once; YES from someone opted out is START.
. "$(dirname "$0")/lib.sh"
export ST_DB=$TRASH/st.db
SID=AC0123456789abcdef0123456789abcdef
TOKEN=tok-answers-$$
export TWILIO_ACCOUNT_SID=$SID TWILIO_AUTH_TOKEN=$TOKEN ST_TEXT_FROM=+19195550100
. "$TOP/tests/peers/twilio.sh"
twilio_start "$SID" "$TOKEN"
R="st-remind --tz America/New_York --no-send --digest none"
D="st-text deliver --hours 00:00-00:00 --rate 0"
q() { sqlite3 "$ST_DB" "$1"; }
inbound() { curl -sf --data-urlencode "From=$1" --data-urlencode "To=+19195550100" \
	--data-urlencode "Body=$2" "http://127.0.0.1:$PORT/_inbound" >/dev/null; }
sent_to() {
	curl -sf "http://127.0.0.1:$PORT/_messages" | jq -r --arg to "$1" \
		'.[] | select(.direction == "outbound-api" and .to == $to) | .body'
}

test_expect_success 'set up people, shifts (one full, with a waitlist) and confirmation texts' '
	[ -n "$PORT" ] &&
	cat >p.csv <<-\EOT &&
	first_name,last_name,phone,lang,sms_status
	Ana,Pérez,919-555-0101,es,
	Bo,Li,919-555-0102,en,
	Cy,Ott,919-555-0103,en,
	Di,Pe,919-555-0104,en,
	Ed,Fox,919-555-0105,en,
	EOT
	st-import p.csv >/dev/null &&
	st-event create --title Canvass --tz America/New_York >/dev/null &&
	st-event add-shift 1 --start "2099-06-06 14:00" --end "2099-06-06 17:00" >s1 &&
	st-event add-shift 1 --start "2099-06-07 10:00" --end "2099-06-07 12:00" --capacity 1 >s2 &&
	st-event rsvp "$(cat s1)" 1 --status maybe >/dev/null &&
	st-event rsvp "$(cat s2)" 2 >/dev/null &&
	st-event rsvp "$(cat s2)" 4 >/dev/null &&
	st-event rsvp "$(cat s1)" 3 >/dev/null &&
	st-event rsvp "$(cat s1)" 5 >/dev/null &&
	[ "$(q "SELECT group_concat(status) FROM (SELECT status FROM rsvps ORDER BY id)")" = "maybe,yes,waitlisted,yes,yes" ] &&
	$R --now "2099-06-01 12:00" &&
	[ "$(q "SELECT count(*) FROM remind_asks")" = 4 ] &&
	test_grep "Reply 1 to confirm, 2 to cancel" "$TOP/share/templates/en/reminder.sms" &&
	test_grep "Reply 1 to confirm, 2 to cancel" "$TOP/share/templates/en/confirm.sms" &&
	test_grep "Responde 1 para confirmar, 2 para cancelar" "$TOP/share/templates/es/reminder.sms"
'

test_expect_success 'an answer before the text went out is just a message' '
	inbound +19195550105 1 && st-text sync >out && test_grep "^received 1," out &&
	[ "$(q "SELECT handled_at IS NULL FROM messages WHERE direction = \"in\" AND contact_id = 5")" = 1 ] &&
	[ "$(q "SELECT count(*) FROM messages WHERE idem_key LIKE \"answer:%\"")" = 0 ] &&
	$D >out && test_grep "^sent 4," out
'

test_expect_success 'sync: SÍ confirms, 2 cancels and promotes the waitlist, YES opted out is START' '
	q "UPDATE contacts SET sms_status = \"opted_out\" WHERE id = 3" &&
	inbound +19195550101 " Sí " &&
	inbound +19195550102 "2" &&
	inbound +19195550103 "yes" &&
	inbound +19195550105 "Yes please, and can I bring a friend?" &&
	st-text sync >out && test_grep "^received 4," out &&
	[ "$(q "SELECT status || confirmed FROM rsvps WHERE id = 1")" = yes1 ] &&
	[ "$(q "SELECT status FROM rsvps WHERE id = 2")" = cancelled ] &&
	[ "$(q "SELECT status FROM rsvps WHERE id = 3")" = yes ] &&
	[ "$(q "SELECT status || confirmed FROM rsvps WHERE id = 4")" = yes0 ] &&
	[ "$(q "SELECT sms_status FROM contacts WHERE id = 3")" = opted_in ] &&
	[ "$(q "SELECT count(*) FROM messages WHERE direction = \"in\" AND handled_at IS NULL")" = 2 ] &&
	q "SELECT to_addr || \" \" || body FROM messages WHERE idem_key LIKE \"answer:twilio:%\" ORDER BY to_addr" >got &&
	cat >want <<-\EOT &&
	+19195550101 Gracias, tu asistencia está confirmada: Canvass 2099-06-06 14:00. Responde 2 si ya no puedes venir.
	+19195550102 Thanks for letting us know. You are no longer signed up: Canvass 2099-06-07 10:00.
	EOT
	test_cmp want got &&
	q "DELETE FROM message_sync" && st-text sync >out && test_grep "^received 0," out &&
	[ "$(q "SELECT count(*) FROM messages WHERE idem_key LIKE \"answer:%\"")" = 2 ] &&
	$D >out && test_grep "^sent 2," out &&
	sent_to +19195550102 | grep -c "no longer signed up" >n && echo 1 >one && test_cmp one n
'

test_expect_success 'an answer goes to the latest text that asked about a live RSVP, then none is left' '
	st-event add-shift 1 --start "2099-06-08 10:00" --end "2099-06-08 12:00" >s3 &&
	st-event rsvp "$(cat s3)" 5 >/dev/null &&
	$R --now "2099-06-01 12:10" && $D >/dev/null &&
	inbound +19195550105 NO && st-text sync >/dev/null &&
	[ "$(q "SELECT status FROM rsvps WHERE shift_id = $(cat s3) AND contact_id = 5")" = cancelled ] &&
	[ "$(q "SELECT status FROM rsvps WHERE id = 5")" = yes ] &&
	inbound +19195550105 NO && st-text sync >/dev/null &&
	[ "$(q "SELECT status FROM rsvps WHERE id = 5")" = cancelled ] &&
	inbound +19195550105 y && st-text sync >/dev/null &&
	[ "$(q "SELECT handled_at IS NULL FROM messages WHERE direction = \"in\" AND contact_id = 5 ORDER BY id DESC LIMIT 1")" = 1 ]
'

sign() { twilio_sign "$TOKEN" "$@"; }

test_expect_success 'the webhook: 1 confirms, once however often it is posted; templates override' '
	mkdir -p tmpl/en && echo "OK {shifts}" >tmpl/en/answer-confirm.sms &&
	url=https://example.org/sms &&
	body="MessageSid=SManswer1&From=%2B19195550104&To=%2B19195550100&Body=1" &&
	$R --now "2099-06-01 12:20" && $D >/dev/null &&
	[ "$(q "SELECT count(*) FROM remind_asks WHERE rsvp_id = 3")" = 1 ] &&
	sig=$(sign $url MessageSid=SManswer1 From=+19195550104 To=+19195550100 Body=1) &&
	for i in 1 2; do
		printf %s "$body" | CONTENT_LENGTH=${#body} HTTP_X_TWILIO_SIGNATURE=$sig \
			ST_TEMPLATES=$TRASH/tmpl st-text webhook --url $url >/dev/null || return 1
	done &&
	[ "$(q "SELECT status || confirmed FROM rsvps WHERE id = 3")" = yes1 ] &&
	[ "$(q "SELECT body FROM messages WHERE idem_key = \"answer:twilio:SManswer1\"")" = "OK Canvass 2099-06-07 10:00" ]
'

test_done
