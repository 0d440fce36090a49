/* check_stats.c - the server-wide counters (src/core/stats.c): slots of
 * methods, codes, latencies and states; counting; and the renderings,
 * Prometheus' text format and mod_status' lines, compared exactly. */
#include <string.h>
#include <apr_strings.h>
#include "core/stats.h"
#include "suites.h"

static pfj_stats_table *fresh_table(void)
{
    pfj_stats_table *t = apr_pcalloc(pfj_test_pool, sizeof(*t));

    pfj_stats_init(t);
    return t;
}

START_TEST(test_methods)
{
    ck_assert_int_eq(pfj_stats_method_of("GET"), PFJ_STATS_GET);
    ck_assert_int_eq(pfj_stats_method_of("HEAD"), PFJ_STATS_HEAD);
    ck_assert_int_eq(pfj_stats_method_of("DELETE"), PFJ_STATS_DELETE);
    ck_assert_int_eq(pfj_stats_method_of("OPTIONS"), PFJ_STATS_OPTIONS);
    ck_assert_int_eq(pfj_stats_method_of("get"), PFJ_STATS_METHOD_OTHER);
    ck_assert_int_eq(pfj_stats_method_of("PATCH"), PFJ_STATS_METHOD_OTHER);
    ck_assert_int_eq(pfj_stats_method_of(""), PFJ_STATS_METHOD_OTHER);
}
END_TEST

static const struct {
    int status;
    int slot;
} code_cases[] = {
    {200, 0},  {201, 1},  {204, 2},  {308, 7},  {400, 8},
    {401, 9},  {404, 11}, {503, 23}, {202, 24}, {302, 25},
    {418, 26}, {599, 27}, {100, 28}, {0, 28},   {600, 28},
};

START_TEST(test_code_slots)
{
    ck_assert_int_eq(pfj_stats_code_slot(code_cases[_i].status),
                     code_cases[_i].slot);
}
END_TEST

START_TEST(test_buckets)
{
    /* le is inclusive: 1 ms exactly is in the first bucket */
    ck_assert_int_eq(pfj_stats_bucket(0), 0);
    ck_assert_int_eq(pfj_stats_bucket(1000), 0);
    ck_assert_int_eq(pfj_stats_bucket(1001), 1);
    ck_assert_int_eq(pfj_stats_bucket(2500), 1);
    ck_assert_int_eq(pfj_stats_bucket(10000000), PFJ_STATS_NBOUNDS - 1);
    ck_assert_int_eq(pfj_stats_bucket(10000001), PFJ_STATS_NBOUNDS);
    ck_assert_int_eq(pfj_stats_bucket(APR_INT64_MAX), PFJ_STATS_NBOUNDS);
}
END_TEST

START_TEST(test_states)
{
    ck_assert_int_eq(pfj_stats_state_of(0), PFJ_STATS_QUEUED);
    ck_assert_int_eq(pfj_stats_state_of(100), PFJ_STATS_PAUSED);
    ck_assert_int_eq(pfj_stats_state_of(105), PFJ_STATS_RUNNING);
    ck_assert_int_eq(pfj_stats_state_of(106), PFJ_STATS_DONE);
    ck_assert_int_eq(pfj_stats_state_of(107), PFJ_STATS_FAILED);
    ck_assert_int_eq(pfj_stats_state_of(101), -1);
    ck_assert_str_eq(pfj_stats_endpoint_name(PFJ_EP_NONE), "unrouted");
    ck_assert_str_eq(pfj_stats_endpoint_name(PFJ_EP_TASK_UPDATE),
                     "task_update");
    ck_assert_str_eq(pfj_stats_endpoint_name(PFJ_EP_LOGFILE_PUT),
                     "logfile_put");
}
END_TEST

START_TEST(test_every_endpoint_has_a_name)
{
    int ep;

    for (ep = 0; ep < PFJ_EP_COUNT; ep++) {
        ck_assert_ptr_nonnull(pfj_stats_endpoint_name(ep));
    }
}
END_TEST

START_TEST(test_label_escape)
{
    ck_assert_str_eq(pfj_stats_label_escape(pfj_test_pool, "job_get"),
                     "job_get");
    ck_assert_str_eq(pfj_stats_label_escape(pfj_test_pool, "a\"b\\c\nd"),
                     "a\\\"b\\\\c\\nd");
    ck_assert_str_eq(pfj_stats_label_escape(pfj_test_pool, ""), "");
}
END_TEST

