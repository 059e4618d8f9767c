/* SPDX-License-Identifier: MIT */
/* rpc — supervisord 4.2.5's XML-RPC API: the method table (supervisor.* and system.*), argument
 * checks, fault texts, and the replies that have to wait (startProcess/stopProcess with wait=true
 * and their group/all forms, multicall around them). A wait never blocks or polls: it is a
 * proc_watch on each process involved; the reply goes out from a zero-delay timer once every
 * watched process has reached its goal. */
#include "rpc.h"

#include <errno.h>
#include <ev.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "fault.h"
#include "log.h"
#include "logfile.h"
#include "outlog.h"
#include "proc.h"
#include "sup.h"
#include "util.h"

#define RPC_API_VERSION "3.0"
#define RPC_SUPERVISOR_VERSION "4.2.5"

/* --- results --------------------------------------------------------------------------------- */

enum res_kind {
        RES_VALUE,      /* value */
        RES_FAULT,      /* code + text (full faultString) */
        RES_HTTP500,    /* an argument of the wrong type: supervisord answers HTTP 500 */
        RES_DEFER,      /* ops: the reply comes when every watched process is done */
};

struct opset;

struct res {
        enum res_kind kind;
        struct xr_value *value;
        int code;
        char *text;
        struct opset *ops;
};

static void
res_value(struct res *r, struct xr_value *v)
{
        r->kind = RES_VALUE;
        r->value = v;
}

/* faultString is "NAME" or "NAME: extra" (supervisord's RPCError). */
static char *
fault_text(int code, const char *extra)
{
        return extra ? xasprintf("%s: %s", fault_name(code), extra) : xstrdup(fault_name(code));
}

static void
res_fault(struct res *r, int code, const char *extra)
{
        r->kind = RES_FAULT;
        r->code = code;
        r->text = fault_text(code, extra);
}

static void
res_http500(struct res *r)
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
};

static void pending_on_kick(struct ev_loop *loop, ev_timer *w, int revents);

static struct opset *
opset_new(bool single)
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

static struct xr_value *
result_struct(const struct proc *p, int status, const char *description)
{
        struct xr_value *st = xr_struct();
        xr_struct_set(st, "name", xr_string(p->cfg->name));
        xr_struct_set(st, "group", xr_string(p->group ? p->group->name : p->cfg->group));
        xr_struct_set(st, "status", xr_int(status));
        xr_struct_set(st, "description", xr_string(description));
        return st;
}

/* Record one process's outcome in its opset (code 0 = success). */
static void
opset_record(struct opset *o, const struct proc *p, int code, char *text)
{
        if (o->single) {
                o->code = code;
                free(o->text);
                o->text = text;
                return;
        }
        xr_array_push(o->results, result_struct(p, code ? code : FAULT_SUCCESS, code ? text : "OK"));
        free(text);
}

static void
waiter_finish(struct waiter *w, int code, char *text)
{
        struct opset *o = w->set;
        proc_watch_remove(&w->w);
        w->linked = false;
        opset_record(o, w->p, code, text);
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
                waiter_finish(w, FAULT_SPAWN_ERROR, fault_text(FAULT_SPAWN_ERROR, w->spec));
        else
                waiter_finish(w, FAULT_ABNORMAL_TERMINATION, fault_text(FAULT_ABNORMAL_TERMINATION, w->spec));
}

/* Waiters are linked only after every process of the set has been acted on, so the array never
 * moves under a linked watcher. */
static void
opset_add_wait(struct opset *o, struct proc *p, bool stop, const char *spec)
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
                res_value(r, o->results);
                o->results = NULL;
        } else if (o->code) {
                r->kind = RES_FAULT;
                r->code = o->code;
                r->text = o->text;
                o->text = NULL;
        } else {
                res_value(r, xr_bool(true));
        }
}

/* A finished synchronous-or-deferred set: defer when something is left to wait for. */
static void
opset_finish(struct opset *o, struct res *r)
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

/* "g:p" or "p" when the process has its group's name (supervisord's make_namespec). */
static char *
namespec(const struct proc *p)
{
        const char *g = p->group ? p->group->name : p->cfg->group;
        if (strcmp(g, p->cfg->name) == 0)
                return xstrdup(g);
        return xasprintf("%s:%s", g, p->cfg->name);
}

/* supervisord's split_namespec + lookup: "x" is x:x, "g:" and "g:*" name the group g (ret_proc
 * NULL). BAD_NAME fault when the group or the process is unknown. */
static bool
resolve(const char *spec, struct proc_group **ret_group, struct proc **ret_proc, struct res *r)
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
                res_fault(r, FAULT_BAD_NAME, spec);
                return false;
        }
        if (!pname)
                return true;
        for (size_t i = 0; i < g->nprocs; i++)
                if (strcmp(g->procs[i]->cfg->name, pname) == 0) {
                        *ret_proc = g->procs[i];
                        return true;
                }
        res_fault(r, FAULT_BAD_NAME, spec);
        return false;
}

