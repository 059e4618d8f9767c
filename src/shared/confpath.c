/* SPDX-License-Identifier: MIT */
/* confpath — where supervisord and supervisorctl look for their config file when -c is absent
 * (compat §B.1): the same list for corrald and corralctl. Only access(2); no other I/O. */
#include "shared/confpath.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/util.h"

static char *
py_dirname(const char *p)
{
        const char *s = strrchr(p, '/');
        if (!s)
                return xstrdup("");
        size_t n = (size_t)(s - p) + 1;
        char *head = xstrndup(p, n);
        /* strip trailing slashes unless it is all slashes */
        size_t l = strlen(head);
        size_t k = l;
        while (k > 0 && head[k - 1] == '/')
                k--;
        if (k > 0)
                head[k] = '\0';
        return head;
}

static char *
py_join(const char *a, const char *b)
{
        if (!*a)
                return xstrdup(b);
        size_t l = strlen(a);
        return xasprintf("%s%s%s", a, a[l - 1] == '/' ? "" : "/", b);
}

char *
confpath_find(const char *argv0)
{
        char *d1 = py_dirname(argv0 ? argv0 : "");
        char *here = py_dirname(d1);
        free(d1);
        char *etc = py_join(here, "etc");
        char *cands[] = {
                py_join(etc, "supervisord.conf"),
                py_join(here, "supervisord.conf"),
                xstrdup("supervisord.conf"),
                xstrdup("etc/supervisord.conf"),
                xstrdup("/etc/supervisord.conf"),
                xstrdup("/etc/supervisor/supervisord.conf"),
                xstrdup("/etc/corral/corral.conf"),     /* where `make install` puts ours */
        };
        free(etc);
        free(here);
        char *found = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(cands); i++) {
                if (!found && access(cands[i], F_OK) == 0)
                        found = cands[i];
                else
                        free(cands[i]);
        }
        return found;
}
