/* SPDX-License-Identifier: MIT */
/* cfg_value — value parsers and %(name)s expansion for the config (compat §A.2, §A.3). Pure. */
#include "cfg/cfg.h"
#include "cfg/cfg_value.h"
#include "shared/analyzer.h"
#include "shared/signame.h"
#include "shared/text.h"
#include "shared/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A growable string. */
struct sbuf {
        char *s;
        size_t len, cap;
};

static void
sb_addn(struct sbuf *b, const char *s, size_t n)
{
        /* n counts bytes of a string in memory, so len + n + 1 cannot wrap to 0; clang's analyzer
         * tries that wrap and then reports memcpy into a NULL buffer (a false positive). */
        ANALYZER_ASSUME(n < SIZE_MAX - b->len);
        if (b->len + n + 1 > b->cap) {
                b->cap = (b->len + n + 1) * 2;
                b->s = xrealloc(b->s, b->cap);
        }
        memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = '\0';
}

static void
sb_addc(struct sbuf *b, char c)
{
        sb_addn(b, &c, 1);
}

static char *
sb_take(struct sbuf *b)
{
        if (!b->s)
                return xstrdup("");
        char *s = b->s;
        b->s = NULL;
        b->len = b->cap = 0;
        return s;
}

/* A growable string vector. */
struct svec {
        char **v;
        size_t n, cap;
};

static void
sv_push(struct svec *sv, char *s)
{
        if (sv->n + 2 > sv->cap) {
                sv->cap = sv->cap ? sv->cap * 2 : 8;
                sv->v = xrealloc(sv->v, sv->cap * sizeof *sv->v);
        }
        sv->v[sv->n++] = s;
        sv->v[sv->n] = NULL;
}

static char **
sv_take(struct svec *sv)
{
        if (!sv->v)
                return xcalloc(1, sizeof(char *));
        return sv->v;
}

