/*
 * output.h - the three renderings of an aggregate: text, JSON, SVG.
 */
#ifndef TLSPOLICY_REPORT_OUTPUT_H
#define TLSPOLICY_REPORT_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include "aggregate.h"

/* What every rendering needs besides the counts. */
struct report_view {
	const struct aggregate *agg;
	const char *organization;	/* JSON organization-name */
	const char *partner;		/* --partner, NULL for all */
	bool what_if_enforce;		/* --what-if enforce */
	bool has_since, has_until;
	long since, until;		/* day numbers, inclusive */
	size_t top;			/* entries per top list */
	unsigned long read_errors;	/* files that could not be read to the end */
};

/* Each returns 0, or -1 when out of memory or the stream fails. */
int output_text(FILE *out, const struct report_view *view);
int output_json(FILE *out, const struct report_view *view);
int output_svg(FILE *out, const struct report_view *view);

/* output_range - the period shown: the given bounds, else the days seen. */
bool output_range(const struct report_view *view, long *first, long *last);

/* output_percent - 100 * part / whole with one decimal, "-" for an empty whole. */
void output_percent(unsigned long part, unsigned long whole, char *buf, size_t size);

#endif
