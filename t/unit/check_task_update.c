/* check_task_update.c - the decision of a task update
 * (src/core/task_update.c) rule by rule, against doc/api.md §10.2 and
 * §10.3: the refusal of each check in its order, and the plan of each
 * state's effects. */
#include <string.h>

#include "suites.h"
#include "core/json_body.h"
#include "core/task_update.h"
#include "core/task_columns.h"

#define AGENT "6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35"
#define AGENT_IP_BIGINT "2130706433" /* 127.0.0.1 */

/* A queued task assigned to AGENT (at 127.0.0.1), never failed, of job 3
 * (requeue 3), whose jobtype version starts tasks automatically. */
static pfj_task_now assigned_task(void)
{
    pfj_task_now now = {
        .state = NULL,
        .agent_id = AGENT,
        .remote_ip = AGENT_IP_BIGINT,
        .time_started = NULL,
        .failures = "0",
        .requeue = "3",
        .no_automatic_start_time = "f",
        .job_id = "3",
    };
    return now;
}

static json_object *parse(const char *text)
{
    json_object *o = NULL;

    ck_assert_msg(pfj_json_parse(pfj_test_pool, text, strlen(text), &o) == 0,
                  "bad test JSON: %s", text);
    return o;
}

/* Decides body for task 15 as it is in *now, sent with user_agent from
 * 127.0.0.1, the job's lock held. */
static const pfj_refusal *decide(const char *body, const pfj_task_now *now,
                                 const char *user_agent, json_object **plan)
{
    pfj_task_request req = {parse(body), "15", user_agent, "127.0.0.1", 1};

    *plan = NULL;
    return pfj_task_update_decide(pfj_test_pool, &req, now, plan);
}

static void expect_refusal_as(const char *body, const pfj_task_now *now,
                              const char *user_agent, const char *message)
{
    json_object *plan;
    const pfj_refusal *no = decide(body, now, user_agent, &plan);

    ck_assert_msg(no != NULL, "%s: no refusal, plan %s", body,
                  plan ? json_object_to_json_string(plan) : "-");
    ck_assert_int_eq(no->status, 400);
    ck_assert_int_eq(no->shape, PFJ_REFUSAL_ERROR);
    ck_assert_str_eq(no->message, message);
}

static void expect_refusal(const char *body, const char *message)
{
    pfj_task_now now = assigned_task();

    expect_refusal_as(body, &now, NULL, message);
}

static void expect_plan_as(const char *body, const pfj_task_now *now,
                           const char *user_agent, const char *expected)
{
    json_object *plan;
    const pfj_refusal *no = decide(body, now, user_agent, &plan);

    ck_assert_msg(no == NULL, "%s: refused: %s", body, no ? no->message : "");
    ck_assert_str_eq(json_object_to_json_string_ext(plan,
                                                    JSON_C_TO_STRING_PLAIN),
                     expected);
}

static void expect_plan(const char *body, const char *expected)
{
    pfj_task_now now = assigned_task();

    expect_plan_as(body, &now, NULL, expected);
}

/* clang-format off */
#define PLAN(before, set) \
    "{" before "\"task\":\"15\",\"job\":\"3\",\"set\":" set "}"
/* clang-format on */

/* ---- before the task is fetched ---- */

START_TEST(test_body_must_be_an_object)
{
    const pfj_refusal *no = pfj_task_update_check_body(pfj_test_pool,
                                                       parse("[1]"));

    ck_assert_ptr_nonnull(no);
    ck_assert_int_eq(no->status, 400);
    ck_assert_str_eq(no->message, "dictionary expected but got list instead");
    no = pfj_task_update_check_body(pfj_test_pool, parse("null"));
    ck_assert_str_eq(no->message,
                     "dictionary expected but got NoneType instead");
    ck_assert_ptr_null(pfj_task_update_check_body(pfj_test_pool, parse("{}")));
}
END_TEST

/* The plan of body for *now without the job's lock, its state stale or
 * not. */
static json_object *plan_unlocked(const char *body, const pfj_task_now *now,
                                  int job_stale)
{
    pfj_task_request req = {parse(body), "15", NULL,
                            "127.0.0.1", 0,    job_stale};
    json_object *plan = NULL;

    ck_assert_ptr_null(pfj_task_update_decide(pfj_test_pool, &req, now,
                                              &plan));
    return plan;
}

