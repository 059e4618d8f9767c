/* SPDX-License-Identifier: MIT */
/* sup — the groups and processes of the config in force, O(1) name lookup, priority-ordered
 * start and stop, shutdown, in-place reload, and reread/add/remove for supervisorctl update. */
#include "core/sup.h"
#include "core/deps.h"

#include <errno.h>
#include <ev.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/leftovers.h"
#include "core/log.h"
#include "core/outlog.h"
#include "shared/strmap.h"
#include "shared/util.h"

/* A loaded config shared by the groups built from it (several can be alive at once: the one in
 * force, the one last read by reloadConfig, and the first one, which ctl points into). */
struct cref {
        struct cfg *cfg;
        unsigned refs;
};

/* Private extension of the public group: one state watch per process, and the namespec keys. */
struct sgroup {
        struct proc_group g;
        struct cref *ref;
        struct proc_watch *watches;
        char **keys;                    /* "group:name" per process */
};

static struct {
        struct ev_loop *loop;
        char *config_path;
        bool resolve_users;
        void (*on_load)(struct cfg *cfg);
        void (*on_done)(void);
        void (*notify_hook)(const char *state);
        void (*on_config)(const struct cfg *cfg);
        /* SUPERVISOR_SERVER_URL of the first config (not re-derived on reload) */
        char *server_url;
        enum sup_mood mood;

        struct cref *pinned, *cur, *readc;
        struct sgroup **groups;         /* start order */
        size_t ngroups;

        /* Views and indices, rebuilt whenever the table changes. */
        struct proc **v_name, **v_prio;
        struct proc_group **v_groups;
        size_t v_nprocs;
        struct strmap h_procs, h_groups;        /* "group:name" → proc, name → sgroup */

        /* Stop sequencing (shutdown or restart). */
        bool stopping;
        struct sgroup **stop_list;      /* reverse start order, snapshot */
        size_t stop_n, stop_idx;
        struct cfg *pending_cfg;        /* restart: the config to start on once all stopped */
        ev_timer kick_timer, report_timer;

        struct proc_env penv;
} S = { .mood = SUP_RUNNING };

static void
notify(const char *state)
{
        if (S.notify_hook)
                S.notify_hook(state);
}

/* --- config references -------------------------------------------------------------------- */

static struct cref *
cref_new(struct cfg *cfg)
{
        struct cref *r = xcalloc(1, sizeof *r);
        r->cfg = cfg;
        r->refs = 1;
        return r;
}

static struct cref *
cref_get(struct cref *r)
{
        if (r)
                r->refs++;
        return r;
}

static struct cref *
cref_put(struct cref *r)
{
        if (r && --r->refs == 0) {
                cfg_free(r->cfg);
                free(r);
        }
        return NULL;
}

/* --- table maintenance -------------------------------------------------------------------- */

static int
cmp_groups(const void *a, const void *b)
{
        const struct sgroup *x = *(struct sgroup *const *)a, *y = *(struct sgroup *const *)b;
        if (x->g.cfg->priority != y->g.cfg->priority)
                return x->g.cfg->priority < y->g.cfg->priority ? -1 : 1;
        return strcmp(x->g.name, y->g.name);
}

static int
cmp_by_name(const void *a, const void *b)
{
        const struct proc *x = *(struct proc *const *)a, *y = *(struct proc *const *)b;
        int c = strcmp(x->group->name, y->group->name);
        return c ? c : strcmp(x->cfg->name, y->cfg->name);
}

/* Sort the groups and rebuild the views and both indices: O(n log n), only on table changes. */
static void
rebuild(void)
{
        if (S.ngroups)
                qsort(S.groups, S.ngroups, sizeof *S.groups, cmp_groups);
        size_t n = 0;
        for (size_t i = 0; i < S.ngroups; i++)
                n += S.groups[i]->g.nprocs;
        free(S.v_name);
        free(S.v_prio);
        free(S.v_groups);
        S.v_name = xcalloc(n + 1, sizeof *S.v_name);
        S.v_prio = xcalloc(n + 1, sizeof *S.v_prio);
        S.v_groups = xcalloc(S.ngroups + 1, sizeof *S.v_groups);
        strmap_reset(&S.h_procs, n);
        strmap_reset(&S.h_groups, S.ngroups);
        size_t k = 0;
        for (size_t i = 0; i < S.ngroups; i++) {
                struct sgroup *sg = S.groups[i];
                S.v_groups[i] = &sg->g;
                strmap_put(&S.h_groups, sg->g.name, sg);
                for (size_t j = 0; j < sg->g.nprocs; j++) {
                        S.v_prio[k++] = sg->g.procs[j];
                        strmap_put(&S.h_procs, sg->keys[j], sg->g.procs[j]);
                }
        }
        deps_table_changed(S.v_prio, n);
        memcpy(S.v_name, S.v_prio, n * sizeof *S.v_name);
        qsort(S.v_name, n, sizeof *S.v_name, cmp_by_name);
        S.v_nprocs = n;
}

