/* check_list_page.c - the paging parameters of the lists, the task list's
 * cursor and state filter, the next page's Link (doc/api.md §1, §8). */
#include <string.h>
#include <apr_strings.h>
#include "suites.h"
#include "core/list_page.h"
#include "core/router.h"

#define BAD_LIMIT "limit must be a non-negative integer"
#define BAD_OFFSET "offset must be a non-negative integer"
#define BAD_AFTER \
    "after must be <frame>,<id> (a decimal and a non-negative integer)"
#define BAD_STATE "state must be one of queued, paused, running, done, failed"

static apr_table_t *query(const char *args)
{
    return pfj_parse_query(pfj_test_pool, args);
}

/* pfj_page_read() of args with a maximum of 100: its error (NULL: none). */
static const char *read_page(const char *args, pfj_page *page)
{
    return pfj_page_read(query(args), 100, page);
}

static void assert_page(const char *args, apr_int64_t limit,
                        apr_int64_t offset)
{
    pfj_page page;

    ck_assert_msg(read_page(args, &page) == NULL, "%s refused", args);
    ck_assert_int_eq(page.limit, limit);
    ck_assert_int_eq(page.offset, offset);
}

static void assert_page_refused(const char *args, const char *error)
{
    pfj_page page;
    const char *got = read_page(args, &page);

    ck_assert_msg(got != NULL, "%s accepted", args);
    ck_assert_str_eq(got, error);
}

START_TEST(page_parameters)
{
    assert_page(NULL, -1, 0);
    assert_page("x=1", -1, 0);
    assert_page("limit=5", 5, 0);
    assert_page("limit=0", 0, 0);
    assert_page("limit=007&offset=0030", 7, 30);
    assert_page("offset=9223372036854775807", -1, INT64_MAX);
    assert_page("limit=100", 100, 0);
    assert_page("limit=101", 100, 0); /* cut to the maximum */
    assert_page("limit=9223372036854775807", 100, 0);
    assert_page("limit=3&limit=x", 3, 0); /* the first value counts */
}
END_TEST

START_TEST(bad_page_parameters)
{
    static const char *const bad[] = {"",
                                      "+1",
                                      "-1",
                                      "1.0",
                                      "1e3",
                                      " 1",
                                      "1 ",
                                      "0x10",
                                      "%31%00",
                                      "１",
                                      "9223372036854775808",
                                      "99999999999999999999"};
    int i;

    for (i = 0; i < N_CASES(bad); i++) {
        assert_page_refused(apr_pstrcat(pfj_test_pool, "limit=", bad[i], NULL),
                            BAD_LIMIT);
        assert_page_refused(apr_pstrcat(pfj_test_pool, "offset=", bad[i],
                                        NULL),
                            BAD_OFFSET);
    }
    assert_page_refused("limit", BAD_LIMIT); /* a key without "=" is "" */
    assert_page_refused("offset=x&limit=y", BAD_LIMIT); /* limit first */
}
END_TEST

START_TEST(page_fetches_one_row_more)
{
    pfj_page all = {-1, 0}, none = {0, 5}, ten = {10, 0},
             huge = {INT64_MAX, 0};

    ck_assert_int_eq(pfj_page_fetch(&all), -1);
    ck_assert_int_eq(pfj_page_fetch(&none), 0);
    ck_assert_int_eq(pfj_page_fetch(&ten), 11);
    ck_assert_int_eq(pfj_page_fetch(&huge), INT64_MAX);
    ck_assert(!pfj_page_more(&all, 5000));
    ck_assert(!pfj_page_more(&none, 1)); /* an empty page has no next */
    ck_assert(!pfj_page_more(&ten, 10));
    ck_assert(pfj_page_more(&ten, 11));
    ck_assert(pfj_page_shows(&all, 5000));
    ck_assert(!pfj_page_shows(&none, 0));
    ck_assert(pfj_page_shows(&ten, 9));
    ck_assert(!pfj_page_shows(&ten, 10));
    ck_assert_int_eq(pfj_count_add(2, 3), 5);
    ck_assert_int_eq(pfj_count_add(INT64_MAX - 1, 2), INT64_MAX);
    ck_assert_int_eq(pfj_count_add(INT64_MAX, INT64_MAX), INT64_MAX);
}
END_TEST

static const char *read_cursor(const char *args, pfj_task_cursor *after)
{
    return pfj_task_cursor_read(pfj_test_pool, query(args), after);
}

static void assert_cursor(const char *args, const char *frame, const char *id)
{
    pfj_task_cursor after;

    ck_assert_msg(read_cursor(args, &after) == NULL, "%s refused", args);
    ck_assert_str_eq(after.frame, frame);
    ck_assert_str_eq(after.id, id);
}