/* Whether the plan of body for *now recomputes the job without its lock. */
static int recomputes_unlocked(const char *body, const pfj_task_now *now)
{
    return pfj_task_plan_recomputes(plan_unlocked(body, now, 0));
}

START_TEST(test_only_a_moved_task_needs_the_job_lock)
{
    pfj_task_now now = assigned_task();

    /* the same state, the same agent: the job is left alone */
    ck_assert_int_eq(recomputes_unlocked("{\"state\": \"queued\"}", &now), 0);
    ck_assert_int_eq(recomputes_unlocked("{\"progress\": 0.5}", &now), 0);
    ck_assert_int_eq(recomputes_unlocked("{\"state\": \"running\"}", &now), 1);
    ck_assert_int_eq(
        recomputes_unlocked("{\"state\": \"queued\", \"agent\": null}", &now),
        1);
    now.state = "105";
    ck_assert_int_eq(recomputes_unlocked("{\"state\": \"running\"}", &now), 0);
    ck_assert_int_eq(recomputes_unlocked("{\"state\": \"done\"}", &now), 1);
    /* failed again, requeued: the task moves back to queued */
    now.state = "107";
    ck_assert_int_eq(recomputes_unlocked("{\"state\": \"failed\"}", &now), 1);
    now.requeue = "0";
    ck_assert_int_eq(recomputes_unlocked("{\"state\": \"failed\"}", &now), 0);
    /* with the lock, every state given recomputes */
    expect_plan_as("{\"state\": \"failed\"}", &now, NULL,
                   PLAN("\"recompute\":true,\"time_finished\":\"now_if_null\","
                        "\"fail_agent\":\"" AGENT "\",",
                        "{\"state\":107,\"failures\":1}"));
}
END_TEST

START_TEST(test_a_stale_job_is_recomputed_by_any_state)
{
    pfj_task_now now = assigned_task();

    now.state = "105";
    now.time_started = "2026-01-01 00:00:00";
    ck_assert_int_eq(pfj_task_plan_recomputes(
                         plan_unlocked("{\"state\": \"running\"}", &now, 1)),
                     1);
    /* no state, no recomputation (§10.3) */
    ck_assert_int_eq(pfj_task_plan_recomputes(
                         plan_unlocked("{\"progress\": 0.5}", &now, 1)),
                     0);
    ck_assert_int_eq(
        pfj_task_plan_recomputes(plan_unlocked("{\"state\": null}", &now, 1)),
        0);
}
END_TEST

/* A running task of assigned_task()'s, started, as its columns read. */
static const char *running_columns[PFJ_TC_COUNT] = {
    [PFJ_TC_id] = "15",
    [PFJ_TC_state] = "105",
    [PFJ_TC_priority] = "5",
    [PFJ_TC_time_submitted] = "2026-01-01 00:00:00",
    [PFJ_TC_time_started] = "2026-01-01 00:00:01",
    [PFJ_TC_agent_id] = AGENT,
    [PFJ_TC_job_id] = "3",
    [PFJ_TC_hidden] = "f",
    [PFJ_TC_attempts] = "1",
    [PFJ_TC_failures] = "0",
    [PFJ_TC_frame] = "1",
    [PFJ_TC_last_error] = "disk full",
    [PFJ_TC_sent_to_agent] = "t",
    [PFJ_TC_progress] = "0.25",
};

/* Whether body's plan for the task of running_columns, with column
 * changed to value first (when column >= 0), writes, the job's state
 * stale or not. */
static int writes(const char *body, int column, const char *value,
                  int job_stale)
{
    const char *columns[PFJ_TC_COUNT];
    pfj_task_now now = assigned_task();

    memcpy(columns, running_columns, sizeof(columns));
    if (column >= 0) {
        columns[column] = value;
    }
    now.state = columns[PFJ_TC_state];
    now.agent_id = columns[PFJ_TC_agent_id];
    now.time_started = columns[PFJ_TC_time_started];
    return pfj_task_plan_writes(plan_unlocked(body, &now, job_stale), columns);
}

