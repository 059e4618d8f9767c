/* SPDX-License-Identifier: MIT */
/* cctl_http — blocking HTTP/1.1 client for corralctl: XML-RPC POSTs on one keep-alive
 * connection per command, and the chunked log streams of tail -f. */
#include "corralctl/cctl_http.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "shared/util.h"

#define HDR_MAX (64 * 1024)     /* a response header block larger than this is garbage */

int
cctl_url_parse(const char *url, struct cctl_url *ret)
{
        memset(ret, 0, sizeof *ret);
        if (strncmp(url, "unix://", 7) == 0) {
                ret->is_unix = true;
                ret->path = xstrdup(url + 7);
                ret->hostport = xstrdup("localhost");
                ret->netloc = xstrdup("");
                /* urlparse puts "unix://host/x" host part in netloc; a socket path normally
                 * starts with '/', so the netloc is empty. */
                const char *p = url + 7;
                if (*p != '/') {
                        const char *slash = strchr(p, '/');
                        free(ret->netloc);
                        ret->netloc = slash ? xstrndup(p, (size_t)(slash - p)) : xstrdup(p);
                }
                return 0;
        }
        if (strncasecmp(url, "http://", 7) != 0)
                return -EINVAL;
        const char *h = url + 7;
        size_t nl = strcspn(h, "/?#");
        ret->netloc = xstrndup(h, nl);
        char *hp = xstrdup(ret->netloc);
        char *at = strrchr(hp, '@');            /* user:pass@ is ignored, as urlparse does */
        char *host = at ? at + 1 : hp;
        char *port = NULL;
        if (*host == '[') {
                char *rb = strchr(host, ']');
                if (!rb) {
                        free(hp);
                        cctl_url_free(ret);
                        return -EINVAL;
                }
                *rb = '\0';
                host++;
                if (rb[1] == ':')
                        port = rb + 2;
        } else {
                char *colon = strchr(host, ':');
                if (colon) {
                        *colon = '\0';
                        port = colon + 1;
                }
        }
        ret->port = 80;
        if (port && *port) {
                long v;
                if (parse_long(port, &v) < 0 || v < 0 || v > 65535) {
                        free(hp);
                        cctl_url_free(ret);
                        return -EINVAL;
                }
                ret->port = (int)v;
        }
        for (char *q = host; *q; q++)
                *q = (char)tolower((unsigned char)*q);
        ret->host = xstrdup(host);
        if (strchr(ret->host, ':'))
                ret->hostport = ret->port == 80 ? xasprintf("[%s]", ret->host)
                                                : xasprintf("[%s]:%d", ret->host, ret->port);
        else
                ret->hostport = ret->port == 80 ? xstrdup(ret->host)
                                                : xasprintf("%s:%d", ret->host, ret->port);
        free(hp);
        return 0;
}

void
cctl_url_free(struct cctl_url *u)
{
        free(u->path);
        free(u->host);
        free(u->hostport);
        free(u->netloc);
        memset(u, 0, sizeof *u);
}

void
cctl_result_clear(struct cctl_result *r)
{
        xr_free(r->value);
        free(r->fault_string);
        free(r->reason);
        free(r->msg);
        memset(r, 0, sizeof *r);
}

char *
cctl_base64(const unsigned char *s, size_t n)
{
        static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;
        size_t i = 0;
        for (; i + 2 < n; i += 3) {
                unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
                *o++ = tab[v >> 18 & 63];
                *o++ = tab[v >> 12 & 63];
                *o++ = tab[v >> 6 & 63];
                *o++ = tab[v & 63];
        }
        if (i < n) {
                unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0);
                *o++ = tab[v >> 18 & 63];
                *o++ = tab[v >> 12 & 63];
                *o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
                *o++ = '=';
        }
        *o = '\0';
        return out;
}

