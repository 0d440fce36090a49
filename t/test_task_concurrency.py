"""Many agents updating the tasks of one job at once: doc/api.md §10.2 and
§10.3 (every update of a render agent answers 200 and takes effect once)
and §9.2 (the job's state is recomputed from all its tasks; ours: in the
update's transaction, under the job's row lock), README "What the real
client does" (running, progress, then done or failed; 4xx are given up for
good, so a race must never turn into one).

One job of 200 tasks, all assigned to the demo agent (render01, 127.0.0.1);
16 threads, each with its own keep-alive connection, finish a share of the
tasks at the same time.  Every 10th task fails once first: it is requeued
(no agent any more), so its later updates come without the agent's
User-Agent, as from another client.  Afterwards every task is done exactly
as asked, the failures are recorded once each, and the job went done
exactly once - watched by a trigger that logs every change of the job's
state or times.  Five rounds, a fresh job each, so that a race shows.
"""

import contextlib
import threading

from check import describe, expect
from farm import Client

API = "/api/v1/jobs"
AGENT = "6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35"    # render01 of sql/demo.sql, 127.0.0.1
AGENT_UA = {"User-Agent": "PyFarm/1.0 (agent)"}
OTHER_CLIENT = {}

ROUNDS = 5
TASK_COUNT = 200
THREADS = 16
FAIL_EVERY = 10
ROUND_TIMEOUT = 60   # seconds for the threads of one round
PAUSED, RUNNING, DONE = 100, 105, 106
OFFLINE = 201      # agents.state

# Each step: (body, headers, what the answer shows: state, failures, agent_id).
FINISH = (
    ({"state": "running"}, AGENT_UA, ("running", 0, AGENT)),
    ({"progress": 0.5}, AGENT_UA, ("running", 0, AGENT)),
    ({"state": "done"}, AGENT_UA, ("done", 0, AGENT)),
)
FAIL_THEN_FINISH = (
    ({"state": "running"}, AGENT_UA, ("running", 0, AGENT)),
    ({"state": "failed", "last_error": "out of memory"}, AGENT_UA, ("queued", 1, None)),
    ({"state": "running"}, OTHER_CLIENT, ("running", 1, None)),
    ({"state": "done"}, OTHER_CLIENT, ("done", 1, None)),
)

# A log of every change of a job's state or times, in commit order (the
# job's row lock orders them), kept outside the public schema that
# farm.reset() truncates; dropped at the end of the test.
AUDIT_SETUP = """
CREATE SCHEMA pfj_audit;
CREATE TABLE pfj_audit.job_changes (
    seq bigserial PRIMARY KEY, job_id bigint, state integer,
    time_started timestamp, time_finished timestamp);
CREATE FUNCTION pfj_audit.record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pfj_audit.job_changes (job_id, state, time_started, time_finished)
    VALUES (NEW.id, NEW.state, NEW.time_started, NEW.time_finished);
    RETURN NULL;
END $$;
CREATE TRIGGER pfj_audit_job_changes AFTER UPDATE ON public.jobs FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state
          OR OLD.time_started IS DISTINCT FROM NEW.time_started
          OR OLD.time_finished IS DISTINCT FROM NEW.time_finished)
    EXECUTE FUNCTION pfj_audit.record();
"""
AUDIT_TEARDOWN = "DROP SCHEMA IF EXISTS pfj_audit CASCADE"


# ---------------------------------------------------------------- helpers

def task_path(job, task):
    return f"{API}/{job}/tasks/{task}"


def submit_job(farm, title):
    resp = farm.client.post(f"{API}/", json={"title": title, "jobtype": "Blender",
                                             "start": 1, "end": TASK_COUNT})
    return expect(resp, 201).json()["id"]


def assign_all(farm, job):
    """What the scheduler does: every task of the job to the demo agent."""
    farm.pg.psql(f"UPDATE tasks SET agent_id = '{AGENT}', attempts = attempts + 1"
                 f" WHERE job_id = {job}")


