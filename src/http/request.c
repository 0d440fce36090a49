/*
 * request.c - request-body rules, routing and JSON responses (see request.h).
 */
#include <apr_strings.h>
#include <apr_uri.h>
#include <httpd.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <http_log.h>
#include <util_filter.h>
#include "http/request.h"
#include "core/json_body.h"

APLOG_USE_MODULE(pyfarm_jobs);

#define JSON_TYPE "application/json"
#define HTML_TYPE "text/html; charset=utf-8"

/* The path exactly as the client sent it.  httpd decodes r->uri (and
 * r->parsed_uri.path, the same buffer) in place; routing decodes each
 * segment itself, once. */
const char *pfj_req_raw_path(request_rec *r)
{
    apr_uri_t uri;

    if (r->unparsed_uri
        && apr_uri_parse(r->pool, r->unparsed_uri, &uri) == APR_SUCCESS
        && uri.path) {
        return uri.path;
    }
    return r->uri;
}

/* "?query", or "" when there is none (an empty query counts as none). */
static const char *query_suffix(request_rec *r)
{
    const char *query = r->parsed_uri.query;

    return (query && *query) ? apr_pstrcat(r->pool, "?", query, NULL) : "";
}

/* Werkzeug's request.url: scheme://host + path + ?query, path undecoded. */
static const char *full_url(request_rec *r, const char *path)
{
    return ap_construct_url(r->pool,
                            apr_pstrcat(r->pool, path, query_suffix(r), NULL),
                            r);
}

pfj_jw *pfj_begin_json(pfj_req *q, int status)
{
    request_rec *r = q->r;
    pfj_jw *w = apr_palloc(r->pool, sizeof(*w));

    r->status = status;
    ap_set_content_type(r, JSON_TYPE);
    pfj_jw_init(w, apr_brigade_create(r->pool, r->connection->bucket_alloc),
                ap_filter_flush, r->output_filters);
    return w;
}

/* Sends what is left in bb followed by the end of the response. */
static int finish(request_rec *r, apr_bucket_brigade *bb)
{
    apr_status_t rv;

    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
    rv = ap_pass_brigade(r->output_filters, bb);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r,
                      "response not completely sent");
        return AP_FILTER_ERROR;
    }
    return OK;
}

int pfj_end_json(pfj_req *q, pfj_jw *w)
{
    if (w->status != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, w->status, q->r,
                      "response not completely sent");
        return AP_FILTER_ERROR;
    }
    return finish(q->r, w->bb);
}

int pfj_send_error(pfj_req *q, int status, const char *msg)
{
    pfj_jw *w = pfj_begin_json(q, status);

    pfj_jw_object_begin(w);
    pfj_jw_kv_string(w, "error", msg);
    pfj_jw_object_end(w);
    return pfj_end_json(q, w);
}

int pfj_send_errorf(pfj_req *q, int status, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(q->r->pool, fmt, ap);
    va_end(ap);
    return pfj_send_error(q, status, msg);
}

int pfj_send_child_list(pfj_req *q, pfj_db *db, const pfj_child_list *list,
                        const char *const *args, const pfj_page *page)
{
    apr_int64_t shown = 0;
    pfj_rows rows;
    pfj_jw *w;
    int found = pfj_db_select_row(db, list->label, list->nargs, args, &rows);

    if (found < 0) {
        return pfj_send_db_failure(q, db);
    }
    if (!found) {
        return list->not_found(q);
    }
    if (pfj_page_more(page, pfj_db_count(&rows))) {
        pfj_req_link_offset(q, page);
    }
    w = pfj_begin_json(q, HTTP_OK);
    pfj_jw_array_begin(w);
    do {
        if (pfj_db_col(&rows, list->marker) != NULL
            && pfj_page_shows(page, shown++)) {
            list->render(w, &rows);
        }
    } while (pfj_db_next(&rows));
    pfj_jw_array_end(w);
    return pfj_end_json(q, w);
}

/* {"error": [message]} */
static int send_error_list(pfj_req *q, int status, const char *msg)
{
    pfj_jw *w = pfj_begin_json(q, status);

    pfj_jw_object_begin(w);
    pfj_jw_key(w, "error");
    pfj_jw_array_begin(w);
    pfj_jw_string(w, msg);
    pfj_jw_array_end(w);
    pfj_jw_object_end(w);
    return pfj_end_json(q, w);
}

