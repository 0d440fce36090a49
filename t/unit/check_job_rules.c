/* check_job_rules.c - the rules job submission and job update share
 * (src/core/job_rules.c): software requirements (doc/api.md §9.5),
 * parents, owner, queue path (§9.6), integer columns and ranges, the
 * frame step and the task count (§9.1), tag requirements. */
#include <string.h>
#include <apr_strings.h>
#include "job_cases.h"
#include "core/json_body.h"

#define BAD PFJ_HTTP_BAD_REQUEST
#define NOT_FOUND PFJ_HTTP_NOT_FOUND
#define LIST PFJ_REFUSAL_ERROR_LIST

/* A draft whose lookup answered changes (see pfj_test_found). */
static pfj_job_draft *looked_up(const char *body, const char *changes)
{
    pfj_job_draft *d = pfj_test_draft(body);

    d->found = pfj_test_found(changes);
    return d;
}

/* ---- §9.5 software requirements ---- */

START_TEST(software_lookup_input_is_one_entry_per_requirement)
{
    pfj_job_draft *d = pfj_test_draft(
        "{'software_requirements': [{'software': 'maya', 'min_version': 1,"
        " 'x': 2}, 5, {'max_version': null}]}");

    pfj_draft_collect_software(d);
    pfj_assert_member(
        d->lookup, "software",
        "[{'software': 'maya', 'min_version': '1', 'max_version': null},"
        " {}, {'software': null, 'min_version': null, 'max_version': null}]");
}
END_TEST

START_TEST(software_lookup_input_without_requirements_is_empty)
{
    pfj_job_draft *d = pfj_test_draft("{'software_requirements': 'x'}");

    pfj_draft_collect_software(d);
    pfj_assert_member(d->lookup, "software", "[]");
}
END_TEST

/* Ids of maya (1, versions 10 and 11) as the lookup answers them. */
#define MAYA "{'software_id': 1, 'min_version_id': 10, 'max_version_id': 11}"
/* clang-format off */
#define MAYA_UNVERSIONED \
    "{'software_id': 1, 'min_version_id': null, 'max_version_id': null}"
#define UNKNOWN_SOFTWARE \
    "{'software_id': null, 'min_version_id': null, 'max_version_id': null}"
/* clang-format on */

typedef struct {
    const char *body;
    const char *found; /* the lookup's software column */
    int status;
    const char *message;
} software_case;

/* In the order an entry is checked; the first entry's error wins. */
static const software_case software_refusals[] = {
    {"{'software_requirements': {'software': 'maya'}}", NULL, BAD,
     "software_requirements must be a list"},
    {"{'software_requirements': null}", NULL, BAD,
     "software_requirements must be a list"},
    {"{'software_requirements': ['maya']}", "[{}]", BAD,
     "Every software_requirement must be a dict"},
    {"{'software_requirements': [{'min_version': '1'}]}",
     "[" UNKNOWN_SOFTWARE "]", BAD,
     "Software requirement does not specify a software."},
    {"{'software_requirements': [{'software': null}]}",
     "[" UNKNOWN_SOFTWARE "]", BAD,
     "Software requirement does not specify a software."},
    {"{'software_requirements': [{'software': 'maya', 'x': 1}]}",
     "[" UNKNOWN_SOFTWARE "]", NOT_FOUND, "Software maya not found"},
    {"{'software_requirements': [{'software': 7}]}", "[" UNKNOWN_SOFTWARE "]",
     NOT_FOUND, "Software 7 not found"},
    {"{'software_requirements': [{'software': 'maya', 'min_version': 2,"
     " 'max_version': '3'}]}",
     "[{'software_id': 1, 'min_version_id': null, 'max_version_id': null}]",
     NOT_FOUND, "Version 2 of software maya not found"},
    {"{'software_requirements': [{'software': 'maya', 'max_version': '3'}]}",
     "[" MAYA_UNVERSIONED "]", NOT_FOUND,
     "Version 3 of software maya not found"},
    {"{'software_requirements': [{'software': 'maya', 'min_version': '1',"
     " 'b': 1, 'a': 2}]}",
     "[" MAYA "]", BAD,
     "Unexpected keys in software requirement: dict_keys(['b', 'a'])"},
    {"{'software_requirements': [{'software': 'maya'}, 5]}",
     "[" MAYA_UNVERSIONED ", {}]", BAD,
     "Every software_requirement must be a dict"},
    {"{'software_requirements': [{'software': 'maya'},"
     " {'software': 'maya', 'min_version': '1'}]}",
     "[" MAYA_UNVERSIONED ", " MAYA "]", BAD, "Software maya is listed twice"},
};

