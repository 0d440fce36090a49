#!/usr/bin/env python3
"""Development server (scripts/run-dev): a persistent private PostgreSQL
cluster and httpd with mod_pyfarm_jobs, until Ctrl-C.

The cluster lives in DIR/pg and is kept between runs; the SQL files are
loaded only when it is created (or with --fresh).  httpd's error_log is
echoed here as it grows.  Ctrl-C or SIGTERM stops both servers.
"""

import argparse
import os
import sys
import time

T_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(T_DIR)
sys.path.insert(0, os.path.join(T_DIR, "lib"))

import farm as farmlib  # noqa: E402  (needs the path above)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default=os.path.join(REPO, ".run"),
                        help="state directory (default: .run)")
    parser.add_argument("--http-port", type=int, default=8080)
    parser.add_argument("--pg-port", type=int, default=55432)
    parser.add_argument("--module", default=os.path.join(REPO, ".libs", "mod_pyfarm_jobs.so"))
    parser.add_argument("--loglevel", default="info",
                        help="LogLevel of the module: warn, info, debug, trace1... (default: info)")
    parser.add_argument("--fresh", action="store_true",
                        help="recreate the database from sql/ (its data is lost)")
    parser.add_argument("--durable", action="store_true",
                        help="keep PostgreSQL's fsync on (default: off, for speed)")
    return parser.parse_args()


def banner(farm):
    url = f"{farm.base_url}/api/v1/jobs/"
    print(f"""
mod_pyfarm_jobs is serving {url}
  try:       curl {url}schema
  psql:      {farm.pg.shell_command()}
  logs:      {farm.httpd.error_log}
             {farm.httpd.access_log}
Ctrl-C stops httpd and PostgreSQL.
""", flush=True)


def follow_error_log(httpd):
    """Echo error_log lines as they come while httpd runs; return its exit
    status."""
    with open(httpd.error_log, encoding="utf-8", errors="replace") as log:
        log.seek(0, os.SEEK_END)
        while httpd.running():
            sys.stdout.writelines(log.readlines())
            sys.stdout.flush()
            time.sleep(0.5)
    return httpd.proc.returncode


def main():
    args = parse_args()
    log_dir = os.path.join(farmlib.prepare_basedir(args.dir), "task_logs")
    farm = farmlib.Farm(args.dir, args.module, http_port=args.http_port,
                        pg_port=args.pg_port, fast=not args.durable, loglevel=args.loglevel,
                        extra_conf=f'PyFarmJobsLogDir "{log_dir}"')
    try:
        farm.start(fresh_database=args.fresh)
        if farm.database_outdated():
            print("note: sql/ changed since the database was loaded; "
                  "run with --fresh to reload it (its data is lost)")
        banner(farm)
        status = follow_error_log(farm.httpd)
        print(f"serve: httpd exited on its own with status {status}", file=sys.stderr)
        return 1
    except RuntimeError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        if "in use" in str(exc):
            print("serve: choose other ports with PFJ_HTTP_PORT=... PFJ_PG_PORT=...",
                  file=sys.stderr)
        return 1
    finally:
        farm.stop()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
