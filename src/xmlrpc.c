/* SPDX-License-Identifier: MIT */
/* xmlrpc — STUB (buffer + fault encoder only). Replaced by the control-plane work (issue 4). */
#include "xmlrpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void xr_buf_append(struct xr_buf *b, const char *s, size_t n)
{
        if (b->len + n + 1 > b->cap) {
                b->cap = (b->len + n + 1) * 2;
                b->p = xrealloc(b->p, b->cap);
        }
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
}
void xr_buf_puts(struct xr_buf *b, const char *s) { xr_buf_append(b, s, strlen(s)); }
void xr_buf_free(struct xr_buf *b) { free(b->p); b->p = NULL; b->len = b->cap = 0; }
void xr_encode_fault(struct xr_buf *b, int code, const char *string)
{
        char *s = xasprintf("<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n"
                            "<name>faultCode</name>\n<value><int>%d</int></value>\n</member>\n<member>\n"
                            "<name>faultString</name>\n<value><string>%s</string></value>\n</member>\n"
                            "</struct></value>\n</fault>\n</methodResponse>\n", code, string);
        xr_buf_puts(b, s);
        free(s);
}
