/* SPDX-License-Identifier: MIT */
/* cfg_deps — the depends_on graph (corral extension, README "Dependencies"): names resolved to
 * processes, unknown names and cycles reported as config errors naming the programs with their
 * file:line, and the start order (a topological order that keeps priority among processes with no
 * dependency between them). Pure, like the rest of cfg. */
#include "cfg/cfg.h"
#include "cfg/cfg_int.h"
#include "shared/util.h"

#include <stdlib.h>
#include <string.h>

/* Every process in the order without dependencies: groups by (priority, name), then their
 * processes by (priority, name). malloc'd; *ret_n of them. */
static struct cfg_proc **
flat_procs(const struct cfg *cfg, size_t *ret_n)
{
        size_t n = 0;
        for (size_t i = 0; i < cfg->ngroups; i++)
                n += cfg->groups[i]->nprocs;
        struct cfg_proc **v = xcalloc(n + 1, sizeof *v);
        n = 0;
        for (size_t i = 0; i < cfg->ngroups; i++)
                for (size_t j = 0; j < cfg->groups[i]->nprocs; j++)
                        v[n++] = cfg->groups[i]->procs[j];
        *ret_n = n;
        return v;
}

/* Appends to p->deps every process name stands for ("grp:*", "grp:proc", a group, else a program
 * of that name in any group). mark[seq] says which are already there. False: name is unknown. */
static bool
resolve_name(const struct cfg *cfg, struct cfg_proc *const *flat, size_t nflat, struct cfg_proc *p,
             const char *name, unsigned char *mark)
{
        bool known = false;
        const char *colon = strchr(name, ':');
        char *gname = colon ? xstrndup(name, (size_t)(colon - name)) : xstrdup(name);
        const struct cfg_group *g = cfg_find_group(cfg, gname);
        free(gname);
        struct cfg_proc **add = xcalloc(nflat + 1, sizeof *add);
        size_t nadd = 0;
        if (colon) {
                const char *pn = colon + 1;
                for (size_t i = 0; g && i < g->nprocs; i++)
                        if (!strcmp(pn, "*") || !strcmp(pn, g->procs[i]->name))
                                add[nadd++] = g->procs[i];
                known = g && (nadd || !strcmp(pn, "*"));
        } else if (g) {
                for (size_t i = 0; i < g->nprocs; i++)
                        add[nadd++] = g->procs[i];
                known = true;
        } else {
                for (size_t i = 0; i < nflat; i++)
                        if (!strcmp(flat[i]->program, name))
                                add[nadd++] = flat[i];
                known = nadd > 0;
        }
        for (size_t i = 0; i < nadd; i++) {
                if (mark[add[i]->seq])
                        continue;
                mark[add[i]->seq] = 1;
                p->deps = xrealloc(p->deps, (p->ndeps + 1) * sizeof *p->deps);
                p->deps[p->ndeps++] = add[i];
        }
        free(add);
        return known;
}

/* A min-heap of flat positions: among the processes whose dependencies are all placed, the one
 * first in the order without dependencies goes next. */
struct heap {
        size_t *v, n;
};

static void
heap_push(struct heap *h, size_t x)
{
        size_t i = h->n++;
        while (i && h->v[(i - 1) / 2] > x) {
                h->v[i] = h->v[(i - 1) / 2];
                i = (i - 1) / 2;
        }
        h->v[i] = x;
}

static size_t
heap_pop(struct heap *h)
{
        size_t top = h->v[0], x = h->v[--h->n], i = 0;
        for (;;) {
                size_t c = 2 * i + 1;
                if (c >= h->n)
                        break;
                if (c + 1 < h->n && h->v[c + 1] < h->v[c])
                        c++;
                if (x <= h->v[c])
                        break;
                h->v[i] = h->v[c];
                i = c;
        }
        if (h->n)
                h->v[i] = x;
        return top;
}

/* Kahn's algorithm over flat (whose seq fields are their positions). Returns the order (malloc'd,
 * *ret_n entries); when *ret_n < nflat, the processes left out are on or behind a cycle. */
static struct cfg_proc **
topo_order(struct cfg_proc *const *flat, size_t nflat, size_t *ret_n)
{
        size_t *indeg = xcalloc(nflat + 1, sizeof *indeg);
        size_t *start = xcalloc(nflat + 2, sizeof *start);      /* dependents, CSR by dependency */
        for (size_t i = 0; i < nflat; i++) {
                indeg[i] = flat[i]->ndeps;
                for (size_t j = 0; j < flat[i]->ndeps; j++)
                        start[flat[i]->deps[j]->seq + 1]++;
        }
        for (size_t i = 0; i < nflat; i++)
                start[i + 1] += start[i];
        size_t *fill = xcalloc(nflat + 1, sizeof *fill);
        size_t *dependents = xcalloc(start[nflat] + 1, sizeof *dependents);
        for (size_t i = 0; i < nflat; i++)
                for (size_t j = 0; j < flat[i]->ndeps; j++) {
                        size_t d = flat[i]->deps[j]->seq;
                        dependents[start[d] + fill[d]++] = i;
                }
        struct heap h = { .v = xcalloc(nflat + 1, sizeof *h.v) };
        for (size_t i = 0; i < nflat; i++)
                if (!indeg[i])
                        heap_push(&h, i);
        struct cfg_proc **out = xcalloc(nflat + 1, sizeof *out);
        size_t n = 0;
        while (h.n) {
                size_t x = heap_pop(&h);
                out[n++] = flat[x];
                for (size_t k = start[x]; k < start[x + 1]; k++)
                        if (!--indeg[dependents[k]])
                                heap_push(&h, dependents[k]);
        }
        free(h.v);
        free(dependents);
        free(fill);
        free(start);
        free(indeg);
        *ret_n = n;
        return out;
}

