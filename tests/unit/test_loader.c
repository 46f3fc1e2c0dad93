/*
 * test_loader.c - loading, validating and compiling policy files.
 *
 * Named tables of files the loader must refuse, each with the exact
 * first diagnostic; files it must accept, checked through the compiled
 * policy; warnings that still load; the shipped example; a generated
 * policy with 100,000 partners (correctness only: timing belongs to the
 * benchmarks); reference counting; files that cannot be read.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy_int.h"
#include "unit.h"

/* load - compile text as "t.yaml"; the caller frees diag and unrefs. */
static struct policy *
load(const char *text, struct policy_diag *diag)
{
	policy_diag_init(diag);
	return policy_load_buffer("t.yaml", text, strlen(text), diag);
}

/* diag_text - every diagnostic, one per line, for failure messages. */
static const char *
diag_text(const struct policy_diag *diag)
{
	static char buf[4096];
	size_t len = 0;
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < diag->count && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\n",
		    diag->entries[i].text);
	return buf;
}

struct reject_case {
	const char *name;
	const char *yaml;
	const char *want;		/* the first diagnostic, exactly */
};

#define P1 "version: 1\npartners:\n  - name: a\n    match:\n      sender_domains: [a.example]\n"

static const struct reject_case reject_cases[] = {
	{ "empty file", "", "t.yaml:1:1: empty file: expected a mapping with \"version: 1\"" },
	{ "only comments", "# nothing\n\n",
	    "t.yaml:1:1: empty file: expected a mapping with \"version: 1\"" },
	{ "empty document", "---\n",
	    "t.yaml:1:1: empty document: expected a mapping with \"version: 1\"" },
	{ "a scalar", "hello\n",
	    "t.yaml:1:1: expected a mapping with \"version: 1\" at the top level, got \"hello\"" },
	{ "a list", "- version: 1\n",
	    "t.yaml:1:1: expected a mapping with \"version: 1\" at the top level, got a list" },
	{ "not yaml", "version: 1\nsettings: [mode\n",
	    "t.yaml:3:1: invalid YAML: did not find expected ',' or ']' (while parsing a flow "
	    "sequence at line 2, column 11)" },
	{ "two documents", "version: 1\n---\nversion: 1\n",
	    "t.yaml:2:1: a second YAML document; a policy file holds exactly one" },
	{ "alias", "version: &v 1\nsettings: *v\n",
	    "t.yaml:1:10: YAML anchors and aliases (&name, *name) are not allowed" },
	{ "tag", "version: !!int 1\n", "t.yaml:1:10: YAML tags (!name) are not allowed" },
	{ "duplicate key", "version: 1\nversion: 1\n",
	    "t.yaml:2:1: duplicate key \"version\" (first at line 1, column 1)" },
	{ "non-scalar key", "version: 1\n[a]: b\n",
	    "t.yaml:2:1: a mapping key must be a string, not a list" },
	{ "bad utf-8", "version: 1\nsettings:\n  header: \"X-\xff\"\n",
	    "t.yaml:3:14: invalid input: invalid leading UTF-8 octet (0xFF)" },
	{ "control byte", "version: 1\n\x01\n",
	    "t.yaml:2:1: invalid input: control characters are not allowed (0x01)" },
	{ "too deep", "version: 1\nx: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
	    "t.yaml:2:35: nesting deeper than 32 levels" },
	{ "missing version", "settings: {}\n",
	    "t.yaml:1:1: missing required key \"version\" (add \"version: 1\")" },
	{ "version 2", "version: 2\n",
	    "t.yaml:1:10: version: unsupported policy version 2; this tlspolicy-milter reads "
	    "version 1" },
	{ "version quoted", "version: \"1\"\n",
	    "t.yaml:1:10: version: expected the number 1 without quotes" },
	{ "version text", "version: one\n", "t.yaml:1:10: version: expected 1, got \"one\"" },
	{ "unknown top key", "version: 1\npartner: []\n",
	    "t.yaml:2:1: unknown key \"partner\" at the top level; did you mean \"partners\"?" },
	{ "unknown key without hint", "version: 1\nzzz: 1\n",
	    "t.yaml:2:1: unknown key \"zzz\" at the top level; expected version, settings, "
	    "exempt, defaults or partners" },
	{ "unknown settings key", "version: 1\nsettings:\n  hedaer: X\n",
	    "t.yaml:3:3: unknown key \"hedaer\" in settings; did you mean \"header\"?" },
	{ "min_verison", "version: 1\ndefaults:\n  require:\n    min_verison: TLSv1.2\n",
	    "t.yaml:4:5: unknown key \"min_verison\" in require; did you mean \"min_version\"?" },
	{ "settings a list", "version: 1\nsettings: [a]\n",
	    "t.yaml:2:11: settings: expected a mapping, got a list" },
	{ "partners a mapping", "version: 1\npartners: {a: 1}\n",
	    "t.yaml:2:11: partners: expected a list, got a mapping" },
	{ "partner a string", "version: 1\npartners: [yandex]\n",
	    "t.yaml:2:12: partner #1: expected a mapping, got \"yandex\"" },
	{ "bool yes", "version: 1\nexempt:\n  authenticated: yes\n",
	    "t.yaml:3:18: authenticated: expected true or false, got \"yes\"" },
	{ "bool quoted", "version: 1\nexempt:\n  authenticated: \"true\"\n",
	    "t.yaml:3:18: authenticated: expected true or false without quotes, got \"true\"" },
	{ "bad mode", "version: 1\nsettings:\n  mode: enforcing\n",
	    "t.yaml:3:9: mode: expected enforce or testing, got \"enforcing\"" },
	{ "mode typo", "version: 1\nsettings:\n  mode: tesing\n",
	    "t.yaml:3:9: mode: unknown value \"tesing\"; did you mean \"testing\"?" },
	{ "bad header", "version: 1\nsettings:\n  header: \"X TLS\"\n",
	    "t.yaml:3:11: header: invalid header name \"X TLS\"; use 1 to 64 letters, digits "
	    "and '-'" },
	{ "bad authserv", "version: 1\nsettings:\n  authserv_id: \"mx;x\"\n",
	    "t.yaml:3:16: authserv_id: invalid authserv-id \"mx;x\"; use 1 to 255 letters, "
	    "digits, '.', '-' and '_'" },
	{ "bad missing", "version: 1\nsettings:\n  on_missing_macros: reject\n",
	    "t.yaml:3:22: on_missing_macros: expected tempfail or accept, got \"reject\"" },
	{ "bad action", "version: 1\ndefaults:\n  action: drop\n",
	    "t.yaml:3:11: action: expected tag, defer, reject or quarantine, got \"drop\"" },
	{ "action accept", "version: 1\ndefaults:\n  action: accept\n",
	    "t.yaml:3:11: action: expected tag, defer, reject or quarantine, got \"accept\"" },
	{ "bad tls version", "version: 1\ndefaults:\n  require: {min_version: TLSv1.4}\n",
	    "t.yaml:3:26: min_version: expected TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3, got "
	    "\"TLSv1.4\"" },
	{ "tls version typo", "version: 1\ndefaults:\n  require: {min_version: TLS1.3}\n",
	    "t.yaml:3:26: min_version: unknown value \"TLS1.3\"; did you mean \"TLSv1.3\"?" },
	{ "bits range", "version: 1\ndefaults:\n  require: {min_cipher_bits: 0}\n",
	    "t.yaml:3:30: min_cipher_bits: expected an integer from 1 to 1024, got \"0\"" },
	{ "tls false and pfs", "version: 1\ndefaults:\n  require: {tls: false, pfs: true}\n",
	    "t.yaml:3:18: tls: false contradicts the other requirements of this block, "
	    "which need TLS" },
	{ "reply bad code", "version: 1\ndefaults:\n  action: reject\n  reply: \"55 no\"\n",
	    "t.yaml:4:10: reply: bad reply code; expected \"NNN X.Y.Z text\" (as in \"550 5.7.1 "
	    "text\") or a text that does not start with a digit" },
	{ "reply success code", "version: 1\ndefaults:\n  action: reject\n  reply: \"250 ok\"\n",
	    "t.yaml:4:10: reply: code 250 is not a failure code; use 4xx with defer or 5xx "
	    "with reject" },
	{ "reply class", "version: 1\ndefaults:\n  action: defer\n  reply: \"550 5.7.1 no\"\n",
	    "t.yaml:4:10: reply: code 550 does not fit action defer; use a 4xx code with a "
	    "4.x.x enhanced code" },
	{ "reply xcode class", "version: 1\ndefaults:\n  action: reject\n  reply: \"550 4.7.1 no\"\n",
	    "t.yaml:4:10: reply: enhanced code 4.7.1 does not match reply code 550" },
	{ "reply bad xcode", "version: 1\ndefaults:\n  action: reject\n  reply: \"550 5.7 no\"\n",
	    "t.yaml:4:10: reply: bad enhanced status code \"5.7\"; expected X.Y.Z, as in 5.7.1" },
	{ "reply crlf", "version: 1\ndefaults:\n  action: reject\n  reply: \"no\\r\\nway\"\n",
	    "t.yaml:4:10: reply: must be one line (it contains CR or LF)" },
	{ "reply percent", "version: 1\ndefaults:\n  action: reject\n  reply: \"100% no\"\n",
	    "t.yaml:4:10: reply: '%' is not allowed in a reply" },
	{ "reply non-ascii", "version: 1\ndefaults:\n  action: reject\n  reply: \"\xc3\xa9\"\n",
	    "t.yaml:4:10: reply: only printable ASCII characters are allowed" },
	{ "reply no text", "version: 1\ndefaults:\n  action: reject\n  reply: \"550 5.7.1\"\n",
	    "t.yaml:4:10: reply: no text after the reply code" },
	{ "reply on tag", "version: 1\ndefaults:\n  reply: \"no\"\n",
	    "t.yaml:3:10: reply: a reply is only sent with action defer or reject, not tag" },
	{ "reply on quarantine", P1 "    action: quarantine\n    reply: \"no\"\n",
	    "t.yaml:7:12: reply: a reply is only sent with action defer or reject, not "
	    "quarantine" },
	{ "empty partner", "version: 1\npartners:\n  - name: a\n    match: {}\n",
	    "t.yaml:4:12: partner \"a\" has no selector; list at least one entry under "
	    "sender_domains, client_hosts, client_ips or recipient_domains" },
	{ "empty lists", "version: 1\npartners:\n  - name: a\n    match:\n      sender_domains: []\n",
	    "t.yaml:5:7: partner \"a\" has no selector; list at least one entry under "
	    "sender_domains, client_hosts, client_ips or recipient_domains" },
	{ "no match", "version: 1\npartners:\n  - name: a\n",
	    "t.yaml:3:5: partner \"a\": missing required key \"match\"" },
	{ "no name", "version: 1\npartners:\n  - match: {sender_domains: [a.example]}\n",
	    "t.yaml:3:5: partner #1: missing required key \"name\"" },
	{ "empty name", "version: 1\npartners:\n  - name: \"\"\n    match: {sender_domains: [a.b]}\n",
	    "t.yaml:3:11: name: empty partner name" },
	{ "bad name", "version: 1\npartners:\n  - name: a b\n    match: {sender_domains: [a.b]}\n",
	    "t.yaml:3:11: name: invalid partner name \"a b\"; use 1 to 64 letters, digits, '.', "
	    "'_' or '-'" },
	{ "duplicate name", P1 "  - name: A\n    match: {sender_domains: [b.example]}\n",
	    "t.yaml:6:11: name: duplicate partner name \"A\" (first at line 3, column 11)" },
	{ "unknown partner key", P1 "    acton: reject\n",
	    "t.yaml:6:5: unknown key \"acton\" in partner \"a\"; did you mean \"action\"?" },
	{ "unknown match key", "version: 1\npartners:\n  - name: a\n    match:\n"
	    "      sender_domain: [a.example]\n",
	    "t.yaml:5:7: unknown key \"sender_domain\" in match; did you mean \"sender_domains\"?" },
	{ "invalid domain", "version: 1\npartners:\n  - name: a\n    match:\n"
	    "      sender_domains: [\"exa mple.org\"]\n",
	    "t.yaml:5:24: sender_domains: invalid domain \"exa mple.org\": character ' ' is not "
	    "allowed" },
	{ "invalid host pattern", "version: 1\npartners:\n  - name: a\n    match:\n"
	    "      client_hosts: [\"mx*.example.org\"]\n",
	    "t.yaml:5:22: client_hosts: invalid host pattern \"mx*.example.org\": '*' is allowed "
	    "only as the whole first label, as in \"*.example.org\"" },
	{ "cidr /33", "version: 1\npartners:\n  - name: a\n    match:\n"
	    "      client_ips: [10.0.0.0/33]\n",
	    "t.yaml:5:20: client_ips: invalid CIDR \"10.0.0.0/33\": prefix length must be a "
	    "number from 0 to 32" },
	{ "cidr 1.2.3", "version: 1\npartners:\n  - name: a\n    match:\n"
	    "      client_ips: [1.2.3]\n",
	    "t.yaml:5:20: client_ips: invalid CIDR \"1.2.3\": not an IPv4 or IPv6 address" },
	{ "cidr host bits", "version: 1\nexempt:\n  client_ips: [10.1.2.3/8]\n",
	    "t.yaml:3:16: client_ips: invalid CIDR \"10.1.2.3/8\": host bits set; did you mean "
	    "10.0.0.0/8?" },
	{ "list item a mapping", "version: 1\nexempt:\n  client_ips: [{a: b}]\n",
	    "t.yaml:3:16: client_ips: expected an IP address or CIDR block, got a mapping" },
	{ "client_cert issuer empty", "version: 1\ndefaults:\n  require:\n    client_cert:\n"
	    "      issuer: \"\"\n", "t.yaml:5:15: issuer: empty value" },
	{ "nul in string", "version: 1\nsettings:\n  header: \"a\\0b\"\n",
	    "t.yaml:3:11: NUL character in a string" },
};

