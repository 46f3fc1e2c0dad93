/*
 * options.h - the command line of tlspolicy-milter.
 */
#ifndef TLSPOLICY_OPTIONS_H
#define TLSPOLICY_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#define OPTIONS_DEFAULT_POLICY	SYSCONFDIR "/tlspolicy-milter/policy.yaml"
#define OPTIONS_DEFAULT_SOCKET	"unix:" RUNSTATEDIR "/tlspolicy-milter/tlspolicy-milter.sock"

/* Exit status of a command line the program cannot use. */
#define OPTIONS_EXIT_USAGE	2

enum options_mode {
	OPTIONS_MODE_DAEMON = 0,	/* serve the MTA */
	OPTIONS_MODE_CHECK,		/* -n: check the policy file */
	OPTIONS_MODE_EXPLAIN,		/* explain: judge one session from the command line */
	OPTIONS_MODE_HELP,		/* -h: usage on stdout */
	OPTIONS_MODE_VERSION,		/* -V */
};

/* The session that "explain" judges; NULL means not given. */
struct explain_args {
	const char *client_ip;
	const char *client_host;	/* verified name ({client_name}) */
	const char *unverified_host;	/* PTR name that did not verify */
	const char *helo;
	const char *sender;
	const char *rcpt;
	const char *tls_version;	/* absent: plaintext */
	const char *cipher;
	const char *bits;
	const char *cert_subject;
	const char *cert_issuer;
	const char *verify;		/* Sendmail's {verify} */
	const char *mta_name;		/* {j} */
	bool authenticated;
};

struct options {
	enum options_mode mode;
	bool foreground;		/* -f */
	const char *policy_file;	/* -c */
	const char *socket;		/* -p, libmilter syntax */
	const char *user;		/* -u user[:group]; required as root */
	const char *pidfile;		/* -P, NULL: none */
	struct explain_args explain;
};

/*
 * options_parse - fill opts from argv.  On a usage error prints a
 * message and the usage on stderr and returns -1; the caller exits
 * with OPTIONS_EXIT_USAGE.  Strings point into argv.
 */
int options_parse(int argc, char **argv, struct options *opts);

/* options_usage - the synopsis, on the given stream. */
void options_usage(FILE *stream);

#endif
