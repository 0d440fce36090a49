/*
 * jobs.h - the jobs resource: schema, list, submit, get, update, delete
 * (spec api.md §2-§7).
 */
#ifndef PFJ_JOBS_H
#define PFJ_JOBS_H

#include "http.h"

/* SQL that selects a job by the two parameters of pfj_job_ref(): an id,
 * or else the oldest job with that title. */
#define PFJ_JOB_REF_SQL \
    "COALESCE(%lld, (SELECT id FROM jobs WHERE title = %s" \
    "                 ORDER BY id LIMIT 1))"

extern const pfj_stmt pfj_jobs_stmts[];

int pfj_jobs_schema(pfj_req *q);
int pfj_jobs_list(pfj_req *q);
int pfj_jobs_get(pfj_req *q);
int pfj_jobs_delete(pfj_req *q);

/* The URL's <job> (spec §0.1) as the parameters of PFJ_JOB_REF_SQL: an
 * all-digits segment is an id, anything else a title.  Returns 0 when the
 * id is too large to exist. */
int pfj_job_ref(const char *arg, const char **id, const char **title);

/* Selects the job for its JSON object: 1 found, 0 not, -1 database error. */
int pfj_job_select(pfj_db *db, const char *id, const char *title,
                   pfj_rows *job);

/* §9.2: recomputes the state of job id from its tasks, in the request's
 * transaction; 0 on success. */
int pfj_job_recompute(pfj_db *db, const char *id);

/* 1 when the selected job has at least one task. */
int pfj_job_has_tasks(const pfj_rows *job);

/* Writes the job object of spec §0.8.  start/end: the tokens to show, or
 * NULL for the first/last task frame.  update_shape: the job-update answer
 * (no notified_users, jobqueue always null). */
void pfj_job_render(pfj_jw *w, const pfj_rows *job, const char *start,
                    const char *end, int update_shape);

#endif