START_TEST(cursors)
{
    pfj_task_cursor after;

    ck_assert_ptr_null(read_cursor("limit=3", &after));
    ck_assert_ptr_null(after.frame);
    ck_assert_ptr_null(after.id);
    assert_cursor("after=1,2", "1", "2");
    assert_cursor("after=-2.5,17", "-2.5", "17");
    assert_cursor("after=0.0001,0", "0.0001", "0");
    assert_cursor("after=007.500,0009", "007.500", "0009");
    assert_cursor("after=999999.9999,9223372036854775807", "999999.9999",
                  "9223372036854775807");
    assert_cursor("after=5%2C3", "5", "3"); /* the comma escaped */
    assert_cursor("after=1,2&after=x", "1", "2");
    /* as long as a frame may be */
    assert_cursor("after=1234567890123456789012345678901234567890.1234567890"
                  "123456789012,1",
                  "1234567890123456789012345678901234567890.1234567890123456"
                  "789012",
                  "1");
}
END_TEST

START_TEST(bad_cursors)
{
    static const char *const bad[] = {
        "",
        "after",
        ",",
        "1",
        "1,",
        ",1",
        "1,2,3",
        "1;2",
        "a,1",
        "1,a",
        "+1,2",
        "1.,2",
        ".5,2",
        "1.5.5,2",
        "1e3,2",
        "--1,2",
        "- 1,2",
        "1 ,2",
        "1, 2",
        "1,-2",
        "1,+2",
        "1,2.0",
        "NaN,1",
        "Infinity,1",
        "1,9223372036854775808",
        "1,99999999999999999999",
        "1,%EF%BC%91",
        "12345678901234567890123456789012345678901234567890"
        "123456789012345,1"};
    pfj_task_cursor after;
    const char *args, *error;
    int i;

    for (i = 0; i < N_CASES(bad); i++) {
        args = strcmp(bad[i], "after") == 0
                   ? bad[i]
                   : apr_pstrcat(pfj_test_pool, "after=", bad[i], NULL);
        error = read_cursor(args, &after);
        ck_assert_msg(error != NULL, "%s accepted", args);
        ck_assert_str_eq(error, BAD_AFTER);
    }
}
END_TEST

START_TEST(cursor_text_of_a_row)
{
    static const char *const cases[][3] = {
        {"2.5000", "17", "2.5,17"},
        {"7.0000", "3", "7,3"},
        {"-0.2500", "1", "-0.25,1"},
        {"0.0000", "9", "0,9"},
        {"100.0001", "2", "100.0001,2"},
        {"10", "4", "10,4"},
        {"-999999.9999", "5", "-999999.9999,5"}};
    pfj_task_cursor after;
    const char *text;
    int i;

    for (i = 0; i < N_CASES(cases); i++) {
        text = pfj_task_cursor_text(pfj_test_pool, cases[i][0], cases[i][1]);
        ck_assert_str_eq(text, cases[i][2]);
        /* and it reads back */
        ck_assert_ptr_null(read_cursor(apr_pstrcat(pfj_test_pool,
                                                   "after=", text, NULL),
                                       &after));
    }
}
END_TEST

static unsigned read_states(const char *args, const char **error)
{
    unsigned states = 99;

    *error = pfj_task_states_read(query(args), &states);
    return states;
}

START_TEST(states)
{
    static const struct {
        const char *args;
        unsigned states;
    } cases[] = {
        {NULL, 0},
        {"limit=1", 0},
        {"state=queued", 1u << PFJ_TASK_STATE_queued},
        {"state=paused", 1u << PFJ_TASK_STATE_paused},
        {"state=running", 1u << PFJ_TASK_STATE_running},
        {"state=done", 1u << PFJ_TASK_STATE_done},
        {"state=failed", 1u << PFJ_TASK_STATE_failed},
        {"state=running&state=failed",
         (1u << PFJ_TASK_STATE_running) | (1u << PFJ_TASK_STATE_failed)},
        {"state=done&x=1&state=done", 1u << PFJ_TASK_STATE_done},
        {"state=queued&state=paused&state=running&state=done&state=failed",
         0x1f},
    };
    const char *error;
    int i;

    for (i = 0; i < N_CASES(cases); i++) {
        ck_assert_uint_eq(read_states(cases[i].args, &error), cases[i].states);
        ck_assert_ptr_null(error);
    }
    ck_assert_int_eq(PFJ_TASK_STATE_COUNT, 5);
}
END_TEST

