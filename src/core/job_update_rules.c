/*
 * job_update_rules.c - the decision of a job update (doc/api.md §6, §9.1;
 * see job_update_rules.h): step by step in the reference's order on the
 * job's locked row; the new column values, the new frame range and the
 * replaced requirements and parents make the plan of the one statement
 * that writes them.
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <apr_tables.h>
#include "core/job_update_rules.h"
#include "core/job_columns.h"
#include "core/json_body.h"
#include "core/json_writer.h"
#include "core/pyrepr.h"
#include "core/model_check.h"
#include "core/db_values.h"

/* How step 11 checks a column's value; pfj_draft_check_integers checks
 * the range of an integer. */
typedef enum update_kind {
    UK_INT,
    UK_STR,
    UK_BOOL,
    UK_DICT,
    UK_STATE
} update_kind;

typedef struct update_column {
    const char *name;
    update_kind kind;
} update_column;

/* The columns step 11 sets, by what a request may send for them
 * (core/job_columns.h): not by (step 4) nor the times (step 8);
 * jobtype_version_id never gets here (step 9). */
#define UPDATE_ENTRY(name, kind) {#name, kind},
#define UPDATE_ID(name) UPDATE_ENTRY(name, UK_INT)
#define UPDATE_INT UPDATE_ID
#define UPDATE_BIGINT UPDATE_ID
#define UPDATE_STR(name) UPDATE_ENTRY(name, UK_STR)
#define UPDATE_BOOL(name) UPDATE_ENTRY(name, UK_BOOL)
#define UPDATE_DICT(name) UPDATE_ENTRY(name, UK_DICT)
#define UPDATE_STATE(name) UPDATE_ENTRY(name, UK_STATE)
#define UPDATE_DECIMAL(name)
#define UPDATE_TIME(name)
/* clang-format off */
#define UPDATE_COLUMN(name, render, schema, input, min, max) \
    UPDATE_##input(name)

static const update_column update_columns[] = {
    PFJ_JOB_COLUMNS(UPDATE_COLUMN, )
};
/* clang-format on */

/* Keys steps 1-14 consume besides the columns; whatever else is left is
 * an unknown column. */
static const char *const update_handled[] = {"start",
                                             "end",
                                             "by",
                                             "parents",
                                             "user",
                                             "jobqueue",
                                             "software_requirements",
                                             "tag_requirements",
                                             "jobtype_version",
                                             NULL};

static const char *target(const pfj_job_draft *d, enum pfj_target_column c)
{
    return d->target[c];
}

/* ---- before the lookup ---- */

/* Steps 1-3: the job, tiles, the tasks. */
static const pfj_refusal *check_target(pfj_job_draft *d)
{
    if (d->target == NULL) {
        return pfj_refuse(d->p, PFJ_HTTP_NOT_FOUND, "Job not found");
    }
    if (pfj_draft_has_field(d, "tiles")) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "Frame tiling cannot be updated after job "
                          "creation.");
    }
    if (target(d, PFJ_TC_FIRST_FRAME) == NULL) {
        return pfj_refuse(d->p, PFJ_HTTP_INTERNAL_ERROR,
                          "Job does not have any tasks");
    }
    return NULL;
}

/* A start/end/by of an update as decimal text: numbers, numeric strings
 * and booleans convert as Python's Decimal() converts them; NULL for
 * anything else. */
static const char *update_decimal(pfj_job_draft *d, json_object *v)
{
    if (pfj_json_is_number(v)) {
        return json_object_get_string(v);
    }
    if (json_object_is_type(v, json_type_boolean)) {
        return json_object_get_boolean(v) ? "1" : "0";
    }
    if (json_object_is_type(v, json_type_string)) {
        return pfj_decimal_text(d->p, json_object_get_string(v));
    }
    return NULL;
}

/* The new range into the plan, and `by` into the columns. */
static void plan_range(pfj_job_draft *d)
{
    json_object *range = json_object_new_object();

    json_object_object_add(d->plan, "range", range);
    pfj_put_string(range, "start", d->start);
    pfj_put_string(range, "end", d->end);
    pfj_put_string(range, "by", d->by);
    pfj_put_string(d->row, "by", d->by);
}

