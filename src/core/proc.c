/* SPDX-License-Identifier: MIT */
/* proc — the process table and runtime: struct proc objects (indexed by pid in proc_pid.c), the
 * one catch-all ev_child, one ev_timer per process whose meaning follows the state, and the code
 * that carries out the actions fsm.c returns. proc_set_state is the only writer of
 * p->state; it records the time and notifies watchers. */
#include "core/proc.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "core/backoff.h"
#include "core/log.h"
#include "core/outlog.h"
#include "core/probe.h"
#include "core/proc_int.h"
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
        /* processes whose automatic start fell due while automatic starts were off */
        struct proc **held;
        size_t nheld, capheld;
        /* automatic starts that fell due, FIFO, one per loop iteration */
        struct proc *due_head, *due_tail;
        ev_prepare due_prepare;
        ev_idle due_idle;
        uint64_t rng;                   /* backoff jitter draws (backoff_uniform) */
} S = { .autorestart = true };

static void proc_on_timer(struct ev_loop *loop, ev_timer *w, int revents);
static void dispatch(struct proc *p, enum proc_event ev);

/* --- lifetime -------------------------------------------------------------------------------- */

static void
hold_back(struct proc *p)
{
        if (p->in->held_back)
                return;
        if (S.nheld == S.capheld) {
                S.capheld = S.capheld ? S.capheld * 2 : 16;
                S.held = xrealloc(S.held, S.capheld * sizeof *S.held);
        }
        S.held[S.nheld++] = p;
        p->in->held_back = true;
}

static void
unhold(struct proc *p)
{
        for (size_t i = 0; p->in->held_back && i < S.nheld; i++)
                if (S.held[i] == p) {
                        S.held[i] = S.held[--S.nheld];
                        break;
                }
        p->in->held_back = false;
}

static void
due_add(struct proc *p)
{
        if (p->in->due)
                return;
        p->in->due = true;
        p->in->due_next = NULL;
        p->in->due_prev = S.due_tail;
        if (S.due_tail)
                S.due_tail->in->due_next = p;
        else
                S.due_head = p;
        S.due_tail = p;
        if (!ev_is_active(&S.due_prepare)) {
                ev_prepare_start(S.loop, &S.due_prepare);
                ev_idle_start(S.loop, &S.due_idle);
        }
}

static void
due_remove(struct proc *p)
{
        if (!p->in->due)
                return;
        if (p->in->due_prev)
                p->in->due_prev->in->due_next = p->in->due_next;
        else
                S.due_head = p->in->due_next;
        if (p->in->due_next)
                p->in->due_next->in->due_prev = p->in->due_prev;
        else
                S.due_tail = p->in->due_prev;
        p->in->due = false;
        p->in->due_next = p->in->due_prev = NULL;
        if (!S.due_head && ev_is_active(&S.due_prepare)) {
                ev_prepare_stop(S.loop, &S.due_prepare);
                ev_idle_stop(S.loop, &S.due_idle);
        }
}

/* The automatic start p's state calls for now, PE_NONE when there is none (any more). */
static enum proc_event
auto_start_event(const struct proc *p)
{
        if (p->state == PROC_BACKOFF)
                return PE_BACKOFF_ELAPSED;
        if (p->state == PROC_EXITED && !p->cfg->oneshot)
                return fsm_classify_restart(fsm_classify_autorestart(p->cfg->autorestart, p->in->exit_expected,
                                                                     true),
                                            p->in->exit_expected, p->in->exit_ran, p->cfg->backoff.reset);
        return PE_NONE;
}

