/*
 * output.c - what the text, JSON and SVG renderings share: the period
 * shown and percentages.  Nothing here allocates.
 */
#include "config.h"

#include <stdio.h>

#include "output.h"

/* output_range - the given bounds, else the first and last day seen */
bool
output_range(const struct report_view *view, long *first, long *last)
{
	const struct aggregate *agg = view->agg;

	if (!agg->any_day && !(view->has_since && view->has_until))
		return false;
	*first = view->has_since ? view->since : agg->first_day;
	*last = view->has_until ? view->until : agg->last_day;
	if (!agg->any_day) {
		*first = view->since;
		*last = view->until;
	}
	return true;
}

/* output_percent - "66.7", or "-" when there is nothing to divide */
void
output_percent(unsigned long part, unsigned long whole, char *buf, size_t size)
{
	if (whole == 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.1f", 100.0 * (double)part / (double)whole);
}
