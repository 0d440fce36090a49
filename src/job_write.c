/*
 * job_write.c - POST /api/v1/jobs/: submit a job (spec api.md §3, §9.1,
 * §9.5, §9.6).
 *
 * The request is checked in the reference's order; every lookup it needs
 * (jobtype version, software and versions, parents, users, queue path,
 * job group) is answered by one statement.  The job, its tasks (one
 * generate_series over the exact decimal frame range), its requirements,
 * dependencies, tags and notified users are then written by one statement
 * that also creates the users and tags that do not exist yet, and the
 * answer is read back in the same transaction.
 */
#include <errno.h>
#include <math.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <httpd.h>
#include <http_protocol.h>
#include <http_log.h>
#include "job_write.h"
#include "jobs.h"
#include "json_body.h"
#include "pyrepr.h"
#include "validate.h"
#include "values.h"

APLOG_USE_MODULE(pyfarm_jobs);

/* Frames are NUMERIC(10,4): anything that rounds to 10^6 does not fit. */
#define MAX_USERNAME 255
#define MAX_TAG 64

/* A job that was running or paused with a start time keeps it. */
#define WAS_STARTED \
    "(COALESCE(j.state IN (100, 105), false) AND j.time_started IS NOT NULL)"

/* Unknown tag names of plan.p->'all_tags' are created; tag_ids maps every
 * name to its id.  A tag created meanwhile by another request is found by
 * ON CONFLICT ... DO UPDATE, which returns its row. */
#define TAG_IDS_CTE \
    " wanted_tags AS (SELECT DISTINCT name" \
    "   FROM plan, json_array_elements_text(plan.p->'all_tags') AS name)," \
    " created_tags AS (" \
    "   INSERT INTO tags (tag) SELECT w.name FROM wanted_tags w" \
    "    WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.tag = w.name)" \
    "   ON CONFLICT (tag) DO UPDATE SET tag = EXCLUDED.tag" \
    "   RETURNING id, tag)," \
    " tag_ids AS (SELECT id, tag FROM created_tags" \
    "   UNION ALL SELECT t.id, t.tag" \
    "   FROM tags t JOIN wanted_tags w ON w.name = t.tag),"

/* §9.1 step 4: the tasks of new frames (a set of numerics), one per frame
 * or num_tiles per frame, with the job's priority and the defaults the
 * database does not have. */
#define INSERT_TASKS(job_id, priority, num_tiles, frames) \
    "   INSERT INTO tasks (state, priority, time_submitted, job_id, hidden," \
    "     attempts, failures, frame, tile, sent_to_agent, progress)" \
    "   SELECT NULL, " priority ", now() AT TIME ZONE 'utc', " job_id "," \
    "     false, 0, 0, f.frame, tl.tile, false, 0.0" \
    "     FROM job, plan, " frames " AS f(frame)," \
    "     LATERAL (SELECT generate_series(0, " num_tiles " - 1)" \
    "               WHERE " num_tiles " > 0" \
    "              UNION ALL SELECT NULL" \
    "               WHERE COALESCE(" num_tiles ", 0) = 0) AS tl(tile)"

