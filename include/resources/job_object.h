/*
 * job_object.h - the SQL of a job object (doc/api.md §0.8): what it shows
 * beyond the job's own columns (core/job_columns.h), read two ways.
 *
 * "stored": from the tables, for a job that exists (pfj_job_get, jobs.c).
 * "submitted": from the rows a submission's own statement has just
 * written (job_submit.c), which that statement cannot read back from the
 * tables (a data-modifying CTE's rows are not visible to the rest of its
 * statement): the names there are that statement's CTEs - job (RETURNING
 * *), new_tasks (frame), software_reqs (id, software_id, min_version_id,
 * max_version_id), tag_links (tag_id), tag_ids (id, tag), tag_reqs (id,
 * tag_id, negate), parent_links (parentid), notified (user_id,
 * on_success, on_failure, on_deletion), user_ids (id, username, email).
 * Both read rows j from PFJ_JOB_OBJECT_FROM and need PFJ_QUEUE_PATHS_CTE
 * in their WITH RECURSIVE.
 */
#ifndef PFJ_RESOURCES_JOB_OBJECT_H
#define PFJ_RESOURCES_JOB_OBJECT_H

/* clang-format off */

/* queue_paths(id, path): the path of every job queue, its cached fullpath
 * or else its parent's path and its own name (§9.6); a recursive CTE. */
#define PFJ_QUEUE_PATHS_CTE \
    "queue_paths(id, path) AS (" \
    " SELECT id, COALESCE(fullpath, '/' || name)::text FROM job_queues" \
    "  WHERE parent_jobqueue_id IS NULL" \
    " UNION ALL" \
    " SELECT q.id, COALESCE(q.fullpath, p.path || '/' || q.name)::text" \
    "  FROM job_queues q JOIN queue_paths p ON q.parent_jobqueue_id = p.id)"

/* The job rows j (jobs, or the submission's job CTE) with what the object
 * names of their jobtype, owner and group. */
#define PFJ_JOB_OBJECT_FROM(rows) \
    " FROM " rows " j" \
    " JOIN jobtype_versions jv ON jv.id = j.jobtype_version_id" \
    " JOIN jobtypes jt ON jt.id = jv.jobtype_id" \
    " LEFT JOIN users u ON u.id = j.user_id" \
    " LEFT JOIN job_groups g ON g.id = j.job_group_id"

/* The object's lists, from the rows `from` names (with their WHERE), or
 * from the rows named `rows` and the WHERE `where`. */
#define PFJ_TAGS_SQL(from) \
    "(SELECT json_agg(t.tag ORDER BY t.id) FROM " from ")"
#define PFJ_SOFTWARE_REQS_SQL(rows, where) \
    "(SELECT json_agg(json_build_object(" \
    "         'software_id', r.software_id, 'software', s.software," \
    "         'min_version_id', r.min_version_id," \
    "         'min_version', vmin.version," \
    "         'max_version_id', r.max_version_id," \
    "         'max_version', vmax.version) ORDER BY r.id)" \
    "   FROM " rows " r" \
    "   JOIN software s ON s.id = r.software_id" \
    "   LEFT JOIN software_versions vmin ON vmin.id = r.min_version_id" \
    "   LEFT JOIN software_versions vmax ON vmax.id = r.max_version_id" \
    where ")"
#define PFJ_TAG_REQS_SQL(from) \
    "(SELECT json_agg(json_build_object('tag', t.tag, 'negate', r.negate)" \
    "                 ORDER BY r.id) FROM " from ")"
/* The jobs at the other end of dependencies d: a job's parents are the
 * parentid of the rows whose childid it is, its children the other way
 * round. */
#define PFJ_LINKED_JOBS_SQL(other_end, rows, where) \
    "(SELECT json_agg(json_build_object('id', o.id, 'title', o.title)" \
    "                 ORDER BY o.id)" \
    "   FROM " rows " d JOIN jobs o ON o.id = d." other_end where ")"
