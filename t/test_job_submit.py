"""POST /api/v1/jobs/ -- submitting a job.

Sections of doc/api.md covered:
  §0.2  body pre-processing (media type, JSON decoding)
  §0.3  JSON answers (Content-Type, \\uXXXX escapes)
  §0.4  a failing request changes nothing (one request, one transaction)
  §0.5  model validation, in order and with the reference's wording
  §0.6  value rendering (NUMERIC as float, timestamps)
  §0.7  job state input and display
  §0.8  the 40-key job object
  §3    submit: fields, defaults, check order, side effects, 201 answer
        (start/end echo the request literal)
  §3.1  application-side defaults (the database has none)
  §9.1  frame range -> tasks (exact decimal steps, tiles, task defaults)
  §9.5  software requirements (errors are {"error": ["..."]})
  §9.6  job queue paths ("top/child" in, "/top/child" out)
  §13   the seed's POST example, made valid

Where the reference crashes (500) or hangs, the module answers 4xx with its
own messages (src/core/job_submit_rules.c); those deliberate improvements are
asserted as such and marked "ours" below.  So is num_tiles creating num_tiles
tiles (the reference creates one fewer).
"""

import json as jsonlib
import urllib.parse
from decimal import Decimal

from check import db_time, expect, expect_raw_contains

URL = "/api/v1/jobs/"
TITLE = "Test job"
JSON_TYPE = {"Content-Type": "application/json"}

# Tables a submission writes to: their row counts must not move when a
# request is refused.
COUNTED_TABLES = ("jobs", "tasks", "users", "tags", "job_tag_associations",
                  "job_tag_requirements", "job_software_requirements",
                  "job_dependencies", "notified_users", "job_groups")


# ---------------------------------------------------------------- helpers

def body(**fields):
    """The smallest valid submission, plus `fields`."""
    return {"title": TITLE, "jobtype": "Blender", **fields}


def send(farm, payload, headers=None):
    """POST `payload` to /jobs/: a str/bytes is sent verbatim as
    application/json (unless `headers` say otherwise), anything else as
    json.dumps(payload)."""
    if isinstance(payload, (str, bytes)):
        return farm.client.post(URL, body=payload, headers=headers or JSON_TYPE)
    return farm.client.post(URL, json=payload, headers=headers)


def error(message):
    return {"error": message}


def requirement_error(message):
    """§9.5: software-requirement errors carry a list."""
    return {"error": [message]}


def sql_value(farm, sql):
    """The single value of a one-row, one-column query (str or None)."""
    rows = farm.pg.query(sql)
    assert len(rows) == 1 and len(rows[0]) == 1, f"{sql}: {rows}"
    return rows[0][0]


def sql_literal(text):
    return "'" + text.replace("'", "''") + "'"


def row_counts(farm):
    sql = "select " + ", ".join(f"(select count(*) from {t})" for t in COUNTED_TABLES)
    return dict(zip(COUNTED_TABLES, map(int, farm.pg.query(sql)[0])))


def refused(farm, payload, status, answer, headers=None):
    """Send `payload`, expect exactly `status` and JSON `answer`, and that
    no table a submission writes to gained or lost a row."""
    before = row_counts(farm)
    resp = send(farm, payload, headers)
    expect(resp, status, json=answer, headers=JSON_TYPE)
    after = row_counts(farm)
    assert after == before, f"a refused request changed rows: {before} -> {after}"
    return resp


def refused_with_any_message(farm, payload, status):
    """refused() where the message is not specified: {"error": <string>}."""
    before = row_counts(farm)
    resp = send(farm, payload)
    expect(resp, status, headers=JSON_TYPE)
    assert list(resp.json()) == ["error"] and isinstance(resp.json()["error"], str), resp.text
    after = row_counts(farm)
    assert after == before, f"a refused request changed rows: {before} -> {after}"
    return resp


def refused_fields(farm, status, answer, **fields):
    """refused() for the minimal body plus `fields`."""
    return refused(farm, body(**fields), status, answer)


def job_times(farm, job_id):
    """time_submitted, time_started, time_finished of a job, rendered."""
    row = farm.pg.query("select time_submitted::text, time_started::text, "
                        f"time_finished::text from jobs where id = {job_id}")[0]
    return tuple(db_time(v) for v in row)


def lookup_id(farm, table, column, value):
    return int(sql_value(farm, f"select id from {table} where {column} = {sql_literal(value)}"))


def software_id(farm, name):
    return lookup_id(farm, "software", "software", name)


def version_id(farm, software, version):
    return int(sql_value(farm, "select v.id from software_versions v join software s "
                               "on s.id = v.software_id where s.software = "
                               f"{sql_literal(software)} and v.version = {sql_literal(version)}"))


def user_id(farm, name):
    return lookup_id(farm, "users", "username", name)


def job_object(farm, job_id, **changes):
    """The 40-key job object (§0.8) of a new job with every default (§3),
    `changes` applied; time_submitted is read back from the database."""
    obj = {
        "id": job_id, "title": TITLE, "priority": 0, "weight": 10,
        "minimum_agents": None, "maximum_agents": None, "job_group_id": None,
        "notes": "", "output_link": None, "num_tiles": None, "batch": 1,
        "requeue": 3, "cpus": 1, "ram": 32, "ram_warning": None, "ram_max": None,
        "hidden": False, "to_be_deleted": False, "completion_notify_sent": False,
        "autodelete_time": None, "time_submitted": job_times(farm, job_id)[0],
        "time_started": None, "time_finished": None, "by": 1.0, "data": None,
        "environ": None, "state": "queued", "jobtype": "Blender",
        "jobtype_version": 2, "user": None, "jobqueue": None, "jobgroup": None,
        "start": 1.0, "end": 1.0, "tags": [], "software_requirements": [],
        "tag_requirements": [], "parents": [], "children": [], "notified_users": [],
    }
    unknown = changes.keys() - obj.keys()
    assert not unknown, f"not keys of a job object: {unknown}"
    obj.update(changes)
    return obj


def created(farm, payload, **changes):
    """Send `payload`, expect 201 and the whole job object (defaults plus
    `changes`); the new job must be the newest row of jobs.  Returns the
    response."""
    resp = send(farm, payload)
    expect(resp, 201, headers=JSON_TYPE)
    job_id = resp.json()["id"]
    assert job_id == int(sql_value(farm, "select max(id) from jobs")), resp.text
    expect(resp, 201, json=job_object(farm, job_id, **changes))
    return resp


