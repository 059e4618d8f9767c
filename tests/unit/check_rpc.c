/* SPDX-License-Identifier: MIT */
/* check_rpc — rpc_dispatch against supervisord 4.2.5's captured requests and responses: method
 * table, introspection, fault codes and strings, HTTP 400/500 cases, multicall; every request
 * vector is dispatched (no crash, exactly one reply). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ev.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "rpc.h"
#include "xmlrpc.h"

#ifndef VECTORS_DIR
#define VECTORS_DIR "tests/fuzz/vectors"
#endif

static const char *
vectors_dir(void)
{
        const char *d = getenv("CORRAL_VECTORS");
        return d ? d : VECTORS_DIR;
}

static char *
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

/* Vector file <stem><suffix>, whose name starts with prefix (e.g. "rpc_48_"). */
static char *
vector(const char *prefix, const char *suffix)
{
        DIR *d = opendir(vectors_dir());
        ck_assert_msg(d, "no vectors at %s", vectors_dir());
        struct dirent *e;
        char *found = NULL;
        while ((e = readdir(d)))
                if (!strncmp(e->d_name, prefix, strlen(prefix)) && strstr(e->d_name, suffix) &&
                    !strcmp(e->d_name + strlen(e->d_name) - strlen(suffix), suffix)) {
                        char path[4096];
                        size_t n;
                        snprintf(path, sizeof path, "%s/%s", vectors_dir(), e->d_name);
                        found = slurp(path, &n);
                        break;
                }
        closedir(d);
        ck_assert_msg(found, "no vector %s*%s", prefix, suffix);
        return found;
}

struct reply {
        int calls;
        int status;
        char *body;
};

static void
on_done(void *ctx, int http_status, struct xr_buf *body)
{
        struct reply *r = ctx;
        r->calls++;
        r->status = http_status;
        free(r->body);
        r->body = body->p;
}

/* Dispatch a body that must be answered at once. */
static struct reply
call(const char *body)
{
        struct reply r = { 0 };
        struct rpc_pending *p = rpc_dispatch(body, strlen(body), on_done, &r);
        ck_assert_ptr_null(p);
        ck_assert_int_eq(r.calls, 1);
        return r;
}

static char *
request(const char *method, struct xr_value *params)
{
        struct xr_buf b = { 0 };
        xr_encode_call(&b, method, params);
        xr_free(params);
        return b.p;
}

/* Call method and expect a fault (code, string). */
static void
expect_fault(const char *method, struct xr_value *params, int code, const char *text)
{
        char *req = request(method, params);
        struct reply r = call(req);
        ck_assert_int_eq(r.status, 200);
        struct xr_response resp;
        char *err = NULL;
        ck_assert_msg(xr_parse_response(r.body, strlen(r.body), &resp, &err) == 0, "%s", err);
        ck_assert_msg(resp.fault_code == code, "%s: fault %d (%s), want %d", method, resp.fault_code,
                      resp.fault_string ? resp.fault_string : "-", code);
        ck_assert_str_eq(resp.fault_string, text);
        xr_response_free(&resp);
        free(r.body);
        free(req);
}

/* The captured request must produce the captured response, byte for byte. */
static void
expect_vector(const char *prefix)
{
        char *req = vector(prefix, ".request.xml");
        char *want = vector(prefix, ".response.xml");
        struct reply r = call(req);
        ck_assert_int_eq(r.status, 200);
        ck_assert_msg(strcmp(r.body, want) == 0, "%s: got\n%s\nwant\n%s", prefix, r.body, want);
        free(r.body);
        free(req);
        free(want);
}

static struct xr_value *
args(int n, ...)
{
        va_list ap;
        struct xr_value *a = xr_array();
        va_start(ap, n);
        for (int i = 0; i < n; i++)
                xr_array_push(a, va_arg(ap, struct xr_value *));
        va_end(ap);
        return a;
}

START_TEST(test_versions)
{
        expect_vector("rpc_00_");       /* getAPIVersion */
        expect_vector("rpc_01_");       /* getVersion */
        expect_vector("rpc_02_");       /* getSupervisorVersion */
        expect_vector("rpc_04_");       /* getState */
}
END_TEST

