/* SPDX-License-Identifier: MIT */
/* strmap — string → pointer, open addressing. */
#include "shared/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/util.h"

#define FNV_INIT 14695981039346656037ULL

static uint64_t
fnv(uint64_t h, const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                h ^= (unsigned char)s[i];
                h *= 1099511628211ULL;
        }
        return h;
}

/* The slot of key (its entry, or the empty slot where it belongs); cap > count, so one exists. */
static struct strmap_ent *
slot_of(const struct strmap *m, const char *key)
{
        size_t mask = m->cap - 1;
        for (size_t i = fnv(FNV_INIT, key, strlen(key)) & mask;; i = (i + 1) & mask)
                if (!m->v[i].key || !strcmp(m->v[i].key, key))
                        return &m->v[i];
}

static void
grow(struct strmap *m, size_t cap)
{
        struct strmap_ent *old = m->v;
        size_t oldcap = m->cap;
        m->v = xcalloc(cap, sizeof *m->v);
        m->cap = cap;
        for (size_t i = 0; i < oldcap; i++)
                if (old[i].key)
                        *slot_of(m, old[i].key) = old[i];
        free(old);
}

void
strmap_reset(struct strmap *m, size_t n)
{
        free(m->v);
        size_t cap = 8;
        while (cap <= 2 * n)
                cap *= 2;
        m->v = xcalloc(cap, sizeof *m->v);
        m->cap = cap;
        m->count = 0;
}

void
strmap_free(struct strmap *m)
{
        free(m->v);
        *m = (struct strmap){ 0 };
}

void
strmap_put(struct strmap *m, const char *key, void *val)
{
        if (2 * (m->count + 1) >= m->cap)
                grow(m, m->cap ? m->cap * 2 : 8);
        struct strmap_ent *e = slot_of(m, key);
        if (!e->key) {
                e->key = key;
                m->count++;
        }
        e->val = val;
}

void *
strmap_get(const struct strmap *m, const char *key)
{
        return strmap_get2(m, key, strlen(key), NULL, 0);
}

void *
strmap_get2(const struct strmap *m, const char *a, size_t alen, const char *b, size_t blen)
{
        if (!m->cap)
                return NULL;
        uint64_t h = fnv(FNV_INIT, a, alen);
        if (b)
                h = fnv(fnv(h, ":", 1), b, blen);
        size_t mask = m->cap - 1;
        for (size_t i = h & mask; m->v[i].key; i = (i + 1) & mask) {
                const char *k = m->v[i].key;
                if (strncmp(k, a, alen))
                        continue;
                if (!b) {
                        if (k[alen] == '\0')
                                return m->v[i].val;
                } else if (k[alen] == ':' && !strncmp(k + alen + 1, b, blen) && k[alen + 1 + blen] == '\0') {
                        return m->v[i].val;
                }
        }
        return NULL;
}
