/* SPDX-License-Identifier: MIT */
/* sup — the groups and processes of the config in force, O(1) name lookup, priority-ordered
 * start and stop, shutdown, in-place reload, and reread/add/remove for supervisorctl update. */
#include "core/sup.h"

#include <dirent.h>
#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

static struct ev_loop *sup_loop;
static char *config_path;
static bool resolve_users;
static void (*on_load)(struct cfg *cfg);
static void (*on_done)(void);
static void (*notify_hook)(const char *state);
static char *server_url;           /* SUPERVISOR_SERVER_URL of the first config (servers are not re-applied on reload) */
static enum sup_mood mood = SUP_RUNNING;

static struct cref *pinned, *cur, *readc;
static struct sgroup **groups;          /* start order */
static size_t ngroups;

/* Views and indices, rebuilt whenever the table changes. */
static struct proc **v_name, **v_prio;
static struct proc_group **v_groups;
static size_t v_nprocs;
static struct strmap h_procs, h_groups;     /* "group:name" → proc, name → sgroup */

/* Stop sequencing (shutdown or restart). */
static bool stopping;
static struct sgroup **stop_list;       /* reverse start order, snapshot */
static size_t stop_n, stop_idx;
static struct cfg *pending_cfg;         /* restart: the config to start on once all stopped */
static ev_timer kick_timer, report_timer;

static struct proc_env penv;

static void
notify(const char *state)
{
        if (notify_hook)
                notify_hook(state);
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
        if (ngroups)
                qsort(groups, ngroups, sizeof *groups, cmp_groups);
        size_t n = 0;
        for (size_t i = 0; i < ngroups; i++)
                n += groups[i]->g.nprocs;
        free(v_name);
        free(v_prio);
        free(v_groups);
        v_name = xcalloc(n + 1, sizeof *v_name);
        v_prio = xcalloc(n + 1, sizeof *v_prio);
        v_groups = xcalloc(ngroups + 1, sizeof *v_groups);
        strmap_reset(&h_procs, n);
        strmap_reset(&h_groups, ngroups);
        size_t k = 0;
        for (size_t i = 0; i < ngroups; i++) {
                struct sgroup *sg = groups[i];
                v_groups[i] = &sg->g;
                strmap_put(&h_groups, sg->g.name, sg);
                for (size_t j = 0; j < sg->g.nprocs; j++) {
                        v_prio[k++] = sg->g.procs[j];
                        strmap_put(&h_procs, sg->keys[j], sg->g.procs[j]);
                }
        }
        memcpy(v_name, v_prio, n * sizeof *v_name);
        qsort(v_name, n, sizeof *v_name, cmp_by_name);
        v_nprocs = n;
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
        groups = xcalloc(cfg->ngroups + 1, sizeof *groups);
        ngroups = cfg->ngroups;
        for (size_t i = 0; i < cfg->ngroups; i++)
                groups[i] = group_new(cfg->groups[i], ref);
        rebuild();
}

static void
groups_free(void)
{
        for (size_t i = 0; i < ngroups; i++)
                group_free(groups[i]);
        free(groups);
        groups = NULL;
        ngroups = 0;
        rebuild();
}

static void
start_group(struct sgroup *sg)
{
        for (size_t j = 0; j < sg->g.nprocs; j++) {
                struct proc *p = sg->g.procs[j];
                if (!p->cfg->autostart || p->state != PROC_STOPPED || p->start_time != 0)
                        continue;
                enum fault f = proc_start(p);
                if (f != FAULT_OK)
                        log_debug("autostart of '%s' failed: %s", sg->keys[j], fault_name(f));
        }
}

/* --- leftovers: everything still descending from us once the workers are stopped ------------ */

struct pp {
        pid_t pid, ppid;
};

static int
cmp_pp(const void *a, const void *b)
{
        pid_t x = ((const struct pp *)a)->pid, y = ((const struct pp *)b)->pid;
        return (x > y) - (x < y);
}

/* SIGKILL every live descendant of this process (process-group members a worker left behind,
 * orphans we adopted as subreaper). One /proc scan, only at the end of a stop sequence.
 * Returns how many were signalled. */
