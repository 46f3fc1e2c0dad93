#!/bin/sh
# report.sh - tests of "tlspolicy-milter report" (TAP).
#
# maillog-1.txt is today's log, maillog-2.txt yesterday's, gzipped here
# at test time as a rotated "maillog-2.txt.gz" would be.  Together they mix
# partners in enforce and testing mode, non-partner mail, classic and
# ISO timestamps, two MTA hosts, the foreground form without timestamp,
# lines of other programs, garbage and cut lines.  The text and JSON
# renderings are compared with golden files, the SVG is parsed, and
# decision lines written by the real milter (explain's "log:" lines for
# every tests/explain case) are counted back exactly.
#
# To regenerate the golden files after an intended change of output:
#   REPORT_UPDATE=1 top_srcdir=. MILTER_BIN=/path/to/tlspolicy-milter \
#       sh tests/report/report.sh
# and read the diff before committing it.

: "${top_srcdir:=.}"
: "${MILTER_BIN:=./tlspolicy-milter}"
cd "$top_srcdir" || exit 1

dir=tests/report
work=$(mktemp -d "${TMPDIR:-/tmp}/report.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

echo "1..14"
n=0

# result NAME STATUS - one TAP line; on failure the diff and stderr as comments
result() {
	n=$((n + 1))
	if [ "$2" = ok ]; then
		echo "ok $n - $1"
		return
	fi
	echo "not ok $n - $1"
	sed 's/^/# /' "$work/diff" "$work/err" 2>/dev/null
}

# skip NAME WHY
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # skip $2"
}

# report ARGS... - the report over both logs, the rotated one gzipped
report() {
	"$MILTER_BIN" report --year 2026 --organization mx.example.org "$@" \
	    "$work/maillog-2.txt.gz" "$dir/maillog-1.txt" > "$work/out" 2> "$work/err"
}

# golden NAME ARGS... - the report compared with NAME.ref
golden() {
	name=$1
	shift
	report "$@"
	status=$?
	if [ -n "$REPORT_UPDATE" ]; then
		cp "$work/out" "$dir/$name.ref"
	fi
	if [ "$status" -ne 0 ]; then
		echo "exit status $status, want 0" > "$work/diff"
		result "$name" failed
	elif diff -u "$dir/$name.ref" "$work/out" > "$work/diff" 2>&1; then
		result "$name" ok
	else
		result "$name" failed
	fi
}

gzip -c "$dir/maillog-2.txt" > "$work/maillog-2.txt.gz" || exit 1

golden golden-text --format text
golden golden-json --format json
golden golden-period --since 2026-11-27 --until 2026-11-27
golden golden-partner --partner shop --format json
golden golden-what-if --what-if enforce --policy tests/explain/policy.yaml

# The JSON is JSON.
if command -v python3 > /dev/null 2>&1; then
	report --format json
	if python3 -c 'import json, sys; json.load(sys.stdin)' < "$work/out" > "$work/diff" 2>&1; then
		result json-valid ok
	else
		result json-valid failed
	fi
else
	skip json-valid "no python3"
fi

# The SVG parses, with one row per group and per day, bars as counted.
if command -v python3 > /dev/null 2>&1; then
	report --format svg
	if python3 "$dir/svgcheck.py" "$work/out" > "$work/diff" 2>&1; then
		result svg-structure ok
	else
		result svg-structure failed
	fi
else
	skip svg-structure "no python3"
fi

# Standard input ("-") reads the same as the file, gzipped or not.
"$MILTER_BIN" report --year 2026 --organization x --format json "$dir/maillog-1.txt" \
    > "$work/file" 2> "$work/err"
gzip -c "$dir/maillog-1.txt" | "$MILTER_BIN" report --year 2026 --organization x \
    --format json - > "$work/stdin" 2>> "$work/err"
if diff -u "$work/file" "$work/stdin" > "$work/diff" 2>&1; then
	result stdin-gzip ok
else
	result stdin-gzip failed
fi

# A usage error: exit 2, a sentence, nothing on stdout.
"$MILTER_BIN" report --format xml "$dir/maillog-1.txt" > "$work/out" 2> "$work/err"
status=$?
if [ "$status" -eq 2 ] && [ ! -s "$work/out" ] && grep -q "format is not" "$work/err"; then
	result usage-error ok
