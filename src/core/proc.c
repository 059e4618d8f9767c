/* SPDX-License-Identifier: MIT */
/* proc — the process table and runtime: struct proc objects, the pid → proc hash (O(1) exit
 * dispatch), the one catch-all ev_child, one ev_timer per process whose meaning follows the state,
 * and the code that carries out the actions fsm.c returns. proc_set_state is the only writer of
 * p->state; it records the time and notifies watchers. */
#include "core/proc.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "cfg/cfg.h"
#include "core/log.h"
#include "core/outlog.h"
#include "core/spawn.h"
#include "shared/signame.h"
#include "shared/util.h"

/* "waiting for x to stop" while STOPPING: at once, then every REPORT_EVERY seconds (supervisord's
 * stopProcess reports at most every 2 s). */
#define REPORT_EVERY 2.0

static struct {
        struct ev_loop *loop;
        char *server_url, *childlogdir, *identifier;
        bool strip_ansi;
        struct outlog_env oenv;
        ev_child child;
        bool autorestart;
        /* pid → proc: chained hash, power-of-two buckets, grown at load factor 1 */
        struct proc **buckets;
        size_t nbuckets, count;
        /* processes whose automatic start fell due while automatic starts were off */
        struct proc **held;
        size_t nheld, capheld;
        /* automatic starts that fell due, FIFO, one per loop iteration */
        struct proc *due_head, *due_tail;
        ev_prepare due_prepare;
        ev_idle due_idle;
} P = { .autorestart = true };

static void proc_on_timer(struct ev_loop *loop, ev_timer *w, int revents);
static void dispatch(struct proc *p, enum proc_event ev);

/* --- pid index ------------------------------------------------------------------------------- */

static size_t
pid_slot(pid_t pid, size_t nbuckets)
{
        return (size_t)(((uint32_t)pid * 2654435761u) & (uint32_t)(nbuckets - 1));
}

static void
pid_grow(void)
{
        size_t n = P.nbuckets ? P.nbuckets * 2 : 64;
        struct proc **b = xcalloc(n, sizeof *b);

        for (size_t i = 0; i < P.nbuckets; i++)
                for (struct proc *q = P.buckets[i], *next; q; q = next) {
                        next = q->pid_next;
                        size_t s = pid_slot(q->pid, n);
                        q->pid_next = b[s];
                        b[s] = q;
                }
        free(P.buckets);
        P.buckets = b;
        P.nbuckets = n;
}

static void
pid_insert(struct proc *p)
{
        if (P.count + 1 > P.nbuckets)
                pid_grow();
        size_t s = pid_slot(p->pid, P.nbuckets);
        p->pid_next = P.buckets[s];
        P.buckets[s] = p;
        P.count++;
}

static void
pid_remove(struct proc *p)
{
        if (!P.nbuckets || p->pid <= 0)
                return;
        for (struct proc **pp = &P.buckets[pid_slot(p->pid, P.nbuckets)]; *pp; pp = &(*pp)->pid_next)
                if (*pp == p) {
                        *pp = p->pid_next;
                        p->pid_next = NULL;
                        P.count--;
                        return;
                }
}

struct proc *
proc_by_pid(pid_t pid)
{
        if (!P.nbuckets || pid <= 0)
                return NULL;
        for (struct proc *q = P.buckets[pid_slot(pid, P.nbuckets)]; q; q = q->pid_next)
                if (q->pid == pid)
                        return q;
        return NULL;
}

size_t
proc_count_running(void)
{
        return P.count;
}

/* --- lifetime -------------------------------------------------------------------------------- */

static void
hold_back(struct proc *p)
{
        if (p->held_back)
                return;
        if (P.nheld == P.capheld) {
                P.capheld = P.capheld ? P.capheld * 2 : 16;
                P.held = xrealloc(P.held, P.capheld * sizeof *P.held);
        }
        P.held[P.nheld++] = p;
        p->held_back = true;
}

static void
unhold(struct proc *p)
{
        for (size_t i = 0; p->held_back && i < P.nheld; i++)
                if (P.held[i] == p) {
                        P.held[i] = P.held[--P.nheld];
                        break;
                }
        p->held_back = false;
}

static void
due_add(struct proc *p)
{
        if (p->due)
                return;
        p->due = true;
        p->due_next = NULL;
        p->due_prev = P.due_tail;
        if (P.due_tail)
                P.due_tail->due_next = p;
        else
                P.due_head = p;
        P.due_tail = p;
        if (!ev_is_active(&P.due_prepare)) {
                ev_prepare_start(P.loop, &P.due_prepare);
                ev_idle_start(P.loop, &P.due_idle);
        }
}

