#!/bin/sh
# st-refmap: referral codes, tokens and their secret, personalized links,
# recording referrals (st-refmap record and st-import), the influence map
# against networkx on random forests, graph export; st-query's referral filters.
. "$(dirname "$0")/lib.sh"
export ST_DB=$TRASH/st.db

test_expect_success 'set up contacts and a secret' '
	cat >people.csv <<-\EOT &&
	first_name,last_name,phone,email
	Ana,Reyes,919-555-0101,ana@example.org
	Bo,Li,919-555-0102,bo@example.org
	Cy,Ott,919-555-0103,cy@example.org
	Di,Pe,919-555-0104,di@example.org
	Ed,Uh,919-555-0105,ed@example.org
	Flo,Ng,919-555-0106,flo@example.org
	Gus,Ay,919-555-0107,gus@example.org
	EOT
	st-import people.csv >/dev/null &&
	printf "first_name,last_name,phone,email\nHal,Oz,919-555-0107,hal@example.org\n" |
		st-import --key email >/dev/null &&
	[ "$(st-query -H -c id | wc -l)" = 8 ] &&
	mkdir -p .config/st &&
	(umask 077 && head -c 32 /dev/urandom >.config/st/secret) &&
	st-refmap token 1 >tok && test_one_line tok
'

code() { st-refmap code "$1"; }

test_expect_success 'a secret others can read or write, a short one or a missing one is refused' '
	printf "correct horse battery staple, 32+ bytes long" >s1 && chmod 600 s1 &&
	ST_SECRET_FILE=$TRASH/s1 st-refmap token 1 >/dev/null &&
	chmod 640 s1 &&
	test_exit 1 env ST_SECRET_FILE=$TRASH/s1 st-refmap token 1 2>err && test_one_line err &&
	test_grep "secret file .*s1. can be read or written by group or others (mode 640)" err &&
	chmod 602 s1 &&
	test_exit 1 env ST_SECRET_FILE=$TRASH/s1 st-refmap token 1 2>err &&
	test_grep "by group or others (mode 602)" err &&
	! grep -q horse err &&
	printf "too short" >s2 && chmod 600 s2 &&
	test_exit 1 env ST_SECRET_FILE=$TRASH/s2 st-refmap token 1 2>err && test_one_line err &&
	test_grep "is too short (9 bytes; it must hold 32 to 4096)" err &&
	test_exit 1 env ST_SECRET_FILE=$TRASH/none st-refmap token 1 2>err && test_one_line err &&
	test_grep "cannot open secret file .*none.: No such file or directory" err &&
	mkdir sdir && chmod 700 sdir &&
	test_exit 1 env ST_SECRET_FILE=$TRASH/sdir st-refmap token 1 2>err &&
	test_grep "is not a regular file" err
'

test_expect_success 'the secret is looked for in XDG_CONFIG_HOME, then ~/.config' '
	mkdir -p xdg/st && (umask 077 && head -c 40 /dev/urandom >xdg/st/secret) &&
	t=$(XDG_CONFIG_HOME=$TRASH/xdg st-refmap token 2) &&
	XDG_CONFIG_HOME=$TRASH/xdg st-refmap verify "$t" >/dev/null &&
	test_exit 3 st-refmap verify "$t" 2>err && test_grep "forged" err &&
	t=$(st-refmap token 2) && st-refmap verify "$t" >/dev/null
'

test_expect_success 'codes are seven characters of an unambiguous alphabet, stable, one per contact' '
	c1=$(code 1) &&
	echo "$c1" | grep -Eqx "[0-9A-HJKMNP-TV-Z]{7}" &&
	[ "$(code ana@example.org)" = "$c1" ] && [ "$(code 919-555-0101)" = "$c1" ] &&
	for i in 1 2 3 4 5 6 7 8; do code $i; done >codes &&
	[ "$(sort -u codes | wc -l)" -eq 8 ] &&
	! grep -Eq "[ILOU]" codes &&
	for i in 1 2 3 4 5 6 7 8; do code $i; done >again && test_cmp codes again &&
	[ "$(sqlite3 "$ST_DB" "SELECT count(*) FROM referral_codes")" = 8 ] &&
	test_exit 3 st-refmap code 99 2>err && test_grep "no contact 99" err
'

