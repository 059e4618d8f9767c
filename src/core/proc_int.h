/* SPDX-License-Identifier: MIT */
/* proc_int — the private side of struct proc, shared by proc.c, its pid index (proc_pid.c) and
 * its readiness state (ready.c) only: nothing else includes it. */
#ifndef CORRAL_PROC_INT_H
#define CORRAL_PROC_INT_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

#include "core/proc.h"
#include "core/ready.h"
#include "shared/fault.h"

/* What proc keeps about a process besides its public face (proc.h): allocated in one block with
 * it (struct proc_obj), reached through p->in. */
struct proc_int {
        ev_timer timer;                 /* one deadline; meaning depends on state */
        struct proc_watch *watchers;
        struct proc *pid_next;          /* pid hash chain */
        double state_time;              /* wall clock of the last state change */
        double stop_deadline;           /* monotonic: SIGKILL due (STOPPING) */
        double next_report;             /* monotonic: next "waiting for x to stop" (STOPPING) */
        bool stop_requested;            /* an explicit stop is in progress */
        pid_t reaped_pgid;              /* process group of the process just reaped */
        int user_signal;                /* proc_signal's signal while it is dispatched */
        enum fault last_fault;          /* the spawn failure of the current command */
        bool exit_expected;             /* the last exit's status was in exitcodes */
        int exit_code;                  /* the last exit's status (-1 after a signal) */
        double exit_ran;                /* seconds it had been up past startsecs (RUNNING) then */
        char exit_what[96];             /* and its text: "exit status 1", "terminated by SIGKILL" */
        unsigned busy;                  /* dispatch depth: proc_free is deferred while > 0 */
        bool dead;                      /* proc_free was called while busy */
        bool held_back;                 /* an automatic start waits for proc_set_autorestart(true) */
        bool due;                       /* in the queue of automatic starts (below) */
        struct proc *due_next, *due_prev;
        struct ready_state *ready;      /* ready.c's, NULL for a program without ready= */
        const char *ready_how;          /* how it said it is ready, for the success line */
        bool ready_timed_out;           /* killed for not being ready within ready_timeout */
};

struct proc_obj {
        struct proc pub;
        struct proc_int in;
};

/* The pid → proc index (proc_pid.c): O(1) dispatch of exits. p->pid must be set on insert and
 * still set on remove; removing a process that is not indexed does nothing. */
void proc_pid_insert(struct proc *p);
void proc_pid_remove(struct proc *p);

#endif
