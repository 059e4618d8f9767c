/* SPDX-License-Identifier: MIT */
/* bw — the benchmark's worker. It records a CLOCK_MONOTONIC timestamp as its first action, so the
 * harness can see when a supervisor's exec landed without trusting the supervisor's own reports.
 *
 *   bw stamp FILE NAME      append "NAME PID SEC.NSEC\n" to FILE, then sleep forever (like sleep)
 *   bw crash FILE           append one fixed 2-byte line "c\n" to FILE, then exit 1
 *   bw produce BYTES FILE [exit]
 *                           append "produce PID SEC.NSEC\n" to FILE, write BYTES of 100-byte lines to
 *                           stdout, then sleep forever (or exit 0 with "exit")
 *   bw pipe FD              write the timestamp as 16 raw bytes to FD, then sleep forever (floor.c)
 *
 * Invoked as "run" (an s6/runit service directory's run file is a symlink to bw), it reads its
 * arguments from ./args, one per line, so no shell sits between the supervisor and the worker. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct timespec t0;

static void
append(const char *path, const char *buf, size_t len)
{
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

        if (fd < 0)
                _exit(111);
        if (write(fd, buf, len) != (ssize_t)len)
                _exit(111);
        close(fd);
}

static void
stamp(const char *path, const char *name)
{
        char buf[256];
        int n = snprintf(buf, sizeof buf, "%s %ld %lld.%09ld\n", name, (long)getpid(),
                         (long long)t0.tv_sec, t0.tv_nsec);

        append(path, buf, (size_t)n);
}

static void
forever(void)
{
        for (;;)
                pause();
}

static int
produce(long long bytes)
{
        static char block[100 * 655];   /* 65,500 bytes: whole lines only */
        long long left = bytes;

        for (size_t i = 0; i < sizeof block; i += 100) {
                memset(block + i, 'x', 99);
                block[i + 99] = '\n';
        }
        while (left > 0) {
                size_t want = left < (long long)sizeof block ? (size_t)left : sizeof block;
                ssize_t w = write(1, block, want);

                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return 111;
                }
                left -= w;
        }
        return 0;
}

static int
dispatch(int argc, char **argv)
{
        if (argc >= 4 && !strcmp(argv[1], "stamp")) {
                stamp(argv[2], argv[3]);
                forever();
        }
        if (argc >= 3 && !strcmp(argv[1], "crash")) {
                append(argv[2], "c\n", 2);
                return 1;
        }
        if (argc >= 4 && !strcmp(argv[1], "produce")) {
                stamp(argv[3], "produce");
                int rc = produce(atoll(argv[2]));
                if (rc || (argc >= 5 && !strcmp(argv[4], "exit")))
                        return rc;
                forever();
        }
        if (argc >= 3 && !strcmp(argv[1], "pipe")) {
                if (write(atoi(argv[2]), &t0, sizeof t0) != sizeof t0)
                        return 111;
                forever();
        }
        if (argc >= 2 && argv[1][0] == '/') {
                execv(argv[1], argv + 1);
                return 127;
        }
        fputs("usage: bw stamp FILE NAME | crash FILE | produce BYTES FILE [exit] | pipe FD\n", stderr);
        return 100;
}

static int
run_from_args_file(char *argv0)
{
        static char buf[4096];
        char *av[16];
        int ac = 0;
        int fd = open("args", O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0 || (n = read(fd, buf, sizeof buf - 1)) <= 0)
                return 111;
        close(fd);
        buf[n] = '\0';
        av[ac++] = argv0;
        for (char *s = buf, *nl; *s && ac < 15; s = nl + 1) {
                nl = strchr(s, '\n');
                if (!nl)
                        nl = s + strlen(s) - 1;
                else
                        *nl = '\0';
                av[ac++] = s;
        }
        av[ac] = NULL;
        return dispatch(ac, av);
}

int
main(int argc, char **argv)
{
        clock_gettime(CLOCK_MONOTONIC, &t0);
        const char *base = strrchr(argv[0], '/');
        base = base ? base + 1 : argv[0];
        if (!strcmp(base, "run"))
                return run_from_args_file(argv[0]);
        return dispatch(argc, argv);
}
