/*
 * test_ytree_pipe.c - the two-thread parse reports and streams exactly
 * what the one-thread parse does.
 *
 * Stream: named inputs, many of them big enough for the pipe to hand
 * over many batches, go through ytree_parse*() and ytree_pipe_parse();
 * every callback is written down (items dumped node by node, reports
 * with their positions) and the two transcripts, and the trees left at
 * the end, must be the same.  Inputs are parsed from memory and from a
 * file, where bad bytes are found again with pread().
 *
 * Tuned: the same cases through pipes of a few hundred bytes, so that
 * batches change hands thousands of times and A waits on a full ring,
 * and through the sequential fallback.  Out of memory: when stage A
 * loses records (ytree_pipe_tuning's max_records stands in for a failed
 * allocation), the caller sees the calls before, then "out of memory
 * while reading YAML", and no tree.
 *
 * Policy: generated policies with 20,000 partners (big enough for the
 * loader to use the second thread) and errors and warnings of the tree
 * builder and of the compiler sprinkled at known lines, some at the
 * same position, loaded through policy_load_buffer();
 * the diagnostics must be exactly the expected list, in order, and the
 * partners must be in file order.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy_int.h"
#include "unit.h"
#include "yaml_tree.h"
#include "ytree_pipe.h"
#include "ytree_transcript.h"

/* Partners take about 700 bytes of nodes each: both make several batches of the pipe. */
#define STREAM_BIG	8000
#define BIG		20000

/* parse - parse yaml one way: sequentially (tuning NULL) or through the pipe. */
static struct ytree *
parse(const char *yaml, bool from_file, const struct ytree_pipe_tuning *tuning,
    const struct ytree_options *options)
{
	struct ytree *tree;
	char path[] = "/tmp/test_ytree_pipe.XXXXXX";
	size_t len = strlen(yaml);
	int fd = -1;

	if (from_file) {
		fd = mkstemp(path);
		ck_assert_int_ge(fd, 0);
		unlink(path);
		ck_assert_int_eq(write(fd, yaml, len), (ssize_t)len);
		ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	}
	if (tuning != NULL)
		tree = ytree_pipe_parse_tuned(fd, yaml, len, options, tuning);
	else if (from_file)
		tree = ytree_parse_fd(fd, options);
	else
		tree = ytree_parse(yaml, len, options);
	if (fd >= 0)
		close(fd);
	return tree;
}

/* transcript - what the callbacks saw, then the tree (see ytree_transcript.h). */
static char *
transcript(const char *yaml, bool from_file, const struct ytree_pipe_tuning *tuning,
    const char *key)
{
	struct ytree_options options;
	struct transcript t;
	struct ytree *tree;

	transcript_start(&t, &options, key, 0);
	tree = parse(yaml, from_file, tuning, &options);
	transcript_tree(&t, tree);
	ytree_free(tree);
	return t.text.s;
}

/* Partner i of a generated file: tree errors on some, two anchors apart. */
static void
add_partner(struct text *t, size_t i)
{
	text_add(t, "  - name: p%zu\n    match:\n      sender_domains: [p%zu.example]\n", i, i);
	if (i % 7 == 3)
		text_add(t, "    action: tag\n    action: !t reject\n");	/* duplicate, tag */
	if (i % 11 == 5)
		text_add(t, "    reply: \"x\\0y\"\n");	/* NUL */
	if (i % 13 == 6)
		text_add(t, "    require: {tls: true, tls: false}\n");
}

/* big_yaml - STREAM_BIG partners, then what follows (a tail that may be bad). */
static char *
big_yaml(const char *head, const char *tail)
{
	struct text t = { NULL, 0, 0 };
	size_t i;

	text_add(&t, "%s", head);
	for (i = 0; i < STREAM_BIG; i++)
		add_partner(&t, i);
	text_add(&t, "%s", tail);
	return t.s;
}

struct stream_case {
	const char *name;
	const char *head;	/* before STREAM_BIG partners; NULL: yaml alone */
	const char *yaml;	/* after them */
	const char *key;	/* stream_key */
	bool file;		/* also parse it from a file */
};

