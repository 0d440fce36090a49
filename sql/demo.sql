-- =============================================================================
-- mod_pyfarm_jobs -- demo data
-- =============================================================================
--
-- A little data to try every endpoint with.  Load it into a FRESH database
-- after sql/schema.sql and sql/indexes.sql:
--
--   psql -v ON_ERROR_STOP=1 -d DB -f sql/demo.sql
--
-- What you get (ids as in a fresh database):
--   jobtype   "Blender"      versions 1 (no tiling) and 2 (supports_tiling)
--   software  "blender"      versions "2.79" (rank 1), "2.80" (rank 2, default)
--             "ffmpeg"       version  "4.1"  (rank 1)
--   user      "alice"        alice@example.com
--   agent     6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35, render01, 127.0.0.1:50000
--   tag       "workstation"
--   queues    /render (top level) and /render/hi
--   job 1     "Demo shot 010"  Blender v1, frames 1..10 (tasks 1..10),
--             owner alice, queue /render, tag workstation,
--             requires blender >= 2.79, data {"scene": "shot010.blend"}
--   job 2     "Demo shot 020"  Blender v2, frames 1..4 (tasks 11..14), no owner
--
-- Try e.g.
--   curl -s http://localhost/api/v1/jobs/
--   curl -s http://localhost/api/v1/jobs/1
--   curl -s "http://localhost/api/v1/jobs/Demo%20shot%20020/tasks/"
--   curl -s "http://localhost/api/v1/jobs/?user=alice&jobqueue=/render"
--   curl -s -X POST -H 'Content-Type: application/json' \
--        -d '{"id": "6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35"}' \
--        http://localhost/api/v1/jobs/1/tasks/1/failed_on_agents/
--
-- Rules this file follows (the same the module follows):
--   * the database has no column defaults, so every application default of
--     schema.md §3 is written explicitly;
--   * serial ids are never hard-coded: they come from the sequences, and rows
--     are found by their unique names (or via RETURNING);
--   * timestamps are naive UTC: now() at time zone 'utc';
--   * JSON text is written the way Python's json.dumps writes it.
--
-- Everything is one transaction; loading it twice fails on the first
-- duplicate name (jobtypes.name is unique) and changes nothing.
-- =============================================================================

BEGIN;

-- ---------------------------------------------------------------------------
-- Jobtype "Blender", versions 1 and 2
-- ---------------------------------------------------------------------------

INSERT INTO jobtypes (name, description)
VALUES ('Blender', 'Renders frames of a Blender scene (demo jobtype).');

INSERT INTO jobtype_versions
    (jobtype_id, version, max_batch, batch_contiguous,
     no_automatic_start_time, supports_tiling, classname, code)
VALUES
    ((SELECT id FROM jobtypes WHERE name = 'Blender'), 1, 1, true,
     false, false, 'Blender', 'pass'),
    ((SELECT id FROM jobtypes WHERE name = 'Blender'), 2, 1, true,
     false, true,  'Blender', 'pass');

-- ---------------------------------------------------------------------------
-- Software and versions
-- ---------------------------------------------------------------------------

INSERT INTO software (software) VALUES ('blender'), ('ffmpeg');

INSERT INTO software_versions
    (software_id, version, rank, "default", discovery_code, discovery_function_name)
VALUES
    ((SELECT id FROM software WHERE software = 'blender'), '2.79', 1, false, NULL, NULL),
    ((SELECT id FROM software WHERE software = 'blender'), '2.80', 2, true,  NULL, NULL),
    ((SELECT id FROM software WHERE software = 'ffmpeg'),  '4.1',  1, false, NULL, NULL);

-- ---------------------------------------------------------------------------
-- User, agent, tag
-- ---------------------------------------------------------------------------

INSERT INTO users (username, email, active)
VALUES ('alice', 'alice@example.com', true);

-- remote_ip 2130706433 = 127.0.0.1 (127*2^24 + 1); use_address 311 = remote;
-- state 202 = online.
INSERT INTO agents
    (id, hostname, notes, remote_ip, use_address, ram, free_ram, cpus, port,
     time_offset, restart_requested, state, last_heard_from,
     ram_allocation, cpu_allocation)
VALUES
    ('6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35', 'render01', '', 2130706433, 311,
     16384, 8192, 8, 50000,
     0, false, 202, now() at time zone 'utc',
     0.8, 1.0);

INSERT INTO tags (tag) VALUES ('workstation');

