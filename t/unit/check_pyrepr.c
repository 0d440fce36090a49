/* check_pyrepr.c - Python reprs (src/core/pyrepr.c) against the exact text
 * Python 3.11 prints for the same values. */
#include <math.h>
#include <string.h>

#include <apr_strings.h>

#include "core/pyrepr.h"
#include "suites.h"

/* An input text and the repr expected for it. */
typedef struct {
    const char *in;
    const char *out;
} text_case;

/* UTF-8 in, repr(in.decode("utf-8")) out. */
static const text_case str_cases[] = {
    {"", "''"},
    {"abc", "'abc'"},
    /* the quote: ' unless the text has a ' and no " */
    {"it's", "\"it's\""},
    {"say \"hi\"", "'say \"hi\"'"},
    {"both '\" kinds", "'both \\'\" kinds'"},
    {"back\\slash", "'back\\\\slash'"},
    {"a\nb\rc\td", "'a\\nb\\rc\\td'"},
    {"\x01\x1f\x7f", "'\\x01\\x1f\\x7f'"},
    {"\x08\x0c\x0b\x1b", "'\\x08\\x0c\\x0b\\x1b'"},
    /* printable non-ASCII is kept: é, 日本, 😀, U+FFFD */
    {"caf\xc3\xa9", "'caf\xc3\xa9'"},
    {"\xe6\x97\xa5\xe6\x9c\xac", "'\xe6\x97\xa5\xe6\x9c\xac'"},
    {"\xf0\x9f\x98\x80", "'\xf0\x9f\x98\x80'"},
    {"\xef\xbf\xbd", "'\xef\xbf\xbd'"},
    /* non-printable non-ASCII: the shortest of \x, \u, \U */
    {"\xc2\x85", "'\\x85'"},       /* NEXT LINE (Cc) */
    {"\xc2\xa0", "'\\xa0'"},       /* NO-BREAK SPACE (Zs) */
    {"\xc2\xad", "'\\xad'"},       /* SOFT HYPHEN (Cf) */
    {"\xd8\x9c", "'\\u061c'"},     /* ARABIC LETTER MARK */
    {"\xe1\x9a\x80", "'\\u1680'"}, /* OGHAM SPACE MARK */
    {"\xe2\x80\x8b", "'\\u200b'"}, /* ZERO WIDTH SPACE */
    {"\xe2\x80\xa8", "'\\u2028'"}, /* LINE SEPARATOR */
    {"\xe2\x80\xa9", "'\\u2029'"}, /* PARAGRAPH SEPARATOR */
    {"\xe3\x80\x80", "'\\u3000'"}, /* IDEOGRAPHIC SPACE */
    {"\xee\x80\x80", "'\\ue000'"}, /* private use */
    {"\xef\xa3\xbf", "'\\uf8ff'"},
    {"\xef\xbb\xbf", "'\\ufeff'"}, /* BYTE ORDER MARK */
    {"\xef\xb7\x90", "'\\ufdd0'"}, /* noncharacters */
    {"\xef\xbf\xbe", "'\\ufffe'"},
    {"\xef\xbf\xbf", "'\\uffff'"},
    {"\xf0\x9f\xbf\xbe", "'\\U0001fffe'"},
    {"\xf0\x9d\x85\xb3", "'\\U0001d173'"}, /* musical format control */
    {"\xf3\xa0\x80\x81", "'\\U000e0001'"}, /* LANGUAGE TAG */
    {"\xf3\xa0\x81\x81", "'\\U000e0041'"}, /* TAG LATIN CAPITAL A */
    {"\xf3\xb0\x80\x80", "'\\U000f0000'"}, /* private use */
    {"\xf4\x8f\xbf\xbf", "'\\U0010ffff'"},
    /* invalid UTF-8: one U+FFFD per maximal ill-formed subpart, as
     * bytes.decode("utf-8", "replace") gives */
    {"\xff", "'\xef\xbf\xbd'"},
    {"a\x80"
     "b",
     "'a\xef\xbf\xbd"
     "b'"},
    {"\xe6\x97", "'\xef\xbf\xbd'"},
    {"\xe6\x97x", "'\xef\xbf\xbdx'"},
    {"\xf0\x9f\x98", "'\xef\xbf\xbd'"},
    {"\xc0\xaf", "'\xef\xbf\xbd\xef\xbf\xbd'"},
    {"\xed\xa0\x80", "'\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd'"},
    {"\xf4\x90\x80\x80", "'\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd'"},
};

START_TEST(test_str_repr)
{
    ck_assert_str_eq(pfj_py_repr_str(pfj_test_pool, str_cases[_i].in),
                     str_cases[_i].out);
}
END_TEST

START_TEST(test_str_repr_null_is_none)
{
    ck_assert_str_eq(pfj_py_repr_str(pfj_test_pool, NULL), "None");
}
END_TEST

