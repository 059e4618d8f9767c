/* SPDX-License-Identifier: MIT */
/* probe_http — one GET at a time per caller through libcurl's multi-socket API driven by our
 * libev loop (no thread, no blocking call; the multi handle is made at the first request, so a
 * corrald without http probes never initialises libcurl). */
#ifndef CORRAL_PROBE_HTTP_H
#define CORRAL_PROBE_HTTP_H

#include <ev.h>

struct http_get;

/* Start GET url; done(arg, status) runs once from the loop, status the HTTP code or 0 when there
 * was no answer (refused, timeout after timeout seconds, bad URL). NULL when it cannot start. */
struct http_get *http_get_start(struct ev_loop *loop, const char *url, double timeout,
                                void (*done)(void *arg, long status), void *arg);
/* Cancel a GET whose done has not run yet. */
void http_get_cancel(struct http_get *g);

#endif
