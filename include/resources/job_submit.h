/*
 * job_submit.h - POST /api/v1/jobs/ (doc/api.md §3).
 */
#ifndef PFJ_RESOURCES_JOB_SUBMIT_H
#define PFJ_RESOURCES_JOB_SUBMIT_H

#include "http/request.h"

extern const pfj_stmt pfj_job_submit_stmts[];

int pfj_jobs_submit(pfj_req *q);

#endif
