#!/bin/bash
# postfix.sh - target 6 of issue 5: messages/s through a real Postfix,
# milter on against milter off, measured side by side.
#
# Usage: bash tests/bench/postfix.sh BUILDDIR [POLICY]
#
# Reuses the private receiving Postfix of tests/e2e/lib.sh (loopback,
# its own queue, no DNS, delivery into a maildir) with the milter on
# inet: as the README recommends.  Each round sends BENCH_PF_MESSAGES
# with `smtp-source -d` (several messages per SMTP session) over 16
# parallel sessions, and 100 messages in one session, four times:
# without a milter, with tlspolicy-milter, and with the two baselines
# null_lean (tlspolicy-milter's protocol steps, no policy) and null_min
# (CONNECT, DATA and EOM only: the least a milter can ask), switching
# smtpd_milters with a postfix reload between, alternating, so that a
# noisy machine hits all four alike.  Prints the medians, each milter's
# CPU per message (/proc/PID/stat), the ratios, and PASS/FAIL for
# tlspolicy-milter >= 0.9x no milter; the baselines' ratios say how much
# of a miss is the milter protocol's own cost on this machine.  Needs
# root, postfix, smtp-source and python3; prints "NOT RUN" and exits 0
# without them.  Everything it starts is stopped by PID.
set -u

