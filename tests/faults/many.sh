#!/bin/bash
# many.sh - fault test (issue 4): 1,000 MTA connections held open on the
# milter while normal mail keeps flowing through a real Postfix.
#
# The milter starts with a soft descriptor limit of 1024 (as under a
# plain login shell or an old init script) and must raise it itself
# (daemon.c): 1,000 held connections plus Postfix's own push it past
# 1024 descriptors.  tests/bench/mdriver opens the 1,000 connections on
# the milter's inet socket and speaks milter protocol 6 like smtpd, but
# pauses between commands, so every connection stays open for about
# 50 seconds (slow clients).  While they are all open, a python
# client sends a few hundred messages (plaintext and TLS, partners and
# strangers, from 127.0.0.2 so they are judged) through the receiving
# Postfix, whose smtpd consults the same milter.
#
# Asserts: the driver saw every one of its 1,000 messages answered
# (errors=0: nothing refused, nothing timed out) and all tagged; all
# 1,000 were open at once; every Postfix session got the reply the
# policy gives it; every accepted message was delivered with exactly
# one tag, the expected one; Postfix logged no milter warnings; the
# milter's soft "Max open files" was raised above 1024; no sanitizer
# report; clean exit on SIGTERM.  Reports (TAP comments) the milter's
# VmRSS, VmHWM, threads and descriptors while the 1,000 are open and at
# the end.  The milter under test is normally the ASan+UBSan build
# (CI), whose RSS is several times a plain build's; MILTER_BIN_PLAIN
# (optional) names a build without sanitizers to measure as well.
#
# TAP; same conventions as tests/e2e/postfix.sh (E2E_REQUIRED=1 turns a
# skip into a failure, E2E_KEEP=1 keeps the tree).  Knobs: MANY_CONNS
# (1000), MANY_MESSAGES (300), MANY_PARALLEL (Postfix sessions at a
# time, 40), MANY_PAUSE_US (pause between driver commands, 3500000:
# each connection then lasts about 50 s).

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
PATH=$PATH:/usr/sbin:/sbin
here=$(cd "$(dirname "$0")" && pwd)
e2e=$here/../e2e
MILTER_BIN=${MILTER_BIN:-${top_builddir:-.}/tlspolicy-milter}
MDRIVER=${MDRIVER:-$(dirname "$MILTER_BIN")/tests/bench/mdriver}
. "$e2e/lib.sh"
. "$e2e/tap.sh"

CONNS=${MANY_CONNS:-1000}
MESSAGES=${MANY_MESSAGES:-300}
PAUSE_US=${MANY_PAUSE_US:-3500000}
PARALLEL=${MANY_PARALLEL:-40}	# Postfix sessions at a time
NOFILE=8192			# this shell's soft limit: the driver needs > CONNS
MILTER_SOFT=1024		# what the milter is started with
T_RUN=0
T_FAILED=0

# preflight - what this test needs before it touches anything
preflight()
{
	local hard
	t_preflight "a private Postfix instance" "postfix python3 openssl iproute2" \
	    postfix postqueue python3 openssl timeout ss
	[ -x "$MDRIVER" ] || cannot_run "$MDRIVER not built (make tests/bench/mdriver)"
	# Root may raise its hard limit; the milter takes the hard limit.
	hard=$(ulimit -H -n)
	if [ "$hard" != unlimited ] && [ "$hard" -lt "$NOFILE" ]; then
		ulimit -H -n "$NOFILE" 2>/dev/null ||
		    cannot_run "hard descriptor limit $hard < $NOFILE and cannot be raised"
	fi
	ulimit -S -n "$NOFILE" || cannot_run "cannot set the soft descriptor limit to $NOFILE"
}

# setup_failed - the instances did not come up: say why and stop
setup_failed()
{
	t_setup_failed "$1" "$E2E_DIR/milter.log" "$E2E_DIR/rx/maillog"
}

