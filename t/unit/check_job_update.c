/* check_job_update.c - the decision of a job update
 * (src/core/job_update_rules.c) against doc/api.md §6's steps 1-15 and
 * the module's differences (README): type misfits quoting the converted
 * value, parents replaced (not the job itself, not a job depending on it),
 * the jobtype version named, tag requirements cleared by [], the plan of
 * the writing statement. */
#include <string.h>
#include <apr_strings.h>
#include "job_cases.h"
#include "core/job_update_rules.h"

#define BAD PFJ_HTTP_BAD_REQUEST
#define NOT_FOUND PFJ_HTTP_NOT_FOUND
#define ERROR PFJ_REFUSAL_ERROR
#define STRING PFJ_REFUSAL_STRING
#define LIST PFJ_REFUSAL_ERROR_LIST

/* The target changes of an update of a job that does not exist. */
#define NO_JOB "null"

#define T16 "tttttttttttttttt"
#define T256 T16 T16 T16 T16 T16 T16 T16 T16 T16 T16 T16 T16 T16 T16 T16 T16

/* clang-format off */
#define UNKNOWN_SOFTWARE \
    "{'software_id': null, 'min_version_id': null, 'max_version_id': null}"
#define MAYA_UNVERSIONED \
    "{'software_id': 1, 'min_version_id': null, 'max_version_id': null}"
/* clang-format on */

/* The update as the resource decides it under conf, sent by auth_user
 * (NULL: anonymous): the body check, the job's row (pfj_test_target's
 * changes, or NO_JOB), the checks before the lookup, its fake answer
 * (changes, see pfj_test_found), the decision.  *draft (may be NULL) gets
 * the draft. */
static const pfj_refusal *update_by(const pfj_dir_conf *conf,
                                    const char *auth_user, const char *body,
                                    const char *target, const char *changes,
                                    pfj_job_plan *plan, pfj_job_draft **draft)
{
    json_object *b = pfj_test_json(body);
    const pfj_refusal *no = pfj_update_check_body(pfj_test_pool, b);
    int no_job = target && strcmp(target, NO_JOB) == 0;
    pfj_job_plan ignored;
    pfj_job_draft *d;

    if (no != NULL) {
        return no;
    }
    no = pfj_update_prepare(pfj_test_pool, b, conf, auth_user,
                            no_job ? NULL : pfj_test_target(target), &d);
    if (draft) {
        *draft = d;
    }
    return no ? no
              : pfj_draft_decide(d, pfj_test_found(changes),
                                 plan ? plan : &ignored);
}

/* An anonymous update under the defaults (see update_by). */
static const pfj_refusal *update(const char *body, const char *target,
                                 const char *changes, pfj_job_plan *plan,
                                 pfj_job_draft **draft)
{
    return update_by(pfj_test_conf(), NULL, body, target, changes, plan,
                     draft);
}

/* An update that must go on: its plan. */
static pfj_job_plan updated(const char *body, const char *target,
                            const char *changes)
{
    pfj_job_plan plan;

    pfj_assert_goes_on(update(body, target, changes, &plan, NULL));
    return plan;
}

typedef struct {
    const char *body;
    const char *target;  /* the job's row (pfj_test_target) */
    const char *changes; /* the lookup's answer (pfj_test_found) */
    int status;
    pfj_refusal_shape shape;
    const char *message;
} refusal_case;

/* Each step of §6's table (and what the module refuses where the
 * reference crashes or answers 200), in the table's order. */
