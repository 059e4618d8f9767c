/* SPDX-License-Identifier: MIT */
/* spawn — fork, child setup and exec of one worker (STYLE.md §5 "In the child"). */
#include "core/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "shared/util.h"

extern char **environ;

/* Where the child gave up; travels to the parent with the errno. */
enum stage {
        STAGE_SETSID,
        STAGE_FDS,
        STAGE_CHDIR,
        STAGE_SETGID,
        STAGE_SETGROUPS,
        STAGE_SETUID,
        STAGE_PDEATHSIG,
        STAGE_PARENT_GONE,
        STAGE_EXEC,
};

struct child_report {
        int stage;
        int err;
};

/* What the child gets. It runs on its own stack in the parent's memory (CLONE_VM) while the parent
 * is suspended (CLONE_VFORK), reads only this and what it points to, and writes only rep. */
struct child_args {
        const struct spawn_spec *spec;
        char *const *envp;
        pid_t parent;
        int fds[3];                     /* the child's stdin/stdout/stderr, as it finds them */
        int ready_fd;                   /* ready_fd_at > 0: the notification fd, as it finds it */
        int keep;                       /* > 0: the fd table is shared, keep only fds below keep */
        volatile struct child_report rep;       /* stage -1: no failure (exec succeeded) */
};

/* The child's stack: mapped once, reused by every spawn (spawns never overlap: the parent is
 * suspended until the child has exec'd or exited). Only the pages the child touches are ever
 * resident. */
#define CHILD_STACK_SIZE (256 * 1024)

/* The fd table. Exec closes every O_CLOEXEC fd one by one, and the supervisor holds ~5 per
 * program: with a private copy of our table each spawn would cost O(N) (copy, then N closes before
 * the worker's first instruction). Instead the child shares our table (CLONE_FILES) and replaces
 * it at once with a private copy of its low end only (close_range(keep, ~0U, CLOSE_RANGE_UNSHARE),
 * O(keep)). What it needs must therefore sit below keep: three low slots reserved once (dups of
 * /dev/null, O_CLOEXEC) into which the parent dup3s the child's ends just before the clone, and
 * back to /dev/null just after. */
static struct {
        bool tried, ok;
        int null, slot[3], keep;
} R;

static bool
slots_init(void)
{
        if (R.tried)
                return R.ok;
        R.tried = true;
        int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return false;
        R.null = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        close(fd);
        if (R.null < 0)
                return false;
        R.keep = R.null + 1;
        for (int i = 0; i < 3; i++) {
                R.slot[i] = fcntl(R.null, F_DUPFD_CLOEXEC, 3);
                if (R.slot[i] < 0) {
                        while (i-- > 0)
                                close(R.slot[i]);
                        close(R.null);
                        return false;
                }
                if (R.slot[i] + 1 > R.keep)
                        R.keep = R.slot[i] + 1;
        }
        R.ok = true;
        return true;
}

/* Python's repr() of a plain string, as supervisord puts it in messages: 'x', or "x'y". */
static char *
pyrepr(const char *s)
{
        char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
        return xasprintf("%c%s%c", q, s, q);
}

static const char *
errname(int err)
{
        const char *n = strerrorname_np(err);
        return n ? n : "EUNKNOWN";
}

enum fault
spawn_check(const struct cfg_proc *cfg, char **ret_msg)
{
        struct stat st;
        char *r;

        *ret_msg = NULL;
        if (!cfg->argv || !cfg->argv[0]) {
                *ret_msg = xstrdup("command is empty");
                return FAULT_NOT_EXECUTABLE;
        }
        if (!cfg->exec_path || stat(cfg->exec_path, &st) < 0) {
                r = pyrepr(cfg->exec_path ? cfg->exec_path : cfg->argv[0]);
                *ret_msg = xasprintf("can't find command %s", r);
                free(r);
                return FAULT_NO_FILE;
        }
        r = pyrepr(cfg->exec_path);
        if (S_ISDIR(st.st_mode))
                *ret_msg = xasprintf("command at %s is a directory", r);
        else if (!(st.st_mode & 0111))
                *ret_msg = xasprintf("command at %s is not executable", r);
        else if (access(cfg->exec_path, X_OK) < 0)
                *ret_msg = xasprintf("no permission to run command %s", r);
        free(r);
        return *ret_msg ? FAULT_NOT_EXECUTABLE : FAULT_OK;
}

