/* SPDX-License-Identifier: MIT */
/* rpc_info — supervisor.* methods that report or manage the daemon: versions, state, main log,
 * shutdown/restart, reloadConfig/add/remove, getProcessInfo, getAllConfigInfo, process logs. */
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "shared/fault.h"
#include "core/log.h"
#include "core/logfile.h"
#include "core/outlog.h"
#include "core/proc.h"
#include "core/procinfo.h"
#include "ctl/rpc_int.h"
#include "core/sup.h"
#include "shared/util.h"

/* --- supervisor.*: daemon ---------------------------------------------------------------------- */

void
rpc_m_get_api_version(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (rpc_mood_ok(r))
                rpc_res_value(r, xr_string(VERSION_API));
}

void
rpc_m_get_supervisor_version(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (rpc_mood_ok(r))
                rpc_res_value(r, xr_string(VERSION_SUPERVISOR));
}

void
rpc_m_get_identification(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!rpc_mood_ok(r))
                return;
        const struct cfg *c = sup_cfg();
        rpc_res_value(r, xr_string(c && c->sd.identifier ? c->sd.identifier : "supervisor"));
}

void
rpc_m_get_state(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!rpc_mood_ok(r))
                return;
        enum sup_mood m = sup_mood();
        const char *name = m == SUP_RUNNING ? "RUNNING" : m == SUP_RESTARTING ? "RESTARTING" : "SHUTDOWN";
        struct xr_value *st = xr_struct();
        xr_struct_set(st, "statecode", xr_int(m));
        xr_struct_set(st, "statename", xr_string(name));
        rpc_res_value(r, st);
}

void
rpc_m_get_pid(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (rpc_mood_ok(r))
                rpc_res_value(r, xr_int(getpid()));
}

static bool
path_exists(const char *path)
{
        struct stat st;
        return path && *path && stat(path, &st) == 0;
}

/* readLog-style read of path; the NO_FILE extra is the path (or None). */
static void
read_log(struct rpc_pending *pend, const char *path, const struct xr_value *off, const struct xr_value *len,
         struct res *r)
{
        long offset, length;
        int e;

        if (!path_exists(path)) {
                rpc_res_fault(r, FAULT_NO_FILE, path && *path ? path : "None");
                return;
        }
        if ((e = rpc_arg_long(off, &offset)) < 0 || (e = rpc_arg_long(len, &length)) < 0) {
                if (e == -E2BIG)
                        rpc_res_fault(r, FAULT_INCORRECT_PARAMETERS, NULL);
                else
                        rpc_res_http500(r);
                return;
        }
        struct logfile_span sp;
        struct xr_value *v;
        e = logfile_read_span(path, offset, length, &sp);
        if (e == -EINVAL)
                rpc_res_fault(r, FAULT_BAD_ARGUMENTS, NULL);
        else if (e == -ENOENT)
                rpc_res_fault(r, FAULT_NO_FILE, path);
        else if (e < 0)
                rpc_res_fault(r, FAULT_FAILED, NULL);
        else if ((v = rpc_log_value(pend, &sp, r)))
                rpc_res_value(r, v);
}

void
rpc_m_read_log(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        if (rpc_mood_ok(r))
                read_log(pend, log_path(), ARG(0), ARG(1), r);
}

void
rpc_m_clear_log(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!rpc_mood_ok(r))
                return;
        if (!path_exists(log_path())) {
                rpc_res_fault(r, FAULT_NO_FILE, NULL);
                return;
        }
        int e = log_clear();
        if (e == -ENOENT)
                rpc_res_fault(r, FAULT_NO_FILE, NULL);
        else if (e < 0)
                rpc_res_fault(r, FAULT_FAILED, NULL);
        else
                rpc_res_value(r, xr_bool(true));
}

static ev_timer shutdown_timer;

static void
rpc_on_shutdown_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
        (void)loop; (void)w; (void)revents;
        sup_shutdown();
}

void
rpc_m_shutdown(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!rpc_mood_ok(r))
                return;
        /* Reply first: the shutdown starts on the next loop iteration. */
        if (!ev_is_active(&shutdown_timer)) {
                ev_timer_init(&shutdown_timer, rpc_on_shutdown_timer, 0., 0.);
                ev_timer_start(ev_default_loop(0), &shutdown_timer);
        }
        rpc_res_value(r, xr_bool(true));
}

