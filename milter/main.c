/*
 * main - tlspolicy-milter: dispatch to the daemon, the policy check (-n),
 * the explain subcommand or the report subcommand (report/, its own
 * command line).  See tlspolicy-milter(8).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "explain.h"
#include "options.h"
#include "report.h"

int
main(int argc, char **argv)
{
	struct options opts;

	if (argc >= 2 && strcmp(argv[1], "report") == 0)
		return report_main(argc - 1, argv + 1);
	if (options_parse(argc, argv, &opts) != 0)
		return OPTIONS_EXIT_USAGE;
	switch (opts.mode) {
	case OPTIONS_MODE_HELP:
		options_usage(stdout);
		return 0;
	case OPTIONS_MODE_VERSION:
		printf("tlspolicy-milter %s\n", PACKAGE_VERSION);
		return 0;
	case OPTIONS_MODE_CHECK:
		return explain_check(&opts);
	case OPTIONS_MODE_EXPLAIN:
		return explain_run(&opts);
	case OPTIONS_MODE_DAEMON:
	default:
		return daemon_run(&opts);
	}
}