START_TEST(test_reject)
{
	const struct reject_case *tc = &reject_cases[_i];
	struct policy_diag diag;
	struct policy *policy = load(tc->yaml, &diag);

	ck_assert_msg(policy == NULL, "%s: got a policy, want none", tc->name);
	ck_assert_msg(diag.errors > 0 && diag.count > 0, "%s: got no error", tc->name);
	ck_assert_msg(!diag.entries[0].warning, "%s: got a warning first", tc->name);
	ck_assert_msg(strcmp(diag.entries[0].text, tc->want) == 0,
	    "%s: got\n%swant\n%s", tc->name, diag_text(&diag), tc->want);
	policy_diag_free(&diag);
}
END_TEST

START_TEST(test_all_errors_in_order)
{
	static const char yaml[] =
	    "settings:\n"
	    "  mode: x\n"
	    "partners:\n"
	    "  - name: a\n"
	    "    match: {client_ips: [1.2.3]}\n"
	    "    action: drop\n"
	    "exempt:\n"
	    "  authenticated: 1\n";
	static const char *const want[] = {
		"t.yaml:1:1: missing required key \"version\" (add \"version: 1\")",
		"t.yaml:2:9: mode: expected enforce or testing, got \"x\"",
		"t.yaml:5:26: client_ips: invalid CIDR \"1.2.3\": not an IPv4 or IPv6 address",
		"t.yaml:6:13: action: expected tag, defer, reject or quarantine, got \"drop\"",
		"t.yaml:8:18: authenticated: expected true or false, got \"1\"",
	};
	struct policy_diag diag;
	struct policy *policy = load(yaml, &diag);
	size_t i;

	ck_assert_ptr_null(policy);
	ck_assert_msg(diag.count == 5 && diag.errors == 5, "got %zu diagnostics:\n%s, want 5",
	    diag.count, diag_text(&diag));
	for (i = 0; i < 5; i++)
		ck_assert_msg(strcmp(diag.entries[i].text, want[i]) == 0, "line %zu: got\n%swant %s",
		    i, diag_text(&diag), want[i]);
	policy_diag_free(&diag);
}
END_TEST