START_TEST(test_copy_is_the_counts)
{
    pfj_stats_table *t = fresh_table();
    pfj_stats_table *c = apr_palloc(pfj_test_pool, sizeof(*c));

    pfj_stats_count_request(t, PFJ_EP_JOB_GET, PFJ_STATS_GET, 200, 1500);
    pfj_stats_count_request(t, PFJ_EP_JOB_GET, PFJ_STATS_GET, 200, -5);
    pfj_stats_count_db_error(t, PFJ_STATS_DB_TRANSIENT);
    pfj_stats_count_conn_acquired(t);
    pfj_stats_copy(t, c);
    ck_assert(memcmp(t, c, sizeof(*t)) == 0);
    ck_assert(c->layout == PFJ_STATS_LAYOUT);
    ck_assert(c->requests[PFJ_EP_JOB_GET][PFJ_STATS_GET][0] == 2);
    ck_assert(c->latency[PFJ_EP_JOB_GET][0] == 1); /* the clock went back */
    ck_assert(c->latency[PFJ_EP_JOB_GET][1] == 1);
    ck_assert(c->latency_usec[PFJ_EP_JOB_GET] == 1500);
}
END_TEST

static const char expected_prometheus[] =
    "# HELP pyfarm_jobs_requests_total API requests answered, by endpoint, "
    "method and status code (also httpd's own answers in front of the API: "
    "401, 408, 413...).\n"
    "# TYPE pyfarm_jobs_requests_total counter\n"
    "pyfarm_jobs_requests_total{endpoint=\"unrouted\",method=\"GET\","
    "code=\"404\"} 1\n"
    "pyfarm_jobs_requests_total{endpoint=\"job_get\",method=\"GET\","
    "code=\"200\"} 2\n"
    "pyfarm_jobs_requests_total{endpoint=\"job_get\",method=\"HEAD\","
    "code=\"503\"} 1\n"
    "# HELP pyfarm_jobs_request_duration_seconds Time from the request's "
    "first line to its logging, by endpoint.\n"
    "# TYPE pyfarm_jobs_request_duration_seconds histogram\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"unrouted\","
    "le=\"0.001\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"unrouted\","
    "le=\"0.0025\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"unrouted\","
    "le=\"0.005\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"unrouted\","
    "le=\"0.01\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"unrouted\","
    "le=\"0.025\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"unrouted\","
    "le=\"0.05\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"unrouted\","
    "le=\"0.1\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"unrouted\","
    "le=\"0.25\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"unrouted\","
    "le=\"0.5\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"unrouted\","
    "le=\"1\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"unrouted\","
    "le=\"2.5\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"unrouted\","
    "le=\"5\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"unrouted\","
    "le=\"10\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"unrouted\","
    "le=\"+Inf\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_sum{endpoint=\"unrouted\"} "
    "0.000200\n"
    "pyfarm_jobs_request_duration_seconds_count{endpoint=\"unrouted\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"job_get\","
    "le=\"0.001\"} 0\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"job_get\","
    "le=\"0.0025\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"job_get\","
    "le=\"0.005\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"job_get\","
    "le=\"0.01\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"job_get\","
    "le=\"0.025\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"job_get\","
    "le=\"0.05\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"job_get\","
    "le=\"0.1\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"job_get\","
    "le=\"0.25\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"job_get\","
    "le=\"0.5\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"job_get\","
    "le=\"1\"} 1\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"job_get\","
    "le=\"2.5\"} 2\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"job_get\","
    "le=\"5\"} 2\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"job_get\","
    "le=\"10\"} 2\n"
    "pyfarm_jobs_request_duration_seconds_bucket{endpoint=\"job_get\","
    "le=\"+Inf\"} 3\n"
    "pyfarm_jobs_request_duration_seconds_sum{endpoint=\"job_get\"} "
    "14.502000\n"
    "pyfarm_jobs_request_duration_seconds_count{endpoint=\"job_get\"} 3\n"
    "# HELP pyfarm_jobs_database_errors_total Database errors that failed a "
    "request, by class: lost_session (reconnect failed), transient (503), "
    "other (500), no_connection (none from mod_dbd's pool).\n"
    "# TYPE pyfarm_jobs_database_errors_total counter\n"
    "pyfarm_jobs_database_errors_total{class=\"other\"} 0\n"
    "pyfarm_jobs_database_errors_total{class=\"transient\"} 1\n"
    "pyfarm_jobs_database_errors_total{class=\"lost_session\"} 0\n"
    "pyfarm_jobs_database_errors_total{class=\"no_connection\"} 2\n"
    "# HELP pyfarm_jobs_database_reconnects_total Lost database sessions the "
    "module reconnected.\n"
    "# TYPE pyfarm_jobs_database_reconnects_total counter\n"
    "pyfarm_jobs_database_reconnects_total 1\n"
    "# HELP pyfarm_jobs_database_connections_acquired_total Connections the "
    "module took from mod_dbd's pools.\n"
    "# TYPE pyfarm_jobs_database_connections_acquired_total counter\n"
    "pyfarm_jobs_database_connections_acquired_total 3\n"
    "# HELP pyfarm_jobs_database_connections_in_use Connections the module's "
    "requests hold now, all children.\n"
    "# TYPE pyfarm_jobs_database_connections_in_use gauge\n"
    "pyfarm_jobs_database_connections_in_use 2\n";

