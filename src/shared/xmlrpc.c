/* SPDX-License-Identifier: MIT */
/* xmlrpc — the XML-RPC value codec: a small value tree, a growable buffer, and an expat-based
 * request/response parser that refuses DTDs and entity declarations (the serializer is
 * xmlrpc_encode.c). Pure: no logging, no globals. */
#include "shared/xmlrpc.h"

#include <errno.h>
#include <expat.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/analyzer.h"
#include "shared/util.h"

/* Nesting deeper than this is refused: it bounds the recursion of conversion and xr_free. */
#define XR_MAX_DEPTH 128

/* --- values ---------------------------------------------------------------------------------- */

static struct xr_value *
xr_new(enum xr_type t)
{
        struct xr_value *v = xcalloc(1, sizeof *v);
        v->type = t;
        return v;
}

struct xr_value *
xr_int(int64_t i)
{
        struct xr_value *v = xr_new(XR_INT);
        v->i = i;
        return v;
}

struct xr_value *
xr_bool(bool b)
{
        struct xr_value *v = xr_new(XR_BOOL);
        v->b = b;
        return v;
}

static struct xr_value *
xr_bytes(enum xr_type t, const char *s, size_t len)
{
        struct xr_value *v = xr_new(t);
        v->str.s = xmalloc(len + 1);
        if (len)
                memcpy(v->str.s, s, len);
        v->str.s[len] = '\0';
        v->str.len = len;
        return v;
}

struct xr_value *
xr_string(const char *s)
{
        return xr_bytes(XR_STRING, s ? s : "", s ? strlen(s) : 0);
}

struct xr_value *
xr_stringn(const char *s, size_t len)
{
        return xr_bytes(XR_STRING, s, len);
}

struct xr_value *
xr_double(double d)
{
        struct xr_value *v = xr_new(XR_DOUBLE);
        v->d = d;
        return v;
}

struct xr_value *
xr_array(void)
{
        return xr_new(XR_ARRAY);
}

struct xr_value *
xr_struct(void)
{
        return xr_new(XR_STRUCT);
}

struct xr_value *
xr_array_push(struct xr_value *arr, struct xr_value *v)
{
        if (arr->arr.n == arr->arr.cap) {
                arr->arr.cap = arr->arr.cap ? arr->arr.cap * 2 : 4;
                arr->arr.v = xrealloc(arr->arr.v, arr->arr.cap * sizeof *arr->arr.v);
        }
        arr->arr.v[arr->arr.n++] = v;
        return arr;
}

struct xr_value *
xr_struct_set(struct xr_value *st, const char *name, struct xr_value *v)
{
        if (st->st.n == st->st.cap) {
                st->st.cap = st->st.cap ? st->st.cap * 2 : 8;
                st->st.m = xrealloc(st->st.m, st->st.cap * sizeof *st->st.m);
        }
        st->st.m[st->st.n].name = xstrdup(name);
        st->st.m[st->st.n].value = v;
        st->st.n++;
        return st;
}

struct xr_value *
xr_free(struct xr_value *v)
{
        if (!v)
                return NULL;
        switch (v->type) {
        case XR_STRING:
        case XR_DATETIME:
        case XR_BASE64:
                free(v->str.s);
                break;
        case XR_ARRAY:
                for (size_t i = 0; i < v->arr.n; i++)
                        xr_free(v->arr.v[i]);
                free(v->arr.v);
                break;
        case XR_STRUCT:
                for (size_t i = 0; i < v->st.n; i++) {
                        free(v->st.m[i].name);
                        xr_free(v->st.m[i].value);
                }
                free(v->st.m);
                break;
        case XR_FILE:
                xr_file_close(&v->file);
                break;
        default:
                break;
        }
        free(v);
        return NULL;
}

