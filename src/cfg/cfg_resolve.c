/* SPDX-License-Identifier: MIT */
/* cfg_resolve — where the config meets the system: paths against the cwd, ~ against the password
 * database, user and group names, argv[0] on PATH, whether a directory exists. The only part of
 * the config layer that asks the name service or stat(2); still no logging and no globals. */
#include "cfg/cfg_int.h"
#include "cfg/cfg_value.h"
#include "shared/util.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- paths ------------------------------------------------------------------------------------ */

/* os.path.abspath: absolute (against the cwd) and normalized (no ., .., //). */
char *
cfg_abspath(const char *path)
{
        char *full;
        if (path[0] == '/') {
                full = xstrdup(path);
        } else {
                char *cwd = getcwd(NULL, 0);
                full = xasprintf("%s/%s", cwd ? cwd : "/", path);
                free(cwd);
        }
        size_t n = strlen(full);
        char *out = xmalloc(n + 2);
        size_t o = 0;
        const char *p = full;
        while (*p) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                const char *e = strchr(p, '/');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                if (len == 1 && p[0] == '.') {
                        /* skip */
                } else if (len == 2 && p[0] == '.' && p[1] == '.') {
                        while (o > 0 && out[o - 1] != '/')
                                o--;
                        if (o > 0)
                                o--;
                } else {
                        out[o++] = '/';
                        memcpy(out + o, p, len);
                        o += len;
                }
                p += len;
        }
        if (o == 0)
                out[o++] = '/';
        out[o] = '\0';
        free(full);
        return out;
}

/* os.path.dirname for an absolute normalized path. */
char *
cfg_dirname(const char *path)
{
        const char *s = strrchr(path, '/');
        if (!s)
                return xstrdup(".");
        if (s == path)
                return xstrdup("/");
        return xstrndup(path, (size_t)(s - path));
}

/* ~ and ~user at the start of a path (os.path.expanduser). */
char *
cfg_resolve_home(char *const *envp, const char *p)
{
        if (p[0] != '~')
                return xstrdup(p);
        const char *slash = strchr(p, '/');
        size_t ul = slash ? (size_t)(slash - p - 1) : strlen(p + 1);
        const char *home = NULL;
        struct passwd *pw = NULL;
        if (ul == 0) {
                home = cfg_env_get(envp, "HOME");
                if (!home && (pw = getpwuid(getuid())))
                        home = pw->pw_dir;
        } else {
                char *u = xstrndup(p + 1, ul);
                if ((pw = getpwnam(u)))
                        home = pw->pw_dir;
                free(u);
        }
        if (!home)
                return xstrdup(p);
        size_t hl = strlen(home);
        while (hl > 1 && home[hl - 1] == '/')
                hl--;
        return xasprintf("%.*s%s", (int)hl, home, slash ? slash : "");
}

bool
cfg_resolve_is_dir(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* --- users and groups ------------------------------------------------------------------------- */

int
cfg_resolve_user(const char *user, uid_t *ret_uid, gid_t *ret_gid, gid_t **ret_groups, int *ret_ngroups,
                 char **ret_msg)
{
        long n;
        struct passwd *pw;
        if (cfg_parse_int(user, &n) == 0) {
                pw = getpwuid((uid_t)n);
                if (!pw) {
                        *ret_msg = xasprintf("invalid user id %ld", n);
                        return -EINVAL;
                }
        } else {
                pw = getpwnam(user);
                if (!pw) {
                        *ret_msg = xasprintf("invalid user name '%s'", user);
                        return -EINVAL;
                }
        }
        *ret_uid = pw->pw_uid;
        *ret_gid = pw->pw_gid;
        if (ret_groups) {
                int ng = 16;
                gid_t *g = xmalloc((size_t)ng * sizeof *g);
                char *name = xstrdup(pw->pw_name);
                gid_t base = pw->pw_gid;
                while (getgrouplist(name, base, g, &ng) < 0) {
                        if (ng < 1)
                                ng = 1;
                        g = xrealloc(g, (size_t)ng * 2 * sizeof *g);
                        ng *= 2;
                }
                free(name);
                *ret_groups = g;
                *ret_ngroups = ng;
        }
        return 0;
}

int
cfg_resolve_group(const char *group, gid_t *ret_gid)
{
        long n;
        struct group *gr = cfg_parse_int(group, &n) == 0 ? getgrgid((gid_t)n) : getgrnam(group);
        if (!gr)
                return -EINVAL;
        *ret_gid = gr->gr_gid;
        return 0;
}

/* --- commands --------------------------------------------------------------------------------- */

/* argv[0] on PATH as supervisord's get_execv_args does: the first candidate that exists. */
char *
cfg_resolve_exec(char *const *envp, const char *prog)
{
        struct stat st;
        if (strchr(prog, '/'))
                return stat(prog, &st) == 0 ? xstrdup(prog) : NULL;
        const char *path = cfg_env_get(envp, "PATH");
        if (!path)
                path = "/bin:/usr/bin:/usr/local/bin";
        char *dup = xstrdup(path), *save;
        char *found = NULL;
        for (char *d = strtok_r(dup, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
                char *cand = xasprintf("%s/%s", d, prog);
                if (stat(cand, &st) == 0)
                        found = cand;
                else
                        free(cand);
        }
        free(dup);
        return found;
}
