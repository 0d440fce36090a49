/*
 * job_submit_rules.c - the decision of a job submission (doc/api.md §3,
 * §9.1, §9.5, §9.6; see job_submit_rules.h): the Job model, the checks in
 * the reference's order, the jobs row and the plan of the statement that
 * writes the job and everything that hangs off it.
 */
#include <string.h>
#include <apr_strings.h>
#include "core/job_submit_rules.h"
#include "core/job_columns.h"
#include "core/json_body.h"
#include "core/json_writer.h"
#include "core/db_values.h"

/* ---- the Job model of the validation step (§0.5, §3) ---- */

/* by: any JSON number (the reference lets booleans through here too; they
 * are refused later). */
static int by_is_number(json_object *v)
{
    return json_object_is_type(v, json_type_int)
           || json_object_is_type(v, json_type_double)
           || json_object_is_type(v, json_type_boolean);
}

/* The model's type of each column, from what a request may send for it
 * (core/job_columns.h); a DECIMAL column's own check, <name>_is_number,
 * decides its type. */
#define MODEL_ENTRY(name, type, check) {#name, type, check},
#define MODEL_ID(name) MODEL_ENTRY(name, PFJ_COL_INT, NULL)
#define MODEL_INT MODEL_ID
#define MODEL_BIGINT MODEL_ID
#define MODEL_STR(name) MODEL_ENTRY(name, PFJ_COL_STR, NULL)
#define MODEL_BOOL(name) MODEL_ENTRY(name, PFJ_COL_BOOL, NULL)
#define MODEL_DICT(name) MODEL_ENTRY(name, PFJ_COL_DICT, NULL)
#define MODEL_STATE(name) MODEL_ENTRY(name, PFJ_COL_ENUM, NULL)
#define MODEL_TIME(name) MODEL_ENTRY(name, PFJ_COL_DATETIME, NULL)
#define MODEL_DECIMAL(name) MODEL_ENTRY(name, PFJ_COL_CUSTOM, name##_is_number)
/* clang-format off */
#define MODEL_COLUMN(name, render, schema, input, min, max) \
    MODEL_##input(name)

static const pfj_column job_columns[] = {
    PFJ_JOB_COLUMNS(MODEL_COLUMN, )
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
/* clang-format on */

static const char *const job_ignored[] = {
    "start", "end",      "jobtype",          "jobtype_version",
    "user",  "jobqueue", "tag_requirements", NULL};

static const char *const job_disallowed[] = {
    "jobtype_version_id", "time_submitted", "time_started",
    "time_finished",      "job_queue_id",   NULL};

static const char *const job_required[] = {"title", NULL};

const pfj_model pfj_job_model = {job_columns, job_ignored, job_disallowed,
                                 job_required};

/* Relationships a new job cannot take: the reference crashes on anything
 * but an empty list for these. */
static const char *const unsettable_relations[] = {
    "children",     "tasks", "tasks_queued", "tasks_running", "tasks_done",
    "tasks_failed", NULL};
static const char *const scalar_relations[] = {"queue", "group", NULL};

/* Defaults the database does not have (doc/api.md §3.1). */
static const struct {
    const char *name;
    const char *json;
} job_defaults[] = {
    {"priority", "0"},
    {"weight", "10"},
    {"notes", "\"\""},
    {"batch", "1"},
    {"requeue", "3"},
    {"cpus", "1"},
    {"ram", "32"},
    {"hidden", "false"},
    {"to_be_deleted", "false"},
    {"completion_notify_sent", "false"},
};

/* ---- checks before the lookup ---- */

static const pfj_refusal *cannot_be_set(pfj_job_draft *d, const char *key)
{
    return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                      "`%s` cannot be set when submitting a job", key);
}

static const pfj_refusal *check_relations(pfj_job_draft *d)
{
    int i;

    for (i = 0; unsettable_relations[i]; i++) {
        if (pfj_list_length(pfj_draft_field(d, unsettable_relations[i])) > 0) {
            return cannot_be_set(d, unsettable_relations[i]);
        }
    }
    for (i = 0; scalar_relations[i]; i++) {
        if (pfj_draft_has_field(d, scalar_relations[i])) {
            return cannot_be_set(d, scalar_relations[i]);
        }
    }
    return NULL;
}

