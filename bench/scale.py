#!/usr/bin/env python3
"""The scale section of `make bench`: the same cases on a small and on a
large database, in two contracts.

Contracts (each its own private PostgreSQL cluster and httpd, started as
the integration tests start them, t/lib/farm.py):

  tuned  the harness of bench/run.py: fsync, synchronous_commit and
         full_page_writes off, max_connections 200, httpd on the unix
         socket
  plain  the README's admin contract: sql/schema.sql + sql/indexes.sql,
         PostgreSQL's defaults (max_connections 100 covers 4 children x
         DBDMax 16 + pgbench's 16 clients), DBDParams "host=127.0.0.1
         port=... dbname=pyfarm user=postgres" over TCP, no options

Small database: sql/demo.sql and bench/sql/data.sql (1,000 jobs).  Cases,
by wrk -t2 -c16 on loopback (C, a control: the same httpd serving P1's
answer as a static file, and pgbench below show how far the machine's own
speed drifted between a case's two runs):

  P1  GET  /api/v1/jobs/<id>
  P2  GET  /api/v1/jobs/?limit=100
  P3  GET  /api/v1/jobs/<id>/tasks/?limit=100            (a 100-task job)
  P4  POST /api/v1/jobs/<id>/tasks/<task>  queued <-> running over the
      100 tasks of that job, each assigned to an agent at 127.0.0.1, sent
      with the agent's User-Agent
  P5  the same, but every request sends running for a task the agent
      already runs (no state change, no job lock); its ceiling: pgbench
      -M prepared, a one-row UPDATE tasks SET progress over the same tasks
  P6  POST /api/v1/jobs/                                 (10 frames)

The large database is that one grown: 10,000 jobs of 100 tasks by SQL
(bench/sql/grow.sql) and one job of 1,000,000 frames (0-999,999)
submitted through the API (both timed), VACUUM (ANALYZE), CHECKPOINT.
Each size has its own cluster and httpd, side by side (the large one grown
first), and each case runs on the small one, then at once on the large
one: the other work on the machine changes its speed within minutes, and
a case's two runs are seconds apart.  Then, in the 1,000,000-task job:

  H1  state changes over 100 tasks at its start (each of H1-H3 after P4
      once more, its reference: seconds apart, in the same database)
  H2  ... over 100 tasks in its middle, the half before them done (SQL)
  H3  ... over its last 100 tasks, all others but 50 done (SQL)
  H4  GET .../tasks/?limit=100&after=<frame>,<id> at 90% of the job:
      req/s at 16 connections (against the job's first page just before),
      latency alone (1 connection)

Targets (issue 11; reported as met or missed, never failing the run):
every P case keeps >= 80% of its small-database rate; H1-H3 >= 50% of P4
(a 100-task job) in the same database; H4 answers in < 10 ms (p50 and p99
of one connection, both judged); P5 >= 50% of
its pgbench ceiling.  Every run checks what it measured: no non-2xx answer
or socket error, the state changes happened (every toggled task started),
repeated running changed nothing, the deep page holds exactly the 100
tasks after its cursor, in order, httpd's error_log is clean.

Writes the report to bench/last-scale.md.  --smoke (what the integration
test t/test_scale_smoke.py runs) is small (200 jobs, a 20,000-frame job,
1 s per case, tuned contract) and fails on any correctness problem; it
leaves bench/last-scale.md alone.  It runs one cluster and httpd, grown
between the sizes, and 8 connections: then no httpd child ever has all
its 16 workers busy, when the event MPM may close kept-alive connections
under a client's next request (which wrk counts as a socket error: the
measured runs report them).  Python standard library only.
"""

import argparse
import contextlib
import datetime
import io
import math
import os
import subprocess
import sys
import time

from benchlib import (AGENT_UA, BENCH_DIR, CONNECTIONS, MODULE, REPO, SQL_DIR, THREADS,
                      TMP_DIR, BenchError, Driver, cpu_name, cut_pct, err, farmlib, log,
                      rotation_lines, verdict)

REPORT_FILE = os.path.join(BENCH_DIR, "last-scale.md")

