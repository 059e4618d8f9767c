/* SPDX-License-Identifier: MIT */
/* proc_state — supervisord's process states (compat §C): the dense enum the daemon indexes tables
 * with, the numbers on the wire (getProcessInfo's "state") and the names ("statename"). Shared by
 * the daemon's state machine and the client, which reads the numbers back. */
#ifndef CORRAL_PROC_STATE_H
#define CORRAL_PROC_STATE_H

#include <stdbool.h>

/* Dense indices; proc_state_code() gives supervisord's numbers (0, 10, 20, 30, 40, 100, 200, 1000). */
enum proc_state {
        PROC_STOPPED,
        PROC_STARTING,
        PROC_RUNNING,
        PROC_BACKOFF,
        PROC_STOPPING,
        PROC_EXITED,
        PROC_FATAL,
        PROC_UNKNOWN,
        PROC__COUNT
};

int proc_state_code(enum proc_state s);                 /* 20 for PROC_RUNNING; 1000 out of range */
enum proc_state proc_state_from_code(long code);        /* 20 → PROC_RUNNING; unknown → PROC_UNKNOWN */
const char *proc_state_name(enum proc_state s);         /* "RUNNING" */
bool proc_state_is_stopped(enum proc_state s);          /* STOPPED EXITED FATAL UNKNOWN */
bool proc_state_is_running(enum proc_state s);          /* STARTING RUNNING BACKOFF */
bool proc_state_is_signallable(enum proc_state s);      /* STARTING RUNNING STOPPING */

#endif
