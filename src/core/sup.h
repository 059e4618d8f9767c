/* SPDX-License-Identifier: MIT */
/* sup — daemon-level operations: the groups and processes built from the config in force, name
 * lookup, start/stop ordering by priority, shutdown, reload (SIGHUP / supervisor.restart), and the
 * reread/add/remove primitives behind supervisorctl's update. The one API that signal handlers and
 * RPC call. */
#ifndef CORRAL_SUP_H
#define CORRAL_SUP_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg/cfg.h"
#include "shared/fault.h"
#include "core/proc.h"

struct ev_loop;

/* getState codes. */
enum sup_mood { SUP_SHUTDOWN = -1, SUP_RESTARTING = 0, SUP_RUNNING = 1 };

struct proc_group {
        char *name;
        const struct cfg_group *cfg;
        struct proc **procs;            /* sorted by (priority, name) */
        size_t nprocs;
        void *cfg_ref;                  /* keeps the cfg that owns cfg alive */
};

struct sup_options {
        const char *config_path;        /* for rereads */
        bool resolve_users;
        /* Optional: called on every config sup loads itself (reread, restart) before it is used,
         * so that main can apply its command-line overrides again. */
        void (*on_load)(struct cfg *cfg);
        /* Optional: told of the daemon's lifecycle in sd_notify's words ("READY=1",
         * "RELOADING=1", "STOPPING=1"), so that main can pass them to systemd. */
        void (*notify)(const char *state);
        /* Optional: a restart put cfg in force (before any process starts), so that main can
         * apply the sections sup does not own, such as the control server's. */
        void (*on_config)(const struct cfg *cfg);
};

/* Takes ownership of cfg. Creates every group and process; starts nothing. 0 or -errno.
 * This first cfg stays alive until sup_fini even after a reload (ctl_init keeps pointers into it). */
int sup_init(struct ev_loop *loop, struct cfg *cfg, const struct sup_options *opt);
/* Start every autostart process, in ascending priority. */
void sup_autostart(void);
/* After the loop ended: SIGKILL and reap whatever descendant is left (bounded wait), free
 * everything. */
void sup_fini(void);

enum sup_mood sup_mood(void);
const struct cfg *sup_cfg(void);                /* the config in force */
const struct cfg *sup_cfg_read(void);           /* as last read by sup_reread (getAllConfigInfo) */

/* "x", "x:x", "g:p". NULL if unknown. "g:*" is not a process (use sup_find_group). */
struct proc *sup_find_proc(const char *namespec);
struct proc_group *sup_find_group(const char *name);

/* Views owned by sup, valid until the next change of the process table. */
size_t sup_procs_by_name(struct proc *const **ret);      /* by group name, then process name */
size_t sup_procs_by_priority(struct proc *const **ret);  /* start order */
size_t sup_groups(struct proc_group *const **ret);       /* start order */

/* Graceful shutdown: stop groups in descending priority, one group at a time, then call the
 * on_done hook (main breaks the loop). Idempotent. */
void sup_shutdown(void);
/* Reload (SIGHUP, supervisor.restart): read the config first; on error return FAULT_CANT_REREAD
 * with *ret_err (malloc'd) and change nothing. Otherwise stop everything in priority order, then
 * start again on the new config; same pid. */
enum fault sup_restart(char **ret_err);
/* Hooks main sets: the loop must end (shutdown complete). */
void sup_set_on_done(void (*fn)(void));

/* reloadConfig: parse again; FAULT_CANT_REREAD (+*ret_err) or FAULT_OK with the diff against the
 * config in force. Touches no process. */
enum fault sup_reread(struct cfg_diff *ret_diff, char **ret_err);
enum fault sup_add_group(const char *name);     /* BAD_NAME, ALREADY_ADDED, SHUTDOWN_STATE */
enum fault sup_remove_group(const char *name);  /* BAD_NAME, STILL_RUNNING, SHUTDOWN_STATE */

void sup_reopen_logs(void);                     /* SIGUSR2 */

#endif