void
rpc_m_restart(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!rpc_mood_ok(r))
                return;
        /* sup_restart only rereads and begins the (asynchronous) stops, so the reply still goes out
         * before any process is gone. A config that no longer parses is reported instead of
         * killing the daemon as supervisord would. */
        char *err = NULL;
        enum fault f = sup_restart(&err);
        if (f != FAULT_OK)
                rpc_res_fault(r, f, err);
        else
                rpc_res_value(r, xr_bool(true));
        free(err);
}

static struct xr_value *
name_array(const char **names, size_t n)
{
        struct xr_value *a = xr_array();
        for (size_t i = 0; i < n; i++)
                xr_array_push(a, xr_string(names[i]));
        return a;
}

void
rpc_m_reload_config(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!rpc_mood_ok(r))
                return;
        struct cfg_diff d = { 0 };
        char *err = NULL;
        enum fault f = sup_reread(&d, &err);
        if (f != FAULT_OK) {
                rpc_res_fault(r, f, err);
                free(err);
                return;
        }
        struct xr_value *inner = xr_array();
        xr_array_push(inner, name_array(d.added, d.nadded));
        xr_array_push(inner, name_array(d.changed, d.nchanged));
        xr_array_push(inner, name_array(d.removed, d.nremoved));
        rpc_res_value(r, xr_array_push(xr_array(), inner));
        cfg_diff_free(&d);
        free(err);
}

void
rpc_m_add_process_group(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        char *name;
        if (!rpc_mood_ok(r) || !rpc_group_arg(ARG(0), &name, r))
                return;
        enum fault f = ARG(0)->type == XR_STRING ? sup_add_group(name) : FAULT_BAD_NAME;
        if (f != FAULT_OK)
                rpc_res_fault(r, f, name);
        else
                rpc_res_value(r, xr_bool(true));
        free(name);
}

void
rpc_m_remove_process_group(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        char *name;
        if (!rpc_mood_ok(r) || !rpc_group_arg(ARG(0), &name, r))
                return;
        enum fault f = ARG(0)->type == XR_STRING ? sup_remove_group(name) : FAULT_BAD_NAME;
        if (f != FAULT_OK)
                rpc_res_fault(r, f, name);
        else
                rpc_res_value(r, xr_bool(true));
        free(name);
}

/* --- supervisor.*: process info ---------------------------------------------------------------- */

static struct xr_value *
process_info(const struct proc *p, double now)
{
        struct procinfo pi;
        procinfo_init(&pi, p, now);
        struct xr_value *st = xr_struct();
        xr_struct_set(st, "name", xr_string(pi.name));
        xr_struct_set(st, "group", xr_string(pi.group));
        xr_struct_set(st, "start", xr_int(pi.start));
        xr_struct_set(st, "stop", xr_int(pi.stop));
        xr_struct_set(st, "now", xr_int(pi.now));
        xr_struct_set(st, "state", xr_int(pi.state));
        xr_struct_set(st, "statename", xr_string(pi.statename));
        xr_struct_set(st, "spawnerr", xr_string(pi.spawnerr));
        xr_struct_set(st, "exitstatus", xr_int(pi.exitstatus));
        xr_struct_set(st, "logfile", xr_string(pi.stdout_logfile));
        xr_struct_set(st, "stdout_logfile", xr_string(pi.stdout_logfile));
        xr_struct_set(st, "stderr_logfile", xr_string(pi.stderr_logfile));
        xr_struct_set(st, "pid", xr_int(pi.pid));
        xr_struct_set(st, "description", xr_string(pi.description));
        procinfo_fini(&pi);
        return st;
}

void
rpc_m_get_process_info(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        if (!rpc_mood_ok(r))
                return;
        struct proc *p = rpc_one_proc(ARG(0), r);
        if (p)
                rpc_res_value(r, process_info(p, time_wall()));
}

void
rpc_m_get_all_process_info(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!rpc_mood_ok(r))
                return;
        struct proc *const *procs;
        size_t n = sup_procs_by_name(&procs);
        double now = time_wall();
        struct xr_value *a = xr_array();
        for (size_t i = 0; i < n; i++)
                xr_array_push(a, process_info(procs[i], now));
        rpc_res_value(r, a);
}

static struct xr_value *
str_or_none(const char *s)
{
        return xr_string(s ? s : "none");
}

