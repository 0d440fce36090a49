/*
 * task_update.h - the decision of a task update (doc/api.md §10.2,
 * §10.3), the request agents send on every state change: the body and
 * the task as it is in, the plan of the writing statement or a refusal
 * out.  No httpd, no database: src/resources/tasks.c fetches the task,
 * asks here, and stores what the plan says.
 */
#ifndef PFJ_CORE_TASK_UPDATE_H
#define PFJ_CORE_TASK_UPDATE_H

#include <apr_pools.h>
#include <json-c/json.h>
#include "core/refusal.h"

/* The User-Agent of PyFarm's agents: only their updates are checked for
 * ownership (§10.2 step 7). */
#define PFJ_AGENT_USER_AGENT "PyFarm/1.0 (agent)"

/*
 * What the update depends on, as the fetch reads it (text, NULL for SQL
 * NULL), in the order of PFJ_TASK_NOW_COLUMNS: the task, its agent's
 * address, its job's requeue and its jobtype version's start-time flag.
 * X(name, SQL expression) S.
 */
/* clang-format off */
#define PFJ_TASK_NOW_COLUMNS(X, S)                                          \
    X(state, "t.state") S                                                   \
    X(agent_id, "t.agent_id") S                                             \
    X(remote_ip, "(SELECT remote_ip FROM agents WHERE id = t.agent_id)") S  \
    X(time_started, "t.time_started") S                                     \
    X(failures, "t.failures") S                                             \
    X(requeue, "j.requeue") S                                               \
    X(no_automatic_start_time, "v.no_automatic_start_time") S               \
    X(job_id, "t.job_id")
/* clang-format on */

#define PFJ_TASK_NOW_FIELD(name, sql) const char *name;
typedef struct pfj_task_now {
    PFJ_TASK_NOW_COLUMNS(PFJ_TASK_NOW_FIELD, )
} pfj_task_now;

#define PFJ_TASK_NOW_SQL(name, sql) sql
#define PFJ_TASK_NOW_SELECT_LIST PFJ_TASK_NOW_COLUMNS(PFJ_TASK_NOW_SQL, ", ")
#define PFJ_TASK_NOW_ONE(name, sql) +1
#define PFJ_TASK_NOW_COUNT (0 PFJ_TASK_NOW_COLUMNS(PFJ_TASK_NOW_ONE, ))

/* The request as the decision sees it. */
typedef struct pfj_task_request {
    json_object *body;      /* the parsed body (any JSON value) */
    const char *task_id;    /* the URL's task id (digits) */
    const char *user_agent; /* NULL when absent */
    const char *client_ip;  /* the client's address, as httpd has it */
    int job_locked;         /* the caller holds the job's row lock */
    int job_stale;          /* the job's stored state is not its recomputation
                    * (§9.2), as read with the task */
} pfj_task_request;

/* 1 when the plan recomputes the job's state: with req->job_locked unset,
 * the caller must take the job's lock and decide again. */
int pfj_task_plan_recomputes(json_object *plan);

/*
 * 1 when the plan writes anything: a column set to another value than
 * current[] holds (the task's columns as read, as text, indexed by
 * enum pfj_task_column; NULL for SQL NULL), a time, a failure, an agent's
 * success, a cleared relationship or the job's state.  A plan that writes
 * nothing - the agent sending "running" again, a progress it sent before -
 * leaves every row as it is, and its answer is the task as read.
 */
int pfj_task_plan_writes(json_object *plan, const char *const *current);

/*
 * §10.2 steps 2-11 and the §10.3 effects, in the reference's order.  On
 * success *plan is the input of the writing statement (tied to p): {"task",
 * "job", "set": {column: new value}, "time_started": "now",
 * "time_finished": "now_if_null" | "null" | "max_now", "fail_agent",
 * "success_agent", "clear_failures", "clear_logs", "recompute"}.
 */
const pfj_refusal *pfj_task_update_decide(apr_pool_t *p,
                                          const pfj_task_request *req,
                                          const pfj_task_now *now,
                                          json_object **plan);

/* "400 {"error": "dictionary expected ..."}" when the body is not a JSON
 * object (checked before the task is fetched); NULL when it is. */
const pfj_refusal *pfj_task_update_check_body(apr_pool_t *p,
                                              json_object *body);

#endif
