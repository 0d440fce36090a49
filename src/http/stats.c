/*
 * stats.c - the counters in shared memory, mod_status' section and the
 * metrics handler (see stats.h).
 */
#include <apr_shm.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>
#include <util_filter.h>
#include <mod_status.h>
#include "core/work_state.h"
#include "http/request.h"
#include "http/stats.h"

APLOG_USE_MODULE(pyfarm_jobs);

/* The process pool's key of the shared memory: the pool outlives the
 * module, which httpd unloads and loads again on every restart. */
#define SHM_KEY "pyfarm_jobs_stats_shm"
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define STATES_LABEL "pfj_stats_states"

/* Jobs and tasks by state, for each scrape, cheaply on a large farm:
 * - jobs: exact, one pass over jobs (thousands of rows, not millions);
 * - unfinished tasks (queued, paused, running): exact, counted through
 *   the partial index pfj_tasks_unfinished_idx (its predicate spelled as
 *   sql/indexes.sql spells it), whose size is the work left to do, not
 *   the farm's history;
 * - failed tasks: exact, through pfj_tasks_failed_idx;
 * - done tasks, nearly all rows of an old farm: estimated, as PostgreSQL's
 *   live row count of tasks (pg_stat_user_tables.n_live_tup, kept current
 *   as transactions end) less the exact counts above; counting them
 *   exactly would read the whole table (README, "Monitoring", has the
 *   timings). */
const pfj_stmt pfj_stats_stmts[] = {
    {STATES_LABEL,
     "SELECT 'jobs', COALESCE(state, 0), count(*) FROM jobs GROUP BY 2 "
     "UNION ALL "
     "SELECT 'tasks', COALESCE(state, 0), count(*) FROM tasks "
     " WHERE state IS NULL OR state NOT IN (" PFJ_SQL_DONE ", " PFJ_SQL_FAILED
     ") GROUP BY 2 "
     "UNION ALL "
     "SELECT 'tasks', " PFJ_SQL_FAILED ", count(*) FROM tasks "
     " WHERE state = " PFJ_SQL_FAILED " "
     "UNION ALL "
     "SELECT 'tasks_live', 0, n_live_tup FROM pg_stat_user_tables "
     " WHERE relid = 'tasks'::regclass"},
    {NULL, NULL}};

/* This generation's view of the table; NULL until post_config. */
static pfj_stats_table *table;

/* Registered on pconf, cleared before httpd unloads the module: nothing
 * counts into a table of an earlier configuration. */
static apr_status_t forget_table(void *data)
{
    table = NULL;
    return APR_SUCCESS;
}

/* Anonymous shared memory made in httpd's parent before the children
 * fork, so that they all map it; kept in the process pool, so that a
 * graceful restart (log rotation) neither resets the counts nor leaves
 * the children of the old generation, still finishing their requests,
 * counting into a table nobody reads.  A table of another layout (the
 * module replaced under a running httpd) is made anew. */
int pfj_stats_post_config(apr_pool_t *pconf, server_rec *s)
{
    apr_pool_t *process = s->process->pool;
    apr_shm_t *shm = NULL;
    pfj_stats_table *t;
    apr_status_t rv;

    apr_pool_userdata_get((void **)&shm, SHM_KEY, process);
    t = shm ? apr_shm_baseaddr_get(shm) : NULL;
    if (t && apr_shm_size_get(shm) >= sizeof(*t)
        && t->layout == PFJ_STATS_LAYOUT) {
        table = t;
        apr_pool_cleanup_register(pconf, NULL, forget_table,
                                  apr_pool_cleanup_null);
        return OK;
    }
    rv = apr_shm_create(&shm, sizeof(*t), NULL, process);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     "cannot create the shared memory of the API's "
                     "counters (%" APR_SIZE_T_FMT " bytes)",
                     sizeof(*t));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    t = apr_shm_baseaddr_get(shm);
    memset(t, 0, sizeof(*t));
    pfj_stats_init(t);
    /* apr_pool_userdata_set copies the key: the module's own string is
     * gone after the next restart unloads it */
    apr_pool_userdata_set(shm, SHM_KEY, apr_pool_cleanup_null, process);
    table = t;
    apr_pool_cleanup_register(pconf, NULL, forget_table,
                              apr_pool_cleanup_null);
    return OK;
}