static const refusal_case refusals[] = {
    /* the body is an object */
    {"[]", NULL, NULL, BAD, ERROR, "dictionary expected but got list instead"},
    {"null", NULL, NULL, BAD, ERROR,
     "dictionary expected but got NoneType instead"},
    {"'x'", NULL, NULL, BAD, ERROR, "dictionary expected but got str instead"},
    /* 1-3 */
    {"{'title': 5}", NO_JOB, NULL, NOT_FOUND, ERROR, "Job not found"},
    {"{'tiles': 2, 'title': 5}", NULL, NULL, BAD, ERROR,
     "Frame tiling cannot be updated after job creation."},
    {"{'tiles': null}", "{'first_frame': null, 'last_frame': null}", NULL, BAD,
     ERROR, "Frame tiling cannot be updated after job creation."},
    {"{'start': 'x'}", "{'first_frame': null, 'last_frame': null}", NULL,
     PFJ_HTTP_INTERNAL_ERROR, ERROR, "Job does not have any tasks"},
    /* 4 and §9.1 */
    {"{'start': 'abc'}", NULL, NULL, BAD, ERROR,
     "`start` needs to be of type decimal or int"},
    {"{'start': {}}", NULL, NULL, BAD, ERROR,
     "`start` needs to be of type decimal or int"},
    {"{'end': null}", NULL, NULL, BAD, ERROR,
     "`end` needs to be of type decimal or int"},
    {"{'by': [1], 'end': 'x'}", NULL, NULL, BAD, ERROR,
     "`end` needs to be of type decimal or int"},
    {"{'by': [1]}", NULL, NULL, BAD, ERROR,
     "`by` needs to be of type decimal or int"},
    {"{'start': 5}", NULL, NULL, BAD, ERROR,
     "`end` must be greater than or equal to `start`"},
    {"{'start': '2', 'end': 1.5}", NULL, NULL, BAD, ERROR,
     "`end` must be greater than or equal to `start`"},
    {"{'by': 0}", NULL, NULL, BAD, ERROR, "`by` must be greater than 0"},
    {"{'by': false}", NULL, NULL, BAD, ERROR, "`by` must be greater than 0"},
    {"{'by': '-1'}", NULL, NULL, BAD, ERROR, "`by` must be greater than 0"},
    {"{'by': 0.00001}", NULL, NULL, BAD, ERROR,
     "`by` must be at least 0.0001"},
    {"{'end': 1000000}", NULL, NULL, BAD, ERROR,
     "start, end and by must be between -999999.9999 and 999999.9999"},
    {"{'end': 600000, 'by': 0.5}", NULL, NULL, BAD, ERROR,
     "the frame range would create more than 1000000 tasks"},
    {"{'end': 500001}", "{'num_tiles': '2'}", NULL, BAD, ERROR,
     "the frame range would create more than 1000000 tasks"},
    /* what cannot be looked up */
    {"{'parents': {'id': 1}}", NULL, NULL, BAD, ERROR,
     "field 'parents' has type <class 'dict'> but we expected type(s) "
     "<class 'list'>"},
    {"{'parents': [{'id': 'x'}]}", NULL, NULL, BAD, ERROR,
     "every parent must be an object with an integer `id`"},
    {"{'user': 5}", NULL, NULL, BAD, ERROR, "user must be of type string"},
    {"{'jobqueue': 5}", NULL, NULL, BAD, ERROR,
     "jobqueue must be of type string"},
    {"{'user_id': 2147483648}", NULL, NULL, BAD, ERROR,
     "field 'user_id' is out of range"},
    {"{'user_id': -9223372036854775808}", NULL, NULL, BAD, ERROR,
     "field 'user_id' is out of range"},
    /* 5 */
    {"{'parents': [{'id': 99}, {'id': 7}]}", NULL,
     "{'missing_parent': '99', 'cyclic_parent': '7'}", NOT_FOUND, STRING,
     "Parent job 99 not found"},
    {"{'parents': [{'id': 7}]}", NULL, "{'cyclic_parent': '7'}", BAD, ERROR,
     "A job cannot be its own parent"},
    {"{'parents': [{'id': 12}]}", NULL, "{'cyclic_parent': '12'}", BAD, ERROR,
     "Job 12 depends on this job and cannot be its parent"},
    /* 6: never created, whatever PyFarmJobsAutocreateUsers says */
    {"{'user': 'bob'}", NULL, "{'user_id': null}", NOT_FOUND, ERROR,
     "User bob not found"},
    /* 7 */
    {"{'jobqueue': 'a/b'}", NULL, "{'queue_id': null}", NOT_FOUND, ERROR,
     "Jobqueue a/b not found"},
    /* 8-10 */
    {"{'time_started': null}", NULL, NULL, BAD, ERROR,
     "`time_started` cannot be set manually"},
    {"{'time_finished': 1}", NULL, NULL, BAD, ERROR,
     "`time_finished` cannot be set manually"},
    {"{'time_submitted': '2017-01-01'}", NULL, NULL, BAD, ERROR,
     "`time_submitted` cannot be set manually"},
    {"{'time_submitted': 1, 'time_started': 1}", NULL, NULL, BAD, ERROR,
     "`time_started` cannot be set manually"},
    {"{'jobtype_version_id': 1}", NULL, NULL, BAD, ERROR,
     "`jobtype_version_id` cannot be set manually"},
    {"{'jobgroup': 'g'}", NULL, NULL, BAD, ERROR,
     "`jobgroup` cannot be set directly, use  job_group_id."},
    /* 11: the values once their type is right */
    {"{'id': 8}", NULL, NULL, BAD, ERROR, "`id` cannot be changed"},
    {"{'job_group_id': 5}", NULL, "{'group_exists': 'f'}", NOT_FOUND, ERROR,
     "Job group 5 not found"},
    {"{'user_id': 9}", NULL, "{'user_id_name': null}", NOT_FOUND, ERROR,
     "User 9 not found"},
    {"{'job_queue_id': 9}", NULL, "{'queue_id_exists': 'f'}", NOT_FOUND, ERROR,
     "Jobqueue 9 not found"},
    {"{'title': '" T256 "'}", NULL, NULL, BAD, ERROR,
     "`title` is longer than 255 characters"},
    {"{'priority': 2000}", NULL, NULL, BAD, ERROR,
     "`priority` must be between -1000 and 1000"},
    {"{'ram': 8}", NULL, NULL, BAD, ERROR,
     "`ram` must be between 16 and 262144"},
    {"{'num_tiles': -1}", NULL, NULL, BAD, ERROR,
     "`num_tiles` must be between 0 and 2147483647"},
    {"{'weight': 2147483648}", NULL, NULL, BAD, ERROR,
     "field 'weight' is out of range"},
    /* 12 (§9.5, more in check_job_rules.c) */
    {"{'software_requirements': [{'software': 'maya'}]}", NULL,
     "{'software': [" UNKNOWN_SOFTWARE "]}", NOT_FOUND, LIST,
     "Software maya not found"},
    {"{'software_requirements': 'maya'}", NULL, NULL, BAD, LIST,
     "software_requirements must be a list"},
    {"{'software_requirements': null}", NULL, NULL, BAD, LIST,
     "software_requirements must be a list"},
    /* 13 */
    {"{'tag_requirements': 'gpu'}", NULL, NULL, BAD, ERROR,
     "tag_requirements must be a list"},
    {"{'tag_requirements': [{'tag': 'gpu'}]}", NULL, NULL, BAD, ERROR,
     "every tag requirement needs a `tag` string of at most 64 characters "
     "and `negate`"},
    /* 14: the version asked for is named */
    {"{'jobtype_version': 7}", NULL, "{'jobtype_version_id': null}", BAD,
     ERROR, "Unknown jobtype version: 7"},
    {"{'jobtype_version': '7'}", NULL, NULL, BAD, ERROR,
     "Unknown jobtype version: '7'"},
    {"{'jobtype_version': 2147483648}", NULL, NULL, BAD, ERROR,
     "Unknown jobtype version: 2147483648"},
    {"{'jobtype_version': true}", NULL, NULL, BAD, ERROR,
     "Unknown jobtype version: True"},
    {"{'jobtype_version': 1.5}", NULL, NULL, BAD, ERROR,
     "Unknown jobtype version: 1.5"},
    /* 15 */
    {"{'tags': ['a'], 'title': 't', 'jobtype': 'x'}", NULL, NULL, BAD, ERROR,
     "Unknown columns: {'tags': ['a'], 'jobtype': 'x'}"},
    {"{'notified_users': [], 'jobtype': null}", NULL, NULL, BAD, ERROR,
     "Unknown columns: {'notified_users': [], 'jobtype': None}"},
    {"{'tiles2': 1}", NULL, NULL, BAD, ERROR,
     "Unknown columns: {'tiles2': 1}"},
};