/* §6 step 4: the new range from start/end/by and the old first and last
 * frame; the answer shows start/end as Python floats. */
static const pfj_refusal *update_range(pfj_job_draft *d)
{
    const char *part[3] = {"start", "end", "by"};
    const char *old[3] = {target(d, PFJ_TC_FIRST_FRAME),
                          target(d, PFJ_TC_LAST_FRAME),
                          target(d, PFJ_TC_BY) ? target(d, PFJ_TC_BY) : "1"};
    const char *value[3];
    const char *tiles = target(d, PFJ_TC_NUM_TILES);
    const pfj_refusal *no;
    int i;

    for (i = 0; i < 3; i++) {
        value[i] = pfj_draft_has_field(d, part[i])
                       ? update_decimal(d, pfj_draft_field(d, part[i]))
                       : old[i];
        if (value[i] == NULL) {
            return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                              "`%s` needs to be of type decimal or int",
                              part[i]);
        }
    }
    d->start = value[0], d->end = value[1], d->by = value[2];
    d->start_token = pfj_fmt_double(d->p, strtod(d->start, NULL));
    d->end_token = pfj_fmt_double(d->p, strtod(d->end, NULL));
    if (!pfj_draft_has_field(d, "start") && !pfj_draft_has_field(d, "end")
        && !pfj_draft_has_field(d, "by")) {
        return NULL;
    }
    if (pfj_decimal_cmp(d->p, d->end, d->start) < 0) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`end` must be greater than or equal to "
                          "`start`");
    }
    d->tiles = tiles ? apr_atoi64(tiles) : 0;
    if ((no = pfj_draft_check_step(d)) != NULL
        || (no = pfj_draft_check_task_count(d)) != NULL) {
        return no;
    }
    plan_range(d);
    return NULL;
}

/* The lookup input of an update: the job, its own jobtype with the
 * version asked for, and the references the body names. */
static const pfj_refusal *collect_lookup(pfj_job_draft *d)
{
    const pfj_refusal *no;
    apr_int64_t v;

    pfj_put_string(d->lookup, "job", target(d, PFJ_TC_ID));
    pfj_put_string(d->lookup, "jobtype", target(d, PFJ_TC_JOBTYPE));
    if (pfj_json_int64(pfj_draft_field(d, "jobtype_version"), &v)
        && v >= INT32_MIN && v <= INT32_MAX) {
        json_object_object_add(d->lookup, "version", json_object_new_int64(v));
    }
    pfj_draft_collect_software(d);
    /* the lookup casts user_id to a 32-bit integer: one beyond would
     * fail it */
    if ((no = pfj_draft_collect_parents(d)) != NULL
        || (no = pfj_draft_collect_user(d)) != NULL
        || (no = pfj_draft_collect_queue(d)) != NULL
        || (no = pfj_draft_check_integer(d, "user_id")) != NULL) {
        return no;
    }
    pfj_draft_collect_id(d, "job_group_id", "group");
    pfj_draft_collect_id(d, "user_id", "user_id");
    pfj_draft_collect_id(d, "job_queue_id", "queue_id");
    return NULL;
}

/* The checks before the lookup, in the reference's order. */
static const pfj_draft_check before_lookup[] = {
    check_target, /* steps 1-3 */
    update_range, /* step 4 */
    collect_lookup,
};

/* ---- on the lookup's answer ---- */

/* §6 steps 6-7: the owner (never created), the queue. */
static const pfj_refusal *update_references(pfj_job_draft *d)
{
    const pfj_refusal *no;

    if ((no = pfj_draft_check_user(d, 0)) != NULL
        || (no = pfj_draft_check_queue(d)) != NULL) {
        return no;
    }
    if (json_object_object_get(d->lookup, "user")) {
        pfj_put_string(d->row, "user_id", pfj_draft_found(d, PFJ_LC_USER_ID));
    }
    if (json_object_object_get(d->lookup, "queue")) {
        pfj_put_string(d->row, "job_queue_id",
                       pfj_draft_found(d, PFJ_LC_QUEUE_ID));
    }
    return NULL;
}

