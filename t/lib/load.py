"""A render farm's traffic, for the stress and fault tests: agents working
through their tasks (running, then done, racing on each job's last
tasks), artists submitting jobs, dashboards reading lists - over one or
more httpd front ends at once.  Every answer is kept, so that what the
clients saw acknowledged can be counted back from the database.

Clients behave as PyFarm's do: a 5xx (or a connection that failed) is
retried after a short pause, for ever (here: until the run's deadline);
a 4xx is given up.  A retried request may have been applied once already
(its answer lost): every request of the load is one that may be applied
twice (a state sent again, a submission whose title is unique).

    farm_load = FarmLoad(pg, ports, agents=48, submitters=8, readers=8)
    farm_load.prepare(jobs=16, tasks_per_job=100)
    farm_load.run(seconds=10, during=lambda: ...)
    farm_load.verify()            # raises AssertionError on a lost update
    print(farm_load.summary())
"""

import collections
import http.client
import itertools
import json
import threading
import time

from farm import percentile

API = "/api/v1/jobs"
AGENT = "6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35"  # render01 of sql/demo.sql, 127.0.0.1
AGENT_UA = {"User-Agent": "PyFarm/1.0 (agent)", "Content-Type": "application/json"}
JSON_TYPE = {"Content-Type": "application/json"}
UNAVAILABLE = {"error": "the database is unavailable, try again later"}
RUNNING, DONE = 105, 106
SUBMIT_FRAMES = 10
RETRY_PAUSE = 0.1      # seconds between retries of a 5xx or a failed connection
HTTP_TIMEOUT = 30


class Answer:
    """One request's outcome: status (None: no answer, the connection
    failed), when it ended (monotonic seconds) and how long it took."""

    __slots__ = ("kind", "status", "ended", "seconds", "problem")

    def __init__(self, kind, status, ended, seconds, problem=None):
        self.kind, self.status, self.ended = kind, status, ended
        self.seconds, self.problem = seconds, problem


def unavailable_problem(status, headers, body):
    """What is wrong with a 5xx answer (None when it is the module's 503:
    its JSON body and a Retry-After)."""
    if status != 503:
        return f"status {status}: {body[:200]!r}"
    try:
        parsed = json.loads(body)
    except ValueError:
        return f"503 without a JSON body: {body[:200]!r}"
    if parsed != UNAVAILABLE:
        return f"503 body {parsed!r}"
    if not (headers.get("Retry-After") or "").isdigit():
        return f"503 without Retry-After: {headers}"
    return None


# What a kept-alive connection that httpd closed while it was idle gives
# the next request: mpm_event closes idle keep-alive connections when every
# worker of a child is busy.  The request was never read; HTTP clients send
# it again on a new connection (RFC 9112 §9.3.1), as these do, once.
DROPPED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class Connection:
    """A keep-alive connection to one front end, reopened after a failure;
    sends a request again by itself only when a reused connection was
    found closed before any answer (counted in `dropped`)."""

    def __init__(self, port):
        self.port = port
        self.conn = None
        self.dropped = 0

    def send(self, method, path, body=None, headers=None):
        """(status, headers, body), or (None, {}, error text)."""
        reused = self.conn is not None
        answer = self.exchange(method, path, body, headers)
        if answer[0] is None and reused and isinstance(answer[2], DROPPED):
            self.dropped += 1
            answer = self.exchange(method, path, body, headers)
        if answer[0] is None:
            exc = answer[2]
            return None, {}, f"{type(exc).__name__}: {exc}"
        return answer

    def exchange(self, method, path, body, headers):
        """(status, headers, body), or (None, {}, the exception)."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                   timeout=HTTP_TIMEOUT)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            resp = self.conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return None, {}, exc
        if resp.will_close:
            self.close()
        return resp.status, dict(resp.getheaders()), data

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Client(threading.Thread):
    """One client of the load: its own connection to one front end; each
    request is retried until it is answered 2xx or 4xx or the deadline
    passes."""

    def __init__(self, load, port, kind):
        super().__init__(daemon=True)
        self.load, self.kind = load, kind
        self.connection = Connection(port)
        self.answers = []

    def call(self, method, path, body=None, headers=None):
        """The 2xx answer's (status, body), or None (4xx, or the deadline)."""
        while time.monotonic() < self.load.deadline:
            began = time.monotonic()
            status, resp_headers, data = self.connection.send(method, path, body, headers)
            ended = time.monotonic()
            problem = None
            if status is None:
                problem = data
            elif status >= 500:
                problem = unavailable_problem(status, resp_headers, data)
                if problem:
                    self.load.note_bad(f"{method} {path}: {problem}")
            elif status >= 400:
                problem = f"{status}: {data[:300]!r}"
                self.load.note_bad(f"{method} {path} answered {problem}")
            self.answers.append(Answer(self.kind, status, ended, ended - began, problem))
            if status is not None and status < 500:
                return (status, data) if status < 400 else None
            time.sleep(RETRY_PAUSE)
        return None

    def run(self):
        try:
            self.load.start_line.wait()
            self.work()
        except Exception as exc:  # reported by verify(), not lost in the thread
            self.load.note_bad(f"{self.kind} thread: {type(exc).__name__}: {exc}")
        finally:
            self.connection.close()


