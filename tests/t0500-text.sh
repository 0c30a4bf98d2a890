#!/bin/sh
# st-text against the project's fake Twilio on 127.0.0.1 (tests/peers/fake_twilio.py):
# blasts, exactly-once under re-runs, kill -9 and concurrent senders, throttling,
# retries, reconciliation, permanent errors, sending hours, sync, the webhook, the inbox.
. "$(dirname "$0")/lib.sh"
export ST_DB=$TRASH/st.db TERM=dumb
SID=AC0123456789abcdef0123456789abcdef
TOKEN=tok-not-for-print-$$
export TWILIO_ACCOUNT_SID=$SID TWILIO_AUTH_TOKEN=$TOKEN ST_TEXT_FROM=+19195550100
ALL="--hours 00:00-00:00"
. "$TOP/tests/peers/twilio.sh"
twilio_start "$SID" "$TOKEN"
HOOK=http://127.0.0.1:$PORT

# posts [PYTHON-CONDITION]: the POSTs the fake received (that match), one JSON a line.
posts() {
	touch "$FAKE/posts.jsonl"
	/usr/bin/python3 -c '
import json, sys
for l in open(sys.argv[1]):
    p = json.loads(l)
    if eval(sys.argv[2]):
        print(json.dumps(p))' "$FAKE/posts.jsonl" "${1:-True}"
}
count() { posts "$@" | wc -l | tr -d " "; }
q() { sqlite3 "$ST_DB" "$1"; }
inbound() { curl -sf --data-urlencode "From=$1" --data-urlencode "To=${3:-+19195550100}" \
	--data-urlencode "Body=$2" "$HOOK/_inbound" >/dev/null; }

test_expect_success 'set up contacts and the fake provider' '
	[ -n "$PORT" ] &&
	cat >people.csv <<-\EOT &&
	first_name,last_name,phone,email,lang
	Ana,Reyes,919-555-0101,ana@example.org,en
	Bo,Li,919-555-0102,bo@example.org,es
	Cy,Ott,919-555-0103,cy@example.org,
	Di,Pe,,di@example.org,en
	EOT
	st-import people.csv >/dev/null
'