def task_ids(farm, job):
    return [int(i) for (i,) in farm.pg.query(
        f"SELECT id FROM tasks WHERE job_id = {job} ORDER BY frame")]


def answer_problems(resp, job, want):
    """What is wrong with one update's answer (a list of texts); `want` is
    (state, failures, agent_id) or None for any 200."""
    if resp.status != 200:
        return [f"status {resp.status}"]
    body = resp.json()
    if body["job_id"] != job:
        return [f"job_id {body['job_id']}"]
    if want is None:
        return []
    got = (body["state"], body["failures"], body["agent_id"])
    if got != want:
        return [f"(state, failures, agent_id): expected {want}, got {got}"]
    if want[0] == "done" and body["progress"] != 1.0:
        return [f"progress {body['progress']!r} after done"]
    return []


class AgentThread(threading.Thread):
    """Sends its requests - (path, body, headers, expected answer) - one
    after the other on its own connection, starting with the others; keeps
    the answers and the first problem."""

    def __init__(self, port, job, requests, start_line):
        super().__init__(daemon=True)
        self.client = Client(port)
        self.job, self.requests, self.start_line = job, requests, start_line
        self.answers, self.problem = [], None

    def run(self):
        try:
            self.start_line.wait(ROUND_TIMEOUT)
            for path, body, headers, want in self.requests:
                resp = self.client.post(path, json=body, headers=headers)
                problems = answer_problems(resp, self.job, want)
                if problems:
                    self.problem = describe(resp, [f"body sent: {body}"] + problems)
                    return
                self.answers.append(resp.json())
        except Exception as exc:  # reported by the test, not lost in the thread
            self.problem = f"{type(exc).__name__}: {exc}"
        finally:
            self.client.close()


def run_at_once(farm, job, shares):
    """One thread per share of requests, all let go at the same moment;
    returns every answer once all are 200 as expected."""
    start_line = threading.Barrier(len(shares))
    threads = [AgentThread(farm.httpd.port, job, share, start_line) for share in shares]
    for t in threads:
        t.start()
    for t in threads:
        t.join(ROUND_TIMEOUT)
    stuck = sum(t.is_alive() for t in threads)
    assert not stuck, f"{stuck} threads still running after {ROUND_TIMEOUT}s"
    problems = [t.problem for t in threads if t.problem]
    assert not problems, f"{len(problems)} threads failed; the first:\n{problems[0]}"
    return [answer for t in threads for answer in t.answers]


def agent_requests(job, tasks, failing):
    """The requests of one agent: every step of each of its tasks in turn."""
    return [(task_path(job, task), body, headers, want) for task in tasks
            for body, headers, want in (FAIL_THEN_FINISH if task in failing else FINISH)]


def check_tasks(farm, job, tasks, failing):
    stored = {int(i): tuple(row) for i, *row in farm.pg.query(
        "SELECT id, state, progress, failures, agent_id, attempts, last_error"
        f" FROM tasks WHERE job_id = {job}")}
    want = {t: (str(DONE), "1", "1" if t in failing else "0",
                None if t in failing else AGENT, "1", None) for t in tasks}
    wrong = sorted((t, stored.get(t), want[t]) for t in tasks if stored.get(t) != want[t])
    assert len(stored) == len(tasks) and not wrong, \
        f"job {job}: {len(wrong)} tasks wrong, e.g. (task, stored, expected) {wrong[:3]}"
    recorded = sorted((a, int(t)) for a, t in farm.pg.query(
        "SELECT f.agent_id, f.task_id FROM failed_tasks_in_agents f"
        f" JOIN tasks t ON t.id = f.task_id WHERE t.job_id = {job}"))
    assert recorded == sorted((AGENT, t) for t in failing), \
        f"job {job}: failed_tasks_in_agents rows {recorded}"


