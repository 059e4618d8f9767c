/* SPDX-License-Identifier: MIT */
/* http — libmicrohttpd in external-loop mode on one listening socket: one ev_io on MHD's epoll fd,
 * one ev_timer from MHD_get_timeout, MHD_run after either fires. Routes requests the way
 * supervisord's Medusa handlers do (compat G.1): /RPC2* → rpc, /logtail and /mainlogtail → log
 * streams (http_tail.c), GET /corral/v1/status → corral's JSON status (api_json.c; supervisord
 * answers that path with 404, which is how corralctl tells the two apart), anything else 404.
 * Deferred RPC replies suspend the connection until rpc calls back; nothing here ever blocks. */
#include "ctl/http.h"

#include <errno.h>
#include <ev.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ctl/api_json.h"
#include "ctl/http_int.h"
#include "core/log.h"
#include "ctl/rpc.h"
#include "shared/analyzer.h"
#include "shared/util.h"
#include "shared/xmlrpc.h"

enum req_kind { REQ_NONE, REQ_RPC, REQ_TAIL, REQ_JSON, REQ_ERROR, REQ_DONE };

/* One HTTP request (MHD's con_cls), from its first header callback to "completed". */
struct http_req {
        struct http_server *srv;
        struct MHD_Connection *conn;
        struct http_req *next, *prev;   /* srv->reqs */
        enum req_kind kind;
        char *body;
        size_t len, cap;
        bool http10;                    /* answer with an HTTP/1.0 status line */
        bool in_dispatch;               /* rpc_dispatch is on the stack */
        bool suspended;
        bool reply_ready;
        struct rpc_pending *pending;
        int status;
        struct xr_buf reply;
        unsigned error;                 /* REQ_ERROR: the status to answer with */
};

/* ---- error pages ------------------------------------------------------------------------------ */

static const char *
reason(unsigned code)
{
        switch (code) {
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 413: return "Request Entity Too Large";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        default:  return "Error";
        }
}

enum MHD_Result
http_respond(struct MHD_Connection *conn, bool http10, unsigned code, struct MHD_Response *r)
{
        /* Medusa echoes the request's version in the status line; so do we. */
        if (http10)
                (void)MHD_set_response_options(r, MHD_RF_HTTP_VERSION_1_0_RESPONSE, MHD_RO_END);
        enum MHD_Result ret = MHD_queue_response(conn, code, r);
        MHD_destroy_response(r);
        return ret;
}

/* supervisord's (Medusa's) HTML error page, CRLF line ends as on the wire. */
static enum MHD_Result
queue_error(struct http_req *req, unsigned code)
{
        char body[512];
        int n = snprintf(body, sizeof body,
                         "<head>\r\n<title>Error response</title>\r\n</head>\r\n<body>\r\n"
                         "<h1>Error response</h1>\r\n<p>Error code %u.\r\n<p>Message: %s.\r\n</body>\r\n",
                         code, reason(code));
        struct MHD_Response *r = MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
        req->kind = REQ_DONE;
        if (!r)
                return MHD_NO;
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html");
        if (code == 401) {
                (void)MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"default\"");
                (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
        }
        if (code == 405)
                (void)MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, MHD_HTTP_METHOD_GET);
        return http_respond(req->conn, req->http10, code, r);
}

/* ---- auth ------------------------------------------------------------------------------------- */


static bool
request_authorized(struct http_server *s, struct MHD_Connection *conn)
{
        if (!s->username)
                return true;
        const char *value = NULL;
        size_t len = 0;
        if (MHD_lookup_connection_value_n(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION,
                                          strlen(MHD_HTTP_HEADER_AUTHORIZATION), &value, &len) != MHD_YES)
                return false;
        return http_auth_header_ok(s->username, s->password, value, len);
}

/* Content-Length given twice with different values: which one frames the body is ambiguous
 * (a request-smuggling vector behind proxies), so RFC 9112 §6.3 says answer 400. */
struct length_scan { const char *first; size_t first_len; bool conflict; };

static enum MHD_Result
scan_content_length(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_len,
                    const char *value, size_t value_len)
{
        (void)kind;
        struct length_scan *ls = cls;
        if (key_len != strlen(MHD_HTTP_HEADER_CONTENT_LENGTH) ||
            strncasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH, key_len))
                return MHD_YES;
        if (!ls->first) {
                ls->first = value;
                ls->first_len = value_len;
        } else if (value_len != ls->first_len || memcmp(value, ls->first, value_len)) {
                ls->conflict = true;
        }
        return MHD_YES;
}

