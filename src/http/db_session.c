/*
 * db_session.c - once per pooled database connection (see db_session.h).
 */
#include <apr_atomic.h>
#include <apr_strings.h>
#include <libpq-fe.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <ap_mpm.h>
#include "http/db_session.h"
#include "core/indexes.h"
#include "core/health.h"

APLOG_USE_MODULE(pyfarm_jobs);

#define SETUP "pfj_session_setup"
/* the connection pool's userdata: the DBD configuration it was opened by */
#define DBD_CFG_KEY "pfj_dbd_cfg"

/* JIT off for the session.  PostgreSQL's JIT compiler judges the
 * set-based statements (a submission's task insert, the jobs list)
 * expensive enough to compile, which costs tens of milliseconds a request
 * and gains nothing on plans this small.  Through pg_settings, a server
 * without JIT (before PostgreSQL 11) answers no row instead of an error;
 * set_config(..., false) sets it for the session, not the transaction. */
const pfj_stmt pfj_db_session_stmts[] = {
    {SETUP, "SELECT pg_catalog.set_config(name, 'off', false)"
            "  FROM pg_catalog.pg_settings WHERE name = 'jit'"},
    /* Of the tables named by $1 and the indexes named by $2 (text[]
     * literals), those that do not exist, tables first, each list in its
     * order: (kind, name, pg_index.indisvalid), where an index that exists
     * but is INVALID has indisvalid false.  Names are looked up as a query
     * looks them up, on the search_path.  No table is named in the
     * statement itself: it prepares on a database that lacks them all. */
    {PFJ_SCHEMA_CHECK,
     "SELECT w.kind, w.name, x.indisvalid"
     "  FROM (SELECT 'table', t.name, t.n"
     "          FROM unnest(%s::text[]) WITH ORDINALITY AS t(name, n)"
     "        UNION ALL"
     "        SELECT 'index', i.name, i.n"
     "          FROM unnest(%s::text[]) WITH ORDINALITY AS i(name, n))"
     "       AS w(kind, name, n)"
     "  LEFT JOIN pg_catalog.pg_index x"
     "    ON x.indexrelid = pg_catalog.to_regclass(w.name)"
     " WHERE CASE w.kind WHEN 'table'"
     "       THEN pg_catalog.to_regclass(w.name) IS NULL"
     "       ELSE x.indisvalid IS NOT TRUE END"
     " ORDER BY w.kind DESC, w.n"},
    {NULL, NULL}};

static const char *error_text(ap_dbd_t *dbd, int rv)
{
    const char *msg = rv < 0 ? "not prepared on this connection"
                             : apr_dbd_error(dbd->driver, dbd->handle, rv);

    return msg ? msg : "(no message)";
}

/* Runs one of this file's statements on dbd: 0 with *res on its rows,
 * else -1 after a warning for s that says what fails with it. */
static int select_rows(ap_dbd_t *dbd, apr_pool_t *p, const server_rec *s,
                       const char *label, const char *consequence, int nargs,
                       const char **args, apr_dbd_results_t **res)
{
    apr_dbd_prepared_t *st = apr_hash_get(dbd->prepared, label,
                                          APR_HASH_KEY_STRING);
    int rv = -1;

    *res = NULL;
    if (st != NULL
        && (rv = apr_dbd_pselect(dbd->driver, p, dbd->handle, res, st, 1,
                                 nargs, args))
               == 0) {
        return 0;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "DBD: %s failed: %s (%s)",
                 label, error_text(dbd, rv), consequence);
    return -1;
}

/* The connection's libpq handle; NULL for another driver (whose SQL
 * dialect the module's statements do not speak anyway). */
static PGconn *pgconn(ap_dbd_t *dbd)
{
    if (strcmp(apr_dbd_name(dbd->driver), "pgsql") != 0) {
        return NULL;
    }
    return apr_dbd_native_handle(dbd->driver, dbd->handle);
}

int pfj_db_session_broken(ap_dbd_t *dbd)
{
    PGconn *conn = pgconn(dbd);

    return conn && PQstatus(conn) == CONNECTION_BAD;
}

int pfj_db_setup_session(ap_dbd_t *dbd, apr_pool_t *p, const server_rec *s)
{
    PGconn *conn = pgconn(dbd);
    apr_dbd_results_t *res;

    /* errors carry their SQLSTATE: "ERROR:  40P01: deadlock detected" */
    if (conn) {
        PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
    }
    if (select_rows(dbd, p, s, SETUP,
                    "the connection's session keeps PostgreSQL's JIT setting",
                    0, NULL, &res)
        != 0) {
        return -1;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "database session set up: JIT off, verbose errors");
    return 0;
}

