#!/bin/sh
# explain.sh - golden tests of "tlspolicy-milter explain" and "-n" (TAP).
#
# Each case is tests/explain/NAME.args, the command-line arguments of
# explain, one per line (so any byte but newline can be tested), and
# tests/explain/NAME.ref, its exact expected standard output.  Every case
# runs from $top_srcdir against tests/explain/policy.yaml and must exit 0.
# The -n check and a usage error are tested here too.
#
# To regenerate the references after an intended change of output:
#   EXPLAIN_UPDATE=1 top_srcdir=. MILTER_BIN=/path/to/tlspolicy-milter \
#       sh tests/explain/explain.sh
# and read the diff before committing it.

: "${top_srcdir:=.}"
: "${MILTER_BIN:=./tlspolicy-milter}"
cd "$top_srcdir" || exit 1

policy=tests/explain/policy.yaml
work=$(mktemp -d "${TMPDIR:-/tmp}/explain.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

count=2
for args in tests/explain/*.args; do
	count=$((count + 1))
done
echo "1..$count"
n=0

# report NAME OK - one TAP line; on failure the diff and stderr as comments
report() {
	n=$((n + 1))
	if [ "$2" = ok ]; then
		echo "ok $n - $1"
		return
	fi
	echo "not ok $n - $1"
	sed 's/^/# /' "$work/diff" "$work/err"
}

# run_case NAME - explain with NAME.args, compared with NAME.ref
run_case() {
	name=$1
	set --
	while IFS= read -r line || [ -n "$line" ]; do
		set -- "$@" "$line"
	done < "tests/explain/$name.args"
	"$MILTER_BIN" explain -c "$policy" "$@" > "$work/out" 2> "$work/err"
	status=$?
	if [ -n "$EXPLAIN_UPDATE" ]; then
		cp "$work/out" "tests/explain/$name.ref"
	fi
	if [ "$status" -ne 0 ]; then
		echo "exit status $status, want 0" > "$work/diff"
		report "$name" failed
	elif diff -u "tests/explain/$name.ref" "$work/out" > "$work/diff" 2>&1; then
		report "$name" ok
	else
		report "$name" failed
	fi
}

for args in tests/explain/*.args; do
	run_case "$(basename "$args" .args)"
done

# -n: the one line on stdout, nothing on stderr, exit 0
"$MILTER_BIN" -n -c "$policy" > "$work/out" 2> "$work/err"
status=$?
echo "$policy: OK (5 partners, 7 selectors)" > "$work/want"
if [ "$status" -eq 0 ] && diff -u "$work/want" "$work/out" > "$work/diff" 2>&1 &&
    [ ! -s "$work/err" ]; then
	report "check-policy" ok
else
	echo "exit status $status" >> "$work/diff"
	report "check-policy" failed
fi

# A TLS detail without --tls-version is a usage error: exit 2, a sentence, no output
"$MILTER_BIN" explain -c "$policy" --client-ip 192.0.2.1 --sender a@b.example \
    --cipher AES128-SHA > "$work/out" 2> "$work/err"
status=$?
if [ "$status" -eq 2 ] && [ ! -s "$work/out" ] &&
    grep -q "TLS details need --tls-version" "$work/err"; then
	report "usage-error" ok
else
	echo "exit status $status, want 2" > "$work/diff"
	report "usage-error" failed
fi