START_TEST(software_refusals_are_error_lists)
{
    const software_case *c = &software_refusals[_i];
    pfj_job_draft *d = looked_up(c->body, NULL);
    const char **found = (const char **)d->found;

    found[PFJ_LC_SOFTWARE] = c->found ? pfj_test_plain(pfj_test_json(c->found))
                                      : NULL;
    pfj_assert_refusal(pfj_draft_check_software(d), c->status, LIST,
                       c->message);
}
END_TEST

START_TEST(software_requirements_go_to_the_plan_in_their_order)
{
    pfj_job_draft *d = looked_up(
        "{'software_requirements': [{'software': 'maya', 'min_version': '1',"
        " 'max_version': '2'}, {'software': 'nuke', 'max_version': null}]}",
        "{'software': [" MAYA ", {'software_id': 2, 'min_version_id': null,"
        " 'max_version_id': null}]}");

    pfj_assert_goes_on(pfj_draft_check_software(d));
    pfj_assert_member(d->plan, "software",
                      "[" MAYA ", {'software_id': 2, 'min_version_id': null,"
                      " 'max_version_id': null}]");
}
END_TEST

START_TEST(software_requirements_absent_or_empty)
{
    pfj_job_draft *d = looked_up("{}", NULL);

    pfj_assert_goes_on(pfj_draft_check_software(d));
    pfj_assert_member(d->plan, "software", NULL);
    d = looked_up("{'software_requirements': []}", NULL);
    pfj_assert_goes_on(pfj_draft_check_software(d));
    pfj_assert_member(d->plan, "software", "[]");
}
END_TEST

START_TEST(software_answer_that_is_not_json_is_unhandled)
{
    pfj_job_draft *d = looked_up("{'software_requirements': [{'software':"
                                 " 'maya'}]}",
                                 "{'software': '[{'}");

    pfj_assert_refusal(pfj_draft_check_software(d), PFJ_HTTP_INTERNAL_ERROR,
                       PFJ_REFUSAL_UNHANDLED, NULL);
}
END_TEST

/* ---- parents ---- */

START_TEST(parents_go_to_the_lookup_and_the_plan)
{
    pfj_job_draft *d = pfj_test_draft("{'parents': [{'id': 2}, {'id': 1,"
                                      " 'title': 'x'}, {'id': 2}]}");

    pfj_assert_goes_on(pfj_draft_collect_parents(d));
    pfj_assert_member(d->lookup, "parents", "[2, 1, 2]");
    pfj_assert_member(d->plan, "parents", "[2, 1, 2]");
}
END_TEST

START_TEST(parents_absent_replace_nothing)
{
    pfj_job_draft *d = pfj_test_draft("{}");

    pfj_assert_goes_on(pfj_draft_collect_parents(d));
    pfj_assert_member(d->lookup, "parents", "[]");
    pfj_assert_member(d->plan, "parents", NULL);
    d = pfj_test_draft("{'parents': []}");
    pfj_assert_goes_on(pfj_draft_collect_parents(d));
    pfj_assert_member(d->plan, "parents", "[]");
}
END_TEST

typedef struct {
    const char *body;
    const char *message;
} body_case;

static const body_case parent_refusals[] = {
    {"{'parents': {'id': 1}}", "field 'parents' has type <class 'dict'> but "
                               "we expected type(s) <class 'list'>"},
    {"{'parents': null}", "field 'parents' has type <class 'NoneType'> but "
                          "we expected type(s) <class 'list'>"},
    {"{'parents': [1]}", "every parent must be an object with an integer "
                         "`id`"},
    {"{'parents': [{'id': 1}, {'id': '2'}]}", "every parent must be an "
                                              "object with an integer `id`"},
    {"{'parents': [{'id': true}]}", "every parent must be an object with an "
                                    "integer `id`"},
    {"{'parents': [{'id': 1.0}]}", "every parent must be an object with an "
                                   "integer `id`"},
};