START_TEST(unknown_states)
{
    static const char *const bad[] = {"state=",
                                      "state",
                                      "state=assigned",
                                      "state=Running",
                                      "state=running+",
                                      "state=106",
                                      "state=done&state=nope",
                                      "state=nope&state=done",
                                      "state=done,failed"};
    const char *error;
    int i;

    for (i = 0; i < N_CASES(bad); i++) {
        read_states(bad[i], &error);
        ck_assert_msg(error != NULL, "%s accepted", bad[i]);
        ck_assert_str_eq(error, BAD_STATE);
    }
}
END_TEST

static const char *const offset_only[] = {"offset", NULL};
static const char *const cursor_keys[] = {"offset", "after", NULL};

static const char *next_link(const char *path, const char *args,
                             const char *const *replaced, const char *param)
{
    return pfj_next_page_link(pfj_test_pool, path, args, replaced, param);
}

START_TEST(next_page_links)
{
    ck_assert_str_eq(next_link("/api/v1/jobs/", "limit=100", offset_only,
                               "offset=100"),
                     "</api/v1/jobs/?limit=100&offset=100>; rel=\"next\"");
    ck_assert_str_eq(next_link("/api/v1/jobs/",
                               "offset=100&limit=100&title=a+b", offset_only,
                               "offset=200"),
                     "</api/v1/jobs/?limit=100&title=a+b&offset=200>; "
                     "rel=\"next\"");
    /* every parameter kept as sent, in its order, repeated ones too */
    ck_assert_str_eq(next_link("/api/v1/jobs/Demo%20shot/tasks/",
                               "state=done&limit=2&state=failed&after=1,5&x",
                               cursor_keys, "after=3,9"),
                     "</api/v1/jobs/Demo%20shot/tasks/"
                     "?state=done&limit=2&state=failed&x&after=3,9>; "
                     "rel=\"next\"");
    /* keys as the reader sees them: escaped, any case, without "=" */
    ck_assert_str_eq(next_link("/j/", "off%73et=1&OFFSET=2&offset&limit=1",
                               offset_only, "offset=3"),
                     "</j/?limit=1&offset=3>; rel=\"next\"");
    /* empty pieces dropped; no query at all */
    ck_assert_str_eq(next_link("/j/", "&&limit=1&", offset_only, "offset=1"),
                     "</j/?limit=1&offset=1>; rel=\"next\"");
    ck_assert_str_eq(next_link("/j/", NULL, offset_only, "offset=1"),
                     "</j/?offset=1>; rel=\"next\"");
    ck_assert_str_eq(next_link("/j/", "", offset_only, "offset=1"),
                     "</j/?offset=1>; rel=\"next\"");
}
END_TEST

START_TEST(links_escape_what_a_uri_cannot_carry)
{
    /* escapes kept, a "%" without one escaped, unsafe bytes escaped */
    ck_assert_str_eq(next_link("/j/", "title=%41%zz%4", offset_only,
                               "offset=1"),
                     "</j/?title=%41%25zz%254&offset=1>; rel=\"next\"");
    ck_assert_str_eq(next_link("/j/", "t=<a> \"b\"\\^`{|}#[]", offset_only,
                               "offset=1"),
                     "</j/?t=%3Ca%3E%20%22b%22%5C%5E%60%7B%7C%7D%23%5B%5D"
                     "&offset=1>; rel=\"next\"");
    ck_assert_str_eq(next_link("/j/\xc3\xa9/", "t=\xe6\x97\xa5\x01",
                               offset_only, "offset=1"),
                     "</j/%C3%A9/?t=%E6%97%A5%01&offset=1>; rel=\"next\"");
    ck_assert_str_eq(next_link("/j/", "a=-._~!$'()*+,;:@/?", offset_only,
                               "offset=1"),
                     "</j/?a=-._~!$'()*+,;:@/?&offset=1>; rel=\"next\"");
}
END_TEST

Suite *pfj_suite_list_page(void)
{
    Suite *s = suite_create("list_page");
    TCase *tc = tcase_create("list_page");

    tcase_add_checked_fixture(tc, pfj_test_pool_setup, pfj_test_pool_teardown);
    tcase_add_test(tc, page_parameters);
    tcase_add_test(tc, bad_page_parameters);
    tcase_add_test(tc, page_fetches_one_row_more);
    tcase_add_test(tc, cursors);
    tcase_add_test(tc, bad_cursors);
    tcase_add_test(tc, cursor_text_of_a_row);
    tcase_add_test(tc, states);
    tcase_add_test(tc, unknown_states);
    tcase_add_test(tc, next_page_links);
    tcase_add_test(tc, links_escape_what_a_uri_cannot_carry);
    suite_add_tcase(s, tc);
    return s;
}
