#!/bin/bash
# postfix.sh - end-to-end test: the built milter behind a real Postfix on
# loopback, fed by swaks (with and without client certificates), by a
# python client that skips the second EHLO, and by a second Postfix
# relaying over TLS with per-transport ciphers.
#
# TAP.  Needs root, Postfix, swaks, python3, openssl and the built milter;
# without them the test skips, unless E2E_REQUIRED=1 (CI): then a skip is
# a failure.  The partners are in tests/e2e/policy.yaml, the instances in
# tests/e2e/lib.sh.  Every message has a unique Message-Id and sender, so
# each case finds its own delivery and its own milter log line.  The
# decision matrix (case, client TLS, expected, got) is printed as TAP
# comments at the end.  E2E_KEEP=1 keeps the temporary tree.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
PATH=$PATH:/usr/sbin:/sbin
here=$(cd "$(dirname "$0")" && pwd)
MILTER_BIN=${MILTER_BIN:-${top_builddir:-.}/tlspolicy-milter}
. "$here/lib.sh"
. "$here/tap.sh"

T_RUN=0
T_FAILED=0
MATRIX=()

# preflight - what this test needs before it touches anything
preflight()
{
	t_preflight "a private Postfix instance" "postfix swaks python3 openssl" \
	    postfix postcat postqueue smtp-source swaks python3 openssl timeout
}

# setup_failed - the instances did not come up: say why and stop
setup_failed()
{
	t_setup_failed "$1" "$E2E_DIR/milter.log" "$E2E_DIR/rx/maillog" "$E2E_DIR/tx/maillog" \
	    "$E2E_DIR/openssl.log"
}

# ---------------------------------------------------------------- expectations
#
# profile_facts PROFILE - what the TLS profile is, as the milter should see it
# and as the client should have negotiated it.
profile_facts()
{
	case $1 in
	plain)
		P_TLS=none P_CIPHER=none P_BITS=0 P_PFS=no
		P_CLIENT=none P_SESSION="no TLS";;
	rsa|noehlo-rsa)
		P_TLS=TLSv1.2 P_CIPHER=AES256-GCM-SHA384 P_BITS=256 P_PFS=no;;
	ecdhe)
		P_TLS=TLSv1.2 P_CIPHER=ECDHE-RSA-AES256-GCM-SHA384 P_BITS=256 P_PFS=yes;;
	dhe)
		P_TLS=TLSv1.2 P_CIPHER=DHE-RSA-AES256-GCM-SHA384 P_BITS=256 P_PFS=yes;;
	tls13|noehlo-tls13|cert|selfsigned)
		P_TLS=TLSv1.3 P_CIPHER=TLS_AES_256_GCM_SHA384 P_BITS=256 P_PFS=yes;;
	esac
	if [ "$P_TLS" != none ]; then
		P_CLIENT="$P_TLS:$P_CIPHER:$P_BITS"
		if [ "$P_PFS" = yes ]; then
			P_SESSION="$P_TLS $P_CIPHER ($P_BITS bits) with forward secrecy"
		else
			P_SESSION="$P_TLS $P_CIPHER ($P_BITS bits) without forward secrecy"
		fi
	fi
}

# expect SENDER PROFILE - the verdict for this sender over this profile
#
# Partners require TLSv1.2+ with PFS; non-partners (the defaults) only TLS;
# certifier also a verified client certificate for client.partner.test.
# Postfix sends {cert_subject}/{cert_issuer} only for a certificate it
# verified (smtpd_tls_CAfile), so the self-signed one looks like none:
# no-client-cert here, where Sendmail says cert-unverified (verdicts.txt).
# Sets X_FATE (delivered, held, refused), X_REPLY (exact, or the 250
# prefix), X_TAG (the header value), and X_VERDICT/X_REASONS/X_ACTION.
expect()
{
	local sender=$1 partner=$1 act
	local require="TLSv1.2+ with forward secrecy"
	profile_facts "$2"
	case $sender in
	tagger) act=tag;;
	deferrer) act=defer;;
	rejecter) act=reject;;
	quarantiner) act=quarantine;;
	tester) act=would-reject;;
	stranger) act=tag partner=none;;
	certifier) act=reject
		require="$require and a verified client certificate for client.partner.test";;
	esac
	X_REASONS=-
	if [ "$P_TLS" = none ]; then
		X_REASONS=no-tls
	elif [ "$P_PFS" = no ] && [ "$partner" != none ]; then
		X_REASONS=no-pfs
	elif [ "$partner" = certifier ] && [ "$2" != cert ]; then
		X_REASONS=no-client-cert
	fi
	X_FATE=delivered
	X_REPLY="250 2.0.0 Ok: queued as"
	if [ "$X_REASONS" = - ]; then
		X_VERDICT=pass X_ACTION=accept
	else
		X_VERDICT=fail X_ACTION=$act
		case $act in
		defer)
			X_FATE=refused
			X_REPLY="451 4.7.0 Policy for partner $partner requires $require; this session used $P_SESSION";;
		reject)
			X_FATE=refused
			X_REPLY="550 5.7.0 Policy for partner $partner requires $require; this session used $P_SESSION";;
		quarantine)
			X_FATE=held;;
		esac
	fi
	X_TAG="$E2E_MX; verdict=$X_VERDICT; partner=$partner; tls=$P_TLS; cipher=$P_CIPHER; bits=$P_BITS; pfs=$P_PFS; reasons=$X_REASONS; action=$X_ACTION"
}