static const char expected_db_gauges[] =
    "# HELP pyfarm_jobs_database_up 1 when the database answered this "
    "scrape's query.\n"
    "# TYPE pyfarm_jobs_database_up gauge\n"
    "pyfarm_jobs_database_up 1\n"
    "# HELP pyfarm_jobs_jobs Jobs by state (exact).\n"
    "# TYPE pyfarm_jobs_jobs gauge\n"
    "pyfarm_jobs_jobs{state=\"queued\"} 2\n"
    "pyfarm_jobs_jobs{state=\"paused\"} 0\n"
    "pyfarm_jobs_jobs{state=\"running\"} 1\n"
    "pyfarm_jobs_jobs{state=\"done\"} 4\n"
    "pyfarm_jobs_jobs{state=\"failed\"} 0\n"
    "# HELP pyfarm_jobs_tasks Tasks by state (exact; done ones: "
    "pyfarm_jobs_tasks_done_estimate).\n"
    "# TYPE pyfarm_jobs_tasks gauge\n"
    "pyfarm_jobs_tasks{state=\"queued\"} 10\n"
    "pyfarm_jobs_tasks{state=\"paused\"} 0\n"
    "pyfarm_jobs_tasks{state=\"running\"} 3\n"
    "pyfarm_jobs_tasks{state=\"failed\"} 2\n"
    "# HELP pyfarm_jobs_tasks_done_estimate Done tasks, estimated: "
    "PostgreSQL's live row count of tasks less the exact counts of the "
    "other states.\n"
    "# TYPE pyfarm_jobs_tasks_done_estimate gauge\n"
    "pyfarm_jobs_tasks_done_estimate 85\n";

/* A table with a little of everything (see the expected texts). */
static pfj_stats_table *sample_table(void)
{
    pfj_stats_table *t = fresh_table();

    pfj_stats_count_request(t, PFJ_EP_NONE, PFJ_STATS_GET, 404, 200);
    pfj_stats_count_request(t, PFJ_EP_JOB_GET, PFJ_STATS_GET, 200, 2000);
    pfj_stats_count_request(t, PFJ_EP_JOB_GET, PFJ_STATS_GET, 200, 2000000);
    pfj_stats_count_request(t, PFJ_EP_JOB_GET, PFJ_STATS_HEAD, 503, 12500000);
    pfj_stats_count_db_error(t, PFJ_STATS_DB_TRANSIENT);
    pfj_stats_count_db_error(t, PFJ_STATS_DB_NO_CONNECTION);
    pfj_stats_count_db_error(t, PFJ_STATS_DB_NO_CONNECTION);
    pfj_stats_count_reconnect(t);
    pfj_stats_count_conn_acquired(t);
    pfj_stats_count_conn_acquired(t);
    pfj_stats_count_conn_acquired(t);
    pfj_stats_count_conn_released(t);
    return t;
}

START_TEST(test_prometheus_counters)
{
    ck_assert_str_eq(pfj_stats_prometheus(pfj_test_pool, sample_table(), NULL),
                     expected_prometheus);
}
END_TEST

START_TEST(test_prometheus_database)
{
    pfj_stats_db db = {0};
    static const char *const rows[][3] = {
        {"jobs", "0", "2"},         {"jobs", "105", "1"},
        {"jobs", "106", "4"},       {"tasks", "0", "10"},
        {"tasks", "105", "3"},      {"tasks", "107", "2"},
        {"tasks", "106", "999"}, /* never exact: left out */
        {"tasks", "42", "7"},    /* no such state */
        {"tasks_live", "0", "100"}, {"other", "0", "5"},
    };
    int i;

    db.up = 1;
    for (i = 0; i < N_CASES(rows); i++) {
        pfj_stats_db_row(&db, rows[i][0], rows[i][1], rows[i][2]);
    }
    ck_assert_str_eq(pfj_stats_prometheus(pfj_test_pool, fresh_table(), &db),
                     apr_pstrcat(pfj_test_pool,
                                 pfj_stats_prometheus(pfj_test_pool,
                                                      fresh_table(), NULL),
                                 expected_db_gauges, NULL));
}
END_TEST