START_TEST(each_step_refuses_as_documented)
{
    const refusal_case *c = &refusals[_i];

    pfj_assert_refusal(update(c->body, c->target, c->changes, NULL, NULL),
                       c->status, c->shape, c->message);
}
END_TEST

#define INT "<class 'int'>"
#define STR "<class 'str'>"
#define BOOL "<class 'bool'>"
#define DICT "<class 'dict'>"

typedef struct {
    const char *body;
    const char *message;
} misfit_case;

/* §6 step 11's type check: the value converted to the column's type
 * where Python converts it, else the value's own type; 400 either way. */
static const misfit_case misfits[] = {
    {"{'title': 5}", "Column `title` is of type '5', but we expected " STR},
    {"{'notes': null}",
     "Column `notes` is of type 'None', but we expected " STR},
    {"{'output_link': true}",
     "Column `output_link` is of type 'True', but we expected " STR},
    {"{'title': [1, 'a']}",
     "Column `title` is of type \"[1, 'a']\", but we expected " STR},
    {"{'hidden': 'yes'}",
     "Column `hidden` is of type True, but we expected " BOOL},
    {"{'hidden': 0}",
     "Column `hidden` is of type False, but we expected " BOOL},
    {"{'to_be_deleted': []}",
     "Column `to_be_deleted` is of type False, but we expected " BOOL},
    {"{'completion_notify_sent': null}",
     "Column `completion_notify_sent` is of type False, but we expected " BOOL},
    {"{'priority': 64.7}",
     "Column `priority` is of type 64, but we expected " INT},
    {"{'weight': -0.5}", "Column `weight` is of type 0, but we expected " INT},
    {"{'batch': -2.5}", "Column `batch` is of type -2, but we expected " INT},
    {"{'job_group_id': 1e20}", "Column `job_group_id` is of type "
                               "100000000000000000000, but we expected " INT},
    {"{'requeue': '12'}",
     "Column `requeue` is of type 12, but we expected " INT},
    {"{'cpus': ' -3 '}", "Column `cpus` is of type -3, but we expected " INT},
    {"{'ram': '+4'}", "Column `ram` is of type 4, but we expected " INT},
    {"{'id': 1.5}", "Column `id` is of type 1, but we expected " INT},
    {"{'priority': 'x'}",
     "Column `priority` is of type <class 'str'>, but we expected " INT},
    {"{'priority': '1.5'}",
     "Column `priority` is of type <class 'str'>, but we expected " INT},
    {"{'priority': '- 1'}",
     "Column `priority` is of type <class 'str'>, but we expected " INT},
    {"{'priority': null}",
     "Column `priority` is of type <class 'NoneType'>, but we expected " INT},
    {"{'priority': [1]}",
     "Column `priority` is of type <class 'list'>, but we expected " INT},
    {"{'priority': {}}",
     "Column `priority` is of type <class 'dict'>, but we expected " INT},
    {"{'priority': true}",
     "Column `priority` is of type <class 'bool'>, but we expected " INT},
    {"{'data': []}", "Column `data` is of type {}, but we expected " DICT},
    {"{'data': ''}", "Column `data` is of type {}, but we expected " DICT},
    {"{'environ': [['a', 1], ['b', null]]}",
     "Column `environ` is of type {'a': 1, 'b': None}, but we expected " DICT},
    {"{'data': ['ab', 'cd']}",
     "Column `data` is of type {'a': 'b', 'c': 'd'}, but we expected " DICT},
    {"{'data': [['a', 1], ['b', 2], ['a', 3]]}",
     "Column `data` is of type {'a': 3, 'b': 2}, but we expected " DICT},
    {"{'data': ['Ab', 'ab', 'Ac']}",
     "Column `data` is of type {'A': 'c', 'a': 'b'}, but we expected " DICT},
    {"{'data': [[1.5, true]]}",
     "Column `data` is of type {1.5: True}, but we expected " DICT},
    {"{'data': ['\\u00e91']}",
     "Column `data` is of type {'\xc3\xa9': '1'}, but we expected " DICT},
    {"{'data': [[[1], 2]]}",
     "Column `data` is of type <class 'list'>, but we expected " DICT},
    {"{'data': [[{}, 2]]}",
     "Column `data` is of type <class 'list'>, but we expected " DICT},
    {"{'data': [[1, 2, 3]]}",
     "Column `data` is of type <class 'list'>, but we expected " DICT},
    {"{'data': ['abc']}",
     "Column `data` is of type <class 'list'>, but we expected " DICT},
    {"{'data': 5}",
     "Column `data` is of type <class 'int'>, but we expected " DICT},
    {"{'data': 'xy'}",
     "Column `data` is of type <class 'str'>, but we expected " DICT},
    {"{'data': null}",
     "Column `data` is of type <class 'NoneType'>, but we expected " DICT},
    {"{'state': 'queued'}",
     "`state` must be one of paused, running, done, failed"},
    {"{'state': 105}", "`state` must be one of paused, running, done, failed"},
    {"{'state': null}",
     "`state` must be one of paused, running, done, failed"},
    /* the first misfit in the body's order */
    {"{'hidden': 'x', 'title': 5}",
     "Column `hidden` is of type True, but we expected " BOOL},
    {"{'title': 't', 'id': 8, 'notes': 5}", "`id` cannot be changed"},
};