# proc_status PID KEY - one value (number only) from /proc/PID/status
proc_status()
{
	awk -v k="$2:" '$1 == k { print $2; exit }' "/proc/$1/status" 2>/dev/null
}

# milter_fds PID - open descriptors of the milter
milter_fds()
{
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# held_conns - established TCP connections to the milter's port
held_conns()
{
	ss -Htn state established "( sport = :$E2E_MILTER_PORT )" 2>/dev/null | wc -l
}

# memory_line PID WHEN - the TAP comment with RSS, HWM, threads, fds
memory_line()
{
	e2e_note "$2: VmRSS $(($(proc_status "$1" VmRSS) / 1024)) MiB, VmHWM $(($(proc_status "$1" VmHWM) / 1024)) MiB, threads $(proc_status "$1" Threads), open fds $(milter_fds "$1")"
}

# wait_held N LIMIT - wait (bounded) until N connections are established
wait_held()
{
	local n=$1 limit=$2 i=0 got=0
	while [ "$i" -lt $((limit * 5)) ]; do
		got=$(held_conns)
		[ "$got" -ge "$n" ] && { echo "$got"; return 0; }
		kill -0 "$DRIVER_PID" 2>/dev/null || break
		sleep 0.2
		i=$((i + 1))
	done
	echo "$got"
	return 1
}

# sample_milter PID - every 0.2 s: "fds threads rss_kib" until killed
sample_milter()
{
	while kill -0 "$1" 2>/dev/null; do
		echo "$(milter_fds "$1") $(proc_status "$1" Threads) $(proc_status "$1" VmRSS)"
		sleep 0.2
	done
}

# ---------------------------------------------------------------- traffic
# send_traffic - MESSAGES sessions through the receiver, PARALLEL at a time;
# one line per session in $E2E_DIR/traffic: id kind code final-reply
send_traffic()
{
	timeout 180 python3 - "$E2E_HOST" "$E2E_RX_PORT" "$E2E_CLIENT_IP" "$MESSAGES" \
	    "$E2E_DOMAIN" "$$" "$PARALLEL" >"$E2E_DIR/traffic" 2>"$E2E_DIR/traffic.err" <<'PY'
import smtplib, ssl, sys
from concurrent.futures import ThreadPoolExecutor

host, port, src, count, domain, tag, parallel = sys.argv[1:8]
KINDS = ["stranger-plain", "stranger-tls13", "tagger-rsa",
         "rejecter-plain", "deferrer-plain", "rejecter-ecdhe"]

def context(kind):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if kind.endswith("tls13"):
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    else:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("AES256-GCM-SHA384" if kind.endswith("rsa")
                        else "ECDHE-RSA-AES256-GCM-SHA384")
    return ctx

def session(i):
    kind = KINDS[i % len(KINDS)]
    sender = "%s-%d@%s.test" % (kind, i, kind.split("-")[0])
    msgid = "many-%d.%s@e2e.test" % (i, tag)
    try:
        s = smtplib.SMTP(host, int(port), local_hostname="client.e2e.test",
                         source_address=(src, 0), timeout=60)
        s.ehlo()
        if not kind.endswith("plain"):
            s.starttls(context=context(kind))
            s.ehlo()
        code, text = s.mail(sender)
        if code == 250:
            code, text = s.rcpt("box@" + domain)
        if code == 250:
            msg = ("From: <%s>\r\nTo: <box@%s>\r\nSubject: many %d\r\n"
                   "Message-Id: <%s>\r\n\r\nnormal traffic beside 1,000 held "
                   "milter connections\r\n" % (sender, domain, i, msgid))
            code, text = s.data(msg.encode())
        try:
            s.quit()
        except smtplib.SMTPException:
            pass
        text = text.decode("utf-8", "replace").replace("\n", " ")
    except Exception as e:
        code, text = 0, "%s: %s" % (type(e).__name__, e)
    return "%s %s %d %s" % (msgid, kind, code, text)

with ThreadPoolExecutor(int(parallel)) as pool:
    for line in pool.map(session, range(int(count))):
        print(line, flush=True)
PY
}

# want_reply KIND - W: the final reply (prefix) the policy gives KIND
# (sets a variable: 300 command substitutions are slow on a busy machine)
want_reply()
{
	case $1 in
	rejecter-plain) W="550 5.7.0 Policy for partner rejecter requires TLSv1.2+ with forward secrecy; this session used no TLS";;
	deferrer-plain) W="451 4.7.0 Policy for partner deferrer requires TLSv1.2+ with forward secrecy; this session used no TLS";;
	*) W="250 2.0.0 Ok: queued as";;
	esac
}