/* §6 steps 8-10: what cannot be set at all. */
static const pfj_refusal *update_read_only(pfj_job_draft *d)
{
    static const char *const times[] = {"time_started", "time_finished",
                                        "time_submitted"};
    int i;

    for (i = 0; i < 3; i++) {
        if (pfj_draft_has_field(d, times[i])) {
            return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                              "`%s` cannot be set manually", times[i]);
        }
    }
    if (pfj_draft_has_field(d, "jobtype_version_id")) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`jobtype_version_id` cannot be set "
                          "manually");
    }
    if (pfj_draft_has_field(d, "jobgroup")) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`jobgroup` cannot be set directly, use  "
                          "job_group_id.");
    }
    return NULL;
}

/* Python's int() of a string: optional sign, digits, surrounding space. */
static int python_int_string(const char *text, apr_int64_t *v)
{
    char *end;

    while (apr_isspace(*text)) {
        text++;
    }
    if (!apr_isdigit(*text)
        && !((*text == '-' || *text == '+') && apr_isdigit(text[1]))) {
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

    if (pfj_list_length(e) == 2) {
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
 * of a repeated key, as Python builds it; NULL when dict() would fail.
 * Keys are told apart by their reprs, exactly ('A' is not 'a'), each found
 * in a JSON object's seeded hash: a list of n pairs costs O(n). */
static const char *dict_repr(apr_pool_t *p, json_object *v)
{
    size_t i, n = json_object_array_length(v);
    /* "{", "key: value", ", ", "key: value", ..., "}" */
    apr_array_header_t *parts = apr_array_make(p, (int)(2 * n + 2),
                                               sizeof(const char *));
    json_object *slots = pfj_json_pooled(p, json_object_new_object());
    json_object *slot;
    const char *key, *value, *item;

    APR_ARRAY_PUSH(parts, const char *) = "{";
    for (i = 0; i < n; i++) {
        if (!dict_item(p, json_object_array_get_idx(v, i), &key, &value)) {
            return NULL;
        }
        item = apr_pstrcat(p, key, ": ", value, NULL);
        if (json_object_object_get_ex(slots, key, &slot)) {
            APR_ARRAY_IDX(parts, json_object_get_int(slot),
                          const char *) = item;
            continue;
        }
        if (parts->nelts > 1) {
            APR_ARRAY_PUSH(parts, const char *) = ", ";
        }
        json_object_object_add(slots, key, json_object_new_int(parts->nelts));
        APR_ARRAY_PUSH(parts, const char *) = item;
    }
    APR_ARRAY_PUSH(parts, const char *) = "}";
    return apr_array_pstrcat(p, parts, '\0');
}

/* The repr of v converted to the column's Python type, as the reference's
 * 200-with-error answer quotes it; NULL when that conversion fails (the
 * reference answers 500). */
static const char *converted_repr(apr_pool_t *p, update_kind kind,
                                  json_object *v)
{
    apr_int64_t i;

    switch (kind) {
    case UK_INT:
        if (json_object_is_type(v, json_type_double)
            && pfj_json_is_number(v)) {
            return python_int_of_float(p, json_object_get_double(v));
        }
        if (json_object_is_type(v, json_type_string)
            && python_int_string(json_object_get_string(v), &i)) {
            return apr_psprintf(p, "%" APR_INT64_T_FMT, i);
        }
        return NULL;
    case UK_STR:
        return pfj_py_repr_str(p, pfj_py_str(p, v));
    case UK_BOOL:
        return pfj_json_truthy(v) ? "True" : "False";
    case UK_DICT:
        if (!pfj_json_truthy(v)
            && (json_object_is_type(v, json_type_array)
                || json_object_is_type(v, json_type_string))) {
            return "{}";
        }
        return json_object_is_type(v, json_type_array) ? dict_repr(p, v)
                                                       : NULL;
    case UK_STATE:
        return NULL;
    }
    return NULL;
}

/* The Python type a column of this kind expects, as messages name it. */
static const char *kind_class(update_kind kind)
{
    switch (kind) {
    case UK_INT:
        return "<class 'int'>";
    case UK_STR:
        return "<class 'str'>";
    case UK_BOOL:
        return "<class 'bool'>";
    case UK_DICT:
        return "<class 'dict'>";
    case UK_STATE:
        break; /* a wrong state has its own message (wrong_type) */
    }
    return NULL;
}

static int value_has_kind(update_kind kind, json_object *v)
{
    switch (kind) {
    case UK_INT:
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
static const pfj_refusal *wrong_type(pfj_job_draft *d, const char *name,
                                     update_kind kind, json_object *v)
{
    const char *repr;

    if (kind == UK_STATE) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`state` must be one of paused, running, "
                          "done, failed");
    }
    repr = converted_repr(d->p, kind, v);
    return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                      "Column `%s` is of type "
                      "%s, but we expected %s",
                      name, repr ? repr : pfj_py_class(v), kind_class(kind));
}

/* user_id names a user who may own the job (pfj_draft_check_owner). */
static const pfj_refusal *check_user_id(pfj_job_draft *d, json_object *v)
{
    const char *name = pfj_draft_found(d, PFJ_LC_USER_ID_NAME);

    if (name == NULL) {
        return pfj_refuse(d->p, PFJ_HTTP_NOT_FOUND, "User %s not found",
                          json_object_get_string(v));
    }
    return pfj_draft_check_owner(d, name);
}

/* The value of a column once its type is right: ranges, references. */
static const pfj_refusal *check_column_value(pfj_job_draft *d,
                                             const char *name,
                                             update_kind kind, json_object *v)
{
    if (strcmp(name, "id") == 0
        && strcmp(json_object_get_string(v), target(d, PFJ_TC_ID)) != 0) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`id` cannot be changed");
    }
    if (strcmp(name, "job_group_id") == 0
        && !pfj_draft_found_true(d, PFJ_LC_GROUP_EXISTS)) {
        return pfj_refuse(d->p, PFJ_HTTP_NOT_FOUND, "Job group %s not found",
                          json_object_get_string(v));
    }
    if (strcmp(name, "user_id") == 0) {
        return check_user_id(d, v);
    }
    if (strcmp(name, "job_queue_id") == 0
        && !pfj_draft_found_true(d, PFJ_LC_QUEUE_ID_EXISTS)) {
        return pfj_refuse(d->p, PFJ_HTTP_NOT_FOUND, "Jobqueue %s not found",
                          json_object_get_string(v));
    }
    return kind == UK_STR
               ? pfj_draft_check_length(d, name, json_object_get_string(v))
               : NULL;
}

/* Copies a checked column value into the new row values. */
static void set_column(pfj_job_draft *d, const char *name, update_kind kind,
                       json_object *v)
{
    if (kind == UK_STATE) {
        json_object_object_add(
            d->row, "state",
            json_object_new_int(pfj_state_code(json_object_get_string(v))));
        pfj_put_string(d->plan, "state", json_object_get_string(v));
    }
    else if (kind == UK_DICT) {
        pfj_put_string(d->row, name, pfj_json_to_string(d->p, v));
    }
    else {
        json_object_object_add(d->row, name, json_object_get(v));
    }
}

/* The column named key; NULL when key is not a column. */
static const update_column *find_column(const char *key)
{
    apr_size_t i;

    for (i = 0; i < PFJ_COUNT(update_columns); i++) {
        if (strcmp(key, update_columns[i].name) == 0) {
            return &update_columns[i];
        }
    }
    return NULL;
}

/* §6 step 11, in the body's order. */
static const pfj_refusal *update_columns_step(pfj_job_draft *d)
{
    const update_column *c;
    const pfj_refusal *no;

    json_object_object_foreach(d->body, key, val)
    {
        if ((c = find_column(key)) == NULL) {
            continue;
        }
        if (!value_has_kind(c->kind, val)) {
            return wrong_type(d, key, c->kind, val);
        }
        if ((no = check_column_value(d, key, c->kind, val)) != NULL) {
            return no;
        }
        set_column(d, key, c->kind, val);
    }
    return pfj_draft_check_integers(d);
}

/* §6 step 14. */
static const pfj_refusal *update_jobtype_version(pfj_job_draft *d)
{
    json_object *version = pfj_draft_field(d, "jobtype_version");

    if (!pfj_json_truthy(version)) {
        return NULL;
    }
    if (json_object_object_get(d->lookup, "version") == NULL
        || pfj_draft_found(d, PFJ_LC_JOBTYPE_VERSION_ID) == NULL) {
        /* the reference names None here, whatever was asked for */
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "Unknown jobtype version: %s",
                          pfj_py_repr(d->p, version));
    }
    pfj_put_string(d->row, "jobtype_version_id",
                   pfj_draft_found(d, PFJ_LC_JOBTYPE_VERSION_ID));
    return NULL;
}

