/* SPDX-License-Identifier: MIT */
/* check_xmlrpc — the XML-RPC codec against supervisord 4.2.5's real wire vectors (decode every
 * request, re-encode every request and 200 response byte-exactly), plus the hostile-input cases. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shared/confpath.h"
#include "shared/proc_state.h"
#include "shared/signame.h"
#include "shared/strmap.h"
#include "shared/text.h"
#include "shared/util.h"
#include "shared/xmlrpc.h"
#include "unit.h"

#include "vectors.h"

static bool
ends_with(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Calls fn(path) for each vector file ending in suffix; returns the count. */
static int
each_vector(const char *suffix, void (*fn)(const char *dir, const char *name))
{
        DIR *d = opendir(vectors_dir());
        ck_assert_msg(d, "no vectors at %s (set CORRAL_VECTORS)", vectors_dir());
        struct dirent *e;
        int n = 0;
        while ((e = readdir(d)))
                if (ends_with(e->d_name, suffix)) {
                        fn(vectors_dir(), e->d_name);
                        n++;
                }
        closedir(d);
        return n;
}

static char *
sibling(const char *dir, const char *name, const char *from, const char *to)
{
        char path[4096];
        size_t stem = strlen(name) - strlen(from);
        snprintf(path, sizeof path, "%s/%.*s%s", dir, (int)stem, name, to);
        return strdup(path);
}

static void
check_request(const char *dir, const char *name)
{
        char path[4096];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, name);
        char *body = slurp(path, &len);
        struct xr_call c;
        char *err = NULL;
        int r = xr_parse_call(body, len, &c, &err);
        if (strstr(name, "http_post_garbage")) {
                ck_assert_int_eq(r, -EINVAL);
                ck_assert_ptr_nonnull(err);
        } else {
                ck_assert_msg(r == 0, "%s: %s", name, err ? err : "?");
                ck_assert_int_eq(c.params->type, XR_ARRAY);
                /* Python wrote it: encoding the decoded call must give the same bytes. */
                struct xr_buf b = { 0 };
                xr_encode_call(&b, c.method, c.params);
                ck_assert_msg(b.len == len && memcmp(b.p, body, len) == 0,
                              "%s: re-encoded request differs:\n%s", name, b.p);
                xr_buf_free(&b);
                xr_call_free(&c);
        }
        free(err);
        free(body);
}

START_TEST(test_request_vectors)
{
        ck_assert_int_ge(each_vector(".request.xml", check_request), 80);
}
END_TEST

static void
check_response(const char *dir, const char *name)
{
        char path[4096];
        size_t len, slen;
        char *spath = sibling(dir, name, ".response.xml", ".response-status.txt");
        char *status = slurp(spath, &slen);
        free(spath);
        bool ok = strstr(status, " 200 ") != NULL;
        free(status);
        if (!ok)
                return;         /* HTML error pages */
        snprintf(path, sizeof path, "%s/%s", dir, name);
        char *body = slurp(path, &len);
        struct xr_response resp;
        char *err = NULL;
        int r = xr_parse_response(body, len, &resp, &err);
        ck_assert_msg(r == 0, "%s: %s", name, err ? err : "?");
        struct xr_buf b = { 0 };
        if (resp.fault_code)
                xr_encode_fault(&b, resp.fault_code, resp.fault_string);
        else
                xr_encode_response(&b, resp.value);
        ck_assert_msg(b.len == len && memcmp(b.p, body, len) == 0,
                      "%s: re-encoded response differs:\n%s", name, b.p);
        xr_buf_free(&b);
        xr_response_free(&resp);
        free(body);
}

START_TEST(test_response_vectors)
{
        ck_assert_int_ge(each_vector(".response.xml", check_response), 80);
}
END_TEST

static struct xr_call
parse_ok(const char *body)
{
        struct xr_call c;
        char *err = NULL;
        int r = xr_parse_call(body, strlen(body), &c, &err);
        ck_assert_msg(r == 0, "parse failed: %s", err ? err : "?");
        return c;
}

