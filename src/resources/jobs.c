/*
 * jobs.c - the jobs resource (doc/api.md §2-§7).
 */
#include <apr_strings.h>
#include <httpd.h>
#include <http_protocol.h>
#include <http_log.h>
#include "resources/jobs.h"
#include "resources/job_object.h"
#include "core/count.h"
#include "core/job_columns.h"
#include "core/db_values.h"

APLOG_USE_MODULE(pyfarm_jobs);

#define EXTRA_STORED(name, stored, submitted, render, schema) stored

/* Statement labels, so that a misspelt one fails to compile. */
#define STMT_JOBS_FILTERS "pfj_jobs_filters"
#define STMT_JOBS_LIST "pfj_jobs_list"
#define STMT_JOBS_ALL "pfj_jobs_all"
#define STMT_JOB_GET "pfj_job_get"
#define STMT_JOB_DELETE "pfj_job_delete"
#define STMT_JOB_RECOMPUTE "pfj_job_recompute"

/* §2 list: a page of jobs in id order.  The "assigned" display needs to
 * know whether any task of the job has an agent. */
/* clang-format off */
#define JOBS_LIST_SQL(where, limit)                                         \
    "SELECT j.id, j.title, j.state,"                                        \
    "       EXISTS (SELECT 1 FROM tasks t"                                  \
    "                WHERE t.job_id = j.id AND t.agent_id IS NOT NULL)"     \
    "  FROM jobs j" where                                                   \
    " ORDER BY j.id LIMIT " limit " OFFSET %lld"
/* clang-format on */

