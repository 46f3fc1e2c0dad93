/*
 * unit_main.c - run one Check suite and report it as TAP on stdout.
 */
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"

/* unit_data_path - resolve a file under the source tree (make check sets top_srcdir). */
const char *
unit_data_path(const char *rel)
{
	static char path[4096];
	const char *top = getenv("top_srcdir");

	snprintf(path, sizeof(path), "%s/%s", top != NULL ? top : ".", rel);
	return path;
}

int
main(void)
{
	SRunner *runner = srunner_create(unit_suite());
	int failed;

	srunner_set_tap(runner, "-");
	srunner_run_all(runner, CK_SILENT);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
