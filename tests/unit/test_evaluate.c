/*
 * test_evaluate.c - verdicts for sessions against policies loaded from
 * YAML text with policy_load_buffer().
 *
 * Each case names a policy, the session (sender, recipient, client,
 * one TLS profile, certificate, authentication) and the whole verdict
 * it must produce: result, partner, selector and pattern, reasons,
 * action, effective action and testing flag.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "facts.h"
#include "policy.h"
#include "tls.h"
#include "unit.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char policy_main[] =
    "version: 1\n"
    "settings:\n"
    "  mode: enforce\n"
    "  authserv_id: mx.example.org\n"
    "exempt:\n"
    "  client_ips: [127.0.0.0/8, \"2001:db8:ffff::/48\"]\n"
    "  authenticated: true\n"
    "defaults:\n"
    "  require: { tls: true }\n"
    "  action: tag\n"
    "partners:\n"
    "  - name: yandex\n"
    "    match:\n"
    "      sender_domains: [yandex.ru, \"*.yandex.ru\"]\n"
    "      client_hosts: [\"*.mail.yandex.net\"]\n"
    "    require: { tls: true, min_version: TLSv1.2, pfs: true }\n"
    "    action: reject\n"
    "  - name: bank\n"
    "    match:\n"
    "      sender_domains: [bank.test]\n"
    "      client_ips: [192.0.2.0/24]\n"
    "    require:\n"
    "      min_version: TLSv1.3\n"
    "      min_cipher_bits: 256\n"
    "      client_cert:\n"
    "        issuer: Bank CA\n"
    "        subject: /C=DE/O=Bank/CN=mx.bank.test\n"
    "    action: defer\n"
    "  - name: soft\n"
    "    mode: testing\n"
    "    match: { sender_domains: [soft.test] }\n"
    "    require: { tls: true }\n"
    "    action: quarantine\n"
    "  - name: tagger\n"
    "    match: { sender_domains: [tagger.test] }\n"
    "    require: { pfs: true }\n"
    "    action: tag\n"
    "  - name: quar\n"
    "    match: { sender_domains: [quar.test] }\n"
    "    require: { tls: true }\n"
    "    action: quarantine\n"
    "  - name: hosts\n"
    "    match:\n"
    "      client_hosts: [mx.hosts.test]\n"
    "      client_ips: [\"2001:db8::/32\"]\n"
    "    require: { tls: true }\n"
    "    action: reject\n"
    "  - name: protected\n"
    "    match:\n"
    "      recipient_domains: [protected.test, \"*.protected.test\"]\n"
    "    require: { min_version: TLSv1.3 }\n"
    "    action: reject\n"
    "  - name: late\n"
    "    match:\n"
    "      sender_domains: [late.test]\n"
    "      client_ips: [192.0.2.0/24]\n"
    "    require: { tls: true }\n"
    "    action: reject\n"
    "  - name: anycert\n"
    "    match: { sender_domains: [anycert.test] }\n"
    "    require:\n"
    "      client_cert: { verified: false }\n"
    "    action: reject\n";

static const char policy_testing[] =
    "version: 1\n"
    "settings:\n"
    "  mode: testing\n"
    "  on_missing_macros: accept\n"
    "exempt:\n"
    "  authenticated: false\n"
    "partners:\n"
    "  - name: strict\n"
    "    mode: enforce\n"
    "    match: { sender_domains: [strict.test] }\n"
    "    require: { tls: true }\n"
    "    action: reject\n"
    "  - name: lax\n"
    "    match: { sender_domains: [lax.test] }\n"
    "    require: { tls: true }\n"
    "    action: reject\n"
    "  - name: laxdefer\n"
    "    match: { sender_domains: [laxdefer.test] }\n"
    "    require: { tls: true }\n"
    "    action: defer\n"
    "  - name: laxtag\n"
    "    match: { sender_domains: [laxtag.test] }\n"
    "    require: { tls: true }\n"
    "    action: tag\n";

enum { P_MAIN, P_TESTING, P_COUNT };

static struct policy *policies[P_COUNT];
static struct cipher_table *table;

/* load_one - load one YAML policy, failing the test on any error */
static void
load_one(int which, const char *name, const char *text)
{
	struct policy_diag diag;
	size_t i;

	policy_diag_init(&diag);
	policies[which] = policy_load_buffer(name, text, strlen(text), &diag);
	for (i = 0; i < diag.count; i++)
		if (!diag.entries[i].warning)
			fprintf(stderr, "%s\n", diag.entries[i].text);
	ck_assert_msg(policies[which] != NULL && diag.errors == 0,
	    "load %s: got %zu errors, want none", name, diag.errors);
	policy_diag_free(&diag);
}

