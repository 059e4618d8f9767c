/* SPDX-License-Identifier: MIT */
/* log — the daemon's own main log, in supervisord's line format:
 *   "YYYY-MM-DD HH:MM:SS,mmm LEVEL message"
 * Written to the [supervisord] logfile (rotated through logfile.h) and, in foreground mode, to
 * stderr as well. Never blocks the loop for long: the file is a local regular file opened
 * O_APPEND; stderr is written non-blocking and dropped on EAGAIN. */
#ifndef CORRAL_LOG_H
#define CORRAL_LOG_H

#include <stdbool.h>
#include <sys/types.h>

enum log_level {
        LOGL_CRIT,      /* CRIT */
        LOGL_ERROR,     /* ERRO */
        LOGL_WARN,      /* WARN */
        LOGL_INFO,      /* INFO */
        LOGL_DEBUG,     /* DEBG */
        LOGL_TRACE,     /* TRAC */
        LOGL_BLATHER,   /* BLAT */
        LOGL__COUNT
};

struct log_options {
        const char *path;       /* NULL: no file ("syslog" sends to syslog) */
        off_t maxbytes;         /* 0: never rotate */
        int backups;
        enum log_level level;
        bool echo_stdout;       /* foreground (-n) and not silent: every line to stdout too */
};

/* Parse "critical|error|warn|info|debug|trace|blather" (case-insensitive; supervisord also accepts
 * "crit", "erro", "warning", "debg", "trac", "blat"). 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *ret);

/* Before log_open, messages go to stderr only. 0 or -errno (the file could not be opened). */
int log_open(const struct log_options *opt);
void log_close(void);
int log_reopen(void);                   /* SIGUSR2 */
int log_clear(void);                    /* supervisor.clearLog: truncate */
const char *log_path(void);             /* NULL when there is no main log file */
struct logfile *log_logfile(void);      /* for followers (mainlogtail); NULL when none */
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_crit(...)    log_msg(LOGL_CRIT, __VA_ARGS__)
#define log_error(...)   log_msg(LOGL_ERROR, __VA_ARGS__)
#define log_warn(...)    log_msg(LOGL_WARN, __VA_ARGS__)
#define log_info(...)    log_msg(LOGL_INFO, __VA_ARGS__)
#define log_debug(...)   log_msg(LOGL_DEBUG, __VA_ARGS__)
#define log_trace(...)   log_msg(LOGL_TRACE, __VA_ARGS__)
#define log_blather(...) log_msg(LOGL_BLATHER, __VA_ARGS__)

#endif
