/*
 * test_tls.c - TLS version names and order, and cipher classification.
 *
 * The cipher checks walk every name the cipher table holds and compare
 * its classification with an answer derived independently, from a fresh
 * SSL_CTX in the default library context and SSL_CIPHER_get_kx_nid().
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/ssl.h>

#include "tls.h"
#include "unit.h"

/* ---------------------------------------------------------------- versions */

static const struct {
	const char *text;
	enum tls_version want;
} parse_cases[] = {
	{"SSLv3", TLS_VERSION_SSLV3},
	{"TLSv1", TLS_VERSION_TLSV1},
	{"TLSv1.0", TLS_VERSION_TLSV1},
	{"TLSv1.1", TLS_VERSION_TLSV1_1},
	{"TLSv1.2", TLS_VERSION_TLSV1_2},
	{"TLSv1.3", TLS_VERSION_TLSV1_3},
	{"TLSv1/SSLv3", TLS_VERSION_UNKNOWN},
	{"tlsv1.2", TLS_VERSION_UNKNOWN},
	{"TLSv1.4", TLS_VERSION_UNKNOWN},
	{"TLSv1.2 ", TLS_VERSION_UNKNOWN},
	{"", TLS_VERSION_UNKNOWN},
	{"none", TLS_VERSION_UNKNOWN},
	{"unknown", TLS_VERSION_UNKNOWN},
	{NULL, TLS_VERSION_UNKNOWN},
};

START_TEST(test_version_parse)
{
	const char *text = parse_cases[_i].text;
	enum tls_version got = tls_version_parse(text);

	ck_assert_msg(got == parse_cases[_i].want, "parse(%s): got %s, want %s",
	    text != NULL ? text : "NULL", tls_version_name(got),
	    tls_version_name(parse_cases[_i].want));
}
END_TEST

static const struct {
	enum tls_version version;
	const char *want;
} name_cases[] = {
	{TLS_VERSION_NONE, "none"},
	{TLS_VERSION_UNKNOWN, "unknown"},
	{TLS_VERSION_SSLV3, "SSLv3"},
	{TLS_VERSION_TLSV1, "TLSv1"},
	{TLS_VERSION_TLSV1_1, "TLSv1.1"},
	{TLS_VERSION_TLSV1_2, "TLSv1.2"},
	{TLS_VERSION_TLSV1_3, "TLSv1.3"},
	{(enum tls_version)99, "unknown"},
};

START_TEST(test_version_name)
{
	const char *got = tls_version_name(name_cases[_i].version);

	ck_assert_msg(strcmp(got, name_cases[_i].want) == 0, "name(%d): got %s, want %s",
	    (int)name_cases[_i].version, got, name_cases[_i].want);
	/* Every real version's name parses back to itself. */
	if (name_cases[_i].version > TLS_VERSION_UNKNOWN
	    && name_cases[_i].version <= TLS_VERSION_TLSV1_3)
		ck_assert_msg(tls_version_parse(got) == name_cases[_i].version,
		    "parse(name(%s)): got %s", got, tls_version_name(tls_version_parse(got)));
}
END_TEST

START_TEST(test_version_order)
{
	static const char *const ascending[] = {
		"SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3",
	};
	size_t i;

	ck_assert_msg(TLS_VERSION_NONE < TLS_VERSION_UNKNOWN
	    && TLS_VERSION_UNKNOWN < tls_version_parse("SSLv3"),
	    "got none/unknown not below SSLv3, want them first");
	for (i = 1; i < sizeof(ascending) / sizeof(ascending[0]); i++)
		ck_assert_msg(tls_version_parse(ascending[i - 1]) < tls_version_parse(ascending[i]),
		    "got %s >= %s, want <", ascending[i - 1], ascending[i]);
	ck_assert_msg(tls_version_parse("TLSv1.0") == tls_version_parse("TLSv1"),
	    "got TLSv1.0 != TLSv1, want equal");
}
END_TEST

