/* SPDX-License-Identifier: MIT */
/* cctl_call — one command's XML-RPC calls and what they raise: the connection (opened on first
 * use), faults and socket errors turned into the "exception" supervisorctl prints, the upcheck
 * (getVersion) that most commands start with, and the exit status a fault sets. */
#include "corralctl/cctl_call.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "corralctl/cctl_text.h"
#include "shared/fault.h"
#include "shared/util.h"
#include "shared/version.h"

void
cctl_output(struct cctl *c, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vfprintf(c->msg, fmt, ap);
        va_end(ap);
        fputc('\n', c->msg);
}

void
cctl_output_raw(struct cctl *c, const char *s, size_t n)
{
        fwrite(s, 1, n, c->msg);
        fputc('\n', c->msg);
}

int __attribute__((format(printf, 2, 3)))
cctl_raise(struct cctl *c, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        free(c->exc);
        if (vasprintf(&c->exc, fmt, ap) < 0)
                c->exc = NULL;
        va_end(ap);
        return -1;
}

int
cctl_raise_fault(struct cctl *c, int code, const char *str)
{
        char *r = cctl_py_repr(str ? str : "");
        cctl_raise(c, "<class 'xmlrpc.client.Fault'>, <Fault %d: %s>: file: /usr/lib/python3.11/xmlrpc/client.py line: 668",
                   code, r);
        free(r);
        return -1;
}

const char *
cctl_py_errclass(int e)
{
        switch (e) {
        case ECONNREFUSED: return "ConnectionRefusedError";
        case ENOENT: return "FileNotFoundError";
        case EACCES: case EPERM: return "PermissionError";
        case ECONNRESET: return "ConnectionResetError";
        case EPIPE: return "BrokenPipeError";
        case ETIMEDOUT: return "TimeoutError";
        case ECONNABORTED: return "ConnectionAbortedError";
        default: return "OSError";
        }
}

static int
raise_socket(struct cctl *c, int e)
{
        c->exc_errno = e;
        return cctl_raise(c, "<class '%s'>, [Errno %d] %s: file: %s line: %d", cctl_py_errclass(e), e,
                          strerror(e), c->cli.url.is_unix ? CCTL_PY_XMLRPC : "/usr/lib/python3.11/socket.py",
                         c->cli.url.is_unix ? 557 : 836);
}

/* A connection for this command, created on first use. 0 or -1 (exception raised). */
int
cctl_need_client(struct cctl *c)
{
        if (c->cli_ok)
                return 0;
        if (cctl_client_init(&c->cli, c->serverurl, c->username, c->password) < 0)
                return cctl_raise(c, "<class 'ValueError'>, Unknown protocol for serverurl %s: file: %s line: 505",
                                  c->serverurl, CCTL_PY_XMLRPC);
        c->cli_ok = true;
        return 0;
}

/* One XML-RPC call. params (consumed) may be NULL. Returns 0 with *ret (caller frees; ret may be
 * NULL), a fault code > 0 (string in c->fault_string), or -1 with an exception raised. */
int
cctl_rpc(struct cctl *c, const char *method, struct xr_value *params, struct xr_value **ret)
{
        if (ret)
                *ret = NULL;
        if (cctl_need_client(c) < 0) {
                xr_free(params);
                return -1;
        }
        struct cctl_result r;
        cctl_call(&c->cli, method, params, &r);
        xr_free(params);
        int rc = -1;
        switch (r.kind) {
        case CCTL_OK:
                if (ret) {
                        *ret = r.value;
                        r.value = NULL;
                }
                rc = 0;
                break;
        case CCTL_FAULT:
                free(c->fault_string);
                c->fault_string = r.fault_string;
                r.fault_string = NULL;
                rc = r.fault_code > 0 ? r.fault_code : FAULT_FAILED;
                break;
        case CCTL_SOCKET:
                raise_socket(c, r.err);
                break;
        case CCTL_PROTOCOL:
                c->exc_401 = r.http_status == 401;
                cctl_raise(c, "<class 'xmlrpc.client.ProtocolError'>, <ProtocolError for 127.0.0.1/RPC2: %d %s>: file: %s line: 539",
                           r.http_status, r.reason ? r.reason : "", CCTL_PY_XMLRPC);
                break;
        case CCTL_BADREPLY:
                cctl_raise(c, "<class 'xmlrpc.client.ResponseError'>, %s: file: /usr/lib/python3.11/xmlrpc/client.py line: 665",
                           r.msg ? r.msg : "bad response");
                break;
        }
        cctl_result_clear(&r);
        return rc;
}

struct xr_value *
cctl_params(int n, ...)
{
        struct xr_value *a = xr_array();
        va_list ap;
        va_start(ap, n);
        for (int i = 0; i < n; i++)
                xr_array_push(a, va_arg(ap, struct xr_value *));
        va_end(ap);
        return a;
}

/* ---- exit status helpers ------------------------------------------------------------------- */

void
cctl_exit_from_fault(struct cctl *c, int code, int ignored)
{
        if (code == ignored || code == FAULT_SUCCESS)
                return;
        if (code == FAULT_SPAWN_ERROR || code == FAULT_ABNORMAL_TERMINATION || code == FAULT_NOT_RUNNING)
                c->exitstatus = CCTL_EXIT_NOT_RUNNING;
        else
                c->exitstatus = CCTL_EXIT_GENERIC;
}

/* cctl_upcheck: getVersion must be VERSION_API. */
int
cctl_upcheck(struct cctl *c, bool *ok)
{
        struct xr_value *v;
        *ok = false;
        int rc = cctl_rpc(c, "supervisor.getVersion", NULL, &v);
        if (rc < 0) {
                if (c->exc_errno == ECONNREFUSED) {
                        cctl_output(c, "%s refused connection", c->serverurl);
                        c->exitstatus = CCTL_EXIT_INSUFFICIENT;
                        return 0;
                }
                if (c->exc_errno == ENOENT) {
                        cctl_output(c, "%s no such file", c->serverurl);
                        c->exitstatus = CCTL_EXIT_NOT_RUNNING;
                        return 0;
                }
                if (!c->exc_401)
                        c->exitstatus = CCTL_EXIT_GENERIC;
                return -1;
        }
        if (rc > 0) {
                if (rc == FAULT_UNKNOWN_METHOD) {
                        cctl_output(c, "Sorry, supervisord responded but did not recognize the supervisor "
                                       "namespace commands that supervisorctl uses to control it.  Please "
                                       "check that the [rpcinterface:supervisor] section is enabled in the "
                                       "configuration file (see sample.conf).");
                        c->exitstatus = CCTL_EXIT_UNIMPLEMENTED;
                        return 0;
                }
                c->exitstatus = CCTL_EXIT_GENERIC;
                return cctl_raise_fault(c, rc, c->fault_string);
        }
        if (!v || v->type != XR_STRING || strcmp(v->str.s, VERSION_API) != 0) {
                char *s = cctl_py_str(v);
                cctl_output(c, "Sorry, this version of supervisorctl expects to talk to a server with API "
                               "version " VERSION_API ", but the remote version is %s.", s);
                free(s);
                c->exitstatus = CCTL_EXIT_NOT_INSTALLED;
                xr_free(v);
                return 0;
        }
        xr_free(v);
        *ok = true;
        return 0;
}
