/*
 * test_domain.c - domain name normalization and the domain index.
 *
 * Tables of named cases: what domain_normalize() accepts and how it
 * spells the result, what it refuses and why, what domain_lookup_key()
 * makes of names from a session, and which partner the index answers
 * for exact and wildcard patterns, at label boundaries, with precedence
 * by partner number.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "policy_int.h"
#include "unit.h"

struct normalize_case {
	const char *name;
	const char *text;
	bool wildcard;
	const char *want;		/* NULL: must fail */
	const char *want_err;		/* substring of the reason when failing */
};

static const struct normalize_case normalize_cases[] = {
	{ "plain", "example.org", true, "example.org", NULL },
	{ "upper case", "ExAmPle.ORG", true, "example.org", NULL },
	{ "trailing dot", "example.org.", true, "example.org", NULL },
	{ "wildcard kept", "*.Example.org", true, "*.example.org", NULL },
	{ "wildcard trailing dot", "*.example.org.", true, "*.example.org", NULL },
	{ "idn a-labels", "xn--d1acpjx3f.xn--p1ai", true, "xn--d1acpjx3f.xn--p1ai", NULL },
	{ "idn upper", "XN--D1ACPJX3F.XN--P1AI", true, "xn--d1acpjx3f.xn--p1ai", NULL },
	{ "underscore", "_dmarc.example.org", true, "_dmarc.example.org", NULL },
	{ "single label", "localhost", true, "localhost", NULL },
	{ "digits inside", "1.example.org", true, "1.example.org", NULL },
	{ "hyphen inside", "mx-1.example.org", true, "mx-1.example.org", NULL },
	{ "label of 63", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org",
	    true, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org", NULL },
	{ "label of 64", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.org",
	    true, NULL, "label longer than 63" },
	{ "empty", "", true, NULL, "empty name" },
	{ "only a dot", ".", true, NULL, "empty name" },
	{ "empty label", "a..example.org", true, NULL, "empty label" },
	{ "leading dot", ".example.org", true, NULL, "empty label" },
	{ "two trailing dots", "example.org..", true, NULL, "empty label" },
	{ "leading hyphen", "-a.example.org", true, NULL, "starts or ends with '-'" },
	{ "trailing hyphen", "a-.example.org", true, NULL, "starts or ends with '-'" },
	{ "space", "exa mple.org", true, NULL, "character ' ' is not allowed" },
	{ "utf-8", "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84", true,
	    NULL, "A-labels" },
	{ "empty a-label", "xn--.example", true, NULL, "empty A-label" },
	{ "wildcard not first", "mx.*.example.org", true, NULL, "whole first label" },
	{ "wildcard glued", "*mx.example.org", true, NULL, "whole first label" },
	{ "wildcard alone", "*", true, NULL, "needs a suffix" },
	{ "wildcard dot", "*.", true, NULL, "needs a suffix" },
	{ "wildcard refused", "*.example.org", false, NULL, "not allowed here" },
	{ "ip address", "192.0.2.1", true, NULL, "all digits" },
	{ "address literal", "[192.0.2.1]", true, NULL, "'['" },
	{ "control byte", "a\x01.org", true, NULL, "control character 0x01" },
};

START_TEST(test_normalize)
{
	const struct normalize_case *tc = &normalize_cases[_i];
	char out[256];
	char err[160] = "";
	int status;

	status = domain_normalize(tc->text, tc->wildcard, out, sizeof(out), err, sizeof(err));
	if (tc->want != NULL) {
		ck_assert_msg(status == 0, "%s: got error \"%s\", want \"%s\"", tc->name, err,
		    tc->want);
		ck_assert_msg(strcmp(out, tc->want) == 0, "%s: got \"%s\", want \"%s\"",
		    tc->name, out, tc->want);
	} else {
		ck_assert_msg(status < 0, "%s: got \"%s\", want an error", tc->name, out);
		ck_assert_msg(strstr(err, tc->want_err) != NULL,
		    "%s: got reason \"%s\", want one containing \"%s\"", tc->name, err,
		    tc->want_err);
	}
}
END_TEST

START_TEST(test_normalize_lengths)
{
	char name[300];
	char out[256];
	char err[160];
	size_t i;

	/* 4 labels of 63 and dots: 255 bytes, over the 253 limit. */
	for (i = 0; i < 4; i++) {
		memset(name + i * 64, 'a', 63);
		name[i * 64 + 63] = '.';
	}
	name[255] = '\0';
	ck_assert_msg(domain_normalize(name, true, out, sizeof(out), err, sizeof(err)) < 0,
	    "255-byte name: got accepted, want an error");
	ck_assert_msg(strstr(err, "longer than 253") != NULL, "255-byte name: got \"%s\"", err);
	/* 253 bytes: 3 labels of 63, one of 61. */
	name[4 * 64 - 3] = '\0';
	name[4 * 64 - 4] = 'z';
	ck_assert_msg(strlen(name) == 253, "got length %zu, want 253", strlen(name));
	ck_assert_msg(domain_normalize(name, true, out, sizeof(out), err, sizeof(err)) == 0,
	    "253-byte name: got error \"%s\", want accepted", err);
	/* The same with a trailing dot is still 253. */
	strcat(name, ".");
	ck_assert_msg(domain_normalize(name, true, out, sizeof(out), err, sizeof(err)) == 0,
	    "253-byte name with dot: got error \"%s\", want accepted", err);
}
END_TEST

struct key_case {
	const char *name;
	const char *text;
	const char *want;		/* NULL: must fail */
};

static const struct key_case key_cases[] = {
	{ "plain", "mail.example.org", "mail.example.org" },
	{ "upper", "MAIL.Example.ORG", "mail.example.org" },
	{ "trailing dot", "example.org.", "example.org" },
	{ "empty", "", NULL },
	{ "only dot", ".", NULL },
	{ "empty label", "a..b", NULL },
	{ "leading dot", ".a.b", NULL },
	{ "address literal", "[192.0.2.1]", NULL },
	{ "space", "a b.org", NULL },
	{ "percent", "a%b.org", NULL },
	{ "utf-8", "\xc3\xa9.org", NULL },
};

START_TEST(test_lookup_key)
{
	const struct key_case *tc = &key_cases[_i];
	char out[256];
	int status = domain_lookup_key(tc->text, out, sizeof(out));

	if (tc->want == NULL) {
		ck_assert_msg(status < 0, "%s: got \"%s\", want an error", tc->name, out);
		return;
	}
	ck_assert_msg(status == 0, "%s: got an error, want \"%s\"", tc->name, tc->want);
	ck_assert_msg(strcmp(out, tc->want) == 0, "%s: got \"%s\", want \"%s\"", tc->name, out,
	    tc->want);
}
END_TEST

START_TEST(test_lookup_key_too_long)
{
	char name[400];
	char out[256];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert_msg(domain_lookup_key(name, out, sizeof(out)) < 0,
	    "399-byte name: got accepted, want an error");
	memset(name, 'a', 64);
	strcpy(name + 64, ".org");
	ck_assert_msg(domain_lookup_key(name, out, sizeof(out)) < 0,
	    "64-byte label: got accepted, want an error");
}
END_TEST

/* The index the lookup cases run against; partner numbers are file order. */
static const struct {
	const char *pattern;
	size_t partner;
} index_patterns[] = {
	{ "example.org", 3 },
	{ "*.example.org", 2 },
	{ "mail.example.org", 4 },
	{ "*.mail.example.org", 1 },
	{ "*.example.net", 5 },
	{ "example.net", 6 },
	{ "*.ru", 9 },
	{ "yandex.ru", 7 },
	{ "xn--d1acpjx3f.xn--p1ai", 8 },
};

struct index_case {
	const char *name;
	const char *lookup;
	bool hit;
	size_t partner;
	const char *pattern;
};

static const struct index_case index_cases[] = {
	{ "exact", "example.org", true, 3, "example.org" },
	{ "wildcard, not the suffix itself", "example.net", true, 6, "example.net" },
	{ "subdomain by wildcard", "a.example.org", true, 2, "*.example.org" },
	{ "deep subdomain", "a.b.c.example.org", true, 2, "*.example.org" },
	{ "exact loses to lower wildcard", "mail.example.org", true, 2, "*.example.org" },
	{ "narrower wildcard wins when first", "x.mail.example.org", true, 1,
	    "*.mail.example.org" },
	{ "label boundary", "notexample.org", false, 0, NULL },
	{ "label boundary in wildcard", "xexample.net", false, 0, NULL },
	{ "other tld", "example.com", false, 0, NULL },
	{ "suffix only", "org", false, 0, NULL },
	{ "tld wildcard", "mail.ru", true, 9, "*.ru" },
	{ "exact beats later tld wildcard", "yandex.ru", true, 7, "yandex.ru" },
	{ "subdomain falls to tld wildcard", "mx.yandex.ru", true, 9, "*.ru" },
	{ "idn", "xn--d1acpjx3f.xn--p1ai", true, 8, "xn--d1acpjx3f.xn--p1ai" },
};

START_TEST(test_index_lookup)
{
	const struct index_case *tc = &index_cases[_i];
	struct domain_index *index = domain_index_new();
	struct policy_match match;
	size_t i;
	bool hit;

	ck_assert_ptr_nonnull(index);
	for (i = 0; i < sizeof(index_patterns) / sizeof(index_patterns[0]); i++)
		ck_assert_int_eq(domain_index_add(index, index_patterns[i].pattern,
		    index_patterns[i].partner, (unsigned)i + 1, 1, NULL), 0);
	hit = domain_index_lookup(index, tc->lookup, &match);
	ck_assert_msg(hit == tc->hit, "%s: got hit=%d, want %d", tc->name, hit, tc->hit);
	if (hit) {
		ck_assert_msg(match.partner == tc->partner, "%s: got partner %zu, want %zu",
		    tc->name, match.partner, tc->partner);
		ck_assert_msg(strcmp(match.pattern, tc->pattern) == 0,
		    "%s: got pattern \"%s\", want \"%s\"", tc->name, match.pattern,
		    tc->pattern);
	}
	domain_index_free(index);
}
END_TEST

START_TEST(test_index_duplicate)
{
	struct domain_index *index = domain_index_new();
	struct policy_match previous;
	struct policy_match match;

	ck_assert_int_eq(domain_index_add(index, "example.org", 5, 10, 3, NULL), 0);
	ck_assert_int_eq(domain_index_add(index, "example.org", 7, 20, 4, &previous), 1);
	ck_assert_msg(previous.partner == 5 && previous.line == 10 && previous.column == 3,
	    "got previous partner %zu at %u:%u, want 5 at 10:3", previous.partner,
	    previous.line, previous.column);
	/* A lower partner added later still takes the key. */
	ck_assert_int_eq(domain_index_add(index, "example.org", 2, 30, 5, &previous), 1);
	ck_assert(domain_index_lookup(index, "example.org", &match));
	ck_assert_msg(match.partner == 2 && match.line == 30,
	    "got partner %zu at line %u, want 2 at line 30", match.partner, match.line);
	domain_index_free(index);
	domain_index_free(NULL);
}
END_TEST

START_TEST(test_index_many)
{
	struct domain_index *index = domain_index_new();
	struct policy_match match;
	char name[64];
	size_t i;

	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "%sp%zu.example", i % 2 ? "*." : "", i);
		ck_assert_int_eq(domain_index_add(index, name, i, 1, 1, NULL), 0);
	}
	for (i = 0; i < 20000; i += 997) {
		snprintf(name, sizeof(name), "%sp%zu.example", i % 2 ? "mx." : "", i);
		ck_assert_msg(domain_index_lookup(index, name, &match) && match.partner == i,
		    "%s: got partner %zu, want %zu", name, match.partner, i);
	}
	ck_assert(!domain_index_lookup(index, "p1.example", &match));
	ck_assert(!domain_index_lookup(index, "mx.p2.example", &match));
	domain_index_free(index);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *suite = suite_create("domain");
	TCase *tc = tcase_create("domain");

	tcase_add_loop_test(tc, test_normalize, 0,
	    sizeof(normalize_cases) / sizeof(normalize_cases[0]));
	tcase_add_test(tc, test_normalize_lengths);
	tcase_add_loop_test(tc, test_lookup_key, 0, sizeof(key_cases) / sizeof(key_cases[0]));
	tcase_add_test(tc, test_lookup_key_too_long);
	tcase_add_loop_test(tc, test_index_lookup, 0,
	    sizeof(index_cases) / sizeof(index_cases[0]));
	tcase_add_test(tc, test_index_duplicate);
	tcase_add_test(tc, test_index_many);
	suite_add_tcase(suite, tc);
	return suite;
}
