"""Task logs: doc/api.md §11 (the task must have both the URL's task id and
job id), §11.1 list, §11.2 register (validated, model TaskLog, §0.5),
§11.3 get, §11.4 update, §11.5 logfile download (file, gzipped fallback,
307 to the agent, §10.6), §11.6 logfile upload.

The log directory is t/run.py's LOG_DIR_NAME under the run's directory
(PyFarmJobsLogDir, created by the module at startup); uploads to job 2's
task 14 are capped at 1000 bytes and downloaded without sendfile there.

Deliberate differences from the reference, marked "ours" below:
  * identifiers are acceptable only when they are 1..255 bytes, hold no
    "/" and do not start with "." (the reference's realpath test also takes
    "", "a/../b" and "../<dir>x/f"); refused with its 400 on registration
    too, and before any file is touched;
  * where the reference crashes (500): an unknown agent_id on registration
    -> 404 "Agent not found"; an "id" that is no 32-bit integer or an
    attempt beyond 32 bits -> 400; an invalid state on update, or an update
    body that is not an object (except the arrays and strings the
    reference lets through) -> 400; a local or passive agent -> 404
    "Logfile is not available on master and agent cannot be reached";
  * agent_id must be a UUID in its canonical 8-4-4-4-12 spelling;
  * uploads are capped (PyFarmJobsMaxLogSize, 413) and written to a
    temporary file renamed into place; downloads have Content-Length,
    Accept-Ranges, Last-Modified, and Range works;
  * the list takes ?limit=&offset= (with a Link to the next page) and is
    ordered by log id; a log without an agent shows "agent_id": null
    there, as in the log object (the reference's list shows the string
    "None").
A NUL (%00) or an encoded slash (%2F) in the identifier matches no route
(§0.1, 404 "... was not found"), as the reference's router does for "/".
"""

import gzip
import hashlib
import http.client
import json
import os
import re
import socket
import stat
import struct
import threading
import time
import urllib.parse

from check import expect, expect_three_entry_pages

API = "/api/v1/jobs"
JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
CSV_TYPE = "text/csv; charset=utf-8"
AGENT = "6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35"   # render01, 127.0.0.1:50000
OTHER_AGENT = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
UNKNOWN_AGENT = "11111111-2222-4333-8444-555555555555"
LOG_DIR_NAME = "task_logs"   # t/run.py
CAPPED = {"job": 2, "task": 14}  # t/run.py: PyFarmJobsMaxLogSize 1000 there
CAP = 1000
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$")
NOT_ACCEPTABLE = {"error": "Identifier is not acceptable"}
MIB = 1024 * 1024
BIG_MIB = 200
RSS_LIMIT_KIB = 64 * 1024


# ---------------------------------------------------------------- helpers

def logs_url(job=1, task=1, attempt=1, identifier=None, logfile=False):
    """The URL of §11's routes; the identifier is percent-encoded (safe="")
    unless it is given as bytes, which are sent as they are."""
    path = f"{API}/{job}/tasks/{task}/attempts/{attempt}/logs/"
    if identifier is None:
        return path
    if isinstance(identifier, str):
        identifier = urllib.parse.quote(identifier, safe="")
    else:
        identifier = identifier.decode("ascii")
    return path + identifier + ("/logfile" if logfile else "")


def file_url(identifier, **kwargs):
    return logs_url(identifier=identifier, logfile=True, **kwargs)


def log_dir(farm):
    return os.path.join(farm.basedir, LOG_DIR_NAME)


def log_path(farm, identifier):
    return os.path.join(log_dir(farm), identifier)


def clear_files(farm):
    """Log files outlive farm.reset(): each test starts from none."""
    for name in os.listdir(log_dir(farm)):
        os.unlink(os.path.join(log_dir(farm), name))


def files(farm):
    return sorted(os.listdir(log_dir(farm)))


def write_file(farm, name, data):
    with open(log_path(farm, name), "wb") as f:
        f.write(data)


def read_file(farm, name):
    with open(log_path(farm, name), "rb") as f:
        return f.read()


def register(farm, identifier, agent=AGENT, **where):
    body = {"identifier": identifier}
    if agent is not None:
        body["agent_id"] = agent
    return farm.client.post(logs_url(**where), json=body)


def registered(farm, identifier, agent=AGENT, **where):
    """Registers through the API; the task-log object."""
    return expect(register(farm, identifier, agent, **where), 201).json()


def sql_text(value):
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def register_sql(farm, identifier, agent=None, task=1, attempt=1):
    """A log the API would refuse (a legacy row): its id."""
    return int(farm.pg.query(
        "WITH l AS (INSERT INTO task_logs (identifier, agent_id, created_on)"
        f" VALUES ({sql_text(identifier)}, {sql_text(agent)},"
        "         now() AT TIME ZONE 'utc') RETURNING id)"
        " INSERT INTO task_log_associations (task_log_id, task_id, attempt, state)"
        f" SELECT id, {task}, {attempt}, NULL FROM l RETURNING task_log_id")[0][0])


