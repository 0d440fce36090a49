/*
 * job_update.c - POST /api/v1/jobs/<job>: update a job (spec api.md §6,
 * §9.1, §9.2), step by step in the reference's order, on the job's locked
 * row; the changes, the tasks of a new frame range and the replaced
 * requirements are written by one statement.
 */
#include <errno.h>
#include <math.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <httpd.h>
#include <http_protocol.h>
#include <http_log.h>
#include "resources/job_input.h"
#include "resources/job_update.h"
#include "resources/jobs.h"
#include "core/json_body.h"
#include "core/pyrepr.h"
#include "core/model_check.h"
#include "core/db_values.h"

APLOG_USE_MODULE(pyfarm_jobs);

/* A job that was running or paused with a start time keeps it. */
#define WAS_STARTED \
    "(COALESCE(j.state IN (100, 105), false) AND j.time_started IS NOT NULL)"

/* Taken before an update that changes a job's parents: two such updates
 * at once could otherwise each pass the cycle check and make a cycle
 * together.  (A new job has no children, so submissions cannot.) */
#define DEPENDENCY_LOCK_KEY "7377349101187360112"

const pfj_stmt pfj_job_update_stmts[] = {
    {"pfj_update_lock_dependencies",
     "SELECT pg_advisory_xact_lock(" DEPENDENCY_LOCK_KEY ")"},
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
     * "tag_requirements": [{"tag", "negate"}] and "parents": [id] (each
     * replaces the job's, or is absent), "all_tags": [names]}.  Tasks of frames outside a new
     * range go, tasks of its new frames come; creating frames resets the
     * state unless one is set or the job is paused.  Returns the counts of deleted and created
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
     PFJ_INSERT_TASKS("job.id", "job.priority", "job.num_tiles", "new_frames")
     "   RETURNING 1),"
     PFJ_TAG_IDS_CTE
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
     " parents_dropped AS ("
     "   DELETE FROM job_dependencies d USING plan"
     "    WHERE d.childid = (plan.p->>'job')::bigint"
     "      AND plan.p->'parents' IS NOT NULL"
     "      AND d.parentid NOT IN (SELECT v::bigint"
     "            FROM json_array_elements_text(plan.p->'parents') AS v)),"
     " parents_added AS ("
     "   INSERT INTO job_dependencies (parentid, childid)"
     "   SELECT DISTINCT v::bigint, job.id"
     "     FROM job, plan, json_array_elements_text(plan.p->'parents') AS v"
     "   ON CONFLICT DO NOTHING),"
     " updated AS ("
     "   UPDATE jobs j SET"
     "     state = CASE WHEN plan.p->>'state' IS NOT NULL THEN r.state"
     "                  WHEN EXISTS (SELECT 1 FROM new_frames)"
     "                   AND j.state IS DISTINCT FROM 100 THEN NULL"
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
    "start", "end", "by", "parents", "user", "jobqueue",
    "software_requirements", "tag_requirements", "jobtype_version", NULL
};

static const char *const class_names[] = {
    [UK_INT] = "<class 'int'>", [UK_BIGINT] = "<class 'int'>",
    [UK_STR] = "<class 'str'>", [UK_BOOL] = "<class 'bool'>",
    [UK_DICT] = "<class 'dict'>",
    [UK_STATE] = "(<class 'str'>, <class 'int'>)"
};

static const char *target(const pfj_job_input *s, enum target_column c)
{
    return pfj_db_col(&s->target, c);
}

/* A start/end/by of an update as decimal text: numbers, numeric strings
 * and booleans convert as Python's Decimal() converts them; NULL for
 * anything else. */
static const char *update_decimal(pfj_job_input *s, json_object *v)
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
static int update_range(pfj_job_input *s)
{
    const char *part[3] = {"start", "end", "by"};
    const char *old[3] = {target(s, TC_FIRST_FRAME), target(s, TC_LAST_FRAME),
                          target(s, TC_BY) ? target(s, TC_BY) : "1"};
    const char *value[3];
    json_object *range;
    int i, rc;

    for (i = 0; i < 3; i++) {
        value[i] = pfj_input_has_field(s, part[i]) ? update_decimal(s, pfj_input_field(s, part[i]))
                                         : old[i];
        if (value[i] == NULL) {
            return pfj_input_fail(s, HTTP_BAD_REQUEST,
                        "`%s` needs to be of type decimal or int", part[i]);
        }
    }
    s->start = value[0], s->end = value[1], s->by = value[2];
    s->start_token = pfj_fmt_double(s->p, strtod(s->start, NULL));
    s->end_token = pfj_fmt_double(s->p, strtod(s->end, NULL));
    if (!pfj_input_has_field(s, "start") && !pfj_input_has_field(s, "end")
        && !pfj_input_has_field(s, "by")) {
        return DECLINED;
    }
    if (pfj_decimal_cmp(s->p, s->end, s->start) < 0) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST,
                    "`end` must be greater than or equal to `start`");
    }
    s->tiles = target(s, TC_NUM_TILES) ? apr_atoi64(target(s, TC_NUM_TILES))
                                       : 0;
    if ((rc = pfj_input_check_step(s)) != DECLINED
        || (rc = pfj_input_check_task_count(s)) != DECLINED) {
        return rc;
    }
    range = json_object_new_object();
    pfj_input_put_string(range, "start", s->start);
    pfj_input_put_string(range, "end", s->end);
    pfj_input_put_string(range, "by", s->by);
    pfj_input_put(s->plan, "range", range);
    pfj_input_put_string(s->columns, "by", s->by);
    return DECLINED;
}

