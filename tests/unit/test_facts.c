/*
 * test_facts.c - from MTA macros to session facts, as Postfix and
 * Sendmail send them, plus the certificate name helpers of cert.c.
 *
 * Each case replays a session: the connect event, then the macros the
 * MTA makes visible at each stage (a fake macro table per stage), and
 * checks the facts that result.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "callbacks.h"
#include "facts.h"
#include "policy_int.h"
#include "tls.h"
#include "unit.h"

struct macro {
	const char *name;
	const char *value;
};

/* fake_get - the fake MTA: look a macro up in a NULL-terminated table */
static const char *
fake_get(void *context, const char *name)
{
	const struct macro *macro;

	for (macro = context; macro != NULL && macro->name != NULL; macro++)
		if (strcmp(macro->name, name) == 0)
			return macro->value;
	return NULL;
}

#define END {NULL, NULL}

/* ------------------------------------------------------------ macro tables */

static const struct macro none[] = {END};

static const struct macro pf_connect[] = {
	{"j", "mx.example.org"}, {"{daemon_name}", "smtpd"},
	{"{client_addr}", "192.0.2.10"}, {"{client_name}", "client.partner.test"},
	{"{client_ptr}", "client.partner.test"}, END,
};
static const struct macro pf_connect_unknown[] = {
	{"j", "mx.example.org"}, {"{client_addr}", "192.0.2.11"},
	{"{client_name}", "unknown"}, {"{client_ptr}", "ptr.claims.partner.test"}, END,
};
static const struct macro pf_helo_plain[] = {{"j", "mx.example.org"}, END};
static const struct macro pf_tls12_rsa[] = {
	{"{tls_version}", "TLSv1.2"}, {"{cipher}", "AES256-GCM-SHA384"},
	{"{cipher_bits}", "256"}, END,
};
static const struct macro pf_tls12_ecdhe[] = {
	{"{tls_version}", "TLSv1.2"}, {"{cipher}", "ECDHE-RSA-AES128-GCM-SHA256"},
	{"{cipher_bits}", "128"}, END,
};
static const struct macro pf_tls13[] = {
	{"{tls_version}", "TLSv1.3"}, {"{cipher}", "TLS_AES_256_GCM_SHA384"},
	{"{cipher_bits}", "256"}, END,
};
static const struct macro pf_tls13_cert[] = {
	{"{tls_version}", "TLSv1.3"}, {"{cipher}", "TLS_AES_256_GCM_SHA384"},
	{"{cipher_bits}", "256"}, {"{cert_subject}", "client.partner.test"},
	{"{cert_issuer}", "Partner Root CA"}, END,
};
static const struct macro pf_mail_plain[] = {
	{"{mail_addr}", "alice@partner.test"}, END,
};
static const struct macro pf_mail_auth[] = {
	{"{mail_addr}", "alice@example.org"}, {"{auth_type}", "PLAIN"}, END,
};
static const struct macro pf_mail_tls[] = {
	{"{mail_addr}", "alice@partner.test"}, {"{tls_version}", "TLSv1.2"},
	{"{cipher}", "ECDHE-RSA-AES256-GCM-SHA384"}, {"{cipher_bits}", "256"}, END,
};
static const struct macro pf_rcpt_qid[] = {{"i", "4ABCD1234"}, END};
static const struct macro alg_bits_only[] = {
	{"{tls_version}", "TLSv1.2"}, {"{cipher}", "AES128-SHA"}, {"{alg_bits}", "128"}, END,
};
static const struct macro bad_bits[] = {
	{"{tls_version}", "TLSv1.2"}, {"{cipher}", "AES128-SHA"}, {"{cipher_bits}", "12x"},
	{"{alg_bits}", "128"}, END,
};
static const struct macro huge_bits[] = {
	{"{tls_version}", "TLSv1.2"}, {"{cipher}", "AES128-SHA"},
	{"{cipher_bits}", "65536"}, END,
};
static const struct macro cipher_only[] = {{"{cipher}", "ECDHE-RSA-AES256-SHA"}, END};
static const struct macro empty_tls[] = {{"{tls_version}", ""}, {"{cipher}", ""}, END};