static int is_update_handled(const char *key)
{
    apr_size_t i;

    for (i = 0; update_handled[i]; i++) {
        if (strcmp(key, update_handled[i]) == 0) {
            return 1;
        }
    }
    return find_column(key) != NULL;
}

/* §6 step 15: {'tags': [...], 'jobtype': ...} as a Python dict. */
static const pfj_refusal *update_unknown_columns(pfj_job_draft *d)
{
    json_object *rest = pfj_json_pooled(d->p, json_object_new_object());

    json_object_object_foreach(d->body, key, val)
    {
        if (!is_update_handled(key)) {
            json_object_object_add(rest, key, json_object_get(val));
        }
    }
    if (json_object_object_length(rest) == 0) {
        return NULL;
    }
    return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST, "Unknown columns: %s",
                      pfj_py_repr(d->p, rest));
}

/* Steps 5-15 of §6, in the reference's order. */
static const pfj_draft_check after_lookup[] = {
    pfj_draft_check_parents,            /* step 5 */
    update_references,                  /* steps 6-7 */
    update_read_only,                   /* steps 8-10 */
    update_columns_step,                /* step 11 */
    pfj_draft_check_software,           /* step 12 */
    pfj_draft_collect_tag_requirements, /* step 13 */
    update_jobtype_version,             /* step 14 */
    update_unknown_columns,             /* step 15 */
};

