/*
 * cipher_table.c - forward secrecy and strength of a negotiated cipher,
 * from OpenSSL's own cipher table.
 *
 * cipher_table_new() opens a throw-away SSL_CTX with every cipher
 * OpenSSL knows ("ALL:COMPLEMENTOFALL:@SECLEVEL=0" plus every TLS 1.3
 * suite) and indexes, for each cipher, both its OpenSSL name
 * (ECDHE-RSA-AES256-GCM-SHA384) and its standard name
 * (TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) with the key exchange NID and
 * the symmetric strength.  The SSL_CTX lives in a private OSSL_LIB_CTX
 * that also loads the legacy provider when it is installed, so that
 * ciphers such as SEED, which an MTA linked elsewhere may still
 * negotiate, are known too, without changing the process's providers.
 *
 * The table is an open-addressing hash on the exact (case-sensitive)
 * name, built once and never changed: any number of threads may call
 * cipher_classify() on it without locking.
 *
 * cipher_classify() decides in this order: no TLS at all; TLS 1.3
 * (forward secret by design, whatever the suite); OpenSSL's key
 * exchange for a known name; a TLS 1.3 suite name from another library
 * (LibreSSL/BoringSSL "AEAD-"); the name prefix rule; else unknown.
 *
 * Ownership: the table owns copies of every name; cipher_table_free()
 * releases them.  The kx strings in a classification are static.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/provider.h>
#include <openssl/ssl.h>

#include "tls.h"

#define CIPHER_LIST_ALL		"ALL:COMPLEMENTOFALL:@SECLEVEL=0"
#define CIPHER_SUITES_TLS13	"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:" \
				"TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256:" \
				"TLS_AES_128_CCM_8_SHA256"

struct cipher_entry {
	char *name;
	int kx_nid;
	int bits;
};

struct cipher_table {
	struct cipher_entry *entries;	/* in the order OpenSSL lists them */
	size_t count;
	size_t capacity;
	size_t *slots;			/* entry index + 1; 0 is an empty slot */
	size_t slot_count;		/* a power of two, at least twice count */
};

/* cipher_hash - FNV-1a over the exact name */
static uint64_t
cipher_hash(const char *name)
{
	uint64_t hash = 14695981039346656037ULL;

	for (; *name != '\0'; name++) {
		hash ^= (unsigned char)*name;
		hash *= 1099511628211ULL;
	}
	return hash;
}

/* cipher_table_find - the entry for an exact name, or NULL */
static const struct cipher_entry *
cipher_table_find(const struct cipher_table *table, const char *name)
{
	size_t mask, slot, entry;

	if (table == NULL || table->slot_count == 0)
		return NULL;
	mask = table->slot_count - 1;
	for (slot = cipher_hash(name) & mask; (entry = table->slots[slot]) != 0;
	    slot = (slot + 1) & mask)
		if (strcmp(table->entries[entry - 1].name, name) == 0)
			return &table->entries[entry - 1];
	return NULL;
}

/* cipher_table_add - append one name unless it is already there; -1 on ENOMEM */
static int
cipher_table_add(struct cipher_table *table, const char *name, int kx_nid, int bits)
{
	struct cipher_entry *grown;
	size_t size;

	if (name == NULL || *name == '\0' || strcmp(name, "(NONE)") == 0)
		return 0;
	for (size = 0; size < table->count; size++)
		if (strcmp(table->entries[size].name, name) == 0)
			return 0;
	if (table->count == table->capacity) {
		size = table->capacity == 0 ? 256 : table->capacity * 2;
		grown = realloc(table->entries, size * sizeof(*grown));
		if (grown == NULL)
			return -1;
		table->entries = grown;
		table->capacity = size;
	}
	if ((table->entries[table->count].name = strdup(name)) == NULL)
		return -1;
	table->entries[table->count].kx_nid = kx_nid;
	table->entries[table->count].bits = bits;
	table->count++;
	return 0;
}

/* cipher_table_index - build the hash slots once every name is in */
static int
cipher_table_index(struct cipher_table *table)
{
	size_t i, mask, slot;

	table->slot_count = 64;
	while (table->slot_count < table->count * 2)
		table->slot_count *= 2;
	table->slots = calloc(table->slot_count, sizeof(*table->slots));
	if (table->slots == NULL)
		return -1;
	mask = table->slot_count - 1;
	for (i = 0; i < table->count; i++) {
		slot = cipher_hash(table->entries[i].name) & mask;
		while (table->slots[slot] != 0)
			slot = (slot + 1) & mask;
		table->slots[slot] = i + 1;
	}
	return 0;
}

