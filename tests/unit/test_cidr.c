/*
 * test_cidr.c - CIDR and address parsing, and the CIDR trie.
 *
 * Tables of named cases: blocks the policy may write and the errors for
 * those it may not; addresses as MTAs report them (brackets, "IPv6:",
 * IPv4-mapped); lookups at the first and last address of a block and
 * one outside, /0, /32, /128, nested blocks and precedence by partner
 * number.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "facts.h"
#include "policy_int.h"
#include "unit.h"

struct parse_case {
	const char *name;
	const char *text;
	int family;			/* 0: must fail */
	const char *want;		/* canonical address when ok; reason substring when not */
	unsigned prefix;
};

static const struct parse_case parse_cases[] = {
	{ "v4 block", "192.0.2.0/24", AF_INET, "192.0.2.0", 24 },
	{ "v4 host", "192.0.2.1", AF_INET, "192.0.2.1", 32 },
	{ "v4 /32", "192.0.2.1/32", AF_INET, "192.0.2.1", 32 },
	{ "v4 /0", "0.0.0.0/0", AF_INET, "0.0.0.0", 0 },
	{ "v6 block", "2001:db8::/32", AF_INET6, "2001:db8::", 32 },
	{ "v6 host", "::1", AF_INET6, "::1", 128 },
	{ "v6 /128", "2001:db8::1/128", AF_INET6, "2001:db8::1", 128 },
	{ "v6 /0", "::/0", AF_INET6, "::", 0 },
	{ "v4-mapped block", "::ffff:192.0.2.0/120", AF_INET, "192.0.2.0", 24 },
	{ "v4-mapped host", "::ffff:192.0.2.7", AF_INET, "192.0.2.7", 32 },
	{ "prefix 33", "10.0.0.0/33", 0, "from 0 to 32", 0 },
	{ "prefix 129", "2001:db8::/129", 0, "from 0 to 128", 0 },
	{ "three octets", "1.2.3", 0, "not an IPv4 or IPv6 address", 0 },
	{ "one number", "10", 0, "not an IPv4 or IPv6 address", 0 },
	{ "octet 256", "10.0.0.256", 0, "not an IPv4 or IPv6 address", 0 },
	{ "host bits v4", "10.1.2.3/8", 0, "host bits set; did you mean 10.0.0.0/8?", 0 },
	{ "host bits v6", "2001:db8::1/32", 0, "did you mean 2001:db8::/32?", 0 },
	{ "empty prefix", "10.0.0.0/", 0, "from 0 to 32", 0 },
	{ "signed prefix", "10.0.0.0/+8", 0, "from 0 to 32", 0 },
	{ "prefix junk", "10.0.0.0/8x", 0, "from 0 to 32", 0 },
	{ "empty", "", 0, "not an IPv4 or IPv6 address", 0 },
	{ "brackets", "[192.0.2.1]", 0, "not an IPv4 or IPv6 address", 0 },
	{ "name", "mail.example.org", 0, "not an IPv4 or IPv6 address", 0 },
	{ "zone", "fe80::1%eth0", 0, "not an IPv4 or IPv6 address", 0 },
};

START_TEST(test_cidr_parse)
{
	const struct parse_case *tc = &parse_cases[_i];
	struct cidr block;
	char err[160] = "";
	char text[INET6_ADDRSTRLEN];
	int status = cidr_parse(tc->text, &block, err, sizeof(err));

	if (tc->family == 0) {
		ck_assert_msg(status < 0, "%s: got accepted, want an error", tc->name);
		ck_assert_msg(strstr(err, tc->want) != NULL,
		    "%s: got reason \"%s\", want one containing \"%s\"", tc->name, err, tc->want);
		return;
	}
	ck_assert_msg(status == 0, "%s: got error \"%s\", want %s/%u", tc->name, err,
	    tc->want, tc->prefix);
	inet_ntop(block.family, block.bytes, text, sizeof(text));
	ck_assert_msg(block.family == tc->family && strcmp(text, tc->want) == 0 &&
	    block.prefix == tc->prefix, "%s: got %s/%u, want %s/%u", tc->name, text,
	    block.prefix, tc->want, tc->prefix);
}
END_TEST

