/*
 * log.h - the daemon's logging: stderr in the foreground, syslog otherwise.
 */
#ifndef TLSPOLICY_LOG_H
#define TLSPOLICY_LOG_H

#include <stdbool.h>
#include <time.h>

#include "facts.h"
#include "policy.h"

/*
 * log_init - choose the destination.  foreground: every line goes to
 * stderr; otherwise syslog (facility mail, ident "tlspolicy-milter"),
 * and warnings and errors also go to stderr until log_detach().
 */
void log_init(bool foreground);

/* log_detach - stderr is gone (daemonized): syslog only from now on. */
void log_detach(void);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * log_decision - the one line per decision: "QUEUEID: tlspolicy: ...",
 * QUEUEID being facts->queue_id or "NOQUEUE".  rcpt may be NULL.
 */
void log_decision(const struct verdict *verdict, const struct session_facts *facts,
    const char *rcpt);

/*
 * log_limit_pass - rate limit for loud warnings: true at most once per
 * interval seconds for the given limiter (a static time_t, 0 at start).
 */
bool log_limit_pass(time_t *last, time_t interval);

#endif