static void
due_remove(struct proc *p)
{
        if (!p->due)
                return;
        if (p->due_prev)
                p->due_prev->due_next = p->due_next;
        else
                P.due_head = p->due_next;
        if (p->due_next)
                p->due_next->due_prev = p->due_prev;
        else
                P.due_tail = p->due_prev;
        p->due = false;
        p->due_next = p->due_prev = NULL;
        if (!P.due_head && ev_is_active(&P.due_prepare)) {
                ev_prepare_stop(P.loop, &P.due_prepare);
                ev_idle_stop(P.loop, &P.due_idle);
        }
}

/* The automatic start p's state calls for now, PE_NONE when there is none (any more). */
static enum proc_event
auto_start_event(const struct proc *p)
{
        if (p->state == PROC_BACKOFF)
                return PE_BACKOFF_ELAPSED;
        if (p->state == PROC_EXITED)
                return fsm_classify_autorestart(p->cfg->autorestart, p->exit_expected, true);
        return PE_NONE;
}

/* One queued automatic start per loop iteration: the exits reaped in between come first. */
static void
proc_on_due(struct ev_loop *loop, ev_prepare *w, int revents)
{
        struct proc *p = P.due_head;

        (void)loop;
        (void)w;
        (void)revents;
        if (!p)
                return;
        due_remove(p);
        if (!P.autorestart) {
                hold_back(p);
                return;
        }
        enum proc_event ev = auto_start_event(p);
        if (ev != PE_NONE)
                dispatch(p, ev);
}

static void
proc_on_due_idle(struct ev_loop *loop, ev_idle *w, int revents)
{
        /* only here to keep the poll from blocking while starts are queued */
        (void)loop;
        (void)w;
        (void)revents;
}

static void
really_free(struct proc *p)
{
        unhold(p);
        due_remove(p);
        if (P.loop)
                ev_timer_stop(P.loop, &p->timer);
        if (p->pid > 0) {
                /* contract violation by the caller; do not leave a worker nobody owns */
                log_warn("can't happen: freeing '%s' with pid %d, killing it", p->cfg->name, (int)p->pid);
                pid_remove(p);
                (void)kill(p->pid, SIGKILL);
        }
        for (struct proc_watch *w = p->watchers, *next; w; w = next) {
                next = w->next;
                w->next = w->prev = NULL;
                w->proc = NULL;
        }
        outlog_free(p->log);
        free(p->spawnerr);
        free(p);
}

static void
hold(struct proc *p)
{
        p->busy++;
}

/* Returns false when p is gone. */
static bool
release(struct proc *p)
{
        if (--p->busy == 0 && p->dead) {
                really_free(p);
                return false;
        }
        return true;
}

struct proc *
proc_new(const struct cfg_proc *cfg, struct proc_group *group)
{
        struct proc *p = xcalloc(1, sizeof *p);

        p->cfg = cfg;
        p->group = group;
        p->state = PROC_STOPPED;
        ev_timer_init(&p->timer, proc_on_timer, 0., 0.);
        p->log = outlog_new(P.loop, cfg, &P.oenv);
        return p;
}

struct proc *
proc_free(struct proc *p)
{
        if (!p)
                return NULL;
        if (p->busy)
                p->dead = true;
        else
                really_free(p);
        return NULL;
}

/* --- watchers and the one state writer -------------------------------------------------------- */

void
proc_watch_add(struct proc *p, struct proc_watch *w)
{
        struct proc_watch **tail = &p->watchers, *prev = NULL;

        if (w->proc)
                proc_watch_remove(w);
        while (*tail) {
                prev = *tail;
                tail = &(*tail)->next;
        }
        w->next = NULL;
        w->prev = prev;
        w->proc = p;
        *tail = w;
}

void
proc_watch_remove(struct proc_watch *w)
{
        if (!w->proc)
                return;
        if (w->prev)
                w->prev->next = w->next;
        else
                w->proc->watchers = w->next;
        if (w->next)
                w->next->prev = w->prev;
        w->next = w->prev = NULL;
        w->proc = NULL;
}

