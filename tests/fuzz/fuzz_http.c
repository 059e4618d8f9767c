/* SPDX-License-Identifier: MIT */
/* fuzz_http — libFuzzer target: raw bytes on a connection to the real HTTP server (http.c over
 * libmicrohttpd, in-process, on an abstract unix socket), so routing (/RPC2, /logtail/<name>/<ch>,
 * /mainlogtail, /corral/v1/status, 404s), Basic auth, the Content-Length checks and the body
 * limits run as they do in corrald. Request handling is reachable only through MHD's callbacks,
 * so the input is the request itself. Deterministic and without sleeps: the loop runs until
 * nothing is pending (an ev_idle watcher fires), the client hangs up, the loop runs until idle
 * again, and the server is freed.
 * Input: one flag byte (bit 0: credentials required; bit 1: stored as {SHA}), then the request.
 * Checked: every response starts with an HTTP/1.x status line, and with credentials required no
 * request without an Authorization header is ever answered 200. */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "core/log.h"
#include "core/logfile.h"
#include "core/sup.h"
#include "ctl/http.h"

#include "own_child.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Programs whose commands do not exist: startProcess answers NO_FILE without forking. */
static const char config[] =
        "[supervisord]\n"
        "logfile=NONE\n"
        "[unix_http_server]\n"
        "file=/nonexistent-corral-fuzz/corral.sock\n"
        "[program:p]\n"
        "command=/nonexistent-corral-fuzz/p\n"
        "autostart=false\n"
        "stdout_logfile=NONE\n"
        "stderr_logfile=NONE\n";

static struct ev_loop *loop;
static struct logfile *log_lf;
/* Under $TMPDIR: run.sh points it at its scratch dir, removed even when a crash skips atexit. */
static char dir[1024];
static char tail_path[sizeof dir + 8];
static bool have_table;
static size_t ngroups;

static void
table_init(void)
{
        struct cfg_load_options opt = { .path = "/nonexistent-corral-fuzz/corral.conf" };
        struct cfg_errors errs = { 0 };
        struct cfg *c = cfg_load_string(config, &opt, &errs);
        cfg_errors_clear(&errs);
        have_table = false;
        if (!c)
                return;
        struct sup_options so = { .config_path = opt.path };
        if (sup_init(loop, c, &so) < 0)
                return;
        struct proc_group *const *g;
        ngroups = sup_groups(&g);
        have_table = true;
}

/* One log file for every stream: p's stdout/stderr and the main log; anything else is 404. */
static struct logfile *
resolve(const char *name, const char *channel)
{
        if (!name || (!strcmp(name, "p") && channel))
                return log_lf;
        return NULL;
}

static void
cleanup(void)
{
        log_lf = logfile_close(log_lf);
        unlink(tail_path);
        rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc; (void)argv;
        log_set_level(LOGL_CRIT);
        loop = ev_default_loop(0);
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/corral-fuzz-http.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
                perror("fuzz_http: mkdtemp");
                exit(1);
        }
        snprintf(tail_path, sizeof tail_path, "%s/log", dir);
        log_lf = logfile_open(tail_path, 0, 0, 0600);
        if (!log_lf) {
                perror("fuzz_http: log file");
                exit(1);
        }
        /* More than a stream's first block, so a tail starts mid-file. */
        for (int i = 0; i < 100; i++)
                logfile_write(log_lf, "a line of the log, a line of the log\n", 37);
        atexit(cleanup);
        own_child_start();
        table_init();
        if (have_table) {               /* the sweep, once up front: not only after a shutdown RPC */
                sup_fini();
                own_child_check("sup_fini");
                table_init();
        }
        return 0;
}

/* ---- the client side ----------------------------------------------------------------------- */

struct client {
        ev_io io;
        int fd;
        bool eof;
        char reply[65536];              /* the first 64 KiB are checked; the rest is drained */
        size_t len;
};

static void
client_on_read(struct ev_loop *l, ev_io *w, int revents)
{
        (void)revents;
        struct client *c = (struct client *)w;
        char buf[16384];
        for (;;) {
                ssize_t n = read(c->fd, buf, sizeof buf);
                if (n > 0) {
                        size_t k = (size_t)n < sizeof c->reply - 1 - c->len ? (size_t)n : sizeof c->reply - 1 - c->len;
                        memcpy(c->reply + c->len, buf, k);
                        c->len += k;
                        continue;
                }
                if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                        c->eof = true;
                        ev_io_stop(l, w);
                }
                return;
        }
}

