/* SPDX-License-Identifier: MIT */
/* Unit tests for cfg_value: the value types of compat §A.2 and %(name)s expansion (§A.3). */
#include "cfg/cfg.h"
#include "cfg/cfg_value.h"
#include "shared/signame.h"
#include "shared/util.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_bool)
{
        static const char *const yes[] = { "true", "TRUE", "Yes", "on", "1" };
        static const char *const no[] = { "false", "No", "OFF", "0" };
        static const char *const bad[] = { "", "y", "n", "2", "truee", "t" };
        bool b;
        for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
                b = false;
                ck_assert_int_eq(cfg_parse_bool(yes[i], &b), 0);
                ck_assert(b);
        }
        for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
                b = true;
                ck_assert_int_eq(cfg_parse_bool(no[i], &b), 0);
                ck_assert(!b);
        }
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                ck_assert_int_eq(cfg_parse_bool(bad[i], &b), -EINVAL);
}
END_TEST

START_TEST(test_bytes)
{
        off_t n;
        ck_assert_int_eq(cfg_parse_bytes("50MB", &n), 0);
        ck_assert_int_eq(n, 52428800);
        ck_assert_int_eq(cfg_parse_bytes("1kb", &n), 0);
        ck_assert_int_eq(n, 1024);
        ck_assert_int_eq(cfg_parse_bytes("2GB", &n), 0);
        ck_assert_int_eq(n, 2147483648LL);
        ck_assert_int_eq(cfg_parse_bytes("5 MB", &n), 0);
        ck_assert_int_eq(n, 5 * 1048576);
        ck_assert_int_eq(cfg_parse_bytes("1234", &n), 0);
        ck_assert_int_eq(n, 1234);
        ck_assert_int_eq(cfg_parse_bytes("0", &n), 0);
        ck_assert_int_eq(n, 0);
        ck_assert_int_eq(cfg_parse_bytes("1.5MB", &n), -EINVAL);
        ck_assert_int_eq(cfg_parse_bytes("10B", &n), -EINVAL);
        ck_assert_int_eq(cfg_parse_bytes("", &n), -EINVAL);
        ck_assert_int_eq(cfg_parse_bytes("MB", &n), -EINVAL);
        ck_assert_int_eq(cfg_parse_bytes("ten", &n), -EINVAL);
}
END_TEST

START_TEST(test_octal)
{
        int n;
        ck_assert_int_eq(cfg_parse_octal("022", &n), 0);
        ck_assert_int_eq(n, 022);
        ck_assert_int_eq(cfg_parse_octal("0700", &n), 0);
        ck_assert_int_eq(n, 0700);
        ck_assert_int_eq(cfg_parse_octal("777", &n), 0);
        ck_assert_int_eq(n, 0777);
        ck_assert_int_eq(cfg_parse_octal("0o700", &n), 0);
        ck_assert_int_eq(n, 0700);
        ck_assert_int_eq(cfg_parse_octal("089", &n), -EINVAL);
        ck_assert_int_eq(cfg_parse_octal("", &n), -EINVAL);
        ck_assert_int_eq(cfg_parse_octal("rw", &n), -EINVAL);
}
END_TEST

START_TEST(test_signal)
{
        int s;
        ck_assert_int_eq(cfg_parse_signal("TERM", &s), 0);
        ck_assert_int_eq(s, SIGTERM);
        ck_assert_int_eq(cfg_parse_signal("sigterm", &s), 0);
        ck_assert_int_eq(s, SIGTERM);
        ck_assert_int_eq(cfg_parse_signal("HUP ", &s), 0);
        ck_assert_int_eq(s, SIGHUP);
        ck_assert_int_eq(cfg_parse_signal(" SIGKILL", &s), 0);
        ck_assert_int_eq(s, SIGKILL);
        ck_assert_int_eq(cfg_parse_signal("15", &s), 0);
        ck_assert_int_eq(s, 15);
        ck_assert_int_eq(cfg_parse_signal("usr2", &s), 0);
        ck_assert_int_eq(s, SIGUSR2);
        ck_assert_int_eq(cfg_parse_signal("0", &s), 0);   /* the SIG_DFL quirk */
        ck_assert_int_eq(s, 0);
        ck_assert_int_eq(cfg_parse_signal("65", &s), -EINVAL);
        ck_assert_int_eq(cfg_parse_signal("FOO", &s), -EINVAL);
        ck_assert_int_eq(cfg_parse_signal("", &s), -EINVAL);
        ck_assert_int_eq(cfg_parse_signal("SIG", &s), -EINVAL);
        ck_assert_str_eq(signame_abbrev(SIGTERM), "TERM");
        ck_assert_str_eq(signame_abbrev(SIGABRT), "ABRT");
        ck_assert_str_eq(signame_abbrev(SIGCHLD), "CHLD");
        ck_assert_ptr_null(signame_abbrev(0));
        ck_assert_ptr_null(signame_abbrev(200));
}
END_TEST

