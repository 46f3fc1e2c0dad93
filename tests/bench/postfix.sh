#!/bin/bash
# postfix.sh - target 6 of issue 5: messages/s through a real Postfix,
# milter on against milter off, measured side by side.
#
# Usage: bash tests/bench/postfix.sh BUILDDIR [POLICY]
#
# Reuses the private receiving Postfix of tests/e2e/lib.sh (loopback,
# its own queue, no DNS, delivery into a maildir) with the milter on
# inet: as the README recommends.  Each round sends BENCH_PF_MESSAGES
# with smtp-source over 16 parallel sessions (several messages per
# session) once with smtpd_milters set and once without (postfix reload
# between), alternating, and prints the medians, the ratio and PASS/FAIL
# (milter on >= 0.9x milter off).  Needs root, postfix, smtp-source and
# python3; prints "NOT RUN" and exits 0 without them.  BENCH_PF_MILTER=lean
# puts null_lean (tests/bench) in the milter's place, BENCH_PF_MILTER=min
# null_min (answers only CONNECT and EOM: the protocol's floor).  Everything it
# starts is stopped by e2e_cleanup (PIDs and pid files, never names).
set -u

B=$(cd "${1:?usage: postfix.sh BUILDDIR [POLICY]}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
POLICY=${2:-}
ROUNDS=${BENCH_ROUNDS:-3}
MSGS=${BENCH_PF_MESSAGES:-2000}
export MILTER_BIN=$B/tlspolicy-milter	# tests/e2e/lib.sh starts it

if [ "$(id -u)" != 0 ] || ! command -v postfix >/dev/null || ! command -v smtp-source >/dev/null \
    || ! command -v python3 >/dev/null; then
	echo "NOT RUN: 6: through a real Postfix (needs root, postfix, smtp-source, python3)"
	exit 0
fi

# shellcheck source=tests/e2e/lib.sh
. "$here/../e2e/lib.sh"
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM

e2e_init || exit 1
# BENCH_PF_MILTER=lean or min: the same run with null_lean or null_min in
# the milter's place, to tell the cost of the milter protocol through
# Postfix from the policy's.
case ${BENCH_PF_MILTER:-tlspolicy} in
lean|min)
	cat >"$E2E_DIR/null.sh" <<EOF
#!/bin/sh
while [ \$# -gt 0 ]; do [ "\$1" = -p ] && sock=\$2; shift; done
exec "$B/tests/bench/null_$BENCH_PF_MILTER" -p "\$sock"
EOF
	chmod 755 "$E2E_DIR/null.sh"
	MILTER_BIN=$E2E_DIR/null.sh
	;;
esac
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

# milter MODE - on or off, then reload and wait until smtpd answers again
milter() {
	if [ "$1" = on ]; then
		postconf -c "$RX" "smtpd_milters = inet:127.0.0.1:$E2E_MILTER_PORT"
	else
		postconf -c "$RX" "smtpd_milters ="
	fi
	postfix -c "$RX" reload >/dev/null 2>&1
	sleep 1
	e2e_wait_port "$E2E_RX_PORT"
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

: >"$E2E_DIR/on" && : >"$E2E_DIR/off"
for r in $(seq "$ROUNDS"); do
	for mode in on off; do
		milter "$mode" || exit 1
		one=$(send1) || { echo "postfix.sh: smtp-source failed (milter $mode)" >&2; exit 1; }
		echo "$one" >>"$E2E_DIR/$mode.1"
		rate=$(send) || { echo "postfix.sh: smtp-source failed (milter $mode)" >&2; exit 1; }
		echo "$rate" >>"$E2E_DIR/$mode"
	done
done
ON=$(median <"$E2E_DIR/on")
OFF=$(median <"$E2E_DIR/off")
TAGS=$(grep -c 'tlspolicy: ' "$E2E_DIR/milter.log")
echo "postfix (${BENCH_PF_MILTER:-tlspolicy}): smtp-source -d -s 16 -m $MSGS, median of $ROUNDS rounds alternating:" \
    "milter on $ON msgs/s, milter off $OFF msgs/s ($TAGS decisions logged)"
echo "postfix: one session, 100 messages: milter on $(median <"$E2E_DIR/on.1") ms/message," \
    "milter off $(median <"$E2E_DIR/off.1") ms/message"
RATIO=$(awk -v a="$ON" -v b="$OFF" 'BEGIN { printf "%.2f", a / b }')
if awk -v r="$RATIO" 'BEGIN { exit !(r >= 0.9) }'; then
	echo "PASS: 6: through Postfix over TCP, milter on >= 0.9x milter off ($RATIO >= 0.9)"
else
	echo "FAIL: 6: through Postfix over TCP, milter on >= 0.9x milter off ($RATIO, want >= 0.9)"
fi
