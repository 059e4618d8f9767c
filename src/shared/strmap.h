/* SPDX-License-Identifier: MIT */
/* strmap — the one string-keyed hash table: string → pointer, open addressing with linear probing
 * (FNV-1a), a power-of-two capacity kept above twice the count. Keys are borrowed: each must stay
 * valid and unchanged while it is in the map. No removal (the users rebuild instead). Pure. */
#ifndef CORRAL_STRMAP_H
#define CORRAL_STRMAP_H

#include <stddef.h>

struct strmap_ent {
        const char *key;        /* NULL: empty slot */
        void *val;
};

struct strmap {
        struct strmap_ent *v;
        size_t cap;             /* a power of two, or 0 */
        size_t count;
};

/* Empty m (a zeroed struct is an empty map) with room for n entries before it grows. */
void strmap_reset(struct strmap *m, size_t n);
/* Release the slots; m is an empty map again. */
void strmap_free(struct strmap *m);
/* key → val, replacing the value of an equal key. */
void strmap_put(struct strmap *m, const char *key, void *val);
/* The value for key, or NULL. */
void *strmap_get(const struct strmap *m, const char *key);
/* The value for the key "a:b" given in two pieces (no allocation), or for the key a[0..alen) when
 * b is NULL. */
void *strmap_get2(const struct strmap *m, const char *a, size_t alen, const char *b, size_t blen);

#endif
