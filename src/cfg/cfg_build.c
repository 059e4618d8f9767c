/* SPDX-License-Identifier: MIT */
/* cfg_build — the raw section store turned into the typed, expanded, immutable struct cfg (compat
 * §A.2–§A.4): section types, [supervisord], the servers, [supervisorctl]; programs and groups are
 * cfg_program.c's. cfg_free is here, next to what it frees. Pure: errors and warnings go to the
 * context, never to a log. */
#include "cfg/cfg.h"
#include "cfg/cfg_int.h"
#include "cfg/cfg_value.h"
#include "shared/netaddr.h"
#include "shared/util.h"

#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- known keys (unknown ones are warned about) ----------------------------------------------- */

static const char *const keys_supervisord[] = {
        "logfile", "logfile_maxbytes", "logfile_backups", "loglevel", "pidfile", "umask", "nodaemon",
        "silent", "minfds", "minprocs", "nocleanup", "childlogdir", "user", "directory", "strip_ansi",
        "environment", "identifier", NULL,
};
static const char *const keys_program[] = {
        "command", "process_name", "numprocs", "numprocs_start", "priority", "autostart", "autorestart",
        "startsecs", "startretries", "exitcodes", "stopsignal", "stopwaitsecs", "stopasgroup",
        "killasgroup", "user", "redirect_stderr", "stdout_logfile", "stdout_logfile_maxbytes",
        "stdout_logfile_backups", "stdout_capture_maxbytes", "stdout_events_enabled", "stdout_syslog",
        "stderr_logfile", "stderr_logfile_maxbytes", "stderr_logfile_backups", "stderr_capture_maxbytes",
        "stderr_events_enabled", "stderr_syslog", "environment", "directory", "umask", "serverurl",
        "pdeathsig", "backoff", "backoff_initial", "backoff_max", "backoff_factor", "backoff_jitter",
        "backoff_reset", "depends_on", "oneshot", "ready", "ready_timeout", "ready_interval",
        "watchdog_sec", NULL,
};
static const char *const keys_group[] = { "programs", "priority", NULL };
static const char *const keys_unix[] = { "file", "chmod", "chown", "username", "password", NULL };
static const char *const keys_inet[] = { "port", "username", "password", NULL };
static const char *const keys_ctl[] = { "serverurl", "username", "password", "prompt", "history_file", NULL };
static const char *const keys_include[] = { "files", NULL };


/* --- [supervisord] ---------------------------------------------------------------------------- */

