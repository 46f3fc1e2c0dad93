/*
 * compile.h - the policy compiler's state and value checks, private to policy/.
 *
 * policy_compile.c walks the tree section by section; compile_value.c
 * holds what every section uses: collecting messages, checking one key
 * or one typed value with the exact message when it is wrong, and the
 * SMTP reply syntax.  Every checker reports at the node it was given
 * and returns a failure value; none stops the compiler.
 */
#ifndef TLSPOLICY_COMPILE_H
#define TLSPOLICY_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy_int.h"
#include "yaml_tree.h"

/* One diagnostic, kept until the end so that all of them can be sorted. */
struct message {
	unsigned line;
	unsigned column;
	size_t seq;			/* order found, to keep the sort stable */
	bool warning;
	char *text;
};

/* A partner name seen, in the compiler's hash of names (its position is in the partner). */
struct name_slot {
	uint32_t partner;		/* partner number + 1; 0: empty */
	uint32_t hash;
};

/* Everything one load needs besides the tree. */
struct compiler {
	const char *file;
	struct policy *policy;
	struct message *messages;
	size_t message_count;
	size_t message_cap;
	size_t errors;
	size_t partner_cap;
	struct name_slot *names;	/* partner names, by lower-case hash (at the end) */
	size_t names_size;
	size_t patterns[4];		/* entries per selector (SEL_*) */
	size_t exempt_patterns;
};

/* Messages. */
void cc_report(struct compiler *c, bool warning, unsigned line, unsigned column,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void cc_error(struct compiler *c, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cc_warn(struct compiler *c, const struct ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cc_nomem(struct compiler *c, const struct ynode *at);
void cc_tree_report(void *context, unsigned line, unsigned column, const char *message);
void cc_flush(struct compiler *c, struct policy_diag *diag);

/* Keys and values; name is the key, for the message. */
const char *cc_got(const struct ynode *node, char *buf, size_t size);
int cc_key(struct compiler *c, const struct ynode *key, const char *const *allowed,
    const char *where);
int cc_key_find(const struct ynode *key, const char *const *allowed);
bool cc_collection(struct compiler *c, const struct ynode *node, enum ynode_kind kind,
    const char *name);
const char *cc_string(struct compiler *c, const struct ynode *node, const char *name);
int cc_bool(struct compiler *c, const struct ynode *node, const char *name, bool *out);
int cc_int(struct compiler *c, const struct ynode *node, const char *name, int min, int max,
    int *out);
int cc_enum(struct compiler *c, const struct ynode *node, const char *name,
    const char *const *values, size_t shown);
bool cc_token(const char *text, const char *extra, size_t max);
char *cc_strdup(struct compiler *c, const struct ynode *at, const char *text);
size_t cc_digits(const char *p, size_t max);

/* cc_reply - check a reply for action and fill out; reports what is wrong. */
void cc_reply(struct compiler *c, const struct ynode *node, enum policy_action action,
    struct policy_custom_reply *out);

#endif
