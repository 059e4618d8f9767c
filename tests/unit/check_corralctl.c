/* SPDX-License-Identifier: MIT */
/* Unit tests for corralctl's parsing and formatting: cctl_text (reply fields, namespecs, words,
 * Python's repr/str/int, column padding, JSON strings) and the [supervisorctl] section as the
 * client reads it through cfg's client mode. Links the client's objects, cfg and shared only. */
#include "cfg/cfg.h"
#include "corralctl/cctl_text.h"
#include "shared/util.h"
#include "unit.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- cctl_text -------------------------------------------------------------------------------- */

/* Table-driven cases run as loop tests (_i is the row), so one failure does not hide the rest. */

static const struct {
        const char *group, *name, *want;
} make_cases[] = {
        { "web", "web", "web" },
        { "g", "web_01", "g:web_01" },
        { "g", NULL, "g:None" },
        { "", "", "" },
};

START_TEST(test_namespec_make)
{
        char *s = cctl_namespec_make(make_cases[_i].group, make_cases[_i].name);
        ck_assert_str_eq(s, make_cases[_i].want);
        free(s);
}
END_TEST

static const struct {
        const char *spec, *group, *name;        /* name NULL: the whole group */
} split_cases[] = {
        { "web", "web", "web" },
        { "g:web_01", "g", "web_01" },
        { "g:*", "g", NULL },
        { "g:", "g", NULL },
        { ":x", "", "x" },
        { "a:b:c", "a", "b:c" },
};

START_TEST(test_namespec_split)
{
        char *g, *n;
        cctl_namespec_split(split_cases[_i].spec, &g, &n);
        ck_assert_str_eq(g, split_cases[_i].group);
        if (split_cases[_i].name)
                ck_assert_pstr_eq(n, split_cases[_i].name);
        else
                ck_assert_ptr_null(n);
        free(g);
        free(n);
}
END_TEST

START_TEST(test_words)
{
        struct cctl_words w;
        cctl_words_split("  start\tweb  g:*\n all ", &w);
        ck_assert_uint_eq(w.n, 4);
        ck_assert_str_eq(w.v[0], "start");
        ck_assert_str_eq(w.v[1], "web");
        ck_assert_str_eq(w.v[2], "g:*");
        ck_assert_str_eq(w.v[3], "all");
        ck_assert_ptr_null(w.v[4]);
        ck_assert(cctl_words_has(&w, "all"));
        ck_assert(!cctl_words_has(&w, "al"));
        cctl_words_free(&w);
        cctl_words_split(" \t ", &w);
        ck_assert_uint_eq(w.n, 0);
        ck_assert(!cctl_words_has(&w, ""));
        cctl_words_free(&w);
}
END_TEST

static const struct {
        const char *in, *want;
} repr_cases[] = {
                { "abc", "'abc'" },
                { "", "''" },
                { "it's", "\"it's\"" },                 /* a quote inside: the other quote */
                { "a'b\"c", "'a\\'b\"c'" },             /* both: single, escaped */
                { "a\\b", "'a\\\\b'" },
                { "l1\nl2\r\t", "'l1\\nl2\\r\\t'" },
                { "\x01\x7f", "'\\x01\\x7f'" },
                { "caf\xc3\xa9", "'caf\xc3\xa9'" },     /* UTF-8 kept as is */
};

START_TEST(test_py_repr)
{
        char *s = cctl_py_repr(repr_cases[_i].in);
        ck_assert_str_eq(s, repr_cases[_i].want);
        free(s);
}
END_TEST

static const struct {
        const char *in;
        bool ok;
        long want;
} int_cases[] = {
                { "100", true, 100 }, { " 7 ", true, 7 }, { "-5", true, -5 }, { "+3", true, 3 },
                { "", false, 0 }, { "f", false, 0 }, { "10x", false, 0 }, { "1 2", false, 0 },
                { "99999999999999999999999", false, 0 },
};

START_TEST(test_py_int)
{
        long v = -1;
        bool ok = cctl_py_int(int_cases[_i].in, &v);
        ck_assert_msg(ok == int_cases[_i].ok, "'%s': %d", int_cases[_i].in, ok);
        if (ok)
                ck_assert_int_eq(v, int_cases[_i].want);
}
END_TEST

