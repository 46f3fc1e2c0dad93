# lib.sh - shared by tests/e2e/postfix.sh, tests/e2e/sendmail.sh, the
# fault tests and contrib/scripts/demo.sh: private Postfix instances on
# loopback, the milter, SMTP clients, test certificates and the verdict
# table.
#
# Sourced by bash.  Everything lives under one temporary directory
# ($E2E_DIR) that e2e_init makes and e2e_cleanup removes:
#   rx/        the receiving Postfix: etc/ (main.cf, master.cf), etc/tls/
#              (certificates, see e2e_make_certs), queue/, data/, maillog,
#              mail/box/ (the maildir)
#   tx/        the sending Postfix (relays to rx over TLS, per-transport ciphers)
#   out/       one file per SMTP session, as the client saw it
#   milter.*   the milter's policy copy, pid file and stderr
#   openssl.log  what openssl said while making the certificates
# The queue lives beside etc/, not in it: postfix-script warns about
# anything under the config directory that root does not own.
# No syslog: each instance logs through postlogd to its own maillog file.
# No DNS: peer name lookup and SMTP client DNS are off; all mail stays on
# 127.0.0.0/8.  Processes are stopped by the PIDs this file started (the
# milter) or recorded (each Postfix master's pid file), never by name.
#
# Knobs: E2E_TIMEOUT (seconds per session or wait, 20), E2E_PARALLEL
# (sessions at a time, 4), E2E_DEADLINE (no session starts after it),
# E2E_KEEP=1 (keep the tree for a post-mortem).

E2E_HOST=127.0.0.1		# where the receiving and sending MTAs listen
E2E_CLIENT_IP=127.0.0.2		# swaks/python source address: not exempt
E2E_RELAY_IP=127.0.0.3		# the sending MTA's source address
E2E_DOMAIN=e2e.test		# the receiver's one virtual mailbox domain
E2E_MX=mx.e2e.test
E2E_TIMEOUT=${E2E_TIMEOUT:-20}	# seconds for any one wait or session
E2E_DEADLINE=			# epoch seconds after which no session starts

E2E_DIR=
E2E_MILTER_PID=
E2E_MILTER_PORT=
E2E_RX_PORT=
E2E_TX_PORT=
E2E_MASTERS=""			# instance directories we started

# e2e_note - a TAP comment line
e2e_note()
{
	printf '# %s\n' "$*"
}

# e2e_init - make the private tree and pick three free loopback ports
e2e_init()
{
	E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tlspolicy-e2e.XXXXXX") || return 1
	# Postfix daemons (user postfix) must traverse to their queue.
	chmod 755 "$E2E_DIR"
	mkdir -p "$E2E_DIR/out"
	E2E_RX_PORT=$(e2e_free_port) || return 1
	E2E_TX_PORT=$(e2e_free_port) || return 1
	E2E_MILTER_PORT=$(e2e_free_port) || return 1
	case "$E2E_RX_PORT$E2E_TX_PORT$E2E_MILTER_PORT" in
	*[!0-9]*|"")	echo "e2e_init: no free ports" >&2; return 1;;
	esac
}

