/* SPDX-License-Identifier: MIT */
/* proc — the process table: one struct proc per configured process, the pid → proc index (O(1)
 * dispatch of exits), and the per-process timer. Applies the actions fsm.c returns; it is the only
 * place that changes a proc's state (proc_set_state), which records the change time, logs in
 * supervisord's words and notifies watchers. */
#ifndef CORRAL_PROC_H
#define CORRAL_PROC_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

#include "shared/fault.h"
#include "core/fsm.h"

struct cfg_proc;
struct outlog;
struct proc_group;
struct proc;
struct proc_int;
struct deps_wait;

/* Somebody waiting for state changes of one process (startProcess wait=true, tests, events).
 * Embedded in its owner and zero-initialised; the callback may unlink itself (and only itself). */
struct proc_watch {
        struct proc_watch *next, *prev;
        void (*on_change)(struct proc_watch *w, struct proc *p, enum proc_state from, enum proc_state to);
        struct proc *proc;              /* set while linked (by proc_watch_add); zero-initialise */
};

/* The public face of a process: what sup, ctl and the tests read. proc.c alone writes it, and
 * state only through proc_set_state (hence const); its own bookkeeping (timer, indexes, watchers,
 * stop deadlines, the exit being dispatched) is behind in, opaque outside proc.c. */
struct proc {
        const struct cfg_proc *cfg;     /* settings in force (owned by a cfg that outlives us) */
        struct proc_group *group;
        const enum proc_state state;    /* written by proc_set_state only */
        pid_t pid;                      /* 0 when not running */
        double start_time;              /* wall clock of the last spawn, 0 = never */
        double stop_time;               /* wall clock of the last stop/exit, 0 = never */
        double start_mono;              /* monotonic time of the last spawn */
        int exitstatus;                 /* as getProcessInfo reports it */
        char *spawnerr;                 /* NULL or the last spawn error text */
        int backoff;                    /* failed starts since the last RUNNING (for startretries) */
        unsigned backoff_step;          /* delays since the last fresh start: BACKOFF waits for retry
                                           number backoff_step (its delay: core/backoff.h) */
        double retry_mono;              /* monotonic time that retry is due (valid in BACKOFF) */
        bool killing;                   /* SIGKILL sent while STOPPING */
        struct outlog *log;
        struct deps_wait *deps;         /* core/deps.c's: a start or stop waiting on the dependency
                                           graph, or why a start was given up; NULL: none */
        struct proc_int *in;            /* private to proc.c */
};

/* The runtime context proc needs (set once by sup). */
struct proc_env {
        struct ev_loop *loop;
        const char *server_url;         /* SUPERVISOR_SERVER_URL default */
        const char *childlogdir;
        const char *identifier;
        bool strip_ansi;
};
/* Copies env and starts the one catch-all ev_child on env->loop (the default loop). Call before
 * proc_new (the outlog of a new process is created on that loop). */
void proc_setup(const struct proc_env *env);

/* Automatic (re)starts (autorestart after EXITED, the retry after BACKOFF) are not run from the
 * exit or timer callback that makes them due: they are queued and run one per loop iteration
 * (from an ev_prepare, with an ev_idle keeping the poll non-blocking while the queue is not empty),
 * so that every exit that has happened meanwhile is reaped before the next spawn (no zombie piles
 * up in a crash storm) and a burst of restarts never stalls the loop. A process that leaves its
 * state before its turn drops out of the queue.
 * Automatic (re)starts are suppressed while false: sup turns it off
 * while shutting down or reloading. Starts that fell due meanwhile happen when it is turned on
 * again (for processes still in BACKOFF or EXITED). */
void proc_set_autorestart(bool allowed);

struct proc *proc_new(const struct cfg_proc *cfg, struct proc_group *group);
struct proc *proc_free(struct proc *p);         /* must not be running; accepts NULL */

/* Commands. Return FAULT_OK or the fault supervisord gives (ALREADY_STARTED, NO_FILE,
 * NOT_EXECUTABLE, SPAWN_ERROR, NOT_RUNNING, FAILED). They never block: completion is observed via
 * watchers. */
/* proc_start: a missing / non-executable command is checked first (no fork at all) and returns
 * NO_FILE / NOT_EXECUTABLE; if the state allows a start the process still goes STARTING → BACKOFF
 * with that spawnerr (then → FATAL per startretries), so that autostart and start behave alike.
 * Other spawn failures (fork, chdir, setuid, exec errno) return SPAWN_ERROR, also via BACKOFF. */
enum fault proc_start(struct proc *p);
enum fault proc_stop(struct proc *p);
enum fault proc_signal(struct proc *p, int sig);

/* Reaping: the one catch-all ev_child lives in proc.c (proc_setup starts it). An unknown pid is an
 * orphan we adopted as subreaper and is only logged at debug level. */
struct proc *proc_by_pid(pid_t pid);

/* Watchers are called after every state change, in the order added, with p->state == to. A
 * callback may remove itself and may call proc_* commands on other processes; it may call
 * proc_free(p) (the free is deferred until proc's own call stack unwinds). */
void proc_watch_add(struct proc *p, struct proc_watch *w);
void proc_watch_remove(struct proc_watch *w);  /* safe when not linked */

/* Calls p's watchers with from == to == p->state: something about p other than its state changed
 * (core/deps.c gave up a start that waited for a dependency). */
void proc_renotify(struct proc *p);

/* Number of processes with a live pid (in the pid index). */
size_t proc_count_running(void);

/* Its namespec and description (the presentation): core/procinfo.h. */

#endif
