/*
 * callbacks - the libmilter callbacks: where MTA events become facts,
 * verdicts, replies and the tag header.
 *
 * Flow of one session:
 *   negotiate  ask only for what we use: headers (to find forged copies
 *              of our tag), CONNECT, HELO, MAIL, RCPT (only when the
 *              policy has recipient selectors) and end of message; no
 *              reply at all for CONNECT, HELO and headers; and the macro
 *              lists below, so that the TLS macros also come with MAIL.
 *              An MTA that ignores the macro request cannot prove
 *              plaintext: see callbacks_evaluate().
 *   connect    facts_set_client() + facts_update(CONNECT).
 *   helo       facts_set_helo() + facts_update(HELO): runs again after
 *              STARTTLS, which replaces the TLS facts.
 *   envfrom    new message: the policy reference it will keep, then the
 *              MAIL verdict.  DEFER/REJECT answer here (never at CONNECT
 *              or HELO: a refusal there sticks and stops STARTTLS).
 *   envrcpt    recipient selectors only: DEFER/REJECT that recipient;
 *              TAG/QUARANTINE merge into the message's verdict.
 *   header     count copies of our tag header (any case).
 *   eom        delete every copy, insert ours at the top, quarantine if
 *              asked, log the one decision line.
 *
 * libmilter runs the callbacks of one connection on different worker
 * threads, so all state lives in the struct conn_state behind
 * smfi_setpriv(); the only globals are the read-only cipher table and
 * rate-limit clocks.  Failures of our own tempfail (reply.c), never
 * accept; where a stage cannot reply (NR_*), the failure is answered at
 * the next stage that can.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <libmilter/mfapi.h>

#include "callbacks.h"
#include "conn.h"
#include "facts.h"
#include "holder.h"
#include "log.h"
#include "policy.h"
#include "reply.h"
#include "textsafe.h"

#define CALLBACKS_NAME		"tlspolicy-milter"
#define CALLBACKS_WARN_EVERY	60	/* seconds between loud configuration warnings */

/*
 * In conn->pflags beside the SMFIP_* bits (the highest is bit 20): the
 * MTA did not take our macro lists, so it sends only the macros its own
 * configuration names, and a missing TLS macro does not prove plaintext.
 */
#define CALLBACKS_NO_SYMLIST	(1UL << 31)

#define CALLBACKS_TLS_MACROS	"{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}"

static const struct cipher_table *callbacks_table;

/* The milter listens on a unix socket: no Nagle, so no-reply steps are cheap. */
static bool callbacks_local_socket;

/* Protocol flags of the latest negotiation, for a connection reused after QUIT_NC. */
static atomic_ulong callbacks_last_pflags;

/*
 * An MTA that ignored our macro request has sent TLS macros: its own
 * lists name them, so from now on their absence means plaintext.
 */
static atomic_bool callbacks_tls_macros_proven;

static time_t callbacks_missing_clock;
static time_t callbacks_symlist_clock;
static time_t callbacks_actions_clock;

/*
 * callbacks_macro - facts_macro_fn over smfi_getsymval()
 *
 * smfi_getsymval() takes a char * but only compares it; casting the
 * const away saves the copy that cost 16% of the milter's own
 * instructions per message (callgrind, 16 lookups a message).
 */
static const char *
callbacks_macro(void *context, const char *name)
{
	return smfi_getsymval((SMFICTX *)context, (char *)name);
}