START_TEST(test_what_changes_nothing_writes_nothing)
{
    /* the agent repeating running */
    ck_assert_int_eq(writes("{\"state\": \"running\"}", -1, NULL, 0), 0);
    ck_assert_int_eq(writes("{\"state\": \"running\"}", -1, NULL, 1), 1);
    ck_assert_int_eq(writes("{\"state\": \"running\"}", PFJ_TC_time_started,
                            NULL, 0),
                     1);
    ck_assert_int_eq(writes("{\"state\": \"running\"}", PFJ_TC_state, "100",
                            0),
                     1);
    ck_assert_int_eq(writes("{\"state\": \"queued\"}", PFJ_TC_state, NULL, 0),
                     0);
    /* done always writes: its finish, the agent's success */
    ck_assert_int_eq(writes("{\"state\": \"done\"}", PFJ_TC_state, "106", 0),
                     1);
    ck_assert_int_eq(writes("{\"time_started\": \"now\"}", -1, NULL, 0), 1);
    ck_assert_int_eq(writes("{\"failed_in_agents\": []}", -1, NULL, 0), 1);
    ck_assert_int_eq(writes("{\"agent\": null}", -1, NULL, 0), 1);
    ck_assert_int_eq(writes("{\"agent\": null}", PFJ_TC_agent_id, NULL, 0), 0);
}
END_TEST

START_TEST(test_values_are_compared_as_the_database_prints_them)
{
    ck_assert_int_eq(writes("{\"progress\": 0.25}", -1, NULL, 0), 0);
    ck_assert_int_eq(writes("{\"progress\": 0.5}", -1, NULL, 0), 1);
    ck_assert_int_eq(writes("{\"progress\": 1}", PFJ_TC_progress, "1", 0), 0);
    ck_assert_int_eq(writes("{\"progress\": null}", -1, NULL, 0), 1);
    ck_assert_int_eq(writes("{\"progress\": null}", PFJ_TC_progress, NULL, 0),
                     0);
    ck_assert_int_eq(writes("{\"last_error\": \"disk full\"}", -1, NULL, 0),
                     0);
    ck_assert_int_eq(writes("{\"last_error\": \"disk\"}", -1, NULL, 0), 1);
    ck_assert_int_eq(writes("{\"last_error\": null}", -1, NULL, 0), 1);
    ck_assert_int_eq(writes("{\"hidden\": false}", -1, NULL, 0), 0);
    ck_assert_int_eq(writes("{\"hidden\": true}", -1, NULL, 0), 1);
    ck_assert_int_eq(writes("{\"priority\": 5, \"attempts\": 1}", -1, NULL, 0),
                     0);
    ck_assert_int_eq(writes("{\"priority\": 5, \"attempts\": 2}", -1, NULL, 0),
                     1);
    ck_assert_int_eq(writes("{\"tile\": null}", -1, NULL, 0), 0);
    ck_assert_int_eq(writes("{\"tile\": 0}", -1, NULL, 0), 1);
}
END_TEST

/* ---- steps 2-6: what cannot be set ---- */

START_TEST(test_time_started_only_now)
{
    expect_refusal("{\"time_started\": \"2020-01-01T00:00:00\"}",
                   "`time_started` cannot be set manually");
    expect_refusal("{\"time_started\": null}",
                   "`time_started` cannot be set manually");
    expect_plan("{\"time_started\": \"now\"}",
                PLAN("\"time_started\":\"now\",\"time_finished\":\"null\",",
                     "{}"));
}
END_TEST

START_TEST(test_read_only_keys_in_the_reference_order)
{
    expect_refusal("{\"frame\": 1, \"job_id\": 2, \"time_submitted\": 0,"
                   " \"time_finished\": 0}",
                   "`time_finished` cannot be set manually");
    expect_refusal("{\"frame\": 1, \"job_id\": 2, \"time_submitted\": 0}",
                   "`time_submitted` cannot be set manually");
    expect_refusal("{\"frame\": 1, \"job_id\": 2}",
                   "`job_id` cannot be changed");
    expect_refusal("{\"frame\": 1}", "`frame` cannot be changed");
    /* time_started first: step 2 */
    expect_refusal("{\"frame\": 1, \"time_started\": \"x\"}",
                   "`time_started` cannot be set manually");
}
END_TEST

/* ---- step 7: the agent owning the task ---- */

/* clang-format off */
#define NOT_OWNER \
    "`state` and `progress` can only be changed by the agent owning this task"
/* clang-format on */

