/* SPDX-License-Identifier: MIT */
/* cfg_build — the raw section store (cfg.c) turned into the typed, expanded, immutable struct cfg
 * (compat §A.2–§A.4). Pure: errors and warnings go to the context, never to a log. */
#include "cfg/cfg.h"
#include "cfg/cfg_int.h"
#include "cfg/cfg_value.h"
#include "shared/util.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_MAXBYTES ((off_t)50 * 1024 * 1024)

/* --- error helpers ---------------------------------------------------------------------------- */

static void __attribute__((format(printf, 4, 5)))
err_kv(struct cfg_ctx *c, const struct cfg_section *s, const struct cfg_kv *kv, const char *fmt, ...)
{
        va_list ap;
        char *msg;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = xstrdup("?");
        va_end(ap);
        if (kv)
                cfg_add_error(c, kv->file->path, kv->line, s->name, kv->key, msg);
        else                    /* can't happen; the section's header line is the next best */
                cfg_add_error(c, s->file->path, s->line, s->name, NULL, msg);
}

/* An error about a section as a whole (or a missing key): at its header line. */
static void __attribute__((format(printf, 4, 5)))
err_sec(struct cfg_ctx *c, const struct cfg_section *s, const char *key, const char *fmt, ...)
{
        va_list ap;
        char *msg;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = xstrdup("?");
        va_end(ap);
        cfg_add_error(c, s->file->path, s->line, s->name, key, msg);
}

static void __attribute__((format(printf, 4, 5)))
warn_kv(struct cfg_ctx *c, const struct cfg_section *s, const struct cfg_kv *kv, const char *fmt, ...)
{
        va_list ap;
        char *msg;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = xstrdup("?");
        va_end(ap);
        if (kv)
                cfg_add_warning(c, kv->file->path, kv->line, s->name, kv->key, msg);
        else
                cfg_add_warning(c, s->file->path, s->line, s->name, NULL, msg);
}

/* --- typed getters: absent key → default; bad value → error recorded, default returned --------- */

/* The expansion names of one lookup; v[0] is always "here", set per key. */
struct scope {
        struct cfg_var v[8];
        struct cfg_vars vars;
};

static void
scope_init(struct scope *sc, struct cfg_ctx *c)
{
        memset(sc, 0, sizeof *sc);
        sc->v[0].name = "here";
        sc->vars.v = sc->v;
        sc->vars.n = 1;
        sc->vars.env[0] = c->envp;
}

static void
scope_add(struct scope *sc, const char *name, const char *s, long n)
{
        sc->v[sc->vars.n++] = (struct cfg_var){ .name = name, .s = s, .n = n };
}

/* The expanded value of key, NULL when absent or bad (then *bad is set). */
static char *
get_raw(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct scope *sc,
        const struct cfg_kv **ret_kv)
{
        const struct cfg_kv *kv = cfg_section_get(s, key);
        if (ret_kv)
                *ret_kv = kv;
        if (!kv)
                return NULL;
        sc->v[0].s = kv->file->dir;
        char *out, *msg;
        if (cfg_expand(kv->val, &sc->vars, &out, &msg) < 0) {
                cfg_add_error(c, kv->file->path, kv->line, s->name, kv->key, msg);
                if (ret_kv)
                        *ret_kv = NULL;
                return NULL;
        }
        return out;
}

static char *
get_str(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct scope *sc, const char *def)
{
        const struct cfg_kv *kv;
        char *v = get_raw(c, s, key, sc, &kv);
        if (v)
                return v;
        return def ? xstrdup(def) : NULL;
}

static long
get_int(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct scope *sc, long def)
{
        const struct cfg_kv *kv;
        char *v = get_raw(c, s, key, sc, &kv);
        long n = def;
        if (v && (cfg_parse_int(v, &n) < 0 || n < INT_MIN || n > INT_MAX)) {
                err_kv(c, s, kv, "'%s' is not an integer", v);
                n = def;
        }
        free(v);
        return n;
}

static bool
get_bool(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct scope *sc, bool def)
{
        const struct cfg_kv *kv;
        char *v = get_raw(c, s, key, sc, &kv);
        bool b = def;
        if (v && cfg_parse_bool(v, &b) < 0) {
                err_kv(c, s, kv, "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", v);
                b = def;
        }
        free(v);
        return b;
}

static off_t
get_bytes(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct scope *sc, off_t def)
{
        const struct cfg_kv *kv;
        char *v = get_raw(c, s, key, sc, &kv);
        off_t n = def;
        if (v && cfg_parse_bytes(v, &n) < 0) {
                err_kv(c, s, kv, "'%s' is not a byte size (e.g. 1024, 50MB, 1GB)", v);
                n = def;
        }
        free(v);
        return n;
}