/* Longer than any buffer the repr starts with. */
START_TEST(test_long_str_repr)
{
    enum { REPEATS = 5000 };
    char *in = apr_palloc(pfj_test_pool, 3 * REPEATS + 1);
    char *out = apr_palloc(pfj_test_pool, 4 * REPEATS + 3);
    int i;

    out[0] = '\'';
    for (i = 0; i < REPEATS; i++) {
        memcpy(in + 3 * i, "\xc3\xa9\n", 3); /* é and a newline */
        memcpy(out + 1 + 4 * i, "\xc3\xa9\\n", 4);
    }
    in[3 * REPEATS] = '\0';
    memcpy(out + 1 + 4 * REPEATS, "'", 2);
    ck_assert_str_eq(pfj_py_repr_str(pfj_test_pool, in), out);
}
END_TEST

static apr_status_t release_json(void *o)
{
    json_object_put(o);
    return APR_SUCCESS;
}

/* The value of JSON text, released with the test pool. */
static json_object *json_value(const char *text)
{
    json_object *o = json_tokener_parse(text);

    ck_assert_msg(o != NULL || strcmp(text, "null") == 0,
                  "unparsable test input %s", text);
    apr_pool_cleanup_register(pfj_test_pool, o, release_json,
                              apr_pool_cleanup_null);
    return o;
}

/* The repr of the value, released right away. */
static const char *repr_of(json_object *o)
{
    apr_pool_cleanup_register(pfj_test_pool, o, release_json,
                              apr_pool_cleanup_null);
    return pfj_py_repr(pfj_test_pool, o);
}

/* JSON text in, repr(json.loads(text)) out. */
static const text_case json_cases[] = {
    {"null", "None"},
    {"true", "True"},
    {"false", "False"},
    {"0", "0"},
    {"-0", "0"},
    {"-1", "-1"},
    {"42", "42"},
    {"9223372036854775807", "9223372036854775807"},
    {"-9223372036854775808", "-9223372036854775808"},
    {"9223372036854775808", "9223372036854775808"},
    {"18446744073709551615", "18446744073709551615"},
    {"1.0", "1.0"},
    {"-0.0", "-0.0"},
    {"0.1", "0.1"},
    {"1.5", "1.5"},
    {"1e-05", "1e-05"},
    {"0.00001234", "1.234e-05"},
    {"1E2", "100.0"},
    {"1e16", "1e+16"},
    {"2.5e-7", "2.5e-07"},
    {"1e400", "inf"},
    {"-1e400", "-inf"},
    {"\"x\"", "'x'"},
    {"\"\\u0000\"", "'\\x00'"},
    {"\"a\\u0000b'\"", "\"a\\x00b'\""},
    {"\"\\u00e9\\u00a0\\n\"", "'\xc3\xa9\\xa0\\n'"},
    {"[]", "[]"},
    {"{}", "{}"},
    {"[1, \"a\"]", "[1, 'a']"},
    {"{\"k\": 1, \"x\": [null]}", "{'k': 1, 'x': [None]}"},
    {"{\"b\": 1, \"a\": 2}", "{'b': 1, 'a': 2}"}, /* document order */
    {"{\"a\": 1, \"a\": 2}", "{'a': 2}"},         /* last one wins */
    {"{\"it's\": \"say \\\"hi\\\"\"}", "{\"it's\": 'say \"hi\"'}"},
    {"[[[]], {}, [{}]]", "[[[]], {}, [{}]]"},
    {"{\"a\": {\"b\": [true, false, {\"c\": 0.5}]}, \"d\": -7}",
     "{'a': {'b': [True, False, {'c': 0.5}]}, 'd': -7}"},
};

START_TEST(test_json_repr)
{
    ck_assert_str_eq(pfj_py_repr(pfj_test_pool, json_value(json_cases[_i].in)),
                     json_cases[_i].out);
}
END_TEST

START_TEST(test_json_repr_null_is_none)
{
    ck_assert_str_eq(pfj_py_repr(pfj_test_pool, NULL), "None");
}
END_TEST

/* Unlike json.dumps (NaN, Infinity), repr spells them nan, inf. */
START_TEST(test_json_repr_non_finite)
{
    ck_assert_str_eq(repr_of(json_object_new_double(NAN)), "nan");
    ck_assert_str_eq(repr_of(json_object_new_double(INFINITY)), "inf");
    ck_assert_str_eq(repr_of(json_object_new_double(-INFINITY)), "-inf");
}
END_TEST

/* A string set by length keeps what follows a NUL. */
START_TEST(test_json_repr_string_len)
{
    ck_assert_str_eq(repr_of(json_object_new_string_len("a\0b", 3)),
                     "'a\\x00b'");
}
END_TEST

#define SHOWN_LISTS 100 /* MAX_REPR_DEPTH of src/core/pyrepr.c */

/* Nesting deeper than any parsed body is cut short, the way Python prints
 * a list that holds itself: 100 lists shown, the 101st as [...]. */
