#!/usr/bin/env python3
"""The Debian package end to end, on this machine (README, "Debian
package"): `make package-test`, which scripts/run-tests runs as root.

Builds libapache2-mod-pyfarm-jobs with dpkg-buildpackage from a copy of
the tree (the files git tracks, and new ones it does not ignore) in
t/tmp/package/, runs lintian on it (an E: or W: tag fails), installs it
with apt-get, enables it with a2enmod (which must enable dbd too), loads
a throwaway PostgreSQL cluster from the installed SQL files, starts
Debian's own apache2 from its stock /etc/apache2 with apache2ctl
(listening on a free loopback port only), submits a job and reads it
back, stops apache2 by its pid file, purges the package and checks that
nothing of it is left.

Every change to the machine is undone, on every exit: the conf snippet
that points DBD at the cluster, ports.conf, the dbd module when it was
not enabled before, a2enmod's bookkeeping, apache2's runtime directories
and the policy-rc.d that keeps maintainer scripts from starting apache2
on port 80.  The last step compares /etc/apache2 and /var/lib/apache2
with what they were before; apache2's own logs keep what the run wrote
to them.  A run killed outright (SIGKILL) leaves the original ports.conf
aside (ports.conf.pfj-package-test): the next run first stops the apache2
and the cluster it left, puts ports.conf back and purges the package (dbd
stays as it left it).

Prints "ok N - step (seconds)" or "not ok N - step" with the reason,
then "N passed, M failed"; exits 0 only when everything passed.
Needs root; --keep leaves t/tmp/package/ (the build, lintian's output)
for a look.
"""

import argparse
import glob
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

T_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(T_DIR)
sys.path.insert(0, os.path.join(T_DIR, "lib"))
sys.path.insert(0, T_DIR)

import farm as farmlib  # noqa: E402  (needs the path above)
from check import expect  # noqa: E402
from test_schema import EXPECTED_SCHEMA  # noqa: E402

PACKAGE = "libapache2-mod-pyfarm-jobs"
SHARE = "/usr/share/mod-pyfarm-jobs"
MODULE_SO = "/usr/lib/apache2/modules/mod_pyfarm_jobs.so"
APACHE_ETC = "/etc/apache2"
APACHE_STATE = "/var/lib/apache2"  # a2enmod's bookkeeping
PORTS_CONF = os.path.join(APACHE_ETC, "ports.conf")
PORTS_BACKUP = PORTS_CONF + ".pfj-package-test"
SNIPPET = "pyfarm-jobs-package-test"  # conf-available/SNIPPET.conf
PID_FILE = "/run/apache2/apache2.pid"
RUNTIME_DIRS = ("/run/apache2", "/run/lock/apache2")  # apache2ctl makes them
ERROR_LOG = "/var/log/apache2/error.log"
POLICY = "/usr/sbin/policy-rc.d"
TMP_DIR = os.path.join(T_DIR, "tmp", "package")
JSON_TYPE = {"Content-Type": "application/json"}
BUILD_TIMEOUT = 600  # seconds for dpkg-buildpackage or apt-get


def command(cmd, env=None, cwd=None, timeout=farmlib.COMMAND_TIMEOUT):
    """Run cmd in a session of its own; return its output (stdout and
    stderr together), raise CommandError with it when it fails.  Stopped
    early (a timeout, SIGTERM or Ctrl-C reaching us), its whole process
    group goes: dpkg-buildpackage's make and compilers too."""
    with subprocess.Popen(cmd, env=env or apt_env(), cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, encoding="utf-8", errors="replace",
                          start_new_session=True) as proc:
        try:
            output = proc.communicate(timeout=timeout)[0]
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
    if proc.returncode != 0:
        raise farmlib.CommandError(f"{' '.join(cmd)} exited with {proc.returncode}:\n"
                                   f"{output}".rstrip())
    return output


def apt_env():
    """farm's clean environment, for Debian's tools: no questions asked, and
    nothing of the caller's make (MAKEFLAGS) reaching the package build."""
    return {**farmlib.clean_env(), "DEBIAN_FRONTEND": "noninteractive", "HOME": "/root"}


def package_status():
    """dpkg's status of the package ("install ok installed", ...), or None
    when dpkg knows nothing of it (never installed, or purged)."""
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}", PACKAGE],
                          capture_output=True, encoding="utf-8", env=apt_env())
    return proc.stdout if proc.returncode == 0 else None


