/* check_job_submit.c - the decision of a job submission
 * (src/core/job_submit_rules.c) against doc/api.md §3's processing order
 * (steps 1-16), its defaults, the echo of start/end, the state, tiles and
 * the plan of the writing statement. */
#include <string.h>
#include <apr_strings.h>
#include "job_cases.h"
#include "core/job_submit_rules.h"

#define BAD PFJ_HTTP_BAD_REQUEST
#define NOT_FOUND PFJ_HTTP_NOT_FOUND
#define ERROR PFJ_REFUSAL_ERROR
#define STRING PFJ_REFUSAL_STRING
#define LIST PFJ_REFUSAL_ERROR_LIST

/* A job body: title, jobtype and the members given (", 'k': v"). */
#define JOB(members) "{'title': 't', 'jobtype': 'render'" members "}"

/* 16 and 256 characters. */
#define T16 "tttttttttttttttt"
#define T256 T16 T16 T16 T16 T16 T16 T16 T16 T16 T16 T16 T16 T16 T16 T16 T16

/* clang-format off */
#define UNKNOWN_SOFTWARE \
    "{'software_id': null, 'min_version_id': null, 'max_version_id': null}"
#define MAYA_UNVERSIONED \
    "{'software_id': 1, 'min_version_id': null, 'max_version_id': null}"
/* clang-format on */

/* A configuration that creates no users. */
static pfj_dir_conf *no_autocreate(void)
{
    pfj_dir_conf *conf = pfj_test_conf();

    conf->autocreate_users = 0;
    return conf;
}

/* The submission as the resource decides it, sent by auth_user (NULL:
 * anonymous): step 1's model check, the checks before the lookup, the
 * lookup's fake answer (changes, see pfj_test_found), the decision.
 * *draft (may be NULL) gets the draft. */
static const pfj_refusal *submit_by(const char *auth_user, const char *body,
                                    const char *changes,
                                    const pfj_dir_conf *conf,
                                    pfj_job_plan *plan, pfj_job_draft **draft)
{
    json_object *b = pfj_test_json(body);
    const char *error = pfj_validate(pfj_test_pool, &pfj_job_model, b);
    const pfj_refusal *no;
    pfj_job_draft *d;
    pfj_job_plan ignored;

    if (error != NULL) {
        return pfj_refuse_as(pfj_test_pool, BAD, ERROR, error);
    }
    no = pfj_submit_prepare(pfj_test_pool, b, conf, auth_user, &d);
    if (draft) {
        *draft = d;
    }
    return no ? no
              : pfj_draft_decide(d, pfj_test_found(changes),
                                 plan ? plan : &ignored);
}

/* An anonymous submission (see submit_by). */
static const pfj_refusal *submit(const char *body, const char *changes,
                                 const pfj_dir_conf *conf, pfj_job_plan *plan,
                                 pfj_job_draft **draft)
{
    return submit_by(NULL, body, changes, conf, plan, draft);
}

/* A submission that must go on: its plan. */
static pfj_job_plan submitted(const char *body, const char *changes,
                              const pfj_dir_conf *conf)
{
    pfj_job_plan plan;

    pfj_assert_goes_on(submit(body, changes, conf ? conf : pfj_test_conf(),
                              &plan, NULL));
    return plan;
}

typedef struct {
    const char *body;
    const char *changes; /* the lookup's answer (pfj_test_found) */
    int status;
    pfj_refusal_shape shape;
    const char *message;
} refusal_case;

/* Each step of §3's table (and what the module refuses where the
 * reference crashes), in the table's order; autocreate off. */
