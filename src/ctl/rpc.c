/* SPDX-License-Identifier: MIT */
/* rpc — supervisord 4.2.5's XML-RPC API: the method table (supervisor.* and system.*), argument
 * checks, fault texts, and the replies that have to wait (startProcess/stopProcess with wait=true
 * and their group/all forms, multicall around them). A wait never blocks or polls: it is a
 * proc_watch on each process involved; the reply goes out from a zero-delay timer once every
 * watched process has reached its goal. The supervisor.* methods themselves live in rpc_ctl.c
 * and rpc_info.c. */
#include "ctl/rpc.h"
#include "ctl/rpc_int.h"

#include <errno.h>
#include <ev.h>
#include <limits.h>
#include <stdarg.h>
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
#include "core/sup.h"
#include "shared/util.h"

/* --- results --------------------------------------------------------------------------------- */

void
rpc_res_value(struct res *r, struct xr_value *v)
{
        r->kind = RES_VALUE;
        r->value = v;
}

/* faultString is "NAME" or "NAME: extra" (supervisord's RPCError). */
char *
rpc_fault_text(int code, const char *extra)
{
        return extra ? xasprintf("%s: %s", fault_name(code), extra) : xstrdup(fault_name(code));
}

void
rpc_res_fault(struct res *r, int code, const char *extra)
{
        r->kind = RES_FAULT;
        r->code = code;
        r->text = rpc_fault_text(code, extra);
}

void
rpc_res_http500(struct res *r)
{
        r->kind = RES_HTTP500;
}

/* --- deferred process operations --------------------------------------------------------------- */

struct rpc_pending;

/* One process we wait for (start until RUNNING, stop until stopped). */
struct waiter {
        struct proc_watch w;
        struct opset *set;
        struct proc *p;
        bool stop;
        bool linked;
        char *spec;             /* the name as the caller gave it, for fault texts */
};

/* A deferred start/stop of one process (single: replies true or a fault) or of several (replies
 * the array of result structs, the immediate ones first, then in order of completion). */
struct opset {
        struct rpc_pending *pend;
        struct waiter *w;
        size_t n, left;
        bool single;
        struct xr_value *results;       /* !single */
        int code;                       /* single: 0 = success */
        char *text;
};

struct rpc_pending {
        rpc_done_fn done;
        void *ctx;
        struct xr_call call;
        struct opset *ops;              /* what we are waiting for, NULL when nothing */
        ev_timer kick;                  /* continues after ops completed, outside proc's callbacks */
        /* system.multicall */
        bool multi;
        size_t mnext;
        struct xr_value *mresults;
        /* log bytes in the reply so far: read at once, and files to stream */
        size_t inline_bytes;
        unsigned streams;
};

static void pending_on_kick(struct ev_loop *loop, ev_timer *w, int revents);

/* --- log data in replies ------------------------------------------------------------------------ */

struct xr_value *
rpc_log_value(struct rpc_pending *pend, struct logfile_span *sp, struct res *r)
{
        char *data = NULL;
        size_t n = 0;

        if (sp->len <= RPC_LOG_INLINE_MAX && pend->inline_bytes + sp->len <= RPC_LOG_INLINE_BUDGET) {
                if (logfile_span_read(sp, &data, &n) < 0) {
                        rpc_res_fault(r, FAULT_FAILED, NULL);
                        return NULL;
                }
                pend->inline_bytes += n;
                struct xr_value *v = xr_stringn(data, n);
                free(data);
                return v;
        }
        if (pend->streams >= RPC_STREAMS_PER_REQUEST || xr_files_open() >= RPC_STREAMS_MAX) {
                close(sp->fd);
                sp->fd = -1;
                rpc_res_fault(r, FAULT_FAILED, "too many large log reads at once; read less at a time");
                return NULL;
        }
        pend->streams++;
        struct xr_value *v = xr_file(sp->fd, sp->start, sp->len);
        sp->fd = -1;
        return v;
}

struct opset *
rpc_opset_new(bool single)
{
        struct opset *o = xcalloc(1, sizeof *o);
        o->single = single;
        if (!single)
                o->results = xr_array();
        return o;
}

