/*
 * policy_compile.c - load a YAML policy: validate it and compile struct policy.
 *
 * policy_load_file() opens the file (a directory or an unreadable file
 * is "FILE: cannot read: REASON", a file over 64 MiB is refused before
 * reading) and lets the parser read it in small pieces;
 * policy_load_buffer() takes the text from memory.  Both parse with
 * ytree_parse*() and check
 * every key and value against the format in tlspolicy.yaml(5).  Partners
 * are compiled one by one as the parser completes them (the tree streams
 * the "partners" list), so a file with 100,000 partners never exists as
 * one big tree; everything else is compiled from the tree at the end.
 *
 * Every problem is reported with the position of the node it concerns,
 * and checking goes on after the first error so that one run shows them
 * all; a policy is returned only when there was none.  Messages are
 * collected here and handed to the caller's struct policy_diag sorted by
 * position (ties keep the order they were found in), because streamed
 * partners are checked before the settings that precede them.
 *
 * Partner names are unique case-insensitively, found through a hash of
 * the names seen so far, not by comparing every pair.  A pattern listed
 * by two partners is a warning: the indexes keep the first partner.
 *
 * An index with no patterns is freed and left NULL, so the evaluator
 * skips it and policy_has_recipient_selectors() is a pointer test.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy_int.h"
#include "yaml_tree.h"

#define NAME_MAX_LEN	64
#define HEADER_MAX_LEN	64
#define AUTHSERV_MAX_LEN 255
#define REPLY_TEXT_MAX	400

struct message {
	unsigned line;
	unsigned column;
	size_t seq;			/* order found, to keep the sort stable */
	bool warning;
	char *text;
};

struct name_slot {
	uint32_t partner;		/* partner number + 1; 0: empty */
	uint32_t hash;
	unsigned line;
	unsigned column;
};

struct compiler {
	const char *file;
	struct policy *policy;
	struct message *messages;
	size_t message_count;
	size_t message_cap;
	size_t errors;
	size_t partner_cap;
	struct name_slot *names;	/* partner names seen, by lower-case hash */
	size_t names_size;
	size_t names_used;
	size_t patterns[4];		/* entries per selector (SEL_*) */
	size_t exempt_patterns;
};

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

static void cc_report(struct compiler *, bool, unsigned, unsigned, const char *, ...)
    __attribute__((format(printf, 5, 6)));
static void cc_error(struct compiler *, const struct ynode *, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void cc_warn(struct compiler *, const struct ynode *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* cc_add_message - keep one formatted message; out of memory still counts it. */
static void
cc_add_message(struct compiler *c, bool warning, unsigned line, unsigned column,
    char *text)
{
	struct message *grown;
	size_t cap;

	if (!warning)
		c->errors++;
	if (c->message_count == c->message_cap) {
		cap = c->message_cap == 0 ? 16 : c->message_cap * 2;
		if ((grown = realloc(c->messages, cap * sizeof(*grown))) == NULL) {
			free(text);
			return;
		}
		c->messages = grown;
		c->message_cap = cap;
	}
	c->messages[c->message_count].line = line;
	c->messages[c->message_count].column = column;
	c->messages[c->message_count].seq = c->message_count;
	c->messages[c->message_count].warning = warning;
	c->messages[c->message_count].text = text;
	c->message_count++;
}

/* cc_report - an error or warning at a position (line 0: none). */
static void
cc_report(struct compiler *c, bool warning, unsigned line, unsigned column,
    const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&text, fmt, ap);
	va_end(ap);
	cc_add_message(c, warning, line, column, len < 0 ? NULL : text);
}

/* cc_error - an error at a node. */
static void
cc_error(struct compiler *c, const struct ynode *at, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&text, fmt, ap);
	va_end(ap);
	cc_add_message(c, false, at->line, at->column, len < 0 ? NULL : text);
}

/* cc_warn - a warning at a node. */
static void
cc_warn(struct compiler *c, const struct ynode *at, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&text, fmt, ap);
	va_end(ap);
	cc_add_message(c, true, at->line, at->column, len < 0 ? NULL : text);
}

/* cc_nomem - report running out of memory. */
static void
cc_nomem(struct compiler *c, const struct ynode *at)
{
	cc_report(c, false, at != NULL ? at->line : 0, at != NULL ? at->column : 0,
	    "out of memory");
}

