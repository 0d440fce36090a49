/*
 * job_update.c - POST /api/v1/jobs/<job>: update a job (doc/api.md §6,
 * §9.1, §9.2).
 *
 * Fetch, decide, store and render: the job's row is locked, the core
 * (core/job_update_rules.c) checks the body step by step in the
 * reference's order on it and on the lookup's answer, and the changes,
 * the tasks of a new frame range and the replaced requirements and
 * parents are written by one statement.
 */
#include <httpd.h>
#include "resources/job_input.h"
#include "resources/job_update.h"
#include "resources/jobs.h"
#include "core/job_update_rules.h"
#include "core/job_columns.h"

/* Taken before an update that changes a job's parents: two such updates
 * at once could otherwise each pass the cycle check and make a cycle
 * together (pfj_update_changes_parents).  (A new job has no children, so
 * submissions cannot.) */
#define DEPENDENCY_LOCK_KEY "7377349101187360112"

/* clang-format off */
const pfj_stmt pfj_job_update_stmts[] = {
    {"pfj_update_lock_dependencies",
     "SELECT pg_advisory_xact_lock(" DEPENDENCY_LOCK_KEY ")"},
    /* §6: the job to update, locked for the rest of the transaction, with
     * its frame range and jobtype. */
    {"pfj_update_target",
     "SELECT j.id, (SELECT min(frame) FROM tasks WHERE job_id = j.id),"
     "       (SELECT max(frame) FROM tasks WHERE job_id = j.id), j.by, t.name,"
     "       j.num_tiles"
     "  FROM jobs j JOIN jobtype_versions v ON v.id = j.jobtype_version_id"
     "  JOIN jobtypes t ON t.id = v.jobtype_id"
     " WHERE j.id = " PFJ_JOB_REF_SQL " FOR UPDATE OF j"},
    /* §6 and §9.1 in one statement, from one JSON document: {"job": id,
     * "columns": {new column values by name}, "state": the state set (or
     * absent), "range": {"start", "end", "by"} (or absent), "software":
     * [{"software_id", "min_version_id", "max_version_id"}] and
     * "tag_requirements": [{"tag", "negate"}] and "parents": [id] (each
     * replaces the job's, or is absent), "all_tags": [names]}.  Tasks of frames outside a new
     * range go, tasks of its new frames come; creating frames resets the
     * state unless one is set or the job is paused.  Returns the counts of deleted and created
     * tasks. */
    {"pfj_update_apply",
     "WITH plan AS (SELECT %s::jsonb AS p),"
     " job AS (SELECT j.id, j.priority, j.num_tiles, j AS row"
     "           FROM jobs j, plan WHERE j.id = (plan.p->>'job')::bigint),"
     " required AS (SELECT DISTINCT round(g, 4) AS frame FROM plan,"
     "   generate_series((plan.p->'range'->>'start')::numeric,"
     "                   (plan.p->'range'->>'end')::numeric,"
     "                   (plan.p->'range'->>'by')::numeric) AS g),"
     " gone AS (SELECT t.id FROM tasks t, plan"
     "           WHERE t.job_id = (plan.p->>'job')::bigint"
     "             AND plan.p->'range' IS NOT NULL"
     "             AND t.frame NOT IN (SELECT frame FROM required)),"
     " failures AS (DELETE FROM failed_tasks_in_agents"
     "               WHERE task_id IN (SELECT id FROM gone)),"
     " tasks_gone AS (DELETE FROM tasks WHERE id IN (SELECT id FROM gone)"
     "                RETURNING 1),"
     " new_frames AS (SELECT frame FROM required EXCEPT"
     "                SELECT t.frame FROM tasks t, plan"
     "                 WHERE t.job_id = (plan.p->>'job')::bigint),"
     " tasks_new AS ("
     PFJ_INSERT_TASKS("job.id", "job.priority", "job.num_tiles", "new_frames")
     "   RETURNING 1),"
     PFJ_TAG_IDS_CTE
     " software_set AS ("
     "   INSERT INTO job_software_requirements"
     "     (software_id, job_id, min_version_id, max_version_id)"
     "   SELECT (e->>'software_id')::integer, job.id,"
     "     (e->>'min_version_id')::integer, (e->>'max_version_id')::integer"
     "     FROM job, plan, jsonb_array_elements(plan.p->'software') AS e"
     "   ON CONFLICT (software_id, job_id) DO UPDATE"
     "     SET min_version_id = EXCLUDED.min_version_id,"
     "         max_version_id = EXCLUDED.max_version_id),"
     /* each NOT IN list reads the plan itself, not the DELETE's: an
      * uncorrelated subquery is hashed once, a correlated one would be
      * run again for every row of the job's (existing x listed) */
     " software_dropped AS ("
     "   DELETE FROM job_software_requirements r USING plan"
     "    WHERE r.job_id = (plan.p->>'job')::bigint"
     "      AND plan.p->'software' IS NOT NULL"
     "      AND r.software_id NOT IN (SELECT (e->>'software_id')::integer"
     "            FROM plan AS l, jsonb_array_elements(l.p->'software') AS e)),"
     " tag_requirements_set AS ("
     "   INSERT INTO job_tag_requirements (tag_id, job_id, negate)"
     "   SELECT t.id, job.id, (e->>'negate')::boolean"
     "     FROM job, plan,"
     "          jsonb_array_elements(plan.p->'tag_requirements') AS e"
     "     JOIN tag_ids t ON t.tag = e->>'tag'"
     "   ON CONFLICT (tag_id, job_id) DO UPDATE SET negate = EXCLUDED.negate),"
     " tag_requirements_dropped AS ("
     "   DELETE FROM job_tag_requirements r USING plan"
     "    WHERE r.job_id = (plan.p->>'job')::bigint"
     "      AND plan.p->'tag_requirements' IS NOT NULL"
     "      AND r.tag_id NOT IN (SELECT t.id"
     "            FROM plan AS l,"
     "                 jsonb_array_elements(l.p->'tag_requirements') AS e"
     "            JOIN tags t ON t.tag = e->>'tag')),"
     " parents_dropped AS ("
     "   DELETE FROM job_dependencies d USING plan"
     "    WHERE d.childid = (plan.p->>'job')::bigint"
     "      AND plan.p->'parents' IS NOT NULL"
     "      AND d.parentid NOT IN (SELECT v::bigint"
     "            FROM plan AS l,"
     "                 jsonb_array_elements_text(l.p->'parents') AS v)),"
     " parents_added AS ("
     "   INSERT INTO job_dependencies (parentid, childid)"
     "   SELECT DISTINCT v::bigint, job.id"
     "     FROM job, plan, jsonb_array_elements_text(plan.p->'parents') AS v"
     "   ON CONFLICT DO NOTHING),"
     " updated AS ("
     "   UPDATE jobs j SET " PFJ_JOB_SET_LIST
     "     state = CASE WHEN plan.p->>'state' IS NOT NULL THEN r.state"
     "                  WHEN EXISTS (SELECT 1 FROM new_frames)"
     "                   AND j.state IS DISTINCT FROM " PFJ_SQL_PAUSED
     "                  THEN NULL"
     "                  ELSE j.state END,"
     "     time_started = CASE WHEN plan.p->>'state' = 'running'"
     "                          AND NOT " PFJ_JOB_WAS_STARTED_SQL
     "                         THEN now() AT TIME ZONE 'utc'"
     "                         ELSE j.time_started END,"
     "     time_finished = CASE WHEN plan.p->>'state' = 'running'"
     "                           AND NOT " PFJ_JOB_WAS_STARTED_SQL
     "                          THEN NULL"
     "                          WHEN plan.p->>'state' IN ('done', 'failed')"
     "                          THEN now() AT TIME ZONE 'utc'"
     "                          ELSE j.time_finished END"
     "    FROM plan, job, jsonb_populate_record(job.row, plan.p->'columns') r"
     "   WHERE j.id = job.id RETURNING 1)"
     "SELECT (SELECT count(*) FROM tasks_gone),"
     "       (SELECT count(*) FROM tasks_new)"},
    {NULL, NULL}
};
/* clang-format on */

