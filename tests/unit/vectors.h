/* SPDX-License-Identifier: MIT */
/* vectors — shared by the unit tests that read supervisord's captured wire vectors
 * (tests/fuzz/vectors, or $CORRAL_VECTORS). Header-only: each test is its own binary. */
#ifndef CORRAL_TEST_VECTORS_H
#define CORRAL_TEST_VECTORS_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef VECTORS_DIR
#define VECTORS_DIR "tests/fuzz/vectors"
#endif

static inline const char *
vectors_dir(void)
{
        const char *d = getenv("CORRAL_VECTORS");
        return d ? d : VECTORS_DIR;
}

/* The whole file, NUL-terminated; fails the test when it cannot be read. */
static inline char *
slurp(const char *path, size_t *ret_len)
{
        FILE *f = fopen(path, "rb");
        ck_assert_msg(f, "cannot open %s", path);
        char *buf = NULL;
        size_t len = 0, cap = 0, n;
        do {
                if (len + 4096 + 1 > cap) {
                        cap = (len + 4096 + 1) * 2;
                        buf = realloc(buf, cap);
                        ck_assert(buf);
                }
                n = fread(buf + len, 1, 4096, f);
                len += n;
        } while (n > 0);
        fclose(f);
        buf[len] = '\0';
        *ret_len = len;
        return buf;
}

#endif