# want_tag KIND - W: the tag header value an accepted KIND carries
want_tag()
{
	local p="$E2E_MX; verdict"
	case $1 in
	stranger-plain) W="$p=fail; partner=none; tls=none; cipher=none; bits=0; pfs=no; reasons=no-tls; action=tag";;
	stranger-tls13) W="$p=pass; partner=none; tls=TLSv1.3; cipher=TLS_AES_256_GCM_SHA384; bits=256; pfs=yes; reasons=-; action=accept";;
	tagger-rsa) W="$p=fail; partner=tagger; tls=TLSv1.2; cipher=AES256-GCM-SHA384; bits=256; pfs=no; reasons=no-pfs; action=tag";;
	rejecter-ecdhe) W="$p=pass; partner=rejecter; tls=TLSv1.2; cipher=ECDHE-RSA-AES256-GCM-SHA384; bits=256; pfs=yes; reasons=-; action=accept";;
	*) W="?";;
	esac
}

# check_replies - every session's final reply is the expected one
check_replies()
{
	local id kind code text bad=() n=0 W
	ACCEPTED=()
	while read -r id kind code text; do
		n=$((n + 1))
		want_reply "$kind"
		case "$code $text" in
		"$W"*) [ "$code" = 250 ] && ACCEPTED+=("$id $kind");;
		*) bad+=("$id ($kind): got '$code $text', want '$W'");;
		esac
	done <"$E2E_DIR/traffic"
	[ "$n" = "$MESSAGES" ] && [ "${#bad[@]}" = 0 ]
	t_ok $? "postfix: all $MESSAGES sessions got the policy's reply ($n answered, ${#bad[@]} wrong)" \
	    "${bad[@]:0:10}" "$(head -n 5 "$E2E_DIR/traffic.err")"
	e2e_note "postfix: $n sessions: $(awk '{ print $3 }' "$E2E_DIR/traffic" | sort | uniq -c | awk '{ printf "%s x %s, ", $1, $2 }')accepted ${#ACCEPTED[@]}"
}