START_TEST(test_agents_change_only_their_tasks)
{
    pfj_task_now now = assigned_task();
    const char *ua = PFJ_AGENT_USER_AGENT;

    expect_plan_as("{\"progress\": 0.5}", &now, ua,
                   PLAN("", "{\"progress\":0.5}"));
    now.remote_ip = "167772165"; /* 10.0.0.5 */
    expect_refusal_as("{\"progress\": 0.5}", &now, ua, NOT_OWNER);
    expect_refusal_as("{\"state\": \"running\"}", &now, ua, NOT_OWNER);
    /* other keys, and other clients, are not checked */
    expect_plan_as("{\"priority\": 5}", &now, ua,
                   PLAN("", "{\"priority\":5}"));
    expect_plan_as("{\"progress\": 0.5}", &now, "curl/8.0",
                   PLAN("", "{\"progress\":0.5}"));
    now.remote_ip = NULL; /* no address */
    expect_refusal_as("{\"progress\": 0.5}", &now, ua, NOT_OWNER);
    now.remote_ip = "4294967296"; /* out of range */
    expect_refusal_as("{\"progress\": 0.5}", &now, ua, NOT_OWNER);
    now = assigned_task();
    now.agent_id = NULL; /* not assigned */
    expect_refusal_as("{\"progress\": 0.5}", &now, ua, NOT_OWNER);
}
END_TEST

/* ---- step 8 ---- */

START_TEST(test_progress_of_a_done_task_stays_one)
{
    pfj_task_now now = assigned_task();

    now.state = "106";
    expect_refusal_as("{\"progress\": 0.5}", &now, NULL,
                      "Cannot set progress: task is already in state "
                      "`done`");
    expect_refusal_as("{\"progress\": null}", &now, NULL,
                      "Cannot set progress: task is already in state "
                      "`done`");
    expect_plan_as("{\"progress\": 1}", &now, NULL,
                   PLAN("", "{\"progress\":1.0}"));
    expect_plan_as("{\"progress\": 1.0}", &now, NULL,
                   PLAN("", "{\"progress\":1.0}"));
    /* Python: True == 1.0; a boolean is no float for step 10, though */
    expect_refusal_as("{\"progress\": true}", &now, NULL,
                      "Column 'progress' is of type <class 'bool'> but we "
                      "expected type(s) <class 'float'>");
}
END_TEST

/* ---- step 9 and §10.3: the state and its effects ---- */

START_TEST(test_invalid_states_are_refused)
{
    const char *bodies[] = {"{\"state\": \"bogus\"}", "{\"state\": 105}",
                            "{\"state\": \"Running\"}", "{\"state\": \"\"}"};
    int i;

    for (i = 0; i < 4; i++) {
        expect_refusal(bodies[i], "`state` must be one of queued, paused, "
                                  "running, done, failed");
    }
}
END_TEST

START_TEST(test_queued_and_paused_are_plain_transitions)
{
    expect_plan("{\"state\": \"queued\"}",
                PLAN("\"recompute\":true,", "{\"state\":null}"));
    expect_plan("{\"state\": \"paused\"}",
                PLAN("\"recompute\":true,", "{\"state\":100}"));
    /* a null state is no transition */
    expect_plan("{\"state\": null}", PLAN("", "{}"));
}
END_TEST

START_TEST(test_done_clears_the_error_and_credits_the_agent)
{
    pfj_task_now now = assigned_task();

    expect_plan("{\"state\": \"done\"}",
                PLAN("\"recompute\":true,\"time_finished\":\"now_if_null\","
                     "\"success_agent\":\"" AGENT "\",",
                     "{\"state\":106,\"last_error\":null,\"progress\":1.0}"));
    now.agent_id = NULL;
    expect_plan_as(
        "{\"state\": \"done\"}", &now, NULL,
        PLAN("\"recompute\":true,\"time_finished\":\"now_if_null\",",
             "{\"state\":106,\"last_error\":null,"
             "\"progress\":1.0}"));
}
END_TEST

START_TEST(test_failed_counts_and_requeues_while_the_job_allows)
{
    pfj_task_now now = assigned_task();

    /* the 1st failure of a job with requeue 3: requeued */
    expect_plan_as("{\"state\": \"failed\"}", &now, NULL,
                   PLAN("\"recompute\":true,\"time_finished\":\"now_if_null\","
                        "\"fail_agent\":\"" AGENT "\",",
                        "{\"state\":null,\"failures\":1,\"agent_id\":null}"));
    /* the 4th: failed for good */
    now.failures = "3";
    expect_plan_as("{\"state\": \"failed\"}", &now, NULL,
                   PLAN("\"recompute\":true,\"time_finished\":\"now_if_null\","
                        "\"fail_agent\":\"" AGENT "\",",
                        "{\"state\":107,\"failures\":4}"));
}
END_TEST

