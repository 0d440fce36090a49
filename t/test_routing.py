"""Routing, body pre-processing and the error answers every endpoint shares:
doc/api.md §0.1 (routing: <job> by id or title, percent-decoding, trailing
slashes, 404/405, HEAD/OPTIONS), §0.2 (request bodies, before routing),
§0.3 (JSON responses), §0.4/§1 (status codes), plus our additions: the
Allow header on 405, the body size cap (PyFarmJobsMaxBodySize 65536 in the
test farm) and 503 + Retry-After while the database is down.

Documented differences from the reference checked here: 308 (the 2017
stack sent 301) for slash redirects, an Allow header on 405, and JSON where
the reference renders an HTML error page (415 or 404 for a request whose
Content-Type is not application/json)."""

import json
import threading
import time
import urllib.parse

from check import expect
from farm import Client, wait_until

API = "/api/v1/jobs"
# sql/demo.sql's agent
DEMO_AGENT = "6d2e8a3f-5c1b-4e7a-9f0d-2b8c4a1e7f35"
JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
MAX_BODY = 65536           # t/run.py's EXTRA_CONF
JOB_ALLOW = "GET, HEAD, POST, DELETE, OPTIONS"
INDEX_ALLOW = "GET, HEAD, POST, OPTIONS"
DB_RETRIES = 10


def url(farm, path):
    """The reference's "full request URL" of a path sent as is (§0.1)."""
    return farm.base_url + path


def expect_not_found(farm, resp, path):
    return expect(resp, 404, json={"error": f"{url(farm, path)} was not found"},
                  headers={"Content-Type": JSON_TYPE})


def expect_bad_method(farm, resp, path, method, allow):
    return expect(resp, 405,
                  json={"error": f"{url(farm, path)} does not allow {method} requests"},
                  headers={"Content-Type": JSON_TYPE, "Allow": allow})


def expect_redirect(farm, resp, target):
    return expect(resp, 308, headers={"Location": url(farm, target)})


def expect_job(resp, job_id, title):
    body = expect(resp, 200, headers={"Content-Type": JSON_TYPE}).json()
    assert (body["id"], body["title"]) == (job_id, title), (body["id"], body["title"])


def add_job(farm, title):
    """A copy of demo job 2 (with one task) under a new title; its id."""
    literal = "'" + title.replace("'", "''") + "'"
    rows = farm.pg.query(f"""
        WITH job AS (
            INSERT INTO jobs (title, jobtype_version_id, weight, hidden,
                              to_be_deleted, completion_notify_sent, time_submitted)
            SELECT {literal}, jobtype_version_id, weight, hidden, to_be_deleted,
                   completion_notify_sent, time_submitted
              FROM jobs WHERE id = 2
            RETURNING id)
        INSERT INTO tasks (job_id, frame, attempts, failures, sent_to_agent)
        SELECT id, 1, 0, 0, false FROM job RETURNING job_id""")
    return int(rows[0][0])


def json_body_of_size(size):
    """A JSON object text of exactly `size` bytes."""
    text = '{"a": "' + "x" * (size - 9) + '"}'
    assert len(text) == size
    return text


