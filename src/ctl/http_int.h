/* SPDX-License-Identifier: MIT */
/* http_int — what http.c and http_tail.c share; not for other modules. */
#ifndef CORRAL_HTTP_INT_H
#define CORRAL_HTTP_INT_H

#include <ev.h>
#include <microhttpd.h>

#include "ctl/http.h"

struct http_req;
struct http_tail;
struct http_listener;
struct sockaddr;

/* A new connection (non-blocking, close-on-exec) for the server; the callee owns fd. */
typedef void (*http_accept_fn)(struct http_listener *l, int fd, const struct sockaddr *sa,
                               unsigned salen);

/* The listening socket's watcher (http_listen.c). */
struct http_listener {
        struct ev_loop *loop;
        int fd;                         /* listening socket, owned */
        int reserve;                    /* /dev/null, spent on one client when fds run out */
        const char *name;
        bool is_unix;                   /* AF_UNIX (else TCP) */
        bool exhausted;                 /* out of fds: reported once per incident */
        ev_io io;
        ev_timer pause;                 /* out of fds, reserve spent: retry later, never spin */
        http_accept_fn on_accept;
};

/* A connection's peer, for the per-peer limit: the uid on a unix socket, the address on TCP. */
struct http_peer {
        int family;
        unsigned char addr[16];
};

/* Connection slots (http_conns.c). admit: before MHD_add_connection, false to refuse fd (the
 * caller closes it); added: after it; on_notify is MHD's NOTIFY_CONNECTION callback. */
bool http_conns_admit(struct http_server *s, int fd, const struct sockaddr *sa, unsigned salen);
void http_conns_added(struct http_server *s);
void http_conns_on_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe);
/* The connection sent a complete, authorized request header: it is no longer a guest. */
void http_conns_authorized(struct MHD_Connection *conn);
/* A request starts (first header callback) / completes on conn: busy connections are not idle. */
void http_conns_request_begins(struct MHD_Connection *conn);
void http_conns_request_ends(struct MHD_Connection *conn);
void http_conns_free_all(struct http_server *s);        /* after MHD_stop_daemon */

void http_listener_init(struct http_listener *l, struct ev_loop *loop, int fd, const char *name,
                        http_accept_fn on_accept);
void http_listener_fini(struct http_listener *l);       /* closes the socket; idempotent */

struct http_server {
        struct ev_loop *loop;
        struct MHD_Daemon *d;
        ev_io io;                       /* MHD's epoll fd */
        ev_timer timer;                 /* MHD_get_timeout */
        struct http_listener listener;
        struct http_conn *conns, *conns_tail;   /* open connections, oldest first */
        struct http_conn *adding;       /* between http_conns_admit and MHD's STARTED notice */
        unsigned nconns;                /* not counting evicted ones */
        char *name, *username, *password;
        http_log_resolver_fn resolve_log;
        struct http_req *reqs;          /* requests in progress */
        struct http_tail *tails;        /* live log streams */
};

/* Have MHD_run called soon (after a resume), never re-entrantly. */
void http_server_kick(struct http_server *s);

/* MHD_queue_response, in HTTP/1.0 form when the request was; destroys r. */
enum MHD_Result http_respond(struct MHD_Connection *conn, bool http10, unsigned code, struct MHD_Response *r);

/* An RPC reply with holes (large log strings still in their files), sent as the client reads it
 * (http_stream.c). Takes body; NULL if MHD cannot make the response. */
struct xr_buf;
struct MHD_Response *http_stream_response(struct xr_buf *body);

/* GET /logtail/… or /mainlogtail: queue a streaming response and return 0, or return the HTTP
 * error code to answer with (404). */
unsigned http_tail_start(struct http_server *s, struct MHD_Connection *conn, bool http10, const char *url);
/* Shutdown: make every stream end and resume the suspended ones. */
void http_tail_end_all(struct http_server *s);

#endif