struct addr_case {
	const char *name;
	const char *text;
	int family;			/* 0: must fail */
	const char *want;
};

static const struct addr_case addr_cases[] = {
	{ "v4", "192.0.2.1", AF_INET, "192.0.2.1" },
	{ "v6", "2001:db8::1", AF_INET6, "2001:db8::1" },
	{ "bracketed v4", "[192.0.2.1]", AF_INET, "192.0.2.1" },
	{ "IPv6: prefix", "IPv6:2001:db8::1", AF_INET6, "2001:db8::1" },
	{ "ipv6: lower case", "ipv6:2001:db8::1", AF_INET6, "2001:db8::1" },
	{ "bracketed IPv6:", "[IPv6:2001:db8::1]", AF_INET6, "2001:db8::1" },
	{ "v4-mapped", "::ffff:192.0.2.1", AF_INET, "192.0.2.1" },
	{ "bracketed v4-mapped", "[IPv6:::ffff:192.0.2.1]", AF_INET, "192.0.2.1" },
	{ "loopback v6", "::1", AF_INET6, "::1" },
	{ "empty", "", 0, NULL },
	{ "empty brackets", "[]", 0, NULL },
	{ "IPv6: with v4", "IPv6:192.0.2.1", 0, NULL },
	{ "three octets", "1.2.3", 0, NULL },
	{ "name", "unknown", 0, NULL },
	{ "half bracket", "[192.0.2.1", 0, NULL },
	{ "cidr", "192.0.2.0/24", 0, NULL },
};

START_TEST(test_ip_addr_parse)
{
	const struct addr_case *tc = &addr_cases[_i];
	struct ip_addr addr;
	char text[INET6_ADDRSTRLEN];
	int status = ip_addr_parse(tc->text, &addr);

	if (tc->family == 0) {
		ck_assert_msg(status < 0 && addr.family == 0,
		    "%s: got accepted (family %d), want an error", tc->name, addr.family);
		return;
	}
	ck_assert_msg(status == 0, "%s: got an error, want %s", tc->name, tc->want);
	inet_ntop(addr.family, addr.bytes, text, sizeof(text));
	ck_assert_msg(addr.family == tc->family && strcmp(text, tc->want) == 0,
	    "%s: got %s (family %d), want %s", tc->name, text, addr.family, tc->want);
}
END_TEST

START_TEST(test_ip_addr_null)
{
	struct ip_addr addr;

	ck_assert_int_lt(ip_addr_parse(NULL, &addr), 0);
	ck_assert_int_eq(addr.family, 0);
}
END_TEST

/* Blocks in the index: partner numbers are file order. */
static const struct {
	const char *block;
	size_t partner;
} trie_blocks[] = {
	{ "192.0.2.0/24", 3 },
	{ "192.0.2.128/25", 1 },
	{ "192.0.2.200/32", 5 },
	{ "10.0.0.0/8", 4 },
	{ "10.20.0.0/16", 6 },
	{ "198.51.100.7", 7 },
	{ "2001:db8::/32", 8 },
	{ "2001:db8:1::/48", 2 },
	{ "2001:db8:1::1/128", 9 },
	{ "::ffff:203.0.113.0/120", 10 },
};

struct trie_case {
	const char *name;
	const char *addr;
	bool hit;
	size_t partner;
	const char *pattern;
};

