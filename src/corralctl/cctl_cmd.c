/* SPDX-License-Identifier: MIT */
/* cctl_cmd — supervisorctl's commands, with its output and exit statuses (compat F), over
 * one keep-alive connection per command; --json output for status, avail, pid and reread. status
 * and pid all read corrald's JSON API when it is there (cctl_json.c). */
#include "corralctl/cctl.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>

#include "shared/util.h"

/* fault codes (compat E.2) */
enum {
        F_UNKNOWN_METHOD = 1, F_SHUTDOWN_STATE = 6, F_BAD_NAME = 10, F_BAD_SIGNAL = 11,
        F_NO_FILE = 20, F_NOT_EXECUTABLE = 21, F_FAILED = 30, F_ABNORMAL_TERMINATION = 40,
        F_SPAWN_ERROR = 50, F_ALREADY_STARTED = 60, F_NOT_RUNNING = 70, F_SUCCESS = 80,
        F_ALREADY_ADDED = 90, F_STILL_RUNNING = 91, F_CANT_REREAD = 92,
};

/* process states */
enum { PS_STOPPED = 0, PS_RUNNING = 20, PS_EXITED = 100, PS_FATAL = 200, PS_UNKNOWN = 1000 };

#define PY_CTL "/usr/lib/python3/dist-packages/supervisor/supervisorctl.py"
#define PY_XMLRPC "/usr/lib/python3/dist-packages/supervisor/xmlrpc.py"

static char *fault_string;      /* of the last call that returned a fault */

void
cctl_output(struct cctl *c, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vfprintf(c->msg, fmt, ap);
        va_end(ap);
        fputc('\n', c->msg);
}

static void
out_raw(struct cctl *c, const char *s, size_t n)
{
        fwrite(s, 1, n, c->msg);
        fputc('\n', c->msg);
}

static int __attribute__((format(printf, 2, 3)))
raise_exc(struct cctl *c, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        free(c->exc);
        if (vasprintf(&c->exc, fmt, ap) < 0)
                c->exc = NULL;
        va_end(ap);
        return -1;
}

/* Python's repr() of a str, enough for fault strings. */
static char *
py_repr(const char *s)
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

static int
raise_fault(struct cctl *c, int code, const char *str)
{
        char *r = py_repr(str ? str : "");
        raise_exc(c, "<class 'xmlrpc.client.Fault'>, <Fault %d: %s>: file: /usr/lib/python3.11/xmlrpc/client.py line: 668",
                  code, r);
        free(r);
        return -1;
}

static const char *
py_errclass(int e)
{
        switch (e) {
        case ECONNREFUSED: return "ConnectionRefusedError";
        case ENOENT: return "FileNotFoundError";
        case EACCES: case EPERM: return "PermissionError";
        case ECONNRESET: return "ConnectionResetError";
        case EPIPE: return "BrokenPipeError";
        case ETIMEDOUT: return "TimeoutError";
        case ECONNABORTED: return "ConnectionAbortedError";
        default: return "OSError";
        }
}

static int
raise_socket(struct cctl *c, int e)
{
        c->exc_errno = e;
        return raise_exc(c, "<class '%s'>, [Errno %d] %s: file: %s line: %d", py_errclass(e), e,
                         strerror(e), c->cli.url.is_unix ? PY_XMLRPC : "/usr/lib/python3.11/socket.py",
                         c->cli.url.is_unix ? 557 : 836);
}

/* A connection for this command, created on first use. 0 or -1 (exception raised). */
static int
client(struct cctl *c)
{
        if (c->cli_ok)
                return 0;
        if (cctl_client_init(&c->cli, c->serverurl, c->username, c->password) < 0)
                return raise_exc(c, "<class 'ValueError'>, Unknown protocol for serverurl %s: file: %s line: 505",
                                 c->serverurl, PY_XMLRPC);
        c->cli_ok = true;
        return 0;
}

/* One XML-RPC call. params (consumed) may be NULL. Returns 0 with *ret (caller frees; ret may be
 * NULL), a fault code > 0 (string in fault_string), or -1 with an exception raised. */
static int
call(struct cctl *c, const char *method, struct xr_value *params, struct xr_value **ret)
{
        if (ret)
                *ret = NULL;
        if (client(c) < 0) {
                xr_free(params);
                return -1;
        }
        struct cctl_result r;
        cctl_call(&c->cli, method, params, &r);
        xr_free(params);
        int rc = -1;
        switch (r.kind) {
        case CCTL_OK:
                if (ret) {
                        *ret = r.value;
                        r.value = NULL;
                }
                rc = 0;
                break;
        case CCTL_FAULT:
                free(fault_string);
                fault_string = r.fault_string;
                r.fault_string = NULL;
                rc = r.fault_code > 0 ? r.fault_code : F_FAILED;
                break;
        case CCTL_SOCKET:
                raise_socket(c, r.err);
                break;
        case CCTL_PROTOCOL:
                c->exc_401 = r.http_status == 401;
                raise_exc(c, "<class 'xmlrpc.client.ProtocolError'>, <ProtocolError for 127.0.0.1/RPC2: %d %s>: file: %s line: 539",
                          r.http_status, r.reason ? r.reason : "", PY_XMLRPC);
                break;
        case CCTL_BADREPLY:
                raise_exc(c, "<class 'xmlrpc.client.ResponseError'>, %s: file: /usr/lib/python3.11/xmlrpc/client.py line: 665",
                          r.msg ? r.msg : "bad response");
                break;
        }
        cctl_result_clear(&r);
        return rc;
}

static struct xr_value *
params(int n, ...)
{
        struct xr_value *a = xr_array();
        va_list ap;
        va_start(ap, n);
        for (int i = 0; i < n; i++)
                xr_array_push(a, va_arg(ap, struct xr_value *));
        va_end(ap);
        return a;
}

static const char *
vstr(const struct xr_value *st, const char *key)
{
        const struct xr_value *v = xr_struct_get(st, key);
        return v && v->type == XR_STRING ? v->str.s : "";
}

static int64_t
vint(const struct xr_value *st, const char *key)
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
static char *
py_str(const struct xr_value *v)
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

static size_t
arr_len(const struct xr_value *v)
{
        return v && v->type == XR_ARRAY ? v->arr.n : 0;
}

/* make_namespec / split_namespec (supervisor.options) */
static char *
make_namespec(const char *group, const char *name)
{
        if (!name)
                return xasprintf("%s:None", group);
        if (strcmp(group, name) == 0)
                return xstrdup(name);
        return xasprintf("%s:%s", group, name);
}

static void
split_namespec(const char *spec, char **ret_group, char **ret_name)
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

/* Words of a command argument (str.split()). */
struct words {
        char **v;
        size_t n;
};

static void
split_words(const char *s, struct words *w)
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

static void
words_free(struct words *w)
{
        for (size_t i = 0; i < w->n; i++)
                free(w->v[i]);
        free(w->v);
}

static bool
words_has(const struct words *w, const char *s)
{
        for (size_t i = 0; i < w->n; i++)
                if (strcmp(w->v[i], s) == 0)
                        return true;
        return false;
}

/* Display width in characters (code points) of UTF-8 text, as Python's %-Ns counts. */
static size_t
u8len(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                if (((unsigned char)*s & 0xc0) != 0x80)
                        n++;
        return n;
}

static void
pad(FILE *f, const char *s, size_t width)
{
        fputs(s, f);
        for (size_t n = u8len(s); n < width; n++)
                fputc(' ', f);
}