def tree_snapshot(*roots):
    """{path: kind} of everything under roots: ("d",), ("l", target) or
    ("f", sha256 of the content, mode)."""
    entries = {}
    for root in roots:
        for top, dirs, files in os.walk(root):
            entries[top] = ("d",)
            for name in dirs + files:
                path = os.path.join(top, name)
                if os.path.islink(path):
                    entries[path] = ("l", os.readlink(path))
                elif os.path.isfile(path):
                    with open(path, "rb") as f:
                        digest = hashlib.sha256(f.read()).hexdigest()
                    entries[path] = ("f", digest, os.stat(path).st_mode)
    return entries


def snapshot_difference(before, after):
    """Lines naming what was added, removed or changed."""
    lines = [f"left behind: {p}" for p in sorted(after.keys() - before.keys())]
    lines += [f"gone: {p}" for p in sorted(before.keys() - after.keys())]
    lines += [f"changed: {p}" for p in sorted(before.keys() & after.keys())
              if before[p] != after[p]]
    return lines


def enabled(kind, name):
    """True when mods-enabled/NAME.load (kind "mods") or
    conf-enabled/NAME.conf (kind "conf") exists."""
    suffix = ".load" if kind == "mods" else ".conf"
    return os.path.lexists(os.path.join(APACHE_ETC, f"{kind}-enabled", name + suffix))


