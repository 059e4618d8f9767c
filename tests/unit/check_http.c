/* SPDX-License-Identifier: MIT */
/* check_http — the control server in one process: ctl_init on a temp unix socket, a non-blocking
 * client written here, and the libev loop stepped until the reply is complete. */
#include <check.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "ctl/ctl.h"
#include "ctl/http.h"
#include "core/logfile.h"
#include "shared/util.h"
#include "unit.h"

static struct ev_loop *loop;
static char dir[64];
static char sock_path[128];
static struct cfg cfg;
static ev_timer tick;

static void
on_tick(struct ev_loop *l, ev_timer *w, int revents)
{
        (void)l; (void)w; (void)revents;
}

static void
setup(void)
{
        signal(SIGPIPE, SIG_IGN);
        strcpy(dir, "/tmp/check_http.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(sock_path, sizeof sock_path, "%s/s.sock", dir);
        memset(&cfg, 0, sizeof cfg);
        cfg.unix_server.enabled = true;
        cfg.unix_server.file = sock_path;
        cfg.unix_server.chmod = 0700;
        loop = ev_default_loop(0);
        ev_timer_init(&tick, on_tick, 0.005, 0.005);
        ev_timer_start(loop, &tick);
}

static void
teardown(void)
{
        ctl_fini();
        ev_timer_stop(loop, &tick);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        (void)!system(cmd);
}

static int
client_connect(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
        fcntl(fd, F_SETFL, O_NONBLOCK);
        return fd;
}

/* A complete response is in buf: headers, then Content-Length bytes or the chunked terminator
 * (or, with until_text, that text). */
static bool
response_complete(const char *buf, size_t len, const char *until_text)
{
        if (until_text)
                return memmem(buf, len, until_text, strlen(until_text)) != NULL;
        const char *end = memmem(buf, len, "\r\n\r\n", 4);
        if (!end)
                return false;
        const char *cl = strcasestr(buf, "Content-Length: ");
        if (cl && cl < end)
                return len >= (size_t)(end + 4 - buf) + strtoul(cl + 16, NULL, 10);
        return memmem(buf, len, "\r\n0\r\n\r\n", 7) != NULL;
}

/* Step the loop and read fd until the response is complete, EOF, or 5 s. Returns malloc'd text. */
static char *
read_reply(int fd, const char *until_text, bool *ret_eof)
{
        size_t len = 0, cap = 65536;
        char *buf = xmalloc(cap);
        buf[0] = 0;
        bool eof = false;
        double deadline = ev_time() + 5;
        while (ev_time() < deadline && !response_complete(buf, len, until_text)) {
                ev_run(loop, EVRUN_ONCE);
                for (;;) {
                        if (cap - len < 4096)
                                buf = xrealloc(buf, cap *= 2);
                        ssize_t n = read(fd, buf + len, cap - len - 1);
                        if (n > 0) {
                                len += (size_t)n;
                                buf[len] = 0;
                                continue;
                        }
                        if (n == 0 || (errno != EAGAIN && errno != EINTR))
                                eof = true;
                        break;
                }
                if (eof)
                        break;
        }
        if (ret_eof)
                *ret_eof = eof;
        return buf;
}

static void
send_all(int fd, const char *data, size_t len)
{
        while (len) {
                ssize_t n = write(fd, data, len);
                if (n < 0 && errno == EAGAIN) {
                        ev_run(loop, EVRUN_NOWAIT);
                        continue;
                }
                ck_assert_int_gt(n, 0);
                data += n;
                len -= (size_t)n;
        }
}

static char *
exchange(const char *req)
{
        int fd = client_connect(sock_path);
        send_all(fd, req, strlen(req));
        char *r = read_reply(fd, NULL, NULL);
        close(fd);
        return r;
}

static const char rpc_call[] =
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>supervisor.noSuchMethod</methodName>\n"
        "<params>\n</params>\n</methodCall>\n";

static char *
post_rpc(const char *extra_headers)
{
        char req[1024];
        snprintf(req, sizeof req,
                 "POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n%s"
                 "Content-Length: %zu\r\n\r\n%s", extra_headers, strlen(rpc_call), rpc_call);
        return exchange(req);
}

/* ---- auth ---------------------------------------------------------------------------------------- */

/* sha1("secret") */
#define SHA_SECRET "{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"

START_TEST(auth_plain_and_sha)
{
        ck_assert(http_auth_ok(NULL, NULL, NULL, NULL));
        ck_assert(http_auth_ok("alice", "secret", "alice", "secret"));
        ck_assert(http_auth_ok("alice", SHA_SECRET, "alice", "secret"));
}
END_TEST

/* Credentials alice's server (password: plain "secret" or its {SHA}) refuses, one loop iteration
 * each (one failure does not hide the rest). */
static const struct {
        const char *password, *user, *pass;
} bad_creds[] = {
        { "secret", "alice", "secreT" },
        { "secret", "alice", "secret2" },
        { "secret", "bob", "secret" },
        { "secret", NULL, NULL },
        { "secret", "alice", "" },
        { SHA_SECRET, "alice", "wrong" },
        { SHA_SECRET, "alice", SHA_SECRET },
};

START_TEST(auth_refused)
{
        ck_assert_msg(!http_auth_ok("alice", bad_creds[_i].password, bad_creds[_i].user, bad_creds[_i].pass),
                      "password %s accepted %s:%s", bad_creds[_i].password,
                      bad_creds[_i].user ? bad_creds[_i].user : "(none)",
                      bad_creds[_i].pass ? bad_creds[_i].pass : "(none)");
}
END_TEST

/* Authorization header values as clients send them (issue 18: NUL, scheme case). */
struct header_case { const char *value; size_t len; bool ok; };
#define HDR(s, ok) { s, sizeof s - 1, ok }
static const struct header_case header_cases[] = {
        HDR("Basic YWxpY2U6c2VjcmV0", true),
        HDR("basic YWxpY2U6c2VjcmV0", true),              /* RFC 7235: any case */
        HDR("BASIC   YWxpY2U6c2VjcmV0  ", true),
        HDR("Basic YWxpY2U6d3Jvbmc=", false),
        HDR("Basic YWxpY2U6c2VjcmV0AGFueXRoaW5n", false),   /* NUL: not "secret" */
        HDR("Basic YWxpY2UAeDpzZWNyZXQ=", false),
        HDR("Basic YWxpY2U=", false),                     /* no colon */
        HDR("Basic !!!!", false),                                   /* not base64 */
        HDR("Basic", false),
        HDR("Basicx YWxpY2U6c2VjcmV0", false),
        HDR("Digest YWxpY2U6c2VjcmV0", false),
        HDR("", false),
};

START_TEST(auth_header_values)
{
        const struct header_case *c = &header_cases[_i];
        ck_assert_msg(http_auth_header_ok("alice", "secret", c->value, c->len) == c->ok,
                      "case %d: \"%s\"", _i, c->value);
}
END_TEST

START_TEST(auth_required_on_every_url)
{
        cfg.unix_server.auth.username = "alice";
        cfg.unix_server.auth.password = "secret";
        ck_assert_int_eq(ctl_init(loop, &cfg), 0);
        char *r = post_rpc("");
        ck_assert_msg(!strncmp(r, "HTTP/1.1 401 ", 13), "%s", r);
        ck_assert_ptr_nonnull(strstr(r, "WWW-Authenticate: Basic realm=\"default\"\r\n"));
        ck_assert_ptr_nonnull(strcasestr(r, "Connection: close\r\n"));
        ck_assert_ptr_nonnull(strstr(r, "<p>Error code 401.\r\n"));
        free(r);
        r = post_rpc("Authorization: Basic YWxpY2U6d3Jvbmc=\r\n");   /* alice:wrong */
        ck_assert_msg(!strncmp(r, "HTTP/1.1 401 ", 13), "%s", r);
        free(r);
        r = exchange("GET /logtail/x/stdout HTTP/1.1\r\nHost: \r\n\r\n");
        ck_assert_msg(!strncmp(r, "HTTP/1.1 401 ", 13), "%s", r);
        free(r);
        /* Python's http.client writes the body separately: the 401 must wait for it (else EPIPE) */
        int fd = client_connect(sock_path);
        char head[256];
        snprintf(head, sizeof head, "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n",
                 strlen(rpc_call));
        send_all(fd, head, strlen(head));
        for (int i = 0; i < 20; i++)
                ev_run(loop, EVRUN_ONCE);
        ck_assert_int_eq(write(fd, rpc_call, strlen(rpc_call)), (ssize_t)strlen(rpc_call));
        r = read_reply(fd, NULL, NULL);
        ck_assert_msg(!strncmp(r, "HTTP/1.1 401 ", 13), "%s", r);
        free(r);
        close(fd);
        r = post_rpc("Authorization: Basic YWxpY2U6c2VjcmV0\r\n");   /* alice:secret */
        ck_assert_msg(!strncmp(r, "HTTP/1.1 200 ", 13), "%s", r);
        free(r);
        r = post_rpc("Authorization: Basic YWxpY2U6c2VjcmV0AHg=\r\n");   /* alice:secret\0x */
        ck_assert_msg(!strncmp(r, "HTTP/1.1 401 ", 13), "%s", r);
        free(r);
        r = post_rpc("Authorization: basic YWxpY2U6c2VjcmV0\r\n");
        ck_assert_msg(!strncmp(r, "HTTP/1.1 200 ", 13), "%s", r);
        free(r);
}
END_TEST

/* ---- core ---------------------------------------------------------------------------------------- */

START_TEST(rpc_post_is_text_xml)
{
        ck_assert_int_eq(ctl_init(loop, &cfg), 0);
        char *r = post_rpc("");
        ck_assert_msg(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17), "%s", r);
        ck_assert_ptr_nonnull(strstr(r, "Content-Type: text/xml\r\n"));
        ck_assert_ptr_nonnull(strstr(r, "<methodResponse>"));
        free(r);
        /* prefix match, like supervisord */
        char req[512];
        snprintf(req, sizeof req, "POST /RPC2/x HTTP/1.0\r\nContent-Length: %zu\r\n\r\n%s",
                 strlen(rpc_call), rpc_call);
        r = exchange(req);
        ck_assert_msg(!strncmp(r, "HTTP/1.0 200 OK\r\n", 17), "%s", r);
        free(r);
}
END_TEST

