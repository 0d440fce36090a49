/*
 * job_write.h - the writes of the jobs resource: submit (POST
 * /api/v1/jobs/, spec api.md §3) and update (POST /api/v1/jobs/<job>, §6).
 */
#ifndef PFJ_JOB_WRITE_H
#define PFJ_JOB_WRITE_H

#include "http.h"

extern const pfj_stmt pfj_job_write_stmts[];

int pfj_jobs_submit(pfj_req *q);
int pfj_jobs_update(pfj_req *q);

#endif