void pfj_db_schema_check_args(apr_pool_t *p, int with_tables,
                              const char **args)
{
    args[0] = with_tables ? pfj_text_array(p, pfj_required_tables,
                                           PFJ_REQUIRED_TABLE_COUNT)
                          : "{}";
    args[1] = pfj_text_array(p, pfj_required_indexes,
                             PFJ_REQUIRED_INDEX_COUNT);
}

int pfj_db_check_indexes(ap_dbd_t *dbd, apr_pool_t *p, const server_rec *s)
{
    const char *args[2];
    pfj_schema_gaps *gaps = pfj_schema_gaps_make(p);
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    const char *warning;

    pfj_db_schema_check_args(p, 0, args);
    if (select_rows(dbd, p, s, PFJ_SCHEMA_CHECK,
                    "the module's indexes were not checked", 2, args, &res)
        != 0) {
        return -1;
    }
    while (apr_dbd_get_row(dbd->driver, p, res, &row, -1) == 0) {
        /* apr_dbd_get_entry() gives "" for NULL (no such index) */
        pfj_schema_gaps_add(gaps, apr_dbd_get_entry(dbd->driver, row, 0),
                            apr_dbd_get_entry(dbd->driver, row, 1),
                            apr_dbd_get_entry(dbd->driver, row, 2));
    }
    warning = pfj_missing_indexes_warning(p, pfj_schema_names(gaps->indexes),
                                          pfj_schema_names(gaps->invalid));
    if (warning == NULL) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                     "database check: every index of sql/indexes.sql is "
                     "there");
        return 0;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "%s", warning);
    return gaps->indexes->nelts;
}

/* mod_dbd runs DBDInitSQL as a connection opens, never after libpq has
 * reconnected it: the admin's session settings (statement_timeout,
 * lock_timeout, ...) would be lost with the session. */
static void run_init_sql(ap_dbd_t *dbd, const dbd_cfg_t *cfg,
                         const server_rec *s)
{
    const char *const *query;
    int i, nrows, rv;

    if (cfg == NULL || cfg->init_queries == NULL) {
        return;
    }
    query = (const char *const *)cfg->init_queries->elts;
    for (i = 0; i < cfg->init_queries->nelts; i++) {
        if ((rv = apr_dbd_query(dbd->driver, dbd->handle, &nrows, query[i]))
            != 0) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         "DBD: DBDInitSQL \"%s\" failed again on a "
                         "reconnected session: %s",
                         query[i], error_text(dbd, rv));
        }
    }
}

int pfj_db_restore_session(ap_dbd_t *dbd, apr_pool_t *p, const server_rec *s)
{
    void *cfg = NULL;

    apr_pool_userdata_get(&cfg, DBD_CFG_KEY, dbd->pool);
    run_init_sql(dbd, cfg, s);
    return pfj_db_setup_session(dbd, p, s);
}

/* Each request holds at most one connection, so a pool of fewer
 * connections than a child has threads can run out: the requests beyond
 * DBDMax wait in mod_dbd (which sets no timeout) until one is released,
 * each wait bounded only by the statements of the requests ahead (the
 * statement_timeout of DBDInitSQL). */
static void check_pool_size(const dbd_cfg_t *cfg, const server_rec *s)
{
    int threads = 0;

    if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads) != APR_SUCCESS
        || cfg->nmax >= threads) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                 "mod_pyfarm_jobs: DBDMax %d is below ThreadsPerChild %d: "
                 "requests beyond %d at once in a child wait for a database "
                 "connection; make DBDMax at least ThreadsPerChild",
                 cfg->nmax, threads, cfg->nmax);
}

/* Set once the first connection of this process has checked the indexes
 * and the pool: each child checks once, at its first connection (mod_dbd
 * opens DBDMin of them as the child starts), not once per connection. */
static apr_uint32_t checked;

/* Connections of a DBD configuration that lacks the module's statements
 * (none that pfj_db_prepare() saw) are left alone. */
apr_status_t pfj_db_post_connect(apr_pool_t *pool, dbd_cfg_t *cfg,
                                 ap_dbd_t *dbd)
{
    apr_pool_t *p;

    if (dbd->prepared == NULL
        || apr_hash_get(dbd->prepared, SETUP, APR_HASH_KEY_STRING) == NULL
        || apr_pool_create(&p, pool) != APR_SUCCESS) {
        return DECLINED;
    }
    /* kept with the connection for pfj_db_restore_session() */
    apr_pool_userdata_setn(cfg, DBD_CFG_KEY, NULL, dbd->pool);
    pfj_db_setup_session(dbd, p, cfg->server);
    if (apr_atomic_cas32(&checked, 1, 0) == 0) {
        pfj_db_check_indexes(dbd, p, cfg->server);
        check_pool_size(cfg, cfg->server);
    }
    apr_pool_destroy(p);
    return OK;
}
