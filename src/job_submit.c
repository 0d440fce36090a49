/*
 * job_submit.c - POST /api/v1/jobs/: submit a job (spec api.md §3, §9.1,
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
#include <math.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_protocol.h>
#include <http_log.h>
#include "job_submit.h"
#include "jobs.h"
#include "json_body.h"
#include "pyrepr.h"
#include "validate.h"
#include "values.h"

APLOG_USE_MODULE(pyfarm_jobs);

/* Frames are NUMERIC(10,4): anything that rounds to 10^6 does not fit. */
#define FRAME_LIMIT 999999.99995

const pfj_stmt pfj_job_submit_stmts[] = {
    /* Everything the checks of §3 look up, for one JSON document:
     * {"jobtype", "version", "software": [{"software", "min_version",
     * "max_version"}], "parents": [id], "user", "queue": [name],
     * "notified": [username], "group", "id"}. */
    {"pfj_submit_lookup",
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
     " EXISTS (SELECT 1 FROM jobs WHERE id = (input.j->>'id')::bigint)"
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
     " wanted_tags AS (SELECT DISTINCT name"
     "   FROM plan, json_array_elements_text(plan.p->'all_tags') AS name),"
     " created_tags AS ("
     "   INSERT INTO tags (tag) SELECT w.name FROM wanted_tags w"
     "    WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.tag = w.name)"
     "   ON CONFLICT (tag) DO UPDATE SET tag = EXCLUDED.tag"
     "   RETURNING id, tag),"
     " tag_ids AS (SELECT id, tag FROM created_tags"
     "   UNION ALL SELECT t.id, t.tag"
     "   FROM tags t JOIN wanted_tags w ON w.name = t.tag),"
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
     "   INSERT INTO tasks (state, priority, time_submitted, job_id, hidden,"
     "     attempts, failures, frame, tile, sent_to_agent, progress)"
     "   SELECT NULL, job.priority, now() AT TIME ZONE 'utc', job.id, false,"
     "     0, 0, f.frame, tl.tile, false, 0.0"
     "     FROM job, plan,"
     "     generate_series((plan.p->>'start')::numeric,"
     "                     (plan.p->>'end')::numeric,"
     "                     (plan.p->>'by')::numeric) AS f(frame),"
     "     LATERAL (SELECT generate_series(0, job.num_tiles - 1)"
     "               WHERE job.num_tiles > 0"
     "              UNION ALL SELECT NULL"
     "               WHERE COALESCE(job.num_tiles, 0) = 0) AS tl(tile)"
     "    ORDER BY f.frame, tl.tile),"
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
    {NULL, NULL}
};

/* Columns of pfj_submit_lookup, in order. */
enum lookup_column {
    LC_JOBTYPE_VERSION_ID, LC_SUPPORTS_TILING, LC_SOFTWARE,
    LC_MISSING_PARENT, LC_USER_ID, LC_QUEUE_ID, LC_MISSING_NOTIFIED,
    LC_GROUP_EXISTS, LC_ID_EXISTS
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

/* One submission on its way through the checks. */
typedef struct submit {
    pfj_req *q;
    apr_pool_t *p;
    json_object *body;
    json_object *lookup;    /* input of pfj_submit_lookup */
    json_object *row;       /* the jobs row, by column name */
    json_object *plan;      /* input of pfj_submit_insert */
    pfj_rows found;         /* the lookup's answer */
    const char *start;      /* start/end/by as decimal text */
    const char *end;
    const char *by;
    const char *start_token;    /* start/end as the answer shows them */
    const char *end_token;
} submit;

/* Every object built here belongs to the request pool. */
static apr_status_t release_json(void *o)
{
    json_object_put(o);
    return APR_SUCCESS;
}

static json_object *pooled(apr_pool_t *p, json_object *o)
{
    apr_pool_cleanup_register(p, o, release_json, apr_pool_cleanup_null);
    return o;
}

static json_object *field(const submit *s, const char *key)
{
    return json_object_object_get(s->body, key);
}

static int has_field(const submit *s, const char *key)
{
    return json_object_object_get_ex(s->body, key, NULL);
}

static void put(json_object *obj, const char *key, json_object *v)
{
    json_object_object_add(obj, key, v);
}

static void put_string(json_object *obj, const char *key, const char *v)
{
    put(obj, key, v ? json_object_new_string(v) : NULL);
}

static int fail(submit *s, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(submit *s, int status, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(s->p, fmt, ap);
    va_end(ap);
    return pfj_send_error(s->q, status, msg);
}

/* §9.5 errors are a list with one message. */
static int fail_requirement(submit *s, int status, const char *msg)
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

/* ---- checks before the lookup ---- */

static int check_media_and_model(submit *s)
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

static int check_relations(submit *s)
{
    int i;

    for (i = 0; unsettable_relations[i]; i++) {
        json_object *v = field(s, unsettable_relations[i]);
        if (v && json_object_array_length(v) > 0) {
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
static int check_jobtype(submit *s)
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
static void copy_requirement_name(submit *s, json_object *entry,
                                  json_object *out, const char *key)
{
    json_object *v = json_object_object_get(entry, key);

    put_string(out, key, v ? pfj_py_str(s->p, v) : NULL);
}

/* Lookup input of the software requirements: one entry per request entry
 * (an empty one for entries that are not objects). */
static void collect_software(submit *s)
{
    json_object *reqs = field(s, "software_requirements");
    json_object *list = json_object_new_array();
    size_t i;

    for (i = 0; reqs && i < json_object_array_length(reqs); i++) {
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
static int collect_parents(submit *s)
{
    json_object *parents = field(s, "parents");
    json_object *ids = json_object_new_array();
    size_t i;
    apr_int64_t id;

    put(s->lookup, "parents", ids);
    for (i = 0; parents && i < json_object_array_length(parents); i++) {
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
static int collect_user(submit *s)
{
    json_object *user = field(s, "user");

    if (!pfj_json_truthy(user)) {
        return DECLINED;
    }
    if (!json_object_is_type(user, json_type_string)) {
        return fail(s, HTTP_BAD_REQUEST, "user must be of type string");
    }
    put_string(s->lookup, "user", json_object_get_string(user));
    put_string(s->plan, "user", json_object_get_string(user));
    return DECLINED;
}

/* jobqueue: "top/child", walked down from a top-level queue (§9.6). */
static int collect_queue(submit *s)
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

static int collect_notified_entry(submit *s, json_object *entry,
                                  json_object *out)
{
    static const char *const flags[] = {"on_success", "on_failure",
                                        "on_deletion"};
    static const int defaults[] = {1, 1, 0};
    json_object *name = json_object_object_get(entry, "username");
    json_object *flag;
    int i;

    if (!json_object_is_type(name, json_type_string)) {
        return fail(s, HTTP_BAD_REQUEST,
                    "every notified user must be an object with a "
                    "`username` string");
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

static int collect_notified(submit *s)
{
    json_object *entries = field(s, "notified_users");
    json_object *names = json_object_new_array();
    json_object *plan = json_object_new_array();
    size_t i, j;
    int rc;

    put(s->lookup, "notified", names);
    put(s->plan, "notified", plan);
    for (i = 0; entries && i < json_object_array_length(entries); i++) {
        json_object *out = json_object_new_object();
        json_object_array_add(plan, out);
        rc = collect_notified_entry(s, json_object_array_get_idx(entries, i),
                                    out);
        if (rc != DECLINED) {
            return rc;
        }
        for (j = 0; j < i; j++) {
            if (strcmp(json_object_get_string(json_object_object_get(
                           json_object_array_get_idx(plan, j), "username")),
                       json_object_get_string(json_object_object_get(
                           out, "username"))) == 0) {
                return fail(s, HTTP_BAD_REQUEST,
                            "user %s is listed twice in notified_users",
                            json_object_get_string(json_object_object_get(
                                out, "username")));
            }
        }
        json_object_array_add(names, json_object_get(
                                  json_object_object_get(out, "username")));
    }
    return DECLINED;
}

/* Gathers what the lookup needs; refuses what cannot be looked up. */
static int collect_lookup(submit *s)
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

static int run_lookup(submit *s, pfj_db *db)
{
    const char *args[1];

    args[0] = json_object_to_json_string_ext(s->lookup,
                                             JSON_C_TO_STRING_PLAIN);
    if (pfj_db_select_row(db, "pfj_submit_lookup", 1, args, &s->found) != 1) {
        return pfj_send_db_failure(s->q, db);
    }
    return DECLINED;
}

static const char *found(const submit *s, enum lookup_column c)
{
    return pfj_db_col(&s->found, c);
}

/* ---- checks on the lookup's answer, in the reference's order ---- */

static int software_entry_error(submit *s, json_object *entry,
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
static int check_software(submit *s)
{
    json_object *reqs = field(s, "software_requirements");
    json_object *ids = NULL, *plan = json_object_new_array();
    const char *text = found(s, LC_SOFTWARE);
    size_t i, j;
    int rc;

    put(s->plan, "software", plan);
    if (reqs == NULL) {
        return DECLINED;
    }
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
static int check_references(submit *s)
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
static int check_integers(submit *s)
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
static int check_values(submit *s)
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
static int check_notified(submit *s)
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

static int frames_fit(json_object *v)
{
    return fabs(json_object_get_double(v)) < FRAME_LIMIT;
}

/* §3 steps 12-15 and §9.1: the frame range. */
static int check_frames(submit *s)
{
    json_object *start = field(s, "start"), *end = field(s, "end");
    json_object *by = field(s, "by");

    if (end && !start) {
        return fail(s, HTTP_BAD_REQUEST,
                    "`end` is specified while `start` is not");
    }
    if ((start && !pfj_json_is_number(start))
        || (end && !pfj_json_is_number(end))) {
        return fail(s, HTTP_BAD_REQUEST,
                    "`start` and `end` need to be of type decimal or int");
    }
    if (start && end
        && json_object_get_double(end) < json_object_get_double(start)) {
        return fail(s, HTTP_BAD_REQUEST,
                    "`end` must be larger than or equal to start");
    }
    if (by && !pfj_json_is_number(by)) {
        return fail(s, HTTP_BAD_REQUEST,
                    "`by` needs to be of type decimal or int");
    }
    if (by && json_object_get_double(by) < 0.00005) {
        return fail(s, HTTP_BAD_REQUEST, "`by` must be greater than 0");
    }
    if ((start && !frames_fit(start)) || (end && !frames_fit(end))) {
        return fail(s, HTTP_BAD_REQUEST,
                    "frames must be between -999999.9999 and 999999.9999");
    }
    s->start = start ? json_object_get_string(start) : "1";
    s->end = end ? json_object_get_string(end) : s->start;
    s->by = by ? json_object_get_string(by) : "1";
    s->start_token = start ? echo_token(s->p, start) : "1.0";
    s->end_token = end ? echo_token(s->p, end) : s->start_token;
    return DECLINED;
}

/* Tasks the range creates, against PyFarmJobsMaxTasksPerJob. */
static int check_task_count(submit *s)
{
    double span = strtod(s->end, NULL) - strtod(s->start, NULL);
    double frames = floor(span / strtod(s->by, NULL) + 1e-9) + 1;
    apr_int64_t tiles = 1, max = pfj_conf_max_tasks(s->q->conf);

    pfj_json_int64(field(s, "num_tiles"), &tiles);
    if (frames * (double)(tiles > 1 ? tiles : 1) > (double)max) {
        return fail(s, HTTP_BAD_REQUEST, "the frame range would create more "
                    "than %" APR_INT64_T_FMT " tasks", max);
    }
    return DECLINED;
}

/* §3 step 16. */
static int check_tiling(submit *s)
{
    json_object *tiles = field(s, "num_tiles");

    if (tiles && !pfj_db_bool(found(s, LC_SUPPORTS_TILING))) {
        return fail(s, HTTP_BAD_REQUEST, "`num_tiles` is set, but this "
                    "jobtype does not support tiling.");
    }
    return DECLINED;
}

/* tags (strings) and tag_requirements ([{"tag", "negate"}]; a falsy value
 * is ignored as the reference does). */
static int collect_tags(submit *s)
{
    json_object *tags = field(s, "tags"), *reqs = field(s, "tag_requirements");
    json_object *names = json_object_new_array();
    json_object *all = json_object_new_array();
    json_object *plan_reqs = json_object_new_array();
    size_t i;

    put(s->plan, "tags", names);
    put(s->plan, "all_tags", all);
    put(s->plan, "tag_requirements", plan_reqs);
    for (i = 0; tags && i < json_object_array_length(tags); i++) {
        json_object *t = json_object_array_get_idx(tags, i);
        if (!json_object_is_type(t, json_type_string)
            || pfj_utf8_length(json_object_get_string(t)) > 64) {
            return fail(s, HTTP_BAD_REQUEST, "tags must be strings of at "
                        "most 64 characters");
        }
        json_object_array_add(names, json_object_get(t));
        json_object_array_add(all, json_object_get(t));
    }
    if (!pfj_json_truthy(reqs)) {
        return DECLINED;
    }
    if (!json_object_is_type(reqs, json_type_array)) {
        return fail(s, HTTP_BAD_REQUEST, "tag_requirements must be a list");
    }
    for (i = 0; i < json_object_array_length(reqs); i++) {
        json_object *r = json_object_array_get_idx(reqs, i);
        json_object *tag = json_object_object_get(r, "tag");
        json_object *req = json_object_new_object();
        if (!json_object_is_type(tag, json_type_string)
            || pfj_utf8_length(json_object_get_string(tag)) > 64
            || !json_object_object_get_ex(r, "negate", NULL)) {
            return fail(s, HTTP_BAD_REQUEST, "every tag requirement needs a "
                        "`tag` string of at most 64 characters and "
                        "`negate`");
        }
        put(req, "tag", json_object_get(tag));
        put(req, "negate", json_object_new_boolean(pfj_json_truthy(
                               json_object_object_get(r, "negate"))));
        json_object_array_add(plan_reqs, req);
        json_object_array_add(all, json_object_get(tag));
    }
    return DECLINED;
}

/* ---- the row and the plan ---- */

/* The given columns, the defaults the database lacks, the looked-up ids. */
static void build_row(submit *s)
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
static void build_plan(submit *s)
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

static int insert_job(submit *s, pfj_db *db, const char **id)
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
static int store_and_answer(submit *s, pfj_db *db)
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
static int check_after_lookup(submit *s)
{
    int rc;

    if ((rc = check_references(s)) != DECLINED
        || (rc = check_values(s)) != DECLINED
        || (rc = check_notified(s)) != DECLINED
        || (rc = check_frames(s)) != DECLINED
        || (rc = check_task_count(s)) != DECLINED
        || (rc = check_tiling(s)) != DECLINED
        || (rc = collect_tags(s)) != DECLINED) {
        return rc;
    }
    return DECLINED;
}

int pfj_jobs_submit(pfj_req *q)
{
    submit s = {0};
    pfj_db *db;
    int rc;

    s.q = q;
    s.p = q->r->pool;
    s.body = q->body;
    s.lookup = pooled(s.p, json_object_new_object());
    s.row = pooled(s.p, json_object_new_object());
    s.plan = pooled(s.p, json_object_new_object());
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
        pfj_db_abort(db);
        pfj_db_end(db);
        return rc;
    }
    build_row(&s);
    build_plan(&s);
    return store_and_answer(&s, db);
}
