/* SPDX-License-Identifier: MIT */
/* rpc — supervisord's XML-RPC API (supervisor.* and system.*): method table → sup/proc, fault
 * mapping, deferred replies for wait=true. Transport-agnostic: the HTTP layer hands it a body and
 * gets called back with the HTTP status and the response body, now or later. */
#ifndef CORRAL_RPC_H
#define CORRAL_RPC_H

#include <stddef.h>

#include "shared/xmlrpc.h"

struct rpc_pending;

/* Called exactly once per dispatched request (unless cancelled first). http_status is 200 for
 * results and faults, 400 for an unparsable request, 500 for a type error inside a method. The
 * callee takes ownership of body->p. */
typedef void (*rpc_done_fn)(void *ctx, int http_status, struct xr_buf *body);

/* Dispatch one request body. Returns NULL when done() has already been called, or a handle for a
 * reply that will come later (startProcess with wait=true, stops, shutdown ordering …). */
struct rpc_pending *rpc_dispatch(const char *body, size_t len, rpc_done_fn done, void *ctx);
/* The client went away: done() will not be called. */
void rpc_cancel(struct rpc_pending *p);

#endif
