/*
 * jobs.h - the jobs resource: schema, list, submit, get, update, delete
 * (doc/api.md §2-§7).
 */
#ifndef PFJ_RESOURCES_JOBS_H
#define PFJ_RESOURCES_JOBS_H

#include "http/request.h"
#include "core/work_state.h"

/* SQL that selects a job by the two parameters of pfj_job_ref(): an id,
 * or else the oldest job with that title. */
/* clang-format off */
#define PFJ_JOB_REF_SQL \
    "COALESCE(%lld, (SELECT id FROM jobs WHERE title = %s" \
    "                 ORDER BY id LIMIT 1))"

/* A job that was running or paused with a start time keeps it (j: the
 * job's row before the change). */
#define PFJ_JOB_WAS_STARTED_SQL \
    "(COALESCE(j.state IN (" PFJ_SQL_PAUSED ", " PFJ_SQL_RUNNING "), false)" \
    " AND j.time_started IS NOT NULL)"

/*
 * §9.2, the job's state from its tasks, in two pieces of one statement:
 * PFJ_JOB_STATE_CTES continues a WITH clause that defines
 * task_states(state, agent_id) - every task of the job - and
 * PFJ_JOB_STATE_UPDATE is the UPDATE that follows (as the statement, or as
 * one more data-modifying CTE).  job_id is an SQL expression; a NULL job id
 * updates nothing.
 *
 * No task left unfinished: done, or failed when one failed.  Otherwise
 * (unless paused): running when an agent that is neither offline nor
 * disabled holds a queued or running task, else queued (NULL).  Times
 * follow the new state.  Each question is an EXISTS asked only when the
 * answer matters (CASE evaluates lazily), and each is spelt as the
 * predicate of its partial index in sql/indexes.sql
 * (pfj_tasks_unfinished_idx, pfj_tasks_failed_idx, pfj_tasks_active_idx),
 * so that it is one index probe whatever the job's size; task_states must
 * be NOT MATERIALIZED for the EXISTS to reach the indexes.  The caller
 * must hold the job's row lock from an earlier statement, so that
 * task_states sees every change committed before it (two agents finishing
 * a job's last two tasks at once).
 */
#define PFJ_TASKS_UNFINISHED_SQL(t) \
    "(" t ".state IS NULL OR " t ".state NOT IN (" PFJ_SQL_DONE ", " \
    PFJ_SQL_FAILED "))"
#define PFJ_TASKS_ACTIVE_SQL(t) \
    "(" t ".agent_id IS NOT NULL AND (" t ".state IS NULL OR " t ".state = " \
    PFJ_SQL_RUNNING "))"
/* §9.2 shortened, for a job whose task t is active (above) on agent a,
 * neither offline nor disabled: the job is running, or stays paused,
 * whatever its other tasks, so its stored state (of job j) is its
 * recomputation exactly when it is one of those two.  NULL when t says
 * nothing (PFJ_JOB_STATE_CTES must then be asked). */
#define PFJ_JOB_HELD_SETTLED_SQL(t, a, j) \
    "(CASE WHEN " PFJ_TASKS_ACTIVE_SQL(t) " AND " a ".state NOT IN (" \
    PFJ_SQL_AGENT_DISABLED ", " PFJ_SQL_AGENT_OFFLINE ")" \
    " THEN COALESCE(" j ".state IN (" PFJ_SQL_PAUSED ", " PFJ_SQL_RUNNING \
    "), false) END)"
#define PFJ_JOB_STATE_CTES(job_id) \
    " next_state AS (" \
    "  SELECT j.id, j.state AS old," \
    "         CASE WHEN NOT EXISTS (SELECT 1 FROM task_states ts" \
    "                                WHERE " PFJ_TASKS_UNFINISHED_SQL("ts") ")" \
    "              THEN CASE WHEN EXISTS (SELECT 1 FROM task_states ts" \
    "                                      WHERE ts.state = " PFJ_SQL_FAILED ")" \
    "                        THEN " PFJ_SQL_FAILED " ELSE " PFJ_SQL_DONE " END" \
    "              WHEN j.state = " PFJ_SQL_PAUSED " THEN " PFJ_SQL_PAUSED \
    "              WHEN EXISTS (SELECT 1 FROM task_states ts" \
    "                             JOIN agents a ON a.id = ts.agent_id" \
    "                            WHERE " PFJ_TASKS_ACTIVE_SQL("ts") \
    "                              AND a.state NOT IN (" \
    PFJ_SQL_AGENT_DISABLED ", " PFJ_SQL_AGENT_OFFLINE "))" \
    "              THEN " PFJ_SQL_RUNNING " ELSE NULL END AS new," \
    "         " PFJ_JOB_WAS_STARTED_SQL " AS was_started" \
    "    FROM jobs j WHERE j.id = " job_id ")"

#define PFJ_JOB_STATE_UPDATE \
    " UPDATE jobs j SET state = n.new," \
    "  time_started = CASE WHEN n.new = " PFJ_SQL_RUNNING " AND NOT n.was_started" \
    "                      THEN now() AT TIME ZONE 'utc'" \
    "                      ELSE j.time_started END," \
    "  time_finished = CASE WHEN n.new IN (" PFJ_SQL_DONE ", " PFJ_SQL_FAILED ")" \
    "                       THEN now() AT TIME ZONE 'utc'" \
    "                       WHEN n.new = " PFJ_SQL_RUNNING " AND NOT n.was_started" \
    "                       THEN NULL" \
    "                       ELSE j.time_finished END" \
    "  FROM next_state n WHERE j.id = n.id AND n.new IS DISTINCT FROM n.old"
/* clang-format on */

extern const pfj_stmt pfj_jobs_stmts[];

int pfj_jobs_schema(pfj_req *q);
int pfj_jobs_list(pfj_req *q);
int pfj_jobs_get(pfj_req *q);
int pfj_jobs_delete(pfj_req *q);

/* The URL's <job> (doc/api.md §0.1) as the parameters of PFJ_JOB_REF_SQL: an
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

/* Writes the job object of doc/api.md §0.8.  start/end: the tokens to show, or
 * NULL for the first/last task frame.  update_shape: the job-update answer
 * (no notified_users). */
void pfj_job_render(pfj_jw *w, const pfj_rows *job, const char *start,
                    const char *end, int update_shape);

#endif