START_TEST(malformed_parents_are_refused)
{
    const body_case *c = &parent_refusals[_i];

    pfj_assert_error(pfj_draft_collect_parents(pfj_test_draft(c->body)), BAD,
                     c->message);
}
END_TEST

/* An update's draft: the lookup's "job" is the job being changed. */
static pfj_job_draft *update_looked_up(const char *changes)
{
    pfj_job_draft *d = looked_up("{'parents': [{'id': 7}]}", changes);

    pfj_put_string(d->lookup, "job", "7");
    return d;
}

START_TEST(a_missing_parent_is_a_bare_string_404)
{
    pfj_assert_refusal(pfj_draft_check_parents(update_looked_up(
                           "{'missing_parent': '99', 'cyclic_parent': '7'}")),
                       NOT_FOUND, PFJ_REFUSAL_STRING,
                       "Parent job 99 not found");
}
END_TEST

START_TEST(a_job_is_not_its_own_parent)
{
    pfj_assert_error(
        pfj_draft_check_parents(update_looked_up("{'cyclic_parent': '7'}")),
        BAD, "A job cannot be its own parent");
}
END_TEST

START_TEST(a_descendant_is_not_a_parent)
{
    pfj_assert_error(
        pfj_draft_check_parents(update_looked_up("{'cyclic_parent': '12'}")),
        BAD, "Job 12 depends on this job and cannot be its parent");
}
END_TEST

START_TEST(found_parents_go_on)
{
    pfj_assert_goes_on(pfj_draft_check_parents(update_looked_up(NULL)));
}
END_TEST

/* ---- the owner ---- */

START_TEST(a_falsy_user_is_no_owner)
{
    static const char *const bodies[] = {
        "{}",           "{'user': null}",  "{'user': ''}",
        "{'user': 0}",  "{'user': false}", "{'user': []}",
        "{'user': {}}",
    };
    pfj_job_draft *d = pfj_test_draft(bodies[_i]);

    pfj_assert_goes_on(pfj_draft_collect_user(d));
    pfj_assert_member(d->lookup, "user", NULL);
    pfj_assert_member(d->plan, "user", NULL);
    d->found = pfj_test_found("{'user_id': null}");
    pfj_assert_goes_on(pfj_draft_check_user(d, 0));
}
END_TEST

START_TEST(the_owner_goes_to_the_lookup_and_the_plan)
{
    pfj_job_draft *d = pfj_test_draft("{'user': 'bob'}");

    pfj_assert_goes_on(pfj_draft_collect_user(d));
    pfj_assert_member(d->lookup, "user", "'bob'");
    pfj_assert_member(d->plan, "user", "'bob'");
}
END_TEST

START_TEST(user_must_be_a_short_string)
{
    char *name = apr_palloc(pfj_test_pool, 257);
    char *body;

    pfj_assert_error(pfj_draft_collect_user(pfj_test_draft("{'user': 5}")),
                     BAD, "user must be of type string");
    pfj_assert_error(
        pfj_draft_collect_user(pfj_test_draft("{'user': ['bob']}")), BAD,
        "user must be of type string");
    memset(name, 'u', 256);
    name[256] = '\0';
    body = apr_psprintf(pfj_test_pool, "{'user': '%s'}", name);
    pfj_assert_error(pfj_draft_collect_user(pfj_test_draft(body)), BAD,
                     "user names have at most 255 characters");
    body = apr_psprintf(pfj_test_pool, "{'user': '%s'}", name + 1);
    pfj_assert_goes_on(pfj_draft_collect_user(pfj_test_draft(body)));
}
END_TEST

START_TEST(an_unknown_owner_is_refused_unless_created)
{
    pfj_job_draft *d = pfj_test_draft("{'user': 'bob'}");

    pfj_draft_collect_user(d);
    d->found = pfj_test_found("{'user_id': null}");
    pfj_assert_error(pfj_draft_check_user(d, 0), NOT_FOUND,
                     "User bob not found");
    pfj_assert_goes_on(pfj_draft_check_user(d, 1));
    d->found = pfj_test_found(NULL);
    pfj_assert_goes_on(pfj_draft_check_user(d, 0));
}
END_TEST

