/* SPDX-License-Identifier: MIT */
/* check_logfile — logfile rotation, reopen, truncation, followers, faults, read/tail semantics,
 * and outlog's capture through a real libev loop. */
#include <check.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "core/log.h"
#include "core/logfile.h"
#include "core/outlog.h"
#include "shared/util.h"
#include "unit.h"

static char tmpdir[] = "/tmp/check_logfile.XXXXXX";

static void
setup(void)
{
        ck_assert_ptr_nonnull(mkdtemp(tmpdir));
        signal(SIGPIPE, SIG_IGN);
}

static void
teardown(void)
{
        char *cmd = xasprintf("rm -rf '%s'", tmpdir);
        (void)!system(cmd);
        free(cmd);
        strcpy(tmpdir, "/tmp/check_logfile.XXXXXX");
}

static char *
tpath(const char *name)
{
        return xasprintf("%s/%s", tmpdir, name);
}

/* Whole file; NULL if missing. */
static char *
slurp(const char *path, size_t *ret_len)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return NULL;
        size_t cap = 4096, n = 0;
        char *buf = xmalloc(cap);
        size_t r;
        while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
                n += r;
                if (n == cap)
                        buf = xrealloc(buf, cap *= 2);
        }
        fclose(f);
        buf[n < cap ? n : cap - 1] = '\0';
        if (n == cap)
                buf = xrealloc(buf, cap + 1), buf[n] = '\0';
        *ret_len = n;
        return buf;
}

static void
assert_file(const char *path, const char *want)
{
        size_t n;
        char *got = slurp(path, &n);
        ck_assert_msg(got, "%s missing", path);
        ck_assert_uint_eq(n, strlen(want));
        ck_assert_str_eq(got, want);
        free(got);
}

static bool
exists(const char *path)
{
        return access(path, F_OK) == 0;
}

/* --- tail arithmetic ------------------------------------------------------------------------- */

struct tail_case { long size, offset, length, start, len; bool overflow; };

START_TEST(tail_range_table)
{
        /* Worked out by hand from supervisord's tailFile (compat E.5). */
        static const struct tail_case cases[] = {
                { 465, 0, 60, 405, 60, true },          /* observed on the wire */
                { 465, 100000, 60, 465, 0, false },     /* observed on the wire */
                { 0, 0, 1600, 0, 0, false },
                { 100, 50, 100, 0, 100, false },
                { 100, 99, 1, 99, 1, false },
                { 100, 100, 10, 100, 0, false },
                { 1000, 0, 100, 900, 100, true },
                { 1000, 900, 100, 900, 100, false },
                { 1000, 950, 100, 900, 100, false },
                /* Client-chosen extremes (issue 18): no overflow. */
                { 100, 0, 1L << 40, 0, 1L << 40, false }, /* logfile_tail reads 100 */
                { 100, LONG_MAX, LONG_MAX, 100, 0, false },
                { 100, LONG_MIN, LONG_MIN, 99, 0, true },
                { 100, LONG_MIN, LONG_MAX, 0, LONG_MAX, true },
                { 100, LONG_MAX, LONG_MIN, 99, 0, true },
                { 0, LONG_MAX, 1, 0, 0, false },
                { 10, 0, 0, 9, 0, true },
                { 10, 5, 20, 0, 20, false },            /* read stops at EOF */
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                const struct tail_case *c = &cases[i];
                long start = -1, len = -1;
                bool ov = !c->overflow;
                logfile_tail_range(c->size, c->offset, c->length, &start, &len, &ov);
                ck_assert_msg(start == c->start && len == c->len && ov == c->overflow,
                              "case %zu (size %ld, %ld, %ld): got (%ld, %ld, %d)", i, c->size,
                              c->offset, c->length, start, len, ov);
        }
}
END_TEST

