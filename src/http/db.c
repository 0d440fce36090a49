/*
 * db.c - prepared statements and the request's transaction over mod_dbd
 * (see db.h).
 */
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include "http/db.h"
#include "http/db_session.h"
#include "http/stats.h"
#include "core/sqlstate.h"

APLOG_USE_MODULE(pyfarm_jobs);

static APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) * dbd_prepare_fn;
static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) * dbd_acquire_fn;
static APR_OPTIONAL_FN_TYPE(ap_dbd_open) * dbd_open_fn;
static APR_OPTIONAL_FN_TYPE(ap_dbd_close) * dbd_close_fn;

/* Every statement table, kept to prepare them again on a connection that
 * lost them (see repair_statements). */
static const pfj_stmt *const *all_tables;

int pfj_db_bind_mod_dbd(void)
{
    dbd_prepare_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    dbd_acquire_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    dbd_open_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    dbd_close_fn = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    return dbd_prepare_fn != NULL && dbd_acquire_fn != NULL
           && dbd_open_fn != NULL && dbd_close_fn != NULL;
}

static void prepare_for_server(server_rec *s, const pfj_stmt *const *tables)
{
    const pfj_stmt *const *t;
    const pfj_stmt *st;

    for (t = tables; *t; t++) {
        for (st = *t; st->label; st++) {
            dbd_prepare_fn(s, st->sql, st->label);
        }
    }
}

/* Virtual hosts without DBD directives of their own share the main
 * server's mod_dbd configuration: statements go once into each distinct
 * configuration (mod_dbd warns about a label prepared twice). */
void pfj_db_prepare(apr_pool_t *ptemp, server_rec *s,
                    const pfj_stmt *const *tables)
{
    module *dbd = ap_find_linked_module("mod_dbd.c");
    apr_hash_t *seen = apr_hash_make(ptemp);
    server_rec *sp;
    void *cfg;

    all_tables = tables;
    for (sp = s; sp; sp = sp->next) {
        cfg = dbd ? ap_get_module_config(sp->module_config, dbd) : NULL;
        if (cfg && apr_hash_get(seen, &cfg, sizeof(cfg))) {
            continue;
        }
        apr_hash_set(seen, apr_pmemdup(ptemp, &cfg, sizeof(cfg)), sizeof(cfg),
                     sp);
        prepare_for_server(sp, tables);
    }
}

/* Prepares every statement again on this connection and replaces the
 * handles mod_dbd keeps for it. */
static void repair_statements(pfj_db *db)
{
    const pfj_stmt *const *t;
    const pfj_stmt *st;
    apr_dbd_prepared_t *stmt;

    for (t = all_tables; *t; t++) {
        for (st = *t; st->label; st++) {
            stmt = NULL;
            if (apr_dbd_prepare(db->dbd->driver, db->dbd->pool,
                                db->dbd->handle, st->sql, st->label, &stmt)
                != 0) {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r,
                              "DBD: cannot prepare %s again: %s", st->label,
                              apr_dbd_error(db->dbd->driver, db->dbd->handle,
                                            1));
                return;
            }
            apr_hash_set(db->dbd->prepared, st->label, APR_HASH_KEY_STRING,
                         stmt);
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, db->r,
                  "prepared statements restored on a reconnected "
                  "database connection");
}

static const char *error_text(pfj_db *db, int rv)
{
    const char *msg = apr_dbd_error(db->dbd->driver, db->dbd->handle, rv);

    return msg ? msg : "(no message)";
}

/* What the failure rv means, by its SQLSTATE (the message's words are
 * PostgreSQL's lc_messages); an error without one is libpq's own, and
 * the session is lost when libpq found the connection broken. */
static pfj_db_failure failure_of(pfj_db *db, int rv)
{
    char code[PFJ_SQLSTATE_SIZE];

    if (pfj_sqlstate_parse(error_text(db, rv), code)) {
        return pfj_sqlstate_failure(code);
    }
    return pfj_db_session_broken(db->dbd) ? PFJ_DB_FAILURE_LOST_SESSION
                                          : PFJ_DB_FAILURE_OTHER;
}

/* Records a failed statement: logged with the database's own words. */
static int fail(pfj_db *db, const char *label, int rv)
{
    pfj_db_failure failure = failure_of(db, rv);

    db->failed = 1;
    db->transient = db->transient || failure != PFJ_DB_FAILURE_OTHER;
    pfj_stats_note_db_error((pfj_stats_db_error)failure);
    ap_log_rerror(APLOG_MARK, db->transient ? APLOG_WARNING : APLOG_ERR, 0,
                  db->r, "DBD: %s failed: %s", label, error_text(db, rv));
    return -1;
}

