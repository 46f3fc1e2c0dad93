/*
 * fuzz_policy_load.c - libFuzzer target: the YAML policy loader.
 *
 * The input is a policy file's bytes.  policy_load_buffer() must either
 * return a policy or fill the diagnostics with at least one error; it
 * must never crash, leak or read past the buffer (ASan, UBSan and
 * LeakSanitizer watch).  The target owns the policy and the diagnostics
 * and releases both before returning.  A load that fails without an
 * error, or succeeds with one, aborts: that is a loader bug too.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - load, check the outcome agrees with diag, free */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_diag diag;
	struct policy *policy;
	size_t i;

	policy_diag_init(&diag);
	policy = policy_load_buffer("fuzz.yaml", (const char *)data, size, &diag);
	if ((policy == NULL) != (diag.errors > 0))
		abort();
	for (i = 0; i < diag.count; i++)
		if (diag.entries[i].text == NULL)
			abort();
	if (policy != NULL) {
		(void)policy_partner_count(policy);
		(void)policy_selector_count(policy);
		policy_unref(policy);
	}
	policy_diag_free(&diag);
	return 0;
}
