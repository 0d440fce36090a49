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
#include <errno.h>
#include <math.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <httpd.h>
#include <http_protocol.h>
#include <http_log.h>
#include "resources/job_input.h"
#include "resources/job_submit.h"
#include "resources/jobs.h"
#include "core/json_body.h"
#include "core/pyrepr.h"
#include "core/model_check.h"
#include "core/db_values.h"

APLOG_USE_MODULE(pyfarm_jobs);

const pfj_stmt pfj_job_submit_stmts[] = {
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
     PFJ_TAG_IDS_CTE
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
     "     NULL,"
     "     r.jobtype_version_id, r.job_queue_id, r.job_group_id,"
     "     (SELECT id FROM user_ids WHERE username = plan.p->>'user'),"
     "     r.minimum_agents, r.maximum_agents, r.weight, r.title, r.notes,"
     "     r.output_link, r.by, r.num_tiles, r.batch, r.requeue, r.cpus,"
     "     r.ram, r.ram_warning, r.ram_max, r.hidden, r.environ, r.data,"
     "     r.to_be_deleted, r.completion_notify_sent, r.autodelete_time"
     "     FROM json_populate_record(NULL::jobs, %s::json) r, plan"
     "   RETURNING id, priority, num_tiles),"
     " new_tasks AS ("
     PFJ_INSERT_TASKS("job.id", "job.priority", "job.num_tiles",
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
    {NULL, NULL}
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

/* Defaults the database does not have (schema.md §3.1). */
static const struct {
    const char *name;
    const char *json;
} job_defaults[] = {
    {"priority", "0"}, {"weight", "10"}, {"notes", "\"\""}, {"batch", "1"},
    {"requeue", "3"}, {"cpus", "1"}, {"ram", "32"}, {"hidden", "false"},
    {"to_be_deleted", "false"}, {"completion_notify_sent", "false"},
};

/* ---- checks before the lookup ---- */

static int check_media_and_model(pfj_job_input *s)
{
    const char *err;

    if (strcmp(s->q->mimetype, "application/json") != 0) {
        return pfj_input_fail(s, HTTP_UNSUPPORTED_MEDIA_TYPE,
                    "Unsupported mimetype, only {'application/json'} "
                    "mimetype(s) are supported.");
    }
    if ((err = pfj_validate(s->p, &job_model, s->body)) != NULL) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "%s", err);
    }
    return DECLINED;
}

static int check_relations(pfj_job_input *s)
{
    int i;

    for (i = 0; unsettable_relations[i]; i++) {
        json_object *v = pfj_input_field(s, unsettable_relations[i]);
        if (pfj_input_list_length(v) > 0) {
            return pfj_input_fail(s, HTTP_BAD_REQUEST,
                        "`%s` cannot be set when submitting a job",
                        unsettable_relations[i]);
        }
    }
    for (i = 0; scalar_relations[i]; i++) {
        if (pfj_input_has_field(s, scalar_relations[i])) {
            return pfj_input_fail(s, HTTP_BAD_REQUEST,
                        "`%s` cannot be set when submitting a job",
                        scalar_relations[i]);
        }
    }
    return DECLINED;
}

/* §3 steps 2-4. */
static int check_jobtype(pfj_job_input *s)
{
    json_object *jobtype = pfj_input_field(s, "jobtype");
    json_object *version;
    apr_int64_t v;

    if (!pfj_input_has_field(s, "jobtype")) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "No jobtype specified");
    }
    if (!json_object_is_type(jobtype, json_type_string)) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "jobtype must be of type string");
    }
    pfj_input_put_string(s->lookup, "jobtype", json_object_get_string(jobtype));
    if (json_object_object_get_ex(s->body, "jobtype_version", &version)) {
        if (!pfj_json_int64(version, &v) || v < INT32_MIN || v > INT32_MAX) {
            return pfj_input_fail(s, HTTP_BAD_REQUEST,
                        "jobtype_version must be of type int");
        }
        pfj_input_put(s->lookup, "version", json_object_get(version));
    }
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

