/*
 * task_update.c - the decision of a task update (see task_update.h):
 * doc/api.md §10.2's checks in their order, then §10.3's effects of the
 * new state, as one plan for the writing statement.
 */
#include <string.h>
#include <apr_strings.h>
#include "core/count.h"
#include "core/task_update.h"
#include "core/task_columns.h"
#include "core/db_values.h"
#include "core/json_body.h"
#include "core/model_check.h"
#include "core/pyrepr.h"

/* The effect of a "time_finished" plan entry (see the statement). */
#define FINISH_IF_UNFINISHED "now_if_null"
#define FINISH_CLEARED "null"
#define FINISH_LATEST "max_now"

/* What step 10 accepts for a key besides null: a column's input kind, or
 * a relationship (a list). */
typedef enum input_kind {
    IN_INT,
    IN_BOOL,
    IN_STR,
    IN_FLOAT,
    IN_UUID,
    IN_ID,
    IN_STATE,
    IN_NOW,
    IN_FIXED,
    IN_LIST
} input_kind;

typedef struct column_input {
    const char *name;
    input_kind kind;
    apr_int64_t min, max;
    int nullable;
} column_input;

/* clang-format off */
#define COLUMN_INPUT(name, render, input, min, max, nullable) \
    {#name, IN_##input, min, max, nullable},
static const column_input columns[] = {
    PFJ_TASK_COLUMNS(COLUMN_INPUT, )
};
/* clang-format on */

/* Relationships of the task model (§10.2 step 10). */
static const column_input relations[] = {
    {"job", IN_LIST, 0, 0, 1},
    {"agent", IN_LIST, 0, 0, 1},
    {"failed_in_agents", IN_LIST, 0, 0, 1},
    {"log_associations", IN_LIST, 0, 0, 1},
};

static const char *const kind_classes[] = {
    [IN_INT] = "<class 'int'>",     [IN_ID] = "<class 'int'>",
    [IN_BOOL] = "<class 'bool'>",   [IN_STR] = "<class 'str'>",
    [IN_FLOAT] = "<class 'float'>", [IN_UUID] = "<class 'uuid.UUID'>",
    [IN_LIST] = "<class 'list'>"};

/* Steps 3-6, in the reference's order: what cannot be set at all. */
static const struct {
    const char *key;
    const char *error;
} read_only[] = {
    {"time_finished", "`time_finished` cannot be set manually"},
    {"time_submitted", "`time_submitted` cannot be set manually"},
    {"job_id", "`job_id` cannot be changed"},
    {"frame", "`frame` cannot be changed"},
};

/* One update on its way through the decision. */
typedef struct decision {
    apr_pool_t *p;
    const pfj_task_request *req;
    const pfj_task_now *now;
    json_object *plan; /* what the statement does */
    json_object *set;  /* ... with these new column values */
    int state;         /* the state stored: -1 none given, 0 queued */
} decision;

static json_object *field(const decision *d, const char *key)
{
    return json_object_object_get(d->req->body, key);
}

static int has_field(const decision *d, const char *key)
{
    return json_object_object_get_ex(d->req->body, key, NULL);
}

static void plan_flag(decision *d, const char *key)
{
    json_object_object_add(d->plan, key, json_object_new_boolean(1));
}

static int is_state(const char *code, int state)
{
    return code != NULL && atoi(code) == state;
}

static int is_finished(const char *code)
{
    return is_state(code, PFJ_STATE_DONE) || is_state(code, PFJ_STATE_FAILED);
}

/* Steps 2-6. */
static const pfj_refusal *check_read_only(decision *d)
{
    json_object *started = field(d, "time_started");
    apr_size_t i;

    if (has_field(d, "time_started")
        && (!json_object_is_type(started, json_type_string)
            || strcmp(json_object_get_string(started), "now") != 0)) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`time_started` cannot be set manually");
    }
    for (i = 0; i < PFJ_COUNT(read_only); i++) {
        if (has_field(d, read_only[i].key)) {
            return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST, "%s",
                              read_only[i].error);
        }
    }
    return NULL;
}

/* Step 7: an agent changes state and progress only of its own tasks; an
 * agent without an address (or one out of range) owns none. */
static const pfj_refusal *check_owner(decision *d)
{
    const char *ua = d->req->user_agent;
    const char *ip;

    if (!(has_field(d, "state") || has_field(d, "progress")) || ua == NULL
        || strcmp(ua, PFJ_AGENT_USER_AGENT) != 0) {
        return NULL;
    }
    ip = pfj_fmt_ipv4(d->p, d->now->remote_ip);
    if (d->now->agent_id == NULL || ip == NULL || d->req->client_ip == NULL
        || strcmp(ip, d->req->client_ip) != 0) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`state` and `progress` can only be changed by "
                          "the agent owning this task");
    }
    return NULL;
}

