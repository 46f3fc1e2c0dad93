#!/bin/sh
# summary.sh - count every test result automake recorded under BUILDDIR and
# print the one plain closing line: "N passed, N failed, N skipped".
# XFAIL counts as passed, XPASS and ERROR as failed.
builddir=${1:-.}
find "$builddir/tests" -name '*.trs' -exec cat {} + 2>/dev/null |
awk '
/^:test-result: PASS/  { pass++ }
/^:test-result: XFAIL/ { pass++ }
/^:test-result: FAIL/  { fail++ }
/^:test-result: XPASS/ { fail++ }
/^:test-result: ERROR/ { fail++ }
/^:test-result: SKIP/  { skip++ }
END {
	if (pass + fail + skip == 0) { print "0 passed, 1 failed (no test ran)"; exit 1 }
	printf "%d passed, %d failed, %d skipped\n", pass, fail, skip
	exit fail > 0
}'