static const struct trie_case trie_cases[] = {
	{ "first of /24", "192.0.2.0", true, 3, "192.0.2.0/24" },
	{ "last of lower half", "192.0.2.127", true, 3, "192.0.2.0/24" },
	{ "first of /25 (lower partner)", "192.0.2.128", true, 1, "192.0.2.128/25" },
	{ "last of /25", "192.0.2.255", true, 1, "192.0.2.128/25" },
	{ "host route loses to wider first partner", "192.0.2.200", true, 1,
	    "192.0.2.128/25" },
	{ "one below /24", "192.0.1.255", false, 0, NULL },
	{ "one above /24", "192.0.3.0", false, 0, NULL },
	{ "first of /8", "10.0.0.0", true, 4, "10.0.0.0/8" },
	{ "last of /8", "10.255.255.255", true, 4, "10.0.0.0/8" },
	{ "nested later partner loses", "10.20.1.1", true, 4, "10.0.0.0/8" },
	{ "one above /8", "11.0.0.0", false, 0, NULL },
	{ "/32 exact", "198.51.100.7", true, 7, "198.51.100.7" },
	{ "/32 neighbour", "198.51.100.8", false, 0, NULL },
	{ "v6 first of /32", "2001:db8::", true, 8, "2001:db8::/32" },
	{ "v6 last of /32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true, 8,
	    "2001:db8::/32" },
	{ "v6 nested first partner", "2001:db8:1::5", true, 2, "2001:db8:1::/48" },
	{ "v6 /128 under lower /48", "2001:db8:1::1", true, 2, "2001:db8:1::/48" },
	{ "v6 one outside", "2001:db9::", false, 0, NULL },
	{ "v6 one below", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", false, 0, NULL },
	{ "v4-mapped block from v4 client", "203.0.113.9", true, 10, "::ffff:203.0.113.0/120" },
	{ "v4-mapped client in v4 block", "::ffff:192.0.2.5", true, 3, "192.0.2.0/24" },
	{ "v4 not in v6 blocks", "32.1.13.184", false, 0, NULL },
};

/* trie_new - the index of trie_blocks. */
static struct cidr_index *
trie_new(void)
{
	struct cidr_index *index = cidr_index_new();
	struct cidr block;
	char err[160];
	size_t i;

	ck_assert_ptr_nonnull(index);
	for (i = 0; i < sizeof(trie_blocks) / sizeof(trie_blocks[0]); i++) {
		ck_assert_msg(cidr_parse(trie_blocks[i].block, &block, err, sizeof(err)) == 0,
		    "%s: %s", trie_blocks[i].block, err);
		ck_assert_int_eq(cidr_index_add(index, &block, trie_blocks[i].block,
		    trie_blocks[i].partner, (unsigned)i + 1, 1, NULL), 0);
	}
	return index;
}

START_TEST(test_trie_lookup)
{
	const struct trie_case *tc = &trie_cases[_i];
	struct cidr_index *index = trie_new();
	struct policy_match match;
	struct ip_addr addr;
	bool hit;

	ck_assert_msg(ip_addr_parse(tc->addr, &addr) == 0, "%s: bad address", tc->name);
	hit = cidr_index_lookup(index, &addr, &match);
	ck_assert_msg(hit == tc->hit, "%s: got hit=%d, want %d", tc->name, hit, tc->hit);
	if (hit)
		ck_assert_msg(match.partner == tc->partner &&
		    strcmp(match.pattern, tc->pattern) == 0,
		    "%s: got partner %zu (%s), want %zu (%s)", tc->name, match.partner,
		    match.pattern, tc->partner, tc->pattern);
	cidr_index_free(index);
}
END_TEST

START_TEST(test_trie_default_route)
{
	struct cidr_index *index = cidr_index_new();
	struct policy_match match;
	struct ip_addr addr;
	struct cidr block;
	char err[160];

	cidr_parse("0.0.0.0/0", &block, err, sizeof(err));
	ck_assert_int_eq(cidr_index_add(index, &block, "0.0.0.0/0", 4, 1, 1, NULL), 0);
	cidr_parse("192.0.2.1", &block, err, sizeof(err));
	ck_assert_int_eq(cidr_index_add(index, &block, "192.0.2.1", 2, 2, 1, NULL), 0);
	ip_addr_parse("255.255.255.255", &addr);
	ck_assert_msg(cidr_index_lookup(index, &addr, &match) && match.partner == 4,
	    "255.255.255.255: got partner %zu, want 4", match.partner);
	ip_addr_parse("192.0.2.1", &addr);
	ck_assert_msg(cidr_index_lookup(index, &addr, &match) && match.partner == 2,
	    "192.0.2.1: got partner %zu, want 2", match.partner);
	ip_addr_parse("::1", &addr);
	ck_assert_msg(!cidr_index_lookup(index, &addr, &match), "::1: got a hit, want none");
	addr.family = 0;
	ck_assert_msg(!cidr_index_lookup(index, &addr, &match), "family 0: got a hit");
	cidr_index_free(index);
	cidr_index_free(NULL);
}
END_TEST

START_TEST(test_trie_duplicate)
{
	struct cidr_index *index = cidr_index_new();
	struct policy_match previous;
	struct cidr block;
	char err[160];

	cidr_parse("192.0.2.0/24", &block, err, sizeof(err));
	ck_assert_int_eq(cidr_index_add(index, &block, "192.0.2.0/24", 3, 7, 9, NULL), 0);
	ck_assert_int_eq(cidr_index_add(index, &block, "192.0.2.0/24", 5, 8, 9, &previous), 1);
	ck_assert_msg(previous.partner == 3 && previous.line == 7 && previous.column == 9,
	    "got previous partner %zu at %u:%u, want 3 at 7:9", previous.partner,
	    previous.line, previous.column);
	cidr_index_free(index);
}
END_TEST

START_TEST(test_trie_many)
{
	struct cidr_index *index = cidr_index_new();
	struct policy_match match;
	struct ip_addr addr;
	struct cidr block;
	char text[64];
	char err[160];
	size_t i;

	for (i = 0; i < 50000; i++) {
		snprintf(text, sizeof(text), "10.%zu.%zu.%zu", i >> 16, (i >> 8) & 255, i & 255);
		ck_assert_int_eq(cidr_parse(text, &block, err, sizeof(err)), 0);
		ck_assert_int_eq(cidr_index_add(index, &block, text, i, 1, 1, NULL), 0);
		snprintf(text, sizeof(text), "2001:db8:%zx::/48", i);
		ck_assert_int_eq(cidr_parse(text, &block, err, sizeof(err)), 0);
		ck_assert_int_eq(cidr_index_add(index, &block, text, i, 1, 1, NULL), 0);
	}
	for (i = 0; i < 50000; i += 1009) {
		snprintf(text, sizeof(text), "10.%zu.%zu.%zu", i >> 16, (i >> 8) & 255, i & 255);
		ip_addr_parse(text, &addr);
		ck_assert_msg(cidr_index_lookup(index, &addr, &match) && match.partner == i,
		    "%s: got partner %zu, want %zu", text, match.partner, i);
		snprintf(text, sizeof(text), "2001:db8:%zx:ffff::1", i);
		ip_addr_parse(text, &addr);
		ck_assert_msg(cidr_index_lookup(index, &addr, &match) && match.partner == i,
		    "%s: got partner %zu, want %zu", text, match.partner, i);
	}
	ip_addr_parse("10.200.0.0", &addr);
	ck_assert(!cidr_index_lookup(index, &addr, &match));
	cidr_index_free(index);
}
END_TEST

Suite *
unit_suite(void)
{
	Suite *suite = suite_create("cidr");
	TCase *tc = tcase_create("cidr");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_cidr_parse, 0, sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_loop_test(tc, test_ip_addr_parse, 0, sizeof(addr_cases) / sizeof(addr_cases[0]));
	tcase_add_test(tc, test_ip_addr_null);
	tcase_add_loop_test(tc, test_trie_lookup, 0, sizeof(trie_cases) / sizeof(trie_cases[0]));
	tcase_add_test(tc, test_trie_default_route);
	tcase_add_test(tc, test_trie_duplicate);
	tcase_add_test(tc, test_trie_many);
	suite_add_tcase(suite, tc);
	return suite;
}