static int collect_notified_entry(pfj_job_input *s, json_object *entry,
                                  json_object *out)
{
    static const char *const flags[] = {"on_success", "on_failure",
                                        "on_deletion"};
    static const int defaults[] = {1, 1, 0};
    json_object *name = json_object_object_get(entry, "username");
    json_object *flag;
    int i;

    if (!json_object_is_type(name, json_type_string)
        || pfj_utf8_length(json_object_get_string(name)) > PFJ_MAX_USERNAME) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST,
                    "every notified user must be an object with a "
                    "`username` string of at most 255 characters");
    }
    pfj_input_put_string(out, "username", json_object_get_string(name));
    for (i = 0; i < 3; i++) {
        if (!notified_flag(entry, flags[i], defaults[i], &flag)) {
            return pfj_input_fail(s, HTTP_BAD_REQUEST,
                        "`%s` of a notified user must be true or false",
                        flags[i]);
        }
        pfj_input_put(out, flags[i], flag);
    }
    return DECLINED;
}

static int collect_notified(pfj_job_input *s)
{
    json_object *entries = pfj_input_field(s, "notified_users");
    json_object *names = json_object_new_array();
    json_object *plan = json_object_new_array();
    const char *name;
    size_t i;
    int rc;

    pfj_input_put(s->lookup, "notified", names);
    pfj_input_put(s->plan, "notified", plan);
    for (i = 0; i < pfj_input_list_length(entries); i++) {
        json_object *out = json_object_new_object();
        json_object_array_add(plan, out);
        rc = collect_notified_entry(s, json_object_array_get_idx(entries, i),
                                    out);
        if (rc != DECLINED) {
            return rc;
        }
        name = json_object_get_string(json_object_object_get(out,
                                                             "username"));
        if (pfj_input_listed_before(names, NULL, name)) {
            return pfj_input_fail(s, HTTP_BAD_REQUEST,
                        "user %s is listed twice in notified_users", name);
        }
        json_object_array_add(names, json_object_new_string(name));
    }
    return DECLINED;
}

/* Gathers what the lookup needs; refuses what cannot be looked up. */
static int collect_lookup(pfj_job_input *s)
{
    int rc;
    apr_int64_t v;

    pfj_input_collect_software(s);
    if ((rc = pfj_input_collect_parents(s)) != DECLINED
        || (rc = pfj_input_collect_user(s)) != DECLINED
        || (rc = pfj_input_collect_queue(s)) != DECLINED
        || (rc = collect_notified(s)) != DECLINED) {
        return rc;
    }
    if (pfj_json_int64(pfj_input_field(s, "job_group_id"), &v)) {
        pfj_input_put(s->lookup, "group", json_object_new_int64(v));
    }
    if (pfj_json_int64(pfj_input_field(s, "id"), &v)) {
        pfj_input_put(s->lookup, "id", json_object_new_int64(v));
    }
    return DECLINED;
}

/* ---- checks on the lookup's answer, in the reference's order ---- */

/* §3 steps 5-9. */
static int check_references(pfj_job_input *s)
{
    const pfj_dir_conf *conf = s->q->conf;
    const char *missing;
    int rc;

    if (pfj_input_found(s, PFJ_LC_JOBTYPE_VERSION_ID) == NULL) {
        return pfj_send_json_string(s->q, HTTP_NOT_FOUND,
                                    "Jobtype or version not found");
    }
    if ((rc = pfj_input_check_software(s)) != DECLINED) {
        return rc;
    }
    if ((missing = pfj_input_found(s, PFJ_LC_MISSING_PARENT)) != NULL) {
        return pfj_send_json_string(s->q, HTTP_NOT_FOUND,
                                    apr_psprintf(s->p, "Parent job %s not "
                                                 "found", missing));
    }
    if (pfj_input_field(s, "user") && pfj_json_truthy(pfj_input_field(s, "user"))
        && pfj_input_found(s, PFJ_LC_USER_ID) == NULL && !pfj_conf_autocreate_users(conf)) {
        return pfj_input_fail(s, HTTP_NOT_FOUND, "User %s not found",
                    json_object_get_string(pfj_input_field(s, "user")));
    }
    if (json_object_object_get(s->lookup, "queue")
        && pfj_input_found(s, PFJ_LC_QUEUE_ID) == NULL) {
        return pfj_input_fail(s, HTTP_NOT_FOUND, "Jobqueue %s not found",
                    json_object_get_string(pfj_input_field(s, "jobqueue")));
    }
    return DECLINED;
}

