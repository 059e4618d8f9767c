/* SPDX-License-Identifier: MIT */
/* rpc_ctl — supervisor.* methods that act on processes: start/stop (one, group, all; waits through
 * the opsets of rpc.c), signals, stdin, remote-communication events. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "shared/fault.h"
#include "core/outlog.h"
#include "core/proc.h"
#include "core/deps.h"
#include "core/procinfo.h"
#include "ctl/rpc_int.h"
#include "core/sup.h"
#include "shared/util.h"

/* --- supervisor.*: start / stop / signal ------------------------------------------------------- */

/* supervisord's get_execv_args checks, before anything is spawned. */
static enum fault
check_command(const struct cfg_proc *c, char **ret_msg)
{
        const char *prog = c->argv && c->argv[0] ? c->argv[0] : NULL;
        struct stat st;

        *ret_msg = NULL;
        if (!prog) {
                *ret_msg = xstrdup("command is empty");
                return FAULT_NOT_EXECUTABLE;
        }
        const char *path = strchr(prog, '/') ? prog : c->exec_path;
        if (!path || stat(path, &st) < 0) {
                *ret_msg = xasprintf("can't find command '%s'", path ? path : prog);
                return FAULT_NO_FILE;
        }
        if (S_ISDIR(st.st_mode)) {
                *ret_msg = xasprintf("command at '%s' is a directory", path);
                return FAULT_NOT_EXECUTABLE;
        }
        if (!(st.st_mode & 0111)) {
                *ret_msg = xasprintf("command at '%s' is not executable", path);
                return FAULT_NOT_EXECUTABLE;
        }
        if (access(path, X_OK) < 0) {
                *ret_msg = xasprintf("no permission to run command '%s'", path);
                return FAULT_NOT_EXECUTABLE;
        }
        return FAULT_OK;
}

/* Start one process. Records a fault or success in o, or queues a wait. */
static void
start_one(struct opset *o, struct proc *p, const char *spec, bool wait)
{
        char *msg;
        enum fault f = check_command(p->cfg, &msg);
        if (f != FAULT_OK) {
                rpc_opset_record(o, p, f, rpc_fault_text(f, msg));
                free(msg);
                return;
        }
        if (proc_state_is_running(p->state)) {
                rpc_opset_record(o, p, FAULT_ALREADY_STARTED, rpc_fault_text(FAULT_ALREADY_STARTED, spec));
                return;
        }
        if (p->state == PROC_UNKNOWN) {
                char *m = xasprintf("%s is in an unknown process state", spec);
                rpc_opset_record(o, p, FAULT_FAILED, rpc_fault_text(FAULT_FAILED, m));
                free(m);
                return;
        }
        f = deps_start(p);              /* its dependencies first (README "Dependencies") */
        if (f != FAULT_OK) {
                /* supervisord names the process in SPAWN_ERROR; a start given up for a dependency
                 * says which one instead */
                char *note = f == FAULT_SPAWN_ERROR ? deps_note(p) : NULL;
                const char *extra = note ? note : spec;
                if ((f == FAULT_NO_FILE || f == FAULT_NOT_EXECUTABLE) && p->spawnerr)
                        extra = p->spawnerr;
                rpc_opset_record(o, p, f, rpc_fault_text(f, extra));
                free(note);
                return;
        }
        if (deps_waiting(p)) {
                if (wait)
                        rpc_opset_add_wait(o, p, false, spec);
                else
                        rpc_opset_record(o, p, 0, NULL);
                return;
        }
        if (p->state != PROC_STARTING && p->state != PROC_RUNNING) {
                int code = p->spawnerr ? FAULT_SPAWN_ERROR : FAULT_ABNORMAL_TERMINATION;
                rpc_opset_record(o, p, code, rpc_fault_text(code, spec));
                return;
        }
        if (!wait || p->state == PROC_RUNNING) {
                rpc_opset_record(o, p, 0, NULL);
                return;
        }
        rpc_opset_add_wait(o, p, false, spec);
}