# matrix_row - remember one line of the decision matrix
matrix_row()
{
	MATRIX+=("$(printf '%-24s %-40s %-38s %s' "$1" "$2" "$3" "$4")")
}

# ---------------------------------------------------------------- sending
# The direct cases (e2e_send_direct): every sender over every profile,
# from 127.0.0.2, and certifier over TLSv1.3 with no client certificate,
# the test CA's, and a self-signed one.
SENDERS="tagger deferrer rejecter quarantiner tester stranger"
PROFILES="plain rsa ecdhe dhe tls13 noehlo-tls13 noehlo-rsa"
CERT_CASES="certifier-tls13:tls13 certifier-cert:cert certifier-selfsigned:selfsigned"

# ---------------------------------------------------------------- checking
# failed_command CASE - the client command that drew the first error reply
# check_reply CASE - the client saw the expected final reply
check_reply()
{
	local name=$1 got tls cmd
	tls=$(e2e_client_tls "$name")
	got=$(e2e_final_reply "$name")
	G_REPLY=$got
	if [ "$tls" != "$P_CLIENT" ]; then
		t_ok 1 "$name: harness: client negotiated $tls, wanted $P_CLIENT" \
		    "$(tail -n 5 "$E2E_DIR/out/$name")"
		return
	fi
	case $X_FATE in
	refused)
		cmd=$(failed_command "$name")
		[ "$got" = "$X_REPLY" ] && [ "$cmd" = "MAIL FROM" ]
		t_ok $? "$name: client sees '${X_REPLY%% Policy*}' at MAIL FROM" \
		    "got:  $got (after $cmd)" "want: $X_REPLY (after MAIL FROM)";;
	*)
		case $got in
		"$X_REPLY"*) t_ok 0 "$name: client sees 250, message queued";;
		*) t_ok 1 "$name: client sees 250, message queued" \
		    "got:  $got" "want: $X_REPLY ...";;
		esac;;
	esac
}

# one_tag FILE CASE WHERE - exactly one tag header in FILE, ours, on top
#
# On top: the first header of the message as Postfix queued it, above
# its own Received: line.  virtual(8) adds Return-Path, X-Original-To and
# Delivered-To above that at delivery.
one_tag()
{
	local file=$1 name=$2 where=$3 tags n first
	tags=$(e2e_tag_headers "$file")
	n=$(printf '%s' "$tags" | grep -c .)
	first=$(e2e_headers "$file" |
	    grep -Eiv '^(Return-Path|X-Original-To|Delivered-To):' | head -n 1)
	G_TAG=$tags
	[ "$n" = 1 ] && [ "$tags" = "$X_TAG" ] && [ "$first" = "X-TLS-Policy: $X_TAG" ]
	t_ok $? "$name: $where with one tag, on top: $(tag_summary "$X_TAG")" \
	    "got ($n):" "$tags" "want: $X_TAG" "first header: $first"
}

# check_fate CASE - the message was delivered, held or never queued
check_fate()
{
	local name=$1 file qid q id
	G_TAG=
	case $X_FATE in
	delivered)
		if file=$(e2e_wait_delivered "$name"); then
			one_tag "$file" "$name" delivered
		else
			t_ok 1 "$name: delivered" "no message with Message-Id <$(e2e_message_id "$name")> in the maildir"
		fi;;
	held)
		qid=${RX_QID:-$(e2e_queue_id "$name")}
		q=$(wait_queue "$E2E_DIR/rx" "$qid" hold)
		if [ "$q" = hold ] && file=$(e2e_held_file "$qid"); then
			one_tag "$file" "$name" "held (quarantine) as $qid"
		else
			t_ok 1 "$name: held in the hold queue" "queue ID '$qid' is in queue '$q'"
		fi;;
	refused)
		id=$(e2e_message_id "$name")
		! grep -qF "message-id=<$id>" "$E2E_DIR/rx/maillog"
		t_ok $? "$name: nothing queued at the receiver";;
	esac
}

