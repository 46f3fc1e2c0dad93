/*
 * options - parse the command line.
 *
 * Two forms: the daemon ("tlspolicy-milter [-f] [-c policy] ...", also
 * -n to check a policy file) and the subcommand "tlspolicy-milter
 * explain ..." whose long options describe one SMTP session.  Every
 * mistake is a usage error with a sentence that names the option; the
 * caller exits with OPTIONS_EXIT_USAGE.  Values are checked here as far
 * as the command line can be (a number is a number, an address is an
 * address); the policy file is checked by its loader.
 *
 * The struct options points into argv: nothing to free.
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "options.h"

/* Sendmail's {verify} words (op.me, "STARTTLS"). */
static const char *const options_verify_words[] = {
	"OK", "NO", "NOT", "NONE", "FAIL", "CLEAR", "TEMP", "PROTOCOL", "SOFTWARE",
};

/* options_usage - the synopsis */
void
options_usage(FILE *stream)
{
	fprintf(stream,
	    "usage: tlspolicy-milter [-f] [-c policy] [-p socket] [-u user[:group]]\n"
	    "                        [-P pidfile]\n"
	    "       tlspolicy-milter -n [-c policy]\n"
	    "       tlspolicy-milter explain [-c policy] --client-ip IP [--client-host NAME |\n"
	    "                        --unverified-host NAME] [--helo NAME] --sender ADDR\n"
	    "                        [--rcpt ADDR] [--tls-version V --cipher C [--bits N]\n"
	    "                        [--cert-subject S] [--cert-issuer I] [--verify WORD]]\n"
	    "                        [--authenticated] [--mta-name NAME]\n"
	    "       tlspolicy-milter report [--since DATE] [--until DATE] [--partner NAME]\n"
	    "                        [--format text|json|svg] [--what-if enforce] [FILE...]\n"
	    "                        (report --help for all its options)\n"
	    "       tlspolicy-milter -h | -V\n"
	    "defaults: -c %s\n"
	    "          -p %s\n",
	    OPTIONS_DEFAULT_POLICY, OPTIONS_DEFAULT_SOCKET);
}