START_TEST(test_big_mapping_duplicate)
{
	const char *want = "t.yaml:23:3: duplicate key \"k3\" (first at line 6, column 3)";
	struct policy_diag diag;
	char yaml[1024];
	size_t len;
	size_t i;
	bool found = false;

	/* Past 16 keys the tree finds duplicates through a hash, not a scan. */
	len = (size_t)snprintf(yaml, sizeof(yaml), "version: 1\nsettings:\n");
	for (i = 0; i < 20; i++)
		len += (size_t)snprintf(yaml + len, sizeof(yaml) - len, "  k%zu: 1\n", i);
	snprintf(yaml + len, sizeof(yaml) - len, "  k3: 2\n");
	ck_assert_ptr_null(load(yaml, &diag));
	for (i = 0; i < diag.count; i++)
		found |= strcmp(diag.entries[i].text, want) == 0;
	ck_assert_msg(found, "got\n%swant a line %s", diag_text(&diag), want);
	ck_assert_uint_eq(diag.count, 22);	/* 21 unknown keys and the duplicate */
	policy_diag_free(&diag);
}
END_TEST

START_TEST(test_shared_selector_warning)
{
	static const char yaml[] =
	    "version: 1\n"
	    "partners:\n"
	    "  - name: first\n"
	    "    match: {sender_domains: [example.org, example.org]}\n"
	    "  - name: second\n"
	    "    match: {sender_domains: [Example.ORG.], client_ips: [192.0.2.0/24]}\n"
	    "  - name: third\n"
	    "    match: {client_ips: [\"192.0.2.0/24\"]}\n";
	static const char *const want[] = {
		"t.yaml:4:43: warning: sender_domains \"example.org\" is listed twice in partner "
		    "\"first\" (first at line 4, column 30)",
		"t.yaml:6:30: warning: sender_domains \"Example.ORG.\" of partner \"second\" is "
		    "also listed by partner \"first\" at line 4, column 30; the first partner in "
		    "the file wins",
		"t.yaml:8:26: warning: client_ips \"192.0.2.0/24\" of partner \"third\" is also "
		    "listed by partner \"second\" at line 6, column 58; the first partner in the "
		    "file wins",
	};
	struct policy_match match;
	struct policy_diag diag;
	struct policy *policy = load(yaml, &diag);
	size_t i;

	ck_assert_msg(policy != NULL, "got no policy:\n%s", diag_text(&diag));
	ck_assert_msg(diag.count == 3 && diag.errors == 0, "got:\n%s", diag_text(&diag));
	for (i = 0; i < 3; i++)
		ck_assert_msg(diag.entries[i].warning && strcmp(diag.entries[i].text, want[i]) == 0,
		    "got\n%swant %s", diag_text(&diag), want[i]);
	ck_assert(domain_index_lookup(policy->sender_domains, "example.org", &match));
	ck_assert_msg(match.partner == 0, "got partner %zu, want 0 (first)", match.partner);
	ck_assert_uint_eq(policy_selector_count(policy), 5);
	policy_unref(policy);
	policy_diag_free(&diag);
}
END_TEST