/* §3 steps 2-4. */
static const pfj_refusal *check_jobtype(pfj_job_draft *d)
{
    json_object *jobtype = pfj_draft_field(d, "jobtype");
    json_object *version;
    apr_int64_t v;

    if (!pfj_draft_has_field(d, "jobtype")) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST, "No jobtype specified");
    }
    if (!json_object_is_type(jobtype, json_type_string)) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "jobtype must be of type string");
    }
    pfj_put_string(d->lookup, "jobtype", json_object_get_string(jobtype));
    if (json_object_object_get_ex(d->body, "jobtype_version", &version)) {
        if (!pfj_json_int64(version, &v) || v < INT32_MIN || v > INT32_MAX) {
            return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                              "jobtype_version must be of type int");
        }
        json_object_object_add(d->lookup, "version", json_object_get(version));
    }
    return NULL;
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

/* One {"username", "on_success", "on_failure", "on_deletion"} entry into
 * out. */
static const pfj_refusal *collect_notified_entry(pfj_job_draft *d,
                                                 json_object *entry,
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
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "every notified user must be an object "
                          "with a `username` string of at most 255 "
                          "characters");
    }
    pfj_put_string(out, "username", json_object_get_string(name));
    for (i = 0; i < 3; i++) {
        if (!notified_flag(entry, flags[i], defaults[i], &flag)) {
            return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                              "`%s` of a "
                              "notified user must be true or false",
                              flags[i]);
        }
        json_object_object_add(out, flags[i], flag);
    }
    return NULL;
}

/* One notified user into the plan's list, its name into the lookup's. */
static const pfj_refusal *collect_notified_user(pfj_job_draft *d,
                                                json_object *entry,
                                                json_object *plan)
{
    json_object *names = json_object_object_get(d->lookup, "notified");
    json_object *out = json_object_new_object();
    const pfj_refusal *no;
    const char *name;

    json_object_array_add(plan, out);
    if ((no = collect_notified_entry(d, entry, out)) != NULL) {
        return no;
    }
    name = json_object_get_string(json_object_object_get(out, "username"));
    if (!pfj_draft_first_listing(d, "notified_users", name)) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "user %s is "
                          "listed twice in notified_users",
                          name);
    }
    json_object_array_add(names, json_object_new_string(name));
    return NULL;
}

/* notified_users: into the plan, their names into the lookup. */
static const pfj_refusal *collect_notified(pfj_job_draft *d)
{
    pfj_put_list(d->lookup, "notified");
    return pfj_draft_each(d, "notified_users", collect_notified_user,
                          pfj_put_list(d->plan, "notified"));
}

/* PyFarmJobsUserFromAuth: a job submitted without an owner belongs to
 * the authenticated user. */
static const pfj_refusal *collect_auth_owner(pfj_job_draft *d)
{
    const char *auth = pfj_draft_auth_owner(d);

    if (auth == NULL || json_object_object_get(d->lookup, "user")) {
        return NULL;
    }
    return pfj_draft_set_owner(d, auth);
}

/* Gathers what the lookup needs; refuses what cannot be looked up. */
static const pfj_refusal *collect_lookup(pfj_job_draft *d)
{
    const pfj_refusal *no;

    pfj_draft_collect_software(d);
    if ((no = pfj_draft_collect_parents(d)) != NULL
        || (no = pfj_draft_collect_user(d)) != NULL
        || (no = collect_auth_owner(d)) != NULL
        || (no = pfj_draft_collect_queue(d)) != NULL
        || (no = collect_notified(d)) != NULL) {
        return no;
    }
    pfj_draft_collect_id(d, "job_group_id", "group");
    pfj_draft_collect_id(d, "id", "id");
    return NULL;
}

/* The checks before the lookup, in the reference's order. */
static const pfj_draft_check before_lookup[] = {
    check_relations, /* with step 1's model check */
    check_jobtype,   /* steps 2-4 */
    collect_lookup,
};

/* ---- checks on the lookup's answer, in the reference's order ---- */

/* §3 steps 5-9. */
static const pfj_refusal *check_references(pfj_job_draft *d)
{
    const pfj_refusal *no;

    if (pfj_draft_found(d, PFJ_LC_JOBTYPE_VERSION_ID) == NULL) {
        return pfj_refuse_as(d->p, PFJ_HTTP_NOT_FOUND, PFJ_REFUSAL_STRING,
                             "Jobtype or version not found");
    }
    if ((no = pfj_draft_check_software(d)) != NULL
        || (no = pfj_draft_check_parents(d)) != NULL
        || (no = pfj_draft_check_user(d, pfj_conf_autocreate_users(d->conf)))
               != NULL
        || (no = pfj_draft_check_queue(d)) != NULL) {
        return no;
    }
    return NULL;
}

/* §3 step 10: what the reference's model validators refuse (with 500),
 * then the job group and the id. */