int pfj_send_refusal(pfj_req *q, const pfj_refusal *no)
{
    switch (no->shape) {
    case PFJ_REFUSAL_ERROR_LIST:
        return send_error_list(q, no->status, no->message);
    case PFJ_REFUSAL_STRING:
        return pfj_send_json_string(q, no->status, no->message);
    case PFJ_REFUSAL_UNHANDLED:
        return pfj_send_unhandled(q);
    case PFJ_REFUSAL_ERROR:
        break;
    }
    return pfj_send_error(q, no->status, no->message);
}

int pfj_send_json_string(pfj_req *q, int status, const char *s)
{
    pfj_jw *w = pfj_begin_json(q, status);

    pfj_jw_string(w, s);
    return pfj_end_json(q, w);
}

int pfj_send_no_content(pfj_req *q)
{
    request_rec *r = q->r;

    r->status = HTTP_NO_CONTENT;
    /* httpd drops r->content_type from a 204; the reference labels it */
    apr_table_setn(r->headers_out, "Content-Type", JSON_TYPE);
    return finish(r, apr_brigade_create(r->pool, r->connection->bucket_alloc));
}

int pfj_send_unhandled(pfj_req *q)
{
    return pfj_send_errorf(q, HTTP_INTERNAL_SERVER_ERROR,
                           "unhandled error while accessing %s", q->url);
}

int pfj_send_db_failure(pfj_req *q, pfj_db *db)
{
    if (db != NULL && !db->transient) {
        return pfj_send_unhandled(q);
    }
    apr_table_setn(q->r->err_headers_out, "Retry-After", "1");
    return pfj_send_error(q, HTTP_SERVICE_UNAVAILABLE,
                          "the database is unavailable, try again later");
}

apr_table_t *pfj_req_query(pfj_req *q)
{
    if (q->query == NULL) {
        q->query = pfj_parse_query(q->r->pool, q->r->args);
    }
    return q->query;
}

int pfj_req_page(pfj_req *q, pfj_page *page)
{
    const char *error = pfj_page_read(pfj_req_query(q),
                                      pfj_conf_list_limit(q->conf), page);

    return error ? pfj_send_error(q, HTTP_BAD_REQUEST, error) : DECLINED;
}

const char *pfj_req_count(pfj_req *q, apr_int64_t n)
{
    return n < 0 ? NULL : apr_psprintf(q->r->pool, "%" APR_INT64_T_FMT, n);
}

void pfj_req_page_args(pfj_req *q, const pfj_page *page, const char **args)
{
    args[0] = pfj_req_count(q, pfj_page_fetch(page));
    args[1] = pfj_req_count(q, page->offset);
}

void pfj_req_link_next(pfj_req *q, const char *const *replaced,
                       const char *param)
{
    apr_table_setn(q->r->headers_out, "Link",
                   pfj_next_page_link(q->r->pool, q->path, q->r->args,
                                      replaced, param));
}

void pfj_req_link_offset(pfj_req *q, const pfj_page *page)
{
    static const char *const replaced[] = {"offset", NULL};
    apr_int64_t next = pfj_count_add(page->offset, page->limit);

    pfj_req_link_next(q, replaced,
                      apr_psprintf(q->r->pool, "offset=%" APR_INT64_T_FMT,
                                   next));
}

pfj_db *pfj_req_db(pfj_req *q)
{
    if (q->db == NULL) {
        q->db = pfj_db_open(q->r);
    }
    return q->db;
}

int pfj_req_declares_more_than(pfj_req *q, apr_off_t max)
{
    const char *cl = apr_table_get(q->r->headers_in, "Content-Length");
    apr_off_t n;
    char *end;

    return cl && apr_strtoff(&n, cl, &end, 10) == APR_SUCCESS && n > max;
}

/* Reads the whole body, at most PyFarmJobsMaxBodySize bytes, into one
 * buffer from the request pool.  Returns 0, or the HTTP status (or
 * AP_FILTER_ERROR) of the failure. */
