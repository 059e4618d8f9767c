/* SPDX-License-Identifier: MIT */
/* api_json — GET /corral/v1/status: the daemon's state and getAllProcessInfo's data as one compact
 * JSON document, built as a jansson tree and dumped straight into the reply buffer. */
#include "ctl/api_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "core/outlog.h"
#include "core/proc.h"
#include "core/procinfo.h"
#include "core/sup.h"
#include "shared/text.h"
#include "shared/util.h"
#include "shared/version.h"

/* A compact row is ~100 bytes plus its strings: reserve this much per process up front. */
#define ROW_RESERVE             160

/* The columns of a process row; "fields" is written from names[], rows are filled by index, so
 * the two cannot disagree. */
enum field {
        F_NAME, F_GROUP, F_NAMESPEC, F_STATE, F_STATENAME, F_PID, F_START, F_STOP, F_NOW,
        F_EXITSTATUS, F_SPAWNERR, F_DESCRIPTION, F_STDOUT_LOGFILE, F_STDERR_LOGFILE, F__COUNT
};

static const char *const names[F__COUNT] = {
        [F_NAME] = "name", [F_GROUP] = "group", [F_NAMESPEC] = "namespec", [F_STATE] = "state",
        [F_STATENAME] = "statename", [F_PID] = "pid", [F_START] = "start", [F_STOP] = "stop",
        [F_NOW] = "now", [F_EXITSTATUS] = "exitstatus", [F_SPAWNERR] = "spawnerr",
        [F_DESCRIPTION] = "description", [F_STDOUT_LOGFILE] = "stdout_logfile",
        [F_STDERR_LOGFILE] = "stderr_logfile",
};

json_t *
api_json_string(const char *s, size_t len)
{
        size_t flen;
        char *fixed = text_utf8_fix(s, len, &flen);
        if (!fixed)             /* the usual case: checked here, so jansson need not check again */
                return json_stringn_nocheck(s, len);
        json_t *j = json_stringn_nocheck(fixed, flen);
        free(fixed);
        return j;
}

static json_t *
str(const char *s)
{
        return s ? api_json_string(s, strlen(s)) : json_string_nocheck("");
}

static json_t *
row(const struct proc *p, double now)
{
        struct procinfo pi;
        procinfo_init(&pi, p, now);
        json_t *cell[F__COUNT] = {
                [F_NAME] = str(pi.name),
                [F_GROUP] = str(pi.group),
                [F_NAMESPEC] = str(pi.namespec),
                [F_STATE] = json_integer(pi.state),
                [F_STATENAME] = str(pi.statename),
                [F_PID] = json_integer(pi.pid),
                [F_START] = json_integer(pi.start),
                [F_STOP] = json_integer(pi.stop),
                [F_NOW] = json_integer(pi.now),
                [F_EXITSTATUS] = json_integer(pi.exitstatus),
                [F_SPAWNERR] = str(pi.spawnerr),
                [F_DESCRIPTION] = str(pi.description),
                [F_STDOUT_LOGFILE] = str(pi.stdout_logfile),
                [F_STDERR_LOGFILE] = str(pi.stderr_logfile),
        };
        procinfo_fini(&pi);
        json_t *r = json_array();
        for (size_t k = 0; k < F__COUNT; k++)
                (void)json_array_append_new(r, cell[k]);
        return r;
}

static int
append(const char *s, size_t n, void *ctx)
{
        xr_buf_append(ctx, s, n);
        return 0;
}

void
api_json_status(struct xr_buf *b, double now)
{
        /* Allocation failure aborts, as everywhere in corrald (util.h's xmalloc): every jansson
         * call below then succeeds, the strings being valid UTF-8 by construction. */
        json_set_alloc_funcs(xmalloc, free);

        struct proc *const *procs;
        size_t n = sup_procs_by_name(&procs);
        enum sup_mood m = sup_mood();
        json_t *fields = json_array(), *rows = json_array();
        for (size_t k = 0; k < F__COUNT; k++)
                (void)json_array_append_new(fields, json_string_nocheck(names[k]));
        for (size_t i = 0; i < n; i++)
                (void)json_array_append_new(rows, row(procs[i], now));
        json_t *doc = json_pack("{s:{s:i,s:s,s:i,s:s,s:s},s:o,s:o}",
                                "supervisor",
                                "pid", (int)getpid(),
                                "state", m == SUP_RUNNING ? "RUNNING" : m == SUP_RESTARTING ? "RESTARTING" : "SHUTDOWN",
                                "statecode", (int)m,
                                "version", VERSION_SUPERVISOR,
                                "api_version", VERSION_API,
                                "fields", fields,
                                "processes", rows);
        if (b->cap - b->len < 256 + n * ROW_RESERVE) {
                b->cap = b->len + 256 + n * ROW_RESERVE;
                b->p = xrealloc(b->p, b->cap);
                b->p[b->len] = '\0';
        }
        (void)json_dump_callback(doc, append, b, JSON_COMPACT);
        xr_buf_append(b, "\n", 1);
        json_decref(doc);
}
