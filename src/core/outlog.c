/* SPDX-License-Identifier: MIT */
/* outlog — a worker's stdio: stdout/stderr pipes read through libev into logfiles (and syslog),
 * the stdin pipe behind sendProcessStdin, AUTO log names and their cleanup. */
#include "core/outlog.h"

#include <dirent.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "core/log.h"
#include "core/logfile.h"
#include "shared/util.h"

#define READ_BUF        (256 * 1024)
/* A bigger pipe means fewer wakeups for chatty workers; the kernel may refuse (unprivileged
 * limits), which is harmless. */
#define PIPE_SIZE       (256 * 1024)
/* Fairness: at most this many reads per wakeup, then let other watchers run. */
#define READS_PER_WAKEUP 16
/* When the process exits: what it wrote is at most a pipe's worth; a grandchild that keeps
 * writing must not hold the loop, so stop after this many reads and go on in the watcher. */
#define READS_AT_EXIT   64
#define STDIN_QUEUE_MAX (1024 * 1024)
#define SYSLOG_LINE_MAX 2048

struct outchan {
        struct outlog *o;
        enum outlog_channel ch;
        const struct cfg_log *cfg;      /* NULL for stderr when redirected */
        char *path;                     /* NULL: NONE */
        mode_t mode;
        bool pipe;                      /* needs a pipe (a file or syslog to feed) */
        struct logfile *lf;
        int rfd;                        /* our read end, -1 when closed */
        ev_io io;
        int esc;                        /* strip_ansi state: 0 text, 1 after ESC, 2 inside */
        char *line;                     /* syslog: the partial last line */
        size_t line_len;
};

struct outlog {
        struct ev_loop *loop;
        const struct cfg_proc *cfg;
        bool strip_ansi;
        bool running;                   /* between outlog_started and outlog_exited */
        struct outchan chan[2];         /* stdout, stderr */
        int child_fds[3];               /* until outlog_started / outlog_abort */
        int in_fd;                      /* our write end of the child's stdin */
        bool in_epipe;                  /* the child closed its stdin */
        ev_io in_io;
        char *inq;                      /* bytes the stdin pipe did not take yet */
        size_t inq_off, inq_len, inq_cap;
};

static char readbuf[READ_BUF];
static char stripbuf[READ_BUF + 1];

static const char *
chan_name(enum outlog_channel ch)
{
        return ch == OUTLOG_STDOUT ? "stdout" : "stderr";
}

/* supervisord's stripEscapes: drop "ESC [" up to and including the first terminator. Kept as a
 * state across reads, so a sequence split between two reads is still removed. */
static size_t
strip_ansi(struct outchan *c, const char *in, size_t n, char *out)
{
        static const char term[] = "HfABCDRsuJKhlpm";
        size_t j = 0;
        for (size_t i = 0; i < n; i++) {
                char b = in[i];
                if (c->esc == 2) {
                        if (b && strchr(term, b))
                                c->esc = 0;
                        continue;
                }
                if (c->esc == 1) {
                        if (b == '[') {
                                c->esc = 2;
                                continue;
                        }
                        out[j++] = '\x1b';
                        c->esc = 0;
                }
                if (b == '\x1b')
                        c->esc = 1;
                else
                        out[j++] = b;
        }
        return j;
}

static void
syslog_flush(struct outchan *c)
{
        if (c->line_len)
                syslog(LOG_INFO, "%s %.*s", c->o->cfg->name, (int)c->line_len, c->line);
        c->line_len = 0;
}

/* supervisord sends each line as "<process name> <line>". */
static void
syslog_feed(struct outchan *c, const char *p, size_t n)
{
        if (!c->line)
                c->line = xmalloc(SYSLOG_LINE_MAX);
        for (size_t i = 0; i < n; i++) {
                if (p[i] == '\n') {
                        syslog_flush(c);
                        continue;
                }
                if (c->line_len == SYSLOG_LINE_MAX)
                        syslog_flush(c);
                c->line[c->line_len++] = p[i];
        }
}

static void
emit(struct outchan *c, const char *p, size_t n)
{
        if (c->o->strip_ansi) {
                n = strip_ansi(c, p, n, stripbuf);
                p = stripbuf;
        }
        if (c->lf)
                (void)logfile_write(c->lf, p, n);
        if (c->cfg && c->cfg->syslog)
                syslog_feed(c, p, n);
}

