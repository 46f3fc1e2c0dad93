#include "config.h"

/*
 * null_full - the "typical milter" baseline: a libmilter milter that
 * registers every callback, so the MTA sends it every stage and waits for
 * every answer, judges nothing, and adds one constant header at EOM.
 *
 * Usage: null_full -p SOCKET
 *
 * Like most milters it leaves libmilter's sockets alone (no TCP_NODELAY),
 * so over TCP it shows the Nagle stall that tests/bench/bench.sh compares
 * against.  No state, nothing to free.  Exits 1 when libmilter refuses
 * the socket or the registration.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

/* nf_connect - the connection */
static sfsistat
nf_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	(void)ctx;
	(void)host;
	(void)addr;
	return SMFIS_CONTINUE;
}

/* nf_helo - HELO/EHLO */
static sfsistat
nf_helo(SMFICTX *ctx, char *helo)
{
	(void)ctx;
	(void)helo;
	return SMFIS_CONTINUE;
}

/* nf_argv - MAIL and RCPT */
static sfsistat
nf_argv(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

/* nf_header - one header */
static sfsistat
nf_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_CONTINUE;
}

/* nf_plain - DATA, EOH, abort and close */
static sfsistat
nf_plain(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

/* nf_body - one body chunk */
static sfsistat
nf_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx;
	(void)chunk;
	(void)len;
	return SMFIS_CONTINUE;
}

/* nf_unknown - an unknown SMTP command */
static sfsistat
nf_unknown(SMFICTX *ctx, const char *cmd)
{
	(void)ctx;
	(void)cmd;
	return SMFIS_CONTINUE;
}

/* nf_eom - the one modification: a constant header */
static sfsistat
nf_eom(SMFICTX *ctx)
{
	char name[] = "X-Null-Milter";
	char value[] = "full";

	if (smfi_addheader(ctx, name, value) != MI_SUCCESS)
		return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

int
main(int argc, char **argv)
{
	struct smfiDesc desc;
	char name[] = "null_full";
	const char *socket = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "p:")) != -1) {
		if (ch != 'p') {
			fprintf(stderr, "usage: null_full -p SOCKET\n");
			return 2;
		}
		socket = optarg;
	}
	if (socket == NULL) {
		fprintf(stderr, "usage: null_full -p SOCKET\n");
		return 2;
	}
	memset(&desc, 0, sizeof(desc));
	desc.xxfi_name = name;
	desc.xxfi_version = SMFI_VERSION;
	desc.xxfi_flags = SMFIF_ADDHDRS;
	desc.xxfi_connect = nf_connect;
	desc.xxfi_helo = nf_helo;
	desc.xxfi_envfrom = nf_argv;
	desc.xxfi_envrcpt = nf_argv;
	desc.xxfi_header = nf_header;
	desc.xxfi_eoh = nf_plain;
	desc.xxfi_body = nf_body;
	desc.xxfi_eom = nf_eom;
	desc.xxfi_abort = nf_plain;
	desc.xxfi_close = nf_plain;
	desc.xxfi_unknown = nf_unknown;
	desc.xxfi_data = nf_plain;
	if (strncmp(socket, "unix:", 5) == 0)
		unlink(socket + 5);
	if (smfi_setconn((char *)socket) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS) {
		fprintf(stderr, "null_full: cannot use socket %s\n", socket);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
