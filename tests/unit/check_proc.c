/* SPDX-License-Identifier: MIT */
/* check_proc — the process runtime for real: a default libev loop, real fork/exec of /bin/sh and
 * sleep, states walked through start, RUNNING, exits, backoff, FATAL, stop and SIGKILL escalation;
 * every pid reaped and no zombie left. The daemon's main log goes to stderr (before log_open), so
 * each test redirects stderr to a file and asserts supervisord's log lines. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "core/notify.h"
#include "core/proc.h"
#include "core/procinfo.h"
#include "core/spawn.h"
#include "shared/util.h"
#include "unit.h"

static struct ev_loop *loop;
static char logpath[64];
static ev_timer tick;

/* --- fixtures -------------------------------------------------------------------------------- */

static void
on_tick(struct ev_loop *l, ev_timer *w, int revents)
{
        (void)l; (void)w; (void)revents;
}

/* Process groups to kill when the test process exits, also after a failed assertion (exit(1)). */
static pid_t tracked[32];
static int ntracked;

static void
track(pid_t pgid)
{
        if (pgid > 0 && ntracked < 32)
                tracked[ntracked++] = pgid;
}

static void
kill_tracked(void)
{
        for (int i = 0; i < ntracked; i++)
                (void)kill(-tracked[i], SIGKILL);
        if (logpath[0])
                unlink(logpath);
}

static void
setup(void)
{
        atexit(kill_tracked);
        int fd;

        snprintf(logpath, sizeof logpath, "/tmp/check_proc.%d.log", (int)getpid());
        fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ck_assert_int_ge(fd, 0);
        dup2(fd, STDERR_FILENO);
        close(fd);
        /* orphans from the workers come back to us, like to corrald */
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        loop = ev_default_loop(0);
        struct proc_env env = { .loop = loop, .server_url = "unix:///tmp/corral-test.sock",
                                .childlogdir = "/tmp", .identifier = "supervisor" };
        proc_setup(&env);
        ev_timer_init(&tick, on_tick, 0.01, 0.01);
        ev_timer_start(loop, &tick);
        ev_unref(loop);
}

static void
teardown(void)
{
        unlink(logpath);
}

static struct cfg_proc *
mkcfg(const char *name, const char *script)
{
        struct cfg_proc *c = xcalloc(1, sizeof *c);
        c->name = xstrdup(name);
        c->group = xstrdup(name);
        c->program = xstrdup(name);
        c->command = xstrdup(script);
        c->argv = xcalloc(4, sizeof *c->argv);
        c->argv[0] = xstrdup("/bin/sh");
        c->argv[1] = xstrdup("-c");
        c->argv[2] = xstrdup(script);
        c->exec_path = xstrdup("/bin/sh");
        c->umask = -1;
        c->priority = 999;
        c->autostart = true;
        c->startsecs = 1;
        c->startretries = 3;
        c->backoff = (struct cfg_backoff){ .kind = CFG_BACKOFF_EXPONENTIAL, .initial = 1, .max = 60, .factor = 2,
                                           .reset = 60 };
        c->autorestart = CFG_AUTORESTART_UNEXPECTED;
        c->exitcodes[0] = 1;    /* {0} */
        c->stopsignal = SIGTERM;
        c->stopwaitsecs = 10;
        c->pdeathsig = true;
        return c;
}

static void
freecfg(struct cfg_proc *c)
{
        free(c->name);
        free(c->group);
        free(c->program);
        free(c->command);
        strv_free(c->argv);
        strv_free(c->environment);
        free(c->exec_path);
        free(c->directory);
        free(c);
}

/* Run the loop until pred(p) holds or timeout seconds pass. */
static bool
run_until(bool (*pred)(struct proc *), struct proc *p, double timeout)
{
        double end = time_monotonic() + timeout;
        while (!pred(p)) {
                if (time_monotonic() > end)
                        return false;
                ev_run(loop, EVRUN_ONCE);
        }
        return true;
}

static enum proc_state want;
static bool in_want(struct proc *p) { return p->state == want; }
static bool
wait_state(struct proc *p, enum proc_state s, double timeout)
{
        want = s;
        return run_until(in_want, p, timeout);
}


static char *
slurp(const char *path)
{
        FILE *f = fopen(path, "r");
        char *buf = xcalloc(1, 65536);
        if (f) {
                size_t n = fread(buf, 1, 65535, f);
                buf[n] = '\0';
                fclose(f);
        }
        return buf;
}

static bool
log_has(const char *needle)
{
        char *s = slurp(logpath);
        bool r = strstr(s, needle) != NULL;
        free(s);
        return r;
}

#define ck_log(needle) ck_assert_msg(log_has(needle), "log lacks: %s", needle)

