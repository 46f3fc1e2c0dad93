/*
 * policy_compile.c - load a YAML policy: validate it and compile struct policy.
 *
 * policy_load_file() opens the file (a directory or an unreadable file
 * is "FILE: cannot read: REASON", a file over 64 MiB is refused before
 * reading) and lets the parser read it in small pieces;
 * policy_load_buffer() takes the text from memory.  Both parse with
 * ytree_pipe_parse() and check every key and value against the format in
 * tlspolicy.yaml(5), section by section; the checks of single values
 * and the messages are in compile_value.c.  Partners are compiled one
 * by one as the parser completes them (the tree streams the "partners"
 * list), so a file with 100,000 partners never exists as one big tree;
 * everything else is compiled from the tree at the end.  From
 * PIPE_MIN_SIZE bytes on, libyaml runs in a second thread meanwhile
 * (ytree_pipe.c); every call into this file still comes from the
 * caller's thread, in the order one thread would make them.
 *
 * Every problem is reported with the position of the node it concerns,
 * and checking goes on after the first error so that one run shows them
 * all; a policy is returned only when there was none.  Messages are
 * handed to the caller sorted by position (ties keep the order they
 * were found in), because streamed partners are checked before the
 * settings that precede them.
 *
 * Partner names are unique case-insensitively, checked at the end
 * through a hash of all names, not by comparing every pair.  A pattern listed
 * by two partners is a warning: the indexes keep the first partner.
 *
 * The policy belongs to the caller (one reference).  An index with no
 * patterns is freed and left NULL, so the evaluator skips it and
 * policy_has_recipient_selectors() is a pointer test.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compile.h"
#include "ytree_pipe.h"

#define NAME_MAX_LEN	64
#define PIPE_MIN_SIZE	(1024 * 1024)	/* smaller files parse in one thread */
#define HEADER_MAX_LEN	64
#define AUTHSERV_MAX_LEN 255

/* One key table per mapping: the keys it allows, in the order messages list them. */
static const char *const root_keys[] = {
	"version", "settings", "exempt", "defaults", "partners", NULL
};
static const char *const settings_keys[] = {
	"mode", "header", "authserv_id", "on_missing_macros", NULL
};
static const char *const exempt_keys[] = { "client_ips", "authenticated", NULL };
static const char *const defaults_keys[] = { "require", "action", "reply", NULL };
static const char *const partner_keys[] = {
	"name", "mode", "match", "require", "action", "reply", NULL
};
static const char *const match_keys[] = {
	"sender_domains", "client_hosts", "client_ips", "recipient_domains", NULL
};
static const char *const require_keys[] = {
	"tls", "min_version", "pfs", "min_cipher_bits", "client_cert", NULL
};
static const char *const cert_keys[] = { "verified", "issuer", "subject", NULL };

enum { ROOT_VERSION, ROOT_SETTINGS, ROOT_EXEMPT, ROOT_DEFAULTS, ROOT_PARTNERS };
enum { SET_MODE, SET_HEADER, SET_AUTHSERV, SET_MISSING };
enum { EXEMPT_IPS, EXEMPT_AUTH };
enum { BLOCK_REQUIRE, BLOCK_ACTION, BLOCK_REPLY };
enum { PARTNER_NAME, PARTNER_MODE, PARTNER_MATCH, PARTNER_REQUIRE, PARTNER_ACTION,
	PARTNER_REPLY };
enum { SEL_SENDER, SEL_HOST, SEL_IP, SEL_RECIPIENT };	/* match_keys order */
enum { REQ_TLS, REQ_MIN_VERSION, REQ_PFS, REQ_BITS, REQ_CERT };
enum { CCERT_VERIFIED, CCERT_ISSUER, CCERT_SUBJECT };

/* Enumerated values: the spellings the file may use. */
static const char *const mode_values[] = { "enforce", "testing", NULL };
static const char *const missing_values[] = { "tempfail", "accept", NULL };
static const char *const action_values[] = { "tag", "defer", "reject", "quarantine", NULL };
static const char *const version_values[] = {
	"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3", "TLSv1.0", NULL
};
static const enum tls_version version_codes[] = {
	TLS_VERSION_TLSV1, TLS_VERSION_TLSV1_1, TLS_VERSION_TLSV1_2, TLS_VERSION_TLSV1_3,
	TLS_VERSION_TLSV1,
};

