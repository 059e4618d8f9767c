/* SPDX-License-Identifier: MIT */
/* ready — per-process readiness state (allocated at the first spawn of a program with ready=):
 * the STATUS text, the announced MAINPID (indexed for attributing notifications) and the
 * watchdog timer. */
#include "core/ready.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "core/log.h"
#include "core/notify.h"
#include "core/probe.h"
#include "core/proc.h"
#include "core/proc_int.h"
#include "core/spawn.h"
#include "shared/util.h"

struct ready_state {
        struct proc *proc;
        char *status;                   /* STATUS= text, NULL: none */
        pid_t mainpid;                  /* MAINPID=, 0: none (indexed while nonzero) */
        struct ready_state *main_next;  /* mainpid hash chain */
        ev_timer watchdog;
        ev_io fd_io;                    /* fd:N: the read end of the notification pipe */
        int fd_write;                   /* its write end until the spawn is done, else -1 */
        struct probe *probe;            /* tcp:, exec: */
        char env[96];                   /* "NOTIFY_SOCKET=…" for the spawn */
};

/* MAINPID → state: a few programs announce one; buckets keep lookups O(1) all the same */
#define MAIN_BUCKETS 256

static struct {
        struct ev_loop *loop;
        struct ready_state *main[MAIN_BUCKETS];
} R;

void
ready_setup(struct ev_loop *loop)
{
        R.loop = loop;
}

bool
ready_configured(const struct proc *p)
{
        switch (p->cfg->ready.kind) {
        case CFG_READY_NOTIFY:
        case CFG_READY_FD:
        case CFG_READY_TCP:
        case CFG_READY_EXEC:
        case CFG_READY_HTTP:
                return true;
        default:
                return false;
        }
}

static void
fd_close(struct ready_state *r)
{
        if (r->fd_io.fd >= 0) {
                ev_io_stop(R.loop, &r->fd_io);
                close(r->fd_io.fd);
                ev_io_set(&r->fd_io, -1, EV_READ);
        }
        if (r->fd_write >= 0) {
                close(r->fd_write);
                r->fd_write = -1;
        }
}

/* fd:N: a newline means ready (s6); the worker may write more first, or close it unready */
static void
on_fd(struct ev_loop *loop, ev_io *w, int revents)
{
        struct ready_state *r = container_of(w, struct ready_state, fd_io);
        char buf[256];
        ssize_t n = read(w->fd, buf, sizeof buf);

        (void)loop;
        (void)revents;
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n > 0 && !memchr(buf, '\n', (size_t)n))
                return;
        fd_close(r);
        if (n > 0)
                proc_ready(r->proc, r->proc->cfg->ready.kind == CFG_READY_FD ? "fd" : "?");
        else
                log_debug("'%s' closed its notification fd without a newline", r->proc->cfg->name);
}

static void
main_unindex(struct ready_state *r)
{
        if (!r->mainpid)
                return;
        for (struct ready_state **pp = &R.main[(unsigned)r->mainpid % MAIN_BUCKETS]; *pp; pp = &(*pp)->main_next)
                if (*pp == r) {
                        *pp = r->main_next;
                        break;
                }
        r->mainpid = 0;
        r->main_next = NULL;
}

static void
on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct ready_state *r = container_of(w, struct ready_state, watchdog);
        char why[96];

        (void)loop;
        (void)revents;
        snprintf(why, sizeof why, "no WATCHDOG=1 within %g s (watchdog_sec)", r->proc->cfg->ready.watchdog);
        proc_ready_kill(r->proc, why);
}

int
ready_prepare(struct proc *p, struct spawn_spec *spec)
{
        struct ready_state *r = p->in->ready;

        if (!ready_configured(p))
                return 0;
        if (!r) {
                r = p->in->ready = xcalloc(1, sizeof *r);
                r->proc = p;
                r->fd_write = -1;
                ev_timer_init(&r->watchdog, on_watchdog, 0., 0.);
                ev_io_init(&r->fd_io, on_fd, -1, EV_READ);
        }
        fd_close(r);
        if (p->cfg->ready.kind == CFG_READY_FD) {
                int pfd[2];
                if (pipe2(pfd, O_CLOEXEC) < 0)
                        return -errno;
                (void)fcntl(pfd[0], F_SETFL, O_NONBLOCK);
                ev_io_set(&r->fd_io, pfd[0], EV_READ);
                r->fd_write = pfd[1];
                spec->ready_fd = pfd[1];
                spec->ready_fd_at = p->cfg->ready.fd;
        }
        if (p->cfg->ready.kind == CFG_READY_NOTIFY) {
                const char *name = notify_socket(R.loop);
                if (!name)
                        return -EIO;
                snprintf(r->env, sizeof r->env, "NOTIFY_SOCKET=%s", name);
                spec->extra_env = r->env;
        }
        return 0;
}