/* No child of ours is a zombie (everything was reaped). */
static int
zombies(void)
{
        DIR *d = opendir("/proc");
        struct dirent *e;
        int n = 0;
        char path[300], ppid[32];

        snprintf(ppid, sizeof ppid, "PPid:\t%d\n", (int)getpid());
        while ((e = readdir(d))) {
                if (e->d_name[0] < '0' || e->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
                char *s = slurp(path);
                if (strstr(s, ppid) && strstr(s, "State:\tZ"))
                        n++;
                free(s);
        }
        closedir(d);
        return n;
}

/* No process (live or zombie) has us as its parent. */
static bool
no_children(struct proc *unused)
{
        DIR *d = opendir("/proc");
        struct dirent *e;
        char path[300], ppid[32];
        bool none = true;

        (void)unused;
        snprintf(ppid, sizeof ppid, "PPid:\t%d\n", (int)getpid());
        while (none && (e = readdir(d))) {
                if (e->d_name[0] < '0' || e->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
                char *s = slurp(path);
                none = !strstr(s, ppid);
                free(s);
        }
        closedir(d);
        return none;
}

/* For a test that proves nothing happens: run the loop for secs (the bound: long enough for the
 * thing that must not happen to have happened) and say whether p stayed in state s throughout. */
static bool left_want(struct proc *p) { return p->state != want; }
static bool
stays(struct proc *p, enum proc_state s, double secs)
{
        want = s;
        return !run_until(left_want, p, secs);
}

/* Live members of process group pgid (zombies do not count). */
static int
group_members(pid_t pgid)
{
        DIR *d = opendir("/proc");
        struct dirent *e;
        int n = 0;
        char path[300], buf[512];

        while ((e = readdir(d))) {
                if (e->d_name[0] < '0' || e->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
                FILE *f = fopen(path, "r");
                if (!f)
                        continue;
                size_t len = fread(buf, 1, sizeof buf - 1, f);
                fclose(f);
                buf[len] = '\0';
                char *rp = strrchr(buf, ')');
                char st;
                int ppid, pgrp;
                if (rp && sscanf(rp + 1, " %c %d %d", &st, &ppid, &pgrp) == 3 && st != 'Z' && pgrp == pgid)
                        n++;
        }
        closedir(d);
        return n;
}

/* Wait until process group pgid has at least n live members (a shell has forked its children). */
static pid_t want_pgid;
static int want_members;
static bool group_full(struct proc *p) { (void)p; return group_members(want_pgid) >= want_members; }
static bool
wait_group(pid_t pgid, int n, double timeout)
{
        want_pgid = pgid;
        want_members = n;
        return run_until(group_full, NULL, timeout);
}

static bool no_zombies(struct proc *p) { (void)p; return zombies() == 0; }

/* Records every transition. */
struct rec {
        struct proc_watch w;
        int n;
        enum proc_state seq[64];
};

static void
rec_on_change(struct proc_watch *w, struct proc *p, enum proc_state from, enum proc_state to)
{
        struct rec *r = container_of(w, struct rec, w);
        (void)from;
        ck_assert_int_eq(p->state, to);
        if (r->n < 64)
                r->seq[r->n++] = to;
}

static int
count_in(const struct rec *r, enum proc_state s)
{
        int n = 0;
        for (int i = 0; i < r->n; i++)
                n += r->seq[i] == s;
        return n;
}

/* --- tests ----------------------------------------------------------------------------------- */

START_TEST(test_backoff_to_fatal)
{
        struct cfg_proc *c = mkcfg("quick", "exit 3");
        c->startretries = 1;
        struct proc *p = proc_new(c, NULL);
        struct rec r = { .w.on_change = rec_on_change };
        proc_watch_add(p, &r.w);

        double t0 = time_monotonic();
        ck_assert_int_eq(proc_start(p), FAULT_OK);
        ck_assert(wait_state(p, PROC_FATAL, 10));
        double took = time_monotonic() - t0;
        /* 2 failed starts (startretries+1) separated by a 1 s backoff */
        ck_assert_msg(took >= 0.9 && took < 6, "took %f", took);      /* generous: loaded CI */
        ck_assert_int_eq(count_in(&r, PROC_STARTING), 2);
        ck_assert_int_eq(count_in(&r, PROC_BACKOFF), 2);
        ck_assert_int_eq(r.seq[r.n - 1], PROC_FATAL);
        ck_assert_int_eq(count_in(&r, PROC_RUNNING), 0);
        ck_assert_str_eq(p->spawnerr, "Exited too quickly (process log may have details)");
        ck_assert_int_eq(p->exitstatus, 0);
        ck_assert_int_eq(p->pid, 0);
        ck_assert_int_eq(p->backoff, 0);
        char *d = procinfo_description(p, time_wall());
        ck_assert_str_eq(d, "Exited too quickly (process log may have details)");
        free(d);
        ck_log("spawned: 'quick' with pid ");
        ck_log("exited: quick (exit status 3; not expected)");
        ck_log("gave up: quick entered FATAL state, too many start retries too quickly");
        ck_assert_int_eq(proc_count_running(), 0);
        ck_assert_int_eq(zombies(), 0);
        /* FATAL can be started again */
        ck_assert_int_eq(proc_stop(p), FAULT_NOT_RUNNING);
        proc_watch_remove(&r.w);
        proc_free(p);
        freecfg(c);
}
END_TEST

START_TEST(test_running_then_exit)
{
        struct cfg_proc *c = mkcfg("exit5", "sleep 0.3; exit 5");
        c->startsecs = 0;
        c->autorestart = CFG_AUTORESTART_NEVER;
        struct proc *p = proc_new(c, NULL);
        char *d = procinfo_description(p, time_wall());
        ck_assert_str_eq(d, "Not started");
        free(d);

        ck_assert_int_eq(proc_start(p), FAULT_OK);
        /* startsecs=0: RUNNING at once */
        ck_assert_int_eq(p->state, PROC_RUNNING);
        ck_assert_int_gt(p->pid, 0);
        ck_assert_ptr_eq(proc_by_pid(p->pid), p);
        ck_assert_int_eq(proc_start(p), FAULT_ALREADY_STARTED);
        d = procinfo_description(p, p->start_time + 3);
        char want_d[64];
        snprintf(want_d, sizeof want_d, "pid %d, uptime 0:00:03", (int)p->pid);
        ck_assert_str_eq(d, want_d);
        free(d);
        pid_t pid = p->pid;

        ck_assert(wait_state(p, PROC_EXITED, 5));
        ck_assert_ptr_null(proc_by_pid(pid));
        ck_assert_int_eq(p->exitstatus, 5);
        ck_assert_str_eq(p->spawnerr, "Bad exit code 5");
        ck_assert(p->stop_time >= p->start_time);
        ck_log("success: exit5 entered RUNNING state, process has stayed up for > than 0 seconds (startsecs)");
        ck_log("exited: exit5 (exit status 5; not expected)");
        /* EXITED shows the stop time, not the spawnerr */
        d = procinfo_description(p, time_wall());
        ck_assert(strlen(d) > 10 && (strstr(d, " AM") || strstr(d, " PM")));
        free(d);
        /* autorestart=false: it stays EXITED (a restart would come on the next iteration) */
        ck_assert(stays(p, PROC_EXITED, 0.3));
        ck_assert_int_eq(p->state, PROC_EXITED);
        ck_assert_int_eq(zombies(), 0);
        proc_free(p);
        freecfg(c);
}
END_TEST

START_TEST(test_startsecs_strict)
{
        struct cfg_proc *c = mkcfg("slow", "exec sleep 100");
        struct proc *p = proc_new(c, NULL);
        ck_assert_int_eq(proc_start(p), FAULT_OK);
        track(p->pid);
        ck_assert_int_eq(p->state, PROC_STARTING);
        ck_assert(wait_state(p, PROC_RUNNING, 5));
        ck_assert_msg(time_monotonic() - p->start_mono > 1.0, "RUNNING after %f s",
                      time_monotonic() - p->start_mono);
        ck_log("success: slow entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)");

        pid_t pid = p->pid;
        ck_assert_int_eq(getpgid(pid), pid);   /* own process group (setsid) */
        ck_assert_int_eq(getsid(pid), pid);
        ck_assert_int_eq(proc_stop(p), FAULT_OK);
        ck_assert_int_eq(p->state, PROC_STOPPING);
        ck_assert_int_eq(proc_stop(p), FAULT_NOT_RUNNING);
        ck_assert(wait_state(p, PROC_STOPPED, 5));
        ck_assert_int_eq(p->exitstatus, -1);
        ck_log("stopped: slow (terminated by SIGTERM)");
        ck_assert_int_eq(kill(pid, 0), -1);
        ck_assert_int_eq(zombies(), 0);
        proc_free(p);
        freecfg(c);
}
END_TEST

START_TEST(test_exit_in_starting_expected)
{
        /* exits with 0 before startsecs: still a failed start (BACKOFF), like supervisord */
        struct cfg_proc *c = mkcfg("zero", "exit 0");
        c->startretries = 0;
        struct proc *p = proc_new(c, NULL);
        ck_assert_int_eq(proc_start(p), FAULT_OK);
        ck_assert(wait_state(p, PROC_FATAL, 5));
        ck_log("exited: zero (exit status 0; not expected)");
        proc_free(p);
        freecfg(c);
}
END_TEST

START_TEST(test_stop_escalates_and_kills_leftovers)
{
        /* sh ignores TERM; its sleep child (same process group) too */
        struct cfg_proc *c = mkcfg("stubborn", "trap '' TERM; sleep 100; :");
        c->startsecs = 0;
        c->stopwaitsecs = 1;
        struct proc *p = proc_new(c, NULL);
        ck_assert_int_eq(proc_start(p), FAULT_OK);
        ck_assert_int_eq(p->state, PROC_RUNNING);
        pid_t pgid = p->pid;
        track(pgid);
        /* let sh set its trap and fork its sleep */
        ck_assert(wait_group(pgid, 2, 5));

        double t0 = time_monotonic();
        ck_assert_int_eq(proc_stop(p), FAULT_OK);
        ck_assert(wait_state(p, PROC_STOPPED, 5));
        double took = time_monotonic() - t0;
        ck_assert_msg(took >= 0.95 && took < 5, "took %f", took);
        ck_log("waiting for stubborn to stop");
        ck_log("killing 'stubborn' (");
        ck_log(") with SIGKILL");
        ck_log("stopped: stubborn (terminated by SIGKILL)");
        ck_assert(!p->killing);
        /* the grandchild went with it */
        double end = time_monotonic() + 3;
        while (kill(-pgid, 0) == 0 && time_monotonic() < end)
                ev_run(loop, EVRUN_ONCE);
        ck_assert_int_eq(kill(-pgid, 0), -1);
        ck_assert_int_eq(errno, ESRCH);
        ck_assert(run_until(no_zombies, p, 5));
        ck_assert_int_eq(zombies(), 0);
        proc_free(p);
        freecfg(c);
}
END_TEST

START_TEST(test_stop_exits_cleanly)
{
        /* the worker handles TERM itself and exits 0: an expected stop, logged at INFO */
        struct cfg_proc *c = mkcfg("polite", "trap 'exit 0' TERM; sleep 100 & wait");
        c->startsecs = 0;
        struct proc *p = proc_new(c, NULL);
        ck_assert_int_eq(proc_start(p), FAULT_OK);
        pid_t pgid = p->pid;
        track(pgid);
        ck_assert(wait_group(pgid, 2, 5));     /* the trap is set once the sleep is forked */
        ck_assert_int_eq(proc_stop(p), FAULT_OK);
        ck_assert(wait_state(p, PROC_STOPPED, 5));
        ck_assert_int_eq(p->exitstatus, 0);
        ck_log("waiting for polite to stop");
        ck_log("INFO stopped: polite (exit status 0)");
        /* its background sleep did not survive the stop */
        double end = time_monotonic() + 3;
        while (kill(-pgid, 0) == 0 && time_monotonic() < end)
                ev_run(loop, EVRUN_ONCE);
        ck_assert_int_eq(kill(-pgid, 0), -1);
        proc_free(p);
        freecfg(c);
}
END_TEST

START_TEST(test_stopasgroup)
{
        struct cfg_proc *c = mkcfg("grp", "sleep 100 & sleep 100; :");
        c->startsecs = 0;
        c->stopasgroup = c->killasgroup = true;
        struct proc *p = proc_new(c, NULL);
        ck_assert_int_eq(proc_start(p), FAULT_OK);
        pid_t pgid = p->pid;
        track(pgid);
        ck_assert(wait_group(pgid, 3, 5));     /* sh and both sleeps */
        ck_assert_int_eq(proc_stop(p), FAULT_OK);
        ck_assert(wait_state(p, PROC_STOPPED, 5));
        ck_log("stopped: grp (terminated by SIGTERM)");
        double end = time_monotonic() + 3;
        while (kill(-pgid, 0) == 0 && time_monotonic() < end)
                ev_run(loop, EVRUN_ONCE);
        ck_assert_int_eq(kill(-pgid, 0), -1);
        proc_free(p);
        freecfg(c);
}
END_TEST

START_TEST(test_missing_command)
{
        struct cfg_proc *c = mkcfg("missing", "x");
        free(c->exec_path);
        c->exec_path = NULL;
        free(c->argv[0]);
        c->argv[0] = xstrdup("nonexistent-cmd");
        c->startretries = 0;
        struct proc *p = proc_new(c, NULL);
        struct rec r = { .w.on_change = rec_on_change };
        proc_watch_add(p, &r.w);
        ck_assert_int_eq(proc_start(p), FAULT_NO_FILE);
        /* no fork at all; BACKOFF, and with startretries=0 straight on to FATAL */
        ck_assert_int_eq(p->state, PROC_FATAL);
        ck_assert_int_eq(r.n, 3);
        ck_assert_int_eq(r.seq[0], PROC_STARTING);
        ck_assert_int_eq(r.seq[1], PROC_BACKOFF);
        ck_assert_int_eq(r.seq[2], PROC_FATAL);
        ck_assert_str_eq(p->spawnerr, "can't find command 'nonexistent-cmd'");
        ck_log("spawnerr: can't find command 'nonexistent-cmd'");
        char *d = procinfo_description(p, time_wall());
        ck_assert_str_eq(d, "can't find command 'nonexistent-cmd'");
        free(d);
        proc_watch_remove(&r.w);
        proc_watch_remove(&r.w);        /* safe when not linked */
        proc_free(p);

        /* a path that is not executable */
        free(c->exec_path);
        c->exec_path = xstrdup(logpath);        /* mode 0600 */
        c->startretries = 2;
        p = proc_new(c, NULL);
        ck_assert_int_eq(proc_start(p), FAULT_NOT_EXECUTABLE);
        ck_assert_int_eq(p->state, PROC_BACKOFF);
        char msg[128];
        snprintf(msg, sizeof msg, "command at '%s' is not executable", logpath);
        ck_assert_str_eq(p->spawnerr, msg);
        /* BACKOFF → STOPPED on stop, no signal */
        ck_assert_int_eq(proc_stop(p), FAULT_OK);
        ck_assert_int_eq(p->state, PROC_STOPPED);
        ck_assert_int_eq(p->backoff, 0);
        proc_free(p);

        free(c->exec_path);
        c->exec_path = xstrdup("/tmp");
        p = proc_new(c, NULL);
        ck_assert_int_eq(proc_start(p), FAULT_NOT_EXECUTABLE);
        ck_assert_str_eq(p->spawnerr, "command at '/tmp' is a directory");
        proc_free(p);
        freecfg(c);
}
END_TEST

START_TEST(test_exec_side_failure)
{
        /* chdir fails in the child: reported through the errno pipe, deterministic SPAWN_ERROR */
        struct cfg_proc *c = mkcfg("nodir", "exit 0");
        c->directory = xstrdup("/nonexistent/dir");
        struct proc *p = proc_new(c, NULL);
        ck_assert_int_eq(proc_start(p), FAULT_SPAWN_ERROR);
        ck_assert_int_eq(p->state, PROC_BACKOFF);
        ck_assert_int_eq(p->pid, 0);
        ck_assert_str_eq(p->spawnerr, "couldn't chdir to /nonexistent/dir: ENOENT");
        ck_log("spawnerr: couldn't chdir to /nonexistent/dir: ENOENT");
        ck_assert_int_eq(zombies(), 0);
        ck_assert_int_eq(proc_start(p), FAULT_ALREADY_STARTED);
        ck_assert_int_eq(proc_stop(p), FAULT_OK);
        proc_free(p);
        freecfg(c);
}
END_TEST

START_TEST(test_child_is_clean)
{
        struct cfg_proc *c = mkcfg("clean", "x");
        strv_free(c->argv);
        c->argv = xcalloc(3, sizeof *c->argv);
        c->argv[0] = xstrdup("sleep");
        c->argv[1] = xstrdup("100");
        free(c->exec_path);
        c->exec_path = xstrdup("/bin/sleep");
        c->startsecs = 0;
        c->environment = xcalloc(3, sizeof *c->environment);
        c->environment[0] = xstrdup("FOO=bar");
        c->environment[1] = xstrdup("SUPERVISOR_GROUP_NAME=overridden");
        free(c->group);
        c->group = xstrdup("g");

        /* what a daemon typically has: SIGPIPE ignored, a blocked signal, a leaked fd */
        signal(SIGPIPE, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, NULL);
        int leak = open("/dev/null", O_RDONLY);
        ck_assert_int_ge(leak, 3);

        struct proc *p = proc_new(c, NULL);
        ck_assert_int_eq(proc_start(p), FAULT_OK);
        track(p->pid);
        char path[64];
        /* What the worker got is what it has after exec: until then /proc shows the spawning child
         * (with the daemon's environment, and 0..2 once it has closed the rest), so wait for the
         * exec first */
        snprintf(path, sizeof path, "/proc/%d/exe", (int)p->pid);
        char exe[PATH_MAX];
        double exec_by = time_monotonic() + 3;
        for (;;) {
                ssize_t len = readlink(path, exe, sizeof exe - 1);
                exe[len > 0 ? len : 0] = '\0';
                if (len > 6 && strcmp(exe + len - 6, "/sleep") == 0)
                        break;
                ck_assert_msg(time_monotonic() < exec_by, "worker never exec'd sleep (exe %s)", exe);
                usleep(2000);
        }
        snprintf(path, sizeof path, "/proc/%d/status", (int)p->pid);
        char *st = slurp(path);
        ck_assert_msg(strstr(st, "SigBlk:\t0000000000000000"), "%s", st);
        ck_assert_msg(strstr(st, "SigIgn:\t0000000000000000"), "%s", st);
        free(st);

        /* sleep opens (and closes) its libraries and locale files right after exec: poll until
         * it has settled, then only 0..2 may be left */
        snprintf(path, sizeof path, "/proc/%d/fd", (int)p->pid);
        int nfd, maxfd;
        double end = time_monotonic() + 3;
        do {
                DIR *d = opendir(path);
                struct dirent *e;
                nfd = 0;
                maxfd = -1;
                while ((e = readdir(d)))
                        if (e->d_name[0] != '.') {
                                int fd = atoi(e->d_name);
                                maxfd = fd > maxfd ? fd : maxfd;
                                nfd++;
                        }
                closedir(d);
                if (nfd == 3 && maxfd == 2)
                        break;
                usleep(10000);
        } while (time_monotonic() < end);
        ck_assert_int_eq(nfd, 3);
        ck_assert_int_eq(maxfd, 2);

        snprintf(path, sizeof path, "/proc/%d/environ", (int)p->pid);
        FILE *f = fopen(path, "r");
        char env[65536];
        size_t n = fread(env, 1, sizeof env - 1, f);
        fclose(f);
        env[n] = '\0';
        for (size_t i = 0; i < n; i++)
                if (!env[i])
                        env[i] = '\n';
        ck_assert(strstr(env, "SUPERVISOR_ENABLED=1\n"));
        ck_assert(strstr(env, "SUPERVISOR_PROCESS_NAME=clean\n"));
        ck_assert(strstr(env, "SUPERVISOR_GROUP_NAME=overridden\n"));
        ck_assert(!strstr(env, "SUPERVISOR_GROUP_NAME=g\n"));
        ck_assert(strstr(env, "SUPERVISOR_SERVER_URL=unix:///tmp/corral-test.sock\n"));
        ck_assert(strstr(env, "FOO=bar\n"));

        char *ns = procinfo_namespec(p);
        ck_assert_str_eq(ns, "g:clean");
        free(ns);
        ck_assert_int_eq(proc_stop(p), FAULT_OK);
        ck_assert(wait_state(p, PROC_STOPPED, 5));
        close(leak);
        proc_free(p);
        freecfg(c);
}
END_TEST

START_TEST(test_autorestart_and_suppression)
{
        struct cfg_proc *c = mkcfg("again", "exit 0");
        c->startsecs = 0;
        c->autorestart = CFG_AUTORESTART_ALWAYS;
        struct proc *p = proc_new(c, NULL);
        struct rec r = { .w.on_change = rec_on_change };
        proc_watch_add(p, &r.w);
        ck_assert_int_eq(proc_start(p), FAULT_OK);
        /* restarts by itself */
        double end = time_monotonic() + 5;
        while (count_in(&r, PROC_STARTING) < 3 && time_monotonic() < end)
                ev_run(loop, EVRUN_ONCE);
        ck_assert_int_ge(count_in(&r, PROC_STARTING), 3);
        ck_log("exited: again (exit status 0; expected)");
        proc_set_autorestart(false);
        ck_assert(wait_state(p, PROC_EXITED, 5));
        int n = count_in(&r, PROC_STARTING);
        /* no restart while suppressed (an allowed one would come on the next iteration) */
        ck_assert(stays(p, PROC_EXITED, 0.3));
        ck_assert_int_eq(count_in(&r, PROC_STARTING), n);
        ck_assert_int_eq(p->state, PROC_EXITED);
        /* the start that fell due happens once automatic starts are back */
        proc_set_autorestart(true);
        ck_assert_int_eq(count_in(&r, PROC_STARTING), n + 1);
        proc_set_autorestart(false);
        ck_assert(wait_state(p, PROC_EXITED, 5));
        proc_watch_remove(&r.w);
        proc_free(p);
        freecfg(c);
}
END_TEST

START_TEST(test_backoff_held_back)
{
        struct cfg_proc *c = mkcfg("held", "exit 1");
        struct proc *p = proc_new(c, NULL);
        ck_assert_int_eq(proc_start(p), FAULT_OK);
        ck_assert(wait_state(p, PROC_BACKOFF, 5));
        proc_set_autorestart(false);
        /* the 1 s retry falls due but does not happen (bounded just past it) */
        ck_assert(stays(p, PROC_BACKOFF, 1.3));
        ck_assert_int_eq(p->state, PROC_BACKOFF);
        ck_assert_int_eq(p->backoff, 1);
        proc_set_autorestart(true);
        ck_assert(p->state == PROC_STARTING || p->state == PROC_BACKOFF);
        ck_assert(wait_state(p, PROC_BACKOFF, 5));
        ck_assert_int_eq(p->backoff, 2);
        ck_assert_int_eq(proc_stop(p), FAULT_OK);
        ck_assert_int_eq(p->state, PROC_STOPPED);
        proc_free(p);
        freecfg(c);
}
END_TEST

START_TEST(test_signal)
{
        struct cfg_proc *c = mkcfg("sig", "exec sleep 100");
        c->startsecs = 0;
        c->autorestart = CFG_AUTORESTART_NEVER;
        struct proc *p = proc_new(c, NULL);
        ck_assert_int_eq(proc_signal(p, SIGUSR1), FAULT_NOT_RUNNING);
        ck_assert_int_eq(proc_start(p), FAULT_OK);
        track(p->pid);
        ck_assert_int_eq(proc_signal(p, SIGKILL), FAULT_OK);
        ck_assert_int_eq(p->state, PROC_RUNNING);
        ck_assert(wait_state(p, PROC_EXITED, 5));
        ck_assert_int_eq(p->exitstatus, -1);
        ck_assert_str_eq(p->spawnerr, "Bad exit code -1");
        ck_log("exited: sig (terminated by SIGKILL; not expected)");
        proc_free(p);
        freecfg(c);
}
END_TEST

START_TEST(test_many_and_orphans)
{
        enum { N = 40 };
        struct cfg_proc *c[N];
        struct proc *p[N];
        char name[16];

        for (int i = 0; i < N; i++) {
                snprintf(name, sizeof name, "m%02d", i);
                /* each leaves an orphan behind (reparented to us as subreaper) */
                c[i] = mkcfg(name, "sleep 0.2 & exit 0");
                c[i]->startsecs = 0;
                c[i]->autorestart = CFG_AUTORESTART_NEVER;
                p[i] = proc_new(c[i], NULL);
                ck_assert_int_eq(proc_start(p[i]), FAULT_OK);
        }
        ck_assert_int_eq(proc_count_running(), N);
        for (int i = 0; i < N; i++)
                ck_assert(wait_state(p[i], PROC_EXITED, 5));
        ck_assert_int_eq(proc_count_running(), 0);
        /* the orphans exit and are reaped as unknown pids */
        ck_assert(run_until(no_children, NULL, 10));
        ck_assert_int_eq(zombies(), 0);
        errno = 0;
        ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
        ck_assert_int_eq(errno, ECHILD);
        for (int i = 0; i < N; i++) {
                proc_free(p[i]);
                freecfg(c[i]);
        }
}
END_TEST

/* Our zombie children right now: only our own children, from the kernel's list (cheap enough to
 * run on every loop iteration). */
static int
child_zombies(void)
{
        char path[64], *list, *s, *end;
        int n = 0;

        snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
        list = slurp(path);
        for (s = list;; s = end) {
                long pid = strtol(s, &end, 10);
                if (end == s)
                        break;
                snprintf(path, sizeof path, "/proc/%ld/stat", pid);
                char *st = slurp(path), *rp = strrchr(st, ')');
                n += rp && rp[1] == ' ' && rp[2] == 'Z';
                free(st);
        }
        free(list);
        return n;
}

static int storm_zmax, storm_samples;

static void
on_storm_check(struct ev_loop *l, ev_check *w, int revents)
{
        (void)l; (void)w; (void)revents;
        int z = child_zombies();
        if (z > storm_zmax)
                storm_zmax = z;
        storm_samples++;
}

struct starts {
        struct proc_watch w;
        int n;
};

static void
count_starts(struct proc_watch *w, struct proc *p, enum proc_state from, enum proc_state to)
{
        (void)p; (void)from;
        if (to == PROC_STARTING)
                container_of(w, struct starts, w)->n++;
}

START_TEST(test_crash_storm_reaps_first)
{
        /* 30 workers that exit at once, restarted at once (startsecs=0): every exit that has
         * happened is reaped before the next spawn, so zombies never pile up (sampled after every
         * poll, i.e. just before the reaping of that iteration). Spawning all the restarts from
         * the reap callback would let most of the storm lie dead meanwhile. */
        enum { N = 30, ROUNDS = 6 };
        struct cfg_proc *c[N];
        struct proc *p[N];
        struct starts st[N];
        char name[16];
        ev_check chk;

        storm_zmax = storm_samples = 0;
        ev_check_init(&chk, on_storm_check);
        ev_check_start(loop, &chk);
        ev_unref(loop);
        for (int i = 0; i < N; i++) {
                snprintf(name, sizeof name, "s%02d", i);
                c[i] = mkcfg(name, "exit 1");
                c[i]->startsecs = 0;
                c[i]->autorestart = CFG_AUTORESTART_ALWAYS;
                c[i]->backoff.reset = 0;        /* supervisord's restart at once: the storm */
                p[i] = proc_new(c[i], NULL);
                st[i] = (struct starts){ .w.on_change = count_starts };
                proc_watch_add(p[i], &st[i].w);
        }
        for (int i = 0; i < N; i++)
                ck_assert_int_eq(proc_start(p[i]), FAULT_OK);
        double end = time_monotonic() + 30;
        for (int done = 0; !done && time_monotonic() < end;) {
                ev_run(loop, EVRUN_ONCE);
                done = 1;
                for (int i = 0; i < N; i++)
                        done &= st[i].n >= ROUNDS;
        }
        for (int i = 0; i < N; i++)
                ck_assert_int_ge(st[i].n, ROUNDS);
        proc_set_autorestart(false);
        for (int i = 0; i < N; i++)
                ck_assert(wait_state(p[i], PROC_EXITED, 5));
        ev_ref(loop);
        ev_check_stop(loop, &chk);
        ck_assert_int_gt(storm_samples, N * ROUNDS / 2);
        ck_assert_msg(storm_zmax <= 4, "%d zombies at once", storm_zmax);
        /* held back, not lost: one more start each when automatic starts are back */
        int before[N];
        for (int i = 0; i < N; i++)
                before[i] = st[i].n;
        proc_set_autorestart(true);
        proc_set_autorestart(false);
        for (int i = 0; i < N; i++)
                ck_assert_int_eq(st[i].n, before[i] + 1);
        ck_assert(run_until(no_children, NULL, 10));
        for (int i = 0; i < N; i++) {
                proc_watch_remove(&st[i].w);
                proc_free(p[i]);
                freecfg(c[i]);
        }
        proc_set_autorestart(true);
}
END_TEST

static bool is_exited(struct proc *p) { return p->state == PROC_EXITED; }

START_TEST(test_restart_queue)
{
        /* The automatic restart waits for the next loop iteration: in between the process is
         * EXITED, an explicit start takes it out of the queue (one start, not two), and a process
         * freed while queued is simply gone. */
        struct cfg_proc *c = mkcfg("q", "exit 3");
        c->startsecs = 0;
        c->autorestart = CFG_AUTORESTART_ALWAYS;
        c->backoff.reset = 0;           /* supervisord's restart at once, through the queue */
        struct proc *p = proc_new(c, NULL);
        struct starts st = { .w.on_change = count_starts };
        proc_watch_add(p, &st.w);
        ck_assert_int_eq(proc_start(p), FAULT_OK);
        ck_assert(run_until(is_exited, p, 5));
        ck_assert_int_eq(st.n, 1);
        ck_assert_int_eq(proc_start(p), FAULT_OK);
        ck_assert_int_eq(st.n, 2);
        ck_assert(run_until(is_exited, p, 5));
        ck_assert_int_eq(st.n, 2);
        ck_assert_int_eq(proc_count_running(), 0);
        /* queued now; the next iteration starts it */
        ev_run(loop, EVRUN_ONCE);
        ck_assert_int_eq(st.n, 3);
        ck_assert(run_until(is_exited, p, 5));
        proc_watch_remove(&st.w);
        proc_free(p);           /* while queued */
        ck_assert(run_until(no_children, NULL, 10));
        freecfg(c);
}
END_TEST

static bool is_backoff(struct proc *p) { return p->state == PROC_BACKOFF; }
static bool is_starting_again(struct proc *p) { return p->state != PROC_BACKOFF; }

START_TEST(test_restart_delayed_after_short_run)
{
        /* A crash sooner than backoff_reset after RUNNING waits the next delay in BACKOFF (shown
         * with its retry), counts no failed start, and a stop there ends it. */
        struct cfg_proc *c = mkcfg("d", "exit 3");
        c->startsecs = 0;
        c->startretries = 0;            /* would be FATAL at once if these counted as failed starts */
        c->backoff.initial = 0.2;
        struct proc *p = proc_new(c, NULL);
        struct starts st = { .w.on_change = count_starts };
        proc_watch_add(p, &st.w);
        ck_assert_int_eq(proc_start(p), FAULT_OK);
        ck_assert(run_until(is_backoff, p, 5));
        ck_assert_uint_eq(p->backoff_step, 1);
        char *d = procinfo_description(p, time_wall());
        ck_assert_msg(!strcmp(d, "Bad exit code 3; retry 1 in 0.2 s") || !strcmp(d, "Bad exit code 3; retry 1 in 0.1 s"),
                      "%s", d);
        free(d);
        double t0 = time_monotonic();
        ck_assert(run_until(is_starting_again, p, 5));
        double took = time_monotonic() - t0;
        ck_assert_msg(took > 0.15 && took < 1, "took %f", took);
        ck_assert(run_until(is_backoff, p, 5));
        ck_assert_uint_eq(p->backoff_step, 2);          /* the next delay: 0.4 s */
        ck_assert_double_eq_tol(p->retry_mono - time_monotonic(), 0.4, 0.1);
        ck_assert_int_eq(p->backoff, 0);
        ck_assert_int_eq(proc_stop(p), FAULT_OK);
        ck_assert_int_eq(p->state, PROC_STOPPED);
        ck_assert_uint_eq(p->backoff_step, 0);
        ck_assert_int_eq(st.n, 2);
        proc_watch_remove(&st.w);
        proc_free(p);
        ck_assert(run_until(no_children, NULL, 10));
        freecfg(c);
}
END_TEST

static bool is_running(struct proc *p) { return p->state == PROC_RUNNING; }
static bool is_backoff_r(struct proc *p) { return p->state == PROC_BACKOFF; }

START_TEST(test_ready_notify_in_the_state_table)
{
        /* ready=notify: STARTING until READY=1 from the worker's pid (startsecs=0 does not apply);
         * a datagram from a pid that is none of the worker's is ignored; STATUS shows in the
         * description. Then a worker that never says it times out into BACKOFF with its reason. */
        struct cfg_proc *c = mkcfg("n", "exec sleep 30");
        c->startsecs = 0;
        c->ready = (struct cfg_ready){ .kind = CFG_READY_NOTIFY, .timeout = 0.2, .interval = 1 };
        struct proc *p = proc_new(c, NULL);
        ck_assert_int_eq(proc_start(p), FAULT_OK);
        ck_assert_int_eq(p->state, PROC_STARTING);
        track(p->pid);
        for (int i = 0; i < 5; i++)
                ev_run(loop, EVRUN_NOWAIT);
        ck_assert_int_eq(p->state, PROC_STARTING);
        notify_datagram(getpid(), "READY=1", 7);        /* us: not the worker, not its group */
        ck_assert_int_eq(p->state, PROC_STARTING);
        notify_datagram(p->pid, "STATUS=warming\n", 15);
        char *d = procinfo_description(p, time_wall());
        ck_assert_str_eq(d, "warming");
        free(d);
        notify_datagram(p->pid, "READY=1\nSTATUS=up", 17);
        ck_assert_int_eq(p->state, PROC_RUNNING);
        ck_assert_int_eq(p->backoff, 0);
        d = procinfo_description(p, time_wall());
        ck_assert_msg(strstr(d, "pid ") == d && strstr(d, "; up"), "%s", d);
        free(d);
        ck_assert(run_until(is_running, p, 1));
        ck_assert_int_eq(proc_stop(p), FAULT_OK);
        ck_assert(wait_state(p, PROC_STOPPED, 5));
        d = procinfo_description(p, time_wall());
        ck_assert_ptr_null(strchr(d, ';'));             /* STATUS went with the process */
        free(d);
        /* never ready: killed after ready_timeout, a failed start */
        ck_assert_int_eq(proc_start(p), FAULT_OK);
        track(p->pid);
        double t0 = time_monotonic();
        ck_assert(run_until(is_backoff_r, p, 5));
        ck_assert_msg(time_monotonic() - t0 >= 0.19, "after %f s", time_monotonic() - t0);
        ck_assert_int_eq(p->backoff, 1);
        ck_assert_str_eq(p->spawnerr, "Not ready within 0.2 s (ready_timeout)");
        ck_assert_int_eq(proc_stop(p), FAULT_OK);
        proc_free(p);
        ck_assert(run_until(no_children, NULL, 10));
        freecfg(c);
}
END_TEST

/* A watcher that frees the process from inside the callback. */
static void
free_on_change(struct proc_watch *w, struct proc *p, enum proc_state from, enum proc_state to)
{
        (void)w; (void)from;
        if (to == PROC_BACKOFF)
                proc_free(p);
}

START_TEST(test_free_from_watcher)
{
        struct cfg_proc *c = mkcfg("gone", "x");
        free(c->exec_path);
        c->exec_path = NULL;
        struct proc *p = proc_new(c, NULL);
        struct proc_watch w = { .on_change = free_on_change };
        proc_watch_add(p, &w);
        /* goes STARTING → BACKOFF inside proc_start; the watcher frees it there (deferred) */
        ck_assert_int_eq(proc_start(p), FAULT_NO_FILE);
        ck_assert_ptr_null(w.proc);
        freecfg(c);
}
END_TEST

/* procinfo_description only formats: pose the process in each state directly (proc.h makes state
 * const so that nothing but proc_set_state changes it in the daemon). */
static void
pose_state(struct proc *p, enum proc_state s)
{
        *(enum proc_state *)&p->state = s;
}

START_TEST(test_description_formats)
{
        struct cfg_proc *c = mkcfg("d", "x");
        struct proc *p = proc_new(c, NULL);
        char *d;

        pose_state(p, PROC_RUNNING);
        p->pid = 42;
        p->start_time = 1000000.7;
        d = procinfo_description(p, 1000000.7 + 86400 + 3661);
        ck_assert_str_eq(d, "pid 42, uptime 1 day, 1:01:01");
        free(d);
        d = procinfo_description(p, 1000000.0 + 3 * 86400 + 1);
        ck_assert_str_eq(d, "pid 42, uptime 3 days, 0:00:01");
        free(d);
        d = procinfo_description(p, 1000000.0 + 36000 + 59);
        ck_assert_str_eq(d, "pid 42, uptime 10:00:59");
        free(d);
        d = procinfo_description(p, 10);
        ck_assert_str_eq(d, "pid 42, uptime 0:00:00");
        free(d);
        pose_state(p, PROC_FATAL);
        d = procinfo_description(p, 0);
        ck_assert_str_eq(d, "unknown error (try \"tail d\")");
        free(d);
        pose_state(p, PROC_STOPPING);
        d = procinfo_description(p, 0);
        ck_assert_str_eq(d, "");
        free(d);
        pose_state(p, PROC_STOPPED);
        setenv("TZ", "UTC", 1);
        tzset();
        p->stop_time = 1795861200;      /* 2026-11-28 10:20:00 UTC */
        d = procinfo_description(p, 0);
        ck_assert_str_eq(d, "Nov 28 10:20 AM");
        free(d);
        p->start_time = 0;
        d = procinfo_description(p, 0);
        ck_assert_str_eq(d, "Not started");
        free(d);
        pose_state(p, PROC_STOPPED);
        p->pid = 0;
        proc_free(p);
        freecfg(c);
}
END_TEST

START_TEST(test_procinfo_snapshot)
{
        struct cfg_proc *c = mkcfg("snap", "x");
        free(c->group);
        c->group = xstrdup("g");
        struct proc *p = proc_new(c, NULL);
        p->start_time = -1e12;                  /* the wire's ints are 32 bits: clamped */
        p->stop_time = 1e12;
        p->exitstatus = 3;
        struct procinfo pi;
        procinfo_init(&pi, p, 0.0 / 0.0);       /* NaN is 0 */
        ck_assert_str_eq(pi.name, "snap");
        ck_assert_str_eq(pi.group, "g");
        ck_assert_str_eq(pi.namespec, "g:snap");
        ck_assert_int_eq(pi.state, 0);
        ck_assert_str_eq(pi.statename, "STOPPED");
        ck_assert_int_eq(pi.pid, 0);
        ck_assert_int_eq(pi.start, INT32_MIN);
        ck_assert_int_eq(pi.stop, INT32_MAX);
        ck_assert_int_eq(pi.now, 0);
        ck_assert_int_eq(pi.exitstatus, 3);
        ck_assert_str_eq(pi.spawnerr, "");
        ck_assert_str_eq(pi.stdout_logfile, "");        /* NONE (a path: check_api_json) */
        ck_assert_str_eq(pi.stderr_logfile, "");
        procinfo_fini(&pi);
        ck_assert_ptr_null(pi.namespec);
        proc_free(p);
        freecfg(c);
}
END_TEST

Suite *
unit_suite(void)
{
        Suite *s = suite_create("proc");
        TCase *tc = tcase_create("lifecycle");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 20);
        tcase_add_test(tc, test_backoff_to_fatal);
        tcase_add_test(tc, test_running_then_exit);
        tcase_add_test(tc, test_startsecs_strict);
        tcase_add_test(tc, test_exit_in_starting_expected);
        tcase_add_test(tc, test_autorestart_and_suppression);
        tcase_add_test(tc, test_signal);
        tcase_add_test(tc, test_backoff_held_back);
        tcase_add_test(tc, test_restart_delayed_after_short_run);
        tcase_add_test(tc, test_ready_notify_in_the_state_table);
        suite_add_tcase(s, tc);

        tc = tcase_create("stop");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 20);
        tcase_add_test(tc, test_stop_escalates_and_kills_leftovers);
        tcase_add_test(tc, test_stopasgroup);
        tcase_add_test(tc, test_stop_exits_cleanly);
        suite_add_tcase(s, tc);

        tc = tcase_create("spawn");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 20);
        tcase_add_test(tc, test_missing_command);
        tcase_add_test(tc, test_exec_side_failure);
        tcase_add_test(tc, test_child_is_clean);
        tcase_add_test(tc, test_many_and_orphans);
        tcase_add_test(tc, test_crash_storm_reaps_first);
        tcase_add_test(tc, test_restart_queue);
        tcase_add_test(tc, test_free_from_watcher);
        suite_add_tcase(s, tc);

        tc = tcase_create("describe");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_description_formats);
        tcase_add_test(tc, test_procinfo_snapshot);
        suite_add_tcase(s, tc);
        return s;
}
