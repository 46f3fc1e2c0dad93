#!/bin/bash
# sendmail.sh - end-to-end test: the built milter behind a real Sendmail
# 8.17 on loopback, fed by swaks and by a python client that skips the
# second EHLO, with the partners of tests/e2e/policy.yaml.
#
# TAP.  Needs root, swaks, python3, openssl, m4, unshare and Debian's
# sendmail-bin, sendmail-base and sendmail-cf packages, which conflict
# with Postfix: they are never installed, only unpacked (dpkg-deb -x)
# into the temporary tree.  The .debs come from E2E_SENDMAIL_DEBS
# (default /var/cache/tlspolicy-milter-tests, where setup-debian.sh puts
# them), else apt-get download fetches them there once.  Without all
# that the test skips, unless E2E_REQUIRED=1 (CI): then a skip fails.
#
# The Sendmail instance (under $E2E_DIR/rx):
#   etc/sendmail.mc  built from the lines below plus the shipped
#                    contrib/sendmail/tlspolicy-milter.mc, so that the
#                    fragment users get is the one tested; m4 and the
#                    unpacked cf/ tree make etc/sendmail.cf
#   queue/ mail/box/new/ (one file per delivered message, written by
#                    the local mailer, a shell script) maillog
# Sendmail runs as a foreground daemon (-bD) in a private mount
# namespace (unshare -m) where /etc/hosts names this machine and the
# client (no 60 s sleep over an unqualified host name, no DNS: hosts
# come from files only), and /dev is a small tmpfs whose /dev/log is a
# datagram socket a python listener copies to maillog (no syslog here).
# Its PID is the one unshare was started with; it gets SIGTERM, never
# SIGHUP (Sendmail re-executes itself on SIGHUP).
#
# Every verdict is compared with tests/e2e/verdicts.txt, the table
# postfix.sh checks too, and with the last Postfix run's verdicts when
# its file is there.  E2E_KEEP=1 keeps the temporary tree.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
PATH=$PATH:/usr/sbin:/sbin
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
MILTER_BIN=${MILTER_BIN:-${top_builddir:-.}/tlspolicy-milter}
SM_DEBS=${E2E_SENDMAIL_DEBS:-/var/cache/tlspolicy-milter-tests}
SM_PACKAGES="sendmail-bin sendmail-base sendmail-cf"
. "$here/lib.sh"
. "$here/tap.sh"

T_RUN=0
T_FAILED=0
MATRIX=()
SM_PID=
SM_LOG_PID=

# preflight - what this test needs before it touches anything
preflight()
{
	t_preflight "a private Sendmail daemon" "swaks python3 openssl m4 util-linux dpkg" \
	    swaks python3 openssl m4 unshare mount dpkg-deb timeout
	unshare -m true 2>/dev/null || cannot_run "unshare -m not permitted here"
}

# setup_failed - Sendmail or the milter did not come up: say why and stop
setup_failed()
{
	t_setup_failed "$1" "$E2E_DIR/milter.log" "$E2E_DIR/rx/maillog" \
	    "$E2E_DIR/rx/sendmail.out" "$E2E_DIR/rx/m4.err"
}

# ---------------------------------------------------------------- Sendmail
# sm_deb PACKAGE - the newest cached .deb of PACKAGE
sm_deb()
{
	ls "$SM_DEBS/$1"_*.deb 2>/dev/null | sort -V | tail -n 1
}

# sm_fetch - make sure the three .debs are cached; download them once
sm_fetch()
{
	local p missing=""
	for p in $SM_PACKAGES; do
		[ -n "$(sm_deb "$p")" ] || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	mkdir -p "$SM_DEBS" || return 1
	# apt-get download writes to the current directory, as _apt if it can.
	chmod 755 "$SM_DEBS"
	# shellcheck disable=SC2086 # the list is meant to split
	(cd "$SM_DEBS" && timeout 120 apt-get download $missing) \
	    >"$E2E_DIR/apt.log" 2>&1 || return 1
	for p in $SM_PACKAGES; do
		[ -n "$(sm_deb "$p")" ] || return 1
	done
}

