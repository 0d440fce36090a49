/*
 * task_logs.c - the logs of a task attempt (doc/api.md §11): list,
 * register, get, update, and the log file's download and upload.
 *
 * Every request about one log starts with one lookup that tells, in one
 * row, whether the task exists under the URL's job, which log has the
 * identifier, whether it is linked to the task attempt, and where its
 * agent is: §11's 404s, in the reference's order, all come from it.  The
 * files themselves are logfile.c's, the names log_identifier.c's.
 */
#include <apr_strings.h>
#include <httpd.h>
#include <http_protocol.h>
#include <http_log.h>
#include "resources/task_logs.h"
#include "core/json_body.h"
#include "resources/logfile.h"
#include "core/log_identifier.h"
#include "core/db_values.h"

APLOG_USE_MODULE(pyfarm_jobs);

/* Statement labels, so that a misspelt one fails to compile. */
#define STMT_TASK_LOGS_LIST "pfj_task_logs_list"
#define STMT_TASK_LOG_LOOKUP "pfj_task_log_lookup"
#define STMT_TASK_LOG_REGISTER "pfj_task_log_register"
#define STMT_TASK_LOG_SET_STATE "pfj_task_log_set_state"

/* clang-format off */
const pfj_stmt pfj_task_logs_stmts[] = {
    /* §11.1.  No row: no such task.  One row with a NULL identifier: no
     * log (left) to list.  Logs come in the order of their ids. */
    {STMT_TASK_LOGS_LIST,
     "SELECT t.id, l.identifier, l.created_on, l.agent_id"
     "  FROM tasks t"
     "  LEFT JOIN LATERAL ("
     "       SELECT l.id, l.identifier, l.created_on, l.agent_id"
     "         FROM task_log_associations x"
     "         JOIN task_logs l ON l.id = x.task_log_id"
     "        WHERE x.task_id = t.id AND x.attempt = %d"
     "        ORDER BY l.id LIMIT %lld OFFSET %lld) l ON true"
     " WHERE t.id = %lld AND t.job_id = %lld"
     " ORDER BY l.id"},
    /* §11.2-§11.6: always one row (columns: enum lookup_column).  The
     * agent parameter is the one a registration names. */
    {STMT_TASK_LOG_LOOKUP,
     "SELECT EXISTS (SELECT 1 FROM tasks WHERE id = %lld AND job_id = %lld),"
     "       l.id, l.identifier, l.agent_id, l.created_on,"
     "       EXISTS (SELECT 1 FROM task_log_associations x"
     "                WHERE x.task_log_id = l.id AND x.task_id = %lld"
     "                  AND x.attempt = %d),"
     "       EXISTS (SELECT 1 FROM agents WHERE id = %s::uuid),"
     "       a.use_address, a.hostname, a.remote_ip, a.port"
     "  FROM (SELECT %s::text AS identifier) k"
     "  LEFT JOIN task_logs l ON l.identifier = k.identifier"
     "  LEFT JOIN agents a ON a.id = l.agent_id"},
    /* §11.2: the log (new, or the existing one with this identifier, its
     * agent kept) linked to the task attempt.  Returns whether the link is
     * new, then the log in the lookup's columns. */
    {STMT_TASK_LOG_REGISTER,
     "WITH log AS ("
     "   INSERT INTO task_logs (id, identifier, agent_id, created_on)"
     "   VALUES (COALESCE(%d, nextval(pg_get_serial_sequence('task_logs',"
     "                                                        'id'))),"
     "           %s, %s::uuid, now() AT TIME ZONE 'utc')"
     "   ON CONFLICT (identifier)"
     "   DO UPDATE SET identifier = EXCLUDED.identifier"
     "   RETURNING id, identifier, agent_id, created_on),"
     " link AS ("
     "   INSERT INTO task_log_associations (task_log_id, task_id, attempt,"
     "                                      state)"
     "   SELECT id, %lld, %d, NULL FROM log"
     "   ON CONFLICT DO NOTHING RETURNING 1)"
     "SELECT EXISTS (SELECT 1 FROM link), id, identifier, agent_id,"
     "       created_on FROM log"},
    /* §11.4 */
    {STMT_TASK_LOG_SET_STATE,
     "UPDATE task_log_associations SET state = %d"
     " WHERE task_log_id = %d AND task_id = %lld AND attempt = %d"},
    {NULL, NULL}
};
/* clang-format on */

/* Columns of pfj_task_log_lookup; pfj_task_log_register has the log's
 * four at the same places. */
