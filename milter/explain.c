/*
 * explain - check a policy file (-n) and show how it judges one session
 * (the "explain" subcommand), for an administrator at a terminal.
 *
 * explain does not imitate the milter: it feeds its command line through
 * the same facts_update() the milter uses, with a small macro table in
 * place of libmilter's, stage by stage (CONNECT, HELO, MAIL, RCPT), and
 * libmilter's visibility rule (a stage sees its own macros and those of
 * the stages before it).  The mapping is the Postfix one:
 *   --client-host NAME      {client_name} (a verified name)
 *   --unverified-host NAME  {client_ptr} only ({client_name} stays absent)
 *   --tls-version etc.      the HELO stage macros; absent: plaintext
 *   --verify WORD           {verify} (Sendmail)
 *   --authenticated         {auth_type}
 *   --mta-name NAME         j
 * The message verdict is merged with conn_msg_merge(), as at RCPT in the
 * milter, and the header, reply and log line come from the renderer.
 *
 * Every string from the command line is printed through textsafe, never
 * as a format.  Exit status: 0 when the session was judged, 1 when the
 * policy does not load.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "explain.h"
#include "facts.h"
#include "options.h"
#include "policy.h"
#include "reply.h"
#include "textsafe.h"
#include "tls.h"

#define EXPLAIN_MACROS_MAX	24
#define EXPLAIN_TEXT_MAX	200	/* characters of one session string shown */

struct explain_macro {
	enum facts_stage stage;
	const char *name;
	const char *value;
};

/* The macro table and the stage being read, as libmilter would show them. */
struct explain_macros {
	struct explain_macro entries[EXPLAIN_MACROS_MAX];
	size_t count;
	enum facts_stage stage;
};

/* explain_add - one macro at one stage (NULL values are not sent) */
static void
explain_add(struct explain_macros *macros, enum facts_stage stage, const char *name,
    const char *value)
{
	if (value == NULL || macros->count >= EXPLAIN_MACROS_MAX)
		return;
	macros->entries[macros->count].stage = stage;
	macros->entries[macros->count].name = name;
	macros->entries[macros->count].value = value;
	macros->count++;
}

/* explain_same_macro - "j" and "{j}" are one macro, as in smfi_getsymval() */
static bool
explain_same_macro(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (strcmp(a, b) == 0)
		return true;
	if (la == 1 && lb == 3 && b[0] == '{' && b[1] == a[0] && b[2] == '}')
		return true;
	return lb == 1 && la == 3 && a[0] == '{' && a[1] == b[0] && a[2] == '}';
}

/* explain_macro - facts_macro_fn: the latest visible stage wins */
static const char *
explain_macro(void *context, const char *name)
{
	const struct explain_macros *macros = context;
	const char *found = NULL;
	enum facts_stage found_stage = FACTS_STAGE_CONNECT;
	size_t i;

	for (i = 0; i < macros->count; i++) {
		const struct explain_macro *m = &macros->entries[i];

		if (m->stage > macros->stage || !explain_same_macro(m->name, name))
			continue;
		if (found == NULL || m->stage >= found_stage) {
			found = m->value;
			found_stage = m->stage;
		}
	}
	return found;
}