static const refusal_case refusals[] = {
    /* 1: the model (§0.5) */
    {"[]", NULL, BAD, ERROR, "dictionary expected but got list instead"},
    {JOB(", 'time_started': 1, 'foo': 1"), NULL, BAD, ERROR,
     "column(s) not allowed for this request: {'time_started'}"},
    {JOB(", 'foo': 1"), NULL, BAD, ERROR,
     "request contains field(s) that do not exist: {'foo'}"},
    {"{'jobtype': 'render'}", NULL, BAD, ERROR,
     "request is missing field(s): {'title'}"},
    {JOB(", 'by': '1'"), NULL, BAD, ERROR, "type check failed for 'by'"},
    {JOB(", 'priority': 'high'"), NULL, BAD, ERROR,
     "field 'priority' has type <class 'str'> but we expected type(s) "
     "<class 'int'>"},
    {JOB(", 'num_tiles': null"), NULL, BAD, ERROR,
     "field 'num_tiles' has type <class 'NoneType'> but we expected "
     "type(s) <class 'int'>"},
    /* relationships a new job cannot take */
    {JOB(", 'children': [1]"), NULL, BAD, ERROR,
     "`children` cannot be set when submitting a job"},
    {JOB(", 'tasks_done': [{}]"), NULL, BAD, ERROR,
     "`tasks_done` cannot be set when submitting a job"},
    {JOB(", 'queue': []"), NULL, BAD, ERROR,
     "`queue` cannot be set when submitting a job"},
    {JOB(", 'group': []"), NULL, BAD, ERROR,
     "`group` cannot be set when submitting a job"},
    /* 2-4 */
    {"{'title': 't'}", NULL, BAD, ERROR, "No jobtype specified"},
    {"{'title': 't', 'jobtype': null}", NULL, BAD, ERROR,
     "jobtype must be of type string"},
    {"{'title': 't', 'jobtype': 5}", NULL, BAD, ERROR,
     "jobtype must be of type string"},
    {JOB(", 'jobtype_version': '1'"), NULL, BAD, ERROR,
     "jobtype_version must be of type int"},
    {JOB(", 'jobtype_version': true"), NULL, BAD, ERROR,
     "jobtype_version must be of type int"},
    {JOB(", 'jobtype_version': 2147483648"), NULL, BAD, ERROR,
     "jobtype_version must be of type int"},
    {JOB(", 'jobtype_version': 1.0"), NULL, BAD, ERROR,
     "jobtype_version must be of type int"},
    /* what cannot be looked up */
    {JOB(", 'parents': [5]"), NULL, BAD, ERROR,
     "every parent must be an object with an integer `id`"},
    {JOB(", 'user': 5"), NULL, BAD, ERROR, "user must be of type string"},
    {JOB(", 'jobqueue': 5"), NULL, BAD, ERROR,
     "jobqueue must be of type string"},
    {JOB(", 'notified_users': [{'username': 5}]"), NULL, BAD, ERROR,
     "every notified user must be an object with a `username` string of "
     "at most 255 characters"},
    {JOB(", 'notified_users': ['bob']"), NULL, BAD, ERROR,
     "every notified user must be an object with a `username` string of "
     "at most 255 characters"},
    {JOB(", 'notified_users': [{'username': 'a" T256 "'}]"), NULL, BAD, ERROR,
     "every notified user must be an object with a `username` "
     "string of at most 255 characters"},
    {JOB(", 'notified_users': [{'username': 'a', 'on_failure': 2}]"), NULL,
     BAD, ERROR, "`on_failure` of a notified user must be true or false"},
    {JOB(", 'notified_users': [{'username': 'a', 'on_deletion': 'yes'}]"),
     NULL, BAD, ERROR,
     "`on_deletion` of a notified user must be true or false"},
    {JOB(", 'notified_users': [{'username': 'a'}, {'username': 'b'},"
         " {'username': 'a'}]"),
     NULL, BAD, ERROR, "user a is listed twice in notified_users"},
    /* 5 */
    {JOB(", 'jobtype_version': 9"), "{'jobtype_version_id': null}", NOT_FOUND,
     STRING, "Jobtype or version not found"},
    /* 6 (§9.5, more in check_job_rules.c) */
    {JOB(", 'software_requirements': [{'software': 'maya'}]"),
     "{'software': [" UNKNOWN_SOFTWARE "]}", NOT_FOUND, LIST,
     "Software maya not found"},
    {JOB(", 'software_requirements': 'maya'"), NULL, BAD, ERROR,
     "field 'software_requirements' has type <class 'str'> but we "
     "expected type(s) <class 'list'>"},
    /* 7 */
    {JOB(", 'parents': [{'id': 99}]"), "{'missing_parent': '99'}", NOT_FOUND,
     STRING, "Parent job 99 not found"},
    /* 8 */
    {JOB(", 'user': 'bob'"), "{'user_id': null}", NOT_FOUND, ERROR,
     "User bob not found"},
    /* 9 (§9.6) */
    {JOB(", 'jobqueue': 'a/b'"), "{'queue_id': null}", NOT_FOUND, ERROR,
     "Jobqueue a/b not found"},
    /* 10: the model validators, the job group, the id */
    {JOB(", 'priority': 1001"), NULL, BAD, ERROR,
     "`priority` must be between -1000 and 1000"},
    {JOB(", 'ram': 15"), NULL, BAD, ERROR,
     "`ram` must be between 16 and 262144"},
    {JOB(", 'cpus': 300"), NULL, BAD, ERROR,
     "`cpus` must be between 1 and 256"},
    {JOB(", 'priority': true"), NULL, BAD, ERROR,
     "field 'priority' has type <class 'bool'> but we expected type(s) "
     "<class 'int'>"},
    {JOB(", 'weight': 2147483648"), NULL, BAD, ERROR,
     "field 'weight' is out of range"},
    {JOB(", 'user_id': false"), NULL, BAD, ERROR,
     "field 'user_id' has type <class 'bool'> but we expected type(s) "
     "<class 'int'>"},
    {JOB(", 'user_id': 1099511627776"), NULL, BAD, ERROR,
     "field 'user_id' is out of range"},
    {JOB(", 'state': 'queued'"), NULL, BAD, ERROR,
     "`state` must be one of paused, running, done, failed"},
    {JOB(", 'state': 'Running'"), NULL, BAD, ERROR,
     "`state` must be one of paused, running, done, failed"},
    {JOB(", 'state': 105"), NULL, BAD, ERROR,
     "`state` must be one of paused, running, done, failed"},
    {"{'title': '" T256 "', 'jobtype': 'render'}", NULL, BAD, ERROR,
     "`title` is longer than 255 characters"},
    {JOB(", 'job_group_id': 77"), "{'group_exists': 'f'}", NOT_FOUND, ERROR,
     "Job group 77 not found"},
    {JOB(", 'id': 1"), "{'id_exists': 't'}", PFJ_HTTP_CONFLICT, ERROR,
     "Job 1 already exists"},
    /* 11 */
    {JOB(", 'notified_users': [{'username': 'n1'}, {'username': 'n2'}]"),
     "{'missing_notified': 'n2'}", NOT_FOUND, ERROR, "User n2 not found"},
    /* 12-14 */
    {JOB(", 'end': 2"), NULL, BAD, ERROR,
     "`end` is specified while `start` is not"},
    {JOB(", 'end': 'x'"), NULL, BAD, ERROR,
     "`end` is specified while `start` is not"},
    {JOB(", 'start': '1'"), NULL, BAD, ERROR,
     "`start` and `end` need to be of type decimal or int"},
    {JOB(", 'start': null"), NULL, BAD, ERROR,
     "`start` and `end` need to be of type decimal or int"},
    {JOB(", 'start': true"), NULL, BAD, ERROR,
     "`start` and `end` need to be of type decimal or int"},
    {JOB(", 'start': 1, 'end': [2]"), NULL, BAD, ERROR,
     "`start` and `end` need to be of type decimal or int"},
    {JOB(", 'start': 2, 'end': 1"), NULL, BAD, ERROR,
     "`end` must be larger than or equal to start"},
    {JOB(", 'start': 1.5, 'end': 1.25"), NULL, BAD, ERROR,
     "`end` must be larger than or equal to start"},
    /* 15 (booleans pass the model's check of `by`) */
    {JOB(", 'by': true"), NULL, BAD, ERROR,
     "`by` needs to be of type decimal or int"},
    /* §9.1 */
    {JOB(", 'by': 0"), NULL, BAD, ERROR, "`by` must be greater than 0"},
    {JOB(", 'by': -0.5"), NULL, BAD, ERROR, "`by` must be greater than 0"},
    {JOB(", 'by': 0.00001"), NULL, BAD, ERROR, "`by` must be at least 0.0001"},
    {JOB(", 'start': 1000000"), NULL, BAD, ERROR,
     "start, end and by must be between -999999.9999 and 999999.9999"},
    {JOB(", 'start': 1, 'end': 500001, 'by': 0.5"), NULL, BAD, ERROR,
     "the frame range would create more than 1000000 tasks"},
    /* 16 */
    {JOB(", 'num_tiles': 2"), "{'supports_tiling': 'f'}", BAD, ERROR,
     "`num_tiles` is set, but this jobtype does not support tiling."},
    {JOB(", 'num_tiles': 0"), "{'supports_tiling': null}", BAD, ERROR,
     "`num_tiles` is set, but this jobtype does not support tiling."},
    /* tags and tag requirements */
    {JOB(", 'tags': ['a', 5]"), NULL, BAD, ERROR,
     "tags must be strings of at most 64 characters"},
    {JOB(", 'tags': ['a" T16 T16 T16 T16 "']"), NULL, BAD, ERROR,
     "tags must be strings of at most 64 characters"},
    {JOB(", 'tag_requirements': 'gpu'"), NULL, BAD, ERROR,
     "tag_requirements must be a list"},
    {JOB(", 'tag_requirements': [{'tag': 'gpu'}]"), NULL, BAD, ERROR,
     "every tag requirement needs a `tag` string of at most 64 characters "
     "and `negate`"},
};

