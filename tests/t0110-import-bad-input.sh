#!/bin/sh
# Bad input: a one-line error naming file and line, the documented exit
# status, no crash, and no partial import.
. "$(dirname "$0")/lib.sh"
export ST_DB=$TRASH/st.db

snapshot() { sqlite3 "$ST_DB" "SELECT count(*) FROM contacts; SELECT count(*) FROM imports" | tr '\n' ' '; }

test_expect_success 'set up a database with some contacts' '
	printf "email,first_name\nold@example.org,Old\n" >seed.csv &&
	st-import seed.csv >/dev/null &&
	snapshot >before
'

# fails FILE STATUS PATTERN [ARGS...]: the import fails with STATUS, one line
# matching PATTERN on stderr, and the database as it was.
fails() {
	f=$1 status=$2 pattern=$3
	shift 3
	test_exit "$status" st-import "$@" "$f" >out 2>err &&
	test_one_line err &&
	test_grep "$pattern" err &&
	snapshot >after &&
	test_cmp before after
}

test_expect_success 'an unterminated quote is fatal and names its line' '
	printf "email,first_name\na@example.org,Al\nb@example.org,\"Bea\nc@example.org,Cy\n" >unterm.csv &&
	fails unterm.csv 3 "^st-import: .unterm.csv. line 3: unterminated quoted field"
'

test_expect_success 'malformed quoting is fatal and names its line' '
	printf "email,first_name\na@example.org,\"Al\"x\n" >quote.csv &&
	fails quote.csv 3 "quote.csv. line 2"
'

test_expect_success 'an empty file' '
	: >empty.csv &&
	fails empty.csv 3 "is empty"
'

test_expect_success 'duplicate header names' '
	printf "email,name,email\nx@example.org,X,y@example.org\n" >duph.csv &&
	fails duph.csv 3 "line 1: duplicate column .email. (columns 1 and 3)"
'

test_expect_success 'a 10 MB field' '
	{ printf "email,notes\na@example.org,"; head -c 10485760 /dev/zero | tr "\\0" x; printf "\n"; } >big.csv &&
	fails big.csv 3 "big.csv. line 2: field longer than"
'

test_expect_success 'a missing file' '
	fails missing.csv 1 "cannot open .missing.csv.: No such file or directory"
'

test_expect_success 'a directory' '
	mkdir adir &&
	fails adir 1 "cannot read .adir."
'

test_expect_success 'UTF-16 input is refused with a hint' '
	printf "\377\376e\000m\000\n\000" >u16.csv &&
	fails u16.csv 3 "UTF-16"
'

test_expect_success 'compressed input is refused' '
	printf "email\na@example.org\n" | gzip >gz.csv &&
	fails gz.csv 3 "compressed (gzip)"
'

test_expect_success 'a header-only file imports nothing, with a warning' '
	printf "email,first_name\n" >hdr.csv &&
	st-import hdr.csv >out 2>err &&
	test_grep "read 0, inserted 0" out &&
	test_grep "no rows after the header" err
'

test_expect_success 'ragged rows are rejected with their line, the rest imported' '
	printf "email,first_name,zip\nr1@example.org,A,27601\nr2@example.org,B\nr3@example.org,C,27601,surplus\nr4@example.org,D,27601,,\n" >ragged.csv &&
	st-import -r rej.csv ragged.csv >out &&
	test_grep "read 4, inserted 2, updated 0, unchanged 0, rejected 2" out &&
	cat >expect <<-\EOT &&
	line,reason,email,first_name,zip
	3,"row has 2 fields, the header has 3",r2@example.org,B,
	4,"row has 4 fields, the header has 3",r3@example.org,C,"27601,surplus"
	EOT
	test_cmp expect rej.csv &&
	snapshot >before
'

test_expect_success 'a NUL byte rejects its row' '
	printf "email,first_name\nn1@example.org,A\000B\nn2@example.org,C\n" >nul.csv &&
	st-import -r rej.csv nul.csv >out &&
	test_grep "inserted 1, updated 0, unchanged 0, rejected 1" out &&
	test_grep "contains a NUL byte" rej.csv &&
	snapshot >before