/* --- argument conversion (Python semantics where they matter) ------------------------------------ */

static const char *
arg_str(const struct xr_value *v)
{
        return v && v->type == XR_STRING ? v->str.s : NULL;
}

/* Python truthiness, for wait=. */
static bool
arg_truthy(const struct xr_value *v)
{
        switch (v->type) {
        case XR_INT: return v->i != 0;
        case XR_BOOL: return v->b;
        case XR_DOUBLE: return v->d != 0;
        case XR_STRING: case XR_BASE64: case XR_DATETIME: return v->str.len != 0;
        case XR_ARRAY: return v->arr.n != 0;
        case XR_STRUCT: return v->st.n != 0;
        case XR_NIL: return false;
        }
        return true;
}

/* Python int(x): 0; -EINVAL for a string that is no number (→ HTTP 500); -E2BIG for a type int()
 * rejects with TypeError (→ INCORRECT_PARAMETERS, as supervisord's traverse maps TypeError). */
static int
arg_long(const struct xr_value *v, long *ret)
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
static char *
arg_pystr(const struct xr_value *v)
{
        switch (v->type) {
        case XR_STRING: return xstrdup(v->str.s);
        case XR_INT: return xasprintf("%lld", (long long)v->i);
        case XR_BOOL: return xstrdup(v->b ? "True" : "False");
        case XR_DOUBLE: return xasprintf("%.17g", v->d);
        default: return NULL;
        }
}

/* Log bytes as XML text: invalid UTF-8 and characters XML 1.0 forbids become U+FFFD (supervisord
 * would answer 500, or send a body the client cannot parse). */
static struct xr_value *
text_value(const char *s, size_t len)
{
        static const char repl[] = "\xef\xbf\xbd";
        struct xr_buf b = { 0 };
        size_t i = 0, run = 0;
        xr_buf_append(&b, "", 0);
        while (i < len) {
                unsigned char c = (unsigned char)s[i];
                size_t n = 0;
                unsigned cp = 0;
                if (c < 0x80) {
                        n = 1;
                        cp = c;
                } else if ((c & 0xe0) == 0xc0) {
                        n = 2;
                        cp = c & 0x1f;
                } else if ((c & 0xf0) == 0xe0) {
                        n = 3;
                        cp = c & 0x0f;
                } else if ((c & 0xf8) == 0xf0) {
                        n = 4;
                        cp = c & 0x07;
                }
                bool ok = n > 0 && i + n <= len;
                for (size_t k = 1; ok && k < n; k++) {
                        unsigned char cc = (unsigned char)s[i + k];
                        if ((cc & 0xc0) != 0x80)
                                ok = false;
                        cp = (cp << 6) | (cc & 0x3f);
                }
                if (ok) {
                        static const unsigned min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
                        if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
                            cp == 0xfffe || cp == 0xffff ||
                            (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r'))
                                ok = false;
                }
                if (ok) {
                        i += n;
                        continue;
                }
                xr_buf_append(&b, s + run, i - run);
                xr_buf_append(&b, repl, 3);
                i++;
                run = i;
        }
        xr_buf_append(&b, s + run, len - run);
        struct xr_value *v = xr_stringn(b.p, b.len);
        xr_buf_free(&b);
        return v;
}

static bool
mood_ok(struct res *r)
{
        if (sup_mood() < SUP_RUNNING) {
                res_fault(r, FAULT_SHUTDOWN_STATE, NULL);
                return false;
        }
        return true;
}

#define ARG(i) (params->arr.v[(i)])
#define NARGS (params->arr.n)

/* --- supervisor.*: daemon ---------------------------------------------------------------------- */

static void
m_get_api_version(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (mood_ok(r))
                res_value(r, xr_string(RPC_API_VERSION));
}

static void
m_get_supervisor_version(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (mood_ok(r))
                res_value(r, xr_string(RPC_SUPERVISOR_VERSION));
}

static void
m_get_identification(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!mood_ok(r))
                return;
        const struct cfg *c = sup_cfg();
        res_value(r, xr_string(c && c->sd.identifier ? c->sd.identifier : "supervisor"));
}

static void
m_get_state(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!mood_ok(r))
                return;
        enum sup_mood m = sup_mood();
        const char *name = m == SUP_RUNNING ? "RUNNING" : m == SUP_RESTARTING ? "RESTARTING" : "SHUTDOWN";
        struct xr_value *st = xr_struct();
        xr_struct_set(st, "statecode", xr_int(m));
        xr_struct_set(st, "statename", xr_string(name));
        res_value(r, st);
}

static void
m_get_pid(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (mood_ok(r))
                res_value(r, xr_int(getpid()));
}

static bool
path_exists(const char *path)
{
        struct stat st;
        return path && *path && stat(path, &st) == 0;
}