static int
get_octal(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct scope *sc, int def)
{
        const struct cfg_kv *kv;
        char *v = get_raw(c, s, key, sc, &kv);
        int n = def;
        if (v && cfg_parse_octal(v, &n) < 0) {
                err_kv(c, s, kv, "'%s' is not an octal number", v);
                n = def;
        }
        free(v);
        return n;
}

/* ~ and ~user at the start of a path (os.path.expanduser). */
static char *
expand_user(struct cfg_ctx *c, const char *p)
{
        if (p[0] != '~')
                return xstrdup(p);
        const char *slash = strchr(p, '/');
        size_t ul = slash ? (size_t)(slash - p - 1) : strlen(p + 1);
        const char *home = NULL;
        struct passwd *pw = NULL;
        if (ul == 0) {
                home = cfg_env_get(c->envp, "HOME");
                if (!home && (pw = getpwuid(getuid())))
                        home = pw->pw_dir;
        } else {
                char *u = xstrndup(p + 1, ul);
                if ((pw = getpwnam(u)))
                        home = pw->pw_dir;
                free(u);
        }
        if (!home)
                return xstrdup(p);
        size_t hl = strlen(home);
        while (hl > 1 && home[hl - 1] == '/')
                hl--;
        return xasprintf("%.*s%s", (int)hl, home, slash ? slash : "");
}

/* A path whose directory must exist when opt->check_logdirs (existing_dirpath). */
static char *
get_dirpath(struct cfg_ctx *c, const struct cfg_section *s, const struct cfg_kv *kv, const char *v)
{
        char *p = expand_user(c, v);
        if (c->opt->check_logdirs && strchr(p, '/')) {
                char *d = xstrndup(p, (size_t)(strrchr(p, '/') - p));
                struct stat st;
                if (*d && (stat(d, &st) < 0 || !S_ISDIR(st.st_mode))) {
                        if (kv)
                                err_kv(c, s, kv, "the directory named as part of the path '%s' does not exist", p);
                        else
                                err_sec(c, s, NULL, "the directory named as part of the path '%s' does not exist", p);
                }
                free(d);
        }
        return p;
}

/* --- users ------------------------------------------------------------------------------------ */

static int
resolve_user(const char *user, uid_t *ret_uid, gid_t *ret_gid, gid_t **ret_groups, int *ret_ngroups,
             char **ret_msg)
{
        long n;
        struct passwd *pw;
        if (cfg_parse_int(user, &n) == 0) {
                pw = getpwuid((uid_t)n);
                if (!pw) {
                        *ret_msg = xasprintf("invalid user id %ld", n);
                        return -EINVAL;
                }
        } else {
                pw = getpwnam(user);
                if (!pw) {
                        *ret_msg = xasprintf("invalid user name '%s'", user);
                        return -EINVAL;
                }
        }
        *ret_uid = pw->pw_uid;
        *ret_gid = pw->pw_gid;
        if (ret_groups) {
                int ng = 16;
                gid_t *g = xmalloc((size_t)ng * sizeof *g);
                char *name = xstrdup(pw->pw_name);
                gid_t base = pw->pw_gid;
                while (getgrouplist(name, base, g, &ng) < 0) {
                        if (ng < 1)
                                ng = 1;
                        g = xrealloc(g, (size_t)ng * 2 * sizeof *g);
                        ng *= 2;
                }
                free(name);
                *ret_groups = g;
                *ret_ngroups = ng;
        }
        return 0;
}

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
        "pdeathsig", NULL,
};
static const char *const keys_group[] = { "programs", "priority", NULL };
static const char *const keys_unix[] = { "file", "chmod", "chown", "username", "password", NULL };
static const char *const keys_inet[] = { "port", "username", "password", NULL };
static const char *const keys_ctl[] = { "serverurl", "username", "password", "prompt", "history_file", NULL };
static const char *const keys_include[] = { "files", NULL };

static void
warn_unknown_keys(struct cfg_ctx *c, const struct cfg_section *s, const char *const *known)
{
        for (size_t i = 0; i < s->nkv; i++) {
                size_t j;
                for (j = 0; known[j]; j++)
                        if (!strcmp(known[j], s->kv[i].key))
                                break;
                if (!known[j])
                        warn_kv(c, s, &s->kv[i], "unknown key '%s', ignoring", s->kv[i].key);
        }
}

/* --- environment merging ---------------------------------------------------------------------- */

/* base then add; a key in add replaces base's in place. Returns a new vector. */
static char **
env_merge(char *const *base, char *const *add)
{
        size_t nb = strv_len(base), na = strv_len(add);
        char **out = xcalloc(nb + na + 1, sizeof *out);
        size_t n = 0;
        for (size_t i = 0; i < nb; i++)
                out[n++] = xstrdup(base[i]);
        for (size_t i = 0; i < na; i++) {
                size_t kl = strcspn(add[i], "=");
                size_t j;
                for (j = 0; j < n; j++)
                        if (!strncmp(out[j], add[i], kl + 1))
                                break;
                if (j < n) {
                        free(out[j]);
                        out[j] = xstrdup(add[i]);
                } else {
                        out[n++] = xstrdup(add[i]);
                }
        }
        return out;
}