START_TEST(each_step_refuses_as_the_reference)
{
    const refusal_case *c = &refusals[_i];

    pfj_assert_refusal(submit(c->body, c->changes, no_autocreate(), NULL,
                              NULL),
                       c->status, c->shape, c->message);
}
END_TEST

/* One fault of the order test: the member it sets, what the lookup
 * answers, and the refusal. */
typedef struct {
    const char *key;
    const char *value;
    const char *changes;
    int status;
    pfj_refusal_shape shape;
    const char *message;
} fault;

/* In §3's order. */
static const fault faults[] = {
    {"foo", "1", NULL, BAD, ERROR,
     "request contains field(s) that do not exist: {'foo'}"},
    {"children", "[1]", NULL, BAD, ERROR,
     "`children` cannot be set when submitting a job"},
    {"jobtype", "5", NULL, BAD, ERROR, "jobtype must be of type string"},
    {"jobtype_version", "'1'", NULL, BAD, ERROR,
     "jobtype_version must be of type int"},
    {"parents", "[5]", NULL, BAD, ERROR,
     "every parent must be an object with an integer `id`"},
    {"user", "5", NULL, BAD, ERROR, "user must be of type string"},
    {"jobqueue", "5", NULL, BAD, ERROR, "jobqueue must be of type string"},
    {"notified_users", "[{'username': 5}]", NULL, BAD, ERROR,
     "every notified user must be an object with a `username` string of "
     "at most 255 characters"},
    {"jobtype_version", "9", "{'jobtype_version_id': null}", NOT_FOUND, STRING,
     "Jobtype or version not found"},
    {"software_requirements", "[{'software': 'maya'}]",
     "{'software': [" UNKNOWN_SOFTWARE "]}", NOT_FOUND, LIST,
     "Software maya not found"},
    {"parents", "[{'id': 99}]", "{'missing_parent': '99'}", NOT_FOUND, STRING,
     "Parent job 99 not found"},
    {"user", "'bob'", "{'user_id': null}", NOT_FOUND, ERROR,
     "User bob not found"},
    {"jobqueue", "'nope'", "{'queue_id': null}", NOT_FOUND, ERROR,
     "Jobqueue nope not found"},
    {"priority", "1001", NULL, BAD, ERROR,
     "`priority` must be between -1000 and 1000"},
    {"state", "'queued'", NULL, BAD, ERROR,
     "`state` must be one of paused, running, done, failed"},
    {"title", "'" T256 "'", NULL, BAD, ERROR,
     "`title` is longer than 255 characters"},
    {"job_group_id", "77", "{'group_exists': 'f'}", NOT_FOUND, ERROR,
     "Job group 77 not found"},
    {"id", "1", "{'id_exists': 't'}", PFJ_HTTP_CONFLICT, ERROR,
     "Job 1 already exists"},
    {"notified_users", "[{'username': 'n1'}]", "{'missing_notified': 'n1'}",
     NOT_FOUND, ERROR, "User n1 not found"},
    {"start", "'1'", NULL, BAD, ERROR,
     "`start` and `end` need to be of type decimal or int"},
    {"end", "0", NULL, BAD, ERROR, "`end` is specified while `start` is not"},
    {"by", "0", NULL, BAD, ERROR, "`by` must be greater than 0"},
    {"num_tiles", "2", "{'supports_tiling': 'f'}", BAD, ERROR,
     "`num_tiles` is set, but this jobtype does not support tiling."},
    {"tags", "[5]", NULL, BAD, ERROR,
     "tags must be strings of at most 64 characters"},
    {"tag_requirements", "'gpu'", NULL, BAD, ERROR,
     "tag_requirements must be a list"},
};