START_TEST(a_wrongly_typed_column_is_400_with_the_converted_value)
{
    const misfit_case *c = &misfits[_i];

    pfj_assert_error(update(c->body, NULL, NULL, NULL, NULL), BAD, c->message);
}
END_TEST

/* (PFJ_TEST_LONG_LIST: repeated keys are found without comparing each
 * pair with every one before it, and the repr is not copied once per
 * pair.) */
START_TEST(a_long_list_for_a_dict_column_is_quoted_whole)
{
    const char *pairs = pfj_test_list_of(PFJ_TEST_LONG_LIST, "['k%d', 1]", 1);
    const pfj_refusal *no = update(apr_pstrcat(pfj_test_pool,
                                               "{'data': ", pairs, "}", NULL),
                                   NULL, NULL, NULL, NULL);
    const char *want =
        "Column `data` is of type {'k0': 1, 'k1': 1, 'k2': 1, 'k3': 1, ";

    ck_assert_ptr_nonnull(no);
    ck_assert_int_eq(no->status, BAD);
    ck_assert_msg(strncmp(no->message, want, strlen(want)) == 0, "%.100s",
                  no->message);
    ck_assert_str_eq(no->message + strlen(no->message)
                         - strlen("'k49999': 1}, but we expected " DICT),
                     "'k49999': 1}, but we expected " DICT);
    /* 50,000 distinct keys of the form 'kN': 1, the repeat of k0 adds none */
    ck_assert_uint_eq(
        strlen(no->message),
        strlen("Column `data` is of type {}, but we expected " DICT)
            + 50000 * strlen("'k': 1, ") - strlen(", ")
            + (10 + 90 * 2 + 900 * 3 + 9000 * 4 + 40000 * 5));
}
END_TEST

/* One fault of the order test: the member it sets, the job's row and the
 * lookup's answer, and the refusal. */
typedef struct {
    const char *key;
    const char *value;
    const char *target;
    const char *changes;
    int status;
    pfj_refusal_shape shape;
    const char *message;
} fault;

