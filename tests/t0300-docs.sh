#!/bin/sh
# Documentation that runs: every "$ " example in the README and the man pages
# is executed (each document in a fresh directory with ST_DB set, the voter-file
# sample as ncvoter48.tsv, the demo sign-ups as signups.csv and attendance as
# attendance.csv), and must exit 0,
# or the status its line ends with ("# exit N"). Every option a command lists
# must be in its man page, and the synopsis must agree with the usage.
. "$(dirname "$0")/lib.sh"

# split_examples FILE: write each "$ " line of FILE to ex.N and the output the
# document shows after it (lines up to the next "$ " line or the end of the
# block) to ex.N.expect; mdoc escapes are undone.
split_examples() {
	case $1 in
	*.md) start='^```sh' end='^```' ;;
	*) start='^\.Bd -literal' end='^\.Ed' ;;
	esac
	sed -e 's/\\e/\\/g' -e 's/\\-/-/g' -e 's/\\&//g' -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' "$1" |
	awk -v start="$start" -v end="$end" '
		$0 ~ start { on = 1; next }
		$0 ~ end { on = 0; out = ""; next }
		on && /^\$ / { n++; printf "%s\n", substr($0, 3) > ("ex." n); out = "ex." n ".expect"; printf "" > out; next }
		on && out != "" { print > out }
	'
}

run_examples() {
	doc=$1
	dir=$TRASH/$(basename "$doc")
	mkdir -p "$dir" && cd "$dir" &&
	cp "$SAMPLE" ncvoter48.tsv && cp "$SHARE/demo/signups.csv" signups.csv &&
	cp "$SHARE/demo/attendance.csv" attendance.csv &&
	export ST_DB="$dir/st.db" &&
	split_examples "$doc" &&
	[ -f ex.1 ] || { echo "no examples in $doc" >&2; return 1; }
	n=1
	while [ -f "ex.$n" ]; do
		line=$(cat "ex.$n")
		want=$(printf '%s\n' "$line" | sed -n 's/.*# exit \([0-9][0-9]*\)$/\1/p')
		rc=0
		# What a terminal would show: output and messages, in order.
		bash -c "set -o pipefail; $line" >"out.$n" 2>&1 </dev/null || rc=$?
		if [ "$rc" -ne "${want:-0}" ]; then
			echo "$doc: example $n exited $rc, expected ${want:-0}: $line" >&2
			cat "out.$n" >&2
			return 1
		fi
		# Output the document shows must be what the command prints.
		if [ -s "ex.$n.expect" ] && ! diff -u "ex.$n.expect" "out.$n" >&2; then
			echo "$doc: example $n printed something else: $line" >&2
			return 1
		fi
		n=$((n + 1))
	done
	echo "$doc: $((n - 1)) examples ran" >&2
}

for doc in "$TOP/README.md" "$SHARE"/man/*.1 "$SHARE"/man/*.7; do
	test_expect_success "examples in $(basename "$doc") run" "run_examples '$doc'"
done

for cmd in st-import st-query st-event st-refmap st-allocate st-text st-remind; do
	page=$SHARE/man/$cmd.1
	test_expect_success "every option of $cmd is in its man page" "
		$cmd --list-options | grep '^--' | sed 's/^--//; s/=\$//' >opts &&
		missing= &&
		while read -r o; do
			grep -q -- \"Fl -\$o\\b\" '$page' || missing=\"\$missing \$o\"
		done <opts &&
		[ -z \"\$missing\" ] || { echo \"not in $page:\$missing\" >&2; false; }
	"
	test_expect_success "the $cmd man page has EXIT STATUS and EXAMPLES" "
		grep -q '^\.Sh EXIT STATUS' '$page' && grep -q '^\.Sh EXAMPLES' '$page'
	"
done

if command -v mandoc >/dev/null 2>&1; then
	test_expect_success 'the man pages are clean mdoc' '
		mandoc -T lint -W warning "$SHARE"/man/*.1 "$SHARE"/man/*.7
	'
else
	test_skip 'the man pages are clean mdoc' 'mandoc is not installed'
fi

test_expect_success 'bash completion offers the options from the code' '
	bash -c ". \"$TOP/completions/st.bash\" && COMP_WORDS=(st-import --ke) && COMP_CWORD=1 && COMP_LINE=\"st-import --ke\" && COMP_POINT=\${#COMP_LINE} && _st_complete st-import --ke st-import && printf \"%s\\n\" \"\${COMPREPLY[@]}\"" >got &&
	test_grep "keep-existing" got && test_grep "key" got
'

test_done