START_TEST(test_accept_full)
{
	static const char yaml[] =
	    "version: 1\n"
	    "settings:\n"
	    "  mode: testing\n"
	    "  header: X-Partner-TLS\n"
	    "  authserv_id: mx.example.org\n"
	    "  on_missing_macros: accept\n"
	    "exempt:\n"
	    "  client_ips: [127.0.0.0/8, \"::1\"]\n"
	    "  authenticated: false\n"
	    "defaults:\n"
	    "  require: {tls: true}\n"
	    "  action: defer\n"
	    "  reply: \"Please use TLS\"\n"
	    "partners:\n"
	    "  - name: yandex\n"
	    "    mode: enforce\n"
	    "    match:\n"
	    "      sender_domains: [yandex.ru, \"*.yandex.ru\"]\n"
	    "      client_hosts: [\"*.mail.yandex.net\"]\n"
	    "      client_ips: [192.0.2.0/24, \"2001:db8::/32\"]\n"
	    "      recipient_domains:\n"
	    "    require:\n"
	    "      min_version: TLSv1.2\n"
	    "      pfs: true\n"
	    "      min_cipher_bits: 128\n"
	    "      client_cert:\n"
	    "        issuer: Example CA\n"
	    "        subject: CN=mx.yandex.ru,O=Yandex\n"
	    "    action: reject\n"
	    "    reply: \"550 5.7.1 Use TLS 1.2\"\n"
	    "  - name: rcpt\n"
	    "    match: {recipient_domains: [secure.example.org]}\n"
	    "    require:\n"
	    "    action: quarantine\n";
	struct policy_diag diag;
	struct policy *policy = load(yaml, &diag);
	const struct policy_partner *p;

	ck_assert_msg(policy != NULL && diag.count == 0, "got:\n%s", diag_text(&diag));
	ck_assert_str_eq(policy_file(policy), "t.yaml");
	ck_assert_uint_eq(policy_partner_count(policy), 2);
	ck_assert_uint_eq(policy_selector_count(policy), 6);
	ck_assert_int_eq(policy_mode(policy), POLICY_MODE_TESTING);
	ck_assert_str_eq(policy_header_name(policy), "X-Partner-TLS");
	ck_assert_str_eq(policy_authserv_id(policy), "mx.example.org");
	ck_assert_int_eq(policy_on_missing_macros(policy), POLICY_MISSING_ACCEPT);
	ck_assert(policy_has_recipient_selectors(policy));
	ck_assert(!policy->exempt_authenticated);
	ck_assert_ptr_nonnull(policy->exempt_ips);

	ck_assert_str_eq(policy_partner_name(&policy->defaults), "default");
	ck_assert(policy->defaults.require.tls);
	ck_assert_int_eq(policy->defaults.action, POLICY_ACTION_DEFER);
	ck_assert(policy->defaults.reply.set);
	ck_assert_str_eq(policy->defaults.reply.rcode, "");
	ck_assert_str_eq(policy->defaults.reply.text, "Please use TLS");

	p = &policy->partners[0];
	ck_assert_str_eq(policy_partner_name(p), "yandex");
	ck_assert_uint_eq(p->index, 0);
	ck_assert_uint_eq(p->line, 15);
	ck_assert(p->mode_set && p->mode == POLICY_MODE_ENFORCE);
	ck_assert(p->require.tls && p->require.pfs);
	ck_assert_int_eq(p->require.min_version, TLS_VERSION_TLSV1_2);
	ck_assert_int_eq(p->require.min_cipher_bits, 128);
	ck_assert(p->require.cert_required && p->require.cert_verified);
	ck_assert_str_eq(p->require.cert_issuer, "Example CA");
	ck_assert_str_eq(p->require.cert_subject, "CN=mx.yandex.ru,O=Yandex");
	ck_assert_int_eq(p->action, POLICY_ACTION_REJECT);
	ck_assert_str_eq(p->reply.rcode, "550");
	ck_assert_str_eq(p->reply.xcode, "5.7.1");
	ck_assert_str_eq(p->reply.text, "Use TLS 1.2");

	p = &policy->partners[1];
	ck_assert(!p->mode_set);
	ck_assert(!p->require.tls && p->require.min_version == TLS_VERSION_NONE);
	ck_assert_int_eq(p->action, POLICY_ACTION_QUARANTINE);
	ck_assert(!p->reply.set);
	policy_unref(policy);
	policy_diag_free(&diag);
}
END_TEST

