"""httpd's access control in front of the API, as conf/pyfarm_jobs.conf
ships it: each commented example is taken from that file as it stands
(only paths and ports are the test's) and run in a second httpd over the
test database, started and stopped by its test (doc/api.md §0.1):

  a)  Basic with a password file, reads for everyone - in both shipped
      forms, "Require method" in <RequireAny> and <LimitExcept>;
  b)  writes only from the farm's network (a client on 127.0.0.2 is not);
  c)  Basic against a table of the farm's database (mod_authn_dbd), with
      mod_authn_socache in front;
  d)  HTTPS with client certificates of a CA made for the test.

Without credentials a write is answered 401 (for d, the TLS handshake
fails) and changes nothing; with them the API answers exactly as it does
without httpd's access control.  Then PyFarmJobsUserFromAuth (§0.9, §3,
§6): the user httpd authenticated owns the jobs it submits, another user
named is refused (On) or taken (AllowOthers), and anonymous requests name
owners as before."""

import base64
import contextlib
import os
import re
import socket
import ssl

import farm as farmlib
from check import expect
from shipped import SHIPPED_CONF, example

URL = "/api/v1/jobs/"
JSON_TYPE = {"Content-Type": "application/json"}
CHALLENGE = {"WWW-Authenticate": 'Basic realm="pyfarm jobs"'}

# What a2enmod would enable for the examples (Debian builds all of them).
MODULES = "\n".join(
    f"LoadModule {name}_module {farmlib.APACHE_MODDIR}/mod_{name}.so"
    for name in ("authn_core", "authn_file", "authn_dbd", "authn_socache",
                 "socache_shmcb", "auth_basic", "authz_user"))

USER, PASSWORD = "carol", "render farm"

# Tables a write changes: their row counts stay when it is refused.
COUNTED_TABLES = ("jobs", "tasks", "users", "job_tag_associations")


def api_location(text):
    """The API's <Location> with `text` in place of its "Require all
    granted" (a later section's Require lines replace an earlier one's)."""
    return f"<Location /api/v1/jobs>\n{text}\n</Location>"


def htpasswd_entry(user, password):
    """user:hash as `htpasswd -nB` prints it (bcrypt)."""
    out = farmlib.run(["htpasswd", "-nbB", user, password])
    return out.strip()


def password_file(httpd):
    path = os.path.join(httpd.rundir, "htpasswd")
    farmlib.write_file(path, htpasswd_entry(USER, PASSWORD) + "\n")
    return path


def basic(user=USER, password=PASSWORD):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@contextlib.contextmanager
def serving(httpd):
    """A Client of httpd, started for the block and stopped after it; its
    error_log must show no problem (Httpd.is_problem)."""
    httpd.start()
    client = farmlib.Client(httpd.port)
    try:
        yield client
    finally:
        client.close()
        httpd.stop()
    assert not httpd.error_log_problems(), httpd.error_log_problems()


# ------------------------------------------------------------- checks

def row_counts(farm):
    sql = "select " + ", ".join(f"(select count(*) from {t})" for t in COUNTED_TABLES)
    return dict(zip(COUNTED_TABLES, farm.pg.query(sql)[0]))


def refused(farm, send, status, **expected):
    """send() is answered `status` (and `expected`, as for expect) and no
    table a write changes gained or lost a row."""
    before = row_counts(farm)
    resp = expect(send(), status, **expected)
    assert row_counts(farm) == before, f"a refused write changed rows: {resp!r}"
    return resp


def job_as_served(farm, job_id):
    """The job object the farm's own, open httpd answers."""
    return expect(farm.client.get(f"{URL}{job_id}"), 200).json()


def submitted(farm, resp, **fields):
    """resp is the 201 of a submission: the job object, exactly as GET
    answers it, with `fields`."""
    expect(resp, 201, headers=JSON_TYPE)
    job = job_as_served(farm, resp.json()["id"])
    assert {k: job[k] for k in fields} == fields, job
    return expect(resp, 201, json=job)


def updated(farm, resp, job_id, **fields):
    """resp is the 200 of an update of job_id: the job object as GET
    answers it, without notified_users (§6), with `fields`."""
    expect(resp, 200, headers=JSON_TYPE)
    job = job_as_served(farm, job_id)
    del job["notified_users"]
    assert {k: job[k] for k in fields} == fields, job
    return expect(resp, 200, json=job)


