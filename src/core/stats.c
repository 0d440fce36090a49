/*
 * stats.c - the server-wide counters and their renderings (see stats.h).
 */
#include <stdarg.h>
#include <string.h>
#include <apr_strings.h>
#include "core/count.h"
#include "core/sqlstate.h"
#include "core/stats.h"
#include "core/work_state.h"

/* 64-bit atomics must not fall back to libatomic's locks, which live in
 * each process's own memory and would not exclude another child. */
_Static_assert(__atomic_always_lock_free(sizeof(apr_uint64_t), 0),
               "64-bit atomic adds must be lock-free");
/* A failure's class is its slot (src/http/db.c counts them so). */
_Static_assert((int)PFJ_STATS_DB_OTHER == (int)PFJ_DB_FAILURE_OTHER
                   && (int)PFJ_STATS_DB_TRANSIENT
                          == (int)PFJ_DB_FAILURE_TRANSIENT
                   && (int)PFJ_STATS_DB_LOST_SESSION
                          == (int)PFJ_DB_FAILURE_LOST_SESSION,
               "database error slots follow pfj_db_failure");

static const char *const endpoint_names[PFJ_EP_COUNT] = {
    [PFJ_EP_NONE] = "unrouted",
    [PFJ_EP_JOBS_LIST] = "jobs_list",
    [PFJ_EP_JOB_SUBMIT] = "job_submit",
    [PFJ_EP_SCHEMA] = "schema",
    [PFJ_EP_JOB_GET] = "job_get",
    [PFJ_EP_JOB_UPDATE] = "job_update",
    [PFJ_EP_JOB_DELETE] = "job_delete",
    [PFJ_EP_TASKS_LIST] = "tasks_list",
    [PFJ_EP_TASK_GET] = "task_get",
    [PFJ_EP_TASK_UPDATE] = "task_update",
    [PFJ_EP_FAILED_ON_AGENTS_LIST] = "failed_on_agents_list",
    [PFJ_EP_FAILED_ON_AGENTS_ADD] = "failed_on_agents_add",
    [PFJ_EP_FAILED_ON_AGENT_DELETE] = "failed_on_agent_delete",
    [PFJ_EP_NOTIFIED_USERS_LIST] = "notified_users_list",
    [PFJ_EP_NOTIFIED_USERS_ADD] = "notified_users_add",
    [PFJ_EP_NOTIFIED_USER_DELETE] = "notified_user_delete",
    [PFJ_EP_TASK_LOGS_LIST] = "task_logs_list",
    [PFJ_EP_TASK_LOG_REGISTER] = "task_log_register",
    [PFJ_EP_TASK_LOG_GET] = "task_log_get",
    [PFJ_EP_TASK_LOG_UPDATE] = "task_log_update",
    [PFJ_EP_LOGFILE_GET] = "logfile_get",
    [PFJ_EP_LOGFILE_PUT] = "logfile_put",
};

static const char *const method_names[PFJ_STATS_NMETHODS] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "other"};

/* The exact codes, then the classes of the others, then "other". */
static const char *const code_names[PFJ_STATS_NCODES] = {
    "200", "201", "204", "206", "301", "304", "307", "308", "400",  "401",
    "403", "404", "405", "408", "409", "411", "413", "414", "415",  "416",
    "500", "501", "502", "503", "2xx", "3xx", "4xx", "5xx", "other"};
#define FIRST_CLASS_SLOT (PFJ_STATS_NCODES - 5)

static const char *const db_error_names[PFJ_STATS_DB_NERRORS] = {
    [PFJ_STATS_DB_OTHER] = "other",
    [PFJ_STATS_DB_TRANSIENT] = "transient",
    [PFJ_STATS_DB_LOST_SESSION] = "lost_session",
    [PFJ_STATS_DB_NO_CONNECTION] = "no_connection",
};

static const char *const state_names[PFJ_STATS_NSTATES] = {
    "queued", "paused", "running", "done", "failed"};
/* queued is stored as NULL, read as 0 (COALESCE in the statement) */
static const apr_int64_t state_codes[PFJ_STATS_NSTATES] = {
    0, PFJ_STATE_PAUSED, PFJ_STATE_RUNNING, PFJ_STATE_DONE, PFJ_STATE_FAILED};

