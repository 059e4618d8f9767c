/* SPDX-License-Identifier: MIT */
/* fuzz_logread — libFuzzer target: the log-read arithmetic of readLog / tailProcessLog (compat E.5)
 * with client-chosen offset and length, int64 extremes included, against a small temp file whose
 * content is fuzzed too. Each result is compared with a model written from supervisord's readFile
 * and tailFile (Python integers: sums taken in 128 bits here), so besides overflow and sanitizer
 * reports a wrong byte range fails. Bounded allocation: libFuzzer's -malloc_limit_mb catches a
 * buffer sized by the request instead of by the file.
 * Input: mode byte, offset spec, length spec (each a kind byte + 8 bytes), then the file's bytes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/logfile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Under $TMPDIR: run.sh points it at its scratch dir, removed even when a crash skips atexit. */
static char dir[1024];
static char path[sizeof dir + 8];
static char missing[sizeof dir + 8];

static void
cleanup(void)
{
        unlink(path);
        rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc; (void)argv;
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/corral-fuzz-logread.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
                perror("fuzz_logread: mkdtemp");
                exit(1);
        }
        snprintf(path, sizeof path, "%s/log", dir);
        snprintf(missing, sizeof missing, "%s/none", dir);
        atexit(cleanup);
        return 0;
}

/* Reads take from the input front to back; a short input reads as zeros. */
struct in { const uint8_t *p; size_t n; };

static uint64_t
take(struct in *in, size_t bytes)
{
        uint64_t v = 0;
        for (size_t i = 0; i < bytes; i++) {
                v = v << 8 | (in->n ? *in->p : 0);
                if (in->n) {
                        in->p++;
                        in->n--;
                }
        }
        return v;
}

/* An offset or length: raw 64 bits, a small signed number, or one of the edges around the file
 * size and the type's limits (where the arithmetic breaks if it breaks). */
static long
take_long(struct in *in, long sz)
{
        unsigned kind = (unsigned)take(in, 1);
        uint64_t raw = take(in, 8);
        long small = (long)(int16_t)(raw & 0xffff);
        const long edges[] = { 0, 1, -1, sz, sz - 1, sz + 1, -sz, -sz - 1, -sz + 1, LONG_MAX, LONG_MIN,
                               LONG_MAX - sz, LONG_MIN + sz, LONG_MAX - 1, LONG_MIN + 1, LONG_MAX / 2 };
        switch (kind % 4) {
        case 0: return (long)raw;
        case 1: return small;
        case 2: return edges[raw % (sizeof edges / sizeof edges[0])];
        default: return (raw & 1 ? LONG_MIN : LONG_MAX) + (raw & 1 ? small & 0x7fff : -(small & 0x7fff));
        }
}

static void
fail(const char *what, long off, long len, long sz)
{
        fprintf(stderr, "fuzz_logread: %s (offset %ld, length %ld, size %ld)\n", what, off, len, sz);
        abort();
}

/* supervisord's readFile: the expected [start, start+n) or false for BAD_ARGUMENTS. */
static bool
model_read(__int128 sz, __int128 off, __int128 len, __int128 *start, __int128 *n)
{
        if (off < 0) {
                if (len)
                        return false;
                __int128 pos = sz + off;        /* sz - abs(offset) */
                if (pos < 0)
                        pos = 0;
                *start = pos;
                *n = -off;                       /* f.read(absoffset) */
        } else {
                if (len < 0)
                        return false;
                *start = off;
                *n = len ? len : sz;             /* f.read() reads to EOF */
        }
        /* f.read(k) returns what is there. */
        if (*start > sz)
                *start = sz;
        if (*n > sz - *start)
                *n = sz - *start;
        return true;
}

/* supervisord's tailFile: the range read, and the overflow flag. */
static void
model_tail(__int128 sz, __int128 off, __int128 len, __int128 *start, __int128 *n, bool *overflow)
{
        *overflow = false;
        if (sz > off + len) {
                *overflow = true;
                off = sz - 1;
        }
        if (off + len > sz) {
                if (off > sz - 1)
                        len = 0;
                off = sz - len;
        }
        if (off < 0)
                off = 0;
        if (len < 0)
                len = 0;
        *start = off > sz ? sz : off;
        *n = len > sz - *start ? sz - *start : len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct in in = { data, size };
        unsigned mode = (unsigned)take(&in, 1);
        /* The file is what follows the header: its size is known before the numbers are made. */
        size_t hdr = 1 + 2 * 9;
        const uint8_t *content = size > hdr ? data + hdr : (const uint8_t *)"";
        size_t clen = size > hdr ? size - hdr : 0;
        long sz = (long)clen;
        long off = take_long(&in, sz), len = take_long(&in, sz);

        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || (clen && write(fd, content, clen) != (ssize_t)clen) || close(fd) < 0) {
                perror("fuzz_logread: temp file");
                abort();
        }
        bool absent = mode & 4;                 /* the missing-file answers too */
        const char *p = absent ? missing : path;

        char *got = NULL;
        size_t got_len = 0;
        __int128 start, n;
        switch (mode % 4) {
        case 0: case 1: {
                int r = logfile_read(p, off, len, &got, &got_len);
                if (absent) {
                        if (r != -ENOENT)
                                fail("read of a missing file is not NO_FILE", off, len, sz);
                        break;
                }
                if (!model_read(sz, off, len, &start, &n)) {
                        if (r != -EINVAL)
                                fail("read: BAD_ARGUMENTS expected", off, len, sz);
                        break;
                }
                if (r != 0)
                        fail("read failed", off, len, sz);
                if ((__int128)got_len != n || memcmp(got, content + (size_t)start, got_len) || got[got_len])
                        fail("read: wrong bytes", off, len, sz);
                break;
        }
        case 2: {
                long ret_off = -2;
                bool ov = true;
                int r = logfile_tail(p, off, len, &got, &got_len, &ret_off, &ov);
                if (r != 0)
                        fail("tail failed", off, len, sz);
                if (absent) {
                        if (got_len || ret_off != 0 || ov)
                                fail("tail of a missing file is not ['', 0, False]", off, len, sz);
                        break;
                }
                bool want_ov;
                model_tail(sz, off, len, &start, &n, &want_ov);
                if (ret_off != sz || ov != want_ov)
                        fail("tail: wrong offset or overflow", off, len, sz);
                if ((__int128)got_len != n || memcmp(got, content + (size_t)start, got_len) || got[got_len])
                        fail("tail: wrong bytes", off, len, sz);
                break;
        }
        default: {
                /* The pure arithmetic on any size, not only ones a file here can have. */
                long fsz = len < 0 ? -(len + 1) : len;   /* a size is never negative */
                long l2 = (long)take(&in, 8);
                long rs = -2, rl = -2;
                bool ov;
                logfile_tail_range(fsz, off, l2, &rs, &rl, &ov);
                bool want_ov;
                __int128 s2, n2;
                model_tail(fsz, off, l2, &s2, &n2, &want_ov);
                /* The range itself (before clamping to the file) must be sane: inside [0, size]
                 * once clamped, the overflow flag as supervisord sets it. */
                if (rs < 0 || rl < 0 || ov != want_ov)
                        fail("tail_range: negative range or wrong overflow", off, l2, fsz);
                __int128 cs = rs > fsz ? fsz : rs, cn = rl > fsz - cs ? fsz - cs : rl;
                if (cs != s2 || cn != n2)
                        fail("tail_range: range differs from tailFile's", off, l2, fsz);
                break;
        }
        }
        free(got);
        return 0;
}
