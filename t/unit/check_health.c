/* check_health.c - the health answer and the schema the module needs
 * (src/core/health.c): the table list, the rows of the schema check, and
 * the exact 200 and 503 bodies. */
#include <apr_strings.h>

#include "core/health.h"
#include "core/indexes.h"
#include "suites.h"

/* The body pfj_health_answer() writes for gaps, and its status. */
static const char *answer(const pfj_schema_gaps *gaps, int *status)
{
    apr_bucket_brigade *bb =
        apr_brigade_create(pfj_test_pool,
                           apr_bucket_alloc_create(pfj_test_pool));
    pfj_jw w;
    char *text;
    apr_size_t len;

    pfj_jw_init(&w, bb, NULL, NULL);
    *status = pfj_health_answer(&w, gaps);
    ck_assert_int_eq(apr_brigade_pflatten(bb, &text, &len, pfj_test_pool),
                     APR_SUCCESS);
    return apr_pstrmemdup(pfj_test_pool, text, len);
}

START_TEST(test_tables_are_plain_and_unique)
{
    pfj_check_sql_names(pfj_required_tables, PFJ_REQUIRED_TABLE_COUNT);
}
END_TEST

START_TEST(test_text_arrays)
{
    ck_assert_str_eq(pfj_text_array(pfj_test_pool, pfj_required_tables, 2),
                     "{jobs,tasks}");
    ck_assert_str_eq(pfj_text_array(pfj_test_pool, NULL, 0), "{}");
}
END_TEST

START_TEST(test_everything_there_is_ok)
{
    int status;

    ck_assert_str_eq(answer(pfj_schema_gaps_make(pfj_test_pool), &status),
                     "{\"status\": \"ok\"}");
    ck_assert_int_eq(status, 200);
}
END_TEST

START_TEST(test_no_database)
{
    int status;

    ck_assert_str_eq(answer(NULL, &status),
                     "{\"status\": \"error\", \"problems\": [{\"kind\": "
                     "\"database\", \"problem\": \"unavailable\"}]}");
    ck_assert_int_eq(status, 503);
}
END_TEST

/* Rows as the statement returns them: tables first; an index without a
 * row of pg_index has NULL (or, read with apr_dbd_get_entry(), "")
 * validity, an INVALID one "f". */
START_TEST(test_missing_tables_and_indexes_are_named)
{
    pfj_schema_gaps *gaps = pfj_schema_gaps_make(pfj_test_pool);
    char name[] = "tasks";
    const char *const *names;
    int status;

    pfj_schema_gaps_add(gaps, "table", name, NULL);
    /* the name is copied: the row's text goes with its result */
    strcpy(name, "xxxxx");
    pfj_schema_gaps_add(gaps, "index", "pfj_jobs_title_idx", "f");
    pfj_schema_gaps_add(gaps, "index", "pfj_tasks_failed_idx", NULL);
    pfj_schema_gaps_add(gaps, "index", "pfj_tasks_active_idx", "");
    ck_assert_str_eq(answer(gaps, &status),
                     "{\"status\": \"error\", \"problems\": ["
                     "{\"kind\": \"table\", \"name\": \"tasks\", "
                     "\"problem\": \"missing\"}, "
                     "{\"kind\": \"index\", \"name\": \"pfj_jobs_title_idx\", "
                     "\"problem\": \"invalid\"}, "
                     "{\"kind\": \"index\", \"name\": "
                     "\"pfj_tasks_failed_idx\", \"problem\": \"missing\"}, "
                     "{\"kind\": \"index\", \"name\": "
                     "\"pfj_tasks_active_idx\", \"problem\": \"missing\"}]}");
    ck_assert_int_eq(status, 503);
    /* the startup warning's lists, NULL-terminated */
    names = pfj_schema_names(gaps->invalid);
    ck_assert_str_eq(names[0], "pfj_jobs_title_idx");
    ck_assert_ptr_null(names[1]);
    names = pfj_schema_names(gaps->indexes);
    ck_assert_str_eq(names[2], "pfj_tasks_active_idx");
    ck_assert_ptr_null(names[3]);
}
END_TEST

START_TEST(test_a_missing_table_alone_is_an_error)
{
    pfj_schema_gaps *gaps = pfj_schema_gaps_make(pfj_test_pool);
    int status;

    pfj_schema_gaps_add(gaps, "table", "jobs", NULL);
    ck_assert_str_eq(answer(gaps, &status),
                     "{\"status\": \"error\", \"problems\": [{\"kind\": "
                     "\"table\", \"name\": \"jobs\", \"problem\": "
                     "\"missing\"}]}");
    ck_assert_int_eq(status, 503);
}
END_TEST

Suite *pfj_suite_health(void)
{
    Suite *s = suite_create("health");
    TCase *tc = tcase_create("answer");

    tcase_add_checked_fixture(tc, pfj_test_pool_setup, pfj_test_pool_teardown);
    tcase_add_test(tc, test_tables_are_plain_and_unique);
    tcase_add_test(tc, test_text_arrays);
    tcase_add_test(tc, test_everything_there_is_ok);
    tcase_add_test(tc, test_no_database);
    tcase_add_test(tc, test_missing_tables_and_indexes_are_named);
    tcase_add_test(tc, test_a_missing_table_alone_is_an_error);
    suite_add_tcase(s, tc);
    return s;
}
