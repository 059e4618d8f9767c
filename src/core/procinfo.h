/* SPDX-License-Identifier: MIT */
/* procinfo — the process snapshot getProcessInfo returns (compat E.7), built once from a proc and
 * rendered by both the XML-RPC encoder (ctl/rpc_info.c) and the JSON API (ctl/api_json.c), so the
 * two cannot disagree. The presentation text (namespec, description) lives here, not in proc.c. */
#ifndef CORRAL_PROCINFO_H
#define CORRAL_PROCINFO_H

#include <stdint.h>

#include "core/outlog.h"

struct proc;

struct procinfo {
        const char *name;               /* the strings are borrowed from the proc and its config */
        const char *group;
        char *namespec;                 /* owned: "group:name", or "name" in a group of its name */
        int state;                      /* supervisord's code: 20 */
        const char *statename;          /* "RUNNING" */
        int pid;                        /* 0 when not running */
        int64_t start, stop, now;       /* wall clock seconds, clamped to 32 bits (the XML-RPC int) */
        int exitstatus;
        const char *spawnerr;           /* "" when none */
        char *description;              /* owned: "pid 123, uptime 0:00:05", "Not started", ... */
        const char *stdout_logfile;     /* the configured path, outlog's AUTO name, "" for NONE */
        const char *stderr_logfile;
};

/* The snapshot of p at wall time now; release it with procinfo_fini. */
void procinfo_init(struct procinfo *ret, const struct proc *p, double now);
void procinfo_fini(struct procinfo *pi);

/* "group:name", or "name" when the group has the process's name (supervisord's make_namespec).
 * malloc'd. */
char *procinfo_namespec(const struct proc *p);
/* getProcessInfo's description at wall time now. malloc'd. */
char *procinfo_description(const struct proc *p, double now);
/* A channel's log path as supervisord's process.config.*_logfile (what getProcessInfo shows and
 * readProcess*Log reads): the configured path, the name outlog chose for AUTO, "" for NONE. */
const char *procinfo_logfile(const struct proc *p, enum outlog_channel ch);

#endif
