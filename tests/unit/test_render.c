/*
 * test_render.c - SMTP reply, tag header and log line of a verdict.
 *
 * The policy, facts and verdicts are built by hand from policy_int.h,
 * so these tests pin the output formats without the loader or the
 * evaluator.  The hostile cases feed CR, LF, '%', 8-bit bytes,
 * separators and very long strings through every fact and check that
 * each output stays one printable line with no '%' and that its
 * key=value structure survives.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "policy.h"
#include "policy_int.h"
#include "textsafe.h"
#include "tls.h"
#include "unit.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static struct policy policy;
static struct policy_partner partners[3];

/* fixture - a policy with three partners and the defaults, by hand */
static void
fixture_setup(void)
{
	memset(&policy, 0, sizeof(policy));
	memset(partners, 0, sizeof(partners));
	policy.authserv_id = "mx.example.org";
	policy.header_name = "X-TLS-Policy";
	policy.partners = partners;
	policy.partner_count = COUNT(partners);

	policy.defaults.name = "default";
	policy.defaults.index = SIZE_MAX;
	policy.defaults.require.tls = true;
	policy.defaults.action = POLICY_ACTION_TAG;

	partners[0].name = "yandex";
	partners[0].index = 0;
	partners[0].require.tls = true;
	partners[0].require.min_version = TLS_VERSION_TLSV1_2;
	partners[0].require.pfs = true;
	partners[0].action = POLICY_ACTION_REJECT;

	partners[1].name = "bank";
	partners[1].index = 1;
	partners[1].require.min_version = TLS_VERSION_TLSV1_3;
	partners[1].require.min_cipher_bits = 256;
	partners[1].require.cert_required = true;
	partners[1].require.cert_verified = true;
	partners[1].require.cert_subject = "mx.bank.test";
	partners[1].require.cert_issuer = "Bank CA";
	partners[1].action = POLICY_ACTION_DEFER;
	partners[1].reply.set = true;
	strcpy(partners[1].reply.rcode, "421");
	strcpy(partners[1].reply.xcode, "4.7.1");
	partners[1].reply.text = "Bank mail needs a client certificate, call +49 100%";

	partners[2].name = "legacy";
	partners[2].index = 2;
	partners[2].require.tls = true;
	partners[2].action = POLICY_ACTION_REJECT;
	partners[2].reply.set = true;
	partners[2].reply.text = "Use TLS please";
}

/* facts_tls12_rsa - the session of the CONTEXT.md examples */
static void
facts_tls12_rsa(struct session_facts *f)
{
	facts_init(f);
	f->macros_seen = true;
	f->client_name = "mail.yandex.net";
	f->client_ip = "192.0.2.1";
	f->helo = "mail.yandex.net";
	f->sender = "alice@yandex.ru";
	f->mta_name = "mta.example.org";
	f->tls = true;
	f->tls_version = TLS_VERSION_TLSV1_2;
	f->tls_version_text = "TLSv1.2";
	f->cipher = "AES256-GCM-SHA384";
	f->cipher_bits = 256;
	f->cipher_class.pfs = TLS_PFS_NO;
	f->cipher_class.source = TLS_PFS_FROM_OPENSSL;
	f->cipher_class.kx = "RSA";
	f->cipher_class.openssl_bits = 256;
}

/* facts_plain - a plaintext session */
static void
facts_plain(struct session_facts *f)
{
	facts_init(f);
	f->macros_seen = true;
	f->client_name = "unknown";
	f->client_ip = "198.51.100.7";
	f->helo = "relay.example.net";
	f->sender = "";
}

/* verdict_fail - a FAIL verdict, softened as testing mode would */
static void
verdict_fail(struct verdict *v, const struct policy_partner *partner, unsigned reasons,
    enum policy_action action, bool testing)
{
	memset(v, 0, sizeof(*v));
	v->result = VERDICT_FAIL;
	v->partner = partner;
	v->selector = partner != NULL ? POLICY_SELECTOR_SENDER_DOMAIN : POLICY_SELECTOR_NONE;
	v->selector_value = partner != NULL ? "yandex.ru" : NULL;
	v->reasons = reasons;
	v->action = action;
	v->effective = testing && action > POLICY_ACTION_TAG ? POLICY_ACTION_TAG : action;
	v->testing = testing && action > POLICY_ACTION_TAG;
}

/* ------------------------------------------------------------ examples */

