/* suites.h - the Check suites of the core, one per src/ unit. */
#ifndef PFJ_TEST_SUITES_H
#define PFJ_TEST_SUITES_H

#include <check.h>
#include <apr_pools.h>
#include "core/count.h"

/* The number of cases of a loop test's table. */
#define N_CASES(a) ((int)PFJ_COUNT(a))

Suite *pfj_suite_config(void);
Suite *pfj_suite_router(void);
Suite *pfj_suite_list_page(void);
Suite *pfj_suite_values(void);
Suite *pfj_suite_render(void);
Suite *pfj_suite_body(void);
Suite *pfj_suite_pyrepr(void);
Suite *pfj_suite_validate(void);
Suite *pfj_suite_task_logs(void);
Suite *pfj_suite_task_update(void);
Suite *pfj_suite_utf8(void);
Suite *pfj_suite_job_rules(void);
Suite *pfj_suite_job_submit(void);
Suite *pfj_suite_job_update(void);
Suite *pfj_suite_indexes(void);
Suite *pfj_suite_health(void);
Suite *pfj_suite_sqlstate(void);
Suite *pfj_suite_stats(void);

/* Names that a text[] literal carries unquoted and PostgreSQL keeps as
 * they are (lower case, at most NAMEDATALEN - 1 bytes), each once
 * (check_indexes.c). */
void pfj_check_sql_names(const char *const *names, int count);

/* A fresh APR pool for each test (created in a fixture, destroyed after). */
extern apr_pool_t *pfj_test_pool;
void pfj_test_pool_setup(void);
void pfj_test_pool_teardown(void);

#endif