class AgentClient(Client):
    """An agent: each of its tasks running, then done, acknowledged in turn."""

    def __init__(self, load, port, tasks):
        super().__init__(load, port, "agent")
        self.tasks = tasks
        self.acked = {}    # task -> the last state acknowledged

    def work(self):
        for job, task in self.tasks:
            for state, code in (("running", RUNNING), ("done", DONE)):
                body = json.dumps({"state": state})
                if self.call("POST", f"{API}/{job}/tasks/{task}", body, AGENT_UA) is None:
                    return
                self.acked[task] = code


class SubmitClient(Client):
    """An artist: jobs of SUBMIT_FRAMES frames, each title unique."""

    def __init__(self, load, port, name):
        super().__init__(load, port, "submit")
        self.name = name
        self.acked = []    # ids of the jobs whose submission was acknowledged

    def work(self):
        for n in itertools.count():
            body = json.dumps({"title": f"{self.load.prefix} {self.name}-{n}",
                               "jobtype": "Blender", "start": 1, "end": SUBMIT_FRAMES})
            answer = self.call("POST", f"{API}/", body, JSON_TYPE)
            if answer is None:
                return
            self.acked.append(json.loads(answer[1])["id"])


class ReadClient(Client):
    """A dashboard: the jobs list, a job, a page of its tasks."""

    def __init__(self, load, port):
        super().__init__(load, port, "read")

    def work(self):
        paths = itertools.cycle(
            [f"{API}/?limit=50"]
            + [p for job in self.load.jobs
               for p in (f"{API}/{job}", f"{API}/{job}/tasks/?limit=100")])
        while time.monotonic() < self.load.deadline:
            if self.call("GET", next(paths)) is None:
                return