static const struct stream_case stream_cases[] = {
	{ "small", NULL, "version: 1\npartners:\n  - name: a\n", "partners", true },
	{ "empty file", NULL, "", "partners", false },
	{ "empty document", NULL, "---\n...\n", "partners", false },
	{ "not streamed", NULL, "version: 1\npartners: {a: 1, a: 2}\n", "partners", false },
	{ "no stream key", "version: 1\npartners:\n", "", NULL, false },
	{ "big", "version: 1\npartners:\n", "", "partners", false },
	{ "big, reports after", "version: 1\nsettings: {mode: a}\npartners:\n",
	    "settings: {mode: b, mode: c}\nexempt: !t {}\n", "partners", false },
	{ "big, streamed twice", "version: 1\npartners:\n",
	    "partners:\n  - name: again\n  - !t x\n", "partners", false },
	{ "big, syntax error", "version: 1\npartners:\n", "  - name: [unclosed\n",
	    "partners", true },
	{ "big, bad byte", "version: 1\npartners:\n", "  - name: \001\n", "partners", true },
	{ "big, alias", "version: 1\npartners:\n", "  - *a\n", "partners", false },
	{ "big, second document", "version: 1\npartners:\n", "---\nversion: 1\n",
	    "partners", false },
	{ "big, too deep", "version: 1\npartners:\n",
	    "  - [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
	    "partners", false },
	{ "big, empty items", "version: 1\npartners:\n", "  -\n  - ~\n  - []\n",
	    "partners", false },
};

/*
 * Pipes of a few hundred bytes: every item or few make a batch, so the
 * big inputs hand over thousands; with one slot A finds the ring full
 * and waits for B at nearly every one.  "no thread" is the sequential
 * fallback taken when no thread can be started.
 */
static const struct {
	const char *name;
	struct ytree_pipe_tuning tuning;
} tunings[] = {
	{ "tiny batches, 1 slot", { .first_batch = 64, .max_batch = 256,
	    .block_size = 256, .slots = 1 } },
	{ "tiny batches, 2 slots", { .first_batch = 1, .max_batch = 1024,
	    .block_size = 128, .slots = 2 } },
	{ "a batch per item, 4 slots", { .first_batch = 1, .max_batch = 1,
	    .block_size = 0, .slots = 4 } },
	{ "no thread", { .first_batch = 64, .max_batch = 256, .block_size = 256,
	    .slots = 1, .no_thread = true } },
};

#define TUNINGS	(sizeof(tunings) / sizeof(tunings[0]))

/* check_stream - piped with tuning and sequential transcripts of a case are the same. */
static void
check_stream(const struct stream_case *tc, const struct ytree_pipe_tuning *tuning,
    const char *tuning_name)
{
	char *yaml = tc->head != NULL ? big_yaml(tc->head, tc->yaml) : strdup(tc->yaml);
	char why[400];
	char *want;
	char *got;
	int from_file;

	ck_assert_ptr_nonnull(yaml);
	for (from_file = 0; from_file <= (int)tc->file; from_file++) {
		want = transcript(yaml, from_file, NULL, tc->key);
		got = transcript(yaml, from_file, tuning, tc->key);
		ck_assert_msg(strcmp(got, want) == 0, "%s (%s, %s): got %s",
		    tc->name, from_file ? "file" : "memory", tuning_name,
		    transcript_difference(want, got, why, sizeof(why)));
		free(want);
		free(got);
	}
	free(yaml);
}

/* test_stream - with the default pipe. */
START_TEST(test_stream)
{
	check_stream(&stream_cases[_i], &ytree_pipe_defaults, "defaults");
}
END_TEST

/* test_stream_tuned - every case with every tuning: hand-overs, full ring, no thread. */
START_TEST(test_stream_tuned)
{
	check_stream(&stream_cases[_i / TUNINGS], &tunings[_i % TUNINGS].tuning,
	    tunings[_i % TUNINGS].name);
}
END_TEST

/* calls_of - how many callbacks the sequential parse of yaml makes. */
static size_t
calls_of(const char *yaml, const char *key)
{
	struct ytree_options options;
	struct transcript t;

	transcript_start(&t, &options, key, 0);
	ytree_free(parse(yaml, false, NULL, &options));
	free(t.text.s);
	return t.calls;
}

