/* tls_version - placeholder until its module lands. */
#include "config.h"
extern int tlspolicy_placeholder_tls_version;