/* fixture_setup - the cipher table and both policies */
static void
fixture_setup(void)
{
	char err[256] = "";

	table = cipher_table_new(err, sizeof(err));
	ck_assert_msg(table != NULL, "cipher_table_new: got NULL (%s)", err);
	load_one(P_MAIN, "main.yaml", policy_main);
	load_one(P_TESTING, "testing.yaml", policy_testing);
}

/* fixture_teardown - release the policies and the table */
static void
fixture_teardown(void)
{
	int i;

	for (i = 0; i < P_COUNT; i++) {
		policy_unref(policies[i]);
		policies[i] = NULL;
	}
	cipher_table_free(table);
	table = NULL;
}

/* ------------------------------------------------------------ sessions */

enum profile {
	T_PLAIN,
	T_TLS12_RSA,		/* AES256-GCM-SHA384, 256 */
	T_TLS12_RSA128,		/* AES128-GCM-SHA256, 128 */
	T_TLS12_ECDHE,		/* ECDHE-RSA-AES256-GCM-SHA384, 256 */
	T_TLS11_ECDHE,		/* ECDHE-RSA-AES256-SHA, 256 */
	T_TLS13,		/* TLS_AES_256_GCM_SHA384, 256 */
	T_TLS13_128,		/* TLS_AES_128_GCM_SHA256, 128 */
	T_OLD_SENDMAIL,		/* TLSv1/SSLv3 DHE-RSA-AES256-SHA */
	T_UNKNOWN_CIPHER,	/* TLSv1.2 FOO-BAR, no bits */
};

static const struct {
	const char *version;
	const char *cipher;
	int bits;
} profiles[] = {
	[T_PLAIN] = {NULL, NULL, -1},
	[T_TLS12_RSA] = {"TLSv1.2", "AES256-GCM-SHA384", 256},
	[T_TLS12_RSA128] = {"TLSv1.2", "AES128-GCM-SHA256", 128},
	[T_TLS12_ECDHE] = {"TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", 256},
	[T_TLS11_ECDHE] = {"TLSv1.1", "ECDHE-RSA-AES256-SHA", 256},
	[T_TLS13] = {"TLSv1.3", "TLS_AES_256_GCM_SHA384", 256},
	[T_TLS13_128] = {"TLSv1.3", "TLS_AES_128_GCM_SHA256", 128},
	[T_OLD_SENDMAIL] = {"TLSv1/SSLv3", "DHE-RSA-AES256-SHA", 256},
	[T_UNKNOWN_CIPHER] = {"TLSv1.2", "FOO-BAR", -1},
};

#define BANK_SUBJECT	"/C=DE/O=Bank/CN=mx.bank.test"
#define BANK_ISSUER	"/C=DE/O=Bank/CN=Bank CA"

struct session {
	const char *sender;
	const char *rcpt;		/* NULL: judge at MAIL */
	const char *host;
	bool verified;
	const char *ip;
	enum profile tls;
	enum cert_status cert;
	const char *subject;
	const char *issuer;
	bool auth;
	bool no_macros;
};

struct expect {
	enum verdict_result result;
	const char *partner;		/* NULL: defaults */
	enum policy_selector selector;
	const char *pattern;
	unsigned reasons;
	enum policy_action action;
	enum policy_action effective;
	bool testing;
};

struct eval_case {
	const char *label;
	int policy;
	struct session s;
	struct expect e;
};

#define PASS_AT(partner, sel, pat) \
	{VERDICT_PASS, partner, sel, pat, 0, POLICY_ACTION_ACCEPT, POLICY_ACTION_ACCEPT, false}
#define FAIL_AT(partner, sel, pat, reasons, action) \
	{VERDICT_FAIL, partner, sel, pat, reasons, action, action, false}

#define SD POLICY_SELECTOR_SENDER_DOMAIN
#define CH POLICY_SELECTOR_CLIENT_HOST
#define CI POLICY_SELECTOR_CLIENT_IP
#define RD POLICY_SELECTOR_RECIPIENT_DOMAIN
#define NONE_SEL POLICY_SELECTOR_NONE

