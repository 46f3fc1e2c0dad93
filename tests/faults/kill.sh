#!/bin/bash
# kill.sh - fault test: the milter killed with SIGKILL under load loses
# no mail.
#
# A sending Postfix (tx) relays FAULT_MESSAGES messages over TLS to the
# receiving Postfix (rx), whose milter (milter_default_action = tempfail)
# is killed with SIGKILL FAULT_KILLS times while deliveries flow and
# restarted on the same port after FAULT_DOWNTIME seconds.  The kills
# fall when the maildir holds 1/(K+1), 2/(K+1)... of the messages, so
# they hit load however fast the machine is.  tx retries every few
# seconds and is flushed after each restart; then the test waits for
# both queues to drain and counts the maildir by Message-ID:
#   sent=N delivered=N lost=0 duplicated=K
# A duplicate is legal SMTP (a 250 lost on the way) and is reported, not
# failed.  Every copy must carry exactly one tag, the one the policy
# gives its sender and TLS profile; nothing may bounce; the receiver
# must show that the milter's failures became 4xx (else the kills hit
# nothing).
#
# TAP.  Needs root, Postfix, python3, openssl and the built milter;
# skips without them unless E2E_REQUIRED=1.  Knobs: FAULT_MESSAGES
# (2000), FAULT_KILLS (4), FAULT_DOWNTIME (2 s), FAULT_THREADS (8
# injecting clients), FAULT_BUDGET (300 s for the whole run), E2E_KEEP=1.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
PATH=$PATH:/usr/sbin:/sbin
here=$(cd "$(dirname "$0")" && pwd)
MILTER_BIN=${MILTER_BIN:-${top_builddir:-.}/tlspolicy-milter}
. "$here/../e2e/lib.sh"
. "$here/../e2e/tap.sh"
. "$here/load.sh"

FAULT_MESSAGES=${FAULT_MESSAGES:-2000}
FAULT_KILLS=${FAULT_KILLS:-4}
FAULT_DOWNTIME=${FAULT_DOWNTIME:-2}
FAULT_THREADS=${FAULT_THREADS:-8}
FAULT_BUDGET=${FAULT_BUDGET:-300}
POLICY=$here/../e2e/policy.yaml

T_RUN=0
T_FAILED=0
KILLED=0
RESTART_FAILED=0
KILL_AT=()

# preflight - what this test needs before it touches anything
preflight()
{
	t_preflight "private Postfix instances" "postfix python3 openssl" \
	    postfix postconf postqueue python3 openssl timeout
}

# setup_failed - the instances did not come up: say why and stop
setup_failed()
{
	t_setup_failed "$1" "$E2E_DIR/milter.log" "$E2E_DIR/rx/maillog" "$E2E_DIR/tx/maillog"
}

# elapsed T0 [T1] - seconds from T0 to T1 (default now), one decimal
elapsed()
{
	awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.1f", b - a }'
}

# kill_milter - SIGKILL the milter we started, wait, start it again
#
# Remembers where the receiver's log stood, so check_kills can tell
# which sessions each kill broke.
kill_milter()
{
	local pid=$E2E_MILTER_PID delivered
	delivered=$(fault_maildir_count)
	KILL_AT+=("$(wc -l <"$E2E_DIR/rx/maillog")")
	kill -KILL "$pid" || return 1
	wait "$pid" 2>/dev/null
	E2E_MILTER_PID=
	KILLED=$((KILLED + 1))
	e2e_note "kill $KILLED: SIGKILL to milter pid $pid at +$(elapsed "$START")s, $delivered delivered, $(fault_queue_size "$E2E_DIR/tx") queued at the sender"
	sleep "$FAULT_DOWNTIME"
	if ! e2e_milter_start "$POLICY"; then
		RESTART_FAILED=$((RESTART_FAILED + 1))
		return 1
	fi
	postqueue -c "$E2E_DIR/tx/etc" -f 2>/dev/null
	return 0
}

