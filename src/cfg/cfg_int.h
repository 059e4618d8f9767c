/* SPDX-License-Identifier: MIT */
/* cfg_int — what cfg.c (INI layer, raw store) and cfg_build.c (typed struct cfg) share.
 * Internal to the config parser. */
#ifndef CORRAL_CFG_INT_H
#define CORRAL_CFG_INT_H

#include "cfg/cfg.h"

#include <stddef.h>

struct cfg_srcfile {
        char *path;                     /* absolute */
        char *dir;                      /* %(here)s */
};

struct cfg_kv {
        char *key;                      /* lower-cased */
        char *val;                      /* continuation lines joined with '\n' */
        const struct cfg_srcfile *file;
        int line;
};

struct cfg_section {
        char *name;                     /* as written (case kept) */
        const struct cfg_srcfile *file; /* where its first header is */
        int line;
        struct cfg_kv *kv;
        size_t nkv, capkv;
};

struct cfg_store {
        struct cfg_section *sec;        /* in order of first appearance; duplicates merged */
        size_t nsec, capsec;
        size_t *hash;                   /* open addressing by name: index + 1, 0 = empty */
        size_t hcap;                    /* a power of two, > 2 * nsec */
        struct cfg_srcfile **files;
        size_t nfiles;
};

struct cfg_ctx {
        const struct cfg_load_options *opt;
        struct cfg_errors *errs;
        char *const *envp;
        char *host;
        struct cfg_store st;
        char **warnings;
        size_t nwarnings;
        char **included;
        size_t nincluded;
};

/* msg is taken over (malloc'd). */
void cfg_add_error(struct cfg_ctx *c, const char *file, int line, const char *section, const char *key,
                   char *msg);
void cfg_add_warning(struct cfg_ctx *c, const char *file, int line, const char *section,
                     const char *key, char *msg);

const struct cfg_kv *cfg_section_get(const struct cfg_section *s, const char *key);
const struct cfg_section *cfg_store_find(const struct cfg_ctx *c, const char *name);

char *cfg_abspath(const char *path);
char *cfg_dirname(const char *path);

void cfg_proc_free(struct cfg_proc *p);

/* cfg_build.c: the store → struct cfg (NULL on allocation-free failure; errors in c->errs). */
struct cfg *cfg_build(struct cfg_ctx *c, const struct cfg_srcfile *main);

#endif
