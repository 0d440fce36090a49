/*
 * refusal.c - refusals of the core's decisions (see refusal.h).
 */
#include <apr_strings.h>
#include "core/refusal.h"

const pfj_refusal *pfj_refuse_as(apr_pool_t *p, int status,
                                 pfj_refusal_shape shape, const char *message)
{
    pfj_refusal *r = apr_palloc(p, sizeof(*r));

    r->status = status;
    r->shape = shape;
    r->message = message;
    return r;
}

const pfj_refusal *pfj_refuse(apr_pool_t *p, int status, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    return pfj_refuse_as(p, status, PFJ_REFUSAL_ERROR, msg);
}
