-- =============================================================================
-- Indexes for mod_pyfarm_jobs
-- =============================================================================
--
-- pyfarm-master creates no indexes beyond those implied by its PRIMARY KEY
-- and UNIQUE constraints (schema.md §0).  The statements below add the ones
-- mod_pyfarm_jobs' queries need.  They are purely additive:
--
--   * only CREATE INDEX IF NOT EXISTS (and DROP INDEX IF EXISTS of a pfj_
--     index an earlier version made and a new one supersedes): idempotent,
--     may be run any number of times, on a fresh database (after
--     sql/schema.sql), on a database that pyfarm-master created, or on one
--     an earlier version of this file indexed;
--   * every name starts with pfj_ so they are easy to tell apart from
--     pyfarm's own objects (and to drop: DROP INDEX pfj_...);
--   * pyfarm-master itself is unaffected by them.
--
-- Notes
--   * IF NOT EXISTS compares the NAME only.  If you change a definition here,
--     rename the index (or drop the old one first).
--   * Plain CREATE INDEX blocks writes to the table while it builds.  On a
--     large, busy production database you may prefer to run each statement
--     by hand as CREATE INDEX CONCURRENTLY IF NOT EXISTS ... (outside a
--     transaction; drop and retry if it leaves an INVALID index).
--   * Lookups already served by a PRIMARY KEY / UNIQUE constraint's leading
--     column(s) get no extra index, e.g. job_tag_associations(job_id),
--     job_dependencies(parentid), task_log_associations(task_log_id),
--     job_queues(parent_jobqueue_id, name), users(username),
--     tags(tag), software(software), task_logs(identifier),
--     jobtypes(name), jobtype_versions(jobtype_id, version),
--     software_versions(software_id, version).
--   * Deliberately NOT indexed:
--       - job_tag_associations(tag_id): the jobs API never looks jobs up by
--         tag and never deletes tags; the per-job lookups use the PK.
--       - jobs.title for the jobs index's `title ILIKE '%v%'` filter: a btree
--         cannot serve a leading-wildcard ILIKE; that would need pg_trgm,
--         which is an extension and so deliberately left out.
--       - job_queues(fullpath): the jobqueue filter compares fullpath, but
--         the queue table is tiny, and a btree on VARCHAR(1024) could reject
--         long multi-byte paths (index row size limit).
-- =============================================================================

BEGIN;

-- ---------------------------------------------------------------------------
-- tasks
-- ---------------------------------------------------------------------------

-- Every per-job task query:
--   GET  /jobs/<job>/tasks/            (tasks of a job ORDER BY frame, id,
--                                       page by page from a cursor)
--   GET  /jobs/<job>, POST /jobs/      (start/end = min/max frame of the job)
--   POST /jobs/, POST /jobs/<job>      (frame range -> tasks: existing frames, §9.1)
--   POST /jobs/<job>/tasks/<id>        (job state recomputation counts, §9.2)
--   DELETE /jobs/<job>                 (tasks of the job, §9.4; FK check
--                                       tasks.job_id when the job row goes)
-- With id, the index is in the lists' own order, (frame, id): a page is an
-- ordered scan from the cursor whatever PostgreSQL believes of the job's
-- size (a job submitted since the last ANALYZE looks empty, and an index
-- on (job_id, frame) alone was then passed over for a sort of every task
-- after the cursor).
CREATE INDEX IF NOT EXISTS pfj_tasks_job_frame_id_idx
    ON tasks (job_id, frame, id);
-- Its predecessor on (job_id, frame), from earlier versions: superseded.
DROP INDEX IF EXISTS pfj_tasks_job_frame_idx;

-- The task list filtered by state, page by page (doc/api.md §8):
--   GET  /jobs/<job>/tasks/?state=...  one ordered range scan per state
--                                      asked for, from the ?after= cursor
--                                      on, merged by (frame, id): a page
--                                      costs the same deep in a job of a
--                                      million tasks as on its first page.
-- COALESCE(state, 0) rather than state: an equality on it (0 for queued,
-- stored NULL) is what tells PostgreSQL that a state's rows come in
-- (frame, id) order; "state IS NULL" would not.
-- Its write cost: a task's state change is no longer a HOT update (the
-- index holds the state), so every index of tasks gets a new entry for it.
-- (Any index that mentions state, also in a partial index's WHERE, does
-- that.)  Unfiltered lists use pfj_tasks_job_frame_idx.
CREATE INDEX IF NOT EXISTS pfj_tasks_job_state_frame_idx
    ON tasks (job_id, (COALESCE(state, 0)), frame, id);

-- Tasks assigned to an agent (most rows have agent_id NULL, hence partial):
--   POST /jobs/<job>/tasks/<id>        (state change: does the previous agent
--                                       still have queued/running tasks, §10.3)
--   also the FK check tasks.agent_id when pyfarm-master deletes an agent.
CREATE INDEX IF NOT EXISTS pfj_tasks_agent_id_idx
    ON tasks (agent_id)
    WHERE agent_id IS NOT NULL;

-- ---------------------------------------------------------------------------
-- failed_tasks_in_agents  (PK is (agent_id, task_id): task_id is not leading)
-- ---------------------------------------------------------------------------

