#!/bin/bash
# reload.sh - fault test: policy reloads racing with live traffic.
#
# RELOAD_CLIENTS parallel clients send mail over STARTTLS (TLSv1.2 ECDHE)
# straight to the receiving Postfix, a few messages per session, without
# pause, while the test reloads the milter's policy RELOAD_COUNT times
# by SIGUSR1.  The reloads alternate:
#   odd    valid: policy B, then A, then B...  (the milter starts with A)
#   2 mod 4   invalid YAML ("action: tag: reject") at a line that moves
#   0 mod 4   unknown key ("acton:") at a line that moves
# A and B judge the same sender differently in every field the tag shows:
#   A  authserv-id policy-a.e2e.test, enforce, partner alpha (TLSv1.2+
#      with PFS): verdict=pass ... action=accept
#   B  authserv-id policy-b.e2e.test, testing, partner beta (TLSv1.3):
#      verdict=fail ... reasons=version-too-old; action=would-reject
# so a message judged by a mix of the two shows a tag that is neither
# (and beta judged in A's enforce mode would even be refused).  The
# invalid files name partners and authserv-ids of their own, so a policy
# the milter half-loaded would show too.
#
# Asserts: every transaction got 250 at MAIL, RCPT and DATA; the
# receiver logged no milter 4xx/5xx or warning; every message was
# delivered with exactly one tag, A's or B's, and both were seen; the
# milter's decision line names the same partner as the tag; each reload
# was logged, each invalid one with its FILE:LINE:COL and "the previous
# policy stays in force"; and messages whose MAIL was answered after an
# invalid reload had finished and before the next reload was signalled
# were all judged by the policy of the valid reload before it.
#
# The reloads do not wait for messages: the only wait is for the
# milter's own log line saying a reload finished, so that signals do not
# merge.  TAP.  Needs root, Postfix, python3, openssl and the built
# milter; skips without them unless E2E_REQUIRED=1.  Knobs: RELOAD_COUNT
# (100), RELOAD_CLIENTS (8), RELOAD_PAUSE (0.3 s between reloads),
# FAULT_BUDGET (300 s for the whole run), E2E_KEEP=1.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
PATH=$PATH:/usr/sbin:/sbin
here=$(cd "$(dirname "$0")" && pwd)
MILTER_BIN=${MILTER_BIN:-${top_builddir:-.}/tlspolicy-milter}
. "$here/../e2e/lib.sh"
. "$here/../e2e/tap.sh"
. "$here/load.sh"

RELOAD_COUNT=${RELOAD_COUNT:-100}
RELOAD_CLIENTS=${RELOAD_CLIENTS:-8}
RELOAD_PAUSE=${RELOAD_PAUSE:-0.3}
FAULT_BUDGET=${FAULT_BUDGET:-300}

SESSION="tls=TLSv1.2; cipher=ECDHE-RSA-AES256-GCM-SHA384; bits=256; pfs=yes"
TAG_A="policy-a.e2e.test; verdict=pass; partner=alpha; $SESSION; reasons=-; action=accept"
TAG_B="policy-b.e2e.test; verdict=fail; partner=beta; $SESSION; reasons=version-too-old; action=would-reject"

T_RUN=0
T_FAILED=0

# preflight - what this test needs before it touches anything
preflight()
{
	t_preflight "a private Postfix instance" "postfix python3 openssl" \
	    postfix postqueue python3 openssl timeout
}

# setup_failed - the instances did not come up: say why and stop
setup_failed()
{
	t_setup_failed "$1" "$E2E_DIR/milter.log" "$E2E_DIR/rx/maillog"
}

# elapsed T0 [T1] - seconds from T0 to T1 (default now), one decimal
elapsed()
{
	awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.1f", b - a }'
}