#define A_TAG POLICY_ACTION_TAG
#define A_QUAR POLICY_ACTION_QUARANTINE
#define A_DEFER POLICY_ACTION_DEFER
#define A_REJECT POLICY_ACTION_REJECT

#define CLIENT_OTHER "relay.other.test", true, "198.51.100.9"
#define CLIENT_BANK "mx.bank.test", true, "192.0.2.5"

static const struct eval_case eval_cases[] = {
	/* requirements and reasons for one partner */
	{"yandex plaintext", P_MAIN,
	    {"a@yandex.ru", NULL, CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL, false, false},
	    FAIL_AT("yandex", SD, "yandex.ru", REASON_NO_TLS, A_REJECT)},
	{"yandex subdomain wildcard", P_MAIN,
	    {"a@mx.yandex.ru", NULL, CLIENT_OTHER, T_TLS12_RSA, CERT_NONE, NULL, NULL, false,
	    false},
	    FAIL_AT("yandex", SD, "*.yandex.ru", REASON_NO_PFS, A_REJECT)},
	{"yandex domain case and trailing dot", P_MAIN,
	    {"Alice@YANDEX.RU.", NULL, CLIENT_OTHER, T_TLS12_RSA, CERT_NONE, NULL, NULL, false,
	    false},
	    FAIL_AT("yandex", SD, "yandex.ru", REASON_NO_PFS, A_REJECT)},
	{"wildcard does not match a look-alike", P_MAIN,
	    {"a@evilyandex.ru", NULL, CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL, false,
	    false},
	    FAIL_AT(NULL, NONE_SEL, NULL, REASON_NO_TLS, A_TAG)},
	{"yandex tls1.2 rsa: no pfs", P_MAIN,
	    {"a@yandex.ru", NULL, CLIENT_OTHER, T_TLS12_RSA, CERT_NONE, NULL, NULL, false,
	    false},
	    FAIL_AT("yandex", SD, "yandex.ru", REASON_NO_PFS, A_REJECT)},
	{"yandex tls1.2 ecdhe passes", P_MAIN,
	    {"a@yandex.ru", NULL, CLIENT_OTHER, T_TLS12_ECDHE, CERT_NONE, NULL, NULL, false,
	    false},
	    PASS_AT("yandex", SD, "yandex.ru")},
	{"yandex tls1.3 passes", P_MAIN,
	    {"a@yandex.ru", NULL, CLIENT_OTHER, T_TLS13, CERT_NONE, NULL, NULL, false, false},
	    PASS_AT("yandex", SD, "yandex.ru")},
	{"yandex tls1.1: version too old", P_MAIN,
	    {"a@yandex.ru", NULL, CLIENT_OTHER, T_TLS11_ECDHE, CERT_NONE, NULL, NULL, false,
	    false},
	    FAIL_AT("yandex", SD, "yandex.ru", REASON_VERSION_TOO_OLD, A_REJECT)},
	{"yandex TLSv1/SSLv3: unknown version", P_MAIN,
	    {"a@yandex.ru", NULL, CLIENT_OTHER, T_OLD_SENDMAIL, CERT_NONE, NULL, NULL, false,
	    false},
	    FAIL_AT("yandex", SD, "yandex.ru", REASON_UNKNOWN_VERSION, A_REJECT)},
	{"yandex unknown cipher", P_MAIN,
	    {"a@yandex.ru", NULL, CLIENT_OTHER, T_UNKNOWN_CIPHER, CERT_NONE, NULL, NULL, false,
	    false},
	    FAIL_AT("yandex", SD, "yandex.ru", REASON_UNKNOWN_CIPHER, A_REJECT)},

	/* client_hosts only when verified */
	{"client host verified", P_MAIN,
	    {"a@other.test", NULL, "mx1.mail.yandex.net", true, "198.51.100.20", T_TLS12_RSA,
	    CERT_NONE, NULL, NULL, false, false},
	    FAIL_AT("yandex", CH, "*.mail.yandex.net", REASON_NO_PFS, A_REJECT)},
	{"client host unverified is ignored", P_MAIN,
	    {"a@other.test", NULL, "mx1.mail.yandex.net", false, "198.51.100.20", T_PLAIN,
	    CERT_NONE, NULL, NULL, false, false},
	    FAIL_AT(NULL, NONE_SEL, NULL, REASON_NO_TLS, A_TAG)},
	{"client host exact, case and dot", P_MAIN,
	    {"a@other.test", NULL, "MX.Hosts.Test.", true, "198.51.100.21", T_PLAIN, CERT_NONE,
	    NULL, NULL, false, false},
	    FAIL_AT("hosts", CH, "mx.hosts.test", REASON_NO_TLS, A_REJECT)},
	{"client ip v6", P_MAIN,
	    {"a@other.test", NULL, "unknown", false, "2001:db8::25", T_PLAIN, CERT_NONE, NULL,
	    NULL, false, false},
	    FAIL_AT("hosts", CI, "2001:db8::/32", REASON_NO_TLS, A_REJECT)},

	/* certificates, bits, several reasons */
	{"bank all good", P_MAIN,
	    {"a@bank.test", NULL, CLIENT_OTHER, T_TLS13, CERT_VERIFIED, BANK_SUBJECT,
	    BANK_ISSUER, false, false},
	    PASS_AT("bank", SD, "bank.test")},
	{"bank no cert", P_MAIN,
	    {"a@bank.test", NULL, CLIENT_OTHER, T_TLS13, CERT_NONE, NULL, NULL, false, false},
	    FAIL_AT("bank", SD, "bank.test", REASON_NO_CLIENT_CERT, A_DEFER)},
	{"bank unverified cert", P_MAIN,
	    {"a@bank.test", NULL, CLIENT_OTHER, T_TLS13, CERT_UNVERIFIED, BANK_SUBJECT,
	    BANK_ISSUER, false, false},
	    FAIL_AT("bank", SD, "bank.test", REASON_CERT_UNVERIFIED, A_DEFER)},
	{"bank wrong subject", P_MAIN,
	    {"a@bank.test", NULL, CLIENT_OTHER, T_TLS13, CERT_VERIFIED,
	    "/C=DE/O=Evil/CN=mx.bank.test", BANK_ISSUER, false, false},
	    FAIL_AT("bank", SD, "bank.test", REASON_CERT_MISMATCH, A_DEFER)},
	{"bank wrong issuer", P_MAIN,
	    {"a@bank.test", NULL, CLIENT_OTHER, T_TLS13, CERT_VERIFIED, BANK_SUBJECT,
	    "/C=DE/O=Bank/CN=Other CA", false, false},
	    FAIL_AT("bank", SD, "bank.test", REASON_CERT_MISMATCH, A_DEFER)},
	{"bank postfix CN-only subject cannot match a DN", P_MAIN,
	    {"a@bank.test", NULL, CLIENT_OTHER, T_TLS13, CERT_VERIFIED, "mx.bank.test",
	    "Bank CA", false, false},
	    FAIL_AT("bank", SD, "bank.test", REASON_CERT_MISMATCH, A_DEFER)},
	{"bank weak cipher", P_MAIN,
	    {"a@bank.test", NULL, CLIENT_OTHER, T_TLS13_128, CERT_VERIFIED, BANK_SUBJECT,
	    BANK_ISSUER, false, false},
	    FAIL_AT("bank", SD, "bank.test", REASON_WEAK_CIPHER, A_DEFER)},
	{"bank tls1.2", P_MAIN,
	    {"a@bank.test", NULL, CLIENT_OTHER, T_TLS12_ECDHE, CERT_VERIFIED, BANK_SUBJECT,
	    BANK_ISSUER, false, false},
	    FAIL_AT("bank", SD, "bank.test", REASON_VERSION_TOO_OLD, A_DEFER)},
	{"bank every reason at once", P_MAIN,
	    {"a@bank.test", NULL, CLIENT_OTHER, T_TLS12_RSA128, CERT_NONE, NULL, NULL, false,
	    false},
	    FAIL_AT("bank", SD, "bank.test",
	    REASON_VERSION_TOO_OLD | REASON_WEAK_CIPHER | REASON_NO_CLIENT_CERT, A_DEFER)},
	{"bank unknown bits", P_MAIN,
	    {"a@bank.test", NULL, CLIENT_OTHER, T_UNKNOWN_CIPHER, CERT_VERIFIED, BANK_SUBJECT,
	    BANK_ISSUER, false, false},
	    FAIL_AT("bank", SD, "bank.test", REASON_VERSION_TOO_OLD | REASON_UNKNOWN_CIPHER,
	    A_DEFER)},
	{"bank plaintext: no-tls only", P_MAIN,
	    {"a@bank.test", NULL, CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL, false, false},
	    FAIL_AT("bank", SD, "bank.test", REASON_NO_TLS, A_DEFER)},
	{"bank by client ip", P_MAIN,
	    {"a@other.test", NULL, "unknown", false, "192.0.2.77", T_PLAIN, CERT_NONE, NULL,
	    NULL, false, false},
	    FAIL_AT("bank", CI, "192.0.2.0/24", REASON_NO_TLS, A_DEFER)},
	{"any cert, unverified is fine", P_MAIN,
	    {"a@anycert.test", NULL, CLIENT_OTHER, T_TLS12_RSA, CERT_UNVERIFIED, "x", "y",
	    false, false},
	    PASS_AT("anycert", SD, "anycert.test")},
	{"any cert, none", P_MAIN,
	    {"a@anycert.test", NULL, CLIENT_OTHER, T_TLS12_RSA, CERT_NONE, NULL, NULL, false,
	    false},
	    FAIL_AT("anycert", SD, "anycert.test", REASON_NO_CLIENT_CERT, A_REJECT)},

	/* actions and testing mode */
	{"tag action", P_MAIN,
	    {"a@tagger.test", NULL, CLIENT_OTHER, T_TLS12_RSA, CERT_NONE, NULL, NULL, false,
	    false},
	    FAIL_AT("tagger", SD, "tagger.test", REASON_NO_PFS, A_TAG)},
	{"quarantine action", P_MAIN,
	    {"a@quar.test", NULL, CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL, false, false},
	    FAIL_AT("quar", SD, "quar.test", REASON_NO_TLS, A_QUAR)},
	{"partner testing softens quarantine", P_MAIN,
	    {"a@soft.test", NULL, CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL, false, false},
	    {VERDICT_FAIL, "soft", SD, "soft.test", REASON_NO_TLS, A_QUAR, A_TAG, true}},
	{"partner testing, passing", P_MAIN,
	    {"a@soft.test", NULL, CLIENT_OTHER, T_TLS12_RSA, CERT_NONE, NULL, NULL, false,
	    false},
	    PASS_AT("soft", SD, "soft.test")},
	{"global testing softens reject", P_TESTING,
	    {"a@lax.test", NULL, CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL, false, false},
	    {VERDICT_FAIL, "lax", SD, "lax.test", REASON_NO_TLS, A_REJECT, A_TAG, true}},
	{"global testing softens defer", P_TESTING,
	    {"a@laxdefer.test", NULL, CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL, false,
	    false},
	    {VERDICT_FAIL, "laxdefer", SD, "laxdefer.test", REASON_NO_TLS, A_DEFER, A_TAG,
	    true}},
	{"global testing leaves tag alone", P_TESTING,
	    {"a@laxtag.test", NULL, CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL, false, false},
	    FAIL_AT("laxtag", SD, "laxtag.test", REASON_NO_TLS, A_TAG)},
	{"partner enforce overrides global testing", P_TESTING,
	    {"a@strict.test", NULL, CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL, false, false},
	    FAIL_AT("strict", SD, "strict.test", REASON_NO_TLS, A_REJECT)},
	{"defaults that require nothing pass", P_TESTING,
	    {"a@other.test", NULL, CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL, false, false},
	    PASS_AT(NULL, NONE_SEL, NULL)},

	/* defaults */
	{"non-partner plaintext tagged", P_MAIN,
	    {"a@other.test", NULL, CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL, false, false},
	    FAIL_AT(NULL, NONE_SEL, NULL, REASON_NO_TLS, A_TAG)},
	{"non-partner tls passes", P_MAIN,
	    {"a@other.test", NULL, CLIENT_OTHER, T_TLS12_RSA, CERT_NONE, NULL, NULL, false,
	    false},
	    PASS_AT(NULL, NONE_SEL, NULL)},
	{"null sender", P_MAIN,
	    {"<>", NULL, CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL, false, false},
	    FAIL_AT(NULL, NONE_SEL, NULL, REASON_NO_TLS, A_TAG)},
	{"recipient selectors are not used at MAIL", P_MAIN,
	    {"a@protected.test", NULL, CLIENT_OTHER, T_TLS12_RSA, CERT_NONE, NULL, NULL, false,
	    false},
	    PASS_AT(NULL, NONE_SEL, NULL)},

	/* precedence */
	{"first partner wins over a later ip", P_MAIN,
	    {"a@yandex.ru", NULL, "unknown", false, "192.0.2.5", T_TLS12_ECDHE, CERT_NONE, NULL,
	    NULL, false, false},
	    PASS_AT("yandex", SD, "yandex.ru")},
	{"earlier partner's ip wins over a later sender", P_MAIN,
	    {"a@late.test", NULL, "unknown", false, "192.0.2.5", T_PLAIN, CERT_NONE, NULL, NULL,
	    false, false},
	    FAIL_AT("bank", CI, "192.0.2.0/24", REASON_NO_TLS, A_DEFER)},
	{"late partner alone", P_MAIN,
	    {"a@late.test", NULL, CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL, false, false},
	    FAIL_AT("late", SD, "late.test", REASON_NO_TLS, A_REJECT)},
	{"sender before ip within one partner", P_MAIN,
	    {"a@bank.test", NULL, CLIENT_BANK, T_PLAIN, CERT_NONE, NULL, NULL, false, false},
	    FAIL_AT("bank", SD, "bank.test", REASON_NO_TLS, A_DEFER)},
	{"sender before host within one partner", P_MAIN,
	    {"a@yandex.ru", NULL, "mx1.mail.yandex.net", true, "198.51.100.20", T_PLAIN,
	    CERT_NONE, NULL, NULL, false, false},
	    FAIL_AT("yandex", SD, "yandex.ru", REASON_NO_TLS, A_REJECT)},

	/* exemptions and missing macros */
	{"exempt authenticated", P_MAIN,
	    {"a@yandex.ru", NULL, CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL, true, false},
	    {VERDICT_EXEMPT, NULL, POLICY_SELECTOR_EXEMPT_AUTH, NULL, 0, POLICY_ACTION_ACCEPT,
	    POLICY_ACTION_ACCEPT, false}},
	{"exempt ip v4", P_MAIN,
	    {"a@yandex.ru", NULL, "localhost", true, "127.0.0.1", T_PLAIN, CERT_NONE, NULL,
	    NULL, false, false},
	    {VERDICT_EXEMPT, NULL, POLICY_SELECTOR_EXEMPT_IP, "127.0.0.0/8", 0,
	    POLICY_ACTION_ACCEPT, POLICY_ACTION_ACCEPT, false}},
	{"exempt ip v6 before a partner's ip", P_MAIN,
	    {"a@other.test", NULL, "unknown", false, "2001:db8:ffff::1", T_PLAIN, CERT_NONE,
	    NULL, NULL, false, false},
	    {VERDICT_EXEMPT, NULL, POLICY_SELECTOR_EXEMPT_IP, "2001:db8:ffff::/48", 0,
	    POLICY_ACTION_ACCEPT, POLICY_ACTION_ACCEPT, false}},
	{"authenticated not exempt when told", P_TESTING,
	    {"a@strict.test", NULL, CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL, true, false},
	    FAIL_AT("strict", SD, "strict.test", REASON_NO_TLS, A_REJECT)},
	{"missing macros tempfail", P_MAIN,
	    {"a@yandex.ru", NULL, CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL, false, true},
	    {VERDICT_TEMPERROR, NULL, POLICY_SELECTOR_MISSING_MACROS, NULL,
	    REASON_MISSING_MACROS, A_DEFER, A_DEFER, false}},
	{"missing macros before exemption", P_MAIN,
	    {"a@yandex.ru", NULL, "localhost", true, "127.0.0.1", T_PLAIN, CERT_NONE, NULL,
	    NULL, true, true},
	    {VERDICT_TEMPERROR, NULL, POLICY_SELECTOR_MISSING_MACROS, NULL,
	    REASON_MISSING_MACROS, A_DEFER, A_DEFER, false}},
	{"missing macros accept, not softened", P_TESTING,
	    {"a@lax.test", NULL, CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL, false, true},
	    {VERDICT_TEMPERROR, NULL, POLICY_SELECTOR_MISSING_MACROS, NULL,
	    REASON_MISSING_MACROS, A_TAG, A_TAG, false}},

	/* recipient stage */
	{"rcpt protected, too old", P_MAIN,
	    {"a@yandex.ru", "<user@protected.test>", CLIENT_OTHER, T_TLS12_ECDHE, CERT_NONE,
	    NULL, NULL, false, false},
	    FAIL_AT("protected", RD, "protected.test", REASON_VERSION_TOO_OLD, A_REJECT)},
	{"rcpt protected subdomain", P_MAIN,
	    {"a@other.test", "user@Sub.Protected.Test", CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL,
	    NULL, false, false},
	    FAIL_AT("protected", RD, "*.protected.test", REASON_NO_TLS, A_REJECT)},
	{"rcpt protected passes", P_MAIN,
	    {"a@other.test", "user@protected.test", CLIENT_OTHER, T_TLS13, CERT_NONE, NULL,
	    NULL, false, false},
	    PASS_AT("protected", RD, "protected.test")},
	{"rcpt no recipient selector: keep the MAIL verdict", P_MAIN,
	    {"a@yandex.ru", "<user@example.org>", CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL,
	    false, false},
	    PASS_AT(NULL, NONE_SEL, NULL)},
	{"rcpt without a domain", P_MAIN,
	    {"a@yandex.ru", "<postmaster>", CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL, NULL,
	    false, false},
	    PASS_AT(NULL, NONE_SEL, NULL)},
	{"rcpt ignores sender and ip selectors", P_MAIN,
	    {"a@bank.test", "user@bank.test", CLIENT_BANK, T_PLAIN, CERT_NONE, NULL, NULL,
	    false, false},
	    PASS_AT(NULL, NONE_SEL, NULL)},
	{"rcpt exempt", P_MAIN,
	    {"a@other.test", "user@protected.test", CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL,
	    NULL, true, false},
	    {VERDICT_EXEMPT, NULL, POLICY_SELECTOR_EXEMPT_AUTH, NULL, 0, POLICY_ACTION_ACCEPT,
	    POLICY_ACTION_ACCEPT, false}},
	{"rcpt missing macros", P_MAIN,
	    {"a@other.test", "user@protected.test", CLIENT_OTHER, T_PLAIN, CERT_NONE, NULL,
	    NULL, false, true},
	    {VERDICT_TEMPERROR, NULL, POLICY_SELECTOR_MISSING_MACROS, NULL,
	    REASON_MISSING_MACROS, A_DEFER, A_DEFER, false}},
};

