/* SPDX-License-Identifier: MIT */
/* util — small pure helpers shared by the daemon and the client: allocation, fd flags, time. */
#ifndef CORRAL_UTIL_H
#define CORRAL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation that cannot fail: on OOM the process aborts with a message (a supervisor that
 * cannot allocate a few bytes cannot do its job safely either). */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* NULL-terminated string vectors. */
size_t strv_len(char *const *v);
char **strv_dup(char *const *v);
void strv_free(char **v);
bool strv_equal(char *const *a, char *const *b);
/* qsort/bsearch comparator for an array of strings (char * or const char *). */
int cmp_str(const void *a, const void *b);
/* Equal strings, or both NULL. */
bool str_eq(const char *a, const char *b);
/* Zero a secret (a password) before freeing it. Accepts NULL. */
void free_secret(char *s);

/* fd flags: 0 or -errno. */
int fd_set_cloexec(int fd);
int fd_set_nonblock(int fd);

/* Time. */
double time_monotonic(void);   /* seconds, CLOCK_MONOTONIC */
double time_wall(void);        /* seconds since the epoch, CLOCK_REALTIME */

/* Strict number parsing: whole string, no overflow. 0 or -EINVAL/-ERANGE. */
int parse_long(const char *s, long *ret);

#endif