const struct xr_value *
xr_struct_get(const struct xr_value *st, const char *name)
{
        if (!st || st->type != XR_STRUCT)
                return NULL;
        /* Python dicts keep the last duplicate key: search from the end. */
        for (size_t i = st->st.n; i-- > 0;)
                if (strcmp(st->st.m[i].name, name) == 0)
                        return st->st.m[i].value;
        return NULL;
}

const struct xr_value *
xr_array_get(const struct xr_value *arr, size_t i)
{
        if (!arr || arr->type != XR_ARRAY || i >= arr->arr.n)
                return NULL;
        return arr->arr.v[i];
}

/* --- buffer ---------------------------------------------------------------------------------- */

void
xr_buf_append(struct xr_buf *b, const char *s, size_t n)
{
        if (b->len + n + 1 > b->cap) {
                b->cap = (b->len + n + 1) * 2;
                b->p = xrealloc(b->p, b->cap);
        }
        if (n)
                memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
}

void
xr_buf_puts(struct xr_buf *b, const char *s)
{
        xr_buf_append(b, s, strlen(s));
}

void
xr_buf_free(struct xr_buf *b)
{
        for (size_t i = 0; i < b->nholes; i++)
                xr_file_close(&b->holes[i].file);
        free(b->holes);
        free(b->p);
        *b = (struct xr_buf){ 0 };
}

static size_t files_open;

struct xr_value *
xr_file(int fd, int64_t off, uint64_t len)
{
        struct xr_value *v = xr_new(XR_FILE);
        v->file = (struct xr_file_range){ .fd = fd, .off = off, .len = len };
        files_open++;
        return v;
}

size_t
xr_files_open(void)
{
        return files_open;
}

void
xr_file_close(struct xr_file_range *f)
{
        if (f->fd < 0)
                return;
        close(f->fd);
        f->fd = -1;
        files_open--;
}

/* --- parser: expat → a small element tree → values -------------------------------------------- */

struct xnode {
        char *tag;
        struct xr_buf text;             /* text before the first child (ElementTree's .text) */
        struct xnode **kids;
        size_t nkids, cap;
        struct xnode *parent;
};

struct xparse {
        XML_Parser parser;
        struct xnode *root, *cur;
        int depth;
        const char *refused;            /* why we stopped the parser ourselves */
};

static void
xnode_free(struct xnode *n)
{
        if (!n)
                return;
        for (size_t i = 0; i < n->nkids; i++)
                xnode_free(n->kids[i]);
        free(n->kids);
        free(n->tag);
        xr_buf_free(&n->text);
        free(n);
}

static void
xp_refuse(struct xparse *xp, const char *why)
{
        if (!xp->refused)
                xp->refused = why;
        XML_StopParser(xp->parser, XML_FALSE);
}

static void XMLCALL
xp_on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
        struct xparse *xp = ud;
        (void)atts;
        if (xp->refused)
                return;
        if (++xp->depth > XR_MAX_DEPTH) {
                xp_refuse(xp, "nesting too deep");
                return;
        }
        struct xnode *n = xcalloc(1, sizeof *n);
        n->tag = xstrdup(name);
        n->parent = xp->cur;
        if (!xp->cur) {
                if (xp->root) {         /* expat refuses a second root; be safe anyway */
                        xnode_free(n);
                        xp_refuse(xp, "more than one root element");
                        return;
                }
                xp->root = n;
        } else {
                struct xnode *p = xp->cur;
                if (p->nkids == p->cap) {
                        p->cap = p->cap ? p->cap * 2 : 4;
                        p->kids = xrealloc(p->kids, p->cap * sizeof *p->kids);
                }
                p->kids[p->nkids++] = n;
        }
        xp->cur = n;
}

static void XMLCALL
xp_on_end(void *ud, const XML_Char *name)
{
        struct xparse *xp = ud;
        (void)name;
        if (xp->refused || !xp->cur)
                return;
        xp->depth--;
        xp->cur = xp->cur->parent;
}

