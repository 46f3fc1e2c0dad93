#!/bin/sh
# hostile.sh - policy files too big to commit, generated here, as TAP.
#
# Each case writes its input under a scratch directory, runs
# "$MILTER_BIN -n -c FILE" and wants exit status 1, empty stdout, the
# exact diagnostic on stderr ("@FILE@" stands for the input's path), and
# a bounded cost: at most LIMIT_SECONDS of wall time and LIMIT_KB of
# peak resident memory (measured with python3's getrusage; generous, as
# the tests also run under ASan).  The inputs:
#   a 100 MB regular file (refused from its size, before reading),
#   the same 100 MB through a pipe (reading stops past the limit),
#   a million nested flow sequences, 5,000 nested block mappings,
#   and a 20 MB reply scalar on one line.

: "${top_srcdir:=.}"
: "${MILTER_BIN:=./tlspolicy-milter}"
: "${LIMIT_SECONDS:=20}"
: "${LIMIT_KB:=524288}"

if [ ! -x "$MILTER_BIN" ]; then
	echo "1..0 # SKIP $MILTER_BIN is not built"
	exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is needed to generate and measure"
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/hostile.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

echo "1..5"
n=0
failed=0

# measure STDIN FILE - run the check on FILE with STDIN as its input
# ("|PATH": PATH's content through a pipe);
# leaves "STATUS SECONDS KB" in $work/cost, output in $work/out and err.
measure() {
	python3 -c '
import resource, subprocess, sys, time
start = time.monotonic()
# "|FILE" feeds FILE through a pipe, so the size is unknown to fstat().
pipe = sys.argv[1].startswith("|")
with open(sys.argv[1].lstrip("|"), "rb") as source, open(sys.argv[3], "wb") as out, \
    open(sys.argv[4], "wb") as err:
	feeder = subprocess.Popen(["cat"], stdin=source, stdout=subprocess.PIPE) if pipe else None
	stdin = feeder.stdout if pipe else source
	status = subprocess.call(sys.argv[5:], stdin=stdin, stdout=out, stderr=err)
	if pipe:
		feeder.stdout.close()
		feeder.kill()
		feeder.wait()
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
with open(sys.argv[2], "w") as cost:
	cost.write("%d %.2f %d\n" % (status, time.monotonic() - start, peak))
' "$1" "$work/cost" "$work/out" "$work/err" "$MILTER_BIN" -n -c "$2"
}

# check NAME STDIN FILE WANT - run one case and print its TAP line.
check() {
	n=$((n + 1))
	measure "$2" "$3"
	read -r status seconds kb <"$work/cost"
	printf '%s\n' "$4" | sed "s|@FILE@|$3|g" >"$work/want"
	problem=""
	[ "$status" = 1 ] || problem="exit status $status, want 1"
	[ -s "$work/out" ] && problem="$problem
stdout not empty: $(head -c 200 "$work/out")"
	if ! diff -u "$work/want" "$work/err" >"$work/diff"; then
		problem="$problem
$(head -c 2000 "$work/diff")"
	fi
	if awk -v s="$seconds" -v l="$LIMIT_SECONDS" 'BEGIN { exit !(s > l) }'; then
		problem="$problem
took ${seconds}s, limit ${LIMIT_SECONDS}s"
	fi
	[ "$kb" -le "$LIMIT_KB" ] || problem="$problem
peak RSS ${kb} KB, limit ${LIMIT_KB} KB"
	if [ -z "$problem" ]; then
		echo "ok $n - $1 (${seconds}s, ${kb} KB)"
	else
		failed=$((failed + 1))
		echo "not ok $n - $1"
		echo "$problem" | sed 's/^/# /'
	fi
	case $3 in
	"$work"/*) rm -f "$3" ;;
	esac
}

# Generators: python3 writes the bulk quickly and exactly.
python3 -c '
import sys
with open(sys.argv[1], "w") as f:
	f.write("version: 1\n")
	line = "# padding that makes the policy file huge\n"
	f.write(line * (100 * 1024 * 1024 // len(line)))
' "$work/huge.yaml"
cp "$work/huge.yaml" "$work/huge-pipe.in"
check "100 MB regular file refused by size" /dev/null "$work/huge.yaml" \
    "@FILE@: file larger than 64 MiB"
check "100 MB through a pipe stops past the limit" "|$work/huge-pipe.in" /proc/self/fd/0 \
    "@FILE@: file larger than 64 MiB"
rm -f "$work/huge-pipe.in"

python3 -c '
import sys
with open(sys.argv[1], "w") as f:
	f.write("version: 1\nsettings: " + "[" * 1000000 + "]" * 1000000 + "\n")
' "$work/deep-flow.yaml"
check "a million nested flow sequences" /dev/null "$work/deep-flow.yaml" \
    "@FILE@:2:42: nesting deeper than 32 levels"

python3 -c '
import sys
with open(sys.argv[1], "w") as f:
	f.write("version: 1\n")
	for i in range(5000):
		f.write(" " * i + "k%d:\n" % i)
' "$work/deep-block.yaml"
check "5000 nested block mappings" /dev/null "$work/deep-block.yaml" \
    "@FILE@:34:33: nesting deeper than 32 levels"

python3 -c '
import sys
with open(sys.argv[1], "w") as f:
	f.write("version: 1\ndefaults:\n  action: reject\n  reply: \"" + "a" * 20000000 + "\"\n")
' "$work/long-reply.yaml"
check "a 20 MB reply on one line" /dev/null "$work/long-reply.yaml" \
    "@FILE@:4:10: reply: text longer than 400 characters"

[ "$failed" -eq 0 ]
