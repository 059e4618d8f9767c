/* SPDX-License-Identifier: MIT */
/* fsm — supervisord's process state machine (compat §C) as one flat table plus the pure classifiers
 * that turn guards (exit status, uptime, retries, autorestart policy) into events. No syscalls, no
 * time, no logging: proc.c feeds it and carries out the returned actions. */
#include "core/fsm.h"

#include <errno.h>

/* Shorthands for the table. */
#define GO(st, acts)    { (st), FAULT_OK, (acts) }
#define STAY(acts)      { PROC_SAME, FAULT_OK, (acts) }
#define REJECT(f)       { PROC_SAME, (f), 0 }
#define NEVER           { PROC_SAME, FAULT_OK, ACT_CANT_HAPPEN }

#define SPAWN           ACT_SPAWN
/* a start that is no retry begins again with the first delay */
#define FRESH_START     (ACT_SPAWN | ACT_RESET_DELAY)
#define FAILED_START    (ACT_COUNT_RETRY | ACT_NEXT_DELAY | ACT_ARM_BACKOFF)
#define STOP            (ACT_SIGNAL_STOP | ACT_ARM_STOPWAIT)
#define EXITED          (ACT_EXIT_EXITED | ACT_RESET_BACKOFF)
/* the stop is over: whatever is left in the group goes too */
#define STOPPED         (ACT_EXIT_STOPPED | ACT_CLEAR_STOP | ACT_CLEAR_KILLING | ACT_KILL_LEFTOVERS | \
                         ACT_RESET_DELAY)

/* Every cell is written out. Commands that do not apply reject with supervisord's fault; internal
 * events in a state where they cannot occur are NEVER (logged as "can't happen", ignored).
 * Exits: a process has a pid only in STARTING, RUNNING, STOPPING and UNKNOWN. */
