/*
 * fuzz_render.c - libFuzzer target: reply, header and log line from
 * arbitrary facts.
 *
 * The first input bytes choose the scalar facts (version, bits,
 * certificate status, flags, which policy); the rest is split at NUL
 * bytes into the session's strings, which may hold CR, LF, '%',
 * separators and 8-bit bytes.  Two fixed policies (one enforcing with
 * an authserv-id and custom replies, one in testing mode that takes the
 * authserv-id from the MTA's {j}) judge the facts at MAIL and at RCPT;
 * every rendered text must then be one line of printable ASCII with no
 * CR, LF, NUL or '%', else the target aborts.  The policies and the
 * cipher table are built once and kept; the facts are freed per input.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "policy.h"
#include "tls.h"

#define FUZZ_STRINGS	12

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_policy_enforce[] =
    "version: 1\n"
    "settings: {mode: enforce, authserv_id: mx.example.org}\n"
    "exempt: {client_ips: [192.0.2.99], authenticated: true}\n"
    "defaults: {require: {tls: true}, action: tag}\n"
    "partners:\n"
    "  - name: strict\n"
    "    match: {sender_domains: [strict.example, \"*.strict.example\"],\n"
    "            client_ips: [\"198.51.100.0/24\", \"2001:db8::/32\"]}\n"
    "    require: {min_version: TLSv1.2, pfs: true, min_cipher_bits: 128}\n"
    "    action: reject\n"
    "  - name: certs\n"
    "    match: {client_hosts: [\"*.certs.example\"], recipient_domains: [certs.example]}\n"
    "    require: {client_cert: {verified: true, issuer: \"CN=Root\", subject: \"peer\"}}\n"
    "    action: defer\n"
    "    reply: \"421 4.7.1 certificate needed\"\n"
    "  - name: quiet\n"
    "    match: {sender_domains: [quiet.example]}\n"
    "    require: {tls: true}\n"
    "    action: quarantine\n";

static const char fuzz_policy_testing[] =
    "version: 1\n"
    "settings: {mode: testing, header: X-Fuzz-Tag, on_missing_macros: accept}\n"
    "exempt: {authenticated: false}\n"
    "partners:\n"
    "  - name: strict\n"
    "    match: {sender_domains: [strict.example], client_ips: [\"0.0.0.0/0\", \"::/0\"]}\n"
    "    require: {min_version: TLSv1.3, pfs: true, min_cipher_bits: 256,\n"
    "              client_cert: {issuer: \"/C=DE/O=Example/CN=Root\"}}\n"
    "    action: reject\n"
    "    reply: \"certificate and TLS 1.3 required\"\n";

static const enum cert_status fuzz_certs[] = { CERT_NONE, CERT_UNVERIFIED, CERT_VERIFIED };

/* fuzz_load - one of the fixed policies; abort if it does not load */
static struct policy *
fuzz_load(const char *text)
{
	struct policy_diag diag;
	struct policy *policy;

	policy_diag_init(&diag);
	policy = policy_load_buffer("fuzz.yaml", text, strlen(text), &diag);
	policy_diag_free(&diag);
	if (policy == NULL)
		abort();
	return policy;
}

/* fuzz_check_line - abort unless text is one printable ASCII line without '%' */
static void
fuzz_check_line(const char *text, size_t size)
{
	size_t len = strnlen(text, size);
	const unsigned char *p;

	if (len >= size)
		abort();
	for (p = (const unsigned char *)text; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '%')
			abort();
}

/* fuzz_string - a private copy of the next NUL-terminated piece, or NULL */
static char *
fuzz_string(const uint8_t **data, size_t *size)
{
	const uint8_t *end;
	size_t len;
	char *copy;

	if (*size == 0)
		return NULL;
	end = memchr(*data, '\0', *size);
	len = end != NULL ? (size_t)(end - *data) : *size;
	if ((copy = strndup((const char *)*data, len)) == NULL)
		return NULL;
	*data += len < *size ? len + 1 : len;
	*size -= len < *size ? len + 1 : len;
	if (strcmp(copy, "\x01") == 0) {
		free(copy);
		return NULL;
	}
	return copy;
}

