/* job_cases.h - what the Check tests of the job decisions share
 * (check_job_rules.c, check_job_submit.c, check_job_update.c): JSON
 * written with single quotes, fake lookup and target rows, and assertions
 * on refusals and plans. */
#ifndef PFJ_TEST_JOB_CASES_H
#define PFJ_TEST_JOB_CASES_H

#include <json-c/json.h>
#include "suites.h"
#include "core/job_rules.h"
#include "core/dir_config.h"

/* JSON text with ' for " (no test text needs a quote of its own), parsed
 * on the test pool; NULL for JSON null. */
json_object *pfj_test_json(const char *text);

/* The lookup's row of a request whose every reference resolves: jobtype
 * version 3 (tiling supported), owner 4, queue 8, the job group and
 * job_queue_id exist, user_id is alice's, the id does not exist; then the
 * changes, a JSON object by column name ('jobtype_version_id',
 * 'supports_tiling', 'software', 'missing_parent', 'cyclic_parent',
 * 'user_id', 'queue_id', 'missing_notified', 'group_exists', 'id_exists',
 * 'user_id_name', 'queue_id_exists') with text or null values; changes
 * may be NULL. */
const char *const *pfj_test_found(const char *changes);

/* The row of the job updates change (pfj_update_target): job 7, frames
 * 1 to 3 by 1, jobtype render, no tiles; then the changes by column name
 * ('id', 'first_frame', 'last_frame', 'by', 'jobtype', 'num_tiles'). */
const char *const *pfj_test_target(const char *changes);

/* A configuration with every directive unset (the defaults). */
pfj_dir_conf *pfj_test_conf(void);

/* The defaults but PyFarmJobsUserFromAuth, which is mode. */
pfj_dir_conf *pfj_test_conf_user_from_auth(pfj_user_from_auth mode);

/* A draft for body, as the decisions start theirs. */
pfj_job_draft *pfj_test_draft(const char *body);

/* The text of a JSON list (quoted as for pfj_test_json) of n entries,
 * entry i being entry_format printed with i, then, when repeat_first is
 * set, entry 0 once more. */
const char *pfj_test_list_of(int n, const char *entry_format,
                             int repeat_first);

/* How long the lists of the tests of long lists are: a check that
 * compared each entry with those before it would take billions of steps
 * and outlast Check's timeout (4 s by default) instead of milliseconds. */
#define PFJ_TEST_LONG_LIST 50000

/* Adds the members of from that o lacks. */
void pfj_test_merge(json_object *o, const char *from);

/* JSON as the plans' statements receive it. */
const char *pfj_test_plain(json_object *o);

/* The refusal no is this one (message ignored for PFJ_REFUSAL_UNHANDLED). */
/* clang-format off */
#define pfj_assert_refusal(no, want_status, want_shape, want_message) \
    do { \
        const pfj_refusal *no_ = (no); \
        ck_assert_msg(no_ != NULL, "no refusal, expected %d", \
                      (want_status)); \
        ck_assert_int_eq(no_->status, (want_status)); \
        ck_assert_int_eq(no_->shape, (want_shape)); \
        if ((want_shape) != PFJ_REFUSAL_UNHANDLED) { \
            ck_assert_str_eq(no_->message, (want_message)); \
        } \
    } while (0)

/* {"error": message} with this status. */
#define pfj_assert_error(no, want_status, want_message) \
    pfj_assert_refusal(no, want_status, PFJ_REFUSAL_ERROR, want_message)

/* The decision went on. */
#define pfj_assert_goes_on(no) \
    do { \
        const pfj_refusal *no_ = (no); \
        ck_assert_msg(no_ == NULL, "refused: %d %s", \
                      no_ ? no_->status : 0, no_ ? no_->message : ""); \
    } while (0)

/* o equals the JSON value of want (written as for pfj_test_json; object
 * members in any order). */
#define pfj_assert_json(o, want) \
    do { \
        json_object *got_ = (o), *want_ = pfj_test_json(want); \
        ck_assert_msg(json_object_equal(got_, want_), "got %s, want %s", \
                      pfj_test_plain(got_), pfj_test_plain(want_)); \
    } while (0)

/* Member key of o equals want; absent when want is NULL. */
#define pfj_assert_member(o, key, want) \
    do { \
        const char *w_ = (want); \
        json_object *m_ = NULL; \
        int has_ = json_object_object_get_ex((o), (key), &m_); \
        if (w_ == NULL) { \
            ck_assert_msg(!has_, "%s present: %s", (key), \
                          pfj_test_plain(m_)); \
        } \
        else { \
            ck_assert_msg(has_, "%s absent, want %s", (key), w_); \
            pfj_assert_json(m_, w_); \
        } \
    } while (0)
/* clang-format on */

#endif