START_TEST(test_requeue_limits)
{
    /* {requeue, failures so far, requeued?} */
    static const struct {
        const char *requeue, *failures;
        int requeued;
    } cases[] = {
        {"0", "0", 0},   {"1", "0", 1},  {"1", "1", 0},  {"-1", "0", 1},
        {"-1", "10", 1}, {"-2", "0", 0}, {NULL, "0", 0},
    };
    pfj_task_now now = assigned_task();
    json_object *plan, *set;
    unsigned i;

    for (i = 0; i < PFJ_COUNT(cases); i++) {
        now.requeue = cases[i].requeue;
        now.failures = cases[i].failures;
        ck_assert_ptr_null(decide("{\"state\": \"failed\"}", &now, NULL,
                                  &plan));
        set = json_object_object_get(plan, "set");
        ck_assert_msg(json_object_object_get_ex(set, "agent_id", NULL)
                          == cases[i].requeued,
                      "requeue %s after %s failures", cases[i].requeue,
                      cases[i].failures);
        ck_assert_int_eq(
            json_object_get_int(json_object_object_get(set, "failures")),
            atoi(cases[i].failures) + 1);
    }
}
END_TEST

START_TEST(test_failures_stay_within_their_column)
{
    pfj_task_now now = assigned_task();

    now.failures = "2147483647";
    now.requeue = "0";
    expect_plan_as("{\"state\": \"failed\"}", &now, NULL,
                   PLAN("\"recompute\":true,\"time_finished\":\"now_if_null\","
                        "\"fail_agent\":\"" AGENT "\",",
                        "{\"state\":107,\"failures\":2147483647}"));
}
END_TEST

START_TEST(test_failed_without_an_agent_is_stored)
{
    pfj_task_now now = assigned_task();

    now.agent_id = NULL;
    now.requeue = "0";
    expect_plan_as(
        "{\"state\": \"failed\"}", &now, NULL,
        PLAN("\"recompute\":true,\"time_finished\":\"now_if_null\",",
             "{\"state\":107,\"failures\":1}"));
}
END_TEST

START_TEST(test_running_starts_the_task_once)
{
    pfj_task_now now = assigned_task();

    expect_plan_as("{\"state\": \"running\"}", &now, NULL,
                   PLAN("\"recompute\":true,\"time_started\":\"now\","
                        "\"time_finished\":\"null\",",
                        "{\"state\":105}"));
    /* running (or paused) with a start keeps it */
    now.time_started = "2026-01-01 00:00:00";
    now.state = "105";
    expect_plan_as("{\"state\": \"running\"}", &now, NULL,
                   PLAN("\"recompute\":true,", "{\"state\":105}"));
    now.state = "100";
    expect_plan_as("{\"state\": \"running\"}", &now, NULL,
                   PLAN("\"recompute\":true,", "{\"state\":105}"));
    /* a done task starts again */
    now.state = "106";
    expect_plan_as("{\"state\": \"running\"}", &now, NULL,
                   PLAN("\"recompute\":true,\"time_started\":\"now\","
                        "\"time_finished\":\"null\",",
                        "{\"state\":105}"));
    /* running without a start gets one */
    now.state = "105";
    now.time_started = NULL;
    expect_plan_as("{\"state\": \"running\"}", &now, NULL,
                   PLAN("\"recompute\":true,\"time_started\":\"now\","
                        "\"time_finished\":\"null\",",
                        "{\"state\":105}"));
    /* unless the jobtype version starts its tasks itself */
    now.no_automatic_start_time = "t";
    expect_plan_as("{\"state\": \"running\"}", &now, NULL,
                   PLAN("\"recompute\":true,", "{\"state\":105}"));
}
END_TEST

