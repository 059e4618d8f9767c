/* SPDX-License-Identifier: MIT */
/* cctl_text — the client's pure parsing and formatting (see cctl_text.c). Unit-tested by
 * tests/unit/check_corralctl.c. */
#ifndef CORRAL_CCTL_TEXT_H
#define CORRAL_CCTL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "shared/xmlrpc.h"

/* A struct member of a reply: the string ("" when absent or not a string), the integer (0 when
 * absent; a boolean reads 0 or 1). */
const char *cctl_vstr(const struct xr_value *st, const char *key);
int64_t cctl_vint(const struct xr_value *st, const char *key);
/* The length of an array value, 0 for anything else (NULL included). */
size_t cctl_arr_len(const struct xr_value *v);

/* Python's str() of a value ("None" for NULL), repr() of a str, int() of a str. */
char *cctl_py_str(const struct xr_value *v);
char *cctl_py_repr(const char *s);
bool cctl_py_int(const char *s, long *ret);

/* supervisor.options' make_namespec ("g:name", "name" when both are the same, "g:None" for a NULL
 * name) and split_namespec ("g:*" and "g:" give a NULL name). malloc'd. */
char *cctl_namespec_make(const char *group, const char *name);
void cctl_namespec_split(const char *spec, char **ret_group, char **ret_name);

/* The words of a command's argument, as str.split() gives them; v is NULL-terminated. */
struct cctl_words {
        char **v;
        size_t n;
};
void cctl_words_split(const char *s, struct cctl_words *w);
void cctl_words_free(struct cctl_words *w);
bool cctl_words_has(const struct cctl_words *w, const char *s);

/* Display width of UTF-8 text in code points (what Python's %-Ns counts), and s written to f
 * padded with spaces to that width. */
size_t cctl_u8len(const char *s);
void cctl_pad(FILE *f, const char *s, size_t width);

/* A JSON string of s (NULL gives ""), made valid UTF-8 (bad bytes become U+FFFD); o[k] = v (v
 * stolen, k made valid the same way); j and a newline written to stdout, then j released. */
json_t *cctl_jstr(const char *s);
void cctl_jset(json_t *o, const char *k, json_t *v);
void cctl_json_print(json_t *j);

#endif
