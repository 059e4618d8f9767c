/* SPDX-License-Identifier: MIT */
/* check_spawn — the child's environment, supervisord's command checks and messages, credentials,
 * the parent-death signal, exec failures reported to the parent, and a large fd table in the
 * parent (the child sees only 0-2, no copy of its ends is left behind). Uses spawn_process
 * directly (no loop): the tests wait for their own children. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "core/spawn.h"
#include "shared/signame.h"
#include "shared/util.h"
#include "unit.h"

/* Workers to kill when the test process exits, also after a failed assertion (exit(1)). */
static pid_t tracked[8];
static int ntracked;

static void
kill_tracked(void)
{
        for (int i = 0; i < ntracked; i++)
                (void)kill(tracked[i], SIGKILL);
}

static void
track(pid_t pid)
{
        if (ntracked == 0)
                atexit(kill_tracked);
        if (pid > 0 && ntracked < 8)
                tracked[ntracked++] = pid;
}

static struct cfg_proc *
mkcfg(const char *name, const char *exec_path, const char *a0, const char *a1, const char *a2)
{
        struct cfg_proc *c = xcalloc(1, sizeof *c);
        c->name = xstrdup(name);
        c->group = xstrdup(name);
        c->argv = xcalloc(4, sizeof *c->argv);
        c->argv[0] = xstrdup(a0);
        if (a1)
                c->argv[1] = xstrdup(a1);
        if (a1 && a2)
                c->argv[2] = xstrdup(a2);
        c->exec_path = exec_path ? xstrdup(exec_path) : NULL;
        c->umask = -1;
        c->startsecs = 1;
        c->stopsignal = SIGTERM;
        return c;
}

static void
freecfg(struct cfg_proc *c)
{
        free(c->name);
        free(c->group);
        strv_free(c->argv);
        strv_free(c->environment);
        free(c->exec_path);
        free(c->directory);
        free(c->serverurl);
        free(c);
}

static bool
has(char **env, const char *kv)
{
        for (size_t i = 0; env[i]; i++)
                if (!strcmp(env[i], kv))
                        return true;
        return false;
}

static size_t
count_key(char **env, const char *key)
{
        size_t n = 0, k = strlen(key);
        for (size_t i = 0; env[i]; i++)
                n += !strncmp(env[i], key, k) && env[i][k] == '=';
        return n;
}

START_TEST(test_env)
{
        char *base[] = { "PATH=/bin", "HOME=/root", "SUPERVISOR_ENABLED=0", "X=1", NULL };
        struct cfg_proc *c = mkcfg("web_01", "/bin/true", "true", NULL, NULL);
        free(c->group);
        c->group = xstrdup("web");
        c->environment = xcalloc(4, sizeof *c->environment);
        c->environment[0] = xstrdup("X=2");
        c->environment[1] = xstrdup("HOME=/srv");
        c->environment[2] = xstrdup("NEW=a=b");

        char **e = spawn_build_env(base, c, "unix:///run/corral.sock");
        ck_assert(has(e, "PATH=/bin"));
        ck_assert(has(e, "SUPERVISOR_ENABLED=1"));
        ck_assert(has(e, "SUPERVISOR_SERVER_URL=unix:///run/corral.sock"));
        ck_assert(has(e, "SUPERVISOR_PROCESS_NAME=web_01"));
        ck_assert(has(e, "SUPERVISOR_GROUP_NAME=web"));
        ck_assert(has(e, "X=2"));
        ck_assert(has(e, "HOME=/srv"));
        ck_assert(has(e, "NEW=a=b"));
        /* later wins, in place: one entry per key */
        ck_assert_uint_eq(count_key(e, "X"), 1);
        ck_assert_uint_eq(count_key(e, "HOME"), 1);
        ck_assert_uint_eq(count_key(e, "SUPERVISOR_ENABLED"), 1);
        ck_assert_uint_eq(strv_len(e), 8);
        strv_free(e);

        /* the program's serverurl wins over the daemon's */
        c->serverurl = xstrdup("http://127.0.0.1:9001");
        e = spawn_build_env(base, c, "unix:///run/corral.sock");
        ck_assert(has(e, "SUPERVISOR_SERVER_URL=http://127.0.0.1:9001"));
        ck_assert_uint_eq(count_key(e, "SUPERVISOR_SERVER_URL"), 1);
        strv_free(e);

        /* no server at all: no SUPERVISOR_SERVER_URL */
        free(c->serverurl);
        c->serverurl = NULL;
        e = spawn_build_env(base, c, NULL);
        ck_assert_uint_eq(count_key(e, "SUPERVISOR_SERVER_URL"), 0);
        strv_free(e);
        freecfg(c);
}
END_TEST

