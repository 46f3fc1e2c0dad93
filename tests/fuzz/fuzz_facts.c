/*
 * fuzz_facts.c - libFuzzer target: TLS facts from MTA macros.
 *
 * The input is split at NUL bytes into values, handed out in order to
 * the connect arguments, the HELO, the sender and the macros the milter
 * asks for (Postfix and Sendmail spellings: CN-only names, "/"-DNs with
 * "+XX" escapes, {verify}, {client_resolve}, "_").  A value of a single
 * 0x01 byte means "the MTA did not send it" (NULL), so absent and empty
 * both get explored.  The facts then go through every stage the milter
 * runs, with the real OpenSSL cipher table, and through the classifier
 * and the certificate name matcher directly.  The target owns the facts
 * and the cipher table (built once, kept for the process).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "policy.h"
#include "policy_int.h"
#include "tls.h"

#define FUZZ_FIELDS	32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The order in which input values are assigned. */
static const char *const fuzz_macro_names[] = {
	"{tls_version}", "{cipher}", "{cipher_bits}", "{alg_bits}",
	"{cert_subject}", "{cert_issuer}", "{verify}",
	"{client_addr}", "{client_name}", "{client_resolve}", "_",
	"{auth_type}", "i", "j", "{mail_addr}", "{daemon_name}",
};
#define FUZZ_MACROS	(sizeof(fuzz_macro_names) / sizeof(fuzz_macro_names[0]))

struct fuzz_input {
	char *copy;			/* the input, NUL-terminated, owned */
	const char *field[FUZZ_FIELDS];	/* into copy; NULL: not sent */
	size_t fields;
};

/* fuzz_split - cut a private copy of the input at NUL bytes */
static int
fuzz_split(struct fuzz_input *in, const uint8_t *data, size_t size)
{
	size_t i, start = 0;

	memset(in, 0, sizeof(*in));
	if ((in->copy = malloc(size + 1)) == NULL)
		return -1;
	memcpy(in->copy, data, size);
	in->copy[size] = '\0';
	for (i = 0; i <= size && in->fields < FUZZ_FIELDS; i++) {
		if (in->copy[i] != '\0')
			continue;
		if (strcmp(in->copy + start, "\x01") == 0)
			in->field[in->fields++] = NULL;
		else
			in->field[in->fields++] = in->copy + start;
		start = i + 1;
	}
	return 0;
}

/* fuzz_field - the i-th value, or NULL past the end */
static const char *
fuzz_field(const struct fuzz_input *in, size_t i)
{
	return i < in->fields ? in->field[i] : NULL;
}

/* fuzz_macro - facts_macro_fn over the split input (fields 4.. are macros) */
static const char *
fuzz_macro(void *context, const char *name)
{
	const struct fuzz_input *in = context;
	size_t i;

	for (i = 0; i < FUZZ_MACROS; i++)
		if (strcmp(fuzz_macro_names[i], name) == 0)
			return fuzz_field(in, 4 + i);
	return NULL;
}

/* fuzz_table - the real cipher table, built on first use */
static const struct cipher_table *
fuzz_table(void)
{
	static struct cipher_table *table;
	char err[256];

	if (table == NULL && (table = cipher_table_new(err, sizeof(err))) == NULL)
		abort();
	return table;
}

/* LLVMFuzzerTestOneInput - run the values through every stage and classifier */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cipher_table *table = fuzz_table();
	struct session_facts facts;
	struct tls_cipher_class class;
	struct fuzz_input in;
	struct ip_addr addr;
	char text[1024];
	char *decoded;

	if (fuzz_split(&in, data, size) < 0)
		return 0;
	facts_init(&facts);
	facts_set_client(&facts, fuzz_field(&in, 0), fuzz_field(&in, 1));
	facts_update(&facts, FACTS_STAGE_CONNECT, fuzz_macro, &in, table);
	facts_set_helo(&facts, fuzz_field(&in, 2));
	facts_update(&facts, FACTS_STAGE_HELO, fuzz_macro, &in, table);
	facts_reset_message(&facts);
	facts_set_sender(&facts, fuzz_field(&in, 3));
	facts_update(&facts, FACTS_STAGE_MAIL, fuzz_macro, &in, table);
	(void)facts_domain(facts.sender);
	facts_update(&facts, FACTS_STAGE_RCPT, fuzz_macro, &in, table);
	facts_update(&facts, FACTS_STAGE_EOM, fuzz_macro, &in, table);
	(void)facts_session_text(&facts, text, sizeof(text));
	if (strlen(text) >= sizeof(text))
		abort();

	cipher_classify(table, tls_version_parse(fuzz_field(&in, 4) ? fuzz_field(&in, 4) : ""),
	    fuzz_field(&in, 5), &class);
	cipher_classify(table, TLS_VERSION_TLSV1_3, fuzz_field(&in, 5), &class);
	cipher_classify(NULL, TLS_VERSION_TLSV1_2, fuzz_field(&in, 5), &class);
	(void)ip_addr_parse(fuzz_field(&in, 1) ? fuzz_field(&in, 1) : "", &addr);
	if (fuzz_field(&in, 8) != NULL && (decoded = cert_xtext_decode(fuzz_field(&in, 8))) != NULL)
		free(decoded);
	if (fuzz_field(&in, 20) != NULL) {
		(void)cert_name_matches(fuzz_field(&in, 20), facts.cert_subject);
		(void)cert_name_matches(fuzz_field(&in, 20), fuzz_field(&in, 8));
	}
	facts_free(&facts);
	free(in.copy);
	return 0;
}
