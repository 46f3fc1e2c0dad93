/*
 * yaml_tree.h - a YAML document as a small immutable tree, private to policy/.
 *
 * ytree_parse() turns libyaml's events into nodes that know where they
 * were written.  It accepts only what a policy file needs: one document,
 * no anchors or aliases, no tags, scalar mapping keys without
 * duplicates, at most YTREE_MAX_DEPTH nested collections.  Everything
 * else is reported through options->report with a position and, when
 * the tree cannot be trusted, ytree_parse() returns NULL.
 *
 * Large policies: when options->stream_key names a key of the root
 * mapping whose value is a sequence, each item of that sequence is
 * handed to options->stream_item as soon as it is complete and then
 * freed, so a file with 100,000 partners never holds more than one
 * partner's nodes at a time.  The sequence itself stays in the tree with
 * no items and "streamed" set.  With options->item_arena set, the items'
 * nodes and strings are allocated there instead and not freed after
 * stream_item: the callback owns them then (ytree_pipe.c hands them to
 * another thread that way).
 */
#ifndef TLSPOLICY_YAML_TREE_H
#define TLSPOLICY_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YTREE_MAX_DEPTH	32
#define YTREE_QUOTE_SIZE	400	/* enough for any ytree_quote() result */
#define POLICY_MAX_SIZE		(64u * 1024 * 1024)	/* largest policy file read */

enum ynode_kind {
	YNODE_SCALAR = 1,
	YNODE_SEQUENCE,
	YNODE_MAPPING,
};

struct ynode {
	unsigned line;			/* 1-based */
	unsigned column;		/* 1-based, in characters */
	unsigned char kind;		/* enum ynode_kind */
	bool plain;			/* scalar written without quotes */
	bool streamed;			/* sequence whose items went to stream_item */
	uint32_t count;			/* scalar: bytes; sequence: items; mapping: 2 * pairs */
	union {
		const char *text;		/* scalar, NUL-terminated */
		const struct ynode *items;	/* sequence items; mapping: key, value, key, ... */
	} u;
};

/*
 * yarena - memory handed out in aligned pieces from big blocks and
 * given back all at once.  Emptied blocks are kept as spares for the
 * next allocations, so a reused arena stops calling malloc().
 */
struct yarena_block;
struct yarena {
	struct yarena_block *blocks;	/* in use, newest first */
	struct yarena_block *spare;	/* emptied, for reuse */
	size_t block_size;		/* bytes per block; 0: 64 KiB */
	size_t taken;			/* bytes of the blocks in use */
};

void *yarena_alloc(struct yarena *arena, size_t size);	/* NULL: no memory */
void yarena_reset(struct yarena *arena);	/* all freed; the blocks become spares */
void yarena_clear(struct yarena *arena);	/* all freed, spares too */

struct ytree_options {
	const char *stream_key;		/* NULL: keep every node */
	void (*stream_item)(void *context, const struct ynode *item);
	void (*report)(void *context, unsigned line, unsigned column, const char *message);
	void *context;
	struct yarena *item_arena;	/* NULL: streamed items are freed after stream_item */
};

struct ytree;

/*
 * ytree_parse - parse data (size bytes, need not be NUL-terminated).
 * Returns the tree, or NULL after reporting why there is none (syntax
 * error, bad bytes, empty file or document, several documents, alias or
 * anchor, too deep, out of memory).  A tree can come back with errors
 * reported (duplicate keys, tags, keys that are not scalars): the caller
 * counts what report received.  A report at line 0 has no position.
 */
struct ytree *ytree_parse(const char *data, size_t size, const struct ytree_options *options);

/*
 * ytree_parse_fd - the same, reading fd (a regular file, for positions
 * of bad bytes, which are found again with pread()).  Also reports
 * "cannot read: REASON" and "file larger than 64 MiB" without position.
 */
struct ytree *ytree_parse_fd(int fd, const struct ytree_options *options);
const struct ynode *ytree_root(const struct ytree *tree);
void ytree_free(struct ytree *tree);	/* accepts NULL */

/* Mapping pairs and sequence items. */
size_t ynode_pairs(const struct ynode *mapping);
const struct ynode *ynode_key(const struct ynode *mapping, size_t i);
const struct ynode *ynode_value(const struct ynode *mapping, size_t i);

/* ynode_is_null - a plain empty, "~" or "null" scalar: a key with no value. */
bool ynode_is_null(const struct ynode *node);

/* ynode_kind_name - "a mapping", "a list", "a string" (for messages). */
const char *ynode_kind_name(const struct ynode *node);

/*
 * ytree_quote - text in double quotes for a message: control bytes,
 * '"' and '\' escaped, cut after 80 bytes with "...".  Returns buf.
 */
const char *ytree_quote(const char *text, char *buf, size_t size);

#endif