int
cfg_parse_int(const char *s, long *ret)
{
        const char *p = s;
        while (isspace((unsigned char)*p))
                p++;
        const char *start = p;
        if (*p == '+' || *p == '-')
                p++;
        if (!isdigit((unsigned char)*p))
                return -EINVAL;
        errno = 0;
        char *end;
        long v = strtol(start, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        while (isspace((unsigned char)*end))
                end++;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int
cfg_parse_bool(const char *s, bool *ret)
{
        static const char *const yes[] = { "true", "yes", "on", "1" };
        static const char *const no[] = { "false", "no", "off", "0" };
        for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
                if (!strcasecmp(s, yes[i])) {
                        *ret = true;
                        return 0;
                }
                if (!strcasecmp(s, no[i])) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

int
cfg_parse_bytes(const char *s, off_t *ret)
{
        static const struct { const char *suf; long long mul; } sufs[] = {
                { "kb", 1024LL }, { "mb", 1024LL * 1024 }, { "gb", 1024LL * 1024 * 1024 },
        };
        size_t len = strlen(s);
        long long mul = 1;
        char *num = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(sufs); i++) {
                if (len >= 2 && !strcasecmp(s + len - 2, sufs[i].suf)) {
                        mul = sufs[i].mul;
                        num = xstrndup(s, len - 2);
                        break;
                }
        }
        long v;
        int r = cfg_parse_int(num ? num : s, &v);
        free(num);
        if (r < 0)
                return r;
        if (v > LLONG_MAX / mul || v < LLONG_MIN / mul)
                return -ERANGE;
        *ret = (off_t)(v * mul);
        return 0;
}

int
cfg_parse_octal(const char *s, int *ret)
{
        const char *p = s;
        while (isspace((unsigned char)*p))
                p++;
        bool neg = false;
        if (*p == '+' || *p == '-')
                neg = *p++ == '-';
        if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
                p += 2;
        if (*p < '0' || *p > '7')
                return -EINVAL;
        long v = 0;
        for (; *p >= '0' && *p <= '7'; p++) {
                v = v * 8 + (*p - '0');
                if (v > INT_MAX)
                        return -ERANGE;
        }
        while (isspace((unsigned char)*p))
                p++;
        if (*p)
                return -EINVAL;
        *ret = neg ? (int)-v : (int)v;
        return 0;
}

int
cfg_parse_signal(const char *s, int *ret)
{
        long n;
        if (cfg_parse_int(s, &n) == 0) {
                if (n == 0 || (n > 0 && signame_abbrev((int)n))) {
                        *ret = (int)n;
                        return 0;
                }
                return -EINVAL;
        }
        while (isspace((unsigned char)*s))
                s++;
        size_t len = strlen(s);
        while (len && isspace((unsigned char)s[len - 1]))
                len--;
        return signame_parse(s, len, ret);
}

int
cfg_parse_exitcodes(const char *s, uint64_t ret[4])
{
        uint64_t set[4] = { 0, 0, 0, 0 };
        if (*s) {
                const char *p = s;
                for (;;) {
                        const char *comma = strchr(p, ',');
                        char *item = comma ? xstrndup(p, (size_t)(comma - p)) : xstrdup(p);
                        long v;
                        int r = cfg_parse_int(item, &v);
                        free(item);
                        if (r < 0 || v < 0 || v > 255)
                                return -EINVAL;
                        set[v / 64] |= UINT64_C(1) << (v % 64);
                        if (!comma)
                                break;
                        p = comma + 1;
                }
        }
        memcpy(ret, set, sizeof set);
        return 0;
}

int
cfg_parse_seconds(const char *s, double *ret)
{
        const char *p = s + strspn(s, " \t");
        size_t digits = strspn(p, "0123456789"), frac = 0;
        char *end;

        /* strtod alone would take "inf", "0x1p3", "1e9" and a sign: none is a plain number */
        if (p[digits] == '.')
                frac = strspn(p + digits + 1, "0123456789");
        if (!digits && !frac)
                return -EINVAL;
        double v = strtod(p, &end);
        if (end != p + digits + (p[digits] == '.' ? 1 + frac : 0) || end[strspn(end, " \t")])
                return -EINVAL;
        *ret = v;
        return 0;
}

/* --- environment: shlex non-POSIX mode with extra word chars (compat §A.2) --------------------- */

static bool
env_is_wordchar(unsigned char c)
{
        return isalnum(c) || c == '_' || c >= 0x80 || (c && strchr("/.+-():", c));
}

/* Next token of Python's shlex.shlex(s) (posix=False); NULL at the end. */
static int
env_next_token(const char **pp, char **ret)
{
        const char *p = *pp;
        struct sbuf tok = { 0 };
        *ret = NULL;
        for (;;) {
                while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
                        p++;
                if (*p == '#') {                /* comment to the end of the line */
                        while (*p && *p != '\n')
                                p++;
                        continue;
                }
                break;
        }
        if (!*p) {
                *pp = p;
                return 0;
        }
        if (*p == '"' || *p == '\'') {
                char q = *p;
                sb_addc(&tok, *p++);
                while (*p && *p != q)
                        sb_addc(&tok, *p++);
                if (!*p) {
                        free(tok.s);
                        return -EINVAL;
                }
                sb_addc(&tok, *p++);
        } else if (env_is_wordchar((unsigned char)*p)) {
                while (*p) {
                        if (*p == '#') {
                                while (*p && *p != '\n')
                                        p++;
                                if (*p)
                                        p++;
                                continue;
                        }
                        if (!env_is_wordchar((unsigned char)*p) && *p != '"' && *p != '\'')
                                break;
                        sb_addc(&tok, *p++);
                }
        } else {
                sb_addc(&tok, *p++);
        }
        *pp = p;
        *ret = sb_take(&tok);
        return 0;
}

int
cfg_parse_environment(const char *s, char ***ret, char **ret_msg)
{
        struct svec toks = { 0 };
        const char *p = s;
        for (;;) {
                char *t;
                if (env_next_token(&p, &t) < 0) {
                        strv_free(toks.v);
                        *ret_msg = xasprintf("No closing quotation in '%s'", s);
                        return -EINVAL;
                }
                if (!t)
                        break;
                if (!*t) {              /* shlex non-POSIX: an empty token is the end */
                        free(t);
                        break;
                }
                sv_push(&toks, t);
        }
        struct svec out = { 0 };
        for (size_t i = 0; i < toks.n; i += 4) {
                if (i + 2 >= toks.n || strcmp(toks.v[i + 1], "=")) {
                        strv_free(toks.v);
                        strv_free(out.v);
                        *ret_msg = xasprintf("Unexpected end of key/value pairs in value '%s'", s);
                        return -EINVAL;
                }
                const char *k = toks.v[i], *v = toks.v[i + 2];
                size_t vl = strlen(v);
                while (*v == '"' || *v == '\'') {
                        v++;
                        vl--;
                }
                while (vl && (v[vl - 1] == '"' || v[vl - 1] == '\''))
                        vl--;
                char *kv = xasprintf("%s=%.*s", k, (int)vl, v);
                size_t klen = strlen(k);
                size_t j;
                for (j = 0; j < out.n; j++)     /* a dict: a repeated key keeps its place */
                        if (!strncmp(out.v[j], kv, klen + 1))
                                break;
                if (j < out.n) {
                        free(out.v[j]);
                        out.v[j] = kv;
                } else {
                        sv_push(&out, kv);
                }
        }
        strv_free(toks.v);
        *ret = sv_take(&out);
        return 0;
}

/* --- command: shlex.split (POSIX) ------------------------------------------------------------- */

int
cfg_split_command(const char *s, char ***ret, char **ret_msg)
{
        struct svec out = { 0 };
        struct sbuf tok = { 0 };
        bool in_tok = false;
        const char *p = s;
        while (*p) {
                char c = *p;
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                        if (in_tok)
                                sv_push(&out, sb_take(&tok));
                        in_tok = false;
                        p++;
                } else if (c == '\\') {
                        if (!p[1])
                                goto no_escaped;
                        sb_addc(&tok, p[1]);
                        in_tok = true;
                        p += 2;
                } else if (c == '\'') {
                        const char *e = strchr(p + 1, '\'');
                        if (!e)
                                goto no_closing;
                        sb_addn(&tok, p + 1, (size_t)(e - p - 1));
                        in_tok = true;
                        p = e + 1;
                } else if (c == '"') {
                        p++;
                        for (;;) {
                                if (!*p)
                                        goto no_closing;
                                if (*p == '"')
                                        break;
                                if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) {
                                        p++;
                                } else if (*p == '\\' && !p[1]) {
                                        goto no_closing;
                                }
                                sb_addc(&tok, *p++);
                        }
                        p++;
                        in_tok = true;
                } else {
                        sb_addc(&tok, c);
                        in_tok = true;
                        p++;
                }
        }
        if (in_tok)
                sv_push(&out, sb_take(&tok));
        if (!out.n) {
                free(out.v);
                *ret_msg = xstrdup("command is empty");
                return -EINVAL;
        }
        *ret = out.v;
        return 0;
no_escaped:
        *ret_msg = xstrdup("No escaped character");
        goto fail;
no_closing:
        *ret_msg = xstrdup("No closing quotation");
fail:
        free(tok.s);
        strv_free(out.v);
        return -EINVAL;
}

