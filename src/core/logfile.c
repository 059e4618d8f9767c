/* SPDX-License-Identifier: MIT */
/* logfile — one append-only log file: size rotation, reopen, truncation, followers, fault
 * tolerance, and the readLog/tailProcessLog arithmetic. */
#include "core/logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/util.h"

/* While failing, try to open/write again at most this often (a failing open costs a syscall). */
#define RETRY_INTERVAL 1.0
/* How often to check that the file we write still has a name (deleted file or directory). */
#define LINK_CHECK_INTERVAL 1.0

struct logfile {
        char *path;
        int fd;                         /* -1 while failed */
        off_t size;                     /* bytes in the current file, as we wrote them */
        off_t maxbytes;                 /* 0: never rotate */
        int backups;
        mode_t mode;
        bool regular;                   /* a rotatable regular file */
        bool private_name;              /* generated (AUTO): never through a symlink */
        bool sock;                      /* a socket (journald's stdout): send() non-blocking */
        bool failing;                   /* inside an incident (reported once) */
        unsigned long long dropped;     /* total bytes dropped */
        unsigned long long incident_dropped;
        double next_retry;              /* monotonic: next open attempt while fd < 0 */
        double next_link_check;         /* monotonic */
        struct logfile_follower head;   /* circular list sentinel */
        logfile_report_fn *report;      /* who hears of incidents; NULL: nobody */
        void *report_ctx;
};

static void
notify(struct logfile *lf, enum logfile_change what)
{
        struct logfile_follower *f = lf->head.next, *next;
        for (; f != &lf->head; f = next) {
                next = f->next;         /* the callback may unlink itself */
                f->on_change(f, what);
        }
}

static bool
path_is_special(const char *path)
{
        return !strncmp(path, "/dev/", 5) || !strncmp(path, "/proc/", 6);
}

/* The fd a name like /dev/stdout, /dev/fd/2 or /proc/self/fd/1 stands for; -1 for other paths. */
static int
std_fd_of(const char *path)
{
        if (!strcmp(path, "/dev/stdout"))
                return STDOUT_FILENO;
        if (!strcmp(path, "/dev/stderr"))
                return STDERR_FILENO;
        const char *n = NULL;
        if (!strncmp(path, "/dev/fd/", 8))
                n = path + 8;
        else if (!strncmp(path, "/proc/self/fd/", 14))
                n = path + 14;
        long v;
        if (n && parse_long(n, &v) == 0 && v >= 0 && v < 1024)
                return (int)v;
        return -1;
}

/* Open lf->path for appending; on success fd and size are set. 0 or -errno. */
static int
open_file(struct logfile *lf)
{
        /* O_NONBLOCK: a FIFO without a reader fails with ENXIO instead of blocking the loop, and a
         * pipe or tty that is full drops instead of stalling. No effect on regular files. */
        int flags = O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
        /* A generated name (AUTO, often in /tmp; its owner made it with O_EXCL) is never
         * followed through a symlink planted in its place. */
        if (lf->private_name)
                flags |= O_NOFOLLOW;
        int fd = open(lf->path, flags, lf->mode);
        if (fd < 0 && errno == ENXIO && std_fd_of(lf->path) >= 0) {
                /* /dev/stdout is a socket (systemd's journal stream) and cannot be opened again:
                 * share our own fd instead; writes then use send(MSG_DONTWAIT). */
                fd = fcntl(std_fd_of(lf->path), F_DUPFD_CLOEXEC, 3);
                if (fd < 0)
                        errno = ENXIO;
        }
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        lf->fd = fd;
        lf->regular = S_ISREG(st.st_mode) && !path_is_special(lf->path);
        lf->sock = S_ISSOCK(st.st_mode);
        lf->size = lf->regular ? st.st_size : 0;
        return 0;
}

static void
close_file(struct logfile *lf)
{
        if (lf->fd >= 0)
                close(lf->fd);
        lf->fd = -1;
}

/* Incidents go to the owner's report function: logfile never logs (the main log is a logfile).
 * msg is malloc'd and freed here. */
static void
report(struct logfile *lf, char *msg)
{
        if (lf->report)
                lf->report(lf->report_ctx, msg);
        free(msg);
}

/* An incident starts: say so once. */
static void
fail(struct logfile *lf, int err, const char *what)
{
        bool first = !lf->failing;
        lf->failing = true;
        lf->next_retry = time_monotonic() + RETRY_INTERVAL;
        if (first && lf->report)
                report(lf, xasprintf("log file '%s': %s: %s; dropping output until it can be written again",
                                     lf->path, what, strerror(err)));
}

