"""What bench/run.py and bench/scale.py share: the paths, the load
generators' settings, the results and the drivers (wrk with the
PFJBENCH line of bench/report.lua, pgbench with its per-transaction log).
Python standard library only.
"""

import glob
import math
import os
import re
import shutil
import subprocess
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH_DIR)
sys.path.insert(0, os.path.join(REPO, "t", "lib"))

import farm as farmlib  # noqa: E402  (needs the path above)

SQL_DIR = os.path.join(BENCH_DIR, "sql")
TMP_DIR = os.path.join(REPO, "t", "tmp")
MODULE = os.path.join(REPO, ".libs", "mod_pyfarm_jobs.so")

CONNECTIONS = 16        # wrk connections and pgbench clients
THREADS = 2             # wrk threads and pgbench threads: one per core
AGENT_UA = "PyFarm/1.0 (agent)"


class BenchError(RuntimeError):
    """Something the benchmark cannot go on without."""


def log(msg):
    print(f"bench: {msg}", flush=True)


# ------------------------------------------------------------ statistics

# Nearest-rank percentile of an ascending list (the test harness's).
percentile = farmlib.percentile


class Result:
    """One measured run: requests (or transactions) per second and the
    p50/p99 latency in milliseconds, with the errors seen."""

    def __init__(self, rps, p50_ms, p99_ms, count, errors=0, note=""):
        self.rps, self.p50_ms, self.p99_ms = rps, p50_ms, p99_ms
        self.count, self.errors, self.note = count, errors, note

    def __repr__(self):
        return (f"{self.rps:.0f}/s p50 {self.p50_ms:.2f} ms p99 {self.p99_ms:.2f} ms"
                f" ({self.count} done, {self.errors} errors{': ' + self.note if self.note else ''})")


def err(result):
    return f" ({result.note or str(result.errors) + ' errors'}!)" if result.errors else ""


def cut_pct(a, b):
    """a / b in percent, cut (not rounded) to one decimal, so that the
    figure never contradicts the verdict next to it."""
    return f"{math.floor(1000 * a / b) / 10:.1f}%"


def verdict(ok):
    return "met" if ok else "**missed**"


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def rotation_lines(tasks, clients=CONNECTIONS):
    """pgbench meta-commands that spread `tasks` ((job, task) pairs) over
    the clients: client c takes the tasks c, c + clients, c + 2 * clients...
    of the list in turn, one per transaction, and sets :i (its position in
    the list), :task and :job.  :n counts the client's transactions (pass
    -D n=0); :cnt is how many tasks the client has."""
    n = len(tasks)
    if clients > n:
        raise BenchError("more pgbench clients than tasks")
    out = ["\\set n :n + 1",
           f"\\set cnt ({n} - 1 - :client_id) / {clients} + 1",
           f"\\set i :client_id + {clients} * (:n % :cnt)"]
    for i, (job, task) in enumerate(tasks):
        out += [f"\\{'if' if i == 0 else 'elif'} :i = {i}", f"\\set task {task}",
                f"\\set job {job}"]
    out.append("\\endif")
    return out


# ------------------------------------------------------------- the drivers

