/* SPDX-License-Identifier: MIT */
/* check_backoff — the retry delay arithmetic (core/backoff.h): every key, the cap, linear's exact
 * supervisord timing, and jitter's bounds and spread with a fixed seed. */
#include <check.h>
#include <math.h>
#include <stdint.h>

#include "core/backoff.h"
#include "unit.h"

static const struct cfg_backoff defaults = {
        .kind = CFG_BACKOFF_EXPONENTIAL, .initial = 1, .max = 60, .factor = 2, .jitter = 0, .reset = 60,
};

START_TEST(test_exponential_defaults)
{
        static const double want[] = { 1, 2, 4, 8, 16, 32, 60, 60, 60 };
        for (unsigned n = 1; n <= sizeof want / sizeof want[0]; n++)
                ck_assert_double_eq(backoff_delay(&defaults, n, 0), want[n - 1]);
        /* 0 means the first retry; a huge n stays at the cap (no inf, no NaN) */
        ck_assert_double_eq(backoff_delay(&defaults, 0, 0), 1);
        ck_assert_double_eq(backoff_delay(&defaults, 100000, 0), 60);
        ck_assert_double_eq(backoff_delay(&defaults, UINT32_MAX, 0), 60);
}
END_TEST

START_TEST(test_every_key)
{
        struct cfg_backoff b = defaults;
        b.initial = 0.5;
        b.factor = 3;
        b.max = 10;
        ck_assert_double_eq(backoff_delay(&b, 1, 0), 0.5);
        ck_assert_double_eq(backoff_delay(&b, 2, 0), 1.5);
        ck_assert_double_eq(backoff_delay(&b, 3, 0), 4.5);
        ck_assert_double_eq(backoff_delay(&b, 4, 0), 10);       /* 13.5 capped */
        b.factor = 1;                                           /* constant */
        ck_assert_double_eq(backoff_delay(&b, 50, 0), 0.5);
        b.factor = 1.5;
        ck_assert_double_eq_tol(backoff_delay(&b, 3, 0), 1.125, 1e-12);
        b.initial = 20;                                         /* first delay above the cap */
        ck_assert_double_eq(backoff_delay(&b, 1, 0), 10);
}
END_TEST

START_TEST(test_linear_is_supervisords)
{
        struct cfg_backoff b = defaults;
        b.kind = CFG_BACKOFF_LINEAR;
        b.factor = 7;                                           /* ignored */
        for (unsigned n = 1; n <= 60; n++)
                ck_assert_double_eq(backoff_delay(&b, n, 0), (double)n);
        ck_assert_double_eq(backoff_delay(&b, 61, 0), 60);      /* backoff_max still caps */
        b.initial = 0.25;
        ck_assert_double_eq(backoff_delay(&b, 3, 0), 0.75);
}
END_TEST

START_TEST(test_jitter_bounds_and_spread)
{
        struct cfg_backoff b = defaults;
        uint64_t seed = 42, again = 42;
        double lo = 1e9, hi = 0;
        b.jitter = 0.5;
        for (int i = 0; i < 10000; i++) {
                double u = backoff_uniform(&seed);
                ck_assert(u >= 0 && u < 1);
                ck_assert_double_eq(u, backoff_uniform(&again));        /* reproducible */
                double d = backoff_delay(&b, 4, u);                       /* 8 s less up to half */
                ck_assert_msg(d >= 4 && d <= 8, "delay %g out of [4, 8]", d);
                lo = fmin(lo, d);
                hi = fmax(hi, d);
        }
        /* the draws cover the range: 20 programs do not retry in lockstep */
        ck_assert_msg(lo < 4.01 && hi > 7.99, "spread [%g, %g]", lo, hi);
        /* full jitter reaches down to 0, and the cap is never exceeded */
        b.jitter = 1;
        ck_assert_double_eq(backoff_delay(&b, 30, 0), 60);
        ck_assert_double_eq(backoff_delay(&b, 30, 0.75), 15);
        /* no jitter: u is irrelevant; out-of-range u counts as 0 */
        b.jitter = 0;
        ck_assert_double_eq(backoff_delay(&b, 2, 0.9), 2);
        b.jitter = 0.5;
        ck_assert_double_eq(backoff_delay(&b, 2, 1.0), 2);
        ck_assert_double_eq(backoff_delay(&b, 2, -0.5), 2);
}
END_TEST

Suite *
unit_suite(void)
{
        Suite *s = suite_create("backoff");
        TCase *tc = tcase_create("delay");
        tcase_add_test(tc, test_exponential_defaults);
        tcase_add_test(tc, test_every_key);
        tcase_add_test(tc, test_linear_is_supervisords);
        tcase_add_test(tc, test_jitter_bounds_and_spread);
        suite_add_tcase(s, tc);
        return s;
}