def check_job(farm, job):
    """Done once: first running (with its start), maybe queued again once
    only requeued tasks (without an agent) are left, then done with its
    finish - and nothing in between."""
    history = farm.pg.query("SELECT state, time_started, time_finished"
                            f" FROM pfj_audit.job_changes WHERE job_id = {job} ORDER BY seq")
    shown = f"job {job}: changes (state, time_started, time_finished) {history}"
    states = [state for state, _, _ in history]
    assert states in ([str(RUNNING), str(DONE)], [str(RUNNING), None, str(DONE)]), shown
    started = history[0][1]
    assert started is not None and all(s == started for _, s, _ in history), shown
    finished = [f is not None for _, _, f in history]
    assert finished == [False] * (len(history) - 1) + [True], shown
    stored = farm.pg.query(f"SELECT state, time_started, time_finished FROM jobs WHERE id = {job}")
    assert stored == [(str(DONE), started, history[-1][2])], (shown, stored)


@contextlib.contextmanager
def job_audit(farm):
    farm.pg.psql(AUDIT_TEARDOWN + ";" + AUDIT_SETUP)
    try:
        yield
    finally:
        farm.pg.psql(AUDIT_TEARDOWN)


@contextlib.contextmanager
def no_log_problems(farm):
    """Neither httpd's error_log nor PostgreSQL's log get an error, a
    deadlock or a DBD problem meanwhile."""
    httpd_mark = farm.httpd.error_log_size()
    with open(farm.pg.logfile, "rb") as f:
        pg_mark = f.seek(0, 2)
    yield
    lines = farm.httpd.error_log_lines(httpd_mark)
    assert farm.httpd.error_log_problems(httpd_mark) == [], lines
    assert not [line for line in lines if "deadlock" in line.lower()], lines
    with open(farm.pg.logfile, "rb") as f:
        f.seek(pg_mark)
        pg_lines = f.read().decode("utf-8", errors="replace").splitlines()
    problems = [line for line in pg_lines if "ERROR" in line or "deadlock" in line.lower()]
    assert problems == [], problems


# ------------------------------------------------------------------ tests

def test_sixteen_agents_finish_each_job_exactly_once(farm):
    with no_log_problems(farm), job_audit(farm):
        for round_number in range(1, ROUNDS + 1):
            job = submit_job(farm, f"Concurrency round {round_number}")
            assign_all(farm, job)
            tasks = task_ids(farm, job)
            assert len(tasks) == TASK_COUNT, len(tasks)
            failing = set(tasks[FAIL_EVERY - 1::FAIL_EVERY])
            run_at_once(farm, job, [agent_requests(job, tasks[i::THREADS], failing)
                                    for i in range(THREADS)])
            check_tasks(farm, job, tasks, failing)
            check_job(farm, job)
    assert farm.pg.query(f"SELECT last_success_on IS NOT NULL FROM agents"
                         f" WHERE id = '{AGENT}'") == [("t",)]


def test_simultaneous_failures_of_one_task_are_all_counted(farm):
    # A retried request arrives again: sixteen "failed" at once on one task
    # are sixteen failures, each answer showing its own count, one record
    # (requeue 0: the task stays failed and its agent's).
    farm.pg.psql(f"UPDATE jobs SET requeue = 0 WHERE id = 1;"
                 f"UPDATE tasks SET agent_id = '{AGENT}', state = {RUNNING} WHERE id = 1")
    with no_log_problems(farm):
        answers = run_at_once(farm, 1, [[(task_path(1, 1), {"state": "failed"}, AGENT_UA,
                                          None)] for _ in range(THREADS)])
    counts = sorted(a["failures"] for a in answers)
    assert counts == list(range(1, THREADS + 1)), counts
    assert {(a["state"], a["agent_id"]) for a in answers} == {("failed", AGENT)}, answers
    assert farm.pg.query("SELECT failures, state FROM tasks WHERE id = 1") == \
        [(str(THREADS), "107")]
    assert farm.pg.query("SELECT agent_id, task_id FROM failed_tasks_in_agents") == \
        [(AGENT, "1")]


