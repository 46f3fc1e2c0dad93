/*
 * explain.h - "tlspolicy-milter -n" and "tlspolicy-milter explain".
 */
#ifndef TLSPOLICY_EXPLAIN_H
#define TLSPOLICY_EXPLAIN_H

#include "options.h"

/*
 * explain_check - -n: load the policy, print its diagnostics on stderr
 * and "FILE: OK (N partners, M selectors)" on stdout; returns the exit
 * status (0, or 1 on any error).
 */
int explain_check(const struct options *opts);

/*
 * explain_run - judge the session described by opts->explain exactly as
 * the milter would, and print why; returns the exit status (0, or 1 when
 * the policy or the cipher table cannot be loaded).
 */
int explain_run(const struct options *opts);

#endif