# e2e_free_port - print a TCP port that is free on 127.0.0.1 right now
e2e_free_port()
{
	python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# e2e_port_open - true when something listens on 127.0.0.1:PORT
e2e_port_open()
{
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# e2e_wait_port - wait (bounded) until PORT accepts connections
#
# With a PID, stop waiting as soon as that process has died.
e2e_wait_port()
{
	local port=$1 pid=${2:-} limit=$E2E_TIMEOUT i=0
	while [ "$i" -lt $((limit * 10)) ]; do
		e2e_port_open "$port" && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			echo "process $pid exited before port $port opened" >&2
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "port $port did not open within ${limit}s" >&2
	return 1
}

# e2e_wait_pid_gone - wait (bounded) until PID has exited
e2e_wait_pid_gone()
{
	local pid=$1 limit=${2:-10} i=0
	while kill -0 "$pid" 2>/dev/null; do
		[ "$i" -ge $((limit * 10)) ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 0
}

# e2e_make_cert - a self-signed RSA 2048 certificate for the receiver
e2e_make_cert()
{
	local dir=$1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
	    -subj "/CN=$E2E_MX" -keyout "$dir/key.pem" -out "$dir/cert.pem" \
	    >/dev/null 2>&1 || return 1
	chmod 600 "$dir/key.pem"
}

# e2e_make_certs DIR - every certificate the tests use, in DIR:
#   cert.pem key.pem       the receiver's (e2e_make_cert)
#   ca.pem ca.key          a test CA the receiver trusts for clients
#   client.pem client.key  CN client.partner.test, signed by that CA
#   self.pem self.key      the same subject, self-signed: no MTA here
#                          can verify it
# policy.yaml's partner certifier wants a verified client.partner.test.
# openssl's output goes to $E2E_DIR/openssl.log.
e2e_make_certs()
{
	local t=$1 subj="/C=DE/O=Partner Test Org/CN=client.partner.test"
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
	} >>"$E2E_DIR/openssl.log" 2>&1
}

# e2e_postfix_common - main.cf lines both instances share
e2e_postfix_common()
{
	local dir=$1
	cat <<EOF
# Generated by tests/e2e/lib.sh: a throwaway instance, not for production.
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
# No syslog here: postlogd (see master.cf) writes this file.
maillog_file = $dir/maillog
maillog_file_prefixes = $E2E_DIR
inet_interfaces = $E2E_HOST
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
append_dot_mydomain = no
biff = no
# Never DNS: no PTR lookups for clients, no MX lookups for relays.
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_tls_loglevel = 1
smtp_tls_loglevel = 1
EOF
}

# e2e_master_cf - the services a minimal instance needs; $2 more lines
e2e_master_cf()
{
	cat <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	[ -n "${1:-}" ] && printf '%s\n' "$1"
	return 0
}

# e2e_postfix_receiver - configure rx/: smtpd with the milter, maildir delivery
e2e_postfix_receiver()
{
	local dir=$E2E_DIR/rx
	mkdir -p "$dir/etc" "$dir/mail" || return 1
	# virtual(8) delivers as nobody; the maildir base must be its.
	chown 65534:65534 "$dir/mail"
	e2e_make_certs "$dir/etc/tls" || return 1
	{
		e2e_postfix_common "$dir"
		cat <<EOF
myhostname = $E2E_MX
mydomain = $E2E_DOMAIN
myorigin = \$myhostname
smtpd_banner = \$myhostname ESMTP tlspolicy e2e
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
# Every recipient in $E2E_DOMAIN lands in one maildir (trailing slash).
virtual_mailbox_domains = $E2E_DOMAIN
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = static:box/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
# This instance never sends mail anywhere.
default_transport = error:outbound mail is disabled in the e2e receiver
relay_transport = error:outbound mail is disabled in the e2e receiver
# TLS: opportunistic, permissive enough for TLSv1.2 with RSA key exchange
# (AES256-GCM-SHA384), ECDHE, DHE and TLSv1.3.  With Postfix >= 3.7 and
# OpenSSL 3 an empty dh1024 file means OpenSSL picks the DHE group.
smtpd_tls_security_level = may
smtpd_tls_cert_file = $dir/etc/tls/cert.pem
smtpd_tls_key_file = $dir/etc/tls/key.pem
# Ask every TLS client for a certificate (never require one) and trust
# only the test CA: the milter gets {cert_subject}/{cert_issuer} for
# client.pem, and nothing for self.pem, which Postfix cannot verify.
smtpd_tls_ask_ccert = yes
smtpd_tls_CAfile = $dir/etc/tls/ca.pem
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_ciphers = medium
smtpd_tls_dh1024_param_file =
smtpd_tls_received_header = yes
# The milter (see contrib/postfix/main.cf.snippet for the reasons).
smtpd_milters = inet:127.0.0.1:$E2E_MILTER_PORT
non_smtpd_milters =
milter_protocol = 6
milter_default_action = tempfail
milter_connect_timeout = 5s
milter_command_timeout = 5s
milter_content_timeout = 10s
EOF
	} >"$dir/etc/main.cf"
	e2e_master_cf >"$dir/etc/master.cf" \
	    "$E2E_HOST:$E2E_RX_PORT inet n - n - - smtpd"
}

# e2e_postfix_sender - configure tx/: relays everything to rx over TLS
#
# The recipient address picks the transport, and each transport forces
# one TLS profile with -o overrides:
#   rsa@    TLSv1.2 AES256-GCM-SHA384 (RSA key exchange, no PFS)
#   ecdhe@  TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384
#   dhe@    TLSv1.2 DHE-RSA-AES256-GCM-SHA384
#   tls13@  TLSv1.3
# Anything else (bounces to the senders) is discarded locally.
e2e_postfix_sender()
{
	local dir=$E2E_DIR/tx nexthop="[$E2E_HOST]:$E2E_RX_PORT" t
	local routes=""
	mkdir -p "$dir/etc" || return 1
	for t in rsa ecdhe dhe tls13; do
		routes="$routes {$t@$E2E_DOMAIN = tx$t:$nexthop},"
	done
	{
		e2e_postfix_common "$dir"
		cat <<EOF
myhostname = sender.e2e.test
mydomain = sender.e2e.test
myorigin = \$myhostname
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_milters =
relayhost = $nexthop
transport_maps = inline:{$routes {* = discard:bounces stay in the e2e sender}}
smtp_bind_address = $E2E_RELAY_IP
smtp_helo_name = \$myhostname
smtp_tls_security_level = encrypt
# Retry deferred mail only when told: the test wants it to stay queued.
queue_run_delay = 3600s
minimal_backoff_time = 3600s
maximal_backoff_time = 3600s
EOF
	} >"$dir/etc/main.cf"
	e2e_master_cf >"$dir/etc/master.cf" "$(cat <<EOF
$E2E_HOST:$E2E_TX_PORT inet n - n - - smtpd
txrsa     unix  -       -       n       -       -       smtp
  -o smtp_tls_mandatory_protocols=>=TLSv1.2,<=TLSv1.2
  -o smtp_tls_mandatory_ciphers=high
  -o tls_high_cipherlist=AES256-GCM-SHA384
txecdhe   unix  -       -       n       -       -       smtp
  -o smtp_tls_mandatory_protocols=>=TLSv1.2,<=TLSv1.2
  -o smtp_tls_mandatory_ciphers=high
  -o tls_high_cipherlist=ECDHE-RSA-AES256-GCM-SHA384
txdhe     unix  -       -       n       -       -       smtp
  -o smtp_tls_mandatory_protocols=>=TLSv1.2,<=TLSv1.2
  -o smtp_tls_mandatory_ciphers=high
  -o tls_high_cipherlist=DHE-RSA-AES256-GCM-SHA384
txtls13   unix  -       -       n       -       -       smtp
  -o smtp_tls_mandatory_protocols=>=TLSv1.3
EOF
)"
}

# e2e_postfix_start - start the instance in DIR (config in DIR/etc), wait for PORT
e2e_postfix_start()
{
	local dir=$1 port=$2
	# postfix-script makes the queue's subdirectories, not these two.
	mkdir -p "$dir/queue" "$dir/data" || return 1
	chown root:root "$dir/queue" && chmod 755 "$dir/queue" &&
	    chown postfix:postfix "$dir/data" || return 1
	postfix -c "$dir/etc" start >"$dir/start.log" 2>&1 || {
		cat "$dir/start.log" >&2
		return 1
	}
	E2E_MASTERS="$E2E_MASTERS $dir"
	e2e_wait_port "$port" || return 1
}

# e2e_postfix_master_pid - the PID in DIR's master pid file
e2e_postfix_master_pid()
{
	local f=$1/queue/pid/master.pid
	[ -r "$f" ] && tr -dc '0-9' <"$f"
}

# e2e_postfix_stop - stop the instance in DIR; kill its master if it lingers
e2e_postfix_stop()
{
	local dir=$1 pid
	pid=$(e2e_postfix_master_pid "$dir")
	postfix -c "$dir/etc" stop >>"$dir/start.log" 2>&1
	[ -n "$pid" ] || return 0
	e2e_wait_pid_gone "$pid" 10 && return 0
	kill -KILL "$pid" 2>/dev/null
	e2e_wait_pid_gone "$pid" 5
}

# e2e_milter_start - run the milter in the foreground on our port
e2e_milter_start()
{
	local policy=$1
	cp "$policy" "$E2E_DIR/milter.yaml" || return 1
	"$MILTER_BIN" -f $(test "$(id -u)" != 0 || echo -u nobody) -c "$E2E_DIR/milter.yaml" \
	    -p "inet:$E2E_MILTER_PORT@127.0.0.1" -P "$E2E_DIR/milter.pid" \
	    </dev/null >>"$E2E_DIR/milter.log" 2>&1 &
	E2E_MILTER_PID=$!
	if ! e2e_wait_port "$E2E_MILTER_PORT" "$E2E_MILTER_PID" || ! kill -0 "$E2E_MILTER_PID" 2>/dev/null; then
		echo "milter did not start; its log:" >&2
		sed 's/^/  /' "$E2E_DIR/milter.log" >&2
		return 1
	fi
}

# e2e_milter_reload - install POLICY as the milter's file and send SIGUSR1
#
# Waits (bounded) for the milter to log one more line, so the next
# message cannot race the reload.
e2e_milter_reload()
{
	local policy=$1 before i=0
	cp "$policy" "$E2E_DIR/milter.yaml.new" &&
	    mv "$E2E_DIR/milter.yaml.new" "$E2E_DIR/milter.yaml" || return 1
	before=$(wc -l <"$E2E_DIR/milter.log")
	kill -USR1 "$E2E_MILTER_PID" || return 1
	while [ "$i" -lt 50 ]; do
		sleep 0.1
		[ "$(wc -l <"$E2E_DIR/milter.log")" -gt "$before" ] &&
		    tail -n +"$((before + 1))" "$E2E_DIR/milter.log" |
		    grep -Eq 'reloaded |reload of .* failed|stays in force' && break
		i=$((i + 1))
	done
	kill -0 "$E2E_MILTER_PID" 2>/dev/null
}

# e2e_milter_stop - SIGTERM the milter we started; SIGKILL if it lingers
e2e_milter_stop()
{
	local pid=$E2E_MILTER_PID
	[ -n "$pid" ] || return 0
	E2E_MILTER_PID=
	kill -TERM "$pid" 2>/dev/null
	if ! e2e_wait_pid_gone "$pid" 10; then
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# e2e_cleanup - stop everything we started and remove the tree
#
# E2E_KEEP=1 keeps the tree for a post-mortem.
e2e_cleanup()
{
	local dir
	e2e_milter_stop
	for dir in $E2E_MASTERS; do
		e2e_postfix_stop "$dir"
	done
	E2E_MASTERS=""
	if [ -n "$E2E_DIR" ] && [ -d "$E2E_DIR" ]; then
		if [ "${E2E_KEEP:-0}" = 1 ]; then
			echo "# kept $E2E_DIR"
		else
			rm -rf "$E2E_DIR"
		fi
	fi
}

# e2e_message_id - the unique Message-ID (without <>) of a case
e2e_message_id()
{
	printf '%s.%s@e2e.test' "$1" "$$"
}

# e2e_swaks - one swaks session; its transcript goes to out/CASE
#
#   e2e_swaks CASE PORT SOURCE_IP FROM TO [swaks options...]
e2e_swaks()
{
	local name=$1 port=$2 src=$3 from=$4 to=$5
	shift 5
	e2e_over_budget "$name" && return 0
	timeout "$E2E_TIMEOUT" swaks --server "$E2E_HOST" --port "$port" \
	    --local-interface "$src" --helo client.e2e.test \
	    --from "$from" --to "$to" \
	    --header "Subject: e2e $name" \
	    --header "Message-Id: <$(e2e_message_id "$name")>" \
	    "$@" </dev/null >"$E2E_DIR/out/$name" 2>&1
	return 0
}

# e2e_spawn - run a sending function in the background, E2E_PARALLEL at
# a time (default 4): concurrent sessions also exercise the milter's
# threads.  e2e_join waits for the batch.
E2E_JOBS=()
e2e_spawn()
{
	"$@" &
	E2E_JOBS+=("$!")
	[ "${#E2E_JOBS[@]}" -lt "${E2E_PARALLEL:-4}" ] || e2e_join
}

# e2e_join - wait for every session e2e_spawn started
e2e_join()
{
	local pid
	for pid in "${E2E_JOBS[@]}"; do
		wait "$pid"
	done
	E2E_JOBS=()
}

# e2e_smtp_noehlo - STARTTLS, then MAIL without a second EHLO (python3)
#
# swaks always says EHLO again after STARTTLS.  The transcript mimics
# swaks's markers so the same readers work on it.
#   e2e_smtp_noehlo CASE PORT SOURCE_IP FROM TO MAXVERSION [CIPHERS] [EXTRA_HEADER_FILE]
e2e_smtp_noehlo()
{
	local name=$1
	e2e_over_budget "$name" && return 0
	timeout "$E2E_TIMEOUT" python3 - "$E2E_HOST" "$2" "$3" "$4" "$5" "$6" \
	    "${7:-}" "$(e2e_message_id "$name")" "$name" \
	    >"$E2E_DIR/out/$name" 2>&1 <<'PY'
import smtplib, ssl, sys

host, port, src, sender, rcpt, maxver, ciphers, msgid, name = sys.argv[1:10]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.maximum_version = getattr(ssl.TLSVersion, maxver)
if ciphers:
    ctx.set_ciphers(ciphers)

def said(code, text, marker="<~ "):
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    print("%s %d %s" % (marker, code, text.replace("\n", " ")))

s = smtplib.SMTP(host, int(port), local_hostname="client.e2e.test",
                 source_address=(src, 0), timeout=15)
s.ehlo()
code, text = s.starttls(context=ctx)
print("=== TLS started with cipher %s:%s:%d"
      % (s.sock.version(), s.sock.cipher()[0], s.sock.cipher()[2]))
# The point of this client: no ehlo() here.
print(" ~> MAIL FROM:<%s>" % sender)
code, text = s.mail(sender)
if code != 250:
    said(code, text, "<~*")
else:
    said(code, text)
    code, text = s.rcpt(rcpt)
    if code not in (250, 251):
        said(code, text, "<~*")
    else:
        said(code, text)
        msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: e2e %s\r\n"
               "Message-Id: <%s>\r\n\r\nsent without a second EHLO\r\n"
               % (sender, rcpt, name, msgid))
        code, text = s.data(msg.encode())
        said(code, text, "<~ " if code == 250 else "<~*")
print(" ~> QUIT")
try:
    s.quit()
except smtplib.SMTPException:
    pass
PY
	return 0
}

# e2e_send_profile NAME FROM TO PROFILE - one session from $E2E_CLIENT_IP
# straight to the receiver, its transcript in out/NAME.
# Profiles: plain (no STARTTLS); rsa (TLSv1.2 AES256-GCM-SHA384, RSA key
# exchange); ecdhe, dhe (TLSv1.2 with forward secrecy); tls13; cert and
# selfsigned (TLSv1.3 presenting client.pem or self.pem of rx/etc/tls);
# noehlo-tls13, noehlo-rsa (e2e_smtp_noehlo).
e2e_send_profile()
{
	local name=$1 from=$2 to=$3 tls=$E2E_DIR/rx/etc/tls
	local port=$E2E_RX_PORT src=$E2E_CLIENT_IP
	case $4 in
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
	*)	echo "=== e2e_send_profile: unknown profile $4" >"$E2E_DIR/out/$name";;
	esac
}