START_TEST(test_check_messages)
{
        char *msg;
        struct cfg_proc *c = mkcfg("x", NULL, "nosuchprog", NULL, NULL);
        ck_assert_int_eq(spawn_check(c, &msg), FAULT_NO_FILE);
        ck_assert_str_eq(msg, "can't find command 'nosuchprog'");
        free(msg);

        c->exec_path = xstrdup("/nonexistent/bin/x");
        ck_assert_int_eq(spawn_check(c, &msg), FAULT_NO_FILE);
        ck_assert_str_eq(msg, "can't find command '/nonexistent/bin/x'");
        free(msg);

        /* Python's repr() quoting */
        free(c->exec_path);
        c->exec_path = xstrdup("/nonexistent/it's");
        ck_assert_int_eq(spawn_check(c, &msg), FAULT_NO_FILE);
        ck_assert_str_eq(msg, "can't find command \"/nonexistent/it's\"");
        free(msg);

        free(c->exec_path);
        c->exec_path = xstrdup("/");
        ck_assert_int_eq(spawn_check(c, &msg), FAULT_NOT_EXECUTABLE);
        ck_assert_str_eq(msg, "command at '/' is a directory");
        free(msg);

        char path[] = "/tmp/check_spawn.XXXXXX";
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        close(fd);
        chmod(path, 0644);
        free(c->exec_path);
        c->exec_path = xstrdup(path);
        ck_assert_int_eq(spawn_check(c, &msg), FAULT_NOT_EXECUTABLE);
        ck_assert(strstr(msg, "is not executable"));
        free(msg);
        unlink(path);

        free(c->exec_path);
        c->exec_path = xstrdup("/bin/true");
        ck_assert_int_eq(spawn_check(c, &msg), FAULT_OK);
        ck_assert_ptr_null(msg);
        freecfg(c);
}
END_TEST

START_TEST(test_signame)
{
        ck_assert_str_eq(signame(SIGTERM), "SIGTERM");
        ck_assert_str_eq(signame(SIGKILL), "SIGKILL");
        ck_assert_str_eq(signame(SIGHUP), "SIGHUP");
        ck_assert_str_eq(signame(SIGCHLD), "SIGCHLD");
        ck_assert_str_eq(signame(0), "signal 0");
}
END_TEST

static int
devnull_fds(int fds[3])
{
        for (int i = 0; i < 3; i++) {
                fds[i] = open("/dev/null", (i ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
                if (fds[i] < 0)
                        return -1;
        }
        return 0;
}

static void
close_fds(int fds[3])
{
        for (int i = 0; i < 3; i++)
                close(fds[i]);
}

START_TEST(test_exec_failure_reported)
{
        /* exists and is executable by mode, but the kernel cannot exec it */
        char path[] = "/tmp/check_spawn.XXXXXX";
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, "\x7f" "ELFjunk", 8), 8);
        close(fd);
        chmod(path, 0755);

        struct cfg_proc *c = mkcfg("junk", path, "junk", NULL, NULL);
        struct spawn_spec spec = { .cfg = c };
        enum fault f;
        char *msg;
        ck_assert_int_eq(devnull_fds(spec.fds), 0);
        pid_t pid = spawn_process(&spec, &f, &msg);
        ck_assert_int_eq(pid, 0);
        ck_assert_int_eq(f, FAULT_SPAWN_ERROR);
        ck_assert_str_eq(msg, "couldn't exec junk: ENOEXEC");
        free(msg);
        /* the failed child was already collected */
        ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
        ck_assert_int_eq(errno, ECHILD);
        close_fds(spec.fds);
        unlink(path);
        freecfg(c);
}
END_TEST