/* ---------------------------------------------------------------- selectors */

/* cc_partner_label - "partner \"name\"" or "partner #N" when the name is not known. */
static const char *
cc_partner_label(const struct compiler *c, size_t index, char *buf, size_t size)
{
	const char *name = c->policy->partners[index].name;

	if (name != NULL)
		snprintf(buf, size, "partner \"%s\"", name);
	else
		snprintf(buf, size, "partner #%zu", index + 1);
	return buf;
}

/* cc_shared - warn that a pattern is already in the index. */
static void
cc_shared(struct compiler *c, const struct ynode *item, const char *list, size_t partner,
    const struct policy_match *previous)
{
	char quoted[YTREE_QUOTE_SIZE];
	char first[128];
	char label[128];

	ytree_quote(item->u.text, quoted, sizeof(quoted));
	if (partner == SIZE_MAX)
		cc_warn(c, item, "exempt client_ips %s is listed twice (first at line %u, "
		    "column %u)", quoted, previous->line, previous->column);
	else if (previous->partner == partner)
		cc_warn(c, item, "%s %s is listed twice in %s (first at line %u, column %u)",
		    list, quoted, cc_partner_label(c, partner, label, sizeof(label)),
		    previous->line, previous->column);
	else
		cc_warn(c, item, "%s %s of %s is also listed by %s at line %u, column %u; "
		    "the first partner in the file wins", list, quoted,
		    cc_partner_label(c, partner, label, sizeof(label)),
		    cc_partner_label(c, previous->partner, first, sizeof(first)),
		    previous->line, previous->column);
}

/* cc_domain_pattern - one sender, recipient or host pattern into its index. */
static void
cc_domain_pattern(struct compiler *c, const struct ynode *item, const char *list,
    struct domain_index *index, size_t partner)
{
	struct policy_match previous;
	char quoted[YTREE_QUOTE_SIZE];
	char name[256];
	char err[160];
	int status;

	if (domain_normalize(item->u.text, true, name, sizeof(name), err, sizeof(err)) < 0) {
		cc_error(c, item, "%s: invalid %s %s: %s", list,
		    strcmp(list, "client_hosts") == 0 ? "host pattern" : "domain",
		    ytree_quote(item->u.text, quoted, sizeof(quoted)), err);
		return;
	}
	status = domain_index_add(index, name, partner, item->line, item->column, &previous);
	if (status < 0)
		cc_nomem(c, item);
	else if (status > 0)
		cc_shared(c, item, list, partner, &previous);
}

/* cc_cidr_pattern - one client_ips entry into its index (partner SIZE_MAX: exempt). */
static void
cc_cidr_pattern(struct compiler *c, const struct ynode *item, struct cidr_index *index,
    size_t partner)
{
	struct policy_match previous;
	struct cidr block;
	char quoted[YTREE_QUOTE_SIZE];
	char err[160];
	int status;

	if (cidr_parse(item->u.text, &block, err, sizeof(err)) < 0) {
		cc_error(c, item, "client_ips: invalid CIDR %s: %s",
		    ytree_quote(item->u.text, quoted, sizeof(quoted)), err);
		return;
	}
	status = cidr_index_add(index, &block, item->u.text,
	    partner == SIZE_MAX ? 0 : partner, item->line, item->column, &previous);
	if (status < 0)
		cc_nomem(c, item);
	else if (status > 0)
		cc_shared(c, item, "client_ips", partner, &previous);
}

/*
 * cc_pattern_list - every entry of one selector list (partner SIZE_MAX:
 * exempt.client_ips); returns the number of entries written.
 */