def job_row(farm, job_id, columns):
    """Columns of the jobs row as psql text (None for NULL)."""
    row = farm.pg.query(f"select {', '.join(columns)} from jobs where id = {job_id}")[0]
    return dict(zip(columns, row))


def task_rows(farm, job_id):
    """(frame as Decimal, tile as int or None) of the job's tasks, in order."""
    rows = farm.pg.query(f"select frame, tile from tasks where job_id = {job_id} "
                         "order by frame, tile nulls first")
    return [(Decimal(frame), None if tile is None else int(tile)) for frame, tile in rows]


def frames(*values):
    """Expected task_rows of untiled frames."""
    return [(Decimal(str(v)), None) for v in values]


def new_id(resp):
    return resp.json()["id"]


# ------------------------------------------------- §13: the seed's example

def test_seed_example_creates_job_and_two_tasks(farm):
    seed = {"end": 2.0, "title": "Test Job 2", "jobtype": "Blender",
            "data": {"foo": "bar"},
            "software_requirements": [{"software": "blender"}], "start": 1.0}
    resp = created(farm, seed, id=3, title="Test Job 2", start=1.0, end=2.0,
                   data={"foo": "bar"},
                   software_requirements=[{"software_id": software_id(farm, "blender"),
                                           "software": "blender",
                                           "min_version_id": None, "min_version": None,
                                           "max_version_id": None, "max_version": None}])
    expect_raw_contains(resp, '"start": 1.0')
    expect_raw_contains(resp, '"end": 2.0')
    expect_raw_contains(resp, '"by": 1.0')
    assert task_rows(farm, 3) == frames(1, 2)
    assert farm.pg.query("select software_id, min_version_id, max_version_id "
                         "from job_software_requirements where job_id = 3") == \
        [(str(software_id(farm, "blender")), None, None)]
    assert sql_value(farm, "select data from jobs where id = 3") == '{"foo": "bar"}'


# ------------------------------------------------------- §3.1 defaults

def test_new_job_takes_every_default(farm):
    resp = created(farm, body())
    expect_raw_contains(resp, '"start": 1.0')
    expect_raw_contains(resp, '"end": 1.0')
    row = job_row(farm, new_id(resp), (
        "state", "priority", "weight", "batch", "requeue", "cpus", "ram", "notes",
        "hidden", "to_be_deleted", "completion_notify_sent", "by", "user_id",
        "job_queue_id", "job_group_id", "autodelete_time", "jobtype_version_id",
        "time_started", "time_finished", "data", "environ", "num_tiles"))
    assert row == {
        "state": None, "priority": "0", "weight": "10", "batch": "1", "requeue": "3",
        "cpus": "1", "ram": "32", "notes": "", "hidden": "f", "to_be_deleted": "f",
        "completion_notify_sent": "f", "by": "1.0000", "user_id": None,
        "job_queue_id": None, "job_group_id": None, "autodelete_time": None,
        "jobtype_version_id": sql_value(farm, "select v.id from jobtype_versions v join "
                                              "jobtypes t on t.id = v.jobtype_id where "
                                              "t.name = 'Blender' and v.version = 2"),
        "time_started": None, "time_finished": None, "data": None, "environ": None,
        "num_tiles": None}, row


def test_new_job_without_start_and_end_has_one_task_at_frame_1(farm):
    assert task_rows(farm, new_id(created(farm, body()))) == frames(1)


def test_time_submitted_is_now_utc(farm):
    job_id = new_id(created(farm, body()))
    age = sql_value(farm, "select extract(epoch from (now() at time zone 'utc') - "
                          f"time_submitted) from jobs where id = {job_id}")
    assert 0 <= float(age) < 60, age


def test_new_tasks_take_every_default_and_the_job_priority(farm):
    job_id = new_id(created(farm, body(priority=7, start=1, end=3), priority=7,
                            start=1, end=3))
    rows = farm.pg.query(
        "select state, priority, attempts, failures, progress, hidden, sent_to_agent, "
        "tile, agent_id, last_error, time_started, time_finished, "
        "time_submitted is not null, time_submitted = "
        f"(select time_submitted from jobs where id = {job_id}) "
        f"from tasks where job_id = {job_id} order by frame")
    assert rows == [(None, "7", "0", "0", "0", "f", "f", None, None, None, None, None,
                     "t", "t")] * 3, rows


# ------------------------------------------- §3: start/end echo the literal

def test_integer_start_end_echo_as_integers(farm):
    resp = created(farm, body(start=1, end=5), start=1, end=5)
    expect_raw_contains(resp, '"start": 1,')
    expect_raw_contains(resp, '"end": 5')
    expect_raw_contains(resp, '"by": 1.0')


def test_float_and_integer_literals_echo_each_their_way(farm):
    resp = created(farm, body(start=1.0, end=3), start=1.0, end=3)
    expect_raw_contains(resp, '"start": 1.0')
    assert task_rows(farm, new_id(resp)) == frames(1, 2, 3)


def test_exponent_literal_renders_as_float(farm):
    payload = '{"title": "%s", "jobtype": "Blender", "start": 1e1, "end": 1.2E1}' % TITLE
    resp = created(farm, payload, start=10.0, end=12.0)
    expect_raw_contains(resp, '"start": 10.0')
    expect_raw_contains(resp, '"end": 12.0')
    assert task_rows(farm, new_id(resp)) == frames(10, 11, 12)


def test_end_defaults_to_start(farm):
    resp = created(farm, body(start=7), start=7, end=7)
    assert task_rows(farm, new_id(resp)) == frames(7)


def test_fractional_start_renders_shortest_float(farm):
    resp = created(farm, body(start=2.5, end=4.25, by=0.25), start=2.5, end=4.25, by=0.25)
    expect_raw_contains(resp, '"start": 2.5')
    expect_raw_contains(resp, '"end": 4.25')
    assert task_rows(farm, new_id(resp)) == frames(*[2.5 + 0.25 * i for i in range(8)])


# ---------------------------------------------------- §9.1: frame ranges

def test_half_steps_include_the_end(farm):
    resp = created(farm, body(start=1, end=3, by=0.5), start=1, end=3, by=0.5)
    assert task_rows(farm, new_id(resp)) == frames(1, 1.5, 2, 2.5, 3)
    assert job_row(farm, new_id(resp), ("by",)) == {"by": "0.5000"}