const pfj_stmt pfj_job_write_stmts[] = {
    /* Everything the checks of §3 and §6 look up, for one JSON document:
     * {"jobtype", "version", "software": [{"software", "min_version",
     * "max_version"}], "parents": [id], "user", "queue": [name],
     * "notified": [username], "group", "id", "user_id", "queue_id"}. */
    {"pfj_job_lookup",
     "WITH RECURSIVE input AS (SELECT %s::json AS j),"
     " queue_walk(depth, id) AS ("
     "  SELECT 1, q.id FROM job_queues q, input"
     "   WHERE q.parent_jobqueue_id IS NULL AND q.name = input.j->'queue'->>0"
     "  UNION ALL"
     "  SELECT w.depth + 1, q.id FROM queue_walk w, input, job_queues q"
     "   WHERE q.parent_jobqueue_id = w.id"
     "     AND q.name = input.j->'queue'->>w.depth)"
     "SELECT"
     " (SELECT v.id FROM jobtype_versions v JOIN jobtypes t"
     "      ON t.id = v.jobtype_id"
     "   WHERE t.name = input.j->>'jobtype'"
     "     AND (input.j->>'version' IS NULL"
     "          OR v.version = (input.j->>'version')::integer)"
     "   ORDER BY v.version DESC LIMIT 1),"
     " (SELECT v.supports_tiling FROM jobtype_versions v JOIN jobtypes t"
     "      ON t.id = v.jobtype_id"
     "   WHERE t.name = input.j->>'jobtype'"
     "     AND (input.j->>'version' IS NULL"
     "          OR v.version = (input.j->>'version')::integer)"
     "   ORDER BY v.version DESC LIMIT 1),"
     " (SELECT json_agg(json_build_object('software_id', s.id,"
     "          'min_version_id', vmin.id, 'max_version_id', vmax.id)"
     "          ORDER BY e.n)"
     "    FROM json_array_elements(input.j->'software')"
     "         WITH ORDINALITY AS e(r, n)"
     "    LEFT JOIN software s ON s.software = e.r->>'software'"
     "    LEFT JOIN software_versions vmin"
     "      ON vmin.software_id = s.id AND vmin.version = e.r->>'min_version'"
     "    LEFT JOIN software_versions vmax"
     "      ON vmax.software_id = s.id AND vmax.version = e.r->>'max_version'),"
     " (SELECT e.v FROM json_array_elements_text(input.j->'parents')"
     "         WITH ORDINALITY AS e(v, n)"
     "   WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE id = e.v::bigint)"
     "   ORDER BY e.n LIMIT 1),"
     " (SELECT id FROM users WHERE username = input.j->>'user'),"
     " (SELECT id FROM queue_walk"
     "   WHERE depth = json_array_length(input.j->'queue') LIMIT 1),"
     " (SELECT e.v FROM json_array_elements_text(input.j->'notified')"
     "         WITH ORDINALITY AS e(v, n)"
     "   WHERE NOT EXISTS (SELECT 1 FROM users WHERE username = e.v)"
     "   ORDER BY e.n LIMIT 1),"
     " EXISTS (SELECT 1 FROM job_groups"
     "          WHERE id = (input.j->>'group')::bigint),"
     " EXISTS (SELECT 1 FROM jobs WHERE id = (input.j->>'id')::bigint),"
     " EXISTS (SELECT 1 FROM users"
     "          WHERE id = (input.j->>'user_id')::integer),"
     " EXISTS (SELECT 1 FROM job_queues"
     "          WHERE id = (input.j->>'queue_id')::bigint)"
     " FROM input"},
    /* The job and everything that hangs off it, from two JSON documents:
     * the jobs row (by column name) and the plan: {"start", "end", "by"
     * (decimal strings), "state", "user", "users": [names that must
     * exist], "email", "tags": [names], "all_tags": [names],
     * "software": [{"software_id", "min_version_id", "max_version_id"}],
     * "parents": [id], "tag_requirements": [{"tag", "negate"}],
     * "notified": [{"username", "on_success", "on_failure",
     * "on_deletion"}]}.  Returns the new job's id. */
    {"pfj_submit_insert",
     "WITH plan AS (SELECT %s::json AS p),"
     " wanted_users AS (SELECT DISTINCT name"
     "   FROM plan, json_array_elements_text(plan.p->'users') AS name),"
     " created_users AS ("
     "   INSERT INTO users (username, email, active)"
     "   SELECT w.name, replace(plan.p->>'email', '{username}', w.name), true"
     "     FROM wanted_users w, plan"
     "    WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.username = w.name)"
     "   ON CONFLICT (username) DO UPDATE SET username = EXCLUDED.username"
     "   RETURNING id, username),"
     " user_ids AS (SELECT id, username FROM created_users"
     "   UNION ALL SELECT u.id, u.username"
     "   FROM users u JOIN wanted_users w ON w.name = u.username),"
     TAG_IDS_CTE
     " job AS ("
     "   INSERT INTO jobs (id, state, priority, time_submitted, time_started,"
     "     time_finished, jobtype_version_id, job_queue_id, job_group_id,"
     "     user_id, minimum_agents, maximum_agents, weight, title, notes,"
     "     output_link, by, num_tiles, batch, requeue, cpus, ram,"
     "     ram_warning, ram_max, hidden, environ, data, to_be_deleted,"
     "     completion_notify_sent, autodelete_time)"
     "   SELECT COALESCE(r.id, nextval(pg_get_serial_sequence('jobs', 'id'))),"
     "     r.state, r.priority, now() AT TIME ZONE 'utc',"
     "     CASE WHEN plan.p->>'state' = 'running'"
     "          THEN now() AT TIME ZONE 'utc' END,"
     "     CASE WHEN plan.p->>'state' IN ('done', 'failed')"
     "          THEN now() AT TIME ZONE 'utc' END,"
     "     r.jobtype_version_id, r.job_queue_id, r.job_group_id,"
     "     (SELECT id FROM user_ids WHERE username = plan.p->>'user'),"
     "     r.minimum_agents, r.maximum_agents, r.weight, r.title, r.notes,"
     "     r.output_link, r.by, r.num_tiles, r.batch, r.requeue, r.cpus,"
     "     r.ram, r.ram_warning, r.ram_max, r.hidden, r.environ, r.data,"
     "     r.to_be_deleted, r.completion_notify_sent, r.autodelete_time"
     "     FROM json_populate_record(NULL::jobs, %s::json) r, plan"
     "   RETURNING id, priority, num_tiles),"
     " new_tasks AS ("
     INSERT_TASKS("job.id", "job.priority", "job.num_tiles",
                  "generate_series((plan.p->>'start')::numeric,"
                  " (plan.p->>'end')::numeric, (plan.p->>'by')::numeric)")
     "   RETURNING 1),"
     " software AS ("
     "   INSERT INTO job_software_requirements"
     "     (software_id, job_id, min_version_id, max_version_id)"
     "   SELECT (e.r->>'software_id')::integer, job.id,"
     "     (e.r->>'min_version_id')::integer, (e.r->>'max_version_id')::integer"
     "     FROM job, plan, json_array_elements(plan.p->'software')"
     "          WITH ORDINALITY AS e(r, n) ORDER BY e.n),"
     " parents AS ("
     "   INSERT INTO job_dependencies (parentid, childid)"
     "   SELECT DISTINCT v::bigint, job.id"
     "     FROM job, plan, json_array_elements_text(plan.p->'parents') AS v),"
     " tag_links AS ("
     "   INSERT INTO job_tag_associations (job_id, tag_id)"
     "   SELECT DISTINCT job.id, t.id"
     "     FROM job, plan, json_array_elements_text(plan.p->'tags') AS v"
     "     JOIN tag_ids t ON t.tag = v),"
     " tag_requirements AS ("
     "   INSERT INTO job_tag_requirements (tag_id, job_id, negate)"
     "   SELECT t.id, job.id, (e.r->>'negate')::boolean"
     "     FROM job, plan, json_array_elements(plan.p->'tag_requirements')"
     "          WITH ORDINALITY AS e(r, n)"
     "     JOIN tag_ids t ON t.tag = e.r->>'tag' ORDER BY e.n),"
     " notified AS ("
     "   INSERT INTO notified_users"
     "     (user_id, job_id, on_success, on_failure, on_deletion)"
     "   SELECT u.id, job.id, (e.r->>'on_success')::boolean,"
     "     (e.r->>'on_failure')::boolean, (e.r->>'on_deletion')::boolean"
     "     FROM job, plan, json_array_elements(plan.p->'notified')"
     "          WITH ORDINALITY AS e(r, n)"
     "     JOIN user_ids u ON u.username = e.r->>'username' ORDER BY e.n)"
     "SELECT id FROM job"},
    /* §6: the job to update, locked for the rest of the transaction, with
     * its frame range and jobtype. */
    {"pfj_update_target",
     "SELECT j.id, (SELECT min(frame) FROM tasks WHERE job_id = j.id),"
     "       (SELECT max(frame) FROM tasks WHERE job_id = j.id), j.by, t.name,"
     "       j.num_tiles"
     "  FROM jobs j JOIN jobtype_versions v ON v.id = j.jobtype_version_id"
     "  JOIN jobtypes t ON t.id = v.jobtype_id"
     " WHERE j.id = " PFJ_JOB_REF_SQL " FOR UPDATE OF j"},
    /* §6 and §9.1 in one statement, from one JSON document: {"job": id,
     * "columns": {new column values by name}, "state": the state set (or
     * absent), "range": {"start", "end", "by"} (or absent), "software":
     * [{"software_id", "min_version_id", "max_version_id"}] and
     * "tag_requirements": [{"tag", "negate"}] (each replaces the job's,
     * or is absent), "all_tags": [names]}.  Tasks of frames outside a new
     * range go, tasks of its new frames come; creating frames resets the
     * state unless one is set.  Returns the counts of deleted and created
     * tasks. */
    {"pfj_update_apply",
     "WITH plan AS (SELECT %s::json AS p),"
     " job AS (SELECT j.id, j.priority, j.num_tiles, j AS row"
     "           FROM jobs j, plan WHERE j.id = (plan.p->>'job')::bigint),"
     " required AS (SELECT DISTINCT round(g, 4) AS frame FROM plan,"
     "   generate_series((plan.p->'range'->>'start')::numeric,"
     "                   (plan.p->'range'->>'end')::numeric,"
     "                   (plan.p->'range'->>'by')::numeric) AS g),"
     " gone AS (SELECT t.id FROM tasks t, plan"
     "           WHERE t.job_id = (plan.p->>'job')::bigint"
     "             AND plan.p->'range' IS NOT NULL"
     "             AND t.frame NOT IN (SELECT frame FROM required)),"
     " failures AS (DELETE FROM failed_tasks_in_agents"
     "               WHERE task_id IN (SELECT id FROM gone)),"
     " tasks_gone AS (DELETE FROM tasks WHERE id IN (SELECT id FROM gone)"
     "                RETURNING 1),"
     " new_frames AS (SELECT frame FROM required EXCEPT"
     "                SELECT t.frame FROM tasks t, plan"
     "                 WHERE t.job_id = (plan.p->>'job')::bigint),"
     " tasks_new AS ("
     INSERT_TASKS("job.id", "job.priority", "job.num_tiles", "new_frames")
     "   RETURNING 1),"
     TAG_IDS_CTE
     " software_set AS ("
     "   INSERT INTO job_software_requirements"
     "     (software_id, job_id, min_version_id, max_version_id)"
     "   SELECT (e->>'software_id')::integer, job.id,"
     "     (e->>'min_version_id')::integer, (e->>'max_version_id')::integer"
     "     FROM job, plan, json_array_elements(plan.p->'software') AS e"
     "   ON CONFLICT (software_id, job_id) DO UPDATE"
     "     SET min_version_id = EXCLUDED.min_version_id,"
     "         max_version_id = EXCLUDED.max_version_id),"
     " software_dropped AS ("
     "   DELETE FROM job_software_requirements r USING plan"
     "    WHERE r.job_id = (plan.p->>'job')::bigint"
     "      AND plan.p->'software' IS NOT NULL"
     "      AND r.software_id NOT IN (SELECT (e->>'software_id')::integer"
     "            FROM json_array_elements(plan.p->'software') AS e)),"
     " tag_requirements_set AS ("
     "   INSERT INTO job_tag_requirements (tag_id, job_id, negate)"
     "   SELECT t.id, job.id, (e->>'negate')::boolean"
     "     FROM job, plan,"
     "          json_array_elements(plan.p->'tag_requirements') AS e"
     "     JOIN tag_ids t ON t.tag = e->>'tag'"
     "   ON CONFLICT (tag_id, job_id) DO UPDATE SET negate = EXCLUDED.negate),"
     " tag_requirements_dropped AS ("
     "   DELETE FROM job_tag_requirements r USING plan"
     "    WHERE r.job_id = (plan.p->>'job')::bigint"
     "      AND plan.p->'tag_requirements' IS NOT NULL"
     "      AND r.tag_id NOT IN (SELECT t.id FROM tags t"
     "            JOIN json_array_elements(plan.p->'tag_requirements') AS e"
     "              ON t.tag = e->>'tag')),"
     " updated AS ("
     "   UPDATE jobs j SET"
     "     state = CASE WHEN plan.p->>'state' IS NOT NULL THEN r.state"
     "                  WHEN EXISTS (SELECT 1 FROM new_frames) THEN NULL"
     "                  ELSE j.state END,"
     "     time_started = CASE WHEN plan.p->>'state' = 'running'"
     "                          AND NOT " WAS_STARTED
     "                         THEN now() AT TIME ZONE 'utc'"
     "                         ELSE j.time_started END,"
     "     time_finished = CASE WHEN plan.p->>'state' = 'running'"
     "                           AND NOT " WAS_STARTED " THEN NULL"
     "                          WHEN plan.p->>'state' IN ('done', 'failed')"
     "                          THEN now() AT TIME ZONE 'utc'"
     "                          ELSE j.time_finished END,"
     "     priority = r.priority, job_queue_id = r.job_queue_id,"
     "     job_group_id = r.job_group_id, user_id = r.user_id,"
     "     jobtype_version_id = r.jobtype_version_id,"
     "     minimum_agents = r.minimum_agents,"
     "     maximum_agents = r.maximum_agents, weight = r.weight,"
     "     title = r.title, notes = r.notes, output_link = r.output_link,"
     "     by = r.by, num_tiles = r.num_tiles, batch = r.batch,"
     "     requeue = r.requeue, cpus = r.cpus, ram = r.ram,"
     "     ram_warning = r.ram_warning, ram_max = r.ram_max,"
     "     hidden = r.hidden, environ = r.environ, data = r.data,"
     "     to_be_deleted = r.to_be_deleted,"
     "     completion_notify_sent = r.completion_notify_sent,"
     "     autodelete_time = r.autodelete_time"
     "    FROM plan, job, json_populate_record(job.row, plan.p->'columns') r"
     "   WHERE j.id = job.id RETURNING 1)"
     "SELECT (SELECT count(*) FROM tasks_gone),"
     "       (SELECT count(*) FROM tasks_new)"},
    {NULL, NULL}
};

/* Columns of pfj_job_lookup, in order. */
enum lookup_column {
    LC_JOBTYPE_VERSION_ID, LC_SUPPORTS_TILING, LC_SOFTWARE,
    LC_MISSING_PARENT, LC_USER_ID, LC_QUEUE_ID, LC_MISSING_NOTIFIED,
    LC_GROUP_EXISTS, LC_ID_EXISTS, LC_USER_ID_EXISTS, LC_QUEUE_ID_EXISTS
};

/* ---- the Job model of the validation step (§0.5, §3) ---- */

/* by: any JSON number (the reference lets booleans through here too; they
 * are refused later). */
static int by_is_number(json_object *v)
{
    return json_object_is_type(v, json_type_int)
           || json_object_is_type(v, json_type_double)
           || json_object_is_type(v, json_type_boolean);
}

