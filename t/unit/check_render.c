/* check_render.c - the JSON writer (src/core/json_writer.c) against the exact
 * text Python 3's json.dumps() produces for the same values. */
#include <math.h>
#include <string.h>

#include <apr_strings.h>

#include "core/json_writer.h"
#include "suites.h"

/* Each test writes with w into bb, a fresh brigade on the test pool. */
static apr_bucket_brigade *bb;
static pfj_jw w;

static void writer_setup(void)
{
    bb = apr_brigade_create(pfj_test_pool,
                            apr_bucket_alloc_create(pfj_test_pool));
    pfj_jw_init(&w, bb, NULL, NULL);
}

/* What has been written since the last call; the writer starts over. */
static const char *take_output(void)
{
    char *text;
    apr_size_t len;

    ck_assert_int_eq(apr_brigade_pflatten(bb, &text, &len, pfj_test_pool),
                     APR_SUCCESS);
    apr_brigade_cleanup(bb);
    pfj_jw_init(&w, bb, NULL, NULL);
    return apr_pstrmemdup(pfj_test_pool, text, len);
}

START_TEST(test_nested_containers)
{
    pfj_jw_object_begin(&w);
    pfj_jw_key(&w, "a");
    pfj_jw_array_begin(&w);
    pfj_jw_int64(&w, 1);
    pfj_jw_double(&w, 2.5);
    pfj_jw_null(&w);
    pfj_jw_bool(&w, 1);
    pfj_jw_string(&w, "x");
    pfj_jw_array_end(&w);
    pfj_jw_key(&w, "b");
    pfj_jw_object_begin(&w);
    pfj_jw_object_end(&w);
    pfj_jw_object_end(&w);
    ck_assert_int_eq(w.status, APR_SUCCESS);
    ck_assert_str_eq(take_output(),
                     "{\"a\": [1, 2.5, null, true, \"x\"], \"b\": {}}");
}
END_TEST

START_TEST(test_empty_containers)
{
    pfj_jw_array_begin(&w);
    pfj_jw_array_end(&w);
    ck_assert_str_eq(take_output(), "[]");

    pfj_jw_object_begin(&w);
    pfj_jw_object_end(&w);
    ck_assert_str_eq(take_output(), "{}");

    pfj_jw_array_begin(&w);
    pfj_jw_array_begin(&w);
    pfj_jw_array_end(&w);
    pfj_jw_object_begin(&w);
    pfj_jw_object_end(&w);
    pfj_jw_array_begin(&w);
    pfj_jw_array_begin(&w);
    pfj_jw_array_end(&w);
    pfj_jw_array_end(&w);
    pfj_jw_array_end(&w);
    ck_assert_str_eq(take_output(), "[[], {}, [[]]]");
}
END_TEST

START_TEST(test_objects_in_array)
{
    pfj_jw_array_begin(&w);
    pfj_jw_object_begin(&w);
    pfj_jw_key(&w, "a");
    pfj_jw_int64(&w, 1);
    pfj_jw_key(&w, "b");
    pfj_jw_array_begin(&w);
    pfj_jw_bool(&w, 0);
    pfj_jw_array_end(&w);
    pfj_jw_object_end(&w);
    pfj_jw_object_begin(&w);
    pfj_jw_kv_null(&w, "c");
    pfj_jw_object_end(&w);
    pfj_jw_array_end(&w);
    ck_assert_str_eq(take_output(),
                     "[{\"a\": 1, \"b\": [false]}, {\"c\": null}]");
}
END_TEST

