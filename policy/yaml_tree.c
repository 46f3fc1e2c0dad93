/*
 * yaml_tree.c - build a positioned node tree from libyaml's event stream.
 *
 * libyaml does the lexing, UTF-8 checking and YAML grammar; this module
 * keeps a stack of open collections (one frame per nesting level, at
 * most YTREE_MAX_DEPTH) and, when a collection closes, copies its
 * children into one array.  Every node and string lives in an arena
 * owned by the tree, freed at once by ytree_free(); the frames' child
 * buffers are reused from one collection to the next, so building costs
 * about one allocation per 64 KiB of tree.
 *
 * Streaming (see yaml_tree.h): the arena position is marked when the
 * streamed sequence opens and rewound after each item has been handed
 * over, which frees the item's nodes and strings.  When the caller gives
 * an arena for the items, they are built there instead and never
 * rewound: the caller takes them away whole (ytree_pipe.c).
 *
 * What is refused, and why: aliases and anchors (expansion bombs, and
 * a policy has no use for them), tags (they would change what a value
 * means behind the loader's back), several documents (which one is the
 * policy?), duplicate keys (YAML says the result is undefined; libyaml
 * keeps both), keys that are not scalars, nesting deeper than 32.
 * Duplicate keys in big mappings are found through a small hash on the
 * frame, so a hostile file cannot make this quadratic.
 *
 * Input: a buffer, or a file descriptor read through libyaml's own
 * small buffer, so that a big policy file is never held whole in
 * memory; reading stops with an error past POLICY_MAX_SIZE bytes.
 *
 * Positions: libyaml marks are 0-based; nodes carry them 1-based.
 * libyaml's reader errors (bad UTF-8, control characters) give a byte
 * offset instead of a mark; it is turned into line and column here, for
 * a file by reading it again up to that offset with pread().
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "yaml_tree.h"

#define ARENA_BLOCK	(64 * 1024)
#define LINEAR_KEYS	16		/* pairs checked by a linear scan */

struct yarena_block {
	struct yarena_block *older;
	size_t size;			/* in units of max_align_t */
	size_t used;
	max_align_t data[];
};

struct arena_mark {
	struct yarena_block *block;
	size_t used;
};

struct ytree {
	struct yarena arena;
	struct ynode root;
};

struct frame {
	struct ynode node;		/* kind and position; items set at close */
	struct ynode *children;		/* reused buffer */
	size_t count;
	size_t cap;
	uint32_t *keys;			/* pair number + 1 by key hash, big mappings only */
	size_t keys_size;
	bool stream;			/* items go to stream_item */
	struct arena_mark mark;		/* arena position before the first item */
};

struct builder {
	const struct ytree_options *opt;
	const char *data;		/* the input in memory, or NULL: read fd */
	size_t size;			/* bytes of input (read so far, for fd) */
	int fd;
	int read_errno;			/* why reading fd failed; EFBIG: too large */
	struct ytree *tree;
	struct frame frames[YTREE_MAX_DEPTH];
	size_t depth;
	bool streaming;			/* inside the streamed sequence */
	unsigned documents;
	unsigned document_line;		/* where the document starts */
	unsigned document_column;
	bool have_root;
};

/* yarena_push - a spare or new block of at least need units becomes the newest. */
static struct yarena_block *
yarena_push(struct yarena *arena, size_t need)
{
	struct yarena_block *block = arena->spare;
	size_t bytes = arena->block_size != 0 ? arena->block_size : ARENA_BLOCK;

	if (block != NULL && block->size >= need) {
		arena->spare = block->older;
	} else {
		if (need > bytes / sizeof(max_align_t))
			bytes = need * sizeof(max_align_t);
		if ((block = malloc(sizeof(*block) + bytes)) == NULL)
			return NULL;
		block->size = bytes / sizeof(max_align_t);
	}
	block->older = arena->blocks;
	block->used = 0;
	arena->blocks = block;
	arena->taken += block->size * sizeof(max_align_t);
	return block;
}

/* yarena_alloc - size bytes aligned for any type, or NULL. */
void *
yarena_alloc(struct yarena *arena, size_t size)
{
	struct yarena_block *block = arena->blocks;
	size_t need = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t);
	void *p;

	if ((block == NULL || block->size - block->used < need) &&
	    (block = yarena_push(arena, need)) == NULL)
		return NULL;
	p = &block->data[block->used];
	block->used += need;
	return p;
}

