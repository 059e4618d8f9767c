/* SPDX-License-Identifier: MIT */
/* daemon — process-level setup done once by main before the loop exists: resource limits,
 * daemonizing (supervisord's single fork, compat B.2), the locked pidfile, dropping privileges,
 * and readiness notification to systemd. Each function reports failure with a malloc'd message
 * through ret_msg and never logs: main decides what is fatal. */
#ifndef CORRAL_DAEMON_H
#define CORRAL_DAEMON_H

#include <stdbool.h>
#include <sys/types.h>

/* Raise RLIMIT_NOFILE toward minfds and RLIMIT_NPROC toward minprocs (soft, then hard as root).
 * 0, or -errno with *ret_msg when a limit cannot be reached (supervisord refuses to start). */
int daemon_raise_limits(long minfds, long minprocs, char **ret_msg);

/* Single fork: the parent _exit(0)s at once; the child chdir()s to directory (if not NULL), puts
 * fds 0-2 on /dev/null, calls setsid() and umask(umask). Returns 0 in the child, or -errno with
 * *ret_msg (still in the original process) if the fork itself failed. */
int daemon_fork(const char *directory, int umask_value, char **ret_msg);

/* Is the pidfile locked by a live corrald? Returns its pid (>0), or 0 if free. Cheap, no side
 * effect: main calls it before daemonizing so that the refusal reaches the terminal. */
pid_t daemon_pidfile_owner(const char *path);
/* Write "<pid>\n" atomically (temp file + rename) and keep an exclusive flock on it for the life
 * of the process. 0; -EEXIST with *ret_msg when another live process holds it; -errno otherwise. */
int daemon_pidfile_write(const char *path, char **ret_msg);
/* Remove the pidfile we wrote (if still ours) and drop the lock. Safe to call twice. */
void daemon_pidfile_remove(void);

/* setgid, initgroups, setuid to user (a name or a numeric uid). Only possible as root: otherwise
 * -EPERM with a message, unless we already are that user (then 0, nothing to do). */
int daemon_drop_privileges(const char *user, char **ret_msg);

/* Take NOTIFY_SOCKET out of the environment (workers must not inherit it) and remember it for
 * daemon_notify. Call once, before anything is spawned. */
void daemon_notify_setup(void);
/* sd_notify(state) if NOTIFY_SOCKET was set ("READY=1", "RELOADING=1", "STOPPING=1"). */
void daemon_notify(const char *state);

#endif