static const struct macro sm_connect_ok[] = {
	{"j", "mx.example.org"}, {"_", "client.partner.test [192.0.2.20]"},
	{"{client_addr}", "192.0.2.20"}, {"{client_name}", "client.partner.test"},
	{"{client_resolve}", "OK"}, END,
};
static const struct macro sm_connect_forged[] = {
	{"j", "mx.example.org"}, {"{client_addr}", "192.0.2.21"},
	{"{client_name}", "client.partner.test"}, {"{client_resolve}", "FORGED"}, END,
};
static const struct macro sm_connect_maybe_forged[] = {
	{"j", "mx.example.org"},
	{"_", "client.partner.test [192.0.2.22] (may be forged)"}, END,
};
static const struct macro sm_verify_ok[] = {
	{"{tls_version}", "TLSv1.3"}, {"{cipher}", "TLS_AES_256_GCM_SHA384"},
	{"{cipher_bits}", "256"}, {"{alg_bits}", "256"}, {"{verify}", "OK"},
	{"{cert_subject}", "/C=DE/O=Partner+20Test+20Org/CN=client.partner.test"},
	{"{cert_issuer}", "/C=DE/O=Partner+20Test+20Org/CN=Partner+20Root+20CA"},
	{"{cn_subject}", "client.partner.test"}, END,
};
static const struct macro sm_verify_fail[] = {
	{"{tls_version}", "TLSv1.2"}, {"{cipher}", "ECDHE-RSA-AES256-GCM-SHA384"},
	{"{cipher_bits}", "256"}, {"{verify}", "FAIL"},
	{"{cert_subject}", "/C=DE/O=Evil+20Org/CN=client.partner.test"},
	{"{cert_issuer}", "/CN=Self+2BSigned"}, END,
};
static const struct macro sm_verify_no[] = {
	{"{tls_version}", "TLSv1.2"}, {"{cipher}", "ECDHE-RSA-AES256-GCM-SHA384"},
	{"{cipher_bits}", "256"}, {"{verify}", "NO"},
	{"{cert_subject}", ""}, {"{cert_issuer}", ""}, END,
};
static const struct macro sm_verify_ok_no_cert[] = {
	{"{tls_version}", "TLSv1.2"}, {"{cipher}", "ECDHE-RSA-AES256-GCM-SHA384"},
	{"{verify}", "OK"}, {"{cert_subject}", ""}, END,
};
static const struct macro sm_no_verify_macro[] = {
	{"{tls_version}", "TLSv1.2"}, {"{cipher}", "ECDHE-RSA-AES256-GCM-SHA384"},
	{"{cert_subject}", "/C=DE/CN=client.partner.test"}, END,
};
static const struct macro sm_old_version[] = {
	{"{tls_version}", "TLSv1/SSLv3"}, {"{cipher}", "DHE-RSA-AES256-SHA"},
	{"{cipher_bits}", "256"}, {"{verify}", "NONE"}, END,
};
static const struct macro sm_mail[] = {
	{"i", "r8ABCDEF012345"}, {"{mail_addr}", "bob@partner.test"}, END,
};

/* ------------------------------------------------------------ session cases */

struct step {
	enum facts_stage stage;
	const struct macro *macros;
};

struct want {
	bool macros_seen;
	bool tls;
	enum tls_version version;
	const char *cipher;
	int bits;
	enum tls_pfs pfs;
	enum cert_status cert;
	const char *subject;
	const char *issuer;
	const char *client_name;
	bool verified;
	const char *client_ip;
	int family;			/* 4, 6 or 0 */
	const char *queue_id;
	bool authenticated;
	const char *mta_name;
};

struct session_case {
	const char *label;
	const char *hostname;		/* connect event; NULL: none */
	const char *ip;
	struct step steps[5];		/* ends at the first NULL macros */
	struct want want;
};

#define CONNECT(m)	{FACTS_STAGE_CONNECT, (m)}
#define HELO(m)		{FACTS_STAGE_HELO, (m)}
#define MAIL(m)		{FACTS_STAGE_MAIL, (m)}
#define RCPT(m)		{FACTS_STAGE_RCPT, (m)}