test_expect_success 'a blast renders per language, reports segments first, sends once each' '
	st-query -c id | st-text send -m "Hi {first_name}, text STOP to opt out" \
		--lang-message "es:Hola {first_name}, responde STOP" --campaign spring $ALL --rate 0 >out &&
	test_grep "^read 4: queued 3, already queued or sent 0, skipped 1 (.*no phone 1" out &&
	test_grep "^segments 3 in 3 messages, at most 1 a message; GSM-7 3, UCS-2 0" out &&
	test_grep "^sent 3, failed 0" out &&
	head -1 out | grep -q "^read" &&
	posts | /usr/bin/python3 -c "import json,sys; print(\"\\n\".join(sorted(json.loads(l)[\"to\"] + \" \" + json.loads(l)[\"body\"] for l in sys.stdin)))" >got &&
	cat >expect <<-\EOT &&
	+19195550101 Hi Ana, text STOP to opt out
	+19195550102 Hola Bo, responde STOP
	+19195550103 Hi Cy, text STOP to opt out
	EOT
	test_cmp expect got &&
	[ "$(count "p[\"fields\"] == [\"Body\", \"From\", \"To\"]")" = 3 ] &&
	[ "$(q "SELECT count(*) FROM messages WHERE status = '\''sent'\'' AND provider_id LIKE '\''SM%'\'' AND idem_key LIKE '\''blast:campaign=spring:contact=%'\''")" = 3 ]
'

test_expect_success 're-running the campaign sends nothing' '
	st-query -c id,phone | st-text send -m "Hi {first_name}, text STOP to opt out" --campaign spring $ALL --rate 0 >out &&
	test_grep "^read 4: queued 0, already queued or sent 3" out &&
	test_grep "^sent 0," out &&
	[ "$(count)" = 3 ]
'

test_expect_success 'a dry run writes what would be sent and queues nothing' '
	n=$(q "SELECT count(*) FROM messages") &&
	st-query -c id,first_name | st-text send --dry-run -m "{first_name}: STOP? {{ok}}" $ALL >out &&
	test_grep "^{\"id\":1,\"key\":\"send:run=.*\"to\":\"+19195550101\",\"body\":\"Ana: STOP? {ok}\"" out &&
	test_grep "^read 4: would queue 3" out &&
	[ "$(q "SELECT count(*) FROM messages")" = "$n" ] && [ "$(count)" = 3 ]
'

test_expect_success 'UCS-2 and segments are counted before sending' '
	long=$(printf "x%.0s" $(seq 65)) &&
	st-query -c id | st-text send --dry-run -m "$long STOP 👍" $ALL >out &&
	test_grep "^segments 6 in 3 messages, at most 2 a message; GSM-7 0, UCS-2 3" out &&
	st-query -c id | st-text send --dry-run -m "[$long$long] STOP" $ALL >out &&
	test_grep "^segments 3 in 3 messages, at most 1 a message; GSM-7 3" out &&
	st-query -c id | st-text send --dry-run -m "€$long$long$long STOP" $ALL >out &&
	test_grep "at most 2 a message; GSM-7 3" out
'

test_expect_success 'missing fields skip the recipient; a default fills in' '
	printf "first_name,phone\n,919-555-0104\n" | st-import >/dev/null &&
	st-query -c id --id 5 | st-text send --dry-run -m "Hi {first_name}, STOP to end" $ALL >out &&
	test_grep "missing field 1: first_name" out &&
	st-query -c id --id 5 | st-text send --dry-run -m "Hi {first_name|friend}, STOP to end" $ALL >out &&
	test_grep "Hi friend, STOP to end" out &&
	test_exit 3 sh -c "st-query -c id --id 5 | st-text send --dry-run -m \"Hi {first_name\" $ALL" 2>err &&
	test_grep "unterminated field" err
'

test_expect_success 'a first message needs opt-out wording unless overridden' '
	st-query -c id --id 1,5 | st-text send -m "Hello again" $ALL --rate 0 >out &&
	test_grep "queued 1, .*no opt-out wording 1" out &&
	st-query -c id --id 5 | st-text send -m "Hello" --allow-no-stop $ALL --rate 0 >out &&
	test_grep "^read 1: queued 1" out && test_grep "^sent 1," out
'

test_expect_success 'opted-out contacts are refused' '
	st-text opt-out 2 &&
	[ "$(q "SELECT sms_status FROM contacts WHERE id = 2")" = opted_out ] &&
	st-query -c id --id 1,2 | st-text send -m "News. STOP to end" $ALL --rate 0 >out &&
	test_grep "queued 1, .*skipped 1 (opted out 1" out &&
	st-query -c id --sms-ok --id 2 >ids && [ "$(wc -l <ids)" = 1 ]
'

test_expect_success 'outside sending hours a message waits in the queue, also when claimed' '
	h=$(TZ=America/New_York date +%H | sed "s/^0//") &&
	win=$(printf "%02d:00-%02d:00" $(( (h + 2) % 24 )) $(( (h + 3) % 24 ))) &&
	n=$(count) &&
	st-query -c id --id 1 | st-text send -m "Late. STOP to end" --campaign late --hours $win --rate 0 >out &&
	test_grep "held for sending hours 1" out && test_grep "waiting 1" out &&
	[ "$(count)" = "$n" ] &&
	[ "$(q "SELECT status FROM messages WHERE campaign = '\''late'\''")" = queued ] &&
	[ "$(q "SELECT not_before > strftime('\''%Y-%m-%dT%H:%M:%SZ'\'', '\''now'\'') FROM messages WHERE campaign = '\''late'\''")" = 1 ] &&
	q "UPDATE messages SET not_before = '\''2000-01-01T00:00:00Z'\'' WHERE campaign = '\''late'\''" &&
	st-text deliver --hours $win --rate 0 >out && test_grep "^sent 0," out &&
	[ "$(count)" = "$n" ] &&
	[ "$(q "SELECT status || attempts FROM messages WHERE campaign = '\''late'\''")" = queued0 ] &&
	q "UPDATE messages SET not_before = '\''2000-01-01T00:00:00Z'\'' WHERE campaign = '\''late'\''" &&
	st-text deliver $ALL --rate 0 >out && test_grep "^sent 1," out &&
	[ "$(count)" = "$((n + 1))" ]
'

test_expect_success '429 and 503 are retried, honouring Retry-After' '
	n=$(count) &&
	echo "[{\"status\": 429, \"retry_after\": 2}, {\"status\": 503}]" >"$FAKE/faults.json" &&
	st-query -c id --id 1 | st-text send -m "Retry. STOP to end" --campaign retry $ALL --rate 0 >out &&
	test_grep "^sent 1, failed 0 .* retried 2" out &&
	posts "p[\"body\"] == \"Retry. STOP to end\"" >p &&
	[ "$(wc -l <p)" = 3 ] &&
	/usr/bin/python3 -c "
import json; p = [json.loads(l) for l in open(\"p\")]
assert [x[\"result\"] for x in p] == [429, 503, \"created\"], p
assert p[1][\"t\"] - p[0][\"t\"] >= 1.95, p" &&
	[ "$(q "SELECT status || attempts FROM messages WHERE campaign = '\''retry'\''")" = sent3 ]
'

test_expect_success 'a 500 after the message was made is reconciled, not resent' '
	echo "[{\"status\": 500, \"create\": true}]" >"$FAKE/faults.json" &&
	st-query -c id --id 1 | st-text send -m "Five hundred. STOP to end" --campaign r500 $ALL --rate 0 >out &&
	test_grep "^sent 1, .*reconciled 1" out &&
	[ "$(count "p[\"body\"].startswith(\"Five hundred\")")" = 1 ] &&
	sid=$(posts "p[\"body\"].startswith(\"Five hundred\")" | sed "s/.*\"sid\": \"\\([^\"]*\\)\".*/\\1/") &&
	[ "$(q "SELECT provider_id FROM messages WHERE campaign = '\''r500'\''")" = "$sid" ]
'

test_expect_success 'a 500 before the message was made is asked about, then resent' '
	echo "[{\"status\": 500}]" >"$FAKE/faults.json" &&
	st-query -c id --id 1 | st-text send -m "Lost. STOP to end" --campaign lost $ALL --rate 0 >out &&
	test_grep "^sent 1, " out &&
	posts "p[\"body\"].startswith(\"Lost\")" >p &&
	[ "$(grep -c created p)" = 1 ] && [ "$(wc -l <p)" = 2 ]
'

test_expect_success 'a timeout once the request was out is reconciled, not resent' '
	echo "[{\"sleep\": 3, \"create\": true}]" >"$FAKE/faults.json" &&
	st-query -c id --id 1 | st-text send -m "Slow. STOP to end" --campaign slow $ALL --rate 0 --timeout 1 >out &&
	test_grep "^sent 1, .*reconciled 1" out &&
	[ "$(count "p[\"body\"].startswith(\"Slow\")")" = 1 ]
'

test_expect_success 'permanent errors are not retried and mark the contact' '
	printf "first_name,phone\nFa,919-555-0106\nGu,919-555-0107\n" | st-import >/dev/null &&
	echo "{\"+19195550103\": 21610, \"+19195550106\": 21211, \"+19195550107\": 21614}" >"$FAKE/numbers.json" &&
	st-query -c id --id 3,6,7 | st-text send -m "Hey. STOP to end" --campaign perm $ALL --rate 0 >out &&
	test_grep "^sent 0, failed 3 (opted out 1, bad number 2)" out &&
	[ "$(count "p[\"body\"] == \"Hey. STOP to end\"")" = 3 ] &&
	[ "$(q "SELECT group_concat(coalesce(sms_status, \"-\") || \"/\" || coalesce(phone_status, \"-\"), \" \") FROM contacts WHERE id IN (3, 6, 7)")" = "opted_out/- -/invalid -/landline" ] &&
	[ "$(q "SELECT group_concat(error_code) FROM messages WHERE campaign = '\''perm'\'' AND status = '\''failed'\''")" = "21610,21211,21614" ] &&
	st-query -c id --id 3,6,7 | st-text send -m "Hey. STOP to end" --campaign perm2 $ALL --rate 0 >out &&
	test_grep "opted out 1, .*bad phone 2" out &&
	[ "$(count "p[\"body\"] == \"Hey. STOP to end\"")" = 3 ] &&
	rm "$FAKE/numbers.json"
'

test_expect_success 'set up many recipients' '
	{ echo first_name,phone; for i in $(seq 200 399); do echo "P$i,+1919555$(printf %04d $i)"; done; } |
		st-import --tag many >/dev/null &&
	[ "$(st-query -H --tag many -c id | wc -l)" = 200 ]
'

test_expect_success 'the rate holds per sending number, across two senders' '
	st-query -c id --tag many | head -13 | st-text send -m "Rate. STOP to end" --campaign rate \
		--queue-only $ALL >out && test_grep "queued 12" out &&
	st-text deliver --rate 4 $ALL >out1 &
	p1=$!
	st-text deliver --rate 4 $ALL >out2 &
	p2=$!

	wait $p1 && wait $p2 &&
	posts "p[\"body\"] == \"Rate. STOP to end\"" >p &&
	[ "$(wc -l <p)" = 12 ] &&
	/usr/bin/python3 -c "
import json; t = sorted(json.loads(l)[\"t\"] for l in open(\"p\"))
span = t[-1] - t[0]
assert 11 / 4 * 0.95 <= span <= 11 / 4 * 1.3, span" &&
	s1=$(sed -n "s/^sent \\([0-9]*\\),.*/\\1/p" out1) && s2=$(sed -n "s/^sent \\([0-9]*\\),.*/\\1/p" out2) &&
	[ $((s1 + s2)) = 12 ]
'

test_expect_success 'two senders at once send each message once' '
	echo 0.02 >"$FAKE/delay" &&
	st-query -c id --tag many | st-text send -m "Both {first_name}. STOP to end" --campaign both \
		--queue-only $ALL >out && test_grep "queued 200" out &&
	st-text deliver --rate 0 --parallel 4 $ALL >out1 &
	p1=$!
	sleep 0.2
	st-text deliver --rate 0 --parallel 4 $ALL >out2 &
	p2=$!

	wait $p1 && wait $p2 &&
	posts "p[\"body\"].startswith(\"Both \")" >p &&
	[ "$(wc -l <p)" = 200 ] &&
	[ "$(sed "s/.*\"to\": \"\\([^\"]*\\)\".*/\\1/" p | sort -u | wc -l)" = 200 ] &&
	[ "$(q "SELECT count(*) FROM messages WHERE campaign = '\''both'\'' AND status = '\''sent'\''")" = 200 ] &&
	s1=$(sed -n "s/^sent \\([0-9]*\\),.*/\\1/p" out1) && s2=$(sed -n "s/^sent \\([0-9]*\\),.*/\\1/p" out2) &&
	cat out1 out2 >&2 &&
	[ $((s1 + s2)) = 200 ] && [ "$s1" -gt 0 ] && [ "$s2" -gt 0 ]
'

test_expect_success 'kill -9 at random points: every recipient gets exactly one message' '
	echo 0.03 >"$FAKE/delay" &&
	for k in 1 2 3 4 5; do
		st-query -c id --tag many | st-text send -m "Kill {first_name}. STOP to end" \
			--campaign kill $ALL --rate 0 --parallel 4 >/dev/null 2>&1 & p=$!
		sleep $(awk "BEGIN { srand($k$$); printf \"%.2f\", 0.1 + rand() * 0.8 }")
		kill -9 $p 2>/dev/null; wait $p 2>/dev/null
		[ $k != 1 ] || [ "$(count "p[\"body\"].startswith(\"Kill \")")" -lt 200 ] || return 1
		sleep 2.1
	done &&
	st-query -c id --tag many | st-text send -m "Kill {first_name}. STOP to end" --campaign kill \
		$ALL --rate 0 --parallel 4 >out &&
	posts "p[\"body\"].startswith(\"Kill \")" >p &&
	[ "$(wc -l <p)" = 200 ] &&
	[ "$(sed "s/.*\"to\": \"\\([^\"]*\\)\".*/\\1/" p | sort -u | wc -l)" = 200 ] &&
	[ "$(q "SELECT count(*) FROM messages WHERE campaign = '\''kill'\'' AND status = '\''sent'\''")" = 200 ] &&
	[ "$(q "SELECT count(DISTINCT provider_id) FROM messages WHERE campaign = '\''kill'\''")" = 200 ] &&
	rm "$FAKE/delay"
'

test_expect_success 'each contact stays on the number they were texted from' '
	{ echo first_name,phone; for i in $(seq 500 505); do echo "Q$i,+1919555$(printf %04d $i)"; done; } |
		st-import --tag pair >/dev/null &&
	st-query -c id --tag pair | st-text send -m "Two. STOP to end" --campaign two \
		--from +19195550100,+19195550199 $ALL --rate 0 >out && test_grep "^sent 6," out &&
	[ "$(count "p[\"body\"] == \"Two. STOP to end\" and p[\"from\"] == \"+19195550199\"")" -ge 1 ] &&
	st-query -c id --tag pair | st-text send -m "Again. STOP to end" --campaign again \
		--from +19195550199,+19195550100 $ALL --rate 0 >out &&
	posts "p[\"body\"] in (\"Two. STOP to end\", \"Again. STOP to end\")" |
		/usr/bin/python3 -c "
import json, sys
by = {}
for l in sys.stdin:
    p = json.loads(l); by.setdefault(p[\"to\"], set()).add(p[\"from\"])
assert len(by) == 6 and all(len(v) == 1 for v in by.values()), by
assert len(set().union(*by.values())) == 2, by"
'

test_expect_success 'WhatsApp goes through the same API with whatsapp: addresses' '
	st-query -c id --id 1 | st-text send --channel whatsapp -m "Hola. STOP to end" --campaign wa $ALL --rate 0 >out &&
	test_grep "^sent 1," out &&
	[ "$(count "p[\"to\"] == \"whatsapp:+19195550101\" and p[\"from\"] == \"whatsapp:+19195550100\"")" = 1 ] &&
	[ "$(q "SELECT channel FROM messages WHERE campaign = '\''wa'\''")" = whatsapp ]
'

test_expect_success 'a config file others can read is refused; the token is never stored or shown' '
	mkdir -p .config/st &&
	printf "help_reply = Campaign line. Reply STOP to end.\n" >.config/st/text.conf &&
	chmod 644 .config/st/text.conf &&
	test_exit 1 st-text deliver 2>err && test_grep "readable by nobody else" err &&
	chmod 600 .config/st/text.conf &&
	st-text deliver $ALL >/dev/null &&
	! grep -a -q "$TOKEN" "$ST_DB" "$ST_DB-wal" &&
	q "SELECT * FROM messages" >dump && ! grep -q "$TOKEN" dump
'

test_expect_success 'credentials the provider refuses stop the run and keep the message queued' '
	st-query -c id --id 1 >ids &&
	test_exit 1 env TWILIO_AUTH_TOKEN=wrong-$TOKEN st-text send -m "Auth. STOP to end" \
		--campaign auth $ALL --rate 0 <ids >out 2>err &&
	test_grep "refused to send: HTTP 401" err &&
	! grep -q "$TOKEN" err out &&
	[ "$(q "SELECT status || attempts FROM messages WHERE campaign = '\''auth'\''")" = queued0 ] &&
	st-text deliver $ALL --rate 0 >out && test_grep "^sent 1," out
'

test_expect_success 'sync takes in replies once: threads, STOP, START, HELP, new numbers' '
	inbound +19195550101 "Count me in!" &&
	inbound +19195550101 "  stop " &&
	inbound +19195550102 START &&
	inbound +19195550104 HELP &&
	inbound +19195550188 "Who is this?" &&
	st-text sync >out && test_grep "^received 5," out &&
	st-text sync >out && test_grep "^received 0," out &&
	[ "$(q "SELECT count(*) FROM messages WHERE direction = '\''in'\''")" = 5 ] &&
	[ "$(q "SELECT coalesce(sms_status, \"-\") FROM contacts WHERE id = 1")" = opted_out ] &&
	[ "$(q "SELECT sms_status FROM contacts WHERE id = 2")" = opted_in ] &&
	[ "$(q "SELECT count(*) FROM contacts WHERE phone = '\''+19195550188'\'' AND source = '\''sms'\''")" = 1 ] &&
	[ "$(q "SELECT body FROM messages WHERE idem_key LIKE '\''help:%'\''")" = "Campaign line. Reply STOP to end." ] &&
	st-text deliver $ALL --rate 0 >out && test_grep "^sent 1," out &&
	[ "$(count "p[\"to\"] == \"+19195550104\" and p[\"body\"].startswith(\"Campaign line\")")" = 1 ]
'

test_expect_success 'sync pages through the list' '
	for i in $(seq 1 105); do inbound +19195550177 "note $i"; done &&
	st-text sync >out && test_grep "^received 105," out &&
	[ "$(q "SELECT count(*) FROM messages WHERE from_addr = '\''+19195550177'\''")" = 105 ]
'

test_expect_success 'delivery statuses come in and never go back' '
	sid=$(q "SELECT provider_id FROM messages WHERE campaign = '\''spring'\'' AND contact_id = 3") &&
	curl -sf --data-urlencode "Sid=$sid" -d Status=delivered "$HOOK/_status" >/dev/null &&
	st-text sync >out && test_grep "statuses updated 1$" out &&
	[ "$(q "SELECT status FROM messages WHERE provider_id = '\''$sid'\''")" = delivered ] &&
	curl -sf --data-urlencode "Sid=$sid" -d Status=sent "$HOOK/_status" >/dev/null &&
	st-text sync >out && test_grep "statuses updated 0$" out &&
	[ "$(q "SELECT status FROM messages WHERE provider_id = '\''$sid'\''")" = delivered ] &&
	sid2=$(q "SELECT provider_id FROM messages WHERE campaign = '\''two'\'' AND from_addr = '\''+19195550100'\'' LIMIT 1") &&
	curl -sf --data-urlencode "Sid=$sid2" -d Status=undelivered -d ErrorCode=30006 "$HOOK/_status" >/dev/null &&
	st-text sync >/dev/null &&
	[ "$(q "SELECT c.phone_status FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE m.provider_id = '\''$sid2'\''")" = landline ]
'

# sign URL KEY=VALUE...: the X-Twilio-Signature a request would carry.
sign() { twilio_sign "$TOKEN" "$@"; }

test_expect_success 'the webhook takes signed messages and statuses, and refuses bad signatures' '
	url=https://example.org/st/twilio &&
	body="MessageSid=SMwebhook1&From=%2B19195550166&To=%2B19195550100&Body=Hi+from+the+web" &&
	sig=$(sign $url MessageSid=SMwebhook1 From=+19195550166 To=+19195550100 "Body=Hi from the web") &&
	printf %s "$body" | CONTENT_LENGTH=${#body} HTTP_X_TWILIO_SIGNATURE=$sig st-text webhook --url $url >out &&
	test_grep "<Response></Response>" out &&
	[ "$(q "SELECT body FROM messages WHERE provider_id = '\''SMwebhook1'\''")" = "Hi from the web" ] &&
	printf %s "$body" | HTTP_X_TWILIO_SIGNATURE=$sig st-text webhook --url $url >/dev/null &&
	[ "$(q "SELECT count(*) FROM messages WHERE provider_id = '\''SMwebhook1'\''")" = 1 ] &&
	bad="MessageSid=SMwebhook2&From=%2B19195550166&To=%2B19195550100&Body=forged" &&
	printf %s "$bad" | test_exit 1 env HTTP_X_TWILIO_SIGNATURE=$sig st-text webhook --url $url >out 2>err &&
	test_grep "^Status: 403" out && test_grep "invalid X-Twilio-Signature" err &&
	[ "$(q "SELECT count(*) FROM messages WHERE provider_id = '\''SMwebhook2'\''")" = 0 ] &&
	sid=$(q "SELECT provider_id FROM messages WHERE campaign = '\''wa'\''") &&
	st="MessageSid=$sid&MessageStatus=delivered" &&
	printf %s "$st" | HTTP_X_TWILIO_SIGNATURE=$(sign $url MessageSid=$sid MessageStatus=delivered) \
		st-text webhook --url $url >/dev/null &&
	[ "$(q "SELECT status FROM messages WHERE provider_id = '\''$sid'\''")" = delivered ]
'

test_expect_success 'the inbox lists conversations waiting for an answer first' '
	st-text inbox --json >out &&
	head -1 out | grep -q "\"unanswered\":1" &&
	grep -q "\"phone\":\"+19195550166\".*\"unanswered\":1" out &&
	! grep -q "\"phone\":\"+19195550104\".*\"unanswered\":1" out &&
	st-query -H -c phone --unanswered --texted-us-within 1 >got &&
	test_grep "+19195550166" got && ! grep -q "+19195550104" got
'

test_expect_success 'reply, thread and done from scripts' '
	id=$(st-query -H -c id --where phone=+19195550166) &&
	st-text reply $id -m "Thanks for writing!" --rate 0 >out && test_grep "^sent 1," out &&
	[ "$(count "p[\"to\"] == \"+19195550166\" and p[\"body\"] == \"Thanks for writing!\"")" = 1 ] &&
	st-text thread $id --json >out &&
	[ "$(wc -l <out)" = 2 ] && tail -1 out | grep -q "\"direction\":\"out\"" &&
	! st-query -H -c id --unanswered | grep -qx "$id" &&
	cid=$(st-query -H -c id --where phone=+19195550188) &&
	st-text done $cid && ! st-query -H -c id --unanswered | grep -qx "$cid" &&
	test_exit 3 st-text reply 1 -m "You opted out" 2>err && test_grep "opted out of sms" err
'

test_expect_success 'the interactive inbox: open, reply, tag, assign, done' '
	inbound +19195550155 "Can I help on Saturday?" && st-text sync >/dev/null &&
	printf "1\nr See you Saturday\ntag saturday\nassign 5\ndone\nlist\nquit\n" |
		script -qec "st-text inbox --rate 0" /dev/null >out &&
	test_grep "inbox> " out && test_grep "Can I help on Saturday" out &&
	test_grep "replied to contact" out && test_grep "tagged contact" out &&
	test_grep "contact [0-9]* done" out &&
	[ "$(count "p[\"to\"] == \"+19195550155\" and p[\"body\"] == \"See you Saturday\"")" = 1 ] &&
	cid=$(st-query -H -c id --where phone=+19195550155) &&
	st-query -H -c id --tag saturday | grep -qx "$cid" &&
	st-query -H -c id --organizer 5 | grep -qx "$cid"
'

test_expect_success 'st-query selects on texts' '
	st-query -H -c id --campaign spring >got && [ "$(wc -l <got)" = 3 ] &&
	st-query -H -c id --sent-within 1 --texted-us-within 1 >got && test_grep "^1$" got &&
	[ "$(st-query -H -c id --texted-us-within 1 | wc -l)" -ge 6 ]
'

test_expect_success 'bad input and usage' '
	test_exit 2 st-text 2>err && test_grep "no subcommand" err &&
	test_exit 2 st-text send --list </dev/null 2>err && test_grep "does not go with" err &&
	test_exit 2 st-text deliver --rate -1 2>err &&
	test_exit 2 st-text deliver --hours 9-21 2>err && test_grep "invalid sending hours" err &&
	test_exit 2 sh -c "echo id | st-text send" 2>err && test_grep "needs a message" err &&
	test_exit 3 sh -c "printf \"name\\nx\\n\" | st-text send -m hi" 2>err &&
	test_grep "no .id. or .phone. column" err && test_one_line err &&
	test_exit 2 sh -c "echo id | st-text send -m hi --from 12" 2>err && test_grep "invalid sending number" err &&
	test_exit 3 st-text reply 999 -m hi 2>err && test_grep "no contact 999" err
'

test_expect_success 'an unreachable provider is a temporary failure (75)' '
	st-query -c id --id 5 | st-text send -m "Down. STOP to end" --campaign down --queue-only $ALL >/dev/null &&
	test_exit 75 env ST_TWILIO_BASE_URL=http://127.0.0.1:1 st-text deliver --max-wait 0 --rate 0 $ALL >out 2>err &&
	test_grep "to retry later" err &&
	[ "$(q "SELECT status FROM messages WHERE campaign = '\''down'\''")" = queued ]
'

test_expect_success 'bash completion offers the subcommands and channels' '
	bash -c ". \"$TOP/completions/st.bash\" && COMP_WORDS=(st-text de) && COMP_CWORD=1 && _st_complete && printf \"%s\\n\" \"\${COMPREPLY[@]}\"" >got &&
	test_grep "^deliver$" got &&
	bash -c ". \"$TOP/completions/st.bash\" && COMP_WORDS=(st-text send --channel \"\") && COMP_CWORD=3 && _st_complete && printf \"%s\\n\" \"\${COMPREPLY[@]}\"" >got &&
	test_grep "^whatsapp$" got
'

test_done
