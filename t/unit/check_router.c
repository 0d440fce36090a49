/* check_router.c - routes, methods, redirects, decoding (doc/api.md §0.1). */
#include "suites.h"
#include "core/router.h"

static pfj_route_match m;

static pfj_route_result route(const char *path, unsigned method)
{
    return pfj_route(pfj_test_pool, path, method, &m);
}

static void assert_found(const char *path, unsigned method, pfj_endpoint ep,
                         int nargs)
{
    ck_assert_msg(route(path, method) == PFJ_ROUTE_FOUND, "%s not routed",
                  path);
    ck_assert_int_eq(m.endpoint, ep);
    ck_assert_int_eq(m.nargs, nargs);
}

START_TEST(every_endpoint_is_routed)
{
    assert_found("/", PFJ_M_GET, PFJ_EP_JOBS_LIST, 0);
    assert_found("/", PFJ_M_POST, PFJ_EP_JOB_SUBMIT, 0);
    assert_found("/schema", PFJ_M_GET, PFJ_EP_SCHEMA, 0);
    assert_found("/12", PFJ_M_GET, PFJ_EP_JOB_GET, 1);
    assert_found("/12", PFJ_M_POST, PFJ_EP_JOB_UPDATE, 1);
    assert_found("/12", PFJ_M_DELETE, PFJ_EP_JOB_DELETE, 1);
    assert_found("/12/tasks/", PFJ_M_GET, PFJ_EP_TASKS_LIST, 1);
    assert_found("/12/tasks/7", PFJ_M_GET, PFJ_EP_TASK_GET, 2);
    assert_found("/12/tasks/7", PFJ_M_POST, PFJ_EP_TASK_UPDATE, 2);
    assert_found("/12/tasks/7/failed_on_agents/", PFJ_M_GET,
                 PFJ_EP_FAILED_ON_AGENTS_LIST, 2);
    assert_found("/12/tasks/7/failed_on_agents/", PFJ_M_POST,
                 PFJ_EP_FAILED_ON_AGENTS_ADD, 2);
    assert_found("/12/tasks/7/failed_on_agents/6d2e8a3f", PFJ_M_DELETE,
                 PFJ_EP_FAILED_ON_AGENT_DELETE, 3);
    assert_found("/Shot/notified_users/", PFJ_M_GET,
                 PFJ_EP_NOTIFIED_USERS_LIST, 1);
    assert_found("/Shot/notified_users/", PFJ_M_POST,
                 PFJ_EP_NOTIFIED_USERS_ADD, 1);
    assert_found("/Shot/notified_users/alice", PFJ_M_DELETE,
                 PFJ_EP_NOTIFIED_USER_DELETE, 2);
    assert_found("/1/tasks/2/attempts/3/logs/", PFJ_M_GET,
                 PFJ_EP_TASK_LOGS_LIST, 3);
    assert_found("/1/tasks/2/attempts/3/logs/", PFJ_M_POST,
                 PFJ_EP_TASK_LOG_REGISTER, 3);
    assert_found("/1/tasks/2/attempts/3/logs/a.csv", PFJ_M_GET,
                 PFJ_EP_TASK_LOG_GET, 4);
    assert_found("/1/tasks/2/attempts/3/logs/a.csv", PFJ_M_POST,
                 PFJ_EP_TASK_LOG_UPDATE, 4);
    assert_found("/1/tasks/2/attempts/3/logs/a.csv/logfile", PFJ_M_GET,
                 PFJ_EP_LOGFILE_GET, 4);
    assert_found("/1/tasks/2/attempts/3/logs/a.csv/logfile", PFJ_M_PUT,
                 PFJ_EP_LOGFILE_PUT, 4);
}
END_TEST

START_TEST(placeholders_are_decoded)
{
    assert_found("/Test%20Job/tasks/5", PFJ_M_GET, PFJ_EP_TASK_GET, 2);
    ck_assert_str_eq(m.args[0], "Test Job");
    ck_assert_str_eq(m.args[1], "5");
    assert_found("/a%2Fb", PFJ_M_GET, PFJ_EP_JOB_GET, 1);
    ck_assert_str_eq(m.args[0], "a/b");
    assert_found("/%C3%A9t%C3%A9", PFJ_M_GET, PFJ_EP_JOB_GET, 1);
    ck_assert_str_eq(m.args[0], "\xc3\xa9t\xc3\xa9");
    assert_found("/100%25", PFJ_M_GET, PFJ_EP_JOB_GET, 1);
    ck_assert_str_eq(m.args[0], "100%");
    /* invalid escapes stay as they are */
    assert_found("/50%zz", PFJ_M_GET, PFJ_EP_JOB_GET, 1);
    ck_assert_str_eq(m.args[0], "50%zz");
    /* digits may come escaped */
    assert_found("/%31%32/tasks/%33", PFJ_M_GET, PFJ_EP_TASK_GET, 2);
    ck_assert_str_eq(m.args[0], "12");
    ck_assert_str_eq(m.args[1], "3");
}
END_TEST

