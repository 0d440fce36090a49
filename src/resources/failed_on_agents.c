/*
 * failed_on_agents.c - the agents a task failed on (doc/api.md §10.4).
 * The task is found by its id and the URL's job id, as every task route
 * finds it (the reference ignores the job).  Every request is one
 * statement.
 */
#include <apr_lib.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_protocol.h>
#include <http_log.h>
#include "resources/failed_on_agents.h"
#include "core/json_body.h"

APLOG_USE_MODULE(pyfarm_jobs);

/* Shared by the add and delete statements: the task (by its id and its
 * job's) and the agent of the pair, each empty when not found (a NULL
 * agent id finds none). */
/* clang-format off */
#define PAIR_CTES \
    "WITH task AS (SELECT id FROM tasks WHERE id = %lld AND job_id = %lld)," \
    " agent AS (SELECT id, hostname FROM agents WHERE id = %s::uuid),"

/* ... and what both return: whether the task exists, the agent's
 * hostname (NULL: no such agent). */
#define PAIR_RESULT \
    "SELECT EXISTS (SELECT 1 FROM task), (SELECT hostname FROM agent)"

/* Statement labels, so that a misspelt one fails to compile. */
#define STMT_FAILED_ON_AGENTS_LIST "pfj_failed_on_agents_list"
#define STMT_FAILED_ON_AGENT_ADD "pfj_failed_on_agent_add"
#define STMT_FAILED_ON_AGENT_DELETE "pfj_failed_on_agent_delete"

const pfj_stmt pfj_failed_on_agents_stmts[] = {
    /* No row: no such task.  One row with a NULL agent: none (left) to
     * list.  failed_tasks_in_agents has no column telling the insertion
     * order, so agents come by hostname, then id. */
    {STMT_FAILED_ON_AGENTS_LIST,
     "SELECT t.id, f.id, f.hostname"
     "  FROM tasks t"
     "  LEFT JOIN LATERAL ("
     "       SELECT a.id, a.hostname"
     "         FROM failed_tasks_in_agents fa JOIN agents a"
     "           ON a.id = fa.agent_id"
     "        WHERE fa.task_id = t.id"
     "        ORDER BY a.hostname, a.id LIMIT %lld OFFSET %lld) f ON true"
     " WHERE t.id = %lld AND t.job_id = %lld"},
    /* Idempotent: a pair already recorded stays as it is. */
    {STMT_FAILED_ON_AGENT_ADD,
     PAIR_CTES
     " added AS (INSERT INTO failed_tasks_in_agents (agent_id, task_id)"
     "           SELECT agent.id, task.id FROM agent, task"
     "           ON CONFLICT DO NOTHING)"
     PAIR_RESULT},
    {STMT_FAILED_ON_AGENT_DELETE,
     PAIR_CTES
     " gone AS (DELETE FROM failed_tasks_in_agents fa USING task, agent"
     "           WHERE fa.task_id = task.id AND fa.agent_id = agent.id)"
     PAIR_RESULT},
    {NULL, NULL}
};
/* clang-format on */

#define BAD_AGENT_ID "Agent id is not a valid UUID"

static int task_not_found(pfj_req *q)
{
    return pfj_send_error(q, HTTP_NOT_FOUND, "Task not found");
}

/* The URL's task id and job id (digits, as routed) into ref[0] and
 * ref[1]; 0 when one is beyond 64 bits, so that no task can have it. */
static int task_ref(pfj_req *q, const char *ref[2])
{
    ref[0] = pfj_id_within(q->route.args[1], APR_INT64_MAX);
    ref[1] = pfj_id_within(q->route.args[0], APR_INT64_MAX);
    return ref[0] != NULL && ref[1] != NULL;
}

/* The answers POST and DELETE give before their own, in the reference's
 * order: no task, a bad agent id (id_error), no agent.  Returns DECLINED
 * to go on, else the answer sent. */
