/* SPDX-License-Identifier: MIT */
/* cfg_diff — lookup by name and comparison of configs (reloadConfig's added/changed/
 * removed). Pure. */
#include "cfg/cfg.h"
#include "cfg/cfg_int.h"
#include "shared/util.h"

#include <stdlib.h>
#include <string.h>

/* --- lookups, comparison ---------------------------------------------------------------------- */

const struct cfg_group *
cfg_find_group(const struct cfg *cfg, const char *name)
{
        if (!cfg || !cfg->groups_by_name)
                return NULL;
        size_t lo = 0, hi = cfg->ngroups;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int r = strcmp(cfg->groups_by_name[mid]->name, name);
                if (!r)
                        return cfg->groups_by_name[mid];
                if (r < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

static bool
log_eq(const struct cfg_log *a, const struct cfg_log *b)
{
        return a->kind == b->kind && str_eq(a->path, b->path) && a->maxbytes == b->maxbytes &&
               a->backups == b->backups && a->capture_maxbytes == b->capture_maxbytes &&
               a->events_enabled == b->events_enabled && a->syslog == b->syslog;
}

static bool
argv_eq(char *const *a, char *const *b)
{
        if (!a || !b)
                return a == b;
        return strv_equal(a, b);
}

/* The value a "K=V" vector gives key (the last "K=" entry wins), or NULL. klen includes '='. */
static const char *
env_get(char *const *env, const char *key, size_t klen)
{
        const char *v = NULL;
        for (; env && *env; env++)
                if (!strncmp(*env, key, klen))
                        v = *env + klen;
        return v;
}

/* Environments compare as dicts (supervisord's ProcessConfig.environment): the same keys with the
 * same final values, in any order. O(n^2) on a handful of entries, only on reread. */
static bool
env_eq(char *const *a, char *const *b)
{
        for (int pass = 0; pass < 2; pass++) {
                char *const *x = pass ? b : a, *const *y = pass ? a : b;
                for (; x && *x; x++) {
                        const char *eq = strchr(*x, '=');
                        size_t klen = eq ? (size_t)(eq - *x) + 1 : strlen(*x);
                        if (!str_eq(env_get(pass ? b : a, *x, klen), env_get(y, *x, klen)))
                                return false;
                }
        }
        return true;
}

static bool
backoff_eq(const struct cfg_backoff *a, const struct cfg_backoff *b)
{
        return a->kind == b->kind && a->initial == b->initial && a->max == b->max && a->factor == b->factor &&
               a->jitter == b->jitter && a->reset == b->reset;
}

static bool
ready_eq(const struct cfg_ready *a, const struct cfg_ready *b)
{
        return a->kind == b->kind && !strcmp(a->arg ? a->arg : "", b->arg ? b->arg : "") &&
               a->port == b->port && a->fd == b->fd && a->timeout == b->timeout &&
               a->interval == b->interval && a->watchdog == b->watchdog;
}

static bool
proc_eq(const struct cfg_proc *a, const struct cfg_proc *b)
{
        return str_eq(a->name, b->name) && str_eq(a->group, b->group) && str_eq(a->program, b->program) &&
               a->process_num == b->process_num && str_eq(a->command, b->command) &&
               argv_eq(a->argv, b->argv) && str_eq(a->exec_path, b->exec_path) &&
               env_eq(a->environment, b->environment) && str_eq(a->directory, b->directory) &&
               a->umask == b->umask && str_eq(a->user, b->user) && a->has_uid == b->has_uid &&
               (!a->has_uid || (a->uid == b->uid && a->gid == b->gid && a->ngroups == b->ngroups &&
                                !memcmp(a->groups, b->groups, (size_t)a->ngroups * sizeof *a->groups))) &&
               a->priority == b->priority && a->autostart == b->autostart && a->startsecs == b->startsecs &&
               a->startretries == b->startretries &&
               backoff_eq(&a->backoff, &b->backoff) && ready_eq(&a->ready, &b->ready) && a->autorestart == b->autorestart &&
               !memcmp(a->exitcodes, b->exitcodes, sizeof a->exitcodes) && a->stopsignal == b->stopsignal &&
               a->stopwaitsecs == b->stopwaitsecs && a->stopasgroup == b->stopasgroup &&
               a->killasgroup == b->killasgroup && a->redirect_stderr == b->redirect_stderr &&
               a->pdeathsig == b->pdeathsig && log_eq(&a->out, &b->out) && log_eq(&a->err, &b->err) &&
               str_eq(a->serverurl, b->serverurl) && a->oneshot == b->oneshot &&
               argv_eq(a->depends_on, b->depends_on);
}

bool
cfg_group_equal(const struct cfg_group *a, const struct cfg_group *b)
{
        if (!str_eq(a->name, b->name) || a->priority != b->priority || a->nprocs != b->nprocs)
                return false;
        for (size_t i = 0; i < a->nprocs; i++)
                if (!proc_eq(a->procs[i], b->procs[i]))
                        return false;
        return true;
}

void
cfg_diff(const struct cfg *old, const struct cfg *new, struct cfg_diff *ret)
{
        memset(ret, 0, sizeof *ret);
        size_t no = old ? old->ngroups : 0, nn = new ? new->ngroups : 0;
        ret->added = xcalloc(nn + 1, sizeof *ret->added);
        ret->changed = xcalloc(nn + 1, sizeof *ret->changed);
        ret->removed = xcalloc(no + 1, sizeof *ret->removed);
        for (size_t i = 0; i < nn; i++) {
                const struct cfg_group *g = new->groups[i];
                const struct cfg_group *o = cfg_find_group(old, g->name);
                if (!o)
                        ret->added[ret->nadded++] = g->name;
                else if (!cfg_group_equal(o, g))
                        ret->changed[ret->nchanged++] = g->name;
        }
        for (size_t i = 0; i < no; i++)
                if (!cfg_find_group(new, old->groups[i]->name))
                        ret->removed[ret->nremoved++] = old->groups[i]->name;
        qsort(ret->added, ret->nadded, sizeof *ret->added, cmp_str);
        qsort(ret->changed, ret->nchanged, sizeof *ret->changed, cmp_str);
        qsort(ret->removed, ret->nremoved, sizeof *ret->removed, cmp_str);
}

void
cfg_diff_free(struct cfg_diff *d)
{
        if (!d)
                return;
        free(d->added);
        free(d->changed);
        free(d->removed);
        memset(d, 0, sizeof *d);
}
