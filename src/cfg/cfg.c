/* SPDX-License-Identifier: MIT */
/* cfg — the INI layer and the entry points: libinih with a line-counting in-memory reader, the
 * configparser fix-ups inih lacks (inih-notes §5) and [include], filling the raw section store
 * (cfg_store.c) that cfg_build.c turns into a struct cfg. Pure: no logging, no globals besides
 * inih's knobs. */
#include "cfg/cfg.h"
#include "cfg/cfg_int.h"
#include "cfg/cfg_value.h"
#include "shared/util.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;


/* --- the reader: feeds inih from memory, counts lines and classifies each one as inih will ---- */

enum line_kind { LK_BLANK, LK_COMMENT, LK_CONT, LK_CONT_AS_KEY, LK_SECTION, LK_KEY, LK_BAD };

struct reader {
        struct cfg_ctx *c;
        const struct cfg_srcfile *f;
        const char *buf;
        size_t len, pos;
        int line;
        bool at_bol;
        enum line_kind kind;
        bool have_prev_key;             /* inih's prev_name is set */
        int key_indent;                 /* indentation of the last key line (configparser's rule) */
        long cur_sec;                   /* index into the store, -1: none yet */
        long last_sec, last_kv;         /* the value a continuation appends to; -1: none */
        int blank_run;                  /* blank lines since the last value line */
        bool only_include_ignored;      /* an included file: its [include] is not honoured */
};

static bool
is_ws(char ch)
{
        return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\f' || ch == '\v';
}

/* Where an inline comment (';' or '#' after whitespace) starts in s, or NULL. */
static const char *
find_inline_comment(const char *s, const char *end)
{
        for (const char *p = s; p < end; p++)
                if ((*p == ';' || *p == '#') && p > s && is_ws(p[-1]))
                        return p;
        return NULL;
}

static void
classify(struct reader *r, const char *line, size_t len)
{
        struct cfg_ctx *c = r->c;
        const char *end = line + len;
        while (end > line && is_ws(end[-1]))
                end--;
        const char *start = line;
        while (start < end && is_ws(*start))
                start++;
        if (start == end) {
                r->kind = LK_BLANK;
                r->blank_run++;
                return;
        }
        if (*start == ';' || *start == '#') {
                r->kind = LK_COMMENT;
                return;
        }
        int indent = (int)(start - line);
        if (r->have_prev_key && start > line) {
                r->kind = indent > r->key_indent ? LK_CONT : LK_CONT_AS_KEY;
                if (r->kind == LK_CONT_AS_KEY) {        /* a new key: deeper lines continue it */
                        r->blank_run = 0;
                        r->key_indent = indent;
                }
                return;
        }
        r->blank_run = 0;
        if (*start == '[') {
                const char *close = memchr(start + 1, ']', (size_t)(end - start - 1));
                if (!close) {
                        r->kind = LK_BAD;
                        cfg_add_error(c, r->f->path, r->line, NULL, NULL,
                                      xasprintf("section header '%.*s' has no ']'", (int)(end - start), start));
                        return;
                }
                char *name = xstrndup(start + 1, (size_t)(close - start - 1));
                if (r->only_include_ignored && !strcmp(name, "include")) {
                        cfg_add_warning(c, r->f->path, r->line, name, NULL,
                                        xstrdup("[include] in an included file is not honoured, ignoring"));
                }
                r->cur_sec = (long)cfg_store_section(c, name, r->f, r->line);
                free(name);
                r->kind = LK_SECTION;
                r->have_prev_key = false;
                r->last_sec = r->last_kv = -1;
                return;
        }
        const char *cm = find_inline_comment(start, end);
        const char *stop = cm ? cm : end;
        const char *sep = NULL;
        for (const char *p = start; p < stop; p++) {
                if (*p == '=' || *p == ':') {
                        sep = p;
                        break;
                }
        }
        if (!sep) {
                r->kind = LK_BAD;
                cfg_add_error(c, r->f->path, r->line,
                              r->cur_sec >= 0 ? c->st.sec[r->cur_sec].name : NULL, NULL,
                              xasprintf("line '%.*s' has no '=' or ':'", (int)(end - start), start));
                return;
        }
        r->kind = LK_KEY;
        r->have_prev_key = true;
        r->key_indent = indent;
}

