#!/bin/bash
# misconfig.sh - fault test (issue 4): a real Postfix whose milter macro
# lists lack the TLS macros at every stage, and which does not take the
# milter's own macro request (smfi_setsymlist).
#
# What Postfix 3.7 does (observed here, see the protocol variants): it
# offers SMFIF_SETSYMLIST and obeys the milter's macro lists at every
# milter_protocol, 2 to 6, so lowering milter_protocol does NOT take the
# request away: the milter still gets its TLS macros.  An MTA that
# ignores the request (Sendmail before 8.14, other MTAs) is made here
# with a small protocol proxy between smtpd and the milter that clears
# SMFIF_SETSYMLIST from the MTA's option negotiation; everything else is
# the real Postfix.  The proxy also records which macros really reach
# the milter, so each case is checked by observation.
#
# One receiving Postfix, one smtpd listener per case (master.cf -o):
#   stripped   TLS macros removed from every stage (non-TLS ones kept),
#              request unavailable, on_missing_macros: tempfail
#   empty      every macro list empty, request unavailable, tempfail
#   accept     as stripped, on_missing_macros: accept
#   listed     request unavailable, but Postfix's default lists (the TLS
#              macros at HELO): TLS sessions first, then plaintext
#   proto2/4   as stripped, milter_protocol = 2 or 4, nothing in the way
# Each case has its own milter process, so its log lines are its own.
#
# Asserts, for the misconfigured cases: no 5xx ever; with tempfail every
# MAIL gets 451 4.3.5; with accept every message is accepted and
# delivered with one temperror/missing-macros tag; no TLS macro reached
# the milter; the milter logs ONE line naming the fix (and one saying
# the MTA ignores macro requests), not one per message, while it still
# logs one decision per MAIL.  For the protocol cases: the verdicts are
# the normal ones (TLS seen, also without a second EHLO) and no warning.
# For listed: the normal verdicts, plaintext ones too once a TLS macro
# has shown that the MTA's lists carry them, and no missing-macros line.
#
# TAP; conventions of tests/e2e/postfix.sh (E2E_REQUIRED, E2E_KEEP).

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
PATH=$PATH:/usr/sbin:/sbin
here=$(cd "$(dirname "$0")" && pwd)
e2e=$here/../e2e
MILTER_BIN=${MILTER_BIN:-${top_builddir:-.}/tlspolicy-milter}
. "$e2e/lib.sh"
. "$e2e/tap.sh"

T_RUN=0
T_FAILED=0
PIDS=()				# proxies and milters we started
MILTER_PIDS=()
CASES="stripped empty accept listed proto2 proto4"
TLS_MACROS='{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}'
FIX_LINE='fix the MTA'
SYMLIST_LINE='does not take macro requests'

# preflight - what this test needs before it touches anything
preflight()
{
	t_preflight "a private Postfix instance" "postfix python3 openssl" \
	    postfix postconf python3 openssl timeout
}

