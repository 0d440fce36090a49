/*
 * stats.h - the server-wide counters of the API (README, "Monitoring"):
 * one fixed-size table of 64-bit counters, indexed by endpoint, method and
 * status code, a latency histogram per endpoint, database errors and the
 * connections the module holds; and their renderings: Prometheus' text
 * exposition format, mod_status' "Key: value" lines (?auto) and its HTML
 * section.  Pure: the table may live in any memory (the http layer puts it
 * in shared memory, src/http/stats.c); no httpd.
 *
 * Every update is an atomic add of its own word (__atomic builtins on
 * naturally aligned 64-bit words: one locked instruction, which is atomic
 * between processes as between threads, on memory every child maps), so
 * no count is ever lost however many children and threads add at once.
 * A reader copies word by word: each value is exact, and the copy as a
 * whole is as of a moment within the copy.
 */
#ifndef PFJ_CORE_STATS_H
#define PFJ_CORE_STATS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "core/router.h"

/* Methods counted apart (HEAD apart from GET); any other is "other". */
typedef enum pfj_stats_method {
    PFJ_STATS_GET,
    PFJ_STATS_HEAD,
    PFJ_STATS_POST,
    PFJ_STATS_PUT,
    PFJ_STATS_DELETE,
    PFJ_STATS_OPTIONS,
    PFJ_STATS_METHOD_OTHER,
    PFJ_STATS_NMETHODS
} pfj_stats_method;

/* Status codes counted apart: those the module answers, and httpd's in
 * front of it (401, 403 from access control, 408, 413, 414...); any other
 * is counted by its class ("4xx"), or as "other" outside 200-599. */
#define PFJ_STATS_NCODES 29

/* Latency buckets: upper bounds in microseconds, then one beyond them. */
#define PFJ_STATS_NBOUNDS 13

/* Database errors by what they mean for the request (core/sqlstate.h's
 * classes, in the order of pfj_db_failure), and requests that got no
 * connection from mod_dbd's pool. */
typedef enum pfj_stats_db_error {
    PFJ_STATS_DB_OTHER,
    PFJ_STATS_DB_TRANSIENT,
    PFJ_STATS_DB_LOST_SESSION,
    PFJ_STATS_DB_NO_CONNECTION,
    PFJ_STATS_DB_NERRORS
} pfj_stats_db_error;

/* The table: 64-bit words only (read word by word).  Its size and layout
 * are fixed at compile time. */
typedef struct pfj_stats_table {
    apr_uint64_t layout; /* PFJ_STATS_LAYOUT once set up */
    apr_uint64_t requests[PFJ_EP_COUNT][PFJ_STATS_NMETHODS][PFJ_STATS_NCODES];
    /* per bucket (not cumulative); the last is beyond every bound */
    apr_uint64_t latency[PFJ_EP_COUNT][PFJ_STATS_NBOUNDS + 1];
    apr_uint64_t latency_usec[PFJ_EP_COUNT];
    apr_uint64_t db_errors[PFJ_STATS_DB_NERRORS];
    apr_uint64_t db_reconnects; /* lost sessions the module repaired */
    /* released before acquired: a copy then never shows more released
     * than acquired */
    apr_uint64_t conn_released;
    apr_uint64_t conn_acquired;
} pfj_stats_table;

/* Changes whenever pfj_stats_table does (a table kept across a graceful
 * restart by a module of another layout is made anew). */
#define PFJ_STATS_LAYOUT \
    (((apr_uint64_t)0x70666a73 << 32) | (apr_uint64_t)sizeof(pfj_stats_table))

/* Job and task states as the metrics name them (NULL, 100, 105, 106,
 * 107 in the tables). */
typedef enum pfj_stats_state {
    PFJ_STATS_QUEUED,
    PFJ_STATS_PAUSED,
    PFJ_STATS_RUNNING,
    PFJ_STATS_DONE,
    PFJ_STATS_FAILED,
    PFJ_STATS_NSTATES
} pfj_stats_state;

/* What the metrics read from the database (src/http/stats.c says which
 * numbers are exact and which estimated). */
typedef struct pfj_stats_db {
    int up; /* 0: no answer from the database, the rest is unset */
    apr_int64_t jobs[PFJ_STATS_NSTATES];
    apr_int64_t tasks[PFJ_STATS_NSTATES]; /* DONE unused: estimated */
    apr_int64_t tasks_live; /* PostgreSQL's count of live task rows */
} pfj_stats_db;

/* ---- indexing ---- */

pfj_stats_method pfj_stats_method_of(const char *method);
/* The slot of an HTTP status code (the last one for any other code). */
int pfj_stats_code_slot(int status);
/* The latency bucket of a duration in microseconds. */
int pfj_stats_bucket(apr_int64_t usec);
/* The state of a stored state code (-1 for a code pyfarm does not use);
 * 0 stands for NULL, queued. */
int pfj_stats_state_of(apr_int64_t code);
/* The endpoint's name in labels and keys ("job_get"; PFJ_EP_NONE, a
 * request no route serves - 404, 405, 308, OPTIONS - is "unrouted"). */
const char *pfj_stats_endpoint_name(pfj_endpoint ep);

/* Reads one row (kind "jobs", "tasks" or "tasks_live", state code, count)
 * of the states statement into db; unknown rows are left out. */
void pfj_stats_db_row(pfj_stats_db *db, const char *kind, const char *state,
                      const char *count);

/* ---- updates (atomic) ---- */

/* Sets an all-zero table up (fresh shared memory). */
void pfj_stats_init(pfj_stats_table *t);
/* A request answered: status code and duration in microseconds. */
void pfj_stats_count_request(pfj_stats_table *t, pfj_endpoint ep,
                             pfj_stats_method method, int status,
                             apr_int64_t usec);
void pfj_stats_count_db_error(pfj_stats_table *t, pfj_stats_db_error e);
void pfj_stats_count_reconnect(pfj_stats_table *t);
void pfj_stats_count_conn_acquired(pfj_stats_table *t);
void pfj_stats_count_conn_released(pfj_stats_table *t);

/* A copy of t, word by word. */
void pfj_stats_copy(const pfj_stats_table *t, pfj_stats_table *copy);

/* ---- renderings of a copy ---- */

/* Prometheus' text exposition format 0.0.4: HELP and TYPE for every
 * metric; series of the counters that are not zero; db (may be NULL:
 * not asked) adds the database gauges. */
const char *pfj_stats_prometheus(apr_pool_t *p, const pfj_stats_table *t,
                                 const pfj_stats_db *db);
/* mod_status' ?auto lines, "PyFarmJobs...: value", one per line. */
const char *pfj_stats_auto(apr_pool_t *p, const pfj_stats_table *t);
/* mod_status' HTML page section. */
const char *pfj_stats_html(apr_pool_t *p, const pfj_stats_table *t);

/* A Prometheus label value escaped (backslash, double quote, newline). */
const char *pfj_stats_label_escape(apr_pool_t *p, const char *value);

#endif