static bool quiet;

static void
on_idle(struct ev_loop *l, ev_idle *w, int revents)
{
        (void)l; (void)w; (void)revents;
        quiet = true;
}

/* Run the loop until nothing is pending or the client saw the end of the connection. */
static void
settle(const struct client *c)
{
        ev_idle idle;
        ev_idle_init(&idle, on_idle);
        ev_idle_start(loop, &idle);
        quiet = false;
        /* Bounded anyway: a server that keeps itself busy forever is a bug, reported as one. */
        for (int i = 0; !quiet && !c->eof; i++) {
                if (i == 100000) {
                        fprintf(stderr, "fuzz_http: the loop never settles\n");
                        abort();
                }
                ev_run(loop, EVRUN_ONCE);
        }
        ev_idle_stop(loop, &idle);
}

static int
listen_socket(void)
{
        /* Abstract: nothing in the file system to clean up, gone with the socket. */
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int n = snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "corral-fuzz-http-%d", (int)getpid());
        socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 4) < 0) {
                perror("fuzz_http: listen");
                abort();
        }
        return fd;
}

static int
connect_to(int lfd)
{
        struct sockaddr_un sa;
        socklen_t len = sizeof sa;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || getsockname(lfd, (struct sockaddr *)&sa, &len) < 0 ||
            connect(fd, (struct sockaddr *)&sa, len) < 0) {
                perror("fuzz_http: connect");
                abort();
        }
        return fd;
}

static bool
contains_nocase(const uint8_t *p, size_t n, const char *needle)
{
        size_t k = strlen(needle);
        for (size_t i = 0; i + k <= n; i++)
                if (!strncasecmp((const char *)p + i, needle, k))
                        return true;
        return false;
}

static void
check_reply(const struct client *c, bool auth, bool has_authorization)
{
        /* MHD answers pipelined requests in order: walk every status line. */
        for (const char *p = c->reply; p < c->reply + c->len; p++) {
                if (strncmp(p, "HTTP/1.", 7) || (p != c->reply && p[-1] != '\n'))
                        continue;
                int code = atoi(p + 9);
                if (code < 100 || code > 599) {
                        fprintf(stderr, "fuzz_http: bad status line: %.40s\n", p);
                        abort();
                }
                if (auth && !has_authorization && code == 200) {
                        fprintf(stderr, "fuzz_http: 200 without credentials:\n%.*s\n", (int)c->len, c->reply);
                        abort();
                }
        }
        if (c->len && strncmp(c->reply, "HTTP/1.", 7)) {
                fprintf(stderr, "fuzz_http: reply is not HTTP: %.40s\n", c->reply);
                abort();
        }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        unsigned flags = data[0];
        data++;
        size--;
        bool auth = flags & 1;
        struct http_server_options o = {
                .name = "fuzz", .resolve_log = resolve,
                .username = auth ? "user" : NULL,
                /* sha1("pass") */
                .password = !auth ? NULL : flags & 2 ? "{SHA}9d4e1e23bd5b727046a9e3b4b7db57bd8d6ee684" : "pass",
        };
        int lfd = listen_socket();
        struct http_server *srv = http_server_new(loop, lfd, &o);
        if (!srv) {
                perror("fuzz_http: http_server_new");
                abort();
        }
        static struct client c;
        c.fd = connect_to(lfd);
        c.eof = false;
        c.len = 0;
        /* The whole request fits in the socket buffer (max_len is far below it). */
        if (size && write(c.fd, data, size) != (ssize_t)size) {
                perror("fuzz_http: write");
                abort();
        }
        if (fcntl(c.fd, F_SETFL, O_NONBLOCK) < 0)
                abort();
        ev_io_init(&c.io, client_on_read, c.fd, EV_READ);
        ev_io_start(loop, &c.io);
        settle(&c);
        /* Hang up and let the server see it (streams end, suspended requests are cancelled). */
        ev_io_stop(loop, &c.io);
        close(c.fd);
        c.eof = false;
        settle(&c);
        c.reply[c.len] = '\0';
        check_reply(&c, auth, contains_nocase(data, size, "authorization"));
        http_server_free(srv);

        /* An RPC may have changed the table (removeProcessGroup) or the mood (shutdown). */
        if (have_table) {
                struct proc_group *const *g;
                if (sup_groups(&g) != ngroups || sup_mood() != SUP_RUNNING) {
                        sup_fini();
                        own_child_check("sup_fini");
                        table_init();
                }
        }
        return 0;
}