/* Set "KEY=value" in v (n entries used), replacing an entry with the same KEY in place. */
static void
env_put(char ***v, size_t *n, size_t *cap, char *kv)
{
        const char *eq = strchr(kv, '=');
        size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);

        for (size_t i = 0; i < *n; i++)
                if (!strncmp((*v)[i], kv, klen) && ((*v)[i][klen] == '=' || (*v)[i][klen] == '\0')) {
                        free((*v)[i]);
                        (*v)[i] = kv;
                        return;
                }
        if (*n + 2 > *cap) {
                *cap = *cap ? *cap * 2 : 64;
                *v = xrealloc(*v, *cap * sizeof **v);
        }
        (*v)[(*n)++] = kv;
        (*v)[*n] = NULL;
}

char **
spawn_build_env(char *const *base, const struct cfg_proc *cfg, const char *server_url)
{
        char **v = NULL;
        size_t n = 0, cap = 0;
        const char *url = cfg->serverurl ? cfg->serverurl : server_url;

        if (!base)
                base = environ;
        for (size_t i = 0; base && base[i]; i++)
                env_put(&v, &n, &cap, xstrdup(base[i]));
        env_put(&v, &n, &cap, xstrdup("SUPERVISOR_ENABLED=1"));
        if (url && *url)
                env_put(&v, &n, &cap, xasprintf("SUPERVISOR_SERVER_URL=%s", url));
        env_put(&v, &n, &cap, xasprintf("SUPERVISOR_PROCESS_NAME=%s", cfg->name));
        if (cfg->group)
                env_put(&v, &n, &cap, xasprintf("SUPERVISOR_GROUP_NAME=%s", cfg->group));
        for (size_t i = 0; cfg->environment && cfg->environment[i]; i++)
                env_put(&v, &n, &cap, xstrdup(cfg->environment[i]));
        if (!v)
                v = xcalloc(1, sizeof *v);
        return v;
}

/* --- the child: async-signal-safe calls only, no allocation ---------------------------------- */

static void
child_say(const char *a, const char *b, const char *c)
{
        /* supervisord writes its child-side failures to the worker's stderr (the process log) */
        const char *parts[] = { "supervisor: couldn't ", a, b, ": ", c, "\n" };
        for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
                if (parts[i])
                        (void)!write(STDERR_FILENO, parts[i], strlen(parts[i]));
}

static _Noreturn void
child_fail(struct child_args *a, enum stage stage, int err)
{
        const struct spawn_spec *spec = a->spec;
        const char *en = strerrorname_np(err);

        a->rep.err = err;
        a->rep.stage = (int)stage;
        if (stage == STAGE_EXEC)
                child_say("exec ", spec->cfg->argv[0], en ? en : "?");
        else if (stage == STAGE_CHDIR)
                child_say("chdir to ", spec->cfg->directory, en ? en : "?");
        _exit(err == EACCES || err == EPERM ? 126 : 127);
}