/* ---- §9.6 the queue path ---- */

typedef struct {
    const char *body;
    const char *names; /* the lookup's "queue"; NULL: none */
} queue_case;

static const queue_case queue_paths[] = {
    {"{'jobqueue': 'top'}", "['top']"},
    {"{'jobqueue': 'top/child/leaf'}", "['top', 'child', 'leaf']"},
    {"{'jobqueue': '/top'}", "['', 'top']"},
    {"{'jobqueue': 'top/'}", "['top', '']"},
    {"{'jobqueue': ''}", NULL},
    {"{'jobqueue': null}", NULL},
    {"{'jobqueue': 0}", NULL},
    {"{}", NULL},
};

START_TEST(queue_paths_are_split_on_slashes)
{
    const queue_case *c = &queue_paths[_i];
    pfj_job_draft *d = pfj_test_draft(c->body);

    pfj_assert_goes_on(pfj_draft_collect_queue(d));
    pfj_assert_member(d->lookup, "queue", c->names);
}
END_TEST

START_TEST(queue_path_must_be_a_string)
{
    pfj_assert_error(
        pfj_draft_collect_queue(pfj_test_draft("{'jobqueue': ['top']}")), BAD,
        "jobqueue must be of type string");
    pfj_assert_error(
        pfj_draft_collect_queue(pfj_test_draft("{'jobqueue': 5}")), BAD,
        "jobqueue must be of type string");
}
END_TEST

START_TEST(a_path_without_a_queue_is_refused)
{
    pfj_job_draft *d = pfj_test_draft("{'jobqueue': 'top/nope'}");

    pfj_draft_collect_queue(d);
    d->found = pfj_test_found("{'queue_id': null}");
    pfj_assert_error(pfj_draft_check_queue(d), NOT_FOUND,
                     "Jobqueue top/nope not found");
    d->found = pfj_test_found(NULL);
    pfj_assert_goes_on(pfj_draft_check_queue(d));
    d = looked_up("{}", "{'queue_id': null}");
    pfj_assert_goes_on(pfj_draft_check_queue(d));
}
END_TEST

/* ---- ids for the lookup ---- */

START_TEST(only_integer_ids_are_looked_up)
{
    pfj_job_draft *d = pfj_test_draft("{'a': 5, 'b': '5', 'c': true,"
                                      " 'd': 5.0, 'e': null}");

    pfj_draft_collect_id(d, "a", "x_a");
    pfj_draft_collect_id(d, "b", "x_b");
    pfj_draft_collect_id(d, "c", "x_c");
    pfj_draft_collect_id(d, "d", "x_d");
    pfj_draft_collect_id(d, "e", "x_e");
    pfj_draft_collect_id(d, "f", "x_f");
    pfj_assert_json(d->lookup, "{'x_a': 5}");
}
END_TEST

/* ---- integer columns ---- */

static const body_case integer_refusals[] = {
    {"{'priority': true}", "field 'priority' has type <class 'bool'> but we "
                           "expected type(s) <class 'int'>"},
    {"{'ram_max': false}", "field 'ram_max' has type <class 'bool'> but we "
                           "expected type(s) <class 'int'>"},
    {"{'weight': 2147483648}", "field 'weight' is out of range"},
    {"{'batch': -2147483649}", "field 'batch' is out of range"},
    {"{'requeue': 1.5}", "field 'requeue' is out of range"},
    {"{'id': 9223372036854775807}", "field 'id' is out of range"},
    {"{'priority': 1001}", "`priority` must be between -1000 and 1000"},
    {"{'priority': -1001}", "`priority` must be between -1000 and 1000"},
    {"{'ram': 15}", "`ram` must be between 16 and 262144"},
    {"{'ram': 262145}", "`ram` must be between 16 and 262144"},
    {"{'cpus': 0}", "`cpus` must be between 1 and 256"},
    {"{'cpus': 257}", "`cpus` must be between 1 and 256"},
    {"{'num_tiles': -1}", "`num_tiles` must be between 0 and 2147483647"},
    /* the columns in their fixed order, not the body's */
    {"{'ram': 1, 'priority': 5000}",
     "`priority` must be between -1000 and 1000"},
    {"{'autodelete_time': true, 'id': 1.5}", "field 'id' is out of range"},
    {"{'priority': true, 'job_group_id': 1.5}",
     "field 'job_group_id' is out of range"}, /* 64 bits before 32 */
    {"{'user_id': -2147483649}", "field 'user_id' is out of range"},
};