START_TEST(error_pages)
{
        ck_assert_int_eq(ctl_init(loop, &cfg), 0);
        char *r = exchange("GET /nonexistent HTTP/1.1\r\nHost: x\r\n\r\n");
        ck_assert_msg(!strncmp(r, "HTTP/1.1 404 Not Found\r\n", 24), "%s", r);
        ck_assert_ptr_nonnull(strstr(r, "Content-Type: text/html\r\n"));
        ck_assert_ptr_nonnull(strstr(r, "\r\n\r\n<head>\r\n<title>Error response</title>\r\n</head>\r\n<body>\r\n"
                                        "<h1>Error response</h1>\r\n<p>Error code 404.\r\n"
                                        "<p>Message: Not Found.\r\n</body>\r\n"));
        free(r);
}
END_TEST

/* Requests answered with an error status (the start of the status line), one loop iteration each. */
static const struct {
        const char *req, *status;
} bad_requests[] = {
        { "GET /RPC2 HTTP/1.0\r\n\r\n", "HTTP/1.0 400 Bad Request\r\n" },
        { "POST /logtail/foo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 400 " },
        /* ctl's exact tail -f bytes: empty Host and an extra CRLF (no such process here → 404) */
        { "GET /logtail/bogus/stdout HTTP/1.1\r\nHost: \r\nAccept-Encoding: chunked\r\n"
          "Accept: */*\r\nUser-agent: Supervisor HTTP Client\r\n\r\n\r\n", "HTTP/1.1 404 " },
        { "GET /mainlogtail HTTP/1.1\r\nHost: \r\n\r\n", "HTTP/1.1 404 " },
};

