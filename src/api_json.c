/* SPDX-License-Identifier: MIT */
/* api_json — GET /corral/v1/status: the daemon's state and getAllProcessInfo's data as one compact
 * JSON document. Written straight into one preallocated buffer (no value tree): for 1,000
 * processes this is a few hundred kB produced in well under a millisecond. */
#include "api_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "outlog.h"
#include "proc.h"
#include "sup.h"
#include "util.h"

/* What supervisor.getSupervisorVersion and getAPIVersion answer (rpc_int.h is private to rpc). */
#define SUPERVISOR_VERSION      "4.2.5"
#define API_VERSION             "3.0"
/* A process object is ~300 bytes plus its strings: reserve this much per process up front. */
#define PROC_RESERVE            512

static void
put(struct xr_buf *b, const char *s, size_t n)
{
        xr_buf_append(b, s, n);
}

#define PUTS(b, lit) put((b), (lit), sizeof(lit) - 1)

static void
reserve(struct xr_buf *b, size_t n)
{
        if (b->cap - b->len >= n + 1)
                return;
        b->cap = b->len + n + 1;
        b->p = xrealloc(b->p, b->cap);
        b->p[b->len] = '\0';
}

static void
put_int(struct xr_buf *b, int64_t v)
{
        char tmp[24], *e = tmp + sizeof tmp, *q = e;
        uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
        do
                *--q = (char)('0' + u % 10);
        while ((u /= 10));
        if (v < 0)
                *--q = '-';
        put(b, q, (size_t)(e - q));
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t left)
{
        unsigned char c = s[0];
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
                if (left < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
                        return 0;
                if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
                        return 0;
                return 4;
        }
        return 0;
}

void
api_json_put_string(struct xr_buf *b, const char *s, size_t len)
{
        static const char hex[] = "0123456789abcdef";
        const unsigned char *u = (const unsigned char *)s;
        size_t run = 0, i = 0;
        PUTS(b, "\"");
        while (i < len) {
                unsigned char c = u[i];
                if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
                        i++;
                        continue;
                }
                size_t n = c >= 0x80 ? utf8_seq(u + i, len - i) : 0;
                if (n) {
                        i += n;
                        continue;
                }
                put(b, s + run, i - run);
                switch (c) {
                case '"':  PUTS(b, "\\\""); break;
                case '\\': PUTS(b, "\\\\"); break;
                case '\n': PUTS(b, "\\n"); break;
                case '\r': PUTS(b, "\\r"); break;
                case '\t': PUTS(b, "\\t"); break;
                case '\b': PUTS(b, "\\b"); break;
                case '\f': PUTS(b, "\\f"); break;
                default:
                        if (c < 0x20) {
                                char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
                                put(b, e, sizeof e);
                        } else {
                                PUTS(b, "\xef\xbf\xbd");        /* not UTF-8: U+FFFD */
                        }
                }
                run = ++i;
        }
        put(b, s + run, len - run);
        PUTS(b, "\"");
}

static void
put_str(struct xr_buf *b, const char *s)
{
        api_json_put_string(b, s ? s : "", s ? strlen(s) : 0);
}

/* The same clamping as getProcessInfo (rpc_info.c): times are 32-bit ints on the XML-RPC wire. */
static int64_t
capped(double t)
{
        if (!(t > -2147483648.0))
                return t != t ? 0 : INT32_MIN;
        if (t > 2147483647.0)
                return INT32_MAX;
        return (int64_t)t;
}

/* A channel's log path as getProcessInfo reports it: the configured path, outlog's AUTO name, ""
 * for NONE (same rules as rpc_info.c's log_of). */
static const char *
log_of(const struct proc *p, enum outlog_channel ch)
{
        const struct cfg_log *l = ch == OUTLOG_STDOUT ? &p->cfg->out : &p->cfg->err;
        if (l->kind == CFG_LOG_NONE)
                return "";
        if (l->kind == CFG_LOG_PATH && l->path)
                return l->path;
        const char *s = p->log ? outlog_path(p->log, ch) : NULL;
        return s ? s : "";
}

static void
put_proc(struct xr_buf *b, const struct proc *p, double now)
{
        const char *name = p->cfg->name;
        const char *group = p->group ? p->group->name : p->cfg->group;
        PUTS(b, "{\"name\":");
        put_str(b, name);
        PUTS(b, ",\"group\":");
        put_str(b, group);
        PUTS(b, ",\"namespec\":");
        char *ns = proc_namespec(p);
        put_str(b, ns);
        free(ns);
        PUTS(b, ",\"state\":");
        put_int(b, proc_state_code(p->state));
        PUTS(b, ",\"statename\":");
        put_str(b, proc_state_name(p->state));
        PUTS(b, ",\"pid\":");
        put_int(b, p->pid);
        PUTS(b, ",\"start\":");
        put_int(b, capped(p->start_time));
        PUTS(b, ",\"stop\":");
        put_int(b, capped(p->stop_time));
        PUTS(b, ",\"now\":");
        put_int(b, capped(now));
        PUTS(b, ",\"exitstatus\":");
        put_int(b, p->exitstatus);
        PUTS(b, ",\"spawnerr\":");
        put_str(b, p->spawnerr);
        PUTS(b, ",\"description\":");
        char *desc = proc_description(p, now);
        put_str(b, desc);
        free(desc);
        PUTS(b, ",\"stdout_logfile\":");
        put_str(b, log_of(p, OUTLOG_STDOUT));
        PUTS(b, ",\"stderr_logfile\":");
        put_str(b, log_of(p, OUTLOG_STDERR));
        PUTS(b, "}");
}

void
api_json_status(struct xr_buf *b, double now)
{
        struct proc *const *procs;
        size_t n = sup_procs_by_name(&procs);
        reserve(b, 256 + n * PROC_RESERVE);
        enum sup_mood m = sup_mood();
        PUTS(b, "{\"supervisor\":{\"pid\":");
        put_int(b, getpid());
        PUTS(b, ",\"state\":");
        put_str(b, m == SUP_RUNNING ? "RUNNING" : m == SUP_RESTARTING ? "RESTARTING" : "SHUTDOWN");
        PUTS(b, ",\"statecode\":");
        put_int(b, m);
        PUTS(b, ",\"version\":\"" SUPERVISOR_VERSION "\",\"api_version\":\"" API_VERSION "\"},\"processes\":[");
        for (size_t i = 0; i < n; i++) {
                if (i)
                        PUTS(b, ",");
                put_proc(b, procs[i], now);
        }
        PUTS(b, "]}\n");
}