/* callbacks_conn - this connection's state, or NULL */
static struct conn_state *
callbacks_conn(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

/*
 * callbacks_conn_new - state for a new connection.  An MTA that took our
 * lists sends the same TLS macros at HELO and MAIL (the unit tests hold
 * the two lists to that), which lets facts.c skip re-reading them.
 */
static struct conn_state *
callbacks_conn_new(unsigned long pflags)
{
	struct conn_state *conn = conn_new(pflags);

	if (conn != NULL)
		conn->facts.same_tls_lists = (pflags & CALLBACKS_NO_SYMLIST) == 0;
	return conn;
}

/* callbacks_no_reply - the return code of a stage we asked not to answer */
static sfsistat
callbacks_no_reply(const struct conn_state *conn, unsigned long bit)
{
	if (conn != NULL && (conn->pflags & bit) != 0)
		return SMFIS_NOREPLY;
	return SMFIS_CONTINUE;
}

/* callbacks_set_symlist - one smfi_setsymlist() call */
static void
callbacks_set_symlist(SMFICTX *ctx, int where, const char *macros)
{
	char list[512];

	snprintf(list, sizeof(list), "%s", macros);
	if (smfi_setsymlist(ctx, where, list) != MI_SUCCESS)
		log_warn("smfi_setsymlist(%d, \"%s\") failed", where, macros);
}

/* callbacks_request_macros - ask the MTA for the macros facts.c reads */
static void
callbacks_request_macros(SMFICTX *ctx)
{
	callbacks_set_symlist(ctx, SMFIM_CONNECT, CALLBACKS_CONNECT_MACROS);
	callbacks_set_symlist(ctx, SMFIM_HELO, CALLBACKS_HELO_MACROS);
	callbacks_set_symlist(ctx, SMFIM_ENVFROM, CALLBACKS_MAIL_MACROS);
	callbacks_set_symlist(ctx, SMFIM_ENVRCPT, CALLBACKS_RCPT_MACROS);
	callbacks_set_symlist(ctx, SMFIM_EOM, CALLBACKS_EOM_MACROS);
}

/*
 * callbacks_protocol_wanted - the SMFIP_* flags we would like.
 *
 * Steps the MTA may skip are always skipped.  "No reply" steps are asked
 * for on a unix socket only: over TCP, Postfix writes an unanswered
 * packet (and the DATA macros it sends even with NODATA) and then the
 * next one, which Nagle holds until our delayed ACK, about 40 ms per
 * message (measured: 48 ms vs 4 ms without the milter).  A reply to
 * every packet costs one loopback round trip instead.
 */
static unsigned long
callbacks_protocol_wanted(void)
{
	unsigned long want = SMFIP_NOBODY | SMFIP_NOUNKNOWN | SMFIP_NOEOH;
	struct policy *policy;

	if (callbacks_local_socket)
		want |= SMFIP_NODATA | SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_HDR;
	policy = holder_get();

	/* Connections opened before a reload keep what they negotiated. */
	if (policy != NULL && !policy_has_recipient_selectors(policy))
		want |= SMFIP_NORCPT;
	holder_release(policy);
	return want;
}

/* callbacks_check_offer - say once a minute what the MTA will not let us do */
static void
callbacks_check_offer(unsigned long actions)
{
	if ((actions & (SMFIF_ADDHDRS | SMFIF_CHGHDRS)) != (SMFIF_ADDHDRS | SMFIF_CHGHDRS)
	    && log_limit_pass(&callbacks_actions_clock, CALLBACKS_WARN_EVERY))
		log_err("the MTA does not allow header changes (actions 0x%lx): messages "
		    "cannot be tagged and will be deferred", actions);
	if ((actions & SMFIF_SETSYMLIST) == 0
	    && log_limit_pass(&callbacks_symlist_clock, CALLBACKS_WARN_EVERY))
		log_warn("the MTA does not take macro requests (SMFIF_SETSYMLIST): it sends "
		    "only the macros its own lists name; they need the TLS macros at HELO "
		    "and MAIL, e.g. Postfix milter_mail_macros = i {auth_type} "
		    "{auth_authen} {mail_addr} " CALLBACKS_TLS_MACROS);
}

/* mlfi_negotiate - pick actions, protocol steps and macros */
static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
    unsigned long *pf3)
{
	const unsigned long actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE
	    | SMFIF_SETSYMLIST;
	struct conn_state *conn;
	unsigned long pflags;

	(void)f2;
	(void)f3;
	*pf0 = f0 & actions;
	*pf1 = f1 & callbacks_protocol_wanted();
	*pf2 = 0;
	*pf3 = 0;
	pflags = *pf1;
	callbacks_check_offer(f0);
	if ((*pf0 & SMFIF_SETSYMLIST) != 0)
		callbacks_request_macros(ctx);
	else
		pflags |= CALLBACKS_NO_SYMLIST;
	atomic_store(&callbacks_last_pflags, pflags);
	conn_free(callbacks_conn(ctx));
	if ((conn = callbacks_conn_new(pflags)) == NULL)
		log_err("out of memory for a new connection; its mail will be deferred");
	smfi_setpriv(ctx, conn);
	return SMFIS_CONTINUE;
}