START_TEST(test_introspection)
{
        expect_vector("rpc_48_");       /* listMethods: 41 names, sorted */
        expect_vector("rpc_50_");       /* methodSignature getState */
        expect_vector("rpc_51_");       /* methodSignature startProcess */
        expect_vector("rpc_52_");       /* methodHelp bogus */
        expect_fault("system.methodSignature", args(1, xr_string("supervisor.nope")), 4, "SIGNATURE_UNSUPPORTED");

        /* methodHelp of every listed name is a string; methodSignature starts with a type. */
        char *req = request("system.listMethods", xr_array());
        struct reply r = call(req);
        struct xr_response resp;
        char *err = NULL;
        ck_assert_int_eq(xr_parse_response(r.body, strlen(r.body), &resp, &err), 0);
        ck_assert_uint_eq(resp.value->arr.n, 41);
        for (size_t i = 0; i < resp.value->arr.n; i++) {
                const char *name = resp.value->arr.v[i]->str.s;
                if (i)
                        ck_assert_int_lt(strcmp(resp.value->arr.v[i - 1]->str.s, name), 0);
                char *q = request("system.methodHelp", args(1, xr_string(name)));
                struct reply h = call(q);
                ck_assert_ptr_nonnull(strstr(h.body, "<string>"));
                ck_assert_ptr_null(strstr(h.body, "<fault>"));
                free(h.body);
                free(q);
        }
        xr_response_free(&resp);
        free(r.body);
        free(req);
}
END_TEST

START_TEST(test_unknown_method)
{
        expect_vector("rpc_54_");       /* supervisor.noSuchMethod */
        expect_fault("getPID", xr_array(), 1, "UNKNOWN_METHOD");
        expect_fault("supervisor.getPID.x", xr_array(), 1, "UNKNOWN_METHOD");
        expect_fault("supervisor._mood_ok", xr_array(), 1, "UNKNOWN_METHOD");
        expect_fault("nope.getPID", xr_array(), 1, "UNKNOWN_METHOD");
        expect_fault("supervisor.", xr_array(), 1, "UNKNOWN_METHOD");
        expect_fault(".getPID", xr_array(), 1, "UNKNOWN_METHOD");
}
END_TEST

START_TEST(test_argument_count)
{
        expect_fault("supervisor.getPID", args(1, xr_int(1)), 2, "INCORRECT_PARAMETERS");
        expect_fault("supervisor.getProcessInfo", xr_array(), 2, "INCORRECT_PARAMETERS");
        expect_fault("supervisor.startProcess", args(3, xr_string("a"), xr_bool(true), xr_int(1)), 2,
                     "INCORRECT_PARAMETERS");
        expect_fault("supervisor.readLog", args(1, xr_int(0)), 2, "INCORRECT_PARAMETERS");
        expect_fault("system.multicall", xr_array(), 2, "INCORRECT_PARAMETERS");
}
END_TEST

START_TEST(test_http_errors)
{
        struct reply r = call("hello");
        ck_assert_int_eq(r.status, 400);
        free(r.body);
        r = call("<methodCall><params/></methodCall>");
        ck_assert_int_eq(r.status, 400);
        free(r.body);
        r = call("<methodCall><methodName></methodName></methodCall>");
        ck_assert_int_eq(r.status, 400);
        free(r.body);
        /* getProcessInfo(5): a type error inside the method is HTTP 500 (rpc_57). */
        char *req = vector("rpc_57_", ".request.xml");
        r = call(req);
        ck_assert_int_eq(r.status, 500);
        free(r.body);
        free(req);
        /* A params-less call is fine (compat E.1). */
        r = call("<methodCall><methodName>supervisor.getPID</methodName></methodCall>");
        ck_assert_int_eq(r.status, 200);
        char want[64];
        snprintf(want, sizeof want, "<int>%d</int>", (int)getpid());
        ck_assert_ptr_nonnull(strstr(r.body, want));
        free(r.body);
}
END_TEST

START_TEST(test_multicall_shape)
{
        /* Results are not wrapped; faults are structs; recursion and missing names are refused. */
        struct xr_value *calls = xr_array();
        xr_array_push(calls, xr_struct_set(xr_struct_set(xr_struct(), "methodName",
                                                         xr_string("supervisor.getAPIVersion")),
                                           "params", xr_array()));
        xr_array_push(calls, xr_struct_set(xr_struct(), "params", xr_array()));
        xr_array_push(calls, xr_struct_set(xr_struct(), "methodName", xr_string("system.multicall")));
        xr_array_push(calls, xr_struct_set(xr_struct(), "methodName", xr_string("supervisor.nope")));
        xr_array_push(calls, xr_struct_set(xr_struct_set(xr_struct(), "methodName", xr_string("supervisor.getPID")),
                                           "params", args(1, xr_int(3))));
        xr_array_push(calls, xr_int(7));
        char *req = request("system.multicall", args(1, calls));
        struct reply r = call(req);
        ck_assert_int_eq(r.status, 200);
        struct xr_response resp;
        char *err = NULL;
        ck_assert_int_eq(xr_parse_response(r.body, strlen(r.body), &resp, &err), 0);
        const struct xr_value *a = resp.value;
        ck_assert_uint_eq(a->arr.n, 6);
        ck_assert_int_eq(a->arr.v[0]->type, XR_STRING);
        ck_assert_str_eq(a->arr.v[0]->str.s, "3.0");
        ck_assert_int_eq(xr_struct_get(a->arr.v[1], "faultCode")->i, 2);
        ck_assert_str_eq(xr_struct_get(a->arr.v[1], "faultString")->str.s, "INCORRECT_PARAMETERS: No methodName");
        ck_assert_str_eq(xr_struct_get(a->arr.v[2], "faultString")->str.s,
                         "INCORRECT_PARAMETERS: Recursive system.multicall forbidden");
        ck_assert_int_eq(xr_struct_get(a->arr.v[3], "faultCode")->i, 1);
        ck_assert_int_eq(xr_struct_get(a->arr.v[4], "faultCode")->i, 2);
        ck_assert_int_eq(xr_struct_get(a->arr.v[5], "faultCode")->i, 30);
        xr_response_free(&resp);
        free(r.body);
        free(req);
}
END_TEST