static void
parse_fails(const char *body)
{
        struct xr_call c;
        char *err = NULL;
        int r = xr_parse_call(body, strlen(body), &c, &err);
        ck_assert_int_eq(r, -EINVAL);
        ck_assert_ptr_nonnull(err);
        ck_assert_ptr_null(c.method);
        ck_assert_ptr_null(c.params);
        free(err);
}

START_TEST(test_value_types)
{
        struct xr_call c = parse_ok(
                "<methodCall><methodName>a.b</methodName><params>"
                "<param><value><int> 42 </int></value></param>"
                "<param><value><i4>-7</i4></value></param>"
                "<param><value><boolean>1</boolean></value></param>"
                "<param><value><boolean>0</boolean></value></param>"
                "<param><value><string></string></value></param>"
                "<param><value>untyped &amp; &lt;x&gt;</value></param>"
                "<param><value><double>2.5</double></value></param>"
                "<param><value><dateTime.iso8601>20261122T10:00:00</dateTime.iso8601></value></param>"
                "<param><value><base64>aGVs\nbG8A</base64></value></param>"
                "<param><value><array><data><value><int>1</int></value><value>x</value></data></array></value></param>"
                "<param><value><struct><member><name>k</name><value><string>v</string></value></member>"
                "<member><name>k</name><value><int>2</int></value></member></struct></value></param>"
                "<param><value><nil/></value></param>"
                "<param><value/></param>"
                "</params></methodCall>");
        const struct xr_value *p = c.params;
        ck_assert_str_eq(c.method, "a.b");
        ck_assert_uint_eq(p->arr.n, 13);
        ck_assert_int_eq(xr_array_get(p, 0)->type, XR_INT);
        ck_assert_int_eq(xr_array_get(p, 0)->i, 42);
        ck_assert_int_eq(xr_array_get(p, 1)->i, -7);
        ck_assert(xr_array_get(p, 2)->type == XR_BOOL && xr_array_get(p, 2)->b);
        ck_assert(xr_array_get(p, 3)->type == XR_BOOL && !xr_array_get(p, 3)->b);
        ck_assert(xr_array_get(p, 4)->type == XR_STRING && xr_array_get(p, 4)->str.len == 0);
        ck_assert_str_eq(xr_array_get(p, 5)->str.s, "untyped & <x>");
        ck_assert(xr_array_get(p, 6)->type == XR_DOUBLE && xr_array_get(p, 6)->d == 2.5);
        ck_assert_int_eq(xr_array_get(p, 7)->type, XR_DATETIME);
        ck_assert_str_eq(xr_array_get(p, 7)->str.s, "20261122T10:00:00");
        ck_assert_int_eq(xr_array_get(p, 8)->type, XR_BASE64);
        ck_assert_uint_eq(xr_array_get(p, 8)->str.len, 6);
        ck_assert_mem_eq(xr_array_get(p, 8)->str.s, "hello\0", 6);
        ck_assert_int_eq(xr_array_get(xr_array_get(p, 9), 1)->type, XR_STRING);
        ck_assert_int_eq(xr_struct_get(xr_array_get(p, 10), "k")->i, 2);     /* last wins */
        ck_assert_ptr_null(xr_struct_get(xr_array_get(p, 10), "nope"));
        ck_assert_int_eq(xr_array_get(p, 11)->type, XR_NIL);
        ck_assert(xr_array_get(p, 12)->type == XR_STRING && xr_array_get(p, 12)->str.len == 0);
        ck_assert_ptr_null(xr_array_get(p, 13));
        xr_call_free(&c);
}
END_TEST

START_TEST(test_params_optional)
{
        struct xr_call c = parse_ok("<methodCall><methodName>supervisor.getPID</methodName></methodCall>");
        ck_assert_int_eq(c.params->type, XR_ARRAY);
        ck_assert_uint_eq(c.params->arr.n, 0);
        xr_call_free(&c);
        c = parse_ok("<?xml version='1.0'?><methodCall><methodName>x.y</methodName><params/></methodCall>");
        ck_assert_uint_eq(c.params->arr.n, 0);
        xr_call_free(&c);
}
END_TEST

