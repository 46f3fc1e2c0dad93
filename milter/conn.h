/* conn.h - placeholder. */
#ifndef TLSPOLICY_CONN_H
#define TLSPOLICY_CONN_H
#endif