/* callbacks_client_ip - the text of the client address, or NULL */
static const char *
callbacks_client_ip(const struct sockaddr *addr, char *buf, size_t size)
{
	const void *bytes;

	if (addr == NULL)
		return NULL;
	if (addr->sa_family == AF_INET)
		bytes = &((const struct sockaddr_in *)(const void *)addr)->sin_addr;
	else if (addr->sa_family == AF_INET6)
		bytes = &((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr;
	else
		return NULL;
	return inet_ntop(addr->sa_family, bytes, buf, size);
}

/* mlfi_connect - the client */
static sfsistat
mlfi_connect(SMFICTX *ctx, char *hostname, struct sockaddr *hostaddr)
{
	struct conn_state *conn = callbacks_conn(ctx);
	char ip[INET6_ADDRSTRLEN];

	if (conn == NULL) {
		/* A connection reused after QUIT_NC: negotiated before. */
		conn = callbacks_conn_new(atomic_load(&callbacks_last_pflags));
		smfi_setpriv(ctx, conn);
	}
	if (conn == NULL) {
		log_err("out of memory at connect; this session's mail will be deferred");
		return SMFIS_CONTINUE;
	}
	facts_set_client(&conn->facts, hostname, callbacks_client_ip(hostaddr, ip, sizeof(ip)));
	facts_update(&conn->facts, FACTS_STAGE_CONNECT, callbacks_macro, ctx, callbacks_table);
	return callbacks_no_reply(conn, SMFIP_NR_CONN);
}

/* mlfi_helo - HELO/EHLO, before and again after STARTTLS */
static sfsistat
mlfi_helo(SMFICTX *ctx, char *helohost)
{
	struct conn_state *conn = callbacks_conn(ctx);

	if (conn == NULL)
		return SMFIS_CONTINUE;
	facts_set_helo(&conn->facts, helohost);
	facts_update(&conn->facts, FACTS_STAGE_HELO, callbacks_macro, ctx, callbacks_table);
	return callbacks_no_reply(conn, SMFIP_NR_HELO);
}

/* callbacks_warn_missing - the loud, rate-limited configuration warning */
static void
callbacks_warn_missing(const struct conn_state *conn, const struct policy *policy)
{
	char client[300];
	bool accept;

	if (!log_limit_pass(&callbacks_missing_clock, CALLBACKS_WARN_EVERY))
		return;
	text_safe_copy(client, sizeof(client), conn->facts.client_ip, 64, NULL);
	accept = policy_on_missing_macros(policy) == POLICY_MISSING_ACCEPT;
	if (conn->facts.macros_seen) {
		log_err("the MTA sent no TLS macros for client [%s] and ignores the milter's "
		    "macro request: TLS cannot be told from plaintext, so its mail is %s "
		    "(on_missing_macros: %s); fix the MTA: add %s to Postfix's "
		    "milter_helo_macros and milter_mail_macros, or to Sendmail's "
		    "confMILTER_MACROS_HELO and confMILTER_MACROS_ENVFROM with {verify}",
		    client, accept ? "tagged" : "deferred",
		    accept ? "accept" : "tempfail", CALLBACKS_TLS_MACROS);
		return;
	}
	log_err("the MTA sent no milter macros for client [%s]: TLS cannot be told from "
	    "plaintext, so its mail is %s (on_missing_macros: %s); fix the MTA: Postfix "
	    "main.cf needs macro lists that are not empty, e.g. milter_connect_macros = "
	    "j {daemon_name} v, and smtpd_milter_maps must not drop this milter; Sendmail "
	    "needs confMILTER_MACROS_HELO/ENVFROM with the TLS macros and {verify}", client,
	    accept ? "tagged" : "deferred", accept ? "accept" : "tempfail");
}

/*
 * callbacks_evaluate - policy_evaluate(), except that a verdict resting
 * on "no TLS" becomes the missing-macros verdict when the MTA ignored
 * our macro request and no TLS macro came: then the session may well be
 * TLS with the TLS macros left out of the MTA's lists, and refusing it
 * (5xx) or tagging it as plaintext would be a guess.  Until such an MTA
 * has once sent a TLS macro, plaintext that a policy refuses for want of
 * TLS is deferred (or tagged) too: there is no telling it apart, and
 * the log says the fix.
 */
static void
callbacks_evaluate(const struct conn_state *conn, const struct policy *policy,
    const char *rcpt, struct verdict *verdict)
{
	struct session_facts unknown;

	policy_evaluate(policy, &conn->facts, rcpt, verdict);
	if ((conn->pflags & CALLBACKS_NO_SYMLIST) == 0)
		return;
	if (conn->facts.tls)
		atomic_store(&callbacks_tls_macros_proven, true);
	if (conn->facts.tls || (verdict->reasons & REASON_NO_TLS) == 0
	    || atomic_load(&callbacks_tls_macros_proven))
		return;
	/* A shallow copy: evaluation only reads it. */
	unknown = conn->facts;
	unknown.macros_seen = false;
	policy_evaluate(policy, &unknown, rcpt, verdict);
}

/* callbacks_log_decision - the decision line, with the queue ID as of now */
static void
callbacks_log_decision(SMFICTX *ctx, struct conn_state *conn, const struct verdict *verdict,
    const char *rcpt)
{
	facts_update_queue_id(&conn->facts, callbacks_macro, ctx);
	log_decision(verdict, &conn->facts, rcpt);
}

/* callbacks_address - an address without one pair of angle brackets (malloc'd) */
static char *
callbacks_address(const char *arg)
{
	size_t len = strlen(arg);

	if (len >= 2 && arg[0] == '<' && arg[len - 1] == '>')
		return strndup(arg + 1, len - 2);
	return strdup(arg);
}

/* mlfi_envfrom - a new message and its MAIL verdict */
static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn_state *conn = callbacks_conn(ctx);
	struct msg_state *msg;

	if (conn == NULL) {
		log_err("MAIL without connection state; deferring");
		return reply_internal_error(ctx);
	}
	conn_msg_reset(conn);
	msg = &conn->msg;
	if ((msg->policy = holder_get()) == NULL) {
		log_err("MAIL without a policy; deferring");
		return reply_internal_error(ctx);
	}
	facts_set_sender(&conn->facts, argv[0]);
	facts_update(&conn->facts, FACTS_STAGE_MAIL, callbacks_macro, ctx, callbacks_table);
	callbacks_evaluate(conn, msg->policy, NULL, &msg->verdict);
	msg->judged = true;
	if ((msg->verdict.reasons & REASON_MISSING_MACROS) != 0)
		callbacks_warn_missing(conn, msg->policy);
	if (msg->verdict.effective < POLICY_ACTION_DEFER)
		return SMFIS_CONTINUE;
	callbacks_log_decision(ctx, conn, &msg->verdict, NULL);
	return reply_verdict(ctx, msg->policy, &msg->verdict, &conn->facts);
}

/* callbacks_rcpt_verdict - judge one recipient (address without <>) */
static sfsistat
callbacks_rcpt_verdict(SMFICTX *ctx, struct conn_state *conn, const char *rcpt)
{
	struct verdict verdict;

	callbacks_evaluate(conn, conn->msg.policy, rcpt, &verdict);
	if (verdict.selector == POLICY_SELECTOR_NONE)
		return SMFIS_CONTINUE;
	if (verdict.effective >= POLICY_ACTION_DEFER) {
		callbacks_log_decision(ctx, conn, &verdict, rcpt);
		return reply_verdict(ctx, conn->msg.policy, &verdict, &conn->facts);
	}
	if (conn_msg_merge(conn, &verdict, rcpt) != 0) {
		log_err("out of memory at RCPT; deferring the recipient");
		return reply_internal_error(ctx);
	}
	return SMFIS_CONTINUE;
}

/* mlfi_envrcpt - recipient selectors */
static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn_state *conn = callbacks_conn(ctx);
	sfsistat status;
	char *rcpt;

	if (conn == NULL || conn->msg.policy == NULL) {
		log_err("RCPT without message state; deferring");
		return reply_internal_error(ctx);
	}
	facts_update(&conn->facts, FACTS_STAGE_RCPT, callbacks_macro, ctx, callbacks_table);
	if ((rcpt = callbacks_address(argv[0])) == NULL) {
		log_err("out of memory at RCPT; deferring the recipient");
		return reply_internal_error(ctx);
	}
	status = callbacks_rcpt_verdict(ctx, conn, rcpt);
	free(rcpt);
	return status;
}

