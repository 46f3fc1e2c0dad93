/*
 * facts.h - the facts of one SMTP session and message, as the policy sees them.
 *
 * The milter fills a struct session_facts from MTA macros through
 * facts_update(), which is the one place that knows how Postfix and
 * Sendmail spell things (CN-only certificate macros vs full DNs and
 * {verify}; {client_resolve}).  explain fills it the same way from its
 * command line.  All strings are owned by the struct: facts_free()
 * releases them.  Missing means unknown, not empty: a NULL string is a
 * fact the MTA did not send.
 */
#ifndef TLSPOLICY_FACTS_H
#define TLSPOLICY_FACTS_H

#include <stdbool.h>
#include <stdint.h>
#include "tls.h"

struct ip_addr {
	int family;		/* AF_INET or AF_INET6; 0 when unknown */
	uint8_t bytes[16];	/* network order; 4 bytes used for AF_INET */
};

/* ip_addr_parse - parse a literal v4/v6 address ("[...]" and "IPv6:" allowed). 0 on success, -1 on error. */
int ip_addr_parse(const char *text, struct ip_addr *out);

enum cert_status {
	CERT_NONE = 0,		/* no client certificate presented (or not asked) */
	CERT_UNVERIFIED,	/* presented, but not verified by the MTA */
	CERT_VERIFIED,		/* verified against the MTA's trust anchors */
};

const char *cert_status_name(enum cert_status status);	/* "none", "unverified", "verified" */

struct session_facts {
	bool macros_seen;	/* any macro at all came from the MTA */
	bool same_tls_lists;	/* the MTA sends the same TLS macros at HELO and MAIL */

	/* Connection. */
	char *client_ip;	/* text as reported, NULL if unknown */
	struct ip_addr client_addr;	/* family 0 when client_ip is not an address */
	char *client_name;	/* name the MTA reported, for logs */
	bool client_name_verified;	/* forward-confirmed: only then may client_hosts match */
	char *helo;
	char *mta_name;		/* {j}: default authserv-id */

	/* TLS: connection state, replaced at each HELO and at MAIL. */
	bool tls;		/* the session is encrypted */
	enum tls_version tls_version;
	char *tls_version_text;	/* as the MTA spelt it */
	char *cipher;
	int cipher_bits;	/* -1 when unknown */
	struct tls_cipher_class cipher_class;
	enum cert_status cert;
	char *cert_subject;	/* Postfix: CN; Sendmail: decoded full DN */
	char *cert_issuer;

	/* Message: reset by facts_reset_message() at each MAIL. */
	char *queue_id;		/* NULL until read by facts_update_queue_id() */
	char *sender;		/* envelope sender without <>; "" for the null sender */
	bool authenticated;	/* SASL {auth_type} present */
};

/* Which MTA stage the macros come from: it decides what they may replace. */
enum facts_stage {
	FACTS_STAGE_CONNECT,
	FACTS_STAGE_HELO,
	FACTS_STAGE_MAIL,
	FACTS_STAGE_RCPT,
	FACTS_STAGE_EOM,
};

/* Returns the macro's value, or NULL when the MTA did not send it. */
typedef const char *(*facts_macro_fn)(void *context, const char *name);

void facts_init(struct session_facts *facts);
void facts_free(struct session_facts *facts);	/* frees members, not the struct */
void facts_reset_message(struct session_facts *facts);

/*
 * facts_set_client - record the client from the MTA's connect event.
 * hostname is the name libmilter passes ("unknown" or "[addr]" means not
 * verified); ip may be NULL.  Macros seen later may refine both.
 */
void facts_set_client(struct session_facts *facts, const char *hostname, const char *ip);

/* facts_set_helo - record the HELO/EHLO argument. */
void facts_set_helo(struct session_facts *facts, const char *helo);

/* facts_set_sender - record the envelope sender (angle brackets stripped here). */
void facts_set_sender(struct session_facts *facts, const char *sender);

/*
 * facts_update - read the macros visible at this stage.  At HELO the TLS
 * facts are replaced wholesale (absent macros mean plaintext); at MAIL
 * they are replaced only when {tls_version} or {cipher} is present,
 * because an MTA that does not honour the milter's macro request sends
 * none there, and not when same_tls_lists is set and they name the
 * handshake HELO already read.
 * Classifies the cipher with table; with a NULL table (tests) only the
 * version and the name prefix rule can say "forward secret".
 */
void facts_update(struct session_facts *facts, enum facts_stage stage,
    facts_macro_fn get, void *context, const struct cipher_table *table);

/*
 * facts_update_queue_id - read the queue ID ({i}) if the MTA has one by
 * now (Postfix: not at MAIL nor at the first RCPT; Sendmail: at MAIL).
 * Only log lines show it, so the milter reads it just before logging.
 */
void facts_update_queue_id(struct session_facts *facts, facts_macro_fn get, void *context);

/*
 * facts_domain - the domain part of an address (after the last '@'),
 * or NULL for the null sender or an address without one.
 */
const char *facts_domain(const char *address);

#endif