START_TEST(error_statuses)
{
        ck_assert_int_eq(ctl_init(loop, &cfg), 0);
        char *r = exchange(bad_requests[_i].req);
        ck_assert_msg(!strncmp(r, bad_requests[_i].status, strlen(bad_requests[_i].status)), "%s", r);
        free(r);
}
END_TEST

START_TEST(keepalive_and_pipelining)
{
        ck_assert_int_eq(ctl_init(loop, &cfg), 0);
        char one[512];
        snprintf(one, sizeof one, "POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Length: %zu\r\n\r\n%s",
                 strlen(rpc_call), rpc_call);
        char two[1024];
        snprintf(two, sizeof two, "%s%s", one, one);
        int fd = client_connect(sock_path);
        send_all(fd, two, strlen(two));
        char *r = read_reply(fd, "</methodResponse>\n", NULL);
        /* wait for the second one too */
        char *second = NULL;
        double deadline = ev_time() + 5;
        size_t n = 0;
        while (ev_time() < deadline) {
                const char *p = r;
                n = 0;
                while ((p = strstr(p, "HTTP/1.1 200 OK"))) {
                        n++;
                        p++;
                }
                if (n == 2)
                        break;
                second = read_reply(fd, "</methodResponse>\n", NULL);
                char *joined = xasprintf("%s%s", r, second);
                free(r);
                free(second);
                r = joined;
        }
        ck_assert_msg(n == 2, "%s", r);
        free(r);
        close(fd);
}
END_TEST

