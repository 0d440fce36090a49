/*
 * tasks.c - the tasks of a job (doc/api.md §8, §10.1-§10.3): the list,
 * one task, and the update agents send on every state change.
 *
 * The update is the hot path of a render farm.  It reads and locks the
 * task (fetch), has the core decide every new value (core/task_update.c:
 * the reference's checks and §10.3's effects), and writes them with one
 * statement that also records the failure, the agent's success, and - for
 * a state change - the job's new state (store).
 *
 * The job's state is computed from the state and agent of all its tasks
 * (§9.2).  First one statement reads the task, unlocked, and whether the
 * job's stored state is its recomputation (peek_task()); the core decides
 * on it, and what writes nothing is answered at once (see there): an
 * agent repeating "running" costs one round trip and no write.  The rest
 * runs in a transaction that reads the task again, locked, and writes.
 * An update that moves a task (changes its state or agent) locks the
 * job's row in that same read before the task's, and recomputes in a
 * later statement, which sees every move committed before the lock: two
 * agents finishing the last two tasks of a job at once do not both see
 * the other's task unfinished.  An update that moves nothing - progress,
 * last_error - takes no job lock, so one job's agents do not queue on
 * it.  That is exact: it changes nothing the job's state is computed
 * from, and every move of another task, committed before or after it,
 * recomputes under the lock itself.  It leaves the job alone only when
 * the peek found the job's stored state equal to its recomputation:
 * otherwise it locks and recomputes, as the reference does on every state
 * it is sent (an agent back online, another writer).  Whether the task
 * moves is known from the locked task only; when the guess from the peek
 * was wrong (the task changed in between), the update starts again, the
 * job's lock taken first.  Locks are always taken job first, task second,
 * as the job's update and delete take them.
 */
#include <apr_strings.h>
#include <httpd.h>
#include <http_protocol.h>
#include <http_log.h>
#include "resources/tasks.h"
#include "resources/jobs.h"
#include "core/count.h"
#include "core/list_page.h"
#include "core/json_body.h"
#include "core/pyrepr.h"
#include "core/model_check.h"
#include "core/db_values.h"
#include "core/task_columns.h"
#include "core/task_update.h"

APLOG_USE_MODULE(pyfarm_jobs);

/* A task object's columns (core/task_columns.h), then what a full one
 * shows beyond them: its job's title and its agent. */
#define TASK_COLUMNS PFJ_TASK_SELECT_LIST
/* clang-format off */
#define FULL_TASK_COLUMNS \
    TASK_COLUMNS ", j.title, a.hostname, a.remote_ip, a.port"
/* clang-format on */
enum full_task_column {
    TK_JOB_TITLE = PFJ_TC_COUNT,
    TK_AGENT_HOSTNAME,
    TK_AGENT_REMOTE_IP,
    TK_AGENT_PORT
};

/* The task t of a task URL, by the three parameters of task_ref(): the
 * task's id, then its job's (PFJ_JOB_REF_SQL). */
#define TASK_REF_SQL "t.id = %lld AND t.job_id = " PFJ_JOB_REF_SQL

/* An unpaged list is read in pages of this many rows, so that a job of
 * 1,000,000 tasks never sits whole in memory. */
#define TASK_PAGE_ROWS 1000

/* The frame a list without ?after= starts after: below every frame
 * (tasks.frame is NUMERIC(10,4)). */
#define START_FRAME "-1000000"

/* §8 with ?state=: one branch per state of PFJ_TASK_STATE_FILTERS, each
 * an ordered scan of pfj_tasks_job_state_frame_idx, (job_id,
 * COALESCE(state, 0), frame, id), from the cursor on; PostgreSQL merges
 * them by (frame, id).  (With state itself in the index, the queued
 * branch, state IS NULL, would not be known to come in frame order: the
 * COALESCE gives it an equality.)  The branch says nothing else of the
 * state: "state IS NULL" would let PostgreSQL take the small partial
 * pfj_tasks_unfinished_idx for a job its statistics do not know yet (one
 * submitted since the last ANALYZE looks empty) and sort every queued
 * task after the cursor.  (COALESCE(state, 0) = 0 also holds for a stored
 * 0, which is no state PyFarm writes.)  A state that is not asked for
 * has a branch LIMIT of 0, which reads nothing.  The empty first branch
 * only opens the UNION ALL. */