START_TEST(test_py_str_and_fields)
{
        struct xr_value *st = xr_struct();
        xr_struct_set(st, "name", xr_string("web"));
        xr_struct_set(st, "pid", xr_int(4242));
        xr_struct_set(st, "inuse", xr_bool(true));
        xr_struct_set(st, "num", xr_string("12"));
        ck_assert_str_eq(cctl_vstr(st, "name"), "web");
        ck_assert_str_eq(cctl_vstr(st, "pid"), "");            /* not a string */
        ck_assert_str_eq(cctl_vstr(st, "absent"), "");
        ck_assert_int_eq(cctl_vint(st, "pid"), 4242);
        ck_assert_int_eq(cctl_vint(st, "inuse"), 1);
        ck_assert_int_eq(cctl_vint(st, "num"), 0);             /* not an int */
        ck_assert_int_eq(cctl_vint(st, "absent"), 0);
        ck_assert_uint_eq(cctl_arr_len(st), 0);
        ck_assert_uint_eq(cctl_arr_len(NULL), 0);
        struct xr_value *a = xr_array_push(xr_array_push(xr_array(), xr_int(1)), xr_int(2));
        ck_assert_uint_eq(cctl_arr_len(a), 2);

        struct {
                struct xr_value *v;
                const char *want;
        } cases[] = {
                { NULL, "None" }, { xr_string("3.0"), "3.0" }, { xr_int(-7), "-7" },
                { xr_bool(true), "True" }, { xr_bool(false), "False" }, { xr_double(0.5), "0.5" },
                { a, "?" },
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char *s = cctl_py_str(cases[i].v);
                ck_assert_msg(strcmp(s, cases[i].want) == 0, "case %zu: '%s'", i, s);
                free(s);
                xr_free(cases[i].v);
        }
        xr_free(st);
}
END_TEST

/* cctl_pad's output for s padded to width. */
static char *
padded(const char *s, size_t width)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ck_assert_ptr_nonnull(f);
        cctl_pad(f, s, width);
        fclose(f);
        return buf;
}

START_TEST(test_width_and_pad)
{
        ck_assert_uint_eq(cctl_u8len(""), 0);
        ck_assert_uint_eq(cctl_u8len("abc"), 3);
        ck_assert_uint_eq(cctl_u8len("caf\xc3\xa9"), 4);       /* é is one column */
        ck_assert_uint_eq(cctl_u8len("\xe2\x82\xac\xf0\x9f\x98\x80"), 2);
        static const struct {
                const char *s;
                size_t width;
                const char *want;
        } cases[] = {
                { "ab", 5, "ab   " },
                { "caf\xc3\xa9", 6, "caf\xc3\xa9  " },
                { "longer", 3, "longer" },                      /* never cut */
                { "", 2, "  " },
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char *s = padded(cases[i].s, cases[i].width);
                ck_assert_msg(strcmp(s, cases[i].want) == 0, "case %zu: '%s'", i, s);
                free(s);
        }
}
END_TEST

START_TEST(test_json_strings)
{
        json_t *o = json_object();
        json_object_set_new(o, "ok", cctl_jstr("caf\xc3\xa9"));
        json_object_set_new(o, "bad", cctl_jstr("a\xff" "b\xc3"));   /* stray and cut bytes */
        json_object_set_new(o, "null", cctl_jstr(NULL));
        cctl_jset(o, "k\xfe", json_integer(1));
        char *s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII);
        ck_assert_str_eq(s, "{\"bad\":\"a\\uFFFDb\\uFFFD\",\"k\\uFFFD\":1,\"null\":\"\","
                            "\"ok\":\"caf\\u00E9\"}");
        free(s);
        json_decref(o);
}
END_TEST

/* ---- [supervisorctl] through cfg's client mode ------------------------------------------------ */

static struct cfg *
load_client(const char *text, struct cfg_errors *errs)
{
        char *env[] = { (char *)"SOCKDIR=/run/x", (char *)"HOME=/home/u", NULL };
        struct cfg_load_options o = { .path = "/etc/corral/c.conf", .envp = env, .client = true };
        return cfg_load_string(text, &o, errs);
}

