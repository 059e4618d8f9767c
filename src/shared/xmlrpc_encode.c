/* SPDX-License-Identifier: MIT */
/* xmlrpc_encode — the XML-RPC serializer, byte-compatible with Python's xmlrpc.client.dumps (the
 * layout supervisord 4.2.5 sends). Pure. */
#include "shared/xmlrpc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/text.h"
#include "shared/util.h"

/* --- serializer: Python xmlrpc.client.Marshaller's layout --------------------------------------- */

/* String content as XML text: &, < and > escaped as Python does; bytes that would make the
 * document ill-formed (invalid UTF-8, forbidden controls) become U+FFFD, so a stray byte in a
 * spawn error or a log never breaks a client's parser (supervisord would send it and break it). */
void
xr_put_text(struct xr_buf *b, const char *s, size_t len)
{
        static const char replacement[] = "\xef\xbf\xbd";
        size_t run = 0, i = 0;
        while (i < len) {
                const char *rep = NULL;
                size_t n = text_xml_char_len(s + i, len - i);
                switch (n == 0 ? 0 : s[i]) {
                case 0: rep = replacement; n = 1; break;
                case '&': rep = "&amp;"; break;
                case '<': rep = "&lt;"; break;
                case '>': rep = "&gt;"; break;
                default: i += n; continue;
                }
                xr_buf_append(b, s + run, i - run);
                xr_buf_puts(b, rep);
                i += n;
                run = i;
        }
        xr_buf_append(b, s + run, len - run);
}

/* Python's repr(float): the shortest digits that round-trip, positional notation for
 * 1e-4 <= |x| < 1e16, else d.ddde+XX; always a '.0' on integral positional values. */