/* §3 step 10: what the reference's model validators refuse (with 500). */
static int check_values(pfj_job_input *s)
{
    json_object *state = pfj_input_field(s, "state");
    json_object *title = pfj_input_field(s, "title");
    int rc;

    if ((rc = pfj_input_check_integers(s)) != DECLINED) {
        return rc;
    }
    if (state && (!json_object_is_type(state, json_type_string)
                  || pfj_state_code(json_object_get_string(state)) < 0)) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "`state` must be one of paused, "
                    "running, done, failed");
    }
    if (pfj_utf8_length(json_object_get_string(title)) > 255) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST,
                    "`title` is longer than 255 characters");
    }
    if (pfj_input_field(s, "job_group_id") && !pfj_db_bool(pfj_input_found(s, PFJ_LC_GROUP_EXISTS))) {
        return pfj_input_fail(s, HTTP_NOT_FOUND, "Job group %s not found",
                    json_object_get_string(pfj_input_field(s, "job_group_id")));
    }
    if (pfj_input_field(s, "id") && pfj_db_bool(pfj_input_found(s, PFJ_LC_ID_EXISTS))) {
        return pfj_input_fail(s, HTTP_CONFLICT, "Job %s already exists",
                    json_object_get_string(pfj_input_field(s, "id")));
    }
    return DECLINED;
}

/* §3 step 11. */
static int check_notified(pfj_job_input *s)
{
    const char *missing = pfj_input_found(s, PFJ_LC_MISSING_NOTIFIED);

    if (missing && !pfj_conf_autocreate_users(s->q->conf)) {
        return pfj_input_fail(s, HTTP_NOT_FOUND, "User %s not found", missing);
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

/* The decimal text of a present start/end/by, or the default. */
static const char *number_text(pfj_job_input *s, const char *key, const char *dflt)
{
    return pfj_input_has_field(s, key) ? json_object_get_string(pfj_input_field(s, key)) : dflt;
}

/* start/end must be numbers when present (even as null): §3 steps 12-14. */
static int check_range(pfj_job_input *s)
{
    int has_start = pfj_input_has_field(s, "start"), has_end = pfj_input_has_field(s, "end");

    if (has_end && !has_start) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST,
                    "`end` is specified while `start` is not");
    }
    if ((has_start && !pfj_json_is_number(pfj_input_field(s, "start")))
        || (has_end && !pfj_json_is_number(pfj_input_field(s, "end")))) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST,
                    "`start` and `end` need to be of type decimal or int");
    }
    s->start = number_text(s, "start", "1");
    s->end = number_text(s, "end", s->start);
    if (pfj_decimal_cmp(s->p, s->end, s->start) < 0) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST,
                    "`end` must be larger than or equal to start");
    }
    s->start_token = has_start ? echo_token(s->p, pfj_input_field(s, "start")) : "1.0";
    s->end_token = has_end ? echo_token(s->p, pfj_input_field(s, "end"))
                           : s->start_token;
    return DECLINED;
}

/* §3 steps 12-15 and §9.1: the frame range. */
static int check_frames(pfj_job_input *s)
{
    int rc = check_range(s);

    if (rc != DECLINED) {
        return rc;
    }
    if (pfj_input_has_field(s, "by") && !pfj_json_is_number(pfj_input_field(s, "by"))) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST,
                    "`by` needs to be of type decimal or int");
    }
    s->by = number_text(s, "by", "1");
    pfj_json_int64(pfj_input_field(s, "num_tiles"), &s->tiles);
    return pfj_input_check_step(s);
}

/* §3 step 16. */
static int check_tiling(pfj_job_input *s)
{
    json_object *tiles = pfj_input_field(s, "num_tiles");

    if (tiles && !pfj_db_bool(pfj_input_found(s, PFJ_LC_SUPPORTS_TILING))) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "`num_tiles` is set, but this "
                    "jobtype does not support tiling.");
    }
    return DECLINED;
}

/* tags: strings, created when unknown. */
static int collect_tag_names(pfj_job_input *s)
{
    json_object *tags = pfj_input_field(s, "tags");
    json_object *names = json_object_new_array();
    size_t i;

    pfj_input_put(s->plan, "tags", names);
    for (i = 0; i < pfj_input_list_length(tags); i++) {
        json_object *t = json_object_array_get_idx(tags, i);
        if (!json_object_is_type(t, json_type_string)
            || pfj_utf8_length(json_object_get_string(t)) > PFJ_MAX_TAG) {
            return pfj_input_fail(s, HTTP_BAD_REQUEST, "tags must be strings of at "
                        "most 64 characters");
        }
        json_object_array_add(names, json_object_get(t));
        json_object_array_add(s->all_tags, json_object_get(t));
    }
    return DECLINED;
}