START_TEST(test_client_section)
{
        struct cfg_errors e = { 0 };
        /* no [supervisord], a program the daemon would reject, an include that matches nothing:
         * the client reads its own section only */
        struct cfg *cfg = load_client("[supervisorctl]\n"
                                      "serverurl = unix://%(here)s/../run/./c.sock ; comment\n"
                                      "username = %(ENV_SOCKDIR)s\n"
                                      "password = p;w\n"
                                      "prompt = box\n"
                                      "history_file = ~/.hist\n"
                                      "[program:bad]\n"
                                      "startsecs = ten\n"
                                      "[include]\n"
                                      "files = /nonexistent/*.conf\n", &e);
        ck_assert_msg(cfg != NULL, "%s", e.n ? e.v[0].text : "");
        ck_assert(cfg->ctl.present);
        ck_assert_str_eq(cfg->ctl.serverurl, "unix:///etc/run/c.sock");
        ck_assert_str_eq(cfg->ctl.username, "/run/x");
        ck_assert_str_eq(cfg->ctl.password, "p;w");
        ck_assert_str_eq(cfg->ctl.prompt, "box");
        ck_assert_str_eq(cfg->ctl.history_file, "/home/u/.hist");
        ck_assert_uint_eq(cfg->ngroups, 0);
        cfg_free(cfg);

        cfg = load_client("[supervisord]\n", &e);           /* no section: the defaults */
        ck_assert_ptr_nonnull(cfg);
        ck_assert(!cfg->ctl.present);
        ck_assert_str_eq(cfg->ctl.serverurl, "http://localhost:9001");
        ck_assert_str_eq(cfg->ctl.prompt, "supervisor");
        ck_assert_ptr_null(cfg->ctl.username);
        ck_assert_ptr_null(cfg->ctl.password);
        cfg_free(cfg);
        ck_assert_uint_eq(e.n, 0);
        cfg_errors_clear(&e);
}
END_TEST

static const struct {
        const char *text, *want;                /* want: a part of the first error's text */
} client_bad[] = {
                { "x = 1\n[supervisorctl]\n", "outside of any [section]" },
                { "[supervisorctl]\nnot a key line\n", "has no '=' or ':'" },
                { "[supervisorctl]\nserverurl = %(nope)s\n", "'nope'" },
                { "[supervisorctl]\nprompt = %(ENV_NOT_SET)s\n", "ENV_NOT_SET" },
                { "[supervisorctl]\npassword = 50%\n", "badly formatted" },
};

START_TEST(test_client_errors)
{
        struct cfg_errors e = { 0 };
        struct cfg *cfg = load_client(client_bad[_i].text, &e);
        ck_assert_ptr_null(cfg);
        ck_assert_uint_gt(e.n, 0);
        ck_assert_msg(strstr(e.v[0].text, client_bad[_i].want), "%s", e.v[0].text);
        ck_assert_msg(strstr(e.v[0].text, "/etc/corral/c.conf:"), "no file:line in %s", e.v[0].text);
        cfg_errors_clear(&e);
}
END_TEST

Suite *
unit_suite(void)
{
        Suite *s = suite_create("corralctl");
        TCase *tc = tcase_create("text");
        tcase_add_loop_test(tc, test_namespec_make, 0, ARRAY_SIZE(make_cases));
        tcase_add_loop_test(tc, test_namespec_split, 0, ARRAY_SIZE(split_cases));
        tcase_add_test(tc, test_words);
        tcase_add_loop_test(tc, test_py_repr, 0, ARRAY_SIZE(repr_cases));
        tcase_add_loop_test(tc, test_py_int, 0, ARRAY_SIZE(int_cases));
        tcase_add_test(tc, test_py_str_and_fields);
        tcase_add_test(tc, test_width_and_pad);
        tcase_add_test(tc, test_json_strings);
        suite_add_tcase(s, tc);
        tc = tcase_create("config");
        tcase_add_test(tc, test_client_section);
        tcase_add_loop_test(tc, test_client_errors, 0, ARRAY_SIZE(client_bad));
        suite_add_tcase(s, tc);
        return s;
}