static void
opset_free(struct opset *o)
{
        if (!o)
                return;
        for (size_t i = 0; i < o->n; i++) {
                if (o->w[i].linked)
                        proc_watch_remove(&o->w[i].w);
                free(o->w[i].spec);
        }
        free(o->w);
        xr_free(o->results);
        free(o->text);
        free(o);
}

struct xr_value *
rpc_result_struct(const struct proc *p, int status, const char *description)
{
        struct xr_value *st = xr_struct();
        xr_struct_set(st, "name", xr_string(p->cfg->name));
        xr_struct_set(st, "group", xr_string(p->group ? p->group->name : p->cfg->group));
        xr_struct_set(st, "status", xr_int(status));
        xr_struct_set(st, "description", xr_string(description));
        return st;
}

/* Record one process's outcome in its opset (code 0 = success). */
void
rpc_opset_record(struct opset *o, const struct proc *p, int code, char *text)
{
        if (o->single) {
                o->code = code;
                free(o->text);
                o->text = text;
                return;
        }
        xr_array_push(o->results, rpc_result_struct(p, code ? code : FAULT_SUCCESS, code ? text : "OK"));
        free(text);
}

static void
waiter_finish(struct waiter *w, int code, char *text)
{
        struct opset *o = w->set;
        proc_watch_remove(&w->w);
        w->linked = false;
        rpc_opset_record(o, w->p, code, text);
        w->p = NULL;
        if (--o->left == 0 && o->pend) {
                /* Reply from the loop, not from inside proc's state-change notification. */
                ev_timer_set(&o->pend->kick, 0., 0.);
                ev_timer_start(ev_default_loop(0), &o->pend->kick);
        }
}

static void
waiter_on_change(struct proc_watch *pw, struct proc *p, enum proc_state from, enum proc_state to)
{
        struct waiter *w = container_of(pw, struct waiter, w);
        (void)from;
        if (w->stop) {
                if (proc_state_is_stopped(to))
                        waiter_finish(w, 0, NULL);
                return;
        }
        if (to == PROC_RUNNING)
                waiter_finish(w, 0, NULL);
        else if (to == PROC_STARTING)
                return;
        else if (p->spawnerr)
                waiter_finish(w, FAULT_SPAWN_ERROR, rpc_fault_text(FAULT_SPAWN_ERROR, w->spec));
        else
                waiter_finish(w, FAULT_ABNORMAL_TERMINATION, rpc_fault_text(FAULT_ABNORMAL_TERMINATION, w->spec));
}

/* Waiters are linked only after every process of the set has been acted on, so the array never
 * moves under a linked watcher. */
void
rpc_opset_add_wait(struct opset *o, struct proc *p, bool stop, const char *spec)
{
        o->w = xrealloc(o->w, (o->n + 1) * sizeof *o->w);
        struct waiter *w = &o->w[o->n++];
        memset(w, 0, sizeof *w);
        w->set = o;
        w->p = p;
        w->stop = stop;
        w->spec = xstrdup(spec);
        w->w.on_change = waiter_on_change;
        o->left++;
}

static void
opset_link(struct opset *o)
{
        for (size_t i = 0; i < o->n; i++) {
                proc_watch_add(o->w[i].p, &o->w[i].w);
                o->w[i].linked = true;
        }
}

/* Turn a finished opset into a result. */
static void
opset_result(struct opset *o, struct res *r)
{
        if (!o->single) {
                rpc_res_value(r, o->results);
                o->results = NULL;
        } else if (o->code) {
                r->kind = RES_FAULT;
                r->code = o->code;
                r->text = o->text;
                o->text = NULL;
        } else {
                rpc_res_value(r, xr_bool(true));
        }
}

/* A finished synchronous-or-deferred set: defer when something is left to wait for. */
void
rpc_opset_finish(struct opset *o, struct res *r)
{
        if (o->left) {
                opset_link(o);
                r->kind = RES_DEFER;
                r->ops = o;
                return;
        }
        opset_result(o, r);
        opset_free(o);
}

/* --- names ----------------------------------------------------------------------------------- */