static void
chan_close(struct outchan *c)
{
        if (c->rfd < 0)
                return;
        ev_io_stop(c->o->loop, &c->io);
        close(c->rfd);
        c->rfd = -1;
        if (c->cfg && c->cfg->syslog)
                syslog_flush(c);
}

/* Read until EAGAIN, EOF (then close) or max_reads. */
static void
chan_drain(struct outchan *c, int max_reads)
{
        for (int i = 0; i < max_reads && c->rfd >= 0; i++) {
                ssize_t n = read(c->rfd, readbuf, sizeof readbuf);
                if (n > 0) {
                        emit(c, readbuf, (size_t)n);
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                chan_close(c);  /* EOF: every writer (child and grandchildren) is gone */
        }
}

static void
on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
        (void)loop;
        (void)revents;
        chan_drain(container_of(w, struct outchan, io), READS_PER_WAKEUP);
}

static void
stdin_close(struct outlog *o)
{
        if (o->in_fd >= 0) {
                ev_io_stop(o->loop, &o->in_io);
                close(o->in_fd);
        }
        o->in_fd = -1;
        free(o->inq);           /* idle processes keep no buffer */
        o->inq = NULL;
        o->inq_off = o->inq_len = o->inq_cap = 0;
}

/* Write queued stdin bytes; 0, or -EPIPE when the child closed its stdin. */
static int
stdin_flush(struct outlog *o)
{
        while (o->inq_off < o->inq_len) {
                ssize_t w = write(o->in_fd, o->inq + o->inq_off, o->inq_len - o->inq_off);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        o->in_epipe = true;
                        stdin_close(o);
                        return -EPIPE;
                }
                o->inq_off += (size_t)w;
        }
        if (o->inq_off == o->inq_len) {
                free(o->inq);
                o->inq = NULL;
                o->inq_off = o->inq_len = o->inq_cap = 0;
                ev_io_stop(o->loop, &o->in_io);
        } else if (!ev_is_active(&o->in_io)) {
                ev_io_start(o->loop, &o->in_io);
        }
        return 0;
}

static void
on_stdin_writable(struct ev_loop *loop, ev_io *w, int revents)
{
        (void)loop;
        (void)revents;
        (void)stdin_flush(container_of(w, struct outlog, in_io));
}

/* <childlogdir>/<name>-<channel>---<identifier>-<8 random chars>.log, created empty. */
static char *
auto_name(const struct outlog_env *env, const char *name, enum outlog_channel ch)
{
        static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
        const char *dir = env && env->childlogdir ? env->childlogdir : "/tmp";
        const char *ident = env && env->identifier ? env->identifier : "supervisor";
        for (;;) {
                unsigned char rnd[8];
                if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
                        for (size_t i = 0; i < sizeof rnd; i++)
                                rnd[i] = (unsigned char)rand();
                char r[9];
                for (size_t i = 0; i < 8; i++)
                        r[i] = alphabet[rnd[i] % (sizeof alphabet - 1)];
                r[8] = '\0';
                char *path = xasprintf("%s/%s-%s---%s-%s.log", dir, name, chan_name(ch), ident, r);
                /* Created now, empty and exclusively, as supervisord's mkstemp does: a process
                 * that never ran has an (empty) log to read, and nobody else owns the name. */
                int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd >= 0 || errno != EEXIST) {
                        if (fd >= 0)
                                close(fd);
                        return path;    /* or made at the first spawn, once childlogdir exists */
                }
                free(path);
        }
}

static void
chan_init(struct outlog *o, struct outchan *c, enum outlog_channel ch, const struct cfg_log *cfg,
          const struct outlog_env *env)
{
        c->o = o;
        c->ch = ch;
        c->cfg = cfg;
        c->rfd = -1;
        ev_io_init(&c->io, on_readable, -1, EV_READ);
        if (!cfg)
                return;
        if (cfg->kind == CFG_LOG_AUTO) {
                c->path = auto_name(env, o->cfg->name, ch);
                c->mode = 0600;
        } else if (cfg->kind == CFG_LOG_PATH && cfg->path) {
                c->path = xstrdup(cfg->path);
                c->mode = 0666;         /* the umask applies, as for supervisord's open() */
        }
        c->pipe = c->path || cfg->syslog;
}