static int read_body(pfj_req *q, char **buf, apr_size_t *len)
{
    request_rec *r = q->r;
    apr_bucket_brigade *bb, *all;
    apr_bucket *b;
    apr_off_t total = 0, n;
    apr_status_t rv;
    int eos = 0;

    if (pfj_req_declares_more_than(q, pfj_conf_max_body(q->conf))) {
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    all = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    while (!eos) {
        rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
                            APR_BLOCK_READ, HUGE_STRING_LEN);
        if (rv != APR_SUCCESS) {
            return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
        }
        for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
             b = APR_BUCKET_NEXT(b)) {
            eos = eos || APR_BUCKET_IS_EOS(b);
            apr_bucket_setaside(b, r->pool);
        }
        apr_brigade_length(bb, 1, &n);
        total += n;
        if (total > pfj_conf_max_body(q->conf)) {
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
        APR_BRIGADE_CONCAT(all, bb);
    }
    rv = apr_brigade_pflatten(all, buf, len, r->pool);
    apr_brigade_destroy(all);
    return rv == APR_SUCCESS ? 0 : HTTP_INTERNAL_SERVER_ERROR;
}

int pfj_send_body_failure(pfj_req *q, int status, apr_off_t max)
{
    if (status == AP_FILTER_ERROR) {
        return status;
    }
    q->r->connection->keepalive = AP_CONN_CLOSE;
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        return pfj_send_errorf(q, status,
                               "request body is larger than the "
                               "limit of %" APR_OFF_T_FMT " bytes",
                               max);
    }
    return pfj_send_error(q, status, "the request body could not be read");
}

/* §0.2: JSON bodies are parsed before routing; a non-empty body of a type
 * the reference does not know is refused; form, multipart, zip and csv
 * bodies are left for the handler to read (a log upload streams).
 * DECLINED: go on with the request; anything else: the answer was sent. */
static int preprocess_body(pfj_req *q)
{
    request_rec *r = q->r;
    pfj_media media = pfj_media_classify(r->pool,
                                         apr_table_get(r->headers_in,
                                                       "Content-Type"),
                                         &q->mimetype);
    char *buf;
    const char *unstorable;
    apr_size_t len;
    int rc;

    if (media == PFJ_MEDIA_PASS) {
        return DECLINED;
    }
    if ((rc = read_body(q, &buf, &len)) != 0) {
        return pfj_send_body_failure(q, rc, pfj_conf_max_body(q->conf));
    }
    if (media == PFJ_MEDIA_OTHER) {
        return len == 0 ? DECLINED
                        : pfj_send_errorf(q, HTTP_UNSUPPORTED_MEDIA_TYPE,
                                          "Unsupported media type '%s'",
                                          q->mimetype);
    }
    if (len == 0) {
        return pfj_send_error(q, HTTP_BAD_REQUEST, "no data to decode");
    }
    if (pfj_json_parse(r->pool, buf, len, &q->body) != 0) {
        return pfj_send_error(q, HTTP_BAD_REQUEST, "failed to decode json");
    }
    q->json_text = buf;
    q->json_len = len;
    if ((unstorable = pfj_json_unstorable(q->body)) != NULL) {
        return pfj_send_error(q, HTTP_BAD_REQUEST, unstorable);
    }
    q->has_json = 1;
    return DECLINED;
}