static const struct session_case session_cases[] = {
	{"postfix plaintext", "client.partner.test", "192.0.2.10",
	    {CONNECT(pf_connect), HELO(pf_helo_plain), MAIL(pf_mail_plain)},
	    {true, false, TLS_VERSION_NONE, NULL, -1, TLS_PFS_NO, CERT_NONE, NULL, NULL,
	    "client.partner.test", true, "192.0.2.10", 4, NULL, false, "mx.example.org"}},
	{"postfix tls1.2 rsa", "client.partner.test", "192.0.2.10",
	    {CONNECT(pf_connect), HELO(pf_tls12_rsa), MAIL(pf_mail_plain)},
	    {true, true, TLS_VERSION_TLSV1_2, "AES256-GCM-SHA384", 256, TLS_PFS_NO, CERT_NONE,
	    NULL, NULL, "client.partner.test", true, "192.0.2.10", 4, NULL, false,
	    "mx.example.org"}},
	{"postfix tls1.2 ecdhe", "client.partner.test", "192.0.2.10",
	    {CONNECT(pf_connect), HELO(pf_tls12_ecdhe), MAIL(pf_mail_plain)},
	    {true, true, TLS_VERSION_TLSV1_2, "ECDHE-RSA-AES128-GCM-SHA256", 128, TLS_PFS_YES,
	    CERT_NONE, NULL, NULL, "client.partner.test", true, "192.0.2.10", 4, NULL, false,
	    "mx.example.org"}},
	{"postfix tls1.3", "client.partner.test", "192.0.2.10",
	    {CONNECT(pf_connect), HELO(pf_tls13), MAIL(pf_mail_plain)},
	    {true, true, TLS_VERSION_TLSV1_3, "TLS_AES_256_GCM_SHA384", 256, TLS_PFS_YES,
	    CERT_NONE, NULL, NULL, "client.partner.test", true, "192.0.2.10", 4, NULL, false,
	    "mx.example.org"}},
	{"postfix verified cert is CN only", "client.partner.test", "192.0.2.10",
	    {CONNECT(pf_connect), HELO(pf_tls13_cert), MAIL(pf_mail_plain)},
	    {true, true, TLS_VERSION_TLSV1_3, "TLS_AES_256_GCM_SHA384", 256, TLS_PFS_YES,
	    CERT_VERIFIED, "client.partner.test", "Partner Root CA", "client.partner.test",
	    true, "192.0.2.10", 4, NULL, false, "mx.example.org"}},
	{"postfix helo then starttls helo", "client.partner.test", "192.0.2.10",
	    {CONNECT(pf_connect), HELO(pf_helo_plain), HELO(pf_tls13), MAIL(pf_mail_plain)},
	    {true, true, TLS_VERSION_TLSV1_3, "TLS_AES_256_GCM_SHA384", 256, TLS_PFS_YES,
	    CERT_NONE, NULL, NULL, "client.partner.test", true, "192.0.2.10", 4, NULL, false,
	    "mx.example.org"}},
	{"second helo replaces everything", "client.partner.test", "192.0.2.10",
	    {CONNECT(pf_connect), HELO(pf_tls13_cert), HELO(pf_tls12_rsa)},
	    {true, true, TLS_VERSION_TLSV1_2, "AES256-GCM-SHA384", 256, TLS_PFS_NO, CERT_NONE,
	    NULL, NULL, "client.partner.test", true, "192.0.2.10", 4, NULL, false,
	    "mx.example.org"}},
	{"helo without tls macros is plaintext", "client.partner.test", "192.0.2.10",
	    {CONNECT(pf_connect), HELO(pf_tls13), HELO(pf_helo_plain)},
	    {true, false, TLS_VERSION_NONE, NULL, -1, TLS_PFS_NO, CERT_NONE, NULL, NULL,
	    "client.partner.test", true, "192.0.2.10", 4, NULL, false, "mx.example.org"}},
	{"tls facts only at mail", "client.partner.test", "192.0.2.10",
	    {CONNECT(pf_connect), HELO(pf_helo_plain), MAIL(pf_mail_tls)},
	    {true, true, TLS_VERSION_TLSV1_2, "ECDHE-RSA-AES256-GCM-SHA384", 256, TLS_PFS_YES,
	    CERT_NONE, NULL, NULL, "client.partner.test", true, "192.0.2.10", 4, NULL, false,
	    "mx.example.org"}},
	{"mail without tls macros keeps helo facts", "client.partner.test", "192.0.2.10",
	    {CONNECT(pf_connect), HELO(pf_tls13_cert), MAIL(pf_mail_plain)},
	    {true, true, TLS_VERSION_TLSV1_3, "TLS_AES_256_GCM_SHA384", 256, TLS_PFS_YES,
	    CERT_VERIFIED, "client.partner.test", "Partner Root CA", "client.partner.test",
	    true, "192.0.2.10", 4, NULL, false, "mx.example.org"}},
	{"postfix client_name unknown, ptr ignored", "unknown", "192.0.2.11",
	    {CONNECT(pf_connect_unknown), HELO(pf_helo_plain)},
	    {true, false, TLS_VERSION_NONE, NULL, -1, TLS_PFS_NO, CERT_NONE, NULL, NULL,
	    "unknown", false, "192.0.2.11", 4, NULL, false, "mx.example.org"}},
	{"postfix bracketed hostname", "[2001:db8::1]", "2001:db8::1",
	    {CONNECT(none), HELO(pf_helo_plain)},
	    {true, false, TLS_VERSION_NONE, NULL, -1, TLS_PFS_NO, CERT_NONE, NULL, NULL,
	    "[2001:db8::1]", false, "2001:db8::1", 6, NULL, false, "mx.example.org"}},
	{"authenticated at mail", "client.example.org", "192.0.2.30",
	    {CONNECT(pf_connect), HELO(pf_tls13), MAIL(pf_mail_auth)},
	    {true, true, TLS_VERSION_TLSV1_3, "TLS_AES_256_GCM_SHA384", 256, TLS_PFS_YES,
	    CERT_NONE, NULL, NULL, "client.partner.test", true, "192.0.2.10", 4, NULL, true,
	    "mx.example.org"}},
	{"queue id at rcpt", "client.partner.test", "192.0.2.10",
	    {CONNECT(pf_connect), HELO(pf_tls13), MAIL(pf_mail_plain), RCPT(none),
	    RCPT(pf_rcpt_qid)},
	    {true, true, TLS_VERSION_TLSV1_3, "TLS_AES_256_GCM_SHA384", 256, TLS_PFS_YES,
	    CERT_NONE, NULL, NULL, "client.partner.test", true, "192.0.2.10", 4, "4ABCD1234",
	    false, "mx.example.org"}},
	{"no macros at all", "client.partner.test", "192.0.2.10",
	    {CONNECT(none), HELO(none), MAIL(none), RCPT(none)},
	    {false, false, TLS_VERSION_NONE, NULL, -1, TLS_PFS_NO, CERT_NONE, NULL, NULL,
	    "client.partner.test", true, "192.0.2.10", 4, NULL, false, NULL}},
	{"alg_bits when cipher_bits absent", "h.test", "192.0.2.10",
	    {CONNECT(none), HELO(alg_bits_only)},
	    {true, true, TLS_VERSION_TLSV1_2, "AES128-SHA", 128, TLS_PFS_NO, CERT_NONE,
	    NULL, NULL, "h.test", true, "192.0.2.10", 4, NULL, false, NULL}},
	{"bad cipher_bits is unknown", "h.test", "192.0.2.10",
	    {CONNECT(none), HELO(bad_bits)},
	    {true, true, TLS_VERSION_TLSV1_2, "AES128-SHA", -1, TLS_PFS_NO, CERT_NONE,
	    NULL, NULL, "h.test", true, "192.0.2.10", 4, NULL, false, NULL}},
	{"cipher_bits over 65535 is unknown", "h.test", "192.0.2.10",
	    {CONNECT(none), HELO(huge_bits)},
	    {true, true, TLS_VERSION_TLSV1_2, "AES128-SHA", -1, TLS_PFS_NO, CERT_NONE,
	    NULL, NULL, "h.test", true, "192.0.2.10", 4, NULL, false, NULL}},
	{"cipher without version", "h.test", "192.0.2.10",
	    {CONNECT(none), HELO(cipher_only)},
	    {true, true, TLS_VERSION_UNKNOWN, "ECDHE-RSA-AES256-SHA", -1, TLS_PFS_YES,
	    CERT_NONE, NULL, NULL, "h.test", true, "192.0.2.10", 4, NULL, false, NULL}},
	{"empty tls macros are plaintext", "h.test", "192.0.2.10",
	    {CONNECT(none), HELO(empty_tls)},
	    {true, false, TLS_VERSION_NONE, NULL, -1, TLS_PFS_NO, CERT_NONE,
	    NULL, NULL, "h.test", true, "192.0.2.10", 4, NULL, false, NULL}},
	{"sendmail verify OK, full DNs decoded", "client.partner.test", "192.0.2.20",
	    {CONNECT(sm_connect_ok), HELO(sm_verify_ok), MAIL(sm_mail)},
	    {true, true, TLS_VERSION_TLSV1_3, "TLS_AES_256_GCM_SHA384", 256, TLS_PFS_YES,
	    CERT_VERIFIED, "/C=DE/O=Partner Test Org/CN=client.partner.test",
	    "/C=DE/O=Partner Test Org/CN=Partner Root CA", "client.partner.test", true,
	    "192.0.2.20", 4, "r8ABCDEF012345", false, "mx.example.org"}},
	{"sendmail verify FAIL keeps the DNs", "client.partner.test", "192.0.2.20",
	    {CONNECT(sm_connect_ok), HELO(sm_verify_fail)},
	    {true, true, TLS_VERSION_TLSV1_2, "ECDHE-RSA-AES256-GCM-SHA384", 256, TLS_PFS_YES,
	    CERT_UNVERIFIED, "/C=DE/O=Evil Org/CN=client.partner.test", "/CN=Self+Signed",
	    "client.partner.test", true, "192.0.2.20", 4, NULL, false, "mx.example.org"}},
	{"sendmail verify NO, empty DNs", "client.partner.test", "192.0.2.20",
	    {CONNECT(sm_connect_ok), HELO(sm_verify_no)},
	    {true, true, TLS_VERSION_TLSV1_2, "ECDHE-RSA-AES256-GCM-SHA384", 256, TLS_PFS_YES,
	    CERT_NONE, NULL, NULL, "client.partner.test", true, "192.0.2.20", 4, NULL, false,
	    "mx.example.org"}},
	{"sendmail verify OK without a subject", "client.partner.test", "192.0.2.20",
	    {CONNECT(sm_connect_ok), HELO(sm_verify_ok_no_cert)},
	    {true, true, TLS_VERSION_TLSV1_2, "ECDHE-RSA-AES256-GCM-SHA384", -1, TLS_PFS_YES,
	    CERT_VERIFIED, NULL, NULL, "client.partner.test", true, "192.0.2.20", 4, NULL,
	    false, "mx.example.org"}},
	{"sendmail DN without verify is unverified", "client.partner.test", "192.0.2.20",
	    {CONNECT(sm_connect_ok), HELO(sm_no_verify_macro)},
	    {true, true, TLS_VERSION_TLSV1_2, "ECDHE-RSA-AES256-GCM-SHA384", -1, TLS_PFS_YES,
	    CERT_UNVERIFIED, "/C=DE/CN=client.partner.test", NULL, "client.partner.test",
	    true, "192.0.2.20", 4, NULL, false, "mx.example.org"}},
	{"sendmail TLSv1/SSLv3", "client.partner.test", "192.0.2.20",
	    {CONNECT(sm_connect_ok), HELO(sm_old_version)},
	    {true, true, TLS_VERSION_UNKNOWN, "DHE-RSA-AES256-SHA", 256, TLS_PFS_YES,
	    CERT_NONE, NULL, NULL, "client.partner.test", true, "192.0.2.20", 4, NULL, false,
	    "mx.example.org"}},
	{"sendmail client_resolve FORGED", "client.partner.test", "192.0.2.21",
	    {CONNECT(sm_connect_forged), HELO(pf_helo_plain)},
	    {true, false, TLS_VERSION_NONE, NULL, -1, TLS_PFS_NO, CERT_NONE, NULL, NULL,
	    "client.partner.test", false, "192.0.2.21", 4, NULL, false, "mx.example.org"}},
	{"sendmail '_' says may be forged", "client.partner.test", "192.0.2.22",
	    {CONNECT(sm_connect_maybe_forged), HELO(pf_helo_plain)},
	    {true, false, TLS_VERSION_NONE, NULL, -1, TLS_PFS_NO, CERT_NONE, NULL, NULL,
	    "client.partner.test", false, "192.0.2.22", 4, NULL, false, "mx.example.org"}},
};

