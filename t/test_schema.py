"""GET/HEAD/OPTIONS /api/v1/jobs/schema: doc/api.md §4 (the 33 field types
on PostgreSQL), §0.1 (HEAD and OPTIONS rules) and §0.3 (JSON responses).
The expected object is written out from the spec's text, not from the
module's source."""

import json

from check import expect

SCHEMA = "/api/v1/jobs/schema"
JSON_TYPE = "application/json"
RESET = False  # nothing here reads or writes the database

# spec §4, one group per sentence of the spec.
EXPECTED_SCHEMA = {
    "id": "BIGINT", "job_group_id": "BIGINT",
    **dict.fromkeys(["priority", "minimum_agents", "maximum_agents", "weight",
                     "num_tiles", "batch", "requeue", "cpus", "ram", "ram_warning",
                     "ram_max", "autodelete_time", "jobtype_version"], "INTEGER"),
    "state": "WorkStateEnum",
    **dict.fromkeys(["time_submitted", "time_started", "time_finished"], "DATETIME"),
    "title": "VARCHAR(255)",
    "notes": "TEXT", "output_link": "TEXT",
    "by": "NUMERIC(10, 4)",
    "start": "NUMERIC(10,4)", "end": "NUMERIC(10,4)",
    **dict.fromkeys(["hidden", "to_be_deleted", "completion_notify_sent"], "BOOLEAN"),
    "data": "JSONDict", "environ": "JSONDict",
    "user": "VARCHAR(255)",
    "jobqueue": "VARCHAR(255)",
    "jobtype": "VARCHAR(64)",
}

# Headers that legitimately differ between two responses.
VOLATILE_HEADERS = {"date", "keep-alive", "connection"}


def stable_headers(resp):
    return sorted((k.lower(), v) for k, v in resp.headers.items()
                  if k.lower() not in VOLATILE_HEADERS)


def test_expected_schema_has_33_keys(farm):
    # A check of the test's own table against the spec's count (§4).
    assert len(EXPECTED_SCHEMA) == 33, len(EXPECTED_SCHEMA)


def test_schema_is_the_33_field_types(farm):
    expect(farm.client.get(SCHEMA), 200, json=EXPECTED_SCHEMA,
           headers={"Content-Type": JSON_TYPE})


def test_schema_omits_internal_id_columns(farm):
    body = expect(farm.client.get(SCHEMA), 200).json()
    for key in ("jobtype_version_id", "user_id", "job_queue_id"):
        assert key not in body, key


def test_schema_is_rendered_like_python_json_dumps(farm):
    # §0.3: one line, separators ", " and ": ", as json.dumps writes them.
    resp = expect(farm.client.get(SCHEMA), 200)
    assert resp.body == json.dumps(resp.json()).encode(), resp.body


def test_schema_head_has_get_headers_and_no_body(farm):
    get = expect(farm.client.get(SCHEMA), 200)
    head = expect(farm.client.request("HEAD", SCHEMA), 200, body=b"",
                  headers={"Content-Type": JSON_TYPE,
                           "Content-Length": str(len(get.body))})
    assert stable_headers(head) == stable_headers(get), (stable_headers(head),
                                                         stable_headers(get))


def test_schema_options_lists_methods_with_empty_html_body(farm):
    # GET /schema is literal; POST and DELETE fall through to the by-title
    # job routes (§0.1), so OPTIONS names all of them.
    expect(farm.client.request("OPTIONS", SCHEMA), 200, body=b"",
           headers={"Allow": "GET, HEAD, POST, DELETE, OPTIONS",
                    "Content-Type": "text/html; charset=utf-8"})
