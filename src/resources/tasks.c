/*
 * tasks.c - the tasks of a job (spec api.md §8, §10.1-§10.3): the list,
 * one task, and the update agents send on every state change.
 *
 * The update is the hot path of a render farm.  It reads and locks the
 * task, decides every new value here (the reference's checks and §10.3's
 * effects), and writes them with one statement that also records the
 * failure, the agent's success, and - for a state change - the job's new
 * state.  A state change first locks the job row: the job's state is
 * recomputed from every task in the same transaction, and two agents
 * finishing the last two tasks of a job at once must not both see the
 * other's task as unfinished.  Updates without a state leave the job
 * alone and never wait for its lock.
 */
#include <apr_strings.h>
#include <httpd.h>
#include <http_protocol.h>
#include <http_log.h>
#include "resources/tasks.h"
#include "resources/jobs.h"
#include "core/json_body.h"
#include "core/pyrepr.h"
#include "core/model_check.h"
#include "core/db_values.h"

APLOG_USE_MODULE(pyfarm_jobs);

/* What a full task object needs beyond the task's own columns. */
#define TASK_COLUMNS \
    "t.id, t.state, t.priority, t.time_submitted, t.time_started," \
    " t.time_finished, t.agent_id, t.job_id, t.hidden, t.attempts," \
    " t.failures, t.frame, t.tile, t.last_error, t.sent_to_agent," \
    " t.progress"
#define FULL_TASK_COLUMNS \
    TASK_COLUMNS ", j.title, a.hostname, a.remote_ip, a.port"

/* The task t of a task URL, by the three parameters of task_ref(): the
 * task's id, then its job's (PFJ_JOB_REF_SQL). */
#define TASK_REF_SQL "t.id = %lld AND t.job_id = " PFJ_JOB_REF_SQL

/* Tasks of a list come in pages of this many rows, so a job of 100,000
 * tasks never sits whole in memory. */
#define TASK_PAGE_ROWS 1000

const pfj_stmt pfj_tasks_stmts[] = {
    /* §8: the job the list belongs to. */
    {"pfj_tasks_job",
     "SELECT id FROM jobs WHERE id = " PFJ_JOB_REF_SQL},
    /* §8: one page of the list, after (frame, id) of the previous page. */
    {"pfj_tasks_page",
     "SELECT " TASK_COLUMNS " FROM tasks t"
     " WHERE t.job_id = %lld"
     "   AND (%s::numeric IS NULL OR (t.frame, t.id) > (%s::numeric, %lld))"
     " ORDER BY t.frame, t.id LIMIT %lld"},
    /* §10.1.  The single-task statements take the URL's task and job
     * (TASK_REF_SQL): a task under another job is not found. */
    {"pfj_task_get",
     "SELECT " FULL_TASK_COLUMNS " FROM tasks t"
     "  JOIN jobs j ON j.id = t.job_id"
     "  LEFT JOIN agents a ON a.id = t.agent_id"
     " WHERE " TASK_REF_SQL},
    /* §10.2: a state change locks the task's job first (see above). */
    {"pfj_task_lock_job",
     "SELECT id FROM jobs"
     " WHERE id = (SELECT job_id FROM tasks t WHERE " TASK_REF_SQL ")"
     " FOR UPDATE"},
    /* §10.2: the task as it is, locked, with what its update depends on. */
    {"pfj_task_current",
     "SELECT t.state, t.agent_id, a.remote_ip, t.time_started, t.failures,"
     "       j.requeue, v.no_automatic_start_time, t.job_id"
     "  FROM tasks t JOIN jobs j ON j.id = t.job_id"
     "  JOIN jobtype_versions v ON v.id = j.jobtype_version_id"
     "  LEFT JOIN agents a ON a.id = t.agent_id"
     " WHERE " TASK_REF_SQL " FOR UPDATE OF t"},
    /* §10.2-§10.3 in one statement, from one JSON document: {"task": id,
     * "job": id, "set": {column: value} (plain new values),
     * "time_started": "now", "time_finished": "now" | "null" |
     * "now_if_null" | "max_now", "fail_agent": uuid, "success_agent":
     * uuid, "clear_failures": true, "clear_logs": true, "recompute":
     * true}.  Returns the full task object. */
    {"pfj_task_apply",
     "WITH plan AS (SELECT %s::json AS p),"
     " task AS (SELECT t AS row FROM tasks t, plan"
     "           WHERE t.id = (plan.p->>'task')::bigint),"
     " updated AS ("
     "   UPDATE tasks t SET"
     "     state = r.state, priority = r.priority, agent_id = r.agent_id,"
     "     hidden = r.hidden, attempts = r.attempts, failures = r.failures,"
     "     tile = r.tile, last_error = r.last_error,"
     "     sent_to_agent = r.sent_to_agent, progress = r.progress,"
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
     /* the job's tasks as they are once this one is updated */
     " task_states AS NOT MATERIALIZED ("
     "   SELECT state, agent_id FROM tasks, plan"
     "    WHERE job_id = (plan.p->>'job')::bigint"
     "      AND id <> (plan.p->>'task')::bigint"
     "      AND plan.p->>'recompute' = 'true'"
     "   UNION ALL SELECT state, agent_id FROM updated),"
     PFJ_JOB_STATE_CTES("(SELECT (p->>'job')::bigint FROM plan"
                        "  WHERE p->>'recompute' = 'true')") ","
     " job_state AS (" PFJ_JOB_STATE_UPDATE " RETURNING 1)"
     "SELECT " FULL_TASK_COLUMNS " FROM updated t"
     "  JOIN jobs j ON j.id = t.job_id"
     "  LEFT JOIN agents a ON a.id = t.agent_id"},
    {NULL, NULL}
};