B=$(cd "${1:?usage: postfix.sh BUILDDIR [POLICY]}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
POLICY=${2:-}
ROUNDS=${BENCH_ROUNDS:-5}
MSGS=${BENCH_PF_MESSAGES:-2000}
export MILTER_BIN=$B/tlspolicy-milter	# tests/e2e/lib.sh starts it

if [ "$(id -u)" != 0 ] || ! command -v postfix >/dev/null || ! command -v smtp-source >/dev/null \
    || ! command -v python3 >/dev/null; then
	echo "NOT RUN: 6: through a real Postfix (needs root, postfix, smtp-source, python3)"
	exit 0
fi

# shellcheck source=tests/e2e/lib.sh
. "$here/../e2e/lib.sh"
trap 'exit 1' INT TERM

e2e_init || exit 1
NULL_PIDS=""
trap 'for pid in $NULL_PIDS; do kill "$pid" 2>/dev/null; done; e2e_cleanup' EXIT
if [ -z "$POLICY" ]; then
	python3 "$here/gen_policy.py" 10 "$E2E_DIR/p10.yaml" "$E2E_DIR/t10.txt" 10 || exit 1
	# smtp-source connects from 127.0.0.1: judge it, do not exempt it.
	sed 's/^  client_ips: \[127.0.0.1, "::1", /  client_ips: [/' "$E2E_DIR/p10.yaml" \
	    >"$E2E_DIR/p10-judged.yaml" || exit 1
	POLICY=$E2E_DIR/p10-judged.yaml
fi
e2e_postfix_receiver || exit 1
e2e_milter_start "$POLICY" || exit 1
e2e_postfix_start "$E2E_DIR/rx" "$E2E_RX_PORT" || exit 1
RX=$E2E_DIR/rx/etc

# start_null KIND - null_KIND on a free loopback port: sets PORT_KIND and PID_KIND
start_null() {
	local kind=$1 port pid
	port=$(e2e_free_port) || return 1
	"$B/tests/bench/null_$kind" -p "inet:$port@127.0.0.1" </dev/null \
	    >>"$E2E_DIR/null_$kind.log" 2>&1 &
	pid=$!
	NULL_PIDS="$NULL_PIDS $pid"
	e2e_wait_port "$port" "$pid" || { echo "postfix.sh: null_$kind did not start" >&2; return 1; }
	eval "PORT_$kind=$port PID_$kind=$pid"
}
start_null lean || exit 1
start_null min || exit 1
PORT_tlspolicy=$E2E_MILTER_PORT
PID_tlspolicy=$E2E_MILTER_PID

# milter MODE - off, tlspolicy, lean or min; reload and wait until smtpd answers
milter() {
	local port
	if [ "$1" = off ]; then
		postconf -c "$RX" "smtpd_milters ="
	else
		eval "port=\$PORT_$1"
		postconf -c "$RX" "smtpd_milters = inet:127.0.0.1:$port"
	fi
	postfix -c "$RX" reload >/dev/null 2>&1
	sleep 1
	e2e_wait_port "$E2E_RX_PORT"
}

# cpu_ticks MODE - the milter's user + system clock ticks so far (0 for off)
cpu_ticks() {
	local pid
	[ "$1" = off ] && { echo 0; return; }
	eval "pid=\$PID_$1"
	awk '{ print $14 + $15 }' "/proc/$pid/stat"
}

# send - MSGS messages over 16 sessions; prints messages/s
send() {
	local start end
	start=$(date +%s%N)
	timeout 300 smtp-source -d -s 16 -m "$MSGS" -l 1000 -f "bench@stranger.test" \
	    -t "box@$E2E_DOMAIN" "$E2E_HOST:$E2E_RX_PORT" >/dev/null 2>&1 || return 1
	end=$(date +%s%N)
	awk -v n="$MSGS" -v ns=$((end - start)) 'BEGIN { printf "%.0f\n", n / (ns / 1e9) }'
}

# send1 - 100 messages in one session; prints ms per message (a stall shows here)
send1() {
	local start end
	start=$(date +%s%N)
	timeout 300 smtp-source -d -s 1 -m 100 -l 1000 -f "bench@stranger.test" \
	    -t "box@$E2E_DOMAIN" "$E2E_HOST:$E2E_RX_PORT" >/dev/null 2>&1 || return 1
	end=$(date +%s%N)
	awk -v ns=$((end - start)) 'BEGIN { printf "%.1f\n", ns / 1e6 / 100 }'
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
	    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratio A B - A / B with two decimals
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

HZ=$(getconf CLK_TCK)
MODES="off tlspolicy lean min"
for mode in $MODES; do : >"$E2E_DIR/$mode" && : >"$E2E_DIR/$mode.1" && : >"$E2E_DIR/$mode.cpu"; done
for r in $(seq "$ROUNDS"); do
	for mode in $MODES; do
		milter "$mode" || exit 1
		one=$(send1) || { echo "postfix.sh: smtp-source failed (milter $mode)" >&2; exit 1; }
		echo "$one" >>"$E2E_DIR/$mode.1"
		before=$(cpu_ticks "$mode")
		rate=$(send) || { echo "postfix.sh: smtp-source failed (milter $mode)" >&2; exit 1; }
		after=$(cpu_ticks "$mode")
		echo "$rate" >>"$E2E_DIR/$mode"
		awk -v t=$((after - before)) -v hz="$HZ" -v n="$MSGS" \
		    'BEGIN { printf "%.0f\n", t / hz * 1e6 / n }' >>"$E2E_DIR/$mode.cpu"
	done
done
for mode in $MODES; do
	eval "RATE_$mode=\$(median <\"\$E2E_DIR/\$mode\")"
	eval "ONE_$mode=\$(median <\"\$E2E_DIR/\$mode.1\")"
	eval "CPU_$mode=\$(median <\"\$E2E_DIR/\$mode.cpu\")"
done
TAGS=$(grep -c 'tlspolicy: ' "$E2E_DIR/milter.log")
echo "postfix: smtp-source -d -s 16 -m $MSGS, median of $ROUNDS rounds alternating" \
    "($TAGS decisions logged by tlspolicy-milter):"
for mode in $MODES; do
	eval "rate=\$RATE_$mode one=\$ONE_$mode cpu=\$CPU_$mode"
	case $mode in
	off) label="no milter" ;;
	tlspolicy) label="tlspolicy-milter" ;;
	*) label="null_$mode" ;;
	esac
	printf '  %-17s %5s msgs/s (%s x no milter); one session: %s ms/message; milter CPU %s us/message\n' \
	    "$label" "$rate" "$(ratio "$rate" "$RATE_off")" "$one" "$cpu"
done
RATIO=$(ratio "$RATE_tlspolicy" "$RATE_off")
echo "postfix: tlspolicy-milter $(ratio "$RATE_tlspolicy" "$RATE_lean") x null_lean," \
    "$(ratio "$RATE_tlspolicy" "$RATE_min") x null_min (the policy's own share of the cost)"
if awk -v r="$RATIO" 'BEGIN { exit !(r >= 0.9) }'; then
	echo "PASS: 6: through Postfix over TCP, milter on >= 0.9x milter off ($RATIO >= 0.9)"
else
	echo "FAIL: 6: through Postfix over TCP, milter on >= 0.9x milter off ($RATIO, want >= 0.9;" \
	    "null_lean $(ratio "$RATE_lean" "$RATE_off"), null_min $(ratio "$RATE_min" "$RATE_off"))"
fi
