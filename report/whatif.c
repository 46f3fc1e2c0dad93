/*
 * whatif.c - judge logged sessions again under another policy, enforced.
 *
 * "report --what-if enforce --policy FILE" answers: had FILE been in
 * force, every partner in enforce mode, what would have been deferred
 * or rejected?  The logged facts are turned back into session facts and
 * given to policy_evaluate(), the milter's own engine:
 *
 * - the client name is taken as verified unless it is "unknown": Postfix's
 *   {client_name} is the forward-confirmed name or "unknown";
 * - the sender and recipient are "postmaster@DOMAIN": only domains match;
 * - PFS and bits are the logged ones (no OpenSSL table is needed);
 * - client certificates are not in the log: a certificate requirement
 *   keeps the certificate reasons the logged line had;
 * - missing-macros and authenticated-exempt lines keep their verdict:
 *   neither depends on the policy's partners.
 *
 * The whatif owns one policy reference; whatif_free() drops it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "policy.h"
#include "whatif.h"

#define WHATIF_CERT_REASONS \
	(REASON_NO_CLIENT_CERT | REASON_CERT_UNVERIFIED | REASON_CERT_MISMATCH)

struct whatif {
	struct policy *policy;
};

/* whatif_new - load and validate the policy */
struct whatif *
whatif_new(const char *path)
{
	struct policy_diag diag;
	struct whatif *w;
	size_t i;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		fprintf(stderr, "tlspolicy-milter report: out of memory\n");
		return NULL;
	}
	policy_diag_init(&diag);
	w->policy = policy_load_file(path, &diag);
	for (i = 0; i < diag.count; i++)
		fprintf(stderr, "%s\n", diag.entries[i].text);
	policy_diag_free(&diag);
	if (w->policy == NULL) {
		free(w);
		return NULL;
	}
	return w;
}

/* whatif_free - drop the policy */
void
whatif_free(struct whatif *w)
{
	if (w == NULL)
		return;
	policy_unref(w->policy);
	free(w);
}

/* whatif_facts - session facts from a logged decision; strings point into bufs */
static void
whatif_facts(const struct decision *d, struct session_facts *f, char *sender, size_t size)
{
	memset(f, 0, sizeof(*f));
	f->macros_seen = true;
	f->client_ip = (char *)d->client_ip;
	(void)ip_addr_parse(d->client_ip, &f->client_addr);
	if (strcmp(d->client_name, "unknown") != 0) {
		f->client_name = (char *)d->client_name;
		f->client_name_verified = true;
	}
	if (d->sender_domain[0] != '\0')
		snprintf(sender, size, "postmaster@%s", d->sender_domain);
	else
		sender[0] = '\0';
	f->sender = sender;
	f->tls = d->tls_version != TLS_VERSION_NONE;
	f->tls_version = d->tls_version;
	f->cipher = f->tls ? (char *)d->cipher : NULL;
	f->cipher_bits = d->bits;
	f->cipher_class.pfs = d->pfs;
	f->cipher_class.source = TLS_PFS_FROM_NOTHING;
	f->cipher_class.kx = "unknown";
	f->cipher_class.openssl_bits = d->bits;
	f->cert = CERT_VERIFIED;
}

/* whatif_store - write the new verdict into the decision, enforced */
static void
whatif_store(const struct verdict *v, unsigned logged_reasons, struct decision *d)
{
	const char *partner = v->partner != NULL ? policy_partner_name(v->partner) : "";

	snprintf(d->partner, sizeof(d->partner), "%s", partner);
	snprintf(d->selector, sizeof(d->selector), "%s", policy_selector_name(v->selector));
	d->reasons = v->reasons;
	/* The log has no certificate: keep what the milter saw of it. */
	if (d->reasons & WHATIF_CERT_REASONS)
		d->reasons = (d->reasons & ~WHATIF_CERT_REASONS)
		    | (logged_reasons & WHATIF_CERT_REASONS);
	d->result = v->result;
	d->action = v->action;
	if (d->result == VERDICT_FAIL && d->reasons == 0) {
		d->result = VERDICT_PASS;
		d->action = POLICY_ACTION_ACCEPT;
	}
	d->testing = false;
}

/* whatif_judge - the decision under the policy, every partner enforced */
bool
whatif_judge(const struct whatif *w, struct decision *d)
{
	struct session_facts facts;
	struct verdict verdict;
	char sender[DECISION_NAME_MAX + 16], rcpt[DECISION_NAME_MAX + 16];

	if (d->result == VERDICT_TEMPERROR
	    || strcmp(d->selector, policy_selector_name(POLICY_SELECTOR_EXEMPT_AUTH)) == 0) {
		d->testing = false;
		return true;
	}
	whatif_facts(d, &facts, sender, sizeof(sender));
	if (d->rcpt_stage) {
		snprintf(rcpt, sizeof(rcpt), "postmaster@%s", d->rcpt_domain);
		policy_evaluate(w->policy, &facts, rcpt, &verdict);
		if (verdict.selector == POLICY_SELECTOR_NONE)
			return false;
	} else
		policy_evaluate(w->policy, &facts, NULL, &verdict);
	whatif_store(&verdict, d->reasons, d);
	return true;
}