START_TEST(test_accept_minimal)
{
	struct policy_diag diag;
	struct policy *policy = load("version: 1\n", &diag);

	ck_assert_msg(policy != NULL && diag.count == 0, "got:\n%s", diag_text(&diag));
	ck_assert_uint_eq(policy_partner_count(policy), 0);
	ck_assert_uint_eq(policy_selector_count(policy), 0);
	ck_assert_int_eq(policy_mode(policy), POLICY_MODE_ENFORCE);
	ck_assert_str_eq(policy_header_name(policy), "X-TLS-Policy");
	ck_assert_ptr_null(policy_authserv_id(policy));
	ck_assert_int_eq(policy_on_missing_macros(policy), POLICY_MISSING_TEMPFAIL);
	ck_assert(!policy_has_recipient_selectors(policy));
	ck_assert(policy->exempt_authenticated);
	ck_assert_int_eq(policy->defaults.action, POLICY_ACTION_TAG);
	ck_assert(!policy->defaults.require.tls);
	policy_unref(policy);
	policy_diag_free(&diag);
}
END_TEST

START_TEST(test_accept_empty_values)
{
	static const char yaml[] =
	    "version: 1\nsettings:\nexempt:\n  client_ips:\ndefaults:\npartners:\n";
	struct policy_diag diag;
	struct policy *policy = load(yaml, &diag);

	ck_assert_msg(policy != NULL && diag.count == 0, "got:\n%s", diag_text(&diag));
	ck_assert_ptr_null(policy->exempt_ips);
	policy_unref(policy);
	policy_diag_free(&diag);
}
END_TEST