# e2e_send_direct CASE SENDER PROFILE - e2e_send_profile from
# CASE@SENDER.test to box@$E2E_DOMAIN
e2e_send_direct()
{
	e2e_send_profile "$1" "$1@$2.test" "box@$E2E_DOMAIN" "$3"
}

# e2e_final_reply - the last server reply before QUIT in a transcript
e2e_final_reply()
{
	awk '
	/^<[-~*]/ { sub(/^<[-~*]+ */, ""); last = $0; next }
	/^ *[-~]> QUIT/ { quit = 1; exit }
	END { print last }' "$E2E_DIR/out/$1"
}

# e2e_client_tls - "VERSION:CIPHER:BITS" the client negotiated, or "none"
e2e_client_tls()
{
	local t
	t=$(sed -n 's/^=== TLS started with cipher //p' "$E2E_DIR/out/$1" | head -n 1)
	echo "${t:-none}"
}

# e2e_queue_id - the queue ID from a "250 2.0.0 Ok: queued as ID" reply
e2e_queue_id()
{
	sed -n 's/^<[-~]* *250 .*queued as \([0-9A-Za-z]*\).*/\1/p' \
	    "$E2E_DIR/out/$1" | tail -n 1
}

# e2e_find_delivered - print the maildir file holding CASE's message
e2e_find_delivered()
{
	local id f
	id=$(e2e_message_id "$1")
	f=$(grep -liF "Message-Id: <$id>" "$E2E_DIR"/rx/mail/box/new/* 2>/dev/null | head -n 1)
	[ -n "$f" ] && echo "$f"
}

# e2e_wait_limit - tenths of a second a wait may take
#
# Once one wait has timed out the rest are cut to 2 seconds: they wait
# for mail sent at the same time, so a run that goes wrong stays short.
# A file marks it because the waits run in command substitutions.
e2e_wait_limit()
{
	if [ -e "$E2E_DIR/waited-out" ]; then
		echo 20
	else
		echo $((E2E_TIMEOUT * 10))
	fi
}

# e2e_wait_delivered - wait (bounded) for CASE's message in the maildir
e2e_wait_delivered()
{
	local i=0 limit
	limit=$(e2e_wait_limit)
	while [ "$i" -lt "$limit" ]; do
		e2e_find_delivered "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	touch "$E2E_DIR/waited-out"
	return 1
}

# e2e_over_budget - true (and a note in out/CASE) once E2E_DEADLINE passed
e2e_over_budget()
{
	[ -n "$E2E_DEADLINE" ] && [ "$(date +%s)" -gt "$E2E_DEADLINE" ] || return 1
	echo "=== not sent: the time budget is spent" >"$E2E_DIR/out/$1"
	return 0
}

# e2e_headers - the header block of a message file, unfolded
e2e_headers()
{
	awk '
	/^\r?$/ { exit }
	/^[ \t]/ { sub(/^[ \t]+/, " "); line = line $0; next }
	{ if (line != "") print line; line = $0 }
	END { if (line != "") print line }' "$1" | tr -d '\r'
}

# e2e_tag_headers - every X-TLS-Policy header value (any case) in a file
e2e_tag_headers()
{
	e2e_headers "$1" | sed -n 's/^[Xx]-[Tt][Ll][Ss]-[Pp][Oo][Ll][Ii][Cc][Yy]: *//p'
}

# e2e_delivered_tags - "MESSAGE-ID TAGCOUNT TAG" for every message in rx's
# maildir (headers unfolded; the tag header in any case; the first tag)
e2e_delivered_tags()
{
	python3 - "$E2E_DIR/rx/mail/box/new" <<'PY'
import email.parser, os, sys

d = sys.argv[1]
for name in sorted(os.listdir(d)):
    with open(os.path.join(d, name), "rb") as f:
        msg = email.parser.BytesHeaderParser().parse(f)
    unfold = lambda v: " ".join(str(v).split())
    ids = msg.get_all("Message-Id") or ["-"]
    tags = [unfold(v) for k, v in msg.items() if k.lower() == "x-tls-policy"]
    print("%s %d %s" % (unfold(ids[0]).strip("<>"), len(tags), tags[0] if tags else ""))
PY
}

# e2e_held_file - headers of a message in rx's hold queue, by queue ID
e2e_held_file()
{
	local qid=$1 out=$E2E_DIR/out/held.$1
	postcat -c "$E2E_DIR/rx/etc" -hq "$qid" >"$out" 2>/dev/null || return 1
	echo "$out"
}

# e2e_queue_name - which queue of instance DIR holds QID (hold, deferred...)
e2e_queue_name()
{
	postqueue -c "$1/etc" -j 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("queue_id") == sys.argv[1]:
        print(m.get("queue_name"))' "$2"
}

# e2e_wait_log - wait (bounded) until FILE has a line matching the ERE
e2e_wait_log()
{
	local file=$1 re=$2 i=0 limit
	limit=$(e2e_wait_limit)
	while [ "$i" -lt "$limit" ]; do
		grep -E -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	touch "$E2E_DIR/waited-out"
	return 1
}

# e2e_verdict_line CASE SENDER - "CASE VERDICT REASONS ACTION" from the
# milter's first log line for SENDER ("-" for what it did not log)
e2e_verdict_line()
{
	local line v=- r=- a=-
	line=$(grep -F "sender=<$2>" "$E2E_DIR/milter.log" | head -n 1)
	[[ $line =~ \ verdict=([^ ]*) ]] && v=${BASH_REMATCH[1]}
	[[ $line =~ \ reasons=([^ ]*) ]] && r=${BASH_REMATCH[1]}
	[[ $line =~ \ action=([^ ]*) ]] && a=${BASH_REMATCH[1]}
	printf '%-24s %-7s %-16s %s\n' "$1" "$v" "$r" "$a"
}

# The verdict table (tests/e2e/verdicts.txt): "CASE VERDICT REASONS
# ACTION" lines for every MTA, and "MTA:CASE VERDICT REASONS ACTION"
# lines where one MTA's case differs; # starts a comment.  The awk
# programs below share table_line() (read one line of the table) and
# want(MTA, CASE) (that MTA's line for the case, "" without one).
E2E_TABLE_AWK='
function table_line() {
	if ($0 ~ /^#/ || NF != 4)
		return
	if ($1 ~ /:/) {
		split($1, p, ":")
		over[p[1], p[2]] = $2 " " $3 " " $4
		overridden[p[2]] = 1
	} else
		base[$1] = $2 " " $3 " " $4
}
function want(mta, c) {
	if ((mta, c) in over)
		return over[mta, c]
	return (c in base) ? base[c] : ""
}'

# e2e_verdict_want TABLE MTA CASE - "VERDICT REASONS ACTION" the table
# holds for CASE under MTA (postfix, sendmail); nothing if it has none
e2e_verdict_want()
{
	awk -v mta="$2" -v c="$3" "$E2E_TABLE_AWK"'
	{ table_line() }
	END { print want(mta, c) }' "$1"
}

# e2e_verdicts_diff GOT TABLE MTA - each case in file GOT (lines of
# e2e_verdict_line) that TABLE, read for MTA, contradicts or lacks;
# nothing when all agree
e2e_verdicts_diff()
{
	awk -v mta="$3" "$E2E_TABLE_AWK"'
	NR == FNR { table_line(); next }
	NF == 4 {
		got = $2 " " $3 " " $4
		w = want(mta, $1)
		if (w == "")
			print $1 ": got " got ", not in " ARGV[1]
		else if (w != got)
			print $1 ": got " got ", want " w " (" mta ")"
	}' "$2" "$1"
}

# e2e_verdicts_cross GOT MTA OTHER OTHER_MTA TABLE - each case in GOT
# (this run, MTA) judged otherwise in OTHER (the other MTA's last run)
# or missing there.  A difference is tolerated only where TABLE says the
# two MTAs differ, and then only if each side got its own line.
e2e_verdicts_cross()
{
	awk -v mta="$2" -v omta="$4" "$E2E_TABLE_AWK"'
	FILENAME == ARGV[1] { table_line(); next }
	FILENAME == ARGV[2] { if (NF == 4) theirs[$1] = $2 " " $3 " " $4; next }
	NF == 4 {
		got = $2 " " $3 " " $4
		if (!($1 in theirs)) {
			print $1 ": " mta " got " got ", not in " ARGV[2]
			next
		}
		if (theirs[$1] == got)
			next
		w = want(mta, $1); ow = want(omta, $1)
		if (!($1 in overridden) || w == ow)
			print $1 ": " mta " got " got ", " omta " got " theirs[$1]
		else if (w != got || ow != theirs[$1])
			print $1 ": " mta " got " got ", " omta " got " theirs[$1] \
			    "; the table allows " mta " " w ", " omta " " ow
	}' "$5" "$3" "$1"
}

# e2e_verdicts_save MTA FILE - keep a run's verdicts where the other
# MTA's test can compare: E2E_RESULTS_DIR, else tests/e2e in the build
# tree (beside the milter binary).  Prints the path.
e2e_verdicts_save()
{
	local dir=${E2E_RESULTS_DIR:-$(dirname "$MILTER_BIN")/tests/e2e}
	mkdir -p "$dir" && cp "$2" "$dir/$1.verdicts.new" &&
	    mv "$dir/$1.verdicts.new" "$dir/$1.verdicts" && echo "$dir/$1.verdicts"
}
