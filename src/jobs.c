/*
 * jobs.c - the jobs resource (spec api.md §2-§7).
 */
#include <apr_strings.h>
#include <httpd.h>
#include <http_protocol.h>
#include <http_log.h>
#include "jobs.h"
#include "values.h"

APLOG_USE_MODULE(pyfarm_jobs);

/* Path of every job queue: its cached fullpath, else the parent's path and
 * its own name (spec §9.6). */
#define QUEUE_PATHS_CTE \
    "WITH RECURSIVE queue_paths(id, path) AS (" \
    " SELECT id, COALESCE(fullpath, '/' || name)::text FROM job_queues" \
    "  WHERE parent_jobqueue_id IS NULL" \
    " UNION ALL" \
    " SELECT q.id, COALESCE(q.fullpath, p.path || '/' || q.name)::text" \
    "  FROM job_queues q JOIN queue_paths p ON q.parent_jobqueue_id = p.id) "

const pfj_stmt pfj_jobs_stmts[] = {
    /* §2 filters, resolved in one round trip: the jobtype's id, the user's
     * id, the first queue path that does not exist and the ids of those
     * that do. */
    {"pfj_jobs_filters",
     QUEUE_PATHS_CTE
     "SELECT (SELECT id FROM jobtypes WHERE name = %s),"
     "       (SELECT id FROM users WHERE username = %s),"
     "       (SELECT v FROM json_array_elements_text(%s::json)"
     "                       WITH ORDINALITY AS wanted(v, n)"
     "         WHERE NOT EXISTS (SELECT 1 FROM queue_paths"
     "                            WHERE path = wanted.v)"
     "         ORDER BY n LIMIT 1),"
     "       (SELECT array_agg(id) FROM queue_paths"
     "         WHERE path IN (SELECT json_array_elements_text(%s::json)))"},
    /* §2 list; the "assigned" display needs to know whether any task of
     * the job has an agent. */
    {"pfj_jobs_list",
     "SELECT j.id, j.title, j.state,"
     "       EXISTS (SELECT 1 FROM tasks t"
     "                WHERE t.job_id = j.id AND t.agent_id IS NOT NULL)"
     "  FROM jobs j"
     " WHERE (%lld::bigint IS NULL OR j.jobtype_version_id IN"
     "          (SELECT id FROM jobtype_versions WHERE jobtype_id = %lld))"
     "   AND (%d::integer IS NULL OR j.user_id = %d)"
     "   AND (%s::bigint[] IS NULL OR j.job_queue_id = ANY(%s::bigint[]))"
     "   AND (%s::text IS NULL OR strpos(lower(j.title), lower(%s)) > 0)"
     " ORDER BY j.id"
     " LIMIT %lld OFFSET %lld"},
    {NULL, NULL}
};

/* §4: the SQL type of every job field, as the reference reports them. */
static const char *const schema_types[][2] = {
    {"id", "BIGINT"}, {"job_group_id", "BIGINT"},
    {"priority", "INTEGER"}, {"minimum_agents", "INTEGER"},
    {"maximum_agents", "INTEGER"}, {"weight", "INTEGER"},
    {"num_tiles", "INTEGER"}, {"batch", "INTEGER"}, {"requeue", "INTEGER"},
    {"cpus", "INTEGER"}, {"ram", "INTEGER"}, {"ram_warning", "INTEGER"},
    {"ram_max", "INTEGER"}, {"autodelete_time", "INTEGER"},
    {"jobtype_version", "INTEGER"},
    {"state", "WorkStateEnum"},
    {"time_submitted", "DATETIME"}, {"time_started", "DATETIME"},
    {"time_finished", "DATETIME"},
    {"title", "VARCHAR(255)"}, {"notes", "TEXT"}, {"output_link", "TEXT"},
    {"by", "NUMERIC(10, 4)"}, {"start", "NUMERIC(10,4)"},
    {"end", "NUMERIC(10,4)"},
    {"hidden", "BOOLEAN"}, {"to_be_deleted", "BOOLEAN"},
    {"completion_notify_sent", "BOOLEAN"},
    {"data", "JSONDict"}, {"environ", "JSONDict"},
    {"user", "VARCHAR(255)"}, {"jobqueue", "VARCHAR(255)"},
    {"jobtype", "VARCHAR(64)"},
};

