/* SPDX-License-Identifier: MIT */
/* ctl — the control server's listeners: [unix_http_server] (bound as <file>.<pid>, chmod'ed, then
 * hard-linked to its name so that a live server is never displaced and a stale socket is, compat
 * G.4) and [inet_http_server] (refused on a non-loopback address without a password). Each
 * listener gets its own http server; the log streams find their files through sup and log. */
#include "ctl/ctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cfg/cfg.h"
#include "ctl/http.h"
#include "core/log.h"
#include "core/outlog.h"
#include "core/proc.h"
#include "core/sup.h"
#include "shared/netaddr.h"
#include "shared/util.h"

#define CTL_BACKLOG 1024

static struct {
        struct ev_loop *loop;
        struct http_server *unix_srv, *inet_srv;
        char *unix_path;                /* the socket file we created; removed at ctl_fini */
        /* Copies of the sections in force, so that a reload can tell what changed. */
        struct cfg_unix_server unix_cfg;
        struct cfg_inet_server inet_cfg;
} ctl;

/* ---- log lookup for /logtail and /mainlogtail -------------------------------------------------- */

static struct logfile *
ctl_resolve_log(const char *name, const char *channel)
{
        if (!name)
                return log_logfile();
        struct proc *p = sup_find_proc(name);
        if (!p || !p->log)
                return NULL;
        return outlog_logfile(p->log, !strcmp(channel, "stderr") ? OUTLOG_STDERR : OUTLOG_STDOUT);
}

/* ---- unix socket ------------------------------------------------------------------------------- */

static int
unix_addr(const char *path, struct sockaddr_un *sa)
{
        memset(sa, 0, sizeof *sa);
        sa->sun_family = AF_UNIX;
        if (strlen(path) >= sizeof sa->sun_path)
                return -ENAMETOOLONG;
        strcpy(sa->sun_path, path);
        return 0;
}

/* Somebody accepts connections on path. */
static bool
unix_is_live(const char *path)
{
        struct sockaddr_un sa;
        if (unix_addr(path, &sa) < 0)
                return false;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return false;
        int r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
        bool live = r == 0 || errno == EAGAIN || errno == EINPROGRESS;
        close(fd);
        return live;
}

static int
unix_listen(const struct cfg_unix_server *u, int *ret_fd)
{
        const char *path = u->file;
        struct sockaddr_un sa;
        char *tmp = xasprintf("%s.%ld", path, (long)getpid());
        int r = unix_addr(tmp, &sa), fd = -1;
        if (r < 0) {
                log_error("[unix_http_server] file '%s': path too long for a unix socket", path);
                goto out;
        }
        (void)unlink(tmp);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                r = -errno;
                log_error("cannot create socket '%s': %s", tmp, strerror(errno));
                goto out;
        }
        if (chmod(tmp, u->chmod) < 0 || listen(fd, CTL_BACKLOG) < 0) {
                r = -errno;
                log_error("cannot set up socket '%s': %s", tmp, strerror(errno));
                goto out;
        }
        /* link() fails if the name exists: a live server keeps it; a stale file is replaced. */
        for (int attempt = 0;; attempt++) {
                if (link(tmp, path) == 0)
                        break;
                r = -errno;
                if (errno != EEXIST || attempt >= 5) {
                        log_error("cannot create socket '%s': %s", path, strerror(-r));
                        goto out;
                }
                if (unix_is_live(path)) {
                        r = -EADDRINUSE;
                        log_error("Another program is already listening on %s", path);
                        goto out;
                }
                log_warn("Unlinking stale socket %s", path);
                if (unlink(path) < 0 && errno != ENOENT) {
                        r = -errno;
                        log_error("cannot remove stale socket '%s': %s", path, strerror(errno));
                        goto out;
                }
        }
        if (u->has_chown && chown(path, u->chown_uid, u->chown_gid) < 0) {
                r = -errno;
                log_error("Not permitted to chown %s to uid/gid %ld/%ld: %s", path,
                          (long)u->chown_uid, (long)u->chown_gid, strerror(errno));
                (void)unlink(path);
                goto out;
        }
        r = 0;
        *ret_fd = fd;
        fd = -1;
out:
        if (fd >= 0)
                close(fd);
        (void)unlink(tmp);
        free(tmp);
        return r;
}

/* ---- inet socket ------------------------------------------------------------------------------- */