# check_deliveries - every accepted message in the maildir, one right tag
check_deliveries()
{
	local want=${#ACCEPTED[@]} i=0 got entry id kind line bad=() W
	declare -A index
	while [ "$i" -lt 600 ]; do
		got=$(ls "$E2E_DIR/rx/mail/box/new" 2>/dev/null | wc -l)
		[ "$got" -ge "$want" ] && break
		sleep 0.2
		i=$((i + 1))
	done
	e2e_delivered_tags >"$E2E_DIR/delivered"
	while read -r id line; do
		index[$id]=$line
	done <"$E2E_DIR/delivered"
	for entry in "${ACCEPTED[@]}"; do
		id=${entry%% *} kind=${entry#* }
		want_tag "$kind"
		line=${index[$id]:-}
		[ "$line" = "1 $W" ] || bad+=("$id ($kind): got '${line:-not delivered}', want '1 $W'")
	done
	[ "$(wc -l <"$E2E_DIR/delivered")" = "$want" ] && [ "${#bad[@]}" = 0 ]
	t_ok $? "postfix: all $want accepted messages delivered once, each with exactly one tag, the expected one" \
	    "delivered: $(wc -l <"$E2E_DIR/delivered")" "${bad[@]:0:10}"
}

# ---------------------------------------------------------------- plain build
# measure_plain - RSS of a build without sanitizers under the same 1,000
# held connections (driver only, no Postfix); only with MILTER_BIN_PLAIN.
measure_plain()
{
	local pid out
	[ -n "${MILTER_BIN_PLAIN:-}" ] && [ -x "$MILTER_BIN_PLAIN" ] || return 0
	E2E_MILTER_PORT=$(e2e_free_port)
	"$MILTER_BIN_PLAIN" -f -u nobody -c "$E2E_DIR/milter.yaml" -p "inet:$E2E_MILTER_PORT@127.0.0.1" \
	    </dev/null >>"$E2E_DIR/milter-plain.log" 2>&1 &
	pid=$!
	e2e_wait_port "$E2E_MILTER_PORT" "$pid" || { kill "$pid"; return 0; }
	"$MDRIVER" -s "inet:$E2E_MILTER_PORT@127.0.0.1" -n "$CONNS" -c "$CONNS" -m 1 \
	    -d "$PAUSE_US" -t tls13 -H X-TLS-Policy >"$E2E_DIR/driver-plain.out" 2>&1 &
	DRIVER_PID=$!
	if wait_held "$CONNS" 60 >/dev/null; then
		sleep 2
		memory_line "$pid" "plain build ($MILTER_BIN_PLAIN), $CONNS held"
	else
		e2e_note "plain build: only $(held_conns) connections came up"
	fi
	wait "$DRIVER_PID"
	e2e_note "plain build driver: $(cat "$E2E_DIR/driver-plain.out")"
	memory_line "$pid" "plain build, after the driver finished"
	kill -TERM "$pid"
	e2e_wait_pid_gone "$pid" 10 || kill -KILL "$pid"
	wait "$pid" 2>/dev/null
}

# ---------------------------------------------------------------- main
preflight
START=$(date +%s)
trap 'e2e_cleanup' EXIT
trap 'exit 130' HUP INT PIPE TERM

e2e_init || setup_failed "cannot make the temporary tree"
e2e_postfix_receiver || setup_failed "cannot configure the receiving Postfix"
# Enough smtpd processes for the traffic; no limit on concurrent sessions.
postconf -c "$E2E_DIR/rx/etc" -e "default_process_limit = 50" \
    "smtpd_client_connection_count_limit = 0" ||
    setup_failed "postconf on the receiver"
# The milter starts with 1024 descriptors and must raise them itself.
ulimit -S -n "$MILTER_SOFT"
e2e_milter_start "$e2e/policy.yaml" || setup_failed "milter did not start"
ulimit -S -n "$NOFILE"
e2e_postfix_start "$E2E_DIR/rx" "$E2E_RX_PORT" || setup_failed "receiving Postfix did not start"
MPID=$E2E_MILTER_PID
e2e_note "milter $MILTER_BIN (pid $MPID) on 127.0.0.1:$E2E_MILTER_PORT, receiver :$E2E_RX_PORT"
memory_line "$MPID" "milter idle"
e2e_note "setup took $(($(date +%s) - START))s"

soft=$(awk '/^Max open files/ { print $4 }' "/proc/$MPID/limits")
hard=$(awk '/^Max open files/ { print $5 }' "/proc/$MPID/limits")
e2e_note "milter Max open files: soft $soft, hard $hard (started with soft $MILTER_SOFT)"
[ "$soft" = "$hard" ] && [ "$soft" -gt "$MILTER_SOFT" ]
t_ok $? "milter raised its soft descriptor limit from $MILTER_SOFT to the hard limit at start-up" \
    "got soft $soft hard $hard"

# The 1,000 slow connections: each pauses before every command.
DSTART=$(date +%s)
"$MDRIVER" -s "inet:$E2E_MILTER_PORT@127.0.0.1" -n "$CONNS" -c "$CONNS" -m 1 \
    -d "$PAUSE_US" -t tls13 -H X-TLS-Policy -P "$MPID" \
    >"$E2E_DIR/driver.out" 2>"$E2E_DIR/driver.err" &
DRIVER_PID=$!
held=$(wait_held "$CONNS" 60)
t_ok $? "driver: all $CONNS connections open at once on the milter (established: $held)" \
    "$(cat "$E2E_DIR/driver.err")"
e2e_note "driver: $held connections established $(($(date +%s) - DSTART))s after start"
memory_line "$MPID" "milter, $held connections held"

# Normal traffic through Postfix while they are held.
sample_milter "$MPID" >"$E2E_DIR/samples" &
SAMPLER_PID=$!
TSTART=$(date +%s)
send_traffic
TEND=$(date +%s)
held_after=$(held_conns)
memory_line "$MPID" "milter, after the Postfix traffic ($held_after driver connections still open)"
e2e_note "postfix traffic: $MESSAGES sessions in $((TEND - TSTART))s"
[ "$held_after" -ge "$CONNS" ]
t_ok $? "the Postfix traffic ran while all $CONNS driver connections stayed open ($held_after at its end)" \
    "the driver's pause is too short for this machine: raise MANY_PAUSE_US"

timeout 120 tail --pid="$DRIVER_PID" -f /dev/null
wait "$DRIVER_PID"
drc=$?
DEND=$(date +%s)
kill "$SAMPLER_PID" 2>/dev/null
wait "$SAMPLER_PID" 2>/dev/null
e2e_note "milter peak while held (sampled every 0.2 s): $(awk '
	$1 > f { f = $1 } $2 > t { t = $2 } $3 > r { r = $3 }
	END { printf "%d open fds (%s 1024), %d threads, VmRSS %d MiB", f, (f > 1024 ? "above" : "not above"), t, r / 1024 }' "$E2E_DIR/samples")"
dline=$(cat "$E2E_DIR/driver.out")
e2e_note "driver ($((DEND - DSTART))s): $dline"
[[ $dline =~ \ accepted=([0-9]+)\ tagged=([0-9]+)\ .*\ errors=([0-9]+) ]]
t_is "$drc errors=${BASH_REMATCH[3]:-?} accepted=${BASH_REMATCH[1]:-?} tagged=${BASH_REMATCH[2]:-?}" \
    "0 errors=0 accepted=$CONNS tagged=$CONNS" \
    "driver: all $CONNS slow connections answered and tagged, none refused or timed out"

check_replies
check_deliveries
e2e_note "checks done $(($(date +%s) - DEND))s after the driver"

! grep -E 'warning: .*[Mm]ilter' "$E2E_DIR/rx/maillog" >"$E2E_DIR/milter-warnings"
t_ok $? "receiver logged no milter warnings" "$(head -n 5 "$E2E_DIR/milter-warnings")"
! grep -Ev ': tlspolicy: |^tlspolicy-milter: (policy .*: [0-9]+ partners|listening on |dropped privileges)' \
    "$E2E_DIR/milter.log" >"$E2E_DIR/milter-other"
t_ok $? "milter logged nothing but decisions (no descriptor or thread errors)" \
    "$(head -n 5 "$E2E_DIR/milter-other")"

sleep 1
memory_line "$MPID" "milter at the end (all connections closed)"
e2e_note "the milter under test is $( (nm -D "$MILTER_BIN" 2>/dev/null | grep -q __asan_init) && echo 'an ASan+UBSan build: its RSS is inflated by the sanitizers' || echo 'a build without ASan')"

E2E_MILTER_PID=
kill -TERM "$MPID"
e2e_wait_pid_gone "$MPID" 20
wait "$MPID"
t_is "$?" 0 "milter exits 0 on SIGTERM"
t_no_sanitizer_reports "milter log has no sanitizer reports" "$E2E_DIR/milter.log"

measure_plain

e2e_note "$T_RUN checks, $T_FAILED failed, $(($(date +%s) - START))s"
echo "1..$T_RUN"
[ "$T_FAILED" = 0 ]