/* ---- the decision's interface ---- */

const pfj_refusal *pfj_update_check_body(apr_pool_t *p, json_object *body)
{
    if (!json_object_is_type(body, json_type_object)) {
        return pfj_refuse_as(p, PFJ_HTTP_BAD_REQUEST, PFJ_REFUSAL_ERROR,
                             pfj_json_not_object(p, body));
    }
    return NULL;
}

int pfj_update_changes_parents(json_object *body)
{
    return json_object_object_get_ex(body, "parents", NULL);
}

/* The plan of pfj_update_apply: the job, its new column values. */
static void complete_plan(pfj_job_draft *d, pfj_job_plan *plan)
{
    pfj_put_string(d->plan, "job", target(d, PFJ_TC_ID));
    json_object_object_add(d->plan, "columns", json_object_get(d->row));
    plan->job_id = target(d, PFJ_TC_ID);
    /* new frames: the state follows the tasks, unless one is set */
    plan->recompute_state = json_object_object_get(d->plan, "range") != NULL
                            && json_object_object_get(d->plan, "state")
                                   == NULL;
}

static const pfj_job_decision update = PFJ_JOB_DECISION(before_lookup,
                                                        after_lookup,
                                                        complete_plan);

const pfj_refusal *pfj_update_prepare(apr_pool_t *p, json_object *body,
                                      const pfj_dir_conf *conf,
                                      const char *auth_user,
                                      const char *const *target,
                                      pfj_job_draft **draft)
{
    return pfj_draft_prepare(p, body, conf, auth_user, target, &update, draft);
}