/* clang-format off */
#define STATE_BRANCH(name, code)                                         \
    " UNION ALL (SELECT " TASK_COLUMNS " FROM tasks t"                   \
    "  WHERE t.job_id = %lld"                                            \
    "    AND COALESCE(t.state, 0) = COALESCE(" code ", 0)"               \
    "    AND (t.frame, t.id) > (%s::numeric, %lld)"                      \
    "  ORDER BY t.frame, t.id LIMIT %lld)"
/* clang-format on */
#define STATE_BRANCH_ARGS 4

/* Statement labels, so that a misspelt one fails to compile. */
#define STMT_TASKS_JOB "pfj_tasks_job"
#define STMT_TASKS_PAGE "pfj_tasks_page"
#define STMT_TASKS_STATE_PAGE "pfj_tasks_state_page"
#define STMT_TASK_GET "pfj_task_get"
#define STMT_TASK_PEEK "pfj_task_peek"
#define STMT_TASK_CURRENT "pfj_task_current"
#define STMT_TASK_APPLY "pfj_task_apply"

/* clang-format off */
const pfj_stmt pfj_tasks_stmts[] = {
    /* §8: the job the list belongs to. */
    {STMT_TASKS_JOB,
     "SELECT id FROM jobs WHERE id = " PFJ_JOB_REF_SQL},
    /* §8: the list's rows after a (frame, id): pfj_tasks_job_frame_id_idx,
     * (job_id, frame, id), read in order from the cursor on. */
    {STMT_TASKS_PAGE,
     "SELECT " TASK_COLUMNS " FROM tasks t"
     " WHERE t.job_id = %lld AND (t.frame, t.id) > (%s::numeric, %lld)"
     " ORDER BY t.frame, t.id LIMIT %lld OFFSET %lld"},
    /* §8 with ?state= (see STATE_BRANCH). */
    {STMT_TASKS_STATE_PAGE,
     "SELECT t.* FROM (SELECT " TASK_COLUMNS " FROM tasks t WHERE false"
     PFJ_TASK_STATE_FILTERS(STATE_BRANCH) ") t"
     " ORDER BY t.frame, t.id LIMIT %lld OFFSET %lld"},
    /* §10.1.  The single-task statements take the URL's task and job
     * (TASK_REF_SQL): a task under another job is not found. */
    {STMT_TASK_GET,
     "SELECT " FULL_TASK_COLUMNS " FROM tasks t"
     "  JOIN jobs j ON j.id = t.job_id"
     "  LEFT JOIN agents a ON a.id = t.agent_id"
     " WHERE " TASK_REF_SQL},
    /* §10.2: the task as it is, unlocked, with what its update depends
     * on, and whether its job's stored state is not its recomputation:
     * told by the task itself when it runs on an online agent (an agent
     * repeating "running"), else asked of all the job's tasks (COALESCE
     * evaluates the subquery only then). */
    {STMT_TASK_PEEK,
     "WITH task AS MATERIALIZED ("
     "   SELECT t.id, t.job_id FROM tasks t WHERE " TASK_REF_SQL "),"
     " task_states AS NOT MATERIALIZED ("
     "   SELECT state, agent_id FROM tasks"
     "    WHERE job_id = (SELECT job_id FROM task)),"
     PFJ_JOB_STATE_CTES("(SELECT job_id FROM task)")
     "SELECT " FULL_TASK_COLUMNS ", " PFJ_TASK_NOW_SELECT_LIST ","
     "       COALESCE(NOT " PFJ_JOB_HELD_SETTLED_SQL("t", "a", "j") ","
     "                (SELECT n.new IS DISTINCT FROM n.old FROM next_state n))"
     "  FROM task JOIN tasks t ON t.id = task.id"
     "  JOIN jobs j ON j.id = t.job_id"
     "  JOIN jobtype_versions v ON v.id = j.jobtype_version_id"
     "  LEFT JOIN agents a ON a.id = t.agent_id"},
    /* §10.2: the task as it is, locked, with what its update depends on;
     * the job's row first when the first parameters say so (job id,
     * lock).  The uncorrelated subquery is a one-time filter that
     * PostgreSQL runs before it scans tasks: the job's lock is taken
     * first, as the job's update and delete take it.  Should the task
     * change while the statement waits for it, FOR UPDATE reads its
     * newest version and evaluates the select list on it again (which is
     * why the agent's address is a subquery, not a join). */
    {STMT_TASK_CURRENT,
     "WITH job AS MATERIALIZED ("
     "   SELECT id FROM jobs WHERE id = %lld AND %s::boolean FOR UPDATE)"
     "SELECT " PFJ_TASK_NOW_SELECT_LIST
     "  FROM tasks t JOIN jobs j ON j.id = t.job_id"
     "  JOIN jobtype_versions v ON v.id = j.jobtype_version_id"
     " WHERE " TASK_REF_SQL " AND (SELECT count(*) FROM job) >= 0"
     "   FOR UPDATE OF t"},
    /* §10.2-§10.3 in one statement, from one JSON document: {"task": id,
     * "job": id, "set": {column: value} (plain new values),
     * "time_started": "now", "time_finished": "now" | "null" |
     * "now_if_null" | "max_now", "fail_agent": uuid, "success_agent":
     * uuid, "clear_failures": true, "clear_logs": true, "recompute":
     * true}.  Returns the full task object. */
    {STMT_TASK_APPLY,
     "WITH plan AS (SELECT %s::json AS p),"
     " task AS (SELECT t AS row FROM tasks t, plan"
     "           WHERE t.id = (plan.p->>'task')::bigint),"
     " updated AS ("
     "   UPDATE tasks t SET " PFJ_TASK_SET_LIST
     "     time_started = CASE WHEN plan.p->>'time_started' = 'now'"
     "                         THEN now() AT TIME ZONE 'utc'"
     "                         ELSE t.time_started END,"
     "     time_finished = CASE plan.p->>'time_finished'"
     "         WHEN 'now' THEN now() AT TIME ZONE 'utc'"
     "         WHEN 'null' THEN NULL"
     "         WHEN 'now_if_null'"
     "           THEN COALESCE(t.time_finished, now() AT TIME ZONE 'utc')"
     "         WHEN 'max_now'"
     "           THEN GREATEST(t.time_finished, now() AT TIME ZONE 'utc')"
     "         ELSE t.time_finished END"
     "     FROM plan, task, json_populate_record(task.row, plan.p->'set') r"
     "    WHERE t.id = (task.row).id"
     "   RETURNING t.*),"
     " failure AS ("
     "   INSERT INTO failed_tasks_in_agents (agent_id, task_id)"
     "   SELECT (plan.p->>'fail_agent')::uuid, (plan.p->>'task')::bigint"
     "     FROM plan WHERE plan.p->>'fail_agent' IS NOT NULL"
     "   ON CONFLICT DO NOTHING),"
     " failures_cleared AS ("
     "   DELETE FROM failed_tasks_in_agents f USING plan"
     "    WHERE f.task_id = (plan.p->>'task')::bigint"
     "      AND plan.p->>'clear_failures' = 'true'),"
     " logs_cleared AS ("
     "   DELETE FROM task_log_associations l USING plan"
     "    WHERE l.task_id = (plan.p->>'task')::bigint"
     "      AND plan.p->>'clear_logs' = 'true'),"
     " success AS ("
     "   UPDATE agents SET last_success_on = now() AT TIME ZONE 'utc'"
     "     FROM plan WHERE id = (plan.p->>'success_agent')::uuid),"
     /* the job's tasks as they are once this one is updated: this one
      * first, which often answers an EXISTS on its own */
     " task_states AS NOT MATERIALIZED ("
     "   SELECT state, agent_id FROM updated"
     "   UNION ALL SELECT state, agent_id FROM tasks, plan"
     "    WHERE job_id = (plan.p->>'job')::bigint"
     "      AND id <> (plan.p->>'task')::bigint"
     "      AND plan.p->>'recompute' = 'true'),"
     PFJ_JOB_STATE_CTES("(SELECT (p->>'job')::bigint FROM plan"
                        "  WHERE p->>'recompute' = 'true')") ","
     " job_state AS (" PFJ_JOB_STATE_UPDATE " RETURNING 1)"
     "SELECT " FULL_TASK_COLUMNS " FROM updated t"
     "  JOIN jobs j ON j.id = t.job_id"
     "  LEFT JOIN agents a ON a.id = t.agent_id"},
    {NULL, NULL}
};
/* clang-format on */

