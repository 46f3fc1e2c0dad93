/* test_textsafe.c - placeholder. */
#include "config.h"
#include "unit.h"
Suite *unit_suite(void) { return suite_create("textsafe"); }
