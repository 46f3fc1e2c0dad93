/*
 * aggregate.c - counts of decisions per partner and per day, and the
 * failing senders behind them, in bounded memory.
 *
 * A group is one partner (by the name in the log), the non-partner mail
 * (partner=none), or, past AGG_GROUPS_MAX names, one group for all other
 * partners.  Each group counts decisions, TLS, PFS, versions, verdicts,
 * actions taken and "would-" actions, and reasons.  Days are counted for
 * all mail together, up to AGG_DAYS_MAX distinct days.
 *
 * Every failing decision (fail or temperror) is also counted under its
 * combination of group, client name and IP, sender domain, MTA host,
 * reasons and action, in a chained hash table of at most
 * AGG_DETAILS_MAX entries.  Once it is full, new combinations are
 * counted only as the group's "untracked" failures: counts of tracked
 * combinations stay exact, and memory stays bounded whatever the input.
 * aggregate_top() merges them by host or sender domain on demand.
 *
 * The aggregate owns its table, days and details; aggregate_free()
 * releases them.  Out of memory is the only error.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"

#define AGG_BUCKETS	32768	/* a power of two, above AGG_DETAILS_MAX */

static char agg_reason_names[AGG_REASONS][32];

/* aggregate_new - an empty aggregate */
struct aggregate *
aggregate_new(void)
{
	struct aggregate *agg;
	size_t i;

	if ((agg = calloc(1, sizeof(*agg))) == NULL)
		return NULL;
	agg->days = calloc(AGG_DAYS_MAX, sizeof(*agg->days));
	agg->buckets = calloc(AGG_BUCKETS, sizeof(*agg->buckets));
	if (agg->days == NULL || agg->buckets == NULL) {
		aggregate_free(agg);
		return NULL;
	}
	agg->nbuckets = AGG_BUCKETS;
	for (i = 0; i < AGG_REASONS; i++)
		verdict_reasons_format(1u << i, agg_reason_names[i], sizeof(agg_reason_names[i]));
	return agg;
}

/* aggregate_free - release everything */
void
aggregate_free(struct aggregate *agg)
{
	struct agg_detail *detail, *next;
	size_t i;

	if (agg == NULL)
		return;
	for (i = 0; agg->buckets != NULL && i < agg->nbuckets; i++) {
		for (detail = agg->buckets[i]; detail != NULL; detail = next) {
			next = detail->next;
			free(detail);
		}
	}
	free(agg->buckets);
	free(agg->days);
	free(agg);
}

/* aggregate_reason_name - the log's name of reason bit i */
const char *
aggregate_reason_name(size_t i)
{
	return i < AGG_REASONS ? agg_reason_names[i] : "unknown";
}

/* aggregate_group - the group of a partner name ("" for none) */
static size_t
aggregate_group(struct aggregate *agg, const char *partner)
{
	enum agg_group_kind kind = *partner == '\0' ? AGG_GROUP_NON_PARTNER : AGG_GROUP_PARTNER;
	struct agg_group *g;
	size_t i, named = 0;

	g = &agg->groups[agg->last_group];
	if (agg->ngroups > 0 && g->kind == kind && strcmp(g->name, partner) == 0)
		return agg->last_group;
	for (i = 0; i < agg->ngroups; i++) {
		g = &agg->groups[i];
		if (g->kind == AGG_GROUP_PARTNER)
			named++;
		if (g->kind == kind && strcmp(g->name, partner) == 0)
			return agg->last_group = i;
	}
	if (kind == AGG_GROUP_PARTNER && named >= AGG_GROUPS_MAX) {
		kind = AGG_GROUP_OTHER_PARTNERS;
		partner = "";
		for (i = 0; i < agg->ngroups; i++)
			if (agg->groups[i].kind == kind)
				return agg->last_group = i;
	}
	g = &agg->groups[agg->ngroups];
	g->kind = kind;
	strcpy(g->name, partner);	/* both buffers are DECISION_TOKEN_MAX */
	return agg->last_group = agg->ngroups++;
}

