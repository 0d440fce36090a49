/*
 * job_input.c - the one statement that answers every lookup of a job
 * submission and a job update (doc/api.md §3, §6, §9.5, §9.6); the
 * checks of its answer are the core's (core/job_rules.c).
 */
#include <httpd.h>
#include "resources/job_input.h"
#include "resources/jobs.h"

/* clang-format off */
const pfj_stmt pfj_job_input_stmts[] = {
    /* Everything the checks of §3 and §6 look up, for one JSON document:
     * {"jobtype", "version", "software": [{"software", "min_version",
     * "max_version"}], "parents": [id], "user", "queue": [name],
     * "notified": [username], "group", "id", "user_id", "queue_id",
     * "job": the job an update changes}. */
    {"pfj_job_lookup",
     "WITH RECURSIVE input AS (SELECT %s::jsonb AS j),"
     /* the jobs that depend on the updated one, directly or not: none of
      * them can become its parent */
     " descendants(id) AS ("
     "  SELECT d.childid FROM job_dependencies d, input"
     "   WHERE d.parentid = (input.j->>'job')::bigint"
     "  UNION"
     "  SELECT d.childid FROM job_dependencies d JOIN descendants s"
     "    ON d.parentid = s.id),"
     " queue_walk(depth, id) AS ("
     "  SELECT 1, q.id FROM job_queues q, input"
     "   WHERE q.parent_jobqueue_id IS NULL AND q.name = input.j->'queue'->>0"
     "  UNION ALL"
     "  SELECT w.depth + 1, q.id FROM queue_walk w, input, job_queues q"
     "   WHERE q.parent_jobqueue_id = w.id"
     "     AND q.name = input.j->'queue'->>w.depth)"
     "SELECT"
     " (SELECT v.id FROM jobtype_versions v JOIN jobtypes t"
     "      ON t.id = v.jobtype_id"
     "   WHERE t.name = input.j->>'jobtype'"
     "     AND (input.j->>'version' IS NULL"
     "          OR v.version = (input.j->>'version')::integer)"
     "   ORDER BY v.version DESC LIMIT 1),"
     " (SELECT v.supports_tiling FROM jobtype_versions v JOIN jobtypes t"
     "      ON t.id = v.jobtype_id"
     "   WHERE t.name = input.j->>'jobtype'"
     "     AND (input.j->>'version' IS NULL"
     "          OR v.version = (input.j->>'version')::integer)"
     "   ORDER BY v.version DESC LIMIT 1),"
     " (SELECT json_agg(json_build_object('software_id', s.id,"
     "          'min_version_id', vmin.id, 'max_version_id', vmax.id)"
     "          ORDER BY e.n)"
     "    FROM jsonb_array_elements(input.j->'software')"
     "         WITH ORDINALITY AS e(r, n)"
     "    LEFT JOIN software s ON s.software = e.r->>'software'"
     "    LEFT JOIN software_versions vmin"
     "      ON vmin.software_id = s.id AND vmin.version = e.r->>'min_version'"
     "    LEFT JOIN software_versions vmax"
     "      ON vmax.software_id = s.id AND vmax.version = e.r->>'max_version'),"
     " (SELECT e.v FROM jsonb_array_elements_text(input.j->'parents')"
     "         WITH ORDINALITY AS e(v, n)"
     "   WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE id = e.v::bigint)"
     "   ORDER BY e.n LIMIT 1),"
     " (SELECT e.v FROM jsonb_array_elements_text(input.j->'parents')"
     "         WITH ORDINALITY AS e(v, n)"
     "   WHERE e.v::bigint = (input.j->>'job')::bigint"
     "      OR e.v::bigint IN (SELECT id FROM descendants)"
     "   ORDER BY e.n LIMIT 1),"
     " (SELECT id FROM users WHERE username = input.j->>'user'),"
     " (SELECT id FROM queue_walk"
     "   WHERE depth = jsonb_array_length(input.j->'queue') LIMIT 1),"
     " (SELECT e.v FROM jsonb_array_elements_text(input.j->'notified')"
     "         WITH ORDINALITY AS e(v, n)"
     "   WHERE NOT EXISTS (SELECT 1 FROM users WHERE username = e.v)"
     "   ORDER BY e.n LIMIT 1),"
     " EXISTS (SELECT 1 FROM job_groups"
     "          WHERE id = (input.j->>'group')::bigint),"
     " EXISTS (SELECT 1 FROM jobs WHERE id = (input.j->>'id')::bigint),"
     " (SELECT username FROM users"
     "   WHERE id = (input.j->>'user_id')::integer),"
     " EXISTS (SELECT 1 FROM job_queues"
     "          WHERE id = (input.j->>'queue_id')::bigint)"
     " FROM input"},
    {NULL, NULL}
};
/* clang-format on */

const char *const *pfj_job_lookup_row(pfj_db *db, const pfj_job_draft *d)
{
    const char *args[1];
    pfj_rows found;

    args[0] = json_object_to_json_string_ext(d->lookup,
                                             JSON_C_TO_STRING_PLAIN);
    if (pfj_db_select_row(db, "pfj_job_lookup", 1, args, &found) != 1) {
        return NULL;
    }
    return pfj_db_cols(&found, PFJ_LC_COUNT);
}

int pfj_job_store_and_answer(pfj_req *q, pfj_db *db, const pfj_job_plan *plan,
                             pfj_job_write write)
{
    int update = plan->job_id != NULL;
    pfj_rows job;
    int written = write(db, plan, &job) == 0;
    pfj_jw *w;

    /* ended either way: committed, or rolled back after a failed
     * statement */
    if (pfj_db_end(db) != 0 || !written) {
        return pfj_send_db_failure(q, db);
    }
    w = pfj_begin_json(q, update ? HTTP_OK : HTTP_CREATED);
    pfj_job_render(w, &job, plan->start_token, plan->end_token, update);
    return pfj_end_json(q, w);
}
