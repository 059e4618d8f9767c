/* SPDX-License-Identifier: MIT */
/* fsm — STUB (names only). Replaced by the process-runtime work (issue 2). */
#include "fsm.h"

int proc_state_code(enum proc_state s)
{
        static const int codes[PROC__COUNT] = { 0, 10, 20, 30, 40, 100, 200, 1000 };
        return (unsigned)s < PROC__COUNT ? codes[s] : 1000;
}
const char *proc_state_name(enum proc_state s)
{
        static const char *const n[PROC__COUNT] = { "STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FATAL", "UNKNOWN" };
        return (unsigned)s < PROC__COUNT ? n[s] : "UNKNOWN";
}
bool proc_state_is_stopped(enum proc_state s) { return s == PROC_STOPPED || s == PROC_EXITED || s == PROC_FATAL || s == PROC_UNKNOWN; }
bool proc_state_is_running(enum proc_state s) { return s == PROC_STARTING || s == PROC_RUNNING || s == PROC_BACKOFF; }
bool proc_state_is_signallable(enum proc_state s) { return s == PROC_STARTING || s == PROC_RUNNING || s == PROC_STOPPING; }