static void
stop_one(struct opset *o, struct proc *p, const char *spec, bool wait)
{
        if (deps_waiting(p)) {          /* a start waiting for its dependencies: never mind */
                deps_cancel(p);
                rpc_opset_record(o, p, 0, NULL);
                return;
        }
        if (p->state == PROC_STOPPING && p->cfg->ndeps) {
                /* stopping already, as a dependent of a process stopped before it in this call */
                if (wait)
                        rpc_opset_add_wait(o, p, true, spec);
                else
                        rpc_opset_record(o, p, 0, NULL);
                return;
        }
        if (!proc_state_is_running(p->state)) {
                rpc_opset_record(o, p, FAULT_NOT_RUNNING, rpc_fault_text(FAULT_NOT_RUNNING, spec));
                return;
        }
        enum fault f = deps_stop(p);    /* after its dependents (README "Dependencies") */
        if (f != FAULT_OK) {
                rpc_opset_record(o, p, f, rpc_fault_text(f, spec));
                return;
        }
        if (!wait || proc_state_is_stopped(p->state)) {
                rpc_opset_record(o, p, 0, NULL);
                return;
        }
        rpc_opset_add_wait(o, p, true, spec);
}

/* make_allfunc: act on each process that matches (not running for starts, running for stops). */
static void
procs_op(struct proc *const *procs, size_t n, bool stop, bool wait, struct res *r)
{
        struct opset *o = rpc_opset_new(false);
        /* which ones first: a stop may stop dependents of a process further down the list
         * (core/deps.h), which are still answered for */
        struct proc **todo = xcalloc(n + 1, sizeof *todo);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
                if (proc_state_is_running(procs[i]->state) == stop || (stop && deps_waiting(procs[i])))
                        todo[m++] = procs[i];
        for (size_t i = 0; i < m; i++) {
                struct proc *p = todo[i];
                char *spec = procinfo_namespec(p);
                if (stop)
                        stop_one(o, p, spec, wait);
                else
                        start_one(o, p, spec, wait);
                free(spec);
        }
        free(todo);
        rpc_opset_finish(o, r);
}

static bool
wait_arg(const struct xr_value *params, size_t i)
{
        return NARGS > i ? rpc_arg_truthy(ARG(i)) : true;
}

static void
group_op(const struct xr_value *params, bool stop, struct res *r)
{
        char *name;
        if (!rpc_mood_ok(r) || !rpc_group_arg(ARG(0), &name, r))
                return;
        struct proc_group *g = ARG(0)->type == XR_STRING ? sup_find_group(name) : NULL;
        if (!g)
                rpc_res_fault(r, FAULT_BAD_NAME, name);
        else
                procs_op(g->procs, g->nprocs, stop, wait_arg(params, 1), r);
        free(name);
}

static void
proc_op(const struct xr_value *params, bool stop, struct res *r)
{
        const char *spec = rpc_arg_str(ARG(0));
        struct proc_group *g;
        struct proc *p;
        if (!rpc_mood_ok(r))
                return;
        if (!spec) {
                rpc_res_http500(r);
                return;
        }
        if (!rpc_resolve(spec, &g, &p, r))
                return;
        bool wait = wait_arg(params, 1);
        if (!p) {
                procs_op(g->procs, g->nprocs, stop, wait, r);
                return;
        }
        struct opset *o = rpc_opset_new(true);
        if (stop)
                stop_one(o, p, spec, wait);
        else
                start_one(o, p, spec, wait);
        rpc_opset_finish(o, r);
}

void
rpc_m_start_process(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        proc_op(params, false, r);
}

void
rpc_m_stop_process(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        proc_op(params, true, r);
}

void
rpc_m_start_process_group(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        group_op(params, false, r);
}

void
rpc_m_stop_process_group(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        group_op(params, true, r);
}

static void
all_op(const struct xr_value *params, bool stop, struct res *r)
{
        if (!rpc_mood_ok(r))
                return;
        struct proc *const *procs;
        size_t n = sup_procs_by_priority(&procs);
        procs_op(procs, n, stop, wait_arg(params, 0), r);
}

void
rpc_m_start_all_processes(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        all_op(params, false, r);
}

void
rpc_m_stop_all_processes(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        all_op(params, true, r);
}

/* supervisord's signal_number: a number or a name ("HUP", "sighup"). 0 or -EINVAL; -E2BIG when
 * the value is of a type that has no string form (→ HTTP 500). */
static int
parse_signal(const struct xr_value *v, int *ret)
{
        char *s = rpc_arg_pystr(v);
        if (!s || v->type == XR_DOUBLE) {
                free(s);
                return -E2BIG;
        }
        int r = cfg_parse_signal(s, ret);
        free(s);
        return r < 0 ? -EINVAL : 0;
}

