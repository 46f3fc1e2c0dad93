#!/bin/sh
# golden.sh - the policy loader's bad-input catalogue, as TAP.
#
# Runs "$MILTER_BIN -n -c FILE" from $top_srcdir for every case, with the
# file name relative to it, exactly as in the .ref files:
#   bad-NAME.ref   stderr must equal the file, exit status 1, stdout empty
#                  (the input is bad-NAME.yaml; it may be missing or a
#                  directory on purpose)
#   warn-NAME.ref  stderr must equal the file, exit status 0, stdout "FILE: OK (..."
#   good-NAME.yaml and contrib/policy.example.yaml: stderr empty, exit
#                  status 0, stdout "FILE: OK (..."
# To add a case, write the .yaml and the .ref holding the exact expected
# diagnostics, one per line.

: "${top_srcdir:=.}"
: "${MILTER_BIN:=./tlspolicy-milter}"

cd "$top_srcdir" || exit 1
if [ ! -x "$MILTER_BIN" ]; then
	echo "1..0 # SKIP $MILTER_BIN is not built"
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/golden.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

refs=$(ls tests/config/bad-*.ref tests/config/warn-*.ref 2>/dev/null)
goods="$(ls tests/config/good-*.yaml 2>/dev/null) contrib/policy.example.yaml"
total=0
for f in $refs $goods; do
	total=$((total + 1))
done
echo "1..$total"

n=0
failed=0

# report NAME PROBLEM - print one TAP line; PROBLEM empty means success.
report() {
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
		return
	fi
	failed=$((failed + 1))
	echo "not ok $n - $1"
	echo "$2" | sed 's/^/# /'
}

# run FILE - run the check; leaves the status in $rc, output in $work.
run() {
	"$MILTER_BIN" -n -c "$1" >"$work/out" 2>"$work/err"
	rc=$?
}

for ref in $refs; do
	name=$(basename "$ref" .ref)
	input=${ref%.ref}.yaml
	case $name in
	bad-*) want_rc=1 ;;
	*) want_rc=0 ;;
	esac
	run "$input"
	problem=""
	if [ "$rc" -ne "$want_rc" ]; then
		problem="exit status $rc, want $want_rc"
	fi
	if ! diff -u "$ref" "$work/err" >"$work/diff"; then
		problem="$problem
$(cat "$work/diff")"
	fi
	if [ "$want_rc" -eq 1 ] && [ -s "$work/out" ]; then
		problem="$problem
stdout not empty: $(cat "$work/out")"
	fi
	if [ "$want_rc" -eq 0 ] && ! grep -q "^$input: OK (" "$work/out"; then
		problem="$problem
stdout: $(cat "$work/out"), want \"$input: OK (...\""
	fi
	report "$name" "$problem"
done

for input in $goods; do
	run "$input"
	problem=""
	if [ "$rc" -ne 0 ]; then
		problem="exit status $rc, want 0"
	fi
	if [ -s "$work/err" ]; then
		problem="$problem
stderr: $(cat "$work/err")"
	fi
	if ! grep -q "^$input: OK (" "$work/out"; then
		problem="$problem
stdout: $(cat "$work/out"), want \"$input: OK (...\""
	fi
	report "$(basename "$input" .yaml)" "$problem"
done

[ "$failed" -eq 0 ]