test_expect_success 'a token verifies and names its contact; it can come on standard input' '
	t=$(st-refmap token bo@example.org) &&
	st-refmap verify "$t" >out &&
	echo "id,first_name,last_name,phone,email,purpose,expires" >expect &&
	head -1 out >hdr && test_cmp expect hdr &&
	test_grep "^2,Bo,Li,+19195550102,bo@example.org,login,20[0-9-]*T[0-9:]*Z$" out &&
	echo "$t" | st-refmap verify --json - >out &&
	[ "$(jq -r .id out)" = 2 ] &&
	t=$(st-refmap token 3 --purpose rsvp:confirm --ttl 2h) &&
	st-refmap verify --purpose rsvp:confirm "$t" >out && test_grep "^3,Cy,.*,rsvp:confirm," out
'

# refused TOKEN PATTERN [ARGS...]: verify refuses TOKEN with exit 3 and one line matching PATTERN.
refused() {
	tok=$1 pat=$2
	shift 2
	test_exit 3 st-refmap verify "$@" -- "$tok" 2>err >out && test_one_line err &&
	test_grep "^st-refmap: token refused: $pat" err && ! test -s out
}

test_expect_success 'forged tokens are refused: altered, another secret, another purpose' '
	t=$(st-refmap token 1) &&
	refused "2.${t#*.}" "forged: the signature does not match" &&
	mac=${t##*.} && last=${mac#"${mac%?}"} &&
	if [ "$last" = A ]; then other=B; else other=A; fi &&
	refused "${t%?}$other" "forged" &&
	refused "$t" "forged" --purpose rsvp &&
	refused "$(ST_SECRET_FILE=$TRASH/xdg/st/secret st-refmap token 1)" "forged" &&
	refused "$(echo "$t" | tr a-z A-Z)" "" &&
	refused "hello world" "not a token" &&
	refused "$t.x" "not a token" &&
	refused "${t}AAAA" "not a token"
'

test_expect_success 'truncated tokens are refused as truncated' '
	t=$(st-refmap token 1) &&
	refused "${t%?}" "truncated" &&
	refused "${t%?????????????}" "truncated" &&
	refused "${t%.*}" "truncated" &&
	refused "${t%.*}." "truncated" &&
	refused "1." "truncated"
'

test_expect_success 'expired tokens are refused with the time they expired' '
	t=$(st-refmap token 1 --ttl 1s) &&
	sleep 2 &&
	refused "$t" "expired at 20[0-9-]*T[0-9:]*Z$"
'

test_expect_success 'revoking refuses every token made before, not those made after' '
	old=$(st-refmap token 4) && other=$(st-refmap token 5) &&
	st-refmap revoke di@example.org >out && ! test -s out &&
	refused "$old" "revoked: the tokens of contact 4 were revoked after it was made" &&
	new=$(st-refmap token 4) && st-refmap verify "$new" >/dev/null &&
	st-refmap verify "$other" >/dev/null &&
	st-refmap revoke 4 && refused "$new" "revoked" &&
	[ "$(sqlite3 "$ST_DB" "SELECT generation FROM token_generations WHERE contact_id = 4")" = 2 ]
'

test_expect_success 'a token of a contact that no longer exists is refused' '
	printf "first_name,email\nZoe,zoe@example.org\n" | st-import >/dev/null &&
	z=$(st-query -H -c id --where email=zoe@example.org) &&
	t=$(st-refmap token "$z") &&
	st-query --write "DELETE FROM contacts WHERE id = $z" &&
	refused "$t" "contact $z no longer exists"
'

test_expect_success 'the secret never reaches the database, the output or argv' '
	chmod 600 s1 &&
	ST_SECRET_FILE=$TRASH/s1 st-refmap token 1 >out 2>&1 &&
	st-query -c id | ST_SECRET_FILE=$TRASH/s1 st-refmap link --base https://ex.org >>out 2>&1 &&
	! grep -q horse out && ! grep -aq horse "$ST_DB" &&
	! grep -aq horse "$ST_DB-wal" 2>/dev/null
'

test_expect_success 'link passes every column through and merges the query string and fragment' '
	st-query -c id,first_name,email --id 1,2,3 |
		st-refmap link --base "https://ex.org/join?utm_source=sms&r=old&t=old&x=1#form" >links &&
	head -1 links >hdr && echo "id,first_name,email,link" >expect && test_cmp expect hdr &&
	[ "$(wc -l <links)" = 4 ] &&
	tail -n +2 links | while IFS=, read -r id name email link; do
		c=$(code "$id") &&
		echo "$link" | grep -Eqx "https://ex.org/join\?utm_source=sms&x=1&t=[0-9a-z]+\.[0-9a-z]+\.[0-9a-z]+\.[A-Za-z0-9_-]{22}&r=$c#form" &&
		t=$(echo "$link" | sed "s/.*[?&]t=\([^&#]*\).*/\1/") &&
		[ "$(st-refmap verify -H "$t" | cut -d, -f1)" = "$id" ] || exit 1
	done &&
	st-query -c id,first_name,email --id 1,2,3 >in && cut -d, -f1-3 links >passed && test_cmp in passed
'

test_expect_success 'link keeps JSON types, TSV stays TSV, and a link column is replaced' '
	printf "%s\n" "{\"id\":1,\"n\":2.5,\"ok\":true,\"tags\":[\"a\",\"b\"],\"none\":null,\"link\":\"x\",\"s\":\"7\"}" |
		st-refmap link --base https://ex.org >out &&
	test_one_line out &&
	[ "$(jq -c "[.n, .ok, .tags, .none, .s]" out)" = "[2.5,true,[\"a\",\"b\"],null,\"7\"]" ] &&
	[ "$(jq -c "keys_unsorted" out)" = "[\"id\",\"n\",\"ok\",\"tags\",\"none\",\"link\",\"s\"]" ] &&
	jq -r .link out | grep -Eqx "https://ex.org\?t=[^&]+&r=$(code 1)" &&
	printf "id\tname\n2\tBo Li\n" | st-refmap link --base https://ex.org --column url >out &&
	printf "id\tname\turl\n" >expect && head -1 out >hdr && test_cmp expect hdr &&
	test_grep "^2	Bo Li	https://ex.org?t=" out &&
	printf "id\n3\n" | st-refmap link --base https://ex.org --json >out &&
	[ "$(jq -r .id out)" = 3 ]
'

test_expect_success 'link leaves out contacts that do not exist, says so, and exits 3' '
	printf "id,first_name\n1,Ana\n999,Nobody\nx,Bad\n2,Bo\n" >in &&
	test_exit 3 st-refmap link --base https://ex.org <in >out 2>err &&
	[ "$(cut -d, -f1 out | tr "\n" " ")" = "id 1 2 " ] &&
	test_grep "^st-refmap: line 3: no contact 999$" err &&
	test_grep "^st-refmap: line 4: invalid contact id .x.$" err &&
	printf "name\nAna\n" | test_exit 3 st-refmap link --base https://ex.org 2>err &&
	test_grep "no contact id column" err
'

test_expect_success 'share links carry the code only; bad URLs and options are usage errors' '
	printf "id\n1\n" | st-refmap link --share --base "https://ex.org/s?a=b" >out &&
	test_grep "^1,https://ex.org/s?a=b&r=$(code 1)$" out &&
	printf "id\n1\n" | test_exit 2 st-refmap link --base ftp://ex.org 2>err &&
	test_grep "invalid base URL" err &&
	printf "id\n1\n" | test_exit 2 st-refmap link --base "https://ex.org/a b" 2>err &&
	printf "id\n1\n" | test_exit 2 st-refmap link --base https:// 2>err &&
	test_grep "no host" err &&
	printf "id\n1\n" | test_exit 2 st-refmap link 2>err && test_grep "needs --base" err &&
	printf "id\n1\n" | test_exit 2 st-refmap link --share --ttl 1d --base https://ex.org 2>err &&
	test_exit 2 st-refmap token 1 --ttl 5 2>err && test_grep "invalid duration" err &&
	test_exit 2 st-refmap token 1 --purpose "Log In" 2>err && test_grep "invalid purpose" err &&
	test_exit 2 st-refmap top --base https://ex.org 2>err &&
	test_grep "option .--base. does not go with .top." err &&
	test_exit 2 st-refmap top --by fame 2>err && test_grep "unknown --by" err &&
	test_exit 2 st-refmap frobnicate 2>err && test_grep "unknown subcommand" err &&
	test_exit 2 st-refmap chain 2>err && test_grep "takes 1 argument" err
'

test_expect_success 'record: every outcome is counted; unknown codes are never attributed' '
	ana=$(code 1) bo=$(code 2) cy=$(code 3) di=$(code 4) &&
	anal=$(echo "$ana" | tr A-Z a-z | sed "s/^\(...\)/\1-/") &&
	cat >clicks.csv <<-EOT &&
	ref,email,phone,at,page
	$ana,bo@example.org,,2026-05-01 10:00,/join
	$anal,cy@example.org,,,
	$bo,di@example.org,,2026-05-02T09:30:00-04:00,
	$cy,bo@example.org,,,
	$di,di@example.org,,,
	$di,ana@example.org,,,
	ZZZZZZZ,ed@example.org,,,
	$ana,nobody@example.org,,,
	$ana,,919-555-0107,,
	,ed@example.org,,,
	$ana,ed@example.org,,yesterday,
	EOT
	st-refmap record --campaign spring -r rej.csv clicks.csv >out &&
	echo "clicks.csv: read 11, recorded 3, already referred 1, self-referrals 1, unknown codes 1, loops 1, unidentified 2, invalid 2" >expect &&
	test_cmp expect out &&
	sqlite3 "$ST_DB" "SELECT referrer_id, referred_id, at, coalesce(via_page, \"-\"), campaign FROM referrals ORDER BY referred_id" >edges &&
	cat >expect <<-\EOT &&
	1|2|2026-05-01T10:00:00Z|/join|spring
	1|3|2026-11-23T00:00:00Z|-|spring
	2|4|2026-05-02T13:30:00Z|-|spring
	EOT
	sed "2s/|20[0-9-]*T[0-9:]*Z|/|2026-11-23T00:00:00Z|/" edges >got && test_cmp expect got &&
	[ "$(sqlite3 "$ST_DB" "SELECT count(*) FROM referrals WHERE referred_id IN (1, 5)")" = 0 ] &&
	[ "$(stat -c %a rej.csv)" = 600 ] &&
	cut -d, -f2 rej.csv >reasons &&
	test_grep "^contact 2 has a referrer already$" reasons &&
	test_grep "^contact 4.s own code$" reasons &&
	test_grep "^loop: the code.s owner (contact 4) came through contact 1$" reasons &&
	test_grep "^unknown referral code .ZZZZZZZ.$" reasons &&
	test_grep "^no contact with e-mail nobody@example.org$" reasons &&
	test_grep "^several contacts share phone +19195550107$" reasons &&
	test_grep "^no referral code$" reasons &&
	test_grep "^invalid time .yesterday.$" reasons &&
	[ "$(wc -l <rej.csv)" = 9 ]
'

test_expect_success 'record: a dry run changes nothing; JSON Lines in, a JSON summary out' '
	printf "%s\n" "{\"r\":\"$(code 5)\",\"contact_id\":6}" "{\"r\":\"$(code 5)\",\"contact_id\":99}" >c.jsonl &&
	st-refmap record -n --json c.jsonl >out &&
	[ "$(jq -c "[.recorded, .unidentified, .dry_run]" out)" = "[1,1,true]" ] &&
	[ "$(sqlite3 "$ST_DB" "SELECT count(*) FROM referrals WHERE referred_id = 6")" = 0 ] &&
	st-refmap record <c.jsonl >out && test_grep "recorded 1," out &&
	[ "$(sqlite3 "$ST_DB" "SELECT referrer_id FROM referrals WHERE referred_id = 6")" = 5 ] &&
	printf "email\nbo@example.org\n" | test_exit 3 st-refmap record 2>err &&
	test_grep "no referral code column" err &&
	printf "ref,name\nX,Y\n" | test_exit 3 st-refmap record 2>err &&
	test_grep "no column in .-. names the contact" err
'

test_expect_success 'st-import records referrals from a referral column, counts them, and undo takes them back' '
	cat >signups.csv <<-EOT &&
	first_name,email,Referral Code
	Ivy,ivy@example.org,$(code 6)
	Jo,jo@example.org,NOPE999
	Ed,ed@example.org,$(code 7)
	Flo,flo@example.org,$(code 6)
	EOT
	st-import signups.csv >out &&
	test_grep "read 4, inserted 2, updated 2, unchanged 0, rejected 0, referred 2, unknown codes 1, referrals ignored 1$" out &&
	b=$(sed -n "s/.*import \([0-9]*\):.*/\1/p" out) &&
	ivy=$(st-query -H -c id --where email=ivy@example.org) &&
	[ "$(sqlite3 "$ST_DB" "SELECT referrer_id || \",\" || import_id FROM referrals WHERE referred_id = $ivy")" = "6,$b" ] &&
	[ "$(sqlite3 "$ST_DB" "SELECT referrer_id FROM referrals WHERE referred_id = 5")" = 7 ] &&
	st-import --json signups.csv >out &&
	[ "$(jq -c "[.referred, .unknown_codes, .referrals_ignored]" out)" = "[0,1,3]" ] &&
	st-import --undo $((b + 1)) >/dev/null && st-import --undo "$b" >/dev/null &&
	[ "$(sqlite3 "$ST_DB" "SELECT count(*) FROM referrals WHERE referred_id IN (5, $ivy)")" = 0 ] &&
	st-import people.csv >out && ! grep -q referred out
'

test_expect_success 'st-query --referred-by and --recruits-min' '
	[ "$(st-query -H -c id --referred-by 1 | tr "\n" " ")" = "2 3 " ] &&
	[ "$(st-query -H -c id --referred-by 1,2 | tr "\n" " ")" = "2 3 4 " ] &&
	[ "$(st-query -H -c id --recruits-min 2 | tr "\n" " ")" = "1 " ] &&
	[ "$(st-query -H -c id --recruits-min 1 | tr "\n" " ")" = "1 2 5 " ] &&
	[ "$(st-query -H -c id --recruits-min 0 | wc -l)" = "$(st-query -H -c id | wc -l)" ] &&
	st-query --save recruiters --recruits-min 1 >/dev/null &&
	[ "$(st-query -H -c id @recruiters --referred-by 1 | tr "\n" " ")" = "2 " ]
'

test_expect_success 'top, chain, tree and stats on a small map' '
	sqlite3 "$ST_DB" "INSERT INTO events(id, title, tz, created_at, updated_at) VALUES (1, \"E\", \"UTC\", \"x\", \"x\");
		INSERT INTO shifts(id, event_id, starts_at, ends_at, created_at, updated_at) VALUES (1, 1, \"2026-01-01T10:00:00Z\", \"2026-01-01T11:00:00Z\", \"x\", \"x\");
		INSERT INTO attendance(contact_id, shift_id, status, created_at) VALUES (4, 1, \"attended\", \"x\"), (3, 1, \"no_show\", \"x\")" &&
	st-refmap top >out &&
	cat >expect <<-EOT &&
	id,first_name,last_name,code,direct,reach,active,conversion,depth
	1,Ana,Reyes,$(code 1),2,3,1,33.3,0
	2,Bo,Li,$(code 2),1,1,1,100.0,1
	5,Ed,Uh,$(code 5),1,1,0,0.0,0
	EOT
	test_cmp expect out &&
	st-refmap top --by conversion -H -l 2 | cut -d, -f1 | tr "\n" " " >got && [ "$(cat got)" = "2 1 " ] &&
	st-refmap top --by direct -H | cut -d, -f1 | tr "\n" " " >got && [ "$(cat got)" = "1 2 5 " ] &&
	st-refmap chain di@example.org | cut -d, -f1-4 >out &&
	printf "depth,id,first_name,last_name\n0,4,Di,Pe\n1,2,Bo,Li\n2,1,Ana,Reyes\n" >expect && test_cmp expect out &&
	st-refmap tree 1 >out &&
	printf "1 Ana Reyes\n  2 Bo Li\n    4 Di Pe\n  3 Cy Ott\n" >expect && test_cmp expect out &&
	st-refmap tree --json 2 >out &&
	[ "$(jq -c "[.id, .name, .children[0].id, .children[0].children]" out)" = "[2,\"Bo Li\",4,[]]" ] &&
	st-refmap tree 8 >out && echo "8 Hal Oz" >expect && test_cmp expect out &&
	st-refmap stats >out &&
	n=$(st-query -H -c id | wc -l) &&
	cat >expect <<-EOT &&
	metric,value
	contacts,$n
	referred,4
	referred_pct,$(awk -v n="$n" "BEGIN { printf \"%.1f\", 400 / n }")
	recruiters,3
	roots,2
	max_depth,2
	mean_depth,1.25
	depth_1,3
	depth_2,1
	EOT
	test_cmp expect out &&
	printf "id\n4\n5\n2\n4\n" | st-refmap stats - >out &&
	test_grep "^contacts,3$" out && test_grep "^referred,2$" out && test_grep "^roots,1$" out &&
	test_grep "^referred_pct,66.7$" out && test_grep "^depth_2,1$" out
'

test_expect_success 'top --format html: a bar chart, well-formed, with names escaped' '
	st-query --write "UPDATE contacts SET first_name = \"<b>An&a\" WHERE id = 1" &&
	st-refmap top --by conversion --format html >chart.html &&
	test_grep "<title>Top recruiters by conversion</title>" chart.html &&
	test_grep "&lt;b&gt;An&amp;a Reyes (contact 1, code $(code 1)): 2 direct, reach 3, 1 active, conversion 33.3%, depth 0</title>" chart.html &&
	sed -n "/<svg/,/<\/svg>/p" chart.html >chart.svg &&
	/usr/bin/python3 -c "import sys, xml.etree.ElementTree as E; s = E.parse(sys.argv[1]).getroot(); r = s.findall(\".//{http://www.w3.org/2000/svg}rect\"); print(len(r), [x.get(\"width\") for x in r])" chart.svg >out &&
	test_grep "^3 \[.480.0., .160.0., .0.0.\]$" out &&
	st-query --write "UPDATE contacts SET first_name = \"Ana\" WHERE id = 1"
'

test_expect_success 'graph: DOT, node-link JSON and CSV, whole or below one contact' '
	st-refmap graph >g.dot &&
	test_grep "^	n1 -> n2;$" g.dot && test_grep "^	n2 -> n4;$" g.dot &&
	test_grep "^	n1 \[label=\"Ana Reyes\\\\n1 $(code 1)\"\];$" g.dot &&
	[ "$(grep -c -- "->" g.dot)" = 4 ] &&
	st-refmap graph --format json >g.json &&
	[ "$(jq -c "[.links[] | [.source, .target]]" g.json)" = "[[1,2],[1,3],[2,4],[5,6]]" ] &&
	[ "$(jq -c "[.nodes[].id]" g.json)" = "[1,2,3,4,5,6]" ] &&
	st-refmap graph -f csv 2 >out &&
	printf "referrer,referred\n2,4\n" >expect && cut -d, -f1,2 out >got && test_cmp expect got &&
	st-refmap graph --json 8 >out && [ "$(jq -c "[.nodes, .links]" out)" = "[[],[]]" ] &&
	test_exit 2 st-refmap graph -f png 2>err && test_grep "unknown graph format" err
'

if command -v dot >/dev/null 2>&1; then
	test_expect_success 'graph --format svg draws through Graphviz' '
		st-refmap graph --format svg >g.svg &&
		grep -q "<svg" g.svg && grep -q "Ana Reyes" g.svg
	'
else
	test_skip 'graph --format svg draws through Graphviz' 'Graphviz is not installed'
fi

test_expect_success 'graph --format svg without Graphviz says so' '
	mkdir nodot && for c in st-refmap; do ln -s "$(command -v $c)" nodot/$c; done &&
	test_exit 1 env PATH="$TRASH/nodot" nodot/st-refmap graph --format svg >out 2>err &&
	test_one_line err && test_grep "Graphviz.s .dot. is not installed" err
'

test_expect_success 'loops made by hand are left out of the map, and nothing hangs' '
	sqlite3 "$ST_DB" ".backup loop.db" &&
	sqlite3 loop.db "INSERT INTO referrals(referred_id, referrer_id, code, at, created_at) VALUES (7, 8, \"X\", \"x\", \"x\"), (8, 7, \"X\", \"x\", \"x\")" &&
	st-refmap --db loop.db stats >out && test_grep "^in_loops,2$" out &&
	st-refmap --db loop.db top -H | cut -d, -f1 | tr "\n" " " >got && [ "$(cat got)" = "1 2 5 " ] &&
	st-refmap --db loop.db chain 7 | cut -d, -f1,2 >out &&
	printf "depth,id\n0,7\n1,8\n" >expect && test_cmp expect out &&
	st-refmap --db loop.db tree 7 >out && printf "7 Gus Ay\n  8 Hal Oz\n" >expect && test_cmp expect out &&
	st-refmap --db loop.db graph -f csv 7 >out && [ "$(wc -l <out)" = 2 ]
'

test_expect_success 'the map is the same when contact ids are far apart' '
	sqlite3 "$ST_DB" ".backup sparse.db" &&
	sqlite3 sparse.db "INSERT INTO contacts(id, first_name, created_at, updated_at) VALUES
			(-5, \"Neg\", \"x\", \"x\"), (4000000000000, \"Far\", \"x\", \"x\");
		INSERT INTO referrals(referred_id, referrer_id, code, at, created_at) VALUES
			(4000000000000, 2, \"X\", \"x\", \"x\"), (-5, 4000000000000, \"X\", \"x\", \"x\")" &&
	st-refmap --db sparse.db top -H | cut -d, -f1,5-9 >out &&
	printf "1,2,5,1,20.0,0\n2,2,3,1,33.3,1\n5,1,1,0,0.0,0\n4000000000000,1,1,0,0.0,2\n" >expect &&
	test_cmp expect out &&
	st-refmap --db sparse.db tree 2 >out &&
	printf "2 Bo Li\n  4 Di Pe\n  4000000000000 Far\n    -5 Neg\n" >expect && test_cmp expect out &&
	st-refmap --db sparse.db stats >out && test_grep "^depth_3,1$" out
'

# The influence map against networkx, on random forests of three shapes.
cat >forest.py <<\EOF
import csv, json, random, sys
import networkx as nx

def gen(seed, shape, links, n):
    """A random forest over contacts 1..n; the clicks that record it, in random order."""
    rnd = random.Random(seed)
    code = {}
    with open(links) as f:
        for row in csv.DictReader(f):
            code[int(row["id"])] = row["link"].split("r=")[1]
    order = list(range(1, n + 1))
    rnd.shuffle(order)
    edges = []
    for i, v in enumerate(order):
        if i == 0 or rnd.random() < {"bushy": 0.05, "chains": 0.01, "mixed": 0.2}[shape]:
            continue
        if shape == "chains" and rnd.random() < 0.8:
            p = order[i - 1]
        else:
            p = order[rnd.randrange(i)]
        edges.append((p, v))
    rnd.shuffle(edges)
    with open("clicks.csv", "w") as f:
        f.write("ref,email\n")
        for p, v in edges:
            f.write("%s,p%d@example.org\n" % (code[p], v))
    attended = rnd.sample(range(1, n + 1), n // 3)
    noshow = [v for v in range(1, n + 1) if v not in attended][: n // 10]
    with open("attend.sql", "w") as f:
        f.write("INSERT INTO events(id, title, tz, created_at, updated_at) VALUES (1, 'E', 'UTC', 'x', 'x');\n")
        f.write("INSERT INTO shifts(id, event_id, starts_at, ends_at, created_at, updated_at) VALUES "
                "(1, 1, '2026-01-01T10:00:00Z', '2026-01-01T11:00:00Z', 'x', 'x');\n")
        for v in attended:
            f.write("INSERT INTO attendance(contact_id, shift_id, status, created_at) VALUES (%d, 1, 'attended', 'x');\n" % v)
        for v in noshow:
            f.write("INSERT INTO attendance(contact_id, shift_id, status, created_at) VALUES (%d, 1, 'no_show', 'x');\n" % v)
    json.dump({"edges": edges, "attended": attended, "n": n}, open("forest.json", "w"))
    print(len(edges))

def lines(path):
    return [json.loads(l) for l in open(path)]

def check():
    """Everything st-refmap said, against networkx on the same forest."""
    f = json.load(open("forest.json"))
    G = nx.DiGraph()
    G.add_nodes_from(range(1, f["n"] + 1))
    G.add_edges_from(map(tuple, f["edges"]))
    assert nx.is_forest(G.to_undirected()) and max(d for _, d in G.in_degree()) <= 1
    att = set(f["attended"])
    recruiters = [v for v in G if G.out_degree(v) > 0]
    depth = {v: len(nx.ancestors(G, v)) for v in G}
    reach = {v: len(nx.descendants(G, v)) for v in G}
    active = {v: len(nx.descendants(G, v) & att) for v in G}
    bad = []
    for by in ("direct", "reach", "active", "conversion"):
        key = {"direct": lambda v: G.out_degree(v), "reach": lambda v: reach[v],
               "active": lambda v: active[v], "conversion": lambda v: active[v] / reach[v]}[by]
        want = sorted(recruiters, key=lambda v: (-key(v), -reach[v], v))
        got = lines("top-%s.json" % by)
        if [r["id"] for r in got] != want:
            bad.append("top --by %s: order %s, want %s" % (by, [r["id"] for r in got][:10], want[:10]))
        for r in got:
            v = r["id"]
            exp = {"direct": G.out_degree(v), "reach": reach[v], "active": active[v],
                   "depth": depth[v], "conversion": round(100.0 * active[v] / reach[v], 1)}
            for k, e in exp.items():
                if r[k] != e:
                    bad.append("top --by %s: contact %d: %s %r, want %r" % (by, v, k, r[k], e))
    stats = {r["metric"]: r["value"] for r in lines("stats.json")}
    referred = [v for v in G if G.in_degree(v) == 1]
    want = {"contacts": f["n"], "referred": len(referred), "recruiters": len(recruiters),
            "roots": len([v for v in recruiters if G.in_degree(v) == 0]),
            "max_depth": max(depth[v] for v in referred),
            "mean_depth": round(sum(depth[v] for v in referred) / len(referred), 2),
            "referred_pct": round(100.0 * len(referred) / f["n"], 1)}
    for d in range(1, want["max_depth"] + 1):
        want["depth_%d" % d] = len([v for v in referred if depth[v] == d])
    if stats != want:
        bad.append("stats: %r, want %r" % (stats, want))
    H = nx.node_link_graph(json.load(open("graph.json")), directed=True)
    if sorted(H.edges()) != sorted(G.edges()) or set(H.nodes()) != set(v for e in G.edges() for v in e):
        bad.append("graph --format json differs")
    for path in sys.argv[2:]:
        kind, v = path.split("-")[0], int(path.split("-")[1].split(".")[0])
        if kind == "tree":
            t = json.load(open(path))
            pairs, stack, kids_sorted = [], [t], True
            while stack:
                x = stack.pop()
                ids = [c["id"] for c in x["children"]]
                kids_sorted &= ids == sorted(ids)
                pairs += [(x["id"], c) for c in ids]
                stack += x["children"]
            sub = G.subgraph(nx.descendants(G, v) | {v})
            if t["id"] != v or sorted(pairs) != sorted(sub.edges()) or not kids_sorted:
                bad.append("tree %d differs" % v)
        else:
            got = [r["id"] for r in lines(path)]
            want = [v]
            while G.in_degree(want[-1]):
                want.append(next(G.predecessors(want[-1])))
            if got != want:
                bad.append("chain %d: %s, want %s" % (v, got, want))
    for b in bad[:20]:
        print(b)
    sys.exit(1 if bad else 0)

if sys.argv[1] == "gen":
    gen(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]))
else:
    check()
EOF

# forest SEED SHAPE: make a forest in a new database through st-refmap record, then check.
forest() {
	db=$TRASH/forest-$1.db n=400
	mkdir "f$1" && cd "f$1" &&
	awk -v n=$n "BEGIN { print \"first_name,last_name,email\"; for (i = 1; i <= n; i++) printf \"F%d,L%d,p%d@example.org\n\", i, i, i }" >people.csv &&
	st-import --db "$db" people.csv >/dev/null &&
	st-query --db "$db" -c id | st-refmap --db "$db" link --share --base https://ex.org >links.csv &&
	edges=$(/usr/bin/python3 ../forest.py gen "$1" "$2" links.csv $n) &&
	st-refmap --db "$db" record clicks.csv >out &&
	test_grep "read $edges, recorded $edges, already referred 0, self-referrals 0, unknown codes 0, loops 0, unidentified 0, invalid 0" out &&
	sqlite3 "$db" <attend.sql &&
	for by in direct reach active conversion; do
		st-refmap --db "$db" top --by $by -l 0 --json >top-$by.json || return 1
	done &&
	st-refmap --db "$db" stats --json >stats.json &&
	st-refmap --db "$db" graph --format json >graph.json &&
	roots=$(jq -r "select(.depth == 0) | .id" top-reach.json | head -5) &&
	deep=$(st-query --db "$db" -H "SELECT referred_id FROM referrals ORDER BY referred_id % 7, referred_id LIMIT 5") &&
	files= &&
	for v in $roots; do st-refmap --db "$db" tree --json $v >tree-$v.json && files="$files tree-$v.json" || return 1; done &&
	for v in $deep; do st-refmap --db "$db" chain --json $v >chain-$v.json && files="$files chain-$v.json" || return 1; done &&
	/usr/bin/python3 ../forest.py check $files &&
	st-refmap --db "$db" top --by reach -l 7 --json >top7.json &&
	head -7 top-reach.json | cmp - top7.json
}

if /usr/bin/python3 -c "import networkx" 2>/dev/null; then
	for s in 1:bushy 2:chains 3:mixed; do
		test_expect_success "the map equals networkx on a random forest (seed ${s%%:*}, ${s#*:})" "
			forest ${s%%:*} ${s#*:}
		"
	done
	# (on the first forest above, which only that comparison builds)
	test_expect_success 'the check can fail: a wrong edge in the database is caught' '
		cd f1 && sqlite3 "$TRASH/forest-1.db" "UPDATE referrals SET referrer_id = CASE referrer_id WHEN 1 THEN 2 ELSE 1 END WHERE referred_id = (SELECT max(referred_id) FROM referrals)" &&
		st-refmap --db "$TRASH/forest-1.db" top --by reach -l 0 --json >top-reach.json &&
		test_must_fail /usr/bin/python3 ../forest.py check >out &&
		test_grep "top --by reach" out
	'
else
	test_skip 'the map equals networkx on random forests' 'python3-networkx is not installed'
fi

test_done
