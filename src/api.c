/*
 * api.c - endpoint -> handler, and the statement tables of every resource.
 * An endpoint without a handler answers 501.
 */
#include "api.h"
#include "jobs.h"
#include "job_write.h"

const pfj_handler_fn pfj_api_handlers[PFJ_EP_COUNT] = {
    [PFJ_EP_SCHEMA] = pfj_jobs_schema,
    [PFJ_EP_JOBS_LIST] = pfj_jobs_list,
    [PFJ_EP_JOB_GET] = pfj_jobs_get,
    [PFJ_EP_JOB_SUBMIT] = pfj_jobs_submit,
    [PFJ_EP_JOB_DELETE] = pfj_jobs_delete,
    [PFJ_EP_JOB_UPDATE] = pfj_jobs_update,
};

const pfj_stmt *const pfj_api_statements[] = {
    pfj_jobs_stmts,
    pfj_job_write_stmts,
    NULL
};
