# load.sh - load for the fault tests (kill.sh, reload.sh): many SMTP
# transactions from parallel clients, each message with its own
# Message-ID, and the count of what reached the receiver's maildir.
#
# Sourced by bash after tests/e2e/lib.sh.  Three steps, each a python3
# program fed from a heredoc so the test needs nothing but python3:
#   fault_send   the clients: one line per transaction into a file
#                ("MSGID T_MAIL T_MAILREPLY MAILCODE RCPTCODE DATACODE",
#                times in epoch seconds, "-" for a command never sent,
#                "exc" when the connection broke), written when they stop
#   fault_scan   one line per delivered file: "MSGID<TAB>N<TAB>TAGS",
#                N copies of the tag header, their values joined by " | "
#   fault_tally  compares the two by Message-ID
# Message-IDs look like PREFIX-000123-DOMAIN-PROFILE.PID@e2e.test, so a
# check can tell from the ID alone what the milter should have said.

# fault_send - parallel SMTP clients; see the program for the arguments
#
#   fault_send OUT PORT SRC THREADS COUNT TLS PREFIX DOMAINS RCPTS PER STOPFILE DEADLINE
# COUNT messages in all (0: until STOPFILE exists), PER messages per
# session at most, TLS "tls12" (STARTTLS, TLSv1.2 ECDHE) or "none",
# DOMAINS and RCPTS comma lists used in turn (RCPTS local parts in
# $E2E_DOMAIN, each the name of a sending transport: tls13, ecdhe, rsa).
# No session starts after DEADLINE (epoch seconds).
fault_send()
{
	E2E_DOMAIN=$E2E_DOMAIN python3 - "$E2E_HOST" "$@" <<'PY'
import smtplib, ssl, sys, threading, time, os

(host, out, port, src, threads, count, tls, prefix, domains, rcpts, per,
 stopfile, deadline) = sys.argv[1:14]
port, threads, count, per = int(port), int(threads), int(count), int(per)
deadline = float(deadline)
domains, rcpts = domains.split(","), rcpts.split(",")
lock = threading.Lock()
state = {"next": 0}
lines = []

def take():
    with lock:
        i = state["next"]
        if count > 0 and i >= count:
            return None
        if count == 0 and os.path.exists(stopfile):
            return None
        if time.time() > deadline:
            return None
        state["next"] = i + 1
        return i

def context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE-RSA-AES256-GCM-SHA384")
    return ctx

def session():
    s = smtplib.SMTP(host, port, local_hostname="load.e2e.test",
                     source_address=(src, 0), timeout=60)
    s.ehlo()
    if tls == "tls12":
        code, _ = s.starttls(context=context())
        if code != 220:
            raise smtplib.SMTPException("STARTTLS %d" % code)
        s.ehlo()
    return s

def one(s, i):
    dom = domains[i % len(domains)]
    prof = rcpts[i % len(rcpts)]
    msgid = "%s-%06d-%s-%s.%d@e2e.test" % (prefix, i, dom.split(".")[0], prof, os.getpid())
    sender = "%s%d@%s" % (prefix, i, dom)
    rcpt = "%s@%s" % (prof, os.environ.get("E2E_DOMAIN", "e2e.test"))
    rec = [msgid, "%.6f" % time.time(), "-", "-", "-", "-"]
    try:
        code, _ = s.mail(sender)
        rec[2], rec[3] = "%.6f" % time.time(), str(code)
        if code == 250:
            code, _ = s.rcpt(rcpt)
            rec[4] = str(code)
            if code in (250, 251):
                body = ("From: <%s>\r\nTo: <%s>\r\nSubject: fault load %d\r\n"
                        "Message-Id: <%s>\r\n\r\nmessage %d\r\n"
                        % (sender, rcpt, i, msgid, i))
                code, _ = s.data(body.encode())
                rec[5] = str(code)
        if rec[5] != "250":
            s.rset()
        return rec, True
    except (smtplib.SMTPException, OSError):
        for k in range(3, 6):
            if rec[k] == "-":
                rec[k] = "exc"
                break
        return rec, False

def worker():
    i = take()
    while i is not None:
        try:
            s = session()
        except (smtplib.SMTPException, OSError):
            # Message i was never offered: try it again on a new session.
            if time.time() > deadline:
                return
            time.sleep(0.5)
            continue
        n = 0
        while i is not None:
            rec, alive = one(s, i)
            with lock:
                lines.append(" ".join(rec))
            n += 1
            i = take()
            if not alive or n >= per:
                break
        try:
            s.quit()
        except (smtplib.SMTPException, OSError):
            pass

ts = [threading.Thread(target=worker) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
with open(out, "w") as f:
    for line in lines:
        f.write(line + "\n")
PY
}

# fault_scan MAILDIR HEADER - one line per delivered message (see above)
fault_scan()
{
	python3 - "$1" "$2" <<'PY'
import os, re, sys
from email.parser import BytesHeaderParser

base, header = sys.argv[1], sys.argv[2]
parser = BytesHeaderParser()
for sub in ("new", "cur"):
    d = os.path.join(base, sub)
    if not os.path.isdir(d):
        continue
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            msg = parser.parse(f)
        ids = msg.get_all("Message-Id") or ["-"]
        msgid = ids[0].strip().strip("<>")
        tags = [re.sub(r"\s*\r?\n[ \t]+", " ", str(v)).strip()
                for v in (msg.get_all(header) or [])]
        print("%s\t%d\t%s" % (msgid, len(tags), " | ".join(tags)))
PY
}

# fault_tally SENT SCAN LOST DUPS - "sent=N delivered=D lost=L duplicated=K"
#
# sent: transactions that got 250 after DATA; delivered: distinct
# Message-IDs of those in the maildir; lost (IDs into LOST): sent but
# never delivered; duplicated (IDs into DUPS): extra copies.  Files in
# the maildir that nobody sent count as "stray".
fault_tally()
{
	python3 - "$@" <<'PY'
import collections, sys

sent_f, scan_f, lost_f, dups_f = sys.argv[1:5]
sent = set()
for line in open(sent_f):
    f = line.split()
    if len(f) >= 6 and f[5] == "250":
        sent.add(f[0])
seen = collections.Counter()
for line in open(scan_f):
    seen[line.split("\t")[0]] += 1
lost = sorted(m for m in sent if seen[m] == 0)
dups = sorted(m for m in sent if seen[m] > 1)
stray = sum(c for m, c in seen.items() if m not in sent)
with open(lost_f, "w") as f:
    f.write("".join(m + "\n" for m in lost))
with open(dups_f, "w") as f:
    f.write("".join("%s %d\n" % (m, seen[m]) for m in dups))
print("sent=%d delivered=%d lost=%d duplicated=%d stray=%d" % (
    len(sent), len(sent) - len(lost), len(lost),
    sum(seen[m] - 1 for m in dups), stray))
PY
}

# fault_field LINE KEY - the value of KEY=VALUE in a tally line
fault_field()
{
	[[ " $1 " =~ \ $2=([^ ]*)\  ]] && echo "${BASH_REMATCH[1]}"
}

# fault_queue_size DIR - messages in the queues of the instance in DIR
fault_queue_size()
{
	postqueue -c "$1/etc" -j 2>/dev/null | grep -c .
}

# fault_maildir_count - files delivered into the receiver's maildir
fault_maildir_count()
{
	find "$E2E_DIR/rx/mail/box/new" "$E2E_DIR/rx/mail/box/cur" \
	    -type f 2>/dev/null | wc -l
}
