/* SPDX-License-Identifier: MIT */
/* http_listen — the accept side of an HTTP server, outside libmicrohttpd so that running out of
 * file descriptors can never spin the loop: MHD's own accept retries EMFILE on a level-triggered
 * socket thousands of times a second. Here a spare fd (/dev/null) is given up to take the waiting
 * connection, so the client is still answered; when even that is spent, the watcher pauses and
 * retries on a timer. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "ctl/http_int.h"
#include "shared/util.h"

#define ACCEPT_BATCH    32      /* connections taken per wakeup, so a flood cannot hog the loop */
#define EXHAUSTED_PAUSE 0.1     /* seconds between tries while no fd is left */

static int
open_reserve(void)
{
        return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static int
accept_one(struct http_listener *l, struct sockaddr_storage *sa, socklen_t *salen)
{
        *salen = sizeof *sa;
        return accept4(l->fd, (struct sockaddr *)sa, salen, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

static void
pause_accepting(struct http_listener *l)
{
        ev_io_stop(l->loop, &l->io);
        ev_timer_set(&l->pause, EXHAUSTED_PAUSE, 0.);
        ev_timer_start(l->loop, &l->pause);
}

/* Out of fds: spend the reserve on the waiting client, or pause. */
static void
on_exhausted(struct http_listener *l, int err)
{
        if (!l->exhausted) {
                l->exhausted = true;
                log_warn("%s: cannot accept connections: %s; answering with a spare descriptor "
                         "until descriptors are free again", l->name, strerror(err));
        }
        if (l->reserve < 0) {
                pause_accepting(l);
                return;
        }
        close(l->reserve);
        l->reserve = -1;
        struct sockaddr_storage sa;
        socklen_t salen;
        int fd = accept_one(l, &sa, &salen);
        if (fd >= 0)
                l->on_accept(l, fd, (struct sockaddr *)&sa, salen);
        else
                l->reserve = open_reserve();
        pause_accepting(l);
}

static void
on_listen_ready(struct ev_loop *loop, ev_io *w, int revents)
{
        (void)loop; (void)revents;
        struct http_listener *l = container_of(w, struct http_listener, io);
        if (l->reserve < 0)
                l->reserve = open_reserve();
        for (int i = 0; i < ACCEPT_BATCH; i++) {
                struct sockaddr_storage sa;
                socklen_t salen;
                int fd = accept_one(l, &sa, &salen);
                if (fd >= 0) {
                        if (l->exhausted && l->reserve >= 0) {
                                l->exhausted = false;
                                log_info("%s: accepting connections again", l->name);
                        }
                        l->on_accept(l, fd, (struct sockaddr *)&sa, salen);
                        continue;
                }
                switch (errno) {
                case EINTR:
                case ECONNABORTED:
                case EPROTO:
                        continue;
                case EMFILE:
                case ENFILE:
                case ENOBUFS:
                case ENOMEM:
                        on_exhausted(l, errno);
                        return;
                default:                /* EAGAIN: drained; anything else: not ours to spin on */
                        return;
                }
        }
}

static void
on_pause_over(struct ev_loop *loop, ev_timer *w, int revents)
{
        (void)revents;
        struct http_listener *l = container_of(w, struct http_listener, pause);
        ev_io_start(loop, &l->io);
}

void
http_listener_init(struct http_listener *l, struct ev_loop *loop, int fd, const char *name,
                   http_accept_fn on_accept)
{
        l->loop = loop;
        l->fd = fd;
        l->name = name;
        l->on_accept = on_accept;
        l->reserve = open_reserve();
        l->exhausted = false;
        /* Zeroed only for clang's analyzer (a false positive): it does not see getsockname() fill
         * sa through glibc's transparent-union argument and calls ss_family garbage. */
        struct sockaddr_storage sa = { 0 };
        socklen_t salen = sizeof sa;
        l->is_unix = getsockname(fd, (struct sockaddr *)&sa, &salen) == 0 && sa.ss_family == AF_UNIX;
        ev_io_init(&l->io, on_listen_ready, fd, EV_READ);
        ev_timer_init(&l->pause, on_pause_over, 0., 0.);
        ev_io_start(loop, &l->io);
}

void
http_listener_fini(struct http_listener *l)
{
        if (!l->loop)
                return;
        ev_io_stop(l->loop, &l->io);
        ev_timer_stop(l->loop, &l->pause);
        if (l->reserve >= 0)
                close(l->reserve);
        if (l->fd >= 0)
                close(l->fd);
        l->reserve = l->fd = -1;
        l->loop = NULL;
}
