/* SPDX-License-Identifier: MIT */
/* rpc — STUB. Replaced by the control-plane work (issue 4). */
#include "rpc.h"

#include "fault.h"

struct rpc_pending *
rpc_dispatch(const char *body, size_t len, rpc_done_fn done, void *ctx)
{
        (void)body; (void)len;
        struct xr_buf b = { 0 };
        xr_encode_fault(&b, FAULT_UNKNOWN_METHOD, "UNKNOWN_METHOD");
        done(ctx, 200, &b);
        return NULL;
}
void rpc_cancel(struct rpc_pending *p) { (void)p; }