START_TEST(integer_columns_are_refused_out_of_range)
{
    const body_case *c = &integer_refusals[_i];

    pfj_assert_error(pfj_draft_check_integers(pfj_test_draft(c->body)), BAD,
                     c->message);
}
END_TEST

START_TEST(integer_columns_within_range_go_on)
{
    pfj_assert_goes_on(pfj_draft_check_integers(pfj_test_draft(
        "{'id': 1099511627776, 'job_group_id': 9223372036854775806,"
        " 'priority': -1000, 'ram': 262144, 'cpus': 1, 'num_tiles': 0,"
        " 'weight': -2147483648, 'autodelete_time': 2147483647,"
        " 'title': true, 'minimum_agents': null}")));
}
END_TEST

/* ---- §9.1 the frame step and the task count ---- */

typedef struct {
    const char *start, *end, *by;
    const char *message; /* NULL: goes on */
} range_case;

static const range_case steps[] = {
    {"1", "10", "0", "`by` must be greater than 0"},
    {"1", "10", "-1", "`by` must be greater than 0"},
    {"1", "10", "0.00009", "`by` must be at least 0.0001"},
    {"1", "1", "1e-5", "`by` must be at least 0.0001"},
    {"1", "1", "0.0001", NULL},
    {"-999999.9999", "999999.9999", "999999.9999", NULL},
    {"1", "999999.99995", "1",
     "start, end and by must be between "
     "-999999.9999 and 999999.9999"},
    {"-999999.99995", "1", "1",
     "start, end and by must be between "
     "-999999.9999 and 999999.9999"},
    {"1", "2", "1000000",
     "start, end and by must be between -999999.9999 "
     "and 999999.9999"},
    {"1e6", "1e6", "1",
     "start, end and by must be between -999999.9999 "
     "and 999999.9999"},
};

START_TEST(frame_steps)
{
    const range_case *c = &steps[_i];
    pfj_job_draft *d = pfj_test_draft("{}");

    d->start = c->start, d->end = c->end, d->by = c->by;
    if (c->message) {
        pfj_assert_error(pfj_draft_check_step(d), BAD, c->message);
    }
    else {
        pfj_assert_goes_on(pfj_draft_check_step(d));
    }
}
END_TEST

/* A draft of the range under PyFarmJobsMaxTasksPerJob 10. */
static pfj_job_draft *ranged(const char *start, const char *end,
                             const char *by, apr_int64_t tiles)
{
    pfj_job_draft *d = pfj_test_draft("{}");
    pfj_dir_conf *conf = pfj_test_conf();

    conf->max_tasks = 10;
    d->conf = conf;
    d->start = start, d->end = end, d->by = by, d->tiles = tiles;
    return d;
}

START_TEST(task_count_within_the_maximum)
{
    pfj_assert_goes_on(pfj_draft_check_task_count(ranged("1", "10", "1", 0)));
    pfj_assert_goes_on(pfj_draft_check_task_count(ranged("1", "10", "1", 1)));
    pfj_assert_goes_on(pfj_draft_check_task_count(ranged("1", "5", "1", 2)));
    pfj_assert_goes_on(pfj_draft_check_task_count(ranged("0", "0.9", "0.1",
                                                         0)));
    pfj_assert_goes_on(pfj_draft_check_task_count(ranged("1", "10.5", "1",
                                                         0)));
}
END_TEST

START_TEST(task_count_beyond_the_maximum)
{
    const char *msg = "the frame range would create more than 10 tasks";

    pfj_assert_error(pfj_draft_check_task_count(ranged("1", "11", "1", 0)),
                     BAD, msg);
    pfj_assert_error(pfj_draft_check_task_count(ranged("1", "6", "1", 2)), BAD,
                     msg);
    pfj_assert_error(pfj_draft_check_task_count(ranged("0", "1", "0.1", 0)),
                     BAD, msg);
    pfj_assert_error(pfj_draft_check_task_count(ranged("1", "1", "1", 11)),
                     BAD, msg);
}
END_TEST

