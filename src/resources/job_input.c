/*
 * job_input.c - what a job submission and a job update share (spec api.md
 * §3, §6, §9.5, §9.6): the request on its way through the checks, the one
 * statement that answers every lookup, and the checks of the parts both
 * endpoints take (software requirements, parents, owner, queue, tag
 * requirements, integer columns, the frame step and the task count).
 */
#include <errno.h>
#include <math.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <httpd.h>
#include <http_protocol.h>
#include <http_log.h>
#include "resources/job_input.h"
#include "resources/jobs.h"
#include "core/json_body.h"
#include "core/pyrepr.h"
#include "core/db_values.h"

APLOG_USE_MODULE(pyfarm_jobs);

const pfj_stmt pfj_job_input_stmts[] = {
    /* Everything the checks of §3 and §6 look up, for one JSON document:
     * {"jobtype", "version", "software": [{"software", "min_version",
     * "max_version"}], "parents": [id], "user", "queue": [name],
     * "notified": [username], "group", "id", "user_id", "queue_id",
     * "job": the job an update changes}. */
    {"pfj_job_lookup",
     "WITH RECURSIVE input AS (SELECT %s::json AS j),"
     /* the jobs that depend on the updated one, directly or not: none of
      * them can become its parent */
     " descendants(id) AS ("
     "  SELECT d.childid FROM job_dependencies d, input"
     "   WHERE d.parentid = (input.j->>'job')::bigint"
     "  UNION"
     "  SELECT d.childid FROM job_dependencies d JOIN descendants s"
     "    ON d.parentid = s.id),"
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
     " (SELECT e.v FROM json_array_elements_text(input.j->'parents')"
     "         WITH ORDINALITY AS e(v, n)"
     "   WHERE e.v::bigint = (input.j->>'job')::bigint"
     "      OR e.v::bigint IN (SELECT id FROM descendants)"
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
    {NULL, NULL}
};

const char *const *pfj_job_lookup_row(pfj_db *db, const pfj_job_draft *d)
{
    const char *args[1];
    pfj_rows found;

    args[0] = json_object_to_json_string_ext(d->lookup,
                                             JSON_C_TO_STRING_PLAIN);
    if (pfj_db_select_row(db, "pfj_job_lookup", 1, args, &found) != 1) {
        return NULL;
    }
    return pfj_db_cols(&found, PFJ_LC_COUNT);
}

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

json_object *pfj_input_field(const pfj_job_input *s, const char *key)
{
    return json_object_object_get(s->body, key);
}

int pfj_input_has_field(const pfj_job_input *s, const char *key)
{
    return json_object_object_get_ex(s->body, key, NULL);
}

/* Length of a JSON array; 0 for anything else. */
size_t pfj_input_list_length(json_object *o)
{
    return json_object_is_type(o, json_type_array)
           ? json_object_array_length(o) : 0;
}

void pfj_input_put(json_object *obj, const char *key, json_object *v)
{
    json_object_object_add(obj, key, v);
}

void pfj_input_put_string(json_object *obj, const char *key, const char *v)
{
    pfj_input_put(obj, key, v ? json_object_new_string(v) : NULL);
}

int pfj_input_fail(pfj_job_input *s, int status, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(s->p, fmt, ap);
    va_end(ap);
    return pfj_send_error(s->q, status, msg);
}

/* §9.5 errors are a list with one message. */
int pfj_input_fail_requirement(pfj_job_input *s, int status, const char *msg)
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
int pfj_input_listed_before(json_object *list, const char *key,
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

/* A string member of a requirement entry as the lookup compares it (the
 * reference compares str() of whatever was sent). */
static void copy_requirement_name(pfj_job_input *s, json_object *entry,
                                  json_object *out, const char *key)
{
    json_object *v = json_object_object_get(entry, key);

    pfj_input_put_string(out, key, v ? pfj_py_str(s->p, v) : NULL);
}

/* Lookup input of the software requirements: one entry per request entry
 * (an empty one for entries that are not objects). */
void pfj_input_collect_software(pfj_job_input *s)
{
    json_object *reqs = pfj_input_field(s, "software_requirements");
    json_object *list = json_object_new_array();
    size_t i;

    for (i = 0; i < pfj_input_list_length(reqs); i++) {
        json_object *entry = json_object_array_get_idx(reqs, i);
        json_object *out = json_object_new_object();
        if (json_object_is_type(entry, json_type_object)) {
            copy_requirement_name(s, entry, out, "software");
            copy_requirement_name(s, entry, out, "min_version");
            copy_requirement_name(s, entry, out, "max_version");
        }
        json_object_array_add(list, out);
    }
    pfj_input_put(s->lookup, "software", list);
}

/* parents: [{"id": int}, ...] */
int pfj_input_collect_parents(pfj_job_input *s)
{
    json_object *parents = pfj_input_field(s, "parents");
    json_object *ids = json_object_new_array();
    size_t i;
    apr_int64_t id;

    pfj_input_put(s->lookup, "parents", ids);
    if (pfj_input_has_field(s, "parents")
        && !json_object_is_type(parents, json_type_array)) {
        /* what submission's model check says; an update has none */
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "field 'parents' has type "
                              "%s but we expected type(s) <class 'list'>",
                              pfj_py_class(parents));
    }
    for (i = 0; i < pfj_input_list_length(parents); i++) {
        json_object *entry = json_object_array_get_idx(parents, i);
        if (!pfj_json_int64(json_object_object_get(entry, "id"), &id)) {
            return pfj_input_fail(s, HTTP_BAD_REQUEST,
                        "every parent must be an object with an integer "
                        "`id`");
        }
        json_object_array_add(ids, json_object_new_int64(id));
    }
    if (pfj_input_has_field(s, "parents")) {
        pfj_input_put(s->plan, "parents", json_object_get(ids));
    }
    return DECLINED;
}

/* user: a truthy string names the owner; anything falsy means none. */
int pfj_input_collect_user(pfj_job_input *s)
{
    json_object *user = pfj_input_field(s, "user");

    if (!pfj_json_truthy(user)) {
        return DECLINED;
    }
    if (!json_object_is_type(user, json_type_string)) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "user must be of type string");
    }
    if (pfj_utf8_length(json_object_get_string(user)) > PFJ_MAX_USERNAME) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST,
                    "user names have at most 255 characters");
    }
    pfj_input_put_string(s->lookup, "user", json_object_get_string(user));
    pfj_input_put_string(s->plan, "user", json_object_get_string(user));
    return DECLINED;
}

