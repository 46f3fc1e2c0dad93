/*
 * daemon.h - start the milter and serve until SIGTERM.
 */
#ifndef TLSPOLICY_DAEMON_H
#define TLSPOLICY_DAEMON_H

#include "options.h"

/* daemon_run - the whole start-up path, then smfi_main(); returns the exit status. */
int daemon_run(const struct options *opts);

#endif
