/*
 * notified_users.c - the users notified about a job's events (doc/api.md
 * §10.5).  Every request is one statement: the job, the user and the
 * change are resolved together, and the answer is chosen from its row in
 * the reference's check order.
 */
#include <apr_strings.h>
#include <httpd.h>
#include <http_protocol.h>
#include <http_log.h>
#include "resources/notified_users.h"
#include "resources/jobs.h"
#include "core/count.h"
#include "core/json_body.h"

APLOG_USE_MODULE(pyfarm_jobs);

/* The subscriber columns of the list and subscribe statements, in the
 * order render_subscriber() reads them. */
enum subscriber_column {
    SC_JOB_ID,
    SC_USER_ID,
    SC_USERNAME,
    SC_EMAIL,
    SC_ON_SUCCESS,
    SC_ON_FAILURE,
    SC_ON_DELETION
};

/* Statement labels, so that a misspelt one fails to compile. */
#define STMT_NOTIFIED_USERS_LIST "pfj_notified_users_list"
#define STMT_NOTIFIED_USER_ADD "pfj_notified_user_add"
#define STMT_NOTIFIED_USER_DELETE "pfj_notified_user_delete"

/* clang-format off */
const pfj_stmt pfj_notified_users_stmts[] = {
    /* No row: no such job.  One row with a NULL user: nobody (left) to
     * list. */
    {STMT_NOTIFIED_USERS_LIST,
     "SELECT j.id, s.id, s.username, s.email,"
     "       s.on_success, s.on_failure, s.on_deletion"
     "  FROM jobs j"
     "  LEFT JOIN LATERAL ("
     "       SELECT u.id, u.username, u.email,"
     "              n.on_success, n.on_failure, n.on_deletion"
     "         FROM notified_users n JOIN users u ON u.id = n.user_id"
     "        WHERE n.job_id = j.id"
     "        ORDER BY u.id LIMIT %lld OFFSET %lld) s ON true"
     " WHERE j.id = " PFJ_JOB_REF_SQL},
    /* Subscribes the user when the last parameter is true; the flags are
     * NULL for their defaults.  The flags come back NULL when nothing was
     * inserted: the user is subscribed already (or there was nothing to
     * insert). */
    {STMT_NOTIFIED_USER_ADD,
     "WITH job AS (SELECT id FROM jobs WHERE id = " PFJ_JOB_REF_SQL "),"
     " usr AS (SELECT id, username, email FROM users WHERE username = %s),"
     " added AS (INSERT INTO notified_users"
     "             (user_id, job_id, on_success, on_failure, on_deletion)"
     "           SELECT usr.id, job.id, COALESCE(%s::boolean, true),"
     "                  COALESCE(%s::boolean, true),"
     "                  COALESCE(%s::boolean, false)"
     "             FROM job, usr WHERE %s::boolean"
     "           ON CONFLICT DO NOTHING"
     "           RETURNING on_success, on_failure, on_deletion)"
     "SELECT (SELECT id FROM job), usr.id, usr.username, usr.email,"
     "       added.on_success, added.on_failure, added.on_deletion"
     "  FROM (VALUES (1)) AS one(n)"
     "  LEFT JOIN usr ON true LEFT JOIN added ON true"},
    /* Returns the job id and the user id (NULL when not found). */
    {STMT_NOTIFIED_USER_DELETE,
     "WITH job AS (SELECT id FROM jobs WHERE id = " PFJ_JOB_REF_SQL "),"
     " usr AS (SELECT id FROM users WHERE username = %s),"
     " gone AS (DELETE FROM notified_users n USING job, usr"
     "           WHERE n.job_id = job.id AND n.user_id = usr.id)"
     "SELECT (SELECT id FROM job), (SELECT id FROM usr)"},
    {NULL, NULL}
};
/* clang-format on */

static const char *const flag_keys[] = {"on_success", "on_failure",
                                        "on_deletion"};

#define NFLAGS PFJ_COUNT(flag_keys)

