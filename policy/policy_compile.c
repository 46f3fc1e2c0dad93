/* policy_compile - placeholder until its module lands. */
#include "config.h"
extern int tlspolicy_placeholder_policy_compile;