# Seconds of each warm-up and measured run; the sizes of the large
# database: extra 100-task jobs, frames of the huge job.  The smoke leaves
# out what only helps to read the figures ("references": the control C,
# P4 again before each of H1-H3, the first pass that opens httpd's
# database connections), and runs one cluster and httpd, grown between the
# sizes, instead of one per size side by side ("side_by_side").
PROFILES = {
    "full": {"warm": 2, "measure": 5, "jobs": 10_000, "huge": 1_000_000},
    "quick": {"warm": 1, "measure": 2, "jobs": 10_000, "huge": 1_000_000},
    "smoke": {"warm": 0, "measure": 1, "jobs": 200, "huge": 20_000, "connections": 8,
              "references": False, "side_by_side": False},
}

CONTRACTS = {
    "tuned": {"fast": True, "max_connections": 200, "dbd_tcp": False},
    "plain": {"fast": False, "max_connections": None, "dbd_tcp": True},
}
CONTRACT_TEXT = {
    "tuned": "bench/run.py's harness: fsync, synchronous_commit, full_page_writes off, "
             "max_connections 200, DBDParams over the unix socket",
    "plain": "the admin contract: PostgreSQL's defaults (max_connections {max_connections}), "
             "DBDParams \"host=127.0.0.1 port=... dbname=pyfarm user=postgres\" over TCP",
}

PAGE = 100              # tasks per page (P3, H4) and tasks per state-change case
DEEP = 0.9              # H4's cursor: this far into the huge job
UNDONE_AT_END = 150     # H3: tasks left unfinished, the last 100 of them toggled

TARGET_POINT = 0.80     # a P case at the large size vs the small size
TARGET_HUGE = 0.50      # H1-H3 vs P4
TARGET_PAGE_MS = 10.0   # H4, one request alone
TARGET_REPEAT = 0.50    # P5 vs its pgbench ceiling

CASES = (("P1", "GET /jobs/<id>"),
         ("P2", "GET /jobs/?limit=100"),
         ("P3", "GET /jobs/<id>/tasks/?limit=100"),
         ("P4", "task state change, 100-task job"),
         ("P5", "repeated running, 100-task job"),
         ("P6", "POST /jobs/ (10 frames)"))
HUGE_CASES = (("H1", "state change at the start"),
              ("H2", "state change in the middle"),
              ("H3", "state change near the end"))

STATE_SQL = {
    "queued": "state = NULL, time_started = NULL, time_finished = NULL",
    "running": "state = 105, time_started = now() AT TIME ZONE 'utc', time_finished = NULL",
}


def fmt_rate(result):
    return f"{result.rps:,.0f}{err(result)}"


