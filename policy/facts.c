/*
 * facts.c - the facts of one SMTP session, read from MTA macros.
 *
 * This is the one place that knows how Postfix and Sendmail spell the
 * session.  What they send (verified on Debian 12):
 *
 *  fact            Postfix                          Sendmail
 *  --------------  -------------------------------  --------------------------------
 *  encrypted?      {tls_version}/{cipher} present;  the same
 *                  ABSENT (not empty) in plaintext
 *  version         TLSv1 TLSv1.1 TLSv1.2 TLSv1.3    the same; before 8.15.1 always
 *                                                   "TLSv1/SSLv3" (-> unknown version,
 *                                                   still encrypted)
 *  cipher          OpenSSL name up to TLS 1.2, RFC  OpenSSL name
 *                  name for 1.3 (TLS_AES_...)
 *  bits            {cipher_bits}                    {cipher_bits}, {alg_bits}
 *  cert verified?  implied: {cert_subject} and      {verify}: OK, NO, NOT, NONE,
 *                  {cert_issuer} are sent ONLY for  FAIL, SOFTWARE, ...
 *                  a verified client certificate
 *  cert names      CN only                          full DNs "/C=DE/O=A+20B/CN=x"
 *                                                   in xtext ("+XX"), sent even when
 *                                                   verification failed; "" with TLS
 *                                                   but no certificate
 *  client name     connect arg and {client_name}:   connect arg and {client_name} may
 *                  the verified name, else          be unverified: {client_resolve}
 *                  "unknown" or "[ip]"; {client_ptr} OK/FAIL/FORGED/TEMP says; "_"
 *                  is the UNVERIFIED PTR: unused    ends "(may be forged)"
 *  queue id        i, not yet at MAIL or 1st RCPT   i
 *  SASL            {auth_type} when authenticated   {auth_type}
 *  MTA name        j                                j
 *
 * Hence the rules below:
 * - tls is {tls_version} or {cipher} non-empty; version UNKNOWN when
 *   the version is missing or not in the name table.
 * - cert VERIFIED when {verify} is "OK", or {verify} is absent and a
 *   certificate name is there (Postfix); UNVERIFIED when {verify} is
 *   present, not "OK", and {cert_subject} is non-empty; else NONE.  A
 *   "/"-DN without {verify} is a Sendmail not asked for {verify}: it
 *   may be unverified, so it counts as UNVERIFIED (fail safe).  Names
 *   are xtext-decoded whenever they are Sendmail's.
 * - the client name is verified only if it is neither "unknown" nor
 *   "[ip]", {client_resolve} (when sent) is OK, and "_" does not say
 *   "(may be forged)".
 * - TLS facts are connection state: replaced wholesale at each HELO
 *   (absent means plaintext, and STARTTLS brings a second HELO), and at
 *   MAIL only if the TLS macros are there, because an MTA that ignores
 *   the milter's macro request for MAIL sends none at all there.  When
 *   the MTA sends the same TLS macros at HELO and MAIL (same_tls_lists:
 *   it took the milter's lists) and MAIL names the version and cipher
 *   HELO read, MAIL's are not read again: a session has one STARTTLS at
 *   most (RFC 3207), so they describe the same handshake.
 * - the queue ID is not read here but by facts_update_queue_id() just
 *   before a decision is logged, its only use: Postfix has none at MAIL,
 *   where looking for it searched every macro list in vain.
 * - macros_seen: any macro we ask for, at any stage.  If it stays false
 *   the MTA is misconfigured and the facts mean nothing.
 *
 * Ownership: every string in struct session_facts is a private copy;
 * facts_free() releases them.  When a copy cannot be made the fact is
 * left unknown (NULL), which the policy treats as missing, never as a
 * pass.  ip_addr_parse() lives in cidr.c with the other address code.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "facts.h"
#include "policy_int.h"
#include "tls.h"

/* Every macro the milter asks an MTA for: any one proves macros work. */
static const char *const facts_known_macros[] = {
	"j", "v", "_", "i",
	"{daemon_name}", "{daemon_addr}", "{if_name}", "{if_addr}",
	"{client_addr}", "{client_name}", "{client_resolve}",
	"{tls_version}", "{cipher}", "{cipher_bits}", "{alg_bits}",
	"{cert_subject}", "{cert_issuer}", "{verify}",
	"{auth_type}", "{mail_addr}", "{mail_host}", "{mail_mailer}",
};

/* facts_copy - a private copy, or NULL for NULL */
static char *
facts_copy(const char *value)
{
	return value == NULL ? NULL : strdup(value);
}

/* facts_replace - swap one owned string for a copy of value */
static void
facts_replace(char **slot, const char *value)
{
	free(*slot);
	*slot = facts_copy(value);
}

/* facts_present - the MTA sent a value that says something */
static bool
facts_present(const char *value)
{
	return value != NULL && *value != '\0';
}