static char *
reader_gets(char *buf, int n, void *u)
{
        struct reader *r = u;
        if (r->pos >= r->len || n < 2)
                return NULL;
        const char *s = r->buf + r->pos;
        size_t avail = r->len - r->pos;
        const char *nl = memchr(s, '\n', avail);
        size_t linelen = nl ? (size_t)(nl - s) + 1 : avail;
        if (r->at_bol) {
                r->line++;
                classify(r, s, linelen);
        }
        size_t take = linelen < (size_t)n - 1 ? linelen : (size_t)n - 1;
        memcpy(buf, s, take);
        buf[take] = '\0';
        /* a NUL inside the line would end it early for inih: make it a space */
        for (size_t i = 0; i < take; i++)
                if (!buf[i])
                        buf[i] = ' ';
        r->pos += take;
        r->at_bol = take == linelen;
        return buf;
}

static char *
strip_comment_rtrim(const char *v)
{
        const char *end = v + strlen(v);
        const char *cm = find_inline_comment(v, end);
        if (cm)
                end = cm;
        while (end > v && is_ws(end[-1]))
                end--;
        return xstrndup(v, (size_t)(end - v));
}

static void
set_key(struct reader *r, const char *name, size_t namelen, char *val)
{
        struct cfg_ctx *c = r->c;
        if (r->cur_sec < 0) {
                cfg_add_error(c, r->f->path, r->line, NULL, NULL,
                              xasprintf("'%.*s' is outside of any [section]", (int)namelen, name));
                free(val);
                r->last_sec = r->last_kv = -1;
                return;
        }
        struct cfg_section *s = &c->st.sec[r->cur_sec];
        while (namelen && is_ws(name[namelen - 1]))
                namelen--;
        if (!namelen) {
                cfg_add_error(c, r->f->path, r->line, s->name, NULL,
                              xstrdup("option without a name"));
                free(val);
                r->last_sec = r->last_kv = -1;
                return;
        }
        char *key = xstrndup(name, namelen);
        for (char *k = key; *k; k++)
                *k = (char)tolower((unsigned char)*k);
        r->last_sec = r->cur_sec;
        r->last_kv = (long)cfg_section_set(s, key, val, r->f, r->line);
}

static int
on_kv(void *u, const char *section, const char *name, const char *value)
{
        struct reader *r = u;
        struct cfg_ctx *c = r->c;
        (void)section;          /* tracked by the reader: inih caps section names at 50 bytes */
        if (!value)
                return 1;
        switch (r->kind) {
        case LK_CONT: {
                if (r->last_kv < 0)
                        return 1;
                struct cfg_kv *kv = &c->st.sec[r->last_sec].kv[r->last_kv];
                char *add = strip_comment_rtrim(value);
                size_t ol = strlen(kv->val), al = strlen(add);
                size_t nls = (size_t)r->blank_run + 1;
                kv->val = xrealloc(kv->val, ol + nls + al + 1);
                memset(kv->val + ol, '\n', nls);
                memcpy(kv->val + ol + nls, add, al + 1);
                free(add);
                r->blank_run = 0;
                return 1;
        }
        case LK_CONT_AS_KEY: {
                /* inih sees a continuation; configparser (same indentation) a new key */
                const char *sep = strpbrk(value, "=:");
                if (!sep) {
                        cfg_add_error(c, r->f->path, r->line,
                                      r->cur_sec >= 0 ? c->st.sec[r->cur_sec].name : NULL, NULL,
                                      xasprintf("line '%s' has no '=' or ':'", value));
                        r->last_sec = r->last_kv = -1;
                        return 1;
                }
                const char *v = sep + 1;
                while (is_ws(*v))
                        v++;
                set_key(r, value, (size_t)(sep - value), strip_comment_rtrim(v));
                return 1;
        }
        case LK_KEY:
                set_key(r, name, strlen(name), xstrdup(value));
                return 1;
        default:
                return 1;
        }
}