static bool
content_length_conflicts(struct MHD_Connection *conn)
{
        struct length_scan ls = { 0 };
        (void)MHD_get_connection_values_n(conn, MHD_HEADER_KIND, scan_content_length, &ls);
        return ls.conflict;
}

/* ---- the MHD ↔ libev glue --------------------------------------------------------------------- */

static void
server_run(struct http_server *s)
{
        (void)MHD_run(s->d);
        ev_timer_stop(s->loop, &s->timer);
        MHD_UNSIGNED_LONG_LONG ms;
        if (MHD_get_timeout(s->d, &ms) == MHD_YES) {
                ev_timer_set(&s->timer, (double)ms / 1000.0, 0.);
                ev_timer_start(s->loop, &s->timer);
        }
}

static void
http_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
        (void)loop; (void)revents;
        server_run(container_of(w, struct http_server, io));
}

static void
http_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
        (void)loop; (void)revents;
        server_run(container_of(w, struct http_server, timer));
}

/* Connections come from http_listen.c; MHD refuses (and closes) one above its limit. */
static void
http_on_accept(struct http_listener *l, int fd, const struct sockaddr *sa, unsigned salen)
{
        struct http_server *s = container_of(l, struct http_server, listener);
        if (!http_conns_admit(s, fd, sa, salen)) {
                log_debug("%s: connection refused: every slot is held by an authenticated client", s->name);
                close(fd);
                return;
        }
        if (MHD_add_connection(s->d, fd, sa, (socklen_t)salen) != MHD_YES)
                log_debug("%s: connection refused: %s", s->name, strerror(errno));
        http_conns_added(s);
        http_server_kick(s);
}

void
http_server_kick(struct http_server *s)
{
        /* MHD wants MHD_run after a resume; feeding the io watcher runs it in this loop iteration
         * without re-entering MHD when we are called from inside one of its callbacks. */
        ev_feed_event(s->loop, &s->io, EV_READ);
}

static void
http_on_mhd_log(void *cls, const char *fmt, va_list ap)
{
        struct http_server *s = cls;
        char buf[512];
        vsnprintf(buf, sizeof buf, fmt, ap);
        size_t n = strlen(buf);
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                buf[--n] = 0;
        /* MHD cannot tell that a connection we hand it is a unix socket, so it tries TCP options
         * on it and says they failed; they do not apply and nothing is delayed. */
        if (s->listener.is_unix && (strstr(buf, "TCP_NODELAY") || strstr(buf, "TCP_CORK") ||
                                    strstr(buf, "push the data from buffers")))
                return;
        log_debug("%s: %s", s->name, buf);
}

/* ---- RPC -------------------------------------------------------------------------------------- */

static enum MHD_Result
queue_rpc_reply(struct http_req *req)
{
        req->kind = REQ_DONE;
        if (req->status != 200) {
                xr_buf_free(&req->reply);
                return queue_error(req, (unsigned)req->status);
        }
        struct MHD_Response *r;
        if (req->reply.nholes) {
                r = http_stream_response(&req->reply);
        } else {
                r = MHD_create_response_from_buffer(req->reply.len, req->reply.p, MHD_RESPMEM_MUST_FREE);
                if (r)
                        req->reply = (struct xr_buf){ 0 };
        }
        if (!r) {
                xr_buf_free(&req->reply);
                return MHD_NO;
        }
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/xml");
        return http_respond(req->conn, req->http10, MHD_HTTP_OK, r);
}

static void
rpc_on_done(void *ctx, int http_status, struct xr_buf *body)
{
        struct http_req *req = ctx;
        req->pending = NULL;
        req->status = http_status;
        xr_buf_free(&req->reply);
        req->reply = *body;
        *body = (struct xr_buf){ 0 };
        req->reply_ready = true;
        if (req->suspended) {
                req->suspended = false;
                MHD_resume_connection(req->conn);
                http_server_kick(req->srv);
        }
}

