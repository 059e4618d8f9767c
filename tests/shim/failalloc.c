/* SPDX-License-Identifier: MIT */
/* failalloc — an LD_PRELOAD shim for the fault tests (tests/integration/test_faults.py): makes the
 * allocations of one library (expat, inih, libmicrohttpd, ...) fail on demand, to prove that corrald
 * survives what those libraries report. corral's own x* allocators abort on OOM by design
 * (shared/util.h), so failing every malloc would only test abort(); a caller filter keeps the
 * fault where the code is meant to handle it.
 *
 *   CORRAL_FAILALLOC_LIB=libexpat.so   whose calls may fail (substring of the object's path)
 *   CORRAL_FAILALLOC_ARM=/path         armed while this file exists; it holds N: the Nth call by
 *                                      that library since the file appeared fails (0: every one)
 * Each failure appends "fail <n>\n" to /path.hits, so a test can tell that it injected one.
 *
 * Under ASan the shim goes first in LD_PRELOAD (ASAN_OPTIONS=verify_asan_link_order=0) and
 * forwards to ASan's allocator through RTLD_NEXT, so LeakSanitizer still sees every block. */
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void *malloc(size_t n);
void *calloc(size_t nmemb, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);
char *strdup(const char *s);
char *strndup(const char *s, size_t n);

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);

/* dlsym may allocate before real_calloc is known: serve that from here (never freed for real). */
static char early[4096] __attribute__((aligned(16)));
static size_t early_used;

static int ready;                       /* the constructor has run */
static const char *want_lib;
static const char *arm_path;
static char hits_path[4096];
static uintptr_t lo[8], hi[8];          /* the library's loaded segments */
static int nseg;
static dev_t arm_dev;
static ino_t arm_ino;
static struct timespec arm_mtime;
static unsigned long calls;             /* by the library since the current arming */

static void
resolve(void)
{
        if (!real_malloc) {
                real_malloc = dlsym(RTLD_NEXT, "malloc");
                real_calloc = dlsym(RTLD_NEXT, "calloc");
                real_realloc = dlsym(RTLD_NEXT, "realloc");
                real_free = dlsym(RTLD_NEXT, "free");
        }
}

static int
on_object(struct dl_phdr_info *info, size_t size, void *ctx)
{
        (void)size;
        (void)ctx;
        if (!info->dlpi_name || !strstr(info->dlpi_name, want_lib))
                return 0;
        for (int i = 0; i < info->dlpi_phnum && nseg < 8; i++) {
                const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
                if (ph->p_type != PT_LOAD)
                        continue;
                lo[nseg] = info->dlpi_addr + ph->p_vaddr;
                hi[nseg] = lo[nseg] + ph->p_memsz;
                nseg++;
        }
        return 1;
}

__attribute__((constructor)) static void
failalloc_init(void)
{
        resolve();
        want_lib = getenv("CORRAL_FAILALLOC_LIB");
        arm_path = getenv("CORRAL_FAILALLOC_ARM");
        if (!want_lib || !*want_lib || !arm_path || !*arm_path)
                return;
        snprintf(hits_path, sizeof hits_path, "%s.hits", arm_path);
        dl_iterate_phdr(on_object, NULL);
        ready = 1;
}

static int
from_lib(const void *ret)
{
        uintptr_t a = (uintptr_t)ret;
        for (int i = 0; i < nseg; i++)
                if (a >= lo[i] && a < hi[i])
                        return 1;
        return 0;
}

/* Read N from the arm file; -1 when not armed. Raw syscalls only: this runs inside malloc. */
static long
armed(void)
{
        struct stat st;
        if (stat(arm_path, &st) < 0)
                return -1;
        if (st.st_dev != arm_dev || st.st_ino != arm_ino || st.st_mtim.tv_sec != arm_mtime.tv_sec ||
            st.st_mtim.tv_nsec != arm_mtime.tv_nsec) {
                arm_dev = st.st_dev;
                arm_ino = st.st_ino;
                arm_mtime = st.st_mtim;
                calls = 0;
        }
        char buf[32];
        int fd = open(arm_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        long v = 0;
        for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
                v = v * 10 + (buf[i] - '0');
        return v;
}

/* Should this call (made from ret) fail? */
static int
should_fail(const void *ret)
{
        if (!ready || !from_lib(ret))
                return 0;
        long n = armed();
        if (n < 0)
                return 0;
        calls++;
        if (n != 0 && calls != (unsigned long)n)
                return 0;
        int fd = open(hits_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) {
                char line[40];
                int len = snprintf(line, sizeof line, "fail %lu\n", calls);
                if (write(fd, line, (size_t)len) < 0) {
                        /* nothing to do: the test then sees no hit and fails */
                }
                close(fd);
        }
        return 1;
}

static void *
early_alloc(size_t n)
{
        n = (n + 15) & ~(size_t)15;
        if (early_used + n > sizeof early)
                return NULL;
        void *p = early + early_used;
        early_used += n;
        return p;
}

static int
is_early(const void *p)
{
        return (const char *)p >= early && (const char *)p < early + sizeof early;
}

void *
malloc(size_t n)
{
        if (!real_malloc)
                return early_alloc(n);
        if (should_fail(__builtin_return_address(0)))
                return NULL;
        return real_malloc(n);
}

void *
calloc(size_t nmemb, size_t size)
{
        if (!real_calloc) {
                if (size && nmemb > SIZE_MAX / size)
                        return NULL;
                return early_alloc(nmemb * size);       /* static storage is zeroed */
        }
        if (should_fail(__builtin_return_address(0)))
                return NULL;
        return real_calloc(nmemb, size);
}

void *
realloc(void *p, size_t n)
{
        if (is_early(p)) {
                void *q = malloc(n);
                if (q)
                        memcpy(q, p, n < (size_t)(early + sizeof early - (char *)p)
                                      ? n : (size_t)(early + sizeof early - (char *)p));
                return q;
        }
        if (!real_realloc)
                return p ? NULL : early_alloc(n);
        if (should_fail(__builtin_return_address(0)))
                return NULL;
        return real_realloc(p, n);
}

void
free(void *p)
{
        if (!p || is_early(p))
                return;
        if (!real_free)
                resolve();
        real_free(p);
}

char *
strdup(const char *s)
{
        if (should_fail(__builtin_return_address(0)))
                return NULL;
        size_t n = strlen(s) + 1;
        char *d = real_malloc ? real_malloc(n) : early_alloc(n);
        return d ? memcpy(d, s, n) : NULL;
}

char *
strndup(const char *s, size_t max)
{
        if (should_fail(__builtin_return_address(0)))
                return NULL;
        size_t n = strnlen(s, max);
        char *d = real_malloc ? real_malloc(n + 1) : early_alloc(n + 1);
        if (!d)
                return NULL;
        memcpy(d, s, n);
        d[n] = 0;
        return d;
}
