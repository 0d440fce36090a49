/*
 * job_rules.c - the rules a job submission and a job update share
 * (doc/api.md §3, §6, §9.1, §9.5, §9.6; see job_rules.h).
 */
#include <math.h>
#include <string.h>
#include <apr_strings.h>
#include "core/job_rules.h"
#include "core/job_columns.h"
#include "core/json_body.h"
#include "core/pyrepr.h"
#include "core/model_check.h"
#include "core/db_values.h"

/* What a request may send for a column (core/job_columns.h). */
typedef enum input_kind {
    IN_ID,
    IN_INT,
    IN_BIGINT,
    IN_STR,
    IN_BOOL,
    IN_DICT,
    IN_STATE,
    IN_DECIMAL,
    IN_TIME
} input_kind;

/* A jobs column: its input kind, the range of an integer, the longest
 * text. */
typedef struct job_column {
    const char *name;
    input_kind input;
    apr_int64_t min, max;
} job_column;

/* clang-format off */
#define JOB_COLUMN(name, render, schema, input, min, max) \
    {#name, IN_##input, min, max},
static const job_column job_columns[] = {
    PFJ_JOB_COLUMNS(JOB_COLUMN, )
};
/* clang-format on */

/* §9.5 errors are a list with one message. */
static const pfj_refusal *requirement_error(apr_pool_t *p, int status,
                                            const char *msg)
{
    return pfj_refuse_as(p, status, PFJ_REFUSAL_ERROR_LIST, msg);
}

pfj_job_draft *pfj_draft_new(apr_pool_t *p, json_object *body,
                             const pfj_dir_conf *conf)
{
    pfj_job_draft *d = apr_pcalloc(p, sizeof(*d));

    d->p = p;
    d->body = body;
    d->conf = conf;
    d->lookup = pfj_json_pooled(p, json_object_new_object());
    d->plan = pfj_json_pooled(p, json_object_new_object());
    d->row = pfj_json_pooled(p, json_object_new_object());
    d->all_tags = pfj_put_list(d->plan, "all_tags");
    d->listed = pfj_json_pooled(p, json_object_new_object());
    return d;
}

const pfj_refusal *pfj_draft_run(pfj_job_draft *d,
                                 const pfj_draft_check *checks, size_t n)
{
    const pfj_refusal *no = NULL;
    size_t i;

    for (i = 0; i < n && no == NULL; i++) {
        no = checks[i](d);
    }
    return no;
}

const pfj_refusal *pfj_draft_prepare(apr_pool_t *p, json_object *body,
                                     const pfj_dir_conf *conf,
                                     const char *auth_user,
                                     const char *const *target,
                                     const pfj_job_decision *decision,
                                     pfj_job_draft **draft)
{
    pfj_job_draft *d = pfj_draft_new(p, body, conf);

    d->decision = decision;
    d->auth_user = auth_user;
    d->target = target;
    *draft = d;
    return pfj_draft_run(d, decision->before, decision->n_before);
}

const pfj_refusal *pfj_draft_decide(pfj_job_draft *d, const char *const *found,
                                    pfj_job_plan *plan)
{
    const pfj_refusal *no;

    d->found = found;
    no = pfj_draft_run(d, d->decision->after, d->decision->n_after);
    if (no != NULL) {
        return no;
    }
    memset(plan, 0, sizeof(*plan));
    plan->plan = d->plan;
    plan->start_token = d->start_token;
    plan->end_token = d->end_token;
    d->decision->complete(d, plan);
    return NULL;
}

const pfj_refusal *pfj_draft_each(pfj_job_draft *d, const char *key,
                                  pfj_element_check check, json_object *out)
{
    json_object *list = pfj_draft_field(d, key);
    const pfj_refusal *no = NULL;
    size_t i;

    for (i = 0; i < pfj_list_length(list) && no == NULL; i++) {
        no = check(d, json_object_array_get_idx(list, i), out);
    }
    return no;
}

json_object *pfj_draft_field(const pfj_job_draft *d, const char *key)
{
    return json_object_object_get(d->body, key);
}

int pfj_draft_has_field(const pfj_job_draft *d, const char *key)
{
    return json_object_object_get_ex(d->body, key, NULL);
}

int pfj_draft_first_listing(pfj_job_draft *d, const char *list,
                            const char *value)
{
    json_object *seen;

    if (!json_object_object_get_ex(d->listed, list, &seen)) {
        /* owned by d->listed, which the pool releases */
        seen = json_object_new_object();
        json_object_object_add(d->listed, list, seen);
    }
    return pfj_string_set_add(seen, value);
}

const char *pfj_draft_found(const pfj_job_draft *d, enum pfj_lookup_column c)
{
    return d->found[c];
}

int pfj_draft_found_true(const pfj_job_draft *d, enum pfj_lookup_column c)
{
    const char *v = pfj_draft_found(d, c);

    return v != NULL && v[0] == 't';
}

/* ---- before the lookup ---- */

/* A string member of a requirement entry as the lookup compares it (the
 * reference compares str() of whatever was sent). */
static void copy_requirement_name(pfj_job_draft *d, json_object *entry,
                                  json_object *out, const char *key)
{
    json_object *v = json_object_object_get(entry, key);

    pfj_put_string(out, key, v ? pfj_py_str(d->p, v) : NULL);
}

/* One requirement's names into the lookup's list; an empty entry for an
 * entry that is not an object. */
static const pfj_refusal *collect_software_entry(pfj_job_draft *d,
                                                 json_object *entry,
                                                 json_object *list)
{
    json_object *out = json_object_new_object();

    json_object_array_add(list, out);
    if (json_object_is_type(entry, json_type_object)) {
        copy_requirement_name(d, entry, out, "software");
        copy_requirement_name(d, entry, out, "min_version");
        copy_requirement_name(d, entry, out, "max_version");
    }
    return NULL;
}

void pfj_draft_collect_software(pfj_job_draft *d)
{
    pfj_draft_each(d, "software_requirements", collect_software_entry,
                   pfj_put_list(d->lookup, "software"));
}

/* One parent's id into the list ids. */
static const pfj_refusal *collect_parent(pfj_job_draft *d, json_object *entry,
                                         json_object *ids)
{
    apr_int64_t id;

    if (!pfj_json_int64(json_object_object_get(entry, "id"), &id)) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "every parent must be an object with "
                          "an integer `id`");
    }
    json_object_array_add(ids, json_object_new_int64(id));
    return NULL;
}