/* session_facts_build - the facts of one case, built as the milter would */
static void
session_facts_build(const struct session *s, struct session_facts *f)
{
	const char *version = profiles[s->tls].version;

	facts_init(f);
	f->macros_seen = !s->no_macros;
	facts_set_client(f, s->host, s->ip);
	f->client_name_verified = s->verified;
	facts_set_helo(f, "helo.example");
	facts_set_sender(f, s->sender);
	f->authenticated = s->auth;
	if (version != NULL) {
		f->tls = true;
		f->tls_version = tls_version_parse(version);
		f->tls_version_text = strdup(version);
		f->cipher = strdup(profiles[s->tls].cipher);
		f->cipher_bits = profiles[s->tls].bits;
		f->cert = s->cert;
		f->cert_subject = s->subject != NULL ? strdup(s->subject) : NULL;
		f->cert_issuer = s->issuer != NULL ? strdup(s->issuer) : NULL;
	}
	cipher_classify(table, f->tls_version, f->cipher, &f->cipher_class);
}

static const char *
S(const char *s)
{
	return s != NULL ? s : "NULL";
}

/* same - equal strings, or both NULL */
static bool
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* verdict_matches - compare; on mismatch write "got X, want Y" into why */
static bool
verdict_matches(const struct verdict *v, const struct expect *e, char *why, size_t size)
{
	char got_reasons[256], want_reasons[256];
	const char *partner = v->partner != NULL ? policy_partner_name(v->partner) : NULL;

	verdict_reasons_format(v->reasons, got_reasons, sizeof(got_reasons));
	verdict_reasons_format(e->reasons, want_reasons, sizeof(want_reasons));
	if (v->result == e->result && same(partner, e->partner) && v->selector == e->selector
	    && same(v->selector_value, e->pattern) && v->reasons == e->reasons
	    && v->action == e->action && v->effective == e->effective
	    && v->testing == e->testing
	    && (v->selector_value == NULL) == (v->selector_line == 0))
		return true;
	snprintf(why, size, "got %s partner=%s %s:%s line %u reasons=%s action=%s "
	    "effective=%s testing=%d, want %s partner=%s %s:%s reasons=%s action=%s "
	    "effective=%s testing=%d",
	    verdict_result_name(v->result), S(partner), policy_selector_name(v->selector),
	    S(v->selector_value), v->selector_line, got_reasons,
	    policy_action_name(v->action), policy_action_name(v->effective), v->testing,
	    verdict_result_name(e->result), S(e->partner), policy_selector_name(e->selector),
	    S(e->pattern), want_reasons, policy_action_name(e->action),
	    policy_action_name(e->effective), e->testing);
	return false;
}

