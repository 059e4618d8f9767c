/* SPDX-License-Identifier: MIT */
/* cfg_key — reading one key of a section for cfg_build.c: expanded (%(name)s), typed, and any
 * error or warning recorded at the key's file and line. Pure but for cfg_resolve's lookups. */
#include "cfg/cfg_int.h"
#include "cfg/cfg_value.h"
#include "shared/util.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- error helpers ---------------------------------------------------------------------------- */

void
cfg_key_err(struct cfg_ctx *c, const struct cfg_section *s, const struct cfg_kv *kv, const char *fmt, ...)
{
        va_list ap;
        char *msg;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = xstrdup("?");
        va_end(ap);
        if (kv)
                cfg_add_error(c, kv->file->path, kv->line, s->name, kv->key, msg);
        else                    /* can't happen; the section's header line is the next best */
                cfg_add_error(c, s->file->path, s->line, s->name, NULL, msg);
}

/* An error about a section as a whole (or a missing key): at its header line. */
void
cfg_key_err_sec(struct cfg_ctx *c, const struct cfg_section *s, const char *key, const char *fmt, ...)
{
        va_list ap;
        char *msg;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = xstrdup("?");
        va_end(ap);
        cfg_add_error(c, s->file->path, s->line, s->name, key, msg);
}

void
cfg_key_warn(struct cfg_ctx *c, const struct cfg_section *s, const struct cfg_kv *kv, const char *fmt, ...)
{
        va_list ap;
        char *msg;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = xstrdup("?");
        va_end(ap);
        if (kv)
                cfg_add_warning(c, kv->file->path, kv->line, s->name, kv->key, msg);
        else
                cfg_add_warning(c, s->file->path, s->line, s->name, NULL, msg);
}

/* --- typed getters: absent key → default; bad value → error recorded, default returned -------- */

void
cfg_key_scope_init(struct cfg_key_scope *sc, struct cfg_ctx *c)
{
        memset(sc, 0, sizeof *sc);
        sc->v[0].name = "here";
        sc->vars.v = sc->v;
        sc->vars.n = 1;
        sc->vars.env[0] = c->envp;
}

void
cfg_key_scope_add(struct cfg_key_scope *sc, const char *name, const char *s, long n)
{
        sc->v[sc->vars.n++] = (struct cfg_var){ .name = name, .s = s, .n = n };
}

/* The expanded value of key, NULL when absent or bad (then *bad is set). */
char *
cfg_key_raw(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct cfg_key_scope *sc,
        const struct cfg_kv **ret_kv)
{
        const struct cfg_kv *kv = cfg_section_get(s, key);
        if (ret_kv)
                *ret_kv = kv;
        if (!kv)
                return NULL;
        sc->v[0].s = kv->file->dir;
        char *out, *msg;
        if (cfg_expand(kv->val, &sc->vars, &out, &msg) < 0) {
                cfg_add_error(c, kv->file->path, kv->line, s->name, kv->key, msg);
                if (ret_kv)
                        *ret_kv = NULL;
                return NULL;
        }
        return out;
}

char *
cfg_key_str(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct cfg_key_scope *sc,
            const char *def)
{
        const struct cfg_kv *kv;
        char *v = cfg_key_raw(c, s, key, sc, &kv);
        if (v)
                return v;
        return def ? xstrdup(def) : NULL;
}

long
cfg_key_int(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct cfg_key_scope *sc,
            long def)
{
        const struct cfg_kv *kv;
        char *v = cfg_key_raw(c, s, key, sc, &kv);
        long n = def;
        if (v && (cfg_parse_int(v, &n) < 0 || n < INT_MIN || n > INT_MAX)) {
                cfg_key_err(c, s, kv, "'%s' is not an integer", v);
                n = def;
        }
        free(v);
        return n;
}

bool
cfg_key_bool(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct cfg_key_scope *sc,
             bool def)
{
        const struct cfg_kv *kv;
        char *v = cfg_key_raw(c, s, key, sc, &kv);
        bool b = def;
        if (v && cfg_parse_bool(v, &b) < 0) {
                cfg_key_err(c, s, kv, "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", v);
                b = def;
        }
        free(v);
        return b;
}

off_t
cfg_key_bytes(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct cfg_key_scope *sc,
              off_t def)
{
        const struct cfg_kv *kv;
        char *v = cfg_key_raw(c, s, key, sc, &kv);
        off_t n = def;
        if (v && cfg_parse_bytes(v, &n) < 0) {
                cfg_key_err(c, s, kv, "'%s' is not a byte size (e.g. 1024, 50MB, 1GB)", v);
                n = def;
        }
        free(v);
        return n;
}

int
cfg_key_octal(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct cfg_key_scope *sc,
              int def)
{
        const struct cfg_kv *kv;
        char *v = cfg_key_raw(c, s, key, sc, &kv);
        int n = def;
        if (v && cfg_parse_octal(v, &n) < 0) {
                cfg_key_err(c, s, kv, "'%s' is not an octal number", v);
                n = def;
        }
        free(v);
        return n;
}

/* A path whose directory must exist when opt->check_logdirs (existing_dirpath). */
char *
cfg_key_dirpath(struct cfg_ctx *c, const struct cfg_section *s, const struct cfg_kv *kv, const char *v)
{
        char *p = cfg_resolve_home(c->envp, v);
        if (c->opt->check_logdirs && strchr(p, '/')) {
                char *d = xstrndup(p, (size_t)(strrchr(p, '/') - p));
                if (*d && !cfg_resolve_is_dir(d))       /* kv NULL: at the section's header */
                        cfg_key_err(c, s, kv, "the directory named as part of the path '%s' does not exist", p);
                free(d);
        }
        return p;
}

/* Every key of s not in known (a NULL-terminated list) gets an "unknown key" warning. */
void
cfg_key_warn_unknown(struct cfg_ctx *c, const struct cfg_section *s, const char *const *known)
{
        for (size_t i = 0; i < s->nkv; i++) {
                size_t j;
                for (j = 0; known[j]; j++)
                        if (!strcmp(known[j], s->kv[i].key))
                                break;
                if (!known[j])
                        cfg_key_warn(c, s, &s->kv[i], "unknown key '%s', ignoring", s->kv[i].key);
        }
}