START_TEST(test_time_started_now_keeps_a_finish)
{
    pfj_task_now now = assigned_task();

    now.state = "107";
    expect_plan_as("{\"time_started\": \"now\"}", &now, NULL,
                   PLAN("\"time_started\":\"now\",\"time_finished\":"
                        "\"max_now\",",
                        "{}"));
    /* the state after step 9 counts */
    expect_plan_as("{\"state\": \"queued\", \"time_started\": \"now\"}", &now,
                   NULL,
                   PLAN("\"recompute\":true,\"time_started\":\"now\","
                        "\"time_finished\":\"null\",",
                        "{\"state\":null}"));
    now.state = NULL;
    expect_plan_as("{\"state\": \"done\", \"time_started\": \"now\"}", &now,
                   NULL,
                   PLAN("\"recompute\":true,\"time_finished\":"
                        "\"max_now\",\"success_agent\":\"" AGENT "\","
                        "\"time_started\":\"now\",",
                        "{\"state\":106,\"last_error\":null,"
                        "\"progress\":1.0}"));
}
END_TEST

/* ---- step 10: types, values, relationships ---- */

START_TEST(test_column_types)
{
    static const struct {
        const char *body, *message;
    } cases[] = {
        {"{\"priority\": \"5\"}", "Column 'priority' is of type <class 'str'> "
                                  "but we expected type(s) <class 'int'>"},
        {"{\"attempts\": true}", "Column 'attempts' is of type <class 'bool'> "
                                 "but we expected type(s) <class 'int'>"},
        {"{\"tile\": 1.5}", "Column 'tile' is of type <class 'float'> but we "
                            "expected type(s) <class 'int'>"},
        {"{\"id\": \"15\"}", "Column 'id' is of type <class 'str'> but we "
                             "expected type(s) <class 'int'>"},
        {"{\"hidden\": 1}", "Column 'hidden' is of type <class 'int'> but we "
                            "expected type(s) <class 'bool'>"},
        {"{\"last_error\": 5}", "Column 'last_error' is of type <class 'int'> "
                                "but we expected type(s) <class 'str'>"},
        {"{\"progress\": \"0.5\"}",
         "Column 'progress' is of type <class "
         "'str'> but we expected type(s) <class 'float'>"},
        {"{\"agent_id\": \"" AGENT "\"}",
         "Column 'agent_id' is of type "
         "<class 'str'> but we expected type(s) <class 'uuid.UUID'>"},
        {"{\"job\": {}}", "Column 'job' is of type <class 'dict'> but we "
                          "expected type(s) <class 'list'>"},
    };
    unsigned i;

    for (i = 0; i < PFJ_COUNT(cases); i++) {
        expect_refusal(cases[i].body, cases[i].message);
    }
}
END_TEST

START_TEST(test_column_values)
{
    static const struct {
        const char *body, *message;
    } cases[] = {
        {"{\"priority\": 1001}", "`priority` must be between -1000 and 1000"},
        {"{\"priority\": -1001}", "`priority` must be between -1000 and 1000"},
        {"{\"priority\": 10000000000}",
         "`priority` must be between -1000 and 1000"},
        {"{\"attempts\": -1}", "`attempts` cannot be negative"},
        {"{\"attempts\": 2147483648}", "`attempts` is out of range"},
        {"{\"failures\": -2147483649}", "`failures` is out of range"},
        {"{\"tile\": 2147483648}", "`tile` is out of range"},
        {"{\"attempts\": null}", "`attempts` cannot be null"},
        {"{\"failures\": null}", "`failures` cannot be null"},
        {"{\"sent_to_agent\": null}", "`sent_to_agent` cannot be null"},
        {"{\"id\": 16}", "`id` cannot be changed"},
    };
    unsigned i;

    for (i = 0; i < PFJ_COUNT(cases); i++) {
        expect_refusal(cases[i].body, cases[i].message);
    }
}
END_TEST

START_TEST(test_values_are_set)
{
    expect_plan("{\"priority\": -1000, \"attempts\": 0, \"failures\": -5,"
                " \"tile\": null, \"hidden\": true, \"sent_to_agent\": false,"
                " \"last_error\": \"x\", \"progress\": 0, \"id\": 15,"
                " \"agent_id\": null}",
                PLAN("",
                     "{\"priority\":-1000,\"attempts\":0,\"failures\":-5,"
                     "\"tile\":null,\"hidden\":true,\"sent_to_agent\":false,"
                     "\"last_error\":\"x\",\"progress\":0.0,"
                     "\"agent_id\":null}"));
    /* a float as read: 1e-400 is 0.0 */
    expect_plan("{\"progress\": 1e-400}", PLAN("", "{\"progress\":0.0}"));
}
END_TEST

