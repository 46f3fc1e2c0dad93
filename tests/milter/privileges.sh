#!/bin/sh
# privileges.sh - who the milter runs as and what it does to its files
# (TAP).  What miltertest cannot say: exit statuses, refusals at start-up,
# file modes and owners, a process killed with SIGKILL.
#
# As root the milter must be given -u (here MILTER_TEST_USER, default
# nobody); the cases that need root are skipped otherwise.  Each case
# starts its own milter in a private directory and kills it with SIGKILL
# (libmilter takes seconds to stop on SIGTERM, and a socket left behind is
# part of what is tested).  mdriver (tests/bench) checks that a milter
# answers.  Needs top_builddir and MILTER_BIN from the test environment.
set -u

B=${top_builddir:?}
MILTER=${MILTER_BIN:-$B/tlspolicy-milter}
SRC=${top_srcdir:?}
MDRIVER=$B/tests/bench/mdriver
POLICY=$SRC/tests/milter/policies/partners.yaml
TEST_USER=${MILTER_TEST_USER:-nobody}
N=0
FAILED=0
PIDS=""

echo "1..14"

if [ "$(id -u)" = 0 ]; then
	ROOT=1
	AS_USER="-u $TEST_USER"
	WANT_OWNER="$(id -un "$TEST_USER") $(id -gn "$TEST_USER")"
else
	ROOT=0
	AS_USER=""
	WANT_OWNER="$(id -un) $(id -gn)"
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/tlspolicy-priv.XXXXXX") || exit 1
chmod 755 "$W"
cp "$POLICY" "$W/policy.yaml" && chmod 644 "$W/policy.yaml"
cleanup() {
	for pid in $PIDS; do
		kill -KILL "$pid" 2>/dev/null
	done
	rm -rf "$W"
}
trap cleanup EXIT

