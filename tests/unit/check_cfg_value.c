/* SPDX-License-Identifier: MIT */
/* Unit tests for cfg_value: the value types of compat §A.2 and %(name)s expansion (§A.3). */
#include "cfg/cfg.h"
#include "cfg/cfg_value.h"
#include "shared/signame.h"
#include "shared/util.h"
#include "unit.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_bool)
{
        static const char *const yes[] = { "true", "TRUE", "Yes", "on", "1" };
        static const char *const no[] = { "false", "No", "OFF", "0" };
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
}
END_TEST

START_TEST(test_seconds)
{
        static const struct { const char *s; double v; } ok[] = {
                { "2", 2 }, { "0", 0 }, { "0.5", 0.5 }, { " 1.25 ", 1.25 }, { ".5", 0.5 }, { "3.", 3 },
                { "60", 60 }, { "\t007\t", 7 },
        };
        static const char *const bad[] = {
                "", " ", ".", "-1", "+1", "1e3", "inf", "nan", "0x10", "1.2.3", "1 2", "1s", "one", "1,5",
        };
        for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
                double v = -1;
                ck_assert_msg(cfg_parse_seconds(ok[i].s, &v) == 0, "'%s' refused", ok[i].s);
                ck_assert_double_eq(v, ok[i].v);
        }
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                double v = -1;
                ck_assert_msg(cfg_parse_seconds(bad[i], &v) == -EINVAL, "'%s' accepted", bad[i]);
                ck_assert_double_eq(v, -1);
        }
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

/* The names test_expand and test_expand_rejects expand against. */
static char *expand_env[] = { "HOME=/home/u", "X=1", NULL };
static struct cfg_var expand_var[] = {
        { .name = "here", .s = "/etc/x" },
        { .name = "program_name", .s = "web" },
        { .name = "process_num", .n = 7 },
        { .name = "numprocs", .n = 2 },
};

START_TEST(test_expand)
{
        char *penv[] = { "X=2", NULL };
        struct cfg_vars vars = { .v = expand_var, .n = ARRAY_SIZE(expand_var),
                                 .env = { expand_env, NULL, NULL } };
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
        long n;
        ck_assert_int_eq(cfg_parse_int(" -12 ", &n), 0);
        ck_assert_int_eq(n, -12);
}
END_TEST

/* Every value a parser must reject, one loop iteration each (one failure does not hide the rest). */
enum value_kind { V_BOOL, V_BYTES, V_OCTAL, V_SIGNAL, V_EXITCODES, V_INT, V_NAME, V_ENV, V_COMMAND };
static const char *const value_kind_name[] = { "bool", "bytes", "octal", "signal", "exitcodes", "int",
                                               "name", "environment", "command" };
static const struct {
        enum value_kind kind;
        const char *in;
        int err;
} bad_values[] = {
        { V_BOOL, "", -EINVAL }, { V_BOOL, "y", -EINVAL }, { V_BOOL, "n", -EINVAL },
        { V_BOOL, "2", -EINVAL }, { V_BOOL, "truee", -EINVAL }, { V_BOOL, "t", -EINVAL },
        { V_BYTES, "1.5MB", -EINVAL }, { V_BYTES, "10B", -EINVAL }, { V_BYTES, "", -EINVAL },
        { V_BYTES, "MB", -EINVAL }, { V_BYTES, "ten", -EINVAL },
        { V_OCTAL, "089", -EINVAL }, { V_OCTAL, "", -EINVAL }, { V_OCTAL, "rw", -EINVAL },
        { V_SIGNAL, "65", -EINVAL }, { V_SIGNAL, "FOO", -EINVAL }, { V_SIGNAL, "", -EINVAL },
        { V_SIGNAL, "SIG", -EINVAL },
        { V_EXITCODES, "256", -EINVAL }, { V_EXITCODES, "-1", -EINVAL }, { V_EXITCODES, "0,", -EINVAL },
        { V_EXITCODES, "1,,2", -EINVAL }, { V_EXITCODES, "a", -EINVAL },
        { V_INT, "ten", -EINVAL }, { V_INT, "1x", -EINVAL }, { V_INT, "", -EINVAL },
        { V_INT, "99999999999999999999999", -ERANGE },
        { V_NAME, "a b", -EINVAL }, { V_NAME, "a:b", -EINVAL }, { V_NAME, "a/b", -EINVAL },
        { V_NAME, "", -EINVAL },
        { V_ENV, "A=", -EINVAL }, { V_ENV, "A=1,,B=2", -EINVAL }, { V_ENV, "K=v=w", -EINVAL },
        { V_ENV, "A", -EINVAL }, { V_ENV, "A=\"open", -EINVAL },
        { V_COMMAND, "a 'b", -EINVAL }, { V_COMMAND, "a \"b", -EINVAL }, { V_COMMAND, "a\\", -EINVAL },
        { V_COMMAND, "", -EINVAL }, { V_COMMAND, "   ", -EINVAL },
};