/* --- [supervisord] ---------------------------------------------------------------------------- */

static void
build_supervisord(struct cfg_ctx *c, struct cfg *cfg, const struct cfg_section *s)
{
        struct cfg_supervisord *sd = &cfg->sd;
        struct scope sc;
        scope_init(&sc, c);
        const struct cfg_kv *kv;

        sd->environment = NULL;
        char *env = get_raw(c, s, "environment", &sc, &kv);
        if (env) {
                char *msg;
                if (cfg_parse_environment(env, &sd->environment, &msg) < 0)
                        cfg_add_error(c, kv->file->path, kv->line, s->name, kv->key, msg);
                free(env);
        }
        if (!sd->environment)
                sd->environment = xcalloc(1, sizeof(char *));
        sc.vars.env[1] = sd->environment;       /* ENV_ of [supervisord] environment */

        char *v = get_raw(c, s, "logfile", &sc, &kv);
        if (!v) {
                sd->logfile = xstrdup("supervisord.log");
        } else if (!strcasecmp(v, "none") || !strcasecmp(v, "off")) {
                sd->logfile = NULL;
        } else if (!strcasecmp(v, "syslog")) {
                sd->logfile = xstrdup("syslog");
        } else {
                sd->logfile = get_dirpath(c, s, kv, v);
        }
        free(v);
        sd->logfile_maxbytes = get_bytes(c, s, "logfile_maxbytes", &sc, DEFAULT_MAXBYTES);
        sd->logfile_backups = (int)get_int(c, s, "logfile_backups", &sc, 10);
        v = get_raw(c, s, "loglevel", &sc, &kv);
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
                        err_kv(c, s, kv, "'%s' is not a log level (critical, error, warn, info, debug, trace, blather)", v);
                }
                free(v);
        }
        v = get_raw(c, s, "pidfile", &sc, &kv);
        if (!v)
                sd->pidfile = xstrdup("supervisord.pid");
        else if (!*v)
                sd->pidfile = NULL;
        else
                sd->pidfile = get_dirpath(c, s, kv, v);
        free(v);
        sd->umask = get_octal(c, s, "umask", &sc, 022);
        sd->nodaemon = get_bool(c, s, "nodaemon", &sc, false);
        sd->silent = get_bool(c, s, "silent", &sc, false);
        sd->nocleanup = get_bool(c, s, "nocleanup", &sc, false);
        sd->strip_ansi = get_bool(c, s, "strip_ansi", &sc, false);
        sd->minfds = get_int(c, s, "minfds", &sc, 1024);
        sd->minprocs = get_int(c, s, "minprocs", &sc, 200);
        v = get_raw(c, s, "childlogdir", &sc, &kv);
        if (v) {
                sd->childlogdir = expand_user(c, v);
                struct stat st;
                if (c->opt->check_logdirs && (stat(sd->childlogdir, &st) < 0 || !S_ISDIR(st.st_mode)))
                        err_kv(c, s, kv, "'%s' is not an existing directory", sd->childlogdir);
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
        sd->user = get_str(c, s, "user", &sc, NULL);
        if (sd->user && c->opt->resolve_users) {
                uid_t u;
                gid_t g;
                char *msg;
                if (resolve_user(sd->user, &u, &g, NULL, NULL, &msg) < 0)
                        err_kv(c, s, cfg_section_get(s, "user"), "%s", msg), free(msg);
        }
        v = get_str(c, s, "directory", &sc, NULL);
        sd->directory = v ? expand_user(c, v) : NULL;
        free(v);
        sd->identifier = get_str(c, s, "identifier", &sc, "supervisor");
        warn_unknown_keys(c, s, keys_supervisord);
}

/* --- servers ---------------------------------------------------------------------------------- */

static void
get_auth(struct cfg_ctx *c, const struct cfg_section *s, struct scope *sc, struct cfg_server_auth *a)
{
        a->username = get_str(c, s, "username", sc, NULL);
        a->password = get_str(c, s, "password", sc, NULL);
}