static void
set_ini_knobs(void)
{
        ini_use_stack = false;
        ini_allow_realloc = true;
        ini_max_line = 1 << 30;
        ini_initial_alloc = 256;
        ini_allow_multiline = true;
        ini_allow_inline_comments = true;
        ini_inline_comment_prefixes = (char *)";#";
        ini_start_comment_prefixes = (char *)";#";
        ini_allow_no_value = false;
        ini_allow_bom = false;
        ini_stop_on_first_error = false;
}

static void
parse_text(struct cfg_ctx *c, const struct cfg_srcfile *f, const char *text, size_t len, bool included)
{
        /* a UTF-8 BOM is accepted (supervisord rejects it; accepting is harmless) */
        if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
                text += 3;
                len -= 3;
        }
        struct reader r = {
                .c = c, .f = f, .buf = text, .len = len, .at_bol = true,
                .cur_sec = -1, .last_sec = -1, .last_kv = -1, .only_include_ignored = included,
        };
        set_ini_knobs();
        int rc = ini_parse_stream(reader_gets, &r, on_kv, &r);
        if (rc < 0)
                cfg_add_error(c, f->path, 0, NULL, NULL,
                              xstrdup(rc == -2 ? "out of memory while parsing" : "can't parse"));
        /* rc > 0: the line is already reported by classify() */
}

static int
read_file(const char *path, char **ret, size_t *ret_len)
{
        FILE *fp = fopen(path, "re");
        if (!fp)
                return -errno;
        struct stat st;
        if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
                fclose(fp);
                return -EISDIR;
        }
        size_t cap = 4096, len = 0;
        char *buf = xmalloc(cap);
        for (;;) {
                if (len == cap) {
                        cap *= 2;
                        buf = xrealloc(buf, cap);
                }
                size_t n = fread(buf + len, 1, cap - len, fp);
                len += n;
                if (n == 0) {
                        if (ferror(fp)) {
                                int e = errno ? errno : EIO;
                                fclose(fp);
                                free(buf);
                                return -e;
                        }
                        break;
                }
        }
        fclose(fp);
        *ret = buf;
        *ret_len = len;
        return 0;
}

/* --- [include] -------------------------------------------------------------------------------- */

