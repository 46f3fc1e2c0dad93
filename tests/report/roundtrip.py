"""roundtrip.py - the report counts the milter's own decision lines exactly.

argv[1]: decision lines written by the milter (explain's "log:" lines);
argv[2]: the report's JSON about them.  Counts per partner of messages,
verdicts and actions are computed here independently and compared.
"""
import collections
import json
import sys


def expected(path):
    """Per partner: total, verdict counts, action counts."""
    want = collections.defaultdict(lambda: {"total": 0, "verdicts": collections.Counter(),
                                            "actions": collections.Counter()})
    lines = 0
    for line in open(path, encoding="ascii"):
        lines += 1
        fields = dict(tok.split("=", 1) for tok in line.split(": tlspolicy: ", 1)[1].split())
        group = want[fields["partner"] if fields["partner"] != "none" else ""]
        group["total"] += 1
        group["verdicts"][fields["verdict"]] += 1
        group["actions"][fields["action"]] += 1
    return lines, want


def main():
    lines, want = expected(sys.argv[1])
    report = json.load(open(sys.argv[2], encoding="ascii"))
    failures = []
    if report["input"]["decisions"] != lines or report["input"]["unparseable-lines"] != 0:
        failures.append("input: got %s, want %d decisions" % (report["input"], lines))
    got = {}
    for policy in report["policies"]:
        summary = policy["summary"]
        got[policy["policy"]["policy-name"]] = {
            "total": summary["total-session-count"],
            "verdicts": collections.Counter(summary["verdicts"]),
            "actions": collections.Counter(summary["actions"]),
        }
    for name in sorted(set(want) | set(got)):
        if got.get(name) != want.get(name):
            failures.append("%s: got %s, want %s" % (name or "none", got.get(name),
                                                     want.get(name)))
    for failure in failures:
        print(failure)
    return 1 if failures else 0


sys.exit(main())
