/* check_validate.c - the validated endpoints' model checks (src/core/model_check.c)
 * against the reference's messages (doc/api.md §0.5, §3, §11.2). */
#include <string.h>

#include <apr_uuid.h>

#include "suites.h"
#include "core/json_body.h"
#include "core/model_check.h"

/* §3's custom check for `by`: a JSON number; true/false pass (bool is an
 * int in Python). */
static int is_number(json_object *value)
{
    return json_object_is_type(value, json_type_int)
           || json_object_is_type(value, json_type_double)
           || json_object_is_type(value, json_type_boolean);
}

/* §11.2's custom check for `agent_id`: a string holding a UUID. */
static int is_uuid_string(json_object *value)
{
    apr_uuid_t uuid;

    return json_object_is_type(value, json_type_string)
           && json_object_get_string_len(value) == APR_UUID_FORMATTED_LENGTH
           && apr_uuid_parse(&uuid, json_object_get_string(value))
                  == APR_SUCCESS;
}

/* A part of pyfarm's Job model, with §3's validation parameters. */
static const pfj_column job_columns[] = {
    {"id", PFJ_COL_INT, NULL},
    {"state", PFJ_COL_ENUM, NULL},
    {"priority", PFJ_COL_INT, NULL},
    {"title", PFJ_COL_STR, NULL},
    {"notes", PFJ_COL_STR, NULL},
    {"hidden", PFJ_COL_BOOL, NULL},
    {"data", PFJ_COL_DICT, NULL},
    {"start", PFJ_COL_CUSTOM, NULL},
    {"end", PFJ_COL_CUSTOM, NULL},
    {"by", PFJ_COL_CUSTOM, is_number},
    {"jobtype_version_id", PFJ_COL_INT, NULL},
    {"job_queue_id", PFJ_COL_INT, NULL},
    {"time_submitted", PFJ_COL_DATETIME, NULL},
    {"time_started", PFJ_COL_DATETIME, NULL},
    {"time_finished", PFJ_COL_DATETIME, NULL},
    {"tags", PFJ_COL_LIST, NULL},
    {"jobtype_version", PFJ_COL_LIST, NULL},
    {NULL, PFJ_COL_INT, NULL},
};
static const char *const job_ignored[] = {
    "start", "end",      "jobtype",          "jobtype_version",
    "user",  "jobqueue", "tag_requirements", NULL,
};
static const char *const job_disallowed[] = {
    "jobtype_version_id", "time_submitted", "time_started",
    "time_finished",      "job_queue_id",   NULL,
};
static const char *const job_required[] = {"title", NULL};
static const pfj_model job = {
    job_columns,
    job_ignored,
    job_disallowed,
    job_required,
};

/* pyfarm's TaskLog model with §11.2's parameters: none ignored or
 * disallowed. */
static const pfj_column task_log_columns[] = {
    {"id", PFJ_COL_INT, NULL},
    {"identifier", PFJ_COL_STR, NULL},
    {"agent_id", PFJ_COL_CUSTOM, is_uuid_string},
    {"created_on", PFJ_COL_DATETIME, NULL},
    {NULL, PFJ_COL_INT, NULL},
};
static const char *const task_log_required[] = {"identifier", NULL};
static const pfj_model task_log = {
    task_log_columns,
    NULL,
    NULL,
    task_log_required,
};

/* Names Python quotes with ", or with escapes; a NUMERIC column without a
 * custom check.  No list at all. */
static const pfj_column odd_columns[] = {
    {"it's", PFJ_COL_STR, NULL},
    {"it's \"x\"", PFJ_COL_CUSTOM, is_number},
    {"amount", PFJ_COL_CUSTOM, NULL},
    {NULL, PFJ_COL_INT, NULL},
};
static const pfj_model odd = {odd_columns, NULL, NULL, NULL};

/* A model, a JSON body and the message expected (NULL: valid). */
typedef struct {
    const pfj_model *model;
    const char *body;
    const char *error;
} validate_case;

static void assert_validates(const validate_case *c)
{
    json_object *body;

    ck_assert_msg(pfj_json_parse(pfj_test_pool, c->body, strlen(c->body),
                                 &body)
                      == 0,
                  "unparsable test input %s", c->body);
    ck_assert_pstr_eq(pfj_validate(pfj_test_pool, c->model, body), c->error);
}