START_TEST(tail_file)
{
        char *p = tpath("t.log");
        FILE *f = fopen(p, "w");
        for (int i = 0; i < 465; i++)
                fputc('a' + i % 26, f);
        fclose(f);
        char *data;
        size_t n;
        long off;
        bool ov;
        ck_assert_int_eq(logfile_tail(p, 0, 60, &data, &n, &off, &ov), 0);
        ck_assert_uint_eq(n, 60);
        ck_assert_int_eq(off, 465);
        ck_assert(ov);
        ck_assert_int_eq(data[0], 'a' + 405 % 26);
        free(data);
        ck_assert_int_eq(logfile_tail(p, 100000, 60, &data, &n, &off, &ov), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_int_eq(off, 465);
        ck_assert(!ov);
        free(data);
        /* A huge length reads the whole log (supervisord's f.read), sized by the file. */
        ck_assert_int_eq(logfile_tail(p, 0, 1L << 40, &data, &n, &off, &ov), 0);
        ck_assert_uint_eq(n, 465);
        ck_assert(!ov);
        free(data);
        ck_assert_int_eq(logfile_tail(p, LONG_MAX, LONG_MAX, &data, &n, &off, &ov), 0);
        ck_assert_uint_eq(n, 0);
        free(data);
        ck_assert_int_eq(logfile_tail(p, LONG_MIN, LONG_MIN, &data, &n, &off, &ov), 0);
        ck_assert_uint_eq(n, 0);
        free(data);
        char *missing = tpath("missing.log");
        ck_assert_int_eq(logfile_tail(missing, 10, 60, &data, &n, &off, &ov), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_int_eq(off, 0);
        ck_assert(!ov);
        free(data);
        free(missing);
        free(p);
}
END_TEST

START_TEST(read_semantics)
{
        char *p = tpath("r.log");
        FILE *f = fopen(p, "w");
        fputs("0123456789", f);
        fclose(f);
        char *d;
        size_t n;
        ck_assert_int_eq(logfile_read(p, -4, 0, &d, &n), 0);
        ck_assert_str_eq(d, "6789");
        free(d);
        ck_assert_int_eq(logfile_read(p, -100, 0, &d, &n), 0);
        ck_assert_str_eq(d, "0123456789");
        free(d);
        ck_assert_int_eq(logfile_read(p, 2, 3, &d, &n), 0);
        ck_assert_str_eq(d, "234");
        free(d);
        ck_assert_int_eq(logfile_read(p, 7, 0, &d, &n), 0);
        ck_assert_str_eq(d, "789");
        free(d);
        ck_assert_int_eq(logfile_read(p, 50, 5, &d, &n), 0);
        ck_assert_uint_eq(n, 0);
        free(d);
        /* Client-chosen extremes (issue 18): clamp, never overflow or allocate the request. */
        ck_assert_int_eq(logfile_read(p, 2, LONG_MAX, &d, &n), 0);
        ck_assert_str_eq(d, "23456789");
        free(d);
        ck_assert_int_eq(logfile_read(p, LONG_MAX, LONG_MAX, &d, &n), 0);
        ck_assert_uint_eq(n, 0);
        free(d);
        ck_assert_int_eq(logfile_read(p, LONG_MIN, 0, &d, &n), 0);
        ck_assert_str_eq(d, "0123456789");
        free(d);
        ck_assert_int_eq(logfile_read(p, -4, 2, &d, &n), -EINVAL);
        ck_assert_int_eq(logfile_read(p, 0, -2, &d, &n), -EINVAL);
        char *missing = tpath("nope.log");
        ck_assert_int_eq(logfile_read(missing, 0, 0, &d, &n), -ENOENT);
        ck_assert_int_eq(logfile_read("", 0, 0, &d, &n), -ENOENT);
        free(missing);
        free(p);
}
END_TEST

/* --- rotation -------------------------------------------------------------------------------- */

START_TEST(rotation_naming)
{
        char *p = tpath("x.log");
        struct logfile *lf = logfile_open(p, 10, 3, 0644);
        ck_assert_ptr_nonnull(lf);
        ck_assert(logfile_is_regular(lf));
        const char *chunks[] = { "AAAAAAAAAA", "BBBBBBBBBB", "CCCCCCCCCC", "DDDDDDDDDD" };
        for (size_t i = 0; i < 4; i++)
                ck_assert_uint_eq(logfile_write(lf, chunks[i], 10), 10);
        char *p1 = tpath("x.log.1"), *p2 = tpath("x.log.2"), *p3 = tpath("x.log.3"),
             *p4 = tpath("x.log.4");
        assert_file(p, "");
        assert_file(p1, "DDDDDDDDDD");
        assert_file(p2, "CCCCCCCCCC");
        assert_file(p3, "BBBBBBBBBB");
        ck_assert(!exists(p4));
        /* A write crossing the limit lands whole, then the file rotates (supervisord's handler
         * writes a record, then rolls over): a line is never cut across two files. */
        logfile_write(lf, "0123456789abcde", 15);
        assert_file(p, "");
        assert_file(p1, "0123456789abcde");
        assert_file(p2, "DDDDDDDDDD");
        logfile_write(lf, "12345", 5);
        logfile_write(lf, "6789xyz", 7);
        assert_file(p, "");
        assert_file(p1, "123456789xyz");
        assert_file(p2, "0123456789abcde");
        logfile_close(lf);
        free(p1); free(p2); free(p3); free(p4); free(p);
}
END_TEST

START_TEST(rotation_no_backups_truncates)
{
        char *p = tpath("y.log"), *p1 = tpath("y.log.1");
        struct logfile *lf = logfile_open(p, 8, 0, 0644);
        logfile_write(lf, "12345678", 8);
        assert_file(p, "");
        logfile_write(lf, "abc", 3);
        assert_file(p, "abc");
        ck_assert(!exists(p1));
        logfile_close(lf);
        free(p);
        free(p1);
}
END_TEST

START_TEST(no_rotation_when_zero)
{
        char *p = tpath("z.log"), *p1 = tpath("z.log.1");
        struct logfile *lf = logfile_open(p, 0, 5, 0644);
        for (int i = 0; i < 1000; i++)
                logfile_write(lf, "0123456789", 10);
        struct stat st;
        ck_assert_int_eq(stat(p, &st), 0);
        ck_assert_int_eq(st.st_size, 10000);
        ck_assert(!exists(p1));
        logfile_close(lf);
        free(p);
        free(p1);
}
END_TEST

START_TEST(append_existing_counts_size)
{
        char *p = tpath("e.log"), *p1 = tpath("e.log.1");
        FILE *f = fopen(p, "w");
        fputs("123456", f);
        fclose(f);
        struct logfile *lf = logfile_open(p, 10, 2, 0644);
        logfile_write(lf, "abcdefgh", 8);
        assert_file(p1, "123456abcdefgh");   /* counted from the 6 bytes there, the write whole */
        assert_file(p, "");
        logfile_close(lf);
        free(p);
        free(p1);
}
END_TEST

START_TEST(mode_applied)
{
        char *p = tpath("m.log");
        mode_t old = umask(0);
        struct logfile *lf = logfile_open(p, 0, 0, 0600);
        umask(old);
        struct stat st;
        ck_assert_int_eq(stat(p, &st), 0);
        ck_assert_int_eq(st.st_mode & 0777, 0600);
        logfile_close(lf);
        free(p);
}
END_TEST

/* --- reopen, truncation, followers ---------------------------------------------------------- */

struct counter { struct logfile_follower f; int n[3]; };

static void
count_change(struct logfile_follower *f, enum logfile_change what)
{
        container_of(f, struct counter, f)->n[what]++;
}

START_TEST(reopen_create_style)
{
        char *p = tpath("c.log"), *moved = tpath("c.log.old");
        struct logfile *lf = logfile_open(p, 0, 0, 0644);
        struct counter c = { .f.on_change = count_change };
        logfile_follow(lf, &c.f);
        logfile_write(lf, "old\n", 4);
        ck_assert_int_eq(rename(p, moved), 0);          /* logrotate "create" */
        logfile_write(lf, "still old\n", 10);           /* until the signal, into the moved file */
        ck_assert_int_eq(logfile_reopen(lf), 0);
        logfile_write(lf, "new\n", 4);
        assert_file(moved, "old\nstill old\n");
        assert_file(p, "new\n");
        ck_assert_int_eq(c.n[LOGFILE_APPENDED], 3);
        ck_assert_int_eq(c.n[LOGFILE_ROTATED], 1);
        logfile_unfollow(&c.f);
        logfile_unfollow(&c.f);                         /* safe twice */
        logfile_write(lf, "x", 1);
        ck_assert_int_eq(c.n[LOGFILE_APPENDED], 3);
        logfile_close(lf);
        free(p);
        free(moved);
}
END_TEST

START_TEST(copytruncate_no_hole)
{
        char *p = tpath("ct.log"), *p1 = tpath("ct.log.1");
        struct logfile *lf = logfile_open(p, 100, 3, 0644);
        char buf[90];
        memset(buf, 'a', sizeof buf);
        logfile_write(lf, buf, sizeof buf);
        ck_assert_int_eq(truncate(p, 0), 0);            /* logrotate "copytruncate" */
        logfile_write(lf, "0123456789012345678901234", 25);
        /* Appended at the new end: no sparse hole, and no premature rotation. */
        assert_file(p, "0123456789012345678901234");
        ck_assert(!exists(p1));
        ck_assert_int_eq(logfile_reopen(lf), 0);
        logfile_write(lf, "x", 1);
        assert_file(p, "0123456789012345678901234x");
        logfile_close(lf);
        free(p);
        free(p1);
}
END_TEST

START_TEST(truncate_notifies)
{
        char *p = tpath("tr.log");
        struct logfile *lf = logfile_open(p, 0, 0, 0644);
        struct counter c = { .f.on_change = count_change };
        logfile_follow(lf, &c.f);
        logfile_write(lf, "hello", 5);
        ck_assert_int_eq(logfile_truncate(lf), 0);
        assert_file(p, "");
        logfile_write(lf, "hi", 2);
        assert_file(p, "hi");
        ck_assert_int_eq(c.n[LOGFILE_TRUNCATED], 1);
        ck_assert_int_eq(c.n[LOGFILE_APPENDED], 2);
        logfile_close(lf);      /* unlinks the follower */
        ck_assert_ptr_null(c.f.next);
        free(p);
}
END_TEST

START_TEST(fifo_not_rotated)
{
        char *p = tpath("fifo");
        ck_assert_int_eq(mkfifo(p, 0600), 0);
        int rfd = open(p, O_RDONLY | O_NONBLOCK);
        ck_assert_int_ge(rfd, 0);
        struct logfile *lf = logfile_open(p, 10, 3, 0644);
        ck_assert_ptr_nonnull(lf);
        ck_assert(!logfile_is_regular(lf));
        logfile_write(lf, "0123456789abcdefghijklmno", 25);
        char buf[64];
        ssize_t n = read(rfd, buf, sizeof buf);
        ck_assert_int_eq(n, 25);
        ck_assert(!memcmp(buf, "0123456789abcdefghijklmno", 25));
        ck_assert_int_eq(logfile_truncate(lf), 0);      /* a no-op */
        char *p1 = tpath("fifo.1");
        ck_assert(!exists(p1));
        logfile_close(lf);
        close(rfd);
        free(p1);
        free(p);
}
END_TEST

START_TEST(fifo_without_reader_never_blocks)
{
        char *p = tpath("fifo2");
        ck_assert_int_eq(mkfifo(p, 0600), 0);
        ck_assert_ptr_null(logfile_open(p, 0, 0, 0644));
        ck_assert_int_eq(errno, ENXIO);
        free(p);
}
END_TEST

START_TEST(dev_stdout_socket)
{
        /* Under systemd, stdout is a socket to journald: /dev/stdout cannot be opened again. */
        int sv[2];
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        int saved = dup(1);
        dup2(sv[0], 1);
        struct logfile *lf = logfile_open("/dev/stdout", 5, 3, 0644);
        dup2(saved, 1);
        close(saved);
        ck_assert_ptr_nonnull(lf);
        ck_assert(!logfile_is_regular(lf));
        logfile_write(lf, "through the socket\n", 19);
        char buf[64];
        ck_assert_int_eq(read(sv[1], buf, sizeof buf), 19);
        ck_assert(!memcmp(buf, "through the socket\n", 19));
        /* A full socket drops instead of blocking the loop. */
        char big[65536] = { 0 };
        for (int i = 0; i < 200; i++)
                logfile_write(lf, big, sizeof big);
        ck_assert_uint_gt(logfile_dropped(lf), 0);
        logfile_close(lf);
        close(sv[0]);
        close(sv[1]);
}
END_TEST

/* --- faults ---------------------------------------------------------------------------------- */

static int
count_occurrences(const char *hay, const char *needle)
{
        int n = 0;
        for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

static void
report_to_log(void *ctx, const char *msg)
{
        (void)ctx;
        log_warn("%s", msg);
}

START_TEST(write_failure_counted_reported_once_and_resumes)
{
        char *main_log = tpath("main.log"), *p = tpath("w.log");
        struct log_options lo = { .path = main_log, .level = LOGL_INFO };
        ck_assert_int_eq(log_open(&lo), 0);
        struct logfile *lf = logfile_open(p, 0, 0, 0644);
        logfile_set_report(lf, report_to_log, NULL);    /* as outlog wires its files */
        char fill[4096];
        memset(fill, 'z', sizeof fill);
        logfile_write(lf, fill, sizeof fill);
        /* A file size limit makes every write fail (EFBIG), as a full disk would. */
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit old, lim = { 4096, 4096 };
        getrlimit(RLIMIT_FSIZE, &old);
        lim.rlim_max = old.rlim_max;
        ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
        for (int i = 0; i < 100; i++)
                ck_assert_uint_eq(logfile_write(lf, "abc", 3), 3);
        ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
        ck_assert_uint_eq(logfile_dropped(lf), 300);
        logfile_write(lf, "XYZ", 3);
        size_t n;
        char *d = slurp(p, &n);
        ck_assert_uint_eq(n, 4099);
        ck_assert(!memcmp(d + 4096, "XYZ", 3));
        free(d);
        char *ml = slurp(main_log, &n);
        ck_assert_int_eq(count_occurrences(ml, "dropping output"), 1);
        ck_assert_int_eq(count_occurrences(ml, "300 bytes were dropped"), 1);
        free(ml);
        logfile_close(lf);
        log_close();
        free(p);
        free(main_log);
}
END_TEST

START_TEST(deleted_dir_recovers)
{
        char *dir = tpath("sub"), *p = tpath("sub/d.log");
        ck_assert_int_eq(mkdir(dir, 0755), 0);
        struct logfile *lf = logfile_open(p, 0, 0, 0644);
        logfile_write(lf, "a", 1);
        ck_assert_int_eq(unlink(p), 0);
        ck_assert_int_eq(rmdir(dir), 0);
        ck_assert_int_lt(logfile_reopen(lf), 0);        /* SIGUSR2 while the dir is gone */
        ck_assert_int_eq(logfile_fd(lf), -1);
        logfile_write(lf, "lost", 4);
        ck_assert_uint_eq(logfile_dropped(lf), 4);
        ck_assert_int_eq(mkdir(dir, 0755), 0);
        double deadline = time_monotonic() + 5;
        while (!exists(p) && time_monotonic() < deadline) {
                logfile_write(lf, "", 0);
                usleep(20000);
        }
        logfile_write(lf, "back", 4);
        assert_file(p, "back");
        logfile_close(lf);
        free(p);
        free(dir);
}
END_TEST

START_TEST(new_retries_open)
{
        char *dir = tpath("notyet"), *p = tpath("notyet/n.log");
        struct logfile *lf = logfile_new(p, 0, 0, 0644, NULL, NULL);
        ck_assert_ptr_nonnull(lf);
        ck_assert_int_eq(logfile_fd(lf), -1);
        ck_assert_str_eq(logfile_path(lf), p);
        logfile_write(lf, "lost", 4);
        ck_assert_uint_eq(logfile_dropped(lf), 4);
        ck_assert_int_eq(mkdir(dir, 0755), 0);
        double deadline = time_monotonic() + 5;
        while (logfile_fd(lf) < 0 && time_monotonic() < deadline) {
                logfile_write(lf, "", 0);
                usleep(20000);
        }
        logfile_write(lf, "kept", 4);
        assert_file(p, "kept");
        logfile_close(lf);
        free(p);
        free(dir);
}
END_TEST

/* --- outlog through a libev loop ------------------------------------------------------------ */

static struct cfg_proc *
make_proc(const char *name, enum cfg_logkind kind, const char *path, off_t maxbytes, int backups)
{
        struct cfg_proc *p = xcalloc(1, sizeof *p);
        p->name = xstrdup(name);
        p->out.kind = kind;
        p->out.path = path ? xstrdup(path) : NULL;
        p->out.maxbytes = maxbytes;
        p->out.backups = backups;
        p->err.kind = CFG_LOG_NONE;
        return p;
}

static void
free_proc(struct cfg_proc *p)
{
        free(p->name);
        free(p->out.path);
        free(p->err.path);
        free(p);
}

/* Fork a "worker" that runs fn with its stdout/stderr on the child fds, then loop until every
 * pipe reached EOF. */
static void
run_worker(struct ev_loop *loop, struct outlog *o, void (*fn)(void *), void *arg)
{
        int fds[3];
        ck_assert_int_eq(outlog_prepare(o, fds), 0);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                dup2(fds[0], 0);
                dup2(fds[1], 1);
                dup2(fds[2], 2);
                fn(arg);
                _exit(0);
        }
        outlog_started(o, pid);
        ev_run(loop, 0);        /* returns when the read watchers stopped at EOF */
        int st;
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        outlog_exited(o);
}

static void
short_output(void *arg)
{
        (void)arg;
        (void)!write(1, "last words", 10);
}

START_TEST(outlog_exited_drains_before_reporting)
{
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        char *p = tpath("x.log");
        struct cfg_proc *cp = make_proc("x", CFG_LOG_PATH, p, 0, 0);
        struct outlog *o = outlog_new(loop, cp, NULL);
        int fds[3];
        ck_assert_int_eq(outlog_prepare(o, fds), 0);
        pid_t pid = fork();
        if (pid == 0) {
                dup2(fds[1], 1);
                short_output(NULL);
                _exit(0);
        }
        outlog_started(o, pid);
        ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
        assert_file(p, "");             /* the loop has not run */
        outlog_exited(o);               /* no loop iteration needed */
        assert_file(p, "last words");
        ev_run(loop, 0);
        outlog_free(o);
        free_proc(cp);
        free(p);
        ev_loop_destroy(loop);
}
END_TEST

static void
numbered_lines(void *arg)
{
        int n = *(int *)arg;
        FILE *f = fdopen(1, "w");
        for (int i = 0; i < n; i++)
                fprintf(f, "line %d %.*s\n", i, i % 37, "abcdefghijklmnopqrstuvwxyz0123456789");
        fflush(f);
}

START_TEST(outlog_rotation_byte_exact)
{
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        char *p = tpath("w.log");
        struct cfg_proc *cp = make_proc("w", CFG_LOG_PATH, p, 4096, 200);
        struct outlog *o = outlog_new(loop, cp, &(struct outlog_env){ .childlogdir = tmpdir });
        int lines = 20000;
        run_worker(loop, o, numbered_lines, &lines);

        /* Expected stream. */
        size_t cap = 1 << 20, elen = 0;
        char *exp = xmalloc(cap);
        for (int i = 0; i < lines; i++) {
                if (cap - elen < 128)
                        exp = xrealloc(exp, cap *= 2);
                elen += (size_t)sprintf(exp + elen, "line %d %.*s\n", i, i % 37,
                                        "abcdefghijklmnopqrstuvwxyz0123456789");
        }
        /* Concatenate file.N … file.1, file. */
        int nfiles = 0;
        for (int i = 1;; i++) {
                char *b = xasprintf("%s.%d", p, i);
                bool e = exists(b);
                free(b);
                if (!e)
                        break;
                nfiles = i;
        }
        ck_assert_int_gt(nfiles, 2);       /* many rotations */
        char *got = xmalloc(elen + 1);
        size_t glen = 0;
        for (int i = nfiles; i >= 0; i--) {
                char *b = i ? xasprintf("%s.%d", p, i) : xstrdup(p);
                size_t n;
                char *d = slurp(b, &n);
                ck_assert_ptr_nonnull(d);
                if (i)          /* every rotated file is full, ended by one whole write */
                        ck_assert_uint_ge(n, 4096);
                ck_assert_uint_le(glen + n, elen);
                memcpy(got + glen, d, n);
                glen += n;
                free(d);
                free(b);
        }
        ck_assert_uint_eq(glen, elen);
        ck_assert(!memcmp(got, exp, elen));
        ck_assert_str_eq(outlog_path(o, OUTLOG_STDOUT), p);
        ck_assert_str_eq(outlog_path(o, OUTLOG_STDERR), "");
        ck_assert_ptr_nonnull(outlog_logfile(o, OUTLOG_STDOUT));
        ck_assert_ptr_null(outlog_logfile(o, OUTLOG_STDERR));
        free(got);
        free(exp);
        outlog_free(o);
        free_proc(cp);
        free(p);
        ev_loop_destroy(loop);
}
END_TEST

static void
binary_and_stderr(void *arg)
{
        (void)arg;
        char buf[70000];
        for (size_t i = 0; i < sizeof buf; i++)
                buf[i] = (char)(i * 7 + 3);
        buf[5] = '\0';
        (void)!write(1, buf, sizeof buf);       /* no newline, NULs, longer than a pipe */
        (void)!write(2, "err\n", 4);
}

START_TEST(outlog_binary_and_redirect)
{
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        char *p = tpath("b.log");
        struct cfg_proc *cp = make_proc("b", CFG_LOG_PATH, p, 0, 0);
        cp->redirect_stderr = true;
        struct outlog *o = outlog_new(loop, cp, NULL);
        run_worker(loop, o, binary_and_stderr, NULL);
        size_t n;
        char *d = slurp(p, &n);
        ck_assert_uint_eq(n, 70004);
        for (size_t i = 0; i < 70000; i++)
                ck_assert_int_eq(d[i], i == 5 ? 0 : (char)(i * 7 + 3));
        ck_assert(!memcmp(d + 70000, "err\n", 4));
        free(d);
        outlog_free(o);
        free_proc(cp);
        free(p);
        ev_loop_destroy(loop);
}
END_TEST

static void
ansi(void *arg)
{
        (void)arg;
        (void)!write(1, "a\x1b[31mred\x1b", 10);
        usleep(20000);
        (void)!write(1, "[0m b \x1bx\n", 9);
}

START_TEST(outlog_strip_ansi_across_reads)
{
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        char *p = tpath("a.log");
        struct cfg_proc *cp = make_proc("a", CFG_LOG_PATH, p, 0, 0);
        struct outlog *o = outlog_new(loop, cp, &(struct outlog_env){ .strip_ansi = true });
        int fds[3];
        ck_assert_int_eq(outlog_prepare(o, fds), 0);
        pid_t pid = fork();
        if (pid == 0) {
                dup2(fds[1], 1);
                ansi(NULL);
                _exit(0);
        }
        outlog_started(o, pid);
        ev_run(loop, 0);
        waitpid(pid, NULL, 0);
        outlog_exited(o);
        assert_file(p, "ared b \x1bx\n");
        outlog_free(o);
        free_proc(cp);
        free(p);
        ev_loop_destroy(loop);
}
END_TEST

START_TEST(outlog_auto_name_and_cleanup)
{
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        struct cfg_proc *cp = make_proc("web", CFG_LOG_AUTO, NULL, 0, 0);
        cp->err.kind = CFG_LOG_AUTO;
        struct outlog_env env = { .childlogdir = tmpdir, .identifier = "ident" };
        struct outlog *o = outlog_new(loop, cp, &env);
        const char *out = outlog_path(o, OUTLOG_STDOUT), *err = outlog_path(o, OUTLOG_STDERR);
        char *prefix = xasprintf("%s/web-stdout---ident-", tmpdir);
        ck_assert_int_eq(strncmp(out, prefix, strlen(prefix)), 0);
        ck_assert_uint_eq(strlen(out), strlen(prefix) + 8 + 4);
        ck_assert_str_eq(out + strlen(out) - 4, ".log");
        ck_assert_ptr_nonnull(strstr(err, "/web-stderr---ident-"));
        /* Created at once, empty and 0600, like supervisord's mkstemp (issue 18: a never-started
         * process's AUTO log reads as ''). */
        struct stat st;
        ck_assert_int_eq(stat(out, &st), 0);
        ck_assert_int_eq(st.st_mode & 0777, 0600);
        ck_assert_int_eq(st.st_size, 0);
        int fds[3];
        ck_assert_int_eq(outlog_prepare(o, fds), 0);
        ck_assert_int_eq(stat(out, &st), 0);
        ck_assert_int_eq(st.st_mode & 0777, 0600);
        outlog_abort(o);
        /* Cleanup removes AUTO logs of this identifier (and their backups), nothing else. */
        char *bak = xasprintf("%s.3", out), *other = tpath("web-stdout---otherid-abcdefgh.log"),
             *plain = tpath("keep.log");
        fclose(fopen(bak, "w"));
        fclose(fopen(other, "w"));
        fclose(fopen(plain, "w"));
        outlog_cleanup_auto(tmpdir, "ident");
        ck_assert(!exists(out));
        ck_assert(!exists(err));
        ck_assert(!exists(bak));
        ck_assert(exists(other));
        ck_assert(exists(plain));
        free(bak);
        free(other);
        free(plain);
        free(prefix);
        outlog_free(o);
        free_proc(cp);
        ev_loop_destroy(loop);
}
END_TEST

static void
echo_stdin(void *arg)
{
        (void)arg;
        char buf[4096];
        ssize_t n;
        while ((n = read(0, buf, sizeof buf)) > 0)
                (void)!write(1, buf, (size_t)n);
}

static void
on_stop_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
        (void)w;
        (void)revents;
        ev_break(loop, EVBREAK_ALL);
}

START_TEST(outlog_stdin)
{
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        char *p = tpath("in.log");
        struct cfg_proc *cp = make_proc("in", CFG_LOG_PATH, p, 0, 0);
        struct outlog *o = outlog_new(loop, cp, NULL);
        ck_assert_int_eq(outlog_write_stdin(o, "x", 1), -ENOTCONN);
        int fds[3];
        ck_assert_int_eq(outlog_prepare(o, fds), 0);
        pid_t pid = fork();
        if (pid == 0) {
                dup2(fds[0], 0);
                dup2(fds[1], 1);
                echo_stdin(NULL);
                _exit(0);
        }
        outlog_started(o, pid);
        /* More than a pipe holds: the rest is queued and written as the child reads. */
        size_t total = 300000;
        char *big = xmalloc(total);
        for (size_t i = 0; i < total; i++)
                big[i] = (char)('a' + i % 26);
        ck_assert_int_eq(outlog_write_stdin(o, big, total), 0);
        ck_assert_int_eq(outlog_write_stdin(o, big, 2000000), -ENOBUFS);
        ev_timer t;
        ev_timer_init(&t, on_stop_timer, 0.05, 0.05);
        ev_timer_start(loop, &t);
        double deadline = time_monotonic() + 10;
        struct stat st = { 0 };
        while (time_monotonic() < deadline && (stat(p, &st) < 0 || (size_t)st.st_size < total))
                ev_run(loop, 0);
        ev_timer_stop(loop, &t);
        ck_assert_int_eq(st.st_size, (off_t)total);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        ck_assert_int_eq(outlog_write_stdin(o, "x", 1), -EPIPE);
        outlog_exited(o);
        ck_assert_int_eq(outlog_write_stdin(o, "x", 1), -ENOTCONN);
        free(big);
        outlog_free(o);
        free_proc(cp);
        free(p);
        ev_loop_destroy(loop);
}
END_TEST

START_TEST(outlog_none_uses_devnull)
{
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        struct cfg_proc *cp = make_proc("n", CFG_LOG_NONE, NULL, 0, 0);
        struct outlog *o = outlog_new(loop, cp, NULL);
        int fds[3];
        ck_assert_int_eq(outlog_prepare(o, fds), 0);
        struct stat st;
        ck_assert_int_eq(fstat(fds[1], &st), 0);
        ck_assert(S_ISCHR(st.st_mode));
        ck_assert_int_eq(fcntl(fds[1], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        ck_assert_int_eq(fcntl(fds[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        ck_assert_str_eq(outlog_path(o, OUTLOG_STDOUT), "");
        outlog_abort(o);
        ck_assert_int_eq(fcntl(fds[1], F_GETFD), -1);   /* closed */
        outlog_free(o);
        free_proc(cp);
        ev_loop_destroy(loop);
}
END_TEST

Suite *
unit_suite(void)
{
        Suite *s = suite_create("logfile");
        TCase *tc = tcase_create("tail");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, tail_range_table);
        tcase_add_test(tc, tail_file);
        tcase_add_test(tc, read_semantics);
        suite_add_tcase(s, tc);

        tc = tcase_create("rotation");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, rotation_naming);
        tcase_add_test(tc, rotation_no_backups_truncates);
        tcase_add_test(tc, no_rotation_when_zero);
        tcase_add_test(tc, append_existing_counts_size);
        tcase_add_test(tc, mode_applied);
        suite_add_tcase(s, tc);

        tc = tcase_create("reopen");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, reopen_create_style);
        tcase_add_test(tc, copytruncate_no_hole);
        tcase_add_test(tc, truncate_notifies);
        tcase_add_test(tc, fifo_not_rotated);
        tcase_add_test(tc, fifo_without_reader_never_blocks);
        tcase_add_test(tc, dev_stdout_socket);
        suite_add_tcase(s, tc);

        tc = tcase_create("errors");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 20);
        tcase_add_test(tc, write_failure_counted_reported_once_and_resumes);
        tcase_add_test(tc, deleted_dir_recovers);
        tcase_add_test(tc, new_retries_open);
        suite_add_tcase(s, tc);

        tc = tcase_create("outlog");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, outlog_rotation_byte_exact);
        tcase_add_test(tc, outlog_binary_and_redirect);
        tcase_add_test(tc, outlog_exited_drains_before_reporting);
        tcase_add_test(tc, outlog_strip_ansi_across_reads);
        tcase_add_test(tc, outlog_auto_name_and_cleanup);
        tcase_add_test(tc, outlog_stdin);
        tcase_add_test(tc, outlog_none_uses_devnull);
        suite_add_tcase(s, tc);
        return s;
}
