/* SPDX-License-Identifier: MIT */
/* unit — what every check_*.c exports to the one main (main.c) linked into its binary. */
#ifndef CORRAL_TESTS_UNIT_H
#define CORRAL_TESTS_UNIT_H

#include <check.h>

/* The suite of this test binary: its test cases, fixtures and timeouts. */
Suite *unit_suite(void);

#endif