/* cc_tree_report - ytree_parse()'s messages join ours. */
static void
cc_tree_report(void *context, unsigned line, unsigned column, const char *message)
{
	cc_report(context, false, line, column, "%s", message);
}

/* cc_message_order - by position, then by the order found. */
static int
cc_message_order(const void *a, const void *b)
{
	const struct message *x = a;
	const struct message *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* cc_flush - hand the sorted messages to the caller's diagnostics. */
static void
cc_flush(struct compiler *c, struct policy_diag *diag)
{
	struct message *m;
	size_t i;

	if (c->message_count > 1)
		qsort(c->messages, c->message_count, sizeof(*c->messages),
		    cc_message_order);
	for (i = 0; i < c->message_count; i++) {
		m = &c->messages[i];
		policy_diag_add(diag, m->warning, c->file, m->line, m->column, "%s",
		    m->text != NULL ? m->text : "out of memory");
		free(m->text);
	}
	free(c->messages);
	if (c->errors > 0 && diag->errors == 0)
		diag->errors = c->errors;	/* every message lost to memory */
}

/* ---------------------------------------------------------------- words */

/* cc_distance - edit distance with transpositions, ignoring ASCII case (short words). */
static size_t
cc_distance(const char *word, const char *other)
{
	char a[33];
	char b[33];
	size_t d[33][33];
	size_t la = strlen(word);
	size_t lb = strlen(other);
	size_t i;
	size_t j;
	size_t best;

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		a[i] = (char)tolower((unsigned char)word[i]);
	for (j = 0; j <= lb; j++)
		b[j] = (char)tolower((unsigned char)other[j]);
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* cc_suggest - the one allowed word closest to a typo; NULL when none or several are. */
static const char *
cc_suggest(const char *word, const char *const *allowed)
{
	const char *best = NULL;
	size_t best_distance = SIZE_MAX;
	bool tie = false;
	size_t d;
	size_t i;

	for (i = 0; allowed[i] != NULL; i++) {
		d = cc_distance(word, allowed[i]);
		if (d > 2 || d * 3 > strlen(allowed[i]) || d > best_distance)
			continue;
		tie = d == best_distance;
		best = allowed[i];
		best_distance = d;
	}
	return tie ? NULL : best;
}

/* cc_list - "a, b, c or d" into buf (at most count words, 0: all). */
static const char *
cc_list(const char *const *words, size_t count, char *buf, size_t size)
{
	size_t len = 0;
	size_t n = 0;
	size_t i;

	while (words[n] != NULL && (count == 0 || n < count))
		n++;
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", words[i]);
		if (len >= size)
			break;
	}
	return buf;
}

/* cc_got - what a node is, for "expected X, got Y". */
static const char *
cc_got(const struct ynode *node, char *buf, size_t size)
{
	if (node->kind != YNODE_SCALAR || ynode_is_null(node))
		return ynode_kind_name(node);
	return ytree_quote(node->u.text, buf, size);
}

/* ---------------------------------------------------------------- keys and values */

/*
 * cc_key - which allowed key this is; -1 after reporting an unknown one.
 * where says which mapping, for the message ("in require").
 */
static int
cc_key(struct compiler *c, const struct ynode *key, const char *const *allowed,
    const char *where)
{
	char quoted[YTREE_QUOTE_SIZE];
	char list[256];
	const char *hint;
	size_t i;

	if (key->kind != YNODE_SCALAR)
		return -1;		/* the tree reported it */
	for (i = 0; allowed[i] != NULL; i++)
		if (strcmp(key->u.text, allowed[i]) == 0)
			return (int)i;
	ytree_quote(key->u.text, quoted, sizeof(quoted));
	if ((hint = cc_suggest(key->u.text, allowed)) != NULL)
		cc_error(c, key, "unknown key %s %s; did you mean \"%s\"?", quoted, where,
		    hint);
	else
		cc_error(c, key, "unknown key %s %s; expected %s", quoted, where,
		    cc_list(allowed, 0, list, sizeof(list)));
	return -1;
}

/* cc_collection - is node a usable mapping or list?  Null counts as empty (false, no error). */
static bool
cc_collection(struct compiler *c, const struct ynode *node, enum ynode_kind kind,
    const char *name)
{
	char got[YTREE_QUOTE_SIZE];

	if (node->kind == kind)
		return true;
	if (ynode_is_null(node))
		return false;
	cc_error(c, node, "%s: expected %s, got %s", name,
	    kind == YNODE_MAPPING ? "a mapping" : "a list", cc_got(node, got, sizeof(got)));
	return false;
}

/* cc_string - a non-empty scalar's text, or NULL after reporting. */
static const char *
cc_string(struct compiler *c, const struct ynode *node, const char *name)
{
	char got[YTREE_QUOTE_SIZE];

	if (node->kind != YNODE_SCALAR || ynode_is_null(node)) {
		cc_error(c, node, "%s: expected a string, got %s", name,
		    cc_got(node, got, sizeof(got)));
		return NULL;
	}
	if (node->u.text[0] == '\0') {
		cc_error(c, node, "%s: empty value", name);
		return NULL;
	}
	return node->u.text;
}

/* cc_bool - plain true or false; -1 after reporting anything else. */
static int
cc_bool(struct compiler *c, const struct ynode *node, const char *name, bool *out)
{
	char got[YTREE_QUOTE_SIZE];

	if (node->kind == YNODE_SCALAR && node->plain) {
		if (strcmp(node->u.text, "true") == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(node->u.text, "false") == 0) {
			*out = false;
			return 0;
		}
	}
	if (node->kind == YNODE_SCALAR && !node->plain)
		cc_error(c, node, "%s: expected true or false without quotes, got %s",
		    name, cc_got(node, got, sizeof(got)));
	else
		cc_error(c, node, "%s: expected true or false, got %s", name,
		    cc_got(node, got, sizeof(got)));
	return -1;
}

/* cc_int - a plain decimal integer in [min, max]; -1 after reporting. */
static int
cc_int(struct compiler *c, const struct ynode *node, const char *name, int min, int max,
    int *out)
{
	char got[YTREE_QUOTE_SIZE];
	const char *p;
	long value = 0;

	if (node->kind == YNODE_SCALAR && node->plain && node->u.text[0] != '\0') {
		for (p = node->u.text; *p >= '0' && *p <= '9' && value <= max; p++)
			value = value * 10 + (*p - '0');
		if (*p == '\0' && value >= min && value <= max) {
			*out = (int)value;
			return 0;
		}
	}
	cc_error(c, node, "%s: expected an integer from %d to %d, got %s", name, min, max,
	    cc_got(node, got, sizeof(got)));
	return -1;
}

/* cc_enum - which of values the scalar spells; -1 after reporting. */
static int
cc_enum(struct compiler *c, const struct ynode *node, const char *name,
    const char *const *values, size_t shown)
{
	char got[YTREE_QUOTE_SIZE];
	char list[256];
	const char *hint;
	size_t i;

	if (node->kind == YNODE_SCALAR && !ynode_is_null(node)) {
		for (i = 0; values[i] != NULL; i++)
			if (strcmp(node->u.text, values[i]) == 0)
				return (int)i;
		if ((hint = cc_suggest(node->u.text, values)) != NULL) {
			cc_error(c, node, "%s: unknown value %s; did you mean \"%s\"?", name,
			    cc_got(node, got, sizeof(got)), hint);
			return -1;
		}
	}
	cc_error(c, node, "%s: expected %s, got %s", name,
	    cc_list(values, shown, list, sizeof(list)), cc_got(node, got, sizeof(got)));
	return -1;
}

/* cc_token - text made only of allowed bytes, 1..max long; false if not. */
static bool
cc_token(const char *text, const char *extra, size_t max)
{
	size_t i;
	unsigned char ch;

	for (i = 0; text[i] != '\0'; i++) {
		ch = (unsigned char)text[i];
		if (i >= max || !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr(extra, ch) != NULL))
			return false;
	}
	return i > 0;
}