static int
child_run(void *arg)
{
        struct child_args *a = arg;
        const struct spawn_spec *spec = a->spec;
        const struct cfg_proc *cfg = spec->cfg;
        sigset_t none;
        int tmp[3], rtmp = -1;

        /* First of all, before anything touches an fd: our own table. */
        if (a->keep > 0 && close_range((unsigned)a->keep, ~0U, CLOSE_RANGE_UNSHARE) < 0 &&
            unshare(CLONE_FILES) < 0)
                child_fail(a, STAGE_FDS, errno);
        if (setsid() < 0)
                child_fail(a, STAGE_SETSID, errno);

        /* Every disposition back to SIG_DFL: ignored ones because exec keeps them (SIGPIPE above
         * all), handled ones because a handler of the parent must never run here, in the parent's
         * memory. The parent blocked every signal before clone, so none could run before this
         * point; the mask is emptied only afterwards. */
        for (int sig = 1; sig < NSIG; sig++) {
                struct sigaction sa;
                if (sig == SIGKILL || sig == SIGSTOP)
                        continue;
                if (sigaction(sig, NULL, &sa) < 0) {
                        /* glibc refuses its internal signals (32, 33), which an ancestor may
                         * have ignored: reset them with the raw call. An all-zero kernel
                         * sigaction is SIG_DFL, no flags, empty mask, whatever the field order. */
                        unsigned long ksa[4] = { 0 };
                        (void)syscall(SYS_rt_sigaction, sig, ksa, NULL, (size_t)(_NSIG / 8));
                        continue;
                }
                if (sa.sa_handler != SIG_DFL) {
                        sa.sa_handler = SIG_DFL;
                        sa.sa_flags = 0;
                        (void)sigaction(sig, &sa, NULL);
                }
        }
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);

        /* Move the ends above 2 first, so that an end that happens to be 0..2 is not clobbered. */
        for (int i = 0; i < 3; i++) {
                tmp[i] = fcntl(a->fds[i], F_DUPFD_CLOEXEC, 3);
                if (tmp[i] < 0)
                        child_fail(a, STAGE_FDS, errno);
        }
        if (spec->ready_fd_at > 0 && (rtmp = fcntl(a->ready_fd, F_DUPFD_CLOEXEC, 3)) < 0)
                child_fail(a, STAGE_FDS, errno);
        for (int i = 0; i < 3; i++)
                if (dup2(tmp[i], i) < 0)
                        child_fail(a, STAGE_FDS, errno);
        /* Every other fd is O_CLOEXEC from birth; this is the cheap guard (errors ignored on old
         * kernels). The report pipe is CLOEXEC too, so it stays usable until exec. */
        (void)close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
        /* the notification fd, last: dup2 leaves it without O_CLOEXEC (unless it is already there) */
        if (rtmp >= 0) {
                if (rtmp == spec->ready_fd_at ? fcntl(rtmp, F_SETFD, 0) < 0
                                              : dup2(rtmp, spec->ready_fd_at) < 0)
                        child_fail(a, STAGE_FDS, errno);
        }

        if (cfg->umask >= 0)
                umask((mode_t)cfg->umask);
        if (cfg->directory && chdir(cfg->directory) < 0)
                child_fail(a, STAGE_CHDIR, errno);
        if (cfg->has_uid && cfg->uid != getuid()) {
                if (setgid(cfg->gid) < 0)
                        child_fail(a, STAGE_SETGID, errno);
                if (setgroups((size_t)(cfg->ngroups > 0 ? cfg->ngroups : 0), cfg->groups) < 0)
                        child_fail(a, STAGE_SETGROUPS, errno);
                if (setuid(cfg->uid) < 0)
                        child_fail(a, STAGE_SETUID, errno);
        }
        /* After setuid: a credential change clears the parent-death signal. */
        if (cfg->pdeathsig) {
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                        child_fail(a, STAGE_PDEATHSIG, errno);
                if (getppid() != a->parent)
                        child_fail(a, STAGE_PARENT_GONE, ESRCH);
        }
        execve(cfg->exec_path, cfg->argv, a->envp);
        child_fail(a, STAGE_EXEC, errno);
}

/* --- the parent ------------------------------------------------------------------------------ */

static char *
stage_msg(const struct cfg_proc *cfg, const struct child_report *r)
{
        const char *en = errname(r->err);
        switch (r->stage) {
        case STAGE_SETSID:
                return xasprintf("couldn't setsid: %s", en);
        case STAGE_FDS:
                return xasprintf("couldn't set up stdio: %s", en);
        case STAGE_CHDIR:
                return xasprintf("couldn't chdir to %s: %s", cfg->directory, en);
        case STAGE_SETGID:
                return xasprintf("couldn't setgid to %u: %s", (unsigned)cfg->gid, en);
        case STAGE_SETGROUPS:
                return xasprintf("couldn't setgroups for uid %u: %s", (unsigned)cfg->uid, en);
        case STAGE_SETUID:
                return xasprintf("couldn't setuid to %u: %s", (unsigned)cfg->uid, en);
        case STAGE_PDEATHSIG:
                return xasprintf("couldn't set the parent-death signal: %s", en);
        case STAGE_PARENT_GONE:
                return xstrdup("supervisor went away before exec");
        case STAGE_EXEC:
        default:
                return xasprintf("couldn't exec %s: %s", cfg->argv[0], en);
        }
}

