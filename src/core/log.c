/* SPDX-License-Identifier: MIT */
/* log — the daemon's main log: supervisord's line format to a rotated file (or syslog), echoed to
 * stderr in the foreground without ever blocking. */
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

static enum log_level level = LOGL_INFO;
static struct logfile *file;
static char *file_path;                 /* wanted path, even while it cannot be opened */
static off_t file_maxbytes;
static int file_backups;
static bool to_syslog;
static bool echo;
static int echo_fd = -1;                /* our own non-blocking description of stderr */
static double file_retry;               /* monotonic, while file cannot be opened */
static bool opened;                     /* log_open was called */
static bool echo_sock;                  /* stderr is a socket: send(MSG_DONTWAIT) */
static bool in_log;                     /* re-entry (a failing main log reporting itself) */

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

/* stderr gets its own open file description with O_NONBLOCK, so that a stuck terminal or pipe
 * drops lines instead of stalling the loop, without changing the flags of the description we
 * share with our parent. A socket cannot be reopened this way: then fd 2 is used as it is. */
static void
open_echo(void)
{
        if (echo_fd >= 0)
                return;
        echo_fd = open("/proc/self/fd/2", O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (echo_fd < 0)
                echo_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        struct stat st;
        echo_sock = echo_fd >= 0 && fstat(echo_fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

int
log_open(const struct log_options *opt)
{
        log_close();
        opened = true;
        level = opt->level;
        echo = opt->echo_stderr;
        if (echo)
                open_echo();
        if (!opt->path)
                return 0;
        if (!strcmp(opt->path, "syslog")) {
                openlog("supervisord", LOG_PID | LOG_NDELAY, LOG_DAEMON);
                to_syslog = true;
                return 0;
        }
        file_path = xstrdup(opt->path);
        file_maxbytes = opt->maxbytes;
        file_backups = opt->backups;
        file = logfile_open(file_path, file_maxbytes, file_backups, 0666);
        return file ? 0 : -errno;
}

void
log_close(void)
{
        file = logfile_close(file);
        free(file_path);
        file_path = NULL;
        if (to_syslog)
                closelog();
        to_syslog = false;
        if (echo_fd >= 0)
                close(echo_fd);
        echo_fd = -1;
        opened = false;
}

int
log_reopen(void)
{
        if (file)
                return logfile_reopen(file);
        if (!file_path)
                return 0;
        file = logfile_open(file_path, file_maxbytes, file_backups, 0666);
        return file ? 0 : -errno;
}

int
log_clear(void)
{
        if (!file_path)
                return -ENOENT;
        if (!file)
                return log_reopen();
        return logfile_truncate(file);
}

const char *
log_path(void)
{
        return file_path;
}

struct logfile *
log_logfile(void)
{
        return file;
}

void
log_set_level(enum log_level l)
{
        level = l;
}

bool
log_enabled(enum log_level l)
{
        return l <= level;
}

static void
write_echo(const char *s, size_t n)
{
        int fd = echo_fd >= 0 ? echo_fd : STDERR_FILENO;
        while (n > 0) {
                ssize_t w = echo_sock && fd == echo_fd ? send(fd, s, n, MSG_DONTWAIT | MSG_NOSIGNAL)
                                                       : write(fd, s, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return;         /* EAGAIN and the rest: dropped */
                s += w;
                n -= (size_t)w;
        }
}

void
log_msg(enum log_level l, const char *fmt, ...)
{
        if (l > level || l < 0 || l >= LOGL__COUNT)
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

        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(stack + n, sizeof stack - n, fmt, ap);
        va_end(ap);
        char *line = stack;
        if (m < 0)
                m = 0;
        if ((size_t)m + 2 > sizeof stack - n) {
                line = xmalloc(n + (size_t)m + 2);
                memcpy(line, stack, n);
                va_start(ap, fmt);
                vsnprintf(line + n, (size_t)m + 1, fmt, ap);
                va_end(ap);
        }
        n += (size_t)m;
        line[n++] = '\n';

        /* stderr: before log_open, in the foreground, and when the main log reports its own
         * failure (it cannot write that into itself). */
        if (!opened || echo || in_log)
                write_echo(line, n);
        if (!in_log) {
                in_log = true;
                if (!file && file_path && time_monotonic() >= file_retry) {
                        /* The main log could not be opened: try again once a second. */
                        file_retry = time_monotonic() + 1.0;
                        file = logfile_open(file_path, file_maxbytes, file_backups, 0666);
                }
                if (file)
                        (void)logfile_write(file, line, n);
                if (to_syslog)
                        syslog(syslog_prio[l], "%.*s", (int)(n - prefix - 1), line + prefix);
                in_log = false;
        }
        if (line != stack)
                free(line);
        errno = saved_errno;
}