/* The basic task object's fields that are one column each (§0.8); the
 * state is shown by task_state(). */
#define RENDER_INT PFJ_DB_INT
#define RENDER_TEXT PFJ_DB_TEXT
#define RENDER_BOOL PFJ_DB_BOOL
#define RENDER_TIMESTAMP PFJ_DB_TIMESTAMP
#define RENDER_NUMERIC PFJ_DB_NUMERIC
#define RENDER_FLOAT PFJ_DB_FLOAT
#define RENDER_STATE -1
/* clang-format off */
#define TASK_FIELD(name, render, input, min, max, nullable) \
    {#name, PFJ_TC_##name, RENDER_##render},
static const struct {
    const char *key;
    enum pfj_task_column column;
    int kind;               /* a pfj_db_kind, or RENDER_STATE */
} task_fields[] = {
    PFJ_TASK_COLUMNS(TASK_FIELD, )
};
/* clang-format on */

/* §0.7, task rule: a queued task with an agent is "assigned". */
static const char *task_state(const pfj_rows *t)
{
    const char *code = pfj_db_col(t, PFJ_TC_state);

    if (code == NULL) {
        return pfj_db_col(t, PFJ_TC_agent_id) ? "assigned" : "queued";
    }
    return pfj_state_name(code);
}

static void render_fields(pfj_jw *w, const pfj_rows *t)
{
    apr_size_t i;

    for (i = 0; i < PFJ_COUNT(task_fields); i++) {
        if (task_fields[i].kind != RENDER_STATE) {
            pfj_jw_kv_db(w, task_fields[i].key, task_fields[i].kind,
                         pfj_db_col(t, task_fields[i].column));
        }
    }
    pfj_jw_kv_string(w, "state", task_state(t));
}

/* The basic task object (16 keys). */
static void render_task(pfj_jw *w, const pfj_rows *t)
{
    pfj_jw_object_begin(w);
    render_fields(w, t);
    pfj_jw_object_end(w);
}

/* The full task object (18 keys): with its job and agent. */
static void render_full_task(pfj_jw *w, const pfj_rows *t)
{
    pfj_jw_object_begin(w);
    render_fields(w, t);
    pfj_jw_key(w, "job");
    pfj_jw_object_begin(w);
    pfj_jw_kv_db(w, "id", PFJ_DB_INT, pfj_db_col(t, PFJ_TC_job_id));
    pfj_jw_kv_db(w, "title", PFJ_DB_TEXT, pfj_db_col(t, TK_JOB_TITLE));
    pfj_jw_object_end(w);
    pfj_jw_key(w, "agent");
    if (pfj_db_col(t, PFJ_TC_agent_id) == NULL) {
        pfj_jw_null(w);
    }
    else {
        pfj_jw_object_begin(w);
        pfj_jw_kv_db(w, "id", PFJ_DB_TEXT, pfj_db_col(t, PFJ_TC_agent_id));
        pfj_jw_kv_db(w, "hostname", PFJ_DB_TEXT,
                     pfj_db_col(t, TK_AGENT_HOSTNAME));
        /* null without an address (the reference writes str(None)) */
        pfj_jw_kv_string(w, "remote_ip",
                         pfj_fmt_ipv4(w->pool,
                                      pfj_db_col(t, TK_AGENT_REMOTE_IP)));
        pfj_jw_kv_db(w, "port", PFJ_DB_INT, pfj_db_col(t, TK_AGENT_PORT));
        pfj_jw_object_end(w);
    }
    pfj_jw_object_end(w);
}

/* ---- §8: the list ---- */

/* 404 with the job as the URL gave it: a number for an id (Python ints
 * have no leading zeros and no size limit), else the title. */
static int send_job_not_found(pfj_req *q)
{
    const char *job = q->route.args[0];
    pfj_jw *w = pfj_begin_json(q, HTTP_NOT_FOUND);

    pfj_jw_object_begin(w);
    pfj_jw_kv_string(w, "error", "Job not found");
    if (pfj_is_digits(job)) {
        while (job[0] == '0' && job[1] != '\0') {
            job++;
        }
        pfj_jw_kv_raw(w, "id", job);
    }
    else {
        pfj_jw_kv_string(w, "id", job);
    }
    pfj_jw_object_end(w);
    return pfj_end_json(q, w);
}

/* What a list request asks for (§8). */
typedef struct task_list {
    const char *job; /* the job's id */
    pfj_page page;   /* ?limit=&offset= */
    unsigned states; /* ?state=: PFJ_TASK_STATE_BIT()s; 0: every task */
} task_list;

/* A keyset position: the list goes on after the task of this frame and
 * id. */
typedef struct list_at {
    char frame[PFJ_CURSOR_FRAME_MAX + 1];
    char id[32];
} list_at;

static void move_to(list_at *at, const char *frame, const char *id)
{
    apr_cpystrn(at->frame, frame, sizeof(at->frame));
    apr_cpystrn(at->id, id, sizeof(at->id));
}

/* The list's tasks after *at: at most fetch of them after skipping offset
 * (both counts, not -1).  0 on success. */
static int select_tasks(pfj_req *q, pfj_db *db, const task_list *l,
                        const list_at *at, apr_int64_t fetch,
                        apr_int64_t offset, pfj_rows *rows)
{
    const char *args[STATE_BRANCH_ARGS * PFJ_TASK_STATE_COUNT + 2];
    const char *branch_limit = pfj_req_count(q, pfj_count_add(offset, fetch));
    int i, n = 0;

    if (l->states == 0) {
        const char *all[5] = {l->job, at->frame, at->id,
                              pfj_req_count(q, fetch),
                              pfj_req_count(q, offset)};

        return pfj_db_select(db, STMT_TASKS_PAGE, 5, all, rows);
    }
    for (i = 0; i < PFJ_TASK_STATE_COUNT; i++) {
        args[n++] = l->job;
        args[n++] = at->frame;
        args[n++] = at->id;
        args[n++] = (l->states & PFJ_TASK_STATE_BIT(i)) ? branch_limit : "0";
    }
    args[n++] = pfj_req_count(q, fetch);
    args[n++] = pfj_req_count(q, offset);
    return pfj_db_select(db, STMT_TASKS_STATE_PAGE, n, args, rows);
}

/* Writes the rows the page shows, moving *at to each; reads the rest.
 * Returns the number written. */
static int write_rows(pfj_jw *w, pfj_rows *rows, const pfj_page *page,
                      list_at *at)
{
    int n = 0;

    while (pfj_db_next(rows)) {
        if (pfj_page_shows(page, n)) {
            render_task(w, rows);
            move_to(at, pfj_db_col(rows, PFJ_TC_frame),
                    pfj_db_col(rows, PFJ_TC_id));
            n++;
        }
    }
    return n;
}

/* An unpaged list: every task after *at (and the offset), in pages of
 * TASK_PAGE_ROWS; what formatting a page allocates is released after
 * it.  Returns 0, or -1 when the database failed. */
static int stream_tasks(pfj_req *q, pfj_db *db, pfj_jw *w, const task_list *l,
                        list_at *at)
{
    pfj_page page = {TASK_PAGE_ROWS, l->page.offset};
    pfj_rows rows;
    int n;

    apr_pool_create(&w->pool, q->r->pool);
    do {
        apr_pool_clear(w->pool);
        if (select_tasks(q, db, l, at, page.limit, page.offset, &rows) != 0) {
            n = -1;
            break;
        }
        n = write_rows(w, &rows, &page, at);
        page.offset = 0;
    } while (n == TASK_PAGE_ROWS);
    apr_pool_destroy(w->pool);
    w->pool = q->r->pool;
    return n < 0 ? -1 : 0;
}

static int send_stream(pfj_req *q, pfj_db *db, const task_list *l, list_at *at)
{
    pfj_jw *w = pfj_begin_json(q, HTTP_OK);

    pfj_jw_array_begin(w);
    if (stream_tasks(q, db, w, l, at) != 0) {
        /* the status line is gone already: end the response short */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r,
                      "task list of job %s cut short", l->job);
        return AP_FILTER_ERROR;
    }
    pfj_jw_array_end(w);
    return pfj_end_json(q, w);
}