--   GET/POST/DELETE /jobs/<job_id>/tasks/<task_id>/failed_on_agents/...
--   POST /jobs/<job>/tasks/<id>        ("failed_in_agents": [] empties it)
--   task deletion (§9.3: POST /jobs/<job> with a narrower range,
--                  DELETE /jobs/<job>) and the FK check on tasks.id
CREATE INDEX IF NOT EXISTS pfj_failed_tasks_in_agents_task_id_idx
    ON failed_tasks_in_agents (task_id);

-- ---------------------------------------------------------------------------
-- task_log_associations  (PK is (task_log_id, task_id, attempt))
-- ---------------------------------------------------------------------------

--   GET/POST /jobs/<job_id>/tasks/<task_id>/attempts/<n>/logs/
--   GET/POST .../logs/<identifier>, GET/PUT .../logs/<identifier>/logfile
--   task deletion: the ON DELETE CASCADE from tasks looks rows up by task_id
CREATE INDEX IF NOT EXISTS pfj_task_log_associations_task_attempt_idx
    ON task_log_associations (task_id, attempt);

-- ---------------------------------------------------------------------------
-- Per-job link tables whose primary key / unique constraint does not start
-- with the job column
-- ---------------------------------------------------------------------------

-- A job's "parents" (rows with childid = job); DELETE /jobs/<job> removes
-- rows in both directions (parentid is the PK's leading column).
--   GET /jobs/<job>, POST /jobs/, POST /jobs/<job>, DELETE /jobs/<job>
CREATE INDEX IF NOT EXISTS pfj_job_dependencies_childid_idx
    ON job_dependencies (childid);

--   GET/POST /jobs/<job>/notified_users/, DELETE .../notified_users/<username>
--   GET /jobs/<job>, POST /jobs/ ("notified_users" key), DELETE /jobs/<job>
CREATE INDEX IF NOT EXISTS pfj_notified_users_job_id_idx
    ON notified_users (job_id);

--   GET /jobs/<job>, POST /jobs/, POST /jobs/<job> ("software_requirements"),
--   DELETE /jobs/<job>
CREATE INDEX IF NOT EXISTS pfj_job_software_requirements_job_id_idx
    ON job_software_requirements (job_id);

--   GET /jobs/<job>, POST /jobs/, POST /jobs/<job> ("tag_requirements"),
--   DELETE /jobs/<job>
CREATE INDEX IF NOT EXISTS pfj_job_tag_requirements_job_id_idx
    ON job_tag_requirements (job_id);

-- ---------------------------------------------------------------------------
-- jobs
-- ---------------------------------------------------------------------------

-- <job> given as a title in any /jobs/<job>... URL:
--   WHERE title = $1 ORDER BY id LIMIT 1   (first match by id; (title, id)
--   serves that directly and also plain title equality)
CREATE INDEX IF NOT EXISTS pfj_jobs_title_idx
    ON jobs (title, id);

--   GET /jobs/?jobtype=<name>          (jobs of the jobtype's versions)
CREATE INDEX IF NOT EXISTS pfj_jobs_jobtype_version_id_idx
    ON jobs (jobtype_version_id);

--   GET /jobs/?user=<username>
CREATE INDEX IF NOT EXISTS pfj_jobs_user_id_idx
    ON jobs (user_id);

--   GET /jobs/?jobqueue=<fullpath>
CREATE INDEX IF NOT EXISTS pfj_jobs_job_queue_id_idx
    ON jobs (job_queue_id);

--   DELETE /jobs/<job>                 (does the job group still have jobs?
--                                       §9.4 step 4; FK check when the
--                                       job_groups row is deleted)
CREATE INDEX IF NOT EXISTS pfj_jobs_job_group_id_idx
    ON jobs (job_group_id);

-- §9.2, the job's state from its tasks, asked on every task state change
-- (POST /jobs/<job>/tasks/<id>) and after POST /jobs/<job>: is a task of
-- the job unfinished?  did one fail?  does an agent hold a queued or running
-- one?  Each is one probe of a partial index, whose size is what the job has
-- left to do, not the job: a state change costs the same in a job of
-- 1,000,000 tasks as in one of 10.  The predicates must stay as the
-- statements spell them (PostgreSQL matches them by their form); the codes
-- are doc/api.md §0.7's (105 running, 106 done, 107 failed).
CREATE INDEX IF NOT EXISTS pfj_tasks_unfinished_idx
    ON tasks (job_id)
    WHERE state IS NULL OR state NOT IN (106, 107);

CREATE INDEX IF NOT EXISTS pfj_tasks_failed_idx
    ON tasks (job_id)
    WHERE state = 107;

CREATE INDEX IF NOT EXISTS pfj_tasks_active_idx
    ON tasks (job_id)
    WHERE agent_id IS NOT NULL AND (state IS NULL OR state = 105);

--   GET /jobs/<job>, GET /jobs/        (is a task of the job assigned?)
CREATE INDEX IF NOT EXISTS pfj_tasks_assigned_idx
    ON tasks (job_id) WHERE agent_id IS NOT NULL;

COMMIT;