def job(title, **fields):
    return {"title": title, "jobtype": "Blender", **fields}


def assert_reads_open_writes_guarded(farm, client):
    """Anonymous reads are answered as by the open API; anonymous writes
    and writes with a wrong password are 401 and change nothing; writes
    with USER's password succeed."""
    expect(client.get(f"{URL}1"), 200, json=job_as_served(farm, 1), headers=JSON_TYPE)
    head = expect(client.request("HEAD", f"{URL}1"), 200, body=b"")
    assert head.headers["Content-Length"] == farm.client.get(f"{URL}1").headers["Content-Length"]
    expect(client.request("OPTIONS", URL), 200,
           headers={"Allow": "GET, HEAD, POST, OPTIONS"})
    refused(farm, lambda: client.post(URL, json=job("anonymous")), 401, headers=CHALLENGE)
    refused(farm, lambda: client.post(URL, json=job("wrong"), headers=basic(password="x")),
            401, headers=CHALLENGE)
    refused(farm, lambda: client.delete(f"{URL}1"), 401, headers=CHALLENGE)
    submitted(farm, client.post(URL, json=job("with a password"), headers=basic()),
              title="with a password")
    expect(client.delete(f"{URL}1", headers=basic()), 204)


# ------------------------------------------- a) a password file, b) network

def password_file_site(farm, name, form):
    httpd = farm.other_httpd(name)
    paths = {"/etc/apache2/pyfarm-jobs.htpasswd": password_file(httpd)}
    httpd.extra_conf = MODULES + "\n" + api_location(example("a", form, paths))
    return httpd


def test_a_password_file_guards_writes_with_require_method(farm):
    with serving(password_file_site(farm, "httpd-auth-file", 0)) as client:
        assert_reads_open_writes_guarded(farm, client)


def test_a_password_file_guards_writes_with_limit_except(farm):
    with serving(password_file_site(farm, "httpd-auth-limit", 1)) as client:
        assert_reads_open_writes_guarded(farm, client)


def test_b_writes_only_from_the_farms_network(farm):
    httpd = farm.other_httpd("httpd-auth-network")
    httpd.extra_conf = api_location(example("b"))
    with serving(httpd) as client:
        outside = farmlib.Client(httpd.port, source="127.0.0.2")
        expect(outside.get(f"{URL}1"), 200, json=job_as_served(farm, 1))
        refused(farm, lambda: outside.post(URL, json=job("from outside")), 403)
        outside.close()
        submitted(farm, client.post(URL, json=job("from the farm")), title="from the farm")


# ---------------------------------- c) a table of the database, cached

USERS_TABLE = "pyfarm_api_users"


def users_table_sql():
    """The CREATE TABLE conf/pyfarm_jobs.conf shows for example c)."""
    with open(SHIPPED_CONF, encoding="utf-8") as f:
        text = f.read()
    match = re.search(r"#\s+(CREATE TABLE " + USERS_TABLE + r" \(.*?\);)", text, re.S)
    return re.sub(r"\s*#\s+", " ", match.group(1))


def add_api_user(farm, user, password):
    password_hash = htpasswd_entry(user, password).split(":", 1)[1]
    farm.pg.psql(f"INSERT INTO {USERS_TABLE} VALUES ('{user}', '{password_hash}');")


def test_c_a_users_table_through_dbd_with_a_cache_in_front(farm):
    farm.pg.psql(f"DROP TABLE IF EXISTS {USERS_TABLE}; {users_table_sql()}")
    add_api_user(farm, USER, PASSWORD)
    httpd = farm.other_httpd("httpd-auth-dbd")
    httpd.extra_conf = MODULES + "\n" + api_location(example("c"))
    try:
        with serving(httpd) as client:
            assert_reads_open_writes_guarded(farm, client)
            # a user added while httpd runs: the table is read live
            add_api_user(farm, "dave", "night shift")
            submitted(farm, client.post(URL, json=job("dave's"),
                                        headers=basic("dave", "night shift")),
                      title="dave's")
            # every user gone from the table: those checked before are
            # still known to the cache, with their password only
            farm.pg.psql(f"DELETE FROM {USERS_TABLE};")
            submitted(farm, client.post(URL, json=job("cached"), headers=basic()),
                      title="cached")
            refused(farm, lambda: client.post(URL, json=job("x"), headers=basic(password="x")),
                    401, headers=CHALLENGE)
            refused(farm, lambda: client.post(URL, json=job("x"),
                                              headers=basic("erin", "never added")),
                    401, headers=CHALLENGE)
    finally:
        farm.pg.psql(f"DROP TABLE {USERS_TABLE};")


