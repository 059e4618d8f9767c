/* SPDX-License-Identifier: MIT */
/* cfg_store — the raw section store the INI reader (cfg.c) fills and cfg_build.c reads, and the
 * error and warning lists both append to. Pure. */
#include "cfg/cfg.h"
#include "cfg/cfg_int.h"
#include "shared/strmap.h"
#include "shared/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* --- errors and warnings ---------------------------------------------------------------------- */

static char *
format_msg(const char *file, int line, const char *section, const char *key, const char *msg)
{
        char *lp = line > 0 ? xasprintf(":%d", line) : xstrdup("");
        char *s = xasprintf("%s%s%s%s%s%s%s%s",
                            file ? file : "", lp, file ? ": " : "",
                            section ? "[" : "", section ? section : "", section ? "] " : "",
                            key ? key : "", key ? ": " : "");
        char *t = xasprintf("%s%s", s, msg);
        free(s);
        free(lp);
        return t;
}

void
cfg_add_error(struct cfg_ctx *c, const char *file, int line, const char *section, const char *key,
              char *msg)
{
        struct cfg_errors *e = c->errs;
        e->v = xrealloc(e->v, (e->n + 1) * sizeof *e->v);
        struct cfg_error *r = &e->v[e->n++];
        r->file = file ? xstrdup(file) : NULL;
        r->line = line;
        r->section = section ? xstrdup(section) : NULL;
        r->key = key ? xstrdup(key) : NULL;
        r->msg = msg;
        r->text = format_msg(file, line, section, key, msg);
}

void
cfg_add_warning(struct cfg_ctx *c, const char *file, int line, const char *section, const char *key,
                char *msg)
{
        c->warnings = xrealloc(c->warnings, (c->nwarnings + 2) * sizeof *c->warnings);
        c->warnings[c->nwarnings++] = format_msg(file, line, section, key, msg);
        c->warnings[c->nwarnings] = NULL;
        free(msg);
}

void
cfg_errors_clear(struct cfg_errors *errs)
{
        if (!errs)
                return;
        for (size_t i = 0; i < errs->n; i++) {
                free(errs->v[i].file);
                free(errs->v[i].section);
                free(errs->v[i].key);
                free(errs->v[i].msg);
                free(errs->v[i].text);
        }
        free(errs->v);
        errs->v = NULL;
        errs->n = 0;
        strv_free(errs->warnings);
        errs->warnings = NULL;
        errs->nwarnings = 0;
}

/* --- the store -------------------------------------------------------------------------------- */

const struct cfg_srcfile *
cfg_store_file(struct cfg_ctx *c, const char *path)
{
        c->st.files = xrealloc(c->st.files, (c->st.nfiles + 1) * sizeof *c->st.files);
        struct cfg_srcfile *f = xcalloc(1, sizeof *f);
        f->path = xstrdup(path);
        f->dir = cfg_dirname(path);
        c->st.files[c->st.nfiles++] = f;
        return f;
}

size_t
cfg_store_section(struct cfg_ctx *c, const char *name, const struct cfg_srcfile *f, int line)
{
        struct cfg_store *st = &c->st;
        void *at = strmap_get(&st->names, name);       /* index + 1 */
        if (at)
                return (size_t)(uintptr_t)at - 1;
        if (st->nsec == st->capsec) {
                st->capsec = st->capsec ? st->capsec * 2 : 16;
                st->sec = xrealloc(st->sec, st->capsec * sizeof *st->sec);
        }
        struct cfg_section *s = &st->sec[st->nsec];
        memset(s, 0, sizeof *s);
        s->name = xstrdup(name);
        s->file = f;
        s->line = line;
        strmap_put(&st->names, s->name, (void *)(uintptr_t)++st->nsec);
        return st->nsec - 1;
}

size_t
cfg_section_set(struct cfg_section *s, char *key, char *val, const struct cfg_srcfile *f, int line)
{
        for (size_t i = 0; i < s->nkv; i++) {
                if (!strcmp(s->kv[i].key, key)) {       /* duplicate key: the last one wins */
                        free(key);
                        free(s->kv[i].val);
                        s->kv[i].val = val;
                        s->kv[i].file = f;
                        s->kv[i].line = line;
                        return i;
                }
        }
        if (s->nkv == s->capkv) {
                s->capkv = s->capkv ? s->capkv * 2 : 8;
                s->kv = xrealloc(s->kv, s->capkv * sizeof *s->kv);
        }
        s->kv[s->nkv] = (struct cfg_kv){ .key = key, .val = val, .file = f, .line = line };
        return s->nkv++;
}

const struct cfg_kv *
cfg_section_get(const struct cfg_section *s, const char *key)
{
        for (size_t i = 0; s && i < s->nkv; i++)
                if (!strcmp(s->kv[i].key, key))
                        return &s->kv[i];
        return NULL;
}

const struct cfg_section *
cfg_store_find(const struct cfg_ctx *c, const char *name)
{
        void *at = strmap_get(&c->st.names, name);
        return at ? &c->st.sec[(uintptr_t)at - 1] : NULL;
}

void
cfg_store_free(struct cfg_store *st)
{
        for (size_t i = 0; i < st->nsec; i++) {
                for (size_t j = 0; j < st->sec[i].nkv; j++) {
                        free(st->sec[i].kv[j].key);
                        free(st->sec[i].kv[j].val);
                }
                free(st->sec[i].kv);
                free(st->sec[i].name);
        }
        free(st->sec);
        for (size_t i = 0; i < st->nfiles; i++) {
                free(st->files[i]->path);
                free(st->files[i]->dir);
                free(st->files[i]);
        }
        free(st->files);
        strmap_free(&st->names);
        memset(st, 0, sizeof *st);
}
