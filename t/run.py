#!/usr/bin/env python3
"""Integration tests of mod_pyfarm_jobs.

Starts one Farm (a private PostgreSQL cluster and an httpd loading the
module, see t/lib/farm.py) in a new directory under t/tmp/, then runs every
function test_*(farm) of t/test_*.py in file order, calling farm.reset()
before each one unless its module sets RESET = False.  Prints
"ok N - file::name" or "not ok N - file::name" and the failure, indented.
Then every problem line in httpd's error_log (see Httpd.is_problem), and
every report file of the sanitizers of a module built with them or of
valgrind (--valgrind; Httpd.sanitizer_reports), and every core file
of a crashed httpd process (shown with its backtrace), counts as one more
failure.  The last line is "N passed, M failed"; the exit
status is 0 only when nothing failed.  Builds nothing: see scripts/build.sh.
"""

import argparse
import glob
import importlib.util
import inspect
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback

T_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(T_DIR)
sys.path.insert(0, os.path.join(T_DIR, "lib"))

import farm as farmlib  # noqa: E402  (needs the path above)

TMP_DIR = os.path.join(T_DIR, "tmp")
EXTRA_CONF = """\
PyFarmJobsMaxBodySize 65536
# the API mounted a second time under another path (t/test_routing.py)
<Location /farm/api/v1/jobs>
    SetHandler pyfarm-jobs
    PyFarmJobsBase /farm/api/v1/jobs
</Location>"""
# Task logs (t/test_task_logs.py): a directory of the run, which the module
# creates at startup; downloads through sendfile; and one task whose
# uploads are capped low, served without sendfile (a <Location> nested in
# the API's own: the module routes under the prefix that names something).
LOG_DIR_NAME = "task_logs"
LOG_CONF = """\
PyFarmJobsLogDir "{log_dir}"
EnableSendfile On
<Location "/api/v1/jobs/2/tasks/14/">
    PyFarmJobsMaxLogSize 1000
    EnableSendfile Off
</Location>"""
TEST_TIMEOUT = 120  # seconds for one test, reset included
SANITIZER_REPORT_LINES = 40  # of a report shown with its failure
CORE_BACKTRACE_FRAMES = 60  # of a core's backtrace shown with its failure


class Report:
    """Numbered TAP-like result lines and the final count."""

    def __init__(self):
        self.number = self.passed = self.failed = 0

    def ok(self, label):
        self.number += 1
        self.passed += 1
        print(f"ok {self.number} - {label}", flush=True)

    def not_ok(self, label, detail):
        self.number += 1
        self.failed += 1
        print(f"not ok {self.number} - {label}")
        for line in detail.rstrip("\n").splitlines():
            print(f"    {line}")
        sys.stdout.flush()

    def summary(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 else 1


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", default=os.path.join(REPO, ".libs", "mod_pyfarm_jobs.so"),
                        help="module to load (default: .libs/mod_pyfarm_jobs.so)")
    parser.add_argument("-k", dest="patterns", action="append", metavar="SUBSTRING",
                        help='run only tests whose "file::name" contains SUBSTRING '
                             "(repeated: any of them)")
    parser.add_argument("--keep", action="store_true",
                        help="leave the servers running afterwards, for debugging")
    parser.add_argument("--valgrind", action="store_true",
                        help="run httpd as one process (-X) under valgrind's memcheck; "
                             "each error it reports fails the run")
    return parser.parse_args()


def import_file(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_tests(patterns, report):
    """(label, function, reset) for each selected test, in file order.
    A test file that fails to import is reported as a failure."""
    tests = []
    for path in sorted(glob.glob(os.path.join(T_DIR, "test_*.py"))):
        filename = os.path.basename(path)
        try:
            module = import_file(path)
        except Exception:
            report.not_ok(f"{filename} (import)", traceback.format_exc())
            continue
        functions = [f for name, f in vars(module).items()
                     if name.startswith("test_") and inspect.isfunction(f)
                     and f.__module__ == module.__name__]
        functions.sort(key=lambda f: f.__code__.co_firstlineno)
        reset = getattr(module, "RESET", True)
        tests += [(f"{filename}::{f.__name__}", f, reset) for f in functions
                  if any(p in f"{filename}::{f.__name__}" for p in patterns)]
    return tests


class TestTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise TestTimeout(f"test still running after {TEST_TIMEOUT}s")


def run_one(farm, function, reset):
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(TEST_TIMEOUT)
    try:
        if reset:
            farm.reset()
        function(farm)
    finally:
        signal.alarm(0)


def failure_text(exc):
    """An assertion's message and the test line that failed; for any other
    exception its whole traceback."""
    if not isinstance(exc, AssertionError):
        return "".join(traceback.format_exception(exc))
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.basename(f.filename).startswith("test_")]
    where = frames[-1] if frames else traceback.extract_tb(exc.__traceback__)[-1]
    message = str(exc) or "assertion failed"
    return f"{message}\nat {os.path.basename(where.filename)}:{where.lineno}: {where.line}"


