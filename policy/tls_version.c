/*
 * tls_version.c - the one name table for TLS protocol versions, and the
 * names of the other small TLS enums.
 *
 * An MTA spells versions the way OpenSSL does ("TLSv1" is TLS 1.0);
 * the policy file uses the same spellings, so one table serves both.
 * Matching is exact: these strings come from SSL_get_version() and are
 * never case-folded by Postfix or Sendmail, and a policy spelling that
 * is not in the table is an error the loader reports.  Anything else
 * an MTA sends while the session is encrypted -- notably Sendmail's
 * pre-8.15.1 "TLSv1/SSLv3", which names the cipher's origin and not the
 * protocol -- is TLS_VERSION_UNKNOWN, never a guess.
 *
 * All tables are static and read-only; nothing here allocates.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "facts.h"
#include "tls.h"

struct tls_version_name {
	const char *name;
	enum tls_version version;
};

/* The first entry for a version is its canonical spelling. */
static const struct tls_version_name tls_version_names[] = {
	{"none", TLS_VERSION_NONE},
	{"unknown", TLS_VERSION_UNKNOWN},
	{"SSLv3", TLS_VERSION_SSLV3},
	{"TLSv1", TLS_VERSION_TLSV1},
	{"TLSv1.0", TLS_VERSION_TLSV1},
	{"TLSv1.1", TLS_VERSION_TLSV1_1},
	{"TLSv1.2", TLS_VERSION_TLSV1_2},
	{"TLSv1.3", TLS_VERSION_TLSV1_3},
};

#define TLS_VERSION_NAMES (sizeof(tls_version_names) / sizeof(tls_version_names[0]))

/* tls_version_parse - map an MTA or policy spelling to a version */
enum tls_version
tls_version_parse(const char *name)
{
	size_t i;

	if (name == NULL)
		return TLS_VERSION_UNKNOWN;
	/* "none" and "unknown" are output names, never input. */
	for (i = 2; i < TLS_VERSION_NAMES; i++)
		if (strcmp(name, tls_version_names[i].name) == 0)
			return tls_version_names[i].version;
	return TLS_VERSION_UNKNOWN;
}

/* tls_version_name - canonical spelling of a version */
const char *
tls_version_name(enum tls_version version)
{
	size_t i;

	for (i = 0; i < TLS_VERSION_NAMES; i++)
		if (tls_version_names[i].version == version)
			return tls_version_names[i].name;
	return "unknown";
}

/* tls_pfs_name - "yes", "no" or "unknown" */
const char *
tls_pfs_name(enum tls_pfs pfs)
{
	switch (pfs) {
	case TLS_PFS_YES:
		return "yes";
	case TLS_PFS_NO:
		return "no";
	case TLS_PFS_UNKNOWN:
		break;
	}
	return "unknown";
}

/* cert_status_name - "none", "unverified" or "verified" */
const char *
cert_status_name(enum cert_status status)
{
	switch (status) {
	case CERT_VERIFIED:
		return "verified";
	case CERT_UNVERIFIED:
		return "unverified";
	case CERT_NONE:
		break;
	}
	return "none";
}