START_TEST(test_reply_example)
{
	struct session_facts f;
	struct verdict v;
	struct policy_reply r;

	facts_tls12_rsa(&f);
	verdict_fail(&v, &partners[0], REASON_NO_PFS, POLICY_ACTION_REJECT, false);
	ck_assert_msg(verdict_reply(&policy, &v, &f, &r) == 0, "reply: got -1, want 0");
	ck_assert_str_eq(r.rcode, "550");
	ck_assert_str_eq(r.xcode, "5.7.0");
	ck_assert_str_eq(r.text, "Policy for partner yandex requires TLSv1.2+ with forward "
	    "secrecy; this session used TLSv1.2 AES256-GCM-SHA384 (256 bits) without forward "
	    "secrecy");
}
END_TEST

START_TEST(test_header_example)
{
	struct session_facts f;
	struct verdict v;
	char buf[1024];
	size_t len;

	facts_tls12_rsa(&f);
	verdict_fail(&v, &partners[0], REASON_NO_PFS, POLICY_ACTION_REJECT, true);
	len = verdict_header(&policy, &v, &f, buf, sizeof(buf));
	ck_assert_str_eq(buf, "mx.example.org; verdict=fail; partner=yandex; tls=TLSv1.2; "
	    "cipher=AES256-GCM-SHA384; bits=256; pfs=no; reasons=no-pfs; action=would-reject");
	ck_assert_msg(len == strlen(buf), "length: got %zu, want %zu", len, strlen(buf));
}
END_TEST

START_TEST(test_log_example)
{
	struct session_facts f;
	struct verdict v;
	char buf[2048];
	size_t len;

	facts_tls12_rsa(&f);
	verdict_fail(&v, &partners[0], REASON_NO_PFS, POLICY_ACTION_REJECT, false);
	len = verdict_log_line(&v, &f, "<bob@example.org>", buf, sizeof(buf));
	ck_assert_str_eq(buf, "tlspolicy: client=mail.yandex.net[192.0.2.1] "
	    "helo=mail.yandex.net sender=<alice@yandex.ru> rcpt=<bob@example.org> "
	    "partner=yandex selector=sender_domains:yandex.ru tls=TLSv1.2 "
	    "cipher=AES256-GCM-SHA384 bits=256 pfs=no verdict=fail reasons=no-pfs "
	    "action=reject");
	ck_assert_msg(len == strlen(buf), "length: got %zu, want %zu", len, strlen(buf));
}
END_TEST

/* No sender yet (a verdict at CONNECT time) and the widest bits the MTA can send. */
START_TEST(test_log_no_sender_wide_bits)
{
	struct session_facts f;
	struct verdict v;
	char buf[2048];

	facts_tls12_rsa(&f);
	f.sender = NULL;
	f.cipher_bits = 65535;
	verdict_fail(&v, &partners[0], REASON_NO_PFS, POLICY_ACTION_REJECT, false);
	verdict_log_line(&v, &f, NULL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "tlspolicy: client=mail.yandex.net[192.0.2.1] "
	    "helo=mail.yandex.net sender=- "
	    "partner=yandex selector=sender_domains:yandex.ru tls=TLSv1.2 "
	    "cipher=AES256-GCM-SHA384 bits=65535 pfs=no verdict=fail reasons=no-pfs "
	    "action=reject");
}
END_TEST

/* ------------------------------------------------------------ table of outputs */

enum scenario {
	S_PLAIN_DEFAULTS_TAG,
	S_PASS,
	S_EXEMPT_IP,
	S_EXEMPT_AUTH,
	S_MISSING_TEMPFAIL,
	S_MISSING_ACCEPT,
	S_TESTING_PARTNER_TAG,
};

