/* SPDX-License-Identifier: MIT */
/* http — one HTTP server (libmicrohttpd in external-loop mode, driven from libev) on a listening
 * socket that ctl made: Basic auth, request limits, POST /RPC2* → rpc_dispatch (deferred replies
 * suspend the connection), GET /logtail/<name>[/<channel>] and /mainlogtail streamed as chunked
 * tail -f, everything else answered with supervisord's HTML error pages (compat G). */
#ifndef CORRAL_HTTP_H
#define CORRAL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct ev_loop;
struct logfile;

/* Limits (compile-time; a connection above them is refused or dropped, never blocks the loop). */
#define HTTP_MAX_BODY           (1024 * 1024)   /* request body; larger → 413 */
#define HTTP_CONN_LIMIT         256             /* per listener */
#define HTTP_IDLE_TIMEOUT       30              /* seconds without progress → dropped (guests
                                                 * only: an authenticated client is kept) */
#define HTTP_PEER_GUESTS        64              /* unauthenticated, per peer (uid or address) */
#define HTTP_GUEST_DEADLINE     10.0            /* seconds to a first authorized request header */
/* Connections without an authorized request yet are dropped oldest first to make room for a new
 * one when the listener (HTTP_CONN_LIMIT) or its peer (HTTP_PEER_GUESTS) is full. */
#define HTTP_TAIL_FIRST         1024            /* a stream starts with the last N bytes */
#define HTTP_TAIL_BLOCK         16384           /* at most this much is read per pull */

/* Where /logtail and /mainlogtail read from. name NULL = the main log; channel is "stdout" or
 * "stderr". Returns NULL when unknown or when there is no log file (→ 404). */
typedef struct logfile *(*http_log_resolver_fn)(const char *name, const char *channel);

struct http_server_options {
        const char *name;               /* for messages, e.g. "unix_http_server" */
        const char *username;           /* NULL: no authentication */
        const char *password;           /* plain or "{SHA}" + hex */
        http_log_resolver_fn resolve_log;
        unsigned idle_timeout;          /* 0: HTTP_IDLE_TIMEOUT */
};

struct http_server;

/* Serve on listen_fd (listening, non-blocking; ownership passes to the server, also on failure).
 * NULL with errno set on failure. */
struct http_server *http_server_new(struct ev_loop *loop, int listen_fd, const struct http_server_options *opt);
/* Cancel deferred replies, end streams, close every connection and the listening socket.
 * Accepts NULL, returns NULL. */
struct http_server *http_server_free(struct http_server *s);

/* New credentials (a reload): later requests are checked against them. NULL user: no auth. */
void http_server_set_auth(struct http_server *s, const char *username, const char *password);

/* Number of open connections (tests, limits). */
unsigned http_server_connections(const struct http_server *s);

/* supervisord's credential check (compat G.3): user must match exactly; a stored "{SHA}<hex>"
 * password compares with the lowercase hex SHA-1 of the given one, otherwise plain equality.
 * Constant time in the contents of the secrets. */
bool http_auth_ok(const char *want_user, const char *want_pass, const char *user, const char *pass);
/* The same check on an Authorization header's value (len bytes, not NUL-terminated): scheme
 * "Basic" in any case (RFC 7235), base64 "user:password"; decoded credentials holding a NUL
 * are refused. True when no authentication is configured (want_user NULL). */
bool http_auth_header_ok(const char *want_user, const char *want_pass, const char *value, size_t len);

#endif
