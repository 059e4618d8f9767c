/* SPDX-License-Identifier: MIT */
/* corralctl — STUB. Replaced by the control-plane work (issue 4). */
#include <stdio.h>

int
main(void)
{
        fputs("corralctl: not built yet\n", stderr);
        return 1;
}