static struct cipher_table *table;

/* table_setup - build the cipher table the sessions classify with */
static void
table_setup(void)
{
	char err[256] = "";

	table = cipher_table_new(err, sizeof(err));
	ck_assert_msg(table != NULL, "cipher_table_new: got NULL (%s), want a table", err);
}

/* table_teardown - release the cipher table */
static void
table_teardown(void)
{
	cipher_table_free(table);
	table = NULL;
}

/* str_same - equal strings, or both NULL */
static bool
str_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

#define S(x) ((x) != NULL ? (x) : "NULL")

/* check_string - one string fact against its expected value */
static void
check_string(const char *label, const char *what, const char *got, const char *want)
{
	ck_assert_msg(str_same(got, want), "%s: %s got \"%s\", want \"%s\"", label, what,
	    S(got), S(want));
}

/* check_facts - every fact of a session against the case */
static void
check_facts(const char *label, const struct session_facts *f, const struct want *w)
{
	int family = w->family == 4 ? AF_INET : w->family == 6 ? AF_INET6 : 0;

	ck_assert_msg(f->macros_seen == w->macros_seen, "%s: macros_seen got %d, want %d",
	    label, f->macros_seen, w->macros_seen);
	ck_assert_msg(f->tls == w->tls, "%s: tls got %d, want %d", label, f->tls, w->tls);
	ck_assert_msg(f->tls_version == w->version, "%s: version got %s, want %s", label,
	    tls_version_name(f->tls_version), tls_version_name(w->version));
	check_string(label, "cipher", f->cipher, w->cipher);
	ck_assert_msg(f->cipher_bits == w->bits, "%s: bits got %d, want %d", label,
	    f->cipher_bits, w->bits);
	ck_assert_msg(f->cipher_class.pfs == w->pfs, "%s: pfs got %s, want %s", label,
	    tls_pfs_name(f->cipher_class.pfs), tls_pfs_name(w->pfs));
	ck_assert_msg(f->cert == w->cert, "%s: cert got %s, want %s", label,
	    cert_status_name(f->cert), cert_status_name(w->cert));
	check_string(label, "cert_subject", f->cert_subject, w->subject);
	check_string(label, "cert_issuer", f->cert_issuer, w->issuer);
	check_string(label, "client_name", f->client_name, w->client_name);
	ck_assert_msg(f->client_name_verified == w->verified, "%s: verified got %d, want %d",
	    label, f->client_name_verified, w->verified);
	check_string(label, "client_ip", f->client_ip, w->client_ip);
	ck_assert_msg(f->client_addr.family == family, "%s: family got %d, want %d",
	    label, f->client_addr.family, family);
	check_string(label, "queue_id", f->queue_id, w->queue_id);
	ck_assert_msg(f->authenticated == w->authenticated, "%s: authenticated got %d, want %d",
	    label, f->authenticated, w->authenticated);
	check_string(label, "mta_name", f->mta_name, w->mta_name);
}