/* cc_strdup - copy a string; NULL and a report when memory is short. */
static char *
cc_strdup(struct compiler *c, const struct ynode *at, const char *text)
{
	char *copy = strdup(text);

	if (copy == NULL)
		cc_nomem(c, at);
	return copy;
}

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
		if (k == CCERT_ISSUER) {
			free(req->cert_issuer);
			req->cert_issuer = cc_strdup(c, value, text);
		} else {
			free(req->cert_subject);
			req->cert_subject = cc_strdup(c, value, text);
		}
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

/* cc_reply_chars - a reply is one line of printable ASCII without '%'. */
static int
cc_reply_chars(struct compiler *c, const struct ynode *node, const char *text)
{
	const unsigned char *p;

	if (strpbrk(text, "\r\n") != NULL) {
		cc_error(c, node, "reply: must be one line (it contains CR or LF)");
		return -1;
	}
	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p < 0x20 || *p >= 0x7f) {
			cc_error(c, node, "reply: only printable ASCII characters are allowed");
			return -1;
		}
	}
	if (strchr(text, '%') != NULL) {
		cc_error(c, node, "reply: '%%' is not allowed in a reply");
		return -1;
	}
	return 0;
}

/* cc_digits - length of a run of 1..max digits at p, 0 if none or too long. */
static size_t
cc_digits(const char *p, size_t max)
{
	size_t n = 0;

	while (p[n] >= '0' && p[n] <= '9')
		n++;
	return n <= max ? n : 0;
}