static const pfj_column job_columns[] = {
    {"id", PFJ_COL_INT, NULL},
    {"state", PFJ_COL_ENUM, NULL},
    {"priority", PFJ_COL_INT, NULL},
    {"time_submitted", PFJ_COL_DATETIME, NULL},
    {"time_started", PFJ_COL_DATETIME, NULL},
    {"time_finished", PFJ_COL_DATETIME, NULL},
    {"jobtype_version_id", PFJ_COL_INT, NULL},
    {"job_queue_id", PFJ_COL_INT, NULL},
    {"job_group_id", PFJ_COL_INT, NULL},
    {"user_id", PFJ_COL_INT, NULL},
    {"minimum_agents", PFJ_COL_INT, NULL},
    {"maximum_agents", PFJ_COL_INT, NULL},
    {"weight", PFJ_COL_INT, NULL},
    {"title", PFJ_COL_STR, NULL},
    {"notes", PFJ_COL_STR, NULL},
    {"output_link", PFJ_COL_STR, NULL},
    {"by", PFJ_COL_CUSTOM, by_is_number},
    {"num_tiles", PFJ_COL_INT, NULL},
    {"batch", PFJ_COL_INT, NULL},
    {"requeue", PFJ_COL_INT, NULL},
    {"cpus", PFJ_COL_INT, NULL},
    {"ram", PFJ_COL_INT, NULL},
    {"ram_warning", PFJ_COL_INT, NULL},
    {"ram_max", PFJ_COL_INT, NULL},
    {"hidden", PFJ_COL_BOOL, NULL},
    {"environ", PFJ_COL_DICT, NULL},
    {"data", PFJ_COL_DICT, NULL},
    {"to_be_deleted", PFJ_COL_BOOL, NULL},
    {"completion_notify_sent", PFJ_COL_BOOL, NULL},
    {"autodelete_time", PFJ_COL_INT, NULL},
    /* relationships */
    {"jobtype_version", PFJ_COL_LIST, NULL},
    {"queue", PFJ_COL_LIST, NULL},
    {"group", PFJ_COL_LIST, NULL},
    {"user", PFJ_COL_LIST, NULL},
    {"parents", PFJ_COL_LIST, NULL},
    {"children", PFJ_COL_LIST, NULL},
    {"tags", PFJ_COL_LIST, NULL},
    {"tasks", PFJ_COL_LIST, NULL},
    {"tasks_queued", PFJ_COL_LIST, NULL},
    {"tasks_running", PFJ_COL_LIST, NULL},
    {"tasks_done", PFJ_COL_LIST, NULL},
    {"tasks_failed", PFJ_COL_LIST, NULL},
    {"software_requirements", PFJ_COL_LIST, NULL},
    {"tag_requirements", PFJ_COL_LIST, NULL},
    {"notified_users", PFJ_COL_LIST, NULL},
    {NULL, 0, NULL}
};

static const char *const job_ignored[] = {
    "start", "end", "jobtype", "jobtype_version", "user", "jobqueue",
    "tag_requirements", NULL
};

static const char *const job_disallowed[] = {
    "jobtype_version_id", "time_submitted", "time_started", "time_finished",
    "job_queue_id", NULL
};

static const char *const job_required[] = {"title", NULL};

static const pfj_model job_model = {
    job_columns, job_ignored, job_disallowed, job_required
};

/* Relationships a new job cannot take: the reference crashes on anything
 * but an empty list for these. */
static const char *const unsettable_relations[] = {
    "children", "tasks", "tasks_queued", "tasks_running", "tasks_done",
    "tasks_failed", NULL
};
static const char *const scalar_relations[] = {"queue", "group", NULL};

/* Integer columns copied to the row as given, with their SQL range. */
static const struct {
    const char *name;
    int bigint;
} int_columns[] = {
    {"id", 1}, {"job_group_id", 1}, {"priority", 0}, {"minimum_agents", 0},
    {"maximum_agents", 0}, {"weight", 0}, {"num_tiles", 0}, {"batch", 0},
    {"requeue", 0}, {"cpus", 0}, {"ram", 0}, {"ram_warning", 0},
    {"ram_max", 0}, {"autodelete_time", 0},
};

/* What the model validators of the reference enforce (it answers 500). */
static const struct {
    const char *name;
    apr_int64_t min, max;
} int_ranges[] = {
    {"priority", -1000, 1000},
    {"ram", 16, 262144},
    {"cpus", 1, 256},
    {"num_tiles", 0, 2147483647},
};

