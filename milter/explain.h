/* explain.h - placeholder. */
#ifndef TLSPOLICY_EXPLAIN_H
#define TLSPOLICY_EXPLAIN_H
#endif