START_TEST(task_count_default_maximum)
{
    pfj_job_draft *d = pfj_test_draft("{}");

    d->start = "1", d->end = "1000000", d->by = "1";
    pfj_assert_goes_on(pfj_draft_check_task_count(d));
    d->end = "1000001";
    pfj_assert_error(pfj_draft_check_task_count(d), BAD,
                     "the frame range would create more than 1000000 tasks");
}
END_TEST

/* ---- tag requirements ---- */

START_TEST(tag_requirements_go_to_the_plan)
{
    pfj_job_draft *d = pfj_test_draft(
        "{'tag_requirements': [{'tag': 'gpu', 'negate': 1},"
        " {'tag': 'linux', 'negate': null, 'x': 1}, {'tag': 'win',"
        " 'negate': 'no'}]}");

    pfj_assert_goes_on(pfj_draft_collect_tag_requirements(d));
    pfj_assert_member(d->plan, "tag_requirements",
                      "[{'tag': 'gpu', 'negate': true}, {'tag': 'linux',"
                      " 'negate': false}, {'tag': 'win', 'negate': true}]");
    pfj_assert_member(d->plan, "all_tags", "['gpu', 'linux', 'win']");
}
END_TEST

START_TEST(an_empty_list_of_tag_requirements_clears_them)
{
    pfj_job_draft *d = pfj_test_draft("{'tag_requirements': []}");

    pfj_assert_goes_on(pfj_draft_collect_tag_requirements(d));
    pfj_assert_member(d->plan, "tag_requirements", "[]");
}
END_TEST

START_TEST(falsy_tag_requirements_are_ignored)
{
    static const char *const bodies[] = {
        "{}",
        "{'tag_requirements': null}",
        "{'tag_requirements': false}",
        "{'tag_requirements': ''}",
        "{'tag_requirements': 0}",
        "{'tag_requirements': {}}",
    };
    pfj_job_draft *d = pfj_test_draft(bodies[_i]);

    pfj_assert_goes_on(pfj_draft_collect_tag_requirements(d));
    pfj_assert_member(d->plan, "tag_requirements", NULL);
}
END_TEST

/* clang-format off */
#define TAG_SHAPE "every tag requirement needs a `tag` string of at most 64 " \
                  "characters and `negate`"
/* clang-format on */

static const body_case tag_requirement_refusals[] = {
    {"{'tag_requirements': 'gpu'}", "tag_requirements must be a list"},
    {"{'tag_requirements': {'tag': 'gpu'}}",
     "tag_requirements must be a list"},
    {"{'tag_requirements': true}", "tag_requirements must be a list"},
    {"{'tag_requirements': ['gpu']}", TAG_SHAPE},
    {"{'tag_requirements': [{'tag': 'gpu'}]}", TAG_SHAPE},
    {"{'tag_requirements': [{'negate': true}]}", TAG_SHAPE},
    {"{'tag_requirements': [{'tag': 5, 'negate': true}]}", TAG_SHAPE},
    {"{'tag_requirements': [{'tag': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaa', 'negate': true}]}",
     TAG_SHAPE},
    {"{'tag_requirements': [{'tag': 'gpu', 'negate': true}, {'tag': 'gpu',"
     " 'negate': false}]}",
     "tag gpu is required twice"},
};

START_TEST(malformed_tag_requirements_are_refused)
{
    const body_case *c = &tag_requirement_refusals[_i];

    pfj_assert_error(
        pfj_draft_collect_tag_requirements(pfj_test_draft(c->body)), BAD,
        c->message);
}
END_TEST

START_TEST(tags_of_64_characters_are_required)
{
    pfj_job_draft *d = pfj_test_draft(
        "{'tag_requirements': [{'tag': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaa', 'negate': true}]}");

    pfj_assert_goes_on(pfj_draft_collect_tag_requirements(d));
}
END_TEST

/* ---- the run of a phase ---- */

static int calls;

static const pfj_refusal *first(pfj_job_draft *d)
{
    calls = calls * 10 + 1;
    return NULL;
}