/* Link to the page after the task of the row: ?after= its frame and id,
 * instead of this page's after and offset. */
static void link_after(pfj_req *q, const pfj_rows *last)
{
    static const char *const replaced[] = {"offset", "after", NULL};

    pfj_req_link_next(
        q, replaced,
        apr_pstrcat(q->r->pool, "after=",
                    pfj_task_cursor_text(q->r->pool,
                                         pfj_db_col(last, PFJ_TC_frame),
                                         pfj_db_col(last, PFJ_TC_id)),
                    NULL));
}

/* A paged list: one statement, the page and one task more, which tells
 * whether a next page exists. */
static int send_page(pfj_req *q, pfj_db *db, const task_list *l, list_at *at)
{
    pfj_rows rows, last;
    pfj_jw *w;

    if (select_tasks(q, db, l, at, pfj_page_fetch(&l->page), l->page.offset,
                     &rows)
        != 0) {
        return pfj_send_db_failure(q, db);
    }
    if (pfj_page_more(&l->page, pfj_db_count(&rows))
        && pfj_db_row_at(&rows, (int)l->page.limit, &last)) {
        link_after(q, &last);
    }
    w = pfj_begin_json(q, HTTP_OK);
    pfj_jw_array_begin(w);
    write_rows(w, &rows, &l->page, at);
    pfj_jw_array_end(w);
    return pfj_end_json(q, w);
}

