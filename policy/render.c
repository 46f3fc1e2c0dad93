/*
 * render.c - the words of a verdict: SMTP reply, tag header, log line.
 *
 * Three audiences read a verdict.  The sending MTA's administrator gets
 * an SMTP reply that says what the partner requires and what the
 * session had; a filter (or a person) reading the delivered message gets
 * a one-line "key=value; ..." tag header; the receiving administrator
 * gets one syslog line of space-separated key=value tokens.
 *
 * Every fact that came from the session or a certificate goes through
 * text_safe_copy()/text_safe_append() with a cap and the separators of
 * its format, so no '%', CR, LF, control or 8-bit byte, and no stray
 * ";", "=" or " " can reach any output.  The caps bound the outputs:
 * a header value stays under about 700 bytes, a log line under about
 * 1700, a reply text within struct policy_reply.
 *
 * The caller owns every buffer; nothing here allocates, and every
 * function is thread-safe.  Outputs are always NUL-terminated and
 * silently truncated when a buffer is too small.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "facts.h"
#include "policy.h"
#include "policy_int.h"
#include "textsafe.h"
#include "tls.h"

/* Caps on one value, in bytes. */
#define RENDER_CAP_NAME		255	/* host names, HELO, addresses, authserv-id */
#define RENDER_CAP_ADDR		64	/* an IP address as the MTA spelt it */
#define RENDER_CAP_PARTNER	64
#define RENDER_CAP_CIPHER	64
#define RENDER_CAP_VERSION	32
#define RENDER_CAP_CERT		128	/* one certificate name in a reply */

/* Separators a value may not contain, per format. */
#define RENDER_SEP_HEADER	" ;="
#define RENDER_SEP_LOG		" ="
#define RENDER_SEP_LOG_HOST	" =[]"
#define RENDER_SEP_LOG_ADDR	" =<>"

#define RENDER_MISSING_TEXT	"TLS policy cannot be checked: the MTA sent the milter " \
				"no TLS macros (server configuration error)"

static const struct {
	unsigned reason;
	const char *name;
} render_reasons[] = {
	{REASON_NO_TLS, "no-tls"},
	{REASON_UNKNOWN_VERSION, "unknown-version"},
	{REASON_VERSION_TOO_OLD, "version-too-old"},
	{REASON_NO_PFS, "no-pfs"},
	{REASON_UNKNOWN_CIPHER, "unknown-cipher"},
	{REASON_WEAK_CIPHER, "weak-cipher"},
	{REASON_NO_CLIENT_CERT, "no-client-cert"},
	{REASON_CERT_UNVERIFIED, "cert-unverified"},
	{REASON_CERT_MISMATCH, "cert-mismatch"},
	{REASON_MISSING_MACROS, "missing-macros"},
};

/* verdict_result_name - "pass", "fail", "exempt" or "temperror" */
const char *
verdict_result_name(enum verdict_result result)
{
	switch (result) {
	case VERDICT_PASS:
		return "pass";
	case VERDICT_FAIL:
		return "fail";
	case VERDICT_EXEMPT:
		return "exempt";
	case VERDICT_TEMPERROR:
		break;
	}
	return "temperror";
}

/* render_number - append a non-negative decimal without printf */
static void
render_number(char *buf, size_t size, size_t *len, unsigned value)
{
	char digits[16];
	size_t n = sizeof(digits) - 1;

	digits[n] = '\0';
	do {
		digits[--n] = (char)('0' + value % 10);
		value /= 10;
	} while (value > 0 && n > 0);
	text_put(buf, size, len, digits + n);
}

/* verdict_reasons_format - "no-pfs,weak-cipher" into buf; "-" when none */
void
verdict_reasons_format(unsigned reasons, char *buf, size_t size)
{
	size_t len = 0, i;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < sizeof(render_reasons) / sizeof(render_reasons[0]); i++)
		if (reasons & render_reasons[i].reason) {
			if (len > 0)
				text_put(buf, size, &len, ",");
			text_put(buf, size, &len, render_reasons[i].name);
		}
	if (len == 0)
		text_put(buf, size, &len, "-");
}

/* render_block - the partner that decided, else the defaults */
static const struct policy_partner *
render_block(const struct policy *policy, const struct verdict *verdict)
{
	return verdict->partner != NULL ? verdict->partner : &policy->defaults;
}

/* render_bits - the bits to report: the MTA's, else OpenSSL's, else -1 */
static int
render_bits(const struct session_facts *facts)
{
	if (!facts->tls)
		return 0;
	return facts->cipher_bits >= 0 ? facts->cipher_bits : facts->cipher_class.openssl_bits;
}

