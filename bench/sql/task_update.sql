-- =============================================================================
-- pgbench script: the database work of one task state change (cases 4a, 4b)
-- POST /api/v1/jobs/<job>/tasks/<task> with {"state": "running"} or
-- {"state": "queued"}
-- =============================================================================
--
-- What the module runs (src/resources/tasks.c, pfj_tasks_update; the SQL
-- texts are those of pfj_tasks_stmts, as the module prepares them):
--     pfj_task_peek          $1 bigint  :task  the task, unlocked, and
--                            $2 bigint  :job   whether its job's state is
--                            $3 varchar :title its recomputation (one
--                                              statement, its own
--                                              transaction); the title
--                                              when the URL names the job
--                                              by title; the module sends
--                                              NULL for an id, pgbench
--                                              cannot send NULL: any value
--                                              does, COALESCE never reads it
--     BEGIN                  apr_dbd_transaction_start
--     pfj_task_current       $1 bigint  :job   lock the task's job row,
--                            $2 boolean :lock  when the update moves the
--                                              task (every update of cases
--                                              4a/4b does: lock=true)
--                            $3-$5             the task as for the peek;
--                                              read and lock the task
--     pfj_task_apply         $1 varchar :plan  the update, as one JSON
--                            document built by the module, e.g.
--       {"recompute":true,"time_started":"now","time_finished":"null",
--        "task":"15","job":"3","set":{"state":105}}
--     COMMIT                 apr_dbd_transaction_end
--
-- Standalone, for one task:
--     pgbench -n -M prepared -f bench/sql/task_update.sql \
--             -D task=15 -D job=3 -D title=- -D lock=true -D plan='{"recompute":true,...}' ...
-- bench/run.py instead rotates every client over its share of the case's
-- 100 tasks, alternating running and queued, with the plan documents the
-- module itself sent for them (captured from PostgreSQL's log in a probe
-- before the run): it expands the pfj_task_apply statement below into one
-- copy per (task, state), chosen by an if-chain, with :plan renamed
-- :plan_<n>.
--
-- The statements below must stay the module's: do not edit them by hand,
-- copy them again from src/resources/tasks.c (bench/run.py checks them at every run
-- and prints the difference when they drift apart).

-- pfj_task_peek
WITH task AS MATERIALIZED (   SELECT t.id, t.job_id FROM tasks t WHERE t.id = :task AND t.job_id = COALESCE(:job, (SELECT id FROM jobs WHERE title = :title                 ORDER BY id LIMIT 1))), task_states AS NOT MATERIALIZED (   SELECT state, agent_id FROM tasks    WHERE job_id = (SELECT job_id FROM task)), next_state AS (  SELECT j.id, j.state AS old,         CASE WHEN NOT EXISTS (SELECT 1 FROM task_states ts                                WHERE (ts.state IS NULL OR ts.state NOT IN (106, 107)))              THEN CASE WHEN EXISTS (SELECT 1 FROM task_states ts                                      WHERE ts.state = 107)                        THEN 107 ELSE 106 END              WHEN j.state = 100 THEN 100              WHEN EXISTS (SELECT 1 FROM task_states ts                             JOIN agents a ON a.id = ts.agent_id                            WHERE (ts.agent_id IS NOT NULL AND (ts.state IS NULL OR ts.state = 105))                              AND a.state NOT IN (200, 201))              THEN 105 ELSE NULL END AS new,         (COALESCE(j.state IN (100, 105), false) AND j.time_started IS NOT NULL) AS was_started    FROM jobs j WHERE j.id = (SELECT job_id FROM task))SELECT t.id, t.state, t.priority, t.time_submitted, t.time_started, t.time_finished, t.agent_id, t.job_id, t.hidden, t.attempts, t.failures, t.frame, t.tile, t.last_error, t.sent_to_agent, t.progress, j.title, a.hostname, a.remote_ip, a.port, t.state, t.agent_id, (SELECT remote_ip FROM agents WHERE id = t.agent_id), t.time_started, t.failures, j.requeue, v.no_automatic_start_time, t.job_id,       COALESCE(NOT (CASE WHEN (t.agent_id IS NOT NULL AND (t.state IS NULL OR t.state = 105)) AND a.state NOT IN (200, 201) THEN COALESCE(j.state IN (100, 105), false) END),                (SELECT n.new IS DISTINCT FROM n.old FROM next_state n))  FROM task JOIN tasks t ON t.id = task.id  JOIN jobs j ON j.id = t.job_id  JOIN jobtype_versions v ON v.id = j.jobtype_version_id  LEFT JOIN agents a ON a.id = t.agent_id;

BEGIN;

