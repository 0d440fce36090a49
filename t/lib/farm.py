"""Servers for mod_pyfarm_jobs' integration tests and development server.

A `Farm` is a private PostgreSQL cluster plus a standalone httpd that loads
our module, both on 127.0.0.1 and under one base directory; nothing here
touches the system's apache2 or PostgreSQL services.  Used by t/run.py (the
tests) and t/serve.py (scripts/run-dev).  Python 3 standard library only.

    with Farm("t/tmp/x", ".libs/mod_pyfarm_jobs.so") as farm:
        farm.reset()
        resp = farm.client.get("/api/v1/jobs/")
        rows = farm.pg.query("select id, title from jobs")

Whatever ends the program (exception, Ctrl-C, SIGTERM, SIGHUP), servers
started here are stopped: Farm's context manager and atexit both stop them.
"""

import atexit
import contextlib
import glob
import grp
import hashlib
import http.client
import json as _json
import math
import os
import pwd
import re
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONF_TEMPLATE = os.path.join(REPO, "conf", "httpd.conf.in")
SQL_DIR = os.path.join(REPO, "sql")
SCHEMA_FILES = ("schema.sql", "indexes.sql")
DEMO_FILE = "demo.sql"

APACHE_BIN = "/usr/sbin/apache2"
APACHE_MODDIR = "/usr/lib/apache2/modules"
DBNAME = "pyfarm"

START_TIMEOUT = 30      # seconds for a server to come up
STOP_TIMEOUT = 30       # seconds for a server to go away
GRACEFUL_STOP_TIMEOUT = 10  # seconds for httpd's children to finish their requests
COMMAND_TIMEOUT = 300   # seconds for initdb or psql loading a file
HTTP_TIMEOUT = 30       # seconds for one HTTP exchange

IS_ROOT = os.geteuid() == 0
# When root, servers run as these accounts: initdb refuses to run as root,
# and httpd's workers drop to www-data.
PG_ACCOUNT = "postgres"
HTTPD_ACCOUNT = "www-data"


class CommandError(RuntimeError):
    """A helper program failed; the message carries its output."""


# --------------------------------------------------------------- utilities

def run(cmd, *, user=None, input=None, cwd=None, timeout=COMMAND_TIMEOUT):
    """Run `cmd` (as `user` when we are root) and return its stdout.

    The child gets its own session, so a Ctrl-C in the terminal reaches only
    us and we decide what to stop; subprocess kills it if we are interrupted.
    """
    if user and IS_ROOT:
        cmd = ["runuser", "-u", user, "--"] + cmd
    try:
        proc = subprocess.run(cmd, input=input, cwd=cwd, env=clean_env(),
                              capture_output=True, encoding="utf-8",
                              timeout=timeout, start_new_session=True)
    except subprocess.TimeoutExpired as exc:
        raise CommandError(f"{shlex.join(cmd)}: no result after {timeout}s") from exc
    if proc.returncode != 0:
        raise CommandError(f"{shlex.join(cmd)} exited with {proc.returncode}:\n"
                           f"{proc.stdout}{proc.stderr}".rstrip())
    return proc.stdout


def clean_env():
    """The environment of our servers and tools, made from scratch so that
    PG*, APACHE_* or LC_* settings of the caller change nothing."""
    path = os.environ.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin"  # runuser
    return {"PATH": path, "LANG": "C.UTF-8",
            "PGCONNECT_TIMEOUT": "10", "PGCLIENTENCODING": "UTF8"}


# Runtimes of the sanitizers a module built with --enable-sanitizers
# links (PFJ_SANITIZE=1 bash scripts/run-tests), AddressSanitizer's first:
# it must come before every other library of the process.
SANITIZER_RUNTIMES = ("libasan.so", "libubsan.so")


def sanitizer_runtimes(module_path):
    """The paths of the sanitizer runtimes module_path needs, by ldd, in
    SANITIZER_RUNTIMES order; () for a module built without them."""
    out = subprocess.run(["ldd", module_path], capture_output=True, encoding="utf-8",
                         env=clean_env(), timeout=COMMAND_TIMEOUT).stdout
    needed = dict(re.findall(r"^\s*(\S+) => (/\S+)", out, re.M))
    return tuple(path for runtime in SANITIZER_RUNTIMES
                 for name, path in needed.items() if name.startswith(runtime))


def httpd_env(module_path, report_dir):
    """The environment of an httpd that loads module_path: clean_env(), and
    when the module was built with sanitizers, their runtimes preloaded
    (httpd itself is built without them).  AddressSanitizer writes its
    reports to report_dir, one file per process (Httpd.sanitizer_reports);
    gcc's UndefinedBehaviorSanitizer, running beside it, writes to stderr
    whatever its log_path says, so its reports land in error_log
    (Httpd.is_problem).  Leaks are not looked for: httpd leaves its memory
    to the exit."""
    env = clean_env()
    runtimes = sanitizer_runtimes(module_path) if module_path else ()
    if runtimes:
        make_dir(report_dir, owner=HTTPD_ACCOUNT)  # the workers write there too
        env["LD_PRELOAD"] = ":".join(runtimes)
        env["ASAN_OPTIONS"] = (f"log_path={report_dir}/asan:detect_leaks=0:"
                               "abort_on_error=0")
        env["UBSAN_OPTIONS"] = "print_stacktrace=1"
    return env