/* In §6's order. */
static const fault faults[] = {
    {"title", "5", NO_JOB, NULL, NOT_FOUND, ERROR, "Job not found"},
    {"tiles", "1", NULL, NULL, BAD, ERROR,
     "Frame tiling cannot be updated after job creation."},
    {"start", "'x'", "{'first_frame': null}", NULL, PFJ_HTTP_INTERNAL_ERROR,
     ERROR, "Job does not have any tasks"},
    {"end", "'abc'", NULL, NULL, BAD, ERROR,
     "`end` needs to be of type decimal or int"},
    {"parents", "{}", NULL, NULL, BAD, ERROR,
     "field 'parents' has type <class 'dict'> but we expected type(s) "
     "<class 'list'>"},
    {"user", "5", NULL, NULL, BAD, ERROR, "user must be of type string"},
    {"jobqueue", "5", NULL, NULL, BAD, ERROR,
     "jobqueue must be of type string"},
    {"user_id", "4294967296", NULL, NULL, BAD, ERROR,
     "field 'user_id' is out of range"},
    {"parents", "[{'id': 99}]", NULL, "{'missing_parent': '99'}", NOT_FOUND,
     STRING, "Parent job 99 not found"},
    {"user", "'bob'", NULL, "{'user_id': null}", NOT_FOUND, ERROR,
     "User bob not found"},
    {"jobqueue", "'nope'", NULL, "{'queue_id': null}", NOT_FOUND, ERROR,
     "Jobqueue nope not found"},
    {"time_started", "1", NULL, NULL, BAD, ERROR,
     "`time_started` cannot be set manually"},
    {"jobtype_version_id", "1", NULL, NULL, BAD, ERROR,
     "`jobtype_version_id` cannot be set manually"},
    {"jobgroup", "1", NULL, NULL, BAD, ERROR,
     "`jobgroup` cannot be set directly, use  job_group_id."},
    {"title", "5", NULL, NULL, BAD, ERROR,
     "Column `title` is of type '5', but we expected <class 'str'>"},
    {"job_group_id", "77", NULL, "{'group_exists': 'f'}", NOT_FOUND, ERROR,
     "Job group 77 not found"},
    {"priority", "1001", NULL, NULL, BAD, ERROR,
     "`priority` must be between -1000 and 1000"},
    {"software_requirements", "[{'software': 'maya'}]", NULL,
     "{'software': [" UNKNOWN_SOFTWARE "]}", NOT_FOUND, LIST,
     "Software maya not found"},
    {"tag_requirements", "'gpu'", NULL, NULL, BAD, ERROR,
     "tag_requirements must be a list"},
    {"jobtype_version", "7", NULL, "{'jobtype_version_id': null}", BAD, ERROR,
     "Unknown jobtype version: 7"},
    {"tags", "['a']", NULL, NULL, BAD, ERROR,
     "Unknown columns: {'tags': ['a']}"},
};

/* The body, the job's row and the lookup's answer carrying every fault
 * from the first on, in their order; a key or column listed twice keeps
 * the earlier value. */
static const pfj_refusal *update_faults_from(int first)
{
    json_object *body = pfj_test_json("{}");
    json_object *target = pfj_test_json("{}");
    json_object *changes = pfj_test_json("{}");
    int i, no_job = 0;

    for (i = first; i < N_CASES(faults); i++) {
        if (!json_object_object_get_ex(body, faults[i].key, NULL)) {
            json_object_object_add(body, faults[i].key,
                                   json_object_get(pfj_test_json(faults[i]
                                                                     .value)));
        }
        if (faults[i].target && strcmp(faults[i].target, NO_JOB) == 0) {
            no_job = 1;
        }
        else if (faults[i].target) {
            pfj_test_merge(target, faults[i].target);
        }
        if (faults[i].changes) {
            pfj_test_merge(changes, faults[i].changes);
        }
    }
    return update(pfj_test_plain(body),
                  no_job ? NO_JOB : pfj_test_plain(target),
                  pfj_test_plain(changes), NULL, NULL);
}

START_TEST(checks_run_in_the_reference_order)
{
    const fault *f = &faults[_i];

    pfj_assert_refusal(update_faults_from(_i), f->status, f->shape,
                       f->message);
}
END_TEST

START_TEST(without_the_faults_the_update_goes_on)
{
    pfj_assert_goes_on(update_faults_from(N_CASES(faults)));
}
END_TEST

/* ---- what the database is asked before the decision ---- */

START_TEST(the_dependency_lock_is_taken_when_parents_are_given)
{
    ck_assert(pfj_update_changes_parents(pfj_test_json("{'parents': []}")));
    ck_assert(pfj_update_changes_parents(pfj_test_json("{'parents': null}")));
    ck_assert(!pfj_update_changes_parents(pfj_test_json("{'title': 't'}")));
    ck_assert(!pfj_update_changes_parents(pfj_test_json("['parents']")));
}
END_TEST

