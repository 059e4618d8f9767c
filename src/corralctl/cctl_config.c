/* SPDX-License-Identifier: MIT */
/* cctl_config — the commands about the daemon's configuration and the daemon itself: reread,
 * update, add, remove, avail, reload and shutdown. */
#include "corralctl/cctl.h"
#include "corralctl/cctl_call.h"
#include "corralctl/cctl_cmd.h"
#include "corralctl/cctl_text.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "shared/fault.h"
#include "shared/util.h"

static bool
confirm(struct cctl *c, const char *question)
{
        if (!c->interactive)
                return true;
        char *a = cctl_readline(question);
        bool yes = a && (a[0] == 'y' || a[0] == 'Y');
        free(a);
        return yes;
}

int
cctl_do_shutdown(struct cctl *c, const char *arg)
{
        (void)arg;              /* none: the command table checks */
        if (!confirm(c, "Really shut the remote supervisord process down y/N? "))
                return 0;
        int rc = cctl_rpc(c, "supervisor.shutdown", NULL, NULL);
        if (rc == FAULT_SHUTDOWN_STATE) {
                cctl_output(c, "ERROR: already shutting down");
                return 0;
        }
        if (rc > 0) {
                c->exitstatus = CCTL_EXIT_GENERIC;
                return cctl_raise_fault(c, rc, c->fault_string);
        }
        if (rc < 0) {
                if (c->exc_errno == ECONNREFUSED || c->exc_errno == ENOENT) {
                        c->exitstatus = CCTL_EXIT_GENERIC;
                        cctl_output(c, "ERROR: %s %s (already shut down?)", c->serverurl,
                                    c->exc_errno == ENOENT ? "no such file" : "refused connection");
                        return 0;
                }
                if (c->exc_errno)
                        c->exitstatus = CCTL_EXIT_GENERIC;
                return -1;
        }
        cctl_output(c, "Shut down");
        return 0;
}

int
cctl_do_reload(struct cctl *c, const char *arg)
{
        (void)arg;              /* none: the command table checks */
        if (!confirm(c, "Really restart the remote supervisord process y/N? "))
                return 0;
        int rc = cctl_rpc(c, "supervisor.restart", NULL, NULL);
        if (rc > 0) {
                c->exitstatus = CCTL_EXIT_GENERIC;
                if (rc == FAULT_SHUTDOWN_STATE) {
                        cctl_output(c, "ERROR: already shutting down");
                        return 0;
                }
                return cctl_raise_fault(c, rc, c->fault_string);
        }
        if (rc < 0)
                return -1;
        cctl_output(c, "Restarted supervisord");
        return 0;
}

int
cctl_do_avail(struct cctl *c, const char *arg)
{
        (void)arg;              /* none: the command table checks */
        struct xr_value *v;
        int rc = cctl_rpc(c, "supervisor.getAllConfigInfo", NULL, &v);
        if (rc > 0) {
                c->exitstatus = CCTL_EXIT_GENERIC;
                if (rc == FAULT_SHUTDOWN_STATE) {
                        cctl_output(c, "ERROR: supervisor shutting down");
                        return 0;
                }
                return cctl_raise_fault(c, rc, c->fault_string);
        }
        if (rc < 0)
                return -1;
        json_t *a = c->json ? json_array() : NULL;
        for (size_t i = 0; i < cctl_arr_len(v); i++) {
                const struct xr_value *ci = xr_array_get(v, i);
                char *ns = cctl_namespec_make(cctl_vstr(ci, "group"), cctl_vstr(ci, "name"));
                bool inuse = cctl_vint(ci, "inuse") != 0, autostart = cctl_vint(ci, "autostart") != 0;
                if (a) {
                        json_t *o = json_object();
                        json_object_set_new(o, "name", cctl_jstr(ns));
                        json_object_set_new(o, "group", cctl_jstr(cctl_vstr(ci, "group")));
                        json_object_set_new(o, "process", cctl_jstr(cctl_vstr(ci, "name")));
                        json_object_set_new(o, "inuse", json_boolean(inuse));
                        json_object_set_new(o, "autostart", json_boolean(autostart));
                        json_object_set_new(o, "group_prio", json_integer(cctl_vint(ci, "group_prio")));
                        json_object_set_new(o, "process_prio",
                                            json_integer(cctl_vint(ci, "process_prio")));
                        json_array_append_new(a, o);
                } else {
                        char *prio = xasprintf("%" PRId64 ":%" PRId64, cctl_vint(ci, "group_prio"),
                                               cctl_vint(ci, "process_prio"));
                        cctl_pad(stdout, ns, 32);
                        fputc(' ', stdout);
                        cctl_pad(stdout, inuse ? "in use" : "avail", 9);
                        fputc(' ', stdout);
                        cctl_pad(stdout, autostart ? "auto" : "manual", 9);
                        printf(" %s\n", prio);
                        free(prio);
                }
                free(ns);
        }
        if (a)
                cctl_json_print(a);
        xr_free(v);
        return 0;
}

