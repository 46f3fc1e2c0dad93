# tap.sh - TAP helpers shared by the end-to-end tests (postfix.sh,
# sendmail.sh) and the fault tests (tests/faults/).  Sourced by bash
# after lib.sh; the caller sets T_RUN=0 and T_FAILED=0 and prints the
# plan ("1..$T_RUN") at the end.

# t_ok - one TAP result: t_ok STATUS DESCRIPTION [DIAGNOSTIC...]
t_ok()
{
	local status=$1 desc=$2 line
	shift 2
	T_RUN=$((T_RUN + 1))
	if [ "$status" = 0 ]; then
		echo "ok $T_RUN - $desc"
		return 0
	fi
	T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_RUN - $desc"
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
	return 1
}

# t_is - compare: t_is GOT WANT DESCRIPTION
t_is()
{
	[ "$1" = "$2" ]
	t_ok $? "$3" "got:  $1" "want: $2"
}

# t_no_sanitizer_reports DESCRIPTION LOG... - the milter's stderr logs
# hold no ASan, LSan or UBSan report (the test builds use the sanitizers)
t_no_sanitizer_reports()
{
	local desc=$1 found
	shift
	found=$(grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$@" | head -n 20)
	[ -z "$found" ]
	t_ok $? "$desc" "$found"
}

# cannot_run - skip the whole file, or fail it when E2E_REQUIRED=1
cannot_run()
{
	if [ "${E2E_REQUIRED:-0}" = 1 ]; then
		echo "1..1"
		echo "not ok 1 - end-to-end test required (E2E_REQUIRED=1) but cannot run: $1"
		exit 1
	fi
	echo "1..0 # SKIP $1"
	exit 0
}

# t_preflight WHAT PACKAGES CMD... - cannot_run unless we are root (for
# WHAT), every CMD is installed (from the Debian PACKAGES) and the milter
# is built
t_preflight()
{
	local what=$1 packages=$2 cmd
	shift 2
	[ "$(id -u)" = 0 ] || cannot_run "needs root ($what)"
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null 2>&1 ||
		    cannot_run "$cmd not installed (apt-get install $packages)"
	done
	[ -x "$MILTER_BIN" ] || cannot_run "milter binary $MILTER_BIN not built"
}

# t_setup_failed WHY LOG... - the test tree did not come up: one failed
# case saying why, the end of each log as comments, and stop
t_setup_failed()
{
	local why=$1 f
	shift
	echo "not ok 1 - setup: $why"
	for f in "$@"; do
		[ -s "$f" ] && tail -n 20 "$f" | sed "s|^|# ${f#"$E2E_DIR"/}: |"
	done
	echo "1..1"
	exit 1
}

# tag_summary - "verdict reasons action" out of a tag header value
tag_summary()
{
	local v='?' r='?' a='?'
	[[ $1 =~ verdict=([^;]*) ]] && v=${BASH_REMATCH[1]}
	[[ $1 =~ reasons=([^;]*) ]] && r=${BASH_REMATCH[1]}
	[[ $1 =~ action=([^;]*) ]] && a=${BASH_REMATCH[1]}
	echo "$v $r $a"
}

failed_command()
{
	awk '
	/^ *[-~]> / { sub(/^ *[-~]> /, ""); cmd = $0; next }
	/^<[-~]?\*/ { sub(/:.*/, "", cmd); print cmd; exit }' "$E2E_DIR/out/$1"
}
