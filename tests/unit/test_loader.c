/* test_loader.c - placeholder. */
#include "config.h"
#include "unit.h"
Suite *unit_suite(void) { return suite_create("loader"); }
