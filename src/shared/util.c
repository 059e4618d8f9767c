/* SPDX-License-Identifier: MIT */
/* util — small pure helpers shared by the daemon and the client. */
#include "shared/util.h"
#include "shared/analyzer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
oom(void)
{
        static const char msg[] = "corral: out of memory\n";
        (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
        abort();
}

void *
xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
        void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
        if (!p)
                oom();
        return p;
}

void *
xrealloc(void *p, size_t n)
{
        p = realloc(p, n ? n : 1);
        if (!p)
                oom();
        return p;
}

char *
xstrdup(const char *s)
{
        char *d = strdup(s);
        if (!d)
                oom();
        return d;
}

char *
xstrndup(const char *s, size_t n)
{
        char *d = strndup(s, n);
        if (!d)
                oom();
        return d;
}

char *
xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *s;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                oom();
        return s;
}

size_t
strv_len(char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

/* False positive: gcc 12's analyzer keeps one binding for d[i] at a symbolic i, so the second
 * xstrdup "overwrites" the first and it reports that one as leaked; each d[i] is a distinct slot
 * that strv_free() releases. */
GCC_ANALYZER_IGNORE("-Wanalyzer-malloc-leak")
char **
strv_dup(char *const *v)
{
        size_t n = strv_len(v);
        char **d = xcalloc(n + 1, sizeof *d);
        for (size_t i = 0; i < n; i++)
                d[i] = xstrdup(v[i]);
        return d;
}
GCC_ANALYZER_END

void
strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

bool
strv_equal(char *const *a, char *const *b)
{
        size_t na = strv_len(a), nb = strv_len(b);
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++)
                if (strcmp(a[i], b[i]) != 0)
                        return false;
        return true;
}

int
cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool
str_eq(const char *a, const char *b)
{
        return a == b || (a && b && !strcmp(a, b));
}

void
free_secret(char *s)
{
        if (s)
                explicit_bzero(s, strlen(s));
        free(s);
}

int
fd_set_cloexec(int fd)
{
        int fl = fcntl(fd, F_GETFD);
        if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
                return -errno;
        return 0;
}

int
fd_set_nonblock(int fd)
{
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
                return -errno;
        return 0;
}

static double
clock_seconds(clockid_t id)
{
        struct timespec ts;
        clock_gettime(id, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
time_monotonic(void)
{
        return clock_seconds(CLOCK_MONOTONIC);
}

double
time_wall(void)
{
        return clock_seconds(CLOCK_REALTIME);
}

int
parse_long(const char *s, long *ret)
{
        char *end;
        if (!s || !*s)
                return -EINVAL;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (*end != '\0' || end == s)
                return -EINVAL;
        *ret = v;
        return 0;
}
