/* SPDX-License-Identifier: MIT */
/* probe_http — libcurl multi-socket on libev: curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION) and when to call it back (CURLMOPT_TIMERFUNCTION); we hand it the
 * events (curl_multi_socket_action) and collect finished transfers (curl_multi_info_read). */
#include "core/probe_http.h"

#include <curl/curl.h>
#include <stdlib.h>

#include "core/log.h"
#include "shared/util.h"

struct http_get {
        CURL *easy;
        void (*done)(void *arg, long status);
        void *arg;
};

struct sock {
        ev_io io;
};

static struct {
        struct ev_loop *loop;
        CURLM *multi;
        ev_timer timer;
} H;

static void
finish_done(void)
{
        CURLMsg *m;
        int left;

        while ((m = curl_multi_info_read(H.multi, &left))) {
                struct http_get *g = NULL;
                long code = 0;
                if (m->msg != CURLMSG_DONE)
                        continue;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&g);
                if (m->data.result == CURLE_OK)
                        curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
                else
                        log_debug("http probe: %s", curl_easy_strerror(m->data.result));
                curl_multi_remove_handle(H.multi, m->easy_handle);
                curl_easy_cleanup(m->easy_handle);
                if (g) {
                        void (*done)(void *, long) = g->done;
                        void *arg = g->arg;
                        free(g);
                        done(arg, code);        /* may start or cancel other GETs */
                }
        }
}

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
        int running, flags = (revents & EV_READ ? CURL_CSELECT_IN : 0) | (revents & EV_WRITE ? CURL_CSELECT_OUT : 0);

        (void)loop;
        curl_multi_socket_action(H.multi, w->fd, flags, &running);
        finish_done();
}

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
        int running;

        (void)loop;
        (void)w;
        (void)revents;
        curl_multi_socket_action(H.multi, CURL_SOCKET_TIMEOUT, 0, &running);
        finish_done();
}

static int
sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
        struct sock *so = socketp;

        (void)e;
        (void)userp;
        if (what == CURL_POLL_REMOVE) {
                if (so) {
                        ev_io_stop(H.loop, &so->io);
                        free(so);
                        curl_multi_assign(H.multi, s, NULL);
                }
                return 0;
        }
        if (!so) {
                so = xcalloc(1, sizeof *so);
                ev_io_init(&so->io, on_io, s, 0);
                curl_multi_assign(H.multi, s, so);
        }
        ev_io_stop(H.loop, &so->io);
        ev_io_set(&so->io, s, (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0));
        ev_io_start(H.loop, &so->io);
        return 0;
}

static int
timer_cb(CURLM *m, long ms, void *userp)
{
        (void)m;
        (void)userp;
        ev_timer_stop(H.loop, &H.timer);
        if (ms >= 0) {
                ev_timer_set(&H.timer, (double)ms / 1000., 0.);
                ev_timer_start(H.loop, &H.timer);
        }
        return 0;
}

static size_t
discard(char *ptr, size_t size, size_t n, void *userdata)
{
        (void)ptr;
        (void)userdata;
        return size * n;
}

struct http_get *
http_get_start(struct ev_loop *loop, const char *url, double timeout,
               void (*done)(void *arg, long status), void *arg)
{
        struct http_get *g;
        CURL *e;

        if (!H.multi) {
                if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(H.multi = curl_multi_init())) {
                        log_error("http probe: libcurl would not initialise");
                        return NULL;
                }
                H.loop = loop;
                ev_timer_init(&H.timer, on_timer, 0., 0.);
                curl_multi_setopt(H.multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
                curl_multi_setopt(H.multi, CURLMOPT_TIMERFUNCTION, timer_cb);
        }
        if (!(e = curl_easy_init()))
                return NULL;
        g = xcalloc(1, sizeof *g);
        g->easy = e;
        g->done = done;
        g->arg = arg;
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_PRIVATE, g);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
        curl_easy_setopt(e, CURLOPT_NOPROXY, "*");      /* the service itself, never a proxy */
        curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000 > 1 ? timeout * 1000 : 1));
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(e, CURLOPT_USERAGENT, "corral-ready-probe");
        if (curl_multi_add_handle(H.multi, e) != CURLM_OK) {
                curl_easy_cleanup(e);
                free(g);
                return NULL;
        }
        return g;
}

void
http_get_cancel(struct http_get *g)
{
        if (!g)
                return;
        curl_multi_remove_handle(H.multi, g->easy);     /* closes its socket (CURL_POLL_REMOVE) */
        curl_easy_cleanup(g->easy);
        free(g);
}
