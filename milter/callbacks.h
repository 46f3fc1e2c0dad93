/*
 * callbacks.h - the libmilter callbacks of tlspolicy-milter.
 */
#ifndef TLSPOLICY_CALLBACKS_H
#define TLSPOLICY_CALLBACKS_H

#include <stdbool.h>

#include <libmilter/mfapi.h>

#include "tls.h"

/*
 * callbacks_init - remember the cipher table (read-only, shared by all
 * threads) and the socket kind (local_socket: unix, so no-reply steps
 * are negotiated), and fill desc for smfi_register().
 */
void callbacks_init(const struct cipher_table *table, bool local_socket,
    struct smfiDesc *desc);

/* The macro lists requested with smfi_setsymlist(), per stage (for tests and docs). */
#define CALLBACKS_CONNECT_MACROS \
	"j {daemon_name} {daemon_addr} v _ {client_addr} {client_name} {client_resolve} {if_name} {if_addr}"
#define CALLBACKS_HELO_MACROS \
	"{tls_version} {cipher} {cipher_bits} {alg_bits} {cert_subject} {cert_issuer} {verify}"
#define CALLBACKS_MAIL_MACROS \
	"i {mail_addr} {auth_type} {auth_authen} {tls_version} {cipher} {cipher_bits} " \
	"{cert_subject} {cert_issuer} {verify} {alg_bits} {client_addr} {client_name} " \
	"{client_resolve} j {daemon_name}"
#define CALLBACKS_RCPT_MACROS	"i"
#define CALLBACKS_EOM_MACROS	"i"

#endif