/* A channel's logfile as getAllConfigInfo shows it: the live path for a process in force, "auto"
 * for an AUTO name not (yet) resolved, "none" for NONE. */
static struct xr_value *
config_logfile(const struct cfg_proc *cp, const struct cfg_log *l, enum outlog_channel ch)
{
        if (l->kind == CFG_LOG_NONE)
                return xr_string("none");
        if (l->kind == CFG_LOG_PATH)
                return str_or_none(l->path);
        char *spec = strcmp(cp->group, cp->name) ? xasprintf("%s:%s", cp->group, cp->name) : xstrdup(cp->name);
        struct proc *p = sup_find_proc(spec);
        free(spec);
        if (p && p->cfg == cp && p->log) {
                const char *path = outlog_path(p->log, ch);
                if (path && *path)
                        return xr_string(path);
        }
        return xr_string("auto");
}

static void
config_channel(struct xr_value *st, const char *prefix, const struct cfg_proc *cp, const struct cfg_log *l,
               enum outlog_channel ch)
{
        char key[64];
#define KEY(k) (snprintf(key, sizeof key, "%s_%s", prefix, k), key)
        xr_struct_set(st, KEY("capture_maxbytes"), xr_int(l->capture_maxbytes));
        xr_struct_set(st, KEY("events_enabled"), xr_bool(l->events_enabled));
        xr_struct_set(st, KEY("logfile"), config_logfile(cp, l, ch));
        xr_struct_set(st, KEY("logfile_backups"), xr_int(l->backups));
        xr_struct_set(st, KEY("logfile_maxbytes"), xr_int(l->maxbytes));
        xr_struct_set(st, KEY("syslog"), xr_bool(l->syslog));
#undef KEY
}

static struct xr_value *
config_info(const struct cfg_group *g, const struct cfg_proc *cp, bool inuse)
{
        struct xr_value *st = xr_struct();
        xr_struct_set(st, "autostart", xr_bool(cp->autostart));
        xr_struct_set(st, "directory", str_or_none(cp->directory));
        xr_struct_set(st, "uid", cp->has_uid ? xr_int(cp->uid) : xr_string("none"));
        xr_struct_set(st, "command", xr_string(cp->command));
        struct xr_value *codes = xr_array();
        for (int c = 0; c < 256; c++)
                if (cfg_exitcode_expected(cp, c))
                        xr_array_push(codes, xr_int(c));
        xr_struct_set(st, "exitcodes", codes);
        xr_struct_set(st, "group", xr_string(g->name));
        xr_struct_set(st, "group_prio", xr_int(g->priority));
        xr_struct_set(st, "inuse", xr_bool(inuse));
        xr_struct_set(st, "killasgroup", xr_bool(cp->killasgroup));
        xr_struct_set(st, "name", xr_string(cp->name));
        xr_struct_set(st, "process_prio", xr_int(cp->priority));
        xr_struct_set(st, "redirect_stderr", xr_bool(cp->redirect_stderr));
        xr_struct_set(st, "startretries", xr_int(cp->startretries));
        xr_struct_set(st, "startsecs", xr_int(cp->startsecs));
        config_channel(st, "stdout", cp, &cp->out, OUTLOG_STDOUT);
        xr_struct_set(st, "stopsignal", xr_int(cp->stopsignal));
        xr_struct_set(st, "stopwaitsecs", xr_int(cp->stopwaitsecs));
        config_channel(st, "stderr", cp, &cp->err, OUTLOG_STDERR);
        xr_struct_set(st, "serverurl", str_or_none(cp->serverurl));
        return st;
}

struct config_row {
        const struct cfg_group *g;
        const struct cfg_proc *p;
        size_t seq;
};

static int
config_row_cmp(const void *a, const void *b)
{
        const struct config_row *x = a, *y = b;
        int c = strcmp(x->p->name, y->p->name);
        if (c)
                return c;
        return x->seq < y->seq ? -1 : x->seq > y->seq;        /* stable, as Python's sort */
}