static size_t
cc_pattern_list(struct compiler *c, const struct ynode *list, int selector, size_t partner)
{
	struct policy *policy = c->policy;
	const char *name = match_keys[selector];
	char got[YTREE_QUOTE_SIZE];
	const struct ynode *item;
	size_t i;

	if (!cc_collection(c, list, YNODE_SEQUENCE, name))
		return 0;
	for (i = 0; i < list->count; i++) {
		item = &list->u.items[i];
		if (item->kind != YNODE_SCALAR || ynode_is_null(item) || item->u.text[0] == '\0') {
			cc_error(c, item, "%s: expected %s, got %s", name,
			    selector == SEL_IP ? "an IP address or CIDR block" :
			    selector == SEL_HOST ? "a host name pattern" : "a domain name",
			    cc_got(item, got, sizeof(got)));
			continue;
		}
		if (partner == SIZE_MAX) {
			c->exempt_patterns++;
		} else {
			c->patterns[selector]++;
			policy->selector_count++;
		}
		if (selector == SEL_IP)
			cc_cidr_pattern(c, item, partner == SIZE_MAX ? policy->exempt_ips :
			    policy->client_ips, partner);
		else
			cc_domain_pattern(c, item, name,
			    selector == SEL_SENDER ? policy->sender_domains :
			    selector == SEL_HOST ? policy->client_hosts :
			    policy->recipient_domains, partner);
	}
	return list->count;
}

/* cc_match - a partner's selectors; false when it has none and that is not yet reported. */
static bool
cc_match(struct compiler *c, const struct ynode *match, size_t partner)
{
	size_t written = 0;
	size_t i;
	int k;

	if (!cc_collection(c, match, YNODE_MAPPING, "match"))
		return !ynode_is_null(match);
	for (i = 0; i < ynode_pairs(match); i++) {
		if ((k = cc_key(c, ynode_key(match, i), match_keys, "in match")) < 0)
			continue;
		written += cc_pattern_list(c, ynode_value(match, i), k, partner);
	}
	return written > 0;
}

/* ---------------------------------------------------------------- blocks */

/* cc_client_cert - require.client_cert: a certificate, verified unless told otherwise. */
static void
cc_client_cert(struct compiler *c, const struct ynode *node, struct policy_require *req)
{
	const struct ynode *value;
	const char *text;
	size_t i;
	int k;

	req->cert_required = true;
	if (!cc_collection(c, node, YNODE_MAPPING, "client_cert"))
		return;
	for (i = 0; i < ynode_pairs(node); i++) {
		if ((k = cc_key(c, ynode_key(node, i), cert_keys, "in client_cert")) < 0)
			continue;
		value = ynode_value(node, i);
		if (k == CCERT_VERIFIED) {
			cc_bool(c, value, "verified", &req->cert_verified);
			continue;
		}
		if ((text = cc_string(c, value, cert_keys[k])) == NULL)
			continue;
		if (k == CCERT_ISSUER)
			req->cert_issuer = cc_strdup(c, value, text);
		else
			req->cert_subject = cc_strdup(c, value, text);
	}
}

/* cc_require - a block's requirements; anything beyond "tls" implies TLS. */
static void
cc_require(struct compiler *c, const struct ynode *node, struct policy_require *req)
{
	const struct ynode *tls_false = NULL;
	const struct ynode *value;
	bool flag;
	size_t i;
	int k;

	if (!cc_collection(c, node, YNODE_MAPPING, "require"))
		return;
	for (i = 0; i < ynode_pairs(node); i++) {
		if ((k = cc_key(c, ynode_key(node, i), require_keys, "in require")) < 0)
			continue;
		value = ynode_value(node, i);
		switch (k) {
		case REQ_TLS:
			if (cc_bool(c, value, "tls", &flag) == 0) {
				req->tls = flag;
				tls_false = flag ? NULL : value;
			}
			break;
		case REQ_MIN_VERSION:
			if ((k = cc_enum(c, value, "min_version", version_values, 4)) >= 0)
				req->min_version = version_codes[k];
			break;
		case REQ_PFS:
			cc_bool(c, value, "pfs", &req->pfs);
			break;
		case REQ_BITS:
			cc_int(c, value, "min_cipher_bits", 1, 1024, &req->min_cipher_bits);
			break;
		case REQ_CERT:
			cc_client_cert(c, value, req);
			break;
		}
	}
	flag = req->min_version != TLS_VERSION_NONE || req->pfs ||
	    req->min_cipher_bits > 0 || req->cert_required;
	if (flag && tls_false != NULL)
		cc_error(c, tls_false, "tls: false contradicts the other requirements "
		    "of this block, which need TLS");
	if (flag)
		req->tls = true;
}

