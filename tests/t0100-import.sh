#!/bin/sh
# st-import: mapping, keys, merging, batches, undo, dry runs, rejects.
. "$(dirname "$0")/lib.sh"
export ST_DB=$TRASH/st.db

count() { sqlite3 "$ST_DB" "$1"; }

test_expect_success 'import the NC voter file keyed by ncid' '
	st-import --key voter_id=ncid "$SAMPLE" >out &&
	test_grep "read 300, inserted 300, updated 0, unchanged 0, rejected 0" out &&
	[ "$(count "SELECT count(*) FROM contacts")" = 300 ]
'

test_expect_success 'voter file columns are mapped and normalized' '
	st-query --where voter_id=CF8307 -c first_name,last_name,address,city,state,zip,phone >out &&
	cat >expect <<-\EOT &&
	first_name,last_name,address,city,state,zip,phone
	CURNIE,HUGHES,53 PINTAIL DR,OCRACOKE,NC,27960,+19805550199
	EOT
	test_cmp expect out
'

test_expect_success 'every unmapped column is kept in extra, nothing lost' '
	st-query --where voter_id=CF8307 -c party_cd,precinct_desc,mail_zipcode,registr_dt >out &&
	cat >expect <<-\EOT &&
	party_cd,precinct_desc,mail_zipcode,registr_dt
	UNA,OCRACOKE,279600777,11/27/2018
	EOT
	test_cmp expect out
'

test_expect_success 'household members who share a phone stay separate people' '
	shared=$(count "SELECT count(*) FROM (SELECT phone FROM contacts WHERE phone IS NOT NULL GROUP BY phone HAVING count(*) > 1)") &&
	[ "$shared" -gt 0 ] &&
	[ "$(count "SELECT count(DISTINCT voter_id) FROM contacts")" = 300 ]
'

test_expect_success 're-importing the same file changes nothing' '
	before=$(count "SELECT group_concat(id || updated_at || extra) FROM contacts_full") &&
	st-import --key voter_id=ncid "$SAMPLE" >out &&
	test_grep "inserted 0, updated 0, unchanged 300, rejected 0" out &&
	[ "$(count "SELECT group_concat(id || updated_at || extra) FROM contacts_full")" = "$before" ]
'

test_expect_success 'a re-import with changed and new rows updates and inserts' '
	sqlite3 "$ST_DB" "SELECT * FROM contacts_full ORDER BY id" >before-change &&
	head -1 "$SAMPLE" >changed.tsv &&
	sed -n "2,11p" "$SAMPLE" | sed "s/\"OCRACOKE\"/\"OCRACOKE ISLAND\"/; 3s/\"HYDE\"/\"HYDE COUNTY\"/" >>changed.tsv &&
	sed -n "2p" "$SAMPLE" | sed "s/\"CF8307\"/\"ZZ0001\"/" >>changed.tsv &&
	st-import --key voter_id=ncid changed.tsv >out &&
	n=$(sed -n "2,11p" "$SAMPLE" | grep -c "\"OCRACOKE\"") &&
	test_grep "read 11, inserted 1, updated $n, unchanged $((10 - n)), rejected 0" out &&
	[ "$(count "SELECT count(*) FROM contacts WHERE src_hash IS NULL")" = 0 ] &&
	[ -z "$(count "PRAGMA foreign_key_check")" ]
'

test_expect_success 'undo reverts a batch exactly' '
	id=$(count "SELECT max(id) FROM imports") &&
	st-import --undo "$id" >out &&
	test_grep "undid import $id" out &&
	[ "$(count "SELECT count(*) FROM contacts WHERE city LIKE \"%ISLAND%\" OR voter_id = \"ZZ0001\"")" = 0 ] &&
	[ "$(count "SELECT count(*) FROM contacts")" = 300 ] &&
	[ "$(count "SELECT undone_at IS NOT NULL FROM imports WHERE id = $id")" = 1 ] &&
	sqlite3 "$ST_DB" "SELECT * FROM contacts_full ORDER BY id" >after-undo &&
	test_cmp before-change after-undo
'

test_expect_success 'undo twice is refused' '
	id=$(count "SELECT max(id) FROM imports") &&
	test_exit 1 st-import --undo "$id" 2>err && test_grep "undone already" err