/* facts_init - an empty, plaintext, unknown session */
void
facts_init(struct session_facts *facts)
{
	memset(facts, 0, sizeof(*facts));
	facts->tls_version = TLS_VERSION_NONE;
	facts->cipher_bits = -1;
	facts->cert = CERT_NONE;
	cipher_classify(NULL, TLS_VERSION_NONE, NULL, &facts->cipher_class);
}

/* facts_clear_tls - forget the TLS facts (members only) */
static void
facts_clear_tls(struct session_facts *facts)
{
	free(facts->tls_version_text);
	free(facts->cipher);
	free(facts->cert_subject);
	free(facts->cert_issuer);
	facts->tls_version_text = NULL;
	facts->cipher = NULL;
	facts->cert_subject = NULL;
	facts->cert_issuer = NULL;
	facts->tls = false;
	facts->tls_version = TLS_VERSION_NONE;
	facts->cipher_bits = -1;
	facts->cert = CERT_NONE;
}

/* facts_free - release every member and leave an empty session */
void
facts_free(struct session_facts *facts)
{
	if (facts == NULL)
		return;
	facts_clear_tls(facts);
	facts_reset_message(facts);
	free(facts->client_ip);
	free(facts->client_name);
	free(facts->helo);
	free(facts->mta_name);
	facts_init(facts);
}

/* facts_reset_message - forget the previous message's facts */
void
facts_reset_message(struct session_facts *facts)
{
	free(facts->queue_id);
	free(facts->sender);
	facts->queue_id = NULL;
	facts->sender = NULL;
	facts->authenticated = false;
}

/* facts_name_verifiable - whether a reported client name can be a verified one */
static bool
facts_name_verifiable(const char *name)
{
	return facts_present(name) && strcasecmp(name, "unknown") != 0 && name[0] != '[';
}

/* facts_set_ip - record the client address text and its parsed form */
static void
facts_set_ip(struct session_facts *facts, const char *ip)
{
	facts_replace(&facts->client_ip, ip);
	memset(&facts->client_addr, 0, sizeof(facts->client_addr));
	if (ip == NULL || ip_addr_parse(ip, &facts->client_addr) != 0)
		memset(&facts->client_addr, 0, sizeof(facts->client_addr));
}

/* facts_set_client - record the client from the connect event */
void
facts_set_client(struct session_facts *facts, const char *hostname, const char *ip)
{
	facts_replace(&facts->client_name, hostname);
	facts->client_name_verified = facts->client_name != NULL
	    && facts_name_verifiable(hostname);
	if (ip != NULL)
		facts_set_ip(facts, ip);
}

/* facts_set_helo - record the HELO/EHLO argument */
void
facts_set_helo(struct session_facts *facts, const char *helo)
{
	facts_replace(&facts->helo, helo);
}

/* facts_set_sender - record the envelope sender without one pair of <> */
void
facts_set_sender(struct session_facts *facts, const char *sender)
{
	size_t len;

	free(facts->sender);
	facts->sender = NULL;
	if (sender == NULL)
		return;
	len = strlen(sender);
	if (len >= 2 && sender[0] == '<' && sender[len - 1] == '>')
		facts->sender = strndup(sender + 1, len - 2);
	else
		facts->sender = strdup(sender);
}

/* facts_domain - the part after the last '@', or NULL */
const char *
facts_domain(const char *address)
{
	const char *at;

	if (address == NULL || (at = strrchr(address, '@')) == NULL || at[1] == '\0')
		return NULL;
	return at + 1;
}

/* facts_any_macro - whether the MTA sent any macro we ask for */
static bool
facts_any_macro(facts_macro_fn get, void *context)
{
	size_t i;

	for (i = 0; i < sizeof(facts_known_macros) / sizeof(facts_known_macros[0]); i++)
		if (get(context, facts_known_macros[i]) != NULL)
			return true;
	return false;
}

/* facts_update_client - refine the connect event's client with macros */
static void
facts_update_client(struct session_facts *facts, facts_macro_fn get, void *context)
{
	const char *addr = get(context, "{client_addr}");
	const char *name = get(context, "{client_name}");
	const char *resolve = get(context, "{client_resolve}");
	const char *underscore = get(context, "_");

	if (facts_present(addr))
		facts_set_ip(facts, addr);
	if (name != NULL) {
		facts_replace(&facts->client_name, name);
		facts->client_name_verified = facts->client_name != NULL
		    && facts_name_verifiable(name);
	}
	/* Sendmail reports unverified names: only its own verdict counts. */
	if (resolve != NULL && strcmp(resolve, "OK") != 0)
		facts->client_name_verified = false;
	if (underscore != NULL && strstr(underscore, "(may be forged)") != NULL)
		facts->client_name_verified = false;
}

/* facts_parse_bits - decimal 0..65535, else -1 */
static int
facts_parse_bits(const char *text)
{
	long value = 0;
	const char *p;

	if (!facts_present(text) || strlen(text) > 5)
		return -1;
	for (p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		value = value * 10 + (*p - '0');
	}
	return value <= 65535 ? (int)value : -1;
}