static pfj_db *connected(request_rec *r, ap_dbd_t *dbd)
{
    pfj_db *db;

    if (dbd == NULL) {
        pfj_stats_note_db_error(PFJ_STATS_DB_NO_CONNECTION);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "DBD: no database connection (check DBDriver, "
                      "DBDParams and that PostgreSQL is up)");
        return NULL;
    }
    db = apr_pcalloc(r->pool, sizeof(*db));
    db->r = r;
    db->dbd = dbd;
    pfj_stats_note_conn_acquired();
    return db;
}

static apr_status_t count_release(void *data)
{
    pfj_stats_note_conn_released();
    return APR_SUCCESS;
}

/* mod_dbd releases the connection with the request pool */
pfj_db *pfj_db_open(request_rec *r)
{
    pfj_db *db = connected(r, dbd_acquire_fn(r));

    if (db != NULL) {
        apr_pool_cleanup_register(r->pool, NULL, count_release,
                                  apr_pool_cleanup_null);
    }
    return db;
}

/* Gives a brief connection back to mod_dbd's pool, once. */
static apr_status_t release_brief(void *data)
{
    pfj_db *db = data;

    if (db->dbd != NULL) {
        dbd_close_fn(db->r->server, db->dbd);
        db->dbd = NULL;
        pfj_stats_note_conn_released();
    }
    return APR_SUCCESS;
}

pfj_db *pfj_db_open_brief(request_rec *r)
{
    pfj_db *db = connected(r, dbd_open_fn(r->pool, r->server));

    if (db != NULL) {
        /* given back at the latest with the request */
        apr_pool_cleanup_register(r->pool, db, release_brief,
                                  apr_pool_cleanup_null);
    }
    return db;
}

void pfj_db_close(pfj_db *db)
{
    apr_pool_cleanup_run(db->r->pool, db, release_brief);
}

/* Transaction control goes through apr_dbd_query() with these fixed
 * statements, not apr_dbd_transaction_start(): the PostgreSQL driver of
 * apr-util 1.6 dereferences a NULL pointer when BEGIN fails on a
 * connection whose session is gone (a PostgreSQL restart), which takes
 * the whole httpd child down. */
static int control(pfj_db *db, const char *sql)
{
    int nrows = 0;

    return apr_dbd_query(db->dbd->driver, db->dbd->handle, &nrows, sql);
}

/* Ends a transaction the handler left open (an error path): a pooled
 * connection must go back to the pool outside any transaction. */
static apr_status_t end_forgotten_transaction(void *data)
{
    pfj_db *db = data;

    if (db->in_transaction) {
        control(db, "ROLLBACK");
        db->in_transaction = 0;
    }
    return APR_SUCCESS;
}

/* A session lost to a PostgreSQL restart: reconnects (libpq's reset, via
 * apr_dbd_check_conn), prepares the statements again, sets the new
 * session up as mod_dbd set up the first one (DBDInitSQL, then the
 * module's own setup: db_session.c), and reopens the transaction the
 * request had started.  A connection mod_dbd reset on acquiring it runs BEGIN fine and
 * fails on the first prepared statement: that transaction is aborted and
 * must end before anything is prepared, and the session setup must come
 * outside any transaction (a rollback would undo it).  Every replaced
 * session comes this way, since none has the module's statements.  0 when
 * the connection works again. */
static int recover_session(pfj_db *db)
{
    if (apr_dbd_check_conn(db->dbd->driver, db->r->pool, db->dbd->handle)
        != APR_SUCCESS) {
        return -1;
    }
    if (db->in_transaction) {
        control(db, "ROLLBACK");
    }
    pfj_stats_note_reconnect();
    repair_statements(db);
    pfj_db_restore_session(db->dbd, db->r->pool, db->r->server);
    return db->in_transaction ? control(db, "BEGIN") : 0;
}

/* Whether a failure may be repaired and the statement run again: only for
 * a lost session, and only before anything else ran on it for this
 * request (a half-done transaction cannot be replayed). */
static int may_retry(pfj_db *db, int rv)
{
    return db->nrun == 0 && failure_of(db, rv) == PFJ_DB_FAILURE_LOST_SESSION
           && recover_session(db) == 0;
}

int pfj_db_begin(pfj_db *db)
{
    int rv;

    /* a transaction after one the handler rolled back starts afresh */
    db->failed = db->transient = 0;
    rv = control(db, "BEGIN");

    if (rv != 0 && may_retry(db, rv)) {
        rv = control(db, "BEGIN");
    }
    if (rv != 0) {
        return fail(db, "BEGIN", rv);
    }
    db->in_transaction = 1;
    db->nrun = 0;
    apr_pool_cleanup_register(db->r->pool, db, end_forgotten_transaction,
                              apr_pool_cleanup_null);
    return 0;
}