START_TEST(test_bad_names)
{
        /* With no such group every name-taking method says BAD_NAME with the name as given. */
        expect_vector("rpc_64_");       /* stopProcessGroup bogus */
        expect_fault("supervisor.getProcessInfo", args(1, xr_string("bogus")), 10, "BAD_NAME: bogus");
        expect_fault("supervisor.startProcess", args(1, xr_string("nogroup:x")), 10, "BAD_NAME: nogroup:x");
        expect_fault("supervisor.stopProcess", args(2, xr_string("g:*"), xr_bool(false)), 10, "BAD_NAME: g:*");
        expect_fault("supervisor.signalProcess", args(2, xr_string("bogus"), xr_string("HUP")), 10,
                     "BAD_NAME: bogus");
        expect_fault("supervisor.signalProcessGroup", args(2, xr_string("bogus"), xr_string("HUP")), 10,
                     "BAD_NAME: bogus");
        expect_fault("supervisor.readProcessStdoutLog", args(3, xr_string("bogus"), xr_int(0), xr_int(0)), 10,
                     "BAD_NAME: bogus");
        expect_fault("supervisor.tailProcessStderrLog", args(3, xr_string("bogus"), xr_int(0), xr_int(0)), 10,
                     "BAD_NAME: bogus");
        expect_fault("supervisor.clearProcessLogs", args(1, xr_string("bogus")), 10, "BAD_NAME: bogus");
        expect_fault("supervisor.sendProcessStdin", args(2, xr_string("bogus"), xr_string("x")), 10,
                     "BAD_NAME: bogus");
        expect_fault("supervisor.sendProcessStdin", args(2, xr_string("bogus"), xr_int(5)), 2,
                     "INCORRECT_PARAMETERS: 5");
        expect_fault("supervisor.removeProcessGroup", args(1, xr_string("bogus")), 10, "BAD_NAME: bogus");
        expect_fault("supervisor.startProcessGroup", args(1, xr_int(5)), 10, "BAD_NAME: 5");
}
END_TEST

/* Every captured request goes through without a crash and gets exactly one reply (or waits). */
START_TEST(test_all_vectors_dispatch)
{
        DIR *d = opendir(vectors_dir());
        ck_assert(d);
        struct dirent *e;
        int n = 0;
        while ((e = readdir(d))) {
                const char *suf = ".request.xml";
                size_t l = strlen(e->d_name);
                if (l < strlen(suf) || strcmp(e->d_name + l - strlen(suf), suf))
                        continue;
                /* Skip the ones that would act on the daemon itself. */
                if (strstr(e->d_name, "shutdown") || strstr(e->d_name, "restart"))
                        continue;
                char path[4096];
                size_t len;
                snprintf(path, sizeof path, "%s/%s", vectors_dir(), e->d_name);
                char *body = slurp(path, &len);
                struct reply r = { 0 };
                struct rpc_pending *p = rpc_dispatch(body, len, on_done, &r);
                if (p) {
                        ck_assert_int_eq(r.calls, 0);
                        rpc_cancel(p);
                } else {
                        ck_assert_int_eq(r.calls, 1);
                        ck_assert(r.status == 200 || r.status == 400 || r.status == 500);
                }
                free(r.body);
                free(body);
                n++;
        }
        closedir(d);
        ck_assert_int_ge(n, 80);
}
END_TEST

static Suite *
rpc_suite(void)
{
        Suite *s = suite_create("rpc");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_versions);
        tcase_add_test(tc, test_introspection);
        tcase_add_test(tc, test_multicall_shape);
        suite_add_tcase(s, tc);
        tc = tcase_create("errors");
        tcase_add_test(tc, test_unknown_method);
        tcase_add_test(tc, test_argument_count);
        tcase_add_test(tc, test_http_errors);
        tcase_add_test(tc, test_bad_names);
        tcase_add_test(tc, test_all_vectors_dispatch);
        suite_add_tcase(s, tc);
        return s;
}

int
main(void)
{
        SRunner *sr = srunner_create(rpc_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