/* supervisord's split_namespec + lookup: "x" is x:x, "g:" and "g:*" name the group g (ret_proc
 * NULL). BAD_NAME fault when the group or the process is unknown. */
bool
rpc_resolve(const char *spec, struct proc_group **ret_group, struct proc **ret_proc, struct res *r)
{
        const char *colon = strchr(spec, ':');
        char *gname = colon ? xstrndup(spec, (size_t)(colon - spec)) : xstrdup(spec);
        const char *pname = colon ? colon + 1 : spec;
        if (colon && (!*pname || strcmp(pname, "*") == 0))
                pname = NULL;
        struct proc_group *g = sup_find_group(gname);
        free(gname);
        *ret_group = g;
        *ret_proc = NULL;
        if (!g) {
                rpc_res_fault(r, FAULT_BAD_NAME, spec);
                return false;
        }
        if (!pname)
                return true;
        for (size_t i = 0; i < g->nprocs; i++)
                if (strcmp(g->procs[i]->cfg->name, pname) == 0) {
                        *ret_proc = g->procs[i];
                        return true;
                }
        rpc_res_fault(r, FAULT_BAD_NAME, spec);
        return false;
}

/* --- argument conversion (Python semantics where they matter) ------------------------------------ */

const char *
rpc_arg_str(const struct xr_value *v)
{
        return v && v->type == XR_STRING ? v->str.s : NULL;
}

/* Python truthiness, for wait=. */
bool
rpc_arg_truthy(const struct xr_value *v)
{
        switch (v->type) {
        case XR_INT: return v->i != 0;
        case XR_BOOL: return v->b;
        case XR_DOUBLE: return v->d != 0;
        case XR_STRING: case XR_BASE64: case XR_DATETIME: return v->str.len != 0;
        case XR_ARRAY: return v->arr.n != 0;
        case XR_STRUCT: return v->st.n != 0;
        case XR_NIL: return false;
        case XR_FILE: return v->file.len != 0;
        }
        return true;
}

/* Python int(x): 0; -EINVAL for a string that is no number (→ HTTP 500); -E2BIG for a type int()
 * rejects with TypeError (→ INCORRECT_PARAMETERS, as supervisord's traverse maps TypeError). */
int
rpc_arg_long(const struct xr_value *v, long *ret)
{
        switch (v->type) {
        case XR_INT:
                if (v->i > LONG_MAX || v->i < LONG_MIN)
                        return -EINVAL;
                *ret = (long)v->i;
                return 0;
        case XR_BOOL:
                *ret = v->b;
                return 0;
        case XR_DOUBLE:
                if (!(v->d > (double)LONG_MIN && v->d < (double)LONG_MAX))
                        return -EINVAL;
                *ret = (long)v->d;
                return 0;
        case XR_STRING: {
                const char *s = v->str.s, *e = s + v->str.len;
                while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
                        s++;
                while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
                        e--;
                char *t = xstrndup(s, (size_t)(e - s));
                int r = parse_long(t, ret);
                free(t);
                return r < 0 ? -EINVAL : 0;
        }
        default:
                return -E2BIG;
        }
}

/* Python str(x) for the scalar types (fault texts); NULL for the others. malloc'd. */
char *
rpc_arg_pystr(const struct xr_value *v)
{
        switch (v->type) {
        case XR_STRING: return xstrdup(v->str.s);
        case XR_INT: return xasprintf("%lld", (long long)v->i);
        case XR_BOOL: return xstrdup(v->b ? "True" : "False");
        case XR_DOUBLE: return xasprintf("%.17g", v->d);
        default: return NULL;
        }
}

/* Group-name arguments: supervisord only compares them, so a non-string is just an unknown name. */
bool
rpc_group_arg(const struct xr_value *v, char **ret, struct res *r)
{
        *ret = rpc_arg_pystr(v);
        if (!*ret) {
                rpc_res_http500(r);
                return false;
        }
        return true;
}

/* A name that must resolve to one process (BAD_NAME for groups too). */
struct proc *
rpc_one_proc(const struct xr_value *v, struct res *r)
{
        const char *spec = rpc_arg_str(v);
        struct proc_group *g;
        struct proc *p;
        if (!spec) {
                rpc_res_http500(r);
                return NULL;
        }
        if (!rpc_resolve(spec, &g, &p, r))
                return NULL;
        if (!p)
                rpc_res_fault(r, FAULT_BAD_NAME, spec);
        return p;
}

