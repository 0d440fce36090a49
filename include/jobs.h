/*
 * jobs.h - the jobs resource: schema, list, submit, get, update, delete
 * (spec api.md §2-§7).
 */
#ifndef PFJ_JOBS_H
#define PFJ_JOBS_H

#include "http.h"

extern const pfj_stmt pfj_jobs_stmts[];

int pfj_jobs_schema(pfj_req *q);
int pfj_jobs_list(pfj_req *q);

#endif