static const struct {
	const char *label;
	enum scenario scenario;
	const char *header;
	const char *log;
} output_cases[] = {
	{"plaintext non-partner tagged", S_PLAIN_DEFAULTS_TAG,
	    "mx.example.org; verdict=fail; partner=none; tls=none; cipher=none; bits=0; "
	    "pfs=no; reasons=no-tls; action=tag",
	    "tlspolicy: client=unknown[198.51.100.7] helo=relay.example.net sender=<> "
	    "partner=none selector=none tls=none cipher=none bits=0 pfs=no verdict=fail "
	    "reasons=no-tls action=tag"},
	{"pass", S_PASS,
	    "mx.example.org; verdict=pass; partner=yandex; tls=TLSv1.2; "
	    "cipher=AES256-GCM-SHA384; bits=256; pfs=no; reasons=-; action=accept",
	    "tlspolicy: client=mail.yandex.net[192.0.2.1] helo=mail.yandex.net "
	    "sender=<alice@yandex.ru> partner=yandex selector=client_ips:192.0.2.0/24 "
	    "tls=TLSv1.2 cipher=AES256-GCM-SHA384 bits=256 pfs=no verdict=pass reasons=- "
	    "action=accept"},
	{"exempt by ip", S_EXEMPT_IP,
	    "mx.example.org; verdict=exempt; partner=none; tls=none; cipher=none; bits=0; "
	    "pfs=no; reasons=-; action=accept",
	    "tlspolicy: client=unknown[198.51.100.7] helo=relay.example.net sender=<> "
	    "partner=none selector=exempt_client_ips:198.51.100.0/24 tls=none cipher=none "
	    "bits=0 pfs=no verdict=exempt reasons=- action=accept"},
	{"exempt by auth", S_EXEMPT_AUTH,
	    "mx.example.org; verdict=exempt; partner=none; tls=none; cipher=none; bits=0; "
	    "pfs=no; reasons=-; action=accept",
	    "tlspolicy: client=unknown[198.51.100.7] helo=relay.example.net sender=<> "
	    "partner=none selector=exempt_authenticated tls=none cipher=none bits=0 pfs=no "
	    "verdict=exempt reasons=- action=accept"},
	{"missing macros tempfail", S_MISSING_TEMPFAIL,
	    "mx.example.org; verdict=temperror; partner=none; tls=none; cipher=none; bits=0; "
	    "pfs=no; reasons=missing-macros; action=defer",
	    "tlspolicy: client=unknown[198.51.100.7] helo=relay.example.net sender=<> "
	    "partner=none selector=missing_macros tls=none cipher=none bits=0 pfs=no "
	    "verdict=temperror reasons=missing-macros action=defer"},
	{"missing macros accept", S_MISSING_ACCEPT,
	    "mx.example.org; verdict=temperror; partner=none; tls=none; cipher=none; bits=0; "
	    "pfs=no; reasons=missing-macros; action=tag",
	    "tlspolicy: client=unknown[198.51.100.7] helo=relay.example.net sender=<> "
	    "partner=none selector=missing_macros tls=none cipher=none bits=0 pfs=no "
	    "verdict=temperror reasons=missing-macros action=tag"},
	{"testing leaves tag alone", S_TESTING_PARTNER_TAG,
	    "mx.example.org; verdict=fail; partner=none; tls=none; cipher=none; bits=0; "
	    "pfs=no; reasons=no-tls; action=tag",
	    "tlspolicy: client=unknown[198.51.100.7] helo=relay.example.net sender=<> "
	    "partner=none selector=none tls=none cipher=none bits=0 pfs=no verdict=fail "
	    "reasons=no-tls action=tag"},
};

/* scenario_build - the facts and verdict of one output case */
static void
scenario_build(enum scenario s, struct session_facts *f, struct verdict *v)
{
	facts_plain(f);
	memset(v, 0, sizeof(*v));
	switch (s) {
	case S_PLAIN_DEFAULTS_TAG:
		verdict_fail(v, NULL, REASON_NO_TLS, POLICY_ACTION_TAG, false);
		break;
	case S_TESTING_PARTNER_TAG:
		verdict_fail(v, NULL, REASON_NO_TLS, POLICY_ACTION_TAG, true);
		break;
	case S_PASS:
		facts_tls12_rsa(f);
		v->result = VERDICT_PASS;
		v->partner = &partners[0];
		v->selector = POLICY_SELECTOR_CLIENT_IP;
		v->selector_value = "192.0.2.0/24";
		break;
	case S_EXEMPT_IP:
		v->result = VERDICT_EXEMPT;
		v->selector = POLICY_SELECTOR_EXEMPT_IP;
		v->selector_value = "198.51.100.0/24";
		break;
	case S_EXEMPT_AUTH:
		v->result = VERDICT_EXEMPT;
		v->selector = POLICY_SELECTOR_EXEMPT_AUTH;
		break;
	case S_MISSING_TEMPFAIL:
	case S_MISSING_ACCEPT:
		v->result = VERDICT_TEMPERROR;
		v->reasons = REASON_MISSING_MACROS;
		v->selector = POLICY_SELECTOR_MISSING_MACROS;
		v->action = s == S_MISSING_TEMPFAIL ? POLICY_ACTION_DEFER : POLICY_ACTION_TAG;
		v->effective = v->action;
		break;
	}
}