/* --- names and environment lookups ------------------------------------------------------------ */

int
cfg_check_name(const char *s, char **ret_msg)
{
        if (!*s) {
                *ret_msg = xstrdup("empty name");
                return -EINVAL;
        }
        for (const char *c = " :/"; *c; c++) {
                if (strchr(s, *c)) {
                        *ret_msg = xasprintf("invalid name '%s' because of character '%c'", s, *c);
                        return -EINVAL;
                }
        }
        /* Names travel in XML-RPC and JSON: bytes that are not UTF-8 text (or are controls XML
         * forbids) would make the process reachable only through "all". */
        size_t len = strlen(s);
        for (size_t i = 0, n; i < len; i += n) {
                if ((n = text_xml_char_len(s + i, len - i)) == 0) {
                        char *shown = text_utf8_fix(s, len, NULL);
                        *ret_msg = xasprintf("invalid name '%s': byte %zu is not UTF-8 text", shown ? shown : s,
                                             i + 1);
                        free(shown);
                        return -EINVAL;
                }
        }
        return 0;
}

const char *
cfg_env_get(char *const *env, const char *key)
{
        size_t kl = strlen(key);
        for (size_t i = 0; env && env[i]; i++)
                if (!strncmp(env[i], key, kl) && env[i][kl] == '=')
                        return env[i] + kl + 1;
        return NULL;
}

/* --- %(name)s expansion ----------------------------------------------------------------------- */

static char *
vars_names(const struct cfg_vars *vars)
{
        struct sbuf b = { 0 };
        for (size_t i = 0; i < vars->n; i++) {
                sb_addn(&b, vars->v[i].name, strlen(vars->v[i].name));
                sb_addn(&b, ", ", 2);
        }
        sb_addn(&b, "ENV_*", 5);
        return sb_take(&b);
}

