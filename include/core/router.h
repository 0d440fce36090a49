/*
 * router.h - method + path -> endpoint, with the reference's (Werkzeug's)
 * rules: literal routes before placeholders, 405 with the union of the
 * methods of every route matching the path, a redirect to the slash URL for
 * routes that end in "/", percent-decoding per path segment (so "%2F" in a
 * job title stays inside its segment).  Pure: no httpd, no database.
 */
#ifndef PFJ_CORE_ROUTER_H
#define PFJ_CORE_ROUTER_H

#include <apr_pools.h>
#include <apr_tables.h>

/* Methods as bits; HEAD is routed as GET (httpd does the same). */
#define PFJ_M_GET 0x01u
#define PFJ_M_POST 0x02u
#define PFJ_M_PUT 0x04u
#define PFJ_M_DELETE 0x08u

typedef enum pfj_endpoint {
    PFJ_EP_NONE = 0,
    PFJ_EP_JOBS_LIST,
    PFJ_EP_JOB_SUBMIT,
    PFJ_EP_SCHEMA,
    PFJ_EP_JOB_GET,
    PFJ_EP_JOB_UPDATE,
    PFJ_EP_JOB_DELETE,
    PFJ_EP_TASKS_LIST,
    PFJ_EP_TASK_GET,
    PFJ_EP_TASK_UPDATE,
    PFJ_EP_FAILED_ON_AGENTS_LIST,
    PFJ_EP_FAILED_ON_AGENTS_ADD,
    PFJ_EP_FAILED_ON_AGENT_DELETE,
    PFJ_EP_NOTIFIED_USERS_LIST,
    PFJ_EP_NOTIFIED_USERS_ADD,
    PFJ_EP_NOTIFIED_USER_DELETE,
    PFJ_EP_TASK_LOGS_LIST,
    PFJ_EP_TASK_LOG_REGISTER,
    PFJ_EP_TASK_LOG_GET,
    PFJ_EP_TASK_LOG_UPDATE,
    PFJ_EP_LOGFILE_GET,
    PFJ_EP_LOGFILE_PUT,
    PFJ_EP_COUNT
} pfj_endpoint;

typedef enum pfj_route_result {
    PFJ_ROUTE_FOUND,      /* endpoint and args are set */
    PFJ_ROUTE_NOT_FOUND,  /* 404 */
    PFJ_ROUTE_BAD_METHOD, /* path exists, method does not: allowed is set */
    PFJ_ROUTE_REDIRECT    /* the same path with a trailing "/" exists */
} pfj_route_result;

#define PFJ_ROUTE_MAX_ARGS 4

typedef struct pfj_route_match {
    pfj_endpoint endpoint;
    unsigned allowed; /* PFJ_M_* of matching routes */
    int nargs;
    const char *args[PFJ_ROUTE_MAX_ARGS]; /* decoded placeholder values */
} pfj_route_match;

/*
 * Routes path (undecoded, relative to the API prefix: "/", "/42/tasks/",
 * "" for the prefix itself) for the PFJ_M_* method bit (0 for a method no
 * route serves, e.g. OPTIONS: the result is then BAD_METHOD or NOT_FOUND,
 * with allowed telling what OPTIONS should list).
 */
pfj_route_result pfj_route(apr_pool_t *p, const char *path, unsigned method,
                           pfj_route_match *m);

/* The PFJ_M_* bit of a request method name ("HEAD" counts as GET); 0 for
 * every other method. */
unsigned pfj_method_bit(const char *method);

/* "GET, HEAD, POST, OPTIONS" for the allowed bits (OPTIONS always last,
 * HEAD whenever GET is there). */
const char *pfj_allow_header(apr_pool_t *p, unsigned allowed);

/* Percent-decodes one path segment; NULL when the result is not valid UTF-8
 * or contains a NUL byte (such a segment matches no route).  Invalid escapes
 * are kept literally, as Werkzeug does. */
char *pfj_decode_segment(apr_pool_t *p, const char *seg, apr_size_t len);

/* Parses a query string the way Werkzeug does ("+" is a space, %XX
 * escapes decoded, invalid ones kept, keys without "=" get ""); repeated
 * keys keep every value in order.  Bytes that do not decode to valid UTF-8
 * (and NUL) become U+FFFD.  args may be NULL. */
apr_table_t *pfj_parse_query(apr_pool_t *p, const char *args);

/* digits (an {int} placeholder's value) when its number is at most max,
 * else NULL: an id beyond the column's range matches no row. */
const char *pfj_id_within(const char *digits, apr_int64_t max);

/* 1 when s is a non-empty run of ASCII digits. */
int pfj_is_digits(const char *s);

#endif
