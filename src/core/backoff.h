/* SPDX-License-Identifier: MIT */
/* backoff — the delay before the n-th retry of a process, from its backoff keys: pure arithmetic
 * (the caller supplies the random draw), so that the timing is unit-tested exactly. */
#ifndef CORRAL_BACKOFF_H
#define CORRAL_BACKOFF_H

#include <stdint.h>

#include "cfg/cfg.h"

/* Seconds to wait before retry n (n >= 1; 0 is treated as 1). exponential: initial * factor^(n-1);
 * linear: initial * n (supervisord's 1, 2, 3 … with the defaults); both capped at max. Then jitter
 * takes the fraction jitter * u off (u in [0, 1)), so the cap stays the longest delay. */
double backoff_delay(const struct cfg_backoff *b, unsigned n, double u);

/* A uniform draw in [0, 1) from a 64-bit state (splitmix64): reproducible with a fixed seed. */
double backoff_uniform(uint64_t *state);

#endif