/* Bucket bounds: microseconds, and the same in seconds as "le" says it. */
static const apr_int64_t bounds_usec[PFJ_STATS_NBOUNDS] = {
    1000,   2500,   5000,    10000,   25000,   50000,   100000,
    250000, 500000, 1000000, 2500000, 5000000, 10000000};
static const char *const bounds_le[PFJ_STATS_NBOUNDS] = {
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
    "0.25",  "0.5",    "1",     "2.5",  "5",     "10"};

pfj_stats_method pfj_stats_method_of(const char *method)
{
    int i;

    for (i = 0; i < PFJ_STATS_METHOD_OTHER; i++) {
        if (strcmp(method, method_names[i]) == 0) {
            return (pfj_stats_method)i;
        }
    }
    return PFJ_STATS_METHOD_OTHER;
}

int pfj_stats_code_slot(int status)
{
    char text[16];
    int i;

    if (status < 200 || status > 599) {
        return PFJ_STATS_NCODES - 1;
    }
    apr_snprintf(text, sizeof(text), "%d", status);
    for (i = 0; i < FIRST_CLASS_SLOT; i++) {
        if (strcmp(text, code_names[i]) == 0) {
            return i;
        }
    }
    return FIRST_CLASS_SLOT + status / 100 - 2;
}

int pfj_stats_bucket(apr_int64_t usec)
{
    int i;

    for (i = 0; i < PFJ_STATS_NBOUNDS && usec > bounds_usec[i]; i++) {
    }
    return i;
}

int pfj_stats_state_of(apr_int64_t code)
{
    int i;

    for (i = 0; i < PFJ_STATS_NSTATES; i++) {
        if (state_codes[i] == code) {
            return i;
        }
    }
    return -1;
}

const char *pfj_stats_endpoint_name(pfj_endpoint ep)
{
    return endpoint_names[ep];
}

void pfj_stats_db_row(pfj_stats_db *db, const char *kind, const char *state,
                      const char *count)
{
    int s = state ? pfj_stats_state_of(apr_atoi64(state)) : -1;
    apr_int64_t n = count ? apr_atoi64(count) : 0;

    if (kind == NULL) {
        return;
    }
    if (strcmp(kind, "tasks_live") == 0) {
        db->tasks_live = n;
    }
    else if (s >= 0 && strcmp(kind, "jobs") == 0) {
        db->jobs[s] = n;
    }
    else if (s >= 0 && s != PFJ_STATS_DONE && strcmp(kind, "tasks") == 0) {
        db->tasks[s] = n;
    }
}

/* Live rows less the states counted exactly; never below 0 (the live
 * count lags the exact ones by up to a second or so). */
static apr_int64_t tasks_done_estimate(const pfj_stats_db *db)
{
    apr_int64_t n = db->tasks_live;
    int s;

    for (s = 0; s < PFJ_STATS_NSTATES; s++) {
        n -= s == PFJ_STATS_DONE ? 0 : db->tasks[s];
    }
    return n > 0 ? n : 0;
}

/* ---- updates ---- */

static void add(apr_uint64_t *word, apr_uint64_t n)
{
    __atomic_fetch_add(word, n, __ATOMIC_RELAXED);
}

void pfj_stats_init(pfj_stats_table *t)
{
    __atomic_store_n(&t->layout, PFJ_STATS_LAYOUT, __ATOMIC_RELEASE);
}

void pfj_stats_count_request(pfj_stats_table *t, pfj_endpoint ep,
                             pfj_stats_method method, int status,
                             apr_int64_t usec)
{
    if (usec < 0) { /* the clock went back */
        usec = 0;
    }
    add(&t->requests[ep][method][pfj_stats_code_slot(status)], 1);
    add(&t->latency[ep][pfj_stats_bucket(usec)], 1);
    add(&t->latency_usec[ep], (apr_uint64_t)usec);
}

void pfj_stats_count_db_error(pfj_stats_table *t, pfj_stats_db_error e)
{
    add(&t->db_errors[e], 1);
}