/* arena_get_mark - the current arena position. */
static struct arena_mark
arena_get_mark(const struct yarena *arena)
{
	struct arena_mark mark;

	mark.block = arena->blocks;
	mark.used = arena->blocks != NULL ? arena->blocks->used : 0;
	return mark;
}

/*
 * arena_rewind - free everything allocated since mark.  The blocks are
 * kept as spares: streaming rewinds after every item, and freeing and
 * allocating a block each time would make the heap shrink and grow.
 */
static void
arena_rewind(struct yarena *arena, const struct arena_mark *mark)
{
	struct yarena_block *block;

	while (arena->blocks != NULL && arena->blocks != mark->block) {
		block = arena->blocks;
		arena->blocks = block->older;
		arena->taken -= block->size * sizeof(max_align_t);
		block->older = arena->spare;
		arena->spare = block;
	}
	if (arena->blocks != NULL)
		arena->blocks->used = mark->used;
}

/* yarena_reset - free everything allocated; the blocks stay as spares. */
void
yarena_reset(struct yarena *arena)
{
	struct arena_mark none = { NULL, 0 };

	arena_rewind(arena, &none);
}

/* yarena_clear - free everything allocated and every block. */
void
yarena_clear(struct yarena *arena)
{
	struct yarena_block *block;

	yarena_reset(arena);
	while ((block = arena->spare) != NULL) {
		arena->spare = block->older;
		free(block);
	}
}

/* ytree_free - release the tree and every node in it; accepts NULL. */
void
ytree_free(struct ytree *tree)
{
	if (tree == NULL)
		return;
	yarena_clear(&tree->arena);
	free(tree);
}

/* ytree_root - the document's root node. */
const struct ynode *
ytree_root(const struct ytree *tree)
{
	return &tree->root;
}

/* ynode_pairs - number of key/value pairs in a mapping. */
size_t
ynode_pairs(const struct ynode *mapping)
{
	return mapping->kind == YNODE_MAPPING ? mapping->count / 2 : 0;
}

/* ynode_key - the key of pair i. */
const struct ynode *
ynode_key(const struct ynode *mapping, size_t i)
{
	return &mapping->u.items[2 * i];
}

/* ynode_value - the value of pair i. */
const struct ynode *
ynode_value(const struct ynode *mapping, size_t i)
{
	return &mapping->u.items[2 * i + 1];
}

/* ynode_is_null - a plain scalar that YAML reads as null. */
bool
ynode_is_null(const struct ynode *node)
{
	const char *t = node->u.text;

	if (node->kind != YNODE_SCALAR || !node->plain)
		return false;
	/* Asked of every list item: most are names, decided by the first byte. */
	switch (t[0]) {
	case '\0':
		return true;
	case '~':
		return t[1] == '\0';
	case 'n':
	case 'N':
		return strcmp(t, "null") == 0 || strcmp(t, "Null") == 0 ||
		    strcmp(t, "NULL") == 0;
	default:
		return false;
	}
}

/* ynode_kind_name - the node's kind in words. */
const char *
ynode_kind_name(const struct ynode *node)
{
	switch (node->kind) {
	case YNODE_MAPPING:
		return "a mapping";
	case YNODE_SEQUENCE:
		return "a list";
	default:
		return ynode_is_null(node) ? "nothing" : "a string";
	}
}

/* ytree_quote - quote and escape text for a message. */
const char *
ytree_quote(const char *text, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t len = 0;
	size_t taken = 0;
	int n;

	if (size < 8) {
		buf[0] = '\0';
		return buf;
	}
	buf[len++] = '"';
	for (; *p != '\0'; p++, taken++) {
		if (taken >= 80 && (*p & 0xc0) != 0x80)
			break;
		if (len + 8 > size)
			break;
		if (*p < 0x20 || *p == 0x7f)
			n = snprintf(buf + len, size - len, "\\x%02X", *p);
		else if (*p == '"' || *p == '\\')
			n = snprintf(buf + len, size - len, "\\%c", *p);
		else
			n = snprintf(buf + len, size - len, "%c", *p);
		len += (size_t)n;
	}
	buf[len++] = '"';
	if (*p != '\0' && len + 4 <= size) {
		memcpy(buf + len, "...", 3);
		len += 3;
	}
	buf[len] = '\0';
	return buf;
}