# wait_queue INSTANCE QID WANT - bounded wait until QID sits in queue WANT
wait_queue()
{
	local i=0 q='' limit
	limit=$(e2e_wait_limit)
	while [ "$i" -lt "$limit" ]; do
		q=$(e2e_queue_name "$1" "$2")
		[ "$q" = "$3" ] && { echo "$q"; return 0; }
		sleep 0.2
		i=$((i + 2))
	done
	touch "$E2E_DIR/waited-out"
	echo "$q"
}

# check_log CASE FROM - the milter logged its decision for this sender
check_log()
{
	local name=$1 from=$2 want line
	want="verdict=$X_VERDICT reasons=$X_REASONS action=$X_ACTION"
	line=$(grep -F "sender=<$from>" "$E2E_DIR/milter.log" | grep -F "$want" | head -n 1)
	[ -n "$line" ]
	t_ok $? "$name: milter logs $want" \
	    "lines for <$from>:" "$(grep -F "sender=<$from>" "$E2E_DIR/milter.log")"
}

# record - add the case to the decision matrix
record()
{
	local name=$1 got_fate=$X_FATE want
	want="${X_REPLY%% *} $X_FATE $(tag_summary "$X_TAG")"
	[ "$X_FATE" = refused ] && want="${X_REPLY%% Policy*} refused"
	case $G_REPLY in
	4*|5*) got_fate=refused;;
	esac
	if [ "$got_fate" = refused ]; then
		matrix_row "$name" "$(e2e_client_tls "$name")" "$want" "${G_REPLY%% Policy*} refused"
	else
		matrix_row "$name" "$(e2e_client_tls "$name")" "$want" \
		    "${G_REPLY%% *} $X_FATE $(tag_summary "$G_TAG")"
	fi
}

# check_direct CASE SENDER PROFILE - every assertion for one direct case
check_direct()
{
	local name=$1
	expect "$2" "$3"
	RX_QID=
	check_reply "$name"
	check_fate "$name"
	check_log "$name" "$name@$2.test"
	record "$name"
}

# ---------------------------------------------------------------- special cases
# The forged case: a partner's plaintext message (a fail) carrying four
# pass headers in different cases, one folded, one at the end.
send_forged()
{
	local name=forged-tag
	cat >"$E2E_DIR/forged.eml" <<EOF
X-TLS-Policy: $E2E_MX; verdict=pass; partner=tagger; tls=TLSv1.3; cipher=TLS_AES_256_GCM_SHA384; bits=256; pfs=yes; reasons=-; action=accept
From: <$name@tagger.test>
x-tls-policy: $E2E_MX; verdict=pass
To: <box@$E2E_DOMAIN>
Subject: e2e $name
X-Tls-Policy: $E2E_MX; verdict=pass;
	partner=tagger; action=accept
Message-Id: <$(e2e_message_id "$name")>
X-TLS-POLICY: verdict=pass

forged tags above; only the milter's may survive
EOF
	e2e_swaks "$name" "$E2E_RX_PORT" "$E2E_CLIENT_IP" "$name@tagger.test" \
	    "box@$E2E_DOMAIN" --data "@$E2E_DIR/forged.eml"
}

# check_exempt - mail from 127.0.0.1 (exempt) is accepted and says so
check_exempt()
{
	local name=exempt-reject file tags
	e2e_swaks "$name" "$E2E_RX_PORT" 127.0.0.1 "$name@rejecter.test" "box@$E2E_DOMAIN"
	G_REPLY=$(e2e_final_reply "$name")
	case $G_REPLY in
	"250 2.0.0 Ok: queued as"*) t_ok 0 "$name: exempt client 127.0.0.1 gets 250 despite plaintext";;
	*) t_ok 1 "$name: exempt client 127.0.0.1 gets 250 despite plaintext" "got: $G_REPLY";;
	esac
	if file=$(e2e_wait_delivered "$name"); then
		tags=$(e2e_tag_headers "$file")
		[ "$(printf '%s' "$tags" | grep -c .)" = 1 ] &&
		    case $tags in *"verdict=exempt"*"action=accept"*) true;; *) false;; esac
		t_ok $? "$name: delivered with one verdict=exempt tag" "got: $tags"
	else
		tags=
		t_ok 1 "$name: delivered with one verdict=exempt tag" "not delivered"
	fi
	matrix_row "$name" none "250 delivered exempt - accept" \
	    "${G_REPLY%% *} delivered $(tag_summary "$tags")"
}