'

test_expect_success 'invalid UTF-8 is read as Windows-1252 by default' '
	printf "email,first_name\nj@example.org,Jos\351 \200\n" >latin.csv &&
	st-import latin.csv >/dev/null &&
	[ "$(sqlite3 "$ST_DB" "SELECT first_name FROM contacts WHERE email = \"j@example.org\"")" = "José €" ] &&
	snapshot >before
'

test_expect_success '--encoding utf-8 rejects rows that are not UTF-8' '
	printf "email,first_name\nk@example.org,K\351\n" >latin2.csv &&
	st-import --encoding utf-8 -r rej.csv latin2.csv >out &&
	test_grep "rejected 1" out &&
	test_grep "not valid UTF-8" rej.csv &&
	snapshot >before
'

test_expect_success 'a read-only database: one line, exit 1, nothing written' '
	cp "$ST_DB" ro.db &&
	printf "email\nro@example.org\n" >ro.csv &&
	test_exit 1 st-import --db "file:ro.db?mode=ro" ro.csv 2>err &&
	test_one_line err && test_grep "read-only" err &&
	[ "$(sqlite3 ro.db "SELECT count(*) FROM contacts WHERE email = \"ro@example.org\"")" = 0 ]
'

test_expect_success 'a locked database: exit 75 (retry later) after the busy timeout' '
	printf "email\nlock@example.org\n" >lock.csv &&
	/usr/bin/python3 -c "
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute(\"BEGIN IMMEDIATE\")
open(\"locked\", \"w\").close()
time.sleep(3)
" "$ST_DB" &
	while [ ! -f locked ]; do sleep 0.05; done &&
	ST_BUSY_TIMEOUT=100 test_exit 75 st-import lock.csv 2>err &&
	test_one_line err && test_grep "database is locked" err &&
	wait &&
	st-import lock.csv >/dev/null
'

test_expect_success 'a bad row after thousands of good ones fails the whole import' '
	snapshot >before &&
	awk "BEGIN { print \"email,first_name\"; for (i = 0; i < 5000; i++) printf \"g%d@example.org,G%d\\n\", i, i;
	    print \"late@example.org,\\\"Late\" }" >late.csv &&
	fails late.csv 3 "late.csv. line 5002: unterminated quoted field"
'

test_expect_success 'a rejects file that cannot be written fails the import, which is undone' '
	snapshot >before &&
	awk "BEGIN { print \"email,first_name\"; print \"not-an-address,X\";
	    for (i = 0; i < 5000; i++) printf \"f%d@example.org,F%d\\n\", i, i }" >full.csv &&
	if [ -c /dev/full ]; then
		fails full.csv 1 "cannot write the rejects file" --rejects /dev/full &&
		[ -c /dev/full ]
	fi
'

test_expect_success 'rejects go straight to a device or pipe, which stays what it was' '
	st-import --rejects /dev/stdout full.csv >out 2>err &&
	test_grep "not-an-address" out &&
	[ -L /dev/stdout ] &&
	mkfifo fifo && { cat fifo >piped.csv & } &&
	st-import --rejects fifo full.csv >/dev/null &&
	wait && [ -p fifo ] && test_grep "not-an-address" piped.csv
'

test_expect_success 'a killed import leaves the database as it was' '
	snapshot >before &&
	awk "BEGIN { print \"email,first_name\"; for (i = 0; i < 400000; i++) printf \"k%d@example.org,N%d\\n\", i, i }" >many.csv &&
	st-import many.csv >/dev/null 2>&1 &
	pid=$! && sleep 0.3 && kill -9 $pid; wait $pid || true &&
	snapshot >after &&
	test_cmp before after &&
	[ "$(sqlite3 "$ST_DB" "PRAGMA integrity_check")" = ok ]
'

test_done