/* ytree_alloc - memory for a node; inside streamed items, the caller's arena if any. */
static void *
ytree_alloc(struct builder *b, size_t size)
{
	if (b->streaming && b->opt->item_arena != NULL)
		return yarena_alloc(b->opt->item_arena, size);
	return yarena_alloc(&b->tree->arena, size);
}

static void ytree_report(struct builder *, unsigned, unsigned, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* ytree_report - format and hand one message to the caller. */
static void
ytree_report(struct builder *b, unsigned line, unsigned column, const char *fmt, ...)
{
	char message[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	b->opt->report(b->opt->context, line, column, message);
}

/* ytree_nomem - report running out of memory; returns -1. */
static int
ytree_nomem(struct builder *b)
{
	ytree_report(b, 0, 0, "out of memory while reading YAML");
	return -1;
}

/* ytree_count_position - advance line and column over len bytes of text. */
static void
ytree_count_position(const char *text, size_t len, unsigned *line, unsigned *column)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (text[i] == '\n') {
			++*line;
			*column = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			++*column;
		}
	}
}

/* ytree_offset_position - line and column of a byte offset in the input. */
static void
ytree_offset_position(const struct builder *b, size_t offset, unsigned *line,
    unsigned *column)
{
	char chunk[16384];
	size_t done = 0;
	ssize_t n;

	*line = 1;
	*column = 1;
	if (offset > b->size)
		offset = b->size;
	if (b->data != NULL) {
		ytree_count_position(b->data, offset, line, column);
		return;
	}
	while (done < offset) {
		n = pread(b->fd, chunk, offset - done < sizeof(chunk) ?
		    offset - done : sizeof(chunk), (off_t)done);
		if (n <= 0)
			return;
		ytree_count_position(chunk, (size_t)n, line, column);
		done += (size_t)n;
	}
}

/* ytree_read - libyaml's read handler for a file: bounded by POLICY_MAX_SIZE. */
static int
ytree_read(void *context, unsigned char *buffer, size_t size, size_t *size_read)
{
	struct builder *b = context;
	size_t room = POLICY_MAX_SIZE + 1 - b->size;
	ssize_t n;

	do {
		n = read(b->fd, buffer, size < room ? size : room);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		b->read_errno = errno;
		return 0;
	}
	b->size += (size_t)n;
	if (b->size > POLICY_MAX_SIZE) {
		b->read_errno = EFBIG;
		return 0;
	}
	*size_read = (size_t)n;
	return 1;
}

/* ytree_parser_error - report why libyaml stopped. */
static void
ytree_parser_error(struct builder *b, const yaml_parser_t *parser)
{
	unsigned line;
	unsigned column;

	if (b->read_errno == EFBIG) {
		ytree_report(b, 0, 0, "file larger than %u MiB", POLICY_MAX_SIZE >> 20);
		return;
	}
	if (b->read_errno != 0) {
		ytree_report(b, 0, 0, "cannot read: %s", strerror(b->read_errno));
		return;
	}
	switch (parser->error) {
	case YAML_READER_ERROR:
		ytree_offset_position(b, parser->problem_offset, &line, &column);
		if (parser->problem_value != -1)
			ytree_report(b, line, column, "invalid input: %s (0x%02X)",
			    parser->problem, (unsigned)parser->problem_value);
		else
			ytree_report(b, line, column, "invalid input: %s",
			    parser->problem);
		break;
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		line = (unsigned)parser->problem_mark.line + 1;
		column = (unsigned)parser->problem_mark.column + 1;
		if (parser->context != NULL)
			ytree_report(b, line, column, "invalid YAML: %s (%s at line %u, "
			    "column %u)", parser->problem, parser->context,
			    (unsigned)parser->context_mark.line + 1,
			    (unsigned)parser->context_mark.column + 1);
		else
			ytree_report(b, line, column, "invalid YAML: %s",
			    parser->problem != NULL ? parser->problem : "syntax error");
		break;
	default:
		ytree_report(b, 0, 0, "out of memory while reading YAML");
		break;
	}
}

