"""`SetHandler pyfarm-jobs-health` (README "Health"), as
conf/pyfarm_jobs.conf ships it: 200 {"status": "ok"} when a pooled
connection answers and the database has every table and index the module
needs, else 503 naming what is wrong - the database, a missing table, a
missing or INVALID index - and ok again once it is mended.  Never cached;
HEAD works, other methods get 405; PyFarmJobsBase does not move it.

The tests run a second httpd with the shipped <Location> over a database
of their own in the test cluster (its tables and indexes are theirs to
break); the test run's error_log check does not watch that httpd."""

import contextlib

from check import expect
from farm import Client, sql_path, wait_until
import shipped

RESET = False
DB = "pyfarm_health"
URL = "/pyfarm-jobs-health"
HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}
OK = {"status": "ok"}
NO_DATABASE = {"status": "error",
               "problems": [{"kind": "database", "problem": "unavailable"}]}
RECOVERY_LIMIT = 5.0  # seconds after PostgreSQL is back


def error(*problems):
    """The 503 body naming (kind, name, problem) for each problem."""
    return {"status": "error",
            "problems": [{"kind": kind, "name": name, "problem": problem}
                         for kind, name, problem in problems]}


def health_httpd(farm, name="httpd-health"):
    """An httpd over DB with the shipped health <Location>, the API moved
    elsewhere by PyFarmJobsBase (which must not move the health check)."""
    pg = farm.pg
    pg.create_database(DB)
    for sql in ("schema.sql", "indexes.sql"):
        pg.load_file(sql_path(sql), dbname=DB)
    conf = shipped.section(f"<Location {URL}>") + "\nPyFarmJobsBase /elsewhere/api/v1/jobs"
    return farm.other_httpd(name, dbname=DB, extra_conf=conf)


@contextlib.contextmanager
def health_server(farm):
    """(httpd, client) of a started health_httpd; afterwards httpd stops
    (hanging up its clients) and DB is dropped."""
    httpd = health_httpd(farm)
    try:
        httpd.start()
        yield httpd, Client(httpd.port)
    finally:
        httpd.stop()
        farm.pg.drop_database(DB)


def healthy(client):
    return expect(client.get(URL), 200, json=OK, headers=HEADERS)


def test_ok_head_and_other_methods(farm):
    with health_server(farm) as (_, client):
        expect(healthy(client), 200, body='{"status": "ok"}')
        expect(client.request("HEAD", URL), 200, body=b"", headers=HEADERS)
        for method in ("POST", "PUT", "DELETE", "OPTIONS"):
            resp = expect(client.request(method, URL), 405,
                          headers={"Allow": "GET, HEAD", "Content-Type": "application/json"})
            assert resp.json()["error"].endswith(f"{URL} does not allow {method} requests"), resp


def test_missing_and_invalid_indexes_are_named_until_mended(farm):
    pg = farm.pg
    with health_server(farm) as (_, client):
        healthy(client)
        # dropped, and left INVALID as a failed CREATE INDEX CONCURRENTLY leaves it
        pg.psql("DROP INDEX pfj_tasks_failed_idx;"
                "UPDATE pg_index SET indisvalid = false"
                " WHERE indexrelid = 'pfj_jobs_title_idx'::regclass;", dbname=DB)
        expect(client.get(URL), 503, headers=HEADERS,
               json=error(("index", "pfj_jobs_title_idx", "invalid"),
                          ("index", "pfj_tasks_failed_idx", "missing")))
        expect(client.request("HEAD", URL), 503, body=b"", headers=HEADERS)
        # mended as the startup warning says: drop the INVALID one, run indexes.sql
        pg.psql("DROP INDEX pfj_jobs_title_idx;", dbname=DB)
        pg.load_file(sql_path("indexes.sql"), dbname=DB)
        healthy(client)


def test_a_missing_table_is_named(farm):
    pg = farm.pg
    with health_server(farm) as (httpd, client):
        healthy(client)
        # gone under the pooled connections, which prepared their statements before
        pg.psql("ALTER TABLE tasks RENAME TO tasks_away;"
                "ALTER TABLE notified_users RENAME TO notified_away;", dbname=DB)
        expect(client.get(URL), 503, headers=HEADERS,
               json=error(("table", "tasks", "missing"),
                          ("table", "notified_users", "missing")))
        # a connection opened now cannot prepare the module's statements:
        # mod_dbd drops it, so a new httpd gets none (its error_log says why)
        httpd.stop()
        httpd.start()
        expect(client.get(URL), 503, json=NO_DATABASE, headers=HEADERS)
        assert any("tasks" in line and "does not exist" in line
                   for line in httpd.error_log_lines()), httpd.error_log_lines()[-5:]
        pg.psql("ALTER TABLE tasks_away RENAME TO tasks;"
                "ALTER TABLE notified_away RENAME TO notified_users;", dbname=DB)
        healthy(client)


def test_database_down_then_back(farm):
    pg = farm.pg
    with health_server(farm) as (_, client):
        healthy(client)
        with farm.httpd.tolerate_log_problems():
            pg.stop()
            try:
                for _ in range(2):
                    expect(client.get(URL), 503, json=NO_DATABASE, headers=HEADERS)
            finally:
                pg.start()
            wait_until(lambda: client.get(URL).status == 200, RECOVERY_LIMIT,
                       "the health check to pass again")
            healthy(client)
            # the farm's own httpd, idle meanwhile, serves again too
            wait_until(lambda: farm.client.get("/api/v1/jobs/1").status == 200,
                       RECOVERY_LIMIT, "the farm's httpd to serve again")
