"""What the module does for itself once per database connection, so that
it depends on no tuning an admin must remember: the README's DBDParams
carries no options, and the module turns JIT off for its own sessions
(src/http/db_session.c).

Each test runs a second httpd with the module over a database of its
own in the test cluster; the test run's error_log check does not watch
it (its database and log are the test's)."""

import re

from check import expect
from farm import Client, sql_path, wait_until

RESET = False
JSON_TYPE = "application/json"
JIT_DB = "pyfarm_jit"


# --------------------------------------------------------------- JIT off

# auto_explain logs the plan of every statement of the database's sessions
# with the settings that differ from PostgreSQL's built-in defaults, jit
# among them (jit = on by default): a plan run with JIT off says
# "Settings: ... jit = 'off'".  The database asks for jit = on itself.
AUTO_EXPLAIN = f"""\
ALTER DATABASE {JIT_DB} SET jit = on;
ALTER DATABASE {JIT_DB} SET session_preload_libraries = 'auto_explain';
ALTER DATABASE {JIT_DB} SET auto_explain.log_min_duration = 0;
ALTER DATABASE {JIT_DB} SET auto_explain.log_settings = on;
"""
PID = re.compile(r"\[(\d+)\]")
STATEMENT = re.compile(r"Query Text: PREPARE (pfj_\w+)")
JIT_OFF = re.compile(r"Settings:.*\bjit = 'off'")


def plans(pg, since):
    """(backend pid, statement label or None, ran with JIT off) of each
    plan auto_explain logged since the mark `since`."""
    found = []
    for entry in pg.log_entries(since):
        if "plan:" not in entry:
            continue
        label = STATEMENT.search(entry)
        found.append((int(PID.search(entry).group(1)), label and label.group(1),
                      bool(JIT_OFF.search(entry))))
    return found


def module_plans(pg, since):
    """The plans of the module's own statements, but its session setup."""
    return [p for p in plans(pg, since) if p[1] and p[1] != "pfj_session_setup"]


def setups(pg, since):
    """Backend pid -> how often the session setup ran in it."""
    counts = {}
    for pid, label, _ in plans(pg, since):
        if label == "pfj_session_setup":
            counts[pid] = counts.get(pid, 0) + 1
    return counts


def get_jobs(client, times):
    for _ in range(times):
        expect(client.get("/api/v1/jobs/1"), 200, headers={"Content-Type": JSON_TYPE})
        expect(client.get("/api/v1/jobs/?limit=5"), 200)


def jit_database(farm):
    pg = farm.pg
    pg.create_database(JIT_DB)
    for name in ("schema.sql", "indexes.sql", "demo.sql"):
        pg.load_file(sql_path(name), dbname=JIT_DB)
    pg.psql(AUTO_EXPLAIN, dbname="postgres")


def test_the_modules_sessions_run_without_jit(farm):
    pg = farm.pg
    jit_database(farm)
    httpd = farm.other_httpd("httpd-jit", dbname=JIT_DB)
    try:
        mark = pg.log_size()
        httpd.start()
        clients = [Client(httpd.port) for _ in range(4)]
        for client in clients:
            get_jobs(client, 5)
        # another session of the database runs with PostgreSQL's default
        probe = "SELECT current_setting('jit') AS jit_probe"
        assert pg.query(probe, dbname=JIT_DB) == [("on",)]
        probe_plans = [p for p in plans(pg, mark) if p[1] is None]
        assert probe_plans and not any(off for _, _, off in probe_plans), probe_plans
        ran = module_plans(pg, mark)
        assert len(ran) >= 40, ran
        assert all(off for _, _, off in ran), [p for p in ran if not p[2]]
        # once per connection, as mod_dbd opens it: not once per request
        once = setups(pg, mark)
        assert set(once.values()) == {1}, once
        assert {pid for pid, _, _ in ran} <= set(once), (ran, once)

        # sessions lost (a PostgreSQL restart, a failover): the reconnected
        # ones are set up again when db.c prepares the statements again
        lost = set(once)
        pg.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                 f" WHERE datname = '{JIT_DB}' AND pid <> pg_backend_pid()")
        mark = pg.log_size()
        for client in clients:
            get_jobs(client, 3)
            client.close()
        ran = module_plans(pg, mark)
        assert ran and not {pid for pid, _, _ in ran} & lost, ran
        assert all(off for _, _, off in ran), [p for p in ran if not p[2]]
        again = setups(pg, mark)
        assert set(again.values()) == {1} and {pid for pid, _, _ in ran} <= set(again), \
            (ran, again)
        assert any("prepared statements restored" in line
                   for line in httpd.error_log_lines()), httpd.error_log_lines()
    finally:
        httpd.stop()
        pg.drop_database(JIT_DB)