START_TEST(schema_literal_wins_only_for_get)
{
    assert_found("/schema", PFJ_M_GET, PFJ_EP_SCHEMA, 0);
    assert_found("/schema", PFJ_M_POST, PFJ_EP_JOB_UPDATE, 1);
    ck_assert_str_eq(m.args[0], "schema");
    assert_found("/schema", PFJ_M_DELETE, PFJ_EP_JOB_DELETE, 1);
    ck_assert_uint_eq(m.allowed, PFJ_M_GET | PFJ_M_POST | PFJ_M_DELETE);
}
END_TEST

START_TEST(int_placeholders_take_digits_only)
{
    ck_assert_int_eq(route("/12/tasks/x", PFJ_M_GET), PFJ_ROUTE_NOT_FOUND);
    ck_assert_int_eq(route("/12/tasks/-1", PFJ_M_GET), PFJ_ROUTE_NOT_FOUND);
    ck_assert_int_eq(route("/x/tasks/1/failed_on_agents/", PFJ_M_GET),
                     PFJ_ROUTE_NOT_FOUND);
    ck_assert_int_eq(route("/1/tasks/1/attempts/a/logs/", PFJ_M_GET),
                     PFJ_ROUTE_NOT_FOUND);
}
END_TEST

START_TEST(wrong_method_lists_the_allowed_ones)
{
    ck_assert_int_eq(route("/", PFJ_M_DELETE), PFJ_ROUTE_BAD_METHOD);
    ck_assert_uint_eq(m.allowed, PFJ_M_GET | PFJ_M_POST);
    ck_assert_int_eq(route("/12", PFJ_M_PUT), PFJ_ROUTE_BAD_METHOD);
    ck_assert_uint_eq(m.allowed, PFJ_M_GET | PFJ_M_POST | PFJ_M_DELETE);
    ck_assert_int_eq(route("/12/tasks/", PFJ_M_POST), PFJ_ROUTE_BAD_METHOD);
    ck_assert_uint_eq(m.allowed, PFJ_M_GET);
    /* OPTIONS and other unknown methods route as bit 0 */
    ck_assert_int_eq(route("/12/tasks/3", 0), PFJ_ROUTE_BAD_METHOD);
    ck_assert_uint_eq(m.allowed, PFJ_M_GET | PFJ_M_POST);
}
END_TEST

START_TEST(slash_routes_redirect_without_the_slash)
{
    ck_assert_int_eq(route("", PFJ_M_GET), PFJ_ROUTE_REDIRECT);
    ck_assert_int_eq(route("/12/tasks", PFJ_M_GET), PFJ_ROUTE_REDIRECT);
    ck_assert_int_eq(route("/12/tasks", PFJ_M_DELETE), PFJ_ROUTE_REDIRECT);
    ck_assert_int_eq(route("/a/notified_users", PFJ_M_POST),
                     PFJ_ROUTE_REDIRECT);
    ck_assert_int_eq(route("/1/tasks/2/attempts/3/logs", PFJ_M_GET),
                     PFJ_ROUTE_REDIRECT);
}
END_TEST

START_TEST(unknown_paths_are_not_found)
{
    ck_assert_int_eq(route("/12/", PFJ_M_GET), PFJ_ROUTE_NOT_FOUND);
    ck_assert_int_eq(route("/schema/", PFJ_M_GET), PFJ_ROUTE_NOT_FOUND);
    ck_assert_int_eq(route("/12/tasks/3/", PFJ_M_GET), PFJ_ROUTE_NOT_FOUND);
    ck_assert_int_eq(route("//tasks/", PFJ_M_GET), PFJ_ROUTE_NOT_FOUND);
    ck_assert_int_eq(route("/12/nothing/", PFJ_M_GET), PFJ_ROUTE_NOT_FOUND);
    ck_assert_int_eq(route("x", PFJ_M_GET), PFJ_ROUTE_NOT_FOUND);
    ck_assert_int_eq(route("/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r", PFJ_M_GET),
                     PFJ_ROUTE_NOT_FOUND);
    /* a "/" inside a segment only works for job titles */
    ck_assert_int_eq(route("/1/notified_users/a%2Fb", PFJ_M_DELETE),
                     PFJ_ROUTE_NOT_FOUND);
}
END_TEST

START_TEST(undecodable_segments_match_nothing)
{
    ck_assert_int_eq(route("/%ff", PFJ_M_GET), PFJ_ROUTE_NOT_FOUND);
    ck_assert_int_eq(route("/a%00b", PFJ_M_GET), PFJ_ROUTE_NOT_FOUND);
    ck_assert_int_eq(route("/%ed%a0%80", PFJ_M_GET), PFJ_ROUTE_NOT_FOUND);
    ck_assert_int_eq(route("/%c0%af", PFJ_M_GET), PFJ_ROUTE_NOT_FOUND);
}
END_TEST