/* cc_action - tag, defer, reject or quarantine. */
static void
cc_action(struct compiler *c, const struct ynode *node, enum policy_action *out)
{
	int k;

	if ((k = cc_enum(c, node, "action", action_values, 4)) >= 0)
		policy_action_parse(action_values[k], out);
}

/* cc_block_init - a block that requires nothing and tags. */
static void
cc_block_init(struct policy_partner *block, size_t index, unsigned line)
{
	memset(block, 0, sizeof(*block));
	block->index = index;
	block->mode = POLICY_MODE_ENFORCE;
	block->action = POLICY_ACTION_TAG;
	block->require.min_version = TLS_VERSION_NONE;
	block->require.cert_verified = true;
	block->line = line;
}

/* cc_defaults - the block for mail that matches no partner. */
static void
cc_defaults(struct compiler *c, const struct ynode *node)
{
	struct policy_partner *block = &c->policy->defaults;
	const struct ynode *reply = NULL;
	size_t i;
	int k;

	block->line = node->line;
	if (!cc_collection(c, node, YNODE_MAPPING, "defaults"))
		return;
	for (i = 0; i < ynode_pairs(node); i++) {
		k = cc_key(c, ynode_key(node, i), defaults_keys, "in defaults");
		if (k == BLOCK_REQUIRE)
			cc_require(c, ynode_value(node, i), &block->require);
		else if (k == BLOCK_ACTION)
			cc_action(c, ynode_value(node, i), &block->action);
		else if (k == BLOCK_REPLY)
			reply = ynode_value(node, i);
	}
	if (reply != NULL)
		cc_reply(c, reply, block->action, &block->reply);
}

/* ---------------------------------------------------------------- partners */

/* cc_name_hash - FNV-1a of a name, ignoring ASCII case. */
static uint32_t
cc_name_hash(const char *name)
{
	uint32_t hash = 2166136261u;
	unsigned char ch;

	for (; *name != '\0'; name++) {
		ch = (unsigned char)*name;
		hash ^= ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
		hash *= 16777619u;
	}
	return hash;
}

/* cc_name_find - the slot of an equal name, or the empty slot where it goes. */
static struct name_slot *
cc_name_find(const struct compiler *c, const char *name, uint32_t hash)
{
	size_t mask = c->names_size - 1;
	size_t i = hash & mask;
	struct name_slot *slot;

	for (;;) {
		slot = &c->names[i];
		if (slot->partner == 0 || (slot->hash == hash &&
		    strcasecmp(c->policy->partners[slot->partner - 1].name, name) == 0))
			return slot;
		i = (i + 1) & mask;
	}
}

/*
 * cc_names_unique - report partner names used twice, case-insensitively.
 * Done once all partners are in, with a table sized for all of them:
 * checking each name as it was parsed cost a cache miss per partner and
 * a rehash per doubling, while here the probes of successive names do
 * not wait on each other.  Names are taken in file order, so the first
 * spelling is the one the message points back to.
 */
static void
cc_names_unique(struct compiler *c)
{
	const struct policy_partner *partner;
	const struct policy_partner *first;
	struct name_slot *slot;
	size_t size = 16;
	uint32_t hash;
	size_t i;

	while (size < 2 * c->policy->partner_count)
		size *= 2;
	if ((c->names = calloc(size, sizeof(*c->names))) == NULL) {
		cc_report(c, false, 0, 0, "out of memory");
		return;
	}
	c->names_size = size;
	for (i = 0; i < c->policy->partner_count; i++) {
		partner = &c->policy->partners[i];
		if (partner->name == NULL)
			continue;
		hash = cc_name_hash(partner->name);
		slot = cc_name_find(c, partner->name, hash);
		if (slot->partner != 0) {
			first = &c->policy->partners[slot->partner - 1];
			cc_report(c, false, partner->name_line, partner->name_column,
			    "name: duplicate partner name \"%s\" (first at line %u, "
			    "column %u)", partner->name, first->name_line, first->name_column);
			continue;
		}
		slot->partner = (uint32_t)i + 1;
		slot->hash = hash;
	}
}