/*
 * want_out_of_memory - what the pipe must show when its records run out
 * after limit: the sequential parse's first limit calls, then the
 * pipe's report and no tree; all of it when there are no more calls.
 */
static char *
want_out_of_memory(const char *yaml, const char *key, size_t limit)
{
	struct ytree_options options;
	struct transcript t;
	struct ytree *tree;

	transcript_start(&t, &options, key, limit);
	tree = parse(yaml, false, NULL, &options);
	transcript_tree(&t, tree);
	ytree_free(tree);
	return t.text.s;
}

/* Inputs whose records run out, with reports before, among and after the items. */
static const struct stream_case memory_cases[] = {
	{ "small", NULL, "version: 1\nsettings: {a: 1, a: 2}\npartners:\n"
	    "  - name: a\n  - !t b\n  - {c: 1, c: 2}\nexempt: !t {}\n", "partners", false },
	{ "big, reports after", "version: 1\nsettings: {mode: a}\npartners:\n",
	    "settings: {mode: b, mode: c}\nexempt: !t {}\n", "partners", false },
};

/*
 * test_out_of_memory - records lost at the first, second, middle, last
 * call and none: the calls before, then "out of memory while reading
 * YAML" and NULL, with the default and with a tiny pipe.
 */
START_TEST(test_out_of_memory)
{
	const struct stream_case *tc = &memory_cases[_i];
	char *yaml = tc->head != NULL ? big_yaml(tc->head, tc->yaml) : strdup(tc->yaml);
	struct ytree_pipe_tuning tuning;
	size_t calls;
	size_t limits[6];
	size_t i;
	size_t k;
	char why[400];
	char *want;
	char *got;

	ck_assert_ptr_nonnull(yaml);
	calls = calls_of(yaml, tc->key);
	ck_assert_msg(calls >= 6, "%s: got %zu calls, want 6 or more", tc->name, calls);
	limits[0] = 1;
	limits[1] = 2;
	limits[2] = calls / 2;
	limits[3] = calls - 1;
	limits[4] = calls;
	limits[5] = calls + 1;
	for (k = 0; k < 2; k++) {
		tuning = k == 0 ? ytree_pipe_defaults : tunings[0].tuning;
		for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
			tuning.max_records = limits[i];
			want = want_out_of_memory(yaml, tc->key, limits[i]);
			got = transcript(yaml, false, &tuning, tc->key);
			ck_assert_msg(strcmp(got, want) == 0, "%s (%s, records for %zu of %zu "
			    "calls): got %s", tc->name, k == 0 ? "defaults" : tunings[0].name,
			    limits[i], calls, transcript_difference(want, got, why, sizeof(why)));
			free(want);
			free(got);
		}
	}
	free(yaml);
}
END_TEST

/* Partner i of a generated policy: compiler and tree messages at known lines. */
static void
add_policy_partner(struct text *yaml, struct text *want, unsigned *line, size_t i,
    bool errors)
{
	unsigned at = *line;

	text_add(yaml, "  - name: p%zu\n    match:\n", i);
	if (i % 17 == 8) {
		text_add(yaml, "      sender_domains: [p%zu.example, p0.example]\n", i);
		text_add(want, "t.yaml:%u:%d: warning: sender_domains \"p0.example\" of "
		    "partner \"p%zu\" is also listed by partner \"p0\" at line 5, "
		    "column 24; the first partner in the file wins\n", at + 2,
		    24 + snprintf(NULL, 0, "p%zu.example, ", i), i);
	} else {
		text_add(yaml, "      sender_domains: [p%zu.example]\n", i);
	}
	*line += 3;
	if (!errors)
		return;
	if (i % 7 == 3) {
		/* The tree's message and the compiler's at one position: tree first. */
		text_add(yaml, "    mood: x\n    mood: y\n");
		text_add(want, "t.yaml:%u:5: unknown key \"mood\" in partner \"p%zu\"; "
		    "expected name, mode, match, require, action or reply\n", at + 3, i);
		text_add(want, "t.yaml:%u:5: duplicate key \"mood\" (first at line %u, "
		    "column 5)\n", at + 4, at + 3);
		text_add(want, "t.yaml:%u:5: unknown key \"mood\" in partner \"p%zu\"; "
		    "expected name, mode, match, require, action or reply\n", at + 4, i);
		*line += 2;
	}
	if (i % 11 == 5) {
		text_add(yaml, "    action: !t tag\n");
		text_add(want, "t.yaml:%u:13: YAML tags (!name) are not allowed\n", *line);
		*line += 1;
	}
	if (i % 13 == 6) {
		text_add(yaml, "    reply: \"x\\0y\"\n");
		text_add(want, "t.yaml:%u:12: NUL character in a string\n", *line);
		text_add(want, "t.yaml:%u:12: reply: a reply is only sent with action "
		    "defer or reject, not tag\n", *line);
		*line += 1;
	}
}