class Scale(Driver):
    """One contract: its servers, the cases at both sizes, its report."""

    def __init__(self, contract, profile, module=MODULE):
        super().__init__(profile, os.path.join(
            TMP_DIR, time.strftime(f"bench-scale-{contract}-%H%M%S-") + str(os.getpid())))
        self.contract = contract
        self.module = module
        self.size = "small"
        self.references = profile.get("references", True)
        self.side_by_side = profile.get("side_by_side", True)
        self.farms, self.clients = {}, {}   # size -> Farm, Client
        self.rates = {}         # (case, size) -> Result
        self.ceiling = {}       # size -> pgbench Result of P5's ceiling
        self.page = {}          # "c16", "alone" -> Result of H4
        self.timings = []       # (what, seconds)
        self.problems = []      # correctness problems: fail a smoke
        self.submits = 0
        self.cases = profile.get("cases")  # None: every case

    # ---- servers and data

    def pg_host(self):
        """pgbench reaches PostgreSQL as httpd does."""
        return "127.0.0.1" if CONTRACTS[self.contract]["dbd_tcp"] else super().pg_host()

    def start(self):
        """Side by side, a cluster and an httpd for each size (the large one
        grows before the cases), so that each case runs on both sizes
        seconds apart; else one of each, grown between the sizes."""
        os.makedirs(self.basedir, exist_ok=True)
        for size in self.own_farms():
            log(f"{self.contract}: starting PostgreSQL and httpd in {self.basedir}/{size}")
            farm = farmlib.Farm(os.path.join(self.basedir, size), self.module,
                                **CONTRACTS[self.contract])
            self.farms[size] = farm
            farm.start()
            self.clients[size] = farmlib.Client(farm.httpd.port, timeout=600)
            self.use(size)
            self.start_farm()
        if not self.side_by_side:
            self.farms["large"], self.clients["large"] = self.farm, self.client
        self.use("small")

    def use(self, size):
        """Drive the servers of one size from now on."""
        self.size, self.farm, self.client = size, self.farms[size], self.clients[size]

    def start_farm(self):
        self.max_connections, self.need_connections = self.check_connection_budget()
        self.farm.pg.load_file(os.path.join(SQL_DIR, "data.sql"))
        self.psql("CHECKPOINT;")
        job_a = int(self.sql_value("SELECT id FROM jobs WHERE title = 'bench job 0001'"))
        tasks_a = self.job_tasks(job_a, 0)
        assigned = int(self.sql_value(
            f"SELECT count(*) FROM tasks WHERE job_id = {job_a} AND agent_id IS NOT NULL"))
        if len(tasks_a) != PAGE or assigned != PAGE:
            raise BenchError(f"unexpected benchmark data: job {job_a} has "
                             f"{len(tasks_a)} tasks, {assigned} assigned")
        if self.size == "small":
            self.job_a, self.tasks_a = job_a, tasks_a
        elif (job_a, tasks_a) != (self.job_a, self.tasks_a):
            raise BenchError("the two clusters' benchmark data have different ids")
        # httpd's children open their database connections (the first
        # requests wait for them, and the event MPM may close kept-alive
        # connections meanwhile): not in the first case's figures
        if self.references:
            self.wrk_once("get.lua", f"/api/v1/jobs/{self.job_a}", 1)
        # the control: P1's answer as a static file of the same httpd
        body = self.expect(self.client.get(f"/api/v1/jobs/{self.job_a}"), 200).body
        self.client.close()
        self.static_path = "/scale-job.json"
        with open(os.path.join(self.farm.httpd.htdocs, "scale-job.json"), "wb") as f:
            f.write(body)
        os.chmod(os.path.join(self.farm.httpd.htdocs, "scale-job.json"), 0o644)
        self.static_size = len(body)

    def psql(self, sql):
        return self.farm.pg.psql(sql)

    def timed_psql(self, what, sql):
        t0 = time.perf_counter()
        self.psql(sql)
        seconds = time.perf_counter() - t0
        self.timings.append((what, seconds))
        log(f"{self.contract}: {what}: {seconds:.1f} s")

    def job_tasks(self, job, after_frame):
        """(job, task) of the first PAGE tasks of `job` after a frame."""
        return [(int(j), int(t)) for j, t in self.sql_rows(
            f"SELECT job_id, id FROM tasks WHERE job_id = {job} AND frame > {after_frame}"
            f" ORDER BY frame, id LIMIT {PAGE}")]

    def set_tasks(self, tasks, state, vacuum=False):
        """The tasks queued (or running) again, as a run starts; with vacuum,
        dead rows of earlier runs are gone too, so that the runs start
        alike."""
        self.wait_idle()
        ids = ",".join(str(t) for _, t in tasks)
        sql = f"UPDATE tasks SET {STATE_SQL[state]} WHERE id IN ({ids});"
        if vacuum:
            sql += "\nVACUUM tasks, jobs, agents;"
        self.psql(sql)

    def assign(self, tasks):
        """The tasks assigned to the 127.0.0.1 agents of data.sql, round
        robin, as a scheduler would have done (data.sql does it for P4's)."""
        ids = ",".join(str(t) for _, t in tasks)
        self.psql(f"""
            UPDATE tasks t SET agent_id = md5('bench agent ' || (1 + a.n % 8))::uuid,
                               attempts = 1, sent_to_agent = true
              FROM (SELECT id, row_number() OVER (ORDER BY id) AS n
                      FROM tasks WHERE id IN ({ids})) a
             WHERE t.id = a.id;""")

    # ---- checks of what was measured

    def problem(self, msg):
        self.problems.append(f"{self.contract}, {self.size}: {msg}")
        log(f"{self.contract}: PROBLEM: {msg}")

    def checked(self, case, result):
        if result.errors:
            self.problem(f"{case}: {result.note}")
        if result.count == 0:
            self.problem(f"{case}: no request answered")
        return result

    def task_values(self, tasks, column):
        ids = ",".join(str(t) for _, t in tasks)
        return [v for (v,) in self.sql_rows(
            f"SELECT {column} FROM tasks WHERE id IN ({ids}) ORDER BY id")]

    def check_started(self, case, tasks, result):
        """After a measured run of state changes, which began with every
        task queued and never started: the tasks went running.  Each wrk
        thread sends running to its share of the tasks first, one after
        the other, so a thread that sent r requests started min(share, r)
        of them: with a short run, at least that many for the busiest
        thread; with 4 requests per task, every task."""
        self.wait_idle()
        started = sum(v is not None for v in self.task_values(tasks, "time_started"))
        share = len(tasks) // THREADS
        need = len(tasks) if result.count >= 4 * len(tasks) \
            else min(share, math.ceil(result.count / THREADS))
        if started < need:
            self.problem(f"{case}: {started} of {len(tasks)} tasks set running by "
                         f"{result.count} requests, expected at least {need}")

    # ---- the cases

    def get_case(self, case, path):
        result = self.wrk_case(f"{self.contract} {self.size} {case}", "get.lua", path)
        self.rates[(case, self.size)] = self.checked(case, result)

    def toggle_case(self, case, tasks):
        """queued <-> running over `tasks` (assigned to the agents)."""
        self.set_tasks(tasks, "queued", vacuum=True)
        probe = tasks[0]
        # a queued task with an agent shows as "assigned" (doc/api.md §0.7)
        for state, shown in (("running", "running"), ("queued", "assigned")):
            resp = self.client.post(f"/api/v1/jobs/{probe[0]}/tasks/{probe[1]}",
                                    json={"state": state}, headers={"User-Agent": AGENT_UA})
            if resp.status != 200 or resp.json().get("state") != shown:
                self.problem(f"{case}: {state} for task {probe[1]} answered "
                             f"{resp.status} {resp.text[:200]}")
        self.client.close()
        result = self.wrk_case(f"{self.contract} {self.size} {case}", "task_update.lua", "",
                               self.update_args(tasks),
                               between=lambda: self.set_tasks(tasks, "queued"))
        self.check_started(case, tasks, result)
        self.set_tasks(tasks, "queued")
        return self.checked(case, result)

    def repeat_case(self):
        """P5 and its ceiling, over the tasks of P4, all running."""
        tasks = self.tasks_a
        self.set_tasks(tasks, "running", vacuum=True)
        before = (self.task_values(tasks, "state"), self.task_values(tasks, "agent_id"),
                  self.task_values(tasks, "time_started"))
        result = self.wrk_case(f"{self.contract} {self.size} P5", "task_update.lua", "",
                               self.update_args(tasks, "running"))
        self.wait_idle()
        after = (self.task_values(tasks, "state"), self.task_values(tasks, "agent_id"),
                 self.task_values(tasks, "time_started"))
        if after != before:
            self.problem("P5: repeated running changed a task's state, agent or start time")
        self.rates[("P5", self.size)] = self.checked("P5", result)
        self.set_tasks(tasks, "running", vacuum=True)
        self.ceiling[self.size] = self.checked(
            "P5 ceiling", self.run_pgbench(f"update-{self.size}", self.update_script(tasks),
                                           {"n": 0}))
        self.set_tasks(tasks, "queued")

    def update_script(self, tasks):
        """P5's ceiling: one prepared one-row UPDATE per transaction, each
        client going round its share of the tasks as in bench/run.py."""
        path = os.path.join(self.basedir, "task_progress.sql")
        lines = ["-- generated by bench/scale.py: the ceiling of P5",
                 *rotation_lines(tasks, self.connections),
                 "\\set p random(0, 100)",
                 "UPDATE tasks SET progress = :p / 100.0 WHERE id = :task;"]
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def submit_case(self):
        self.submits += 1
        tag = f"{os.getpid()}-{self.contract}-{self.submits}"
        result = self.wrk_case(f"{self.contract} {self.size} P6", "submit.lua",
                               "/api/v1/jobs/", [tag])
        self.rates[("P6", self.size)] = self.checked("P6", result)
        stored = int(self.sql_value(
            f"SELECT count(*) FROM jobs WHERE title LIKE 'bench submit {tag}-%'"))
        if stored == 0:
            self.problem("P6: no job stored")

    def point_cases(self):
        """The cases run at both sizes (those --cases selects), as functions
        of no argument."""
        cases = [("C", lambda: self.get_case("C", self.static_path))] \
            if self.references else []
        cases += [
            ("P1", lambda: self.get_case("P1", f"/api/v1/jobs/{self.job_a}")),
            ("P2", lambda: self.get_case("P2", "/api/v1/jobs/?limit=100")),
            ("P3", lambda: self.get_case("P3", f"/api/v1/jobs/{self.job_a}/tasks/?limit={PAGE}")),
            ("P4", lambda: self.rates.__setitem__(("P4", self.size),
                                                  self.toggle_case("P4", self.tasks_a))),
            ("P5", self.repeat_case),
            ("P6", self.submit_case)]
        return [run for case, run in cases if self.selected(case)]

    def selected(self, case):
        return self.cases is None or case in self.cases

    # ---- growing

    def grow(self):
        jobs, frames = self.p["jobs"], self.p["huge"]
        grow_sql = os.path.join(SQL_DIR, "grow.sql").replace("'", "''")
        self.timed_psql(f"SQL: {jobs:,} jobs of 100 tasks, ANALYZE (bench/sql/grow.sql)",
                        f"\\set jobs {jobs}\n\\i '{grow_sql}'\n")
        # frames 0 to frames - 1: a frame is at most 999,999.9999
        body = {"title": f"scale huge {os.getpid()}", "jobtype": "Blender",
                "start": 0, "end": frames - 1}
        t0 = time.perf_counter()
        resp = self.client.post("/api/v1/jobs/", json=body)
        seconds = time.perf_counter() - t0
        self.client.close()
        self.expect(resp, 201)
        self.huge = resp.json()["id"]
        self.timings.append((f"POST /jobs/ of a {frames:,}-frame job", seconds))
        log(f"{self.contract}: POST /jobs/ of {frames:,} frames: {seconds:.2f} s")
        count = int(self.sql_value(f"SELECT count(*) FROM tasks WHERE job_id = {self.huge}"))
        if count != frames:
            self.problem(f"the {frames:,}-frame job has {count:,} tasks")
        self.timed_psql("VACUUM (ANALYZE), CHECKPOINT", "VACUUM (ANALYZE);\nCHECKPOINT;")

    def finish_tasks(self, what, frame_lo, frame_hi):
        """Tasks of the huge job in (frame_lo, frame_hi] done by SQL, then
        VACUUM (ANALYZE) and CHECKPOINT, so that the next case starts like
        the others."""
        self.wait_idle()
        self.timed_psql(what, f"""
            UPDATE tasks SET state = 106, progress = 1.0,
                             time_finished = now() AT TIME ZONE 'utc'
             WHERE job_id = {self.huge} AND frame > {frame_lo} AND frame <= {frame_hi};
            VACUUM (ANALYZE) tasks;
            CHECKPOINT;""")

    def huge_case(self, case, after_frame):
        """State changes over the PAGE tasks after a frame of the huge job
        (frames 0 to huge - 1), assigned to the agents first."""
        tasks = self.job_tasks(self.huge, after_frame)
        if len(tasks) != PAGE:
            raise BenchError(f"{case}: {len(tasks)} tasks after frame {after_frame}")
        self.assign(tasks)
        if self.references:
            self.rates[("P4", case)] = self.toggle_case(f"P4 before {case}", self.tasks_a)
        self.rates[(case, "large")] = self.toggle_case(case, tasks)

    def deep_page(self):
        """H4: the page of PAGE tasks after the task at DEEP of the job."""
        frame = int(DEEP * self.p["huge"])  # frames start at 0
        task = int(self.sql_value(f"SELECT id FROM tasks WHERE job_id = {self.huge}"
                                  f" AND frame = {frame} ORDER BY id LIMIT 1"))
        path = f"/api/v1/jobs/{self.huge}/tasks/?limit={PAGE}&after={frame},{task}"
        resp = self.client.get(path)
        self.client.close()
        try:
            page = resp.json() if resp.status == 200 else None
        except ValueError:
            page = None
        want = [float(f) for f in range(frame + 1, frame + PAGE + 1)]
        if page is None or [t.get("frame") for t in page] != want \
                or any(t.get("job_id") != self.huge for t in page):
            self.problem(f"H4: {path} answered {resp.status}, not the {PAGE} tasks after "
                         f"frame {frame} in order: {resp.text[:300]}")
        if self.references:
            self.page["first"] = self.checked("H4 first page", self.wrk_case(
                f"{self.contract} H4 first page", "get.lua",
                f"/api/v1/jobs/{self.huge}/tasks/?limit={PAGE}"))
        self.page["c16"] = self.checked("H4", self.wrk_case(
            f"{self.contract} H4", "get.lua", path))
        self.page["alone"] = self.checked("H4 alone", self.wrk_case(
            f"{self.contract} H4 alone", "get.lua", path, connections=1))
        self.page_frame = frame

    def run(self):
        self.find_tools()
        self.start()
        if self.side_by_side:
            self.use("large")
            self.grow()
            for case in self.point_cases():
                for size in ("small", "large"):
                    self.use(size)
                    case()
        else:
            for case in self.point_cases():
                case()
            self.grow()
            self.use("large")
            for case in self.point_cases():
                case()
        self.use("large")
        if self.selected("H"):
            self.huge_cases()
        for size in self.own_farms():
            self.use(size)
            for line in self.farm.httpd.error_log_problems():
                self.problem(f"httpd error_log: {line}")

    def huge_cases(self):
        """H1-H4, in the 1,000,000-task job."""
        last = self.p["huge"] - 1
        self.huge_case("H1", -1)
        self.deep_page()
        half = self.p["huge"] // 2
        self.finish_tasks(f"SQL: frames 0-{half - 1:,} of the huge job done, "
                          "VACUUM (ANALYZE) tasks, CHECKPOINT", -1, half - 1)
        self.huge_case("H2", half - 1)
        end = last - UNDONE_AT_END
        self.finish_tasks(f"SQL: frames {half:,}-{end:,} done (all but the last "
                          f"{UNDONE_AT_END}), VACUUM (ANALYZE) tasks, CHECKPOINT",
                          half - 1, end)
        self.huge_case("H3", last - PAGE)

    def own_farms(self):
        """The sizes with servers of their own."""
        return ("small", "large") if self.side_by_side else ("small",)

    def finish(self, ok, keep=False):
        for size in self.own_farms():
            if size in self.farms:
                self.use(size)
                super().finish(ok, keep, remove=False)
        if ok and not keep:
            farmlib.remove_basedir(self.basedir)

    # ---- the report

    def report(self):
        out = []
        add = out.append
        text = CONTRACT_TEXT[self.contract].format(max_connections=self.max_connections)
        add(f"## {self.contract} contract")
        add("")
        add(f"{text}; max_connections {self.max_connections} >= "
            f"{self.need_connections} needed.  Large database: {self.p['jobs']:,} more "
            f"100-task jobs and one job of {self.p['huge']:,} tasks.  "
            + ("Each size has its own cluster and httpd, side by side: every case ran on "
               "the small one, then at once on the large one." if self.side_by_side else
               "One cluster and httpd, grown between the sizes."))
        add("")
        add("The control rows depend neither on the module nor on the database's size "
            "(C: the same httpd serving P1's answer as a static file; pgbench's one-row "
            "UPDATE): how far they move between their two runs is how far the machine's "
            "own speed drifted meanwhile.")
        add("")
        add("| case | small req/s | large req/s | large/small | target | verdict |")
        add("|---|--:|--:|--:|---|---|")
        if self.selected("C") and self.references:
            c_small, c_large = self.rates[("C", "small")], self.rates[("C", "large")]
            add(f"| C control: static file, {self.static_size:,} B | {fmt_rate(c_small)} | "
                f"{fmt_rate(c_large)} | {cut_pct(c_large.rps, c_small.rps)} | | |")
        for case, title in CASES:
            if not self.selected(case):
                continue
            small, large = self.rates[(case, "small")], self.rates[(case, "large")]
            ok = large.rps >= TARGET_POINT * small.rps
            add(f"| {case} {title} | {fmt_rate(small)} | {fmt_rate(large)} | "
                f"{cut_pct(large.rps, small.rps)} | >= {TARGET_POINT:.0%} | {verdict(ok)} |")
        if self.selected("P5"):
            self.report_ceiling(add)
        add("")
        if self.selected("H"):
            self.report_huge(add)
        add("Data growth:")
        add("")
        for what, seconds in self.timings:
            add(f"- {what}: {seconds:.1f} s")
        if self.problems:
            add("")
            add("**Problems** (the figures above may not measure what they say):")
            add("")
            for line in self.problems:
                add(f"- {line}")
        return out

    def report_ceiling(self, add):
        add("| control: pgbench one-row UPDATE (P5's ceiling) | "
            f"{fmt_rate(self.ceiling['small'])} | "
            f"{fmt_rate(self.ceiling['large'])} | "
            f"{cut_pct(self.ceiling['large'].rps, self.ceiling['small'].rps)} | | |")
        for size in ("small", "large"):
            p5, c = self.rates[("P5", size)], self.ceiling[size]
            add(f"| P5 / its ceiling, {size} database | | | {cut_pct(p5.rps, c.rps)} | "
                f">= {TARGET_REPEAT:.0%} | {verdict(p5.rps >= TARGET_REPEAT * c.rps)} |")

    def report_huge(self, add):
        p4s, p4l = self.rates[("P4", "small")], self.rates[("P4", "large")]
        add(f"State changes in the {self.p['huge']:,}-task job against P4, the 100-task "
            f"job ({p4s.rps:,.0f}/s small, {p4l.rps:,.0f}/s large, and measured again just "
            "before each case; the target is met against that one, measured seconds "
            "apart in the same database):")
        add("")
        add("| case | req/s | p50 ms | p99 ms | P4 just before | vs it | vs P4 large "
            "| vs P4 small | target | verdict |")
        add("|---|--:|--:|--:|--:|--:|--:|--:|---|---|")
        for case, title in HUGE_CASES:
            r = self.rates[(case, "large")]
            beside = self.rates.get(("P4", case), p4l)
            ok = r.rps >= TARGET_HUGE * beside.rps
            add(f"| {case} {title} | {fmt_rate(r)} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | "
                f"{fmt_rate(beside)} | {cut_pct(r.rps, beside.rps)} | "
                f"{cut_pct(r.rps, p4l.rps)} | {cut_pct(r.rps, p4s.rps)} | "
                f">= {TARGET_HUGE:.0%} | {verdict(ok)} |")
        add("")
        c16, alone = self.page["c16"], self.page["alone"]
        first = self.page.get("first")
        add(f"H4, GET .../tasks/?limit={PAGE}&after= frame {self.page_frame:,} of the "
            f"{self.p['huge']:,}-task job:")
        add("")
        add("| connections | req/s | p50 ms | p99 ms | target | verdict |")
        add("|--:|--:|--:|--:|---|---|")
        add(f"| {self.connections} | {fmt_rate(c16)}"
            + (f" ({cut_pct(c16.rps, first.rps)} of the job's first page, "
               f"{fmt_rate(first)}/s just before)" if first else "") + " | "
            f"{c16.p50_ms:.2f} | {c16.p99_ms:.2f} | | |")
        add(f"| 1 | {fmt_rate(alone)} | {alone.p50_ms:.2f} | {alone.p99_ms:.2f} | "
            f"p50 < {TARGET_PAGE_MS:.0f} ms; p99 < {TARGET_PAGE_MS:.0f} ms | "
            f"{verdict(alone.p50_ms < TARGET_PAGE_MS)}; "
            f"{verdict(alone.p99_ms < TARGET_PAGE_MS)} |")
        add("")