static int
inet_listen(const struct cfg_inet_server *in, int *ret_fd)
{
        bool wildcard = !in->host || !*in->host || !strcmp(in->host, "*");
        char port[16];
        snprintf(port, sizeof port, "%d", in->port);
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                                  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
        struct addrinfo *res = NULL;
        int g = getaddrinfo(wildcard ? NULL : in->host, port, &hints, &res);
        if (g != 0) {
                log_error("[inet_http_server] port '%s:%d': %s", wildcard ? "*" : in->host, in->port,
                          gai_strerror(g));
                return -EINVAL;
        }
        const struct addrinfo *ai = netaddr_pick(res);
        int r = 0, fd = -1;
        bool has_password = in->auth.username && in->auth.password && *in->auth.password;
        if ((wildcard || !netaddr_is_loopback(ai->ai_addr)) && !has_password) {
                log_error("[inet_http_server] refusing to listen on non-loopback address '%s:%d' "
                          "without a username and password", wildcard ? "*" : in->host, in->port);
                r = -EPERM;
                goto out;
        }
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        int one = 1;
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
            bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, CTL_BACKLOG) < 0) {
                r = -errno;
                if (errno == EADDRINUSE)
                        log_error("Another program is already listening on %s:%d",
                                  wildcard ? "*" : in->host, in->port);
                else
                        log_error("cannot listen on %s:%d: %s", wildcard ? "*" : in->host, in->port,
                                  strerror(errno));
                goto out;
        }
        *ret_fd = fd;
        fd = -1;
out:
        if (fd >= 0)
                close(fd);
        freeaddrinfo(res);
        return r;
}

/* ---- public ------------------------------------------------------------------------------------ */

static struct http_server *
serve(struct ev_loop *loop, int fd, const char *name, const struct cfg_server_auth *auth)
{
        struct http_server_options o = {
                .name = name,
                .username = auth->username,
                .password = auth->password,
                .resolve_log = ctl_resolve_log,
        };
        if (!auth->username)
                log_crit("Server '%s' running without any HTTP authentication checking", name);
        struct http_server *s = http_server_new(loop, fd, &o);
        if (!s)
                log_error("%s: cannot start the HTTP server: %s", name, strerror(errno));
        return s;
}

/* ---- the sections in force ------------------------------------------------------------------ */

static char *
dup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

static void
auth_copy(struct cfg_server_auth *to, const struct cfg_server_auth *from)
{
        to->username = dup_or_null(from->username);
        to->password = dup_or_null(from->password);
}

static void
auth_clear(struct cfg_server_auth *a)
{
        free(a->username);
        free_secret(a->password);
        a->username = a->password = NULL;
}

static bool
auth_eq(const struct cfg_server_auth *a, const struct cfg_server_auth *b)
{
        return str_eq(a->username, b->username) && str_eq(a->password, b->password);
}

/* Copies first, frees after: u may point into the copy being replaced. */
static void
remember_unix(const struct cfg_unix_server *u)
{
        struct cfg_unix_server c = *u;
        c.file = dup_or_null(u->file);
        auth_copy(&c.auth, &u->auth);
        free(ctl.unix_cfg.file);
        auth_clear(&ctl.unix_cfg.auth);
        ctl.unix_cfg = c;
}

static void
remember_inet(const struct cfg_inet_server *in)
{
        struct cfg_inet_server c = *in;
        c.host = dup_or_null(in->host);
        auth_copy(&c.auth, &in->auth);
        free(ctl.inet_cfg.host);
        auth_clear(&ctl.inet_cfg.auth);
        ctl.inet_cfg = c;
}

int
ctl_init(struct ev_loop *loop, const struct cfg *cfg)
{
        int fd = -1, r;
        ctl.loop = loop;
        remember_unix(&cfg->unix_server);
        remember_inet(&cfg->inet_server);
        if (cfg->inet_server.enabled) {
                r = inet_listen(&cfg->inet_server, &fd);
                if (r < 0)
                        goto fail;
                ctl.inet_srv = serve(loop, fd, "inet_http_server", &cfg->inet_server.auth);
                if (!ctl.inet_srv) {
                        r = -EIO;
                        goto fail;
                }
        }
        if (cfg->unix_server.enabled) {
                r = unix_listen(&cfg->unix_server, &fd);
                if (r < 0)
                        goto fail;
                ctl.unix_path = xstrdup(cfg->unix_server.file);
                ctl.unix_srv = serve(loop, fd, "unix_http_server", &cfg->unix_server.auth);
                if (!ctl.unix_srv) {
                        r = -EIO;
                        goto fail;
                }
        }
        return 0;
fail:
        ctl_fini();
        return r;
}

