/*
 * output_json.c - the report as JSON, modelled on SMTP TLS Reporting.
 *
 * RFC 8460 reports what a sending MTA saw of receivers' policies; this
 * report is the inbound mirror: what our receiving MTA saw of each
 * partner's senders.  The top-level keys organization-name, date-range
 * and report-id, and per policy a "policy" object, a "summary" with
 * total-successful-session-count and total-failure-session-count, and
 * "failure-details" with result-type, sending-mta-ip,
 * receiving-mx-hostname and failed-session-count are RFC 8460's.  Ours
 * are the result types (the milter's reason names: no-tls, no-pfs,
 * version-too-old, weak-cipher, ...), sending-mta-hostname,
 * sender-domain, action, failure-reason-code (every reason of the
 * combination), the extra summary counts, "input" and "days".  The
 * format is described in tlspolicy-milter(8), REPORTS.
 *
 * Strings from the log are escaped: quote, backslash, control bytes and
 * bytes above 0x7e become \u escapes, so the output is ASCII JSON
 * whatever the log held.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "output.h"

#define JSON_DETAILS_MAX	100	/* failure-details per policy */

/* json_escaped - the body of a JSON string, escaped */
static void
json_escaped(FILE *out, const char *s)
{
	unsigned char c;

	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
}

/* json_string - a quoted, escaped JSON string */
static void
json_string(FILE *out, const char *s)
{
	fputc('"', out);
	json_escaped(out, s);
	fputc('"', out);
}

/* json_key - "key": with the indent of its level */
static void
json_key(FILE *out, int indent, const char *key)
{
	fprintf(out, "%*s\"%s\": ", indent, "", key);
}

/* json_count_map - {"name": n, ...} of the non-zero counts */
static void
json_count_map(FILE *out, const unsigned long *counts, size_t n,
    const char *(*name)(size_t), const char *prefix, bool *first)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (counts[i] == 0)
			continue;
		fprintf(out, "%s\"%s%s\": %lu", *first ? "" : ", ", prefix, name(i), counts[i]);
		*first = false;
	}
}

/* json_version_name, json_result_name, json_action_name - size_t adapters */
static const char *
json_version_name(size_t i)
{
	return tls_version_name((enum tls_version)i);
}

static const char *
json_result_name(size_t i)
{
	return verdict_result_name((enum verdict_result)i);
}

static const char *
json_action_name(size_t i)
{
	return policy_action_name((enum policy_action)i);
}

/* json_map - "key": {counts} */
static void
json_map(FILE *out, const char *key, const unsigned long *counts, size_t n,
    const char *(*name)(size_t), bool last)
{
	bool first = true;

	json_key(out, 8, key);
	fputc('{', out);
	json_count_map(out, counts, n, name, "", &first);
	fprintf(out, "}%s\n", last ? "" : ",");
}

/* json_summary - the summary object of one group */
static void
json_summary(FILE *out, const struct report_view *view, const struct agg_group *g)
{
	unsigned long defer, reject;
	bool first = true;

	aggregate_bounces(g, view->what_if_enforce, &defer, &reject);
	fprintf(out, "      \"summary\": {\n");
	json_key(out, 8, "total-successful-session-count");
	fprintf(out, "%lu,\n", g->results[VERDICT_PASS] + g->results[VERDICT_EXEMPT]);
	json_key(out, 8, "total-failure-session-count");
	fprintf(out, "%lu,\n", g->results[VERDICT_FAIL] + g->results[VERDICT_TEMPERROR]);
	json_key(out, 8, "total-session-count");
	fprintf(out, "%lu,\n", g->total);
	json_key(out, 8, "tls-session-count");
	fprintf(out, "%lu,\n", g->tls);
	json_key(out, 8, "pfs-session-count");
	fprintf(out, "%lu,\n", g->pfs);
	json_key(out, 8, "would-defer-count");
	fprintf(out, "%lu,\n", defer);
	json_key(out, 8, "would-reject-count");
	fprintf(out, "%lu,\n", reject);
	json_map(out, "tls-versions", g->versions, AGG_VERSIONS, json_version_name, false);
	json_map(out, "verdicts", g->results, AGG_RESULTS, json_result_name, false);
	json_key(out, 8, "actions");
	fputc('{', out);
	json_count_map(out, g->actions, AGG_ACTIONS, json_action_name, "", &first);
	json_count_map(out, g->would, AGG_ACTIONS, json_action_name, "would-", &first);
	fprintf(out, "},\n");
	json_map(out, "reasons", g->reasons, AGG_REASONS, aggregate_reason_name, true);
	fprintf(out, "      },\n");
}

/* json_result_type - the first reason of a set, in the milter's order */
static const char *
json_result_type(unsigned reasons)
{
	size_t i;

	for (i = 0; i < AGG_REASONS; i++)
		if (reasons & (1u << i))
			return aggregate_reason_name(i);
	return "unknown";
}

/* json_detail - one failure-details entry */
static void
json_detail(FILE *out, const struct agg_top *t, bool last)
{
	const struct agg_detail *e = t->first;
	char reasons[256];

	verdict_reasons_format(t->reasons, reasons, sizeof(reasons));
	fprintf(out, "        {\"result-type\": \"%s\", \"failure-reason-code\": \"%s\",\n",
	    json_result_type(t->reasons), reasons);
	fprintf(out, "         \"sending-mta-ip\": ");
	json_string(out, e->client_ip);
	fprintf(out, ", \"sending-mta-hostname\": ");
	json_string(out, e->client_name);
	fprintf(out, ",\n         \"sender-domain\": ");
	json_string(out, e->sender_domain);
	fprintf(out, ", \"receiving-mx-hostname\": ");
	json_string(out, e->mta_host);
	fprintf(out, ",\n         \"action\": \"%s%s\", \"failed-session-count\": %lu}%s\n",
	    t->testing ? "would-" : "", policy_action_name(t->action), t->count,
	    last ? "" : ",");
}