/* fuzz_fill - scalar facts from the first bytes, strings from the rest */
static void
fuzz_fill(struct session_facts *facts, const uint8_t *data, size_t size, char **rcpt,
    const struct cipher_table *table)
{
	uint8_t flags = data[0];

	facts->macros_seen = (flags & 0x01) != 0;
	facts->tls = (flags & 0x02) != 0;
	facts->client_name_verified = (flags & 0x04) != 0;
	facts->authenticated = (flags & 0x08) != 0;
	facts->tls_version = (enum tls_version)(data[1] % (TLS_VERSION_TLSV1_3 + 1));
	facts->cipher_bits = (int)(int8_t)data[2] * 4;
	facts->cert = fuzz_certs[data[3] % 3];
	data += 4;
	size -= 4;
	facts->client_ip = fuzz_string(&data, &size);
	facts->client_name = fuzz_string(&data, &size);
	facts->helo = fuzz_string(&data, &size);
	facts->mta_name = fuzz_string(&data, &size);
	facts->tls_version_text = fuzz_string(&data, &size);
	facts->cipher = fuzz_string(&data, &size);
	facts->cert_subject = fuzz_string(&data, &size);
	facts->cert_issuer = fuzz_string(&data, &size);
	facts->queue_id = fuzz_string(&data, &size);
	facts->sender = fuzz_string(&data, &size);
	*rcpt = fuzz_string(&data, &size);
	if (facts->client_ip != NULL)
		(void)ip_addr_parse(facts->client_ip, &facts->client_addr);
	cipher_classify((flags & 0x10) ? table : NULL, facts->tls_version, facts->cipher,
	    &facts->cipher_class);
}

/* fuzz_render_all - every text for one verdict, each checked */
static void
fuzz_render_all(const struct policy *policy, const struct verdict *verdict,
    const struct session_facts *facts, const char *rcpt)
{
	struct policy_reply reply;
	char header[2048], log[4096], small[40];

	(void)verdict_header(policy, verdict, facts, header, sizeof(header));
	fuzz_check_line(header, sizeof(header));
	(void)verdict_header(policy, verdict, facts, small, sizeof(small));
	fuzz_check_line(small, sizeof(small));
	(void)verdict_log_line(verdict, facts, rcpt, log, sizeof(log));
	fuzz_check_line(log, sizeof(log));
	(void)verdict_log_line(verdict, facts, rcpt, small, sizeof(small));
	fuzz_check_line(small, sizeof(small));
	(void)verdict_requirement_text(policy, verdict, header, sizeof(header));
	fuzz_check_line(header, sizeof(header));
	(void)facts_session_text(facts, header, sizeof(header));
	fuzz_check_line(header, sizeof(header));
	memset(&reply, 0, sizeof(reply));
	if (verdict_reply(policy, verdict, facts, &reply) == 0) {
		fuzz_check_line(reply.rcode, sizeof(reply.rcode));
		fuzz_check_line(reply.xcode, sizeof(reply.xcode));
		fuzz_check_line(reply.text, sizeof(reply.text));
		if (strlen(reply.rcode) != 3 || reply.text[0] == '\0')
			abort();
	}
}

/* LLVMFuzzerTestOneInput - judge arbitrary facts and check every rendering */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy *policies[2];
	static struct cipher_table *table;
	const struct policy *policy;
	struct session_facts facts;
	struct verdict verdict;
	char err[256];
	char *rcpt = NULL;

	if (size < 4)
		return 0;
	if (policies[0] == NULL) {
		policies[0] = fuzz_load(fuzz_policy_enforce);
		policies[1] = fuzz_load(fuzz_policy_testing);
		if ((table = cipher_table_new(err, sizeof(err))) == NULL)
			abort();
	}
	policy = policies[(data[0] >> 7) & 1];
	facts_init(&facts);
	fuzz_fill(&facts, data, size, &rcpt, table);
	policy_evaluate(policy, &facts, NULL, &verdict);
	fuzz_render_all(policy, &verdict, &facts, NULL);
	if (rcpt != NULL) {
		policy_evaluate(policy, &facts, rcpt, &verdict);
		fuzz_render_all(policy, &verdict, &facts, rcpt);
	}
	facts_free(&facts);
	free(rcpt);
	return 0;
}
