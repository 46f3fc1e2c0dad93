/*
 * policy.c - the compiled policy's lifetime, accessors and name tables.
 *
 * Loading is in policy_compile.c.  A compiled policy is immutable and
 * reference counted: the loader returns it with one reference;
 * policy_ref() and policy_unref() adjust the count atomically, and the
 * last unref frees the partners, the string arena that holds every
 * string of the policy, and the indexes.  The milter swaps policies
 * under its own lock but its worker threads drop references without
 * one, which the atomic count makes safe.
 *
 * Also here: the name tables for modes, actions and selectors, and the
 * string arena (strarena_*) in which the policy and its indexes keep
 * names and patterns: blocks of 64 KiB filled in order and freed
 * together, so that freeing a big policy is a few hundred free()s.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

#define STRARENA_BLOCK	(64 * 1024 - 64)	/* stays below malloc's mmap threshold */

struct strarena {
	struct strarena *older;
	size_t size;
	size_t used;
	char data[];
};

/* strarena_copy - copy len bytes of text and a NUL into the newest block. */
char *
strarena_copy(struct strarena **arena, const char *text, size_t len)
{
	struct strarena *block = *arena;
	size_t size;
	char *copy;

	if (block == NULL || block->size - block->used < len + 1) {
		size = len + 1 > STRARENA_BLOCK ? len + 1 : STRARENA_BLOCK;
		if ((block = malloc(sizeof(*block) + size)) == NULL)
			return NULL;
		block->older = *arena;
		block->size = size;
		block->used = 0;
		*arena = block;
	}
	copy = block->data + block->used;
	memcpy(copy, text, len);
	copy[len] = '\0';
	block->used += len + 1;
	return copy;
}

/* strarena_free - release every block; accepts NULL. */
void
strarena_free(struct strarena *arena)
{
	struct strarena *older;

	for (; arena != NULL; arena = older) {
		older = arena->older;
		free(arena);
	}
}

/* policy_ref - one more reference. */
struct policy *
policy_ref(struct policy *policy)
{
	atomic_fetch_add(&policy->refs, 1);
	return policy;
}

/* policy_free - release everything; called on the last unref. */
static void
policy_free(struct policy *policy)
{
	/* Every string is in the arena: no walk over 100,000 cold partners. */
	free(policy->partners);
	domain_index_free(policy->sender_domains);
	domain_index_free(policy->client_hosts);
	domain_index_free(policy->recipient_domains);
	cidr_index_free(policy->client_ips);
	cidr_index_free(policy->exempt_ips);
	strarena_free(policy->strings);
	free(policy);
}

/* policy_unref - drop a reference; the last one frees.  Accepts NULL. */
void
policy_unref(struct policy *policy)
{
	if (policy != NULL && atomic_fetch_sub(&policy->refs, 1) == 1)
		policy_free(policy);
}

/* policy_file - the path or name the policy was loaded from. */
const char *
policy_file(const struct policy *policy)
{
	return policy->file;
}

/* policy_partner_count - partners in the file. */
size_t
policy_partner_count(const struct policy *policy)
{
	return policy->partner_count;
}

/* policy_selector_count - patterns in all match lists. */
size_t
policy_selector_count(const struct policy *policy)
{
	return policy->selector_count;
}

/* policy_mode - settings.mode. */
enum policy_mode
policy_mode(const struct policy *policy)
{
	return policy->mode;
}

/* policy_header_name - the tag header's name. */
const char *
policy_header_name(const struct policy *policy)
{
	return policy->header_name;
}

/* policy_authserv_id - settings.authserv_id, NULL when the MTA's {j} should be used. */
const char *
policy_authserv_id(const struct policy *policy)
{
	return policy->authserv_id;
}

/* policy_on_missing_macros - what to do when the MTA sends no macros. */
enum policy_missing
policy_on_missing_macros(const struct policy *policy)
{
	return policy->on_missing_macros;
}

/* policy_has_recipient_selectors - does any partner list recipient_domains? */
bool
policy_has_recipient_selectors(const struct policy *policy)
{
	return policy->recipient_domains != NULL;
}

/* policy_partner_name - a partner's name ("default" for the defaults block). */
const char *
policy_partner_name(const struct policy_partner *partner)
{
	return partner->name;
}

static const char *const mode_names[] = {
	[POLICY_MODE_ENFORCE] = "enforce",
	[POLICY_MODE_TESTING] = "testing",
};

static const char *const action_names[] = {
	[POLICY_ACTION_ACCEPT] = "accept",
	[POLICY_ACTION_TAG] = "tag",
	[POLICY_ACTION_QUARANTINE] = "quarantine",
	[POLICY_ACTION_DEFER] = "defer",
	[POLICY_ACTION_REJECT] = "reject",
};

static const char *const selector_names[] = {
	[POLICY_SELECTOR_NONE] = "none",
	[POLICY_SELECTOR_SENDER_DOMAIN] = "sender_domains",
	[POLICY_SELECTOR_CLIENT_HOST] = "client_hosts",
	[POLICY_SELECTOR_CLIENT_IP] = "client_ips",
	[POLICY_SELECTOR_RECIPIENT_DOMAIN] = "recipient_domains",
	[POLICY_SELECTOR_EXEMPT_IP] = "exempt_client_ips",
	[POLICY_SELECTOR_EXEMPT_AUTH] = "exempt_authenticated",
	[POLICY_SELECTOR_MISSING_MACROS] = "missing_macros",
};

/* policy_mode_name - "enforce" or "testing". */
const char *
policy_mode_name(enum policy_mode mode)
{
	if ((size_t)mode >= sizeof(mode_names) / sizeof(mode_names[0]))
		return "unknown";
	return mode_names[mode];
}

/* policy_action_name - "accept", "tag", "quarantine", "defer" or "reject". */
const char *
policy_action_name(enum policy_action action)
{
	if ((size_t)action >= sizeof(action_names) / sizeof(action_names[0]))
		return "unknown";
	return action_names[action];
}

/* policy_action_parse - the action with this exact name; -1 if none. */
int
policy_action_parse(const char *name, enum policy_action *out)
{
	size_t i;

	for (i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++) {
		if (strcmp(name, action_names[i]) == 0) {
			*out = (enum policy_action)i;
			return 0;
		}
	}
	return -1;
}

/* policy_selector_name - "sender_domains", ..., "none". */
const char *
policy_selector_name(enum policy_selector selector)
{
	if ((size_t)selector >= sizeof(selector_names) / sizeof(selector_names[0]))
		return "unknown";
	return selector_names[selector];
}