static void
recovered(struct logfile *lf)
{
        bool was = lf->failing;
        unsigned long long n = lf->incident_dropped;
        lf->failing = false;
        lf->incident_dropped = 0;
        if (was && lf->report)
                report(lf, xasprintf("log file '%s': writing again, %llu bytes were dropped", lf->path, n));
}

static void
drop(struct logfile *lf, size_t n)
{
        lf->dropped += n;
        lf->incident_dropped += n;
}

static struct logfile *
alloc(const char *path, off_t maxbytes, int backups, mode_t mode)
{
        struct logfile *lf = xcalloc(1, sizeof *lf);
        lf->path = xstrdup(path);
        lf->fd = -1;
        lf->maxbytes = maxbytes > 0 ? maxbytes : 0;
        lf->backups = backups > 0 ? backups : 0;
        lf->mode = mode;
        lf->head.next = lf->head.prev = &lf->head;
        lf->next_link_check = time_monotonic() + LINK_CHECK_INTERVAL;
        return lf;
}

struct logfile *
logfile_open(const char *path, off_t maxbytes, int backups, mode_t mode)
{
        struct logfile *lf = alloc(path, maxbytes, backups, mode);
        int r = open_file(lf);
        if (r < 0) {
                free(lf->path);
                free(lf);
                errno = -r;
                return NULL;
        }
        return lf;
}

static struct logfile *
new_retrying(struct logfile *lf, logfile_report_fn *fn, void *ctx)
{
        logfile_set_report(lf, fn, ctx);
        int r = open_file(lf);
        if (r < 0)
                fail(lf, -r, "cannot open");
        return lf;
}

struct logfile *
logfile_new(const char *path, off_t maxbytes, int backups, mode_t mode, logfile_report_fn *fn, void *ctx)
{
        return new_retrying(alloc(path, maxbytes, backups, mode), fn, ctx);
}

struct logfile *
logfile_new_private(const char *path, off_t maxbytes, int backups, logfile_report_fn *fn, void *ctx)
{
        struct logfile *lf = alloc(path, maxbytes, backups, 0600);
        lf->private_name = true;
        return new_retrying(lf, fn, ctx);
}

void
logfile_set_report(struct logfile *lf, logfile_report_fn *fn, void *ctx)
{
        lf->report = fn;
        lf->report_ctx = ctx;
}

struct logfile *
logfile_close(struct logfile *lf)
{
        if (!lf)
                return NULL;
        /* Followers are unlinked silently: their owner learns from its own object's end. */
        while (lf->head.next != &lf->head)
                logfile_unfollow(lf->head.next);
        close_file(lf);
        free(lf->path);
        free(lf);
        return NULL;
}

/* Shift file.(N-1) → file.N … file → file.1 and start a new file; with backups=0 truncate in
 * place. 0 or -errno (then the logfile is failing). */
static int
rotate(struct logfile *lf)
{
        if (lf->backups == 0) {
                if (ftruncate(lf->fd, 0) < 0) {
                        int r = -errno;
                        fail(lf, -r, "cannot truncate");
                        return r;
                }
                lf->size = 0;
                notify(lf, LOGFILE_TRUNCATED);
                return 0;
        }
        size_t n = strlen(lf->path) + 16;
        char *src = xmalloc(n), *dst = xmalloc(n);
        for (int i = lf->backups - 1; i >= 1; i--) {
                snprintf(src, n, "%s.%d", lf->path, i);
                snprintf(dst, n, "%s.%d", lf->path, i + 1);
                (void)rename(src, dst);         /* ENOENT: no such backup yet */
        }
        snprintf(dst, n, "%s.1", lf->path);
        int r = rename(lf->path, dst) < 0 ? -errno : 0;
        free(src);
        free(dst);
        close_file(lf);
        if (r < 0 && r != -ENOENT) {
                fail(lf, -r, "cannot rotate");
                return r;
        }
        r = open_file(lf);
        if (r < 0) {
                fail(lf, -r, "cannot open after rotation");
                return r;
        }
        notify(lf, LOGFILE_ROTATED);
        return 0;
}

/* While failed (fd < 0): maybe try to open again. */
static bool
retry_open(struct logfile *lf)
{
        double now = time_monotonic();
        if (now < lf->next_retry)
                return false;
        int r = open_file(lf);
        if (r < 0) {
                lf->next_retry = now + RETRY_INTERVAL;
                return false;
        }
        notify(lf, LOGFILE_ROTATED);    /* a new file: followers reopen the path */
        return true;
}