const pfj_refusal *pfj_draft_collect_parents(pfj_job_draft *d)
{
    json_object *parents = pfj_draft_field(d, "parents");
    json_object *ids = pfj_put_list(d->lookup, "parents");
    const pfj_refusal *no;

    if (pfj_draft_has_field(d, "parents")
        && !json_object_is_type(parents, json_type_array)) {
        /* what submission's model check says; an update has none */
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "field 'parents' has "
                          "type %s but we expected type(s) <class 'list'>",
                          pfj_py_class(parents));
    }
    if ((no = pfj_draft_each(d, "parents", collect_parent, ids)) != NULL) {
        return no;
    }
    if (pfj_draft_has_field(d, "parents")) {
        json_object_object_add(d->plan, "parents", json_object_get(ids));
    }
    return NULL;
}

/* Anything falsy means no owner. */
const pfj_refusal *pfj_draft_collect_user(pfj_job_draft *d)
{
    json_object *user = pfj_draft_field(d, "user");
    const pfj_refusal *no;

    if (!pfj_json_truthy(user)) {
        return NULL;
    }
    if (!json_object_is_type(user, json_type_string)) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "user must be of type string");
    }
    if ((no = pfj_draft_set_owner(d, json_object_get_string(user))) != NULL) {
        return no;
    }
    return pfj_draft_check_owner(d, json_object_get_string(user));
}

const char *pfj_draft_auth_owner(const pfj_job_draft *d)
{
    /* an empty name authenticates nobody */
    if (pfj_conf_user_from_auth(d->conf) == PFJ_USER_FROM_AUTH_OFF
        || d->auth_user == NULL || d->auth_user[0] == '\0') {
        return NULL;
    }
    return d->auth_user;
}

const pfj_refusal *pfj_draft_set_owner(pfj_job_draft *d, const char *name)
{
    if (pfj_utf8_length(name) > PFJ_MAX_USERNAME) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "user names have at most 255 characters");
    }
    pfj_put_string(d->lookup, "user", name);
    pfj_put_string(d->plan, "user", name);
    return NULL;
}

const pfj_refusal *pfj_draft_check_owner(pfj_job_draft *d, const char *name)
{
    const char *auth = pfj_draft_auth_owner(d);

    if (auth == NULL || strcmp(name, auth) == 0
        || pfj_conf_user_from_auth(d->conf)
               == PFJ_USER_FROM_AUTH_ALLOW_OTHERS) {
        return NULL;
    }
    return pfj_refuse(d->p, PFJ_HTTP_FORBIDDEN,
                      "user must be the authenticated user %s, not %s", auth,
                      name);
}

