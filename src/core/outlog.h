/* SPDX-License-Identifier: MIT */
/* outlog — a worker's stdio: the stdin pipe (sendProcessStdin) and the capture of stdout/stderr
 * from non-blocking pipes read through libev into logfiles (or /dev/null when NONE), with
 * redirect_stderr, AUTO log naming in childlogdir, syslog, strip_ansi. One outlog lives as long
 * as its process object; each spawn gets fresh pipes. */
#ifndef CORRAL_OUTLOG_H
#define CORRAL_OUTLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct ev_loop;
struct cfg_proc;
struct logfile;

enum outlog_channel { OUTLOG_STDOUT = 1, OUTLOG_STDERR = 2 };

struct outlog_env {
        const char *childlogdir;
        const char *identifier;         /* AUTO names: <name>-<channel>---<identifier>-<rand>.log */
        bool strip_ansi;
};

/* Resolves AUTO names now and creates those files empty (supervisord's mkstemp: a never-started
 * process has an empty AUTO log); named paths are opened at the first spawn. Never fails: a file that cannot be opened is reported in
 * the main log once, its output is counted as dropped, and opening is retried as output comes. */
struct outlog *outlog_new(struct ev_loop *loop, const struct cfg_proc *cfg, const struct outlog_env *env);
struct outlog *outlog_free(struct outlog *o);           /* accepts NULL, returns NULL */

/* Before fork: make the pipes. ret_child_fds[0..2] are the child's stdin/stdout/stderr ends (all
 * O_CLOEXEC; the child dup2()s them onto 0/1/2). 0 or -errno. */
int outlog_prepare(struct outlog *o, int ret_child_fds[3]);
/* After fork in the parent: close the child ends, start reading. */
void outlog_started(struct outlog *o, pid_t pid);
/* The spawn failed before or at exec: close everything prepare made. */
void outlog_abort(struct outlog *o);
/* The process was reaped: read what is already in the pipes into the log now (before the exit is
 * reported), close stdin; keep reading the pipes until EOF in case a grandchild still holds them. */
void outlog_exited(struct outlog *o);

/* sendProcessStdin. 0, -ENOTCONN (no process), -EPIPE (stdin closed). Never blocks: what the pipe
 * does not take now is queued (bounded) and written as the pipe drains. */
int outlog_write_stdin(struct outlog *o, const char *data, size_t len);

/* The channel's log path ("" when NONE), its logfile (NULL when NONE). */
const char *outlog_path(const struct outlog *o, enum outlog_channel ch);
struct logfile *outlog_logfile(struct outlog *o, enum outlog_channel ch);
int outlog_reopen(struct outlog *o);                    /* SIGUSR2; 0 or -errno */
int outlog_clear(struct outlog *o);                     /* clearProcessLogs; 0 or -errno */

/* At startup unless nocleanup: delete old AUTO logs of this identifier in childlogdir. */
void outlog_cleanup_auto(const char *childlogdir, const char *identifier);

#endif
