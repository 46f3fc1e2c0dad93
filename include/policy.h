/*
 * policy.h - the compiled partner policy and its evaluation.
 *
 * policy_load_file() reads a YAML policy, validates every key and value,
 * and compiles it into an immutable struct policy with indexes for sender
 * and recipient domains, client host patterns and client CIDRs.  A policy
 * is reference counted: the loader returns one reference, policy_ref()
 * adds one, policy_unref() drops one and frees on the last.  Errors and
 * warnings go into a caller-owned struct policy_diag as
 * "FILE:LINE:COL: message" lines; the loader never logs.
 *
 * policy_evaluate() turns one struct session_facts into a struct verdict:
 * which partner and selector matched (first partner in file order wins),
 * pass or fail with every reason, and the action after testing mode.
 * The verdict points into the policy: hold the reference while using it.
 */
#ifndef TLSPOLICY_POLICY_H
#define TLSPOLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include "facts.h"
#include "tls.h"

/* Diagnostics collected while loading. */
struct policy_diag_entry {
	bool warning;
	char *text;		/* "FILE:LINE:COL: message" or "FILE:LINE:COL: warning: message" */
};

struct policy_diag {
	struct policy_diag_entry *entries;
	size_t count;
	size_t capacity;
	size_t errors;		/* entries that are not warnings */
};