START_TEST(test_prometheus_database_down)
{
    pfj_stats_db db = {0};
    const char *text = pfj_stats_prometheus(pfj_test_pool, fresh_table(), &db);

    ck_assert_ptr_nonnull(strstr(text, "\npyfarm_jobs_database_up 0\n"));
    ck_assert_ptr_null(strstr(text, "pyfarm_jobs_tasks"));
    ck_assert_ptr_null(strstr(text, "pyfarm_jobs_jobs"));
}
END_TEST

START_TEST(test_done_estimate_never_negative)
{
    pfj_stats_db db = {0};
    const char *text;

    db.up = 1;
    pfj_stats_db_row(&db, "tasks", "0", "10");
    pfj_stats_db_row(&db, "tasks_live", "0", "8"); /* lags the count */
    text = pfj_stats_prometheus(pfj_test_pool, fresh_table(), &db);
    ck_assert_ptr_nonnull(strstr(text,
                                 "\npyfarm_jobs_tasks_done_estimate 0\n"));
}
END_TEST

START_TEST(test_auto_lines)
{
    const char *text = pfj_stats_auto(pfj_test_pool, sample_table());

    ck_assert_ptr_nonnull(strstr(text, "PyFarmJobsRequests_unrouted: 1\n"
                                       "PyFarmJobsClientErrors_unrouted: 1\n"
                                       "PyFarmJobsServerErrors_unrouted: 0\n"
                                       "PyFarmJobsRequests_jobs_list: 0\n"));
    ck_assert_ptr_nonnull(strstr(text, "PyFarmJobsRequests_job_get: 3\n"
                                       "PyFarmJobsClientErrors_job_get: 0\n"
                                       "PyFarmJobsServerErrors_job_get: 1\n"));
    ck_assert_ptr_nonnull(strstr(text,
                                 "PyFarmJobsServerErrors_logfile_put: 0\n"
                                 "PyFarmJobsDBErrors_other: 0\n"
                                 "PyFarmJobsDBErrors_transient: 1\n"
                                 "PyFarmJobsDBErrors_lost_session: 0\n"
                                 "PyFarmJobsDBErrors_no_connection: 2\n"
                                 "PyFarmJobsDBReconnects: 1\n"
                                 "PyFarmJobsDBConnectionsAcquired: 3\n"
                                 "PyFarmJobsDBConnectionsInUse: 2\n"));
    ck_assert_int_eq(text[strlen(text) - 1], '\n');
}
END_TEST

START_TEST(test_html_section)
{
    const char *text = pfj_stats_html(pfj_test_pool, sample_table());

    ck_assert_ptr_nonnull(strstr(text, "<h2>pyfarm_jobs</h2>"));
    ck_assert_ptr_nonnull(strstr(
        text,
        "<tr><td>job_get</td><td>3</td><td>0</td><td>1</td><td>4834.0</td>"));
    ck_assert_ptr_nonnull(strstr(text, "2 in use now, 3 acquired"));
}
END_TEST

Suite *pfj_suite_stats(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("stats");

    tcase_add_checked_fixture(tc, pfj_test_pool_setup, pfj_test_pool_teardown);
    tcase_add_test(tc, test_methods);
    tcase_add_loop_test(tc, test_code_slots, 0, N_CASES(code_cases));
    tcase_add_test(tc, test_buckets);
    tcase_add_test(tc, test_states);
    tcase_add_test(tc, test_every_endpoint_has_a_name);
    tcase_add_test(tc, test_label_escape);
    tcase_add_test(tc, test_copy_is_the_counts);
    tcase_add_test(tc, test_prometheus_counters);
    tcase_add_test(tc, test_prometheus_database);
    tcase_add_test(tc, test_prometheus_database_down);
    tcase_add_test(tc, test_done_estimate_never_negative);
    tcase_add_test(tc, test_auto_lines);
    tcase_add_test(tc, test_html_section);
    suite_add_tcase(s, tc);
    return s;
}