void pfj_db_rollback(pfj_db *db)
{
    db->failed = 1;
    pfj_db_end(db);
}

int pfj_db_end(pfj_db *db)
{
    const char *sql = db->failed ? "ROLLBACK" : "COMMIT";
    int rv;

    if (!db->in_transaction) {
        return db->failed ? -1 : 0;
    }
    db->in_transaction = 0;
    apr_pool_cleanup_kill(db->r->pool, db, end_forgotten_transaction);
    if ((rv = control(db, sql)) != 0) {
        return fail(db, sql, rv);
    }
    return db->failed ? -1 : 0;
}

/* Runs a prepared statement: rows for a select (rows != NULL), the count
 * of affected rows otherwise. */
static int run(pfj_db *db, const char *label, int nargs,
               const char *const *args, pfj_rows *rows, int *nrows)
{
    apr_dbd_prepared_t *st;

    st = apr_hash_get(db->dbd->prepared, label, APR_HASH_KEY_STRING);
    if (st == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_CRIT, 0, db->r,
                      "DBD: statement %s is not prepared on this "
                      "connection (see earlier DBD errors)",
                      label);
        return -1;
    }
    if (rows) {
        return apr_dbd_pselect(db->dbd->driver, db->r->pool, db->dbd->handle,
                               &rows->res, st, 1, nargs, (const char **)args);
    }
    return apr_dbd_pquery(db->dbd->driver, db->r->pool, db->dbd->handle, nrows,
                          st, nargs, (const char **)args);
}

/* run(), once more after repairing a lost session; failures recorded. */
static int execute(pfj_db *db, const char *label, int nargs,
                   const char *const *args, pfj_rows *rows, int *nrows)
{
    int rv;

    if (db->failed) {
        return -1;
    }
    rv = run(db, label, nargs, args, rows, nrows);
    if (rv > 0 && may_retry(db, rv)) {
        rv = run(db, label, nargs, args, rows, nrows);
    }
    if (rv < 0) {
        db->failed = 1;
        return -1;
    }
    if (rv > 0) {
        return fail(db, label, rv);
    }
    db->nrun++;
    return 0;
}

int pfj_db_select(pfj_db *db, const char *label, int nargs,
                  const char *const *args, pfj_rows *rows)
{
    memset(rows, 0, sizeof(*rows));
    rows->db = db;
    return execute(db, label, nargs, args, rows, NULL);
}

int pfj_db_exec(pfj_db *db, const char *label, int nargs,
                const char *const *args, int *nrows)
{
    int n = 0, rc = execute(db, label, nargs, args, NULL, &n);

    if (nrows) {
        *nrows = n;
    }
    return rc;
}

int pfj_db_next(pfj_rows *rows)
{
    if (rows->res == NULL) {
        return 0;
    }
    if (apr_dbd_get_row(rows->db->dbd->driver, rows->db->r->pool, rows->res,
                        &rows->row, -1)
        != 0) {
        rows->res = NULL;
        rows->row = NULL;
        return 0;
    }
    return 1;
}

int pfj_db_count(const pfj_rows *rows)
{
    if (rows->res == NULL) {
        return 0;
    }
    return apr_dbd_num_tuples(rows->db->dbd->driver, rows->res);
}

int pfj_db_row_at(const pfj_rows *rows, int n, pfj_rows *at)
{
    *at = *rows;
    at->row = NULL;
    if (n < 1 || n > pfj_db_count(rows)) {
        return 0;
    }
    return apr_dbd_get_row(rows->db->dbd->driver, rows->db->r->pool, rows->res,
                           &at->row, n)
           == 0;
}

/* apr_dbd_get_entry() gives "" for SQL NULL; apr_dbd_datum_get() tells
 * the two apart (APR_ENOENT for NULL). */
const char *pfj_db_col(const pfj_rows *rows, int n)
{
    char *value = NULL;

    if (apr_dbd_datum_get(rows->db->dbd->driver, rows->row, n,
                          APR_DBD_TYPE_STRING, &value)
        != APR_SUCCESS) {
        return NULL;
    }
    return value;
}

const char *const *pfj_db_cols(const pfj_rows *rows, int n)
{
    const char **cols = apr_palloc(rows->db->r->pool, n * sizeof(*cols));
    int i;

    for (i = 0; i < n; i++) {
        cols[i] = pfj_db_col(rows, i);
    }
    return cols;
}

int pfj_db_select_row(pfj_db *db, const char *label, int nargs,
                      const char *const *args, pfj_rows *rows)
{
    if (pfj_db_select(db, label, nargs, args, rows) != 0) {
        return -1;
    }
    return pfj_db_next(rows);
}
