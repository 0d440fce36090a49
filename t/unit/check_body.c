/* check_body.c - request-body media types and strict JSON (§0.2). */
#include <string.h>
#include "suites.h"
#include "core/json_body.h"

static const char *mimetype;

START_TEST(media_types)
{
    ck_assert_int_eq(pfj_media_classify(pfj_test_pool, "application/json",
                                        &mimetype),
                     PFJ_MEDIA_JSON);
    ck_assert_str_eq(mimetype, "application/json");
    ck_assert_int_eq(pfj_media_classify(pfj_test_pool,
                                        " Application/JSON ; charset=UTF-8",
                                        &mimetype),
                     PFJ_MEDIA_JSON);
    ck_assert_str_eq(mimetype, "application/json");
    ck_assert_int_eq(pfj_media_classify(pfj_test_pool, "text/csv", &mimetype),
                     PFJ_MEDIA_PASS);
    ck_assert_int_eq(pfj_media_classify(pfj_test_pool,
                                        "multipart/form-data; boundary=x",
                                        &mimetype),
                     PFJ_MEDIA_PASS);
    ck_assert_int_eq(pfj_media_classify(pfj_test_pool,
                                        "application/x-www-form-urlencoded",
                                        &mimetype),
                     PFJ_MEDIA_PASS);
    ck_assert_int_eq(pfj_media_classify(pfj_test_pool, "application/zip",
                                        &mimetype),
                     PFJ_MEDIA_PASS);
    ck_assert_int_eq(pfj_media_classify(pfj_test_pool, "text/plain",
                                        &mimetype),
                     PFJ_MEDIA_OTHER);
    ck_assert_str_eq(mimetype, "text/plain");
    ck_assert_int_eq(pfj_media_classify(pfj_test_pool, NULL, &mimetype),
                     PFJ_MEDIA_OTHER);
    ck_assert_str_eq(mimetype, "");
}
END_TEST

static int parse(const char *text, json_object **o)
{
    return pfj_json_parse(pfj_test_pool, text, strlen(text), o);
}

START_TEST(json_documents)
{
    json_object *o;

    ck_assert_int_eq(parse(" {\"a\": [1, 2.5]}\n", &o), 0);
    ck_assert_int_eq(json_object_get_type(o), json_type_object);
    ck_assert_int_eq(parse("42", &o), 0);
    ck_assert_int_eq(json_object_get_int64(o), 42);
    ck_assert_int_eq(parse("1.5", &o), 0);
    ck_assert_int_eq(json_object_get_type(o), json_type_double);
    ck_assert_int_eq(parse("null", &o), 0);
    ck_assert_ptr_null(o);
    ck_assert_int_eq(parse("\"\\u00e9\"", &o), 0);
    ck_assert_str_eq(json_object_get_string(o), "\xc3\xa9");
    ck_assert_int_eq(parse("[NaN, -Infinity, 1.5e3, \"a\\\"'.\"]", &o), 0);
    ck_assert_int_eq(parse("{\"a\": 1, \"a\": 2}", &o), 0);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "a")), 2);
}
END_TEST

