/* check_values.c - value rendering (src/core/db_values.c) against the strings
 * Python prints for the same values (doc/api.md §0.6, §0.7). */
#include <locale.h>
#include <math.h>
#include <stdio.h>

#include "suites.h"
#include "core/db_values.h"

/* An input text and the rendering expected for it (NULL: rejected). */
typedef struct {
    const char *in;
    const char *out;
} text_case;

/* Expected strings are Python 3's json.dumps(value). */
static const struct {
    double in;
    const char *out;
} double_cases[] = {
    {0.0, "0.0"},
    {-0.0, "-0.0"},
    {1.0, "1.0"},
    {-1.5, "-1.5"},
    {2.5, "2.5"},
    {100.0, "100.0"},
    {0.1, "0.1"},
    {0.35, "0.35"},
    {0.1 + 0.2, "0.30000000000000004"},
    {1 / 3.0, "0.3333333333333333"},
    {1e-05, "1e-05"},
    {0.00001234, "1.234e-05"},
    {0.00009999, "9.999e-05"},
    {0.0001, "0.0001"},
    {123456789012345.0, "123456789012345.0"},
    {1e15, "1000000000000000.0"},
    {9999999999999998.0, "9999999999999998.0"},
    {1e16, "1e+16"},
    {1e22, "1e+22"},
    {123456789012345678.0, "1.2345678901234568e+17"},
    {1.5e300, "1.5e+300"},
    {1.7976931348623157e308, "1.7976931348623157e+308"},
    {2.2250738585072014e-308, "2.2250738585072014e-308"},
    {5e-324, "5e-324"},
    /* 2**-1017: the nearest 16 digits do not read back, the next up do */
    {7.120236347223045e-307, "7.120236347223045e-307"},
};

START_TEST(test_fmt_double)
{
    ck_assert_str_eq(pfj_fmt_double(pfj_test_pool, double_cases[_i].in),
                     double_cases[_i].out);
}
END_TEST

START_TEST(test_fmt_double_non_finite)
{
    ck_assert_str_eq(pfj_fmt_double(pfj_test_pool, NAN), "NaN");
    ck_assert_str_eq(pfj_fmt_double(pfj_test_pool, -NAN), "NaN");
    ck_assert_str_eq(pfj_fmt_double(pfj_test_pool, INFINITY), "Infinity");
    ck_assert_str_eq(pfj_fmt_double(pfj_test_pool, -INFINITY), "-Infinity");
}
END_TEST

/* A decimal-comma locale must not leak into the output.  Only meaningful
 * where such a locale is installed; elsewhere there is nothing to show. */
START_TEST(test_numbers_ignore_locale)
{
    static const char *const comma_locales[] = {
        "de_DE.UTF-8",
        "de_DE.utf8",
        "fr_FR.UTF-8",
        "fr_FR.utf8",
    };
    int i;

    for (i = 0; i < N_CASES(comma_locales); i++)
        if (setlocale(LC_NUMERIC, comma_locales[i]) != NULL)
            break;
    ck_assert_str_eq(pfj_fmt_double(pfj_test_pool, 2.5), "2.5");
    ck_assert_str_eq(pfj_fmt_double(pfj_test_pool, 1.5e-7), "1.5e-07");
    ck_assert_str_eq(pfj_fmt_numeric(pfj_test_pool, "-3.1250"), "-3.125");
    setlocale(LC_NUMERIC, "C");
}
END_TEST

/* Expected strings are Python 3's repr(float(Decimal(in))). */
static const text_case numeric_cases[] = {
    {"1.0000", "1.0"},
    {"2.5000", "2.5"},
    {"-3.1250", "-3.125"},
    {"0.5000", "0.5"},
    {"10", "10.0"},
    {"007", "7.0"},
    {"0.0000", "0.0"},
    {"-0.0000", "-0.0"},
    {"123456.1234", "123456.1234"},
    {"0.0001", "0.0001"},
    {"0.00001", "1e-05"},
    {"10000000000000000", "1e+16"},
    {"12345678901234567890", "1.2345678901234567e+19"},
    {"0.1000000000000000055511151231257827", "0.1"},
    {"abc", NULL},
    {"1e5", NULL},
    {"", NULL},
    {"-", NULL},
    {"+1", NULL},
    {"1.", NULL},
    {".5", NULL},
    {"-.5", NULL},
    {"1.2.3", NULL},
    {" 1", NULL},
    {"1 ", NULL},
    {"1,5", NULL},
    {"NaN", NULL},
};

START_TEST(test_fmt_numeric)
{
    ck_assert_pstr_eq(pfj_fmt_numeric(pfj_test_pool, numeric_cases[_i].in),
                      numeric_cases[_i].out);
}
END_TEST

START_TEST(test_fmt_numeric_null)
{
    ck_assert_ptr_null(pfj_fmt_numeric(pfj_test_pool, NULL));
}
END_TEST