/* ---- JSON ------------------------------------------------------------------------------------ */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF), or 0. The same rules as api_json.c, which corralctl does not link. */
static size_t
utf8_seq(const unsigned char *s, size_t left)
{
        unsigned char c = s[0];
        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                return left >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
        if (c >= 0xe0 && c <= 0xef) {
                if (left < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
                        return 0;
                if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
                        return 0;
                return 3;
        }
        if (c >= 0xf0 && c <= 0xf4) {
                if (left < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
                    (s[3] & 0xc0) != 0x80)
                        return 0;
                if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
                        return 0;
                return 4;
        }
        return 0;
}

/* s with each byte that is not part of well-formed UTF-8 replaced by U+FFFD (allocated), or NULL
 * when s is well-formed already (the usual case). */
static char *
utf8_clean(const char *s)
{
        const unsigned char *u = (const unsigned char *)s;
        size_t len = strlen(s), i = 0, n;
        while (i < len && (n = utf8_seq(u + i, len - i)))
                i += n;
        if (i == len)
                return NULL;
        char *b = xmalloc(len * 3 + 1);         /* each bad byte grows to 3 at most */
        memcpy(b, s, i);
        size_t bl = i;
        while (i < len) {
                if ((n = utf8_seq(u + i, len - i))) {
                        memcpy(b + bl, s + i, n);
                        bl += n;
                        i += n;
                } else {
                        memcpy(b + bl, "\xef\xbf\xbd", 3);   /* U+FFFD */
                        bl += 3;
                        i++;
                }
        }
        b[bl] = '\0';
        return b;
}

/* A JSON string of s (NULL → ""), always valid UTF-8 (see utf8_clean). */
static json_t *
jstr(const char *s)
{
        if (!s)
                return json_string_nocheck("");
        char *fixed = utf8_clean(s);
        json_t *j = json_string_nocheck(fixed ? fixed : s);    /* checked above */
        free(fixed);
        return j;
}

/* o[k] = v (stolen), k made valid UTF-8 the same way. */
static void
jset(json_t *o, const char *k, json_t *v)
{
        char *fixed = utf8_clean(k);
        json_object_set_new_nocheck(o, fixed ? fixed : k, v);
        free(fixed);
}

/* Writes j and a newline to stdout, and releases j. */
static void
print_json(json_t *j)
{
        json_dumpf(j, stdout, JSON_INDENT(0) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(j);
}

/* ---- exit status helpers ------------------------------------------------------------------- */

static void
exit_from_fault(struct cctl *c, int code, int ignored)
{
        if (code == ignored || code == F_SUCCESS)
                return;
        if (code == F_SPAWN_ERROR || code == F_ABNORMAL_TERMINATION || code == F_NOT_RUNNING)
                c->exitstatus = CCTL_EXIT_NOT_RUNNING;
        else
                c->exitstatus = CCTL_EXIT_GENERIC;
}

/* upcheck: getVersion must be "3.0". */
static int
upcheck(struct cctl *c, bool *ok)
{
        struct xr_value *v;
        *ok = false;
        int rc = call(c, "supervisor.getVersion", NULL, &v);
        if (rc < 0) {
                if (c->exc_errno == ECONNREFUSED) {
                        cctl_output(c, "%s refused connection", c->serverurl);
                        c->exitstatus = CCTL_EXIT_INSUFFICIENT;
                        return 0;
                }
                if (c->exc_errno == ENOENT) {
                        cctl_output(c, "%s no such file", c->serverurl);
                        c->exitstatus = CCTL_EXIT_NOT_RUNNING;
                        return 0;
                }
                if (!c->exc_401)
                        c->exitstatus = CCTL_EXIT_GENERIC;
                return -1;
        }
        if (rc > 0) {
                if (rc == F_UNKNOWN_METHOD) {
                        cctl_output(c, "Sorry, supervisord responded but did not recognize the supervisor "
                                      "namespace commands that supervisorctl uses to control it.  Please "
                                      "check that the [rpcinterface:supervisor] section is enabled in the "
                                      "configuration file (see sample.conf).");
                        c->exitstatus = CCTL_EXIT_UNIMPLEMENTED;
                        return 0;
                }
                c->exitstatus = CCTL_EXIT_GENERIC;
                return raise_fault(c, rc, fault_string);
        }
        if (!v || v->type != XR_STRING || strcmp(v->str.s, "3.0") != 0) {
                char *s = py_str(v);
                cctl_output(c, "Sorry, this version of supervisorctl expects to talk to a server with API "
                              "version 3.0, but the remote version is %s.", s);
                free(s);
                c->exitstatus = CCTL_EXIT_NOT_INSTALLED;
                xr_free(v);
                return 0;
        }
        xr_free(v);
        *ok = true;
        return 0;
}

#define UPCHECK(c)                                      \
        do {                                            \
                bool ok_;                               \
                if (upcheck((c), &ok_) < 0)             \
                        return -1;                      \
                if (!ok_)                               \
                        return 0;                       \
        } while (0)

/* ---- help texts ------------------------------------------------------------------------------ */

struct cmd {
        const char *name;
        int (*fn)(struct cctl *c, const char *arg);
        const char *help;
};

static const struct cmd *find_cmd(const char *name);

static void
help_of(struct cctl *c, const char *name)
{
        const struct cmd *k = find_cmd(name);
        if (k && k->help)
                fputs(k->help, c->msg);
}

/* ---- status ---------------------------------------------------------------------------------- */

static bool
is_stopped_state(int64_t st)
{
        return st == PS_STOPPED || st == PS_EXITED || st == PS_FATAL || st == PS_UNKNOWN;
}

/* getAllProcessInfo's array as cctl_pinfos (borrowing from v, which it takes). */
static void
pinfos_from_xml(struct cctl_pinfos *ret, struct xr_value *v)
{
        memset(ret, 0, sizeof *ret);
        size_t n = arr_len(v);
        ret->v = xcalloc(n + 1, sizeof *ret->v);
        for (size_t i = 0; i < n; i++) {
                const struct xr_value *info = xr_array_get(v, i);
                ret->v[i] = (struct cctl_pinfo){
                        .name = vstr(info, "name"),
                        .group = vstr(info, "group"),
                        .statename = vstr(info, "statename"),
                        .description = vstr(info, "description"),
                        .spawnerr = vstr(info, "spawnerr"),
                        .stdout_logfile = vstr(info, "stdout_logfile"),
                        .stderr_logfile = vstr(info, "stderr_logfile"),
                        .state = vint(info, "state"),
                        .pid = vint(info, "pid"),
                        .start = vint(info, "start"),
                        .stop = vint(info, "stop"),
                        .now = vint(info, "now"),
                        .exitstatus = vint(info, "exitstatus"),
                };
        }
        ret->n = n;
        ret->xml = v;
}

/* Every process: from corrald's JSON API when it answers, else as supervisorctl does it (upcheck,
 * then getAllProcessInfo). 1 with *ret filled; 0 when the upcheck printed why not (exit status
 * set); -1 with an exception raised. */
static int
all_process_info(struct cctl *c, struct cctl_pinfos *ret)
{
        if (cctl_json_status(c, ret))
                return 1;
        bool ok;
        if (upcheck(c, &ok) < 0)
                return -1;
        if (!ok)
                return 0;
        struct xr_value *v;
        int rc = call(c, "supervisor.getAllProcessInfo", NULL, &v);
        if (rc > 0)
                return raise_fault(c, rc, fault_string);
        if (rc < 0)
                return -1;
        pinfos_from_xml(ret, v);
        return 1;
}

static json_t *
pinfo_json(const struct cctl_pinfo *info)
{
        char *ns = make_namespec(info->group, info->name);
        json_t *o = json_object();
        json_object_set_new(o, "name", jstr(ns));
        json_object_set_new(o, "group", jstr(info->group));
        json_object_set_new(o, "process", jstr(info->name));
        json_object_set_new(o, "state", jstr(info->statename));
        json_object_set_new(o, "statecode", json_integer(info->state));
        json_object_set_new(o, "pid", json_integer(info->pid));
        json_object_set_new(o, "description", jstr(info->description));
        json_object_set_new(o, "start", json_integer(info->start));
        json_object_set_new(o, "stop", json_integer(info->stop));
        json_object_set_new(o, "now", json_integer(info->now));
        json_object_set_new(o, "exitstatus", json_integer(info->exitstatus));
        json_object_set_new(o, "spawnerr", jstr(info->spawnerr));
        json_object_set_new(o, "stdout_logfile", jstr(info->stdout_logfile));
        json_object_set_new(o, "stderr_logfile", jstr(info->stderr_logfile));
        free(ns);
        return o;
}

static int
do_status(struct cctl *c, const char *arg)
{
        struct cctl_pinfos all;
        int rc = all_process_info(c, &all);
        if (rc == 0)
                c->exitstatus = 4;
        if (rc <= 0)
                return rc;
        size_t n = all.n;
        const struct cctl_pinfo **match = xcalloc(n + 1, sizeof *match);
        size_t nm = 0;
        struct words w;
        split_words(arg, &w);
        if (w.n == 0 || words_has(&w, "all")) {
                for (size_t i = 0; i < n; i++)
                        match[nm++] = &all.v[i];
        } else {
                for (size_t k = 0; k < w.n; k++) {
                        char *g, *p;
                        split_namespec(w.v[k], &g, &p);
                        bool bad = true;
                        for (size_t i = 0; i < n; i++) {
                                const struct cctl_pinfo *info = &all.v[i];
                                bool m = strcmp(info->group, g) == 0;
                                if (p)
                                        m = m && strcmp(info->name, p) == 0;
                                if (m) {
                                        bad = false;
                                        match = xrealloc(match, (nm + 1) * sizeof *match);
                                        match[nm++] = info;
                                }
                        }
                        if (bad) {
                                if (!p)
                                        cctl_output(c, "%s: ERROR (no such group)", g);
                                else
                                        cctl_output(c, "%s: ERROR (no such process)", w.v[k]);
                                c->exitstatus = CCTL_EXIT_INSUFFICIENT;
                        }
                        free(g);
                        free(p);
                }
        }
        words_free(&w);
        if (c->json) {
                json_t *a = json_array();
                for (size_t i = 0; i < nm; i++)
                        json_array_append_new(a, pinfo_json(match[i]));
                print_json(a);
        } else {
                size_t maxlen = 30;
                char **specs = xcalloc(nm + 1, sizeof *specs);
                for (size_t i = 0; i < nm; i++) {
                        specs[i] = make_namespec(match[i]->group, match[i]->name);
                        size_t l = u8len(specs[i]);
                        if (l > maxlen)
                                maxlen = l;
                }
                for (size_t i = 0; i < nm; i++) {
                        pad(stdout, specs[i], maxlen + 3);
                        pad(stdout, match[i]->statename, 10);
                        fputs(match[i]->description, stdout);
                        fputc('\n', stdout);
                        free(specs[i]);
                }
                free(specs);
        }
        for (size_t i = 0; i < nm; i++)
                if (is_stopped_state(match[i]->state))
                        c->exitstatus = CCTL_EXIT_UNIMPLEMENTED;
        free(match);
        cctl_pinfos_free(&all);
        return 0;
}

/* ---- pid ------------------------------------------------------------------------------------- */

static void
pid_all(struct cctl *c, const struct cctl_pinfos *all)
{
        json_t *o = c->json ? json_object() : NULL;
        for (size_t i = 0; i < all->n; i++) {
                const struct cctl_pinfo *info = &all->v[i];
                if (o) {
                        char *ns = make_namespec(info->group, info->name);
                        jset(o, ns, json_integer(info->pid));
                        free(ns);
                } else
                        printf("%" PRId64 "\n", info->pid);
        }
        if (o)
                print_json(o);
}

static int
do_pid(struct cctl *c, const char *arg)
{
        struct words w;
        split_words(arg, &w);
        if (w.n > 0 && words_has(&w, "all")) {
                /* pid all: getAllProcessInfo, or the JSON API, after the same upcheck */
                struct cctl_pinfos all;
                int rc = all_process_info(c, &all);
                words_free(&w);
                if (rc <= 0)
                        return rc;
                pid_all(c, &all);
                cctl_pinfos_free(&all);
                return 0;
        }
        bool ok;
        int urc = upcheck(c, &ok);
        if (urc < 0 || !ok) {
                words_free(&w);
                return urc < 0 ? -1 : 0;
        }
        struct xr_value *v = NULL;
        int rc = 0;
        if (w.n == 0) {
                rc = call(c, "supervisor.getPID", NULL, &v);
                if (rc == 0) {
                        char *s = py_str(v);
                        if (c->json) {
                                json_t *o = json_object();
                                json_object_set_new(o, "supervisord",
                                                    v && v->type == XR_INT ? json_integer(v->i)
                                                                           : jstr(s));
                                print_json(o);
                        } else
                                printf("%s\n", s);
                        free(s);
                }
        } else {
                json_t *o = c->json ? json_object() : NULL;
                for (size_t k = 0; k < w.n && rc >= 0; k++) {
                        rc = call(c, "supervisor.getProcessInfo", params(1, xr_string(w.v[k])), &v);
                        if (rc > 0) {
                                c->exitstatus = CCTL_EXIT_GENERIC;
                                if (rc != F_BAD_NAME) {
                                        rc = raise_fault(c, rc, fault_string);
                                        break;
                                }
                                cctl_output(c, "No such process %s", w.v[k]);
                                rc = 0;
                                continue;
                        }
                        if (rc < 0)
                                break;
                        int64_t pid = vint(v, "pid");
                        if (o)
                                jset(o, w.v[k], json_integer(pid));
                        else
                                printf("%" PRId64 "\n", pid);
                        if (pid == 0)
                                c->exitstatus = CCTL_EXIT_NOT_RUNNING;
                        xr_free(v);
                        v = NULL;
                }
                if (o)
                        print_json(o);
        }
        if (rc > 0)
                rc = raise_fault(c, rc, fault_string);
        xr_free(v);
        words_free(&w);
        return rc < 0 ? -1 : 0;
}

/* ---- start / stop / signal / restart / clear ------------------------------------------------- */

static char *
startresult(struct cctl *c, const char *group, const char *name, int code, bool *bad)
{
        char *ns = make_namespec(group, name);
        const char *what = NULL;
        char *r = NULL;
        *bad = false;
        switch (code) {
        case F_BAD_NAME: what = "no such process"; break;
        case F_NO_FILE: what = "no such file"; break;
        case F_NOT_EXECUTABLE: what = "file is not executable"; break;
        case F_ALREADY_STARTED: what = "already started"; break;
        case F_SPAWN_ERROR: what = "spawn error"; break;
        case F_ABNORMAL_TERMINATION: what = "abnormal termination"; break;
        case F_SUCCESS:
                r = xasprintf("%s: started", ns);
                break;
        default:
                raise_exc(c, "<class 'ValueError'>, Unknown result code %d for %s: file: %s line: 761",
                          code, ns, PY_CTL);
                *bad = true;
        }
        if (what)
                r = xasprintf("%s: ERROR (%s)", ns, what);
        free(ns);
        return r;
}

static char *
signalresult(struct cctl *c, const char *group, const char *name, int code, const char *desc,
             const char *success, bool *bad)
{
        char *ns = make_namespec(group, name);
        const char *what = NULL;
        char *r = NULL;
        *bad = false;
        switch (code) {
        case F_BAD_NAME: what = "no such process"; break;
        case F_BAD_SIGNAL: what = "bad signal name"; break;
        case F_NOT_RUNNING: what = "not running"; break;
        case F_SUCCESS:
                r = xasprintf("%s: %s", ns, success);
                break;
        case F_FAILED:
                r = xstrdup(desc ? desc : "");
                break;
        default:
                raise_exc(c, "<class 'ValueError'>, Unknown result code %d for %s: file: %s line: 835",
                          code, ns, PY_CTL);
                *bad = true;
        }
        if (what)
                r = xasprintf("%s: ERROR (%s)", ns, what);
        free(ns);
        return r;
}

static char *
clearresult(struct cctl *c, const char *group, const char *name, int code, bool *bad)
{
        char *ns = make_namespec(group, name);
        char *r = NULL;
        *bad = false;
        if (code == F_BAD_NAME)
                r = xasprintf("%s: ERROR (no such process)", ns);
        else if (code == F_FAILED)
                r = xasprintf("%s: ERROR (failed)", ns);
        else if (code == F_SUCCESS)
                r = xasprintf("%s: cleared", ns);
        else {
                raise_exc(c, "<class 'ValueError'>, Unknown result code %d for %s: file: %s line: 1260",
                          code, ns, PY_CTL);
                *bad = true;
        }
        free(ns);
        return r;
}

enum rkind { RK_START, RK_STOP, RK_SIGNAL, RK_CLEAR };

static char *
result_line(struct cctl *c, enum rkind k, const char *group, const char *name, int code,
            const char *desc, bool *bad)
{
        switch (k) {
        case RK_START: return startresult(c, group, name, code, bad);
        case RK_STOP: return signalresult(c, group, name, code, desc, "stopped", bad);
        case RK_SIGNAL: return signalresult(c, group, name, code, desc, "signalled", bad);
        case RK_CLEAR: return clearresult(c, group, name, code, bad);
        }
        return NULL;
}

static int
ignored_code(enum rkind k)
{
        return k == RK_START ? F_ALREADY_STARTED : k == RK_STOP ? F_NOT_RUNNING : -1;
}

/* Print an array of result structs. 0 or -1. */
static int
show_results(struct cctl *c, enum rkind k, const struct xr_value *results)
{
        for (size_t i = 0; i < arr_len(results); i++) {
                const struct xr_value *r = xr_array_get(results, i);
                bool bad;
                int code = (int)vint(r, "status");
                char *line = result_line(c, k, vstr(r, "group"), vstr(r, "name"), code,
                                         vstr(r, "description"), &bad);
                if (bad)
                        return -1;
                cctl_output(c, "%s", line);
                free(line);
                exit_from_fault(c, code, ignored_code(k));
        }
        return 0;
}

/* start/stop/signal/clear over names: the shared shape of supervisorctl's do_start & co. */
static int
multi(struct cctl *c, enum rkind k, struct words *w, size_t first, const char *sig)
{
        static const char *const all_m[] = { "supervisor.startAllProcesses", "supervisor.stopAllProcesses",
                                             "supervisor.signalAllProcesses", "supervisor.clearAllProcessLogs" };
        static const char *const group_m[] = { "supervisor.startProcessGroup", "supervisor.stopProcessGroup",
                                               "supervisor.signalProcessGroup", NULL };
        static const char *const one_m[] = { "supervisor.startProcess", "supervisor.stopProcess",
                                             "supervisor.signalProcess", "supervisor.clearProcessLogs" };
        static const char *const done[] = { "started", "stopped", "signalled", "cleared" };
        struct xr_value *v = NULL;
        int rc;
        bool has_all = false;
        for (size_t i = first; i < w->n; i++)
                has_all = has_all || strcmp(w->v[i], "all") == 0;
        if (has_all) {
                rc = call(c, all_m[k], k == RK_SIGNAL ? params(1, xr_string(sig)) : NULL, &v);
                if (rc > 0)
                        return raise_fault(c, rc, fault_string);
                if (rc < 0)
                        return -1;
                rc = show_results(c, k, v);
                xr_free(v);
                return rc;
        }
        for (size_t i = first; i < w->n; i++) {
                char *g, *p;
                split_namespec(w->v[i], &g, &p);
                if (!p && group_m[k]) {
                        struct xr_value *pa = k == RK_SIGNAL ? params(2, xr_string(g), xr_string(sig))
                                                             : params(1, xr_string(g));
                        rc = call(c, group_m[k], pa, &v);
                        if (rc == 0) {
                                rc = show_results(c, k, v);
                        } else if (rc == F_BAD_NAME) {
                                cctl_output(c, "%s: ERROR (no such group)", g);
                                c->exitstatus = k == RK_START ? CCTL_EXIT_INVALID_ARGS : CCTL_EXIT_GENERIC;
                                rc = 0;
                        } else if (rc > 0) {
                                c->exitstatus = CCTL_EXIT_GENERIC;
                                rc = raise_fault(c, rc, fault_string);
                        }
                } else {
                        struct xr_value *pa = k == RK_SIGNAL ? params(2, xr_string(w->v[i]), xr_string(sig))
                                                             : params(1, xr_string(w->v[i]));
                        rc = call(c, one_m[k], pa, &v);
                        if (rc == 0) {
                                char *ns = make_namespec(g, p);
                                cctl_output(c, "%s: %s", ns, done[k]);
                                free(ns);
                        } else if (rc > 0) {
                                bool bad;
                                char *line = result_line(c, k, g, p, rc, fault_string, &bad);
                                if (!bad) {
                                        cctl_output(c, "%s", line);
                                        exit_from_fault(c, rc, ignored_code(k));
                                }
                                free(line);
                                rc = bad ? -1 : 0;
                        }
                }
                xr_free(v);
                v = NULL;
                free(g);
                free(p);
                if (rc < 0)
                        return -1;
        }
        return 0;
}

static int
do_start(struct cctl *c, const char *arg)
{
        UPCHECK(c);
        struct words w;
        split_words(arg, &w);
        int rc = 0;
        if (w.n == 0) {
                cctl_output(c, "Error: start requires a process name");
                c->exitstatus = CCTL_EXIT_INVALID_ARGS;
                help_of(c, "start");
        } else
                rc = multi(c, RK_START, &w, 0, NULL);
        words_free(&w);
        return rc;
}

static int
do_stop(struct cctl *c, const char *arg)
{
        UPCHECK(c);
        struct words w;
        split_words(arg, &w);
        int rc = 0;
        if (w.n == 0) {
                cctl_output(c, "Error: stop requires a process name");
                c->exitstatus = CCTL_EXIT_GENERIC;
                help_of(c, "stop");
        } else
                rc = multi(c, RK_STOP, &w, 0, NULL);
        words_free(&w);
        return rc;
}

static int
do_signal(struct cctl *c, const char *arg)
{
        UPCHECK(c);
        struct words w;
        split_words(arg, &w);
        int rc = 0;
        if (w.n < 2) {
                cctl_output(c, "Error: signal requires a signal name and a process name");
                help_of(c, "signal");
                c->exitstatus = CCTL_EXIT_GENERIC;
        } else
                rc = multi(c, RK_SIGNAL, &w, 1, w.v[0]);
        words_free(&w);
        return rc;
}

static int
do_restart(struct cctl *c, const char *arg)
{
        UPCHECK(c);
        struct words w;
        split_words(arg, &w);
        size_t n = w.n;
        words_free(&w);
        if (n == 0) {
                cctl_output(c, "Error: restart requires a process name");
                c->exitstatus = CCTL_EXIT_GENERIC;
                help_of(c, "restart");
                return 0;
        }
        if (do_stop(c, arg) < 0)
                return -1;
        return do_start(c, arg);
}

static int
do_clear(struct cctl *c, const char *arg)
{
        UPCHECK(c);
        struct words w;
        split_words(arg, &w);
        int rc = 0;
        if (w.n == 0) {
                cctl_output(c, "Error: clear requires a process name");
                c->exitstatus = CCTL_EXIT_GENERIC;
                help_of(c, "clear");
        } else
                rc = multi(c, RK_CLEAR, &w, 0, NULL);
        words_free(&w);
        return rc;
}

/* ---- tail / maintail --------------------------------------------------------------------------- */

/* int() of a tail modifier such as "-100" → 100; false when not a number. */
static bool
py_int(const char *s, long *ret)
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

static int
tailf(struct cctl *c, const char *path)
{
        cctl_output(c, "==> Press Ctrl-C to exit <==");
        fflush(c->msg);
        if (client(c) < 0)
                return -1;
        c->stop = 0;
        c->catching = 1;
        int r = cctl_stream(&c->cli, path, STDOUT_FILENO, &c->stop);
        c->catching = 0;
        if (r == 1) {
                cctl_output(c, "%s", "");
                return 0;
        }
        if (r >= 100)
                fprintf(stderr, "%s%s Cannot read, status code %d\n", c->serverurl, path, r);
        else if (r < 0)
                fprintf(stderr, "%s%s Cannot connect, error: <class '%s'> ([Errno %d] %s)\n",
                        c->serverurl, path, py_errclass(-r), -r, strerror(-r));
        return 0;
}

static int
log_fault(struct cctl *c, const char *who, int rc)
{
        c->exitstatus = CCTL_EXIT_GENERIC;
        if (rc == F_NO_FILE)
                cctl_output(c, "%s: ERROR (no log file)", who);
        else if (rc == F_FAILED)
                cctl_output(c, "%s: ERROR (unknown error reading log)", who);
        else if (rc == F_BAD_NAME && strcmp(who, "supervisord") != 0)
                cctl_output(c, "%s: ERROR (no such process name)", who);
        else
                return raise_fault(c, rc, fault_string);
        return 0;
}

static int
do_tail(struct cctl *c, const char *arg)
{
        UPCHECK(c);
        struct words w;
        split_words(arg, &w);
        int rc = 0;
        const char *mod = NULL, *name = NULL;
        char *channel = NULL;
        long bytes = 1600;
        bool follow = false;
        size_t a = 0;
        if (w.n < 1 || w.n > 3) {
                cctl_output(c, w.n < 1 ? "Error: too few arguments" : "Error: too many arguments");
                c->exitstatus = CCTL_EXIT_GENERIC;
                help_of(c, "tail");
                goto out;
        }
        if (w.v[0][0] == '-')
                mod = w.v[a++];
        if (w.n - a == 1) {
                name = w.v[a];
                channel = xstrdup("stdout");
        } else if (w.n - a >= 2) {
                name = w.v[a];
                channel = xstrdup(w.v[w.n - 1]);
                for (char *p = channel; *p; p++)
                        *p = (char)tolower((unsigned char)*p);
                if (strcmp(channel, "stderr") != 0 && strcmp(channel, "stdout") != 0) {
                        char *r = py_repr(channel);
                        cctl_output(c, "Error: bad channel %s", r);
                        free(r);
                        c->exitstatus = CCTL_EXIT_GENERIC;
                        goto out;
                }
        } else {
                cctl_output(c, "Error: tail requires process name");
                c->exitstatus = CCTL_EXIT_GENERIC;
                goto out;
        }
        if (mod) {
                if (strcmp(mod + 1, "f") == 0)
                        follow = true;
                else if (!py_int(mod + 1, &bytes)) {
                        cctl_output(c, "Error: bad argument %s", mod);
                        c->exitstatus = CCTL_EXIT_GENERIC;
                        goto out;
                }
        }
        if (follow) {
                char *path = xasprintf("/logtail/%s/%s", name, channel);
                rc = tailf(c, path);
                free(path);
                goto out;
        }
        struct xr_value *v;
        rc = call(c, strcmp(channel, "stdout") == 0 ? "supervisor.readProcessStdoutLog"
                                                    : "supervisor.readProcessStderrLog",
                  params(3, xr_string(name), xr_int(-bytes), xr_int(0)), &v);
        if (rc > 0)
                rc = log_fault(c, name, rc);
        else if (rc == 0) {
                if (v && v->type == XR_STRING)
                        out_raw(c, v->str.s, v->str.len);
                else {
                        char *s = py_str(v);
                        cctl_output(c, "%s", s);
                        free(s);
                }
                xr_free(v);
        }
out:
        free(channel);
        words_free(&w);
        return rc;
}

static int
do_maintail(struct cctl *c, const char *arg)
{
        UPCHECK(c);
        struct words w;
        split_words(arg, &w);
        long bytes = 1600;
        int rc = 0;
        if (w.n > 1) {
                cctl_output(c, "Error: too many arguments");
                c->exitstatus = CCTL_EXIT_GENERIC;
                help_of(c, "maintail");
                goto out;
        }
        if (w.n == 1) {
                if (w.v[0][0] != '-') {
                        cctl_output(c, "Error: bad argument %s", w.v[0]);
                        c->exitstatus = CCTL_EXIT_GENERIC;
                        goto out;
                }
                if (strcmp(w.v[0] + 1, "f") == 0) {
                        rc = tailf(c, "/mainlogtail");
                        goto out;
                }
                if (!py_int(w.v[0] + 1, &bytes)) {
                        cctl_output(c, "Error: bad argument %s", w.v[0]);
                        c->exitstatus = CCTL_EXIT_GENERIC;
                        goto out;
                }
        }
        struct xr_value *v;
        rc = call(c, "supervisor.readLog", params(2, xr_int(-bytes), xr_int(0)), &v);
        if (rc > 0)
                rc = log_fault(c, "supervisord", rc);
        else if (rc == 0) {
                if (v && v->type == XR_STRING)
                        out_raw(c, v->str.s, v->str.len);
                xr_free(v);
        }
out:
        words_free(&w);
        return rc;
}

/* ---- config-level commands ------------------------------------------------------------------- */

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

static int
do_shutdown(struct cctl *c, const char *arg)
{
        if (*arg) {
                cctl_output(c, "Error: shutdown accepts no arguments");
                c->exitstatus = CCTL_EXIT_GENERIC;
                help_of(c, "shutdown");
                return 0;
        }
        if (!confirm(c, "Really shut the remote supervisord process down y/N? "))
                return 0;
        int rc = call(c, "supervisor.shutdown", NULL, NULL);
        if (rc == F_SHUTDOWN_STATE) {
                cctl_output(c, "ERROR: already shutting down");
                return 0;
        }
        if (rc > 0) {
                c->exitstatus = CCTL_EXIT_GENERIC;
                return raise_fault(c, rc, fault_string);
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

static int
do_reload(struct cctl *c, const char *arg)
{
        if (*arg) {
                cctl_output(c, "Error: reload accepts no arguments");
                c->exitstatus = CCTL_EXIT_GENERIC;
                help_of(c, "reload");
                return 0;
        }
        if (!confirm(c, "Really restart the remote supervisord process y/N? "))
                return 0;
        int rc = call(c, "supervisor.restart", NULL, NULL);
        if (rc > 0) {
                c->exitstatus = CCTL_EXIT_GENERIC;
                if (rc == F_SHUTDOWN_STATE) {
                        cctl_output(c, "ERROR: already shutting down");
                        return 0;
                }
                return raise_fault(c, rc, fault_string);
        }
        if (rc < 0)
                return -1;
        cctl_output(c, "Restarted supervisord");
        return 0;
}

static int
do_avail(struct cctl *c, const char *arg)
{
        if (*arg) {
                cctl_output(c, "Error: avail accepts no arguments");
                c->exitstatus = CCTL_EXIT_GENERIC;
                help_of(c, "avail");
                return 0;
        }
        struct xr_value *v;
        int rc = call(c, "supervisor.getAllConfigInfo", NULL, &v);
        if (rc > 0) {
                c->exitstatus = CCTL_EXIT_GENERIC;
                if (rc == F_SHUTDOWN_STATE) {
                        cctl_output(c, "ERROR: supervisor shutting down");
                        return 0;
                }
                return raise_fault(c, rc, fault_string);
        }
        if (rc < 0)
                return -1;
        json_t *a = c->json ? json_array() : NULL;
        for (size_t i = 0; i < arr_len(v); i++) {
                const struct xr_value *ci = xr_array_get(v, i);
                char *ns = make_namespec(vstr(ci, "group"), vstr(ci, "name"));
                bool inuse = vint(ci, "inuse") != 0, autostart = vint(ci, "autostart") != 0;
                if (a) {
                        json_t *o = json_object();
                        json_object_set_new(o, "name", jstr(ns));
                        json_object_set_new(o, "group", jstr(vstr(ci, "group")));
                        json_object_set_new(o, "process", jstr(vstr(ci, "name")));
                        json_object_set_new(o, "inuse", json_boolean(inuse));
                        json_object_set_new(o, "autostart", json_boolean(autostart));
                        json_object_set_new(o, "group_prio", json_integer(vint(ci, "group_prio")));
                        json_object_set_new(o, "process_prio",
                                            json_integer(vint(ci, "process_prio")));
                        json_array_append_new(a, o);
                } else {
                        char *prio = xasprintf("%" PRId64 ":%" PRId64, vint(ci, "group_prio"),
                                               vint(ci, "process_prio"));
                        pad(stdout, ns, 32);
                        fputc(' ', stdout);
                        pad(stdout, inuse ? "in use" : "avail", 9);
                        fputc(' ', stdout);
                        pad(stdout, autostart ? "auto" : "manual", 9);
                        printf(" %s\n", prio);
                        free(prio);
                }
                free(ns);
        }
        if (a)
                print_json(a);
        xr_free(v);
        return 0;
}

/* reloadConfig → borrowed added/changed/removed arrays inside *ret. */
static int
reload_config(struct cctl *c, struct xr_value **ret, const struct xr_value *acr[3])
{
        int rc = call(c, "supervisor.reloadConfig", NULL, ret);
        if (rc != 0)
                return rc;
        const struct xr_value *inner = xr_array_get(*ret, 0);
        for (int i = 0; i < 3; i++)
                acr[i] = xr_array_get(inner, (size_t)i);
        return 0;
}

static int
do_reread(struct cctl *c, const char *arg)
{
        if (*arg) {
                cctl_output(c, "Error: reread accepts no arguments");
                c->exitstatus = CCTL_EXIT_GENERIC;
                help_of(c, "reread");
                return 0;
        }
        struct xr_value *v;
        const struct xr_value *acr[3];
        int rc = reload_config(c, &v, acr);
        if (rc > 0) {
                c->exitstatus = CCTL_EXIT_GENERIC;
                if (rc == F_SHUTDOWN_STATE)
                        cctl_output(c, "ERROR: supervisor shutting down");
                else if (rc == F_CANT_REREAD)
                        cctl_output(c, "ERROR: %s", fault_string);
                else
                        return raise_fault(c, rc, fault_string);
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
                        for (size_t i = 0; i < arr_len(acr[k]); i++) {
                                const struct xr_value *e = xr_array_get(acr[k], i);
                                json_array_append_new(names, jstr(e && e->type == XR_STRING
                                                                  ? e->str.s : ""));
                        }
                        json_object_set_new(o, jkey[k], names);
                }
                print_json(o);
                xr_free(v);
                return 0;
        }
        /* a dict name → label, later kinds winning; printed sorted by name */
        size_t n = arr_len(acr[0]) + arr_len(acr[1]) + arr_len(acr[2]);
        char **lines = xcalloc(n + 1, sizeof *lines);
        size_t nl = 0;
        for (int k = 0; k < 3; k++)
                for (size_t i = 0; i < arr_len(acr[k]); i++) {
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

static int
do_add(struct cctl *c, const char *arg)
{
        struct words w;
        split_words(arg, &w);
        int rc = 0;
        for (size_t i = 0; i < w.n && rc >= 0; i++) {
                rc = call(c, "supervisor.addProcessGroup", params(1, xr_string(w.v[i])), NULL);
                if (rc == 0)
                        cctl_output(c, "%s: added process group", w.v[i]);
                else if (rc == F_SHUTDOWN_STATE) {
                        cctl_output(c, "ERROR: shutting down");
                        c->exitstatus = CCTL_EXIT_GENERIC;
                } else if (rc == F_ALREADY_ADDED)
                        cctl_output(c, "ERROR: process group already active");
                else if (rc == F_BAD_NAME) {
                        cctl_output(c, "ERROR: no such process/group: %s", w.v[i]);
                        c->exitstatus = CCTL_EXIT_GENERIC;
                } else if (rc > 0) {
                        c->exitstatus = CCTL_EXIT_GENERIC;
                        rc = raise_fault(c, rc, fault_string);
                }
        }
        words_free(&w);
        return rc < 0 ? -1 : 0;
}

static int
do_remove(struct cctl *c, const char *arg)
{
        struct words w;
        split_words(arg, &w);
        int rc = 0;
        for (size_t i = 0; i < w.n && rc >= 0; i++) {
                rc = call(c, "supervisor.removeProcessGroup", params(1, xr_string(w.v[i])), NULL);
                if (rc == 0)
                        cctl_output(c, "%s: removed process group", w.v[i]);
                else if (rc > 0) {
                        c->exitstatus = CCTL_EXIT_GENERIC;
                        if (rc == F_STILL_RUNNING)
                                cctl_output(c, "ERROR: process/group still running: %s", w.v[i]);
                        else if (rc == F_BAD_NAME)
                                cctl_output(c, "ERROR: no such process/group: %s", w.v[i]);
                        else
                                rc = raise_fault(c, rc, fault_string);
                }
        }
        words_free(&w);
        return rc < 0 ? -1 : 0;
}

/* A call whose fault is an exception (update's unguarded calls). */
static int
must(struct cctl *c, const char *method, struct xr_value *pa, struct xr_value **ret)
{
        int rc = call(c, method, pa, ret);
        if (rc > 0)
                return raise_fault(c, rc, fault_string);
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
        for (size_t i = 0; i < arr_len(arr); i++)
                if (strcmp(elem(arr, i), s) == 0)
                        return true;
        return false;
}

static int
do_update(struct cctl *c, const char *arg)
{
        struct words w;
        split_words(arg, &w);
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
        const struct xr_value *acr[3];
        int rc = reload_config(c, &v, acr);
        if (rc > 0) {
                c->exitstatus = CCTL_EXIT_GENERIC;
                if (rc == F_SHUTDOWN_STATE) {
                        cctl_output(c, "ERROR: already shutting down");
                        rc = 0;
                } else
                        rc = raise_fault(c, rc, fault_string);
                goto out;
        }
        if (rc < 0)
                goto out;
        const struct xr_value *added = acr[0], *changed = acr[1], *removed = acr[2];
        /* valid_gnames = set(args); "all" means no filter */
        struct words *valid = &w;
        if (words_has(&w, "all"))
                valid = NULL;
        if (valid && valid->n == 0)
                valid = NULL;
        if (valid) {
                rc = must(c, "supervisor.getAllProcessInfo", NULL, &tmp);
                if (rc < 0)
                        goto out;
                for (size_t i = 0; i < valid->n; i++) {
                        bool dupe = false;
                        for (size_t j = 0; j < i; j++)
                                dupe = dupe || strcmp(valid->v[i], valid->v[j]) == 0;
                        if (dupe)
                                continue;
                        bool found = in_list(added, valid->v[i]);
                        for (size_t j = 0; !found && j < arr_len(tmp); j++)
                                found = strcmp(vstr(xr_array_get(tmp, j), "group"), valid->v[i]) == 0;
                        if (!found) {
                                cctl_output(c, "ERROR: no such group: %s", valid->v[i]);
                                c->exitstatus = CCTL_EXIT_GENERIC;
                        }
                }
                xr_free(tmp);
                tmp = NULL;
        }
#define SKIP(g) (valid && !words_has(valid, (g)))
        for (size_t i = 0; i < arr_len(removed); i++) {
                const char *g = elem(removed, i);
                if (SKIP(g))
                        continue;
                if (dry) {
                        cctl_output(c, "%s: would stop and remove process group", g);
                        continue;
                }
                if ((rc = must(c, "supervisor.stopProcessGroup", params(1, xr_string(g)), &tmp)) < 0)
                        goto out;
                cctl_output(c, "%s: stopped", g);
                bool fails = false;
                for (size_t j = 0; j < arr_len(tmp); j++)
                        fails = fails || vint(xr_array_get(tmp, j), "status") == F_FAILED;
                xr_free(tmp);
                tmp = NULL;
                if (fails) {
                        cctl_output(c, "%s: has problems; not removing", g);
                        c->exitstatus = CCTL_EXIT_GENERIC;
                        continue;
                }
                if ((rc = must(c, "supervisor.removeProcessGroup", params(1, xr_string(g)), NULL)) < 0)
                        goto out;
                cctl_output(c, "%s: removed process group", g);
        }
        for (size_t i = 0; i < arr_len(changed); i++) {
                const char *g = elem(changed, i);
                if (SKIP(g))
                        continue;
                if (dry) {
                        cctl_output(c, "%s: would stop and update process group", g);
                        continue;
                }
                if ((rc = must(c, "supervisor.stopProcessGroup", params(1, xr_string(g)), NULL)) < 0)
                        goto out;
                cctl_output(c, "%s: stopped", g);
                if ((rc = must(c, "supervisor.removeProcessGroup", params(1, xr_string(g)), NULL)) < 0 ||
                    (rc = must(c, "supervisor.addProcessGroup", params(1, xr_string(g)), NULL)) < 0)
                        goto out;
                cctl_output(c, "%s: updated process group", g);
        }
        for (size_t i = 0; i < arr_len(added); i++) {
                const char *g = elem(added, i);
                if (SKIP(g))
                        continue;
                if (dry) {
                        cctl_output(c, "%s: would add process group", g);
                        continue;
                }
                if ((rc = must(c, "supervisor.addProcessGroup", params(1, xr_string(g)), NULL)) < 0)
                        goto out;
                cctl_output(c, "%s: added process group", g);
        }
#undef SKIP
        rc = 0;
out:
        xr_free(tmp);
        xr_free(v);
        words_free(&w);
        return rc < 0 ? -1 : 0;
}

static int
do_version(struct cctl *c, const char *arg)
{
        if (*arg) {
                cctl_output(c, "Error: version accepts no arguments");
                c->exitstatus = CCTL_EXIT_GENERIC;
                help_of(c, "version");
                return 0;
        }
        UPCHECK(c);
        struct xr_value *v;
        int rc = must(c, "supervisor.getSupervisorVersion", NULL, &v);
        if (rc < 0)
                return -1;
        char *s = py_str(v);
        cctl_output(c, "%s", s);
        free(s);
        xr_free(v);
        return 0;
}

static int
do_open(struct cctl *c, const char *arg)
{
        char *url = xstrdup(arg);
        if (strncmp(url, "unix:", 5) != 0 && strncmp(url, "http:", 5) != 0) {
                cctl_output(c, "ERROR: url must be http:// or unix://");
                c->exitstatus = CCTL_EXIT_GENERIC;
                free(url);
                return 0;
        }
        free(c->serverurl);
        c->serverurl = url;
        if (c->cli_ok)
                cctl_client_fini(&c->cli);
        c->cli_ok = false;
        int old = c->exitstatus;
        int rc = do_status(c, "");
        c->exitstatus = old;
        return rc;
}

/* fg: stream the process's stdout/stderr while sending our stdin lines to it. */
static int
do_fg(struct cctl *c, const char *arg)
{
        UPCHECK(c);
        struct words w;
        split_words(arg, &w);
        int rc = 0;
        if (w.n == 0) {
                cctl_output(c, "ERROR: no process name supplied");
                c->exitstatus = CCTL_EXIT_GENERIC;
                help_of(c, "fg");
                goto out;
        }
        if (w.n > 1) {
                cctl_output(c, "ERROR: too many process names supplied");
                c->exitstatus = CCTL_EXIT_GENERIC;
                goto out;
        }
        struct xr_value *info;
        rc = call(c, "supervisor.getProcessInfo", params(1, xr_string(w.v[0])), &info);
        if (rc > 0) {
                if (rc == F_BAD_NAME) {
                        cctl_output(c, "ERROR: bad process name supplied");
                        c->exitstatus = CCTL_EXIT_GENERIC;
                } else {
                        char *r = py_repr(fault_string ? fault_string : "");
                        cctl_output(c, "ERROR: <Fault %d: %s>", rc, r);
                        free(r);
                }
                rc = 0;
                goto out;
        }
        if (rc < 0)
                goto out;
        bool running = vint(info, "state") == PS_RUNNING;
        xr_free(info);
        if (!running) {
                cctl_output(c, "ERROR: process not running");
                c->exitstatus = CCTL_EXIT_GENERIC;
                goto out;
        }
        cctl_output(c, "==> Press Ctrl-C to exit <==");
        fflush(c->msg);
        /* Output: a child process follows stdout then stderr streams; we feed stdin. */
        pid_t kid[2] = { -1, -1 };
        for (int ch = 0; ch < 2; ch++) {
                kid[ch] = fork();
                if (kid[ch] == 0) {
                        struct cctl_client sc;
                        signal(SIGINT, SIG_DFL);
                        if (cctl_client_init(&sc, c->serverurl, c->username, c->password) < 0)
                                _exit(1);
                        char *path = xasprintf("/logtail/%s/%s", w.v[0], ch ? "stderr" : "stdout");
                        int r = cctl_stream(&sc, path, STDOUT_FILENO, NULL);
                        _exit(r == 0 ? 0 : 1);
                }
        }
        for (;;) {
                c->stop = 0;
                c->catching = 1;
                char *line = cctl_readline(NULL);
                c->catching = 0;
                if (!line)
                        break;
                char *in = xasprintf("%s\n", line);
                free(line);
                int r = call(c, "supervisor.sendProcessStdin", params(2, xr_string(w.v[0]), xr_string(in)), NULL);
                free(in);
                if (r > 0) {
                        if (r == F_NOT_RUNNING)
                                cctl_output(c, "Process got killed");
                        else {
                                char *rr = py_repr(fault_string ? fault_string : "");
                                cctl_output(c, "ERROR: <Fault %d: %s>", r, rr);
                                free(rr);
                        }
                        break;
                }
                if (r < 0) {
                        rc = -1;
                        break;
                }
                r = call(c, "supervisor.getProcessInfo", params(1, xr_string(w.v[0])), &info);
                if (r != 0) {
                        rc = r < 0 ? -1 : raise_fault(c, r, fault_string);
                        break;
                }
                running = vint(info, "state") == PS_RUNNING;
                xr_free(info);
                if (!running) {
                        cctl_output(c, "Process got killed");
                        break;
                }
        }
        if (rc == 0)
                cctl_output(c, "Exiting foreground");
        for (int ch = 0; ch < 2; ch++)
                if (kid[ch] > 0) {
                        kill(kid[ch], SIGTERM);
                        while (waitpid(kid[ch], NULL, 0) < 0 && errno == EINTR)
                                ;
                }
out:
        words_free(&w);
        return rc < 0 ? -1 : 0;
}

static int
do_quit(struct cctl *c, const char *arg)
{
        (void)arg;
        cctl_output(c, "%s", "");
        return 1;
}

static const char help_topics[] =
        "\n"
        "default commands (type help <topic>):\n"
        "=====================================\n"
        "add    exit      open  reload  restart   start   tail   \n"
        "avail  fg        pid   remove  shutdown  status  update \n"
        "clear  maintail  quit  reread  signal    stop    version\n"
        "\n";

static int
do_help(struct cctl *c, const char *arg)
{
        if (strcmp(arg, "help") == 0) {
                cctl_output(c, "help\t\tPrint a list of available actions");
                cctl_output(c, "help <action>\tPrint help for <action>");
                return 0;
        }
        if (!*arg) {
                fputs(help_topics, c->msg);
                return 0;
        }
        const struct cmd *k = find_cmd(arg);
        if (k && k->help && strcmp(arg, "EOF") != 0)
                fputs(k->help, c->msg);
        else
                cctl_output(c, "*** No help on %s", arg);
        return 0;
}

static const struct cmd cmds[] = {
        { "add", do_add, "add <name> [...]\tActivates any updates in config for process/group\n" },
        { "avail", do_avail, "avail\t\t\tDisplay all configured processes\n" },
        { "clear", do_clear, "clear <name>\t\tClear a process' log files.\n"
                             "clear <name> <name>\tClear multiple process' log files\n"
                             "clear all\t\tClear all process' log files\n" },
        { "exit", do_quit, "exit\tExit the supervisor shell.\n" },
        { "fg", do_fg, "fg <process>\tConnect to a process in foreground mode\n\t\tCtrl-C to exit\n" },
        { "help", do_help, NULL },
        { "maintail", do_maintail, "maintail -f \tContinuous tail of supervisor main log file (Ctrl-C to exit)\n"
                                   "maintail -100\tlast 100 *bytes* of supervisord main log file\n"
                                   "maintail\tlast 1600 *bytes* of supervisor main log file\n\n" },
        { "open", do_open, "open <url>\tConnect to a remote supervisord process.\n"
                           "\t\t(for UNIX domain socket, use unix:///socket/path)\n" },
        { "pid", do_pid, "pid\t\t\tGet the PID of supervisord.\n"
                         "pid <name>\t\tGet the PID of a single child process by name.\n"
                         "pid all\t\t\tGet the PID of every child process, one per line.\n" },
        { "quit", do_quit, "quit\tExit the supervisor shell.\n" },
        { "reload", do_reload, "reload \t\tRestart the remote supervisord.\n" },
        { "remove", do_remove, "remove <name> [...]\tRemoves process/group from active config\n" },
        { "reread", do_reread, "reread \t\t\tReload the daemon's configuration files without add/remove\n" },
        { "restart", do_restart, "restart <name>\t\tRestart a process\n"
                                 "restart <gname>:*\tRestart all processes in a group\n"
                                 "restart <name> <name>\tRestart multiple processes or groups\n"
                                 "restart all\t\tRestart all processes\n"
                                 "Note: restart does not reread config files. For that, see reread and update.\n" },
        { "shutdown", do_shutdown, "shutdown \tShut the remote supervisord down.\n" },
        { "signal", do_signal, "signal <signal name> <name>\t\tSignal a process\n"
                               "signal <signal name> <gname>:*\t\tSignal all processes in a group\n"
                               "signal <signal name> <name> <name>\tSignal multiple processes or groups\n"
                               "signal <signal name> all\t\tSignal all processes\n" },
        { "start", do_start, "start <name>\t\tStart a process\n"
                             "start <gname>:*\t\tStart all processes in a group\n"
                             "start <name> <name>\tStart multiple processes or groups\n"
                             "start all\t\tStart all processes\n" },
        { "status", do_status, "status <name>\t\tGet status for a single process\n"
                               "status <gname>:*\tGet status for all processes in a group\n"
                               "status <name> <name>\tGet status for multiple named processes\n"
                               "status\t\t\tGet all process status info\n" },
        { "stop", do_stop, "stop <name>\t\tStop a process\n"
                           "stop <gname>:*\t\tStop all processes in a group\n"
                           "stop <name> <name>\tStop multiple processes or groups\n"
                           "stop all\t\tStop all processes\n" },
        { "tail", do_tail, "tail [-f] <name> [stdout|stderr] (default stdout)\n"
                           "Ex:\n"
                           "tail -f <name>\t\tContinuous tail of named process stdout\n"
                           "\t\t\tCtrl-C to exit.\n"
                           "tail -100 <name>\tlast 100 *bytes* of process stdout\n"
                           "tail <name> stderr\tlast 1600 *bytes* of process stderr\n" },
        { "update", do_update, "update\t\t\tReload config and add/remove as necessary, and will restart affected programs\n"
                               "update all\t\tReload config and add/remove as necessary, and will restart affected programs\n"
                               "update <gname> [...]\tUpdate specific groups\n"
                               "update --dry-run [...]\tPrint what update would do, and do nothing\n" },
        { "version", do_version, "version\t\t\tShow the version of the remote supervisord process\n" },
        { "EOF", do_quit, NULL },
};

static const struct cmd *
find_cmd(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
                if (strcmp(cmds[i].name, name) == 0)
                        return &cmds[i];
        return NULL;
}

/* ---- dispatch ---------------------------------------------------------------------------------- */

static bool
is_ident(char ch)
{
        return isalnum((unsigned char)ch) || ch == '_';
}

static char *
prompt_secret(const char *prompt)
{
        struct termios old, noecho;
        bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
        if (tty) {
                noecho = old;
                noecho.c_lflag &= ~(tcflag_t)ECHO;
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
        }
        char *s = cctl_readline(prompt);
        if (tty) {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
                fputc('\n', stdout);
        }
        return s;
}

/* Run fn, reporting an exception like Controller.onecmd. */
static int
run(struct cctl *c, const struct cmd *k, const char *arg)
{
        free(c->exc);
        c->exc = NULL;
        c->exc_401 = false;
        c->exc_errno = 0;
        c->msg = c->json && (k->fn == do_status || k->fn == do_avail || k->fn == do_pid ||
                             k->fn == do_reread) ? stderr : stdout;
        int r = k->fn(c, arg);
        if (c->cli_ok)
                cctl_client_close(&c->cli);       /* one connection per command */
        fflush(stdout);
        c->msg = stdout;
        return r;
}

bool
cctl_onecmd(struct cctl *c, const char *line_in)
{
        char *buf = xstrdup(line_in);
        char *line = buf;
        while (isspace((unsigned char)*line))
                line++;
        size_t n = strlen(line);
        while (n > 0 && isspace((unsigned char)line[n - 1]))
                line[--n] = '\0';
        bool quit = false;
        if (!*line)
                goto out;
        char *alloc = NULL;
        if (line[0] == '?') {
                alloc = xasprintf("help %s", line + 1);
                line = alloc;
        }
        size_t i = 0;
        while (line[i] && is_ident(line[i]))
                i++;
        char *name = xstrndup(line, i);
        const char *arg = line + i;
        while (isspace((unsigned char)*arg))
                arg++;
        const struct cmd *k = *name ? find_cmd(name) : NULL;
        free(name);
        if (!k) {
                cctl_output(c, "*** Unknown syntax: %s", line);
                c->exitstatus = CCTL_EXIT_GENERIC;
                free(alloc);
                goto out;
        }
        int r = run(c, k, arg);
        if (r < 0 && c->exc_401) {
                cctl_output(c, "Server requires authentication");
                if (c->interactive) {
                        char *u = cctl_readline("Username:");
                        char *p = prompt_secret("Password:");
                        cctl_output(c, "%s", "");
                        free(c->username);
                        free(c->password);
                        c->username = u ? u : xstrdup("");
                        c->password = p ? p : xstrdup("");
                        if (c->cli_ok)
                                cctl_client_set_auth(&c->cli, c->username, c->password);
                        quit = cctl_onecmd(c, line);
                        free(alloc);
                        goto out;
                }
                c->exitstatus = CCTL_EXIT_GENERIC;
                r = run(c, k, arg);
        }
        if (r < 0) {
                cctl_output(c, "error: %s", c->exc ? c->exc : "unknown");
                c->exitstatus = CCTL_EXIT_GENERIC;
        }
        quit = r > 0;
        free(alloc);
out:
        free(buf);
        fflush(stdout);
        return quit;
}