/* options_error - one usage error, then the synopsis */
static int
options_error(const char *what, const char *detail)
{
	fprintf(stderr, "tlspolicy-milter: %s%s%s\n", what,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
	options_usage(stderr);
	return -1;
}

/* options_defaults - every field at its default */
static void
options_defaults(struct options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->mode = OPTIONS_MODE_DAEMON;
	opts->policy_file = OPTIONS_DEFAULT_POLICY;
	opts->socket = OPTIONS_DEFAULT_SOCKET;
}

/* options_parse_daemon - the short options of the daemon and -n */
static int
options_parse_daemon(int argc, char **argv, struct options *opts)
{
	int ch;

	opterr = 0;
	while ((ch = getopt(argc, argv, ":fc:p:u:P:RnhV")) != -1) {
		switch (ch) {
		case 'f':
			opts->foreground = true;
			break;
		case 'c':
			opts->policy_file = optarg;
			break;
		case 'p':
			opts->socket = optarg;
			break;
		case 'u':
			opts->user = optarg;
			break;
		case 'P':
			opts->pidfile = optarg;
			break;
		case 'R':
			/* Gone: serving as root is never needed; say what replaces it. */
			return options_error("-R is no longer accepted",
			    "as root give -u user[:group] (the socket is opened before the drop)");
		case 'n':
			opts->mode = OPTIONS_MODE_CHECK;
			break;
		case 'h':
			opts->mode = OPTIONS_MODE_HELP;
			return 0;
		case 'V':
			opts->mode = OPTIONS_MODE_VERSION;
			return 0;
		case ':':
			return options_error("option needs a value", argv[optind - 1]);
		default:
			return options_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return options_error("unexpected argument", argv[optind]);
	if (*opts->policy_file == '\0')
		return options_error("-c needs a file name", NULL);
	if (*opts->socket == '\0')
		return options_error("-p needs a socket", NULL);
	return 0;
}

/* Long options of explain: the value is the struct field to fill. */
enum {
	EXPLAIN_CONFIG = 'c',
	EXPLAIN_CLIENT_IP = 256, EXPLAIN_CLIENT_HOST, EXPLAIN_UNVERIFIED_HOST,
	EXPLAIN_HELO, EXPLAIN_SENDER, EXPLAIN_RCPT, EXPLAIN_TLS_VERSION,
	EXPLAIN_CIPHER, EXPLAIN_BITS, EXPLAIN_CERT_SUBJECT, EXPLAIN_CERT_ISSUER,
	EXPLAIN_VERIFY, EXPLAIN_AUTHENTICATED, EXPLAIN_MTA_NAME, EXPLAIN_HELP,
};

static const struct option options_explain_long[] = {
	{ "config", required_argument, NULL, EXPLAIN_CONFIG },
	{ "client-ip", required_argument, NULL, EXPLAIN_CLIENT_IP },
	{ "client-host", required_argument, NULL, EXPLAIN_CLIENT_HOST },
	{ "unverified-host", required_argument, NULL, EXPLAIN_UNVERIFIED_HOST },
	{ "helo", required_argument, NULL, EXPLAIN_HELO },
	{ "sender", required_argument, NULL, EXPLAIN_SENDER },
	{ "rcpt", required_argument, NULL, EXPLAIN_RCPT },
	{ "tls-version", required_argument, NULL, EXPLAIN_TLS_VERSION },
	{ "cipher", required_argument, NULL, EXPLAIN_CIPHER },
	{ "bits", required_argument, NULL, EXPLAIN_BITS },
	{ "cert-subject", required_argument, NULL, EXPLAIN_CERT_SUBJECT },
	{ "cert-issuer", required_argument, NULL, EXPLAIN_CERT_ISSUER },
	{ "verify", required_argument, NULL, EXPLAIN_VERIFY },
	{ "authenticated", no_argument, NULL, EXPLAIN_AUTHENTICATED },
	{ "mta-name", required_argument, NULL, EXPLAIN_MTA_NAME },
	{ "help", no_argument, NULL, EXPLAIN_HELP },
	{ NULL, 0, NULL, 0 },
};

/* options_explain_field - the field a long option fills, NULL for flags */
static const char **
options_explain_field(struct explain_args *ex, int ch)
{
	switch (ch) {
	case EXPLAIN_CLIENT_IP:		return &ex->client_ip;
	case EXPLAIN_CLIENT_HOST:	return &ex->client_host;
	case EXPLAIN_UNVERIFIED_HOST:	return &ex->unverified_host;
	case EXPLAIN_HELO:		return &ex->helo;
	case EXPLAIN_SENDER:		return &ex->sender;
	case EXPLAIN_RCPT:		return &ex->rcpt;
	case EXPLAIN_TLS_VERSION:	return &ex->tls_version;
	case EXPLAIN_CIPHER:		return &ex->cipher;
	case EXPLAIN_BITS:		return &ex->bits;
	case EXPLAIN_CERT_SUBJECT:	return &ex->cert_subject;
	case EXPLAIN_CERT_ISSUER:	return &ex->cert_issuer;
	case EXPLAIN_VERIFY:		return &ex->verify;
	case EXPLAIN_MTA_NAME:		return &ex->mta_name;
	default:			return NULL;
	}
}

/* options_is_bits - decimal 0..65535 */
static bool
options_is_bits(const char *text)
{
	size_t len = strspn(text, "0123456789");

	return len > 0 && len <= 5 && text[len] == '\0' && atol(text) <= 65535;
}

/* options_is_verify_word - one of Sendmail's {verify} results */
static bool
options_is_verify_word(const char *text)
{
	size_t i;

	for (i = 0; i < sizeof(options_verify_words) / sizeof(options_verify_words[0]); i++)
		if (strcmp(text, options_verify_words[i]) == 0)
			return true;
	return false;
}

/* options_check_explain - what explain needs and what fits together */
static int
options_check_explain(const struct explain_args *ex)
{
	struct ip_addr addr;

	if (ex->client_ip == NULL)
		return options_error("explain needs --client-ip", NULL);
	if (ip_addr_parse(ex->client_ip, &addr) != 0)
		return options_error("--client-ip is not an IPv4 or IPv6 address", ex->client_ip);
	if (ex->sender == NULL)
		return options_error("explain needs --sender (\"\" for the null sender)", NULL);
	if (ex->client_host != NULL && ex->unverified_host != NULL)
		return options_error("give --client-host (verified) or --unverified-host, not both", NULL);
	if (ex->tls_version == NULL && (ex->cipher != NULL || ex->bits != NULL
	    || ex->cert_subject != NULL || ex->cert_issuer != NULL || ex->verify != NULL))
		return options_error("TLS details need --tls-version (without it the session is plaintext)", NULL);
	if (ex->tls_version != NULL && *ex->tls_version == '\0')
		return options_error("--tls-version is empty (leave it out for plaintext)", NULL);
	if (ex->bits != NULL && !options_is_bits(ex->bits))
		return options_error("--bits is not a number from 0 to 65535", ex->bits);
	if (ex->verify != NULL && !options_is_verify_word(ex->verify))
		return options_error("--verify is not one of OK NO NOT NONE FAIL CLEAR TEMP PROTOCOL SOFTWARE", ex->verify);
	return 0;
}

/* options_parse_explain - the long options of "explain" (argv[0] is "explain") */
static int
options_parse_explain(int argc, char **argv, struct options *opts)
{
	const char **field;
	int ch;

	opts->mode = OPTIONS_MODE_EXPLAIN;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:h", options_explain_long, NULL)) != -1) {
		if ((field = options_explain_field(&opts->explain, ch)) != NULL) {
			*field = optarg;
			continue;
		}
		switch (ch) {
		case EXPLAIN_CONFIG:
			opts->policy_file = optarg;
			break;
		case EXPLAIN_AUTHENTICATED:
			opts->explain.authenticated = true;
			break;
		case 'h':
		case EXPLAIN_HELP:
			opts->mode = OPTIONS_MODE_HELP;
			return 0;
		case ':':
			return options_error("option needs a value", argv[optind - 1]);
		default:
			return options_error("unknown explain option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return options_error("unexpected argument", argv[optind]);
	return options_check_explain(&opts->explain);
}

/* options_parse - dispatch on the subcommand */
int
options_parse(int argc, char **argv, struct options *opts)
{
	options_defaults(opts);
	optind = 1;
	if (argc >= 2 && strcmp(argv[1], "explain") == 0)
		return options_parse_explain(argc - 1, argv + 1, opts);
	return options_parse_daemon(argc, argv, opts);
}
