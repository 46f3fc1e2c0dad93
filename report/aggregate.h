/*
 * aggregate.h - counts of decisions per partner and per day, and the
 * failing senders behind them, in bounded memory.
 */
#ifndef TLSPOLICY_REPORT_AGGREGATE_H
#define TLSPOLICY_REPORT_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include "logparse.h"

#define AGG_GROUPS_MAX	128	/* partners counted by name; the rest share one group */
#define AGG_DAYS_MAX	3660	/* ten years of days */
#define AGG_DETAILS_MAX	20000	/* distinct failing combinations tracked */
#define AGG_VERSIONS	(TLS_VERSION_TLSV1_3 + 1)
#define AGG_RESULTS	(VERDICT_TEMPERROR + 1)
#define AGG_ACTIONS	(POLICY_ACTION_REJECT + 1)
#define AGG_REASONS	10

enum agg_group_kind {
	AGG_GROUP_PARTNER = 0,
	AGG_GROUP_OTHER_PARTNERS,	/* partners beyond AGG_GROUPS_MAX */
	AGG_GROUP_NON_PARTNER,		/* partner=none: the defaults block */
};

struct agg_group {
	enum agg_group_kind kind;
	char name[DECISION_TOKEN_MAX];
	unsigned long total, tls, pfs;
	unsigned long versions[AGG_VERSIONS];
	unsigned long results[AGG_RESULTS];
	unsigned long actions[AGG_ACTIONS];	/* taken (not testing) */
	unsigned long would[AGG_ACTIONS];	/* testing: "would-ACTION" */
	unsigned long reasons[AGG_REASONS];	/* decisions with each reason */
	unsigned long untracked;	/* failures past the detail table's cap */
	unsigned long seen_testing;	/* fails logged with a would- action */
	unsigned long seen_enforce;	/* fails that were quarantined, deferred, rejected */
};

struct agg_day {
	long day;
	unsigned long total, tls, pfs, failed;
};

/* One failing combination: a sending host, a sender domain, the reasons. */
struct agg_detail {
	struct agg_detail *next;	/* hash chain */
	size_t group;
	unsigned reasons;
	enum policy_action action;	/* the policy's action */
	bool testing;
	enum verdict_result result;
	unsigned long count;
	const char *client_name;
	const char *client_ip;
	const char *sender_domain;
	const char *mta_host;
	char strings[];		/* the four strings above point here */
};

struct aggregate {
	struct agg_group groups[AGG_GROUPS_MAX + 2];
	size_t ngroups;
	size_t last_group;
	struct agg_day *days;	/* sorted by day */
	size_t ndays;
	struct agg_detail **buckets;
	size_t nbuckets;
	size_t ndetails;

	/* What the input held. */
	unsigned long lines, decisions, other, unparseable, out_of_period, filtered;
	unsigned long days_dropped;
	bool any_day;
	long first_day, last_day;
};

struct aggregate *aggregate_new(void);	/* NULL when out of memory */
void aggregate_free(struct aggregate *agg);	/* accepts NULL */

/* aggregate_add - count one decision; -1 when out of memory. */
int aggregate_add(struct aggregate *agg, const struct decision *d);

/* aggregate_group_order - group indexes: partners by name, others, non-partner. */
size_t aggregate_group_order(const struct aggregate *agg, size_t *order);

/* What a top list keeps. */
enum agg_select {
	AGG_SELECT_FAILURES,	/* every fail or temperror */
	AGG_SELECT_WOULD_BOUNCE,	/* testing, would defer or reject */
	AGG_SELECT_BOUNCE_IF_ENFORCED,	/* would or did defer or reject */
};

enum agg_key {
	AGG_KEY_HOST,		/* client name and IP */
	AGG_KEY_DOMAIN,		/* sender domain */
	AGG_KEY_DETAIL,		/* host, IP, domain, MTA, reasons, action */
};

struct agg_top {
	const struct agg_detail *first;	/* the strings of the key */
	unsigned reasons;	/* every reason of the merged entries */
	enum policy_action action;	/* the most severe action among them */
	bool testing;
	unsigned long count;
};

/*
 * aggregate_top - the max largest entries of one group, merged by key,
 * largest count first, ties by key; returns how many were stored and
 * sets *total to the number of distinct keys.  -1 when out of memory.
 */
long aggregate_top(const struct aggregate *agg, size_t group, enum agg_select select,
    enum agg_key key, struct agg_top *out, size_t max, size_t *total);

/* aggregate_bounces - decisions of a group that would (or did) defer, reject. */
void aggregate_bounces(const struct agg_group *g, bool what_if, unsigned long *defer,
    unsigned long *reject);

/* aggregate_group_label - "yandex", "non-partner mail" or "other partners". */
const char *aggregate_group_label(const struct agg_group *g);

/* aggregate_group_mode - "testing", "enforce", "mixed" (a reload between) or "unknown". */
const char *aggregate_group_mode(const struct agg_group *g);

/* aggregate_reason_name - the log's name of reason bit i. */
const char *aggregate_reason_name(size_t i);

#endif
