#!/bin/sh
# st-query's interactive prompt, on a real pseudo-terminal (script(1)).
. "$(dirname "$0")/lib.sh"
export ST_DB=$TRASH/st.db ST_HISTORY=$TRASH/history TERM=dumb

prompt() { script -qec "st-query" /dev/null; }

test_expect_success 'set up' '
	printf "first_name,email,language\nAna,ana@example.org,es\nBo,bo@example.org,en\n" | st-import --tag v >/dev/null
'

test_expect_success 'filters, SQL and errors at the prompt' '
	printf -- "--lang es -c id,first_name\nSELECT count(*) AS n FROM contacts\n@nope\nSELEC\n.quit\n" | prompt >out &&
	test_grep "st> " out &&
	test_grep "^ 1  Ana" out &&
	test_grep "^2" out &&
	test_grep "no saved segment .nope." out &&
	test_grep "syntax error" out
'

test_expect_success 'tab completes filter names and columns' '
	printf -- "--has-em\t -c first_\t\n.quit\n" | prompt >out &&
	test_grep "ana@example.org" out || test_grep "^first_name" out &&
	test_grep "Ana" out
'

test_expect_success 'tab completes saved segment names' '
	st-query --save spanish --lang es >/dev/null &&
	printf -- "@span\t -c first_name\n.quit\n" | prompt >out &&
	test_grep "@spanish" out && test_grep "Ana" out
'

test_expect_success 'the history file is kept, private' '
	[ -f history ] && [ "$(stat -c %a history)" = 600 ] &&
	test_grep "^--lang es" history
'

test_expect_success 'no prompt when output is not a terminal' '
	st-query </dev/null >out && test_grep "^id,first_name" out
'

test_done