def test_tenth_steps_are_exact_decimals(farm):
    resp = created(farm, body(start=0, end=1, by=0.1), start=0, end=1, by=0.1)
    assert task_rows(farm, new_id(resp)) == frames(*[f"0.{i}" for i in range(10)], "1.0")


def test_steps_stop_before_passing_the_end(farm):
    resp = created(farm, body(start=0, end=1, by=0.3), start=0, end=1, by=0.3)
    assert task_rows(farm, new_id(resp)) == frames("0", "0.3", "0.6", "0.9")


def test_negative_frames(farm):
    resp = created(farm, body(start=-2, end=0), start=-2, end=0)
    assert task_rows(farm, new_id(resp)) == frames(-2, -1, 0)


def test_frames_at_the_numeric_limit_are_stored(farm):
    resp = created(farm, body(start=-999999.9999, end=-999999.9999),
                   start=-999999.9999, end=-999999.9999)
    assert task_rows(farm, new_id(resp)) == frames("-999999.9999")
    resp = created(farm, body(start=999999.9999), start=999999.9999, end=999999.9999)
    assert task_rows(farm, new_id(resp)) == frames("999999.9999")


def test_hundred_thousand_frames(farm):
    resp = created(farm, body(start=1, end=100000), start=1, end=100000)
    job_id = new_id(resp)
    rows = farm.pg.query(
        "select count(*), count(distinct frame), min(frame), max(frame), "
        "count(*) filter (where frame = 50000), count(*) filter (where tile is not null) "
        f"from tasks where job_id = {job_id}")
    assert rows == [("100000", "100000", "1.0000", "100000.0000", "1", "0")], rows
    middle = farm.pg.query(f"select frame from tasks where job_id = {job_id} "
                           "order by frame offset 49999 limit 2")
    assert middle == [("50000.0000",), ("50001.0000",)], middle


def test_by_zero_or_negative_is_refused(farm):
    # ours: the reference loops forever
    for by in (0, 0.0, -1, -0.5):
        refused_fields(farm, 400, error("`by` must be greater than 0"), by=by)


def test_by_rounding_to_zero_is_refused(farm):
    # ours: a step below 0.0001 repeats frames once they are rounded to
    # NUMERIC(10,4) (and 0.00001 is stored as 0.0000)
    refused_fields(farm, 400, error("`by` must be at least 0.0001"), by=0.00001)
    refused_fields(farm, 400, error("`by` must be at least 0.0001"), by=0.00005)


def test_by_boolean_is_refused(farm):
    # passes the custom check like the reference, refused at step 15
    refused_fields(farm, 400, error("`by` needs to be of type decimal or int"), by=True)


def test_by_string_fails_the_type_check(farm):
    for by in ("1", None, [1]):
        refused_fields(farm, 400, error("type check failed for 'by'"), by=by)


def test_by_too_large_for_the_column_is_refused(farm):
    # by is NUMERIC(10,4): 10^6 does not fit (the reference: 500); the
    # message is not specified
    refused_with_any_message(farm, body(by=1000000), 400)
    refused_with_any_message(farm, body(by=999999.99995), 400)


def test_by_at_the_column_limit_is_stored(farm):
    resp = created(farm, body(by=999999.9999), by=999999.9999)
    assert job_row(farm, new_id(resp), ("by",)) == {"by": "999999.9999"}


def test_end_before_start_is_refused(farm):
    refused_fields(farm, 400, error("`end` must be larger than or equal to start"),
                   start=5, end=4.9999)


def test_end_before_start_is_compared_exactly(farm):
    # 1.00000000000000001 > 1 as decimals, though not as doubles
    refused(farm, '{"title": "T", "jobtype": "Blender", "start": 1.00000000000000001, '
                  '"end": 1}', 400, error("`end` must be larger than or equal to start"))


def test_end_without_start_is_refused(farm):
    # the reference tests for the key: a null end counts
    for end in (5, None):
        refused_fields(farm, 400, error("`end` is specified while `start` is not"), end=end)


def test_start_or_end_not_a_number_is_refused(farm):
    message = error("`start` and `end` need to be of type decimal or int")
    for fields in ({"start": "1"}, {"start": True}, {"start": None}, {"start": [1]},
                   {"start": 1, "end": "2"}, {"start": 1, "end": False},
                   {"start": 1, "end": None}, {"start": None, "end": 2},
                   {"start": {"x": 1}, "end": 2}):
        refused_fields(farm, 400, message, **fields)


def test_frames_beyond_the_numeric_range_are_refused(farm):
    message = error("start, end and by must be between -999999.9999 and 999999.9999")
    for fields in ({"start": 1000000}, {"start": -1000000, "end": 0},
                   {"start": 1, "end": 1000000}, {"start": 999999.99996},
                   {"start": 1e300}):
        refused_fields(farm, 400, message, **fields)


def test_more_tasks_than_the_limit_are_refused(farm):
    # PyFarmJobsMaxTasksPerJob defaults to 1000000: 0..100000 by 0.1 is one more
    message = error("the frame range would create more than 1000000 tasks")
    refused_fields(farm, 400, message, start=0, end=100000, by=0.1)
    refused_fields(farm, 400, message, start=-999999.9999, end=999999.9999, by=0.0001)


def test_tiles_count_against_the_task_limit(farm):
    refused_fields(farm, 400, error("the frame range would create more than 1000000 tasks"),
                   start=1, end=500000, num_tiles=3)


# --------------------------------------------------------- §9.1: tiling

def test_tiled_job_creates_num_tiles_tasks_per_frame(farm):
    # ours: tiles 0..num_tiles-1 (the reference creates one fewer)
    resp = created(farm, body(start=1, end=2, num_tiles=3), start=1, end=2, num_tiles=3)
    assert task_rows(farm, new_id(resp)) == [(Decimal(f), t) for f in (1, 2) for t in (0, 1, 2)]


def test_one_tile_is_one_tiled_task(farm):
    resp = created(farm, body(num_tiles=1), num_tiles=1)
    assert task_rows(farm, new_id(resp)) == [(Decimal(1), 0)]


def test_zero_tiles_is_an_untiled_task(farm):
    resp = created(farm, body(num_tiles=0), num_tiles=0)
    assert task_rows(farm, new_id(resp)) == frames(1)


def test_tiles_on_a_version_without_tiling_are_refused(farm):
    message = error("`num_tiles` is set, but this jobtype does not support tiling.")
    refused_fields(farm, 400, message, jobtype_version=1, num_tiles=3)
    refused_fields(farm, 400, message, jobtype_version=1, num_tiles=0)


