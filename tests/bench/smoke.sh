#!/bin/sh
# smoke.sh - the benchmark tools still work (TAP, a few seconds, no timing).
#
# Runs gen_policy.py, bench_eval and mdriver against both null milters and
# tlspolicy-milter on unix and inet sockets with a handful of messages,
# and checks the counts: every message sent gets a final reply, none is
# an error, and every one that should carry a header does.  Uses the
# check_PROGRAMS of tests/bench/ as make check built them (sanitizers and
# all); `make bench` is the timed run.  Needs top_builddir, top_srcdir and
# MILTER_BIN from the test environment.
set -u

B=${top_builddir:?}
SRC=${top_srcdir:?}
MILTER=${MILTER_BIN:-$B/tlspolicy-milter}
T=$B/tests/bench
N=0
FAILED=0
PIDS=""

echo "1..10"

W=$(mktemp -d "${TMPDIR:-/tmp}/tlspolicy-smoke.XXXXXX") || exit 1
cleanup() {
	for pid in $PIDS; do
		kill "$pid" 2>/dev/null
	done
	for pid in $PIDS; do
		wait "$pid" 2>/dev/null
	done
	rm -rf "$W"
}
trap cleanup EXIT

# ok COND-STATUS NAME [DETAIL] - one TAP line
ok() {
	N=$((N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $N - $2"
	else
		echo "not ok $N - $2"
		[ -n "${3:-}" ] && echo "# $3"
		FAILED=$((FAILED + 1))
	fi
}

# field LINE KEY - one key=value of a driver line
field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# start NAME SOCKET COMMAND... - a milter in the background, up when it answers
start() {
	name=$1 sock=$2
	shift 2
	"$@" >"$W/$name.log" 2>&1 &
	PIDS="$PIDS $!"
	i=0
	until "$T/mdriver" -s "$sock" -n 1 -m 1 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
	return 0
}

# drive NAME SOCKET MESSAGES TAGGED ARGS... - run mdriver, check the counts
drive() {
	name=$1 sock=$2 msgs=$3 tagged=$4
	shift 4
	out=$("$T/mdriver" -s "$sock" -n "$msgs" "$@" 2>&1)
	got=$(field "$out" tagged)
	final=$(($(field "$out" accepted) + $(field "$out" rejected) + $(field "$out" tempfailed)))
	[ "$(field "$out" errors)" = 0 ] && [ "$final" = "$msgs" ] \
	    && { [ "$tagged" = any ] || [ "$got" = "$tagged" ]; }
	ok $? "$name" "$out"
}

# free_port - a TCP port free on 127.0.0.1 right now
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(free_port)

python3 "$SRC/tests/bench/gen_policy.py" 1000 "$W/p1000.yaml" "$W/t1000.txt" 200 \
    && python3 "$SRC/tests/bench/gen_policy.py" 10 "$W/p10.yaml" "$W/t10.txt" 200 \
    && "$MILTER" -n -c "$W/p1000.yaml" >"$W/n.out" 2>&1 \
    && grep -q 'OK (1000 partners' "$W/n.out"
ok $? "gen_policy.py writes a valid 1,000-partner policy" "$(cat "$W/n.out" 2>/dev/null)"

"$T/bench_eval" -s -r 3 "$W/p1000.yaml" "$W/t1000.txt" "$W/p10.yaml" "$W/t10.txt" \
    >"$W/eval.out" 2>&1 && grep -q '^evaluate: 10 partners' "$W/eval.out"
ok $? "bench_eval times both policies" "$(cat "$W/eval.out")"

start full "unix:$W/full.sock" "$T/null_full" -p "unix:$W/full.sock"
ok $? "null_full starts on a unix socket"
drive "null_full unix: 40 messages at concurrency 4, each with its header" \
    "unix:$W/full.sock" 40 40 -c 4 -m 5 -H X-Null-Milter

start lean "unix:$W/lean.sock" "$T/null_lean" -p "unix:$W/lean.sock"
drive "null_lean unix: 40 messages at concurrency 4, each with its header" \
    "unix:$W/lean.sock" 40 40 -c 4 -m 5 -H X-Null-Milter

start tp "unix:$W/tp.sock" "$MILTER" -f $(test "$(id -u)" != 0 || echo -u nobody) -c "$W/p1000.yaml" -p "unix:$W/tp.sock"
drive "tlspolicy-milter unix, TLS 1.3: 50 messages of mixed traffic, all tagged" \
    "unix:$W/tp.sock" 50 50 -c 4 -m 5 -T "$W/t1000.txt" -H X-TLS-Policy
drive "tlspolicy-milter unix, plaintext: every message gets a final reply" \
    "unix:$W/tp.sock" 50 any -c 4 -m 5 -T "$W/t1000.txt" -t plain

start tpt "inet:$PORT@127.0.0.1" "$MILTER" -f $(test "$(id -u)" != 0 || echo -u nobody) -c "$W/p10.yaml" -p "inet:$PORT@127.0.0.1"
drive "tlspolicy-milter inet, TLS 1.2 ECDHE: 20 messages, all tagged" \
    "inet:$PORT@127.0.0.1" 20 20 -c 2 -m 10 -T "$W/t10.txt" -t tls12ecdhe -H X-TLS-Policy

PORT2=$(free_port)	# after the milter above took PORT
start fullt "inet:$PORT2@127.0.0.1" "$T/null_full" -p "inet:$PORT2@127.0.0.1"
drive "null_full inet: 4 messages, each with its header" \
    "inet:$PORT2@127.0.0.1" 4 4 -c 2 -m 2 -H X-Null-Milter

out=$("$T/mdriver" -s "unix:$W/nobody.sock" -n 7 -m 3 2>&1)
[ $? -eq 1 ] && [ "$(field "$out" errors)" = 7 ] && [ "$(field "$out" accepted)" = 0 ]
ok $? "mdriver counts every message to a dead socket as an error" "$out"

[ "$N" -eq 10 ] || echo "# ran $N tests, planned 10"
[ "$FAILED" -eq 0 ]
