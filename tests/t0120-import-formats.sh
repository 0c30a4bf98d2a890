#!/bin/sh
# st-import reads the files people actually have: any delimiter, BOM or not,
# CRLF or LF, Latin-1, no header, Mobilize and Action Network exports.
. "$(dirname "$0")/lib.sh"
export ST_DB=$TRASH/st.db

people() { st-query --db "$1" -H -c first_name,email,zip; }

for d in comma tab pipe semicolon; do
	case $d in
	comma) c=',' ;; tab) c='\t' ;; pipe) c='|' ;; semicolon) c=';' ;;
	esac
	test_expect_success "the $d delimiter is sniffed" "
		printf 'first_name${c}email${c}zip${c}notes\nAl${c}al@example.org${c}27601${c}x\nBe${c}be@example.org${c}02139${c}\"a${c}b\"\n' >$d.csv &&
		st-import --db $d.db $d.csv >/dev/null &&
		people $d.db >got &&
		printf 'Al,al@example.org,27601\nBe,be@example.org,02139\n' >expect &&
		test_cmp expect got &&
		[ \"\$(st-query --db $d.db -H -c notes --where email=be@example.org | tr -d '\"')\" = \"\$(printf 'a${c}b')\" ]
	"
done

test_expect_success 'a UTF-8 BOM and CRLF line endings' '
	printf "\357\273\277first_name,email\r\nZoë,zoe@example.org\r\n" >bom.csv &&
	st-import --db bom.db bom.csv >/dev/null &&
	[ "$(people bom.db)" = "Zoë,zoe@example.org," ]
'

test_expect_success 'quoted fields with commas, quotes and newlines survive' '
	printf "email,notes\nq@example.org,\"says \"\"hi\"\", then\nleaves\"\n" >q.csv &&
	st-import --db q.db q.csv >/dev/null &&
	st-query --db q.db -c email,notes >got &&
	printf "email,notes\nq@example.org,\"says \"\"hi\"\", then\nleaves\"\n" >expect &&
	test_cmp expect got
'

test_expect_success 'an explicit delimiter overrides sniffing' '
	printf "email;first_name,last_name\nd@example.org;Di,Do\n" >semi.csv &&
	st-import --db semi.db -d ";" semi.csv >/dev/null &&
	[ "$(sqlite3 semi.db "SELECT email || \" \" || extra FROM contacts_full")" = "d@example.org {\"first_name,last_name\":\"Di,Do\"}" ]
'

test_expect_success 'an invalid delimiter is a usage error' '
	test_exit 2 st-import --db semi.db -d "::" semi.csv 2>err &&
	test_grep "invalid delimiter" err
'

test_expect_success '--no-header with --columns' '
	printf "Al,al@example.org\nBe,be@example.org\n" >nohdr.csv &&
	st-import --db nh.db --no-header --columns first_name,email nohdr.csv >out &&
	test_grep "inserted 2" out &&
	[ "$(people nh.db | head -1)" = "Al,al@example.org," ]
'

test_expect_success '--no-header without --columns names columns column_N' '
	printf "x@example.org,hello\n" | st-import --db nh2.db --no-header --map column_1=email >/dev/null &&
	[ "$(st-query --db nh2.db -H -c email,column_2)" = "x@example.org,hello" ]
'

test_expect_success '--columns without --no-header is a usage error' '
	test_exit 2 st-import --db x.db --columns a,b nohdr.csv 2>err
'

test_expect_success 'a Mobilize-style export maps itself' '
	cat >mobilize.csv <<-\EOT &&
	Timeslot ID,First name,Last name,Email,Phone,Zip,Event title,SMS opt-in status
	101,Rosa,Parks,Rosa@Example.org,+1 (252) 555-0111,27601,Canvass,Opted in
	102,Juan,Soto,juan@example.org,2525550112,27601-1234,Canvass,Opted out
	EOT
	st-import --db mob.db mobilize.csv >/dev/null &&
	st-query --db mob.db -H -c "first_name,email,phone,zip,sms_status,Event title" >got &&
	cat >expect <<-\EOT &&
	Rosa,rosa@example.org,+12525550111,27601,opted_in,Canvass
	Juan,juan@example.org,+12525550112,27601,opted_out,Canvass
	EOT
	test_cmp expect got
'

test_expect_success 'an Action Network-style export maps itself' '
	cat >an.csv <<-\EOT &&
	first_name,last_name,email,zip_code,can2_phone,can2_sms_status,language
	Mei,Chen,mei@example.org,11201,718-555-0133,subscribed,中文
	EOT
	st-import --db an.db an.csv >/dev/null &&
	[ "$(sqlite3 an.db "SELECT phone || \" \" || zip || \" \" || sms_status || \" \" || lang FROM contacts")" = "+17185550133 11201 opted_in zh" ]
'

test_expect_success 'input from a pipe' '
	printf "email\npiped@example.org\n" | st-import --db stdin.db >out &&
	test_grep "^-: import 1" out &&
	printf "email\npiped2@example.org\n" | st-import --db stdin.db - >/dev/null &&
	[ "$(sqlite3 stdin.db "SELECT count(*) FROM contacts")" = 2 ]
'

test_expect_success 'JSON Lines in, with values of every JSON type' '
	cat >in.jsonl <<-\EOT &&
	{"first_name":"Zoe","phone":"919-555-0100","shifts":3,"host":true,"langs":["es","en"],"note":null}

	{"first_name":"Yan","email":"yan@example.org"}
	not json
	{"first_name":"Wu","phone":"9195550101","note":"caf\u00e9"}
	EOT
	st-import --db jl.db -r rej.csv in.jsonl >out &&
	test_grep "read 4, inserted 2, updated 0, unchanged 0, rejected 2" out &&
	st-query --db jl.db --json -c first_name,phone,extra >got &&
	cat >expect <<-\EOT &&
	{"first_name":"Zoe","phone":"+19195550100","extra":{"shifts":"3","host":"true","langs":"[\"es\",\"en\"]"}}
	{"first_name":"Wu","phone":"+19195550101","extra":{"note":"café"}}
	EOT
	test_cmp expect got &&
	test_grep "^3,key .email. is not in the first line" rej.csv &&
	test_grep "yan@example.org" rej.csv &&
	test_grep "^4,not a JSON object" rej.csv
'

test_expect_success 'st-query --json | st-import round-trips contacts' '
	st-query --db mob.db --json -c first_name,email,phone,zip,sms_status |
	st-import --db copy.db >/dev/null &&
	[ "$(st-query --db copy.db -H -c first_name,email,phone,zip,sms_status)" = "$(st-query --db mob.db -H -c first_name,email,phone,zip,sms_status)" ]
'

test_expect_success 'JSON Lines whose first line is not an object is refused' '
	printf "{oops\n{\"a\":1}\n" >bad.jsonl &&
	test_exit 3 st-import --db jl.db bad.jsonl 2>err &&
	test_one_line err && test_grep "line 1: not a JSON object" err
'

test_expect_success 'the JSON summary is one object per file' '
	st-import --db js.db --json nohdr.csv mobilize.csv >out 2>/dev/null || true &&
	[ "$(wc -l <out)" -ge 1 ] &&
	/usr/bin/python3 -c "import json,sys; [json.loads(l) for l in open(\"out\")]"
'

test_done