static const pfj_refusal *second(pfj_job_draft *d)
{
    calls = calls * 10 + 2;
    return pfj_refuse(d->p, PFJ_HTTP_CONFLICT, "second");
}

static const pfj_refusal *third(pfj_job_draft *d)
{
    calls = calls * 10 + 3;
    return NULL;
}

START_TEST(a_phase_stops_at_its_first_refusal)
{
    static const pfj_draft_check checks[] = {first, second, third};
    pfj_job_draft *d = pfj_test_draft("{}");

    calls = 0;
    pfj_assert_error(pfj_draft_run(d, checks, 3), PFJ_HTTP_CONFLICT, "second");
    ck_assert_int_eq(calls, 12);
    calls = 0;
    pfj_assert_goes_on(pfj_draft_run(d, checks, 1));
    ck_assert_int_eq(calls, 1);
}
END_TEST

START_TEST(a_fresh_draft)
{
    pfj_job_draft *d = pfj_test_draft("{'title': 't'}");

    pfj_assert_json(d->lookup, "{}");
    pfj_assert_json(d->plan, "{'all_tags': []}");
    pfj_assert_json(d->row, "{}");
    ck_assert_ptr_null(d->target);
    ck_assert_ptr_null(d->found);
}
END_TEST

START_TEST(json_helpers)
{
    json_object *o = pfj_test_json("{}");
    json_object *list = pfj_test_json("[{'tag': 'a'}, {'tag': 'b'}]");

    ck_assert_uint_eq(pfj_list_length(list), 2);
    ck_assert_uint_eq(pfj_list_length(o), 0);
    ck_assert_uint_eq(pfj_list_length(NULL), 0);
    pfj_put_string(o, "a", "1");
    pfj_put_string(o, "b", NULL);
    pfj_assert_json(o, "{'a': '1', 'b': null}");
}
END_TEST

START_TEST(string_sets)
{
    json_object *set = pfj_string_set(pfj_test_pool);

    ck_assert(pfj_string_set_add(set, "a"));
    ck_assert(pfj_string_set_add(set, "A"));
    ck_assert(pfj_string_set_add(set, ""));
    ck_assert(pfj_string_set_add(set, "\xc3\xa9"));
    ck_assert(!pfj_string_set_add(set, "a"));
    ck_assert(!pfj_string_set_add(set, ""));
    ck_assert(!pfj_string_set_add(set, "\xc3\xa9"));
}
END_TEST

START_TEST(each_list_has_its_own_listings)
{
    pfj_job_draft *d = pfj_test_draft("{}");

    ck_assert(pfj_draft_first_listing(d, "tags", "a"));
    ck_assert(pfj_draft_first_listing(d, "users", "a"));
    ck_assert(!pfj_draft_first_listing(d, "tags", "a"));
    ck_assert(!pfj_draft_first_listing(d, "users", "a"));
    ck_assert(pfj_draft_first_listing(d, "tags", "b"));
}
END_TEST

/* (PFJ_TEST_LONG_LIST: a repeat is found without comparing each entry
 * with every one before it.) */
START_TEST(a_repeat_at_the_end_of_a_long_list_of_tag_requirements)
{
    const char *tags = pfj_test_list_of(PFJ_TEST_LONG_LIST,
                                        "{'tag': 't%d', 'negate': false}", 0);
    pfj_job_draft *d = pfj_test_draft(apr_pstrcat(pfj_test_pool,
                                                  "{'tag_requirements': ",
                                                  tags, "}", NULL));

    pfj_assert_goes_on(pfj_draft_collect_tag_requirements(d));
    ck_assert_uint_eq(
        pfj_list_length(json_object_object_get(d->plan, "tag_requirements")),
        PFJ_TEST_LONG_LIST);
    tags = pfj_test_list_of(PFJ_TEST_LONG_LIST,
                            "{'tag': 't%d', 'negate': false}", 1);
    d = pfj_test_draft(apr_pstrcat(pfj_test_pool,
                                   "{'tag_requirements': ", tags, "}", NULL));
    pfj_assert_error(pfj_draft_collect_tag_requirements(d), BAD,
                     "tag t0 is required twice");
}
END_TEST