int pfj_req_list_start(pfj_req *q, pfj_db **db, pfj_page *page)
{
    if ((*db = pfj_req_db(q)) == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    return pfj_req_page(q, page);
}

int pfj_req_validate(pfj_req *q, const pfj_model *model)
{
    const char *error;

    if (strcmp(q->mimetype, JSON_TYPE) != 0) {
        return pfj_send_error(q, HTTP_UNSUPPORTED_MEDIA_TYPE,
                              "Unsupported mimetype, only "
                              "{'application/json'} mimetype(s) are "
                              "supported.");
    }
    if ((error = pfj_validate(q->r->pool, model, q->body)) != NULL) {
        return pfj_send_error(q, HTTP_BAD_REQUEST, error);
    }
    return DECLINED;
}

static int send_not_found(pfj_req *q)
{
    return pfj_send_error(q, HTTP_NOT_FOUND,
                          apr_pstrcat(q->r->pool, q->url, " was not found",
                                      NULL));
}

static int send_bad_method(pfj_req *q)
{
    request_rec *r = q->r;

    apr_table_setn(r->err_headers_out, "Allow",
                   pfj_allow_header(r->pool, q->route.allowed));
    return pfj_send_error(q, HTTP_METHOD_NOT_ALLOWED,
                          apr_pstrcat(r->pool, q->url, " does not allow ",
                                      r->method, " requests", NULL));
}

int pfj_send_empty_html(pfj_req *q, int status)
{
    request_rec *r = q->r;

    r->status = status;
    ap_set_content_type(r, HTML_TYPE);
    ap_set_content_length(r, 0);
    return finish(r, apr_brigade_create(r->pool, r->connection->bucket_alloc));
}

/* Werkzeug's automatic OPTIONS answer: the methods, an empty HTML body. */
static int send_options(pfj_req *q)
{
    apr_table_setn(q->r->headers_out, "Allow",
                   pfj_allow_header(q->r->pool, q->route.allowed));
    return pfj_send_empty_html(q, HTTP_OK);
}

int pfj_send_brigade(pfj_req *q, apr_bucket_brigade *bb)
{
    return finish(q->r, bb);
}

int pfj_send_redirect(pfj_req *q, int status, const char *target)
{
    request_rec *r = q->r;
    const char *html = ap_escape_html(r->pool, target);
    apr_bucket_brigade *bb;

    apr_table_setn(r->headers_out, "Location", target);
    r->status = status;
    ap_set_content_type(r, HTML_TYPE);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    apr_brigade_printf(bb, NULL, NULL,
                       "<!doctype html>\n<html lang=en>\n"
                       "<title>Redirecting...</title>\n"
                       "<h1>Redirecting...</h1>\n"
                       "<p>You should be redirected automatically to the "
                       "target URL: <a href=\"%s\">%s</a>. If not, click the "
                       "link.\n",
                       html, html);
    return finish(r, bb);
}

/* 308 to the same URL with a trailing slash (method and body are kept). */
static int send_slash_redirect(pfj_req *q, const char *path)
{
    return pfj_send_redirect(q, HTTP_PERMANENT_REDIRECT,
                             full_url(q->r, apr_pstrcat(q->r->pool, path, "/",
                                                        NULL)));
}

static int dispatch(pfj_req *q, const pfj_handler_fn *handlers)
{
    pfj_handler_fn fn = handlers[q->route.endpoint];

    if (fn == NULL) {
        return pfj_send_error(q, HTTP_NOT_IMPLEMENTED,
                              "this endpoint is not implemented yet");
    }
    return fn(q);
}

/* Routes the path after the API's prefix (PyFarmJobsBase). */
pfj_route_result pfj_req_route(request_rec *r, const pfj_dir_conf *conf,
                               const char *path, pfj_route_match *m)
{
    const char *base = pfj_conf_base(conf);
    apr_size_t len = strlen(base);

    if (strncmp(path, base, len) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "%s is outside the API prefix %s (see "
                      "PyFarmJobsBase)",
                      path, base);
        return PFJ_ROUTE_NOT_FOUND;
    }
    return pfj_route(r->pool, path + len, pfj_method_bit(r->method), m);
}

int pfj_handle_request(request_rec *r, const pfj_dir_conf *conf,
                       const pfj_handler_fn *handlers, pfj_endpoint *endpoint)
{
    pfj_req *q = apr_pcalloc(r->pool, sizeof(*q));
    const char *path = pfj_req_raw_path(r);
    pfj_route_result routed;
    int rc;

    q->r = r;
    q->conf = conf;
    q->path = path;
    q->url = full_url(r, path);
    q->mimetype = "";
    if (r->method_number == M_POST || r->method_number == M_PUT) {
        if ((rc = preprocess_body(q)) != DECLINED) {
            return rc;
        }
    }
    routed = pfj_req_route(r, conf, path, &q->route);
    *endpoint = routed == PFJ_ROUTE_FOUND ? q->route.endpoint : PFJ_EP_NONE;
    switch (routed) {
    case PFJ_ROUTE_FOUND:
        return dispatch(q, handlers);
    case PFJ_ROUTE_REDIRECT:
        return send_slash_redirect(q, path);
    case PFJ_ROUTE_BAD_METHOD:
        return r->method_number == M_OPTIONS ? send_options(q)
                                             : send_bad_method(q);
    case PFJ_ROUTE_NOT_FOUND:
        break;
    }
    return send_not_found(q);
}