START_TEST(test_outputs)
{
	struct session_facts f;
	struct verdict v;
	char buf[2048];

	scenario_build(output_cases[_i].scenario, &f, &v);
	verdict_header(&policy, &v, &f, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, output_cases[_i].header) == 0, "%s: header got\n%s\nwant\n%s",
	    output_cases[_i].label, buf, output_cases[_i].header);
	verdict_log_line(&v, &f, NULL, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, output_cases[_i].log) == 0, "%s: log got\n%s\nwant\n%s",
	    output_cases[_i].label, buf, output_cases[_i].log);
}
END_TEST

/* ------------------------------------------------------------ replies */

static const struct {
	const char *label;
	int partner;			/* -1: defaults */
	enum policy_action action;
	bool testing;
	bool missing;
	int ret;
	const char *rcode, *xcode, *text;
} reply_cases[] = {
	{"defer default codes", 0, POLICY_ACTION_DEFER, false, false, 0, "451", "4.7.0",
	    "Policy for partner yandex requires TLSv1.2+ with forward secrecy; this session "
	    "used no TLS"},
	{"non-partner reject", -1, POLICY_ACTION_REJECT, false, false, 0, "550", "5.7.0",
	    "Policy for mail from non-partners requires TLS; this session used no TLS"},
	{"custom codes and text, sanitised", 1, POLICY_ACTION_DEFER, false, false, 0, "421",
	    "4.7.1", "Bank mail needs a client certificate, call +49 100?"},
	{"custom codes of the wrong class are ignored", 1, POLICY_ACTION_REJECT, false, false,
	    0, "550", "5.7.0", "Bank mail needs a client certificate, call +49 100?"},
	{"custom text only", 2, POLICY_ACTION_REJECT, false, false, 0, "550", "5.7.0",
	    "Use TLS please"},
	{"missing macros", -1, POLICY_ACTION_DEFER, false, true, 0, "451", "4.3.5",
	    "TLS policy cannot be checked: the MTA sent the milter no TLS macros "
	    "(server configuration error)"},
	{"missing macros accepted: no reply", -1, POLICY_ACTION_TAG, false, true, -1, "", "",
	    ""},
	{"tag: no reply", 0, POLICY_ACTION_TAG, false, false, -1, "", "", ""},
	{"quarantine: no reply", 0, POLICY_ACTION_QUARANTINE, false, false, -1, "", "", ""},
	{"testing reject: no reply", 0, POLICY_ACTION_REJECT, true, false, -1, "", "", ""},
	{"accept: no reply", 0, POLICY_ACTION_ACCEPT, false, false, -1, "", "", ""},
};

START_TEST(test_reply)
{
	struct session_facts f;
	struct verdict v;
	struct policy_reply r;
	int ret;

	facts_plain(&f);
	verdict_fail(&v, reply_cases[_i].partner < 0 ? NULL : &partners[reply_cases[_i].partner],
	    REASON_NO_TLS, reply_cases[_i].action, reply_cases[_i].testing);
	if (reply_cases[_i].missing) {
		v.result = VERDICT_TEMPERROR;
		v.reasons = REASON_MISSING_MACROS;
		v.selector = POLICY_SELECTOR_MISSING_MACROS;
	}
	if (reply_cases[_i].action == POLICY_ACTION_ACCEPT)
		v.result = VERDICT_PASS;
	memset(&r, 'X', sizeof(r));
	ret = verdict_reply(&policy, &v, &f, &r);
	ck_assert_msg(ret == reply_cases[_i].ret, "%s: return got %d, want %d",
	    reply_cases[_i].label, ret, reply_cases[_i].ret);
	ck_assert_msg(strcmp(r.rcode, reply_cases[_i].rcode) == 0
	    && strcmp(r.xcode, reply_cases[_i].xcode) == 0
	    && strcmp(r.text, reply_cases[_i].text) == 0,
	    "%s: got \"%s %s %s\", want \"%s %s %s\"", reply_cases[_i].label, r.rcode, r.xcode,
	    r.text, reply_cases[_i].rcode, reply_cases[_i].xcode, reply_cases[_i].text);
}
END_TEST

/* ------------------------------------------------------------ texts */