def header(args, profile, contracts):
    connections = profile.get("connections", CONNECTIONS)
    commit = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip() or "?"
    return [f"# mod_pyfarm_jobs benchmark, scale section, {datetime.datetime.now():%Y-%m-%d %H:%M}",
            "",
            f"Commit {commit}; {args.profile} run, contracts {', '.join(contracts)}; "
            f"{cpu_name()}, {os.cpu_count()} cores shared by servers and load generators; "
            f"load average {os.getloadavg()[0]:.2f} at the end.  wrk -t{THREADS} "
            f"-c{connections} (H4 also -c1) and pgbench -M prepared -c{connections} "
            f"-j{THREADS}; every figure is a measured run of {profile['measure']} s"
            + (f" after a {profile['warm']} s warm-up" if profile["warm"] else "")
            + ".  Small database: sql/demo.sql + bench/sql/data.sql (1,000 jobs, one of "
            "100 tasks); large: that plus bench/sql/grow.sql and a job submitted through "
            "the API (see each contract).  Ratios are within one run of one contract; "
            "targets are reported, never enforced.",
            ""]


def run_contracts(args, module=MODULE):
    """Each contract in turn; returns (report lines, problems)."""
    profile = dict(PROFILES[args.profile])
    if args.warm is not None:
        profile["warm"] = args.warm
    if args.measure is not None:
        profile["measure"] = args.measure
    if args.cases is not None:
        profile["cases"] = set(args.cases.split(","))
        unknown = profile["cases"] - {"C", "H"} - {case for case, _ in CASES}
        if unknown:
            raise BenchError(f"unknown cases {sorted(unknown)}; known: C, "
                             + ", ".join(case for case, _ in CASES) + ", H")
    contracts = args.contracts.split(",")
    unknown = set(contracts) - set(CONTRACTS)
    if unknown:
        raise BenchError(f"unknown contracts {sorted(unknown)}; known: {', '.join(CONTRACTS)}")
    sections, problems = [], []
    for contract in contracts:
        scale = Scale(contract, profile, module)
        ok = False
        try:
            scale.run()
            sections += scale.report() + [""]
            problems += scale.problems
            ok = not scale.problems
        finally:
            scale.finish(ok, args.keep)
    return header(args, profile, contracts) + sections, problems