class Driver:
    """The servers of one run (self.farm, set by the subclass) and the load
    generators that drive them.  `profile` holds the durations in seconds:
    "warm" and "measure" (and "static_warm", "static_measure" for
    wrk_case(static=True)); a warm-up of 0 is skipped.  "connections", if
    there, replaces CONNECTIONS (wrk's connections, pgbench's clients)."""

    def __init__(self, profile, basedir):
        self.p = profile
        self.basedir = basedir
        self.farm = None
        self.wrk = self.pgbench = None
        self.connections = profile.get("connections", CONNECTIONS)

    def find_tools(self):
        self.pgbench = os.path.join(farmlib.postgres_bindir(), "pgbench")
        self.wrk = shutil.which("wrk")
        if not os.path.isfile(MODULE):
            raise BenchError(f"{MODULE}: no such module; build it first (make)")
        if not self.wrk:
            raise BenchError("wrk not found: run scripts/deps.sh")
        if not os.access(self.pgbench, os.X_OK):
            raise BenchError(f"{self.pgbench} not found: run scripts/deps.sh")

    def pg_host(self):
        """Where pgbench connects: the cluster's unix socket."""
        return self.farm.pg.sockdir

    def sql_rows(self, sql):
        return self.farm.pg.query(sql)

    def sql_value(self, sql):
        return self.sql_rows(sql)[0][0]

    def expect(self, resp, status):
        if resp.status != status:
            raise BenchError(f"{resp.method} {resp.path}: expected {status}, got "
                             f"{resp.status}: {resp.text[:500]}")
        return resp

    def wait_idle(self, timeout=15):
        """Until no session of the database is busy: requests wrk left in
        flight when it stopped are finished."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = int(self.sql_value(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'pyfarm'"
                " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                " AND state IS DISTINCT FROM 'idle'"))
            if busy == 0:
                return
            time.sleep(0.1)
        log("note: database sessions still busy after the run")

    def url(self, path=""):
        return f"http://127.0.0.1:{self.farm.httpd.port}{path}"

    def wrk_once(self, script, path, seconds, args=(), connections=None):
        connections = connections or self.connections
        threads = min(THREADS, connections)
        cmd = [self.wrk, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", "30s", "-s", os.path.join(BENCH_DIR, script), self.url(path)]
        if args:
            cmd += ["--", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
        m = re.search(r"^PFJBENCH (.*)$", proc.stdout, re.M)
        if proc.returncode != 0 or not m:
            raise BenchError(f"wrk failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
        f = dict(kv.split("=") for kv in m.group(1).split())
        status, sockets = int(f["status_errors"]), int(f["socket_errors"])
        note = ", ".join(f"{n} {what}" for n, what in ((status, "non-2xx answers"),
                                                        (sockets, f"socket errors: {f['socket_detail']}"))
                         if n)
        return Result(float(f["rps"]), int(f["p50_us"]) / 1000, int(f["p99_us"]) / 1000,
                      int(f["requests"]), status + sockets, note)

    def wrk_case(self, label, script, path, args=(), static=False, between=None,
                 connections=None):
        """Warm-up, then the measured run."""
        warm = self.p["static_warm" if static else "warm"]
        measure = self.p["static_measure" if static else "measure"]
        if warm:
            self.wrk_once(script, path, warm, args, connections)
        if between:
            between()
        result = self.wrk_once(script, path, measure, args, connections)
        log(f"{label}: {result}")
        return result

    def run_pgbench(self, label, script_path, defines):
        """One pgbench process runs warm-up plus measured time; only the
        transactions that end in the measured window count (read from its
        per-transaction log), so prepared statements and plans are warm,
        as the module's pooled connections are."""
        warm, measure = self.p["warm"], self.p["measure"]
        prefix = os.path.join(self.basedir, f"pgbench-{label}")
        for old in glob.glob(prefix + ".*"):
            os.unlink(old)
        pg = self.farm.pg
        cmd = [self.pgbench, "-n", "-M", "prepared", "-c", str(self.connections),
               "-j", str(THREADS), "-T", str(warm + measure), "-f", script_path,
               "-l", "--log-prefix", prefix, "-h", self.pg_host(), "-p", str(pg.port),
               "-U", "postgres"]
        cmd += [f"-D{k}={v}" for k, v in defines.items()]
        cmd.append(farmlib.DBNAME)
        started = time.time()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=farmlib.clean_env(),
                              timeout=warm + measure + 120)
        if proc.returncode != 0:
            raise BenchError(f"pgbench failed ({proc.returncode}):\n"
                             f"{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
        failed = re.search(r"number of failed transactions: (\d+)", proc.stdout)
        lo, hi = started + warm, started + warm + measure
        latencies, last = [], 0.0
        for path in glob.glob(prefix + ".*"):
            with open(path) as f:
                for line in f:
                    fields = line.split()
                    if len(fields) < 6 or not fields[2].isdigit():
                        continue
                    end = int(fields[4]) + int(fields[5]) / 1e6
                    last = max(last, end)
                    if lo <= end < hi:
                        latencies.append(int(fields[2]) / 1000)
            os.unlink(path)
        hi = min(hi, last)
        if not latencies or hi <= lo:
            raise BenchError(f"pgbench {label}: no transaction in the measured window")
        latencies.sort()
        nfailed = int(failed.group(1)) if failed else 0
        result = Result(len(latencies) / (hi - lo), percentile(latencies, 50),
                        percentile(latencies, 99), len(latencies), nfailed,
                        f"{nfailed} failed transactions" if nfailed else "")
        log(f"pgbench {label}: {result}")
        return result

    def check_connection_budget(self):
        """max_connections must cover every child's DBD pool, pgbench's
        clients and our psql.  Returns (max_connections, what we need)."""
        conf = open(self.farm.httpd.conf, encoding="utf-8").read()
        limit = int(re.search(r"^\s*ServerLimit\s+(\d+)", conf, re.M).group(1))
        dbd_max = int(re.search(r"^\s*DBDMax\s+(\d+)", conf, re.M).group(1))
        have = int(self.sql_value("SHOW max_connections"))
        need = limit * dbd_max + self.connections + 5
        if have < need:
            raise BenchError(f"PostgreSQL max_connections is {have}, the benchmark needs "
                             f"{need} (ServerLimit {limit} x DBDMax {dbd_max} + "
                             f"{self.connections} pgbench clients + a few)")
        return have, need

    def update_args(self, tasks, mode=None):
        """task_update.lua's arguments for `tasks` ((job, task) pairs);
        mode "running" sends running only."""
        return [str(THREADS), ",".join(f"{j}:{t}" for j, t in tasks)] + ([mode] if mode else [])

    def finish(self, ok, keep=False, remove=True):
        """Stop the servers (or with `keep` leave them running and say how
        to stop them); remove the files of a run that went well (unless not
        `remove`: the caller does), keep the logs of one that did not."""
        if self.farm is None:
            return
        if keep:
            self.farm.detach()
            log(f"servers left running (--keep), files in {self.basedir}")
            log(f"  API:  {self.farm.base_url}/api/v1/jobs/")
            log(f"  psql: {self.farm.pg.shell_command()}")
            for command in self.farm.stop_commands():
                log(f"  stop: {command}")
            return
        self.farm.stop()
        if ok:
            if remove:
                farmlib.remove_basedir(self.basedir)
        else:
            shutil.rmtree(self.farm.pg.datadir, ignore_errors=True)
            log(f"logs kept in {self.basedir}")