/* The job's row, locked, by pfj_target_column (NULL when there is no
 * such job): 0, or -1 when the database failed. */
static int lock_target(pfj_req *q, pfj_db *db, const char *const **target)
{
    const char *args[2];
    pfj_rows rows;
    int got;

    *target = NULL;
    if (!pfj_job_ref(q->route.args[0], &args[0], &args[1])) {
        return 0;
    }
    /* before the job's row lock, so that two such updates never hold one
     * lock each while waiting for the other's */
    if (pfj_update_changes_parents(q->body)
        && pfj_db_select_row(db, "pfj_update_lock_dependencies", 0, NULL,
                             &rows)
               < 0) {
        return -1;
    }
    if ((got = pfj_db_select_row(db, "pfj_update_target", 2, args, &rows))
        < 0) {
        return -1;
    }
    if (got == 1) {
        *target = pfj_db_cols(&rows, PFJ_TC_COUNT);
    }
    return 0;
}

/* The job, the lookup and the decision on both, in the transaction:
 * DECLINED with *plan set, or the answer that was sent. */
static int fetch_and_decide(pfj_req *q, pfj_db *db, pfj_job_plan *plan)
{
    const char *const *target, *const *found;
    const pfj_refusal *no;
    pfj_job_draft *d;

    if (lock_target(q, db, &target) != 0) {
        return pfj_send_db_failure(q, db);
    }
    if ((no = pfj_update_prepare(q->r->pool, q->body, q->conf, q->r->user,
                                 target, &d))
        != NULL) {
        return pfj_send_refusal(q, no);
    }
    if ((found = pfj_job_lookup_row(db, d)) == NULL) {
        return pfj_send_db_failure(q, db);
    }
    if ((no = pfj_draft_decide(d, found, plan)) != NULL) {
        return pfj_send_refusal(q, no);
    }
    return DECLINED;
}

/* Applies the update and recomputes the state after a range change, then
 * reads the job back: 0 with *job on it, else the database failed. */
static int apply_update(pfj_db *db, const pfj_job_plan *plan, pfj_rows *job)
{
    const char *args[1];
    pfj_rows rows;

    args[0] = json_object_to_json_string_ext(plan->plan,
                                             JSON_C_TO_STRING_PLAIN);
    if (pfj_db_select_row(db, "pfj_update_apply", 1, args, &rows) != 1
        || (plan->recompute_state && pfj_job_recompute(db, plan->job_id) != 0)
        || pfj_job_select(db, plan->job_id, NULL, job) != 1) {
        return -1;
    }
    return 0;
}

int pfj_jobs_update(pfj_req *q)
{
    const pfj_refusal *no;
    pfj_job_plan plan;
    pfj_db *db;
    int rc;

    if ((no = pfj_update_check_body(q->r->pool, q->body)) != NULL) {
        return pfj_send_refusal(q, no);
    }
    if ((db = pfj_req_db(q)) == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if (pfj_db_begin(db) != 0) {
        return pfj_send_db_failure(q, db);
    }
    if ((rc = fetch_and_decide(q, db, &plan)) != DECLINED) {
        pfj_db_rollback(db);
        return rc;
    }
    return pfj_job_store_and_answer(q, db, &plan, apply_update);
}
