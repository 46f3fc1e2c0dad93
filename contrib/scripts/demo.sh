#!/bin/bash
# demo.sh - README's quick start: install, build, and watch the milter
# judge sample SMTP sessions in front of a throwaway Postfix.
#
# Run as root on Debian 12.  It installs the packages (setup-debian.sh;
# SKIP_SETUP=1 skips that), builds into build/demo, starts a private
# Postfix on 127.0.0.1 with the milter and contrib/policy.example.yaml,
# sends each sample session from 127.0.0.2 (127.0.0.1 is exempt in the
# example), prints what the client was told and the tag header of what was
# delivered, then stops everything it started and removes its files.
# Nothing listens beyond loopback; no DNS is used.
set -u
PATH=$PATH:/usr/sbin:/sbin

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${BUILDDIR:-$srcdir/build/demo}
policy=${POLICY:-$srcdir/contrib/policy.example.yaml}

if [ "$(id -u)" != 0 ]; then
	echo "demo.sh: run as root: it installs packages and starts a private Postfix" >&2
	exit 1
fi
if [ "${SKIP_SETUP:-0}" != 1 ]; then
	sh "$srcdir/contrib/scripts/setup-debian.sh" || exit 1
fi
sh "$srcdir/contrib/scripts/build.sh" "$builddir" || exit 1

MILTER_BIN=$builddir/tlspolicy-milter
. "$srcdir/tests/e2e/lib.sh"

"$MILTER_BIN" -n -c "$policy" || exit 1

trap 'e2e_cleanup' EXIT
trap 'exit 130' HUP INT PIPE TERM

e2e_init || exit 1
e2e_postfix_receiver || exit 1
e2e_milter_start "$policy" || exit 1
e2e_postfix_start "$E2E_DIR/rx" "$E2E_RX_PORT" || exit 1

# The sample sessions: each sender domain of the example over each profile.
DOMAINS="yandex.ru gmail.com mail.ru outlook.com example.net"
PROFILES="plain rsa ecdhe tls13"

# profile_label PROFILE - what the session is, for people
profile_label()
{
	case $1 in
	plain)	echo "plaintext (no STARTTLS)";;
	rsa)	echo "TLSv1.2 AES256-GCM-SHA384 (RSA key exchange, no PFS)";;
	ecdhe)	echo "TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384";;
	tls13)	echo "TLSv1.3";;
	esac
}

# send_case CASE DOMAIN PROFILE - one sample session to the receiver
send_case()
{
	e2e_send_profile "$1" "demo@$2" "postmaster@$E2E_DOMAIN" "$3"
}

# outcome CASE - "delivered", "held (quarantine)" or "refused", and the tag
outcome()
{
	local name=$1 reply file qid i
	reply=$(e2e_final_reply "$name")
	TAG="-"
	case $reply in
	250*)	;;
	*)	OUTCOME="refused"; TAG="(none: refused at MAIL FROM, nothing queued)"; return;;
	esac
	qid=$(e2e_queue_id "$name")
	# Delivered to the maildir, or held: look for both, a bounded while.
	for i in $(seq 50); do
		if file=$(e2e_find_delivered "$name"); then
			OUTCOME="delivered"
			TAG=$(e2e_tag_headers "$file" | head -n 1)
			return
		fi
		if [ "$(e2e_queue_name "$E2E_DIR/rx" "$qid")" = hold ] &&
		    file=$(e2e_held_file "$qid"); then
			OUTCOME="held in quarantine (postqueue: hold)"
			TAG=$(e2e_tag_headers "$file" | head -n 1)
			return
		fi
		sleep 0.2
	done
	OUTCOME="accepted, not found"
}

for d in $DOMAINS; do
	for p in $PROFILES; do
		send_case "$d-$p" "$d" "$p"
	done
done

echo
echo "tlspolicy-milter demo: Postfix $(postconf -h mail_version) on 127.0.0.1:$E2E_RX_PORT," \
    "policy $policy"
echo "Each session comes from 127.0.0.2 with MAIL FROM:<demo@DOMAIN>."
for d in $DOMAINS; do
	echo
	echo "== $d"
	for p in $PROFILES; do
		outcome "$d-$p"
		printf '  %-55s %s\n' "$(profile_label "$p")" "$OUTCOME"
		printf '      reply: %s\n' "$(e2e_final_reply "$d-$p")"
		printf '      tag:   %s\n' "$TAG"
	done
done

echo
echo "== the milter's decision lines"
grep 'tlspolicy:' "$E2E_DIR/milter.log" | sed 's/^/  /'
echo
echo "Stopping the demo Postfix and milter."
