#!/bin/sh
# run.sh - reloads under load with ThreadSanitizer watching, as TAP.
#
# Builds the milter and the protocol driver (tests/bench/mdriver) with
# -fsanitize=thread in their own directory (TSAN_BUILDDIR, default
# build/tsan; no Postfix needed), starts the milter on a unix socket,
# runs TSAN_MESSAGES messages at concurrency TSAN_CONCURRENCY through it
# and meanwhile sends TSAN_RELOADS SIGUSR1s, each after the previous one
# was logged, cycling through valid policies of 20, 10 and 8,000
# partners (the big one, 1.5 MB, is parsed in the loader's second
# thread, policy/ytree_pipe.c) and invalid ones (a syntax error, an
# unknown key, or the big one with an unknown key in its last partner,
# in turn).  Then it stops the milter with SIGTERM.
#
# Asserts: every message answered and no driver error; every reload
# logged (valid ones swapped, invalid ones refused with FILE:LINE:COL)
# while the load still ran; no ThreadSanitizer report at all until
# SIGTERM; and at shutdown none that touches our code.
#
# Why a shutdown exception: libmilter (not built with TSan) stops in two
# threads at once -- its signal thread runs mi_stop_milters() and
# mi_closener() while the main thread leaves mi_listener(), destroys its
# mutexes and exits -- and never joins that thread.  TSan sees races and
# a leaked thread there whose every frame is libmilter's or TSan's own
# (the bottom frame is our main() calling smfi_main()).  A TSan
# suppression cannot name them narrowly (the signal thread's function is
# static and unsymbolized, and "libmilter.so" would match every callback
# of ours, which libmilter calls), so this script sorts the reports
# itself: a report with a frame in our sources other than main.c, or
# without any libmilter frame, is ours and fails the test; the others
# are counted and printed as comments.
#
#   tests/tsan/run.sh
#   TSAN_BUILDDIR=/tmp/tsan TSAN_MESSAGES=2000 tests/tsan/run.sh
# Without a compiler that links -fsanitize=thread the run is skipped,
# unless TSAN_REQUIRED=1 or CI=true, where it fails.
set -u

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${TSAN_BUILDDIR:-$srcdir/build/tsan}
messages=${TSAN_MESSAGES:-40000}
concurrency=${TSAN_CONCURRENCY:-16}
reloads=${TSAN_RELOADS:-100}
required=${TSAN_REQUIRED:-0}
[ "${CI:-}" = true ] && required=1
started=$(date +%s)

# give_up WHY - nothing can run: skip, or fail when TSan is required.
give_up() {
	if [ "$required" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - ThreadSanitizer build # $1"
		exit 1
	fi
	echo "1..0 # SKIP $1"
	exit 0
}

command -v python3 >/dev/null 2>&1 || give_up "no python3 (tests/bench/gen_policy.py)"
[ -x "$srcdir/configure" ] || (cd "$srcdir" && ./autogen.sh) >/dev/null 2>&1 ||
	give_up "autogen.sh failed"
mkdir -p "$builddir" || give_up "cannot create $builddir"
cd "$builddir" || exit 1
builddir=$(pwd)
if [ ! -f Makefile ] || [ "$srcdir/configure" -nt Makefile ]; then
	CC=${TSAN_CC:-${CC:-cc}} "$srcdir/configure" CFLAGS='-fsanitize=thread -g -O1' \
	    LDFLAGS='-fsanitize=thread' >configure.out 2>&1 ||
		give_up "configure with -fsanitize=thread failed: $(tail -n 1 configure.out)"
fi
make -j"$(nproc 2>/dev/null || echo 2)" tlspolicy-milter tests/bench/mdriver >make.out 2>&1 ||
	give_up "build failed: $(tail -n 1 make.out)"
./tlspolicy-milter -V >/dev/null 2>&1 || give_up "the TSan binary does not run"
built=$(date +%s)

echo "1..6"
n=0
failed=0

# ok STATUS NAME [DETAIL-FILE] - one TAP line; the file's tail on failure
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
		return
	fi
	failed=$((failed + 1))
	echo "not ok $n - $2"
	[ -n "${3:-}" ] && tail -n 40 "$3" | sed 's/^/# /'
}

