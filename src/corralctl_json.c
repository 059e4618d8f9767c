/* SPDX-License-Identifier: MIT */
/* corralctl_json — the client of corrald's JSON status API (GET /corral/v1/status): one small
 * request on the command's keep-alive connection instead of getVersion + getAllProcessInfo, and a
 * JSON decode instead of a ~1 MB XML one. supervisord answers 404, and every doubt falls back to
 * XML-RPC, so what the user sees never depends on which path was taken. */
#include "corralctl.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define STATUS_PATH "/corral/v1/status"

void
cc_pinfos_free(struct cc_pinfos *p)
{
        free(p->v);
        xr_free(p->xml);
        json_decref(p->json);
        memset(p, 0, sizeof *p);
}

static const char *
jstr(json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : "";
}

/* As the XML path reads ints: integers as they are, booleans as 0/1, anything else 0. */
static int64_t
jint(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);
        if (json_is_integer(v))
                return json_integer_value(v);
        return json_is_true(v);
}

static bool
json_disabled(void)
{
        const char *e = getenv("CORRALCTL_NO_JSON");
        return e && *e && strcmp(e, "0") != 0;
}

bool
ctl_json_status(struct ctl *c, struct cc_pinfos *ret)
{
        memset(ret, 0, sizeof *ret);
        if (json_disabled())
                return false;
        if (!c->cli_ok) {
                if (cc_client_init(&c->cli, c->serverurl, c->username, c->password) < 0)
                        return false;   /* a bad URL: the XML-RPC path reports it */
                c->cli_ok = true;
        }
        struct xr_buf body = { 0 };
        int st = cc_get(&c->cli, STATUS_PATH, &body);
        if (st != 200) {
                xr_buf_free(&body);
                return false;
        }
        json_t *root = json_loadb(body.p ? body.p : "", body.len, 0, NULL);
        xr_buf_free(&body);
        json_t *sup = json_object_get(root, "supervisor");
        json_t *procs = json_object_get(root, "processes");
        /* Only a RUNNING daemon with API 3.0 is answered here: in any other case getVersion (the
         * upcheck) fails or complains, and the XML-RPC path says so in supervisorctl's words. */
        if (!json_is_array(procs) || strcmp(jstr(sup, "state"), "RUNNING") != 0 ||
            strcmp(jstr(sup, "api_version"), "3.0") != 0) {
                json_decref(root);
                return false;
        }
        size_t n = json_array_size(procs);
        ret->v = xcalloc(n + 1, sizeof *ret->v);
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_array_get(procs, i);
                if (!json_is_object(o)) {
                        json_decref(root);
                        cc_pinfos_free(ret);
                        return false;
                }
                ret->v[i] = (struct cc_pinfo){
                        .name = jstr(o, "name"),
                        .group = jstr(o, "group"),
                        .statename = jstr(o, "statename"),
                        .description = jstr(o, "description"),
                        .spawnerr = jstr(o, "spawnerr"),
                        .stdout_logfile = jstr(o, "stdout_logfile"),
                        .stderr_logfile = jstr(o, "stderr_logfile"),
                        .state = jint(o, "state"),
                        .pid = jint(o, "pid"),
                        .start = jint(o, "start"),
                        .stop = jint(o, "stop"),
                        .now = jint(o, "now"),
                        .exitstatus = jint(o, "exitstatus"),
                };
        }
        ret->n = n;
        ret->json = root;
        return true;
}