START_TEST(the_lookup_gets_the_job_its_jobtype_and_the_references)
{
    pfj_job_draft *d;

    pfj_assert_goes_on(
        update("{'jobtype_version': 2, 'user': 'bob', 'jobqueue': 'a',"
               " 'parents': [{'id': 1}], 'job_group_id': 4, 'user_id': 5,"
               " 'job_queue_id': 6, 'software_requirements': []}",
               "{'jobtype': 'nuke'}", NULL, NULL, &d));
    pfj_assert_json(
        d->lookup,
        "{'job': '7', 'jobtype': 'nuke', 'version': 2, 'software': [],"
        " 'parents': [1], 'user': 'bob', 'queue': ['a'], 'group': 4,"
        " 'user_id': 5, 'queue_id': 6}");
}
END_TEST

START_TEST(a_version_beyond_32_bits_is_not_looked_up)
{
    pfj_job_draft *d;

    pfj_assert_goes_on(pfj_update_prepare(
        pfj_test_pool, pfj_test_json("{'jobtype_version': 2147483648}"),
        pfj_test_conf(), NULL, pfj_test_target(NULL), &d));
    pfj_assert_member(d->lookup, "version", NULL);
    pfj_assert_goes_on(pfj_update_prepare(
        pfj_test_pool, pfj_test_json("{'jobtype_version': '2'}"),
        pfj_test_conf(), NULL, pfj_test_target(NULL), &d));
    pfj_assert_member(d->lookup, "version", NULL);
}
END_TEST

START_TEST(a_user_id_beyond_32_bits_is_never_looked_up)
{
    pfj_job_draft *d;

    pfj_assert_error(
        pfj_update_prepare(pfj_test_pool,
                           pfj_test_json("{'user_id': 1099511627776}"),
                           pfj_test_conf(), NULL, pfj_test_target(NULL), &d),
        BAD, "field 'user_id' is out of range");
    pfj_assert_member(d->lookup, "user_id", NULL);
    /* a value of another type is step 11's to refuse */
    pfj_assert_goes_on(pfj_update_prepare(pfj_test_pool,
                                          pfj_test_json("{'user_id': true}"),
                                          pfj_test_conf(), NULL,
                                          pfj_test_target(NULL), &d));
    pfj_assert_member(d->lookup, "user_id", NULL);
}
END_TEST

/* ---- the plan ---- */

START_TEST(an_empty_update_changes_nothing)
{
    pfj_job_plan plan = updated("{}", NULL, NULL);

    pfj_assert_json(plan.plan, "{'all_tags': [], 'job': '7', 'columns': {}}");
    ck_assert_ptr_null(plan.row);
    ck_assert_str_eq(plan.job_id, "7");
    ck_assert_str_eq(plan.start_token, "1.0");
    ck_assert_str_eq(plan.end_token, "3.0");
    ck_assert_int_eq(plan.recompute_state, 0);
}
END_TEST

START_TEST(a_new_range_lays_the_frames_out_again)
{
    pfj_job_plan plan = updated("{'start': 0, 'end': 10, 'by': 2}", NULL,
                                NULL);

    pfj_assert_json(
        plan.plan,
        "{'all_tags': [], 'job': '7', 'range': {'start': '0', 'end': '10',"
        " 'by': '2'}, 'columns': {'by': '2'}}");
    ck_assert_str_eq(plan.start_token, "0.0");
    ck_assert_str_eq(plan.end_token, "10.0");
    ck_assert_int_eq(plan.recompute_state, 1);
}
END_TEST

START_TEST(a_range_keeps_what_is_not_given)
{
    pfj_job_plan plan = updated("{'end': 5}",
                                "{'first_frame': '1.5000',"
                                " 'by': null}",
                                NULL);

    pfj_assert_member(plan.plan, "range",
                      "{'start': '1.5000', 'end': '5', 'by': '1'}");
    ck_assert_str_eq(plan.start_token, "1.5");
    ck_assert_str_eq(plan.end_token, "5.0");
}
END_TEST

START_TEST(numeric_strings_and_booleans_convert_as_decimals)
{
    pfj_job_plan plan = updated("{'start': ' +2', 'end': '4.', 'by': true}",
                                NULL, NULL);

    pfj_assert_member(plan.plan, "range",
                      "{'start': '2', 'end': '4', 'by': '1'}");
    ck_assert_str_eq(plan.start_token, "2.0");
    ck_assert_str_eq(plan.end_token, "4.0");
}
END_TEST

START_TEST(a_state_set_with_a_range_is_not_recomputed)
{
    pfj_job_plan plan = updated("{'end': 5, 'state': 'paused'}", NULL, NULL);

    pfj_assert_member(plan.plan, "state", "'paused'");
    pfj_assert_member(plan.plan, "columns", "{'by': '1.0000', 'state': 100}");
    ck_assert_int_eq(plan.recompute_state, 0);
}
END_TEST

START_TEST(tokens_without_a_range_are_the_old_frames)
{
    pfj_job_plan plan = updated("{}",
                                "{'first_frame': '-2.2500',"
                                " 'last_frame': '10.0000'}",
                                NULL);

    ck_assert_str_eq(plan.start_token, "-2.25");
    ck_assert_str_eq(plan.end_token, "10.0");
    pfj_assert_member(plan.plan, "range", NULL);
}
END_TEST