static void
proc_set_state(struct proc *p, enum proc_state to)
{
        enum proc_state from = p->state;

        if (to == from)
                return;
        p->state = to;
        p->state_time = time_wall();
        unhold(p);      /* whatever fell due belonged to the old state */
        due_remove(p);
        log_debug("'%s' %s -> %s", p->cfg->name, proc_state_name(from), proc_state_name(to));
        for (struct proc_watch *w = p->watchers, *next; w; w = next) {
                next = w->next;
                w->on_change(w, p, from, to);
        }
}

/* --- signals --------------------------------------------------------------------------------- */

/* 0 or -errno. A group signal that finds no group (ESRCH) falls back to the pid. */
static int
send_signal(struct proc *p, int sig, bool group)
{
        if (p->pid <= 0)
                return -ESRCH;  /* never kill(0) or kill(-1) */
        log_debug("killing %s (pid %d) %swith signal %s", p->cfg->name, (int)p->pid,
                  group ? "process group " : "", signame(sig));
        if (group) {
                if (kill(-p->pid, sig) == 0)
                        return 0;
                if (errno != ESRCH)
                        return -errno;
        }
        if (kill(p->pid, sig) == 0)
                return 0;
        if (errno == ESRCH)
                log_debug("unable to signal %s (pid %d), it probably just exited on its own",
                          p->cfg->name, (int)p->pid);
        return -errno;
}

static enum proc_event
signal_or_unknown(struct proc *p, int sig, bool group)
{
        int r = send_signal(p, sig, group);
        enum proc_event e = fsm_classify_kill(r);

        if (e != PE_NONE)
                log_crit("unknown problem killing %s (%d): %s", p->cfg->name, (int)p->pid, strerror(-r));
        return e;
}

/* --- spawning -------------------------------------------------------------------------------- */

static void
set_spawnerr(struct proc *p, char *msg)
{
        free(p->spawnerr);
        p->spawnerr = msg;
}

/* 0, or -1 with p->spawnerr and p->last_fault set. */
static int
do_spawn(struct proc *p)
{
        struct spawn_spec spec = { .cfg = p->cfg, .server_url = P.server_url };
        enum fault f;
        char *msg = NULL;
        int r;

        p->killing = false;
        p->stop_requested = false;
        p->exitstatus = 0;
        set_spawnerr(p, NULL);
        p->start_time = time_wall();

        f = spawn_check(p->cfg, &msg);
        if (f == FAULT_OK) {
                r = p->log ? outlog_prepare(p->log, spec.fds) : -EBADF;
                if (r < 0) {
                        if (p->log)
                                outlog_abort(p->log);
                        f = FAULT_SPAWN_ERROR;
                        msg = r == -EMFILE || r == -ENFILE
                                ? xasprintf("too many open files to spawn '%s'", p->cfg->name)
                                : xasprintf("unknown error making dispatchers for '%s': %s",
                                            p->cfg->name, strerror(-r));
                } else {
                        pid_t pid = spawn_process(&spec, &f, &msg);
                        if (pid > 0) {
                                p->pid = pid;
                                p->start_mono = time_monotonic();
                                pid_insert(p);
                                outlog_started(p->log, pid);
                                log_info("spawned: '%s' with pid %d", p->cfg->name, (int)pid);
                                return 0;
                        }
                        outlog_abort(p->log);
                }
        }
        p->last_fault = f;
        log_info("spawnerr: %s", msg);
        set_spawnerr(p, msg);
        return -1;
}

/* --- the timer ------------------------------------------------------------------------------- */

static void
arm(struct proc *p, double after)
{
        ev_timer_stop(P.loop, &p->timer);
        ev_timer_set(&p->timer, after > 0 ? after : 0., 0.);
        ev_timer_start(P.loop, &p->timer);
}

static void
arm_stopping(struct proc *p)
{
        double now = time_monotonic();
        double at = p->stop_deadline;

        if (p->next_report > 0 && p->next_report < at)
                at = p->next_report;
        arm(p, at - now);
}

/* --- applying the table ---------------------------------------------------------------------- */