void policy_diag_init(struct policy_diag *diag);
void policy_diag_free(struct policy_diag *diag);
void policy_diag_add(struct policy_diag *diag, bool warning, const char *file,
    unsigned line, unsigned column, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

enum policy_mode {
	POLICY_MODE_ENFORCE = 0,
	POLICY_MODE_TESTING,
};

/* Ordered by severity: a message keeps the most severe action seen. */
enum policy_action {
	POLICY_ACTION_ACCEPT = 0,	/* nothing to do (pass, exempt) */
	POLICY_ACTION_TAG,
	POLICY_ACTION_QUARANTINE,
	POLICY_ACTION_DEFER,
	POLICY_ACTION_REJECT,
};

enum policy_missing {
	POLICY_MISSING_TEMPFAIL = 0,
	POLICY_MISSING_ACCEPT,
};

const char *policy_mode_name(enum policy_mode mode);
const char *policy_action_name(enum policy_action action);
int policy_action_parse(const char *name, enum policy_action *out);	/* 0 or -1 */

struct policy;
struct policy_partner;

/* Loading and lifetime. */
struct policy *policy_load_file(const char *path, struct policy_diag *diag);
struct policy *policy_load_buffer(const char *name, const char *data, size_t size,
    struct policy_diag *diag);
struct policy *policy_ref(struct policy *policy);
void policy_unref(struct policy *policy);	/* accepts NULL */

/* What the loaded policy holds. */
const char *policy_file(const struct policy *policy);
size_t policy_partner_count(const struct policy *policy);
size_t policy_selector_count(const struct policy *policy);
enum policy_mode policy_mode(const struct policy *policy);
const char *policy_header_name(const struct policy *policy);
const char *policy_authserv_id(const struct policy *policy);	/* NULL: use the MTA's {j} */
enum policy_missing policy_on_missing_macros(const struct policy *policy);
bool policy_has_recipient_selectors(const struct policy *policy);
const char *policy_partner_name(const struct policy_partner *partner);

/* Which selector decided. */
enum policy_selector {
	POLICY_SELECTOR_NONE = 0,	/* no partner matched: defaults apply */
	POLICY_SELECTOR_SENDER_DOMAIN,
	POLICY_SELECTOR_CLIENT_HOST,
	POLICY_SELECTOR_CLIENT_IP,
	POLICY_SELECTOR_RECIPIENT_DOMAIN,
	POLICY_SELECTOR_EXEMPT_IP,
	POLICY_SELECTOR_EXEMPT_AUTH,
	POLICY_SELECTOR_MISSING_MACROS,
};

const char *policy_selector_name(enum policy_selector selector);	/* "sender_domains", ... */

enum verdict_result {
	VERDICT_PASS = 0,
	VERDICT_FAIL,
	VERDICT_EXEMPT,
	VERDICT_TEMPERROR,	/* the MTA sent no macro data: cannot judge */
};

const char *verdict_result_name(enum verdict_result result);	/* "pass", "fail", ... */

/* Reasons a session fails its requirements: a bit set. */
enum verdict_reason {
	REASON_NO_TLS = 1u << 0,
	REASON_UNKNOWN_VERSION = 1u << 1,
	REASON_VERSION_TOO_OLD = 1u << 2,
	REASON_NO_PFS = 1u << 3,
	REASON_UNKNOWN_CIPHER = 1u << 4,
	REASON_WEAK_CIPHER = 1u << 5,
	REASON_NO_CLIENT_CERT = 1u << 6,
	REASON_CERT_UNVERIFIED = 1u << 7,
	REASON_CERT_MISMATCH = 1u << 8,
	REASON_MISSING_MACROS = 1u << 9,
};

/* verdict_reasons_format - "no-pfs,weak-cipher" into buf; "-" when none. */
void verdict_reasons_format(unsigned reasons, char *buf, size_t size);

struct verdict {
	enum verdict_result result;
	const struct policy_partner *partner;	/* NULL: defaults (non-partner mail) */
	enum policy_selector selector;
	const char *selector_value;	/* the pattern as written in the policy, or NULL */
	unsigned selector_line;		/* where it is written, 0 if nowhere */
	unsigned reasons;
	enum policy_action action;	/* what the policy asks for this result */
	enum policy_action effective;	/* after testing mode: what the milter does */
	bool testing;			/* action was softened to a "would-" action */
};

/*
 * policy_evaluate - judge the facts.  rcpt is NULL at MAIL (client and
 * sender selectors) and the recipient address at RCPT (recipient
 * selectors only; returns selector NONE when no recipient selector
 * matches, so the caller keeps the MAIL verdict).
 */
void policy_evaluate(const struct policy *policy, const struct session_facts *facts,
    const char *rcpt, struct verdict *out);

/* Rendering: every fact goes through textsafe first. */
struct policy_reply {
	char rcode[4];		/* "451", "550" */
	char xcode[16];		/* "4.7.0", "5.7.0" */
	char text[512];		/* one line, no '%', CR or LF */
};

/*
 * verdict_reply - fill the SMTP reply for a DEFER or REJECT effective
 * action; returns -1 (and leaves out empty) for any other action.
 */
int verdict_reply(const struct policy *policy, const struct verdict *verdict,
    const struct session_facts *facts, struct policy_reply *out);

/*
 * verdict_header - the tag header's value (without the name), e.g.
 * "mx.example.org; verdict=fail; partner=yandex; action=would-reject; ...".
 * The authserv-id is the policy's, else facts->mta_name, else "localhost".
 */
size_t verdict_header(const struct policy *policy, const struct verdict *verdict,
    const struct session_facts *facts, char *buf, size_t size);

/*
 * verdict_requirement_text - what the matched partner (or the defaults)
 * requires, e.g. "TLSv1.2+ with forward secrecy and 128-bit ciphers";
 * "nothing" when the block requires nothing.
 */
size_t verdict_requirement_text(const struct policy *policy, const struct verdict *verdict,
    char *buf, size_t size);

/*
 * facts_session_text - what this session had, e.g. "TLSv1.2
 * AES256-GCM-SHA384 (256 bits) without forward secrecy" or "no TLS".
 */
size_t facts_session_text(const struct session_facts *facts, char *buf, size_t size);

/*
 * verdict_log_line - "tlspolicy: client=host[ip] sender=<...> ..." (the
 * caller prefixes the queue ID).  rcpt may be NULL.
 */
size_t verdict_log_line(const struct verdict *verdict, const struct session_facts *facts,
    const char *rcpt, char *buf, size_t size);

#endif