/* facts_cert_name - store a certificate name, decoded when it is Sendmail's */
static char *
facts_cert_name(const char *value, bool sendmail)
{
	if (!facts_present(value))
		return NULL;
	return sendmail ? cert_xtext_decode(value) : strdup(value);
}

/* facts_update_cert - the client certificate, after the table above */
static void
facts_update_cert(struct session_facts *facts, facts_macro_fn get, void *context)
{
	const char *verify = get(context, "{verify}");
	const char *subject = get(context, "{cert_subject}");
	const char *issuer = get(context, "{cert_issuer}");
	bool sendmail = verify != NULL || (subject != NULL && subject[0] == '/');

	if (verify != NULL && strcmp(verify, "OK") == 0)
		facts->cert = CERT_VERIFIED;
	else if (verify == NULL && !sendmail
	    && (facts_present(subject) || facts_present(issuer)))
		facts->cert = CERT_VERIFIED;
	else if (facts_present(subject))
		facts->cert = CERT_UNVERIFIED;
	else
		facts->cert = CERT_NONE;
	if (facts->cert == CERT_NONE)
		return;
	facts->cert_subject = facts_cert_name(subject, sendmail);
	facts->cert_issuer = facts_cert_name(issuer, sendmail);
}

/*
 * facts_update_tls - replace every TLS fact with what the macros say;
 * the caller has looked up the version and the cipher.
 */
static void
facts_update_tls(struct session_facts *facts, facts_macro_fn get, void *context,
    const struct cipher_table *table, const char *version, const char *cipher)
{
	const char *bits = get(context, "{cipher_bits}");

	facts_clear_tls(facts);
	facts->tls = facts_present(version) || facts_present(cipher);
	if (facts->tls) {
		if (facts_present(version)) {
			facts->tls_version_text = strdup(version);
			facts->tls_version = tls_version_parse(version);
		} else
			facts->tls_version = TLS_VERSION_UNKNOWN;
		if (facts_present(cipher))
			facts->cipher = strdup(cipher);
		if (bits == NULL)
			bits = get(context, "{alg_bits}");
		facts->cipher_bits = facts_parse_bits(bits);
		facts_update_cert(facts, get, context);
	}
	cipher_classify(table, facts->tls_version, facts->cipher, &facts->cipher_class);
}

/* facts_same_text - value says what stored holds ("" and NULL alike) */
static bool
facts_same_text(const char *stored, const char *value)
{
	if (!facts_present(value))
		return stored == NULL;
	return stored != NULL && strcmp(stored, value) == 0;
}

/*
 * facts_same_handshake - MAIL's TLS macros name the handshake already
 * read at HELO.  Only trusted when both stages carry the same TLS
 * macros: an MTA that ignored our lists may send the certificate macros
 * at MAIL alone (Sendmail's {verify}, say), and then MAIL must be read.
 */
static bool
facts_same_handshake(const struct session_facts *facts, const char *version,
    const char *cipher)
{
	return facts->same_tls_lists && facts->tls
	    && facts_same_text(facts->tls_version_text, version)
	    && facts_same_text(facts->cipher, cipher);
}

/* facts_update_queue_id - the queue ID, once the MTA has one */
void
facts_update_queue_id(struct session_facts *facts, facts_macro_fn get, void *context)
{
	const char *queue_id = get(context, "i");

	if (facts_present(queue_id))
		facts_replace(&facts->queue_id, queue_id);
}

/* facts_update - read the macros visible at this stage */
void
facts_update(struct session_facts *facts, enum facts_stage stage,
    facts_macro_fn get, void *context, const struct cipher_table *table)
{
	const char *value, *version, *cipher;

	if (get == NULL)
		return;
	/*
	 * Every lookup is a linear search of libmilter's macro lists, and
	 * lookups were most of the milter's own work for a message: ask
	 * only for what can still change something.
	 */
	if (!facts->macros_seen && facts_any_macro(get, context))
		facts->macros_seen = true;
	if ((stage == FACTS_STAGE_CONNECT || facts->mta_name == NULL)
	    && (value = get(context, "j")) != NULL)
		facts_replace(&facts->mta_name, value);
	switch (stage) {
	case FACTS_STAGE_CONNECT:
		facts_update_client(facts, get, context);
		break;
	case FACTS_STAGE_HELO:
		facts_update_tls(facts, get, context, table, get(context, "{tls_version}"),
		    get(context, "{cipher}"));
		break;
	case FACTS_STAGE_MAIL:
		version = get(context, "{tls_version}");
		cipher = get(context, "{cipher}");
		if ((facts_present(version) || facts_present(cipher))
		    && !facts_same_handshake(facts, version, cipher))
			facts_update_tls(facts, get, context, table, version, cipher);
		facts->authenticated = facts_present(get(context, "{auth_type}"));
		break;
	case FACTS_STAGE_RCPT:
	case FACTS_STAGE_EOM:
		break;
	}
}
