-- =============================================================================
-- pgbench script: the database work of GET /api/v1/jobs/<id> (case 1)
-- =============================================================================
--
-- The module answers this request with one prepared statement, pfj_job_get
-- (src/resources/jobs.c, pfj_jobs_stmts), outside any transaction.  Below is its SQL
-- text as the module prepares it; apr_dbd's placeholders are pgbench
-- variables, in order:
--     $1 bigint   :job     the job id of the URL
--     $2 varchar  :title   the title when the URL names a job by title; the
--                          module sends NULL for an id, pgbench cannot send
--                          NULL: any value does, COALESCE never reads it
-- bench/run.py checks at every run that this text is still the module's
-- (whitespace aside) and runs it as
--     pgbench -n -M prepared -c 16 -j 2 -f bench/sql/job_get.sql \
--             -D job=<id> -D title=- ...
--
-- The statement below must stay the module's: do not edit it by hand, copy
-- it again from src/resources/jobs.c (bench/run.py prints the difference when they
-- drift apart).

-- pfj_job_get
WITH RECURSIVE queue_paths(id, path) AS (
 SELECT id, COALESCE(fullpath, '/' || name)::text
 FROM job_queues
 WHERE parent_jobqueue_id IS NULL
 UNION ALL SELECT q.id, COALESCE(q.fullpath, p.path || '/' || q.name)::text
 FROM job_queues q JOIN queue_paths p ON q.parent_jobqueue_id = p.id)
 SELECT j.id, j.state, j.priority, j.time_submitted, j.time_started, j.time_finished, j.job_group_id, j.minimum_agents, j.maximum_agents, j.weight, j.title, j.notes, j.output_link, j.by, j.num_tiles, j.batch, j.requeue, j.cpus, j.ram, j.ram_warning, j.ram_max, j.hidden, j.environ, j.data, j.to_be_deleted, j.completion_notify_sent, j.autodelete_time, jt.name, jv.version, u.username, (SELECT path
 FROM queue_paths
 WHERE id = j.job_queue_id), g.title, (SELECT frame
 FROM tasks
 WHERE job_id = j.id ORDER BY frame LIMIT 1), (SELECT frame
 FROM tasks
 WHERE job_id = j.id ORDER BY frame DESC LIMIT 1), EXISTS (SELECT 1
 FROM tasks
 WHERE job_id = j.id AND agent_id IS NOT NULL), (SELECT json_agg(t.tag ORDER BY t.id)
 FROM job_tag_associations a JOIN tags t ON t.id = a.tag_id
 WHERE a.job_id = j.id), (SELECT json_agg(json_build_object( 'software_id', r.software_id, 'software', s.software, 'min_version_id', r.min_version_id, 'min_version', vmin.version, 'max_version_id', r.max_version_id, 'max_version', vmax.version) ORDER BY r.id)
 FROM job_software_requirements r JOIN software s ON s.id = r.software_id LEFT JOIN software_versions vmin ON vmin.id = r.min_version_id LEFT JOIN software_versions vmax ON vmax.id = r.max_version_id
 WHERE r.job_id = j.id), (SELECT json_agg(json_build_object('tag', t.tag, 'negate', r.negate) ORDER BY r.id)
 FROM job_tag_requirements r JOIN tags t ON t.id = r.tag_id
 WHERE r.job_id = j.id), (SELECT json_agg(json_build_object('id', o.id, 'title', o.title) ORDER BY o.id)
 FROM job_dependencies d JOIN jobs o ON o.id = d.parentid
 WHERE d.childid = j.id), (SELECT json_agg(json_build_object('id', o.id, 'title', o.title) ORDER BY o.id)
 FROM job_dependencies d JOIN jobs o ON o.id = d.childid
 WHERE d.parentid = j.id), (SELECT json_agg(json_build_object('id', nu.id, 'username', nu.username, 'email', nu.email, 'on_success', n.on_success, 'on_failure', n.on_failure, 'on_deletion', n.on_deletion) ORDER BY nu.id)
 FROM notified_users n JOIN users nu ON nu.id = n.user_id
 WHERE n.job_id = j.id)
 FROM jobs j JOIN jobtype_versions jv ON jv.id = j.jobtype_version_id JOIN jobtypes jt ON jt.id = jv.jobtype_id LEFT JOIN users u ON u.id = j.user_id LEFT JOIN job_groups g ON g.id = j.job_group_id
 WHERE j.id = COALESCE(:job, (SELECT id
 FROM jobs
 WHERE title = :title ORDER BY id LIMIT 1));
