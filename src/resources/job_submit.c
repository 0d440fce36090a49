/*
 * job_submit.c - POST /api/v1/jobs/: submit a job (doc/api.md §3, §9.1,
 * §9.5, §9.6).
 *
 * Fetch, decide, store and render: the body is checked in the reference's
 * order by the core (core/job_submit_rules.c); every lookup it needs
 * (jobtype version, software and versions, parents, users, queue path,
 * job group) is answered by one statement.  The job, its tasks (one
 * generate_series over the exact decimal frame range), its requirements,
 * dependencies, tags and notified users are then written by one statement
 * that also creates the users and tags that do not exist yet and returns
 * the answer, built from what it wrote (its RETURNING rows) rather than
 * read back.
 */
#include <httpd.h>
#include "resources/job_input.h"
#include "resources/job_submit.h"
#include "resources/jobs.h"
#include "core/job_submit_rules.h"
#include "core/job_columns.h"
#include "resources/job_object.h"

/* A job object's extras as the statement below has just written them. */
#define EXTRA_SUBMITTED(name, stored, submitted, render, schema) submitted

/* clang-format off */
const pfj_stmt pfj_job_submit_stmts[] = {
    /* The job and everything that hangs off it, from two JSON documents:
     * the jobs row (by column name) and the plan: {"start", "end", "by"
     * (decimal strings), "state", "user", "users": [names that must
     * exist], "email", "tags": [names], "all_tags": [names],
     * "software": [{"software_id", "min_version_id", "max_version_id"}],
     * "parents": [id], "tag_requirements": [{"tag", "negate"}],
     * "notified": [{"username", "on_success", "on_failure",
     * "on_deletion"}]}.  Returns the new job's object, as pfj_job_get
     * returns a stored one (job_object.h). */
    {"pfj_submit_insert",
     "WITH RECURSIVE " PFJ_QUEUE_PATHS_CTE ","
     " plan AS (SELECT %s::jsonb AS p),"
     " wanted_users AS (SELECT DISTINCT name"
     "   FROM plan, jsonb_array_elements_text(plan.p->'users') AS name),"
     " created_users AS ("
     "   INSERT INTO users (username, email, active)"
     /* the e-mail template as an InitPlan, read once: a plan joined to
      * each user would be copied whole for each (a CTE scan copies its
      * row), time proportional to users x plan size */
     "   SELECT w.name,"
     "          replace((SELECT plan.p->>'email' FROM plan), '{username}',"
     "                  w.name), true"
     "     FROM wanted_users w"
     "    WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.username = w.name)"
     "   ON CONFLICT (username) DO UPDATE SET username = EXCLUDED.username"
     "   RETURNING id, username, email),"
     " user_ids AS (SELECT id, username, email FROM created_users"
     "   UNION ALL SELECT u.id, u.username, u.email"
     "   FROM users u JOIN wanted_users w ON w.name = u.username),"
     PFJ_TAG_IDS_CTE
     " job AS ("
     "   INSERT INTO jobs (" PFJ_JOB_NAME_LIST ")"
     "   SELECT " PFJ_JOB_R_LIST
     "     FROM plan, json_populate_record(NULL::jobs, %s::json) given,"
     /* the row as given with what the module sets itself: the id unless
      * one is given, the times, the owner named by "user" */
     "     json_populate_record(given, json_build_object("
     "       'id', COALESCE(given.id,"
     "                      nextval(pg_get_serial_sequence('jobs', 'id'))),"
     "       'time_submitted', now() AT TIME ZONE 'utc',"
     "       'time_started', CASE WHEN plan.p->>'state' = 'running'"
     "                            THEN now() AT TIME ZONE 'utc' END,"
     "       'time_finished', NULL,"
     "       'user_id', (SELECT id FROM user_ids"
     "                    WHERE username = plan.p->>'user'))) r"
     "   RETURNING *),"
     " new_tasks AS ("
     PFJ_INSERT_TASKS("job.id", "job.priority", "job.num_tiles",
                  "generate_series((plan.p->>'start')::numeric,"
                  " (plan.p->>'end')::numeric, (plan.p->>'by')::numeric)")
     "   RETURNING frame),"
     " software_reqs AS ("
     "   INSERT INTO job_software_requirements"
     "     (software_id, job_id, min_version_id, max_version_id)"
     "   SELECT (e.r->>'software_id')::integer, job.id,"
     "     (e.r->>'min_version_id')::integer, (e.r->>'max_version_id')::integer"
     "     FROM job, plan, jsonb_array_elements(plan.p->'software')"
     "          WITH ORDINALITY AS e(r, n) ORDER BY e.n"
     "   RETURNING id, software_id, min_version_id, max_version_id),"
     " parent_links AS ("
     "   INSERT INTO job_dependencies (parentid, childid)"
     "   SELECT DISTINCT v::bigint, job.id"
     "     FROM job, plan, jsonb_array_elements_text(plan.p->'parents') AS v"
     "   RETURNING parentid),"
     " tag_links AS ("
     "   INSERT INTO job_tag_associations (job_id, tag_id)"
     "   SELECT DISTINCT job.id, t.id"
     "     FROM job, plan, jsonb_array_elements_text(plan.p->'tags') AS v"
     "     JOIN tag_ids t ON t.tag = v"
     "   RETURNING tag_id),"
     " tag_reqs AS ("
     "   INSERT INTO job_tag_requirements (tag_id, job_id, negate)"
     "   SELECT t.id, job.id, (e.r->>'negate')::boolean"
     "     FROM job, plan, jsonb_array_elements(plan.p->'tag_requirements')"
     "          WITH ORDINALITY AS e(r, n)"
     "     JOIN tag_ids t ON t.tag = e.r->>'tag' ORDER BY e.n"
     "   RETURNING id, tag_id, negate),"
     " notified AS ("
     "   INSERT INTO notified_users"
     "     (user_id, job_id, on_success, on_failure, on_deletion)"
     "   SELECT u.id, job.id, (e.r->>'on_success')::boolean,"
     "     (e.r->>'on_failure')::boolean, (e.r->>'on_deletion')::boolean"
     "     FROM job, plan, jsonb_array_elements(plan.p->'notified')"
     "          WITH ORDINALITY AS e(r, n)"
     "     JOIN user_ids u ON u.username = e.r->>'username' ORDER BY e.n"
     "   RETURNING user_id, on_success, on_failure, on_deletion)"
     "SELECT " PFJ_JOB_SHOWN_LIST PFJ_JOB_EXTRAS(EXTRA_SUBMITTED, ", ")
     PFJ_JOB_OBJECT_FROM("job")},
    {NULL, NULL}
};
/* clang-format on */