/* The body and the lookup's answer carrying every fault from the first
 * on, in their order; a key or column listed twice keeps the earlier
 * value. */
static const pfj_refusal *submit_faults_from(int first)
{
    json_object *body = pfj_test_json("{}");
    json_object *changes = pfj_test_json("{}");
    int i;

    for (i = first; i < N_CASES(faults); i++) {
        if (!json_object_object_get_ex(body, faults[i].key, NULL)) {
            json_object_object_add(body, faults[i].key,
                                   json_object_get(pfj_test_json(faults[i]
                                                                     .value)));
        }
        if (faults[i].changes) {
            pfj_test_merge(changes, faults[i].changes);
        }
    }
    pfj_test_merge(body, JOB(""));
    return submit(pfj_test_plain(body), pfj_test_plain(changes),
                  no_autocreate(), NULL, NULL);
}

START_TEST(checks_run_in_the_reference_order)
{
    const fault *f = &faults[_i];

    pfj_assert_refusal(submit_faults_from(_i), f->status, f->shape,
                       f->message);
}
END_TEST

START_TEST(without_the_faults_the_request_goes_on)
{
    pfj_assert_goes_on(submit_faults_from(N_CASES(faults)));
}
END_TEST

/* ---- the lookup's input ---- */

START_TEST(the_lookup_gets_every_reference_of_the_body)
{
    pfj_job_draft *d;

    pfj_assert_goes_on(
        submit(JOB(", 'jobtype_version': 2, 'user': 'bob', 'jobqueue': 'a/b',"
                   " 'parents': [{'id': 1}, {'id': 2}], 'job_group_id': 4,"
                   " 'id': 9, 'notified_users': [{'username': 'n1'}],"
                   " 'software_requirements': [{'software': 'maya',"
                   " 'min_version': '1'}]"),
               "{'software': [{'software_id': 1, 'min_version_id': 10,"
               " 'max_version_id': null}]}",
               pfj_test_conf(), NULL, &d));
    pfj_assert_json(
        d->lookup,
        "{'jobtype': 'render', 'version': 2, 'user': 'bob',"
        " 'queue': ['a', 'b'], 'parents': [1, 2], 'group': 4, 'id': 9,"
        " 'notified': ['n1'], 'software': [{'software': 'maya',"
        " 'min_version': '1', 'max_version': null}]}");
}
END_TEST