/* What a subscribe request asks for, and what is wrong with it.  The
 * reference checks the job, the body and its "username", looks the user
 * up, then refuses other keys, then (at commit) bad flag values. */
typedef struct subscription {
    const char *username;      /* to look up; NULL: nobody */
    const char *shown_name;    /* as "User <name> not found" shows it */
    const char *flags[NFLAGS]; /* "t", "f", or NULL for the default */
    const char *body_error;    /* the 400 due before the user lookup */
    const char *field_error;   /* the 400 due after it */
} subscription;

static int job_not_found(pfj_req *q)
{
    return pfj_send_error(q, HTTP_NOT_FOUND, "Job not found");
}

static void render_subscriber(pfj_jw *w, const pfj_rows *row)
{
    apr_size_t i;

    pfj_jw_object_begin(w);
    pfj_jw_kv_db(w, "id", PFJ_DB_INT, pfj_db_col(row, SC_USER_ID));
    pfj_jw_kv_db(w, "username", PFJ_DB_TEXT, pfj_db_col(row, SC_USERNAME));
    pfj_jw_kv_db(w, "email", PFJ_DB_TEXT, pfj_db_col(row, SC_EMAIL));
    for (i = 0; i < NFLAGS; i++) {
        pfj_jw_kv_db(w, flag_keys[i], PFJ_DB_BOOL,
                     pfj_db_col(row, SC_ON_SUCCESS + i));
    }
    pfj_jw_object_end(w);
}

static const pfj_child_list subscriber_list = {
    STMT_NOTIFIED_USERS_LIST, 4, SC_USER_ID, render_subscriber, job_not_found};

/* GET …/notified_users/ */
int pfj_notified_users_list(pfj_req *q)
{
    const char *args[4];
    pfj_page page;
    pfj_db *db;
    int rc;

    if ((rc = pfj_req_list_start(q, &db, &page)) != DECLINED) {
        return rc;
    }
    if (!pfj_job_ref(q->route.args[0], &args[2], &args[3])) {
        return job_not_found(q);
    }
    pfj_req_page_args(q, &page, &args[0]);
    return pfj_send_child_list(q, db, &subscriber_list, args, &page);
}

/* The reference answers a list or a string without "username" with "No
 * username specified"; it crashes on every other body that is not an
 * object (we answer 400 instead). */
static const char *non_object_error(apr_pool_t *p, json_object *body)
{
    if ((json_object_is_type(body, json_type_array)
         || json_object_is_type(body, json_type_string))
        && !pfj_json_mentions(body, "username")) {
        return "No username specified";
    }
    return pfj_json_not_object(p, body);
}

/* A flag as SQLAlchemy's Boolean column takes it: true or false, or a
 * number equal to 1 or 0 (Python's True == 1); null keeps the default.
 * Returns 0 for anything else (the reference then fails with 500). */
static int flag_value(json_object *v, const char **out)
{
    double d;

    *out = NULL;
    if (v == NULL) {
        return 1;
    }
    if (!json_object_is_type(v, json_type_boolean) && !pfj_json_is_number(v)) {
        return 0;
    }
    d = json_object_get_double(v);
    if (d != 0.0 && d != 1.0) {
        return 0;
    }
    *out = d == 1.0 ? "t" : "f";
    return 1;
}

/* Keys besides "username" and the flags, then bad flag values; reads the
 * flags into s. */
static const char *field_error(apr_pool_t *p, json_object *body,
                               subscription *s)
{
    apr_size_t i, known = 1; /* "username" is there */
    json_object *v;

    for (i = 0; i < NFLAGS; i++) {
        known += json_object_object_get_ex(body, flag_keys[i], NULL);
    }
    if ((apr_size_t)json_object_object_length(body) > known) {
        return "Unknown fields in request";
    }
    for (i = 0; i < NFLAGS; i++) {
        v = NULL;
        json_object_object_get_ex(body, flag_keys[i], &v);
        if (!flag_value(v, &s->flags[i])) {
            return apr_pstrcat(p, flag_keys[i],
                               " must be true, false, 0, 1 or null", NULL);
        }
    }
    return NULL;
}

