/*
 * conn.h - per-connection and per-message state of one MTA session.
 */
#ifndef TLSPOLICY_CONN_H
#define TLSPOLICY_CONN_H

#include <stdbool.h>

#include "facts.h"
#include "policy.h"

/* One message: from MAIL to end of message, RSET or the next MAIL. */
struct msg_state {
	struct policy *policy;		/* reference taken at MAIL (holder_get) */
	bool judged;			/* verdict holds the MAIL verdict */
	struct verdict verdict;		/* MAIL verdict, merged with TAG/QUARANTINE RCPT verdicts */
	char *verdict_rcpt;		/* recipient whose verdict won the merge, else NULL */
	unsigned forged_headers;	/* copies of our tag header in the message */
	bool internal_error;		/* something failed: tempfail, never accept */
};

/* One connection from the MTA (one SMTP session). */
struct conn_state {
	unsigned long pflags;		/* protocol flags negotiated (SMFIP_*) */
	struct session_facts facts;
	struct msg_state msg;
};

/* conn_new - an empty connection; NULL when out of memory. */
struct conn_state *conn_new(unsigned long pflags);

/* conn_free - release everything, including the message's policy reference. */
void conn_free(struct conn_state *conn);

/* conn_msg_reset - forget the message (at MAIL, RSET, close). */
void conn_msg_reset(struct conn_state *conn);

/*
 * conn_msg_merge - keep the more severe of the message's verdict and a
 * recipient's TAG or QUARANTINE verdict.  Returns -1 when the recipient
 * cannot be copied (out of memory).
 */
int conn_msg_merge(struct conn_state *conn, const struct verdict *verdict,
    const char *rcpt);

#endif