/* Step 8; Python compares numbers by value: 1 == True == 1.0. */
static const pfj_refusal *check_done_progress(decision *d)
{
    json_object *progress = field(d, "progress");

    if (has_field(d, "progress") && is_state(d->now->state, PFJ_STATE_DONE)
        && !((pfj_json_is_number(progress)
              || json_object_is_type(progress, json_type_boolean))
             && json_object_get_double(progress) == 1.0)) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "Cannot set progress: task is already in state "
                          "`done`");
    }
    return NULL;
}

/* §10.3 effects of storing state done. */
static void state_done(decision *d)
{
    json_object_object_add(d->set, "last_error", NULL);
    json_object_object_add(d->set, "progress", json_object_new_double(1.0));
    pfj_put_string(d->plan, "time_finished", FINISH_IF_UNFINISHED);
    if (d->now->agent_id) {
        pfj_put_string(d->plan, "success_agent", d->now->agent_id);
    }
}

/* Whether the failures-th failure of a task is requeued, by its job's
 * requeue: the first requeue failures are, 0 none, and -1 every one, as
 * pyfarm's model documents it (the reference's failures <= requeue never
 * holds for -1).  NULL and other negative values requeue none. */
#define REQUEUE_ALWAYS -1

static int requeues(const char *requeue, int failures)
{
    return requeue
           && (atoi(requeue) == REQUEUE_ALWAYS || failures <= atoi(requeue));
}

/* §10.3 effects of storing state failed: a failure counted against the
 * agent, and a requeue while the job allows more. */
static void state_failed(decision *d)
{
    /* kept within the column's INTEGER, which an update may have filled */
    apr_int64_t counted = apr_atoi64(d->now->failures) + 1;
    int failures = counted > INT32_MAX ? INT32_MAX : (int)counted;

    pfj_put_string(d->plan, "time_finished", FINISH_IF_UNFINISHED);
    json_object_object_add(d->set, "failures", json_object_new_int(failures));
    if (d->now->agent_id) {
        pfj_put_string(d->plan, "fail_agent", d->now->agent_id);
    }
    if (requeues(d->now->requeue, failures)) {
        json_object_object_add(d->set, "agent_id", NULL);
        json_object_object_add(d->set, "state", NULL);
        d->state = 0;
    }
}

/* §10.3 effects of storing state running: a start, unless the task runs
 * already with one or its jobtype version starts tasks itself. */
static void state_running(decision *d)
{
    int was_running = is_state(d->now->state, PFJ_STATE_RUNNING)
                      || is_state(d->now->state, PFJ_STATE_PAUSED);

    if ((!was_running || d->now->time_started == NULL)
        && !pfj_db_bool(d->now->no_automatic_start_time)) {
        pfj_put_string(d->plan, "time_started", "now");
        pfj_put_string(d->plan, "time_finished", FINISH_CLEARED);
    }
}

/* The stored code of a body's state: 0 for queued, -1 for a value that
 * names no state. */
static int stored_state(json_object *state)
{
    const char *name = json_object_is_type(state, json_type_string)
                           ? json_object_get_string(state)
                           : "";

    return strcmp(name, "queued") == 0 ? 0 : pfj_state_code(name);
}

/* Step 9: any state given is a transition, even the current one. */
static const pfj_refusal *apply_state(decision *d)
{
    json_object *state = field(d, "state");
    int code;

    if (state == NULL) {
        return NULL;
    }
    if ((code = stored_state(state)) < 0) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`state` must be one of queued, paused, running, "
                          "done, failed");
    }
    d->state = code;
    json_object_object_add(d->set, "state",
                           code ? json_object_new_int(code) : NULL);
    plan_flag(d, "recompute"); /* unless plan_job_state() drops it */
    if (code == PFJ_STATE_DONE) {
        state_done(d);
    }
    else if (code == PFJ_STATE_FAILED) {
        state_failed(d);
    }
    else if (code == PFJ_STATE_RUNNING) {
        state_running(d);
    }
    return NULL;
}

/* "time_started": "now": the start is now; a finished task keeps the
 * later of its finish and now, any other loses its finish. */
static void apply_time_started(decision *d)
{
    int finished = d->state < 0 ? is_finished(d->now->state)
                                : d->state == PFJ_STATE_DONE
                                      || d->state == PFJ_STATE_FAILED;

    if (!has_field(d, "time_started")) {
        return;
    }
    pfj_put_string(d->plan, "time_started", "now");
    pfj_put_string(d->plan, "time_finished",
                   finished ? FINISH_LATEST : FINISH_CLEARED);
}

