/*
 * health.c - the health handler (see health.h): fetch the schema check's
 * rows over a pooled connection, let the core decide, answer.
 */
#include <httpd.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include "resources/health.h"
#include "core/health.h"
#include "http/db_session.h"
#include "http/request.h"

APLOG_USE_MODULE(pyfarm_jobs);

/* What the schema check found over the request's pooled connection, or
 * NULL when there is none or the check failed (logged by db.c). */
static const pfj_schema_gaps *check_schema(pfj_req *q)
{
    pfj_schema_gaps *gaps = pfj_schema_gaps_make(q->r->pool);
    pfj_db *db = pfj_req_db(q);
    const char *args[2];
    pfj_rows rows;

    pfj_db_schema_check_args(q->r->pool, 1, args);
    if (db == NULL
        || pfj_db_select(db, PFJ_SCHEMA_CHECK, 2, args, &rows) != 0) {
        return NULL;
    }
    while (pfj_db_next(&rows)) {
        pfj_schema_gaps_add(gaps, pfj_db_col(&rows, 0), pfj_db_col(&rows, 1),
                            pfj_db_col(&rows, 2));
    }
    return gaps;
}

int pfj_health(request_rec *r)
{
    pfj_req *q = apr_pcalloc(r->pool, sizeof(*q));
    const pfj_schema_gaps *gaps;
    pfj_jw *w;

    q->r = r;
    q->url = ap_construct_url(r->pool, r->unparsed_uri, r);
    /* M_GET covers HEAD, whose body httpd drops */
    if (r->method_number != M_GET) {
        apr_table_setn(r->err_headers_out, "Allow", "GET, HEAD");
        return pfj_send_errorf(q, HTTP_METHOD_NOT_ALLOWED,
                               "%s does not allow %s requests", q->url,
                               r->method);
    }
    /* an answer of the past says nothing of the database now */
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    gaps = check_schema(q);
    /* the body is small: it stays in w's brigade, and r->status is set
     * before anything goes out */
    w = pfj_begin_json(q, HTTP_OK);
    r->status = pfj_health_answer(w, gaps);
    return pfj_end_json(q, w);
}