/* cipher_table_walk - add every cipher of ctx under both its names */
static int
cipher_table_walk(struct cipher_table *table, SSL_CTX *ctx)
{
	STACK_OF(SSL_CIPHER) *ciphers = SSL_CTX_get_ciphers(ctx);
	const SSL_CIPHER *cipher;
	int i, kx, bits;

	if (ciphers == NULL)
		return -1;
	for (i = 0; i < sk_SSL_CIPHER_num(ciphers); i++) {
		cipher = sk_SSL_CIPHER_value(ciphers, i);
		kx = SSL_CIPHER_get_kx_nid(cipher);
		bits = SSL_CIPHER_get_bits(cipher, NULL);
		if (cipher_table_add(table, SSL_CIPHER_get_name(cipher), kx, bits) < 0
		    || cipher_table_add(table, SSL_CIPHER_standard_name(cipher), kx, bits) < 0)
			return -1;
	}
	return 0;
}

/* cipher_table_error - the OpenSSL error queue's last word, into err */
static void
cipher_table_error(char *err, size_t errlen, const char *what)
{
	char reason[256];
	unsigned long code = ERR_peek_last_error();

	if (code != 0) {
		ERR_error_string_n(code, reason, sizeof(reason));
		snprintf(err, errlen, "%s: %s", what, reason);
	} else
		snprintf(err, errlen, "%s", what);
	ERR_clear_error();
}

/* cipher_table_new - walk OpenSSL's ciphers and index both names of each */
struct cipher_table *
cipher_table_new(char *err, size_t errlen)
{
	struct cipher_table *table;
	OSSL_LIB_CTX *libctx;
	OSSL_PROVIDER *deflt = NULL, *legacy = NULL;
	SSL_CTX *ctx = NULL;
	const char *failed = NULL;

	if ((table = calloc(1, sizeof(*table))) == NULL) {
		snprintf(err, errlen, "cipher table: out of memory");
		return NULL;
	}
	if ((libctx = OSSL_LIB_CTX_new()) == NULL) {
		failed = "cannot create an OpenSSL library context";
		goto done;
	}
	/* Legacy is optional: without it only the SEED suites are missing. */
	legacy = OSSL_PROVIDER_load(libctx, "legacy");
	ERR_clear_error();
	if ((deflt = OSSL_PROVIDER_load(libctx, "default")) == NULL)
		failed = "cannot load the OpenSSL default provider";
	else if ((ctx = SSL_CTX_new_ex(libctx, NULL, TLS_method())) == NULL)
		failed = "cannot create an SSL_CTX";
	else if (SSL_CTX_set_cipher_list(ctx, CIPHER_LIST_ALL) != 1)
		failed = "cannot select cipher list " CIPHER_LIST_ALL;
	else if (SSL_CTX_set_ciphersuites(ctx, CIPHER_SUITES_TLS13) != 1)
		failed = "cannot select the TLS 1.3 cipher suites";
	else if (cipher_table_walk(table, ctx) < 0 || cipher_table_index(table) < 0)
		failed = "cipher table: out of memory";
	else if (table->count == 0)
		failed = "OpenSSL lists no ciphers";
done:
	if (failed != NULL)
		cipher_table_error(err, errlen, failed);
	SSL_CTX_free(ctx);
	if (legacy != NULL)
		OSSL_PROVIDER_unload(legacy);
	if (deflt != NULL)
		OSSL_PROVIDER_unload(deflt);
	OSSL_LIB_CTX_free(libctx);
	if (failed != NULL) {
		cipher_table_free(table);
		return NULL;
	}
	return table;
}

/* cipher_table_free - release the table; accepts NULL */
void
cipher_table_free(struct cipher_table *table)
{
	size_t i;

	if (table == NULL)
		return;
	for (i = 0; i < table->count; i++)
		free(table->entries[i].name);
	free(table->entries);
	free(table->slots);
	free(table);
}

/* cipher_table_count - number of distinct names indexed */
size_t
cipher_table_count(const struct cipher_table *table)
{
	return table == NULL ? 0 : table->count;
}

/* cipher_table_name - the i-th indexed name; NULL past the end */
const char *
cipher_table_name(const struct cipher_table *table, size_t i)
{
	if (table == NULL || i >= table->count)
		return NULL;
	return table->entries[i].name;
}

struct cipher_kx {
	int nid;
	enum tls_pfs pfs;
	const char *name;
};