START_TEST(test_evaluate)
{
	const struct eval_case *c = &eval_cases[_i];
	struct session_facts f;
	struct verdict v;
	char why[1024];

	session_facts_build(&c->s, &f);
	memset(&v, 0xa5, sizeof(v));
	policy_evaluate(policies[c->policy], &f, c->s.rcpt, &v);
	ck_assert_msg(verdict_matches(&v, &c->e, why, sizeof(why)), "%s: %s", c->label, why);
	facts_free(&f);
}
END_TEST

/* The evaluator is pure: many threads over the same policy agree. */
struct worker {
	int failures;
};

/* worker_run - evaluate every case many times, counting wrong verdicts */
static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct session_facts facts[COUNT(eval_cases)];
	struct verdict v;
	char why[1024];
	size_t i;
	int round;

	for (i = 0; i < COUNT(eval_cases); i++)
		session_facts_build(&eval_cases[i].s, &facts[i]);
	for (round = 0; round < 200; round++)
		for (i = 0; i < COUNT(eval_cases); i++) {
			policy_evaluate(policies[eval_cases[i].policy], &facts[i],
			    eval_cases[i].s.rcpt, &v);
			if (!verdict_matches(&v, &eval_cases[i].e, why, sizeof(why)))
				w->failures++;
		}
	for (i = 0; i < COUNT(eval_cases); i++)
		facts_free(&facts[i]);
	return NULL;
}