/* mlfi_header - count the copies of our tag header the sender put in */
static sfsistat
mlfi_header(SMFICTX *ctx, char *headerf, char *headerv)
{
	struct conn_state *conn = callbacks_conn(ctx);

	(void)headerv;
	if (conn != NULL && conn->msg.policy != NULL
	    && strcasecmp(headerf, policy_header_name(conn->msg.policy)) == 0)
		conn->msg.forged_headers++;
	return callbacks_no_reply(conn, SMFIP_NR_HDR);
}

/* callbacks_tag - remove forged copies, insert our header at the top */
static int
callbacks_tag(SMFICTX *ctx, struct conn_state *conn)
{
	/* libmilter takes char * but only copies the name (see callbacks_macro). */
	char *name = (char *)policy_header_name(conn->msg.policy);
	char value[2048];
	unsigned i;

	/* From the last copy up, so the indexes of the others do not move. */
	for (i = conn->msg.forged_headers; i >= 1; i--) {
		if (smfi_chgheader(ctx, name, (int)i, NULL) != MI_SUCCESS) {
			log_err("cannot delete copy %u of %s from the message", i, name);
			return -1;
		}
	}
	verdict_header(conn->msg.policy, &conn->msg.verdict, &conn->facts, value,
	    sizeof(value));
	if (smfi_insheader(ctx, 0, name, value) != MI_SUCCESS) {
		log_err("cannot insert the %s header", name);
		return -1;
	}
	return 0;
}