static void read_subscription(pfj_req *q, subscription *s)
{
    apr_pool_t *p = q->r->pool;
    json_object *body = q->body, *name;

    memset(s, 0, sizeof(*s));
    if (!json_object_is_type(body, json_type_object)) {
        s->body_error = non_object_error(p, body);
        return;
    }
    if (!json_object_object_get_ex(body, "username", &name)) {
        s->body_error = "No username specified";
        return;
    }
    if (name == NULL) {
        /* JSON null: the reference finds no user and names it None. */
        s->shown_name = "None";
    }
    else if (json_object_is_type(name, json_type_string)) {
        s->username = s->shown_name = json_object_get_string(name);
    }
    else {
        s->body_error = "username must be a string";
        return;
    }
    s->field_error = field_error(p, body, s);
}

/* The answer to a subscribe request from the row of its statement. */
static int answer_subscription(pfj_req *q, const subscription *s,
                               const pfj_rows *row)
{
    apr_pool_t *p = q->r->pool;
    pfj_jw *w;

    if (pfj_db_col(row, SC_JOB_ID) == NULL) {
        return job_not_found(q);
    }
    if (s->body_error) {
        return pfj_send_error(q, HTTP_BAD_REQUEST, s->body_error);
    }
    if (pfj_db_col(row, SC_USER_ID) == NULL) {
        return pfj_send_json_string(q, HTTP_NOT_FOUND,
                                    apr_psprintf(p, "User %s not found",
                                                 s->shown_name));
    }
    if (s->field_error) {
        return pfj_send_error(q, HTTP_BAD_REQUEST, s->field_error);
    }
    if (pfj_db_col(row, SC_ON_SUCCESS) == NULL) {
        /* The reference fails on the primary key (500). */
        return pfj_send_errorf(q, HTTP_CONFLICT,
                               "User %s is already "
                               "notified for this job",
                               s->shown_name);
    }
    w = pfj_begin_json(q, HTTP_CREATED);
    render_subscriber(w, row);
    return pfj_end_json(q, w);
}

/* POST …/notified_users/ */
int pfj_notified_users_add(pfj_req *q)
{
    pfj_db *db = pfj_req_db(q);
    const char *args[7];
    subscription s;
    pfj_rows row;
    apr_size_t i;

    if (db == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if (!pfj_job_ref(q->route.args[0], &args[0], &args[1])) {
        return job_not_found(q);
    }
    read_subscription(q, &s);
    args[2] = s.username;
    for (i = 0; i < NFLAGS; i++) {
        args[3 + i] = s.flags[i];
    }
    args[6] = (s.body_error || s.field_error) ? "f" : "t";
    if (pfj_db_select_row(db, STMT_NOTIFIED_USER_ADD, 7, args, &row) != 1) {
        return pfj_send_db_failure(q, db);
    }
    return answer_subscription(q, &s, &row);
}

/* DELETE …/notified_users/<username>: 204 whether or not the user was
 * subscribed. */
int pfj_notified_user_delete(pfj_req *q)
{
    pfj_db *db = pfj_req_db(q);
    const char *args[3];
    pfj_rows row;

    if (db == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if (!pfj_job_ref(q->route.args[0], &args[0], &args[1])) {
        return job_not_found(q);
    }
    args[2] = q->route.args[1];
    if (pfj_db_select_row(db, STMT_NOTIFIED_USER_DELETE, 3, args, &row) != 1) {
        return pfj_send_db_failure(q, db);
    }
    if (pfj_db_col(&row, 0) == NULL) {
        return job_not_found(q);
    }
    if (pfj_db_col(&row, 1) == NULL) {
        return pfj_send_errorf(q, HTTP_NOT_FOUND, "User %s not found",
                               args[2]);
    }
    return pfj_send_no_content(q);
}