/* policy_yaml - BIG partners with messages; fills want with every diagnostic. */
static char *
policy_yaml(struct text *want, bool errors)
{
	struct text yaml = { NULL, 0, 0 };
	unsigned line = 3;
	size_t i;

	text_add(&yaml, "version: 1\npartners:\n");
	for (i = 0; i < BIG; i++)
		add_policy_partner(&yaml, want, &line, i, errors);
	if (errors) {
		text_add(&yaml, "settings:\n  mode: fast\n  mode: slow\n");
		text_add(want, "t.yaml:%u:9: mode: expected enforce or testing, got "
		    "\"fast\"\n", line + 1);
		text_add(want, "t.yaml:%u:3: duplicate key \"mode\" (first at line %u, "
		    "column 3)\n", line + 2, line + 1);
		text_add(want, "t.yaml:%u:9: mode: expected enforce or testing, got "
		    "\"slow\"\n", line + 2);
	}
	return yaml.s;
}

/* test_policy - diagnostics in order, partners in file order. */
START_TEST(test_policy)
{
	bool errors = _i == 1;
	struct text want = { NULL, 0, 0 };
	struct text got = { NULL, 0, 0 };
	struct policy_diag diag;
	struct policy *policy;
	char *yaml = policy_yaml(&want, errors);
	char why[400];
	char name[32];
	size_t bad = SIZE_MAX;
	size_t i;

	/* policy_compile.c's PIPE_MIN_SIZE: smaller policies parse in one thread. */
	ck_assert_msg(strlen(yaml) >= 1024 * 1024, "policy of %zu bytes, want 1 MiB "
	    "or more", strlen(yaml));
	policy_diag_init(&diag);
	policy = policy_load_buffer("t.yaml", yaml, strlen(yaml), &diag);
	for (i = 0; i < diag.count; i++)
		text_add(&got, "%s\n", diag.entries[i].text);
	ck_assert_msg(want.len > 0 && strcmp(got.s, want.s) == 0, "%s: got %s",
	    errors ? "errors" : "warnings", transcript_difference(want.s, got.s, why,
	    sizeof(why)));
	if (errors) {
		ck_assert_msg(policy == NULL, "errors: got a policy, want none");
	} else {
		ck_assert_ptr_nonnull(policy);
		ck_assert_uint_eq(policy->partner_count, BIG);
		for (i = 0; i < BIG && bad == SIZE_MAX; i++) {
			snprintf(name, sizeof(name), "p%zu", i);
			if (strcmp(policy->partners[i].name, name) != 0 ||
			    policy->partners[i].line != 3 + 3 * i)
				bad = i;
		}
		ck_assert_msg(bad == SIZE_MAX, "partner %zu: got %s at line %u, want "
		    "p%zu at line %zu", bad, policy->partners[bad].name,
		    policy->partners[bad].line, bad, 3 + 3 * bad);
	}
	policy_unref(policy);
	policy_diag_free(&diag);
	free(yaml);
	free(want.s);
	free(got.s);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *s = suite_create("ytree_pipe");
	TCase *tc = tcase_create("pipe");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_stream, 0, sizeof(stream_cases) / sizeof(stream_cases[0]));
	tcase_add_loop_test(tc, test_stream_tuned, 0,
	    sizeof(stream_cases) / sizeof(stream_cases[0]) * TUNINGS);
	tcase_add_loop_test(tc, test_out_of_memory, 0,
	    sizeof(memory_cases) / sizeof(memory_cases[0]));
	tcase_add_loop_test(tc, test_policy, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