# ---------------------------------------------------------------- MTA to MTA
# mta CASE SENDER PROFILE - hand the message to the sending Postfix, whose
# transport for PROFILE@ forces that TLS profile towards the receiver.
send_mta()
{
	e2e_swaks "$1" "$E2E_TX_PORT" 127.0.0.1 "$1@$2.test" "$3@$E2E_DOMAIN"
}

MTA_CASES="mta-defer-rsa:deferrer:rsa mta-reject-rsa:rejecter:rsa
mta-quarantine-rsa:quarantiner:rsa mta-tag-rsa:tagger:rsa
mta-reject-ecdhe:rejecter:ecdhe mta-reject-dhe:rejecter:dhe
mta-defer-tls13:deferrer:tls13"

# check_mta CASE SENDER PROFILE - the sender's fate for the message, then
# the receiver's.
check_mta()
{
	local name=$1 rcpt="$3@$E2E_DOMAIN" txqid line status want
	expect "$2" "$3"
	txqid=$(e2e_queue_id "$name")
	line=$(e2e_wait_log "$E2E_DIR/tx/maillog" \
	    "$txqid: to=<$rcpt>,.* status=(sent|deferred|bounced)" | head -n 1)
	status=$(printf '%s' "$line" | sed -n 's/.* status=\([a-z]*\).*/\1/p')
	G_REPLY=$(printf '%s' "$line" | sed -n 's/.* said: \(.*\) (in reply to .*/\1/p')
	case $X_FATE in
	refused)
		want=deferred
		[ "${X_REPLY%% *}" = 550 ] && want=bounced
		[ "$status" = "$want" ] &&
		    case $line in *"said: $X_REPLY (in reply to MAIL FROM command)"*) true;; *) false;; esac
		t_ok $? "$name: sending MTA: $want with '${X_REPLY%% Policy*} Policy ...' in its log" \
		    "got:  ${line:-no delivery attempt logged for $txqid}" \
		    "want: status=$want (... said: $X_REPLY (in reply to MAIL FROM command))"
		if [ "$want" = deferred ]; then
			[ "$(e2e_queue_name "$E2E_DIR/tx" "$txqid")" = deferred ]
			t_ok $? "$name: sending MTA keeps $txqid in its deferred queue"
		else
			e2e_wait_log "$E2E_DIR/tx/maillog" "$txqid: removed" >/dev/null
			t_ok $? "$name: sending MTA removed $txqid after the bounce"
		fi
		matrix_row "$name" "$P_CLIENT" "${X_REPLY%% Policy*} $want at sender" \
		    "${G_REPLY%% Policy*} $status at sender";;
	*)
		[ "$status" = sent ]
		t_ok $? "$name: sending MTA: status=sent" "got: ${line:-nothing logged for $txqid}"
		RX_QID=$(printf '%s' "$line" | sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p')
		G_REPLY="250"
		check_fate "$name"
		check_log "$name" "$name@$2.test"
		matrix_row "$name" "$P_CLIENT" "250 $X_FATE $(tag_summary "$X_TAG")" \
		    "${status:-?} $X_FATE $(tag_summary "$G_TAG")";;
	esac
}

# ---------------------------------------------------------------- reload
# reload_case CASE DESCRIPTION - tagger's plaintext must now be rejected
reload_case()
{
	local name=$1 want
	want="550 5.7.0 Policy for partner tagger requires TLSv1.2+ with forward secrecy; this session used no TLS"
	e2e_swaks "$name" "$E2E_RX_PORT" "$E2E_CLIENT_IP" "$name@tagger.test" "box@$E2E_DOMAIN"
	G_REPLY=$(e2e_final_reply "$name")
	t_is "$G_REPLY" "$want" "$name: $2"
	matrix_row "$name" none "550 5.7.0 refused" "${G_REPLY%% Policy*} refused"
}