/* Once a second: has our file lost its name (deleted, directory removed)? Then write to a new one
 * rather than into an invisible inode. */
static void
check_link(struct logfile *lf)
{
        double now = time_monotonic();
        if (now < lf->next_link_check || !lf->regular)
                return;
        lf->next_link_check = now + LINK_CHECK_INTERVAL;
        struct stat st;
        if (fstat(lf->fd, &st) == 0 && st.st_nlink == 0) {
                close_file(lf);
                int r = open_file(lf);
                if (r < 0)
                        fail(lf, -r, "deleted, cannot create it again");
                else
                        notify(lf, LOGFILE_ROTATED);
        }
}

/* At or past maxbytes (a rotatable file only)? The file may have been truncated behind our back
 * (logrotate's copytruncate without a SIGUSR2): trust the disk before saying yes. */
static bool
is_full(struct logfile *lf)
{
        if (!lf->regular || lf->maxbytes <= 0 || lf->size < lf->maxbytes)
                return false;
        struct stat st;
        if (fstat(lf->fd, &st) == 0 && st.st_size < lf->size)
                lf->size = st.st_size;
        return lf->size >= lf->maxbytes;
}

size_t
logfile_write(struct logfile *lf, const void *buf, size_t len)
{
        const char *p = buf;
        size_t left = len;

        if (lf->fd < 0 && !retry_open(lf)) {
                drop(lf, len);
                return len;
        }
        check_link(lf);
        while (left > 0) {
                if (lf->fd < 0) {
                        drop(lf, left);
                        return len;
                }
                /* Each write lands whole in one file, as supervisord's handler writes a record
                 * and rotates after it: a file may pass maxbytes by less than one write. */
                size_t n = left;
                if (is_full(lf) && rotate(lf) < 0) {
                        drop(lf, left);
                        return len;
                }
                ssize_t w = lf->sock ? send(lf->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL)
                                     : write(lf->fd, p, n);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                /* A full pipe or tty: drop, it is not a disk incident. */
                                drop(lf, left);
                                return len;
                        }
                        fail(lf, errno, "cannot write");
                        drop(lf, left);
                        return len;
                }
                if (w > 0)
                        recovered(lf);
                p += w;
                left -= (size_t)w;
                lf->size += w;
                if (w == 0) {
                        drop(lf, left);
                        break;
                }
        }
        /* Rotate as soon as the file is full (supervisord does too), so file.1 appears promptly. */
        if (lf->fd >= 0 && is_full(lf))
                (void)rotate(lf);
        if (len > left && lf->head.next != &lf->head)
                notify(lf, LOGFILE_APPENDED);
        return len;
}

int
logfile_reopen(struct logfile *lf)
{
        close_file(lf);
        int r = open_file(lf);
        if (r < 0) {
                fail(lf, -r, "cannot reopen");
                return r;
        }
        recovered(lf);
        notify(lf, LOGFILE_ROTATED);
        return 0;
}

int
logfile_reopen_if_moved(struct logfile *lf)
{
        if (lf->fd < 0 || !lf->regular)
                return 0;               /* failing: the next write opens the path anyway */
        struct stat by_fd, by_path;
        if (fstat(lf->fd, &by_fd) == 0 && stat(lf->path, &by_path) == 0 &&
            by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino)
                return 0;
        return logfile_reopen(lf);
}

int
logfile_truncate(struct logfile *lf)
{
        if (lf->fd < 0) {
                int r = open_file(lf);
                if (r < 0)
                        return r;
                recovered(lf);
        }
        if (!lf->regular)
                return 0;
        if (ftruncate(lf->fd, 0) < 0)
                return -errno;
        lf->size = 0;
        notify(lf, LOGFILE_TRUNCATED);
        return 0;
}

const char *
logfile_path(const struct logfile *lf)
{
        return lf->path;
}

int
logfile_fd(const struct logfile *lf)
{
        return lf->fd;
}

bool
logfile_is_regular(const struct logfile *lf)
{
        return lf->regular;
}

unsigned long long
logfile_dropped(const struct logfile *lf)
{
        return lf->dropped;
}

void
logfile_follow(struct logfile *lf, struct logfile_follower *f)
{
        logfile_unfollow(f);
        f->prev = lf->head.prev;
        f->next = &lf->head;
        lf->head.prev->next = f;
        lf->head.prev = f;
}

void
logfile_unfollow(struct logfile_follower *f)
{
        if (!f->next)
                return;
        f->prev->next = f->next;
        f->next->prev = f->prev;
        f->next = f->prev = NULL;
}

