#!/bin/sh
# test.sh - README's test command: install what is needed, build with the
# sanitizers in a fresh directory, run every test, print the summary.
#
# The last line is the one CI reads: "N passed, N failed, N skipped".  A
# failing test does not stop the others (make -k).  Under CI=true, or with
# E2E_REQUIRED=1, the end-to-end tests must run: a skip is a failure.
# Under CI=true, or with FAULTS=1, "make check-faults" runs the fault
# tests with a real Postfix (tests/faults/).
# Under CI=true, or with FUZZ_SECONDS set, the libFuzzer targets run too
# (tests/fuzz/run.sh, 60 s each in CI), and under CI=true or with
# VALGRIND=1 the unit and protocol tests under valgrind memcheck
# (tests/valgrind/run.sh), and under CI=true or with TSAN=1 the reload
# under load in a ThreadSanitizer build (tests/tsan/run.sh); all are
# counted in the summary.
# Exit status: 0 only when nothing failed.
#   contrib/scripts/test.sh            (as root on Debian 12)
#   SKIP_SETUP=1 contrib/scripts/test.sh   (packages already installed)
set -u

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${BUILDDIR:-$srcdir/build/check}
e2e_required=${E2E_REQUIRED:-0}
[ "${CI:-}" = true ] && e2e_required=1

if [ "${SKIP_SETUP:-0}" != 1 ]; then
	if [ "$(id -u)" = 0 ]; then
		sh "$srcdir/contrib/scripts/setup-debian.sh" || exit 1
	else
		echo "test.sh: not root: skipping package installation" >&2
	fi
fi

# A fresh build directory: no stale objects or .trs files from other runs.
rm -rf "$builddir"
sh "$srcdir/contrib/scripts/build.sh" "$builddir" --enable-sanitizers || {
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
}

cd "$builddir" || exit 1
make -k -j2 check E2E_REQUIRED="$e2e_required"
status=$?

# The long fault tests with a real Postfix (kill -9, reloads and 1,000
# connections under load, a misconfigured MTA): in CI, or with FAULTS=1.
# One at a time: each one loads the machine on purpose.
if [ "${CI:-}" = true ] || [ "${FAULTS:-0}" = 1 ]; then
	make -k check-faults E2E_REQUIRED="$e2e_required" || status=1
fi

# run_tap NAME COMMAND... - a TAP suite outside automake, recorded as
# tests/NAME.trs so the summary below counts it like the rest.
run_tap() {
	name=$1
	shift
	mkdir -p "tests/$(dirname "$name")"
	AM_TAP_AWK=awk sh "$srcdir/build-aux/tap-driver.sh" --test-name "$name" \
	    --log-file "tests/$name.log" --trs-file "tests/$name.trs" \
	    --color-tests no -- "$@" || status=1
}

# The fuzz targets need their own clang build; CI gives each 60 seconds.
if [ "${CI:-}" = true ] || [ -n "${FUZZ_SECONDS:-}" ]; then
	fuzzdir=$(dirname "$builddir")/fuzz
	rm -rf "$fuzzdir"
	FUZZ_BUILDDIR=$fuzzdir
	FUZZ_SECONDS=${FUZZ_SECONDS:-60}
	export FUZZ_BUILDDIR FUZZ_SECONDS
	run_tap fuzz/run sh "$srcdir/tests/fuzz/run.sh"
fi

# The unit and protocol tests once more under valgrind memcheck, in a
# build without the sanitizers (tests/valgrind/run.sh).
if [ "${CI:-}" = true ] || [ "${VALGRIND:-0}" = 1 ]; then
	vgdir=$(dirname "$builddir")/valgrind
	rm -rf "$vgdir"
	VALGRIND_BUILDDIR=$vgdir
	export VALGRIND_BUILDDIR
	run_tap valgrind/run sh "$srcdir/tests/valgrind/run.sh"
fi

# Reloads under load in a ThreadSanitizer build (tests/tsan/run.sh).
if [ "${CI:-}" = true ] || [ "${TSAN:-0}" = 1 ]; then
	tsandir=$(dirname "$builddir")/tsan
	rm -rf "$tsandir"
	TSAN_BUILDDIR=$tsandir
	export TSAN_BUILDDIR
	run_tap tsan/run sh "$srcdir/tests/tsan/run.sh"
fi

# Show the logs of what failed, so a CI transcript is enough to debug.
for trs in $(find tests -name '*.trs' | sort); do
	if grep -Eq '^:test-result: (FAIL|XPASS|ERROR)' "$trs"; then
		echo "==== ${trs%.trs}.log"
		cat "${trs%.trs}.log"
	fi
done

sh "$srcdir/tests/summary.sh" "$builddir"
summary=$?
[ "$status" = 0 ] && [ "$summary" = 0 ]
