#!/bin/sh
# A simulated week of cron ticks (tests/peers/remind_week.py): RSVPs, a moved shift and
# cancellations arrive between ticks; what st-remind queues must be exactly what an
# independent oracle computes from the schedule and the rules, each message reaching
# the SMTP server and the fake Twilio once: ticks one at a time, two at once, and
# ticks killed with SIGKILL at random moments (the next tick finishing their work).
# Each st-remind process costs some 35 ms to start (libcurl and what it loads), so the
# week is ticked every 15 minutes, and every 45 in the concurrent and killing runs,
# rather than cron's 5: the grace of 60 minutes still gives each message one to four
# chances, and the oracle simulates the same ticks.
. "$(dirname "$0")/lib.sh"
WEEK="/usr/bin/python3 $TOP/tests/peers/remind_week.py"

if ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
	test_skip 'a simulated week of st-remind' 'python3-aiosmtpd is missing'
	test_done
	exit
fi

# week MODE STEP: run it in a directory of its own and compare.
week() {
	mkdir "$1" && cd "$1" && $WEEK "$1" "$2" &&
	test_cmp expected queued &&
	grep ":ch=email$" queued >want-mail && test_cmp want-mail smtp-keys &&
	echo ok >want-ok && test_cmp want-ok twilio
}

test_expect_success 'ticks every 15 minutes, one at a time: exactly the schedule' '
	week plain 15 &&
	for k in confirm update cancel email-1d sms-eve1800 sms-2h digest; do
		grep -q "kind=$k\|$k:contact" expected || { echo "the oracle expects no $k"; return 1; }
	done
'
test_expect_success 'two ticks at once every 45 minutes: each message once' 'week twice 45'
test_expect_success 'ticks killed with SIGKILL every 45 minutes: nothing lost, nothing twice' 'week kill 45'

test_done