/* Read fd to EOF into buf (NUL-terminated); false on timeout (the write end is still held). */
static bool
read_all(int fd, char *buf, size_t len, double timeout)
{
        size_t n = 0;
        double end = time_monotonic() + timeout;
        (void)fcntl(fd, F_SETFL, O_NONBLOCK);
        while (time_monotonic() < end) {
                ssize_t r = read(fd, buf + n, len - 1 - n);
                if (r == 0) {
                        buf[n] = '\0';
                        return true;
                }
                if (r > 0)
                        n += (size_t)r;
                else if (errno == EAGAIN)
                        usleep(2000);
                else
                        break;
        }
        buf[n] = '\0';
        return false;
}

START_TEST(test_big_fd_table)
{
        /* Like a supervisor of many programs: lots of fds, one of them not even O_CLOEXEC, and
         * the child's ends far up the table. The child sees 0, 1 and 2 only, and once it has
         * exited its stdout reaches EOF: nobody (the parent's reserved slots least of all) keeps
         * a copy of the write end. Spawning twice checks that the slots are reused cleanly. */
        enum { NFD = 600 };
        int extra[NFD];
        for (int i = 0; i < NFD; i++) {
                extra[i] = open("/dev/null", O_RDONLY | (i == NFD / 2 ? 0 : O_CLOEXEC));
                ck_assert_int_ge(extra[i], 0);
        }
        struct cfg_proc *c = mkcfg("fds", "/bin/sh", "sh", "-c",
                                   "ls /proc/self/fd >&2; echo out; exec 1>&-; echo err >&2");
        for (int round = 0; round < 2; round++) {
                int out[2], err[2];
                ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
                ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
                struct spawn_spec spec = { .cfg = c };
                enum fault f;
                char *msg = NULL, obuf[256], ebuf[1024];
                spec.fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
                spec.fds[1] = out[1];
                spec.fds[2] = err[1];
                pid_t pid = spawn_process(&spec, &f, &msg);
                ck_assert_msg(pid > 0, "spawn failed: %s", msg ? msg : "?");
                track(pid);
                close_fds(spec.fds);
                ck_assert(read_all(out[0], obuf, sizeof obuf, 10));
                ck_assert_str_eq(obuf, "out\n");
                ck_assert(read_all(err[0], ebuf, sizeof ebuf, 10));
                /* ls lists 0 1 2 and its own directory fd (3) */
                ck_assert_msg(!strcmp(ebuf, "0\n1\n2\n3\nerr\n"), "child fds: %s", ebuf);
                int st;
                ck_assert_int_eq(waitpid(pid, &st, 0), pid);
                ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
                close(out[0]);
                close(err[0]);
        }
        for (int i = 0; i < NFD; i++)
                close(extra[i]);
        freecfg(c);
}
END_TEST

static char *
status_field(pid_t pid, const char *field)
{
        char path[64], line[256];
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "r");
        char *r = NULL;
        while (f && fgets(line, sizeof line, f))
                if (!strncmp(line, field, strlen(field)))
                        r = xstrdup(line + strlen(field));
        if (f)
                fclose(f);
        return r;
}

START_TEST(test_setuid)
{
        if (geteuid() != 0)
                return;         /* needs root */
        struct cfg_proc *c = mkcfg("nobody", "/bin/sleep", "sleep", "100", NULL);
        c->has_uid = true;
        c->uid = 65534;
        c->gid = 65534;
        c->umask = 077;
        c->directory = xstrdup("/tmp");
        struct spawn_spec spec = { .cfg = c };
        enum fault f;
        char *msg;
        ck_assert_int_eq(devnull_fds(spec.fds), 0);
        pid_t pid = spawn_process(&spec, &f, &msg);
        track(pid);
        ck_assert_int_gt(pid, 0);
        ck_assert_int_eq(f, FAULT_OK);
        char *uid = status_field(pid, "Uid:\t"), *gid = status_field(pid, "Gid:\t");
        char *groups = status_field(pid, "Groups:\t"), *umask_s = status_field(pid, "Umask:\t");
        ck_assert_str_eq(uid, "65534\t65534\t65534\t65534\n");
        ck_assert_str_eq(gid, "65534\t65534\t65534\t65534\n");
        ck_assert_msg(strspn(groups, " \t\n") == strlen(groups), "groups: '%s'", groups); /* root's dropped */
        ck_assert_str_eq(umask_s, "0077\n");
        char cwd[64], link[64];
        snprintf(link, sizeof link, "/proc/%d/cwd", (int)pid);
        ssize_t n = readlink(link, cwd, sizeof cwd - 1);
        ck_assert_int_gt(n, 0);
        cwd[n] = '\0';
        ck_assert_str_eq(cwd, "/tmp");
        free(uid); free(gid); free(groups); free(umask_s);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close_fds(spec.fds);
        freecfg(c);
}
END_TEST

