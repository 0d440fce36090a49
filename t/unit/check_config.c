/* check_config.c - per-directory configuration: defaults, parsing, and a
 * merge that keeps every field of the innermost section that set it. */
#include "suites.h"
#include <apr_strings.h>
#include "core/dir_config.h"

START_TEST(defaults_when_unset)
{
    pfj_dir_conf *c = pfj_config_create(pfj_test_pool, NULL);

    ck_assert_str_eq(pfj_conf_base(c), "/api/v1/jobs");
    ck_assert_int_eq(pfj_conf_max_body(c), 1048576);
    ck_assert_int_eq(pfj_conf_autocreate_users(c), 1);
    ck_assert_ptr_null(pfj_conf_user_email(c));
    ck_assert_int_eq(pfj_conf_max_tasks(c), 1000000);
    ck_assert_int_eq(pfj_conf_list_limit(c), 1000);
    ck_assert_ptr_null(pfj_conf_autodelete(pfj_test_pool, c));
    ck_assert_str_eq(pfj_conf_log_dir(c), "/var/lib/pyfarm/task_logs");
    ck_assert_int_eq(pfj_conf_max_log_size(c), 1073741824);
    ck_assert_int_eq(pfj_conf_user_from_auth(c), PFJ_USER_FROM_AUTH_OFF);
}
END_TEST

START_TEST(base_parsing)
{
    const char *base = NULL;

    ck_assert_ptr_null(pfj_config_parse_base(pfj_test_pool,
                                             "/farm/api/v1/jobs/", &base));
    ck_assert_str_eq(base, "/farm/api/v1/jobs");
    ck_assert_ptr_null(pfj_config_parse_base(pfj_test_pool, "/", &base));
    ck_assert_str_eq(base, "");
    ck_assert_str_eq(pfj_config_parse_base(pfj_test_pool, "api", &base),
                     "'api' is not a URL path (it must start with /)");
}
END_TEST

/* A section that sets every field (values depending on seed). */
static pfj_dir_conf *section_setting_everything(int seed)
{
    pfj_dir_conf *c = pfj_config_create(pfj_test_pool, NULL);

    c->base = seed % 2 ? "/a" : "/b";
    c->max_body = seed + 1;
    c->autocreate_users = seed % 2;
    c->user_email = seed % 2 ? "a@example.com" : "b@example.com";
    c->max_tasks = seed + 2;
    c->list_limit = seed + 3;
    c->autodelete = seed + 4;
    c->log_dir = seed % 2 ? "/srv/a" : "/srv/b";
    c->max_log_size = seed + 5;
    c->user_from_auth = seed % 3;
    return c;
}

static void assert_everything_from(const pfj_dir_conf *m, int seed)
{
    ck_assert_str_eq(pfj_conf_base(m), seed % 2 ? "/a" : "/b");
    ck_assert_int_eq(pfj_conf_max_body(m), seed + 1);
    ck_assert_int_eq(pfj_conf_autocreate_users(m), seed % 2);
    ck_assert_str_eq(pfj_conf_user_email(m),
                     seed % 2 ? "a@example.com" : "b@example.com");
    ck_assert_int_eq(pfj_conf_max_tasks(m), seed + 2);
    ck_assert_int_eq(pfj_conf_list_limit(m), seed + 3);
    ck_assert_str_eq(pfj_conf_autodelete(pfj_test_pool, m),
                     apr_psprintf(pfj_test_pool, "%d", seed + 4));
    ck_assert_str_eq(pfj_conf_log_dir(m), seed % 2 ? "/srv/a" : "/srv/b");
    ck_assert_int_eq(pfj_conf_max_log_size(m), seed + 5);
    ck_assert_int_eq(pfj_conf_user_from_auth(m), seed % 3);
}

START_TEST(merge_keeps_every_field_an_inner_section_leaves_unset)
{
    pfj_dir_conf *outer = section_setting_everything(10);

    assert_everything_from(pfj_config_merge(pfj_test_pool, outer,
                                            pfj_config_create(pfj_test_pool,
                                                              NULL)),
                           10);
}
END_TEST

START_TEST(merge_takes_every_field_an_inner_section_sets)
{
    assert_everything_from(pfj_config_merge(pfj_test_pool,
                                            section_setting_everything(10),
                                            section_setting_everything(21)),
                           21);
}
END_TEST

START_TEST(merge_of_two_unset_sections_stays_unset)
{
    pfj_dir_conf *m = pfj_config_merge(pfj_test_pool,
                                       pfj_config_create(pfj_test_pool, NULL),
                                       pfj_config_create(pfj_test_pool, NULL));

    ck_assert_ptr_null(m->base);
    ck_assert_int_eq(m->max_body, -1);
    ck_assert_int_eq(m->autocreate_users, -1);
    ck_assert_ptr_null(m->user_email);
    ck_assert_int_eq(m->max_tasks, -1);
    ck_assert_int_eq(m->list_limit, -1);
    ck_assert_int_eq(m->autodelete, -1);
    ck_assert_ptr_null(m->log_dir);
    ck_assert_int_eq(m->max_log_size, -1);
    ck_assert_int_eq(m->user_from_auth, -1);
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

START_TEST(user_from_auth_parsing)
{
    int v = -1;

    ck_assert_ptr_null(pfj_config_parse_user_from_auth(pfj_test_pool, "on",
                                                       &v));
    ck_assert_int_eq(v, PFJ_USER_FROM_AUTH_ON);
    ck_assert_ptr_null(pfj_config_parse_user_from_auth(pfj_test_pool,
                                                       "ALLOWOTHERS", &v));
    ck_assert_int_eq(v, PFJ_USER_FROM_AUTH_ALLOW_OTHERS);
    ck_assert_ptr_null(pfj_config_parse_user_from_auth(pfj_test_pool, "Off",
                                                       &v));
    ck_assert_int_eq(v, PFJ_USER_FROM_AUTH_OFF);
    ck_assert_str_eq(pfj_config_parse_user_from_auth(pfj_test_pool, "yes", &v),
                     "'yes' is not On, Off or AllowOthers");
    ck_assert_int_eq(v, PFJ_USER_FROM_AUTH_OFF);
}
END_TEST

Suite *pfj_suite_config(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");

    tcase_add_checked_fixture(tc, pfj_test_pool_setup, pfj_test_pool_teardown);
    tcase_add_test(tc, defaults_when_unset);
    tcase_add_test(tc, base_parsing);
    tcase_add_test(tc, merge_keeps_every_field_an_inner_section_leaves_unset);
    tcase_add_test(tc, merge_takes_every_field_an_inner_section_sets);
    tcase_add_test(tc, merge_of_two_unset_sections_stays_unset);
    tcase_add_test(tc, size_parsing);
    tcase_add_test(tc, user_from_auth_parsing);
    suite_add_tcase(s, tc);
    return s;
}