void pfj_stats_count_reconnect(pfj_stats_table *t)
{
    add(&t->db_reconnects, 1);
}

void pfj_stats_count_conn_acquired(pfj_stats_table *t)
{
    add(&t->conn_acquired, 1);
}

void pfj_stats_count_conn_released(pfj_stats_table *t)
{
    add(&t->conn_released, 1);
}

void pfj_stats_copy(const pfj_stats_table *t, pfj_stats_table *copy)
{
    const apr_uint64_t *from = (const apr_uint64_t *)t;
    apr_uint64_t *to = (apr_uint64_t *)copy;
    apr_size_t i;

    for (i = 0; i < sizeof(*t) / sizeof(*from); i++) {
        to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
    }
}

/* ---- sums over a copy ---- */

typedef struct endpoint_sums {
    apr_uint64_t requests, client_errors, server_errors, usec;
} endpoint_sums;

static endpoint_sums sums_of(const pfj_stats_table *t, pfj_endpoint ep)
{
    endpoint_sums s = {0, 0, 0, t->latency_usec[ep]};
    int m, c;

    for (m = 0; m < PFJ_STATS_NMETHODS; m++) {
        for (c = 0; c < PFJ_STATS_NCODES; c++) {
            s.requests += t->requests[ep][m][c];
            s.client_errors += code_names[c][0] == '4' ? t->requests[ep][m][c]
                                                       : 0;
            s.server_errors += code_names[c][0] == '5' ? t->requests[ep][m][c]
                                                       : 0;
        }
    }
    return s;
}

/* Connections held now: a copy reads released before acquired. */
static apr_uint64_t conn_in_use(const pfj_stats_table *t)
{
    return t->conn_acquired - t->conn_released;
}

/* ---- output: lines collected, joined once ---- */