def add_agent(farm, agent_id, hostname, remote_ip="2130706433", use_address=311,
              port=50000):
    farm.pg.psql(
        "INSERT INTO agents (id, hostname, notes, remote_ip, use_address, ram,"
        " free_ram, cpus, port, time_offset, restart_requested, state,"
        " last_heard_from, ram_allocation, cpu_allocation)"
        f" VALUES ('{agent_id}', '{hostname}', '', {remote_ip or 'NULL'},"
        f" {use_address}, 1024, 512, 2, {port}, 0, false, 202,"
        " now() at time zone 'utc', 0.8, 1.0)")


def db_logs(farm):
    return farm.pg.query("SELECT id, identifier, agent_id FROM task_logs ORDER BY id")


def db_links(farm):
    return farm.pg.query("SELECT task_log_id, task_id, attempt, state"
                         " FROM task_log_associations"
                         " ORDER BY task_log_id, task_id, attempt")


def expect_error(resp, status, message):
    return expect(resp, status, json={"error": message},
                  headers={"Content-Type": JSON_TYPE})


def expect_log(resp, status, log_id, identifier, agent=AGENT):
    body = expect(resp, status, headers={"Content-Type": JSON_TYPE}).json()
    assert set(body) == {"id", "identifier", "agent_id", "created_on"}, body
    assert (body["id"], body["identifier"], body["agent_id"]) == \
        (log_id, identifier, agent), body
    assert TIMESTAMP.match(body["created_on"]), body
    return body


def put(farm, identifier, data, content_type="text/csv", **where):
    headers = {} if content_type is None else {"Content-Type": content_type}
    return farm.client.put(file_url(identifier, **where), body=data, headers=headers)


def expect_stored(resp):
    return expect(resp, 201, body=b"", headers={"Content-Type": HTML_TYPE})


def new_connection(farm, timeout=30):
    return http.client.HTTPConnection("127.0.0.1", farm.httpd.port, timeout=timeout)


