/* SPDX-License-Identifier: MIT */
/* corralctl_json — the client of corrald's JSON status API (GET /corral/v1/status): one small
 * request on the command's keep-alive connection instead of getVersion + getAllProcessInfo, and a
 * JSON decode instead of a ~1 MB XML one. supervisord answers 404, and every doubt falls back to
 * XML-RPC, so what the user sees never depends on which path was taken.
 *
 * The reply is decoded in place by the small reader below rather than by jansson: building
 * jansson's tree (a hash table per process, an allocation per value) took two thirds of
 * corralctl's CPU time for 1,000 processes; decoding strings inside the received buffer needs no
 * allocation but the process array. The reader accepts any RFC 8259 document and is strict
 * (anything malformed, NULs included, means "use XML-RPC"); it only picks out the fields it
 * knows. */
#include "corralctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define STATUS_PATH     "/corral/v1/status"
#define MAX_DEPTH       64

void
cc_pinfos_free(struct cc_pinfos *p)
{
        free(p->v);
        xr_free(p->xml);
        free(p->body);
        memset(p, 0, sizeof *p);
}

/* ---- an in-place JSON reader ----------------------------------------------------------------- */

struct jr {
        char *p, *end;
        bool bad;
};

enum jtype { J_NONE, J_STRING, J_INT, J_OTHER };

/* A scalar as status needs it: strings (decoded in place) and integers; the rest is J_OTHER. */
struct jval {
        enum jtype type;
        const char *s;
        int64_t i;
};

static bool
fail(struct jr *r)
{
        r->bad = true;
        return false;
}

static void
ws(struct jr *r)
{
        while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
                r->p++;
}

static bool
eat(struct jr *r, char c)
{
        ws(r);
        if (r->p < r->end && *r->p == c) {
                r->p++;
                return true;
        }
        return false;
}

static int
hex4(const char *s)
{
        int v = 0;
        for (int k = 0; k < 4; k++) {
                char c = s[k];
                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= c - '0';
                else if (c >= 'a' && c <= 'f')
                        v |= c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                        v |= c - 'A' + 10;
                else
                        return -1;
        }
        return v;
}

static char *
put_utf8(char *w, unsigned cp)
{
        if (cp < 0x80) {
                *w++ = (char)cp;
        } else if (cp < 0x800) {
                *w++ = (char)(0xc0 | cp >> 6);
                *w++ = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
                *w++ = (char)(0xe0 | cp >> 12);
                *w++ = (char)(0x80 | (cp >> 6 & 0x3f));
                *w++ = (char)(0x80 | (cp & 0x3f));
        } else {
                *w++ = (char)(0xf0 | cp >> 18);
                *w++ = (char)(0x80 | (cp >> 12 & 0x3f));
                *w++ = (char)(0x80 | (cp >> 6 & 0x3f));
                *w++ = (char)(0x80 | (cp & 0x3f));
        }
        return w;
}

/* At '"': decode the string where it lies (an escape is never shorter than what it stands for)
 * and NUL-terminate it. NULL on malformed input or an escaped NUL. */
static const char *
jstring(struct jr *r)
{
        if (r->p >= r->end || *r->p != '"')
                return fail(r), NULL;
        char *start = ++r->p, *w = start;
        while (r->p < r->end) {
                unsigned char c = (unsigned char)*r->p;
                if (c == '"') {
                        r->p++;
                        *w = '\0';
                        return start;
                }
                if (c < 0x20)
                        break;
                if (c != '\\') {
                        *w++ = *r->p++;
                        continue;
                }
                if (r->end - r->p < 2)
                        break;
                char e = r->p[1];
                r->p += 2;
                switch (e) {
                case '"': case '\\': case '/': *w++ = e; continue;
                case 'b': *w++ = '\b'; continue;
                case 'f': *w++ = '\f'; continue;
                case 'n': *w++ = '\n'; continue;
                case 'r': *w++ = '\r'; continue;
                case 't': *w++ = '\t'; continue;
                case 'u': break;
                default: return fail(r), NULL;
                }
                int cp;
                if (r->end - r->p < 4 || (cp = hex4(r->p)) < 0)
                        break;
                r->p += 4;
                if (cp >= 0xd800 && cp <= 0xdbff && r->end - r->p >= 6 && r->p[0] == '\\' && r->p[1] == 'u') {
                        int lo = hex4(r->p + 2);
                        if (lo >= 0xdc00 && lo <= 0xdfff) {
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                r->p += 6;
                        }
                }
                if (cp == 0)
                        break;
                if (cp >= 0xd800 && cp <= 0xdfff)
                        cp = 0xfffd;            /* a lone surrogate */
                w = put_utf8(w, (unsigned)cp);
        }
        return fail(r), NULL;
}

