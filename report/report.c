/*
 * report.c - "tlspolicy-milter report": read decision log lines from
 * files, rotated .gz files or standard input and summarize them.
 *
 * The command line chooses the period (--since, --until: inclusive
 * YYYY-MM-DD days, compared with the date as written in the log), one
 * partner (--partner NAME, "none" for non-partner mail), the rendering
 * (--format text|json|svg) and whether readiness assumes every partner
 * enforced (--what-if enforce).  Classic syslog lines have no year:
 * --year gives it, else the current year.  Lines without any date (the
 * -f stderr form) are outside every period once --since or --until is
 * given.
 *
 * Lines are read one at a time into a fixed buffer, parsed into a
 * struct decision on the stack and counted: memory does not grow with
 * the input.  A file that cannot be read is reported on stderr, the
 * others are still counted, and the exit status is 1.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aggregate.h"
#include "input.h"
#include "logparse.h"
#include "output.h"
#include "report.h"
#include "whatif.h"

#define REPORT_EXIT_USAGE	2
#define REPORT_TOP_DEFAULT	5

enum report_format {
	REPORT_TEXT = 0,
	REPORT_JSON,
	REPORT_SVG,
};

struct report_options {
	enum report_format format;
	struct report_view view;
	const char *policy_file;
	int year;
};

enum {
	OPT_SINCE = 256, OPT_UNTIL, OPT_PARTNER, OPT_FORMAT, OPT_WHAT_IF,
	OPT_POLICY, OPT_YEAR, OPT_ORG, OPT_TOP, OPT_HELP,
};

static const struct option report_long[] = {
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "partner", required_argument, NULL, OPT_PARTNER },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "what-if", required_argument, NULL, OPT_WHAT_IF },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "year", required_argument, NULL, OPT_YEAR },
	{ "organization", required_argument, NULL, OPT_ORG },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* report_usage - the synopsis */
static void
report_usage(FILE *stream)
{
	fprintf(stream,
	    "usage: tlspolicy-milter report [--since YYYY-MM-DD] [--until YYYY-MM-DD]\n"
	    "                               [--partner NAME|none] [--format text|json|svg]\n"
	    "                               [--what-if enforce [--policy FILE]]\n"
	    "                               [--year YYYY] [--organization NAME] [--top N]\n"
	    "                               [FILE|- ...]\n");
}

/* report_error - one usage error, then the synopsis */
static int
report_error(const char *what, const char *detail)
{
	fprintf(stderr, "tlspolicy-milter report: %s%s%s\n", what,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
	report_usage(stderr);
	return -1;
}

/* report_number - a decimal in [min, max]; -1 if not */
static long
report_number(const char *text, long min, long max)
{
	char *end;
	long value = strtol(text, &end, 10);

	if (*text == '\0' || *end != '\0' || value < min || value > max)
		return -1;
	return value;
}

/* report_option - apply one option; 1 for --help, -1 on error */
static int
report_option(int ch, const char *arg, struct report_options *ro)
{
	struct report_view *v = &ro->view;
	long n;

	switch (ch) {
	case OPT_SINCE:
		if (logparse_date(arg, &v->since) != 0)
			return report_error("--since is not a YYYY-MM-DD date", arg);
		v->has_since = true;
		return 0;
	case OPT_UNTIL:
		if (logparse_date(arg, &v->until) != 0)
			return report_error("--until is not a YYYY-MM-DD date", arg);
		v->has_until = true;
		return 0;
	case OPT_PARTNER:
		v->partner = arg;
		return 0;
	case OPT_FORMAT:
		if (strcmp(arg, "text") == 0)
			ro->format = REPORT_TEXT;
		else if (strcmp(arg, "json") == 0)
			ro->format = REPORT_JSON;
		else if (strcmp(arg, "svg") == 0)
			ro->format = REPORT_SVG;
		else
			return report_error("--format is not text, json or svg", arg);
		return 0;
	case OPT_WHAT_IF:
		if (strcmp(arg, "enforce") != 0)
			return report_error("--what-if knows only \"enforce\"", arg);
		v->what_if_enforce = true;
		return 0;
	case OPT_POLICY:
		ro->policy_file = arg;
		return 0;
	case OPT_YEAR:
		if ((n = report_number(arg, 1970, 9999)) < 0)
			return report_error("--year is not a year from 1970 to 9999", arg);
		ro->year = (int)n;
		return 0;
	case OPT_ORG:
		v->organization = arg;
		return 0;
	case OPT_TOP:
		if ((n = report_number(arg, 1, 1000)) < 0)
			return report_error("--top is not a number from 1 to 1000", arg);
		v->top = (size_t)n;
		return 0;
	case OPT_HELP:
		return 1;
	default:
		return report_error("unknown report option", NULL);
	}
}

/* report_current_year - the year now, in UTC */
static int
report_current_year(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL)
		return 1970;
	return tm.tm_year + 1900;
}

