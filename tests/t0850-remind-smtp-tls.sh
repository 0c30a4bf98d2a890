#!/bin/sh
# st-remind's e-mail over TLS with AUTH, against a real SMTP server (python3-aiosmtpd)
# with a certificate made by openssl at test time: STARTTLS required, SMTPS, AUTH LOGIN
# and PLAIN; a wrong password or a certificate that does not verify stops the run with
# one line and leaves the mail queued; the password is never printed nor stored.
. "$(dirname "$0")/lib.sh"
export ST_DB=$TRASH/st.db ST_MAIL_FROM=field@example.org
PW=pw-not-for-print-$$

if ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || ! command -v openssl >/dev/null; then
	test_skip 'st-remind over SMTP with TLS' 'python3-aiosmtpd or openssl is missing'
	test_done
	exit
fi

# smtp_start DIR: a server with what DIR holds (cert.pem, auth, smtps); its port in DIR/port.
smtp_start() {
	{ /usr/bin/python3 "$TOP/tests/peers/smtpd.py" "$1" 2>"$1.log" & echo $! >"$1.pid"; } &&
	i=0 && while [ ! -s "$1/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done &&
	[ -s "$1/port" ]
}
trap 'for p in *.pid; do kill "$(cat "$p")" 2>/dev/null; done; cd / && rm -rf "$TRASH"' EXIT
# conf FILE URL [PASSWORD]: a settings file, as it must be (0600).
conf() {
	(umask 077 && cat >"$1" <<-EOT
	smtp_url = $2
	smtp_user = field
	smtp_password = ${3:-$PW}
	smtp_ca_file = $TRASH/cert.pem
	EOT
	)
}
mails() { ls "$1"/mail/*.eml 2>/dev/null | wc -l | tr -d " "; }
queued() { sqlite3 "$ST_DB" "SELECT count(*) FROM messages WHERE channel = 'email' AND status = 'queued'"; }
rsvp() {
	st-event add-shift 1 --start "2099-06-0$1 10:00" --end "2099-06-0$1 12:00" >s &&
	st-event rsvp "$(cat s)" 1 >/dev/null
}

test_expect_success 'a certificate for 127.0.0.1, servers for STARTTLS and SMTPS, an RSVP' '
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout key.pem -out cert.pem 2>/dev/null &&
	for d in login plain smtps; do
		mkdir -p $d && cp cert.pem key.pem $d/ && echo "field:$PW" >$d/auth || return 1
	done &&
	echo LOGIN >login/auth-only && echo PLAIN >plain/auth-only && touch smtps/smtps &&
	smtp_start login && smtp_start plain && smtp_start smtps &&
	echo "first_name,email" >p.csv && echo "Ana,ana@example.net" >>p.csv &&
	st-import p.csv >/dev/null &&
	st-event create --title Canvass --tz UTC >/dev/null
'

test_expect_success 'STARTTLS is required and AUTH LOGIN works with smtp_starttls' '
	conf login.conf "smtp://127.0.0.1:$(cat login/port)" &&
	echo "smtp_starttls = yes" >>login.conf &&
	rsvp 2 && st-remind --config login.conf --now "2099-06-01 12:00" 2>err &&
	test_must_fail test -s err &&
	[ "$(mails login)" = 1 ] && [ "$(queued)" = 0 ] &&
	jq -e ".auth == true" login/mail/1.json
'

test_expect_success 'credentials mean STARTTLS by default; AUTH PLAIN works' '
	conf plain.conf "smtp://127.0.0.1:$(cat plain/port)" &&
	rsvp 3 && st-remind --config plain.conf --now "2099-06-01 12:00" &&
	[ "$(mails plain)" = 1 ] && [ "$(queued)" = 0 ]
'

test_expect_success 'SMTPS (TLS from the start) with the password from the environment' '
	conf smtps.conf "smtps://127.0.0.1:$(cat smtps/port)" wrong-in-file &&
	rsvp 4 && ST_SMTP_PASSWORD=$PW st-remind --config smtps.conf --now "2099-06-01 12:00" &&
	[ "$(mails smtps)" = 1 ] && [ "$(queued)" = 0 ]
'

test_expect_success 'a wrong password: one line, exit 1, the mail stays queued, the password nowhere' '
	conf bad.conf "smtp://127.0.0.1:$(cat login/port)" "not-$PW" &&
	rsvp 5 && test_exit 1 st-remind --config bad.conf --now "2099-06-01 12:00" 2>err &&
	test_one_line err && test_grep "^st-remind: .*Login denied" err &&
	test_must_fail grep -e "$PW" err &&
	[ "$(queued)" = 1 ] && [ "$(mails login)" = 1 ] &&
	sqlite3 "$ST_DB" "PRAGMA wal_checkpoint" >/dev/null &&
	test_must_fail grep -r -e "$PW" st.db* &&
	st-remind --config login.conf --now "2099-06-01 12:05" && [ "$(queued)" = 0 ] &&
	[ "$(mails login)" = 2 ]
'

test_expect_success 'a certificate that does not verify stops the run with one line' '
	conf noca.conf "smtps://127.0.0.1:$(cat smtps/port)" && sed -i /smtp_ca_file/d noca.conf &&
	rsvp 6 && test_exit 1 st-remind --config noca.conf --now "2099-06-01 12:00" 2>err &&
	test_one_line err && grep -qi "certificate" err &&
	[ "$(queued)" = 1 ] && [ "$(mails smtps)" = 1 ]
'

test_expect_success 'without STARTTLS the server refuses; nothing is sent in the clear' '
	conf clear.conf "smtp://127.0.0.1:$(cat login/port)" && echo "smtp_starttls = no" >>clear.conf &&
	test_exit 1 st-remind --config clear.conf --now "2099-06-01 12:00" 2>err &&
	test_one_line err && test_grep "530" err && [ "$(queued)" = 1 ] &&
	st-remind --config login.conf --now "2099-06-01 12:05" && [ "$(queued)" = 0 ]
'

test_done