int
cfg_expand(const char *s, const struct cfg_vars *vars, char **ret, char **ret_msg)
{
        struct sbuf out = { 0 };
        const char *p = s;
        while (*p) {
                const char *pct = strchr(p, '%');
                if (!pct) {
                        sb_addn(&out, p, strlen(p));
                        break;
                }
                sb_addn(&out, p, (size_t)(pct - p));
                p = pct + 1;
                if (*p == '%') {
                        sb_addc(&out, '%');
                        p++;
                        continue;
                }
                if (*p != '(') {
                        *ret_msg = xasprintf("'%s' is badly formatted (a lone '%%' must be written '%%%%')", s);
                        goto fail;
                }
                const char *close = strchr(p, ')');
                if (!close) {
                        *ret_msg = xasprintf("'%s' is badly formatted (no ')' after '%%(')", s);
                        goto fail;
                }
                char *name = xstrndup(p + 1, (size_t)(close - p - 1));
                p = close + 1;
                /* conversion spec: flags, width, precision, length, conversion */
                const char *spec = p;
                p += strspn(p, "-+ #0");
                size_t wl = strspn(p, "0123456789"), pl = 0;
                p += wl;
                if (*p == '.') {
                        p++;
                        pl = strspn(p, "0123456789");
                        p += pl;
                }
                if (wl > 4 || pl > 4) {         /* a width of 10000 or more is a typo, not a layout */
                        *ret_msg = xasprintf("'%s': format width or precision too large", s);
                        free(name);
                        goto fail;
                }
                p += strspn(p, "hlL");
                char conv = *p;
                if (!conv || !strchr("sdiuoxXr", conv)) {
                        *ret_msg = conv ? xasprintf("'%s': unsupported format character '%c'", s, conv)
                                        : xasprintf("'%s' is badly formatted (incomplete format)", s);
                        free(name);
                        goto fail;
                }
                /* the C spec: flags/width/precision without any length modifier */
                size_t speclen = strcspn(spec, "hlL");
                if (spec + speclen > p)
                        speclen = (size_t)(p - spec);
                p++;
                const struct cfg_var *var = NULL;
                const char *sval = NULL;
                for (size_t i = 0; i < vars->n; i++)
                        if (!strcmp(vars->v[i].name, name))
                                var = &vars->v[i];
                if (var) {
                        sval = var->s;
                } else if (!strncmp(name, "ENV_", 4)) {
                        for (int e = 2; e >= 0 && !sval; e--)
                                sval = cfg_env_get(vars->env[e], name + 4);
                }
                /* From here var or sval is set. gcc 12's analyzer loses that through the ENV_ loop
                 * above and reports var->n below as a NULL dereference: a false positive. */
                if (!var && !sval) {
                        char *names = vars_names(vars);
                        *ret_msg = xasprintf("'%s' contains name '%s' which cannot be expanded (available: %s)",
                                             s, name, names);
                        free(names);
                        free(name);
                        goto fail;
                }
                char *fmt, *piece;
                if (conv == 's' || conv == 'r') {
                        GCC_ANALYZER_IGNORE("-Wanalyzer-null-dereference")
                        char *str = sval ? xstrdup(sval) : xasprintf("%ld", var->n);
                        GCC_ANALYZER_END
                        if (conv == 'r' && sval) {
                                char *q = xasprintf("'%s'", str);
                                free(str);
                                str = q;
                        }
                        fmt = xasprintf("%%%.*ss", (int)speclen, spec);
                        piece = xasprintf(fmt, str);
                        free(str);
                } else {
                        if (sval) {
                                *ret_msg = xasprintf("'%s': %%(%s)%c needs a number, not a string", s, name, conv);
                                free(name);
                                goto fail;
                        }
                        fmt = xasprintf("%%%.*sl%c", (int)speclen, spec, conv == 'i' ? 'd' : conv);
                        GCC_ANALYZER_IGNORE("-Wanalyzer-null-dereference")
                        piece = xasprintf(fmt, var->n);
                        GCC_ANALYZER_END
                }
                sb_addn(&out, piece, strlen(piece));
                free(piece);
                free(fmt);
                free(name);
        }
        *ret = sb_take(&out);
        return 0;
fail:
        free(out.s);
        return -EINVAL;
}