def wait_until(predicate, timeout, what, interval=0.05):
    """Poll `predicate` until it returns something true and return that;
    raise TimeoutError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def free_port():
    """A loopback TCP port that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port):
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def accepts_connections(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def pid_alive(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def parent_pid(pid):
    """The parent of `pid`, or None when it has gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def rss_kib(pid):
    """Resident memory of `pid` in KiB (VmRSS of /proc/PID/status)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise ValueError(f"no VmRSS for pid {pid} (a kernel thread or a zombie?)")


def tail(path, lines=20):
    """The last lines of a log file, for error messages."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except FileNotFoundError:
        return "(no such file)\n"


def chown_to(path, account):
    """Give `path` to `account` when we are root (a no-op otherwise)."""
    if IS_ROOT:
        entry = pwd.getpwnam(account)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def make_dir(path, mode=0o755, owner=None):
    os.makedirs(path, exist_ok=True)
    os.chmod(path, mode)
    if owner:
        chown_to(path, owner)


def write_file(path, text, mode=0o644):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)


# ----------------------------------------------------- the base directory

# A unix socket path is at most 107 bytes; "<basedir>/pgsock/.s.PGSQL.NNNNN"
# adds 22 to the base directory, and Farm puts the cluster in <basedir>/pg.
MAX_BASEDIR_LEN = 80


def _others_can_reach(path):
    """True when every existing ancestor of `path` is searchable by others."""
    path = os.path.abspath(path)
    while True:
        if os.path.exists(path) and not os.stat(path).st_mode & 0o001:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def _usable_basedir(path):
    return len(path) <= MAX_BASEDIR_LEN and (not IS_ROOT or _others_can_reach(path))


def prepare_basedir(path):
    """Create the base directory `path` and return the real directory to use.

    When we are root, postgres (the cluster) and www-data (httpd's workers,
    connecting to the cluster's socket) must reach it, and the socket path
    in it must be short.  A checkout under /root, or a deep one, can't give
    that: then the state lives in a new directory under /tmp and `path`
    becomes a symlink to it (a later run follows the symlink).
    """
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.lexists(path):
        if _usable_basedir(path):
            os.mkdir(path)
        else:
            os.symlink(tempfile.mkdtemp(prefix="pfj-", dir="/tmp"), path)
    real = os.path.realpath(path)
    make_dir(real)  # also recreates a symlink's target removed by a reboot
    if not _usable_basedir(real):
        raise RuntimeError(f"{real}: unusable as a base directory (longer than "
                           f"{MAX_BASEDIR_LEN} bytes or not searchable by other users)")
    return real


def remove_basedir(path):
    """Delete a base directory made by prepare_basedir, symlink target included."""
    shutil.rmtree(os.path.realpath(path), ignore_errors=True)
    if os.path.islink(path):
        os.unlink(path)


# -------------------------------------------------- cleanup on any exit

_running = []  # servers started and not yet stopped, oldest first


def _stop_all_running():
    with signals_ignored():
        for server in reversed(list(_running)):
            try:
                server.stop()
            except Exception as exc:  # keep stopping the others
                print(f"farm: could not stop {server!r}: {exc}", file=sys.stderr)


atexit.register(_stop_all_running)


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def install_signal_handlers():
    """Make SIGTERM and SIGHUP raise SystemExit, as SIGINT raises
    KeyboardInterrupt, so finally blocks and atexit get to stop the servers.
    Handlers someone else installed are left alone."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) == signal.SIG_DFL:
            signal.signal(sig, _exit_on_signal)


@contextlib.contextmanager
def signals_ignored():
    """Ignore SIGINT/SIGTERM/SIGHUP meanwhile, so that an impatient second
    Ctrl-C can't cut a shutdown short (every step of it has a timeout)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    saved = {sig: signal.signal(sig, signal.SIG_IGN) for sig in sigs}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _started(server):
    install_signal_handlers()
    if server not in _running:
        _running.append(server)


def _stopped(server):
    if server in _running:
        _running.remove(server)


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


# -------------------------------------------------------------- PostgreSQL

def postgres_bindir():
    """bin/ of the newest PostgreSQL major version installed."""
    found = glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")
    if not found:
        raise RuntimeError("PostgreSQL server not found under /usr/lib/postgresql: "
                           "run scripts/deps.sh")
    newest = max(found, key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(newest)


class PostgresCluster:
    """A private cluster: basedir/pgdata, socket in basedir/pgsock,
    log basedir/postgres.log, TCP on 127.0.0.1:port; trust authentication,
    superuser postgres, database `pyfarm`.

    `fast` trades durability for speed (fsync, synchronous_commit and
    full_page_writes off): right for tests and development only.
    `max_connections` None leaves PostgreSQL's default (100): with fast
    False as well, the server runs on PostgreSQL's defaults but for where it
    listens (bench/scale.py's plain contract).
    """

    NULL = "\x1a<NULL>\x1a"  # how query() asks psql to print NULL

    def __init__(self, basedir, port=None, fast=True, max_connections=200, options=None):
        self.basedir = prepare_basedir(basedir)
        self.datadir = os.path.join(self.basedir, "pgdata")
        self.sockdir = os.path.join(self.basedir, "pgsock")
        self.logfile = os.path.join(self.basedir, "postgres.log")
        self.port = port or free_port()
        self.fast = fast
        self.max_connections = max_connections
        self.options = dict(options or {})   # more server options (-c k=v)
        self.bindir = postgres_bindir()

    def __repr__(self):
        return f"<PostgresCluster {self.datadir} port {self.port}>"

    def _tool(self, name, *args, **kwargs):
        """Run a server-side tool as the account owning the cluster."""
        return run([os.path.join(self.bindir, name), *args],
                   user=PG_ACCOUNT, cwd=self.basedir, **kwargs)

    def initialized(self):
        return os.path.exists(os.path.join(self.datadir, "PG_VERSION"))

    def init(self):
        """initdb, start and create the database, unless done before.
        Returns True when a new cluster was made (and is running)."""
        if self.initialized():
            return False
        make_dir(self.datadir, 0o700, PG_ACCOUNT)
        make_dir(self.sockdir, 0o755, PG_ACCOUNT)
        self._tool("initdb", "-D", self.datadir, "-A", "trust", "-U", "postgres",
                   "-E", "UTF8", "--locale=C.UTF-8", *(["--no-sync"] if self.fast else []))
        self.start()
        self.create_database()
        return True

    def server_options(self):
        opts = {"port": self.port, "listen_addresses": "127.0.0.1",
                "unix_socket_directories": self.sockdir}
        if self.max_connections is not None:
            opts["max_connections"] = self.max_connections
        if self.fast:
            opts.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        opts.update(self.options)
        return shlex.join(arg for k, v in opts.items() for arg in ("-c", f"{k}={v}"))

    def running(self):
        try:
            self._tool("pg_ctl", "status", "-D", self.datadir, timeout=STOP_TIMEOUT)
            return True
        except CommandError:
            return False

    def start(self):
        """Start the server and wait until it accepts connections.  A server
        already running on this data directory (left behind by a killed run)
        is restarted, so that it takes our port and options."""
        if not self.initialized():
            raise RuntimeError(f"{self.datadir}: no cluster, call init() first")
        if self.running():
            self.stop()
        make_dir(self.sockdir, 0o755, PG_ACCOUNT)
        if not os.path.exists(self.logfile):
            write_file(self.logfile, "", 0o640)
            chown_to(self.logfile, PG_ACCOUNT)
        _started(self)
        try:
            self._tool("pg_ctl", "start", "-D", self.datadir, "-l", self.logfile, "-w",
                       "-t", str(START_TIMEOUT), "-o", self.server_options(),
                       timeout=START_TIMEOUT + 10)
        except CommandError as exc:
            raise CommandError(f"{exc}\n--- {self.logfile}\n{tail(self.logfile)}") from None

    def stop(self, mode="fast"):
        """Shutdown (fast: disconnects clients; immediate: as a crash would),
        waiting for it; no-op when down."""
        if self.initialized() and self.running():
            self._tool("pg_ctl", "stop", "-D", self.datadir, "-m", mode, "-w",
                       "-t", str(STOP_TIMEOUT), timeout=STOP_TIMEOUT + 10)
        _stopped(self)

    def standby(self, basedir, options=None):
        """A streaming standby of this running cluster, copied with
        pg_basebackup -R into basedir (not started)."""
        standby = PostgresCluster(basedir, fast=self.fast, options=options)
        make_dir(standby.datadir, 0o700, PG_ACCOUNT)
        self._tool("pg_basebackup", "-D", standby.datadir, "-R", "-X", "stream", "-c", "fast",
                   "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                   *(["--no-sync"] if self.fast else []))
        return standby

    def promote(self):
        """A standby becomes a primary, waiting for it."""
        self._tool("pg_ctl", "promote", "-D", self.datadir, "-w", "-t", str(START_TIMEOUT),
                   timeout=START_TIMEOUT + 10)

    def dbd_params(self, dbname=DBNAME, tcp=False):
        """libpq conninfo for DBDParams: the unix socket, as httpd's workers
        use (or with `tcp` 127.0.0.1), and nothing else - the README's admin
        contract (the module turns JIT off for its own sessions)."""
        host = "127.0.0.1" if tcp else self.sockdir
        return f"host={host} port={self.port} dbname={dbname} user=postgres"

    def psql_command(self, dbname=DBNAME):
        """psql with connection options: no psqlrc, quiet, stop on the first error."""
        return [os.path.join(self.bindir, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                "-h", self.sockdir, "-p", str(self.port), "-U", "postgres", "-d", dbname]

    def shell_command(self):
        """An interactive psql on the database, for people."""
        return shlex.join(["psql", "-h", self.sockdir, "-p", str(self.port),
                           "-U", "postgres", DBNAME])

    def psql(self, sql_text, dbname=DBNAME):
        """Run SQL (psql meta-commands allowed); returns psql's output."""
        return run(self.psql_command(dbname) + ["-f", "-"], input=sql_text)

    def load_file(self, path, dbname=DBNAME):
        """Run a SQL file; errors name the file and line."""
        return run(self.psql_command(dbname) + ["-f", path])

    def query(self, sql, dbname=DBNAME):
        """Rows of the last statement of `sql` as tuples of str, None for NULL.

        Values are psql's text output (e.g. "t" for true, "1.5" for
        numeric).  psql ends each row with NUL, which no text value can
        contain, and separates fields with \\x1f.
        """
        out = run(self.psql_command(dbname) +
                  ["-A", "-t", "-F", "\x1f", "-0", "-P", f"null={self.NULL}", "-c", sql])
        return [tuple(None if v == self.NULL else v for v in row.split("\x1f"))
                for row in out.split("\0")[:-1]]

    def create_database(self, dbname=DBNAME):
        self.psql(f'DROP DATABASE IF EXISTS "{dbname}"; CREATE DATABASE "{dbname}";',
                  dbname="postgres")

    def drop_database(self, dbname):
        """Drop a database, disconnecting its sessions."""
        self.psql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE);', dbname="postgres")

    def log_size(self):
        """Current end of the cluster's log: a mark for log_entries."""
        try:
            return os.path.getsize(self.logfile)
        except FileNotFoundError:
            return 0

    _ENTRY_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")

    def log_entries(self, since=0):
        """The cluster log's entries written since the mark `since`: each
        one line with a timestamp and the lines that continue it (a plan
        that auto_explain logs, say) joined by newlines."""
        with open(self.logfile, "rb") as f:
            f.seek(since)
            text = f.read().decode("utf-8", errors="replace")
        entries = []
        for line in text.splitlines():
            if self._ENTRY_START.match(line) or not entries:
                entries.append(line)
            else:
                entries[-1] += "\n" + line
        return entries


# ------------------------------------------------------------------ httpd

class Httpd:
    """A standalone httpd rendered from conf/httpd.conf.in into basedir,
    run in the foreground as our child (so its pid and exit are ours to
    watch), listening on 127.0.0.1:port.

    Files: httpd.conf, error_log, access_log, httpd.pid, startup.log (what
    httpd prints before its error_log is open), htdocs/index.html, cores/
    (CoreDumpDirectory: the core of a crashed process, see
    Farm.core_dumps); the
    sanitizers' reports of a module built with them, and valgrind's, in
    sanitizer_dir (default: sanitizer/).

    With `valgrind`, httpd runs as one process (-X) under valgrind's
    memcheck, which reports every invalid access or use of uninitialised
    memory (not leaks: httpd leaves its memory to the exit) to
    sanitizer_dir.
    """

    INDEX_HTML = "<!doctype html>\n<title>pyfarm-jobs</title>\n<p>static baseline</p>\n"

    # error_log lines that fail a test run: see error_log_problems().
    _LEVEL = re.compile(r"\[([\w.-]+):(\w+)\]")
    _CRASH = re.compile(r"exit signal|Segmentation fault|AH0005[12]|AH00060|seg fault")
    # a sanitizer's report written to stderr, which is error_log
    _SANITIZER = re.compile(r"^\S+:\d+:\d+: runtime error: |^==\d+==ERROR: ")
    _SEVERE = {"crit", "alert", "emerg"}
    _NOTABLE = {"warn", "error"} | _SEVERE

    def __init__(self, basedir, module_path, dbd_params, extra_conf="",
                 load_module=True, port=None, loglevel="info", sanitizer_dir=None,
                 valgrind=False):
        self.rundir = prepare_basedir(basedir)
        self.conf = os.path.join(self.rundir, "httpd.conf")
        self.error_log = os.path.join(self.rundir, "error_log")
        self.access_log = os.path.join(self.rundir, "access_log")
        self.pidfile = os.path.join(self.rundir, "httpd.pid")
        self.startup_log = os.path.join(self.rundir, "startup.log")
        self.htdocs = os.path.join(self.rundir, "htdocs")
        self.core_dir = os.path.join(self.rundir, "cores")
        self.sanitizer_dir = sanitizer_dir or os.path.join(self.rundir, "sanitizer")
        self.valgrind = valgrind
        self.module_path = os.path.abspath(module_path) if module_path else None
        self.dbd_params = dbd_params
        self.extra_conf = extra_conf
        self.load_module = load_module
        self.port = port or free_port()
        self.loglevel = loglevel
        self.proc = None
        self._tolerated = []  # (start, end) byte ranges of error_log

    def __repr__(self):
        return f"<Httpd {self.conf} port {self.port}>"

    # configuration

    @property
    def loaded_module(self):
        """The copy of the module httpd loads: a rebuild of the original
        while httpd runs must not change the code under its feet."""
        return os.path.join(self.rundir, "mod_pyfarm_jobs.so")

    def render_conf(self):
        if self.load_module:
            load = f"LoadModule pyfarm_jobs_module {self.loaded_module}"
        else:
            load = "# pyfarm_jobs_module not loaded (harness self-test)"
        if IS_ROOT:
            user, group = HTTPD_ACCOUNT, HTTPD_ACCOUNT
        else:
            user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
        values = {"RUNDIR": self.rundir, "PORT": str(self.port), "MODDIR": APACHE_MODDIR,
                  "LOAD_PFJ": load, "PFJ_LOGLEVEL": self.loglevel, "USER": user,
                  "GROUP": group, "DBD_PARAMS": self.dbd_params, "EXTRA": self.extra_conf}
        with open(CONF_TEMPLATE, encoding="utf-8") as f:
            template = f.read()
        unknown = set(re.findall(r"@([A-Z_]+)@", template)) - values.keys()
        if unknown:
            raise RuntimeError(f"{CONF_TEMPLATE}: unknown placeholders {sorted(unknown)}")
        return re.sub(r"@([A-Z_]+)@", lambda m: values[m.group(1)], template)

    def write_files(self):
        if self.load_module and not os.path.isfile(self.module_path):
            raise RuntimeError(f"{self.module_path}: no such module (run scripts/build.sh)")
        if self.load_module:
            shutil.copyfile(self.module_path, self.loaded_module)
        make_dir(self.htdocs)
        make_dir(self.core_dir, 0o700, HTTPD_ACCOUNT)  # the workers dump there
        write_file(os.path.join(self.htdocs, "index.html"), self.INDEX_HTML)
        write_file(self.conf, self.render_conf())

    def command(self):
        """The command that runs httpd in the foreground.  valgrind writes
        nothing to its log file but errors (--quiet); it makes no gdbserver
        pipes, which httpd could not remove once it has dropped root."""
        if not self.valgrind:
            return [APACHE_BIN, "-f", self.conf, "-DFOREGROUND"]
        if self.load_module and sanitizer_runtimes(self.module_path):
            raise RuntimeError(f"{self.module_path} is built with the sanitizers, "
                               "which valgrind cannot run")
        make_dir(self.sanitizer_dir)
        return ["valgrind", "--quiet", "--vgdb=no", "--leak-check=no", "--num-callers=30",
                f"--log-file={self.sanitizer_dir}/valgrind.%p",
                APACHE_BIN, "-X", "-f", self.conf]

    def env(self):
        """httpd's environment (see httpd_env)."""
        return httpd_env(self.module_path if self.load_module else None, self.sanitizer_dir)

    def configtest(self):
        """`apache2 -t` on the rendered configuration: (exit status, output)."""
        self.write_files()
        proc = subprocess.run([APACHE_BIN, "-t", "-f", self.conf], env=self.env(),
                              capture_output=True, encoding="utf-8", timeout=START_TIMEOUT)
        return proc.returncode, proc.stdout + proc.stderr

    # lifecycle

    def start(self):
        """Start httpd and wait until its port accepts connections."""
        self.write_files()
        self._stop_stale()
        if not port_is_free(self.port):
            raise RuntimeError(f"127.0.0.1:{self.port} is already in use")
        with open(self.startup_log, "wb") as log:
            self.proc = subprocess.Popen(self.command(),
                                         stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=self.env(),
                                         preexec_fn=_allow_core_dumps,
                                         start_new_session=True)
        _started(self)
        wait_until(self._up, START_TIMEOUT, f"httpd to listen on 127.0.0.1:{self.port}")

    def _up(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"httpd exited with status {self.proc.returncode} "
                               f"while starting:\n{self._startup_output()}")
        return accepts_connections(self.port)

    def _startup_output(self):
        return "\n".join(f"--- {path}\n{tail(path)}" for path in (self.startup_log, self.error_log))

    def _stop_stale(self):
        """Stop an httpd still running from our pid file with our config (a
        run that was killed too hard to clean up), and drop the pid file."""
        pid = self.pidfile_pid()
        if pid and pid_alive(pid) and self.conf in _cmdline(pid):
            self._terminate(pid, list(self.child_pids(pid)))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.pidfile)

    def pidfile_pid(self):
        try:
            with open(self.pidfile) as f:
                return int(f.read().strip())
        except (FileNotFoundError, ValueError):
            return None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        """The parent (control) process; its pid is also in the PidFile."""
        return self.proc.pid if self.proc else None

    def stop(self):
        """SIGTERM to the parent, then wait for it and all its children."""
        if self.proc is None:
            return
        try:
            if self.proc.poll() is None:
                self._terminate(self.proc.pid, self.child_pids())
        finally:
            self.proc.wait(STOP_TIMEOUT)  # reaps the parent, gone by now
            self.proc = None
            _stopped(self)

    def _terminate(self, pid, children):
        """Stop one httpd: a graceful stop of its children first (see
        _stop_children_gracefully), then SIGTERM (httpd's immediate stop)
        to the parent; wait for it and its children, SIGKILL what outlives
        STOP_TIMEOUT."""
        procs = [pid] + list(children)
        if not self.valgrind:
            self._stop_children_gracefully(pid, children)
        os.kill(pid, signal.SIGTERM)
        try:
            wait_until(lambda: not any(pid_alive(p) for p in procs), STOP_TIMEOUT,
                       f"httpd {pid} and its children to exit")
        except TimeoutError:
            for p in procs:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p, signal.SIGKILL)
            raise

    def _stop_children_gracefully(self, pid, children):
        """SIGWINCH (graceful-stop) and wait up to GRACEFUL_STOP_TIMEOUT
        for the children to exit.  httpd's immediate stop races in
        mpm_event: the child's main thread closes the sockets of busy
        workers (close_worker_sockets) while a worker may be freeing its
        connection, and the child dies of SIGSEGV now and then (a core
        showed apr_os_sock_get under close_socket_nonblocking_).  A
        graceful stop lets the workers finish instead.  The parent then
        sleeps a second before it looks at its children again: the
        SIGTERM that follows cuts that short.  Our own clients hang up
        first, or each child would wait for them (lingering close)."""
        close_clients(self.port)
        os.kill(pid, signal.SIGWINCH)
        with contextlib.suppress(TimeoutError):
            wait_until(lambda: not any(pid_alive(p) for p in children),
                       GRACEFUL_STOP_TIMEOUT, f"httpd {pid}'s children to stop")

    def child_pids(self, parent=None):
        """Pids of the worker processes (children of the parent)."""
        parent = parent or self.pid
        if parent is None:
            return []
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit() and parent_pid(int(entry)) == parent and pid_alive(int(entry)):
                pids.append(int(entry))
        return sorted(pids)

    rss_kib = staticmethod(rss_kib)

    # error_log

    def error_log_size(self):
        """Current end of error_log: a mark for error_log_lines/problems."""
        try:
            return os.path.getsize(self.error_log)
        except FileNotFoundError:
            return 0

    def _log_lines(self, since=0, until=None):
        """(offset, line) for each line starting in [since, until)."""
        try:
            with open(self.error_log, "rb") as f:
                f.seek(since)
                data = f.read() if until is None else f.read(max(0, until - since))
        except FileNotFoundError:
            return []
        lines, offset = [], since
        for raw in data.splitlines(keepends=True):
            lines.append((offset, raw.decode("utf-8", errors="replace").rstrip("\n")))
            offset += len(raw)
        return lines

    def error_log_lines(self, since=0, until=None):
        return [line for _, line in self._log_lines(since, until)]

    @classmethod
    def is_problem(cls, line):
        """A crashed child, a sanitizer's report, anything crit/alert/emerg,
        an error of our module, or a DBD/dbd warning or error (also of
        another httpd's error log: t/package/run.py)."""
        if cls._CRASH.search(line) or cls._SANITIZER.search(line):
            return True
        match = cls._LEVEL.search(line)
        if not match:
            return False
        module, level = match.groups()
        if level in cls._SEVERE or (module == "pyfarm_jobs" and level == "error"):
            return True
        return level in cls._NOTABLE and "dbd" in line.lower()

    def crashes(self, since=0):
        """Lines of error_log since the mark that tell of a crashed child."""
        return [line for line in self.error_log_lines(since) if self._CRASH.search(line)]

    def error_log_problems(self, since=0, until=None):
        """Problem lines (see is_problem) written in [since, until), except
        those written inside a tolerate_log_problems() block (but for a
        sanitizer's report, which nothing provokes on purpose)."""
        return [line for offset, line in self._log_lines(since, until)
                if self.is_problem(line)
                and (self._SANITIZER.search(line) or not self._tolerated_at(offset))]

    def _tolerated_at(self, offset):
        return any(start <= offset < end for start, end in self._tolerated)

    def sanitizer_reports(self):
        """The report files of the sanitizers and valgrind, one per process
        that found something (valgrind's stay empty until it does): each
        is a failure of the test run."""
        try:
            paths = [os.path.join(self.sanitizer_dir, name)
                     for name in sorted(os.listdir(self.sanitizer_dir))]
        except FileNotFoundError:
            return []
        return [path for path in paths if os.path.getsize(path) > 0]

    @contextlib.contextmanager
    def tolerate_log_problems(self):
        """For a test that provokes errors on purpose (e.g. database down):
        problem lines logged within the block don't fail the run."""
        start = self.error_log_size()
        try:
            yield
        finally:
            self._tolerated.append((start, self.error_log_size()))


def _allow_core_dumps():
    """In httpd's process before exec: no limit on core files, which httpd
    writes to its CoreDumpDirectory (the kernel's default limit is 0)."""
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except FileNotFoundError:
        return ""


# ----------------------------------------------------------------- client

class Headers:
    """Response header fields: case-insensitive lookup, repeats kept."""

    def __init__(self, items):
        self._items = list(items)

    def get_all(self, name):
        return [v for k, v in self._items if k.lower() == name.lower()]

    def get(self, name, default=None):
        """The field's value; repeated fields joined by ", " (RFC 9110)."""
        values = self.get_all(name)
        return ", ".join(values) if values else default

    def __getitem__(self, name):
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name):
        return bool(self.get_all(name))

    def items(self):
        return list(self._items)

    def __repr__(self):
        return f"Headers({self._items!r})"