/* Key exchanges OpenSSL reports; anything else is "unknown". */
static const struct cipher_kx cipher_kx_table[] = {
	{NID_kx_ecdhe, TLS_PFS_YES, "ECDHE"},
	{NID_kx_dhe, TLS_PFS_YES, "DHE"},
	{NID_kx_ecdhe_psk, TLS_PFS_YES, "ECDHE-PSK"},
	{NID_kx_dhe_psk, TLS_PFS_YES, "DHE-PSK"},
	{NID_kx_rsa, TLS_PFS_NO, "RSA"},
	{NID_kx_psk, TLS_PFS_NO, "PSK"},
	{NID_kx_rsa_psk, TLS_PFS_NO, "RSA-PSK"},
	{NID_kx_srp, TLS_PFS_NO, "SRP"},
	{NID_kx_gost, TLS_PFS_NO, "GOST"},
	{NID_kx_gost18, TLS_PFS_NO, "GOST"},
};

/*
 * Documented fallback for names OpenSSL does not know (another
 * library's spelling, or a cipher this build lacks).  The RFC forms are
 * the same rule in the standard naming style.
 */
static const struct {
	const char *prefix;
	const char *kx;
} cipher_prefix_table[] = {
	{"ECDHE-", "ECDHE"},
	{"AECDH-", "ECDHE"},
	{"DHE-", "DHE"},
	{"EDH-", "DHE"},
	{"ADH-", "DHE"},
	{"TLS_ECDHE_", "ECDHE"},
	{"TLS_ECDH_anon_", "ECDHE"},
	{"TLS_DHE_", "DHE"},
	{"TLS_DH_anon_", "DHE"},
};

#define ARRAY_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* cipher_set - fill one classification */
static void
cipher_set(struct tls_cipher_class *out, enum tls_pfs pfs, enum tls_pfs_source source,
    const char *kx, int bits)
{
	out->pfs = pfs;
	out->source = source;
	out->kx = kx;
	out->openssl_bits = bits;
}

/* cipher_classify_known - classify by OpenSSL's key exchange */
static void
cipher_classify_known(const struct cipher_entry *entry, struct tls_cipher_class *out)
{
	size_t i;

	/* A TLS 1.3 suite under an older version string: the suite decides. */
	if (entry->kx_nid == NID_kx_any) {
		cipher_set(out, TLS_PFS_YES, TLS_PFS_FROM_VERSION, "any", entry->bits);
		return;
	}
	for (i = 0; i < ARRAY_COUNT(cipher_kx_table); i++) {
		if (cipher_kx_table[i].nid == entry->kx_nid) {
			cipher_set(out, cipher_kx_table[i].pfs, TLS_PFS_FROM_OPENSSL,
			    cipher_kx_table[i].name, entry->bits);
			return;
		}
	}
	cipher_set(out, TLS_PFS_UNKNOWN, TLS_PFS_FROM_OPENSSL, "unknown", entry->bits);
}

/* cipher_classify - classify one negotiated cipher */
void
cipher_classify(const struct cipher_table *table, enum tls_version version,
    const char *cipher, struct tls_cipher_class *out)
{
	const struct cipher_entry *entry = NULL;
	size_t i;

	if (version == TLS_VERSION_NONE) {
		cipher_set(out, TLS_PFS_NO, TLS_PFS_FROM_NOTHING, "none", -1);
		return;
	}
	if (cipher != NULL && *cipher != '\0')
		entry = cipher_table_find(table, cipher);
	if (version == TLS_VERSION_TLSV1_3) {
		cipher_set(out, TLS_PFS_YES, TLS_PFS_FROM_VERSION, "any",
		    entry != NULL ? entry->bits : -1);
		return;
	}
	if (entry != NULL) {
		cipher_classify_known(entry, out);
		return;
	}
	cipher_set(out, TLS_PFS_UNKNOWN, TLS_PFS_FROM_NOTHING, "unknown", -1);
	if (cipher == NULL)
		return;
	/* LibreSSL and BoringSSL name their TLS 1.3 suites "AEAD-...". */
	if (strncmp(cipher, "AEAD-", 5) == 0) {
		cipher_set(out, TLS_PFS_YES, TLS_PFS_FROM_VERSION, "any", -1);
		return;
	}
	for (i = 0; i < ARRAY_COUNT(cipher_prefix_table); i++) {
		if (strncmp(cipher, cipher_prefix_table[i].prefix,
		    strlen(cipher_prefix_table[i].prefix)) == 0) {
			cipher_set(out, TLS_PFS_YES, TLS_PFS_FROM_PREFIX,
			    cipher_prefix_table[i].kx, -1);
			return;
		}
	}
}
