/* SPDX-License-Identifier: MIT */
/* probe_http — libcurl multi-socket on libev: curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION) and when to call it back (CURLMOPT_TIMERFUNCTION); we hand it the
 * events (curl_multi_socket_action) and collect finished transfers (curl_multi_info_read).
 * libcurl is loaded (dlopen) at the first http probe, not linked: with its dependencies it would
 * double an idle corrald's memory (PSS 2.0 → 4.1 MiB measured) that never probes http. */
#include "core/probe_http.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <stdbool.h>
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

/* The libcurl calls we make, resolved from the library loaded at the first GET (names without
 * the curl_ prefix, so that curl.h's type-checking macros do not apply to them). */
static struct {
        void *lib;
        CURLcode (*global_init)(long flags);
        CURLM *(*multi_init)(void);
        CURLMcode (*multi_setopt)(CURLM *m, CURLMoption o, ...);
        CURLMcode (*multi_add_handle)(CURLM *m, CURL *e);
        CURLMcode (*multi_remove_handle)(CURLM *m, CURL *e);
        CURLMcode (*multi_assign)(CURLM *m, curl_socket_t s, void *p);
        CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s, int ev, int *running);
        CURLMsg *(*multi_info_read)(CURLM *m, int *left);
        CURL *(*easy_init)(void);
        CURLcode (*easy_setopt)(CURL *e, CURLoption o, ...);
        CURLcode (*easy_getinfo)(CURL *e, CURLINFO i, ...);
        void (*easy_cleanup)(CURL *e);
        const char *(*easy_strerror)(CURLcode c);
} C;

/* The Debian runtime package of libcurl4-gnutls-dev's library (libcurl3-gnutls). */
#define LIBCURL "libcurl-gnutls.so.4"

static bool
load_curl(void)
{
        void *l = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL);
        bool ok = true;

        if (!l) {
                log_error("http probe: can't load %s: %s", LIBCURL, dlerror());
                return false;
        }
#define SYM(f) (ok = ok && (*(void **)&C.f = dlsym(l, "curl_" #f)) != NULL)
        SYM(global_init);
        SYM(multi_init);
        SYM(multi_setopt);
        SYM(multi_add_handle);
        SYM(multi_remove_handle);
        SYM(multi_assign);
        SYM(multi_socket_action);
        SYM(multi_info_read);
        SYM(easy_init);
        SYM(easy_setopt);
        SYM(easy_getinfo);
        SYM(easy_cleanup);
        SYM(easy_strerror);
#undef SYM
        if (!ok) {
                log_error("http probe: %s lacks a function corral needs", LIBCURL);
                dlclose(l);
                return false;
        }
        C.lib = l;
        return true;
}

static void
finish_done(void)
{
        CURLMsg *m;
        int left;

        while ((m = C.multi_info_read(H.multi, &left))) {
                struct http_get *g = NULL;
                long code = 0;
                if (m->msg != CURLMSG_DONE)
                        continue;
                C.easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&g);
                if (m->data.result == CURLE_OK)
                        C.easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
                else
                        log_debug("http probe: %s", C.easy_strerror(m->data.result));
                C.multi_remove_handle(H.multi, m->easy_handle);
                C.easy_cleanup(m->easy_handle);
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
        C.multi_socket_action(H.multi, w->fd, flags, &running);
        finish_done();
}

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
        int running;

        (void)loop;
        (void)w;
        (void)revents;
        C.multi_socket_action(H.multi, CURL_SOCKET_TIMEOUT, 0, &running);
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
                        C.multi_assign(H.multi, s, NULL);
                }
                return 0;
        }
        if (!so) {
                so = xcalloc(1, sizeof *so);
                ev_io_init(&so->io, on_io, s, 0);
                C.multi_assign(H.multi, s, so);
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
                if (!C.lib && !load_curl())
                        return NULL;
                if (C.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(H.multi = C.multi_init())) {
                        log_error("http probe: libcurl would not initialise");
                        return NULL;
                }
                H.loop = loop;
                ev_timer_init(&H.timer, on_timer, 0., 0.);
                C.multi_setopt(H.multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
                C.multi_setopt(H.multi, CURLMOPT_TIMERFUNCTION, timer_cb);
        }
        if (!(e = C.easy_init()))
                return NULL;
        g = xcalloc(1, sizeof *g);
        g->easy = e;
        g->done = done;
        g->arg = arg;
        C.easy_setopt(e, CURLOPT_URL, url);
        C.easy_setopt(e, CURLOPT_PRIVATE, g);
        C.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        C.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
        C.easy_setopt(e, CURLOPT_NOPROXY, "*");      /* the service itself, never a proxy */
        C.easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
        C.easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000 > 1 ? timeout * 1000 : 1));
        C.easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
        C.easy_setopt(e, CURLOPT_USERAGENT, "corral-ready-probe");
        if (C.multi_add_handle(H.multi, e) != CURLM_OK) {
                C.easy_cleanup(e);
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
        C.multi_remove_handle(H.multi, g->easy);     /* closes its socket (CURL_POLL_REMOVE) */
        C.easy_cleanup(g->easy);
        free(g);
}