static void sup_on_proc_change(struct proc_watch *w, struct proc *p, enum proc_state from,
                               enum proc_state to);

static struct sgroup *
group_new(const struct cfg_group *gc, struct cref *ref)
{
        struct sgroup *sg = xcalloc(1, sizeof *sg);
        sg->g.name = xstrdup(gc->name);
        sg->g.cfg = gc;
        sg->g.cfg_ref = sg->ref = cref_get(ref);
        sg->g.nprocs = gc->nprocs;
        sg->g.procs = xcalloc(gc->nprocs + 1, sizeof *sg->g.procs);
        sg->watches = xcalloc(gc->nprocs + 1, sizeof *sg->watches);
        sg->keys = xcalloc(gc->nprocs + 1, sizeof *sg->keys);
        for (size_t i = 0; i < gc->nprocs; i++) {
                struct proc *p = proc_new(gc->procs[i], &sg->g);
                sg->g.procs[i] = p;
                sg->keys[i] = xasprintf("%s:%s", gc->name, gc->procs[i]->name);
                sg->watches[i].on_change = sup_on_proc_change;
                proc_watch_add(p, &sg->watches[i]);
        }
        return sg;
}

static void
group_free(struct sgroup *sg)
{
        if (!sg)
                return;
        for (size_t i = 0; i < sg->g.nprocs; i++) {
                struct proc *p = sg->g.procs[i];
                proc_watch_remove(&sg->watches[i]);
                if (p)
                        deps_cancel(p);
                if (p && proc_state_is_stopped(p->state) && !p->pid)
                        proc_free(p);
                else if (p)
                        log_error("can't happen: freeing group '%s' with process '%s' still running, "
                                  "leaking it", sg->g.name, p->cfg->name);
                free(sg->keys[i]);
        }
        free(sg->keys);
        free(sg->watches);
        free(sg->g.procs);
        free(sg->g.name);
        cref_put(sg->ref);
        free(sg);
}

static void
groups_build(struct cref *ref)
{
        const struct cfg *cfg = ref->cfg;
        S.groups = xcalloc(cfg->ngroups + 1, sizeof *S.groups);
        S.ngroups = cfg->ngroups;
        for (size_t i = 0; i < cfg->ngroups; i++)
                S.groups[i] = group_new(cfg->groups[i], ref);
        rebuild();
}

static void
groups_free(void)
{
        for (size_t i = 0; i < S.ngroups; i++)
                group_free(S.groups[i]);
        free(S.groups);
        S.groups = NULL;
        S.ngroups = 0;
        rebuild();
}

static void
start_group(struct sgroup *sg)
{
        for (size_t j = 0; j < sg->g.nprocs; j++) {
                struct proc *p = sg->g.procs[j];
                if (!p->cfg->autostart || p->state != PROC_STOPPED || p->start_time != 0)
                        continue;
                enum fault f = deps_start(p);      /* after its dependencies */
                if (f != FAULT_OK)
                        log_debug("autostart of '%s' failed: %s", sg->keys[j], fault_name(f));
        }
}

/* --- stop sequencing ---------------------------------------------------------------------- */

static void
report_unstopped(void)
{
        size_t len = 0;
        char *names = NULL;
        for (size_t i = 0; i < S.v_nprocs; i++) {
                struct proc *p = S.v_prio[i];
                if (proc_state_is_stopped(p->state))
                        continue;
                size_t l = strlen(p->cfg->name);
                names = xrealloc(names, len + l + 3);
                if (len) {
                        memcpy(names + len, ", ", 2);
                        len += 2;
                }
                memcpy(names + len, p->cfg->name, l + 1);
                len += l;
        }
        if (names)
                log_info("waiting for %s to die", names);
        free(names);
}

static void stop_finish(void);

