/* SPDX-License-Identifier: MIT */
/* log — the daemon's main log: supervisord's line format to a rotated file (or syslog), echoed to
 * stdout in the foreground without ever blocking. It sits above logfile.c (which never logs): the
 * main log file's own incidents come back through on_incident and are said once the file call is
 * over. */
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/logfile.h"
#include "shared/util.h"

/* Incidents of the main log's own file, held until the logfile call that found them returns
 * (they cannot be written into the file that is failing; see flush_incidents). */
#define MAX_INCIDENTS 4

/* A standard stream, written without ever blocking. */
struct echo {
        int fd;                         /* our own non-blocking description of it, or -1 */
        bool sock;                      /* a socket (journald): send(MSG_DONTWAIT) */
};

static struct {
        enum log_level level;
        struct logfile *file;
        char *file_path;                /* wanted path, even while it cannot be opened */
        off_t file_maxbytes;
        int file_backups;
        bool to_syslog;
        bool echo;                      /* foreground: every line to stdout, as supervisord -n */
        struct echo out, err;           /* stdout (the echo), stderr (before log_open, incidents) */
        double file_retry;              /* monotonic, while file cannot be opened */
        bool opened;                    /* log_open was called */
        char *incident[MAX_INCIDENTS];
        size_t nincident;
} S = { .level = LOGL_INFO, .out = { -1, false }, .err = { -1, false } };

static const char *const names[LOGL__COUNT] = { "CRIT", "ERRO", "WARN", "INFO", "DEBG", "TRAC", "BLAT" };
static const int syslog_prio[LOGL__COUNT] = { LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG,
                                              LOG_DEBUG, LOG_DEBUG };

int
log_level_parse(const char *s, enum log_level *ret)
{
        static const char *const full[LOGL__COUNT] = { "critical", "error", "warn", "info", "debug", "trace", "blather" };
        for (int i = 0; i < LOGL__COUNT; i++)
                if (!strcasecmp(s, full[i]) || !strcasecmp(s, names[i])) {
                        *ret = (enum log_level)i;
                        return 0;
                }
        if (!strcasecmp(s, "crit")) { *ret = LOGL_CRIT; return 0; }
        if (!strcasecmp(s, "warning")) { *ret = LOGL_WARN; return 0; }
        return -EINVAL;
}

/* A standard stream gets its own open file description with O_NONBLOCK, so that a stuck
 * terminal or pipe drops lines instead of stalling the loop, without changing the flags of the
 * description we share with our parent. A socket cannot be reopened this way: then the fd is used
 * as it is. */