static const pfj_refusal *check_values(pfj_job_draft *d)
{
    json_object *state = pfj_draft_field(d, "state");
    json_object *group = pfj_draft_field(d, "job_group_id");
    json_object *id = pfj_draft_field(d, "id");
    const pfj_refusal *no;

    if ((no = pfj_draft_check_integers(d)) != NULL) {
        return no;
    }
    if (state
        && (!json_object_is_type(state, json_type_string)
            || pfj_state_code(json_object_get_string(state)) < 0)) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`state` must be one of paused, running, "
                          "done, failed");
    }
    if ((no = pfj_draft_check_lengths(d)) != NULL) {
        return no;
    }
    if (group && !pfj_draft_found_true(d, PFJ_LC_GROUP_EXISTS)) {
        return pfj_refuse(d->p, PFJ_HTTP_NOT_FOUND, "Job group %s not found",
                          json_object_get_string(group));
    }
    if (id && pfj_draft_found_true(d, PFJ_LC_ID_EXISTS)) {
        return pfj_refuse(d->p, PFJ_HTTP_CONFLICT, "Job %s already exists",
                          json_object_get_string(id));
    }
    return NULL;
}

/* §3 step 11. */
static const pfj_refusal *check_notified(pfj_job_draft *d)
{
    const char *missing = pfj_draft_found(d, PFJ_LC_MISSING_NOTIFIED);

    if (missing && !pfj_conf_autocreate_users(d->conf)) {
        return pfj_refuse(d->p, PFJ_HTTP_NOT_FOUND, "User %s not found",
                          missing);
    }
    return NULL;
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
static const char *number_text(pfj_job_draft *d, const char *key,
                               const char *dflt)
{
    return pfj_draft_has_field(d, key)
               ? json_object_get_string(pfj_draft_field(d, key))
               : dflt;
}

/* start/end must be numbers when present (even as null): §3 steps
 * 12-14. */
static const pfj_refusal *check_range(pfj_job_draft *d)
{
    int has_start = pfj_draft_has_field(d, "start");
    int has_end = pfj_draft_has_field(d, "end");

    if (has_end && !has_start) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`end` is specified while `start` is not");
    }
    if ((has_start && !pfj_json_is_number(pfj_draft_field(d, "start")))
        || (has_end && !pfj_json_is_number(pfj_draft_field(d, "end")))) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`start` and `end` need to be of type "
                          "decimal or int");
    }
    d->start = number_text(d, "start", "1");
    d->end = number_text(d, "end", d->start);
    if (pfj_decimal_cmp(d->p, d->end, d->start) < 0) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`end` must be larger than or equal to "
                          "start");
    }
    d->start_token = has_start ? echo_token(d->p, pfj_draft_field(d, "start"))
                               : "1.0";
    d->end_token = has_end ? echo_token(d->p, pfj_draft_field(d, "end"))
                           : d->start_token;
    return NULL;
}

/* §3 steps 12-15 and §9.1: the frame range. */
static const pfj_refusal *check_frames(pfj_job_draft *d)
{
    const pfj_refusal *no = check_range(d);

    if (no != NULL) {
        return no;
    }
    if (pfj_draft_has_field(d, "by")
        && !pfj_json_is_number(pfj_draft_field(d, "by"))) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`by` needs to be of type decimal or int");
    }
    d->by = number_text(d, "by", "1");
    pfj_json_int64(pfj_draft_field(d, "num_tiles"), &d->tiles);
    return pfj_draft_check_step(d);
}

/* §3 step 16. */
static const pfj_refusal *check_tiling(pfj_job_draft *d)
{
    if (pfj_draft_field(d, "num_tiles")
        && !pfj_draft_found_true(d, PFJ_LC_SUPPORTS_TILING)) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "`num_tiles` is set, but this jobtype does "
                          "not support tiling.");
    }
    return NULL;
}

/* One tag name into names (the plan's tags) and the tags to create. */
static const pfj_refusal *collect_tag_name(pfj_job_draft *d, json_object *tag,
                                           json_object *names)
{
    if (!json_object_is_type(tag, json_type_string)
        || pfj_utf8_length(json_object_get_string(tag)) > PFJ_MAX_TAG) {
        return pfj_refuse(d->p, PFJ_HTTP_BAD_REQUEST,
                          "tags must be strings of at most 64 "
                          "characters");
    }
    json_object_array_add(names, json_object_get(tag));
    json_object_array_add(d->all_tags, json_object_get(tag));
    return NULL;
}

/* tags: strings, created when unknown. */
static const pfj_refusal *collect_tag_names(pfj_job_draft *d)
{
    return pfj_draft_each(d, "tags", collect_tag_name,
                          pfj_put_list(d->plan, "tags"));
}