START_TEST(test_example)
{
	struct policy_diag diag;
	struct policy *policy;
	struct policy_match match;
	struct ip_addr addr;
	static const struct {
		const char *domain;
		const char *partner;
		enum policy_action action;
	} senders[] = {
		{ "yandex.ru", "yandex", POLICY_ACTION_REJECT },
		{ "gmail.com", "google", POLICY_ACTION_DEFER },
		{ "mail.ru", "mailru", POLICY_ACTION_QUARANTINE },
		{ "outlook.com", "microsoft", POLICY_ACTION_REJECT },
	};
	const struct policy_partner *p;
	size_t i;

	policy_diag_init(&diag);
	policy = policy_load_file(unit_data_path("contrib/policy.example.yaml"), &diag);
	ck_assert_msg(policy != NULL && diag.count == 0, "got:\n%s", diag_text(&diag));
	for (i = 0; i < sizeof(senders) / sizeof(senders[0]); i++) {
		ck_assert_msg(domain_index_lookup(policy->sender_domains, senders[i].domain, &match),
		    "%s: no partner", senders[i].domain);
		p = &policy->partners[match.partner];
		ck_assert_msg(strcmp(p->name, senders[i].partner) == 0 &&
		    p->action == senders[i].action, "%s: got %s/%s, want %s/%s",
		    senders[i].domain, p->name, policy_action_name(p->action),
		    senders[i].partner, policy_action_name(senders[i].action));
	}
	p = &policy->partners[0];
	ck_assert(p->require.min_version == TLS_VERSION_TLSV1_2 && p->require.pfs);
	ck_assert(!p->mode_set || p->mode == POLICY_MODE_ENFORCE);
	ck_assert(!policy->partners[2].require.pfs && policy->partners[2].require.tls);
	ck_assert(policy->partners[3].mode_set &&
	    policy->partners[3].mode == POLICY_MODE_TESTING);
	ck_assert(policy_has_recipient_selectors(policy));
	ck_assert_int_eq(policy->defaults.action, POLICY_ACTION_TAG);
	ip_addr_parse("127.0.0.1", &addr);
	ck_assert(cidr_index_lookup(policy->exempt_ips, &addr, &match));
	ip_addr_parse("127.0.0.2", &addr);
	ck_assert(!cidr_index_lookup(policy->exempt_ips, &addr, &match));
	policy_unref(policy);
	policy_diag_free(&diag);
}
END_TEST