def _no_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"duplicate keys in a JSON object: {duplicates}")
    return dict(pairs)


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


class Response:
    def __init__(self, method, path, status, reason, headers, body):
        self.method, self.path = method, path
        self.status, self.reason = status, reason
        self.headers = Headers(headers)
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        """The body parsed strictly: no duplicate keys, no NaN/Infinity."""
        return _json.loads(self.body, object_pairs_hook=_no_duplicate_keys,
                           parse_constant=_reject_constant)

    def __repr__(self):
        return f"<Response {self.method} {self.path} -> {self.status}>"


_NO_JSON = object()


class Client:
    """HTTP/1.1 with keep-alive to 127.0.0.1:port.  Paths are sent as given
    (so %2F stays %2F).  A kept-alive connection the server has closed in
    the meantime is reopened and the request sent again.

    With an ssl.SSLContext `tls`, HTTPS; `source` is the local address to
    connect from (another loopback address, say 127.0.0.2)."""

    def __init__(self, port, host="127.0.0.1", timeout=HTTP_TIMEOUT, tls=None,
                 source=None):
        self.host, self.port, self.timeout = host, port, timeout
        self.tls, self.source = tls, source
        self._conn = None

    def request(self, method, path, body=None, json=_NO_JSON, headers=None):
        """`json=` sends json.dumps(value) as application/json; `body` may be
        str or bytes.  Returns a Response with the whole body read."""
        headers = dict(headers or {})
        if json is not _NO_JSON:
            body = _json.dumps(json)
            headers.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode("utf-8")
        reused = self._conn is not None
        try:
            return self._exchange(method, path, body, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.close()
            if not reused:
                raise
            return self._exchange(method, path, body, headers)

    def _exchange(self, method, path, body, headers):
        if self._conn is None:
            self._conn = self._connection()
            _CONNECTED_CLIENTS.add(self)
        try:
            self._conn.request(method, path, body=body, headers=headers)
            resp = self._conn.getresponse()
            data = resp.read()
        except BaseException:
            self.close()  # half an exchange: the next request needs a new connection
            raise
        if resp.will_close:
            self.close()
        return Response(method, path, resp.status, resp.reason, resp.getheaders(), data)

    def _connection(self):
        source = (self.source, 0) if self.source else None
        if self.tls:
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                               source_address=source, context=self.tls)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout,
                                          source_address=source)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def raw(self, data):
        """Send bytes verbatim on a new connection (for malformed or
        hand-framed requests) and return all the server sends back."""
        with socket.create_connection((self.host, self.port), timeout=self.timeout) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)  # end of requests: httpd closes after answering
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# Clients with a kept-alive connection open (see close_clients).
_CONNECTED_CLIENTS = weakref.WeakSet()