START_TEST(test_small_names)
{
	ck_assert_str_eq(tls_pfs_name(TLS_PFS_YES), "yes");
	ck_assert_str_eq(tls_pfs_name(TLS_PFS_NO), "no");
	ck_assert_str_eq(tls_pfs_name(TLS_PFS_UNKNOWN), "unknown");
}
END_TEST

/* ---------------------------------------------------------------- ciphers */

static struct cipher_table *table;

/* table_setup - build the cipher table every cipher test reads */
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

/* source_name - a pfs source for messages */
static const char *
source_name(enum tls_pfs_source source)
{
	switch (source) {
	case TLS_PFS_FROM_NOTHING:
		return "nothing";
	case TLS_PFS_FROM_OPENSSL:
		return "openssl";
	case TLS_PFS_FROM_VERSION:
		return "version";
	case TLS_PFS_FROM_PREFIX:
		return "prefix";
	}
	return "?";
}

static const struct {
	const char *label;
	enum tls_version version;
	const char *cipher;
	enum tls_pfs pfs;
	enum tls_pfs_source source;
	const char *kx;
	int bits;		/* -2: do not check */
} classify_cases[] = {
	{"ecdhe openssl name", TLS_VERSION_TLSV1_2, "ECDHE-RSA-AES256-GCM-SHA384",
	    TLS_PFS_YES, TLS_PFS_FROM_OPENSSL, "ECDHE", 256},
	{"ecdhe standard name", TLS_VERSION_TLSV1_2, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	    TLS_PFS_YES, TLS_PFS_FROM_OPENSSL, "ECDHE", 256},
	{"rsa openssl name", TLS_VERSION_TLSV1_2, "AES256-GCM-SHA384",
	    TLS_PFS_NO, TLS_PFS_FROM_OPENSSL, "RSA", 256},
	{"rsa standard name", TLS_VERSION_TLSV1_2, "TLS_RSA_WITH_AES_256_GCM_SHA384",
	    TLS_PFS_NO, TLS_PFS_FROM_OPENSSL, "RSA", 256},
	{"dhe openssl name", TLS_VERSION_TLSV1_2, "DHE-RSA-AES256-GCM-SHA384",
	    TLS_PFS_YES, TLS_PFS_FROM_OPENSSL, "DHE", 256},
	{"rsa 128 cbc", TLS_VERSION_TLSV1, "AES128-SHA",
	    TLS_PFS_NO, TLS_PFS_FROM_OPENSSL, "RSA", 128},
	{"camellia rsa", TLS_VERSION_TLSV1, "CAMELLIA256-SHA",
	    TLS_PFS_NO, TLS_PFS_FROM_OPENSSL, "RSA", 256},
	{"psk", TLS_VERSION_TLSV1_2, "PSK-AES128-GCM-SHA256",
	    TLS_PFS_NO, TLS_PFS_FROM_OPENSSL, "PSK", 128},
	{"ecdhe psk", TLS_VERSION_TLSV1_2, "ECDHE-PSK-AES128-CBC-SHA256",
	    TLS_PFS_YES, TLS_PFS_FROM_OPENSSL, "ECDHE-PSK", 128},
	{"dhe psk", TLS_VERSION_TLSV1_2, "DHE-PSK-AES128-GCM-SHA256",
	    TLS_PFS_YES, TLS_PFS_FROM_OPENSSL, "DHE-PSK", 128},
	{"rsa psk", TLS_VERSION_TLSV1_2, "RSA-PSK-AES128-GCM-SHA256",
	    TLS_PFS_NO, TLS_PFS_FROM_OPENSSL, "RSA-PSK", 128},
	{"srp", TLS_VERSION_TLSV1_2, "SRP-AES-128-CBC-SHA",
	    TLS_PFS_NO, TLS_PFS_FROM_OPENSSL, "SRP", 128},
	{"anonymous ecdh", TLS_VERSION_TLSV1_2, "AECDH-AES256-SHA",
	    TLS_PFS_YES, TLS_PFS_FROM_OPENSSL, "ECDHE", 256},
	{"null cipher rsa", TLS_VERSION_TLSV1_2, "NULL-SHA256",
	    TLS_PFS_NO, TLS_PFS_FROM_OPENSSL, "RSA", 0},
	{"tls13 suite", TLS_VERSION_TLSV1_3, "TLS_AES_256_GCM_SHA384",
	    TLS_PFS_YES, TLS_PFS_FROM_VERSION, "any", 256},
	{"tls13 chacha", TLS_VERSION_TLSV1_3, "TLS_CHACHA20_POLY1305_SHA256",
	    TLS_PFS_YES, TLS_PFS_FROM_VERSION, "any", 256},
	{"tls13 whatever the name", TLS_VERSION_TLSV1_3, "AES256-GCM-SHA384",
	    TLS_PFS_YES, TLS_PFS_FROM_VERSION, "any", 256},
	{"tls13 no cipher", TLS_VERSION_TLSV1_3, NULL,
	    TLS_PFS_YES, TLS_PFS_FROM_VERSION, "any", -1},
	{"tls13 suite under old version", TLS_VERSION_TLSV1_2, "TLS_AES_128_GCM_SHA256",
	    TLS_PFS_YES, TLS_PFS_FROM_VERSION, "any", 128},
	{"tls13 suite under unknown version", TLS_VERSION_UNKNOWN, "TLS_AES_256_GCM_SHA384",
	    TLS_PFS_YES, TLS_PFS_FROM_VERSION, "any", 256},
	{"libressl tls13 name", TLS_VERSION_UNKNOWN, "AEAD-AES256-GCM-SHA384",
	    TLS_PFS_YES, TLS_PFS_FROM_VERSION, "any", -1},
	{"sendmail TLSv1/SSLv3 rsa", TLS_VERSION_UNKNOWN, "AES256-SHA",
	    TLS_PFS_NO, TLS_PFS_FROM_OPENSSL, "RSA", 256},
	{"prefix ECDHE-", TLS_VERSION_TLSV1_2, "ECDHE-FOO-BAR",
	    TLS_PFS_YES, TLS_PFS_FROM_PREFIX, "ECDHE", -1},
	{"prefix DHE-", TLS_VERSION_TLSV1_2, "DHE-FOO-BAR",
	    TLS_PFS_YES, TLS_PFS_FROM_PREFIX, "DHE", -1},
	{"prefix EDH-", TLS_VERSION_TLSV1, "EDH-RSA-DES-CBC3-SHA",
	    TLS_PFS_YES, TLS_PFS_FROM_PREFIX, "DHE", -1},
	{"prefix AECDH-", TLS_VERSION_TLSV1_2, "AECDH-FOO",
	    TLS_PFS_YES, TLS_PFS_FROM_PREFIX, "ECDHE", -1},
	{"prefix ADH-", TLS_VERSION_TLSV1_2, "ADH-FOO",
	    TLS_PFS_YES, TLS_PFS_FROM_PREFIX, "DHE", -1},
	{"prefix standard ecdhe", TLS_VERSION_TLSV1_2, "TLS_ECDHE_FOO_WITH_BAR",
	    TLS_PFS_YES, TLS_PFS_FROM_PREFIX, "ECDHE", -1},
	{"prefix standard dhe", TLS_VERSION_TLSV1_2, "TLS_DHE_FOO_WITH_BAR",
	    TLS_PFS_YES, TLS_PFS_FROM_PREFIX, "DHE", -1},
	{"prefix is case-sensitive", TLS_VERSION_TLSV1_2, "ecdhe-foo-bar",
	    TLS_PFS_UNKNOWN, TLS_PFS_FROM_NOTHING, "unknown", -1},
	{"unknown rsa-looking name", TLS_VERSION_TLSV1_2, "RC4-MD5-FANTASY",
	    TLS_PFS_UNKNOWN, TLS_PFS_FROM_NOTHING, "unknown", -1},
	{"unknown standard rsa name", TLS_VERSION_TLSV1_2, "TLS_RSA_WITH_FOO",
	    TLS_PFS_UNKNOWN, TLS_PFS_FROM_NOTHING, "unknown", -1},
	{"empty cipher", TLS_VERSION_TLSV1_2, "",
	    TLS_PFS_UNKNOWN, TLS_PFS_FROM_NOTHING, "unknown", -1},
	{"no cipher with tls", TLS_VERSION_TLSV1_2, NULL,
	    TLS_PFS_UNKNOWN, TLS_PFS_FROM_NOTHING, "unknown", -1},
	{"names are case-sensitive", TLS_VERSION_TLSV1_2, "aes256-gcm-sha384",
	    TLS_PFS_UNKNOWN, TLS_PFS_FROM_NOTHING, "unknown", -1},
	{"plaintext", TLS_VERSION_NONE, NULL,
	    TLS_PFS_NO, TLS_PFS_FROM_NOTHING, "none", -1},
	{"plaintext ignores a cipher", TLS_VERSION_NONE, "ECDHE-RSA-AES256-GCM-SHA384",
	    TLS_PFS_NO, TLS_PFS_FROM_NOTHING, "none", -1},
};