START_TEST(test_json_repr_depth_is_bounded)
{
    json_object *deep = json_object_new_array();
    char *expected = apr_palloc(pfj_test_pool,
                                2 * SHOWN_LISTS + sizeof("[...]"));
    int i;

    for (i = 0; i <= SHOWN_LISTS; i++) {
        json_object *outer = json_object_new_array();

        json_object_array_add(outer, deep);
        deep = outer;
    }
    memset(expected, '[', SHOWN_LISTS);
    memcpy(expected + SHOWN_LISTS, "[...]", 5);
    memset(expected + SHOWN_LISTS + 5, ']', SHOWN_LISTS);
    expected[2 * SHOWN_LISTS + 5] = '\0';
    ck_assert_str_eq(repr_of(deep), expected);
}
END_TEST

/* An array of the NULL-terminated strs. */
static apr_array_header_t *str_array(const char *const *strs)
{
    apr_array_header_t *a = apr_array_make(pfj_test_pool, 4,
                                           sizeof(const char *));

    for (; *strs != NULL; strs++)
        APR_ARRAY_PUSH(a, const char *) = *strs;
    return a;
}

/* Up to 4 strings (NULL-terminated) and the repr of their set. */
static const struct {
    const char *in[5];
    const char *out;
} set_cases[] = {
    {{NULL}, "set()"},
    {{"id", NULL}, "{'id'}"},
    {{"b", "a", NULL}, "{'a', 'b'}"},
    {{"b", "B", "a", "_", NULL}, "{'B', '_', 'a', 'b'}"}, /* bytewise */
    {{"a", "b", "a", NULL}, "{'a', 'b'}"},
    {{"it's", "x", NULL}, "{\"it's\", 'x'}"},
    {{"\xc3\xa9", "z", NULL}, "{'z', '\xc3\xa9'}"},
};

START_TEST(test_set_repr)
{
    ck_assert_str_eq(pfj_py_set_repr(pfj_test_pool,
                                     str_array(set_cases[_i].in)),
                     set_cases[_i].out);
}
END_TEST

/* The set is sorted on a copy; the caller's array keeps its order. */
START_TEST(test_set_repr_keeps_input)
{
    static const char *const strs[] = {"b", "a", "b", NULL};
    apr_array_header_t *a = str_array(strs);

    ck_assert_str_eq(pfj_py_set_repr(pfj_test_pool, a), "{'a', 'b'}");
    ck_assert_int_eq(a->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(a, 0, const char *), "b");
    ck_assert_str_eq(APR_ARRAY_IDX(a, 1, const char *), "a");
    ck_assert_str_eq(APR_ARRAY_IDX(a, 2, const char *), "b");
}
END_TEST

START_TEST(test_set_repr_null_is_empty)
{
    ck_assert_str_eq(pfj_py_set_repr(pfj_test_pool, NULL), "set()");
}
END_TEST

START_TEST(test_dict_keys_repr)
{
    static const char *const none[] = {NULL};
    static const char *const keys[] = {"b", "a", "it's", NULL};

    ck_assert_str_eq(pfj_py_dict_keys_repr(pfj_test_pool, str_array(none)),
                     "dict_keys([])");
    ck_assert_str_eq(pfj_py_dict_keys_repr(pfj_test_pool, str_array(keys)),
                     "dict_keys(['b', 'a', \"it's\"])");
    ck_assert_str_eq(pfj_py_dict_keys_repr(pfj_test_pool, NULL),
                     "dict_keys([])");
}
END_TEST

static TCase *pool_tcase(const char *name)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, pfj_test_pool_setup, pfj_test_pool_teardown);
    return tc;
}

Suite *pfj_suite_pyrepr(void)
{
    Suite *s = suite_create("pyrepr");
    TCase *tc;

    tc = pool_tcase("str");
    tcase_add_loop_test(tc, test_str_repr, 0, N_CASES(str_cases));
    tcase_add_test(tc, test_str_repr_null_is_none);
    tcase_add_test(tc, test_long_str_repr);
    suite_add_tcase(s, tc);

    tc = pool_tcase("json");
    tcase_add_loop_test(tc, test_json_repr, 0, N_CASES(json_cases));
    tcase_add_test(tc, test_json_repr_null_is_none);
    tcase_add_test(tc, test_json_repr_non_finite);
    tcase_add_test(tc, test_json_repr_string_len);
    tcase_add_test(tc, test_json_repr_depth_is_bounded);
    suite_add_tcase(s, tc);

    tc = pool_tcase("set");
    tcase_add_loop_test(tc, test_set_repr, 0, N_CASES(set_cases));
    tcase_add_test(tc, test_set_repr_keeps_input);
    tcase_add_test(tc, test_set_repr_null_is_empty);
    tcase_add_test(tc, test_dict_keys_repr);
    suite_add_tcase(s, tc);

    return s;
}