static char *
basic_auth(const char *user, const char *pass)
{
        char *up = xasprintf("%s:%s", user, pass);
        char *b = cctl_base64((const unsigned char *)up, strlen(up));
        char *h = xasprintf("Basic %s", b);
        free(up);
        free(b);
        return h;
}

void
cctl_client_set_auth(struct cctl_client *c, const char *user, const char *pass)
{
        free(c->auth);
        free(c->stream_auth);
        c->auth = c->stream_auth = NULL;
        /* XML-RPC: SupervisorTransport sends credentials when both are set (even empty);
         * streams: http_client only when the password is non-empty. */
        if (user && pass)
                c->auth = basic_auth(user, pass);
        if (pass && *pass)
                c->stream_auth = basic_auth(user ? user : "", pass);
}

/* How long to wait for the server (connecting, and each wait for a reply's bytes) before giving
 * up with ETIMEDOUT; 0 waits forever. Streams and calls that wait on processes are exempt. */
static int timeout_ms = CCTL_TIMEOUT_DEFAULT * 1000;

void
cctl_set_timeout(int seconds)
{
        timeout_ms = seconds > 0 ? seconds * 1000 : 0;
}

int
cctl_client_init(struct cctl_client *c, const char *serverurl, const char *user, const char *pass)
{
        memset(c, 0, sizeof *c);
        c->fd = -1;
        if (cctl_url_parse(serverurl, &c->url) < 0)
                return -EINVAL;
        cctl_client_set_auth(c, user, pass);
        return 0;
}

void
cctl_client_close(struct cctl_client *c)
{
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        c->rlen = 0;
}

void
cctl_client_fini(struct cctl_client *c)
{
        cctl_client_close(c);
        free(c->rbuf);
        free(c->auth);
        free(c->stream_auth);
        cctl_url_free(&c->url);
        memset(c, 0, sizeof *c);
        c->fd = -1;
}

/* connect() within the timeout: the socket is non-blocking meanwhile (a unix listener whose
 * backlog is full says EAGAIN, a TCP one EINPROGRESS), blocking again once connected. */
static int
connect_within(int fd, const struct sockaddr *sa, socklen_t len)
{
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
                return -errno;
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int r = connect(fd, sa, len) == 0 ? 0 : -errno;
        for (;;) {
                struct timespec now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                long waited = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
                int left = timeout_ms ? (int)(timeout_ms - waited) : -1;
                if (r == -EINTR) {
                        r = -EINPROGRESS;       /* the connect goes on: wait for it */
                } else if (r == -EAGAIN) {      /* unix backlog full: try again shortly */
                        if (timeout_ms && left <= 0)
                                return -ETIMEDOUT;
                        poll(NULL, 0, 20);
                        r = connect(fd, sa, len) == 0 ? 0 : -errno;
                        continue;
                }
                if (r != -EINPROGRESS && r != -EALREADY)
                        break;
                if (timeout_ms && left <= 0)
                        return -ETIMEDOUT;
                struct pollfd pfd = { .fd = fd, .events = POLLOUT };
                int pr = poll(&pfd, 1, left);
                if (pr < 0 && errno != EINTR)
                        return -errno;
                if (pr > 0) {
                        int err = 0;
                        socklen_t el = sizeof err;
                        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
                                return -errno;
                        r = -err;
                }
        }
        if (r == 0 && fcntl(fd, F_SETFL, fl) < 0)
                return -errno;
        return r;
}

/* Connect a fresh socket: 0 or -errno. */
static int
cctl_connect(struct cctl_client *c)
{
        cctl_client_close(c);
        if (c->url.is_unix) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                if (strlen(c->url.path) >= sizeof sa.sun_path)
                        return -ENAMETOOLONG;
                strcpy(sa.sun_path, c->url.path);
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return -errno;
                int e = connect_within(fd, (struct sockaddr *)&sa, sizeof sa);
                if (e < 0) {
                        close(fd);
                        return e;
                }
                c->fd = fd;
                return 0;
        }
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
        struct addrinfo *ai = NULL;
        char port[16];
        snprintf(port, sizeof port, "%d", c->url.port);
        int gr = getaddrinfo(c->url.host, port, &hints, &ai);
        if (gr != 0)
                return gr == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
        int err = -ECONNREFUSED;
        for (struct addrinfo *a = ai; a; a = a->ai_next) {
                int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
                if (fd < 0) {
                        err = -errno;
                        continue;
                }
                if ((err = connect_within(fd, a->ai_addr, a->ai_addrlen)) == 0) {
                        c->fd = fd;
                        break;
                }
                close(fd);
        }
        freeaddrinfo(ai);
        return err;
}

