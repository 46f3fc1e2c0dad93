/*
 * output_text.c - the report for a terminal, in the manner of pflogsumm.
 *
 * First what was read, then one block per group (partners by name, then
 * other partners, then non-partner mail): messages, shares over TLS and
 * with PFS, versions, verdicts, actions and reasons with their counts,
 * and the top failing client hosts and sender domains.  Last the
 * readiness: per partner in testing mode (every group with --what-if
 * enforce), how many messages would have been deferred or rejected,
 * from which hosts and why.
 *
 * Counts of zero are left out of the lists, so a line says only what
 * happened.  Returns -1 when out of memory or when writing fails.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "output.h"

/* text_sep - the separator before the next item of a list */
static const char *
text_sep(bool *first)
{
	bool was_first = *first;

	*first = false;
	return was_first ? "" : ", ";
}

/* text_reasons - "no-pfs,weak-cipher" of a reason set */
static void
text_reasons(unsigned reasons, char *buf, size_t size)
{
	verdict_reasons_format(reasons, buf, size);
}

/* text_action - "reject" or "would-reject" */
static const char *
text_action(enum policy_action action, bool testing, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", testing ? "would-" : "", policy_action_name(action));
	return buf;
}

/* text_versions - "none 1, TLSv1.2 6" */
static void
text_versions(FILE *out, const struct agg_group *g)
{
	bool first = true;
	size_t i;

	fprintf(out, "  versions:       ");
	for (i = 0; i < AGG_VERSIONS; i++)
		if (g->versions[i] > 0)
			fprintf(out, "%s%s %lu", text_sep(&first),
			    tls_version_name((enum tls_version)i), g->versions[i]);
	fprintf(out, "\n");
}

/* text_verdicts - "pass 7, fail 3" */
static void
text_verdicts(FILE *out, const struct agg_group *g)
{
	bool first = true;
	size_t i;

	fprintf(out, "  verdicts:       ");
	for (i = 0; i < AGG_RESULTS; i++)
		if (g->results[i] > 0)
			fprintf(out, "%s%s %lu", text_sep(&first),
			    verdict_result_name((enum verdict_result)i), g->results[i]);
	fprintf(out, "\n");
}

/* text_actions - "accept 7, reject 2, would-reject 1" */
static void
text_actions(FILE *out, const struct agg_group *g)
{
	bool first = true;
	size_t i;

	fprintf(out, "  actions:        ");
	for (i = 0; i < AGG_ACTIONS; i++)
		if (g->actions[i] > 0)
			fprintf(out, "%s%s %lu", text_sep(&first),
			    policy_action_name((enum policy_action)i), g->actions[i]);
	for (i = 0; i < AGG_ACTIONS; i++)
		if (g->would[i] > 0)
			fprintf(out, "%swould-%s %lu", text_sep(&first),
			    policy_action_name((enum policy_action)i), g->would[i]);
	fprintf(out, "\n");
}

/* text_reason_counts - "no-pfs 2, no-tls 1" or "-" */
static void
text_reason_counts(FILE *out, const struct agg_group *g)
{
	bool first = true;
	size_t i;

	fprintf(out, "  reasons:        ");
	for (i = 0; i < AGG_REASONS; i++)
		if (g->reasons[i] > 0)
			fprintf(out, "%s%s %lu", text_sep(&first), aggregate_reason_name(i),
			    g->reasons[i]);
	fprintf(out, "%s\n", first ? "-" : "");
}

/* text_top - one top list of a group; -1 when out of memory */
static int
text_top(FILE *out, const struct report_view *view, size_t group, enum agg_select select,
    enum agg_key key, const char *title)
{
	struct agg_top *top;
	char reasons[256], action[32];
	size_t total, i;
	long n;

	if ((top = calloc(view->top, sizeof(*top))) == NULL)
		return -1;
	if ((n = aggregate_top(view->agg, group, select, key, top, view->top, &total)) < 0) {
		free(top);
		return -1;
	}
	if (n > 0 && title != NULL)
		fprintf(out, "  %s (%zu of %zu):\n", title, (size_t)n, total);
	for (i = 0; i < (size_t)n; i++) {
		text_reasons(top[i].reasons, reasons, sizeof(reasons));
		text_action(top[i].action, top[i].testing, action, sizeof(action));
		if (key == AGG_KEY_DOMAIN)
			fprintf(out, "    %8lu  <%s>  %s\n", top[i].count,
			    top[i].first->sender_domain, reasons);
		else
			fprintf(out, "    %8lu  %s[%s]  %s  %s\n", top[i].count,
			    top[i].first->client_name, top[i].first->client_ip, reasons, action);
	}
	free(top);
	return 0;
}

