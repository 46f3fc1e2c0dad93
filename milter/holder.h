/*
 * holder.h - the current policy, shared by every connection thread.
 */
#ifndef TLSPOLICY_HOLDER_H
#define TLSPOLICY_HOLDER_H

#include "policy.h"

/* holder_init - install the first policy; takes over the caller's reference. */
void holder_init(struct policy *policy);

/* holder_get - a new reference to the current policy (NULL before init). */
struct policy *holder_get(void);

/* holder_release - drop a reference taken with holder_get(); accepts NULL. */
void holder_release(struct policy *policy);

/* holder_swap - make fresh current (taking its reference); drops the old one's. */
void holder_swap(struct policy *fresh);

/*
 * holder_reload - load and validate path; swap only when it has no
 * error.  Logs every diagnostic either way.  Returns 0 when swapped,
 * -1 when the old policy stays.
 */
int holder_reload(const char *path);

/* holder_shutdown - drop the holder's own reference. */
void holder_shutdown(void);

#endif
