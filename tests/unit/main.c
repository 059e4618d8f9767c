/* SPDX-License-Identifier: MIT */
/* main — the one entry point of every unit test binary: runs the suite its check_*.c exports
 * (unit_suite) and exits non-zero if a test failed. check's own CK_RUN_CASE / CK_RUN_SUITE /
 * CK_FORK environment variables select and debug as usual. Linked from an archive, so it names
 * no layer and adds nothing to what a test binary may link. */
#include <stdlib.h>

#include "unit.h"

int
main(void)
{
        SRunner *sr = srunner_create(unit_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