def test_negative_tiles_are_refused(farm):
    refused_fields(farm, 400, error("`num_tiles` must be between 0 and 2147483647"),
                   num_tiles=-1)


# ------------------------------------------------------------ §0.7: state

def test_state_running_is_stored_and_starts_the_job(farm):
    resp = send(farm, body(state="running"))
    expect(resp, 201)
    job_id = new_id(resp)
    submitted, started, finished = job_times(farm, job_id)
    assert started is not None and finished is None
    expect(resp, 201, json=job_object(farm, job_id, state="running", time_started=started))
    assert job_row(farm, job_id, ("state",)) == {"state": "105"}


def test_state_paused_is_stored(farm):
    # ours: the reference's new tasks reset it to queued
    resp = send(farm, body(state="paused"))
    job_id = new_id(resp)
    expect(resp, 201, json=job_object(farm, job_id, state="paused"))
    assert job_row(farm, job_id, ("state", "time_started", "time_finished")) == {
        "state": "100", "time_started": None, "time_finished": None}


def test_done_and_failed_are_reset_by_the_new_tasks(farm):
    # ours: no finish time either (the reference sets one on the queued job)
    for state in ("done", "failed"):
        resp = send(farm, body(state=state))
        job_id = new_id(resp)
        expect(resp, 201, json=job_object(farm, job_id))
        assert job_row(farm, job_id, ("state", "time_started", "time_finished")) == {
            "state": None, "time_started": None, "time_finished": None}, state


def test_unknown_states_are_refused(farm):
    # ours: the reference answers 500
    message = error("`state` must be one of paused, running, done, failed")
    for state in ("queued", "Running", "bogus", 105, 0, True, ""):
        refused_fields(farm, 400, message, state=state)


def test_state_of_a_wrong_json_type_fails_validation(farm):
    refused_fields(farm, 400, error("field 'state' has type <class 'float'> but we "
                                    "expected type(s) (<class 'str'>, <class 'int'>)"),
                   state=1.5)


# ---------------------------------------- §0.2 / §0.5: the request itself

def test_body_must_be_a_json_object(farm):
    for payload, kind in (("[]", "list"), ('"job"', "str"), ("5", "int"),
                          ("null", "NoneType"), ("1.5", "float"), ("true", "bool")):
        refused(farm, payload, 400, error(f"dictionary expected but got {kind} instead"))


def test_media_type_must_be_json(farm):
    message = error("Unsupported mimetype, only {'application/json'} mimetype(s) are supported.")
    refused(farm, "title,jobtype\nx,Blender\n", 415, message, {"Content-Type": "text/csv"})
    refused(farm, "title=x&jobtype=Blender", 415, message,
            {"Content-Type": "application/x-www-form-urlencoded"})
    refused(farm, jsonlib.dumps(body()), 415, message,
            {"Content-Type": "application/x-www-form-urlencoded"})


def test_body_without_content_type_is_unsupported(farm):
    before = row_counts(farm)
    resp = farm.client.post(URL, body=jsonlib.dumps(body()))
    expect(resp, 415, json=error("Unsupported media type ''"))
    assert row_counts(farm) == before


def test_media_type_parameters_and_case_are_ignored(farm):
    resp = farm.client.post(URL, body=jsonlib.dumps(body()),
                            headers={"Content-Type": "Application/JSON; charset=utf-8"})
    expect(resp, 201, json=job_object(farm, 3))


def test_undecodable_or_empty_json_is_refused(farm):
    refused(farm, '{"title": "x",', 400, error("failed to decode json"))
    refused(farm, "", 400, error("no data to decode"))


def test_disallowed_keys_are_refused(farm):
    for key in ("jobtype_version_id", "time_submitted", "time_started", "time_finished",
                "job_queue_id"):
        refused_fields(farm, 400, error(f"column(s) not allowed for this request: {{'{key}'}}"),
                       **{key: 1})


def test_two_disallowed_keys_are_listed_as_a_set(farm):
    before = row_counts(farm)
    resp = send(farm, body(time_started=1, job_queue_id=1))
    expect(resp, 400)
    assert resp.json()["error"] in (
        "column(s) not allowed for this request: {'time_started', 'job_queue_id'}",
        "column(s) not allowed for this request: {'job_queue_id', 'time_started'}"), resp.text
    assert row_counts(farm) == before


def test_unknown_keys_are_refused(farm):
    for key in ("foo", "project", "jobgroup", "start_frame", "Title"):
        refused_fields(farm, 400, error(f"request contains field(s) that do not exist: "
                                        f"{{'{key}'}}"), **{key: 1})


def test_missing_title_is_refused(farm):
    refused(farm, {"jobtype": "Blender"}, 400, error("request is missing field(s): {'title'}"))
    refused(farm, {}, 400, error("request is missing field(s): {'title'}"))


def test_validation_runs_in_order(farm):
    # disallowed before unknown before missing before types
    steps = [({"jobtype_version_id": 1, "foo": 1, "title": 5},
              "column(s) not allowed for this request: {'jobtype_version_id'}"),
             ({"foo": 1}, "request contains field(s) that do not exist: {'foo'}"),
             ({"notes": 5}, "request is missing field(s): {'title'}")]
    for fields, message in steps:
        refused(farm, {"jobtype": "Blender", "notes": 5, **fields}, 400, error(message))


def test_wrongly_typed_columns_are_refused(farm):
    cases = [("title", 5, "int", "<class 'str'>"),
             ("title", None, "NoneType", "<class 'str'>"),
             ("notes", None, "NoneType", "<class 'str'>"),
             ("output_link", ["x"], "list", "<class 'str'>"),
             ("hidden", "yes", "str", "<class 'bool'>"),
             ("to_be_deleted", 1, "int", "<class 'bool'>"),
             ("completion_notify_sent", None, "NoneType", "<class 'bool'>"),
             ("data", [1], "list", "<class 'dict'>"),
             ("environ", "PATH=/bin", "str", "<class 'dict'>"),
             ("data", None, "NoneType", "<class 'dict'>"),
             ("priority", "5", "str", "<class 'int'>"),
             ("priority", 1.5, "float", "<class 'int'>"),
             ("ram", None, "NoneType", "<class 'int'>"),
             ("num_tiles", None, "NoneType", "<class 'int'>"),
             ("autodelete_time", 60.0, "float", "<class 'int'>"),
             ("tags", "workstation", "str", "<class 'list'>"),
             ("parents", {"id": 1}, "dict", "<class 'list'>"),
             ("software_requirements", {"software": "blender"}, "dict", "<class 'list'>"),
             ("notified_users", None, "NoneType", "<class 'list'>")]
    for key, value, got, wanted in cases:
        refused_fields(farm, 400, error(f"field '{key}' has type <class '{got}'> but we "
                                        f"expected type(s) {wanted}"), **{key: value})