/* render_action - "reject", or "would-reject" when testing softened it */
static void
render_action(const struct verdict *verdict, char *buf, size_t size, size_t *len)
{
	if (verdict->testing) {
		text_put(buf, size, len, "would-");
		text_put(buf, size, len, policy_action_name(verdict->action));
	} else
		text_put(buf, size, len, policy_action_name(verdict->effective));
}

/* render_partner - the partner's name, or "none" for non-partner mail */
static void
render_partner(const struct verdict *verdict, char *buf, size_t size, size_t *len,
    const char *extra)
{
	if (verdict->partner == NULL)
		text_put(buf, size, len, "none");
	else
		text_safe_append(buf, size, len, verdict->partner->name, RENDER_CAP_PARTNER,
		    extra);
}

/* render_tls_facts - "tls=V<sep>cipher=C<sep>bits=N<sep>pfs=P" */
static void
render_tls_facts(const struct session_facts *facts, const char *sep, const char *extra,
    char *buf, size_t size, size_t *len)
{
	int bits = render_bits(facts);

	text_put(buf, size, len, "tls=");
	text_put(buf, size, len, tls_version_name(facts->tls_version));
	text_put(buf, size, len, sep);
	text_put(buf, size, len, "cipher=");
	if (!facts->tls)
		text_put(buf, size, len, "none");
	else if (facts->cipher == NULL)
		text_put(buf, size, len, "unknown");
	else
		text_safe_append(buf, size, len, facts->cipher, RENDER_CAP_CIPHER, extra);
	text_put(buf, size, len, sep);
	text_put(buf, size, len, "bits=");
	if (bits >= 0)
		render_number(buf, size, len, (unsigned)bits);
	else
		text_put(buf, size, len, "unknown");
	text_put(buf, size, len, sep);
	text_put(buf, size, len, "pfs=");
	text_put(buf, size, len, tls_pfs_name(facts->cipher_class.pfs));
}

/* render_join - the separator before item i of count: ", " or " and " */
static const char *
render_join(size_t i, size_t count)
{
	if (i == 0)
		return "";
	return i + 1 == count ? " and " : ", ";
}

/* render_cert_requirement - "a verified client certificate for X issued by Y" */
static void
render_cert_requirement(const struct policy_require *require, char *buf, size_t size,
    size_t *len)
{
	text_append(buf, size, len, "%s", require->cert_verified
	    ? "a verified client certificate" : "a client certificate");
	if (require->cert_subject != NULL) {
		text_put(buf, size, len, " for ");
		text_safe_append(buf, size, len, require->cert_subject, RENDER_CAP_CERT, NULL);
	}
	if (require->cert_issuer != NULL) {
		text_put(buf, size, len, " issued by ");
		text_safe_append(buf, size, len, require->cert_issuer, RENDER_CAP_CERT, NULL);
	}
}

/* verdict_requirement_text - what the deciding block requires, in words */
size_t
verdict_requirement_text(const struct policy *policy, const struct verdict *verdict,
    char *buf, size_t size)
{
	const struct policy_require *require = &render_block(policy, verdict)->require;
	size_t len = 0, count = 0, i = 0;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	count = (require->pfs ? 1 : 0) + (require->min_cipher_bits > 0 ? 1 : 0)
	    + (require->cert_required ? 1 : 0);
	if (require->min_version != TLS_VERSION_NONE)
		text_append(buf, size, &len, "%s+", tls_version_name(require->min_version));
	else if (require->tls || count > 0)
		text_put(buf, size, &len, "TLS");
	else {
		text_put(buf, size, &len, "nothing");
		return len;
	}
	if (count > 0)
		text_put(buf, size, &len, " with ");
	if (require->pfs)
		text_append(buf, size, &len, "%sforward secrecy", render_join(i++, count));
	if (require->min_cipher_bits > 0)
		text_append(buf, size, &len, "%s%d-bit ciphers", render_join(i++, count),
		    require->min_cipher_bits);
	if (require->cert_required) {
		text_append(buf, size, &len, "%s", render_join(i++, count));
		render_cert_requirement(require, buf, size, &len);
	}
	return len;
}

/* render_session_cert - ", a verified client certificate for X issued by Y" */
static void
render_session_cert(const struct session_facts *facts, char *buf, size_t size, size_t *len)
{
	if (facts->cert == CERT_NONE)
		return;
	text_append(buf, size, len, ", %s client certificate",
	    facts->cert == CERT_VERIFIED ? "a verified" : "an unverified");
	if (facts->cert_subject != NULL) {
		text_put(buf, size, len, " for ");
		text_safe_append(buf, size, len, facts->cert_subject, RENDER_CAP_CERT, NULL);
	}
	if (facts->cert_issuer != NULL) {
		text_put(buf, size, len, " issued by ");
		text_safe_append(buf, size, len, facts->cert_issuer, RENDER_CAP_CERT, NULL);
	}
}

