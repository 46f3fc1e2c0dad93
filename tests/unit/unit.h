/*
 * unit.h - shared declarations for the Check unit tests.
 *
 * Each test_*.c defines unit_suite(); unit_main.c runs it and writes TAP
 * to standard output, so automake's TAP driver counts every test case.
 * Messages follow "got X, want Y".
 */
#ifndef TLSPOLICY_UNIT_H
#define TLSPOLICY_UNIT_H

#include <check.h>

Suite *unit_suite(void);

/* unit_data_path - "$top_srcdir/REL" in a static buffer. */
const char *unit_data_path(const char *rel);

#endif