def close_clients(port):
    """Close every Client's kept-alive connection to `port`: a server that
    stops gracefully then need not wait for idle clients to hang up."""
    for client in list(_CONNECTED_CLIENTS):
        if client.port == port:
            client.close()


# ------------------------------------------------------------------- farm

def sql_path(name):
    return os.path.join(SQL_DIR, name)


class Farm:
    """PostgreSQL + httpd under basedir (pg/ and httpd/), with a Client;
    `valgrind` runs that httpd under valgrind (see Httpd).

    start() creates the cluster on first use and loads sql/schema.sql,
    sql/indexes.sql and sql/demo.sql into it; a cluster made by an earlier
    run (scripts/run-dev's .run/) is reused as it is.  `allow_missing_sql`
    skips SQL files that don't exist: for the harness self-test only.
    `fast` and `max_connections` are PostgresCluster's; with `dbd_tcp`
    httpd reaches PostgreSQL over TCP on 127.0.0.1 instead of its socket.
    """

    LOADED_MARK = "schema-loaded"  # file in basedir: the SQL files were loaded

    def __init__(self, basedir, module_path, extra_conf="", load_module=True,
                 http_port=None, pg_port=None, fast=True, loglevel="info",
                 allow_missing_sql=False, max_connections=200, dbd_tcp=False,
                 valgrind=False):
        self.basedir = prepare_basedir(basedir)
        self.allow_missing_sql = allow_missing_sql
        # one directory for the reports of every httpd of the farm
        self.sanitizer_dir = os.path.join(self.basedir, "sanitizer")
        self.pg = PostgresCluster(os.path.join(self.basedir, "pg"), port=pg_port, fast=fast,
                                  max_connections=max_connections)
        self.httpd = Httpd(os.path.join(self.basedir, "httpd"), module_path,
                           self.pg.dbd_params(tcp=dbd_tcp), extra_conf=extra_conf,
                           load_module=load_module, port=http_port, loglevel=loglevel,
                           sanitizer_dir=self.sanitizer_dir, valgrind=valgrind)
        self.client = Client(self.httpd.port)
        self.detached = False

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.httpd.port}"

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self, fresh_database=False):
        """Start both servers; (re)create and load the database when it is
        new, when an earlier load did not finish, or when `fresh_database`."""
        try:
            created = self.pg.init()
            if not created:
                self.pg.start()
            if created or fresh_database or not self.database_loaded():
                self.load_database()
            self.httpd.start()
        except BaseException:
            self.stop()
            raise

    def stop(self):
        """Stop httpd, then PostgreSQL; each is tried whatever the other does."""
        self.client.close()
        if self.detached:
            return
        with signals_ignored():
            try:
                self.httpd.stop()
            finally:
                self.pg.stop()

    def sql_files(self, names):
        paths = [sql_path(name) for name in names]
        missing = [p for p in paths if not os.path.exists(p)]
        if missing and not self.allow_missing_sql:
            raise FileNotFoundError(f"missing SQL files: {', '.join(missing)}")
        return [p for p in paths if p not in missing]

    def load_database(self):
        """Recreate the database and load schema, indexes and demo data."""
        mark = os.path.join(self.basedir, self.LOADED_MARK)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(mark)
        self.pg.create_database()
        for path in self.sql_files(SCHEMA_FILES + (DEMO_FILE,)):
            self.pg.load_file(path)
        write_file(mark, sql_digest() + "\n")

    def database_loaded(self):
        return os.path.exists(os.path.join(self.basedir, self.LOADED_MARK))

    def database_outdated(self):
        """True when sql/ changed since the database was loaded."""
        with open(os.path.join(self.basedir, self.LOADED_MARK)) as f:
            return f.read().strip() != sql_digest()

    def reset(self):
        """Back to the demo data: empty every table of the public schema
        (RESET_SQL), restart its sequences, then load sql/demo.sql again;
        one psql run.  Restarts PostgreSQL if
        a test left it stopped, and drops the client's connection."""
        self.client.close()
        if not self.pg.running():
            self.pg.start()
        script = RESET_SQL
        for path in self.sql_files((DEMO_FILE,)):
            script += "\\i '" + path.replace("'", "''") + "'\n"
        self.pg.psql(script)

    def add_job(self, title, tasks_sql):
        """A copy of demo job 2 titled `title`, whose tasks are the (frame, tile)
        rows of `tasks_sql`, inserted (ids given) in the order of its third
        column; returns the new job's id."""
        return int(self.pg.query(f"""
            WITH job AS (
                INSERT INTO jobs (title, jobtype_version_id, priority, weight, notes, by, batch,
                                  requeue, cpus, ram, hidden, to_be_deleted,
                                  completion_notify_sent, time_submitted)
                SELECT '{title.replace("'", "''")}', jobtype_version_id, priority, weight, notes, by,
                       batch, requeue, cpus, ram, hidden, to_be_deleted,
                       completion_notify_sent, time_submitted
                  FROM jobs WHERE id = 2
                RETURNING id),
            new_tasks AS (
                INSERT INTO tasks (job_id, frame, tile, priority, attempts, failures, progress,
                                   hidden, sent_to_agent, time_submitted)
                SELECT job.id, f.frame, f.tile, 0, 0, 0, 0.0, false, false,
                       now() at time zone 'utc'
                  FROM job, ({tasks_sql}) AS f(frame, tile, position)
                 ORDER BY f.position)
            SELECT id FROM job""")[0][0])

    def core_dumps(self):
        """The core files of crashed processes of every httpd of the farm,
        its own and the other_httpd()s (each has its CoreDumpDirectory): a
        crash that a test cannot reproduce at will is at least explained by
        its backtrace."""
        return sorted(glob.glob(os.path.join(self.basedir, "*", "cores", "core*")))

    def other_httpd(self, name, dbname=DBNAME, extra_conf="", loglevel="info"):
        """Another httpd with the module over this farm's cluster (database
        `dbname`), in basedir/name: not started, and not watched by the
        test run's error_log check (its sanitizer reports are: they go to
        the farm's sanitizer_dir).  For tests of another configuration or
        database; the caller starts and stops it."""
        return Httpd(os.path.join(self.basedir, name), self.httpd.module_path,
                     self.pg.dbd_params(dbname), extra_conf=extra_conf,
                     loglevel=loglevel, sanitizer_dir=self.sanitizer_dir)

    def detach(self):
        """Leave both servers running when we exit (t/run.py --keep)."""
        self.detached = True
        _stopped(self.httpd)
        _stopped(self.pg)

    def stop_commands(self):
        """Shell commands that stop the servers of a detached farm."""
        pg_ctl = shlex.join([os.path.join(self.pg.bindir, "pg_ctl"), "stop", "-D",
                             self.pg.datadir, "-m", "fast"])
        if IS_ROOT:
            pg_ctl = f"runuser -u {PG_ACCOUNT} -- {pg_ctl}"
        return [f"kill {self.httpd.pid}", pg_ctl]