static enum MHD_Result
rpc_body(struct http_req *req, const char *data, size_t *size)
{
        if (*size) {
                size_t n = *size;
                *size = 0;
                if (req->len + n > HTTP_MAX_BODY) {
                        /* No Content-Length told us in advance (chunked upload): drop the
                         * connection rather than read an unbounded body. */
                        log_debug("%s: request body over %d bytes, closing", req->srv->name, HTTP_MAX_BODY);
                        return MHD_NO;
                }
                if (req->len + n + 1 > req->cap) {
                        size_t cap = req->cap ? req->cap : 4096;
                        while (cap < req->len + n + 1)
                                cap *= 2;
                        req->body = xrealloc(req->body, cap);
                        req->cap = cap;
                }
                memcpy(req->body + req->len, data, n);
                req->len += n;
                req->body[req->len] = 0;
                return MHD_YES;
        }
        if (req->reply_ready)
                return queue_rpc_reply(req);
        if (req->pending)               /* spurious call while waiting: keep waiting */
                return MHD_YES;
        req->in_dispatch = true;
        struct rpc_pending *p = rpc_dispatch(req->body ? req->body : "", req->len, rpc_on_done, req);
        req->in_dispatch = false;
        free(req->body);
        req->body = NULL;
        req->len = req->cap = 0;
        if (!p)
                return req->reply_ready ? queue_rpc_reply(req) : queue_error(req, 500);
        req->pending = p;
        req->suspended = true;
        MHD_suspend_connection(req->conn);
        return MHD_YES;
}

/* ---- JSON API -------------------------------------------------------------------------------- */

static enum MHD_Result
queue_json_status(struct http_req *req)
{
        req->kind = REQ_DONE;
        struct xr_buf b = { 0 };
        api_json_status(&b, time_wall());
        struct MHD_Response *r = MHD_create_response_from_buffer(b.len, b.p, MHD_RESPMEM_MUST_FREE);
        if (!r) {
                xr_buf_free(&b);
                return MHD_NO;
        }
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        return http_respond(req->conn, req->http10, MHD_HTTP_OK, r);
}

/* ---- request routing -------------------------------------------------------------------------- */

static bool
has_prefix(const char *s, const char *prefix)
{
        return !strncmp(s, prefix, strlen(prefix));
}

/* The first call (headers only) decides what the request is; the answer is queued at the final
 * call, after the body has been read, because a client that sends its body in a second write
 * (Python's http.client does) gets EPIPE instead of our 401 if we close first. */
static enum MHD_Result
http_on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
        struct http_server *s = cls;
        struct http_req *req = *con_cls;
        if (req) {
                if (req->kind == REQ_RPC)
                        return rpc_body(req, upload_data, upload_data_size);
                if (*upload_data_size) {        /* a body nobody asked for: discard, bounded */
                        req->len += *upload_data_size;
                        *upload_data_size = 0;
                        return req->len > HTTP_MAX_BODY ? MHD_NO : MHD_YES;
                }
                if (req->kind == REQ_JSON)
                        return queue_json_status(req);
                if (req->kind == REQ_TAIL) {
                        req->kind = REQ_DONE;
                        unsigned code = http_tail_start(s, conn, req->http10, url);
                        return code ? queue_error(req, code) : MHD_YES;
                }
                if (req->kind == REQ_ERROR)
                        return queue_error(req, req->error);
                return MHD_YES;
        }

        req = xcalloc(1, sizeof *req);
        req->srv = s;
        req->conn = conn;
        http_conns_request_begins(conn);
        req->http10 = version && !strcmp(version, MHD_HTTP_VERSION_1_0);
        req->next = s->reqs;
        if (s->reqs)
                s->reqs->prev = req;
        s->reqs = req;
        *con_cls = req;

        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (content_length_conflicts(conn))
                return queue_error(req, 400);   /* now: the body's end is ambiguous */
        if (cl && strtoull(cl, NULL, 10) > HTTP_MAX_BODY)
                return queue_error(req, 413);   /* now: never read a body that large */
        req->kind = REQ_ERROR;
        bool authorized = request_authorized(s, conn);
        if (authorized)
                http_conns_authorized(conn);    /* no longer a guest that may be dropped */
        if (!authorized) {
                log_debug("%s: %s %s: authentication failed", s->name, method, url);
                req->error = 401;
        } else if (has_prefix(url, "/RPC2")) {
                if (strcmp(method, MHD_HTTP_METHOD_POST))
                        req->error = 400;
                else
                        req->kind = REQ_RPC;
        } else if (has_prefix(url, "/logtail") || has_prefix(url, "/mainlogtail")) {
                if (strcmp(method, MHD_HTTP_METHOD_GET))
                        req->error = 400;
                else
                        req->kind = REQ_TAIL;
        } else if (!strcmp(url, API_JSON_STATUS_PATH)) {
                /* Read-only: GET only; HEAD, POST and the rest get 405 with "Allow: GET". */
                if (strcmp(method, MHD_HTTP_METHOD_GET))
                        req->error = 405;
                else
                        req->kind = REQ_JSON;
        } else {
                req->error = 404;
        }
        return MHD_YES;
}