/* reloadConfig → borrowed added/changed/removed arrays inside *ret. */
static int
reload_config(struct cctl *c, struct xr_value **ret, const struct xr_value *acr[3])
{
        int rc = cctl_rpc(c, "supervisor.reloadConfig", NULL, ret);
        if (rc != 0)
                return rc;
        const struct xr_value *inner = xr_array_get(*ret, 0);
        for (int i = 0; i < 3; i++)
                acr[i] = xr_array_get(inner, (size_t)i);
        return 0;
}

int
cctl_do_reread(struct cctl *c, const char *arg)
{
        (void)arg;              /* none: the command table checks */
        struct xr_value *v;
        const struct xr_value *acr[3];
        int rc = reload_config(c, &v, acr);
        if (rc > 0) {
                c->exitstatus = CCTL_EXIT_GENERIC;
                if (rc == FAULT_SHUTDOWN_STATE)
                        cctl_output(c, "ERROR: supervisor shutting down");
                else if (rc == FAULT_CANT_REREAD)
                        cctl_output(c, "ERROR: %s", c->fault_string);
                else
                        return cctl_raise_fault(c, rc, c->fault_string);
                return 0;
        }
        if (rc < 0)
                return -1;
        static const char *const label[] = { "available", "changed", "disappeared" };
        static const char *const jkey[] = { "added", "changed", "removed" };
        if (c->json) {
                json_t *o = json_object();
                for (int k = 0; k < 3; k++) {
                        json_t *names = json_array();
                        for (size_t i = 0; i < cctl_arr_len(acr[k]); i++) {
                                const struct xr_value *e = xr_array_get(acr[k], i);
                                json_array_append_new(names, cctl_jstr(e && e->type == XR_STRING
                                                                  ? e->str.s : ""));
                        }
                        json_object_set_new(o, jkey[k], names);
                }
                cctl_json_print(o);
                xr_free(v);
                return 0;
        }
        /* a dict name → label, later kinds winning; printed sorted by name */
        size_t n = cctl_arr_len(acr[0]) + cctl_arr_len(acr[1]) + cctl_arr_len(acr[2]);
        char **lines = xcalloc(n + 1, sizeof *lines);
        size_t nl = 0;
        for (int k = 0; k < 3; k++)
                for (size_t i = 0; i < cctl_arr_len(acr[k]); i++) {
                        const struct xr_value *e = xr_array_get(acr[k], i);
                        const char *name = e && e->type == XR_STRING ? e->str.s : "";
                        size_t nlen = strlen(name);
                        bool dup = false;
                        for (size_t j = 0; j < nl; j++)
                                if (strncmp(lines[j], name, nlen) == 0 && lines[j][nlen] == ':' &&
                                    lines[j][nlen + 1] == ' ') {
                                        free(lines[j]);
                                        lines[j] = xasprintf("%s: %s", name, label[k]);
                                        dup = true;
                                }
                        if (!dup)
                                lines[nl++] = xasprintf("%s: %s", name, label[k]);
                }
        if (nl == 0)
                cctl_output(c, "No config updates to processes");
        /* sorting "name: label" sorts by name unless one name is a prefix followed by a char
         * below ':'; compare names only */
        for (size_t i = 0; i < nl; i++)
                for (size_t j = i + 1; j < nl; j++) {
                        size_t li = strcspn(lines[i], ":"), lj = strcspn(lines[j], ":");
                        char *a = xstrndup(lines[i], li), *b = xstrndup(lines[j], lj);
                        if (strcmp(a, b) > 0) {
                                char *t = lines[i];
                                lines[i] = lines[j];
                                lines[j] = t;
                        }
                        free(a);
                        free(b);
                }
        for (size_t i = 0; i < nl; i++) {
                cctl_output(c, "%s", lines[i]);
                free(lines[i]);
        }
        free(lines);
        xr_free(v);
        return 0;
}