class Machine:
    """The system's apache2 and dpkg, as this test changes them; undo()
    puts back everything, whatever step the run reached (each of its
    actions does nothing when there is nothing to undo)."""

    def __init__(self):
        self.made_policy = False
        self.ports_replaced = False
        self.apache_pid = None
        self.runtime_dirs_before = {d for d in RUNTIME_DIRS if os.path.exists(d)}
        self.recover_killed_run()
        self.before = tree_snapshot(APACHE_ETC, APACHE_STATE)
        self.dbd_was_enabled = enabled("mods", "dbd")

    def recover_killed_run(self):
        """What a run killed outright (SIGKILL) left: its apache2 (the one
        running while the original ports.conf is aside), ports.conf, its
        conf snippet, the package."""
        if os.path.exists(PORTS_BACKUP):
            self.apache_pid = read_pid() or None
            self.stop_apache()
            os.replace(PORTS_BACKUP, PORTS_CONF)
        self.remove_snippet()
        self.purge()

    # ---------------------------------------------------- what changes

    def apt_get(self, *args):
        """apt-get, with a policy-rc.d forbidding services to start (the
        maintainer scripts restart apache2 otherwise, on port 80 when this
        test did not start it); it waits for a lock another apt-get holds."""
        if not os.path.exists(POLICY):
            farmlib.write_file(POLICY, "#!/bin/sh\n# mod_pyfarm_jobs t/package/run.py\n"
                               "exit 101\n", 0o755)
            self.made_policy = True
        return command(["apt-get", "-o", "DPkg::Lock::Timeout=120", *args],
                       timeout=BUILD_TIMEOUT)

    def install(self, deb):
        # apt-get's sandbox user reads the file
        os.chmod(deb, 0o644)
        return self.apt_get("install", "-y", deb)

    def write_snippet(self, dbd_params):
        path = os.path.join(APACHE_ETC, "conf-available", SNIPPET + ".conf")
        farmlib.write_file(path, f"# mod_pyfarm_jobs' package test (t/package/run.py),\n"
                                 f"# removed when it ends\nServerName 127.0.0.1\n"
                                 f"DBDriver pgsql\nDBDParams \"{dbd_params}\"\n"
                                 # pyfarm_jobs.conf's advice: ThreadsPerChild
                                 f"DBDMax 25\n")
        command(["a2enconf", "-q", SNIPPET])

    def listen_on(self, port):
        """ports.conf says Listen 80 (and 443): only 127.0.0.1:port instead."""
        shutil.copy2(PORTS_CONF, PORTS_BACKUP)
        self.ports_replaced = True
        farmlib.write_file(PORTS_CONF, f"# mod_pyfarm_jobs' package test: the original is\n"
                                       f"# {PORTS_BACKUP}\nListen 127.0.0.1:{port}\n")

    def start_apache(self, port, dbd_params):
        """apache2ctl start, with DBD pointed at dbd_params, on port."""
        if farmlib.accepts_connections(80) or os.path.exists(PID_FILE):
            raise RuntimeError("the system's apache2 is running (or left "
                               f"{PID_FILE}): stop it first")
        self.write_snippet(dbd_params)
        self.listen_on(port)
        command(["apache2ctl", "configtest"])
        command(["apache2ctl", "start"])
        self.apache_pid = farmlib.wait_until(read_pid, farmlib.START_TIMEOUT, PID_FILE)
        farmlib.wait_until(lambda: farmlib.accepts_connections(port),
                           farmlib.START_TIMEOUT, f"apache2 on 127.0.0.1:{port}")

    # ------------------------------------------------------ the undo

    def stop_apache(self):
        """SIGTERM to the pid its pid file gave, and wait until it has gone."""
        if self.apache_pid is None:
            return
        if farmlib.pid_alive(self.apache_pid):
            os.kill(self.apache_pid, signal.SIGTERM)
            farmlib.wait_until(lambda: not farmlib.pid_alive(self.apache_pid),
                               farmlib.STOP_TIMEOUT, f"apache2 (pid {self.apache_pid}) to stop")
        self.apache_pid = None

    def remove_snippet(self):
        if enabled("conf", SNIPPET):
            command(["a2disconf", "-q", "-p", SNIPPET])
        path = os.path.join(APACHE_ETC, "conf-available", SNIPPET + ".conf")
        if os.path.exists(path):
            os.unlink(path)

    def restore_ports(self):
        if self.ports_replaced:
            os.replace(PORTS_BACKUP, PORTS_CONF)
            self.ports_replaced = False

    def purge(self):
        if package_status() is not None:
            self.apt_get("purge", "-y", PACKAGE)

    def disable_dbd(self):
        # -p: no disabled_by_admin marker either
        if not self.dbd_was_enabled and enabled("mods", "dbd"):
            command(["a2dismod", "-q", "-f", "-p", "dbd"])

    def remove_new_state_dirs(self):
        """a2enmod and a2dismod leave their marker directories behind,
        empty once the markers are purged."""
        for top, _, _ in sorted(os.walk(APACHE_STATE), reverse=True):
            if top not in self.before and not os.listdir(top):
                os.rmdir(top)

    def remove_runtime_dirs(self):
        for path in RUNTIME_DIRS:
            if path not in self.runtime_dirs_before and os.path.isdir(path):
                shutil.rmtree(path)

    def remove_policy(self):
        if self.made_policy:
            os.unlink(POLICY)
            self.made_policy = False

    def undo(self):
        """Every undo action, each one even when another failed; returns
        the failures."""
        failures = []
        for action in (self.stop_apache, self.remove_snippet, self.restore_ports,
                       self.purge, self.disable_dbd, self.remove_new_state_dirs,
                       self.remove_runtime_dirs, self.remove_policy):
            try:
                action()
            except Exception as exc:  # keep undoing the rest
                failures.append(f"{action.__name__}: {exc}")
        return failures

    def differences(self):
        return snapshot_difference(self.before, tree_snapshot(APACHE_ETC, APACHE_STATE))


def read_pid():
    try:
        with open(PID_FILE) as f:
            return int(f.read().strip() or 0)
    except FileNotFoundError:
        return 0


# ------------------------------------------------------------ the steps

def deb_path(workdir):
    """Where dpkg-buildpackage writes the package: beside its source
    directory, workdir/src, named after debian/changelog's version."""
    version = command(["dpkg-parsechangelog", "-S", "Version", "-l",
                       os.path.join(REPO, "debian", "changelog")]).strip()
    arch = command(["dpkg", "--print-architecture"]).strip()
    return os.path.join(workdir, f"{PACKAGE}_{version}_{arch}.deb")