def wait_for(predicate, what, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# ------------------------------------------------------------ §11.1 list

def test_list_is_empty_without_logs(farm):
    expect(farm.client.get(logs_url()), 200, json=[], headers={"Content-Type": JSON_TYPE})


def test_list_shows_the_attempts_logs(farm):
    first = registered(farm, "a.csv")
    register_sql(farm, "b.csv", agent=None)
    registered(farm, "c.csv", attempt=2)          # another attempt
    registered(farm, "d.csv", task=2)             # another task
    resp = expect(farm.client.get(logs_url()), 200)
    assert resp.json() == [
        {"identifier": "a.csv", "created_on": first["created_on"], "agent_id": AGENT},
        {"identifier": "b.csv", "created_on": resp.json()[1]["created_on"],
         "agent_id": None}]                       # ours (reference: "None")
    assert TIMESTAMP.match(resp.json()[1]["created_on"])


def test_list_of_a_task_of_another_job_is_404(farm):
    for job, task in ((2, 1), (1, 11), (1, 999), (999, 1)):
        expect(farm.client.get(logs_url(job=job, task=task)), 404,
               json={"task_id": task, "job_id": job, "error": "Specified task not found"},
               headers={"Content-Type": JSON_TYPE})


def test_list_404_shows_the_ids_as_integers(farm):
    expect(farm.client.get(logs_url(job="0001", task="099999999999999999999")), 404,
           json={"task_id": 99999999999999999999, "job_id": 1,
                 "error": "Specified task not found"})


def test_list_of_a_huge_attempt_is_empty(farm):
    registered(farm, "a.csv")
    for attempt in ("2147483648", "99999999999999999999999"):
        expect(farm.client.get(logs_url(attempt=attempt)), 200, json=[])
    listed = expect(farm.client.get(logs_url(attempt="0001")), 200).json()
    assert [item["identifier"] for item in listed] == ["a.csv"]


def test_list_pages(farm):  # ours
    for name in ("a", "b", "c"):
        registered(farm, name)
    names = [item["identifier"] for item in
             expect(farm.client.get(logs_url() + "?limit=2&offset=1"), 200).json()]
    assert names == ["b", "c"]
    expect_error(farm.client.get(logs_url() + "?limit=x"), 400,
                 "limit must be a non-negative integer")


def listed_logs(farm, task=1, attempt=1):
    """The list items of a task's attempt as stored, in log id order (§11.1;
    created_on rendered as §0.6 says)."""
    rows = farm.pg.query(
        "SELECT l.identifier, to_char(l.created_on, 'YYYY-MM-DD\"T\"HH24:MI:SS.US'),"
        "       l.agent_id FROM task_logs l"
        "  JOIN task_log_associations a ON a.task_log_id = l.id"
        f" WHERE a.task_id = {task} AND a.attempt = {attempt} ORDER BY l.id")
    return [{"identifier": i, "created_on": c[:-7] if c.endswith(".000000") else c,
             "agent_id": a} for i, c, a in rows]


def test_list_links_to_the_next_page(farm):  # ours
    for name in ("a", "b"):
        registered(farm, name)
    register_sql(farm, "c")
    registered(farm, "other", attempt=2)
    entries = listed_logs(farm)
    assert [e["identifier"] for e in entries] == ["a", "b", "c"]
    path = logs_url(job="01", task="001", attempt="1")
    expect_three_entry_pages(farm.client, path, entries)


# ------------------------------------------------------- §11.2 register

def test_register_creates_and_links_the_log(farm):
    body = expect_log(register(farm, "render.csv"), 201, 1, "render.csv")
    assert db_logs(farm) == [("1", "render.csv", AGENT)]
    assert db_links(farm) == [("1", "1", "1", None)]
    expect_log(farm.client.get(logs_url(identifier="render.csv")), 200, 1, "render.csv")
    assert body["created_on"] == farm.client.get(logs_url()).json()[0]["created_on"]


def test_register_without_agent(farm):
    expect_log(register(farm, "x.csv", agent=None), 201, 1, "x.csv", agent=None)
    assert db_logs(farm) == [("1", "x.csv", None)]


def test_register_with_an_explicit_id(farm):
    expect_log(farm.client.post(logs_url(), json={"identifier": "x", "id": 77}),
               201, 77, "x", agent=None)
    assert db_logs(farm) == [("77", "x", None)]


def test_register_reuses_a_known_identifier(farm):
    first = registered(farm, "shared.csv")
    add_agent(farm, OTHER_AGENT, "render02")
    # another task (of another job) and another attempt link the same log;
    # the agent of the request is ignored, even an unknown one
    resp = register(farm, "shared.csv", agent=OTHER_AGENT, job=2, task=11, attempt=3)
    assert expect_log(resp, 201, 1, "shared.csv") == first
    expect_log(register(farm, "shared.csv", agent=UNKNOWN_AGENT, attempt=2),
               201, 1, "shared.csv")
    assert db_logs(farm) == [("1", "shared.csv", AGENT)]
    assert db_links(farm) == [("1", "1", "1", None), ("1", "1", "2", None),
                              ("1", "11", "3", None)]


def test_register_twice_is_409(farm):
    registered(farm, "x.csv")
    for where in ({}, {"attempt": "01"}):
        expect(register(farm, "x.csv", **where), 409,
               json={"log": None, "attempt": 1, "task_id": 1,
                     "error": "This log is already registered for this task."},
               headers={"Content-Type": JSON_TYPE})
    assert len(db_links(farm)) == 1


def test_register_on_a_task_of_another_job_is_404(farm):
    for job, task in ((2, 1), (1, 11), (1, 999), ("99999999999999999999", 1)):
        expect(register(farm, "x.csv", job=job, task=task), 404,
               json={"task_id": task, "job_id": int(job),
                     "error": "Specified task not found"})
    assert db_logs(farm) == []


def test_register_validates_before_looking_for_the_task(farm):  # §0.5
    expect_error(farm.client.post(logs_url(task=999), json={"foo": 1}), 400,
                 "request contains field(s) that do not exist: {'foo'}")


def test_register_needs_json(farm):
    message = ("Unsupported mimetype, only {'application/json'} mimetype(s) "
               "are supported.")
    expect_error(farm.client.post(logs_url(), body=b"identifier=x",
                                  headers={"Content-Type": "application/x-www-form-urlencoded"}),
                 415, message)
    expect_error(farm.client.post(logs_url()), 415, message)


def test_register_validation_messages(farm):
    cases = [
        ([{"identifier": "x"}], "dictionary expected but got list instead"),
        ({}, "request is missing field(s): {'identifier'}"),
        ({"identifier": "x", "task_id": 1, "attempt": 1},
         "request contains field(s) that do not exist: {'attempt', 'task_id'}"),
        ({"identifier": 5}, "field 'identifier' has type <class 'int'> but we "
                            "expected type(s) <class 'str'>"),
        ({"identifier": None}, "field 'identifier' has type <class 'NoneType'> but "
                               "we expected type(s) <class 'str'>"),
        ({"identifier": "x", "created_on": "2017-01-01T00:00:00"},
         "field 'created_on' has type <class 'str'> but we expected type(s) "
         "<class 'datetime.datetime'>"),
        ({"identifier": "x", "id": "1"},
         "field 'id' has type <class 'str'> but we expected type(s) <class 'int'>"),
    ]
    for agent in (None, "nope", 5, AGENT.replace("-", ""), "{" + AGENT + "}",
                  AGENT + "0", AGENT[:8] + "0" + AGENT[9:]):   # ours: canonical only
        cases.append(({"identifier": "x", "agent_id": agent},
                      "type check failed for 'agent_id'"))
    for body, message in cases:
        expect_error(farm.client.post(logs_url(), json=body), 400, message)
    assert db_logs(farm) == []


def test_register_takes_agent_ids_in_either_case(farm):
    expect_log(register(farm, "x", agent=AGENT.upper()), 201, 1, "x")


def test_register_refuses_unacceptable_identifiers(farm):  # [REC], ours
    for identifier in ("", ".", "..", "../x.csv", "a/b", "/etc/passwd",
                       f"../{LOG_DIR_NAME}x/f", ".hidden", ".upload-abcdef",
                       "x" * 256, "\u00e9" * 128):    # 256 bytes, 128 characters
        expect(register(farm, identifier), 400, json=NOT_ACCEPTABLE)
    expect(register(farm, "x", job=1, task=999), 404)   # the task comes first
    expect_log(register(farm, "x" * 255), 201, 1, "x" * 255)
    expect_log(register(farm, "a..b c%2F\u00e9"), 201, 2, "a..b c%2F\u00e9")
    assert [row[1] for row in db_logs(farm)] == ["x" * 255, "a..b c%2F\u00e9"]


def test_register_with_unknown_agent_is_404(farm):  # ours (reference: 500)
    expect_error(register(farm, "x.csv", agent=UNKNOWN_AGENT), 404, "Agent not found")
    assert db_logs(farm) == [] and db_links(farm) == []


def test_register_with_an_id_beyond_the_column_is_400(farm):  # ours (500)
    for value in (2 ** 31, -2 ** 31 - 1, 2 ** 40, True):
        expect_error(farm.client.post(logs_url(), json={"identifier": "x", "id": value}),
                     400, "`id` must be an integer from -2147483648 to 2147483647")
    assert db_logs(farm) == []


def test_register_with_a_huge_attempt_is_400(farm):  # ours (500)
    expect_error(register(farm, "x", attempt="2147483648"), 400,
                 "`attempt` must be at most 2147483647")
    assert db_logs(farm) == []


# ------------------------------------------------------------ §11.3 get

def test_get_shows_the_log(farm):
    first = registered(farm, "a b.csv", agent=None)
    assert expect_log(farm.client.get(logs_url(identifier="a b.csv")), 200, 1,
                      "a b.csv", agent=None) == first


def test_get_404s_in_order(farm):
    registered(farm, "x.csv", attempt=2)
    expect(farm.client.get(logs_url(task=11, identifier="x.csv")), 404,
           json={"task_id": 11, "job_id": 1, "error": "Specified task not found"})
    expect(farm.client.get(logs_url(identifier="nope.csv")), 404,
           json={"task_id": 1, "job_id": 1, "error": "Specified log not found"})
    expect(farm.client.get(logs_url(task="01", identifier="x.csv")), 404,
           json={"task_id": 1, "log": "x.csv", "error": "Specified log not found in task"})
    expect(farm.client.get(logs_url(identifier="x" * 300)), 404,
           json={"task_id": 1, "job_id": 1, "error": "Specified log not found"})


def test_identifiers_with_slash_or_nul_match_no_route(farm):
    for raw in (b"a%2Fb", b"a%2fb"):
        for path in (logs_url(identifier=raw), file_url(raw)):
            expect(farm.client.get(path), 404,
                   json={"error": f"{farm.base_url}{path} was not found"})
            expect(farm.client.put(path, body=b"x", headers={"Content-Type": "text/csv"}),
                   404, json={"error": f"{farm.base_url}{path} was not found"})
    # %00 is left to the router (httpd would answer its HTML 404): no route
    for path in (logs_url(identifier=b"a%00b"), file_url(b"a%00b")):
        expect(farm.client.get(path), 404,
               json={"error": f"{farm.base_url}{path} was not found"})
        expect(farm.client.put(path, body=b"x", headers={"Content-Type": "text/csv"}),
               404, json={"error": f"{farm.base_url}{path} was not found"})
    assert files(farm) == []


# --------------------------------------------------------- §11.4 update

def post_update(farm, body, identifier="x.csv", **where):
    if isinstance(body, (bytes, str)):
        return farm.client.post(logs_url(identifier=identifier, **where), body=body,
                                headers={"Content-Type": JSON_TYPE})
    return farm.client.post(logs_url(identifier=identifier, **where), json=body)


def link_state(farm):
    return farm.pg.query("SELECT state FROM task_log_associations")[0][0]


def test_update_stores_the_state(farm):
    registered(farm, "x.csv")
    for state, stored in (("running", "105"), ("done", "106"), ("failed", "107"),
                          ("paused", "100"), ("queued", None), ("running", "105"),
                          (None, None)):
        resp = post_update(farm, {"state": state, "agent_id": "ignored", "other": 1})
        expect_log(resp, 200, 1, "x.csv")
        assert link_state(farm) == stored, (state, link_state(farm))


def test_update_changes_only_this_attempts_link(farm):
    registered(farm, "x.csv")
    registered(farm, "x.csv", attempt=2)
    post_update(farm, {"state": "done"}, attempt=2)
    assert [row[3] for row in db_links(farm)] == [None, "106"]


def test_update_refuses_identifier_and_created_on(farm):
    registered(farm, "x.csv")
    expect_error(post_update(farm, {"state": "done", "identifier": "y"}), 400,
                 "The tasklog identifier cannot be changed")
    expect_error(post_update(farm, {"created_on": "x", "state": "done"}), 400,
                 "The created_on timestampt cannot be changed")
    assert link_state(farm) is None              # nothing saved


def test_update_with_an_invalid_state_is_400(farm):  # ours (reference: 500)
    registered(farm, "x.csv")
    for state in ("assigned", "Done", 105, True, ["done"]):
        expect_error(post_update(farm, {"state": state, "identifier": "y"}), 400,
                     "`state` must be one of queued, paused, running, done, failed")
    assert link_state(farm) is None


def test_update_with_a_body_that_is_not_an_object(farm):
    registered(farm, "x.csv")
    # the reference's `"state" in body` is false: nothing happens
    for body in ('["running"]', '"running"', "[]"):
        expect_log(post_update(farm, body), 200, 1, "x.csv")
    # ... true (then it crashes), or the body is no container: ours 400
    for body, kind in (('["state"]', "list"), ('"a state"', "str"), ("1", "int"),
                       ("null", "NoneType")):
        expect_error(post_update(farm, body), 400,
                     f"dictionary expected but got {kind} instead")
    expect_error(farm.client.post(logs_url(identifier="x.csv")), 400,
                 "dictionary expected but got NoneType instead")
    assert link_state(farm) is None


def test_update_404s_in_order(farm):
    registered(farm, "x.csv", attempt=2)
    expect(post_update(farm, {"state": "done"}, task=11), 404,
           json={"task_id": 11, "job_id": 1, "error": "Specified task not found"})
    expect(post_update(farm, {"state": "done"}, identifier="y.csv"), 404,
           json={"task_id": 1, "job_id": 1, "error": "Specified log not found"})
    expect(post_update(farm, "1"), 404,   # before the body is looked at
           json={"task_id": 1, "log": "x.csv", "error": "Specified log not found in task"})
    assert link_state(farm) is None


# ------------------------------------------------- §11.5 logfile download

def test_download_serves_the_file(farm):
    clear_files(farm)
    data = b"time,message\n1,\xc3\xa9\x00\xff\n"
    for name, content_type in (("a.csv", CSV_TYPE), ("b.txt", "text/plain; charset=utf-8"),
                               ("c.log", "application/octet-stream"),
                               ("d", "application/octet-stream"),
                               ("e.CSV", CSV_TYPE)):
        registered(farm, name)
        write_file(farm, name, data)
        expect(farm.client.get(file_url(name)), 200, body=data, headers={
            "Content-Type": content_type, "Content-Length": str(len(data)),
            "Cache-Control": "no-cache", "Accept-Ranges": "bytes", "ETag": None})


def test_download_of_an_empty_file(farm):
    clear_files(farm)
    registered(farm, "a.csv")
    write_file(farm, "a.csv", b"")
    expect(farm.client.get(file_url("a.csv")), 200, body=b"",
           headers={"Content-Length": "0"})


def test_head_has_the_headers_only(farm):
    clear_files(farm)
    registered(farm, "a.csv")
    write_file(farm, "a.csv", b"12345")
    expect(farm.client.request("HEAD", file_url("a.csv")), 200, body=b"",
           headers={"Content-Length": "5", "Content-Type": CSV_TYPE})


def test_range_requests(farm):
    clear_files(farm)
    data = bytes(range(256)) * 40
    for where in ({}, CAPPED):                  # sendfile on, and off
        registered(farm, "r.csv", **where)
        write_file(farm, "r.csv", data)
        path = file_url("r.csv", **where)
        for spec, start, end in (("0-9", 0, 9), ("100-", 100, len(data) - 1),
                                 ("-7", len(data) - 7, len(data) - 1),
                                 ("10000-99999", 10000, len(data) - 1)):
            expect(farm.client.get(path, headers={"Range": f"bytes={spec}"}), 206,
                   body=data[start:end + 1],
                   headers={"Content-Range": f"bytes {start}-{end}/{len(data)}",
                            "Content-Type": CSV_TYPE})
        expect(farm.client.get(path, headers={"Range": "bytes=20000-"}), 416)
        multi = expect(farm.client.get(path, headers={"Range": "bytes=0-1,5-6"}), 206)
        assert multi.headers["Content-Type"].startswith("multipart/byteranges; boundary=")
        assert b"\x00\x01" in multi.body and b"\x05\x06" in multi.body
        clear_files(farm)


def test_download_falls_back_to_the_gzipped_file(farm):
    clear_files(farm)
    text = b"".join(b"%d,line %d\n" % (i, i) for i in range(100000))
    registered(farm, "z.log")
    write_file(farm, "z.log.gz", gzip.compress(text[:1000]) + gzip.compress(text[1000:]))
    expect(farm.client.get(file_url("z.log")), 200, body=text,
           headers={"Content-Type": CSV_TYPE, "Cache-Control": "no-cache"})
    # the file itself wins over the gzipped one
    write_file(farm, "z.log", b"plain")
    expect(farm.client.get(file_url("z.log")), 200, body=b"plain",
           headers={"Content-Type": "application/octet-stream"})


def test_corrupt_gzipped_file_cuts_the_response_short(farm):
    clear_files(farm)
    registered(farm, "z.csv")
    data = gzip.compress(os.urandom(300000))
    write_file(farm, "z.csv.gz", data[:len(data) // 2])     # truncated
    with farm.httpd.tolerate_log_problems():
        conn = new_connection(farm)
        try:
            conn.request("GET", file_url("z.csv"))
            resp = conn.getresponse()
            assert resp.status == 200
            try:
                resp.read()
            except http.client.IncompleteRead:
                pass
            else:
                raise AssertionError("a truncated gzip file was served as complete")
        finally:
            conn.close()
        time.sleep(0.2)


def test_download_404s_in_order(farm):
    clear_files(farm)
    registered(farm, "x.csv", attempt=2)
    write_file(farm, "x.csv", b"data")
    expect(farm.client.get(file_url("x.csv", task=11)), 404,
           json={"task_id": 11, "log": "x.csv", "error": "Specified task not found"})
    expect(farm.client.get(file_url("y.csv")), 404,
           json={"task_id": 1, "log": "y.csv", "error": "Specified log not found"})
    expect(farm.client.get(file_url("x.csv")), 404,
           json={"task_id": 1, "log": "x.csv", "error": "Specified log not found in task"})


def test_download_redirects_to_the_agent(farm):
    clear_files(farm)
    add_agent(farm, OTHER_AGENT, "render02", use_address=312, port=8080)
    registered(farm, "a.csv")
    registered(farm, "b c\u00e9#?.csv", agent=OTHER_AGENT)
    for name, location in (
            ("a.csv", "http://127.0.0.1:50000/api/v1/task_logs/a.csv"),
            ("b c\u00e9#?.csv", "http://render02:8080/api/v1/task_logs/b%20c%C3%A9#?.csv")):
        resp = expect(farm.client.get(file_url(name)), 307,
                      headers={"Location": location, "Content-Type": HTML_TYPE})
        assert f'href="{location}"' in resp.text, resp.text


def test_download_from_an_agent_without_address_is_404(farm):
    # ours: the reference redirects to http://None:50000/...
    clear_files(farm)
    add_agent(farm, OTHER_AGENT, "render02", remote_ip=None)
    registered(farm, "a.csv", agent=OTHER_AGENT)
    expect(farm.client.get(file_url("a.csv")), 404,
           json={"path": log_path(farm, "a.csv"), "log": "a.csv",
                 "error": "Logfile is not available on master and agent cannot be reached"})


def test_download_without_file_or_agent_is_404(farm):
    clear_files(farm)
    registered(farm, "a.csv", agent=None)
    expect(farm.client.get(file_url("a.csv")), 404,
           json={"path": log_path(farm, "a.csv"), "log": "a.csv",
                 "error": "Logfile is not available on master and agent is not known"})


def test_download_from_a_local_or_passive_agent_is_404(farm):  # ours (500)
    for number, use_address in ((1, 310), (2, 313)):
        agent = f"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4{number}"
        add_agent(farm, agent, f"local{number}", use_address=use_address)
        registered(farm, f"{number}.csv", agent=agent)
        expect(farm.client.get(file_url(f"{number}.csv")), 404,
               json={"path": log_path(farm, f"{number}.csv"), "log": f"{number}.csv",
                     "error": "Logfile is not available on master and agent "
                              "cannot be reached"})


# ------------------------------------------------- hostile identifiers

HOSTILE = [  # (identifier as stored, as sent in the URL)
    ("..", b"%2E%2E"),
    (".", b"%2e"),
    (f"../{LOG_DIR_NAME}", b"..%2F" + LOG_DIR_NAME.encode()),  # no route: has a "/"
    (".hidden.csv", b".hidden.csv"),
    (".upload-AbCdEf", b".upload-AbCdEf"),
    ("\u00e9" * 128, urllib.parse.quote("\u00e9" * 128).encode()),  # 256 bytes
]


def test_hostile_identifiers_never_reach_the_disk(farm):  # [REC]
    clear_files(farm)
    write_file(farm, ".hidden.csv", b"secret")
    for stored, sent in HOSTILE:
        register_sql(farm, stored)                 # legacy rows the API refuses
        path = file_url(sent)
        if b"%2F" in sent:
            expect(farm.client.get(path), 404)     # "/" is never in a segment
            continue
        expect(farm.client.get(path), 400, json=NOT_ACCEPTABLE)
        expect(farm.client.put(path, body=b"x", headers={"Content-Type": "text/csv"}),
               400, json=NOT_ACCEPTABLE)
    assert files(farm) == [".hidden.csv"]
    assert read_file(farm, ".hidden.csv") == b"secret"
    assert not os.path.exists(os.path.join(farm.basedir, "x"))


def test_raw_dot_segments_are_refused(farm):
    clear_files(farm)
    register_sql(farm, "..")
    request = (f"PUT {logs_url()}../logfile HTTP/1.1\r\nHost: x\r\n"
               "Content-Type: text/csv\r\nContent-Length: 1\r\nConnection: close\r\n"
               "\r\nx").encode()
    answer = farm.client.raw(request)
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert answer.endswith(b'{"error": "Identifier is not acceptable"}'), answer
    assert files(farm) == []


# --------------------------------------------------- §11.6 logfile upload

def test_upload_stores_the_file(farm):
    clear_files(farm)
    registered(farm, "a.csv")
    data = b"a,b\n" + bytes(range(256)) * 100
    expect_stored(put(farm, "a.csv", data))
    assert read_file(farm, "a.csv") == data
    assert stat.S_IMODE(os.stat(log_path(farm, "a.csv")).st_mode) == 0o644
    expect(farm.client.get(file_url("a.csv")), 200, body=data)
    expect_stored(put(farm, "a.csv", b"new"))      # replaced
    assert read_file(farm, "a.csv") == b"new"
    assert files(farm) == ["a.csv"]


def test_upload_as_the_agent_sends_it(farm):
    """PUT, Content-Type text/csv, no User-Agent, Connection: close."""
    clear_files(farm)
    registered(farm, "agent.csv")
    data = b"x" * 100000
    request = (f"PUT {file_url('agent.csv')} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Content-Type: text/csv\r\nContent-Length: {len(data)}\r\n"
               "Connection: close\r\n\r\n").encode() + data
    answer = farm.client.raw(request)
    assert answer.startswith(b"HTTP/1.1 201 Created\r\n"), answer
    assert b"Content-Type: text/html; charset=utf-8\r\n" in answer, answer
    assert answer.endswith(b"\r\n\r\n"), answer
    assert read_file(farm, "agent.csv") == data


def test_upload_with_chunked_encoding(farm):
    clear_files(farm)
    registered(farm, "c.csv")
    chunks = [b"first,", b"second\n", b"x" * 70000]
    conn = new_connection(farm)
    try:
        conn.request("PUT", file_url("c.csv"), body=iter(chunks),
                     headers={"Content-Type": "text/csv"}, encode_chunked=True)
        resp = conn.getresponse()
        assert (resp.status, resp.read()) == (201, b"")
    finally:
        conn.close()
    assert read_file(farm, "c.csv") == b"".join(chunks)


def test_upload_of_other_body_types(farm):
    clear_files(farm)
    registered(farm, "j.csv")
    raw = b'{"a":  [1, 2.50]}\n'
    expect_stored(put(farm, "j.csv", raw, content_type="application/json"))
    assert read_file(farm, "j.csv") == raw          # the bytes as sent
    expect_stored(put(farm, "j.csv", b"a=1&b=2",
                      content_type="application/x-www-form-urlencoded"))
    assert read_file(farm, "j.csv") == b"a=1&b=2"   # ours: the reference writes b""
    expect_stored(put(farm, "j.csv", b"PK\x03\x04zip", content_type="application/zip"))
    assert read_file(farm, "j.csv") == b"PK\x03\x04zip"
    expect_stored(put(farm, "j.csv", b"", content_type=None))
    assert read_file(farm, "j.csv") == b""
    expect_error(put(farm, "j.csv", b"data", content_type=None), 415,
                 "Unsupported media type ''")
    resp = put(farm, "j.csv", b"data", content_type="application/octet-stream")
    expect(resp, 415)
    assert files(farm) == ["j.csv"] and read_file(farm, "j.csv") == b""


def test_upload_404s_in_order(farm):
    clear_files(farm)
    registered(farm, "x.csv", attempt=2)
    expect(put(farm, "x.csv", b"d", task=11), 404,
           json={"task_id": 11, "log": "x.csv", "error": "Specified task not found"})
    expect(put(farm, "y.csv", b"d"), 404,
           json={"task_id": 1, "log": "y.csv", "error": "Specified log not found"})
    expect(put(farm, "x.csv", b"d", task="001"), 404,
           json={"task_id": 1, "log": "x.csv", "error": "Specified log not found in task"})
    assert files(farm) == []


def test_upload_beyond_the_cap_is_413(farm):  # ours: PyFarmJobsMaxLogSize
    clear_files(farm)
    registered(farm, "cap.csv", **CAPPED)
    expect_stored(put(farm, "cap.csv", b"x" * CAP, **CAPPED))
    message = f"request body is larger than the limit of {CAP} bytes"
    # announced by Content-Length: refused before reading
    expect_error(put(farm, "cap.csv", b"y" * (CAP + 1), **CAPPED), 413, message)
    # chunked: refused once the cap is passed
    conn = new_connection(farm)
    try:
        conn.request("PUT", file_url("cap.csv", **CAPPED),
                     body=iter([b"z" * 600, b"z" * 600]),
                     headers={"Content-Type": "text/csv"}, encode_chunked=True)
        resp = conn.getresponse()
        assert (resp.status, json.loads(resp.read())) == (413, {"error": message})
    finally:
        conn.close()
    assert files(farm) == ["cap.csv"] and read_file(farm, "cap.csv") == b"x" * CAP


def test_upload_that_cannot_be_written_is_500(farm):
    clear_files(farm)
    registered(farm, "a.csv")
    write_file(farm, "a.csv", b"old")
    os.chmod(log_dir(farm), 0o555)
    try:
        with farm.httpd.tolerate_log_problems():
            resp = put(farm, "a.csv", b"new")
            time.sleep(0.1)
    finally:
        os.chmod(log_dir(farm), 0o755)
    expect_error(resp, 500, f"Could not write file {log_path(farm, 'a.csv')} to disk: "
                            "Permission denied")
    assert files(farm) == ["a.csv"] and read_file(farm, "a.csv") == b"old"


def test_interrupted_upload_leaves_no_file(farm):
    clear_files(farm)
    registered(farm, "new.csv")
    registered(farm, "old.csv")
    write_file(farm, "old.csv", b"complete")
    for name in ("new.csv", "old.csv"):
        with socket.create_connection(("127.0.0.1", farm.httpd.port)) as sock:
            sock.sendall((f"PUT {file_url(name)} HTTP/1.1\r\nHost: x\r\n"
                          f"Content-Type: text/csv\r\nContent-Length: {10 * MIB}\r\n"
                          "\r\n").encode() + b"p" * MIB)
            # the upload is under way: its temporary file exists
            wait_for(lambda: any(f.startswith(".upload-") for f in files(farm)),
                     "the temporary file")
        wait_for(lambda: not any(f.startswith(".upload-") for f in files(farm)),
                 "the temporary file to go")
    assert files(farm) == ["old.csv"]
    assert read_file(farm, "old.csv") == b"complete"


# ---------------------------------------------- 200 MiB, flat memory

class RssWatcher(threading.Thread):
    """Samples the RSS of httpd's children; peak growth over the baseline."""

    def __init__(self, httpd):
        super().__init__(daemon=True)
        self.httpd = httpd
        self.baseline = self.sample()
        self.peak = 0
        self.stopping = threading.Event()

    def sample(self):
        rss = {}
        for pid in self.httpd.child_pids():
            try:
                rss[pid] = self.httpd.rss_kib(pid)
            except (FileNotFoundError, ProcessLookupError, ValueError):
                pass
        return rss

    def run(self):
        while not self.stopping.is_set():
            for pid, kib in self.sample().items():
                self.peak = max(self.peak, kib - self.baseline.setdefault(pid, kib))
            time.sleep(0.01)

    def stop(self):
        self.stopping.set()
        self.join()
        return self.peak


def big_chunks():
    """BIG_MIB MiB that are not one repeated block, made as they are sent."""
    block = os.urandom(MIB)
    for i in range(BIG_MIB):
        yield struct.pack(">Q", i) + block[8:]


def upload_big(farm, identifier):
    digest = hashlib.sha256()
    conn = new_connection(farm, timeout=60)
    try:
        conn.putrequest("PUT", file_url(identifier))
        conn.putheader("Content-Type", "text/csv")
        conn.putheader("Content-Length", str(BIG_MIB * MIB))
        conn.endheaders()
        for chunk in big_chunks():
            digest.update(chunk)
            conn.send(chunk)
        resp = conn.getresponse()
        assert (resp.status, resp.read()) == (201, b"")
    finally:
        conn.close()
    return digest.hexdigest()


def download_big(farm, identifier):
    digest, size = hashlib.sha256(), 0
    conn = new_connection(farm, timeout=60)
    try:
        conn.request("GET", file_url(identifier))
        resp = conn.getresponse()
        assert resp.status == 200
        assert resp.getheader("Content-Length") == str(BIG_MIB * MIB)
        while chunk := resp.read(MIB):
            digest.update(chunk)
            size += len(chunk)
    finally:
        conn.close()
    return digest.hexdigest(), size


def test_200_mib_round_trip_in_flat_memory(farm):
    clear_files(farm)
    registered(farm, "big.csv")
    watcher = RssWatcher(farm.httpd)
    assert watcher.baseline, "no httpd child to watch"
    watcher.start()
    started = time.monotonic()
    try:
        sent = upload_big(farm, "big.csv")
        uploaded = time.monotonic()
        received, size = download_big(farm, "big.csv")
    finally:
        peak = watcher.stop()
    done = time.monotonic()
    print(f"# {BIG_MIB} MiB: upload {uploaded - started:.1f}s, download "
          f"{done - uploaded:.1f}s, peak RSS growth of an httpd child {peak} KiB")
    assert (received, size) == (sent, BIG_MIB * MIB)
    assert os.path.getsize(log_path(farm, "big.csv")) == BIG_MIB * MIB
    assert peak < RSS_LIMIT_KIB, f"an httpd child grew by {peak} KiB"
    assert files(farm) == ["big.csv"]
    clear_files(farm)


# ------------------------------------------------------------ methods

def test_other_methods_are_405(farm):
    registered(farm, "x.csv")
    for path, allow in ((logs_url(), "GET, HEAD, POST, OPTIONS"),
                        (logs_url(identifier="x.csv"), "GET, HEAD, POST, OPTIONS"),
                        (file_url("x.csv"), "GET, HEAD, PUT, OPTIONS")):
        expect(farm.client.delete(path), 405,
               json={"error": f"{farm.base_url}{path} does not allow DELETE requests"},
               headers={"Allow": allow})
