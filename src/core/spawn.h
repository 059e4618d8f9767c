/* SPDX-License-Identifier: MIT */
/* spawn — clone + the child-side setup + exec for one worker, from a read-only spec. Everything the
 * child needs (argv, envp, ids) is built in the parent before the clone; the child allocates
 * nothing. Like posix_spawn, the child shares our memory (CLONE_VM) on its own stack while we are
 * suspended (CLONE_VFORK) until it has exec'd or exited, so a failure before or at exec is known,
 * as {stage, errno}, when clone returns; it also shares our fd table only until it has swapped it
 * for a private copy of the low end (CLONE_FILES + close_range UNSHARE): a spawn costs the same
 * whatever the number of fds the supervisor holds. Never touches the loop. */
#ifndef CORRAL_SPAWN_H
#define CORRAL_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "shared/fault.h"

struct cfg_proc;

struct spawn_spec {
        const struct cfg_proc *cfg;
        const char *server_url;         /* default SUPERVISOR_SERVER_URL (program serverurl wins); NULL: none */
        char *const *base_env;          /* NULL: environ */
        const char *extra_env;          /* "K=V" added last (NOTIFY_SOCKET); NULL: none */
        int fds[3];
        /* ready=fd:N (s6's notification-fd): the child gets ready_fd as its fd ready_fd_at (>= 3;
         * 0: none). Such a spawn copies our fd table (no shared-table fast path): the fd must
         * survive the child's first close_range. */
        int ready_fd, ready_fd_at;                     /* the child's stdin/stdout/stderr (O_CLOEXEC ends from outlog) */
};

/* supervisord's pre-spawn check of the command (exists, not a directory, executable).
 * FAULT_OK, or FAULT_NO_FILE / FAULT_NOT_EXECUTABLE with *ret_msg set to supervisord's text
 * ("can't find command 'x'", "command at 'x' is not executable", ...), malloc'd. */
enum fault spawn_check(const struct cfg_proc *cfg, char **ret_msg);

/* The child's environment: base + SUPERVISOR_ENABLED=1, SUPERVISOR_SERVER_URL,
 * SUPERVISOR_PROCESS_NAME, SUPERVISOR_GROUP_NAME, then cfg->environment; a later KEY replaces an
 * earlier one in place. malloc'd vector of malloc'd strings (strv_free). */
char **spawn_build_env(char *const *base, const struct cfg_proc *cfg, const char *server_url);

/* Check, fork, set up the child and exec. Returns the pid (> 0) once exec has succeeded. On
 * failure returns 0: nothing is left running (a child that failed before exec has been waited
 * for), *ret_fault is NO_FILE, NOT_EXECUTABLE or SPAWN_ERROR and *ret_msg (malloc'd) is the
 * spawnerr text. */
pid_t spawn_process(const struct spawn_spec *spec, enum fault *ret_fault, char **ret_msg);

#endif
