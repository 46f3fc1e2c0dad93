/* callbacks.h - placeholder. */
#ifndef TLSPOLICY_CALLBACKS_H
#define TLSPOLICY_CALLBACKS_H
#endif
