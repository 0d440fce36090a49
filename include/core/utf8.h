/*
 * utf8.h - UTF-8 decoding, once for the router, the JSON writer, the
 * Python reprs and the length checks.  Ill-formed input is cut the way
 * Python's bytes.decode(errors="replace") cuts it - one replacement per
 * maximal ill-formed subpart (Unicode 3.9, Table 3-7) - since the
 * reference's answers are what Python made of such bytes.
 */
#ifndef PFJ_CORE_UTF8_H
#define PFJ_CORE_UTF8_H

#include <apr.h>

#define PFJ_UTF8_INVALID 0xFFFFFFFFu /* not a code point */
#define PFJ_UTF8_REPLACEMENT 0xFFFDu
#define PFJ_UTF8_REPLACEMENT_TEXT "\xef\xbf\xbd"

/* Decodes the sequence at s (avail > 0 bytes left) into *cp and returns
 * its length; for an ill-formed sequence (bad lead byte, overlong form,
 * surrogate, above U+10FFFF, cut short) *cp is PFJ_UTF8_INVALID and the
 * length that of its maximal ill-formed subpart, at least 1. */
apr_size_t pfj_utf8_decode(const unsigned char *s, apr_size_t avail,
                           unsigned *cp);

/* 1 when s[0..len) is well-formed UTF-8. */
int pfj_utf8_valid(const char *s, apr_size_t len);

/* Number of characters of a well-formed UTF-8 string. */
apr_size_t pfj_utf8_length(const char *s);

#endif