static void
open_echo(struct echo *e, int std_fd)
{
        if (e->fd >= 0)
                return;
        char path[32];
        snprintf(path, sizeof path, "/proc/self/fd/%d", std_fd);
        e->fd = open(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (e->fd < 0)
                e->fd = fcntl(std_fd, F_DUPFD_CLOEXEC, 3);
        struct stat st;
        e->sock = e->fd >= 0 && fstat(e->fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

static void
close_echo(struct echo *e)
{
        if (e->fd >= 0)
                close(e->fd);
        e->fd = -1;
}

/* The main log file reports its incidents here, from inside a logfile_* call: keep them for
 * flush_incidents, which runs once that call has returned. */
static void
on_incident(void *ctx, const char *msg)
{
        (void)ctx;
        if (S.nincident < MAX_INCIDENTS)
                S.incident[S.nincident++] = xstrdup(msg);
}

static void
open_file(void)
{
        S.file = logfile_open(S.file_path, S.file_maxbytes, S.file_backups, 0666);
        if (S.file)
                logfile_set_report(S.file, on_incident, NULL);
}

static void emit(enum log_level l, bool echo_only, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

static void __attribute__((format(printf, 3, 4)))
emitf(enum log_level l, bool echo_only, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        emit(l, echo_only, fmt, ap);
        va_end(ap);
}

/* Say what the main log file reported. From log_msg (the file just failed under a line) they go
 * to stderr only; from a reopen or clear through the ordinary path. */
static void
flush_incidents(bool echo_only)
{
        while (S.nincident) {
                char *msg = S.incident[0];
                S.nincident--;
                memmove(S.incident, S.incident + 1, S.nincident * sizeof *S.incident);
                emitf(LOGL_WARN, echo_only, "%s", msg);
                free(msg);
        }
}

int
log_open(const struct log_options *opt)
{
        log_close();
        S.opened = true;
        S.level = opt->level;
        S.echo = opt->echo_stdout;
        if (S.echo)
                open_echo(&S.out, STDOUT_FILENO);
        open_echo(&S.err, STDERR_FILENO);
        if (!opt->path)
                return 0;
        if (!strcmp(opt->path, "syslog")) {
                openlog("supervisord", LOG_PID | LOG_NDELAY, LOG_DAEMON);
                S.to_syslog = true;
                return 0;
        }
        S.file_path = xstrdup(opt->path);
        S.file_maxbytes = opt->maxbytes;
        S.file_backups = opt->backups;
        open_file();
        return S.file ? 0 : -errno;
}

void
log_close(void)
{
        S.file = logfile_close(S.file);
        free(S.file_path);
        S.file_path = NULL;
        if (S.to_syslog)
                closelog();
        S.to_syslog = false;
        close_echo(&S.out);
        close_echo(&S.err);
        S.opened = false;
        while (S.nincident)
                free(S.incident[--S.nincident]);
}

int
log_reopen(void)
{
        int r = 0;
        if (S.file) {
                r = logfile_reopen(S.file);
        } else if (S.file_path) {
                open_file();
                r = S.file ? 0 : -errno;
        }
        flush_incidents(false);
        return r;
}

int
log_clear(void)
{
        if (!S.file_path)
                return -ENOENT;
        if (!S.file)
                return log_reopen();
        int r = logfile_truncate(S.file);
        flush_incidents(false);
        return r;
}

const char *
log_path(void)
{
        return S.file_path;
}

struct logfile *
log_logfile(void)
{
        return S.file;
}

void
log_set_level(enum log_level l)
{
        S.level = l;
}

bool
log_enabled(enum log_level l)
{
        return l <= S.level;
}

static void
write_echo(const struct echo *e, int std_fd, const char *s, size_t n)
{
        int fd = e->fd >= 0 ? e->fd : std_fd;
        while (n > 0) {
                ssize_t w = e->sock && fd == e->fd ? send(fd, s, n, MSG_DONTWAIT | MSG_NOSIGNAL)
                                                   : write(fd, s, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return;         /* EAGAIN and the rest: dropped */
                s += w;
                n -= (size_t)w;
        }
}

/* One line to the sinks; echo_only: to the terminal alone (the main log file reporting itself). */
static void
emit(enum log_level l, bool echo_only, const char *fmt, va_list ap)
{
        if (l > S.level || l < 0 || l >= LOGL__COUNT)
                return;
        int saved_errno = errno;

        struct timeval tv;
        gettimeofday(&tv, NULL);
        struct tm tm;
        localtime_r(&tv.tv_sec, &tm);
        char stack[512];
        size_t n = strftime(stack, sizeof stack, "%Y-%m-%d %H:%M:%S", &tm);
        n += (size_t)snprintf(stack + n, sizeof stack - n, ",%03d %s ", (int)(tv.tv_usec / 1000),
                              names[l]);
        size_t prefix = n;

        va_list aq;
        va_copy(aq, ap);
        int m = vsnprintf(stack + n, sizeof stack - n, fmt, ap);
        char *line = stack;
        if (m < 0)
                m = 0;
        if ((size_t)m + 2 > sizeof stack - n) {
                line = xmalloc(n + (size_t)m + 2);
                memcpy(line, stack, n);
                vsnprintf(line + n, (size_t)m + 1, fmt, aq);
        }
        va_end(aq);
        n += (size_t)m;
        line[n++] = '\n';

        /* stdout in the foreground (supervisord -n echoes there); stderr before log_open and
         * when the main log reports its own failure (it cannot write that into itself). */
        if (S.opened && S.echo)
                write_echo(&S.out, STDOUT_FILENO, line, n);
        else if (!S.opened || echo_only)
                write_echo(&S.err, STDERR_FILENO, line, n);
        if (!echo_only) {
                if (!S.file && S.file_path && time_monotonic() >= S.file_retry) {
                        /* The main log could not be opened: try again once a second. */
                        S.file_retry = time_monotonic() + 1.0;
                        open_file();
                }
                if (S.file)
                        (void)logfile_write(S.file, line, n);
                if (S.to_syslog)
                        syslog(syslog_prio[l], "%.*s", (int)(n - prefix - 1), line + prefix);
        }
        if (line != stack)
                free(line);
        flush_incidents(true);
        errno = saved_errno;
}

void
log_msg(enum log_level l, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        emit(l, false, fmt, ap);
        va_end(ap);
}