/* ---- limits -------------------------------------------------------------------------------------- */

START_TEST(oversized_body_is_413_at_once)
{
        ck_assert_int_eq(ctl_init(loop, &cfg), 0);
        int fd = client_connect(sock_path);
        const char *h = "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n";
        send_all(fd, h, strlen(h));
        bool eof;
        char *r = read_reply(fd, NULL, &eof);
        ck_assert_msg(!strncmp(r, "HTTP/1.1 413 ", 13), "%s", r);
        free(r);
        close(fd);
        /* and the server still answers */
        r = post_rpc("");
        ck_assert_msg(!strncmp(r, "HTTP/1.1 200 ", 13), "%s", r);
        free(r);
}
END_TEST

/* Issue 18: supervisord keeps an idle keep-alive client; corrald did not after 30 s. Here the
 * idle timeout is 1 s: a guest (no complete request yet) is dropped by it, an authorized client
 * that went idle is not. */
START_TEST(idle_authorized_client_is_kept)
{
        int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        strcpy(sa.sun_path, sock_path);
        ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
        ck_assert_int_eq(listen(lfd, 16), 0);
        struct http_server_options o = { .name = "t", .idle_timeout = 1 };
        struct http_server *srv = http_server_new(loop, lfd, &o);
        ck_assert_ptr_nonnull(srv);
        int kept = client_connect(sock_path), guest = client_connect(sock_path);
        char req[1024];
        snprintf(req, sizeof req, "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n%s",
                 strlen(rpc_call), rpc_call);
        send_all(kept, req, strlen(req));
        char *r = read_reply(kept, NULL, NULL);
        ck_assert_msg(!strncmp(r, "HTTP/1.1 200 ", 13), "%s", r);
        free(r);
        send_all(guest, "POST /RPC2 HTTP/1.1\r\n", 21);
        /* Bounded: proves nothing happens to the kept one while the guest times out. */
        for (double end = ev_time() + 2.5; ev_time() < end;)
                ev_run(loop, EVRUN_ONCE);
        bool eof = false;
        free(read_reply(guest, "never", &eof));
        ck_assert(eof);
        send_all(kept, req, strlen(req));
        r = read_reply(kept, NULL, &eof);
        ck_assert_msg(!strncmp(r, "HTTP/1.1 200 ", 13), "%s", r);
        free(r);
        close(kept);
        close(guest);
        http_server_free(srv);
}
END_TEST

START_TEST(conflicting_content_lengths_are_400)
{
        ck_assert_int_eq(ctl_init(loop, &cfg), 0);
        char req[1024];
        snprintf(req, sizeof req, "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n"
                 "Content-Length: 5\r\n\r\n%s", strlen(rpc_call), rpc_call);
        char *r = exchange(req);
        ck_assert_msg(!strncmp(r, "HTTP/1.1 400 ", 13), "%s", r);
        free(r);
        /* the same value twice frames the body unambiguously */
        snprintf(req, sizeof req, "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n"
                 "content-length: %zu\r\n\r\n%s", strlen(rpc_call), strlen(rpc_call), rpc_call);
        r = exchange(req);
        ck_assert_msg(!strncmp(r, "HTTP/1.1 200 ", 13), "%s", r);
        free(r);
}
END_TEST