START_TEST(columns_of_the_right_type_are_set)
{
    pfj_job_plan plan = updated(
        "{'title': 'x', 'priority': 5, 'hidden': true, 'state': 'running',"
        " 'id': 7, 'job_group_id': 4, 'user_id': 2, 'job_queue_id': 3,"
        " 'notes': 'n', 'autodelete_time': 60, 'to_be_deleted': false}",
        NULL, NULL);

    pfj_assert_member(
        plan.plan, "columns",
        "{'title': 'x', 'priority': 5, 'hidden': true, 'state': 105,"
        " 'id': 7, 'job_group_id': 4, 'user_id': 2, 'job_queue_id': 3,"
        " 'notes': 'n', 'autodelete_time': 60, 'to_be_deleted': false}");
    pfj_assert_member(plan.plan, "state", "'running'");
    ck_assert_int_eq(plan.recompute_state, 0);
}
END_TEST

START_TEST(dict_columns_are_stored_as_json_text)
{
    pfj_job_plan plan = updated("{'data': {'a': [1]}, 'environ': {}}", NULL,
                                NULL);
    json_object *columns = json_object_object_get(plan.plan, "columns");

    ck_assert_str_eq(json_object_get_string(json_object_object_get(columns,
                                                                   "data")),
                     "{\"a\": [1]}");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(columns,
                                                                   "environ")),
                     "{}");
}
END_TEST

START_TEST(the_owner_and_the_queue_are_set_by_name)
{
    pfj_job_plan plan = updated("{'user': 'bob', 'jobqueue': 'a/b'}", NULL,
                                NULL);

    pfj_assert_member(plan.plan, "columns",
                      "{'user_id': '4', 'job_queue_id': '8'}");
    plan = updated("{'user': '', 'jobqueue': null}", NULL,
                   "{'user_id': null, 'queue_id': null}");
    pfj_assert_member(plan.plan, "columns", "{}");
}
END_TEST

/* PyFarmJobsUserFromAuth On: "user" and "user_id" name the
 * authenticated user or are refused; an update naming none keeps the
 * owner. */
START_TEST(only_the_authenticated_user_becomes_the_owner_under_on)
{
    const pfj_dir_conf *on =
        pfj_test_conf_user_from_auth(PFJ_USER_FROM_AUTH_ON);
    pfj_job_plan plan;

    pfj_assert_error(update_by(on, "carol", "{'user': 'bob'}", NULL, NULL,
                               NULL, NULL),
                     PFJ_HTTP_FORBIDDEN,
                     "user must be the authenticated user carol, not bob");
    pfj_assert_goes_on(update_by(on, "carol", "{'user': 'carol'}", NULL, NULL,
                                 &plan, NULL));
    pfj_assert_member(plan.plan, "columns", "{'user_id': '4'}");
    /* user_id, by the name the lookup finds */
    pfj_assert_error(update_by(on, "carol", "{'user_id': 5}", NULL,
                               "{'user_id_name': 'bob'}", NULL, NULL),
                     PFJ_HTTP_FORBIDDEN,
                     "user must be the authenticated user carol, not bob");
    pfj_assert_error(update_by(on, "carol", "{'user_id': 5}", NULL,
                               "{'user_id_name': null}", NULL, NULL),
                     NOT_FOUND, "User 5 not found");
    pfj_assert_goes_on(update_by(on, "carol", "{'user_id': 5}", NULL,
                                 "{'user_id_name': 'carol'}", &plan, NULL));
    pfj_assert_member(plan.plan, "columns", "{'user_id': 5}");
    pfj_assert_goes_on(update_by(on, "carol", "{'priority': 1}", NULL, NULL,
                                 &plan, NULL));
    pfj_assert_member(plan.plan, "columns", "{'priority': 1}");
}
END_TEST

START_TEST(others_become_the_owner_when_allowed_or_anonymous)
{
    const pfj_dir_conf *on =
        pfj_test_conf_user_from_auth(PFJ_USER_FROM_AUTH_ON);
    const pfj_dir_conf *others =
        pfj_test_conf_user_from_auth(PFJ_USER_FROM_AUTH_ALLOW_OTHERS);
    const pfj_dir_conf *off =
        pfj_test_conf_user_from_auth(PFJ_USER_FROM_AUTH_OFF);

    pfj_assert_goes_on(update_by(others, "carol", "{'user': 'bob'}", NULL,
                                 NULL, NULL, NULL));
    pfj_assert_goes_on(update_by(others, "carol", "{'user_id': 5}", NULL,
                                 "{'user_id_name': 'bob'}", NULL, NULL));
    pfj_assert_goes_on(update_by(off, "carol", "{'user': 'bob'}", NULL, NULL,
                                 NULL, NULL));
    pfj_assert_goes_on(update_by(on, NULL, "{'user': 'bob'}", NULL, NULL, NULL,
                                 NULL));
}
END_TEST