enum lookup_column {
    LK_TASK_FOUND,
    LK_ID,
    LK_IDENTIFIER,
    LK_AGENT_ID,
    LK_CREATED_ON,
    LK_LINKED,
    LK_AGENT_KNOWN,
    LK_USE_ADDRESS,
    LK_HOSTNAME,
    LK_REMOTE_IP,
    LK_PORT
};

/* The URL's placeholders (router.c). */
enum { ARG_JOB, ARG_TASK, ARG_ATTEMPT, ARG_IDENTIFIER };

#define TASK_NOT_FOUND "Specified task not found"
#define LOG_NOT_FOUND "Specified log not found"
#define NOT_IN_TASK "Specified log not found in task"
#define NOT_ACCEPTABLE "Identifier is not acceptable"

/* The URL's numbers as SQL parameters: NULL when too large for their
 * column (64 bits for ids, 32 for attempt), so that nothing matches. */
typedef struct log_ref {
    const char *job;
    const char *task;
    const char *attempt;
} log_ref;

static log_ref url_ref(pfj_req *q)
{
    log_ref ref;

    ref.job = pfj_id_within(q->route.args[ARG_JOB], APR_INT64_MAX);
    ref.task = pfj_id_within(q->route.args[ARG_TASK], APR_INT64_MAX);
    ref.attempt = pfj_id_within(q->route.args[ARG_ATTEMPT], APR_INT32_MAX);
    return ref;
}

static const char *col(const pfj_rows *rows, enum lookup_column c)
{
    return pfj_db_col(rows, c);
}

/* Runs the lookup for identifier (and the agent a registration names).
 * DECLINED to go on with *log on its row, else the answer sent. */
