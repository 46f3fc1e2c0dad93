/*
 * reply - the one place that turns a decision into what libmilter
 * sends the MTA (the idea of OpenDKIM's dkimf_miltercode(), not its size).
 *
 * The enhanced status code must belong to the same class as the SMTP
 * code and the action (4xx with 4.x.x for a tempfail, 5xx with 5.x.x for
 * a reject): Postfix ignores a milter reply that mixes them, and
 * libmilter drops one whose first digit does not fit the return code.
 * A reply that does not fit is replaced by the default codes with the
 * same text.  The text goes through textsafe once more: smfi_setreply()
 * refuses CR and LF, and Sendmail expands '%'.
 *
 * Failures of our own (out of memory, a missing context) are tempfails
 * with 451 4.3.0, never an accept: a policy that cannot be checked must
 * not let mail through unchecked, and must not bounce it either.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <libmilter/mfapi.h>

#include "log.h"
#include "policy.h"
#include "reply.h"
#include "textsafe.h"

#define REPLY_DEFER_RCODE	"451"
#define REPLY_DEFER_XCODE	"4.7.0"
#define REPLY_REJECT_RCODE	"550"
#define REPLY_REJECT_XCODE	"5.7.0"
#define REPLY_DEFAULT_TEXT	"TLS policy not met"

/* reply_class_fits - codes present, well formed and of the class wanted */
static bool
reply_class_fits(const struct policy_reply *reply, char class)
{
	return strlen(reply->rcode) == 3 && reply->rcode[0] == class
	    && reply->xcode[0] == class && reply->xcode[1] == '.';
}

/* reply_render - final codes and text for a class */
void
reply_render(char class, const struct policy_reply *in, struct policy_reply *out)
{
	const char *text = REPLY_DEFAULT_TEXT;

	memset(out, 0, sizeof(*out));
	if (in != NULL && reply_class_fits(in, class)) {
		snprintf(out->rcode, sizeof(out->rcode), "%s", in->rcode);
		snprintf(out->xcode, sizeof(out->xcode), "%s", in->xcode);
	} else {
		snprintf(out->rcode, sizeof(out->rcode), "%s",
		    class == '4' ? REPLY_DEFER_RCODE : REPLY_REJECT_RCODE);
		snprintf(out->xcode, sizeof(out->xcode), "%s",
		    class == '4' ? REPLY_DEFER_XCODE : REPLY_REJECT_XCODE);
	}
	if (in != NULL && in->text[0] != '\0')
		text = in->text;
	text_safe_copy(out->text, sizeof(out->text), text, 0, NULL);
}

/* reply_set - smfi_setreply() with codes that fit the class */
static void
reply_set(SMFICTX *ctx, const struct policy_reply *reply, char class)
{
	struct policy_reply final;

	reply_render(class, reply, &final);
	if (smfi_setreply(ctx, final.rcode, final.xcode, final.text) != MI_SUCCESS)
		log_warn("smfi_setreply(%s %s) failed; the MTA uses its default text",
		    final.rcode, final.xcode);
}

/* reply_action - effective action to SMFIS_* (and the reply) */
sfsistat
reply_action(SMFICTX *ctx, enum policy_action effective, const struct policy_reply *reply)
{
	switch (effective) {
	case POLICY_ACTION_DEFER:
		reply_set(ctx, reply, '4');
		return SMFIS_TEMPFAIL;
	case POLICY_ACTION_REJECT:
		reply_set(ctx, reply, '5');
		return SMFIS_REJECT;
	case POLICY_ACTION_ACCEPT:
	case POLICY_ACTION_TAG:
	case POLICY_ACTION_QUARANTINE:
	default:
		return SMFIS_CONTINUE;
	}
}

/* reply_for_verdict - the rendered reply of a DEFER or REJECT verdict */
int
reply_for_verdict(const struct policy *policy, const struct verdict *verdict,
    const struct session_facts *facts, struct policy_reply *out)
{
	struct policy_reply reply;
	const struct policy_reply *source = &reply;

	if (verdict->effective != POLICY_ACTION_DEFER && verdict->effective != POLICY_ACTION_REJECT)
		return -1;
	memset(&reply, 0, sizeof(reply));
	if (verdict_reply(policy, verdict, facts, &reply) != 0)
		source = NULL;
	reply_render(verdict->effective == POLICY_ACTION_DEFER ? '4' : '5', source, out);
	return 0;
}

/* reply_verdict - the policy's reply for a verdict */
sfsistat
reply_verdict(SMFICTX *ctx, const struct policy *policy, const struct verdict *verdict,
    const struct session_facts *facts)
{
	struct policy_reply reply;

	if (reply_for_verdict(policy, verdict, facts, &reply) != 0)
		return reply_action(ctx, verdict->effective, NULL);
	return reply_action(ctx, verdict->effective, &reply);
}

/* reply_internal_error - tempfail for a failure of ours */
sfsistat
reply_internal_error(SMFICTX *ctx)
{
	struct policy_reply reply;

	memset(&reply, 0, sizeof(reply));
	snprintf(reply.rcode, sizeof(reply.rcode), "451");
	snprintf(reply.xcode, sizeof(reply.xcode), "4.3.0");
	snprintf(reply.text, sizeof(reply.text),
	    "TLS policy check failed: internal error in the policy milter, try again later");
	return reply_action(ctx, POLICY_ACTION_DEFER, &reply);
}