def build_package(workdir, deb):
    """dpkg-buildpackage -us -uc -b in a copy of the tree, without the
    unit tests (nocheck): scripts/run-tests runs them anyway."""
    src = os.path.join(workdir, "src")
    listed = subprocess.run(["git", "-C", REPO, "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], capture_output=True)
    assert listed.returncode == 0, f"{REPO}: not a git checkout: {listed.stderr.decode()}"
    for rel in sorted(set(os.fsdecode(p) for p in listed.stdout.split(b"\0") if p)):
        if os.path.isfile(os.path.join(REPO, rel)):  # a deletion not committed yet
            os.makedirs(os.path.dirname(os.path.join(src, rel)), exist_ok=True)
            shutil.copy2(os.path.join(REPO, rel), os.path.join(src, rel))
    env = {**apt_env(), "DEB_BUILD_OPTIONS": "nocheck parallel=2"}
    log = command(["dpkg-buildpackage", "-us", "-uc", "-b"], env=env, cwd=src,
                  timeout=BUILD_TIMEOUT)
    farmlib.write_file(os.path.join(workdir, "build.log"), log)
    assert os.path.isfile(deb), f"{deb}: not built"
    depends = command(["dpkg-deb", "--field", deb, "Depends"])
    for needed in ("libaprutil1-dbd-pgsql", "apache2-api-20120211", "libjson-c5", "libpq5"):
        assert needed in depends, f"Depends: {depends.strip()} lacks {needed}"


def lintian(workdir):
    """lintian on the .changes (the package and its -dbgsym), with the
    informational and pedantic tags shown; an error or a warning fails."""
    changes = glob.glob(os.path.join(workdir, "*.changes"))
    out = command(["lintian", "--info", "--pedantic", "--fail-on", "error,warning",
                   *changes], timeout=BUILD_TIMEOUT)
    tags = [line for line in out.splitlines() if line[:2] in ("E:", "W:", "I:", "P:")]
    return "\n".join(tags) or "no tags"


def install(machine, deb):
    machine.install(deb)
    assert package_status() == "install ok installed", package_status()
    for path in (MODULE_SO, f"{SHARE}/openapi.json", f"{SHARE}/sql/schema.sql",
                 f"{SHARE}/sql/indexes.sql", f"{SHARE}/sql/demo.sql"):
        assert os.path.isfile(path), f"{path}: not installed"
    with open(os.path.join(APACHE_ETC, "mods-available", "pyfarm_jobs.load")) as f:
        first = f.readline()
    assert first == "# Depends: dbd\n", f"pyfarm_jobs.load starts with {first!r}"
    with open(os.path.join(REPO, "conf", "openapi.json"), "rb") as ours, \
            open(f"{SHARE}/openapi.json", "rb") as installed:
        assert ours.read() == installed.read(), "installed openapi.json differs"
    assert os.path.isfile(os.path.join(APACHE_ETC, "mods-available", "pyfarm_jobs.conf"))
    # dh_apache2 --noenable: the admin enables it once the database is set
    assert not enabled("mods", "pyfarm_jobs"), "installing enabled the module"


def enable_module():
    out = command(["a2enmod", "pyfarm_jobs"])
    for name in ("pyfarm_jobs", "dbd"):
        assert enabled("mods", name), f"a2enmod did not enable {name}:\n{out}"
    assert os.path.lexists(os.path.join(APACHE_ETC, "mods-enabled", "pyfarm_jobs.conf"))


def load_database(pg):
    """The cluster, from the installed SQL files (demo.sql: the Blender
    jobtype a submission names)."""
    pg.init()
    for name in ("schema.sql", "indexes.sql", "demo.sql"):
        pg.load_file(f"{SHARE}/sql/{name}")


def talk_to_api(client):
    """The schema; a job submitted, read back by id and by its title (a "/"
    in it, sent as %2F: pyfarm_jobs.conf's AllowEncodedSlashes), its tasks."""
    expect(client.get("/api/v1/jobs/schema"), 200, json=EXPECTED_SCHEMA, headers=JSON_TYPE)
    submitted = expect(client.post("/api/v1/jobs/", json={
        "title": "package/test", "jobtype": "Blender", "start": 1.0, "end": 3.0}),
        201, headers=JSON_TYPE).json()
    for key, value in {"title": "package/test", "jobtype": "Blender", "jobtype_version": 2,
                       "state": "queued", "start": 1.0, "end": 3.0, "by": 1.0}.items():
        assert submitted[key] == value, f"{key}: {submitted[key]!r}, expected {value!r}"
    job = f"/api/v1/jobs/{submitted['id']}"
    expect(client.get(job), 200, json=submitted, headers=JSON_TYPE)
    expect(client.get("/api/v1/jobs/package%2Ftest"), 200, json=submitted)
    tasks = expect(client.get(job + "/tasks/"), 200, headers=JSON_TYPE).json()
    assert [t["frame"] for t in tasks] == [1.0, 2.0, 3.0], tasks


def stop_apache(machine, since):
    """Stopped by its pid file; then no problem line (farm's Httpd.is_problem)
    in what it wrote to error.log since the mark."""
    machine.stop_apache()
    with open(ERROR_LOG, encoding="utf-8", errors="replace") as f:
        f.seek(since)
        problems = [line for line in f if farmlib.Httpd.is_problem(line)]
    assert not problems, "apache2's error.log:\n" + "".join(problems)


def held_by_other_packages(path):
    """True when dpkg lists path (a shared directory) for some package."""
    return subprocess.run(["dpkg", "-S", path], capture_output=True).returncode == 0


def purge_and_check(machine):
    """The test's own setup undone, the package purged; then dpkg knows
    nothing of it, nothing it listed is left but the directories other
    packages share, and neither are its module's links or markers."""
    machine.remove_snippet()
    machine.restore_ports()
    # dpkg -L names the root "/."
    listed = {os.path.normpath(p) for p in command(["dpkg", "-L", PACKAGE]).split("\n")
              if p} - {"/"}
    machine.purge()
    assert package_status() is None, f"dpkg still knows it: {package_status()}"
    left = [p for p in sorted(listed) if os.path.lexists(p)
            and not (os.path.isdir(p) and held_by_other_packages(p))]
    left += glob.glob(os.path.join(APACHE_ETC, "mods-*", "pyfarm_jobs.*"))
    left += glob.glob(os.path.join(APACHE_STATE, "*", "*", "pyfarm_jobs"))
    assert not left, "left behind:\n" + "\n".join(left)


def restored(undo_failures, differences):
    assert not undo_failures and not differences, "\n".join(undo_failures + differences)


class Report:
    def __init__(self):
        self.number = self.failed = 0
        self.started = time.monotonic()

    def step(self, label, function, *args):
        """Run one step; True when it passed (its result, if a string, is
        shown under it)."""
        self.number += 1
        began = time.monotonic()
        try:
            result = function(*args)
        except Exception as exc:  # the step failed: say why, go on to the undo
            self.failed += 1
            print(f"not ok {self.number} - {label}")
            print("    " + f"{type(exc).__name__}: {exc}".replace("\n", "\n    "), flush=True)
            return False
        print(f"ok {self.number} - {label} ({time.monotonic() - began:.1f} s)")
        if isinstance(result, str):
            print("    " + result.replace("\n", "\n    "))
        sys.stdout.flush()
        return True

    def summary(self):
        print(f"package-test: {time.monotonic() - self.started:.0f} s in all")
        print(f"{self.number - self.failed} passed, {self.failed} failed", flush=True)
        return 1 if self.failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="leave t/tmp/package/")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("package-test: needs root (apt-get, /etc/apache2)", file=sys.stderr)
        return 1
    farmlib.install_signal_handlers()
    report = Report()
    machine = Machine()
    farmlib.PostgresCluster(os.path.join(TMP_DIR, "pg")).stop()  # a killed run's
    farmlib.remove_basedir(TMP_DIR)
    workdir = farmlib.prepare_basedir(TMP_DIR)
    pg = farmlib.PostgresCluster(os.path.join(workdir, "pg"))
    port = farmlib.free_port()
    deb = deb_path(workdir)
    log_mark = os.path.getsize(ERROR_LOG) if os.path.exists(ERROR_LOG) else 0
    steps = (
        ("build the package", build_package, workdir, deb),
        ("lintian: no error or warning", lintian, workdir),
        (f"apt-get install ./{os.path.basename(deb)}", install, machine, deb),
        ("a2enmod pyfarm_jobs enables dbd too", enable_module),
        ("a throwaway PostgreSQL from the installed SQL", load_database, pg),
        (f"Debian's apache2 on 127.0.0.1:{port}", machine.start_apache, port,
         pg.dbd_params()),
        ("the API: schema, submit, read back", talk_to_api, farmlib.Client(port)),
        ("apache2 stopped, nothing in its error.log", stop_apache, machine, log_mark),
        ("purged: nothing of the package left", purge_and_check, machine),
    )
    try:
        for label, function, *step_args in steps:
            if not report.step(label, function, *step_args):
                break
    finally:
        pg.stop()
        undo_failures = machine.undo()
    report.step("the machine as it was (/etc/apache2, /var/lib/apache2)", restored,
                undo_failures, machine.differences())
    if not args.keep:
        farmlib.remove_basedir(TMP_DIR)
    return report.summary()


if __name__ == "__main__":
    sys.exit(main())