static size_t
kill_descendants(void)
{
        DIR *d = opendir("/proc");
        if (!d)
                return 0;
        struct pp *v = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                long pid;
                if (parse_long(de->d_name, &pid) < 0 || pid <= 0)
                        continue;
                char path[64], buf[512];
                snprintf(path, sizeof path, "/proc/%ld/stat", pid);
                FILE *f = fopen(path, "re");
                if (!f)
                        continue;
                size_t len = fread(buf, 1, sizeof buf - 1, f);
                fclose(f);
                buf[len] = '\0';
                char *rp = strrchr(buf, ')');
                char st;
                int ppid;
                if (!rp || sscanf(rp + 1, " %c %d", &st, &ppid) != 2 || st == 'Z')
                        continue;
                if (n == cap) {
                        cap = cap ? 2 * cap : 256;
                        v = xrealloc(v, cap * sizeof *v);
                }
                v[n++] = (struct pp){ (pid_t)pid, (pid_t)ppid };
        }
        closedir(d);

        /* Resolve each process's ancestry once (memoized walk up the ppid chain over a table
         * sorted by pid): O(n log n) for the whole scan. */
        if (n == 0) {
                free(v);
                return 0;
        }
        qsort(v, n, sizeof *v, cmp_pp);
        unsigned char *mark = xcalloc(n + 1, 1);       /* 0 unknown, 1 descendant, 2 not */
        size_t *chain = xcalloc(n + 1, sizeof *chain);
        pid_t self = getpid();
        size_t count = 0;
        for (size_t i = 0; i < n; i++) {
                size_t len = 0, k = i;
                unsigned char verdict = 2;
                while (len <= n) {
                        if (mark[k]) {
                                verdict = mark[k];
                                break;
                        }
                        chain[len++] = k;
                        if (v[k].ppid == self) {
                                verdict = 1;
                                break;
                        }
                        struct pp key = { v[k].ppid, 0 };
                        struct pp *parent = v[k].ppid > 0 ? bsearch(&key, v, n, sizeof *v, cmp_pp) : NULL;
                        if (!parent || v[k].pid == self)
                                break;
                        k = (size_t)(parent - v);
                }
                for (size_t j = 0; j < len; j++)
                        mark[chain[j]] = verdict;
        }
        for (size_t i = 0; i < n; i++)
                if (mark[i] == 1 && v[i].pid != self) {
                        count++;
                        log_debug("killing leftover process %ld with SIGKILL", (long)v[i].pid);
                        (void)kill(v[i].pid, SIGKILL);
                }
        free(chain);
        free(mark);
        free(v);
        return count;
}

/* --- stop sequencing ---------------------------------------------------------------------- */

