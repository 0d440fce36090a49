"""httpd's directory walk is skipped for the API's requests (a
map_to_storage hook, as mod_proxy's for proxied requests): <Directory>
sections and .htaccess files of the path a request would map to under
DocumentRoot are not consulted, while the API's <Location> - its
directives, its access control - applies as before, and every other path
is served as before.

A second httpd over the test database serves the API under three more
<Location>s whose paths exist as directories under its DocumentRoot:
/open (a <Directory> that denies everything), /lax (an .htaccess that
would cut request bodies to 8 bytes) and /closed (a <Location> that
denies everything), and /basic (a <Location> that wants a user of HTTP
Basic authentication)."""

import base64
import hashlib
import os

from check import expect
from farm import APACHE_MODDIR, Client, write_file

RESET = False
JSON_TYPE = "application/json"

SITE_CONF = """\
LoadModule authn_core_module {moddir}/mod_authn_core.so
LoadModule authn_file_module {moddir}/mod_authn_file.so
LoadModule auth_basic_module {moddir}/mod_auth_basic.so
LoadModule authz_user_module {moddir}/mod_authz_user.so
AddEncoding x-gzip .gz
AddLanguage de .de
<Directory "{htdocs}/open">
    Require all denied
</Directory>
<Directory "{htdocs}/lax">
    AllowOverride All
</Directory>
<Location /open/api/v1/jobs>
    SetHandler pyfarm-jobs
    PyFarmJobsBase /open/api/v1/jobs
</Location>
<Location /lax/api/v1/jobs>
    SetHandler pyfarm-jobs
    PyFarmJobsBase /lax/api/v1/jobs
</Location>
<Location /closed/api/v1/jobs>
    SetHandler pyfarm-jobs
    PyFarmJobsBase /closed/api/v1/jobs
    Require all denied
</Location>
<Location /basic/api/v1/jobs>
    SetHandler pyfarm-jobs
    PyFarmJobsBase /basic/api/v1/jobs
    AuthType Basic
    AuthName "pyfarm jobs"
    AuthUserFile "{rundir}/htpasswd"
    Require valid-user
</Location>"""

USER, PASSWORD = "artist", "render farm"
HTACCESS = """\
LimitRequestBody 8
ForceType text/x-read-from-htaccess
"""


def site(farm):
    """The second httpd, not started, its DocumentRoot laid out."""
    httpd = farm.other_httpd("httpd-walk")
    httpd.extra_conf = SITE_CONF.format(htdocs=httpd.htdocs, rundir=httpd.rundir,
                                        moddir=APACHE_MODDIR)
    digest = base64.b64encode(hashlib.sha1(PASSWORD.encode()).digest()).decode()
    write_file(os.path.join(httpd.rundir, "htpasswd"), f"{USER}:{{SHA}}{digest}\n")
    for top in ("open", "lax", "closed", "basic"):
        os.makedirs(os.path.join(httpd.htdocs, top, "api", "v1", "jobs"), exist_ok=True)
        write_file(os.path.join(httpd.htdocs, top, "index.html"), "static\n")
    write_file(os.path.join(httpd.htdocs, "lax", ".htaccess"), HTACCESS)
    return httpd


def test_directory_sections_and_htaccess_do_not_apply_to_the_api(farm):
    farm.reset()
    httpd = site(farm)
    httpd.start()
    try:
        client = Client(httpd.port)
        # <Directory .../open> denies, but no directory is walked for the API
        job = expect(client.get("/open/api/v1/jobs/1"), 200,
                     headers={"Content-Type": JSON_TYPE}).json()
        assert job["title"] == "Demo shot 010", job
        # the .htaccess of .../lax is not read: httpd's body limit stays off
        resp = client.post("/lax/api/v1/jobs/", json={"title": "from lax", "jobtype": "Blender"})
        expect(resp, 201, headers={"Content-Type": JSON_TYPE})
        # a job title is no file name: mod_mime sees no extension in it
        for title in ("plate.gz", "plate.de"):
            expect(client.post("/api/v1/jobs/", json={"title": title, "jobtype": "Blender"}),
                   201)
            expect(client.get(f"/api/v1/jobs/{title}"), 200,
                   headers={"Content-Type": JSON_TYPE, "Content-Encoding": None,
                            "Content-Language": None})
        # paths outside the API: the directory sections and .htaccess apply
        expect(client.get("/open/index.html"), 403)
        expect(client.get("/lax/index.html"), 200,
               headers={"Content-Type": "text/x-read-from-htaccess"})
        client.close()
    finally:
        httpd.stop()


def test_location_access_control_still_applies_to_the_api(farm):
    httpd = site(farm)
    httpd.start()
    try:
        client = Client(httpd.port)
        for path in ("/closed/api/v1/jobs/1", "/closed/api/v1/jobs/"):
            expect(client.get(path), 403)
        expect(client.post("/closed/api/v1/jobs/", json={"title": "t", "jobtype": "Blender"}),
               403)
        resp = client.get("/basic/api/v1/jobs/1")
        expect(resp, 401, headers={"WWW-Authenticate": 'Basic realm="pyfarm jobs"'})
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        expect(client.get("/basic/api/v1/jobs/1", headers={"Authorization": f"Basic {token}"}),
               200, headers={"Content-Type": JSON_TYPE})
        # and the API's own <Location> still serves
        expect(client.get("/api/v1/jobs/1"), 200, headers={"Content-Type": JSON_TYPE})
        client.close()
    finally:
        httpd.stop()
