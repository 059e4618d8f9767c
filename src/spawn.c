/* SPDX-License-Identifier: MIT */
/* spawn — fork, child setup and exec of one worker (STYLE.md §5 "In the child"). */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfg.h"
#include "util.h"

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

const char *
spawn_signame(int sig)
{
        static char buf[32];
        static char named[64][16];
        const char *ab = sig > 0 ? sigabbrev_np(sig) : NULL;

        if (!ab) {
                snprintf(buf, sizeof buf, "signal %d", sig);
                return buf;
        }
        if (sig < 64) {
                if (!named[sig][0])
                        snprintf(named[sig], sizeof named[sig], "SIG%s", ab);
                return named[sig];
        }
        snprintf(buf, sizeof buf, "SIG%s", ab);
        return buf;
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
child_fail(int report_fd, enum stage stage, int err, const struct spawn_spec *spec)
{
        struct child_report r = { stage, err };
        const char *en = strerrorname_np(err);

        (void)!write(report_fd, &r, sizeof r);
        if (stage == STAGE_EXEC)
                child_say("exec ", spec->cfg->argv[0], en ? en : "?");
        else if (stage == STAGE_CHDIR)
                child_say("chdir to ", spec->cfg->directory, en ? en : "?");
        _exit(err == EACCES || err == EPERM ? 126 : 127);
}

static _Noreturn void
child_run(const struct spawn_spec *spec, char *const *envp, int report_fd, pid_t parent)
{
        const struct cfg_proc *cfg = spec->cfg;
        sigset_t none;
        int tmp[3];

        if (setsid() < 0)
                child_fail(report_fd, STAGE_SETSID, errno, spec);

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* exec keeps ignored dispositions (SIGPIPE above all); handled ones are reset by exec */
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
                if (sa.sa_handler == SIG_IGN) {
                        sa.sa_handler = SIG_DFL;
                        (void)sigaction(sig, &sa, NULL);
                }
        }

        /* Move the ends above 2 first, so that an end that happens to be 0..2 is not clobbered. */
        for (int i = 0; i < 3; i++) {
                tmp[i] = fcntl(spec->fds[i], F_DUPFD_CLOEXEC, 3);
                if (tmp[i] < 0)
                        child_fail(report_fd, STAGE_FDS, errno, spec);
        }
        for (int i = 0; i < 3; i++)
                if (dup2(tmp[i], i) < 0)
                        child_fail(report_fd, STAGE_FDS, errno, spec);
        /* Every other fd is O_CLOEXEC from birth; this is the cheap guard (errors ignored on old
         * kernels). The report pipe is CLOEXEC too, so it stays usable until exec. */
        (void)close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

        if (cfg->umask >= 0)
                umask((mode_t)cfg->umask);
        if (cfg->directory && chdir(cfg->directory) < 0)
                child_fail(report_fd, STAGE_CHDIR, errno, spec);
        if (cfg->has_uid && cfg->uid != getuid()) {
                if (setgid(cfg->gid) < 0)
                        child_fail(report_fd, STAGE_SETGID, errno, spec);
                if (setgroups((size_t)(cfg->ngroups > 0 ? cfg->ngroups : 0), cfg->groups) < 0)
                        child_fail(report_fd, STAGE_SETGROUPS, errno, spec);
                if (setuid(cfg->uid) < 0)
                        child_fail(report_fd, STAGE_SETUID, errno, spec);
        }
        /* After setuid: a credential change clears the parent-death signal. */
        if (cfg->pdeathsig) {
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                        child_fail(report_fd, STAGE_PDEATHSIG, errno, spec);
                if (getppid() != parent)
                        child_fail(report_fd, STAGE_PARENT_GONE, ESRCH, spec);
        }
        execve(cfg->exec_path, cfg->argv, envp);
        child_fail(report_fd, STAGE_EXEC, errno, spec);
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

pid_t
spawn_process(const struct spawn_spec *spec, enum fault *ret_fault, char **ret_msg)
{
        const struct cfg_proc *cfg = spec->cfg;
        struct child_report rep;
        char **envp;
        int rp[2];
        pid_t pid, parent = getpid();
        ssize_t n;

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
        if (pipe2(rp, O_CLOEXEC) < 0) {
                *ret_msg = errno == EMFILE || errno == ENFILE
                        ? xasprintf("too many open files to spawn '%s'", cfg->name)
                        : xasprintf("unknown error making pipes for '%s': %s", cfg->name, errname(errno));
                return 0;
        }
        envp = spawn_build_env(spec->base_env, cfg, spec->server_url);

        pid = fork();
        if (pid == 0) {
                close(rp[0]);
                child_run(spec, envp, rp[1], parent);
        }
        int fork_err = errno;
        close(rp[1]);
        strv_free(envp);
        if (pid < 0) {
                close(rp[0]);
                *ret_msg = fork_err == EAGAIN
                        ? xasprintf("Too many processes in process table to spawn '%s'", cfg->name)
                        : xasprintf("unknown error during fork for '%s': %s", cfg->name, errname(fork_err));
                return 0;
        }
        /* EOF: exec succeeded (the pipe was CLOEXEC). The child does a handful of syscalls before
         * exec, so this read is short. */
        do
                n = read(rp[0], &rep, sizeof rep);
        while (n < 0 && errno == EINTR);
        close(rp[0]);
        if (n == 0) {
                *ret_fault = FAULT_OK;
                return pid;
        }
        if (n != (ssize_t)sizeof rep) {
                /* cannot tell whether it exec'd: make sure it did not */
                rep.stage = STAGE_EXEC;
                rep.err = n < 0 ? errno : EIO;
                (void)kill(pid, SIGKILL);
        }
        /* The child is on its way to _exit: collect it here so that no exit is ever reported for a
         * pid that never ran the program (libev's waitpid(-1) runs only from the loop). */
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        *ret_msg = stage_msg(cfg, &rep);
        return 0;
}
