/* SPDX-License-Identifier: MIT */
/* cctl_text — the client's pure parsing and formatting: fields of XML-RPC replies, namespecs,
 * the words of a command line, Python's repr()/str()/int() as supervisorctl prints and reads them,
 * column padding and JSON strings. No I/O besides cctl_json_print, no connection. */
#include "corralctl/cctl_text.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "shared/text.h"
#include "shared/util.h"

/* Python's repr() of a str, enough for fault strings. */
char *
cctl_py_repr(const char *s)
{
        bool sq = strchr(s, '\'') != NULL, dq = strchr(s, '"') != NULL;
        char q = sq && !dq ? '"' : '\'';
        struct xr_buf b = { 0 };
        xr_buf_append(&b, &q, 1);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                char tmp[8];
                if (*p == '\\' || *p == (unsigned char)q)
                        snprintf(tmp, sizeof tmp, "\\%c", *p);
                else if (*p == '\n')
                        strcpy(tmp, "\\n");
                else if (*p == '\r')
                        strcpy(tmp, "\\r");
                else if (*p == '\t')
                        strcpy(tmp, "\\t");
                else if (*p < 0x20 || *p == 0x7f)
                        snprintf(tmp, sizeof tmp, "\\x%02x", *p);
                else {
                        tmp[0] = (char)*p;
                        tmp[1] = '\0';
                }
                xr_buf_puts(&b, tmp);
        }
        xr_buf_append(&b, &q, 1);
        return b.p;
}

const char *
cctl_vstr(const struct xr_value *st, const char *key)
{
        const struct xr_value *v = xr_struct_get(st, key);
        return v && v->type == XR_STRING ? v->str.s : "";
}

int64_t
cctl_vint(const struct xr_value *st, const char *key)
{
        const struct xr_value *v = xr_struct_get(st, key);
        if (!v)
                return 0;
        if (v->type == XR_INT)
                return v->i;
        if (v->type == XR_BOOL)
                return v->b;
        return 0;
}

/* Python str() of a value, for the few places supervisorctl prints one. */
char *
cctl_py_str(const struct xr_value *v)
{
        if (!v)
                return xstrdup("None");
        switch (v->type) {
        case XR_STRING:
        case XR_DATETIME:
        case XR_BASE64:
                return xstrndup(v->str.s, v->str.len);
        case XR_INT:
                return xasprintf("%" PRId64, v->i);
        case XR_BOOL:
                return xstrdup(v->b ? "True" : "False");
        case XR_DOUBLE:
                return xasprintf("%g", v->d);
        case XR_NIL:
                return xstrdup("None");
        default:
                return xstrdup("?");
        }
}

size_t
cctl_arr_len(const struct xr_value *v)
{
        return v && v->type == XR_ARRAY ? v->arr.n : 0;
}

/* cctl_namespec_make / cctl_namespec_split (supervisor.options) */
char *
cctl_namespec_make(const char *group, const char *name)
{
        if (!name)
                return xasprintf("%s:None", group);
        if (strcmp(group, name) == 0)
                return xstrdup(name);
        return xasprintf("%s:%s", group, name);
}

void
cctl_namespec_split(const char *spec, char **ret_group, char **ret_name)
{
        const char *colon = strchr(spec, ':');
        if (colon) {
                *ret_group = xstrndup(spec, (size_t)(colon - spec));
                const char *p = colon + 1;
                *ret_name = (*p == '\0' || strcmp(p, "*") == 0) ? NULL : xstrdup(p);
        } else {
                *ret_group = xstrdup(spec);
                *ret_name = xstrdup(spec);
        }
}

void
cctl_words_split(const char *s, struct cctl_words *w)
{
        w->v = NULL;
        w->n = 0;
        while (*s) {
                while (*s && isspace((unsigned char)*s))
                        s++;
                if (!*s)
                        break;
                const char *e = s;
                while (*e && !isspace((unsigned char)*e))
                        e++;
                w->v = xrealloc(w->v, (w->n + 2) * sizeof *w->v);
                w->v[w->n++] = xstrndup(s, (size_t)(e - s));
                w->v[w->n] = NULL;
                s = e;
        }
}

void
cctl_words_free(struct cctl_words *w)
{
        for (size_t i = 0; i < w->n; i++)
                free(w->v[i]);
        free(w->v);
}

bool
cctl_words_has(const struct cctl_words *w, const char *s)
{
        for (size_t i = 0; i < w->n; i++)
                if (strcmp(w->v[i], s) == 0)
                        return true;
        return false;
}

/* Display width in characters (code points) of UTF-8 text, as Python's %-Ns counts. */
size_t
cctl_u8len(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                if (((unsigned char)*s & 0xc0) != 0x80)
                        n++;
        return n;
}

void
cctl_pad(FILE *f, const char *s, size_t width)
{
        fputs(s, f);
        for (size_t n = cctl_u8len(s); n < width; n++)
                fputc(' ', f);
}

/* ---- JSON ------------------------------------------------------------------------------------ */

/* A JSON string of s (NULL → ""), always valid UTF-8 (text_utf8_fix). */
json_t *
cctl_jstr(const char *s)
{
        if (!s)
                return json_string_nocheck("");
        char *fixed = text_utf8_fix(s, strlen(s), NULL);
        json_t *j = json_string_nocheck(fixed ? fixed : s);    /* checked above */
        free(fixed);
        return j;
}

/* o[k] = v (stolen), k made valid UTF-8 the same way. */
void
cctl_jset(json_t *o, const char *k, json_t *v)
{
        char *fixed = text_utf8_fix(k, strlen(k), NULL);
        json_object_set_new_nocheck(o, fixed ? fixed : k, v);
        free(fixed);
}

/* Writes j and a newline to stdout, and releases j. */
void
cctl_json_print(json_t *j)
{
        json_dumpf(j, stdout, JSON_INDENT(0) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(j);
}

/* int() of a tail modifier such as "-100" → 100; false when not a number. */
bool
cctl_py_int(const char *s, long *ret)
{
        while (isspace((unsigned char)*s))
                s++;
        char *e;
        errno = 0;
        long v = strtol(s, &e, 10);
        if (e == s || errno)
                return false;
        while (isspace((unsigned char)*e))
                e++;
        if (*e)
                return false;
        *ret = v;
        return true;
}
