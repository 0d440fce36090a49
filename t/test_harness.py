"""Tests of the test harness itself (t/lib/farm.py, t/lib/check.py): they
hold whatever the module does, and tell a broken harness from a broken
module."""

import os
import socket

from check import expect
from farm import APACHE_MODDIR, Httpd, clean_env, httpd_env, make_dir, wait_until


def test_static_file_is_served(farm):
    resp = farm.client.get("/index.html")
    expect(resp, 200, body=Httpd.INDEX_HTML, headers={"Content-Type": "text/html"})


def test_query_returns_text_and_none(farm):
    assert farm.pg.query("select 1") == [("1",)]
    assert farm.pg.query("select 1 where false") == []
    rows = farm.pg.query("select g, null, '', E'a\\nb|c' from generate_series(1, 2) g")
    assert rows == [("1", None, "", "a\nb|c"), ("2", None, "", "a\nb|c")], rows


def test_dbd_pool_reaches_postgres(farm):
    """mod_dbd opens DBDMin connections in each worker process: proof that
    the workers (www-data when root) can use the cluster's unix socket."""
    sql = ("select count(*) from pg_stat_activity where datname = 'pyfarm' "
           "and backend_type = 'client backend' and pid <> pg_backend_pid()")
    wait_until(lambda: int(farm.pg.query(sql)[0][0]) >= 1, 10, "mod_dbd's connections")


def test_client_reopens_a_closed_connection(farm):
    expect(farm.client.get("/index.html", headers={"Connection": "close"}), 200)
    expect(farm.client.get("/index.html"), 200)
    farm.client._conn.sock.shutdown(socket.SHUT_RDWR)  # as if the server had closed it
    expect(farm.client.get("/index.html"), 200)


def test_reset_empties_tables_and_restarts_sequences(farm):
    farm.pg.psql("create table harness_probe (id serial primary key, v text);"
                 "insert into harness_probe (v) values ('a'), ('b');")
    try:
        farm.reset()
        assert farm.pg.query("select count(*) from harness_probe") == [("0",)]
        rows = farm.pg.query("insert into harness_probe (v) values ('c') returning id")
        assert rows == [("1",)], rows
    finally:
        farm.pg.psql("drop table harness_probe")


def test_error_log_problem_lines(farm):
    problem = farm.httpd.is_problem
    prefix = "[Sat Nov 28 06:10:51.076679 2026] "
    assert problem(prefix + "[dbd:error] [pid 1:tid 2] (20014)Internal error: AH00629: Can't connect to pgsql")
    assert problem(prefix + "[pyfarm_jobs:error] [pid 1:tid 2] [client 127.0.0.1:5] query failed")
    assert problem(prefix + "[core:notice] [pid 1:tid 1] AH00052: child pid 7 exit signal Segmentation fault (11)")
    assert problem(prefix + "[core:crit] [pid 1:tid 1] AH00102: anything")
    assert problem("src/core/router.c:60:9: runtime error: signed integer overflow")
    assert problem("==4242==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6")
    assert not problem(prefix + "[dbd:info] [pid 1:tid 2] DBD: connection opened")
    assert not problem(prefix + "[pyfarm_jobs:info] [pid 1:tid 2] request done")
    assert not problem(prefix + "[mpm_event:notice] [pid 1:tid 1] AH00489: resuming normal operations")


def test_sanitizer_report_files_are_found(farm):
    """What t/run.py fails the run on: every file in an httpd's
    sanitizer_dir that is not empty (a fresh httpd here, never started)."""
    httpd = Httpd(os.path.join(farm.basedir, "harness-sanitizer"), None, "",
                  load_module=False)
    assert httpd.sanitizer_reports() == []
    make_dir(httpd.sanitizer_dir)
    with open(os.path.join(httpd.sanitizer_dir, "valgrind.122"), "w", encoding="utf-8"):
        pass  # valgrind --quiet found nothing
    report = os.path.join(httpd.sanitizer_dir, "asan.123")
    with open(report, "w", encoding="utf-8") as f:
        f.write("==123==ERROR: AddressSanitizer: heap-buffer-overflow\n")
    assert httpd.sanitizer_reports() == [report]


def test_a_module_without_sanitizers_runs_in_the_clean_environment(farm):
    module = os.path.join(APACHE_MODDIR, "mod_dbd.so")
    assert httpd_env(module, "/nonexistent") == clean_env()
