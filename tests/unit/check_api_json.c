/* SPDX-License-Identifier: MIT */
/* check_api_json — the JSON status encoder: api_json_string's UTF-8 sanitising (bytes that are not
 * UTF-8 become U+FFFD, the rest passes unchanged, NULs included) checked through a jansson dump
 * and load, and the whole GET /corral/v1/status document — "supervisor", "fields" and one row per
 * process — checked cell by cell against getAllProcessInfo's XML-RPC reply for the same process
 * table (odd names, a running process, NONE/AUTO/path logs). */
#include <check.h>
#include <ev.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/api_json.h"
#include "cfg/cfg.h"
#include "core/log.h"
#include "core/proc.h"
#include "ctl/rpc.h"
#include "core/sup.h"
#include "shared/util.h"
#include "shared/xmlrpc.h"
#include "unit.h"

/* --- strings ------------------------------------------------------------------------------------ */

/* api_json_string(in[0..len)) dumped as a one-element array, which must load back as JSON: return
 * the decoded string (static buffer) and its length; *ret_raw gets the dump (caller frees). */
static const char *
roundtrip(const char *in, size_t len, size_t *ret_len, char **ret_raw)
{
        static char out[1024];
        json_t *j = api_json_string(in, len);
        ck_assert_ptr_nonnull(j);
        ck_assert(json_is_string(j));
        json_t *a = json_array();
        ck_assert_int_eq(json_array_append_new(a, j), 0);
        char *raw = json_dumps(a, JSON_COMPACT);
        ck_assert_ptr_nonnull(raw);
        json_decref(a);
        json_error_t err;
        json_t *v = json_loadb(raw, strlen(raw), JSON_ALLOW_NUL, &err);
        ck_assert_msg(v, "not JSON: %s: %s", raw, err.text);
        json_t *s = json_array_get(v, 0);
        ck_assert(json_is_string(s));
        size_t n = json_string_length(s);
        ck_assert_uint_lt(n, sizeof out);
        memcpy(out, json_string_value(s), n);
        out[n] = '\0';
        *ret_len = n;
        json_decref(v);
        if (ret_raw)
                *ret_raw = raw;
        else
                free(raw);
        return out;
}