void
ctl_fini(void)
{
        ctl.unix_srv = http_server_free(ctl.unix_srv);
        ctl.inet_srv = http_server_free(ctl.inet_srv);
        if (ctl.unix_path) {
                (void)unlink(ctl.unix_path);
                free(ctl.unix_path);
                ctl.unix_path = NULL;
        }
        remember_unix(&(struct cfg_unix_server){ 0 });
        remember_inet(&(struct cfg_inet_server){ 0 });
}

/* ---- reload ------------------------------------------------------------------------------------ */

/* supervisord builds its servers anew on every restart; here a listener whose address stayed is
 * kept (its socket file is never missing) and only what changed is applied. */
static void
reconfigure_unix(const struct cfg_unix_server *u)
{
        const struct cfg_unix_server *old = &ctl.unix_cfg;
        const char *name = "unix_http_server";
        if (old->enabled && u->enabled && str_eq(old->file, u->file) && ctl.unix_srv) {
                if (!auth_eq(&old->auth, &u->auth)) {
                        http_server_set_auth(ctl.unix_srv, u->auth.username, u->auth.password);
                        log_info("%s: new credentials in force", name);
                }
                if (old->chmod != u->chmod && chmod(u->file, u->chmod) < 0)
                        log_error("%s: cannot chmod %s to %o: %s", name, u->file, (unsigned)u->chmod,
                                  strerror(errno));
                if (u->has_chown && (!old->has_chown || old->chown_uid != u->chown_uid ||
                                     old->chown_gid != u->chown_gid) &&
                    chown(u->file, u->chown_uid, u->chown_gid) < 0)
                        log_error("%s: cannot chown %s: %s", name, u->file, strerror(errno));
                remember_unix(u);
                return;
        }
        if (!old->enabled && !u->enabled)
                return;
        int fd = -1;
        struct http_server *srv = NULL;
        if (u->enabled && (unix_listen(u, &fd) < 0 || !(srv = serve(ctl.loop, fd, name, &u->auth)))) {
                if (!ctl.unix_srv)
                        return;
                /* Never keep the old credentials: the old address serves the new ones. */
                http_server_set_auth(ctl.unix_srv, u->auth.username, u->auth.password);
                log_error("%s: cannot listen on %s; still serving on %s, with the new credentials",
                          name, u->file, ctl.unix_path);
                struct cfg_unix_server kept = *old;
                kept.auth = u->auth;
                remember_unix(&kept);
                return;
        }
        ctl.unix_srv = http_server_free(ctl.unix_srv);
        if (ctl.unix_path) {
                (void)unlink(ctl.unix_path);
                free(ctl.unix_path);
        }
        ctl.unix_srv = srv;
        ctl.unix_path = srv ? xstrdup(u->file) : NULL;
        log_info(srv ? "%s: now listening on %s" : "%s: closed", name, u->file ? u->file : "");
        remember_unix(u);
}

static void
reconfigure_inet(const struct cfg_inet_server *in)
{
        const struct cfg_inet_server *old = &ctl.inet_cfg;
        const char *name = "inet_http_server";
        if (old->enabled && in->enabled && str_eq(old->host, in->host) && old->port == in->port &&
            ctl.inet_srv) {
                if (!auth_eq(&old->auth, &in->auth)) {
                        http_server_set_auth(ctl.inet_srv, in->auth.username, in->auth.password);
                        log_info("%s: new credentials in force", name);
                }
                remember_inet(in);
                return;
        }
        if (!old->enabled && !in->enabled)
                return;
        int fd = -1;
        struct http_server *srv = NULL;
        if (in->enabled && (inet_listen(in, &fd) < 0 || !(srv = serve(ctl.loop, fd, name, &in->auth)))) {
                if (!ctl.inet_srv)
                        return;
                http_server_set_auth(ctl.inet_srv, in->auth.username, in->auth.password);
                log_error("%s: cannot listen on %s:%d; still serving on %s:%d, with the new credentials",
                          name, in->host ? in->host : "*", in->port, old->host ? old->host : "*", old->port);
                struct cfg_inet_server kept = *old;
                kept.auth = in->auth;
                remember_inet(&kept);
                return;
        }
        ctl.inet_srv = http_server_free(ctl.inet_srv);
        ctl.inet_srv = srv;
        if (srv)
                log_info("%s: now listening on %s:%d", name, in->host ? in->host : "*", in->port);
        else
                log_info("%s: closed", name);
        remember_inet(in);
}

void
ctl_reconfigure(const struct cfg *cfg)
{
        if (!ctl.loop)
                return;
        reconfigure_unix(&cfg->unix_server);
        reconfigure_inet(&cfg->inet_server);
}