static int
send_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

/* Read more bytes into rbuf: >0 bytes read, 0 at EOF, -errno. With stop set, EINTR is returned
 * to the caller (a ^C during tail -f); otherwise it is retried. */
static ssize_t
fill(struct cctl_client *c, volatile int *stop)
{
        if (c->rcap - c->rlen < 4096) {
                c->rcap = c->rcap ? c->rcap * 2 : 16384;
                c->rbuf = xrealloc(c->rbuf, c->rcap);
        }
        for (;;) {
                /* A ^C can land outside read() (e.g. while we write to stdout), where it cannot
                 * interrupt anything: check the flag first, and wait in short polls so a flag set
                 * between the check and the wait is seen within 200 ms. */
                if (stop) {
                        if (*stop)
                                return -EINTR;
                        struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
                        int pr = poll(&pfd, 1, 200);
                        if (pr < 0 && errno != EINTR)
                                return -errno;
                        if (pr <= 0)
                                continue;
                } else if (timeout_ms && !c->no_timeout) {
                        /* A server that accepted but never answers (out of fds, stopped) must not
                         * hang the client forever. */
                        struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
                        int pr = poll(&pfd, 1, timeout_ms);
                        if (pr == 0)
                                return -ETIMEDOUT;
                        if (pr < 0 && errno != EINTR)
                                return -errno;
                        if (pr < 0)
                                continue;
                }
                ssize_t r = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen - 1);
                if (r < 0) {
                        if (errno == EINTR && !(stop && *stop))
                                continue;
                        return -errno;
                }
                c->rlen += (size_t)r;
                c->rbuf[c->rlen] = '\0';
                return r;
        }
}

static void
consume(struct cctl_client *c, size_t n)
{
        memmove(c->rbuf, c->rbuf + n, c->rlen - n);
        c->rlen -= n;
        if (c->rbuf)
                c->rbuf[c->rlen] = '\0';
}

struct http_head {
        int status;
        char *reason;
        bool http10;
        bool chunked;
        bool close;
        bool keepalive;                 /* HTTP/1.0 "Connection: keep-alive" */
        long long length;               /* -1: none */
};

static char *
find_crlf2(struct cctl_client *c)
{
        return c->rbuf ? memmem(c->rbuf, c->rlen, "\r\n\r\n", 4) : NULL;
}

/* Read and parse a status line plus headers. 0; -EPROTO for garbage; -ECONNRESET for EOF before
 * any byte (*ret_none set); -errno. */
