#!/bin/sh
# bench.sh - throughput and peak memory of "tlspolicy-milter report" on a
# large synthetic mail log (not part of make check).
#
#   sh tests/report/bench.sh [BINARY] [LINES]
#
# BINARY defaults to ./tlspolicy-milter, LINES to 2000000.  One line in
# four (one in REPORT_BENCH_OURS) is ours (partners in enforce and testing
# mode, non-partner mail, many client hosts and sender domains); the rest
# are Postfix lines, as in a real mail log.  Prints lines/s and the peak RSS from
# /usr/bin/time -v.  Build without sanitizers for a figure that means
# something (./configure without --enable-sanitizers).

bin=${1:-./tlspolicy-milter}
lines=${2:-2000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/report-bench.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

awk -v lines="$lines" -v ours="${REPORT_BENCH_OURS:-4}" 'BEGIN {
	split("bank shop yandex insurer none none none none", partner, " ");
	split("TLSv1.3 TLSv1.2 TLSv1.2 none TLSv1", version, " ");
	srand(1);
	for (i = 0; i < lines; i++) {
		day = 1 + int(i * 28 / lines);
		stamp = sprintf("Nov %2d %02d:%02d:%02d mx", day, i % 24, i % 60, (i * 7) % 60);
		if (i % ours != 0) {
			printf "%s postfix/smtpd[%d]: connect from host%d.example.net[198.51.100.%d]\n",
			    stamp, 1000 + i % 5000, i % 9973, i % 250;
			continue;
		}
		p = partner[1 + int(rand() * 8)];
		v = version[1 + int(rand() * 5)];
		host = sprintf("mx%d.sender%d.example", i % 7, int(rand() * 3000));
		ip = sprintf("192.0.%d.%d", int(rand() * 250), int(rand() * 250));
		if (v == "none") {
			tls = "tls=none cipher=none bits=0 pfs=no"; fail = "no-tls";
		} else if (rand() < 0.3) {
			tls = "tls=" v " cipher=AES256-GCM-SHA384 bits=256 pfs=no"; fail = "no-pfs";
		} else {
			tls = "tls=" v " cipher=ECDHE-RSA-AES256-GCM-SHA384 bits=256 pfs=yes"; fail = "";
		}
		if (fail == "")
			tail = "verdict=pass reasons=- action=accept";
		else if (p == "shop" || p == "yandex")
			tail = "verdict=fail reasons=" fail " action=would-reject";
		else if (p == "none")
			tail = "verdict=fail reasons=" fail " action=tag";
		else
			tail = "verdict=fail reasons=" fail " action=reject";
		printf "%s tlspolicy-milter[123]: Q%09X: tlspolicy: client=%s[%s] helo=%s sender=<user@d%d.%s.example> partner=%s selector=sender_domains:%s.example %s %s\n",
		    stamp, i, host, ip, host, int(rand() * 500), p, p, p, tls, tail;
	}
}' > "$work/mail.log"

size=$(wc -c < "$work/mail.log")
/usr/bin/time -v "$bin" report --year 2026 "$work/mail.log" > "$work/report" 2> "$work/time"
status=$?
if [ "$status" -ne 0 ]; then
	cat "$work/time" >&2
	exit "$status"
fi
seconds=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time" |
    awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time")
awk -v n="$lines" -v s="$seconds" -v rss="$rss" -v size="$size" 'BEGIN {
	printf "%d lines (%.0f MB) in %.2f s: %.0f lines/s, peak RSS %d kB\n",
	    n, size / 1048576, s, (s > 0 ? n / s : 0), rss
}'
gzip -1 -c "$work/mail.log" > "$work/mail.log.gz"
/usr/bin/time -v "$bin" report --year 2026 "$work/mail.log.gz" > /dev/null 2> "$work/time"
seconds=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time" |
    awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time")
awk -v n="$lines" -v s="$seconds" -v rss="$rss" 'BEGIN {
	printf "same, gzipped: %.2f s: %.0f lines/s, peak RSS %d kB\n", s, (s > 0 ? n / s : 0), rss
}'
