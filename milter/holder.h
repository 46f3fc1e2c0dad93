/* holder.h - placeholder. */
#ifndef TLSPOLICY_HOLDER_H
#define TLSPOLICY_HOLDER_H
#endif
