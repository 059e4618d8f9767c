/* SPDX-License-Identifier: MIT */
/* cctl_http — the client side of supervisord's control protocol: a serverurl (unix:// or
 * http://), one keep-alive HTTP/1.1 connection per command with Basic auth, XML-RPC calls over it,
 * and the chunked GET streams behind `tail -f` / `maintail -f` (compat F.1, G.2). Blocking I/O:
 * the client does one thing at a time. Linked only into corralctl. */
#ifndef CORRAL_CCTL_HTTP_H
#define CORRAL_CCTL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "shared/xmlrpc.h"

struct cctl_url {
        bool is_unix;
        char *path;                     /* unix: socket path */
        char *host;                     /* http: host name, brackets stripped */
        int port;                       /* http: 80 when absent */
        char *hostport;                 /* Host header of XML-RPC requests */
        char *netloc;                   /* Host header of the stream GET ("" for unix) */
};

/* Parse "unix:///path" or "http://host[:port][/…]". 0, or -EINVAL (unknown scheme, bad port). */
int cctl_url_parse(const char *url, struct cctl_url *ret);
void cctl_url_free(struct cctl_url *u);

/* What went wrong with one call, in the terms supervisorctl reports (a Python exception). */
enum cctl_err_kind {
        CCTL_OK,
        CCTL_FAULT,       /* XML-RPC fault: fault_code, fault_string */
        CCTL_SOCKET,      /* connect/read/write failed: err (errno) */
        CCTL_PROTOCOL,    /* HTTP status != 200: http_status, reason */
        CCTL_BADREPLY,    /* unparsable HTTP or XML: msg */
};

struct cctl_result {
        enum cctl_err_kind kind;
        struct xr_value *value;         /* CCTL_OK: owned by the result */
        int fault_code;
        char *fault_string;
        int err;
        int http_status;
        char *reason;
        char *msg;
};
void cctl_result_clear(struct cctl_result *r);

struct cctl_client {
        struct cctl_url url;
        char *auth;                     /* "Basic …" for XML-RPC, NULL without credentials */
        char *stream_auth;              /* "Basic …" for stream GETs (only when a password is set) */
        int fd;                         /* -1: not connected */
        char *rbuf;                     /* bytes read past the last response */
        size_t rlen, rcap;
        bool no_timeout;                /* the call in progress waits on processes */
};

#define CCTL_TIMEOUT_DEFAULT 10         /* seconds; --timeout */
/* Give up on a server that does not connect or answer within seconds (0: wait forever). */
void cctl_set_timeout(int seconds);

/* Set up a client (no connection yet). user/pass may be NULL. 0 or -EINVAL (bad url). */
int cctl_client_init(struct cctl_client *c, const char *serverurl, const char *user, const char *pass);
void cctl_client_set_auth(struct cctl_client *c, const char *user, const char *pass);
void cctl_client_close(struct cctl_client *c);      /* drop the connection; may be used again */
void cctl_client_fini(struct cctl_client *c);

/* One XML-RPC call on the command's connection (opened on demand, reopened once when the server
 * closed an idle keep-alive connection). params may be NULL (no params); it is not consumed.
 * Returns r->kind == CCTL_OK for a value. */
void cctl_call(struct cctl_client *c, const char *method, const struct xr_value *params, struct cctl_result *r);

/* GET path on the command's connection, as cctl_call (same keep-alive socket, same credentials).
 * Returns the HTTP status with the body appended to *ret_body (caller frees; any status), or
 * -errno for a socket or protocol error (the connection is then closed). */
int cctl_get(struct cctl_client *c, const char *path, struct xr_buf *ret_body);

/* Stream GET path (chunked or Content-Length), writing the body to fd out as it arrives.
 * Returns 0 when the stream ended, 1 when interrupted (*stop set by a signal handler), an HTTP
 * status (>= 100) other than 200, or -errno for a socket error. */
int cctl_stream(struct cctl_client *c, const char *path, int out, volatile int *stop);

/* Base64 (RFC 4648, with padding) of n bytes: malloc'd. */
char *cctl_base64(const unsigned char *s, size_t n);

#endif
