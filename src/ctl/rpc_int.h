/* SPDX-License-Identifier: MIT */
/* rpc_int — what rpc.c (dispatch, waits, system.*, the method table) shares with the files that
 * implement supervisor.*: rpc_ctl.c (start/stop/signal/stdin) and rpc_info.c (daemon, process and
 * config info, logs, reload). Private to the rpc module. */
#ifndef CORRAL_RPC_INT_H
#define CORRAL_RPC_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl/rpc.h"
#include "shared/version.h"
#include "shared/xmlrpc.h"

struct proc;
struct proc_group;
struct opset;
struct logfile_span;

/* Replies never hold a big log in memory (SECURITY.md, "Limits"): a log read up to
 * RPC_LOG_INLINE_MAX bytes is read into the reply at once, up to RPC_LOG_INLINE_BUDGET bytes per
 * request; anything more is streamed from the file as the client reads the reply, with at most
 * RPC_STREAMS_PER_REQUEST files per request and RPC_STREAMS_MAX in all. A multicall runs at most
 * RPC_MULTICALL_SLICE calls per loop iteration. */
#define RPC_LOG_INLINE_MAX (64 * 1024)
#define RPC_LOG_INLINE_BUDGET (1024 * 1024)
#define RPC_STREAMS_PER_REQUEST 16
#define RPC_STREAMS_MAX 64
#define RPC_MULTICALL_SLICE 64

/* The outcome of one method call. */
enum res_kind {
        RES_VALUE,      /* value */
        RES_FAULT,      /* code + text (full faultString) */
        RES_HTTP500,    /* an argument of the wrong type: supervisord answers HTTP 500 */
        RES_DEFER,      /* ops: the reply comes when every watched process is done */
};

struct res {
        enum res_kind kind;
        struct xr_value *value;
        int code;
        char *text;
        struct opset *ops;
};

/* A method: params is the XR_ARRAY of arguments, its count already checked against the table. */
typedef void rpc_method_fn(struct rpc_pending *pend, const struct xr_value *params, struct res *r);

#define ARG(i) (params->arr.v[(i)])
#define NARGS (params->arr.n)

void rpc_res_value(struct res *r, struct xr_value *v);
void rpc_res_fault(struct res *r, int code, const char *extra);        /* "NAME" or "NAME: extra" */
void rpc_res_http500(struct res *r);
char *rpc_fault_text(int code, const char *extra);                     /* malloc'd */
bool rpc_mood_ok(struct res *r);                /* false + SHUTDOWN_STATE while stopping */

/* Per-process operations, supervisord's make_allfunc: a single-process set replies true or the
 * fault; a group set replies the array of {name, group, status, description}. */
struct opset *rpc_opset_new(bool single);
void rpc_opset_record(struct opset *o, const struct proc *p, int code, char *text);    /* takes text */
void rpc_opset_add_wait(struct opset *o, struct proc *p, bool stop, const char *spec);
void rpc_opset_finish(struct opset *o, struct res *r);         /* value, or RES_DEFER if waiting */
struct xr_value *rpc_result_struct(const struct proc *p, int status, const char *description);

/* A log read's bytes as a string value under the limits above (takes sp's fd), or NULL with a
 * fault in r. */
struct xr_value *rpc_log_value(struct rpc_pending *pend, struct logfile_span *sp, struct res *r);

/* Names: "g:p" or "p" (malloc'd); lookup with supervisord's split_namespec rules. */
bool rpc_resolve(const char *spec, struct proc_group **ret_group, struct proc **ret_proc, struct res *r);
struct proc *rpc_one_proc(const struct xr_value *v, struct res *r);
bool rpc_group_arg(const struct xr_value *v, char **ret, struct res *r);

/* Arguments with Python's conversions. */
const char *rpc_arg_str(const struct xr_value *v);
bool rpc_arg_truthy(const struct xr_value *v);
int rpc_arg_long(const struct xr_value *v, long *ret);         /* 0, -EINVAL (500), -E2BIG (fault 2) */
char *rpc_arg_pystr(const struct xr_value *v);                 /* str(x) of a scalar, or NULL */

/* supervisor.* (rpc_ctl.c) */
rpc_method_fn rpc_m_start_process, rpc_m_stop_process, rpc_m_start_process_group, rpc_m_stop_process_group,
        rpc_m_start_all_processes, rpc_m_stop_all_processes, rpc_m_signal_process, rpc_m_signal_process_group,
        rpc_m_signal_all_processes, rpc_m_send_process_stdin, rpc_m_send_remote_comm_event;
/* supervisor.* (rpc_info.c) */
rpc_method_fn rpc_m_get_api_version, rpc_m_get_supervisor_version, rpc_m_get_identification, rpc_m_get_state,
        rpc_m_get_pid, rpc_m_read_log, rpc_m_clear_log, rpc_m_shutdown, rpc_m_restart, rpc_m_reload_config,
        rpc_m_add_process_group, rpc_m_remove_process_group, rpc_m_get_process_info, rpc_m_get_all_process_info,
        rpc_m_get_all_config_info, rpc_m_read_process_stdout_log, rpc_m_read_process_stderr_log,
        rpc_m_tail_process_stdout_log, rpc_m_tail_process_stderr_log, rpc_m_clear_process_logs,
        rpc_m_clear_all_process_logs;

#endif
