#include "config.h"

/*
 * null_min - the least a milter can ask of Postfix without a stall: a
 * libmilter milter that negotiates away every step it can (HELO, MAIL,
 * RCPT, headers, EOH, body, unknown commands), asks for one macro at
 * CONNECT and one at EOM (libmilter refuses an empty list), adds no
 * header and answers CONNECT, DATA and EOM; like null_lean it sets
 * TCP_NODELAY on its inet listener.
 *
 * Why DATA is answered: Postfix sends the macros of a skipped step all
 * the same, and at DATA smtpd flushes them and hands the milter socket
 * to cleanup, which writes EOM at once.  With DATA skipped too, that
 * second write waits under Nagle for the milter's delayed ACK: measured
 * ~45 ms a message in one session.  A reply to DATA carries the ACK.
 *
 * Through Postfix (tests/bench/postfix.sh, which runs it beside
 * null_lean and tlspolicy-milter) it measures what the milter protocol
 * and libmilter alone cost, below anything that could judge TLS.
 *
 * Usage: null_min -p SOCKET
 *
 * No state.  Exits 1 when libmilter refuses the socket or the
 * registration.
 */

#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

/* nm_negotiate - skip every step but CONNECT, DATA and EOM */
static sfsistat
nm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
    unsigned long *pf3)
{
	unsigned long want = SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT | SMFIP_NOHDRS |
	    SMFIP_NOEOH | SMFIP_NOBODY | SMFIP_NOUNKNOWN;
	char connect_macros[] = "j";
	char eom_macros[] = "i";

	(void)f2;
	(void)f3;
	*pf0 = f0 & SMFIF_SETSYMLIST;
	*pf1 = f1 & want;
	*pf2 = 0;
	*pf3 = 0;
	if ((*pf0 & SMFIF_SETSYMLIST) != 0) {
		(void)smfi_setsymlist(ctx, SMFIM_CONNECT, connect_macros);
		(void)smfi_setsymlist(ctx, SMFIM_EOM, eom_macros);
	}
	return SMFIS_CONTINUE;
}

/* nm_connect - the connection: continue */
static sfsistat
nm_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	(void)ctx;
	(void)host;
	(void)addr;
	return SMFIS_CONTINUE;
}

/* nm_data - answered, so that cleanup's first write finds an ACK (see the top) */
static sfsistat
nm_data(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

/* nm_eom - the last answer per message */
static sfsistat
nm_eom(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

/* nm_plain - abort and close */
static sfsistat
nm_plain(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

/* nm_nodelay - TCP_NODELAY on the listening TCP socket libmilter opened (accepted sockets inherit it) */
static void
nm_nodelay(void)
{
	int fd, on = 1, value;
	socklen_t len;

	for (fd = 3; fd < 64; fd++) {
		len = sizeof(value);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &len) != 0 || value == 0)
			continue;
		len = sizeof(value);
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &value, &len) != 0
		    || (value != AF_INET && value != AF_INET6))
			continue;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	}
}

int
main(int argc, char **argv)
{
	struct smfiDesc desc;
	char name[] = "null_min";
	const char *socket = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "p:")) != -1) {
		if (ch != 'p') {
			fprintf(stderr, "usage: null_min -p SOCKET\n");
			return 2;
		}
		socket = optarg;
	}
	if (socket == NULL) {
		fprintf(stderr, "usage: null_min -p SOCKET\n");
		return 2;
	}
	memset(&desc, 0, sizeof(desc));
	desc.xxfi_name = name;
	desc.xxfi_version = SMFI_VERSION;
	desc.xxfi_flags = SMFIF_SETSYMLIST;
	desc.xxfi_connect = nm_connect;
	desc.xxfi_data = nm_data;
	desc.xxfi_eom = nm_eom;
	desc.xxfi_abort = nm_plain;
	desc.xxfi_close = nm_plain;
	desc.xxfi_negotiate = nm_negotiate;
	if (smfi_setconn((char *)socket) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS
	    || smfi_opensocket(true) != MI_SUCCESS) {
		fprintf(stderr, "null_min: cannot use socket %s\n", socket);
		return 1;
	}
	nm_nodelay();
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