static const struct {
	const char *label;
	struct policy_require require;
	const char *want;
} requirement_cases[] = {
	{"nothing", {.tls = false}, "nothing"},
	{"tls", {.tls = true}, "TLS"},
	{"version", {.min_version = TLS_VERSION_TLSV1_2}, "TLSv1.2+"},
	{"pfs alone implies tls", {.pfs = true}, "TLS with forward secrecy"},
	{"bits alone", {.min_cipher_bits = 128}, "TLS with 128-bit ciphers"},
	{"version pfs bits", {.min_version = TLS_VERSION_TLSV1_2, .pfs = true,
	    .min_cipher_bits = 128}, "TLSv1.2+ with forward secrecy and 128-bit ciphers"},
	{"cert any", {.cert_required = true}, "TLS with a client certificate"},
	{"everything", {.tls = true, .min_version = TLS_VERSION_TLSV1_3, .pfs = true,
	    .min_cipher_bits = 256, .cert_required = true, .cert_verified = true,
	    .cert_subject = "mx.bank.test", .cert_issuer = "/C=DE/O=Bank/CN=Bank CA"},
	    "TLSv1.3+ with forward secrecy, 256-bit ciphers and a verified client certificate "
	    "for mx.bank.test issued by /C=DE/O=Bank/CN=Bank CA"},
};

START_TEST(test_requirement_text)
{
	struct verdict v;
	char buf[512];
	size_t len;

	memset(&v, 0, sizeof(v));
	v.partner = &partners[0];
	partners[0].require = requirement_cases[_i].require;
	len = verdict_requirement_text(&policy, &v, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, requirement_cases[_i].want) == 0, "%s: got \"%s\", want \"%s\"",
	    requirement_cases[_i].label, buf, requirement_cases[_i].want);
	ck_assert_msg(len == strlen(buf), "%s: length got %zu, want %zu",
	    requirement_cases[_i].label, len, strlen(buf));
}
END_TEST

START_TEST(test_requirement_defaults)
{
	struct verdict v;
	char buf[64];

	memset(&v, 0, sizeof(v));
	verdict_requirement_text(&policy, &v, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, "TLS") == 0, "defaults: got \"%s\", want \"TLS\"", buf);
}
END_TEST

enum session_kind {
	K_PLAIN, K_TLS12_RSA, K_TLS13, K_OLD_SENDMAIL, K_NO_CIPHER, K_UNKNOWN_PFS,
	K_CERT_VERIFIED, K_CERT_UNVERIFIED, K_OPENSSL_BITS,
};

static const struct {
	const char *label;
	enum session_kind kind;
	const char *want;
} session_cases[] = {
	{"plaintext", K_PLAIN, "no TLS"},
	{"tls1.2 rsa", K_TLS12_RSA,
	    "TLSv1.2 AES256-GCM-SHA384 (256 bits) without forward secrecy"},
	{"tls1.3", K_TLS13, "TLSv1.3 TLS_AES_256_GCM_SHA384 (256 bits) with forward secrecy"},
	{"sendmail TLSv1/SSLv3", K_OLD_SENDMAIL,
	    "TLSv1/SSLv3 DHE-RSA-AES256-SHA (256 bits) with forward secrecy"},
	{"no cipher", K_NO_CIPHER, "TLS of unknown version with an unknown cipher, "
	    "forward secrecy unknown"},
	{"unknown pfs", K_UNKNOWN_PFS, "TLSv1.2 FOO-BAR (128 bits), forward secrecy unknown"},
	{"verified cert", K_CERT_VERIFIED, "TLSv1.3 TLS_AES_256_GCM_SHA384 (256 bits) with "
	    "forward secrecy, a verified client certificate for mx.bank.test issued by Bank CA"},
	{"unverified cert", K_CERT_UNVERIFIED, "TLSv1.3 TLS_AES_256_GCM_SHA384 (256 bits) with "
	    "forward secrecy, an unverified client certificate for /C=DE/CN=mx.bank.test"},
	{"bits from openssl", K_OPENSSL_BITS,
	    "TLSv1.2 AES256-GCM-SHA384 (256 bits) without forward secrecy"},
};

