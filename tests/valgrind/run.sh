#!/bin/sh
# run.sh - the unit tests and the miltertest suite under valgrind memcheck, as TAP.
#
# Valgrind and ASan cannot share a process, so this builds its own
# NON-sanitizer tree (VALGRIND_BUILDDIR, default build/valgrind), then:
#   - runs every unit test program in-process (CK_FORK=no) under memcheck;
#   - runs every tests/milter/t-*.lua with miltertest, the milter started
#     through helper.lua's MILTER_WRAPPER under memcheck, one log per
#     process in BUILDDIR/tests/valgrind/.
# A case passes when its test passes and memcheck reports no error and
# no definite leak (--errors-for-leak-kinds=definite: "possible" and
# "still reachable" blocks of libmilter's threads at SIGTERM are noise).
# The last comment line is the total: "# valgrind: N errors in N runs".
#
#   tests/valgrind/run.sh
#   VALGRIND_BUILDDIR=/tmp/vg tests/valgrind/run.sh
# Without valgrind or miltertest the run is skipped, unless
# VALGRIND_REQUIRED=1 or CI=true, where it fails.
set -u

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${VALGRIND_BUILDDIR:-$srcdir/build/valgrind}
required=${VALGRIND_REQUIRED:-0}
[ "${CI:-}" = true ] && required=1
memcheck="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
memcheck="$memcheck --show-leak-kinds=definite --num-callers=30 --vgdb=no"
parallel=${VALGRIND_JOBS:-1}

# give_up WHY - nothing can run: skip, or fail when valgrind is required.
give_up() {
	if [ "$required" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - valgrind suite built # $1"
		exit 1
	fi
	echo "1..0 # SKIP $1"
	exit 0
}

command -v valgrind >/dev/null 2>&1 || give_up "no valgrind"
command -v miltertest >/dev/null 2>&1 || give_up "no miltertest"
[ -x "$srcdir/configure" ] || (cd "$srcdir" && ./autogen.sh) >/dev/null 2>&1 ||
	give_up "autogen.sh failed"
mkdir -p "$builddir" || give_up "cannot create $builddir"
cd "$builddir" || exit 1
builddir=$(pwd)
if [ ! -f Makefile ] || [ "$srcdir/configure" -nt Makefile ]; then
	"$srcdir/configure" >configure.out 2>&1 ||
		give_up "configure failed: $(tail -n 1 configure.out)"
fi
jobs=$(nproc 2>/dev/null || echo 2)
{ make -j"$jobs" && make -j"$jobs" check TESTS=; } >make.out 2>&1 ||
	give_up "build failed: $(tail -n 1 make.out)"

units=$(ls tests/unit/test_* 2>/dev/null | grep -v '\.[a-z]*$')
milters=$(cd "$srcdir" && ls tests/milter/t-*.lua)
logs=$builddir/tests/valgrind
rm -rf "$logs" tests/tmp
mkdir -p "$logs"
echo "1..$(echo $units $milters | wc -w)"
n=0
failed=0
errors=0

# vg_errors FILE... - memcheck errors (definite leaks included) in the logs
vg_errors() {
	cat "$@" 2>/dev/null | sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' |
	    awk '{ s += $1 } END { print s + 0 }'
}

# report NAME STATUS LOGS... - one TAP line; the memcheck report on failure
report() {
	name=$1 status=$2
	shift 2
	n=$((n + 1))
	found=$(vg_errors "$@")
	errors=$((errors + found))
	if [ "$status" = 0 ] && [ "$found" = 0 ]; then
		echo "ok $n - $name"
		return
	fi
	failed=$((failed + 1))
	echo "not ok $n - $name (exit $status, $found memcheck errors)"
	cat "$@" "$logs/$(basename "$name").out" 2>/dev/null | head -n 60 | sed 's/^/# /'
}

# unit_run UNIT - one unit test program, its status in LOGS/NAME.status
unit_run() {
	name=$(basename "$1")
	top_srcdir=$srcdir top_builddir=$builddir CK_FORK=no CK_VERBOSITY=silent \
	    $memcheck --log-file="$logs/$name.vg" "./$1" >"$logs/$name.out" 2>&1
	echo $? >"$logs/$name.status"
}

# One at a time: test_loader's 100,000 partners keep a CPU busy for
# minutes under memcheck, and a milter starting beside it may miss
# helper.lua's 10 s start-up wait.
for unit in $units; do
	unit_run "$unit"
done

# milter_run SCRIPT - one miltertest script, its status in LOGS/NAME.status
milter_run() {
	name=$(basename "$1" .lua)
	MILTER_WRAPPER="$memcheck --log-file=$logs/$name.%p.vg" \
	top_srcdir=$srcdir top_builddir=$builddir MILTER_BIN=$builddir/tlspolicy-milter \
	    miltertest -s "$srcdir/$1" >"$logs/$name.out" 2>&1
	echo $? >"$logs/$name.status"
}

# VALGRIND_JOBS scripts at a time (each has its own socket and files);
# the default 1 keeps memcheck's start-up within helper.lua's 10 s wait
# on a busy two-CPU machine.
running=0
for script in $milters; do
	milter_run "$script" &
	running=$((running + 1))
	if [ "$running" -ge "$parallel" ]; then
		wait $!
		running=0
	fi
done
wait
for unit in $units; do
	name=$(basename "$unit")
	report "$unit" "$(cat "$logs/$name.status")" "$logs/$name.vg"
done
for script in $milters; do
	name=$(basename "$script" .lua)
	# miltertest stops the milter with SIGTERM; let memcheck write its summary.
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		grep -L 'ERROR SUMMARY' "$logs/$name".*.vg 2>/dev/null | grep -q . || break
		sleep 0.5
	done
	report "$script" "$(cat "$logs/$name.status")" "$logs/$name".*.vg
done
echo "# valgrind: $errors errors in $n runs"
[ "$failed" -eq 0 ]