START_TEST(test_exitcodes)
{
        uint64_t e[4];
        ck_assert_int_eq(cfg_parse_exitcodes("0", e), 0);
        ck_assert(e[0] == 1 && !e[1] && !e[2] && !e[3]);
        ck_assert_int_eq(cfg_parse_exitcodes("0, 2,255", e), 0);
        ck_assert(e[0] == 5 && e[3] == UINT64_C(1) << 63);
        ck_assert_int_eq(cfg_parse_exitcodes("", e), 0);
        ck_assert(!e[0] && !e[1] && !e[2] && !e[3]);
        ck_assert_int_eq(cfg_parse_exitcodes("256", e), -EINVAL);
        ck_assert_int_eq(cfg_parse_exitcodes("-1", e), -EINVAL);
        ck_assert_int_eq(cfg_parse_exitcodes("0,", e), -EINVAL);
        ck_assert_int_eq(cfg_parse_exitcodes("1,,2", e), -EINVAL);
        ck_assert_int_eq(cfg_parse_exitcodes("a", e), -EINVAL);
}
END_TEST

/* Parses s and checks the result against the expected "K=V" list (NULL-terminated). */
static void
env_ok(const char *s, const char *const *want)
{
        char **v = NULL, *msg = NULL;
        ck_assert_msg(cfg_parse_environment(s, &v, &msg) == 0, "'%s': %s", s, msg ? msg : "");
        size_t n = 0;
        for (; want[n]; n++) {
                ck_assert_ptr_nonnull(v[n]);
                ck_assert_str_eq(v[n], want[n]);
        }
        ck_assert_ptr_null(v[n]);
        strv_free(v);
}

static void
env_bad(const char *s)
{
        char **v = NULL, *msg = NULL;
        ck_assert_msg(cfg_parse_environment(s, &v, &msg) == -EINVAL, "'%s' should be rejected", s);
        ck_assert_ptr_nonnull(msg);
        free(msg);
}

START_TEST(test_environment)
{
        env_ok("A=1,B=2", (const char *[]){ "A=1", "B=2", NULL });
        env_ok("KEY=val,KEY2=\"v,2\",KEY3='x y'", (const char *[]){ "KEY=val", "KEY2=v,2", "KEY3=x y", NULL });
        env_ok("A=a b", (const char *[]){ "A=a", NULL });              /* b eaten as the separator */
        env_ok("A=%x", (const char *[]){ "A=%", NULL });
        env_ok("A=$HOME", (const char *[]){ "A=$", NULL });
        env_ok("A=1,", (const char *[]){ "A=1", NULL });               /* trailing comma */
        env_ok("A=\"\"", (const char *[]){ "A=", NULL });
        env_ok("PATH=/usr/bin:/bin", (const char *[]){ "PATH=/usr/bin:/bin", NULL });
        env_ok("A=1,B=2,A=3", (const char *[]){ "A=3", "B=2", NULL }); /* a dict */
        env_ok("", (const char *[]){ NULL });
        env_ok("X=(a)+b.c-d", (const char *[]){ "X=(a)+b.c-d", NULL });
        env_bad("A=");
        env_bad("A=1,,B=2");
        env_bad("K=v=w");
        env_bad("A");
        env_bad("A=\"open");
}
END_TEST

static void
split_ok(const char *s, const char *const *want)
{
        char **v = NULL, *msg = NULL;
        ck_assert_msg(cfg_split_command(s, &v, &msg) == 0, "'%s': %s", s, msg ? msg : "");
        size_t n = 0;
        for (; want[n]; n++) {
                ck_assert_ptr_nonnull(v[n]);
                ck_assert_str_eq(v[n], want[n]);
        }
        ck_assert_ptr_null(v[n]);
        strv_free(v);
}

static void
split_bad(const char *s)
{
        char **v = NULL, *msg = NULL;
        ck_assert_int_eq(cfg_split_command(s, &v, &msg), -EINVAL);
        ck_assert_ptr_nonnull(msg);
        free(msg);
}

START_TEST(test_split)
{
        split_ok("/bin/sleep 1000", (const char *[]){ "/bin/sleep", "1000", NULL });
        split_ok("  a   b\tc\n", (const char *[]){ "a", "b", "c", NULL });
        split_ok("sh -c 'echo hi; exit 3'", (const char *[]){ "sh", "-c", "echo hi; exit 3", NULL });
        split_ok("a \"b c\" d", (const char *[]){ "a", "b c", "d", NULL });
        split_ok("a\\ b", (const char *[]){ "a b", NULL });
        split_ok("\"a\\\"b\\\\c\\d\"", (const char *[]){ "a\"b\\c\\d", NULL });
        split_ok("'a\\b'", (const char *[]){ "a\\b", NULL });
        split_ok("x'y'\"z\"", (const char *[]){ "xyz", NULL });
        split_ok("a '' b", (const char *[]){ "a", "", "b", NULL });
        split_ok("echo #notacomment $HOME", (const char *[]){ "echo", "#notacomment", "$HOME", NULL });
        split_bad("a 'b");
        split_bad("a \"b");
        split_bad("a\\");
        split_bad("");
        split_bad("   ");
}
END_TEST

