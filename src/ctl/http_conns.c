/* SPDX-License-Identifier: MIT */
/* http_conns — who may hold a connection slot. Every accepted connection is recorded in accept
 * order with its peer (uid on a unix socket, address on TCP) until it has sent one complete,
 * authorized request header. Until then it is a guest with a deadline; when the listener is full,
 * or its peer has too many guests, the oldest guest is shut down to make room. So idle
 * connections, requests that announce a body and hang up, and slowloris clients can hold slots
 * only briefly, and an authenticated client always finds one. An authenticated connection has
 * no idle timeout (supervisord keeps keep-alive clients); when the listener is full and no guest
 * is left, the oldest idle one gives way. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"
#include "ctl/http_int.h"
#include "shared/analyzer.h"
#include "shared/util.h"

struct http_conn {
        struct http_server *srv;
        struct http_conn *prev, *next;  /* srv->conns, oldest first */
        int fd;
        struct http_peer peer;
        bool authorized;                /* sent a complete, authorized request header */
        unsigned busy;                  /* requests in progress (0: idle keep-alive) */
        bool evicted;                   /* shut down, waiting for MHD to notice */
        ev_timer deadline;
};

static void
peer_of(int fd, const struct sockaddr *sa, unsigned salen, struct http_peer *p)
{
        memset(p, 0, sizeof *p);
        p->family = sa && salen >= sizeof(sa_family_t) ? sa->sa_family : AF_UNSPEC;
        if (p->family == AF_INET) {
                memcpy(p->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        } else if (p->family == AF_INET6) {
                memcpy(p->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        } else {
                struct ucred cred;
                socklen_t len = sizeof cred;
                p->family = AF_UNIX;
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
                        memcpy(p->addr, &cred.uid, sizeof cred.uid);
        }
}

static bool
same_peer(const struct http_peer *a, const struct http_peer *b)
{
        return a->family == b->family && !memcmp(a->addr, b->addr, sizeof a->addr);
}

static void
evict(struct http_conn *c, const char *why)
{
        struct http_server *s = c->srv;
        c->evicted = true;
        ev_timer_stop(s->loop, &c->deadline);
        s->nconns--;
        log_debug("%s: dropping an unauthenticated connection (%s)", s->name, why);
        /* MHD owns the fd: shutting it down makes MHD see EOF and close it on its next run. */
        (void)shutdown(c->fd, SHUT_RDWR);
        http_server_kick(s);
}

static void
on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
        (void)loop; (void)revents;
        struct http_conn *c = container_of(w, struct http_conn, deadline);
        evict(c, "no authorized request in time");
}

/* The oldest authorized connection with no request in progress: it gives way to a new
 * connection only when the listener is full and no guest is left to drop. */
static struct http_conn *
oldest_idle(struct http_server *s)
{
        for (struct http_conn *c = s->conns; c; c = c->next)
                if (!c->evicted && c->authorized && !c->busy)
                        return c;
        return NULL;
}

/* The oldest live guest, of peer p when p is not NULL. */
static struct http_conn *
oldest_guest(struct http_server *s, const struct http_peer *p)
{
        for (struct http_conn *c = s->conns; c; c = c->next)
                if (!c->evicted && !c->authorized && (!p || same_peer(&c->peer, p)))
                        return c;
        return NULL;
}

static unsigned
peer_guests(struct http_server *s, const struct http_peer *p)
{
        unsigned n = 0;
        for (struct http_conn *c = s->conns; c; c = c->next)
                n += !c->evicted && !c->authorized && same_peer(&c->peer, p);
        return n;
}

bool
http_conns_admit(struct http_server *s, int fd, const struct sockaddr *sa, unsigned salen)
{
        struct http_peer p;
        peer_of(fd, sa, salen, &p);
        if (peer_guests(s, &p) >= HTTP_PEER_GUESTS) {
                struct http_conn *g = oldest_guest(s, &p);
                if (!g)
                        return false;
                evict(g, "too many unauthenticated connections from one peer");
        }
        if (s->nconns >= HTTP_CONN_LIMIT) {
                struct http_conn *g = oldest_guest(s, NULL);
                if (!g && (g = oldest_idle(s)))
                        g->authorized = false;  /* dropped as any idle connection would be */
                if (!g)
                        return false;
                evict(g, "connection limit reached");
        }
        struct http_conn *c = xcalloc(1, sizeof *c);
        c->srv = s;
        c->fd = fd;
        c->peer = p;
        c->prev = s->conns_tail;
        if (s->conns_tail)
                s->conns_tail->next = c;
        else
                s->conns = c;
        s->conns_tail = c;
        s->nconns++;
        ev_timer_init(&c->deadline, on_deadline, HTTP_GUEST_DEADLINE, 0.);
        ev_timer_start(s->loop, &c->deadline);
        s->adding = c;
        return true;
}

static void
conn_free(struct http_conn *c)
{
        struct http_server *s = c->srv;
        if (c->prev)
                c->prev->next = c->next;
        else
                s->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        else
                s->conns_tail = c->prev;
        if (!c->evicted) {
                ev_timer_stop(s->loop, &c->deadline);
                s->nconns--;
        }
        free(c);
}

void
http_conns_added(struct http_server *s)
{
        /* MHD refused the connection without telling us it started: forget the record. */
        if (s->adding)
                conn_free(s->adding);
        s->adding = NULL;
}

void
http_conns_on_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                     enum MHD_ConnectionNotificationCode toe)
{
        (void)conn;
        struct http_server *s = cls;
        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                *socket_context = s->adding;
                s->adding = NULL;
        } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
                conn_free(*socket_context);
                *socket_context = NULL;
        }
}

static struct http_conn *
conn_of(struct MHD_Connection *conn)
{
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return ci ? ci->socket_context : NULL;
}

void
http_conns_authorized(struct MHD_Connection *conn)
{
        struct http_conn *c = conn_of(conn);
        if (!c || c->authorized || c->evicted)
                return;
        c->authorized = true;
        ev_timer_stop(c->srv->loop, &c->deadline);
        /* supervisord keeps an idle keep-alive client open: so do we, until the slot is needed. */
        (void)MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, 0U);
}

void
http_conns_request_begins(struct MHD_Connection *conn)
{
        struct http_conn *c = conn_of(conn);
        if (c)
                c->busy++;
}

void
http_conns_request_ends(struct MHD_Connection *conn)
{
        struct http_conn *c = conn_of(conn);
        if (c && c->busy)
                c->busy--;
}

void
http_conns_free_all(struct http_server *s)
{
        while (s->conns) {
                struct http_conn *c = s->conns;
                conn_free(c);
                /* conn_free() unlinks c through c->srv, which is s; clang's analyzer keeps the
                 * two apart, leaves c at the head and reports a use after free (false positive). */
                ANALYZER_ASSUME(s->conns != c);
        }
}