/* Requests the decoder must refuse, one loop iteration each (one failure does not hide the rest). */
static const char *const malformed[] = {
        "",
        "hello",
        "<methodCall><methodName>x.y</methodName>",             /* truncated */
        "<methodCall><params/></methodCall>",                   /* no name */
        "<methodCall><methodName></methodName></methodCall>",   /* empty name */
        "<methodResponse><params/></methodResponse>",
        "<methodCall><methodName>a.b</methodName><params><param><value><int>x</int>"
          "</value></param></params></methodCall>",
        "<methodCall><methodName>a.b</methodName><params><param><value><int>99999999999999999999"
          "</int></value></param></params></methodCall>",
        "<methodCall><methodName>a.b</methodName><params><param><value><double>1.5x</double>"
          "</value></param></params></methodCall>",
        "<methodCall><methodName>a.b</methodName><params><param><value><wat>1</wat>"
          "</value></param></params></methodCall>",
        "<methodCall><methodName>a.b</methodName><params><param><value><array/>"
          "</value></param></params></methodCall>",
        "<methodCall><methodName>a.b</methodName><params><param><value><struct><member>"
          "<name>x</name></member></struct></value></param></params></methodCall>",
        "<methodCall><methodName>a.b</methodName><params><param/></params></methodCall>",
        "<methodCall><methodName>a.b</methodName><params><param><value><base64>QQ=x"
          "</base64></value></param></params></methodCall>",
        "<methodCall><methodName>a.b</methodName></methodCall>\xff",
};

START_TEST(test_malformed)
{
        parse_fails(malformed[_i]);
}
END_TEST

