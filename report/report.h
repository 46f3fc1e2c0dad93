/*
 * report.h - "tlspolicy-milter report": summaries of the decision log.
 */
#ifndef TLSPOLICY_REPORT_REPORT_H
#define TLSPOLICY_REPORT_REPORT_H

/*
 * report_main - run the report subcommand; argv[0] is "report".
 * Returns the exit status: 0, 1 when an input could not be read
 * (the report is still written), 2 on a usage error.
 */
int report_main(int argc, char **argv);

#endif
