/* SPDX-License-Identifier: MIT */
/* cctl_json — the client of corrald's JSON status API (GET /corral/v1/status): one small
 * request on the command's keep-alive connection instead of getVersion + getAllProcessInfo, and a
 * JSON decode (jansson) instead of a ~1 MB XML one. supervisord answers 404, and every doubt falls
 * back to XML-RPC, so what the user sees never depends on which path was taken.
 *
 * The processes arrive as rows (arrays) under a "fields" header, so decoding builds no hash table
 * per process: "fields" is mapped once to struct cctl_pinfo's members, then each row is read by
 * index. Unknown columns are ignored and known ones may come in any order.
 *
 * jansson allocates every value on its own (about 16,000 for 1,000 processes); the tree of one
 * reply is allocated from an arena instead (json_set_alloc_funcs, for the duration of
 * json_loadb only) and freed at once with struct cctl_pinfos, never through json_decref. That is a
 * quarter of the decode's CPU time. corralctl uses jansson nowhere else. */
#include "corralctl/cctl.h"

#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "shared/util.h"
#include "shared/version.h"

#define STATUS_PATH     "/corral/v1/status"

/* ---- an arena for jansson ------------------------------------------------------------------- */

#define CHUNK_SIZE      (256 * 1024)

struct cctl_arena {
        struct cctl_arena *next;
        size_t used, cap;
        max_align_t data[];
};

static struct {
        struct cctl_arena *arena;       /* where arena_alloc allocates, during json_loadb only */
} S;

static void *
arena_alloc(size_t n)
{
        size_t a = sizeof(max_align_t);
        n = (n + a - 1) / a * a;
        if (!S.arena || S.arena->cap - S.arena->used < n) {
                size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;
                struct cctl_arena *c = xmalloc(sizeof *c + cap);
                *c = (struct cctl_arena){ .next = S.arena, .cap = cap };
                S.arena = c;
        }
        void *p = (char *)S.arena->data + S.arena->used;
        S.arena->used += n;
        return p;
}

static void
arena_free(void *p)
{
        (void)p;        /* all at once, in arena_release */
}

static void
arena_release(struct cctl_arena *a)
{
        while (a) {
                struct cctl_arena *next = a->next;
                free(a);
                a = next;
        }
}

void
cctl_pinfos_free(struct cctl_pinfos *p)
{
        free(p->v);
        xr_free(p->xml);
        arena_release(p->arena);
        memset(p, 0, sizeof *p);
}

/* The columns corralctl reads, and where they go. */
static const struct column {
        const char *name;
        bool is_str;
        size_t off;
} columns[] = {
        { "name", true, offsetof(struct cctl_pinfo, name) },
        { "group", true, offsetof(struct cctl_pinfo, group) },
        { "statename", true, offsetof(struct cctl_pinfo, statename) },
        { "description", true, offsetof(struct cctl_pinfo, description) },
        { "spawnerr", true, offsetof(struct cctl_pinfo, spawnerr) },
        { "stdout_logfile", true, offsetof(struct cctl_pinfo, stdout_logfile) },
        { "stderr_logfile", true, offsetof(struct cctl_pinfo, stderr_logfile) },
        { "state", false, offsetof(struct cctl_pinfo, state) },
        { "pid", false, offsetof(struct cctl_pinfo, pid) },
        { "start", false, offsetof(struct cctl_pinfo, start) },
        { "stop", false, offsetof(struct cctl_pinfo, stop) },
        { "now", false, offsetof(struct cctl_pinfo, now) },
        { "exitstatus", false, offsetof(struct cctl_pinfo, exitstatus) },
};
#define NCOLUMNS (sizeof columns / sizeof columns[0])

static const char *
str_of(json_t *j)
{
        const char *s = json_string_value(j);
        return s ? s : "";
}

/* The same defaults as the XML path's vstr / vint: a string field that is not a string reads "",
 * an integer field reads an integer or a boolean (1/0), anything else 0. */
static void
set_cell(struct cctl_pinfo *p, const struct column *col, json_t *j)
{
        char *dst = (char *)p + col->off;
        if (col->is_str) {
                const char *s = str_of(j);
                memcpy(dst, &s, sizeof s);
        } else {
                int64_t i = json_is_integer(j) ? json_integer_value(j) : json_is_true(j) ? 1 : 0;
                memcpy(dst, &i, sizeof i);
        }
}