/* Runs one cell; returns the follow-up event (PE_NONE: done). */
static enum proc_event
apply(struct proc *p, enum proc_event ev)
{
        const struct cfg_proc *c = p->cfg;
        enum proc_state from = p->state, to;
        struct fsm_cell cell = fsm_step(from, ev);
        enum proc_event follow = PE_NONE;
        bool spawned = false;

        if (cell.fault != FAULT_OK)
                return PE_NONE;         /* commands check the cell before dispatching */
        if (cell.actions & ACT_CANT_HAPPEN) {
                log_warn("can't happen: '%s' got %s in state %s, ignoring", c->name,
                         fsm_event_name(ev), proc_state_name(from));
                return PE_NONE;
        }
        to = cell.next == PROC_SAME ? from : (enum proc_state)cell.next;

        /* 1. the old deadline is void once the state changes or a new one is armed */
        if (to != from || (cell.actions & ACT_ARM_ANY))
                ev_timer_stop(P.loop, &p->timer);
        /* 2. bookkeeping */
        if (cell.actions & ACT_RESET_BACKOFF)
                p->backoff = 0;
        if (cell.actions & ACT_COUNT_RETRY)
                p->backoff++;
        /* 3. spawn or signal */
        if (cell.actions & ACT_SPAWN) {
                spawned = do_spawn(p) == 0;
                follow = spawned ? PE_SPAWNED : PE_SPAWN_FAILED;
        }
        if (cell.actions & ACT_SIGNAL_STOP) {
                p->stop_requested = true;
                follow = signal_or_unknown(p, c->stopsignal, c->stopasgroup);
        }
        if (cell.actions & ACT_SIGNAL_KILL) {
                log_warn("killing '%s' (%d) with SIGKILL", c->name, (int)p->pid);
                p->killing = true;
                follow = signal_or_unknown(p, SIGKILL, c->killasgroup);
        }
        if (cell.actions & ACT_SIGNAL_USER)
                follow = signal_or_unknown(p, p->user_signal, false);
        if ((cell.actions & ACT_KILL_LEFTOVERS) && p->reaped_pgid > 0) {
                /* corral leaves no orphan behind on stop: whatever is left in the group goes too */
                if (kill(-p->reaped_pgid, SIGKILL) == 0)
                        log_debug("killed what was left in process group %d of '%s'",
                                  (int)p->reaped_pgid, c->name);
                p->reaped_pgid = 0;
        }
        /* 4. the new deadline */
        if (cell.actions & ACT_ARM_STARTSECS)
                arm(p, c->startsecs);
        if (cell.actions & ACT_ARM_BACKOFF)
                arm(p, p->backoff);
        if (cell.actions & ACT_ARM_STOPWAIT) {
                double now = time_monotonic();
                if (from != PROC_STOPPING) {
                        /* supervisord reports while a stopProcess waits, starting at once (even
                         * when the process is about to be reaped); shutdown and reload
                         * (automatic starts off) use sup's "waiting for … to die" instead */
                        p->next_report = 0;
                        if (P.autorestart) {
                                log_info("waiting for %s to stop", c->name);
                                p->next_report = now + REPORT_EVERY;
                        }
                }
                p->stop_deadline = now + (c->stopwaitsecs > 0 ? c->stopwaitsecs : 0);
                arm_stopping(p);
        }
        if (to == PROC_RUNNING && from == PROC_STARTING)
                log_info("success: %s entered RUNNING state, process has stayed up for > than %d "
                         "seconds (startsecs)", c->name, c->startsecs);
        if (to == PROC_FATAL)
                log_info("gave up: %s entered FATAL state, too many start retries too quickly", c->name);
        if (to == PROC_STOPPED)
                p->stop_requested = false;
        if (to == PROC_UNKNOWN)
                p->killing = false;

        /* 5. the state, last: watchers see a consistent process */
        proc_set_state(p, to);
        if (p->state != to || p->dead)
                return PE_NONE;         /* a watcher took over */

        /* 6. the follow-up */
        if (follow != PE_NONE)
                return follow;
        if (ev == PE_SPAWNED && c->startsecs <= 0)
                return PE_STARTSECS_ELAPSED;    /* supervisord's immediate transition() */
        if (to == PROC_BACKOFF && from != PROC_BACKOFF)
                return fsm_classify_backoff(p->backoff, c->startretries);
        if (to == PROC_EXITED && from != PROC_EXITED) {
                if (fsm_classify_autorestart(c->autorestart, p->exit_expected, true) != PE_NONE) {
                        if (P.autorestart)
                                due_add(p);
                        else
                                hold_back(p);
                }
                return PE_NONE;
        }
        return PE_NONE;
}

static void
dispatch(struct proc *p, enum proc_event ev)
{
        hold(p);
        while (ev != PE_NONE && !p->dead)
                ev = apply(p, ev);
        release(p);
}

/* --- commands -------------------------------------------------------------------------------- */