static void
build_supervisord(struct cfg_ctx *c, struct cfg *cfg, const struct cfg_section *s)
{
        struct cfg_supervisord *sd = &cfg->sd;
        struct cfg_key_scope sc;
        cfg_key_scope_init(&sc, c);
        const struct cfg_kv *kv;

        sd->environment = NULL;
        char *env = cfg_key_raw(c, s, "environment", &sc, &kv);
        if (env) {
                char *msg;
                if (cfg_parse_environment(env, &sd->environment, &msg) < 0)
                        cfg_add_error(c, kv->file->path, kv->line, s->name, kv->key, msg);
                free(env);
        }
        if (!sd->environment)
                sd->environment = xcalloc(1, sizeof(char *));
        sc.vars.env[1] = sd->environment;       /* ENV_ of [supervisord] environment */

        char *v = cfg_key_raw(c, s, "logfile", &sc, &kv);
        if (!v) {
                sd->logfile = xstrdup("supervisord.log");
        } else if (!strcasecmp(v, "none") || !strcasecmp(v, "off")) {
                sd->logfile = NULL;
        } else if (!strcasecmp(v, "syslog")) {
                sd->logfile = xstrdup("syslog");
        } else {
                sd->logfile = cfg_key_dirpath(c, s, kv, v);
        }
        free(v);
        sd->logfile_maxbytes = cfg_key_bytes(c, s, "logfile_maxbytes", &sc, CFG_DEFAULT_MAXBYTES);
        sd->logfile_backups = (int)cfg_key_int(c, s, "logfile_backups", &sc, 10);
        v = cfg_key_raw(c, s, "loglevel", &sc, &kv);
        sd->loglevel = xstrdup("info");
        if (v) {
                static const char *const levels[] = {
                        "critical", "error", "warn", "info", "debug", "trace", "blather",
                };
                size_t i;
                for (i = 0; i < ARRAY_SIZE(levels); i++)
                        if (!strcasecmp(v, levels[i]))
                                break;
                if (i < ARRAY_SIZE(levels)) {
                        free(sd->loglevel);
                        sd->loglevel = xstrdup(levels[i]);
                } else {
                        cfg_key_err(c, s, kv, "'%s' is not a log level (critical, error, warn, info, debug, trace, blather)", v);
                }
                free(v);
        }
        v = cfg_key_raw(c, s, "pidfile", &sc, &kv);
        if (!v)
                sd->pidfile = xstrdup("supervisord.pid");
        else if (!*v)
                sd->pidfile = NULL;
        else
                sd->pidfile = cfg_key_dirpath(c, s, kv, v);
        free(v);
        sd->umask = cfg_key_octal(c, s, "umask", &sc, 022);
        sd->nodaemon = cfg_key_bool(c, s, "nodaemon", &sc, false);
        sd->silent = cfg_key_bool(c, s, "silent", &sc, false);
        sd->nocleanup = cfg_key_bool(c, s, "nocleanup", &sc, false);
        sd->strip_ansi = cfg_key_bool(c, s, "strip_ansi", &sc, false);
        sd->minfds = cfg_key_int(c, s, "minfds", &sc, 1024);
        sd->minprocs = cfg_key_int(c, s, "minprocs", &sc, 200);
        v = cfg_key_raw(c, s, "childlogdir", &sc, &kv);
        if (v) {
                sd->childlogdir = cfg_resolve_home(c->envp, v);
                if (c->opt->check_logdirs && !cfg_resolve_is_dir(sd->childlogdir))
                        cfg_key_err(c, s, kv, "'%s' is not an existing directory", sd->childlogdir);
                free(v);
        } else {
                const char *t = NULL;
                const char *const tv[] = { "TMPDIR", "TEMP", "TMP" };
                for (size_t i = 0; i < ARRAY_SIZE(tv) && !t; i++) {
                        t = cfg_env_get(c->envp, tv[i]);
                        if (t && !*t)
                                t = NULL;
                }
                sd->childlogdir = xstrdup(t ? t : "/tmp");
        }
        sd->user = cfg_key_str(c, s, "user", &sc, NULL);
        if (sd->user && c->opt->resolve_users) {
                uid_t u;
                gid_t g;
                char *msg;
                if (cfg_resolve_user(sd->user, &u, &g, NULL, NULL, &msg) < 0)
                        cfg_key_err(c, s, cfg_section_get(s, "user"), "%s", msg), free(msg);
        }
        v = cfg_key_str(c, s, "directory", &sc, NULL);
        sd->directory = v ? cfg_resolve_home(c->envp, v) : NULL;
        free(v);
        sd->identifier = cfg_key_str(c, s, "identifier", &sc, "supervisor");
        cfg_key_warn_unknown(c, s, keys_supervisord);
}

/* --- servers ---------------------------------------------------------------------------------- */

static void
get_auth(struct cfg_ctx *c, const struct cfg_section *s, struct cfg_key_scope *sc,
         struct cfg_server_auth *a)
{
        a->username = cfg_key_str(c, s, "username", sc, NULL);
        a->password = cfg_key_str(c, s, "password", sc, NULL);
}

static void
build_unix(struct cfg_ctx *c, struct cfg *cfg, const struct cfg_section *s)
{
        struct cfg_unix_server *u = &cfg->unix_server;
        struct cfg_key_scope sc;
        cfg_key_scope_init(&sc, c);
        sc.vars.env[1] = cfg->sd.environment;
        u->enabled = true;
        char *f = cfg_key_raw(c, s, "file", &sc, NULL);
        if (!f) {
                if (!cfg_section_get(s, "file"))
                        cfg_key_err_sec(c, s, "file", "missing, [unix_http_server] needs a socket path");
                u->file = xstrdup("");
        } else {
                char *e = cfg_resolve_home(c->envp, f);
                u->file = cfg_abspath(e);
                free(e);
                free(f);
        }
        u->chmod = (mode_t)cfg_key_octal(c, s, "chmod", &sc, 0700);
        const struct cfg_kv *kv;
        char *own = cfg_key_raw(c, s, "chown", &sc, &kv);
        if (own && c->opt->resolve_users) {
                char *colon = strchr(own, ':');
                if (colon)
                        *colon = '\0';
                char *msg = NULL;
                uid_t uid;
                gid_t gid;
                if (cfg_resolve_user(own, &uid, &gid, NULL, NULL, &msg) < 0) {
                        cfg_key_err(c, s, kv, "%s", msg);
                } else if (colon) {
                        gid_t g;
                        if (cfg_resolve_group(colon + 1, &g) < 0) {
                                cfg_key_err(c, s, kv, "invalid group name '%s'", colon + 1);
                        } else {
                                u->has_chown = true;
                                u->chown_uid = uid;
                                u->chown_gid = g;
                        }
                } else {
                        u->has_chown = true;
                        u->chown_uid = uid;
                        u->chown_gid = gid;
                }
                free(msg);
        }
        free(own);
        get_auth(c, s, &sc, &u->auth);
        cfg_key_warn_unknown(c, s, keys_unix);
}