#define NOT_DICT(type) "dictionary expected but got " type " instead"
#define NOT_ALLOWED "column(s) not allowed for this request: "
#define UNKNOWN "request contains field(s) that do not exist: "
#define MISSING "request is missing field(s): "
#define CHECK_FAILED(key) "type check failed for " key
/* clang-format off */
#define WRONG_TYPE(key, got, expected) \
    "field " key " has type <class '" got "'> but we expected type(s) " \
    expected
/* clang-format on */
#define INT "<class 'int'>"
#define STR "<class 'str'>"
#define ENUM "(<class 'str'>, <class 'int'>)"

/* Step 1: the body is an object. */
static const validate_case not_dict_cases[] = {
    {&job, "[]", NOT_DICT("list")},
    {&job, "[{\"title\": \"t\"}]", NOT_DICT("list")},
    {&job, "null", NOT_DICT("NoneType")},
    {&job, "1", NOT_DICT("int")},
    {&job, "\"{}\"", NOT_DICT("str")},
    {&job, "1.5", NOT_DICT("float")},
    {&job, "true", NOT_DICT("bool")},
    {&task_log, "false", NOT_DICT("bool")},
};

/* Steps 2 to 4 and their order: disallowed keys, unknown keys, missing
 * keys, each before any type error. */
static const validate_case key_cases[] = {
    {&job, "{\"title\": \"t\", \"time_submitted\": \"2017-01-01\"}",
     NOT_ALLOWED "{'time_submitted'}"},
    {&job,
     "{\"title\": \"t\", \"time_started\": null, \"job_queue_id\": 1,"
     " \"jobtype_version_id\": 2}",
     NOT_ALLOWED "{'job_queue_id', 'jobtype_version_id', 'time_started'}"},
    {&job, "{\"foo\": 1, \"time_finished\": 1}",
     NOT_ALLOWED "{'time_finished'}"},
    {&job, "{\"time_finished\": 1}", NOT_ALLOWED "{'time_finished'}"},
    {&job, "{\"title\": \"t\", \"foo\": 1}", UNKNOWN "{'foo'}"},
    {&job, "{\"zeta\": 1, \"title\": \"t\", \"alpha\": 2}",
     UNKNOWN "{'alpha', 'zeta'}"},
    {&job, "{\"title\": \"t\", \"it's\": 1, \"Title\": 2}",
     UNKNOWN "{'Title', \"it's\"}"}, /* bytewise */
    {&job, "{\"foo\": 1}", UNKNOWN "{'foo'}"},
    {&job, "{\"priority\": \"x\", \"foo\": 1, \"title\": \"t\"}",
     UNKNOWN "{'foo'}"},
    {&task_log, "{\"identifier\": \"a\", \"task_id\": 1}",
     UNKNOWN "{'task_id'}"},
    {&job, "{}", MISSING "{'title'}"},
    {&job, "{\"priority\": \"high\", \"hidden\": null}", MISSING "{'title'}"},
    {&task_log, "{\"agent_id\": \"nope\"}", MISSING "{'identifier'}"},
};