START_TEST(a_minimal_body_looks_up_its_jobtype)
{
    pfj_job_draft *d;

    pfj_assert_goes_on(pfj_submit_prepare(pfj_test_pool,
                                          pfj_test_json(JOB("")),
                                          pfj_test_conf(), NULL, &d));
    pfj_assert_json(d->lookup, "{'jobtype': 'render', 'software': [],"
                               " 'parents': [], 'notified': []}");
}
END_TEST

/* ---- the plan ---- */

/* What the lookup answers for a body without owner and queue. */
#define NO_OWNER_NO_QUEUE "{'user_id': null, 'queue_id': null}"

START_TEST(a_minimal_job_gets_the_defaults)
{
    pfj_job_plan plan = submitted(JOB(""), NO_OWNER_NO_QUEUE, NULL);

    pfj_assert_json(
        plan.row,
        "{'title': 't', 'jobtype': 'render', 'priority': 0, 'weight': 10,"
        " 'notes': '', 'batch': 1, 'requeue': 3, 'cpus': 1, 'ram': 32,"
        " 'hidden': false, 'to_be_deleted': false,"
        " 'completion_notify_sent': false, 'by': '1', 'data': null,"
        " 'environ': null, 'jobtype_version_id': '3',"
        " 'job_queue_id': null}");
    pfj_assert_json(plan.plan,
                    "{'all_tags': [], 'notified': [], 'tags': [], 'users': [],"
                    " 'state': null, 'email': null, 'start': '1', 'end': '1',"
                    " 'by': '1'}");
    ck_assert_str_eq(plan.start_token, "1.0");
    ck_assert_str_eq(plan.end_token, "1.0");
    ck_assert_ptr_null(plan.job_id);
    ck_assert_int_eq(plan.recompute_state, 0);
}
END_TEST

START_TEST(given_values_win_over_the_defaults)
{
    pfj_job_plan plan = submitted(
        JOB(", 'priority': -5, 'weight': 1, 'notes': 'n', 'batch': 2,"
            " 'requeue': 0, 'cpus': 4, 'ram': 64, 'hidden': true,"
            " 'to_be_deleted': true, 'completion_notify_sent': true,"
            " 'user_id': 12"),
        NO_OWNER_NO_QUEUE, NULL);

    pfj_assert_json(
        plan.row,
        "{'title': 't', 'jobtype': 'render', 'priority': -5, 'weight': 1,"
        " 'notes': 'n', 'batch': 2, 'requeue': 0, 'cpus': 4, 'ram': 64,"
        " 'hidden': true, 'to_be_deleted': true,"
        " 'completion_notify_sent': true, 'user_id': 12, 'by': '1',"
        " 'data': null, 'environ': null, 'jobtype_version_id': '3',"
        " 'job_queue_id': null}");
}
END_TEST