int
cctl_do_add(struct cctl *c, const char *arg)
{
        struct cctl_words w;
        cctl_words_split(arg, &w);
        int rc = 0;
        for (size_t i = 0; i < w.n && rc >= 0; i++) {
                rc = cctl_rpc(c, "supervisor.addProcessGroup", cctl_params(1, xr_string(w.v[i])), NULL);
                if (rc == 0)
                        cctl_output(c, "%s: added process group", w.v[i]);
                else if (rc == FAULT_SHUTDOWN_STATE) {
                        cctl_output(c, "ERROR: shutting down");
                        c->exitstatus = CCTL_EXIT_GENERIC;
                } else if (rc == FAULT_ALREADY_ADDED)
                        cctl_output(c, "ERROR: process group already active");
                else if (rc == FAULT_BAD_NAME) {
                        cctl_output(c, "ERROR: no such process/group: %s", w.v[i]);
                        c->exitstatus = CCTL_EXIT_GENERIC;
                } else if (rc > 0) {
                        c->exitstatus = CCTL_EXIT_GENERIC;
                        rc = cctl_raise_fault(c, rc, c->fault_string);
                }
        }
        cctl_words_free(&w);
        return rc < 0 ? -1 : 0;
}

int
cctl_do_remove(struct cctl *c, const char *arg)
{
        struct cctl_words w;
        cctl_words_split(arg, &w);
        int rc = 0;
        for (size_t i = 0; i < w.n && rc >= 0; i++) {
                rc = cctl_rpc(c, "supervisor.removeProcessGroup", cctl_params(1, xr_string(w.v[i])), NULL);
                if (rc == 0)
                        cctl_output(c, "%s: removed process group", w.v[i]);
                else if (rc > 0) {
                        c->exitstatus = CCTL_EXIT_GENERIC;
                        if (rc == FAULT_STILL_RUNNING)
                                cctl_output(c, "ERROR: process/group still running: %s", w.v[i]);
                        else if (rc == FAULT_BAD_NAME)
                                cctl_output(c, "ERROR: no such process/group: %s", w.v[i]);
                        else
                                rc = cctl_raise_fault(c, rc, c->fault_string);
                }
        }
        cctl_words_free(&w);
        return rc < 0 ? -1 : 0;
}

/* A call whose fault is an exception (update's unguarded calls). */
int
cctl_rpc_must(struct cctl *c, const char *method, struct xr_value *pa, struct xr_value **ret)
{
        int rc = cctl_rpc(c, method, pa, ret);
        if (rc > 0)
                return cctl_raise_fault(c, rc, c->fault_string);
        return rc;
}

static const char *
elem(const struct xr_value *arr, size_t i)
{
        const struct xr_value *e = xr_array_get(arr, i);
        return e && e->type == XR_STRING ? e->str.s : "";
}

static bool
in_list(const struct xr_value *arr, const char *s)
{
        for (size_t i = 0; i < cctl_arr_len(arr); i++)
                if (strcmp(elem(arr, i), s) == 0)
                        return true;
        return false;
}