/* readLog-style read of path; the NO_FILE extra is the path (or None). */
static void
read_log(const char *path, const struct xr_value *off, const struct xr_value *len, struct res *r)
{
        long offset, length;
        int e;

        if (!path_exists(path)) {
                res_fault(r, FAULT_NO_FILE, path && *path ? path : "None");
                return;
        }
        if ((e = arg_long(off, &offset)) < 0 || (e = arg_long(len, &length)) < 0) {
                if (e == -E2BIG)
                        res_fault(r, FAULT_INCORRECT_PARAMETERS, NULL);
                else
                        res_http500(r);
                return;
        }
        char *data = NULL;
        size_t n = 0;
        e = logfile_read(path, offset, length, &data, &n);
        if (e == -EINVAL)
                res_fault(r, FAULT_BAD_ARGUMENTS, NULL);
        else if (e == -ENOENT)
                res_fault(r, FAULT_NO_FILE, path);
        else if (e < 0)
                res_fault(r, FAULT_FAILED, NULL);
        else
                res_value(r, text_value(data ? data : "", n));
        free(data);
}

static void
m_read_log(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        if (mood_ok(r))
                read_log(log_path(), ARG(0), ARG(1), r);
}

static void
m_clear_log(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!mood_ok(r))
                return;
        if (!path_exists(log_path())) {
                res_fault(r, FAULT_NO_FILE, NULL);
                return;
        }
        int e = log_clear();
        if (e == -ENOENT)
                res_fault(r, FAULT_NO_FILE, NULL);
        else if (e < 0)
                res_fault(r, FAULT_FAILED, NULL);
        else
                res_value(r, xr_bool(true));
}

static ev_timer shutdown_timer;

static void
rpc_on_shutdown_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
        (void)loop; (void)w; (void)revents;
        sup_shutdown();
}

static void
m_shutdown(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!mood_ok(r))
                return;
        /* Reply first: the shutdown starts on the next loop iteration. */
        if (!ev_is_active(&shutdown_timer)) {
                ev_timer_init(&shutdown_timer, rpc_on_shutdown_timer, 0., 0.);
                ev_timer_start(ev_default_loop(0), &shutdown_timer);
        }
        res_value(r, xr_bool(true));
}

static void
m_restart(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!mood_ok(r))
                return;
        /* sup_restart only rereads and begins the (asynchronous) stops, so the reply still goes out
         * before any process is gone. A config that no longer parses is reported instead of
         * killing the daemon as supervisord would. */
        char *err = NULL;
        enum fault f = sup_restart(&err);
        if (f != FAULT_OK)
                res_fault(r, f, err);
        else
                res_value(r, xr_bool(true));
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

static void
m_reload_config(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!mood_ok(r))
                return;
        struct cfg_diff d = { 0 };
        char *err = NULL;
        enum fault f = sup_reread(&d, &err);
        if (f != FAULT_OK) {
                res_fault(r, f, err);
                free(err);
                return;
        }
        struct xr_value *inner = xr_array();
        xr_array_push(inner, name_array(d.added, d.nadded));
        xr_array_push(inner, name_array(d.changed, d.nchanged));
        xr_array_push(inner, name_array(d.removed, d.nremoved));
        res_value(r, xr_array_push(xr_array(), inner));
        cfg_diff_free(&d);
        free(err);
}

/* Group-name arguments: supervisord only compares them, so a non-string is just an unknown name. */
static bool
group_arg(const struct xr_value *v, char **ret, struct res *r)
{
        *ret = arg_pystr(v);
        if (!*ret) {
                res_http500(r);
                return false;
        }
        return true;
}

static void
m_add_process_group(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        char *name;
        if (!mood_ok(r) || !group_arg(ARG(0), &name, r))
                return;
        enum fault f = ARG(0)->type == XR_STRING ? sup_add_group(name) : FAULT_BAD_NAME;
        if (f != FAULT_OK)
                res_fault(r, f, name);
        else
                res_value(r, xr_bool(true));
        free(name);
}

static void
m_remove_process_group(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        char *name;
        if (!mood_ok(r) || !group_arg(ARG(0), &name, r))
                return;
        enum fault f = ARG(0)->type == XR_STRING ? sup_remove_group(name) : FAULT_BAD_NAME;
        if (f != FAULT_OK)
                res_fault(r, f, name);
        else
                res_value(r, xr_bool(true));
        free(name);
}

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
                opset_record(o, p, f, fault_text(f, msg));
                free(msg);
                return;
        }
        if (proc_state_is_running(p->state)) {
                opset_record(o, p, FAULT_ALREADY_STARTED, fault_text(FAULT_ALREADY_STARTED, spec));
                return;
        }
        if (p->state == PROC_UNKNOWN) {
                char *m = xasprintf("%s is in an unknown process state", spec);
                opset_record(o, p, FAULT_FAILED, fault_text(FAULT_FAILED, m));
                free(m);
                return;
        }
        f = proc_start(p);
        if (f != FAULT_OK) {
                const char *extra = spec;
                if ((f == FAULT_NO_FILE || f == FAULT_NOT_EXECUTABLE) && p->spawnerr)
                        extra = p->spawnerr;
                opset_record(o, p, f, fault_text(f, extra));
                return;
        }
        if (p->state != PROC_STARTING && p->state != PROC_RUNNING) {
                int code = p->spawnerr ? FAULT_SPAWN_ERROR : FAULT_ABNORMAL_TERMINATION;
                opset_record(o, p, code, fault_text(code, spec));
                return;
        }
        if (!wait || p->state == PROC_RUNNING) {
                opset_record(o, p, 0, NULL);
                return;
        }
        opset_add_wait(o, p, false, spec);
}