/* The address ctl would bind (netaddr_pick). A host that does not resolve is left to the
 * listener to report. */
static bool
host_is_loopback(const char *host)
{
        if (!*host || !strcmp(host, "*"))
                return false;
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
        struct addrinfo *res = NULL;
        if (getaddrinfo(host, NULL, &hints, &res) != 0)
                return true;
        bool loopback = netaddr_is_loopback(netaddr_pick(res)->ai_addr);
        freeaddrinfo(res);
        return loopback;
}

static void
build_inet(struct cfg_ctx *c, struct cfg *cfg, const struct cfg_section *s)
{
        struct cfg_inet_server *in = &cfg->inet_server;
        struct cfg_key_scope sc;
        cfg_key_scope_init(&sc, c);
        sc.vars.env[1] = cfg->sd.environment;
        in->enabled = true;
        const struct cfg_kv *kv;
        char *port = cfg_key_raw(c, s, "port", &sc, &kv);
        in->host = NULL;
        if (!port) {
                if (!cfg_section_get(s, "port"))
                        cfg_key_err_sec(c, s, "port", "missing, [inet_http_server] needs a port");
        } else {
                char *colon = strrchr(port, ':');
                const char *num = port;
                if (colon) {
                        in->host = xstrndup(port, (size_t)(colon - port));
                        num = colon + 1;
                }
                long n;
                if (!*num)
                        cfg_key_err(c, s, kv, "no port number specified in '%s'", port);
                else if (cfg_parse_int(num, &n) < 0 || n < 0 || n > 65535)
                        cfg_key_err(c, s, kv, "'%s' is not a valid port number", num);
                else
                        in->port = (int)n;
                free(port);
        }
        if (!in->host)
                in->host = xstrdup("");
        get_auth(c, s, &sc, &in->auth);
        bool has_password = in->auth.username && in->auth.password && *in->auth.password;
        if (port && in->port > 0 && !has_password && !host_is_loopback(in->host))
                cfg_key_err(c, s, kv, "refusing to listen on non-loopback address '%s:%d' without a "
                            "username and password", *in->host ? in->host : "*", in->port);
        cfg_key_warn_unknown(c, s, keys_inet);
}

static void
build_ctl(struct cfg_ctx *c, struct cfg *cfg, const struct cfg_section *s)
{
        struct cfg_supervisorctl *ctl = &cfg->ctl;
        struct cfg_key_scope sc;
        cfg_key_scope_init(&sc, c);
        sc.vars.env[1] = cfg->sd.environment;
        ctl->present = s != NULL;
        ctl->serverurl = cfg_key_str(c, s, "serverurl", &sc, "http://localhost:9001");
        if (!strncmp(ctl->serverurl, "unix://", 7)) {
                char *e = cfg_resolve_home(c->envp, ctl->serverurl + 7);
                char *abs = cfg_abspath(e);
                free(ctl->serverurl);
                ctl->serverurl = xasprintf("unix://%s", abs);
                free(abs);
                free(e);
        }
        ctl->username = cfg_key_str(c, s, "username", &sc, NULL);
        ctl->password = cfg_key_str(c, s, "password", &sc, NULL);
        ctl->prompt = cfg_key_str(c, s, "prompt", &sc, "supervisor");
        char *h = cfg_key_str(c, s, "history_file", &sc, NULL);
        ctl->history_file = h ? cfg_resolve_home(c->envp, h) : NULL;
        free(h);
        if (s)
                cfg_key_warn_unknown(c, s, keys_ctl);
}

/* --- the whole config, built and freed -------------------------------------------------------- */