START_TEST(test_many_partners)
{
	const size_t count = 100000;
	size_t size = count * 160 + 64;
	char *yaml = malloc(size);
	size_t len;
	size_t i;
	struct policy_diag diag;
	struct policy *policy;
	struct policy_match match;
	struct ip_addr addr;
	char name[64];

	ck_assert_ptr_nonnull(yaml);
	len = (size_t)snprintf(yaml, size, "version: 1\npartners:\n");
	for (i = 0; i < count; i++)
		len += (size_t)snprintf(yaml + len, size - len,
		    "  - name: p%zu\n    match:\n      sender_domains: [p%zu.example, \"*.p%zu.example\"]\n"
		    "      client_ips: [\"10.%zu.%zu.%zu\"]\n    action: reject\n",
		    i, i, i, i >> 16, (i >> 8) & 255, i & 255);
	ck_assert(len < size);
	policy_diag_init(&diag);
	policy = policy_load_buffer("many.yaml", yaml, len, &diag);
	free(yaml);
	ck_assert_msg(policy != NULL && diag.count == 0, "got:\n%s", diag_text(&diag));
	ck_assert_uint_eq(policy_partner_count(policy), count);
	ck_assert_uint_eq(policy_selector_count(policy), 3 * count);
	for (i = 0; i < count; i += 9973) {
		snprintf(name, sizeof(name), "mx.p%zu.example", i);
		ck_assert_msg(domain_index_lookup(policy->sender_domains, name, &match) &&
		    match.partner == i, "%s: got partner %zu, want %zu", name, match.partner, i);
		snprintf(name, sizeof(name), "10.%zu.%zu.%zu", i >> 16, (i >> 8) & 255, i & 255);
		ip_addr_parse(name, &addr);
		ck_assert_msg(cidr_index_lookup(policy->client_ips, &addr, &match) &&
		    match.partner == i, "%s: got partner %zu, want %zu", name, match.partner, i);
		snprintf(name, sizeof(name), "p%zu", i);
		ck_assert_str_eq(policy->partners[i].name, name);
	}
	ck_assert(!domain_index_lookup(policy->sender_domains, "p100000.example", &match));
	policy_unref(policy);
	policy_diag_free(&diag);
}
END_TEST