/* ---- the row and the plan ---- */

/* The given columns, the defaults the database lacks, the looked-up ids. */
static void build_row(pfj_job_input *s)
{
    json_object *state = pfj_input_field(s, "state");
    const char *autodelete = pfj_conf_autodelete(s->p, s->q->conf);
    apr_size_t i;
    int code;

    json_object_object_foreach(s->body, key, val) {
        if (strcmp(key, "state") && strcmp(key, "data")
            && strcmp(key, "environ") && strcmp(key, "by")) {
            pfj_input_put(s->row, key, json_object_get(val));
        }
    }
    for (i = 0; i < PFJ_COUNT(job_defaults); i++) {
        if (!pfj_input_has_field(s, job_defaults[i].name)) {
            pfj_input_put(s->row, job_defaults[i].name,
                json_tokener_parse(job_defaults[i].json));
        }
    }
    if (!pfj_input_has_field(s, "autodelete_time") && autodelete) {
        pfj_input_put(s->row, "autodelete_time", json_tokener_parse(autodelete));
    }
    /* running and paused survive the creation of the tasks; a new job
     * cannot be done or failed (§9.1 step 5: the reference keeps only
     * running, and stamps a finish time on a queued job for those two) */
    code = state ? pfj_state_code(json_object_get_string(state)) : -1;
    if (code == PFJ_STATE_RUNNING || code == PFJ_STATE_PAUSED) {
        pfj_input_put(s->row, "state", json_object_new_int(code));
    }
    pfj_input_put_string(s->plan, "state", state ? json_object_get_string(state) : NULL);
    pfj_input_put_string(s->row, "by", s->by);
    pfj_input_put_string(s->row, "data", pfj_input_field(s, "data")
               ? pfj_json_to_string(s->p, pfj_input_field(s, "data")) : NULL);
    pfj_input_put_string(s->row, "environ", pfj_input_field(s, "environ")
               ? pfj_json_to_string(s->p, pfj_input_field(s, "environ")) : NULL);
    pfj_input_put_string(s->row, "jobtype_version_id", pfj_input_found(s, PFJ_LC_JOBTYPE_VERSION_ID));
    pfj_input_put_string(s->row, "job_queue_id", pfj_input_found(s, PFJ_LC_QUEUE_ID));
}

/* Users that must exist: the owner and the notified users (created when
 * missing, PyFarmJobsAutocreateUsers permitting). */
static void build_plan(pfj_job_input *s)
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
    pfj_input_put(s->plan, "users", users);
    pfj_input_put_string(s->plan, "email", pfj_conf_user_email(s->q->conf));
    pfj_input_put_string(s->plan, "start", s->start);
    pfj_input_put_string(s->plan, "end", s->end);
    pfj_input_put_string(s->plan, "by", s->by);
}

static int insert_job(pfj_job_input *s, pfj_db *db, const char **id)
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
static int store_and_answer(pfj_job_input *s, pfj_db *db)
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
static int check_after_lookup(pfj_job_input *s)
{
    int rc;

    if ((rc = check_references(s)) != DECLINED
        || (rc = check_values(s)) != DECLINED
        || (rc = check_notified(s)) != DECLINED
        || (rc = check_frames(s)) != DECLINED
        || (rc = pfj_input_check_task_count(s)) != DECLINED
        || (rc = check_tiling(s)) != DECLINED
        || (rc = collect_tag_names(s)) != DECLINED
        || (rc = pfj_input_collect_tag_requirements(s)) != DECLINED) {
        return rc;
    }
    return DECLINED;
}

int pfj_jobs_submit(pfj_req *q)
{
    pfj_job_input s;
    pfj_db *db;
    int rc;

    pfj_input_start(&s, q);
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
    if ((rc = pfj_input_run_lookup(&s, db)) != DECLINED
        || (rc = check_after_lookup(&s)) != DECLINED) {
        pfj_db_rollback(db);
        return rc;
    }
    build_row(&s);
    build_plan(&s);
    return store_and_answer(&s, db);
}

