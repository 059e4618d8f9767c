/* SPDX-License-Identifier: MIT */
/* signame — signal names both ways, from one table. */
#include "shared/signame.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "shared/util.h"

/* Canonical names first (number → name takes the first match: glibc's names, "POLL" for 29),
 * then aliases, then Python's SIG_* quirk, which only parses. */
static const struct { const char *name; int num; } table[] = {
        { "SIGHUP", SIGHUP }, { "SIGINT", SIGINT }, { "SIGQUIT", SIGQUIT }, { "SIGILL", SIGILL },
        { "SIGTRAP", SIGTRAP }, { "SIGABRT", SIGABRT }, { "SIGBUS", SIGBUS }, { "SIGFPE", SIGFPE },
        { "SIGKILL", SIGKILL }, { "SIGUSR1", SIGUSR1 }, { "SIGSEGV", SIGSEGV }, { "SIGUSR2", SIGUSR2 },
        { "SIGPIPE", SIGPIPE }, { "SIGALRM", SIGALRM }, { "SIGTERM", SIGTERM }, { "SIGSTKFLT", SIGSTKFLT },
        { "SIGCHLD", SIGCHLD }, { "SIGCONT", SIGCONT }, { "SIGSTOP", SIGSTOP }, { "SIGTSTP", SIGTSTP },
        { "SIGTTIN", SIGTTIN }, { "SIGTTOU", SIGTTOU }, { "SIGURG", SIGURG }, { "SIGXCPU", SIGXCPU },
        { "SIGXFSZ", SIGXFSZ }, { "SIGVTALRM", SIGVTALRM }, { "SIGPROF", SIGPROF },
        { "SIGWINCH", SIGWINCH }, { "SIGPOLL", SIGIO }, { "SIGPWR", SIGPWR }, { "SIGSYS", SIGSYS },
        { "SIGIO", SIGIO }, { "SIGIOT", SIGABRT }, { "SIGCLD", SIGCHLD },
        { "SIG_DFL", 0 }, { "SIG_IGN", 1 },
};

int
signame_parse(const char *s, size_t len, int *ret)
{
        if (len >= 3 && !strncasecmp(s, "SIG", 3)) {
                s += 3;
                len -= 3;
        }
        if (len == 5 && !strncasecmp(s, "RTMIN", 5)) {
                *ret = SIGRTMIN;
                return 0;
        }
        if (len == 5 && !strncasecmp(s, "RTMAX", 5)) {
                *ret = SIGRTMAX;
                return 0;
        }
        for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
                const char *n = table[i].name + 3;
                if (strlen(n) == len && !strncasecmp(s, n, len)) {
                        *ret = table[i].num;
                        return 0;
                }
        }
        return -EINVAL;
}

/* "SIGTERM" from the table (not the SIG_* quirk), or NULL. */
static const char *
full_name(int sig)
{
        for (size_t i = 0; i < ARRAY_SIZE(table); i++)
                if (table[i].num == sig && table[i].name[3] != '_')
                        return table[i].name;
        return NULL;
}

const char *
signame_abbrev(int sig)
{
        if (sig == SIGRTMIN)
                return "RTMIN";
        if (sig == SIGRTMAX)
                return "RTMAX";
        const char *n = full_name(sig);
        return n ? n + 3 : NULL;
}

const char *
signame(int sig)
{
        static char buf[32];
        const char *n = full_name(sig);
        if (n)
                return n;
        snprintf(buf, sizeof buf, "signal %d", sig);
        return buf;
}