/* The queue is walked down from a top-level one by these names. */
const pfj_refusal *pfj_draft_collect_queue(pfj_job_draft *d)
{
    json_object *queue = pfj_draft_field(d, "jobqueue");
    json_object *names;
    const char *path, *slash;

    if (!pfj_json_truthy(queue)) {
        return NULL;
    }
    if (!json_object_is_type(queue, json_type_string)) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "jobqueue must be of type string");
    }
    names = pfj_put_list(d->lookup, "queue");
    for (path = json_object_get_string(queue);; path = slash + 1) {
        slash = strchr(path, '/');
        json_object_array_add(names,
                              slash ? json_object_new_string_len(path,
                                                                 (int)(slash
                                                                       - path))
                                    : json_object_new_string(path));
        if (slash == NULL) {
            break;
        }
    }
    return NULL;
}

void pfj_draft_collect_id(pfj_job_draft *d, const char *field, const char *as)
{
    apr_int64_t v;

    if (pfj_json_int64(pfj_draft_field(d, field), &v)) {
        json_object_object_add(d->lookup, as, json_object_new_int64(v));
    }
}

/* ---- on the lookup's row ---- */

/* An entry's own errors, in the reference's order; ids: its lookup
 * answer {"software_id", "min_version_id", "max_version_id"}. */
static const pfj_refusal *software_entry_error(pfj_job_draft *d,
                                               json_object *entry,
                                               json_object *ids)
{
    json_object *name = json_object_object_get(entry, "software");
    apr_array_header_t *extra = apr_array_make(d->p, 2, sizeof(char *));
    const char *bound[2] = {"min_version", "max_version"};
    int i;

    if (!json_object_is_type(entry, json_type_object)) {
        return requirement_error(d->p, PFJ_HTTP_BAD_REQUEST,
                                 "Every software_requirement must be a dict");
    }
    if (name == NULL) {
        return requirement_error(d->p, PFJ_HTTP_BAD_REQUEST,
                                 "Software requirement does not specify a "
                                 "software.");
    }
    if (json_object_object_get(ids, "software_id") == NULL) {
        return requirement_error(d->p, PFJ_HTTP_NOT_FOUND,
                                 apr_psprintf(d->p, "Software %s not found",
                                              pfj_py_str(d->p, name)));
    }
    for (i = 0; i < 2; i++) {
        json_object *v = json_object_object_get(entry, bound[i]);
        if (v
            && json_object_object_get(ids,
                                      apr_pstrcat(d->p, bound[i], "_id", NULL))
                   == NULL) {
            return requirement_error(d->p, PFJ_HTTP_NOT_FOUND,
                                     apr_psprintf(d->p,
                                                  "Version %s of "
                                                  "software %s not found",
                                                  pfj_py_str(d->p, v),
                                                  pfj_py_str(d->p, name)));
        }
    }
    json_object_object_foreach(entry, key, val)
    {
        (void)val;
        if (strcmp(key, "software") && strcmp(key, "min_version")
            && strcmp(key, "max_version")) {
            *(const char **)apr_array_push(extra) = key;
        }
    }
    if (extra->nelts > 0) {
        return requirement_error(d->p, PFJ_HTTP_BAD_REQUEST,
                                 apr_pstrcat(d->p,
                                             "Unexpected keys in "
                                             "software requirement: ",
                                             pfj_py_dict_keys_repr(d->p,
                                                                   extra),
                                             NULL));
    }
    return NULL;
}

const pfj_refusal *pfj_draft_check_software(pfj_job_draft *d)
{
    json_object *reqs = pfj_draft_field(d, "software_requirements");
    json_object *ids = NULL, *plan;
    const char *text = pfj_draft_found(d, PFJ_LC_SOFTWARE);
    const pfj_refusal *no;
    size_t i;

    if (!pfj_draft_has_field(d, "software_requirements")) {
        return NULL;
    }
    if (!json_object_is_type(reqs, json_type_array)) {
        return requirement_error(d->p, PFJ_HTTP_BAD_REQUEST,
                                 "software_requirements must be a list");
    }
    plan = pfj_put_list(d->plan, "software");
    if (text && pfj_json_parse(d->p, text, strlen(text), &ids) != 0) {
        return pfj_refuse_as(d->p, PFJ_HTTP_INTERNAL_ERROR,
                             PFJ_REFUSAL_UNHANDLED, NULL);
    }
    for (i = 0; i < json_object_array_length(reqs); i++) {
        json_object *entry = json_object_array_get_idx(reqs, i);
        json_object *entry_ids = json_object_array_get_idx(ids, i);
        if ((no = software_entry_error(d, entry, entry_ids)) != NULL) {
            return no;
        }
        if (!pfj_draft_first_listing(
                d, "software_requirements",
                json_object_get_string(
                    json_object_object_get(entry_ids, "software_id")))) {
            return requirement_error(
                d->p, PFJ_HTTP_BAD_REQUEST,
                apr_psprintf(d->p, "Software %s is listed twice",
                             pfj_py_str(d->p,
                                        json_object_object_get(entry,
                                                               "software"))));
        }
        json_object_array_add(plan, json_object_get(entry_ids));
    }
    return NULL;
}