/* The lookup input of an update: the job's own jobtype with the version
 * asked for, and the references the body names. */
static int collect_update_lookup(pfj_job_input *s)
{
    apr_int64_t v;
    int rc;

    pfj_input_put_string(s->lookup, "job", target(s, TC_ID));
    pfj_input_put_string(s->lookup, "jobtype", target(s, TC_JOBTYPE));
    if (pfj_json_int64(pfj_input_field(s, "jobtype_version"), &v)
        && v >= INT32_MIN && v <= INT32_MAX) {
        pfj_input_put(s->lookup, "version", json_object_new_int64(v));
    }
    pfj_input_collect_software(s);
    if ((rc = pfj_input_collect_parents(s)) != DECLINED
        || (rc = pfj_input_collect_user(s)) != DECLINED
        || (rc = pfj_input_collect_queue(s)) != DECLINED) {
        return rc;
    }
    if (pfj_json_int64(pfj_input_field(s, "job_group_id"), &v)) {
        pfj_input_put(s->lookup, "group", json_object_new_int64(v));
    }
    if (pfj_json_int64(pfj_input_field(s, "user_id"), &v)) {
        pfj_input_put(s->lookup, "user_id", json_object_new_int64(v));
    }
    if (pfj_json_int64(pfj_input_field(s, "job_queue_id"), &v)) {
        pfj_input_put(s->lookup, "queue_id", json_object_new_int64(v));
    }
    return DECLINED;
}

/* §6 step 5: the new parents exist, and none is the job or depends on
 * it. */
static int update_parents(pfj_job_input *s)
{
    const char *missing = pfj_input_found(s, PFJ_LC_MISSING_PARENT);
    const char *cyclic = pfj_input_found(s, PFJ_LC_CYCLIC_PARENT);

    if (missing) {
        return pfj_send_json_string(s->q, HTTP_NOT_FOUND,
                                    apr_psprintf(s->p, "Parent job %s not "
                                                 "found", missing));
    }
    if (cyclic && strcmp(cyclic, target(s, TC_ID)) == 0) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST,
                              "A job cannot be its own parent");
    }
    if (cyclic) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "Job %s depends on this "
                              "job and cannot be its parent", cyclic);
    }
    return DECLINED;
}

/* §6 steps 6-7: the owner, the queue. */
static int update_references(pfj_job_input *s)
{
    if (json_object_object_get(s->lookup, "user")) {
        if (pfj_input_found(s, PFJ_LC_USER_ID) == NULL) {
            return pfj_input_fail(s, HTTP_NOT_FOUND, "User %s not found",
                        json_object_get_string(pfj_input_field(s, "user")));
        }
        pfj_input_put_string(s->columns, "user_id", pfj_input_found(s, PFJ_LC_USER_ID));
    }
    if (json_object_object_get(s->lookup, "queue")) {
        if (pfj_input_found(s, PFJ_LC_QUEUE_ID) == NULL) {
            return pfj_input_fail(s, HTTP_NOT_FOUND, "Jobqueue %s not found",
                        json_object_get_string(pfj_input_field(s, "jobqueue")));
        }
        pfj_input_put_string(s->columns, "job_queue_id", pfj_input_found(s, PFJ_LC_QUEUE_ID));
    }
    return DECLINED;
}

