/* SPDX-License-Identifier: MIT */
/* http_auth — HTTP Basic credentials (RFC 7617) checked the way supervisord does (compat G.3):
 * the scheme case-insensitive, the decoded bytes compared whole, with their lengths. */
#include "ctl/http.h"

#include <nettle/base64.h>
#include <nettle/sha1.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shared/util.h"

/* Equal length and contents, in time that depends on the lengths only. */
static bool
ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
        unsigned char diff = alen != blen;
        size_t n = alen < blen ? alen : blen;
        for (size_t i = 0; i < n; i++)
                diff |= (unsigned char)(a[i] ^ b[i]);
        return diff == 0;
}

bool
http_auth_ok(const char *want_user, const char *want_pass, const char *user, const char *pass)
{
        if (!want_user)
                return true;
        if (!user || !pass || !want_pass)
                return false;
        bool ok = ct_equal(want_user, strlen(want_user), user, strlen(user));
        if (!strncmp(want_pass, "{SHA}", 5)) {
                struct sha1_ctx ctx;
                uint8_t dig[SHA1_DIGEST_SIZE];
                char hex[2 * SHA1_DIGEST_SIZE + 1];
                sha1_init(&ctx);
                sha1_update(&ctx, strlen(pass), (const uint8_t *)pass);
                sha1_digest(&ctx, sizeof dig, dig);
                for (size_t i = 0; i < sizeof dig; i++)
                        snprintf(hex + 2 * i, 3, "%02x", dig[i]);
                ok &= ct_equal(want_pass + 5, strlen(want_pass + 5), hex, 2 * SHA1_DIGEST_SIZE);
        } else {
                ok &= ct_equal(want_pass, strlen(want_pass), pass, strlen(pass));
        }
        return ok;
}


static bool
is_blank(char c)
{
        return c == ' ' || c == '\t';
}

bool
http_auth_header_ok(const char *want_user, const char *want_pass, const char *value, size_t len)
{
        if (!want_user)
                return true;
        if (!value)
                return false;
        /* "Basic" (any case), at least one blank, the token68; trailing blanks ignored. */
        if (len < 6 || strncasecmp(value, "basic", 5) || !is_blank(value[5]))
                return false;
        size_t i = 6;
        while (i < len && is_blank(value[i]))
                i++;
        while (len > i && is_blank(value[len - 1]))
                len--;
        const char *b64 = value + i;
        size_t b64_len = len - i;

        struct base64_decode_ctx ctx;
        size_t cap = BASE64_DECODE_LENGTH(b64_len) + 1, n = cap;
        uint8_t *plain = xmalloc(cap);
        base64_decode_init(&ctx);
        bool ok = base64_decode_update(&ctx, &n, plain, b64_len, b64) && base64_decode_final(&ctx);
        /* A NUL would end the C strings compared below early: "s3cret\0x" is not "s3cret". */
        uint8_t *colon = ok ? memchr(plain, ':', n) : NULL;
        ok = colon && !memchr(plain, '\0', n);
        if (ok) {
                plain[n] = '\0';
                *colon = '\0';
                ok = http_auth_ok(want_user, want_pass, (const char *)plain, (const char *)colon + 1);
        }
        explicit_bzero(plain, cap);
        free(plain);
        return ok;
}