/* cc_partner_name - a valid, unique name for partner index. */
static void
cc_partner_name(struct compiler *c, const struct ynode *node, size_t index)
{
	char quoted[YTREE_QUOTE_SIZE];
	struct policy_partner *partner;
	const char *text;

	if (node->kind == YNODE_SCALAR && (ynode_is_null(node) || node->u.text[0] == '\0')) {
		cc_error(c, node, "name: empty partner name");
		return;
	}
	if ((text = cc_string(c, node, "name")) == NULL)
		return;
	if (!cc_token(text, "._-", NAME_MAX_LEN)) {
		cc_error(c, node, "name: invalid partner name %s; use 1 to %d letters, "
		    "digits, '.', '_' or '-'", ytree_quote(text, quoted, sizeof(quoted)),
		    NAME_MAX_LEN);
		return;
	}
	partner = &c->policy->partners[index];
	if ((partner->name = strarena_copy(&c->policy->strings, text, node->count)) == NULL) {
		cc_nomem(c, node);
		return;
	}
	/* Uniqueness is checked at the end (cc_names_unique()). */
	partner->name_line = node->line;
	partner->name_column = node->column;
}

/* cc_partner_new - append an empty partner; returns its number, or SIZE_MAX. */
static size_t
cc_partner_new(struct compiler *c, const struct ynode *item)
{
	struct policy *policy = c->policy;
	struct policy_partner *grown;
	size_t cap;

	if (policy->partner_count == c->partner_cap) {
		cap = c->partner_cap == 0 ? 64 : c->partner_cap * 2;
		if (cap >= UINT32_MAX || (grown = realloc(policy->partners, cap * sizeof(*grown))) == NULL) {
			cc_nomem(c, item);
			return SIZE_MAX;
		}
		policy->partners = grown;
		c->partner_cap = cap;
	}
	cc_block_init(&policy->partners[policy->partner_count], policy->partner_count,
	    item->line);
	return policy->partner_count++;
}

/* cc_partner_body - every key of a partner mapping but its name. */
static void
cc_partner_body(struct compiler *c, const struct ynode *item, size_t index)
{
	struct policy_partner *partner = &c->policy->partners[index];
	const struct ynode *match = NULL;
	const struct ynode *reply = NULL;
	const struct ynode *value;
	char where[160];
	char label[128];
	size_t i;
	int k;

	/* The label is formatted only for a message: most partners have none. */
	label[0] = '\0';
	for (i = 0; i < ynode_pairs(item); i++) {
		value = ynode_value(item, i);
		if ((k = cc_key_find(ynode_key(item, i), partner_keys)) < 0) {
			snprintf(where, sizeof(where), "in %s",
			    cc_partner_label(c, index, label, sizeof(label)));
			k = cc_key(c, ynode_key(item, i), partner_keys, where);
		}
		switch (k) {
		case PARTNER_MODE:
			if ((k = cc_enum(c, value, "mode", mode_values, 2)) >= 0) {
				partner->mode = k == 0 ? POLICY_MODE_ENFORCE : POLICY_MODE_TESTING;
				partner->mode_set = true;
			}
			break;
		case PARTNER_MATCH:
			match = value;
			if (!cc_match(c, value, index))
				cc_error(c, value, "%s has no selector; list at least one "
				    "entry under sender_domains, client_hosts, client_ips or "
				    "recipient_domains",
				    cc_partner_label(c, index, label, sizeof(label)));
			break;
		case PARTNER_REQUIRE:
			cc_require(c, value, &partner->require);
			break;
		case PARTNER_ACTION:
			cc_action(c, value, &partner->action);
			break;
		case PARTNER_REPLY:
			reply = value;
			break;
		}
	}
	if (match == NULL)
		cc_error(c, item, "%s: missing required key \"match\"",
		    cc_partner_label(c, index, label, sizeof(label)));
	if (reply != NULL)
		cc_reply(c, reply, partner->action, &partner->reply);
}