/* One cycle among the processes topo_order left out (each of them has a dependency left out too):
 * walk dependencies until one repeats; the error names each process of the loop with its file:line. */
static void
report_cycle(struct cfg_ctx *c, struct cfg_proc *const *flat, size_t nflat, struct cfg_proc *const *placed,
             size_t nplaced)
{
        unsigned char *ok = xcalloc(nflat + 1, 1);
        size_t *seen_at = xcalloc(nflat + 1, sizeof *seen_at);   /* walk position + 1 */
        struct cfg_proc **walk = xcalloc(nflat + 1, sizeof *walk);
        for (size_t i = 0; i < nplaced; i++)
                ok[placed[i]->seq] = 1;
        struct cfg_proc *p = NULL;
        for (size_t i = 0; i < nflat && !p; i++)
                if (!ok[i])
                        p = flat[i];
        size_t n = 0;
        while (p && !seen_at[p->seq]) {
                seen_at[p->seq] = n + 1;
                walk[n++] = p;
                struct cfg_proc *next = NULL;
                for (size_t j = 0; j < p->ndeps && !next; j++)
                        if (!ok[p->deps[j]->seq])
                                next = p->deps[j];
                p = next;
        }
        if (p) {
                size_t first = seen_at[p->seq] - 1;
                char *msg = xstrdup("dependency cycle:");
                for (size_t i = first; i < n; i++) {
                        char *m = xasprintf("%s %s (%s:%d) ->", msg, walk[i]->name, walk[i]->file,
                                            walk[i]->depends_line);
                        free(msg);
                        msg = m;
                }
                char *m = xasprintf("%s %s", msg, walk[first]->name);
                free(msg);
                char *sec = xasprintf("program:%s", walk[first]->program);
                cfg_add_error(c, walk[first]->file, walk[first]->depends_line, sec, "depends_on", m);
                free(sec);
        }
        free(walk);
        free(seen_at);
        free(ok);
}

void
cfg_deps_build(struct cfg_ctx *c, struct cfg *cfg)
{
        size_t nflat;
        struct cfg_proc **flat = flat_procs(cfg, &nflat);
        bool any = false;
        for (size_t i = 0; i < nflat; i++) {
                flat[i]->seq = i;
                any |= flat[i]->depends_on != NULL;
        }
        if (!any) {                     /* the common case: no graph, seq is the plain order */
                free(flat);
                return;
        }
        unsigned char *mark = xcalloc(nflat + 1, 1);
        size_t nerr0 = c->errs->n;
        for (size_t i = 0; i < nflat; i++) {
                struct cfg_proc *p = flat[i];
                for (size_t k = 0; p->depends_on && p->depends_on[k]; k++) {
                        if (!resolve_name(cfg, flat, nflat, p, p->depends_on[k], mark)) {
                                char *sec = xasprintf("program:%s", p->program);
                                cfg_add_error(c, p->file, p->depends_line, sec, "depends_on",
                                              xasprintf("'%s' (of %s) is not a program, group or group:process",
                                                        p->depends_on[k], p->name));
                                free(sec);
                        }
                }
                for (size_t k = 0; k < p->ndeps; k++)
                        mark[p->deps[k]->seq] = 0;
        }
        free(mark);
        if (c->errs->n == nerr0) {
                size_t n;
                struct cfg_proc **order = topo_order(flat, nflat, &n);
                if (n < nflat)
                        report_cycle(c, flat, nflat, order, n);
                else
                        for (size_t i = 0; i < n; i++)
                                order[i]->seq = i;
                free(order);
        }
        free(flat);
}

struct cfg_proc **
cfg_start_order(const struct cfg *cfg, size_t *ret_n)
{
        size_t n;
        struct cfg_proc **flat = flat_procs(cfg, &n);
        struct cfg_proc **out = xcalloc(n + 1, sizeof *out);
        for (size_t i = 0; i < n; i++)         /* seq is each one's place in the start order */
                out[flat[i]->seq < n ? flat[i]->seq : i] = flat[i];
        free(flat);
        *ret_n = n;
        return out;
}