def smoke(module=MODULE):
    """The CI smoke (t/test_scale_smoke.py): every case once, small sizes,
    tuned contract.  Returns (problems, everything printed)."""
    args = parse_args(["--smoke"])
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        try:
            lines, problems = run_contracts(args, module)
            print("\n".join(lines))
        except (BenchError, farmlib.CommandError, RuntimeError, TimeoutError) as exc:
            problems = [f"FAILED: {exc}"]
    return problems, printed.getvalue()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", dest="profile", action="store_const", const="quick",
                       help="shorter runs (1 s warm-ups, 2 s runs), same sizes")
    group.add_argument("--smoke", dest="profile", action="store_const", const="smoke",
                       help="CI smoke: 200 jobs, a 20,000-frame job, 1 s per case, 8 "
                            "connections, tuned contract; fails on any correctness problem")
    parser.set_defaults(profile="full")
    parser.add_argument("--contracts", metavar="LIST",
                        help=f"comma-separated subset of {','.join(CONTRACTS)} "
                             "(default: both; tuned for --smoke)")
    parser.add_argument("--warm", type=int, help="warm-up seconds of every run")
    parser.add_argument("--measure", type=int, help="measured seconds of every run")
    parser.add_argument("--cases", metavar="LIST",
                        help="comma-separated subset of C,P1,...,P6 (each at both sizes) "
                             "and H (H1-H4 in the huge job); default: all")
    parser.add_argument("--keep", action="store_true",
                        help="leave each contract's servers running afterwards")
    args = parser.parse_args(argv)
    if args.contracts is None:
        args.contracts = "tuned" if args.profile == "smoke" else ",".join(CONTRACTS)
    return args


def main():
    args = parse_args()
    try:
        lines, problems = run_contracts(args)
    except (BenchError, farmlib.CommandError, RuntimeError, TimeoutError) as exc:
        print(f"bench: FAILED: {exc}", file=sys.stderr)
        return 1
    text = "\n".join(lines).rstrip("\n") + "\n"
    print()
    print(text, end="", flush=True)
    if args.profile == "smoke" or args.warm is not None or args.measure is not None \
            or args.cases is not None or args.contracts != ",".join(CONTRACTS):
        log(f"a smoke or partial run: {os.path.relpath(REPORT_FILE)} left as it was")
    else:
        with open(REPORT_FILE, "w", encoding="utf-8") as f:
            f.write(text)
        log(f"written to {os.path.relpath(REPORT_FILE)}")
    if problems and args.profile == "smoke":
        print(f"bench: FAILED: {len(problems)} problems", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