START_TEST(test_rejects)
{
        const char *in = bad_values[_i].in;
        int want = bad_values[_i].err, r = 0;
        char *msg = NULL, **v = NULL;
        union { bool b; off_t off; int i; long l; uint64_t e[4]; } out;
        switch (bad_values[_i].kind) {
        case V_BOOL:      r = cfg_parse_bool(in, &out.b); break;
        case V_BYTES:     r = cfg_parse_bytes(in, &out.off); break;
        case V_OCTAL:     r = cfg_parse_octal(in, &out.i); break;
        case V_SIGNAL:    r = cfg_parse_signal(in, &out.i); break;
        case V_EXITCODES: r = cfg_parse_exitcodes(in, out.e); break;
        case V_INT:       r = cfg_parse_int(in, &out.l); break;
        case V_NAME:      r = cfg_check_name(in, &msg); break;
        case V_ENV:       r = cfg_parse_environment(in, &v, &msg); break;
        case V_COMMAND:   r = cfg_split_command(in, &v, &msg); break;
        }
        ck_assert_msg(r == want, "%s '%s': %d, not %d", value_kind_name[bad_values[_i].kind], in, r, want);
        /* The ones that explain say why. */
        if (bad_values[_i].kind == V_ENV || bad_values[_i].kind == V_COMMAND)
                ck_assert_ptr_nonnull(msg);
        free(msg);
}
END_TEST

static const char *const expand_bad[] = {
        "%(nope)s", "%(ENV_NOPE)s", "100%", "%s", "%(here", "%(here)", "%(here)q", "%(program_name)d",
        "%(here)99999999999s", "%(process_num).123456d",
};

START_TEST(test_expand_rejects)
{
        struct cfg_vars vars = { .v = expand_var, .n = ARRAY_SIZE(expand_var),
                                 .env = { expand_env, NULL, NULL } };
        char *o = expand(expand_bad[_i], &vars);
        ck_assert_msg(o == NULL, "'%s' should fail, gave '%s'", expand_bad[_i], o);
}
END_TEST

Suite *
unit_suite(void)
{
        Suite *s = suite_create("cfg_value");
        TCase *tc = tcase_create("types");
        tcase_add_test(tc, test_bool);
        tcase_add_test(tc, test_seconds);
        tcase_add_test(tc, test_bytes);
        tcase_add_test(tc, test_octal);
        tcase_add_test(tc, test_signal);
        tcase_add_test(tc, test_exitcodes);
        tcase_add_test(tc, test_names);
        tcase_add_loop_test(tc, test_rejects, 0, ARRAY_SIZE(bad_values));
        suite_add_tcase(s, tc);
        tc = tcase_create("strings");
        tcase_add_test(tc, test_environment);
        tcase_add_test(tc, test_split);
        tcase_add_test(tc, test_expand);
        tcase_add_loop_test(tc, test_expand_rejects, 0, ARRAY_SIZE(expand_bad));
        suite_add_tcase(s, tc);
        return s;
}