def raw_request(farm, method, path, headers, body=b""):
    """Bytes of a hand-framed HTTP/1.1 request (one per connection)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{farm.httpd.port}",
             "Connection: close"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def chunked(data, size):
    """`data` in chunked transfer coding, chunks of `size` bytes."""
    out = b"".join(b"%x\r\n%s\r\n" % (len(data[i:i + size]), data[i:i + size])
                   for i in range(0, len(data), size))
    return out + b"0\r\n\r\n"


def parse_raw_response(data):
    """(status, {lower-case header: value}, body) of one raw response."""
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        decoded = b""
        while True:
            size_line, _, body = body.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            decoded, body = decoded + body[:size], body[size + 2:]
        body = decoded
    return int(status_line.split()[1]), headers, body


def send_chunked_json(farm, path, payload):
    """POST `payload` (bytes) as application/json, chunked, no Content-Length."""
    request = raw_request(farm, "POST", path,
                          {"Content-Type": JSON_TYPE, "Transfer-Encoding": "chunked"},
                          chunked(payload, 8192))
    return parse_raw_response(farm.client.raw(request))


def get_until_ok(farm, path):
    """GET `path` until 200, at most DB_RETRIES times; the last response."""
    for _ in range(DB_RETRIES):
        resp = farm.client.get(path)
        if resp.status == 200:
            break
        time.sleep(0.2)
    return resp


# ------------------------------------------------------- unmatched paths

def test_unknown_path_is_404_with_full_url(farm):
    path = f"{API}/1/nothing/here"
    expect_not_found(farm, farm.client.get(path), path)


def test_unknown_path_404_keeps_the_query(farm):
    path = f"{API}/1/nothing?a=b&c=d"
    expect_not_found(farm, farm.client.get(path), path)


def test_unknown_path_404_names_the_host_header(farm):
    # Werkzeug's request.url is built from the Host header.
    resp = farm.client.get(f"{API}/1/nothing", headers={"Host": "farm.example:8080"})
    expect(resp, 404, json={"error": f"http://farm.example:8080{API}/1/nothing was not found"})


def test_error_url_keeps_the_percent_escapes_of_the_path(farm):
    # request.url re-quotes the decoded path: a space stays "%20".
    path = f"{API}/1/no%20such%20thing"
    expect_not_found(farm, farm.client.get(path), path)


def test_empty_query_adds_no_question_mark_to_the_url(farm):
    # WSGI has no way to tell "/x?" from "/x": request.url has no "?".
    resp = farm.client.get(f"{API}/1/nothing?")
    expect(resp, 404, json={"error": f"{url(farm, API)}/1/nothing was not found"})


def test_extra_trailing_slash_on_job_route_is_404(farm):
    path = f"{API}/1/"
    expect_not_found(farm, farm.client.get(path), path)


def test_extra_trailing_slash_on_task_route_is_404(farm):
    path = f"{API}/1/tasks/1/"
    expect_not_found(farm, farm.client.get(path), path)


def test_non_digit_task_id_is_404(farm):
    path = f"{API}/1/tasks/abc"
    expect_not_found(farm, farm.client.get(path), path)


def test_head_on_unknown_path_is_404_without_body(farm):
    path = f"{API}/1/nothing"
    expect(farm.client.request("HEAD", path), 404, body=b"",
           headers={"Content-Type": JSON_TYPE})


def test_options_on_unknown_path_is_404(farm):
    path = f"{API}/1/nothing"
    expect_not_found(farm, farm.client.request("OPTIONS", path), path)


# ---------------------------------------------------- trailing-slash redirects

def test_jobs_index_without_slash_redirects(farm):
    resp = farm.client.get(API)
    expect_redirect(farm, resp, f"{API}/")
    assert resp.headers["Content-Type"] == HTML_TYPE, resp.headers


def test_jobs_index_redirect_keeps_the_query(farm):
    expect_redirect(farm, farm.client.get(f"{API}?user=alice&title=x"),
                    f"{API}/?user=alice&title=x")


def test_tasks_index_without_slash_redirects(farm):
    expect_redirect(farm, farm.client.get(f"{API}/1/tasks"), f"{API}/1/tasks/")


def test_tasks_index_redirect_keeps_the_query(farm):
    expect_redirect(farm, farm.client.get(f"{API}/1/tasks?x=1"), f"{API}/1/tasks/?x=1")


def test_redirect_applies_to_any_method(farm):
    expect_redirect(farm, farm.client.post(API, json={"title": "t"}), f"{API}/")
    expect_redirect(farm, farm.client.delete(API), f"{API}/")
    expect_redirect(farm, farm.client.request("OPTIONS", f"{API}/1/tasks"),
                    f"{API}/1/tasks/")


def test_redirect_location_follows_the_host_header(farm):
    resp = farm.client.get(API, headers={"Host": "farm.example:8080"})
    expect(resp, 308, headers={"Location": f"http://farm.example:8080{API}/"})


# ------------------------------------------------------------ wrong methods

def test_delete_on_jobs_index_is_405_with_allow(farm):
    path = f"{API}/"
    expect_bad_method(farm, farm.client.delete(path), path, "DELETE", INDEX_ALLOW)


def test_put_on_job_is_405_with_allow(farm):
    path = f"{API}/1"
    expect_bad_method(farm, farm.client.put(path), path, "PUT", JOB_ALLOW)


def test_put_on_job_by_title_is_405(farm):
    # Seed vs code #1: the seed's "PUT /api/v1/jobs/Test%20Job" is a 405;
    # "schema" is a title for every method but GET.
    path = f"{API}/schema"
    expect_bad_method(farm, farm.client.put(path, json={"priority": 1}), path, "PUT",
                      JOB_ALLOW)


def test_delete_on_tasks_index_is_405(farm):
    path = f"{API}/1/tasks/"
    expect_bad_method(farm, farm.client.delete(path), path, "DELETE", "GET, HEAD, OPTIONS")


def test_405_url_keeps_the_query(farm):
    path = f"{API}/1?x=1"
    expect_bad_method(farm, farm.client.put(path), path, "PUT", JOB_ALLOW)


def test_unknown_method_is_405(farm):
    path = f"{API}/1"
    expect_bad_method(farm, farm.client.request("PATCH", path), path, "PATCH", JOB_ALLOW)


def test_patch_body_is_not_preprocessed(farm):
    # §0.2 reads POST and PUT bodies only.
    path = f"{API}/1"
    resp = farm.client.request("PATCH", path, body="{bad", headers={"Content-Type": JSON_TYPE})
    expect_bad_method(farm, resp, path, "PATCH", JOB_ALLOW)


def test_head_on_a_route_without_get_is_405_without_body(farm):
    path = f"{API}/1/tasks/1/failed_on_agents/x"
    expect(farm.client.request("HEAD", path), 405, body=b"",
           headers={"Allow": "DELETE, OPTIONS", "Content-Type": JSON_TYPE})


def test_head_on_job_has_get_content_length_and_no_body(farm):
    get = expect(farm.client.get(f"{API}/1"), 200)
    expect(farm.client.request("HEAD", f"{API}/1"), 200, body=b"",
           headers={"Content-Type": JSON_TYPE, "Content-Length": str(len(get.body))})


def test_options_on_job_lists_its_methods(farm):
    expect(farm.client.request("OPTIONS", f"{API}/1"), 200, body=b"",
           headers={"Allow": JOB_ALLOW, "Content-Type": HTML_TYPE})


def test_options_on_jobs_index_lists_its_methods(farm):
    expect(farm.client.request("OPTIONS", f"{API}/"), 200, body=b"",
           headers={"Allow": INDEX_ALLOW, "Content-Type": HTML_TYPE})


# --------------------------------------------- body pre-processing (§0.2)

def test_invalid_json_is_400(farm):
    resp = farm.client.post(f"{API}/1", body="{bad", headers={"Content-Type": JSON_TYPE})
    expect(resp, 400, json={"error": "failed to decode json"},
           headers={"Content-Type": JSON_TYPE})


def test_invalid_json_is_400_before_routing_on_unknown_path(farm):
    resp = farm.client.post(f"{API}/1/nothing", body="{bad",
                            headers={"Content-Type": JSON_TYPE})
    expect(resp, 400, json={"error": "failed to decode json"})


def test_invalid_json_is_400_before_the_method_check(farm):
    resp = farm.client.put(f"{API}/1", body="{bad", headers={"Content-Type": JSON_TYPE})
    expect(resp, 400, json={"error": "failed to decode json"})


def test_media_type_parameters_and_case_are_ignored(farm):
    resp = farm.client.post(f"{API}/1/nothing", body="{bad",
                            headers={"Content-Type": "Application/JSON; charset=utf-8"})
    expect(resp, 400, json={"error": "failed to decode json"})


def test_empty_json_body_is_400(farm):
    resp = farm.client.post(f"{API}/1", body=b"", headers={"Content-Type": JSON_TYPE})
    expect(resp, 400, json={"error": "no data to decode"},
           headers={"Content-Type": JSON_TYPE})


def test_body_without_content_type_is_415(farm):
    resp = farm.client.post(f"{API}/1", body="abc")
    expect(resp, 415, json={"error": "Unsupported media type ''"},
           headers={"Content-Type": JSON_TYPE})


def test_text_plain_body_is_415_in_json(farm):
    # The reference sends an HTML page here; we answer JSON (documented).
    resp = farm.client.post(f"{API}/1", body="abc", headers={"Content-Type": "text/plain"})
    expect(resp, 415, json={"error": "Unsupported media type 'text/plain'"},
           headers={"Content-Type": JSON_TYPE})


def test_unsupported_media_type_is_415_before_routing(farm):
    resp = farm.client.post(f"{API}/1/nothing", body="abc",
                            headers={"Content-Type": "text/plain"})
    expect(resp, 415, json={"error": "Unsupported media type 'text/plain'"})


def test_empty_text_plain_body_is_accepted_then_routed(farm):
    path = f"{API}/1/nothing"
    resp = farm.client.post(path, body=b"", headers={"Content-Type": "text/plain"})
    expect_not_found(farm, resp, path)


def test_body_of_a_get_is_ignored(farm):
    resp = farm.client.get(f"{API}/1", body="{bad", headers={"Content-Type": JSON_TYPE})
    expect_job(resp, 1, "Demo shot 010")


def test_form_multipart_zip_and_csv_bodies_are_not_refused(farm):
    # (The reference's 404 would be an HTML page for these types; ours is JSON.)
    path = f"{API}/1/nothing"
    for media_type in ("application/x-www-form-urlencoded", "multipart/form-data",
                       "application/zip", "text/csv"):
        resp = farm.client.post(path, body="a,b", headers={"Content-Type": media_type})
        expect_not_found(farm, resp, path)


def test_body_at_the_size_limit_is_read(farm):
    path = f"{API}/1/nothing"
    resp = farm.client.post(path, body=json_body_of_size(MAX_BODY),
                            headers={"Content-Type": JSON_TYPE})
    expect_not_found(farm, resp, path)


def test_body_over_the_size_limit_is_413(farm):
    resp = farm.client.post(f"{API}/", body=json_body_of_size(70000),
                            headers={"Content-Type": JSON_TYPE})
    expect(resp, 413,
           json={"error": f"request body is larger than the limit of {MAX_BODY} bytes"},
           headers={"Content-Type": JSON_TYPE})


def test_body_one_byte_over_the_size_limit_is_413(farm):
    resp = farm.client.post(f"{API}/", body=json_body_of_size(MAX_BODY + 1),
                            headers={"Content-Type": JSON_TYPE})
    expect(resp, 413,
           json={"error": f"request body is larger than the limit of {MAX_BODY} bytes"})


def test_chunked_body_is_read(farm):
    status, headers, body = send_chunked_json(farm, f"{API}/1/nothing", b"{bad")
    assert status == 400, (status, body)
    assert headers["content-type"] == JSON_TYPE, headers
    assert json.loads(body) == {"error": "failed to decode json"}, body


def test_chunked_body_over_the_size_limit_is_413(farm):
    status, headers, body = send_chunked_json(farm, f"{API}/",
                                              json_body_of_size(70000).encode())
    assert status == 413, (status, body)
    assert headers["content-type"] == JSON_TYPE, headers
    assert json.loads(body) == {
        "error": f"request body is larger than the limit of {MAX_BODY} bytes"}, body


# ------------------------------------------------- <job>: id, title, decoding

def test_job_by_percent_encoded_title(farm):
    expect_job(farm.client.get(f"{API}/Demo%20shot%20010"), 1, "Demo shot 010")


def test_job_title_with_encoded_slash(farm):
    job_id = add_job(farm, "a/b")
    expect_job(farm.client.get(f"{API}/a%2Fb"), job_id, "a/b")


def test_plus_in_a_path_is_not_a_space(farm):
    job_id = add_job(farm, "a+b")
    expect_job(farm.client.get(f"{API}/a+b"), job_id, "a+b")


def test_job_id_with_escaped_digits(farm):
    expect_job(farm.client.get(f"{API}/%31"), 1, "Demo shot 010")


def test_job_id_with_leading_zeros(farm):
    expect_job(farm.client.get(f"{API}/0002"), 2, "Demo shot 020")
    expect_job(farm.client.get(f"{API}/" + "0" * 30 + "1"), 1, "Demo shot 010")


def test_path_is_percent_decoded_only_once(farm):
    # "%2531" decodes to the title "%31", not to the id 1.
    job_id = add_job(farm, "%31")
    expect_job(farm.client.get(f"{API}/%2531"), job_id, "%31")


def test_job_id_beyond_64_bits_is_job_not_found(farm):
    for job_id in ("9223372036854775808", "18446744073709551616", "99999999999999999999999"):
        expect(farm.client.get(f"{API}/{job_id}"), 404, json={"error": "Job not found"},
               headers={"Content-Type": JSON_TYPE})


def test_schema_route_wins_over_a_job_titled_schema(farm):
    add_job(farm, "schema")
    body = expect(farm.client.get(f"{API}/schema"), 200).json()
    assert body.get("id") == "BIGINT", body


def test_unicode_title_in_the_path(farm):
    job_id = add_job(farm, "Shot é")
    expect_job(farm.client.get(f"{API}/" + urllib.parse.quote("Shot é")), job_id, "Shot é")


# ------------------------------------------------------ database unavailable

def test_database_down_is_503_with_retry_after(farm):
    with farm.httpd.tolerate_log_problems():
        farm.pg.stop()
        try:
            for path in (f"{API}/", f"{API}/1"):
                resp = farm.client.get(path)
                expect(resp, 503,
                       json={"error": "the database is unavailable, try again later"},
                       headers={"Content-Type": JSON_TYPE})
                assert resp.headers.get("Retry-After", "").isdigit(), resp.headers
        finally:
            farm.pg.start()
        resp = get_until_ok(farm, f"{API}/1")
    expect_job(resp, 1, "Demo shot 010")


def test_database_restart_between_requests_is_invisible(farm):
    # Pooled connections whose session died with the restart are
    # reconnected, their statements prepared again, and the request run:
    # no 503 reaches a client that had nothing to do with the outage.
    clients = [Client(farm.httpd.port) for _ in range(8)]
    for client in clients:      # open several pooled connections
        expect(client.get(f"{API}/1"), 200)
    farm.pg.stop()
    farm.pg.start()
    for _ in range(3):
        for client in clients:
            # a transaction first: its BEGIN meets the dead session
            expect(client.post(f"{API}/", json={"title": "t", "jobtype": "Blender"}), 201)
            expect_job(client.get(f"{API}/1"), 1, "Demo shot 010")
    for client in clients:
        client.close()


def test_transaction_on_a_connection_reset_after_a_lost_session(farm):
    # A session killed in the middle of a transaction (a failover) cannot
    # be replayed: 503, and the classification reconnects the connection,
    # whose new session has none of the statements.  The next request on
    # it runs BEGIN fine and fails on its first prepared statement: that
    # aborted transaction ends before the statements are prepared again
    # and the request is run.  (The update waits in its last statement,
    # which credits the task's agent with the success: its first one, the
    # locked read of the task, would be replayed on a new session.)
    farm.pg.psql(f"UPDATE tasks SET agent_id = '{DEMO_AGENT}' WHERE id = 1;")
    holder = threading.Thread(target=farm.pg.psql, args=(
        f"BEGIN; SELECT 1 FROM agents WHERE id = '{DEMO_AGENT}' FOR UPDATE;"
        " SELECT pg_sleep(2); COMMIT;",))
    holder.start()
    wait_until(lambda: farm.pg.query(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep%'"
        " AND state = 'active' AND pid <> pg_backend_pid()") == [("1",)], 10, "lock holder")
    killer = threading.Thread(target=kill_backend_waiting_for_a_lock, args=(farm,))
    killer.start()
    with farm.httpd.tolerate_log_problems():
        resp = farm.client.post(f"{API}/1/tasks/1", json={"state": "done"})
    killer.join()
    holder.join()
    expect(resp, 503, json={"error": "the database is unavailable, try again later"})
    assert farm.pg.query("SELECT state FROM tasks WHERE id = 1") == [(None,)]
    for _ in range(8):
        # a transaction first: its BEGIN meets the reset connection
        resp = Client(farm.httpd.port).post(f"{API}/", json={"title": "t", "jobtype": "Blender"})
        expect(resp, 201)


def kill_backend_waiting_for_a_lock(farm):
    waiting = ("SELECT pid FROM pg_stat_activity"
               " WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
    wait_until(lambda: farm.pg.query(waiting), 10, "a request waiting for the lock")
    farm.pg.query(f"SELECT pg_terminate_backend(pid) FROM ({waiting}) w")


def test_the_api_can_be_served_under_another_path(farm):
    # PyFarmJobsBase names the <Location> the API is served from
    expect_job(farm.client.get("/farm/api/v1/jobs/1"), 1, "Demo shot 010")
    resp = farm.client.get("/farm/api/v1/jobs")
    expect(resp, 308, headers={"Location": url(farm, "/farm/api/v1/jobs/")})
    path = "/farm/api/v1/jobs/1/nothing"
    expect_not_found(farm, farm.client.get(path), path)
