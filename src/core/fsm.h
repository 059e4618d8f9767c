/* SPDX-License-Identifier: MIT */
/* fsm — supervisord's process state machine as a pure table: (state, event) → (next, actions).
 * No syscalls, no time: proc.c classifies what happened into an event, asks the table, and
 * performs the returned actions in a fixed order. */
#ifndef CORRAL_FSM_H
#define CORRAL_FSM_H

#include <stdbool.h>

#include "shared/proc_state.h"       /* enum proc_state, its codes and names */

/* The owner of this module (fsm.c) defines the events, actions and the table below this line. */

#include "cfg/cfg.h"
#include "shared/fault.h"

/* What happened to a process. Commands (START, STOP, SIGNAL) come from sup/rpc; the others are
 * produced by proc.c's classifiers below from syscalls, exits and the timer. */
enum proc_event {
        PE_NONE = -1,
        PE_START,               /* start command, or an automatic start (autostart, autorestart) */
        PE_STOP,                /* stop command */
        PE_SIGNAL,              /* signalProcess: deliver a signal, no state change */
        PE_SPAWNED,             /* fork+exec succeeded */
        PE_SPAWN_FAILED,        /* no such command, not executable, fork/pipe/exec failure */
        PE_STARTSECS_ELAPSED,   /* stayed up strictly longer than startsecs, or (ready=) said it is
                                   ready: the start succeeded (core/ready.h) */
        PE_EXIT_EARLY,          /* exited before startsecs (any status) */
        PE_EXIT_EXPECTED,       /* exited after startsecs with a status in exitcodes */
        PE_EXIT_UNEXPECTED,     /* exited after startsecs otherwise (or killed by a signal) */
        PE_BACKOFF_ELAPSED,     /* the backoff delay before the next retry is over */
        PE_RESTART_DELAYED,     /* an automatic restart after an exit that came too soon after RUNNING
                                   (backoff_reset) waits the next backoff delay first */
        PE_RETRIES_EXHAUSTED,   /* more than startretries failed starts */
        PE_STOP_TIMEOUT,        /* stopwaitsecs passed while STOPPING */
        PE_KILL_FAILED,         /* kill() failed with something other than ESRCH */
        PE__COUNT
};

/* Action bits. proc.c runs them in this order: stop the timer (when the state changes or a timer
 * is armed), the exit record and flag resets, backoff bookkeeping, spawn or signal, arm the new
 * timer, the success/gave-up line, set the state (which notifies watchers), then the follow-up
 * event (spawn result, retries check, autorestart). */
enum fsm_action {
        ACT_RESET_BACKOFF  = 1u << 0,   /* backoff counter (failed starts, for startretries) = 0 */
        ACT_COUNT_RETRY    = 1u << 1,   /* backoff counter += 1 */
        ACT_SPAWN          = 1u << 2,   /* check the command, fork, exec */
        ACT_SIGNAL_STOP    = 1u << 3,   /* stopsignal to pid (or -pgid with stopasgroup) */
        ACT_SIGNAL_KILL    = 1u << 4,   /* SIGKILL to pid (or -pgid with killasgroup) */
        ACT_SIGNAL_USER    = 1u << 5,   /* signalProcess's signal to pid */
        ACT_KILL_LEFTOVERS = 1u << 6,   /* after an explicit stop was reaped: SIGKILL -pgid */
        ACT_ARM_STARTSECS  = 1u << 7,
        ACT_ARM_BACKOFF    = 1u << 8,   /* backoff_delay() of the delay step (backoff.h) */
        ACT_ARM_STOPWAIT   = 1u << 9,
        ACT_CANT_HAPPEN    = 1u << 10,  /* an internal event in a state it cannot occur in: log, ignore */
        /* What a transition records and says (run before the timer and signal actions, except the
         * two log lines, which come just before the state is set). The exit records read the
         * status proc.c's reaper left on the process. */
        ACT_EXIT_STOPPED   = 1u << 11,  /* exitstatus; "stopped: x (…)" */
        ACT_EXIT_QUICK     = 1u << 12,  /* exitstatus 0; spawnerr "Exited too quickly …"; "exited: … not expected" */
        ACT_EXIT_EXITED    = 1u << 13,  /* exitstatus; "exited: x (…; expected)", or spawnerr "Bad exit code" */
        ACT_CLEAR_STOP     = 1u << 14,  /* the explicit stop is over */
        ACT_CLEAR_KILLING  = 1u << 15,  /* no SIGKILL pending any more */
        ACT_LOG_SUCCESS    = 1u << 16,  /* "success: x entered RUNNING state, …" */
        ACT_LOG_GAVE_UP    = 1u << 17,  /* "gave up: x entered FATAL state, …" */
        /* The delay step (which backoff delay comes next) outlives RUNNING, unlike the backoff
         * counter: only a start that is no retry, a stop or FATAL forget it. */
        ACT_NEXT_DELAY     = 1u << 18,  /* delay step += 1 (before ACT_ARM_BACKOFF uses it) */
        ACT_RESET_DELAY    = 1u << 19,  /* delay step = 0 */
};
#define ACT_ARM_ANY (ACT_ARM_STARTSECS | ACT_ARM_BACKOFF | ACT_ARM_STOPWAIT)

/* PROC_SAME as next: the state does not change. */
#define PROC_SAME PROC__COUNT

struct fsm_cell {
        unsigned char next;             /* enum proc_state or PROC_SAME */
        unsigned char fault;            /* enum fault: nonzero = the command is rejected */
        unsigned actions;               /* enum fsm_action bits */
};

/* The cell for (state, event). Out-of-range input yields a CANT_HAPPEN cell. */
struct fsm_cell fsm_step(enum proc_state s, enum proc_event e);
const char *fsm_event_name(enum proc_event e);          /* "PE_START" */

/* Classifiers: guards turned into events. All pure. */
/* An exit after uptime seconds (monotonic) with startsecs configured; expected = exit status is in
 * exitcodes (false after a signal death). EARLY when uptime < startsecs, like supervisord. */
enum proc_event fsm_classify_exit(double uptime, int startsecs, bool expected);
/* Entering BACKOFF with n failed starts: PE_RETRIES_EXHAUSTED when n > startretries (never with
 * CFG_STARTRETRIES_INFINITE), else PE_NONE. */
enum proc_event fsm_classify_backoff(int n, int startretries);
/* After EXITED: PE_START when autorestart applies (true; unexpected and the exit was not expected)
 * and automatic starts are allowed, else PE_NONE. */
enum proc_event fsm_classify_autorestart(enum cfg_autorestart policy, bool expected, bool allowed);
/* The automatic restart an exit calls for, given fsm_classify_autorestart's answer: an unexpected exit
 * after running (RUNNING) for less than backoff_reset seconds waits the next delay
 * (PE_RESTART_DELAYED); otherwise the start is immediate, as in supervisord. */
enum proc_event fsm_classify_restart(enum proc_event autorestart, bool expected, double ran, double reset);
/* What the per-process timer means in state s (PE_NONE: nothing; a stale timer). */
enum proc_event fsm_classify_timer(enum proc_state s);
/* A kill() result (0 or -errno): PE_KILL_FAILED for errors other than ESRCH, else PE_NONE. */
enum proc_event fsm_classify_kill(int r);

#endif