void
rpc_m_get_all_config_info(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!rpc_mood_ok(r))
                return;
        const struct cfg *c = sup_cfg_read();
        if (!c)
                c = sup_cfg();
        size_t n = 0;
        for (size_t i = 0; c && i < c->ngroups; i++)
                n += c->groups[i]->nprocs;
        struct config_row *rows = xcalloc(n ? n : 1, sizeof *rows);
        n = 0;
        for (size_t i = 0; c && i < c->ngroups; i++)
                for (size_t j = 0; j < c->groups[i]->nprocs; j++) {
                        rows[n].g = c->groups[i];
                        rows[n].p = c->groups[i]->procs[j];
                        rows[n].seq = n;
                        n++;
                }
        qsort(rows, n, sizeof *rows, config_row_cmp);
        struct xr_value *a = xr_array();
        for (size_t i = 0; i < n; i++)
                xr_array_push(a, config_info(rows[i].g, rows[i].p, sup_find_group(rows[i].g->name) != NULL));
        free(rows);
        rpc_res_value(r, a);
}

/* --- supervisor.*: process logs and stdin ------------------------------------------------------ */

static void
read_process_log(struct rpc_pending *pend, const struct xr_value *params, enum outlog_channel ch, struct res *r)
{
        if (!rpc_mood_ok(r))
                return;
        struct proc *p = rpc_one_proc(ARG(0), r);
        if (p)
                read_log(pend, procinfo_logfile(p, ch), ARG(1), ARG(2), r);
}

void
rpc_m_read_process_stdout_log(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        read_process_log(pend, params, OUTLOG_STDOUT, r);
}

void
rpc_m_read_process_stderr_log(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        read_process_log(pend, params, OUTLOG_STDERR, r);
}

static void
tail_process_log(struct rpc_pending *pend, const struct xr_value *params, enum outlog_channel ch, struct res *r)
{
        if (!rpc_mood_ok(r))
                return;
        struct proc *p = rpc_one_proc(ARG(0), r);
        if (!p)
                return;
        const char *path = procinfo_logfile(p, ch);
        long offset, length, newoff = 0;
        bool overflow = false;
        int e;

        if (!path_exists(path)) {
                struct xr_value *a = xr_array();
                xr_array_push(a, xr_string(""));
                xr_array_push(a, xr_int(0));
                xr_array_push(a, xr_bool(false));
                rpc_res_value(r, a);
                return;
        }
        if ((e = rpc_arg_long(ARG(1), &offset)) < 0 || (e = rpc_arg_long(ARG(2), &length)) < 0) {
                if (e == -E2BIG)
                        rpc_res_fault(r, FAULT_INCORRECT_PARAMETERS, NULL);
                else
                        rpc_res_http500(r);
                return;
        }
        struct logfile_span sp;
        logfile_tail_span(path, offset, length, &sp, &newoff, &overflow);
        struct xr_value *data = rpc_log_value(pend, &sp, r);
        if (!data)
                return;
        struct xr_value *a = xr_array();
        xr_array_push(a, data);
        xr_array_push(a, xr_int(newoff));
        xr_array_push(a, xr_bool(overflow));
        rpc_res_value(r, a);
}

void
rpc_m_tail_process_stdout_log(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        tail_process_log(pend, params, OUTLOG_STDOUT, r);
}

void
rpc_m_tail_process_stderr_log(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        tail_process_log(pend, params, OUTLOG_STDERR, r);
}

static int
clear_one(struct proc *p)
{
        return p->log ? outlog_clear(p->log) : 0;
}

void
rpc_m_clear_process_logs(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        if (!rpc_mood_ok(r))
                return;
        struct proc *p = rpc_one_proc(ARG(0), r);
        if (!p)
                return;
        if (clear_one(p) < 0)
                rpc_res_fault(r, FAULT_FAILED, rpc_arg_str(ARG(0)));
        else
                rpc_res_value(r, xr_bool(true));
}

void
rpc_m_clear_all_process_logs(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!rpc_mood_ok(r))
                return;
        struct proc *const *procs;
        size_t n = sup_procs_by_priority(&procs);
        struct xr_value *a = xr_array();
        for (size_t i = 0; i < n; i++) {
                if (clear_one(procs[i]) < 0) {
                        char *spec = procinfo_namespec(procs[i]);
                        char *t = rpc_fault_text(FAULT_FAILED, spec);
                        xr_array_push(a, rpc_result_struct(procs[i], FAULT_FAILED, t));
                        free(t);
                        free(spec);
                } else {
                        xr_array_push(a, rpc_result_struct(procs[i], FAULT_SUCCESS, "OK"));
                }
        }
        rpc_res_value(r, a);
}