static void
stop_one(struct opset *o, struct proc *p, const char *spec, bool wait)
{
        if (!proc_state_is_running(p->state)) {
                opset_record(o, p, FAULT_NOT_RUNNING, fault_text(FAULT_NOT_RUNNING, spec));
                return;
        }
        enum fault f = proc_stop(p);
        if (f != FAULT_OK) {
                opset_record(o, p, f, fault_text(f, spec));
                return;
        }
        if (!wait || proc_state_is_stopped(p->state)) {
                opset_record(o, p, 0, NULL);
                return;
        }
        opset_add_wait(o, p, true, spec);
}

/* make_allfunc: act on each process that matches (not running for starts, running for stops). */
static void
procs_op(struct proc *const *procs, size_t n, bool stop, bool wait, struct res *r)
{
        struct opset *o = opset_new(false);
        for (size_t i = 0; i < n; i++) {
                struct proc *p = procs[i];
                if (proc_state_is_running(p->state) != stop)
                        continue;
                char *spec = namespec(p);
                if (stop)
                        stop_one(o, p, spec, wait);
                else
                        start_one(o, p, spec, wait);
                free(spec);
        }
        opset_finish(o, r);
}

static bool
wait_arg(const struct xr_value *params, size_t i)
{
        return NARGS > i ? arg_truthy(ARG(i)) : true;
}

static void
group_op(const struct xr_value *params, bool stop, struct res *r)
{
        char *name;
        if (!mood_ok(r) || !group_arg(ARG(0), &name, r))
                return;
        struct proc_group *g = ARG(0)->type == XR_STRING ? sup_find_group(name) : NULL;
        if (!g)
                res_fault(r, FAULT_BAD_NAME, name);
        else
                procs_op(g->procs, g->nprocs, stop, wait_arg(params, 1), r);
        free(name);
}

static void
proc_op(const struct xr_value *params, bool stop, struct res *r)
{
        const char *spec = arg_str(ARG(0));
        struct proc_group *g;
        struct proc *p;
        if (!mood_ok(r))
                return;
        if (!spec) {
                res_http500(r);
                return;
        }
        if (!resolve(spec, &g, &p, r))
                return;
        bool wait = wait_arg(params, 1);
        if (!p) {
                procs_op(g->procs, g->nprocs, stop, wait, r);
                return;
        }
        struct opset *o = opset_new(true);
        if (stop)
                stop_one(o, p, spec, wait);
        else
                start_one(o, p, spec, wait);
        opset_finish(o, r);
}

static void
m_start_process(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        proc_op(params, false, r);
}

static void
m_stop_process(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        proc_op(params, true, r);
}

static void
m_start_process_group(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        group_op(params, false, r);
}

static void
m_stop_process_group(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        group_op(params, true, r);
}

static void
all_op(const struct xr_value *params, bool stop, struct res *r)
{
        if (!mood_ok(r))
                return;
        struct proc *const *procs;
        size_t n = sup_procs_by_priority(&procs);
        procs_op(procs, n, stop, wait_arg(params, 0), r);
}

static void
m_start_all_processes(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        all_op(params, false, r);
}

static void
m_stop_all_processes(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        all_op(params, true, r);
}

/* supervisord's signal_number: a number or a name ("HUP", "sighup"). 0 or -EINVAL; -E2BIG when
 * the value is of a type that has no string form (→ HTTP 500). */
static int
parse_signal(const struct xr_value *v, int *ret)
{
        char *s = arg_pystr(v);
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
                char *s = arg_pystr(sigv);
                opset_record(o, p, FAULT_BAD_SIGNAL, fault_text(FAULT_BAD_SIGNAL, s));
                free(s);
                return;
        }
        if (!proc_state_is_signallable(p->state)) {
                opset_record(o, p, FAULT_NOT_RUNNING, fault_text(FAULT_NOT_RUNNING, spec));
                return;
        }
        enum fault f = proc_signal(p, sig);
        opset_record(o, p, f, f ? fault_text(f, spec) : NULL);
}

