"""The API's server-wide counters (README, "Monitoring"): mod_status'
section (/server-status, ?auto) and the Prometheus metrics handler
(SetHandler pyfarm-jobs-metrics).

Each test runs its own httpd over the test database (farm.other_httpd),
so its counts start at zero and are asserted exactly: a known mix of
answers (the module's, and httpd's 401 in front of it), many requests at
once over connections that both children serve, and a database that
cannot be reached (the metrics still answer, database_up 0).  The
metrics are read with a strict parser of the text exposition format."""

import concurrent.futures
import contextlib
import math
import os
import re
import signal
import time

import farm as farmlib
from check import expect

MODULES = "\n".join(
    f"LoadModule {name}_module {farmlib.APACHE_MODDIR}/mod_{name}.so"
    for name in ("status", "authn_core", "authn_file", "auth_basic", "authz_user"))

CONF = MODULES + """
<Location /server-status>
    SetHandler server-status
    Require local
</Location>
<Location /metrics>
    SetHandler pyfarm-jobs-metrics
    Require local
</Location>
# the API once more, behind Basic authentication (no one gets in)
<Location /locked/api/v1/jobs>
    SetHandler pyfarm-jobs
    PyFarmJobsBase /locked/api/v1/jobs
    AuthType Basic
    AuthName "locked"
    AuthUserFile "{rundir}/no-such-htpasswd"
    Require valid-user
</Location>
# small children: one of them cannot take every connection of the
# concurrency test (event takes at most a few per worker thread)
ThreadsPerChild 4
MaxRequestWorkers 16
MinSpareThreads 8
MaxSpareThreads 16
# which child served which request
LogFormat "%P %>s %U" served_by
CustomLog "{rundir}/served_by_log" served_by
"""

API = "/api/v1/jobs"
SETTLE_SECONDS = 5
METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@contextlib.contextmanager
def status_httpd(farm, name, dbname=farmlib.DBNAME):
    """A started httpd with CONF, and a client of it; no child of it may
    crash (its error_log is not the run's, which t/run.py checks)."""
    rundir = os.path.join(farm.basedir, name)
    httpd = farm.other_httpd(name, dbname=dbname, extra_conf=CONF.format(rundir=rundir))
    httpd.start()
    client = farmlib.Client(httpd.port)
    try:
        yield httpd, client
    finally:
        client.close()
        httpd.stop()
    assert not httpd.crashes(), httpd.crashes()


# ------------------------------------------------------- the parsers

SAMPLE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def labels_of(text):
    """{name: value} of a sample's label text, strictly: name="value"
    pairs separated by commas, each name once."""
    labels, pos = {}, 0
    while pos < len(text):
        m = LABEL.match(text, pos)
        assert m, f"bad labels at {text[pos:]!r}"
        assert m.group(1) not in labels, f"label {m.group(1)} twice"
        labels[m.group(1)] = re.sub(r"\\(.)", lambda e: "\n" if e.group(1) == "n"
                                    else e.group(1), m.group(2))
        pos = m.end()
        if pos < len(text):
            assert text[pos] == ",", f"no comma at {text[pos:]!r}"
            pos += 1
    return labels


def family_of(name, types):
    if name in types:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and types.get(base) == "histogram":
            return base
    raise AssertionError(f"sample {name} has no TYPE")


def check_histograms(samples, types):
    """Per histogram series: buckets in increasing le, cumulative counts
    never falling, +Inf last and equal to _count, a _sum."""
    for family in (f for f, t in types.items() if t == "histogram"):
        series = {}
        for (name, labels), value in samples.items():
            if name.startswith(family + "_"):
                rest = tuple(sorted((k, v) for k, v in labels if k != "le"))
                le = dict(labels).get("le")
                series.setdefault(rest, []).append((name[len(family):], le, value))
        for rest, rows in series.items():
            buckets = [(float(le), v) for kind, le, v in rows if kind == "_bucket"]
            assert buckets and buckets[-1][0] == math.inf, (family, rest)
            assert [b[0] for b in buckets] == sorted(b[0] for b in buckets), (family, rest)
            assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), (family, rest)
            count = [v for kind, _, v in rows if kind == "_count"]
            assert count == [buckets[-1][1]], (family, rest, count)
            assert len([v for kind, _, v in rows if kind == "_sum"]) == 1, (family, rest)


