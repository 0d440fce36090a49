/*
 * api.h - the whole API in two tables: which handler serves each endpoint,
 * and every statement the handlers prepare.
 */
#ifndef PFJ_API_H
#define PFJ_API_H

#include "http.h"

extern const pfj_handler_fn pfj_api_handlers[PFJ_EP_COUNT];
extern const pfj_stmt *const pfj_api_statements[];

#endif