/* session_build - the facts of one session text case */
static void
session_build(enum session_kind kind, struct session_facts *f)
{
	facts_tls12_rsa(f);
	switch (kind) {
	case K_PLAIN:
		facts_plain(f);
		break;
	case K_TLS12_RSA:
		break;
	case K_TLS13:
	case K_CERT_VERIFIED:
	case K_CERT_UNVERIFIED:
		f->tls_version = TLS_VERSION_TLSV1_3;
		f->cipher = "TLS_AES_256_GCM_SHA384";
		f->cipher_class.pfs = TLS_PFS_YES;
		if (kind == K_CERT_VERIFIED) {
			f->cert = CERT_VERIFIED;
			f->cert_subject = "mx.bank.test";
			f->cert_issuer = "Bank CA";
		} else if (kind == K_CERT_UNVERIFIED) {
			f->cert = CERT_UNVERIFIED;
			f->cert_subject = "/C=DE/CN=mx.bank.test";
		}
		break;
	case K_OLD_SENDMAIL:
		f->tls_version = TLS_VERSION_UNKNOWN;
		f->tls_version_text = "TLSv1/SSLv3";
		f->cipher = "DHE-RSA-AES256-SHA";
		f->cipher_class.pfs = TLS_PFS_YES;
		break;
	case K_NO_CIPHER:
		f->tls_version = TLS_VERSION_UNKNOWN;
		f->tls_version_text = NULL;
		f->cipher = NULL;
		f->cipher_bits = -1;
		f->cipher_class.pfs = TLS_PFS_UNKNOWN;
		f->cipher_class.openssl_bits = -1;
		break;
	case K_UNKNOWN_PFS:
		f->cipher = "FOO-BAR";
		f->cipher_bits = 128;
		f->cipher_class.pfs = TLS_PFS_UNKNOWN;
		f->cipher_class.openssl_bits = -1;
		break;
	case K_OPENSSL_BITS:
		f->cipher_bits = -1;
		break;
	}
}

START_TEST(test_session_text)
{
	struct session_facts f;
	char buf[512];
	size_t len;

	session_build(session_cases[_i].kind, &f);
	len = facts_session_text(&f, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, session_cases[_i].want) == 0, "%s: got \"%s\", want \"%s\"",
	    session_cases[_i].label, buf, session_cases[_i].want);
	ck_assert_msg(len == strlen(buf), "%s: length got %zu, want %zu",
	    session_cases[_i].label, len, strlen(buf));
}
END_TEST

START_TEST(test_unknown_bits_in_header)
{
	struct session_facts f;
	struct verdict v;
	char buf[1024];

	session_build(K_NO_CIPHER, &f);
	verdict_fail(&v, NULL, REASON_UNKNOWN_VERSION | REASON_UNKNOWN_CIPHER,
	    POLICY_ACTION_TAG, false);
	verdict_header(&policy, &v, &f, buf, sizeof(buf));
	ck_assert_str_eq(buf, "mx.example.org; verdict=fail; partner=none; tls=unknown; "
	    "cipher=unknown; bits=unknown; pfs=unknown; reasons=unknown-version,unknown-cipher; "
	    "action=tag");
}
END_TEST

START_TEST(test_authserv_fallback)
{
	struct session_facts f;
	struct verdict v;
	char buf[1024];

	facts_plain(&f);
	verdict_fail(&v, NULL, REASON_NO_TLS, POLICY_ACTION_TAG, false);
	policy.authserv_id = NULL;
	f.mta_name = "mta.example.org";
	verdict_header(&policy, &v, &f, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, "mta.example.org; ", 17) == 0, "MTA's j: got \"%s\"", buf);
	f.mta_name = NULL;
	verdict_header(&policy, &v, &f, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, "localhost; ", 11) == 0, "no j: got \"%s\"", buf);
}
END_TEST

/* ------------------------------------------------------------ names */

START_TEST(test_reasons_format)
{
	char buf[512], small[12];

	verdict_reasons_format(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "-");
	verdict_reasons_format(REASON_NO_PFS | REASON_WEAK_CIPHER, buf, sizeof(buf));
	ck_assert_str_eq(buf, "no-pfs,weak-cipher");
	verdict_reasons_format(0x3ff, buf, sizeof(buf));
	ck_assert_str_eq(buf, "no-tls,unknown-version,version-too-old,no-pfs,unknown-cipher,"
	    "weak-cipher,no-client-cert,cert-unverified,cert-mismatch,missing-macros");
	verdict_reasons_format(0x3ff, small, sizeof(small));
	ck_assert_msg(strlen(small) == sizeof(small) - 1, "small buffer: got \"%s\"", small);
	verdict_reasons_format(REASON_NO_TLS, small, 0);
}
END_TEST