static const struct fsm_cell table[PROC__COUNT][PE__COUNT] = {
        [PROC_STOPPED] = {
                [PE_START]              = GO(PROC_STARTING, FRESH_START),
                [PE_STOP]               = REJECT(FAULT_NOT_RUNNING),
                [PE_SIGNAL]             = REJECT(FAULT_NOT_RUNNING),
                [PE_SPAWNED]            = NEVER,
                [PE_SPAWN_FAILED]       = NEVER,
                [PE_STARTSECS_ELAPSED]  = NEVER,
                [PE_EXIT_EARLY]         = NEVER,
                [PE_EXIT_EXPECTED]      = NEVER,
                [PE_EXIT_UNEXPECTED]    = NEVER,
                [PE_BACKOFF_ELAPSED]    = NEVER,
                [PE_RESTART_DELAYED]    = NEVER,
                [PE_RETRIES_EXHAUSTED]  = NEVER,
                [PE_STOP_TIMEOUT]       = NEVER,
                [PE_KILL_FAILED]        = NEVER,
        },
        [PROC_STARTING] = {
                [PE_START]              = REJECT(FAULT_ALREADY_STARTED),
                [PE_STOP]               = GO(PROC_STOPPING, STOP),
                [PE_SIGNAL]             = STAY(ACT_SIGNAL_USER),
                [PE_SPAWNED]            = STAY(ACT_ARM_STARTSECS),
                [PE_SPAWN_FAILED]       = GO(PROC_BACKOFF, FAILED_START),
                [PE_STARTSECS_ELAPSED]  = GO(PROC_RUNNING, ACT_RESET_BACKOFF | ACT_LOG_SUCCESS),
                [PE_EXIT_EARLY]         = GO(PROC_BACKOFF, ACT_EXIT_QUICK | FAILED_START),
                /* up longer than startsecs but the timer had not fired yet: it made it */
                [PE_EXIT_EXPECTED]      = GO(PROC_EXITED, EXITED),
                [PE_EXIT_UNEXPECTED]    = GO(PROC_EXITED, EXITED),
                [PE_BACKOFF_ELAPSED]    = NEVER,
                [PE_RESTART_DELAYED]    = NEVER,
                [PE_RETRIES_EXHAUSTED]  = NEVER,
                [PE_STOP_TIMEOUT]       = NEVER,
                [PE_KILL_FAILED]        = GO(PROC_UNKNOWN, ACT_CLEAR_KILLING),
        },
        [PROC_RUNNING] = {
                [PE_START]              = REJECT(FAULT_ALREADY_STARTED),
                [PE_STOP]               = GO(PROC_STOPPING, STOP),
                [PE_SIGNAL]             = STAY(ACT_SIGNAL_USER),
                [PE_SPAWNED]            = NEVER,
                [PE_SPAWN_FAILED]       = NEVER,
                [PE_STARTSECS_ELAPSED]  = NEVER,
                /* cannot be classified early once RUNNING; if it were, it is still an exit */
                [PE_EXIT_EARLY]         = GO(PROC_EXITED, EXITED),
                [PE_EXIT_EXPECTED]      = GO(PROC_EXITED, EXITED),
                [PE_EXIT_UNEXPECTED]    = GO(PROC_EXITED, EXITED),
                [PE_BACKOFF_ELAPSED]    = NEVER,
                [PE_RESTART_DELAYED]    = NEVER,
                [PE_RETRIES_EXHAUSTED]  = NEVER,
                [PE_STOP_TIMEOUT]       = NEVER,
                [PE_KILL_FAILED]        = GO(PROC_UNKNOWN, ACT_CLEAR_KILLING),
        },
        [PROC_BACKOFF] = {
                [PE_START]              = REJECT(FAULT_ALREADY_STARTED),
                /* no process to signal; do not wait out the retries (supervisord's kill()) */
                [PE_STOP]               = GO(PROC_STOPPED, ACT_RESET_BACKOFF | ACT_RESET_DELAY | ACT_CLEAR_STOP),
                [PE_SIGNAL]             = REJECT(FAULT_NOT_RUNNING),     /* not signallable */
                [PE_SPAWNED]            = NEVER,
                [PE_SPAWN_FAILED]       = NEVER,
                [PE_STARTSECS_ELAPSED]  = NEVER,
                [PE_EXIT_EARLY]         = NEVER,
                [PE_EXIT_EXPECTED]      = NEVER,
                [PE_EXIT_UNEXPECTED]    = NEVER,
                [PE_BACKOFF_ELAPSED]    = GO(PROC_STARTING, SPAWN),
                [PE_RESTART_DELAYED]    = NEVER,
                [PE_RETRIES_EXHAUSTED]  = GO(PROC_FATAL, ACT_RESET_BACKOFF | ACT_RESET_DELAY | ACT_LOG_GAVE_UP),
                [PE_STOP_TIMEOUT]       = NEVER,
                [PE_KILL_FAILED]        = NEVER,
        },
        [PROC_STOPPING] = {
                /* supervisord spawns nothing and the wait ends in ABNORMAL_TERMINATION */
                [PE_START]              = REJECT(FAULT_ABNORMAL_TERMINATION),
                [PE_STOP]               = REJECT(FAULT_NOT_RUNNING),
                [PE_SIGNAL]             = STAY(ACT_SIGNAL_USER),        /* signallable */
                [PE_SPAWNED]            = NEVER,
                [PE_SPAWN_FAILED]       = NEVER,
                [PE_STARTSECS_ELAPSED]  = NEVER,
                [PE_EXIT_EARLY]         = GO(PROC_STOPPED, STOPPED),
                [PE_EXIT_EXPECTED]      = GO(PROC_STOPPED, STOPPED),
                [PE_EXIT_UNEXPECTED]    = GO(PROC_STOPPED, STOPPED),
                [PE_BACKOFF_ELAPSED]    = NEVER,
                [PE_RESTART_DELAYED]    = NEVER,
                [PE_RETRIES_EXHAUSTED]  = NEVER,
                [PE_STOP_TIMEOUT]       = STAY(ACT_SIGNAL_KILL | ACT_ARM_STOPWAIT),
                [PE_KILL_FAILED]        = GO(PROC_UNKNOWN, ACT_CLEAR_KILLING),
        },
        [PROC_EXITED] = {
                [PE_START]              = GO(PROC_STARTING, FRESH_START),
                [PE_STOP]               = REJECT(FAULT_NOT_RUNNING),
                [PE_SIGNAL]             = REJECT(FAULT_NOT_RUNNING),
                [PE_SPAWNED]            = NEVER,
                [PE_SPAWN_FAILED]       = NEVER,
                [PE_STARTSECS_ELAPSED]  = NEVER,
                [PE_EXIT_EARLY]         = NEVER,
                [PE_EXIT_EXPECTED]      = NEVER,
                [PE_EXIT_UNEXPECTED]    = NEVER,
                [PE_BACKOFF_ELAPSED]    = NEVER,
                /* an exit too soon after RUNNING: wait in BACKOFF (stoppable, shown with its retry);
                 * no failed start, so startretries is not counted */
                [PE_RESTART_DELAYED]    = GO(PROC_BACKOFF, ACT_NEXT_DELAY | ACT_ARM_BACKOFF),
                [PE_RETRIES_EXHAUSTED]  = NEVER,
                [PE_STOP_TIMEOUT]       = NEVER,
                [PE_KILL_FAILED]        = NEVER,
        },
        [PROC_FATAL] = {
                [PE_START]              = GO(PROC_STARTING, FRESH_START),
                [PE_STOP]               = REJECT(FAULT_NOT_RUNNING),
                [PE_SIGNAL]             = REJECT(FAULT_NOT_RUNNING),
                [PE_SPAWNED]            = NEVER,
                [PE_SPAWN_FAILED]       = NEVER,
                [PE_STARTSECS_ELAPSED]  = NEVER,
                [PE_EXIT_EARLY]         = NEVER,
                [PE_EXIT_EXPECTED]      = NEVER,
                [PE_EXIT_UNEXPECTED]    = NEVER,
                [PE_BACKOFF_ELAPSED]    = NEVER,
                [PE_RESTART_DELAYED]    = NEVER,
                [PE_RETRIES_EXHAUSTED]  = NEVER,
                [PE_STOP_TIMEOUT]       = NEVER,
                [PE_KILL_FAILED]        = NEVER,
        },
        [PROC_UNKNOWN] = {
                [PE_START]              = REJECT(FAULT_FAILED),
                [PE_STOP]               = REJECT(FAULT_NOT_RUNNING),
                [PE_SIGNAL]             = REJECT(FAULT_NOT_RUNNING),
                [PE_SPAWNED]            = NEVER,
                [PE_SPAWN_FAILED]       = NEVER,
                [PE_STARTSECS_ELAPSED]  = NEVER,
                /* the process we could not signal went away after all */
                [PE_EXIT_EARLY]         = GO(PROC_EXITED, ACT_EXIT_EXITED),
                [PE_EXIT_EXPECTED]      = GO(PROC_EXITED, ACT_EXIT_EXITED),
                [PE_EXIT_UNEXPECTED]    = GO(PROC_EXITED, ACT_EXIT_EXITED),
                [PE_BACKOFF_ELAPSED]    = NEVER,
                [PE_RESTART_DELAYED]    = NEVER,
                [PE_RETRIES_EXHAUSTED]  = NEVER,
                [PE_STOP_TIMEOUT]       = NEVER,
                [PE_KILL_FAILED]        = NEVER,
        },
};

