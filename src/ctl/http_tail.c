/* SPDX-License-Identifier: MIT */
/* http_tail — supervisord's streaming tail endpoints (compat G.2): GET /logtail/<name>[/<channel>]
 * and /mainlogtail answer 200 with a chunked body that starts with the last 1024 bytes of the file
 * and then follows it. No polling: MHD pulls from tail_read when the socket can take more; at end
 * of file the connection is suspended until the logfile's follower notification (or a client
 * hang-up seen on the socket) resumes it. Per connection we hold an fd and an offset, never a
 * buffer of log data: a slow reader only slows itself. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl/http_int.h"
#include "core/log.h"
#include "core/logfile.h"
#include "shared/util.h"

static const char truncated_notice[] = "==> File truncated <==\n";

struct http_tail {
        struct http_server *srv;
        struct MHD_Connection *conn;
        struct http_tail *next, *prev;  /* srv->tails */
        struct logfile_follower fol;
        char *path;
        int fd;                         /* our own read-only fd on path; -1 when not open */
        off_t off;                      /* next byte to send */
        bool suspended;
        bool truncated;                 /* send the notice, restart at 0 */
        bool rotated;                   /* drain the old file, then reopen path */
        bool ending;                    /* end the stream at the next pull */
        ev_io hup;                      /* the client socket while suspended */
};

static void
tail_resume(struct http_tail *t)
{
        if (!t->suspended)
                return;
        t->suspended = false;
        ev_io_stop(t->srv->loop, &t->hup);
        MHD_resume_connection(t->conn);
        http_server_kick(t->srv);
}

static void
tail_on_change(struct logfile_follower *f, enum logfile_change what)
{
        struct http_tail *t = container_of(f, struct http_tail, fol);
        if (what == LOGFILE_TRUNCATED)
                t->truncated = true;
        else if (what == LOGFILE_ROTATED)
                t->rotated = true;
        tail_resume(t);
}

/* While suspended MHD does not watch the socket; we do, so that a client that went away frees its
 * connection now rather than at the next log line. */