START_TEST(chunked_oversized_body_is_dropped)
{
        ck_assert_int_eq(ctl_init(loop, &cfg), 0);
        int fd = client_connect(sock_path);
        const char *h = "POST /RPC2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        send_all(fd, h, strlen(h));
        static char chunk[65536 + 16];
        int hl = snprintf(chunk, sizeof chunk, "10000\r\n");
        memset(chunk + hl, 'a', 65536);
        memcpy(chunk + hl + 65536, "\r\n", 2);
        bool eof = false;
        for (int i = 0; i < 40 && !eof; i++) {          /* 2.5 MiB > 1 MiB */
                const char *p = chunk;
                size_t left = (size_t)hl + 65536 + 2;
                while (left && !eof) {
                        ssize_t n = write(fd, p, left);
                        if (n > 0) {
                                p += n;
                                left -= (size_t)n;
                        } else if (errno == EAGAIN) {
                                ev_run(loop, EVRUN_ONCE);
                        } else {
                                eof = true;     /* EPIPE / ECONNRESET: dropped */
                        }
                }
        }
        if (!eof) {
                char *r = read_reply(fd, NULL, &eof);
                free(r);
        }
        ck_assert(eof);
        close(fd);
        char *r = post_rpc("");
        ck_assert_msg(!strncmp(r, "HTTP/1.1 200 ", 13), "%s", r);
        free(r);
}
END_TEST

START_TEST(silent_client_does_not_block_others)
{
        ck_assert_int_eq(ctl_init(loop, &cfg), 0);
        int silent = client_connect(sock_path);
        const char *h = "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n<?xml";
        send_all(silent, h, strlen(h));
        for (int i = 0; i < 5; i++) {
                char *r = post_rpc("");
                ck_assert_msg(!strncmp(r, "HTTP/1.1 200 ", 13), "%s", r);
                free(r);
        }
        close(silent);
}
END_TEST

/* ---- sockets ------------------------------------------------------------------------------------- */

START_TEST(socket_mode_and_removal)
{
        cfg.unix_server.chmod = 0700;
        ck_assert_int_eq(ctl_init(loop, &cfg), 0);
        struct stat st;
        ck_assert_int_eq(lstat(sock_path, &st), 0);
        ck_assert(S_ISSOCK(st.st_mode));
        ck_assert_int_eq(st.st_mode & 07777, 0700);
        /* no leftover <file>.<pid> */
        char tmp[160];
        snprintf(tmp, sizeof tmp, "%s.%ld", sock_path, (long)getpid());
        ck_assert_int_ne(access(tmp, F_OK), 0);
        char *url = xasprintf("unix://%s", sock_path);
        char *got = cfg_server_url(&cfg);
        ck_assert_str_eq(got, url);
        free(got);
        free(url);
        ctl_fini();
        ck_assert_int_ne(access(sock_path, F_OK), 0);
}
END_TEST

START_TEST(stale_socket_replaced)
{
        /* a socket file nobody listens on */
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        strcpy(sa.sun_path, sock_path);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
        close(fd);
        ck_assert_int_eq(ctl_init(loop, &cfg), 0);
        char *r = post_rpc("");
        ck_assert_msg(!strncmp(r, "HTTP/1.1 200 ", 13), "%s", r);
        free(r);
}
END_TEST

START_TEST(live_socket_refused)
{
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        strcpy(sa.sun_path, sock_path);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
        ck_assert_int_eq(listen(fd, 4), 0);
        ck_assert_int_eq(ctl_init(loop, &cfg), -EADDRINUSE);
        struct stat st;
        ck_assert_int_eq(stat(sock_path, &st), 0);      /* still there, still theirs */
        int c = client_connect(sock_path);
        close(c);
        close(fd);
}
END_TEST