def test_agents_racing_on_the_last_tasks_of_a_100000_task_job(farm):
    # The job's state from a partial-index probe, whatever the job's size;
    # an agent repeating "running" (no job lock: it moves nothing) while
    # the others finish the last 32 tasks: the job goes done exactly once.
    big = 100_000
    resp = farm.client.post(f"{API}/", json={"title": "Big", "jobtype": "Blender",
                                             "start": 1, "end": big})
    job = expect(resp, 201).json()["id"]
    last = task_ids_after(farm, job, big - 2 * THREADS)
    farm.pg.psql(f"UPDATE tasks SET state = {DONE}, progress = 1 WHERE job_id = {job};"
                 f"UPDATE tasks SET state = {RUNNING}, progress = 0, agent_id = '{AGENT}',"
                 f" attempts = 1 WHERE id IN ({','.join(map(str, last))});"
                 f"UPDATE jobs SET state = {RUNNING}, time_started = now() WHERE id = {job};"
                 "VACUUM ANALYZE tasks")
    repeat = ({"state": "running"}, AGENT_UA, ("running", 0, AGENT))
    with no_log_problems(farm), job_audit(farm):
        run_at_once(farm, job, [
            [(task_path(job, task), body, headers, want)
             for task in last[i::THREADS]
             for body, headers, want in (repeat, repeat, FINISH[1], FINISH[2])]
            for i in range(THREADS)])
        history = farm.pg.query("SELECT state FROM pfj_audit.job_changes"
                                f" WHERE job_id = {job} ORDER BY seq")
    assert history == [(str(DONE),)], history
    assert farm.pg.query(f"SELECT count(*) FROM tasks WHERE job_id = {job}"
                         f" AND state IS DISTINCT FROM {DONE}") == [("0",)]


def test_a_repeated_state_repairs_a_stale_job_state(farm):
    # The job's stored state differs from its recomputation (its agent was
    # offline at the last change): a repeated "running" recomputes it, as
    # the reference does on every state it is sent.
    farm.pg.psql(f"UPDATE tasks SET agent_id = '{AGENT}', state = {RUNNING} WHERE id = 1;"
                 "UPDATE jobs SET state = NULL WHERE id = 1")
    resp = farm.client.post(task_path(1, 1), json={"state": "running"}, headers=AGENT_UA)
    assert expect(resp, 200).json()["state"] == "running"
    assert farm.pg.query("SELECT state FROM jobs WHERE id = 1") == [(str(RUNNING),)]
    # and one that is not stale is left alone
    farm.pg.psql("UPDATE jobs SET time_started = NULL WHERE id = 1")
    expect(farm.client.post(task_path(1, 1), json={"state": "running"}, headers=AGENT_UA), 200)
    assert farm.pg.query("SELECT state, time_started FROM jobs WHERE id = 1") == \
        [(str(RUNNING), None)]
    # a job stored done is stale (its running task tells), a paused one is
    # not
    for stored, after in ((DONE, RUNNING), (PAUSED, PAUSED)):
        farm.pg.psql(f"UPDATE jobs SET state = {stored} WHERE id = 1")
        expect(farm.client.post(task_path(1, 1), json={"state": "running"},
                                headers=AGENT_UA), 200)
        assert farm.pg.query("SELECT state FROM jobs WHERE id = 1") == [(str(after),)]
    # an offline agent's task says nothing: the job's tasks are asked (the
    # job has no other active task: queued)
    farm.pg.psql(f"UPDATE agents SET state = {OFFLINE} WHERE id = '{AGENT}';"
                 f"UPDATE jobs SET state = {RUNNING} WHERE id = 1")
    expect(farm.client.post(task_path(1, 1), json={"state": "running"}, headers=AGENT_UA), 200)
    assert farm.pg.query("SELECT state FROM jobs WHERE id = 1") == [(None,)]


def task_ids_after(farm, job, frame):
    return [int(i) for (i,) in farm.pg.query(
        f"SELECT id FROM tasks WHERE job_id = {job} AND frame > {frame} ORDER BY frame")]