enum fault
proc_start(struct proc *p)
{
        struct fsm_cell cell = fsm_step(p->state, PE_START);
        enum fault pre, f;
        char *msg = NULL;

        /* like supervisord's startProcess: the command is checked before the state */
        pre = spawn_check(p->cfg, &msg);
        free(msg);
        if (cell.fault != FAULT_OK)
                return pre != FAULT_OK ? pre : (enum fault)cell.fault;
        hold(p);
        p->last_fault = FAULT_OK;
        dispatch(p, PE_START);
        f = p->last_fault;
        p->last_fault = FAULT_OK;
        release(p);
        return f;
}

enum fault
proc_stop(struct proc *p)
{
        struct fsm_cell cell = fsm_step(p->state, PE_STOP);

        if (cell.fault != FAULT_OK)
                return (enum fault)cell.fault;
        dispatch(p, PE_STOP);
        return FAULT_OK;
}

enum fault
proc_signal(struct proc *p, int sig)
{
        struct fsm_cell cell = fsm_step(p->state, PE_SIGNAL);
        enum fault f = FAULT_OK;

        if (cell.fault != FAULT_OK)
                return (enum fault)cell.fault;
        hold(p);
        p->user_signal = sig;
        log_debug("sending %s (pid %d) sig %s", p->cfg->name, (int)p->pid, signame(sig));
        dispatch(p, PE_SIGNAL);
        if (p->state == PROC_UNKNOWN)
                f = FAULT_FAILED;
        release(p);
        return f;
}

void
proc_set_autorestart(bool allowed)
{
        P.autorestart = allowed;
        /* queued starts are held back like the ones that fall due from now on */
        while (!P.autorestart && P.due_head) {
                struct proc *p = P.due_head;
                due_remove(p);
                hold_back(p);
        }
        /* one at a time from the end: a dispatch may free (and so unhold) any other */
        while (P.autorestart && P.nheld) {
                struct proc *p = P.held[--P.nheld];
                enum proc_event ev;
                p->held_back = false;
                if ((ev = auto_start_event(p)) != PE_NONE)
                        dispatch(p, ev);
        }
}

/* --- the timer and reaping ------------------------------------------------------------------- */

static void
proc_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct proc *p = container_of(w, struct proc, timer);
        double now = time_monotonic();
        enum proc_event ev = fsm_classify_timer(p->state);

        (void)loop;
        (void)revents;
        switch (ev) {
        case PE_STARTSECS_ELAPSED:
                /* strictly longer than startsecs (the timer was armed from the loop's clock) */
                if (now - p->start_mono <= p->cfg->startsecs) {
                        arm(p, p->start_mono + p->cfg->startsecs - now + 0.001);
                        return;
                }
                break;
        case PE_BACKOFF_ELAPSED:
                if (!P.autorestart)
                        hold_back(p);   /* shutting down or reloading: stay in BACKOFF */
                else
                        due_add(p);
                return;
        case PE_STOP_TIMEOUT:
                if (now < p->stop_deadline) {
                        if (p->next_report > 0 && now >= p->next_report) {
                                log_info("waiting for %s to stop", p->cfg->name);
                                p->next_report = now + REPORT_EVERY;
                        }
                        arm_stopping(p);
                        return;
                }
                break;
        default:
                return;
        }
        dispatch(p, ev);
}

/* supervisord's decode_wait_status: the exit status (-1 after a signal) and the text. */
static int
decode_status(int status, char *buf, size_t len)
{
        if (WIFEXITED(status)) {
                snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
                return WEXITSTATUS(status);
        }
        if (WIFSIGNALED(status)) {
                snprintf(buf, len, "terminated by %s%s", signame(WTERMSIG(status)),
                         WCOREDUMP(status) ? " (core dumped)" : "");
                return -1;
        }
        snprintf(buf, len, "unknown termination cause 0x%04x", (unsigned)status);
        return -1;
}