def test_first_wrongly_typed_key_in_document_order_is_named(farm):
    refused(farm, '{"hidden": 1, "title": 5, "jobtype": "Blender"}', 400,
            error("field 'hidden' has type <class 'int'> but we expected type(s) <class 'bool'>"))


def test_boolean_for_an_integer_column_is_refused(farm):
    # passes the reference's validation, then PostgreSQL refuses it (500); ours 400
    for key in ("priority", "weight", "batch", "num_tiles"):
        refused_fields(farm, 400, error(f"field '{key}' has type <class 'bool'> but we "
                                        f"expected type(s) <class 'int'>"), **{key: True})


def test_integers_beyond_the_column_are_refused(farm):
    for key, value in (("weight", 2 ** 31), ("requeue", -2 ** 31 - 1),
                       ("job_group_id", 2 ** 63)):
        refused_fields(farm, 400, error(f"field '{key}' is out of range"), **{key: value})


def test_user_id_is_checked_as_the_other_integer_columns(farm):
    # the owner comes from `user` (user_id is ignored), yet a user_id that
    # cannot be an integer of 32 bits failed building the row (500); ours 400
    refused_fields(farm, 400, error("field 'user_id' has type <class 'bool'> but we "
                                    "expected type(s) <class 'int'>"), user_id=True)
    for value in (2 ** 31, -2 ** 31 - 1, 2 ** 40):
        refused_fields(farm, 400, error("field 'user_id' is out of range"), user_id=value)


def test_relationships_a_new_job_cannot_have_are_refused(farm):
    # ours: the reference crashes on anything but an empty list
    for key in ("children", "tasks", "tasks_queued", "tasks_done"):
        refused_fields(farm, 400, error(f"`{key}` cannot be set when submitting a job"),
                       **{key: [1]})
    for key in ("queue", "group"):
        refused_fields(farm, 400, error(f"`{key}` cannot be set when submitting a job"),
                       **{key: []})


def test_empty_relationship_lists_are_accepted(farm):
    created(farm, body(children=[], tasks=[], parents=[], software_requirements=[],
                       notified_users=[], tags=[]))


# ------------------------------------------------------- §3: the jobtype

def test_jobtype_is_required(farm):
    refused(farm, {"title": TITLE}, 400, error("No jobtype specified"))


def test_jobtype_must_be_a_string(farm):
    for jobtype in (5, None, ["Blender"]):
        refused_fields(farm, 400, error("jobtype must be of type string"), jobtype=jobtype)


def test_jobtype_version_must_be_an_integer(farm):
    # ours for booleans: the reference lets them through and crashes
    for version in ("1", True, 1.0, None):
        refused_fields(farm, 400, error("jobtype_version must be of type int"),
                       jobtype_version=version)


def test_unknown_jobtype_or_version_is_a_bare_string(farm):
    for fields in ({"jobtype": "Maya"}, {"jobtype": "blender"}, {"jobtype": ""},
                   {"jobtype_version": 3}, {"jobtype_version": 0}):
        resp = refused_fields(farm, 404, "Jobtype or version not found", **fields)
        expect(resp, 404, body='"Jobtype or version not found"')


def test_explicit_jobtype_version(farm):
    resp = created(farm, body(jobtype_version=1), jobtype_version=1)
    assert job_row(farm, new_id(resp), ("jobtype_version_id",))["jobtype_version_id"] == \
        sql_value(farm, "select id from jobtype_versions where version = 1")


# -------------------------------------------- §9.5: software requirements

def requirement(farm, software, min_version=None, max_version=None):
    """The software_requirements entry of the answer."""
    return {"software_id": software_id(farm, software), "software": software,
            "min_version_id": min_version and version_id(farm, software, min_version),
            "min_version": min_version,
            "max_version_id": max_version and version_id(farm, software, max_version),
            "max_version": max_version}


def test_software_requirement_with_min_and_max_versions(farm):
    reqs = [{"software": "blender", "min_version": "2.79", "max_version": "2.80"},
            {"software": "ffmpeg", "max_version": "4.1"}]
    resp = created(farm, body(software_requirements=reqs),
                   software_requirements=[requirement(farm, "blender", "2.79", "2.80"),
                                          requirement(farm, "ffmpeg", None, "4.1")])
    rows = farm.pg.query("select software_id, min_version_id, max_version_id from "
                         f"job_software_requirements where job_id = {new_id(resp)} order by id")
    assert rows == [(str(software_id(farm, "blender")), str(version_id(farm, "blender", "2.79")),
                     str(version_id(farm, "blender", "2.80"))),
                    (str(software_id(farm, "ffmpeg")), None,
                     str(version_id(farm, "ffmpeg", "4.1")))], rows


def test_null_versions_mean_no_bound(farm):
    created(farm, body(software_requirements=[{"software": "blender", "min_version": None,
                                               "max_version": None}]),
            software_requirements=[requirement(farm, "blender")])


def test_software_requirement_must_be_a_dict(farm):
    for entry in ("blender", ["blender"], None, 1):
        refused_fields(farm, 400, requirement_error("Every software_requirement must be a dict"),
                       software_requirements=[entry])


def test_software_requirement_must_name_a_software(farm):
    message = requirement_error("Software requirement does not specify a software.")
    for entry in ({}, {"software": None}, {"min_version": "2.79"}):
        refused_fields(farm, 400, message, software_requirements=[entry])


def test_unknown_software_is_not_found(farm):
    refused_fields(farm, 404, requirement_error("Software maya not found"),
                   software_requirements=[{"software": "blender"}, {"software": "maya"}])
    refused_fields(farm, 404, requirement_error("Software Blender not found"),
                   software_requirements=[{"software": "Blender"}])


def test_unknown_versions_are_not_found(farm):
    refused_fields(farm, 404, requirement_error("Version 9.9 of software blender not found"),
                   software_requirements=[{"software": "blender", "min_version": "9.9"}])
    refused_fields(farm, 404, requirement_error("Version 4.1 of software blender not found"),
                   software_requirements=[{"software": "blender", "max_version": "4.1"}])
    # min_version is checked before max_version
    refused_fields(farm, 404, requirement_error("Version 1 of software blender not found"),
                   software_requirements=[{"software": "blender", "max_version": "2",
                                           "min_version": "1"}])