'

test_expect_success 'undo of an unknown batch is refused' '
	test_exit 1 st-import --undo 9999 2>err && test_grep "no import 9999" err
'

test_expect_success 'undo is refused while a later batch changed the same contacts' '
	st-import --key voter_id=ncid changed.tsv >/dev/null &&
	first=$(count "SELECT max(id) FROM imports") &&
	st-import --key voter_id=ncid --tag later changed.tsv >/dev/null &&
	second=$(count "SELECT max(id) FROM imports") &&
	test_exit 1 st-import --undo "$first" 2>err &&
	test_grep "undo $second first" err &&
	st-import --undo "$second" >/dev/null &&
	st-import --undo "$first" >/dev/null &&
	[ "$(count "SELECT count(*) FROM contacts")" = 300 ] &&
	[ "$(count "SELECT count(*) FROM contact_tags")" = 0 ]
'

test_expect_success 'undo restores the database to what it was, byte for byte' '
	snap() { sqlite3 "$ST_DB" "SELECT * FROM contacts_full ORDER BY id" | md5sum; } &&
	before=$(snap) &&
	st-import --key voter_id=ncid --tag t1 changed.tsv >/dev/null &&
	[ "$(snap)" != "$before" ] &&
	id=$(count "SELECT max(id) FROM imports") &&
	st-import --undo "$id" >/dev/null &&
	[ "$(snap)" = "$before" ]
'

