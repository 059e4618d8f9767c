/* SPDX-License-Identifier: MIT */
/* corralctl_http — the client side of supervisord's control protocol: a serverurl (unix:// or
 * http://), one keep-alive HTTP/1.1 connection per command with Basic auth, XML-RPC calls over it,
 * and the chunked GET streams behind `tail -f` / `maintail -f` (compat F.1, G.2). Blocking I/O:
 * the client does one thing at a time. Linked only into corralctl. */
#ifndef CORRAL_CORRALCTL_HTTP_H
#define CORRAL_CORRALCTL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "shared/xmlrpc.h"

struct cc_url {
        bool is_unix;
        char *path;                     /* unix: socket path */
        char *host;                     /* http: host name, brackets stripped */
        int port;                       /* http: 80 when absent */
        char *hostport;                 /* Host header of XML-RPC requests */
        char *netloc;                   /* Host header of the stream GET ("" for unix) */
};

/* Parse "unix:///path" or "http://host[:port][/…]". 0, or -EINVAL (unknown scheme, bad port). */
int cc_url_parse(const char *url, struct cc_url *ret);
void cc_url_free(struct cc_url *u);

/* What went wrong with one call, in the terms supervisorctl reports (a Python exception). */
enum cc_err_kind {
        CC_OK,
        CC_FAULT,       /* XML-RPC fault: fault_code, fault_string */
        CC_SOCKET,      /* connect/read/write failed: err (errno) */
        CC_PROTOCOL,    /* HTTP status != 200: http_status, reason */
        CC_BADREPLY,    /* unparsable HTTP or XML: msg */
};

struct cc_result {
        enum cc_err_kind kind;
        struct xr_value *value;         /* CC_OK: owned by the result */
        int fault_code;
        char *fault_string;
        int err;
        int http_status;
        char *reason;
        char *msg;
};
void cc_result_clear(struct cc_result *r);

struct cc_client {
        struct cc_url url;
        char *auth;                     /* "Basic …" for XML-RPC, NULL without credentials */
        char *stream_auth;              /* "Basic …" for stream GETs (only when a password is set) */
        int fd;                         /* -1: not connected */
        char *rbuf;                     /* bytes read past the last response */
        size_t rlen, rcap;
};

/* Set up a client (no connection yet). user/pass may be NULL. 0 or -EINVAL (bad url). */
int cc_client_init(struct cc_client *c, const char *serverurl, const char *user, const char *pass);
void cc_client_set_auth(struct cc_client *c, const char *user, const char *pass);
void cc_client_close(struct cc_client *c);      /* drop the connection; may be used again */
void cc_client_fini(struct cc_client *c);

/* One XML-RPC call on the command's connection (opened on demand, reopened once when the server
 * closed an idle keep-alive connection). params may be NULL (no params); it is not consumed.
 * Returns r->kind == CC_OK for a value. */
void cc_call(struct cc_client *c, const char *method, const struct xr_value *params, struct cc_result *r);

/* GET path on the command's connection, as cc_call (same keep-alive socket, same credentials).
 * Returns the HTTP status with the body appended to *ret_body (caller frees; any status), or
 * -errno for a socket or protocol error (the connection is then closed). */
int cc_get(struct cc_client *c, const char *path, struct xr_buf *ret_body);

/* Stream GET path (chunked or Content-Length), writing the body to fd out as it arrives.
 * Returns 0 when the stream ended, 1 when interrupted (*stop set by a signal handler), an HTTP
 * status (>= 100) other than 200, or -errno for a socket error. */
int cc_stream(struct cc_client *c, const char *path, int out, volatile int *stop);

/* Base64 (RFC 4648, with padding) of n bytes: malloc'd. */
char *cc_base64(const unsigned char *s, size_t n);

#endif