/* jobqueue: "top/child", walked down from a top-level queue (§9.6). */
int pfj_input_collect_queue(pfj_job_input *s)
{
    json_object *queue = pfj_input_field(s, "jobqueue");
    json_object *names;
    const char *path, *slash;

    if (!pfj_json_truthy(queue)) {
        return DECLINED;
    }
    if (!json_object_is_type(queue, json_type_string)) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "jobqueue must be of type string");
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
    pfj_input_put(s->lookup, "queue", names);
    return DECLINED;
}

int pfj_input_run_lookup(pfj_job_input *s, pfj_db *db)
{
    const char *args[1];

    args[0] = json_object_to_json_string_ext(s->lookup,
                                             JSON_C_TO_STRING_PLAIN);
    if (pfj_db_select_row(db, "pfj_job_lookup", 1, args, &s->found) != 1) {
        return pfj_send_db_failure(s->q, db);
    }
    return DECLINED;
}

const char *pfj_input_found(const pfj_job_input *s, enum pfj_lookup_column c)
{
    return pfj_db_col(&s->found, c);
}

static int software_entry_error(pfj_job_input *s, json_object *entry,
                                json_object *ids)
{
    json_object *name = json_object_object_get(entry, "software");
    apr_array_header_t *extra = apr_array_make(s->p, 2, sizeof(char *));
    const char *bound[2] = {"min_version", "max_version"};
    int i;

    if (!json_object_is_type(entry, json_type_object)) {
        return pfj_input_fail_requirement(s, HTTP_BAD_REQUEST,
                                "Every software_requirement must be a dict");
    }
    if (name == NULL) {
        return pfj_input_fail_requirement(s, HTTP_BAD_REQUEST,
                                "Software requirement does not specify a "
                                "software.");
    }
    if (json_object_object_get(ids, "software_id") == NULL) {
        return pfj_input_fail_requirement(s, HTTP_NOT_FOUND,
                                apr_psprintf(s->p, "Software %s not found",
                                             pfj_py_str(s->p, name)));
    }
    for (i = 0; i < 2; i++) {
        json_object *v = json_object_object_get(entry, bound[i]);
        if (v && json_object_object_get(ids, apr_pstrcat(s->p, bound[i],
                                                         "_id", NULL))
                 == NULL) {
            return pfj_input_fail_requirement(s, HTTP_NOT_FOUND,
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
        return pfj_input_fail_requirement(s, HTTP_BAD_REQUEST,
                                apr_pstrcat(s->p, "Unexpected keys in "
                                            "software requirement: ",
                                            pfj_py_dict_keys_repr(s->p,
                                                                  extra),
                                            NULL));
    }
    return DECLINED;
}

/* §9.5: every entry resolved; the same software twice is refused. */
int pfj_input_check_software(pfj_job_input *s)
{
    json_object *reqs = pfj_input_field(s, "software_requirements");
    json_object *ids = NULL, *plan;
    const char *text = pfj_input_found(s, PFJ_LC_SOFTWARE);
    size_t i, j;
    int rc;

    if (!pfj_input_has_field(s, "software_requirements")) {
        return DECLINED;
    }
    if (!json_object_is_type(reqs, json_type_array)) {
        return pfj_input_fail_requirement(s, HTTP_BAD_REQUEST,
                                "software_requirements must be a list");
    }
    plan = json_object_new_array();
    pfj_input_put(s->plan, "software", plan);
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
                return pfj_input_fail_requirement(s, HTTP_BAD_REQUEST, apr_psprintf(
                    s->p, "Software %s is listed twice",
                    pfj_py_str(s->p, json_object_object_get(
                        json_object_array_get_idx(reqs, i), "software"))));
            }
        }
        json_object_array_add(plan, json_object_get(entry_ids));
    }
    return DECLINED;
}

