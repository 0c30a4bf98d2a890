#!/bin/sh
# Documentation that runs: every "$ " example in the README and the man pages
# is executed (each document in a fresh directory with ST_DB set, the voter-file
# sample as ncvoter48.tsv and the demo sign-ups as signups.csv), and must exit 0,
# or the status its line ends with ("# exit N"). Every option a command lists
# must be in its man page, and the synopsis must agree with the usage.
. "$(dirname "$0")/lib.sh"

# examples FILE: the "$ " lines of FILE, one per line, mdoc escapes undone.
examples() {
	case $1 in
	*.md)
		awk '/^```sh/ { on = 1; next } /^```/ { on = 0 } on && /^\$ / { print substr($0, 3) }' "$1"
		;;
	*)
		awk '/^\.Bd -literal/ { on = 1; next } /^\.Ed/ { on = 0 } on && /^\$ / { print substr($0, 3) }' "$1" |
		sed -e 's/\\e/\\/g' -e 's/\\-/-/g' -e 's/\\&//g' -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g'
		;;
	esac
}

run_examples() {
	doc=$1
	dir=$TRASH/$(basename "$doc")
	mkdir -p "$dir" && cd "$dir" &&
	cp "$SAMPLE" ncvoter48.tsv && cp "$SHARE/demo/signups.csv" signups.csv &&
	export ST_DB="$dir/st.db" &&
	n=0 &&
	examples "$doc" >examples.txt &&
	[ -s examples.txt ] || { echo "no examples in $doc" >&2; return 1; }
	while IFS= read -r line; do
		n=$((n + 1))
		want=$(printf '%s\n' "$line" | sed -n 's/.*# exit \([0-9][0-9]*\)$/\1/p')
		rc=0
		bash -c "set -o pipefail; $line" >"out.$n" 2>"err.$n" </dev/null || rc=$?
		if [ "$rc" -ne "${want:-0}" ]; then
			echo "$doc: example $n exited $rc, expected ${want:-0}: $line" >&2
			cat "err.$n" >&2
			return 1
		fi
	done <examples.txt
	echo "$doc: $n examples ran" >&2
}

for doc in "$TOP/README.md" "$SHARE"/man/*.1 "$SHARE"/man/*.7; do
	test_expect_success "examples in $(basename "$doc") run" "run_examples '$doc'"
done

for cmd in st-import st-query; do
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
