/* SPDX-License-Identifier: MIT */
/* logfile — one append-only log file with supervisord's size rotation (file → file.1 → … →
 * file.N), reopen (SIGUSR2), truncation (clear), followers notified as it grows (tail -f without
 * polling), and the read/tail arithmetic of readLog / tailProcessLog (compat E.5).
 * Files that are not regular (/dev/stdout, FIFOs, ttys) are written but never rotated or
 * truncated. A failing write (ENOSPC, EROFS, deleted directory) never blocks or crashes: bytes are
 * counted as dropped, the incident is reported once to the owner (who logs it), and writing
 * resumes when it can. */
#ifndef CORRAL_LOGFILE_H
#define CORRAL_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct logfile;

enum logfile_change { LOGFILE_APPENDED, LOGFILE_TRUNCATED, LOGFILE_ROTATED };

/* A follower is embedded in its owner (e.g. an HTTP stream) and linked into the logfile. */
struct logfile_follower {
        struct logfile_follower *next, *prev;
        void (*on_change)(struct logfile_follower *f, enum logfile_change what);
};

/* Told of an incident (msg: "log file 'x': …; dropping output …", "… writing again, …") so that
 * the owner can log it; logfile itself never logs. Called from inside logfile_* calls: it must not
 * call back into the same logfile. */
typedef void logfile_report_fn(void *ctx, const char *msg);

/* Open (create, mode 0600 for AUTO names / 0644 otherwise as the caller says) for appending.
 * NULL with errno set on failure. Incidents are reported to nobody until logfile_set_report. */
struct logfile *logfile_open(const char *path, off_t maxbytes, int backups, mode_t mode);
/* Same, but never fails: a file that cannot be opened now is reported once (to fn, may be NULL),
 * its output is counted as dropped, and opening is retried (at most once a second) as output
 * comes. */
struct logfile *logfile_new(const char *path, off_t maxbytes, int backups, mode_t mode, logfile_report_fn *fn,
                            void *ctx);
/* logfile_new for a generated name (AUTO logs, often in /tmp, created by outlog with O_EXCL):
 * mode 0600, never opened through a symlink, so one planted under the name is refused. */
struct logfile *logfile_new_private(const char *path, off_t maxbytes, int backups, logfile_report_fn *fn,
                                    void *ctx);
void logfile_set_report(struct logfile *lf, logfile_report_fn *fn, void *ctx);
struct logfile *logfile_close(struct logfile *lf);     /* accepts NULL, returns NULL */

/* Append; rotates first when maxbytes would be reached. Returns bytes accepted (all of them, even
 * when some were dropped on a failing disk: the caller must never retry). */
size_t logfile_write(struct logfile *lf, const void *buf, size_t len);
int logfile_reopen(struct logfile *lf);                /* 0 or -errno */
/* supervisord opens a worker's log at every spawn: if the path no longer names the file we
 * hold (moved by logrotate's create, or deleted), open the path again; else keep the fd. 0 or -errno. */
int logfile_reopen_if_moved(struct logfile *lf);
int logfile_truncate(struct logfile *lf);              /* 0 or -errno */
const char *logfile_path(const struct logfile *lf);
int logfile_fd(const struct logfile *lf);              /* -1 while failed */
bool logfile_is_regular(const struct logfile *lf);
unsigned long long logfile_dropped(const struct logfile *lf);

void logfile_follow(struct logfile *lf, struct logfile_follower *f);
void logfile_unfollow(struct logfile_follower *f);     /* safe when not linked */

/* What a log read asks for: len bytes of the open file fd from start (fd -1 and len 0 when there
 * is nothing to read). The caller reads it now (logfile_span_read) or later, and closes fd. */
struct logfile_span {
        int fd;
        long start;
        size_t len;
};
/* readLog semantics on a path: 0, -EINVAL (BAD_ARGUMENTS), -ENOENT (NO_FILE), -EIO (FAILED). */
int logfile_read_span(const char *path, long offset, long length, struct logfile_span *ret);
/* tailProcessLog semantics: ret_offset = file size, ret_overflow. Missing file → empty span, 0, false. */
void logfile_tail_span(const char *path, long offset, long length, struct logfile_span *ret,
                       long *ret_offset, bool *ret_overflow);
/* Read the whole span into a malloc'd NUL-terminated buffer and close its fd: 0 or -EIO. */
int logfile_span_read(struct logfile_span *sp, char **ret, size_t *ret_len);

/* readLog semantics on a path. ret is malloc'd (NUL-terminated too). 0, -EINVAL (BAD_ARGUMENTS),
 * -ENOENT (NO_FILE), -EIO (FAILED). */
int logfile_read(const char *path, long offset, long length, char **ret, size_t *ret_len);
/* tailProcessLog semantics: ret data, ret_offset = file size, ret_overflow. Missing file → "",0,false. */
int logfile_tail(const char *path, long offset, long length, char **ret, size_t *ret_len,
                 long *ret_offset, bool *ret_overflow);

/* Pure arithmetic behind logfile_tail, for unit tests: given the file size, the requested
 * offset/length, returns the byte range [*ret_start, *ret_start + *ret_len) to read. */
void logfile_tail_range(long size, long offset, long length, long *ret_start, long *ret_len,
                        bool *ret_overflow);

#endif