/* The checks after the lookup, in the reference's order. */
static const pfj_draft_check after_lookup[] = {
    check_references, /* steps 5-9 */
    check_values,     /* step 10 */
    check_notified,   /* step 11 */
    check_frames,     /* steps 12-15 */
    pfj_draft_check_task_count,
    check_tiling, /* step 16 */
    collect_tag_names,
    pfj_draft_collect_tag_requirements,
};

/* ---- the row and the plan ---- */

/* A JSON dict column as the text the jobs row stores; NULL when absent. */
static const char *dict_text(pfj_job_draft *d, const char *key)
{
    json_object *v = pfj_draft_field(d, key);

    return v ? pfj_json_to_string(d->p, v) : NULL;
}

/* The given columns, the defaults the database lacks, the looked-up ids. */
static void build_row(pfj_job_draft *d)
{
    json_object *state = pfj_draft_field(d, "state");
    const char *autodelete = pfj_conf_autodelete(d->p, d->conf);
    apr_size_t i;
    int code;

    json_object_object_foreach(d->body, key, val)
    {
        if (strcmp(key, "state") && strcmp(key, "data")
            && strcmp(key, "environ") && strcmp(key, "by")) {
            json_object_object_add(d->row, key, json_object_get(val));
        }
    }
    for (i = 0; i < PFJ_COUNT(job_defaults); i++) {
        if (!pfj_draft_has_field(d, job_defaults[i].name)) {
            json_object_object_add(d->row, job_defaults[i].name,
                                   json_tokener_parse(job_defaults[i].json));
        }
    }
    if (!pfj_draft_has_field(d, "autodelete_time") && autodelete) {
        json_object_object_add(d->row, "autodelete_time",
                               json_tokener_parse(autodelete));
    }
    /* running and paused survive the creation of the tasks; a new job
     * cannot be done or failed (§9.1 step 5: the reference keeps only
     * running, and stamps a finish time on a queued job for those two) */
    code = state ? pfj_state_code(json_object_get_string(state)) : -1;
    if (code == PFJ_STATE_RUNNING || code == PFJ_STATE_PAUSED) {
        json_object_object_add(d->row, "state", json_object_new_int(code));
    }
    pfj_put_string(d->row, "by", d->by);
    pfj_put_string(d->row, "data", dict_text(d, "data"));
    pfj_put_string(d->row, "environ", dict_text(d, "environ"));
    pfj_put_string(d->row, "jobtype_version_id",
                   pfj_draft_found(d, PFJ_LC_JOBTYPE_VERSION_ID));
    pfj_put_string(d->row, "job_queue_id",
                   pfj_draft_found(d, PFJ_LC_QUEUE_ID));
}

/* Users that must exist: the owner and the notified users (created when
 * missing, PyFarmJobsAutocreateUsers permitting); the state asked for, the
 * range. */
static void build_plan(pfj_job_draft *d)
{
    json_object *users = pfj_put_list(d->plan, "users");
    json_object *notified = json_object_object_get(d->plan, "notified");
    json_object *owner = json_object_object_get(d->plan, "user");
    json_object *state = pfj_draft_field(d, "state");
    size_t i;

    if (owner) {
        json_object_array_add(users, json_object_get(owner));
    }
    for (i = 0; i < json_object_array_length(notified); i++) {
        json_object_array_add(users,
                              json_object_get(json_object_object_get(
                                  json_object_array_get_idx(notified, i),
                                  "username")));
    }
    pfj_put_string(d->plan, "state",
                   state ? json_object_get_string(state) : NULL);
    pfj_put_string(d->plan, "email", pfj_conf_user_email(d->conf));
    pfj_put_string(d->plan, "start", d->start);
    pfj_put_string(d->plan, "end", d->end);
    pfj_put_string(d->plan, "by", d->by);
}

/* The jobs row and the plan of pfj_submit_insert. */
static void complete_plan(pfj_job_draft *d, pfj_job_plan *plan)
{
    build_row(d);
    build_plan(d);
    plan->row = d->row;
}

static const pfj_job_decision submission = PFJ_JOB_DECISION(before_lookup,
                                                            after_lookup,
                                                            complete_plan);

const pfj_refusal *pfj_submit_prepare(apr_pool_t *p, json_object *body,
                                      const pfj_dir_conf *conf,
                                      const char *auth_user,
                                      pfj_job_draft **draft)
{
    return pfj_draft_prepare(p, body, conf, auth_user, NULL, &submission,
                             draft);
}