START_TEST(test_classify)
{
	struct tls_cipher_class got;

	memset(&got, 0xa5, sizeof(got));
	cipher_classify(table, classify_cases[_i].version, classify_cases[_i].cipher, &got);
	ck_assert_msg(got.pfs == classify_cases[_i].pfs, "%s: pfs got %s, want %s",
	    classify_cases[_i].label, tls_pfs_name(got.pfs),
	    tls_pfs_name(classify_cases[_i].pfs));
	ck_assert_msg(got.source == classify_cases[_i].source, "%s: source got %s, want %s",
	    classify_cases[_i].label, source_name(got.source),
	    source_name(classify_cases[_i].source));
	ck_assert_msg(got.kx != NULL && strcmp(got.kx, classify_cases[_i].kx) == 0,
	    "%s: kx got %s, want %s", classify_cases[_i].label,
	    got.kx != NULL ? got.kx : "NULL", classify_cases[_i].kx);
	if (classify_cases[_i].bits != -2)
		ck_assert_msg(got.openssl_bits == classify_cases[_i].bits,
		    "%s: bits got %d, want %d", classify_cases[_i].label, got.openssl_bits,
		    classify_cases[_i].bits);
}
END_TEST

START_TEST(test_classify_without_table)
{
	struct tls_cipher_class got;

	cipher_classify(NULL, TLS_VERSION_TLSV1_2, "AES256-GCM-SHA384", &got);
	ck_assert_msg(got.pfs == TLS_PFS_UNKNOWN, "no table, RSA name: pfs got %s, want unknown",
	    tls_pfs_name(got.pfs));
	cipher_classify(NULL, TLS_VERSION_TLSV1_3, "TLS_AES_256_GCM_SHA384", &got);
	ck_assert_msg(got.pfs == TLS_PFS_YES, "no table, TLSv1.3: pfs got %s, want yes",
	    tls_pfs_name(got.pfs));
}
END_TEST

