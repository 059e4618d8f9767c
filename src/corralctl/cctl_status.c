/* SPDX-License-Identifier: MIT */
/* cctl_status — status: every process from corrald's JSON API or getAllProcessInfo, filtered by
 * names, printed as supervisorctl's table or as --json. */
#include "corralctl/cctl.h"
#include "corralctl/cctl_call.h"
#include "corralctl/cctl_cmd.h"
#include "corralctl/cctl_text.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "shared/proc_state.h"
#include "shared/util.h"

/* supervisorctl's "state in STOPPED_STATES": a code supervisord does not have is no state. */
static bool
is_stopped_state(int64_t code)
{
        enum proc_state s = proc_state_from_code((long)code);
        return proc_state_code(s) == code && proc_state_is_stopped(s);
}

/* getAllProcessInfo's array as cctl_pinfos (borrowing from v, which it takes). */
static void
pinfos_from_xml(struct cctl_pinfos *ret, struct xr_value *v)
{
        memset(ret, 0, sizeof *ret);
        size_t n = cctl_arr_len(v);
        ret->v = xcalloc(n + 1, sizeof *ret->v);
        for (size_t i = 0; i < n; i++) {
                const struct xr_value *info = xr_array_get(v, i);
                ret->v[i] = (struct cctl_pinfo){
                        .name = cctl_vstr(info, "name"),
                        .group = cctl_vstr(info, "group"),
                        .statename = cctl_vstr(info, "statename"),
                        .description = cctl_vstr(info, "description"),
                        .spawnerr = cctl_vstr(info, "spawnerr"),
                        .stdout_logfile = cctl_vstr(info, "stdout_logfile"),
                        .stderr_logfile = cctl_vstr(info, "stderr_logfile"),
                        .state = cctl_vint(info, "state"),
                        .pid = cctl_vint(info, "pid"),
                        .start = cctl_vint(info, "start"),
                        .stop = cctl_vint(info, "stop"),
                        .now = cctl_vint(info, "now"),
                        .exitstatus = cctl_vint(info, "exitstatus"),
                };
        }
        ret->n = n;
        ret->xml = v;
}

/* Every process: from corrald's JSON API when it answers, else as supervisorctl does it (cctl_upcheck,
 * then getAllProcessInfo). 1 with *ret filled; 0 when the cctl_upcheck printed why not (exit status
 * set); -1 with an exception raised. */
int
cctl_all_process_info(struct cctl *c, struct cctl_pinfos *ret)
{
        if (cctl_json_status(c, ret))
                return 1;
        bool ok;
        if (cctl_upcheck(c, &ok) < 0)
                return -1;
        if (!ok)
                return 0;
        struct xr_value *v;
        int rc = cctl_rpc(c, "supervisor.getAllProcessInfo", NULL, &v);
        if (rc > 0)
                return cctl_raise_fault(c, rc, c->fault_string);
        if (rc < 0)
                return -1;
        pinfos_from_xml(ret, v);
        return 1;
}

static json_t *
pinfo_json(const struct cctl_pinfo *info)
{
        char *ns = cctl_namespec_make(info->group, info->name);
        json_t *o = json_object();
        json_object_set_new(o, "name", cctl_jstr(ns));
        json_object_set_new(o, "group", cctl_jstr(info->group));
        json_object_set_new(o, "process", cctl_jstr(info->name));
        json_object_set_new(o, "state", cctl_jstr(info->statename));
        json_object_set_new(o, "statecode", json_integer(info->state));
        json_object_set_new(o, "pid", json_integer(info->pid));
        json_object_set_new(o, "description", cctl_jstr(info->description));
        json_object_set_new(o, "start", json_integer(info->start));
        json_object_set_new(o, "stop", json_integer(info->stop));
        json_object_set_new(o, "now", json_integer(info->now));
        json_object_set_new(o, "exitstatus", json_integer(info->exitstatus));
        json_object_set_new(o, "spawnerr", cctl_jstr(info->spawnerr));
        json_object_set_new(o, "stdout_logfile", cctl_jstr(info->stdout_logfile));
        json_object_set_new(o, "stderr_logfile", cctl_jstr(info->stderr_logfile));
        free(ns);
        return o;
}

int
cctl_do_status(struct cctl *c, const char *arg)
{
        struct cctl_pinfos all;
        int rc = cctl_all_process_info(c, &all);
        if (rc == 0)
                c->exitstatus = 4;
        if (rc <= 0)
                return rc;
        size_t n = all.n;
        const struct cctl_pinfo **match = xcalloc(n + 1, sizeof *match);
        size_t nm = 0;
        struct cctl_words w;
        cctl_words_split(arg, &w);
        if (w.n == 0 || cctl_words_has(&w, "all")) {
                for (size_t i = 0; i < n; i++)
                        match[nm++] = &all.v[i];
        } else {
                for (size_t k = 0; k < w.n; k++) {
                        char *g, *p;
                        cctl_namespec_split(w.v[k], &g, &p);
                        bool bad = true;
                        for (size_t i = 0; i < n; i++) {
                                const struct cctl_pinfo *info = &all.v[i];
                                bool m = strcmp(info->group, g) == 0;
                                if (p)
                                        m = m && strcmp(info->name, p) == 0;
                                if (m) {
                                        bad = false;
                                        match = xrealloc(match, (nm + 1) * sizeof *match);
                                        match[nm++] = info;
                                }
                        }
                        if (bad) {
                                if (!p)
                                        cctl_output(c, "%s: ERROR (no such group)", g);
                                else
                                        cctl_output(c, "%s: ERROR (no such process)", w.v[k]);
                                c->exitstatus = CCTL_EXIT_INSUFFICIENT;
                        }
                        free(g);
                        free(p);
                }
        }
        cctl_words_free(&w);
        if (c->json) {
                json_t *a = json_array();
                for (size_t i = 0; i < nm; i++)
                        json_array_append_new(a, pinfo_json(match[i]));
                cctl_json_print(a);
        } else {
                size_t maxlen = 30;
                char **specs = xcalloc(nm + 1, sizeof *specs);
                for (size_t i = 0; i < nm; i++) {
                        specs[i] = cctl_namespec_make(match[i]->group, match[i]->name);
                        size_t l = cctl_u8len(specs[i]);
                        if (l > maxlen)
                                maxlen = l;
                }
                for (size_t i = 0; i < nm; i++) {
                        cctl_pad(stdout, specs[i], maxlen + 3);
                        cctl_pad(stdout, match[i]->statename, 10);
                        fputs(match[i]->description, stdout);
                        fputc('\n', stdout);
                        free(specs[i]);
                }
                free(specs);
        }
        for (size_t i = 0; i < nm; i++)
                if (is_stopped_state(match[i]->state))
                        c->exitstatus = CCTL_EXIT_UNIMPLEMENTED;
        free(match);
        cctl_pinfos_free(&all);
        return 0;
}