void
ready_spawned(struct proc *p)
{
        struct ready_state *r = p->in->ready;

        if (!r)
                return;
        ready_status_set(p, NULL);
        main_unindex(r);
        if (r->fd_io.fd >= 0)
                ev_io_start(R.loop, &r->fd_io);
        if (p->cfg->ready.kind == CFG_READY_TCP || p->cfg->ready.kind == CFG_READY_EXEC ||
            p->cfg->ready.kind == CFG_READY_HTTP) {
                if (!r->probe)
                        r->probe = probe_new(R.loop, p);
                probe_start(r->probe);
        }
}

void
ready_spawn_done(struct proc *p, bool spawned)
{
        struct ready_state *r = p->in->ready;

        if (!r)
                return;
        if (!spawned) {
                fd_close(r);
                return;
        }
        if (r->fd_write >= 0)
                close(r->fd_write);     /* the child has its copy; EOF must come when it closes it */
        r->fd_write = -1;
}

void
ready_state_changed(struct proc *p, int from, int to)
{
        struct ready_state *r = p->in->ready;

        if (!r)
                return;
        if (to == PROC_RUNNING && p->cfg->ready.watchdog > 0) {
                ev_timer_set(&r->watchdog, p->cfg->ready.watchdog, 0.);
                ev_timer_start(R.loop, &r->watchdog);
        }
        if (from == PROC_RUNNING)
                ev_timer_stop(R.loop, &r->watchdog);
        if (to != PROC_STARTING) {
                fd_close(r);    /* nothing more to hear once it is up (or gone) */
                probe_stop(r->probe);
        }
        if (to != PROC_STARTING && to != PROC_RUNNING && to != PROC_STOPPING)
                ready_status_set(p, NULL);
}

void
ready_exited(struct proc *p)
{
        struct ready_state *r = p->in->ready;

        if (!r)
                return;
        ev_timer_stop(R.loop, &r->watchdog);
        fd_close(r);
        probe_stop(r->probe);
        main_unindex(r);
}

void
ready_free(struct proc *p)
{
        struct ready_state *r = p->in->ready;

        if (!r)
                return;
        ev_timer_stop(R.loop, &r->watchdog);
        fd_close(r);
        probe_free(r->probe);
        main_unindex(r);
        free(r->status);
        free(r);
        p->in->ready = NULL;
}

void
ready_status_set(struct proc *p, const char *text)
{
        struct ready_state *r = p->in->ready;

        if (!r)
                return;
        free(r->status);
        r->status = text && *text ? xstrdup(text) : NULL;
}

const char *
ready_status(const struct proc *p)
{
        return p->in->ready ? p->in->ready->status : NULL;
}

void
ready_watchdog_ping(struct proc *p)
{
        struct ready_state *r = p->in->ready;

        if (r && ev_is_active(&r->watchdog)) {
                ev_timer_stop(R.loop, &r->watchdog);
                ev_timer_set(&r->watchdog, p->cfg->ready.watchdog, 0.);
                ev_timer_start(R.loop, &r->watchdog);
        }
}

void
ready_mainpid(struct proc *p, pid_t pid)
{
        struct ready_state *r = p->in->ready;

        if (!r || pid == p->pid)
                return;
        main_unindex(r);
        r->mainpid = pid;
        r->main_next = R.main[(unsigned)pid % MAIN_BUCKETS];
        R.main[(unsigned)pid % MAIN_BUCKETS] = r;
        log_debug("notify: '%s' says its main pid is %d", p->cfg->name, (int)pid);
}

struct proc *
ready_owner(pid_t pid)
{
        struct proc *p = proc_by_pid(pid);
        pid_t g;

        if (p)
                return p;
        for (struct ready_state *r = R.main[(unsigned)pid % MAIN_BUCKETS]; r; r = r->main_next)
                if (r->mainpid == pid)
                        return r->proc;
        /* a child of the worker (systemd-notify run from a shell script): the worker leads its
         * process group (spawn's setsid) */
        g = getpgid(pid);
        return g > 0 && g != pid ? proc_by_pid(g) : NULL;
}
