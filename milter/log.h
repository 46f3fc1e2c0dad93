/* log.h - placeholder. */
#ifndef TLSPOLICY_LOG_H
#define TLSPOLICY_LOG_H
#endif
