/* SPDX-License-Identifier: MIT */
/* cctl_proc — start, stop, restart, signal and clear: one shape (names, "all", "group:*" or a
 * group) over three methods each, described by a request table; their result lines are a table
 * of fault codes per request. */
#include "corralctl/cctl.h"
#include "corralctl/cctl_call.h"
#include "corralctl/cctl_cmd.h"
#include "corralctl/cctl_text.h"

#include <stdlib.h>
#include <string.h>

#include "shared/fault.h"
#include "shared/util.h"

struct code_text {
        int code;
        const char *text;               /* "<namespec>: ERROR (<text>)" */
};

/* One of supervisorctl's process commands. */
struct request {
        const char *cmd;
        const char *all, *group, *one; /* XML-RPC methods (no group method: per name) */
        bool with_signal;               /* the first word is a signal name, passed to each method */
        const char *usage;              /* too few words: this, then the help, with usage_exit */
        int usage_exit;
        int no_group_exit;              /* exit status for "no such group" */
        const char *done;               /* "<namespec>: <done>" on success */
        int ignored;                    /* a result that is no error (already started…), or -1 */
        const struct code_text *errors; /* result codes printed as errors; ends with a NULL text */
        bool failed_is_desc;            /* FAULT_FAILED prints the result's description as is */
        int unknown_line;               /* supervisorctl.py's line raising "Unknown result code" */
};

static const struct code_text start_errors[] = {
        { FAULT_BAD_NAME, "no such process" },
        { FAULT_NO_FILE, "no such file" },
        { FAULT_NOT_EXECUTABLE, "file is not executable" },
        { FAULT_ALREADY_STARTED, "already started" },
        { FAULT_SPAWN_ERROR, "spawn error" },
        { FAULT_ABNORMAL_TERMINATION, "abnormal termination" },
        { 0, NULL },
};
static const struct code_text signal_errors[] = {
        { FAULT_BAD_NAME, "no such process" },
        { FAULT_BAD_SIGNAL, "bad signal name" },
        { FAULT_NOT_RUNNING, "not running" },
        { 0, NULL },
};
static const struct code_text clear_errors[] = {
        { FAULT_BAD_NAME, "no such process" },
        { FAULT_FAILED, "failed" },
        { 0, NULL },
};

static const struct request req_start = {
        "start", "supervisor.startAllProcesses", "supervisor.startProcessGroup", "supervisor.startProcess",
        false, "Error: start requires a process name", CCTL_EXIT_INVALID_ARGS, CCTL_EXIT_INVALID_ARGS,
        "started", FAULT_ALREADY_STARTED, start_errors, false, 761,
};
static const struct request req_stop = {
        "stop", "supervisor.stopAllProcesses", "supervisor.stopProcessGroup", "supervisor.stopProcess",
        false, "Error: stop requires a process name", CCTL_EXIT_GENERIC, CCTL_EXIT_GENERIC,
        "stopped", FAULT_NOT_RUNNING, signal_errors, true, 835,
};
static const struct request req_signal = {
        "signal", "supervisor.signalAllProcesses", "supervisor.signalProcessGroup", "supervisor.signalProcess",
        true, "Error: signal requires a signal name and a process name", CCTL_EXIT_GENERIC, CCTL_EXIT_GENERIC,
        "signalled", -1, signal_errors, true, 835,
};
static const struct request req_clear = {
        "clear", "supervisor.clearAllProcessLogs", NULL, "supervisor.clearProcessLogs",
        false, "Error: clear requires a process name", CCTL_EXIT_GENERIC, CCTL_EXIT_GENERIC,
        "cleared", -1, clear_errors, false, 1260,
};

/* The line supervisorctl prints for one result, or NULL with *bad and an exception raised for a
 * code it does not know. */
static char *
result_line(struct cctl *c, const struct request *q, const char *group, const char *name, int code,
            const char *desc, bool *bad)
{
        char *ns = cctl_namespec_make(group, name);
        char *r = NULL;
        *bad = false;
        const struct code_text *e = q->errors;
        while (e->text && e->code != code)
                e++;
        if (e->text)
                r = xasprintf("%s: ERROR (%s)", ns, e->text);
        else if (code == FAULT_SUCCESS)
                r = xasprintf("%s: %s", ns, q->done);
        else if (code == FAULT_FAILED && q->failed_is_desc)
                r = xstrdup(desc ? desc : "");
        else {
                cctl_raise(c, "<class 'ValueError'>, Unknown result code %d for %s: file: %s line: %d",
                           code, ns, CCTL_PY_CTL, q->unknown_line);
                *bad = true;
        }
        free(ns);
        return r;
}

/* Print an array of result structs. 0 or -1. */
static int
show_results(struct cctl *c, const struct request *q, const struct xr_value *results)
{
        for (size_t i = 0; i < cctl_arr_len(results); i++) {
                const struct xr_value *r = xr_array_get(results, i);
                bool bad;
                int code = (int)cctl_vint(r, "status");
                char *line = result_line(c, q, cctl_vstr(r, "group"), cctl_vstr(r, "name"), code,
                                         cctl_vstr(r, "description"), &bad);
                if (bad)
                        return -1;
                cctl_output(c, "%s", line);
                free(line);
                cctl_exit_from_fault(c, code, q->ignored);
        }
        return 0;
}