START_TEST(test_session)
{
	const struct session_case *c = &session_cases[_i];
	struct session_facts facts;
	size_t i;

	facts_init(&facts);
	if (c->hostname != NULL)
		facts_set_client(&facts, c->hostname, c->ip);
	for (i = 0; i < sizeof(c->steps) / sizeof(c->steps[0]) && c->steps[i].macros != NULL;
	    i++) {
		if (c->steps[i].stage == FACTS_STAGE_MAIL)
			facts_reset_message(&facts);
		facts_update(&facts, c->steps[i].stage, fake_get, (void *)c->steps[i].macros,
		    table);
		/* As the milter does before it logs a decision at this stage. */
		facts_update_queue_id(&facts, fake_get, (void *)c->steps[i].macros);
	}
	check_facts(c->label, &facts, &c->want);
	facts_free(&facts);
	ck_assert_msg(facts.cipher == NULL && facts.client_name == NULL && !facts.macros_seen,
	    "%s: after facts_free got members left, want an empty session", c->label);
}
END_TEST

START_TEST(test_sticky_macros_seen)
{
	struct session_facts facts;

	facts_init(&facts);
	facts_update(&facts, FACTS_STAGE_CONNECT, fake_get, (void *)pf_connect, table);
	facts_update(&facts, FACTS_STAGE_MAIL, fake_get, (void *)none, table);
	ck_assert_msg(facts.macros_seen, "got macros_seen false after a later empty stage, want true");
	facts_update(&facts, FACTS_STAGE_EOM, NULL, NULL, table);
	ck_assert_msg(facts.macros_seen, "got macros_seen false after a NULL getter, want true");
	facts_free(&facts);
}
END_TEST