/* frame_key_hash - FNV-1a of a key's text. */
static uint32_t
frame_key_hash(const char *text)
{
	uint32_t hash = 2166136261u;

	for (; *text != '\0'; text++) {
		hash ^= (unsigned char)*text;
		hash *= 16777619u;
	}
	return hash;
}

/* frame_key_slot - where pair's key goes (or is) in the frame's key hash. */
static size_t
frame_key_slot(const struct frame *f, const char *text)
{
	size_t mask = f->keys_size - 1;
	size_t i = frame_key_hash(text) & mask;
	const struct ynode *key;

	while (f->keys[i] != 0) {
		key = &f->children[2 * (f->keys[i] - 1)];
		if (key->kind == YNODE_SCALAR && strcmp(key->u.text, text) == 0)
			break;
		i = (i + 1) & mask;
	}
	return i;
}

/* frame_keys_rebuild - (re)hash every key of the frame into a table of size slots. */
static int
frame_keys_rebuild(struct frame *f, size_t size)
{
	size_t pairs = f->count / 2;
	size_t p;
	const struct ynode *key;

	free(f->keys);
	if ((f->keys = calloc(size, sizeof(*f->keys))) == NULL) {
		f->keys_size = 0;
		return -1;
	}
	f->keys_size = size;
	for (p = 0; p < pairs; p++) {
		key = &f->children[2 * p];
		if (key->kind == YNODE_SCALAR)
			f->keys[frame_key_slot(f, key->u.text)] = (uint32_t)p + 1;
	}
	return 0;
}

/* frame_find_key - the earlier key equal to text, or NULL. */
static const struct ynode *
frame_find_key(struct frame *f, const char *text)
{
	size_t pairs = f->count / 2;
	size_t p;
	size_t slot;

	if (pairs < LINEAR_KEYS) {
		for (p = 0; p < pairs; p++)
			if (f->children[2 * p].kind == YNODE_SCALAR &&
			    strcmp(f->children[2 * p].u.text, text) == 0)
				return &f->children[2 * p];
		return NULL;
	}
	if ((pairs + 1) * 2 > f->keys_size &&
	    frame_keys_rebuild(f, f->keys_size == 0 ? 64 : f->keys_size * 2) < 0)
		return NULL;
	slot = frame_key_slot(f, text);
	if (f->keys[slot] != 0)
		return &f->children[2 * (f->keys[slot] - 1)];
	f->keys[slot] = (uint32_t)pairs + 1;	/* the key about to be pushed */
	return NULL;
}

/* frame_push - append a child node; -1 when memory is short. */
static int
frame_push(struct frame *f, const struct ynode *node)
{
	struct ynode *grown;
	size_t cap;

	if (f->count == UINT32_MAX)
		return -1;
	if (f->count == f->cap) {
		cap = f->cap == 0 ? 16 : f->cap * 2;
		if ((grown = realloc(f->children, cap * sizeof(*grown))) == NULL)
			return -1;
		f->children = grown;
		f->cap = cap;
	}
	f->children[f->count++] = *node;
	return 0;
}

/* ytree_check_key - a key must be a scalar and new in its mapping. */
static void
ytree_check_key(struct builder *b, struct frame *f, const struct ynode *key)
{
	const struct ynode *first;
	char quoted[YTREE_QUOTE_SIZE];

	if (key->kind != YNODE_SCALAR) {
		ytree_report(b, key->line, key->column,
		    "a mapping key must be a string, not %s", ynode_kind_name(key));
		return;
	}
	if ((first = frame_find_key(f, key->u.text)) != NULL)
		ytree_report(b, key->line, key->column,
		    "duplicate key %s (first at line %u, column %u)",
		    ytree_quote(key->u.text, quoted, sizeof(quoted)),
		    first->line, first->column);
}

/* ytree_deliver - a complete node goes to its parent, the stream, or the root. */
static int
ytree_deliver(struct builder *b, const struct ynode *node)
{
	struct frame *f;

	if (b->depth == 0) {
		b->tree->root = *node;
		b->have_root = true;
		return 0;
	}
	f = &b->frames[b->depth - 1];
	if (f->stream) {
		b->opt->stream_item(b->opt->context, node);
		if (b->opt->item_arena == NULL)
			arena_rewind(&b->tree->arena, &f->mark);
		return 0;
	}
	if (f->node.kind == YNODE_MAPPING && f->count % 2 == 0)
		ytree_check_key(b, f, node);
	if (frame_push(f, node) < 0)
		return ytree_nomem(b);
	return 0;
}

