/* SPDX-License-Identifier: MIT */
/* main — STUB. Replaced by the daemon work (issue 2). */
#include <stdio.h>

int
main(void)
{
        fputs("corrald: not built yet\n", stderr);
        return 1;
}