START_TEST(everything_a_job_takes_goes_to_the_plan)
{
    pfj_job_plan plan = submitted(
        JOB(", 'jobtype_version': 2, 'start': 1, 'end': 3.5, 'by': 0.5,"
            " 'user': 'bob', 'jobqueue': 'a/b', 'parents': [{'id': 1}],"
            " 'tags': ['x', 'y'], 'tag_requirements': [{'tag': 'y',"
            " 'negate': true}, {'tag': 'z', 'negate': 0}],"
            " 'notified_users': [{'username': 'n1', 'on_deletion': 1},"
            " {'username': 'bob', 'on_success': false, 'on_failure': null}],"
            " 'software_requirements': [{'software': 'maya'}],"
            " 'num_tiles': 2"),
        "{'software': [" MAYA_UNVERSIONED "]}", NULL);

    pfj_assert_json(
        plan.plan,
        "{'all_tags': ['x', 'y', 'y', 'z'], 'parents': [1], 'user': 'bob',"
        " 'notified': [{'username': 'n1', 'on_success': true,"
        " 'on_failure': true, 'on_deletion': true}, {'username': 'bob',"
        " 'on_success': false, 'on_failure': true, 'on_deletion': false}],"
        " 'software': [" MAYA_UNVERSIONED "], 'tags': ['x', 'y'],"
        " 'tag_requirements': [{'tag': 'y', 'negate': true}, {'tag': 'z',"
        " 'negate': false}], 'users': ['bob', 'n1', 'bob'], 'state': null,"
        " 'email': null, 'start': '1', 'end': '3.5', 'by': '0.5'}");
    pfj_assert_member(plan.row, "jobtype_version_id", "'3'");
    pfj_assert_member(plan.row, "job_queue_id", "'8'");
    pfj_assert_member(plan.row, "num_tiles", "2");
    pfj_assert_member(plan.row, "by", "'0.5'");
    ck_assert_str_eq(plan.start_token, "1");
    ck_assert_str_eq(plan.end_token, "3.5");
}
END_TEST

START_TEST(data_and_environ_are_stored_as_json_text)
{
    pfj_job_plan plan = submitted(JOB(", 'data': {'k': [1, 'x']},"
                                      " 'environ': {}"),
                                  NULL, NULL);

    ck_assert_str_eq(json_object_get_string(json_object_object_get(plan.row,
                                                                   "data")),
                     "{\"k\": [1, \"x\"]}");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(plan.row,
                                                                   "environ")),
                     "{}");
}
END_TEST

typedef struct {
    const char *members;                 /* start, end (and by) as given */
    const char *start_token, *end_token; /* as the answer shows them */
    const char *start, *end;             /* the range's decimal text */
} echo_case;

/* §3: an integer literal stays an integer, a fraction or exponent is a
 * float; defaults render 1.0; end defaults to start. */
static const echo_case echoes[] = {
    {"", "1.0", "1.0", "1", "1"},
    {", 'start': 5", "5", "5", "5", "5"},
    {", 'start': 5, 'end': 7", "5", "7", "5", "7"},
    {", 'start': 2.0, 'end': 2.50", "2.0", "2.5", "2.0", "2.50"},
    {", 'start': 1e1", "10.0", "10.0", "1e1", "1e1"},
    {", 'start': -0.5, 'end': 0", "-0.5", "0", "-0.5", "0"},
    {", 'start': 0.1, 'end': 0.3, 'by': 0.1", "0.1", "0.3", "0.1", "0.3"},
};

START_TEST(start_and_end_are_echoed_as_given)
{
    const echo_case *c = &echoes[_i];
    pfj_job_plan plan = submitted(apr_pstrcat(pfj_test_pool,
                                              "{'title': 't', 'jobtype': "
                                              "'render'",
                                              c->members, "}", NULL),
                                  NULL, NULL);

    ck_assert_str_eq(plan.start_token, c->start_token);
    ck_assert_str_eq(plan.end_token, c->end_token);
    pfj_assert_member(plan.plan, "start",
                      apr_pstrcat(pfj_test_pool, "'", c->start, "'", NULL));
    pfj_assert_member(plan.plan, "end",
                      apr_pstrcat(pfj_test_pool, "'", c->end, "'", NULL));
}
END_TEST

typedef struct {
    const char *state;     /* as given */
    const char *row_state; /* the row's state (NULL: none, queued) */
} state_case;

/* Running and paused are kept; done and failed are queued (§9.1 step 5:
 * the new tasks reset them), the plan still names them. */
static const state_case states[] = {
    {"running", "105"},
    {"paused", "100"},
    {"done", NULL},
    {"failed", NULL},
};

START_TEST(states_a_new_job_keeps)
{
    const state_case *c = &states[_i];
    const char *quoted = apr_pstrcat(pfj_test_pool, "'", c->state, "'", NULL);
    pfj_job_plan plan = submitted(apr_pstrcat(pfj_test_pool,
                                              "{'title': 't', 'jobtype': "
                                              "'render', 'state': ",
                                              quoted, "}", NULL),
                                  NULL, NULL);

    pfj_assert_member(plan.row, "state", c->row_state);
    pfj_assert_member(plan.plan, "state", quoted);
}
END_TEST

