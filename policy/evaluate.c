/*
 * evaluate.c - judge one session's facts against a compiled policy.
 *
 * policy_evaluate() answers, in this order: can we judge at all (the
 * MTA sent macros), is the session exempt, which partner does it belong
 * to, does it meet that partner's (or the defaults') requirements, and
 * what should happen to it.  The partner is the lowest-numbered one
 * among the index hits (first in file order wins), and the verdict
 * names the selector and pattern that decided, so that logs and
 * explain can say why.
 *
 * At MAIL the sender domain, the verified client name and the client
 * address are looked up; at RCPT only the recipient domain, and a miss
 * there leaves the MAIL verdict standing (selector NONE, PASS).
 *
 * Every reason that applies is reported, except that a session without
 * TLS reports only no-tls: the other TLS reasons would all follow from
 * it and say nothing more.
 *
 * The function is pure: it reads the policy and the facts, writes the
 * verdict, allocates nothing, and may run in any number of threads at
 * once.  The verdict points into the policy (partner, selector value).
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "facts.h"
#include "policy.h"
#include "policy_int.h"
#include "tls.h"

/* Large enough for any domain a lookup key can hold. */
#define EVALUATE_DOMAIN_SIZE	256

/* evaluate_domain_key - the lookup key for an address's domain, or -1 */
static int
evaluate_domain_key(const char *address, char *key, size_t size)
{
	char domain[EVALUATE_DOMAIN_SIZE];
	const char *at = facts_domain(address);
	size_t len;

	if (at == NULL)
		return -1;
	len = strlen(at);
	/* A recipient may still carry its closing bracket. */
	if (len > 0 && at[len - 1] == '>')
		len--;
	if (len == 0 || len >= sizeof(domain))
		return -1;
	memcpy(domain, at, len);
	domain[len] = '\0';
	return domain_lookup_key(domain, key, size);
}

/* evaluate_hit - keep a hit if it names an earlier partner than the best so far */
static void
evaluate_hit(const struct policy_match *match, enum policy_selector selector,
    bool *found, struct policy_match *best, enum policy_selector *best_selector)
{
	if (*found && match->partner >= best->partner)
		return;
	*best = *match;
	*best_selector = selector;
	*found = true;
}

/* evaluate_domain_hit - look one address's domain up in a domain index */
static void
evaluate_domain_hit(const struct domain_index *index, const char *address,
    enum policy_selector selector, bool *found, struct policy_match *best,
    enum policy_selector *best_selector)
{
	char key[EVALUATE_DOMAIN_SIZE];
	struct policy_match match;

	if (index == NULL || evaluate_domain_key(address, key, sizeof(key)) != 0)
		return;
	if (domain_index_lookup(index, key, &match))
		evaluate_hit(&match, selector, found, best, best_selector);
}

/* evaluate_find_partner_mail - the partner for the client and sender, if any */
static bool
evaluate_find_partner_mail(const struct policy *policy, const struct session_facts *facts,
    struct policy_match *best, enum policy_selector *selector)
{
	char key[EVALUATE_DOMAIN_SIZE];
	struct policy_match match;
	bool found = false;

	/* Selector order matters only on a tie: sender, host, then IP. */
	evaluate_domain_hit(policy->sender_domains, facts->sender,
	    POLICY_SELECTOR_SENDER_DOMAIN, &found, best, selector);
	if (policy->client_hosts != NULL && facts->client_name_verified
	    && facts->client_name != NULL
	    && domain_lookup_key(facts->client_name, key, sizeof(key)) == 0
	    && domain_index_lookup(policy->client_hosts, key, &match))
		evaluate_hit(&match, POLICY_SELECTOR_CLIENT_HOST, &found, best, selector);
	if (policy->client_ips != NULL && facts->client_addr.family != 0
	    && cidr_index_lookup(policy->client_ips, &facts->client_addr, &match))
		evaluate_hit(&match, POLICY_SELECTOR_CLIENT_IP, &found, best, selector);
	return found;
}

/* evaluate_exempt - whether the session is exempt; fills the verdict if so */
static bool
evaluate_exempt(const struct policy *policy, const struct session_facts *facts,
    struct verdict *out)
{
	struct policy_match match;

	if (facts->authenticated && policy->exempt_authenticated) {
		out->selector = POLICY_SELECTOR_EXEMPT_AUTH;
	} else if (policy->exempt_ips != NULL && facts->client_addr.family != 0
	    && cidr_index_lookup(policy->exempt_ips, &facts->client_addr, &match)) {
		out->selector = POLICY_SELECTOR_EXEMPT_IP;
		out->selector_value = match.pattern;
		out->selector_line = match.line;
	} else
		return false;
	out->result = VERDICT_EXEMPT;
	return true;
}