static void
signal_procs(struct proc *const *procs, size_t n, const struct xr_value *sigv, struct res *r)
{
        struct opset *o = opset_new(false);
        for (size_t i = 0; i < n; i++) {
                if (!proc_state_is_signallable(procs[i]->state))
                        continue;
                char *spec = namespec(procs[i]);
                signal_one(o, procs[i], spec, sigv);
                free(spec);
        }
        opset_finish(o, r);
        /* supervisord checks its mood only after signalling a group. */
        if (sup_mood() < SUP_RUNNING) {
                r->value = xr_free(r->value);
                res_fault(r, FAULT_SHUTDOWN_STATE, NULL);
        }
}

static void
m_signal_process(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        const char *spec = arg_str(ARG(0));
        struct proc_group *g;
        struct proc *p;
        if (!mood_ok(r))
                return;
        if (!spec || (ARG(1)->type != XR_STRING && ARG(1)->type != XR_INT && ARG(1)->type != XR_BOOL)) {
                res_http500(r);
                return;
        }
        if (!resolve(spec, &g, &p, r))
                return;
        if (!p) {
                signal_procs(g->procs, g->nprocs, ARG(1), r);
                return;
        }
        struct opset *o = opset_new(true);
        signal_one(o, p, spec, ARG(1));
        opset_finish(o, r);
}

static void
m_signal_process_group(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        char *name = arg_pystr(ARG(0));
        if (!name) {
                res_http500(r);
                return;
        }
        struct proc_group *g = ARG(0)->type == XR_STRING ? sup_find_group(name) : NULL;
        if (mood_ok(r)) {
                if (!g)
                        res_fault(r, FAULT_BAD_NAME, name);
                else
                        signal_procs(g->procs, g->nprocs, ARG(1), r);
        }
        free(name);
}

static void
m_signal_all_processes(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        struct proc *const *procs;
        size_t n = sup_procs_by_priority(&procs);
        signal_procs(procs, n, ARG(0), r);
}

/* --- supervisor.*: process info ---------------------------------------------------------------- */

static int64_t
capped(double t)
{
        if (!(t > -2147483648.0))
                return t != t ? 0 : INT32_MIN;
        if (t > 2147483647.0)
                return INT32_MAX;
        return (int64_t)t;
}

/* A channel's log path as supervisord's process.config.*_logfile: the configured path, the name
 * outlog chose for AUTO, "" for NONE. */
static const char *
log_of(const struct proc *p, enum outlog_channel ch)
{
        const struct cfg_log *l = ch == OUTLOG_STDOUT ? &p->cfg->out : &p->cfg->err;
        if (l->kind == CFG_LOG_NONE)
                return "";
        if (l->kind == CFG_LOG_PATH && l->path)
                return l->path;
        const char *s = p->log ? outlog_path(p->log, ch) : NULL;
        return s ? s : "";
}

static struct xr_value *
process_info(const struct proc *p, double now)
{
        struct xr_value *st = xr_struct();
        xr_struct_set(st, "name", xr_string(p->cfg->name));
        xr_struct_set(st, "group", xr_string(p->group ? p->group->name : p->cfg->group));
        xr_struct_set(st, "start", xr_int(capped(p->start_time)));
        xr_struct_set(st, "stop", xr_int(capped(p->stop_time)));
        xr_struct_set(st, "now", xr_int(capped(now)));
        xr_struct_set(st, "state", xr_int(proc_state_code(p->state)));
        xr_struct_set(st, "statename", xr_string(proc_state_name(p->state)));
        xr_struct_set(st, "spawnerr", xr_string(p->spawnerr ? p->spawnerr : ""));
        xr_struct_set(st, "exitstatus", xr_int(p->exitstatus));
        xr_struct_set(st, "logfile", xr_string(log_of(p, OUTLOG_STDOUT)));
        xr_struct_set(st, "stdout_logfile", xr_string(log_of(p, OUTLOG_STDOUT)));
        xr_struct_set(st, "stderr_logfile", xr_string(log_of(p, OUTLOG_STDERR)));
        xr_struct_set(st, "pid", xr_int(p->pid));
        char *desc = proc_description(p, now);
        xr_struct_set(st, "description", xr_string(desc ? desc : ""));
        free(desc);
        return st;
}

/* A name that must resolve to one process (BAD_NAME for groups too). */
static struct proc *
one_proc(const struct xr_value *v, struct res *r)
{
        const char *spec = arg_str(v);
        struct proc_group *g;
        struct proc *p;
        if (!spec) {
                res_http500(r);
                return NULL;
        }
        if (!resolve(spec, &g, &p, r))
                return NULL;
        if (!p)
                res_fault(r, FAULT_BAD_NAME, spec);
        return p;
}

static void
m_get_process_info(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        if (!mood_ok(r))
                return;
        struct proc *p = one_proc(ARG(0), r);
        if (p)
                res_value(r, process_info(p, time_wall()));
}

static void
m_get_all_process_info(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!mood_ok(r))
                return;
        struct proc *const *procs;
        size_t n = sup_procs_by_name(&procs);
        double now = time_wall();
        struct xr_value *a = xr_array();
        for (size_t i = 0; i < n; i++)
                xr_array_push(a, process_info(procs[i], now));
        res_value(r, a);
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

