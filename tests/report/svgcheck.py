"""svgcheck.py - check the structure of the report's SVG (tests/report/report.sh).

One row per group in <g id="partners"> and per day in <g id="days">, each
with its label and a TLS and a PFS bar whose width is its share of 400px.
"""
import sys
import xml.etree.ElementTree as ET

NS = {"s": "http://www.w3.org/2000/svg"}
WANT_PARTNERS = [
    ("archive", "100.0", "100.0"), ("bank", "100.0", "40.0"), ("insurer", "50.0", "50.0"),
    ("shop", "100.0", "50.0"), ("yandex", "100.0", "40.0"), ("non-partner mail", "50.0", "50.0"),
]
WANT_DAYS = [("2026-11-26", "71.4", "28.6"), ("2026-11-27", "100.0", "60.0"),
             ("2026-11-28", "81.8", "54.5")]


def rows(root, group_id):
    """(label, tls share, pfs share) of each row, checking bar widths."""
    group = root.find(".//s:g[@id='%s']" % group_id, NS)
    assert group is not None, "no <g id=%s>" % group_id
    found = []
    for row in group.findall("s:g[@class='row']", NS):
        label = row.find("s:text[@class='label']", NS).text
        shares = []
        for kind in ("tls", "pfs"):
            bar = row.find("s:rect[@class='%s']" % kind, NS)
            share = bar.get("data-share")
            width = float(bar.get("width"))
            if abs(width - 4 * float(share)) > 0.3:
                raise AssertionError("%s %s: width %s, want %s" % (label, kind, width,
                                                                    4 * float(share)))
            shares.append(share)
        found.append((label, shares[0], shares[1]))
    return found


def main():
    root = ET.parse(sys.argv[1]).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg", "root is %s" % root.tag
    for group_id, want in (("partners", WANT_PARTNERS), ("days", WANT_DAYS)):
        got = rows(root, group_id)
        if got != want:
            print("%s: got %s, want %s" % (group_id, got, want))
            return 1
    return 0


sys.exit(main())
