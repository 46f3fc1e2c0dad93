/* daemon.h - placeholder. */
#ifndef TLSPOLICY_DAEMON_H
#define TLSPOLICY_DAEMON_H
#endif
