/* SPDX-License-Identifier: MIT */
/* cctl_call — one command's XML-RPC calls and the "exception" a failed one raises (see
 * cctl_call.c). Internal to corralctl. */
#ifndef CORRAL_CCTL_CALL_H
#define CORRAL_CCTL_CALL_H

#include <stdbool.h>
#include <stddef.h>

#include "corralctl/cctl.h"
#include "shared/xmlrpc.h"

/* Where supervisorctl's exceptions say they come from (its messages are reproduced verbatim). */
#define CCTL_PY_CTL     "/usr/lib/python3/dist-packages/supervisor/supervisorctl.py"
#define CCTL_PY_XMLRPC  "/usr/lib/python3/dist-packages/supervisor/xmlrpc.py"

/* Raise the command's exception (printed "error: <text>" by the dispatcher). Return -1. */
int cctl_raise(struct cctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The exception of an XML-RPC fault. */
int cctl_raise_fault(struct cctl *c, int code, const char *str);
/* The Python exception class of an errno ("ConnectionRefusedError"…). */
const char *cctl_py_errclass(int e);

/* The command's connection, set up on first use. 0 or -1 (exception raised). */
int cctl_need_client(struct cctl *c);
/* One XML-RPC call. params (consumed) may be NULL. Returns 0 with *ret (caller frees; ret may be
 * NULL), a fault code > 0 (its string in c->fault_string), or -1 with an exception raised. */
int cctl_rpc(struct cctl *c, const char *method, struct xr_value *params, struct xr_value **ret);
/* The same, a fault being an exception too (0 or -1). */
int cctl_rpc_must(struct cctl *c, const char *method, struct xr_value *params, struct xr_value **ret);
/* An array of n values (taken). */
struct xr_value *cctl_params(int n, ...);

/* s[0..n) and a newline to c->msg. */
void cctl_output_raw(struct cctl *c, const char *s, size_t n);

/* The exit status of a result code, unless it is FAULT_SUCCESS or the command's ignored one. */
void cctl_exit_from_fault(struct cctl *c, int code, int ignored);

/* supervisorctl's upcheck: getVersion must answer "3.0". 0 with *ok (when false the reason is
 * printed and the exit status set), or -1 with an exception raised. */
int cctl_upcheck(struct cctl *c, bool *ok);
#define CCTL_UPCHECK(c)                                 \
        do {                                            \
                bool ok_;                               \
                if (cctl_upcheck((c), &ok_) < 0)        \
                        return -1;                      \
                if (!ok_)                               \
                        return 0;                       \
        } while (0)

#endif