# ---------------------------------------------------------------- policies
# write_policies - A and B into the tree; alpha and beta must stay the
# first partners that match load.test in their files.
write_policies()
{
	cat >"$E2E_DIR/policy-a.yaml" <<EOF
# reload.sh policy A: 2 partners
version: 1
settings:
  mode: enforce
  authserv_id: policy-a.e2e.test
partners:
  - name: alpha
    match:
      sender_domains: [load.test]
    require:
      min_version: TLSv1.2
      pfs: true
    action: reject
  - name: alpha-only
    match:
      sender_domains: [a-only.test]
EOF
	cat >"$E2E_DIR/policy-b.yaml" <<EOF
# reload.sh policy B: 3 partners
version: 1
settings:
  mode: testing
  authserv_id: policy-b.e2e.test
partners:
  - name: gamma
    match:
      sender_domains: [b-only.test]
  - name: beta
    match:
      sender_domains: [load.test]
      client_ips: [192.0.2.0/24]
    require:
      min_version: TLSv1.3
    action: reject
  - name: delta
    match:
      client_ips: [198.51.100.0/24]
EOF
}

# write_invalid KIND PAD FILE - an invalid policy whose error is at line
# PAD+8: KIND syntax (column 16) or key (column 5)
write_invalid()
{
	local kind=$1 pad=$2 i
	{
		for ((i = 0; i < pad; i++)); do
			echo "# padding $i: moves the error down"
		done
		echo "version: 1"
		echo "settings:"
		echo "  authserv_id: $kind.e2e.test"
		echo "partners:"
		echo "  - name: $kind"
		echo "    match:"
		echo "      sender_domains: [load.test]"
		if [ "$kind" = syntax ]; then
			echo "    action: tag: reject"
		else
			echo "    acton: reject"
		fi
	} >"$3"
}

# reload_file R - which file reload R installs: sets R_FILE, R_KIND and
# R_WANT (the policy in force after it, or where its error is)
reload_file()
{
	local r=$1 pad
	pad=$(((r / 2) % 9))
	case $((r % 4)) in
	1)	R_KIND=B R_WANT=B R_FILE=$E2E_DIR/policy-b.yaml;;
	3)	R_KIND=A R_WANT=A R_FILE=$E2E_DIR/policy-a.yaml;;
	2)	R_KIND=syntax R_WANT="$((pad + 8)):16" R_FILE=$E2E_DIR/invalid-$r.yaml
		write_invalid syntax "$pad" "$R_FILE";;
	0)	R_KIND=key R_WANT="$((pad + 8)):5" R_FILE=$E2E_DIR/invalid-$r.yaml
		write_invalid key "$pad" "$R_FILE";;
	esac
}

# ---------------------------------------------------------------- reloading
# reload_once R - install reload R's file, SIGUSR1, wait for the
# milter's line saying it finished; one line into $E2E_DIR/reloads:
#   R KIND WANT T_SIGNAL T_DONE
# The log grows by thousands of decision lines: read only what is new.
reload_once()
{
	local r=$1 before sig i=0
	reload_file "$r"
	cp "$R_FILE" "$E2E_DIR/milter.yaml.new" &&
	    mv "$E2E_DIR/milter.yaml.new" "$E2E_DIR/milter.yaml" || return 1
	before=$(stat -c %s "$E2E_DIR/milter.log")
	sig=$EPOCHREALTIME
	kill -USR1 "$E2E_MILTER_PID" || return 1
	while ! tail -c +"$((before + 1))" "$E2E_DIR/milter.log" |
	    grep -Eq 'reloaded |stays in force'; do
		[ "$i" -lt 400 ] || return 1
		sleep 0.025
		i=$((i + 1))
	done
	echo "$r $R_KIND $R_WANT $sig $EPOCHREALTIME" >>"$E2E_DIR/reloads"
}

# drive_reloads - RELOAD_COUNT reloads, RELOAD_PAUSE apart
drive_reloads()
{
	local r
	: >"$E2E_DIR/reloads"
	for ((r = 1; r <= RELOAD_COUNT; r++)); do
		if ! reload_once "$r"; then
			e2e_note "reload $r: no end-of-reload line from the milter within 10s"
			return 1
		fi
		[ "$(date +%s)" -lt "$DEADLINE" ] || return 1
		sleep "$RELOAD_PAUSE"
	done
}

