/* check_config.c - per-directory configuration: defaults, parsing, and a
 * merge that keeps every field of the innermost section that set it. */
#include "suites.h"
#include "config.h"

START_TEST(defaults_when_unset)
{
    pfj_dir_conf *c = pfj_config_create(pfj_test_pool, NULL);

    ck_assert_str_eq(pfj_conf_base(c), "/api/v1/jobs");
    ck_assert_int_eq(pfj_conf_max_body(c), 1048576);
    ck_assert_str_eq(pfj_conf_log_dir(c), "/var/lib/pyfarm/task_logs");
    ck_assert_int_eq(pfj_conf_max_log_size(c), 1073741824);
}
END_TEST

START_TEST(base_comes_from_location)
{
    ck_assert_str_eq(pfj_conf_base(pfj_config_create(pfj_test_pool,
                                                     "/farm/api/v1/jobs")),
                     "/farm/api/v1/jobs");
    ck_assert_str_eq(pfj_conf_base(pfj_config_create(pfj_test_pool,
                                                     "/api/v1/jobs/")),
                     "/api/v1/jobs");
    /* a <LocationMatch> regex is no prefix */
    ck_assert_str_eq(pfj_conf_base(pfj_config_create(pfj_test_pool,
                                                     "^/x(.*)$")),
                     "/api/v1/jobs");
}
END_TEST

START_TEST(merge_takes_each_field_from_the_inner_section)
{
    pfj_dir_conf *outer = pfj_config_create(pfj_test_pool, "/outer");
    pfj_dir_conf *inner = pfj_config_create(pfj_test_pool, NULL);
    pfj_dir_conf *m;

    outer->max_body = 10;
    outer->log_dir = "/srv/logs";
    outer->max_log_size = 30;
    m = pfj_config_merge(pfj_test_pool, outer, inner);
    ck_assert_str_eq(pfj_conf_base(m), "/outer");
    ck_assert_int_eq(pfj_conf_max_body(m), 10);
    ck_assert_str_eq(pfj_conf_log_dir(m), "/srv/logs");
    ck_assert_int_eq(pfj_conf_max_log_size(m), 30);

    inner = pfj_config_create(pfj_test_pool, "/inner");
    inner->max_body = 20;
    inner->log_dir = "/srv/other";
    inner->max_log_size = 40;
    m = pfj_config_merge(pfj_test_pool, outer, inner);
    ck_assert_str_eq(pfj_conf_base(m), "/inner");
    ck_assert_int_eq(pfj_conf_max_body(m), 20);
    ck_assert_str_eq(pfj_conf_log_dir(m), "/srv/other");
    ck_assert_int_eq(pfj_conf_max_log_size(m), 40);
}
END_TEST

START_TEST(merge_of_two_unset_sections_stays_unset)
{
    pfj_dir_conf *m = pfj_config_merge(pfj_test_pool,
                                       pfj_config_create(pfj_test_pool, NULL),
                                       pfj_config_create(pfj_test_pool, NULL));

    ck_assert_ptr_null(m->base);
    ck_assert_int_eq(m->max_body, -1);
    ck_assert_ptr_null(m->log_dir);
    ck_assert_int_eq(m->max_log_size, -1);
}
END_TEST

START_TEST(size_parsing)
{
    apr_off_t v = 0;

    ck_assert_ptr_null(pfj_config_parse_size(pfj_test_pool, "65536", &v));
    ck_assert_int_eq(v, 65536);
    ck_assert_str_eq(pfj_config_parse_size(pfj_test_pool, "0", &v),
                     "'0' is not a positive number of bytes");
    ck_assert_ptr_nonnull(pfj_config_parse_size(pfj_test_pool, "1k", &v));
    ck_assert_ptr_nonnull(pfj_config_parse_size(pfj_test_pool, "", &v));
    ck_assert_ptr_nonnull(pfj_config_parse_size(pfj_test_pool, "-5", &v));
    ck_assert_int_eq(v, 65536);
}
END_TEST

Suite *pfj_suite_config(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");

    tcase_add_checked_fixture(tc, pfj_test_pool_setup,
                              pfj_test_pool_teardown);
    tcase_add_test(tc, defaults_when_unset);
    tcase_add_test(tc, base_comes_from_location);
    tcase_add_test(tc, merge_takes_each_field_from_the_inner_section);
    tcase_add_test(tc, merge_of_two_unset_sections_stays_unset);
    tcase_add_test(tc, size_parsing);
    suite_add_tcase(s, tc);
    return s;
}