START_TEST(inet_non_loopback_needs_password)
{
        struct cfg c = { 0 };
        c.inet_server.enabled = true;
        c.inet_server.host = "0.0.0.0";
        c.inet_server.port = 0;
        ck_assert_int_eq(ctl_init(loop, &c), -EPERM);
        c.inet_server.host = "";
        ck_assert_int_eq(ctl_init(loop, &c), -EPERM);
        c.inet_server.auth.username = "u";
        c.inet_server.auth.password = "p";
        ck_assert_int_eq(ctl_init(loop, &c), 0);
        ctl_fini();
        c.inet_server.auth.username = NULL;
        c.inet_server.auth.password = NULL;
        c.inet_server.host = "127.0.0.1";
        ck_assert_int_eq(ctl_init(loop, &c), 0);
        char *got = cfg_server_url(&c);
        ck_assert_str_eq(got, "http://127.0.0.1:0");
        free(got);
        ctl_fini();
}
END_TEST

/* ---- streams (http_server directly, with our own resolver) --------------------------------------- */

static struct logfile *tail_lf;

static struct logfile *
test_resolve(const char *name, const char *channel)
{
        if (!name)
                return tail_lf;
        return !strcmp(name, "p") && !strcmp(channel, "stdout") ? tail_lf : NULL;
}

static struct http_server *
tail_server(void)
{
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        strcpy(sa.sun_path, sock_path);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
        ck_assert_int_eq(listen(fd, 16), 0);
        struct http_server_options o = { .name = "test", .resolve_log = test_resolve };
        struct http_server *s = http_server_new(loop, fd, &o);
        ck_assert_ptr_nonnull(s);
        return s;
}

/* The body of a chunked response (complete chunks only). */
static char *
dechunk(const char *resp)
{
        const char *p = strstr(resp, "\r\n\r\n");
        char *out = xcalloc(1, strlen(resp) + 1);
        size_t n = 0;
        if (!p)
                return out;
        p += 4;
        for (;;) {
                char *end;
                unsigned long len = strtoul(p, &end, 16);
                if (end == p || strncmp(end, "\r\n", 2) || len == 0 || strlen(end + 2) < len + 2)
                        break;
                memcpy(out + n, end + 2, len);
                n += len;
                p = end + 2 + len + 2;
        }
        return out;
}

START_TEST(tail_follows_truncates_rotates)
{
        char path[160];
        snprintf(path, sizeof path, "%s/p.log", dir);
        tail_lf = logfile_open(path, 0, 2, 0644);
        ck_assert_ptr_nonnull(tail_lf);
        char big[3000];
        for (size_t i = 0; i < sizeof big; i++)
                big[i] = (char)('a' + i % 26);
        memcpy(big + sizeof big - 8, "ENDMARK\n", 8);
        logfile_write(tail_lf, big, sizeof big);
        struct http_server *s = tail_server();

        int fd = client_connect(sock_path);
        const char *req = "GET /logtail/p/stdout HTTP/1.1\r\nHost: \r\nAccept-Encoding: chunked\r\n"
                          "Accept: */*\r\nUser-agent: Supervisor HTTP Client\r\n\r\n\r\n";
        send_all(fd, req, strlen(req));
        char *r = read_reply(fd, "ENDMARK\n", NULL);
        ck_assert_msg(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17), "%s", r);
        ck_assert_ptr_nonnull(strstr(r, "Transfer-Encoding: chunked\r\n"));
        ck_assert_ptr_nonnull(strstr(r, "X-Accel-Buffering: no\r\n"));
        char *body = dechunk(r);                /* exactly the last 1024 bytes */
        ck_assert_uint_eq(strlen(body), 1024);
        ck_assert_int_eq(memcmp(body, big + sizeof big - 1024, 1024), 0);
        free(body);
        free(r);
        ck_assert_uint_eq(http_server_connections(s), 1);

        logfile_write(tail_lf, "new line\n", 9);
        r = read_reply(fd, "new line\n", NULL);
        ck_assert_ptr_nonnull(strstr(r, "new line\n"));
        free(r);

        ck_assert_int_eq(logfile_truncate(tail_lf), 0);
        logfile_write(tail_lf, "after\n", 6);
        r = read_reply(fd, "after\n", NULL);
        ck_assert_msg(strstr(r, "==> File truncated <==\n") != NULL, "%s", r);
        free(r);

        char moved[176];
        snprintf(moved, sizeof moved, "%s.1", path);
        ck_assert_int_eq(rename(path, moved), 0);
        ck_assert_int_eq(logfile_reopen(tail_lf), 0);
        logfile_write(tail_lf, "rotated\n", 8);
        r = read_reply(fd, "rotated\n", NULL);
        ck_assert_msg(strstr(r, "rotated\n") != NULL, "%s", r);
        free(r);

        /* a client that hangs up while the stream waits is released without more log output */
        close(fd);
        double deadline = ev_time() + 5;
        while (http_server_connections(s) && ev_time() < deadline)
                ev_run(loop, EVRUN_ONCE);
        ck_assert_uint_eq(http_server_connections(s), 0);

        /* unknown names and channels */
        fd = client_connect(sock_path);
        const char *bad = "GET /logtail/q HTTP/1.1\r\nHost: \r\n\r\n";
        send_all(fd, bad, strlen(bad));
        r = read_reply(fd, NULL, NULL);
        ck_assert_msg(!strncmp(r, "HTTP/1.1 404 ", 13), "%s", r);
        free(r);
        close(fd);
        http_server_free(s);
        tail_lf = logfile_close(tail_lf);
}
END_TEST