bool
rpc_mood_ok(struct res *r)
{
        if (sup_mood() < SUP_RUNNING) {
                rpc_res_fault(r, FAULT_SHUTDOWN_STATE, NULL);
                return false;
        }
        return true;
}


/* --- system.* ------------------------------------------------------------------------------- */

static void rpc_m_list_methods(struct rpc_pending *, const struct xr_value *, struct res *);
static void rpc_m_method_help(struct rpc_pending *, const struct xr_value *, struct res *);
static void rpc_m_method_signature(struct rpc_pending *, const struct xr_value *, struct res *);
static void rpc_m_multicall(struct rpc_pending *, const struct xr_value *, struct res *);

struct method {
        const char *name;
        void (*fn)(struct rpc_pending *pend, const struct xr_value *params, struct res *r);
        unsigned char min, max;         /* argument count */
        const char *sig;                /* methodSignature: return type, then parameter types */
        const char *help;
};

/* Sorted by name: this is listMethods' order (41 names, as supervisord 4.2.5). */
static const struct method methods[] = {
        { "supervisor.addProcessGroup", rpc_m_add_process_group, 1, 1, "boolean string",
          "Add the process group 'name' from the configuration last read by reloadConfig. @return boolean" },
        { "supervisor.clearAllProcessLogs", rpc_m_clear_all_process_logs, 0, 0, "array",
          "Clear the stdout and stderr logs of every process. @return array of result structs" },
        { "supervisor.clearLog", rpc_m_clear_log, 0, 0, "boolean", "Clear the main log. @return boolean" },
        { "supervisor.clearProcessLog", rpc_m_clear_process_logs, 1, 1, "boolean string",
          "Alias of clearProcessLogs." },
        { "supervisor.clearProcessLogs", rpc_m_clear_process_logs, 1, 1, "boolean string",
          "Clear and reopen the stdout and stderr logs of process 'name'. @return boolean" },
        { "supervisor.getAPIVersion", rpc_m_get_api_version, 0, 0, "string",
          "Return the version of the RPC API (\"3.0\"). @return string" },
        { "supervisor.getAllConfigInfo", rpc_m_get_all_config_info, 0, 0, "array",
          "Return one struct per configured process (as last read). @return array" },
        { "supervisor.getAllProcessInfo", rpc_m_get_all_process_info, 0, 0, "array",
          "Return getProcessInfo for every process, by group then name. @return array" },
        { "supervisor.getIdentification", rpc_m_get_identification, 0, 0, "string",
          "Return the identifier of this daemon. @return string" },
        { "supervisor.getPID", rpc_m_get_pid, 0, 0, "int", "Return the PID of the daemon. @return int" },
        { "supervisor.getProcessInfo", rpc_m_get_process_info, 1, 1, "struct string",
          "Return a struct describing process 'name' (or 'group:name'). @return struct" },
        { "supervisor.getState", rpc_m_get_state, 0, 0, "struct",
          "Return the daemon state as a struct {statecode, statename}. @return struct" },
        { "supervisor.getSupervisorVersion", rpc_m_get_supervisor_version, 0, 0, "string",
          "Return the supervisord version this daemon is compatible with. @return string" },
        { "supervisor.getVersion", rpc_m_get_api_version, 0, 0, "string", "Alias of getAPIVersion." },
        { "supervisor.readLog", rpc_m_read_log, 2, 2, "string int int",
          "Read length bytes of the main log from offset. @return string" },
        { "supervisor.readMainLog", rpc_m_read_log, 2, 2, "string int int", "Alias of readLog." },
        { "supervisor.readProcessLog", rpc_m_read_process_stdout_log, 3, 3, "string string int int",
          "Alias of readProcessStdoutLog." },
        { "supervisor.readProcessStderrLog", rpc_m_read_process_stderr_log, 3, 3, "string string int int",
          "Read length bytes of the stderr log of 'name' from offset. @return string" },
        { "supervisor.readProcessStdoutLog", rpc_m_read_process_stdout_log, 3, 3, "string string int int",
          "Read length bytes of the stdout log of 'name' from offset. @return string" },
        { "supervisor.reloadConfig", rpc_m_reload_config, 0, 0, "array",
          "Reread the configuration; return [[added, changed, removed]] group names. @return array" },
        { "supervisor.removeProcessGroup", rpc_m_remove_process_group, 1, 1, "boolean string",
          "Remove the stopped process group 'name'. @return boolean" },
        { "supervisor.restart", rpc_m_restart, 0, 0, "boolean",
          "Stop everything, reread the configuration and start again. @return boolean" },
        { "supervisor.sendProcessStdin", rpc_m_send_process_stdin, 2, 2, "boolean string string",
          "Write chars to the stdin of process 'name'. @return boolean" },
        { "supervisor.sendRemoteCommEvent", rpc_m_send_remote_comm_event, 2, 2, "boolean string string",
          "Emit a REMOTE_COMMUNICATION event. @return boolean" },
        { "supervisor.shutdown", rpc_m_shutdown, 0, 0, "boolean",
          "Stop every process, then exit. @return boolean" },
        { "supervisor.signalAllProcesses", rpc_m_signal_all_processes, 1, 1, "array string",
          "Send a signal to every process. @return array of result structs" },
        { "supervisor.signalProcess", rpc_m_signal_process, 2, 2, "boolean string string",
          "Send a signal (name or number) to process 'name'. @return boolean" },
        { "supervisor.signalProcessGroup", rpc_m_signal_process_group, 2, 2, "array string string",
          "Send a signal to every process of group 'name'. @return array of result structs" },
        { "supervisor.startAllProcesses", rpc_m_start_all_processes, 0, 1, "array boolean",
          "Start every process, in priority order. @return array of result structs" },
        { "supervisor.startProcess", rpc_m_start_process, 1, 2, "boolean string boolean",
          "Start process 'name' ('group:*' starts the group); wait until RUNNING. @return boolean" },
        { "supervisor.startProcessGroup", rpc_m_start_process_group, 1, 2, "array string boolean",
          "Start every process of group 'name'. @return array of result structs" },
        { "supervisor.stopAllProcesses", rpc_m_stop_all_processes, 0, 1, "array boolean",
          "Stop every process, in priority order. @return array of result structs" },
        { "supervisor.stopProcess", rpc_m_stop_process, 1, 2, "boolean string boolean",
          "Stop process 'name' ('group:*' stops the group); wait until stopped. @return boolean" },
        { "supervisor.stopProcessGroup", rpc_m_stop_process_group, 1, 2, "array string boolean",
          "Stop every process of group 'name'. @return array of result structs" },
        { "supervisor.tailProcessLog", rpc_m_tail_process_stdout_log, 3, 3, "array string int int",
          "Alias of tailProcessStdoutLog." },
        { "supervisor.tailProcessStderrLog", rpc_m_tail_process_stderr_log, 3, 3, "array string int int",
          "Tail the stderr log of 'name'. @return array [string bytes, int offset, bool overflow]" },
        { "supervisor.tailProcessStdoutLog", rpc_m_tail_process_stdout_log, 3, 3, "array string int int",
          "Tail the stdout log of 'name'. @return array [string bytes, int offset, bool overflow]" },
        { "system.listMethods", rpc_m_list_methods, 0, 0, "array",
          "Return an array listing the available method names. @return array" },
        { "system.methodHelp", rpc_m_method_help, 1, 1, "string string",
          "Return the documentation of a method. @return string" },
        { "system.methodSignature", rpc_m_method_signature, 1, 1, "array string",
          "Return [return type, parameter types...] of a method. @return array" },
        { "system.multicall", rpc_m_multicall, 1, 1, "array array",
          "Run an array of {methodName, params} calls in order; return their results. @return array" },
};