/* (A submission has no "job": its lookup finds no cyclic parent.) */
const pfj_refusal *pfj_draft_check_parents(pfj_job_draft *d)
{
    const char *missing = pfj_draft_found(d, PFJ_LC_MISSING_PARENT);
    const char *cyclic = pfj_draft_found(d, PFJ_LC_CYCLIC_PARENT);
    json_object *job = json_object_object_get(d->lookup, "job");

    if (missing) {
        return pfj_refuse_as(d->p, PFJ_HTTP_NOT_FOUND, PFJ_REFUSAL_STRING,
                             apr_psprintf(d->p, "Parent job %s not found",
                                          missing));
    }
    if (cyclic && job && strcmp(cyclic, json_object_get_string(job)) == 0) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "A job cannot be its own parent");
    }
    if (cyclic) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "Job %s depends on "
                          "this job and cannot be its parent",
                          cyclic);
    }
    return NULL;
}

const pfj_refusal *pfj_draft_check_user(pfj_job_draft *d, int autocreate)
{
    json_object *owner = json_object_object_get(d->lookup, "user");

    if (owner && pfj_draft_found(d, PFJ_LC_USER_ID) == NULL && !autocreate) {
        return pfj_refuse(d->p, PFJ_HTTP_NOT_FOUND, "User %s not found",
                          json_object_get_string(owner));
    }
    return NULL;
}

const pfj_refusal *pfj_draft_check_queue(pfj_job_draft *d)
{
    if (json_object_object_get(d->lookup, "queue")
        && pfj_draft_found(d, PFJ_LC_QUEUE_ID) == NULL) {
        return pfj_refuse(d->p, PFJ_HTTP_NOT_FOUND, "Jobqueue %s not found",
                          json_object_get_string(pfj_draft_field(d,
                                                                 "jobqueue")));
    }
    return NULL;
}

/* The column named name; NULL when there is none. */
static const job_column *find_column(const char *name)
{
    apr_size_t i;

    for (i = 0; i < PFJ_COUNT(job_columns); i++) {
        if (strcmp(job_columns[i].name, name) == 0) {
            return &job_columns[i];
        }
    }
    return NULL;
}

/* The text of column c within the column's longest (0: unbounded). */
static const pfj_refusal *length_error(pfj_job_draft *d, const job_column *c,
                                       const char *text)
{
    if (c->max > 0 && pfj_utf8_length(text) > (apr_size_t)c->max) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`%s` is longer than %" APR_INT64_T_FMT
                          " characters",
                          c->name, c->max);
    }
    return NULL;
}

const pfj_refusal *pfj_draft_check_length(pfj_job_draft *d, const char *name,
                                          const char *text)
{
    const job_column *c = find_column(name);

    return c && c->input == IN_STR ? length_error(d, c, text) : NULL;
}

const pfj_refusal *pfj_draft_check_lengths(pfj_job_draft *d)
{
    const pfj_refusal *no;
    apr_size_t i;

    for (i = 0; i < PFJ_COUNT(job_columns); i++) {
        json_object *v = pfj_draft_field(d, job_columns[i].name);
        if (job_columns[i].input == IN_STR
            && json_object_is_type(v, json_type_string)
            && (no = length_error(d, &job_columns[i],
                                  json_object_get_string(v)))
                   != NULL) {
            return no;
        }
    }
    return NULL;
}

/* The SQL width of an integer column in bits; 0 for any other column. */
static int integer_bits(const job_column *c)
{
    switch (c->input) {
    case IN_ID:
    case IN_BIGINT:
        return 64;
    case IN_INT:
        return 32;
    default:
        return 0;
    }
}

/* The value o of integer column c: an integer of the column's width,
 * within the range of the reference's validators (its min and max). */
static const pfj_refusal *check_integer(pfj_job_draft *d, const job_column *c,
                                        json_object *o)
{
    apr_int64_t v;

    if (json_object_is_type(o, json_type_boolean)) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "field '%s' has "
                          "type <class 'bool'> but we expected type(s) "
                          "<class 'int'>",
                          c->name);
    }
    if (!pfj_json_int64(o, &v)
        || (integer_bits(c) == 32 && (v < INT32_MIN || v > INT32_MAX))) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "field '%s' is out of range", c->name);
    }
    if (v < c->min || v > c->max) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`%s` must be between %" APR_INT64_T_FMT
                          " and %" APR_INT64_T_FMT,
                          c->name, c->min, c->max);
    }
    return NULL;
}