int pfj_jobs_schema(pfj_req *q)
{
    pfj_jw *w = pfj_begin_json(q, HTTP_OK);
    apr_size_t i;

    pfj_jw_object_begin(w);
    for (i = 0; i < sizeof(schema_types) / sizeof(schema_types[0]); i++) {
        pfj_jw_kv_string(w, schema_types[i][0], schema_types[i][1]);
    }
    pfj_jw_object_end(w);
    return pfj_end_json(q, w);
}

/* The list filters of one request (spec §2); NULL = not filtered. */
typedef struct job_filters {
    const char *jobtype;
    const char *user;
    const char *queues;         /* JSON array of the jobqueue values */
    const char *title;
    const char *jobtype_id;
    const char *user_id;
    const char *queue_ids;      /* PostgreSQL array of their ids */
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
    text = apr_pstrdup(p, json_object_to_json_string_ext(a,
                                                 JSON_C_TO_STRING_PLAIN));
    json_object_put(a);
    return text;
}

static void read_filters(pfj_req *q, job_filters *f)
{
    apr_table_t *query = pfj_parse_query(q->r->pool, q->r->args);

    memset(f, 0, sizeof(*f));
    f->jobtype = apr_table_get(query, "jobtype");
    f->user = apr_table_get(query, "user");
    f->queues = queue_values(q->r->pool, query);
    f->title = apr_table_get(query, "title");
    if (f->title && *f->title == '\0') {
        f->title = NULL;
    }
}

/* Looks the filters up; sends the reference's 404 for the first one that
 * names nothing.  Returns DECLINED to go on, else the sent answer. */
static int resolve_filters(pfj_req *q, pfj_db *db, job_filters *f)
{
    const char *args[4] = {f->jobtype, f->user, f->queues, f->queues};
    const char *missing_queue;
    pfj_rows rows;
    apr_pool_t *p = q->r->pool;

    if (!f->jobtype && !f->user && !f->queues) {
        return DECLINED;
    }
    if (pfj_db_select_row(db, "pfj_jobs_filters", 4, args, &rows) != 1) {
        return pfj_send_db_failure(q, db);
    }
    f->jobtype_id = pfj_db_col(&rows, 0);
    f->user_id = pfj_db_col(&rows, 1);
    missing_queue = pfj_db_col(&rows, 2);
    f->queue_ids = pfj_db_col(&rows, 3);
    if (f->jobtype && f->jobtype_id == NULL) {
        return pfj_send_error(q, HTTP_NOT_FOUND,
                              apr_psprintf(p, "Jobtype %s not found",
                                           f->jobtype));
    }
    if (f->user && f->user_id == NULL) {
        return pfj_send_error(q, HTTP_NOT_FOUND,
                              apr_psprintf(p, "User %s not found", f->user));
    }
    if (missing_queue) {
        return pfj_send_error(q, HTTP_NOT_FOUND,
                              apr_psprintf(p, "Jobqueue %s not found",
                                           missing_queue));
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

static int select_jobs(pfj_db *db, const job_filters *f, pfj_rows *rows)
{
    const char *args[10] = {
        f->jobtype_id, f->jobtype_id, f->user_id, f->user_id,
        f->queue_ids, f->queue_ids, f->title, f->title, NULL, NULL
    };

    return pfj_db_select(db, "pfj_jobs_list", 10, args, rows);
}

int pfj_jobs_list(pfj_req *q)
{
    pfj_db *db = pfj_req_db(q);
    job_filters f;
    pfj_rows rows;
    pfj_jw *w;
    int rc;

    if (db == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    read_filters(q, &f);
    if ((rc = resolve_filters(q, db, &f)) != DECLINED) {
        return rc;
    }
    if (select_jobs(db, &f, &rows) != 0) {
        return pfj_send_db_failure(q, db);
    }
    w = pfj_begin_json(q, HTTP_OK);
    pfj_jw_array_begin(w);
    while (pfj_db_next(&rows)) {
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
