#!/bin/sh
# st-query: named filters, formats, SQL, saved segments.
. "$(dirname "$0")/lib.sh"
export ST_DB=$TRASH/st.db

test_expect_success 'set up contacts' '
	cat >people.csv <<-\EOT &&
	first_name,last_name,phone,email,zip,language,sms_opt_in,county
	Ana,Reyes,919-555-0101,ana@example.org,27601,Spanish,yes,Wake
	Bo,Li,919-555-0102,,27601,English,no,Wake
	Cy,Ott,,cy@example.org,27605,es,,Durham
	Di,"Pe, Jr",919-555-0104,di@example.org,27605,en,,Durham
	Ed,Uh,919-555-0105,ed@example.org,27601,es,,Wake
	EOT
	st-import --tag volunteer people.csv >/dev/null &&
	printf "email\ncy@example.org\ned@example.org\n" | st-import --tag host --source web >/dev/null
'

ids() { st-query -H -c id "$@" | tr '\n' ' '; }

test_expect_success 'no filters selects everyone, ordered by id, default columns' '
	st-query >out &&
	head -1 out >hdr && echo "id,first_name,last_name,phone,email,zip,lang" >expect &&
	test_cmp expect hdr &&
	[ "$(ids)" = "1 2 3 4 5 " ]
'

test_expect_success 'filters combine with AND' '
	[ "$(ids --tag volunteer --lang es)" = "1 3 5 " ] &&
	[ "$(ids --tag volunteer --lang Spanish --zip 27601)" = "1 5 " ] &&
	[ "$(ids --tag host --lang es --has-phone)" = "5 " ]
'

test_expect_success '--any combines with OR' '
	[ "$(ids --any --tag host --zip 27605)" = "3 4 5 " ]
'

test_expect_success 'a comma list means any of them; repeating means all' '
	[ "$(ids --tag host,nonexistent)" = "3 5 " ] &&
	[ "$(ids --tag volunteer --tag host)" = "3 5 " ] &&
	[ "$(ids --lang en,es --zip 27605)" = "3 4 " ]
'

test_expect_success '--not-tag, --has-email, --sms-ok, --source, --id, --import' '
	[ "$(ids --not-tag host)" = "1 2 4 " ] &&
	[ "$(ids --has-email)" = "1 3 4 5 " ] &&
	[ "$(ids --sms-ok)" = "1 4 5 " ] &&
	[ "$(ids --source web)" = "" ] &&
	[ "$(ids --source people.csv)" = "1 2 3 4 5 " ] &&
	[ "$(ids --id 2,4)" = "2 4 " ] &&
	[ "$(ids --import 2)" = "" ] &&
	[ "$(ids --import 1)" = "1 2 3 4 5 " ]
'

test_expect_success '--where on contact fields and extra fields' '
	[ "$(ids --where county=Durham)" = "3 4 " ] &&
	[ "$(ids --where county!=Durham)" = "1 2 5 " ] &&
	[ "$(ids --where phone=9195550102)" = "2 " ] &&
	[ "$(ids --where email=)" = "2 " ] &&
	[ "$(ids --where email!=)" = "1 3 4 5 " ]
'

test_expect_success 'bad filter values are usage errors' '
	test_exit 2 st-query --where county 2>err && test_grep "invalid --where" err &&
	test_exit 2 st-query --zip abc 2>err && test_grep "invalid ZIP" err &&
	test_exit 2 st-query --id x 2>err && test_grep "invalid number" err &&
	test_exit 2 st-query --tag 2>err && test_grep "needs a value" err &&
	test_exit 2 st-query --limit -1 2>err
'

test_expect_success 'CSV quotes only where needed' '
	st-query -H --id 4 -c first_name,last_name >out &&
	echo "Di,\"Pe, Jr\"" >expect && test_cmp expect out
'

test_expect_success 'TSV, JSON Lines and the table' '
	st-query --tsv --id 4 -c id,last_name >out &&
	printf "id\tlast_name\n4\tPe, Jr\n" >expect && test_cmp expect out &&
	st-query --json --id 2 -c id,first_name,email,county >out &&
	echo "{\"id\":2,\"first_name\":\"Bo\",\"email\":null,\"county\":\"Wake\"}" >expect &&
	test_cmp expect out &&
	st-query --format table --id 1,2 -c id,first_name >out &&
	printf "id  first_name\n 1  Ana       \n 2  Bo\n" | sed "s/ *\$//" >expect &&
	sed "s/ *\$//" out >got && test_cmp expect got
'

