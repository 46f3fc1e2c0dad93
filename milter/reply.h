/*
 * reply.h - map a decision to a libmilter return code and SMTP reply.
 */
#ifndef TLSPOLICY_REPLY_H
#define TLSPOLICY_REPLY_H

#include <libmilter/mfapi.h>

#include "policy.h"

/*
 * reply_action - the one mapping from an effective action to SMFIS_*:
 * ACCEPT, TAG and QUARANTINE continue (the work is done at end of
 * message), DEFER tempfails, REJECT rejects.  For DEFER and REJECT the
 * reply (may be NULL: a default text) is set with smfi_setreply() after
 * checking that its codes belong to the action's class; a failing
 * smfi_setreply() still yields the right SMFIS code.
 */
sfsistat reply_action(SMFICTX *ctx, enum policy_action effective,
    const struct policy_reply *reply);

/*
 * reply_render - the reply the MTA will be given for a DEFER ('4') or
 * REJECT ('5') class: codes replaced by the defaults when they do not fit
 * the class, text made safe.  in may be NULL.  No libmilter: explain uses it.
 */
void reply_render(char class, const struct policy_reply *in, struct policy_reply *out);

/*
 * reply_for_verdict - the rendered reply for a verdict whose effective
 * action is DEFER or REJECT; -1 (out untouched) for any other action.
 */
int reply_for_verdict(const struct policy *policy, const struct verdict *verdict,
    const struct session_facts *facts, struct policy_reply *out);

/* reply_verdict - reply_action() with the reply the policy renders for verdict. */
sfsistat reply_verdict(SMFICTX *ctx, const struct policy *policy,
    const struct verdict *verdict, const struct session_facts *facts);

/* reply_internal_error - 451 4.3.0 and SMFIS_TEMPFAIL: never accept on a failure of ours. */
sfsistat reply_internal_error(SMFICTX *ctx);

#endif
