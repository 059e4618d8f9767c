/* SPDX-License-Identifier: MIT */
/* cctl_pid — pid: the daemon's (getPID), named processes' (getProcessInfo) or every process's. */
#include "corralctl/cctl.h"
#include "corralctl/cctl_call.h"
#include "corralctl/cctl_cmd.h"
#include "corralctl/cctl_text.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "shared/fault.h"
#include "shared/util.h"

static void
pid_all(struct cctl *c, const struct cctl_pinfos *all)
{
        json_t *o = c->json ? json_object() : NULL;
        for (size_t i = 0; i < all->n; i++) {
                const struct cctl_pinfo *info = &all->v[i];
                if (o) {
                        char *ns = cctl_namespec_make(info->group, info->name);
                        cctl_jset(o, ns, json_integer(info->pid));
                        free(ns);
                } else
                        printf("%" PRId64 "\n", info->pid);
        }
        if (o)
                cctl_json_print(o);
}

int
cctl_do_pid(struct cctl *c, const char *arg)
{
        struct cctl_words w;
        cctl_words_split(arg, &w);
        if (w.n > 0 && cctl_words_has(&w, "all")) {
                /* pid all: getAllProcessInfo, or the JSON API, after the same cctl_upcheck */
                struct cctl_pinfos all;
                int rc = cctl_all_process_info(c, &all);
                cctl_words_free(&w);
                if (rc <= 0)
                        return rc;
                pid_all(c, &all);
                cctl_pinfos_free(&all);
                return 0;
        }
        bool ok;
        int urc = cctl_upcheck(c, &ok);
        if (urc < 0 || !ok) {
                cctl_words_free(&w);
                return urc < 0 ? -1 : 0;
        }
        struct xr_value *v = NULL;
        int rc = 0;
        if (w.n == 0) {
                rc = cctl_rpc(c, "supervisor.getPID", NULL, &v);
                if (rc == 0) {
                        char *s = cctl_py_str(v);
                        if (c->json) {
                                json_t *o = json_object();
                                json_object_set_new(o, "supervisord",
                                                    v && v->type == XR_INT ? json_integer(v->i)
                                                                           : cctl_jstr(s));
                                cctl_json_print(o);
                        } else
                                printf("%s\n", s);
                        free(s);
                }
        } else {
                json_t *o = c->json ? json_object() : NULL;
                for (size_t k = 0; k < w.n && rc >= 0; k++) {
                        rc = cctl_rpc(c, "supervisor.getProcessInfo", cctl_params(1, xr_string(w.v[k])), &v);
                        if (rc > 0) {
                                c->exitstatus = CCTL_EXIT_GENERIC;
                                if (rc != FAULT_BAD_NAME) {
                                        rc = cctl_raise_fault(c, rc, c->fault_string);
                                        break;
                                }
                                cctl_output(c, "No such process %s", w.v[k]);
                                rc = 0;
                                continue;
                        }
                        if (rc < 0)
                                break;
                        int64_t pid = cctl_vint(v, "pid");
                        if (o)
                                cctl_jset(o, w.v[k], json_integer(pid));
                        else
                                printf("%" PRId64 "\n", pid);
                        if (pid == 0)
                                c->exitstatus = CCTL_EXIT_NOT_RUNNING;
                        xr_free(v);
                        v = NULL;
                }
                if (o)
                        cctl_json_print(o);
        }
        if (rc > 0)
                rc = cctl_raise_fault(c, rc, c->fault_string);
        xr_free(v);
        cctl_words_free(&w);
        return rc < 0 ? -1 : 0;
}