START_TEST(test_mail_resets_authenticated)
{
	struct session_facts facts;

	facts_init(&facts);
	facts_update(&facts, FACTS_STAGE_MAIL, fake_get, (void *)pf_mail_auth, table);
	ck_assert_msg(facts.authenticated, "first MAIL: got unauthenticated, want authenticated");
	facts_reset_message(&facts);
	facts_update(&facts, FACTS_STAGE_MAIL, fake_get, (void *)pf_mail_plain, table);
	ck_assert_msg(!facts.authenticated, "second MAIL: got authenticated, want not");
	facts_free(&facts);
}
END_TEST

/* ------------------------------------------------------------ MAIL after HELO */

static const struct macro tls13_other_cert[] = {
	{"{tls_version}", "TLSv1.3"}, {"{cipher}", "TLS_AES_256_GCM_SHA384"},
	{"{cipher_bits}", "128"}, {"{cert_subject}", "other.test"},
	{"{cert_issuer}", "Other CA"}, END,
};
static const struct macro tls13_chacha[] = {
	{"{tls_version}", "TLSv1.3"}, {"{cipher}", "TLS_CHACHA20_POLY1305_SHA256"},
	{"{cipher_bits}", "256"}, END,
};
static const struct macro tls12_verify_at_mail[] = {
	{"{tls_version}", "TLSv1.2"}, {"{cipher}", "ECDHE-RSA-AES256-GCM-SHA384"},
	{"{cipher_bits}", "256"}, {"{verify}", "OK"},
	{"{cert_subject}", "/C=DE/CN=client.partner.test"}, END,
};
static const struct macro tls12_no_cert[] = {
	{"{tls_version}", "TLSv1.2"}, {"{cipher}", "ECDHE-RSA-AES256-GCM-SHA384"},
	{"{cipher_bits}", "256"}, END,
};

/* A fake MTA that also records the names asked for. */
struct asking {
	const struct macro *macros;
	bool asked_cert;
	bool asked_queue_id;
};

/* asking_get - fake_get(), noting lookups of certificate macros and of i */
static const char *
asking_get(void *context, const char *name)
{
	struct asking *asking = context;

	if (strncmp(name, "{cert_", 6) == 0 || strcmp(name, "{verify}") == 0)
		asking->asked_cert = true;
	if (strcmp(name, "i") == 0 || strcmp(name, "{i}") == 0)
		asking->asked_queue_id = true;
	return fake_get((void *)asking->macros, name);
}

/* replay_helo_mail - one HELO and one MAIL; whether MAIL asked for the certificate */
static bool
replay_helo_mail(struct session_facts *facts, bool same_lists, const struct macro *helo,
    const struct macro *mail)
{
	struct asking asking = {helo, false, false};

	facts_init(facts);
	facts->same_tls_lists = same_lists;
	facts_update(facts, FACTS_STAGE_HELO, asking_get, &asking, table);
	asking.macros = mail;
	asking.asked_cert = false;
	facts_reset_message(facts);
	facts_update(facts, FACTS_STAGE_MAIL, asking_get, &asking, table);
	return asking.asked_cert;
}

START_TEST(test_mail_same_handshake)
{
	struct session_facts facts;
	bool asked = replay_helo_mail(&facts, true, pf_tls13_cert, tls13_other_cert);

	ck_assert_msg(!asked, "same lists, same version and cipher: got the certificate "
	    "macros read again at MAIL, want HELO's kept");
	check_string("same handshake", "cert_subject", facts.cert_subject, "client.partner.test");
	ck_assert_msg(facts.cipher_bits == 256, "same handshake: bits got %d, want 256",
	    facts.cipher_bits);
	facts_free(&facts);
}
END_TEST

START_TEST(test_mail_other_cipher)
{
	struct session_facts facts;
	bool asked = replay_helo_mail(&facts, true, pf_tls13_cert, tls13_chacha);

	ck_assert_msg(asked, "another cipher at MAIL: got the certificate not read, want read");
	check_string("other cipher", "cipher", facts.cipher, "TLS_CHACHA20_POLY1305_SHA256");
	ck_assert_msg(facts.cert == CERT_NONE, "other cipher: cert got %s, want none",
	    cert_status_name(facts.cert));
	facts_free(&facts);
}
END_TEST

START_TEST(test_mail_tls_after_plain_helo)
{
	struct session_facts facts;

	replay_helo_mail(&facts, true, pf_helo_plain, pf_mail_tls);
	ck_assert_msg(facts.tls && facts.tls_version == TLS_VERSION_TLSV1_2,
	    "STARTTLS without a second EHLO: got tls=%d %s, want TLSv1.2", facts.tls,
	    tls_version_name(facts.tls_version));
	ck_assert_msg(facts.cipher_bits == 256, "tls at MAIL: bits got %d, want 256",
	    facts.cipher_bits);
	facts_free(&facts);
}
END_TEST

START_TEST(test_mail_rereads_without_lists)
{
	struct session_facts facts;
	bool asked = replay_helo_mail(&facts, false, tls12_no_cert, tls12_verify_at_mail);

	ck_assert_msg(asked, "MTA with its own lists: got MAIL's certificate not read, want read");
	ck_assert_msg(facts.cert == CERT_VERIFIED, "{verify} at MAIL only: cert got %s, "
	    "want verified", cert_status_name(facts.cert));
	facts_free(&facts);
}
END_TEST