START_TEST(json_rejects)
{
    json_object *o;

    ck_assert_int_eq(parse("{", &o), -1);
    ck_assert_int_eq(parse("{} x", &o), -1);
    ck_assert_int_eq(parse("{}{}", &o), -1);
    ck_assert_int_eq(parse("  ", &o), -1);
    ck_assert_int_eq(parse("{'a': 1}", &o), -1);
    ck_assert_int_eq(parse("[1,]", &o), -1);
    ck_assert_int_eq(parse("[1.]", &o), -1);
    ck_assert_int_eq(parse("[1.e5]", &o), -1);
    ck_assert_int_eq(parse("\"a\tb\"", &o), -1);
    ck_assert_int_eq(parse("\"\xff\"", &o), -1);
    /* ill-formed UTF-8 that json-c's own check lets through: overlong
     * forms, C0/C1 and F5.. leads, surrogates, beyond U+10FFFF */
    ck_assert_int_eq(parse("\"\xc0\x80\"", &o), -1);
    ck_assert_int_eq(parse("\"\xc1\xbf\"", &o), -1);
    ck_assert_int_eq(parse("\"\xe0\x80\x80\"", &o), -1);
    ck_assert_int_eq(parse("\"\xf0\x80\x80\x80\"", &o), -1);
    ck_assert_int_eq(parse("\"\xed\xa0\x80\"", &o), -1);
    ck_assert_int_eq(parse("\"\xf4\x90\x80\x80\"", &o), -1);
    ck_assert_int_eq(parse("\"\xf5\x80\x80\x80\"", &o), -1);
    ck_assert_int_eq(parse("{\"\xed\xbf\xbf\": 1}", &o), -1);
    /* the largest code points of each length are fine */
    ck_assert_int_eq(parse("\"\x7f\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf\"", &o),
                     0);
    /* a lone surrogate escape is valid JSON: json-c makes it U+FFFD */
    ck_assert_int_eq(parse("\"a\\ud800b\"", &o), 0);
    ck_assert_str_eq(json_object_get_string(o), "a\xef\xbf\xbd"
                                                "b");
    ck_assert_int_eq(pfj_json_parse(pfj_test_pool, "{}\0{}", 5, &o), -1);
}
END_TEST

START_TEST(json_depth_is_bounded)
{
    char deep[2 * 200 + 1];

    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    deep[400] = '\0';
    ck_assert_int_eq(parse(deep, &(json_object *){NULL}), -1);
}
END_TEST

START_TEST(python_type_names)
{
    json_object *o;

    ck_assert_str_eq(pfj_json_type_name(NULL), "NoneType");
    parse("[]", &o);
    ck_assert_str_eq(pfj_json_type_name(o), "list");
    parse("{}", &o);
    ck_assert_str_eq(pfj_json_type_name(o), "dict");
    parse("\"s\"", &o);
    ck_assert_str_eq(pfj_json_type_name(o), "str");
    parse("1", &o);
    ck_assert_str_eq(pfj_json_type_name(o), "int");
    parse("1.0", &o);
    ck_assert_str_eq(pfj_json_type_name(o), "float");
    parse("true", &o);
    ck_assert_str_eq(pfj_json_type_name(o), "bool");
}
END_TEST

START_TEST(python_in_for_lists_and_strings)
{
    json_object *o;

    parse("[\"x\", \"state\"]", &o);
    ck_assert(pfj_json_mentions(o, "state"));
    ck_assert(!pfj_json_mentions(o, "stat"));
    parse("\"a state of mind\"", &o);
    ck_assert(pfj_json_mentions(o, "state"));
    parse("[[\"state\"]]", &o);
    ck_assert(!pfj_json_mentions(o, "state"));
    parse("5", &o);
    ck_assert(!pfj_json_mentions(o, "state"));
    ck_assert(!pfj_json_mentions(NULL, "state"));
}
END_TEST

START_TEST(not_an_object_message)
{
    json_object *o;

    parse("[1]", &o);
    ck_assert_str_eq(pfj_json_not_object(pfj_test_pool, o),
                     "dictionary expected but got list instead");
    ck_assert_str_eq(pfj_json_not_object(pfj_test_pool, NULL),
                     "dictionary expected but got NoneType instead");
}
END_TEST

Suite *pfj_suite_body(void)
{
    Suite *s = suite_create("body");
    TCase *tc = tcase_create("body");

    tcase_add_checked_fixture(tc, pfj_test_pool_setup, pfj_test_pool_teardown);
    tcase_add_test(tc, media_types);
    tcase_add_test(tc, json_documents);
    tcase_add_test(tc, json_rejects);
    tcase_add_test(tc, json_depth_is_bounded);
    tcase_add_test(tc, python_type_names);
    tcase_add_test(tc, python_in_for_lists_and_strings);
    tcase_add_test(tc, not_an_object_message);
    suite_add_tcase(s, tc);
    return s;
}
