#!/usr/bin/env python3
"""Benchmark of mod_pyfarm_jobs against the machine's own ceilings (`make bench`).

Starts the built module in a real httpd (mpm_event) over a private
PostgreSQL cluster, exactly as the integration tests do (t/lib/farm.py),
loads benchmark data (bench/sql/data.sql: 1,000 jobs, one of 100 tasks,
agents), and drives it with wrk on loopback at 16 connections:

  1   GET  /api/v1/jobs/<id>
  2   GET  /api/v1/jobs/?limit=100                  (100 jobs)
  3   GET  /api/v1/jobs/<id>/tasks/                 (100 tasks)
  4a  POST /api/v1/jobs/<id>/tasks/<task>           state changes over the
                                                    100 tasks of one job
  4b  POST /api/v1/jobs/<id>/tasks/<task>           ... over 100 tasks of
                                                    100 jobs
  5   POST /api/v1/jobs/                            10-frame jobs
      and single timed submits of 10,000- and 100,000-frame jobs, each
      beside the bare INSERT of as many task rows (its database ceiling)

In the same run it measures the ceilings of the same machine: the same httpd
serving a static file as large as each answer (the HTTP ceiling), and
pgbench -M prepared at the same concurrency running the module's own
statements with the module's own parameters (bench/sql/*.sql; the database
ceiling) for cases 1, 4a and 4b.  Every measured run follows a warm-up.
Memory: the RSS of httpd's children across the run, and the peak while the
tasks of a 100,000-task job are listed.

Prints one table and writes it to bench/last-run.md.  Python standard
library only; needs wrk and pgbench (scripts/deps.sh installs both).
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import threading
import time

from benchlib import (AGENT_UA, BENCH_DIR, CONNECTIONS, MODULE, REPO, SQL_DIR, THREADS,
                      TMP_DIR, BenchError, Driver, cpu_name, cut_pct, err, farmlib, log,
                      rotation_lines, verdict)

REPORT_FILE = os.path.join(BENCH_DIR, "last-run.md")
JSON_TYPE = {"Content-Type": "application/json"}
LIST_LIMIT = 100        # case 2: jobs per list

# Durations in seconds: warm-up and measured run of each module and
# pgbench case, of each static-file ceiling, the short pass over every case
# before the memory baseline, and how often each big submit is timed.
PROFILES = {
    "full": {"warm": 5, "measure": 15, "static_warm": 3, "static_measure": 10,
             "prewarm": 2, "big_repeats": 3},
    "quick": {"warm": 1, "measure": 3, "static_warm": 1, "static_measure": 2,
              "prewarm": 1, "big_repeats": 1},
}

# The targets (a benchmark, never a timed test: misses are reported).
TARGET_HTTP_RATIO = 0.50     # case 1 vs the static file
TARGET_DB_RATIO = 0.50       # cases 1, 4a, 4b vs pgbench
TARGET_SUBMIT_RPS = 4000     # case 5
TARGET_BIG_SUBMIT_S = 0.5    # 100,000 frames
TARGET_LIST_RSS_MIB = 64     # peak growth while listing 100,000 tasks
RSS_GROWTH_TOLERANCE_KIB = 1024  # "no growth" over the last pass: noise below this

ALL_CASES = ("1", "2", "3", "4a", "4b", "5", "big", "memory")


# ----------------------------------------------------- pgbench script text

class SqlCommand:
    """One command of a pgbench script: SQL (label = the module's statement
    name from the `-- pfj_...` line above it, or None) or a meta-command."""

    def __init__(self, text, label=None):
        self.text, self.label = text, label

    @property
    def is_meta(self):
        return self.text.startswith("\\")


def read_script(path):
    """The commands of a bench/sql file: comment lines dropped, a statement
    ends with the line that ends with ";"."""
    commands, buf, label = [], [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            stripped = line.strip()
            if not buf:
                if not stripped:
                    continue
                if stripped.startswith("--"):
                    m = re.match(r"--\s*(pfj_\w+)\s*$", stripped)
                    if m:
                        label = m.group(1)
                    continue
                if stripped.startswith("\\"):
                    commands.append(SqlCommand(stripped))
                    continue
            buf.append(line)
            if stripped.endswith(";"):
                commands.append(SqlCommand("\n".join(buf), label))
                buf, label = [], None
    if buf:
        raise BenchError(f"{path}: last statement has no ';'")
    return commands


def normalized(sql):
    """SQL without whitespace and with every parameter as "?": apr_dbd's
    $n of the module and pgbench's :name compare equal."""
    sql = sql.strip().rstrip(";")
    sql = re.sub(r"\$\d+", "?", sql)
    sql = re.sub(r"(?<![:\w]):[A-Za-z_]\w*", "?", sql)
    return re.sub(r"\s+", "", sql)