static void
stop_step(void)
{
        while (S.stopping && S.stop_idx < S.stop_n) {
                struct sgroup *sg = S.stop_list[S.stop_idx];
                bool done = true;
                /* Reverse start order inside the group too (supervisord stops c, b, a). */
                for (size_t j = sg->g.nprocs; j-- > 0;) {
                        struct proc *p = sg->g.procs[j];
                        if (proc_state_is_running(p->state)) {
                                enum fault f = deps_stop(p);       /* after its dependents */
                                if (f != FAULT_OK && f != FAULT_NOT_RUNNING)
                                        log_warn("stopping '%s' failed: %s", sg->keys[j], fault_name(f));
                        }
                        if (!proc_state_is_stopped(p->state))
                                done = false;
                }
                if (!done)
                        return;
                S.stop_idx++;
        }
        if (S.stopping)
                stop_finish();
}

static void
sup_on_kick(struct ev_loop *loop, ev_timer *w, int revents)
{
        (void)loop;
        (void)w;
        (void)revents;
        stop_step();
}

static void
sup_on_report(struct ev_loop *loop, ev_timer *w, int revents)
{
        (void)loop;
        (void)w;
        (void)revents;
        report_unstopped();
        stop_step();            /* safety net: never rely on one missed notification */
}

static void
kick(void)
{
        ev_timer_stop(S.loop, &S.kick_timer);
        ev_timer_set(&S.kick_timer, 0., 0.);
        ev_timer_start(S.loop, &S.kick_timer);
}

static void
sup_on_proc_change(struct proc_watch *w, struct proc *p, enum proc_state from, enum proc_state to)
{
        (void)w;
        (void)from;
        deps_on_change(p, to);
        if (S.stopping && proc_state_is_stopped(to))
                kick();
}

static void
stop_begin(void)
{
        proc_set_autorestart(false);
        deps_cancel_starts();           /* nothing waiting starts any more */
        S.stopping = true;
        free(S.stop_list);
        S.stop_n = S.ngroups;
        S.stop_list = xcalloc(S.stop_n + 1, sizeof *S.stop_list);
        for (size_t i = 0; i < S.ngroups; i++)
                S.stop_list[i] = S.groups[S.ngroups - 1 - i];
        S.stop_idx = 0;
        ev_timer_set(&S.report_timer, 1., 1.);
        ev_timer_start(S.loop, &S.report_timer);
        stop_step();
        if (S.stopping)
                report_unstopped();
}

static void
stop_finish(void)
{
        S.stopping = false;
        ev_timer_stop(S.loop, &S.report_timer);
        ev_timer_stop(S.loop, &S.kick_timer);
        free(S.stop_list);
        S.stop_list = NULL;
        S.stop_n = S.stop_idx = 0;
        (void)leftovers_kill();

        if (S.mood == SUP_SHUTDOWN) {
                S.pending_cfg = cfg_free(S.pending_cfg);
                if (S.on_done)
                        S.on_done();
                return;
        }
        /* Restart: rebuild everything on the new config, same pid. */
        groups_free();
        cref_put(S.cur);
        cref_put(S.readc);
        S.cur = cref_new(S.pending_cfg);
        S.pending_cfg = NULL;
        S.readc = cref_get(S.cur);
        /* As at startup (supervisord clears them on every restart): the old processes' AUTO
         * logs are closed now, and the new processes get fresh names. */
        if (!S.cur->cfg->sd.nocleanup && S.penv.childlogdir)
                outlog_cleanup_auto(S.penv.childlogdir, S.penv.identifier ? S.penv.identifier : "supervisor");
        enum log_level level;
        if (S.cur->cfg->sd.loglevel && log_level_parse(S.cur->cfg->sd.loglevel, &level) == 0)
                log_set_level(level);
        if (S.on_config)
                S.on_config(S.cur->cfg);
        groups_build(S.cur);
        S.mood = SUP_RUNNING;
        proc_set_autorestart(true);
        log_info("supervisord started with pid %ld", (long)getpid());
        notify("READY=1");
        sup_autostart();
}

/* --- public API --------------------------------------------------------------------------- */

int
sup_init(struct ev_loop *loop, struct cfg *cfg, const struct sup_options *opt)
{
        if (!loop || !cfg || !opt)
                return -EINVAL;
        S.loop = loop;
        free(S.config_path);
        S.config_path = opt->config_path ? xstrdup(opt->config_path) : xstrdup(cfg->path);
        S.resolve_users = opt->resolve_users;
        S.on_load = opt->on_load;
        S.notify_hook = opt->notify;
        S.on_config = opt->on_config;
        S.mood = SUP_RUNNING;
        ev_timer_init(&S.kick_timer, sup_on_kick, 0., 0.);
        ev_timer_init(&S.report_timer, sup_on_report, 1., 1.);

        S.pinned = cref_new(cfg);
        S.cur = cref_get(S.pinned);
        S.readc = cref_get(S.cur);

        S.penv = (struct proc_env){
                .loop = loop,
                .server_url = S.server_url = cfg_server_url(cfg),
                .childlogdir = cfg->sd.childlogdir,
                .identifier = cfg->sd.identifier,
                .strip_ansi = cfg->sd.strip_ansi,
        };
        proc_setup(&S.penv);
        proc_set_autorestart(true);
        groups_build(S.cur);
        return 0;
}