/* Integer columns: 32 or 64 bits, and the reference's validator ranges. */
int pfj_input_check_integers(pfj_job_input *s)
{
    apr_size_t i, k;
    apr_int64_t v;

    for (i = 0; i < PFJ_COUNT(int_columns); i++) {
        json_object *o = pfj_input_field(s, int_columns[i].name);
        if (o == NULL) {
            continue;
        }
        if (json_object_is_type(o, json_type_boolean)) {
            return pfj_input_fail(s, HTTP_BAD_REQUEST, "field '%s' has type <class "
                        "'bool'> but we expected type(s) <class 'int'>",
                        int_columns[i].name);
        }
        if (!pfj_json_int64(o, &v)
            || (!int_columns[i].bigint && (v < INT32_MIN || v > INT32_MAX))) {
            return pfj_input_fail(s, HTTP_BAD_REQUEST, "field '%s' is out of range",
                        int_columns[i].name);
        }
        for (k = 0; k < PFJ_COUNT(int_ranges); k++) {
            if (strcmp(int_ranges[k].name, int_columns[i].name) == 0
                && (v < int_ranges[k].min || v > int_ranges[k].max)) {
                return pfj_input_fail(s, HTTP_BAD_REQUEST,
                            "`%s` must be between %" APR_INT64_T_FMT
                            " and %" APR_INT64_T_FMT, int_ranges[k].name,
                            int_ranges[k].min, int_ranges[k].max);
            }
        }
    }
    return DECLINED;
}

