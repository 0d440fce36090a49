"""Database errors are told apart by their SQLSTATE, not by the words of
PostgreSQL's messages, which follow its lc_messages: a lock or statement
timeout answers 503 (agents retry it) and a lost session is reconnected
and the request run, in English as in German (src/core/sqlstate.c,
src/http/db.c).

Each test runs a second httpd with the module over a database of its own
in the test cluster, whose lc_messages is the test's, and bounds lock waits
and statements with DBDInitSQL as the README says; scripts/deps.sh makes
the de_DE.UTF-8 locale."""

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
    pg.psql(f"ALTER DATABASE {DB} SET lc_messages = '{lc_messages}';")


def hold_job_lock(farm, job, seconds):
    """A session that holds the job's row lock for `seconds`, once it
    holds it; join the thread returned."""
    holder = threading.Thread(target=farm.pg.psql, kwargs={
        "sql_text": "SET statement_timeout = 0; SET lock_timeout = 0;"
                    f" BEGIN; SELECT 1 FROM jobs WHERE id = {job} FOR UPDATE;"
                    f" SELECT pg_sleep({seconds}); COMMIT;", "dbname": DB})
    holder.start()
    wait_until(lambda: farm.pg.query(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep%'"
        f" AND state = 'active' AND datname = '{DB}'") == [("1",)], 10, "the lock holder")
    return holder


def job_tasks(farm, job, n):
    return [int(t) for (t,) in farm.pg.query(
        f"SELECT id FROM tasks WHERE job_id = {job} ORDER BY id LIMIT {n}", dbname=DB)]


def task_states(farm, tasks):
    return farm.pg.query("SELECT id, state FROM tasks WHERE id IN"
                         f" ({','.join(map(str, tasks))}) ORDER BY id", dbname=DB)


def refused_while_locked(farm, httpd, sqlstate, clients=1, hold=HOLD_SECONDS):
    """Task state changes (one per client, at once) wait for their job's
    lock, held elsewhere for `hold` seconds, until the database's timeout
    cancels them: 503, nothing changed, and the database's error (with its
    code) in httpd's log, once per request."""
    tasks = job_tasks(farm, 1, clients)
    assert len(tasks) == clients
    before = task_states(farm, tasks)
    answers = [None] * clients

    def change(i):
        answers[i] = Client(httpd.port).post(f"/api/v1/jobs/1/tasks/{tasks[i]}",
                                             json={"state": "running"})

    holder = hold_job_lock(farm, 1, hold)
    mark = httpd.error_log_size()
    threads = [threading.Thread(target=change, args=(i,)) for i in range(clients)]
    try:
        for thread in threads:
            thread.start()
    finally:
        for thread in threads:
            thread.join()
        holder.join()
    for resp in answers:
        expect(resp, 503, json=UNAVAILABLE, headers={"Content-Type": "application/json"})
        assert resp.headers.get("Retry-After", "").isdigit(), resp.headers
    assert task_states(farm, tasks) == before
    logged = [line for line in httpd.error_log_lines(mark) if f":  {sqlstate}: " in line]
    assert len(logged) == clients, httpd.error_log_lines(mark)
    return logged[0]


def terminate_module_sessions(farm):
    farm.pg.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                  f" WHERE datname = '{DB}' AND pid <> pg_backend_pid()")


LOCK_BOUND = "DBDInitSQL \"SET lock_timeout = '300ms'\""
STATEMENT_BOUND = ("DBDInitSQL \"SET lock_timeout = 0\"\n"
                   "DBDInitSQL \"SET statement_timeout = '300ms'\"")


def errors_in(farm, lc_messages, english):
    errors_database(farm, lc_messages)
    httpd = farm.other_httpd(f"httpd-errors-{lc_messages}", dbname=DB,
                             extra_conf=LOCK_BOUND)
    try:
        httpd.start()
        clients = [Client(httpd.port) for _ in range(4)]
        for client in clients:
            expect(client.get("/api/v1/jobs/1"), 200)

        # lock_timeout: 55P03, on each of four connections at once
        line = refused_while_locked(farm, httpd, "55P03", clients=4)
        assert ("lock timeout" in line) == english, line

        # sessions lost: reconnected, prepared again, the requests run
        terminate_module_sessions(farm)
        mark = httpd.error_log_size()
        for client in clients:
            expect(client.get("/api/v1/jobs/1"), 200)
            client.close()
        log = httpd.error_log_lines(mark)
        assert any("prepared statements restored" in entry for entry in log), log
        assert not any("[pyfarm_jobs:error]" in entry for entry in log), log
        # mod_dbd runs DBDInitSQL as it opens a connection; the module ran
        # it again on the reconnected sessions: the bound still holds
        refused_while_locked(farm, httpd, "55P03", clients=4)
        httpd.stop()

        # statement_timeout: 57014
        httpd.extra_conf = STATEMENT_BOUND
        httpd.start()
        line = refused_while_locked(farm, httpd, "57014")
        assert ("statement timeout" in line) == english, line
    finally:
        httpd.stop()
        farm.pg.drop_database(DB)


def test_errors_by_sqlstate_in_english(farm):
    errors_in(farm, "C", english=True)


def test_errors_by_sqlstate_in_german(farm):
    errors_in(farm, "de_DE.UTF-8", english=False)


def test_an_exhausted_pool_makes_requests_wait_their_turn_not_hang(farm):
    # DBDMax below ThreadsPerChild: a warning at startup; more requests at
    # once than the pool has connections wait for one (mod_dbd sets no
    # timeout), each wait bounded by the lock_timeout of those ahead: every
    # request is answered, 503 here, none hangs
    errors_database(farm, "C")
    httpd = farm.other_httpd("httpd-small-pool", dbname=DB, extra_conf="\n".join(
        ["DBDKeep 2", "DBDMax 2", LOCK_BOUND]))
    try:
        httpd.start()
        wait_until(lambda: any("DBDMax 2 is below ThreadsPerChild 16" in line
                               for line in httpd.error_log_lines()), 10, "the warning")
        # 8 requests on as few as 2 connections (all in one child): 4
        # rounds of the 0.5 s lock timeout, well within the lock's hold
        refused_while_locked(farm, httpd, "55P03", clients=8, hold=8)
    finally:
        httpd.stop()
        farm.pg.drop_database(DB)