/* A number: J_INT when it is an integer that fits, J_OTHER for fractions and exponents. */
static bool
jnumber(struct jr *r, struct jval *v)
{
        bool neg = r->p < r->end && *r->p == '-';
        if (neg)
                r->p++;
        if (r->p >= r->end || *r->p < '0' || *r->p > '9' || (*r->p == '0' && r->end - r->p > 1 &&
                                                               r->p[1] >= '0' && r->p[1] <= '9'))
                return fail(r);
        uint64_t u = 0;
        bool big = false;
        for (; r->p < r->end && *r->p >= '0' && *r->p <= '9'; r->p++) {
                if (u > (UINT64_MAX - 9) / 10)
                        big = true;
                u = u * 10 + (uint64_t)(*r->p - '0');
        }
        bool integral = true;
        if (r->p < r->end && *r->p == '.') {
                integral = false;
                r->p++;
                if (r->p >= r->end || *r->p < '0' || *r->p > '9')
                        return fail(r);
                while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
                        r->p++;
        }
        if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
                integral = false;
                r->p++;
                if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
                        r->p++;
                if (r->p >= r->end || *r->p < '0' || *r->p > '9')
                        return fail(r);
                while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
                        r->p++;
        }
        if (!integral || big || u > (uint64_t)INT64_MAX + neg) {
                v->type = J_OTHER;
                return true;
        }
        v->type = J_INT;
        v->i = neg ? (int64_t)(0 - u) : (int64_t)u;
        return true;
}

static bool jvalue(struct jr *r, struct jval *v, int depth);

/* Members of an object (after '{' … up to and including '}'); on_member reads each value. */
typedef bool (*member_fn)(struct jr *r, const char *key, void *ctx, int depth);

static bool
jobject(struct jr *r, member_fn on_member, void *ctx, int depth)
{
        if (depth > MAX_DEPTH || !eat(r, '{'))
                return fail(r);
        if (eat(r, '}'))
                return true;
        do {
                ws(r);
                const char *key = jstring(r);
                if (!key || !eat(r, ':'))
                        return fail(r);
                ws(r);
                if (!on_member(r, key, ctx, depth + 1))
                        return fail(r);
        } while (eat(r, ','));
        return eat(r, '}') || fail(r);
}

static bool
skip_member(struct jr *r, const char *key, void *ctx, int depth)
{
        (void)key; (void)ctx;
        struct jval v;
        return jvalue(r, &v, depth);
}

/* Any value; containers are checked and skipped (v->type J_OTHER). */
static bool
jvalue(struct jr *r, struct jval *v, int depth)
{
        ws(r);
        v->type = J_OTHER;
        if (r->p >= r->end || depth > MAX_DEPTH)
                return fail(r);
        switch (*r->p) {
        case '"':
                v->type = J_STRING;
                return (v->s = jstring(r)) != NULL;
        case '{':
                return jobject(r, skip_member, NULL, depth);
        case '[':
                r->p++;
                if (eat(r, ']'))
                        return true;
                do {
                        struct jval e;
                        if (!jvalue(r, &e, depth + 1))
                                return false;
                } while (eat(r, ','));
                return eat(r, ']') || fail(r);
        case 't':
                if (r->end - r->p >= 4 && !memcmp(r->p, "true", 4)) {
                        r->p += 4;
                        v->type = J_INT;        /* read as 1, as the XML path reads a boolean */
                        v->i = 1;
                        return true;
                }
                return fail(r);
        case 'f':
                if (r->end - r->p >= 5 && !memcmp(r->p, "false", 5)) {
                        r->p += 5;
                        v->type = J_INT;
                        v->i = 0;
                        return true;
                }
                return fail(r);
        case 'n':
                if (r->end - r->p >= 4 && !memcmp(r->p, "null", 4)) {
                        r->p += 4;
                        return true;
                }
                return fail(r);
        default:
                return jnumber(r, v);
        }
}

/* ---- the status document ---------------------------------------------------------------------- */