/* The independent answer: kx NID of a name, from a fresh default-context SSL_CTX. */
struct reference {
	SSL_CTX *ctx;
	STACK_OF(SSL_CIPHER) *ciphers;
};

/* reference_open - the independent SSL_CTX with every cipher */
static void
reference_open(struct reference *ref)
{
	ref->ctx = SSL_CTX_new(TLS_method());
	ck_assert_msg(ref->ctx != NULL, "SSL_CTX_new: got NULL, want a context");
	ck_assert_msg(SSL_CTX_set_cipher_list(ref->ctx, "ALL:COMPLEMENTOFALL:@SECLEVEL=0") == 1,
	    "set_cipher_list: got failure, want success");
	ck_assert_msg(SSL_CTX_set_ciphersuites(ref->ctx, "TLS_AES_256_GCM_SHA384:"
	    "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256:"
	    "TLS_AES_128_CCM_8_SHA256") == 1, "set_ciphersuites: got failure, want success");
	ref->ciphers = SSL_CTX_get_ciphers(ref->ctx);
	ck_assert_msg(ref->ciphers != NULL && sk_SSL_CIPHER_num(ref->ciphers) > 50,
	    "reference ciphers: got %d, want > 50",
	    ref->ciphers != NULL ? sk_SSL_CIPHER_num(ref->ciphers) : -1);
}