static char *
expand(const char *s, const struct cfg_vars *vars)
{
        char *out = NULL, *msg = NULL;
        if (cfg_expand(s, vars, &out, &msg) < 0) {
                free(msg);
                return NULL;
        }
        return out;
}

START_TEST(test_expand)
{
        char *env[] = { "HOME=/home/u", "X=1", NULL };
        char *penv[] = { "X=2", NULL };
        struct cfg_var v[] = {
                { .name = "here", .s = "/etc/x" },
                { .name = "program_name", .s = "web" },
                { .name = "process_num", .n = 7 },
                { .name = "numprocs", .n = 2 },
        };
        struct cfg_vars vars = { .v = v, .n = ARRAY_SIZE(v), .env = { env, NULL, NULL } };
        static const struct { const char *in, *out; } ok[] = {
                { "plain", "plain" },
                { "%(here)s/a", "/etc/x/a" },
                { "%(program_name)s-%(process_num)03d", "web-007" },
                { "%(process_num)02d", "07" },
                { "%(process_num)d", "7" },
                { "%(process_num)s", "7" },
                { "%(numprocs)d", "2" },
                { "100%%", "100%" },
                { "%%(here)s", "%(here)s" },
                { "%(ENV_HOME)s/.x", "/home/u/.x" },
                { "%(ENV_X)s", "1" },
                { "[%(program_name)5s]", "[  web]" },
                { "[%(program_name)-5s]", "[web  ]" },
                { "%(process_num)x", "7" },
                { "", "" },
        };
        for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
                char *o = expand(ok[i].in, &vars);
                ck_assert_msg(o != NULL, "'%s' failed", ok[i].in);
                ck_assert_str_eq(o, ok[i].out);
                free(o);
        }
        static const char *const bad[] = {
                "%(nope)s", "%(ENV_NOPE)s", "100%", "%s", "%(here", "%(here)", "%(here)q", "%(program_name)d",
                "%(here)99999999999s", "%(process_num).123456d",
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                char *o = expand(bad[i], &vars);
                ck_assert_msg(o == NULL, "'%s' should fail, gave '%s'", bad[i], o);
        }
        /* a later environment wins */
        vars.env[2] = penv;
        char *o = expand("%(ENV_X)s", &vars);
        ck_assert_str_eq(o, "2");
        free(o);
        /* the message names the unknown name and the available ones */
        char *out, *msg;
        ck_assert_int_eq(cfg_expand("%(nope)s", &vars, &out, &msg), -EINVAL);
        ck_assert_ptr_nonnull(strstr(msg, "'nope'"));
        ck_assert_ptr_nonnull(strstr(msg, "program_name"));
        free(msg);
}
END_TEST

START_TEST(test_names)
{
        char *msg = NULL;
        ck_assert_int_eq(cfg_check_name("web_1", &msg), 0);
        static const char *const bad[] = { "a b", "a:b", "a/b", "" };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                ck_assert_int_eq(cfg_check_name(bad[i], &msg), -EINVAL);
                free(msg);
        }
        long n;
        ck_assert_int_eq(cfg_parse_int(" -12 ", &n), 0);
        ck_assert_int_eq(n, -12);
        ck_assert_int_eq(cfg_parse_int("ten", &n), -EINVAL);
        ck_assert_int_eq(cfg_parse_int("1x", &n), -EINVAL);
        ck_assert_int_eq(cfg_parse_int("", &n), -EINVAL);
        ck_assert_int_eq(cfg_parse_int("99999999999999999999999", &n), -ERANGE);
}
END_TEST

static Suite *
cfg_value_suite(void)
{
        Suite *s = suite_create("cfg_value");
        TCase *tc = tcase_create("types");
        tcase_add_test(tc, test_bool);
        tcase_add_test(tc, test_bytes);
        tcase_add_test(tc, test_octal);
        tcase_add_test(tc, test_signal);
        tcase_add_test(tc, test_exitcodes);
        tcase_add_test(tc, test_names);
        suite_add_tcase(s, tc);
        tc = tcase_create("strings");
        tcase_add_test(tc, test_environment);
        tcase_add_test(tc, test_split);
        tcase_add_test(tc, test_expand);
        suite_add_tcase(s, tc);
        return s;
}

int
main(void)
{
        SRunner *sr = srunner_create(cfg_value_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
