/* SPDX-License-Identifier: MIT */
/* cfg_int — what the config parser's files share; internal to src/cfg. Calls go one way:
 *   cfg.c (INI reader, includes, entry points) → cfg_build.c (struct cfg: global sections, free)
 *   → cfg_program.c (programs, groups) → cfg_key.c (one key, typed) → cfg_store.c (raw sections,
 *   error lists) and cfg_resolve.c (paths, users, PATH, stat). */
#ifndef CORRAL_CFG_INT_H
#define CORRAL_CFG_INT_H

#include "cfg/cfg.h"
#include "cfg/cfg_value.h"
#include "shared/strmap.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>

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
        struct strmap names;            /* section name → index + 1 */
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

/* Default *_logfile_maxbytes (supervisord's 50MB). */
#define CFG_DEFAULT_MAXBYTES ((off_t)50 * 1024 * 1024)

static inline bool
cfg_has_prefix(const char *s, const char *p)
{
        return !strncmp(s, p, strlen(p));
}

/* --- cfg_store.c: the raw section store and the error/warning lists --------------------------- */

/* msg is taken over (malloc'd). */
void cfg_add_error(struct cfg_ctx *c, const char *file, int line, const char *section, const char *key,
                   char *msg);
void cfg_add_warning(struct cfg_ctx *c, const char *file, int line, const char *section,
                     const char *key, char *msg);

/* A source file of the store (path absolute); owned by the store. */
const struct cfg_srcfile *cfg_store_file(struct cfg_ctx *c, const char *path);
/* The index of section name, added (at file:line) if new. */
size_t cfg_store_section(struct cfg_ctx *c, const char *name, const struct cfg_srcfile *f, int line);
/* Set key (taken over) to val (taken over); a duplicate key replaces. Returns the key's index. */
size_t cfg_section_set(struct cfg_section *s, char *key, char *val, const struct cfg_srcfile *f, int line);
const struct cfg_kv *cfg_section_get(const struct cfg_section *s, const char *key);
const struct cfg_section *cfg_store_find(const struct cfg_ctx *c, const char *name);
void cfg_store_free(struct cfg_store *st);

/* --- cfg_resolve.c: paths, users, groups and commands against the running system -------------- */

char *cfg_abspath(const char *path);            /* os.path.abspath; malloc'd */
char *cfg_dirname(const char *path);            /* os.path.dirname; malloc'd */
/* ~ and ~user at the start of p (os.path.expanduser; HOME from envp). malloc'd. */
char *cfg_resolve_home(char *const *envp, const char *p);
bool cfg_resolve_is_dir(const char *path);
/* A user name or numeric id: its uid, gid and (if ret_groups) its group list (malloc'd).
 * 0, or -EINVAL with *ret_msg (malloc'd). */
int cfg_resolve_user(const char *user, uid_t *ret_uid, gid_t *ret_gid, gid_t **ret_groups, int *ret_ngroups,
                     char **ret_msg);
int cfg_resolve_group(const char *group, gid_t *ret_gid);      /* name or id; 0 or -EINVAL */
/* argv[0] as supervisord's get_execv_args finds it (PATH from envp); malloc'd, NULL if absent. */
char *cfg_resolve_exec(char *const *envp, const char *prog);

/* --- cfg_key.c: one key of a section, expanded and typed -------------------------------------- */

/* The expansion names of one lookup; v[0] is always "here", set per key. */
struct cfg_key_scope {
        struct cfg_var v[8];
        struct cfg_vars vars;
};
void cfg_key_scope_init(struct cfg_key_scope *sc, struct cfg_ctx *c);
void cfg_key_scope_add(struct cfg_key_scope *sc, const char *name, const char *s, long n);

/* An error at kv's line (at the section's header if kv is NULL); a warning the same way. */
void cfg_key_err(struct cfg_ctx *c, const struct cfg_section *s, const struct cfg_kv *kv, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* An error about a section as a whole (or a missing key): at its header line. */
void cfg_key_err_sec(struct cfg_ctx *c, const struct cfg_section *s, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
void cfg_key_warn(struct cfg_ctx *c, const struct cfg_section *s, const struct cfg_kv *kv, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Typed getters: an absent key gives the default; a bad value records an error and gives the
 * default. cfg_key_raw: the expanded value (malloc'd), NULL when absent or bad. */
char *cfg_key_raw(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct cfg_key_scope *sc,
                  const struct cfg_kv **ret_kv);
char *cfg_key_str(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct cfg_key_scope *sc,
                  const char *def);
long cfg_key_int(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct cfg_key_scope *sc,
                 long def);
bool cfg_key_bool(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct cfg_key_scope *sc,
                  bool def);
off_t cfg_key_bytes(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct cfg_key_scope *sc,
                    off_t def);
int cfg_key_octal(struct cfg_ctx *c, const struct cfg_section *s, const char *key, struct cfg_key_scope *sc,
                  int def);
/* v with ~ expanded; its directory must exist when opt->check_logdirs (existing_dirpath). */
char *cfg_key_dirpath(struct cfg_ctx *c, const struct cfg_section *s, const struct cfg_kv *kv, const char *v);
/* Warn about every key of s that is not in known (NULL-terminated). */
void cfg_key_warn_unknown(struct cfg_ctx *c, const struct cfg_section *s, const char *const *known);

/* --- cfg_program.c: [program:x] and [group:x] → cfg->groups, cfg->groups_by_name -------------- */

void cfg_program_build(struct cfg_ctx *c, struct cfg *cfg);
void cfg_proc_free(struct cfg_proc *p);

/* --- cfg_deps.c: depends_on resolved into cfg_proc.deps, unknown names and cycles as errors -- */

/* After cfg_program_build, when it had no errors: fills every proc's deps and seq. */
void cfg_deps_build(struct cfg_ctx *c, struct cfg *cfg);

/* --- cfg_build.c: the store → struct cfg (errors in c->errs) ---------------------------------- */

struct cfg *cfg_build(struct cfg_ctx *c, const struct cfg_srcfile *main);

#endif