# -------------------------------------- d) HTTPS with client certificates

def make_certificates(folder):
    """A throwaway CA (ca.pem), a server certificate for 127.0.0.1 and a
    client certificate (CN carol) it signs, and a client certificate
    signed by nobody the server knows (stranger): ECDSA P-256, one day."""
    farmlib.make_dir(folder)
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-noenc", "-days", "1"]

    def certificate(name, subject, *extra):
        farmlib.run(["openssl", "req", "-x509", *key, "-keyout", f"{name}.key",
                     "-out", f"{name}.pem", "-subj", subject, *extra], cwd=folder)

    leaf = ["-CA", "ca.pem", "-CAkey", "ca.key", "-addext", "basicConstraints=critical,CA:FALSE"]
    certificate("ca", "/CN=pyfarm test CA")
    certificate("server", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", *leaf)
    certificate("client", f"/CN={USER}", *leaf)
    certificate("stranger", f"/CN={USER}")


def tls_context(folder, certificate=None):
    """A client's TLS settings: the test CA trusted, `certificate` (a
    name of make_certificates) presented."""
    context = ssl.create_default_context(cafile=os.path.join(folder, "ca.pem"))
    if certificate:
        context.load_cert_chain(os.path.join(folder, f"{certificate}.pem"),
                                os.path.join(folder, f"{certificate}.key"))
    return context


def tls_site(farm, name, extra=""):
    """An httpd with example d) on a port of its own; (httpd, port,
    certificate folder)."""
    httpd = farm.other_httpd(name)
    folder = os.path.join(httpd.rundir, "tls")
    make_certificates(folder)
    port = farmlib.free_port()
    site = example("d", paths={
        "*:443": f"127.0.0.1:{port}",
        "/etc/ssl/certs/pyfarm-master.pem": os.path.join(folder, "server.pem"),
        "/etc/ssl/private/pyfarm-master.key": os.path.join(folder, "server.key"),
        "/etc/ssl/certs/pyfarm-farm-ca.pem": os.path.join(folder, "ca.pem")})
    httpd.extra_conf = (f"LoadModule ssl_module {farmlib.APACHE_MODDIR}/mod_ssl.so\n"
                        f"Listen 127.0.0.1:{port}\n{site}\n{extra}")
    return httpd, port, folder


def handshake_alert(port, context):
    """The reason of the TLS alert a client with `context` gets: TLS 1.3
    lets the client finish its part of the handshake before the server
    has checked its certificate, so the alert comes as it reads."""
    with socket.create_connection(("127.0.0.1", port), timeout=farmlib.HTTP_TIMEOUT) as raw:
        try:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                data = tls.recv(1)
        except ssl.SSLError as exc:
            return exc.reason
    raise AssertionError(f"no alert, the server sent {data!r}")


def refused_in_handshake(farm, port, context, reason):
    """A client with `context` gets the alert `reason`, and its request
    changes nothing (it may see the alert or the closed connection)."""
    assert handshake_alert(port, context) == reason
    before = row_counts(farm)
    client = farmlib.Client(port, tls=context)
    try:
        resp = client.post(URL, json=job("refused"))
    except (ssl.SSLError, ConnectionResetError):
        resp = None
    finally:
        client.close()
    assert resp is None, f"answered without the right certificate: {resp!r}"
    assert row_counts(farm) == before


def test_d_https_wants_a_client_certificate_of_the_farms_ca(farm):
    httpd, port, folder = tls_site(farm, "httpd-auth-tls")
    with serving(httpd):
        refused_in_handshake(farm, port, tls_context(folder),
                             "TLSV13_ALERT_CERTIFICATE_REQUIRED")
        refused_in_handshake(farm, port, tls_context(folder, "stranger"),
                             "TLSV1_ALERT_UNKNOWN_CA")
        agent = farmlib.Client(port, tls=tls_context(folder, "client"))
        expect(agent.get(f"{URL}1"), 200, json=job_as_served(farm, 1), headers=JSON_TYPE)
        submitted(farm, agent.post(URL, json=job("over TLS")), title="over TLS")
        agent.close()


# ------------------------------------------------- PyFarmJobsUserFromAuth

def user_from_auth_site(farm, name, mode):
    """Example a) with PyFarmJobsUserFromAuth `mode`, and the API once more
    under /open, open to anonymous writes."""
    httpd = password_file_site(farm, name, 0)
    httpd.extra_conf += f"""
PyFarmJobsUserFromAuth {mode}
<Location /open/api/v1/jobs>
    SetHandler pyfarm-jobs
    PyFarmJobsBase /open/api/v1/jobs
</Location>"""
    return httpd


def user_row(farm, name):
    """(username, email, active) of a users row, or None."""
    rows = farm.pg.query(f"select username, email, active from users where username = '{name}'")
    return rows[0] if rows else None


def owner_id(farm, job_id):
    return farm.pg.query(f"select user_id from jobs where id = {job_id}")[0][0]


def assert_anonymous_requests_name_the_owner(farm, client):
    """Where anonymous writes are allowed, the body names the owner."""
    submitted(farm, client.post(f"/open{URL}", json=job("anonymous, bob's", user="bob")),
              user="bob")
    submitted(farm, client.post(f"/open{URL}", json=job("anonymous, nobody's")), user=None)


def test_user_from_auth_on_makes_the_authenticated_user_the_owner(farm):
    assert user_row(farm, USER) is None
    with serving(user_from_auth_site(farm, "httpd-auth-user-on", "On")) as client:
        submitted(farm, client.post(URL, json=job("mine"), headers=basic()), user=USER)
        # created as pyfarm-master creates the users a submission names
        assert user_row(farm, USER) == (USER, None, "t")
        submitted(farm, client.post(URL, json=job("mine too", user=USER), headers=basic()),
                  user=USER)
        refused(farm, lambda: client.post(URL, json=job("alice's", user="alice"),
                                          headers=basic()),
                403, json={"error": "user must be the authenticated user carol, not alice"},
                headers=JSON_TYPE)
        # an update may make only the authenticated user the owner, by
        # name or by id; demo job 1 is alice's
        alice = owner_id(farm, 1)
        for change in ({"user": "alice"}, {"user_id": int(alice)}):
            refused(farm, lambda: client.post(f"{URL}1", json=change, headers=basic()),
                    403, json={"error": "user must be the authenticated user carol, "
                                        "not alice"},
                    headers=JSON_TYPE)
        assert owner_id(farm, 1) == alice
        updated(farm, client.post(f"{URL}1", json={"user": USER}, headers=basic()), 1,
                user=USER)
        assert_anonymous_requests_name_the_owner(farm, client)


def test_user_from_auth_allow_others_takes_a_named_owner(farm):
    with serving(user_from_auth_site(farm, "httpd-auth-user-others", "AllowOthers")) as client:
        mine = submitted(farm, client.post(URL, json=job("mine"), headers=basic()),
                         user=USER).json()["id"]
        submitted(farm, client.post(URL, json=job("alice's", user="alice"), headers=basic()),
                  user="alice")
        updated(farm, client.post(f"{URL}{mine}", json={"user": "alice"}, headers=basic()),
                mine, user="alice")
        assert_anonymous_requests_name_the_owner(farm, client)


def test_user_from_auth_takes_the_user_of_a_client_certificate(farm):
    httpd, port, folder = tls_site(farm, "httpd-auth-tls-user", "PyFarmJobsUserFromAuth On")
    with serving(httpd):
        agent = farmlib.Client(port, tls=tls_context(folder, "client"))
        submitted(farm, agent.post(URL, json=job("signed")), user=USER)
        expect(agent.post(URL, json=job("alice's", user="alice")), 403,
               json={"error": "user must be the authenticated user carol, not alice"})
        agent.close()