/* cc_reply_xcode - "X.Y.Z" at p; returns its length, 0 after reporting. */
static size_t
cc_reply_xcode(struct compiler *c, const struct ynode *node, const char *p,
    const char *rcode)
{
	char quoted[YTREE_QUOTE_SIZE];
	char xcode[64];
	size_t y;
	size_t z;
	size_t len;

	y = p[1] == '.' ? cc_digits(p + 2, 3) : 0;
	z = y > 0 && p[2 + y] == '.' ? cc_digits(p + 3 + y, 3) : 0;
	len = 3 + y + z;
	if (cc_digits(p, 1) != 1 || y == 0 || z == 0 || (p[len] != ' ' && p[len] != '\0')) {
		len = strcspn(p, " ");
		snprintf(xcode, sizeof(xcode), "%.*s", (int)(len < 40 ? len : 40), p);
		cc_error(c, node, "reply: bad enhanced status code %s; expected X.Y.Z, "
		    "as in %c.7.1", ytree_quote(xcode, quoted, sizeof(quoted)), rcode[0]);
		return 0;
	}
	if (p[0] != rcode[0]) {
		cc_error(c, node, "reply: enhanced code %.*s does not match reply code %s",
		    (int)len, p, rcode);
		return 0;
	}
	return len;
}

/*
 * cc_reply - "NNN X.Y.Z text", "NNN text" or "text", for defer (4xx,
 * 4.x.x) or reject (5xx, 5.x.x) only: Postfix drops a reply whose
 * classes disagree, and the milter could not honour one on a tag.
 */
static void
cc_reply(struct compiler *c, const struct ynode *node, enum policy_action action,
    struct policy_custom_reply *out)
{
	char want = action == POLICY_ACTION_DEFER ? '4' : '5';
	const char *text;
	const char *p;
	size_t len;

	if ((text = cc_string(c, node, "reply")) == NULL || cc_reply_chars(c, node, text) < 0)
		return;
	if (action != POLICY_ACTION_DEFER && action != POLICY_ACTION_REJECT) {
		cc_error(c, node, "reply: a reply is only sent with action defer or reject, "
		    "not %s", policy_action_name(action));
		return;
	}
	p = text;
	if (*p >= '0' && *p <= '9') {
		if (cc_digits(p, 3) != 3 || (p[3] != ' ' && p[3] != '\0')) {
			cc_error(c, node, "reply: bad reply code; expected \"NNN X.Y.Z text\" "
			    "(as in \"%c%s text\") or a text that does not start with a "
			    "digit", want, want == '4' ? "51 4.7.1" : "50 5.7.1");
			return;
		}
		if (p[0] != '4' && p[0] != '5') {
			cc_error(c, node, "reply: code %.3s is not a failure code; use 4xx "
			    "with defer or 5xx with reject", p);
			return;
		}
		if (p[0] != want) {
			cc_error(c, node, "reply: code %.3s does not fit action %s; use a "
			    "%cxx code with a %c.x.x enhanced code", p,
			    policy_action_name(action), want, want);
			return;
		}
		memcpy(out->rcode, p, 3);
		out->rcode[3] = '\0';
		p += p[3] == ' ' ? 4 : 3;
		if (*p >= '0' && *p <= '9') {
			if ((len = cc_reply_xcode(c, node, p, out->rcode)) == 0)
				return;
			memcpy(out->xcode, p, len);
			out->xcode[len] = '\0';
			p += p[len] == ' ' ? len + 1 : len;
		}
	}
	while (*p == ' ')
		p++;
	if (*p == '\0') {
		cc_error(c, node, p == text ? "reply: empty reply" :
		    "reply: no text after the reply code");
		return;
	}
	if (strlen(p) > REPLY_TEXT_MAX) {
		cc_error(c, node, "reply: text longer than %d characters", REPLY_TEXT_MAX);
		return;
	}
	if ((out->text = cc_strdup(c, node, p)) != NULL)
		out->set = true;
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