# sm_unpack - the packages into $E2E_DIR/smroot, and our sendmail binary
#
# The binary is set-gid smmsp: the dynamic loader would ignore the
# environment, and it needs none of it as root.  g-s keeps it plain.
sm_unpack()
{
	local p root=$E2E_DIR/smroot
	mkdir -p "$root" || return 1
	for p in $SM_PACKAGES; do
		dpkg-deb -x "$(sm_deb "$p")" "$root" || return 1
	done
	cp "$root/usr/libexec/sendmail/sendmail" "$E2E_DIR/rx/sendmail" &&
	    chmod 755 "$E2E_DIR/rx/sendmail" || return 1
	SM_CF_DIR=$root/usr/share/sendmail/cf
	[ -f "$SM_CF_DIR/m4/cf.m4" ]
}

# sm_missing_libs - shared libraries the unpacked sendmail cannot find
sm_missing_libs()
{
	ldd "$E2E_DIR/rx/sendmail" 2>/dev/null | awk '/not found/ { print $1 }' | tr '\n' ' '
}

# sm_certs - server certificate, a CA, a client certificate it signed
# and a self-signed one with the same subject
sm_certs()
{
	local t=$E2E_DIR/rx/etc/tls subj="/C=DE/O=Partner Test Org/CN=client.partner.test"
	mkdir -p "$t" && chmod 700 "$t" || return 1
	e2e_make_cert "$t" || return 1
	{
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		    -subj "/C=DE/O=E2E Test CA/CN=ca.e2e.test" \
		    -keyout "$t/ca.key" -out "$t/ca.pem" &&
		openssl req -newkey rsa:2048 -nodes -subj "$subj" \
		    -keyout "$t/client.key" -out "$t/client.csr" &&
		openssl x509 -req -in "$t/client.csr" -CA "$t/ca.pem" \
		    -CAkey "$t/ca.key" -CAcreateserial -days 2 -out "$t/client.pem" &&
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "$subj" \
		    -keyout "$t/self.key" -out "$t/self.pem"
	} >"$E2E_DIR/rx/openssl.log" 2>&1
}

