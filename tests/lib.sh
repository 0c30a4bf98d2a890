# A small TAP library for st's shell tests, after git's and mblaze's.
# Each test script sources it, calls test_expect_success, and ends with test_done.
# Every script runs in a fresh temporary directory with LC_ALL=C and TZ=UTC.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
ST_BIN=${ST_BIN:-bin}
ST_BUILD=${ST_BUILD:-build}
PATH=$TOP/$ST_BIN:$PATH
SHARE=$TOP/share
DATA=$TOP/tests/data
SAMPLE=$(cd "$TOP/.." && pwd)/shared/data/voterfiles/ncvoter48-sample.tsv
[ -f "$SAMPLE" ] || SAMPLE=$TOP/share/demo/ncvoter-sample.tsv
export PATH LC_ALL=C TZ=UTC NO_COLOR=1
unset ST_DB ST_BUSY_TIMEOUT ST_HISTORY ST_SECRET_FILE XDG_CONFIG_HOME
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/st-test.XXXXXX")
trap 'cd / && rm -rf "$TRASH"' EXIT
cd "$TRASH" || exit 1
HOME=$TRASH
export HOME
test_count=0
test_failed=0

# test_expect_success DESCRIPTION 'COMMANDS': run COMMANDS (with set -e) in a subshell.
test_expect_success() {
	test_count=$((test_count + 1))
	if (set -e; eval "$2") >"$TRASH/.out" 2>&1; then
		echo "ok $test_count - $1"
	else
		echo "not ok $test_count - $1"
		sed 's/^/# /' "$TRASH/.out"
		test_failed=$((test_failed + 1))
	fi
}

# test_skip DESCRIPTION REASON
test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

# test_must_fail CMD...: CMD fails with a status, not by a signal (or a sanitizer).
test_must_fail() {
	"$@" && { echo "expected failure: $*" >&2; return 1; }
	rc=$?
	if [ $rc -gt 128 ]; then
		echo "died by signal $((rc - 128)): $*" >&2
		return 1
	fi
	return 0
}

# test_exit STATUS CMD...: CMD exits with exactly STATUS.
test_exit() {
	want=$1
	shift
	rc=0
	"$@" || rc=$?
	[ "$rc" -eq "$want" ] || { echo "expected exit $want, got $rc: $*" >&2; return 1; }
}

# test_cmp EXPECTED ACTUAL
test_cmp() {
	diff -u "$1" "$2"
}

# test_grep PATTERN FILE: like grep -q, but shows FILE when it does not match.
test_grep() {
	grep -q -- "$1" "$2" || { echo "no '$1' in $2:" >&2; cat "$2" >&2; return 1; }
}

# test_one_line FILE: FILE holds exactly one line (a one-line error message).
test_one_line() {
	[ "$(wc -l <"$1")" -eq 1 ] || { echo "expected one line in $1:" >&2; cat "$1" >&2; return 1; }
}

test_done() {
	echo "1..$test_count"
	[ "$test_failed" -eq 0 ]
}