check_reload()
{
	local before
	# tagger's action becomes reject; the rest of the policy stays.
	sed '/name: tagger/,/action:/s/action: tag/action: reject/' \
	    "$here/policy.yaml" >"$E2E_DIR/policy-reload.yaml"
	e2e_milter_reload "$E2E_DIR/policy-reload.yaml"
	t_ok $? "reload: milter alive after SIGUSR1 with a changed policy"
	reload_case reload-new "after SIGUSR1 the next message is judged by the new policy"

	before=$(wc -l <"$E2E_DIR/milter.log")
	printf 'version: 1\npartners:\n  - name: [broken\n' >"$E2E_DIR/policy-bad.yaml"
	e2e_milter_reload "$E2E_DIR/policy-bad.yaml"
	t_ok $? "reload: milter alive after SIGUSR1 with an invalid policy"
	tail -n +"$((before + 1))" "$E2E_DIR/milter.log" | grep -q 'milter\.yaml'
	t_ok $? "reload: the invalid policy's error is logged with its file name" \
	    "$(tail -n +"$((before + 1))" "$E2E_DIR/milter.log")"
	reload_case reload-bad "after an invalid policy the last good one still rules"
}

# ---------------------------------------------------------------- latency
# check_no_stall - many messages in one SMTP session over the inet milter.
# An unanswered milter packet followed by another one makes Nagle wait
# for a delayed ACK: about 40 ms per message (measured 48 ms against 4 ms
# without the milter).  The milter answers every step on TCP; the bound
# below is 4x the healthy figure and far below the stalled one.
check_no_stall()
{
	local n=40 start end ms
	start=$(date +%s%N)
	timeout "$E2E_TIMEOUT" smtp-source -d -m "$n" -s 1 -l 200 \
	    -f "latency@stranger.test" -t "box@$E2E_DOMAIN" \
	    "$E2E_HOST:$E2E_RX_PORT" >/dev/null 2>&1
	t_ok $? "latency: smtp-source sent $n messages in one session"
	end=$(date +%s%N)
	ms=$(((end - start) / 1000000))
	e2e_note "latency: $n messages in one session through the inet milter: ${ms} ms ($((ms / n)) ms each)"
	[ "$ms" -lt $((n * 25)) ]
	t_ok $? "latency: no Nagle stall on the inet milter socket (${ms} ms for $n messages, limit $((n * 25)) ms)"
}