/* evaluate_tls_reasons - what the TLS part of a requirement finds wrong */
static unsigned
evaluate_tls_reasons(const struct policy_require *require, const struct session_facts *facts)
{
	unsigned reasons = 0;
	int bits;

	if (require->min_version != TLS_VERSION_NONE) {
		if (facts->tls_version <= TLS_VERSION_UNKNOWN)
			reasons |= REASON_UNKNOWN_VERSION;
		else if (facts->tls_version < require->min_version)
			reasons |= REASON_VERSION_TOO_OLD;
	}
	if (require->pfs) {
		if (facts->cipher_class.pfs == TLS_PFS_NO)
			reasons |= REASON_NO_PFS;
		else if (facts->cipher_class.pfs != TLS_PFS_YES)
			reasons |= REASON_UNKNOWN_CIPHER;
	}
	if (require->min_cipher_bits > 0) {
		bits = facts->cipher_bits >= 0 ? facts->cipher_bits
		    : facts->cipher_class.openssl_bits;
		if (bits < 0)
			reasons |= REASON_UNKNOWN_CIPHER;
		else if (bits < require->min_cipher_bits)
			reasons |= REASON_WEAK_CIPHER;
	}
	return reasons;
}

/* evaluate_cert_reasons - what the client_cert part of a requirement finds wrong */
static unsigned
evaluate_cert_reasons(const struct policy_require *require, const struct session_facts *facts)
{
	unsigned reasons = 0;

	if (!require->cert_required)
		return 0;
	if (facts->cert == CERT_NONE)
		return REASON_NO_CLIENT_CERT;
	if (require->cert_verified && facts->cert != CERT_VERIFIED)
		reasons |= REASON_CERT_UNVERIFIED;
	if ((require->cert_issuer != NULL
	    && !cert_name_matches(require->cert_issuer, facts->cert_issuer))
	    || (require->cert_subject != NULL
	    && !cert_name_matches(require->cert_subject, facts->cert_subject)))
		reasons |= REASON_CERT_MISMATCH;
	return reasons;
}

/* evaluate_require - every reason the facts fail a requirement; 0 when they pass */
static unsigned
evaluate_require(const struct policy_require *require, const struct session_facts *facts)
{
	bool needs_tls = require->tls || require->min_version != TLS_VERSION_NONE
	    || require->pfs || require->min_cipher_bits > 0 || require->cert_required;

	if (!needs_tls)
		return 0;
	if (!facts->tls)
		return REASON_NO_TLS;
	return evaluate_tls_reasons(require, facts) | evaluate_cert_reasons(require, facts);
}

/* evaluate_judge - requirements and action of one block into the verdict */
static void
evaluate_judge(const struct policy *policy, const struct policy_partner *block,
    const struct session_facts *facts, struct verdict *out)
{
	enum policy_mode mode;

	out->reasons = evaluate_require(&block->require, facts);
	if (out->reasons == 0) {
		out->result = VERDICT_PASS;
		return;
	}
	out->result = VERDICT_FAIL;
	out->action = block->action;
	out->effective = block->action;
	mode = block->mode_set ? block->mode : policy->mode;
	if (mode == POLICY_MODE_TESTING && block->action > POLICY_ACTION_TAG) {
		out->effective = POLICY_ACTION_TAG;
		out->testing = true;
	}
}

/* policy_evaluate - judge the facts at MAIL (rcpt NULL) or at one RCPT */
void
policy_evaluate(const struct policy *policy, const struct session_facts *facts,
    const char *rcpt, struct verdict *out)
{
	struct policy_match match;
	enum policy_selector selector = POLICY_SELECTOR_NONE;
	bool found = false;

	memset(out, 0, sizeof(*out));
	out->result = VERDICT_PASS;
	out->selector = POLICY_SELECTOR_NONE;
	out->action = POLICY_ACTION_ACCEPT;
	out->effective = POLICY_ACTION_ACCEPT;

	/* Our misconfiguration, not the partner's: testing mode does not soften it. */
	if (!facts->macros_seen) {
		out->result = VERDICT_TEMPERROR;
		out->reasons = REASON_MISSING_MACROS;
		out->selector = POLICY_SELECTOR_MISSING_MACROS;
		out->action = policy->on_missing_macros == POLICY_MISSING_TEMPFAIL
		    ? POLICY_ACTION_DEFER : POLICY_ACTION_TAG;
		out->effective = out->action;
		return;
	}
	if (evaluate_exempt(policy, facts, out))
		return;
	if (rcpt == NULL)
		found = evaluate_find_partner_mail(policy, facts, &match, &selector);
	else
		evaluate_domain_hit(policy->recipient_domains, rcpt,
		    POLICY_SELECTOR_RECIPIENT_DOMAIN, &found, &match, &selector);
	if (!found && rcpt != NULL)
		return;
	if (found) {
		out->partner = &policy->partners[match.partner];
		out->selector = selector;
		out->selector_value = match.pattern;
		out->selector_line = match.line;
	}
	evaluate_judge(policy, found ? out->partner : &policy->defaults, facts, out);
}
