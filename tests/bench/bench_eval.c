#include "config.h"

/*
 * bench_eval - the policy engine alone: load time, peak RSS and the cost
 * of one decision, for a small and a large policy side by side.
 *
 * Usage: bench_eval [-r RUNS] [-s] BIG.yaml BIG.traffic SMALL.yaml SMALL.traffic
 *
 * The big policy is loaded first, in a fresh process, so that the peak
 * RSS (getrusage ru_maxrss) after its load is what loading it costs plus
 * the program itself.  Each traffic line (gen_policy.py's format) becomes
 * one struct session_facts, built before timing starts, cycling through
 * four TLS profiles (plaintext, TLS 1.2 RSA, TLS 1.2 ECDHE, TLS 1.3).
 * Then RUNS rounds alternate a timed pass over the small policy's
 * traffic with one over the big one's, and the medians of the per-pass
 * nanoseconds per decision are compared.  Each pass calls
 * policy_evaluate() at MAIL for every line; nothing is printed inside
 * the timed loop.  -s (smoke) skips the PASS/FAIL lines.
 *
 * Owns everything it allocates and frees it before exit, so that a
 * sanitizer build reports no leaks.  Errors: a message on stderr, exit 2.
 */

#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "facts.h"
#include "policy.h"
#include "tls.h"

#define BENCH_MAX_RUNS		101
#define BENCH_PASS_NS		5000000.0	/* aim for at least 5 ms per timed pass */
#define BENCH_LOAD_TARGET_S	0.5
#define BENCH_RSS_TARGET_KB	(64 * 1024)
#define BENCH_FLAT_TARGET	0.95

/* One loaded policy and the sessions to judge with it. */
struct bench_set {
	const char *policy_path;
	struct policy *policy;
	struct session_facts *facts;
	size_t count;
	double load_s;
	double ns[BENCH_MAX_RUNS];
};

/* A TLS profile as the MTA would report it. */
struct bench_profile {
	const char *version;
	const char *cipher;
	int bits;
};

static const struct bench_profile bench_profiles[] = {
	{NULL, NULL, 0},
	{"TLSv1.2", "AES256-GCM-SHA384", 256},
	{"TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", 256},
	{"TLSv1.3", "TLS_AES_256_GCM_SHA384", 256},
};

/* bench_now - monotonic seconds */
static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* bench_maxrss_kb - peak resident set of this process so far */
static long
bench_maxrss_kb(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return ru.ru_maxrss;
}

/* bench_die - report and leave */
static void
bench_die(const char *what, const char *detail)
{
	fprintf(stderr, "bench_eval: %s%s%s\n", what, detail != NULL ? ": " : "",
	    detail != NULL ? detail : "");
	exit(2);
}

/* bench_load - load one policy, timed; diagnostics to stderr */
static void
bench_load(struct bench_set *set)
{
	struct policy_diag diag;
	double start;
	size_t i;

	policy_diag_init(&diag);
	start = bench_now();
	set->policy = policy_load_file(set->policy_path, &diag);
	set->load_s = bench_now() - start;
	for (i = 0; i < diag.count && diag.errors > 0; i++)
		fprintf(stderr, "%s\n", diag.entries[i].text);
	policy_diag_free(&diag);
	if (set->policy == NULL)
		bench_die("cannot load policy", set->policy_path);
}

/* bench_fill_facts - one traffic line's fields into facts */
static void
bench_fill_facts(struct session_facts *facts, char **field, size_t n,
    const struct cipher_table *table)
{
	const struct bench_profile *profile = &bench_profiles[n % 4];
	char bracketed[64];

	facts_init(facts);
	facts->macros_seen = true;
	if (strcmp(field[2], "1") == 0) {
		facts_set_client(facts, field[1], field[0]);
	} else {
		snprintf(bracketed, sizeof(bracketed), "[%s]", field[0]);
		facts_set_client(facts, bracketed, field[0]);
	}
	facts_set_helo(facts, field[1]);
	facts_set_sender(facts, field[3]);
	if (profile->version == NULL)
		return;
	facts->tls = true;
	facts->tls_version = tls_version_parse(profile->version);
	facts->tls_version_text = strdup(profile->version);
	facts->cipher = strdup(profile->cipher);
	facts->cipher_bits = profile->bits;
	if (facts->tls_version_text == NULL || facts->cipher == NULL)
		bench_die("out of memory", NULL);
	cipher_classify(table, facts->tls_version, facts->cipher, &facts->cipher_class);
}

