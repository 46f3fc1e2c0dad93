/* reply.h - placeholder. */
#ifndef TLSPOLICY_REPLY_H
#define TLSPOLICY_REPLY_H
#endif