static int refuse_pair(pfj_req *q, const pfj_rows *row, const char *id_error)
{
    if (!pfj_db_bool(pfj_db_col(row, 0))) {
        return task_not_found(q);
    }
    if (id_error) {
        return pfj_send_error(q, HTTP_BAD_REQUEST, id_error);
    }
    if (pfj_db_col(row, 1) == NULL) {
        return pfj_send_error(q, HTTP_NOT_FOUND, "Agent not found");
    }
    return DECLINED;
}

/* GET …/failed_on_agents/ */
static void render_agent(pfj_jw *w, const pfj_rows *row)
{
    pfj_jw_object_begin(w);
    pfj_jw_kv_string(w, "id", pfj_db_col(row, 1));
    pfj_jw_kv_string(w, "hostname", pfj_db_col(row, 2));
    pfj_jw_object_end(w);
}

static const pfj_child_list agent_list = {STMT_FAILED_ON_AGENTS_LIST, 4, 1,
                                          render_agent, task_not_found};

int pfj_failed_on_agents_list(pfj_req *q)
{
    const char *args[4];
    pfj_page page;
    pfj_db *db;
    int rc;

    if ((rc = pfj_req_list_start(q, &db, &page)) != DECLINED) {
        return rc;
    }
    if (!task_ref(q, &args[2])) {
        return task_not_found(q);
    }
    pfj_req_page_args(q, &page, &args[0]);
    return pfj_send_child_list(q, db, &agent_list, args, &page);
}

/* The "id" of a POST body: *id is the agent id to look up (NULL when
 * absent or null: no agent).  Returns the 400 message when the body or the
 * id is unusable (the reference fails with 500), else NULL. */
static const char *read_agent_id(pfj_req *q, const char **id)
{
    json_object *v = NULL;

    *id = NULL;
    if (!json_object_is_type(q->body, json_type_object)) {
        return pfj_json_not_object(q->r->pool, q->body);
    }
    if (!json_object_object_get_ex(q->body, "id", &v) || v == NULL) {
        return NULL;
    }
    if (!json_object_is_type(v, json_type_string)
        || !pfj_is_uuid(json_object_get_string(v))) {
        return BAD_AGENT_ID;
    }
    *id = json_object_get_string(v);
    return NULL;
}

/* POST …/failed_on_agents/ {"id": "<agent uuid>"} */
int pfj_failed_on_agents_add(pfj_req *q)
{
    pfj_db *db = pfj_req_db(q);
    const char *args[3], *id_error;
    pfj_rows row;
    pfj_jw *w;
    int rc;

    if (db == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if (!task_ref(q, args)) {
        return task_not_found(q);
    }
    id_error = read_agent_id(q, &args[2]);
    if (pfj_db_select_row(db, STMT_FAILED_ON_AGENT_ADD, 3, args, &row) != 1) {
        return pfj_send_db_failure(q, db);
    }
    if ((rc = refuse_pair(q, &row, id_error)) != DECLINED) {
        return rc;
    }
    /* The id as sent, not as PostgreSQL spells it (the reference's echo). */
    w = pfj_begin_json(q, HTTP_CREATED);
    pfj_jw_object_begin(w);
    pfj_jw_kv_string(w, "id", args[2]);
    pfj_jw_kv_string(w, "hostname", pfj_db_col(&row, 1));
    pfj_jw_object_end(w);
    return pfj_end_json(q, w);
}

/* DELETE …/failed_on_agents/<agent_id>: 204 whether or not the pair was
 * recorded. */
int pfj_failed_on_agent_delete(pfj_req *q)
{
    pfj_db *db = pfj_req_db(q);
    const char *args[3], *id_error = NULL;
    pfj_rows row;
    int rc;

    if (db == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if (!task_ref(q, args)) {
        return task_not_found(q);
    }
    args[2] = q->route.args[2];
    if (!pfj_is_uuid(args[2])) {
        args[2] = NULL;
        id_error = BAD_AGENT_ID;
    }
    if (pfj_db_select_row(db, STMT_FAILED_ON_AGENT_DELETE, 3, args, &row)
        != 1) {
        return pfj_send_db_failure(q, db);
    }
    if ((rc = refuse_pair(q, &row, id_error)) != DECLINED) {
        return rc;
    }
    return pfj_send_no_content(q);
}
