# Sourced by tests that talk to the fake Twilio (tests/peers/fake_twilio.py), after lib.sh.
# twilio_start SID TOKEN: start it in $TRASH/fake, stopped on exit; PORT is its port
# (empty if it did not start) and ST_TWILIO_BASE_URL points at it.
twilio_start() {
	FAKE=$TRASH/fake
	mkdir -p "$FAKE"
	/usr/bin/python3 "$TOP/tests/peers/fake_twilio.py" "$FAKE" "$1" "$2" 2>"$FAKE/stderr" &
	FAKE_PID=$!
	trap 'kill $FAKE_PID 2>/dev/null; cd / && rm -rf "$TRASH"' EXIT
	i=0
	while [ ! -s "$FAKE/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	PORT=$(cat "$FAKE/port")
	ST_TWILIO_BASE_URL=http://127.0.0.1:$PORT
	export ST_TWILIO_BASE_URL
}

# twilio_sign TOKEN URL KEY=VALUE...: the X-Twilio-Signature a request would carry.
twilio_sign() {
	/usr/bin/python3 -c '
import base64, hashlib, hmac, sys
url, pairs = sys.argv[2], sorted(a.split("=", 1) for a in sys.argv[3:])
s = url + "".join(k + v for k, v in pairs)
print(base64.b64encode(hmac.new(sys.argv[1].encode(), s.encode(), hashlib.sha1).digest()).decode())' "$@"
}
