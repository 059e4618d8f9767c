/* SPDX-License-Identifier: MIT */
/* check_log — the main log: level names, line format, filtering, rotation, reopen, clear, and
 * stderr echo. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/logfile.h"
#include "shared/util.h"
#include "unit.h"

static char tmpdir[] = "/tmp/check_log.XXXXXX";

static void
setup(void)
{
        ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
        log_close();
        char *cmd = xasprintf("rm -rf '%s'", tmpdir);
        (void)!system(cmd);
        free(cmd);
        strcpy(tmpdir, "/tmp/check_log.XXXXXX");
}

static char *
slurp(const char *path)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return NULL;
        char *buf = xcalloc(1, 1 << 16);
        size_t n = fread(buf, 1, (1 << 16) - 1, f);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

START_TEST(level_parse)
{
        static const struct { const char *s; enum log_level l; } ok[] = {
                { "critical", LOGL_CRIT }, { "CRIT", LOGL_CRIT }, { "error", LOGL_ERROR },
                { "erro", LOGL_ERROR }, { "warn", LOGL_WARN }, { "Warning", LOGL_WARN },
                { "info", LOGL_INFO }, { "debug", LOGL_DEBUG }, { "debg", LOGL_DEBUG },
                { "trace", LOGL_TRACE }, { "trac", LOGL_TRACE }, { "blather", LOGL_BLATHER },
                { "BLAT", LOGL_BLATHER },
        };
        for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
                enum log_level l = LOGL__COUNT;
                ck_assert_int_eq(log_level_parse(ok[i].s, &l), 0);
                ck_assert_int_eq(l, ok[i].l);
        }
        enum log_level l;
        ck_assert_int_eq(log_level_parse("loud", &l), -EINVAL);
        ck_assert_int_eq(log_level_parse("", &l), -EINVAL);
}
END_TEST

START_TEST(format_and_filter)
{
        char *p = xasprintf("%s/main.log", tmpdir);
        struct log_options o = { .path = p, .level = LOGL_INFO };
        ck_assert_int_eq(log_open(&o), 0);
        ck_assert_str_eq(log_path(), p);
        ck_assert_ptr_nonnull(log_logfile());
        log_info("spawned: '%s' with pid %d", "quick", 6008);
        log_debug("not shown");
        log_crit("bad %s", "thing");
        ck_assert(log_enabled(LOGL_INFO));
        ck_assert(!log_enabled(LOGL_DEBUG));
        log_set_level(LOGL_BLATHER);
        log_blather("chatty");
        char *d = slurp(p);
        regex_t re;
        ck_assert_int_eq(regcomp(&re,
                "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2},[0-9]{3} INFO spawned: 'quick' with pid 6008\n"
                "[0-9-]{10} [0-9:]{8},[0-9]{3} CRIT bad thing\n"
                "[0-9-]{10} [0-9:]{8},[0-9]{3} BLAT chatty\n$", REG_EXTENDED), 0);
        ck_assert_msg(regexec(&re, d, 0, NULL, 0) == 0, "got: %s", d);
        regfree(&re);
        free(d);
        free(p);
}
END_TEST

START_TEST(long_message)
{
        char *p = xasprintf("%s/main.log", tmpdir);
        struct log_options o = { .path = p, .level = LOGL_INFO };
        ck_assert_int_eq(log_open(&o), 0);
        char *big = xmalloc(5001);
        memset(big, 'q', 5000);
        big[5000] = '\0';
        log_warn("%s!", big);
        char *d = slurp(p);
        char *w = strstr(d, " WARN ");
        ck_assert_ptr_nonnull(w);
        ck_assert_uint_eq(strlen(w), 6 + 5000 + 2);
        ck_assert_str_eq(w + 6 + 5000, "!\n");
        free(d);
        free(big);
        free(p);
}
END_TEST

START_TEST(rotation_reopen_clear)
{
        char *p = xasprintf("%s/main.log", tmpdir), *p1 = xasprintf("%s/main.log.1", tmpdir),
             *moved = xasprintf("%s/moved.log", tmpdir);
        struct log_options o = { .path = p, .level = LOGL_INFO, .maxbytes = 200, .backups = 2 };
        ck_assert_int_eq(log_open(&o), 0);
        for (int i = 0; i < 10; i++)
                log_info("message number %d with some padding", i);
        struct stat st;
        ck_assert_int_eq(stat(p1, &st), 0);
        ck_assert_int_ge(st.st_size, 200);      /* whole lines: full, by less than one line more */
        ck_assert_int_lt(st.st_size, 200 + 60);
        ck_assert_int_eq(rename(p, moved), 0);
        ck_assert_int_eq(log_reopen(), 0);
        log_info("after reopen");
        char *d = slurp(p);
        ck_assert_ptr_nonnull(strstr(d, "INFO after reopen\n"));
        free(d);
        ck_assert_int_eq(log_clear(), 0);
        ck_assert_int_eq(stat(p, &st), 0);
        ck_assert_int_eq(st.st_size, 0);
        free(p);
        free(p1);
        free(moved);
}
END_TEST