START_TEST(test_nonroot_refused)
{
        /* a non-root supervisor cannot switch to another uid: a clear spawnerr, no fork */
        pid_t t = fork();
        ck_assert_int_ge(t, 0);
        if (t == 0) {
                if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
                        _exit(2);
                struct cfg_proc *c = mkcfg("other", "/bin/true", "true", NULL, NULL);
                c->has_uid = true;
                c->uid = getuid() == 1 ? 2 : 1;
                struct spawn_spec spec = { .cfg = c };
                enum fault f;
                char *msg;
                if (devnull_fds(spec.fds) < 0)
                        _exit(3);
                pid_t pid = spawn_process(&spec, &f, &msg);
                char want[96];
                snprintf(want, sizeof want, "couldn't setuid to %u: Can't drop privilege as nonroot user",
                         (unsigned)c->uid);
                _exit(pid == 0 && f == FAULT_SPAWN_ERROR && msg && !strcmp(msg, want) ? 0 : 1);
        }
        int st;
        ck_assert_int_eq(waitpid(t, &st, 0), t);
        ck_assert(WIFEXITED(st));
        ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

static bool
alive(pid_t pid)
{
        char *s = status_field(pid, "State:\t");
        bool r = s && s[0] != 'Z';
        free(s);
        return r;
}

/* An intermediate "supervisor" spawns sleep and dies; with pdeathsig the worker dies too. */
static pid_t
orphan_worker(bool pdeathsig)
{
        int p[2];
        ck_assert_int_eq(pipe(p), 0);
        pid_t mid = fork();
        ck_assert_int_ge(mid, 0);
        if (mid == 0) {
                struct cfg_proc *c = mkcfg("w", "/bin/sleep", "sleep", "100", NULL);
                c->pdeathsig = pdeathsig;
                struct spawn_spec spec = { .cfg = c };
                enum fault f;
                char *msg;
                pid_t w = 0;
                if (devnull_fds(spec.fds) == 0)
                        w = spawn_process(&spec, &f, &msg);
                (void)!write(p[1], &w, sizeof w);
                _exit(0);
        }
        close(p[1]);
        pid_t w = 0;
        ck_assert_int_eq(read(p[0], &w, sizeof w), (ssize_t)sizeof w);
        close(p[0]);
        waitpid(mid, NULL, 0);
        track(w);
        ck_assert_int_gt(w, 0);
        return w;
}

START_TEST(test_pdeathsig)
{
        pid_t w = orphan_worker(true);
        double end = time_monotonic() + 5;
        while (alive(w) && time_monotonic() < end)
                usleep(10000);
        ck_assert_msg(!alive(w), "worker %d survived its supervisor", (int)w);

        w = orphan_worker(false);
        usleep(100000);
        ck_assert(alive(w));
        kill(w, SIGKILL);
}
END_TEST

Suite *
unit_suite(void)
{
        Suite *s = suite_create("spawn");
        TCase *tc = tcase_create("pure");
        tcase_add_test(tc, test_env);
        tcase_add_test(tc, test_check_messages);
        tcase_add_test(tc, test_signame);
        suite_add_tcase(s, tc);
        tc = tcase_create("fork");
        tcase_set_timeout(tc, 20);
        tcase_add_test(tc, test_exec_failure_reported);
        tcase_add_test(tc, test_big_fd_table);
        tcase_add_test(tc, test_setuid);
        tcase_add_test(tc, test_nonroot_refused);
        tcase_add_test(tc, test_pdeathsig);
        suite_add_tcase(s, tc);
        return s;
}