/* explain_build_macros - the command line as the MTA would send it */
static void
explain_build_macros(const struct explain_args *ex, struct explain_macros *macros)
{
	memset(macros, 0, sizeof(*macros));
	explain_add(macros, FACTS_STAGE_CONNECT, "j", ex->mta_name);
	explain_add(macros, FACTS_STAGE_CONNECT, "{client_addr}", ex->client_ip);
	explain_add(macros, FACTS_STAGE_CONNECT, "{client_name}", ex->client_host);
	explain_add(macros, FACTS_STAGE_CONNECT, "{client_ptr}", ex->unverified_host);
	explain_add(macros, FACTS_STAGE_HELO, "{tls_version}", ex->tls_version);
	explain_add(macros, FACTS_STAGE_HELO, "{cipher}", ex->cipher);
	explain_add(macros, FACTS_STAGE_HELO, "{cipher_bits}", ex->bits);
	explain_add(macros, FACTS_STAGE_HELO, "{cert_subject}", ex->cert_subject);
	explain_add(macros, FACTS_STAGE_HELO, "{cert_issuer}", ex->cert_issuer);
	explain_add(macros, FACTS_STAGE_HELO, "{verify}", ex->verify);
	explain_add(macros, FACTS_STAGE_MAIL, "{mail_addr}", ex->sender);
	explain_add(macros, FACTS_STAGE_MAIL, "{auth_type}", ex->authenticated ? "PLAIN" : NULL);
}

/* explain_update - one stage of macros into the facts */
static void
explain_update(struct session_facts *facts, struct explain_macros *macros,
    enum facts_stage stage, const struct cipher_table *table)
{
	macros->stage = stage;
	facts_update(facts, stage, explain_macro, macros, table);
}

/* explain_safe - a session string made printable */
static const char *
explain_safe(char *buf, size_t size, const char *text)
{
	return text_safe_copy(buf, size, text, EXPLAIN_TEXT_MAX, NULL);
}

/* explain_load - the policy, diagnostics on stderr; NULL on any error */
static struct policy *
explain_load(const char *path)
{
	struct policy_diag diag;
	struct policy *policy;
	size_t i;

	policy_diag_init(&diag);
	policy = policy_load_file(path, &diag);
	for (i = 0; i < diag.count; i++)
		fprintf(stderr, "%s\n", diag.entries[i].text);
	if (policy != NULL && diag.errors > 0) {
		policy_unref(policy);
		policy = NULL;
	}
	policy_diag_free(&diag);
	return policy;
}

/* explain_check - -n */
int
explain_check(const struct options *opts)
{
	struct policy *policy;

	if ((policy = explain_load(opts->policy_file)) == NULL)
		return 1;
	printf("%s: OK (%zu partners, %zu selectors)\n", opts->policy_file,
	    policy_partner_count(policy), policy_selector_count(policy));
	policy_unref(policy);
	return 0;
}

/* explain_pfs_source - where the forward-secrecy answer came from */
static const char *
explain_pfs_source(enum tls_pfs_source source)
{
	switch (source) {
	case TLS_PFS_FROM_OPENSSL:
		return "from OpenSSL";
	case TLS_PFS_FROM_VERSION:
		return "TLS 1.3 is forward secret by design";
	case TLS_PFS_FROM_PREFIX:
		return "from the cipher name";
	case TLS_PFS_FROM_NOTHING:
	default:
		return "cipher not known to OpenSSL";
	}
}

/* explain_print_cipher - cipher, bits and forward secrecy */
static void
explain_print_cipher(const struct session_facts *facts)
{
	const struct tls_cipher_class *class = &facts->cipher_class;
	char buf[EXPLAIN_TEXT_MAX + 8];

	printf("  cipher:         %s", explain_safe(buf, sizeof(buf), facts->cipher));
	if (facts->cipher_bits >= 0)
		printf(", %d bits\n", facts->cipher_bits);
	else if (class->openssl_bits >= 0)
		printf(", %d bits (OpenSSL's figure: the MTA sent none)\n", class->openssl_bits);
	else
		printf(", bits unknown\n");
	printf("  pfs:            %s (key exchange %s, %s)\n", tls_pfs_name(class->pfs),
	    class->kx != NULL ? class->kx : "unknown", explain_pfs_source(class->source));
}