# sm_mc - the test's sendmail.mc (the milter lines come from contrib/)
sm_mc()
{
	local dir=$E2E_DIR/rx
	cat <<EOF
divert(-1)
# Generated by tests/e2e/sendmail.sh: a throwaway instance, not for production.
divert(0)dnl
OSTYPE(\`linux')dnl
dnl Our own name: never the machine's, which may lack a domain.
define(\`confDOMAIN_NAME', \`$E2E_MX')dnl
dnl Everything lives in the temporary tree.
define(\`QUEUE_DIR', \`$dir/queue')dnl
define(\`STATUS_FILE', \`$dir/sendmail.st')dnl
define(\`confPID_FILE', \`$dir/sendmail.pid')dnl
define(\`ALIAS_FILE', \`$dir/etc/aliases')dnl
define(\`confCR_FILE', \`-o $dir/etc/relay-domains')dnl
define(\`confHELP_FILE', \`')dnl
dnl Hosts from the files only: no DNS for client names or sender domains.
define(\`confSERVICE_SWITCH_FILE', \`$dir/etc/service.switch')dnl
define(\`confHOSTS_FILE', \`$dir/etc/hosts')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
dnl A loaded CI machine must not make it queue or refuse mail.
define(\`confQUEUE_LA', \`100')dnl
define(\`confREFUSE_LA', \`200')dnl
define(\`confDELAY_LA', \`0')dnl
define(\`confTO_IDENT', \`0')dnl
dnl Deliver before answering the final dot: the message is there when
dnl swaks returns.
define(\`confDELIVERY_MODE', \`interactive')dnl
define(\`confLOG_LEVEL', \`14')dnl
define(\`confMILTER_LOG_LEVEL', \`14')dnl
dnl TLS: the temporary tree is under a sticky world-writable /tmp.
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
define(\`confSERVER_CERT', \`$dir/etc/tls/cert.pem')dnl
define(\`confSERVER_KEY', \`$dir/etc/tls/key.pem')dnl
define(\`confCACERT_PATH', \`$dir/etc/tls')dnl
define(\`confCACERT', \`$dir/etc/tls/ca.pem')dnl
dnl One listener (no MSA on 587), loopback only.
FEATURE(\`no_default_msa')dnl
DAEMON_OPTIONS(\`Port=$E2E_RX_PORT, Addr=$E2E_HOST, Name=MTA')dnl
dnl Every recipient in $E2E_DOMAIN goes to the local mailer: our script.
LOCAL_DOMAIN(\`$E2E_DOMAIN')dnl
FEATURE(\`local_procmail', \`$dir/deliver', \`deliver \$u', \`SPfhn9')dnl
MODIFY_MAILER_FLAGS(\`LOCAL', \`-w')dnl
dnl The milter, exactly as shipped, on our inet socket.
define(\`TLSPOLICY_MILTER_SOCKET', \`inet:$E2E_MILTER_PORT@127.0.0.1')dnl
include(\`$top_srcdir/contrib/sendmail/tlspolicy-milter.mc')dnl
MAILER(\`local')dnl
MAILER(\`smtp')dnl
EOF
}

# sm_config - the instance's files and its sendmail.cf
sm_config()
{
	local dir=$E2E_DIR/rx
	mkdir -p "$dir/etc" "$dir/queue" "$dir/mail/box/new" || return 1
	chmod 700 "$dir/queue"
	sm_certs || return 1
	# The local mailer: one file per message, renamed into place whole.
	cat >"$dir/deliver" <<EOF
#!/bin/sh
f=$dir/mail/box/new/\$(date +%s%N).\$\$
cat >"\$f.tmp" && mv "\$f.tmp" "\$f"
EOF
	chmod 755 "$dir/deliver"
	printf '127.0.0.1 %s localhost %s\n%s client.e2e.test\n' \
	    "$E2E_MX" "$(hostname)" "$E2E_CLIENT_IP" >"$dir/etc/hosts"
	printf 'hosts: files\n' >"$dir/etc/nsswitch.conf"
	printf 'hosts files\naliases files\n' >"$dir/etc/service.switch"
	printf 'postmaster: root\n' >"$dir/etc/aliases"
	: >"$dir/etc/relay-domains"
	: >"$dir/sendmail.st"
	sm_mc >"$dir/etc/sendmail.mc"
	m4 -D_CF_DIR_="$SM_CF_DIR/" "$SM_CF_DIR/m4/cf.m4" "$dir/etc/sendmail.mc" \
	    >"$dir/etc/sendmail.cf" 2>"$dir/m4.err" && ! [ -s "$dir/m4.err" ]
}

# sm_syslog_start - copy what arrives on rx/log.sock to rx/maillog
sm_syslog_start()
{
	local dir=$E2E_DIR/rx i=0
	python3 -u -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "a") as out:
    while True:
        msg = s.recv(65536).decode("utf-8", "replace").rstrip("\n\0")
        out.write(msg + "\n")
        out.flush()' "$dir/log.sock" "$dir/maillog" </dev/null >/dev/null 2>&1 &
	SM_LOG_PID=$!
	while [ ! -S "$dir/log.sock" ] && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$dir/log.sock" ]
}

# sm_start - build the alias db and run the daemon in its own namespace
sm_start()
{
	local dir=$E2E_DIR/rx
	sm_syslog_start || return 1
	# unshare and sh exec: the PID we get is the daemon's.
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare -m sh -c '
		set -e
		dir=$1
		mount --make-rprivate /
		mount --bind "$dir/etc/hosts" /etc/hosts
		mount --bind "$dir/etc/nsswitch.conf" /etc/nsswitch.conf
		mkdir -p "$dir/hostdev"
		mount --rbind /dev "$dir/hostdev"
		mount -t tmpfs -o mode=755 tmpfs /dev
		for n in null zero full random urandom tty; do
			touch "/dev/$n"
			mount --bind "$dir/hostdev/$n" "/dev/$n"
		done
		ln -s /proc/self/fd /dev/fd
		ln -s "$dir/log.sock" /dev/log
		"$dir/sendmail" -C"$dir/etc/sendmail.cf" -bi
		exec "$dir/sendmail" -C"$dir/etc/sendmail.cf" -bD
	' sh "$dir" </dev/null >"$dir/sendmail.out" 2>&1 &
	SM_PID=$!
	e2e_wait_port "$E2E_RX_PORT" "$SM_PID"
}

# sm_stop - SIGTERM the daemon and the log listener we started
sm_stop()
{
	local pid
	for pid in $SM_PID $SM_LOG_PID; do
		kill -TERM "$pid" 2>/dev/null
		e2e_wait_pid_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	SM_PID=''
	SM_LOG_PID=''
}

cleanup()
{
	sm_stop
	e2e_cleanup
}

# ---------------------------------------------------------------- expectations
# profile_facts PROFILE - the TLS profile as the milter should see it and
# as the client should have negotiated it
profile_facts()
{
	case $1 in
	plain)
		P_TLS=none P_CIPHER=none P_BITS=0 P_PFS=no;;
	rsa|noehlo-rsa)
		P_TLS=TLSv1.2 P_CIPHER=AES256-GCM-SHA384 P_BITS=256 P_PFS=no;;
	ecdhe)
		P_TLS=TLSv1.2 P_CIPHER=ECDHE-RSA-AES256-GCM-SHA384 P_BITS=256 P_PFS=yes;;
	dhe)
		P_TLS=TLSv1.2 P_CIPHER=DHE-RSA-AES256-GCM-SHA384 P_BITS=256 P_PFS=yes;;
	tls13|noehlo-tls13|cert|selfsigned)
		P_TLS=TLSv1.3 P_CIPHER=TLS_AES_256_GCM_SHA384 P_BITS=256 P_PFS=yes;;
	esac
	P_CLIENT=none
	[ "$P_TLS" != none ] && P_CLIENT="$P_TLS:$P_CIPHER:$P_BITS"
	return 0
}

# expect CASE SENDER PROFILE - the table's verdict and what follows
#
# Sets X_VERDICT/X_REASONS/X_ACTION (the table), X_FATE (delivered,
# held, refused), X_CODE (reply code and enhanced code) and X_TAG.
expect()
{
	local partner=$2
	[ "$partner" = stranger ] && partner=none
	profile_facts "$3"
	read -r X_VERDICT X_REASONS X_ACTION <<<"$(awk -v c="$1" \
	    '$1 == c { print $2, $3, $4 }' "$here/verdicts.txt")"
	X_FATE=delivered X_CODE="250 2.0.0" X_PARTNER=$partner
	case $X_VERDICT:$X_ACTION in
	fail:defer) X_FATE=refused X_CODE="451 4.7.0";;
	fail:reject) X_FATE=refused X_CODE="550 5.7.0";;
	fail:quarantine) X_FATE=held;;
	esac
	X_TAG="$E2E_MX; verdict=$X_VERDICT; partner=$partner; tls=$P_TLS; cipher=$P_CIPHER; bits=$P_BITS; pfs=$P_PFS; reasons=$X_REASONS; action=$X_ACTION"
}

# matrix_row - remember one line of the decision matrix
matrix_row()
{
	MATRIX+=("$(printf '%-24s %-40s %-32s %s' "$1" "$2" "$3" "$4")")
}

# ---------------------------------------------------------------- sending
SENDERS="tagger deferrer rejecter quarantiner tester stranger"
PROFILES="plain rsa ecdhe dhe tls13 noehlo-tls13 noehlo-rsa"
# certifier over TLSv1.3: no certificate, the CA's, a self-signed one.
CERT_CASES="certifier-tls13:tls13 certifier-cert:cert certifier-selfsigned:selfsigned"

# send_direct CASE SENDER PROFILE - one session straight to Sendmail
send_direct()
{
	local name=$1 from="$1@$2.test" to="box@$E2E_DOMAIN" tls=$E2E_DIR/rx/etc/tls
	local port=$E2E_RX_PORT src=$E2E_CLIENT_IP
	case $3 in
	plain)	e2e_swaks "$name" "$port" "$src" "$from" "$to";;
	rsa)	e2e_swaks "$name" "$port" "$src" "$from" "$to" \
		    --tls --tls-protocol tlsv1_2 --tls-cipher AES256-GCM-SHA384;;
	ecdhe)	e2e_swaks "$name" "$port" "$src" "$from" "$to" \
		    --tls --tls-protocol tlsv1_2 --tls-cipher ECDHE-RSA-AES256-GCM-SHA384;;
	dhe)	e2e_swaks "$name" "$port" "$src" "$from" "$to" \
		    --tls --tls-protocol tlsv1_2 --tls-cipher DHE-RSA-AES256-GCM-SHA384;;
	tls13)	e2e_swaks "$name" "$port" "$src" "$from" "$to" \
		    --tls --tls-protocol tlsv1_3;;
	cert)	e2e_swaks "$name" "$port" "$src" "$from" "$to" \
		    --tls --tls-protocol tlsv1_3 \
		    --tls-cert "$tls/client.pem" --tls-key "$tls/client.key";;
	selfsigned)
		e2e_swaks "$name" "$port" "$src" "$from" "$to" \
		    --tls --tls-protocol tlsv1_3 \
		    --tls-cert "$tls/self.pem" --tls-key "$tls/self.key";;
	noehlo-tls13)
		e2e_smtp_noehlo "$name" "$port" "$src" "$from" "$to" TLSv1_3;;
	noehlo-rsa)
		e2e_smtp_noehlo "$name" "$port" "$src" "$from" "$to" \
		    TLSv1_2 AES256-GCM-SHA384;;
	esac
}

# send_forged - a partner's plaintext message (a fail) carrying forged
# pass headers in different spellings, one folded, one at the end
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

# ---------------------------------------------------------------- checking
# failed_command CASE - the client command that drew the first error reply
# sm_queue_id CASE - the queue ID from "250 2.0.0 ID Message accepted"
sm_queue_id()
{
	sed -n 's/^<[-~]* *250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted.*/\1/p' \
	    "$E2E_DIR/out/$1" | tail -n 1
}

# check_reply CASE - the client saw the expected codes at the right time
#
# Sendmail puts "<sender>... " before a milter's reply text, so the codes
# and the text's start are compared, not the whole line.
check_reply()
{
	local name=$1 got tls cmd
	tls=$(e2e_client_tls "$name")
	G_TLS=$tls
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
		case $got in
		"$X_CODE "*"Policy for partner $X_PARTNER requires "*) [ "$cmd" = "MAIL FROM" ];;
		*) false;;
		esac
		t_ok $? "$name: client sees '$X_CODE ... Policy for partner $X_PARTNER' at MAIL FROM" \
		    "got:  $got (after $cmd)";;
	*)
		[[ $got =~ ^250\ 2\.0\.0\ [0-9A-Za-z]+\ Message\ accepted ]]
		t_ok $? "$name: client sees 250 2.0.0, message accepted" "got:  $got";;
	esac
}

# sm_held_headers QID - the headers of a quarantined (hf) queue file
sm_held_headers()
{
	local f=$E2E_DIR/rx/queue/hf$1 out=$E2E_DIR/out/held.$1 i=0 limit
	limit=$(e2e_wait_limit)
	while [ ! -f "$f" ] && [ "$i" -lt "$limit" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -f "$f" ] || return 1
	# H lines, with Sendmail's ?flags? prefix, and their continuations.
	awk '/^H/ { sub(/^H(\?[^?]*\?)*/, ""); print; h = 1; next }
	/^[ \t]/ && h { print; next } { h = 0 }' "$f" >"$out"
	echo "$out"
}

# one_tag FILE CASE WHERE - exactly one tag header in FILE, ours, on top
#
# On top: the first header but Return-Path (the local mailer's), above
# Sendmail's own Received: line.
one_tag()
{
	local file=$1 name=$2 where=$3 tags n first
	tags=$(e2e_tag_headers "$file")
	n=$(printf '%s' "$tags" | grep -c .)
	first=$(e2e_headers "$file" | grep -Eiv '^Return-Path:' | head -n 1)
	G_TAG=$tags
	[ "$n" = 1 ] && [ "$tags" = "$X_TAG" ] && [ "$first" = "X-TLS-Policy: $X_TAG" ]
	t_ok $? "$name: $where with one tag, on top: $(tag_summary "$X_TAG")" \
	    "got ($n):" "$tags" "want: $X_TAG" "first header: $first"
}

# check_fate CASE - the message was delivered, quarantined or never queued
check_fate()
{
	local name=$1 file qid id
	G_TAG=
	case $X_FATE in
	delivered)
		if file=$(delivered_file "$name"); then
			one_tag "$file" "$name" delivered
		else
			t_ok 1 "$name: delivered" "no message with Message-Id <$(e2e_message_id "$name")> in the mailbox"
		fi;;
	held)
		qid=$(sm_queue_id "$name")
		if [ -n "$qid" ] && file=$(sm_held_headers "$qid"); then
			one_tag "$file" "$name" "quarantined as hf$qid"
			e2e_find_delivered "$name" >/dev/null
			t_ok $((!$?)) "$name: quarantined, not delivered"
		else
			t_ok 1 "$name: quarantined (hf file in the queue)" "queue ID '$qid'"
		fi;;
	refused)
		id=$(e2e_message_id "$name")
		! grep -qF "msgid=<$id>" "$E2E_DIR/rx/maillog" &&
		    ! e2e_find_delivered "$name" >/dev/null
		t_ok $? "$name: nothing queued or delivered";;
	esac
}

# index_results - read the mailbox and the milter's log once: on a
# loaded machine a few greps per case add up to minutes.  Mail is
# delivered before Sendmail answers the final dot (interactive mode),
# so everything sent is there once the sessions are over.
declare -A DELIVERED MILTER_LINES
index_results()
{
	local f id line from re='sender=<([^>]*)>'
	while IFS= read -r line; do
		f=${line%%:*}
		id=${line#*<}
		DELIVERED[${id%%>*}]=$f
	done < <(grep -iH -m 1 '^Message-Id: *<' "$E2E_DIR"/rx/mail/box/new/* 2>/dev/null)
	while IFS= read -r line; do
		[[ $line =~ $re ]] || continue
		from=${BASH_REMATCH[1]}
		MILTER_LINES[$from]="${MILTER_LINES[$from]:-}$line
"
	done <"$E2E_DIR/milter.log"
}

# delivered_file CASE - the delivered message of CASE (index, then a wait)
delivered_file()
{
	local f=${DELIVERED[$(e2e_message_id "$1")]:-}
	if [ -n "$f" ]; then
		echo "$f"
	else
		e2e_wait_delivered "$1"
	fi
}

# check_log CASE FROM - the milter logged its decision for this sender
check_log()
{
	local name=$1 from=$2 want line
	want="verdict=$X_VERDICT reasons=$X_REASONS action=$X_ACTION"
	line=${MILTER_LINES[$from]:-}
	[[ $line == *" $want"* ]]
	t_ok $? "$name: milter logs $want" "lines for <$from>:" "$line"
}

# record CASE - add the case to the decision matrix
record()
{
	local name=$1 want got
	want="${X_CODE%% *} $X_FATE"
	[ "$X_FATE" = refused ] && want=$X_CODE
	[ "$X_FATE" = refused ] || want="$want $(tag_summary "$X_TAG")"
	case $G_REPLY in
	[45]*) got=$(printf '%s' "$G_REPLY" | awk '{ print $1, $2 }');;
	*) got="${G_REPLY%% *} $X_FATE $(tag_summary "$G_TAG")";;
	esac
	matrix_row "$name" "$G_TLS" "$want" "$got"
}

# check_case CASE SENDER PROFILE - every assertion for one case
check_case()
{
	expect "$1" "$2" "$3"
	check_reply "$1"
	check_fate "$1"
	check_log "$1" "$1@$2.test"
	record "$1"
}

# send_exempt - a rejecter's plaintext message from 127.0.0.1 (exempt)
send_exempt()
{
	e2e_swaks exempt-reject "$E2E_RX_PORT" 127.0.0.1 \
	    exempt-reject@rejecter.test "box@$E2E_DOMAIN"
}

# check_exempt - mail from 127.0.0.1 (exempt) is accepted and says so
check_exempt()
{
	local name=exempt-reject file tags
	G_REPLY=$(e2e_final_reply "$name")
	[[ $G_REPLY =~ ^250\ 2\.0\.0\  ]]
	t_ok $? "$name: exempt client 127.0.0.1 gets 250 despite plaintext" "got: $G_REPLY"
	tags=
	if file=$(e2e_wait_delivered "$name"); then
		tags=$(e2e_tag_headers "$file")
	fi
	[ "$(printf '%s' "$tags" | grep -c .)" = 1 ] &&
	    case $tags in *"verdict=exempt"*"action=accept"*) true;; *) false;; esac
	t_ok $? "$name: delivered with one verdict=exempt tag" "got: $tags"
	matrix_row "$name" none "250 delivered exempt - accept" \
	    "${G_REPLY%% *} delivered $(tag_summary "$tags")"
}

# check_cf - the generated .cf has the lines the shipped fragment's
# comments promise ("dnl   O ..." and "dnl   X..."), socket aside
check_cf()
{
	local cf=$E2E_DIR/rx/etc/sendmail.cf frag=$top_srcdir/contrib/sendmail/tlspolicy-milter.mc
	local line missing="" n=0
	while IFS= read -r line; do
		n=$((n + 1))
		grep -qxF -- "$line" "$cf" || missing="$missing$line
"
	done < <(sed -n 's/^dnl   \([OX].*\)/\1/p' "$frag" |
	    sed "s|S=unix:/run/tlspolicy-milter/tlspolicy-milter.sock|S=inet:$E2E_MILTER_PORT@127.0.0.1|")
	[ "$n" -ge 5 ] && [ -z "$missing" ]
	t_ok $? "sendmail.cf has the $n lines contrib/sendmail/tlspolicy-milter.mc documents" \
	    "missing:" "$missing" "the .cf has:" "$(grep -E '^X|^O (InputMailFilters|Milter.macros)' "$cf")"
}

# check_verdicts - this run's verdicts against the table and Postfix's
check_verdicts()
{
	local got=$E2E_DIR/verdicts diff saved pf c s p
	{
		for s in $SENDERS; do
			for p in $PROFILES; do
				e2e_verdict_line "$s-$p" "$s-$p@$s.test"
			done
		done
		for c in $CERT_CASES; do
			e2e_verdict_line "${c%%:*}" "${c%%:*}@certifier.test"
		done
		e2e_verdict_line forged-tag forged-tag@tagger.test
		e2e_verdict_line exempt-reject exempt-reject@rejecter.test
	} >"$got"
	diff=$(e2e_verdicts_diff "$got" "$here/verdicts.txt")
	[ -z "$diff" ]
	t_ok $? "verdicts: all $(wc -l <"$got") cases as in tests/e2e/verdicts.txt" "$diff"
	saved=$(e2e_verdicts_save sendmail "$got")
	pf=$(dirname "$saved")/postfix.verdicts
	if [ -f "$pf" ] && [ "$pf" -nt "$here/verdicts.txt" ]; then
		diff=$(e2e_verdicts_diff "$pf" "$got")
		[ -z "$diff" ]
		t_ok $? "verdicts: the $(wc -l <"$pf") cases of the last Postfix run ($pf) judged the same" "$diff"
	else
		e2e_note "no Postfix verdicts at $pf newer than the table: compared with the table only"
	fi
}

# ---------------------------------------------------------------- main
preflight
START=$(date +%s)
E2E_DEADLINE=$((START + 150))
trap 'cleanup' EXIT
trap 'exit 130' HUP INT PIPE TERM

e2e_init || setup_failed "cannot make the temporary tree"
mkdir -p "$E2E_DIR/rx" || setup_failed "cannot make $E2E_DIR/rx"
sm_fetch || cannot_run "no Sendmail packages in $SM_DEBS and apt-get download failed ($(tail -n 1 "$E2E_DIR/apt.log" 2>/dev/null))"
sm_unpack || setup_failed "cannot unpack the Sendmail packages from $SM_DEBS"
libs=$(sm_missing_libs)
[ -z "$libs" ] || cannot_run "the unpacked sendmail needs $libs(apt-get install libwrap0 ...)"
sm_config || setup_failed "cannot configure Sendmail"
e2e_milter_start "$here/policy.yaml" || setup_failed "milter did not start"
sm_start || setup_failed "Sendmail did not start"
READY=$(date +%s)
e2e_note "milter $MILTER_BIN on 127.0.0.1:$E2E_MILTER_PORT, Sendmail $(dpkg-deb -f "$(sm_deb sendmail-bin)" Version) on :$E2E_RX_PORT, up in $((READY - START))s"
check_cf

for s in $SENDERS; do
	for p in $PROFILES; do
		e2e_spawn send_direct "$s-$p" "$s" "$p"
	done
done
for c in $CERT_CASES; do
	e2e_spawn send_direct "${c%%:*}" certifier "${c#*:}"
done
e2e_spawn send_forged
e2e_spawn send_exempt
e2e_join
SENT=$(date +%s)
e2e_note "sent $(ls "$E2E_DIR/out" | wc -l) sessions in $((SENT - READY))s"
index_results

for s in $SENDERS; do
	for p in $PROFILES; do
		check_case "$s-$p" "$s" "$p"
	done
done
for c in $CERT_CASES; do
	check_case "${c%%:*}" certifier "${c#*:}"
done

expect forged-tag tagger plain
check_reply forged-tag
e2e_note "forged-tag carried 4 forged pass tags (3 spellings, 1 folded); only the milter's may remain"
check_fate forged-tag
record forged-tag

check_exempt
check_verdicts

! grep -Ei 'milter.*(error|to error state|timeout)|SYSERR' "$E2E_DIR/rx/maillog" >"$E2E_DIR/milter-errors"
t_ok $? "Sendmail logged no milter errors" "$(head -n 5 "$E2E_DIR/milter-errors")"

pid=$E2E_MILTER_PID
E2E_MILTER_PID=
kill -TERM "$pid"
e2e_wait_pid_gone "$pid" 10
wait "$pid"
t_ok $? "milter exits 0 on SIGTERM"
t_no_sanitizer_reports "milter log has no sanitizer reports" "$E2E_DIR/milter.log"

e2e_note ""
e2e_note "decision matrix, Sendmail (client from $E2E_CLIENT_IP)"
e2e_note "$(printf '%-24s %-40s %-32s %s' case "client TLS" expected got)"
for row in "${MATRIX[@]}"; do
	e2e_note "$row"
done
e2e_note "$T_RUN checks, $T_FAILED failed, $(($(date +%s) - START))s ($((SENT - READY))s sending)"
echo "1..$T_RUN"
[ "$T_FAILED" = 0 ]
