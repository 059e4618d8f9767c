/* SPDX-License-Identifier: MIT */
/* own_child — a guard for the harnesses that call sup_fini: its leftover sweep must kill what
 * descends from workers (their own sessions), never a process of the fuzzer's own (ASan's
 * symbolizer, libFuzzer's -fork children), which share our session. The guard is such a process:
 * a child that waits for the fuzzer to exit (EOF on a pipe), checked after every sup_fini. */
#ifndef CORRAL_FUZZ_OWN_CHILD_H
#define CORRAL_FUZZ_OWN_CHILD_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t own_child = -1;

static void
own_child_start(void)
{
        int p[2];
        if (pipe(p) < 0 || (own_child = fork()) < 0) {
                perror("fuzz: own child");
                exit(1);
        }
        if (own_child == 0) {
                char c;
                close(p[1]);
                while (read(p[0], &c, 1) > 0)
                        ;
                _exit(0);
        }
        close(p[0]);            /* p[1] stays open (close-on-exec off is fine: nothing execs) */
}

static void
own_child_check(const char *after)
{
        if (own_child < 0)
                return;
        /* Killed and reaped by the sweep (waitpid(-1)), or killed and not yet reaped. */
        if (kill(own_child, 0) < 0 || waitpid(own_child, NULL, WNOHANG) != 0) {
                fprintf(stderr, "fuzz: %s killed a process of the fuzzer's own (pid %d)\n", after, (int)own_child);
                abort();
        }
}

#endif