# ok STATUS NAME [DETAIL] - one TAP line; DETAIL (a file or text) on failure
ok() {
	N=$((N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $N - $2"
		return
	fi
	echo "not ok $N - $2"
	FAILED=$((FAILED + 1))
	if [ -f "${3:-}" ]; then
		sed 's/^/# /' "$3"
	elif [ -n "${3:-}" ]; then
		echo "$3" | sed 's/^/# /'
	fi
}

# skip NAME WHY - one skipped TAP line
skip() {
	N=$((N + 1))
	echo "ok $N - $1 # SKIP $2"
}

# start NAME ARGS... - a milter in the background (log W/NAME.log); PID in
# $PID.  Returns 0 once its pid file holds its PID, 1 when it exits first.
start() {
	name=$1
	shift
	"$MILTER" -f -c "$W/policy.yaml" -P "$W/$name.pid" "$@" >"$W/$name.log" 2>&1 &
	PID=$!
	PIDS="$PIDS $PID"
	for _ in $(seq 100); do
		[ "$(cat "$W/$name.pid" 2>/dev/null)" = "$PID" ] && return 0
		kill -0 "$PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# refused NAME ARGS... - the milter exits 1 at start-up; its stderr in W/NAME.log
refused() {
	name=$1
	shift
	timeout 20 "$MILTER" -f -c "$W/policy.yaml" "$@" >"$W/$name.log" 2>&1
	[ $? -eq 1 ]
}

# serves SOCKET - a few messages get their answers
serves() {
	"$MDRIVER" -s "unix:$1" -n 4 -c 1 -m 4 >"$W/mdriver.out" 2>&1
}

# kill9 PID - SIGKILL and wait until it is gone
kill9() {
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

"$MILTER" -f -R -c "$W/policy.yaml" >"$W/r.log" 2>&1
[ $? -eq 2 ] && grep -q -- '-R is no longer accepted.*-u user' "$W/r.log"
ok $? "-R is a usage error that names -u" "$W/r.log"

if [ "$ROOT" = 1 ]; then
	refused root -p "unix:$W/root.sock" &&
	    grep -q 'refusing to serve as root: give -u user' "$W/root.log" &&
	    [ ! -e "$W/root.sock" ]
	ok $? "as root without -u: refused before the socket exists" "$W/root.log"
	refused uroot -u root -p "unix:$W/root.sock" &&
	    grep -q -- '-u root: that is root; refusing to serve as root' "$W/uroot.log"
	ok $? "-u root is refused too" "$W/uroot.log"
else
	skip "as root without -u: refused before the socket exists" "not root"
	other=nobody
	[ "$(id -un)" = nobody ] && other=daemon
	refused urootx -u "$other" -p "unix:$W/root.sock" &&
	    grep -q 'changing the user needs root' "$W/urootx.log"
	ok $? "-u another user without root is refused" "$W/urootx.log"
fi

# One milter that stays up for the next cases.
start a -p "unix:$W/a.sock" $AS_USER
up=$?
serves "$W/a.sock"
served=$?
[ "$up" -eq 0 ] && [ "$served" -eq 0 ]
ok $? "starts and serves${AS_USER:+ with $AS_USER}" "$W/a.log"
A=$PID

got=$(stat -c '%a %U %G' "$W/a.sock" 2>&1)
[ "$got" = "660 $WANT_OWNER" ]
ok $? "socket mode and owner: got '$got', want '660 $WANT_OWNER'"

got=$(stat -c '%a %U' "$W/a.pid" 2>&1)
want="644 $(id -un)"
[ "$got" = "$want" ]
ok $? "pid file mode and owner (written before the drop): got '$got', want '$want'"

if [ "$ROOT" = 1 ]; then
	got=$(awk '/^Uid:/ { print $2, $3, $4, $5 } /^Groups:/ { print "groups", $2 }' \
	    "/proc/$A/status" | tr '\n' ' ')
	uid=$(id -u "$TEST_USER")
	gid=$(id -g "$TEST_USER")
	[ "$got" = "$uid $uid $uid $uid groups $gid " ]
	ok $? "runs as $TEST_USER with no other group: got '$got'"
else
	skip "runs as the -u user with no other group" "not root"
fi

# A second milter on a live socket must not take it over.
refused b -p "unix:$W/a.sock" $AS_USER &&
    grep -q "socket $W/a.sock: another milter is listening there; not taking it over" \
    "$W/b.log" && serves "$W/a.sock"
ok $? "a live socket is refused and the first milter still serves" "$W/b.log"

# Killed with SIGKILL, the first leaves its socket: the next start replaces it.
kill9 "$A"
[ -S "$W/a.sock" ] && start c -p "unix:$W/a.sock" $AS_USER && serves "$W/a.sock" &&
    grep -q "removed the stale socket $W/a.sock" "$W/c.log"
ok $? "a stale socket left by kill -9 is replaced" "$W/c.log"
kill9 "$PID"

printf 'precious data\n' >"$W/file"
refused d -p "unix:$W/file" $AS_USER &&
    grep -q "socket $W/file: the path exists and is not a socket; not removing it" \
    "$W/d.log" && [ "$(cat "$W/file")" = "precious data" ]
ok $? "a regular file at the socket path is refused and left intact" "$W/d.log"

printf 'keep\n' >"$W/target"
ln -s "$W/target" "$W/e.pid"
refused e -p "unix:$W/e.sock" -P "$W/e.pid" $AS_USER &&
    grep -q "pid file $W/e.pid: is a symbolic link; not following it" "$W/e.log" &&
    [ "$(cat "$W/target")" = keep ]
ok $? "a pid file that is a symbolic link is refused, its target intact" "$W/e.log"

# Our own stale pid file (the -u user could not remove it) is rewritten.
printf 'garbage\n' >"$W/f.pid"
chmod 666 "$W/f.pid"
start f -p "unix:$W/f.sock" $AS_USER &&
    [ "$(stat -c %a "$W/f.pid")" = 644 ] && [ "$(cat "$W/f.pid")" = "$PID" ]
ok $? "a stale pid file of ours is rewritten with mode 644" "$W/f.log"
kill9 "$PID"

if [ "$ROOT" = 1 ]; then
	mkdir -m 700 "$W/private"
	cp "$W/policy.yaml" "$W/private/policy.yaml"
	"$MILTER" -f -c "$W/private/policy.yaml" -p "unix:$W/g.sock" -P "$W/g.pid" \
	    $AS_USER >"$W/g.log" 2>&1 &
	PID=$!
	PIDS="$PIDS $PID"
	for _ in $(seq 100); do
		grep -q 'listening on' "$W/g.log" && break
		sleep 0.1
	done
	grep -q "$W/private/policy.yaml: not readable by $TEST_USER (Permission denied): a reload (SIGUSR1) will fail" \
	    "$W/g.log" && serves "$W/g.sock"
	ok $? "a policy only root can read: starts, and warns that reloads will fail" "$W/g.log"
	kill9 "$PID"
else
	skip "a policy only root can read: starts, and warns that reloads will fail" "not root"
fi

"$MILTER" -f -c "$W/no-such.yaml" -p "unix:$W/h.sock" $AS_USER >"$W/h.log" 2>&1
[ $? -eq 1 ] && grep -q "$W/no-such.yaml: cannot read" "$W/h.log" && [ ! -e "$W/h.sock" ]
ok $? "an unreadable policy stops the start before the socket exists" "$W/h.log"

[ "$N" -eq 14 ] || echo "# ran $N tests, planned 14"
[ "$FAILED" -eq 0 ]
