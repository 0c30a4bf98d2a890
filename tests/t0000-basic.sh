#!/bin/sh
# Every command: help, version, usage errors, the option list for completions.
. "$(dirname "$0")/lib.sh"

for cmd in st-import st-query st-event; do
	test_expect_success "$cmd --help prints the usage to stdout" "
		$cmd --help >out &&
		head -1 out | grep -q '^usage: $cmd'
	"
	test_expect_success "$cmd --version" "
		$cmd --version | grep -q '^$cmd [0-9]'
	"
	test_expect_success "$cmd: an unknown option is a usage error (exit 2) with a hint" "
		test_exit 2 $cmd --no-such-option 2>err &&
		grep -q '^usage: $cmd' err &&
		grep -q \"try '$cmd --help' for more information\" err
	"
	test_expect_success "$cmd --list-options lists its long options" "
		$cmd --list-options >opts &&
		grep -q '^--db=$' opts &&
		grep -q '^--help$' opts &&
		! grep -q 'list-options' opts
	"
done

test_expect_success 'st dispatches to st-NAME' '
	st query --version | grep -q "^st-query " &&
	st --list-commands >cmds && grep -q "^import$" cmds && grep -q "^query$" cmds
'

test_expect_success 'st with an unknown command is a usage error' '
	test_exit 2 st frobnicate 2>err &&
	grep -q "is not an st command" err
'

test_expect_success 'a new database is created 0600, in WAL mode, at the current schema' '
	st-query --db new.db "SELECT 1" >/dev/null &&
	[ "$(stat -c %a new.db)" = 600 ] &&
	[ "$(sqlite3 new.db "PRAGMA journal_mode")" = wal ] &&
	[ "$(sqlite3 new.db "PRAGMA user_version")" -ge 1 ]
'

test_expect_success 'the WAL and its index are private too, and stay between commands' '
	printf "email\na@example.org\n" | st-import --db wal.db >/dev/null &&
	[ "$(stat -c %a wal.db-wal)" = 600 ] && [ "$(stat -c %a wal.db-shm)" = 600 ]
'

test_expect_success 'ST_DB names the database' '
	ST_DB=env.db st-query "SELECT 1" >/dev/null &&
	[ -f env.db ]
'

test_expect_success 'a database from a newer st is refused' '
	sqlite3 newer.db "PRAGMA user_version = 999" &&
	test_exit 1 st-query --db newer.db "SELECT 1" 2>err &&
	test_grep "newer than this st" err
'

test_expect_success 'a file that is not a database is refused with one line' '
	echo "hello" >notdb.db &&
	test_must_fail st-query --db notdb.db "SELECT 1" 2>err &&
	test_one_line err && test_grep "notdb.db" err
'

test_expect_success 'an invalid ST_BUSY_TIMEOUT is a usage error' '
	ST_BUSY_TIMEOUT=soon test_exit 2 st-query --db x.db "SELECT 1" 2>err &&
	test_grep "ST_BUSY_TIMEOUT" err
'

test_done
