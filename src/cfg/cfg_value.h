/* SPDX-License-Identifier: MIT */
/* cfg_value — internal helpers of the config parser (value parsing lives in cfg.h's contract;
 * this header adds the %(name)s expansion and small parsers used only by cfg.c and the tests). */
#ifndef CORRAL_CFG_VALUE_H
#define CORRAL_CFG_VALUE_H

#include <stdbool.h>
#include <stddef.h>

/* One expansion name: either a string or an integer. */
struct cfg_var {
        const char *name;
        const char *s;                  /* NULL: integer n */
        long n;
};

/* The names available to one expansion: the fixed ones plus ENV_<X> looked up in up to three
 * "K=V" vectors (later ones win; any may be NULL). */
struct cfg_vars {
        const struct cfg_var *v;
        size_t n;
        char *const *env[3];
};

/* Python's `s % mapping` restricted to %(name)<spec> and %%. 0, or -EINVAL with *ret_msg. */
int cfg_expand(const char *s, const struct cfg_vars *vars, char **ret, char **ret_msg);

/* Python int(): optional spaces, sign, digits, spaces. 0 or -EINVAL/-ERANGE. */
int cfg_parse_int(const char *s, long *ret);

/* supervisord's process_or_group_name: stripped; no ' ', ':' or '/'. 0 or -EINVAL with msg. */
int cfg_check_name(const char *s, char **ret_msg);

/* Look up K in a "K=V" vector; the value, or NULL. */
const char *cfg_env_get(char *const *env, const char *key);

#endif