static const struct method *
method_find(const char *name)
{
        size_t lo = 0, hi = ARRAY_SIZE(methods);
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = strcmp(name, methods[mid].name);
                if (!c)
                        return &methods[mid];
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return NULL;
}

static void
rpc_m_list_methods(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        struct xr_value *a = xr_array();
        for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
                xr_array_push(a, xr_string(methods[i].name));
        rpc_res_value(r, a);
}

static void
rpc_m_method_help(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        const struct method *m = rpc_arg_str(ARG(0)) ? method_find(ARG(0)->str.s) : NULL;
        if (!m)
                rpc_res_fault(r, FAULT_SIGNATURE_UNSUPPORTED, NULL);
        else
                rpc_res_value(r, xr_string(m->help));
}

static void
rpc_m_method_signature(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        const struct method *m = rpc_arg_str(ARG(0)) ? method_find(ARG(0)->str.s) : NULL;
        if (!m) {
                rpc_res_fault(r, FAULT_SIGNATURE_UNSUPPORTED, NULL);
                return;
        }
        struct xr_value *a = xr_array();
        for (const char *s = m->sig; *s;) {
                size_t n = strcspn(s, " ");
                xr_array_push(a, xr_stringn(s, n));
                s += n;
                s += *s == ' ';
        }
        rpc_res_value(r, a);
}

