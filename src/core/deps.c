/* SPDX-License-Identifier: MIT */
/* deps — depends_on at run time: waiting starts and stops, moved on by state changes. The graph
 * itself (names, cycles, order) is cfg_deps.c's; here a dependency is found by its group and
 * process name, so that processes from different configs (after update) still find each other. */
#include "core/deps.h"

#include "cfg/cfg.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/sup.h"
#include "shared/util.h"

#include <stdlib.h>
#include <string.h>

/* One per process that waits (a start or a stop) or whose start was given up (note). */
struct deps_wait {
        struct proc *p;
        bool start, stop;               /* what waits */
        char *failed;                   /* why the start was given up, or NULL */
        struct deps_wait *next, *prev;  /* in W.waiting while start or stop */
        bool linked;
};

static struct {
        struct deps_wait *waiting, *tail;      /* in the order they began to wait: autostart's
                                                   priority order, kept when several go at once */
        size_t nwaiting;
        bool any;                       /* some process has depends_on (else nothing to do) */
        bool in_change;                 /* deps_on_change is running: no re-entry */
} W;

bool
deps_ready(const struct proc *p)
{
        if (p->cfg->oneshot)
                return p->state == PROC_EXITED && cfg_exitcode_expected(p->cfg, p->exitstatus);
        return p->state == PROC_RUNNING;
}

/* The process table's process for one of cfg's dependencies, or NULL. */
static struct proc *
lookup(const struct cfg_proc *d)
{
        char *key = xasprintf("%s:%s", d->group, d->name);
        struct proc *q = sup_find_proc(key);
        free(key);
        return q;
}

static bool
is_dep(const struct cfg_proc *d, const struct proc *p)
{
        return !strcmp(d->name, p->cfg->name) && p->group && !strcmp(d->group, p->group->name);
}

static struct deps_wait *
wait_of(struct proc *p)
{
        if (!p->deps) {
                p->deps = xcalloc(1, sizeof *p->deps);
                p->deps->p = p;
        }
        return p->deps;
}

static void
link_wait(struct deps_wait *w)
{
        if (w->linked)
                return;
        w->next = NULL;
        w->prev = W.tail;
        if (W.tail)
                W.tail->next = w;
        else
                W.waiting = w;
        W.tail = w;
        w->linked = true;
        W.nwaiting++;
}

static void
unlink_wait(struct deps_wait *w)
{
        if (!w->linked)
                return;
        if (w->prev)
                w->prev->next = w->next;
        else
                W.waiting = w->next;
        if (w->next)
                w->next->prev = w->prev;
        else
                W.tail = w->prev;
        w->linked = false;
        W.nwaiting--;
}

/* Free p's record when nothing is left in it. */
static void
settle(struct proc *p)
{
        struct deps_wait *w = p->deps;
        if (!w)
                return;
        if (!w->start && !w->stop)
                unlink_wait(w);
        if (!w->start && !w->stop && !w->failed) {
                free(w);
                p->deps = NULL;
        }
}

/* The first dependency of p that is not ready (*ret_q: its process, NULL if missing), or NULL. */
static const struct cfg_proc *
first_unready(const struct proc *p, struct proc **ret_q)
{
        for (size_t k = 0; k < p->cfg->ndeps; k++) {
                struct proc *q = lookup(p->cfg->deps[k]);
                if (!q || !deps_ready(q)) {
                        *ret_q = q;
                        return p->cfg->deps[k];
                }
        }
        *ret_q = NULL;
        return NULL;
}

/* Record that p's start is given up (takes why): the reason stays for status and spawnerr. */
static void
note_given_up(struct proc *p, char *why)
{
        struct deps_wait *w = wait_of(p);
        w->start = false;
        free(w->failed);
        w->failed = why;
        free(p->spawnerr);
        p->spawnerr = xstrdup(why);
        settle(p);
        log_info("not starting %s: %s", p->cfg->name, why);
}

/* Give up p's waiting start, and tell its waiters (a startProcess). */
static void
give_up(struct proc *p, char *why)
{
        note_given_up(p, why);
        proc_renotify(p);
}

/* A dependency that can no longer become ready by itself: FATAL, missing, or stopped while p
 * waits for it (not when it waits itself). NULL: none. malloc'd. */
static char *
blocked(const struct cfg_proc *d, const struct proc *q)
{
        if (!q)
                return xasprintf("dependency %s:%s is not in the process table", d->group, d->name);
        if (q->state == PROC_FATAL)
                return xasprintf("dependency %s is FATAL", d->name);
        if ((q->state == PROC_STOPPED || (q->state == PROC_EXITED && q->cfg->oneshot)) && !deps_waiting(q))
                return xasprintf("dependency %s is %s", d->name, proc_state_name(q->state));
        return NULL;
}

/* Where p's start stands: NULL when every dependency is ready; else the dependency it waits for,
 * with *ret_why (malloc'd) set when some dependency can no longer become ready (that one is
 * returned then). */
static const struct cfg_proc *
check(const struct proc *p, char **ret_why)
{
        const struct cfg_proc *first = NULL;
        *ret_why = NULL;
        for (size_t k = 0; k < p->cfg->ndeps; k++) {
                const struct cfg_proc *d = p->cfg->deps[k];
                struct proc *q = lookup(d);
                if (q && deps_ready(q))
                        continue;
                if ((*ret_why = blocked(d, q)))
                        return d;
                if (!first)
                        first = d;
        }
        return first;
}

