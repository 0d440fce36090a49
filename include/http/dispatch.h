/*
 * dispatch.h - the whole API in two tables: which handler serves each endpoint,
 * and every statement the handlers prepare.
 */
#ifndef PFJ_HTTP_DISPATCH_H
#define PFJ_HTTP_DISPATCH_H

#include "http/request.h"

extern const pfj_handler_fn pfj_api_handlers[PFJ_EP_COUNT];
extern const pfj_stmt *const pfj_api_statements[];

#endif
