/* check_main.c - runs every suite of the core; CK_NORMAL prints the
 * "100%: Checks: N, Failures: 0, Errors: 0" summary line. */
#include <stdlib.h>
#include <apr_general.h>
#include "suites.h"

apr_pool_t *pfj_test_pool;

void pfj_test_pool_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&pfj_test_pool, NULL), APR_SUCCESS);
}

void pfj_test_pool_teardown(void)
{
    apr_pool_destroy(pfj_test_pool);
    pfj_test_pool = NULL;
}

int main(void)
{
    SRunner *sr;
    int failed;

    apr_initialize();
    sr = srunner_create(pfj_suite_config());
    srunner_add_suite(sr, pfj_suite_router());
    srunner_add_suite(sr, pfj_suite_list_page());
    srunner_add_suite(sr, pfj_suite_values());
    srunner_add_suite(sr, pfj_suite_render());
    srunner_add_suite(sr, pfj_suite_body());
    srunner_add_suite(sr, pfj_suite_pyrepr());
    srunner_add_suite(sr, pfj_suite_validate());
    srunner_add_suite(sr, pfj_suite_task_logs());
    srunner_add_suite(sr, pfj_suite_task_update());
    srunner_add_suite(sr, pfj_suite_utf8());
    srunner_add_suite(sr, pfj_suite_job_rules());
    srunner_add_suite(sr, pfj_suite_job_submit());
    srunner_add_suite(sr, pfj_suite_job_update());
    srunner_add_suite(sr, pfj_suite_indexes());
    srunner_add_suite(sr, pfj_suite_health());
    srunner_add_suite(sr, pfj_suite_sqlstate());
    srunner_add_suite(sr, pfj_suite_stats());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