#define EXPECT_STRING(in, want)                                                                  \
        do {                                                                                     \
                size_t n_;                                                                       \
                const char *got_ = roundtrip((in), sizeof(in) - 1, &n_, NULL);                   \
                ck_assert_uint_eq(n_, sizeof(want) - 1);                                         \
                ck_assert_msg(memcmp(got_, (want), n_) == 0, "%s: decoded as '%s'", #in, got_); \
        } while (0)

START_TEST(test_plain)
{
        EXPECT_STRING("", "");
        EXPECT_STRING("web_01", "web_01");
        EXPECT_STRING("pid 42, uptime 0:00:01", "pid 42, uptime 0:00:01");
        /* valid UTF-8 passes through unchanged, up to 4-byte sequences */
        EXPECT_STRING("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf");
}
END_TEST

START_TEST(test_escapes)
{
        EXPECT_STRING("a\"b", "a\"b");
        EXPECT_STRING("back\\slash\\", "back\\slash\\");
        EXPECT_STRING("l1\nl2\r\t\b\f", "l1\nl2\r\t\b\f");
        EXPECT_STRING("\x01\x1f\x7f", "\x01\x1f\x7f");
        /* the escapes in the raw text */
        size_t n;
        char *raw;
        (void)roundtrip("q\"\\\x01\n", 5, &n, &raw);
        ck_assert_str_eq(raw, "[\"q\\\"\\\\\\u0001\\n\"]");
        free(raw);
}
END_TEST

START_TEST(test_not_utf8)
{
        /* every byte that does not start a well-formed sequence becomes U+FFFD */
        EXPECT_STRING("bad\xff" "byte", "bad\xef\xbf\xbd" "byte");
        EXPECT_STRING("\x80", "\xef\xbf\xbd");
        EXPECT_STRING("trunc\xe2\x82", "trunc\xef\xbf\xbd\xef\xbf\xbd");
        EXPECT_STRING("\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd");                  /* overlong '/' */
        EXPECT_STRING("\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  /* overlong */
        EXPECT_STRING("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  /* surrogate */
        EXPECT_STRING("\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* > U+10FFFF */
        EXPECT_STRING("\xf5", "\xef\xbf\xbd");
        /* NUL inside the given length */
        size_t n;
        const char *got = roundtrip("a\0b", 3, &n, NULL);
        ck_assert_uint_eq(n, 3);
        ck_assert(memcmp(got, "a\0b", 3) == 0);
}
END_TEST

/* --- the status document ------------------------------------------------------------------------ */

static char tmpdir[64];
static char conf_path[4200];

static void
table_setup(void)
{
        log_set_level(LOGL_CRIT);
        snprintf(tmpdir, sizeof tmpdir, "/tmp/check_api_json.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(tmpdir));
        snprintf(conf_path, sizeof conf_path, "%s/corral.conf", tmpdir);
        FILE *f = fopen(conf_path, "w");
        ck_assert(f);
        fprintf(f,
                "[supervisord]\nchildlogdir=%s\n"
                "[unix_http_server]\nfile=%s/s.sock\n"
                "[program:zeta]\ncommand=/bin/sleep 1000\nautostart=true\nstartsecs=0\n"
                "stdout_logfile=%s/zeta.out\nstderr_logfile=NONE\n"
                "[program:q\"uo\\te]\ncommand=/bin/true\nautostart=false\n"
                "[program:caf\xc3\xa9-au-lait]\ncommand=/bin/true\nautostart=false\n"
                "stdout_logfile=NONE\nstderr_logfile=NONE\n"
                "[program:missing]\ncommand=/nonexistent/x\nautostart=false\n"
                "stdout_logfile=NONE\nstderr_logfile=NONE\n"
                "[program:w]\ncommand=/bin/sleep 300\nnumprocs=2\n"
                "process_name=%%(program_name)s_%%(process_num)d\nautostart=false\n"
                "stdout_logfile=NONE\nstderr_logfile=NONE\n"
                "[group:grp]\nprograms=w,missing\n",
                tmpdir, tmpdir, tmpdir);
        fclose(f);
        struct cfg_load_options o = { .path = conf_path };
        struct cfg_errors errs = { 0 };
        struct cfg *c = cfg_load(&o, &errs);
        for (size_t i = 0; i < errs.n; i++)
                fprintf(stderr, "check_api_json: config: %s\n", errs.v[i].text ? errs.v[i].text : errs.v[i].msg);
        cfg_errors_clear(&errs);
        ck_assert_ptr_nonnull(c);
        struct sup_options so = { .config_path = conf_path };
        ck_assert_int_eq(sup_init(ev_default_loop(0), c, &so), 0);
}

static void
table_teardown(void)
{
        sup_fini();
        char cmd[4300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        (void)!system(cmd);
}

static void
on_done(void *ctx, int http_status, struct xr_buf *body)
{
        ck_assert_int_eq(http_status, 200);
        *(char **)ctx = body->p;
}

static struct xr_value *
all_process_info(void)
{
        char *reply = NULL;
        struct xr_buf req = { 0 };
        struct xr_value *params = xr_array();
        xr_encode_call(&req, "supervisor.getAllProcessInfo", params);
        xr_free(params);
        ck_assert_ptr_null(rpc_dispatch(req.p, req.len, on_done, &reply));
        ck_assert_ptr_nonnull(reply);
        struct xr_response r;
        char *err = NULL;
        ck_assert_msg(xr_parse_response(reply, strlen(reply), &r, &err) == 0, "%s", err);
        ck_assert_int_eq(r.fault_code, 0);
        free(reply);
        free(req.p);
        struct xr_value *v = r.value;
        r.value = NULL;
        xr_response_free(&r);
        return v;
}

static json_t *
status_document(void)
{
        struct xr_buf b = { 0 };
        api_json_status(&b, time_wall());
        json_error_t err;
        json_t *v = json_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, &err);
        ck_assert_msg(v, "not JSON (%s): %.300s", err.text, b.p);
        free(b.p);
        return v;
}

static void
wait_running(const char *name)
{
        struct proc *p = sup_find_proc(name);
        ck_assert_ptr_nonnull(p);
        double deadline = time_monotonic() + 10;
        while (p->state != PROC_RUNNING && time_monotonic() < deadline)
                ev_run(ev_default_loop(0), EVRUN_ONCE | EVRUN_NOWAIT), usleep(1000);
        ck_assert_int_eq(p->state, PROC_RUNNING);
}

/* The columns, written out here rather than taken from api_json.c. */
static const char *const fields[] = { "name", "group", "namespec", "state", "statename", "pid", "start", "stop",
                                      "now", "exitstatus", "spawnerr", "description", "stdout_logfile",
                                      "stderr_logfile" };
#define NFIELDS (sizeof fields / sizeof fields[0])

/* Row i's cell for column name, found through the document's own "fields". */
static json_t *
cell(json_t *doc, size_t i, const char *name)
{
        json_t *f = json_object_get(doc, "fields");
        for (size_t k = 0; k < json_array_size(f); k++)
                if (!strcmp(json_string_value(json_array_get(f, k)), name))
                        return json_array_get(json_array_get(json_object_get(doc, "processes"), i), k);
        ck_abort_msg("no column '%s'", name);
        return NULL;
}

START_TEST(test_status_matches_xmlrpc)
{
        sup_autostart();
        wait_running("zeta");
        json_t *doc = status_document();
        struct xr_value *xml = all_process_info();
        ck_assert_uint_eq(json_object_size(doc), 3);

        json_t *sup = json_object_get(doc, "supervisor");
        ck_assert_uint_eq(json_object_size(sup), 5);
        ck_assert_int_eq(json_integer_value(json_object_get(sup, "pid")), getpid());
        ck_assert_str_eq(json_string_value(json_object_get(sup, "state")), "RUNNING");
        ck_assert_int_eq(json_integer_value(json_object_get(sup, "statecode")), 1);
        ck_assert_str_eq(json_string_value(json_object_get(sup, "version")), "4.2.5");
        ck_assert_str_eq(json_string_value(json_object_get(sup, "api_version")), "3.0");

        /* the header: exactly these names, in this order */
        json_t *f = json_object_get(doc, "fields");
        ck_assert(json_is_array(f));
        ck_assert_uint_eq(json_array_size(f), NFIELDS);
        for (size_t k = 0; k < NFIELDS; k++)
                ck_assert_str_eq(json_string_value(json_array_get(f, k)), fields[k]);

        json_t *procs = json_object_get(doc, "processes");
        ck_assert(json_is_array(procs));
        ck_assert_uint_eq(json_array_size(procs), xml->arr.n);
        ck_assert_uint_eq(json_array_size(procs), 6);
        for (size_t i = 0; i < xml->arr.n; i++) {
                const struct xr_value *x = xml->arr.v[i];
                json_t *row = json_array_get(procs, i);
                ck_assert_msg(json_is_array(row), "process %zu: not an array", i);
                ck_assert_uint_eq(json_array_size(row), NFIELDS);
                for (size_t k = 0; k < NFIELDS; k++) {
                        json_t *j = json_array_get(row, k);
                        if (!strcmp(fields[k], "namespec")) {
                                const char *g = xr_struct_get(x, "group")->str.s;
                                const char *n = xr_struct_get(x, "name")->str.s;
                                char *want = strcmp(g, n) ? xasprintf("%s:%s", g, n) : xstrdup(n);
                                ck_assert_str_eq(json_string_value(j), want);
                                free(want);
                                continue;
                        }
                        const struct xr_value *xv = xr_struct_get(x, fields[k]);
                        ck_assert_ptr_nonnull(xv);
                        if (xv->type == XR_INT)
                                ck_assert_msg(json_is_integer(j) && json_integer_value(j) == xv->i,
                                              "process %zu '%s': %lld, XML-RPC %lld", i, fields[k],
                                              (long long)json_integer_value(j), (long long)xv->i);
                        else
                                ck_assert_msg(json_is_string(j) && !strcmp(json_string_value(j), xv->str.s),
                                              "process %zu '%s': '%s', XML-RPC '%s'", i, fields[k],
                                              json_string_value(j), xv->str.s);
                }
        }
        /* the odd names survive, in getAllProcessInfo's order (group name, then process name) */
        ck_assert_str_eq(json_string_value(cell(doc, 0, "name")), "caf\xc3\xa9-au-lait");
        ck_assert_str_eq(json_string_value(cell(doc, 1, "namespec")), "grp:missing");
        ck_assert_str_eq(json_string_value(cell(doc, 4, "name")), "q\"uo\\te");
        ck_assert_str_eq(json_string_value(cell(doc, 5, "statename")), "RUNNING");
        ck_assert_int_eq(json_integer_value(cell(doc, 5, "state")), 20);
        ck_assert_int_eq(json_integer_value(cell(doc, 5, "pid")), sup_find_proc("zeta")->pid);
        ck_assert_int_gt(json_integer_value(cell(doc, 5, "start")), 0);
        char *out = xasprintf("%s/zeta.out", tmpdir);
        ck_assert_str_eq(json_string_value(cell(doc, 5, "stdout_logfile")), out);
        free(out);
        ck_assert_str_eq(json_string_value(cell(doc, 5, "stderr_logfile")), "");
        json_decref(doc);
        xr_free(xml);
}
END_TEST

START_TEST(test_binary_spawnerr)
{
        /* A spawn error may quote arbitrary bytes (a command path from the config): the document
         * stays valid JSON, control characters escaped, the rest replaced. */
        struct proc *p = sup_find_proc("grp:missing");
        ck_assert_ptr_nonnull(p);
        free(p->spawnerr);
        p->spawnerr = xstrdup("can't find command '/x\x01\xff\"\\y'");
        json_t *doc = status_document();
        ck_assert_str_eq(json_string_value(cell(doc, 1, "namespec")), "grp:missing");
        ck_assert_str_eq(json_string_value(cell(doc, 1, "spawnerr")), "can't find command '/x\x01\xef\xbf\xbd\"\\y'");
        json_decref(doc);
}
END_TEST

START_TEST(test_shutdown_state)
{
        /* Answered while stopping too (XML-RPC says SHUTDOWN_STATE); the client checks "state". */
        sup_autostart();
        wait_running("zeta");
        sup_shutdown();
        json_t *doc = status_document();
        json_t *sup = json_object_get(doc, "supervisor");
        ck_assert_str_eq(json_string_value(json_object_get(sup, "state")), "SHUTDOWN");
        ck_assert_int_eq(json_integer_value(json_object_get(sup, "statecode")), -1);
        ck_assert_uint_eq(json_array_size(json_object_get(doc, "processes")), 6);
        json_decref(doc);
}
END_TEST

START_TEST(test_compact_one_line)
{
        /* One line of compact JSON: no spaces between tokens, a single trailing newline. */
        struct xr_buf b = { 0 };
        api_json_status(&b, time_wall());
        ck_assert_uint_gt(b.len, 2);
        ck_assert_int_eq(b.p[b.len - 1], '\n');
        ck_assert_ptr_eq(strchr(b.p, '\n'), b.p + b.len - 1);
        ck_assert_msg(!strncmp(b.p, "{\"supervisor\":{\"pid\":", 21), "%.40s", b.p);
        ck_assert_ptr_nonnull(strstr(b.p, ",\"fields\":[\"name\",\"group\","));
        free(b.p);
}
END_TEST

Suite *
unit_suite(void)
{
        Suite *s = suite_create("api_json");
        TCase *tc = tcase_create("strings");
        tcase_add_test(tc, test_plain);
        tcase_add_test(tc, test_escapes);
        tcase_add_test(tc, test_not_utf8);
        suite_add_tcase(s, tc);
        tc = tcase_create("status");
        tcase_add_checked_fixture(tc, table_setup, table_teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_status_matches_xmlrpc);
        tcase_add_test(tc, test_binary_spawnerr);
        tcase_add_test(tc, test_shutdown_state);
        tcase_add_test(tc, test_compact_one_line);
        suite_add_tcase(s, tc);
        return s;
}