START_TEST(test_non_finite_floats_are_refused)
{
    pfj_task_now now = assigned_task();
    pfj_task_request req = {NULL, "15", NULL, "127.0.0.1"};
    json_object *plan;
    const pfj_refusal *no;

    req.body = pfj_json_pooled(pfj_test_pool, json_object_new_object());
    json_object_object_add(req.body, "progress",
                           json_object_new_double(1.0 / 0.0));
    no = pfj_task_update_decide(pfj_test_pool, &req, &now, &plan);
    ck_assert_ptr_nonnull(no);
    ck_assert_str_eq(no->message, "`progress` must be a finite number");
}
END_TEST

START_TEST(test_relationships)
{
    expect_plan("{\"agent\": null}", PLAN("", "{\"agent_id\":null}"));
    expect_plan("{\"log_associations\": []}",
                PLAN("\"clear_logs\":true,", "{}"));
    /* emptied failures take back the failure this update records */
    expect_plan("{\"state\": \"failed\", \"failed_in_agents\": []}",
                PLAN("\"recompute\":true,\"time_finished\":\"now_if_null\","
                     "\"clear_failures\":true,",
                     "{\"state\":null,\"failures\":1,\"agent_id\":null}"));
    expect_refusal("{\"agent\": []}", "`agent` cannot be set this way");
    expect_refusal("{\"job\": null}", "`job` cannot be set this way");
    expect_refusal("{\"failed_in_agents\": [1]}",
                   "`failed_in_agents` cannot be set this way");
    expect_refusal("{\"log_associations\": null}",
                   "`log_associations` cannot be set this way");
}
END_TEST

/* ---- step 11 ---- */

START_TEST(test_unknown_keys_in_body_order)
{
    expect_refusal("{\"foo\": 1, \"priority\": 2, \"bar\": [null]}",
                   "Unknown columns in request: {'foo': 1, 'bar': [None]}");
    /* a bad value first is reported first */
    expect_refusal("{\"foo\": 1, \"priority\": \"x\"}",
                   "Column 'priority' is of type <class 'str'> but we "
                   "expected type(s) <class 'int'>");
}
END_TEST

Suite *pfj_suite_task_update(void)
{
    Suite *s = suite_create("task_update");
    TCase *tc = tcase_create("decide");

    tcase_add_checked_fixture(tc, pfj_test_pool_setup, pfj_test_pool_teardown);
    tcase_add_test(tc, test_body_must_be_an_object);
    tcase_add_test(tc, test_only_a_moved_task_needs_the_job_lock);
    tcase_add_test(tc, test_a_stale_job_is_recomputed_by_any_state);
    tcase_add_test(tc, test_what_changes_nothing_writes_nothing);
    tcase_add_test(tc, test_values_are_compared_as_the_database_prints_them);
    tcase_add_test(tc, test_time_started_only_now);
    tcase_add_test(tc, test_read_only_keys_in_the_reference_order);
    tcase_add_test(tc, test_agents_change_only_their_tasks);
    tcase_add_test(tc, test_progress_of_a_done_task_stays_one);
    tcase_add_test(tc, test_invalid_states_are_refused);
    tcase_add_test(tc, test_queued_and_paused_are_plain_transitions);
    tcase_add_test(tc, test_done_clears_the_error_and_credits_the_agent);
    tcase_add_test(tc, test_failed_counts_and_requeues_while_the_job_allows);
    tcase_add_test(tc, test_requeue_limits);
    tcase_add_test(tc, test_failures_stay_within_their_column);
    tcase_add_test(tc, test_failed_without_an_agent_is_stored);
    tcase_add_test(tc, test_running_starts_the_task_once);
    tcase_add_test(tc, test_time_started_now_keeps_a_finish);
    tcase_add_test(tc, test_column_types);
    tcase_add_test(tc, test_column_values);
    tcase_add_test(tc, test_values_are_set);
    tcase_add_test(tc, test_non_finite_floats_are_refused);
    tcase_add_test(tc, test_relationships);
    tcase_add_test(tc, test_unknown_keys_in_body_order);
    suite_add_tcase(s, tc);
    return s;
}