START_TEST(parents_replace_the_jobs_parents)
{
    pfj_job_plan plan = updated("{'parents': [{'id': 1}, {'id': 2}]}", NULL,
                                NULL);

    pfj_assert_member(plan.plan, "parents", "[1, 2]");
    plan = updated("{'parents': []}", NULL, NULL);
    pfj_assert_member(plan.plan, "parents", "[]");
}
END_TEST

START_TEST(software_requirements_replace_the_jobs)
{
    pfj_job_plan plan = updated("{'software_requirements': [{'software':"
                                " 'maya'}]}",
                                NULL, "{'software': [" MAYA_UNVERSIONED "]}");

    pfj_assert_member(plan.plan, "software", "[" MAYA_UNVERSIONED "]");
    plan = updated("{'software_requirements': []}", NULL, NULL);
    pfj_assert_member(plan.plan, "software", "[]");
}
END_TEST

START_TEST(tag_requirements_replace_or_clear_the_jobs)
{
    pfj_job_plan plan = updated("{'tag_requirements': [{'tag': 'gpu',"
                                " 'negate': 0}]}",
                                NULL, NULL);

    pfj_assert_member(plan.plan, "tag_requirements",
                      "[{'tag': 'gpu', 'negate': false}]");
    pfj_assert_member(plan.plan, "all_tags", "['gpu']");
    plan = updated("{'tag_requirements': []}", NULL, NULL);
    pfj_assert_member(plan.plan, "tag_requirements", "[]");
    plan = updated("{'tag_requirements': null}", NULL, NULL);
    pfj_assert_member(plan.plan, "tag_requirements", NULL);
}
END_TEST

START_TEST(a_found_jobtype_version_is_switched_to)
{
    pfj_job_plan plan = updated("{'jobtype_version': 2}", NULL,
                                "{'jobtype_version_id': '5'}");

    pfj_assert_member(plan.plan, "columns", "{'jobtype_version_id': '5'}");
    plan = updated("{'jobtype_version': 0}", NULL,
                   "{'jobtype_version_id': null}");
    pfj_assert_member(plan.plan, "columns", "{}");
}
END_TEST

START_TEST(a_decision_is_pure)
{
    pfj_job_plan a = updated("{'end': 4, 'title': 'x'}", NULL, NULL);
    pfj_job_plan b = updated("{'end': 4, 'title': 'x'}", NULL, NULL);

    ck_assert_str_eq(pfj_test_plain(a.plan), pfj_test_plain(b.plan));
}
END_TEST

Suite *pfj_suite_job_update(void)
{
    Suite *s = suite_create("job_update");
    TCase *tc = tcase_create("decision");

    tcase_add_checked_fixture(tc, pfj_test_pool_setup, pfj_test_pool_teardown);
    tcase_add_loop_test(tc, each_step_refuses_as_documented, 0,
                        N_CASES(refusals));
    tcase_add_loop_test(tc,
                        a_wrongly_typed_column_is_400_with_the_converted_value,
                        0, N_CASES(misfits));
    tcase_add_loop_test(tc, checks_run_in_the_reference_order, 0,
                        N_CASES(faults));
    tcase_add_test(tc, without_the_faults_the_update_goes_on);
    tcase_add_test(tc, a_long_list_for_a_dict_column_is_quoted_whole);
    tcase_add_test(tc, the_dependency_lock_is_taken_when_parents_are_given);
    tcase_add_test(tc, the_lookup_gets_the_job_its_jobtype_and_the_references);
    tcase_add_test(tc, a_version_beyond_32_bits_is_not_looked_up);
    tcase_add_test(tc, a_user_id_beyond_32_bits_is_never_looked_up);
    tcase_add_test(tc, an_empty_update_changes_nothing);
    tcase_add_test(tc, a_new_range_lays_the_frames_out_again);
    tcase_add_test(tc, a_range_keeps_what_is_not_given);
    tcase_add_test(tc, numeric_strings_and_booleans_convert_as_decimals);
    tcase_add_test(tc, a_state_set_with_a_range_is_not_recomputed);
    tcase_add_test(tc, tokens_without_a_range_are_the_old_frames);
    tcase_add_test(tc, columns_of_the_right_type_are_set);
    tcase_add_test(tc, dict_columns_are_stored_as_json_text);
    tcase_add_test(tc, the_owner_and_the_queue_are_set_by_name);
    tcase_add_test(tc, only_the_authenticated_user_becomes_the_owner_under_on);
    tcase_add_test(tc, others_become_the_owner_when_allowed_or_anonymous);
    tcase_add_test(tc, parents_replace_the_jobs_parents);
    tcase_add_test(tc, software_requirements_replace_the_jobs);
    tcase_add_test(tc, tag_requirements_replace_or_clear_the_jobs);
    tcase_add_test(tc, a_found_jobtype_version_is_switched_to);
    tcase_add_test(tc, a_decision_is_pure);
    suite_add_tcase(s, tc);
    return s;
}