/* reference_kx - kx NID of name under either of its names, or NID_undef */
static int
reference_kx(const struct reference *ref, const char *name)
{
	const SSL_CIPHER *cipher;
	const char *std;
	int i;

	for (i = 0; i < sk_SSL_CIPHER_num(ref->ciphers); i++) {
		cipher = sk_SSL_CIPHER_value(ref->ciphers, i);
		std = SSL_CIPHER_standard_name(cipher);
		if (strcmp(SSL_CIPHER_get_name(cipher), name) == 0
		    || (std != NULL && strcmp(std, name) == 0))
			return SSL_CIPHER_get_kx_nid(cipher);
	}
	return NID_undef;
}

/* reference_pfs - forward secrecy as the kx NID says */
static enum tls_pfs
reference_pfs(int nid)
{
	if (nid == NID_kx_ecdhe || nid == NID_kx_dhe || nid == NID_kx_ecdhe_psk
	    || nid == NID_kx_dhe_psk || nid == NID_kx_any)
		return TLS_PFS_YES;
	return TLS_PFS_NO;
}

/* has_prefix - whether name starts with prefix */
static bool
has_prefix(const char *name, const char *prefix)
{
	return strncmp(name, prefix, strlen(prefix)) == 0;
}

START_TEST(test_every_cipher)
{
	struct reference ref;
	struct tls_cipher_class got;
	const char *name;
	size_t i, checked = 0;
	int nid;

	reference_open(&ref);
	ck_assert_msg(cipher_table_count(table) > 100, "table count: got %zu, want > 100",
	    cipher_table_count(table));
	ck_assert_msg(cipher_table_name(table, cipher_table_count(table)) == NULL,
	    "name past the end: got non-NULL, want NULL");
	for (i = 0; (name = cipher_table_name(table, i)) != NULL; i++) {
		cipher_classify(table, TLS_VERSION_TLSV1_2, name, &got);
		ck_assert_msg(got.pfs != TLS_PFS_UNKNOWN, "%s: pfs got unknown, want known", name);
		ck_assert_msg(got.openssl_bits >= 0, "%s: bits got %d, want >= 0", name,
		    got.openssl_bits);
		nid = reference_kx(&ref, name);
		if (nid != NID_undef) {
			ck_assert_msg(got.pfs == reference_pfs(nid),
			    "%s (kx %s): pfs got %s, want %s", name, OBJ_nid2sn(nid),
			    tls_pfs_name(got.pfs), tls_pfs_name(reference_pfs(nid)));
			checked++;
		}
		/* Names alone, for ciphers only the legacy provider knows. */
		if (has_prefix(name, "ECDHE-") || has_prefix(name, "DHE-")
		    || has_prefix(name, "TLS_ECDHE_") || has_prefix(name, "TLS_DHE_"))
			ck_assert_msg(got.pfs == TLS_PFS_YES, "%s: pfs got %s, want yes", name,
			    tls_pfs_name(got.pfs));
		if (nid == NID_kx_rsa || has_prefix(name, "TLS_RSA_WITH_"))
			ck_assert_msg(got.pfs == TLS_PFS_NO && strcmp(got.kx, "RSA") == 0,
			    "%s: pfs got %s kx %s, want no RSA", name, tls_pfs_name(got.pfs),
			    got.kx);
		cipher_classify(table, TLS_VERSION_TLSV1_3, name, &got);
		ck_assert_msg(got.pfs == TLS_PFS_YES && got.source == TLS_PFS_FROM_VERSION,
		    "%s under TLSv1.3: got %s from %s, want yes from version", name,
		    tls_pfs_name(got.pfs), source_name(got.source));
	}
	ck_assert_msg(checked * 10 >= cipher_table_count(table) * 9,
	    "cross-checked names: got %zu of %zu, want at least 90%%", checked,
	    cipher_table_count(table));
	SSL_CTX_free(ref.ctx);
}
END_TEST