static const text_case timestamp_cases[] = {
    {"2014-03-06 15:40:58.33525", "2014-03-06T15:40:58.335250"},
    {"2014-03-06 15:40:58.123456", "2014-03-06T15:40:58.123456"},
    {"2014-03-06 15:40:58.000001", "2014-03-06T15:40:58.000001"},
    {"2014-03-06 15:40:58.5", "2014-03-06T15:40:58.500000"},
    {"2014-03-06 15:40:58", "2014-03-06T15:40:58"},
    {"2014-03-06 15:40:58.0", "2014-03-06T15:40:58"},
    {"2014-03-06 15:40:58.000000", "2014-03-06T15:40:58"},
    {"0001-01-01 00:00:00", "0001-01-01T00:00:00"},
    {"infinity", NULL},
    {"-infinity", NULL},
    {"2014-03-06 15:40:58 BC", NULL},
    {"12014-03-06 15:40:58", NULL},
    {"2014-03-06T15:40:58", NULL},
    {"2014-3-06 15:40:58", NULL},
    {"2014-03-06 15:40", NULL},
    {"2014-03-06 15:40:58.", NULL},
    {"2014-03-06 15:40:58.1234567", NULL},
    {"2014-03-06 15:40:58.12a", NULL},
    {"2014-03-06 15:40:58+00", NULL},
    {"2014-03-06 15:40:58.5+00", NULL},
    {"", NULL},
};

START_TEST(test_fmt_timestamp)
{
    ck_assert_pstr_eq(pfj_fmt_timestamp(pfj_test_pool, timestamp_cases[_i].in),
                      timestamp_cases[_i].out);
}
END_TEST

START_TEST(test_fmt_timestamp_null)
{
    ck_assert_ptr_null(pfj_fmt_timestamp(pfj_test_pool, NULL));
}
END_TEST

START_TEST(test_state_name)
{
    ck_assert_str_eq(pfj_state_name("100"), "paused");
    ck_assert_str_eq(pfj_state_name("105"), "running");
    ck_assert_str_eq(pfj_state_name("106"), "done");
    ck_assert_str_eq(pfj_state_name("107"), "failed");
    ck_assert_ptr_null(pfj_state_name("104"));
    ck_assert_ptr_null(pfj_state_name("1050"));
    ck_assert_ptr_null(pfj_state_name(""));
    ck_assert_ptr_null(pfj_state_name(NULL));
}
END_TEST

START_TEST(test_state_code)
{
    ck_assert_int_eq(pfj_state_code("paused"), PFJ_STATE_PAUSED);
    ck_assert_int_eq(pfj_state_code("running"), PFJ_STATE_RUNNING);
    ck_assert_int_eq(pfj_state_code("done"), PFJ_STATE_DONE);
    ck_assert_int_eq(pfj_state_code("failed"), PFJ_STATE_FAILED);
    ck_assert_int_eq(pfj_state_code("queued"), -1);
    ck_assert_int_eq(pfj_state_code("assigned"), -1);
    ck_assert_int_eq(pfj_state_code("Paused"), -1);
    ck_assert_int_eq(pfj_state_code(""), -1);
    ck_assert_int_eq(pfj_state_code(NULL), -1);
}
END_TEST

/* Every state's name leads back to its code. */
START_TEST(test_state_round_trip)
{
    static const char *const codes[] = {"100", "105", "106", "107"};
    char text[8];
    int i;

    for (i = 0; i < N_CASES(codes); i++) {
        snprintf(text, sizeof(text), "%d",
                 pfj_state_code(pfj_state_name(codes[i])));
        ck_assert_str_eq(text, codes[i]);
    }
}
END_TEST

/* BIGINT text and the dotted quad of the same address (both directions). */
static const text_case ipv4_pairs[] = {
    {"0", "0.0.0.0"},
    {"1", "0.0.0.1"},
    {"2130706433", "127.0.0.1"},
    {"3232235777", "192.168.1.1"},
    {"167772161", "10.0.0.1"},
    {"4294967295", "255.255.255.255"},
};

START_TEST(test_fmt_ipv4)
{
    ck_assert_str_eq(pfj_fmt_ipv4(pfj_test_pool, ipv4_pairs[_i].in),
                     ipv4_pairs[_i].out);
}
END_TEST

START_TEST(test_fmt_ipv4_null_is_null)
{
    ck_assert_ptr_null(pfj_fmt_ipv4(pfj_test_pool, NULL));
}
END_TEST

static const char *const bad_bigints[] = {
    "4294967296", "99999999999999999999999",
    "-1",         "+1",
    "",           " 1",
    "1 ",         "1.5",
    "abc",        "127.0.0.1",
};