static int lookup(pfj_req *q, const char *identifier, const char *agent,
                  pfj_rows *log)
{
    pfj_db *db = pfj_req_db(q);
    log_ref ref = url_ref(q);
    const char *args[6] = {ref.task,    ref.job, ref.task,
                           ref.attempt, agent,   identifier};

    if (db == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if (pfj_db_select_row(db, STMT_TASK_LOG_LOOKUP, 6, args, log) != 1) {
        return pfj_send_db_failure(q, db);
    }
    return DECLINED;
}

/* A 404 of §11: the URL's task id with its job id, or with the log
 * identifier when log is not NULL. */
static int send_missing(pfj_req *q, const char *log, const char *error)
{
    pfj_jw *w = pfj_begin_json(q, HTTP_NOT_FOUND);

    pfj_jw_object_begin(w);
    pfj_jw_kv_digits(w, "task_id", q->route.args[ARG_TASK]);
    if (log) {
        pfj_jw_kv_string(w, "log", log);
    }
    else {
        pfj_jw_kv_digits(w, "job_id", q->route.args[ARG_JOB]);
    }
    pfj_jw_kv_string(w, "error", error);
    pfj_jw_object_end(w);
    return pfj_end_json(q, w);
}

/* The 404s of §11.3-§11.6 in the reference's order; the file endpoints
 * (by_log) name the log where the others name the job.  DECLINED when the
 * task, the log and their link exist. */
static int refuse_missing(pfj_req *q, const pfj_rows *log, int by_log)
{
    const char *identifier = q->route.args[ARG_IDENTIFIER];

    if (!pfj_db_bool(col(log, LK_TASK_FOUND))) {
        return send_missing(q, by_log ? identifier : NULL, TASK_NOT_FOUND);
    }
    if (col(log, LK_ID) == NULL) {
        return send_missing(q, by_log ? identifier : NULL, LOG_NOT_FOUND);
    }
    if (!pfj_db_bool(col(log, LK_LINKED))) {
        return send_missing(q, identifier, NOT_IN_TASK);
    }
    return DECLINED;
}

/* The task-log object (§0.8). */
static int send_log(pfj_req *q, int status, const pfj_rows *log)
{
    pfj_jw *w = pfj_begin_json(q, status);

    pfj_jw_object_begin(w);
    pfj_jw_kv_db(w, "id", PFJ_DB_INT, col(log, LK_ID));
    pfj_jw_kv_db(w, "identifier", PFJ_DB_TEXT, col(log, LK_IDENTIFIER));
    pfj_jw_kv_db(w, "agent_id", PFJ_DB_TEXT, col(log, LK_AGENT_ID));
    pfj_jw_kv_db(w, "created_on", PFJ_DB_TIMESTAMP, col(log, LK_CREATED_ON));
    pfj_jw_object_end(w);
    return pfj_end_json(q, w);
}

/* ---- §11.1 ---- */

/* Columns of pfj_task_logs_list. */
enum list_column { LS_TASK, LS_IDENTIFIER, LS_CREATED_ON, LS_AGENT_ID };

/* A missing agent is null, as in the log object (the reference's list
 * writes str(None)). */
static void render_list_item(pfj_jw *w, const pfj_rows *rows)
{
    pfj_jw_object_begin(w);
    pfj_jw_kv_db(w, "identifier", PFJ_DB_TEXT,
                 pfj_db_col(rows, LS_IDENTIFIER));
    pfj_jw_kv_db(w, "created_on", PFJ_DB_TIMESTAMP,
                 pfj_db_col(rows, LS_CREATED_ON));
    pfj_jw_kv_db(w, "agent_id", PFJ_DB_TEXT, pfj_db_col(rows, LS_AGENT_ID));
    pfj_jw_object_end(w);
}

static int task_not_found(pfj_req *q)
{
    return send_missing(q, NULL, TASK_NOT_FOUND);
}

static const pfj_child_list log_list = {STMT_TASK_LOGS_LIST, 5, LS_IDENTIFIER,
                                        render_list_item, task_not_found};

int pfj_task_logs_list(pfj_req *q)
{
    log_ref ref = url_ref(q);
    const char *args[5] = {ref.attempt, NULL, NULL, ref.task, ref.job};
    pfj_page page;
    pfj_db *db;
    int rc;

    if ((rc = pfj_req_list_start(q, &db, &page)) != DECLINED) {
        return rc;
    }
    pfj_req_page_args(q, &page, &args[1]);
    return pfj_send_child_list(q, db, &log_list, args, &page);
}

/* ---- §11.2 ---- */

/* The TaskLog model's custom check: a string holding a UUID (in the
 * canonical form, see pfj_is_uuid). */
static int is_uuid_string(json_object *v)
{
    return json_object_is_type(v, json_type_string)
           && pfj_is_uuid(json_object_get_string(v));
}

static const pfj_column task_log_columns[] = {
    {"id", PFJ_COL_INT, NULL},
    {"identifier", PFJ_COL_STR, NULL},
    {"agent_id", PFJ_COL_CUSTOM, is_uuid_string},
    {"created_on", PFJ_COL_DATETIME, NULL},
    {NULL, PFJ_COL_INT, NULL}};

static const char *const task_log_required[] = {"identifier", NULL};

static const pfj_model task_log_model = {task_log_columns, NULL, NULL,
                                         task_log_required};

/* A validated registration's values. */
typedef struct registration {
    const char *identifier;
    const char *agent; /* NULL: none given */
    const char *id;    /* NULL: from the sequence */
} registration;

/* The values of a body that passed the model; an "id" the column cannot
 * hold (the reference fails with 500) is refused. */
static int read_registration(pfj_req *q, registration *g)
{
    json_object *v;
    apr_int64_t id;

    g->identifier =
        json_object_get_string(json_object_object_get(q->body, "identifier"));
    v = json_object_object_get(q->body, "agent_id");
    g->agent = v ? json_object_get_string(v) : NULL;
    g->id = NULL;
    if (!json_object_object_get_ex(q->body, "id", &v)) {
        return DECLINED;
    }
    if (!pfj_json_int64(v, &id) || id < APR_INT32_MIN || id > APR_INT32_MAX) {
        return pfj_send_error(q, HTTP_BAD_REQUEST,
                              "`id` must be an integer "
                              "from -2147483648 to 2147483647");
    }
    g->id = json_object_get_string(v);
    return DECLINED;
}

static int send_conflict(pfj_req *q)
{
    pfj_jw *w = pfj_begin_json(q, HTTP_CONFLICT);

    pfj_jw_object_begin(w);
    pfj_jw_kv_null(w, "log");
    pfj_jw_kv_digits(w, "attempt", q->route.args[ARG_ATTEMPT]);
    pfj_jw_kv_digits(w, "task_id", q->route.args[ARG_TASK]);
    pfj_jw_kv_string(w, "error",
                     "This log is already registered for this task.");
    pfj_jw_object_end(w);
    return pfj_end_json(q, w);
}

/* §11.2's refusals in order, after the lookup.  Where the reference
 * fails (500): an attempt beyond the column's range (400 here), an agent
 * id no agent has (404 here, as failed_on_agents answers it). */
static int refuse_registration(pfj_req *q, const pfj_rows *log,
                               const registration *g)
{
    if (!pfj_db_bool(col(log, LK_TASK_FOUND))) {
        return send_missing(q, NULL, TASK_NOT_FOUND);
    }
    if (!pfj_log_identifier_ok(g->identifier)) {
        return pfj_send_error(q, HTTP_BAD_REQUEST, NOT_ACCEPTABLE);
    }
    if (pfj_db_bool(col(log, LK_LINKED))) {
        return send_conflict(q);
    }
    if (url_ref(q).attempt == NULL) {
        return pfj_send_error(q, HTTP_BAD_REQUEST,
                              "`attempt` must be at "
                              "most 2147483647");
    }
    if (col(log, LK_ID) == NULL && g->agent
        && !pfj_db_bool(col(log, LK_AGENT_KNOWN))) {
        return pfj_send_error(q, HTTP_NOT_FOUND, "Agent not found");
    }
    return DECLINED;
}

/* Creates or reuses the log and links it; 201 with the log, or 409 when
 * another registration linked it meanwhile. */
static int register_log(pfj_req *q, const registration *g)
{
    pfj_db *db = pfj_req_db(q);
    log_ref ref = url_ref(q);
    const char *args[5] = {g->id, g->identifier, g->agent, ref.task,
                           ref.attempt};
    pfj_rows log;

    if (pfj_db_select_row(db, STMT_TASK_LOG_REGISTER, 5, args, &log) != 1) {
        return pfj_send_db_failure(q, db);
    }
    if (!pfj_db_bool(pfj_db_col(&log, 0))) {
        return send_conflict(q);
    }
    return send_log(q, HTTP_CREATED, &log);
}

int pfj_task_log_register(pfj_req *q)
{
    registration g;
    pfj_rows log;
    int rc;

    if ((rc = pfj_req_validate(q, &task_log_model)) != DECLINED
        || (rc = read_registration(q, &g)) != DECLINED
        || (rc = lookup(q, g.identifier, g.agent, &log)) != DECLINED
        || (rc = refuse_registration(q, &log, &g)) != DECLINED) {
        return rc;
    }
    return register_log(q, &g);
}

/* ---- §11.3 ---- */

/* The lookup of the URL's log and its 404s: DECLINED when it is there. */
static int find_url_log(pfj_req *q, pfj_rows *log, int by_log)
{
    int rc = lookup(q, q->route.args[ARG_IDENTIFIER], NULL, log);

    return rc != DECLINED ? rc : refuse_missing(q, log, by_log);
}

int pfj_task_log_get(pfj_req *q)
{
    pfj_rows log;
    int rc;

    if ((rc = find_url_log(q, &log, 0)) != DECLINED) {
        return rc;
    }
    return send_log(q, HTTP_OK, &log);
}

/* ---- §11.4 ---- */

/* A body that is not a JSON object: an array or a string without "state"
 * changes nothing (200); any other body crashes the reference (400 here). */
static int update_without_object(pfj_req *q, const pfj_rows *log)
{
    json_object *body = q->body;

    if ((json_object_is_type(body, json_type_array)
         || json_object_is_type(body, json_type_string))
        && !pfj_json_mentions(body, "state")) {
        return send_log(q, HTTP_OK, log);
    }
    return pfj_send_error(q, HTTP_BAD_REQUEST,
                          pfj_json_not_object(q->r->pool, body));
}

/* The state to store: *code is its number as text, NULL for queued
 * ("queued" or null).  Any other value crashes the reference (400 here). */
static int read_state(pfj_req *q, json_object *v, const char **code)
{
    int is_string = json_object_is_type(v, json_type_string);
    int n;

    *code = NULL;
    if (v == NULL
        || (is_string && strcmp(json_object_get_string(v), "queued") == 0)) {
        return DECLINED;
    }
    n = is_string ? pfj_state_code(json_object_get_string(v)) : -1;
    if (n < 0) {
        return pfj_send_error(q, HTTP_BAD_REQUEST,
                              "`state` must be one of "
                              "queued, paused, running, done, failed");
    }
    *code = apr_itoa(q->r->pool, n);
    return DECLINED;
}

static int store_state(pfj_req *q, const pfj_rows *log, const char *code)
{
    pfj_db *db = pfj_req_db(q);
    log_ref ref = url_ref(q);
    const char *args[4] = {code, col(log, LK_ID), ref.task, ref.attempt};

    return pfj_db_exec(db, STMT_TASK_LOG_SET_STATE, 4, args, NULL) == 0
               ? DECLINED
               : pfj_send_db_failure(q, db);
}

int pfj_task_log_update(pfj_req *q)
{
    json_object *state;
    const char *code;
    pfj_rows log;
    int rc, has_state;

    if ((rc = find_url_log(q, &log, 0)) != DECLINED) {
        return rc;
    }
    if (!json_object_is_type(q->body, json_type_object)) {
        return update_without_object(q, &log);
    }
    has_state = json_object_object_get_ex(q->body, "state", &state);
    if (has_state && (rc = read_state(q, state, &code)) != DECLINED) {
        return rc;
    }
    if (json_object_object_get_ex(q->body, "identifier", NULL)) {
        return pfj_send_error(q, HTTP_BAD_REQUEST,
                              "The tasklog identifier cannot be changed");
    }
    if (json_object_object_get_ex(q->body, "created_on", NULL)) {
        return pfj_send_error(q, HTTP_BAD_REQUEST,
                              "The created_on timestampt cannot be changed");
    }
    if (has_state && (rc = store_state(q, &log, code)) != DECLINED) {
        return rc;
    }
    return send_log(q, HTTP_OK, &log);
}

/* ---- §11.5, §11.6 ---- */

/* The URL's log, checked: DECLINED with *path its file, else the 404 or
 * the 400 of an identifier that must not reach the disk. */
static int find_log_file(pfj_req *q, pfj_rows *log, const char **path)
{
    const char *identifier = q->route.args[ARG_IDENTIFIER];
    int rc;

    if ((rc = find_url_log(q, log, 1)) != DECLINED) {
        return rc;
    }
    if (!pfj_log_identifier_ok(identifier)) {
        return pfj_send_error(q, HTTP_BAD_REQUEST, NOT_ACCEPTABLE);
    }
    *path = apr_pstrcat(q->r->pool, pfj_conf_log_dir(q->conf), "/", identifier,
                        NULL);
    return DECLINED;
}

static int send_not_on_master(pfj_req *q, const char *path, const char *error)
{
    pfj_jw *w = pfj_begin_json(q, HTTP_NOT_FOUND);

    pfj_jw_object_begin(w);
    pfj_jw_kv_string(w, "path", path);
    pfj_jw_kv_string(w, "log", q->route.args[ARG_IDENTIFIER]);
    pfj_jw_kv_string(w, "error", error);
    pfj_jw_object_end(w);
    return pfj_end_json(q, w);
}

/* No file here: 307 to the agent that wrote the log, when one can be
 * reached (the reference fails with 500 for local and passive agents; 404
 * here). */
static int send_to_agent(pfj_req *q, const pfj_rows *log, const char *path)
{
    const char *url;

    if (col(log, LK_USE_ADDRESS) == NULL) {
        return send_not_on_master(q, path,
                                  "Logfile is not available on "
                                  "master and agent is not known");
    }
    url = pfj_log_agent_url(q->r->pool, col(log, LK_USE_ADDRESS),
                            col(log, LK_HOSTNAME), col(log, LK_REMOTE_IP),
                            col(log, LK_PORT), q->route.args[ARG_IDENTIFIER]);
    if (url == NULL) {
        return send_not_on_master(q, path,
                                  "Logfile is not available on "
                                  "master and agent cannot be reached");
    }
    return pfj_send_redirect(q, HTTP_TEMPORARY_REDIRECT, url);
}

int pfj_task_logfile_get(pfj_req *q)
{
    const char *path;
    pfj_rows log;
    int rc;

    if ((rc = find_log_file(q, &log, &path)) != DECLINED
        || (rc = pfj_logfile_send(
                q, path, pfj_log_content_type(q->route.args[ARG_IDENTIFIER])))
               != DECLINED
        || (rc = pfj_logfile_send_gunzipped(q, apr_pstrcat(q->r->pool, path,
                                                           ".gz", NULL)))
               != DECLINED) {
        return rc;
    }
    return send_to_agent(q, &log, path);
}

int pfj_task_logfile_put(pfj_req *q)
{
    const char *path;
    pfj_rows log;
    int rc;

    /* the lookup's connection goes back to the pool before the body is
     * read: an upload takes as long as its client wants (mod_reqtimeout
     * only asks for 500 bytes/s), and a pool held by slow uploads would
     * keep every other request of this child waiting */
    if ((q->db = pfj_db_open_brief(q->r)) == NULL) {
        q->r->connection->keepalive = AP_CONN_CLOSE;
        return pfj_send_db_failure(q, NULL);
    }
    rc = find_log_file(q, &log, &path);
    pfj_db_close(q->db);
    q->db = NULL;
    if (rc != DECLINED) {
        /* the body stays unread: httpd must not read it to keep the
         * connection (a refused upload may be large) */
        q->r->connection->keepalive = AP_CONN_CLOSE;
        return rc;
    }
    return pfj_logfile_receive(q, pfj_conf_log_dir(q->conf), path);
}