static void
req_unlink(struct http_req *req)
{
        struct http_server *s = req->srv;
        if (req->prev)
                req->prev->next = req->next;
        else if (s->reqs == req)
                s->reqs = req->next;
        if (req->next)
                req->next->prev = req->prev;
        req->next = req->prev = NULL;
}

static void
http_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
        (void)cls; (void)toe;
        struct http_req *req = *con_cls;
        if (!req)
                return;
        *con_cls = NULL;
        http_conns_request_ends(conn);
        if (req->pending)
                rpc_cancel(req->pending);
        req_unlink(req);
        free(req->body);
        xr_buf_free(&req->reply);
        free(req);
}

/* ---- server ----------------------------------------------------------------------------------- */

struct http_server *
http_server_new(struct ev_loop *loop, int listen_fd, const struct http_server_options *opt)
{
        struct http_server *s = xcalloc(1, sizeof *s);
        s->loop = loop;
        s->name = xstrdup(opt->name ? opt->name : "http");
        s->username = opt->username ? xstrdup(opt->username) : NULL;
        s->password = opt->password ? xstrdup(opt->password) : NULL;
        s->resolve_log = opt->resolve_log;
        unsigned timeout = opt->idle_timeout ? opt->idle_timeout : HTTP_IDLE_TIMEOUT;

        s->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                                MHD_USE_NO_LISTEN_SOCKET,
                                0, NULL, NULL, http_on_request, s,
                                MHD_OPTION_EXTERNAL_LOGGER, http_on_mhd_log, s,
                                /* http_conns.c enforces HTTP_CONN_LIMIT; the slack is for
                                 * dropped connections MHD has not closed yet. */
                                MHD_OPTION_CONNECTION_LIMIT, (unsigned)(2 * HTTP_CONN_LIMIT),
                                MHD_OPTION_NOTIFY_CONNECTION, http_conns_on_notify, s,
                                MHD_OPTION_CONNECTION_TIMEOUT, timeout,
                                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                                MHD_OPTION_NOTIFY_COMPLETED, http_on_completed, s,
                                MHD_OPTION_END);
        if (!s->d) {
                int e = errno ? errno : EIO;
                close(listen_fd);
                s->d = NULL;
                http_server_free(s);
                errno = e;
                return NULL;
        }
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD);
        ev_io_init(&s->io, http_on_io, info->epoll_fd, EV_READ);
        ev_io_start(loop, &s->io);
        ev_timer_init(&s->timer, http_on_timer, 0., 0.);
        http_listener_init(&s->listener, loop, listen_fd, s->name, http_on_accept);
        server_run(s);
        return s;
}

struct http_server *
http_server_free(struct http_server *s)
{
        if (!s)
                return NULL;
        if (s->d) {
                /* MHD must not be stopped with suspended connections: answer or end them first. */
                for (struct http_req *r = s->reqs; r; r = r->next)
                        if (r->pending) {
                                rpc_cancel(r->pending);
                                r->pending = NULL;
                                r->status = 503;
                                r->reply_ready = true;
                                if (r->suspended) {
                                        r->suspended = false;
                                        MHD_resume_connection(r->conn);
                                }
                        }
                http_tail_end_all(s);
                /* Let MHD process the resumes and push out what fits, without waiting. */
                for (int i = 0; i < 3; i++)
                        (void)MHD_run(s->d);
                ev_io_stop(s->loop, &s->io);
                ev_timer_stop(s->loop, &s->timer);
                http_listener_fini(&s->listener);
                MHD_stop_daemon(s->d);          /* frees the remaining streams and requests */
                http_conns_free_all(s);
        }
        while (s->reqs) {                        /* normally freed by MHD's completion callback */
                struct http_req *r = s->reqs;
                req_unlink(r);
                /* req_unlink() unlinks r through r->srv, which is s; clang's analyzer keeps the
                 * two apart, leaves r at the head and reports a use after free (false positive). */
                ANALYZER_ASSUME(s->reqs != r);
                free(r->body);
                xr_buf_free(&r->reply);
                free(r);
        }
        free(s->name);
        free(s->username);
        free_secret(s->password);
        free(s);
        return NULL;
}

void
http_server_set_auth(struct http_server *s, const char *username, const char *password)
{
        free(s->username);
        free_secret(s->password);
        s->username = username ? xstrdup(username) : NULL;
        s->password = password ? xstrdup(password) : NULL;
}

unsigned
http_server_connections(const struct http_server *s)
{
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        return info ? info->num_connections : 0;
}