/* Defaults the database does not have (schema.md §3.1). */
static const struct {
    const char *name;
    const char *json;
} job_defaults[] = {
    {"priority", "0"}, {"weight", "10"}, {"notes", "\"\""}, {"batch", "1"},
    {"requeue", "3"}, {"cpus", "1"}, {"ram", "32"}, {"hidden", "false"},
    {"to_be_deleted", "false"}, {"completion_notify_sent", "false"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A job submission or update on its way through the checks. */
typedef struct job_input {
    pfj_req *q;
    apr_pool_t *p;
    json_object *body;
    json_object *lookup;    /* input of pfj_job_lookup */
    json_object *row;       /* the jobs row, by column name */
    json_object *plan;      /* input of the writing statement */
    json_object *all_tags;  /* tag names the plan refers to */
    pfj_rows found;         /* the lookup's answer */
    pfj_rows target;        /* an update's job, locked */
    apr_int64_t tiles;      /* tasks per new frame (num_tiles) */
    json_object *columns;   /* an update's new column values */
    const char *start;      /* start/end/by as decimal text */
    const char *end;
    const char *by;
    const char *start_token;    /* start/end as the answer shows them */
    const char *end_token;
} job_input;

static json_object *field(const job_input *s, const char *key)
{
    return json_object_object_get(s->body, key);
}

static int has_field(const job_input *s, const char *key)
{
    return json_object_object_get_ex(s->body, key, NULL);
}

/* Length of a JSON array; 0 for anything else. */
static size_t list_length(json_object *o)
{
    return json_object_is_type(o, json_type_array)
           ? json_object_array_length(o) : 0;
}

static void put(json_object *obj, const char *key, json_object *v)
{
    json_object_object_add(obj, key, v);
}

static void put_string(json_object *obj, const char *key, const char *v)
{
    put(obj, key, v ? json_object_new_string(v) : NULL);
}

static int fail(job_input *s, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(job_input *s, int status, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(s->p, fmt, ap);
    va_end(ap);
    return pfj_send_error(s->q, status, msg);
}

/* §9.5 errors are a list with one message. */
static int fail_requirement(job_input *s, int status, const char *msg)
{
    pfj_jw *w = pfj_begin_json(s->q, status);

    pfj_jw_object_begin(w);
    pfj_jw_key(w, "error");
    pfj_jw_array_begin(w);
    pfj_jw_string(w, msg);
    pfj_jw_array_end(w);
    pfj_jw_object_end(w);
    return pfj_end_json(s->q, w);
}

/* 1 when an element of list (its member key, or the element itself when
 * key is NULL) is the string value. */
static int listed_before(json_object *list, const char *key,
                         const char *value)
{
    size_t i;

    for (i = 0; i < json_object_array_length(list); i++) {
        json_object *e = json_object_array_get_idx(list, i);
        if (key) {
            e = json_object_object_get(e, key);
        }
        if (strcmp(json_object_get_string(e), value) == 0) {
            return 1;
        }
    }
    return 0;
}

/* ---- checks before the lookup ---- */

static int check_media_and_model(job_input *s)
{
    const char *err;

    if (strcmp(s->q->mimetype, "application/json") != 0) {
        return fail(s, HTTP_UNSUPPORTED_MEDIA_TYPE,
                    "Unsupported mimetype, only {'application/json'} "
                    "mimetype(s) are supported.");
    }
    if ((err = pfj_validate(s->p, &job_model, s->body)) != NULL) {
        return fail(s, HTTP_BAD_REQUEST, "%s", err);
    }
    return DECLINED;
}

static int check_relations(job_input *s)
{
    int i;

    for (i = 0; unsettable_relations[i]; i++) {
        json_object *v = field(s, unsettable_relations[i]);
        if (list_length(v) > 0) {
            return fail(s, HTTP_BAD_REQUEST,
                        "`%s` cannot be set when submitting a job",
                        unsettable_relations[i]);
        }
    }
    for (i = 0; scalar_relations[i]; i++) {
        if (has_field(s, scalar_relations[i])) {
            return fail(s, HTTP_BAD_REQUEST,
                        "`%s` cannot be set when submitting a job",
                        scalar_relations[i]);
        }
    }
    return DECLINED;
}

/* §3 steps 2-4. */
static int check_jobtype(job_input *s)
{
    json_object *jobtype = field(s, "jobtype");
    json_object *version;
    apr_int64_t v;

    if (!has_field(s, "jobtype")) {
        return fail(s, HTTP_BAD_REQUEST, "No jobtype specified");
    }
    if (!json_object_is_type(jobtype, json_type_string)) {
        return fail(s, HTTP_BAD_REQUEST, "jobtype must be of type string");
    }
    put_string(s->lookup, "jobtype", json_object_get_string(jobtype));
    if (json_object_object_get_ex(s->body, "jobtype_version", &version)) {
        if (!pfj_json_int64(version, &v) || v < INT32_MIN || v > INT32_MAX) {
            return fail(s, HTTP_BAD_REQUEST,
                        "jobtype_version must be of type int");
        }
        put(s->lookup, "version", json_object_get(version));
    }
    return DECLINED;
}

/* A string member of a requirement entry as the lookup compares it (the
 * reference compares str() of whatever was sent). */
static void copy_requirement_name(job_input *s, json_object *entry,
                                  json_object *out, const char *key)
{
    json_object *v = json_object_object_get(entry, key);

    put_string(out, key, v ? pfj_py_str(s->p, v) : NULL);
}

/* Lookup input of the software requirements: one entry per request entry
 * (an empty one for entries that are not objects). */
static void collect_software(job_input *s)
{
    json_object *reqs = field(s, "software_requirements");
    json_object *list = json_object_new_array();
    size_t i;

    for (i = 0; i < list_length(reqs); i++) {
        json_object *entry = json_object_array_get_idx(reqs, i);
        json_object *out = json_object_new_object();
        if (json_object_is_type(entry, json_type_object)) {
            copy_requirement_name(s, entry, out, "software");
            copy_requirement_name(s, entry, out, "min_version");
            copy_requirement_name(s, entry, out, "max_version");
        }
        json_object_array_add(list, out);
    }
    put(s->lookup, "software", list);
}

/* parents: [{"id": int}, ...] */
static int collect_parents(job_input *s)
{
    json_object *parents = field(s, "parents");
    json_object *ids = json_object_new_array();
    size_t i;
    apr_int64_t id;

    put(s->lookup, "parents", ids);
    for (i = 0; i < list_length(parents); i++) {
        json_object *entry = json_object_array_get_idx(parents, i);
        if (!pfj_json_int64(json_object_object_get(entry, "id"), &id)) {
            return fail(s, HTTP_BAD_REQUEST,
                        "every parent must be an object with an integer "
                        "`id`");
        }
        json_object_array_add(ids, json_object_new_int64(id));
    }
    put(s->plan, "parents", json_object_get(ids));
    return DECLINED;
}

/* user: a truthy string names the owner; anything falsy means none. */
static int collect_user(job_input *s)
{
    json_object *user = field(s, "user");

    if (!pfj_json_truthy(user)) {
        return DECLINED;
    }
    if (!json_object_is_type(user, json_type_string)) {
        return fail(s, HTTP_BAD_REQUEST, "user must be of type string");
    }
    if (pfj_utf8_length(json_object_get_string(user)) > MAX_USERNAME) {
        return fail(s, HTTP_BAD_REQUEST,
                    "user names have at most 255 characters");
    }
    put_string(s->lookup, "user", json_object_get_string(user));
    put_string(s->plan, "user", json_object_get_string(user));
    return DECLINED;
}

/* jobqueue: "top/child", walked down from a top-level queue (§9.6). */
static int collect_queue(job_input *s)
{
    json_object *queue = field(s, "jobqueue");
    json_object *names;
    const char *path, *slash;

    if (!pfj_json_truthy(queue)) {
        return DECLINED;
    }
    if (!json_object_is_type(queue, json_type_string)) {
        return fail(s, HTTP_BAD_REQUEST, "jobqueue must be of type string");
    }
    names = json_object_new_array();
    for (path = json_object_get_string(queue);; path = slash + 1) {
        slash = strchr(path, '/');
        json_object_array_add(names, slash
                              ? json_object_new_string_len(path,
                                                           (int)(slash - path))
                              : json_object_new_string(path));
        if (slash == NULL) {
            break;
        }
    }
    put(s->lookup, "queue", names);
    return DECLINED;
}

/* A notified-user flag: true/false, 0/1, or null for the default. */
static int notified_flag(json_object *entry, const char *key, int dflt,
                         json_object **out)
{
    json_object *v = json_object_object_get(entry, key);
    apr_int64_t i;

    if (v == NULL) {
        *out = json_object_new_boolean(dflt);
    }
    else if (json_object_is_type(v, json_type_boolean)) {
        *out = json_object_new_boolean(json_object_get_boolean(v));
    }
    else if (pfj_json_int64(v, &i) && (i == 0 || i == 1)) {
        *out = json_object_new_boolean((int)i);
    }
    else {
        return 0;
    }
    return 1;
}

static int collect_notified_entry(job_input *s, json_object *entry,
                                  json_object *out)
{
    static const char *const flags[] = {"on_success", "on_failure",
                                        "on_deletion"};
    static const int defaults[] = {1, 1, 0};
    json_object *name = json_object_object_get(entry, "username");
    json_object *flag;
    int i;

    if (!json_object_is_type(name, json_type_string)
        || pfj_utf8_length(json_object_get_string(name)) > MAX_USERNAME) {
        return fail(s, HTTP_BAD_REQUEST,
                    "every notified user must be an object with a "
                    "`username` string of at most 255 characters");
    }
    put_string(out, "username", json_object_get_string(name));
    for (i = 0; i < 3; i++) {
        if (!notified_flag(entry, flags[i], defaults[i], &flag)) {
            return fail(s, HTTP_BAD_REQUEST,
                        "`%s` of a notified user must be true or false",
                        flags[i]);
        }
        put(out, flags[i], flag);
    }
    return DECLINED;
}

static int collect_notified(job_input *s)
{
    json_object *entries = field(s, "notified_users");
    json_object *names = json_object_new_array();
    json_object *plan = json_object_new_array();
    const char *name;
    size_t i;
    int rc;

    put(s->lookup, "notified", names);
    put(s->plan, "notified", plan);
    for (i = 0; i < list_length(entries); i++) {
        json_object *out = json_object_new_object();
        json_object_array_add(plan, out);
        rc = collect_notified_entry(s, json_object_array_get_idx(entries, i),
                                    out);
        if (rc != DECLINED) {
            return rc;
        }
        name = json_object_get_string(json_object_object_get(out,
                                                             "username"));
        if (listed_before(names, NULL, name)) {
            return fail(s, HTTP_BAD_REQUEST,
                        "user %s is listed twice in notified_users", name);
        }
        json_object_array_add(names, json_object_new_string(name));
    }
    return DECLINED;
}

/* Gathers what the lookup needs; refuses what cannot be looked up. */
static int collect_lookup(job_input *s)
{
    int rc;
    apr_int64_t v;

    collect_software(s);
    if ((rc = collect_parents(s)) != DECLINED
        || (rc = collect_user(s)) != DECLINED
        || (rc = collect_queue(s)) != DECLINED
        || (rc = collect_notified(s)) != DECLINED) {
        return rc;
    }
    if (pfj_json_int64(field(s, "job_group_id"), &v)) {
        put(s->lookup, "group", json_object_new_int64(v));
    }
    if (pfj_json_int64(field(s, "id"), &v)) {
        put(s->lookup, "id", json_object_new_int64(v));
    }
    return DECLINED;
}

static int run_lookup(job_input *s, pfj_db *db)
{
    const char *args[1];

    args[0] = json_object_to_json_string_ext(s->lookup,
                                             JSON_C_TO_STRING_PLAIN);
    if (pfj_db_select_row(db, "pfj_job_lookup", 1, args, &s->found) != 1) {
        return pfj_send_db_failure(s->q, db);
    }
    return DECLINED;
}

static const char *found(const job_input *s, enum lookup_column c)
{
    return pfj_db_col(&s->found, c);
}

/* ---- checks on the lookup's answer, in the reference's order ---- */

static int software_entry_error(job_input *s, json_object *entry,
                                json_object *ids)
{
    json_object *name = json_object_object_get(entry, "software");
    apr_array_header_t *extra = apr_array_make(s->p, 2, sizeof(char *));
    const char *bound[2] = {"min_version", "max_version"};
    int i;

    if (!json_object_is_type(entry, json_type_object)) {
        return fail_requirement(s, HTTP_BAD_REQUEST,
                                "Every software_requirement must be a dict");
    }
    if (name == NULL) {
        return fail_requirement(s, HTTP_BAD_REQUEST,
                                "Software requirement does not specify a "
                                "software.");
    }
    if (json_object_object_get(ids, "software_id") == NULL) {
        return fail_requirement(s, HTTP_NOT_FOUND,
                                apr_psprintf(s->p, "Software %s not found",
                                             pfj_py_str(s->p, name)));
    }
    for (i = 0; i < 2; i++) {
        json_object *v = json_object_object_get(entry, bound[i]);
        if (v && json_object_object_get(ids, apr_pstrcat(s->p, bound[i],
                                                         "_id", NULL))
                 == NULL) {
            return fail_requirement(s, HTTP_NOT_FOUND,
                                    apr_psprintf(s->p, "Version %s of "
                                                 "software %s not found",
                                                 pfj_py_str(s->p, v),
                                                 pfj_py_str(s->p, name)));
        }
    }
    json_object_object_foreach(entry, key, val) {
        (void)val;
        if (strcmp(key, "software") && strcmp(key, "min_version")
            && strcmp(key, "max_version")) {
            *(const char **)apr_array_push(extra) = key;
        }
    }
    if (extra->nelts > 0) {
        return fail_requirement(s, HTTP_BAD_REQUEST,
                                apr_pstrcat(s->p, "Unexpected keys in "
                                            "software requirement: ",
                                            pfj_py_dict_keys_repr(s->p,
                                                                  extra),
                                            NULL));
    }
    return DECLINED;
}

/* §9.5: every entry resolved; the same software twice is refused. */
static int check_software(job_input *s)
{
    json_object *reqs = field(s, "software_requirements");
    json_object *ids = NULL, *plan;
    const char *text = found(s, LC_SOFTWARE);
    size_t i, j;
    int rc;

    if (!has_field(s, "software_requirements")) {
        return DECLINED;
    }
    if (!json_object_is_type(reqs, json_type_array)) {
        return fail_requirement(s, HTTP_BAD_REQUEST,
                                "software_requirements must be a list");
    }
    plan = json_object_new_array();
    put(s->plan, "software", plan);
    if (text && pfj_json_parse(s->p, text, strlen(text), &ids) != 0) {
        return pfj_send_unhandled(s->q);
    }
    for (i = 0; i < json_object_array_length(reqs); i++) {
        json_object *entry_ids = json_object_array_get_idx(ids, i);
        rc = software_entry_error(s, json_object_array_get_idx(reqs, i),
                                  entry_ids);
        if (rc != DECLINED) {
            return rc;
        }
        for (j = 0; j < i; j++) {
            if (json_object_get_int64(json_object_object_get(
                    json_object_array_get_idx(plan, j), "software_id"))
                == json_object_get_int64(json_object_object_get(
                    entry_ids, "software_id"))) {
                return fail_requirement(s, HTTP_BAD_REQUEST, apr_psprintf(
                    s->p, "Software %s is listed twice",
                    pfj_py_str(s->p, json_object_object_get(
                        json_object_array_get_idx(reqs, i), "software"))));
            }
        }
        json_object_array_add(plan, json_object_get(entry_ids));
    }
    return DECLINED;
}

/* §3 steps 5-9. */
static int check_references(job_input *s)
{
    const pfj_dir_conf *conf = s->q->conf;
    const char *missing;
    int rc;

    if (found(s, LC_JOBTYPE_VERSION_ID) == NULL) {
        return pfj_send_json_string(s->q, HTTP_NOT_FOUND,
                                    "Jobtype or version not found");
    }
    if ((rc = check_software(s)) != DECLINED) {
        return rc;
    }
    if ((missing = found(s, LC_MISSING_PARENT)) != NULL) {
        return pfj_send_json_string(s->q, HTTP_NOT_FOUND,
                                    apr_psprintf(s->p, "Parent job %s not "
                                                 "found", missing));
    }
    if (field(s, "user") && pfj_json_truthy(field(s, "user"))
        && found(s, LC_USER_ID) == NULL && !pfj_conf_autocreate_users(conf)) {
        return fail(s, HTTP_NOT_FOUND, "User %s not found",
                    json_object_get_string(field(s, "user")));
    }
    if (json_object_object_get(s->lookup, "queue")
        && found(s, LC_QUEUE_ID) == NULL) {
        return fail(s, HTTP_NOT_FOUND, "Jobqueue %s not found",
                    json_object_get_string(field(s, "jobqueue")));
    }
    return DECLINED;
}

/* Integer columns: 32 or 64 bits, and the reference's validator ranges. */
static int check_integers(job_input *s)
{
    apr_size_t i, k;
    apr_int64_t v;

    for (i = 0; i < COUNT(int_columns); i++) {
        json_object *o = field(s, int_columns[i].name);
        if (o == NULL) {
            continue;
        }
        if (json_object_is_type(o, json_type_boolean)) {
            return fail(s, HTTP_BAD_REQUEST, "field '%s' has type <class "
                        "'bool'> but we expected type(s) <class 'int'>",
                        int_columns[i].name);
        }
        if (!pfj_json_int64(o, &v)
            || (!int_columns[i].bigint && (v < INT32_MIN || v > INT32_MAX))) {
            return fail(s, HTTP_BAD_REQUEST, "field '%s' is out of range",
                        int_columns[i].name);
        }
        for (k = 0; k < COUNT(int_ranges); k++) {
            if (strcmp(int_ranges[k].name, int_columns[i].name) == 0
                && (v < int_ranges[k].min || v > int_ranges[k].max)) {
                return fail(s, HTTP_BAD_REQUEST,
                            "`%s` must be between %" APR_INT64_T_FMT
                            " and %" APR_INT64_T_FMT, int_ranges[k].name,
                            int_ranges[k].min, int_ranges[k].max);
            }
        }
    }
    return DECLINED;
}

/* §3 step 10: what the reference's model validators refuse (with 500). */
static int check_values(job_input *s)
{
    json_object *state = field(s, "state");
    json_object *title = field(s, "title");
    int rc;

    if ((rc = check_integers(s)) != DECLINED) {
        return rc;
    }
    if (state && (!json_object_is_type(state, json_type_string)
                  || pfj_state_code(json_object_get_string(state)) < 0)) {
        return fail(s, HTTP_BAD_REQUEST, "`state` must be one of paused, "
                    "running, done, failed");
    }
    if (pfj_utf8_length(json_object_get_string(title)) > 255) {
        return fail(s, HTTP_BAD_REQUEST,
                    "`title` is longer than 255 characters");
    }
    if (field(s, "job_group_id") && !pfj_db_bool(found(s, LC_GROUP_EXISTS))) {
        return fail(s, HTTP_NOT_FOUND, "Job group %s not found",
                    json_object_get_string(field(s, "job_group_id")));
    }
    if (field(s, "id") && pfj_db_bool(found(s, LC_ID_EXISTS))) {
        return fail(s, HTTP_CONFLICT, "Job %s already exists",
                    json_object_get_string(field(s, "id")));
    }
    return DECLINED;
}

/* §3 step 11. */
static int check_notified(job_input *s)
{
    const char *missing = found(s, LC_MISSING_NOTIFIED);

    if (missing && !pfj_conf_autocreate_users(s->q->conf)) {
        return fail(s, HTTP_NOT_FOUND, "User %s not found", missing);
    }
    return DECLINED;
}

/* The token the answer shows for a start/end the request gave: an integer
 * stays an integer, anything else is a Python float. */
static const char *echo_token(apr_pool_t *p, json_object *v)
{
    if (json_object_is_type(v, json_type_int)) {
        return json_object_get_string(v);
    }
    return pfj_fmt_double(p, json_object_get_double(v));
}

/* |x| < 999999.99995: NUMERIC(10,4) holds x once rounded. */
static int fits_numeric(apr_pool_t *p, const char *x)
{
    return pfj_decimal_cmp(p, x, "999999.99995") < 0
           && pfj_decimal_cmp(p, x, "-999999.99995") > 0;
}

/* The decimal text of a present start/end/by, or the default. */
static const char *number_text(job_input *s, const char *key, const char *dflt)
{
    return has_field(s, key) ? json_object_get_string(field(s, key)) : dflt;
}

/* start/end must be numbers when present (even as null): §3 steps 12-14. */
static int check_range(job_input *s)
{
    int has_start = has_field(s, "start"), has_end = has_field(s, "end");

    if (has_end && !has_start) {
        return fail(s, HTTP_BAD_REQUEST,
                    "`end` is specified while `start` is not");
    }
    if ((has_start && !pfj_json_is_number(field(s, "start")))
        || (has_end && !pfj_json_is_number(field(s, "end")))) {
        return fail(s, HTTP_BAD_REQUEST,
                    "`start` and `end` need to be of type decimal or int");
    }
    s->start = number_text(s, "start", "1");
    s->end = number_text(s, "end", s->start);
    if (pfj_decimal_cmp(s->p, s->end, s->start) < 0) {
        return fail(s, HTTP_BAD_REQUEST,
                    "`end` must be larger than or equal to start");
    }
    s->start_token = has_start ? echo_token(s->p, field(s, "start")) : "1.0";
    s->end_token = has_end ? echo_token(s->p, field(s, "end"))
                           : s->start_token;
    return DECLINED;
}

/* s->by positive (the reference loops forever otherwise), at least
 * 0.0001 (smaller steps repeat frames once rounded to NUMERIC(10,4)), and
 * the whole range within NUMERIC(10,4). */
static int check_step(job_input *s)
{
    if (pfj_decimal_cmp(s->p, s->by, "0") <= 0) {
        return fail(s, HTTP_BAD_REQUEST, "`by` must be greater than 0");
    }
    if (pfj_decimal_cmp(s->p, s->by, "0.0001") < 0) {
        return fail(s, HTTP_BAD_REQUEST, "`by` must be at least 0.0001");
    }
    if (!fits_numeric(s->p, s->start) || !fits_numeric(s->p, s->end)
        || !fits_numeric(s->p, s->by)) {
        return fail(s, HTTP_BAD_REQUEST, "start, end and by must be "
                    "between -999999.9999 and 999999.9999");
    }
    return DECLINED;
}

/* §3 steps 12-15 and §9.1: the frame range. */
static int check_frames(job_input *s)
{
    int rc = check_range(s);

    if (rc != DECLINED) {
        return rc;
    }
    if (has_field(s, "by") && !pfj_json_is_number(field(s, "by"))) {
        return fail(s, HTTP_BAD_REQUEST,
                    "`by` needs to be of type decimal or int");
    }
    s->by = number_text(s, "by", "1");
    pfj_json_int64(field(s, "num_tiles"), &s->tiles);
    return check_step(s);
}

/* Tasks the range creates (s->tiles per frame), against
 * PyFarmJobsMaxTasksPerJob. */
static int check_task_count(job_input *s)
{
    double span = strtod(s->end, NULL) - strtod(s->start, NULL);
    double frames = floor(span / strtod(s->by, NULL) + 1e-9) + 1;
    apr_int64_t max = pfj_conf_max_tasks(s->q->conf);

    if (frames * (double)(s->tiles > 1 ? s->tiles : 1) > (double)max) {
        return fail(s, HTTP_BAD_REQUEST, "the frame range would create more "
                    "than %" APR_INT64_T_FMT " tasks", max);
    }
    return DECLINED;
}

/* §3 step 16. */
static int check_tiling(job_input *s)
{
    json_object *tiles = field(s, "num_tiles");

    if (tiles && !pfj_db_bool(found(s, LC_SUPPORTS_TILING))) {
        return fail(s, HTTP_BAD_REQUEST, "`num_tiles` is set, but this "
                    "jobtype does not support tiling.");
    }
    return DECLINED;
}

/* tags: strings, created when unknown. */
static int collect_tag_names(job_input *s)
{
    json_object *tags = field(s, "tags");
    json_object *names = json_object_new_array();
    size_t i;

    put(s->plan, "tags", names);
    for (i = 0; i < list_length(tags); i++) {
        json_object *t = json_object_array_get_idx(tags, i);
        if (!json_object_is_type(t, json_type_string)
            || pfj_utf8_length(json_object_get_string(t)) > MAX_TAG) {
            return fail(s, HTTP_BAD_REQUEST, "tags must be strings of at "
                        "most 64 characters");
        }
        json_object_array_add(names, json_object_get(t));
        json_object_array_add(s->all_tags, json_object_get(t));
    }
    return DECLINED;
}

/* One {"tag", "negate"} entry into the plan's list. */
static int collect_tag_requirement(job_input *s, json_object *r,
                                   json_object *list)
{
    json_object *tag = json_object_object_get(r, "tag");
    json_object *req;

    if (!json_object_is_type(tag, json_type_string)
        || pfj_utf8_length(json_object_get_string(tag)) > MAX_TAG
        || !json_object_object_get_ex(r, "negate", NULL)) {
        return fail(s, HTTP_BAD_REQUEST, "every tag requirement needs a "
                    "`tag` string of at most 64 characters and `negate`");
    }
    if (listed_before(list, "tag", json_object_get_string(tag))) {
        return fail(s, HTTP_BAD_REQUEST, "tag %s is required twice",
                    json_object_get_string(tag));
    }
    req = json_object_new_object();
    put(req, "tag", json_object_get(tag));
    put(req, "negate", json_object_new_boolean(pfj_json_truthy(
                           json_object_object_get(r, "negate"))));
    json_object_array_add(list, req);
    json_object_array_add(s->all_tags, json_object_get(tag));
    return DECLINED;
}

/* tag_requirements: [{"tag", "negate"}], unknown tags created; a falsy
 * value is ignored as the reference does (on update too: it cannot clear
 * the requirements). */
static int collect_tag_requirements(job_input *s)
{
    json_object *reqs = field(s, "tag_requirements");
    json_object *list;
    size_t i;
    int rc;

    if (!pfj_json_truthy(reqs)) {
        return DECLINED;
    }
    if (!json_object_is_type(reqs, json_type_array)) {
        return fail(s, HTTP_BAD_REQUEST, "tag_requirements must be a list");
    }
    list = json_object_new_array();
    put(s->plan, "tag_requirements", list);
    for (i = 0; i < json_object_array_length(reqs); i++) {
        rc = collect_tag_requirement(s, json_object_array_get_idx(reqs, i),
                                     list);
        if (rc != DECLINED) {
            return rc;
        }
    }
    return DECLINED;
}

/* ---- the row and the plan ---- */

/* The given columns, the defaults the database lacks, the looked-up ids. */
static void build_row(job_input *s)
{
    json_object *state = field(s, "state");
    const char *autodelete = pfj_conf_autodelete(s->p, s->q->conf);
    apr_size_t i;

    json_object_object_foreach(s->body, key, val) {
        if (strcmp(key, "state") && strcmp(key, "data")
            && strcmp(key, "environ") && strcmp(key, "by")) {
            put(s->row, key, json_object_get(val));
        }
    }
    for (i = 0; i < COUNT(job_defaults); i++) {
        if (!has_field(s, job_defaults[i].name)) {
            put(s->row, job_defaults[i].name,
                json_tokener_parse(job_defaults[i].json));
        }
    }
    if (!has_field(s, "autodelete_time") && autodelete) {
        put(s->row, "autodelete_time", json_tokener_parse(autodelete));
    }
    /* only "running" survives the creation of the tasks (§9.1 step 5) */
    if (state && strcmp(json_object_get_string(state), "running") == 0) {
        put(s->row, "state", json_object_new_int(PFJ_STATE_RUNNING));
    }
    put_string(s->plan, "state", state ? json_object_get_string(state) : NULL);
    put_string(s->row, "by", s->by);
    put_string(s->row, "data", field(s, "data")
               ? pfj_json_to_string(s->p, field(s, "data")) : NULL);
    put_string(s->row, "environ", field(s, "environ")
               ? pfj_json_to_string(s->p, field(s, "environ")) : NULL);
    put_string(s->row, "jobtype_version_id", found(s, LC_JOBTYPE_VERSION_ID));
    put_string(s->row, "job_queue_id", found(s, LC_QUEUE_ID));
}

/* Users that must exist: the owner and the notified users (created when
 * missing, PyFarmJobsAutocreateUsers permitting). */
static void build_plan(job_input *s)
{
    json_object *users = json_object_new_array();
    json_object *notified = json_object_object_get(s->plan, "notified");
    json_object *owner = json_object_object_get(s->plan, "user");
    size_t i;

    if (owner) {
        json_object_array_add(users, json_object_get(owner));
    }
    for (i = 0; i < json_object_array_length(notified); i++) {
        json_object_array_add(users, json_object_get(json_object_object_get(
            json_object_array_get_idx(notified, i), "username")));
    }
    put(s->plan, "users", users);
    put_string(s->plan, "email", pfj_conf_user_email(s->q->conf));
    put_string(s->plan, "start", s->start);
    put_string(s->plan, "end", s->end);
    put_string(s->plan, "by", s->by);
}

static int insert_job(job_input *s, pfj_db *db, const char **id)
{
    const char *args[2];
    pfj_rows rows;

    args[0] = json_object_to_json_string_ext(s->plan, JSON_C_TO_STRING_PLAIN);
    args[1] = json_object_to_json_string_ext(s->row, JSON_C_TO_STRING_PLAIN);
    if (pfj_db_select_row(db, "pfj_submit_insert", 2, args, &rows) != 1) {
        return -1;
    }
    *id = pfj_db_col(&rows, 0);
    return 0;
}

/* Writes the job and answers 201 with it, all in one transaction. */
static int store_and_answer(job_input *s, pfj_db *db)
{
    const char *id;
    pfj_rows job;
    pfj_jw *w;

    if (insert_job(s, db, &id) != 0
        || pfj_job_select(db, id, NULL, &job) != 1) {
        pfj_db_end(db);
        return pfj_send_db_failure(s->q, db);
    }
    if (pfj_db_end(db) != 0) {
        return pfj_send_db_failure(s->q, db);
    }
    w = pfj_begin_json(s->q, HTTP_CREATED);
    pfj_job_render(w, &job, s->start_token, s->end_token, 0);
    return pfj_end_json(s->q, w);
}

/* The checks after the lookup, in the reference's order. */
static int check_after_lookup(job_input *s)
{
    int rc;

    if ((rc = check_references(s)) != DECLINED
        || (rc = check_values(s)) != DECLINED
        || (rc = check_notified(s)) != DECLINED
        || (rc = check_frames(s)) != DECLINED
        || (rc = check_task_count(s)) != DECLINED
        || (rc = check_tiling(s)) != DECLINED
        || (rc = collect_tag_names(s)) != DECLINED
        || (rc = collect_tag_requirements(s)) != DECLINED) {
        return rc;
    }
    return DECLINED;
}

/* A fresh job_input for the request. */
static void start_input(job_input *s, pfj_req *q)
{
    memset(s, 0, sizeof(*s));
    s->q = q;
    s->p = q->r->pool;
    s->body = q->body;
    s->lookup = pfj_json_pooled(s->p, json_object_new_object());
    s->row = pfj_json_pooled(s->p, json_object_new_object());
    s->plan = pfj_json_pooled(s->p, json_object_new_object());
    s->columns = pfj_json_pooled(s->p, json_object_new_object());
    s->all_tags = json_object_new_array();
    put(s->plan, "all_tags", s->all_tags);
}

int pfj_jobs_submit(pfj_req *q)
{
    job_input s;
    pfj_db *db;
    int rc;

    start_input(&s, q);
    if ((rc = check_media_and_model(&s)) != DECLINED
        || (rc = check_relations(&s)) != DECLINED
        || (rc = check_jobtype(&s)) != DECLINED
        || (rc = collect_lookup(&s)) != DECLINED) {
        return rc;
    }
    if ((db = pfj_req_db(q)) == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if (pfj_db_begin(db) != 0) {
        return pfj_send_db_failure(q, db);
    }
    if ((rc = run_lookup(&s, db)) != DECLINED
        || (rc = check_after_lookup(&s)) != DECLINED) {
        pfj_db_rollback(db);
        return rc;
    }
    build_row(&s);
    build_plan(&s);
    return store_and_answer(&s, db);
}

/* ==== POST /api/v1/jobs/<job>: update (spec §6) ==== */

/* Columns of pfj_update_target, in order. */
enum target_column {
    TC_ID, TC_FIRST_FRAME, TC_LAST_FRAME, TC_BY, TC_JOBTYPE, TC_NUM_TILES
};

/* How step 11 checks a column's value. */
typedef enum update_kind {
    UK_INT, UK_BIGINT, UK_STR, UK_BOOL, UK_DICT, UK_STATE
} update_kind;

static const struct {
    const char *name;
    update_kind kind;
} update_columns[] = {
    {"id", UK_BIGINT}, {"state", UK_STATE}, {"priority", UK_INT},
    {"job_queue_id", UK_BIGINT}, {"job_group_id", UK_BIGINT},
    {"user_id", UK_INT}, {"minimum_agents", UK_INT},
    {"maximum_agents", UK_INT}, {"weight", UK_INT}, {"title", UK_STR},
    {"notes", UK_STR}, {"output_link", UK_STR}, {"num_tiles", UK_INT},
    {"batch", UK_INT}, {"requeue", UK_INT}, {"cpus", UK_INT},
    {"ram", UK_INT}, {"ram_warning", UK_INT}, {"ram_max", UK_INT},
    {"hidden", UK_BOOL}, {"environ", UK_DICT}, {"data", UK_DICT},
    {"to_be_deleted", UK_BOOL}, {"completion_notify_sent", UK_BOOL},
    {"autodelete_time", UK_INT},
};

/* Keys steps 1-14 consume; whatever else is left is an unknown column. */
static const char *const update_handled[] = {
    "start", "end", "by", "user", "jobqueue", "software_requirements",
    "tag_requirements", "jobtype_version", NULL
};

static const char *const class_names[] = {
    [UK_INT] = "<class 'int'>", [UK_BIGINT] = "<class 'int'>",
    [UK_STR] = "<class 'str'>", [UK_BOOL] = "<class 'bool'>",
    [UK_DICT] = "<class 'dict'>",
    [UK_STATE] = "(<class 'str'>, <class 'int'>)"
};

static const char *target(const job_input *s, enum target_column c)
{
    return pfj_db_col(&s->target, c);
}

/* A start/end/by of an update as decimal text: numbers, numeric strings
 * and booleans convert as Python's Decimal() converts them; NULL for
 * anything else. */
static const char *update_decimal(job_input *s, json_object *v)
{
    if (pfj_json_is_number(v)) {
        return json_object_get_string(v);
    }
    if (json_object_is_type(v, json_type_boolean)) {
        return json_object_get_boolean(v) ? "1" : "0";
    }
    if (json_object_is_type(v, json_type_string)) {
        return pfj_decimal_text(s->p, json_object_get_string(v));
    }
    return NULL;
}

/* §6 step 4: the new range from start/end/by and the old first and last
 * frame; the answer shows start/end as Python floats. */
static int update_range(job_input *s)
{
    const char *part[3] = {"start", "end", "by"};
    const char *old[3] = {target(s, TC_FIRST_FRAME), target(s, TC_LAST_FRAME),
                          target(s, TC_BY) ? target(s, TC_BY) : "1"};
    const char *value[3];
    json_object *range;
    int i, rc;

    for (i = 0; i < 3; i++) {
        value[i] = has_field(s, part[i]) ? update_decimal(s, field(s, part[i]))
                                         : old[i];
        if (value[i] == NULL) {
            return fail(s, HTTP_BAD_REQUEST,
                        "`%s` needs to be of type decimal or int", part[i]);
        }
    }
    s->start = value[0], s->end = value[1], s->by = value[2];
    s->start_token = pfj_fmt_double(s->p, strtod(s->start, NULL));
    s->end_token = pfj_fmt_double(s->p, strtod(s->end, NULL));
    if (!has_field(s, "start") && !has_field(s, "end")
        && !has_field(s, "by")) {
        return DECLINED;
    }
    if (pfj_decimal_cmp(s->p, s->end, s->start) < 0) {
        return fail(s, HTTP_BAD_REQUEST,
                    "`end` must be greater than or equal to `start`");
    }
    s->tiles = target(s, TC_NUM_TILES) ? apr_atoi64(target(s, TC_NUM_TILES))
                                       : 0;
    if ((rc = check_step(s)) != DECLINED
        || (rc = check_task_count(s)) != DECLINED) {
        return rc;
    }
    range = json_object_new_object();
    put_string(range, "start", s->start);
    put_string(range, "end", s->end);
    put_string(range, "by", s->by);
    put(s->plan, "range", range);
    put_string(s->columns, "by", s->by);
    return DECLINED;
}

/* The lookup input of an update: the job's own jobtype with the version
 * asked for, and the references the body names. */
static int collect_update_lookup(job_input *s)
{
    apr_int64_t v;
    int rc;

    put_string(s->lookup, "jobtype", target(s, TC_JOBTYPE));
    if (pfj_json_int64(field(s, "jobtype_version"), &v)
        && v >= INT32_MIN && v <= INT32_MAX) {
        put(s->lookup, "version", json_object_new_int64(v));
    }
    collect_software(s);
    if ((rc = collect_parents(s)) != DECLINED
        || (rc = collect_user(s)) != DECLINED
        || (rc = collect_queue(s)) != DECLINED) {
        return rc;
    }
    if (pfj_json_int64(field(s, "job_group_id"), &v)) {
        put(s->lookup, "group", json_object_new_int64(v));
    }
    if (pfj_json_int64(field(s, "user_id"), &v)) {
        put(s->lookup, "user_id", json_object_new_int64(v));
    }
    if (pfj_json_int64(field(s, "job_queue_id"), &v)) {
        put(s->lookup, "queue_id", json_object_new_int64(v));
    }
    return DECLINED;
}

/* §6 steps 5-7: parents (always refused later), the owner, the queue. */
static int update_references(job_input *s)
{
    const char *missing = found(s, LC_MISSING_PARENT);

    if (missing) {
        return pfj_send_json_string(s->q, HTTP_NOT_FOUND,
                                    apr_psprintf(s->p, "Parent job %s not "
                                                 "found", missing));
    }
    if (json_object_object_get(s->lookup, "user")) {
        if (found(s, LC_USER_ID) == NULL) {
            return fail(s, HTTP_NOT_FOUND, "User %s not found",
                        json_object_get_string(field(s, "user")));
        }
        put_string(s->columns, "user_id", found(s, LC_USER_ID));
    }
    if (json_object_object_get(s->lookup, "queue")) {
        if (found(s, LC_QUEUE_ID) == NULL) {
            return fail(s, HTTP_NOT_FOUND, "Jobqueue %s not found",
                        json_object_get_string(field(s, "jobqueue")));
        }
        put_string(s->columns, "job_queue_id", found(s, LC_QUEUE_ID));
    }
    return DECLINED;
}

/* §6 steps 8-10: what cannot be set at all. */
static int update_read_only(job_input *s)
{
    static const char *const times[] = {"time_started", "time_finished",
                                        "time_submitted"};
    int i;

    for (i = 0; i < 3; i++) {
        if (has_field(s, times[i])) {
            return fail(s, HTTP_BAD_REQUEST, "`%s` cannot be set manually",
                        times[i]);
        }
    }
    if (has_field(s, "jobtype_version_id")) {
        return fail(s, HTTP_BAD_REQUEST,
                    "`jobtype_version_id` cannot be set manually");
    }
    if (has_field(s, "jobgroup")) {
        return fail(s, HTTP_BAD_REQUEST,
                    "`jobgroup` cannot be set directly, use  job_group_id.");
    }
    return DECLINED;
}

/* Python's int() of a string: optional sign, digits, surrounding space. */
static int python_int_string(const char *text, apr_int64_t *v)
{
    char *end;

    while (apr_isspace(*text)) {
        text++;
    }
    if (!apr_isdigit(*text) && !((*text == '-' || *text == '+')
                                 && apr_isdigit(text[1]))) {
        return 0;
    }
    errno = 0;
    *v = apr_strtoi64(text, &end, 10);
    while (apr_isspace(*end)) {
        end++;
    }
    return errno == 0 && *end == '\0';
}

/* int(d) of a finite float, exactly: truncated, every digit. */
static const char *python_int_of_float(apr_pool_t *p, double d)
{
    const char *digits = apr_psprintf(p, "%.0f", trunc(d));

    return strcmp(digits, "-0") == 0 ? "0" : digits;
}

/* The key and value reprs of one element of dict()'s argument: a pair
 * [key, value] with a hashable key (not a list or dict), or a string of
 * two characters.  0 when Python's dict() would fail on it. */
static int dict_item(apr_pool_t *p, json_object *e, const char **key,
                     const char **value)
{
    const char *s;
    apr_size_t first;

    if (list_length(e) == 2) {
        json_object *k = json_object_array_get_idx(e, 0);
        if (json_object_is_type(k, json_type_array)
            || json_object_is_type(k, json_type_object)) {
            return 0;
        }
        *key = pfj_py_repr(p, k);
        *value = pfj_py_repr(p, json_object_array_get_idx(e, 1));
        return 1;
    }
    if (!json_object_is_type(e, json_type_string)
        || pfj_utf8_length(s = json_object_get_string(e)) != 2) {
        return 0;
    }
    for (first = 1; (s[first] & 0xC0) == 0x80; first++) {
    }
    *key = pfj_py_repr_str(p, apr_pstrmemdup(p, s, first));
    *value = pfj_py_repr_str(p, s + first);
    return 1;
}

/* repr(dict(v)) for a list v, keys in first-seen order and the last value
 * of a repeated key, as Python builds it; NULL when dict() would fail. */
static const char *dict_repr(apr_pool_t *p, json_object *v)
{
    apr_array_header_t *keys = apr_array_make(p, 4, sizeof(char *));
    apr_table_t *values = apr_table_make(p, 4);
    const char *key, *value, *repr = "{";
    int i;

    for (i = 0; i < (int)json_object_array_length(v); i++) {
        if (!dict_item(p, json_object_array_get_idx(v, i), &key, &value)) {
            return NULL;
        }
        if (apr_table_get(values, key) == NULL) {
            *(const char **)apr_array_push(keys) = key;
        }
        apr_table_set(values, key, value);
    }
    for (i = 0; i < keys->nelts; i++) {
        key = APR_ARRAY_IDX(keys, i, const char *);
        repr = apr_pstrcat(p, repr, i ? ", " : "", key, ": ",
                           apr_table_get(values, key), NULL);
    }
    return apr_pstrcat(p, repr, "}", NULL);
}

/* The repr of v converted to the column's Python type, as the reference's
 * 200-with-error answer quotes it; NULL when that conversion fails (the
 * reference answers 500, we refuse with 400). */
static const char *converted_repr(job_input *s, update_kind kind,
                                  json_object *v)
{
    apr_int64_t i;

    switch (kind) {
    case UK_INT:
    case UK_BIGINT:
        if (json_object_is_type(v, json_type_double)
            && pfj_json_is_number(v)) {
            return python_int_of_float(s->p, json_object_get_double(v));
        }
        if (json_object_is_type(v, json_type_string)
            && python_int_string(json_object_get_string(v), &i)) {
            return apr_psprintf(s->p, "%" APR_INT64_T_FMT, i);
        }
        return NULL;
    case UK_STR:
        return pfj_py_repr_str(s->p, pfj_py_str(s->p, v));
    case UK_BOOL:
        return pfj_json_truthy(v) ? "True" : "False";
    case UK_DICT:
        if (!pfj_json_truthy(v) && (json_object_is_type(v, json_type_array)
                                    || json_object_is_type(v,
                                                           json_type_string))) {
            return "{}";
        }
        return json_object_is_type(v, json_type_array) ? dict_repr(s->p, v)
                                                        : NULL;
    case UK_STATE:
        return NULL;
    }
    return NULL;
}

static int value_has_kind(update_kind kind, json_object *v)
{
    switch (kind) {
    case UK_INT:
    case UK_BIGINT:
        return json_object_is_type(v, json_type_int);
    case UK_STR:
        return json_object_is_type(v, json_type_string);
    case UK_BOOL:
        return json_object_is_type(v, json_type_boolean);
    case UK_DICT:
        return json_object_is_type(v, json_type_object);
    case UK_STATE:
        return json_object_is_type(v, json_type_string)
               && pfj_state_code(json_object_get_string(v)) >= 0;
    }
    return 0;
}

/* A value of the wrong type: the reference answers 200 with an error and
 * saves nothing when it can convert the value, 500 when it cannot. */
static int wrong_type(job_input *s, const char *name, update_kind kind,
                      json_object *v)
{
    const char *repr = converted_repr(s, kind, v);

    if (kind == UK_STATE) {
        return fail(s, HTTP_BAD_REQUEST, "`state` must be one of paused, "
                    "running, done, failed");
    }
    if (repr == NULL) {
        return fail(s, HTTP_BAD_REQUEST, "Column `%s` is of type %s, but we "
                    "expected %s", name, pfj_py_class(v), class_names[kind]);
    }
    return fail(s, HTTP_OK, "Column `%s` is of type %s, but we expected %s",
                name, repr, class_names[kind]);
}

/* The value of a column once its type is right: ranges, references. */
static int check_column_value(job_input *s, const char *name,
                              update_kind kind, json_object *v)
{
    if (strcmp(name, "id") == 0
        && strcmp(json_object_get_string(v), target(s, TC_ID)) != 0) {
        return fail(s, HTTP_BAD_REQUEST, "`id` cannot be changed");
    }
    if (strcmp(name, "job_group_id") == 0
        && !pfj_db_bool(found(s, LC_GROUP_EXISTS))) {
        return fail(s, HTTP_NOT_FOUND, "Job group %s not found",
                    json_object_get_string(v));
    }
    if (strcmp(name, "user_id") == 0
        && !pfj_db_bool(found(s, LC_USER_ID_EXISTS))) {
        return fail(s, HTTP_NOT_FOUND, "User %s not found",
                    json_object_get_string(v));
    }
    if (strcmp(name, "job_queue_id") == 0
        && !pfj_db_bool(found(s, LC_QUEUE_ID_EXISTS))) {
        return fail(s, HTTP_NOT_FOUND, "Jobqueue %s not found",
                    json_object_get_string(v));
    }
    if (kind == UK_STR && strcmp(name, "title") == 0
        && pfj_utf8_length(json_object_get_string(v)) > 255) {
        return fail(s, HTTP_BAD_REQUEST,
                    "`title` is longer than 255 characters");
    }
    return DECLINED;
}

/* Copies a checked column value into the new row values. */
static void set_column(job_input *s, const char *name, update_kind kind,
                       json_object *v)
{
    if (kind == UK_STATE) {
        put(s->columns, "state",
            json_object_new_int(pfj_state_code(json_object_get_string(v))));
        put_string(s->plan, "state", json_object_get_string(v));
    }
    else if (kind == UK_DICT) {
        put_string(s->columns, name, pfj_json_to_string(s->p, v));
    }
    else {
        put(s->columns, name, json_object_get(v));
    }
}

/* §6 step 11, in the body's order. */
static int update_columns_step(job_input *s)
{
    apr_size_t i;
    int rc;

    json_object_object_foreach(s->body, key, val) {
        for (i = 0; i < COUNT(update_columns); i++) {
            if (strcmp(key, update_columns[i].name) == 0) {
                break;
            }
        }
        if (i == COUNT(update_columns)) {
            continue;
        }
        if (!value_has_kind(update_columns[i].kind, val)) {
            return wrong_type(s, key, update_columns[i].kind, val);
        }
        if ((rc = check_column_value(s, key, update_columns[i].kind, val))
            != DECLINED) {
            return rc;
        }
        set_column(s, key, update_columns[i].kind, val);
    }
    return check_integers(s);
}

/* §6 step 14. */
static int update_jobtype_version(job_input *s)
{
    if (!pfj_json_truthy(field(s, "jobtype_version"))) {
        return DECLINED;
    }
    if (json_object_object_get(s->lookup, "version") == NULL
        || found(s, LC_JOBTYPE_VERSION_ID) == NULL) {
        return fail(s, HTTP_BAD_REQUEST, "Unknown jobtype version: None");
    }
    put_string(s->columns, "jobtype_version_id",
               found(s, LC_JOBTYPE_VERSION_ID));
    return DECLINED;
}

static int is_update_handled(const char *key)
{
    apr_size_t i;

    for (i = 0; update_handled[i]; i++) {
        if (strcmp(key, update_handled[i]) == 0) {
            return 1;
        }
    }
    for (i = 0; i < COUNT(update_columns); i++) {
        if (strcmp(key, update_columns[i].name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* §6 step 15: {'parents': [...], 'tags': [...]} as a Python dict. */
static int update_unknown_columns(job_input *s)
{
    json_object *rest = pfj_json_pooled(s->p, json_object_new_object());

    json_object_object_foreach(s->body, key, val) {
        if (!is_update_handled(key)) {
            json_object_object_add(rest, key, json_object_get(val));
        }
    }
    if (json_object_object_length(rest) == 0) {
        return DECLINED;
    }
    return fail(s, HTTP_BAD_REQUEST, "Unknown columns: %s",
                pfj_py_repr(s->p, rest));
}

/* Steps 4-15 of §6 on a locked job. */
static int check_update(job_input *s, pfj_db *db)
{
    int rc;

    if ((rc = update_range(s)) != DECLINED
        || (rc = collect_update_lookup(s)) != DECLINED
        || (rc = run_lookup(s, db)) != DECLINED
        || (rc = update_references(s)) != DECLINED
        || (rc = update_read_only(s)) != DECLINED
        || (rc = update_columns_step(s)) != DECLINED
        || (rc = check_software(s)) != DECLINED
        || (rc = collect_tag_requirements(s)) != DECLINED
        || (rc = update_jobtype_version(s)) != DECLINED
        || (rc = update_unknown_columns(s)) != DECLINED) {
        return rc;
    }
    return DECLINED;
}

/* Applies the update, recomputes the state after a range change, and
 * answers with the job (§6: no notified_users, jobqueue null). */
static int apply_update(job_input *s, pfj_db *db)
{
    const char *args[1];
    pfj_rows rows, job;
    pfj_jw *w;

    put_string(s->plan, "job", target(s, TC_ID));
    put(s->plan, "columns", json_object_get(s->columns));
    args[0] = json_object_to_json_string_ext(s->plan, JSON_C_TO_STRING_PLAIN);
    if (pfj_db_select_row(db, "pfj_update_apply", 1, args, &rows) != 1
        || (json_object_object_get(s->plan, "range")
            && !json_object_object_get(s->plan, "state")
            && pfj_job_recompute(db, target(s, TC_ID)) != 0)
        || pfj_job_select(db, target(s, TC_ID), NULL, &job) != 1) {
        pfj_db_end(db);
        return pfj_send_db_failure(s->q, db);
    }
    if (pfj_db_end(db) != 0) {
        return pfj_send_db_failure(s->q, db);
    }
    w = pfj_begin_json(s->q, HTTP_OK);
    pfj_job_render(w, &job, s->start_token, s->end_token, 1);
    return pfj_end_json(s->q, w);
}

/* Steps 1-3: the job (locked), tiles, the tasks. */
static int lock_target(job_input *s, pfj_db *db)
{
    const char *args[2];
    int got;

    if (!pfj_job_ref(s->q->route.args[0], &args[0], &args[1])) {
        return fail(s, HTTP_NOT_FOUND, "Job not found");
    }
    got = pfj_db_select_row(db, "pfj_update_target", 2, args, &s->target);
    if (got < 0) {
        return pfj_send_db_failure(s->q, db);
    }
    if (got == 0) {
        return fail(s, HTTP_NOT_FOUND, "Job not found");
    }
    if (has_field(s, "tiles")) {
        return fail(s, HTTP_BAD_REQUEST,
                    "Frame tiling cannot be updated after job creation.");
    }
    if (target(s, TC_FIRST_FRAME) == NULL) {
        return fail(s, HTTP_INTERNAL_SERVER_ERROR,
                    "Job does not have any tasks");
    }
    return DECLINED;
}

int pfj_jobs_update(pfj_req *q)
{
    job_input s;
    pfj_db *db;
    int rc;

    start_input(&s, q);
    if (!json_object_is_type(s.body, json_type_object)) {
        return fail(&s, HTTP_BAD_REQUEST, "%s",
                    pfj_json_not_object(s.p, s.body));
    }
    if ((db = pfj_req_db(q)) == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if (pfj_db_begin(db) != 0) {
        return pfj_send_db_failure(q, db);
    }
    if ((rc = lock_target(&s, db)) != DECLINED
        || (rc = check_update(&s, db)) != DECLINED) {
        pfj_db_rollback(db);
        return rc;
    }
    return apply_update(&s, db);
}
