/* SPDX-License-Identifier: MIT */
/* cfg_program — [program:x] and [group:x] sections turned into the config's groups of processes
 * (numprocs expansion, per-process environment, priorities, duplicate names). Pure: errors and
 * warnings go to the context. */
#include "cfg/cfg.h"
#include "cfg/cfg_int.h"
#include "cfg/cfg_value.h"
#include "shared/analyzer.h"
#include "shared/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- environment merging ---------------------------------------------------------------------- */

/* base then add; a key in add replaces base's in place. Returns a new vector.
 * False positive in both analyzers (a NULL add dereferenced): strv_len(NULL) is 0, so the loop
 * over add never runs for a NULL add; neither analyzer follows strv_len into util.c. */
GCC_ANALYZER_IGNORE("-Wanalyzer-null-dereference")
static char **
env_merge(char *const *base, char *const *add)
{
        size_t nb = strv_len(base), na = strv_len(add);
        ANALYZER_ASSUME(add || na == 0);
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
GCC_ANALYZER_END

/* --- backoff (corral extension) ----------------------------------------------------------------- */

/* Longest delay, reset time etc. one may write: a sanity bound (a week), not a policy. */
#define SECONDS_MAX (7 * 86400.0)

/* key as a number in [lo, hi] (lo itself excluded when open_lo), else def with an error. */
static double
key_number(struct cfg_ctx *c, const struct cfg_section *s, struct cfg_key_scope *sc, const char *key,
           double def, double lo, bool open_lo, double hi, const char *what)
{
        const struct cfg_kv *kv;
        char *v = cfg_key_raw(c, s, key, sc, &kv);
        double d = def;

        if (v && (cfg_parse_seconds(v, &d) < 0 || d < lo || (open_lo && d == lo) || d > hi)) {
                cfg_key_err(c, s, kv, "'%s' is not %s", v, what);
                d = def;
        }
        free(v);
        return d;
}

/* startretries (a count, or "infinite") and the backoff_* keys. */
static void
get_retries(struct cfg_ctx *c, const struct cfg_section *s, struct cfg_key_scope *sc, struct cfg_proc *t)
{
        const struct cfg_kv *kv;
        struct cfg_backoff *b = &t->backoff;
        char *v = cfg_key_raw(c, s, "startretries", sc, &kv);

        t->startretries = 3;
        if (v) {
                long n;
                const char *w = v + strspn(v, " \t");
                if (!strncasecmp(w, "infinite", 8) && !w[8 + strspn(w + 8, " \t")])
                        t->startretries = CFG_STARTRETRIES_INFINITE;
                else if (cfg_parse_int(v, &n) == 0 && n >= INT_MIN && n < CFG_STARTRETRIES_INFINITE)
                        t->startretries = (int)n;
                else
                        cfg_key_err(c, s, kv, "'%s' is not an integer or infinite", v);
                free(v);
        }
        b->kind = CFG_BACKOFF_EXPONENTIAL;
        v = cfg_key_raw(c, s, "backoff", sc, &kv);
        if (v) {
                const char *w = v + strspn(v, " \t");
                size_t n = strcspn(w, " \t");
                if (!w[n + strspn(w + n, " \t")] && n == 6 && !strncasecmp(w, "linear", 6))
                        b->kind = CFG_BACKOFF_LINEAR;
                else if (!(!w[n + strspn(w + n, " \t")] && n == 11 && !strncasecmp(w, "exponential", 11)))
                        cfg_key_err(c, s, kv, "'%s' is not exponential or linear", v);
                free(v);
        }
        b->initial = key_number(c, s, sc, "backoff_initial", 1, 0, true, SECONDS_MAX,
                                "a number of seconds above 0 (at most a week)");
        b->max = key_number(c, s, sc, "backoff_max", 60, 0, true, SECONDS_MAX,
                            "a number of seconds above 0 (at most a week)");
        b->factor = key_number(c, s, sc, "backoff_factor", 2, 1, false, 1000, "a number from 1 to 1000");
        b->jitter = key_number(c, s, sc, "backoff_jitter", 0, 0, false, 1, "a fraction from 0 to 1");
        /* linear is supervisord's timing, where reaching RUNNING forgets the failed starts */
        b->reset = key_number(c, s, sc, "backoff_reset", b->kind == CFG_BACKOFF_LINEAR ? 0 : 60, 0, false,
                              SECONDS_MAX, "a number of seconds from 0 to a week");
}

/* --- depends_on (corral extension) --------------------------------------------------------------- */

/* "a, b:*" → {"a", "b:*"} (names resolved later, by cfg_deps.c, once every group exists); NULL when
 * absent or empty. *ret_line: the key's line. */
static char **
get_depends_on(struct cfg_ctx *c, const struct cfg_section *s, struct cfg_key_scope *sc, int *ret_line)
{
        const struct cfg_kv *kv;
        char *v = cfg_key_raw(c, s, "depends_on", sc, &kv);
        *ret_line = kv ? kv->line : s->line;
        if (!v)
                return NULL;
        char **out = NULL;
        size_t n = 0;
        char *save;
        for (char *t = strtok_r(v, ", \t\n", &save); t; t = strtok_r(NULL, ", \t\n", &save)) {
                out = xrealloc(out, (n + 2) * sizeof *out);
                out[n++] = xstrdup(t);
                out[n] = NULL;
        }
        free(v);
        return out;
}

/* --- readiness (corral extension) -------------------------------------------------------------- */

/* "HOST:PORT" (HOST may be [v6]) into t->arg and t->port; false when it is not one. */
static bool
parse_hostport(const char *w, struct cfg_ready *r)
{
        const char *colon = strrchr(w, ':');
        long port;
        char *end;

        if (!colon || colon == w || !colon[1])
                return false;
        errno = 0;
        port = strtol(colon + 1, &end, 10);
        if (*end || errno || port < 1 || port > 65535 || colon[1] == '-' || colon[1] == '+')
                return false;
        if (w[0] == '[') {
                if (colon[-1] != ']' || colon - w < 3)
                        return false;
                r->arg = xstrndup(w + 1, (size_t)(colon - w - 2));
        } else {
                r->arg = xstrndup(w, (size_t)(colon - w));
        }
        r->port = (int)port;
        return true;
}

/* ready= (notify, fd:N, tcp:HOST:PORT, exec:COMMAND, http://HOST:PORT/PATH) and its timings. */
static void
get_ready(struct cfg_ctx *c, const struct cfg_section *s, struct cfg_key_scope *sc, struct cfg_proc *t)
{
        const struct cfg_kv *kv;
        struct cfg_ready *r = &t->ready;
        char *v = cfg_key_raw(c, s, "ready", sc, &kv);

        r->kind = CFG_READY_STARTSECS;
        if (v) {
                char *w = v + strspn(v, " \t");
                size_t n = strlen(w);
                while (n && (w[n - 1] == ' ' || w[n - 1] == '\t'))
                        w[--n] = '\0';
                if (!strcasecmp(w, "notify")) {
                        r->kind = CFG_READY_NOTIFY;
                } else if (!strncasecmp(w, "fd:", 3)) {
                        long fd;
                        if (cfg_parse_int(w + 3, &fd) == 0 && fd >= 3 && fd <= 1023) {
                                r->kind = CFG_READY_FD;
                                r->fd = (int)fd;
                        } else {
                                cfg_key_err(c, s, kv, "'%s' is not fd:N with N from 3 to 1023", v);
                        }
                } else if (!strncasecmp(w, "tcp:", 4)) {
                        unsigned char a[16];
                        if (!parse_hostport(w + 4, r))
                                cfg_key_err(c, s, kv, "'%s' is not tcp:HOST:PORT (port 1 to 65535)", v);
                        else if (strcasecmp(r->arg, "localhost") && inet_pton(AF_INET, r->arg, a) != 1 &&
                                 inet_pton(AF_INET6, r->arg, a) != 1)
                                cfg_key_err(c, s, kv, "'%s': HOST must be a numeric address or localhost "
                                            "(a name lookup could block)", v);
                        else
                                r->kind = CFG_READY_TCP;
                        if (r->kind != CFG_READY_TCP) {
                                free(r->arg);
                                r->arg = NULL;
                        }
                } else if (!strncasecmp(w, "exec:", 5)) {
                        const char *cmd = w + 5 + strspn(w + 5, " \t");
                        if (*cmd) {
                                r->kind = CFG_READY_EXEC;
                                r->arg = xstrdup(cmd);
                        } else {
                                cfg_key_err(c, s, kv, "'%s' has no command after exec:", v);
                        }
                } else if (!strncasecmp(w, "http://", 7)) {
                        struct cfg_ready hp = { 0 };
                        char *hostport = xstrndup(w + 7, strcspn(w + 7, "/"));
                        if (w[7 + strlen(hostport)] == '/' && parse_hostport(hostport, &hp)) {
                                r->kind = CFG_READY_HTTP;
                                r->arg = xstrdup(w);
                                r->port = hp.port;
                        } else {
                                cfg_key_err(c, s, kv, "'%s' is not http://HOST:PORT/PATH", v);
                        }
                        free(hp.arg);
                        free(hostport);
                } else {
                        cfg_key_err(c, s, kv, "'%s' is not notify, fd:N, tcp:HOST:PORT, exec:COMMAND or "
                                    "http://HOST:PORT/PATH", v);
                }
                free(v);
        }
        r->timeout = key_number(c, s, sc, "ready_timeout", 60, 0, true, SECONDS_MAX,
                                "a number of seconds above 0 (at most a week)");
        r->interval = key_number(c, s, sc, "ready_interval", 1, 0.01, false, SECONDS_MAX,
                                 "a number of seconds from 0.01 to a week");
        r->watchdog = key_number(c, s, sc, "watchdog_sec", 0, 0, false, SECONDS_MAX,
                                 "a number of seconds from 0 (off) to a week");
        if (r->watchdog > 0 && r->kind != CFG_READY_NOTIFY) {
                cfg_key_err(c, s, cfg_section_get(s, "watchdog_sec"), "needs ready=notify (the pings come on NOTIFY_SOCKET)");
                r->watchdog = 0;
        }
}

/* --- programs --------------------------------------------------------------------------------- */

static void
get_log(struct cfg_ctx *c, const struct cfg_section *s, struct cfg_key_scope *sc,
        const char *ch, struct cfg_log *l)
{
        char key[64];
        const struct cfg_kv *kv;
        snprintf(key, sizeof key, "%s_logfile", ch);
        char *v = cfg_key_raw(c, s, key, sc, &kv);
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
                        l->path = cfg_key_dirpath(c, s, kv, v);
                }
                free(v);
        }
        snprintf(key, sizeof key, "%s_logfile_maxbytes", ch);
        l->maxbytes = cfg_key_bytes(c, s, key, sc, CFG_DEFAULT_MAXBYTES);
        snprintf(key, sizeof key, "%s_logfile_backups", ch);
        l->backups = (int)cfg_key_int(c, s, key, sc, 10);
        snprintf(key, sizeof key, "%s_syslog", ch);
        l->syslog = cfg_key_bool(c, s, key, sc, false) || syslog_magic;
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
        strv_free(p->depends_on);
        free(p->deps);

        free(p->ready.arg);
        free(p->file);
        free(p);
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
                cfg_key_err_sec(c, s, NULL, "%s", msg);
                free(msg);
                return false;
        }
        struct cfg_key_scope sc;
        cfg_key_scope_init(&sc, c);
        sc.vars.env[1] = cfg->sd.environment;
        cfg_key_scope_add(&sc, "program_name", pname, 0);
        cfg_key_scope_add(&sc, "group_name", gname, 0);
        cfg_key_scope_add(&sc, "host_node_name", c->host, 0);
        size_t nerr0 = c->errs->n;

        long numprocs = cfg_key_int(c, s, "numprocs", &sc, 1);
        if (numprocs < 0 || numprocs > 100000) {     /* 0 is legal: a group without processes */
                cfg_key_err(c, s, cfg_section_get(s, "numprocs"), "must be between 0 and 100000");
                numprocs = 1;
        }
        long start = cfg_key_int(c, s, "numprocs_start", &sc, 0);
        const struct cfg_kv *pnkv = cfg_section_get(s, "process_name");
        const char *pnraw = pnkv ? pnkv->val : "%(program_name)s";
        if (numprocs > 1 && !strstr(pnraw, "%(process_num)")) {
                if (pnkv)
                        cfg_key_err(c, s, pnkv, "must contain %%(process_num) when numprocs > 1");
                else
                        cfg_key_err_sec(c, s, "process_name", "must contain %%(process_num) when numprocs > 1 "
                                "(the default %%(program_name)s does not)");
        }
        bool stopasgroup = cfg_key_bool(c, s, "stopasgroup", &sc, false);
        bool killasgroup = cfg_key_bool(c, s, "killasgroup", &sc, stopasgroup);
        if (stopasgroup && !killasgroup)
                cfg_key_err(c, s, cfg_section_get(s, "killasgroup"),
                       "can't set stopasgroup=true and killasgroup=false");
        if (!cfg_section_get(s, "command"))
                cfg_key_err_sec(c, s, "command", "missing, every program needs one");
        if (c->errs->n > nerr0)
                return false;

        /* Keys supervisord reads once per section, before process_num and numprocs exist. */
        struct cfg_proc t = { 0 };
        const struct cfg_kv *kv;
        t.priority = (int)cfg_key_int(c, s, "priority", &sc, 999);
        t.autostart = cfg_key_bool(c, s, "autostart", &sc, true);
        t.autorestart = CFG_AUTORESTART_UNEXPECTED;
        char *v = cfg_key_raw(c, s, "autorestart", &sc, &kv);
        if (v) {
                bool b;
                if (cfg_parse_bool(v, &b) == 0)
                        t.autorestart = b ? CFG_AUTORESTART_ALWAYS : CFG_AUTORESTART_NEVER;
                else if (!strcasecmp(v, "unexpected"))
                        t.autorestart = CFG_AUTORESTART_UNEXPECTED;
                else
                        cfg_key_err(c, s, kv, "'%s' is not true, false or unexpected", v);
                free(v);
        }
        t.startsecs = (int)cfg_key_int(c, s, "startsecs", &sc, 1);
        get_retries(c, s, &sc, &t);
        get_ready(c, s, &sc, &t);
        t.stopsignal = SIGTERM;
        v = cfg_key_raw(c, s, "stopsignal", &sc, &kv);
        if (v) {
                if (cfg_parse_signal(v, &t.stopsignal) < 0) {
                        cfg_key_err(c, s, kv, "'%s' is not a signal name or number", v);
                        t.stopsignal = SIGTERM;
                }
                free(v);
        }
        t.stopwaitsecs = (int)cfg_key_int(c, s, "stopwaitsecs", &sc, 10);
        t.stopasgroup = stopasgroup;
        t.killasgroup = killasgroup;
        t.exitcodes[0] = 1;
        v = cfg_key_raw(c, s, "exitcodes", &sc, &kv);
        if (v) {
                if (cfg_parse_exitcodes(v, t.exitcodes) < 0)
                        cfg_key_err(c, s, kv, "'%s' is not a list of exit codes (0-255)", v);
                free(v);
        }
        t.redirect_stderr = cfg_key_bool(c, s, "redirect_stderr", &sc, false);
        t.out.capture_maxbytes = cfg_key_bytes(c, s, "stdout_capture_maxbytes", &sc, 0);
        t.out.events_enabled = cfg_key_bool(c, s, "stdout_events_enabled", &sc, false);
        t.err.capture_maxbytes = cfg_key_bytes(c, s, "stderr_capture_maxbytes", &sc, 0);
        t.err.events_enabled = cfg_key_bool(c, s, "stderr_events_enabled", &sc, false);
        v = cfg_key_str(c, s, "serverurl", &sc, NULL);
        if (v) {
                char *u = v + strspn(v, " \t");
                if (!*u || (!strncasecmp(u, "auto", 4) && !u[4 + strspn(u + 4, " \t")])) {
                        free(v);
                        v = NULL;
                }
        }
        t.serverurl = v;                /* NULL: AUTO (also for an empty value, as supervisord) */
        t.user = cfg_key_str(c, s, "user", &sc, NULL);
        if (t.user && c->opt->resolve_users) {
                if (cfg_resolve_user(t.user, &t.uid, &t.gid, &t.groups, &t.ngroups, &msg) < 0) {
                        cfg_key_err(c, s, cfg_section_get(s, "user"), "%s", msg);
                        free(msg);
                } else {
                        t.has_uid = true;
                }
        }
        t.umask = cfg_key_octal(c, s, "umask", &sc, -1);
        t.pdeathsig = cfg_key_bool(c, s, "pdeathsig", &sc, true);
        t.oneshot = cfg_key_bool(c, s, "oneshot", &sc, false);
        t.depends_on = get_depends_on(c, s, &sc, &t.depends_line);
        *ret_priority = t.priority;
        if (c->errs->n > nerr0) {
                free(t.serverurl);
                free(t.ready.arg);
                free(t.user);
                free(t.groups);
                strv_free(t.depends_on);
                return false;
        }

        /* Per process: everything else, with process_num, numprocs and the program's environment. */
        cfg_key_scope_add(&sc, "process_num", NULL, 0);
        cfg_key_scope_add(&sc, "numprocs", NULL, numprocs);
        size_t ipn = sc.vars.n - 2;
        for (long i = 0; i < numprocs; i++) {
                struct cfg_proc *p = xcalloc(1, sizeof *p);
                *p = t;
                p->serverurl = t.serverurl ? xstrdup(t.serverurl) : NULL;
                p->ready.arg = t.ready.arg ? xstrdup(t.ready.arg) : NULL;
                p->user = t.user ? xstrdup(t.user) : NULL;
                p->depends_on = t.depends_on ? strv_dup(t.depends_on) : NULL;
                if (t.groups) {
                        p->groups = xmalloc((size_t)t.ngroups * sizeof *p->groups);
                        memcpy(p->groups, t.groups, (size_t)t.ngroups * sizeof *p->groups);
                }
                sc.v[ipn].n = start + i;
                sc.vars.env[2] = NULL;
                char **penv = NULL;
                char *env = cfg_key_raw(c, s, "environment", &sc, &kv);
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
                p->name = cfg_key_str(c, s, "process_name", &sc, NULL);
                if (!p->name) {
                        char *d;
                        sc.v[0].s = s->file->dir;
                        p->name = cfg_expand(pnraw, &sc.vars, &d, &msg) == 0 ? d : (free(msg), xstrdup(pname));
                }
                if (cfg_check_name(p->name, &msg) < 0) {
                        cfg_key_err(c, s, pnkv ? pnkv : cfg_section_get(s, "command"), "%s", msg);
                        free(msg);
                }
                p->command = cfg_key_str(c, s, "command", &sc, NULL);
                if (p->command) {
                        if (cfg_split_command(p->command, &p->argv, &msg) < 0) {
                                cfg_key_err(c, s, cfg_section_get(s, "command"), "%s", msg);
                                free(msg);
                        } else {
                                p->exec_path = cfg_resolve_exec(c->envp, p->argv[0]);
                        }
                }
                p->directory = cfg_key_str(c, s, "directory", &sc, NULL);
                get_log(c, s, &sc, "stdout", &p->out);
                get_log(c, s, &sc, "stderr", &p->err);
                if (i == 0) {
                        if (p->out.kind == CFG_LOG_AUTO && !p->out.maxbytes)
                                cfg_key_warn(c, s, cfg_section_get(s, "stdout_logfile_maxbytes"),
                                        "AUTO logging used for stdout_logfile without rollover, set maxbytes > 0 "
                                        "to avoid filling up filesystem unintentionally");
                        if (p->err.kind == CFG_LOG_AUTO && !p->err.maxbytes && !p->redirect_stderr)
                                cfg_key_warn(c, s, cfg_section_get(s, "stderr_logfile_maxbytes"),
                                        "AUTO logging used for stderr_logfile without rollover, set maxbytes > 0 "
                                        "to avoid filling up filesystem unintentionally");
                        if (p->redirect_stderr && p->err.kind == CFG_LOG_PATH)
                                cfg_key_warn(c, s, cfg_section_get(s, "stderr_logfile"),
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
        free(t.ready.arg);
        free(t.user);
        free(t.groups);
        strv_free(t.depends_on);
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
                        cfg_key_err_sec(c, s, NULL, "duplicate process name '%s' in group '%s'", pv->v[i]->name, name);
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

void
cfg_program_build(struct cfg_ctx *c, struct cfg *cfg)
{
        size_t nsec = c->st.nsec;
        bool *grouped = xcalloc(nsec + 1, sizeof *grouped);
        for (size_t i = 0; i < nsec; i++) {
                const struct cfg_section *s = &c->st.sec[i];
                if (!cfg_has_prefix(s->name, "group:"))
                        continue;
                const char *gname = s->name + strlen("group:");
                char *msg;
                if (cfg_check_name(gname, &msg) < 0) {
                        cfg_key_err_sec(c, s, NULL, "%s", msg);
                        free(msg);
                        continue;
                }
                struct cfg_key_scope sc;
                cfg_key_scope_init(&sc, c);
                sc.vars.env[1] = cfg->sd.environment;
                int prio = (int)cfg_key_int(c, s, "priority", &sc, 999);
                const struct cfg_kv *kv;
                char *progs = cfg_key_raw(c, s, "programs", &sc, &kv);
                if (!progs) {
                        if (!cfg_section_get(s, "programs"))
                                cfg_key_err_sec(c, s, "programs", "missing, a [group] needs a list of programs");
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
                                cfg_key_err(c, s, kv, "program '%s' is not defined", t);
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
                if (!cfg_has_prefix(s->name, "program:") || grouped[i])
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