/* aggregate_day - count one decision under its day */
static void
aggregate_day(struct aggregate *agg, const struct decision *d)
{
	struct agg_day *day;
	size_t lo = 0, hi = agg->ndays, mid;

	if (!d->dated)
		return;
	if (!agg->any_day || d->day < agg->first_day)
		agg->first_day = d->day;
	if (!agg->any_day || d->day > agg->last_day)
		agg->last_day = d->day;
	agg->any_day = true;
	/* Logs are mostly in order: try the last day first. */
	if (agg->ndays > 0 && agg->days[agg->ndays - 1].day == d->day)
		lo = agg->ndays - 1;
	else {
		while (lo < hi) {
			mid = (lo + hi) / 2;
			if (agg->days[mid].day < d->day)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	if (lo == agg->ndays || agg->days[lo].day != d->day) {
		if (agg->ndays == AGG_DAYS_MAX) {
			agg->days_dropped++;
			return;
		}
		memmove(&agg->days[lo + 1], &agg->days[lo],
		    (agg->ndays - lo) * sizeof(agg->days[0]));
		memset(&agg->days[lo], 0, sizeof(agg->days[0]));
		agg->days[lo].day = d->day;
		agg->ndays++;
	}
	day = &agg->days[lo];
	day->total++;
	day->tls += d->tls_version != TLS_VERSION_NONE;
	day->pfs += d->pfs == TLS_PFS_YES;
	day->failed += d->result == VERDICT_FAIL || d->result == VERDICT_TEMPERROR;
}

/* aggregate_hash - FNV-1a over a string, continuing h */
static uint32_t
aggregate_hash(uint32_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h ^ 0xff) * 16777619u;
}

/* aggregate_same - the detail is this decision's combination */
static bool
aggregate_same(const struct agg_detail *e, size_t group, const struct decision *d)
{
	return e->group == group && e->reasons == d->reasons && e->action == d->action
	    && e->testing == d->testing && e->result == d->result
	    && strcmp(e->client_ip, d->client_ip) == 0
	    && strcmp(e->client_name, d->client_name) == 0
	    && strcmp(e->sender_domain, d->sender_domain) == 0
	    && strcmp(e->mta_host, d->mta_host) == 0;
}

/* aggregate_detail_new - a detail holding copies of the decision's strings */
static struct agg_detail *
aggregate_detail_new(size_t group, const struct decision *d)
{
	size_t n1 = strlen(d->client_name) + 1, n2 = strlen(d->client_ip) + 1;
	size_t n3 = strlen(d->sender_domain) + 1, n4 = strlen(d->mta_host) + 1;
	struct agg_detail *e;
	char *p;

	if ((e = malloc(sizeof(*e) + n1 + n2 + n3 + n4)) == NULL)
		return NULL;
	e->next = NULL;
	e->group = group;
	e->reasons = d->reasons;
	e->action = d->action;
	e->testing = d->testing;
	e->result = d->result;
	e->count = 0;
	p = e->strings;
	e->client_name = memcpy(p, d->client_name, n1);
	e->client_ip = memcpy(p += n1, d->client_ip, n2);
	e->sender_domain = memcpy(p += n2, d->sender_domain, n3);
	e->mta_host = memcpy(p + n3, d->mta_host, n4);
	return e;
}

/* aggregate_failure - count a failing decision under its combination */
static int
aggregate_failure(struct aggregate *agg, size_t group, const struct decision *d)
{
	struct agg_detail *e;
	uint32_t h = 2166136261u;

	h = aggregate_hash(h, d->client_ip);
	h = aggregate_hash(h, d->client_name);
	h = aggregate_hash(h, d->sender_domain);
	h = aggregate_hash(h, d->mta_host);
	h = (h ^ (uint32_t)(group * 131 + d->reasons * 7 + d->action * 3 + d->testing))
	    * 16777619u;
	for (e = agg->buckets[h & (agg->nbuckets - 1)]; e != NULL; e = e->next) {
		if (aggregate_same(e, group, d)) {
			e->count++;
			return 0;
		}
	}
	if (agg->ndetails >= AGG_DETAILS_MAX) {
		agg->groups[group].untracked++;
		return 0;
	}
	if ((e = aggregate_detail_new(group, d)) == NULL)
		return -1;
	e->count = 1;
	e->next = agg->buckets[h & (agg->nbuckets - 1)];
	agg->buckets[h & (agg->nbuckets - 1)] = e;
	agg->ndetails++;
	return 0;
}

/* aggregate_add - count one decision */
int
aggregate_add(struct aggregate *agg, const struct decision *d)
{
	size_t group = aggregate_group(agg, d->partner), i;
	struct agg_group *g = &agg->groups[group];

	agg->decisions++;
	g->total++;
	g->tls += d->tls_version != TLS_VERSION_NONE;
	g->pfs += d->pfs == TLS_PFS_YES;
	g->versions[d->tls_version]++;
	g->results[d->result]++;
	if (d->testing)
		g->would[d->action]++;
	else
		g->actions[d->action]++;
	/* Only a partner's failures show its mode: missing macros do not. */
	if (d->result == VERDICT_FAIL && d->testing)
		g->seen_testing++;
	else if (d->result == VERDICT_FAIL && d->action > POLICY_ACTION_TAG)
		g->seen_enforce++;
	for (i = 0; i < AGG_REASONS; i++)
		if (d->reasons & (1u << i))
			g->reasons[i]++;
	aggregate_day(agg, d);
	if (d->result == VERDICT_FAIL || d->result == VERDICT_TEMPERROR)
		return aggregate_failure(agg, group, d);
	return 0;
}

/* aggregate_group_compare - sort order: partners, other partners, non-partner */
static int
aggregate_group_compare(const struct agg_group *a, const struct agg_group *b)
{
	if (a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	return strcmp(a->name, b->name);
}

/* aggregate_group_order - group indexes in report order */
size_t
aggregate_group_order(const struct aggregate *agg, size_t *order)
{
	size_t i, j, tmp;

	for (i = 0; i < agg->ngroups; i++)
		order[i] = i;
	/* At most AGG_GROUPS_MAX + 2 groups: insertion sort is enough. */
	for (i = 1; i < agg->ngroups; i++) {
		for (j = i; j > 0 && aggregate_group_compare(&agg->groups[order[j - 1]],
		    &agg->groups[order[j]]) > 0; j--) {
			tmp = order[j];
			order[j] = order[j - 1];
			order[j - 1] = tmp;
		}
	}
	return agg->ngroups;
}

/* aggregate_group_label - how a report names a group */
const char *
aggregate_group_label(const struct agg_group *g)
{
	switch (g->kind) {
	case AGG_GROUP_NON_PARTNER:
		return "non-partner mail";
	case AGG_GROUP_OTHER_PARTNERS:
		return "other partners";
	case AGG_GROUP_PARTNER:
		break;
	}
	return g->name;
}

/* aggregate_group_mode - what the log shows of the group's mode */
const char *
aggregate_group_mode(const struct agg_group *g)
{
	if (g->seen_testing > 0)
		return g->seen_enforce > 0 ? "mixed" : "testing";
	return g->seen_enforce > 0 ? "enforce" : "unknown";
}

/* aggregate_bounces - decisions that would (or did) defer or reject */
void
aggregate_bounces(const struct agg_group *g, bool what_if, unsigned long *defer,
    unsigned long *reject)
{
	*defer = g->would[POLICY_ACTION_DEFER];
	*reject = g->would[POLICY_ACTION_REJECT];
	if (what_if) {
		*defer += g->actions[POLICY_ACTION_DEFER];
		*reject += g->actions[POLICY_ACTION_REJECT];
	}
}

/* aggregate_selected - the detail belongs in this kind of list */
static bool
aggregate_selected(const struct agg_detail *e, enum agg_select select)
{
	bool bounce = e->action == POLICY_ACTION_DEFER || e->action == POLICY_ACTION_REJECT;

	switch (select) {
	case AGG_SELECT_WOULD_BOUNCE:
		return bounce && e->testing;
	case AGG_SELECT_BOUNCE_IF_ENFORCED:
		return bounce;
	case AGG_SELECT_FAILURES:
		break;
	}
	return true;
}

/* aggregate_compare_host - order by client name, then IP */
static int
aggregate_compare_host(const struct agg_detail *a, const struct agg_detail *b)
{
	int c = strcmp(a->client_name, b->client_name);

	return c != 0 ? c : strcmp(a->client_ip, b->client_ip);
}

/* aggregate_compare_detail - order by every field of the combination */
static int
aggregate_compare_detail(const struct agg_detail *a, const struct agg_detail *b)
{
	int c;

	if ((c = aggregate_compare_host(a, b)) != 0)
		return c;
	if ((c = strcmp(a->sender_domain, b->sender_domain)) != 0)
		return c;
	if ((c = strcmp(a->mta_host, b->mta_host)) != 0)
		return c;
	if (a->reasons != b->reasons)
		return a->reasons < b->reasons ? -1 : 1;
	if (a->action != b->action)
		return (int)a->action - (int)b->action;
	if (a->testing != b->testing)
		return (int)a->testing - (int)b->testing;
	return (int)a->result - (int)b->result;
}

static enum agg_key agg_sort_key;	/* qsort has no context argument */

/* aggregate_compare_key - order two details by the current key */
static int
aggregate_compare_key(const struct agg_detail *a, const struct agg_detail *b)
{
	switch (agg_sort_key) {
	case AGG_KEY_HOST:
		return aggregate_compare_host(a, b);
	case AGG_KEY_DOMAIN:
		return strcmp(a->sender_domain, b->sender_domain);
	case AGG_KEY_DETAIL:
		break;
	}
	return aggregate_compare_detail(a, b);
}

/* aggregate_sort_details - qsort callback over struct agg_detail pointers */
static int
aggregate_sort_details(const void *a, const void *b)
{
	return aggregate_compare_key(*(const struct agg_detail *const *)a,
	    *(const struct agg_detail *const *)b);
}

/* aggregate_sort_top - qsort callback: largest count first, then by key */
static int
aggregate_sort_top(const void *a, const void *b)
{
	const struct agg_top *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return aggregate_compare_key(x->first, y->first);
}

/* aggregate_collect - the group's selected details, sorted by key */
static size_t
aggregate_collect(const struct aggregate *agg, size_t group, enum agg_select select,
    const struct agg_detail **list)
{
	const struct agg_detail *e;
	size_t i, n = 0;

	for (i = 0; i < agg->nbuckets; i++)
		for (e = agg->buckets[i]; e != NULL; e = e->next)
			if (e->group == group && aggregate_selected(e, select))
				list[n++] = e;
	qsort(list, n, sizeof(list[0]), aggregate_sort_details);
	return n;
}

/* aggregate_top - the largest merged entries of one group */
long
aggregate_top(const struct aggregate *agg, size_t group, enum agg_select select,
    enum agg_key key, struct agg_top *out, size_t max, size_t *total)
{
	const struct agg_detail **list;
	struct agg_top *merged;
	size_t n, i, m = 0;

	agg_sort_key = key;
	list = malloc((agg->ndetails + 1) * sizeof(*list));
	merged = malloc((agg->ndetails + 1) * sizeof(*merged));
	if (list == NULL || merged == NULL) {
		free(list);
		free(merged);
		return -1;
	}
	n = aggregate_collect(agg, group, select, list);
	for (i = 0; i < n; i++) {
		if (m == 0 || aggregate_compare_key(merged[m - 1].first, list[i]) != 0) {
			merged[m].first = list[i];
			merged[m].reasons = 0;
			merged[m].action = list[i]->action;
			merged[m].testing = list[i]->testing;
			merged[m++].count = 0;
		}
		merged[m - 1].reasons |= list[i]->reasons;
		merged[m - 1].count += list[i]->count;
		if (list[i]->action > merged[m - 1].action)
			merged[m - 1].action = list[i]->action;
		merged[m - 1].testing |= list[i]->testing;
	}
	qsort(merged, m, sizeof(merged[0]), aggregate_sort_top);
	*total = m;
	if (m > max)
		m = max;
	memcpy(out, merged, m * sizeof(*out));
	free(list);
	free(merged);
	return (long)m;
}