-- pfj_task_current
WITH job AS MATERIALIZED (   SELECT id FROM jobs WHERE id = :job AND :lock::boolean FOR UPDATE)SELECT t.state, t.agent_id, (SELECT remote_ip FROM agents WHERE id = t.agent_id), t.time_started, t.failures, j.requeue, v.no_automatic_start_time, t.job_id  FROM tasks t JOIN jobs j ON j.id = t.job_id  JOIN jobtype_versions v ON v.id = j.jobtype_version_id WHERE t.id = :task AND t.job_id = COALESCE(:job, (SELECT id FROM jobs WHERE title = :title                 ORDER BY id LIMIT 1)) AND (SELECT count(*) FROM job) >= 0   FOR UPDATE OF t;

-- pfj_task_apply
WITH plan AS (SELECT :plan::json AS p), task AS (SELECT t AS row FROM tasks t, plan           WHERE t.id = (plan.p->>'task')::bigint), updated AS (   UPDATE tasks t SET state = r.state, priority = r.priority, agent_id = r.agent_id, hidden = r.hidden, attempts = r.attempts, failures = r.failures, tile = r.tile, last_error = r.last_error, sent_to_agent = r.sent_to_agent, progress = r.progress,      time_started = CASE WHEN plan.p->>'time_started' = 'now'                         THEN now() AT TIME ZONE 'utc'                         ELSE t.time_started END,     time_finished = CASE plan.p->>'time_finished'         WHEN 'now' THEN now() AT TIME ZONE 'utc'         WHEN 'null' THEN NULL         WHEN 'now_if_null'           THEN COALESCE(t.time_finished, now() AT TIME ZONE 'utc')         WHEN 'max_now'           THEN GREATEST(t.time_finished, now() AT TIME ZONE 'utc')         ELSE t.time_finished END     FROM plan, task, json_populate_record(task.row, plan.p->'set') r    WHERE t.id = (task.row).id   RETURNING t.*), failure AS (   INSERT INTO failed_tasks_in_agents (agent_id, task_id)   SELECT (plan.p->>'fail_agent')::uuid, (plan.p->>'task')::bigint     FROM plan WHERE plan.p->>'fail_agent' IS NOT NULL   ON CONFLICT DO NOTHING), failures_cleared AS (   DELETE FROM failed_tasks_in_agents f USING plan    WHERE f.task_id = (plan.p->>'task')::bigint      AND plan.p->>'clear_failures' = 'true'), logs_cleared AS (   DELETE FROM task_log_associations l USING plan    WHERE l.task_id = (plan.p->>'task')::bigint      AND plan.p->>'clear_logs' = 'true'), success AS (   UPDATE agents SET last_success_on = now() AT TIME ZONE 'utc'     FROM plan WHERE id = (plan.p->>'success_agent')::uuid), task_states AS NOT MATERIALIZED (   SELECT state, agent_id FROM updated   UNION ALL SELECT state, agent_id FROM tasks, plan    WHERE job_id = (plan.p->>'job')::bigint      AND id <> (plan.p->>'task')::bigint      AND plan.p->>'recompute' = 'true'), next_state AS (  SELECT j.id, j.state AS old,         CASE WHEN NOT EXISTS (SELECT 1 FROM task_states ts                                WHERE (ts.state IS NULL OR ts.state NOT IN (106, 107)))              THEN CASE WHEN EXISTS (SELECT 1 FROM task_states ts                                      WHERE ts.state = 107)                        THEN 107 ELSE 106 END              WHEN j.state = 100 THEN 100              WHEN EXISTS (SELECT 1 FROM task_states ts                             JOIN agents a ON a.id = ts.agent_id                            WHERE (ts.agent_id IS NOT NULL AND (ts.state IS NULL OR ts.state = 105))                              AND a.state NOT IN (200, 201))              THEN 105 ELSE NULL END AS new,         (COALESCE(j.state IN (100, 105), false) AND j.time_started IS NOT NULL) AS was_started    FROM jobs j WHERE j.id = (SELECT (p->>'job')::bigint FROM plan  WHERE p->>'recompute' = 'true')), job_state AS ( UPDATE jobs j SET state = n.new,  time_started = CASE WHEN n.new = 105 AND NOT n.was_started                      THEN now() AT TIME ZONE 'utc'                      ELSE j.time_started END,  time_finished = CASE WHEN n.new IN (106, 107)                       THEN now() AT TIME ZONE 'utc'                       WHEN n.new = 105 AND NOT n.was_started                       THEN NULL                       ELSE j.time_finished END  FROM next_state n WHERE j.id = n.id AND n.new IS DISTINCT FROM n.old RETURNING 1)SELECT t.id, t.state, t.priority, t.time_submitted, t.time_started, t.time_finished, t.agent_id, t.job_id, t.hidden, t.attempts, t.failures, t.frame, t.tile, t.last_error, t.sent_to_agent, t.progress, j.title, a.hostname, a.remote_ip, a.port FROM updated t  JOIN jobs j ON j.id = t.job_id  LEFT JOIN agents a ON a.id = t.agent_id;

COMMIT;
