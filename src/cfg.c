/* SPDX-License-Identifier: MIT */
/* cfg — STUB. Replaced by the config work (issue 2). */
#include "cfg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct cfg *cfg_load(const struct cfg_load_options *opt, struct cfg_errors *errs) { (void)opt; (void)errs; return NULL; }
struct cfg *cfg_load_string(const char *text, const struct cfg_load_options *opt, struct cfg_errors *errs) { (void)text; (void)opt; (void)errs; return NULL; }
struct cfg *cfg_free(struct cfg *cfg) { (void)cfg; return NULL; }
void cfg_errors_clear(struct cfg_errors *errs) { (void)errs; }
char *cfg_find_default(const char *argv0) { (void)argv0; return NULL; }
const struct cfg_group *cfg_find_group(const struct cfg *cfg, const char *name)
{
        for (size_t i = 0; cfg && i < cfg->ngroups; i++)
                if (!strcmp(cfg->groups[i]->name, name))
                        return cfg->groups[i];
        return NULL;
}
bool cfg_group_equal(const struct cfg_group *a, const struct cfg_group *b) { (void)a; (void)b; return false; }
void cfg_diff(const struct cfg *old, const struct cfg *new, struct cfg_diff *ret) { (void)old; (void)new; memset(ret, 0, sizeof *ret); }
void cfg_diff_free(struct cfg_diff *d) { (void)d; }
int cfg_parse_bool(const char *s, bool *ret) { (void)s; (void)ret; return -EINVAL; }
int cfg_parse_bytes(const char *s, off_t *ret) { (void)s; (void)ret; return -EINVAL; }
int cfg_parse_octal(const char *s, int *ret) { (void)s; (void)ret; return -EINVAL; }
int cfg_parse_signal(const char *s, int *ret) { (void)s; (void)ret; return -EINVAL; }
const char *cfg_signal_name(int sig) { (void)sig; return NULL; }
int cfg_parse_exitcodes(const char *s, uint64_t ret[4]) { (void)s; (void)ret; return -EINVAL; }
int cfg_parse_environment(const char *s, char ***ret, char **ret_msg) { (void)s; (void)ret; (void)ret_msg; return -EINVAL; }
int cfg_split_command(const char *s, char ***ret, char **ret_msg) { (void)s; (void)ret; (void)ret_msg; return -EINVAL; }
