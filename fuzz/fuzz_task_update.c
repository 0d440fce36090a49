/*
 * fuzz_task_update.c - a task update, POST /api/v1/jobs/<job>/tasks/<id>,
 * as src/resources/tasks.c decides it: the decision on the task as it is
 * (core/task_update.h), then whether its plan writes anything.  The input: two bytes that pick the task and the
 * request (see task_now and task_request), then the body.
 */
#include "fuzz.h"
#include "core/task_update.h"
#include "core/task_columns.h"

static const char *const states[] = {NULL, "100", "105", "106", "107"};
static const char *const requeues[] = {NULL, "-1", "0", "3"};

/* The task, its agent and its job by bits 0-9: the state (bits 0-2; a
 * value beyond the table is queued), an agent (3) with an address (4), a
 * start (5), failures at the column's limit (6), the job's requeue
 * (7-8), a jobtype version that starts tasks itself (9). */
static void task_now(unsigned bits, pfj_task_now *now)
{
    unsigned state = bits & 7u;

    now->state = state < PFJ_COUNT(states) ? states[state] : NULL;
    now->agent_id = pfj_fuzz_bit(bits, 3)
                        ? "6d2e8a3f-3b5c-4e1a-9b7d-2f4c6a8e0b1d"
                        : NULL;
    now->remote_ip = pfj_fuzz_bit(bits, 4) ? "2130706433" : NULL;
    now->time_started = pfj_fuzz_bit(bits, 5) ? "2024-05-01 10:00:00" : NULL;
    now->failures = pfj_fuzz_bit(bits, 6) ? "2147483647" : "0";
    now->requeue = requeues[(bits >> 7) & 3u];
    now->no_automatic_start_time = pfj_fuzz_bit(bits, 9) ? "t" : "f";
    now->job_id = "1";
}

/* The request by bits 10-13: an agent's User-Agent (10), the job's lock
 * held (11), the agent's own address (12), the job's state stale (13). */
static void task_request(unsigned bits, json_object *body,
                         pfj_task_request *req)
{
    req->body = body;
    req->task_id = "7";
    req->user_agent = pfj_fuzz_bit(bits, 10) ? PFJ_AGENT_USER_AGENT
                                             : "curl/8.0";
    req->job_locked = pfj_fuzz_bit(bits, 11);
    req->client_ip = pfj_fuzz_bit(bits, 12) ? "127.0.0.1" : "10.0.0.1";
    req->job_stale = pfj_fuzz_bit(bits, 13);
}

/* The task's columns as read, for pfj_task_plan_writes(): those of
 * task_now(), the others fixed. */
static const char *const *current(unsigned bits)
{
    static const char *columns[PFJ_TC_COUNT] = {
        [PFJ_TC_id] = "7",
        [PFJ_TC_priority] = "0",
        [PFJ_TC_job_id] = "1",
        [PFJ_TC_hidden] = "f",
        [PFJ_TC_attempts] = "1",
        [PFJ_TC_frame] = "1.0",
        [PFJ_TC_last_error] = "out of memory",
        [PFJ_TC_sent_to_agent] = "t",
        [PFJ_TC_progress] = "0.5"};
    pfj_task_now now;

    task_now(bits, &now);
    columns[PFJ_TC_state] = now.state;
    columns[PFJ_TC_agent_id] = now.agent_id;
    columns[PFJ_TC_time_started] = now.time_started;
    columns[PFJ_TC_failures] = now.failures;
    return columns;
}

static const pfj_refusal *update(apr_pool_t *p, json_object *body,
                                 unsigned bits, json_object **plan)
{
    const pfj_refusal *no;
    pfj_task_request req;
    pfj_task_now now;

    if ((no = pfj_task_update_check_body(p, body)) != NULL) {
        return no;
    }
    task_now(bits, &now);
    task_request(bits, body, &req);
    return pfj_task_update_decide(p, &req, &now, plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = pfj_fuzz_pool();
    unsigned bits = pfj_fuzz_bits(&data, &size, 2);
    const pfj_refusal *no;
    json_object *body, *plan;

    if (pfj_fuzz_body(p, data, size, &body) == 0) {
        if ((no = update(p, body, bits, &plan)) != NULL) {
            pfj_fuzz_refusal(p, no);
        }
        else {
            pfj_task_plan_recomputes(plan);
            pfj_task_plan_writes(plan, current(bits));
            json_object_to_json_string_ext(plan, JSON_C_TO_STRING_PLAIN);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