def test_unexpected_keys_in_a_software_requirement(farm):
    refused_fields(farm, 400, requirement_error(
        "Unexpected keys in software requirement: dict_keys(['k'])"),
        software_requirements=[{"software": "blender", "k": 1}])
    # versions are looked up first
    refused_fields(farm, 404, requirement_error("Version 7 of software blender not found"),
                   software_requirements=[{"software": "blender", "k": 1, "min_version": "7"}])


def test_the_same_software_twice_is_refused(farm):
    # ours: the reference violates a unique constraint (500)
    refused_fields(farm, 400, requirement_error("Software blender is listed twice"),
                   software_requirements=[{"software": "blender"},
                                          {"software": "blender", "min_version": "2.80"}])


# -------------------------------------------------------- §3: parents

def test_parents_are_linked(farm):
    # listed in the order of the link row's primary key (parentid, childid)
    resp = created(farm, body(parents=[{"id": 2}, {"id": 1}]),
                   parents=[{"id": 1, "title": "Demo shot 010"},
                            {"id": 2, "title": "Demo shot 020"}])
    job_id = new_id(resp)
    assert farm.pg.query("select parentid, childid from job_dependencies order by parentid") \
        == [("1", str(job_id)), ("2", str(job_id))]
    parent = farm.client.get("/api/v1/jobs/1")
    expect(parent, 200)
    assert parent.json()["children"] == [{"id": job_id, "title": TITLE}], parent.text


def test_unknown_parent_is_a_bare_string(farm):
    resp = refused_fields(farm, 404, "Parent job 99 not found",
                          parents=[{"id": 1}, {"id": 99}, {"id": 98}])
    expect(resp, 404, body='"Parent job 99 not found"')


def test_parent_without_an_integer_id_is_refused(farm):
    # ours: the reference crashes
    message = error("every parent must be an object with an integer `id`")
    for entry in ({"id": "1"}, {}, 1, {"id": None}):
        refused_fields(farm, 400, message, parents=[entry])


# ----------------------------------------------------------- §3: user

def test_known_user_owns_the_job(farm):
    resp = created(farm, body(user="alice"), user="alice")
    assert job_row(farm, new_id(resp), ("user_id",)) == {"user_id": str(user_id(farm, "alice"))}


def test_unknown_user_is_created(farm):
    before = row_counts(farm)["users"]
    resp = created(farm, body(user="bob"), user="bob")
    assert row_counts(farm)["users"] == before + 1
    assert farm.pg.query("select email, active from users where username = 'bob'") == \
        [(None, "t")]
    assert job_row(farm, new_id(resp), ("user_id",)) == {"user_id": str(user_id(farm, "bob"))}


def test_falsy_user_means_no_owner(farm):
    before = row_counts(farm)["users"]
    for user in ("", None, 0, False):
        resp = created(farm, body(user=user))
        assert job_row(farm, new_id(resp), ("user_id",)) == {"user_id": None}
    assert row_counts(farm)["users"] == before


def test_user_must_be_a_string(farm):
    for user in (5, True, ["alice"]):
        refused_fields(farm, 400, error("user must be of type string"), user=user)


def test_user_id_is_overwritten_by_the_user_lookup(farm):
    resp = created(farm, body(user_id=user_id(farm, "alice")))
    assert job_row(farm, new_id(resp), ("user_id",)) == {"user_id": None}


# ------------------------------------------------------ §9.6: job queue

def test_jobqueue_path_without_leading_slash(farm):
    resp = created(farm, body(jobqueue="render/hi"), jobqueue="/render/hi")
    assert job_row(farm, new_id(resp), ("job_queue_id",))["job_queue_id"] == \
        sql_value(farm, "select id from job_queues where fullpath = '/render/hi'")
    created(farm, body(jobqueue="render"), jobqueue="/render")


def test_jobqueue_with_leading_slash_is_not_found(farm):
    refused_fields(farm, 404, error("Jobqueue /render not found"), jobqueue="/render")


def test_unknown_jobqueue_is_not_found(farm):
    for path in ("nope", "render/nope", "hi", "render/hi/x", "render/", "Render"):
        refused_fields(farm, 404, error(f"Jobqueue {path} not found"), jobqueue=path)


def test_falsy_jobqueue_means_none(farm):
    created(farm, body(jobqueue=""))
    created(farm, body(jobqueue=None))


# ------------------------------------------------ §3: tags, requirements

def test_tags_are_linked_and_unknown_ones_created(farm):
    before = row_counts(farm)["tags"]
    resp = created(farm, body(tags=["workstation", "gpu"]), tags=["workstation", "gpu"])
    assert row_counts(farm)["tags"] == before + 1
    assert farm.pg.query("select t.tag from job_tag_associations a join tags t on "
                         f"t.id = a.tag_id where a.job_id = {new_id(resp)} order by t.tag") \
        == [("gpu",), ("workstation",)]


def test_tag_requirements_take_the_truthiness_of_negate(farm):
    before = row_counts(farm)["tags"]
    reqs = [{"tag": "workstation", "negate": 0}, {"tag": "linux", "negate": "yes"},
            {"tag": "gpu", "negate": True}, {"tag": "old", "negate": None}]
    resp = created(farm, body(tag_requirements=reqs),
                   tag_requirements=[{"tag": "workstation", "negate": False},
                                     {"tag": "linux", "negate": True},
                                     {"tag": "gpu", "negate": True},
                                     {"tag": "old", "negate": False}])
    assert row_counts(farm)["tags"] == before + 3
    assert farm.pg.query("select t.tag, r.negate from job_tag_requirements r join tags t "
                         f"on t.id = r.tag_id where r.job_id = {new_id(resp)} order by r.id") \
        == [("workstation", "f"), ("linux", "t"), ("gpu", "t"), ("old", "f")]


def test_a_new_tag_in_tags_and_requirements_is_created_once(farm):
    before = row_counts(farm)["tags"]
    created(farm, body(tags=["new"], tag_requirements=[{"tag": "new", "negate": False}]),
            tags=["new"], tag_requirements=[{"tag": "new", "negate": False}])
    assert row_counts(farm)["tags"] == before + 1