START_TEST(test_both_names_indexed)
{
	struct reference ref;
	const SSL_CIPHER *cipher;
	struct tls_cipher_class by_name, by_std;
	const char *std;
	int i;

	reference_open(&ref);
	for (i = 0; i < sk_SSL_CIPHER_num(ref.ciphers); i++) {
		cipher = sk_SSL_CIPHER_value(ref.ciphers, i);
		std = SSL_CIPHER_standard_name(cipher);
		cipher_classify(table, TLS_VERSION_TLSV1_2, SSL_CIPHER_get_name(cipher), &by_name);
		ck_assert_msg(by_name.source != TLS_PFS_FROM_NOTHING
		    && by_name.source != TLS_PFS_FROM_PREFIX,
		    "%s: source got %s, want openssl", SSL_CIPHER_get_name(cipher),
		    source_name(by_name.source));
		if (std == NULL)
			continue;
		cipher_classify(table, TLS_VERSION_TLSV1_2, std, &by_std);
		ck_assert_msg(by_std.pfs == by_name.pfs && strcmp(by_std.kx, by_name.kx) == 0
		    && by_std.openssl_bits == by_name.openssl_bits,
		    "%s vs %s: got %s/%s/%d, want %s/%s/%d", std, SSL_CIPHER_get_name(cipher),
		    tls_pfs_name(by_std.pfs), by_std.kx, by_std.openssl_bits,
		    tls_pfs_name(by_name.pfs), by_name.kx, by_name.openssl_bits);
	}
	SSL_CTX_free(ref.ctx);
}
END_TEST

START_TEST(test_table_free_null)
{
	cipher_table_free(NULL);
	ck_assert_msg(cipher_table_count(NULL) == 0, "count(NULL): got non-zero, want 0");
	ck_assert_msg(cipher_table_name(NULL, 0) == NULL, "name(NULL): got non-NULL, want NULL");
}
END_TEST

/* unit_suite - versions and ciphers */
Suite *
unit_suite(void)
{
	Suite *suite = suite_create("tls");
	TCase *versions = tcase_create("versions");
	TCase *ciphers = tcase_create("ciphers");

	tcase_add_loop_test(versions, test_version_parse, 0,
	    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_loop_test(versions, test_version_name, 0,
	    sizeof(name_cases) / sizeof(name_cases[0]));
	tcase_add_test(versions, test_version_order);
	tcase_add_test(versions, test_small_names);
	suite_add_tcase(suite, versions);

	tcase_add_checked_fixture(ciphers, table_setup, table_teardown);
	tcase_add_loop_test(ciphers, test_classify, 0,
	    sizeof(classify_cases) / sizeof(classify_cases[0]));
	tcase_add_test(ciphers, test_classify_without_table);
	tcase_add_test(ciphers, test_every_cipher);
	tcase_add_test(ciphers, test_both_names_indexed);
	tcase_add_test(ciphers, test_table_free_null);
	suite_add_tcase(suite, ciphers);
	return suite;
}
