/*
 * output_svg.c - the report as one self-contained SVG picture.
 *
 * Two bar charts, one row per group and then one row per day: the share
 * of messages over TLS and the share with PFS, each a bar out of 100%
 * with its percentage written beside it.  No script, no external style
 * sheet or font: any browser shows it as it is.  The structure is meant
 * to be read back by a program too: <g id="partners"> and <g id="days">
 * hold one <g class="row"> each, with a <text class="label"> and two
 * <rect class="tls"|"pfs"> whose data-share attribute is the percentage.
 *
 * Labels from the log are escaped for XML; bytes outside printable
 * ASCII become '?', so the document is well-formed whatever the log held.
 */
#include "config.h"

#include <string.h>

#include "output.h"

#define SVG_WIDTH	820
#define SVG_LABEL_X	12
#define SVG_BAR_X	230
#define SVG_BAR_MAX	400	/* pixels for 100% */
#define SVG_ROW		40
#define SVG_BAR_H	14

/* svg_text - XML-escaped text */
static void
svg_text(FILE *out, const char *s)
{
	unsigned char c;

	for (; (c = (unsigned char)*s) != '\0'; s++) {
		switch (c) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		default:
			fputc(c < 0x20 || c > 0x7e ? '?' : c, out);
			break;
		}
	}
}

/* svg_bar - one bar of a row with its share written beside it */
static void
svg_bar(FILE *out, const char *kind, unsigned long part, unsigned long whole, int y)
{
	char share[16];
	double width = whole > 0 ? (double)SVG_BAR_MAX * (double)part / (double)whole : 0;

	output_percent(part, whole, share, sizeof(share));
	fprintf(out, "      <rect class=\"%s-bg\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n",
	    kind, SVG_BAR_X, y, SVG_BAR_MAX, SVG_BAR_H);
	fprintf(out, "      <rect class=\"%s\" data-share=\"%s\" x=\"%d\" y=\"%d\" "
	    "width=\"%.1f\" height=\"%d\"><title>%s %s%% (%lu of %lu)</title></rect>\n",
	    kind, share, SVG_BAR_X, y, width, SVG_BAR_H, strcmp(kind, "tls") == 0
	    ? "over TLS" : "with PFS", share, part, whole);
	fprintf(out, "      <text class=\"value\" x=\"%d\" y=\"%d\">%s %s%%</text>\n",
	    SVG_BAR_X + SVG_BAR_MAX + 8, y + SVG_BAR_H - 3, strcmp(kind, "tls") == 0
	    ? "TLS" : "PFS", share);
}

/* svg_row - label, TLS bar, PFS bar */
static void
svg_row(FILE *out, const char *label, unsigned long total, unsigned long tls,
    unsigned long pfs, int y)
{
	fprintf(out, "    <g class=\"row\">\n      <text class=\"label\" x=\"%d\" y=\"%d\">",
	    SVG_LABEL_X, y + SVG_BAR_H + 2);
	svg_text(out, label);
	fprintf(out, "</text>\n      <text class=\"count\" x=\"%d\" y=\"%d\">%lu messages</text>\n",
	    SVG_LABEL_X, y + SVG_BAR_H + 16, total);
	svg_bar(out, "tls", tls, total, y);
	svg_bar(out, "pfs", pfs, total, y + SVG_BAR_H + 2);
	fprintf(out, "    </g>\n");
}

/* svg_heading - the title of one chart */
static void
svg_heading(FILE *out, const char *text, int y)
{
	fprintf(out, "  <text class=\"heading\" x=\"%d\" y=\"%d\">%s</text>\n", SVG_LABEL_X, y, text);
}

/* output_svg - the whole picture */
int
output_svg(FILE *out, const struct report_view *view)
{
	const struct aggregate *agg = view->agg;
	size_t order[AGG_GROUPS_MAX + 2], n, i;
	const struct agg_group *g;
	char first[16], last[16], date[16];
	long from, to;
	int height, y;

	n = aggregate_group_order(agg, order);
	height = 110 + SVG_ROW * (int)(n + agg->ndays) + 60;
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"13\">\n",
	    SVG_WIDTH, height, SVG_WIDTH, height);
	fprintf(out, "  <style>.tls{fill:#2b6cb0}.pfs{fill:#2f855a}"
	    ".tls-bg,.pfs-bg{fill:#e2e8f0}.heading{font-weight:bold;font-size:15px}"
	    ".count{fill:#555;font-size:11px}</style>\n");
	fprintf(out, "  <rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
	    SVG_WIDTH, height);
	fprintf(out, "  <text class=\"heading\" x=\"%d\" y=\"24\">TLS policy report for ", SVG_LABEL_X);
	svg_text(out, view->organization);
	if (output_range(view, &from, &to)) {
		logparse_day_text(from, first, sizeof(first));
		logparse_day_text(to, last, sizeof(last));
		fprintf(out, ", %s to %s", first, last);
	}
	fprintf(out, "</text>\n");
	fprintf(out, "  <rect class=\"tls\" x=\"%d\" y=\"36\" width=\"12\" height=\"12\"/>"
	    "<text x=\"%d\" y=\"47\">share over TLS</text>\n", SVG_LABEL_X, SVG_LABEL_X + 18);
	fprintf(out, "  <rect class=\"pfs\" x=\"%d\" y=\"36\" width=\"12\" height=\"12\"/>"
	    "<text x=\"%d\" y=\"47\">share with forward secrecy (PFS)</text>\n",
	    SVG_LABEL_X + 130, SVG_LABEL_X + 148);
	y = 76;
	svg_heading(out, "Per partner", y);
	fprintf(out, "  <g id=\"partners\">\n");
	for (i = 0, y += 10; i < n; i++, y += SVG_ROW) {
		g = &agg->groups[order[i]];
		svg_row(out, aggregate_group_label(g), g->total, g->tls, g->pfs, y);
	}
	fprintf(out, "  </g>\n");
	y += 24;
	svg_heading(out, "Per day (all mail)", y);
	fprintf(out, "  <g id=\"days\">\n");
	for (i = 0, y += 10; i < agg->ndays; i++, y += SVG_ROW) {
		logparse_day_text(agg->days[i].day, date, sizeof(date));
		svg_row(out, date, agg->days[i].total, agg->days[i].tls, agg->days[i].pfs, y);
	}
	fprintf(out, "  </g>\n</svg>\n");
	return ferror(out) ? -1 : 0;
}