START_TEST(test_result_names)
{
	ck_assert_str_eq(verdict_result_name(VERDICT_PASS), "pass");
	ck_assert_str_eq(verdict_result_name(VERDICT_FAIL), "fail");
	ck_assert_str_eq(verdict_result_name(VERDICT_EXEMPT), "exempt");
	ck_assert_str_eq(verdict_result_name(VERDICT_TEMPERROR), "temperror");
}
END_TEST

/* ------------------------------------------------------------ hostile facts */

static char *long_value;

/* hostile_setup - the policy plus a very long hostile value */
static void
hostile_setup(void)
{
	size_t i, n = 20000;

	fixture_setup();
	long_value = malloc(n + 1);
	ck_assert_ptr_nonnull(long_value);
	for (i = 0; i < n; i++)
		long_value[i] = "x%\r\n;= \x80\xff[]<>"[i % 13];
	long_value[n] = '\0';
}

/* hostile_teardown - release the long value */
static void
hostile_teardown(void)
{
	free(long_value);
	long_value = NULL;
}

/* hostile_facts - variant v of facts where every string is an attack */
static void
hostile_facts(int variant, struct session_facts *f)
{
	static const char *const values[] = {
		"evil\r\nX-TLS-Policy: mx.example.org; verdict=pass",
		"%s%s%n%%",
		"a b=c; d=e",
		"M\xc3\xbcller \xff\x80",
		"[192.0.2.1] <x@y> ",
	};
	const char *s = variant < (int)COUNT(values) ? values[variant] : long_value;

	facts_tls12_rsa(f);
	f->client_name = (char *)s;
	f->client_ip = (char *)s;
	f->helo = (char *)s;
	f->sender = (char *)s;
	f->mta_name = (char *)s;
	f->tls_version = TLS_VERSION_UNKNOWN;
	f->tls_version_text = (char *)s;
	f->cipher = (char *)s;
	f->cert = CERT_VERIFIED;
	f->cert_subject = (char *)s;
	f->cert_issuer = (char *)s;
}

/* assert_one_safe_line - text is printable ASCII without % */
static void
assert_one_safe_line(const char *what, int variant, const char *text)
{
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p != '\0'; p++)
		ck_assert_msg(*p >= 0x20 && *p < 0x7f && *p != '%',
		    "%s (variant %d): got byte 0x%02x at %zu in \"%s\", want printable, no %%",
		    what, variant, *p, (size_t)(p - (const unsigned char *)text), text);
}

/* assert_tokens - each piece split at sep is key=value with one '=' and a known key */
static void
assert_tokens(const char *what, int variant, const char *text, const char *sep,
    const char *const *keys, size_t nkeys)
{
	char copy[8192], *piece, *next;
	size_t i = 0;

	ck_assert_msg(strlen(text) < sizeof(copy), "%s: got %zu bytes, too long", what,
	    strlen(text));
	strcpy(copy, text);
	for (piece = copy; piece != NULL; piece = next) {
		next = strstr(piece, sep);
		if (next != NULL) {
			*next = '\0';
			next += strlen(sep);
		}
		ck_assert_msg(i < nkeys, "%s (variant %d): got extra piece \"%s\"", what, variant,
		    piece);
		if (keys[i][0] == '\0') {
			ck_assert_msg(strchr(piece, '=') == NULL,
			    "%s (variant %d): got '=' in \"%s\"", what, variant, piece);
		} else {
			ck_assert_msg(strncmp(piece, keys[i], strlen(keys[i])) == 0
			    && piece[strlen(keys[i])] == '='
			    && strchr(piece + strlen(keys[i]) + 1, '=') == NULL,
			    "%s (variant %d): piece %zu got \"%s\", want %s=value", what, variant,
			    i, piece, keys[i]);
		}
		i++;
	}
	ck_assert_msg(i == nkeys, "%s (variant %d): got %zu pieces, want %zu", what, variant,
	    i, nkeys);
}