struct cfg *
cfg_build(struct cfg_ctx *c, const struct cfg_srcfile *main)
{
        struct cfg *cfg = xcalloc(1, sizeof *cfg);
        cfg->path = xstrdup(main->path);
        cfg->here = xstrdup(main->dir);
        if (c->opt->client) {           /* corralctl: [supervisorctl] alone (cfg.h) */
                build_ctl(c, cfg, cfg_store_find(c, "supervisorctl"));
                return cfg;
        }

        /* section types first: unknown ones are errors, unsupported ones warnings */
        for (size_t i = 0; i < c->st.nsec; i++) {
                const struct cfg_section *s = &c->st.sec[i];
                const char *n = s->name;
                if (!strcmp(n, "supervisord") || !strcmp(n, "unix_http_server") ||
                    !strcmp(n, "inet_http_server") || !strcmp(n, "supervisorctl") || cfg_has_prefix(n, "ctlplugin:"))
                        continue;
                if (!strcmp(n, "include")) {
                        if (s->file == main)
                                cfg_key_warn_unknown(c, s, keys_include);
                        continue;
                }
                if (cfg_has_prefix(n, "program:") || cfg_has_prefix(n, "group:")) {
                        if (!n[strcspn(n, ":") + 1])
                                cfg_key_err_sec(c, s, NULL, "section name has no name after ':'");
                        cfg_key_warn_unknown(c, s, n[0] == 'p' ? keys_program : keys_group);
                        continue;
                }
                if (cfg_has_prefix(n, "rpcinterface:")) {
                        const struct cfg_kv *kv = cfg_section_get(s, "supervisor.rpcinterface_factory");
                        if (!kv) {
                                cfg_key_err_sec(c, s, "supervisor.rpcinterface_factory",
                                        "missing, an [rpcinterface:x] section needs it");
                        } else if (!strcmp(kv->val, "supervisor.rpcinterface:make_main_rpcinterface")) {
                                cfg->rpcinterface_supervisor = true;
                        } else {
                                cfg_key_warn(c, s, kv, "rpcinterface factory '%s' is not supported, ignoring", kv->val);
                        }
                        continue;
                }
                if (cfg_has_prefix(n, "eventlistener:") || cfg_has_prefix(n, "fcgi-program:")) {
                        cfg_key_warn(c, s, NULL, "[%.*s] sections are not supported by corral, ignoring",
                                (int)strcspn(n, ":"), n);
                        continue;
                }
                const char *colon = strchr(n, ':');
                cfg_key_err_sec(c, s, NULL, "unknown section type '%.*s'", colon ? (int)(colon - n) : (int)strlen(n), n);
        }

        const struct cfg_section *sd = cfg_store_find(c, "supervisord");
        if (!sd)
                cfg_add_error(c, main->path, 0, NULL, NULL,
                              xstrdup(".ini file does not include supervisord section"));
        struct cfg_section empty = { .name = (char *)"supervisord", .file = main };
        build_supervisord(c, cfg, sd ? sd : &empty);
        const struct cfg_section *s;
        if ((s = cfg_store_find(c, "unix_http_server")))
                build_unix(c, cfg, s);
        if ((s = cfg_store_find(c, "inet_http_server")))
                build_inet(c, cfg, s);
        build_ctl(c, cfg, cfg_store_find(c, "supervisorctl"));
        size_t nerr0 = c->errs->n;
        cfg_program_build(c, cfg);
        if (c->errs->n == nerr0)        /* a failed program would only add "unknown" noise */
                cfg_deps_build(c, cfg);
        return cfg;
}

struct cfg *
cfg_free(struct cfg *cfg)
{
        if (!cfg)
                return NULL;
        free(cfg->path);
        free(cfg->here);
        struct cfg_supervisord *sd = &cfg->sd;
        free(sd->logfile);
        free(sd->loglevel);
        free(sd->pidfile);
        free(sd->childlogdir);
        free(sd->user);
        free(sd->directory);
        strv_free(sd->environment);
        free(sd->identifier);
        free(cfg->unix_server.file);
        free(cfg->unix_server.auth.username);
        free(cfg->unix_server.auth.password);
        free(cfg->inet_server.host);
        free(cfg->inet_server.auth.username);
        free(cfg->inet_server.auth.password);
        free(cfg->ctl.serverurl);
        free(cfg->ctl.username);
        free(cfg->ctl.password);
        free(cfg->ctl.prompt);
        free(cfg->ctl.history_file);
        for (size_t i = 0; i < cfg->ngroups; i++) {
                struct cfg_group *g = cfg->groups[i];
                for (size_t j = 0; j < g->nprocs; j++)
                        cfg_proc_free(g->procs[j]);
                free(g->procs);
                free(g->name);
                free(g);
        }
        free(cfg->groups);
        free(cfg->groups_by_name);
        strv_free(cfg->included);
        strv_free(cfg->warnings);
        free(cfg);
        return NULL;
}