# ---------------------------------------------------------------- checking
# check_reload_log - each reload in the milter's log, in order: valid
# ones "reloaded" with their partner count and no error, invalid ones
# with their FILE:LINE:COL and "stays in force"
check_reload_log()
{
	local out
	out=$(python3 - "$E2E_DIR/milter.log" "$E2E_DIR/reloads" "$E2E_DIR/milter.yaml" <<'PY'
import re, sys
log, reloads, path = sys.argv[1:4]
lines = open(log, errors="replace").read().split("\n")
blocks = []
cur = None
for line in lines:
    if "SIGUSR1: reloading" in line:
        cur = []
        blocks.append(cur)
    elif cur is not None and (path + ":") in line:
        cur.append(line)
    elif cur is not None and ("reloaded " in line or "stays in force" in line):
        cur.append(line)
        cur = None
want = [l.split() for l in open(reloads)]
bad = []
if len(blocks) != len(want):
    bad.append("%d reloads logged, %d signalled" % (len(blocks), len(want)))
for w, b in zip(want, blocks):
    r, kind, where = w[0], w[1], w[2]
    text = " / ".join(b)
    done = b[-1] if b else ""
    if kind in ("A", "B"):
        n = {"A": 2, "B": 3}[kind]
        ok = (len(b) == 1 and ("reloaded %s: %d partners" % (path, n)) in done)
    else:
        pat = re.escape(path) + ":" + where + ": "
        if kind == "syntax":
            pat += "invalid YAML"
        else:
            pat += r'unknown key "acton"'
        ok = (len(b) == 2 and re.search(pat, b[0]) is not None
              and "stays in force" in done)
    if not ok:
        bad.append("reload %s (%s, want %s): %s" % (r, kind, where, text or "nothing logged"))
for x in bad[:6]:
    print(x)
print("bad=%d" % len(bad))
PY
)
	[ "${out##*bad=}" = 0 ]
	t_ok $? "log: each reload logged; invalid ones with FILE:LINE:COL and 'the previous policy stays in force'" \
	    "$out"
}

