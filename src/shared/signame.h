/* SPDX-License-Identifier: MIT */
/* signame — the one signal-name table: parsing names in the config and signalProcess, and naming
 * signals in logs and exit descriptions. Pure. */
#ifndef CORRAL_SIGNAME_H
#define CORRAL_SIGNAME_H

#include <stddef.h>

/* The signal named by s[0..len): "TERM", "sigterm", "SIGTERM" (case-insensitive, "SIG" optional),
 * "RTMIN"/"RTMAX", and Python's SIG_DFL/SIG_IGN quirk ("_DFL" 0, "_IGN" 1, compat §A.2).
 * 0 or -EINVAL. Numbers are the caller's business. */
int signame_parse(const char *s, size_t len, int *ret);

/* "TERM" for SIGTERM (also "RTMIN"/"RTMAX"); NULL for a number without a name. */
const char *signame_abbrev(int sig);

/* "SIGTERM", as glibc's sigabbrev_np names 1-31, or "signal N" for any other number (static
 * buffer, overwritten by the next such call): supervisord's signame in logs and descriptions. */
const char *signame(int sig);

#endif
