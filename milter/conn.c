/*
 * conn - the state of one MTA connection, kept apart from the state of
 * the message in progress (OpenDKIM's connctx/msgctx split).
 *
 * The connection owns its session facts (client, HELO, TLS) for its
 * whole life; the message part is wiped at every MAIL, because after a
 * reject or tempfail between MAIL and end of headers libmilter goes
 * back to HELO state without calling xxfi_abort, and a stale verdict
 * must never leak into the next message.
 *
 * A message holds one reference to the policy it started with, taken
 * at MAIL and released by conn_msg_reset() or conn_free().  The verdict
 * points into that policy, so it is valid exactly as long.
 *
 * Errors: conn_new() returns NULL and conn_msg_merge() -1 when memory
 * runs out; the callbacks turn that into a tempfail.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "facts.h"
#include "holder.h"
#include "policy.h"

/* conn_new - an empty connection */
struct conn_state *
conn_new(unsigned long pflags)
{
	struct conn_state *conn;

	if ((conn = calloc(1, sizeof(*conn))) == NULL)
		return NULL;
	conn->pflags = pflags;
	facts_init(&conn->facts);
	return conn;
}

/* conn_free - release the connection and its message */
void
conn_free(struct conn_state *conn)
{
	if (conn == NULL)
		return;
	conn_msg_reset(conn);
	facts_free(&conn->facts);
	free(conn);
}

/* conn_msg_reset - forget the message in progress */
void
conn_msg_reset(struct conn_state *conn)
{
	holder_release(conn->msg.policy);
	free(conn->msg.verdict_rcpt);
	memset(&conn->msg, 0, sizeof(conn->msg));
	facts_reset_message(&conn->facts);
}

/* conn_more_severe - whether candidate should replace current */
static bool
conn_more_severe(const struct verdict *candidate, const struct verdict *current)
{
	if (candidate->effective != current->effective)
		return candidate->effective > current->effective;
	if (candidate->action != current->action)
		return candidate->action > current->action;
	/* Equal weight: a named partner says more than the defaults. */
	return current->partner == NULL && candidate->partner != NULL;
}

/* conn_msg_merge - keep the most severe verdict of the message */
int
conn_msg_merge(struct conn_state *conn, const struct verdict *verdict, const char *rcpt)
{
	char *copy;

	if (conn->msg.judged && !conn_more_severe(verdict, &conn->msg.verdict))
		return 0;
	if ((copy = strdup(rcpt)) == NULL)
		return -1;
	free(conn->msg.verdict_rcpt);
	conn->msg.verdict_rcpt = copy;
	conn->msg.verdict = *verdict;
	conn->msg.judged = true;
	return 0;
}
