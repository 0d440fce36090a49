/*
 * utf8.c - UTF-8 decoding (see utf8.h).
 */
#include "core/utf8.h"

apr_size_t pfj_utf8_decode(const unsigned char *s, apr_size_t avail,
                           unsigned *cp)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    apr_size_t len, i;

    *cp = PFJ_UTF8_INVALID;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        c &= 0x1F;
    }
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        c &= 0x0F;
        lo = c == 0x0 ? 0xA0 : 0x80; /* E0 80..9F would be overlong */
        hi = c == 0xD ? 0x9F : 0xBF; /* ED A0..BF would be a surrogate */
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        c &= 0x07;
        lo = c == 0x0 ? 0x90 : 0x80; /* F0 80..8F would be overlong */
        hi = c == 0x4 ? 0x8F : 0xBF; /* F4 90.. would be above U+10FFFF */
    }
    else {
        return 1;
    }
    for (i = 1; i < len; i++, lo = 0x80, hi = 0xBF) {
        if (i == avail || s[i] < lo || s[i] > hi) {
            return i;
        }
        c = c << 6 | (s[i] & 0x3F);
    }
    *cp = c;
    return len;
}

int pfj_utf8_valid(const char *s, apr_size_t len)
{
    const unsigned char *in = (const unsigned char *)s;
    apr_size_t i = 0;
    unsigned cp;

    while (i < len) {
        i += pfj_utf8_decode(in + i, len - i, &cp);
        if (cp == PFJ_UTF8_INVALID) {
            return 0;
        }
    }
    return 1;
}

apr_size_t pfj_utf8_length(const char *s)
{
    apr_size_t n = 0;

    for (; *s; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}