static int value_matches(input_kind kind, json_object *v)
{
    switch (kind) {
    case IN_INT:
    case IN_ID:
        return json_object_is_type(v, json_type_int);
    case IN_BOOL:
        return json_object_is_type(v, json_type_boolean);
    case IN_STR:
        return json_object_is_type(v, json_type_string);
    case IN_FLOAT:
        /* also an integer: JavaScript's JSON.stringify(1.0) writes 1 (the
         * reference takes float literals only).  true and false are no
         * integers to json-c: they stay refused. */
        return json_object_is_type(v, json_type_double)
               || json_object_is_type(v, json_type_int);
    case IN_LIST:
        return json_object_is_type(v, json_type_array);
    default: /* a UUID object: JSON has none */
        return 0;
    }
}

/* An integer outside its column's range: the reference's validators
 * answer 500 for these, PostgreSQL fails on the rest. */
static const pfj_refusal *check_range(decision *d, const column_input *c,
                                      apr_int64_t n)
{
    const char *name = c->name;

    if (n < c->min && c->min == 0) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`%s` cannot be negative", name);
    }
    if ((n < c->min && c->min == INT32_MIN)
        || (n > c->max && c->max == INT32_MAX)) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST, "`%s` is out of range",
                          name);
    }
    if (n < c->min || n > c->max) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`%s` must be between %" APR_INT64_T_FMT
                          " and %" APR_INT64_T_FMT,
                          name, c->min, c->max);
    }
    return NULL;
}

/* A value of the right type the reference then fails on (500). */
static const pfj_refusal *check_value(decision *d, const column_input *c,
                                      json_object *v)
{
    apr_int64_t n = 0;

    if (v == NULL) {
        return c->nullable ? NULL
                           : pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                                        "`%s` cannot be null", c->name);
    }
    if (json_object_is_type(v, json_type_double) && !pfj_json_is_number(v)) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`%s` must be a finite number", c->name);
    }
    if (!json_object_is_type(v, json_type_int)) {
        return NULL;
    }
    if (!pfj_json_int64(v, &n)) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST, "`%s` is out of range",
                          c->name);
    }
    if (c->kind == IN_ID
        && strcmp(json_object_get_string(v), d->req->task_id) != 0) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`id` cannot be changed");
    }
    return check_range(d, c, n);
}

/* Relationships: [] empties failed_in_agents and log_associations, null
 * unassigns the agent; anything else crashes the reference. */
static const pfj_refusal *apply_relation(decision *d, const char *key,
                                         json_object *v)
{
    int empty = json_object_is_type(v, json_type_array)
                && json_object_array_length(v) == 0;

    if (strcmp(key, "agent") == 0 && v == NULL) {
        json_object_object_add(d->set, "agent_id", NULL);
    }
    else if (strcmp(key, "failed_in_agents") == 0 && empty) {
        plan_flag(d, "clear_failures");
        json_object_object_del(d->plan, "fail_agent");
    }
    else if (strcmp(key, "log_associations") == 0 && empty) {
        plan_flag(d, "clear_logs");
    }
    else {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`%s` cannot be set this way", key);
    }
    return NULL;
}

/* Step 10 for one key that names a column or relationship. */
static const pfj_refusal *apply_value(decision *d, const column_input *c,
                                      json_object *v)
{
    const pfj_refusal *no;

    if (v && !value_matches(c->kind, v)) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "Column '%s' is of type %s but we expected "
                          "type(s) %s",
                          c->name, pfj_py_class(v), kind_classes[c->kind]);
    }
    if (c->kind == IN_LIST) {
        return apply_relation(d, c->name, v);
    }
    if (c->kind == IN_FLOAT && v) {
        /* the value as read (1e-400 is 0.0, an integer its float), not
         * json-c's copy of the literal, which PostgreSQL may find out of
         * range */
        v = pfj_json_pooled(d->p,
                            json_object_new_double(json_object_get_double(v)));
    }
    if ((no = check_value(d, c, v)) != NULL) {
        return no;
    }
    if (c->kind != IN_ID) {
        json_object_object_add(d->set, c->name, json_object_get(v));
    }
    return NULL;
}