static void
m_get_all_config_info(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!mood_ok(r))
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
        res_value(r, a);
}

/* --- supervisor.*: process logs and stdin ------------------------------------------------------ */

static void
read_process_log(const struct xr_value *params, enum outlog_channel ch, struct res *r)
{
        if (!mood_ok(r))
                return;
        struct proc *p = one_proc(ARG(0), r);
        if (p)
                read_log(log_of(p, ch), ARG(1), ARG(2), r);
}

static void
m_read_process_stdout_log(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        read_process_log(params, OUTLOG_STDOUT, r);
}

static void
m_read_process_stderr_log(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        read_process_log(params, OUTLOG_STDERR, r);
}

static void
tail_process_log(const struct xr_value *params, enum outlog_channel ch, struct res *r)
{
        if (!mood_ok(r))
                return;
        struct proc *p = one_proc(ARG(0), r);
        if (!p)
                return;
        const char *path = log_of(p, ch);
        char *data = NULL;
        size_t n = 0;
        long offset, length, newoff = 0;
        bool overflow = false;
        int e;

        if (!path_exists(path)) {
                struct xr_value *a = xr_array();
                xr_array_push(a, xr_string(""));
                xr_array_push(a, xr_int(0));
                xr_array_push(a, xr_bool(false));
                res_value(r, a);
                return;
        }
        if ((e = arg_long(ARG(1), &offset)) < 0 || (e = arg_long(ARG(2), &length)) < 0) {
                if (e == -E2BIG)
                        res_fault(r, FAULT_INCORRECT_PARAMETERS, NULL);
                else
                        res_http500(r);
                return;
        }
        e = logfile_tail(path, offset, length, &data, &n, &newoff, &overflow);
        if (e == -EINVAL) {
                res_fault(r, FAULT_BAD_ARGUMENTS, NULL);
        } else if (e < 0) {
                res_fault(r, FAULT_FAILED, NULL);
        } else {
                struct xr_value *a = xr_array();
                xr_array_push(a, text_value(data ? data : "", n));
                xr_array_push(a, xr_int(newoff));
                xr_array_push(a, xr_bool(overflow));
                res_value(r, a);
        }
        free(data);
}

static void
m_tail_process_stdout_log(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        tail_process_log(params, OUTLOG_STDOUT, r);
}

static void
m_tail_process_stderr_log(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        tail_process_log(params, OUTLOG_STDERR, r);
}

static int
clear_one(struct proc *p)
{
        return p->log ? outlog_clear(p->log) : 0;
}

static void
m_clear_process_logs(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        if (!mood_ok(r))
                return;
        struct proc *p = one_proc(ARG(0), r);
        if (!p)
                return;
        if (clear_one(p) < 0)
                res_fault(r, FAULT_FAILED, arg_str(ARG(0)));
        else
                res_value(r, xr_bool(true));
}

static void
m_clear_all_process_logs(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        if (!mood_ok(r))
                return;
        struct proc *const *procs;
        size_t n = sup_procs_by_priority(&procs);
        struct xr_value *a = xr_array();
        for (size_t i = 0; i < n; i++) {
                if (clear_one(procs[i]) < 0) {
                        char *spec = namespec(procs[i]);
                        char *t = fault_text(FAULT_FAILED, spec);
                        xr_array_push(a, result_struct(procs[i], FAULT_FAILED, t));
                        free(t);
                        free(spec);
                } else {
                        xr_array_push(a, result_struct(procs[i], FAULT_SUCCESS, "OK"));
                }
        }
        res_value(r, a);
}

static void
m_send_process_stdin(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        if (!mood_ok(r))
                return;
        const struct xr_value *chars = ARG(1);
        if (chars->type != XR_STRING && chars->type != XR_BASE64) {
                char *s = arg_pystr(chars);
                res_fault(r, FAULT_INCORRECT_PARAMETERS, s);
                free(s);
                return;
        }
        struct proc *p = one_proc(ARG(0), r);
        if (!p)
                return;
        const char *spec = ARG(0)->str.s;
        if (!p->pid || p->killing || !p->log) {
                res_fault(r, FAULT_NOT_RUNNING, spec);
                return;
        }
        int e = outlog_write_stdin(p->log, chars->str.s, chars->str.len);
        if (e == -EPIPE)
                res_fault(r, FAULT_NO_FILE, spec);
        else if (e == -ENOTCONN)
                res_fault(r, FAULT_NOT_RUNNING, spec);
        else if (e < 0)
                res_fault(r, FAULT_FAILED, spec);
        else
                res_value(r, xr_bool(true));
}

static void
m_send_remote_comm_event(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        /* corral has no event listeners: the event has nobody to reach. No mood check (sic). */
        res_value(r, xr_bool(true));
}

/* --- system.* ------------------------------------------------------------------------------- */