/* supervisord's traverse: "namespace.method", nothing else; then the argument count. */
static void
call_method(struct rpc_pending *pend, const char *name, const struct xr_value *params, struct res *r)
{
        const char *dot = strchr(name, '.');
        const struct method *m = NULL;
        if (dot && !strchr(dot + 1, '.') && dot[1] != '_')
                m = method_find(name);
        if (!m) {
                rpc_res_fault(r, FAULT_UNKNOWN_METHOD, NULL);
                return;
        }
        if (params->arr.n < m->min || params->arr.n > m->max) {
                rpc_res_fault(r, FAULT_INCORRECT_PARAMETERS, NULL);
                return;
        }
        m->fn(pend, params, r);
}

static struct xr_value *
fault_struct(int code, const char *text)
{
        struct xr_value *st = xr_struct();
        xr_struct_set(st, "faultCode", xr_int(code));
        xr_struct_set(st, "faultString", xr_string(text));
        return st;
}

/* A finished call as a multicall entry: the bare value (not wrapped), or a fault struct. */
static void
multi_append(struct rpc_pending *pend, struct res *r)
{
        switch (r->kind) {
        case RES_VALUE:
                xr_array_push(pend->mresults, r->value);
                break;
        case RES_FAULT:
                xr_array_push(pend->mresults, fault_struct(r->code, r->text));
                break;
        default:        /* an exception inside the call: supervisord reports FAILED */
                xr_array_push(pend->mresults, fault_struct(FAULT_FAILED, "FAILED: bad argument type"));
                break;
        }
        free(r->text);
        memset(r, 0, sizeof *r);
}

/* Run the remaining calls in order until one has to wait, yielding to the loop after each slice. */
static void
multi_continue(struct rpc_pending *pend, struct res *r)
{
        const struct xr_value *calls = pend->call.params->arr.v[0];
        for (size_t ran = 0; pend->mnext < calls->arr.n; ran++) {
                if (ran == RPC_MULTICALL_SLICE) {
                        ev_timer_set(&pend->kick, 0., 0.);
                        ev_timer_start(ev_default_loop(0), &pend->kick);
                        r->kind = RES_DEFER;
                        return;
                }
                const struct xr_value *c = calls->arr.v[pend->mnext++];
                struct res sub = { 0 };
                const struct xr_value *mn = xr_struct_get(c, "methodName");
                const struct xr_value *ps = xr_struct_get(c, "params");
                struct xr_value *empty = NULL;
                if (c->type != XR_STRUCT) {
                        rpc_res_fault(&sub, FAULT_FAILED, "multicall entry is not a struct");
                } else if (!mn) {
                        rpc_res_fault(&sub, FAULT_INCORRECT_PARAMETERS, "No methodName");
                } else if (mn->type == XR_STRING && strcmp(mn->str.s, "system.multicall") == 0) {
                        rpc_res_fault(&sub, FAULT_INCORRECT_PARAMETERS, "Recursive system.multicall forbidden");
                } else if (mn->type != XR_STRING) {
                        rpc_res_fault(&sub, FAULT_UNKNOWN_METHOD, NULL);
                } else if (ps && ps->type != XR_ARRAY) {
                        rpc_res_fault(&sub, FAULT_INCORRECT_PARAMETERS, NULL);
                } else {
                        if (!ps)
                                ps = empty = xr_array();
                        call_method(pend, mn->str.s, ps, &sub);
                        xr_free(empty);
                }
                if (sub.kind == RES_DEFER) {
                        pend->ops = sub.ops;
                        pend->ops->pend = pend;
                        r->kind = RES_DEFER;
                        return;
                }
                multi_append(pend, &sub);
        }
        rpc_res_value(r, pend->mresults);
        pend->mresults = NULL;
}