/* clang-format off */
const pfj_stmt pfj_jobs_stmts[] = {
    /* §2 filters, resolved in one round trip: the jobtype's id, the user's
     * id, the first queue path that does not exist and the ids of those
     * that do. */
    {STMT_JOBS_FILTERS,
     "WITH RECURSIVE " PFJ_QUEUE_PATHS_CTE " "
     "SELECT (SELECT id FROM jobtypes WHERE name = %s),"
     "       (SELECT id FROM users WHERE username = %s),"
     "       (SELECT v FROM json_array_elements_text(%s::json)"
     "                       WITH ORDINALITY AS wanted(v, n)"
     "         WHERE NOT EXISTS (SELECT 1 FROM queue_paths"
     "                            WHERE path = wanted.v)"
     "         ORDER BY n LIMIT 1),"
     "       (SELECT array_agg(id) FROM queue_paths"
     "         WHERE path IN (SELECT json_array_elements_text(%s::json)))"},
    /* §2 list with filters (JOBS_LIST_SQL): planned for each execution's
     * values, which fold the absent filters away and let a given one use
     * its index. */
    {STMT_JOBS_LIST,
     JOBS_LIST_SQL(
     " WHERE (%lld::bigint IS NULL OR j.jobtype_version_id IN"
     "          (SELECT id FROM jobtype_versions WHERE jobtype_id = %lld))"
     "   AND (%d::integer IS NULL OR j.user_id = %d)"
     "   AND (%s::bigint[] IS NULL OR j.job_queue_id = ANY(%s::bigint[]))"
     "   AND (%s::text IS NULL OR strpos(lower(j.title), lower(%s)) > 0)",
     "%lld")},
    /* §2 list without filters: one plan for every execution, an ordered
     * scan of jobs_pkey.  The LIMIT is a sub-select, which PostgreSQL
     * estimates alike (as 10% of the rows) with and without the
     * parameter's value.  With a plain parameter, a generic plan's 10%
     * looks costlier than a custom plan's exact page once the table is
     * large, and PostgreSQL planned every execution anew: at 10,000 jobs
     * that was half the statement's time (pgbench -M prepared, a page of
     * 100: 5,200-6,200/s, against 10,700-11,300/s with the sub-select and
     * 9,300-10,900/s at 1,000 jobs). */
    {STMT_JOBS_ALL, JOBS_LIST_SQL("", "(SELECT %lld)")},
    /* §5 one job, with everything its JSON object shows, by id or by
     * title (the oldest job of that title). */
    {STMT_JOB_GET,
     "WITH RECURSIVE " PFJ_QUEUE_PATHS_CTE " "
     "SELECT " PFJ_JOB_SHOWN_LIST PFJ_JOB_EXTRAS(EXTRA_STORED, ", ")
     PFJ_JOB_OBJECT_FROM("jobs")
     " WHERE j.id = " PFJ_JOB_REF_SQL},
    /* §7, §9.3, §9.4: the job and its direct children go, with their
     * tasks and every row that refers to them, and job groups left empty.
     * One statement: the foreign keys are checked at its end, when all the
     * referring rows are gone.  Returns how many jobs matched (0 or 1). */
    {STMT_JOB_DELETE,
     "WITH target AS (SELECT id FROM jobs WHERE id = " PFJ_JOB_REF_SQL
     "                 FOR UPDATE),"
     " doomed AS (SELECT id FROM target"
     "            UNION SELECT d.childid FROM job_dependencies d"
     "                    JOIN target t ON d.parentid = t.id),"
     " doomed_tasks AS (SELECT id FROM tasks"
     "                   WHERE job_id IN (SELECT id FROM doomed)),"
     " failures AS (DELETE FROM failed_tasks_in_agents"
     "               WHERE task_id IN (SELECT id FROM doomed_tasks)),"
     " tasks_gone AS (DELETE FROM tasks"
     "                 WHERE id IN (SELECT id FROM doomed_tasks)),"
     " notified AS (DELETE FROM notified_users"
     "               WHERE job_id IN (SELECT id FROM doomed)),"
     " software AS (DELETE FROM job_software_requirements"
     "               WHERE job_id IN (SELECT id FROM doomed)),"
     " tag_requirements AS (DELETE FROM job_tag_requirements"
     "                       WHERE job_id IN (SELECT id FROM doomed)),"
     " tags AS (DELETE FROM job_tag_associations"
     "           WHERE job_id IN (SELECT id FROM doomed)),"
     " dependencies AS (DELETE FROM job_dependencies"
     "                   WHERE parentid IN (SELECT id FROM doomed)"
     "                      OR childid IN (SELECT id FROM doomed)),"
     " jobs_gone AS (DELETE FROM jobs WHERE id IN (SELECT id FROM doomed)"
     "               RETURNING job_group_id),"
     " groups AS (DELETE FROM job_groups g"
     "             WHERE g.id IN (SELECT job_group_id FROM jobs_gone)"
     "               AND NOT EXISTS (SELECT 1 FROM jobs j"
     "                                WHERE j.job_group_id = g.id"
     "                                  AND j.id NOT IN (SELECT id"
     "                                                   FROM doomed)))"
     "SELECT count(*) FROM target"},
    /* §9.2 for one job, after a change made by an earlier statement. */
    {STMT_JOB_RECOMPUTE,
     "WITH task_states AS NOT MATERIALIZED ("
     "       SELECT state, agent_id FROM tasks WHERE job_id = %lld),"
     PFJ_JOB_STATE_CTES("%lld") PFJ_JOB_STATE_UPDATE},
    {NULL, NULL}
};
/* clang-format on */

/* Columns of pfj_job_get, in order: the shown columns, then the extras. */
#define EXTRA_ENUM(name, stored, submitted, render, schema) PFJ_JC_##name,
/* clang-format off */
enum job_column {
    PFJ_JOB_COLUMNS(PFJ_JOB_COLUMN_ENUM, )
    PFJ_JOB_EXTRAS(EXTRA_ENUM, )
    PFJ_JC_COUNT
};
/* clang-format on */

/* The job object's fields that are one value each (doc/api.md §0.8):
 * every shown column but the state, and the rendered extras. */
