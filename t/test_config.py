"""The admin's view of configuration: `apachectl configtest` on
configurations built around the shipped files (conf/pyfarm_jobs.load and
conf/pyfarm_jobs.conf), without mod_dbd, and with a bad directive value.
These need no database: each test runs `apache2 -t` on a file of its own."""

import os
import subprocess
import tempfile

import farm as farmlib

RESET = False
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def configtest(farm, *lines):
    """`apache2 -t` of a minimal configuration that loads the built module
    (the copy httpd runs) after the given lines: (exit status, output)."""
    module = farm.httpd.loaded_module
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "httpd.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("\n".join([
                "ServerRoot /etc/apache2",
                "ServerName 127.0.0.1",
                f"PidFile {tmp}/httpd.pid",
                f"ErrorLog {tmp}/error_log",
                f"LoadModule mpm_event_module {farmlib.APACHE_MODDIR}/mod_mpm_event.so",
                f"LoadModule authz_core_module {farmlib.APACHE_MODDIR}/mod_authz_core.so",
                *lines[:-1],
                f"LoadModule pyfarm_jobs_module {module}",
                lines[-1] if lines else "",
            ]) + "\n")
        proc = subprocess.run([farmlib.APACHE_BIN, "-t", "-f", conf],
                              capture_output=True, encoding="utf-8",
                              env=farmlib.httpd_env(module, farm.httpd.sanitizer_dir),
                              timeout=30)
    return proc.returncode, proc.stdout + proc.stderr


DBD = f"LoadModule dbd_module {farmlib.APACHE_MODDIR}/mod_dbd.so"


# Debian enables mod_authz_host by default: the health check's Require local
AUTHZ_HOST = f"LoadModule authz_host_module {farmlib.APACHE_MODDIR}/mod_authz_host.so"


def test_shipped_example_configuration_is_valid(farm):
    status, output = configtest(farm, DBD, AUTHZ_HOST, f"Include {ROOT}/conf/pyfarm_jobs.conf")
    assert status == 0 and "Syntax OK" in output, output


def test_configtest_without_mod_dbd_fails_with_one_sentence(farm):
    status, output = configtest(farm, "")
    assert status != 0, output
    assert ("mod_pyfarm_jobs needs mod_dbd: enable it (a2enmod dbd, or "
            "LoadModule dbd_module) before loading mod_pyfarm_jobs") in output, output


def test_load_file_names_its_dependency(farm):
    with open(os.path.join(ROOT, "conf", "pyfarm_jobs.load"), encoding="utf-8") as f:
        first = f.readline().strip()
    assert first == "# Depends: dbd", first


def test_bad_directive_values_are_refused_at_configtest(farm):
    cases = [
        ("PyFarmJobsBase api", "'api' is not a URL path (it must start with /)"),
        ("PyFarmJobsMaxBodySize 0", "'0' is not a positive number of bytes"),
        ("PyFarmJobsMaxTasksPerJob many", "'many' is not a positive number"),
        ("PyFarmJobsUserFromAuth Yes", "'Yes' is not On, Off or AllowOthers"),
    ]
    for directive, message in cases:
        status, output = configtest(farm, DBD, directive)
        assert status != 0 and message in output, (directive, output)


# One line per directive of the module, with a valid value: each is the
# admin's (server config, <Location>, <Directory>) and refused in .htaccess.
DIRECTIVES = [
    "PyFarmJobsBase /api/v1/jobs",
    "PyFarmJobsMaxBodySize 1073741824",
    "PyFarmJobsAutocreateUsers Off",
    "PyFarmJobsAutocreateUserEmail {username}@example.com",
    "PyFarmJobsMaxTasksPerJob 100000000",
    "PyFarmJobsMaxListLimit 100000000",
    "PyFarmJobsDefaultAutodeleteTime 60",
    "PyFarmJobsLogDir /tmp",
    "PyFarmJobsMaxLogSize 107374182400",
    "PyFarmJobsUserFromAuth AllowOthers",
]


def test_htaccess_cannot_set_the_modules_directives(farm):
    httpd = farm.other_httpd("httpd-htaccess")
    httpd.extra_conf = (f'<Directory "{httpd.htdocs}/site">\n'
                        "    AllowOverride All\n</Directory>")
    site = os.path.join(httpd.htdocs, "site")

    def htaccess(name, text):
        """htdocs/site/<name>/.htaccess holding text, and a file beside it."""
        folder = os.path.join(site, name)
        farmlib.make_dir(folder)
        farmlib.write_file(os.path.join(folder, ".htaccess"), text + "\n")
        farmlib.write_file(os.path.join(folder, "file.txt"), "hello\n")
        return f"/site/{name}/file.txt"

    try:
        httpd.start()
        client = farmlib.Client(httpd.port)
        # .htaccess files are read there: one of httpd's own is obeyed
        assert client.get(htaccess("plain", "")).status == 200
        assert client.get(htaccess("denied", "Require all denied")).status == 403
        for n, line in enumerate(DIRECTIVES):
            mark = httpd.error_log_size()
            resp = client.get(htaccess(f"d{n}", line))
            assert resp.status == 500, (line, resp.status)
            name = line.split()[0]
            assert any(f"{name} not allowed here" in entry
                       for entry in httpd.error_log_lines(mark)), \
                (line, httpd.error_log_lines(mark))
        client.close()
    finally:
        httpd.stop()