# DELETE rather than TRUNCATE: TRUNCATE's ACCESS EXCLUSIVE locks deadlock
# with an httpd child that prepares the module's statements meanwhile (a
# child the MPM starts just then); with the foreign keys' triggers off for
# the transaction, the tables empty in any order.
RESET_SQL = """\
DO $reset$
DECLARE
    t record;
    seq record;
BEGIN
    SET LOCAL session_replication_role = replica;
    FOR t IN SELECT schemaname, tablename FROM pg_tables
             WHERE schemaname = 'public' LOOP
        EXECUTE format('DELETE FROM %I.%I', t.schemaname, t.tablename);
    END LOOP;
    FOR seq IN SELECT schemaname, sequencename FROM pg_sequences
               WHERE schemaname = 'public' LOOP
        EXECUTE format('ALTER SEQUENCE %I.%I RESTART', seq.schemaname, seq.sequencename);
    END LOOP;
END
$reset$;
"""


def sql_digest():
    """Hash of the SQL files, to notice a database older than sql/."""
    digest = hashlib.sha256()
    for name in SCHEMA_FILES + (DEMO_FILE,):
        with contextlib.suppress(FileNotFoundError), open(sql_path(name), "rb") as f:
            digest.update(name.encode() + b"\0" + f.read())
    return digest.hexdigest()
