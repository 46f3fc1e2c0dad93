/*
 * cidr_index.c - CIDR blocks in a path-compressed binary trie per family.
 *
 * Each node holds a prefix (bytes and a length in bits); a node's
 * children extend its prefix, chosen by the next bit.  Runs of nodes
 * with one child are compressed away, so n blocks need fewer than 2n
 * nodes whatever their lengths (a plain bit trie would need up to 128
 * nodes per IPv6 host route).  A node that is itself a block carries the
 * entry for it.  A lookup walks from the root along the address bits,
 * visiting every block that contains the address, and keeps the lowest
 * partner number seen: first partner in file order wins, whether its
 * block is wider or narrower than another partner's.
 *
 * Nodes and entries live in two arrays addressed by number (node 0 is
 * the "no node" sentinel), so the trie costs two allocations plus the
 * blocks of its string arena, where it keeps a copy of each pattern as
 * written.
 * The only error is running out of memory.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "facts.h"
#include "policy_int.h"

struct cidr_entry {
	char *pattern;			/* as written in the policy */
	uint32_t partner;		/* < UINT32_MAX: see cc_partner_new() */
	unsigned line;
	unsigned column;
};

struct cidr_node {
	unsigned char bytes[16];	/* bits past prefix are zero */
	uint32_t child[2];		/* node numbers, 0: none */
	uint32_t entry;			/* entry number + 1, 0: not a block */
	unsigned char prefix;
};

struct cidr_index {
	struct cidr_node *nodes;
	size_t node_count;
	size_t node_cap;
	struct cidr_entry *entries;
	size_t entry_count;
	size_t entry_cap;
	uint32_t root[2];		/* IPv4, IPv6 */
	struct strarena *strings;	/* the patterns */
};

/* cidr_bit - bit i (0 = most significant) of an address. */
static unsigned
cidr_bit(const unsigned char *bytes, unsigned i)
{
	return (bytes[i / 8] >> (7 - i % 8)) & 1u;
}

/* cidr_common - number of leading bits a and b share, at most limit. */
static unsigned
cidr_common(const unsigned char *a, const unsigned char *b, unsigned limit)
{
	unsigned i = 0;

	while (i + 8 <= limit && a[i / 8] == b[i / 8])
		i += 8;
	while (i < limit && cidr_bit(a, i) == cidr_bit(b, i))
		i++;
	return i;
}

/* cidr_index_new - an empty index, or NULL when memory is short. */
struct cidr_index *
cidr_index_new(void)
{
	struct cidr_index *index = calloc(1, sizeof(*index));

	if (index == NULL)
		return NULL;
	index->node_cap = 64;
	index->nodes = calloc(index->node_cap, sizeof(*index->nodes));
	if (index->nodes == NULL) {
		free(index);
		return NULL;
	}
	index->node_count = 1;		/* node 0 means "none" */
	return index;
}

/* cidr_index_free - release the index and its pattern copies; accepts NULL. */
void
cidr_index_free(struct cidr_index *index)
{
	if (index == NULL)
		return;
	strarena_free(index->strings);
	free(index->entries);
	free(index->nodes);
	free(index);
}

/* cidr_reserve - room for two more nodes and one more entry, so pointers stay put. */
static int
cidr_reserve(struct cidr_index *index)
{
	void *grown;
	size_t cap;

	if (index->node_count + 2 > index->node_cap) {
		cap = index->node_cap * 2;
		if (cap > UINT32_MAX || (grown = realloc(index->nodes,
		    cap * sizeof(*index->nodes))) == NULL)
			return -1;
		index->nodes = grown;
		index->node_cap = cap;
	}
	if (index->entry_count + 1 > index->entry_cap) {
		cap = index->entry_cap == 0 ? 64 : index->entry_cap * 2;
		if ((grown = realloc(index->entries, cap * sizeof(*index->entries))) == NULL)
			return -1;
		index->entries = grown;
		index->entry_cap = cap;
	}
	return 0;
}