int
cctl_do_update(struct cctl *c, const char *arg)
{
        struct cctl_words w;
        cctl_words_split(arg, &w);
        bool dry = false;
        size_t k = 0;
        for (size_t i = 0; i < w.n; i++) {
                if (strcmp(w.v[i], "--dry-run") == 0 || strcmp(w.v[i], "-n") == 0) {
                        dry = true;
                        free(w.v[i]);
                } else
                        w.v[k++] = w.v[i];
        }
        w.n = k;
        struct xr_value *v = NULL, *tmp = NULL;
        /* Initialised only for gcc 12's analyzer (a false positive): reload_config() fills all
         * three when it returns 0, in a loop the analyzer follows for one pass only. */
        const struct xr_value *acr[3] = { NULL, NULL, NULL };
        int rc = reload_config(c, &v, acr);
        if (rc > 0) {
                c->exitstatus = CCTL_EXIT_GENERIC;
                if (rc == FAULT_SHUTDOWN_STATE) {
                        cctl_output(c, "ERROR: already shutting down");
                        rc = 0;
                } else
                        rc = cctl_raise_fault(c, rc, c->fault_string);
                goto out;
        }
        if (rc < 0)
                goto out;
        const struct xr_value *added = acr[0], *changed = acr[1], *removed = acr[2];
        /* valid_gnames = set(args); "all" means no filter */
        struct cctl_words *valid = &w;
        if (cctl_words_has(&w, "all"))
                valid = NULL;
        if (valid && valid->n == 0)
                valid = NULL;
        if (valid) {
                rc = cctl_rpc_must(c, "supervisor.getAllProcessInfo", NULL, &tmp);
                if (rc < 0)
                        goto out;
                for (size_t i = 0; i < valid->n; i++) {
                        bool dupe = false;
                        for (size_t j = 0; j < i; j++)
                                dupe = dupe || strcmp(valid->v[i], valid->v[j]) == 0;
                        if (dupe)
                                continue;
                        bool found = in_list(added, valid->v[i]);
                        for (size_t j = 0; !found && j < cctl_arr_len(tmp); j++)
                                found = strcmp(cctl_vstr(xr_array_get(tmp, j), "group"), valid->v[i]) == 0;
                        if (!found) {
                                cctl_output(c, "ERROR: no such group: %s", valid->v[i]);
                                c->exitstatus = CCTL_EXIT_GENERIC;
                        }
                }
                xr_free(tmp);
                tmp = NULL;
        }
#define SKIP(g) (valid && !cctl_words_has(valid, (g)))
        for (size_t i = 0; i < cctl_arr_len(removed); i++) {
                const char *g = elem(removed, i);
                if (SKIP(g))
                        continue;
                if (dry) {
                        cctl_output(c, "%s: would stop and remove process group", g);
                        continue;
                }
                if ((rc = cctl_rpc_must(c, "supervisor.stopProcessGroup", cctl_params(1, xr_string(g)), &tmp)) < 0)
                        goto out;
                cctl_output(c, "%s: stopped", g);
                bool fails = false;
                for (size_t j = 0; j < cctl_arr_len(tmp); j++)
                        fails = fails || cctl_vint(xr_array_get(tmp, j), "status") == FAULT_FAILED;
                xr_free(tmp);
                tmp = NULL;
                if (fails) {
                        cctl_output(c, "%s: has problems; not removing", g);
                        c->exitstatus = CCTL_EXIT_GENERIC;
                        continue;
                }
                if ((rc = cctl_rpc_must(c, "supervisor.removeProcessGroup", cctl_params(1, xr_string(g)), NULL)) < 0)
                        goto out;
                cctl_output(c, "%s: removed process group", g);
        }
        for (size_t i = 0; i < cctl_arr_len(changed); i++) {
                const char *g = elem(changed, i);
                if (SKIP(g))
                        continue;
                if (dry) {
                        cctl_output(c, "%s: would stop and update process group", g);
                        continue;
                }
                if ((rc = cctl_rpc_must(c, "supervisor.stopProcessGroup", cctl_params(1, xr_string(g)), NULL)) < 0)
                        goto out;
                cctl_output(c, "%s: stopped", g);
                if ((rc = cctl_rpc_must(c, "supervisor.removeProcessGroup", cctl_params(1, xr_string(g)), NULL)) < 0 ||
                    (rc = cctl_rpc_must(c, "supervisor.addProcessGroup", cctl_params(1, xr_string(g)), NULL)) < 0)
                        goto out;
                cctl_output(c, "%s: updated process group", g);
        }
        for (size_t i = 0; i < cctl_arr_len(added); i++) {
                const char *g = elem(added, i);
                if (SKIP(g))
                        continue;
                if (dry) {
                        cctl_output(c, "%s: would add process group", g);
                        continue;
                }
                if ((rc = cctl_rpc_must(c, "supervisor.addProcessGroup", cctl_params(1, xr_string(g)), NULL)) < 0)
                        goto out;
                cctl_output(c, "%s: added process group", g);
        }
#undef SKIP
        rc = 0;
out:
        xr_free(tmp);
        xr_free(v);
        cctl_words_free(&w);
        return rc < 0 ? -1 : 0;
}