test_expect_success 'JSON output embeds the extra object, and tags' '
	st-query --json --id 3 -c id,tags,extra >out &&
	echo "{\"id\":3,\"tags\":\"host,volunteer\",\"extra\":{\"county\":\"Durham\"}}" >expect &&
	test_cmp expect out
'

test_expect_success '--limit and -e' '
	[ "$(ids --limit 2)" = "1 2 " ] &&
	test_exit 4 st-query -e --tag nobody &&
	st-query -e --tag host >/dev/null
'

test_expect_success 'read-only SQL; writes refused unless --write' '
	st-query "SELECT count(*) AS n FROM contacts" >out &&
	printf "n\n5\n" >expect && test_cmp expect out &&
	test_exit 2 st-query "DELETE FROM contacts" 2>err &&
	test_one_line err && test_grep "use --write" err &&
	test_exit 2 st-query "SELECT 1; SELECT 2" 2>err &&
	[ "$(sqlite3 "$ST_DB" "SELECT count(*) FROM contacts")" = 5 ] &&
	st-query --write "UPDATE contacts SET city = '"'"'Apex'"'"' WHERE id = 1" &&
	[ "$(sqlite3 "$ST_DB" "SELECT city FROM contacts WHERE id = 1")" = Apex ]
'

test_expect_success 'SQL from standard input' '
	echo "SELECT first_name FROM contacts WHERE id = 2" | st-query - >out &&
	printf "first_name\nBo\n" >expect && test_cmp expect out
'

test_expect_success 'malformed SQL: one line, exit 3' '
	test_exit 3 st-query "SELEC * FROM contacts" 2>err &&
	test_one_line err && test_grep "syntax error" err
'

test_expect_success 'SQL cannot be mixed with filters' '
	test_exit 2 st-query --tag host "SELECT 1" 2>err
'

test_expect_success 'saved segments' '
	st-query --save spanish-hosts --tag host --lang es >/dev/null &&
	[ "$(st-query -H -c id @spanish-hosts | tr "\n" " ")" = "3 5 " ] &&
	[ "$(st-query -H -c id @spanish-hosts --has-phone | tr "\n" " ")" = "5 " ] &&
	st-query --segments >out && test_grep "^spanish-hosts," out &&
	printf "email,language\nzed@example.org,es\n" | st-import --tag host >/dev/null &&
	[ "$(st-query -H -c id @spanish-hosts | tr "\n" " ")" = "3 5 6 " ] &&
	st-query --delete spanish-hosts &&
	test_exit 2 st-query @spanish-hosts 2>err && test_grep "no saved segment" err
'

test_expect_success 'a segment is one condition: its own AND/OR, then AND with more filters' '
	st-query --save es-or-host --any --lang es --tag host >/dev/null &&
	[ "$(ids @es-or-host)" = "1 3 5 6 " ] &&
	[ "$(ids @es-or-host --zip 27601)" = "1 5 " ] &&
	[ "$(ids --any @es-or-host --zip 27601)" = "1 2 3 5 6 " ] &&
	[ "$(ids --segment es-or-host --has-phone)" = "1 5 " ]
'

test_expect_success 'segments can build on segments, but not on themselves' '
	st-query --save texting @es-or-host --sms-ok >/dev/null &&
	[ "$(ids @texting)" = "1 5 " ] &&
	st-query --save loop @texting >/dev/null &&
	test_exit 2 st-query --save texting @loop 2>err && test_grep "refers to itself" err &&
	[ "$(ids @texting)" = "1 5 " ]
'

test_expect_success '-o writes the file atomically and 0600' '
	st-query -o out.csv --tag host &&
	[ "$(stat -c %a out.csv)" = 600 ] && [ "$(wc -l <out.csv)" = 4 ] &&
	test_exit 3 st-query -o out.csv "SELEC" 2>/dev/null &&
	[ "$(wc -l <out.csv)" = 4 ] && [ "$(ls out.csv.tmp* 2>/dev/null | wc -l)" = 0 ]
'

test_expect_success 'st-query | head ends quietly' '
	awk "BEGIN { print \"email\"; for (i = 0; i < 20000; i++) printf \"h%d@example.org\\n\", i }" | st-import --db big.db >/dev/null &&
	st-query --db big.db 2>err | head -1 >/dev/null &&
	[ ! -s err ]
'

test_expect_success 'a full disk is reported as a write error' '
	if [ -w /dev/full ]; then
		test_exit 1 st-query --db big.db >/dev/full 2>err && test_grep "cannot write" err
	fi
'

test_done