/* text_group - the block of one group */
static int
text_group(FILE *out, const struct report_view *view, size_t index)
{
	const struct agg_group *g = &view->agg->groups[index];
	char tls[16], pfs[16];

	output_percent(g->tls, g->total, tls, sizeof(tls));
	output_percent(g->pfs, g->total, pfs, sizeof(pfs));
	if (g->kind == AGG_GROUP_PARTNER)
		fprintf(out, "\npartner %s (mode seen: %s)\n", g->name, aggregate_group_mode(g));
	else
		fprintf(out, "\n%s (mode seen: %s)\n", aggregate_group_label(g),
		    aggregate_group_mode(g));
	fprintf(out, "  messages:       %lu\n", g->total);
	fprintf(out, "  over TLS:       %lu (%s%%)\n", g->tls, tls);
	fprintf(out, "  with PFS:       %lu (%s%%)\n", g->pfs, pfs);
	text_versions(out, g);
	text_verdicts(out, g);
	text_actions(out, g);
	text_reason_counts(out, g);
	if (text_top(out, view, index, AGG_SELECT_FAILURES, AGG_KEY_HOST,
	    "top failing client hosts") != 0
	    || text_top(out, view, index, AGG_SELECT_FAILURES, AGG_KEY_DOMAIN,
	    "top failing sender domains") != 0)
		return -1;
	if (g->untracked > 0)
		fprintf(out, "  (%lu failures beyond the %d tracked combinations are not listed)\n",
		    g->untracked, AGG_DETAILS_MAX);
	return 0;
}

/* text_in_readiness - the group belongs in the readiness section */
static bool
text_in_readiness(const struct report_view *view, const struct agg_group *g)
{
	if (view->what_if_enforce)
		return g->total > 0;
	return g->seen_testing > 0;
}

/* text_readiness - what enforcing would have deferred or rejected */
static int
text_readiness(FILE *out, const struct report_view *view, const size_t *order, size_t n)
{
	const struct agg_group *g;
	unsigned long defer, reject;
	char dp[16], rp[16];
	size_t i, shown = 0;

	fprintf(out, "\nreadiness: what enforcing would have deferred or rejected%s\n",
	    view->what_if_enforce ? " (every partner enforced)" : " (partners in testing mode)");
	for (i = 0; i < n; i++) {
		g = &view->agg->groups[order[i]];
		if (!text_in_readiness(view, g))
			continue;
		shown++;
		aggregate_bounces(g, view->what_if_enforce, &defer, &reject);
		output_percent(defer, g->total, dp, sizeof(dp));
		output_percent(reject, g->total, rp, sizeof(rp));
		fprintf(out, "  %s: %lu messages, %lu would be rejected (%s%%), "
		    "%lu deferred (%s%%)%s\n", aggregate_group_label(g), g->total, reject, rp,
		    defer, dp, defer + reject == 0 ? ": ready to enforce" : "");
		if (text_top(out, view, order[i], view->what_if_enforce
		    ? AGG_SELECT_BOUNCE_IF_ENFORCED : AGG_SELECT_WOULD_BOUNCE, AGG_KEY_HOST,
		    NULL) != 0)
			return -1;
	}
	if (shown == 0)
		fprintf(out, "  no partner in testing mode in this period\n");
	return 0;
}

/* text_header - what was read, and the period */
static void
text_header(FILE *out, const struct report_view *view)
{
	const struct aggregate *agg = view->agg;
	char first[16], last[16];
	long from, to;

	fprintf(out, "TLS policy report for %s\n", view->organization);
	if (output_range(view, &from, &to)) {
		logparse_day_text(from, first, sizeof(first));
		logparse_day_text(to, last, sizeof(last));
		fprintf(out, "period:           %s to %s\n", first, last);
	} else
		fprintf(out, "period:           (no dated lines)\n");
	if (view->partner != NULL)
		fprintf(out, "partner:          %s\n", view->partner);
	fprintf(out, "lines read:       %lu\n", agg->lines);
	fprintf(out, "  decisions:      %lu\n", agg->decisions);
	fprintf(out, "  other lines:    %lu\n", agg->other);
	fprintf(out, "  unparseable:    %lu\n", agg->unparseable);
	if (view->has_since || view->has_until)
		fprintf(out, "  out of period:  %lu\n", agg->out_of_period);
	if (agg->filtered > 0)
		fprintf(out, "  filtered out:   %lu\n", agg->filtered);
	if (view->read_errors > 0)
		fprintf(out, "  unreadable files: %lu (see the errors above)\n", view->read_errors);
}

/* output_text - the whole text report */
int
output_text(FILE *out, const struct report_view *view)
{
	size_t order[AGG_GROUPS_MAX + 2], n, i;

	text_header(out, view);
	n = aggregate_group_order(view->agg, order);
	for (i = 0; i < n; i++)
		if (text_group(out, view, order[i]) != 0)
			return -1;
	if (text_readiness(out, view, order, n) != 0)
		return -1;
	return ferror(out) ? -1 : 0;
}
