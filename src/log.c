/* SPDX-License-Identifier: MIT */
/* log — STUB: stderr only. Owned by the logging work (issue 3), which replaces this file. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

static enum log_level level = LOGL_INFO;
static const char *const names[LOGL__COUNT] = { "CRIT", "ERRO", "WARN", "INFO", "DEBG", "TRAC", "BLAT" };

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

int log_open(const struct log_options *opt) { level = opt->level; return 0; }
void log_close(void) {}
int log_reopen(void) { return 0; }
int log_clear(void) { return -ENOENT; }
const char *log_path(void) { return NULL; }
struct logfile *log_logfile(void) { return NULL; }
void log_set_level(enum log_level l) { level = l; }
bool log_enabled(enum log_level l) { return l <= level; }

void
log_msg(enum log_level l, const char *fmt, ...)
{
        if (l > level)
                return;
        struct timeval tv;
        gettimeofday(&tv, NULL);
        struct tm tm;
        localtime_r(&tv.tv_sec, &tm);
        char ts[32];
        strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
        fprintf(stderr, "%s,%03d %s ", ts, (int)(tv.tv_usec / 1000), names[l]);
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}