/* The list's parameters, in the order they are checked: the page, then
 * ?after= (into *at), then ?state=.  Returns DECLINED to go on, else the
 * 400 sent. */
static int read_list(pfj_req *q, task_list *l, list_at *at)
{
    apr_table_t *query = pfj_req_query(q);
    pfj_task_cursor after;
    const char *error;
    int rc;

    if ((rc = pfj_req_page(q, &l->page)) != DECLINED) {
        return rc;
    }
    if ((error = pfj_task_cursor_read(q->r->pool, query, &after)) != NULL
        || (error = pfj_task_states_read(query, &l->states)) != NULL) {
        return pfj_send_error(q, HTTP_BAD_REQUEST, error);
    }
    if (after.frame) {
        move_to(at, after.frame, after.id);
    }
    else {
        move_to(at, START_FRAME, "0");
    }
    return DECLINED;
}

int pfj_tasks_list(pfj_req *q)
{
    pfj_db *db = pfj_req_db(q);
    const char *args[2];
    task_list l;
    list_at at;
    pfj_rows rows;
    int found, rc;

    if (db == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if ((rc = read_list(q, &l, &at)) != DECLINED) {
        return rc;
    }
    if (!pfj_job_ref(q->route.args[0], &args[0], &args[1])) {
        return send_job_not_found(q);
    }
    if ((found = pfj_db_select_row(db, STMT_TASKS_JOB, 2, args, &rows)) < 0) {
        return pfj_send_db_failure(q, db);
    }
    if (!found) {
        return send_job_not_found(q);
    }
    l.job = apr_pstrdup(q->r->pool, pfj_db_col(&rows, 0));
    return l.page.limit < 0 ? send_stream(q, db, &l, &at)
                            : send_page(q, db, &l, &at);
}

/* ---- §10.1 ---- */

/* The URL's task as the parameters of TASK_REF_SQL: its id, then its
 * job's id or title.  Returns 0 when a number is too large to exist. */
static int task_ref(pfj_req *q, const char *ref[3])
{
    ref[0] = pfj_id_within(q->route.args[1], APR_INT64_MAX);
    return ref[0] != NULL && pfj_job_ref(q->route.args[0], &ref[1], &ref[2]);
}

static int task_not_found(pfj_req *q)
{
    return pfj_send_error(q, HTTP_NOT_FOUND, "Task not found");
}

/* The answer when a statement found no task row (found 0) or failed
 * (found < 0, pfj_db_select_row's). */
static int no_task_row(pfj_req *q, pfj_db *db, int found)
{
    return found < 0 ? pfj_send_db_failure(q, db) : task_not_found(q);
}

static int send_task(pfj_req *q, const pfj_rows *task)
{
    pfj_jw *w = pfj_begin_json(q, HTTP_OK);

    render_full_task(w, task);
    return pfj_end_json(q, w);
}

int pfj_tasks_get(pfj_req *q)
{
    pfj_db *db = pfj_req_db(q);
    const char *args[3];
    pfj_rows task;
    int found;

    if (db == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if (!task_ref(q, args)) {
        return task_not_found(q);
    }
    if ((found = pfj_db_select_row(db, STMT_TASK_GET, 3, args, &task)) != 1) {
        return no_task_row(q, db, found);
    }
    return send_task(q, &task);
}

/* ---- §10.2: update ---- */

/* The columns of a pfj_task_peek row: the full task object's, then what
 * the update depends on, then whether the job's state is stale. */
#define PEEK_NOW (TK_AGENT_PORT + 1)
#define PEEK_JOB_STALE (PEEK_NOW + PFJ_TASK_NOW_COUNT)

/* The task as the decision needs it, from column first of a row on. */
static void read_task_now(const pfj_rows *row, int first, pfj_task_now *now)
{
    int n = first;

#define READ_NOW(name, sql) now->name = pfj_db_col(row, n++);
    PFJ_TASK_NOW_COLUMNS(READ_NOW, )
#undef READ_NOW
}

/* Writes the plan (and the job's state) and answers with the task. */
static int store_and_answer(pfj_req *q, pfj_db *db, json_object *plan)
{
    const char *args[1];
    pfj_rows task;

    args[0] = json_object_to_json_string_ext(plan, JSON_C_TO_STRING_PLAIN);
    if (pfj_db_select_row(db, STMT_TASK_APPLY, 1, args, &task) != 1) {
        pfj_db_end(db);
        return pfj_send_db_failure(q, db);
    }
    if (pfj_db_end(db) != 0) {
        return pfj_send_db_failure(q, db);
    }
    return send_task(q, &task);
}

/* The decision's view of the request. */
static pfj_task_request task_request(pfj_req *q, const char *task_id)
{
    pfj_task_request req = {q->body,
                            task_id,
                            apr_table_get(q->r->headers_in, "User-Agent"),
                            q->r->useragent_ip,
                            0,
                            0};
    return req;
}

/* Returned by update_task() when the task moves without the job's lock. */
#define LOCK_THE_JOB_FIRST (-100)

/* One transaction of the update: fetch (locked, the job's row first when
 * lock_job), decide, store.  job is the task's job as peeked. */
static int update_task(pfj_req *q, pfj_db *db, const char *const ref[3],
                       const char *job, int lock_job)
{
    pfj_task_request req = task_request(q, ref[0]);
    const char *args[5] = {job, lock_job ? "true" : "false", ref[0], ref[1],
                           ref[2]};
    const pfj_refusal *no;
    json_object *plan;
    pfj_task_now now;
    pfj_rows row;
    int found;

    if (pfj_db_begin(db) != 0) {
        return pfj_send_db_failure(q, db);
    }
    if ((found = pfj_db_select_row(db, STMT_TASK_CURRENT, 5, args, &row))
        != 1) {
        pfj_db_rollback(db);
        return no_task_row(q, db, found);
    }
    read_task_now(&row, 0, &now);
    /* the lock is the task's job's (a task keeps its job: this only
     * guards against another writer moving it) */
    req.job_locked = lock_job && strcmp(now.job_id, job) == 0;
    if ((no = pfj_task_update_decide(q->r->pool, &req, &now, &plan)) != NULL) {
        pfj_db_rollback(db);
        return pfj_send_refusal(q, no);
    }
    if (pfj_task_plan_recomputes(plan) && !req.job_locked) {
        pfj_db_rollback(db);
        return LOCK_THE_JOB_FIRST;
    }
    return store_and_answer(q, db, plan);
}

/*
 * The update decided on the task as one statement reads it, unlocked (no
 * transaction: a single statement is its own).  What writes nothing is
 * answered from that read: a missing task, a refusal, and a plan that
 * changes nothing of a job whose state is its recomputation - repeated
 * "running", a progress sent again.  That is exact: everything the
 * decision and the answer depend on comes from one snapshot, so the
 * update happened at that instant; a writer committing later is ordered
 * after it, one committing before is in the snapshot.  (The reference
 * rewrites the same values and recomputes the job to the state it has.)
 * Otherwise returns DECLINED with the task's job in *job and whether the
 * update locks it (the plan recomputes it: the task moves, or the job's
 * state is stale) in *lock_job.
 */
static int peek_task(pfj_req *q, pfj_db *db, const char *const ref[3],
                     const char **job, int *lock_job)
{
    pfj_task_request req = task_request(q, ref[0]);
    const pfj_refusal *no;
    json_object *plan;
    pfj_task_now now;
    pfj_rows row;
    int found;

    if ((found = pfj_db_select_row(db, STMT_TASK_PEEK, 3, ref, &row)) != 1) {
        return no_task_row(q, db, found);
    }
    read_task_now(&row, PEEK_NOW, &now);
    req.job_stale = pfj_db_bool(pfj_db_col(&row, PEEK_JOB_STALE));
    if ((no = pfj_task_update_decide(q->r->pool, &req, &now, &plan)) != NULL) {
        return pfj_send_refusal(q, no);
    }
    if (!pfj_task_plan_writes(plan, pfj_db_cols(&row, PFJ_TC_COUNT))) {
        return send_task(q, &row);
    }
    *job = now.job_id;
    *lock_job = pfj_task_plan_recomputes(plan);
    return DECLINED;
}

int pfj_tasks_update(pfj_req *q)
{
    const pfj_refusal *no;
    const char *ref[3], *job = NULL;
    pfj_db *db;
    int lock_job = 0, rc;

    if ((no = pfj_task_update_check_body(q->r->pool, q->body)) != NULL) {
        return pfj_send_refusal(q, no);
    }
    if (!task_ref(q, ref)) {
        return task_not_found(q);
    }
    if ((db = pfj_req_db(q)) == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if ((rc = peek_task(q, db, ref, &job, &lock_job)) != DECLINED) {
        return rc;
    }
    if ((rc = update_task(q, db, ref, job, lock_job)) == LOCK_THE_JOB_FIRST) {
        /* the task moved since the peek: again, with the lock */
        rc = update_task(q, db, ref, job, 1);
    }
    return rc == LOCK_THE_JOB_FIRST ? pfj_send_db_failure(q, NULL) : rc;
}