# check_messages - transactions, tags, log agreement, kept policies
#
# Prints "key=value" figures for the notes; one TAP line per property.
check_messages()
{
	python3 - "$E2E_DIR/sent" "$E2E_DIR/scan" "$E2E_DIR/reloads" \
	    "$E2E_DIR/milter.log" "$TAG_A" "$TAG_B" "$E2E_DIR/stop-time" <<'PY'
import collections, re, sys
sent_f, scan_f, reloads_f, log_f, tag_a, tag_b, stop_f = sys.argv[1:8]
sent = [l.split() for l in open(sent_f)]
failed = [" ".join(s) for s in sent if s[3:6] != ["250", "250", "250"]]
ok = {s[0]: (float(s[1]), float(s[2])) for s in sent if s[3:6] == ["250", "250", "250"]}

judged = {}
cls = {}
copies = collections.Counter()
third = []
for line in open(scan_f):
    msgid, n, tags = line.rstrip("\n").split("\t")
    copies[msgid] += 1
    which = {tag_a: "A", tag_b: "B"}.get(tags) if n == "1" else None
    if which is None:
        third.append("%s: %s tag(s): %s" % (msgid, n, tags))
        cls[msgid] = "neither"
    else:
        judged[msgid] = which
        cls[msgid] = which
lost = [m for m in ok if copies[m] == 0]
dups = sum(c - 1 for m, c in copies.items() if c > 1)

# The decision line names the partner; its sender is PREFIXN@load.test.
logged = {}
for line in open(log_f, errors="replace"):
    m = re.search(r" sender=<reload(\d+)@load\.test>.*? partner=(\S+) ", line)
    if m:
        logged[int(m.group(1))] = m.group(2)
disagree = []
for msgid, which in judged.items():
    i = int(msgid.split("-")[1])
    want = {"A": "alpha", "B": "beta"}[which]
    if logged.get(i) != want:
        disagree.append("%s: tag says %s, log says %s" % (msgid, want, logged.get(i)))

# Windows where the policy in force is certain: from the end of an
# invalid reload to the signal of the next one, the valid reload
# before it rules (the milter starts with A).
rel = [l.split() for l in open(reloads_f)]
stop = float(open(stop_f).read())
windows = []
last_valid = "A"
for k, r in enumerate(rel):
    kind = r[1]
    if kind in ("A", "B"):
        last_valid = kind
        continue
    end = float(rel[k + 1][3]) if k + 1 < len(rel) else stop
    windows.append((float(r[4]), end, last_valid))
inside = 0
wrong = []
for msgid, which in cls.items():
    if msgid not in ok:
        continue
    t0, t1 = ok[msgid]
    for start, end, want in windows:
        if t0 >= start and t1 < end:
            inside += 1
            if which != want:
                wrong.append("%s: judged by %s, %s was in force" % (msgid, which, want))
            break
count = collections.Counter(judged.values())
took = sorted(float(r[4]) - float(r[3]) for r in rel)
if took:
    print("reload_ms_median=%d reload_ms_max=%d" % (
        1000 * took[len(took) // 2], 1000 * took[-1]))
print("transactions=%d failed=%d" % (len(sent), len(failed)))
for x in failed[:5]:
    print("  failed: " + x)
print("delivered=%d lost=%d duplicated=%d" % (len(ok) - len(lost), len(lost), dups))
for x in lost[:5]:
    print("  lost: " + x)
print("judged_a=%d judged_b=%d third=%d" % (count["A"], count["B"], len(third)))
for x in third[:5]:
    print("  third: " + x)
print("disagree=%d" % len(disagree))
for x in disagree[:5]:
    print("  disagree: " + x)
print("windows=%d inside=%d wrong=%d" % (len(windows), inside, len(wrong)))
for x in wrong[:5]:
    print("  wrong: " + x)
PY
}

# fig NAME - a figure from the check_messages output
fig()
{
	fault_field "$(grep -E "(^| )$1=" "$E2E_DIR/figures" | head -n 1)" "$1"
}

# detail PREFIX - the sample lines under a figure
detail()
{
	grep "^  $1: " "$E2E_DIR/figures"
}

# ---------------------------------------------------------------- main
preflight
START=$EPOCHREALTIME
DEADLINE=$(($(date +%s) + FAULT_BUDGET - 60))
trap 'e2e_cleanup' EXIT
trap 'exit 130' HUP INT PIPE TERM

e2e_init || setup_failed "cannot make the temporary tree"
e2e_postfix_receiver || setup_failed "cannot configure the receiving Postfix"
write_policies
for f in policy-a policy-b; do
	"$MILTER_BIN" -n -c "$E2E_DIR/$f.yaml" >/dev/null 2>"$E2E_DIR/$f.err" ||
	    setup_failed "$f.yaml is invalid: $(cat "$E2E_DIR/$f.err")"
done
e2e_milter_start "$E2E_DIR/policy-a.yaml" || setup_failed "milter did not start"
e2e_postfix_start "$E2E_DIR/rx" "$E2E_RX_PORT" || setup_failed "receiving Postfix did not start"
e2e_note "milter $MILTER_BIN on 127.0.0.1:$E2E_MILTER_PORT, receiver :$E2E_RX_PORT"
e2e_note "$RELOAD_COUNT reloads ${RELOAD_PAUSE}s apart, $RELOAD_CLIENTS clients over TLSv1.2"

LOAD=$EPOCHREALTIME
fault_send "$E2E_DIR/sent" "$E2E_RX_PORT" "$E2E_CLIENT_IP" "$RELOAD_CLIENTS" 0 tls12 \
    reload load.test ecdhe 4 "$E2E_DIR/stop" "$DEADLINE" &
SENDER_PID=$!
sleep 1	# traffic first: the first reload must already race with it
drive_reloads
t_ok $? "reload: $RELOAD_COUNT SIGUSR1s, each finished by the milter, while the clients kept sending" \
    "reloads done: $(wc -l <"$E2E_DIR/reloads")"
sleep 1
echo "$EPOCHREALTIME" >"$E2E_DIR/stop-time"
touch "$E2E_DIR/stop"
wait "$SENDER_PID"
secs=$(elapsed "$LOAD")
valid=$(awk '$2 == "A" || $2 == "B"' "$E2E_DIR/reloads" | wc -l)
invalid=$(awk '$2 == "syntax" || $2 == "key"' "$E2E_DIR/reloads" | wc -l)
e2e_note "load ran ${secs}s: $(wc -l <"$E2E_DIR/sent") transactions, $valid valid and $invalid invalid reloads"
kill -0 "$E2E_MILTER_PID" 2>/dev/null
t_ok $? "milter: still running after the reloads"

# Wait (bounded) until the receiver has delivered what it accepted.
i=0
while [ "$(fault_queue_size "$E2E_DIR/rx")" != 0 ] && [ "$i" -lt 600 ]; do
	sleep 0.2
	i=$((i + 1))
done
fault_scan "$E2E_DIR/rx/mail/box" X-TLS-Policy >"$E2E_DIR/scan"
check_messages >"$E2E_DIR/figures"
sed 's/^/# /' "$E2E_DIR/figures" | grep -v '^#   '

[ "$(fig failed)" = 0 ] && [ "$(fig transactions)" -gt 0 ]
t_ok $? "clients: every transaction got 250 at MAIL, RCPT and DATA ($(fig transactions) transactions)" \
    "$(detail failed)"
! grep -E 'milter-reject|warning: .*[Mm]ilter' "$E2E_DIR/rx/maillog" >"$E2E_DIR/rx-milter"
t_ok $? "receiver: no milter 4xx/5xx and no milter warning in its log" \
    "$(head -n 5 "$E2E_DIR/rx-milter")"
[ "$(fig lost)" = 0 ]
t_ok $? "count: every accepted message delivered (lost=$(fig lost), duplicated=$(fig duplicated))" \
    "$(detail lost)"
[ "$(fig third)" = 0 ]
t_ok $? "tags: every message has exactly one tag, policy A's or policy B's whole" \
    "$(detail third)"
[ "$(fig judged_a)" -gt 0 ] && [ "$(fig judged_b)" -gt 0 ]
t_ok $? "tags: both policies judged messages (A $(fig judged_a), B $(fig judged_b))"
[ "$(fig disagree)" = 0 ]
t_ok $? "log: the decision line names the partner the tag names, for every message" \
    "$(detail disagree)"
[ "$(fig wrong)" = 0 ] && [ "$(fig inside)" -gt 0 ]
t_ok $? "kept: after each invalid reload the previous valid policy judged ($(fig inside) messages in $(fig windows) windows)" \
    "$(detail wrong)"
check_reload_log
! grep -E 'without a policy|without connection state|without message state' "$E2E_DIR/milter.log" >"$E2E_DIR/internal"
t_ok $? "milter: no internal-error deferral logged" "$(head -n 5 "$E2E_DIR/internal")"

pid=$E2E_MILTER_PID
E2E_MILTER_PID=
kill -TERM "$pid"
e2e_wait_pid_gone "$pid" 20
wait "$pid"
t_ok $? "milter: exits 0 on SIGTERM"
t_no_sanitizer_reports "milter: no sanitizer reports" "$E2E_DIR/milter.log"

e2e_note "$T_RUN checks, $T_FAILED failed, $(elapsed "$START")s in all"
echo "1..$T_RUN"
[ "$T_FAILED" = 0 ]