enum fault
deps_start(struct proc *p)
{
        if (!p->cfg->ndeps)
                return proc_start(p);
        if (deps_waiting(p))
                return FAULT_OK;
        if (p->deps) {                  /* a new start forgets an old reason */
                free(p->deps->failed);
                p->deps->failed = NULL;
                settle(p);
        }
        struct deps_wait *w = wait_of(p);
        w->start = true;                /* first: a dependency started below sees p waiting */
        link_wait(w);
        /* No waiter moves on while the dependencies are started one by one (a later one is still
         * STOPPED, which would read as given up); one pass afterwards instead. */
        bool outer = W.in_change;
        W.in_change = true;
        for (size_t k = 0; k < p->cfg->ndeps; k++) {
                const struct cfg_proc *d = p->cfg->deps[k];
                struct proc *q = lookup(d);
                if (q && !deps_ready(q) && !proc_state_is_running(q->state) && q->state != PROC_STOPPING &&
                    !deps_waiting(q)) {
                        enum fault f = deps_start(q);   /* as systemd: dependencies first */
                        if (f != FAULT_OK)
                                log_debug("starting %s for %s failed: %s", d->name, p->cfg->name, fault_name(f));
                }
        }
        W.in_change = outer;
        char *why;
        const struct cfg_proc *d = check(p, &why);
        enum fault f = FAULT_OK;
        if (!d) {
                w->start = false;
                settle(p);
                f = proc_start(p);
        } else if (why) {
                note_given_up(p, why);  /* the caller answers with the fault: no renotify */
                f = FAULT_SPAWN_ERROR;
        } else {
                log_info("%s waits for %s", p->cfg->name, d->name);
        }
        if (!outer)
                deps_on_change(p, p->state);    /* what the loop held back */
        return f;
}

/* Whether every process that depends on p is stopped; stops those that are not (dependents of
 * dependents first). */
static bool
dependents_stopped(struct proc *p)
{
        if (!W.any)
                return true;
        struct proc *const *all;
        size_t n = sup_procs_by_priority(&all);
        bool done = true;
        for (size_t i = 0; i < n; i++) {
                struct proc *q = all[i];
                for (size_t k = 0; k < q->cfg->ndeps; k++) {
                        if (!is_dep(q->cfg->deps[k], p))
                                continue;
                        if (deps_waiting(q))
                                deps_cancel(q);
                        if (!proc_state_is_stopped(q->state)) {
                                done = false;
                                if (proc_state_is_running(q->state))
                                        (void)deps_stop(q);
                        }
                        break;
                }
        }
        return done;
}

enum fault
deps_stop(struct proc *p)
{
        if (p->deps && p->deps->stop)
                return FAULT_OK;
        if (dependents_stopped(p)) {
                if (p->deps) {
                        p->deps->stop = false;
                        settle(p);
                }
                return proc_stop(p);
        }
        struct deps_wait *w = wait_of(p);
        w->stop = true;
        link_wait(w);
        log_debug("%s stops after its dependents", p->cfg->name);
        return FAULT_OK;
}

bool
deps_waiting(const struct proc *p)
{
        return p->deps && p->deps->start;
}

void
deps_cancel(struct proc *p)
{
        struct deps_wait *w = p->deps;
        if (!w)
                return;
        w->start = w->stop = false;
        free(w->failed);
        w->failed = NULL;
        settle(p);
}

void
deps_cancel_starts(void)
{
        for (struct deps_wait *w = W.waiting, *next; w; w = next) {
                next = w->next;
                if (w->start) {
                        w->start = false;
                        settle(w->p);
                }
        }
}

char *
deps_note(const struct proc *p)
{
        if (!p->deps)
                return NULL;
        if (p->deps->start) {
                struct proc *q;
                const struct cfg_proc *d = first_unready(p, &q);
                return d ? xasprintf("waiting for %s", d->name) : NULL;
        }
        return p->deps->failed && p->state == PROC_STOPPED ? xstrdup(p->deps->failed) : NULL;
}

/* One step for a waiting record after something changed; true when it acted (the list may have
 * changed). Every record is looked at, not only q's dependents: an action inside a pass (a start
 * given up) changes processes whose own notification the re-entry guard swallowed. */
static bool
move_on(struct deps_wait *w)
{
        struct proc *p = w->p;
        if (w->start) {
                char *why;
                const struct cfg_proc *d = check(p, &why);
                if (!d) {
                        w->start = false;
                        settle(p);
                        enum fault f = proc_start(p);
                        if (f != FAULT_OK)
                                log_warn("starting %s after its dependencies failed: %s", p->cfg->name,
                                         fault_name(f));
                        return true;
                }
                if (why) {
                        give_up(p, why);
                        return true;
                }
        }
        if (w->stop && dependents_stopped(p)) {
                w->stop = false;
                settle(p);
                enum fault f = proc_stop(p);
                if (f != FAULT_OK && f != FAULT_NOT_RUNNING)
                        log_warn("stopping %s after its dependents failed: %s", p->cfg->name, fault_name(f));
                if (f == FAULT_NOT_RUNNING)
                        proc_renotify(p);
                return true;
        }
        return false;
}

void
deps_on_change(struct proc *q, enum proc_state to)
{
        (void)q;
        (void)to;
        if (!W.waiting || W.in_change)
                return;
        /* Each action may change other processes (and the list): start over after one, until a
         * pass acts on nothing. Bounded: every action removes a waiting record. */
        W.in_change = true;
        bool again = true;
        while (again) {
                again = false;
                for (struct deps_wait *w = W.waiting; w; w = w->next)
                        if (move_on(w)) {
                                again = true;
                                break;
                        }
        }
        W.in_change = false;
}

void
deps_table_changed(struct proc *const *procs, size_t n)
{
        W.any = false;
        for (size_t i = 0; i < n && !W.any; i++)
                W.any = procs[i]->cfg->ndeps > 0;
}
