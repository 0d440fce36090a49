"""What the module does for itself once per database connection, so that
it depends on no tuning an admin must remember: the README's DBDParams
carries no options, and the module turns JIT off for its own sessions
(src/http/db_session.c); the first connection of each child checks that
the indexes of sql/indexes.sql are there and names in one warning those
that are missing.

Each test runs a second httpd with the module over a database of its
own in the test cluster; the test run's error_log check does not watch
it (its database and log are the test's)."""

import re

from check import expect
from farm import Client, sql_path, wait_until

RESET = False
JSON_TYPE = "application/json"
JIT_DB = "pyfarm_jit"
BARE_DB = "pyfarm_bare"


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


# ------------------------------------------------------ the index check

LACKS = re.compile(r"\[pyfarm_jobs:warn\] \[pid (\d+)(?::tid \d+)?\] "
                   r"(?:\S+\(\d+\): )?mod_pyfarm_jobs: the database lacks (?:index|indexes) (.*?): "
                   r"(?:its|their) queries scan whole tables; run sql/indexes.sql "
                   r"\(it is idempotent\)(.*)$")


def indexes_sql_names():
    """The index names sql/indexes.sql creates, in file order."""
    with open(sql_path("indexes.sql"), encoding="utf-8") as f:
        return re.findall(r"^CREATE INDEX IF NOT EXISTS (\w+)", f.read(), re.M)


def lacks_warnings(httpd):
    """(child pid, names, the rest of the line) of each missing-index warning."""
    found = []
    for line in httpd.error_log_lines():
        m = LACKS.search(line)
        if m:
            found.append((int(m.group(1)), m.group(2).split(", "), m.group(3)))
        else:
            assert "lacks" not in line, line
    return found


def logged_by_every_child(httpd, found):
    """Waits until every child of httpd has logged what found(httpd)
    returns (child pid, ...) for: each child checks the indexes at its
    first connection, which mod_dbd opens as the child starts."""
    wait_until(lambda: httpd.child_pids() and
               set(httpd.child_pids()) <= {entry[0] for entry in found(httpd)},
               10, "every child's index check")
    return found(httpd)


def all_indexes_there(httpd):
    """(child pid,) of each debug line of a check that found every index."""
    return [(int(m.group(1)),) for m in
            (re.search(r"\[pid (\d+)[^]]*\] (?:\S+\(\d+\): )?database check: every index of "
                       r"sql/indexes.sql is there$", line)
             for line in httpd.error_log_lines()) if m]


def bare_database(farm, *, indexes):
    pg = farm.pg
    pg.create_database(BARE_DB)
    for name in ("schema.sql", "demo.sql") + (("indexes.sql",) if indexes else ()):
        pg.load_file(sql_path(name), dbname=BARE_DB)


def test_a_database_without_the_module_indexes_is_named_in_one_warning(farm):
    bare_database(farm, indexes=False)
    httpd = farm.other_httpd("httpd-bare", dbname=BARE_DB)
    try:
        httpd.start()
        warnings = logged_by_every_child(httpd, lacks_warnings)
        pids = [pid for pid, _, _ in warnings]
        # one line per child, naming every index of sql/indexes.sql once
        assert len(pids) == len(set(pids)), warnings
        for _, names, rest in warnings:
            assert sorted(names) == sorted(indexes_sql_names()), names
            assert len(names) == len(set(names)) and rest == "", (names, rest)
        # the API still answers; more connections check nothing again
        clients = [Client(httpd.port) for _ in range(8)]
        for client in clients:
            expect(client.get("/api/v1/jobs/1"), 200)
        for client in clients:
            client.close()
        assert lacks_warnings(httpd) == warnings
    finally:
        httpd.stop()
        farm.pg.drop_database(BARE_DB)


def test_missing_and_invalid_indexes_are_named_and_a_complete_set_is_silent(farm):
    pg = farm.pg
    bare_database(farm, indexes=True)
    # pfj_tasks_failed_idx dropped; pfj_jobs_title_idx left INVALID, as a
    # failed CREATE INDEX CONCURRENTLY leaves it (IF NOT EXISTS keeps it)
    pg.psql("DROP INDEX pfj_tasks_failed_idx;"
            "UPDATE pg_index SET indisvalid = false"
            " WHERE indexrelid = 'pfj_jobs_title_idx'::regclass;", dbname=BARE_DB)
    httpd = farm.other_httpd("httpd-damaged", dbname=BARE_DB, loglevel="debug")
    try:
        httpd.start()
        warnings = logged_by_every_child(httpd, lacks_warnings)
        for _, names, rest in warnings:
            assert names == ["pfj_jobs_title_idx", "pfj_tasks_failed_idx"], names
            assert rest == ("; pfj_jobs_title_idx exists but is INVALID (a failed"
                            " CREATE INDEX CONCURRENTLY), which IF NOT EXISTS keeps:"
                            " drop it first"), rest
        assert all_indexes_there(httpd) == []
        httpd.stop()

        # mended as the warning says: every child finds them all, silently
        pg.psql("DROP INDEX pfj_jobs_title_idx;", dbname=BARE_DB)
        pg.load_file(sql_path("indexes.sql"), dbname=BARE_DB)
        mark = httpd.error_log_size()
        httpd.start()
        logged_by_every_child(httpd, all_indexes_there)
        expect(Client(httpd.port).get("/api/v1/jobs/1"), 200)
        assert not any("lacks" in line for line in httpd.error_log_lines(mark))
    finally:
        httpd.stop()
        pg.drop_database(BARE_DB)