START_TEST(test_refcount)
{
	struct policy_diag diag;
	struct policy *policy = load(P1, &diag);

	ck_assert_ptr_nonnull(policy);
	ck_assert_ptr_eq(policy_ref(policy), policy);
	ck_assert_ptr_eq(policy_ref(policy), policy);
	policy_unref(policy);
	policy_unref(policy);
	ck_assert_str_eq(policy_partner_name(&policy->partners[0]), "a");
	policy_unref(policy);		/* the last one frees: ASan checks */
	policy_unref(NULL);
	policy_diag_free(&diag);
}
END_TEST

START_TEST(test_unreadable)
{
	struct policy_diag diag;
	char want[256];

	policy_diag_init(&diag);
	ck_assert_ptr_null(policy_load_file("/nonexistent/policy.yaml", &diag));
	snprintf(want, sizeof(want), "/nonexistent/policy.yaml: cannot read: %s",
	    strerror(ENOENT));
	ck_assert_msg(diag.count == 1 && strcmp(diag.entries[0].text, want) == 0,
	    "got\n%swant %s", diag_text(&diag), want);
	policy_diag_free(&diag);

	ck_assert_ptr_null(policy_load_file("/", &diag));
	snprintf(want, sizeof(want), "/: cannot read: %s", strerror(EISDIR));
	ck_assert_msg(diag.count == 1 && strcmp(diag.entries[0].text, want) == 0,
	    "got\n%swant %s", diag_text(&diag), want);
	policy_diag_free(&diag);

	ck_assert_ptr_null(policy_load_buffer("big.yaml", "version: 1\n",
	    (size_t)64 * 1024 * 1024 + 1, &diag));
	ck_assert_msg(diag.count == 1 &&
	    strcmp(diag.entries[0].text, "big.yaml: file larger than 64 MiB") == 0,
	    "got\n%s", diag_text(&diag));
	policy_diag_free(&diag);
}
END_TEST

START_TEST(test_names)
{
	enum policy_action action;

	ck_assert_str_eq(policy_mode_name(POLICY_MODE_TESTING), "testing");
	ck_assert_str_eq(policy_action_name(POLICY_ACTION_QUARANTINE), "quarantine");
	ck_assert_str_eq(policy_selector_name(POLICY_SELECTOR_EXEMPT_AUTH),
	    "exempt_authenticated");
	ck_assert_str_eq(policy_selector_name(POLICY_SELECTOR_NONE), "none");
	ck_assert_int_eq(policy_action_parse("defer", &action), 0);
	ck_assert_int_eq(action, POLICY_ACTION_DEFER);
	ck_assert_int_eq(policy_action_parse("Defer", &action), -1);
}
END_TEST

START_TEST(test_diag)
{
	struct policy_diag diag;

	policy_diag_init(&diag);
	policy_diag_add(&diag, true, "f", 3, 4, "w %d", 1);
	policy_diag_add(&diag, false, "f", 0, 0, "no position");
	policy_diag_add(&diag, false, "f", 5, 6, "e");
	ck_assert_uint_eq(diag.count, 3);
	ck_assert_uint_eq(diag.errors, 2);
	ck_assert_str_eq(diag.entries[0].text, "f:3:4: warning: w 1");
	ck_assert_str_eq(diag.entries[1].text, "f: no position");
	ck_assert_str_eq(diag.entries[2].text, "f:5:6: e");
	policy_diag_free(&diag);
	ck_assert_uint_eq(diag.count, 0);
	policy_diag_free(&diag);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *suite = suite_create("loader");
	TCase *tc = tcase_create("loader");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_reject, 0, sizeof(reject_cases) / sizeof(reject_cases[0]));
	tcase_add_test(tc, test_all_errors_in_order);
	tcase_add_test(tc, test_big_mapping_duplicate);
	tcase_add_test(tc, test_shared_selector_warning);
	tcase_add_test(tc, test_accept_full);
	tcase_add_test(tc, test_accept_minimal);
	tcase_add_test(tc, test_accept_empty_values);
	tcase_add_test(tc, test_example);
	tcase_add_test(tc, test_many_partners);
	tcase_add_test(tc, test_refcount);
	tcase_add_test(tc, test_unreadable);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_diag);
	suite_add_tcase(suite, tc);
	return suite;
}