static void
format_double(char *out, size_t outsz, double d)
{
        if (isnan(d)) {
                snprintf(out, outsz, "nan");
                return;
        }
        if (isinf(d)) {
                snprintf(out, outsz, d < 0 ? "-inf" : "inf");
                return;
        }
        char e[64];
        for (int prec = 0; prec < 17; prec++) {
                snprintf(e, sizeof e, "%.*e", prec, d);
                if (strtod(e, NULL) == d)
                        break;
        }
        /* e = [-]D[.DDD]e[+-]XX */
        const char *p = e;
        bool neg = *p == '-';
        if (neg)
                p++;
        char digits[32];
        size_t nd = 0;
        for (; *p && *p != 'e'; p++)
                if (*p != '.' && nd < sizeof digits - 1)
                        digits[nd++] = *p;
        digits[nd] = '\0';
        int exp10 = atoi(p + 1);
        while (nd > 1 && digits[nd - 1] == '0')
                digits[--nd] = '\0';
        int decpt = exp10 + 1;  /* digits[0..decpt) are before the point */

        char *o = out;
        size_t left = outsz;
#define EMIT(...) do { int w_ = snprintf(o, left, __VA_ARGS__); if (w_ < 0 || (size_t)w_ >= left) return; o += w_; left -= (size_t)w_; } while (0)
        if (neg)
                EMIT("-");
        if (d == 0) {
                EMIT("0.0");
        } else if (decpt > 16 || decpt < -3) {
                EMIT("%c", digits[0]);
                if (nd > 1)
                        EMIT(".%s", digits + 1);
                EMIT("e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
        } else if (decpt <= 0) {
                EMIT("0.");
                for (int i = 0; i < -decpt; i++)
                        EMIT("0");
                EMIT("%s", digits);
        } else if ((size_t)decpt >= nd) {
                EMIT("%s", digits);
                for (size_t i = nd; i < (size_t)decpt; i++)
                        EMIT("0");
                EMIT(".0");
        } else {
                EMIT("%.*s.%s", decpt, digits, digits + decpt);
        }
#undef EMIT
}

static void
put_base64(struct xr_buf *b, const unsigned char *s, size_t len)
{
        static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        /* base64.encodebytes: 57 input bytes (76 output chars) per line, each line ends in \n. */
        for (size_t line = 0; line < len; line += 57) {
                size_t end = line + 57 < len ? line + 57 : len;
                for (size_t i = line; i < end; i += 3) {
                        unsigned v = (unsigned)s[i] << 16;
                        if (i + 1 < end)
                                v |= (unsigned)s[i + 1] << 8;
                        if (i + 2 < end)
                                v |= s[i + 2];
                        char q[4] = { tab[(v >> 18) & 63], tab[(v >> 12) & 63],
                                      i + 1 < end ? tab[(v >> 6) & 63] : '=',
                                      i + 2 < end ? tab[v & 63] : '=' };
                        xr_buf_append(b, q, 4);
                }
                xr_buf_puts(b, "\n");
        }
}

void
xr_encode_value(struct xr_buf *b, const struct xr_value *v)
{
        char num[64];

        switch (v->type) {
        case XR_INT: {
                /* The XML-RPC int is 32 bits; supervisord's values are clamped (timestamps saturate). */
                int64_t i = v->i;
                if (i > INT32_MAX)
                        i = INT32_MAX;
                if (i < INT32_MIN)
                        i = INT32_MIN;
                snprintf(num, sizeof num, "%" PRId64, i);
                xr_buf_puts(b, "<value><int>");
                xr_buf_puts(b, num);
                xr_buf_puts(b, "</int></value>\n");
                break;
        }
        case XR_BOOL:
                xr_buf_puts(b, v->b ? "<value><boolean>1</boolean></value>\n"
                                    : "<value><boolean>0</boolean></value>\n");
                break;
        case XR_STRING:
                xr_buf_puts(b, "<value><string>");
                xr_put_text(b, v->str.s, v->str.len);
                xr_buf_puts(b, "</string></value>\n");
                break;
        case XR_DOUBLE:
                format_double(num, sizeof num, v->d);
                xr_buf_puts(b, "<value><double>");
                xr_buf_puts(b, num);
                xr_buf_puts(b, "</double></value>\n");
                break;
        case XR_DATETIME:
                xr_buf_puts(b, "<value><dateTime.iso8601>");
                xr_put_text(b, v->str.s, v->str.len);
                xr_buf_puts(b, "</dateTime.iso8601></value>\n");
                break;
        case XR_BASE64:
                xr_buf_puts(b, "<value><base64>\n");
                put_base64(b, (const unsigned char *)v->str.s, v->str.len);
                xr_buf_puts(b, "</base64></value>\n");
                break;
        case XR_ARRAY:
                xr_buf_puts(b, "<value><array><data>\n");
                for (size_t i = 0; i < v->arr.n; i++)
                        xr_encode_value(b, v->arr.v[i]);
                xr_buf_puts(b, "</data></array></value>\n");
                break;
        case XR_STRUCT:
                xr_buf_puts(b, "<value><struct>\n");
                for (size_t i = 0; i < v->st.n; i++) {
                        xr_buf_puts(b, "<member>\n<name>");
                        xr_put_text(b, v->st.m[i].name, strlen(v->st.m[i].name));
                        xr_buf_puts(b, "</name>\n");
                        xr_encode_value(b, v->st.m[i].value);
                        xr_buf_puts(b, "</member>\n");
                }
                xr_buf_puts(b, "</struct></value>\n");
                break;
        case XR_NIL:
                xr_buf_puts(b, "<value><nil/></value>");       /* sic: Python writes no newline */
                break;
        case XR_FILE: {
                xr_buf_puts(b, "<value><string>");
                b->holes = xrealloc(b->holes, (b->nholes + 1) * sizeof *b->holes);
                b->holes[b->nholes++] = (struct xr_hole){ .pos = b->len, .file = v->file };
                /* The hole owns the descriptor now (see xr_buf). */
                ((struct xr_value *)v)->file.fd = -1;
                xr_buf_puts(b, "</string></value>\n");
                break;
        }
        }
}

static const char xml_header[] = "<?xml version='1.0'?>\n";

void
xr_encode_response(struct xr_buf *b, const struct xr_value *v)
{
        xr_buf_puts(b, xml_header);
        xr_buf_puts(b, "<methodResponse>\n<params>\n<param>\n");
        xr_encode_value(b, v);
        xr_buf_puts(b, "</param>\n</params>\n</methodResponse>\n");
}

void
xr_encode_fault(struct xr_buf *b, int code, const char *string)
{
        struct xr_value *st = xr_struct();
        xr_struct_set(st, "faultCode", xr_int(code));
        xr_struct_set(st, "faultString", xr_string(string));
        xr_buf_puts(b, xml_header);
        xr_buf_puts(b, "<methodResponse>\n<fault>\n");
        xr_encode_value(b, st);
        xr_buf_puts(b, "</fault>\n</methodResponse>\n");
        xr_free(st);
}

void
xr_encode_call(struct xr_buf *b, const char *method, const struct xr_value *params)
{
        xr_buf_puts(b, xml_header);
        xr_buf_puts(b, "<methodCall>\n<methodName>");
        xr_put_text(b, method, strlen(method));
        xr_buf_puts(b, "</methodName>\n<params>\n");
        if (params && params->type == XR_ARRAY) {
                for (size_t i = 0; i < params->arr.n; i++) {
                        xr_buf_puts(b, "<param>\n");
                        xr_encode_value(b, params->arr.v[i]);
                        xr_buf_puts(b, "</param>\n");
                }
        } else if (params) {
                xr_buf_puts(b, "<param>\n");
                xr_encode_value(b, params);
                xr_buf_puts(b, "</param>\n");
        }
        xr_buf_puts(b, "</params>\n</methodCall>\n");
}
