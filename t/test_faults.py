"""Faults under load (README "Reliability"): PostgreSQL restarted, down for
ten seconds, and a failover to a promoted streaming standby, each while
agents update tasks, artists submit jobs and dashboards read lists
(t/lib/load.py).  During the fault every answer is 2xx or the module's
503 (JSON, Retry-After), never a 500 or a crashed child; full service
comes back within 5 s of PostgreSQL being back; nothing acknowledged is
lost, nothing is half-written, and every job's state is what its tasks
say.  Each test prints what it measured."""

import os
import time

from farm import Httpd, PostgresCluster, sql_path, wait_until
from load import FarmLoad

RESET = True
RECOVERY_LIMIT = 5.0     # seconds after PostgreSQL is back
CLIENTS = dict(agents=10, submitters=3, readers=3)


def run_fault(farm, name, fault, seconds, httpd=None, pg=None):
    """The load on httpd (the farm's by default) over pg, `fault` called
    meanwhile (it returns the moment PostgreSQL was back); checks, then
    returns the load and the recovery time."""
    httpd, pg = httpd or farm.httpd, pg or farm.pg
    load = FarmLoad(pg, [httpd.port], prefix=name, **CLIENTS)
    load.prepare(jobs=8, tasks_per_job=200)
    mark = httpd.error_log_size()
    back = []
    with httpd.tolerate_log_problems():
        load.run(seconds, during=lambda: back.append(fault(load)))
    assert httpd.crashes(mark) == []
    settled(httpd)
    return load, back[0]


def settled(httpd):
    """Waits until httpd has started every child the load made it start
    (its MPM looks once a second): a child that opens its connections
    while the next test empties the tables could deadlock with it."""
    seen = []

    def stable():
        seen.append(len(httpd.child_pids()))
        return len(seen) > 3 and len(set(seen[-4:])) == 1

    wait_until(stable, 15, "httpd's children to settle", interval=0.4)


def checked(load, back, what):
    recovery = load.recovered_after(back)
    failed = len(load.failures())
    print(f"# {what}: {failed} answers 503 or none during the fault; "
          f"full service {recovery:.2f} s after PostgreSQL was back; {load.summary()}")
    assert failed > 0, "the fault was not seen: the test proves nothing"
    assert recovery <= RECOVERY_LIMIT, f"full service only {recovery:.2f} s after"
    assert load.failures(until=load.started + 1.0) == [], "failures before the fault"
    load.verify()


def pause(seconds):
    time.sleep(seconds)


def postmaster_pid(pg):
    with open(os.path.join(pg.datadir, "postmaster.pid")) as f:
        return int(f.readline())


def test_postgres_restart_under_load(farm):
    pids = []

    def restart(load):
        pause(2)
        pids.append(postmaster_pid(farm.pg))
        farm.pg.stop()
        farm.pg.start()
        pids.append(postmaster_pid(farm.pg))
        return time.monotonic()

    load, back = run_fault(farm, "restart", restart, seconds=10)
    assert pids[0] != pids[1], pids
    checked(load, back, "restart")


def test_postgres_down_for_ten_seconds_under_load(farm):
    def outage(load):
        pause(2)
        farm.pg.stop()
        pause(10)
        farm.pg.start()
        return time.monotonic()

    load, back = run_fault(farm, "outage", outage, seconds=18)
    checked(load, back, "10 s outage")


# ---------------------------------------------------------------- failover

def replicated_pair(farm):
    """A primary (synchronous replication: a commit waits for the
    standby) and its streaming standby, both running, durable (not the
    harness's fast settings), with the schema and demo data."""
    primary = PostgresCluster(os.path.join(farm.basedir, "failover-primary"), fast=False)
    primary.init()
    for name in ("schema.sql", "indexes.sql", "demo.sql"):
        primary.load_file(sql_path(name))
    standby = primary.standby(os.path.join(farm.basedir, "failover-standby"))
    standby.start()
    # synchronous once the standby is there (before, a commit would wait)
    primary.psql("ALTER SYSTEM SET synchronous_standby_names = '*';"
                 " SELECT pg_reload_conf();")
    wait_until(lambda: primary.query("SELECT sync_state FROM pg_stat_replication")
               == [("sync",)], 30, "the standby in synchronous replication")
    return primary, standby


def test_failover_to_a_promoted_standby_under_load(farm):
    primary, standby = replicated_pair(farm)
    # libpq tries the hosts in turn and takes the one that accepts writes
    httpd = Httpd(os.path.join(farm.basedir, "httpd-failover"), farm.httpd.module_path,
                  f"host=127.0.0.1,127.0.0.1 port={primary.port},{standby.port}"
                  " dbname=pyfarm user=postgres target_session_attrs=read-write"
                  " connect_timeout=2", sanitizer_dir=farm.sanitizer_dir)
    try:
        httpd.start()

        def failover(load):
            pause(3)
            primary.stop(mode="immediate")
            pause(0.5)
            standby.promote()
            load.pg = standby     # what was acknowledged is read from here
            return time.monotonic()

        load, back = run_fault(farm, "failover", failover, seconds=14,
                               httpd=httpd, pg=primary)
        checked(load, back, "failover")
    finally:
        httpd.stop()
        primary.stop()
        standby.stop()