/* bench_split - cut a line at tabs into at most max fields */
static size_t
bench_split(char *line, char **field, size_t max)
{
	size_t n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		field[n++] = p;
		if ((p = strchr(p, '\t')) == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

/* bench_read_traffic - one struct session_facts per traffic line */
static void
bench_read_traffic(struct bench_set *set, const char *path, const struct cipher_table *table)
{
	char line[1024];
	char *field[6];
	size_t cap = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		bench_die("cannot read traffic", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (bench_split(line, field, 6) < 5)
			continue;
		if (set->count == cap) {
			struct session_facts *grown;

			cap = cap != 0 ? cap * 2 : 256;
			if ((grown = realloc(set->facts, cap * sizeof(*grown))) == NULL)
				bench_die("out of memory", NULL);
			set->facts = grown;
		}
		bench_fill_facts(&set->facts[set->count], field, set->count, table);
		set->count++;
	}
	fclose(fp);
	if (set->count == 0)
		bench_die("no sessions in traffic", path);
}

/* bench_pass - judge every session `repeat` times; ns per decision */
static double
bench_pass(const struct bench_set *set, size_t repeat, unsigned long *sink)
{
	struct verdict verdict;
	double start;
	size_t r, i;

	start = bench_now();
	for (r = 0; r < repeat; r++) {
		for (i = 0; i < set->count; i++) {
			policy_evaluate(set->policy, &set->facts[i], NULL, &verdict);
			*sink += (unsigned long)verdict.result + verdict.reasons
			    + (verdict.partner != NULL);
		}
	}
	return (bench_now() - start) * 1e9 / (double)(repeat * set->count);
}

/* bench_cmp - qsort order of doubles */
static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* bench_median - median of n values (sorts them) */
static double
bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* bench_set_free - the policy and the facts */
static void
bench_set_free(struct bench_set *set)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		facts_free(&set->facts[i]);
	free(set->facts);
	policy_unref(set->policy);
}

/* bench_verdict - one PASS/FAIL line */
static void
bench_verdict(bool smoke, const char *what, bool ok)
{
	if (!smoke)
		printf("%s: %s\n", ok ? "PASS" : "FAIL", what);
}

int
main(int argc, char **argv)
{
	struct bench_set big = {0}, small = {0};
	struct cipher_table *table;
	unsigned long sink = 0;
	size_t runs = 15, repeat, r;
	long rss_before, rss_after;
	double ns_small, ns_big, ratio, probe;
	bool smoke = false;
	char err[256];
	int ch;

	while ((ch = getopt(argc, argv, "r:s")) != -1) {
		if (ch == 'r')
			runs = strtoul(optarg, NULL, 10);
		else if (ch == 's')
			smoke = true;
		else
			bench_die("usage: bench_eval [-r RUNS] [-s] BIG.yaml BIG.traffic "
			    "SMALL.yaml SMALL.traffic", NULL);
	}
	if (argc - optind != 4 || runs < 1 || runs > BENCH_MAX_RUNS)
		bench_die("usage: bench_eval [-r RUNS(1..101)] [-s] BIG.yaml BIG.traffic "
		    "SMALL.yaml SMALL.traffic", NULL);
	big.policy_path = argv[optind];
	small.policy_path = argv[optind + 2];

	rss_before = bench_maxrss_kb();
	bench_load(&big);
	rss_after = bench_maxrss_kb();
	bench_load(&small);
	if ((table = cipher_table_new(err, sizeof(err))) == NULL)
		bench_die("cipher table", err);
	bench_read_traffic(&big, argv[optind + 1], table);
	bench_read_traffic(&small, argv[optind + 3], table);

	/* Size a pass from untimed warm-ups: the first one runs on cold caches. */
	probe = bench_pass(&big, 1, &sink);
	probe = bench_pass(&big, 1, &sink);
	(void)bench_pass(&small, 1, &sink);
	repeat = (size_t)(BENCH_PASS_NS / (probe * (double)big.count)) + 1;
	for (r = 0; r < runs; r++) {
		small.ns[r] = bench_pass(&small, repeat, &sink);
		big.ns[r] = bench_pass(&big, repeat, &sink);
	}
	ns_small = bench_median(small.ns, runs);
	ns_big = bench_median(big.ns, runs);
	ratio = ns_small / ns_big;

	printf("policy %s: %zu partners, %zu selectors, loaded in %.3f s, "
	    "peak RSS %.1f MiB (%.1f MiB before loading)\n", big.policy_path,
	    policy_partner_count(big.policy), policy_selector_count(big.policy), big.load_s,
	    (double)rss_after / 1024.0, (double)rss_before / 1024.0);
	printf("evaluate: %zu partners %.0f ns/decision, %zu partners %.0f ns/decision "
	    "(median of %zu passes of %zu decisions; checksum %lu)\n",
	    policy_partner_count(small.policy), ns_small, policy_partner_count(big.policy),
	    ns_big, runs, repeat * big.count, sink % 1000);
	printf("ratio: decisions/s big/small %.2fx\n", ratio);
	bench_verdict(smoke, "target 4: big policy loads in < 0.5 s", big.load_s < BENCH_LOAD_TARGET_S);
	bench_verdict(smoke, "target 4: big policy peak RSS < 64 MiB", rss_after < BENCH_RSS_TARGET_KB);
	bench_verdict(smoke, "evaluation alone flat in policy size (>= 0.95x)",
	    ratio >= BENCH_FLAT_TARGET);

	bench_set_free(&big);
	bench_set_free(&small);
	cipher_table_free(table);
	return 0;
}
