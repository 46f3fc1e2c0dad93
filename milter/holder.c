/*
 * holder - the current policy behind a read-write lock (milter-greylist's
 * conf_retain()/conf_release() idea).
 *
 * Every message takes a reference at MAIL with holder_get() and keeps
 * the policy it started with until the next MAIL, RSET or the end of
 * the connection, when it calls holder_release().  A reload builds and
 * validates the new policy completely, away from the lock, and only then
 * swaps the pointer; the old policy lives on until its last message lets
 * go.
 *
 * Every message takes and drops a reference, from up to one worker
 * thread per SMTP session: a plain mutex here made the threads queue
 * and sleep in futex() (strace: twice the wake-ups of a milter without
 * it).  So getters share a read lock, and release takes no lock at all:
 * the atomic count can only reach zero once holder_swap() has dropped
 * the holder's own reference, and by then holder_current points
 * elsewhere, so no getter can find the dying policy.
 *
 * Ownership: the holder owns one reference to the current policy.
 * Errors: holder_reload() logs the loader's diagnostics and keeps the
 * old policy on any error.
 */
#include "config.h"

#include <pthread.h>
#include <stddef.h>

#include "holder.h"
#include "log.h"
#include "policy.h"

static pthread_rwlock_t holder_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct policy *holder_current;

/* holder_init - install the first policy */
void
holder_init(struct policy *policy)
{
	holder_swap(policy);
}

/* holder_get - a new reference to the current policy */
struct policy *
holder_get(void)
{
	struct policy *policy;

	pthread_rwlock_rdlock(&holder_lock);
	policy = holder_current != NULL ? policy_ref(holder_current) : NULL;
	pthread_rwlock_unlock(&holder_lock);
	return policy;
}

/* holder_release - drop one reference (see the top: no lock needed) */
void
holder_release(struct policy *policy)
{
	policy_unref(policy);
}

/* holder_swap - replace the current policy */
void
holder_swap(struct policy *fresh)
{
	struct policy *old;

	pthread_rwlock_wrlock(&holder_lock);
	old = holder_current;
	holder_current = fresh;
	pthread_rwlock_unlock(&holder_lock);
	/* Freeing 100,000 partners need not keep the getters waiting. */
	policy_unref(old);
}

/* holder_log_diag - every diagnostic of a load, one line each */
static void
holder_log_diag(const struct policy_diag *diag)
{
	size_t i;

	for (i = 0; i < diag->count; i++) {
		if (diag->entries[i].warning)
			log_warn("%s", diag->entries[i].text);
		else
			log_err("%s", diag->entries[i].text);
	}
}

/* holder_reload - load, validate, swap on success */
int
holder_reload(const char *path)
{
	struct policy_diag diag;
	struct policy *fresh;

	policy_diag_init(&diag);
	fresh = policy_load_file(path, &diag);
	holder_log_diag(&diag);
	if (fresh == NULL || diag.errors > 0) {
		log_err("reload of %s failed with %zu error(s); the previous policy stays in force",
		    path, diag.errors);
		policy_unref(fresh);
		policy_diag_free(&diag);
		return -1;
	}
	log_info("reloaded %s: %zu partners, %zu selectors, mode %s", path,
	    policy_partner_count(fresh), policy_selector_count(fresh),
	    policy_mode_name(policy_mode(fresh)));
	holder_swap(fresh);
	policy_diag_free(&diag);
	return 0;
}

/* holder_shutdown - release the current policy */
void
holder_shutdown(void)
{
	holder_swap(NULL);
}
