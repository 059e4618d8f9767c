/* SPDX-License-Identifier: MIT */
/* probe — tcp: and exec: readiness probes on the loop (see probe.h). */
#include "core/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "core/log.h"
#include "core/probe_http.h"
#include "core/proc.h"
#include "core/ready.h"
#include "core/spawn.h"
#include "shared/util.h"

struct probe {
        struct ev_loop *loop;
        struct proc *proc;
        ev_timer tick;                  /* the next attempt */
        ev_io conn;                     /* tcp: the connect in flight (fd -1: none) */
        struct probe_child *child;      /* exec: the command in flight, NULL: none */
        struct http_get *http;          /* http: the GET in flight, NULL: none */
        unsigned attempts;
};

/* An exec probe's command, indexed by pid until reaped: it outlives its probe when the probe is
 * cancelled (killed, then reaped by the catch-all like every child). */
struct probe_child {
        pid_t pid;
        struct probe *owner;            /* NULL once the probe let go of it */
        struct probe_child *next;
};

#define CHILD_BUCKETS 64
static struct probe_child *children[CHILD_BUCKETS];

static void
conn_close(struct probe *pr)
{
        if (pr->conn.fd < 0)
                return;
        ev_io_stop(pr->loop, &pr->conn);
        close(pr->conn.fd);
        ev_io_set(&pr->conn, -1, EV_WRITE);
}

static void
succeeded(struct probe *pr, const char *how)
{
        probe_stop(pr);
        proc_ready(pr->proc, how);      /* may free pr (the state change stops the probe) */
}

/* --- tcp ------------------------------------------------------------------------------------- */

static void
on_conn(struct ev_loop *loop, ev_io *w, int revents)
{
        struct probe *pr = container_of(w, struct probe, conn);
        int err = 0;
        socklen_t len = sizeof err;

        (void)loop;
        (void)revents;
        if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                err = errno;
        conn_close(pr);
        if (!err) {
                succeeded(pr, "tcp");
                return;
        }
        log_debug("'%s' ready probe: connect: %s", pr->proc->cfg->name, strerror(err));
}

static void
tcp_attempt(struct probe *pr)
{
        const struct cfg_ready *r = &pr->proc->cfg->ready;
        struct sockaddr_storage ss = { 0 };
        socklen_t slen;
        int fd;

        conn_close(pr);         /* the last one took a whole interval: give up on it */
        /* the config accepts numeric addresses and localhost only: no lookup that could block */
        const char *host = strcasecmp(r->arg, "localhost") ? r->arg : "127.0.0.1";
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
                a4->sin_family = AF_INET;
                a4->sin_port = htons((uint16_t)r->port);
                slen = sizeof *a4;
        } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
                a6->sin6_family = AF_INET6;
                a6->sin6_port = htons((uint16_t)r->port);
                slen = sizeof *a6;
        } else {
                log_warn("'%s' ready probe: '%s' is no address", pr->proc->cfg->name, host);
                return;
        }
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                log_warn("'%s' ready probe: socket: %s", pr->proc->cfg->name, strerror(errno));
                return;
        }
        if (connect(fd, (struct sockaddr *)&ss, slen) == 0) {
                close(fd);
                succeeded(pr, "tcp");
                return;
        }
        if (errno != EINPROGRESS) {
                log_debug("'%s' ready probe: connect: %s", pr->proc->cfg->name, strerror(errno));
                close(fd);
                return;
        }
        ev_io_set(&pr->conn, fd, EV_WRITE);
        ev_io_start(pr->loop, &pr->conn);
}

/* --- exec ------------------------------------------------------------------------------------ */

static void
child_unlink(struct probe_child *c)
{
        for (struct probe_child **pp = &children[(unsigned)c->pid % CHILD_BUCKETS]; *pp; pp = &(*pp)->next)
                if (*pp == c) {
                        *pp = c->next;
                        return;
                }
}