def run_tests(farm, tests, report):
    """Run the tests; returns (label, start, end) error_log offsets of each."""
    spans = []
    for label, function, reset in tests:
        start = farm.httpd.error_log_size()
        try:
            run_one(farm, function, reset)
        except Exception as exc:
            report.not_ok(label, failure_text(exc))
        else:
            report.ok(label)
        spans.append((label, start, farm.httpd.error_log_size()))
    return spans


def check_error_log(httpd, spans, report):
    """One failure per problem line of error_log, saying when it was logged."""
    segments, cursor = [], 0
    for label, start, end in spans:
        segments += [("outside any test", cursor, start), (f"during {label}", start, end)]
        cursor = end
    segments.append(("outside any test", cursor, None))
    for when, since, until in segments:
        for line in httpd.error_log_problems(since, until):
            report.not_ok(f"error_log: {line}", f"logged {when}")


def check_sanitizer_reports(httpd, report):
    """One failure per report file of AddressSanitizer (a module built with
    the sanitizers) or valgrind (--valgrind), with its first lines."""
    for path in httpd.sanitizer_reports():
        with open(path, encoding="utf-8", errors="replace") as f:
            first = "".join(f.readlines()[:SANITIZER_REPORT_LINES])
        report.not_ok(f"report {os.path.basename(path)}", first)


def check_core_dumps(farm, report):
    """One failure per core file of a crashed process of any httpd of the
    run, with the backtrace of the thread that crashed (gdb), or its path
    without gdb."""
    for path in farm.core_dumps():
        name = f"core {os.path.relpath(path, farm.basedir)}"
        if shutil.which("gdb") is None:
            report.not_ok(name, "no gdb to show its backtrace")
            continue
        proc = subprocess.run(["gdb", "-batch", "-nx", "-ex", f"bt {CORE_BACKTRACE_FRAMES}",
                               farmlib.APACHE_BIN, path], capture_output=True,
                              encoding="utf-8", errors="replace", timeout=120)
        frames = [line for line in proc.stdout.splitlines() if line.startswith("#")]
        report.not_ok(name, "\n".join(frames) or proc.stderr)


def keep_running(farm):
    farm.detach()
    print(f"# servers left running (--keep), files in {farm.basedir}")
    print(f"#   API:   {farm.base_url}/api/v1/jobs/")
    print(f"#   psql:  {farm.pg.shell_command()}")
    print(f"#   log:   {farm.httpd.error_log}")
    for command in farm.stop_commands():
        print(f"#   stop:  {command}")


def clean_up(farm, basedir, failed):
    """Remove the run's directory; after failures keep its logs."""
    if failed:
        shutil.rmtree(farm.pg.datadir, ignore_errors=True)  # 40 MB of database
        print(f"# logs kept in {farm.basedir}")
    else:
        farmlib.remove_basedir(basedir)


def main():
    args = parse_args()
    report = Report()
    module = os.path.abspath(args.module)
    if not os.path.isfile(module):
        report.not_ok("setup", f"{module}: no such module; build it with scripts/build.sh")
        return report.summary()
    patterns = args.patterns or [""]
    tests = load_tests(patterns, report)
    if not tests:
        print(f"# no test matches {' or '.join(map(repr, patterns))}")
    basedir = os.path.join(TMP_DIR, time.strftime("run-%Y%m%d-%H%M%S-") + str(os.getpid()))
    log_dir = os.path.join(farmlib.prepare_basedir(basedir), LOG_DIR_NAME)
    farm = farmlib.Farm(basedir, module, extra_conf=EXTRA_CONF + "\n"
                        + LOG_CONF.format(log_dir=log_dir), valgrind=args.valgrind)
    try:
        farm.start()
    except Exception as exc:
        report.not_ok("setup", f"could not start the servers: {exc}\nfiles kept in {basedir}")
        return report.summary()
    try:
        spans = run_tests(farm, tests, report)
    finally:
        if args.keep:
            keep_running(farm)
        else:
            farm.stop()
    check_error_log(farm.httpd, spans, report)
    check_sanitizer_reports(farm.httpd, report)
    check_core_dumps(farm, report)
    if not args.keep:
        clean_up(farm, basedir, report.failed)
    return report.summary()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