def test_falsy_tag_requirements_are_ignored(farm):
    for value in ([], None, 0, "", {}, False):
        resp = created(farm, body(tag_requirements=value))
        assert sql_value(farm, "select count(*) from job_tag_requirements "
                               f"where job_id = {new_id(resp)}") == "0"


def test_tag_requirements_must_be_a_list(farm):
    # ours: the reference crashes
    for value in ({"x": 1}, "workstation", 1, True):
        refused_fields(farm, 400, error("tag_requirements must be a list"),
                       tag_requirements=value)


def test_malformed_tag_requirement_is_refused(farm):
    message = error("every tag requirement needs a `tag` string of at most 64 characters "
                    "and `negate`")
    for entry in ({"tag": "x"}, {"negate": True}, {"tag": 5, "negate": True},
                  {"tag": "x" * 65, "negate": True}, "x"):
        refused_fields(farm, 400, message, tag_requirements=[entry])


def test_the_same_tag_required_twice_is_refused(farm):
    # the reference violates a unique constraint (500); message not specified
    refused_with_any_message(farm, body(tag_requirements=[{"tag": "x", "negate": True},
                                                          {"tag": "x", "negate": False}]), 400)


def test_malformed_tags_are_refused(farm):
    for tags in ([5], ["x" * 65], [None]):
        refused_fields(farm, 400, error("tags must be strings of at most 64 characters"),
                       tags=tags)


# ---------------------------------------------- §3: notified users

def notified(farm, name, email=None, success=True, failure=True, deletion=False):
    return {"id": user_id(farm, name), "username": name, "email": email,
            "on_success": success, "on_failure": failure, "on_deletion": deletion}


def test_notified_user_flags_default_to_true_true_false(farm):
    resp = created(farm, body(notified_users=[{"username": "alice"}]),
                   notified_users=[notified(farm, "alice", "alice@example.com")])
    assert farm.pg.query("select user_id, on_success, on_failure, on_deletion from "
                         f"notified_users where job_id = {new_id(resp)}") == \
        [(str(user_id(farm, "alice")), "t", "t", "f")]


def test_notified_user_flags_accept_0_and_1(farm):
    entry = {"username": "alice", "on_success": 0, "on_failure": False, "on_deletion": 1}
    created(farm, body(notified_users=[entry]),
            notified_users=[notified(farm, "alice", "alice@example.com", False, False, True)])


def test_unknown_notified_users_are_created(farm):
    # listed in the order of the link row's primary key (user_id, job_id)
    before = row_counts(farm)["users"]
    resp = send(farm, body(notified_users=[{"username": "carol"}, {"username": "alice"}]))
    expect(resp, 201)
    assert row_counts(farm)["users"] == before + 1
    assert farm.pg.query("select email, active from users where username = 'carol'") == \
        [(None, "t")]
    expect(resp, 201, json=job_object(
        farm, new_id(resp), notified_users=[notified(farm, "alice", "alice@example.com"),
                                            notified(farm, "carol")]))


def test_owner_and_notified_user_created_once(farm):
    before = row_counts(farm)["users"]
    resp = send(farm, body(user="dave", notified_users=[{"username": "dave"}]))
    expect(resp, 201, json=job_object(farm, 3, user="dave",
                                      notified_users=[notified(farm, "dave")]))
    assert row_counts(farm)["users"] == before + 1


def test_the_same_notified_user_twice_is_refused(farm):
    # ours: the reference violates the primary key (500)
    refused_fields(farm, 400, error("user alice is listed twice in notified_users"),
                   notified_users=[{"username": "alice"}, {"username": "alice",
                                                           "on_deletion": True}])


def test_malformed_notified_users_are_refused(farm):
    refused_fields(farm, 400, error("every notified user must be an object with a "
                                    "`username` string of at most 255 characters"), notified_users=[{"username": 5}])
    refused_fields(farm, 400, error("every notified user must be an object with a "
                                    "`username` string of at most 255 characters"), notified_users=["alice"])
    refused_fields(farm, 400, error("`on_failure` of a notified user must be true or false"),
                   notified_users=[{"username": "alice", "on_failure": "yes"}])
    refused_fields(farm, 400, error("`on_success` of a notified user must be true or false"),
                   notified_users=[{"username": "alice", "on_success": 2}])


# ------------------------------------- §3 step 10: the model's validators

def test_columns_at_their_limits_are_accepted(farm):
    created(farm, body(priority=1000, ram=262144, cpus=256), priority=1000, ram=262144,
            cpus=256)
    resp = created(farm, body(priority=-1000, ram=16, cpus=1), priority=-1000, ram=16,
                   cpus=1)
    assert sql_value(farm, f"select min(priority) from tasks where job_id = {new_id(resp)}") \
        == "-1000"


def test_columns_beyond_their_limits_are_refused(farm):
    # ours: the reference's validators answer 500
    for key, values, low, high in (("priority", (1001, -1001), -1000, 1000),
                                   ("ram", (15, 262145), 16, 262144),
                                   ("cpus", (0, 257), 1, 256)):
        for value in values:
            refused_fields(farm, 400, error(f"`{key}` must be between {low} and {high}"),
                           **{key: value})


def test_title_longer_than_255_characters_is_refused(farm):
    created(farm, body(title="é" * 255), title="é" * 255)
    refused_fields(farm, 400, error("`title` is longer than 255 characters"), title="x" * 256)


def test_usernames_longer_than_the_column_are_refused(farm):
    # users.username is VARCHAR(255): the reference answers 500; message
    # not specified
    refused_with_any_message(farm, body(user="u" * 256), 400)
    refused_with_any_message(farm, body(notified_users=[{"username": "u" * 256}]), 400)


def test_nul_characters_in_text_columns_are_refused(farm):
    # PostgreSQL text cannot hold NUL (the reference: 500); message not specified
    for fields in ({"title": "a\u0000b"}, {"notes": "a\u0000b"}, {"user": "a\u0000b"},
                   {"tags": ["a\u0000b"]}):
        refused_with_any_message(farm, body(**fields), 400)


def test_unknown_job_group_is_not_found(farm):
    refused_fields(farm, 404, error("Job group 77 not found"), job_group_id=77)


def test_existing_job_id_is_a_conflict(farm):
    refused_fields(farm, 409, error("Job 1 already exists"), id=1)


def test_explicit_new_job_id_is_used(farm):
    created(farm, body(id=500), id=500)
    assert task_rows(farm, 500) == frames(1)


