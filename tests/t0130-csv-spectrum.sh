#!/bin/sh
# The CSV reader against csv-spectrum, a shared corpus of CSV edge cases with
# the JSON each should give; st-import must survive every one of them.
# CI installs the corpus with: npm install --no-save csv-spectrum@2.0.0
. "$(dirname "$0")/lib.sh"

SPECTRUM=$TOP/node_modules/csv-spectrum
CSVDUMP=$TOP/$ST_BUILD/tools/csvdump
ST_DB=$TRASH/st.db
# A sanitizer report should end the program by a signal, not with exit 1.
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-abort_on_error=1:print_stacktrace=1}
export ST_DB ASAN_OPTIONS UBSAN_OPTIONS

# The cases of csv-spectrum 2.0.0, to name the skips when it is not installed.
CASES='comma_in_quotes empty empty_crlf escaped_quotes json location_coordinates newlines
newlines_crlf quotes_and_newlines simple simple_crlf utf8'

skip_all() {
	for c in $CASES; do
		test_skip "csv-spectrum $c" "$1"
	done
	test_done
	exit
}

[ -d "$SPECTRUM/csvs" ] ||
	skip_all "no csv-spectrum: run 'npm install --no-save csv-spectrum@2.0.0' in $TOP"
[ -x "$CSVDUMP" ] || skip_all "no $ST_BUILD/tools/csvdump: run make check"
if command -v jq >/dev/null 2>&1; then
	canon() { jq -S . "$1"; }
elif [ -x /usr/bin/python3 ]; then
	canon() {
		/usr/bin/python3 -c 'import json, sys
print(json.dumps(json.load(open(sys.argv[1], encoding="utf-8")), sort_keys=True,
    indent=2, ensure_ascii=False))' "$1"
	}
else
	skip_all "neither jq nor /usr/bin/python3 to compare JSON"
fi

# survives CMD...: CMD exits 0 or 3 (bad data), not by a signal or a sanitizer.
survives() {
	rc=0
	"$@" >out 2>err || rc=$?
	if grep -q -e 'Sanitizer' -e 'runtime error:' err; then
		cat err >&2
		return 1
	fi
	case $rc in
	0|3) ;;
	*)	echo "exit $rc: $*" >&2
		cat err >&2
		return 1 ;;
	esac
}

for csv in "$SPECTRUM"/csvs/*.csv; do
	name=$(basename "$csv" .csv)
	expect=$SPECTRUM/json/$name.json
	col=$(head -n 1 "$csv" | tr -d '\r' | cut -d, -f1)

	case $name in
	location_coordinates)
		# Not RFC 4180: its unquoted field 37�36'37.8"N holds a bare '"',
		# which the strict reader refuses rather than guess. (Its expected
		# JSON is broken anyway: an object, not an array, with a phone
		# number that is not the one in the CSV.)
		test_expect_success "csv-spectrum $name: a bare quote is refused, naming the line" '
			test_exit 3 "$CSVDUMP" "$csv" >out 2>err &&
			test_one_line err &&
			test_grep "line 2: malformed quoting" err &&
			test_exit 3 st-import --dry-run "$csv" 2>err &&
			test_grep "line 2: malformed quoting" err
		'
		;;
	*)
		test_expect_success "csv-spectrum $name: the reader gives the expected JSON" '
			"$CSVDUMP" "$csv" >got.json &&
			canon "$expect" >expect.canon &&
			canon got.json >got.canon &&
			test_cmp expect.canon got.canon
		'
		;;
	esac
	test_expect_success "csv-spectrum $name: st-import --dry-run does not crash" '
		survives st-import --dry-run --json "$csv" &&
		survives st-import --dry-run --json --key "email=$col" "$csv" &&
		survives st-import --dry-run --json --key "phone=$col" "$csv"
	'
done

test_done