/* json_details - failure-details of one group; -1 when out of memory */
static int
json_details(FILE *out, const struct report_view *view, size_t group)
{
	struct agg_top *top;
	size_t total, i;
	long n;

	if ((top = calloc(JSON_DETAILS_MAX, sizeof(*top))) == NULL)
		return -1;
	n = aggregate_top(view->agg, group, AGG_SELECT_FAILURES, AGG_KEY_DETAIL, top,
	    JSON_DETAILS_MAX, &total);
	if (n < 0) {
		free(top);
		return -1;
	}
	fprintf(out, "      \"failure-details\": [%s", n > 0 ? "\n" : "");
	for (i = 0; i < (size_t)n; i++)
		json_detail(out, &top[i], i + 1 == (size_t)n);
	fprintf(out, "%s],\n", n > 0 ? "      " : "");
	json_key(out, 6, "failure-details-omitted");
	fprintf(out, "%lu\n", (unsigned long)(total - (size_t)n)
	    + view->agg->groups[group].untracked);
	free(top);
	return 0;
}

/* json_policy_type - what kind of block the group stands for */
static const char *
json_policy_type(const struct agg_group *g)
{
	switch (g->kind) {
	case AGG_GROUP_NON_PARTNER:
		return "tlspolicy-non-partner";
	case AGG_GROUP_OTHER_PARTNERS:
		return "tlspolicy-other-partners";
	case AGG_GROUP_PARTNER:
		break;
	}
	return "tlspolicy-partner";
}

/* json_policy - one element of policies[] */
static int
json_policy(FILE *out, const struct report_view *view, size_t group, bool last)
{
	const struct agg_group *g = &view->agg->groups[group];

	fprintf(out, "    {\n      \"policy\": {\"policy-type\": \"%s\", \"policy-name\": ",
	    json_policy_type(g));
	json_string(out, g->kind == AGG_GROUP_PARTNER ? g->name : "");
	fprintf(out, ", \"mode-seen\": \"%s\"},\n", aggregate_group_mode(g));
	json_summary(out, view, g);
	if (json_details(out, view, group) != 0)
		return -1;
	fprintf(out, "    }%s\n", last ? "" : ",");
	return 0;
}

/* json_header - organization, dates, report id, what was read */
static void
json_header(FILE *out, const struct report_view *view)
{
	const struct aggregate *agg = view->agg;
	char first[16] = "", last[16] = "";
	long from, to;

	if (output_range(view, &from, &to)) {
		logparse_day_text(from, first, sizeof(first));
		logparse_day_text(to, last, sizeof(last));
	}
	fprintf(out, "{\n  \"organization-name\": ");
	json_string(out, view->organization);
	if (first[0] != '\0')
		fprintf(out, ",\n  \"date-range\": {\"start-datetime\": \"%sT00:00:00Z\", "
		    "\"end-datetime\": \"%sT23:59:59Z\"},\n", first, last);
	else
		fprintf(out, ",\n  \"date-range\": null,\n");
	fprintf(out, "  \"report-id\": ");
	fprintf(out, "\"tlspolicy-%s-%s-", first[0] ? first : "undated", last[0] ? last : "undated");
	json_escaped(out, view->organization);
	fprintf(out, "\",\n  \"report-type\": \"tlspolicy-inbound\",\n");
	fprintf(out, "  \"what-if-enforce\": %s,\n", view->what_if_enforce ? "true" : "false");
	fprintf(out, "  \"input\": {\"lines\": %lu, \"decisions\": %lu, \"other-lines\": %lu, "
	    "\"unparseable-lines\": %lu, \"out-of-period\": %lu, \"filtered\": %lu, "
	    "\"unreadable-files\": %lu},\n", agg->lines, agg->decisions, agg->other,
	    agg->unparseable, agg->out_of_period, agg->filtered, view->read_errors);
}

/* json_days - per day counts of all mail */
static void
json_days(FILE *out, const struct aggregate *agg)
{
	char date[16];
	size_t i;

	fprintf(out, "  \"days\": [%s", agg->ndays > 0 ? "\n" : "");
	for (i = 0; i < agg->ndays; i++) {
		logparse_day_text(agg->days[i].day, date, sizeof(date));
		fprintf(out, "    {\"date\": \"%s\", \"total-session-count\": %lu, "
		    "\"tls-session-count\": %lu, \"pfs-session-count\": %lu, "
		    "\"total-failure-session-count\": %lu}%s\n", date, agg->days[i].total,
		    agg->days[i].tls, agg->days[i].pfs, agg->days[i].failed,
		    i + 1 == agg->ndays ? "" : ",");
	}
	fprintf(out, "%s]\n", agg->ndays > 0 ? "  " : "");
}

/* output_json - the whole JSON report */
int
output_json(FILE *out, const struct report_view *view)
{
	size_t order[AGG_GROUPS_MAX + 2], n, i;

	json_header(out, view);
	n = aggregate_group_order(view->agg, order);
	fprintf(out, "  \"policies\": [%s", n > 0 ? "\n" : "");
	for (i = 0; i < n; i++)
		if (json_policy(out, view, order[i], i + 1 == n) != 0)
			return -1;
	fprintf(out, "%s],\n", n > 0 ? "  " : "");
	json_days(out, view->agg);
	fprintf(out, "}\n");
	return ferror(out) ? -1 : 0;
}