# A directory the -u user can read (reloads run as that user), kept
# apart from a build tree that may sit under /root; copied back at the end.
W=$(mktemp -d "${TMPDIR:-/tmp}/tlspolicy-tsan.XXXXXX") || exit 1
chmod 755 "$W"
mkdir "$W/tsan"
as_user=""
if [ "$(id -u)" = 0 ]; then
	as_user="-u ${MILTER_TEST_USER:-nobody}"
	chown "${MILTER_TEST_USER:-nobody}" "$W/tsan"	# TSan opens its log after the drop
fi
results=$builddir/tests/tsan
milter_pid=""
driver_pid=""
cleanup() {
	[ -n "$driver_pid" ] && kill "$driver_pid" 2>/dev/null
	[ -n "$milter_pid" ] && kill -KILL "$milter_pid" 2>/dev/null
	rm -rf "$results"
	mkdir -p "$results"
	cp -r "$W"/* "$results"/ 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

python3 "$srcdir/tests/bench/gen_policy.py" 10 "$W/a.yaml" "$W/traffic.txt" 200 >/dev/null &&
    python3 "$srcdir/tests/bench/gen_policy.py" 20 "$W/b.yaml" "$W/traffic-b.txt" 200 >/dev/null &&
    python3 "$srcdir/tests/bench/gen_policy.py" 8000 "$W/big.yaml" "$W/traffic-big.txt" 200 \
    >/dev/null || give_up "gen_policy.py failed"
printf 'version: 1\npartners:\n  - name: [unclosed\n' >"$W/bad-syntax.yaml"
printf 'version: 1\nsettings:\n  mood: enforce\n' >"$W/bad-key.yaml"
{ cat "$W/big.yaml"; printf '    mood: enforce\n'; } >"$W/bad-big.yaml"
cp "$W/a.yaml" "$W/policy.yaml"
chmod 644 "$W"/*.yaml

# count PATTERN - lines of the milter's log matching the extended regex
count() {
	grep -Ec "$1" "$W/milter.log"
}

# tsan_reports - reports written so far
tsan_reports() {
	cat "$W"/tsan/report* 2>/dev/null | grep -c 'WARNING: ThreadSanitizer'
}

# TSan writes each report when it happens, to tsan/report.PID.
TSAN_OPTIONS="log_path=$W/tsan/report exitcode=66 history_size=4" \
    ./tlspolicy-milter -f -c "$W/policy.yaml" -p "unix:$W/milter.sock" \
    -P "$W/milter.pid" $as_user 2>"$W/milter.log" &
milter_pid=$!
for _ in $(seq 300); do
	[ "$(cat "$W/milter.pid" 2>/dev/null)" = "$milter_pid" ] && break
	kill -0 "$milter_pid" 2>/dev/null || break
	sleep 0.1
done
[ "$(cat "$W/milter.pid" 2>/dev/null)" = "$milter_pid" ]
ok $? "the TSan milter starts${as_user:+ ($as_user)}" "$W/milter.log"

load_start=$(date +%s)
./tests/bench/mdriver -s "unix:$W/milter.sock" -n "$messages" -c "$concurrency" -m 10 \
    -T "$W/traffic.txt" >"$W/mdriver.out" 2>&1 &
driver_pid=$!

# The reloads: 1 big, 2 a, 3 invalid, 4 b, 5 a, 6 invalid, 7 b, ...,
# 37 big, ...; each waits for its outcome.  A big one takes about a
# second under TSan with the load running, so only every 36th reload is
# the big valid one (and every eighth invalid one the big invalid one),
# and all of them land while the load runs.
valid=0
invalid=0
during=0
i=1
while [ "$i" -le "$reloads" ]; do
	case $((i % 3)) in
	1)	if [ $((i % 36)) = 1 ]; then next=big.yaml; else next=b.yaml; fi
		valid=$((valid + 1));;
	2)	next=a.yaml; valid=$((valid + 1));;
	0)	invalid=$((invalid + 1))
		case $((invalid % 8)) in
		0)	next=bad-big.yaml;;
		1|3|5|7) next=bad-syntax.yaml;;
		*)	next=bad-key.yaml;;
		esac;;
	esac
	cp "$W/$next" "$W/policy.new" && mv "$W/policy.new" "$W/policy.yaml"
	kill -USR1 "$milter_pid" 2>/dev/null || break
	for _ in $(seq 1000); do
		[ "$(count 'reloaded |reload of .* failed')" -ge "$i" ] && break
		sleep 0.01
	done
	kill -0 "$driver_pid" 2>/dev/null && during=$((during + 1))
	i=$((i + 1))
done
wait "$driver_pid"
driver_pid=""
load_secs=$(($(date +%s) - load_start))
before_stop=$(tsan_reports)

kill -TERM "$milter_pid"
for _ in $(seq 300); do
	kill -0 "$milter_pid" 2>/dev/null || break
	sleep 0.1
done
wait "$milter_pid"
milter_status=$?
milter_pid=""

# field KEY - one key=value of the driver's line
field() {
	tr ' ' '\n' <"$W/mdriver.out" | sed -n "s/^$1=//p"
}
answered=$(($(field accepted) + $(field rejected) + $(field tempfailed) + $(field discarded)))
[ "$(field errors)" = 0 ] && [ "$answered" = "$messages" ]
ok $? "mdriver: $answered of $messages messages answered, errors=$(field errors)" "$W/mdriver.out"
echo "# $(cat "$W/mdriver.out")"

swapped=$(count 'reloaded ')
refused=$(count 'reload of .* failed')
located=$(count "error: $W/policy.yaml:[0-9]+:[0-9]+: ")
[ "$swapped" = "$valid" ] && [ "$refused" = "$invalid" ] && [ "$during" = "$reloads" ] &&
    [ "$located" -ge "$invalid" ]
ok $? "$((swapped + refused)) reloads ($during while the load ran): $swapped swapped, $refused refused with FILE:LINE:COL ($located located errors)" "$W/milter.log"

[ "$before_stop" = 0 ]
ok $? "ThreadSanitizer: no report during the load and the reloads (got $before_stop)"

# Sort every report: ours (a frame in our sources but main.c, or no
# libmilter frame at all) or libmilter's alone; one line per report,
# "ours SUMMARY..." or "libmilter SUMMARY...".
cat "$W"/tsan/report* 2>/dev/null | awk '
	/WARNING: ThreadSanitizer/ { inrep = 1; our = 0; lib = 0; next }
	inrep && /^ +#[0-9]+ / {
		if ($0 ~ /libmilter\.so/) lib = 1
		if ($0 ~ /\/(milter|policy|report)\/[A-Za-z_]+\.c:/ && $0 !~ /\/milter\/main\.c:/) our = 1
	}
	inrep && /^SUMMARY: ThreadSanitizer/ {
		print ((our || !lib) ? "ours" : "libmilter"), $0
		inrep = 0
	}' >"$W/tsan-sorted.txt"
ours=$(grep -c '^ours ' "$W/tsan-sorted.txt")
libmilter_only=$(grep -c '^libmilter ' "$W/tsan-sorted.txt")
[ "$ours" = 0 ]
ok $? "ThreadSanitizer: no report in our code, shutdown included (got $ours; $libmilter_only inside libmilter only)"
sort "$W/tsan-sorted.txt" | uniq -c | sed 's/^ */# /'

case $milter_status in
0|66)	true;;
*)	false;;
esac
ok $? "the milter stops on SIGTERM (exit $milter_status; 66: TSan reported, see above)" "$W/milter.log"

finished=$(date +%s)
echo "# tsan: messages=$messages answered=$answered concurrency=$concurrency reloads=$((swapped + refused)) during_load=$during swapped=$swapped refused=$refused reports_during_load=$before_stop reports_ours=$ours reports_libmilter_shutdown=$libmilter_only load_secs=$load_secs build_secs=$((built - started)) total_secs=$((finished - started))"
[ "$failed" -eq 0 ]
