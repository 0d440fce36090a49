/* check_task_logs.c - task log names (src/core/log_identifier.c): which identifiers
 * may reach the disk, the content type of a download, the agent URL of a
 * log that is not here (doc/api.md §10.6, §11). */
#include <string.h>

#include <apr_strings.h>

#include "core/log_identifier.h"
#include "suites.h"

static const struct {
    const char *identifier;
    int ok;
} identifiers[] = {
    {"2017-01-01_12-00-00_1_4a3f.csv", 1},
    {"render log.txt", 1},
    {"caf\xc3\xa9.csv", 1},
    {"a..b", 1},
    {"x%2Fy", 1}, /* a literal percent sign, no slash */
    {"back\\slash", 1},
    {"", 0},
    {".", 0},
    {"..", 0},
    {".hidden", 0},
    {".upload-abc123", 0}, /* an upload in progress */
    {"../etc/passwd", 0},
    {"a/b", 0},
    {"/etc/passwd", 0},
    {"a/", 0},
};

START_TEST(test_identifier_check)
{
    ck_assert_msg(pfj_log_identifier_ok(identifiers[_i].identifier)
                      == identifiers[_i].ok,
                  "%s", identifiers[_i].identifier);
}
END_TEST

START_TEST(test_identifier_length)
{
    char name[PFJ_LOG_IDENTIFIER_MAX + 2];

    memset(name, 'a', sizeof(name) - 1);
    name[PFJ_LOG_IDENTIFIER_MAX] = '\0';
    ck_assert_int_eq(pfj_log_identifier_ok(name), 1);
    name[PFJ_LOG_IDENTIFIER_MAX] = 'a';
    name[PFJ_LOG_IDENTIFIER_MAX + 1] = '\0';
    ck_assert_int_eq(pfj_log_identifier_ok(name), 0);
}
END_TEST

static const struct {
    const char *identifier;
    const char *type;
} content_types[] = {
    {"x.csv", "text/csv; charset=utf-8"},
    {"x.CSV", "text/csv; charset=utf-8"},
    {"x.txt", "text/plain; charset=utf-8"},
    {"x.csv.gz", "text/csv; charset=utf-8"},
    {"x.txt.bz2", "text/plain; charset=utf-8"},
    {"x.csv.GZ", "application/octet-stream"}, /* encodings: exact case */
    {"x.log", "application/octet-stream"},
    {"x.gz", "application/octet-stream"},
    {"x", "application/octet-stream"},
    {"csv", "application/octet-stream"},
    {"x.csv.tmp", "application/octet-stream"},
};

START_TEST(test_content_type)
{
    ck_assert_str_eq(pfj_log_content_type(content_types[_i].identifier),
                     content_types[_i].type);
}
END_TEST

START_TEST(test_agent_url_by_address_kind)
{
    apr_pool_t *p = pfj_test_pool;

    /* 311 remote: the address (2130706433 = 127.0.0.1); none if unknown */
    ck_assert_str_eq(pfj_log_agent_url(p, "311", "render01", "2130706433",
                                       "50000", "a.csv"),
                     "http://127.0.0.1:50000/api/v1/task_logs/a.csv");
    ck_assert_ptr_null(pfj_log_agent_url(p, "311", "render01", NULL, "50000",
                                         "a.csv"));
    /* 312 hostname */
    ck_assert_str_eq(pfj_log_agent_url(p, "312", "render01", "2130706433",
                                       "8080", "a.csv"),
                     "http://render01:8080/api/v1/task_logs/a.csv");
    /* 310 local, 313 passive: no URL */
    ck_assert_ptr_null(pfj_log_agent_url(p, "310", "render01", "1", "1",
                                         "a.csv"));
    ck_assert_ptr_null(pfj_log_agent_url(p, "313", "render01", "1", "1",
                                         "a.csv"));
    ck_assert_ptr_null(pfj_log_agent_url(p, NULL, NULL, NULL, NULL, "a"));
}
END_TEST

START_TEST(test_agent_url_escapes_what_a_url_cannot_carry)
{
    ck_assert_str_eq(pfj_log_agent_url(pfj_test_pool, "312", "h", NULL, "1",
                                       "a b#c?d%e\"\xc3\xa9\x7f\t"),
                     "http://h:1/api/v1/task_logs/"
                     "a%20b#c?d%e\"%C3%A9%7F%09");
}
END_TEST

Suite *pfj_suite_task_logs(void)
{
    Suite *s = suite_create("task_logs");
    TCase *tc = tcase_create("names");

    tcase_add_checked_fixture(tc, pfj_test_pool_setup, pfj_test_pool_teardown);
    tcase_add_loop_test(tc, test_identifier_check, 0, N_CASES(identifiers));
    tcase_add_test(tc, test_identifier_length);
    tcase_add_loop_test(tc, test_content_type, 0, N_CASES(content_types));
    tcase_add_test(tc, test_agent_url_by_address_kind);
    tcase_add_test(tc, test_agent_url_escapes_what_a_url_cannot_carry);
    suite_add_tcase(s, tc);
    return s;
}
