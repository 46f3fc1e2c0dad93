/*
 * input.c - mail log lines from plain files, gzip files or stdin.
 *
 * zlib's gzread layer reads both: a file that does not start with the
 * gzip magic is passed through as it is, so a rotated "mail.log.2.gz",
 * a plain "mail.log" and a pipe on standard input ("-") are read the
 * same way, and concatenated gzip members too.  Lines are read into the
 * caller's fixed buffer; a longer line is cut there, the rest skipped,
 * and the caller told, so memory does not depend on the input.
 *
 * A read error (a corrupt or cut .gz) is reported through err with the
 * file name; the caller decides whether to go on.  The struct input is
 * owned by the caller and released by input_close().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "input.h"

#define INPUT_BUFFER	(128 * 1024)	/* zlib's read buffer: fewer read(2) calls */

struct input {
	gzFile file;
	const char *name;
};

/* input_open - open a log file, or standard input for "-" */
struct input *
input_open(const char *path, char *err, size_t errlen)
{
	struct input *in;
	int fd;

	if ((in = calloc(1, sizeof(*in))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	in->name = strcmp(path, "-") == 0 ? "(standard input)" : path;
	fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (in->file = gzdopen(fd, "rb")) == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", in->name,
		    fd < 0 ? strerror(errno) : "out of memory");
		if (fd >= 0)
			close(fd);
		free(in);
		return NULL;
	}
	gzbuffer(in->file, INPUT_BUFFER);
	return in;
}

/* input_skip_rest - read past the end of a line that did not fit */
static void
input_skip_rest(struct input *in)
{
	char rest[512];
	size_t len;

	while (gzgets(in->file, rest, sizeof(rest)) != NULL) {
		len = strlen(rest);
		if (len > 0 && rest[len - 1] == '\n')
			return;
	}
}

/* input_line - the next line, its line end removed */
int
input_line(struct input *in, char *buf, bool *cut, char *err, size_t errlen)
{
	const char *message;
	size_t len;
	int code;

	*cut = false;
	if (gzgets(in->file, buf, INPUT_LINE_MAX) == NULL) {
		message = gzerror(in->file, &code);
		if (code == Z_OK || code == Z_STREAM_END)
			return 0;
		snprintf(err, errlen, "%s: read error: %s", in->name,
		    code == Z_ERRNO ? strerror(errno) : message);
		return -1;
	}
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	else if (len == INPUT_LINE_MAX - 1) {
		*cut = true;
		input_skip_rest(in);
	}
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return 1;
}

/* input_close - close the file and free the reader */
void
input_close(struct input *in)
{
	if (in == NULL)
		return;
	gzclose(in->file);
	free(in);
}