START_TEST(test_hostile)
{
	static const char *const header_keys[] = {
		"", "verdict", "partner", "tls", "cipher", "bits", "pfs", "reasons", "action",
	};
	static const char *const log_keys[] = {
		"", "client", "helo", "sender", "rcpt", "partner", "selector", "tls", "cipher",
		"bits", "pfs", "verdict", "reasons", "action",
	};
	struct session_facts f;
	struct verdict v;
	struct policy_reply r;
	char buf[4096];
	size_t len;

	hostile_facts(_i, &f);
	verdict_fail(&v, &partners[0], REASON_NO_PFS, POLICY_ACTION_REJECT, false);
	v.selector_value = f.cipher;	/* patterns come from the policy, but still */

	len = verdict_header(&policy, &v, &f, buf, sizeof(buf));
	assert_one_safe_line("header", _i, buf);
	ck_assert_msg(len < 900, "header (variant %d): got %zu bytes, want < 900", _i, len);
	assert_tokens("header", _i, buf, "; ", header_keys, COUNT(header_keys));

	policy.authserv_id = NULL;	/* now the MTA's hostile {j} */
	len = verdict_header(&policy, &v, &f, buf, sizeof(buf));
	assert_one_safe_line("header from j", _i, buf);
	ck_assert_msg(len < 900, "header from j (variant %d): got %zu bytes", _i, len);
	assert_tokens("header from j", _i, buf, "; ", header_keys, COUNT(header_keys));

	len = verdict_log_line(&v, &f, f.sender, buf, sizeof(buf));
	assert_one_safe_line("log", _i, buf);
	ck_assert_msg(len < 2048, "log (variant %d): got %zu bytes, want < 2048", _i, len);
	ck_assert_msg(strncmp(buf, "tlspolicy: ", 11) == 0, "log: got \"%s\"", buf);
	assert_tokens("log", _i, buf + 11, " ", log_keys + 1, COUNT(log_keys) - 1);

	ck_assert_msg(verdict_reply(&policy, &v, &f, &r) == 0, "reply: got -1, want 0");
	assert_one_safe_line("reply text", _i, r.text);
	ck_assert_str_eq(r.rcode, "550");
	ck_assert_msg(strlen(r.text) < sizeof(r.text), "reply: got %zu bytes", strlen(r.text));
}
END_TEST

START_TEST(test_small_buffers)
{
	struct session_facts f;
	struct verdict v;
	char buf[40];
	size_t size, len;

	facts_tls12_rsa(&f);
	verdict_fail(&v, &partners[0], REASON_NO_PFS, POLICY_ACTION_REJECT, true);
	for (size = 0; size < sizeof(buf); size++) {
		memset(buf, 'Z', sizeof(buf));
		len = verdict_header(&policy, &v, &f, buf, size);
		ck_assert_msg(size == 0 ? len == 0 : len == strlen(buf) && len < size,
		    "header size %zu: got len %zu", size, len);
		ck_assert_msg(buf[size] == 'Z', "header size %zu: wrote past the end", size);
		len = verdict_log_line(&v, &f, "r@x", buf, size);
		ck_assert_msg(size == 0 ? len == 0 : len == strlen(buf) && len < size,
		    "log size %zu: got len %zu", size, len);
		len = verdict_requirement_text(&policy, &v, buf, size);
		ck_assert_msg(size == 0 ? len == 0 : len == strlen(buf) && len < size,
		    "requirement size %zu: got len %zu", size, len);
		len = facts_session_text(&f, buf, size);
		ck_assert_msg(size == 0 ? len == 0 : len == strlen(buf) && len < size,
		    "session size %zu: got len %zu", size, len);
	}
}
END_TEST

/* unit_suite - examples and hostile facts */
Suite *
unit_suite(void)
{
	Suite *suite = suite_create("render");
	TCase *examples = tcase_create("examples");
	TCase *hostile = tcase_create("hostile");

	tcase_add_checked_fixture(examples, fixture_setup, NULL);
	tcase_add_test(examples, test_reply_example);
	tcase_add_test(examples, test_header_example);
	tcase_add_test(examples, test_log_example);
	tcase_add_test(examples, test_log_no_sender_wide_bits);
	tcase_add_loop_test(examples, test_outputs, 0, COUNT(output_cases));
	tcase_add_loop_test(examples, test_reply, 0, COUNT(reply_cases));
	tcase_add_loop_test(examples, test_requirement_text, 0, COUNT(requirement_cases));
	tcase_add_test(examples, test_requirement_defaults);
	tcase_add_loop_test(examples, test_session_text, 0, COUNT(session_cases));
	tcase_add_test(examples, test_unknown_bits_in_header);
	tcase_add_test(examples, test_authserv_fallback);
	tcase_add_test(examples, test_reasons_format);
	tcase_add_test(examples, test_result_names);
	tcase_add_test(examples, test_small_buffers);
	suite_add_tcase(suite, examples);

	tcase_add_checked_fixture(hostile, hostile_setup, hostile_teardown);
	tcase_add_loop_test(hostile, test_hostile, 0, 6);
	suite_add_tcase(suite, hostile);
	return suite;
}
