/*
 * domain_index.c - exact and wildcard domain patterns, looked up in O(labels).
 *
 * Two open-addressing hash tables (linear probing, FNV-1a, grown at 1/2
 * load; a slot is an entry number and the hash, so probing stays within
 * a few cache lines): one keyed by exact names, one keyed by the suffix S of each
 * "*.S" pattern.  A lookup of a.b.example.org probes the exact table for
 * the whole name and the suffix table for b.example.org, example.org
 * and org, never for the name itself, because "*.S" matches proper
 * subdomains of S only.  Each key remembers the lowest partner number
 * that named it, so the answer is the minimum over at most one hit per
 * probe: "first partner in file order wins" without scanning partners.
 *
 * The index owns a copy of every pattern, in its string arena;
 * struct policy_match.pattern points at that copy and stays valid until
 * domain_index_free().
 * Patterns must already be normalized (domain_normalize()).  The only
 * error is running out of memory.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

/* A pattern, in the order added; slots refer to these by number. */
struct domain_entry {
	char *pattern;			/* normalized, as added */
	uint32_t partner;		/* < UINT32_MAX: see cc_partner_new() */
	unsigned line;
	unsigned column;
};

/* A hash slot: small, so that a probe touches one cache line, not the entries. */
struct domain_slot {
	uint32_t entry;			/* entry number + 1; 0: empty */
	uint32_t hash;
};

struct domain_table {
	struct domain_slot *slots;
	size_t size;			/* a power of two, or 0 */
	size_t used;
	struct domain_entry *entries;
	size_t entry_cap;
};

struct domain_index {
	struct domain_table exact;
	struct domain_table wildcard;	/* keyed by the suffix after "*." */
	struct strarena *strings;	/* the patterns */
};

/* domain_hash - FNV-1a over len bytes. */
static uint32_t
domain_hash(const char *key, size_t len)
{
	uint32_t hash = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		hash ^= (unsigned char)key[i];
		hash *= 16777619u;
	}
	return hash;
}

/* domain_entry_key - the text an entry is hashed by. */
static const char *
domain_entry_key(const struct domain_entry *entry)
{
	return entry->pattern[0] == '*' ? entry->pattern + 2 : entry->pattern;
}

/* domain_table_find - the slot holding key, or the empty slot where it belongs. */
static struct domain_slot *
domain_table_find(const struct domain_table *table, const char *key, size_t len,
    uint32_t hash)
{
	size_t mask = table->size - 1;
	size_t i = hash & mask;
	struct domain_slot *slot;
	const char *other;

	for (;;) {
		slot = &table->slots[i];
		if (slot->entry == 0)
			return slot;
		if (slot->hash == hash) {
			other = domain_entry_key(&table->entries[slot->entry - 1]);
			if (strncmp(other, key, len) == 0 && other[len] == '\0')
				return slot;
		}
		i = (i + 1) & mask;
	}
}

/* domain_table_grow - room for one more key: double the slots and entries as needed. */
static int
domain_table_grow(struct domain_table *table)
{
	struct domain_slot *slots;
	struct domain_entry *entries;
	size_t size;
	size_t i;
	size_t j;

	if (table->used == table->entry_cap) {
		size = table->entry_cap == 0 ? 32 : table->entry_cap * 2;
		if (size >= UINT32_MAX ||
		    (entries = realloc(table->entries, size * sizeof(*entries))) == NULL)
			return -1;
		table->entries = entries;
		table->entry_cap = size;
	}
	if ((table->used + 1) * 2 <= table->size)
		return 0;
	size = table->size == 0 ? 64 : table->size * 2;
	if ((slots = calloc(size, sizeof(*slots))) == NULL)
		return -1;
	for (i = 0; i < table->size; i++) {
		if (table->slots[i].entry == 0)
			continue;
		for (j = table->slots[i].hash & (size - 1); slots[j].entry != 0;
		    j = (j + 1) & (size - 1))
			;
		slots[j] = table->slots[i];
	}
	free(table->slots);
	table->slots = slots;
	table->size = size;
	return 0;
}

/* domain_table_free - release the table (the patterns are in the index's arena). */
static void
domain_table_free(struct domain_table *table)
{
	free(table->entries);
	free(table->slots);
}

/* domain_table_lookup - the entry for key, or NULL. */
static const struct domain_entry *
domain_table_lookup(const struct domain_table *table, const char *key, size_t len)
{
	const struct domain_slot *slot;

	if (table->used == 0)
		return NULL;
	slot = domain_table_find(table, key, len, domain_hash(key, len));
	return slot->entry != 0 ? &table->entries[slot->entry - 1] : NULL;
}

/* domain_index_new - an empty index, or NULL when memory is short. */
struct domain_index *
domain_index_new(void)
{
	return calloc(1, sizeof(struct domain_index));
}

/* domain_index_free - release the index and every pattern; accepts NULL. */
void
domain_index_free(struct domain_index *index)
{
	if (index == NULL)
		return;
	domain_table_free(&index->exact);
	domain_table_free(&index->wildcard);
	strarena_free(index->strings);
	free(index);
}

/* domain_entry_match - copy an entry into the caller's match. */
static void
domain_entry_match(const struct domain_entry *entry, struct policy_match *out)
{
	out->partner = entry->partner;
	out->pattern = entry->pattern;
	out->line = entry->line;
	out->column = entry->column;
}

/* domain_index_add - add a normalized pattern; 1 if it was there already. */
int
domain_index_add(struct domain_index *index, const char *pattern, size_t partner,
    unsigned line, unsigned column, struct policy_match *previous)
{
	bool wild = pattern[0] == '*' && pattern[1] == '.';
	struct domain_table *table = wild ? &index->wildcard : &index->exact;
	const char *key = wild ? pattern + 2 : pattern;
	size_t len = strlen(key);
	uint32_t hash = domain_hash(key, len);
	struct domain_entry *entry;
	struct domain_slot *slot;
	char *copy;

	if (domain_table_grow(table) < 0)
		return -1;
	slot = domain_table_find(table, key, len, hash);
	if (slot->entry != 0) {
		entry = &table->entries[slot->entry - 1];
		if (previous != NULL)
			domain_entry_match(entry, previous);
		if (partner < entry->partner) {
			entry->partner = (uint32_t)partner;
			entry->line = line;
			entry->column = column;
		}
		return 1;
	}
	if ((copy = strarena_copy(&index->strings, pattern,
	    (size_t)(key - pattern) + len)) == NULL)
		return -1;
	entry = &table->entries[table->used];
	entry->pattern = copy;
	entry->partner = (uint32_t)partner;
	entry->line = line;
	entry->column = column;
	slot->entry = (uint32_t)++table->used;
	slot->hash = hash;
	return 0;
}

/* domain_index_lookup - lowest partner with an exact or "*." pattern for name. */
bool
domain_index_lookup(const struct domain_index *index, const char *name,
    struct policy_match *out)
{
	const struct domain_entry *best;
	const struct domain_entry *entry;
	const char *suffix;

	best = domain_table_lookup(&index->exact, name, strlen(name));
	if (index->wildcard.used > 0) {
		for (suffix = strchr(name, '.'); suffix != NULL;
		    suffix = strchr(suffix + 1, '.')) {
			entry = domain_table_lookup(&index->wildcard, suffix + 1,
			    strlen(suffix + 1));
			if (entry != NULL && (best == NULL || entry->partner < best->partner))
				best = entry;
		}
	}
	if (best == NULL)
		return false;
	domain_entry_match(best, out);
	return true;
}