static void
report_unstopped(void)
{
        size_t len = 0;
        char *names = NULL;
        for (size_t i = 0; i < v_nprocs; i++) {
                struct proc *p = v_prio[i];
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
        while (stopping && stop_idx < stop_n) {
                struct sgroup *sg = stop_list[stop_idx];
                bool done = true;
                /* Reverse start order inside the group too (supervisord stops c, b, a). */
                for (size_t j = sg->g.nprocs; j-- > 0;) {
                        struct proc *p = sg->g.procs[j];
                        if (proc_state_is_running(p->state)) {
                                enum fault f = proc_stop(p);
                                if (f != FAULT_OK && f != FAULT_NOT_RUNNING)
                                        log_warn("stopping '%s' failed: %s", sg->keys[j], fault_name(f));
                        }
                        if (!proc_state_is_stopped(p->state))
                                done = false;
                }
                if (!done)
                        return;
                stop_idx++;
        }
        if (stopping)
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
        ev_timer_stop(sup_loop, &kick_timer);
        ev_timer_set(&kick_timer, 0., 0.);
        ev_timer_start(sup_loop, &kick_timer);
}

static void
sup_on_proc_change(struct proc_watch *w, struct proc *p, enum proc_state from, enum proc_state to)
{
        (void)w;
        (void)p;
        (void)from;
        if (stopping && proc_state_is_stopped(to))
                kick();
}

static void
stop_begin(void)
{
        proc_set_autorestart(false);
        stopping = true;
        free(stop_list);
        stop_n = ngroups;
        stop_list = xcalloc(stop_n + 1, sizeof *stop_list);
        for (size_t i = 0; i < ngroups; i++)
                stop_list[i] = groups[ngroups - 1 - i];
        stop_idx = 0;
        ev_timer_set(&report_timer, 1., 1.);
        ev_timer_start(sup_loop, &report_timer);
        stop_step();
        if (stopping)
                report_unstopped();
}

static void
stop_finish(void)
{
        stopping = false;
        ev_timer_stop(sup_loop, &report_timer);
        ev_timer_stop(sup_loop, &kick_timer);
        free(stop_list);
        stop_list = NULL;
        stop_n = stop_idx = 0;
        (void)kill_descendants();

        if (mood == SUP_SHUTDOWN) {
                pending_cfg = cfg_free(pending_cfg);
                if (on_done)
                        on_done();
                return;
        }
        /* Restart: rebuild everything on the new config, same pid. */
        groups_free();
        cref_put(cur);
        cref_put(readc);
        cur = cref_new(pending_cfg);
        pending_cfg = NULL;
        readc = cref_get(cur);
        /* As at startup (supervisord clears them on every restart): the old processes' AUTO
         * logs are closed now, and the new processes get fresh names. */
        if (!cur->cfg->sd.nocleanup && penv.childlogdir)
                outlog_cleanup_auto(penv.childlogdir, penv.identifier ? penv.identifier : "supervisor");
        enum log_level level;
        if (cur->cfg->sd.loglevel && log_level_parse(cur->cfg->sd.loglevel, &level) == 0)
                log_set_level(level);
        groups_build(cur);
        mood = SUP_RUNNING;
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
        sup_loop = loop;
        free(config_path);
        config_path = opt->config_path ? xstrdup(opt->config_path) : xstrdup(cfg->path);
        resolve_users = opt->resolve_users;
        on_load = opt->on_load;
        notify_hook = opt->notify;
        mood = SUP_RUNNING;
        ev_timer_init(&kick_timer, sup_on_kick, 0., 0.);
        ev_timer_init(&report_timer, sup_on_report, 1., 1.);

        pinned = cref_new(cfg);
        cur = cref_get(pinned);
        readc = cref_get(cur);

        penv = (struct proc_env){
                .loop = loop,
                .server_url = server_url = cfg_server_url(cfg),
                .childlogdir = cfg->sd.childlogdir,
                .identifier = cfg->sd.identifier,
                .strip_ansi = cfg->sd.strip_ansi,
        };
        proc_setup(&penv);
        proc_set_autorestart(true);
        groups_build(cur);
        return 0;
}

void
sup_autostart(void)
{
        if (mood != SUP_RUNNING)
                return;
        for (size_t i = 0; i < ngroups; i++)
                start_group(groups[i]);
}

void
sup_fini(void)
{
        if (!sup_loop)
                return;
        ev_timer_stop(sup_loop, &report_timer);
        ev_timer_stop(sup_loop, &kick_timer);
        /* The loop has ended, so libev reaps nothing more: kill and reap what is left ourselves,
         * for a bounded time (a process in uninterruptible sleep must not hang us forever). */
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        double deadline = time_monotonic() + 3.0;
        for (;;) {
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
                if (kill_descendants() == 0 || time_monotonic() > deadline)
                        break;
                nanosleep(&ts, NULL);
        }
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
        groups_free();
        free(v_name);
        free(v_prio);
        free(v_groups);
        v_name = v_prio = NULL;
        v_groups = NULL;
        strmap_free(&h_procs);
        strmap_free(&h_groups);
        free(stop_list);
        stop_list = NULL;
        pending_cfg = cfg_free(pending_cfg);
        cur = cref_put(cur);
        readc = cref_put(readc);
        pinned = cref_put(pinned);
        free(config_path);
        config_path = NULL;
        free(server_url);
        server_url = NULL;
        sup_loop = NULL;
}

enum sup_mood
sup_mood(void)
{
        return mood;
}

const struct cfg *
sup_cfg(void)
{
        return cur ? cur->cfg : NULL;
}

const struct cfg *
sup_cfg_read(void)
{
        return readc ? readc->cfg : sup_cfg();
}

struct proc *
sup_find_proc(const char *namespec)
{
        if (!namespec)
                return NULL;
        const char *colon = strchr(namespec, ':');
        if (!colon) {
                size_t l = strlen(namespec);
                return strmap_get2(&h_procs, namespec, l, namespec, l);
        }
        const char *name = colon + 1;
        if (!strcmp(name, "*"))
                return NULL;
        return strmap_get2(&h_procs, namespec, (size_t)(colon - namespec), name, strlen(name));
}

struct proc_group *
sup_find_group(const char *name)
{
        if (!name)
                return NULL;
        struct sgroup *sg = strmap_get2(&h_groups, name, strlen(name), NULL, 0);
        return sg ? &sg->g : NULL;
}

size_t
sup_procs_by_name(struct proc *const **ret)
{
        *ret = v_name;
        return v_nprocs;
}

size_t
sup_procs_by_priority(struct proc *const **ret)
{
        *ret = v_prio;
        return v_nprocs;
}

size_t
sup_groups(struct proc_group *const **ret)
{
        *ret = v_groups;
        return ngroups;
}

void
sup_set_on_done(void (*fn)(void))
{
        on_done = fn;
}

void
sup_shutdown(void)
{
        if (mood == SUP_SHUTDOWN || !sup_loop)
                return;
        mood = SUP_SHUTDOWN;
        notify("STOPPING=1");
        if (stopping)
                return;         /* a restart is stopping everything already; it will end here */
        stop_begin();
}

/* Load the config file again, with main's overrides. NULL and *ret_err on failure. */
static struct cfg *
load_again(char **ret_err)
{
        struct cfg_load_options o = {
                .path = config_path,
                .resolve_users = resolve_users,
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
                        *ret_err = msg ? msg : xasprintf("could not read '%s'", config_path);
                else
                        free(msg);
                return NULL;
        }
        cfg_errors_clear(&errs);
        for (size_t i = 0; i < cfg->nwarnings; i++)
                log_warn("%s", cfg->warnings[i]);
        if (on_load)
                on_load(cfg);
        return cfg;
}

enum fault
sup_restart(char **ret_err)
{
        if (ret_err)
                *ret_err = NULL;
        if (mood != SUP_RUNNING || !sup_loop) {
                if (ret_err)
                        *ret_err = xstrdup("shutdown or restart already in progress");
                return FAULT_SHUTDOWN_STATE;
        }
        struct cfg *cfg = load_again(ret_err);
        if (!cfg)
                return FAULT_CANT_REREAD;
        pending_cfg = cfg;
        mood = SUP_RESTARTING;
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
        cref_put(readc);
        readc = cref_new(cfg);

        /* Diff against the groups in force (which may come from several configs after add). */
        struct cfg_diff *d = ret_diff;
        d->added = xcalloc(cfg->ngroups + 1, sizeof *d->added);
        d->changed = xcalloc(cfg->ngroups + 1, sizeof *d->changed);
        d->removed = xcalloc(ngroups + 1, sizeof *d->removed);
        for (size_t i = 0; i < cfg->ngroups; i++) {
                const struct cfg_group *ng = cfg->groups[i];
                struct proc_group *g = sup_find_group(ng->name);
                if (!g)
                        d->added[d->nadded++] = ng->name;
                else if (!cfg_group_equal(g->cfg, ng))
                        d->changed[d->nchanged++] = ng->name;
        }
        for (size_t i = 0; i < ngroups; i++)
                if (!cfg_find_group(cfg, groups[i]->g.name))
                        d->removed[d->nremoved++] = groups[i]->g.name;
        qsort(d->added, d->nadded, sizeof *d->added, cmp_str);
        qsort(d->changed, d->nchanged, sizeof *d->changed, cmp_str);
        qsort(d->removed, d->nremoved, sizeof *d->removed, cmp_str);
        return FAULT_OK;
}

enum fault
sup_add_group(const char *name)
{
        if (mood != SUP_RUNNING)
                return FAULT_SHUTDOWN_STATE;
        const struct cfg_group *gc = readc ? cfg_find_group(readc->cfg, name) : NULL;
        if (!gc)
                return FAULT_BAD_NAME;
        if (sup_find_group(name))
                return FAULT_ALREADY_ADDED;
        struct sgroup *sg = group_new(gc, readc);
        groups = xrealloc(groups, (ngroups + 2) * sizeof *groups);
        groups[ngroups++] = sg;
        rebuild();
        log_info("added process group '%s'", name);
        start_group(sg);
        return FAULT_OK;
}

enum fault
sup_remove_group(const char *name)
{
        if (mood != SUP_RUNNING)
                return FAULT_SHUTDOWN_STATE;
        struct proc_group *g = sup_find_group(name);
        if (!g)
                return FAULT_BAD_NAME;
        for (size_t i = 0; i < g->nprocs; i++)
                if (!proc_state_is_stopped(g->procs[i]->state) || g->procs[i]->pid)
                        return FAULT_STILL_RUNNING;
        struct sgroup *sg = container_of(g, struct sgroup, g);
        size_t k = 0;
        for (size_t i = 0; i < ngroups; i++)
                if (groups[i] != sg)
                        groups[k++] = groups[i];
        ngroups = k;
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
        for (size_t i = 0; i < v_nprocs; i++) {
                struct proc *p = v_prio[i];
                if (p->log && (r = outlog_reopen(p->log)) < 0)
                        log_error("reopening the logs of '%s' failed: %s", p->cfg->name, strerror(-r));
        }
        log_info("supervisord logreopen");
}
