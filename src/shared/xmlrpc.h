/* SPDX-License-Identifier: MIT */
/* xmlrpc — the XML-RPC value codec shared by corrald and corralctl: a small value tree, a request
 * and response parser on expat (no DTDs, no entity expansion), and a serializer that writes the
 * same layout as Python's xmlrpc.client.dumps (compat E.1, wire/vectors). Pure. */
#ifndef CORRAL_XMLRPC_H
#define CORRAL_XMLRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum xr_type { XR_INT, XR_BOOL, XR_STRING, XR_DOUBLE, XR_DATETIME, XR_BASE64, XR_ARRAY, XR_STRUCT, XR_NIL,
               XR_FILE };

struct xr_value;

/* A string too large to hold in memory: len bytes of the open file fd from offset off, read only
 * when the reply is sent (an XR_FILE value is an XML-RPC string on the wire; the parser never
 * makes one). The value owns fd. */
struct xr_file_range {
        int fd;
        int64_t off;
        uint64_t len;
};

struct xr_member {
        char *name;
        struct xr_value *value;
};

struct xr_value {
        enum xr_type type;
        union {
                int64_t i;                      /* XR_INT */
                bool b;                         /* XR_BOOL */
                double d;                       /* XR_DOUBLE */
                struct {                        /* XR_STRING, XR_DATETIME, XR_BASE64 (decoded) */
                        char *s;                /* NUL-terminated, may contain NULs for base64 */
                        size_t len;
                } str;
                struct {                        /* XR_ARRAY */
                        struct xr_value **v;
                        size_t n, cap;
                } arr;
                struct {                        /* XR_STRUCT, members in insertion order */
                        struct xr_member *m;
                        size_t n, cap;
                } st;
                struct xr_file_range file;      /* XR_FILE */
        };
};

/* Constructors never fail (xmalloc). */
struct xr_value *xr_int(int64_t i);
struct xr_value *xr_bool(bool b);
struct xr_value *xr_string(const char *s);
struct xr_value *xr_stringn(const char *s, size_t len);
struct xr_value *xr_double(double d);
struct xr_value *xr_array(void);
struct xr_value *xr_struct(void);
struct xr_value *xr_array_push(struct xr_value *arr, struct xr_value *v);      /* returns arr */
struct xr_value *xr_struct_set(struct xr_value *st, const char *name, struct xr_value *v); /* appends */
struct xr_value *xr_free(struct xr_value *v);                                  /* NULL */
/* Takes fd. xr_files_open() counts the descriptors XR_FILE values and buffers hold, process-wide,
 * so that a server can bound them. */
struct xr_value *xr_file(int fd, int64_t off, uint64_t len);
size_t xr_files_open(void);
void xr_file_close(struct xr_file_range *f);                                   /* idempotent */

/* Lookups (NULL when absent / wrong type). */
const struct xr_value *xr_struct_get(const struct xr_value *st, const char *name);
const struct xr_value *xr_array_get(const struct xr_value *arr, size_t i);

/* Growable output buffer. Encoding an XR_FILE value leaves a hole at offset pos of the text where
 * the file's bytes go, escaped, when the buffer is sent (xr_put_text); the hole takes the value's
 * descriptor (an XR_FILE value is encoded once). Plain buffers have no holes. */
struct xr_hole {
        size_t pos;
        struct xr_file_range file;
};
struct xr_buf {
        char *p;
        size_t len, cap;
        struct xr_hole *holes;
        size_t nholes;
};
void xr_buf_append(struct xr_buf *b, const char *s, size_t n);
void xr_buf_puts(struct xr_buf *b, const char *s);
void xr_buf_free(struct xr_buf *b);                     /* closes the holes' files too */

/* A parsed <methodCall>. params is always an XR_ARRAY (empty when <params> is absent). */
struct xr_call {
        char *method;
        struct xr_value *params;
};
void xr_call_free(struct xr_call *c);

/* 0, or -EINVAL with *ret_err (malloc'd) for malformed XML / no methodName (HTTP 400). */
int xr_parse_call(const char *body, size_t len, struct xr_call *ret, char **ret_err);

/* A parsed <methodResponse>: either value (fault_code 0) or a fault. 0 or -EINVAL. */
struct xr_response {
        struct xr_value *value;
        int fault_code;
        char *fault_string;
};
void xr_response_free(struct xr_response *r);
int xr_parse_response(const char *body, size_t len, struct xr_response *ret, char **ret_err);

/* Serializers (Python xmlrpc.client layout, "<?xml version='1.0'?>" header). */
void xr_encode_response(struct xr_buf *b, const struct xr_value *v);
void xr_encode_fault(struct xr_buf *b, int code, const char *string);
void xr_encode_call(struct xr_buf *b, const char *method, const struct xr_value *params);
void xr_encode_value(struct xr_buf *b, const struct xr_value *v);
/* Bytes as XML-RPC string content (what a string value's bytes become between the tags). */
void xr_put_text(struct xr_buf *b, const char *s, size_t len);

#endif
