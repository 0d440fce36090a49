/*
 * request.h - one API request from httpd's point of view: the request-body
 * rules (doc/api.md §0.2), routing to a handler, and the JSON responses
 * every handler sends (§0.3, §0.4).
 */
#ifndef PFJ_HTTP_REQUEST_H
#define PFJ_HTTP_REQUEST_H

#include <httpd.h>
#include <json-c/json.h>
#include "core/dir_config.h"
#include "core/router.h"
#include "core/json_writer.h"
#include "http/db.h"
#include "core/model_check.h"
#include "core/refusal.h"
#include "core/list_page.h"

typedef struct pfj_req {
    request_rec *r;
    const pfj_dir_conf *conf;
    pfj_route_match route;
    const char *path;      /* the request's path as sent (escapes kept) */
    const char *url;       /* full request URL, as error messages quote it */
    const char *mimetype;  /* lower-cased, no parameters; "" if absent */
    json_object *body;     /* parsed JSON body; NULL if none or JSON null */
    int has_json;          /* a JSON body was parsed (even a null one) */
    const char *json_text; /* ... and its bytes as sent (json_len of them) */
    apr_size_t json_len;
    pfj_db *db;         /* opened by pfj_req_db() */
    apr_table_t *query; /* parsed by pfj_req_query() */
} pfj_req;

/* An endpoint handler: sends its response and returns OK (or an HTTP
 * status for httpd to answer itself when nothing could be sent). */
typedef int (*pfj_handler_fn)(pfj_req *q);

/* The handler hook's work for a request httpd gave to "pyfarm-jobs".
 * Once the path is routed (a body is checked first, §0.2), *endpoint is
 * the endpoint it routed to, PFJ_EP_NONE for none; before, it is left
 * as it was. */
int pfj_handle_request(request_rec *r, const pfj_dir_conf *conf,
                       const pfj_handler_fn *handlers, pfj_endpoint *endpoint);

/* The request's path exactly as the client sent it (httpd decodes r->uri
 * in place; routing decodes each segment itself, once). */
const char *pfj_req_raw_path(request_rec *r);

/* Routes path (pfj_req_raw_path's) for r's method under the API prefix
 * of conf (PyFarmJobsBase): PFJ_ROUTE_NOT_FOUND outside it. */
pfj_route_result pfj_req_route(request_rec *r, const pfj_dir_conf *conf,
                               const char *path, pfj_route_match *m);

/* The request's query string, parsed once (see pfj_parse_query). */
apr_table_t *pfj_req_query(pfj_req *q);

/* The optional ?limit=&offset= of a list (beyond the reference, doc/api.md
 * §1): both non-negative integers, limit cut to PyFarmJobsMaxListLimit
 * (pfj_page_read).  Returns DECLINED to go on, else the 400 that was
 * sent. */
int pfj_req_page(pfj_req *q, pfj_page *page);

/* The start of a list: the request's database connection (*db) and its
 * page (pfj_req_page).  Returns DECLINED to go on, else the answer sent
 * (503 without a database, 400 for a bad page). */
int pfj_req_list_start(pfj_req *q, pfj_db **db, pfj_page *page);

/* A count as a statement's parameter: its decimal text, NULL (SQL NULL:
 * no LIMIT) when negative. */
const char *pfj_req_count(pfj_req *q, apr_int64_t n);

/* The "LIMIT %lld OFFSET %lld" parameters of a list paged by offset:
 * args[0] the rows to fetch (pfj_page_fetch: one more than shown), args[1]
 * the offset. */
void pfj_req_page_args(pfj_req *q, const pfj_page *page, const char **args);

/* Sets the answer's Link header to the next page (§1): this request's
 * path and query without the replaced parameters (NULL-terminated), with
 * param at the end (pfj_next_page_link).  Call it before the answer's
 * first byte. */
void pfj_req_link_next(pfj_req *q, const char *const *replaced,
                       const char *param);