/* The parameters of one method: the name (when any), then the signal (when the request has one). */
static struct xr_value *
request_params(const struct request *q, const char *name, const char *sig)
{
        struct xr_value *a = xr_array();
        if (name)
                xr_array_push(a, xr_string(name));
        if (q->with_signal)
                xr_array_push(a, xr_string(sig));
        return a;
}

/* "all": the all-method and its results. */
static int
request_all(struct cctl *c, const struct request *q, const char *sig)
{
        struct xr_value *v;
        int rc = cctl_rpc(c, q->all, q->with_signal ? request_params(q, NULL, sig) : NULL, &v);
        if (rc > 0)
                return cctl_raise_fault(c, rc, c->fault_string);
        if (rc < 0)
                return -1;
        rc = show_results(c, q, v);
        xr_free(v);
        return rc;
}

/* A group ("g:*", or a bare name when the request has a group method): its results. */
static int
request_group(struct cctl *c, const struct request *q, const char *g, const char *sig)
{
        struct xr_value *v;
        int rc = cctl_rpc(c, q->group, request_params(q, g, sig), &v);
        if (rc == 0) {
                rc = show_results(c, q, v);
                xr_free(v);
        } else if (rc == FAULT_BAD_NAME) {
                cctl_output(c, "%s: ERROR (no such group)", g);
                c->exitstatus = q->no_group_exit;
                rc = 0;
        } else if (rc > 0) {
                c->exitstatus = CCTL_EXIT_GENERIC;
                rc = cctl_raise_fault(c, rc, c->fault_string);
        }
        return rc;
}

/* One process: "<namespec>: <done>", or its fault as a result line. */
static int
request_one(struct cctl *c, const struct request *q, const char *spec, const char *g, const char *p,
            const char *sig)
{
        int rc = cctl_rpc(c, q->one, request_params(q, spec, sig), NULL);
        if (rc == 0) {
                char *ns = cctl_namespec_make(g, p);
                cctl_output(c, "%s: %s", ns, q->done);
                free(ns);
        } else if (rc > 0) {
                bool bad;
                char *line = result_line(c, q, g, p, rc, c->fault_string, &bad);
                if (!bad) {
                        cctl_output(c, "%s", line);
                        cctl_exit_from_fault(c, rc, q->ignored);
                }
                free(line);
                rc = bad ? -1 : 0;
        }
        return rc;
}

/* The names of w from first on, as supervisorctl's do_start & co. take them. */
static int
request_names(struct cctl *c, const struct request *q, const struct cctl_words *w, size_t first,
              const char *sig)
{
        for (size_t i = first; i < w->n; i++)
                if (strcmp(w->v[i], "all") == 0)
                        return request_all(c, q, sig);
        for (size_t i = first; i < w->n; i++) {
                char *g, *p;
                cctl_namespec_split(w->v[i], &g, &p);
                int rc = !p && q->group ? request_group(c, q, g, sig) : request_one(c, q, w->v[i], g, p, sig);
                free(g);
                free(p);
                if (rc < 0)
                        return -1;
        }
        return 0;
}

static int
request(struct cctl *c, const struct request *q, const char *arg)
{
        CCTL_UPCHECK(c);
        struct cctl_words w;
        cctl_words_split(arg, &w);
        size_t first = q->with_signal ? 1 : 0;
        int rc = 0;
        if (w.n <= first) {
                cctl_output(c, "%s", q->usage);
                c->exitstatus = q->usage_exit;
                cctl_help_of(c, q->cmd);
        } else
                rc = request_names(c, q, &w, first, first ? w.v[0] : NULL);
        cctl_words_free(&w);
        return rc;
}

int
cctl_do_start(struct cctl *c, const char *arg)
{
        return request(c, &req_start, arg);
}

int
cctl_do_stop(struct cctl *c, const char *arg)
{
        return request(c, &req_stop, arg);
}

int
cctl_do_signal(struct cctl *c, const char *arg)
{
        return request(c, &req_signal, arg);
}

int
cctl_do_clear(struct cctl *c, const char *arg)
{
        return request(c, &req_clear, arg);
}

/* restart: stop, then start, the same names (supervisorctl's do_restart). */
int
cctl_do_restart(struct cctl *c, const char *arg)
{
        CCTL_UPCHECK(c);
        struct cctl_words w;
        cctl_words_split(arg, &w);
        size_t n = w.n;
        cctl_words_free(&w);
        if (n == 0) {
                cctl_output(c, "Error: restart requires a process name");
                c->exitstatus = CCTL_EXIT_GENERIC;
                cctl_help_of(c, "restart");
                return 0;
        }
        if (cctl_do_stop(c, arg) < 0)
                return -1;
        return cctl_do_start(c, arg);
}