/* explain_print_tls - the TLS facts as classified */
static void
explain_print_tls(const struct session_facts *facts)
{
	char a[EXPLAIN_TEXT_MAX + 8], b[EXPLAIN_TEXT_MAX + 8];

	if (!facts->tls) {
		printf("  tls:            none (plaintext)\n");
		return;
	}
	if (facts->tls_version == TLS_VERSION_UNKNOWN)
		printf("  tls:            unknown version \"%s\" (but encrypted)\n",
		    explain_safe(a, sizeof(a), facts->tls_version_text));
	else
		printf("  tls:            %s\n", tls_version_name(facts->tls_version));
	explain_print_cipher(facts);
	if (facts->cert == CERT_NONE)
		printf("  client cert:    none\n");
	else
		printf("  client cert:    %s, subject \"%s\", issuer \"%s\"\n",
		    cert_status_name(facts->cert),
		    explain_safe(a, sizeof(a), facts->cert_subject),
		    explain_safe(b, sizeof(b), facts->cert_issuer));
}

/* explain_rcpt - the recipient without one pair of angle brackets */
static void
explain_rcpt(const char *arg, char *buf, size_t size)
{
	size_t len = strlen(arg);

	if (len >= 2 && arg[0] == '<' && arg[len - 1] == '>')
		snprintf(buf, size, "%.*s", (int)(len - 2), arg + 1);
	else
		snprintf(buf, size, "%s", arg);
}

/* explain_print_facts - the session as the policy sees it */
static void
explain_print_facts(const struct session_facts *facts, const struct explain_args *ex)
{
	char a[EXPLAIN_TEXT_MAX + 8], b[EXPLAIN_TEXT_MAX + 8];

	printf("Session\n");
	printf("  client:         %s[%s]", explain_safe(a, sizeof(a), facts->client_name),
	    explain_safe(b, sizeof(b), facts->client_ip));
	if (facts->client_name_verified)
		printf(", name verified\n");
	else if (ex->unverified_host != NULL)
		printf(", name \"%s\" not verified: client_hosts cannot match\n",
		    explain_safe(a, sizeof(a), ex->unverified_host));
	else
		printf(", no verified name: client_hosts cannot match\n");
	if (facts->mta_name != NULL)
		printf("  mta name:       %s\n", explain_safe(a, sizeof(a), facts->mta_name));
	printf("  helo:           %s\n", explain_safe(a, sizeof(a), facts->helo));
	printf("  sender:         <%s>\n", explain_safe(a, sizeof(a), facts->sender));
	if (ex->rcpt != NULL) {
		explain_rcpt(ex->rcpt, b, sizeof(b));
		printf("  recipient:      <%s>\n", explain_safe(a, sizeof(a), b));
	}
	printf("  authenticated:  %s\n", facts->authenticated ? "yes" : "no");
	explain_print_tls(facts);
}

/* explain_print_match - which selector decided, and where it is written */
static void
explain_print_match(const struct policy *policy, const struct verdict *verdict)
{
	char value[EXPLAIN_TEXT_MAX + 8], where[EXPLAIN_TEXT_MAX + 32] = "";

	explain_safe(value, sizeof(value), verdict->selector_value);
	if (verdict->selector_line > 0)
		snprintf(where, sizeof(where), " at %s:%u", policy_file(policy),
		    verdict->selector_line);
	switch (verdict->selector) {
	case POLICY_SELECTOR_NONE:
		printf("  matched:        no partner: the defaults for non-partner mail apply\n");
		break;
	case POLICY_SELECTOR_EXEMPT_AUTH:
		printf("  matched:        exempt: the session is authenticated "
		    "(exempt.authenticated)%s\n", where);
		break;
	case POLICY_SELECTOR_EXEMPT_IP:
		printf("  matched:        exempt: client address in exempt.client_ips "
		    "\"%s\"%s\n", value, where);
		break;
	case POLICY_SELECTOR_MISSING_MACROS:
		printf("  matched:        nothing: the MTA sent no macros\n");
		break;
	default:
		printf("  partner:        %s\n", policy_partner_name(verdict->partner));
		printf("  selector:       %s \"%s\"%s\n", policy_selector_name(verdict->selector),
		    value, where);
		break;
	}
}