const pfj_refusal *pfj_draft_check_integer(pfj_job_draft *d, const char *name)
{
    const job_column *c = find_column(name);
    json_object *o = pfj_draft_field(d, name);

    return c && integer_bits(c) && json_object_is_type(o, json_type_int)
               ? check_integer(d, c, o)
               : NULL;
}

const pfj_refusal *pfj_draft_check_integers(pfj_job_draft *d)
{
    static const int widths[] = {64, 32};
    const pfj_refusal *no;
    apr_size_t w, i;

    for (w = 0; w < PFJ_COUNT(widths); w++) {
        for (i = 0; i < PFJ_COUNT(job_columns); i++) {
            const job_column *c = &job_columns[i];
            json_object *o = pfj_draft_field(d, c->name);
            if (integer_bits(c) == widths[w] && o != NULL
                && (no = check_integer(d, c, o)) != NULL) {
                return no;
            }
        }
    }
    return NULL;
}

/* |x| < 999999.99995: NUMERIC(10,4) holds x once rounded. */
static int fits_numeric(apr_pool_t *p, const char *x)
{
    return pfj_decimal_cmp(p, x, "999999.99995") < 0
           && pfj_decimal_cmp(p, x, "-999999.99995") > 0;
}

/* The reference loops forever on a step that is not positive; smaller
 * steps than 0.0001 repeat frames once rounded to NUMERIC(10,4). */
const pfj_refusal *pfj_draft_check_step(pfj_job_draft *d)
{
    if (pfj_decimal_cmp(d->p, d->by, "0") <= 0) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`by` must be greater than 0");
    }
    if (pfj_decimal_cmp(d->p, d->by, "0.0001") < 0) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`by` must be at least 0.0001");
    }
    if (!fits_numeric(d->p, d->start) || !fits_numeric(d->p, d->end)
        || !fits_numeric(d->p, d->by)) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "start, end and by must be between "
                          "-999999.9999 and 999999.9999");
    }
    return NULL;
}

const pfj_refusal *pfj_draft_check_task_count(pfj_job_draft *d)
{
    double span = strtod(d->end, NULL) - strtod(d->start, NULL);
    double frames = floor(span / strtod(d->by, NULL) + 1e-9) + 1;
    apr_int64_t max = pfj_conf_max_tasks(d->conf);

    if (frames * (double)(d->tiles > 1 ? d->tiles : 1) > (double)max) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "the frame range would "
                          "create more than %" APR_INT64_T_FMT " tasks",
                          max);
    }
    return NULL;
}

/* One {"tag", "negate"} entry into the plan's list. */
static const pfj_refusal *collect_tag_requirement(pfj_job_draft *d,
                                                  json_object *r,
                                                  json_object *list)
{
    json_object *tag = json_object_object_get(r, "tag");
    json_object *req;

    if (!json_object_is_type(tag, json_type_string)
        || pfj_utf8_length(json_object_get_string(tag)) > PFJ_MAX_TAG
        || !json_object_object_get_ex(r, "negate", NULL)) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "every tag requirement needs a `tag` "
                          "string of at most 64 characters and "
                          "`negate`");
    }
    if (!pfj_draft_first_listing(d, "tag_requirements",
                                 json_object_get_string(tag))) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "tag %s is required twice",
                          json_object_get_string(tag));
    }
    req = json_object_new_object();
    json_object_array_add(list, req);
    json_object_object_add(req, "tag", json_object_get(tag));
    json_object_object_add(req, "negate",
                           json_object_new_boolean(pfj_json_truthy(
                               json_object_object_get(r, "negate"))));
    json_object_array_add(d->all_tags, json_object_get(tag));
    return NULL;
}

/* Unknown tags are created; the reference ignores an empty list, so an
 * update could not clear them; any other falsy value is ignored. */
const pfj_refusal *pfj_draft_collect_tag_requirements(pfj_job_draft *d)
{
    json_object *reqs = pfj_draft_field(d, "tag_requirements");

    if (!json_object_is_type(reqs, json_type_array)) {
        return pfj_json_truthy(reqs)
                   ? pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                                "tag_requirements must be a list")
                   : NULL;
    }
    return pfj_draft_each(d, "tag_requirements", collect_tag_requirement,
                          pfj_put_list(d->plan, "tag_requirements"));
}