START_TEST(tail_many_and_shutdown)
{
        char path[160];
        snprintf(path, sizeof path, "%s/m.log", dir);
        tail_lf = logfile_open(path, 0, 2, 0644);
        ck_assert_ptr_nonnull(tail_lf);
        logfile_write(tail_lf, "hello\n", 6);
        struct http_server *s = tail_server();
        int fds[20];
        for (int i = 0; i < 20; i++) {
                fds[i] = client_connect(sock_path);
                const char *req = "GET /mainlogtail HTTP/1.1\r\nHost: \r\n\r\n";
                send_all(fds[i], req, strlen(req));
                char *r = read_reply(fds[i], "hello\n", NULL);
                char *body = dechunk(r);
                ck_assert_str_eq(body, "hello\n");
                ck_assert_ptr_null(strstr(r, "X-Accel-Buffering"));
                free(body);
                free(r);
        }
        logfile_write(tail_lf, "world\n", 6);
        for (int i = 0; i < 20; i++) {
                char *r = read_reply(fds[i], "world\n", NULL);
                ck_assert_ptr_nonnull(strstr(r, "world\n"));
                free(r);
        }
        /* freeing the server with suspended streams ends them cleanly */
        http_server_free(s);
        for (int i = 0; i < 20; i++)
                close(fds[i]);
        tail_lf = logfile_close(tail_lf);
}
END_TEST

Suite *
unit_suite(void)
{
        Suite *s = suite_create("http");
        TCase *tc = tcase_create("auth");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, auth_plain_and_sha);
        tcase_add_loop_test(tc, auth_refused, 0, ARRAY_SIZE(bad_creds));
        tcase_add_loop_test(tc, auth_header_values, 0, (int)ARRAY_SIZE(header_cases));
        tcase_add_test(tc, auth_required_on_every_url);
        suite_add_tcase(s, tc);

        tc = tcase_create("core");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, rpc_post_is_text_xml);
        tcase_add_test(tc, error_pages);
        tcase_add_loop_test(tc, error_statuses, 0, ARRAY_SIZE(bad_requests));
        tcase_add_test(tc, keepalive_and_pipelining);
        suite_add_tcase(s, tc);

        tc = tcase_create("limits");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 20);
        tcase_add_test(tc, oversized_body_is_413_at_once);
        tcase_add_test(tc, conflicting_content_lengths_are_400);
        tcase_add_test(tc, idle_authorized_client_is_kept);
        tcase_add_test(tc, chunked_oversized_body_is_dropped);
        tcase_add_test(tc, silent_client_does_not_block_others);
        suite_add_tcase(s, tc);

        tc = tcase_create("sockets");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, socket_mode_and_removal);
        tcase_add_test(tc, stale_socket_replaced);
        tcase_add_test(tc, live_socket_refused);
        tcase_add_test(tc, inet_non_loopback_needs_password);
        suite_add_tcase(s, tc);

        tc = tcase_create("streams");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, tail_follows_truncates_rotates);
        tcase_add_test(tc, tail_many_and_shutdown);
        suite_add_tcase(s, tc);
        return s;
}
