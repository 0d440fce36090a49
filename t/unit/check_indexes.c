/* check_indexes.c - the indexes the module's plans need
 * (src/core/indexes.c): the list itself, the parameter of the check's
 * statement, and the one warning about those a database lacks. */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "core/indexes.h"
#include "suites.h"

void pfj_check_sql_names(const char *const *names, int count)
{
    const char *name;
    int i, j;

    for (i = 0; i < count; i++) {
        name = names[i];
        ck_assert_ptr_nonnull(name);
        ck_assert_msg(strlen(name) <= 63, "%s", name);
        for (j = 0; name[j]; j++) {
            ck_assert_msg(apr_islower(name[j]) || apr_isdigit(name[j])
                              || name[j] == '_',
                          "%s", name);
        }
        for (j = 0; j < i; j++) {
            ck_assert_str_ne(name, names[j]);
        }
    }
}

START_TEST(test_names_are_plain_and_unique)
{
    int i;

    pfj_check_sql_names(pfj_required_indexes, PFJ_REQUIRED_INDEX_COUNT);
    for (i = 0; i < PFJ_REQUIRED_INDEX_COUNT; i++) {
        ck_assert_msg(strncmp(pfj_required_indexes[i], "pfj_", 4) == 0, "%s",
                      pfj_required_indexes[i]);
    }
}
END_TEST

START_TEST(test_array_literal)
{
    const char *text = pfj_text_array(pfj_test_pool, pfj_required_indexes,
                                      PFJ_REQUIRED_INDEX_COUNT);
    const char *c;
    int commas = 0;

    ck_assert(strncmp(text,
                      "{pfj_tasks_job_frame_id_idx,pfj_tasks_agent_id_idx,",
                      51)
              == 0);
    ck_assert_str_eq(text + strlen(text) - 31,
                     ",pfj_tasks_job_state_frame_idx}");
    for (c = text; *c; c++) {
        commas += *c == ',';
    }
    ck_assert_int_eq(commas, PFJ_REQUIRED_INDEX_COUNT - 1);
}
END_TEST

START_TEST(test_nothing_missing_is_no_warning)
{
    static const char *const none[] = {NULL};

    ck_assert_ptr_null(pfj_missing_indexes_warning(pfj_test_pool, none, none));
}
END_TEST

START_TEST(test_one_missing_index)
{
    static const char *const missing[] = {"pfj_jobs_title_idx", NULL};
    static const char *const none[] = {NULL};

    ck_assert_str_eq(pfj_missing_indexes_warning(pfj_test_pool, missing, none),
                     "mod_pyfarm_jobs: the database lacks index "
                     "pfj_jobs_title_idx: its queries scan whole tables; run "
                     "sql/indexes.sql (it is idempotent)");
}
END_TEST

START_TEST(test_several_missing_and_invalid_indexes)
{
    static const char *const missing[] = {"pfj_a_idx", "pfj_b_idx",
                                          "pfj_c_idx", NULL};
    static const char *const one[] = {"pfj_b_idx", NULL};
    static const char *const two[] = {"pfj_a_idx", "pfj_c_idx", NULL};

    ck_assert_str_eq(pfj_missing_indexes_warning(pfj_test_pool, missing, one),
                     "mod_pyfarm_jobs: the database lacks indexes pfj_a_idx, "
                     "pfj_b_idx, pfj_c_idx: their queries scan whole tables; "
                     "run sql/indexes.sql (it is idempotent); pfj_b_idx "
                     "exists but is INVALID (a failed CREATE INDEX "
                     "CONCURRENTLY), which IF NOT EXISTS keeps: drop it "
                     "first");
    ck_assert_str_eq(pfj_missing_indexes_warning(pfj_test_pool, missing, two),
                     "mod_pyfarm_jobs: the database lacks indexes pfj_a_idx, "
                     "pfj_b_idx, pfj_c_idx: their queries scan whole tables; "
                     "run sql/indexes.sql (it is idempotent); pfj_a_idx, "
                     "pfj_c_idx exist but are INVALID (a failed CREATE INDEX "
                     "CONCURRENTLY), which IF NOT EXISTS keeps: drop them "
                     "first");
}
END_TEST

Suite *pfj_suite_indexes(void)
{
    Suite *s = suite_create("indexes");
    TCase *tc = tcase_create("required");

    tcase_add_checked_fixture(tc, pfj_test_pool_setup, pfj_test_pool_teardown);
    tcase_add_test(tc, test_names_are_plain_and_unique);
    tcase_add_test(tc, test_array_literal);
    tcase_add_test(tc, test_nothing_missing_is_no_warning);
    tcase_add_test(tc, test_one_missing_index);
    tcase_add_test(tc, test_several_missing_and_invalid_indexes);
    suite_add_tcase(s, tc);
    return s;
}