static void *
child_stack(void)
{
        static void *stack;

        if (!stack) {
                void *m = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
                if (m == MAP_FAILED)
                        return NULL;
                stack = m;
        }
        return (char *)stack + CHILD_STACK_SIZE;        /* stacks grow down on every Linux arch we build for */
}

pid_t
spawn_process(const struct spawn_spec *spec, enum fault *ret_fault, char **ret_msg)
{
        const struct cfg_proc *cfg = spec->cfg;
        struct child_args args = { .spec = spec, .parent = getpid(), .rep = { .stage = -1 } };
        struct child_report rep;
        sigset_t all, old;
        char **envp;
        void *stack;
        pid_t pid;
        int clone_err;

        *ret_msg = NULL;
        *ret_fault = spawn_check(cfg, ret_msg);
        if (*ret_fault != FAULT_OK)
                return 0;
        *ret_fault = FAULT_SPAWN_ERROR;
        if (cfg->has_uid && cfg->uid != getuid() && getuid() != 0) {
                *ret_msg = xasprintf("couldn't setuid to %u: Can't drop privilege as nonroot user",
                                     (unsigned)cfg->uid);
                return 0;
        }
        stack = child_stack();
        if (!stack) {
                *ret_msg = xasprintf("unknown error during fork for '%s': %s", cfg->name, errname(errno));
                return 0;
        }
        envp = spawn_build_env(spec->base_env, cfg, spec->server_url);
        if (spec->extra_env) {
                size_t n = 0;
                while (envp[n])
                        n++;
                size_t cap = n + 1;
                env_put(&envp, &n, &cap, xstrdup(spec->extra_env));
        }
        args.envp = envp;
        for (int i = 0; i < 3; i++)
                args.fds[i] = spec->fds[i];
        args.ready_fd = spec->ready_fd;
        if (spec->ready_fd_at <= 0 && slots_init()) {
                int i = 0;
                while (i < 3 && dup3(spec->fds[i], R.slot[i], O_CLOEXEC) >= 0)
                        i++;
                if (i == 3) {
                        for (i = 0; i < 3; i++)
                                args.fds[i] = R.slot[i];
                        args.keep = R.keep;
                }
        }

        /* Like glibc's posix_spawn: the child shares our memory and we sleep until it has exec'd
         * or exited, so neither the page tables are copied nor a status pipe is needed — when
         * clone returns, args.rep says how the child ended. No handler may run in the child
         * before it has reset the dispositions: block everything across the clone. */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pid = clone(child_run, stack, CLONE_VM | CLONE_VFORK | (args.keep > 0 ? CLONE_FILES : 0) | SIGCHLD,
                    &args);
        clone_err = errno;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (R.ok)
                for (int i = 0; i < 3; i++)     /* let go of the child's ends (EOF depends on it) */
                        (void)dup3(R.null, R.slot[i], O_CLOEXEC);
        strv_free(envp);
        if (pid < 0) {
                *ret_msg = clone_err == EAGAIN
                        ? xasprintf("Too many processes in process table to spawn '%s'", cfg->name)
                        : xasprintf("unknown error during fork for '%s': %s", cfg->name, errname(clone_err));
                return 0;
        }
        rep.stage = args.rep.stage;
        rep.err = args.rep.err;
        if (rep.stage < 0) {
                *ret_fault = FAULT_OK;
                return pid;
        }
        /* The child has _exit'ed (or is about to): collect it here so that no exit is ever
         * reported for a pid that never ran the program (libev's waitpid(-1) runs only from the
         * loop). */
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        *ret_msg = stage_msg(cfg, &rep);
        return 0;
}
