/* SPDX-License-Identifier: MIT */
/* fsm — supervisord's process state machine as a pure table: (state, event) → (next, actions).
 * No syscalls, no time: proc.c classifies what happened into an event, asks the table, and
 * performs the returned actions in a fixed order. */
#ifndef CORRAL_FSM_H
#define CORRAL_FSM_H

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

int proc_state_code(enum proc_state s);
const char *proc_state_name(enum proc_state s);         /* "RUNNING" */
bool proc_state_is_stopped(enum proc_state s);          /* STOPPED EXITED FATAL UNKNOWN */
bool proc_state_is_running(enum proc_state s);          /* STARTING RUNNING BACKOFF */
bool proc_state_is_signallable(enum proc_state s);      /* STARTING RUNNING STOPPING */

/* The owner of this module (fsm.c) defines the events, actions and the table below this line. */

#endif
