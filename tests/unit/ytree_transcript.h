/*
 * ytree_transcript.h - what a YAML parse called back, written down as text,
 * for tests/unit/test_ytree_pipe.c and tests/fuzz/fuzz_ytree_pipe.c.
 *
 * transcript_start() points a parse's callbacks at a transcript; each
 * stream_item becomes "item " and the item dumped node by node with
 * positions, each report "report LINE:COLUMN MESSAGE", one line each;
 * transcript_tree() ends it with "tree " and the final tree, or "tree
 * NULL".  Two parses did the same exactly when their transcripts are
 * equal strings.  Scalars are written with their byte count and
 * escaped, so bytes after a NUL count too.  Memory running out aborts.
 */
#ifndef TLSPOLICY_YTREE_TRANSCRIPT_H
#define TLSPOLICY_YTREE_TRANSCRIPT_H

#include <stddef.h>

#include "yaml_tree.h"

/* A growing string; { NULL, 0, 0 } is empty.  The owner frees s. */
struct text {
	char *s;
	size_t len;
	size_t cap;
};

void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * With a limit, the transcript is what ytree_pipe_parse_tuned() must show
 * when its max_records is that limit: the first limit calls and, when
 * there were more, "out of memory while reading YAML" and no tree.
 */
struct transcript {
	struct text text;
	size_t calls;		/* callbacks made, written down or not */
	size_t limit;		/* 0: write every call down; else only the first limit */
};

/* transcript_start - an empty transcript, and options that write into it. */
void transcript_start(struct transcript *t, struct ytree_options *options,
    const char *stream_key, size_t limit);

/* transcript_tree - append the final tree (NULL: none, or past the limit); does not free it. */
void transcript_tree(struct transcript *t, const struct ytree *tree);

/* transcript_difference - "got ..., want ..." from the line where they part. */
const char *transcript_difference(const char *want, const char *got, char *buf,
    size_t size);

#endif