/* explain_print_judgement - requirement, session, verdict, action */
static void
explain_print_judgement(const struct policy *policy, const struct verdict *verdict,
    const struct session_facts *facts)
{
	char text[512], reasons[256];

	if (verdict->result == VERDICT_PASS || verdict->result == VERDICT_FAIL) {
		verdict_requirement_text(policy, verdict, text, sizeof(text));
		printf("  requires:       %s\n", text);
		facts_session_text(facts, text, sizeof(text));
		printf("  session used:   %s\n", text);
	}
	verdict_reasons_format(verdict->reasons, reasons, sizeof(reasons));
	if (verdict->reasons != 0)
		printf("  verdict:        %s (reasons: %s)\n", verdict_result_name(verdict->result),
		    reasons);
	else
		printf("  verdict:        %s\n", verdict_result_name(verdict->result));
	if (verdict->testing)
		printf("  action:         %s (testing mode: would %s)\n",
		    policy_action_name(verdict->effective), policy_action_name(verdict->action));
	else
		printf("  action:         %s\n", policy_action_name(verdict->effective));
}

/* explain_print_stage - one stage's verdict */
static void
explain_print_stage(const struct policy *policy, const struct verdict *verdict,
    const struct session_facts *facts, const char *rcpt)
{
	char buf[EXPLAIN_TEXT_MAX + 8];

	if (rcpt == NULL) {
		printf("\nAt MAIL FROM (client and sender selectors)\n");
	} else {
		printf("\nAt RCPT TO <%s> (recipient selectors)\n",
		    explain_safe(buf, sizeof(buf), rcpt));
		if (verdict->selector == POLICY_SELECTOR_NONE) {
			printf("  matched:        no recipient_domains selector: "
			    "the MAIL FROM verdict stands\n");
			return;
		}
		if (verdict->result == VERDICT_EXEMPT || verdict->result == VERDICT_TEMPERROR) {
			printf("  matched:        %s, as at MAIL FROM: the MAIL FROM verdict stands\n",
			    verdict_result_name(verdict->result));
			return;
		}
	}
	explain_print_match(policy, verdict);
	explain_print_judgement(policy, verdict, facts);
}

/* explain_print_refused - MAIL FROM or RCPT TO answered with 4xx/5xx */
static void
explain_print_refused(const struct policy *policy, const struct verdict *verdict,
    const struct session_facts *facts, const char *rcpt)
{
	struct policy_reply reply;
	char line[2048];

	printf("  %s is refused: no message is accepted, so no header\n",
	    rcpt == NULL ? "MAIL FROM" : "RCPT TO");
	if (reply_for_verdict(policy, verdict, facts, &reply) == 0)
		printf("  reply:          %s %s %s\n", reply.rcode, reply.xcode, reply.text);
	verdict_log_line(verdict, facts, rcpt, line, sizeof(line));
	printf("  log:            NOQUEUE: %s\n", line);
}

/* explain_print_accepted - the tag header (and quarantine) at end of message */
static void
explain_print_accepted(const struct policy *policy, const struct verdict *verdict,
    const struct session_facts *facts, const char *rcpt)
{
	char value[2048], line[2048];

	if (verdict->effective == POLICY_ACTION_QUARANTINE)
		printf("  the message is accepted and held in the MTA's quarantine\n");
	else
		printf("  the message is accepted\n");
	printf("  copies of %s already in it are removed, then this is inserted at the top:\n",
	    policy_header_name(policy));
	verdict_header(policy, verdict, facts, value, sizeof(value));
	printf("  header:         %s: %s\n", policy_header_name(policy), value);
	verdict_log_line(verdict, facts, rcpt, line, sizeof(line));
	printf("  log:            QUEUEID: %s\n", line);
}