/* report_parse - the command line; 1 for --help, -1 on error */
static int
report_parse(int argc, char **argv, struct report_options *ro)
{
	static char host[256];
	int ch, status;

	memset(ro, 0, sizeof(*ro));
	ro->view.top = REPORT_TOP_DEFAULT;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":h", report_long, NULL)) != -1) {
		if (ch == ':')
			return report_error("option needs a value", argv[optind - 1]);
		if (ch == 'h')
			ch = OPT_HELP;
		if (ch == '?')
			return report_error("unknown report option", argv[optind - 1]);
		if ((status = report_option(ch, optarg, ro)) != 0)
			return status;
	}
	if (ro->policy_file != NULL && !ro->view.what_if_enforce)
		return report_error("--policy is used with --what-if enforce", NULL);
	if (ro->view.has_since && ro->view.has_until && ro->view.since > ro->view.until)
		return report_error("--since is after --until", NULL);
	if (ro->year == 0)
		ro->year = report_current_year();
	if (ro->view.organization == NULL) {
		if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
			snprintf(host, sizeof(host), "localhost");
		ro->view.organization = host;
	}
	return 0;
}

/* report_wanted - the decision is in the period and of the partner asked for */
static bool
report_in_period(const struct report_view *v, const struct decision *d)
{
	if (!v->has_since && !v->has_until)
		return true;
	if (!d->dated)
		return false;
	return (!v->has_since || d->day >= v->since) && (!v->has_until || d->day <= v->until);
}

/* report_partner_wanted - --partner: a name, or "none" for non-partner mail */
static bool
report_partner_wanted(const struct report_view *v, const struct decision *d)
{
	if (v->partner == NULL)
		return true;
	if (strcmp(v->partner, "none") == 0)
		return d->partner[0] == '\0';
	return strcmp(v->partner, d->partner) == 0;
}

/* report_line - classify and count one line; -1 when out of memory */
static int
report_line(struct aggregate *agg, const struct report_options *ro,
    struct whatif *eval, const char *line, bool cut)
{
	struct decision d;
	enum logparse_status status;

	agg->lines++;
	status = logparse_line(line, &d);
	if (cut && status != LOGPARSE_OTHER)
		status = LOGPARSE_BAD;
	switch (status) {
	case LOGPARSE_OTHER:
		agg->other++;
		return 0;
	case LOGPARSE_BAD:
		agg->unparseable++;
		return 0;
	case LOGPARSE_DECISION:
		break;
	}
	if (!report_in_period(&ro->view, &d)) {
		agg->out_of_period++;
		return 0;
	}
	/* Judge first: under another policy the partner may change. */
	if (eval != NULL && !whatif_judge(eval, &d)) {
		agg->filtered++;
		return 0;
	}
	if (!report_partner_wanted(&ro->view, &d)) {
		agg->filtered++;
		return 0;
	}
	return aggregate_add(agg, &d);
}

/* report_file - count every line of one input; -1 when it failed */
static int
report_file(struct aggregate *agg, const struct report_options *ro,
    struct whatif *eval, const char *path)
{
	static char line[INPUT_LINE_MAX];
	struct input *in;
	char err[512];
	bool cut;
	int status;

	if ((in = input_open(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "tlspolicy-milter report: %s\n", err);
		return -1;
	}
	while ((status = input_line(in, line, &cut, err, sizeof(err))) == 1) {
		if (report_line(agg, ro, eval, line, cut) != 0) {
			fprintf(stderr, "tlspolicy-milter report: out of memory\n");
			input_close(in);
			return -2;
		}
	}
	if (status < 0)
		fprintf(stderr, "tlspolicy-milter report: %s\n", err);
	input_close(in);
	return status < 0 ? -1 : 0;
}

/* report_write - the chosen rendering on stdout */
static int
report_write(const struct report_options *ro)
{
	int status;

	switch (ro->format) {
	case REPORT_JSON:
		status = output_json(stdout, &ro->view);
		break;
	case REPORT_SVG:
		status = output_svg(stdout, &ro->view);
		break;
	case REPORT_TEXT:
	default:
		status = output_text(stdout, &ro->view);
		break;
	}
	if (fflush(stdout) != 0)
		status = -1;
	if (status != 0)
		fprintf(stderr, "tlspolicy-milter report: cannot write the report\n");
	return status;
}

/* report_main - the report subcommand */
int
report_main(int argc, char **argv)
{
	struct report_options ro;
	struct aggregate *agg;
	struct whatif *eval = NULL;
	int i, status = 0, exit_status = 0;

	if ((status = report_parse(argc, argv, &ro)) != 0) {
		if (status > 0)
			report_usage(stdout);
		return status > 0 ? 0 : REPORT_EXIT_USAGE;
	}
	logparse_set_year(ro.year);
	if (ro.policy_file != NULL && (eval = whatif_new(ro.policy_file)) == NULL)
		return 1;
	if ((agg = aggregate_new()) == NULL) {
		fprintf(stderr, "tlspolicy-milter report: out of memory\n");
		whatif_free(eval);
		return 1;
	}
	ro.view.agg = agg;
	for (i = optind; i < argc || (i == optind && optind == argc); i++) {
		status = report_file(agg, &ro, eval, i < argc ? argv[i] : "-");
		if (status == -2)
			break;
		if (status != 0) {
			ro.view.read_errors++;
			exit_status = 1;
		}
	}
	if (status == -2 || report_write(&ro) != 0)
		exit_status = 1;
	aggregate_free(agg);
	whatif_free(eval);
	return exit_status;
}
