/*
 * tls.h - TLS protocol versions and cipher classification.
 *
 * Versions form an ordered enum so that a requirement is a plain ">="
 * comparison (the numerical order is critical, as in Postfix tls_level.c).
 * Forward secrecy and key exchange come from OpenSSL's own cipher table,
 * walked once at start-up by cipher_table_new(); the table is immutable
 * afterwards and may be read from any thread.
 */
#ifndef TLSPOLICY_TLS_H
#define TLSPOLICY_TLS_H

#include <stdbool.h>
#include <stddef.h>

/* Order matters: every value compares >= the ones before it. */
enum tls_version {
	TLS_VERSION_NONE = 0,	/* plaintext session */
	TLS_VERSION_UNKNOWN,	/* encrypted, protocol not known (e.g. "TLSv1/SSLv3") */
	TLS_VERSION_SSLV3,
	TLS_VERSION_TLSV1,	/* TLS 1.0, spelt "TLSv1" by OpenSSL and Postfix */
	TLS_VERSION_TLSV1_1,
	TLS_VERSION_TLSV1_2,
	TLS_VERSION_TLSV1_3,
};

/*
 * tls_version_parse - map an MTA or policy spelling to a version.
 * Returns TLS_VERSION_UNKNOWN for anything not in the name table,
 * including Sendmail's "TLSv1/SSLv3" (which names the cipher's origin).
 */
enum tls_version tls_version_parse(const char *name);

/* tls_version_name - canonical spelling ("TLSv1.2"); "none" and "unknown" too. */
const char *tls_version_name(enum tls_version version);

enum tls_pfs {
	TLS_PFS_UNKNOWN = 0,	/* cipher unknown to OpenSSL and to the prefix rule */
	TLS_PFS_NO,
	TLS_PFS_YES,
};

/* Where a classification came from: explain and the logs say so. */
enum tls_pfs_source {
	TLS_PFS_FROM_NOTHING = 0,	/* no cipher, or nothing recognised it */
	TLS_PFS_FROM_OPENSSL,		/* OpenSSL's cipher table */
	TLS_PFS_FROM_VERSION,		/* TLS 1.3: forward secret by design */
	TLS_PFS_FROM_PREFIX,		/* documented name prefix rule */
};

struct tls_cipher_class {
	enum tls_pfs pfs;
	enum tls_pfs_source source;
	const char *kx;		/* static: "ECDHE", "DHE", "RSA", "PSK", "any", "unknown", ... */
	int openssl_bits;	/* symmetric strength OpenSSL reports, -1 if unknown */
};

struct cipher_table;

/*
 * cipher_table_new - walk OpenSSL's ciphers (ALL:COMPLEMENTOFALL:@SECLEVEL=0)
 * and index both the OpenSSL and the standard (RFC) name of each.  Returns
 * NULL and writes a message into err on failure.
 */
struct cipher_table *cipher_table_new(char *err, size_t errlen);
void cipher_table_free(struct cipher_table *table);

/* cipher_table_count - number of distinct names indexed (tests iterate). */
size_t cipher_table_count(const struct cipher_table *table);

/* cipher_table_name - the i-th indexed name, for tests; NULL past the end. */
const char *cipher_table_name(const struct cipher_table *table, size_t i);

/*
 * cipher_classify - classify one negotiated cipher.  TLS 1.3 is forward
 * secret whatever the suite; otherwise OpenSSL's key exchange decides,
 * then the prefix rule (ECDHE-, DHE-, EDH-, AECDH-, ADH-), else unknown.
 * cipher may be NULL (plaintext or not reported).
 */
void cipher_classify(const struct cipher_table *table, enum tls_version version,
    const char *cipher, struct tls_cipher_class *out);

/* tls_pfs_name - "yes", "no" or "unknown". */
const char *tls_pfs_name(enum tls_pfs pfs);

#endif