static void out(apr_array_header_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void out(apr_array_header_t *o, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    APR_ARRAY_PUSH(o, const char *) = apr_pvsprintf(o->pool, fmt, ap);
    va_end(ap);
}

static apr_array_header_t *lines(apr_pool_t *p)
{
    return apr_array_make(p, 256, sizeof(const char *));
}

/* ---- Prometheus ---- */

const char *pfj_stats_label_escape(apr_pool_t *p, const char *value)
{
    char *e = apr_palloc(p, 2 * strlen(value) + 1), *d = e;

    for (; *value; value++) {
        if (*value == '\\' || *value == '"' || *value == '\n') {
            *d++ = '\\';
        }
        *d++ = *value == '\n' ? 'n' : *value;
    }
    *d = '\0';
    return e;
}

static void metric_head(apr_array_header_t *o, const char *name,
                        const char *type, const char *help)
{
    out(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* {endpoint="..."} and more labels after it (extra starts with ","). */
static const char *ep_labels(apr_pool_t *p, pfj_endpoint ep, const char *extra)
{
    return apr_pstrcat(p, "{endpoint=\"",
                       pfj_stats_label_escape(p, pfj_stats_endpoint_name(ep)),
                       "\"", extra, "}", NULL);
}

static void prom_requests(apr_array_header_t *o, const pfj_stats_table *t)
{
    apr_pool_t *p = o->pool;
    int ep, m, c;

    metric_head(o, "pyfarm_jobs_requests_total", "counter",
                "API requests answered, by endpoint, method and status code "
                "(also httpd's own answers in front of the API: 401, 408, "
                "413...).");
    for (ep = 0; ep < PFJ_EP_COUNT; ep++) {
        for (m = 0; m < PFJ_STATS_NMETHODS; m++) {
            for (c = 0; c < PFJ_STATS_NCODES; c++) {
                if (t->requests[ep][m][c] == 0) {
                    continue;
                }
                out(o, "pyfarm_jobs_requests_total%s %" APR_UINT64_T_FMT "\n",
                    ep_labels(
                        p, ep,
                        apr_pstrcat(p, ",method=\"",
                                    pfj_stats_label_escape(p, method_names[m]),
                                    "\",code=\"",
                                    pfj_stats_label_escape(p, code_names[c]),
                                    "\"", NULL)),
                    t->requests[ep][m][c]);
            }
        }
    }
}

static void prom_histogram(apr_array_header_t *o, const pfj_stats_table *t,
                           pfj_endpoint ep)
{
    apr_pool_t *p = o->pool;
    const char *name = "pyfarm_jobs_request_duration_seconds";
    apr_uint64_t cumulative = 0;
    int b;

    for (b = 0; b < PFJ_STATS_NBOUNDS; b++) {
        cumulative += t->latency[ep][b];
        out(o, "%s_bucket%s %" APR_UINT64_T_FMT "\n", name,
            ep_labels(p, ep,
                      apr_pstrcat(p, ",le=\"", bounds_le[b], "\"", NULL)),
            cumulative);
    }
    cumulative += t->latency[ep][PFJ_STATS_NBOUNDS];
    out(o, "%s_bucket%s %" APR_UINT64_T_FMT "\n", name,
        ep_labels(p, ep, ",le=\"+Inf\""), cumulative);
    out(o, "%s_sum%s %" APR_UINT64_T_FMT ".%06" APR_UINT64_T_FMT "\n", name,
        ep_labels(p, ep, ""), t->latency_usec[ep] / 1000000,
        t->latency_usec[ep] % 1000000);
    out(o, "%s_count%s %" APR_UINT64_T_FMT "\n", name, ep_labels(p, ep, ""),
        cumulative);
}

static void prom_latency(apr_array_header_t *o, const pfj_stats_table *t)
{
    int ep;

    metric_head(o, "pyfarm_jobs_request_duration_seconds", "histogram",
                "Time from the request's first line to its logging, by "
                "endpoint.");
    for (ep = 0; ep < PFJ_EP_COUNT; ep++) {
        if (sums_of(t, ep).requests > 0) {
            prom_histogram(o, t, ep);
        }
    }
}

static void prom_database(apr_array_header_t *o, const pfj_stats_table *t)
{
    int e;

    metric_head(o, "pyfarm_jobs_database_errors_total", "counter",
                "Database errors that failed a request, by class: "
                "lost_session (reconnect failed), transient (503), other "
                "(500), no_connection (none from mod_dbd's pool).");
    for (e = 0; e < PFJ_STATS_DB_NERRORS; e++) {
        out(o,
            "pyfarm_jobs_database_errors_total{class=\"%s\"} "
            "%" APR_UINT64_T_FMT "\n",
            db_error_names[e], t->db_errors[e]);
    }
    metric_head(o, "pyfarm_jobs_database_reconnects_total", "counter",
                "Lost database sessions the module reconnected.");
    out(o, "pyfarm_jobs_database_reconnects_total %" APR_UINT64_T_FMT "\n",
        t->db_reconnects);
    metric_head(o, "pyfarm_jobs_database_connections_acquired_total",
                "counter",
                "Connections the module took from mod_dbd's pools.");
    out(o,
        "pyfarm_jobs_database_connections_acquired_total "
        "%" APR_UINT64_T_FMT "\n",
        t->conn_acquired);
    metric_head(o, "pyfarm_jobs_database_connections_in_use", "gauge",
                "Connections the module's requests hold now, all children.");
    out(o, "pyfarm_jobs_database_connections_in_use %" APR_UINT64_T_FMT "\n",
        conn_in_use(t));
}

static void prom_states(apr_array_header_t *o, const char *name,
                        const char *help, const apr_int64_t *counts,
                        int skip_done)
{
    int s;

    metric_head(o, name, "gauge", help);
    for (s = 0; s < PFJ_STATS_NSTATES; s++) {
        if (!(skip_done && s == PFJ_STATS_DONE)) {
            out(o, "%s{state=\"%s\"} %" APR_INT64_T_FMT "\n", name,
                state_names[s], counts[s]);
        }
    }
}

static void prom_db_gauges(apr_array_header_t *o, const pfj_stats_db *db)
{
    metric_head(o, "pyfarm_jobs_database_up", "gauge",
                "1 when the database answered this scrape's query.");
    out(o, "pyfarm_jobs_database_up %d\n", db->up ? 1 : 0);
    if (!db->up) {
        return;
    }
    prom_states(o, "pyfarm_jobs_jobs", "Jobs by state (exact).", db->jobs, 0);
    prom_states(o, "pyfarm_jobs_tasks",
                "Tasks by state (exact; done ones: "
                "pyfarm_jobs_tasks_done_estimate).",
                db->tasks, 1);
    metric_head(o, "pyfarm_jobs_tasks_done_estimate", "gauge",
                "Done tasks, estimated: PostgreSQL's live row count of "
                "tasks less the exact counts of the other states.");
    out(o, "pyfarm_jobs_tasks_done_estimate %" APR_INT64_T_FMT "\n",
        tasks_done_estimate(db));
}

const char *pfj_stats_prometheus(apr_pool_t *p, const pfj_stats_table *t,
                                 const pfj_stats_db *db)
{
    apr_array_header_t *o = lines(p);

    prom_requests(o, t);
    prom_latency(o, t);
    prom_database(o, t);
    if (db) {
        prom_db_gauges(o, db);
    }
    return apr_array_pstrcat(p, o, '\0');
}

/* ---- mod_status ---- */

const char *pfj_stats_auto(apr_pool_t *p, const pfj_stats_table *t)
{
    apr_array_header_t *o = lines(p);
    endpoint_sums s;
    int ep, e;

    for (ep = 0; ep < PFJ_EP_COUNT; ep++) {
        s = sums_of(t, ep);
        out(o,
            "PyFarmJobsRequests_%s: %" APR_UINT64_T_FMT "\n"
            "PyFarmJobsClientErrors_%s: %" APR_UINT64_T_FMT "\n"
            "PyFarmJobsServerErrors_%s: %" APR_UINT64_T_FMT "\n",
            endpoint_names[ep], s.requests, endpoint_names[ep],
            s.client_errors, endpoint_names[ep], s.server_errors);
    }
    for (e = 0; e < PFJ_STATS_DB_NERRORS; e++) {
        out(o, "PyFarmJobsDBErrors_%s: %" APR_UINT64_T_FMT "\n",
            db_error_names[e], t->db_errors[e]);
    }
    out(o,
        "PyFarmJobsDBReconnects: %" APR_UINT64_T_FMT "\n"
        "PyFarmJobsDBConnectionsAcquired: %" APR_UINT64_T_FMT "\n"
        "PyFarmJobsDBConnectionsInUse: %" APR_UINT64_T_FMT "\n",
        t->db_reconnects, t->conn_acquired, conn_in_use(t));
    return apr_array_pstrcat(p, o, '\0');
}

const char *pfj_stats_html(apr_pool_t *p, const pfj_stats_table *t)
{
    apr_array_header_t *o = lines(p);
    endpoint_sums s;
    int ep, e;

    out(o, "<hr />\n<h2>pyfarm_jobs</h2>\n<table border=\"0\">\n"
           "<tr><th>endpoint</th><th>requests</th><th>4xx</th>"
           "<th>5xx</th><th>mean ms</th></tr>\n");
    for (ep = 0; ep < PFJ_EP_COUNT; ep++) {
        s = sums_of(t, ep);
        out(o,
            "<tr><td>%s</td><td>%" APR_UINT64_T_FMT
            "</td><td>%" APR_UINT64_T_FMT "</td><td>%" APR_UINT64_T_FMT
            "</td><td>%.1f</td></tr>\n",
            endpoint_names[ep], s.requests, s.client_errors, s.server_errors,
            s.requests ? (double)s.usec / 1000.0 / (double)s.requests : 0.0);
    }
    out(o, "</table>\n<p>Database errors:");
    for (e = 0; e < PFJ_STATS_DB_NERRORS; e++) {
        out(o, " %s %" APR_UINT64_T_FMT ",", db_error_names[e],
            t->db_errors[e]);
    }
    out(o,
        " reconnects %" APR_UINT64_T_FMT ".<br />\nConnections: "
        "%" APR_UINT64_T_FMT " in use now, %" APR_UINT64_T_FMT
        " acquired since startup (all children).</p>\n",
        t->db_reconnects, conn_in_use(t), t->conn_acquired);
    return apr_array_pstrcat(p, o, '\0');
}