START_TEST(test_fmt_ipv4_rejects)
{
    ck_assert_ptr_null(pfj_fmt_ipv4(pfj_test_pool, bad_bigints[_i]));
}
END_TEST

static TCase *pool_tcase(const char *name)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, pfj_test_pool_setup, pfj_test_pool_teardown);
    return tc;
}

START_TEST(decimal_comparison)
{
    apr_pool_t *p = pfj_test_pool;

    ck_assert_int_eq(pfj_decimal_cmp(p, "1", "1.0"), 0);
    ck_assert_int_eq(pfj_decimal_cmp(p, "1e2", "100.00"), 0);
    ck_assert_int_eq(pfj_decimal_cmp(p, "0", "-0.0"), 0);
    ck_assert_int_lt(pfj_decimal_cmp(p, "1", "1.00000000000000001"), 0);
    ck_assert_int_gt(pfj_decimal_cmp(p, "1.00000000000000001", "1"), 0);
    ck_assert_int_lt(pfj_decimal_cmp(p, "-2", "-1.5"), 0);
    ck_assert_int_lt(pfj_decimal_cmp(p, "-1", "0"), 0);
    ck_assert_int_gt(pfj_decimal_cmp(p, "0.0001", "0.00005"), 0);
    ck_assert_int_lt(pfj_decimal_cmp(p, "5E-5", "0.0001"), 0);
    ck_assert_int_eq(pfj_decimal_cmp(p, "0.0001", "1e-4"), 0);
    ck_assert_int_gt(pfj_decimal_cmp(p, "999999.99995", "999999.9999"), 0);
    ck_assert_int_gt(pfj_decimal_cmp(p, "1e999999999999", "1e5"), 0);
    ck_assert_int_lt(pfj_decimal_cmp(p, "10", "11"), 0);
    ck_assert_int_gt(pfj_decimal_cmp(p, "0.20", "0.1999"), 0);
}
END_TEST

START_TEST(python_decimal_text)
{
    apr_pool_t *p = pfj_test_pool;

    ck_assert_str_eq(pfj_decimal_text(p, "2"), "2");
    ck_assert_str_eq(pfj_decimal_text(p, " +2 "), "2");
    ck_assert_str_eq(pfj_decimal_text(p, "4."), "4");
    ck_assert_str_eq(pfj_decimal_text(p, ".5"), "0.5");
    ck_assert_str_eq(pfj_decimal_text(p, "-2.50"), "-2.50");
    ck_assert_str_eq(pfj_decimal_text(p, "1E-3"), "1E-3");
    ck_assert_str_eq(pfj_decimal_text(p, "\t7e+2\n"), "7e+2");
    ck_assert_ptr_null(pfj_decimal_text(p, ""));
    ck_assert_ptr_null(pfj_decimal_text(p, "."));
    ck_assert_ptr_null(pfj_decimal_text(p, "abc"));
    ck_assert_ptr_null(pfj_decimal_text(p, "1e"));
    ck_assert_ptr_null(pfj_decimal_text(p, "1 2"));
    ck_assert_ptr_null(pfj_decimal_text(p, "NaN"));
    ck_assert_ptr_null(pfj_decimal_text(p, "Infinity"));
}
END_TEST

Suite *pfj_suite_values(void)
{
    Suite *s = suite_create("values");
    TCase *tc;

    tc = pool_tcase("double");
    tcase_add_loop_test(tc, test_fmt_double, 0, N_CASES(double_cases));
    tcase_add_test(tc, test_fmt_double_non_finite);
    tcase_add_test(tc, test_numbers_ignore_locale);
    suite_add_tcase(s, tc);

    tc = pool_tcase("numeric");
    tcase_add_loop_test(tc, test_fmt_numeric, 0, N_CASES(numeric_cases));
    tcase_add_test(tc, test_fmt_numeric_null);
    suite_add_tcase(s, tc);

    tc = pool_tcase("timestamp");
    tcase_add_loop_test(tc, test_fmt_timestamp, 0, N_CASES(timestamp_cases));
    tcase_add_test(tc, test_fmt_timestamp_null);
    suite_add_tcase(s, tc);

    tc = pool_tcase("state");
    tcase_add_test(tc, test_state_name);
    tcase_add_test(tc, test_state_code);
    tcase_add_test(tc, test_state_round_trip);
    suite_add_tcase(s, tc);

    tc = pool_tcase("ipv4");
    tcase_add_loop_test(tc, test_fmt_ipv4, 0, N_CASES(ipv4_pairs));
    tcase_add_test(tc, test_fmt_ipv4_null_is_null);
    tcase_add_loop_test(tc, test_fmt_ipv4_rejects, 0, N_CASES(bad_bigints));
    tcase_add_test(tc, decimal_comparison);
    tcase_add_test(tc, python_decimal_text);
    suite_add_tcase(s, tc);
    return s;
}
