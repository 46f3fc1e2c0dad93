/*
 * holder - the current policy behind a mutex (milter-greylist's
 * conf_retain()/conf_release() idea).
 *
 * Every message takes a reference at MAIL with holder_get() and keeps
 * the policy it started with until the next MAIL, RSET or the end of
 * the connection, when it calls holder_release().  A reload builds and
 * validates the new policy completely, away from the lock, and only then
 * swaps the pointer; the old policy lives on until its last message lets
 * go.  Reference counts change only under holder_lock, so a reference
 * can never be taken on a policy whose count just reached zero.
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

static pthread_mutex_t holder_lock = PTHREAD_MUTEX_INITIALIZER;
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

	pthread_mutex_lock(&holder_lock);
	policy = holder_current != NULL ? policy_ref(holder_current) : NULL;
	pthread_mutex_unlock(&holder_lock);
	return policy;
}

/* holder_release - drop one reference */
void
holder_release(struct policy *policy)
{
	if (policy == NULL)
		return;
	pthread_mutex_lock(&holder_lock);
	policy_unref(policy);
	pthread_mutex_unlock(&holder_lock);
}

/* holder_swap - replace the current policy */
void
holder_swap(struct policy *fresh)
{
	pthread_mutex_lock(&holder_lock);
	policy_unref(holder_current);
	holder_current = fresh;
	pthread_mutex_unlock(&holder_lock);
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
