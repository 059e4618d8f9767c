/* SPDX-License-Identifier: MIT */
/* logfile — STUB, replaced by the logging work (issue 3). */
#include "logfile.h"

#include <errno.h>
#include <stdlib.h>

struct logfile *logfile_open(const char *path, off_t maxbytes, int backups, mode_t mode)
{ (void)path; (void)maxbytes; (void)backups; (void)mode; errno = ENOSYS; return NULL; }
struct logfile *logfile_close(struct logfile *lf) { (void)lf; return NULL; }
size_t logfile_write(struct logfile *lf, const void *buf, size_t len) { (void)lf; (void)buf; return len; }
int logfile_reopen(struct logfile *lf) { (void)lf; return 0; }
int logfile_truncate(struct logfile *lf) { (void)lf; return 0; }
const char *logfile_path(const struct logfile *lf) { (void)lf; return ""; }
int logfile_fd(const struct logfile *lf) { (void)lf; return -1; }
bool logfile_is_regular(const struct logfile *lf) { (void)lf; return false; }
unsigned long long logfile_dropped(const struct logfile *lf) { (void)lf; return 0; }
void logfile_follow(struct logfile *lf, struct logfile_follower *f) { (void)lf; (void)f; }
void logfile_unfollow(struct logfile_follower *f) { (void)f; }
int logfile_read(const char *path, long offset, long length, char **ret, size_t *ret_len)
{ (void)path; (void)offset; (void)length; (void)ret; (void)ret_len; return -ENOENT; }
int logfile_tail(const char *path, long offset, long length, char **ret, size_t *ret_len, long *ret_offset, bool *ret_overflow)
{ (void)path; (void)offset; (void)length; *ret = calloc(1, 1); *ret_len = 0; *ret_offset = 0; *ret_overflow = false; return 0; }
void logfile_tail_range(long size, long offset, long length, long *ret_start, long *ret_len, bool *ret_overflow)
{ (void)size; (void)offset; (void)length; *ret_start = 0; *ret_len = 0; *ret_overflow = false; }