/* cc_partner - compile one item of the partners list (the tree streams them here). */
static void
cc_partner(void *context, const struct ynode *item)
{
	struct compiler *c = context;
	char got[YTREE_QUOTE_SIZE];
	const struct ynode *key;
	size_t index;
	size_t i;

	if ((index = cc_partner_new(c, item)) == SIZE_MAX)
		return;
	if (item->kind != YNODE_MAPPING) {
		cc_error(c, item, "partner #%zu: expected a mapping, got %s", index + 1,
		    cc_got(item, got, sizeof(got)));
		return;
	}
	/* The name first, so that every message about this partner can use it. */
	for (i = 0; i < ynode_pairs(item); i++) {
		key = ynode_key(item, i);
		if (key->kind == YNODE_SCALAR && strcmp(key->u.text, "name") == 0)
			break;
	}
	if (i < ynode_pairs(item))
		cc_partner_name(c, ynode_value(item, i), index);
	else
		cc_error(c, item, "partner #%zu: missing required key \"name\"", index + 1);
	cc_partner_body(c, item, index);
}

/* ---------------------------------------------------------------- top level */

/* cc_version - "version: 1", the only format there is. */
static void
cc_version(struct compiler *c, const struct ynode *node)
{
	char got[YTREE_QUOTE_SIZE];

	if (node->kind == YNODE_SCALAR && node->plain && strcmp(node->u.text, "1") == 0)
		return;
	if (node->kind == YNODE_SCALAR && !node->plain && strcmp(node->u.text, "1") == 0)
		cc_error(c, node, "version: expected the number 1 without quotes");
	else if (node->kind == YNODE_SCALAR && node->plain && cc_digits(node->u.text, 9) > 0 &&
	    node->u.text[cc_digits(node->u.text, 9)] == '\0')
		cc_error(c, node, "version: unsupported policy version %s; this "
		    "tlspolicy-milter reads version 1", node->u.text);
	else
		cc_error(c, node, "version: expected 1, got %s", cc_got(node, got, sizeof(got)));
}

/* cc_settings - mode, header, authserv_id, on_missing_macros. */
static void
cc_settings(struct compiler *c, const struct ynode *node)
{
	struct policy *policy = c->policy;
	char quoted[YTREE_QUOTE_SIZE];
	const struct ynode *value;
	const char *text;
	size_t i;
	int k;

	if (!cc_collection(c, node, YNODE_MAPPING, "settings"))
		return;
	for (i = 0; i < ynode_pairs(node); i++) {
		value = ynode_value(node, i);
		switch (cc_key(c, ynode_key(node, i), settings_keys, "in settings")) {
		case SET_MODE:
			if ((k = cc_enum(c, value, "mode", mode_values, 2)) >= 0)
				policy->mode = k == 0 ? POLICY_MODE_ENFORCE : POLICY_MODE_TESTING;
			break;
		case SET_MISSING:
			if ((k = cc_enum(c, value, "on_missing_macros", missing_values, 2)) >= 0)
				policy->on_missing_macros = k == 0 ?
				    POLICY_MISSING_TEMPFAIL : POLICY_MISSING_ACCEPT;
			break;
		case SET_HEADER:
			if ((text = cc_string(c, value, "header")) == NULL)
				break;
			if (!cc_token(text, "-", HEADER_MAX_LEN)) {
				cc_error(c, value, "header: invalid header name %s; use 1 to %d "
				    "letters, digits and '-'", ytree_quote(text, quoted,
				    sizeof(quoted)), HEADER_MAX_LEN);
				break;
			}
			policy->header_name = cc_strdup(c, value, text);
			break;
		case SET_AUTHSERV:
			if ((text = cc_string(c, value, "authserv_id")) == NULL)
				break;
			if (!cc_token(text, ".-_", AUTHSERV_MAX_LEN)) {
				cc_error(c, value, "authserv_id: invalid authserv-id %s; use 1 to "
				    "%d letters, digits, '.', '-' and '_'", ytree_quote(text,
				    quoted, sizeof(quoted)), AUTHSERV_MAX_LEN);
				break;
			}
			policy->authserv_id = cc_strdup(c, value, text);
			break;
		}
	}
}