static void
rpc_m_multicall(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        if (ARG(0)->type != XR_ARRAY || pend->multi) {
                rpc_res_http500(r);
                return;
        }
        pend->multi = true;
        pend->mresults = xr_array();
        multi_continue(pend, r);
}

/* --- dispatch ------------------------------------------------------------------------------- */

static void
pending_free(struct rpc_pending *pend)
{
        ev_timer_stop(ev_default_loop(0), &pend->kick);
        opset_free(pend->ops);
        xr_call_free(&pend->call);
        xr_free(pend->mresults);
        free(pend);
}

static void
reply_http(struct rpc_pending *pend, int status)
{
        static const char *const text[] = { [400] = "Bad Request", [500] = "Internal Server Error" };
        struct xr_buf b = { 0 };
        char *s = xasprintf("<html><head><title>Error response</title></head><body><h1>Error response</h1>"
                            "<p>Error code %d.</p><p>Message: %s.</p></body></html>\n", status, text[status]);
        xr_buf_puts(&b, s);
        free(s);
        pend->done(pend->ctx, status, &b);
}

/* Send the final result and free the request. */
static void
reply(struct rpc_pending *pend, struct res *r)
{
        struct xr_buf b = { 0 };
        if (r->kind == RES_VALUE) {
                xr_encode_response(&b, r->value);
                pend->done(pend->ctx, 200, &b);
        } else if (r->kind == RES_FAULT) {
                xr_encode_fault(&b, r->code, r->text);
                pend->done(pend->ctx, 200, &b);
        } else {
                log_error("XML-RPC method %s(): argument of the wrong type, answering HTTP 500",
                          pend->call.method);
                reply_http(pend, 500);
        }
        xr_free(r->value);
        free(r->text);
        pending_free(pend);
}

static void
pending_on_kick(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct rpc_pending *pend = container_of(w, struct rpc_pending, kick);
        struct res r = { 0 };
        (void)loop; (void)revents;

        struct opset *o = pend->ops;
        pend->ops = NULL;
        if (o) {                        /* else a multicall's next slice */
                opset_result(o, &r);
                opset_free(o);
        }
        if (pend->multi) {
                if (o)
                        multi_append(pend, &r);
                multi_continue(pend, &r);
                if (r.kind == RES_DEFER)
                        return;
        }
        reply(pend, &r);
}

struct rpc_pending *
rpc_dispatch(const char *body, size_t len, rpc_done_fn done, void *ctx)
{
        struct rpc_pending *pend = xcalloc(1, sizeof *pend);
        char *err = NULL;
        struct res r = { 0 };

        pend->done = done;
        pend->ctx = ctx;
        ev_timer_init(&pend->kick, pending_on_kick, 0., 0.);
        if (xr_parse_call(body, len, &pend->call, &err) < 0) {
                log_error("XML-RPC request data is invalid: %s", err);
                free(err);
                reply_http(pend, 400);
                pending_free(pend);
                return NULL;
        }
        log_trace("XML-RPC method called: %s()", pend->call.method);
        call_method(pend, pend->call.method, pend->call.params, &r);
        if (r.kind == RES_DEFER) {
                if (!pend->multi) {
                        pend->ops = r.ops;
                        pend->ops->pend = pend;
                }
                return pend;
        }
        reply(pend, &r);
        return NULL;
}

void
rpc_cancel(struct rpc_pending *p)
{
        if (p)
                pending_free(p);
}