/* Read [start, start+len) of fd into a fresh NUL-terminated buffer; short at EOF. */
static int
read_range(int fd, off_t start, size_t len, char **ret, size_t *ret_len)
{
        char *buf = malloc(len + 1);
        if (!buf)
                return -EIO;
        size_t got = 0;
        while (got < len) {
                ssize_t r = pread(fd, buf + got, len - got, start + (off_t)got);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        free(buf);
                        return -EIO;
                }
                if (r == 0)
                        break;
                got += (size_t)r;
        }
        buf[got] = '\0';
        *ret = buf;
        *ret_len = got;
        return 0;
}

int
logfile_read_span(const char *path, long offset, long length, struct logfile_span *ret)
{
        struct stat st;
        *ret = (struct logfile_span){ .fd = -1 };
        if (!path || !*path || stat(path, &st) < 0)
                return -ENOENT;
        if ((offset < 0 && length != 0) || length < 0)
                return -EINVAL;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return -EIO;
        if (fstat(fd, &st) < 0) {
                close(fd);
                return -EIO;
        }
        off_t size = S_ISREG(st.st_mode) ? st.st_size : 0;
        off_t start, end;
        if (offset < 0) {
                start = size + offset;          /* the last |offset| bytes */
                if (start < 0)
                        start = 0;
                end = size;
        } else {
                start = offset;
                /* length > size - offset, not offset + length > size: clients choose both. */
                end = length == 0 || length > size - offset ? size : offset + length;
        }
        *ret = (struct logfile_span){ .fd = fd, .start = (long)start,
                                      .len = end > start ? (size_t)(end - start) : 0 };
        return 0;
}

int
logfile_span_read(struct logfile_span *sp, char **ret, size_t *ret_len)
{
        int r = read_range(sp->fd, sp->start, sp->fd < 0 ? 0 : sp->len, ret, ret_len);
        if (sp->fd >= 0)
                close(sp->fd);
        sp->fd = -1;
        return r;
}

int
logfile_read(const char *path, long offset, long length, char **ret, size_t *ret_len)
{
        struct logfile_span sp;
        int r = logfile_read_span(path, offset, length, &sp);
        return r < 0 ? r : logfile_span_read(&sp, ret, ret_len);
}

void
logfile_tail_range(long size, long offset, long length, long *ret_start, long *ret_len,
                   bool *ret_overflow)
{
        /* supervisord's tailFile, step by step (compat E.5). Offset and length come from clients
         * and Python's integers do not overflow, so the sums are taken in 128 bits. */
        __int128 sz = size, off = offset, len = length;
        bool overflow = false;
        if (sz > off + len) {
                overflow = true;
                off = sz - 1;
        }
        if (off + len > sz) {
                if (off > sz - 1)
                        len = 0;
                off = sz - len;
        }
        if (off < 0)
                off = 0;
        if (len < 0)
                len = 0;
        *ret_start = (long)off;
        *ret_len = (long)len;
        *ret_overflow = overflow;
}

void
logfile_tail_span(const char *path, long offset, long length, struct logfile_span *ret,
                  long *ret_offset, bool *ret_overflow)
{
        struct stat st;
        int fd = -1;
        *ret = (struct logfile_span){ .fd = -1 };
        *ret_overflow = false;
        if (path && *path && stat(path, &st) == 0)
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0) {
                bool missing = fd < 0 && errno == ENOENT;
                if (fd >= 0)
                        close(fd);
                *ret_offset = missing || !path ? 0 : offset;  /* supervisord: ['', 0|offset, False] */
                return;
        }
        long size = S_ISREG(st.st_mode) ? (long)st.st_size : 0;
        long start, len;
        logfile_tail_range(size, offset, length, &start, &len, ret_overflow);
        /* f.read(length) returns what is there: a huge length reads the rest of the log, and the
         * buffer is sized by the file, not by the request. */
        if (start > size)
                start = size;
        if (len > size - start)
                len = size - start;
        *ret = (struct logfile_span){ .fd = fd, .start = start, .len = (size_t)len };
        *ret_offset = size;
}

int
logfile_tail(const char *path, long offset, long length, char **ret, size_t *ret_len,
             long *ret_offset, bool *ret_overflow)
{
        struct logfile_span sp;
        logfile_tail_span(path, offset, length, &sp, ret_offset, ret_overflow);
        if (logfile_span_read(&sp, ret, ret_len) < 0) {
                *ret = xcalloc(1, 1);
                *ret_len = 0;
                *ret_overflow = false;
                *ret_offset = offset;
        }
        return 0;
}