START_TEST(test_kv_shorthands)
{
    pfj_jw_object_begin(&w);
    pfj_jw_kv_string(&w, "s", "v");
    pfj_jw_kv_string(&w, "n", NULL);
    pfj_jw_kv_raw(&w, "r", "1.0");
    pfj_jw_kv_raw(&w, "rn", NULL);
    pfj_jw_key(&w, "i");
    pfj_jw_int64(&w, APR_INT64_MIN);
    pfj_jw_key(&w, "t");
    pfj_jw_bool(&w, 1);
    pfj_jw_key(&w, "f");
    pfj_jw_bool(&w, 0);
    pfj_jw_kv_null(&w, "z");
    pfj_jw_object_end(&w);
    ck_assert_str_eq(take_output(),
                     "{\"s\": \"v\", \"n\": null, \"r\": 1.0, \"rn\": null, "
                     "\"i\": -9223372036854775808, \"t\": true, "
                     "\"f\": false, \"z\": null}");
}
END_TEST

START_TEST(test_kv_digits_are_python_ints)
{
    pfj_jw_object_begin(&w);
    pfj_jw_kv_digits(&w, "a", "007");
    pfj_jw_kv_digits(&w, "b", "0");
    pfj_jw_kv_digits(&w, "c", "000");
    pfj_jw_kv_digits(&w, "d", "99999999999999999999999");
    pfj_jw_object_end(&w);
    ck_assert_str_eq(take_output(), "{\"a\": 7, \"b\": 0, \"c\": 0, "
                                    "\"d\": 99999999999999999999999}");
}
END_TEST

START_TEST(test_null_key_is_python_none)
{
    pfj_jw_object_begin(&w);
    pfj_jw_key(&w, NULL);
    pfj_jw_int64(&w, 1);
    pfj_jw_object_end(&w);
    ck_assert_str_eq(take_output(), "{\"null\": 1}");
}
END_TEST

START_TEST(test_top_level_scalars)
{
    pfj_jw_int64(&w, 42);
    ck_assert_str_eq(take_output(), "42");
    pfj_jw_string(&w, "x");
    ck_assert_str_eq(take_output(), "\"x\"");
    pfj_jw_string(&w, NULL);
    ck_assert_str_eq(take_output(), "null");
    pfj_jw_raw(&w, "1e-05");
    ck_assert_str_eq(take_output(), "1e-05");
}
END_TEST

START_TEST(test_numbers)
{
    pfj_jw_array_begin(&w);
    pfj_jw_int64(&w, APR_INT64_MIN);
    pfj_jw_int64(&w, APR_INT64_MAX);
    pfj_jw_int64(&w, 0);
    pfj_jw_double(&w, 0.1);
    pfj_jw_double(&w, 1e16);
    pfj_jw_double(&w, -0.0);
    pfj_jw_double(&w, NAN);
    pfj_jw_double(&w, -INFINITY);
    pfj_jw_array_end(&w);
    ck_assert_str_eq(take_output(),
                     "[-9223372036854775808, 9223372036854775807, 0, 0.1, "
                     "1e+16, -0.0, NaN, -Infinity]");
}
END_TEST