static void
signal_one(struct opset *o, struct proc *p, const char *spec, const struct xr_value *sigv)
{
        int sig;
        if (parse_signal(sigv, &sig) < 0) {
                char *s = rpc_arg_pystr(sigv);
                rpc_opset_record(o, p, FAULT_BAD_SIGNAL, rpc_fault_text(FAULT_BAD_SIGNAL, s));
                free(s);
                return;
        }
        if (!proc_state_is_signallable(p->state)) {
                rpc_opset_record(o, p, FAULT_NOT_RUNNING, rpc_fault_text(FAULT_NOT_RUNNING, spec));
                return;
        }
        enum fault f = proc_signal(p, sig);
        rpc_opset_record(o, p, f, f ? rpc_fault_text(f, spec) : NULL);
}

static void
signal_procs(struct proc *const *procs, size_t n, const struct xr_value *sigv, struct res *r)
{
        struct opset *o = rpc_opset_new(false);
        for (size_t i = 0; i < n; i++) {
                if (!proc_state_is_signallable(procs[i]->state))
                        continue;
                char *spec = procinfo_namespec(procs[i]);
                signal_one(o, procs[i], spec, sigv);
                free(spec);
        }
        rpc_opset_finish(o, r);
        /* supervisord checks its mood only after signalling a group. */
        if (sup_mood() < SUP_RUNNING) {
                r->value = xr_free(r->value);
                rpc_res_fault(r, FAULT_SHUTDOWN_STATE, NULL);
        }
}

void
rpc_m_signal_process(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        const char *spec = rpc_arg_str(ARG(0));
        struct proc_group *g;
        struct proc *p;
        if (!rpc_mood_ok(r))
                return;
        if (!spec || (ARG(1)->type != XR_STRING && ARG(1)->type != XR_INT && ARG(1)->type != XR_BOOL)) {
                rpc_res_http500(r);
                return;
        }
        if (!rpc_resolve(spec, &g, &p, r))
                return;
        if (!p) {
                signal_procs(g->procs, g->nprocs, ARG(1), r);
                return;
        }
        struct opset *o = rpc_opset_new(true);
        signal_one(o, p, spec, ARG(1));
        rpc_opset_finish(o, r);
}

void
rpc_m_signal_process_group(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        char *name = rpc_arg_pystr(ARG(0));
        if (!name) {
                rpc_res_http500(r);
                return;
        }
        struct proc_group *g = ARG(0)->type == XR_STRING ? sup_find_group(name) : NULL;
        if (rpc_mood_ok(r)) {
                if (!g)
                        rpc_res_fault(r, FAULT_BAD_NAME, name);
                else
                        signal_procs(g->procs, g->nprocs, ARG(1), r);
        }
        free(name);
}

void
rpc_m_signal_all_processes(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        struct proc *const *procs;
        size_t n = sup_procs_by_priority(&procs);
        signal_procs(procs, n, ARG(0), r);
}

void
rpc_m_send_process_stdin(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        if (!rpc_mood_ok(r))
                return;
        const struct xr_value *chars = ARG(1);
        if (chars->type != XR_STRING && chars->type != XR_BASE64) {
                char *s = rpc_arg_pystr(chars);
                rpc_res_fault(r, FAULT_INCORRECT_PARAMETERS, s);
                free(s);
                return;
        }
        struct proc *p = rpc_one_proc(ARG(0), r);
        if (!p)
                return;
        const char *spec = ARG(0)->str.s;
        if (!p->pid || p->killing || !p->log) {
                rpc_res_fault(r, FAULT_NOT_RUNNING, spec);
                return;
        }
        int e = outlog_write_stdin(p->log, chars->str.s, chars->str.len);
        if (e == -EPIPE)
                rpc_res_fault(r, FAULT_NO_FILE, spec);
        else if (e == -ENOTCONN)
                rpc_res_fault(r, FAULT_NOT_RUNNING, spec);
        else if (e < 0)
                rpc_res_fault(r, FAULT_FAILED, spec);
        else
                rpc_res_value(r, xr_bool(true));
}

void
rpc_m_send_remote_comm_event(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        /* corral has no event listeners: the event has nobody to reach. No mood check (sic). */
        rpc_res_value(r, xr_bool(true));
}