def parse_metrics(text):
    """{(name, frozenset of (label, value)): value} of Prometheus' text
    format 0.0.4, validated: one HELP and one TYPE per family, before its
    samples; every sample of a family that has a TYPE; no sample twice;
    histograms as check_histograms wants them."""
    assert text.endswith("\n"), "no final newline"
    types, helps, samples, seen = {}, set(), {}, set()
    for line in text[:-1].split("\n"):
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            assert len(parts) == 4 and parts[3], line
            name = parts[2]
            assert name not in seen, f"{line}: after its samples"
            if parts[1] == "HELP":
                assert name not in helps, f"second HELP of {name}"
                helps.add(name)
            else:
                assert name not in types and parts[3] in TYPES, line
                types[name] = parts[3]
            continue
        assert not line.startswith("#"), line
        m = SAMPLE.fullmatch(line)
        assert m, f"bad sample line {line!r}"
        family = family_of(m.group(1), types)
        seen.add(family)
        key = (m.group(1), frozenset(labels_of(m.group(2) or "").items()))
        assert key not in samples, f"{line}: twice"
        samples[key] = float(m.group(3))
    assert helps == set(types), "HELP and TYPE lines differ"
    check_histograms(samples, types)
    return samples


def scrape(client):
    resp = client.get("/metrics")
    expect(resp, 200, headers={"Content-Type": METRICS_TYPE,
                               "Content-Length": str(len(resp.body))})
    return parse_metrics(resp.text)


def scrape_when_counted(client, want):
    """The scrape whose requests_total is want: a request is counted as it
    is logged, just after its answer went out (a moment after the client
    has it)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        samples = scrape(client)
        got = requests_total(samples)
        if got == want or time.monotonic() > deadline:
            assert got == want, f"requests_total: {got}"
            return samples
        time.sleep(0.05)


def series(samples, name):
    """{frozenset of labels: value} of one metric."""
    return {labels: v for (n, labels), v in samples.items() if n == name}


def requests_total(samples):
    return {tuple(sorted(dict(labels).items())): int(v)
            for labels, v in series(samples, "pyfarm_jobs_requests_total").items()}


def req(endpoint, method, code):
    return (("code", code), ("endpoint", endpoint), ("method", method))


def status_auto(client):
    """{key: value} of /server-status?auto's PyFarmJobs lines."""
    resp = expect(client.get("/server-status?auto"), 200)
    lines = [line for line in resp.text.split("\n") if line.startswith("PyFarmJobs")]
    assert all(re.fullmatch(r"PyFarmJobs\w+: \d+", line) for line in lines), lines
    return {k: int(v) for k, v in (line.split(": ") for line in lines)}


# ------------------------------------------------------- the tests

def test_a_known_mix_is_counted_exactly(farm):
    with status_httpd(farm, "status-mix") as (httpd, client):
        for _ in range(5):
            expect(client.get(f"{API}/1"), 200)
        expect(client.request("HEAD", f"{API}/1"), 200)
        expect(client.get(f"{API}/999999"), 404)
        expect(client.get(f"{API}/1/no/such/route"), 404)
        expect(client.request("PUT", f"{API}/"), 405)
        expect(client.post(f"{API}/", body="{not json",
                           headers={"Content-Type": "application/json"}), 400)
        expect(client.get(f"/locked{API}/1"), 401)
        expect(client.get("/index.html"), 200)  # not the API's

        samples = scrape_when_counted(client, {
            req("job_get", "GET", "200"): 5,
            req("job_get", "HEAD", "200"): 1,
            req("job_get", "GET", "404"): 1,
            req("job_get", "GET", "401"): 1,
            req("unrouted", "GET", "404"): 1,
            req("unrouted", "PUT", "405"): 1,
            req("job_submit", "POST", "400"): 1,
        })
        count = series(samples, "pyfarm_jobs_request_duration_seconds_count")
        assert {dict(k)["endpoint"]: int(v) for k, v in count.items()} == {
            "job_get": 8, "unrouted": 2, "job_submit": 1}, count
        one = lambda name: samples[(name, frozenset())]  # noqa: E731
        assert one("pyfarm_jobs_database_up") == 1
        assert one("pyfarm_jobs_database_connections_in_use") == 0
        assert one("pyfarm_jobs_database_connections_acquired_total") >= 7
        errors = series(samples, "pyfarm_jobs_database_errors_total")
        assert {dict(k)["class"]: v for k, v in errors.items()} == {
            "other": 0, "transient": 0, "lost_session": 0, "no_connection": 0}

        # jobs and unfinished tasks by state: exactly the database's
        by_state = dict(farm.pg.query(
            "select coalesce(state, 0), count(*) from jobs group by 1"))
        jobs = {dict(k)["state"]: int(v) for k, v in series(samples, "pyfarm_jobs_jobs").items()}
        for state, code in (("queued", "0"), ("paused", "100"), ("running", "105"),
                            ("done", "106"), ("failed", "107")):
            assert jobs[state] == int(by_state.get(code, 0)), (state, jobs, by_state)
        queued = farm.pg.query("select count(*) from tasks where state is null")[0][0]
        tasks = {dict(k)["state"]: int(v) for k, v in series(samples, "pyfarm_jobs_tasks").items()}
        assert tasks["queued"] == int(queued) and "done" not in tasks, tasks
        assert one("pyfarm_jobs_tasks_done_estimate") >= 0

        auto = status_auto(client)
        assert auto["PyFarmJobsRequests_job_get"] == 8
        assert auto["PyFarmJobsClientErrors_job_get"] == 2
        assert auto["PyFarmJobsServerErrors_job_get"] == 0
        assert auto["PyFarmJobsRequests_unrouted"] == 2
        assert auto["PyFarmJobsClientErrors_job_submit"] == 1
        assert auto["PyFarmJobsRequests_schema"] == 0
        assert auto["PyFarmJobsDBErrors_no_connection"] == 0
        assert auto["PyFarmJobsDBConnectionsInUse"] == 0
        html = expect(client.get("/server-status"), 200).text
        assert "<h2>pyfarm_jobs</h2>" in html
        assert "<tr><td>job_get</td><td>8</td><td>2</td><td>0</td>" in html

        allow = expect(client.post("/metrics"), 405).headers["Allow"]
        assert sorted(allow.split(",")) == ["GET", "HEAD", "TRACE"], allow
        expect(client.request("HEAD", "/metrics"), 200, body=b"")