struct outlog *
outlog_new(struct ev_loop *loop, const struct cfg_proc *cfg, const struct outlog_env *env)
{
        struct outlog *o = xcalloc(1, sizeof *o);
        o->loop = loop;
        o->cfg = cfg;
        o->strip_ansi = env && env->strip_ansi;
        o->in_fd = -1;
        for (int i = 0; i < 3; i++)
                o->child_fds[i] = -1;
        ev_io_init(&o->in_io, on_stdin_writable, -1, EV_WRITE);
        chan_init(o, &o->chan[0], OUTLOG_STDOUT, &cfg->out, env);
        chan_init(o, &o->chan[1], OUTLOG_STDERR, cfg->redirect_stderr ? NULL : &cfg->err, env);
        return o;
}

static void
close_child_fds(struct outlog *o)
{
        for (int i = 0; i < 3; i++) {
                int fd = o->child_fds[i];
                if (fd < 0)
                        continue;
                for (int j = i; j < 3; j++)     /* stdout and stderr may share one fd */
                        if (o->child_fds[j] == fd)
                                o->child_fds[j] = -1;
                close(fd);
        }
}

struct outlog *
outlog_free(struct outlog *o)
{
        if (!o)
                return NULL;
        outlog_abort(o);
        for (int i = 0; i < 2; i++) {
                struct outchan *c = &o->chan[i];
                c->lf = logfile_close(c->lf);
                free(c->path);
                free(c->line);
        }
        free(o->inq);
        free(o);
        return NULL;
}

/* A capture file's incidents (full disk, deleted directory) go to the main log. */
static void
chan_report(void *ctx, const char *msg)
{
        (void)ctx;
        log_warn("%s", msg);
}

static void
chan_open_log(struct outchan *c)
{
        /* Never NULL: a file that cannot be opened yet (missing directory, read-only, full disk)
         * is retried as output comes, with its dropped bytes counted and reported once. */
        if (c->path && !c->lf)
                c->lf = c->cfg->kind == CFG_LOG_AUTO
                        ? logfile_new_private(c->path, c->cfg->maxbytes, c->cfg->backups, chan_report, NULL)
                        : logfile_new(c->path, c->cfg->maxbytes, c->cfg->backups, c->mode, chan_report, NULL);
        else if (c->lf)
                (void)logfile_reopen_if_moved(c->lf);   /* `mv x.log x.log.1; restart x` */
}

/* pipe2 with both ends O_CLOEXEC and only ours (index ours) non-blocking. 0 or -errno. */
static int
make_pipe(int p[2], int ours)
{
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        int r = fd_set_nonblock(p[ours]);
        if (r < 0) {
                close(p[0]);
                close(p[1]);
                return r;
        }
        return 0;
}

static int
chan_prepare(struct outchan *c, int *ret_child_fd)
{
        if (!c->pipe) {
                int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                *ret_child_fd = fd;
                return 0;
        }
        int p[2];
        int r = make_pipe(p, 0);
        if (r < 0)
                return r;
        (void)fcntl(p[0], F_SETPIPE_SZ, PIPE_SIZE);
        c->rfd = p[0];
        c->esc = 0;
        *ret_child_fd = p[1];
        return 0;
}

int
outlog_prepare(struct outlog *o, int ret_child_fds[3])
{
        /* A grandchild of the previous spawn may still hold the old pipes: take what is there and
         * let go of them, each spawn gets fresh pipes. */
        outlog_abort(o);
        for (int i = 0; i < 2; i++)
                chan_open_log(&o->chan[i]);

        int p[2], r = make_pipe(p, 1);
        if (r < 0)
                goto fail;
        o->child_fds[0] = p[0];
        o->in_fd = p[1];
        o->in_epipe = false;
        r = chan_prepare(&o->chan[0], &o->child_fds[1]);
        if (r < 0)
                goto fail;
        if (o->cfg->redirect_stderr)
                o->child_fds[2] = o->child_fds[1];
        else if ((r = chan_prepare(&o->chan[1], &o->child_fds[2])) < 0)
                goto fail;
        for (int i = 0; i < 3; i++)
                ret_child_fds[i] = o->child_fds[i];
        return 0;
fail:
        outlog_abort(o);
        return r;
}