/* |x| < 999999.99995: NUMERIC(10,4) holds x once rounded. */
static int fits_numeric(apr_pool_t *p, const char *x)
{
    return pfj_decimal_cmp(p, x, "999999.99995") < 0
           && pfj_decimal_cmp(p, x, "-999999.99995") > 0;
}

/* s->by positive (the reference loops forever otherwise), at least
 * 0.0001 (smaller steps repeat frames once rounded to NUMERIC(10,4)), and
 * the whole range within NUMERIC(10,4). */
int pfj_input_check_step(pfj_job_input *s)
{
    if (pfj_decimal_cmp(s->p, s->by, "0") <= 0) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "`by` must be greater than 0");
    }
    if (pfj_decimal_cmp(s->p, s->by, "0.0001") < 0) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "`by` must be at least 0.0001");
    }
    if (!fits_numeric(s->p, s->start) || !fits_numeric(s->p, s->end)
        || !fits_numeric(s->p, s->by)) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "start, end and by must be "
                    "between -999999.9999 and 999999.9999");
    }
    return DECLINED;
}

/* Tasks the range creates (s->tiles per frame), against
 * PyFarmJobsMaxTasksPerJob. */
int pfj_input_check_task_count(pfj_job_input *s)
{
    double span = strtod(s->end, NULL) - strtod(s->start, NULL);
    double frames = floor(span / strtod(s->by, NULL) + 1e-9) + 1;
    apr_int64_t max = pfj_conf_max_tasks(s->q->conf);

    if (frames * (double)(s->tiles > 1 ? s->tiles : 1) > (double)max) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "the frame range would create more "
                    "than %" APR_INT64_T_FMT " tasks", max);
    }
    return DECLINED;
}

/* One {"tag", "negate"} entry into the plan's list. */
static int collect_tag_requirement(pfj_job_input *s, json_object *r,
                                   json_object *list)
{
    json_object *tag = json_object_object_get(r, "tag");
    json_object *req;

    if (!json_object_is_type(tag, json_type_string)
        || pfj_utf8_length(json_object_get_string(tag)) > PFJ_MAX_TAG
        || !json_object_object_get_ex(r, "negate", NULL)) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "every tag requirement needs a "
                    "`tag` string of at most 64 characters and `negate`");
    }
    if (pfj_input_listed_before(list, "tag", json_object_get_string(tag))) {
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "tag %s is required twice",
                    json_object_get_string(tag));
    }
    req = json_object_new_object();
    pfj_input_put(req, "tag", json_object_get(tag));
    pfj_input_put(req, "negate", json_object_new_boolean(pfj_json_truthy(
                           json_object_object_get(r, "negate"))));
    json_object_array_add(list, req);
    json_object_array_add(s->all_tags, json_object_get(tag));
    return DECLINED;
}

/* tag_requirements: [{"tag", "negate"}], unknown tags created; a list,
 * even an empty one, replaces the job's requirements (the reference
 * ignores an empty list, so an update could not clear them); any other
 * falsy value is ignored. */
int pfj_input_collect_tag_requirements(pfj_job_input *s)
{
    json_object *reqs = pfj_input_field(s, "tag_requirements");
    json_object *list;
    size_t i;
    int rc;

    if (!json_object_is_type(reqs, json_type_array)) {
        if (!pfj_json_truthy(reqs)) {
            return DECLINED;
        }
        return pfj_input_fail(s, HTTP_BAD_REQUEST, "tag_requirements must be a list");
    }
    list = json_object_new_array();
    pfj_input_put(s->plan, "tag_requirements", list);
    for (i = 0; i < json_object_array_length(reqs); i++) {
        rc = collect_tag_requirement(s, json_object_array_get_idx(reqs, i),
                                     list);
        if (rc != DECLINED) {
            return rc;
        }
    }
    return DECLINED;
}

/* A fresh pfj_job_input for the request. */
void pfj_input_start(pfj_job_input *s, pfj_req *q)
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
    pfj_input_put(s->plan, "all_tags", s->all_tags);
}