/* Step 5: the value of each key that is not ignored, in document order. */
static const validate_case value_cases[] = {
    /* a full, valid body */
    {&job,
     "{\"title\": \"t\", \"id\": 7, \"state\": \"running\","
     " \"priority\": -5, \"notes\": \"\", \"hidden\": false,"
     " \"data\": {\"k\": [1]}, \"by\": 2.5, \"tags\": [\"a\"],"
     " \"jobtype\": \"j\", \"jobtype_version\": 1, \"start\": 1,"
     " \"end\": 2.0, \"user\": \"u\", \"jobqueue\": \"q\","
     " \"tag_requirements\": []}",
     NULL},
    /* ignored keys pass with any value, whatever their column's type */
    {&job,
     "{\"title\": \"t\", \"start\": \"x\", \"end\": null,"
     " \"jobtype\": 5, \"jobtype_version\": \"v\", \"user\": [],"
     " \"jobqueue\": {}, \"tag_requirements\": false}",
     NULL},
    /* INT: integers and booleans */
    {&job, "{\"title\": \"t\", \"priority\": true}", NULL},
    {&job, "{\"title\": \"t\", \"priority\": 0}", NULL},
    {&job, "{\"title\": \"t\", \"priority\": \"high\"}",
     WRONG_TYPE("'priority'", "str", INT)},
    {&job, "{\"title\": \"t\", \"priority\": 1.0}",
     WRONG_TYPE("'priority'", "float", INT)},
    {&job, "{\"title\": \"t\", \"id\": null}",
     WRONG_TYPE("'id'", "NoneType", INT)},
    /* STR */
    {&job, "{\"title\": 1}", WRONG_TYPE("'title'", "int", STR)},
    {&job, "{\"title\": null}", WRONG_TYPE("'title'", "NoneType", STR)},
    {&job, "{\"title\": \"t\", \"notes\": [\"n\"]}",
     WRONG_TYPE("'notes'", "list", STR)},
    /* BOOL */
    {&job, "{\"title\": \"t\", \"hidden\": true}", NULL},
    {&job, "{\"title\": \"t\", \"hidden\": 0}",
     WRONG_TYPE("'hidden'", "int", "<class 'bool'>")},
    /* DICT */
    {&job, "{\"title\": \"t\", \"data\": {}}", NULL},
    {&job, "{\"title\": \"t\", \"data\": []}",
     WRONG_TYPE("'data'", "list", "<class 'dict'>")},
    /* ENUM: strings and integers (booleans too) */
    {&job, "{\"title\": \"t\", \"state\": 2}", NULL},
    {&job, "{\"title\": \"t\", \"state\": false}", NULL},
    {&job, "{\"title\": \"t\", \"state\": 1.5}",
     WRONG_TYPE("'state'", "float", ENUM)},
    {&job, "{\"title\": \"t\", \"state\": null}",
     WRONG_TYPE("'state'", "NoneType", ENUM)},
    {&job, "{\"title\": \"t\", \"state\": {}}",
     WRONG_TYPE("'state'", "dict", ENUM)},
    /* LIST: relationship names */
    {&job, "{\"title\": \"t\", \"tags\": []}", NULL},
    {&job, "{\"title\": \"t\", \"tags\": \"a\"}",
     WRONG_TYPE("'tags'", "str", "<class 'list'>")},
    {&job, "{\"title\": \"t\", \"tags\": null}",
     WRONG_TYPE("'tags'", "NoneType", "<class 'list'>")},
    /* custom check: only it decides */
    {&job, "{\"title\": \"t\", \"by\": 1}", NULL},
    {&job, "{\"title\": \"t\", \"by\": 1e-3}", NULL},
    {&job, "{\"title\": \"t\", \"by\": true}", NULL},
    {&job, "{\"title\": \"t\", \"by\": \"1\"}", CHECK_FAILED("'by'")},
    {&job, "{\"title\": \"t\", \"by\": null}", CHECK_FAILED("'by'")},
    /* the first bad key in document order */
    {&job, "{\"title\": \"t\", \"notes\": 1, \"priority\": \"x\"}",
     WRONG_TYPE("'notes'", "int", STR)},
    {&job, "{\"priority\": \"x\", \"notes\": 1, \"title\": \"t\"}",
     WRONG_TYPE("'priority'", "str", INT)},
    {&job, "{\"by\": \"x\", \"priority\": \"y\", \"title\": 1}",
     CHECK_FAILED("'by'")},
    {&job, "{\"hidden\": 1, \"by\": \"x\", \"title\": \"t\"}",
     WRONG_TYPE("'hidden'", "int", "<class 'bool'>")},
    /* a repeated key keeps its first place and its last value, as in a
     * Python dict */
    {&job,
     "{\"notes\": 1, \"priority\": \"x\", \"notes\": \"ok\","
     " \"title\": \"t\"}",
     WRONG_TYPE("'priority'", "str", INT)},
    {&job, "{\"title\": 1, \"title\": \"t\"}", NULL},
    /* TaskLog */
    {&task_log, "{\"identifier\": \"a\"}", NULL},
    {&task_log,
     "{\"identifier\": \"a.log\", \"id\": 3,"
     " \"agent_id\": \"9b2a1a3e-6b6f-4f37-8e1d-0c3f5a4b2c1d\"}",
     NULL},
    {&task_log, "{\"created_on\": \"x\", \"identifier\": \"a\"}",
     WRONG_TYPE("'created_on'", "str", "<class 'datetime.datetime'>")},
    {&task_log, "{\"identifier\": \"a\", \"created_on\": null}",
     WRONG_TYPE("'created_on'", "NoneType", "<class 'datetime.datetime'>")},
    {&task_log, "{\"identifier\": \"a\", \"agent_id\": \"nope\"}",
     CHECK_FAILED("'agent_id'")},
    {&task_log,
     "{\"identifier\": \"a\", \"agent_id\":"
     " \"9b2a1a3e-6b6f-4f37-8e1d-0c3f5a4b2c1d0\"}",
     CHECK_FAILED("'agent_id'")},
    {&task_log, "{\"identifier\": \"a\", \"agent_id\": null}",
     CHECK_FAILED("'agent_id'")},
    {&task_log, "{\"identifier\": \"a\", \"agent_id\": 5}",
     CHECK_FAILED("'agent_id'")},
    {&task_log, "{\"identifier\": \"a\", \"id\": \"1\"}",
     WRONG_TYPE("'id'", "str", INT)},
    {&task_log, "{\"identifier\": [\"a\"], \"id\": \"1\"}",
     WRONG_TYPE("'identifier'", "list", STR)},
    /* keys are quoted as Python quotes them; NUMERIC without a check */
    {&odd, "{\"it's\": 1}", WRONG_TYPE("\"it's\"", "int", STR)},
    {&odd, "{\"it's \\\"x\\\"\": \"1\"}", CHECK_FAILED("'it\\'s \"x\"'")},
    {&odd, "{\"amount\": 1.5}",
     WRONG_TYPE("'amount'", "float", "<class 'decimal.Decimal'>")},
    {&odd, "{\"amount\": \"1.5\"}",
     WRONG_TYPE("'amount'", "str", "<class 'decimal.Decimal'>")},
    {&odd, "{}", NULL},
};