/* One queued automatic start per loop iteration: the exits reaped in between come first. */
static void
proc_on_due(struct ev_loop *loop, ev_prepare *w, int revents)
{
        struct proc *p = S.due_head;

        (void)loop;
        (void)w;
        (void)revents;
        if (!p)
                return;
        due_remove(p);
        if (!S.autorestart) {
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
        ready_free(p);
        if (S.loop)
                ev_timer_stop(S.loop, &p->in->timer);
        if (p->pid > 0) {
                /* contract violation by the caller; do not leave a worker nobody owns */
                log_warn("can't happen: freeing '%s' with pid %d, killing it", p->cfg->name, (int)p->pid);
                proc_pid_remove(p);
                (void)kill(p->pid, SIGKILL);
        }
        for (struct proc_watch *w = p->in->watchers, *next; w; w = next) {
                next = w->next;
                w->next = w->prev = NULL;
                w->proc = NULL;
        }
        outlog_free(p->log);
        free(p->spawnerr);
        free(container_of(p, struct proc_obj, pub));
}

static void
hold(struct proc *p)
{
        p->in->busy++;
}

/* Returns false when p is gone. */
static bool
release(struct proc *p)
{
        if (--p->in->busy == 0 && p->in->dead) {
                really_free(p);
                return false;
        }
        return true;
}

struct proc *
proc_new(const struct cfg_proc *cfg, struct proc_group *group)
{
        struct proc_obj *o = xcalloc(1, sizeof *o);
        struct proc *p = &o->pub;

        _Static_assert(PROC_STOPPED == 0, "a zeroed proc is STOPPED");
        p->in = &o->in;
        p->cfg = cfg;
        p->group = group;
        ev_timer_init(&p->in->timer, proc_on_timer, 0., 0.);
        p->log = outlog_new(S.loop, cfg, &S.oenv);
        return p;
}

struct proc *
proc_free(struct proc *p)
{
        if (!p)
                return NULL;
        if (p->in->busy)
                p->in->dead = true;
        else
                really_free(p);
        return NULL;
}

/* --- watchers and the one state writer -------------------------------------------------------- */

void
proc_watch_add(struct proc *p, struct proc_watch *w)
{
        struct proc_watch **tail = &p->in->watchers, *prev = NULL;

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
                w->proc->in->watchers = w->next;
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
        *(enum proc_state *)&p->state = to;    /* the one writer (const in proc.h) */
        p->in->state_time = time_wall();
        unhold(p);      /* whatever fell due belonged to the old state */
        due_remove(p);
        log_debug("'%s' %s -> %s", p->cfg->name, proc_state_name(from), proc_state_name(to));
        ready_state_changed(p, (int)from, (int)to);
        for (struct proc_watch *w = p->in->watchers, *next; w; w = next) {
                next = w->next;
                w->on_change(w, p, from, to);
        }
}

void
proc_renotify(struct proc *p)
{
        for (struct proc_watch *w = p->in->watchers, *next; w; w = next) {
                next = w->next;
                w->on_change(w, p, p->state, p->state);
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

/* 0, or -1 with p->spawnerr and p->in->last_fault set. */
static int
do_spawn(struct proc *p)
{
        struct spawn_spec spec = { .cfg = p->cfg, .server_url = S.server_url };
        enum fault f;
        char *msg = NULL;
        int r;

        p->killing = false;
        p->in->stop_requested = false;
        p->exitstatus = 0;
        set_spawnerr(p, NULL);
        p->start_time = time_wall();

        f = spawn_check(p->cfg, &msg);
        p->in->ready_how = NULL;
        p->in->ready_timed_out = false;
        if (f == FAULT_OK && (r = ready_prepare(p, &spec)) < 0) {
                f = FAULT_SPAWN_ERROR;
                msg = xasprintf("can't prepare readiness for '%s': %s", p->cfg->name, strerror(-r));
        } else if (f == FAULT_OK) {
                r = p->log ? outlog_prepare(p->log, spec.fds) : -EBADF;
                if (r < 0) {
                        ready_spawn_done(p, false);
                        if (p->log)
                                outlog_abort(p->log);
                        f = FAULT_SPAWN_ERROR;
                        msg = r == -EMFILE || r == -ENFILE
                                ? xasprintf("too many open files to spawn '%s'", p->cfg->name)
                                : xasprintf("unknown error making dispatchers for '%s': %s",
                                            p->cfg->name, strerror(-r));
                } else {
                        pid_t pid = spawn_process(&spec, &f, &msg);
                        ready_spawn_done(p, pid > 0);
                        if (pid > 0) {
                                p->pid = pid;
                                p->start_mono = time_monotonic();
                                proc_pid_insert(p);
                                ready_spawned(p);
                                outlog_started(p->log, pid);
                                log_info("spawned: '%s' with pid %d", p->cfg->name, (int)pid);
                                return 0;
                        }
                        outlog_abort(p->log);
                }
        }
        p->in->last_fault = f;
        log_info("spawnerr: %s", msg);
        set_spawnerr(p, msg);
        return -1;
}

/* --- the timer ------------------------------------------------------------------------------- */

static void
arm(struct proc *p, double after)
{
        ev_timer_stop(S.loop, &p->in->timer);
        ev_timer_set(&p->in->timer, after > 0 ? after : 0., 0.);
        ev_timer_start(S.loop, &p->in->timer);
}

static void
arm_stopping(struct proc *p)
{
        double now = time_monotonic();
        double at = p->in->stop_deadline;

        if (p->in->next_report > 0 && p->in->next_report < at)
                at = p->in->next_report;
        arm(p, at - now);
}

/* --- applying the table ---------------------------------------------------------------------- */

/* The record-keeping actions of a cell: what an exit leaves behind (from the status the reaper
 * put in p->in->exit_code and p->in->exit_what) and the flags a transition resets. */
static void
record(struct proc *p, unsigned actions)
{
        const struct cfg_proc *c = p->cfg;

        if (actions & ACT_EXIT_STOPPED) {
                p->exitstatus = p->in->exit_code;
                if (p->in->exit_expected)
                        log_info("stopped: %s (%s)", c->name, p->in->exit_what);
                else
                        log_warn("stopped: %s (%s)", c->name, p->in->exit_what);
        }
        if (actions & ACT_EXIT_QUICK) {
                p->exitstatus = 0;
                set_spawnerr(p, xstrdup("Exited too quickly (process log may have details)"));
                log_warn("exited: %s (%s; not expected)", c->name, p->in->exit_what);
        }
        if (actions & ACT_EXIT_EXITED) {
                p->exitstatus = p->in->exit_code;
                if (p->in->exit_expected) {
                        log_info("exited: %s (%s; expected)", c->name, p->in->exit_what);
                } else {
                        set_spawnerr(p, xasprintf("Bad exit code %d", p->in->exit_code));
                        log_warn("exited: %s (%s; not expected)", c->name, p->in->exit_what);
                }
        }
        if (actions & ACT_CLEAR_STOP)
                p->in->stop_requested = false;
        if (actions & ACT_CLEAR_KILLING)
                p->killing = false;
        if (actions & ACT_RESET_BACKOFF)
                p->backoff = 0;
        if (actions & ACT_COUNT_RETRY)
                p->backoff++;
        if (actions & ACT_RESET_DELAY)
                p->backoff_step = 0;
        if (actions & ACT_NEXT_DELAY && p->backoff_step < UINT_MAX)
                p->backoff_step++;
}

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
                ev_timer_stop(S.loop, &p->in->timer);
        /* 2. bookkeeping: the exit just reaped, flags, the backoff counter */
        record(p, cell.actions);
        /* 3. spawn or signal */
        if (cell.actions & ACT_SPAWN) {
                spawned = do_spawn(p) == 0;
                follow = spawned ? PE_SPAWNED : PE_SPAWN_FAILED;
        }
        if (cell.actions & ACT_SIGNAL_STOP) {
                p->in->stop_requested = true;
                follow = signal_or_unknown(p, c->stopsignal, c->stopasgroup);
        }
        if (cell.actions & ACT_SIGNAL_KILL) {
                log_warn("killing '%s' (%d) with SIGKILL", c->name, (int)p->pid);
                p->killing = true;
                follow = signal_or_unknown(p, SIGKILL, c->killasgroup);
        }
        if (cell.actions & ACT_SIGNAL_USER)
                follow = signal_or_unknown(p, p->in->user_signal, false);
        if ((cell.actions & ACT_KILL_LEFTOVERS) && p->in->reaped_pgid > 0) {
                /* corral leaves no orphan behind on stop: whatever is left in the group goes too */
                if (kill(-p->in->reaped_pgid, SIGKILL) == 0)
                        log_debug("killed what was left in process group %d of '%s'",
                                  (int)p->in->reaped_pgid, c->name);
                p->in->reaped_pgid = 0;
        }
        /* 4. the new deadline */
        if (cell.actions & ACT_ARM_STARTSECS)
                arm(p, ready_configured(p) ? c->ready.timeout : c->startsecs);
        if (cell.actions & ACT_ARM_BACKOFF) {
                double delay = backoff_delay(&c->backoff, p->backoff_step, backoff_uniform(&S.rng));
                p->retry_mono = time_monotonic() + delay;
                log_debug("'%s' retry %u in %.3f s", c->name, p->backoff_step, delay);
                arm(p, delay);
        }
        if (cell.actions & ACT_ARM_STOPWAIT) {
                double now = time_monotonic();
                if (from != PROC_STOPPING) {
                        /* supervisord reports while a stopProcess waits, starting at once (even
                         * when the process is about to be reaped); shutdown and reload
                         * (automatic starts off) use sup's "waiting for … to die" instead */
                        p->in->next_report = 0;
                        if (S.autorestart) {
                                log_info("waiting for %s to stop", c->name);
                                p->in->next_report = now + REPORT_EVERY;
                        }
                }
                p->in->stop_deadline = now + (c->stopwaitsecs > 0 ? c->stopwaitsecs : 0);
                arm_stopping(p);
        }
        if ((cell.actions & ACT_LOG_SUCCESS) && ready_configured(p))
                log_info("success: %s entered RUNNING state, process is ready (%s)", c->name,
                         p->in->ready_how ? p->in->ready_how : "?");
        else if (cell.actions & ACT_LOG_SUCCESS)
                log_info("success: %s entered RUNNING state, process has stayed up for > than %d "
                         "seconds (startsecs)", c->name, c->startsecs);
        if (cell.actions & ACT_LOG_GAVE_UP)
                log_info("gave up: %s entered FATAL state, too many start retries too quickly", c->name);

        /* 5. the state, last: watchers see a consistent process */
        proc_set_state(p, to);
        if (p->state != to || p->in->dead)
                return PE_NONE;         /* a watcher took over */

        /* 6. the follow-up */
        if (follow != PE_NONE)
                return follow;
        if (ev == PE_SPAWNED && c->startsecs <= 0 && !c->oneshot && !ready_configured(p))
                return PE_STARTSECS_ELAPSED;    /* supervisord's immediate transition() */
        if (ev == PE_STARTSECS_ELAPSED && c->oneshot && !p->pid)
                return PE_EXIT_EXPECTED;        /* a oneshot's success, from the reaper */
        if (to == PROC_BACKOFF && from == PROC_STARTING)       /* a failed start, not a delayed restart */
                return fsm_classify_backoff(p->backoff, c->startretries);
        if (to == PROC_EXITED && from != PROC_EXITED && !c->oneshot) {
                if (fsm_classify_autorestart(c->autorestart, p->in->exit_expected, true) != PE_NONE) {
                        if (S.autorestart)
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
        while (ev != PE_NONE && !p->in->dead)
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
        p->in->last_fault = FAULT_OK;
        dispatch(p, PE_START);
        f = p->in->last_fault;
        p->in->last_fault = FAULT_OK;
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
        p->in->user_signal = sig;
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
        S.autorestart = allowed;
        /* queued starts are held back like the ones that fall due from now on */
        while (!S.autorestart && S.due_head) {
                struct proc *p = S.due_head;
                due_remove(p);
                hold_back(p);
        }
        /* one at a time from the end: a dispatch may free (and so unhold) any other */
        while (S.autorestart && S.nheld) {
                struct proc *p = S.held[--S.nheld];
                enum proc_event ev;
                p->in->held_back = false;
                if ((ev = auto_start_event(p)) != PE_NONE)
                        dispatch(p, ev);
        }
}

/* --- the timer and reaping ------------------------------------------------------------------- */

static void
proc_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct proc *p = &container_of(w, struct proc_obj, in.timer)->pub;
        double now = time_monotonic();
        enum proc_event ev = fsm_classify_timer(p->state);

        (void)loop;
        (void)revents;
        switch (ev) {
        case PE_STARTSECS_ELAPSED:
                if (p->cfg->oneshot)
                        return;         /* a oneshot stays STARTING until it exits */
                if (ready_configured(p)) {
                        char why[96];
                        snprintf(why, sizeof why, "not ready within %g s (ready_timeout)", p->cfg->ready.timeout);
                        p->in->ready_timed_out = true;
                        proc_ready_kill(p, why);
                        return;
                }
                /* strictly longer than startsecs (the timer was armed from the loop's clock) */
                if (now - p->start_mono <= p->cfg->startsecs) {
                        arm(p, p->start_mono + p->cfg->startsecs - now + 0.001);
                        return;
                }
                break;
        case PE_BACKOFF_ELAPSED:
                if (!S.autorestart)
                        hold_back(p);   /* shutting down or reloading: stay in BACKOFF */
                else
                        due_add(p);
                return;
        case PE_STOP_TIMEOUT:
                if (now < p->in->stop_deadline) {
                        if (p->in->next_report > 0 && now >= p->in->next_report) {
                                log_info("waiting for %s to stop", p->cfg->name);
                                p->in->next_report = now + REPORT_EVERY;
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

        (void)loop;
        (void)revents;
        if (!p && probe_reaped(w->rpid, w->rstatus))
                return;
        if (!p) {
                log_debug("reaped unknown pid %d (adopted orphan), ignoring", (int)w->rpid);
                return;
        }
        c = p->cfg;
        proc_pid_remove(p);
        ready_exited(p);
        if (p->log)
                outlog_exited(p->log);
        /* the exit's facts; what they mean for the process is the cell's to say (record()) */
        p->in->exit_code = decode_status(w->rstatus, p->in->exit_what, sizeof p->in->exit_what);
        p->in->exit_expected = cfg_exitcode_expected(c, p->in->exit_code);
        p->in->exit_ran = time_monotonic() - p->start_mono - (c->startsecs > 0 ? c->startsecs : 0);
        if (ready_configured(p) && p->state == PROC_RUNNING)
                p->in->exit_ran = time_wall() - p->in->state_time;      /* RUNNING since it was ready */
        if (p->in->exit_ran < 0)
                p->in->exit_ran = 0;
        p->stop_time = time_wall();
        p->in->reaped_pgid = p->pid;
        p->pid = 0;
        hold(p);
        if (c->oneshot && p->state == PROC_STARTING) {
                /* a oneshot's run is its start: an expected code is success (RUNNING, then at once
                 * EXITED: apply's follow-up; never restarted), any other a failed start (BACKOFF) */
                dispatch(p, p->in->exit_expected ? PE_STARTSECS_ELAPSED : PE_EXIT_EARLY);
        } else if (p->state == PROC_STARTING && ready_configured(p)) {
                /* with ready=, an exit before ready is a failed start however long it took */
                dispatch(p, PE_EXIT_EARLY);
        } else {
                dispatch(p, fsm_classify_exit(time_monotonic() - p->start_mono, c->startsecs,
                                              p->in->exit_expected));
        }
        if (!p->in->dead && p->in->ready_timed_out && p->spawnerr) {
                set_spawnerr(p, xasprintf("Not ready within %g s (ready_timeout)", c->ready.timeout));
                p->in->ready_timed_out = false;
        }
        release(p);
}

/* --- readiness (ready.h) ---------------------------------------------------------------------- */

void
proc_ready(struct proc *p, const char *how)
{
        if (p->state != PROC_STARTING || !ready_configured(p))
                return;
        p->in->ready_how = how;
        dispatch(p, PE_STARTSECS_ELAPSED);
}

void
proc_ready_kill(struct proc *p, const char *why)
{
        if (p->pid <= 0)
                return;
        log_warn("%s: %s, killing it", p->cfg->name, why);
        /* the worker leads its process group (setsid): whatever it started goes with it */
        if (kill(-p->pid, SIGKILL) < 0)
                (void)kill(p->pid, SIGKILL);
}

void
proc_setup(const struct proc_env *env)
{
        if (S.loop && ev_is_active(&S.child))
                ev_child_stop(S.loop, &S.child);
        if (S.loop && ev_is_active(&S.due_prepare)) {
                ev_prepare_stop(S.loop, &S.due_prepare);
                ev_idle_stop(S.loop, &S.due_idle);
        }
        free(S.server_url);
        free(S.childlogdir);
        free(S.identifier);
        S.loop = env->loop;
        ready_setup(S.loop);
        S.server_url = env->server_url ? xstrdup(env->server_url) : NULL;
        S.childlogdir = env->childlogdir ? xstrdup(env->childlogdir) : NULL;
        S.identifier = env->identifier ? xstrdup(env->identifier) : NULL;
        S.strip_ansi = env->strip_ansi;
        if (!S.rng && getrandom(&S.rng, sizeof S.rng, GRND_NONBLOCK) != (ssize_t)sizeof S.rng)
                S.rng = (uint64_t)time_wall() ^ ((uint64_t)getpid() << 32);     /* any seed spreads */
        S.oenv = (struct outlog_env){
                .childlogdir = S.childlogdir,
                .identifier = S.identifier,
                .strip_ansi = S.strip_ansi,
        };
        /* One catch-all child watcher on the default loop: libev reaps every child with
         * waitpid(-1) and hands us rpid; we dispatch through the pid hash. */
        ev_child_init(&S.child, proc_on_child, 0, 0);
        ev_child_start(S.loop, &S.child);
        ev_prepare_init(&S.due_prepare, proc_on_due);
        ev_idle_init(&S.due_idle, proc_on_due_idle);
        if (S.due_head) {
                ev_prepare_start(S.loop, &S.due_prepare);
                ev_idle_start(S.loop, &S.due_idle);
        }
}