static void
exec_attempt(struct probe *pr)
{
        const struct cfg_proc *c = pr->proc->cfg;
        char *argv[] = { "/bin/sh", "-c", c->ready.arg, NULL };
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        sigset_t none, all;
        pid_t pid;
        int r;

        if (pr->child)
                return;         /* still running: one at a time */
        posix_spawn_file_actions_init(&fa);
        for (int i = 0; i < 3; i++)
                posix_spawn_file_actions_addopen(&fa, i, "/dev/null", i ? O_WRONLY : O_RDONLY, 0);
        if (c->directory)
                posix_spawn_file_actions_addchdir_np(&fa, c->directory);
        posix_spawnattr_init(&at);
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_setsigmask(&at, &none);
        posix_spawnattr_setsigdefault(&at, &all);
        /* its own session: a cancel kills all it started (kill -pgid) */
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
        /* the program's own environment (environment=, SUPERVISOR_*), as its worker sees it */
        char **envp = spawn_build_env(NULL, c, NULL);
        r = posix_spawn(&pid, argv[0], &fa, &at, argv, envp);
        strv_free(envp);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        if (r) {
                log_warn("'%s' ready probe: can't run /bin/sh: %s", c->name, strerror(r));
                return;
        }
        struct probe_child *ch = xcalloc(1, sizeof *ch);
        ch->pid = pid;
        ch->owner = pr;
        ch->next = children[(unsigned)pid % CHILD_BUCKETS];
        children[(unsigned)pid % CHILD_BUCKETS] = ch;
        pr->child = ch;
        log_debug("'%s' ready probe: exec pid %d", c->name, (int)pid);
}

bool
probe_reaped(pid_t pid, int status)
{
        struct probe_child *c = children[(unsigned)pid % CHILD_BUCKETS];

        while (c && c->pid != pid)
                c = c->next;
        if (!c)
                return false;
        child_unlink(c);
        struct probe *pr = c->owner;
        free(c);
        if (!pr)
                return true;    /* cancelled earlier: only reaping was left */
        pr->child = NULL;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                succeeded(pr, "exec");
        else
                log_debug("'%s' ready probe: exec status 0x%x, not ready yet", pr->proc->cfg->name,
                          (unsigned)status);
        return true;
}

/* --- http ------------------------------------------------------------------------------------ */

static void
http_done(void *arg, long status)
{
        struct probe *pr = arg;

        pr->http = NULL;
        if (status >= 200 && status < 300)
                succeeded(pr, "http");
        else
                log_debug("'%s' ready probe: GET answered %ld, not ready yet", pr->proc->cfg->name, status);
}

static void
http_attempt(struct probe *pr)
{
        const struct cfg_ready *r = &pr->proc->cfg->ready;

        if (pr->http)
                return;         /* still waiting for the answer */
        /* one GET at a time, with the whole ready_timeout to answer: a slow service is not cut off */
        pr->http = http_get_start(pr->loop, r->arg, r->timeout, http_done, pr);
}

/* --- the schedule ---------------------------------------------------------------------------- */

static void
on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct probe *pr = container_of(w, struct probe, tick);
        const struct cfg_proc *c = pr->proc->cfg;

        (void)loop;
        (void)revents;
        pr->attempts++;
        ev_timer_set(&pr->tick, c->ready.interval, 0.);
        ev_timer_start(pr->loop, &pr->tick);
        if (c->ready.kind == CFG_READY_TCP)
                tcp_attempt(pr);
        else if (c->ready.kind == CFG_READY_EXEC)
                exec_attempt(pr);
        else if (c->ready.kind == CFG_READY_HTTP)
                http_attempt(pr);
}

struct probe *
probe_new(struct ev_loop *loop, struct proc *p)
{
        struct probe *pr = xcalloc(1, sizeof *pr);

        pr->loop = loop;
        pr->proc = p;
        ev_timer_init(&pr->tick, on_tick, 0., 0.);
        ev_io_init(&pr->conn, on_conn, -1, EV_WRITE);
        return pr;
}

void
probe_start(struct probe *pr)
{
        probe_stop(pr);
        pr->attempts = 0;
        /* at once: a service that is up by its first probe is RUNNING without waiting an interval */
        ev_timer_set(&pr->tick, 0., 0.);
        ev_timer_start(pr->loop, &pr->tick);
}

void
probe_stop(struct probe *pr)
{
        if (!pr)
                return;
        ev_timer_stop(pr->loop, &pr->tick);
        conn_close(pr);
        http_get_cancel(pr->http);
        pr->http = NULL;
        if (pr->child) {
                /* cancelled: the command and what it started go; the reaper accounts for it */
                if (kill(-pr->child->pid, SIGKILL) < 0)
                        (void)kill(pr->child->pid, SIGKILL);
                pr->child->owner = NULL;
                pr->child = NULL;
        }
}

void
probe_free(struct probe *pr)
{
        if (!pr)
                return;
        probe_stop(pr);
        free(pr);
}
