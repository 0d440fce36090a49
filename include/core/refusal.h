/*
 * refusal.h - what a decision of the core answers instead of a plan: the
 * status and the error body the request is refused with.  The core builds
 * refusals without knowing httpd; the http layer sends them
 * (pfj_send_refusal in http/request.h).
 *
 * Decisions return NULL to go on, or the refusal - so a chain of checks
 * reads `if ((no = check(...)) != NULL) return no;`.
 */
#ifndef PFJ_CORE_REFUSAL_H
#define PFJ_CORE_REFUSAL_H

#include <apr_pools.h>

/* HTTP statuses the decisions answer with (httpd's names, without httpd). */
#define PFJ_HTTP_OK 200
#define PFJ_HTTP_BAD_REQUEST 400
#define PFJ_HTTP_FORBIDDEN 403
#define PFJ_HTTP_NOT_FOUND 404
#define PFJ_HTTP_CONFLICT 409
#define PFJ_HTTP_INTERNAL_ERROR 500

/* The error body's shape: the reference uses several, and clients parse
 * them (doc/api.md §0.4). */
typedef enum pfj_refusal_shape {
    PFJ_REFUSAL_ERROR,      /* {"error": message} */
    PFJ_REFUSAL_ERROR_LIST, /* {"error": [message]} (§9.5) */
    PFJ_REFUSAL_STRING,     /* "message": a bare JSON string */
    PFJ_REFUSAL_UNHANDLED   /* the reference's 500 for what it did not
                             * expect (message unused) */
} pfj_refusal_shape;

typedef struct pfj_refusal {
    int status;
    pfj_refusal_shape shape;
    const char *message;
} pfj_refusal;

/* {"error": printf-style message} with this status. */
const pfj_refusal *pfj_refuse(apr_pool_t *p, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A refusal of another shape; message is kept, not copied. */
const pfj_refusal *pfj_refuse_as(apr_pool_t *p, int status,
                                 pfj_refusal_shape shape, const char *message);

#endif
