/*
 * whatif.h - judge logged sessions again under another policy, enforced.
 */
#ifndef TLSPOLICY_REPORT_WHATIF_H
#define TLSPOLICY_REPORT_WHATIF_H

#include <stdbool.h>
#include "logparse.h"

struct whatif;

/* whatif_new - load the policy; its diagnostics go to stderr; NULL on error. */
struct whatif *whatif_new(const char *path);
void whatif_free(struct whatif *w);	/* accepts NULL */

/*
 * whatif_judge - replace the verdict of d by the policy's, every partner
 * in enforce mode.  Returns false when the decision would not exist under
 * the policy (a recipient no recipient selector matches any more).
 */
bool whatif_judge(const struct whatif *w, struct decision *d);

#endif
