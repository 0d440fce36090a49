"""Database errors are told apart by their SQLSTATE, not by the words of
PostgreSQL's messages, which follow its lc_messages: a lock or statement
timeout answers 503 (agents retry it) and a lost session is reconnected
and the request run, in English as in German (src/core/sqlstate.c,
src/http/db.c).

Each test runs a second httpd with the module over a database of its own
in the test cluster, whose lc_messages, lock_timeout and statement_timeout
are the test's; scripts/deps.sh makes the de_DE.UTF-8 locale."""

import re
import threading

from check import expect
from farm import Client, sql_path, wait_until

RESET = False
DB = "pyfarm_errors"
UNAVAILABLE = {"error": "the database is unavailable, try again later"}
HOLD_SECONDS = 2


def errors_database(farm, lc_messages):
    pg = farm.pg
    pg.create_database(DB)
    for name in ("schema.sql", "indexes.sql", "demo.sql"):
        pg.load_file(sql_path(name), dbname=DB)
    set_database(farm, lc_messages=f"'{lc_messages}'", lock_timeout="'300ms'")


def set_database(farm, **settings):
    """Defaults of the database's new sessions."""
    farm.pg.psql("".join(f"ALTER DATABASE {DB} SET {k} = {v};\n"
                         for k, v in settings.items()))


def hold_job_lock(farm, job):
    """A session that holds the job's row lock for HOLD_SECONDS, once it
    holds it; join the thread returned."""
    holder = threading.Thread(target=farm.pg.psql, kwargs={
        "sql_text": "SET statement_timeout = 0; SET lock_timeout = 0;"
                    f" BEGIN; SELECT 1 FROM jobs WHERE id = {job} FOR UPDATE;"
                    f" SELECT pg_sleep({HOLD_SECONDS}); COMMIT;", "dbname": DB})
    holder.start()
    wait_until(lambda: farm.pg.query(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep%'"
        f" AND state = 'active' AND datname = '{DB}'") == [("1",)], 10, "the lock holder")
    return holder


def first_task(farm, job):
    return int(farm.pg.query(f"SELECT min(id) FROM tasks WHERE job_id = {job}",
                             dbname=DB)[0][0])


def task_state(farm, task):
    return farm.pg.query(f"SELECT state FROM tasks WHERE id = {task}", dbname=DB)[0][0]


def refused_while_locked(farm, httpd, sqlstate):
    """A task state change waits for its job's lock held elsewhere until
    the database's timeout cancels it: 503, nothing changed, and the
    database's error (with its code) in httpd's log."""
    task = first_task(farm, 1)
    before = task_state(farm, task)
    holder = hold_job_lock(farm, 1)
    mark = httpd.error_log_size()
    try:
        resp = Client(httpd.port).post(f"/api/v1/jobs/1/tasks/{task}",
                                       json={"state": "running"})
    finally:
        holder.join()
    expect(resp, 503, json=UNAVAILABLE, headers={"Content-Type": "application/json"})
    assert resp.headers.get("Retry-After", "").isdigit(), resp.headers
    assert task_state(farm, task) == before
    logged = [line for line in httpd.error_log_lines(mark) if f":  {sqlstate}: " in line]
    assert len(logged) == 1, httpd.error_log_lines(mark)
    return logged[0]


def terminate_module_sessions(farm):
    farm.pg.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                  f" WHERE datname = '{DB}' AND pid <> pg_backend_pid()")


def errors_in(farm, lc_messages, english):
    errors_database(farm, lc_messages)
    httpd = farm.other_httpd(f"httpd-errors-{lc_messages}", dbname=DB)
    try:
        httpd.start()
        clients = [Client(httpd.port) for _ in range(6)]
        for client in clients:
            expect(client.get("/api/v1/jobs/1"), 200)

        # lock_timeout: 55P03
        line = refused_while_locked(farm, httpd, "55P03")
        assert ("lock timeout" in line) == english, line

        # sessions lost (and their new ones without lock_timeout, with a
        # statement_timeout): reconnected, prepared again, the requests run
        set_database(farm, lock_timeout="0", statement_timeout="'300ms'")
        terminate_module_sessions(farm)
        mark = httpd.error_log_size()
        for client in clients:
            expect(client.get("/api/v1/jobs/1"), 200)
            client.close()
        log = httpd.error_log_lines(mark)
        assert any("prepared statements restored" in entry for entry in log), log
        assert not any(re.search(r"\[pyfarm_jobs:error\]", entry) for entry in log), log

        # statement_timeout: 57014
        line = refused_while_locked(farm, httpd, "57014")
        assert ("statement timeout" in line) == english, line
    finally:
        httpd.stop()
        farm.pg.drop_database(DB)


def test_errors_by_sqlstate_in_english(farm):
    errors_in(farm, "C", english=True)


def test_errors_by_sqlstate_in_german(farm):
    errors_in(farm, "de_DE.UTF-8", english=False)