/* cc_exempt - client_ips and authenticated. */
static void
cc_exempt(struct compiler *c, const struct ynode *node)
{
	size_t i;

	if (!cc_collection(c, node, YNODE_MAPPING, "exempt"))
		return;
	for (i = 0; i < ynode_pairs(node); i++) {
		switch (cc_key(c, ynode_key(node, i), exempt_keys, "in exempt")) {
		case EXEMPT_IPS:
			cc_pattern_list(c, ynode_value(node, i), SEL_IP, SIZE_MAX);
			break;
		case EXEMPT_AUTH:
			cc_bool(c, ynode_value(node, i), "authenticated",
			    &c->policy->exempt_authenticated);
			break;
		}
	}
}

/* cc_root - the top-level mapping (partners were compiled while parsing). */
static void
cc_root(struct compiler *c, const struct ynode *root)
{
	const struct ynode *value;
	char got[YTREE_QUOTE_SIZE];
	bool version = false;
	size_t i;
	size_t j;

	if (root->kind != YNODE_MAPPING) {
		cc_error(c, root, "expected a mapping with \"version: 1\" at the top level, "
		    "got %s", cc_got(root, got, sizeof(got)));
		return;
	}
	for (i = 0; i < ynode_pairs(root); i++) {
		value = ynode_value(root, i);
		switch (cc_key(c, ynode_key(root, i), root_keys, "at the top level")) {
		case ROOT_VERSION:
			version = true;
			cc_version(c, value);
			break;
		case ROOT_SETTINGS:
			cc_settings(c, value);
			break;
		case ROOT_EXEMPT:
			cc_exempt(c, value);
			break;
		case ROOT_DEFAULTS:
			cc_defaults(c, value);
			break;
		case ROOT_PARTNERS:
			/* Streamed items were compiled already; this sees the type. */
			if (cc_collection(c, value, YNODE_SEQUENCE, "partners"))
				for (j = 0; j < value->count; j++)
					cc_partner(c, &value->u.items[j]);
			break;
		}
	}
	if (!version)
		cc_error(c, root, "missing required key \"version\" (add \"version: 1\")");
}

/* ---------------------------------------------------------------- loading */

/* cc_policy_new - an empty policy with every default, or NULL. */
static struct policy *
cc_policy_new(const char *name)
{
	struct policy *policy = calloc(1, sizeof(*policy));

	if (policy == NULL)
		return NULL;
	atomic_init(&policy->refs, 1);
	policy->mode = POLICY_MODE_ENFORCE;
	policy->on_missing_macros = POLICY_MISSING_TEMPFAIL;
	policy->exempt_authenticated = true;
	cc_block_init(&policy->defaults, SIZE_MAX, 0);
	policy->file = strarena_copy(&policy->strings, name, strlen(name));
	policy->header_name = strarena_copy(&policy->strings, "X-TLS-Policy", 12);
	policy->defaults.name = strarena_copy(&policy->strings, "default", 7);
	policy->sender_domains = domain_index_new();
	policy->client_hosts = domain_index_new();
	policy->recipient_domains = domain_index_new();
	policy->client_ips = cidr_index_new();
	policy->exempt_ips = cidr_index_new();
	if (policy->file == NULL || policy->header_name == NULL ||
	    policy->defaults.name == NULL || policy->sender_domains == NULL ||
	    policy->client_hosts == NULL || policy->recipient_domains == NULL ||
	    policy->client_ips == NULL || policy->exempt_ips == NULL) {
		policy_unref(policy);
		return NULL;
	}
	return policy;
}