START_TEST(test_queue_id_only_when_asked)
{
	static const enum facts_stage stages[] = {FACTS_STAGE_HELO, FACTS_STAGE_MAIL,
		FACTS_STAGE_RCPT, FACTS_STAGE_EOM};
	struct asking asking = {pf_connect, false, false};
	struct session_facts facts;
	size_t i;

	/* CONNECT's macros end the "any macro at all" probe, which may ask for i. */
	facts_init(&facts);
	facts_update(&facts, FACTS_STAGE_CONNECT, asking_get, &asking, table);
	asking.macros = sm_mail;
	asking.asked_queue_id = false;
	for (i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		facts_update(&facts, stages[i], asking_get, &asking, table);
	ck_assert_msg(!asking.asked_queue_id && facts.queue_id == NULL, "facts_update(): got "
	    "the queue ID read, want it left to facts_update_queue_id()");
	facts_update_queue_id(&facts, asking_get, &asking);
	check_string("queue id", "queue_id", facts.queue_id, "r8ABCDEF012345");
	asking.macros = none;
	facts_update_queue_id(&facts, asking_get, &asking);
	check_string("queue id gone later", "queue_id", facts.queue_id, "r8ABCDEF012345");
	facts_free(&facts);
}
END_TEST

/* list_has - whether the space-separated list names macro */
static bool
list_has(const char *list, const char *macro, size_t len)
{
	const char *p = list;

	while ((p = strstr(p, macro)) != NULL) {
		if ((p == list || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
			return true;
		p++;
	}
	return false;
}

START_TEST(test_lists_same_tls_macros)
{
	const char *helo = CALLBACKS_HELO_MACROS, *p = helo;
	char macro[64];
	size_t len;

	/* facts_same_handshake() rests on this: what HELO gets, MAIL gets. */
	while (*p != '\0') {
		len = strcspn(p, " ");
		ck_assert_msg(len > 0 && len < sizeof(macro), "bad HELO list \"%s\"", helo);
		memcpy(macro, p, len);
		macro[len] = '\0';
		ck_assert_msg(list_has(CALLBACKS_MAIL_MACROS, macro, len), "HELO asks for %s, "
		    "MAIL does not: got lists that differ, want the same TLS macros", macro);
		p += len;
		p += strspn(p, " ");
	}
}
END_TEST

START_TEST(test_classify_without_table)
{
	struct session_facts facts;

	facts_init(&facts);
	facts_update(&facts, FACTS_STAGE_HELO, fake_get, (void *)pf_tls12_rsa, NULL);
	ck_assert_msg(facts.tls && facts.cipher_class.pfs == TLS_PFS_UNKNOWN,
	    "no table: got tls %d pfs %s, want tls and unknown", facts.tls,
	    tls_pfs_name(facts.cipher_class.pfs));
	facts_free(&facts);
	facts_free(NULL);
}
END_TEST

/* ------------------------------------------------------------ addresses */

static const struct {
	const char *input;
	const char *sender;
	const char *domain;
} sender_cases[] = {
	{"<alice@partner.test>", "alice@partner.test", "partner.test"},
	{"alice@partner.test", "alice@partner.test", "partner.test"},
	{"<>", "", NULL},
	{"", "", NULL},
	{"<<a@b.test>>", "<a@b.test>", "b.test>"},
	{"<postmaster>", "postmaster", NULL},
	{"<\"a@b\"@c.test>", "\"a@b\"@c.test", "c.test"},
	{"<user@>", "user@", NULL},
	{NULL, NULL, NULL},
};

START_TEST(test_sender)
{
	struct session_facts facts;
	const char *domain;

	facts_init(&facts);
	facts_set_sender(&facts, "<old@example.org>");
	facts_set_sender(&facts, sender_cases[_i].input);
	check_string(S(sender_cases[_i].input), "sender", facts.sender, sender_cases[_i].sender);
	domain = facts_domain(facts.sender);
	check_string(S(sender_cases[_i].input), "domain", domain, sender_cases[_i].domain);
	facts_free(&facts);
}
END_TEST

START_TEST(test_helo)
{
	struct session_facts facts;

	facts_init(&facts);
	facts_set_helo(&facts, "first.example");
	facts_set_helo(&facts, "second.example");
	check_string("helo", "helo", facts.helo, "second.example");
	facts_set_helo(&facts, NULL);
	check_string("helo", "helo", facts.helo, NULL);
	facts_free(&facts);
}
END_TEST

/* ------------------------------------------------------------ cert names */

static const struct {
	const char *wanted;
	const char *actual;
	bool want;
} cert_cases[] = {
	/* CN against Postfix's CN-only value */
	{"client.partner.test", "client.partner.test", true},
	{"Client.Partner.TEST", "client.partner.test", true},
	{"client.partner.test", "other.partner.test", false},
	{"client.partner.test", "client.partner.test.evil", false},
	{"partner.test", "client.partner.test", false},
	/* CN against Sendmail's full DN */
	{"client.partner.test", "/C=DE/O=Partner Test Org/CN=client.partner.test", true},
	{"client.partner.test", "/C=DE/O=client.partner.test/CN=evil.test", false},
	{"client.partner.test", "/CN=first.test/CN=client.partner.test", true},
	{"first.test", "/CN=first.test/CN=client.partner.test", false},
	{"client.partner.test", "CN=client.partner.test,O=Partner,C=DE", true},
	{"client.partner.test", "/C=DE/O=Partner", false},
	{"Partner Root CA", "/C=DE/O=Partner Test Org/CN=Partner Root CA", true},
	/* DN against DN, either separator and either order */
	{"/C=DE/O=Partner Test Org/CN=client.partner.test",
	    "/C=DE/O=Partner Test Org/CN=client.partner.test", true},
	{"/c=de/o=partner test org/cn=CLIENT.partner.test",
	    "/C=DE/O=Partner Test Org/CN=client.partner.test", true},
	{"C=DE, O=Partner Test Org, CN=client.partner.test",
	    "/C=DE/O=Partner Test Org/CN=client.partner.test", true},
	{"C = DE, O = Partner Test Org, CN = client.partner.test",
	    "/C=DE/O=Partner Test Org/CN=client.partner.test", true},
	{"CN=client.partner.test,O=Partner Test Org,C=DE",
	    "/C=DE/O=Partner Test Org/CN=client.partner.test", true},
	{"/C=DE/O=Partner Test Org/CN=client.partner.test",
	    "CN=client.partner.test,O=Partner Test Org,C=DE", true},
	{"/C=DE/O=Partner Test Org/CN=client.partner.test",
	    "/C=DE/O=Evil Org/CN=client.partner.test", false},
	{"/C=DE/CN=client.partner.test",
	    "/C=DE/O=Partner Test Org/CN=client.partner.test", false},
	{"/C=DE/O=Partner/CN=x", "/O=Partner/C=DE/CN=x", false},
	{"/O=A/B Org/CN=x", "/O=A/B Org/CN=x", true},
	{"CN=x,O=A\\, B", "/O=A, B/CN=x", true},
	{"/O=A, B/CN=x", "CN=x,O=A\\, B", true},
	/* DN against a CN-only value */
	{"CN=client.partner.test", "client.partner.test", true},
	{"/CN=client.partner.test", "client.partner.test", true},
	{"/O=Partner/CN=client.partner.test", "client.partner.test", false},
	/* degenerate input */
	{"client.partner.test", NULL, false},
	{"client.partner.test", "", false},
	{NULL, "anything", true},
	{"=", "/CN=x", false},
	{"/=x", "/=x", false},
};

START_TEST(test_cert_name)
{
	bool got = cert_name_matches(cert_cases[_i].wanted, cert_cases[_i].actual);

	ck_assert_msg(got == cert_cases[_i].want, "match(%s, %s): got %d, want %d",
	    S(cert_cases[_i].wanted), S(cert_cases[_i].actual), got, cert_cases[_i].want);
}
END_TEST

static const struct {
	const char *input;
	const char *want;
} xtext_cases[] = {
	{"/C=DE/O=Partner+20Test+20Org/CN=x", "/C=DE/O=Partner Test Org/CN=x"},
	{"a+2Bb", "a+b"},
	{"a+2bb", "a+b"},
	{"plain", "plain"},
	{"+", "+"},
	{"a+2", "a+2"},
	{"a+zz", "a+zz"},
	{"a+00b", "a+00b"},
	{"+0D+0A", "\r\n"},
	{"", ""},
};

START_TEST(test_xtext)
{
	char *got = cert_xtext_decode(xtext_cases[_i].input);

	ck_assert_msg(got != NULL && strcmp(got, xtext_cases[_i].want) == 0,
	    "decode(%s): got \"%s\", want \"%s\"", xtext_cases[_i].input, S(got),
	    xtext_cases[_i].want);
	free(got);
	ck_assert_msg(cert_xtext_decode(NULL) == NULL, "decode(NULL): got non-NULL, want NULL");
}
END_TEST

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* unit_suite - sessions, addresses and certificate names */
Suite *
unit_suite(void)
{
	Suite *suite = suite_create("facts");
	TCase *sessions = tcase_create("sessions");
	TCase *addresses = tcase_create("addresses");
	TCase *cert = tcase_create("cert");

	tcase_add_checked_fixture(sessions, table_setup, table_teardown);
	tcase_add_loop_test(sessions, test_session, 0, COUNT(session_cases));
	tcase_add_test(sessions, test_sticky_macros_seen);
	tcase_add_test(sessions, test_mail_resets_authenticated);
	tcase_add_test(sessions, test_classify_without_table);
	tcase_add_test(sessions, test_mail_same_handshake);
	tcase_add_test(sessions, test_mail_other_cipher);
	tcase_add_test(sessions, test_mail_tls_after_plain_helo);
	tcase_add_test(sessions, test_mail_rereads_without_lists);
	tcase_add_test(sessions, test_lists_same_tls_macros);
	tcase_add_test(sessions, test_queue_id_only_when_asked);
	suite_add_tcase(suite, sessions);

	tcase_add_loop_test(addresses, test_sender, 0, COUNT(sender_cases));
	tcase_add_test(addresses, test_helo);
	suite_add_tcase(suite, addresses);

	tcase_add_loop_test(cert, test_cert_name, 0, COUNT(cert_cases));
	tcase_add_loop_test(cert, test_xtext, 0, COUNT(xtext_cases));
	suite_add_tcase(suite, cert);
	return suite;
}
