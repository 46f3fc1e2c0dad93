/*
 * policy_int.h - the compiled policy's layout, private to policy/.
 *
 * The compiler (policy_compile.c) builds these structures once; after
 * policy_load_*() returns nothing in them changes, so any number of
 * threads may read one policy while they hold a reference.  Partners are
 * numbered in file order; every index maps a key to the lowest partner
 * number that names it, which makes "first partner in file order wins"
 * a min() over the index hits.  An index with no pattern is NULL after
 * loading, so "is there any recipient selector" is a NULL test.
 */
#ifndef TLSPOLICY_POLICY_INT_H
#define TLSPOLICY_POLICY_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include "policy.h"
#include "tls.h"

struct policy_require {
	enum tls_version min_version;	/* TLS_VERSION_NONE: no minimum */
	int min_cipher_bits;		/* 0: no minimum */
	bool tls;
	bool pfs;
	bool cert_required;		/* client_cert given at all */
	bool cert_verified;		/* client_cert.verified */
	char *cert_issuer;		/* NULL: any issuer */
	char *cert_subject;		/* NULL: any subject */
};

struct policy_custom_reply {
	bool set;
	char rcode[4];			/* "" when the text gave no code */
	char xcode[16];
	char *text;
};

/*
 * A string arena: small strings copied into big blocks, freed all at
 * once.  A 100,000-partner policy holds about 300,000 names and
 * patterns; one malloc() each cost more than the rest of their indexes
 * and left 16-byte headers and rounding on every one of them.
 */
struct strarena;

/* strarena_copy - a NUL-terminated copy of len bytes of text, or NULL. */
char *strarena_copy(struct strarena **arena, const char *text, size_t len);
void strarena_free(struct strarena *arena);	/* accepts NULL */

struct policy_partner {
	char *name;			/* "default" for the defaults block */
	size_t index;			/* file order; SIZE_MAX for the defaults */
	bool mode_set;			/* mode given for this partner */
	enum policy_mode mode;
	enum policy_action action;
	unsigned line;			/* where the partner starts */
	unsigned name_line;		/* where its name is written (duplicate names) */
	unsigned name_column;
	struct policy_require require;
	struct policy_custom_reply reply;
};

/* One index hit: the lowest partner naming this key, and where. */
struct policy_match {
	size_t partner;			/* index into policy->partners */
	const char *pattern;		/* as written in the file (owned by the index) */
	unsigned line;
	unsigned column;
};

struct domain_index;
struct cidr_index;

struct policy {
	atomic_uint refs;
	char *file;
	struct strarena *strings;	/* owns every string below and in the partners */

	/* settings */
	enum policy_mode mode;
	char *header_name;
	char *authserv_id;		/* NULL: MTA's {j} */
	enum policy_missing on_missing_macros;

	/* exempt */
	struct cidr_index *exempt_ips;	/* partner field unused (0) */
	bool exempt_authenticated;

	/* defaults and partners */
	struct policy_partner defaults;
	struct policy_partner *partners;
	size_t partner_count;
	size_t selector_count;

	/* indexes */
	struct domain_index *sender_domains;
	struct domain_index *client_hosts;
	struct domain_index *recipient_domains;
	struct cidr_index *client_ips;
};

/* Domain names: exact keys in a hash table, "*." patterns by suffix. */

/*
 * domain_normalize - lower-case, strip one trailing dot, check LDH labels
 * (A-labels for IDN; underscores allowed), total <= 253, labels <= 63.
 * Writes the result into out (size >= 256).  wildcard: accept and keep a
 * leading "*." Returns 0, or -1 with a reason in err.
 */
int domain_normalize(const char *text, bool wildcard, char *out, size_t size,
    char *err, size_t errlen);

struct domain_index *domain_index_new(void);
void domain_index_free(struct domain_index *index);

/*
 * domain_index_add - add a normalized pattern ("example.org" or
 * "*.example.org") for a partner.  If the same pattern is already there
 * the lower partner keeps it and *previous (if not NULL) receives the
 * earlier entry, so the caller can warn; returns 1 then, 0 when new, -1
 * on allocation failure.
 */
int domain_index_add(struct domain_index *index, const char *pattern, size_t partner,
    unsigned line, unsigned column, struct policy_match *previous);

/*
 * domain_index_lookup - the lowest partner whose pattern matches name:
 * an exact key equal to name, or "*.S" where S is a proper suffix of
 * name at a label boundary.  name must be normalized by the caller
 * (domain_lookup_key()).  Returns true and fills out on a hit.
 */
bool domain_index_lookup(const struct domain_index *index, const char *name,
    struct policy_match *out);

/*
 * domain_lookup_key - normalize a name from the session for lookup:
 * lower-case, trailing dot stripped; returns -1 if it cannot be a
 * domain (too long, empty label, bad byte).
 */
int domain_lookup_key(const char *name, char *out, size_t size);

/* CIDR blocks: a binary trie per address family. */
struct cidr {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char bytes[16];
	unsigned prefix;		/* 0..32 or 0..128 */
};

/*
 * cidr_parse - "192.0.2.0/24", "2001:db8::/32", or a bare address (a
 * host route).  Host bits set below the prefix are an error, as is a
 * prefix out of range.  Returns 0, or -1 with a reason in err.
 */
int cidr_parse(const char *text, struct cidr *out, char *err, size_t errlen);

struct cidr_index *cidr_index_new(void);
void cidr_index_free(struct cidr_index *index);

/* cidr_index_add - same contract as domain_index_add(). */
int cidr_index_add(struct cidr_index *index, const struct cidr *block, const char *pattern,
    size_t partner, unsigned line, unsigned column, struct policy_match *previous);

/* cidr_index_lookup - lowest partner among all blocks containing addr. */
bool cidr_index_lookup(const struct cidr_index *index, const struct ip_addr *addr,
    struct policy_match *out);

/*
 * cert_name_matches - policy value vs session fact; see cert.c for the
 * forms.  A wanted value without '=' is a CN: it matches the CN of a
 * full DN (Sendmail) or the whole CN-only value (Postfix).  A wanted
 * value with '=' is a DN, compared attribute by attribute.
 */
bool cert_name_matches(const char *wanted, const char *actual);

/*
 * cert_xtext_decode - decode Sendmail's "+XX" hex escapes in a DN.
 * Returns a new string (caller frees) or NULL on allocation failure;
 * a malformed escape is kept literally.
 */
char *cert_xtext_decode(const char *text);

#endif