# setup_failed - the instances did not come up: say why and stop
setup_failed()
{
	t_setup_failed "$1" "$E2E_DIR"/*.log "$E2E_DIR/rx/maillog"
}

# cleanup - our proxies and milters by PID, then lib.sh's cleanup
cleanup()
{
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		e2e_wait_pid_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	e2e_cleanup
}

# free_ports N - N distinct TCP ports free on 127.0.0.1 right now
free_ports()
{
	python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

# ---------------------------------------------------------------- milters
# policy_for CASE - the policy file of a case: tests/e2e/policy.yaml, with
# on_missing_macros set to tempfail (the default, said aloud) or accept
policy_for()
{
	local mode=tempfail out=$E2E_DIR/policy-$1.yaml
	[ "$1" = accept ] && mode=accept
	sed "s/^settings:\$/settings:\\n  on_missing_macros: $mode/" "$e2e/policy.yaml" >"$out"
	grep -q "on_missing_macros: $mode" "$out" && echo "$out"
}

# milter_start CASE PORT - one milter for the case; its log is
# CASE.milter.log.  The caller waits for the port.
milter_start()
{
	local policy pid
	policy=$(policy_for "$1") || return 1
	"$MILTER_BIN" -f -u nobody -c "$policy" -p "inet:$2@127.0.0.1" \
	    </dev/null >>"$E2E_DIR/$1.milter.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	MILTER_PIDS+=("$pid")
}

# proxy_start CASE PORT MILTER_PORT strip|observe - the protocol proxy
# (the caller waits for the port)
#
# Passes milter packets both ways.  "strip" clears SMFIF_SETSYMLIST in
# the MTA's OPTNEG, as an MTA that cannot take macro requests sends it.
# Logs (CASE.proxy.log) each OPTNEG and the macro names of every 'D'.
proxy_start()
{
	python3 - "$2" "$3" "$4" >>"$E2E_DIR/$1.proxy.log" 2>&1 <<'PY' &
import asyncio, socket, struct, sys

listen_port, milter_port, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
SETSYMLIST = 0x100

def say(text):
    print(text, flush=True)

async def packets(reader):
    while True:
        head = await reader.readexactly(4)
        body = await reader.readexactly(struct.unpack(">I", head)[0])
        yield body

async def mta_to_milter(reader, writer):
    async for body in packets(reader):
        cmd = body[:1]
        if cmd == b"O" and len(body) >= 13:
            version, actions, steps = struct.unpack(">III", body[1:13])
            if mode == "strip":
                body = body[:1] + struct.pack(">III", version, actions & ~SETSYMLIST,
                                              steps) + body[13:]
            say("mta optneg version=%d actions=0x%x sent=0x%x" % (version, actions,
                struct.unpack(">I", body[5:9])[0]))
        elif cmd == b"D" and len(body) >= 2:
            fields = body[2:].split(b"\0")
            say("macros %s: %s" % (body[1:2].decode(), " ".join(
                f.decode("ascii", "replace") for f in fields[0:-1:2])))
        writer.write(struct.pack(">I", len(body)) + body)
        await writer.drain()

async def milter_to_mta(reader, writer):
    async for body in packets(reader):
        if body[:1] == b"O":
            say("milter optneg lists=%s" % ("yes" if len(body) > 13 else "no"))
        writer.write(struct.pack(">I", len(body)) + body)
        await writer.drain()

async def pipe(coro, writer):
    try:
        await coro
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()

async def session(mta_r, mta_w):
    milter_r, milter_w = await asyncio.open_connection("127.0.0.1", milter_port)
    for w in (mta_w, milter_w):
        w.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    await asyncio.gather(pipe(mta_to_milter(mta_r, milter_w), milter_w),
                         pipe(milter_to_mta(milter_r, mta_w), mta_w))

async def main():
    server = await asyncio.start_server(session, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()

asyncio.run(main())
PY
	PIDS+=("$!")
}

# ---------------------------------------------------------------- Postfix
# smtpd_for CASE PORT PROXY_PORT - the master.cf lines of the case's smtpd
smtpd_for()
{
	local proto=6 lists=stripped m
	case $1 in
	empty) lists=empty;;
	proto*) proto=${1#proto};;
	esac
	printf '%s inet n - n - - smtpd\n' "$E2E_HOST:$2"
	printf '  -o smtpd_milters=inet:127.0.0.1:%s\n  -o milter_protocol=%s\n' "$3" "$proto"
	[ "$1" = listed ] && return 0
	for m in connect helo mail rcpt data end_of_data end_of_header unknown_command; do
		printf '  -o milter_%s_macros=$misconfig_%s_%s\n' "$m" "$lists" "$m"
	done
}

# macro_lists - main.cf: the two sets of lists the cases use.  stripped:
# each stage's default list (Postfix 3.7) minus the TLS macros.
macro_lists()
{
	local m
	cat <<'EOF'
misconfig_stripped_connect = j {daemon_name} {daemon_addr} v _ {client_addr} {client_name}
misconfig_stripped_helo =
misconfig_stripped_mail = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}
misconfig_stripped_rcpt = i {rcpt_addr} {rcpt_host} {rcpt_mailer}
misconfig_stripped_data = i
misconfig_stripped_end_of_data = i
misconfig_stripped_end_of_header = i
misconfig_stripped_unknown_command =
EOF
	for m in connect helo mail rcpt data end_of_data end_of_header unknown_command; do
		echo "misconfig_empty_$m ="
	done
}

# ---------------------------------------------------------------- sessions
# KINDS: sender partner and client TLS profile of each session.
KINDS="rejecter-plain rejecter-tls13 rejecter-noehlo deferrer-rsa tagger-rsa stranger-plain stranger-tls13"

# kinds_for CASE PHASE - the sessions of a case in phase 1 or 2.  listed
# sends its TLS sessions first and its plaintext ones after them; the
# STARTTLS-without-EHLO client is left out there, because with TLS
# macros at HELO only its verdict depends on the order (the warning
# about macro requests asks for them at MAIL too).
kinds_for()
{
	case $1:$2 in
	listed:1) echo "rejecter-tls13 deferrer-rsa tagger-rsa stranger-tls13";;
	listed:2) echo "rejecter-plain stranger-plain";;
	*:1) echo "$KINDS";;
	esac
}

# send_sessions PHASE - the phase's sessions to every case's port; one
# line per session appended to $E2E_DIR/sessions:
# CASE KIND MESSAGE-ID STAGE CODE TEXT
send_sessions()
{
	local c k jobs=
	for c in $CASES; do
		for k in $(kinds_for "$c" "$1"); do
			eval "jobs=\"\$jobs $c:\$SMTP_PORT_$c:$k\""
		done
	done
	timeout 120 python3 - "$E2E_HOST" "$E2E_CLIENT_IP" "$E2E_DOMAIN" "$$" "$jobs" \
	    >>"$E2E_DIR/sessions" 2>>"$E2E_DIR/sessions.err" <<'PY'
import smtplib, ssl, sys
from concurrent.futures import ThreadPoolExecutor

host, src, domain, tag, jobs = sys.argv[1:6]
jobs = [(case, int(port), kind) for case, port, kind in (j.split(":") for j in jobs.split())]

def context(profile):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if profile == "rsa":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("AES256-GCM-SHA384")
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx

def session(job):
    case, port, kind = job
    partner, profile = kind.split("-")
    sender = "%s-%s@%s.test" % (case, kind, partner)
    msgid = "misconfig-%s-%s.%s@e2e.test" % (case, kind, tag)
    stage = "CONNECT"
    try:
        s = smtplib.SMTP(host, port, local_hostname="client.e2e.test",
                         source_address=(src, 0), timeout=30)
        s.ehlo()
        if profile != "plain":
            s.starttls(context=context(profile))
            if profile != "noehlo":
                s.ehlo()
        stage = "MAIL"
        code, text = s.mail(sender)
        if code == 250:
            stage = "RCPT"
            code, text = s.rcpt("box@" + domain)
        if code == 250:
            stage = "DATA"
            code, text = s.data(("From: <%s>\r\nTo: <box@%s>\r\nSubject: %s\r\n"
                                 "Message-Id: <%s>\r\n\r\nmisconfigured MTA\r\n"
                                 % (sender, domain, kind, msgid)).encode())
        try:
            s.quit()
        except smtplib.SMTPException:
            pass
        text = text.decode("utf-8", "replace").replace("\n", " ")
    except Exception as e:
        code, text = 0, "%s: %s" % (type(e).__name__, e)
    return "%s %s %s %s %d %s" % (case, kind, msgid, stage, code, text)

with ThreadPoolExecutor(8) as pool:
    for line in pool.map(session, jobs):
        print(line, flush=True)
PY
}

# want CASE KIND - sets W_STAGE W_REPLY (prefix) W_TAG (accepted only)
want()
{
	local partner=${2%-*} profile=${2#*-} tls cipher bits pfs reasons=- verdict=pass action=accept
	W_STAGE=DATA W_REPLY="250 2.0.0 Ok: queued as" W_TAG=
	case $1 in
	stripped|empty)
		W_STAGE=MAIL
		W_REPLY="451 4.3.5 TLS policy cannot be checked: the MTA sent the milter no TLS macros (server configuration error)"
		return;;
	accept)
		W_TAG="$E2E_MX; verdict=temperror; partner=none; tls=none; cipher=none; bits=0; pfs=no; reasons=missing-macros; action=tag"
		return;;
	esac
	case $profile in
	plain) tls=none cipher=none bits=0 pfs=no;;
	rsa) tls=TLSv1.2 cipher=AES256-GCM-SHA384 bits=256 pfs=no;;
	*) tls=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 pfs=yes;;
	esac
	[ "$tls" = none ] && reasons=no-tls
	[ "$tls" != none ] && [ "$pfs" = no ] && [ "$partner" != stranger ] && reasons=no-pfs
	if [ "$reasons" != - ]; then
		verdict=fail action=tag
		case $partner in
		rejecter)
			W_STAGE=MAIL
			W_REPLY="550 5.7.0 Policy for partner rejecter requires TLSv1.2+ with forward secrecy";;
		deferrer)
			W_STAGE=MAIL
			W_REPLY="451 4.7.0 Policy for partner deferrer requires TLSv1.2+ with forward secrecy";;
		esac
	fi
	[ "$partner" = stranger ] && partner=none
	[ "$W_STAGE" = DATA ] &&
	    W_TAG="$E2E_MX; verdict=$verdict; partner=$partner; tls=$tls; cipher=$cipher; bits=$bits; pfs=$pfs; reasons=$reasons; action=$action"
	return 0
}

# wait_deliveries N - wait (bounded) until the maildir holds N messages
wait_deliveries()
{
	local i=0
	while [ "$i" -lt 300 ]; do
		[ "$(ls "$E2E_DIR/rx/mail/box/new" 2>/dev/null | wc -l)" -ge "$1" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# ---------------------------------------------------------------- checks
# check_case CASE - replies, deliveries, what reached the milter, its log
check_case()
{
	local c=$1 kind id stage code text got bad=() line n5 log=$E2E_DIR/$1.milter.log
	local proxy=$E2E_DIR/$1.proxy.log mails
	while read -r _ kind id stage code text; do
		want "$c" "$kind"
		got="$stage $code $text"
		case $got in
		"$W_STAGE $W_REPLY"*) ;;
		*) bad+=("$kind: got '$got', want '$W_STAGE $W_REPLY...'"); continue;;
		esac
		[ -n "$W_TAG" ] || continue
		line=$(grep -F "$id " "$E2E_DIR/delivered")
		[ "$line" = "$id 1 $W_TAG" ] ||
		    bad+=("$kind: delivered '${line:-nothing}', want '$id 1 $W_TAG'")
	done < <(grep "^$c " "$E2E_DIR/sessions")
	n=$(grep -c "^$c " "$E2E_DIR/sessions")
	[ "$n" = "$(echo $(kinds_for "$c" 1) $(kinds_for "$c" 2) | wc -w)" ] && [ "${#bad[@]}" = 0 ]
	t_ok $? "$c: all $n sessions got the expected reply at the expected stage, and the accepted ones one expected tag" \
	    "${bad[@]}"
	n5=$(grep "^$c " "$E2E_DIR/sessions" | awk '$5 ~ /^5/' | wc -l)
	case $c in
	listed)
		e2e_note "$c: replies $(awk -v c="$c" '$1 == c { print $5 }' "$E2E_DIR/sessions" | sort | uniq -c | awk '{ printf "%s x %s ", $1, $2 }')"
		grep -q '^mta optneg .*sent=0x[0-9a-f]*' "$proxy" && ! grep -q '^milter optneg lists=yes' "$proxy" &&
		    grep -Eq '^macros H: .*\{tls_version\}' "$proxy"
		t_ok $? "$c: no macro request, yet Postfix's own HELO list brought the TLS macros" \
		    "$(grep -E 'optneg|macros H' "$proxy" | sort | uniq -c)"
		t_is "$(grep -c "$SYMLIST_LINE" "$log") $(grep -Ec "$FIX_LINE|sent no" "$log")" "1 0" \
		    "$c: one line about macro requests, none about missing macros"
		return;;
	proto*)
		e2e_note "$c: replies $(awk -v c="$c" '$1 == c { print $5 }' "$E2E_DIR/sessions" | sort | uniq -c | awk '{ printf "%s x %s ", $1, $2 }')"
		grep -q '^milter optneg lists=yes' "$proxy"
		t_ok $? "$c: the milter's macro lists went back to Postfix in the option negotiation" \
		    "$(head -n 3 "$proxy")"
		grep -E '^macros [HM]: .*\{tls_version\}' "$proxy" >/dev/null
		t_ok $? "$c: Postfix sent the TLS macros the milter asked for, though main.cf lists none" \
		    "$(grep '^macros' "$proxy" | sort | uniq -c | head -n 8)"
		! grep -Eq "$FIX_LINE|$SYMLIST_LINE|sent no milter macros" "$log"
		t_ok $? "$c: the milter logged no configuration warning" "$(grep -v ': tlspolicy: ' "$log")"
		return;;
	esac
	t_is "$n5" 0 "$c: no 5xx reply"
	e2e_note "$c: replies $(awk -v c="$c" '$1 == c { print $4 " " $5 }' "$E2E_DIR/sessions" | sort | uniq -c | awk '{ printf "%s x %s %s, ", $1, $2, $3 }')"
	grep -q '^mta optneg .*sent=0x[0-9a-f]*' "$proxy" && ! grep -q '^milter optneg lists=yes' "$proxy"
	t_ok $? "$c: the MTA offered no SMFIF_SETSYMLIST and the milter sent no macro lists" \
	    "$(grep optneg "$proxy" | sort | uniq -c)"
	! grep -E "^macros .*(\\{tls_version\\}|\\{cipher\\}|\\{cipher_bits\\}|\\{cert_)" "$proxy" >/dev/null
	t_ok $? "$c: no TLS macro reached the milter" \
	    "$(grep -E 'tls_version|cipher' "$proxy" | head -n 3)"
	if [ "$c" = empty ]; then
		! grep -Eq '^macros .*: [^ ]' "$proxy"
		t_ok $? "$c: no macro at all reached the milter" "$(grep '^macros' "$proxy" | head -n 3)"
	else
		e2e_note "$c: macros that reached the milter: $(sed -n 's/^macros \(.\): /\1=/p' "$proxy" | sort -u | tr '\n' ';')"
	fi
	mails=$(grep "^$c " "$E2E_DIR/sessions" | awk '$4 != "CONNECT"' | wc -l)
	t_is "$(grep -c "$FIX_LINE" "$log") $(grep -c "$SYMLIST_LINE" "$log") $(grep -c ': tlspolicy: ' "$log")" \
	    "1 1 $mails" "$c: the milter logged one line naming the fix and one about macro requests, but a decision for each of $mails MAILs"
	e2e_note "$c: $(grep -m 1 "$FIX_LINE" "$log")"
}

# ---------------------------------------------------------------- main
preflight
START=$(date +%s)
trap 'cleanup' EXIT
trap 'exit 130' HUP INT PIPE TERM

e2e_init || setup_failed "cannot make the temporary tree"
e2e_postfix_receiver || setup_failed "cannot configure the receiving Postfix"
macro_lists >>"$E2E_DIR/rx/etc/main.cf"
# Three ports per case, asked in one go: python starts slowly on a busy machine.
read -r -a PORTS <<<"$(free_ports $(($(echo $CASES | wc -w) * 3)))"
i=0
for c in $CASES; do
	p=${PORTS[$i]} m=${PORTS[$((i + 1))]} x=${PORTS[$((i + 2))]}
	i=$((i + 3))
	case "$p$m$x" in *[!0-9]*|"") setup_failed "no free ports";; esac
	eval "SMTP_PORT_$c=$p MILTER_PORT_$c=$m PROXY_PORT_$c=$x"
	smtpd_for "$c" "$p" "$x" >>"$E2E_DIR/rx/etc/master.cf"
	milter_start "$c" "$m" || setup_failed "milter for $c did not start"
	mode=strip
	case $c in proto*) mode=observe;; esac
	proxy_start "$c" "$x" "$m" "$mode"
done
# All start at once (each is slow to start on a busy machine); then wait.
for c in $CASES; do
	eval "m=\$MILTER_PORT_$c x=\$PROXY_PORT_$c"
	e2e_wait_port "$m" || setup_failed "milter for $c did not start"
	e2e_wait_port "$x" || setup_failed "proxy for $c did not start"
done
postconf -c "$E2E_DIR/rx/etc" -e "default_process_limit = 20" ||
    setup_failed "postconf on the receiver"
e2e_postfix_start "$E2E_DIR/rx" "$E2E_RX_PORT" || setup_failed "receiving Postfix did not start"
for c in $CASES; do
	eval "e2e_wait_port \$SMTP_PORT_$c" || setup_failed "smtpd for $c is not listening"
done
e2e_note "milter $MILTER_BIN; $(postconf -d -h mail_version | sed 's/^/Postfix /'); setup took $(($(date +%s) - START))s"

SSTART=$(date +%s)
send_sessions 1
send_sessions 2
e2e_note "$(wc -l <"$E2E_DIR/sessions") sessions in $(($(date +%s) - SSTART))s"
accepted=$(awk '$5 == 250' "$E2E_DIR/sessions" | wc -l)
wait_deliveries "$accepted"
e2e_delivered_tags >"$E2E_DIR/delivered"

for c in $CASES; do
	check_case "$c"
done

# Stop the milters now: leak reports come at exit.
bad=()
for pid in "${MILTER_PIDS[@]}"; do
	kill -TERM "$pid"
	e2e_wait_pid_gone "$pid" 20
	wait "$pid"
	rc=$?
	[ "$rc" = 0 ] || bad+=("milter $pid exited $rc")
done
t_ok "${#bad[@]}" "all ${#MILTER_PIDS[@]} milters exit 0 on SIGTERM" "${bad[@]}"
t_no_sanitizer_reports "milter logs have no sanitizer reports" "$E2E_DIR"/*.milter.log

e2e_note "$T_RUN checks, $T_FAILED failed, $(($(date +%s) - START))s"
echo "1..$T_RUN"
[ "$T_FAILED" = 0 ]
