-- =============================================================================
-- mod_pyfarm_jobs -- the scale benchmark's large database (bench/scale.py)
-- =============================================================================
--
-- Run after bench/sql/data.sql, with the psql variable `jobs` set:
--
--     psql -v jobs=10000 -f bench/sql/grow.sql ...
--
--   :jobs jobs        "scale job 00001".."scale job <jobs>", made like
--                     data.sql's jobs (Blender v1, owner alice, queue
--                     /render, tag workstation, requires blender >= 2.79)
--   100 tasks each    frames 1..100, queued, no agent
--
-- One transaction, one set-based statement per table (generate_series),
-- tasks in (job, frame) order like data.sql's; then ANALYZE, so that the
-- planner knows the new sizes before the first request.  The benchmark's
-- 1,000,000-frame job is not made here: bench/scale.py submits it through
-- the API.
-- =============================================================================

BEGIN;

INSERT INTO jobs
    (title, jobtype_version_id, user_id, job_queue_id,
     state, priority, weight, notes, by, batch, requeue, cpus, ram,
     hidden, to_be_deleted, completion_notify_sent, data, time_submitted)
SELECT format('scale job %s', lpad(n::text, 5, '0')),
       (SELECT v.id FROM jobtype_versions v
          JOIN jobtypes t ON t.id = v.jobtype_id
         WHERE t.name = 'Blender' AND v.version = 1),
       (SELECT id FROM users WHERE username = 'alice'),
       (SELECT id FROM job_queues
         WHERE parent_jobqueue_id IS NULL AND name = 'render'),
       NULL, 0, 10, '', 1, 1, 3, 1, 32,
       false, false, false, format('{"scene": "scale%s.blend"}', n),
       now() AT TIME ZONE 'utc'
  FROM generate_series(1, :jobs) AS n
 ORDER BY n;

INSERT INTO tasks
    (job_id, frame, tile, state, priority, attempts, failures, progress,
     hidden, sent_to_agent, time_submitted)
SELECT j.id, f, NULL, NULL, j.priority, 0, 0, 0.0,
       false, false, now() AT TIME ZONE 'utc'
  FROM jobs j, generate_series(1, 100) AS f
 WHERE j.title LIKE 'scale job %'
 ORDER BY j.id, f;

INSERT INTO job_tag_associations (job_id, tag_id)
SELECT j.id, (SELECT id FROM tags WHERE tag = 'workstation')
  FROM jobs j WHERE j.title LIKE 'scale job %';

INSERT INTO job_software_requirements
    (software_id, job_id, min_version_id, max_version_id)
SELECT s.id, j.id, sv.id, NULL
  FROM jobs j, software s
  JOIN software_versions sv ON sv.software_id = s.id AND sv.version = '2.79'
 WHERE s.software = 'blender' AND j.title LIKE 'scale job %';

COMMIT;

ANALYZE;