static void m_list_methods(struct rpc_pending *, const struct xr_value *, struct res *);
static void m_method_help(struct rpc_pending *, const struct xr_value *, struct res *);
static void m_method_signature(struct rpc_pending *, const struct xr_value *, struct res *);
static void m_multicall(struct rpc_pending *, const struct xr_value *, struct res *);

struct method {
        const char *name;
        void (*fn)(struct rpc_pending *pend, const struct xr_value *params, struct res *r);
        unsigned char min, max;         /* argument count */
        const char *sig;                /* methodSignature: return type, then parameter types */
        const char *help;
};

/* Sorted by name: this is listMethods' order (41 names, as supervisord 4.2.5). */
static const struct method methods[] = {
        { "supervisor.addProcessGroup", m_add_process_group, 1, 1, "boolean string",
          "Add the process group 'name' from the configuration last read by reloadConfig. @return boolean" },
        { "supervisor.clearAllProcessLogs", m_clear_all_process_logs, 0, 0, "array",
          "Clear the stdout and stderr logs of every process. @return array of result structs" },
        { "supervisor.clearLog", m_clear_log, 0, 0, "boolean", "Clear the main log. @return boolean" },
        { "supervisor.clearProcessLog", m_clear_process_logs, 1, 1, "boolean string",
          "Alias of clearProcessLogs." },
        { "supervisor.clearProcessLogs", m_clear_process_logs, 1, 1, "boolean string",
          "Clear and reopen the stdout and stderr logs of process 'name'. @return boolean" },
        { "supervisor.getAPIVersion", m_get_api_version, 0, 0, "string",
          "Return the version of the RPC API (\"3.0\"). @return string" },
        { "supervisor.getAllConfigInfo", m_get_all_config_info, 0, 0, "array",
          "Return one struct per configured process (as last read). @return array" },
        { "supervisor.getAllProcessInfo", m_get_all_process_info, 0, 0, "array",
          "Return getProcessInfo for every process, by group then name. @return array" },
        { "supervisor.getIdentification", m_get_identification, 0, 0, "string",
          "Return the identifier of this daemon. @return string" },
        { "supervisor.getPID", m_get_pid, 0, 0, "int", "Return the PID of the daemon. @return int" },
        { "supervisor.getProcessInfo", m_get_process_info, 1, 1, "struct string",
          "Return a struct describing process 'name' (or 'group:name'). @return struct" },
        { "supervisor.getState", m_get_state, 0, 0, "struct",
          "Return the daemon state as a struct {statecode, statename}. @return struct" },
        { "supervisor.getSupervisorVersion", m_get_supervisor_version, 0, 0, "string",
          "Return the supervisord version this daemon is compatible with. @return string" },
        { "supervisor.getVersion", m_get_api_version, 0, 0, "string", "Alias of getAPIVersion." },
        { "supervisor.readLog", m_read_log, 2, 2, "string int int",
          "Read length bytes of the main log from offset. @return string" },
        { "supervisor.readMainLog", m_read_log, 2, 2, "string int int", "Alias of readLog." },
        { "supervisor.readProcessLog", m_read_process_stdout_log, 3, 3, "string string int int",
          "Alias of readProcessStdoutLog." },
        { "supervisor.readProcessStderrLog", m_read_process_stderr_log, 3, 3, "string string int int",
          "Read length bytes of the stderr log of 'name' from offset. @return string" },
        { "supervisor.readProcessStdoutLog", m_read_process_stdout_log, 3, 3, "string string int int",
          "Read length bytes of the stdout log of 'name' from offset. @return string" },
        { "supervisor.reloadConfig", m_reload_config, 0, 0, "array",
          "Reread the configuration; return [[added, changed, removed]] group names. @return array" },
        { "supervisor.removeProcessGroup", m_remove_process_group, 1, 1, "boolean string",
          "Remove the stopped process group 'name'. @return boolean" },
        { "supervisor.restart", m_restart, 0, 0, "boolean",
          "Stop everything, reread the configuration and start again. @return boolean" },
        { "supervisor.sendProcessStdin", m_send_process_stdin, 2, 2, "boolean string string",
          "Write chars to the stdin of process 'name'. @return boolean" },
        { "supervisor.sendRemoteCommEvent", m_send_remote_comm_event, 2, 2, "boolean string string",
          "Emit a REMOTE_COMMUNICATION event. @return boolean" },
        { "supervisor.shutdown", m_shutdown, 0, 0, "boolean",
          "Stop every process, then exit. @return boolean" },
        { "supervisor.signalAllProcesses", m_signal_all_processes, 1, 1, "array string",
          "Send a signal to every process. @return array of result structs" },
        { "supervisor.signalProcess", m_signal_process, 2, 2, "boolean string string",
          "Send a signal (name or number) to process 'name'. @return boolean" },
        { "supervisor.signalProcessGroup", m_signal_process_group, 2, 2, "array string string",
          "Send a signal to every process of group 'name'. @return array of result structs" },
        { "supervisor.startAllProcesses", m_start_all_processes, 0, 1, "array boolean",
          "Start every process, in priority order. @return array of result structs" },
        { "supervisor.startProcess", m_start_process, 1, 2, "boolean string boolean",
          "Start process 'name' ('group:*' starts the group); wait until RUNNING. @return boolean" },
        { "supervisor.startProcessGroup", m_start_process_group, 1, 2, "array string boolean",
          "Start every process of group 'name'. @return array of result structs" },
        { "supervisor.stopAllProcesses", m_stop_all_processes, 0, 1, "array boolean",
          "Stop every process, in priority order. @return array of result structs" },
        { "supervisor.stopProcess", m_stop_process, 1, 2, "boolean string boolean",
          "Stop process 'name' ('group:*' stops the group); wait until stopped. @return boolean" },
        { "supervisor.stopProcessGroup", m_stop_process_group, 1, 2, "array string boolean",
          "Stop every process of group 'name'. @return array of result structs" },
        { "supervisor.tailProcessLog", m_tail_process_stdout_log, 3, 3, "array string int int",
          "Alias of tailProcessStdoutLog." },
        { "supervisor.tailProcessStderrLog", m_tail_process_stderr_log, 3, 3, "array string int int",
          "Tail the stderr log of 'name'. @return array [string bytes, int offset, bool overflow]" },
        { "supervisor.tailProcessStdoutLog", m_tail_process_stdout_log, 3, 3, "array string int int",
          "Tail the stdout log of 'name'. @return array [string bytes, int offset, bool overflow]" },
        { "system.listMethods", m_list_methods, 0, 0, "array",
          "Return an array listing the available method names. @return array" },
        { "system.methodHelp", m_method_help, 1, 1, "string string",
          "Return the documentation of a method. @return string" },
        { "system.methodSignature", m_method_signature, 1, 1, "array string",
          "Return [return type, parameter types...] of a method. @return array" },
        { "system.multicall", m_multicall, 1, 1, "array array",
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
m_list_methods(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend; (void)params;
        struct xr_value *a = xr_array();
        for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
                xr_array_push(a, xr_string(methods[i].name));
        res_value(r, a);
}

static void
m_method_help(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        const struct method *m = arg_str(ARG(0)) ? method_find(ARG(0)->str.s) : NULL;
        if (!m)
                res_fault(r, FAULT_SIGNATURE_UNSUPPORTED, NULL);
        else
                res_value(r, xr_string(m->help));
}

static void
m_method_signature(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        (void)pend;
        const struct method *m = arg_str(ARG(0)) ? method_find(ARG(0)->str.s) : NULL;
        if (!m) {
                res_fault(r, FAULT_SIGNATURE_UNSUPPORTED, NULL);
                return;
        }
        struct xr_value *a = xr_array();
        for (const char *s = m->sig; *s;) {
                size_t n = strcspn(s, " ");
                xr_array_push(a, xr_stringn(s, n));
                s += n;
                s += *s == ' ';
        }
        res_value(r, a);
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
                res_fault(r, FAULT_UNKNOWN_METHOD, NULL);
                return;
        }
        if (params->arr.n < m->min || params->arr.n > m->max) {
                res_fault(r, FAULT_INCORRECT_PARAMETERS, NULL);
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

/* Run the remaining calls in order until one has to wait. */
static void
multi_continue(struct rpc_pending *pend, struct res *r)
{
        const struct xr_value *calls = pend->call.params->arr.v[0];
        while (pend->mnext < calls->arr.n) {
                const struct xr_value *c = calls->arr.v[pend->mnext++];
                struct res sub = { 0 };
                const struct xr_value *mn = xr_struct_get(c, "methodName");
                const struct xr_value *ps = xr_struct_get(c, "params");
                struct xr_value *empty = NULL;
                if (c->type != XR_STRUCT) {
                        res_fault(&sub, FAULT_FAILED, "multicall entry is not a struct");
                } else if (!mn) {
                        res_fault(&sub, FAULT_INCORRECT_PARAMETERS, "No methodName");
                } else if (mn->type == XR_STRING && strcmp(mn->str.s, "system.multicall") == 0) {
                        res_fault(&sub, FAULT_INCORRECT_PARAMETERS, "Recursive system.multicall forbidden");
                } else if (mn->type != XR_STRING) {
                        res_fault(&sub, FAULT_UNKNOWN_METHOD, NULL);
                } else if (ps && ps->type != XR_ARRAY) {
                        res_fault(&sub, FAULT_INCORRECT_PARAMETERS, NULL);
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
        res_value(r, pend->mresults);
        pend->mresults = NULL;
}

static void
m_multicall(struct rpc_pending *pend, const struct xr_value *params, struct res *r)
{
        if (ARG(0)->type != XR_ARRAY || pend->multi) {
                res_http500(r);
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
        opset_result(o, &r);
        opset_free(o);
        if (pend->multi) {
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
