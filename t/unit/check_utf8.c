/* check_utf8.c - UTF-8 decoding (src/core/utf8.c): code points, and the
 * maximal ill-formed subparts Python replaces one by one. */
#include <string.h>

#include "suites.h"
#include "core/utf8.h"

static const struct {
    const char *bytes;
    unsigned cp; /* PFJ_UTF8_INVALID: ill-formed */
    apr_size_t len;
} decode_cases[] = {
    {"A", 'A', 1},
    {"\xc3\xa9", 0xE9, 2},
    {"\xe6\x97\xa5", 0x65E5, 3},
    {"\xf0\x9f\x98\x80", 0x1F600, 4},
    {"\xef\xbf\xbd", 0xFFFD, 3},
    {"\xff", PFJ_UTF8_INVALID, 1},             /* no lead byte */
    {"\x80", PFJ_UTF8_INVALID, 1},             /* a continuation alone */
    {"\xc0\xaf", PFJ_UTF8_INVALID, 1},         /* overlong: C0 never leads */
    {"\xe0\x80\x80", PFJ_UTF8_INVALID, 1},     /* overlong 3-byte form */
    {"\xed\xa0\x80", PFJ_UTF8_INVALID, 1},     /* a surrogate */
    {"\xf4\x90\x80\x80", PFJ_UTF8_INVALID, 1}, /* above U+10FFFF */
    {"\xe6\x97", PFJ_UTF8_INVALID, 2},         /* cut short */
    {"\xe6\x97x", PFJ_UTF8_INVALID, 2},
    {"\xf0\x9f\x98", PFJ_UTF8_INVALID, 3},
};

START_TEST(test_decode)
{
    const char *b = decode_cases[_i].bytes;
    unsigned cp = 0;
    apr_size_t len = pfj_utf8_decode((const unsigned char *)b, strlen(b), &cp);

    ck_assert_uint_eq(cp, decode_cases[_i].cp);
    ck_assert_uint_eq(len, decode_cases[_i].len);
}
END_TEST

START_TEST(test_valid_and_length)
{
    ck_assert(pfj_utf8_valid("a\xc3\xa9\xf0\x9f\x98\x80", 7));
    ck_assert(!pfj_utf8_valid("a\xc3", 2));
    ck_assert(!pfj_utf8_valid("\xed\xa0\x80", 3));
    ck_assert(pfj_utf8_valid("", 0));
    ck_assert_uint_eq(pfj_utf8_length("a\xc3\xa9\xf0\x9f\x98\x80"), 3);
    ck_assert_uint_eq(pfj_utf8_length(""), 0);
}
END_TEST

Suite *pfj_suite_utf8(void)
{
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("decode");

    tcase_add_loop_test(tc, test_decode, 0, PFJ_COUNT(decode_cases));
    tcase_add_test(tc, test_valid_and_length);
    suite_add_tcase(s, tc);
    return s;
}