void
outlog_started(struct outlog *o, pid_t pid)
{
        (void)pid;
        close_child_fds(o);
        for (int i = 0; i < 2; i++) {
                struct outchan *c = &o->chan[i];
                if (c->rfd < 0)
                        continue;
                ev_io_set(&c->io, c->rfd, EV_READ);
                ev_io_start(o->loop, &c->io);
        }
        ev_io_set(&o->in_io, o->in_fd, EV_WRITE);
        o->running = true;
}

void
outlog_abort(struct outlog *o)
{
        close_child_fds(o);
        for (int i = 0; i < 2; i++) {
                chan_drain(&o->chan[i], READS_AT_EXIT);
                chan_close(&o->chan[i]);
        }
        stdin_close(o);
        o->running = false;
}

void
outlog_exited(struct outlog *o)
{
        for (int i = 0; i < 2; i++)
                chan_drain(&o->chan[i], READS_AT_EXIT);
        stdin_close(o);
        o->running = false;
}

int
outlog_write_stdin(struct outlog *o, const char *data, size_t len)
{
        if (!o->running)
                return -ENOTCONN;
        if (o->in_epipe || o->in_fd < 0)
                return -EPIPE;
        size_t queued = o->inq_len - o->inq_off;
        if (queued + len > STDIN_QUEUE_MAX)
                return -ENOBUFS;
        if (o->inq_off > 0 && o->inq_len + len > o->inq_cap) {
                memmove(o->inq, o->inq + o->inq_off, queued);
                o->inq_len = queued;
                o->inq_off = 0;
        }
        if (o->inq_len + len > o->inq_cap) {
                o->inq_cap = o->inq_len + len;
                o->inq = xrealloc(o->inq, o->inq_cap);
        }
        memcpy(o->inq + o->inq_len, data, len);
        o->inq_len += len;
        return stdin_flush(o);
}

const char *
outlog_path(const struct outlog *o, enum outlog_channel ch)
{
        const char *p = o->chan[ch == OUTLOG_STDOUT ? 0 : 1].path;
        return p ? p : "";
}

struct logfile *
outlog_logfile(struct outlog *o, enum outlog_channel ch)
{
        return o->chan[ch == OUTLOG_STDOUT ? 0 : 1].lf;
}

int
outlog_reopen(struct outlog *o)
{
        int ret = 0;
        for (int i = 0; i < 2; i++) {
                struct outchan *c = &o->chan[i];
                if (!c->lf)
                        continue;
                int r = logfile_reopen(c->lf);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

int
outlog_clear(struct outlog *o)
{
        int ret = 0;
        for (int i = 0; i < 2; i++) {
                struct outchan *c = &o->chan[i];
                if (!c->lf)
                        continue;
                int r = logfile_truncate(c->lf);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

/* supervisord's pattern: r'.+?---<identifier>-\S+\.log\.{0,1}\d{0,4}', matched at the start. */
static bool
is_auto_name(const char *name, const char *marker)
{
        const char *p = strstr(name + (name[0] ? 1 : 0), marker);
        if (!p)
                return false;
        p += strlen(marker);
        for (const char *q = p + 1; *q; q++) {
                if (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\n')
                        return false;
                if (!strncmp(q, ".log", 4))
                        return true;
        }
        return false;
}

void
outlog_cleanup_auto(const char *childlogdir, const char *identifier)
{
        DIR *d = opendir(childlogdir);
        if (!d) {
                log_warn("cannot clean up old AUTO logs in '%s': %s, ignoring", childlogdir,
                         strerror(errno));
                return;
        }
        char *marker = xasprintf("---%s-", identifier);
        struct dirent *e;
        while ((e = readdir(d))) {
                if (!is_auto_name(e->d_name, marker))
                        continue;
                if (unlinkat(dirfd(d), e->d_name, 0) < 0)
                        log_warn("cannot remove old log '%s/%s': %s, ignoring", childlogdir,
                                 e->d_name, strerror(errno));
        }
        free(marker);
        closedir(d);
}