START_TEST(test_billion_laughs)
{
        /* Classic exponential entity expansion: must be refused at the DTD, quickly. */
        static const char bomb[] =
                "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n"
                "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
                "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
                "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
                "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
                "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
                "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
                "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
                "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
                "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
                "]>\n<methodCall><methodName>&lol9;</methodName></methodCall>\n";
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        parse_fails(bomb);
        clock_gettime(CLOCK_MONOTONIC, &b);
        ck_assert((b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6 < 100);

        /* External entities and even a harmless DTD are refused too. */
        parse_fails("<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                    "<methodCall><methodName>&x;</methodName></methodCall>");
        parse_fails("<!DOCTYPE methodCall><methodCall><methodName>a.b</methodName></methodCall>");
        parse_fails("<methodCall><methodName>&undefined;</methodName></methodCall>");
}
END_TEST

START_TEST(test_deep_nesting)
{
        size_t depth = 100000, n = 0;
        char *s = malloc(depth * 30 + 200);
        n += (size_t)sprintf(s, "<methodCall><methodName>a.b</methodName><params><param>");
        for (size_t i = 0; i < depth; i++)
                n += (size_t)sprintf(s + n, "<value><array><data>");
        s[n] = '\0';
        parse_fails(s);
        free(s);
}
END_TEST

static char *
encode(struct xr_value *v)
{
        struct xr_buf b = { 0 };
        xr_encode_value(&b, v);
        xr_free(v);
        return b.p;
}

START_TEST(test_encode)
{
        char *s;
        s = encode(xr_string("a&b<c>d\"e'f"));
        ck_assert_str_eq(s, "<value><string>a&amp;b&lt;c&gt;d\"e'f</string></value>\n");
        free(s);
        s = encode(xr_int(INT64_C(5000000000)));
        ck_assert_str_eq(s, "<value><int>2147483647</int></value>\n");
        free(s);
        s = encode(xr_int(INT64_C(-5000000000)));
        ck_assert_str_eq(s, "<value><int>-2147483648</int></value>\n");
        free(s);
        s = encode(xr_bool(true));
        ck_assert_str_eq(s, "<value><boolean>1</boolean></value>\n");
        free(s);
        s = encode(xr_array());
        ck_assert_str_eq(s, "<value><array><data>\n</data></array></value>\n");
        free(s);
        s = encode(xr_struct_set(xr_struct(), "a<b", xr_int(1)));
        ck_assert_str_eq(s, "<value><struct>\n<member>\n<name>a&lt;b</name>\n"
                            "<value><int>1</int></value>\n</member>\n</struct></value>\n");
        free(s);
        /* Bytes that would make the document ill-formed become U+FFFD; valid UTF-8 is kept. */
        s = encode(xr_stringn("\0x", 2));
        ck_assert_str_eq(s, "<value><string>\xef\xbf\xbdx</string></value>\n");
        free(s);
        s = encode(xr_string("a\xff" "b\x01" "c\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\t\n"));
        ck_assert_str_eq(s, "<value><string>a\xef\xbf\xbd" "b\xef\xbf\xbd"
                            "c\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\t\n</string></value>\n");
        free(s);
        s = encode(xr_string("\xe2\x82" "<"));       /* truncated sequence, then an escape */
        ck_assert_str_eq(s, "<value><string>\xef\xbf\xbd\xef\xbf\xbd&lt;</string></value>\n");
        free(s);
        s = encode(xr_string("\xed\xa0\x80"));       /* a surrogate is not a character */
        ck_assert_str_eq(s, "<value><string>\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd</string></value>\n");
        free(s);

        struct xr_call c = parse_ok("<methodCall><methodName>a.b</methodName><params><param><value>"
                                    "<base64>aGVsbG8A</base64></value></param></params></methodCall>");
        struct xr_buf b = { 0 };
        xr_encode_value(&b, c.params->arr.v[0]);
        ck_assert_str_eq(b.p, "<value><base64>\naGVsbG8A\n</base64></value>\n");   /* encodebytes */
        xr_buf_free(&b);
        xr_call_free(&c);
        xr_encode_fault(&b, 10, "BAD_NAME: a&b");
        ck_assert_str_eq(b.p, "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n"
                              "<name>faultCode</name>\n<value><int>10</int></value>\n</member>\n<member>\n"
                              "<name>faultString</name>\n<value><string>BAD_NAME: a&amp;b</string></value>\n"
                              "</member>\n</struct></value>\n</fault>\n</methodResponse>\n");
        xr_buf_free(&b);
}
END_TEST

START_TEST(test_encode_python_repr)
{
        /* Expected strings are Python 3.11's repr(float). */
        static const struct { double d; const char *s; } t[] = {
                { 1.0, "1.0" }, { 0.0, "0.0" }, { -2.5, "-2.5" }, { 0.1, "0.1" },
                { 1e15, "1000000000000000.0" }, { 1e16, "1e+16" }, { 1.5e16, "1.5e+16" },
                { 0.0001, "0.0001" }, { 0.00001, "1e-05" }, { 123.456, "123.456" },
                { 1.2345678901234568e+17, "1.2345678901234568e+17" }, { 1e-300, "1e-300" },
                { 3.0e100, "3e+100" }, { 1.0 / 3, "0.3333333333333333" },
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                char want[128];
                snprintf(want, sizeof want, "<value><double>%s</double></value>\n", t[i].s);
                char *s = encode(xr_double(t[i].d));
                ck_assert_str_eq(s, want);
                free(s);
        }
}
END_TEST

START_TEST(test_base64_roundtrip)
{
        /* 100 bytes: two lines as base64.encodebytes writes them (76 chars, then the rest). */
        char raw[100];
        for (int i = 0; i < 100; i++)
                raw[i] = (char)(i * 7);
        char body[1024];
        struct xr_buf b = { 0 };
        struct xr_call c = parse_ok("<methodCall><methodName>a.b</methodName><params><param><value>"
                                    "<base64></base64></value></param></params></methodCall>");
        struct xr_value *v = c.params->arr.v[0];
        ck_assert_int_eq(v->type, XR_BASE64);
        free(v->str.s);
        v->str.s = malloc(100);
        memcpy(v->str.s, raw, 100);
        v->str.len = 100;
        xr_encode_value(&b, v);
        ck_assert_ptr_nonnull(strchr(b.p, '\n'));
        const char *first = strstr(b.p, "<base64>\n") + 9;
        ck_assert_ptr_eq(strchr(first, '\n'), first + 76);
        snprintf(body, sizeof body, "<methodCall><methodName>a.b</methodName><params><param>%s</param>"
                                    "</params></methodCall>", b.p);
        xr_call_free(&c);
        c = parse_ok(body);
        ck_assert_uint_eq(c.params->arr.v[0]->str.len, 100);
        ck_assert_mem_eq(c.params->arr.v[0]->str.s, raw, 100);
        xr_call_free(&c);
        xr_buf_free(&b);
}
END_TEST

START_TEST(test_response_parse)
{
        struct xr_response r;
        char *err = NULL;
        const char *body = "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n"
                           "<value><string>3.0</string></value>\n</param>\n</params>\n</methodResponse>\n";
        ck_assert_int_eq(xr_parse_response(body, strlen(body), &r, &err), 0);
        ck_assert_int_eq(r.fault_code, 0);
        ck_assert_str_eq(r.value->str.s, "3.0");
        xr_response_free(&r);

        struct xr_buf b = { 0 };
        xr_encode_fault(&b, 92, "CANT_REREAD: x <y>");
        ck_assert_int_eq(xr_parse_response(b.p, b.len, &r, &err), 0);
        ck_assert_int_eq(r.fault_code, 92);
        ck_assert_str_eq(r.fault_string, "CANT_REREAD: x <y>");
        ck_assert_ptr_null(r.value);
        xr_response_free(&r);
        xr_buf_free(&b);

        body = "<methodResponse><fault><value><struct></struct></value></fault></methodResponse>";
        ck_assert_int_eq(xr_parse_response(body, strlen(body), &r, &err), -EINVAL);
        free(err);
        body = "<methodCall><methodName>a.b</methodName></methodCall>";
        ck_assert_int_eq(xr_parse_response(body, strlen(body), &r, &err), -EINVAL);
        free(err);
}
END_TEST

/* ---- the rest of src/shared: protocol constants and small helpers -------------------------- */

START_TEST(test_proc_state_codes)
{
        for (int s = 0; s < PROC__COUNT; s++)
                ck_assert_int_eq(proc_state_from_code(proc_state_code((enum proc_state)s)), s);
        ck_assert_int_eq(proc_state_code(PROC_RUNNING), 20);
        ck_assert_str_eq(proc_state_name(PROC_BACKOFF), "BACKOFF");
        ck_assert_int_eq(proc_state_from_code(1000), PROC_UNKNOWN);
        ck_assert_int_eq(proc_state_from_code(7), PROC_UNKNOWN);
        ck_assert_int_eq(proc_state_from_code(-1), PROC_UNKNOWN);
        ck_assert(proc_state_is_stopped(proc_state_from_code(100)));
        ck_assert(!proc_state_is_stopped(proc_state_from_code(20)));
}
END_TEST

START_TEST(test_confpath_missing)
{
        /* The candidates are relative or under / and /nonexistent: none exists from an empty dir. */
        char tmpl[] = "/tmp/check_confpath.XXXXXX";
        char *cwd = getcwd(NULL, 0);
        ck_assert_ptr_nonnull(mkdtemp(tmpl));
        ck_assert_int_eq(chdir(tmpl), 0);
        if (access("/etc/supervisord.conf", F_OK) != 0 && access("/etc/supervisor/supervisord.conf", F_OK) != 0 &&
            access("/etc/corral/corral.conf", F_OK) != 0)
                ck_assert_ptr_null(confpath_find("/nonexistent/bin/corralctl"));
        FILE *f = fopen("supervisord.conf", "w");
        ck_assert_ptr_nonnull(f);
        fclose(f);
        char *p = confpath_find("corralctl");
        ck_assert_str_eq(p, "supervisord.conf");
        free(p);
        ck_assert_int_eq(unlink("supervisord.conf"), 0);
        ck_assert_int_eq(chdir(cwd), 0);
        ck_assert_int_eq(rmdir(tmpl), 0);
        free(cwd);
}
END_TEST

static const struct { const char *s; size_t len, utf8, xml; } utf8_cases[] = {
        { "a", 1, 1, 1 },
        { "\t", 1, 1, 1 }, { "\n", 1, 1, 1 }, { "\r", 1, 1, 1 },
        { "\x01", 1, 1, 0 }, { "\x1f", 1, 1, 0 }, { "\x7f", 1, 1, 1 },
        { "\xc3\xa9", 2, 2, 2 },                      /* é */
        { "\xc3", 1, 0, 0 },                           /* truncated */
        { "\xc0\xaf", 2, 0, 0 }, { "\xc1\xbf", 2, 0, 0 },   /* overlong */
        { "\xe0\x80\xaf", 3, 0, 0 },                 /* overlong */
        { "\xe2\x82\xac", 3, 3, 3 },                 /* € */
        { "\xed\xa0\x80", 3, 0, 0 },                 /* surrogate */
        { "\xef\xbf\xbd", 3, 3, 3 },                 /* U+FFFD */
        { "\xef\xbf\xbe", 3, 3, 0 }, { "\xef\xbf\xbf", 3, 3, 0 },   /* U+FFFE/F */
        { "\xf0\x9f\x98\x80", 4, 4, 4 },            /* U+1F600 */
        { "\xf0\x8f\xbf\xbf", 4, 0, 0 },            /* overlong */
        { "\xf4\x90\x80\x80", 4, 0, 0 },            /* > U+10FFFF */
        { "\xf5\x80\x80\x80", 4, 0, 0 }, { "\xff", 1, 0, 0 }, { "\x80", 1, 0, 0 },
        { "\xe2\x82", 2, 0, 0 },                      /* truncated */
};

START_TEST(test_text_utf8_case)
{
        ck_assert_msg(text_utf8_len(utf8_cases[_i].s, utf8_cases[_i].len) == utf8_cases[_i].utf8, "utf8 case %d", _i);
        ck_assert_msg(text_xml_char_len(utf8_cases[_i].s, utf8_cases[_i].len) == utf8_cases[_i].xml, "xml case %d", _i);
}
END_TEST

START_TEST(test_text_utf8_fix)
{
        size_t n = 99;
        ck_assert_ptr_null(text_utf8_fix("caf\xc3\xa9", 5, &n));
        ck_assert_int_eq(n, 99);
        char *f = text_utf8_fix("a\xff" "b\xc3", 4, &n);
        ck_assert_str_eq(f, "a\xef\xbf\xbd" "b\xef\xbf\xbd");
        ck_assert_int_eq(n, 8);
        free(f);
}
END_TEST

static const char *const bad_signames[] = { "", "SIG", "FOO", "TERMX", "SIGSIGTERM", "DFL", "15" };

/* Where a stream of log bytes may be cut: never inside a sequence that the next bytes may finish. */
START_TEST(test_text_utf8_complete)
{
        ck_assert_uint_eq(text_utf8_complete("", 0), 0);
        ck_assert_uint_eq(text_utf8_complete("abc", 3), 3);
        ck_assert_uint_eq(text_utf8_complete("a\xe2\x82", 3), 1);          /* € cut after 2 of 3 */
        ck_assert_uint_eq(text_utf8_complete("a\xe2\x82\xac", 4), 4);      /* € whole */
        ck_assert_uint_eq(text_utf8_complete("a\xf0\x9d\x84", 4), 1);      /* U+1D11E cut after 3 of 4 */
        ck_assert_uint_eq(text_utf8_complete("a\xc3", 2), 1);
        ck_assert_uint_eq(text_utf8_complete("a\xff", 2), 2);               /* never valid: no wait */
        ck_assert_uint_eq(text_utf8_complete("a\x80\x80\x80\x80", 5), 5);  /* stray continuations */
}
END_TEST

/* An XR_FILE value leaves a hole where its text goes; the hole takes the descriptor. */
START_TEST(test_encode_file_hole)
{
        int fd = dup(0);
        ck_assert_int_ge(fd, 0);
        size_t before = xr_files_open();
        struct xr_value *a = xr_array();
        xr_array_push(a, xr_string("x"));
        xr_array_push(a, xr_file(fd, 5, 7));
        ck_assert_uint_eq(xr_files_open(), before + 1);
        struct xr_buf b = { 0 };
        xr_encode_response(&b, a);
        xr_free(a);
        ck_assert_uint_eq(xr_files_open(), before + 1);         /* now the buffer's */
        ck_assert_uint_eq(b.nholes, 1);
        ck_assert_int_eq(b.holes[0].file.fd, fd);
        ck_assert_int_eq(b.holes[0].file.off, 5);
        ck_assert_uint_eq(b.holes[0].file.len, 7);
        ck_assert(strncmp(b.p + b.holes[0].pos - 15, "<value><string>", 15) == 0);
        ck_assert(strncmp(b.p + b.holes[0].pos, "</string></value>", 17) == 0);
        xr_buf_free(&b);
        ck_assert_uint_eq(xr_files_open(), before);
        ck_assert_int_eq(fcntl(fd, F_GETFD), -1);               /* closed */
}
END_TEST

START_TEST(test_signame_bad)
{
        int sig;
        ck_assert_msg(signame_parse(bad_signames[_i], strlen(bad_signames[_i]), &sig) == -EINVAL, "'%s'",
                      bad_signames[_i]);
}
END_TEST

START_TEST(test_signame)
{
        /* Logs name signals as glibc does (what corral printed before the shared table). */
        for (int sig = 1; sig <= 64; sig++) {
                const char *ab = sigabbrev_np(sig);
                char want[32];
                if (ab)
                        snprintf(want, sizeof want, "SIG%s", ab);
                else
                        snprintf(want, sizeof want, "signal %d", sig);
                ck_assert_str_eq(signame(sig), want);
        }
        ck_assert_str_eq(signame(0), "signal 0");
        ck_assert_str_eq(signame(SIGIO), "SIGPOLL");
        ck_assert_str_eq(signame_abbrev(SIGRTMIN), "RTMIN");
        ck_assert_str_eq(signame_abbrev(SIGRTMAX), "RTMAX");
        ck_assert_str_eq(signame_abbrev(SIGTERM), "TERM");
        ck_assert_ptr_null(signame_abbrev(0));
        ck_assert_ptr_null(signame_abbrev(SIGRTMIN + 1));
        const struct { const char *s; int sig; } ok[] = {     /* not static: SIGRTMIN is a call */
                { "TERM", SIGTERM }, { "sigterm", SIGTERM }, { "SigHup", SIGHUP }, { "IO", SIGIO },
                { "poll", SIGIO }, { "IOT", SIGABRT }, { "cld", SIGCHLD }, { "_DFL", 0 },
                { "SIG_IGN", 1 }, { "rtmin", SIGRTMIN }, { "SIGRTMAX", SIGRTMAX },
        };
        for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
                int sig = -1;
                ck_assert_msg(signame_parse(ok[i].s, strlen(ok[i].s), &sig) == 0, "'%s'", ok[i].s);
                ck_assert_msg(sig == ok[i].sig, "'%s' → %d", ok[i].s, sig);
        }
        int sig;
        ck_assert_int_eq(signame_parse("TERM and more", 4, &sig), 0);
        ck_assert_int_eq(sig, SIGTERM);
}
END_TEST

START_TEST(test_strmap)
{
        struct strmap m = { 0 };
        ck_assert_ptr_null(strmap_get(&m, "x"));
        ck_assert_ptr_null(strmap_get2(&m, "a", 1, "b", 1));
        enum { N = 1000 };
        static char keys[N][16];
        for (int i = 0; i < N; i++) {
                if (i % 2)      /* "g0:p1" after "g0", "g2:p3" after "g2"... */
                        snprintf(keys[i], sizeof keys[i], "g%d:p%d", i - 1, i);
                else
                        snprintf(keys[i], sizeof keys[i], "g%d", i);
                strmap_put(&m, keys[i], keys[i]);
        }
        ck_assert_uint_eq(m.count, N);
        ck_assert_uint_gt(m.cap, 2 * m.count);
        for (int i = 0; i < N; i++)
                ck_assert_ptr_eq(strmap_get(&m, keys[i]), keys[i]);
        ck_assert_ptr_eq(strmap_get2(&m, "g0:xyz", 2, "p1", 2), keys[1]);     /* "g0" + ":" + "p1" */
        ck_assert_ptr_eq(strmap_get2(&m, "g0", 2, NULL, 0), keys[0]);
        ck_assert_ptr_null(strmap_get2(&m, "g0", 2, "p", 1));
        ck_assert_ptr_null(strmap_get2(&m, "g", 1, NULL, 0));
        ck_assert_ptr_null(strmap_get(&m, "g0:p1x"));
        strmap_put(&m, "g0", NULL);                     /* replaces: the count stays */
        ck_assert_uint_eq(m.count, N);
        ck_assert_ptr_null(strmap_get(&m, "g0"));
        strmap_reset(&m, 3);
        ck_assert_uint_eq(m.count, 0);
        ck_assert_uint_eq(m.cap, 8);
        ck_assert_ptr_null(strmap_get(&m, keys[1]));
        strmap_free(&m);
        ck_assert_ptr_null(strmap_get(&m, keys[1]));

        const char *v[] = { "b", "c:1", "a", "c" };
        qsort(v, 4, sizeof *v, cmp_str);
        ck_assert_str_eq(v[0], "a");
        ck_assert_str_eq(v[1], "b");
        ck_assert_str_eq(v[2], "c");
        ck_assert_str_eq(v[3], "c:1");
}
END_TEST

Suite *
unit_suite(void)
{
        Suite *s = suite_create("xmlrpc");
        TCase *tc = tcase_create("vectors");
        tcase_add_test(tc, test_request_vectors);
        tcase_add_test(tc, test_response_vectors);
        suite_add_tcase(s, tc);
        tc = tcase_create("core");
        tcase_add_test(tc, test_value_types);
        tcase_add_test(tc, test_params_optional);
        tcase_add_test(tc, test_encode);
        tcase_add_test(tc, test_encode_python_repr);
        tcase_add_test(tc, test_base64_roundtrip);
        tcase_add_test(tc, test_response_parse);
        suite_add_tcase(s, tc);
        tc = tcase_create("errors");
        tcase_add_loop_test(tc, test_malformed, 0, sizeof malformed / sizeof malformed[0]);
        tcase_add_test(tc, test_billion_laughs);
        tcase_add_test(tc, test_deep_nesting);
        suite_add_tcase(s, tc);
        tc = tcase_create("shared");
        tcase_add_test(tc, test_proc_state_codes);
        tcase_add_test(tc, test_confpath_missing);
        tcase_add_loop_test(tc, test_text_utf8_case, 0, sizeof utf8_cases / sizeof utf8_cases[0]);
        tcase_add_test(tc, test_text_utf8_fix);
        tcase_add_test(tc, test_text_utf8_complete);
        tcase_add_test(tc, test_encode_file_hole);
        tcase_add_test(tc, test_signame);
        tcase_add_loop_test(tc, test_signame_bad, 0, sizeof bad_signames / sizeof bad_signames[0]);
        tcase_add_test(tc, test_strmap);
        suite_add_tcase(s, tc);
        return s;
}