/* Raw bytes in, json.dumps(bytes.decode("utf-8", "replace")) out. */
static const struct {
    const char *in;
    const char *out;
} string_cases[] = {
    {"", "\"\""},
    {"plain /~ text", "\"plain /~ text\""},
    {"\"\\\n\r\t\b\f", "\"\\\"\\\\\\n\\r\\t\\b\\f\""},
    {"\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\""},
    {"\xc3\xa9", "\"\\u00e9\""},
    {"\xe2\x82\xac", "\"\\u20ac\""},
    {"\xef\xbf\xbf", "\"\\uffff\""},
    {"\xf0\x9f\x98\x80", "\"\\ud83d\\ude00\""},
    {"\xf4\x8f\xbf\xbf", "\"\\udbff\\udfff\""},
    {"caf\xc3\xa9 \xf0\x9f\x98\x80!", "\"caf\\u00e9 \\ud83d\\ude00!\""},
    /* invalid UTF-8: one U+FFFD per maximal invalid subpart */
    {"\xff", "\"\\ufffd\""},
    {"a\x80"
     "b",
     "\"a\\ufffdb\""},
    {"\xe2\x82", "\"\\ufffd\""},
    {"\xe2\x82"
     "A",
     "\"\\ufffdA\""},
    {"\xf0\x9f\x98", "\"\\ufffd\""},
    {"\xc0\xaf", "\"\\ufffd\\ufffd\""},
    {"\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""},
    {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},
    {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
    {"\xf5\x80", "\"\\ufffd\\ufffd\""},
};

START_TEST(test_string_escaping)
{
    pfj_jw_string(&w, string_cases[_i].in);
    ck_assert_str_eq(take_output(), string_cases[_i].out);
}
END_TEST

START_TEST(test_key_escaping)
{
    pfj_jw_object_begin(&w);
    pfj_jw_key(&w, "k\"\xc3\xa9");
    pfj_jw_int64(&w, 1);
    pfj_jw_object_end(&w);
    ck_assert_str_eq(take_output(), "{\"k\\\"\\u00e9\": 1}");
}
END_TEST

START_TEST(test_string_with_nul)
{
    pfj_jw_string_n(&w, "a\0b", 3);
    ck_assert_str_eq(take_output(), "\"a\\u0000b\"");
}
END_TEST

/* A flush callback that hands what the brigade holds over to a buffer,
 * the way ap_filter_flush passes it down the filter chain. */
typedef struct {
    int calls;
    char *text;
    apr_size_t len;
    apr_size_t cap;
} sink;

static apr_status_t drain_into_sink(apr_bucket_brigade *b, void *ctx)
{
    sink *s = ctx;
    apr_size_t len = s->cap - s->len;
    apr_status_t rv = apr_brigade_flatten(b, s->text + s->len, &len);

    s->calls++;
    s->len += len;
    apr_brigade_cleanup(b);
    return rv;
}

#define LONG_REPEATS 17000 /* 6 bytes each: about 100 KB */
#define LONG_PIECE "abc\xc3\xa9\n"
#define LONG_PIECE_JSON "abc\\u00e9\\n"

static char *repeat(const char *piece, int times)
{
    apr_size_t len = strlen(piece);
    char *text = apr_palloc(pfj_test_pool, len * times + 1);
    int i;

    for (i = 0; i < times; i++)
        memcpy(text + len * i, piece, len);
    text[len * times] = '\0';
    return text;
}

START_TEST(test_long_string_streams)
{
    const char *expected = apr_pstrcat(pfj_test_pool, "\"",
                                       repeat(LONG_PIECE_JSON, LONG_REPEATS),
                                       "\"", NULL);
    sink s = {0, NULL, 0, 0};
    apr_off_t held;

    s.cap = strlen(expected);
    s.text = apr_palloc(pfj_test_pool, s.cap);
    pfj_jw_init(&w, bb, drain_into_sink, &s);
    pfj_jw_string(&w, repeat(LONG_PIECE, LONG_REPEATS));
    ck_assert_int_eq(w.status, APR_SUCCESS);

    /* the brigade never held more than one buffer's worth */
    ck_assert_int_ge(s.calls, (int)(s.cap / APR_BUCKET_BUFF_SIZE));
    ck_assert_int_eq(apr_brigade_length(bb, 1, &held), APR_SUCCESS);
    ck_assert_int_le(held, APR_BUCKET_BUFF_SIZE);

    drain_into_sink(bb, &s);
    ck_assert_uint_eq(s.len, s.cap);
    ck_assert(memcmp(s.text, expected, s.cap) == 0);
}
END_TEST

static apr_status_t refuse_flush(apr_bucket_brigade *b, void *ctx)
{
    ++*(int *)ctx;
    apr_brigade_cleanup(b);
    return APR_ECONNABORTED;
}

START_TEST(test_first_error_is_kept)
{
    int calls = 0;
    apr_off_t before, after;

    pfj_jw_init(&w, bb, refuse_flush, &calls);
    pfj_jw_array_begin(&w);
    pfj_jw_string(&w, repeat("x", 3 * APR_BUCKET_BUFF_SIZE));
    ck_assert_int_eq(w.status, APR_ECONNABORTED);
    ck_assert_int_eq(calls, 1);

    apr_brigade_length(bb, 1, &before);
    pfj_jw_string(&w, repeat("y", 3 * APR_BUCKET_BUFF_SIZE));
    pfj_jw_int64(&w, 1);
    pfj_jw_array_end(&w);
    apr_brigade_length(bb, 1, &after);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(before, after);
    ck_assert_int_eq(w.status, APR_ECONNABORTED);
}
END_TEST

START_TEST(test_max_depth)
{
    int i;

    for (i = 0; i < PFJ_JW_MAX_DEPTH; i++)
        pfj_jw_array_begin(&w);
    for (i = 0; i < PFJ_JW_MAX_DEPTH; i++)
        pfj_jw_array_end(&w);
    ck_assert_int_eq(w.status, APR_SUCCESS);
    ck_assert_str_eq(take_output(),
                     apr_pstrcat(pfj_test_pool, repeat("[", PFJ_JW_MAX_DEPTH),
                                 repeat("]", PFJ_JW_MAX_DEPTH), NULL));
}
END_TEST

START_TEST(test_too_deep_stops_writing)
{
    int i;

    for (i = 0; i <= PFJ_JW_MAX_DEPTH; i++)
        pfj_jw_object_begin(&w);
    ck_assert_int_eq(w.status, APR_EINVAL);
    pfj_jw_key(&w, "a");
    pfj_jw_int64(&w, 1);
    pfj_jw_object_end(&w);
    ck_assert_int_eq(w.status, APR_EINVAL);
    ck_assert_str_eq(take_output(), repeat("{", PFJ_JW_MAX_DEPTH));
}
END_TEST

START_TEST(test_misuse_is_an_error)
{
    pfj_jw_array_end(&w);
    ck_assert_int_eq(w.status, APR_EINVAL);
    take_output();

    pfj_jw_key(&w, "top-level");
    ck_assert_int_eq(w.status, APR_EINVAL);
    take_output();

    pfj_jw_object_begin(&w);
    pfj_jw_key(&w, "a");
    pfj_jw_key(&w, "b");
    ck_assert_int_eq(w.status, APR_EINVAL);
    ck_assert_str_eq(take_output(), "{\"a\": ");

    pfj_jw_object_begin(&w);
    pfj_jw_key(&w, "a");
    pfj_jw_object_end(&w);
    ck_assert_int_eq(w.status, APR_EINVAL);
}
END_TEST

/* JSON text parsed by json-c, and what json.dumps(json.loads(text))
 * prints for it. */
static const struct {
    const char *in;
    const char *out;
} json_cases[] = {
    {"{\"x\":1.50,\"y\":[1,2],\"z\":\"\\u00e9\"}",
     "{\"x\": 1.5, \"y\": [1, 2], \"z\": \"\\u00e9\"}"},
    {"{\"b\":1,\"a\":{\"d\":[],\"c\":{}}}",
     "{\"b\": 1, \"a\": {\"d\": [], \"c\": {}}}"},
    {"[true,false,null,\"\",0,-0.0,1E2,1e-7,0.1]",
     "[true, false, null, \"\", 0, -0.0, 100.0, 1e-07, 0.1]"},
    {"[9223372036854775807,-9223372036854775808,18446744073709551615]",
     "[9223372036854775807, -9223372036854775808, 18446744073709551615]"},
    {"\"a\\u0000b\"", "\"a\\u0000b\""},
    {"\"\\ud83d\\ude00 \\u007f/\\/\"", "\"\\ud83d\\ude00 \\u007f//\""},
    {"{\"k\\\"ey\":\"v\\\\\"}", "{\"k\\\"ey\": \"v\\\\\"}"},
    {"123", "123"},
    {"[ ]", "[]"},
};

START_TEST(test_json_value)
{
    struct json_object *o = json_tokener_parse(json_cases[_i].in);

    ck_assert_ptr_nonnull(o);
    ck_assert_pstr_eq(pfj_json_to_string(pfj_test_pool, o),
                      json_cases[_i].out);
    json_object_put(o);
}
END_TEST

START_TEST(test_json_as_object_value)
{
    struct json_object *o = json_tokener_parse("{\"k\":[1,{\"n\":null}]}");

    ck_assert_ptr_nonnull(o);
    pfj_jw_array_begin(&w);
    pfj_jw_int64(&w, 0);
    pfj_jw_object_begin(&w);
    pfj_jw_key(&w, "data");
    pfj_jw_json(&w, o);
    pfj_jw_kv_null(&w, "environ");
    pfj_jw_object_end(&w);
    pfj_jw_json(&w, NULL);
    pfj_jw_array_end(&w);
    json_object_put(o);
    ck_assert_str_eq(take_output(),
                     "[0, {\"data\": {\"k\": [1, {\"n\": null}]}, "
                     "\"environ\": null}, null]");
}
END_TEST

START_TEST(test_json_null_pointer)
{
    ck_assert_str_eq(pfj_json_to_string(pfj_test_pool, NULL), "null");
}
END_TEST

/* Nested arrays, depth of them; returns the outermost. */
static struct json_object *nested_arrays(int depth)
{
    struct json_object *outer = json_object_new_array();
    struct json_object *inner = outer;
    int i;

    for (i = 1; i < depth; i++) {
        struct json_object *next = json_object_new_array();

        json_object_array_add(inner, next);
        inner = next;
    }
    return outer;
}

START_TEST(test_json_too_deep)
{
    struct json_object *deepest_allowed = nested_arrays(PFJ_JW_MAX_DEPTH);
    struct json_object *too_deep = nested_arrays(PFJ_JW_MAX_DEPTH + 1);

    ck_assert_ptr_nonnull(pfj_json_to_string(pfj_test_pool, deepest_allowed));
    ck_assert_ptr_null(pfj_json_to_string(pfj_test_pool, too_deep));
    json_object_put(deepest_allowed);
    json_object_put(too_deep);
}
END_TEST

Suite *pfj_suite_render(void)
{
    Suite *s = suite_create("render");
    TCase *tc = tcase_create("writer");

    tcase_add_checked_fixture(tc, pfj_test_pool_setup, pfj_test_pool_teardown);
    tcase_add_checked_fixture(tc, writer_setup, NULL);
    tcase_add_test(tc, test_nested_containers);
    tcase_add_test(tc, test_empty_containers);
    tcase_add_test(tc, test_objects_in_array);
    tcase_add_test(tc, test_kv_shorthands);
    tcase_add_test(tc, test_kv_digits_are_python_ints);
    tcase_add_test(tc, test_null_key_is_python_none);
    tcase_add_test(tc, test_top_level_scalars);
    tcase_add_test(tc, test_numbers);
    tcase_add_loop_test(tc, test_string_escaping, 0, N_CASES(string_cases));
    tcase_add_test(tc, test_key_escaping);
    tcase_add_test(tc, test_string_with_nul);
    tcase_add_test(tc, test_long_string_streams);
    tcase_add_test(tc, test_first_error_is_kept);
    tcase_add_test(tc, test_max_depth);
    tcase_add_test(tc, test_too_deep_stops_writing);
    tcase_add_test(tc, test_misuse_is_an_error);
    tcase_add_loop_test(tc, test_json_value, 0, N_CASES(json_cases));
    tcase_add_test(tc, test_json_as_object_value);
    tcase_add_test(tc, test_json_null_pointer);
    tcase_add_test(tc, test_json_too_deep);
    suite_add_tcase(s, tc);
    return s;
}