START_TEST(the_configuration_fills_autodelete_time_and_email)
{
    pfj_dir_conf *conf = pfj_test_conf();
    pfj_job_plan plan;

    conf->autodelete = 3600;
    conf->user_email = "{username}@example.com";
    plan = submitted(JOB(""), NULL, conf);
    pfj_assert_member(plan.row, "autodelete_time", "3600");
    pfj_assert_member(plan.plan, "email", "'{username}@example.com'");
    plan = submitted(JOB(", 'autodelete_time': 5"), NULL, conf);
    pfj_assert_member(plan.row, "autodelete_time", "5");
    plan = submitted(JOB(""), NULL, NULL);
    pfj_assert_member(plan.row, "autodelete_time", NULL);
}
END_TEST

START_TEST(unknown_users_are_created_when_autocreate_is_on)
{
    pfj_job_plan plan = submitted(
        JOB(", 'user': 'bob', 'notified_users': [{'username': 'n1'}]"),
        "{'user_id': null, 'missing_notified': 'n1'}", NULL);

    pfj_assert_member(plan.plan, "users", "['bob', 'n1']");
}
END_TEST

/* ---- PyFarmJobsUserFromAuth ---- */

#define OFF PFJ_USER_FROM_AUTH_OFF
#define ON PFJ_USER_FROM_AUTH_ON
#define ALLOW_OTHERS PFJ_USER_FROM_AUTH_ALLOW_OTHERS

/* The owner (JSON; NULL: none) of a job body sent by auth_user (NULL:
 * anonymous) under a mode of the directive. */
typedef struct {
    pfj_user_from_auth mode;
    const char *auth_user;
    const char *body;
    const char *owner;
} owner_case;

static const owner_case owners[] = {
    /* Off: the body's, as in the reference */
    {OFF, "carol", JOB(""), NULL},
    {OFF, "carol", JOB(", 'user': 'bob'"), "'bob'"},
    /* On: the authenticated user, also when the body names no owner */
    {ON, "carol", JOB(""), "'carol'"},
    {ON, "carol", JOB(", 'user': 'carol'"), "'carol'"},
    {ON, "carol", JOB(", 'user': null"), "'carol'"},
    {ON, "carol", JOB(", 'user': ''"), "'carol'"},
    /* an anonymous request: the body's */
    {ON, NULL, JOB(""), NULL},
    {ON, NULL, JOB(", 'user': 'bob'"), "'bob'"},
    {ON, "", JOB(", 'user': 'bob'"), "'bob'"},
    /* AllowOthers: the authenticated user unless the body names another */
    {ALLOW_OTHERS, "carol", JOB(""), "'carol'"},
    {ALLOW_OTHERS, "carol", JOB(", 'user': 'bob'"), "'bob'"},
};

START_TEST(the_owner_follows_user_from_auth)
{
    const owner_case *c = &owners[_i];
    pfj_job_draft *d;
    pfj_job_plan plan;

    pfj_assert_goes_on(submit_by(c->auth_user, c->body, NULL,
                                 pfj_test_conf_user_from_auth(c->mode), &plan,
                                 &d));
    pfj_assert_member(d->lookup, "user", c->owner);
    pfj_assert_member(plan.plan, "user", c->owner);
    /* an unknown owner is created like a named one */
    pfj_assert_json(json_object_object_get(plan.plan, "users"),
                    c->owner
                        ? apr_pstrcat(pfj_test_pool, "[", c->owner, "]", NULL)
                        : "[]");
}
END_TEST

START_TEST(another_owner_is_refused_under_on)
{
    const pfj_dir_conf *on = pfj_test_conf_user_from_auth(ON);

    pfj_assert_error(submit_by("carol", JOB(", 'user': 'bob'"), NULL, on, NULL,
                               NULL),
                     PFJ_HTTP_FORBIDDEN,
                     "user must be the authenticated user carol, not bob");
    /* names are compared as the users table compares them */
    pfj_assert_error(submit_by("carol", JOB(", 'user': 'Carol'"), NULL, on,
                               NULL, NULL),
                     PFJ_HTTP_FORBIDDEN,
                     "user must be the authenticated user carol, not Carol");
    /* the body's user is checked as before, first */
    pfj_assert_error(submit_by("carol", JOB(", 'user': 5"), NULL, on, NULL,
                               NULL),
                     BAD, "user must be of type string");
    pfj_assert_error(submit_by("carol", JOB(", 'user': '" T256 "'"), NULL, on,
                               NULL, NULL),
                     BAD, "user names have at most 255 characters");
    /* step 4b: after the parents, before the queue */
    pfj_assert_error(submit_by("carol", JOB(", 'parents': [5], 'user': 'bob'"),
                               NULL, on, NULL, NULL),
                     BAD,
                     "every parent must be an object with an integer `id`");
    pfj_assert_error(submit_by("carol", JOB(", 'user': 'bob', 'jobqueue': 5"),
                               NULL, on, NULL, NULL),
                     PFJ_HTTP_FORBIDDEN,
                     "user must be the authenticated user carol, not bob");
}
END_TEST