static void XMLCALL
xp_on_text(void *ud, const XML_Char *s, int len)
{
        struct xparse *xp = ud;
        if (xp->refused || !xp->cur || xp->cur->nkids)
                return;
        xr_buf_append(&xp->cur->text, s, (size_t)len);
}

/* DTDs are where entity definitions live: refusing them outright defeats "billion laughs" and
 * external entities before expat expands anything. */
static void XMLCALL
xp_on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
              int has_internal_subset)
{
        (void)name; (void)sysid; (void)pubid; (void)has_internal_subset;
        xp_refuse(ud, "DTDs are not allowed");
}

static void XMLCALL
xp_on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value, int value_len,
             const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
        (void)name; (void)is_param; (void)value; (void)value_len; (void)base; (void)sysid;
        (void)pubid; (void)notation;
        xp_refuse(ud, "entity declarations are not allowed");
}

/* Parse body into an element tree. 0, or -EINVAL with *ret_err. */
static int
xml_parse(const char *body, size_t len, struct xnode **ret, char **ret_err)
{
        struct xparse xp = { 0 };
        int r = 0;

        *ret = NULL;
        if (len > INT32_MAX) {
                *ret_err = xstrdup("request too large");
                return -EINVAL;
        }
        xp.parser = XML_ParserCreate(NULL);
        if (!xp.parser) {
                *ret_err = xstrdup("out of memory");
                return -ENOMEM;
        }
        XML_SetUserData(xp.parser, &xp);
        XML_SetElementHandler(xp.parser, xp_on_start, xp_on_end);
        XML_SetCharacterDataHandler(xp.parser, xp_on_text);
        XML_SetStartDoctypeDeclHandler(xp.parser, xp_on_doctype);
        XML_SetEntityDeclHandler(xp.parser, xp_on_entity);
        XML_SetParamEntityParsing(xp.parser, XML_PARAM_ENTITY_PARSING_NEVER);

        if (XML_Parse(xp.parser, body, (int)len, XML_TRUE) != XML_STATUS_OK || xp.refused) {
                if (xp.refused)
                        *ret_err = xasprintf("XML refused: %s", xp.refused);
                else
                        *ret_err = xasprintf("XML error at line %lu: %s",
                                             (unsigned long)XML_GetCurrentLineNumber(xp.parser),
                                             XML_ErrorString(XML_GetErrorCode(xp.parser)));
                xnode_free(xp.root);
                r = -EINVAL;
        } else if (!xp.root) {
                *ret_err = xstrdup("no root element");
                r = -EINVAL;
        } else {
                *ret = xp.root;
        }
        XML_ParserFree(xp.parser);
        return r;
}

static const char *
xnode_text(const struct xnode *n)
{
        return n->text.p ? n->text.p : "";
}

static struct xnode *
xnode_child(const struct xnode *n, const char *tag)
{
        for (size_t i = 0; i < n->nkids; i++)
                if (strcmp(n->kids[i]->tag, tag) == 0)
                        return n->kids[i];
        return NULL;
}

static bool
is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Python int(): surrounding whitespace allowed, optional sign, digits. */
static int
parse_int_text(const char *s, int64_t *ret)
{
        char *end;
        while (is_space(*s))
                s++;
        if (!*s)
                return -EINVAL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || end == s)
                return -EINVAL;
        while (is_space(*end))
                end++;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int