def command_name(cmd):
    """BEGIN, COMMIT or the statement's label, as the module's log shows them."""
    word = cmd.text.split()[0].rstrip(";").upper()
    return word if word in ("BEGIN", "COMMIT") else cmd.label


# -------------------------------------------------- the module's own words

# What the module runs once on each connection mod_dbd opens (src/http/
# db_session.c); the probe's first requests may find it in the log, or not,
# as the children open their connections.
SESSION_SETUP = "pfj_session_setup"
LOG_LINE = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] (LOG|DETAIL):  (.*)$")
LOG_PARAM = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')")


def read_module_log(path, since):
    """From PostgreSQL's log with log_statement = all: the statements the
    module prepared ({label: (types, sql)}, whole file) and what its
    sessions ran after byte offset `since`, in order: ("BEGIN"|"COMMIT",
    None) or (label, [parameter values, None for NULL])."""
    prepared, events, last_exec = {}, [], {}
    with open(path, "rb") as f:
        data = f.read()
    offset = 0
    for raw in data.splitlines(keepends=True):
        start, offset = offset, offset + len(raw)
        m = LOG_LINE.match(raw.decode("utf-8", errors="replace").rstrip("\n"))
        if not m:
            continue
        pid, kind, text = m.groups()
        p = re.match(r"statement: PREPARE (pfj_\w+) \(([^)]*)\) AS (.*)$", text)
        if kind == "LOG" and p:
            prepared[p.group(1)] = (p.group(2), p.group(3))
            continue
        if start < since:
            continue
        if kind == "LOG" and text in ("statement: BEGIN TRANSACTION", "statement: BEGIN"):
            events.append(("BEGIN", None))
        elif kind == "LOG" and text in ("statement: COMMIT", "statement: ROLLBACK"):
            events.append((text.split()[-1], None))
        elif kind == "LOG" and (e := re.match(r"execute (pfj_\w+): ", text)):
            if e.group(1) == SESSION_SETUP:  # a connection opened, not a request
                last_exec.pop(pid, None)
                continue
            events.append((e.group(1), []))
            last_exec[pid] = events[-1]
        elif kind == "DETAIL" and text.startswith("parameters: ") and pid in last_exec:
            values = [None if v == "NULL" else v[1:-1].replace("''", "'")
                      for _, v in LOG_PARAM.findall(text)]
            last_exec.pop(pid)[1].extend(values)
    return prepared, events


# --------------------------------------------------------------- the bench

