/*
 * input.h - mail log lines from plain files, gzip files or stdin.
 */
#ifndef TLSPOLICY_REPORT_INPUT_H
#define TLSPOLICY_REPORT_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#define INPUT_LINE_MAX	4096	/* longer lines are cut and flagged */

struct input;

/* input_open - "-" is standard input; NULL with a message in err on failure. */
struct input *input_open(const char *path, char *err, size_t errlen);

/*
 * input_line - the next line without its line end, in buf (INPUT_LINE_MAX
 * bytes).  *cut is set when the line was longer and the rest skipped.
 * Returns 1 for a line, 0 at the end, -1 on a read error (message in err).
 */
int input_line(struct input *in, char *buf, bool *cut, char *err, size_t errlen);

void input_close(struct input *in);	/* accepts NULL */

#endif
