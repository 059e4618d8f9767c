/* SPDX-License-Identifier: MIT */
/* text — UTF-8 well-formedness, XML 1.0's character rules, and U+FFFD repair. */
#include "shared/text.h"

#include <stdbool.h>
#include <string.h>

#include "shared/util.h"

static bool
cont(unsigned char c)
{
        return (c & 0xc0) == 0x80;
}

size_t
text_utf8_len(const char *str, size_t left)
{
        const unsigned char *s = (const unsigned char *)str;
        unsigned char c = s[0];
        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                return left >= 2 && cont(s[1]) ? 2 : 0;
        if (c >= 0xe0 && c <= 0xef) {
                if (left < 3 || !cont(s[1]) || !cont(s[2]))
                        return 0;
                if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))   /* overlong, surrogate */
                        return 0;
                return 3;
        }
        if (c >= 0xf0 && c <= 0xf4) {
                if (left < 4 || !cont(s[1]) || !cont(s[2]) || !cont(s[3]))
                        return 0;
                if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))   /* overlong, > U+10FFFF */
                        return 0;
                return 4;
        }
        return 0;
}

size_t
text_utf8_complete(const char *str, size_t len)
{
        const unsigned char *s = (const unsigned char *)str;
        for (size_t back = 1; back <= 3 && back <= len; back++) {
                unsigned char c = s[len - back];
                if (cont(c))
                        continue;
                size_t need = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 1;
                return need > back ? len - back : len;
        }
        return len;
}

size_t
text_xml_char_len(const char *str, size_t left)
{
        const unsigned char *s = (const unsigned char *)str;
        size_t n = text_utf8_len(str, left);
        if (n == 1 && s[0] < 0x20 && s[0] != '\t' && s[0] != '\n' && s[0] != '\r')
                return 0;
        if (n == 3 && s[0] == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf))
                return 0;
        return n;
}

char *
text_utf8_fix(const char *s, size_t len, size_t *ret_len)
{
        size_t i = 0, n;
        while (i < len && (n = text_utf8_len(s + i, len - i)))
                i += n;
        if (i == len)
                return NULL;
        char *b = xmalloc(len * 3 + 1);         /* each bad byte grows to 3 at most */
        memcpy(b, s, i);
        size_t bl = i;
        while (i < len) {
                if ((n = text_utf8_len(s + i, len - i))) {
                        memcpy(b + bl, s + i, n);
                        bl += n;
                        i += n;
                } else {
                        memcpy(b + bl, "\xef\xbf\xbd", 3);      /* U+FFFD */
                        bl += 3;
                        i++;
                }
        }
        b[bl] = '\0';
        if (ret_len)
                *ret_len = bl;
        return b;
}