struct doc {
        const char *state, *api_version;
        struct cc_pinfo *v;
        size_t n, cap;
        bool have_procs;
};

static bool
supervisor_member(struct jr *r, const char *key, void *ctx, int depth)
{
        struct doc *d = ctx;
        struct jval v;
        if (!jvalue(r, &v, depth))
                return false;
        const char *s = v.type == J_STRING ? v.s : "";
        if (!strcmp(key, "state"))
                d->state = s;
        else if (!strcmp(key, "api_version"))
                d->api_version = s;
        return true;
}

static bool
process_member(struct jr *r, const char *key, void *ctx, int depth)
{
        struct cc_pinfo *p = ctx;
        struct jval v;
        if (!jvalue(r, &v, depth))
                return false;
        const char *s = v.type == J_STRING ? v.s : "";
        int64_t i = v.type == J_INT ? v.i : 0;
        /* the same defaults as the XML path's vstr / vint */
        switch (key[0]) {
        case 'n':
                if (!strcmp(key, "name")) p->name = s;
                else if (!strcmp(key, "now")) p->now = i;
                break;
        case 'g': if (!strcmp(key, "group")) p->group = s; break;
        case 's':
                if (!strcmp(key, "statename")) p->statename = s;
                else if (!strcmp(key, "state")) p->state = i;
                else if (!strcmp(key, "start")) p->start = i;
                else if (!strcmp(key, "stop")) p->stop = i;
                else if (!strcmp(key, "spawnerr")) p->spawnerr = s;
                else if (!strcmp(key, "stdout_logfile")) p->stdout_logfile = s;
                else if (!strcmp(key, "stderr_logfile")) p->stderr_logfile = s;
                break;
        case 'd': if (!strcmp(key, "description")) p->description = s; break;
        case 'p': if (!strcmp(key, "pid")) p->pid = i; break;
        case 'e': if (!strcmp(key, "exitstatus")) p->exitstatus = i; break;
        default: break;
        }
        return true;
}

static bool
processes(struct jr *r, struct doc *d, int depth)
{
        d->n = 0;
        d->have_procs = true;
        if (!eat(r, '['))
                return fail(r);
        if (eat(r, ']'))
                return true;
        do {
                if (d->n == d->cap) {
                        d->cap = d->cap ? 2 * d->cap : 256;
                        d->v = xrealloc(d->v, d->cap * sizeof *d->v);
                }
                struct cc_pinfo *p = &d->v[d->n++];
                *p = (struct cc_pinfo){ .name = "", .group = "", .statename = "", .description = "",
                                        .spawnerr = "", .stdout_logfile = "", .stderr_logfile = "" };
                if (!jobject(r, process_member, p, depth + 1))
                        return false;
        } while (eat(r, ','));
        return eat(r, ']') || fail(r);
}

static bool
root_member(struct jr *r, const char *key, void *ctx, int depth)
{
        struct doc *d = ctx;
        bool more = r->p < r->end;
        if (more && *r->p == '{' && !strcmp(key, "supervisor"))
                return jobject(r, supervisor_member, d, depth);
        if (more && *r->p == '[' && !strcmp(key, "processes"))
                return processes(r, d, depth);
        return skip_member(r, key, NULL, depth);
}

/* Decode body (NUL-terminated, modified in place) into d. false if it is not JSON. */
static bool
parse_status(char *body, size_t len, struct doc *d)
{
        struct jr r = { .p = body, .end = body + len };
        if (!jobject(&r, root_member, d, 0))
                return false;
        ws(&r);
        return !r.bad && r.p == r.end;
}

/* ---- the request ------------------------------------------------------------------------------ */

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
        struct doc d = { .state = "", .api_version = "" };
        /* Only a RUNNING daemon with API 3.0 is answered here: in any other case getVersion (the
         * upcheck) fails or complains, and the XML-RPC path says so in supervisorctl's words. */
        if (st != 200 || !body.p || !parse_status(body.p, body.len, &d) || !d.have_procs ||
            strcmp(d.state, "RUNNING") != 0 || strcmp(d.api_version, "3.0") != 0) {
                free(d.v);
                xr_buf_free(&body);
                return false;
        }
        ret->v = d.v ? d.v : xcalloc(1, sizeof *ret->v);
        ret->n = d.n;
        ret->body = body.p;
        return true;
}