#define FIELD_HIDDEN(name)
#define FIELD_STATE(name)
#define FIELD_FRAME(name)
#define FIELD_FLAG(name)
#define FIELD_NOTIFIED(name)
#define FIELD_OF(name, kind) {#name, PFJ_JC_##name, kind},
#define FIELD_INT(name) FIELD_OF(name, PFJ_DB_INT)
#define FIELD_TEXT(name) FIELD_OF(name, PFJ_DB_TEXT)
#define FIELD_BOOL(name) FIELD_OF(name, PFJ_DB_BOOL)
#define FIELD_TIMESTAMP(name) FIELD_OF(name, PFJ_DB_TIMESTAMP)
#define FIELD_NUMERIC(name) FIELD_OF(name, PFJ_DB_NUMERIC)
#define FIELD_JSON(name) FIELD_OF(name, PFJ_DB_JSON)
#define FIELD_JSON_LIST(name) FIELD_OF(name, PFJ_DB_JSON_LIST)
/* clang-format off */
#define COLUMN_FIELD(name, render, schema, input, min, max) \
    FIELD_##render(name)
/* clang-format on */
#define EXTRA_FIELD(name, stored, submitted, render, schema) \
    FIELD_##render(name)
/* clang-format off */
static const struct {
    const char *key;
    int column;
    pfj_db_kind kind;
} job_fields[] = {
    PFJ_JOB_COLUMNS(COLUMN_FIELD, )
    PFJ_JOB_EXTRAS(EXTRA_FIELD, )
};
/* clang-format on */

int pfj_job_ref(const char *arg, const char **id, const char **title)
{
    *id = NULL;
    *title = NULL;
    if (!pfj_is_digits(arg)) {
        *title = arg;
        return 1;
    }
    *id = pfj_id_within(arg, APR_INT64_MAX);
    return *id != NULL;
}

/* §0.7, job rule: a queued job with an assigned task shows "running". */
static const char *job_state(const char *code, int assigned)
{
    if (code == NULL) {
        return assigned ? "running" : "queued";
    }
    return pfj_state_name(code);
}

void pfj_job_render(pfj_jw *w, const pfj_rows *job, const char *start,
                    const char *end, int update_shape)
{
    apr_size_t i;

    pfj_jw_object_begin(w);
    for (i = 0; i < PFJ_COUNT(job_fields); i++) {
        pfj_jw_kv_db(w, job_fields[i].key, job_fields[i].kind,
                     pfj_db_col(job, job_fields[i].column));
    }
    pfj_jw_kv_string(w, "state",
                     job_state(pfj_db_col(job, PFJ_JC_state),
                               pfj_db_bool(pfj_db_col(job, PFJ_JC_assigned))));
    pfj_jw_kv_raw(w, "start",
                  start
                      ? start
                      : pfj_fmt_numeric(w->pool,
                                        pfj_db_col(job, PFJ_JC_first_frame)));
    pfj_jw_kv_raw(w, "end",
                  end ? end
                      : pfj_fmt_numeric(w->pool,
                                        pfj_db_col(job, PFJ_JC_last_frame)));
    if (!update_shape) {
        pfj_jw_kv_db(w, "notified_users", PFJ_DB_JSON_LIST,
                     pfj_db_col(job, PFJ_JC_notified_users));
    }
    pfj_jw_object_end(w);
}

int pfj_job_select(pfj_db *db, const char *id, const char *title,
                   pfj_rows *job)
{
    const char *args[2] = {id, title};

    return pfj_db_select_row(db, STMT_JOB_GET, 2, args, job);
}

int pfj_job_has_tasks(const pfj_rows *job)
{
    return pfj_db_col(job, PFJ_JC_first_frame) != NULL;
}

