/* SPDX-License-Identifier: MIT */
/* leftovers — what still descends from corrald's workers once they are stopped: process-group
 * members a worker left behind and orphans adopted as subreaper. Found by one /proc scan, killed
 * with SIGKILL. Only the end of a stop sequence and the final exit use it. */
#include "core/leftovers.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "shared/util.h"

struct pp {
        pid_t pid, ppid, sid;
};

static int
cmp_pp(const void *a, const void *b)
{
        pid_t x = ((const struct pp *)a)->pid, y = ((const struct pp *)b)->pid;
        return (x > y) - (x < y);
}

/* SIGKILL every live descendant of this process (process-group members a worker left behind,
 * orphans we adopted as subreaper). One /proc scan, only at the end of a stop sequence.
 * Returns how many were signalled. */
size_t
leftovers_kill(void)
{
        DIR *d = opendir("/proc");
        if (!d)
                return 0;
        struct pp *v = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                long pid;
                if (parse_long(de->d_name, &pid) < 0 || pid <= 0)
                        continue;
                char path[64], buf[512];
                snprintf(path, sizeof path, "/proc/%ld/stat", pid);
                FILE *f = fopen(path, "re");
                if (!f)
                        continue;
                size_t len = fread(buf, 1, sizeof buf - 1, f);
                fclose(f);
                buf[len] = '\0';
                char *rp = strrchr(buf, ')');
                char st;
                int ppid, pgrp, sid;
                if (!rp || sscanf(rp + 1, " %c %d %d %d", &st, &ppid, &pgrp, &sid) != 4 || st == 'Z')
                        continue;
                if (n == cap) {
                        cap = cap ? 2 * cap : 256;
                        v = xrealloc(v, cap * sizeof *v);
                }
                v[n++] = (struct pp){ (pid_t)pid, (pid_t)ppid, (pid_t)sid };
        }
        closedir(d);

        /* Resolve each process's ancestry once (memoized walk up the ppid chain over a table
         * sorted by pid): O(n log n) for the whole scan. */
        if (n == 0) {
                free(v);
                return 0;
        }
        qsort(v, n, sizeof *v, cmp_pp);
        unsigned char *mark = xcalloc(n + 1, 1);       /* 0 unknown, 1 descendant, 2 not */
        size_t *chain = xcalloc(n + 1, sizeof *chain);
        pid_t self = getpid();
        size_t count = 0;
        for (size_t i = 0; i < n; i++) {
                size_t len = 0, k = i;
                unsigned char verdict = 2;
                while (len <= n) {
                        if (mark[k]) {
                                verdict = mark[k];
                                break;
                        }
                        chain[len++] = k;
                        if (v[k].ppid == self) {
                                verdict = 1;
                                break;
                        }
                        struct pp key = { v[k].ppid, 0, 0 };
                        struct pp *parent = v[k].ppid > 0 ? bsearch(&key, v, n, sizeof *v, cmp_pp) : NULL;
                        if (!parent || v[k].pid == self)
                                break;
                        k = (size_t)(parent - v);
                }
                for (size_t j = 0; j < len; j++)
                        mark[chain[j]] = verdict;
        }
        /* Every worker starts its own session (spawn calls setsid), and no process can join a
         * session it did not start, so whatever descends from a worker is in another session
         * than ours. A child in our session was forked by this process itself without spawn
         * (a sanitizer's or fuzzer's helper, a test's child): not ours to kill. */
        pid_t own_sid = getsid(0);
        for (size_t i = 0; i < n; i++)
                if (mark[i] == 1 && v[i].pid != self && v[i].sid != own_sid) {
                        count++;
                        log_debug("killing leftover process %ld with SIGKILL", (long)v[i].pid);
                        (void)kill(v[i].pid, SIGKILL);
                }
        free(chain);
        free(mark);
        free(v);
        return count;
}

void
leftovers_kill_and_reap(double secs)
{
        /* Bounded: a process in uninterruptible sleep must not hang the exit forever. */
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        double deadline = time_monotonic() + secs;
        for (;;) {
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
                if (leftovers_kill() == 0 || time_monotonic() > deadline)
                        break;
                nanosleep(&ts, NULL);
        }
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
}