/* Columns of a task object (TASK_COLUMNS, then FULL_TASK_COLUMNS). */
enum task_column {
    TK_ID, TK_STATE, TK_PRIORITY, TK_TIME_SUBMITTED, TK_TIME_STARTED,
    TK_TIME_FINISHED, TK_AGENT_ID, TK_JOB_ID, TK_HIDDEN, TK_ATTEMPTS,
    TK_FAILURES, TK_FRAME, TK_TILE, TK_LAST_ERROR, TK_SENT_TO_AGENT,
    TK_PROGRESS, TK_JOB_TITLE, TK_AGENT_HOSTNAME, TK_AGENT_REMOTE_IP,
    TK_AGENT_PORT
};

/* The basic task object's fields that are one column each (§0.8). */
static const struct {
    const char *key;
    enum task_column column;
    pfj_db_kind kind;
} task_fields[] = {
    {"id", TK_ID, PFJ_DB_INT},
    {"priority", TK_PRIORITY, PFJ_DB_INT},
    {"time_submitted", TK_TIME_SUBMITTED, PFJ_DB_TIMESTAMP},
    {"time_started", TK_TIME_STARTED, PFJ_DB_TIMESTAMP},
    {"time_finished", TK_TIME_FINISHED, PFJ_DB_TIMESTAMP},
    {"agent_id", TK_AGENT_ID, PFJ_DB_TEXT},
    {"job_id", TK_JOB_ID, PFJ_DB_INT},
    {"hidden", TK_HIDDEN, PFJ_DB_BOOL},
    {"attempts", TK_ATTEMPTS, PFJ_DB_INT},
    {"failures", TK_FAILURES, PFJ_DB_INT},
    {"frame", TK_FRAME, PFJ_DB_NUMERIC},
    {"tile", TK_TILE, PFJ_DB_INT},
    {"last_error", TK_LAST_ERROR, PFJ_DB_TEXT},
    {"sent_to_agent", TK_SENT_TO_AGENT, PFJ_DB_BOOL},
    {"progress", TK_PROGRESS, PFJ_DB_FLOAT},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* §0.7, task rule: a queued task with an agent is "assigned". */
static const char *task_state(const pfj_rows *t)
{
    const char *code = pfj_db_col(t, TK_STATE);

    if (code == NULL) {
        return pfj_db_col(t, TK_AGENT_ID) ? "assigned" : "queued";
    }
    return pfj_state_name(code);
}

static void render_fields(pfj_jw *w, const pfj_rows *t)
{
    apr_size_t i;

    for (i = 0; i < COUNT(task_fields); i++) {
        pfj_jw_kv_db(w, task_fields[i].key, task_fields[i].kind,
                     pfj_db_col(t, task_fields[i].column));
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
    pfj_jw_kv_db(w, "id", PFJ_DB_INT, pfj_db_col(t, TK_JOB_ID));
    pfj_jw_kv_db(w, "title", PFJ_DB_TEXT, pfj_db_col(t, TK_JOB_TITLE));
    pfj_jw_object_end(w);
    pfj_jw_key(w, "agent");
    if (pfj_db_col(t, TK_AGENT_ID) == NULL) {
        pfj_jw_null(w);
    }
    else {
        pfj_jw_object_begin(w);
        pfj_jw_kv_db(w, "id", PFJ_DB_TEXT, pfj_db_col(t, TK_AGENT_ID));
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

/* The keyset position after the last row of a page. */
typedef struct page_end {
    char frame[32];
    char id[32];
} page_end;

/* Writes one page of tasks after *after (frame "" for the first page) and
 * moves *after to its last row.  Returns the number of rows, or -1 on a
 * database error. */
static int write_page(pfj_db *db, pfj_jw *w, const char *job,
                      page_end *after)
{
    const char *frame = after->frame[0] ? after->frame : NULL;
    const char *args[5] = {job, frame, frame, after->id,
                           apr_itoa(w->pool, TASK_PAGE_ROWS)};
    pfj_rows rows;
    int n = 0;

    if (pfj_db_select(db, "pfj_tasks_page", 5, args, &rows) != 0) {
        return -1;
    }
    while (pfj_db_next(&rows)) {
        render_task(w, &rows);
        apr_cpystrn(after->frame, pfj_db_col(&rows, TK_FRAME),
                    sizeof(after->frame));
        apr_cpystrn(after->id, pfj_db_col(&rows, TK_ID), sizeof(after->id));
        n++;
    }
    return n;
}

/* All the job's tasks, page by page; what formatting a page allocates is
 * released after it. */
static int write_tasks(pfj_req *q, pfj_db *db, pfj_jw *w, const char *job)
{
    page_end after = {"", "0"};
    int n;

    apr_pool_create(&w->pool, q->r->pool);
    do {
        apr_pool_clear(w->pool);
        n = write_page(db, w, job, &after);
    } while (n == TASK_PAGE_ROWS);
    apr_pool_destroy(w->pool);
    w->pool = q->r->pool;
    return n < 0 ? -1 : 0;
}

int pfj_tasks_list(pfj_req *q)
{
    pfj_db *db = pfj_req_db(q);
    const char *args[2], *job;
    pfj_rows rows;
    pfj_jw *w;
    int found;

    if (db == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if (!pfj_job_ref(q->route.args[0], &args[0], &args[1])) {
        return send_job_not_found(q);
    }
    if ((found = pfj_db_select_row(db, "pfj_tasks_job", 2, args, &rows)) < 0) {
        return pfj_send_db_failure(q, db);
    }
    if (!found) {
        return send_job_not_found(q);
    }
    job = apr_pstrdup(q->r->pool, pfj_db_col(&rows, 0));
    w = pfj_begin_json(q, HTTP_OK);
    pfj_jw_array_begin(w);
    if (write_tasks(q, db, w, job) != 0) {
        /* the status line is gone already: end the response short */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r,
                      "task list of job %s cut short", job);
        return AP_FILTER_ERROR;
    }
    pfj_jw_array_end(w);
    return pfj_end_json(q, w);
}

/* ---- §10.1 ---- */

/* The URL's task as the parameters of TASK_REF_SQL: its id, then its
 * job's id or title.  Returns 0 when a number is too large to exist. */
static int task_ref(pfj_req *q, const char *ref[3])
{
    ref[0] = pfj_id_within(q->route.args[1], APR_INT64_MAX);
    return ref[0] != NULL && pfj_job_ref(q->route.args[0], &ref[1], &ref[2]);
}

int pfj_tasks_get(pfj_req *q)
{
    pfj_db *db = pfj_req_db(q);
    const char *args[3];
    pfj_rows task;
    pfj_jw *w;
    int found;

    if (db == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if (!task_ref(q, args)) {
        return pfj_send_error(q, HTTP_NOT_FOUND, "Task not found");
    }
    if ((found = pfj_db_select_row(db, "pfj_task_get", 3, args, &task)) < 0) {
        return pfj_send_db_failure(q, db);
    }
    if (!found) {
        return pfj_send_error(q, HTTP_NOT_FOUND, "Task not found");
    }
    w = pfj_begin_json(q, HTTP_OK);
    render_full_task(w, &task);
    return pfj_end_json(q, w);
}

/* ---- §10.2: update ---- */

#define AGENT_USER_AGENT "PyFarm/1.0 (agent)"

/* Columns of pfj_task_current, in order. */
enum current_column {
    CUR_STATE, CUR_AGENT_ID, CUR_REMOTE_IP, CUR_TIME_STARTED, CUR_FAILURES,
    CUR_REQUEUE, CUR_NO_AUTOMATIC_START, CUR_JOB_ID
};

/* Step 10: what each column or relationship accepts besides null. */
typedef enum value_kind {
    VK_INT, VK_BOOL, VK_STR, VK_FLOAT, VK_UUID, VK_LIST
} value_kind;

static const struct {
    const char *name;
    value_kind kind;
} task_values[] = {
    {"priority", VK_INT}, {"attempts", VK_INT}, {"failures", VK_INT},
    {"tile", VK_INT}, {"id", VK_INT}, {"hidden", VK_BOOL},
    {"sent_to_agent", VK_BOOL}, {"last_error", VK_STR},
    {"progress", VK_FLOAT}, {"agent_id", VK_UUID}, {"job", VK_LIST},
    {"agent", VK_LIST}, {"failed_in_agents", VK_LIST},
    {"log_associations", VK_LIST},
};

static const char *const kind_classes[] = {
    [VK_INT] = "<class 'int'>", [VK_BOOL] = "<class 'bool'>",
    [VK_STR] = "<class 'str'>", [VK_FLOAT] = "<class 'float'>",
    [VK_UUID] = "<class 'uuid.UUID'>", [VK_LIST] = "<class 'list'>"
};

/* Keys steps 2-9 consume before step 10 looks at the rest. */
static const char *const consumed_keys[] = {"state", "time_started", NULL};

/* Steps 2-6: what cannot be set. */
static const struct {
    const char *key;
    const char *error;
} read_only[] = {
    {"time_finished", "`time_finished` cannot be set manually"},
    {"time_submitted", "`time_submitted` cannot be set manually"},
    {"job_id", "`job_id` cannot be changed"},
    {"frame", "`frame` cannot be changed"},
};

/* One task update on its way through the checks. */
typedef struct task_update {
    pfj_req *q;
    apr_pool_t *p;
    json_object *body;
    const char *ref[3];     /* the URL's task (task_ref); ref[0] its id */
    pfj_rows cur;           /* the task as it is, locked */
    json_object *plan;      /* input of pfj_task_apply */
    json_object *set;       /* its new plain column values */
    int state;              /* the state stored: -1 none given, 0 queued */
} task_update;

static const char *cur(const task_update *u, enum current_column c)
{
    return pfj_db_col(&u->cur, c);
}

static json_object *field(const task_update *u, const char *key)
{
    return json_object_object_get(u->body, key);
}

static int has_field(const task_update *u, const char *key)
{
    return json_object_object_get_ex(u->body, key, NULL);
}

static void plan_string(task_update *u, const char *key, const char *v)
{
    json_object_object_add(u->plan, key, json_object_new_string(v));
}

static int refuse(task_update *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int refuse(task_update *u, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(u->p, fmt, ap);
    va_end(ap);
    return pfj_send_error(u->q, HTTP_BAD_REQUEST, msg);
}

/* Steps 2-6. */
static int check_read_only(task_update *u)
{
    json_object *started = field(u, "time_started");
    apr_size_t i;

    if (has_field(u, "time_started")
        && (!json_object_is_type(started, json_type_string)
            || strcmp(json_object_get_string(started), "now") != 0)) {
        return refuse(u, "`time_started` cannot be set manually");
    }
    for (i = 0; i < COUNT(read_only); i++) {
        if (has_field(u, read_only[i].key)) {
            return refuse(u, "%s", read_only[i].error);
        }
    }
    return DECLINED;
}

/* Step 7: an agent changes state and progress only of its own tasks (the
 * client address is httpd's, so mod_remoteip behind a proxy works).  An
 * agent without an address (or with one out of range) owns none. */
static int check_owner(task_update *u)
{
    const char *ua = apr_table_get(u->q->r->headers_in, "User-Agent");
    const char *ip = pfj_fmt_ipv4(u->p, cur(u, CUR_REMOTE_IP));

    if (!(has_field(u, "state") || has_field(u, "progress"))
        || ua == NULL || strcmp(ua, AGENT_USER_AGENT) != 0) {
        return DECLINED;
    }
    if (cur(u, CUR_AGENT_ID) == NULL || ip == NULL
        || strcmp(ip, u->q->r->useragent_ip) != 0) {
        return refuse(u, "`state` and `progress` can only be changed by the "
                      "agent owning this task");
    }
    return DECLINED;
}

/* Step 8. */
static int check_done_progress(task_update *u)
{
    json_object *progress = field(u, "progress");

    /* Python compares numbers by value: 1 == True == 1.0 */
    if (has_field(u, "progress") && cur(u, CUR_STATE)
        && atoi(cur(u, CUR_STATE)) == PFJ_STATE_DONE
        && !((pfj_json_is_number(progress)
              || json_object_is_type(progress, json_type_boolean))
             && json_object_get_double(progress) == 1.0)) {
        return refuse(u, "Cannot set progress: task is already in state "
                      "`done`");
    }
    return DECLINED;
}

/* §10.3 effects of storing state done. */
static void state_done(task_update *u)
{
    json_object_object_add(u->set, "last_error", NULL);
    json_object_object_add(u->set, "progress", json_object_new_double(1.0));
    plan_string(u, "time_finished", "now_if_null");
    if (cur(u, CUR_AGENT_ID)) {
        plan_string(u, "success_agent", cur(u, CUR_AGENT_ID));
    }
}

/* Whether the failures-th failure of a task is requeued, by its job's
 * requeue: the first requeue failures are, 0 none, and -1 every one, as
 * pyfarm's model documents it (the reference's failures <= requeue never
 * holds for -1).  NULL and other negative values requeue none. */
#define REQUEUE_ALWAYS -1

static int requeues(const char *requeue, int failures)
{
    return requeue && (atoi(requeue) == REQUEUE_ALWAYS
                       || failures <= atoi(requeue));
}

/* §10.3 effects of storing state failed: a failure counted against the
 * agent, and a requeue while the job allows more. */
static void state_failed(task_update *u)
{
    int failures = atoi(cur(u, CUR_FAILURES)) + 1;

    plan_string(u, "time_finished", "now_if_null");
    json_object_object_add(u->set, "failures", json_object_new_int(failures));
    if (cur(u, CUR_AGENT_ID)) {
        plan_string(u, "fail_agent", cur(u, CUR_AGENT_ID));
    }
    if (requeues(cur(u, CUR_REQUEUE), failures)) {
        json_object_object_add(u->set, "agent_id", NULL);
        json_object_object_add(u->set, "state", NULL);
        u->state = 0;
    }
}

/* §10.3 effects of storing state running. */
static void state_running(task_update *u)
{
    const char *state = cur(u, CUR_STATE);
    int was_running = state && (atoi(state) == PFJ_STATE_RUNNING
                                || atoi(state) == PFJ_STATE_PAUSED);

    if ((!was_running || cur(u, CUR_TIME_STARTED) == NULL)
        && !pfj_db_bool(cur(u, CUR_NO_AUTOMATIC_START))) {
        plan_string(u, "time_started", "now");
        plan_string(u, "time_finished", "null");
    }
}

/* Step 9: any state given is a transition, even the current one. */
static int apply_state(task_update *u)
{
    json_object *state = field(u, "state");
    const char *name;
    int code;

    if (state == NULL) {
        return DECLINED;
    }
    name = json_object_is_type(state, json_type_string)
           ? json_object_get_string(state) : "";
    code = strcmp(name, "queued") == 0 ? 0 : pfj_state_code(name);
    if (code < 0) {
        return refuse(u, "`state` must be one of queued, paused, running, "
                      "done, failed");
    }
    u->state = code;
    json_object_object_add(u->set, "state",
                           code ? json_object_new_int(code) : NULL);
    json_object_object_add(u->plan, "recompute", json_object_new_boolean(1));
    if (code == PFJ_STATE_DONE) {
        state_done(u);
    }
    else if (code == PFJ_STATE_FAILED) {
        state_failed(u);
    }
    else if (code == PFJ_STATE_RUNNING) {
        state_running(u);
    }
    return DECLINED;
}

/* "time_started": "now": the start is now; a finished task keeps the
 * later of its finish and now, any other loses its finish. */
static void apply_time_started(task_update *u)
{
    int finished = u->state == PFJ_STATE_DONE || u->state == PFJ_STATE_FAILED
                   || (u->state < 0 && cur(u, CUR_STATE)
                       && (atoi(cur(u, CUR_STATE)) == PFJ_STATE_DONE
                           || atoi(cur(u, CUR_STATE)) == PFJ_STATE_FAILED));

    if (!has_field(u, "time_started")) {
        return;
    }
    plan_string(u, "time_started", "now");
    plan_string(u, "time_finished", finished ? "max_now" : "null");
}

static int value_matches(value_kind kind, json_object *v)
{
    switch (kind) {
    case VK_INT:
        return json_object_is_type(v, json_type_int);
    case VK_BOOL:
        return json_object_is_type(v, json_type_boolean);
    case VK_STR:
        return json_object_is_type(v, json_type_string);
    case VK_FLOAT:
        /* also an integer: JavaScript's JSON.stringify(1.0) writes 1 (the
         * reference takes float literals only).  true and false are no
         * integers to json-c: they stay refused. */
        return json_object_is_type(v, json_type_double)
               || json_object_is_type(v, json_type_int);
    case VK_UUID:
        return 0;
    case VK_LIST:
        return json_object_is_type(v, json_type_array);
    }
    return 0;
}

/* Values the reference accepts by type but then fails on (500). */
static int check_value(task_update *u, const char *key, json_object *v)
{
    apr_int64_t n = 0;

    if (json_object_is_type(v, json_type_int) && !pfj_json_int64(v, &n)) {
        return refuse(u, "`%s` is out of range", key);
    }
    if (json_object_is_type(v, json_type_double) && !pfj_json_is_number(v)) {
        return refuse(u, "`%s` must be a finite number", key);
    }
    if (strcmp(key, "priority") == 0 && v && (n < -1000 || n > 1000)) {
        return refuse(u, "`priority` must be between -1000 and 1000");
    }
    if (strcmp(key, "attempts") == 0 && v && n < 0) {
        return refuse(u, "`attempts` cannot be negative");
    }
    if ((strcmp(key, "attempts") == 0 || strcmp(key, "failures") == 0
         || strcmp(key, "sent_to_agent") == 0) && v == NULL) {
        return refuse(u, "`%s` cannot be null", key);
    }
    if ((strcmp(key, "tile") == 0 || strcmp(key, "priority") == 0
         || strcmp(key, "attempts") == 0 || strcmp(key, "failures") == 0)
        && (n < INT32_MIN || n > INT32_MAX)) {
        return refuse(u, "`%s` is out of range", key);
    }
    if (strcmp(key, "id") == 0 && v && strcmp(json_object_get_string(v),
                                              u->ref[0]) != 0) {
        return refuse(u, "`id` cannot be changed");
    }
    return DECLINED;
}

/* Relationships: [] empties failed_in_agents and log_associations, null
 * unassigns the agent; anything else crashes the reference. */
static int apply_relation(task_update *u, const char *key, json_object *v)
{
    int empty = json_object_is_type(v, json_type_array)
                && json_object_array_length(v) == 0;

    if (strcmp(key, "agent") == 0 && v == NULL) {
        json_object_object_add(u->set, "agent_id", NULL);
    }
    else if (strcmp(key, "failed_in_agents") == 0 && empty) {
        json_object_object_add(u->plan, "clear_failures",
                               json_object_new_boolean(1));
        json_object_object_del(u->plan, "fail_agent");
    }
    else if (strcmp(key, "log_associations") == 0 && empty) {
        json_object_object_add(u->plan, "clear_logs",
                               json_object_new_boolean(1));
    }
    else {
        return refuse(u, "`%s` cannot be set this way", key);
    }
    return DECLINED;
}

/* Step 10 for one key that names a column or relationship. */
static int apply_value(task_update *u, const char *key, value_kind kind,
                       json_object *v)
{
    int rc;

    if (v && !value_matches(kind, v)) {
        return refuse(u, "Column '%s' is of type %s but we expected type(s) "
                      "%s", key, pfj_py_class(v), kind_classes[kind]);
    }
    if (kind == VK_LIST || strcmp(key, "agent") == 0) {
        return apply_relation(u, key, v);
    }
    if (kind == VK_FLOAT && v) {
        /* the value as read (1e-400 is 0.0, an integer its float), not
         * json-c's copy of the literal, which PostgreSQL may find out of
         * range */
        v = pfj_json_pooled(u->p, json_object_new_double(
                                      json_object_get_double(v)));
    }
    if ((rc = check_value(u, key, v)) != DECLINED) {
        return rc;
    }
    if (strcmp(key, "id") != 0) {
        json_object_object_add(u->set, key, json_object_get(v));
    }
    return DECLINED;
}

static int is_consumed(const char *key)
{
    int i;

    for (i = 0; consumed_keys[i]; i++) {
        if (strcmp(key, consumed_keys[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Steps 10 and 11, in the body's order. */
static int apply_values(task_update *u)
{
    json_object *unknown = pfj_json_pooled(u->p, json_object_new_object());
    apr_size_t i;
    int rc = DECLINED;

    json_object_object_foreach(u->body, key, val) {
        for (i = 0; i < COUNT(task_values); i++) {
            if (strcmp(key, task_values[i].name) == 0) {
                break;
            }
        }
        if (i < COUNT(task_values)) {
            rc = apply_value(u, key, task_values[i].kind, val);
        }
        else if (!is_consumed(key)) {
            json_object_object_add(unknown, key, json_object_get(val));
        }
        if (rc != DECLINED) {
            return rc;
        }
    }
    if (json_object_object_length(unknown) > 0) {
        return refuse(u, "Unknown columns in request: %s",
                      pfj_py_repr(u->p, unknown));
    }
    return DECLINED;
}

/* Locks what the update needs: the job first when the state changes. */
static int lock_task(task_update *u, pfj_db *db)
{
    pfj_rows job;
    int found;

    if (has_field(u, "state") && field(u, "state") != NULL
        && pfj_db_select_row(db, "pfj_task_lock_job", 3, u->ref, &job) < 0) {
        return pfj_send_db_failure(u->q, db);
    }
    found = pfj_db_select_row(db, "pfj_task_current", 3, u->ref, &u->cur);
    if (found < 0) {
        return pfj_send_db_failure(u->q, db);
    }
    if (!found) {
        return pfj_send_error(u->q, HTTP_NOT_FOUND, "Task not found");
    }
    return DECLINED;
}

static int check_and_plan(task_update *u)
{
    int rc;

    if ((rc = check_read_only(u)) != DECLINED
        || (rc = check_owner(u)) != DECLINED
        || (rc = check_done_progress(u)) != DECLINED
        || (rc = apply_state(u)) != DECLINED
        || (rc = apply_values(u)) != DECLINED) {
        return rc;
    }
    apply_time_started(u);
    return DECLINED;
}

/* Writes the update (and the job's state) and answers with the task. */
static int store_and_answer(task_update *u, pfj_db *db)
{
    const char *args[1];
    pfj_rows task;
    pfj_jw *w;

    plan_string(u, "task", u->ref[0]);
    plan_string(u, "job", cur(u, CUR_JOB_ID));
    json_object_object_add(u->plan, "set", json_object_get(u->set));
    args[0] = json_object_to_json_string_ext(u->plan, JSON_C_TO_STRING_PLAIN);
    if (pfj_db_select_row(db, "pfj_task_apply", 1, args, &task) != 1) {
        pfj_db_end(db);
        return pfj_send_db_failure(u->q, db);
    }
    if (pfj_db_end(db) != 0) {
        return pfj_send_db_failure(u->q, db);
    }
    w = pfj_begin_json(u->q, HTTP_OK);
    render_full_task(w, &task);
    return pfj_end_json(u->q, w);
}

int pfj_tasks_update(pfj_req *q)
{
    task_update u = {0};
    pfj_db *db;
    int rc;

    u.q = q;
    u.p = q->r->pool;
    u.body = q->body;
    u.state = -1;
    if (!json_object_is_type(u.body, json_type_object)) {
        return pfj_send_error(q, HTTP_BAD_REQUEST,
                              pfj_json_not_object(u.p, u.body));
    }
    if (!task_ref(q, u.ref)) {
        return pfj_send_error(q, HTTP_NOT_FOUND, "Task not found");
    }
    u.plan = pfj_json_pooled(u.p, json_object_new_object());
    u.set = pfj_json_pooled(u.p, json_object_new_object());
    if ((db = pfj_req_db(q)) == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if (pfj_db_begin(db) != 0) {
        return pfj_send_db_failure(q, db);
    }
    if ((rc = lock_task(&u, db)) != DECLINED
        || (rc = check_and_plan(&u)) != DECLINED) {
        pfj_db_rollback(db);
        return rc;
    }
    return store_and_answer(&u, db);
}