# drive_kills - kill when K/(KILLS+2) of the messages are delivered, for
# each K: the last kill still leaves a third of the load behind it
drive_kills() {
	local k=1 at
	while [ "$k" -le "$FAULT_KILLS" ]; do
		at=$((FAULT_MESSAGES * k / (FAULT_KILLS + 2)))
		if ! kill -0 "$E2E_MILTER_PID" 2>/dev/null; then
			e2e_note "the milter died by itself; its log:"
			tail -n 5 "$E2E_DIR/milter.log" | sed 's/^/#   /'
			return 1
		fi
		if [ "$(fault_maildir_count)" -ge "$at" ]; then
			kill_milter || return 1
			k=$((k + 1))
			continue
		fi
		[ "$(date +%s)" -lt "$DEADLINE" ] || return 1
		sleep 0.2
	done
}

# check_kills - each kill broke milter sessions in progress
#
# Postfix logs "warning: milter inet:...: can't read SMFIC_X reply..."
# (or similar) when the milter dies under a session; "connect to Milter
# service" is a new session while it was down and does not count.
check_kills()
{
	local k n from to idle=""
	for ((k = 0; k < ${#KILL_AT[@]}; k++)); do
		from=$((KILL_AT[k] + 1))
		to=${KILL_AT[k + 1]:-$(wc -l <"$E2E_DIR/rx/maillog")}
		n=$(sed -n "${from},${to}p" "$E2E_DIR/rx/maillog" |
		    grep -c "warning: milter inet:127.0.0.1:$E2E_MILTER_PORT: ")
		e2e_note "kill $((k + 1)): broke $n milter sessions in progress"
		[ "$n" -gt 0 ] || idle="$idle $((k + 1))"
	done
	[ -z "$idle" ]
	t_ok $? "kills: every kill broke milter sessions in progress" "idle kills:$idle"
}

# drain - flush tx every few seconds until both queues are empty
drain()
{
	local i=0 tx=? rx=?
	while [ "$(date +%s)" -lt "$DEADLINE" ]; do
		tx=$(fault_queue_size "$E2E_DIR/tx")
		rx=$(fault_queue_size "$E2E_DIR/rx")
		[ "$tx" = 0 ] && [ "$rx" = 0 ] && return 0
		[ $((i % 25)) = 24 ] && postqueue -c "$E2E_DIR/tx/etc" -f 2>/dev/null
		sleep 0.2
		i=$((i + 1))
	done
	e2e_note "drain: budget spent with $tx queued at the sender, $rx at the receiver"
	return 1
}

# check_tags SCAN - every copy has one tag, the one its ID calls for
#
# policy.yaml: tagger requires TLSv1.2+ with PFS (action tag), the
# defaults (stranger, partner=none) only TLS.  The transport named in
# the ID fixes the TLS the sending Postfix used.
check_tags()
{
	local bad
	bad=$(python3 - "$1" "$E2E_MX" <<'PY'
import sys
scan, mx = sys.argv[1:3]
tls = {
    "tls13": ("TLSv1.3", "TLS_AES_256_GCM_SHA384", "yes"),
    "ecdhe": ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "yes"),
    "rsa": ("TLSv1.2", "AES256-GCM-SHA384", "no"),
}
bad = 0
for line in open(scan):
    msgid, n, tags = line.rstrip("\n").split("\t")
    try:
        dom, prof = msgid.split(".")[0].split("-")[2:4]
        version, cipher, pfs = tls[prof]
    except (ValueError, KeyError):
        print("%s: not one of ours" % msgid)
        bad += 1
        continue
    partner = "tagger" if dom == "tagger" else "none"
    if partner == "tagger" and pfs == "no":
        tail = "verdict=fail; partner=tagger; tls=%s; cipher=%s; bits=256; pfs=no; reasons=no-pfs; action=tag"
    else:
        tail = "verdict=pass; partner=%s; tls=%%s; cipher=%%s; bits=256; pfs=%s; reasons=-; action=accept" % (partner, pfs)
    want = "%s; " % mx + tail % (version, cipher)
    if n != "1" or tags != want:
        bad += 1
        if bad <= 5:
            print("%s: got %s tag(s): %s | want: %s" % (msgid, n, tags, want))
print("bad=%d" % bad)
PY
)
	[ "${bad##*bad=}" = 0 ]
	t_ok $? "tags: every delivered copy carries exactly one tag, the policy's verdict for its sender and TLS" \
	    "$bad"
}

# ---------------------------------------------------------------- main
preflight
START=$EPOCHREALTIME
DEADLINE=$(($(date +%s) + FAULT_BUDGET - 20))
trap 'e2e_cleanup' EXIT
trap 'exit 130' HUP INT PIPE TERM

e2e_init || setup_failed "cannot make the temporary tree"
e2e_postfix_receiver || setup_failed "cannot configure the receiving Postfix"
e2e_postfix_sender || setup_failed "cannot configure the sending Postfix"
# Unlike the e2e test, deferred mail must come back soon by itself.
postconf -c "$E2E_DIR/tx/etc" -e queue_run_delay=2s minimal_backoff_time=2s \
    maximal_backoff_time=4s || setup_failed "cannot shorten the sender's retry times"
e2e_milter_start "$POLICY" || setup_failed "milter did not start"
e2e_postfix_start "$E2E_DIR/rx" "$E2E_RX_PORT" || setup_failed "receiving Postfix did not start"
e2e_postfix_start "$E2E_DIR/tx" "$E2E_TX_PORT" || setup_failed "sending Postfix did not start"
e2e_note "milter $MILTER_BIN on 127.0.0.1:$E2E_MILTER_PORT, receiver :$E2E_RX_PORT, sender :$E2E_TX_PORT"
e2e_note "$FAULT_MESSAGES messages, $FAULT_KILLS kills, ${FAULT_DOWNTIME}s down each time, $FAULT_THREADS injecting clients"

LOAD=$EPOCHREALTIME
fault_send "$E2E_DIR/sent" "$E2E_TX_PORT" 127.0.0.1 "$FAULT_THREADS" \
    "$FAULT_MESSAGES" none kill tagger.test,stranger.test tls13,ecdhe,rsa 50 \
    "$E2E_DIR/stop" "$DEADLINE" &
SENDER_PID=$!
drive_kills
t_ok $? "kills: $KILLED of $FAULT_KILLS SIGKILLs sent under load, every restart came up" \
    "restarts failed: $RESTART_FAILED; delivered when the budget ran out: $(fault_maildir_count)"
wait "$SENDER_PID"
injected=$(awk '$6 == 250' "$E2E_DIR/sent" 2>/dev/null | wc -l)
e2e_note "injected $injected messages into the sender in $(awk -v a="$LOAD" '$3 > m { m = $3 } END { printf "%.1f", m - a }' "$E2E_DIR/sent")s"
[ "$injected" = "$FAULT_MESSAGES" ]
t_ok $? "inject: the sending Postfix took all $FAULT_MESSAGES messages" \
    "got 250 for $injected; other replies:" "$(awk '$6 != 250' "$E2E_DIR/sent" | head -n 5)"

drain
t_ok $? "drain: both queues empty after the last restart" \
    "$(postqueue -c "$E2E_DIR/tx/etc" -p 2>/dev/null | tail -n 8)"
DONE=$EPOCHREALTIME
secs=$(elapsed "$LOAD" "$DONE")
e2e_note "all queues empty $secs s after the first message: $(awk -v n="$FAULT_MESSAGES" -v s="$secs" 'BEGIN { printf "%.1f", n / s }') messages/s end to end"

fault_scan "$E2E_DIR/rx/mail/box" X-TLS-Policy >"$E2E_DIR/scan"
tally=$(fault_tally "$E2E_DIR/sent" "$E2E_DIR/scan" "$E2E_DIR/lost" "$E2E_DIR/dups")
e2e_note "${tally% stray=*}"
lost=$(fault_field "$tally" lost)
[ "$lost" = 0 ] && [ "$(fault_field "$tally" sent)" = "$FAULT_MESSAGES" ]
t_ok $? "count: every Message-ID sent reached the maildir ($tally)" \
    "first lost:" "$(head -n 5 "$E2E_DIR/lost")"
[ "$(fault_field "$tally" stray)" = 0 ]
t_ok $? "count: nothing in the maildir that was not sent" "$tally"
[ -s "$E2E_DIR/dups" ] && e2e_note "duplicated: $(head -n 5 "$E2E_DIR/dups" | tr '\n' ' ')"
check_tags "$E2E_DIR/scan"

deferred=$(grep -c 'status=deferred' "$E2E_DIR/tx/maillog")
retried=$(grep 'status=deferred' "$E2E_DIR/tx/maillog" | sed -n 's/.*: \([0-9A-F]*\): to=.*/\1/p' | sort -u | wc -l)
e2e_note "sender: $deferred deferrals of $retried distinct messages, all retried to delivery"
# cleanup logs "milter-reject: END-OF-MESSAGE ...: 4.7.1 ..." without the
# three-digit code; smtpd logs it with.
tempfails=$(grep -Ec 'milter-reject: .*: ([0-9]{3} )?4\.[0-9]+\.[0-9]+ ' "$E2E_DIR/rx/maillog")
stages=$(sed -En 's/.*milter-reject: ([A-Z-]+) from [^ ]*: ([0-9]{3} )?(4\.[0-9.]+) .*/\1 \3/p' \
    "$E2E_DIR/rx/maillog" | sort | uniq -c |
    awk '{ printf "%s%s %s at %s", (NR > 1 ? ", " : ""), $1, $3, $2 }')
warnings=$(grep -Ec "warning: milter inet:127.0.0.1:$E2E_MILTER_PORT: " "$E2E_DIR/rx/maillog")
e2e_note "receiver: $tempfails milter tempfails ($stages); $warnings milter sessions broken"
check_kills
[ "$tempfails" -gt 0 ]
t_ok $? "receiver: the milter's failures became 4xx ($tempfails times; 0 means the kills hit no load)"
reasons=$(grep 'status=deferred' "$E2E_DIR/tx/maillog" |
    sed -En 's/.*status=deferred \(.*([0-9]{3} [245]\.[0-9.]+).*/\1/p' | sort | uniq -c |
    awk '{ printf "%s%s x %s %s", (NR > 1 ? ", " : ""), $1, $2, $3 }')
e2e_note "sender: deferral replies: $reasons"

! grep -E 'status=bounced|said: 5[0-9][0-9] ' "$E2E_DIR/tx/maillog" >"$E2E_DIR/bounced"
t_ok $? "sender: nothing bounced, no 5xx reply" "$(head -n 5 "$E2E_DIR/bounced")"
! grep -E 'reject: .*: ([0-9]{3} )?5\.[0-9]+\.[0-9]+ ' "$E2E_DIR/rx/maillog" >"$E2E_DIR/rejected"
t_ok $? "receiver: no 5xx reply to anyone" "$(head -n 5 "$E2E_DIR/rejected")"

pid=$E2E_MILTER_PID
E2E_MILTER_PID=
kill -TERM "$pid"
e2e_wait_pid_gone "$pid" 20
wait "$pid"
t_ok $? "milter: the last instance exits 0 on SIGTERM"
t_no_sanitizer_reports "milter: no sanitizer reports in $((KILLED + 1)) lives" "$E2E_DIR/milter.log"

e2e_note "$T_RUN checks, $T_FAILED failed, $(elapsed "$START")s in all"
echo "1..$T_RUN"
[ "$T_FAILED" = 0 ]
