/*
 * job_input.h - what job submission (job_submit.c) and job update
 * (job_update.c) share on the database side: the lookup statement that
 * answers the checks of both (core/job_rules.h), the SQL both writing
 * statements use, and the answer after the write.
 */
#ifndef PFJ_RESOURCES_JOB_INPUT_H
#define PFJ_RESOURCES_JOB_INPUT_H

#include "http/request.h"
#include "core/job_rules.h"

/* Unknown tag names of plan.p->'all_tags' are created; tag_ids maps every
 * name to its id.  A tag created meanwhile by another request is found by
 * ON CONFLICT ... DO UPDATE, which returns its row. */
/* clang-format off */
#define PFJ_TAG_IDS_CTE \
    " wanted_tags AS (SELECT DISTINCT name" \
    "   FROM plan, jsonb_array_elements_text(plan.p->'all_tags') AS name)," \
    " created_tags AS (" \
    "   INSERT INTO tags (tag) SELECT w.name FROM wanted_tags w" \
    "    WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.tag = w.name)" \
    "   ON CONFLICT (tag) DO UPDATE SET tag = EXCLUDED.tag" \
    "   RETURNING id, tag)," \
    " tag_ids AS (SELECT id, tag FROM created_tags" \
    "   UNION ALL SELECT t.id, t.tag" \
    "   FROM tags t JOIN wanted_tags w ON w.name = t.tag),"

/* §9.1 step 4: the tasks of new frames (a set of numerics), one per frame
 * or num_tiles per frame, with the job's priority and the defaults the
 * database does not have. */
#define PFJ_INSERT_TASKS(job_id, priority, num_tiles, frames) \
    "   INSERT INTO tasks (state, priority, time_submitted, job_id, hidden," \
    "     attempts, failures, frame, tile, sent_to_agent, progress)" \
    "   SELECT NULL, " priority ", now() AT TIME ZONE 'utc', " job_id "," \
    "     false, 0, 0, f.frame, tl.tile, false, 0.0" \
    "     FROM job, plan, " frames " AS f(frame)," \
    "     LATERAL (SELECT generate_series(0, " num_tiles " - 1)" \
    "               WHERE " num_tiles " > 0" \
    "              UNION ALL SELECT NULL" \
    "               WHERE COALESCE(" num_tiles ", 0) = 0) AS tl(tile)"
/* clang-format on */

extern const pfj_stmt pfj_job_input_stmts[];

/* The writing statements of a job's submission or update: 0 with *job on
 * the job read back after them (pfj_job_select), else the database
 * failed. */
typedef int (*pfj_job_write)(pfj_db *db, const pfj_job_plan *plan,
                             pfj_rows *job);

/* Writes the plan with write and ends the request's transaction, then
 * answers with the job: 201 and the whole object after a submission, 200
 * without notified_users after an update (plan->job_id set; §3, §6); the
 * database failure when the write or the commit failed. */
int pfj_job_store_and_answer(pfj_req *q, pfj_db *db, const pfj_job_plan *plan,
                             pfj_job_write write);

/* Runs pfj_job_lookup on the draft's lookup input: its row, by
 * pfj_lookup_column, or NULL when the database failed. */
const char *const *pfj_job_lookup_row(pfj_db *db, const pfj_job_draft *d);

#endif
