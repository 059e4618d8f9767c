/* SPDX-License-Identifier: MIT */
/* procinfo — a proc as getProcessInfo shows it, and its presentation text. */
#include "core/procinfo.h"
#include "core/deps.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg/cfg.h"
#include "core/proc.h"
#include "core/ready.h"
#include "core/sup.h"
#include "shared/util.h"

/* Times are 32-bit ints on the XML-RPC wire; NaN is 0. */
static int64_t
capped(double t)
{
        if (!(t > -2147483648.0))
                return t != t ? 0 : INT32_MIN;
        if (t > 2147483647.0)
                return INT32_MAX;
        return (int64_t)t;
}

struct wait_text { char s[32]; };

/* "8 s" (whole seconds, rounded up) or "0.3 s" below a second. */
static struct wait_text
wait_text(double left)
{
        struct wait_text t;
        if (!(left > 0))
                left = 0;
        if (left > 999999)
                left = 999999;
        if (left < 1)
                snprintf(t.s, sizeof t.s, "%.1f s", ceil(left * 10) / 10);
        else
                snprintf(t.s, sizeof t.s, "%.0f s", ceil(left));
        return t;
}

const char *
procinfo_logfile(const struct proc *p, enum outlog_channel ch)
{
        const struct cfg_log *l = ch == OUTLOG_STDOUT ? &p->cfg->out : &p->cfg->err;
        if (l->kind == CFG_LOG_NONE)
                return "";
        if (l->kind == CFG_LOG_PATH && l->path)
                return l->path;
        const char *s = p->log ? outlog_path(p->log, ch) : NULL;
        return s ? s : "";
}

static const char *
group_of(const struct proc *p)
{
        return p->group ? p->group->name : p->cfg->group;
}

void
procinfo_init(struct procinfo *ret, const struct proc *p, double now)
{
        *ret = (struct procinfo){
                .name = p->cfg->name,
                .group = group_of(p),
                .namespec = procinfo_namespec(p),
                .state = proc_state_code(p->state),
                .statename = proc_state_name(p->state),
                .pid = (int)p->pid,
                .start = capped(p->start_time),
                .stop = capped(p->stop_time),
                .now = capped(now),
                .exitstatus = p->exitstatus,
                .spawnerr = p->spawnerr ? p->spawnerr : "",
                .description = procinfo_description(p, now),
                .stdout_logfile = procinfo_logfile(p, OUTLOG_STDOUT),
                .stderr_logfile = procinfo_logfile(p, OUTLOG_STDERR),
        };
}

void
procinfo_fini(struct procinfo *pi)
{
        free(pi->namespec);
        free(pi->description);
        *pi = (struct procinfo){ 0 };
}

char *
procinfo_namespec(const struct proc *p)
{
        const char *g = group_of(p);
        if (!g || !strcmp(g, p->cfg->name))
                return xstrdup(p->cfg->name);
        return xasprintf("%s:%s", g, p->cfg->name);
}

static char *describe(const struct proc *p, double now);

char *
procinfo_description(const struct proc *p, double now)
{
        char *d = describe(p, now);
        const char *st = ready_status(p);

        /* corral: the worker's own sd_notify STATUS= while it is up */
        if (st && (p->state == PROC_STARTING || p->state == PROC_RUNNING || p->state == PROC_STOPPING)) {
                char *both = *d ? xasprintf("%s; %s", d, st) : xstrdup(st);
                free(d);
                d = both;
        }
        return d;
}

static char *
describe(const struct proc *p, double now)
{
        switch (p->state) {
        case PROC_RUNNING: {
                /* like Python: whole seconds of both ends, then a timedelta */
                long long up = (long long)now - (long long)p->start_time;
                if (up < 0)
                        up = 0;
                long long days = up / 86400, s = up % 86400;
                if (days)
                        return xasprintf("pid %d, uptime %lld day%s, %lld:%02lld:%02lld", (int)p->pid, days,
                                         days == 1 ? "" : "s", s / 3600, s / 60 % 60, s % 60);
                return xasprintf("pid %d, uptime %lld:%02lld:%02lld", (int)p->pid, s / 3600, s / 60 % 60,
                                 s % 60);
        }
        case PROC_FATAL:
        case PROC_BACKOFF: {
                char *why = p->spawnerr && *p->spawnerr
                        ? xstrdup(p->spawnerr) : xasprintf("unknown error (try \"tail %s\")", p->cfg->name);
                if (p->state == PROC_BACKOFF && p->backoff_step > 0) {
                        /* corral: when the next attempt comes (supervisorctl prints this as is) */
                        char *d = xasprintf("%s; retry %u in %s", why, p->backoff_step,
                                            wait_text(p->retry_mono - time_monotonic()).s);
                        free(why);
                        why = d;
                }
                return why;
        }
        case PROC_STOPPED:
        case PROC_EXITED: {
                char *note = deps_note(p);     /* "waiting for db", "dependency db is FATAL" */
                if (note)
                        return note;
                char buf[64];
                struct tm tm;
                time_t t = (time_t)p->stop_time;
                if ((long long)p->start_time == 0)
                        return xstrdup("Not started");
                if (!localtime_r(&t, &tm) || !strftime(buf, sizeof buf, "%b %d %I:%M %p", &tm))
                        return xstrdup("");
                return xstrdup(buf);
        }
        default:
                return xstrdup("");
        }
}