START_TEST(the_authenticated_owner_is_checked_as_a_named_one)
{
    pfj_dir_conf *on = pfj_test_conf_user_from_auth(ON);

    pfj_assert_error(submit_by(T256, JOB(""), NULL, on, NULL, NULL), BAD,
                     "user names have at most 255 characters");
    on->autocreate_users = 0;
    pfj_assert_error(submit_by("carol", JOB(""), "{'user_id': null}", on, NULL,
                               NULL),
                     NOT_FOUND, "User carol not found");
}
END_TEST

START_TEST(tiles_multiply_the_task_count)
{
    pfj_dir_conf *conf = pfj_test_conf();

    conf->max_tasks = 6;
    submitted(JOB(", 'start': 1, 'end': 2, 'num_tiles': 3"), NULL, conf);
    pfj_assert_error(submit(JOB(", 'start': 1, 'end': 3, 'num_tiles': 3"),
                            NULL, conf, NULL, NULL),
                     BAD, "the frame range would create more than 6 tasks");
}
END_TEST

START_TEST(a_decision_is_pure)
{
    pfj_job_plan a = submitted(JOB(", 'tags': ['x']"), NULL, NULL);
    pfj_job_plan b = submitted(JOB(", 'tags': ['x']"), NULL, NULL);

    ck_assert_str_eq(pfj_test_plain(a.plan), pfj_test_plain(b.plan));
    ck_assert_str_eq(pfj_test_plain(a.row), pfj_test_plain(b.row));
}
END_TEST

/* (PFJ_TEST_LONG_LIST: a repeat is found without comparing each name with
 * every one before it.) */
START_TEST(a_repeat_at_the_end_of_a_long_list_of_notified_users)
{
    const char *users = pfj_test_list_of(PFJ_TEST_LONG_LIST,
                                         "{'username': 'u%d'}", 0);
    pfj_job_plan plan = submitted(
        apr_pstrcat(pfj_test_pool,
                    "{'title': 't', 'jobtype': 'render', 'notified_users': ",
                    users, "}", NULL),
        NULL, NULL);

    ck_assert_uint_eq(json_object_array_length(
                          json_object_object_get(plan.plan, "notified")),
                      PFJ_TEST_LONG_LIST);
    users = pfj_test_list_of(PFJ_TEST_LONG_LIST, "{'username': 'u%d'}", 1);
    pfj_assert_error(
        submit(apr_pstrcat(
                   pfj_test_pool,
                   "{'title': 't', 'jobtype': 'render', 'notified_users': ",
                   users, "}", NULL),
               NULL, pfj_test_conf(), NULL, NULL),
        BAD, "user u0 is listed twice in notified_users");
}
END_TEST

Suite *pfj_suite_job_submit(void)
{
    Suite *s = suite_create("job_submit");
    TCase *tc = tcase_create("decision");

    tcase_add_checked_fixture(tc, pfj_test_pool_setup, pfj_test_pool_teardown);
    tcase_add_loop_test(tc, each_step_refuses_as_the_reference, 0,
                        N_CASES(refusals));
    tcase_add_loop_test(tc, checks_run_in_the_reference_order, 0,
                        N_CASES(faults));
    tcase_add_test(tc, without_the_faults_the_request_goes_on);
    tcase_add_test(tc, a_repeat_at_the_end_of_a_long_list_of_notified_users);
    tcase_add_test(tc, the_lookup_gets_every_reference_of_the_body);
    tcase_add_test(tc, a_minimal_body_looks_up_its_jobtype);
    tcase_add_test(tc, a_minimal_job_gets_the_defaults);
    tcase_add_test(tc, given_values_win_over_the_defaults);
    tcase_add_test(tc, everything_a_job_takes_goes_to_the_plan);
    tcase_add_test(tc, data_and_environ_are_stored_as_json_text);
    tcase_add_loop_test(tc, start_and_end_are_echoed_as_given, 0,
                        N_CASES(echoes));
    tcase_add_loop_test(tc, states_a_new_job_keeps, 0, N_CASES(states));
    tcase_add_test(tc, the_configuration_fills_autodelete_time_and_email);
    tcase_add_test(tc, unknown_users_are_created_when_autocreate_is_on);
    tcase_add_loop_test(tc, the_owner_follows_user_from_auth, 0,
                        N_CASES(owners));
    tcase_add_test(tc, another_owner_is_refused_under_on);
    tcase_add_test(tc, the_authenticated_owner_is_checked_as_a_named_one);
    tcase_add_test(tc, tiles_multiply_the_task_count);
    tcase_add_test(tc, a_decision_is_pure);
    suite_add_tcase(s, tc);
    return s;
}
