/*
 * log - the daemon's log lines, in the manner of OpenSMTPD's log.c.
 *
 * In the foreground (-f, the normal mode under systemd) every line goes
 * to stderr as "tlspolicy-milter: warning: text"; otherwise to syslog,
 * facility mail, ident "tlspolicy-milter", as Postfix logs, and until
 * the daemon detaches its warnings and errors also to stderr, so that a
 * start-up failure is seen where it was started.  Each line
 * is formatted into one buffer first and written with a single call, so
 * lines from concurrent connection threads do not interleave.
 *
 * Callers pass trusted format strings only: a string that came from the
 * SMTP session is an argument to "%s", never a format, and the decision
 * line is rendered and sanitized by verdict_log_line() before it gets
 * here.  Lines longer than the buffer are cut.
 *
 * fatal() logs and exits 1.  Nothing here allocates.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "policy.h"
#include "textsafe.h"

#define LOG_IDENT	"tlspolicy-milter"
#define LOG_LINE_MAX	2048

static bool log_foreground = true;	/* stderr until log_init says otherwise */
static bool log_stderr_too;		/* warnings also on stderr (not yet detached) */
static pthread_mutex_t log_limit_lock = PTHREAD_MUTEX_INITIALIZER;

static void log_emit(int priority, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* log_init - choose stderr or syslog */
void
log_init(bool foreground)
{
	log_foreground = foreground;
	log_stderr_too = !foreground;
	if (!foreground)
		openlog(LOG_IDENT, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* log_detach - no stderr any more */
void
log_detach(void)
{
	log_stderr_too = false;
}

/* log_label - the word Postfix puts before a line of this priority */
static const char *
log_label(int priority)
{
	switch (priority) {
	case LOG_WARNING:
		return "warning: ";
	case LOG_ERR:
		return "error: ";
	case LOG_CRIT:
		return "fatal: ";
	default:
		return "";
	}
}

/* log_write_fd - all of buf to fd; a log line that cannot be written is lost */
static void
log_write_fd(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/*
 * log_write - one finished line to stderr and/or syslog.  The stderr
 * copy is put together first and written with write(2) itself: one
 * write() per line keeps concurrent lines whole, and stdio's lock on
 * stderr made the worker threads queue in futex() (every message logs).
 */
static void
log_write(int priority, const char *line)
{
	char out[sizeof(LOG_IDENT) + 16 + LOG_LINE_MAX];
	const char *label = log_label(priority);
	size_t len = 0;

	if (log_foreground || (priority <= LOG_WARNING && log_stderr_too)) {
		text_put(out, sizeof(out) - 1, &len, LOG_IDENT ": ");
		text_put(out, sizeof(out) - 1, &len, label);
		text_put(out, sizeof(out) - 1, &len, line);
		out[len++] = '\n';
		log_write_fd(STDERR_FILENO, out, len);
	}
	if (!log_foreground)
		syslog(priority, "%s%s", label, line);
}

/* log_emit - format one line and write it */
static void
log_emit(int priority, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];

	vsnprintf(line, sizeof(line), fmt, ap);
	log_write(priority, line);
}

/* log_info - an informational line */
void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, fmt, ap);
	va_end(ap);
}

/* log_warn - something the administrator should look at */
void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, fmt, ap);
	va_end(ap);
}

/* log_err - something failed */
void
log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_ERR, fmt, ap);
	va_end(ap);
}

/* fatal - log and exit 1 */
void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

/*
 * log_decision - "QUEUEID: tlspolicy: ...", put together without
 * printf: it is written once for every message.
 */
void
log_decision(const struct verdict *verdict, const struct session_facts *facts,
    const char *rcpt)
{
	char line[LOG_LINE_MAX];
	size_t len = 0;

	if (facts->queue_id != NULL)
		text_safe_append(line, sizeof(line), &len, facts->queue_id, 40, " :");
	else
		text_put(line, sizeof(line), &len, "NOQUEUE");
	text_put(line, sizeof(line), &len, ": ");
	verdict_log_line(verdict, facts, rcpt, line + len, sizeof(line) - len);
	log_write(LOG_INFO, line);
}

/* log_limit_pass - true at most once per interval for this limiter */
bool
log_limit_pass(time_t *last, time_t interval)
{
	time_t now = time(NULL);
	bool pass = false;

	pthread_mutex_lock(&log_limit_lock);
	if (*last == 0 || now - *last >= interval || now < *last) {
		*last = now;
		pass = true;
	}
	pthread_mutex_unlock(&log_limit_lock);
	return pass;
}