/* facts_session_text - what this session had, in words */
size_t
facts_session_text(const struct session_facts *facts, char *buf, size_t size)
{
	size_t len = 0;
	int bits = render_bits(facts);

	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (!facts->tls) {
		text_put(buf, size, &len, "no TLS");
		return len;
	}
	if (facts->tls_version > TLS_VERSION_UNKNOWN)
		text_append(buf, size, &len, "%s", tls_version_name(facts->tls_version));
	else if (facts->tls_version_text != NULL)
		text_safe_append(buf, size, &len, facts->tls_version_text, RENDER_CAP_VERSION,
		    NULL);
	else
		text_put(buf, size, &len, "TLS of unknown version");
	text_put(buf, size, &len, " ");
	if (facts->cipher != NULL)
		text_safe_append(buf, size, &len, facts->cipher, RENDER_CAP_CIPHER, NULL);
	else
		text_put(buf, size, &len, "with an unknown cipher");
	if (bits >= 0)
		text_append(buf, size, &len, " (%d bits)", bits);
	if (facts->cipher_class.pfs == TLS_PFS_YES)
		text_put(buf, size, &len, " with forward secrecy");
	else if (facts->cipher_class.pfs == TLS_PFS_NO)
		text_put(buf, size, &len, " without forward secrecy");
	else
		text_put(buf, size, &len, ", forward secrecy unknown");
	render_session_cert(facts, buf, size, &len);
	return len;
}

/* render_reply_codes - the reply codes: the policy's when they fit the action */
static void
render_reply_codes(const struct policy_custom_reply *custom, bool reject,
    struct policy_reply *out)
{
	const char *rcode = reject ? "550" : "451";
	const char *xcode = reject ? "5.7.0" : "4.7.0";

	/* The loader checks the class; check again, Postfix drops a mismatch. */
	if (custom->set && custom->rcode[0] == rcode[0] && custom->xcode[0] == xcode[0]) {
		rcode = custom->rcode;
		xcode = custom->xcode;
	}
	text_safe_copy(out->rcode, sizeof(out->rcode), rcode, 0, NULL);
	text_safe_copy(out->xcode, sizeof(out->xcode), xcode, 0, NULL);
}

/* verdict_reply - the SMTP reply for a DEFER or REJECT effective action */
int
verdict_reply(const struct policy *policy, const struct verdict *verdict,
    const struct session_facts *facts, struct policy_reply *out)
{
	const struct policy_partner *block = render_block(policy, verdict);
	size_t len = 0;

	memset(out, 0, sizeof(*out));
	if (verdict->effective != POLICY_ACTION_DEFER
	    && verdict->effective != POLICY_ACTION_REJECT)
		return -1;
	if (verdict->result == VERDICT_TEMPERROR) {
		text_safe_copy(out->rcode, sizeof(out->rcode), "451", 0, NULL);
		text_safe_copy(out->xcode, sizeof(out->xcode), "4.3.5", 0, NULL);
		text_safe_copy(out->text, sizeof(out->text), RENDER_MISSING_TEXT, 0, NULL);
		return 0;
	}
	render_reply_codes(&block->reply, verdict->effective == POLICY_ACTION_REJECT, out);
	if (block->reply.set && block->reply.text != NULL) {
		text_safe_copy(out->text, sizeof(out->text), block->reply.text, 0, NULL);
		return 0;
	}
	if (verdict->partner != NULL) {
		text_put(out->text, sizeof(out->text), &len, "Policy for partner ");
		render_partner(verdict, out->text, sizeof(out->text), &len, " ");
	} else
		text_append(out->text, sizeof(out->text), &len,
		    "Policy for mail from non-partners");
	text_put(out->text, sizeof(out->text), &len, " requires ");
	len += verdict_requirement_text(policy, verdict, out->text + len,
	    sizeof(out->text) - len);
	text_put(out->text, sizeof(out->text), &len, "; this session used ");
	len += facts_session_text(facts, out->text + len, sizeof(out->text) - len);
	return 0;
}