struct fsm_cell
fsm_step(enum proc_state s, enum proc_event e)
{
        static const struct fsm_cell never = NEVER;
        if ((unsigned)s >= PROC__COUNT || (unsigned)e >= PE__COUNT)
                return never;
        return table[s][e];
}

const char *
fsm_event_name(enum proc_event e)
{
        static const char *const n[PE__COUNT] = {
                [PE_START] = "PE_START",
                [PE_STOP] = "PE_STOP",
                [PE_SIGNAL] = "PE_SIGNAL",
                [PE_SPAWNED] = "PE_SPAWNED",
                [PE_SPAWN_FAILED] = "PE_SPAWN_FAILED",
                [PE_STARTSECS_ELAPSED] = "PE_STARTSECS_ELAPSED",
                [PE_EXIT_EARLY] = "PE_EXIT_EARLY",
                [PE_EXIT_EXPECTED] = "PE_EXIT_EXPECTED",
                [PE_EXIT_UNEXPECTED] = "PE_EXIT_UNEXPECTED",
                [PE_BACKOFF_ELAPSED] = "PE_BACKOFF_ELAPSED",
                [PE_RESTART_DELAYED] = "PE_RESTART_DELAYED",
                [PE_RETRIES_EXHAUSTED] = "PE_RETRIES_EXHAUSTED",
                [PE_STOP_TIMEOUT] = "PE_STOP_TIMEOUT",
                [PE_KILL_FAILED] = "PE_KILL_FAILED",
        };
        return (unsigned)e < PE__COUNT ? n[e] : "PE_NONE";
}

enum proc_event
fsm_classify_exit(double uptime, int startsecs, bool expected)
{
        /* supervisord: too_quickly = now - laststart < startsecs */
        if (uptime < (double)startsecs)
                return PE_EXIT_EARLY;
        return expected ? PE_EXIT_EXPECTED : PE_EXIT_UNEXPECTED;
}

enum proc_event
fsm_classify_backoff(int n, int startretries)
{
        if (startretries == CFG_STARTRETRIES_INFINITE)
                return PE_NONE;
        return n > startretries ? PE_RETRIES_EXHAUSTED : PE_NONE;
}

enum proc_event
fsm_classify_restart(enum proc_event autorestart, bool expected, double ran, double reset)
{
        if (autorestart != PE_START)
                return autorestart;
        return !expected && ran < reset ? PE_RESTART_DELAYED : PE_START;
}

enum proc_event
fsm_classify_autorestart(enum cfg_autorestart policy, bool expected, bool allowed)
{
        if (!allowed)
                return PE_NONE;
        switch (policy) {
        case CFG_AUTORESTART_ALWAYS:
                return PE_START;
        case CFG_AUTORESTART_UNEXPECTED:
                return expected ? PE_NONE : PE_START;
        case CFG_AUTORESTART_NEVER:
                break;
        }
        return PE_NONE;
}

enum proc_event
fsm_classify_timer(enum proc_state s)
{
        switch (s) {
        case PROC_STARTING:
                return PE_STARTSECS_ELAPSED;
        case PROC_BACKOFF:
                return PE_BACKOFF_ELAPSED;
        case PROC_STOPPING:
                return PE_STOP_TIMEOUT;
        default:
                return PE_NONE;
        }
}

enum proc_event
fsm_classify_kill(int r)
{
        return r < 0 && r != -ESRCH ? PE_KILL_FAILED : PE_NONE;
}
