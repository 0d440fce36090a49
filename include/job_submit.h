/*
 * job_submit.h - POST /api/v1/jobs/ (spec api.md §3).
 */
#ifndef PFJ_JOB_SUBMIT_H
#define PFJ_JOB_SUBMIT_H

#include "http.h"

extern const pfj_stmt pfj_job_submit_stmts[];

int pfj_jobs_submit(pfj_req *q);

#endif