/* callbacks_quarantine - hold the message in the MTA's quarantine */
static int
callbacks_quarantine(SMFICTX *ctx, const struct verdict *verdict)
{
	char reason[256], reasons[200];
	const char *partner = verdict->partner != NULL
	    ? policy_partner_name(verdict->partner) : "none";

	verdict_reasons_format(verdict->reasons, reasons, sizeof(reasons));
	snprintf(reason, sizeof(reason), "tlspolicy: partner=%s reasons=%s", partner, reasons);
	if (smfi_quarantine(ctx, reason) != MI_SUCCESS) {
		log_err("cannot quarantine the message (%s)", reason);
		return -1;
	}
	return 0;
}

/* mlfi_eom - tag, quarantine, log */
static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct conn_state *conn = callbacks_conn(ctx);
	struct msg_state *msg;

	if (conn == NULL || conn->msg.policy == NULL || !conn->msg.judged) {
		log_err("end of message without message state; deferring");
		return reply_internal_error(ctx);
	}
	msg = &conn->msg;
	facts_update(&conn->facts, FACTS_STAGE_EOM, callbacks_macro, ctx, callbacks_table);
	if (msg->verdict.effective >= POLICY_ACTION_DEFER) {
		callbacks_log_decision(ctx, conn, &msg->verdict, msg->verdict_rcpt);
		return reply_verdict(ctx, msg->policy, &msg->verdict, &conn->facts);
	}
	if (callbacks_tag(ctx, conn) != 0)
		return reply_internal_error(ctx);
	if (msg->verdict.effective == POLICY_ACTION_QUARANTINE
	    && callbacks_quarantine(ctx, &msg->verdict) != 0)
		return reply_internal_error(ctx);
	callbacks_log_decision(ctx, conn, &msg->verdict, msg->verdict_rcpt);
	return SMFIS_CONTINUE;
}

/* mlfi_abort - RSET or a lost message: forget it */
static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct conn_state *conn = callbacks_conn(ctx);

	if (conn != NULL)
		conn_msg_reset(conn);
	return SMFIS_CONTINUE;
}

/* mlfi_close - the end of the connection */
static sfsistat
mlfi_close(SMFICTX *ctx)
{
	conn_free(callbacks_conn(ctx));
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

/* callbacks_init - the table and the registration structure */
void
callbacks_init(const struct cipher_table *table, bool local_socket, struct smfiDesc *desc)
{
	static char name[] = CALLBACKS_NAME;

	callbacks_table = table;
	callbacks_local_socket = local_socket;
	memset(desc, 0, sizeof(*desc));
	desc->xxfi_name = name;
	desc->xxfi_version = SMFI_VERSION;
	desc->xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST;
	desc->xxfi_connect = mlfi_connect;
	desc->xxfi_helo = mlfi_helo;
	desc->xxfi_envfrom = mlfi_envfrom;
	desc->xxfi_envrcpt = mlfi_envrcpt;
	desc->xxfi_header = mlfi_header;
	desc->xxfi_eom = mlfi_eom;
	desc->xxfi_abort = mlfi_abort;
	desc->xxfi_close = mlfi_close;
	desc->xxfi_negotiate = mlfi_negotiate;
}