#define PFJ_NOTIFIED_SQL(from) \
    "(SELECT json_agg(json_build_object('id', nu.id," \
    "         'username', nu.username, 'email', nu.email," \
    "         'on_success', n.on_success, 'on_failure', n.on_failure," \
    "         'on_deletion', n.on_deletion) ORDER BY nu.id) FROM " from ")"

/* X(name, stored, submitted, render, schema), in the order they follow
 * the shown columns: render is the §0.6 kind, or FRAME and FLAG for
 * columns the renderer reads itself; schema the type GET /jobs/schema
 * names ("" when it lists none).  Stored, the first and last frame and
 * "assigned" read one index entry each, not every task of the job; a
 * submitted job's new tasks have no agent. */
#define PFJ_JOB_EXTRAS(X, S) \
    X(jobtype, "jt.name", "jt.name", TEXT, "VARCHAR(64)") S \
    X(jobtype_version, "jv.version", "jv.version", INT, "INTEGER") S \
    X(user, "u.username", \
      "(SELECT username FROM user_ids WHERE id = j.user_id LIMIT 1)", \
      TEXT, "VARCHAR(255)") S \
    X(jobqueue, "(SELECT path FROM queue_paths WHERE id = j.job_queue_id)", \
      "(SELECT path FROM queue_paths WHERE id = j.job_queue_id)", \
      TEXT, "VARCHAR(255)") S \
    X(jobgroup, "g.title", "g.title", TEXT, "") S \
    X(first_frame, "(SELECT frame FROM tasks WHERE job_id = j.id" \
                   " ORDER BY frame LIMIT 1)", \
      "(SELECT min(frame) FROM new_tasks)", FRAME, "") S \
    X(last_frame, "(SELECT frame FROM tasks WHERE job_id = j.id" \
                  " ORDER BY frame DESC LIMIT 1)", \
      "(SELECT max(frame) FROM new_tasks)", FRAME, "") S \
    X(assigned, "EXISTS (SELECT 1 FROM tasks WHERE job_id = j.id" \
                "         AND agent_id IS NOT NULL)", \
      "false", FLAG, "") S \
    X(tags, \
      PFJ_TAGS_SQL("job_tag_associations a JOIN tags t ON t.id = a.tag_id" \
                   " WHERE a.job_id = j.id"), \
      PFJ_TAGS_SQL("tag_links a JOIN tag_ids t ON t.id = a.tag_id"), \
      JSON_LIST, "") S \
    X(software_requirements, \
      PFJ_SOFTWARE_REQS_SQL("job_software_requirements", \
                            " WHERE r.job_id = j.id"), \
      PFJ_SOFTWARE_REQS_SQL("software_reqs", ""), JSON_LIST, "") S \
    X(tag_requirements, \
      PFJ_TAG_REQS_SQL("job_tag_requirements r JOIN tags t" \
                       " ON t.id = r.tag_id WHERE r.job_id = j.id"), \
      PFJ_TAG_REQS_SQL("tag_reqs r JOIN tag_ids t ON t.id = r.tag_id"), \
      JSON_LIST, "") S \
    X(parents, \
      PFJ_LINKED_JOBS_SQL("parentid", "job_dependencies", \
                          " WHERE d.childid = j.id"), \
      PFJ_LINKED_JOBS_SQL("parentid", "parent_links", ""), JSON_LIST, "") S \
    X(children, \
      PFJ_LINKED_JOBS_SQL("childid", "job_dependencies", \
                          " WHERE d.parentid = j.id"), \
      "NULL::json", JSON_LIST, "") S \
    X(notified_users, \
      PFJ_NOTIFIED_SQL("notified_users n JOIN users nu ON nu.id = n.user_id" \
                       " WHERE n.job_id = j.id"), \
      PFJ_NOTIFIED_SQL("notified n JOIN user_ids nu ON nu.id = n.user_id"), \
      NOTIFIED, "")

/* clang-format on */

#endif
