/*
 * ytree_transcript.c - write down every callback of a YAML parse.
 *
 * The callbacks append to a struct text, a string that doubles its
 * buffer as it grows; the caller owns it and frees text.s.  A node is
 * dumped on one line: "LINE:COLUMN" and then a scalar as =TEXT/COUNT
 * (="TEXT"/COUNT when quoted) with control bytes, '"' and '\' escaped,
 * or a collection as { ... } or [ ... ] ("[streamed" when its items
 * went to stream_item).  With a limit, calls past it are counted, not
 * written, and the end is what a pipe that lost its records there
 * shows.  No Check assertions here: this runs millions of times in the
 * unit tests and inside the fuzzer, so a failed allocation aborts.
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ytree_transcript.h"

/* text_reserve - room for len more bytes and a NUL; aborts when memory is short. */
static void
text_reserve(struct text *t, size_t len)
{
	if (t->len + len < t->cap)
		return;
	t->cap = (t->cap + len + 1) * 2;
	if ((t->s = realloc(t->s, t->cap)) == NULL)
		abort();
}

/* text_add - append formatted text. */
void
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
		text_reserve(t, (size_t)n);
	}
	t->len += (size_t)n;
}

/* text_add_escaped - append len bytes, control bytes, '"' and '\' as \xNN. */
static void
text_add_escaped(struct text *t, const char *bytes, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;

	text_reserve(t, 4 * len);
	for (i = 0; i < len; i++) {
		c = (unsigned char)bytes[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
			t->s[t->len++] = '\\';
			t->s[t->len++] = 'x';
			t->s[t->len++] = hex[c >> 4];
			t->s[t->len++] = hex[c & 0xf];
		} else {
			t->s[t->len++] = (char)c;
		}
	}
	t->s[t->len] = '\0';
}

/* dump - a node and everything under it, on one line. */
static void
dump(struct text *t, const struct ynode *node)
{
	uint32_t i;

	text_add(t, "%u:%u", node->line, node->column);
	if (node->kind == YNODE_SCALAR) {
		text_add(t, node->plain ? "=" : "=\"");
		text_add_escaped(t, node->u.text, node->count);
		text_add(t, node->plain ? "/%u" : "\"/%u", node->count);
		return;
	}
	text_add(t, node->kind == YNODE_MAPPING ? "{" : node->streamed ? "[streamed" : "[");
	for (i = 0; i < node->count; i++) {
		text_add(t, " ");
		dump(t, &node->u.items[i]);
	}
	text_add(t, node->kind == YNODE_MAPPING ? "}" : "]");
}

/* count_call - count one callback; false when it is past the limit. */
static bool
count_call(struct transcript *t)
{
	t->calls++;
	return t->limit == 0 || t->calls <= t->limit;
}

/* record_item - stream_item: write the item down. */
static void
record_item(void *context, const struct ynode *item)
{
	struct transcript *t = context;

	if (!count_call(t))
		return;
	text_add(&t->text, "item ");
	dump(&t->text, item);
	text_add(&t->text, "\n");
}

/* record_report - report: write the message down with its position. */
static void
record_report(void *context, unsigned line, unsigned column, const char *message)
{
	struct transcript *t = context;

	if (!count_call(t))
		return;
	text_add(&t->text, "report %u:%u ", line, column);
	text_add_escaped(&t->text, message, strlen(message));
	text_add(&t->text, "\n");
}

/* transcript_start - an empty transcript, and options that write into it. */
void
transcript_start(struct transcript *t, struct ytree_options *options,
    const char *stream_key, size_t limit)
{
	memset(t, 0, sizeof(*t));
	t->limit = limit;
	text_add(&t->text, "%s", "");	/* text.s is a string from the start */
	memset(options, 0, sizeof(*options));
	options->stream_key = stream_key;
	options->stream_item = record_item;
	options->report = record_report;
	options->context = t;
}

/* transcript_tree - append the final tree (NULL: none, or past the limit); does not free it. */
void
transcript_tree(struct transcript *t, const struct ytree *tree)
{
	if (t->limit != 0 && t->calls > t->limit) {
		/* What the pipe reports when it has lost records, and no tree. */
		text_add(&t->text, "report 0:0 out of memory while reading YAML\n");
		tree = NULL;
	}
	text_add(&t->text, "tree ");
	if (tree != NULL)
		dump(&t->text, ytree_root(tree));
	else
		text_add(&t->text, "NULL");
}

/* transcript_difference - "got ..., want ..." from the line where they part. */
const char *
transcript_difference(const char *want, const char *got, char *buf, size_t size)
{
	size_t i = 0;
	size_t line = 0;

	while (want[i] != '\0' && want[i] == got[i]) {
		if (want[i] == '\n')
			line = i + 1;
		i++;
	}
	snprintf(buf, size, "\"%.120s\", want \"%.120s\"", got + line, want + line);
	return buf;
}