/* pfj_req_link_next() for a list paged by offset: the next page starts
 * where this one (page->limit rows from page->offset) ends. */
void pfj_req_link_offset(pfj_req *q, const pfj_page *page);

/* §0.5, a validated endpoint's checks: the media type (415), then the
 * body against the model (400).  Returns DECLINED when the body passes,
 * else the answer that was sent. */
int pfj_req_validate(pfj_req *q, const pfj_model *model);

/* 1 when the request's Content-Length announces more than max bytes (a
 * body to refuse before reading any of it). */
int pfj_req_declares_more_than(pfj_req *q, apr_off_t max);

/* The answer to a request body that could not be read (status from the
 * reading: 413 when it is larger than max, or httpd's mapping of the read
 * error; AP_FILTER_ERROR is returned as is, httpd has answered).  The
 * connection is closed so that httpd does not read the rest of the body. */
int pfj_send_body_failure(pfj_req *q, int status, apr_off_t max);

/* The request's database connection (opened on first use); NULL when the
 * database is unavailable: send pfj_send_db_failure(). */
pfj_db *pfj_req_db(pfj_req *q);

/* Starts a JSON response with this status; write the value with the
 * returned writer, then call pfj_end_json(). */
pfj_jw *pfj_begin_json(pfj_req *q, int status);
int pfj_end_json(pfj_req *q, pfj_jw *w);

/* {"error": msg} with this status; pfj_send_errorf formats msg. */
int pfj_send_error(pfj_req *q, int status, const char *msg);
int pfj_send_errorf(pfj_req *q, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The answer to a refusal of the core's decisions, in its shape. */
int pfj_send_refusal(pfj_req *q, const pfj_refusal *no);

/* A bare JSON string (some reference errors are just that). */
int pfj_send_json_string(pfj_req *q, int status, const char *s);

/* An empty text/html answer with this status (what Werkzeug sends for
 * OPTIONS and for a handler returning ("", status)). */
int pfj_send_empty_html(pfj_req *q, int status);

/* A redirect to target (an absolute URL) with Werkzeug's little HTML page
 * as the body. */
int pfj_send_redirect(pfj_req *q, int status, const char *target);

/* Sends bb (status and headers set by the caller) and ends the response;
 * for bodies that are not JSON, e.g. a file bucket. */
int pfj_send_brigade(pfj_req *q, apr_bucket_brigade *bb);

/*
 * The list of a parent's children (failed_on_agents, notified_users, task
 * logs): the statement (label, nargs parameters) returns no row when the
 * parent does not exist, else one row per child - or one row whose marker
 * column is NULL when it has none (a LEFT JOIN LATERAL of a page of
 * them).  Its LIMIT is the page's pfj_page_fetch(), one more child than
 * the page shows: that one only tells that a next page exists (Link).
 * No row: the answer of not_found; else 200 with an array of render() of
 * each child's row shown.
 */
typedef void (*pfj_row_render_fn)(pfj_jw *w, const pfj_rows *row);
typedef struct pfj_child_list {
    const char *label;
    int nargs;
    int marker;
    pfj_row_render_fn render;
    int (*not_found)(pfj_req *q);
} pfj_child_list;
int pfj_send_child_list(pfj_req *q, pfj_db *db, const pfj_child_list *list,
                        const char *const *args, const pfj_page *page);

/* 204: no body, Content-Type application/json. */
int pfj_send_no_content(pfj_req *q);

/* 500 {"error": "unhandled error while accessing <url>"} (the reference's
 * answer to anything it did not expect). */
int pfj_send_unhandled(pfj_req *q);

/* The answer to a failed database operation: 503 with a JSON error when
 * trying again may help (database down, deadlock, timeouts), else
 * pfj_send_unhandled().  db may be NULL (no connection). */
int pfj_send_db_failure(pfj_req *q, pfj_db *db);

#endif