class FarmLoad:
    def __init__(self, pg, ports, *, agents, submitters, readers, prefix="load"):
        self.pg, self.ports = pg, ports
        self.counts = (agents, submitters, readers)
        self.prefix = prefix
        self.jobs, self.clients, self.bad = [], [], []
        self.lock = threading.Lock()
        self.deadline = 0.0
        self.started = self.finished = 0.0

    def note_bad(self, text):
        with self.lock:
            self.bad.append(text)

    def prepare(self, jobs, tasks_per_job, port=None):
        """Jobs submitted through the API, every task assigned to the demo
        agent (as the scheduler would), dealt round-robin to the agents so
        that they race on each job's last tasks."""
        conn = Connection(port or self.ports[0])
        for n in range(jobs):
            status, _, data = conn.send("POST", f"{API}/", json.dumps(
                {"title": f"{self.prefix} work {n}", "jobtype": "Blender",
                 "start": 1, "end": tasks_per_job}), JSON_TYPE)
            assert status == 201, (status, data)
            self.jobs.append(json.loads(data)["id"])
        conn.close()
        ids = ",".join(map(str, self.jobs))
        self.pg.psql(f"UPDATE tasks SET agent_id = '{AGENT}', attempts = 1"
                     f" WHERE job_id IN ({ids})")
        tasks = [(int(j), int(t)) for j, t in self.pg.query(
            f"SELECT job_id, id FROM tasks WHERE job_id IN ({ids}) ORDER BY frame, job_id")]
        agents, submitters, readers = self.counts
        port = itertools.cycle(self.ports)
        self.clients = (
            [AgentClient(self, next(port), tasks[i::agents]) for i in range(agents)]
            + [SubmitClient(self, next(port), f"s{i}") for i in range(submitters)]
            + [ReadClient(self, next(port)) for _ in range(readers)])

    def run(self, seconds, during=None):
        """All clients at once for `seconds` (agents stop earlier when their
        tasks are done); `during` runs meanwhile in this thread (a fault)."""
        self.start_line = threading.Barrier(len(self.clients) + 1)
        for client in self.clients:
            client.start()
        self.started = time.monotonic()
        self.deadline = self.started + seconds
        self.start_line.wait()
        if during:
            during()
        for client in self.clients:
            client.join(seconds + HTTP_TIMEOUT + 10)
        self.finished = time.monotonic()
        stuck = [c.kind for c in self.clients if c.is_alive()]
        assert not stuck, f"clients still running: {stuck}"

    # ---- what happened

    def answers(self):
        return [a for c in self.clients for a in c.answers]

    def failures(self, since=None, until=None):
        """Answers that were not 2xx/4xx (5xx or no answer), ended in
        [since, until)."""
        return [a for a in self.answers() if (a.status is None or a.status >= 500)
                and (since is None or a.ended >= since) and (until is None or a.ended < until)]

    def acked_updates(self):
        return {t: s for c in self.clients if c.kind == "agent" for t, s in c.acked.items()}

    def acked_jobs(self):
        return [j for c in self.clients if c.kind == "submit" for j in c.acked]

    def verify(self):
        """Every acknowledged update and submission is in the database,
        nothing is half-written, every job's state is what its tasks say,
        and no answer was other than 2xx or the module's 503."""
        assert not self.bad, f"{len(self.bad)} bad answers, e.g. {self.bad[:5]}"
        self.verify_updates()
        self.verify_submissions()
        self.verify_job_states()

    def verify_updates(self):
        acked = self.acked_updates()
        stored = {int(t): None if s is None else int(s) for t, s in self.pg.query(
            f"SELECT id, state FROM tasks WHERE job_id IN ({','.join(map(str, self.jobs))})")}
        # running acknowledged, done sent but its answer lost: either
        lost = {t: (s, stored[t]) for t, s in acked.items()
                if stored[t] != s and not (s == RUNNING and stored[t] == DONE)}
        assert not lost, f"{len(lost)} acknowledged updates not stored, e.g. {list(lost.items())[:5]}"

    def verify_submissions(self):
        rows = dict((int(j), int(n)) for j, n in self.pg.query(
            "SELECT j.id, count(t.id) FROM jobs j LEFT JOIN tasks t ON t.job_id = j.id"
            f" WHERE j.title LIKE '{self.prefix} s%' GROUP BY j.id"))
        missing = [j for j in self.acked_jobs() if j not in rows]
        assert not missing, f"acknowledged jobs missing: {missing[:10]}"
        partial = {j: n for j, n in rows.items() if n != SUBMIT_FRAMES}
        assert not partial, f"jobs without their {SUBMIT_FRAMES} tasks: {partial}"

    def verify_job_states(self):
        """doc/api.md §9.2, written out again: done when no task is left
        unfinished (failed when one failed), else paused stays paused, else
        running when an agent that is neither disabled nor offline holds a
        queued or running task, else queued (NULL)."""
        wrong = self.pg.query(
            "SELECT j.id, j.state, want FROM jobs j, LATERAL (SELECT CASE"
            "  WHEN NOT EXISTS (SELECT 1 FROM tasks t WHERE t.job_id = j.id"
            "                    AND (t.state IS NULL OR t.state NOT IN (106, 107)))"
            "  THEN CASE WHEN EXISTS (SELECT 1 FROM tasks t WHERE t.job_id = j.id"
            "                          AND t.state = 107) THEN 107 ELSE 106 END"
            "  WHEN j.state = 100 THEN 100"
            "  WHEN EXISTS (SELECT 1 FROM tasks t JOIN agents a ON a.id = t.agent_id"
            "                WHERE t.job_id = j.id AND (t.state IS NULL OR t.state = 105)"
            "                  AND a.state NOT IN (200, 201)) THEN 105 END AS want) w"
            f" WHERE j.title LIKE '{self.prefix} %' AND j.state IS DISTINCT FROM w.want")
        assert not wrong, f"{len(wrong)} jobs whose state is not their tasks', e.g. {wrong[:5]}"

    def recovered_after(self, moment):
        """Seconds from `moment` to the end of the last failed request after
        it (0.0 when none failed after it)."""
        late = [a.ended for a in self.failures(since=moment)]
        return max(late) - moment if late else 0.0

    def summary(self):
        answers = self.answers()
        ok = [a for a in answers if a.status is not None and a.status < 300]
        latencies = sorted(a.seconds * 1000 for a in ok)
        elapsed = max(self.finished - self.started, 1e-9)
        updates = sum(1 for a in ok if a.kind == "agent")
        statuses = collections.Counter(a.status or "none" for a in answers)
        dropped = sum(c.connection.dropped for c in self.clients)
        return (f"{len(answers)} requests in {elapsed:.1f} s ({len(answers) / elapsed:.0f}/s), "
                f"answers {dict(sorted(statuses.items(), key=str))}, "
                f"{dropped} sent again on a new connection (an idle keep-alive "
                f"connection closed by httpd); "
                f"{updates} task updates acknowledged, the last of each of "
                f"{len(self.acked_updates())} tasks checked in the database; "
                f"{len(self.acked_jobs())} submissions acknowledged, each job checked; "
                f"latency of the 2xx p50 {percentile(latencies, 50):.1f} ms, "
                f"p99 {percentile(latencies, 99):.1f} ms")


def stress(farm, seconds, clients=64):
    """`clients` clients at once for `seconds` over two httpd front ends
    (the farm's and a second one, another port, the same PostgreSQL):
    five in eight agents, the rest submitting and reading in equal parts.
    No 5xx and nothing lost, else AssertionError; returns the load."""
    second = farm.other_httpd("httpd-second")
    second.start()
    try:
        submitters = readers = clients * 3 // 16
        load = FarmLoad(farm.pg, [farm.httpd.port, second.port], prefix="stress",
                        agents=clients - submitters - readers, submitters=submitters,
                        readers=readers)
        load.prepare(jobs=16, tasks_per_job=250)
        load.run(seconds)
    finally:
        second.stop()
    failed = load.failures()
    assert failed == [], (f"{len(failed)} 5xx or no answer, e.g. "
                          f"{[(a.kind, a.status, a.problem) for a in failed[:5]]}")
    load.verify()
    return load