/* §6 steps 8-10: what cannot be set at all. */
static int update_read_only(pfj_job_input *s)
{
    static const char *const times[] = {"time_started", "time_finished",
                                        "time_submitted"};
    int i;

    for (i = 0; i < 3; i++) {
        if (pfj_input_has_field(s, times[i])) {
            return pfj_input_fail(s, HTTP_BAD_REQUEST, "`%s` cannot be set manually",
                        times[i]);
        }
    }
    if (pfj_input_has_field(s, "jobtype_version_id")) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST,
                    "`jobtype_version_id` cannot be set manually");
    }
    if (pfj_input_has_field(s, "jobgroup")) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST,
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

    if (pfj_input_list_length(e) == 2) {
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
static const char *converted_repr(pfj_job_input *s, update_kind kind,
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

/* A value of the wrong type: 400 quoting the value converted to the
 * column's type where the reference can convert it (it answers 200 with
 * that error), else quoting the value's own type (it crashes). */
static int wrong_type(pfj_job_input *s, const char *name, update_kind kind,
                      json_object *v)
{
    const char *repr = converted_repr(s, kind, v);

    if (kind == UK_STATE) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "`state` must be one of paused, "
                    "running, done, failed");
    }
    if (repr == NULL) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "Column `%s` is of type %s, but we "
                    "expected %s", name, pfj_py_class(v), class_names[kind]);
    }
    return pfj_input_fail(s, HTTP_BAD_REQUEST, "Column `%s` is of type %s, "
                          "but we expected %s", name, repr, class_names[kind]);
}

/* The value of a column once its type is right: ranges, references. */
static int check_column_value(pfj_job_input *s, const char *name,
                              update_kind kind, json_object *v)
{
    if (strcmp(name, "id") == 0
        && strcmp(json_object_get_string(v), target(s, TC_ID)) != 0) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "`id` cannot be changed");
    }
    if (strcmp(name, "job_group_id") == 0
        && !pfj_db_bool(pfj_input_found(s, PFJ_LC_GROUP_EXISTS))) {
        return pfj_input_fail(s, HTTP_NOT_FOUND, "Job group %s not found",
                    json_object_get_string(v));
    }
    if (strcmp(name, "user_id") == 0
        && !pfj_db_bool(pfj_input_found(s, PFJ_LC_USER_ID_EXISTS))) {
        return pfj_input_fail(s, HTTP_NOT_FOUND, "User %s not found",
                    json_object_get_string(v));
    }
    if (strcmp(name, "job_queue_id") == 0
        && !pfj_db_bool(pfj_input_found(s, PFJ_LC_QUEUE_ID_EXISTS))) {
        return pfj_input_fail(s, HTTP_NOT_FOUND, "Jobqueue %s not found",
                    json_object_get_string(v));
    }
    if (kind == UK_STR && strcmp(name, "title") == 0
        && pfj_utf8_length(json_object_get_string(v)) > 255) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST,
                    "`title` is longer than 255 characters");
    }
    return DECLINED;
}

/* Copies a checked column value into the new row values. */
static void set_column(pfj_job_input *s, const char *name, update_kind kind,
                       json_object *v)
{
    if (kind == UK_STATE) {
        pfj_input_put(s->columns, "state",
            json_object_new_int(pfj_state_code(json_object_get_string(v))));
        pfj_input_put_string(s->plan, "state", json_object_get_string(v));
    }
    else if (kind == UK_DICT) {
        pfj_input_put_string(s->columns, name, pfj_json_to_string(s->p, v));
    }
    else {
        pfj_input_put(s->columns, name, json_object_get(v));
    }
}

