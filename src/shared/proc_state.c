/* SPDX-License-Identifier: MIT */
/* proc_state — supervisord's state numbers and names. */
#include "shared/proc_state.h"

static const int codes[PROC__COUNT] = { 0, 10, 20, 30, 40, 100, 200, 1000 };

int
proc_state_code(enum proc_state s)
{
        return (unsigned)s < PROC__COUNT ? codes[s] : 1000;
}

enum proc_state
proc_state_from_code(long code)
{
        for (int s = 0; s < PROC__COUNT; s++)
                if (codes[s] == code)
                        return (enum proc_state)s;
        return PROC_UNKNOWN;
}

const char *
proc_state_name(enum proc_state s)
{
        static const char *const n[PROC__COUNT] = {
                "STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FATAL", "UNKNOWN"
        };
        return (unsigned)s < PROC__COUNT ? n[s] : "UNKNOWN";
}

bool
proc_state_is_stopped(enum proc_state s)
{
        return s == PROC_STOPPED || s == PROC_EXITED || s == PROC_FATAL || s == PROC_UNKNOWN;
}

bool
proc_state_is_running(enum proc_state s)
{
        return s == PROC_STARTING || s == PROC_RUNNING || s == PROC_BACKOFF;
}

bool
proc_state_is_signallable(enum proc_state s)
{
        return s == PROC_STARTING || s == PROC_RUNNING || s == PROC_STOPPING;
}