/* verdict_header - the tag header's value */
size_t
verdict_header(const struct policy *policy, const struct verdict *verdict,
    const struct session_facts *facts, char *buf, size_t size)
{
	const char *authserv = policy->authserv_id;
	char reasons[256];
	size_t len = 0;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (authserv == NULL)
		authserv = facts->mta_name != NULL ? facts->mta_name : "localhost";
	text_safe_append(buf, size, &len, authserv, RENDER_CAP_NAME, RENDER_SEP_HEADER);
	text_put(buf, size, &len, "; verdict=");
	text_put(buf, size, &len, verdict_result_name(verdict->result));
	text_put(buf, size, &len, "; partner=");
	render_partner(verdict, buf, size, &len, RENDER_SEP_HEADER);
	text_put(buf, size, &len, "; ");
	render_tls_facts(facts, "; ", RENDER_SEP_HEADER, buf, size, &len);
	verdict_reasons_format(verdict->reasons, reasons, sizeof(reasons));
	text_put(buf, size, &len, "; reasons=");
	text_put(buf, size, &len, reasons);
	text_put(buf, size, &len, "; action=");
	render_action(verdict, buf, size, &len);
	return len;
}

/* render_log_client - "client=NAME[IP]" in Postfix's habit */
static void
render_log_client(const struct session_facts *facts, char *buf, size_t size, size_t *len)
{
	const char *name = facts->client_name;

	/* Postfix passes "[ip]" as the name when it has none. */
	if (name == NULL || *name == '\0' || name[0] == '[')
		name = "unknown";
	text_put(buf, size, len, "client=");
	text_safe_append(buf, size, len, name, RENDER_CAP_NAME, RENDER_SEP_LOG_HOST);
	text_put(buf, size, len, "[");
	text_safe_append(buf, size, len, facts->client_ip != NULL ? facts->client_ip : "unknown",
	    RENDER_CAP_ADDR, RENDER_SEP_LOG_HOST);
	text_put(buf, size, len, "]");
}

/* render_log_address - " key=<address>", one pair of <> stripped first */
static void
render_log_address(const char *key, const char *address, char *buf, size_t size,
    size_t *len)
{
	char copy[RENDER_CAP_NAME + 2];	/* one byte past the cap shows the cut */
	size_t n;

	text_put(buf, size, len, " ");
	text_put(buf, size, len, key);
	if (address == NULL) {
		text_put(buf, size, len, "=-");
		return;
	}
	n = strlen(address);
	if (n >= 2 && address[0] == '<' && address[n - 1] == '>') {
		address++;
		n -= 2;
	}
	if (n > RENDER_CAP_NAME + 1)
		n = RENDER_CAP_NAME + 1;
	memcpy(copy, address, n);
	copy[n] = '\0';
	text_put(buf, size, len, "=<");
	text_safe_append(buf, size, len, copy, RENDER_CAP_NAME, RENDER_SEP_LOG_ADDR);
	text_put(buf, size, len, ">");
}

/* render_log_selector - "selector=name:pattern" or "selector=none" */
static void
render_log_selector(const struct verdict *verdict, char *buf, size_t size, size_t *len)
{
	text_put(buf, size, len, " selector=");
	text_put(buf, size, len, policy_selector_name(verdict->selector));
	if (verdict->selector_value != NULL) {
		text_put(buf, size, len, ":");
		text_safe_append(buf, size, len, verdict->selector_value, RENDER_CAP_NAME,
		    RENDER_SEP_LOG);
	}
}

/* verdict_log_line - one syslog line of key=value tokens */
size_t
verdict_log_line(const struct verdict *verdict, const struct session_facts *facts,
    const char *rcpt, char *buf, size_t size)
{
	char reasons[256];
	size_t len = 0;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	text_put(buf, size, &len, "tlspolicy: ");
	render_log_client(facts, buf, size, &len);
	text_put(buf, size, &len, " helo=");
	text_safe_append(buf, size, &len, facts->helo, RENDER_CAP_NAME, RENDER_SEP_LOG);
	render_log_address("sender", facts->sender, buf, size, &len);
	if (rcpt != NULL)
		render_log_address("rcpt", rcpt, buf, size, &len);
	text_put(buf, size, &len, " partner=");
	render_partner(verdict, buf, size, &len, RENDER_SEP_LOG);
	render_log_selector(verdict, buf, size, &len);
	text_put(buf, size, &len, " ");
	render_tls_facts(facts, " ", RENDER_SEP_LOG, buf, size, &len);
	verdict_reasons_format(verdict->reasons, reasons, sizeof(reasons));
	text_put(buf, size, &len, " verdict=");
	text_put(buf, size, &len, verdict_result_name(verdict->result));
	text_put(buf, size, &len, " reasons=");
	text_put(buf, size, &len, reasons);
	text_put(buf, size, &len, " action=");
	render_action(verdict, buf, size, &len);
	return len;
}