START_TEST(test_threads)
{
	pthread_t threads[4];
	struct worker workers[4];
	int i;

	memset(workers, 0, sizeof(workers));
	for (i = 0; i < 4; i++)
		ck_assert_msg(pthread_create(&threads[i], NULL, worker_run, &workers[i]) == 0,
		    "pthread_create: got failure");
	for (i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
		ck_assert_msg(workers[i].failures == 0, "thread %d: got %d wrong verdicts, want 0",
		    i, workers[i].failures);
	}
}
END_TEST

/* The verdict renders: spot-check the reply of one rejection end to end. */
START_TEST(test_render_after_evaluate)
{
	struct session_facts f;
	struct verdict v;
	struct policy_reply r;
	char header[1024];
	const struct session s = {"a@yandex.ru", NULL, CLIENT_OTHER, T_TLS12_RSA, CERT_NONE,
	    NULL, NULL, false, false};

	session_facts_build(&s, &f);
	policy_evaluate(policies[P_MAIN], &f, NULL, &v);
	ck_assert_msg(verdict_reply(policies[P_MAIN], &v, &f, &r) == 0, "reply: got -1, want 0");
	ck_assert_str_eq(r.rcode, "550");
	ck_assert_str_eq(r.xcode, "5.7.0");
	ck_assert_str_eq(r.text, "Policy for partner yandex requires TLSv1.2+ with forward "
	    "secrecy; this session used TLSv1.2 AES256-GCM-SHA384 (256 bits) without forward "
	    "secrecy");
	verdict_header(policies[P_MAIN], &v, &f, header, sizeof(header));
	ck_assert_str_eq(header, "mx.example.org; verdict=fail; partner=yandex; tls=TLSv1.2; "
	    "cipher=AES256-GCM-SHA384; bits=256; pfs=no; reasons=no-pfs; action=reject");
	facts_free(&f);
}
END_TEST

/* unit_suite - the verdict table, threads and one rendering */
Suite *
unit_suite(void)
{
	Suite *suite = suite_create("evaluate");
	TCase *tc = tcase_create("evaluate");

	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_loop_test(tc, test_evaluate, 0, COUNT(eval_cases));
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_render_after_evaluate);
	suite_add_tcase(suite, tc);
	return suite;
}