START_TEST(a_repeat_at_the_end_of_a_long_list_of_software)
{
    pfj_job_draft *d =
        looked_up(apr_pstrcat(pfj_test_pool, "{'software_requirements': ",
                              pfj_test_list_of(PFJ_TEST_LONG_LIST,
                                               "{'software': 's%d'}", 1),
                              "}", NULL),
                  NULL);
    const char **found = (const char **)d->found;

    found[PFJ_LC_SOFTWARE] = pfj_test_plain(pfj_test_json(
        pfj_test_list_of(PFJ_TEST_LONG_LIST,
                         "{'software_id': %d, 'min_version_id': null,"
                         " 'max_version_id': null}",
                         1)));
    pfj_assert_refusal(pfj_draft_check_software(d), BAD, LIST,
                       "Software s0 is listed twice");
}
END_TEST

Suite *pfj_suite_job_rules(void)
{
    Suite *s = suite_create("job_rules");
    TCase *tc = tcase_create("shared");

    tcase_add_checked_fixture(tc, pfj_test_pool_setup, pfj_test_pool_teardown);
    tcase_add_test(tc, software_lookup_input_is_one_entry_per_requirement);
    tcase_add_test(tc, string_sets);
    tcase_add_test(tc, each_list_has_its_own_listings);
    tcase_add_test(tc, a_repeat_at_the_end_of_a_long_list_of_tag_requirements);
    tcase_add_test(tc, a_repeat_at_the_end_of_a_long_list_of_software);
    tcase_add_test(tc, software_lookup_input_without_requirements_is_empty);
    tcase_add_loop_test(tc, software_refusals_are_error_lists, 0,
                        N_CASES(software_refusals));
    tcase_add_test(tc, software_requirements_go_to_the_plan_in_their_order);
    tcase_add_test(tc, software_requirements_absent_or_empty);
    tcase_add_test(tc, software_answer_that_is_not_json_is_unhandled);
    tcase_add_test(tc, parents_go_to_the_lookup_and_the_plan);
    tcase_add_test(tc, parents_absent_replace_nothing);
    tcase_add_loop_test(tc, malformed_parents_are_refused, 0,
                        N_CASES(parent_refusals));
    tcase_add_test(tc, a_missing_parent_is_a_bare_string_404);
    tcase_add_test(tc, a_job_is_not_its_own_parent);
    tcase_add_test(tc, a_descendant_is_not_a_parent);
    tcase_add_test(tc, found_parents_go_on);
    tcase_add_loop_test(tc, a_falsy_user_is_no_owner, 0, 7);
    tcase_add_test(tc, the_owner_goes_to_the_lookup_and_the_plan);
    tcase_add_test(tc, user_must_be_a_short_string);
    tcase_add_test(tc, an_unknown_owner_is_refused_unless_created);
    tcase_add_loop_test(tc, queue_paths_are_split_on_slashes, 0,
                        N_CASES(queue_paths));
    tcase_add_test(tc, queue_path_must_be_a_string);
    tcase_add_test(tc, a_path_without_a_queue_is_refused);
    tcase_add_test(tc, only_integer_ids_are_looked_up);
    tcase_add_loop_test(tc, integer_columns_are_refused_out_of_range, 0,
                        N_CASES(integer_refusals));
    tcase_add_test(tc, integer_columns_within_range_go_on);
    tcase_add_loop_test(tc, frame_steps, 0, N_CASES(steps));
    tcase_add_test(tc, task_count_within_the_maximum);
    tcase_add_test(tc, task_count_beyond_the_maximum);
    tcase_add_test(tc, task_count_default_maximum);
    tcase_add_test(tc, tag_requirements_go_to_the_plan);
    tcase_add_test(tc, an_empty_list_of_tag_requirements_clears_them);
    tcase_add_loop_test(tc, falsy_tag_requirements_are_ignored, 0, 6);
    tcase_add_loop_test(tc, malformed_tag_requirements_are_refused, 0,
                        N_CASES(tag_requirement_refusals));
    tcase_add_test(tc, tags_of_64_characters_are_required);
    tcase_add_test(tc, a_phase_stops_at_its_first_refusal);
    tcase_add_test(tc, a_fresh_draft);
    tcase_add_test(tc, json_helpers);
    suite_add_tcase(s, tc);
    return s;
}