/* ytree_starts_stream - does a sequence opening now hold the streamed items? */
static bool
ytree_starts_stream(const struct builder *b)
{
	const struct frame *root = &b->frames[0];
	const struct ynode *key;

	if (b->depth != 1 || b->opt->stream_key == NULL || b->opt->stream_item == NULL ||
	    root->node.kind != YNODE_MAPPING || root->count % 2 == 0)
		return false;
	key = &root->children[root->count - 1];
	return key->kind == YNODE_SCALAR && strcmp(key->u.text, b->opt->stream_key) == 0;
}

/* ytree_node_start - position a node from its event. */
static void
ytree_node_start(struct ynode *node, const yaml_event_t *event, enum ynode_kind kind)
{
	memset(node, 0, sizeof(*node));
	node->line = (unsigned)event->start_mark.line + 1;
	node->column = (unsigned)event->start_mark.column + 1;
	node->kind = (unsigned char)kind;
}

/* ytree_open - a collection starts: push a frame. */
static int
ytree_open(struct builder *b, const yaml_event_t *event, enum ynode_kind kind)
{
	struct frame *f;

	if (b->depth == YTREE_MAX_DEPTH) {
		ytree_report(b, (unsigned)event->start_mark.line + 1,
		    (unsigned)event->start_mark.column + 1,
		    "nesting deeper than %d levels", YTREE_MAX_DEPTH);
		return -1;
	}
	f = &b->frames[b->depth];
	ytree_node_start(&f->node, event, kind);
	f->count = 0;
	f->stream = kind == YNODE_SEQUENCE && ytree_starts_stream(b);
	if (f->stream) {
		f->node.streamed = true;
		f->mark = arena_get_mark(&b->tree->arena);
		b->streaming = true;
	}
	b->depth++;
	return 0;
}

/* ytree_close - a collection ends: copy its children into the arena and deliver it. */
static int
ytree_close(struct builder *b)
{
	struct frame *f = &b->frames[--b->depth];
	struct ynode node = f->node;
	struct ynode *items = NULL;

	if (f->stream)
		b->streaming = false;
	if (f->count > 0) {
		if ((items = ytree_alloc(b, f->count * sizeof(*items))) == NULL)
			return ytree_nomem(b);
		memcpy(items, f->children, f->count * sizeof(*items));
	}
	node.count = (uint32_t)f->count;
	node.u.items = items;
	f->count = 0;
	free(f->keys);
	f->keys = NULL;
	f->keys_size = 0;
	return ytree_deliver(b, &node);
}

/* ytree_scalar - a scalar event becomes a node. */
static int
ytree_scalar(struct builder *b, const yaml_event_t *event)
{
	struct ynode node;
	size_t len = event->data.scalar.length;
	char *text;

	ytree_node_start(&node, event, YNODE_SCALAR);
	node.plain = event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (len >= UINT32_MAX || (text = ytree_alloc(b, len + 1)) == NULL)
		return ytree_nomem(b);
	memcpy(text, event->data.scalar.value, len);
	text[len] = '\0';
	/* libyaml refuses a NUL byte in the input: only an escape ("\0") makes one. */
	if (event->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE &&
	    memchr(text, '\0', len) != NULL)
		ytree_report(b, node.line, node.column, "NUL character in a string");
	node.count = (uint32_t)len;
	node.u.text = text;
	return ytree_deliver(b, &node);
}

/* ytree_refuse - anchors, aliases and tags; returns -1 for the fatal ones. */
static int
ytree_refuse(struct builder *b, const yaml_event_t *event, const yaml_char_t *anchor,
    const yaml_char_t *tag)
{
	unsigned line = (unsigned)event->start_mark.line + 1;
	unsigned column = (unsigned)event->start_mark.column + 1;

	if (event->type == YAML_ALIAS_EVENT || anchor != NULL) {
		ytree_report(b, line, column, "YAML anchors and aliases (&name, *name) "
		    "are not allowed");
		return -1;
	}
	if (tag != NULL)
		ytree_report(b, line, column, "YAML tags (!name) are not allowed");
	return 0;
}

