#!/bin/sh
# test.sh - README's test command: install what is needed, build with the
# sanitizers in a fresh directory, run every test, print the summary.
#
# The last line is the one CI reads: "N passed, N failed, N skipped".  A
# failing test does not stop the others (make -k).  Under CI=true, or with
# E2E_REQUIRED=1, the end-to-end tests must run: a skip is a failure.
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
