#!/bin/sh
# Every request st-text makes to Twilio, checked against Twilio's own OpenAPI
# definition (../shared/conformance/twilio/) by Stoplight Prism on 127.0.0.1,
# which answers 422 to a request that does not fit it and 401 without Basic auth.
# ./check installs Prism with: npm install --no-save @stoplight/prism-cli@5
. "$(dirname "$0")/lib.sh"
export ST_DB=$TRASH/st.db
PRISM=$TOP/node_modules/.bin/prism
SPEC=$(cd "$TOP/.." && pwd)/shared/conformance/twilio/twilio_api_v2010.json
SID=AC0123456789abcdef0123456789abcdef
export TWILIO_ACCOUNT_SID=$SID TWILIO_AUTH_TOKEN=prism-token ST_TEXT_FROM=+19195550100
ALL="--hours 00:00-00:00"

if [ ! -x "$PRISM" ] || [ ! -f "$SPEC" ]; then
	test_skip "requests conform to Twilio's OpenAPI definition" "no Prism in node_modules or no $SPEC"
	test_done
	exit 0
fi

# A free port: ask the kernel for one.
PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Appending, so that emptying the log between tests works.
"$PRISM" mock -d -h 127.0.0.1 -p "$PORT" "$SPEC" >>prism.log 2>&1 &
PRISM_PID=$!
trap 'kill $PRISM_PID 2>/dev/null; cd / && rm -rf "$TRASH"' EXIT
export ST_TWILIO_BASE_URL=http://127.0.0.1:$PORT
API=$ST_TWILIO_BASE_URL/2010-04-01/Accounts/$SID/Messages.json

# violations: the requests Prism found not to fit the definition.
violations() { grep -a -c "\[VALIDATOR\].*\(did not pass\|error\)" prism.log; }

test_expect_success 'Prism serves the definition' '
	i=0 &&
	while ! curl -s -o /dev/null "$ST_TWILIO_BASE_URL/" && [ $i -lt 240 ]; do sleep 0.5; i=$((i + 1)); done &&
	curl -s -o /dev/null "$ST_TWILIO_BASE_URL/"
'

test_expect_success 'Prism refuses requests that do not fit (so it can fail st)' '
	[ "$(curl -s -o /dev/null -w "%{http_code}" -u "$SID:x" --data-urlencode From=+19195550100 \
		--data-urlencode Body=hi "$API")" = 422 ] &&
	[ "$(curl -s -o /dev/null -w "%{http_code}" --data-urlencode To=+19195550101 \
		--data-urlencode From=+19195550100 --data-urlencode Body=hi "$API")" = 401 ] &&
	[ "$(violations)" -ge 1 ] && : >prism.log
'

test_expect_success 'set up contacts' '
	printf "first_name,phone\nAna,919-555-0101\nBo,919-555-0102\nCy,919-555-0103\n" | st-import >/dev/null
'

test_expect_success 'a blast: every POST fits the definition' '
	st-query -c id | st-text send -m "Hi {first_name}, text STOP to opt out" --campaign p $ALL --rate 0 >out &&
	test_grep "^sent 3, failed 0" out &&
	[ "$(sqlite3 "$ST_DB" "SELECT count(*) FROM messages WHERE status = '\''sent'\'' AND provider_id GLOB '\''[SM]M*'\''")" = 3 ] &&
	[ "$(grep -a -c "passed the validation rules" prism.log)" -ge 3 ] && [ "$(violations)" = 0 ]
'

test_expect_success 'WhatsApp and a reply fit too' '
	st-query -c id --id 1 | st-text send --channel whatsapp -m "Hola. STOP to end" --campaign w $ALL --rate 0 >out &&
	test_grep "^sent 1," out &&
	st-text reply 2 -m "Thanks!" --rate 0 >out && test_grep "^sent 1," out &&
	[ "$(violations)" = 0 ]
'

test_expect_success 'reconciliation lists the messages to a number in the defined way' '
	sqlite3 "$ST_DB" "UPDATE messages SET status = '\''unknown'\'', not_before = '\''2000-01-01T00:00:00Z'\'' WHERE campaign = '\''w'\''" &&
	: >prism.log &&
	st-text deliver $ALL --rate 0 >out && test_grep "^sent 1," out &&
	grep -a -q "HTTP SERVER\] get /2010-04-01/Accounts/$SID/Messages.json " prism.log &&
	[ "$(grep -a -c "passed the validation rules" prism.log)" -ge 2 ] &&
	[ "$(violations)" = 0 ]
'

test_expect_success 'sync lists inbound messages and statuses in the defined way' '
	: >prism.log &&
	st-text sync >out && test_grep "^received" out &&
	[ "$(grep -a -c "passed the validation rules" prism.log)" -ge 2 ] && [ "$(violations)" = 0 ]
'

test_done