/* Map "fields" to columns[] (-1: a column corralctl does not read). false unless it is an array
 * of distinct strings. *ret_map is malloc'd. */
static bool
map_fields(json_t *fields, int **ret_map)
{
        size_t n = json_array_size(fields);
        if (!json_is_array(fields))
                return false;
        int *map = xmalloc((n ? n : 1) * sizeof *map);
        bool seen[NCOLUMNS] = { false };
        for (size_t k = 0; k < n; k++) {
                const char *name = json_string_value(json_array_get(fields, k));
                if (!name)
                        goto bad;
                map[k] = -1;
                for (size_t c = 0; c < NCOLUMNS; c++) {
                        if (strcmp(name, columns[c].name) != 0)
                                continue;
                        if (seen[c])
                                goto bad;       /* twice: which one is meant? */
                        seen[c] = true;
                        map[k] = (int)c;
                        break;
                }
        }
        *ret_map = map;
        return true;
bad:
        free(map);
        return false;
}

/* The rows of doc into *ret (strings borrowed from doc). false if doc is not the status document
 * of a RUNNING daemon with API 3.0: in any other case getVersion (the upcheck) fails or complains,
 * and the XML-RPC path says so in supervisorctl's words. */
static bool
decode(json_t *doc, struct cctl_pinfos *ret)
{
        json_t *sup = json_object_get(doc, "supervisor");
        json_t *fields = json_object_get(doc, "fields");
        json_t *rows = json_object_get(doc, "processes");
        if (!json_is_object(sup) || !json_is_array(rows) ||
            strcmp(str_of(json_object_get(sup, "state")), "RUNNING") != 0 ||
            strcmp(str_of(json_object_get(sup, "api_version")), VERSION_API) != 0)
                return false;
        int *map;
        if (!map_fields(fields, &map))
                return false;
        size_t nf = json_array_size(fields), n = json_array_size(rows);
        struct cctl_pinfo *v = xmalloc((n ? n : 1) * sizeof *v);
        for (size_t i = 0; i < n; i++) {
                json_t *r = json_array_get(rows, i);
                if (!json_is_array(r) || json_array_size(r) != nf) {
                        free(v);
                        free(map);
                        return false;
                }
                v[i] = (struct cctl_pinfo){ .name = "", .group = "", .statename = "", .description = "",
                                          .spawnerr = "", .stdout_logfile = "", .stderr_logfile = "" };
                for (size_t k = 0; k < nf; k++)
                        if (map[k] >= 0)
                                set_cell(&v[i], &columns[map[k]], json_array_get(r, k));
        }
        free(map);
        ret->v = v;
        ret->n = n;
        return true;
}

static bool
json_disabled(void)
{
        const char *e = getenv("CORRALCTL_NO_JSON");
        return e && *e && strcmp(e, "0") != 0;
}

bool
cctl_json_status(struct cctl *c, struct cctl_pinfos *ret)
{
        memset(ret, 0, sizeof *ret);
        if (json_disabled())
                return false;
        if (!c->cli_ok) {
                if (cctl_client_init(&c->cli, c->serverurl, c->username, c->password) < 0)
                        return false;   /* a bad URL: the XML-RPC path reports it */
                c->cli_ok = true;
        }
        struct xr_buf body = { 0 };
        int st = cctl_get(&c->cli, STATUS_PATH, &body);
        /* Strict: duplicate keys, an escaped NUL, invalid UTF-8 or trailing data all mean XML-RPC. */
        json_t *doc = NULL;
        if (st == 200 && body.p) {
                json_set_alloc_funcs(arena_alloc, arena_free);
                doc = json_loadb(body.p, body.len, JSON_REJECT_DUPLICATES, NULL);
                json_set_alloc_funcs(malloc, free);
        }
        xr_buf_free(&body);
        struct cctl_arena *tree = S.arena;
        S.arena = NULL;
        if (!doc || !decode(doc, ret)) {
                arena_release(tree);
                memset(ret, 0, sizeof *ret);
                return false;
        }
        ret->arena = tree;
        return true;
}
