/* SPDX-License-Identifier: MIT */
/* fuzz_http_auth — libFuzzer target: the Authorization header check (http_auth.c) on its own, many
 * times faster than through fuzz_http. Two properties, chosen by the first byte:
 *   0: any header value: the answer is the same whether the password is stored plain ("pass") or
 *      as "{SHA}" + sha1("pass"), and every value passes when no user is configured;
 *   1: the rest is "user:password" credentials: "Basic " + base64 of them must pass for exactly
 *      that user and password (plain unless it starts with "{SHA}", and {SHA}), and fail for a password one byte longer. */
#include <nettle/base64.h>
#include <nettle/sha1.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/http.h"
#include "shared/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
sha_form(const char *pass)
{
        struct sha1_ctx ctx;
        uint8_t dig[SHA1_DIGEST_SIZE];
        char *s = xmalloc(5 + 2 * SHA1_DIGEST_SIZE + 1);
        sha1_init(&ctx);
        sha1_update(&ctx, strlen(pass), (const uint8_t *)pass);
        sha1_digest(&ctx, sizeof dig, dig);
        memcpy(s, "{SHA}", 5);
        for (size_t i = 0; i < sizeof dig; i++)
                snprintf(s + 5 + 2 * i, 3, "%02x", dig[i]);
        return s;
}

static void
any_value(const char *v, size_t n)
{
        static char *sha;
        if (!sha)
                sha = sha_form("pass");
        bool plain = http_auth_header_ok("user", "pass", v, n);
        if (plain != http_auth_header_ok("user", sha, v, n)) {
                fprintf(stderr, "fuzz_http_auth: plain and {SHA} passwords disagree\n");
                abort();
        }
        if (!http_auth_header_ok(NULL, NULL, v, n))
                abort();
}

static void
credentials(const char *c, size_t n)
{
        const char *colon = memchr(c, ':', n);
        /* NUL-free credentials only: a NUL is refused by design (it would cut the C strings). */
        if (!colon || memchr(c, '\0', n))
                return;
        char *user = xstrndup(c, (size_t)(colon - c));
        char *pass = xstrndup(colon + 1, n - (size_t)(colon - c) - 1);
        char *longer = xasprintf("%sx", pass);
        char *sha = sha_form(pass);
        char *hdr = xmalloc(6 + BASE64_ENCODE_LENGTH(n) + BASE64_ENCODE_FINAL_LENGTH + 1);
        struct base64_encode_ctx ctx;
        base64_encode_init(&ctx);
        memcpy(hdr, "Basic ", 6);
        size_t k = base64_encode_update(&ctx, hdr + 6, n, (const uint8_t *)c);
        k += base64_encode_final(&ctx, hdr + 6 + k);
        size_t len = 6 + k;
        /* A stored password that starts with "{SHA}" is a hash by definition (supervisord too), so
         * such a plain password can only be stored in its {SHA} form. */
        bool plain_ok = !strncmp(pass, "{SHA}", 5) || http_auth_header_ok(user, pass, hdr, len);
        if (!plain_ok || !http_auth_header_ok(user, sha, hdr, len)) {
                fprintf(stderr, "fuzz_http_auth: right credentials refused: %.*s\n", (int)len, hdr);
                abort();
        }
        if (http_auth_header_ok(user, longer, hdr, len)) {
                fprintf(stderr, "fuzz_http_auth: wrong password accepted: %.*s\n", (int)len, hdr);
                abort();
        }
        free(hdr);
        free(sha);
        free(longer);
        free(pass);
        free(user);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        /* An exact-size copy: ASan sees a read past the header's end. */
        char *v = xmalloc(size - 1 ? size - 1 : 1);
        memcpy(v, data + 1, size - 1);
        if (data[0] & 1)
                credentials(v, size - 1);
        else
                any_value(v, size - 1);
        free(v);
        return 0;
}