test_expect_success 'undo is exact when the file names a contact twice with different changes' '
	snap() { sqlite3 "$ST_DB" "SELECT * FROM contacts_full ORDER BY id" | md5sum; } &&
	before=$(snap) &&
	head -1 "$SAMPLE" >twice.tsv &&
	sed -n "2p" "$SAMPLE" | sed "s/\"OCRACOKE\"/\"SWAN QUARTER\"/" >>twice.tsv &&
	sed -n "2p" "$SAMPLE" | sed "s/\"HUGHES\"/\"HUGHES-LEE\"/; s/\"UNA\"/\"DEM\"/; s/\"9805550199\"//" >>twice.tsv &&
	st-import --key voter_id=ncid twice.tsv >out &&
	test_grep "read 2, inserted 0, updated 2" out &&
	[ "$(count "SELECT last_name || city || coalesce(phone, \"-\") || json_extract(extra, \"\$.party_cd\") FROM contacts_full WHERE voter_id = \"CF8307\"")" = "HUGHES-LEEOCRACOKE+19805550199DEM" ] &&
	id=$(count "SELECT max(id) FROM imports") &&
	[ "$(count "SELECT count(*) FROM import_changes WHERE import_id = $id")" = 1 ] &&
	st-import --undo "$id" >/dev/null &&
	[ "$(snap)" = "$before" ]
'

test_expect_success 'a row that comes again after a change to its contact is merged again' '
	[ "$(count "PRAGMA journal_mode")" = wal ] &&
	head -1 "$SAMPLE" >back.tsv &&
	sed -n "3p" "$SAMPLE" | sed "s/\"ROBERT\"/\"BOB\"/" >>back.tsv &&
	sed -n "3p" "$SAMPLE" >>back.tsv &&
	st-import --key voter_id=ncid back.tsv >out &&
	test_grep "read 2, inserted 0, updated 2, unchanged 0" out &&
	[ "$(count "SELECT first_name FROM contacts WHERE voter_id = \"CF7570\"")" = ROBERT ] &&
	first=$(count "SELECT max(id) FROM imports") &&
	st-import --key voter_id=ncid back.tsv >out &&
	test_grep "read 2, inserted 0, updated 2, unchanged 0" out &&
	[ "$(count "SELECT first_name FROM contacts WHERE voter_id = \"CF7570\"")" = ROBERT ] &&
	st-import --undo "$(count "SELECT max(id) FROM imports")" >/dev/null &&
	st-import --undo "$first" >/dev/null
'

test_expect_success 'undo restores what the batch changed and keeps a later opt-out' '
	snap() { sqlite3 "$ST_DB" "SELECT * FROM contacts_full WHERE voter_id != \"CF8307\" ORDER BY id; SELECT city, updated_at, extra FROM contacts_full WHERE voter_id = \"CF8307\"" | md5sum; } &&
	before=$(snap) &&
	st-import --key voter_id=ncid changed.tsv >/dev/null &&
	id=$(count "SELECT max(id) FROM imports") &&
	[ "$(count "SELECT count(*) FROM import_changes WHERE import_id = $id AND json_type(old, \"\$.extra\") IS NULL AND json_type(old, \"\$.last_name\") IS NULL")" -gt 0 ] &&
	sqlite3 "$ST_DB" "UPDATE contacts SET sms_status = \"opted_out\" WHERE voter_id = \"CF8307\"" &&
	st-import --undo "$id" >/dev/null &&
	[ "$(count "SELECT sms_status FROM contacts WHERE voter_id = \"CF8307\"")" = opted_out ] &&
	[ "$(snap)" = "$before" ] &&
	sqlite3 "$ST_DB" "UPDATE contacts SET sms_status = NULL WHERE voter_id = \"CF8307\""
'

test_expect_success 'a dry run reports the counts and writes nothing' '
	before=$(count "SELECT count(*) FROM imports") &&
	st-import --dry-run --json --key voter_id=ncid changed.tsv >out &&
	test_grep "\"inserted\":1" out && test_grep "\"dry_run\":true" out &&
	[ "$(count "SELECT count(*) FROM imports")" = "$before" ] &&
	[ "$(count "SELECT count(*) FROM contacts WHERE voter_id = \"ZZ0001\"")" = 0 ]
'

test_expect_success 'sign-ups merge on phone, else e-mail' '
	cat >s1.csv <<-\EOT &&
	First Name,Last Name,Mobile Phone,Email Address,ZIP,Preferred Language
	Ana,Reyes,(919) 555-0142,ANA@Example.org,27601,Spanish
	Bo,Li,,bo@example.org,27601,Chinese
	EOT
	cat >s2.csv <<-\EOT &&
	first_name,last_name,phone,email,notes
	Ana,,919.555.0142,,likes canvassing
	Bo,Li-Chen,919-555-0143,bo@example.org,
	EOT
	st-import --db m.db --tag volunteer s1.csv >out1 &&
	test_grep "inserted 2" out1 &&
	st-import --db m.db s2.csv >out2 &&
	test_grep "inserted 0, updated 2" out2 &&
	sqlite3 -csv m.db "SELECT first_name, last_name, phone, email, lang, json_extract(extra, \"\$.notes\") FROM contacts_full ORDER BY id" >got &&
	cat >expect <<-\EOT &&
	Ana,Reyes,+19195550142,ana@example.org,es,"likes canvassing"
	Bo,Li-Chen,+19195550143,bo@example.org,zh,
	EOT
	test_cmp expect got
'

test_expect_success '--keep-existing only fills empty fields' '
	cat >s3.csv <<-\EOT &&
	email,last_name,city
	bo@example.org,Lee,Raleigh
	EOT
	st-import --db m.db --keep-existing s3.csv >out &&
	test_grep "updated 1" out &&
	[ "$(sqlite3 m.db "SELECT last_name || \"/\" || city FROM contacts WHERE email = \"bo@example.org\"")" = "Li-Chen/Raleigh" ]
'

test_expect_success 'an opt-out stands against a later import' '
	sqlite3 m.db "UPDATE contacts SET sms_status = \"opted_out\" WHERE email = \"bo@example.org\"" &&
	printf "email,sms_opt_in\nbo@example.org,yes\n" >s4.csv &&
	st-import --db m.db s4.csv >/dev/null &&
	[ "$(sqlite3 m.db "SELECT sms_status FROM contacts WHERE email = \"bo@example.org\"")" = opted_out ]
'

test_expect_success 'a changed value the shortcut would miss is still re-imported' '
	sqlite3 m.db "UPDATE contacts SET city = \"Durham\" WHERE email = \"bo@example.org\"" &&
	st-import --db m.db s3.csv >out &&
	test_grep "updated 1" out &&
	[ "$(sqlite3 m.db "SELECT city FROM contacts WHERE email = \"bo@example.org\"")" = Raleigh ]
'

test_expect_success '--map renames, maps and drops columns' '
	printf "Correo,Nombre,Secret,Shift\nluz@example.org,Luz,xyz,Sat AM\n" >map.csv &&
	st-import --db map.db -m Correo=email -m Nombre=first_name -m Secret=- -m Shift=preferred_shift map.csv >/dev/null &&
	[ "$(sqlite3 map.db "SELECT first_name || \" \" || email || \" \" || extra FROM contacts_full")" = "Luz luz@example.org {\"preferred_shift\":\"Sat AM\"}" ]
'

test_expect_success '--map and --key with an unknown column are usage errors' '
	test_exit 2 st-import --db map.db -m Nope=email map.csv 2>err &&
	test_grep "no column .Nope." err &&
	test_exit 2 st-import --db map.db --key voter_id=nope map.csv 2>err &&
	test_grep "no key column" err &&
	test_exit 2 st-import --db map.db --key shoe_size map.csv 2>err &&
	test_grep "invalid key field" err
'

test_expect_success 'invalid phones and e-mails are not stored as such, the row is kept' '
	cat >bad.csv <<-\EOT &&
	voter_id,first_name,phone,email
	V1,Al,555-0100,al@example
	V2,Bea,000-000-0000,bea@example.org
	V3,Cy,(919) 411-1234,cy@example.org
	V4,Di,919-555-0100 x12,di@example.org
	EOT
	st-import --db bad.db --key voter_id bad.csv >out &&
	test_grep "inserted 4" out &&
	sqlite3 -csv bad.db "SELECT voter_id, phone, email, extra FROM contacts_full ORDER BY id" >got &&
	cat >expect <<-\EOT &&
	V1,,,"{""phone"":""555-0100"",""email"":""al@example""}"
	V2,,bea@example.org,"{""phone"":""000-000-0000""}"
	V3,,cy@example.org,"{""phone"":""(919) 411-1234""}"
	V4,+19195550100,di@example.org,"{""phone"":""919-555-0100 x12""}"
	EOT
	test_cmp expect got
'

test_expect_success 'rows with no key go to the rejects file and the counts reconcile' '
	cat >nokey.csv <<-\EOT &&
	first_name,phone,email
	Ed,9195550150,
	Flo,,
	Gus,123,not-an-email
	Hal,,hal@example.org
	EOT
	st-import --db nk.db --json -r rejects.csv nokey.csv >out &&
	test_grep "\"read\":4,\"inserted\":2,\"updated\":0,\"unchanged\":0,\"rejected\":2" out &&
	cat >expect <<-\EOT &&
	line,reason,first_name,phone,email
	3,no valid phone or email to match on,Flo,,
	4,no valid phone or email to match on,Gus,123,not-an-email
	EOT
	test_cmp expect rejects.csv &&
	[ "$(stat -c %a rejects.csv)" = 600 ]
'

test_expect_success 'a key that belongs to another contact rejects the row' '
	printf "email,voter_id\na@example.org,X1\nb@example.org,X1\n" >conflict.csv &&
	st-import --db c.db -r rej.csv conflict.csv >out &&
	test_grep "inserted 1, updated 0, unchanged 0, rejected 1" out &&
	test_grep "conflicts with another contact" rej.csv
'

test_expect_success 'a merge that would take another contact'"'"'s key is rejected and leaves nothing' '
	printf "email,first_name\nb@example.org,Bea\n" | st-import --db c.db >/dev/null &&
	printf "email,voter_id,first_name\nb@example.org,X1,Bee\n" >steal.csv &&
	st-import --db c.db -r rej2.csv steal.csv >out &&
	test_grep "inserted 0, updated 0, unchanged 0, rejected 1" out &&
	test_grep "conflicts with another contact" rej2.csv &&
	[ "$(sqlite3 c.db "SELECT first_name || coalesce(voter_id, \"-\") FROM contacts WHERE email = \"b@example.org\"")" = Bea- ] &&
	[ "$(sqlite3 c.db "SELECT count(*) FROM import_changes WHERE import_id = (SELECT max(id) FROM imports)")" = 0 ]
'

test_expect_success 'a bulk load merges rows of the file that share a key' '
	printf "ncid,first_name,city\nK1,Ann,Apex\nK2,Ben,Cary\nK1,Ann,Raleigh\nK1,Ann,Raleigh\n" >dups.csv &&
	st-import --db bulk.db --key voter_id=ncid dups.csv >out &&
	test_grep "read 4, inserted 2, updated 1, unchanged 1, rejected 0" out &&
	[ "$(sqlite3 bulk.db "SELECT group_concat(voter_id || city) FROM contacts")" = "K1Raleigh,K2Cary" ] &&
	[ "$(sqlite3 bulk.db "SELECT count(*) FROM sqlite_master WHERE type = \"index\" AND tbl_name = \"contacts\"")" -ge 6 ]
'

test_expect_success 'a bulk load leaves every index of contacts as it found it, and usable' '
	st-import --db idx.db --list >/dev/null &&
	q="SELECT group_concat(name || \":\" || sql, \"|\") FROM (SELECT name, sql FROM sqlite_master WHERE tbl_name = \"contacts\" AND type = \"index\" ORDER BY name)" &&
	before=$(sqlite3 idx.db "$q") &&
	printf "ncid,email,phone,zip\nK1,a@example.org,9195550101,27601\nK2,,,27603\n" >idx.csv &&
	st-import --db idx.db --key voter_id=ncid idx.csv >/dev/null &&
	[ "$(sqlite3 idx.db "$q")" = "$before" ] &&
	printf "ncid,van_id\nK3,V3\n" >idx2.csv &&
	st-import --db idx2.db --key voter_id=ncid idx2.csv >/dev/null &&
	[ "$(sqlite3 idx2.db "$q")" = "$before" ] &&
	[ "$(sqlite3 idx2.db "PRAGMA integrity_check")" = ok ] &&
	[ "$(sqlite3 idx.db "PRAGMA integrity_check")" = ok ] &&
	[ "$(sqlite3 idx.db "SELECT voter_id FROM contacts INDEXED BY contacts_email WHERE email = \"a@example.org\"")" = K1 ] &&
	[ "$(sqlite3 idx2.db "SELECT voter_id FROM contacts INDEXED BY contacts_van_id WHERE van_id = \"V3\"")" = K3 ]
'

test_expect_success 'a bulk load merges repeated keys whose fields are long' '
	long=$(printf "%0300d" 0 | tr 0 x) &&
	{
		echo "ncid,first_name,middle_name,last_name,address,city" &&
		echo "L1,$long,$long,$long,$long,$long" &&
		echo "L1,$long,$long,$long,$long,Raleigh"
	} >long.csv &&
	st-import --db long.db --key voter_id=ncid long.csv >out &&
	test_grep "read 2, inserted 1, updated 1" out &&
	[ "$(sqlite3 long.db "SELECT city FROM contacts")" = Raleigh ]
'

test_expect_success 'tags are added once; a repeated key applies its rows in order' '
	st-import --db bulk.db --key voter_id=ncid --tag a --tag b dups.csv >out &&
	test_grep "inserted 0, updated 3, unchanged 1" out &&
	[ "$(sqlite3 bulk.db "SELECT count(*) FROM contact_tags")" = 4 ]
'

test_expect_success 'the source defaults to the file name and --source overrides it' '
	[ "$(sqlite3 bulk.db "SELECT DISTINCT source FROM contacts")" = dups.csv ] &&
	printf "email\nz@example.org\n" | st-import --db bulk.db --source web-form >/dev/null &&
	[ "$(sqlite3 bulk.db "SELECT source FROM contacts WHERE email = \"z@example.org\"")" = web-form ]
'

test_expect_success 'st-import --list shows the batches' '
	st-import --db bulk.db --list >out &&
	head -1 out | grep -q "^id,kind,file,source" &&
	[ "$(wc -l <out)" = 4 ]
'

test_expect_success 'several files: each its own batch, a missing one reported, the rest imported' '
	printf "email\nq1@example.org\n" >f1.csv &&
	printf "email\nq2@example.org\n" >f2.csv &&
	test_exit 1 st-import --db multi.db f1.csv missing.csv f2.csv >out 2>err &&
	test_grep "cannot open .missing.csv." err &&
	[ "$(sqlite3 multi.db "SELECT count(*) FROM imports")" = 2 ]
'

test_done