# ---------------------------------------------------------------- report
# check_report_roundtrip - `report` reads back exactly what the real
# milter logged in this run: every decision line, none unparseable, and
# the same number of messages per partner as the log lines name.
check_report_roundtrip()
{
	local log=$E2E_DIR/milter.log json got want
	json=$("$MILTER_BIN" report --format json "$log" 2>"$E2E_DIR/report.err")
	t_ok $? "report: runs on the milter's own log" "$(cat "$E2E_DIR/report.err")"
	want=$(grep ': tlspolicy: ' "$log" | sed -n 's/.* partner=\([^ ]*\) .*/\1/p' |
	    sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')
	want="decisions=$(grep -c ': tlspolicy: ' "$log") unparseable=0 $want"
	got=$(printf '%s' "$json" | python3 -c '
import json, sys
r = json.load(sys.stdin)
counts = {}
for p in r["policies"]:
    name = p["policy"]["policy-name"]
    if p["policy"]["policy-type"] == "tlspolicy-non-partner":
        name = "none"
    counts[name] = counts.get(name, 0) + p["summary"]["total-session-count"]
print("decisions=%d unparseable=%d " % (r["input"]["decisions"], r["input"]["unparseable-lines"])
      + "".join("%s=%d " % (k, counts[k]) for k in sorted(counts)))' 2>&1)
	t_is "${got% }" "${want% }" "report: counts every decision line of this run, per partner"
}

# ---------------------------------------------------------------- main
preflight
START=$(date +%s)
# The whole file stays well under three minutes even when things hang.
E2E_DEADLINE=$((START + 150))
trap 'e2e_cleanup' EXIT
trap 'exit 130' HUP INT PIPE TERM

e2e_init || setup_failed "cannot make the temporary tree"
e2e_postfix_receiver || setup_failed "cannot configure the receiving Postfix"
e2e_postfix_sender || setup_failed "cannot configure the sending Postfix"
e2e_milter_start "$here/policy.yaml" || setup_failed "milter did not start"
e2e_postfix_start "$E2E_DIR/rx" "$E2E_RX_PORT" || setup_failed "receiving Postfix did not start"
e2e_postfix_start "$E2E_DIR/tx" "$E2E_TX_PORT" || setup_failed "sending Postfix did not start"
e2e_note "milter $MILTER_BIN on 127.0.0.1:$E2E_MILTER_PORT, receiver :$E2E_RX_PORT, sender :$E2E_TX_PORT"

# Send everything first, a few sessions at a time: deliveries run while
# the rest is sent.
for s in $SENDERS; do
	for p in $PROFILES; do
		e2e_spawn e2e_send_direct "$s-$p" "$s" "$p"
	done
done
for c in $CERT_CASES; do
	e2e_spawn e2e_send_direct "${c%%:*}" certifier "${c#*:}"
done
e2e_spawn send_forged
for c in $MTA_CASES; do
	IFS=: read -r name sender profile <<<"$c"
	e2e_spawn send_mta "$name" "$sender" "$profile"
done
e2e_join
SENT=$(date +%s)
e2e_note "sent $(ls "$E2E_DIR/out" | wc -l) sessions in $((SENT - START))s (setup included)"

for s in $SENDERS; do
	for p in $PROFILES; do
		check_direct "$s-$p" "$s" "$p"
	done
done
for c in $CERT_CASES; do
	check_direct "${c%%:*}" certifier "${c#*:}"
done

expect tagger plain
RX_QID=
check_reply forged-tag
e2e_note "forged-tag carried 4 forged pass tags (3 spellings, 1 folded); only the milter's may remain"
check_fate forged-tag
record forged-tag

check_exempt

for c in $MTA_CASES; do
	IFS=: read -r name sender profile <<<"$c"
	check_mta "$name" "$sender" "$profile"
done

check_no_stall
check_reload

# The verdicts against tests/e2e/verdicts.txt, which sendmail.sh checks
# too; saved in the build tree for sendmail.sh to compare with.
for s in $SENDERS; do
	for p in $PROFILES; do
		e2e_verdict_line "$s-$p" "$s-$p@$s.test"
	done
done >"$E2E_DIR/verdicts"
for c in $CERT_CASES; do
	e2e_verdict_line "${c%%:*}" "${c%%:*}@certifier.test"
done >>"$E2E_DIR/verdicts"
e2e_verdict_line forged-tag forged-tag@tagger.test >>"$E2E_DIR/verdicts"
e2e_verdict_line exempt-reject exempt-reject@rejecter.test >>"$E2E_DIR/verdicts"
vdiff=$(e2e_verdicts_diff "$E2E_DIR/verdicts" "$here/verdicts.txt" postfix)
[ -z "$vdiff" ]
t_ok $? "verdicts: all $(wc -l <"$E2E_DIR/verdicts") direct cases as in tests/e2e/verdicts.txt" "$vdiff"
saved=$(e2e_verdicts_save postfix "$E2E_DIR/verdicts")
sf=$(dirname "$saved")/sendmail.verdicts
if [ -f "$sf" ] && [ "$sf" -nt "$here/verdicts.txt" ]; then
	vdiff=$(e2e_verdicts_cross "$E2E_DIR/verdicts" postfix "$sf" sendmail "$here/verdicts.txt")
	[ -z "$vdiff" ]
	t_ok $? "verdicts: the same as the last Sendmail run's ($sf), but for the table's postfix:/sendmail: lines" "$vdiff"
fi

! grep -E 'warning: .*[Mm]ilter' "$E2E_DIR/rx/maillog" >"$E2E_DIR/milter-warnings"
t_ok $? "receiver logged no milter warnings" "$(head -n 5 "$E2E_DIR/milter-warnings")"

pid=$E2E_MILTER_PID
E2E_MILTER_PID=
kill -TERM "$pid"
e2e_wait_pid_gone "$pid" 10
wait "$pid"
t_is "$?" 0 "milter exits 0 on SIGTERM"
t_no_sanitizer_reports "milter log has no sanitizer reports" "$E2E_DIR/milter.log"

check_report_roundtrip

e2e_note ""
e2e_note "decision matrix (client from $E2E_CLIENT_IP, MTA from $E2E_RELAY_IP)"
e2e_note "$(printf '%-24s %-40s %-38s %s' case "client TLS" expected got)"
for row in "${MATRIX[@]}"; do
	e2e_note "$row"
done
e2e_note "$T_RUN checks, $T_FAILED failed, $(($(date +%s) - START))s ($(($(date +%s) - SENT))s after sending)"
echo "1..$T_RUN"
[ "$T_FAILED" = 0 ]