parse_double_text(const char *s, double *ret)
{
        char *end;
        while (is_space(*s))
                s++;
        if (!*s)
                return -EINVAL;
        double v = strtod(s, &end);
        if (end == s)
                return -EINVAL;
        while (is_space(*end))
                end++;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int
b64_digit(unsigned char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

/* Like binascii.a2b_base64 (non-strict): characters outside the alphabet are skipped, decoding
 * stops at padding; a partial last quad must be padded (else "Incorrect padding"). */
static struct xr_value *
b64_decode(const char *s)
{
        size_t n = strlen(s);
        char *out = xmalloc(n / 4 * 3 + 3);
        size_t o = 0;
        unsigned acc = 0;
        int bits = 0, q = 0;

        const char *p = s;
        for (; *p && *p != '='; p++) {
                int d = b64_digit((unsigned char)*p);
                if (d < 0)
                        continue;
                acc = (acc << 6) | (unsigned)d;
                bits += 6;
                q = (q + 1) % 4;
                if (bits >= 8) {
                        bits -= 8;
                        out[o++] = (char)((acc >> bits) & 0xff);
                }
        }
        /* A partial quad needs its padding: 2 data chars + "==", 3 + "=". */
        int pads = 0;
        for (; *p; p++)
                pads += *p == '=';
        if (q == 1 || (q == 2 && pads < 2) || (q == 3 && pads < 1)) {
                free(out);
                return NULL;
        }
        struct xr_value *v = xr_bytes(XR_BASE64, out, o);
        free(out);
        return v;
}

static struct xr_value *node_to_value(const struct xnode *n, const char **err);

/* A typed element (the child of <value>). */
static struct xr_value *
typed_to_value(const struct xnode *t, const char **err)
{
        const char *tag = t->tag;
        const char *text = xnode_text(t);

        if (!strcmp(tag, "int") || !strcmp(tag, "i4") || !strcmp(tag, "i8")) {
                int64_t i;
                if (parse_int_text(text, &i) < 0) {
                        *err = "bad integer";
                        return NULL;
                }
                return xr_int(i);
        }
        if (!strcmp(tag, "boolean"))
                return xr_bool(strcmp(text, "1") == 0);         /* supervisord: x.text == "1" */
        if (!strcmp(tag, "string"))
                return xr_stringn(text, t->text.len);
        if (!strcmp(tag, "double")) {
                double d;
                if (parse_double_text(text, &d) < 0) {
                        *err = "bad double";
                        return NULL;
                }
                return xr_double(d);
        }
        if (!strcmp(tag, "dateTime.iso8601"))
                return xr_bytes(XR_DATETIME, text, t->text.len);
        if (!strcmp(tag, "base64")) {
                struct xr_value *v = b64_decode(text);
                if (!v)
                        *err = "bad base64";
                return v;
        }
        if (!strcmp(tag, "nil"))
                return xr_new(XR_NIL);
        if (!strcmp(tag, "array")) {
                const struct xnode *data = t->nkids ? t->kids[0] : NULL;
                if (!data || strcmp(data->tag, "data") != 0) {
                        *err = "array without data";
                        return NULL;
                }
                struct xr_value *arr = xr_array();
                for (size_t i = 0; i < data->nkids; i++) {
                        if (strcmp(data->kids[i]->tag, "value") != 0) {
                                *err = "array item is not a value";
                                return xr_free(arr);
                        }
                        struct xr_value *v = node_to_value(data->kids[i], err);
                        if (!v)
                                return xr_free(arr);
                        xr_array_push(arr, v);
                }
                return arr;
        }
        if (!strcmp(tag, "struct")) {
                struct xr_value *st = xr_struct();
                for (size_t i = 0; i < t->nkids; i++) {
                        const struct xnode *m = t->kids[i];
                        const struct xnode *nm = xnode_child(m, "name");
                        const struct xnode *val = xnode_child(m, "value");
                        if (strcmp(m->tag, "member") != 0 || !nm || !val) {
                                *err = "bad struct member";
                                return xr_free(st);
                        }
                        struct xr_value *v = node_to_value(val, err);
                        if (!v)
                                return xr_free(st);
                        xr_struct_set(st, xnode_text(nm), v);
                }
                return st;
        }
        *err = "unknown value type";
        return NULL;
}

/* <value>: typed child, or untyped text (a string). */
static struct xr_value *
node_to_value(const struct xnode *n, const char **err)
{
        if (n->nkids)
                return typed_to_value(n->kids[0], err);
        return xr_stringn(xnode_text(n), n->text.len);
}

void
xr_call_free(struct xr_call *c)
{
        if (!c)
                return;
        free(c->method);
        c->method = NULL;
        c->params = xr_free(c->params);
}

/* <params><param><value>…</value></param>…</params> → array. */
static struct xr_value *
params_to_array(const struct xnode *params, const char **err)
{
        struct xr_value *arr = xr_array();
        if (!params)
                return arr;
        for (size_t i = 0; i < params->nkids; i++) {
                const struct xnode *p = params->kids[i];
                if (strcmp(p->tag, "param") != 0 || !p->nkids || strcmp(p->kids[0]->tag, "value") != 0) {
                        *err = "bad param";
                        return xr_free(arr);
                }
                struct xr_value *v = node_to_value(p->kids[0], err);
                if (!v)
                        return xr_free(arr);
                xr_array_push(arr, v);
        }
        return arr;
}

int
xr_parse_call(const char *body, size_t len, struct xr_call *ret, char **ret_err)
{
        struct xnode *root;
        const char *err = NULL;
        int r;

        memset(ret, 0, sizeof *ret);
        *ret_err = NULL;
        r = xml_parse(body, len, &root, ret_err);
        if (r < 0)
                return r;
        const struct xnode *mn = xnode_child(root, "methodName");
        if (strcmp(root->tag, "methodCall") != 0)
                err = "root element is not methodCall";
        else if (!mn || !*xnode_text(mn))
                err = "no method name";
        else if ((ret->params = params_to_array(xnode_child(root, "params"), &err)))
                ret->method = xstrdup(xnode_text(mn));
        xnode_free(root);
        if (err) {
                xr_call_free(ret);
                *ret_err = xstrdup(err);
                return -EINVAL;
        }
        return 0;
}

void
xr_response_free(struct xr_response *r)
{
        if (!r)
                return;
        r->value = xr_free(r->value);
        free(r->fault_string);
        r->fault_string = NULL;
        r->fault_code = 0;
}

int
xr_parse_response(const char *body, size_t len, struct xr_response *ret, char **ret_err)
{
        struct xnode *root;
        const char *err = NULL;
        int r;

        memset(ret, 0, sizeof *ret);
        *ret_err = NULL;
        r = xml_parse(body, len, &root, ret_err);
        if (r < 0)
                return r;
        const struct xnode *params = xnode_child(root, "params");
        const struct xnode *fault = xnode_child(root, "fault");
        if (strcmp(root->tag, "methodResponse") != 0) {
                err = "root element is not methodResponse";
        } else if (fault) {
                const struct xnode *fv = xnode_child(fault, "value");
                struct xr_value *v = fv ? node_to_value(fv, &err) : NULL;
                const struct xr_value *code = xr_struct_get(v, "faultCode");
                const struct xr_value *str = xr_struct_get(v, "faultString");
                if (!err && (!code || code->type != XR_INT || !str || str->type != XR_STRING))
                        err = "bad fault";
                if (!err) {
                        ret->fault_code = (int)code->i;
                        ret->fault_string = xstrdup(str->str.s);
                }
                xr_free(v);
        } else if (params) {
                struct xr_value *arr = params_to_array(params, &err);
                /* NULL comes only with err set, by the node_to_value() <-> typed_to_value()
                 * recursion that clang's analyzer does not follow (a false positive). */
                ANALYZER_ASSUME(arr || err);
                if (arr && arr->arr.n != 1)
                        err = "response must hold exactly one param";
                if (!err) {
                        ret->value = arr->arr.v[0];
                        arr->arr.n = 0;
                }
                xr_free(arr);
        } else {
                err = "response has neither params nor fault";
        }
        xnode_free(root);
        if (err) {
                xr_response_free(ret);
                *ret_err = xstrdup(err);
                return -EINVAL;
        }
        return 0;
}