void pfj_stats_log_request(request_rec *r, const pfj_dir_conf *conf,
                           pfj_endpoint routed)
{
    const request_rec *last = r;
    pfj_route_match m;
    pfj_endpoint ep = routed;

    if (table == NULL) {
        return;
    }
    /* the status sent is the last internal redirect's (ErrorDocument) */
    while (last->next) {
        last = last->next;
    }
    if (ep == PFJ_EP_COUNT) {
        ep = pfj_req_route(r, conf, pfj_req_raw_path(r), &m) == PFJ_ROUTE_FOUND
                 ? m.endpoint
                 : PFJ_EP_NONE;
    }
    pfj_stats_count_request(table, ep, pfj_stats_method_of(r->method),
                            last->status, apr_time_now() - r->request_time);
}

void pfj_stats_note_db_error(pfj_stats_db_error e)
{
    if (table) {
        pfj_stats_count_db_error(table, e);
    }
}

void pfj_stats_note_reconnect(void)
{
    if (table) {
        pfj_stats_count_reconnect(table);
    }
}

void pfj_stats_note_conn_acquired(void)
{
    if (table) {
        pfj_stats_count_conn_acquired(table);
    }
}

void pfj_stats_note_conn_released(void)
{
    if (table) {
        pfj_stats_count_conn_released(table);
    }
}

/* A copy of the table on the request pool; NULL before post_config. */
static const pfj_stats_table *copy_of_table(request_rec *r)
{
    pfj_stats_table *copy;

    if (table == NULL) {
        return NULL;
    }
    copy = apr_palloc(r->pool, sizeof(*copy));
    pfj_stats_copy(table, copy);
    return copy;
}

int pfj_stats_status_hook(request_rec *r, int flags)
{
    const pfj_stats_table *t = copy_of_table(r);

    if (t) {
        ap_rputs((flags & AP_STATUS_SHORT) ? pfj_stats_auto(r->pool, t)
                                           : pfj_stats_html(r->pool, t),
                 r);
    }
    return OK;
}

/* Jobs and tasks by state; db->up stays 0 when the database does not
 * answer (the scrape still shows the counters). */
static void read_states(request_rec *r, pfj_stats_db *db)
{
    pfj_db *conn = pfj_db_open(r);
    pfj_rows rows;

    memset(db, 0, sizeof(*db));
    if (conn == NULL || pfj_db_select(conn, STATES_LABEL, 0, NULL, &rows)) {
        return;
    }
    while (pfj_db_next(&rows)) {
        pfj_stats_db_row(db, pfj_db_col(&rows, 0), pfj_db_col(&rows, 1),
                         pfj_db_col(&rows, 2));
    }
    db->up = 1;
}

int pfj_stats_metrics(request_rec *r)
{
    const pfj_stats_table *t;
    const char *text;
    pfj_stats_db db;
    apr_bucket_brigade *bb;
    apr_size_t len;

    if (r->method_number != M_GET) { /* HEAD is M_GET */
        /* what httpd's Allow header of the 405 lists (with HEAD) */
        r->allowed_methods->method_mask = AP_METHOD_BIT << M_GET;
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if ((t = copy_of_table(r)) == NULL) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    read_states(r, &db);
    text = pfj_stats_prometheus(r->pool, t, &db);
    len = strlen(text);
    ap_set_content_type(r, METRICS_TYPE);
    ap_set_content_length(r, (apr_off_t)len);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pool_create(text, len, r->pool,
                                                       bb->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
    if (ap_pass_brigade(r->output_filters, bb) != APR_SUCCESS) {
        return AP_FILTER_ERROR;
    }
    return OK;
}