static void
build_unix(struct cfg_ctx *c, struct cfg *cfg, const struct cfg_section *s)
{
        struct cfg_unix_server *u = &cfg->unix_server;
        struct scope sc;
        scope_init(&sc, c);
        sc.vars.env[1] = cfg->sd.environment;
        u->enabled = true;
        char *f = get_raw(c, s, "file", &sc, NULL);
        if (!f) {
                if (!cfg_section_get(s, "file"))
                        err_sec(c, s, "file", "missing, [unix_http_server] needs a socket path");
                u->file = xstrdup("");
        } else {
                char *e = expand_user(c, f);
                u->file = cfg_abspath(e);
                free(e);
                free(f);
        }
        u->chmod = (mode_t)get_octal(c, s, "chmod", &sc, 0700);
        const struct cfg_kv *kv;
        char *own = get_raw(c, s, "chown", &sc, &kv);
        if (own && c->opt->resolve_users) {
                char *colon = strchr(own, ':');
                if (colon)
                        *colon = '\0';
                char *msg = NULL;
                uid_t uid;
                gid_t gid;
                if (resolve_user(own, &uid, &gid, NULL, NULL, &msg) < 0) {
                        err_kv(c, s, kv, "%s", msg);
                } else if (colon) {
                        long n;
                        struct group *gr = cfg_parse_int(colon + 1, &n) == 0 ? getgrgid((gid_t)n)
                                                                               : getgrnam(colon + 1);
                        if (!gr) {
                                err_kv(c, s, kv, "invalid group name '%s'", colon + 1);
                        } else {
                                u->has_chown = true;
                                u->chown_uid = uid;
                                u->chown_gid = gr->gr_gid;
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
        warn_unknown_keys(c, s, keys_unix);
}

static void
build_inet(struct cfg_ctx *c, struct cfg *cfg, const struct cfg_section *s)
{
        struct cfg_inet_server *in = &cfg->inet_server;
        struct scope sc;
        scope_init(&sc, c);
        sc.vars.env[1] = cfg->sd.environment;
        in->enabled = true;
        const struct cfg_kv *kv;
        char *port = get_raw(c, s, "port", &sc, &kv);
        in->host = NULL;
        if (!port) {
                if (!cfg_section_get(s, "port"))
                        err_sec(c, s, "port", "missing, [inet_http_server] needs a port");
        } else {
                char *colon = strrchr(port, ':');
                const char *num = port;
                if (colon) {
                        in->host = xstrndup(port, (size_t)(colon - port));
                        num = colon + 1;
                }
                long n;
                if (!*num)
                        err_kv(c, s, kv, "no port number specified in '%s'", port);
                else if (cfg_parse_int(num, &n) < 0 || n < 0 || n > 65535)
                        err_kv(c, s, kv, "'%s' is not a valid port number", num);
                else
                        in->port = (int)n;
                free(port);
        }
        if (!in->host)
                in->host = xstrdup("");
        get_auth(c, s, &sc, &in->auth);
        warn_unknown_keys(c, s, keys_inet);
}

static void
build_ctl(struct cfg_ctx *c, struct cfg *cfg, const struct cfg_section *s)
{
        struct cfg_supervisorctl *ctl = &cfg->ctl;
        struct scope sc;
        scope_init(&sc, c);
        sc.vars.env[1] = cfg->sd.environment;
        ctl->present = s != NULL;
        ctl->serverurl = get_str(c, s, "serverurl", &sc, "http://localhost:9001");
        if (!strncmp(ctl->serverurl, "unix://", 7)) {
                char *e = expand_user(c, ctl->serverurl + 7);
                char *abs = cfg_abspath(e);
                free(ctl->serverurl);
                ctl->serverurl = xasprintf("unix://%s", abs);
                free(abs);
                free(e);
        }
        ctl->username = get_str(c, s, "username", &sc, NULL);
        ctl->password = get_str(c, s, "password", &sc, NULL);
        ctl->prompt = get_str(c, s, "prompt", &sc, "supervisor");
        char *h = get_str(c, s, "history_file", &sc, NULL);
        ctl->history_file = h ? expand_user(c, h) : NULL;
        free(h);
        if (s)
                warn_unknown_keys(c, s, keys_ctl);
}

/* --- programs --------------------------------------------------------------------------------- */

static void
get_log(struct cfg_ctx *c, const struct cfg_section *s, struct scope *sc, const char *ch, struct cfg_log *l)
{
        char key[64];
        const struct cfg_kv *kv;
        snprintf(key, sizeof key, "%s_logfile", ch);
        char *v = get_raw(c, s, key, sc, &kv);
        l->kind = CFG_LOG_AUTO;
        l->path = NULL;
        bool syslog_magic = false;
        if (v) {
                if (!strcasecmp(v, "none") || !strcasecmp(v, "off")) {
                        l->kind = CFG_LOG_NONE;
                } else if (!strcasecmp(v, "auto")) {
                        l->kind = CFG_LOG_AUTO;
                } else if (!strcasecmp(v, "syslog")) {
                        l->kind = CFG_LOG_NONE;
                        syslog_magic = true;
                } else {
                        l->kind = CFG_LOG_PATH;
                        l->path = get_dirpath(c, s, kv, v);
                }
                free(v);
        }
        snprintf(key, sizeof key, "%s_logfile_maxbytes", ch);
        l->maxbytes = get_bytes(c, s, key, sc, DEFAULT_MAXBYTES);
        snprintf(key, sizeof key, "%s_logfile_backups", ch);
        l->backups = (int)get_int(c, s, key, sc, 10);
        snprintf(key, sizeof key, "%s_syslog", ch);
        l->syslog = get_bool(c, s, key, sc, false) || syslog_magic;
}

void
cfg_proc_free(struct cfg_proc *p)
{
        if (!p)
                return;
        free(p->name);
        free(p->group);
        free(p->program);
        free(p->command);
        strv_free(p->argv);
        free(p->exec_path);
        strv_free(p->environment);
        free(p->directory);
        free(p->user);
        free(p->groups);
        free(p->out.path);
        free(p->err.path);
        free(p->serverurl);
        free(p->file);
        free(p);
}

/* argv[0] on PATH as supervisord's get_execv_args does: the first candidate that exists. */
static char *
find_exec(struct cfg_ctx *c, const char *prog)
{
        struct stat st;
        if (strchr(prog, '/'))
                return stat(prog, &st) == 0 ? xstrdup(prog) : NULL;
        const char *path = cfg_env_get(c->envp, "PATH");
        if (!path)
                path = "/bin:/usr/bin:/usr/local/bin";
        char *dup = xstrdup(path), *save;
        char *found = NULL;
        for (char *d = strtok_r(dup, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
                char *cand = xasprintf("%s/%s", d, prog);
                if (stat(cand, &st) == 0)
                        found = cand;
                else
                        free(cand);
        }
        free(dup);
        return found;
}

struct procvec {
        struct cfg_proc **v;
        size_t n, cap;
};

static void
pv_push(struct procvec *pv, struct cfg_proc *p)
{
        if (pv->n == pv->cap) {
                pv->cap = pv->cap ? pv->cap * 2 : 8;
                pv->v = xrealloc(pv->v, pv->cap * sizeof *pv->v);
        }
        pv->v[pv->n++] = p;
}

/* One [program:x] as members of group gname: its numprocs processes appended to pv.
 * Returns false on an error (recorded); *ret_priority is the program's priority. */
static bool
build_program(struct cfg_ctx *c, const struct cfg *cfg, const struct cfg_section *s, const char *gname,
              struct procvec *pv, int *ret_priority)
{
        const char *pname = s->name + strlen("program:");
        char *msg;
        if (cfg_check_name(pname, &msg) < 0) {
                err_sec(c, s, NULL, "%s", msg);
                free(msg);
                return false;
        }
        struct scope sc;
        scope_init(&sc, c);
        sc.vars.env[1] = cfg->sd.environment;
        scope_add(&sc, "program_name", pname, 0);
        scope_add(&sc, "group_name", gname, 0);
        scope_add(&sc, "host_node_name", c->host, 0);
        size_t nerr0 = c->errs->n;

        long numprocs = get_int(c, s, "numprocs", &sc, 1);
        if (numprocs < 0 || numprocs > 100000) {     /* 0 is legal: a group without processes */
                err_kv(c, s, cfg_section_get(s, "numprocs"), "must be between 0 and 100000");
                numprocs = 1;
        }
        long start = get_int(c, s, "numprocs_start", &sc, 0);
        const struct cfg_kv *pnkv = cfg_section_get(s, "process_name");
        const char *pnraw = pnkv ? pnkv->val : "%(program_name)s";
        if (numprocs > 1 && !strstr(pnraw, "%(process_num)")) {
                if (pnkv)
                        err_kv(c, s, pnkv, "must contain %%(process_num) when numprocs > 1");
                else
                        err_sec(c, s, "process_name", "must contain %%(process_num) when numprocs > 1 "
                                "(the default %%(program_name)s does not)");
        }
        bool stopasgroup = get_bool(c, s, "stopasgroup", &sc, false);
        bool killasgroup = get_bool(c, s, "killasgroup", &sc, stopasgroup);
        if (stopasgroup && !killasgroup)
                err_kv(c, s, cfg_section_get(s, "killasgroup"),
                       "can't set stopasgroup=true and killasgroup=false");
        if (!cfg_section_get(s, "command"))
                err_sec(c, s, "command", "missing, every program needs one");
        if (c->errs->n > nerr0)
                return false;

        /* Keys supervisord reads once per section, before process_num and numprocs exist. */
        struct cfg_proc t = { 0 };
        const struct cfg_kv *kv;
        t.priority = (int)get_int(c, s, "priority", &sc, 999);
        t.autostart = get_bool(c, s, "autostart", &sc, true);
        t.autorestart = CFG_AUTORESTART_UNEXPECTED;
        char *v = get_raw(c, s, "autorestart", &sc, &kv);
        if (v) {
                bool b;
                if (cfg_parse_bool(v, &b) == 0)
                        t.autorestart = b ? CFG_AUTORESTART_ALWAYS : CFG_AUTORESTART_NEVER;
                else if (!strcasecmp(v, "unexpected"))
                        t.autorestart = CFG_AUTORESTART_UNEXPECTED;
                else
                        err_kv(c, s, kv, "'%s' is not true, false or unexpected", v);
                free(v);
        }
        t.startsecs = (int)get_int(c, s, "startsecs", &sc, 1);
        t.startretries = (int)get_int(c, s, "startretries", &sc, 3);
        t.stopsignal = SIGTERM;
        v = get_raw(c, s, "stopsignal", &sc, &kv);
        if (v) {
                if (cfg_parse_signal(v, &t.stopsignal) < 0) {
                        err_kv(c, s, kv, "'%s' is not a signal name or number", v);
                        t.stopsignal = SIGTERM;
                }
                free(v);
        }
        t.stopwaitsecs = (int)get_int(c, s, "stopwaitsecs", &sc, 10);
        t.stopasgroup = stopasgroup;
        t.killasgroup = killasgroup;
        t.exitcodes[0] = 1;
        v = get_raw(c, s, "exitcodes", &sc, &kv);
        if (v) {
                if (cfg_parse_exitcodes(v, t.exitcodes) < 0)
                        err_kv(c, s, kv, "'%s' is not a list of exit codes (0-255)", v);
                free(v);
        }
        t.redirect_stderr = get_bool(c, s, "redirect_stderr", &sc, false);
        t.out.capture_maxbytes = get_bytes(c, s, "stdout_capture_maxbytes", &sc, 0);
        t.out.events_enabled = get_bool(c, s, "stdout_events_enabled", &sc, false);
        t.err.capture_maxbytes = get_bytes(c, s, "stderr_capture_maxbytes", &sc, 0);
        t.err.events_enabled = get_bool(c, s, "stderr_events_enabled", &sc, false);
        v = get_str(c, s, "serverurl", &sc, NULL);
        if (v) {
                char *u = v + strspn(v, " \t");
                if (!*u || (!strncasecmp(u, "auto", 4) && !u[4 + strspn(u + 4, " \t")])) {
                        free(v);
                        v = NULL;
                }
        }
        t.serverurl = v;                /* NULL: AUTO (also for an empty value, as supervisord) */
        t.user = get_str(c, s, "user", &sc, NULL);
        if (t.user && c->opt->resolve_users) {
                if (resolve_user(t.user, &t.uid, &t.gid, &t.groups, &t.ngroups, &msg) < 0) {
                        err_kv(c, s, cfg_section_get(s, "user"), "%s", msg);
                        free(msg);
                } else {
                        t.has_uid = true;
                }
        }
        t.umask = get_octal(c, s, "umask", &sc, -1);
        t.pdeathsig = get_bool(c, s, "pdeathsig", &sc, true);
        *ret_priority = t.priority;
        if (c->errs->n > nerr0) {
                free(t.serverurl);
                free(t.user);
                free(t.groups);
                return false;
        }

        /* Per process: everything else, with process_num, numprocs and the program's environment. */
        scope_add(&sc, "process_num", NULL, 0);
        scope_add(&sc, "numprocs", NULL, numprocs);
        size_t ipn = sc.vars.n - 2;
        for (long i = 0; i < numprocs; i++) {
                struct cfg_proc *p = xcalloc(1, sizeof *p);
                *p = t;
                p->serverurl = t.serverurl ? xstrdup(t.serverurl) : NULL;
                p->user = t.user ? xstrdup(t.user) : NULL;
                if (t.groups) {
                        p->groups = xmalloc((size_t)t.ngroups * sizeof *p->groups);
                        memcpy(p->groups, t.groups, (size_t)t.ngroups * sizeof *p->groups);
                }
                sc.v[ipn].n = start + i;
                sc.vars.env[2] = NULL;
                char **penv = NULL;
                char *env = get_raw(c, s, "environment", &sc, &kv);
                if (env) {
                        if (cfg_parse_environment(env, &penv, &msg) < 0)
                                cfg_add_error(c, kv->file->path, kv->line, s->name, kv->key, msg);
                        free(env);
                }
                sc.vars.env[2] = penv;          /* its own entries, for its other keys */
                p->environment = env_merge(cfg->sd.environment, penv);

                p->program = xstrdup(pname);
                p->group = xstrdup(gname);
                p->process_num = (int)(start + i);
                p->file = xstrdup(s->file->path);
                p->line = s->line;
                p->name = get_str(c, s, "process_name", &sc, NULL);
                if (!p->name) {
                        char *d;
                        sc.v[0].s = s->file->dir;
                        p->name = cfg_expand(pnraw, &sc.vars, &d, &msg) == 0 ? d : (free(msg), xstrdup(pname));
                }
                if (cfg_check_name(p->name, &msg) < 0) {
                        err_kv(c, s, pnkv ? pnkv : cfg_section_get(s, "command"), "%s", msg);
                        free(msg);
                }
                p->command = get_str(c, s, "command", &sc, NULL);
                if (p->command) {
                        if (cfg_split_command(p->command, &p->argv, &msg) < 0) {
                                err_kv(c, s, cfg_section_get(s, "command"), "%s", msg);
                                free(msg);
                        } else {
                                p->exec_path = find_exec(c, p->argv[0]);
                        }
                }
                p->directory = get_str(c, s, "directory", &sc, NULL);
                get_log(c, s, &sc, "stdout", &p->out);
                get_log(c, s, &sc, "stderr", &p->err);
                if (i == 0) {
                        if (p->out.kind == CFG_LOG_AUTO && !p->out.maxbytes)
                                warn_kv(c, s, cfg_section_get(s, "stdout_logfile_maxbytes"),
                                        "AUTO logging used for stdout_logfile without rollover, set maxbytes > 0 "
                                        "to avoid filling up filesystem unintentionally");
                        if (p->err.kind == CFG_LOG_AUTO && !p->err.maxbytes && !p->redirect_stderr)
                                warn_kv(c, s, cfg_section_get(s, "stderr_logfile_maxbytes"),
                                        "AUTO logging used for stderr_logfile without rollover, set maxbytes > 0 "
                                        "to avoid filling up filesystem unintentionally");
                        if (p->redirect_stderr && p->err.kind == CFG_LOG_PATH)
                                warn_kv(c, s, cfg_section_get(s, "stderr_logfile"),
                                        "redirect_stderr=true but stderr_logfile has also been set to a "
                                        "filename, the filename has been ignored");
                }
                if (p->redirect_stderr) {       /* never an stderr logfile when redirected */
                        p->err.kind = CFG_LOG_NONE;
                        free(p->err.path);
                        p->err.path = NULL;
                }
                strv_free(penv);
                if (c->errs->n > nerr0) {       /* report a bad key once, not once per process */
                        cfg_proc_free(p);
                        break;
                }
                pv_push(pv, p);
        }
        free(t.serverurl);
        free(t.user);
        free(t.groups);
        return c->errs->n == nerr0;
}

/* --- groups ----------------------------------------------------------------------------------- */

static int
cmp_proc(const void *a, const void *b)
{
        const struct cfg_proc *x = *(struct cfg_proc *const *)a, *y = *(struct cfg_proc *const *)b;
        if (x->priority != y->priority)
                return x->priority < y->priority ? -1 : 1;
        return strcmp(x->name, y->name);
}

static int
cmp_proc_name(const void *a, const void *b)
{
        return strcmp((*(struct cfg_proc *const *)a)->name, (*(struct cfg_proc *const *)b)->name);
}

static int
cmp_group(const void *a, const void *b)
{
        const struct cfg_group *x = *(struct cfg_group *const *)a, *y = *(struct cfg_group *const *)b;
        if (x->priority != y->priority)
                return x->priority < y->priority ? -1 : 1;
        return strcmp(x->name, y->name);
}

static int
cmp_group_name(const void *a, const void *b)
{
        return strcmp((*(struct cfg_group *const *)a)->name, (*(struct cfg_group *const *)b)->name);
}

static void
add_group(struct cfg_ctx *c, struct cfg *cfg, const struct cfg_section *s, const char *name, int priority,
          bool explicit_group, struct procvec *pv)
{
        if (!pv->v)                     /* numprocs=0: an empty, non-NULL array */
                pv->v = xcalloc(1, sizeof *pv->v);
        qsort(pv->v, pv->n, sizeof *pv->v, cmp_proc_name);
        for (size_t i = 1; i < pv->n; i++)
                if (!strcmp(pv->v[i - 1]->name, pv->v[i]->name))
                        err_sec(c, s, NULL, "duplicate process name '%s' in group '%s'", pv->v[i]->name, name);
        qsort(pv->v, pv->n, sizeof *pv->v, cmp_proc);
        struct cfg_group *g = xcalloc(1, sizeof *g);
        g->name = xstrdup(name);
        g->priority = priority;
        g->explicit_group = explicit_group;
        g->procs = pv->v;
        g->nprocs = pv->n;
        cfg->groups = xrealloc(cfg->groups, (cfg->ngroups + 1) * sizeof *cfg->groups);
        cfg->groups[cfg->ngroups++] = g;
}

static bool
has_prefix(const char *s, const char *p)
{
        return !strncmp(s, p, strlen(p));
}

static void
build_groups(struct cfg_ctx *c, struct cfg *cfg)
{
        size_t nsec = c->st.nsec;
        bool *grouped = xcalloc(nsec + 1, sizeof *grouped);
        for (size_t i = 0; i < nsec; i++) {
                const struct cfg_section *s = &c->st.sec[i];
                if (!has_prefix(s->name, "group:"))
                        continue;
                const char *gname = s->name + strlen("group:");
                char *msg;
                if (cfg_check_name(gname, &msg) < 0) {
                        err_sec(c, s, NULL, "%s", msg);
                        free(msg);
                        continue;
                }
                struct scope sc;
                scope_init(&sc, c);
                sc.vars.env[1] = cfg->sd.environment;
                int prio = (int)get_int(c, s, "priority", &sc, 999);
                const struct cfg_kv *kv;
                char *progs = get_raw(c, s, "programs", &sc, &kv);
                if (!progs) {
                        if (!cfg_section_get(s, "programs"))
                                err_sec(c, s, "programs", "missing, a [group] needs a list of programs");
                        continue;
                }
                struct procvec pv = { 0 };
                char *save;
                for (char *t = strtok_r(progs, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                        while (*t == ' ' || *t == '\t' || *t == '\n')
                                t++;
                        size_t l = strlen(t);
                        while (l && (t[l - 1] == ' ' || t[l - 1] == '\t' || t[l - 1] == '\n'))
                                t[--l] = '\0';
                        if (!*t)
                                continue;
                        char *sname = xasprintf("program:%s", t);
                        const struct cfg_section *ps = cfg_store_find(c, sname);
                        free(sname);
                        if (!ps) {
                                err_kv(c, s, kv, "program '%s' is not defined", t);
                                continue;
                        }
                        grouped[ps - c->st.sec] = true;
                        int pprio;
                        (void)build_program(c, cfg, ps, gname, &pv, &pprio);
                }
                free(progs);
                add_group(c, cfg, s, gname, prio, true, &pv);
        }
        for (size_t i = 0; i < nsec; i++) {
                const struct cfg_section *s = &c->st.sec[i];
                if (!has_prefix(s->name, "program:") || grouped[i])
                        continue;
                const char *pname = s->name + strlen("program:");
                struct procvec pv = { 0 };
                int prio = 999;         /* a lone program's group has the program's priority */
                if (!build_program(c, cfg, s, pname, &pv, &prio)) {
                        for (size_t j = 0; j < pv.n; j++)
                                cfg_proc_free(pv.v[j]);
                        free(pv.v);
                        continue;
                }
                add_group(c, cfg, s, pname, prio, false, &pv);
        }
        free(grouped);
        if (cfg->ngroups)
                qsort(cfg->groups, cfg->ngroups, sizeof *cfg->groups, cmp_group);
        cfg->groups_by_name = xcalloc(cfg->ngroups + 1, sizeof *cfg->groups_by_name);
        if (cfg->ngroups) {
                memcpy(cfg->groups_by_name, cfg->groups, cfg->ngroups * sizeof *cfg->groups);
                qsort(cfg->groups_by_name, cfg->ngroups, sizeof *cfg->groups_by_name, cmp_group_name);
        }
        for (size_t i = 1; i < cfg->ngroups; i++) {
                const char *n = cfg->groups_by_name[i]->name;
                if (!strcmp(cfg->groups_by_name[i - 1]->name, n)) {
                        char *sec = xasprintf("program:%s", n);
                        const struct cfg_section *s = cfg_store_find(c, sec);
                        free(sec);
                        cfg_add_error(c, s ? s->file->path : cfg->path, s ? s->line : 0, s ? s->name : NULL, NULL,
                                      xasprintf("duplicate group name '%s' (a [group:%s] and a [program:%s])",
                                                n, n, n));
                }
        }
}

/* --- the whole config ------------------------------------------------------------------------- */

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
                    !strcmp(n, "inet_http_server") || !strcmp(n, "supervisorctl") || has_prefix(n, "ctlplugin:"))
                        continue;
                if (!strcmp(n, "include")) {
                        if (s->file == main)
                                warn_unknown_keys(c, s, keys_include);
                        continue;
                }
                if (has_prefix(n, "program:") || has_prefix(n, "group:")) {
                        if (!n[strcspn(n, ":") + 1])
                                err_sec(c, s, NULL, "section name has no name after ':'");
                        warn_unknown_keys(c, s, n[0] == 'p' ? keys_program : keys_group);
                        continue;
                }
                if (has_prefix(n, "rpcinterface:")) {
                        const struct cfg_kv *kv = cfg_section_get(s, "supervisor.rpcinterface_factory");
                        if (!kv) {
                                err_sec(c, s, "supervisor.rpcinterface_factory",
                                        "missing, an [rpcinterface:x] section needs it");
                        } else if (!strcmp(kv->val, "supervisor.rpcinterface:make_main_rpcinterface")) {
                                cfg->rpcinterface_supervisor = true;
                        } else {
                                warn_kv(c, s, kv, "rpcinterface factory '%s' is not supported, ignoring", kv->val);
                        }
                        continue;
                }
                if (has_prefix(n, "eventlistener:") || has_prefix(n, "fcgi-program:")) {
                        warn_kv(c, s, NULL, "[%.*s] sections are not supported by corral, ignoring",
                                (int)strcspn(n, ":"), n);
                        continue;
                }
                const char *colon = strchr(n, ':');
                err_sec(c, s, NULL, "unknown section type '%.*s'", colon ? (int)(colon - n) : (int)strlen(n), n);
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
        build_groups(c, cfg);
        return cfg;
}