-- ---------------------------------------------------------------------------
-- Job queues /render and /render/hi
-- ---------------------------------------------------------------------------

INSERT INTO job_queues (parent_jobqueue_id, name, priority, weight, fullpath)
VALUES (NULL, 'render', 0, 10, '/render');

INSERT INTO job_queues (parent_jobqueue_id, name, priority, weight, fullpath)
VALUES ((SELECT id FROM job_queues
          WHERE parent_jobqueue_id IS NULL AND name = 'render'),
        'hi', 0, 10, '/render/hi');

-- ---------------------------------------------------------------------------
-- Job 1: "Demo shot 010"
-- One statement, like one job submission: the job row, then (from its
-- RETURNING id) its tasks and link rows.  Job titles are not unique, so the
-- new job is referenced through RETURNING rather than looked up by title.
-- ---------------------------------------------------------------------------

WITH job AS (
    INSERT INTO jobs
        (title, jobtype_version_id, user_id, job_queue_id,
         state, priority, weight, notes, by, batch, requeue, cpus, ram,
         hidden, to_be_deleted, completion_notify_sent, data,
         time_submitted)
    VALUES
        ('Demo shot 010',
         (SELECT v.id FROM jobtype_versions v
            JOIN jobtypes t ON t.id = v.jobtype_id
           WHERE t.name = 'Blender' AND v.version = 1),
         (SELECT id FROM users WHERE username = 'alice'),
         (SELECT id FROM job_queues
           WHERE parent_jobqueue_id IS NULL AND name = 'render'),
         NULL, 0, 10, '', 1, 1, 3, 1, 32,
         false, false, false, '{"scene": "shot010.blend"}',
         now() at time zone 'utc')
    RETURNING id, priority
),
new_tasks AS (
    -- frames 1..10 by 1; task priority = job priority
    INSERT INTO tasks
        (job_id, frame, tile, state, priority, attempts, failures, progress,
         hidden, sent_to_agent, time_submitted)
    SELECT job.id, f, NULL, NULL, job.priority, 0, 0, 0.0,
           false, false, now() at time zone 'utc'
      FROM job, generate_series(1, 10) AS f
     ORDER BY f
),
new_tags AS (
    INSERT INTO job_tag_associations (job_id, tag_id)
    SELECT job.id, (SELECT id FROM tags WHERE tag = 'workstation')
      FROM job
)
-- software requirement: blender, min_version 2.79, no max_version
INSERT INTO job_software_requirements
    (software_id, job_id, min_version_id, max_version_id)
SELECT s.id, job.id, sv.id, NULL
  FROM job, software s
  JOIN software_versions sv ON sv.software_id = s.id AND sv.version = '2.79'
 WHERE s.software = 'blender';

-- ---------------------------------------------------------------------------
-- Job 2: "Demo shot 020" (no owner, no queue)
-- ---------------------------------------------------------------------------

WITH job AS (
    INSERT INTO jobs
        (title, jobtype_version_id, user_id, job_queue_id,
         state, priority, weight, notes, by, batch, requeue, cpus, ram,
         hidden, to_be_deleted, completion_notify_sent, data,
         time_submitted)
    VALUES
        ('Demo shot 020',
         (SELECT v.id FROM jobtype_versions v
            JOIN jobtypes t ON t.id = v.jobtype_id
           WHERE t.name = 'Blender' AND v.version = 2),
         NULL,
         NULL,
         NULL, 0, 10, '', 1, 1, 3, 1, 32,
         false, false, false, NULL,
         now() at time zone 'utc')
    RETURNING id, priority
)
-- frames 1..4 by 1; task priority = job priority
INSERT INTO tasks
    (job_id, frame, tile, state, priority, attempts, failures, progress,
     hidden, sent_to_agent, time_submitted)
SELECT job.id, f, NULL, NULL, job.priority, 0, 0, 0.0,
       false, false, now() at time zone 'utc'
  FROM job, generate_series(1, 4) AS f
 ORDER BY f;

-- ---------------------------------------------------------------------------
-- Optional, NOT executed: assign task 1 of job 1 to the demo agent, to try
-- what needs an assigned task (state "failed" -> failed_tasks_in_agents and
-- requeue, the agent-ownership check with User-Agent "PyFarm/1.0 (agent)"
-- from 127.0.0.1).  Run by hand if wanted:
--
--   UPDATE tasks SET agent_id = '6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35',
--                    attempts = attempts + 1
--    WHERE job_id = 1 AND frame = 1;
-- ---------------------------------------------------------------------------

COMMIT;