else
	echo "exit status $status, want 2" > "$work/diff"
	result usage-error failed
fi

# A missing file: said on stderr, the others still counted, exit 1.
"$MILTER_BIN" report --year 2026 --format json "$work/no-such-file" "$dir/maillog-1.txt" \
    > "$work/out" 2> "$work/err"
status=$?
if [ "$status" -eq 1 ] && grep -q "no-such-file: cannot read" "$work/err" &&
    grep -q '"unreadable-files": 1' "$work/out" && grep -q '"decisions": 12' "$work/out"; then
	result missing-file ok
else
	echo "exit status $status, want 1" > "$work/diff"
	result missing-file failed
fi

# A cut .gz (a rotation interrupted): the lines before the cut count, exit 1.
size=$(wc -c < "$work/maillog-2.txt.gz")
head -c $((size - 20)) "$work/maillog-2.txt.gz" > "$work/cut.gz"
"$MILTER_BIN" report --year 2026 "$work/cut.gz" > "$work/out" 2> "$work/err"
status=$?
if [ "$status" -eq 1 ] && grep -q "cut.gz: read error" "$work/err" &&
    grep -q "decisions:" "$work/out"; then
	result cut-gzip ok
else
	echo "exit status $status, want 1" > "$work/diff"
	result cut-gzip failed
fi

# A line longer than the line buffer: unparseable if ours, ignored if not.
{
	printf 'Nov 28 10:00:00 mx tlspolicy-milter[1]: LONG1: tlspolicy: client=a[192.0.2.1] helo='
	head -c 6000 /dev/zero | tr '\0' a
	printf ' sender=<> partner=none selector=none tls=none cipher=none bits=0 pfs=no verdict=pass reasons=- action=accept\n'
	printf 'Nov 28 10:00:00 mx postfix/smtpd[1]: '
	head -c 6000 /dev/zero | tr '\0' b
	printf '\n'
} > "$work/long.txt"
"$MILTER_BIN" report --year 2026 --format json "$work/long.txt" > "$work/out" 2> "$work/err"
if grep -q '"lines": 2, "decisions": 0, "other-lines": 1, "unparseable-lines": 1' "$work/out"; then
	result long-line ok
else
	cp "$work/out" "$work/diff"
	result long-line failed
fi

# Round trip: every decision line the milter writes is counted back exactly.
: > "$work/roundtrip.txt"
i=0
for args in tests/explain/*.args; do
	set --
	while IFS= read -r line || [ -n "$line" ]; do
		set -- "$@" "$line"
	done < "$args"
	"$MILTER_BIN" explain -c tests/explain/policy.yaml "$@" 2>> "$work/err" |
	    sed -n 's/^  log: *[A-Z]*: //p' > "$work/lines"
	while IFS= read -r line; do
		i=$((i + 1))
		printf 'Nov 28 12:%02d:00 mx tlspolicy-milter[77]: RT%04d: %s\n' \
		    $((i % 60)) "$i" "$line" >> "$work/roundtrip.txt"
	done < "$work/lines"
done
"$MILTER_BIN" report --year 2026 --organization rt --format json "$work/roundtrip.txt" \
    > "$work/out" 2>> "$work/err"
if ! command -v python3 > /dev/null 2>&1; then
	skip round-trip "no python3"
elif [ "$i" -ge 10 ] && python3 "$dir/roundtrip.py" "$work/roundtrip.txt" "$work/out" \
    > "$work/diff" 2>&1; then
	result "round-trip ($i lines)" ok
else
	echo "$i lines from explain" >> "$work/diff"
	result round-trip failed
fi

# Every cut of those lines (a full disk, a syslog size limit) is ours but
# not a decision: nothing is counted as one, nothing crashes.
awk '{ for (len = 1; len < length($0); len++) print substr($0, 1, len) }' \
    "$work/roundtrip.txt" > "$work/cuts.txt"
"$MILTER_BIN" report --year 2026 --format json "$work/cuts.txt" > "$work/out" 2> "$work/err"
status=$?
if [ "$status" -eq 0 ] && grep -q '"decisions": 0,' "$work/out"; then
	result "every-cut ($(wc -l < "$work/cuts.txt") lines)" ok
else
	grep '"input"' "$work/out" > "$work/diff"
	result every-cut failed
fi