static int
read_head(struct cctl_client *c, struct http_head *h, bool *ret_none, volatile int *stop)
{
        memset(h, 0, sizeof *h);
        h->length = -1;
        *ret_none = false;
        char *end;
        while (!(end = find_crlf2(c))) {
                if (c->rlen > HDR_MAX)
                        return -EPROTO;
                ssize_t r = fill(c, stop);
                if (r < 0)
                        return (int)r;
                if (r == 0) {
                        *ret_none = c->rlen == 0;
                        return -ECONNRESET;
                }
        }
        size_t hlen = (size_t)(end - c->rbuf) + 4;
        char *head = xstrndup(c->rbuf, hlen - 4);
        consume(c, hlen);
        char *save = NULL;
        char *line = strtok_r(head, "\r\n", &save);
        int rc = -EPROTO;
        if (!line || strncmp(line, "HTTP/", 5) != 0)
                goto out;
        h->http10 = strncmp(line, "HTTP/1.0", 8) == 0;
        char *sp = strchr(line, ' ');
        if (!sp)
                goto out;
        char *ep;
        long st = strtol(sp + 1, &ep, 10);
        if (ep == sp + 1 || st < 100 || st > 999)
                goto out;
        h->status = (int)st;
        while (*ep == ' ')
                ep++;
        h->reason = xstrdup(ep);
        while ((line = strtok_r(NULL, "\r\n", &save))) {
                char *colon = strchr(line, ':');
                if (!colon)
                        continue;
                *colon = '\0';
                char *v = colon + 1;
                while (*v == ' ' || *v == '\t')
                        v++;
                if (strcasecmp(line, "content-length") == 0)
                        h->length = strtoll(v, NULL, 10);
                else if (strcasecmp(line, "transfer-encoding") == 0)
                        h->chunked = strcasestr(v, "chunked") != NULL;
                else if (strcasecmp(line, "connection") == 0) {
                        if (strcasestr(v, "close"))
                                h->close = true;
                        if (strcasestr(v, "keep-alive"))
                                h->keepalive = true;
                }
        }
        if (h->http10 && !h->keepalive)
                h->close = true;
        rc = 0;
out:
        free(head);
        return rc;
}

