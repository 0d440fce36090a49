-- =============================================================================
-- mod_pyfarm_jobs -- benchmark data (bench/run.py loads it after sql/demo.sql)
-- =============================================================================
--
--   8 agents          "bench-agent-1".."bench-agent-8", online, all at
--                     127.0.0.1 (remote_ip 2130706433), so that task updates
--                     sent with the agent's User-Agent pass the ownership
--                     check from loopback
--   1,000 jobs        "bench job 0001".."bench job 1000", Blender v1, owner
--                     alice, queue /render, tag workstation, requires
--                     blender >= 2.79 (like the demo's job 1)
--   job 0001          100 tasks, frames 1..100, each assigned to an agent
--                     (case 4a: state changes of one job)
--   jobs 0002..1000   10 tasks each, frames 1..10; the frame-1 task of jobs
--                     0002..0101 is assigned to an agent (case 4b: state
--                     changes spread across 100 jobs)
--
-- Ids come from the sequences (never hard-coded); bench/run.py finds its
-- jobs and tasks by title and frame.  One transaction, one statement per
-- table, set-based with generate_series.
-- =============================================================================

BEGIN;

INSERT INTO agents
    (id, hostname, notes, remote_ip, use_address, ram, free_ram, cpus, port,
     time_offset, restart_requested, state, last_heard_from,
     ram_allocation, cpu_allocation)
SELECT md5('bench agent ' || n)::uuid, 'bench-agent-' || n, '', 2130706433,
       311, 16384, 8192, 8, 50000 + n, 0, false, 202,
       now() AT TIME ZONE 'utc', 0.8, 1.0
  FROM generate_series(1, 8) AS n;

INSERT INTO jobs
    (title, jobtype_version_id, user_id, job_queue_id,
     state, priority, weight, notes, by, batch, requeue, cpus, ram,
     hidden, to_be_deleted, completion_notify_sent, data, time_submitted)
SELECT format('bench job %s', lpad(n::text, 4, '0')),
       (SELECT v.id FROM jobtype_versions v
          JOIN jobtypes t ON t.id = v.jobtype_id
         WHERE t.name = 'Blender' AND v.version = 1),
       (SELECT id FROM users WHERE username = 'alice'),
       (SELECT id FROM job_queues
         WHERE parent_jobqueue_id IS NULL AND name = 'render'),
       NULL, 0, 10, '', 1, 1, 3, 1, 32,
       false, false, false, format('{"scene": "bench%s.blend"}', n),
       now() AT TIME ZONE 'utc'
  FROM generate_series(1, 1000) AS n
 ORDER BY n;

-- Tasks in (job, frame) order, so that the ids of one job are consecutive.
INSERT INTO tasks
    (job_id, frame, tile, state, priority, attempts, failures, progress,
     hidden, sent_to_agent, time_submitted)
SELECT j.id, f, NULL, NULL, j.priority, 0, 0, 0.0,
       false, false, now() AT TIME ZONE 'utc'
  FROM jobs j,
       generate_series(1, CASE WHEN j.title = 'bench job 0001'
                               THEN 100 ELSE 10 END) AS f
 WHERE j.title LIKE 'bench job %'
 ORDER BY j.id, f;

-- The tasks the state-change cases update are assigned to the agents,
-- round robin, as a scheduler would have done.
WITH assigned AS (
    SELECT t.id, row_number() OVER (ORDER BY t.id) AS n
      FROM tasks t JOIN jobs j ON j.id = t.job_id
     WHERE j.title = 'bench job 0001'
        OR (j.title BETWEEN 'bench job 0002' AND 'bench job 0101'
            AND t.frame = 1)
)
UPDATE tasks t
   SET agent_id = md5('bench agent ' || (1 + a.n % 8))::uuid,
       attempts = 1, sent_to_agent = true
  FROM assigned a
 WHERE t.id = a.id;

INSERT INTO job_tag_associations (job_id, tag_id)
SELECT j.id, (SELECT id FROM tags WHERE tag = 'workstation')
  FROM jobs j WHERE j.title LIKE 'bench job %';

INSERT INTO job_software_requirements
    (software_id, job_id, min_version_id, max_version_id)
SELECT s.id, j.id, sv.id, NULL
  FROM jobs j, software s
  JOIN software_versions sv ON sv.software_id = s.id AND sv.version = '2.79'
 WHERE s.software = 'blender' AND j.title LIKE 'bench job %';

COMMIT;

VACUUM ANALYZE;