void
sup_autostart(void)
{
        if (S.mood != SUP_RUNNING)
                return;
        for (size_t i = 0; i < S.ngroups; i++)
                start_group(S.groups[i]);
}

void
sup_fini(void)
{
        if (!S.loop)
                return;
        ev_timer_stop(S.loop, &S.report_timer);
        ev_timer_stop(S.loop, &S.kick_timer);
        /* The loop has ended, so libev reaps nothing more. */
        leftovers_kill_and_reap(3.0);
        groups_free();
        free(S.v_name);
        free(S.v_prio);
        free(S.v_groups);
        S.v_name = S.v_prio = NULL;
        S.v_groups = NULL;
        strmap_free(&S.h_procs);
        strmap_free(&S.h_groups);
        free(S.stop_list);
        S.stop_list = NULL;
        S.pending_cfg = cfg_free(S.pending_cfg);
        S.cur = cref_put(S.cur);
        S.readc = cref_put(S.readc);
        S.pinned = cref_put(S.pinned);
        free(S.config_path);
        S.config_path = NULL;
        free(S.server_url);
        S.server_url = NULL;
        S.loop = NULL;
}

enum sup_mood
sup_mood(void)
{
        return S.mood;
}

const struct cfg *
sup_cfg(void)
{
        return S.cur ? S.cur->cfg : NULL;
}

const struct cfg *
sup_cfg_read(void)
{
        return S.readc ? S.readc->cfg : sup_cfg();
}

struct proc *
sup_find_proc(const char *namespec)
{
        if (!namespec)
                return NULL;
        const char *colon = strchr(namespec, ':');
        if (!colon) {
                size_t l = strlen(namespec);
                return strmap_get2(&S.h_procs, namespec, l, namespec, l);
        }
        const char *name = colon + 1;
        if (!strcmp(name, "*"))
                return NULL;
        return strmap_get2(&S.h_procs, namespec, (size_t)(colon - namespec), name, strlen(name));
}

struct proc_group *
sup_find_group(const char *name)
{
        if (!name)
                return NULL;
        struct sgroup *sg = strmap_get2(&S.h_groups, name, strlen(name), NULL, 0);
        return sg ? &sg->g : NULL;
}

size_t
sup_procs_by_name(struct proc *const **ret)
{
        *ret = S.v_name;
        return S.v_nprocs;
}

size_t
sup_procs_by_priority(struct proc *const **ret)
{
        *ret = S.v_prio;
        return S.v_nprocs;
}

size_t
sup_groups(struct proc_group *const **ret)
{
        *ret = S.v_groups;
        return S.ngroups;
}

void
sup_set_on_done(void (*fn)(void))
{
        S.on_done = fn;
}

void
sup_shutdown(void)
{
        if (S.mood == SUP_SHUTDOWN || !S.loop)
                return;
        S.mood = SUP_SHUTDOWN;
        notify("STOPPING=1");
        if (S.stopping)
                return;         /* a restart is stopping everything already; it will end here */
        stop_begin();
}

/* Load the config file again, with main's overrides. NULL and *ret_err on failure. */
static struct cfg *
load_again(char **ret_err)
{
        struct cfg_load_options o = {
                .path = S.config_path,
                .resolve_users = S.resolve_users,
                .check_logdirs = true,
        };
        struct cfg_errors errs = { 0 };
        struct cfg *cfg = cfg_load(&o, &errs);
        if (!cfg) {
                size_t len = 0;
                char *msg = NULL;
                for (size_t i = 0; i < errs.n; i++) {
                        const char *t = errs.v[i].text ? errs.v[i].text : errs.v[i].msg;
                        if (!t)
                                continue;
                        size_t l = strlen(t);
                        msg = xrealloc(msg, len + l + 3);
                        if (len) {
                                memcpy(msg + len, "; ", 2);
                                len += 2;
                        }
                        memcpy(msg + len, t, l + 1);
                        len += l;
                }
                cfg_errors_clear(&errs);
                if (ret_err)
                        *ret_err = msg ? msg : xasprintf("could not read '%s'", S.config_path);
                else
                        free(msg);
                return NULL;
        }
        cfg_errors_clear(&errs);
        for (size_t i = 0; i < cfg->nwarnings; i++)
                log_warn("%s", cfg->warnings[i]);
        if (S.on_load)
                S.on_load(cfg);
        return cfg;
}