/* cc_finish - drop empty indexes and spare partner slots of a valid policy. */
static void
cc_finish(struct compiler *c)
{
	struct policy *policy = c->policy;
	struct policy_partner *shrunk;

	if (c->patterns[SEL_SENDER] == 0) {
		domain_index_free(policy->sender_domains);
		policy->sender_domains = NULL;
	}
	if (c->patterns[SEL_HOST] == 0) {
		domain_index_free(policy->client_hosts);
		policy->client_hosts = NULL;
	}
	if (c->patterns[SEL_IP] == 0) {
		cidr_index_free(policy->client_ips);
		policy->client_ips = NULL;
	}
	if (c->patterns[SEL_RECIPIENT] == 0) {
		domain_index_free(policy->recipient_domains);
		policy->recipient_domains = NULL;
	}
	if (c->exempt_patterns == 0) {
		cidr_index_free(policy->exempt_ips);
		policy->exempt_ips = NULL;
	}
	if (policy->partner_count > 0 && policy->partner_count < c->partner_cap &&
	    (shrunk = realloc(policy->partners,
	    policy->partner_count * sizeof(*shrunk))) != NULL)
		policy->partners = shrunk;
}

/*
 * cc_parse - parse in one thread or two.  A second thread pays only for
 * big files: on a 2-core machine it cost 2-4 ms more for 300 to 1,000
 * partners (55-185 KB), 1.5-3 ms more for 3,000 to 5,000 (0.5-0.9 MB),
 * saved a fifth at 10,000 (1.8 MB) and a quarter at 100,000; and
 * libFuzzer ran the loader five times slower with it.
 */
static struct ytree *
cc_parse(int fd, const char *data, size_t size, const struct ytree_options *options)
{
	if (size >= PIPE_MIN_SIZE)
		return ytree_pipe_parse(fd, data, size, options);
	if (fd >= 0)
		return ytree_parse_fd(fd, options);
	return ytree_parse(data, size, options);
}

/* cc_load - compile from fd (size bytes, 0: unknown), or from data when fd is -1. */
static struct policy *
cc_load(const char *name, int fd, const char *data, size_t size, struct policy_diag *diag)
{
	struct ytree_options options;
	struct compiler c;
	struct ytree *tree;
	size_t errors;

	memset(&c, 0, sizeof(c));
	c.file = name;
	if ((c.policy = cc_policy_new(name)) == NULL) {
		policy_diag_add(diag, false, name, 0, 0, "out of memory");
		return NULL;
	}
	memset(&options, 0, sizeof(options));
	options.stream_key = "partners";
	options.stream_item = cc_partner;
	options.report = cc_tree_report;
	options.context = &c;
	tree = cc_parse(fd, data, size, &options);
	if (tree != NULL)
		cc_root(&c, ytree_root(tree));
	cc_names_unique(&c);
	ytree_free(tree);
	free(c.names);
	errors = c.errors;
	cc_flush(&c, diag);
	if (errors > 0 || tree == NULL) {
		policy_unref(c.policy);
		return NULL;
	}
	cc_finish(&c);
	return c.policy;
}

/* policy_load_buffer - parse, validate and compile a policy held in memory. */
struct policy *
policy_load_buffer(const char *name, const char *data, size_t size,
    struct policy_diag *diag)
{
	if (size > POLICY_MAX_SIZE) {
		policy_diag_add(diag, false, name, 0, 0, "file larger than %u MiB",
		    POLICY_MAX_SIZE >> 20);
		return NULL;
	}
	return cc_load(name, -1, data, size, diag);
}

/*
 * policy_load_file - parse, validate and compile a policy file.  The
 * size is checked before reading when fstat() knows it; the parser reads
 * the file in small pieces and stops past the limit in any case.
 */
struct policy *
policy_load_file(const char *path, struct policy_diag *diag)
{
	struct policy *policy;
	struct stat st;
	int fd;
	int error = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		policy_diag_add(diag, false, path, 0, 0, "cannot read: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0)
		error = errno;
	else if (S_ISDIR(st.st_mode))
		error = EISDIR;
	if (error != 0) {
		close(fd);
		policy_diag_add(diag, false, path, 0, 0, "cannot read: %s", strerror(error));
		return NULL;
	}
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > POLICY_MAX_SIZE) {
		close(fd);
		policy_diag_add(diag, false, path, 0, 0, "file larger than %u MiB",
		    POLICY_MAX_SIZE >> 20);
		return NULL;
	}
	policy = cc_load(path, fd, NULL, S_ISREG(st.st_mode) ? (size_t)st.st_size : 0,
	    diag);
	close(fd);
	return policy;
}
