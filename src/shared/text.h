/* SPDX-License-Identifier: MIT */
/* text — UTF-8 and XML-safe text: the one well-formedness check the XML-RPC encoder, the JSON API
 * and the client share. Pure. */
#ifndef CORRAL_TEXT_H
#define CORRAL_TEXT_H

#include <stddef.h>

/* Length (1-4) of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates, at
 * most U+10FFFF), or 0. left >= 1 bytes are readable. */
size_t text_utf8_len(const char *s, size_t left);

/* The same, and also 0 for a character XML 1.0 forbids: controls other than tab, LF and CR, and
 * U+FFFE/U+FFFF. */
size_t text_xml_char_len(const char *s, size_t left);

/* The length of s[0..len) without a trailing multibyte sequence that may still be completed by the
 * bytes that follow (at most 3 bytes are held back): where a stream can be cut and escaped. */
size_t text_utf8_complete(const char *s, size_t len);

/* s[0..len) with each byte that is not part of well-formed UTF-8 replaced by U+FFFD: NULL when s is
 * well-formed already (the usual case: no copy), else a malloc'd NUL-terminated copy whose length
 * goes to *ret_len (when not NULL). */
char *text_utf8_fix(const char *s, size_t len, size_t *ret_len);

#endif