	for (; *name != '\0'; name++) {
		hash ^= (unsigned char)tolower((unsigned char)*name);
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

/* cc_name_grow - double the name table. */
static int
cc_name_grow(struct compiler *c)
{
	struct name_slot *old = c->names;
	size_t old_size = c->names_size;
	size_t i;

	c->names_size = old_size == 0 ? 256 : old_size * 2;
	if ((c->names = calloc(c->names_size, sizeof(*c->names))) == NULL) {
		c->names = old;
		c->names_size = old_size;
		return -1;
	}
	for (i = 0; i < old_size; i++)
		if (old[i].partner != 0)
			*cc_name_find(c, c->policy->partners[old[i].partner - 1].name,
			    old[i].hash) = old[i];
	free(old);
	return 0;
}

/* cc_partner_name - a valid, unique name for partner index. */
static void
cc_partner_name(struct compiler *c, const struct ynode *node, size_t index)
{
	char quoted[YTREE_QUOTE_SIZE];
	struct name_slot *slot;
	const char *text;
	uint32_t hash;

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
	if ((c->names_used + 1) * 2 > c->names_size && cc_name_grow(c) < 0) {
		cc_nomem(c, node);
		return;
	}
	if ((c->policy->partners[index].name = cc_strdup(c, node, text)) == NULL)
		return;
	hash = cc_name_hash(text);
	slot = cc_name_find(c, text, hash);
	if (slot->partner != 0) {
		cc_error(c, node, "name: duplicate partner name \"%s\" (first at line %u, "
		    "column %u)", text, slot->line, slot->column);
		return;
	}
	slot->partner = (uint32_t)index + 1;
	slot->hash = hash;
	slot->line = node->line;
	slot->column = node->column;
	c->names_used++;
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

	cc_partner_label(c, index, label, sizeof(label));
	snprintf(where, sizeof(where), "in %s", label);
	for (i = 0; i < ynode_pairs(item); i++) {
		value = ynode_value(item, i);
		switch (cc_key(c, ynode_key(item, i), partner_keys, where)) {
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
				    "recipient_domains", label);
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
		cc_error(c, item, "%s: missing required key \"match\"", label);
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
	char **slot;
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
			slot = &policy->header_name;
			free(*slot);
			*slot = cc_strdup(c, value, text);
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
			slot = &policy->authserv_id;
			free(*slot);
			*slot = cc_strdup(c, value, text);
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
			if (cc_collection(c, value, YNODE_SEQUENCE, "partners") &&
			    !value->streamed)
				for (size_t j = 0; j < value->count; j++)
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
	policy->file = strdup(name);
	policy->header_name = strdup("X-TLS-Policy");
	policy->defaults.name = strdup("default");
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

/* cc_load - compile from fd, or from data when fd is -1. */
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
	options.stream_key = "partners";
	options.stream_item = cc_partner;
	options.report = cc_tree_report;
	options.context = &c;
	if (fd >= 0)
		tree = ytree_parse_fd(fd, &options);
	else
		tree = ytree_parse(data, size, &options);
	if (tree != NULL)
		cc_root(&c, ytree_root(tree));
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
	policy = cc_load(path, fd, NULL, 0, diag);
	close(fd);
	return policy;
}