static void
tail_on_hup(struct ev_loop *loop, ev_io *w, int revents)
{
        (void)revents;
        struct http_tail *t = container_of(w, struct http_tail, hup);
        char c;
        ssize_t n = recv(w->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0) {                    /* the client sent something: MHD reads it once resumed */
                ev_io_stop(loop, w);
                return;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        t->ending = true;
        tail_resume(t);
}

static void
tail_suspend(struct http_tail *t)
{
        t->suspended = true;
        MHD_suspend_connection(t->conn);
        if (t->hup.fd >= 0)
                ev_io_start(t->srv->loop, &t->hup);
}

static int
tail_open(struct http_tail *t)
{
        t->fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        return t->fd;
}

static ssize_t
tail_read(void *cls, uint64_t pos, char *buf, size_t max)
{
        struct http_tail *t = cls;
        (void)pos;
        if (t->ending)
                return MHD_CONTENT_READER_END_OF_STREAM;
        if (max > HTTP_TAIL_BLOCK)
                max = HTTP_TAIL_BLOCK;
        for (int attempt = 0; attempt < 3; attempt++) {
                if (t->truncated && !t->rotated) {
                        t->truncated = false;
                        t->off = 0;
                        if (max >= sizeof truncated_notice - 1) {
                                memcpy(buf, truncated_notice, sizeof truncated_notice - 1);
                                return (ssize_t)(sizeof truncated_notice - 1);
                        }
                }
                if (t->fd < 0 && tail_open(t) < 0)
                        break;
                ssize_t n;
                do
                        n = pread(t->fd, buf, max, t->off);
                while (n < 0 && errno == EINTR);
                if (n > 0) {
                        t->off += n;
                        return n;
                }
                if (n < 0)
                        break;
                /* End of file: a rotated file is done (reopen the new one at 0); a file now
                 * shorter than our offset was truncated, whether or not we were told. */
                struct stat st, cur;
                if (!t->rotated && fstat(t->fd, &st) == 0 && stat(t->path, &cur) == 0 &&
                    (st.st_ino != cur.st_ino || st.st_dev != cur.st_dev))
                        t->rotated = true;
                if (t->rotated) {
                        t->rotated = false;
                        t->truncated = false;
                        close(t->fd);
                        t->fd = -1;
                        t->off = 0;
                        continue;
                }
                if (fstat(t->fd, &st) == 0 && st.st_size < t->off) {
                        t->truncated = true;
                        continue;
                }
                break;
        }
        tail_suspend(t);
        return 0;
}

static void
tail_unlink(struct http_tail *t)
{
        struct http_server *s = t->srv;
        if (t->prev)
                t->prev->next = t->next;
        else if (s->tails == t)
                s->tails = t->next;
        if (t->next)
                t->next->prev = t->prev;
        t->next = t->prev = NULL;
}

static void
tail_free(void *cls)
{
        struct http_tail *t = cls;
        logfile_unfollow(&t->fol);
        ev_io_stop(t->srv->loop, &t->hup);
        tail_unlink(t);
        if (t->fd >= 0)
                close(t->fd);
        free(t->path);
        free(t);
}

/* "/logtail/<name>[/<channel>]" → name, channel (malloc'd name). */
static char *
parse_logtail(const char *url, const char **ret_channel)
{
        while (*url == '/')
                url++;
        const char *rest = strchr(url, '/');    /* after "logtail" */
        if (!rest)
                return NULL;
        rest++;
        const char *slash = strchr(rest, '/');
        *ret_channel = slash ? slash + 1 : "stdout";
        size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
        return n ? xstrndup(rest, n) : NULL;
}

unsigned
http_tail_start(struct http_server *s, struct MHD_Connection *conn, bool http10, const char *url)
{
        struct logfile *lf = NULL;
        bool main_log = !strncmp(url, "/mainlogtail", 12);
        if (s->resolve_log) {
                if (main_log) {
                        lf = s->resolve_log(NULL, NULL);
                } else {
                        const char *channel = NULL;
                        char *name = parse_logtail(url, &channel);
                        if (name && (!strcmp(channel, "stdout") || !strcmp(channel, "stderr")))
                                lf = s->resolve_log(name, channel);
                        free(name);
                }
        }
        const char *path = lf ? logfile_path(lf) : NULL;
        if (!path || !*path)
                return 404;

        struct http_tail *t = xcalloc(1, sizeof *t);
        t->srv = s;
        t->conn = conn;
        t->path = xstrdup(path);
        t->fd = -1;
        struct stat st;
        if (tail_open(t) < 0 || fstat(t->fd, &st) < 0) {
                if (t->fd >= 0)
                        close(t->fd);
                free(t->path);
                free(t);
                return 404;
        }
        t->off = st.st_size > HTTP_TAIL_FIRST ? st.st_size - HTTP_TAIL_FIRST : 0;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        ev_io_init(&t->hup, tail_on_hup, ci ? ci->connect_fd : -1, EV_READ);

        struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_TAIL_BLOCK,
                                                                   tail_read, t, tail_free);
        if (!r) {
                close(t->fd);
                free(t->path);
                free(t);
                return 500;
        }
        char date[64];
        struct tm tm;
        if (gmtime_r(&st.st_mtime, &tm) && strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm))
                (void)MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, date);
        (void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain;charset=utf-8");
        if (!main_log)
                (void)MHD_add_response_header(r, "X-Accel-Buffering", "no");

        t->next = s->tails;
        if (s->tails)
                s->tails->prev = t;
        s->tails = t;
        t->fol.on_change = tail_on_change;
        logfile_follow(lf, &t->fol);

        /* the connection holds r now; tail_free runs when it is done with it */
        enum MHD_Result ok = http_respond(conn, http10, MHD_HTTP_OK, r);
        return ok == MHD_YES ? 0 : 500;
}

void
http_tail_end_all(struct http_server *s)
{
        for (struct http_tail *t = s->tails; t; t = t->next) {
                t->ending = true;
                logfile_unfollow(&t->fol);
                tail_resume(t);
        }
}