/* Deliver body bytes: appended to *acc, or written to out. */
static int
deliver(struct xr_buf *acc, int out, const char *p, size_t n)
{
        if (acc) {
                xr_buf_append(acc, p, n);
                return 0;
        }
        while (n > 0) {
                ssize_t w = write(out, p, n);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

/* Read a body according to h. 0 at its end; 1 when interrupted; -errno. */
static int
read_body(struct cctl_client *c, const struct http_head *h, struct xr_buf *acc, int out,
          volatile int *stop)
{
        int rc;
        if (h->chunked) {
                for (;;) {
                        char *nl;
                        while (!(nl = c->rbuf ? memmem(c->rbuf, c->rlen, "\r\n", 2) : NULL)) {
                                ssize_t r = fill(c, stop);
                                if (r <= 0)
                                        return r == 0 ? -ECONNRESET : stop && *stop ? 1 : (int)r;
                        }
                        char *ep;
                        unsigned long long sz = strtoull(c->rbuf, &ep, 16);
                        if (ep == c->rbuf) {
                                /* a blank line between chunks: skip it */
                                if (nl == c->rbuf) {
                                        consume(c, 2);
                                        continue;
                                }
                                return -EPROTO;
                        }
                        consume(c, (size_t)(nl - c->rbuf) + 2);
                        if (sz == 0) {
                                /* trailers up to the blank line */
                                for (;;) {
                                        while (!(nl = memmem(c->rbuf, c->rlen, "\r\n", 2))) {
                                                ssize_t r = fill(c, stop);
                                                if (r <= 0)
                                                        return 0;
                                        }
                                        bool blank = nl == c->rbuf;
                                        consume(c, (size_t)(nl - c->rbuf) + 2);
                                        if (blank)
                                                return 0;
                                }
                        }
                        while (sz > 0) {
                                if (c->rlen == 0) {
                                        ssize_t r = fill(c, stop);
                                        if (r <= 0)
                                                return r == 0 ? -ECONNRESET : stop && *stop ? 1 : (int)r;
                                }
                                size_t n = c->rlen < sz ? c->rlen : (size_t)sz;
                                if ((rc = deliver(acc, out, c->rbuf, n)) < 0)
                                        return rc;
                                consume(c, n);
                                sz -= n;
                        }
                        /* the CRLF after the data */
                        while (c->rlen < 2) {
                                ssize_t r = fill(c, stop);
                                if (r <= 0)
                                        return r == 0 ? -ECONNRESET : stop && *stop ? 1 : (int)r;
                        }
                        consume(c, 2);
                }
        }
        if (h->length >= 0) {
                unsigned long long left = (unsigned long long)h->length;
                while (left > 0) {
                        if (c->rlen == 0) {
                                ssize_t r = fill(c, stop);
                                if (r == 0)
                                        return -ECONNRESET;
                                if (r < 0)
                                        return stop && *stop ? 1 : (int)r;
                        }
                        size_t n = c->rlen < left ? c->rlen : (size_t)left;
                        if ((rc = deliver(acc, out, c->rbuf, n)) < 0)
                                return rc;
                        consume(c, n);
                        left -= n;
                }
                return 0;
        }
        /* no framing: until EOF */
        for (;;) {
                if (c->rlen) {
                        if ((rc = deliver(acc, out, c->rbuf, c->rlen)) < 0)
                                return rc;
                        consume(c, c->rlen);
                }
                ssize_t r = fill(c, stop);
                if (r == 0)
                        return 0;
                if (r < 0)
                        return stop && *stop ? 1 : (int)r;
        }
}

static void
set_socket_error(struct cctl_result *r, int err)
{
        r->kind = CCTL_SOCKET;
        r->err = err;
}

/* Send req on the command's connection (opened on demand; reopened once when the server had
 * dropped an idle keep-alive connection) and read the response head into *h. 0, or -errno with
 * the connection closed (*ret_none: the server closed without sending a byte). */
static int
exchange(struct cctl_client *c, const struct xr_buf *req, struct http_head *h, bool *ret_none)
{
        for (int attempt = 0;; attempt++) {
                bool reused = c->fd >= 0;
                int e;
                *ret_none = false;
                if (!reused && (e = cctl_connect(c)) < 0)
                        return e;
                e = send_all(c->fd, req->p, req->len);
                if (e == 0)
                        e = read_head(c, h, ret_none, NULL);
                if (e < 0 && reused && attempt == 0 && (*ret_none || e == -EPIPE || e == -ECONNRESET)) {
                        free(h->reason);
                        h->reason = NULL;
                        cctl_client_close(c);
                        continue;
                }
                if (e < 0)
                        cctl_client_close(c);
                return e;
        }
}

void
cctl_call(struct cctl_client *c, const char *method, const struct xr_value *params, struct cctl_result *r)
{
        memset(r, 0, sizeof *r);
        struct xr_value *empty = NULL;
        if (!params)
                params = empty = xr_array();
        struct xr_buf body = { 0 };
        xr_encode_call(&body, method, params);
        xr_free(empty);
        struct xr_buf req = { 0 };
        char *head = xasprintf("POST /RPC2 HTTP/1.1\r\nHost: %s\r\nAccept-Encoding: identity\r\n"
                               "User-Agent: corralctl\r\nContent-Type: text/xml\r\nAccept: text/xml\r\n"
                               "%s%s%sContent-Length: %zu\r\n\r\n",
                               c->url.hostport, c->auth ? "Authorization: " : "",
                               c->auth ? c->auth : "", c->auth ? "\r\n" : "", body.len);
        xr_buf_puts(&req, head);
        free(head);
        xr_buf_append(&req, body.p ? body.p : "", body.len);
        xr_buf_free(&body);

        struct xr_buf resp = { 0 };
        struct http_head h = { 0 };
        bool none = false;
        /* start and stop calls wait for processes (startsecs, stopwaitsecs), and a multicall may:
         * those replies take as long as the processes do. */
        c->no_timeout = strstr(method, ".start") || strstr(method, ".stop") || !strcmp(method, "system.multicall");
        int e = exchange(c, &req, &h, &none);
        c->no_timeout = false;
        if (e == -EPROTO) {
                r->kind = CCTL_BADREPLY;
                r->msg = xstrdup("malformed HTTP response");
                goto out;
        }
        if (e < 0) {
                if (none) {
                        r->kind = CCTL_BADREPLY;
                        r->msg = xstrdup("Remote end closed connection without response");
                } else
                        set_socket_error(r, -e);
                goto out;
        }
        e = read_body(c, &h, &resp, -1, NULL);
        if (e < 0) {
                set_socket_error(r, -e);
                cctl_client_close(c);
                goto out;
        }
        if (h.close || (h.length < 0 && !h.chunked))
                cctl_client_close(c);
        if (h.status != 200) {
                r->kind = CCTL_PROTOCOL;
                r->http_status = h.status;
                r->reason = xstrdup(h.reason ? h.reason : "");
                cctl_client_close(c);
                goto out;
        }
        struct xr_response xr = { 0 };
        char *perr = NULL;
        if (xr_parse_response(resp.p ? resp.p : "", resp.len, &xr, &perr) < 0) {
                r->kind = CCTL_BADREPLY;
                r->msg = perr ? perr : xstrdup("unparsable XML-RPC response");
                goto out;
        }
        free(perr);
        if (xr.fault_code || xr.fault_string) {
                r->kind = CCTL_FAULT;
                r->fault_code = xr.fault_code;
                r->fault_string = xr.fault_string ? xr.fault_string : xstrdup("");
                xr.fault_string = NULL;
        } else {
                r->kind = CCTL_OK;
                r->value = xr.value ? xr.value : xr_string("");
                xr.value = NULL;
        }
        xr_response_free(&xr);
out:
        free(h.reason);
        xr_buf_free(&req);
        xr_buf_free(&resp);
}

int
cctl_get(struct cctl_client *c, const char *path, struct xr_buf *ret_body)
{
        struct xr_buf req = { 0 };
        char *head = xasprintf("GET %s HTTP/1.1\r\nHost: %s\r\nAccept-Encoding: identity\r\n"
                               "User-Agent: corralctl\r\nAccept: application/json\r\n%s%s%s\r\n",
                               path, c->url.hostport, c->auth ? "Authorization: " : "",
                               c->auth ? c->auth : "", c->auth ? "\r\n" : "");
        xr_buf_puts(&req, head);
        free(head);
        struct http_head h = { 0 };
        bool none;
        int e = exchange(c, &req, &h, &none);
        xr_buf_free(&req);
        if (e < 0) {
                free(h.reason);
                return e;
        }
        e = read_body(c, &h, ret_body, -1, NULL);
        free(h.reason);
        if (e < 0) {
                cctl_client_close(c);
                return e;
        }
        /* Unlike cctl_call, an error status keeps the connection: supervisord's 404 is a normal
         * keep-alive reply, and the XML-RPC call that follows reuses the socket. */
        if (h.close || (h.length < 0 && !h.chunked))
                cctl_client_close(c);
        return h.status;
}

int
cctl_stream(struct cctl_client *c, const char *path, int out, volatile int *stop)
{
        int e = cctl_connect(c);
        if (e < 0)
                return e;
        char *req = xasprintf("GET %s HTTP/1.1\r\nHost: %s\r\nAccept-Encoding: chunked\r\nAccept: */*\r\n"
                              "User-agent: corralctl\r\n%s%s%s\r\n\r\n",
                              path, c->url.netloc, c->stream_auth ? "Authorization: " : "",
                              c->stream_auth ? c->stream_auth : "", c->stream_auth ? "\r\n" : "");
        e = send_all(c->fd, req, strlen(req));
        free(req);
        if (e < 0) {
                cctl_client_close(c);
                return e;
        }
        struct http_head h;
        bool none;
        e = read_head(c, &h, &none, stop);
        if (e < 0) {
                cctl_client_close(c);
                free(h.reason);
                if (stop && *stop)
                        return 1;
                return e == -EPROTO ? -EPROTO : e;
        }
        free(h.reason);
        if (h.status != 200) {
                cctl_client_close(c);
                return h.status;
        }
        e = read_body(c, &h, NULL, out, stop);
        cctl_client_close(c);
        if (e < 0 && stop && *stop)
                return 1;
        return e;
}
