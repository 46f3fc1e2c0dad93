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
 * Policy: generated policies with 20,000 partners (big enough for the
 * loader to use the second thread) and errors and warnings of the tree
 * builder and of the compiler sprinkled at known lines, some at the
 * same position, loaded through policy_load_buffer();
 * the diagnostics must be exactly the expected list, in order, and the
 * partners must be in file order.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy_int.h"
#include "unit.h"
#include "yaml_tree.h"
#include "ytree_pipe.h"

/* Partners take about 700 bytes of nodes each: both make several batches of the pipe. */
#define STREAM_BIG	8000
#define BIG		20000

/* A growing string. */
struct text {
	char *s;
	size_t len;
	size_t cap;
};

static void text_add(struct text *, const char *, ...) __attribute__((format(printf, 2, 3)));

/*
 * text_add - append formatted text; aborts when memory is short.  No
 * ck_assert here: in fork mode each one writes to the parent, and this
 * runs millions of times.
 */
static void
text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s != NULL ? t->s + t->len : NULL, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			abort();
		if (t->len + (size_t)n < t->cap)
			break;
		t->cap = (t->cap + (size_t)n + 1) * 2;
		if ((t->s = realloc(t->s, t->cap)) == NULL)
			abort();
	}
	t->len += (size_t)n;
}

/* dump - a node and everything under it, on one line. */
static void
dump(struct text *t, const struct ynode *node)
{
	uint32_t i;

	text_add(t, "%u:%u", node->line, node->column);
	if (node->kind == YNODE_SCALAR) {
		text_add(t, node->plain ? "=%s" : "=\"%s\"/%u", node->u.text, node->count);
		return;
	}
	text_add(t, node->kind == YNODE_MAPPING ? "{" : node->streamed ? "[streamed" : "[");
	for (i = 0; i < node->count; i++) {
		text_add(t, " ");
		dump(t, &node->u.items[i]);
	}
	text_add(t, node->kind == YNODE_MAPPING ? "}" : "]");
}

/* record_item - stream_item: write the item down. */
static void
record_item(void *context, const struct ynode *item)
{
	text_add(context, "item ");
	dump(context, item);
	text_add(context, "\n");
}

/* record_report - report: write the message down with its position. */
static void
record_report(void *context, unsigned line, unsigned column, const char *message)
{
	text_add(context, "report %u:%u %s\n", line, column, message);
}

/* transcript - parse yaml one way and return what the callbacks saw, then the tree. */
static char *
transcript(const char *yaml, bool from_file, bool piped, const char *key)
{
	struct ytree_options options;
	struct text t = { NULL, 0, 0 };
	struct ytree *tree;
	char path[] = "/tmp/test_ytree_pipe.XXXXXX";
	size_t len = strlen(yaml);
	int fd = -1;

	memset(&options, 0, sizeof(options));
	options.stream_key = key;
	options.stream_item = record_item;
	options.report = record_report;
	options.context = &t;
	if (from_file) {
		fd = mkstemp(path);
		ck_assert_int_ge(fd, 0);
		unlink(path);
		ck_assert_int_eq(write(fd, yaml, len), (ssize_t)len);
		ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	}
	if (piped)
		tree = ytree_pipe_parse(fd, yaml, len, &options);
	else if (from_file)
		tree = ytree_parse_fd(fd, &options);
	else
		tree = ytree_parse(yaml, len, &options);
	if (fd >= 0)
		close(fd);
	text_add(&t, "tree ");
	if (tree != NULL)
		dump(&t, ytree_root(tree));
	else
		text_add(&t, "NULL");
	ytree_free(tree);
	return t.s;
}

/* first_difference - got b, want a, from the line where they part. */
static const char *
first_difference(const char *a, const char *b, char *buf, size_t size)
{
	size_t i = 0;
	size_t line = 0;

	while (a[i] != '\0' && a[i] == b[i]) {
		if (a[i] == '\n')
			line = i + 1;
		i++;
	}
	snprintf(buf, size, "\"%.120s\", want \"%.120s\"", b + line, a + line);
	return buf;
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

/* test_stream - piped and sequential transcripts are the same. */
START_TEST(test_stream)
{
	const struct stream_case *tc = &stream_cases[_i];
	char *yaml = tc->head != NULL ? big_yaml(tc->head, tc->yaml) : strdup(tc->yaml);
	char why[400];
	char *want;
	char *got;
	int from_file;

	ck_assert_ptr_nonnull(yaml);
	for (from_file = 0; from_file <= (int)tc->file; from_file++) {
		want = transcript(yaml, from_file, false, tc->key);
		got = transcript(yaml, from_file, true, tc->key);
		ck_assert_msg(strcmp(got, want) == 0, "%s (%s): got %s",
		    tc->name, from_file ? "file" : "memory",
		    first_difference(want, got, why, sizeof(why)));
		free(want);
		free(got);
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
	    errors ? "errors" : "warnings", first_difference(want.s, got.s, why,
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
	tcase_add_loop_test(tc, test_policy, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