START_TEST(no_file)
{
        struct log_options o = { .path = NULL, .level = LOGL_INFO };
        ck_assert_int_eq(log_open(&o), 0);
        ck_assert_ptr_null(log_path());
        ck_assert_ptr_null(log_logfile());
        ck_assert_int_eq(log_clear(), -ENOENT);
        log_info("goes nowhere");
}
END_TEST

/* supervisord -n echoes its log to stdout (issue 18); stderr stays for what precedes the log. */
START_TEST(echo_to_stdout)
{
        char *p = xasprintf("%s/main.log", tmpdir), *outp = xasprintf("%s/stdout", tmpdir);
        char *errp = xasprintf("%s/stderr", tmpdir);
        int fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int efd = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int saved = dup(1), saved_err = dup(2);
        dup2(fd, 1);
        dup2(efd, 2);
        close(fd);
        close(efd);
        struct log_options o = { .path = p, .level = LOGL_INFO, .echo_stdout = true };
        ck_assert_int_eq(log_open(&o), 0);
        log_info("both places");
        log_close();
        dup2(saved, 1);
        dup2(saved_err, 2);
        close(saved);
        close(saved_err);
        char *out = slurp(outp), *e = slurp(errp), *d = slurp(p);
        ck_assert_ptr_nonnull(strstr(out, " INFO both places\n"));
        ck_assert_ptr_nonnull(strstr(d, " INFO both places\n"));
        ck_assert_ptr_null(strstr(e, "both places"));
        /* The shared stdout description was not made non-blocking. */
        ck_assert_int_eq(fcntl(1, F_GETFL) & O_NONBLOCK, 0);
        free(out);
        free(e);
        free(d);
        free(p);
        free(outp);
        free(errp);
}
END_TEST

START_TEST(echo_to_socket_never_blocks)
{
        int sv[2];
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        int saved = dup(1);
        dup2(sv[0], 1);
        struct log_options o = { .path = NULL, .level = LOGL_INFO, .echo_stdout = true };
        ck_assert_int_eq(log_open(&o), 0);
        log_info("to the journal");
        char buf[256] = { 0 };
        ck_assert_int_gt(read(sv[1], buf, sizeof buf - 1), 0);
        ck_assert_ptr_nonnull(strstr(buf, " INFO to the journal\n"));
        char *big = xmalloc(100001);
        memset(big, 'b', 100000);
        big[100000] = '\0';
        for (int i = 0; i < 100; i++)   /* nobody reads: must drop, not block */
                log_info("%s", big);
        log_close();
        dup2(saved, 1);
        close(saved);
        free(big);
        close(sv[0]);
        close(sv[1]);
}
END_TEST

START_TEST(unopenable_file_retried)
{
        char *dir = xasprintf("%s/later", tmpdir), *p = xasprintf("%s/later/main.log", tmpdir);
        struct log_options o = { .path = p, .level = LOGL_INFO };
        ck_assert_int_lt(log_open(&o), 0);
        ck_assert_str_eq(log_path(), p);
        ck_assert_int_eq(mkdir(dir, 0755), 0);
        ck_assert_int_eq(log_reopen(), 0);
        log_info("now it works");
        char *d = slurp(p);
        ck_assert_ptr_nonnull(strstr(d, "INFO now it works\n"));
        free(d);
        free(p);
        free(dir);
}
END_TEST

Suite *
unit_suite(void)
{
        Suite *s = suite_create("log");
        TCase *tc = tcase_create("core");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, level_parse);
        tcase_add_test(tc, format_and_filter);
        tcase_add_test(tc, long_message);
        tcase_add_test(tc, rotation_reopen_clear);
        tcase_add_test(tc, no_file);
        tcase_add_test(tc, echo_to_stdout);
        tcase_add_test(tc, echo_to_socket_never_blocks);
        suite_add_tcase(s, tc);
        tc = tcase_create("errors");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, unopenable_file_retried);
        suite_add_tcase(s, tc);
        return s;
}