START_TEST(method_bits)
{
    ck_assert_uint_eq(pfj_method_bit("GET"), PFJ_M_GET);
    ck_assert_uint_eq(pfj_method_bit("HEAD"), PFJ_M_GET);
    ck_assert_uint_eq(pfj_method_bit("POST"), PFJ_M_POST);
    ck_assert_uint_eq(pfj_method_bit("PUT"), PFJ_M_PUT);
    ck_assert_uint_eq(pfj_method_bit("DELETE"), PFJ_M_DELETE);
    ck_assert_uint_eq(pfj_method_bit("OPTIONS"), 0);
    ck_assert_uint_eq(pfj_method_bit("get"), 0);
}
END_TEST

START_TEST(allow_header)
{
    ck_assert_str_eq(pfj_allow_header(pfj_test_pool,
                                      PFJ_M_GET | PFJ_M_POST | PFJ_M_DELETE),
                     "GET, HEAD, POST, DELETE, OPTIONS");
    ck_assert_str_eq(pfj_allow_header(pfj_test_pool, PFJ_M_GET | PFJ_M_PUT),
                     "GET, HEAD, PUT, OPTIONS");
    ck_assert_str_eq(pfj_allow_header(pfj_test_pool, PFJ_M_DELETE),
                     "DELETE, OPTIONS");
}
END_TEST

START_TEST(query_strings)
{
    apr_table_t *t = pfj_parse_query(pfj_test_pool,
                                     "title=a+b%21&jobqueue=%2Fx&jobqueue=/y"
                                     "&flag&&empty=&bad=%ff");

    ck_assert_str_eq(apr_table_get(t, "title"), "a b!");
    ck_assert_str_eq(apr_table_get(t, "jobqueue"), "/x");
    ck_assert_str_eq(apr_table_get(t, "flag"), "");
    ck_assert_str_eq(apr_table_get(t, "empty"), "");
    ck_assert_str_eq(apr_table_get(t, "bad"), "\xef\xbf\xbd");
    ck_assert_int_eq(apr_table_elts(t)->nelts, 6);
    t = pfj_parse_query(pfj_test_pool, "user=a%00b&x=%C3%A9%C3");
    ck_assert_str_eq(apr_table_get(t, "user"), "a\xef\xbf\xbd"
                                               "b");
    ck_assert_str_eq(apr_table_get(t, "x"), "\xc3\xa9\xef\xbf\xbd");
    /* one U+FFFD per maximal ill-formed subpart, as Python decodes */
    t = pfj_parse_query(pfj_test_pool, "x=%E6%97y&z=%C0%AF");
    ck_assert_str_eq(apr_table_get(t, "x"), "\xef\xbf\xbdy");
    ck_assert_str_eq(apr_table_get(t, "z"), "\xef\xbf\xbd\xef\xbf\xbd");
    ck_assert_int_eq(
        apr_table_elts(pfj_parse_query(pfj_test_pool, NULL))->nelts, 0);
}
END_TEST

START_TEST(digits)
{
    ck_assert(pfj_is_digits("0042"));
    ck_assert(!pfj_is_digits(""));
    ck_assert(!pfj_is_digits("4a"));
    ck_assert(!pfj_is_digits("+4"));
    ck_assert(!pfj_is_digits(NULL));
}
END_TEST

START_TEST(ids_within_their_column)
{
    ck_assert_str_eq(pfj_id_within("0042", APR_INT64_MAX), "0042");
    ck_assert_str_eq(pfj_id_within("9223372036854775807", APR_INT64_MAX),
                     "9223372036854775807");
    ck_assert_ptr_null(pfj_id_within("9223372036854775808", APR_INT64_MAX));
    ck_assert_str_eq(pfj_id_within("2147483647", APR_INT32_MAX), "2147483647");
    ck_assert_ptr_null(pfj_id_within("2147483648", APR_INT32_MAX));
    ck_assert_ptr_null(pfj_id_within("12a", APR_INT64_MAX));
    ck_assert_ptr_null(pfj_id_within("-1", APR_INT64_MAX));
    ck_assert_ptr_null(pfj_id_within("", APR_INT64_MAX));
}
END_TEST

Suite *pfj_suite_router(void)
{
    Suite *s = suite_create("router");
    TCase *tc = tcase_create("router");

    tcase_add_checked_fixture(tc, pfj_test_pool_setup, pfj_test_pool_teardown);
    tcase_add_test(tc, every_endpoint_is_routed);
    tcase_add_test(tc, placeholders_are_decoded);
    tcase_add_test(tc, schema_literal_wins_only_for_get);
    tcase_add_test(tc, int_placeholders_take_digits_only);
    tcase_add_test(tc, wrong_method_lists_the_allowed_ones);
    tcase_add_test(tc, slash_routes_redirect_without_the_slash);
    tcase_add_test(tc, unknown_paths_are_not_found);
    tcase_add_test(tc, undecodable_segments_match_nothing);
    tcase_add_test(tc, method_bits);
    tcase_add_test(tc, allow_header);
    tcase_add_test(tc, query_strings);
    tcase_add_test(tc, digits);
    tcase_add_test(tc, ids_within_their_column);
    suite_add_tcase(s, tc);
    return s;
}