class Bench(Driver):
    def __init__(self, args):
        super().__init__(dict(PROFILES["quick" if args.quick else "full"]),
                         os.path.join(TMP_DIR, time.strftime("bench-%Y%m%d-%H%M%S-")
                                      + str(os.getpid())))
        self.args = args
        if args.warm is not None:
            self.p["warm"] = self.p["static_warm"] = args.warm
        if args.measure is not None:
            self.p["measure"] = self.p["static_measure"] = args.measure
        self.cases = set(args.cases.split(",")) if args.cases else set(ALL_CASES)
        unknown = self.cases - set(ALL_CASES)
        if unknown:
            raise BenchError(f"unknown cases {sorted(unknown)}; known: {', '.join(ALL_CASES)}")
        self.rows = []          # (case, Result, [(ceiling name, Result)])
        self.big = {}           # frames -> [seconds]
        self.big_ceiling = {}   # frames -> [seconds of the bare INSERT]
        self.memory = {}
        self.fidelity = []      # lines for the report
        self.drift = False
        self.notes = []
        self.submit_runs = 0

    # ---- setup

    def preflight(self):
        self.find_tools()
        self.load_before = os.getloadavg()
        if self.load_before[0] >= 1.0:
            log(f"note: load average is {self.load_before[0]:.2f}: other work shares "
                "the cores, absolute figures will be noisy (the ratios less so)")

    def start(self):
        log(f"starting PostgreSQL and httpd in {self.basedir}")
        self.farm = farmlib.Farm(self.basedir, MODULE)
        self.farm.start()
        self.client = farmlib.Client(self.farm.httpd.port, timeout=600)
        self.check_connection_budget()
        log("loading the benchmark data (bench/sql/data.sql)")
        self.farm.pg.load_file(os.path.join(SQL_DIR, "data.sql"))
        self.find_data()

    def find_data(self):
        self.job_a = int(self.sql_value("SELECT id FROM jobs WHERE title = 'bench job 0001'"))
        self.tasks_a = [(int(j), int(t)) for j, t in self.sql_rows(
            f"SELECT job_id, id FROM tasks WHERE job_id = {self.job_a} ORDER BY frame, id")]
        self.tasks_b = [(int(j), int(t)) for j, t in self.sql_rows(
            "SELECT t.job_id, t.id FROM tasks t JOIN jobs j ON j.id = t.job_id"
            " WHERE j.title BETWEEN 'bench job 0002' AND 'bench job 0101'"
            "   AND t.frame = 1 ORDER BY j.id")]
        jobs = int(self.sql_value("SELECT count(*) FROM jobs WHERE title LIKE 'bench job %'"))
        if len(self.tasks_a) != 100 or len(self.tasks_b) != 100 or jobs != 1000:
            raise BenchError(f"unexpected benchmark data: {jobs} jobs, "
                             f"{len(self.tasks_a)} + {len(self.tasks_b)} tasks")
        self.update_task_ids = [t for _, t in self.tasks_a + self.tasks_b]

    # ---- what the module runs, from PostgreSQL's log

    def probe_module(self):
        """Restart httpd with log_statement = all, send one GET of the job
        and, for every task of 4a and 4b, the same two updates the benchmark
        sends (running, then queued); read back from PostgreSQL's log the
        statements the module prepared, the transactions it ran and the
        parameters it sent.  Then restart httpd without logging."""
        log("probing the module's statements and parameters (log_statement = all)")
        pg, httpd = self.farm.pg, self.farm.httpd
        pg.psql("ALTER DATABASE pyfarm SET log_statement = 'all';")
        try:
            httpd.stop()
            httpd.start()
            since = os.path.getsize(pg.logfile)
            self.client.close()
            self.expect(self.client.get(f"/api/v1/jobs/{self.job_a}"), 200)
            for job, task in self.tasks_a + self.tasks_b:
                for state in ("running", "queued"):
                    self.expect(self.client.post(
                        f"/api/v1/jobs/{job}/tasks/{task}", json={"state": state},
                        headers={"User-Agent": AGENT_UA}), 200)
            self.client.close()
            time.sleep(0.3)
            prepared, events = read_module_log(pg.logfile, since)
        finally:
            pg.psql("ALTER DATABASE pyfarm RESET log_statement;")
            httpd.stop()
            httpd.start()
        self.check_statements(prepared)
        self.check_job_get(events)
        self.plans = self.check_task_updates(events)

    def check_statements(self, prepared):
        """Every statement of bench/sql/*.sql must be the module's (text
        without whitespace, any parameter names)."""
        for name in ("job_get.sql", "task_update.sql"):
            for cmd in read_script(os.path.join(SQL_DIR, name)):
                if not cmd.label:
                    continue
                if cmd.label not in prepared:
                    self.flag_drift(f"{name}: the module no longer prepares {cmd.label}")
                    continue
                types, module_sql = prepared[cmd.label]
                if normalized(module_sql) != normalized(cmd.text):
                    self.flag_drift(f"{name}: {cmd.label} differs from the module's; "
                                    f"the module's is now:\n    {module_sql}")
                else:
                    self.fidelity.append(f"`{name}` {cmd.label}({types}): same SQL text "
                                         "as the module prepares")

    def transactions(self, events):
        """Events grouped into requests: a BEGIN...COMMIT block or one
        statement outside a transaction."""
        groups, current = [], None
        for name, params in events:
            if name == "BEGIN":
                current = [(name, params)]
            elif current is not None:
                current.append((name, params))
                if name in ("COMMIT", "ROLLBACK"):
                    groups.append(current)
                    current = None
            else:
                groups.append([(name, params)])
        return groups

    def script_shape(self, name):
        return [command_name(c) for c in read_script(os.path.join(SQL_DIR, name))
                if not c.is_meta]

    def check_job_get(self, events):
        groups = self.transactions(events)
        first = [n for n, _ in groups[0]] if groups else []
        shape = self.script_shape("job_get.sql")
        if first != shape:
            self.flag_drift(f"GET /jobs/<id> ran {first}, job_get.sql runs {shape}")
            return
        params = groups[0][0][1]
        if params[:1] != [str(self.job_a)] or params[1:] != [None]:
            self.flag_drift(f"GET /jobs/<id> sent pfj_job_get{params}, "
                            f"job_get.sql sends (job, title-unused)")
        self.fidelity.append(f"GET /jobs/<id> runs {' '.join(first)} with "
                             f"$1 = {params[0]}, $2 = NULL: job_get.sql does the same "
                             "(title is never read)")

    def check_task_updates(self, events):
        """The plans the module sent: {(task, 0 running | 1 queued): plan}."""
        shape = self.script_shape("task_update.sql")
        plans, seen = {}, {}
        groups = self.transactions(events)
        # each update: the peek (a statement of its own), then its
        # transaction
        updates = [peek + group for peek, group in zip(groups, groups[1:])
                   if [n for n, _ in peek] == ["pfj_task_peek"] and group[0][0] == "BEGIN"]
        for group in updates:
            names = [n for n, _ in group]
            if names != shape:
                self.flag_drift(f"a task update ran {names}, task_update.sql runs {shape}; "
                                "no DB ceiling for 4a and 4b")
                return None
            params = dict(group[:1] + group[2:-1])
            task, job = (int(v) for v in params["pfj_task_peek"][:2])
            # the task, its job, no title; every update of 4a/4b moves its
            # task, so the job's lock is taken (lock=true in
            # task_update.sql)
            if params["pfj_task_peek"][2:] != [None] \
                    or params["pfj_task_current"] != [str(job), "true", str(task), str(job),
                                                      None]:
                self.flag_drift(f"pfj_task_peek got {params['pfj_task_peek']}, "
                                f"pfj_task_current {params['pfj_task_current']}, "
                                f"expected the task {task}, its job {job}, the lock and "
                                "no title")
            state = seen.get(task, 0)
            seen[task] = state + 1
            plans[(task, state)] = params["pfj_task_apply"][0]
        missing = [t for t in self.update_task_ids if (t, 0) not in plans or (t, 1) not in plans]
        if missing:
            raise BenchError(f"the probe did not see the updates of tasks {missing[:5]}...")
        t = self.tasks_a[0][1]
        self.fidelity.append(f"a task update runs {' '.join(shape)} (task_update.sql "
                             f"likewise); pgbench sends the module's own plans, e.g. "
                             f"`{plans[(t, 0)]}` then `{plans[(t, 1)]}`")
        return plans

    def flag_drift(self, msg):
        self.drift = True
        self.fidelity.append(f"**DRIFT**: {msg}")
        log(f"WARNING: pgbench scripts no longer match the module: {msg}")

    # ---- static files and state between runs

    def write_static_files(self):
        """The module's answers of cases 1-3, saved as static files: the
        HTTP ceiling serves files exactly as large."""
        self.static = {}
        for key, path in (("job", f"/api/v1/jobs/{self.job_a}"),
                          ("list", f"/api/v1/jobs/?limit={LIST_LIMIT}"),
                          ("tasks", f"/api/v1/jobs/{self.job_a}/tasks/")):
            body = self.expect(self.client.get(path), 200).body
            name = f"bench-{key}.json"
            with open(os.path.join(self.farm.httpd.htdocs, name), "wb") as f:
                f.write(body)
            os.chmod(os.path.join(self.farm.httpd.htdocs, name), 0o644)
            self.static[key] = ("/" + name, len(body))
        count = len(json.loads(self.client.get(f"/api/v1/jobs/?limit={LIST_LIMIT}").body))
        if count != LIST_LIMIT:
            raise BenchError(f"the jobs list has {count} entries, expected {LIST_LIMIT}")
        self.client.close()

    def reset_tasks(self, vacuum=False):
        """Every task of 4a/4b queued again (state changes start from
        queued); with vacuum, dead rows of earlier runs are gone too, so the
        module and pgbench start alike."""
        self.wait_idle()
        ids = ",".join(map(str, self.update_task_ids))
        sql = (f"UPDATE tasks SET state = NULL, time_started = NULL, time_finished = NULL"
               f" WHERE id IN ({ids});")
        if vacuum:
            sql += "\nVACUUM tasks, jobs, agents;"
        self.farm.pg.psql(sql)

    def rotation_script(self, label, tasks):
        """task_update.sql for pgbench rotation: client c updates the tasks
        c, c+16, c+32... of the list in turn, each running then queued
        then running..., with the module's plan for that task and state."""
        n = len(tasks)
        out = [f"-- generated by bench/run.py from bench/sql/task_update.sql, case {label}",
               *rotation_lines(tasks),
               "\\set k 2 * :i + (:n / :cnt) % 2"]
        defines = {"n": 0, "title": "-", "lock": "true"}
        for cmd in read_script(os.path.join(SQL_DIR, "task_update.sql")):
            if cmd.label != "pfj_task_apply":
                out.append(cmd.text)
                continue
            for k in range(2 * n):
                out.append(f"\\{'if' if k == 0 else 'elif'} :k = {k}")
                out.append(re.sub(r":plan\b", f":plan_{k}", cmd.text))
                defines[f"plan_{k}"] = self.plans[(tasks[k // 2][1], k % 2)]
            out.append("\\endif")
        path = os.path.join(self.basedir, f"task_update-{label}.sql")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(out) + "\n")
        return path, defines

    # ---- memory

    def children_rss(self):
        rss = {}
        for pid in self.farm.httpd.child_pids():
            try:
                rss[pid] = farmlib.rss_kib(pid)
            except (OSError, ValueError):
                pass
        return rss

    # ---- the cases

    def module_pass(self):
        """A short run of every module case; returns the requests sent."""
        s = self.p["prewarm"]
        runs = [self.wrk_once("get.lua", f"/api/v1/jobs/{self.job_a}", s),
                self.wrk_once("get.lua", f"/api/v1/jobs/?limit={LIST_LIMIT}", s),
                self.wrk_once("get.lua", f"/api/v1/jobs/{self.job_a}/tasks/", s),
                self.wrk_once("task_update.lua", "", s, self.update_args(self.tasks_a)),
                self.wrk_once("submit.lua", "/api/v1/jobs/", s, self.submit_args())]
        self.reset_tasks(vacuum=True)
        return sum(r.count for r in runs)

    def prewarm(self):
        """The memory baseline is taken after a first pass over every case,
        once httpd's pools and connections have grown."""
        log(f"pre-warming every case for {self.p['prewarm']}s")
        self.module_pass()

    def leak_pass(self):
        """After the run, one more pass over every case: by then every
        thread's pools have reached their size, and what a pass adds is
        what requests leave behind."""
        log("one more pass over every case, watching RSS")
        before = self.children_rss()
        requests = self.module_pass()
        after = self.children_rss()
        common = set(before) & set(after)
        self.memory["pass"] = {"requests": requests, "before": before, "after": after,
                               "growth_kib": sum(after[p] - before[p] for p in common)}

    def submit_args(self):
        self.submit_runs += 1
        return [f"{os.getpid()}-{self.submit_runs}"]

    def static_ceiling(self, key):
        path, size = self.static[key]
        return (f"HTTP: static {size:,} B",
                self.wrk_case(f"static {path} ({size} B)", "get.lua", path, static=True))

    def case_get(self, number, title, path, static_key, pgbench=None):
        ceilings = [self.static_ceiling(static_key)]
        result = self.wrk_case(f"case {number}", "get.lua", path)
        if pgbench:
            ceilings.append(pgbench())
        self.rows.append((f"{number} {title}", result, ceilings))

    def pgbench_job_get(self):
        result = self.run_pgbench("job_get", os.path.join(SQL_DIR, "job_get.sql"),
                                  {"job": self.job_a, "title": "-"})
        return ("DB: pgbench job_get.sql", result)

    def case_updates(self, label, title, tasks):
        self.reset_tasks(vacuum=True)
        result = self.wrk_case(f"case {label}", "task_update.lua", "",
                               self.update_args(tasks), between=self.reset_tasks)
        ceilings = []
        if self.plans is not None:
            self.reset_tasks(vacuum=True)
            script, defines = self.rotation_script(label, tasks)
            ceilings.append(("DB: pgbench task_update.sql",
                             self.run_pgbench(label, script, defines)))
        self.reset_tasks()
        self.rows.append((f"{label} {title}", result, ceilings))

    def case_submit(self):
        ceiling = self.static_ceiling("job")
        result = self.wrk_case("case 5", "submit.lua", "/api/v1/jobs/", self.submit_args())
        self.rows.append(("5 POST /jobs/ (10 frames)", result, [ceiling]))

    def big_submits(self):
        for frames in (10_000, 100_000):
            times, ceiling = [], []
            for n in range(self.p["big_repeats"]):
                body = {"title": f"bench big {frames} {os.getpid()}-{n}",
                        "jobtype": "Blender", "start": 1, "end": frames}
                t0 = time.perf_counter()
                resp = self.client.post("/api/v1/jobs/", json=body)
                times.append(time.perf_counter() - t0)
                self.expect(resp, 201)
                ceiling.append(self.bare_insert_seconds(resp.json()["id"], frames))
                if frames == 100_000:
                    self.big_job = resp.json()["id"]
            self.big[frames] = times
            self.big_ceiling[frames] = ceiling
            log(f"submit of {frames:,} frames: " + ", ".join(f"{t:.3f}s" for t in times)
                + "; the bare INSERT: " + ", ".join(f"{t:.3f}s" for t in ceiling))
        self.client.close()

    def bare_insert_seconds(self, job, frames):
        """The submit's database ceiling: PostgreSQL's own time (psql's
        \\timing) for one INSERT ... SELECT generate_series of as many task
        rows into the job, with the tasks' indexes and foreign keys as the
        module's submit has them but none of its work (the job row, tiles,
        tags, the answer), rolled back."""
        out = self.farm.pg.psql(
            "BEGIN;\n\\timing on\n"
            "INSERT INTO tasks (job_id, frame, priority, attempts, failures, progress,"
            " hidden, sent_to_agent, time_submitted)"
            f" SELECT {int(job)}, f, 0, 0, 0, 0.0, false, false, now() at time zone 'utc'"
            f" FROM generate_series({frames + 1}, {2 * frames}) AS f;\n"
            "\\timing off\nROLLBACK;\n")
        return float(re.search(r"Time: ([0-9.]+) ms", out).group(1)) / 1000

    def list_big_job(self):
        """GET .../tasks/ of a 100,000-task job while sampling the RSS of
        every child every few milliseconds."""
        if not hasattr(self, "big_job"):
            self.big_submits_for_memory()
        before = self.children_rss()
        peak = dict(before)
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                for pid in list(peak):
                    try:
                        peak[pid] = max(peak[pid], farmlib.rss_kib(pid))
                    except (OSError, ValueError):
                        pass
                time.sleep(0.005)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t0 = time.perf_counter()
        resp = self.client.get(f"/api/v1/jobs/{self.big_job}/tasks/")
        elapsed = time.perf_counter() - t0
        stop.set()
        sampler.join()
        self.client.close()
        self.expect(resp, 200)
        count = len(json.loads(resp.body))
        growth = {pid: peak[pid] - before[pid] for pid in before}
        self.memory["list"] = {"seconds": elapsed, "bytes": len(resp.body), "tasks": count,
                               "growth_kib": max(growth.values()) if growth else 0,
                               "after": self.children_rss()}
        log(f"GET tasks of the 100,000-task job: {count} tasks, {len(resp.body):,} B in "
            f"{elapsed:.2f}s, peak RSS growth {self.memory['list']['growth_kib'] / 1024:.1f} MiB")

    def big_submits_for_memory(self):
        resp = self.expect(self.client.post("/api/v1/jobs/", json={
            "title": f"bench big list {os.getpid()}", "jobtype": "Blender",
            "start": 1, "end": 100_000}), 201)
        self.big_job = resp.json()["id"]

    def run(self):
        self.preflight()
        self.start()
        self.probe_module()
        self.write_static_files()
        self.reset_tasks(vacuum=True)
        self.prewarm()
        self.memory["start"] = self.children_rss()
        if "1" in self.cases:
            self.case_get("1", "GET /jobs/<id>", f"/api/v1/jobs/{self.job_a}", "job",
                          pgbench=self.pgbench_job_get)
        if "2" in self.cases:
            self.case_get("2", f"GET /jobs/?limit={LIST_LIMIT}",
                          f"/api/v1/jobs/?limit={LIST_LIMIT}", "list")
        if "3" in self.cases:
            self.case_get("3", "GET /jobs/<id>/tasks/ (100)",
                          f"/api/v1/jobs/{self.job_a}/tasks/", "tasks")
        if "4a" in self.cases:
            self.case_updates("4a", "POST task state, 1 job", self.tasks_a)
        if "4b" in self.cases:
            self.case_updates("4b", "POST task state, 100 jobs", self.tasks_b)
        if "5" in self.cases:
            self.case_submit()
        if "big" in self.cases:
            self.big_submits()
        self.wait_idle()
        self.memory["end"] = self.children_rss()
        if "memory" in self.cases:
            self.leak_pass()
            self.list_big_job()
        self.problems = self.farm.httpd.error_log_problems()

    # ---- the report

    def report(self):
        p = self.p
        lines = []
        add = lines.append
        commit = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                                capture_output=True, text=True).stdout.strip() or "?"
        add(f"# mod_pyfarm_jobs benchmark, {datetime.datetime.now():%Y-%m-%d %H:%M}")
        add("")
        subset = f" of cases {self.args.cases}" if self.args.cases else ""
        add(f"Commit {commit}; {'--quick' if self.args.quick else 'full'} run{subset}; "
            f"{cpu_name()}, {os.cpu_count()} cores shared by servers and load "
            f"generators; load average {self.load_before[0]:.2f} before the run (the run "
            f"itself raises it).  wrk -t{THREADS} -c{CONNECTIONS} and "
            f"pgbench -M prepared -c{CONNECTIONS} -j{THREADS}; every figure is a measured "
            f"run of {p['measure']} s after a {p['warm']} s warm-up (static-file ceilings "
            f"{p['static_measure']} s after {p['static_warm']} s).")
        add("")
        add("Ratios are to ceilings measured in this same run: *HTTP* is the same httpd "
            "serving a static file as large as the module's answer, *DB* is pgbench "
            "running the module's own statements with the module's own parameters "
            "(bench/sql/).  req/s ratio = module / ceiling (100% = as fast as the "
            "ceiling); latency ratio = module / ceiling (1.0x = as fast).")
        add("")
        add("| case | req/s | p50 ms | p99 ms | ceiling | ceiling req/s | ceiling p50 ms "
            "| ceiling p99 ms | req/s vs ceiling | p50 vs ceiling | p99 vs ceiling |")
        add("|---|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|")
        for case, r, ceilings in self.rows:
            head = f"| {case} | {r.rps:,.0f}{err(r)} | {r.p50_ms:.2f} | {r.p99_ms:.2f} "
            if not ceilings:
                add(head + "| (none) | | | | | | |")
            for name, c in ceilings:
                add(head + f"| {name} | {c.rps:,.0f}{err(c)} | {c.p50_ms:.2f} | "
                    f"{c.p99_ms:.2f} | {100 * r.rps / c.rps:.0f}% | "
                    f"{r.p50_ms / c.p50_ms:.1f}x | {r.p99_ms / c.p99_ms:.1f}x |")
                head = "| | | | "
        if self.big:
            add("")
            add("| single submit | time (each run) | DB: the bare INSERT of its tasks "
                "(each run) |")
            add("|---|---|---|")
            for frames, times in self.big.items():
                add(f"| POST /jobs/ of {frames:,} frames | "
                    + ", ".join(f"{t:.3f} s" for t in times) + " | "
                    + ", ".join(f"{t:.3f} s" for t in self.big_ceiling[frames]) + " |")
        add("")
        add("Memory (RSS of httpd's children, KiB):")
        add("")
        for line in self.memory_lines():
            add(line)
        add("")
        add("Targets:")
        add("")
        for line in self.target_lines():
            add(f"- {line}")
        add("")
        add("Fidelity of the DB ceiling (checked in this run from PostgreSQL's log):")
        add("")
        for line in self.fidelity:
            add(f"- {line}")
        if self.problems:
            add("")
            add(f"httpd's error_log has {len(self.problems)} problem lines, e.g.:")
            add("")
            for line in self.problems[:5]:
                add(f"    {line}")
        for note in self.notes:
            add("")
            add(note)
        return "\n".join(lines) + "\n"

    def memory_lines(self):
        m = self.memory
        out = []
        start, end = m.get("start", {}), m.get("end", {})
        common = sorted(set(start) & set(end))
        for pid in common:
            out.append(f"- child {pid}: {start[pid]:,} after the warm-up pass, "
                       f"{end[pid]:,} after the run ({end[pid] - start[pid]:+,})")
        for pid in sorted(set(end) - set(start)):
            out.append(f"- child {pid}: started during the run, {end[pid]:,} at its end")
        if "pass" in m:
            ps = m["pass"]
            out.append(f"- one more pass over every case after the run ({ps['requests']:,} "
                       f"requests): {ps['growth_kib']:+,} KiB over the children "
                       f"({1024 * ps['growth_kib'] / max(1, ps['requests']):.1f} B per request)")
        if "list" in m:
            lst = m["list"]
            out.append(f"- GET /jobs/<id>/tasks/ of a {lst['tasks']:,}-task job "
                       f"({lst['bytes']:,} B in {lst['seconds']:.2f} s): peak growth "
                       f"{lst['growth_kib']:,} KiB ({lst['growth_kib'] / 1024:.1f} MiB); "
                       "RSS after it: " + ", ".join(f"{pid}: {v:,}" for pid, v in
                                                    sorted(lst["after"].items())))
        return out

    def target_lines(self):
        rows = {case.split()[0]: (r, dict(c)) for case, r, c in self.rows}
        out = []

        if "1" in rows:
            r, c = rows["1"]
            http = [v for k, v in c.items() if k.startswith("HTTP")][0]
            db = [v for k, v in c.items() if k.startswith("DB")][0]
            out.append(f"GET single job >= 50% of the static-file ceiling: "
                       f"{cut_pct(r.rps, http.rps)}, "
                       f"{verdict(r.rps >= TARGET_HTTP_RATIO * http.rps)}")
            out.append(f"GET single job >= 50% of its pgbench ceiling: "
                       f"{cut_pct(r.rps, db.rps)}, {verdict(r.rps >= TARGET_DB_RATIO * db.rps)}")
        for case in ("4a", "4b"):
            if case in rows and rows[case][1]:
                r, c = rows[case]
                db = list(c.values())[0]
                out.append(f"task state changes ({case}) >= 50% of their pgbench ceiling: "
                           f"{cut_pct(r.rps, db.rps)}, "
                           f"{verdict(r.rps >= TARGET_DB_RATIO * db.rps)}")
        if "5" in rows:
            r = rows["5"][0]
            out.append(f"10-frame submit >= {TARGET_SUBMIT_RPS:,}/s: {r.rps:,.0f}/s, "
                       f"{verdict(r.rps >= TARGET_SUBMIT_RPS and r.errors == 0)}")
        if 100_000 in self.big:
            t, bare = (sorted(v)[len(v) // 2]
                       for v in (self.big[100_000], self.big_ceiling[100_000]))
            out.append(f"100,000-frame submit < {TARGET_BIG_SUBMIT_S} s: median {t:.3f} s "
                       f"(its tasks' bare INSERT alone: median {bare:.3f} s), "
                       f"{verdict(t < TARGET_BIG_SUBMIT_S)}")
        start, end = self.memory.get("start", {}), self.memory.get("end", {})
        common = set(start) & set(end)
        if common and "pass" in self.memory:
            growth = sum(end[p] - start[p] for p in common)
            ps = self.memory["pass"]
            out.append(f"no RSS growth across the run: {growth:+,} KiB over the run (pools "
                       f"growing to their working size), {ps['growth_kib']:+,} KiB over a "
                       f"further pass of {ps['requests']:,} requests (tolerance "
                       f"{RSS_GROWTH_TOLERANCE_KIB:,} KiB), "
                       f"{verdict(ps['growth_kib'] <= RSS_GROWTH_TOLERANCE_KIB)}")
        if "list" in self.memory:
            g = self.memory["list"]["growth_kib"] / 1024
            out.append(f"100,000-task list with RSS growth < {TARGET_LIST_RSS_MIB} MiB: "
                       f"{g:.1f} MiB, {verdict(g < TARGET_LIST_RSS_MIB)}")
        if any(r.errors for _, r, _ in self.rows) or any(
                c.errors for _, _, cs in self.rows for _, c in cs):
            out.append("**some runs had errors** (marked with !): see the table")
        if self.drift:
            out.append("**the pgbench scripts have drifted from the module**: the DB "
                       "ceilings do not measure the module's work (see below)")
        return out



def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a short smoke run (1 s warm-ups, 3 s runs)")
    parser.add_argument("--cases", metavar="LIST",
                        help=f"comma-separated subset of {','.join(ALL_CASES)} (default: all)")
    parser.add_argument("--warm", type=int, help="warm-up seconds of every run")
    parser.add_argument("--measure", type=int, help="measured seconds of every run")
    parser.add_argument("--keep", action="store_true",
                        help="leave the servers running afterwards (for profiling)")
    return parser.parse_args()


def main():
    args = parse_args()
    bench = Bench(args)
    ok = False
    try:
        bench.run()
        text = bench.report()
        print()
        print(text, end="", flush=True)
        if args.cases:
            log(f"a subset of cases: {os.path.relpath(REPORT_FILE)} left as it was")
        else:
            with open(REPORT_FILE, "w", encoding="utf-8") as f:
                f.write(text)
            log(f"written to {os.path.relpath(REPORT_FILE)}")
        ok = True
    except (BenchError, farmlib.CommandError, RuntimeError, TimeoutError) as exc:
        print(f"bench: FAILED: {exc}", file=sys.stderr)
    finally:
        bench.finish(ok, args.keep)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