/* §5 */
int pfj_jobs_get(pfj_req *q)
{
    pfj_db *db = pfj_req_db(q);
    const char *id, *title;
    pfj_rows job;
    pfj_jw *w;
    int found;

    if (db == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if (!pfj_job_ref(q->route.args[0], &id, &title)) {
        return pfj_send_error(q, HTTP_NOT_FOUND, "Job not found");
    }
    if ((found = pfj_job_select(db, id, title, &job)) < 0) {
        return pfj_send_db_failure(q, db);
    }
    if (!found) {
        return pfj_send_error(q, HTTP_NOT_FOUND, "Job not found");
    }
    if (!pfj_job_has_tasks(&job)) {
        return pfj_send_error(q, HTTP_INTERNAL_SERVER_ERROR,
                              "Job does not have any tasks");
    }
    w = pfj_begin_json(q, HTTP_OK);
    pfj_job_render(w, &job, NULL, NULL, 0);
    return pfj_end_json(q, w);
}

int pfj_job_recompute(pfj_db *db, const char *id)
{
    const char *args[2] = {id, id};

    return pfj_db_exec(db, STMT_JOB_RECOMPUTE, 2, args, NULL);
}

/* §7 */
int pfj_jobs_delete(pfj_req *q)
{
    pfj_db *db = pfj_req_db(q);
    const char *args[2];
    pfj_rows rows;

    if (db == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if (!pfj_job_ref(q->route.args[0], &args[0], &args[1])) {
        return pfj_send_error(q, HTTP_NOT_FOUND, "Job not found");
    }
    if (pfj_db_select_row(db, STMT_JOB_DELETE, 2, args, &rows) != 1) {
        return pfj_send_db_failure(q, db);
    }
    if (strcmp(pfj_db_col(&rows, 0), "0") == 0) {
        return pfj_send_error(q, HTTP_NOT_FOUND, "Job not found");
    }
    return pfj_send_no_content(q);
}

/* §4: the SQL type of every job field, as the reference reports them. */
/* §4: the type of every column a job object shows, of the extras that
 * have one, and of start and end. */
#define SCHEMA_HIDDEN(name, type)
#define SCHEMA_SHOWN(name, type) {#name, type},
#define SCHEMA_STATE SCHEMA_SHOWN
#define SCHEMA_INT SCHEMA_SHOWN
#define SCHEMA_TEXT SCHEMA_SHOWN
#define SCHEMA_BOOL SCHEMA_SHOWN
#define SCHEMA_TIMESTAMP SCHEMA_SHOWN
#define SCHEMA_NUMERIC SCHEMA_SHOWN
#define SCHEMA_JSON SCHEMA_SHOWN
/* clang-format off */
#define COLUMN_SCHEMA(name, render, schema, input, min, max) \
    SCHEMA_##render(name, schema)
/* clang-format on */
#define EXTRA_SCHEMA(name, stored, submitted, render, schema) {#name, schema},
static const char *const schema_types[][2] = {
    PFJ_JOB_COLUMNS(COLUMN_SCHEMA, )
        PFJ_JOB_EXTRAS(EXTRA_SCHEMA, ){"start", "NUMERIC(10,4)"},
    {"end", "NUMERIC(10,4)"},
};

int pfj_jobs_schema(pfj_req *q)
{
    pfj_jw *w = pfj_begin_json(q, HTTP_OK);
    apr_size_t i;

    pfj_jw_object_begin(w);
    for (i = 0; i < PFJ_COUNT(schema_types); i++) {
        if (schema_types[i][1][0] != '\0') {
            pfj_jw_kv_string(w, schema_types[i][0], schema_types[i][1]);
        }
    }
    pfj_jw_object_end(w);
    return pfj_end_json(q, w);
}

/* The list filters of one request (doc/api.md §2); NULL = not filtered. */
typedef struct job_filters {
    const char *jobtype;
    const char *user;
    const char *queues; /* JSON array of the jobqueue values */
    const char *title;
    const char *jobtype_id;
    const char *user_id;
    const char *queue_ids; /* PostgreSQL array of their ids */
    pfj_page page;         /* ?limit=&offset= */
} job_filters;

static int collect_queue(void *rec, const char *key, const char *value)
{
    json_object_array_add(rec, json_object_new_string(value));
    return 1;
}

/* Every jobqueue value, in order, as a JSON array; NULL when none. */
static const char *queue_values(apr_pool_t *p, apr_table_t *query)
{
    json_object *a;
    const char *text;

    if (apr_table_get(query, "jobqueue") == NULL) {
        return NULL;
    }
    a = json_object_new_array();
    apr_table_do(collect_queue, a, query, "jobqueue", NULL);
    text = apr_pstrdup(p,
                       json_object_to_json_string_ext(a,
                                                      JSON_C_TO_STRING_PLAIN));
    json_object_put(a);
    return text;
}

/* Returns DECLINED to go on, else the 400 sent for a bad page. */
static int read_filters(pfj_req *q, job_filters *f)
{
    apr_table_t *query = pfj_req_query(q);

    memset(f, 0, sizeof(*f));
    f->jobtype = apr_table_get(query, "jobtype");
    f->user = apr_table_get(query, "user");
    f->queues = queue_values(q->r->pool, query);
    f->title = apr_table_get(query, "title");
    if (f->title && *f->title == '\0') {
        f->title = NULL;
    }
    return pfj_req_page(q, &f->page);
}

/* Looks the filters up; sends the reference's 404 for the first one that
 * names nothing.  Returns DECLINED to go on, else the sent answer. */
static int resolve_filters(pfj_req *q, pfj_db *db, job_filters *f)
{
    const char *args[4] = {f->jobtype, f->user, f->queues, f->queues};
    const char *missing_queue;
    pfj_rows rows;

    if (!f->jobtype && !f->user && !f->queues) {
        return DECLINED;
    }
    if (pfj_db_select_row(db, STMT_JOBS_FILTERS, 4, args, &rows) != 1) {
        return pfj_send_db_failure(q, db);
    }
    f->jobtype_id = pfj_db_col(&rows, 0);
    f->user_id = pfj_db_col(&rows, 1);
    missing_queue = pfj_db_col(&rows, 2);
    f->queue_ids = pfj_db_col(&rows, 3);
    if (f->jobtype && f->jobtype_id == NULL) {
        return pfj_send_errorf(q, HTTP_NOT_FOUND, "Jobtype %s not found",
                               f->jobtype);
    }
    if (f->user && f->user_id == NULL) {
        return pfj_send_errorf(q, HTTP_NOT_FOUND, "User %s not found",
                               f->user);
    }
    if (missing_queue) {
        return pfj_send_errorf(q, HTTP_NOT_FOUND, "Jobqueue %s not found",
                               missing_queue);
    }
    return DECLINED;
}

/* §0.7, jobs index rule: a queued job with an assigned task is "assigned". */
static const char *index_state(const char *code, int assigned)
{
    if (code == NULL) {
        return assigned ? "assigned" : "queued";
    }
    return pfj_state_name(code);
}

static int select_jobs(pfj_req *q, pfj_db *db, const job_filters *f,
                       pfj_rows *rows)
{
    const char *args[10] = {
        f->jobtype_id, f->jobtype_id, f->user_id, f->user_id, f->queue_ids,
        f->queue_ids,  f->title,      f->title,   NULL,       NULL};

    if (!(f->jobtype || f->user || f->queues || f->title)) {
        pfj_req_page_args(q, &f->page, &args[0]);
        return pfj_db_select(db, STMT_JOBS_ALL, 2, args, rows);
    }
    pfj_req_page_args(q, &f->page, &args[8]);
    return pfj_db_select(db, STMT_JOBS_LIST, 10, args, rows);
}

int pfj_jobs_list(pfj_req *q)
{
    pfj_db *db = pfj_req_db(q);
    job_filters f;
    apr_int64_t shown = 0;
    pfj_rows rows;
    pfj_jw *w;
    int rc;

    if (db == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if ((rc = read_filters(q, &f)) != DECLINED
        || (rc = resolve_filters(q, db, &f)) != DECLINED) {
        return rc;
    }
    if (select_jobs(q, db, &f, &rows) != 0) {
        return pfj_send_db_failure(q, db);
    }
    if (pfj_page_more(&f.page, pfj_db_count(&rows))) {
        pfj_req_link_offset(q, &f.page);
    }
    w = pfj_begin_json(q, HTTP_OK);
    pfj_jw_array_begin(w);
    while (pfj_db_next(&rows)) {
        if (!pfj_page_shows(&f.page, shown++)) {
            continue;
        }
        pfj_jw_object_begin(w);
        pfj_jw_kv_raw(w, "id", pfj_db_col(&rows, 0));
        pfj_jw_kv_string(w, "title", pfj_db_col(&rows, 1));
        pfj_jw_kv_string(w, "state",
                         index_state(pfj_db_col(&rows, 2),
                                     pfj_db_bool(pfj_db_col(&rows, 3))));
        pfj_jw_object_end(w);
    }
    pfj_jw_array_end(w);
    return pfj_end_json(q, w);
}
