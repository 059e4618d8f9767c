/* SPDX-License-Identifier: MIT */
/* ctl — the control server: [unix_http_server] and [inet_http_server] listeners, HTTP through
 * libmicrohttpd driven from the libev loop, Basic auth, limits, /RPC2 → rpc, and the streaming
 * /logtail/<name>/<channel> and /mainlogtail endpoints (followers, no polling). */
#ifndef CORRAL_CTL_H
#define CORRAL_CTL_H

struct ev_loop;
struct cfg;

/* Start the listeners the config asks for. 0, or -errno with a message already logged (an
 * address in use by a live corrald, a non-loopback TCP address without a password …). */
int ctl_init(struct ev_loop *loop, const struct cfg *cfg);
/* A restart put cfg in force: apply its [unix_http_server]/[inet_http_server] — new credentials
 * at once, a new address by listening there first; an address that cannot be bound keeps the old
 * one serving (with the new credentials), and says so in the log. */
void ctl_reconfigure(const struct cfg *cfg);
/* Flush pending replies as far as possible, close listeners, remove the unix socket file. */
void ctl_fini(void);

#endif