/* ytree_event - handle one event; -1 stops the parse. */
static int
ytree_event(struct builder *b, const yaml_event_t *event)
{
	switch (event->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (b->documents++ == 0) {
			b->document_line = (unsigned)event->start_mark.line + 1;
			b->document_column = (unsigned)event->start_mark.column + 1;
			return 0;
		}
		ytree_report(b, (unsigned)event->start_mark.line + 1,
		    (unsigned)event->start_mark.column + 1,
		    "a second YAML document; a policy file holds exactly one");
		return -1;
	case YAML_ALIAS_EVENT:
		return ytree_refuse(b, event, NULL, NULL);
	case YAML_SCALAR_EVENT:
		if (ytree_refuse(b, event, event->data.scalar.anchor,
		    event->data.scalar.tag) < 0)
			return -1;
		return ytree_scalar(b, event);
	case YAML_SEQUENCE_START_EVENT:
		if (ytree_refuse(b, event, event->data.sequence_start.anchor,
		    event->data.sequence_start.tag) < 0)
			return -1;
		return ytree_open(b, event, YNODE_SEQUENCE);
	case YAML_MAPPING_START_EVENT:
		if (ytree_refuse(b, event, event->data.mapping_start.anchor,
		    event->data.mapping_start.tag) < 0)
			return -1;
		return ytree_open(b, event, YNODE_MAPPING);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return ytree_close(b);
	default:
		return 0;
	}
}

/* ytree_run - pull events until the stream ends; -1 after reporting a fatal error. */
static int
ytree_run(struct builder *b, yaml_parser_t *parser)
{
	yaml_event_t event;
	int status;

	for (;;) {
		if (!yaml_parser_parse(parser, &event)) {
			ytree_parser_error(b, parser);
			return -1;
		}
		if (event.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&event);
			return 0;
		}
		status = ytree_event(b, &event);
		yaml_event_delete(&event);
		if (status < 0)
			return -1;
	}
}

/* ytree_check_document - refuse a file or document with nothing in it. */
static int
ytree_check_document(struct builder *b)
{
	const struct ynode *root = &b->tree->root;

	if (!b->have_root) {
		ytree_report(b, 1, 1, "empty file: expected a mapping with \"version: 1\"");
		return -1;
	}
	if (ynode_is_null(root)) {
		ytree_report(b, b->document_line, b->document_column,
		    "empty document: expected a mapping with \"version: 1\"");
		return -1;
	}
	return 0;
}

/* ytree_builder_free - release the frames' buffers. */
static void
ytree_builder_free(struct builder *b)
{
	size_t i;

	for (i = 0; i < YTREE_MAX_DEPTH; i++) {
		free(b->frames[i].children);
		free(b->frames[i].keys);
	}
}

/* ytree_build - run the parser over the builder's input. */
static struct ytree *
ytree_build(struct builder *b)
{
	yaml_parser_t parser;
	int status;

	if ((b->tree = calloc(1, sizeof(*b->tree))) == NULL ||
	    !yaml_parser_initialize(&parser)) {
		free(b->tree);
		ytree_report(b, 0, 0, "out of memory while reading YAML");
		return NULL;
	}
	if (b->data != NULL)
		yaml_parser_set_input_string(&parser, (const unsigned char *)b->data,
		    b->size);
	else
		yaml_parser_set_input(&parser, ytree_read, b);
	status = ytree_run(b, &parser);
	yaml_parser_delete(&parser);
	if (status == 0)
		status = ytree_check_document(b);
	ytree_builder_free(b);
	if (status < 0) {
		ytree_free(b->tree);
		return NULL;
	}
	return b->tree;
}

/* ytree_parse - parse one document held in memory (see yaml_tree.h). */
struct ytree *
ytree_parse(const char *data, size_t size, const struct ytree_options *options)
{
	struct builder b;

	memset(&b, 0, sizeof(b));
	b.opt = options;
	b.data = data;
	b.size = size;
	b.fd = -1;
	return ytree_build(&b);
}

/* ytree_parse_fd - parse one document read from fd (see yaml_tree.h). */
struct ytree *
ytree_parse_fd(int fd, const struct ytree_options *options)
{
	struct builder b;

	memset(&b, 0, sizeof(b));
	b.opt = options;
	b.fd = fd;
	return ytree_build(&b);
}