/*
 * explain_judge_rcpt - the RCPT stage; returns true when the recipient
 * is refused.  TAG and QUARANTINE merge into conn's message verdict.
 */
static bool
explain_judge_rcpt(struct conn_state *conn, struct explain_macros *macros,
    const struct cipher_table *table, const char *rcpt)
{
	struct verdict verdict;

	explain_update(&conn->facts, macros, FACTS_STAGE_RCPT, table);
	policy_evaluate(conn->msg.policy, &conn->facts, rcpt, &verdict);
	explain_print_stage(conn->msg.policy, &verdict, &conn->facts, rcpt);
	if (verdict.selector == POLICY_SELECTOR_NONE)
		return false;
	if (verdict.effective >= POLICY_ACTION_DEFER) {
		printf("\nOutcome\n");
		explain_print_refused(conn->msg.policy, &verdict, &conn->facts, rcpt);
		return true;
	}
	if (conn_msg_merge(conn, &verdict, rcpt) != 0)
		fprintf(stderr, "tlspolicy-milter: out of memory\n");
	return false;
}

/* explain_judge - the stages of one session, then the outcome */
static void
explain_judge(struct conn_state *conn, const struct explain_args *ex,
    const struct cipher_table *table)
{
	struct explain_macros macros;
	struct msg_state *msg = &conn->msg;
	char rcpt[1024];

	explain_build_macros(ex, &macros);
	facts_set_client(&conn->facts, ex->client_host != NULL ? ex->client_host : "unknown",
	    ex->client_ip);
	explain_update(&conn->facts, &macros, FACTS_STAGE_CONNECT, table);
	if (ex->helo != NULL)
		facts_set_helo(&conn->facts, ex->helo);
	explain_update(&conn->facts, &macros, FACTS_STAGE_HELO, table);
	facts_set_sender(&conn->facts, ex->sender);
	explain_update(&conn->facts, &macros, FACTS_STAGE_MAIL, table);
	explain_print_facts(&conn->facts, ex);

	policy_evaluate(msg->policy, &conn->facts, NULL, &msg->verdict);
	msg->judged = true;
	explain_print_stage(msg->policy, &msg->verdict, &conn->facts, NULL);
	if (msg->verdict.effective >= POLICY_ACTION_DEFER) {
		printf("\nOutcome\n");
		explain_print_refused(msg->policy, &msg->verdict, &conn->facts, NULL);
		return;
	}
	if (ex->rcpt != NULL) {
		explain_rcpt(ex->rcpt, rcpt, sizeof(rcpt));
		if (explain_judge_rcpt(conn, &macros, table, rcpt))
			return;
	}
	printf("\nOutcome\n");
	explain_print_accepted(msg->policy, &msg->verdict, &conn->facts, msg->verdict_rcpt);
}

/* explain_run - the explain subcommand */
int
explain_run(const struct options *opts)
{
	struct cipher_table *table;
	struct conn_state *conn;
	struct policy *policy;
	char err[256];

	if ((policy = explain_load(opts->policy_file)) == NULL)
		return 1;
	if ((table = cipher_table_new(err, sizeof(err))) == NULL) {
		fprintf(stderr, "tlspolicy-milter: cannot index OpenSSL's ciphers: %s\n", err);
		policy_unref(policy);
		return 1;
	}
	if ((conn = conn_new(0)) == NULL) {
		fprintf(stderr, "tlspolicy-milter: out of memory\n");
		cipher_table_free(table);
		policy_unref(policy);
		return 1;
	}
	printf("Policy\n  file:           %s (%zu partners, %zu selectors, mode %s)\n\n",
	    policy_file(policy), policy_partner_count(policy), policy_selector_count(policy),
	    policy_mode_name(policy_mode(policy)));
	conn->msg.policy = policy;	/* conn_free() drops this reference */
	explain_judge(conn, &opts->explain, table);
	conn_free(conn);
	cipher_table_free(table);
	return 0;
}