/* cidr_node_new - a node for the first prefix bits of bytes; returns its number. */
static uint32_t
cidr_node_new(struct cidr_index *index, const unsigned char *bytes, unsigned prefix)
{
	struct cidr_node *node = &index->nodes[index->node_count];

	memset(node, 0, sizeof(*node));
	memcpy(node->bytes, bytes, prefix / 8 + (prefix % 8 != 0));
	if (prefix % 8 != 0)
		node->bytes[prefix / 8] &= (unsigned char)(0xff << (8 - prefix % 8));
	node->prefix = (unsigned char)prefix;
	return (uint32_t)index->node_count++;
}

/* cidr_place - find or make the node for block; returns its number. */
static uint32_t
cidr_place(struct cidr_index *index, const struct cidr *block)
{
	uint32_t *link = &index->root[block->family == AF_INET6];
	struct cidr_node *node;
	uint32_t fresh;
	uint32_t inner;
	unsigned common;

	while (*link != 0) {
		node = &index->nodes[*link];
		common = cidr_common(node->bytes, block->bytes,
		    node->prefix < block->prefix ? node->prefix : block->prefix);
		if (common == node->prefix) {
			if (node->prefix == block->prefix)
				return *link;
			link = &node->child[cidr_bit(block->bytes, node->prefix)];
			continue;
		}
		/* The block and this node part ways at bit "common". */
		fresh = cidr_node_new(index, block->bytes, block->prefix);
		if (common == block->prefix) {
			index->nodes[fresh].child[cidr_bit(node->bytes, common)] = *link;
			*link = fresh;
			return fresh;
		}
		inner = cidr_node_new(index, block->bytes, common);
		index->nodes[inner].child[cidr_bit(node->bytes, common)] = *link;
		index->nodes[inner].child[cidr_bit(block->bytes, common)] = fresh;
		*link = inner;
		return fresh;
	}
	*link = cidr_node_new(index, block->bytes, block->prefix);
	return *link;
}

/* cidr_entry_match - copy an entry into the caller's match. */
static void
cidr_entry_match(const struct cidr_entry *entry, struct policy_match *out)
{
	out->partner = entry->partner;
	out->pattern = entry->pattern;
	out->line = entry->line;
	out->column = entry->column;
}

/* cidr_index_add - add a block for a partner; 1 if the same block was there. */
int
cidr_index_add(struct cidr_index *index, const struct cidr *block, const char *pattern,
    size_t partner, unsigned line, unsigned column, struct policy_match *previous)
{
	struct cidr_entry *entry;
	struct cidr_node *node;
	char *copy;

	if (cidr_reserve(index) < 0)
		return -1;
	node = &index->nodes[cidr_place(index, block)];
	if (node->entry != 0) {
		entry = &index->entries[node->entry - 1];
		if (previous != NULL)
			cidr_entry_match(entry, previous);
		if (partner < entry->partner) {
			entry->partner = (uint32_t)partner;
			entry->line = line;
			entry->column = column;
		}
		return 1;
	}
	if ((copy = strarena_copy(&index->strings, pattern, strlen(pattern))) == NULL)
		return -1;
	entry = &index->entries[index->entry_count];
	entry->pattern = copy;
	entry->partner = (uint32_t)partner;
	entry->line = line;
	entry->column = column;
	node->entry = (uint32_t)++index->entry_count;
	return 0;
}

/* cidr_index_lookup - the lowest partner among all blocks that contain addr. */
bool
cidr_index_lookup(const struct cidr_index *index, const struct ip_addr *addr,
    struct policy_match *out)
{
	const struct cidr_entry *best = NULL;
	const struct cidr_entry *entry;
	const struct cidr_node *node;
	unsigned bits;
	uint32_t at;

	if (addr->family != AF_INET && addr->family != AF_INET6)
		return false;
	bits = addr->family == AF_INET ? 32 : 128;
	at = index->root[addr->family == AF_INET6];
	while (at != 0) {
		node = &index->nodes[at];
		if (cidr_common(node->bytes, addr->bytes, node->prefix) < node->prefix)
			break;
		if (node->entry != 0) {
			entry = &index->entries[node->entry - 1];
			if (best == NULL || entry->partner < best->partner)
				best = entry;
		}
		if (node->prefix >= bits)
			break;
		at = node->child[cidr_bit(addr->bytes, node->prefix)];
	}
	if (best == NULL)
		return false;
	cidr_entry_match(best, out);
	return true;
}
