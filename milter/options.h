/* options.h - placeholder. */
#ifndef TLSPOLICY_OPTIONS_H
#define TLSPOLICY_OPTIONS_H
#endif
