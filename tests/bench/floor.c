/* SPDX-License-Identifier: MIT */
/* floor — the physical floor of restart latency on this machine: the least any supervisor can do
 * between a SIGKILL and the replacement's first instruction is kill → waitpid → fork → exec.
 *
 *   floor KILLS BW    prints one latency per line, in microseconds
 *
 * The worker (bw pipe 3) writes its CLOCK_MONOTONIC at its first instruction to a pipe. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int pfd[2];
static char *bw;

static pid_t
spawn(struct timespec *ret_ts)
{
        pid_t pid = fork();

        if (pid < 0)
                exit(111);
        if (pid == 0) {
                char *av[] = { bw, "pipe", "3", NULL };

                close(pfd[0]);
                if (dup2(pfd[1], 3) < 0)
                        _exit(111);
                execv(bw, av);
                _exit(127);
        }
        if (read(pfd[0], ret_ts, sizeof *ret_ts) != sizeof *ret_ts)
                exit(111);
        return pid;
}

int
main(int argc, char **argv)
{
        struct timespec t, ts;
        int kills;
        pid_t pid;

        if (argc != 3)
                return 100;
        kills = atoi(argv[1]);
        bw = argv[2];
        if (pipe(pfd) < 0)
                return 111;
        pid = spawn(&ts);
        for (int i = 0; i < kills; i++) {
                clock_gettime(CLOCK_MONOTONIC, &t);
                kill(pid, SIGKILL);
                if (waitpid(pid, NULL, 0) != pid)
                        return 111;
                pid = spawn(&ts);
                printf("%.1f\n", ((double)(ts.tv_sec - t.tv_sec) * 1e9 + (double)(ts.tv_nsec - t.tv_nsec)) / 1e3);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return 0;
}