def test_every_storable_column_is_stored_as_given(farm):
    fields = {"priority": 5, "weight": 3, "minimum_agents": 1, "maximum_agents": 4,
              "notes": "n", "output_link": "http://x/y", "batch": 2, "requeue": -1,
              "cpus": 8, "ram": 1024, "ram_warning": 2048, "ram_max": 4096,
              "hidden": True, "to_be_deleted": True, "completion_notify_sent": True,
              "autodelete_time": 3600, "environ": {"PATH": "/bin", "N": [1, None]},
              "data": {"nested": {"a": 1.5, "b": "é"}}}
    resp = created(farm, body(**fields), **fields)
    row = job_row(farm, new_id(resp), ("environ", "data"))
    assert row == {"environ": '{"PATH": "/bin", "N": [1, null]}',
                   "data": '{"nested": {"a": 1.5, "b": "\\u00e9"}}'}, row


# -------------------------------------------- §3: check order, §0.4 atomic

def test_checks_run_in_the_reference_order(farm):
    """Each request carries every fault from one step of §3's table on, and
    autocreate-worthy user, tags and notified user: the earliest fault
    answers, and nothing is written.  For a key listed twice the earlier
    value is sent."""
    steps = [
        ("foo", 1, 400, error("request contains field(s) that do not exist: {'foo'}")),
        ("jobtype_version", "1", 400, error("jobtype_version must be of type int")),
        ("jobtype_version", 9, 404, "Jobtype or version not found"),
        ("software_requirements", [{"software": "maya"}], 404,
         requirement_error("Software maya not found")),
        ("parents", [{"id": 99}], 404, "Parent job 99 not found"),
        ("jobqueue", "nope", 404, error("Jobqueue nope not found")),
        ("priority", 1001, 400, error("`priority` must be between -1000 and 1000")),
        ("state", "queued", 400, error("`state` must be one of paused, running, done, failed")),
        ("job_group_id", 77, 404, error("Job group 77 not found")),
        ("id", 1, 409, error("Job 1 already exists")),
        ("start", "1", 400, error("`start` and `end` need to be of type decimal or int")),
        ("end", 0, 400, error("`end` is specified while `start` is not")),
        ("by", 0, 400, error("`by` must be greater than 0")),
        ("num_tiles", 2, 400, error("`num_tiles` is set, but this jobtype does not "
                                    "support tiling.")),
        ("jobtype_version", 1, None, None),
    ]
    extras = {"user": "newbie", "tags": ["newtag"],
              "tag_requirements": [{"tag": "newreq", "negate": True}],
              "notified_users": [{"username": "newbie2"}]}
    for i, (_, _, status, answer) in enumerate(steps):
        if status is None:
            break
        fields = dict(extras)
        for key, value, _, _ in reversed(steps[i:]):
            fields[key] = value
        refused(farm, body(**fields), status, answer)
    # without the faults the same request is valid
    resp = send(farm, body(jobtype_version=1, **extras))
    expect(resp, 201)


def test_a_request_failing_at_the_last_check_writes_nothing(farm):
    refused_fields(farm, 400, error("`num_tiles` is set, but this jobtype does not support "
                                    "tiling."),
                   jobtype_version=1, num_tiles=2, user="newbie", parents=[{"id": 1}],
                   tags=["t1", "t2"], tag_requirements=[{"tag": "t3", "negate": False}],
                   notified_users=[{"username": "newbie2"}],
                   software_requirements=[{"software": "blender"}])


def test_a_refused_request_consumes_no_job_id(farm):
    refused_fields(farm, 400, error("`by` must be greater than 0"), by=0)
    created(farm, body(), id=3)


# ------------------------------- titles round-trip through POST and GET

def test_titles_round_trip_by_id_and_by_title(farm):
    # a LIKE-pattern match of "100% _done_" would find this one first
    created(farm, body(title="1000 xdonex"), title="1000 xdonex")
    for title, raw in (("Shot é 日本", '"title": "Shot \\u00e9 \\u65e5\\u672c"'),
                       ("'; DROP TABLE jobs; --", '"title": "\'; DROP TABLE jobs; --"'),
                       ("100% _done_", '"title": "100% _done_"')):
        resp = created(farm, body(title=title), title=title)
        expect_raw_contains(resp, raw)
        job = resp.json()
        for ref in (str(job["id"]), urllib.parse.quote(title, safe="")):
            got = farm.client.get(URL + ref)
            expect(got, 200, json=job, headers=JSON_TYPE)
            expect_raw_contains(got, raw)
        assert sql_value(farm, f"select title from jobs where id = {job['id']}") == title
    assert row_counts(farm)["jobs"] == 6


def test_get_after_submit_renders_frames_as_floats(farm):
    resp = created(farm, body(start=1, end=3), start=1, end=3)
    got = farm.client.get(URL + str(new_id(resp)))
    expect(got, 200, json={**resp.json(), "start": 1.0, "end": 3.0})


def test_the_answer_is_the_job_as_get_shows_it(farm):
    # The answer is built from what the submission's statement wrote (its
    # RETURNING rows), not read back: it must be exactly what GET shows,
    # with every relation, new users (one notified, one the owner) and new
    # tags among them.
    parent = new_id(created(farm, body()))
    payload = body(
        start=2.0, end=8.0, by=3.0, user="dora", jobqueue="render/hi",
        tags=["workstation", "fresh-tag"],
        tag_requirements=[{"tag": "linux", "negate": True}, {"tag": "gpu", "negate": False}],
        software_requirements=[{"software": "blender", "min_version": "2.79"},
                               {"software": "ffmpeg", "max_version": "4.1"}],
        parents=[{"id": parent}, {"id": 1}],
        notified_users=[{"username": "erin", "on_deletion": True},
                        {"username": "alice", "on_success": False}],
        data={"scene": "x.blend"}, environ={"A": "1"}, priority=5)
    resp = send(farm, payload)
    expect(resp, 201)
    job = new_id(resp)
    got = expect(farm.client.get(URL + str(job)), 200).json()
    expect(resp, 201, json=got)
    assert got["user"] == "dora" and got["jobqueue"] == "/render/hi", got
    assert [p["id"] for p in got["parents"]] == [1, parent], got
    assert [n["username"] for n in got["notified_users"]] == ["alice", "erin"], got
    assert sorted(got["tags"]) == ["fresh-tag", "workstation"], got
    assert (got["start"], got["end"]) == (2.0, 8.0), got