/* Writes the job: 0 with *job on its object, else the database failed. */
static int insert_job(pfj_db *db, const pfj_job_plan *plan, pfj_rows *job)
{
    const char *args[2];

    args[0] = json_object_to_json_string_ext(plan->plan,
                                             JSON_C_TO_STRING_PLAIN);
    args[1] = json_object_to_json_string_ext(plan->row,
                                             JSON_C_TO_STRING_PLAIN);
    return pfj_db_select_row(db, "pfj_submit_insert", 2, args, job) == 1 ? 0
                                                                         : -1;
}

/* The lookup and the decision on its row, in the transaction: DECLINED
 * with *plan set, or the answer that was sent. */
static int fetch_and_decide(pfj_req *q, pfj_db *db, pfj_job_draft *d,
                            pfj_job_plan *plan)
{
    const char *const *found = pfj_job_lookup_row(db, d);
    const pfj_refusal *no;

    if (found == NULL) {
        return pfj_send_db_failure(q, db);
    }
    if ((no = pfj_draft_decide(d, found, plan)) != NULL) {
        return pfj_send_refusal(q, no);
    }
    return DECLINED;
}

int pfj_jobs_submit(pfj_req *q)
{
    const pfj_refusal *no;
    pfj_job_draft *d;
    pfj_job_plan plan;
    pfj_db *db;
    int rc;

    if ((rc = pfj_req_validate(q, &pfj_job_model)) != DECLINED) {
        return rc;
    }
    if ((no = pfj_submit_prepare(q->r->pool, q->body, q->conf, q->r->user, &d))
        != NULL) {
        return pfj_send_refusal(q, no);
    }
    if ((db = pfj_req_db(q)) == NULL) {
        return pfj_send_db_failure(q, NULL);
    }
    if (pfj_db_begin(db) != 0) {
        return pfj_send_db_failure(q, db);
    }
    if ((rc = fetch_and_decide(q, db, d, &plan)) != DECLINED) {
        pfj_db_rollback(db);
        return rc;
    }
    return pfj_job_store_and_answer(q, db, &plan, insert_job);
}