enum fault
sup_restart(char **ret_err)
{
        if (ret_err)
                *ret_err = NULL;
        if (S.mood != SUP_RUNNING || !S.loop) {
                if (ret_err)
                        *ret_err = xstrdup("shutdown or restart already in progress");
                return FAULT_SHUTDOWN_STATE;
        }
        struct cfg *cfg = load_again(ret_err);
        if (!cfg)
                return FAULT_CANT_REREAD;
        S.pending_cfg = cfg;
        S.mood = SUP_RESTARTING;
        notify("RELOADING=1");
        stop_begin();
        return FAULT_OK;
}

enum fault
sup_reread(struct cfg_diff *ret_diff, char **ret_err)
{
        if (ret_err)
                *ret_err = NULL;
        memset(ret_diff, 0, sizeof *ret_diff);
        struct cfg *cfg = load_again(ret_err);
        if (!cfg)
                return FAULT_CANT_REREAD;
        cref_put(S.readc);
        S.readc = cref_new(cfg);

        /* Diff against the groups in force (which may come from several configs after add). */
        struct cfg_diff *d = ret_diff;
        d->added = xcalloc(cfg->ngroups + 1, sizeof *d->added);
        d->changed = xcalloc(cfg->ngroups + 1, sizeof *d->changed);
        d->removed = xcalloc(S.ngroups + 1, sizeof *d->removed);
        for (size_t i = 0; i < cfg->ngroups; i++) {
                const struct cfg_group *ng = cfg->groups[i];
                struct proc_group *g = sup_find_group(ng->name);
                if (!g)
                        d->added[d->nadded++] = ng->name;
                else if (!cfg_group_equal(g->cfg, ng))
                        d->changed[d->nchanged++] = ng->name;
        }
        for (size_t i = 0; i < S.ngroups; i++)
                if (!cfg_find_group(cfg, S.groups[i]->g.name))
                        d->removed[d->nremoved++] = S.groups[i]->g.name;
        qsort(d->added, d->nadded, sizeof *d->added, cmp_str);
        qsort(d->changed, d->nchanged, sizeof *d->changed, cmp_str);
        qsort(d->removed, d->nremoved, sizeof *d->removed, cmp_str);
        return FAULT_OK;
}

enum fault
sup_add_group(const char *name)
{
        if (S.mood != SUP_RUNNING)
                return FAULT_SHUTDOWN_STATE;
        const struct cfg_group *gc = S.readc ? cfg_find_group(S.readc->cfg, name) : NULL;
        if (!gc)
                return FAULT_BAD_NAME;
        if (sup_find_group(name))
                return FAULT_ALREADY_ADDED;
        struct sgroup *sg = group_new(gc, S.readc);
        S.groups = xrealloc(S.groups, (S.ngroups + 2) * sizeof *S.groups);
        S.groups[S.ngroups++] = sg;
        rebuild();
        log_info("added process group '%s'", name);
        start_group(sg);
        return FAULT_OK;
}

enum fault
sup_remove_group(const char *name)
{
        if (S.mood != SUP_RUNNING)
                return FAULT_SHUTDOWN_STATE;
        struct proc_group *g = sup_find_group(name);
        if (!g)
                return FAULT_BAD_NAME;
        for (size_t i = 0; i < g->nprocs; i++)
                if (!proc_state_is_stopped(g->procs[i]->state) || g->procs[i]->pid)
                        return FAULT_STILL_RUNNING;
        struct sgroup *sg = container_of(g, struct sgroup, g);
        size_t k = 0;
        for (size_t i = 0; i < S.ngroups; i++)
                if (S.groups[i] != sg)
                        S.groups[k++] = S.groups[i];
        S.ngroups = k;
        log_info("removed process group '%s'", name);
        group_free(sg);
        rebuild();
        return FAULT_OK;
}

void
sup_reopen_logs(void)
{
        int r = log_reopen();
        if (r < 0)
                log_error("reopening the main log failed: %s, keeping the old file", strerror(-r));
        for (size_t i = 0; i < S.v_nprocs; i++) {
                struct proc *p = S.v_prio[i];
                if (p->log && (r = outlog_reopen(p->log)) < 0)
                        log_error("reopening the logs of '%s' failed: %s", p->cfg->name, strerror(-r));
        }
        log_info("supervisord logreopen");
}
