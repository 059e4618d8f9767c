/* SPDX-License-Identifier: MIT */
/* backoff — delay arithmetic for retries (see backoff.h). No time, no state of its own. */
#include "core/backoff.h"

#include <math.h>

double
backoff_delay(const struct cfg_backoff *b, unsigned n, double u)
{
        double d;

        if (n < 1)
                n = 1;
        if (b->kind == CFG_BACKOFF_LINEAR)
                d = b->initial * (double)n;
        else
                d = b->initial * pow(b->factor, (double)(n - 1));       /* inf past the range: capped */
        if (!(d < b->max))
                d = b->max;
        if (u < 0 || !(u < 1))
                u = 0;
        return d * (1 - b->jitter * u);
}

double
backoff_uniform(uint64_t *state)
{
        uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        z ^= z >> 31;
        return (double)(z >> 11) * 0x1.0p-53;   /* 53 random bits: exactly representable, < 1 */
}