START_TEST(test_not_dict)
{
    assert_validates(&not_dict_cases[_i]);
}
END_TEST

START_TEST(test_keys)
{
    assert_validates(&key_cases[_i]);
}
END_TEST

START_TEST(test_values)
{
    assert_validates(&value_cases[_i]);
}
END_TEST

/* A NULL body is JSON null. */
START_TEST(test_null_body)
{
    ck_assert_str_eq(pfj_validate(pfj_test_pool, &task_log, NULL),
                     NOT_DICT("NoneType"));
}
END_TEST

/* JSON text and the class of json.loads(text). */
static const struct {
    const char *json;
    const char *class_repr;
} class_cases[] = {
    {"null", "<class 'NoneType'>"}, {"true", "<class 'bool'>"},
    {"-3", "<class 'int'>"},        {"18446744073709551615", "<class 'int'>"},
    {"3.0", "<class 'float'>"},     {"1e400", "<class 'float'>"},
    {"\"\"", "<class 'str'>"},      {"[null]", "<class 'list'>"},
    {"{}", "<class 'dict'>"},
};

START_TEST(test_py_class)
{
    json_object *o;

    ck_assert_int_eq(pfj_json_parse(pfj_test_pool, class_cases[_i].json,
                                    strlen(class_cases[_i].json), &o),
                     0);
    ck_assert_str_eq(pfj_py_class(o), class_cases[_i].class_repr);
}
END_TEST

START_TEST(test_uuid_shape)
{
    ck_assert(pfj_is_uuid("6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35"));
    ck_assert(pfj_is_uuid("6D2E8A3F-5C1B-4E7A-9F0D-2B8C4A1E7F35"));
    ck_assert(!pfj_is_uuid("6d2e8a3f5c1b4e7a9f0d2b8c4a1e7f35"));
    ck_assert(!pfj_is_uuid("{6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35}"));
    ck_assert(!pfj_is_uuid("6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f3"));
    ck_assert(!pfj_is_uuid("6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f355"));
    ck_assert(!pfj_is_uuid("6d2e8a3g-5c1b-4e7a-9f0d-2b8c4a1e7f35"));
    ck_assert(!pfj_is_uuid(""));
}
END_TEST

Suite *pfj_suite_validate(void)
{
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("model");

    tcase_add_checked_fixture(tc, pfj_test_pool_setup, pfj_test_pool_teardown);
    tcase_add_loop_test(tc, test_not_dict, 0, N_CASES(not_dict_cases));
    tcase_add_test(tc, test_null_body);
    tcase_add_loop_test(tc, test_keys, 0, N_CASES(key_cases));
    tcase_add_loop_test(tc, test_values, 0, N_CASES(value_cases));
    tcase_add_loop_test(tc, test_py_class, 0, N_CASES(class_cases));
    tcase_add_test(tc, test_uuid_shape);
    suite_add_tcase(s, tc);
    return s;
}
