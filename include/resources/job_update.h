/*
 * job_update.h - POST /api/v1/jobs/<job> (doc/api.md §6).
 */
#ifndef PFJ_RESOURCES_JOB_UPDATE_H
#define PFJ_RESOURCES_JOB_UPDATE_H

#include "http/request.h"

extern const pfj_stmt pfj_job_update_stmts[];

int pfj_jobs_update(pfj_req *q);

#endif
