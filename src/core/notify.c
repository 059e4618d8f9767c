/* SPDX-License-Identifier: MIT */
/* notify — the sd_notify socket: receive, attribute by SCM_CREDENTIALS, parse KEY=VALUE lines. */
#include "core/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/ready.h"
#include "shared/util.h"

/* sd_notify datagrams are small; systemd itself caps them near this (NOTIFY_BUFFER_MAX) */
#define DGRAM_MAX 4096
/* datagrams read per wakeup: a flood from one worker cannot starve the loop */
#define BATCH 32

static struct {
        int fd;
        char name[64];          /* NOTIFY_SOCKET value, '@' for the abstract namespace */
        ev_io io;
} N = { .fd = -1 };

/* The value of KEY= in the payload if the line is there: points into buf (line ends at '\n'). */
static const char *
field(const char *buf, size_t len, const char *key, size_t *ret_len)
{
        size_t kl = strlen(key);

        for (const char *l = buf, *end = buf + len; l < end;) {
                const char *nl = memchr(l, '\n', (size_t)(end - l));
                const char *le = nl ? nl : end;
                if ((size_t)(le - l) >= kl && !memcmp(l, key, kl)) {
                        *ret_len = (size_t)(le - l - kl);
                        return l + kl;
                }
                l = le + 1;
        }
        return NULL;
}

void
notify_datagram(pid_t pid, const char *buf, size_t len)
{
        struct proc *p = ready_owner(pid);
        const char *v;
        size_t vl;

        if (!p) {
                log_debug("notify: datagram from pid %d, which belongs to no program, ignored", (int)pid);
                return;
        }
        if ((v = field(buf, len, "MAINPID=", &vl))) {
                char num[16];
                long m;
                char *e;
                snprintf(num, sizeof num, "%.*s", (int)(vl < 15 ? vl : 15), v);
                m = strtol(num, &e, 10);
                if (*e || m <= 1 || m > 0x3fffffff)
                        log_warn("notify: '%s' sent a bad MAINPID=%s, ignored", p->cfg->name, num);
                else
                        ready_mainpid(p, (pid_t)m);
        }
        if ((v = field(buf, len, "STATUS=", &vl))) {
                char *t = xstrndup(v, vl > 200 ? 200 : vl);     /* one line in status */
                ready_status_set(p, t);
                free(t);
        }
        if ((v = field(buf, len, "STOPPING=", &vl)) && vl == 1 && *v == '1')
                log_info("notify: %s says it is stopping", p->cfg->name);
        if ((v = field(buf, len, "WATCHDOG=", &vl)) && vl == 1 && *v == '1')
                ready_watchdog_ping(p);
        if ((v = field(buf, len, "READY=", &vl)) && vl == 1 && *v == '1' &&
            p->cfg->ready.kind == CFG_READY_NOTIFY)
                proc_ready(p, "notify");
}

static void
on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
        char buf[DGRAM_MAX];
        union {
                struct cmsghdr h;
                char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
        } ctl;

        (void)loop;
        (void)revents;
        for (int i = 0; i < BATCH; i++) {
                struct iovec iov = { buf, sizeof buf - 1 };
                struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
                                    .msg_controllen = sizeof ctl };
                ssize_t n = recvmsg(w->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
                pid_t pid = 0;

                if (n < 0) {
                        if (errno != EAGAIN && errno != EINTR)
                                log_warn("notify: recvmsg: %s", strerror(errno));
                        return;
                }
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
                        if (c->cmsg_level != SOL_SOCKET)
                                continue;
                        if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
                                struct ucred cr;
                                memcpy(&cr, CMSG_DATA(c), sizeof cr);
                                pid = cr.pid;
                        } else if (c->cmsg_type == SCM_RIGHTS) {
                                /* FDSTORE is not supported: never keep a passed fd */
                                size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                                for (size_t k = 0; k < nfd; k++) {
                                        int fd;
                                        memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof fd);
                                        close(fd);
                                }
                        }
                }
                if (m.msg_flags & MSG_CTRUNC)
                        log_debug("notify: control data truncated");
                if ((size_t)n >= sizeof buf) {
                        log_warn("notify: datagram from pid %d longer than %d bytes, ignored", (int)pid,
                                 DGRAM_MAX - 1);
                        continue;
                }
                if (pid > 0)
                        notify_datagram(pid, buf, (size_t)n);
        }
}

const char *
notify_socket(struct ev_loop *loop)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int one = 1, fd;
        size_t len;

        if (N.fd >= 0)
                return N.name;
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return NULL;
        snprintf(N.name, sizeof N.name, "@corral/%d/notify", (int)getpid());
        len = strlen(N.name);
        memcpy(sa.sun_path, N.name, len);
        sa.sun_path[0] = '\0';          /* the abstract namespace: no file to clean up */
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0 ||
            bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
                log_error("notify: can't make the socket %s: %s", N.name, strerror(errno));
                close(fd);
                return NULL;
        }
        /* room for bursts of READY/STATUS from many workers at once */
        int rcv = 1 << 20;
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
        N.fd = fd;
        ev_io_init(&N.io, on_readable, fd, EV_READ);
        ev_io_start(loop, &N.io);
        log_debug("notify: listening on %s", N.name);
        return N.name;
}

void
notify_close(struct ev_loop *loop)
{
        if (N.fd < 0)
                return;
        ev_io_stop(loop, &N.io);
        close(N.fd);
        N.fd = -1;
}