static void
do_includes(struct cfg_ctx *c, const struct cfg_srcfile *main)
{
        const struct cfg_section *s = cfg_store_find(c, "include");
        if (!s)
                return;
        const struct cfg_kv *kv = cfg_section_get(s, "files");
        if (!kv) {
                cfg_add_error(c, s->file->path, s->line, "include", "files",
                              xstrdup("[include] section has no files setting"));
                return;
        }
        struct cfg_var v[] = {
                { .name = "here", .s = main->dir },
                { .name = "host_node_name", .s = c->host },
        };
        struct cfg_vars vars = { .v = v, .n = ARRAY_SIZE(v), .env = { c->envp } };
        char *files, *msg;
        if (cfg_expand(kv->val, &vars, &files, &msg) < 0) {
                cfg_add_error(c, kv->file->path, kv->line, "include", "files", msg);
                return;
        }
        int line = kv->line;
        char *save, *tok;
        char **paths = NULL;
        size_t npaths = 0;
        for (tok = strtok_r(files, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
                char *pat = tok[0] == '/' ? xstrdup(tok) : xasprintf("%s/%s", main->dir, tok);
                glob_t g;
                int gr = glob(pat, 0, NULL, &g);
                if (gr == GLOB_NOMATCH || (gr == 0 && g.gl_pathc == 0)) {
                        cfg_add_warning(c, main->path, line, "include", "files",
                                        xasprintf("No file matches via include \"%s\"", pat));
                } else if (gr != 0) {
                        cfg_add_error(c, main->path, line, "include", "files",
                                      xasprintf("can't expand pattern '%s'", pat));
                } else {
                        /* glob(3) sorts already (strcoll); sort again bytewise as Python does */
                        qsort(g.gl_pathv, g.gl_pathc, sizeof *g.gl_pathv, cmp_str);
                        for (size_t i = 0; i < g.gl_pathc; i++) {
                                paths = xrealloc(paths, (npaths + 1) * sizeof *paths);
                                paths[npaths++] = xstrdup(g.gl_pathv[i]);
                        }
                }
                if (gr == 0)
                        globfree(&g);
                free(pat);
        }
        free(files);
        for (size_t i = 0; i < npaths; i++) {
                char *abs = cfg_abspath(paths[i]);
                char *text;
                size_t len;
                int r = read_file(abs, &text, &len);
                if (r < 0) {
                        cfg_add_error(c, main->path, line, "include", "files",
                                      xasprintf("can't read included file '%s': %s", abs, strerror(-r)));
                } else {
                        const struct cfg_srcfile *f = cfg_store_file(c, abs);
                        parse_text(c, f, text, len, true);
                        free(text);
                        c->included = xrealloc(c->included, (c->nincluded + 2) * sizeof *c->included);
                        c->included[c->nincluded++] = xstrdup(abs);
                        c->included[c->nincluded] = NULL;
                }
                free(abs);
                free(paths[i]);
        }
        free(paths);
}

/* --- entry points ----------------------------------------------------------------------------- */

static struct cfg *
load(const char *text, size_t len, const struct cfg_load_options *opt, struct cfg_errors *errs)
{
        struct cfg_ctx c = { .opt = opt, .errs = errs };
        size_t nerr0 = errs->n;
        c.envp = opt->envp ? opt->envp : environ;
        if (opt->hostname) {
                c.host = xstrdup(opt->hostname);
        } else {
                struct utsname u;
                c.host = xstrdup(uname(&u) == 0 ? u.nodename : "localhost");
        }
        char *abs = cfg_abspath(opt->path);
        const struct cfg_srcfile *main = cfg_store_file(&c, abs);
        free(abs);
        parse_text(&c, main, text, len, false);
        if (!opt->client)               /* supervisorctl reads the main file alone */
                do_includes(&c, main);
        struct cfg *cfg = cfg_build(&c, main);
        if (errs->n > nerr0)
                cfg = cfg_free(cfg);
        if (cfg) {
                cfg->warnings = c.warnings;
                cfg->nwarnings = c.nwarnings;
                cfg->included = c.included ? c.included : xcalloc(1, sizeof(char *));
        } else {
                for (size_t i = 0; i < c.nwarnings; i++) {
                        errs->warnings = xrealloc(errs->warnings, (errs->nwarnings + 2) * sizeof *errs->warnings);
                        errs->warnings[errs->nwarnings++] = c.warnings[i];
                        errs->warnings[errs->nwarnings] = NULL;
                }
                free(c.warnings);
                strv_free(c.included);
        }
        cfg_store_free(&c.st);
        free(c.host);
        return cfg;
}

static bool
have_path(const struct cfg_load_options *opt, struct cfg_errors *errs)
{
        if (opt->path && *opt->path)
                return true;
        struct cfg_ctx c = { .opt = opt, .errs = errs };
        cfg_add_error(&c, NULL, 0, NULL, NULL, xstrdup("no configuration file given"));
        return false;
}

struct cfg *
cfg_load_string(const char *text, const struct cfg_load_options *opt, struct cfg_errors *errs)
{
        if (!have_path(opt, errs))
                return NULL;
        return load(text, strlen(text), opt, errs);
}

struct cfg *
cfg_load(const struct cfg_load_options *opt, struct cfg_errors *errs)
{
        /* Initialised only for clang's analyzer (a false positive): read_file() returns -errno
         * when it sets neither, and the analyzer cannot tell that -errno is negative. */
        char *text = NULL;
        size_t len = 0;
        if (!have_path(opt, errs))
                return NULL;
        int r = read_file(opt->path, &text, &len);
        if (r < 0) {
                struct cfg_ctx c = { .opt = opt, .errs = errs };
                cfg_add_error(&c, opt->path, 0, NULL, NULL,
                              xasprintf("can't read config file: %s", strerror(-r)));
                return NULL;
        }
        struct cfg *cfg = load(text, len, opt, errs);
        free(text);
        return cfg;
}

char *
cfg_server_url(const struct cfg *cfg)
{
        if (cfg->unix_server.enabled && cfg->unix_server.file)
                return xasprintf("unix://%s", cfg->unix_server.file);
        if (!cfg->inet_server.enabled)
                return NULL;
        const char *h = cfg->inet_server.host;
        if (!h || !*h || !strcmp(h, "*"))
                h = "localhost";
        return xasprintf("http://%s:%d", h, cfg->inet_server.port);
}