/* The index of a tasks column (enum pfj_task_column), -1 for another key. */
static int column_index(const char *name)
{
    apr_size_t i;

    for (i = 0; i < PFJ_COUNT(columns); i++) {
        if (strcmp(name, columns[i].name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* Whether step 10 takes a value for a column of this kind (steps 2-9 deal
 * with the others). */
static int is_settable(input_kind kind)
{
    return kind != IN_STATE && kind != IN_NOW && kind != IN_FIXED;
}

/* The column or relationship a step-10 key names; NULL for keys steps
 * 2-9 dealt with and for unknown ones. */
static const column_input *settable(const char *key)
{
    int c = column_index(key);
    apr_size_t i;

    if (c >= 0) {
        return is_settable(columns[c].kind) ? &columns[c] : NULL;
    }
    for (i = 0; i < PFJ_COUNT(relations); i++) {
        if (strcmp(key, relations[i].name) == 0) {
            return &relations[i];
        }
    }
    return NULL;
}

/* Steps 10 and 11, in the body's order. */
static const pfj_refusal *apply_values(decision *d)
{
    json_object *unknown = pfj_json_pooled(d->p, json_object_new_object());
    const column_input *c;
    const pfj_refusal *no;

    json_object_object_foreach(d->req->body, key, val)
    {
        if ((c = settable(key)) != NULL) {
            if ((no = apply_value(d, c, val)) != NULL) {
                return no;
            }
        }
        else if (column_index(key) < 0) {
            json_object_object_add(unknown, key, json_object_get(val));
        }
    }
    if (json_object_object_length(unknown) > 0) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "Unknown columns in request: %s",
                          pfj_py_repr(d->p, unknown));
    }
    return NULL;
}

/* Whether the plan changes what the job's state is computed from (§9.2):
 * the task's stored state or its agent. */
static int moves_task(const decision *d)
{
    int was = d->now->state ? atoi(d->now->state) : 0;

    return (d->state >= 0 && d->state != was)
           || (d->now->agent_id
               && json_object_object_get_ex(d->set, "agent_id", NULL));
}

/* §10.3: a state given recomputes the job's state - under the job's lock
 * when the caller took it, and, without it, only when the task moves or
 * the job's stored state was found stale (the caller then takes the lock
 * and decides again).  An update that moves nothing, of a job whose state
 * is its recomputation, leaves the job as it is. */
static void plan_job_state(decision *d)
{
    if (!d->req->job_locked && !d->req->job_stale && !moves_task(d)) {
        json_object_object_del(d->plan, "recompute");
    }
}

int pfj_task_plan_recomputes(json_object *plan)
{
    return json_object_object_get_ex(plan, "recompute", NULL);
}

/* Whether a value of the plan's "set" is the column's text as read (the
 * database's canonical text of an integer, shortest exact text of a
 * float, t or f). */
static int same_value(json_object *v, const char *stored)
{
    if (v == NULL || stored == NULL) {
        return v == NULL && stored == NULL;
    }
    switch (json_object_get_type(v)) {
    case json_type_boolean:
        return strcmp(stored, json_object_get_boolean(v) ? "t" : "f") == 0;
    case json_type_double:
        return strtod(stored, NULL) == json_object_get_double(v);
    case json_type_int:
    case json_type_string:
        return strcmp(json_object_get_string(v), stored) == 0;
    default:
        return 0;
    }
}

int pfj_task_plan_writes(json_object *plan, const char *const *current)
{
    json_object *set = json_object_object_get(plan, "set");
    int i;

    /* "task", "job" and "set" name what to write; every other entry
     * writes (a time, a record, the job's state) */
    if (json_object_object_length(plan) != 3) {
        return 1;
    }
    json_object_object_foreach(set, key, val)
    {
        if ((i = column_index(key)) < 0 || !same_value(val, current[i])) {
            return 1;
        }
    }
    return 0;
}

const pfj_refusal *pfj_task_update_check_body(apr_pool_t *p, json_object *body)
{
    if (json_object_is_type(body, json_type_object)) {
        return NULL;
    }
    return pfj_refuse_as(p, PFJ_HTTP_BAD_REQUEST, PFJ_REFUSAL_ERROR,
                         pfj_json_not_object(p, body));
}

const pfj_refusal *pfj_task_update_decide(apr_pool_t *p,
                                          const pfj_task_request *req,
                                          const pfj_task_now *now,
                                          json_object **plan)
{
    decision d = {p, req, now, NULL, NULL, -1};
    const pfj_refusal *no;

    d.plan = pfj_json_pooled(p, json_object_new_object());
    d.set = pfj_json_pooled(p, json_object_new_object());
    if ((no = check_read_only(&d)) != NULL || (no = check_owner(&d)) != NULL
        || (no = check_done_progress(&d)) != NULL
        || (no = apply_state(&d)) != NULL || (no = apply_values(&d)) != NULL) {
        return no;
    }
    apply_time_started(&d);
    plan_job_state(&d);
    pfj_put_string(d.plan, "task", req->task_id);
    pfj_put_string(d.plan, "job", now->job_id);
    json_object_object_add(d.plan, "set", json_object_get(d.set));
    *plan = d.plan;
    return NULL;
}
