#include "config.h"

/*
 * null_lean - the floor for tlspolicy-milter: a libmilter milter that
 * negotiates exactly the steps, no-reply flags and macro lists
 * tlspolicy-milter does (milter/callbacks.c with a policy that has no
 * recipient selectors) and sets TCP_NODELAY on its inet listener as
 * milter/daemon.c does, but judges nothing: it adds one constant header
 * at EOM.  What tlspolicy-milter costs beyond this is the policy.
 *
 * Usage: null_lean -p SOCKET
 *
 * No per-connection state.  Exits 1 when libmilter refuses the socket
 * or the registration.
 */

#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "callbacks.h"

#define NL_SCAN_FDS	64

static bool nl_local;		/* unix socket: no-reply steps are negotiated */

/* nl_symlist - one macro list request */
static void
nl_symlist(SMFICTX *ctx, int where, const char *macros)
{
	char list[512];

	snprintf(list, sizeof(list), "%s", macros);
	(void)smfi_setsymlist(ctx, where, list);
}

/* nl_negotiate - the same flags and macro lists as tlspolicy-milter */
static sfsistat
nl_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
    unsigned long *pf3)
{
	unsigned long want = SMFIP_NOBODY | SMFIP_NOUNKNOWN | SMFIP_NOEOH | SMFIP_NORCPT;

	(void)f2;
	(void)f3;
	if (nl_local)
		want |= SMFIP_NODATA | SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_HDR;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST);
	*pf1 = f1 & want;
	*pf2 = 0;
	*pf3 = 0;
	if ((*pf0 & SMFIF_SETSYMLIST) != 0) {
		nl_symlist(ctx, SMFIM_CONNECT, CALLBACKS_CONNECT_MACROS);
		nl_symlist(ctx, SMFIM_HELO, CALLBACKS_HELO_MACROS);
		nl_symlist(ctx, SMFIM_ENVFROM, CALLBACKS_MAIL_MACROS);
		nl_symlist(ctx, SMFIM_ENVRCPT, CALLBACKS_RCPT_MACROS);
		nl_symlist(ctx, SMFIM_EOM, CALLBACKS_EOM_MACROS);
	}
	return SMFIS_CONTINUE;
}

/* nl_reply - continue, or no reply where the MTA was told not to wait */
static sfsistat
nl_reply(void)
{
	return nl_local ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* nl_connect - the connection */
static sfsistat
nl_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	(void)ctx;
	(void)host;
	(void)addr;
	return nl_reply();
}

/* nl_helo - HELO/EHLO */
static sfsistat
nl_helo(SMFICTX *ctx, char *helo)
{
	(void)ctx;
	(void)helo;
	return nl_reply();
}

/* nl_envfrom - MAIL: where tlspolicy-milter decides */
static sfsistat
nl_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

/* nl_header - one header (tlspolicy-milter looks for forged tags here) */
static sfsistat
nl_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return nl_reply();
}

/* nl_plain - abort and close */
static sfsistat
nl_plain(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

/* nl_eom - the one modification: a constant header at the top */
static sfsistat
nl_eom(SMFICTX *ctx)
{
	char name[] = "X-Null-Milter";
	char value[] = "lean";

	if (smfi_insheader(ctx, 0, name, value) != MI_SUCCESS)
		return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

/* nl_nodelay - TCP_NODELAY on the listening TCP socket libmilter opened */
static void
nl_nodelay(void)
{
	int fd, on = 1, value;
	socklen_t len;

	for (fd = 3; fd < NL_SCAN_FDS; fd++) {
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
	char name[] = "null_lean";
	const char *socket = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "p:")) != -1) {
		if (ch != 'p') {
			fprintf(stderr, "usage: null_lean -p SOCKET\n");
			return 2;
		}
		socket = optarg;
	}
	if (socket == NULL) {
		fprintf(stderr, "usage: null_lean -p SOCKET\n");
		return 2;
	}
	nl_local = strncmp(socket, "unix:", 5) == 0 || strncmp(socket, "local:", 6) == 0
	    || socket[0] == '/';
	memset(&desc, 0, sizeof(desc));
	desc.xxfi_name = name;
	desc.xxfi_version = SMFI_VERSION;
	desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST;
	desc.xxfi_connect = nl_connect;
	desc.xxfi_helo = nl_helo;
	desc.xxfi_envfrom = nl_envfrom;
	desc.xxfi_header = nl_header;
	desc.xxfi_eom = nl_eom;
	desc.xxfi_abort = nl_plain;
	desc.xxfi_close = nl_plain;
	desc.xxfi_negotiate = nl_negotiate;
	if (smfi_setconn((char *)socket) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS
	    || smfi_opensocket(true) != MI_SUCCESS) {
		fprintf(stderr, "null_lean: cannot use socket %s\n", socket);
		return 1;
	}
	if (!nl_local)
		nl_nodelay();
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