CLIENTS, PER_CLIENT = 16, 25


def test_concurrent_requests_of_every_child_add_up(farm):
    """CLIENTS connections at once, each sending PER_CLIENT requests:
    exactly CLIENTS x PER_CLIENT counted, served by more than one child."""
    with status_httpd(farm, "status-concurrent") as (httpd, client):
        def one_client(_):
            c = farmlib.Client(httpd.port)
            try:
                return [c.get(f"{API}/schema").status for _ in range(PER_CLIENT)]
            finally:
                c.close()

        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            statuses = [s for got in pool.map(one_client, range(CLIENTS)) for s in got]
        assert statuses == [200] * (CLIENTS * PER_CLIENT), set(statuses)
        scrape_when_counted(client, {req("schema", "GET", "200"): CLIENTS * PER_CLIENT})
        assert status_auto(client)["PyFarmJobsRequests_schema"] == CLIENTS * PER_CLIENT
        with open(os.path.join(httpd.rundir, "served_by_log")) as f:
            pids = {line.split()[0] for line in f if line.split()[2] == f"{API}/schema"}
        assert len(pids) >= 2, f"one child served every request: {pids}"


def test_counts_survive_a_graceful_restart(farm):
    """The table lives as long as httpd's parent: a graceful restart (log
    rotation does one every night) neither resets it nor loses what the
    new generation counts."""
    with status_httpd(farm, "status-graceful") as (httpd, client):
        for _ in range(3):
            expect(client.get(f"{API}/schema"), 200)
        scrape_when_counted(client, {req("schema", "GET", "200"): 3})
        client.close()
        before = set(httpd.child_pids())
        os.kill(httpd.pid, signal.SIGUSR1)
        farmlib.wait_until(lambda: httpd.child_pids() and not before & set(httpd.child_pids()),
                           10, "a new generation of children")
        expect(client.get(f"{API}/schema"), 200)
        scrape_when_counted(client, {req("schema", "GET", "200"): 4})


def test_metrics_answer_without_the_database(farm):
    with status_httpd(farm, "status-nodb", dbname="no_such_database") as (httpd, client):
        expect(client.get(f"{API}/1"), 503)
        samples = scrape_when_counted(client, {req("job_get", "GET", "503"): 1})
        assert samples[("pyfarm_jobs_database_up", frozenset())] == 0
        assert not series(samples, "pyfarm_jobs_tasks")
        errors = series(samples, "pyfarm_jobs_database_errors_total")
        errors = {dict(k)["class"]: int(v) for k, v in errors.items()}
        # the API request's, and one of each earlier scrape (a scrape's own
        # comes after the copy it shows)
        assert errors["no_connection"] >= 1, errors
        assert errors == {"other": 0, "transient": 0, "lost_session": 0,
                          "no_connection": errors["no_connection"]}
        assert (status_auto(client)["PyFarmJobsDBErrors_no_connection"]
                == errors["no_connection"] + 1)
        assert samples[("pyfarm_jobs_database_connections_acquired_total", frozenset())] == 0