/* §6 step 11, in the body's order. */
static int update_columns_step(pfj_job_input *s)
{
    apr_size_t i;
    int rc;

    json_object_object_foreach(s->body, key, val) {
        for (i = 0; i < PFJ_COUNT(update_columns); i++) {
            if (strcmp(key, update_columns[i].name) == 0) {
                break;
            }
        }
        if (i == PFJ_COUNT(update_columns)) {
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
    return pfj_input_check_integers(s);
}

/* §6 step 14. */
static int update_jobtype_version(pfj_job_input *s)
{
    if (!pfj_json_truthy(pfj_input_field(s, "jobtype_version"))) {
        return DECLINED;
    }
    if (json_object_object_get(s->lookup, "version") == NULL
        || pfj_input_found(s, PFJ_LC_JOBTYPE_VERSION_ID) == NULL) {
        /* the reference names None here, whatever was asked for */
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "Unknown jobtype version: %s",
                              pfj_py_repr(s->p, pfj_input_field(s, "jobtype_version")));
    }
    pfj_input_put_string(s->columns, "jobtype_version_id",
               pfj_input_found(s, PFJ_LC_JOBTYPE_VERSION_ID));
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
    for (i = 0; i < PFJ_COUNT(update_columns); i++) {
        if (strcmp(key, update_columns[i].name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* §6 step 15: {'tags': [...], 'jobtype': ...} as a Python dict. */
static int update_unknown_columns(pfj_job_input *s)
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
    return pfj_input_fail(s, HTTP_BAD_REQUEST, "Unknown columns: %s",
                pfj_py_repr(s->p, rest));
}

/* Steps 4-15 of §6 on a locked job. */
static int check_update(pfj_job_input *s, pfj_db *db)
{
    int rc;

    if ((rc = update_range(s)) != DECLINED
        || (rc = collect_update_lookup(s)) != DECLINED
        || (rc = pfj_input_run_lookup(s, db)) != DECLINED
        || (rc = update_parents(s)) != DECLINED
        || (rc = update_references(s)) != DECLINED
        || (rc = update_read_only(s)) != DECLINED
        || (rc = update_columns_step(s)) != DECLINED
        || (rc = pfj_input_check_software(s)) != DECLINED
        || (rc = pfj_input_collect_tag_requirements(s)) != DECLINED
        || (rc = update_jobtype_version(s)) != DECLINED
        || (rc = update_unknown_columns(s)) != DECLINED) {
        return rc;
    }
    return DECLINED;
}

/* Applies the update, recomputes the state after a range change, and
 * answers with the job (§6: no notified_users). */
static int apply_update(pfj_job_input *s, pfj_db *db)
{
    const char *args[1];
    pfj_rows rows, job;
    pfj_jw *w;

    pfj_input_put_string(s->plan, "job", target(s, TC_ID));
    pfj_input_put(s->plan, "columns", json_object_get(s->columns));
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
static int lock_target(pfj_job_input *s, pfj_db *db)
{
    const char *args[2];
    int got;

    if (!pfj_job_ref(s->q->route.args[0], &args[0], &args[1])) {
        return pfj_input_fail(s, HTTP_NOT_FOUND, "Job not found");
    }
    /* before the job's row lock, so that two such updates never hold one
     * lock each while waiting for the other's */
    if (pfj_input_has_field(s, "parents")
        && pfj_db_select_row(db, "pfj_update_lock_dependencies", 0, NULL,
                             &s->target) < 0) {
        return pfj_send_db_failure(s->q, db);
    }
    got = pfj_db_select_row(db, "pfj_update_target", 2, args, &s->target);
    if (got < 0) {
        return pfj_send_db_failure(s->q, db);
    }
    if (got == 0) {
        return pfj_input_fail(s, HTTP_NOT_FOUND, "Job not found");
    }
    if (pfj_input_has_field(s, "tiles")) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST,
                    "Frame tiling cannot be updated after job creation.");
    }
    if (target(s, TC_FIRST_FRAME) == NULL) {
        return pfj_input_fail(s, HTTP_INTERNAL_SERVER_ERROR,
                    "Job does not have any tasks");
    }
    return DECLINED;
}

int pfj_jobs_update(pfj_req *q)
{
    pfj_job_input s;
    pfj_db *db;
    int rc;

    pfj_input_start(&s, q);
    if (!json_object_is_type(s.body, json_type_object)) {
        return pfj_input_fail(&s, HTTP_BAD_REQUEST, "%s",
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