static void
proc_on_child(struct ev_loop *loop, ev_child *w, int revents)
{
        struct proc *p = proc_by_pid(w->rpid);
        const struct cfg_proc *c;
        char what[96];
        int es;
        enum proc_event ev;
        enum proc_state to;
        struct fsm_cell cell;

        (void)loop;
        (void)revents;
        if (!p) {
                log_debug("reaped unknown pid %d (adopted orphan), ignoring", (int)w->rpid);
                return;
        }
        c = p->cfg;
        pid_remove(p);
        if (p->log)
                outlog_exited(p->log);
        es = decode_status(w->rstatus, what, sizeof what);
        p->exit_expected = cfg_exitcode_expected(c, es);
        p->stop_time = time_wall();
        p->reaped_pgid = p->pid;
        p->pid = 0;
        ev = fsm_classify_exit(time_monotonic() - p->start_mono, c->startsecs, p->exit_expected);
        cell = fsm_step(p->state, ev);
        to = cell.next == PROC_SAME ? p->state : (enum proc_state)cell.next;

        switch (to) {
        case PROC_STOPPED:
                p->exitstatus = es;
                p->killing = false;
                if (p->exit_expected)
                        log_info("stopped: %s (%s)", c->name, what);
                else
                        log_warn("stopped: %s (%s)", c->name, what);
                break;
        case PROC_BACKOFF:
                p->exitstatus = 0;
                set_spawnerr(p, xstrdup("Exited too quickly (process log may have details)"));
                log_warn("exited: %s (%s; not expected)", c->name, what);
                break;
        case PROC_EXITED:
                p->exitstatus = es;
                if (p->exit_expected) {
                        log_info("exited: %s (%s; expected)", c->name, what);
                } else {
                        set_spawnerr(p, xasprintf("Bad exit code %d", es));
                        log_warn("exited: %s (%s; not expected)", c->name, what);
                }
                break;
        default:
                break;
        }
        dispatch(p, ev);
}

void
proc_setup(const struct proc_env *env)
{
        if (P.loop && ev_is_active(&P.child))
                ev_child_stop(P.loop, &P.child);
        if (P.loop && ev_is_active(&P.due_prepare)) {
                ev_prepare_stop(P.loop, &P.due_prepare);
                ev_idle_stop(P.loop, &P.due_idle);
        }
        free(P.server_url);
        free(P.childlogdir);
        free(P.identifier);
        P.loop = env->loop;
        P.server_url = env->server_url ? xstrdup(env->server_url) : NULL;
        P.childlogdir = env->childlogdir ? xstrdup(env->childlogdir) : NULL;
        P.identifier = env->identifier ? xstrdup(env->identifier) : NULL;
        P.strip_ansi = env->strip_ansi;
        P.oenv = (struct outlog_env){
                .childlogdir = P.childlogdir,
                .identifier = P.identifier,
                .strip_ansi = P.strip_ansi,
        };
        /* One catch-all child watcher on the default loop: libev reaps every child with
         * waitpid(-1) and hands us rpid; we dispatch through the pid hash. */
        ev_child_init(&P.child, proc_on_child, 0, 0);
        ev_child_start(P.loop, &P.child);
        ev_prepare_init(&P.due_prepare, proc_on_due);
        ev_idle_init(&P.due_idle, proc_on_due_idle);
        if (P.due_head) {
                ev_prepare_start(P.loop, &P.due_prepare);
                ev_idle_start(P.loop, &P.due_idle);
        }
}

/* --- presentation ---------------------------------------------------------------------------- */

char *
proc_namespec(const struct proc *p)
{
        const char *g = p->cfg->group;
        if (!g || !strcmp(g, p->cfg->name))
                return xstrdup(p->cfg->name);
        return xasprintf("%s:%s", g, p->cfg->name);
}

char *
proc_description(const struct proc *p, double now)
{
        switch (p->state) {
        case PROC_RUNNING: {
                /* like Python: whole seconds of both ends, then a timedelta */
                long long up = (long long)now - (long long)p->start_time;
                if (up < 0)
                        up = 0;
                long long days = up / 86400, s = up % 86400;
                if (days)
                        return xasprintf("pid %d, uptime %lld day%s, %lld:%02lld:%02lld", (int)p->pid, days,
                                         days == 1 ? "" : "s", s / 3600, s / 60 % 60, s % 60);
                return xasprintf("pid %d, uptime %lld:%02lld:%02lld", (int)p->pid, s / 3600, s / 60 % 60,
                                 s % 60);
        }
        case PROC_FATAL:
        case PROC_BACKOFF:
                if (p->spawnerr && *p->spawnerr)
                        return xstrdup(p->spawnerr);
                return xasprintf("unknown error (try \"tail %s\")", p->cfg->name);
        case PROC_STOPPED:
        case PROC_EXITED: {
                char buf[64];
                struct tm tm;
                time_t t = (time_t)p->stop_time;
                if ((long long)p->start_time == 0)
                        return xstrdup("Not started");
                if (!localtime_r(&t, &tm) || !strftime(buf, sizeof buf, "%b %d %I:%M %p", &tm))
                        return xstrdup("");
                return xstrdup(buf);
        }
        default:
                return xstrdup("");
        }
}
